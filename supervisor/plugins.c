#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "plugins.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct plugin_source *)a)->name,
	    ((const struct plugin_source *)b)->name);
}

int
plugins_load_file(const char *path, struct plugin_source *plugin,
    char *error, size_t error_size)
{
	const char *base = strrchr(path, '/');
	size_t length, used = 0;
	struct stat st;
	char *source;
	int fd;

	base = base != NULL ? base + 1 : path;
	length = strlen(base);
	if (length > 4 && strcmp(base + length - 4, ".lua") == 0)
		length -= 4;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(error, error_size, "cannot read %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)PLUGIN_MAX_SOURCE) {
		snprintf(error, error_size, "%s: %s", path,
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    "larger than 1 MiB");
		close(fd);
		return -1;
	}
	source = xmalloc((size_t)st.st_size + 1);
	while (used < (size_t)st.st_size) {
		ssize_t n = read(fd, source + used, (size_t)st.st_size - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(error, error_size, "cannot read %s: %s", path,
			    n == 0 ? "file shrank while reading" :
			    strerror(errno));
			free(source);
			close(fd);
			return -1;
		}
		used += (size_t)n;
	}
	close(fd);
	source[used] = '\0';
	plugin->name = xstrndup(base, length);
	plugin->source = source;
	plugin->length = used;
	return 0;
}

int
plugins_load_dir(const char *dir, struct plugin_source **plugins,
    size_t *count, char *error, size_t error_size)
{
	struct plugin_source *list = NULL;
	struct dirent *entry;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		snprintf(error, error_size, "cannot read plugin directory %s: "
		    "%s", dir, strerror(errno));
		return -1;
	}
	while ((entry = readdir(d)) != NULL) {
		size_t length = strlen(entry->d_name);
		char path[4096];

		if (entry->d_name[0] == '.' || length <= 4 ||
		    strcmp(entry->d_name + length - 4, ".lua") != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    entry->d_name) >= sizeof(path)) {
			snprintf(error, error_size, "%s/%s: path too long", dir,
			    entry->d_name);
			goto fail;
		}
		list = xrealloc(list, (n + 1) * sizeof(*list));
		if (plugins_load_file(path, &list[n], error, error_size) == -1)
			goto fail;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(list, n, sizeof(*list), by_name);
	*plugins = list;
	*count = n;
	return 0;
fail:
	closedir(d);
	plugins_free(list, n);
	return -1;
}

void
plugins_free(struct plugin_source *plugins, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(plugins[i].name);
		free(plugins[i].source);
	}
	free(plugins);
}
