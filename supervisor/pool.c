#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pool.h"
#include "timing.h"
#include "worker_process.h"

/* What a worker itself lets a plugin print, before anything reaches the
 * supervisor's own per-plugin limit (worker_log.c). */
#define WORKER_LOG_LINES_PER_SECOND	10
#define WORKER_LOG_BURST		100

struct plugin {
	struct pool		*pool;
	size_t			 index;
	struct worker_setup	 setup;
	enum plugin_state	 state;
	char			*reason;	/* load failure, quarantine */
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

struct pool {
	struct ev_loop		*loop;
	struct pool_config	 config;
	struct plugin		*plugins;
	char			*startup_error;
	bool			 shutting_down;
};

static const struct worker_events events;

static void	note_failure(struct plugin *, const char *);

/* The first reason the pool cannot run at all; later ones add nothing. */
static void
set_startup_error(struct pool *pool, const char *plugin, const char *what,
    const char *message)
{
	size_t size;

	if (pool->startup_error != NULL)
		return;
	size = strlen(plugin) + strlen(what) + strlen(message) + 16;
	pool->startup_error = xmalloc(size);
	snprintf(pool->startup_error, size, "plugin %s: %s%s", plugin, what,
	    message);
}

static void
deliver(struct plugin *p, struct job *job, const struct outcome *outcome)
{
	p->pool->config.outcome(job, p->index, outcome, p->pool->config.arg);
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
		job->queue_next = NULL;
	}
	return job;
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

		for (unsigned i = 0; i < p->pool->config.workers_per_plugin;
		    i++) {
			struct worker_process *w = p->workers[i];

			if (w == NULL || !worker_process_is_ready(w) ||
			    worker_process_in_flight(w) >=
			    p->pool->config.pipeline_depth)
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
	p->workers[slot] = worker_process_start(p->pool->loop, &p->setup,
	    &events, p, error, sizeof(error));
	if (p->workers[slot] != NULL) {
		p->live++;
		return;
	}
	if (!p->ever_ready) {
		set_startup_error(p->pool, p->setup.plugin, "", error);
		return;
	}
	log_warnx("plugin %s: %s", p->setup.plugin, error);
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
	ev_timer_stop(p->pool->loop, &p->restart_timer);
	if (state == PLUGIN_QUARANTINED) {
		p->stats.quarantines++;
		p->stats.quarantined = true;
		log_warnx("plugin %s: quarantined: %s", p->setup.plugin,
		    reason);
	} else
		log_warnx("plugin %s: not loaded: %s", p->setup.plugin,
		    reason);
	for (unsigned i = 0; i < p->pool->config.workers_per_plugin; i++)
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
	if (p->pool->shutting_down || p->state == PLUGIN_LOAD_FAILED ||
	    p->state == PLUGIN_QUARANTINED)
		return;
	/* A failed start may quarantine the plugin: then start no more. */
	for (unsigned i = 0; i < p->pool->config.workers_per_plugin &&
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
	const struct pool_config *c = &p->pool->config;
	uint32_t delay_ms;

	if (restart_tracker_failure(&p->restarts, ev_now(p->pool->loop),
	    &delay_ms)) {
		char reason[700];

		snprintf(reason, sizeof(reason), "more than %u failures within "
		    "%u s, the last: %s", c->max_restarts, c->restart_window_s,
		    message);
		fail_plugin(p, PLUGIN_QUARANTINED, reason);
		return;
	}
	if (p->pool->shutting_down || ev_is_active(&p->restart_timer))
		return;
	ev_timer_set(&p->restart_timer, delay_ms / 1000.0, 0.);
	ev_timer_start(p->pool->loop, &p->restart_timer);
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
	pump(p);
}

static void
on_answered(struct worker_process *w, struct job *job,
    const struct outcome *outcome, void *arg)
{
	struct plugin *p = arg;

	(void)w;
	p->stats.calls++;
	histogram_add(&p->stats.latency_us, outcome->latency_us);
	if (outcome->ok)
		restart_tracker_success(&p->restarts);
	else
		p->stats.errors[outcome->kind]++;
	deliver(p, job, outcome);
	pump(p);
}

static void
on_died(struct worker_process *w, struct worker_death *death, void *arg)
{
	struct plugin *p = arg;
	const struct death_verdict *verdict = &death->verdict;

	for (unsigned i = 0; i < p->pool->config.workers_per_plugin; i++)
		if (p->workers[i] == w) {
			p->workers[i] = NULL;
			p->live--;
		}
	worker_process_free(w);
	if (death->peak_rss_kib > p->stats.peak_rss_kib)
		p->stats.peak_rss_kib = death->peak_rss_kib;

	/* Jobs it held but was not running go first, in their order. */
	if (death->requeue != NULL) {
		struct job *last = death->requeue;

		while (last->queue_next != NULL)
			last = last->queue_next;
		last->queue_next = p->queue_head;
		p->queue_head = death->requeue;
		if (p->queue_tail == NULL)
			p->queue_tail = last;
	}
	if (death->culprit != NULL) {
		p->stats.calls++;
		p->stats.errors[verdict->kind]++;
		deliver_error(p, death->culprit, verdict->kind,
		    verdict->message);
	}
	switch (verdict->type) {
	case DEATH_CLOSED:
		break;
	case DEATH_SETUP_FAILED:
		if (!p->ever_ready) {
			set_startup_error(p->pool, p->setup.plugin,
			    "sandbox: ", verdict->message);
			break;
		}
		fail_plugin(p, PLUGIN_LOAD_FAILED, verdict->message);
		break;
	case DEATH_LOAD_FAILED:
		fail_plugin(p, PLUGIN_LOAD_FAILED, verdict->message);
		break;
	case DEATH_FAILED:
		log_warnx("plugin %s: %s", p->setup.plugin,
		    verdict->message);
		note_failure(p, verdict->message);
		break;
	}
	pump(p);
}

static const struct worker_events events = {
	.ready = on_ready,
	.answered = on_answered,
	.died = on_died,
};

void
pool_worker_setup(const struct pool_config *config,
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

struct pool *
pool_new(struct ev_loop *loop, const struct pool_config *config)
{
	struct pool *pool = xcalloc(1, sizeof(*pool));

	pool->loop = loop;
	pool->config = *config;
	pool->plugins = xcalloc(config->plugin_count ? config->plugin_count : 1,
	    sizeof(*pool->plugins));
	for (size_t i = 0; i < config->plugin_count; i++) {
		struct plugin *p = &pool->plugins[i];

		p->pool = pool;
		p->index = i;
		p->state = PLUGIN_STARTING;
		p->workers = xcalloc(config->workers_per_plugin,
		    sizeof(*p->workers));
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
		pool_worker_setup(config, &config->plugins[i], &p->log,
		    &p->setup);
		ev_init(&p->restart_timer, on_restart);
		p->restart_timer.data = p;
	}
	return pool;
}

void
pool_free(struct pool *pool)
{
	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->config.plugin_count; i++) {
		struct plugin *p = &pool->plugins[i];

		for (unsigned s = 0; s < pool->config.workers_per_plugin; s++)
			if (p->workers[s] != NULL) {
				worker_process_kill(p->workers[s]);
				worker_process_free(p->workers[s]);
			}
		ev_timer_stop(pool->loop, &p->restart_timer);
		for (unsigned s = 0; s < pool->config.workers_per_plugin &&
		    pool->config.uids != NULL; s++)
			worker_uids_release(pool->config.uids,
			    &p->identities[s]);
		free(p->identities);
		free(p->workers);
		restart_tracker_free(&p->restarts);
		free(p->reason);
	}
	free(pool->plugins);
	free(pool->startup_error);
	free(pool);
}

void
pool_start(struct pool *pool)
{
	for (size_t i = 0; i < pool->config.plugin_count; i++)
		for (unsigned s = 0; s < pool->config.workers_per_plugin; s++)
			spawn_slot(&pool->plugins[i], s);
}

bool
pool_settled(const struct pool *pool)
{
	if (pool->startup_error != NULL)
		return true;
	for (size_t i = 0; i < pool->config.plugin_count; i++)
		if (pool->plugins[i].state == PLUGIN_STARTING)
			return false;
	return true;
}

const char *
pool_startup_error(const struct pool *pool)
{
	return pool->startup_error;
}

enum plugin_state
pool_plugin_state(const struct pool *pool, size_t plugin, const char **reason)
{
	const struct plugin *p = &pool->plugins[plugin];

	if (reason != NULL)
		*reason = p->reason;
	return p->state;
}

void
pool_submit(struct pool *pool, size_t plugin, struct job *job)
{
	struct plugin *p = &pool->plugins[plugin];

	job->queue_next = NULL;
	if (p->queue_tail != NULL)
		p->queue_tail->queue_next = job;
	else
		p->queue_head = job;
	p->queue_tail = job;
	pump(p);
}

void
pool_shutdown(struct pool *pool)
{
	pool->shutting_down = true;
	for (size_t i = 0; i < pool->config.plugin_count; i++) {
		struct plugin *p = &pool->plugins[i];

		ev_timer_stop(pool->loop, &p->restart_timer);
		for (unsigned s = 0; s < pool->config.workers_per_plugin; s++)
			if (p->workers[s] != NULL) {
				/* Close samples its memory: count it now, in
				 * case it is not reaped before the stats. */
				worker_process_close(p->workers[s]);
				if (worker_process_peak_rss(p->workers[s]) >
				    p->stats.peak_rss_kib)
					p->stats.peak_rss_kib =
					    worker_process_peak_rss(
					    p->workers[s]);
			}
	}
}

bool
pool_finished(const struct pool *pool)
{
	for (size_t i = 0; i < pool->config.plugin_count; i++)
		if (pool->plugins[i].live > 0)
			return false;
	return true;
}

const struct plugin_stats *
pool_stats(const struct pool *pool, size_t plugin)
{
	return &pool->plugins[plugin].stats;
}

const struct sandbox_report *
pool_sandbox_report(const struct pool *pool, size_t plugin)
{
	const struct plugin *p = &pool->plugins[plugin];

	return p->ever_ready ? &p->report : NULL;
}
