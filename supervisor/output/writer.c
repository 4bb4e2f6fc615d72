#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../log.h"
#include "result.h"
#include "writer.h"

struct writer {
	struct ev_loop		*loop;
	struct writer_config	 config;
	struct job		**ring;		/* window slots, by seq */
	size_t			 mask;
	uint64_t		 next_seq;	/* next job admitted */
	uint64_t		 next_out;	/* next job to format */
	size_t			 held_bytes;	/* metadata in the window */
	struct buffer		 out;
	ev_io			 watcher;
	ev_prepare		 flusher;
	bool			 failed, want_room;
	int			 error_number;	/* why it failed: errno */
	bool			 saw_failure;
	struct run_stats	 stats;
};

static void	drain(struct writer *);
static void	on_flush(struct ev_loop *, ev_prepare *, int);

static void
on_writable(struct ev_loop *loop, ev_io *watcher, int events)
{
	(void)loop;
	(void)events;
	drain(watcher->data);
}

struct writer *
writer_new(struct ev_loop *loop, const struct writer_config *config)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	size_t slots = 1;

	while (slots < config->window)
		slots <<= 1;
	w->loop = loop;
	w->config = *config;
	w->config.window = slots;
	w->ring = xcalloc(slots, sizeof(*w->ring));
	w->mask = slots - 1;
	ev_io_init(&w->watcher, on_writable, config->fd >= 0 ? config->fd : 0,
	    EV_WRITE);
	ev_prepare_init(&w->flusher, on_flush);
	w->watcher.data = w->flusher.data = w;
	return w;
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	ev_io_stop(w->loop, &w->watcher);
	ev_prepare_stop(w->loop, &w->flusher);
	for (uint64_t s = w->next_out; s < w->next_seq; s++)
		job_free(w->ring[s & w->mask]);
	free(w->ring);
	buffer_free(&w->out);
	free(w);
}

bool
writer_has_room(const struct writer *w)
{
	uint64_t held = w->next_seq - w->next_out;

	if (w->failed)
		return false;
	if (held == 0)
		return true;	/* one record always fits */
	return held < w->config.window &&
	    buffer_length(&w->out) < w->config.max_buffered;
}

struct job *
writer_admit(struct writer *w, const struct record *record)
{
	struct job *job = job_new(w->next_seq, record);

	w->ring[w->next_seq & w->mask] = job;
	w->next_seq++;
	w->held_bytes += job->metadata_length;
	w->stats.records++;
	if (!record->invalid && record->uid_length == 0 &&
	    record->name_length == 0)
		w->stats.anonymous++;
	return job;
}

/* Hands formatted output to the sink; returns false when it is full. */
static bool
give_to_sink(struct writer *w)
{
	while (buffer_length(&w->out) > 0) {
		size_t taken = w->config.sink(w->config.arg, buffer_bytes(&w->out),
		    buffer_length(&w->out));

		if (taken == 0)
			return false;	/* until writer_resume() */
		buffer_consume(&w->out, taken);
	}
	buffer_shrink(&w->out, w->config.max_buffered);
	return true;
}

/* Writes what is formatted; returns false when the output is stuck. */
static bool
write_out(struct writer *w)
{
	if (w->config.fd < 0)
		return give_to_sink(w);
	while (buffer_length(&w->out) > 0) {
		ssize_t n = write(w->config.fd, buffer_bytes(&w->out),
		    buffer_length(&w->out));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			ev_io_start(w->loop, &w->watcher);
			return false;
		}
		if (n <= 0) {
			char reason[128];

			w->error_number = n < 0 ? errno : EIO;
			snprintf(reason, sizeof(reason), "writing the output: "
			    "%s", n < 0 ? strerror(w->error_number) :
			    "nothing written");
			w->failed = true;
			ev_io_stop(w->loop, &w->watcher);
			buffer_clear(&w->out);
			w->config.failed(w->config.arg, reason);
			return false;
		}
		buffer_consume(&w->out, (size_t)n);
	}
	ev_io_stop(w->loop, &w->watcher);
	buffer_shrink(&w->out, w->config.max_buffered);
	return true;
}

/* Formats finished jobs in order, while the formatted output is under its
 * bound; returns whether it formatted any. */
static bool
format_ready(struct writer *w)
{
	bool any = false;

	while (w->next_out < w->next_seq &&
	    buffer_length(&w->out) < w->config.max_buffered) {
		struct job *job = w->ring[w->next_out & w->mask];

		if (job == NULL || job->status == STATUS_PENDING)
			break;
		if (result_format(&w->out, job) == -1) {
			log_warnx("out of memory formatting a result");
			break;
		}
		w->stats.by_status[job->status]++;
		if (job->status == STATUS_INVALID || job->error_count > 0)
			w->saw_failure = true;
		if (w->config.written != NULL)
			w->config.written(job, w->config.arg);
		w->held_bytes -= job->metadata_length;
		w->ring[w->next_out & w->mask] = NULL;
		w->next_out++;
		job_free(job);
		any = true;
	}
	return any;
}

/* Output leaves once per loop iteration, every line ready by then in one
 * write, however the jobs finished. */
static void
drain(struct writer *w)
{
	ev_prepare_stop(w->loop, &w->flusher);
	if (w->failed)
		return;
	do
		(void)format_ready(w);
	while (write_out(w) && format_ready(w));
	if (w->want_room && writer_has_room(w)) {
		w->want_room = false;
		w->config.room(w->config.arg);
	}
	/* This runs just before the loop would block: whoever waits for the
	 * output to drain must hear of it now, not at the next event. */
	if (w->config.drained != NULL && writer_drained(w))
		w->config.drained(w->config.arg);
}

static void
on_flush(struct ev_loop *loop, ev_prepare *watcher, int events)
{
	(void)loop;
	(void)events;
	drain(watcher->data);
}

void
writer_resume(struct writer *w)
{
	if (!w->failed)
		ev_prepare_start(w->loop, &w->flusher);
}

void
writer_complete(struct writer *w, struct job *job)
{
	(void)job;
	if (!w->failed && !ev_is_active(&w->watcher))
		ev_prepare_start(w->loop, &w->flusher);
}

void
writer_wait_for_room(struct writer *w)
{
	w->want_room = true;
}

bool
writer_drained(const struct writer *w)
{
	return w->failed || (w->next_out == w->next_seq &&
	    buffer_length(&w->out) == 0);
}

const struct run_stats *
writer_stats(const struct writer *w)
{
	return &w->stats;
}

int
writer_error_number(const struct writer *w)
{
	return w->error_number;
}

bool
writer_saw_failure(const struct writer *w)
{
	return w->saw_failure;
}

size_t
writer_held(const struct writer *w, size_t *bytes)
{
	if (bytes != NULL)
		*bytes = w->held_bytes;
	return (size_t)(w->next_seq - w->next_out);
}
