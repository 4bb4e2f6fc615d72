/*
 * One worker process, seen from the supervisor.
 *
 * States: STARTING (spawned, waiting for HELLO) -> SEALING (LOAD sent,
 * waiting for SEALED) -> LOADING (its sandbox is sealed and the plugin's top
 * level runs) -> READY (serving) -> CLOSING (input closed) -> GONE.  A
 * message that does not belong to the state is a protocol violation: the
 * worker is killed and its end is a crash.
 *
 * Requests are pipelined and the worker answers them in order, so the head
 * of the in-flight list is the one it runs.  Requests go out by writev()
 * straight from each job's metadata, several per call, once per loop
 * iteration: nothing is copied, and a record of any size costs the same per
 * byte.
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
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "timing.h"
#include "worker_log.h"
#include "worker_process.h"

#define READ_CHUNK		(64 * 1024)
#define READ_BUDGET		(1024 * 1024)	/* per callback: be fair */
#define WRITE_IOVECS		64		/* per writev() */
#define BUFFER_KEEP		(256 * 1024)	/* capacity kept when idle */
/* Exec, the sandbox layers and the Lua state, before any plugin code runs:
 * nothing a plugin controls, so a generous allowance. */
#define SETUP_ALLOWANCE_MS	10000

enum state { W_STARTING, W_SEALING, W_LOADING, W_READY, W_CLOSING, W_GONE };

struct worker_process {
	struct ev_loop		*loop;
	const struct worker_setup *setup;
	const struct worker_events *events;
	void			*arg;
	struct spawned		 spawned;
	enum state		 state;
	bool			 ever_ready;

	ev_io			 reader, writer, logger;
	ev_prepare		 flusher;	/* writes once per iteration */
	ev_child		 child;
	ev_timer		 deadline;
	struct buffer		 in, control, log;
	struct wire_decoder	*decoder;
	bool			 input_closed, output_eof, log_eof;
	bool			 output_broken;	/* its input pipe failed */
	bool			 closing;	/* asked to end */

	/* In flight, in order; send_next is the first not wholly written,
	 * send_offset how much of it is. */
	struct job		*head, *tail, *send_next;
	size_t			 send_offset;
	size_t			 in_flight, in_flight_bytes;
	uint64_t		 next_id;
	double			 clock_start;	/* see the top of the file */
	bool			 signalled;	/* SIGALRM sent since then */
	bool			 rearm;		/* clock_start moved */
	/* The request running when it said something that ends it (last
	 * words, a violation report, a protocol error): answers come in
	 * order, so the oldest unanswered one is the one it was on. */
	struct job		*blamed;
	bool			 suspect_held;	/* it holds a suspect job */

	/* What was done to it, and what it said last. */
	bool			 timed_out, protocol_error, retired;
	bool			 last_words;	/* nothing may follow */
	bool			 violated;
	char			 said[WIRE_MAX_TEXT];
	uint64_t		 violation_id;
	char			 reason[256];

	struct sandbox_report	 report;		/* from READY */

	long			 peak_rss_kib;	/* VmHWM when last seen */
	bool			 reaped;	/* its pid may be another's now */
};

static void	arm_deadline(struct worker_process *);
static void	arm_deadline_at(struct worker_process *, double now);
static void	finish(struct worker_process *, int status);
static void	flush_output(struct worker_process *);

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
stop_io(struct worker_process *w)
{
	ev_io_stop(w->loop, &w->reader);
	ev_io_stop(w->loop, &w->writer);
	ev_prepare_stop(w->loop, &w->flusher);
}

static void
note_running(struct worker_process *w)
{
	if (w->blamed == NULL && w->head != NULL && w->head != w->send_next)
		w->blamed = w->head;
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
	note_running(w);
	w->protocol_error = true;
	va_start(ap, format);
	vsnprintf(w->reason, sizeof(w->reason), format, ap);
	va_end(ap);
	stop_io(w);
	kill_worker(w);
}

/* Writes the control messages (LOAD); returns false while some remain. */
static bool
write_control(struct worker_process *w)
{
	while (buffer_length(&w->control) > 0) {
		ssize_t n = write(w->spawned.to_worker,
		    buffer_bytes(&w->control), buffer_length(&w->control));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n <= 0) {
			w->output_broken = true;
			buffer_clear(&w->control);
			break;
		}
		buffer_consume(&w->control, (size_t)n);
	}
	buffer_shrink(&w->control, BUFFER_KEEP);
	return true;
}

/* Bytes of job's frame, header and metadata. */
static size_t
frame_length(const struct job *job)
{
	return job->wire_header_length + job->metadata_length;
}

/* Writes requests from send_next on; returns false while some remain. */
static bool
write_requests(struct worker_process *w)
{
	while (w->send_next != NULL && !w->output_broken) {
		struct iovec iov[WRITE_IOVECS];
		size_t offset = w->send_offset;
		bool head_bytes = w->send_next == w->head;
		int count = 0;
		double now;
		ssize_t n;

		for (struct job *j = w->send_next; j != NULL &&
		    count < WRITE_IOVECS - 1; j = j->queue_next, offset = 0) {
			size_t header = j->wire_header_length;

			if (offset < header) {
				iov[count].iov_base = j->wire_header + offset;
				iov[count++].iov_len = header - offset;
				offset = header;
			}
			if (offset - header < j->metadata_length) {
				iov[count].iov_base = j->metadata +
				    (offset - header);
				iov[count++].iov_len = j->metadata_length -
				    (offset - header);
			}
		}
		n = writev(w->spawned.to_worker, iov, count);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n <= 0) {
			/* EPIPE: it is dying; its exit tells why. */
			w->output_broken = true;
			break;
		}
		now = monotonic_seconds();
		/* The worker took bytes of the request it must run next: it
		 * cannot be late with a request it does not have yet. */
		if (head_bytes) {
			w->clock_start = now;
			w->signalled = false;
			w->rearm = true;
		}
		for (size_t left = (size_t)n; left > 0;) {
			size_t rest = frame_length(w->send_next) -
			    w->send_offset;

			if (left < rest) {
				w->send_offset += left;
				break;
			}
			left -= rest;
			w->send_next->handed_at = now;
			w->send_next = w->send_next->queue_next;
			w->send_offset = 0;
		}
	}
	return true;
}

static void
flush_output(struct worker_process *w)
{
	bool all_written;

	ev_prepare_stop(w->loop, &w->flusher);
	if (w->spawned.to_worker < 0)
		return;
	all_written = write_control(w) && write_requests(w);
	/* The head's clock moved: its timer follows. */
	if (w->rearm) {
		w->rearm = false;
		arm_deadline(w);
	}
	if (!all_written) {
		ev_io_start(w->loop, &w->writer);
		return;
	}
	ev_io_stop(w->loop, &w->writer);
	if (w->state == W_CLOSING && !w->input_closed) {
		close(w->spawned.to_worker);
		w->spawned.to_worker = -1;
		w->input_closed = true;
	}
}

/* Writes go out once per loop iteration, all that is ready in one go. */
static void
schedule_flush(struct worker_process *w)
{
	if (!ev_is_active(&w->writer))
		ev_prepare_start(w->loop, &w->flusher);
}

static void
on_flush(struct ev_loop *loop, ev_prepare *watcher, int events)
{
	(void)loop;
	(void)events;
	flush_output(watcher->data);
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
	else
		job_prefetch(w->head);	/* the next answer is about it */
	job->queue_next = NULL;
	w->in_flight--;
	w->in_flight_bytes -= job->metadata_length;
	return job;
}

static void
handle_answer(struct worker_process *w, uint64_t id, uint64_t claimed_us,
    struct outcome *outcome)
{
	uint64_t observed;
	struct job *job;
	double now;

	if (w->head == NULL) {
		fail_protocol(w, "answered request %llu while running none",
		    (unsigned long long)id);
		return;
	}
	if (w->head == w->send_next) {
		fail_protocol(w, "answered request %llu before it had it",
		    (unsigned long long)id);
		return;
	}
	if (w->head->request_id != id) {
		fail_protocol(w, "answered request %llu, but request %llu is "
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
	handle_answer(w, m->u.reply.id, m->u.reply.micros, &outcome);
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
		note_running(w);
		snprintf(w->said, sizeof(w->said), "%.*s",
		    (int)m->u.error.message.length, m->u.error.message.bytes);
		return;
	}
	if (kind != ERROR_TIMEOUT && kind != ERROR_MEMORY &&
	    kind != ERROR_ERROR && kind != ERROR_BAD_RETURN) {
		fail_protocol(w, "reported error kind '%.*s' for a request",
		    (int)m->u.error.kind.length, m->u.error.kind.bytes);
		return;
	}
	snprintf(message, sizeof(message), "%.*s",
	    (int)m->u.error.message.length, m->u.error.message.bytes);
	memset(&outcome, 0, sizeof(outcome));
	outcome.kind = (enum error_kind)kind;
	outcome.message = message;
	handle_answer(w, m->u.error.id, m->u.error.micros, &outcome);
}

/* Whether a message of this type belongs to the worker's state. */
static bool
expected(const struct worker_process *w, enum wire_type type)
{
	bool serving = w->state == W_READY || w->state == W_CLOSING;

	switch (type) {
	case WIRE_HELLO:
		return w->state == W_STARTING;
	case WIRE_SEALED:
		return w->state == W_SEALING;
	case WIRE_READY:
		return w->state == W_LOADING;
	case WIRE_REPLY:
		return serving;
	case WIRE_ERROR:
		return w->state != W_STARTING;
	case WIRE_LOG:
		return w->state == W_LOADING || serving;
	case WIRE_VIOLATION:
		return w->state != W_STARTING;
	case WIRE_PROBE:
		return w->state == W_READY && w->events->probed != NULL;
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
		fail_protocol(w, "sent %s after its last words",
		    wire_type_name(m->type));
		return;
	}
	if (!expected(w, m->type)) {
		fail_protocol(w, "sent an unexpected %s message",
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
			fail_protocol(w, "the LOAD message does not fit");
		else
			schedule_flush(w);
		return;
	case WIRE_SEALED:
		/* Plugin code runs from now on: the load limit starts. */
		w->state = W_LOADING;
		w->clock_start = monotonic_seconds();
		arm_deadline(w);
		return;
	case WIRE_READY:
		w->state = W_READY;
		w->ever_ready = true;
		sandbox_report_set(&w->report, &w->spawned, m);
		arm_deadline(w);
		w->events->ready(w, w->arg);
		return;
	case WIRE_REPLY:
		handle_reply(w, m);
		return;
	case WIRE_ERROR:
		handle_error(w, m);
		return;
	case WIRE_PROBE:
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
	buffer_shrink(&w->in, BUFFER_KEEP);
}

/* Reads what is there (up to a budget) and handles each whole frame. */
static void
read_replies(struct worker_process *w, size_t budget)
{
	while (!w->protocol_error && !w->retired && !w->output_eof &&
	    budget > 0 && w->state != W_GONE) {
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

/* Seconds until the worker must be killed, from its state; a negative
 * value is overdue, HUGE_VAL is never. */
static double
time_left(const struct worker_process *w, double now)
{
	switch (w->state) {
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
	flush_output(w);
	read_replies(w, READ_BUDGET);
	if (w->protocol_error || w->state == W_GONE)
		return;
	now = monotonic_seconds();
	if (signal_left(w, now) <= 0 && !w->reaped) {
		w->signalled = true;
		kill(w->spawned.pid, SIGALRM);
	}
	if (time_left(w, now) > 0) {
		arm_deadline(w);
		return;
	}
	if (w->head != NULL || w->state == W_LOADING ||
	    w->state == W_STARTING || w->state == W_SEALING)
		w->timed_out = true;
	kill_worker(w);
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

static void
arm_deadline(struct worker_process *w)
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
	struct job *culprit, **link;
	struct death_facts facts = {
		.status = status,
		.loading = !w->ever_ready,
		.closed_idle = w->closing && w->in_flight == 0,
		.protocol_error = w->protocol_error ? w->reason : NULL,
		.violation = w->violated ? w->said : NULL,
		.timed_out = w->timed_out,
		.retired = w->retired,
		.load_timeout_ms = w->setup->load.load_timeout_ms,
		.call_timeout_ms = call_timeout(w),
		.said = w->last_words && !w->violated ? w->said : NULL,
	};
	double now = monotonic_seconds();

	size_t handed = 0;

	/* Who was running?  The one it was on when it said something that
	 * ends it (w->blamed), or the only whole request it held.  Otherwise
	 * answers come in batches, so when it held several whole requests
	 * any of them may have been: none is blamed, and each goes to the
	 * replacement alone (job->suspect), where the culprit, if it is one,
	 * fails again and is blamed exactly.  The request it named when the
	 * filter trapped it is believed only if it holds one by that id. */
	for (struct job *j = w->head; j != NULL && j != w->send_next;
	    j = j->queue_next)
		handed++;
	culprit = w->blamed != NULL ? w->blamed : handed == 1 ? w->head :
	    NULL;
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
	stop_io(w);
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
	w->clock_start = monotonic_seconds();
	/* Out of memory here is the supervisor's own, like xcalloc's. */
	if ((w->decoder = wire_decoder_new()) == NULL)
		fatalx("out of memory");
	ev_io_init(&w->reader, on_readable, w->spawned.from_worker, EV_READ);
	ev_io_init(&w->writer, on_writable, w->spawned.to_worker, EV_WRITE);
	ev_io_init(&w->logger, on_log, w->spawned.log, EV_READ);
	ev_prepare_init(&w->flusher, on_flush);
	ev_child_init(&w->child, on_child, w->spawned.pid, 0);
	ev_init(&w->deadline, on_deadline);
	w->reader.data = w->writer.data = w->logger.data = w->child.data = w;
	w->flusher.data = w->deadline.data = w;
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
	stop_io(w);
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

void
worker_process_send(struct worker_process *w, struct job *job)
{
	job->request_id = w->next_id++;
	job->queue_next = NULL;
	job->wire_header_length = (uint8_t)wire_request_header(
	    job->wire_header, job->request_id, job->metadata_length);
	if (job->wire_header_length == 0) {
		/* The reader's limit is below the wire's: not reached. */
		fail_protocol(w, "could not be sent a request of %zu bytes",
		    job->metadata_length);
	}
	if (w->tail != NULL)
		w->tail->queue_next = job;
	else {
		w->head = job;
		w->clock_start = monotonic_seconds();
	}
	w->tail = job;
	if (w->send_next == NULL) {
		w->send_next = job;
		w->send_offset = 0;
	}
	w->in_flight++;
	w->in_flight_bytes += job->metadata_length;
	if (job->suspect)
		w->suspect_held = true;
	if (w->head == job)
		arm_deadline(w);
	schedule_flush(w);
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
	if (w->state != W_READY) {
		/* Still starting: nothing to finish. */
		kill_worker(w);
		return;
	}
	w->state = W_CLOSING;
	sample_peak_rss(w);
	if (w->head == NULL)
		w->clock_start = monotonic_seconds();
	arm_deadline(w);
	flush_output(w);
}

void
worker_process_retire(struct worker_process *w)
{
	if (w->state == W_GONE || w->retired)
		return;
	w->retired = true;
	stop_io(w);
	kill_worker(w);
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
