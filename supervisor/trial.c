#include <stdio.h>
#include <string.h>

#include "trial.h"

struct trial {
	struct trial_result	*result;
	bool			 close_when_ready;
	bool			 over;
};

static void
on_ready(struct worker_process *w, void *arg)
{
	struct trial *t = arg;

	t->result->ready = true;
	worker_process_describe_layers(w, &t->result->layers);
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

	t->result->death = death->type;
	t->result->kind = death->kind;
	snprintf(t->result->message, sizeof(t->result->message), "%s",
	    death->message);
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
	struct trial t = { .result = result,
	    .close_when_ready = setup->load.probe.length == 0 };

	memset(result, 0, sizeof(*result));
	if (worker_process_start(loop, setup, &events, &t,
	    result->spawn_error, sizeof(result->spawn_error)) == NULL)
		return;
	result->started = true;
	while (!t.over)
		ev_run(loop, EVRUN_ONCE);
}

void
trial_result_free(struct trial_result *result)
{
	buffer_free(&result->layers);
}
