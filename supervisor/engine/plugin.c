#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log.h"
#include "plugin.h"
#include "../timing.h"
#include "worker_process.h"

/* What a worker itself lets a plugin print, before anything reaches the
 * supervisor's own per-plugin limit (worker_log.c). */
#define WORKER_LOG_LINES_PER_SECOND	10
#define WORKER_LOG_BURST		100
/* Metadata bytes in flight to one worker (more when one record is larger):
 * enough to keep it busy between two wakeups, little enough that memory
 * does not grow with plugins x pipeline depth x record size. */
#define PIPELINE_BYTES			(1024 * 1024)

struct plugin {
	struct ev_loop		*loop;
	const struct plugin_config *config;
	struct plugin_source	 source;	/* our own copy */
	unsigned		 refs;
	bool			 stopping;	/* no reference left */
	bool			 unreadable;	/* its file could not be used */
	bool			 shutting_down, abandoned;
	struct worker_setup	 setup;
	enum plugin_state	 state;
	char			*reason;	/* load failure, quarantine */
	char			*startup_error;
	struct worker_process	**workers;	/* NULL: not running */
	struct spawn_identity	*identities;	/* per slot, for good */
	unsigned		 live;
	bool			 ever_ready;
	struct job		*queue_head, *queue_tail;
	ev_timer		 restart_timer;
	struct restart_tracker	 restarts;
	struct log_allowance	 log;
	struct plugin_stats	 stats;
	struct sandbox_report	 report;		/* its first READY */
};

static const struct worker_events events;

static void	note_failure(struct plugin *, const char *);

/* The first reason the plugin cannot run at all; later ones add nothing. */
static void
set_startup_error(struct plugin *p, const char *what, const char *message)
{
	size_t size;

	if (p->startup_error != NULL)
		return;
	size = strlen(p->source.name) + strlen(what) + strlen(message) + 16;
	p->startup_error = xmalloc(size);
	snprintf(p->startup_error, size, "plugin %s: %s%s", p->source.name,
	    what, message);
}

/* The worker binary is not a luaward worker: no plugin could run, and
 * the reason is the binary's, not this plugin's. */
static void
set_not_worker(struct plugin *p, const char *message)
{
	size_t size;

	if (p->startup_error != NULL)
		return;
	size = strlen(p->setup.spawn.worker_path) + strlen(message) + 80;
	p->startup_error = xmalloc(size);
	snprintf(p->startup_error, size, "the worker binary %s does not "
	    "speak luaward's worker protocol: %s", p->setup.spawn.worker_path,
	    message);
}

static void
deliver(struct plugin *p, struct job *job, const struct outcome *outcome)
{
	p->config->outcome(job, outcome, p->config->arg);
}

static void
deliver_error(struct plugin *p, struct job *job, enum error_kind kind,
    const char *message)
{
	struct outcome outcome;

	memset(&outcome, 0, sizeof(outcome));
	outcome.kind = kind;
	outcome.message = message;
	deliver(p, job, &outcome);
}

static struct job *
queue_pop(struct plugin *p)
{
	struct job *job = p->queue_head;

	if (job != NULL) {
		p->queue_head = job->queue_next;
		if (p->queue_head == NULL)
			p->queue_tail = NULL;
		else
			job_prefetch(p->queue_head);
		job->queue_next = NULL;
	}
	return job;
}

/* Whether w can take job now: ready, and under the pipeline's count and
 * bytes (an idle worker takes any one job). */
static bool
can_take(const struct plugin *p, struct worker_process *w,
    const struct job *job)
{
	size_t held;

	if (w == NULL || !worker_process_is_ready(w) ||
	    worker_process_holds_suspect(w))
		return false;
	held = worker_process_in_flight(w);
	/* A full pipeline takes nothing, whatever the job: decided without
	 * touching the job, which is likely out of the cache. */
	if (held > 0 && held >= p->config->pipeline_depth)
		return false;
	/* A suspect goes alone to an idle worker (job.h). */
	if (job->suspect)
		return held == 0;
	/* Below the depth (above): the bytes decide. */
	return held == 0 || worker_process_in_flight_bytes(w) +
	    job->metadata_length <= PIPELINE_BYTES;
}

/* Sends queued jobs to the least busy ready workers; a plugin that cannot
 * run answers its queue with its error instead. */
static void
pump(struct plugin *p)
{
	struct job *job;

	if (p->state == PLUGIN_LOAD_FAILED || p->state == PLUGIN_QUARANTINED) {
		enum error_kind kind = p->state == PLUGIN_LOAD_FAILED ?
		    ERROR_LOAD : ERROR_QUARANTINED;

		while ((job = queue_pop(p)) != NULL)
			deliver_error(p, job, kind, p->reason);
		return;
	}
	while (p->queue_head != NULL) {
		struct worker_process *best = NULL;

		for (unsigned i = 0; i < p->config->workers_per_plugin; i++) {
			struct worker_process *w = p->workers[i];

			if (!can_take(p, w, p->queue_head))
				continue;
			if (best == NULL || worker_process_in_flight(w) <
			    worker_process_in_flight(best))
				best = w;
		}
		if (best == NULL)
			return;
		worker_process_send(best, queue_pop(p));
	}
}

static void
spawn_slot(struct plugin *p, unsigned slot)
{
	char error[512];

	/* Spawn reads the identity only while it starts the worker. */
	p->setup.spawn.identity = p->identities[slot];
	p->workers[slot] = worker_process_start(p->loop, &p->setup, &events, p,
	    error, sizeof(error));
	if (p->workers[slot] != NULL) {
		p->live++;
		return;
	}
	if (!p->ever_ready) {
		set_startup_error(p, "", error);
		return;
	}
	log_warnx("plugin %s: %s", p->source.name, error);
	/* A replacement that cannot even start is a failure like a crash:
	 * retried after the backoff, quarantined if it keeps failing.  Left
	 * alone, the slot would stay empty for good and the records queued
	 * for the plugin would never get their line. */
	note_failure(p, error);
}

static void
fail_plugin(struct plugin *p, enum plugin_state state, const char *reason)
{
	if (p->state == state)
		return;
	p->state = state;
	free(p->reason);
	p->reason = xstrdup(reason);
	ev_timer_stop(p->loop, &p->restart_timer);
	if (state == PLUGIN_QUARANTINED) {
		p->stats.quarantines++;
		p->stats.quarantined = true;
		log_warnx("plugin %s: quarantined: %s", p->source.name, reason);
	} else
		log_warnx("plugin %s: not loaded: %s", p->source.name, reason);
	for (unsigned i = 0; i < p->config->workers_per_plugin; i++)
		if (p->workers[i] != NULL)
			worker_process_kill(p->workers[i]);
	pump(p);
}

static void
on_restart(struct ev_loop *loop, ev_timer *timer, int events_mask)
{
	struct plugin *p = timer->data;

	(void)loop;
	(void)events_mask;
	if (p->shutting_down || p->stopping ||
	    p->state == PLUGIN_LOAD_FAILED || p->state == PLUGIN_QUARANTINED)
		return;
	/* A failed start may quarantine the plugin: then start no more. */
	for (unsigned i = 0; i < p->config->workers_per_plugin &&
	    p->state != PLUGIN_QUARANTINED; i++)
		if (p->workers[i] == NULL) {
			p->stats.restarts++;
			spawn_slot(p, i);
		}
}

/* A worker failed: restart it after a backoff, or quarantine the plugin
 * when it has failed more than max_restarts times within the window. */
static void
note_failure(struct plugin *p, const char *message)
{
	const struct plugin_config *c = p->config;
	uint32_t delay_ms;

	if (restart_tracker_failure(&p->restarts, ev_now(p->loop), &delay_ms)) {
		char reason[700];

		snprintf(reason, sizeof(reason), "more than %u failures within "
		    "%u s, the last: %s", c->max_restarts, c->restart_window_s,
		    message);
		fail_plugin(p, PLUGIN_QUARANTINED, reason);
		return;
	}
	if (p->shutting_down || p->stopping ||
	    ev_is_active(&p->restart_timer))
		return;
	ev_timer_set(&p->restart_timer, delay_ms / 1000.0, 0.);
	ev_timer_start(p->loop, &p->restart_timer);
}

static void
on_ready(struct worker_process *w, void *arg)
{
	struct plugin *p = arg;

	if (!p->ever_ready)
		p->report = *worker_process_report(w);
	p->ever_ready = true;
	if (p->state == PLUGIN_STARTING)
		p->state = PLUGIN_READY;
	/* Started after its last reference went: it has nothing to do. */
	if (p->stopping || p->shutting_down)
		worker_process_close(w);
	pump(p);
}

static void
on_answered(struct worker_process *w, struct job *job,
    const struct outcome *outcome, void *arg)
{
	struct plugin *p = arg;

	p->stats.calls++;
	histogram_add(&p->stats.latency_us, outcome->latency_us);
	if (outcome->ok)
		restart_tracker_success(&p->restarts);
	/* A heap at its cap is no fresh start for the next call: the worker
	 * is replaced, and that counts as a failure. */
	else if (outcome->kind == ERROR_MEMORY)
		worker_process_retire(w);
	deliver(p, job, outcome);
	pump(p);
}

/* Jobs a dead worker held but was not running go first, in their order. */
static void
requeue_front(struct plugin *p, struct job *jobs)
{
	struct job *last = jobs;

	if (jobs == NULL)
		return;
	while (last->queue_next != NULL)
		last = last->queue_next;
	last->queue_next = p->queue_head;
	p->queue_head = jobs;
	if (p->queue_tail == NULL)
		p->queue_tail = last;
}

static void
on_died(struct worker_process *w, struct worker_death *death, void *arg)
{
	struct plugin *p = arg;
	const struct death_verdict *verdict = &death->verdict;

	for (unsigned i = 0; i < p->config->workers_per_plugin; i++)
		if (p->workers[i] == w) {
			p->workers[i] = NULL;
			p->live--;
		}
	worker_process_free(w);
	if (death->peak_rss_kib > p->stats.peak_rss_kib)
		p->stats.peak_rss_kib = death->peak_rss_kib;
	/* Killed on purpose at the end of a run that stopped early: nothing
	 * it held will be written, nothing failed. */
	if (p->abandoned)
		goto gone;

	requeue_front(p, death->requeue);
	if (death->culprit != NULL) {
		p->stats.calls++;
		histogram_add(&p->stats.latency_us, death->culprit_latency_us);
		deliver_error(p, death->culprit, verdict->kind,
		    verdict->message);
	}
	switch (verdict->type) {
	case DEATH_CLOSED:
		break;
	case DEATH_RETIRED:
		log_warnx("plugin %s: worker %s", p->source.name,
		    verdict->message);
		note_failure(p, verdict->message);
		break;
	case DEATH_SETUP_FAILED:
		if (!p->ever_ready) {
			set_startup_error(p, "sandbox: ", verdict->message);
			break;
		}
		fail_plugin(p, PLUGIN_LOAD_FAILED, verdict->message);
		break;
	case DEATH_LOAD_FAILED:
		fail_plugin(p, PLUGIN_LOAD_FAILED, verdict->message);
		break;
	case DEATH_SPAWN_FAILED:
		/* As when the clone itself fails (spawn_slot()). */
		if (!p->ever_ready) {
			set_startup_error(p, "", verdict->message);
			break;
		}
		log_warnx("plugin %s: %s", p->source.name, verdict->message);
		note_failure(p, verdict->message);
		break;
	case DEATH_NOT_WORKER:
		/* Once a worker has served, a failure like any other. */
		if (!p->ever_ready) {
			set_not_worker(p, verdict->message);
			break;
		}
		/* FALLTHROUGH */
	case DEATH_FAILED:
		log_warnx("plugin %s: %s", p->source.name, verdict->message);
		note_failure(p, verdict->message);
		break;
	}
	pump(p);
gone:
	if (p->stopping && p->live == 0 && p->config->gone != NULL)
		p->config->gone(p, p->config->arg);
}

static const struct worker_events events = {
	.ready = on_ready,
	.answered = on_answered,
	.died = on_died,
};

void
plugin_worker_setup(const struct plugin_config *config,
    const struct plugin_source *plugin, struct log_allowance *log,
    struct worker_setup *setup)
{
	struct wire_load *load = &setup->load;

	if (config->module_count > WIRE_MAX_MODULES)
		fatalx("too many preloaded modules");
	memset(setup, 0, sizeof(*setup));
	setup->plugin = plugin->name;
	setup->spawn = config->spawn;
	setup->log = log;
	load->plugin.bytes = plugin->name;
	load->plugin.length = strlen(plugin->name);
	/* Lua shows a long name by its end, so a path too long for the
	 * wire keeps its end too. */
	if (plugin->path != NULL) {
		size_t length = strlen(plugin->path);
		size_t cut = length > WIRE_MAX_PATH ? length - WIRE_MAX_PATH :
		    0;

		load->chunk_name.bytes = plugin->path + cut;
		load->chunk_name.length = length - cut;
	} else
		load->chunk_name.bytes = "";
	load->source.bytes = plugin->source;
	load->source.length = plugin->length;
	for (size_t i = 0; i < config->module_count; i++) {
		load->modules[i].name.bytes = config->modules[i].name;
		load->modules[i].name.length = strlen(config->modules[i].name);
		load->modules[i].source.bytes = config->modules[i].source;
		load->modules[i].source.length = config->modules[i].length;
	}
	load->module_count = config->module_count;
	load->call_timeout_ms = config->call_timeout_ms;
	load->load_timeout_ms = config->load_timeout_ms;
	load->memory_bytes = config->memory_bytes;
	load->log_lines_per_second = WORKER_LOG_LINES_PER_SECOND;
	load->log_burst = WORKER_LOG_BURST;
	load->landlock = config->landlock;
	load->seccomp_filter.bytes = config->filter;
	load->seccomp_filter.length = config->filter_length;
}

struct plugin *
plugin_new(struct ev_loop *loop, const struct plugin_config *config,
    const struct plugin_source *source)
{
	struct plugin *p = xcalloc(1, sizeof(*p));

	p->loop = loop;
	p->config = config;
	p->refs = 1;
	p->source.name = xstrdup(source->name);
	p->source.path = source->path != NULL ? xstrdup(source->path) : NULL;
	p->source.source = xmalloc(source->length + 1);
	if (source->length > 0)
		memcpy(p->source.source, source->source, source->length);
	p->source.source[source->length] = '\0';
	p->source.length = source->length;
	p->state = PLUGIN_STARTING;
	p->workers = xcalloc(config->workers_per_plugin, sizeof(*p->workers));
	p->identities = xcalloc(config->workers_per_plugin,
	    sizeof(*p->identities));
	for (unsigned s = 0; s < config->workers_per_plugin; s++)
		if (config->uids == NULL)
			p->identities[s] = config->spawn.identity;
		else
			(void)worker_uids_acquire(config->uids,
			    &p->identities[s]);
	restart_tracker_init(&p->restarts, config->restart_delay_ms,
	    config->restart_delay_max_ms, config->max_restarts,
	    config->restart_window_s);
	plugin_worker_setup(config, &p->source, &p->log, &p->setup);
	ev_init(&p->restart_timer, on_restart);
	p->restart_timer.data = p;
	/* A file that could not be used never gets a worker. */
	if (source->load_error != NULL) {
		p->unreadable = true;
		p->state = PLUGIN_LOAD_FAILED;
		p->reason = xstrdup(source->load_error);
	}
	return p;
}

void
plugin_start(struct plugin *p)
{
	if (p->state == PLUGIN_LOAD_FAILED) {
		log_warnx("plugin %s: not loaded: %s", p->source.name,
		    p->reason);
		return;
	}
	for (unsigned s = 0; s < p->config->workers_per_plugin; s++)
		if (p->workers[s] == NULL)
			spawn_slot(p, s);
}

struct plugin *
plugin_ref(struct plugin *p)
{
	p->refs++;
	return p;
}

void
plugin_unref(struct plugin *p)
{
	if (p == NULL || --p->refs > 0)
		return;
	p->stopping = true;
	ev_timer_stop(p->loop, &p->restart_timer);
	for (unsigned s = 0; s < p->config->workers_per_plugin; s++)
		if (p->workers[s] != NULL)
			worker_process_close(p->workers[s]);
	if (p->live == 0 && p->config->gone != NULL)
		p->config->gone(p, p->config->arg);
}

void
plugin_free(struct plugin *p)
{
	if (p == NULL)
		return;
	for (unsigned s = 0; s < p->config->workers_per_plugin; s++)
		if (p->workers[s] != NULL) {
			worker_process_kill(p->workers[s]);
			worker_process_free(p->workers[s]);
		}
	ev_timer_stop(p->loop, &p->restart_timer);
	worker_log_finish(&p->log, p->source.name);
	/* Its workers are gone (or the run is over): the uids go back. */
	for (unsigned s = 0; s < p->config->workers_per_plugin &&
	    p->config->uids != NULL; s++)
		worker_uids_release(p->config->uids, &p->identities[s]);
	free(p->identities);
	free(p->workers);
	restart_tracker_free(&p->restarts);
	free(p->reason);
	free(p->startup_error);
	free(p->source.name);
	free(p->source.path);
	free(p->source.source);
	free(p);
}

const char *
plugin_name(const struct plugin *p)
{
	return p->source.name;
}

const char *
plugin_source_bytes(const struct plugin *p, size_t *length)
{
	*length = p->source.length;
	return p->source.source;
}

enum plugin_state
plugin_state(const struct plugin *p, const char **reason)
{
	if (reason != NULL)
		*reason = p->reason;
	return p->state;
}

const char *
plugin_state_name(const struct plugin *p)
{
	switch (p->state) {
	case PLUGIN_STARTING:
		return "starting";
	case PLUGIN_LOAD_FAILED:
		return "load-failed";
	case PLUGIN_QUARANTINED:
		return "quarantined";
	case PLUGIN_READY:
		break;
	}
	for (unsigned s = 0; s < p->config->workers_per_plugin; s++)
		if (p->workers[s] != NULL &&
		    worker_process_is_ready(p->workers[s]))
			return "ready";
	return "restarting";
}

const char *
plugin_startup_error(const struct plugin *p)
{
	return p->startup_error;
}

void
plugin_submit(struct plugin *p, struct job *job)
{
	/* Jobs already waiting mean that no worker could take the first of
	 * them, and that nothing has changed since (whatever frees a worker
	 * pumps): this one only joins them, and the queue's old head, long
	 * out of the cache, is not looked at again for every new job. */
	bool waiting = p->queue_head != NULL;

	job->queue_next = NULL;
	if (p->queue_tail != NULL)
		p->queue_tail->queue_next = job;
	else
		p->queue_head = job;
	p->queue_tail = job;
	if (!waiting)
		pump(p);
}

void
plugin_reset(struct plugin *p)
{
	if (p->stopping || p->shutting_down)
		return;
	restart_tracker_reset(&p->restarts);
	/* A file that could not be used stays so: nothing to restart. */
	if ((p->state != PLUGIN_QUARANTINED && p->state != PLUGIN_LOAD_FAILED) ||
	    p->unreadable)
		return;
	p->state = p->ever_ready ? PLUGIN_READY : PLUGIN_STARTING;
	p->stats.quarantined = false;
	free(p->reason);
	p->reason = NULL;
	log_info("plugin %s: reset: starting afresh", p->source.name);
	plugin_start(p);
}

void
plugin_shutdown(struct plugin *p, bool abandon)
{
	p->shutting_down = true;
	p->abandoned = abandon;
	ev_timer_stop(p->loop, &p->restart_timer);
	for (unsigned s = 0; s < p->config->workers_per_plugin; s++) {
		struct worker_process *w = p->workers[s];

		if (w == NULL)
			continue;
		/* Close samples its memory: count it now, in case it is not
		 * reaped before the stats. */
		if (abandon)
			worker_process_kill(w);
		else
			worker_process_close(w);
		if (worker_process_peak_rss(w) > p->stats.peak_rss_kib)
			p->stats.peak_rss_kib = worker_process_peak_rss(w);
	}
}

bool
plugin_finished(const struct plugin *p)
{
	return p->live == 0;
}

void
plugin_stats(const struct plugin *p, struct plugin_stats *out)
{
	*out = p->stats;
	out->log_lines_dropped = p->log.dropped_total;
}

void
plugin_count_error(struct plugin *p, enum error_kind kind)
{
	p->stats.errors[kind]++;
}

const struct sandbox_report *
plugin_sandbox_report(const struct plugin *p)
{
	return p->ever_ready ? &p->report : NULL;
}
