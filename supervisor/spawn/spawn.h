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

#include "../../ipc/wire.h"

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

/*
 * A worker between its clone and its exec.  The child's steps report
 * through a status pipe that ends at its exec (or exit); the loop watches
 * `status` and calls spawn_continue() when it is readable, so starting a
 * worker never holds the loop while the child sets itself up.
 */
struct spawn_pending {
	struct spawn_config config;	/* a copy: identity is per spawn */
	int		 status;	/* the status pipe, non-blocking; -1 */
	int		 clone_flags;
	int		 last_cap;
	char		 clone_note[128];
	char		 report[2048];
	size_t		 used;
};

/* Clones the child.  Returns 0 with out's pid and pipes (non-blocking,
 * usable at once), or -1 with the reason (a pipe, the clone, namespaces
 * that are required but refused). */
int	 spawn_begin(const struct spawn_config *, struct spawned *out,
	     struct spawn_pending *, char *error, size_t error_size);
/* Reads the child's report.  Returns 1 while it has neither exec'd nor
 * exited; 0 once it has exec'd, with out's layers; -1 with the reason a
 * step failed (the child exits: a required namespace, the uid drop, a
 * capability that could not be dropped), after which the caller kills
 * it.  The status pipe is closed once this returns 0 or -1. */
int	 spawn_continue(struct spawn_pending *, struct spawned *out,
	     char *error, size_t error_size);
void	 spawn_pending_close(struct spawn_pending *);

/* Opens the worker binary for spawn_config.worker_fd; -1 with errno. */
int	 spawn_open_worker(const char *path);

#endif
