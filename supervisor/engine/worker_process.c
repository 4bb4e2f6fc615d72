/*
 * One worker process, seen from the supervisor: its life.  What goes to
 * it is in worker_send.c, what comes from it in worker_receive.c, its
 * states in worker_state.h.
 *
 * Starting never holds the loop: the clone returns at once, and the
 * child's report of its sandbox steps is read when its status pipe ends
 * at exec (worker_receive.c).  The setup allowance covers those steps.
 *
 * Deadlines are the supervisor's own, measured on its clock from what it
 * saw: the head's clock starts when the previous answer arrived or when the
 * head's last byte went into the pipe, whichever is later (a request that is
 * still being written cannot be late), and restarts whenever the worker
 * takes more of the head's bytes.  Past the limit plus a grace
 * (timing.h), the worker is killed.  The worker's own hook ends a call that
 * runs past its limit with a clean error well before that.
 *
 * How a worker ended is decided once it is reaped and its pipes are drained,
 * from what was observed (death.c): its exit status or signal, and what the
 * supervisor did to it.  What a worker says about itself only words the
 * message.
 */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../log.h"
#include "../timing.h"
#include "worker_state.h"

/* Its sandbox steps, exec, the sandbox layers and the Lua state, before
 * any plugin code runs: nothing a plugin controls, so a generous
 * allowance. */
#define SETUP_ALLOWANCE_MS	10000

static void	finish(struct worker_process *, int status);
static void	arm_deadline_at(struct worker_process *, double now);

/*
 * Notes the worker's peak resident memory (VmHWM) while it can still be
 * read: before the supervisor kills it and when its input is closed.  A
 * worker that dies on its own is gone before it can be asked.
 */
static void
sample_peak_rss(struct worker_process *w)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)w->spawned.pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0) {
			long kib = strtol(line + 6, NULL, 10);

			if (kib > w->peak_rss_kib)
				w->peak_rss_kib = kib;
		}
	fclose(f);
}

/* Kills the worker; on_child then judges how it ended.  Once reaped, its
 * pid may belong to another process: leave it alone. */
void
worker_kill(struct worker_process *w)
{
	if (w->reaped)
		return;
	sample_peak_rss(w);
	kill(w->spawned.pid, SIGKILL);
}

static uint32_t
call_timeout(const struct worker_process *w)
{
	return w->setup->load.call_timeout_ms;
}

void
worker_stop_io(struct worker_process *w)
{
	ev_io_stop(w->loop, &w->reader);
	ev_io_stop(w->loop, &w->writer);
	ev_prepare_stop(w->loop, &w->flusher);
}

void
worker_note_running(struct worker_process *w)
{
	if (w->blamed == NULL && w->head != NULL && w->head != w->send_next)
		w->blamed = w->head;
}

void
worker_fail_protocol(struct worker_process *w, const char *format, ...)
{
	va_list ap;

	if (w->protocol_error)
		return;
	worker_note_running(w);
	w->protocol_error = true;
	va_start(ap, format);
	vsnprintf(w->reason, sizeof(w->reason), format, ap);
	va_end(ap);
	worker_stop_io(w);
	worker_kill(w);
}

static struct job *
pop_head(struct worker_process *w)
{
	struct job *job = w->head;

	w->head = job->queue_next;
	if (w->head == NULL)
		w->tail = NULL;
	else
		job_prefetch(w->head);	/* the next answer is about it */
	job->queue_next = NULL;
	w->in_flight--;
	w->in_flight_bytes -= job->metadata_length;
	return job;
}

void
worker_answered(struct worker_process *w, uint64_t id, uint64_t claimed_us,
    struct outcome *outcome)
{
	uint64_t observed;
	struct job *job;
	double now;

	if (w->head == NULL) {
		worker_fail_protocol(w, "answered request %llu while running none",
		    (unsigned long long)id);
		return;
	}
	if (w->head == w->send_next) {
		worker_fail_protocol(w, "answered request %llu before it had it",
		    (unsigned long long)id);
		return;
	}
	if (w->head->request_id != id) {
		worker_fail_protocol(w, "answered request %llu, but request %llu is "
		    "the one it is running", (unsigned long long)id,
		    (unsigned long long)w->head->request_id);
		return;
	}
	now = monotonic_seconds();
	/* What the worker says the call took, but never more than the
	 * supervisor saw pass since the worker had the request: a lying or
	 * broken worker can make it smaller, never absurd. */
	observed = now > w->head->handed_at ? (uint64_t)((now -
	    w->head->handed_at) * 1e6) : 0;
	outcome->latency_us = claimed_us < observed ? claimed_us : observed;
	job = pop_head(w);
	if (job->suspect) {
		job->suspect = false;
		w->suspect_held = false;
	}
	w->clock_start = now;
	w->signalled = false;
	arm_deadline_at(w, now);
	w->events->answered(w, job, outcome, w->arg);
}

/* Seconds until the worker must be killed, from its state; a negative
 * value is overdue, HUGE_VAL is never. */
static double
time_left(const struct worker_process *w, double now)
{
	switch (w->state) {
	case W_SPAWNING:
	case W_STARTING:
	case W_SEALING:
		return w->clock_start + SETUP_ALLOWANCE_MS / 1000.0 - now;
	case W_LOADING:
		return deadline_left(w->clock_start,
		    w->setup->load.load_timeout_ms, now);
	case W_READY:
	case W_CLOSING:
		/* Holding nothing: only a closed worker must still end. */
		if (w->head == NULL)
			return w->closing ? w->clock_start +
			    CLOSE_GRACE_MS / 1000.0 - now : HUGE_VAL;
		if (call_timeout(w) == 0)
			return HUGE_VAL;
		return deadline_left(w->clock_start, call_timeout(w), now);
	case W_GONE:
		break;
	}
	return HUGE_VAL;
}

/* Seconds until a serving worker that may be late gets SIGALRM, which
 * arms its hook (call.c): a grace before the limit, so the hook is already
 * watching when the call's own deadline passes, and a grace before the
 * kill at the limit plus the grace.  HUGE_VAL when none is due. */
static double
signal_left(const struct worker_process *w, double now)
{
	uint32_t limit = call_timeout(w), grace = kill_grace_ms(limit);

	if ((w->state != W_READY && w->state != W_CLOSING) || w->head == NULL ||
	    w->head == w->send_next || limit == 0 || w->signalled)
		return HUGE_VAL;
	return w->clock_start + (limit > grace ? limit - grace : 0) / 1000.0 -
	    now;
}

static void
on_deadline(struct ev_loop *loop, ev_timer *timer, int events)
{
	struct worker_process *w = timer->data;
	double now;

	(void)loop;
	(void)events;
	/* The supervisor may have been busy: before judging, hand over what
	 * the worker can take and read the answers waiting in the pipe (one
	 * budget's worth: a worker writing without end must not keep its
	 * judge reading). */
	worker_flush(w);
	worker_read_replies(w, READ_BUDGET);
	if (w->protocol_error || w->state == W_GONE)
		return;
	now = monotonic_seconds();
	if (signal_left(w, now) <= 0 && !w->reaped) {
		w->signalled = true;
		kill(w->spawned.pid, SIGALRM);
	}
	if (time_left(w, now) > 0) {
		worker_arm_deadline(w);
		return;
	}
	if (w->head != NULL || w->state == W_LOADING ||
	    w->state == W_SPAWNING || w->state == W_STARTING ||
	    w->state == W_SEALING)
		w->timed_out = true;
	worker_kill(w);
}

static void
arm_deadline_at(struct worker_process *w, double now)
{
	double after = time_left(w, now), signal = signal_left(w, now);

	if (signal < after)
		after = signal;
	if (after == HUGE_VAL) {
		ev_timer_stop(w->loop, &w->deadline);
		return;
	}
	/* A timer due no later stays: on_deadline judges from the clock and
	 * arms it again when it is early, as it is after every answer but
	 * the last of a batch. */
	if (ev_is_active(&w->deadline) &&
	    ev_timer_remaining(w->loop, &w->deadline) <= after)
		return;
	ev_timer_stop(w->loop, &w->deadline);
	/* At least a millisecond: an overdue worker is judged from the
	 * loop, after what is already waiting has been read. */
	ev_timer_set(&w->deadline, after < 0.001 ? 0.001 : after, 0.);
	ev_timer_start(w->loop, &w->deadline);
}

void
worker_arm_deadline(struct worker_process *w)
{
	arm_deadline_at(w, monotonic_seconds());
}

static void
on_child(struct ev_loop *loop, ev_child *watcher, int events)
{
	struct worker_process *w = watcher->data;

	(void)events;
	ev_child_stop(loop, watcher);
	w->reaped = true;
	/* Everything it wrote before dying is in the pipes: read it all,
	 * its start report first (it ends with its exit). */
	(void)worker_start_report(w);
	if (!w->output_eof)
		worker_read_replies(w, SIZE_MAX);
	if (!w->log_eof)
		worker_read_log(w, SIZE_MAX);
	finish(w, watcher->rstatus);
}

/* Decides how it ended and what becomes of the jobs it held. */
static void
finish(struct worker_process *w, int status)
{
	struct worker_death death;
	struct job *culprit, **link;
	struct death_facts facts = {
		.status = status,
		.loading = !w->ever_ready,
		.closed_idle = w->closing && w->in_flight == 0,
		.protocol_error = w->protocol_error ? w->reason : NULL,
		.violation = w->violated ? w->said : NULL,
		.timed_out = w->timed_out,
		.retired = w->retired,
		.no_hello = (w->state == W_STARTING ||
		    w->state == W_SPAWNING) && !w->ended,
		.load_timeout_ms = w->setup->load.load_timeout_ms,
		.call_timeout_ms = call_timeout(w),
		.hello_timeout_ms = SETUP_ALLOWANCE_MS,
		.said = w->last_words && !w->violated ? w->said : NULL,
		.spawn_error = w->spawn_failed ? w->spawn_error : NULL,
	};
	double now = monotonic_seconds();

	size_t handed = 0;

	/* Who was running?  The one it was on when it said something that
	 * ends it (w->blamed), or the only whole request it held if that is
	 * proven below.  Otherwise nobody can say (answers come in batches,
	 * and a request in the pipe may never have been read): none is
	 * blamed, and each whole one goes to the replacement alone
	 * (job->suspect), where the culprit, if it is one, fails again and
	 * is blamed exactly.  The request it named when the filter trapped
	 * it is believed only if it holds one by that id. */
	for (struct job *j = w->head; j != NULL && j != w->send_next;
	    j = j->queue_next)
		handed++;
	culprit = w->blamed;
	/* One whole request, and proof it ran: the supervisor waited the
	 * whole limit for it, or it was already sent alone after a death
	 * (a second death alone with it is its own).  A death by a signal
	 * or an exit proves nothing else: a worker killed from outside just
	 * after its request went into the pipe never ran it. */
	if (culprit == NULL && handed == 1 && (w->timed_out ||
	    w->head->suspect))
		culprit = w->head;
	if (w->violated && w->violation_id != 0)
		for (struct job *j = w->head; j != NULL && j != w->send_next;
		    j = j->queue_next)
			if (j->request_id == w->violation_id)
				culprit = j;
	memset(&death, 0, sizeof(death));
	death_classify(&facts, &death.verdict);
	death.culprit = death.verdict.type == DEATH_FAILED ? culprit : NULL;
	if (death.verdict.type == DEATH_FAILED && death.culprit == NULL)
		for (struct job *j = w->head; j != NULL && j != w->send_next;
		    j = j->queue_next)
			j->suspect = true;
	death.culprit_latency_us = death.culprit != NULL &&
	    now > death.culprit->handed_at ? (uint64_t)((now -
	    death.culprit->handed_at) * 1e6) : 0;
	death.peak_rss_kib = w->peak_rss_kib;
	link = &death.requeue;
	for (struct job *j = w->head, *next; j != NULL; j = next) {
		next = j->queue_next;
		j->queue_next = NULL;
		if (j == death.culprit)
			continue;
		*link = j;
		link = &j->queue_next;
	}
	w->head = w->tail = w->send_next = NULL;
	w->in_flight = w->in_flight_bytes = 0;
	w->state = W_GONE;
	worker_stop_io(w);
	ev_io_stop(w->loop, &w->logger);
	ev_timer_stop(w->loop, &w->deadline);
	ev_io_stop(w->loop, &w->starter);
	spawn_pending_close(&w->pending);
	w->events->died(w, &death, w->arg);
}

struct worker_process *
worker_process_start(struct ev_loop *loop, const struct worker_setup *setup,
    const struct worker_events *events, void *arg, char *error,
    size_t error_size)
{
	struct worker_process *w = xcalloc(1, sizeof(*w));

	if (spawn_begin(&setup->spawn, &w->spawned, &w->pending, error,
	    error_size) == -1) {
		free(w);
		return NULL;
	}
	w->loop = loop;
	w->setup = setup;
	w->events = events;
	w->arg = arg;
	w->state = W_SPAWNING;
	w->next_id = 1;
	w->clock_start = monotonic_seconds();
	/* Out of memory here is the supervisor's own, like xcalloc's. */
	if ((w->decoder = wire_decoder_new()) == NULL)
		fatalx("out of memory");
	/* Watched from now on: libev reaps every child, and a death it has
	 * no watcher for would be lost. */
	ev_child_init(&w->child, on_child, w->spawned.pid, 0);
	w->child.data = w;
	ev_child_start(loop, &w->child);
	ev_init(&w->deadline, on_deadline);
	w->deadline.data = w;
	worker_send_init(w);
	worker_receive_init(w);
	worker_arm_deadline(w);
	return w;
}

void
worker_process_free(struct worker_process *w)
{
	if (w == NULL)
		return;
	worker_stop_io(w);
	ev_io_stop(w->loop, &w->logger);
	ev_child_stop(w->loop, &w->child);
	ev_timer_stop(w->loop, &w->deadline);
	if (w->spawned.to_worker >= 0)
		close(w->spawned.to_worker);
	close(w->spawned.from_worker);
	close(w->spawned.log);
	buffer_free(&w->in);
	buffer_free(&w->control);
	buffer_free(&w->log);
	wire_decoder_free(w->decoder);
	free(w);
}

bool
worker_process_holds_suspect(const struct worker_process *w)
{
	return w->suspect_held;
}

size_t
worker_process_in_flight(const struct worker_process *w)
{
	return w->in_flight;
}

size_t
worker_process_in_flight_bytes(const struct worker_process *w)
{
	return w->in_flight_bytes;
}

bool
worker_process_is_ready(const struct worker_process *w)
{
	return w->state == W_READY && !w->reaped && !w->protocol_error &&
	    !w->timed_out && !w->retired && !w->output_eof &&
	    !w->output_broken;
}

void
worker_process_close(struct worker_process *w)
{
	if (w->state == W_GONE || w->closing)
		return;
	w->closing = true;
	w->ended = true;
	if (w->state != W_READY) {
		/* Still starting: nothing to finish. */
		worker_kill(w);
		return;
	}
	w->state = W_CLOSING;
	sample_peak_rss(w);
	if (w->head == NULL)
		w->clock_start = monotonic_seconds();
	worker_arm_deadline(w);
	worker_flush(w);
}

void
worker_process_retire(struct worker_process *w)
{
	if (w->state == W_GONE || w->retired)
		return;
	w->retired = true;
	w->ended = true;
	worker_stop_io(w);
	worker_kill(w);
}

void
worker_process_kill(struct worker_process *w)
{
	w->ended = true;
	if (w->state != W_GONE)
		worker_kill(w);
}

long
worker_process_peak_rss(const struct worker_process *w)
{
	return w->peak_rss_kib;
}

const struct sandbox_report *
worker_process_report(const struct worker_process *w)
{
	return &w->report;
}
