#include <stdio.h>
#include <string.h>

#include "../timing.h"
#include "trial.h"

struct trial {
	struct trial_result	*result;
	struct worker_process	*worker;
	bool			 close_when_ready;
	bool			 over;
	ev_timer		 after_ready;
	struct ev_loop		*loop;
	uint32_t		 allowance_ms;
};

/* Past READY the worker holds no request, so it has no deadline of its
 * own: a probe that hangs, or a plugin whose finalizers never end once its
 * input closes, must not hang the command. */
static void
on_after_ready(struct ev_loop *loop, ev_timer *timer, int events)
{
	struct trial *t = timer->data;

	(void)loop;
	(void)events;
	worker_process_kill(t->worker);
}

static void
on_ready(struct worker_process *w, void *arg)
{
	struct trial *t = arg;

	t->result->ready = true;
	t->result->report = *worker_process_report(w);
	ev_timer_set(&t->after_ready, t->allowance_ms / 1000.0, 0.);
	ev_timer_start(t->loop, &t->after_ready);
	/* A plugin worker waits for requests: end it.  A probe worker
	 * reports and exits by itself. */
	if (t->close_when_ready)
		worker_process_close(w);
}

static void
on_answered(struct worker_process *w, struct job *job,
    const struct outcome *outcome, void *arg)
{
	(void)w;
	(void)job;
	(void)outcome;
	(void)arg;
}

static void
on_probed(struct worker_process *w, const struct wire_message *m, void *arg)
{
	struct trial *t = arg;

	(void)w;
	t->result->probed = true;
	t->result->allowed = wire_string_is(m->u.probe.verdict, "allowed");
	t->result->error_number = m->u.probe.error_number;
	snprintf(t->result->probe_detail, sizeof(t->result->probe_detail),
	    "%.*s", (int)m->u.probe.detail.length, m->u.probe.detail.bytes);
}

static void
on_died(struct worker_process *w, struct worker_death *death, void *arg)
{
	struct trial *t = arg;

	t->result->death = death->verdict;
	/* It never became a worker: as if the spawn itself had failed. */
	if (death->verdict.type == DEATH_SPAWN_FAILED) {
		t->result->started = false;
		snprintf(t->result->spawn_error,
		    sizeof(t->result->spawn_error), "%s",
		    death->verdict.message);
	}
	ev_timer_stop(t->loop, &t->after_ready);
	worker_process_free(w);
	t->over = true;
}

void
trial_run(struct ev_loop *loop, const struct worker_setup *setup,
    struct trial_result *result)
{
	static const struct worker_events events = {
		.ready = on_ready,
		.answered = on_answered,
		.probed = on_probed,
		.died = on_died,
	};
	uint32_t timeout_ms = setup->load.load_timeout_ms;
	struct trial t = {
		.result = result,
		.close_when_ready = setup->load.probe.length == 0,
		.loop = loop,
		.allowance_ms = timeout_ms + kill_grace_ms(timeout_ms),
	};

	memset(result, 0, sizeof(*result));
	ev_init(&t.after_ready, on_after_ready);
	t.after_ready.data = &t;
	if ((t.worker = worker_process_start(loop, setup, &events, &t,
	    result->spawn_error, sizeof(result->spawn_error))) == NULL)
		return;
	result->started = true;
	while (!t.over)
		ev_run(loop, EVRUN_ONCE);
}
