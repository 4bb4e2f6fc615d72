/*
 * The plugin store (store.h): the chain in memory, and every change
 * written so that a crash leaves the old chain or the new one.
 *
 * A change writes the new plugin file (if any) under a name no other file
 * has, then the new manifest; renaming the manifest into place commits it.
 * Files the manifest does not name are leftovers of a change that never
 * committed, removed when the directory is next read (store_scan.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../ipc/control.h"
#include "../log.h"
#include "store.h"
#include "store_format.h"
#include "store_io.h"
#include "store_scan.h"

/* Whatever the store holds can be created and listed over the control
 * socket, and a position received casts to the store's. */
_Static_assert(STORE_MAX_PLUGINS <= CONTROL_MAX_PLUGINS &&
    STORE_MAX_NAME <= CONTROL_MAX_NAME &&
    /* NOLINTNEXTLINE(misc-redundant-expression): equal today */
    STORE_MAX_SOURCE <= CONTROL_MAX_SOURCE &&
    STORE_SHA256_HEX == CONTROL_SHA256_HEX &&
    (int)STORE_END == (int)CONTROL_POSITION_END &&
    (int)STORE_BEFORE == (int)CONTROL_POSITION_BEFORE &&
    (int)STORE_AFTER == (int)CONTROL_POSITION_AFTER,
    "store and control disagree");

struct store {
	char			*dir;
	int			 dirfd;		/* holds the lock */
	struct store_item	**items;	/* chain order */
	size_t			 count;
	uint64_t		 next_generation;
};

/*
 * Writes the manifest for items[0..count): the commit point.  Once its
 * rename is done the change stands (it is what a restart finds); a failed
 * fsync of the directory after it is reported but does not undo it.
 */
static enum store_result
commit(struct store *s, struct store_item **items, size_t count,
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
		error_set(error, error_size, "out of memory");
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

/* Reads the directory; a rebuilt chain is committed at once, so that the
 * next start finds it. */
static int
load(struct store *s, struct store_item **items, size_t *count,
    uint64_t *next_generation, char *error, size_t error_size)
{
	char why[512];
	bool rebuilt;

	if (store_scan(s->dirfd, s->dir, items, count, next_generation,
	    &rebuilt, error, error_size) == -1)
		return -1;
	if (rebuilt && commit(s, items, *count, *next_generation, why,
	    sizeof(why)) != STORE_OK)
		log_warnx("%s (the chain is rebuilt again at the next start)",
		    why);
	return 0;
}

struct store *
store_open(const char *dir, char *error, size_t error_size)
{
	struct store *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		error_set(error, error_size, "out of memory");
		return NULL;
	}
	s->dirfd = -1;
	if ((s->dir = strdup(dir)) == NULL ||
	    (s->items = calloc(STORE_MAX_PLUGINS, sizeof(*s->items))) == NULL) {
		error_set(error, error_size, "out of memory");
		goto bad;
	}
	if ((s->dirfd = store_open_dir(dir, error, error_size)) == -1 ||
	    load(s, s->items, &s->count, &s->next_generation, error,
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
		store_items_free(s->items, s->count);
	if (s->dirfd != -1)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

int
store_reload(struct store *s, char *error, size_t error_size)
{
	struct store_item **items = calloc(STORE_MAX_PLUGINS, sizeof(*items));
	uint64_t next;
	size_t count;

	if (items == NULL)
		return error_set(error, error_size, "out of memory");
	if (load(s, items, &count, &next, error, error_size) == -1) {
		free(items);
		return -1;
	}
	store_items_free(s->items, s->count);
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
/* The chain without items[left_out] (all of it when left_out < 0), in an
 * array with room for every plugin the store may hold. */
static struct store_item **
order_without(const struct store *s, ssize_t left_out, size_t *count)
{
	struct store_item **order = calloc(STORE_MAX_PLUGINS, sizeof(*order));

	*count = 0;
	if (order == NULL)
		return NULL;
	for (size_t i = 0; i < s->count; i++)
		if ((ssize_t)i != left_out)
			order[(*count)++] = s->items[i];
	return order;
}

/* Once the new order is committed: it becomes the store's, and the item it
 * dropped (dropped >= 0) loses its file and its memory. */
static void
adopt(struct store *s, struct store_item **order, size_t count,
    ssize_t dropped)
{
	if (dropped >= 0) {
		const struct store_ref *old = &s->items[dropped]->ref;
		char file[STORE_FILE_NAME_SIZE];

		store_file_name(file, old->name, old->generation);
		unlinkat(s->dirfd, file, 0);
		store_item_free(s->items[dropped]);
	}
	free(s->items);
	s->items = order;
	s->count = count;
}

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
	struct store_item **order, *item;
	struct store_ref ref;
	enum store_result r;
	size_t dest = 0, n;
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
	item = store_item_new(&ref, source);
	order = order_without(s, at, &n);
	if (item == NULL || order == NULL) {
		store_item_free(item);
		free(order);
		return result(STORE_NO_MEMORY, error, error_size, "out of "
		    "memory");
	}
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

	adopt(s, order, n, at);
	s->next_generation = ref.generation + 1;
	return STORE_OK;
remove:
	unlinkat(s->dirfd, file, 0);
undo:
	store_item_free(item);
	free(order);
	return r;
}

enum store_result
store_delete(struct store *s, const char *name, char *error,
    size_t error_size)
{
	struct store_item **order;
	enum store_result r;
	size_t n;
	ssize_t at;

	if (!store_name_valid(name))
		return result(STORE_INVALID_NAME, error, error_size, "invalid "
		    "plugin name: use " NAME_RULE);
	if ((at = store_find(s, name)) < 0)
		return result(STORE_NOT_FOUND, error, error_size, "no plugin "
		    "%s", name);
	if ((order = order_without(s, at, &n)) == NULL)
		return result(STORE_NO_MEMORY, error, error_size, "out of "
		    "memory");
	if ((r = commit(s, order, n, s->next_generation, error,
	    error_size)) != STORE_OK) {
		free(order);
		return r;
	}
	adopt(s, order, n, at);
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
