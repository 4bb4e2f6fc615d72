/*
 * The engine: what outlives any one stream of records.  It owns the event
 * loop's plugins (every plugin alive, including one deleted that still
 * serves what it holds), the current chain, the dispatch of jobs through
 * their chains, and the byte budget of records in flight across every
 * session.  A `resolve` run is one session on an engine; each query of
 * `luaward serve` is another on the daemon's engine (session.h).
 */
#ifndef LUAWARD_SUPERVISOR_ENGINE_H
#define LUAWARD_SUPERVISOR_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "chain.h"
#include "dispatch.h"
#include "job.h"
#include "plugin.h"

/* Metadata bytes of the records in flight, all sessions together, unless
 * configured otherwise: one session may always hold one record more. */
#define ENGINE_DEFAULT_BUDGET	(64u << 20)

struct engine_config {
	struct plugin_config plugins;	/* outcome, gone, arg: the engine's */
	size_t		 budget_bytes;
	enum fallback	 fallback;	/* when no plugin decides */
};

/* Someone waiting for budget: called once when some is released. */
struct engine_waiter {
	void		(*room)(void *);
	void		*arg;
	struct engine_waiter *next;
	bool		 waiting;
};

struct engine;

struct engine	*engine_new(struct ev_loop *, const struct engine_config *);
/* Kills every worker and frees every plugin. */
void		 engine_free(struct engine *);
struct ev_loop	*engine_loop(const struct engine *);
const struct plugin_config *engine_plugin_config(const struct engine *);

/* A new plugin, started; the reference returned is the caller's. */
struct plugin	*engine_add_plugin(struct engine *,
		     const struct plugin_source *);
/* The chain new records take (the engine's reference: borrowed). */
struct chain	*engine_chain(const struct engine *);
/* Records that arrive from now on take chain (the caller's reference
 * passes to the engine); those in flight keep theirs. */
void		 engine_set_chain(struct engine *, struct chain *);

/* True once every plugin of the current chain has started or failed to
 * load; engine_startup_error() says when one cannot run at all (a sandbox
 * layer refused, a worker that cannot start). */
bool		 engine_settled(const struct engine *);
const char	*engine_startup_error(const struct engine *);

/* Walks the job through its chain (job->chain and job->finished set). */
void		 engine_submit(struct engine *, struct job *);

/* The budget: whether a session holding `held` bytes may admit another
 * record (always, when it holds none); then take and release the record's
 * bytes.  A waiter hears once when bytes are released. */
bool		 engine_budget_allows(const struct engine *, size_t held);
void		 engine_budget_take(struct engine *, size_t bytes);
void		 engine_budget_release(struct engine *, size_t bytes);
void		 engine_budget_wait(struct engine *, struct engine_waiter *);
void		 engine_budget_cancel(struct engine *, struct engine_waiter *);

/* Sessions register themselves, so that the engine frees any still alive
 * (one abandoned by its client, its jobs never back) before its plugins. */
struct session;
void		 engine_session_add(struct engine *, struct session *);
void		 engine_session_remove(struct engine *, struct session *);

/* Closes every worker's input (or, with abandon, kills them); true once
 * every worker has exited. */
void		 engine_shutdown(struct engine *, bool abandon);
bool		 engine_finished(const struct engine *);

#endif
