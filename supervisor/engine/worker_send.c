/*
 * What goes to a worker: its LOAD, then requests.  Requests are pipelined
 * and the worker answers them in order, so the head of the in-flight list
 * is the one it runs.  They go out by writev() straight from each job's
 * metadata, several per call, once per loop iteration: nothing is copied,
 * and a record of any size costs the same per byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../log.h"
#include "../timing.h"
#include "worker_state.h"

#define WRITE_IOVECS		64		/* per writev() */

enum write_outcome { WROTE, RETRY, BLOCKED, BROKEN };

/* What a write() or writev() to the worker's pipe came to. */
static enum write_outcome
write_outcome(ssize_t n)
{
	if (n < 0 && errno == EINTR)
		return RETRY;
	if (n < 0 && errno == EAGAIN)
		return BLOCKED;
	/* EPIPE: it is dying; its exit tells why. */
	return n > 0 ? WROTE : BROKEN;
}

/* Writes the control messages (LOAD); returns false while some remain. */
static bool
write_control(struct worker_process *w)
{
	while (buffer_length(&w->control) > 0) {
		ssize_t n = write(w->spawned.to_worker,
		    buffer_bytes(&w->control), buffer_length(&w->control));
		enum write_outcome outcome = write_outcome(n);

		if (outcome == RETRY)
			continue;
		if (outcome == BLOCKED)
			return false;
		if (outcome == BROKEN) {
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
		switch (write_outcome(n)) {
		case RETRY:
			continue;
		case BLOCKED:
			return false;
		case BROKEN:
			w->output_broken = true;
			return true;
		case WROTE:
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
		/* writev() took at most what the queue holds. */
		for (size_t left = (size_t)n; left > 0 &&
		    w->send_next != NULL;) {
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

void
worker_flush(struct worker_process *w)
{
	bool all_written;

	ev_prepare_stop(w->loop, &w->flusher);
	if (w->spawned.to_worker < 0)
		return;
	all_written = write_control(w) && write_requests(w);
	/* The head's clock moved: its timer follows. */
	if (w->rearm) {
		w->rearm = false;
		worker_arm_deadline(w);
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
void
worker_schedule_flush(struct worker_process *w)
{
	if (!ev_is_active(&w->writer))
		ev_prepare_start(w->loop, &w->flusher);
}

static void
on_flush(struct ev_loop *loop, ev_prepare *watcher, int events)
{
	(void)loop;
	(void)events;
	worker_flush(watcher->data);
}

static void
on_writable(struct ev_loop *loop, ev_io *watcher, int events)
{
	(void)loop;
	(void)events;
	worker_flush(watcher->data);
}

void
worker_process_send(struct worker_process *w, struct job *job)
{
	job->request_id = w->next_id++;
	job->queue_next = NULL;
	job->wire_header_length = (uint8_t)wire_request_header(
	    job->wire_header, job->request_id, job->metadata_length);
	/* Every record is held to WIRE_MAX_METADATA before it becomes a job
	 * (the reader's limit, the DeepFlow rewrite's check): a frame that
	 * does not fit is a supervisor bug, not the worker's doing. */
	if (job->wire_header_length == 0)
		fatalx("a request of %zu bytes does not fit a frame",
		    job->metadata_length);
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
	/* The flush in this loop iteration arms its deadline, once, from
	 * when the worker took its first bytes. */
	if (w->head == job)
		w->rearm = true;
	worker_schedule_flush(w);
}

void
worker_send_init(struct worker_process *w)
{
	ev_io_init(&w->writer, on_writable, w->spawned.to_worker, EV_WRITE);
	ev_prepare_init(&w->flusher, on_flush);
	w->writer.data = w->flusher.data = w;
}
