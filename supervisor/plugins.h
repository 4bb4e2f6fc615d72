/*
 * Plugin sources as files: a directory of *.lua plugins in file-name order,
 * and the modules preloaded into every worker (Debian's dkjson.lua).
 */
#ifndef LUAWARD_SUPERVISOR_PLUGINS_H
#define LUAWARD_SUPERVISOR_PLUGINS_H

#include <stddef.h>

#define PLUGIN_MAX_SOURCE	(1u << 20)
#define DKJSON_PATH		"/usr/share/lua/5.4/dkjson.lua"

struct plugin_source {
	char	*name;		/* file name without .lua */
	char	*source;
	size_t	 length;
};

/* Reads every *.lua in dir (dot files skipped), sorted by file name.
 * Returns 0, or -1 with the reason. */
int	 plugins_load_dir(const char *dir, struct plugin_source **,
	     size_t *count, char *error, size_t error_size);

/* Reads one file of at most PLUGIN_MAX_SOURCE bytes; name is taken from the
 * file name.  Returns 0, or -1 with the reason. */
int	 plugins_load_file(const char *path, struct plugin_source *,
	     char *error, size_t error_size);

void	 plugins_free(struct plugin_source *, size_t count);

#endif
