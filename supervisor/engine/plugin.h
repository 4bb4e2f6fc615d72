/*
 * One plugin at run time: its workers (one or more), started, fed,
 * restarted with exponential backoff and quarantined when they fail too
 * often; its queue; its counters.  Jobs a dead worker held are never lost:
 * the one it was running gets its error, the rest go to its replacement in
 * order.
 *
 * A plugin is reference-counted: every chain that lists it holds a
 * reference (and every record in flight holds its chain), so a plugin
 * deleted at run time serves what it still has and stops only when nothing
 * can need it any more.
 */
#ifndef LUAWARD_SUPERVISOR_PLUGIN_H
#define LUAWARD_SUPERVISOR_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "../../ipc/wire.h"
#include "job.h"
#include "plugins.h"
#include "../spawn/spawn.h"
#include "../output/stats.h"
#include "worker_process.h"
#include "../spawn/worker_uids.h"

enum plugin_state {
	PLUGIN_STARTING,	/* no worker ready yet */
	PLUGIN_READY,
	PLUGIN_LOAD_FAILED,	/* every job gets a load error */
	PLUGIN_QUARANTINED,	/* every job gets a quarantined error */
};

struct plugin;

/* What every plugin's workers share; owned by the engine. */
struct plugin_config {
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
	void		(*outcome)(struct job *, const struct outcome *,
			    void *arg);
	/* A plugin nothing refers to any more has stopped its workers: the
	 * owner frees it now. */
	void		(*gone)(struct plugin *, void *arg);
	void		*arg;
};

/* A plugin with one reference, the caller's; plugin_start() starts its
 * workers.  The source is copied.  A source with a load_error never gets a
 * worker: it is PLUGIN_LOAD_FAILED from the start. */
struct plugin	*plugin_new(struct ev_loop *, const struct plugin_config *,
		     const struct plugin_source *);
void		 plugin_start(struct plugin *);
struct plugin	*plugin_ref(struct plugin *);
/* The last reference: its workers finish what they hold and exit; then
 * the config's gone() is called, and the owner frees it. */
void		 plugin_unref(struct plugin *);
/* Kills its workers and frees it whatever holds it (the end of a run). */
void		 plugin_free(struct plugin *);

const char	*plugin_name(const struct plugin *);
const char	*plugin_source_bytes(const struct plugin *, size_t *length);
enum plugin_state plugin_state(const struct plugin *, const char **reason);
/* "ready", "starting", "restarting", "load-failed" or "quarantined". */
const char	*plugin_state_name(const struct plugin *);
/* A sandbox layer could not be applied, or no worker could be started,
 * before it was ever ready: NULL if not. */
const char	*plugin_startup_error(const struct plugin *);

void		 plugin_submit(struct plugin *, struct job *);
/* Lifts a quarantine (or a load failure the operator has fixed nothing
 * for): a fresh start with no failures remembered. */
void		 plugin_reset(struct plugin *);

/* Closes every worker's input (they finish what they hold, and are killed
 * if they do not exit), or with abandon kills them at once. */
void		 plugin_shutdown(struct plugin *, bool abandon);
bool		 plugin_finished(const struct plugin *);

void		 plugin_stats(const struct plugin *, struct plugin_stats *);
/* One of its errors on an output line: errors are counted where they are
 * written, so the stats agree with the output by construction. */
void		 plugin_count_error(struct plugin *, enum error_kind);
/* The sandbox of its first worker to say READY; NULL if none has. */
const struct sandbox_report *plugin_sandbox_report(const struct plugin *);

/* What plugin_new gives a plugin's workers, for a worker started outside
 * a plugin (check, selftest); log is the plugin's allowance. */
void		 plugin_worker_setup(const struct plugin_config *,
		     const struct plugin_source *, struct log_allowance *log,
		     struct worker_setup *);

#endif
