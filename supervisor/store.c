/*
 * The plugin store (store.h): the chain in memory, and every change
 * written so that a crash leaves the old chain or the new one.
 *
 * A change writes the new plugin file (if any) under a name no other file
 * has, then the new manifest; renaming the manifest into place commits it.
 * Files the manifest does not name are leftovers of a change that never
 * committed, removed when the directory is next read.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../ipc/control.h"
#include "log.h"
#include "store.h"
#include "store_format.h"
#include "store_io.h"

/* Whatever the store holds can be created and listed over the control
 * socket, and a position received casts to the store's. */
_Static_assert(STORE_MAX_PLUGINS <= CONTROL_MAX_PLUGINS &&
    STORE_MAX_NAME <= CONTROL_MAX_NAME &&
    STORE_MAX_SOURCE <= CONTROL_MAX_SOURCE &&
    STORE_SHA256_HEX == CONTROL_SHA256_HEX &&
    (int)STORE_END == (int)CONTROL_POSITION_END &&
    (int)STORE_BEFORE == (int)CONTROL_POSITION_BEFORE &&
    (int)STORE_AFTER == (int)CONTROL_POSITION_AFTER,
    "store and control disagree");

struct item {
	struct store_ref	 ref;
	struct store_entry	 entry;
	char			*source;
};

struct store {
	char		*dir;
	int		 dirfd;		/* holds the directory's lock */
	struct item	**items;	/* chain order */
	size_t		 count;
	uint64_t	 next_generation;
};

static int
fail(char *error, size_t error_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *error, size_t error_size, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(error, error_size, format, ap);
	va_end(ap);
	return -1;
}

static void
item_free(struct item *item)
{
	if (item == NULL)
		return;
	free(item->source);
	free(item);
}

/* Frees the first count items, not the array. */
static void
items_clear(struct item **items, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		item_free(items[i]);
		items[i] = NULL;
	}
}

static void
items_free(struct item **items, size_t count)
{
	items_clear(items, count);
	free(items);
}

/* An item owning a copy of source. */
static struct item *
item_new(const struct store_ref *ref, const char *source)
{
	struct item *item = calloc(1, sizeof(*item));

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
 * Writes the manifest for items[0..count): the commit point.  Once its
 * rename is done the change stands (it is what a restart finds); a failed
 * fsync of the directory after it is reported but does not undo it.
 */
static enum store_result
commit(struct store *s, struct item **items, size_t count,
    uint64_t next_generation, char *error, size_t error_size)
{
	const struct store_ref *refs[STORE_MAX_PLUGINS];
	struct buffer manifest = { 0 };
	char why[256];
	int r;

	for (size_t i = 0; i < count; i++)
		refs[i] = &items[i]->ref;
	if (store_format_manifest(&manifest, refs, count,
	    next_generation) == -1) {
		buffer_free(&manifest);
		fail(error, error_size, "out of memory");
		return STORE_NO_MEMORY;
	}
	r = store_write_at(s->dirfd, s->dir, STORE_MANIFEST,
	    buffer_bytes(&manifest), buffer_length(&manifest), NULL, 0, error,
	    error_size);
	buffer_free(&manifest);
	if (r == -1)
		return STORE_IO;
	if (store_sync_dir(s->dirfd, s->dir, why, sizeof(why)) == -1)
		log_warnx("%s: the change is made, but may not survive a power "
		    "cut", why);
	return STORE_OK;
}

/*
 * Loads the file of version generation of name into *item.  With want
 * (the manifest's record), the file must agree with it.  Returns 0; 1
 * when the file is missing or damaged (to be skipped); -1 when the system
 * failed (memory, I/O: the file may be sound, so nothing is decided).
 */
static int
load_version(struct store *s, const char *name, uint64_t generation,
    const struct store_ref *want, struct item **item, char *error,
    size_t error_size)
{
	char file[STORE_FILE_NAME_SIZE], why[256];
	const char *source;
	struct store_ref ref;
	size_t length;
	char *data;

	*item = NULL;
	store_file_name(file, name, generation);
	switch (store_read_at(s->dirfd, file,
	    STORE_HEADER_MAX + STORE_MAX_SOURCE, &data, &length, why,
	    sizeof(why))) {
	case STORE_READ_OK:
		break;
	case STORE_READ_MISSING:
		fail(error, error_size, "%s is missing", file);
		return 1;
	case STORE_READ_UNUSABLE:
		fail(error, error_size, "%s: %s", file, why);
		return 1;
	case STORE_READ_ERROR:
		return fail(error, error_size, "cannot read %s/%s: %s", s->dir,
		    file, why);
	}
	if (store_parse_plugin(data, length, &ref, &source, why,
	    sizeof(why)) == -1) {
		fail(error, error_size, "%s: %s", file, why);
		free(data);
		return 1;
	}
	if (strcmp(ref.name, name) != 0 || ref.generation != generation ||
	    (want != NULL && (ref.created != want->created ||
	    ref.length != want->length ||
	    strcmp(ref.sha256, want->sha256) != 0))) {
		fail(error, error_size, "%s: its header does not match %s",
		    file, want != NULL ? "the manifest" : "its file name");
		free(data);
		return 1;
	}
	*item = item_new(&ref, source);
	free(data);
	if (*item == NULL)
		return fail(error, error_size, "out of memory");
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
list_files(struct store *s, struct found **found, size_t *count,
    char *error, size_t error_size)
{
	struct found *list = NULL;
	size_t n = 0, capacity = 0;
	struct dirent *d;
	DIR *dir;
	int fd;

	if ((fd = dup(s->dirfd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		fail(error, error_size, "cannot list %s: %s", s->dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(dir);
	while ((errno = 0, d = readdir(dir)) != NULL) {
		struct found f = { .used = false };

		if (strcmp(d->d_name, ".") == 0 ||
		    strcmp(d->d_name, "..") == 0 ||
		    strcmp(d->d_name, STORE_MANIFEST) == 0 ||
		    strcmp(d->d_name, STORE_MANIFEST_CORRUPT) == 0)
			continue;
		if (strncmp(d->d_name, STORE_TEMP_PREFIX,
		    strlen(STORE_TEMP_PREFIX)) == 0) {
			if (unlinkat(s->dirfd, d->d_name, 0) == 0)
				log_info("%s: removed %s, left by an "
				    "interrupted change", s->dir, d->d_name);
			else
				log_warn("%s: cannot remove %s", s->dir,
				    d->d_name);
			continue;
		}
		if (store_parse_file_name(d->d_name, f.name,
		    &f.generation) == -1) {
			log_warnx("%s: skipping %s: not a file of the store",
			    s->dir, d->d_name);
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
		fail(error, error_size, "cannot list %s: %s", s->dir,
		    strerror(errno));
		closedir(dir);
		free(list);
		return -1;
	}
	closedir(dir);
	*found = list;
	*count = n;
	return 0;
}

static int
by_creation(const void *a, const void *b)
{
	const struct store_ref *x = &(*(struct item *const *)a)->ref;
	const struct store_ref *y = &(*(struct item *const *)b)->ref;

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
rebuild(struct store *s, struct found *found, size_t found_count,
    struct item **items, size_t *count, char *error, size_t error_size)
{
	const char *have = NULL;	/* the name last loaded */
	char why[512];
	size_t n = 0;
	int r;

	if (found_count > 0)
		qsort(found, found_count, sizeof(*found),
		    by_name_newest_first);
	for (size_t i = 0; i < found_count; i++) {
		struct item *item;

		if (have != NULL && strcmp(have, found[i].name) == 0)
			continue;
		r = load_version(s, found[i].name, found[i].generation, NULL,
		    &item, why, sizeof(why));
		if (r == -1) {
			items_clear(items, n);
			return fail(error, error_size, "%s", why);
		}
		if (r == 1) {
			log_warnx("%s: skipping %s", s->dir, why);
			continue;	/* an older version may load */
		}
		have = found[i].name;
		if (n == STORE_MAX_PLUGINS) {
			log_warnx("%s: skipping %s: more than %d plugins",
			    s->dir, found[i].name, STORE_MAX_PLUGINS);
			item_free(item);
			continue;
		}
		items[n++] = item;
	}
	qsort(items, n, sizeof(*items), by_creation);
	*count = n;
	return 0;
}

/*
 * Reads the directory into items (STORE_MAX_PLUGINS slots), with the
 * reports and repairs store.h promises.  Returns 0, or -1 when the
 * directory or its manifest cannot be read at all.
 */
static int
scan(struct store *s, struct item **items, size_t *count,
    uint64_t *next_generation, char *error, size_t error_size)
{
	struct store_ref *refs = NULL;
	struct found *found = NULL;
	size_t ref_count = 0, found_count = 0, n = 0, length;
	enum store_read read;
	uint64_t next = 1;
	char why[512], *data;
	bool usable = false;

	read = store_read_at(s->dirfd, STORE_MANIFEST, STORE_MANIFEST_MAX,
	    &data, &length, why, sizeof(why));
	if (read == STORE_READ_ERROR)
		return fail(error, error_size, "cannot read %s/%s: %s", s->dir,
		    STORE_MANIFEST, why);
	if (read == STORE_READ_OK)
		usable = store_parse_manifest(data, length, &refs, &ref_count,
		    &next, why, sizeof(why)) == 0;
	free(data);
	if (list_files(s, &found, &found_count, error, error_size) == -1) {
		free(refs);
		return -1;
	}
	for (size_t i = 0; i < found_count; i++)
		if (found[i].generation >= next)
			next = found[i].generation + 1;
	if (usable) {
		for (size_t i = 0; i < ref_count; i++) {
			struct item *item;
			int r = load_version(s, refs[i].name,
			    refs[i].generation, &refs[i], &item, why,
			    sizeof(why));

			if (r == -1) {
				items_clear(items, n);
				fail(error, error_size, "%s", why);
				goto failed;
			}
			if (r == 1)
				log_warnx("%s: plugin %s skipped: %s", s->dir,
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
			if (unlinkat(s->dirfd, file, 0) == 0)
				log_info("%s: removed %s, left by an "
				    "interrupted change", s->dir, file);
		}
	} else {
		if (read != STORE_READ_MISSING) {
			log_warnx("%s: the manifest is unusable (%s); it is "
			    "kept as %s", s->dir, why, STORE_MANIFEST_CORRUPT);
			if (renameat(s->dirfd, STORE_MANIFEST, s->dirfd,
			    STORE_MANIFEST_CORRUPT) == -1)
				log_warn("%s: cannot rename %s", s->dir,
				    STORE_MANIFEST);
		}
		if (found_count > 0)
			log_warnx("%s: no usable manifest: rebuilding the "
			    "chain from %zu plugin files in order of creation "
			    "(any order set with before/after is lost)",
			    s->dir, found_count);
		if (rebuild(s, found, found_count, items, &n, error,
		    error_size) == -1)
			goto failed;
		if (commit(s, items, n, next, why, sizeof(why)) != STORE_OK)
			log_warnx("%s (the chain is rebuilt again at the next "
			    "start)", why);
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

struct store *
store_open(const char *dir, char *error, size_t error_size)
{
	struct store *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		fail(error, error_size, "out of memory");
		return NULL;
	}
	s->dirfd = -1;
	if ((s->dir = strdup(dir)) == NULL ||
	    (s->items = calloc(STORE_MAX_PLUGINS, sizeof(*s->items))) == NULL) {
		fail(error, error_size, "out of memory");
		goto bad;
	}
	if ((s->dirfd = store_open_dir(dir, error, error_size)) == -1 ||
	    scan(s, s->items, &s->count, &s->next_generation, error,
	    error_size) == -1)
		goto bad;
	return s;
bad:
	store_free(s);
	return NULL;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	if (s->items != NULL)
		items_free(s->items, s->count);
	if (s->dirfd != -1)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

int
store_reload(struct store *s, char *error, size_t error_size)
{
	struct item **items = calloc(STORE_MAX_PLUGINS, sizeof(*items));
	uint64_t next;
	size_t count;

	if (items == NULL)
		return fail(error, error_size, "out of memory");
	if (scan(s, items, &count, &next, error, error_size) == -1) {
		free(items);
		return -1;
	}
	items_free(s->items, s->count);
	s->items = items;
	s->count = count;
	s->next_generation = next;
	return 0;
}

size_t
store_count(const struct store *s)
{
	return s->count;
}

const struct store_entry *
store_entry(const struct store *s, size_t index)
{
	return index < s->count ? &s->items[index]->entry : NULL;
}

ssize_t
store_find(const struct store *s, const char *name)
{
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->items[i]->ref.name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static enum store_result
result(enum store_result r, char *error, size_t error_size,
    const char *format, ...) __attribute__((format(printf, 4, 5)));

static enum store_result
result(enum store_result r, char *error, size_t error_size,
    const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(error, error_size, format, ap);
	va_end(ap);
	return r;
}

#define NAME_RULE	"1 to 64 of A-Z a-z 0-9 . _ -, starting with a " \
			"letter or a digit"

/* Where the plugin goes in the chain once any old version is out of it. */
static enum store_result
destination(const struct store *s, const char *name, ssize_t at,
    enum store_position position, const char *anchor, size_t *dest,
    char *error, size_t error_size)
{
	ssize_t a;

	if (position == STORE_END) {
		*dest = at >= 0 ? (size_t)at : s->count;
		return STORE_OK;
	}
	if (!store_name_valid(anchor) || (a = store_find(s, anchor)) < 0)
		return result(STORE_NO_ANCHOR, error, error_size, "no plugin "
		    "to put %s %s: %s", name, position == STORE_BEFORE ?
		    "before" : "after", store_name_valid(anchor) ? anchor :
		    "(invalid name)");
	if (a == at)
		return result(STORE_NO_ANCHOR, error, error_size, "cannot put "
		    "plugin %s %s itself", name, position == STORE_BEFORE ?
		    "before" : "after");
	if (at >= 0 && at < a)
		a--;
	*dest = (size_t)a + (position == STORE_AFTER);
	return STORE_OK;
}

enum store_result
store_put(struct store *s, const char *name, const char *source,
    size_t length, bool replace, enum store_position position,
    const char *anchor, char *error, size_t error_size)
{
	char header[STORE_HEADER_MAX], file[STORE_FILE_NAME_SIZE];
	struct item **order, *item;
	struct store_ref ref;
	enum store_result r;
	size_t dest = 0, n = 0;
	ssize_t at;

	if (!store_name_valid(name))
		return result(STORE_INVALID_NAME, error, error_size, "invalid "
		    "plugin name: use " NAME_RULE);
	if (length > STORE_MAX_SOURCE)
		return result(STORE_TOO_LARGE, error, error_size, "plugin %s: "
		    "%zu bytes of source, more than the %u allowed", name,
		    length, STORE_MAX_SOURCE);
	at = store_find(s, name);
	if (at >= 0 && !replace)
		return result(STORE_EXISTS, error, error_size, "plugin %s "
		    "exists", name);
	if (at < 0 && s->count == STORE_MAX_PLUGINS)
		return result(STORE_FULL, error, error_size, "the store holds "
		    "%d plugins already", STORE_MAX_PLUGINS);
	if ((r = destination(s, name, at, position, anchor, &dest, error,
	    error_size)) != STORE_OK)
		return r;

	memset(&ref, 0, sizeof(ref));
	strcpy(ref.name, name);
	ref.generation = s->next_generation;
	ref.created = (int64_t)time(NULL);
	ref.length = length;
	store_sha256(source, length, ref.sha256);
	item = item_new(&ref, source);
	order = calloc(STORE_MAX_PLUGINS, sizeof(*order));
	if (item == NULL || order == NULL) {
		item_free(item);
		free(order);
		return result(STORE_NO_MEMORY, error, error_size, "out of "
		    "memory");
	}
	for (size_t i = 0; i < s->count; i++)
		if ((ssize_t)i != at)
			order[n++] = s->items[i];
	memmove(order + dest + 1, order + dest, (n - dest) * sizeof(*order));
	order[dest] = item;
	n++;

	store_file_name(file, name, ref.generation);
	if (store_write_at(s->dirfd, s->dir, file, header,
	    store_format_header(header, &ref), source, length, error,
	    error_size) == -1) {
		r = STORE_IO;
		goto undo;
	}
	if (store_sync_dir(s->dirfd, s->dir, error, error_size) == -1) {
		r = STORE_IO;
		goto remove;
	}
	if ((r = commit(s, order, n, ref.generation + 1, error,
	    error_size)) != STORE_OK)
		goto remove;

	if (at >= 0) {
		store_file_name(file, name, s->items[at]->ref.generation);
		unlinkat(s->dirfd, file, 0);
		item_free(s->items[at]);
	}
	free(s->items);
	s->items = order;
	s->count = n;
	s->next_generation = ref.generation + 1;
	return STORE_OK;
remove:
	unlinkat(s->dirfd, file, 0);
undo:
	item_free(item);
	free(order);
	return r;
}

enum store_result
store_delete(struct store *s, const char *name, char *error,
    size_t error_size)
{
	char file[STORE_FILE_NAME_SIZE];
	struct item **order;
	enum store_result r;
	size_t n = 0;
	ssize_t at;

	if (!store_name_valid(name))
		return result(STORE_INVALID_NAME, error, error_size, "invalid "
		    "plugin name: use " NAME_RULE);
	if ((at = store_find(s, name)) < 0)
		return result(STORE_NOT_FOUND, error, error_size, "no plugin "
		    "%s", name);
	if ((order = calloc(STORE_MAX_PLUGINS, sizeof(*order))) == NULL)
		return result(STORE_NO_MEMORY, error, error_size, "out of "
		    "memory");
	for (size_t i = 0; i < s->count; i++)
		if ((ssize_t)i != at)
			order[n++] = s->items[i];
	if ((r = commit(s, order, n, s->next_generation, error,
	    error_size)) != STORE_OK) {
		free(order);
		return r;
	}
	store_file_name(file, name, s->items[at]->ref.generation);
	unlinkat(s->dirfd, file, 0);
	item_free(s->items[at]);
	free(s->items);
	s->items = order;
	s->count = n;
	return STORE_OK;
}

const char *
store_result_name(enum store_result r)
{
	static const char *const names[] = {
		[STORE_OK] = "ok", [STORE_INVALID_NAME] = "invalid name",
		[STORE_EXISTS] = "exists", [STORE_NOT_FOUND] = "not found",
		[STORE_NO_ANCHOR] = "no anchor",
		[STORE_TOO_LARGE] = "too large",
		[STORE_FULL] = "full", [STORE_NO_MEMORY] = "out of memory",
		[STORE_IO] = "I/O error",
	};

	return (size_t)r < sizeof(names) / sizeof(names[0]) ? names[r] :
	    "unknown";
}
