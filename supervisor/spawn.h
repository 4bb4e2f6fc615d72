/*
 * Starting a worker: fork (or clone into new namespaces), the supervisor's
 * sandbox layers between fork and exec, then exec of luaward-worker with
 * its pipes on fds 0, 1 and 2 and nothing else.
 */
#ifndef LUAWARD_SUPERVISOR_SPAWN_H
#define LUAWARD_SUPERVISOR_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../ipc/wire.h"

/* Who one worker runs as.  Each worker slot has its own (worker_uids.h):
 * set it per spawn. */
struct spawn_identity {
	bool		 drop_user;	/* started as root: become uid/gid */
	uid_t		 uid;
	gid_t		 gid;
	/* Where the uid comes from, for the user layer's detail: its own
	 * from the range, or the fallback and why. */
	char		 origin[192];
};

struct spawn_config {
	int		 worker_fd;	/* the worker binary, opened O_PATH */
	const char	*worker_path;	/* for messages */
	enum wire_mode	 namespaces;
	struct spawn_identity identity;
	uint64_t	 address_space;	/* RLIMIT_AS bytes, 0: none */
};

#define SPAWN_MAX_LAYERS	12

struct sandbox_layer {
	char		 name[32];
	bool		 applied;	/* else skipped (auto mode) */
	char		 detail[256];
};

struct spawned {
	pid_t		 pid;
	int		 to_worker;	/* its fd 0 */
	int		 from_worker;	/* its fd 1 */
	int		 log;		/* its fd 2 */
	struct sandbox_layer layers[SPAWN_MAX_LAYERS];
	size_t		 layer_count;
};

/* Returns 0, or -1 with the reason (including a failed step in the child,
 * such as a required namespace, the uid drop or a capability that could
 * not be dropped). */
int	 spawn_worker(const struct spawn_config *, struct spawned *,
	     char *error, size_t error_size);

/* Opens the worker binary for spawn_config.worker_fd; -1 with errno. */
int	 spawn_open_worker(const char *path);

#endif
