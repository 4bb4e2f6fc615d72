/*
 * The client side of the control socket, for the commands that talk to
 * `luaward serve`: plugin create|list|delete|reset, query, stats.  Each
 * failure is one line on stderr and a distinct exit status, so a script
 * can tell them apart.
 */
#ifndef LUAWARD_SUPERVISOR_CLIENT_H
#define LUAWARD_SUPERVISOR_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../../ipc/buffer.h"
#include "../../ipc/control.h"

/* Exit statuses of the client commands, beyond log.h's 0, 1 and 2. */
#define EXIT_NO_DAEMON		3	/* nothing listens on the socket */
#define EXIT_PERMISSION		4	/* the socket refuses this user */
#define EXIT_PLUGIN_EXISTS	5	/* create without --replace */
#define EXIT_NO_SUCH_PLUGIN	6	/* delete, reset, --before/--after */
#define EXIT_INVALID_PLUGIN	7	/* does not load, bad name, too large */
#define EXIT_DAEMON_ERROR	8	/* the daemon refused otherwise */

struct client {
	int			 fd;
	const char		*socket_path;
	struct buffer		 in, out;
	struct control_decoder	*decoder;
	size_t			 pending;	/* the last reply's frame */
};

/* Connects and says HELLO; returns 0, or an exit status after saying why
 * on stderr. */
int	 client_open(struct client *, const char *socket_path);
void	 client_close(struct client *);

/* Sends what out holds, then waits for one reply.  Returns 0 with the
 * reply (valid until the next call), or an exit status after saying why. */
int	 client_exchange(struct client *, struct control_message *reply);

/* An ERROR reply's exit status, after printing its message. */
int	 client_refused(const struct control_message *);

/* The command that runs a query: records from FILEs (stdin when none) to
 * the daemon and its lines to stdout. */
int	 client_query(struct client *, char *const *paths, size_t count);

#endif
