/*
 * Reading the plugin store's directory (store_scan.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../log.h"
#include "store_io.h"
#include "store_scan.h"

void
store_item_free(struct store_item *item)
{
	if (item == NULL)
		return;
	free(item->source);
	free(item);
}

/* Frees the first count items, not the array. */
void
store_items_clear(struct store_item **items, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		store_item_free(items[i]);
		items[i] = NULL;
	}
}

void
store_items_free(struct store_item **items, size_t count)
{
	store_items_clear(items, count);
	free(items);
}

/* An item owning a copy of source. */
struct store_item *
store_item_new(const struct store_ref *ref, const char *source)
{
	struct store_item *item = calloc(1, sizeof(*item));

	if (item == NULL || (item->source = malloc(ref->length + 1)) == NULL) {
		free(item);
		return NULL;
	}
	item->ref = *ref;
	if (ref->length > 0)
		memcpy(item->source, source, ref->length);
	item->source[ref->length] = '\0';
	item->entry = (struct store_entry){ item->ref.name, item->source,
	    ref->length, item->ref.sha256, ref->created };
	return item;
}

/*
 * Loads the file of version generation of name into *item.  With want
 * (the manifest's record), the file must agree with it.  Returns 0; 1
 * when the file is missing or damaged (to be skipped); -1 when the system
 * failed (memory, I/O: the file may be sound, so nothing is decided).
 */
static int
load_version(int dirfd, const char *dir, const char *name, uint64_t generation,
    const struct store_ref *want, struct store_item **item, char *error,
    size_t error_size)
{
	char file[STORE_FILE_NAME_SIZE], why[256];
	const char *source;
	struct store_ref ref;
	size_t length;
	char *data;

	*item = NULL;
	store_file_name(file, name, generation);
	switch (store_read_at(dirfd, file,
	    STORE_HEADER_MAX + STORE_MAX_SOURCE, &data, &length, why,
	    sizeof(why))) {
	case STORE_READ_OK:
		break;
	case STORE_READ_MISSING:
		error_set(error, error_size, "%s is missing", file);
		return 1;
	case STORE_READ_UNUSABLE:
		error_set(error, error_size, "%s: %s", file, why);
		return 1;
	case STORE_READ_ERROR:
		return error_set(error, error_size, "cannot read %s/%s: %s", dir,
		    file, why);
	}
	if (store_parse_plugin(data, length, &ref, &source, why,
	    sizeof(why)) == -1) {
		error_set(error, error_size, "%s: %s", file, why);
		free(data);
		return 1;
	}
	if (strcmp(ref.name, name) != 0 || ref.generation != generation ||
	    (want != NULL && (ref.created != want->created ||
	    ref.length != want->length ||
	    strcmp(ref.sha256, want->sha256) != 0))) {
		error_set(error, error_size, "%s: its header does not match %s",
		    file, want != NULL ? "the manifest" : "its file name");
		free(data);
		return 1;
	}
	*item = store_item_new(&ref, source);
	free(data);
	if (*item == NULL)
		return error_set(error, error_size, "out of memory");
	return 0;
}

/* Plugin files found in the directory. */
struct found {
	char		 name[STORE_MAX_NAME + 1];
	uint64_t	 generation;
	bool		 used;		/* named by the manifest */
};

/*
 * Lists the directory: removes temporary files left over, reports
 * foreign files, and returns the plugin files.
 */
static int
list_files(int dirfd, const char *dir, struct found **found, size_t *count,
    char *error, size_t error_size)
{
	struct found *list = NULL;
	size_t n = 0, capacity = 0;
	struct dirent *d;
	DIR *listing;
	int fd;

	if ((fd = dup(dirfd)) == -1 || (listing = fdopendir(fd)) == NULL) {
		error_set(error, error_size, "cannot list %s: %s", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(listing);
	while ((errno = 0, d = readdir(listing)) != NULL) {
		struct found f = { .used = false };

		if (strcmp(d->d_name, ".") == 0 ||
		    strcmp(d->d_name, "..") == 0 ||
		    strcmp(d->d_name, STORE_MANIFEST) == 0 ||
		    strcmp(d->d_name, STORE_MANIFEST_CORRUPT) == 0)
			continue;
		if (strncmp(d->d_name, STORE_TEMP_PREFIX,
		    strlen(STORE_TEMP_PREFIX)) == 0) {
			if (unlinkat(dirfd, d->d_name, 0) == 0)
				log_info("%s: removed %s, left by an "
				    "interrupted change", dir, d->d_name);
			else
				log_warn("%s: cannot remove %s", dir,
				    d->d_name);
			continue;
		}
		if (store_parse_file_name(d->d_name, f.name,
		    &f.generation) == -1) {
			log_warnx("%s: skipping %s: not a file of the store",
			    dir, d->d_name);
			continue;
		}
		if (n == capacity) {
			size_t c = capacity ? 2 * capacity : 64;
			struct found *grown = reallocarray(list, c,
			    sizeof(*list));

			if (grown == NULL) {
				errno = ENOMEM;
				break;
			}
			list = grown;
			capacity = c;
		}
		list[n++] = f;
	}
	if (errno != 0) {
		error_set(error, error_size, "cannot list %s: %s", dir,
		    strerror(errno));
		closedir(listing);
		free(list);
		return -1;
	}
	closedir(listing);
	*found = list;
	*count = n;
	return 0;
}

static int
by_creation(const void *a, const void *b)
{
	const struct store_ref *x = &(*(struct store_item *const *)a)->ref;
	const struct store_ref *y = &(*(struct store_item *const *)b)->ref;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return x->generation < y->generation ? -1 :
	    x->generation > y->generation;
}

static int
by_name_newest_first(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->generation > y->generation ? -1 :
	    x->generation < y->generation;
}

/*
 * Without a usable manifest: the newest version of each plugin that
 * loads, in order of creation.  Returns 0, or -1 when the system failed.
 */
static int
rebuild(int dirfd, const char *dir, struct found *found, size_t found_count,
    struct store_item **items, size_t *count, char *error, size_t error_size)
{
	const char *have = NULL;	/* the name last loaded */
	char why[512];
	size_t n = 0;
	int r;

	if (found_count > 0)
		qsort(found, found_count, sizeof(*found),
		    by_name_newest_first);
	for (size_t i = 0; i < found_count; i++) {
		struct store_item *item;

		if (have != NULL && strcmp(have, found[i].name) == 0)
			continue;
		r = load_version(dirfd, dir, found[i].name,
		    found[i].generation, NULL, &item, why, sizeof(why));
		if (r == -1) {
			store_items_clear(items, n);
			return error_set(error, error_size, "%s", why);
		}
		if (r == 1) {
			log_warnx("%s: skipping %s", dir, why);
			continue;	/* an older version may load */
		}
		have = found[i].name;
		if (n == STORE_MAX_PLUGINS) {
			log_warnx("%s: skipping %s: more than %d plugins",
			    dir, found[i].name, STORE_MAX_PLUGINS);
			store_item_free(item);
			continue;
		}
		items[n++] = item;
	}
	qsort(items, n, sizeof(*items), by_creation);
	*count = n;
	return 0;
}

int
store_scan(int dirfd, const char *dir, struct store_item **items,
    size_t *count, uint64_t *next_generation, bool *rebuilt, char *error,
    size_t error_size)
{
	struct store_ref *refs = NULL;
	struct found *found = NULL;
	size_t ref_count = 0, found_count = 0, n = 0, length;
	enum store_read read;
	uint64_t next = 1;
	char why[512], *data;
	bool usable = false;

	*rebuilt = false;
	read = store_read_at(dirfd, STORE_MANIFEST, STORE_MANIFEST_MAX,
	    &data, &length, why, sizeof(why));
	if (read == STORE_READ_ERROR)
		return error_set(error, error_size, "cannot read %s/%s: %s", dir,
		    STORE_MANIFEST, why);
	if (read == STORE_READ_OK)
		usable = store_parse_manifest(data, length, &refs, &ref_count,
		    &next, why, sizeof(why)) == 0;
	free(data);
	if (list_files(dirfd, dir, &found, &found_count, error,
	    error_size) == -1) {
		free(refs);
		return -1;
	}
	for (size_t i = 0; i < found_count; i++)
		if (found[i].generation >= next)
			next = found[i].generation + 1;
	if (usable) {
		for (size_t i = 0; i < ref_count; i++) {
			struct store_item *item;
			int r = load_version(dirfd, dir, refs[i].name,
			    refs[i].generation, &refs[i], &item, why,
			    sizeof(why));

			if (r == -1) {
				store_items_clear(items, n);
				error_set(error, error_size, "%s", why);
				goto failed;
			}
			if (r == 1)
				log_warnx("%s: plugin %s skipped: %s", dir,
				    refs[i].name, why);
			else
				items[n++] = item;
			for (size_t j = 0; j < found_count; j++)
				if (found[j].generation == refs[i].generation &&
				    strcmp(found[j].name, refs[i].name) == 0)
					found[j].used = true;
		}
		for (size_t j = 0; j < found_count; j++) {
			char file[STORE_FILE_NAME_SIZE];

			if (found[j].used)
				continue;
			store_file_name(file, found[j].name,
			    found[j].generation);
			if (unlinkat(dirfd, file, 0) == 0)
				log_info("%s: removed %s, left by an "
				    "interrupted change", dir, file);
		}
	} else {
		if (read != STORE_READ_MISSING) {
			log_warnx("%s: the manifest is unusable (%s); it is "
			    "kept as %s", dir, why, STORE_MANIFEST_CORRUPT);
			if (renameat(dirfd, STORE_MANIFEST, dirfd,
			    STORE_MANIFEST_CORRUPT) == -1)
				log_warn("%s: cannot rename %s", dir,
				    STORE_MANIFEST);
		}
		if (found_count > 0)
			log_warnx("%s: no usable manifest: rebuilding the "
			    "chain from %zu plugin files in order of creation "
			    "(any order set with before/after is lost)",
			    dir, found_count);
		if (rebuild(dirfd, dir, found, found_count, items, &n, error,
		    error_size) == -1)
			goto failed;
		*rebuilt = true;
	}
	free(found);
	free(refs);
	*count = n;
	*next_generation = next;
	return 0;
failed:
	free(found);
	free(refs);
	return -1;
}

