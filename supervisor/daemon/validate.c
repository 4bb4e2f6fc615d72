#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log.h"
#include "../timing.h"
#include "validate.h"
#include "../engine/worker_process.h"

struct validation {
	struct ev_loop		*loop;
	struct plugin_source	 source;	/* our own copy */
	struct log_allowance	 log;
	struct worker_setup	 setup;
	struct worker_process	*worker;
	struct validation_result result;
	void			(*done)(const struct validation_result *,
				    void *);
	void			*arg;
	bool			 cancelled;
	ev_timer		 after_ready;
	struct worker_uids	*uids;		/* the uid it borrowed, if any */
};

static void
release(struct validation *v)
{
	if (v->uids != NULL)
		worker_uids_release(v->uids, &v->setup.spawn.identity);
	free(v->source.name);
	free(v->source.path);
	free(v->source.source);
	free(v);
}

static void
finish(struct validation *v)
{
	ev_timer_stop(v->loop, &v->after_ready);
	if (!v->cancelled)
		v->done(&v->result, v->arg);
	release(v);
}

/* Past READY it holds nothing and has no deadline of its own: one whose
 * finalizers never end once its input closes is killed. */
static void
on_after_ready(struct ev_loop *loop, ev_timer *timer, int events)
{
	struct validation *v = timer->data;

	(void)loop;
	(void)events;
	worker_process_kill(v->worker);
}

static void
on_ready(struct worker_process *w, void *arg)
{
	struct validation *v = arg;
	uint32_t limit = v->setup.load.load_timeout_ms;

	v->result.loaded = true;
	ev_timer_set(&v->after_ready, (limit + kill_grace_ms(limit)) / 1000.0,
	    0.);
	ev_timer_start(v->loop, &v->after_ready);
	worker_process_close(w);
}

static void
on_answered(struct worker_process *w, struct job *job,
    const struct outcome *outcome, void *arg)
{
	/* It is sent no request. */
	(void)w;
	(void)job;
	(void)outcome;
	(void)arg;
}

static void
on_died(struct worker_process *w, struct worker_death *death, void *arg)
{
	struct validation *v = arg;

	worker_process_free(w);
	v->worker = NULL;
	if (death->verdict.type == DEATH_SETUP_FAILED) {
		v->result.loaded = false;
		v->result.setup_failed = true;
		snprintf(v->result.message, sizeof(v->result.message), "a "
		    "sandbox layer cannot be applied: %s",
		    death->verdict.message);
	} else if (death->verdict.type == DEATH_SPAWN_FAILED) {
		/* The host refused a step of the worker's start. */
		v->result.loaded = false;
		v->result.setup_failed = true;
		snprintf(v->result.message, sizeof(v->result.message), "%s",
		    death->verdict.message);
	} else if (death->verdict.type == DEATH_NOT_WORKER) {
		/* The daemon's worker binary, not the plugin, is at fault. */
		v->result.loaded = false;
		v->result.setup_failed = true;
		snprintf(v->result.message, sizeof(v->result.message), "the "
		    "worker binary does not speak luaward's worker protocol: "
		    "%s", death->verdict.message);
	} else if (!v->result.loaded)
		snprintf(v->result.message, sizeof(v->result.message), "%s",
		    death->verdict.message);
	finish(v);
}

static const struct worker_events events = {
	.ready = on_ready,
	.answered = on_answered,
	.died = on_died,
};

struct validation *
validation_start(struct ev_loop *loop, const struct plugin_config *config,
    const struct plugin_source *source,
    void (*done)(const struct validation_result *, void *), void *arg,
    struct validation_result *result)
{
	struct validation *v = xcalloc(1, sizeof(*v));

	v->loop = loop;
	v->done = done;
	v->arg = arg;
	v->source.name = xstrdup(source->name);
	v->source.path = source->path != NULL ? xstrdup(source->path) : NULL;
	v->source.source = xmalloc(source->length + 1);
	memcpy(v->source.source, source->source, source->length);
	v->source.source[source->length] = '\0';
	v->source.length = source->length;
	plugin_worker_setup(config, &v->source, &v->log, &v->setup);
	/* A uid of its own, like any worker slot, for as long as it runs. */
	if (config->uids != NULL && worker_uids_acquire(config->uids,
	    &v->setup.spawn.identity) == 0)
		v->uids = config->uids;
	ev_init(&v->after_ready, on_after_ready);
	v->after_ready.data = v;
	memset(result, 0, sizeof(*result));
	if ((v->worker = worker_process_start(loop, &v->setup, &events, v,
	    result->message, sizeof(result->message))) == NULL) {
		result->setup_failed = true;
		release(v);
		return NULL;
	}
	return v;
}

void
validation_cancel(struct validation *v)
{
	v->cancelled = true;
	if (v->worker != NULL)
		worker_process_kill(v->worker);
}
