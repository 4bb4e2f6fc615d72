/*
 * The daemon's control socket: a Unix stream socket, created with mode
 * 0600 unless the operator widens it, and a lock beside it so that two
 * daemons never share one path.  A socket left by a daemon that died is
 * replaced; one a live daemon holds makes startup fail with the reason.
 */
#ifndef LUAWARD_SUPERVISOR_LISTENER_H
#define LUAWARD_SUPERVISOR_LISTENER_H

struct listener {
	int	 fd;		/* listening, non-blocking */
	int	 lock_fd;	/* PATH.lock, held for the daemon's life */
	char	*path;
};

/* Startup: ends the process with status 2 and the reason on failure. */
void	 listener_open(struct listener *, const char *path, unsigned mode,
	     const char *group);
/* Closes the socket and removes its path (and the lock's). */
void	 listener_close(struct listener *);

#endif
