#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "../log.h"

#define CHUNK	(64 * 1024)
/* Bytes framed per wakeup: the loop goes back to the workers and the output
 * between two budgets, however fast the input arrives. */
#define BUDGET	(256 * 1024)

struct source {
	char	*name;
	int	 fd;
	bool	 pollable;	/* pipe, socket or terminal: wait for it */
};

struct input {
	struct ev_loop		*loop;
	struct input_callbacks	 callbacks;
	void			*arg;
	struct reader_limits	 limits;
	struct source		*sources;
	size_t			 count, current;
	struct reader		*reader;
	ev_io			 watcher;
	ev_idle			 again_later;	/* the budget ran out */
	char			*chunk;
	size_t			 chunk_at, chunk_length;
	bool			 readable, at_eof, finished;
	bool			 push;		/* bytes come by input_push() */
	bool			 busy, again;
};

static void	pump(struct input *);

struct input *
input_open(char *const *paths, size_t count, const struct reader_limits *limits,
    char *error, size_t error_size)
{
	struct input *in = xcalloc(1, sizeof(*in));
	static char *const standard_input[] = { (char *)"-" };

	if (count == 0) {
		paths = standard_input;
		count = 1;
	}
	in->sources = xcalloc(count, sizeof(*in->sources));
	in->limits = *limits;
	for (size_t i = 0; i < count; i++) {
		struct source *s = &in->sources[i];
		struct stat st;

		if (strcmp(paths[i], "-") == 0) {
			s->name = xstrdup("stdin");
			s->fd = dup(0);
		} else {
			s->name = xstrdup(paths[i]);
			s->fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		}
		in->count++;
		if (s->fd == -1 || fstat(s->fd, &st) == -1) {
			snprintf(error, error_size, "cannot read %s: %s",
			    s->name, strerror(errno));
			input_free(in);
			return NULL;
		}
		if (S_ISDIR(st.st_mode)) {
			snprintf(error, error_size, "cannot read %s: it is a "
			    "directory", s->name);
			input_free(in);
			return NULL;
		}
		fcntl(s->fd, F_SETFD, FD_CLOEXEC);
		s->pollable = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	}
	in->chunk = xmalloc(CHUNK);
	return in;
}

void
input_free(struct input *in)
{
	if (in == NULL)
		return;
	if (in->loop != NULL) {
		ev_io_stop(in->loop, &in->watcher);
		ev_idle_stop(in->loop, &in->again_later);
	}
	for (size_t i = 0; i < in->count; i++) {
		if (in->sources[i].fd >= 0)
			close(in->sources[i].fd);
		free(in->sources[i].name);
	}
	reader_free(in->reader);
	free(in->sources);
	free(in->chunk);
	free(in);
}

static void
on_readable(struct ev_loop *loop, ev_io *watcher, int events)
{
	struct input *in = watcher->data;

	(void)events;
	ev_io_stop(loop, watcher);
	in->readable = true;
	pump(in);
}

static void
on_again_later(struct ev_loop *loop, ev_idle *watcher, int events)
{
	(void)events;
	ev_idle_stop(loop, watcher);
	pump(watcher->data);
}

static void
open_source(struct input *in)
{
	struct source *s = &in->sources[in->current];

	reader_free(in->reader);
	in->reader = reader_new(&in->limits, s->name);
	in->at_eof = false;
	in->readable = !s->pollable;
	in->chunk_at = in->chunk_length = 0;
	ev_io_init(&in->watcher, on_readable, s->fd, EV_READ);
	in->watcher.data = in;
}

/* Returns false when it must wait for the source to become readable. */
static bool
fill(struct input *in)
{
	struct source *s = &in->sources[in->current];
	ssize_t n;

	if (!in->readable) {
		ev_io_start(in->loop, &in->watcher);
		return false;
	}
	n = read(s->fd, in->chunk, CHUNK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n < 0) {
		log_warn("reading %s", s->name);
		n = 0;		/* treated as its end; the reader says what
				 * was left unfinished */
	}
	if (n == 0)
		in->at_eof = true;
	in->chunk_at = 0;
	in->chunk_length = (size_t)n;
	if (s->pollable)
		in->readable = false;
	return true;
}

static void
pump(struct input *in)
{
	struct record record;
	bool ready;

	if (in->busy) {
		in->again = true;	/* called back from inside: loop */
		return;
	}
	in->busy = true;
	do {
		size_t budget = BUDGET;

		in->again = false;
		while (!in->finished) {
			if (budget == 0) {
				ev_idle_start(in->loop, &in->again_later);
				in->again = false;
				break;
			}
			if (!in->callbacks.has_room(in->arg)) {
				in->callbacks.wait_for_room(in->arg);
				break;
			}
			if (in->chunk_at < in->chunk_length) {
				size_t used = reader_feed(in->reader,
				    in->chunk + in->chunk_at,
				    in->chunk_length - in->chunk_at, &record,
				    &ready);

				if (used == (size_t)-1) {
					fprintf(stderr, "luaward: out of "
					    "memory reading records\n");
					exit(EXIT_SOME_FAILED);
				}
				in->chunk_at += used;
				budget = used >= budget ? 0 : budget - used;
				if (ready)
					in->callbacks.record(&record, in->arg);
				continue;
			}
			if (in->at_eof) {
				if (reader_finish(in->reader, &record))
					in->callbacks.record(&record, in->arg);
				close(in->sources[in->current].fd);
				in->sources[in->current].fd = -1;
				if (++in->current == in->count) {
					in->finished = true;
					in->callbacks.finished(in->arg);
					break;
				}
				open_source(in);
				continue;
			}
			if (!fill(in))
				break;
		}
	} while (in->again && !in->finished);
	in->busy = false;
}

void
input_start(struct input *in, struct ev_loop *loop,
    const struct input_callbacks *callbacks, void *arg)
{
	in->loop = loop;
	in->callbacks = *callbacks;
	in->arg = arg;
	in->current = 0;
	ev_idle_init(&in->again_later, on_again_later);
	in->again_later.data = in;
	open_source(in);
	pump(in);
}

void
input_resume(struct input *in)
{
	pump(in);
}

struct input *
input_open_push(const char *name, const struct reader_limits *limits)
{
	struct input *in = xcalloc(1, sizeof(*in));

	in->limits = *limits;
	in->reader = reader_new(limits, name);
	in->push = true;
	return in;
}

void
input_start_push(struct input *in, struct ev_loop *loop,
    const struct input_callbacks *callbacks, void *arg)
{
	in->loop = loop;
	in->callbacks = *callbacks;
	in->arg = arg;
}

size_t
input_push(struct input *in, const char *bytes, size_t length)
{
	size_t taken = 0;

	while (taken < length && !in->finished) {
		struct record record;
		bool ready;
		size_t used;

		if (!in->callbacks.has_room(in->arg)) {
			in->callbacks.wait_for_room(in->arg);
			break;
		}
		used = reader_feed(in->reader, bytes + taken, length - taken,
		    &record, &ready);
		if (used == (size_t)-1)
			return (size_t)-1;
		taken += used;
		if (ready)
			in->callbacks.record(&record, in->arg);
	}
	return taken;
}

void
input_push_end(struct input *in)
{
	struct record record;

	if (in->finished)
		return;
	if (reader_finish(in->reader, &record))
		in->callbacks.record(&record, in->arg);
	in->finished = true;
	in->callbacks.finished(in->arg);
}
