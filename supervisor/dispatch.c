#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "log.h"
#include "result.h"

struct dispatch {
	struct dispatch_target target;
};

struct dispatch *
dispatch_new(const struct dispatch_target *target)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));

	d->target = *target;
	return d;
}

void
dispatch_free(struct dispatch *d)
{
	free(d);
}

static enum plugin_state
link_state(void *unused, const struct chain *chain, size_t link,
    const char **reason)
{
	(void)unused;
	return plugin_state(chain->links[link].plugin, reason);
}

static void
link_submit(void *unused, const struct chain *chain, size_t link,
    struct job *job)
{
	(void)unused;
	plugin_submit(chain->links[link].plugin, job);
}

const struct dispatch_target *
dispatch_plugins(void)
{
	static const struct dispatch_target plugins = {
		link_state, link_submit, NULL,
	};

	return &plugins;
}

static void
finish(struct job *job)
{
	job->finished(job, job->finished_arg);
}

/* Hands the job to the next plugin that can take it, or ends its chain. */
static void
advance(struct dispatch *d, struct job *job)
{
	while (job->next_plugin < job->chain->count) {
		size_t link = job->next_plugin;
		const char *reason;

		switch (d->target.state(d->target.arg, job->chain, link,
		    &reason)) {
		case PLUGIN_LOAD_FAILED:
			job_add_error(job, link, ERROR_LOAD, reason);
			job->next_plugin++;
			continue;
		case PLUGIN_QUARANTINED:
			job_add_error(job, link, ERROR_QUARANTINED, reason);
			job->next_plugin++;
			continue;
		case PLUGIN_STARTING:
		case PLUGIN_READY:
			d->target.submit(d->target.arg, job->chain, link, job);
			return;
		}
	}
	job->status = STATUS_UNRESOLVED;
	finish(job);
}

void
dispatch_submit(struct dispatch *d, struct job *job)
{
	if (job->status == STATUS_INVALID) {
		finish(job);
		return;
	}
	job->next_plugin = 0;
	advance(d, job);
}

void
dispatch_outcome(struct job *job, const struct outcome *o, void *arg)
{
	struct dispatch *d = arg;
	size_t link = job->next_plugin;

	if (!o->ok)
		job_add_error(job, link, o->kind, o->message);
	else if (o->type_length > 0 && o->name_length > 0) {
		const char *canonical = workload_type_canonical(o->type,
		    o->type_length);

		/* A canonical type has the length of what was returned. */
		job_set_answer(job, canonical != NULL ? canonical : o->type,
		    o->type_length, o->name, o->name_length);
		job->status = canonical != NULL ? STATUS_RESOLVED :
		    STATUS_UNSUPPORTED;
		job->decided_by = link;
		finish(job);
		return;
	}
	job->next_plugin = link + 1;
	advance(d, job);
}
