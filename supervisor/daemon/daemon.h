/*
 * The daemon's state: the engine, the plugin store and the registry that
 * ties them (each stored plugin and the running plugin made of it, in
 * chain order), the listening socket and the connections.  The operations
 * the control requests ask for live here; connection.c only speaks the
 * protocol.  Nothing on a request's path ends the daemon: a request that
 * cannot be done gets an ERROR reply.
 */
#ifndef LUAWARD_SUPERVISOR_DAEMON_H
#define LUAWARD_SUPERVISOR_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <ev.h>

#include "../../ipc/buffer.h"
#include "../../ipc/control.h"
#include "../engine/engine.h"
#include "../options.h"
#include "../engine/session.h"
#include "../setup.h"
#include "../output/stats.h"
#include "store.h"

/* Documented defaults (docs/luaward.1, docs/contract.md). */
#define DAEMON_STATE_DIR	"/var/lib/luaward"
#define DAEMON_SOCKET		"/run/luaward/luaward.sock"
#define DAEMON_MAX_CONNECTIONS	64
#define DAEMON_CLIENT_TIMEOUT_S	60
/* How long SIGTERM waits for queries in flight before it kills workers. */
#define DAEMON_STOP_GRACE_S	10

struct connection;

struct registered {
	char		*name;
	char		 sha256[STORE_SHA256_HEX + 1];
	struct plugin	*plugin;	/* a reference */
};

struct daemon {
	struct ev_loop		*loop;
	struct options		 options;
	struct setup		*setup;
	struct engine		*engine;
	struct store		*store;
	char			*state_dir;
	char			*socket_path;
	struct registered	*registry;	/* chain order */
	size_t			 registered;
	int			 listen_fd;
	ev_io			 acceptor;
	struct connection	*connections;
	size_t			 connection_count;
	struct run_stats	 totals;	/* every finished query */
	double			 started;
	bool			 stopping;
};

/* The operations behind the control requests.  Each replies into out (one
 * whole frame) and returns the client's exit-worthy error code or -1 for
 * success, so callers only frame; peer names who asked, for the audit. */
void	 daemon_list(struct daemon *, struct buffer *out);
void	 daemon_stats(struct daemon *, enum control_format,
	     struct buffer *out);
void	 daemon_delete(struct daemon *, const char *name,
	     const struct ucred *peer, struct buffer *out);
void	 daemon_reset(struct daemon *, const char *name,
	     const struct ucred *peer, struct buffer *out);
/* After validation: store the plugin and put it in the chain. */
void	 daemon_commit_create(struct daemon *, const char *name,
	     const char *source, size_t length, bool replace,
	     enum control_position, const char *anchor,
	     const struct ucred *peer, struct buffer *out);
/* Before validation: the checks that need no worker (name, size, exists,
 * anchor).  Returns true when the create may go on; else out holds the
 * ERROR reply. */
bool	 daemon_precheck_create(struct daemon *, const char *name,
	     size_t length, bool replace, enum control_position,
	     const char *anchor, struct buffer *out);

/* A query finished: counted in the daemon's totals. */
void	 daemon_count_query(struct daemon *, const struct run_stats *);

/* Rebuilds the registry and the engine's chain from the store (start,
 * SIGHUP, and after every change). */
void	 daemon_sync(struct daemon *);

/* Connections (connection.c). */
void	 connection_accept(struct daemon *, int fd);
void	 connection_free_all(struct daemon *);
/* Stop reading new requests (SIGTERM): queries in flight finish. */
void	 connection_stop_all(struct daemon *);
/* True while some query is still running. */
bool	 connection_any_busy(const struct daemon *);

#endif
