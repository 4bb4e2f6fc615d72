/*
 * One worker process, seen from the supervisor.
 *
 * States: STARTING (spawned, waiting for HELLO) -> LOADING (LOAD sent,
 * waiting for READY) -> READY (serving) -> CLOSING (input closed) -> gone.
 * Requests are pipelined; the worker runs them in order, so the head of the
 * in-flight list is the one running, and its deadline starts when the
 * previous reply arrived (or when it was sent to an idle worker).
 *
 * How a worker ended is decided once it is reaped and its pipes are
 * drained, from what it said last (ERROR, VIOLATION), what the supervisor
 * did to it (a deadline kill, a protocol violation) and its exit status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "timing.h"
#include "worker_log.h"
#include "worker_process.h"

#define READ_CHUNK		(64 * 1024)
#define READ_BUDGET		(1024 * 1024)	/* per callback: be fair */
#define START_ALLOWANCE_MS	2000		/* exec and sandbox setup */

enum state { W_STARTING, W_LOADING, W_READY, W_CLOSING, W_GONE };

struct worker_process {
	struct ev_loop		*loop;
	const struct worker_setup *setup;
	const struct worker_events *events;
	void			*arg;
	struct spawned		 spawned;
	enum state		 state;

	ev_io			 reader, writer, logger;
	ev_child		 child;
	ev_timer		 deadline;
	struct buffer		 in, out, log;
	struct wire_decoder	*decoder;
	bool			 input_closed, output_eof, log_eof;
	bool			 closing;	/* asked to end */

	struct job		*head, *tail;
	size_t			 in_flight;
	uint64_t		 next_id;
	ev_tstamp		 head_started;

	/* What it said about its end, or what was done to it. */
	bool			 timed_out, protocol_error, violated;
	bool			 said_error;
	enum error_kind		 said_kind;
	char			 said[WIRE_MAX_TEXT];
	uint64_t		 violation_id;
	char			 reason[256];

	struct sandbox_report	 report;		/* from READY */

	long			 peak_rss_kib;	/* VmHWM when last seen */
	bool			 reaped;	/* its pid may be another's now */
};

static void	arm_deadline(struct worker_process *);
static void	finish(struct worker_process *, int status);

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
static void
kill_worker(struct worker_process *w)
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

static void
fail_protocol(struct worker_process *w, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail_protocol(struct worker_process *w, const char *format, ...)
{
	va_list ap;

	if (w->protocol_error)
		return;
	w->protocol_error = true;
	va_start(ap, format);
	vsnprintf(w->reason, sizeof(w->reason), format, ap);
	va_end(ap);
	ev_io_stop(w->loop, &w->reader);
	ev_io_stop(w->loop, &w->writer);
	kill_worker(w);
}

static void
flush_output(struct worker_process *w)
{
	while (buffer_length(&w->out) > 0) {
		ssize_t n = write(w->spawned.to_worker, buffer_bytes(&w->out),
		    buffer_length(&w->out));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			ev_io_start(w->loop, &w->writer);
			return;
		}
		if (n <= 0) {
			/* EPIPE: it is dying; its exit tells why. */
			buffer_clear(&w->out);
			break;
		}
		buffer_consume(&w->out, (size_t)n);
	}
	ev_io_stop(w->loop, &w->writer);
	if (w->state == W_CLOSING && !w->input_closed) {
		close(w->spawned.to_worker);
		w->spawned.to_worker = -1;
		w->input_closed = true;
	}
}

static void
on_writable(struct ev_loop *loop, ev_io *watcher, int events)
{
	(void)loop;
	(void)events;
	flush_output(watcher->data);
}

static struct job *
pop_head(struct worker_process *w)
{
	struct job *job = w->head;

	w->head = job->queue_next;
	if (w->head == NULL)
		w->tail = NULL;
	job->queue_next = NULL;
	w->in_flight--;
	return job;
}

static void
handle_answer(struct worker_process *w, uint64_t id, struct outcome *outcome)
{
	struct job *job;

	if (w->head == NULL) {
		fail_protocol(w, "answered request %llu while running none",
		    (unsigned long long)id);
		return;
	}
	if (w->head->request_id != id) {
		fail_protocol(w, "answered request %llu, but request %llu is "
		    "the one it is running", (unsigned long long)id,
		    (unsigned long long)w->head->request_id);
		return;
	}
	job = pop_head(w);
	w->head_started = ev_now(w->loop);
	arm_deadline(w);
	w->events->answered(w, job, outcome, w->arg);
}

static void
handle_message(struct worker_process *w, const struct wire_message *m)
{
	struct outcome outcome;
	int kind;

	switch (m->type) {
	case WIRE_LOG:
		worker_log_line(w->setup->log, ev_now(w->loop), w->setup->plugin,
		    m->u.log.text.bytes, m->u.log.text.length);
		return;
	case WIRE_VIOLATION:
		w->violated = true;
		w->violation_id = m->u.violation.id;
		{
			char name[64];

			if (policy_syscall_name(m->u.violation.arch,
			    (long)m->u.violation.syscall, name,
			    sizeof(name)) == NULL)
				snprintf(name, sizeof(name), "syscall");
			snprintf(w->said, sizeof(w->said), "blocked by the "
			    "seccomp policy: %s (syscall %lld)", name,
			    (long long)m->u.violation.syscall);
		}
		return;
	case WIRE_HELLO:
		if (w->state != W_STARTING)
			break;
		w->state = W_LOADING;
		if (wire_put_load(&w->out, &w->setup->load) == -1)
			fail_protocol(w, "the LOAD message does not fit");
		else
			flush_output(w);
		return;
	case WIRE_READY:
		if (w->state != W_LOADING)
			break;
		w->state = W_READY;
		sandbox_report_set(&w->report, &w->spawned, m);
		arm_deadline(w);
		w->events->ready(w, w->arg);
		return;
	case WIRE_REPLY:
		if (w->state != W_READY && w->state != W_CLOSING)
			break;
		memset(&outcome, 0, sizeof(outcome));
		outcome.ok = true;
		outcome.type = m->u.reply.type.bytes;
		outcome.type_length = m->u.reply.type.length;
		outcome.name = m->u.reply.name.bytes;
		outcome.name_length = m->u.reply.name.length;
		outcome.latency_us = m->u.reply.micros;
		handle_answer(w, m->u.reply.id, &outcome);
		return;
	case WIRE_ERROR:
		kind = error_kind_parse(m->u.error.kind.bytes,
		    m->u.error.kind.length);
		if (m->u.error.id == 0) {
			/* About the worker itself: it is about to exit. */
			w->said_error = true;
			w->said_kind = kind >= 0 ? (enum error_kind)kind :
			    ERROR_CRASH;
			snprintf(w->said, sizeof(w->said), "%.*s",
			    (int)m->u.error.message.length,
			    m->u.error.message.bytes);
			return;
		}
		if (w->state != W_READY && w->state != W_CLOSING)
			break;
		if (kind != ERROR_TIMEOUT && kind != ERROR_MEMORY &&
		    kind != ERROR_ERROR && kind != ERROR_BAD_RETURN) {
			fail_protocol(w, "reported error kind '%.*s' for a "
			    "request", (int)m->u.error.kind.length,
			    m->u.error.kind.bytes);
			return;
		}
		{
			char message[WIRE_MAX_TEXT + 1];

			snprintf(message, sizeof(message), "%.*s",
			    (int)m->u.error.message.length,
			    m->u.error.message.bytes);
			memset(&outcome, 0, sizeof(outcome));
			outcome.kind = (enum error_kind)kind;
			outcome.message = message;
			outcome.latency_us = m->u.error.micros;
			handle_answer(w, m->u.error.id, &outcome);
		}
		return;
	case WIRE_PROBE:
		if (w->state != W_READY || w->events->probed == NULL)
			break;
		w->events->probed(w, m, w->arg);
		return;
	case WIRE_LOAD:
	case WIRE_REQUEST:
		break;
	}
	fail_protocol(w, "sent an unexpected %s message",
	    wire_type_name(m->type));
}

static void
process_frames(struct worker_process *w)
{
	char error[256];
	const char *payload;
	size_t length;
	int r;

	while (!w->protocol_error && (r = wire_frame(&w->in, &payload,
	    &length, error, sizeof(error))) != 0) {
		struct wire_message message;

		if (r == -1) {
			fail_protocol(w, "sent a malformed frame: %s", error);
			return;
		}
		if (wire_decode(w->decoder, payload, length, &message, error,
		    sizeof(error)) == -1) {
			fail_protocol(w, "sent a malformed message: %s", error);
			return;
		}
		handle_message(w, &message);
		buffer_consume(&w->in, WIRE_HEADER_SIZE + length);
	}
}

/* Reads what is there (up to a budget) and handles each whole frame. */
static void
read_replies(struct worker_process *w, size_t budget)
{
	while (!w->protocol_error && !w->output_eof && budget > 0) {
		ssize_t n;

		if (buffer_reserve(&w->in, READ_CHUNK) == -1) {
			fail_protocol(w, "no memory for its replies");
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
			/* A live worker never closes its stdout: make sure. */
			kill_worker(w);
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
	read_replies(watcher->data, READ_BUDGET);
}

static void
read_log(struct worker_process *w, size_t budget)
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
	read_log(watcher->data, READ_BUDGET);
}

static void
on_deadline(struct ev_loop *loop, ev_timer *timer, int events)
{
	struct worker_process *w = timer->data;

	(void)events;
	/* Replies may be waiting in the pipe while the supervisor was busy:
	 * count them before judging.  One budget's worth only: a worker
	 * writing without end must not keep its judge reading. */
	ev_now_update(loop);
	read_replies(w, READ_BUDGET);
	if (w->protocol_error || w->state == W_GONE)
		return;
	if ((w->state == W_READY || w->state == W_CLOSING) &&
	    w->head == NULL)
		return;
	if ((w->state == W_READY || w->state == W_CLOSING) &&
	    call_time_left(w->head_started, call_timeout(w),
	    ev_now(loop)) > 0) {
		arm_deadline(w);
		return;
	}
	w->timed_out = true;
	kill_worker(w);
}

static void
arm_deadline(struct worker_process *w)
{
	double after;

	ev_timer_stop(w->loop, &w->deadline);
	switch (w->state) {
	case W_STARTING:
	case W_LOADING:
		after = ((double)w->setup->load.load_timeout_ms +
		    kill_margin_ms(w->setup->load.load_timeout_ms) +
		    START_ALLOWANCE_MS) / 1000.0;
		break;
	case W_READY:
	case W_CLOSING:
		/* Idle, or --timeout 0: no deadline. */
		if (w->head == NULL || call_timeout(w) == 0)
			return;
		after = call_time_left(w->head_started, call_timeout(w),
		    ev_now(w->loop));
		if (after < 0.001)
			after = 0.001;
		break;
	default:
		return;
	}
	ev_timer_set(&w->deadline, after, 0.);
	ev_timer_start(w->loop, &w->deadline);
}

static void
on_child(struct ev_loop *loop, ev_child *watcher, int events)
{
	struct worker_process *w = watcher->data;

	(void)events;
	ev_child_stop(loop, watcher);
	w->reaped = true;
	/* Everything it wrote before dying is in the pipes: read it all. */
	if (!w->output_eof)
		read_replies(w, SIZE_MAX);
	if (!w->log_eof)
		read_log(w, SIZE_MAX);
	finish(w, watcher->rstatus);
}

/* Decides how it ended and what becomes of the jobs it held. */
static void
finish(struct worker_process *w, int status)
{
	struct worker_death death;
	bool loading = w->state == W_STARTING || w->state == W_LOADING;
	struct job *culprit = w->head, **link;
	struct death_facts facts = {
		.status = status,
		.loading = loading,
		.closed_idle = w->closing && w->in_flight == 0,
		.protocol_error = w->protocol_error ? w->reason : NULL,
		.violation = w->violated ? w->said : NULL,
		.timed_out = w->timed_out,
		.load_timeout_ms = w->setup->load.load_timeout_ms,
		.call_timeout_ms = call_timeout(w),
		.said_error = w->said_error,
		.said_kind = w->said_kind,
		.said = w->said,
	};

	if (w->violated && w->violation_id != 0)
		for (struct job *j = w->head; j != NULL; j = j->queue_next)
			if (j->request_id == w->violation_id)
				culprit = j;
	memset(&death, 0, sizeof(death));
	death_classify(&facts, &death.verdict);
	death.culprit = death.verdict.type == DEATH_FAILED ? culprit : NULL;
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
	w->head = w->tail = NULL;
	w->in_flight = 0;
	w->state = W_GONE;
	ev_io_stop(w->loop, &w->reader);
	ev_io_stop(w->loop, &w->writer);
	ev_io_stop(w->loop, &w->logger);
	ev_timer_stop(w->loop, &w->deadline);
	w->events->died(w, &death, w->arg);
}

struct worker_process *
worker_process_start(struct ev_loop *loop, const struct worker_setup *setup,
    const struct worker_events *events, void *arg, char *error,
    size_t error_size)
{
	struct worker_process *w = xcalloc(1, sizeof(*w));

	if (spawn_worker(&setup->spawn, &w->spawned, error, error_size) == -1) {
		free(w);
		return NULL;
	}
	w->loop = loop;
	w->setup = setup;
	w->events = events;
	w->arg = arg;
	w->state = W_STARTING;
	w->next_id = 1;
	/* Out of memory here is the supervisor's own, like xcalloc's. */
	if ((w->decoder = wire_decoder_new()) == NULL)
		fatalx("out of memory");
	ev_io_init(&w->reader, on_readable, w->spawned.from_worker, EV_READ);
	ev_io_init(&w->writer, on_writable, w->spawned.to_worker, EV_WRITE);
	ev_io_init(&w->logger, on_log, w->spawned.log, EV_READ);
	ev_child_init(&w->child, on_child, w->spawned.pid, 0);
	ev_init(&w->deadline, on_deadline);
	w->reader.data = w->writer.data = w->logger.data = w->child.data = w;
	w->deadline.data = w;
	ev_io_start(loop, &w->reader);
	ev_io_start(loop, &w->logger);
	ev_child_start(loop, &w->child);
	arm_deadline(w);
	return w;
}

void
worker_process_free(struct worker_process *w)
{
	if (w == NULL)
		return;
	ev_io_stop(w->loop, &w->reader);
	ev_io_stop(w->loop, &w->writer);
	ev_io_stop(w->loop, &w->logger);
	ev_child_stop(w->loop, &w->child);
	ev_timer_stop(w->loop, &w->deadline);
	if (w->spawned.to_worker >= 0)
		close(w->spawned.to_worker);
	close(w->spawned.from_worker);
	close(w->spawned.log);
	buffer_free(&w->in);
	buffer_free(&w->out);
	buffer_free(&w->log);
	wire_decoder_free(w->decoder);
	free(w);
}

void
worker_process_send(struct worker_process *w, struct job *job)
{
	job->request_id = w->next_id++;
	job->queue_next = NULL;
	if (w->tail != NULL)
		w->tail->queue_next = job;
	else {
		w->head = job;
		w->head_started = ev_now(w->loop);
	}
	w->tail = job;
	w->in_flight++;
	if (wire_put_request(&w->out, job->request_id, job->metadata,
	    job->metadata_length) == -1) {
		fail_protocol(w, "could not be sent a request (out of memory)");
		return;
	}
	if (w->head == job)
		arm_deadline(w);
	if (!ev_is_active(&w->writer))
		flush_output(w);
}

size_t
worker_process_in_flight(const struct worker_process *w)
{
	return w->in_flight;
}

bool
worker_process_is_ready(const struct worker_process *w)
{
	return w->state == W_READY && !w->protocol_error && !w->timed_out &&
	    !w->output_eof;
}

void
worker_process_close(struct worker_process *w)
{
	if (w->state == W_GONE || w->closing)
		return;
	w->closing = true;
	if (w->state != W_READY) {
		/* Still starting: nothing to finish. */
		kill_worker(w);
		return;
	}
	w->state = W_CLOSING;
	sample_peak_rss(w);
	if (!ev_is_active(&w->writer))
		flush_output(w);
}

void
worker_process_kill(struct worker_process *w)
{
	if (w->state != W_GONE)
		kill_worker(w);
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
