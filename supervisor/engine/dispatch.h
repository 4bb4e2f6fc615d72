/*
 * The plugin chain (docs/contract.md): plugins in order; the first that
 * returns two non-empty strings decides; a plugin that fails is recorded as
 * an error on the record and the chain goes on.  Each job walks the chain it
 * arrived with (job->chain), whatever has changed since.
 */
#ifndef LUAWARD_SUPERVISOR_DISPATCH_H
#define LUAWARD_SUPERVISOR_DISPATCH_H

#include <stddef.h>

#include "chain.h"
#include "job.h"
#include "plugin.h"

/* Where jobs go: the chain's plugins, or a test's stand-in. */
struct dispatch_target {
	enum plugin_state (*state)(void *, const struct chain *, size_t link,
			    const char **reason);
	void		 (*submit)(void *, const struct chain *, size_t link,
			    struct job *);
	void		*arg;
};

/* What answers when no plugin decides (--fallback). */
enum fallback {
	FALLBACK_NONE,		/* unresolved */
	FALLBACK_OWNER,		/* the pod's owner, as owner.h names it */
};

struct dispatch;

struct dispatch	*dispatch_new(const struct dispatch_target *);
void		 dispatch_set_fallback(struct dispatch *, enum fallback);
void		 dispatch_free(struct dispatch *);
/* The plugins of each job's chain as the target. */
const struct dispatch_target *dispatch_plugins(void);

/* job->finished is called exactly once per submitted job, when its status
 * is final. */
void		 dispatch_submit(struct dispatch *, struct job *);

/* What the plugin the job is at made of it (arg is the dispatch). */
void		 dispatch_outcome(struct job *, const struct outcome *,
		     void *arg);

#endif
