/*
 * Plugin sources as files: a directory of *.lua plugins in file-name order,
 * and the modules preloaded into every worker (Debian's dkjson.lua).
 *
 * The plugin directory is not trusted as a whole.  Each file is opened
 * relative to the opened directory without following a link, without
 * blocking and without becoming a controlling terminal, and is used only
 * if it is a regular file of at most PLUGIN_MAX_SOURCE bytes that luaward
 * may read.  A file that is not is that plugin's load error; the others
 * run.  Like sshd's StrictModes, a plugin file, the plugin directory or
 * any directory above it must be owned by root or by the user luaward
 * runs as and be writable by no one else (a directory above may be
 * writable by others when it is sticky, as /tmp is: then no one else can
 * replace what is in it); PLUGINS_ALLOW_INSECURE turns that off.
 */
#ifndef LUAWARD_SUPERVISOR_PLUGINS_H
#define LUAWARD_SUPERVISOR_PLUGINS_H

#include <stddef.h>

#define PLUGIN_MAX_SOURCE	(1u << 20)
#define DKJSON_PATH		"/usr/share/lua/5.4/dkjson.lua"

/* Flags of plugins_load_dir and plugins_load_plugin. */
#define PLUGINS_ALLOW_INSECURE	0x1	/* --allow-insecure-plugins */

struct plugin_source {
	char	*name;		/* file name without .lua */
	/* The file as the user named it (DIR/NAME.lua, or the path given),
	 * for messages; NULL: NAME.lua (the daemon's stored plugins). */
	char	*path;
	char	*source;
	size_t	 length;
	char	*load_error;	/* non-NULL: the file cannot be used, why */
};

/* Reads every *.lua in dir (dot files skipped), sorted by file name; a
 * file that cannot be used gets its load_error.  Returns 0, or -1 with
 * the reason when the directory itself cannot be read or trusted. */
int	 plugins_load_dir(const char *dir, unsigned flags,
	     struct plugin_source **, size_t *count, char *error,
	     size_t error_size);

/* Reads one plugin file by the same rules, its directory standing for
 * the plugin directory (a reason to refuse either is the load_error).
 * Returns 0, or -1 with the reason when there is no such file. */
int	 plugins_load_plugin(const char *path, unsigned flags,
	     struct plugin_source *, char *error, size_t error_size);

/* Reads a trusted file, such as a preloaded module from a Debian package
 * (links are followed: dkjson.lua is one), of at most PLUGIN_MAX_SOURCE
 * bytes; name is taken from the file name.  Returns 0, or -1 with the
 * reason. */
int	 plugins_load_file(const char *path, struct plugin_source *,
	     char *error, size_t error_size);

void	 plugins_free(struct plugin_source *, size_t count);

#endif
