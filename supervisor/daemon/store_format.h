/*
 * The plugin store's two file formats (store.h describes the directory).
 * Both are text headers a person can read with `head`, parsed strictly:
 *
 *   manifest                          NAME@GEN.lua
 *   luaward-store 1                   luaward-plugin 1
 *   next-generation 8                 name web
 *   plugin web 7 1718000000 SHA LEN   generation 7
 *   plugin db 3 1717990000 SHA LEN    created 1718000000
 *   end SHA-OF-THE-LINES-ABOVE        sha256 SHA-OF-THE-SOURCE
 *                                     length LEN
 *                                     (an empty line, then LEN bytes)
 *
 * Numbers are decimal without sign or leading zeros; SHA is 64 lowercase
 * hex digits; a manifest's plugin lines are in chain order.
 */
#ifndef LUAWARD_SUPERVISOR_STORE_FORMAT_H
#define LUAWARD_SUPERVISOR_STORE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "../../ipc/buffer.h"
#include "store.h"

#define STORE_MANIFEST		"manifest"
#define STORE_MANIFEST_CORRUPT	"manifest.corrupt"
#define STORE_TEMP_PREFIX	".tmp-"
#define STORE_MANIFEST_MAX	(64u << 10)
#define STORE_HEADER_MAX	512
/* NAME@GEN.lua with the longest name and generation. */
#define STORE_FILE_NAME_SIZE	(STORE_MAX_NAME + 1 + 20 + 4 + 1)

/* What the manifest says of one plugin, and the header of its file. */
struct store_ref {
	char		 name[STORE_MAX_NAME + 1];
	uint64_t	 generation;	/* 1 or more, unique in the directory */
	int64_t		 created;
	char		 sha256[STORE_SHA256_HEX + 1];
	size_t		 length;
};

void	 store_file_name(char out[STORE_FILE_NAME_SIZE], const char *name,
	     uint64_t generation);
/* 0 with name and generation when file is a plugin file's name, else -1. */
int	 store_parse_file_name(const char *file,
	     char name[STORE_MAX_NAME + 1], uint64_t *generation);

/* The header of a plugin file; returns its length (< STORE_HEADER_MAX). */
size_t	 store_format_header(char out[STORE_HEADER_MAX],
	     const struct store_ref *);
/*
 * A whole plugin file: its header into ref, its source at *source.  The
 * source must be exactly the header's length and match its sha256.
 * Returns 0, or -1 with the reason.
 */
int	 store_parse_plugin(const char *data, size_t length,
	     struct store_ref *, const char **source, char *error,
	     size_t error_size);

/* Appends a whole manifest.  Returns -1 when memory runs out. */
int	 store_format_manifest(struct buffer *, const struct store_ref *const *,
	     size_t count, uint64_t next_generation);
/*
 * A whole manifest: *refs (allocated, count entries, at most
 * STORE_MAX_PLUGINS, names unique, generations below next_generation).
 * Returns 0, or -1 with the reason (naming the line).
 */
int	 store_parse_manifest(const char *data, size_t length,
	     struct store_ref **refs, size_t *count,
	     uint64_t *next_generation, char *error, size_t error_size);

#endif
