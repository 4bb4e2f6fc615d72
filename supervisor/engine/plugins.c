#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../log.h"
#include "plugins.h"

/* No path is that deep; a loop that never reaches / must still end. */
#define MAX_ANCESTORS		(PATH_MAX / 2)

#define INSECURE_HINT		" (--allow-insecure-plugins accepts it)"

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct plugin_source *)a)->name,
	    ((const struct plugin_source *)b)->name);
}

/* The name of a plugin file: its name without .lua. */
static char *
plugin_name(const char *file)
{
	size_t length = strlen(file);

	if (length > 4 && strcmp(file + length - 4, ".lua") == 0)
		length -= 4;
	return xstrndup(file, length);
}

/* A file of the plugin directory as the user would name it: DIR/FILE,
 * with no second slash when DIR ends in one. */
static char *
plugin_path(const char *dir, const char *file)
{
	size_t length = strlen(dir);
	bool slash = length > 0 && dir[length - 1] == '/';
	char *path = xmalloc(length + !slash + strlen(file) + 1);

	memcpy(path, dir, length);
	if (!slash)
		path[length++] = '/';
	strcpy(path + length, file);
	return path;
}

static const char *
file_type(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISDIR(mode))
		return "a directory";
	return "of an unknown type";
}

/* Why a file of this mode is not a plugin; NULL for a regular file. */
static const char *
not_regular(mode_t mode, char *why, size_t size)
{
	if (S_ISREG(mode))
		return NULL;
	if (S_ISLNK(mode))
		snprintf(why, size, "a symbolic link; plugins are never "
		    "followed through links");
	else
		snprintf(why, size, "not a regular file: it is %s",
		    file_type(mode));
	return why;
}

/*
 * sshd's StrictModes for one file or directory: owned by root or by the
 * user luaward runs as, and writable by no other user.  A sticky directory
 * may be writable by others: no one else can rename or remove what is in
 * it.  Returns NULL, or why it is refused.
 */
static const char *
untrusted(const struct stat *st, bool sticky_ok, char *why, size_t size)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me)
		snprintf(why, size, "owned by uid %lu, neither root nor the "
		    "user luaward runs as (uid %lu)", (unsigned long)st->st_uid,
		    (unsigned long)me);
	else if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(sticky_ok && (st->st_mode & S_ISVTX) != 0))
		snprintf(why, size, "writable by %s (mode %04o)",
		    (st->st_mode & S_IWOTH) != 0 ? "every user" :
		    "its group", (unsigned)(st->st_mode & 07777));
	else
		return NULL;
	return why;
}

/*
 * The plugin directory (fd, shown as path) and every directory above it,
 * up to /, must be trusted: whoever can write to one of them can replace
 * the plugins.  The walk goes through "..", so it checks the directories
 * the opened one really is in.  Returns 0, or -1 with the reason.
 */
static int
check_directory(int fd, const char *path, char *error, size_t error_size)
{
	char why[160], shown[PATH_MAX], *slash;
	struct stat st, up;
	int current = -1, status = -1;

	if (realpath(path, shown) == NULL)
		snprintf(shown, sizeof(shown), "%s", path);
	if (fstat(fd, &st) == -1) {
		snprintf(error, error_size, "plugin directory %s: %s", shown,
		    strerror(errno));
		return -1;
	}
	if (untrusted(&st, false, why, sizeof(why)) != NULL) {
		snprintf(error, error_size, "plugin directory %s: %s"
		    INSECURE_HINT, shown, why);
		return -1;
	}
	if ((current = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		goto failed;
	for (int depth = 0; depth < MAX_ANCESTORS; depth++) {
		/* O_PATH: a directory above may be searchable only. */
		int parent = openat(current, "..", O_PATH | O_DIRECTORY |
		    O_CLOEXEC);

		if (parent == -1)
			goto failed;
		close(current);
		current = parent;
		if (fstat(current, &up) == -1)
			goto failed;
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino) {
			status = 0;		/* / is its own parent */
			goto done;
		}
		st = up;
		if ((slash = strrchr(shown, '/')) != NULL)
			*(slash == shown ? slash + 1 : slash) = '\0';
		if (untrusted(&up, true, why, sizeof(why)) != NULL) {
			snprintf(error, error_size, "plugin directory %s: the "
			    "directory %s above it is %s" INSECURE_HINT, path,
			    shown, why);
			goto done;
		}
	}
	errno = ELOOP;
failed:
	snprintf(error, error_size, "plugin directory %s: cannot check the "
	    "directories above it: %s", path, strerror(errno));
done:
	if (current != -1)
		close(current);
	return status;
}

/*
 * Reads fd whole, at most PLUGIN_MAX_SOURCE bytes whatever its size said:
 * a file may grow after fstat.  Returns the NUL-terminated source, or NULL
 * with the reason.
 */
static char *
read_source(int fd, const struct stat *st, size_t *length, char *why,
    size_t size)
{
	size_t capacity = (size_t)st->st_size + 1, used = 0;
	char *source;

	if (st->st_size > (off_t)PLUGIN_MAX_SOURCE) {
		snprintf(why, size, "larger than 1 MiB (%lld bytes)",
		    (long long)st->st_size);
		return NULL;
	}
	source = xmalloc(capacity);
	for (;;) {
		ssize_t n;

		if (used == capacity - 1) {
			if (used == PLUGIN_MAX_SOURCE + 1) {
				snprintf(why, size, "larger than 1 MiB (it "
				    "grew while being read)");
				free(source);
				return NULL;
			}
			/* One byte more than the limit tells "too large". */
			capacity = used + 4096 < PLUGIN_MAX_SOURCE + 2 ?
			    used + 4096 + 1 : PLUGIN_MAX_SOURCE + 2;
			source = xrealloc(source, capacity);
		}
		n = read(fd, source + used, capacity - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, size, "cannot be read: %s",
			    strerror(errno));
			free(source);
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	source[used] = '\0';
	*length = used;
	return source;
}

/*
 * One plugin file, name in the directory dirfd: never through a link,
 * never a FIFO or a device (it is not even opened), never blocking.
 * Fills plugin, with its load_error when the file cannot be used.
 */
static void
load_plugin_at(int dirfd, const char *name, const char *path, unsigned flags,
    struct plugin_source *plugin)
{
	char why[256];
	struct stat st;
	int fd = -1;

	memset(plugin, 0, sizeof(*plugin));
	plugin->name = plugin_name(name);
	plugin->path = xstrdup(path);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(why, sizeof(why), "cannot be read: %s",
		    strerror(errno));
		goto refused;
	}
	if (not_regular(st.st_mode, why, sizeof(why)) != NULL)
		goto refused;
	/* It may have been replaced since: open it as what it is now. */
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) == -1) {
		if (errno == ELOOP)
			not_regular(S_IFLNK, why, sizeof(why));
		else if (errno == EACCES || errno == EPERM)
			snprintf(why, sizeof(why), "permission denied");
		else
			snprintf(why, sizeof(why), "cannot be opened: %s",
			    strerror(errno));
		goto refused;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, sizeof(why), "cannot be read: %s",
		    strerror(errno));
		goto refused;
	}
	if (not_regular(st.st_mode, why, sizeof(why)) != NULL)
		goto refused;
	if (!(flags & PLUGINS_ALLOW_INSECURE) &&
	    untrusted(&st, false, why, sizeof(why) - strlen(INSECURE_HINT)) !=
	    NULL) {
		strcat(why, INSECURE_HINT);
		goto refused;
	}
	if ((plugin->source = read_source(fd, &st, &plugin->length, why,
	    sizeof(why))) == NULL)
		goto refused;
	close(fd);
	return;
refused:
	if (fd != -1)
		close(fd);
	plugin->load_error = xstrdup(why);
}

int
plugins_load_plugin(const char *path, unsigned flags,
    struct plugin_source *plugin, char *error, size_t error_size)
{
	const char *slash = strrchr(path, '/'), *base;
	char *dir, directory_error[PATH_MAX + 256];
	struct stat st;
	int dirfd;

	base = slash != NULL ? slash + 1 : path;
	if (*base == '\0') {
		snprintf(error, error_size, "cannot read %s: not a file name",
		    path);
		return -1;
	}
	dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	if ((dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		/* A name that is not there is the caller's mistake. */
		snprintf(error, error_size, "cannot read %s: %s", path,
		    strerror(errno));
		if (dirfd != -1)
			close(dirfd);
		free(dir);
		return -1;
	}
	if (!(flags & PLUGINS_ALLOW_INSECURE) && check_directory(dirfd, dir,
	    directory_error, sizeof(directory_error)) == -1) {
		memset(plugin, 0, sizeof(*plugin));
		plugin->name = plugin_name(base);
		plugin->path = xstrdup(path);
		plugin->load_error = xstrdup(directory_error);
	} else
		load_plugin_at(dirfd, base, path, flags, plugin);
	close(dirfd);
	free(dir);
	return 0;
}

int
plugins_load_file(const char *path, struct plugin_source *plugin,
    char *error, size_t error_size)
{
	const char *base = strrchr(path, '/');
	char why[256];
	struct stat st;
	int fd;

	base = base != NULL ? base + 1 : path;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(error, error_size, "cannot read %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	memset(plugin, 0, sizeof(*plugin));
	if (not_regular(st.st_mode, why, sizeof(why)) != NULL ||
	    (plugin->source = read_source(fd, &st, &plugin->length, why,
	    sizeof(why))) == NULL) {
		snprintf(error, error_size, "%s: %s", path, why);
		close(fd);
		return -1;
	}
	close(fd);
	plugin->name = plugin_name(base);
	return 0;
}

int
plugins_load_dir(const char *dir, unsigned flags,
    struct plugin_source **plugins, size_t *count, char *error,
    size_t error_size)
{
	struct plugin_source *list = NULL;
	struct dirent *entry;
	size_t n = 0;
	DIR *d;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(error, error_size, "cannot read plugin directory %s: "
		    "%s", dir, strerror(errno));
		return -1;
	}
	if (!(flags & PLUGINS_ALLOW_INSECURE) &&
	    check_directory(fd, dir, error, error_size) == -1) {
		close(fd);
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		snprintf(error, error_size, "cannot read plugin directory %s: "
		    "%s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		size_t length;
		char *path;

		errno = 0;
		if ((entry = readdir(d)) == NULL)
			break;
		length = strlen(entry->d_name);
		if (entry->d_name[0] == '.' || length <= 4 ||
		    strcmp(entry->d_name + length - 4, ".lua") != 0)
			continue;
		list = xrealloc(list, (n + 1) * sizeof(*list));
		path = plugin_path(dir, entry->d_name);
		load_plugin_at(dirfd(d), entry->d_name, path, flags,
		    &list[n++]);
		free(path);
	}
	if (errno != 0) {
		snprintf(error, error_size, "cannot read plugin directory %s: "
		    "%s", dir, strerror(errno));
		closedir(d);
		plugins_free(list, n);
		return -1;
	}
	closedir(d);
	if (n > 1)
		qsort(list, n, sizeof(*list), by_name);
	*plugins = list;
	*count = n;
	return 0;
}

void
plugins_free(struct plugin_source *plugins, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(plugins[i].name);
		free(plugins[i].path);
		free(plugins[i].source);
		free(plugins[i].load_error);
	}
	free(plugins);
}
