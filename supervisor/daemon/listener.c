#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listener.h"
#include "../log.h"

/* The socket's directory, made (0755) when it is missing: /run/luaward
 * does not survive a reboot. */
static void
make_parent(const char *path)
{
	char *copy = xstrdup(path), *slash = strrchr(copy, '/');

	if (slash != NULL && slash != copy) {
		*slash = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST)
			fatal("cannot create the socket's directory %s", copy);
	}
	free(copy);
}

/* Whether a daemon answers on path. */
static bool
someone_listens(const struct sockaddr_un *address)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool listening;

	if (fd == -1)
		fatal("socket");
	listening = connect(fd, (const struct sockaddr *)address,
	    sizeof(*address)) == 0;
	close(fd);
	return listening;
}

void
listener_open(struct listener *l, const char *path, unsigned mode,
    const char *group)
{
	struct sockaddr_un address;
	char lock_path[sizeof(address.sun_path) + 8];
	struct stat st;
	mode_t old_mask;

	memset(l, 0, sizeof(*l));
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(address.sun_path))
		fatalx("--socket %s: longer than the %zu bytes a Unix socket "
		    "path may have", path, sizeof(address.sun_path) - 1);
	memcpy(address.sun_path, path, strlen(path) + 1);
	make_parent(path);

	/* The lock makes "is another daemon here?" a question with one
	 * answer even when two start at once. */
	snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
	if ((l->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		fatal("cannot open the socket's lock %s", lock_path);
	if (flock(l->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			fatalx("another luaward serve is running on %s", path);
		fatal("cannot lock %s", lock_path);
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatalx("--socket %s exists and is not a socket: not "
			    "replacing it", path);
		if (someone_listens(&address))
			fatalx("another program is listening on %s", path);
		log_info("replacing the stale socket %s", path);
		if (unlink(path) == -1)
			fatal("cannot remove the stale socket %s", path);
	}
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		fatal("socket");
	/* Born 0600: there is no moment when others may connect. */
	old_mask = umask(0177);
	if (bind(l->fd, (struct sockaddr *)&address, sizeof(address)) == -1) {
		umask(old_mask);
		fatal("cannot bind %s", path);
	}
	umask(old_mask);
	l->path = xstrdup(path);
	if (group != NULL) {
		struct group *g;

		errno = 0;
		if ((g = getgrnam(group)) == NULL)
			fatalx("--socket-group %s: no such group", group);
		if (chown(path, (uid_t)-1, g->gr_gid) == -1)
			fatal("cannot give %s to group %s", path, group);
	}
	if (chmod(path, (mode_t)mode) == -1)
		fatal("cannot set the mode of %s", path);
	if (listen(l->fd, 128) == -1)
		fatal("cannot listen on %s", path);
}

void
listener_close(struct listener *l)
{
	char lock_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];

	if (l->path == NULL)
		return;
	close(l->fd);
	(void)unlink(l->path);
	snprintf(lock_path, sizeof(lock_path), "%s.lock", l->path);
	(void)unlink(lock_path);
	close(l->lock_fd);
	free(l->path);
	l->path = NULL;
}
