/*
 * The plugin store: the daemon's plugins in its state directory, in chain
 * order, kept across restarts and crashes.
 *
 * The directory (created mode 0700; refused when another user owns it or
 * when group or others may write to it) holds
 *   manifest        the chain, one line per plugin, in order, ending with a
 *                   checksum line; replacing it (rename) is the single commit
 *                   point of every change
 *   NAME@GEN.lua    one version of one plugin: a short header (name,
 *                   generation, creation time, sha256, length), then its
 *                   source.  A replace writes a new generation.
 *   .tmp-*          a file being written; removed when left over
 *   manifest.corrupt  a damaged manifest, put aside when the chain was
 *                   rebuilt from the plugin files
 * Every file is written as a temporary file, fsynced, renamed into place,
 * and the directory fsynced, the manifest last: a crash at any instant
 * leaves the old chain or the new one.  A plugin file is trusted only when
 * its header and its source's sha256 agree with the manifest; one the
 * manifest does not name is a leftover of a change that never committed,
 * removed when the directory is read.  Other files are reported and left
 * alone.
 *
 * Plugin names: 1 to STORE_MAX_NAME characters from A-Z a-z 0-9 . _ -,
 * the first a letter or a digit, so that no name is a path, a dot file
 * or one of the store's own files.
 */
#ifndef LUAWARD_SUPERVISOR_STORE_H
#define LUAWARD_SUPERVISOR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../engine/plugins.h"

#define STORE_MAX_NAME		64
#define STORE_MAX_PLUGINS	256
#define STORE_MAX_SOURCE	PLUGIN_MAX_SOURCE
#define STORE_SHA256_HEX	64	/* lowercase hex digits */

enum store_position {
	STORE_END,	/* a new plugin goes last, a replaced one stays */
	STORE_BEFORE,		/* right before the anchor */
	STORE_AFTER,		/* right after the anchor */
};

enum store_result {
	STORE_OK = 0,
	STORE_INVALID_NAME,	/* not a valid plugin name */
	STORE_EXISTS,		/* put without replace: the name is taken */
	STORE_NOT_FOUND,	/* delete: no plugin of that name */
	STORE_NO_ANCHOR,	/* before/after: no such plugin, or itself */
	STORE_TOO_LARGE,	/* source longer than STORE_MAX_SOURCE */
	STORE_FULL,		/* already STORE_MAX_PLUGINS plugins */
	STORE_NO_MEMORY,
	STORE_IO,		/* writing failed: nothing changed */
};

struct store_entry {
	const char	*name;
	const char	*source;	/* length bytes, then a NUL */
	size_t		 length;
	const char	*sha256;	/* STORE_SHA256_HEX digits, NUL-ended */
	int64_t		 created;	/* this version, seconds since epoch */
};

struct store;

/*
 * Opens dir (creating it, mode 0700, when missing) and loads its chain.
 * Files that are damaged, foreign or left by an interrupted change are
 * reported with log_warnx() / log_info() and skipped; a missing or damaged
 * manifest is rebuilt from the plugin files in order of creation.  Returns
 * NULL with the reason only when the directory itself cannot be used: it
 * cannot be created or read, it is unsafe, or another process holds it.
 */
struct store	*store_open(const char *dir, char *error, size_t error_size);
void		 store_free(struct store *);

size_t		 store_count(const struct store *);
/* Chain order, 0 first.  The entry and its strings stay valid until that
 * plugin is replaced or deleted, or the store is reloaded or freed. */
const struct store_entry *store_entry(const struct store *, size_t index);
/* The index of the plugin called name, or -1. */
ssize_t		 store_find(const struct store *, const char *name);

/*
 * Stores a plugin.  Without replace, an existing name is STORE_EXISTS;
 * with it, the plugin's source is replaced (and a missing one created).
 * A new plugin goes last and a replaced one keeps its place, unless
 * position puts it before or after anchor (another plugin).  Durable when
 * it returns STORE_OK; any other result leaves the store as it was, with
 * the reason in error.
 */
enum store_result store_put(struct store *, const char *name,
		     const char *source, size_t length, bool replace,
		     enum store_position, const char *anchor, char *error,
		     size_t error_size);
/* STORE_OK, STORE_INVALID_NAME, STORE_NOT_FOUND, STORE_NO_MEMORY or
 * STORE_IO, as store_put(). */
enum store_result store_delete(struct store *, const char *name,
		     char *error, size_t error_size);

/*
 * Reads the directory again (after a change made outside this process),
 * with store_open()'s reporting and repairs.  Returns 0, or -1 with the
 * reason when it cannot be read at all; the store is then unchanged.
 */
int		 store_reload(struct store *, char *error, size_t error_size);

bool		 store_name_valid(const char *name);
/* The sha256 of bytes in lowercase hex. */
void		 store_sha256(const char *bytes, size_t length,
		     char hex[STORE_SHA256_HEX + 1]);
const char	*store_result_name(enum store_result);

#endif
