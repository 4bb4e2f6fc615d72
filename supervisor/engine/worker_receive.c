/*
 * What comes from a worker: the report of its start (the status pipe,
 * until exec), its messages (each checked against its state) and its
 * stderr.  Reads are bounded per wakeup, so that a worker writing without
 * end cannot hold the loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "../timing.h"
#include "worker_log.h"
#include "worker_state.h"

#define READ_CHUNK		(64 * 1024)

static void
note_violation(struct worker_process *w, const struct wire_message *m)
{
	char name[64];

	w->violated = true;
	w->last_words = true;
	w->violation_id = m->u.violation.id;
	if (policy_syscall_name(m->u.violation.arch,
	    (long)m->u.violation.syscall, name, sizeof(name)) == NULL)
		snprintf(name, sizeof(name), "syscall");
	snprintf(w->said, sizeof(w->said), "blocked by the seccomp policy: %s "
	    "(syscall %lld)", name, (long long)m->u.violation.syscall);
}

static void
handle_reply(struct worker_process *w, const struct wire_message *m)
{
	struct outcome outcome;

	memset(&outcome, 0, sizeof(outcome));
	outcome.ok = true;
	outcome.type = m->u.reply.type.bytes;
	outcome.type_length = m->u.reply.type.length;
	outcome.name = m->u.reply.name.bytes;
	outcome.name_length = m->u.reply.name.length;
	worker_answered(w, m->u.reply.id, m->u.reply.micros, &outcome);
}

static void
handle_error(struct worker_process *w, const struct wire_message *m)
{
	char message[WIRE_MAX_TEXT + 1];
	struct outcome outcome;
	int kind = error_kind_parse(m->u.error.kind.bytes,
	    m->u.error.kind.length);

	if (m->u.error.id == 0) {
		/* About the worker itself, just before it exits: it words
		 * the verdict, the exit status decides it. */
		w->last_words = true;
		worker_note_running(w);
		snprintf(w->said, sizeof(w->said), "%.*s",
		    (int)m->u.error.message.length, m->u.error.message.bytes);
		return;
	}
	if (kind != ERROR_TIMEOUT && kind != ERROR_MEMORY &&
	    kind != ERROR_ERROR && kind != ERROR_BAD_RETURN) {
		worker_fail_protocol(w, "reported error kind '%.*s' for a request",
		    (int)m->u.error.kind.length, m->u.error.kind.bytes);
		return;
	}
	snprintf(message, sizeof(message), "%.*s",
	    (int)m->u.error.message.length, m->u.error.message.bytes);
	memset(&outcome, 0, sizeof(outcome));
	outcome.kind = (enum error_kind)kind;
	outcome.message = message;
	worker_answered(w, m->u.error.id, m->u.error.micros, &outcome);
}

bool
worker_admits(enum worker_state state, bool probing, enum wire_type type)
{
	bool serving = state == W_READY || state == W_CLOSING;

	switch (type) {
	case WIRE_HELLO:
		return state == W_STARTING;
	case WIRE_SEALED:
		return state == W_SEALING;
	case WIRE_READY:
		return state == W_LOADING;
	case WIRE_REPLY:
		return serving;
	case WIRE_ERROR:
		return state != W_STARTING && state != W_SPAWNING;
	case WIRE_LOG:
		return state == W_LOADING || serving;
	case WIRE_VIOLATION:
		return state != W_STARTING && state != W_SPAWNING;
	case WIRE_PROBE:
		return state == W_READY && probing;
	case WIRE_LOAD:
	case WIRE_REQUEST:
		break;
	}
	return false;
}

static void
handle_message(struct worker_process *w, const struct wire_message *m)
{
	if (w->last_words) {
		worker_fail_protocol(w, "sent %s after its last words",
		    wire_type_name(m->type));
		return;
	}
	/* Its exec is behind it once it speaks: its start report has
	 * ended, if the loop has not read it yet. */
	if (w->state == W_SPAWNING && !worker_start_report(w)) {
		if (!w->spawn_failed)
			worker_fail_protocol(w, "sent %s before its start "
			    "report ended", wire_type_name(m->type));
		return;
	}
	if (!worker_admits(w->state, w->events->probed != NULL, m->type)) {
		worker_fail_protocol(w, "sent an unexpected %s message",
		    wire_type_name(m->type));
		return;
	}
	switch (m->type) {
	case WIRE_LOG:
		/* An empty LOG only counts lines the worker dropped. */
		worker_log_dropped(w->setup->log, ev_now(w->loop),
		    w->setup->plugin, m->u.log.dropped);
		if (m->u.log.text.length > 0)
			worker_log_line(w->setup->log, ev_now(w->loop),
			    w->setup->plugin, m->u.log.text.bytes,
			    m->u.log.text.length);
		return;
	case WIRE_VIOLATION:
		note_violation(w, m);
		return;
	case WIRE_HELLO:
		w->state = W_SEALING;
		if (wire_put_load(&w->control, &w->setup->load) == -1)
			worker_fail_protocol(w, "the LOAD message does not fit");
		else
			worker_schedule_flush(w);
		return;
	case WIRE_SEALED:
		/* Plugin code runs from now on: the load limit starts. */
		w->state = W_LOADING;
		w->clock_start = monotonic_seconds();
		worker_arm_deadline(w);
		return;
	case WIRE_READY:
		w->state = W_READY;
		w->ever_ready = true;
		sandbox_report_set(&w->report, &w->spawned, m);
		worker_arm_deadline(w);
		w->events->ready(w, w->arg);
		return;
	case WIRE_REPLY:
		handle_reply(w, m);
		return;
	case WIRE_ERROR:
		handle_error(w, m);
		return;
	case WIRE_PROBE:
		/* Admitted only when there is a handler; said again for the
		 * reader (and the analyser). */
		if (w->events->probed != NULL)
			w->events->probed(w, m, w->arg);
		return;
	case WIRE_LOAD:
	case WIRE_REQUEST:
		break;
	}
}

static void
process_frames(struct worker_process *w)
{
	char error[256];
	const char *payload;
	size_t length;
	int r;

	/* Nothing a retired worker sent after the call that retired it is
	 * believed: those requests go to its replacement. */
	while (!w->protocol_error && !w->retired && w->state != W_GONE &&
	    (r = wire_frame(&w->in, &payload, &length, error,
	    sizeof(error))) != 0) {
		struct wire_message message;

		if (r == -1) {
			worker_fail_protocol(w, "sent a malformed frame: %s", error);
			return;
		}
		if (wire_decode(w->decoder, payload, length, &message, error,
		    sizeof(error)) == -1) {
			worker_fail_protocol(w, "sent a malformed message: %s", error);
			return;
		}
		handle_message(w, &message);
		buffer_consume(&w->in, WIRE_HEADER_SIZE + length);
	}
	buffer_shrink(&w->in, BUFFER_KEEP);
}

/* Reads what is there (up to a budget) and handles each whole frame. */
void
worker_read_replies(struct worker_process *w, size_t budget)
{
	while (!w->protocol_error && !w->retired && !w->output_eof &&
	    budget > 0 && w->state != W_GONE) {
		ssize_t n;

		if (buffer_reserve(&w->in, READ_CHUNK) == -1) {
			worker_fail_protocol(w, "no memory for its replies");
			return;
		}
		n = read(w->spawned.from_worker, w->in.data + w->in.end,
		    w->in.capacity - w->in.end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;			/* EAGAIN */
		if (n == 0) {
			w->output_eof = true;
			ev_io_stop(w->loop, &w->reader);
			/* A live worker never closes its stdout: make sure.
			 * Before its HELLO it is let end by itself (or by its
			 * deadline), so its exit says what it was (death.h). */
			if (w->state != W_STARTING &&
			    w->state != W_SPAWNING)
				worker_kill(w);
			return;
		}
		w->in.end += (size_t)n;
		budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
		process_frames(w);
	}
}

static void
on_readable(struct ev_loop *loop, ev_io *watcher, int events)
{
	(void)loop;
	(void)events;
	worker_read_replies(watcher->data, READ_BUDGET);
}

void
worker_read_log(struct worker_process *w, size_t budget)
{
	if (worker_log_read(w->spawned.log, &w->log, budget, w->setup->log,
	    ev_now(w->loop), w->setup->plugin)) {
		w->log_eof = true;
		ev_io_stop(w->loop, &w->logger);
	}
}

static void
on_log(struct ev_loop *loop, ev_io *watcher, int events)
{
	(void)loop;
	(void)events;
	/* One budget per wakeup, as for replies: a worker writing without
	 * end must not hold the loop. */
	worker_read_log(watcher->data, READ_BUDGET);
}

bool
worker_start_report(struct worker_process *w)
{
	int r;

	if (w->state != W_SPAWNING)
		return true;
	if (w->spawn_failed)
		return false;
	r = spawn_continue(&w->pending, &w->spawned, w->spawn_error,
	    sizeof(w->spawn_error));
	if (r == 1)
		return false;
	ev_io_stop(w->loop, &w->starter);
	if (r == -1) {
		/* A step before exec failed: it exits, or is made to. */
		w->spawn_failed = true;
		worker_kill(w);
		return false;
	}
	w->state = W_STARTING;
	return true;
}

static void
on_start_report(struct ev_loop *loop, ev_io *watcher, int events)
{
	(void)loop;
	(void)events;
	(void)worker_start_report(watcher->data);
}

void
worker_receive_init(struct worker_process *w)
{
	ev_io_init(&w->reader, on_readable, w->spawned.from_worker, EV_READ);
	ev_io_init(&w->logger, on_log, w->spawned.log, EV_READ);
	ev_io_init(&w->starter, on_start_report, w->pending.status, EV_READ);
	w->reader.data = w->logger.data = w->starter.data = w;
	ev_io_start(w->loop, &w->reader);
	ev_io_start(w->loop, &w->logger);
	ev_io_start(w->loop, &w->starter);
}
