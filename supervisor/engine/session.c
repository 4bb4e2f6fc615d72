#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../input/deepflow_argument.h"
#include "../input/input.h"
#include "../log.h"
#include "session.h"
#include "../output/writer.h"

#define WINDOW_JOBS		4096
#define OUTPUT_BUFFER		(1u << 20)

struct session {
	struct engine		*engine;
	struct session_config	 config;
	struct input		*input;
	struct writer		*writer;
	struct engine_waiter	 budget;
	bool			 started, input_done, output_failed;
	bool			 done_said;
	bool			 abandoned;	/* frees itself when done */
	bool			 warned_anonymous;
	struct buffer		 argument;	/* --argument deepflow */
	char			 argument_error[512];
	ev_idle			 reap;
	int			 restore_flags;	/* of the output fd, or -1 */
};

static bool
has_room(void *arg)
{
	struct session *s = arg;
	size_t held = writer_held(s->writer, NULL);

	return writer_has_room(s->writer) &&
	    engine_budget_allows(s->engine, held);
}

static void
wait_for_room(void *arg)
{
	struct session *s = arg;
	size_t held = writer_held(s->writer, NULL);

	if (!engine_budget_allows(s->engine, held))
		engine_budget_wait(s->engine, &s->budget);
	writer_wait_for_room(s->writer);
}

/* Room again, from the window or the budget. */
static void
on_room(void *arg)
{
	struct session *s = arg;

	if (s->input_done || s->output_failed || s->abandoned)
		return;
	if (s->config.push) {
		if (s->config.room != NULL)
			s->config.room(s->config.arg);
	} else
		input_resume(s->input);
}

static void
on_job_finished(struct job *job, void *arg)
{
	struct session *s = arg;

	writer_complete(s->writer, job);
}

/*
 * --argument deepflow: the metadata as DeepFlow's Go controller hands it to
 * a plugin (deepflow_argument.h).  A record it cannot be written for, or
 * that would grow past what a worker accepts, is invalid, with the reason.
 */
static const struct record *
as_deepflow_argument(struct session *s, const struct record *record,
    struct record *rewritten)
{
	char error[256];

	if (!s->config.deepflow_argument || record->invalid)
		return record;
	*rewritten = *record;
	buffer_clear(&s->argument);
	if (deepflow_argument(&s->argument, record->metadata,
	    record->metadata_length, error, sizeof(error)) == -1 ||
	    buffer_length(&s->argument) > WIRE_MAX_METADATA) {
		if (buffer_length(&s->argument) > WIRE_MAX_METADATA)
			snprintf(error, sizeof(error), "%zu bytes, more than "
			    "the %u a plugin may get", buffer_length(
			    &s->argument), WIRE_MAX_METADATA);
		snprintf(s->argument_error, sizeof(s->argument_error), "line "
		    "%llu: the metadata cannot be written as DeepFlow writes "
		    "it: %s", (unsigned long long)record->line, error);
		rewritten->invalid = true;
		rewritten->error = s->argument_error;
		return rewritten;
	}
	rewritten->metadata = buffer_bytes(&s->argument);
	rewritten->metadata_length = buffer_length(&s->argument);
	return rewritten;
}

static void
warn_anonymous(struct session *s, const struct record *record)
{
	if (s->warned_anonymous || record->invalid ||
	    record->uid_length > 0 || record->name_length > 0)
		return;
	s->warned_anonymous = true;
	log_warnx("%s, line %llu: a record with neither metadata.name nor uid; "
	    "it is almost certainly not pod metadata (--stats counts "
	    "every one)", s->config.push ? s->config.push_name : "the input",
	    (unsigned long long)record->line);
}

static void
on_record(const struct record *record, void *arg)
{
	struct session *s = arg;
	struct record rewritten;
	struct job *job;

	warn_anonymous(s, record);
	job = writer_admit(s->writer, as_deepflow_argument(s, record,
	    &rewritten));

	engine_budget_take(s->engine, job->metadata_length);
	job->chain = chain_ref(engine_chain(s->engine));
	job->finished = on_job_finished;
	job->finished_arg = s;
	engine_submit(s->engine, job);
}

static void
on_reap(struct ev_loop *loop, ev_idle *watcher, int events)
{
	(void)loop;
	(void)events;
	session_free(watcher->data);
}

static void
say_done(struct session *s)
{
	if (s->done_said || !session_done(s))
		return;
	s->done_said = true;
	/* Freed from the loop, not from inside the writer that said so. */
	if (s->abandoned)
		ev_idle_start(engine_loop(s->engine), &s->reap);
	else if (s->config.done != NULL)
		s->config.done(s->config.arg);
}

static void
on_input_finished(void *arg)
{
	struct session *s = arg;

	s->input_done = true;
	say_done(s);
}

static void
on_drained(void *arg)
{
	say_done(arg);
}

/* Every error on an output line is counted, once, as it is written, and
 * the record's bytes go back to the budget. */
static void
on_written(const struct job *job, void *arg)
{
	struct session *s = arg;

	for (size_t i = 0; i < job->error_count; i++) {
		struct plugin *p = job->chain->links[job->errors[i].plugin].
		    plugin;

		if (p != NULL)
			plugin_count_error(p, job->errors[i].kind);
	}
	engine_budget_release(s->engine, job->metadata_length);
}

static void
on_output_failed(void *arg, const char *reason)
{
	struct session *s = arg;

	s->output_failed = true;
	if (s->config.failed != NULL)
		s->config.failed(s->config.arg, reason);
}

static size_t
to_sink(void *arg, const char *bytes, size_t length)
{
	struct session *s = arg;

	/* Nobody is listening any more: the lines go nowhere. */
	if (s->abandoned)
		return length;
	return s->config.sink(s->config.arg, bytes, length);
}

/* Output to a pipe or socket must never block the loop; a terminal or a
 * file is left as it is.  Returns the flags to restore, or -1. */
static int
output_nonblocking(int fd)
{
	struct stat st;
	int flags;

	if (fstat(fd, &st) == -1 || (!S_ISFIFO(st.st_mode) &&
	    !S_ISSOCK(st.st_mode)))
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	return flags;
}

struct session *
session_new(struct engine *engine, const struct session_config *config,
    char *error, size_t error_size)
{
	struct session *s = xcalloc(1, sizeof(*s));
	struct writer_config w;

	s->engine = engine;
	s->config = *config;
	s->restore_flags = -1;
	if (config->push)
		s->input = input_open_push(config->push_name, &config->limits);
	else if ((s->input = input_open(config->paths, config->path_count,
	    &config->limits, error, error_size)) == NULL) {
		free(s);
		return NULL;
	}
	memset(&w, 0, sizeof(w));
	w.fd = config->fd;
	w.sink = config->fd < 0 ? to_sink : NULL;
	w.window = WINDOW_JOBS;
	/* The engine's budget bounds the bytes: the window only counts. */
	w.max_buffered = OUTPUT_BUFFER;
	w.room = on_room;
	w.written = on_written;
	w.drained = on_drained;
	w.failed = on_output_failed;
	w.arg = s;
	s->writer = writer_new(engine_loop(engine), &w);
	s->budget.room = on_room;
	s->budget.arg = s;
	ev_idle_init(&s->reap, on_reap);
	/* Once per loop iteration, not only when no I/O is pending. */
	ev_set_priority(&s->reap, EV_MAXPRI);
	s->reap.data = s;
	engine_session_add(engine, s);
	return s;
}

void
session_abandon(struct session *s)
{
	s->abandoned = true;
	engine_budget_cancel(s->engine, &s->budget);
	if (!s->input_done) {
		s->input_done = true;
		s->done_said = false;
	}
	writer_resume(s->writer);
	say_done(s);
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	ev_idle_stop(engine_loop(s->engine), &s->reap);
	engine_session_remove(s->engine, s);
	engine_budget_cancel(s->engine, &s->budget);
	/* Jobs still held (a run stopped early) give their bytes back. */
	{
		size_t bytes;

		(void)writer_held(s->writer, &bytes);
		engine_budget_release(s->engine, bytes);
	}
	writer_free(s->writer);
	input_free(s->input);
	buffer_free(&s->argument);
	if (s->restore_flags != -1)
		(void)fcntl(s->config.fd, F_SETFL, s->restore_flags);
	free(s);
}

void
session_start(struct session *s)
{
	static const struct input_callbacks callbacks = {
		.has_room = has_room,
		.wait_for_room = wait_for_room,
		.record = on_record,
		.finished = on_input_finished,
	};

	if (s->started)
		return;
	s->started = true;
	if (s->config.fd >= 0)
		s->restore_flags = output_nonblocking(s->config.fd);
	if (s->config.push)
		input_start_push(s->input, engine_loop(s->engine), &callbacks,
		    s);
	else
		input_start(s->input, engine_loop(s->engine), &callbacks, s);
}

size_t
session_push(struct session *s, const char *bytes, size_t length)
{
	if (s->output_failed)
		return length;		/* nothing more can be answered */
	return input_push(s->input, bytes, length);
}

void
session_push_end(struct session *s)
{
	input_push_end(s->input);
}

void
session_resume_output(struct session *s)
{
	writer_resume(s->writer);
}

bool
session_done(const struct session *s)
{
	return s->output_failed || (s->input_done &&
	    writer_drained(s->writer));
}

const struct run_stats *
session_stats(const struct session *s)
{
	return writer_stats(s->writer);
}

int
session_output_errno(const struct session *s)
{
	return writer_error_number(s->writer);
}

bool
session_saw_failure(const struct session *s)
{
	return writer_saw_failure(s->writer);
}
