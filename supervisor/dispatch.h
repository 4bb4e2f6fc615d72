/*
 * The plugin chain (DESIGN.md): plugins in order; the first that returns two
 * non-empty strings decides; a plugin that fails is recorded as an error on
 * the record and the chain goes on.
 */
#ifndef LUAWARD_SUPERVISOR_DISPATCH_H
#define LUAWARD_SUPERVISOR_DISPATCH_H

#include <stddef.h>

#include "job.h"
#include "pool.h"

/* Where jobs go: the pool, or a test's stand-in. */
struct dispatch_target {
	enum plugin_state (*state)(void *, size_t plugin, const char **reason);
	void		 (*submit)(void *, size_t plugin, struct job *);
	void		*arg;
};

struct dispatch;

/* done() is called exactly once per submitted job, when its status is
 * final. */
struct dispatch	*dispatch_new(size_t plugin_count,
		     void (*done)(struct job *, void *), void *arg);
void		 dispatch_free(struct dispatch *);
void		 dispatch_set_target(struct dispatch *,
		     const struct dispatch_target *);
/* The pool as a target. */
void		 dispatch_set_pool(struct dispatch *, struct pool *);

void		 dispatch_submit(struct dispatch *, struct job *);

/* The pool's outcome callback (arg is the dispatch). */
void		 dispatch_outcome(struct job *, size_t plugin,
		     const struct outcome *, void *arg);

#endif
