/*
 * The pool owns the workers: one or more per plugin, started, fed, given
 * deadlines, restarted with exponential backoff, and quarantined when they
 * fail too often.  Jobs a dead worker held are never lost: the one it was
 * running gets its error, the rest go to its replacement in order.
 */
#ifndef LUAWARD_SUPERVISOR_POOL_H
#define LUAWARD_SUPERVISOR_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "../ipc/wire.h"
#include "job.h"
#include "plugins.h"
#include "spawn.h"
#include "stats.h"
#include "worker_process.h"
#include "worker_uids.h"

enum plugin_state {
	PLUGIN_STARTING,	/* no worker ready yet */
	PLUGIN_READY,
	PLUGIN_LOAD_FAILED,	/* every job gets a load error */
	PLUGIN_QUARANTINED,	/* every job gets a quarantined error */
};

struct pool_config {
	const struct plugin_source *plugins;
	size_t		 plugin_count;
	const struct plugin_source *modules;	/* preloaded in every worker */
	size_t		 module_count;
	const void	*filter;		/* compiled seccomp policy */
	size_t		 filter_length;
	struct spawn_config spawn;
	struct worker_uids *uids;	/* a uid per slot; NULL: spawn's */
	enum wire_mode	 landlock;
	uint32_t	 call_timeout_ms;
	uint32_t	 load_timeout_ms;
	uint64_t	 memory_bytes;
	unsigned	 workers_per_plugin;
	unsigned	 pipeline_depth;	/* requests in flight per worker */
	uint32_t	 restart_delay_ms;	/* first backoff step */
	uint32_t	 restart_delay_max_ms;
	unsigned	 max_restarts;		/* within the window ... */
	uint32_t	 restart_window_s;	/* ... before quarantine */

	/* Every job submitted comes back here exactly once per submit. */
	void		(*outcome)(struct job *, size_t plugin,
			    const struct outcome *, void *arg);
	void		*arg;
};

struct pool;

struct pool	*pool_new(struct ev_loop *, const struct pool_config *);
void		 pool_free(struct pool *);

/* Starts every plugin's workers. */
void		 pool_start(struct pool *);

/* True once every plugin is ready or has failed to load.  A sandbox layer
 * that could not be applied, or a worker that cannot be started at all,
 * is a startup error: pool_startup_error() returns its message. */
bool		 pool_settled(const struct pool *);
const char	*pool_startup_error(const struct pool *);

enum plugin_state pool_plugin_state(const struct pool *, size_t plugin,
		     const char **reason);
void		 pool_submit(struct pool *, size_t plugin, struct job *);

/* Closes every worker's input; true once all have exited. */
void		 pool_shutdown(struct pool *);
bool		 pool_finished(const struct pool *);

const struct plugin_stats *pool_stats(const struct pool *, size_t plugin);

/* The sandbox of the plugin's first worker to say READY; NULL if none
 * has. */
const struct sandbox_report *pool_sandbox_report(const struct pool *,
		     size_t plugin);

/* What pool_new gives a plugin's workers, for a worker started outside a
 * pool (check, selftest); log is the plugin's allowance. */
void		 pool_worker_setup(const struct pool_config *,
		     const struct plugin_source *, struct log_allowance *log,
		     struct worker_setup *);

#endif
