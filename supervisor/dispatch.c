#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "log.h"
#include "pool.h"
#include "result.h"

struct dispatch {
	struct dispatch_target target;
	size_t		 plugin_count;
	void		(*done)(struct job *, void *);
	void		*arg;
};

struct dispatch *
dispatch_new(size_t plugin_count, void (*done)(struct job *, void *),
    void *arg)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));

	d->plugin_count = plugin_count;
	d->done = done;
	d->arg = arg;
	return d;
}

void
dispatch_free(struct dispatch *d)
{
	free(d);
}

void
dispatch_set_target(struct dispatch *d, const struct dispatch_target *target)
{
	d->target = *target;
}

static enum plugin_state
pool_state(void *pool, size_t plugin, const char **reason)
{
	return pool_plugin_state(pool, plugin, reason);
}

static void
pool_take(void *pool, size_t plugin, struct job *job)
{
	pool_submit(pool, plugin, job);
}

void
dispatch_set_pool(struct dispatch *d, struct pool *pool)
{
	struct dispatch_target target = { pool_state, pool_take, pool };

	dispatch_set_target(d, &target);
}

/* Hands the job to the next plugin that can take it, or ends its chain. */
static void
advance(struct dispatch *d, struct job *job)
{
	while (job->next_plugin < d->plugin_count) {
		size_t plugin = job->next_plugin;
		const char *reason;

		switch (d->target.state(d->target.arg, plugin, &reason)) {
		case PLUGIN_LOAD_FAILED:
			job_add_error(job, plugin, ERROR_LOAD, reason);
			job->next_plugin++;
			continue;
		case PLUGIN_QUARANTINED:
			job_add_error(job, plugin, ERROR_QUARANTINED, reason);
			job->next_plugin++;
			continue;
		case PLUGIN_STARTING:
		case PLUGIN_READY:
			d->target.submit(d->target.arg, plugin, job);
			return;
		}
	}
	job->status = STATUS_UNRESOLVED;
	d->done(job, d->arg);
}

void
dispatch_submit(struct dispatch *d, struct job *job)
{
	if (job->status == STATUS_INVALID) {
		d->done(job, d->arg);
		return;
	}
	job->next_plugin = 0;
	advance(d, job);
}

void
dispatch_outcome(struct job *job, size_t plugin, const struct outcome *o,
    void *arg)
{
	struct dispatch *d = arg;

	if (!o->ok)
		job_add_error(job, plugin, o->kind, o->message);
	else if (o->type_length > 0 && o->name_length > 0) {
		const char *canonical = workload_type_canonical(o->type,
		    o->type_length);

		if (canonical != NULL) {
			job->type = xstrdup(canonical);
			job->type_length = strlen(canonical);
			job->status = STATUS_RESOLVED;
		} else {
			job->type = xstrndup(o->type, o->type_length);
			job->type_length = o->type_length;
			job->status = STATUS_UNSUPPORTED;
		}
		job->workload = xstrndup(o->name, o->name_length);
		job->workload_length = o->name_length;
		job->decided_by = plugin;
		d->done(job, d->arg);
		return;
	}
	job->next_plugin = plugin + 1;
	advance(d, job);
}
