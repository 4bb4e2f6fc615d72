/*
 * What a worker writes on its stdout, as the supervisor receives it: any
 * bytes, in reads of any size, framed by wire_frame() and decoded by
 * wire_decode(), then handled as supervisor/engine/worker_receive.c handles
 * them (admitted by state with its own worker_admits(); the rest mirrored
 * here, since that file needs a live process and an event loop) through
 * the supervisor's own pure code: the
 * sandbox report of a READY, the plugin chain and the output line of a
 * REPLY or ERROR, the log line of a LOG, the syscall name of a VIOLATION,
 * and the verdict on how the worker ended.
 *
 * Input: byte 0 picks the read sizes (fuzz_wire.h) and whether the worker
 * runs a selftest probe; the rest is the stream.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../../supervisor/engine/chain.h"
#include "../../supervisor/engine/death.h"
#include "../../supervisor/engine/dispatch.h"
#include "../../supervisor/engine/job.h"
#include "../../supervisor/policy/policy.h"
#include "../../supervisor/output/result.h"
#include "../../supervisor/spawn/sandbox_report.h"
#include "../../supervisor/engine/worker_log.h"
#include "../../supervisor/engine/worker_state.h"
#include "fuzz_wire.h"

/* The suites' strict JSON parser; outside a check test, its allocation
 * checks must not report to check's runner. */
#include <check.h>
#undef ck_assert_ptr_nonnull
#define ck_assert_ptr_nonnull(p) INVARIANT((p) != NULL, "out of memory")
#include "../strict_json.h"

#define PLUGINS		3
#define READ_CHUNK	(64 * 1024)	/* as worker_process.c reads */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const plugin_names[PLUGINS] = {
	"10-first", "20-second", "30-third",
};

struct session {
	enum worker_state	 state;
	bool			 probing;	/* a selftest worker */
	bool			 protocol_error;
	struct wire_check	 check;
	struct buffer		 in, line;

	/* The chain, with the worker standing in for every plugin. */
	struct dispatch		*dispatch;
	struct job		*running;	/* submitted, not answered */
	size_t			 plugin;	/* the plugin it went to */
	uint64_t		 next_id, running_id;
	uint64_t		 next_seq;
	size_t			 lines;

	struct log_allowance	 allowance;
	struct sandbox_report	 report;
	struct spawned		 spawned;

	/* What it said about its end, after which it may say nothing. */
	bool			 last_words, violated, said_error;
	char			 said[WIRE_MAX_TEXT];
};

static enum plugin_state
chain_state(void *arg, const struct chain *chain, size_t plugin,
    const char **reason)
{
	(void)arg;
	(void)chain;
	(void)plugin;
	*reason = NULL;
	return PLUGIN_READY;
}

static void
chain_submit(void *arg, const struct chain *chain, size_t plugin,
    struct job *job)
{
	struct session *s = arg;

	INVARIANT(chain->count == PLUGINS, "a chain of %zu", chain->count);
	INVARIANT(s->running == NULL, "two jobs submitted at once");
	INVARIANT(plugin < PLUGINS, "submitted to plugin %zu", plugin);
	s->running = job;
	s->plugin = plugin;
	s->running_id = s->next_id++;
}

/* Its line: one strict JSON object, one line, valid whatever the worker
 * answered. */
static void
chain_done(struct job *job, void *arg)
{
	struct session *s = arg;
	struct json value;
	char error[160];

	buffer_clear(&s->line);
	INVARIANT(result_format(&s->line, job) == 0,
	    "result_format failed");
	INVARIANT(buffer_length(&s->line) > 0 &&
	    buffer_bytes(&s->line)[buffer_length(&s->line) - 1] == '\n',
	    "the line does not end in a newline");
	INVARIANT(memchr(buffer_bytes(&s->line), '\n',
	    buffer_length(&s->line)) == buffer_bytes(&s->line) +
	    buffer_length(&s->line) - 1, "the record made two lines");
	INVARIANT(json_parse(buffer_bytes(&s->line),
	    buffer_length(&s->line) - 1, &value, error, sizeof(error)),
	    "the line is not JSON (%s): %.*s", error,
	    (int)buffer_length(&s->line), buffer_bytes(&s->line));
	INVARIANT(value.type == J_OBJECT, "the line is not an object");
	json_free(&value);
	s->lines++;
	job_free(job);
}

static void
submit_record(struct session *s)
{
	static const char metadata[] = "{\"name\":\"ogtest-0\"}";
	struct record r;
	struct job *job;

	memset(&r, 0, sizeof(r));
	r.metadata = metadata;
	r.metadata_length = sizeof(metadata) - 1;
	r.uid = "u-1";
	r.uid_length = 3;
	r.name = "ogtest-0";
	r.name_length = 8;
	job = job_new(s->next_seq++, &r);
	job->chain = chain_of_names(plugin_names, PLUGINS);
	job->finished = chain_done;
	job->finished_arg = s;
	dispatch_submit(s->dispatch, job);
	INVARIANT(s->running != NULL, "a record went nowhere");
}

/* The REPLY or ERROR of the running request, as handle_answer(). */
static void
answer(struct session *s, uint64_t id, const struct outcome *outcome)
{
	struct job *job = s->running;

	if (job == NULL || id != s->running_id) {
		s->protocol_error = true;
		return;
	}
	s->running = NULL;
	dispatch_outcome(job, outcome, s->dispatch);
	/* The chain goes on, or the record is done and the next comes. */
	if (s->running == NULL)
		submit_record(s);
}

/*
 * A log line on the supervisor's stderr: one line, the plugin named, no
 * control byte.  stderr is pointed at memory meanwhile (libFuzzer keeps its
 * own stream).
 */
static void
log_text(struct session *s, const char *text, size_t length,
    uint64_t dropped)
{
	static const char prefix[] = "luaward: plugin 10-first: ";
	FILE *saved = stderr, *capture;
	char *captured = NULL;
	size_t captured_length = 0;

	capture = open_memstream(&captured, &captured_length);
	INVARIANT(capture != NULL, "out of memory");
	stderr = capture;
	/* As handle_message(): an empty LOG only counts dropped lines. */
	worker_log_dropped(&s->allowance, 0.0, plugin_names[0], dropped);
	if (length > 0)
		worker_log_line(&s->allowance, 0.0, plugin_names[0], text,
		    length);
	stderr = saved;
	fclose(capture);
	for (const char *line = captured, *end; line < captured +
	    captured_length; line = end + 1) {
		end = memchr(line, '\n', captured_length -
		    (size_t)(line - captured));
		INVARIANT(end != NULL, "a log line without its newline");
		INVARIANT(strncmp(line, prefix, sizeof(prefix) - 1) == 0,
		    "a log line not naming its plugin: %.*s",
		    (int)(end - line), line);
		for (const char *p = line; p < end; p++)
			INVARIANT((unsigned char)*p >= 0x20 && *p != 0x7f ?
			    true : *p == '\t', "control byte 0x%02x logged",
			    (unsigned char)*p);
	}
	free(captured);
}

static void
ready(struct session *s, const struct wire_message *m)
{
	struct buffer description = { 0 };

	sandbox_report_set(&s->report, &s->spawned, m);
	INVARIANT(s->report.layer_count == s->spawned.layer_count +
	    m->u.ready.layer_count, "%zu layers reported of %zu",
	    s->report.layer_count, s->spawned.layer_count +
	    m->u.ready.layer_count);
	INVARIANT(memchr(s->report.touched, '\0',
	    sizeof(s->report.touched)) != NULL, "touched is unterminated");
	for (size_t i = 0; i < s->report.layer_count; i++)
		INVARIANT(memchr(s->report.layers[i].name, '\0',
		    sizeof(s->report.layers[i].name)) != NULL &&
		    memchr(s->report.layers[i].detail, '\0',
		    sizeof(s->report.layers[i].detail)) != NULL,
		    "layer %zu is unterminated", i);
	(void)sandbox_report_find(&s->report, "seccomp");
	sandbox_report_describe(&s->report, &description);
	buffer_free(&description);
}

/* worker_process.c's handle_message(), minus the process. */
static void
handle(struct session *s, const struct wire_message *m)
{
	struct outcome outcome;
	char name[64], message[WIRE_MAX_TEXT + 1];
	int kind;

	if (s->last_words || !worker_admits(s->state, s->probing, m->type)) {
		s->protocol_error = true;
		return;
	}
	switch (m->type) {
	case WIRE_LOG:
		log_text(s, m->u.log.text.bytes, m->u.log.text.length,
		    m->u.log.dropped);
		return;
	case WIRE_VIOLATION:
		s->violated = s->last_words = true;
		if (policy_syscall_name(m->u.violation.arch,
		    (long)m->u.violation.syscall, name, sizeof(name)) == NULL)
			snprintf(name, sizeof(name), "syscall");
		INVARIANT(strlen(name) < sizeof(name), "unterminated name");
		snprintf(s->said, sizeof(s->said), "blocked by the seccomp "
		    "policy: %s (syscall %lld)", name,
		    (long long)m->u.violation.syscall);
		return;
	case WIRE_HELLO:
		s->state = W_SEALING;
		return;
	case WIRE_SEALED:
		s->state = W_LOADING;
		return;
	case WIRE_READY:
		s->state = W_READY;
		ready(s, m);
		if (!s->probing)
			submit_record(s);
		return;
	case WIRE_REPLY:
		memset(&outcome, 0, sizeof(outcome));
		outcome.ok = true;
		outcome.type = m->u.reply.type.bytes;
		outcome.type_length = m->u.reply.type.length;
		outcome.name = m->u.reply.name.bytes;
		outcome.name_length = m->u.reply.name.length;
		outcome.latency_us = m->u.reply.micros;
		answer(s, m->u.reply.id, &outcome);
		return;
	case WIRE_ERROR:
		kind = error_kind_parse(m->u.error.kind.bytes,
		    m->u.error.kind.length);
		INVARIANT(kind >= -1 && kind < ERROR_KIND_COUNT, "kind %d",
		    kind);
		if (m->u.error.id == 0) {
			s->said_error = s->last_words = true;
			snprintf(s->said, sizeof(s->said), "%.*s",
			    (int)m->u.error.message.length,
			    m->u.error.message.bytes);
			return;
		}
		if (kind != ERROR_TIMEOUT && kind != ERROR_MEMORY &&
		    kind != ERROR_ERROR && kind != ERROR_BAD_RETURN) {
			s->protocol_error = true;
			return;
		}
		snprintf(message, sizeof(message), "%.*s",
		    (int)m->u.error.message.length, m->u.error.message.bytes);
		memset(&outcome, 0, sizeof(outcome));
		outcome.kind = (enum error_kind)kind;
		outcome.message = message;
		outcome.latency_us = m->u.error.micros;
		answer(s, m->u.error.id, &outcome);
		return;
	case WIRE_PROBE:
		return;
	case WIRE_LOAD:
	case WIRE_REQUEST:
		break;
	}
}

/* worker_process.c's process_frames(). */
static void
process_frames(struct session *s)
{
	char error[256];
	const char *payload;
	size_t length;
	int r;

	while (!s->protocol_error && (r = wire_frame(&s->in, &payload, &length,
	    error, sizeof(error))) != 0) {
		struct wire_message message;

		if (r == -1) {
			INVARIANT(error[0] != '\0', "a frame refused silently");
			s->protocol_error = true;
			return;
		}
		INVARIANT(length >= 1 && length <= WIRE_MAX_MESSAGE &&
		    WIRE_HEADER_SIZE + length <= buffer_length(&s->in),
		    "a frame of %zu bytes from %zu", length,
		    buffer_length(&s->in));
		if (checked_decode(&s->check, payload, length, &message) ==
		    -1) {
			s->protocol_error = true;
			return;
		}
		handle(s, &message);
		buffer_consume(&s->in, WIRE_HEADER_SIZE + length);
	}
}

/* How it ended, judged from what it said: always a verdict with a reason. */
static void
judge(struct session *s, uint8_t seed)
{
	static const int statuses[] = { 0, WIRE_EXIT_PROTOCOL << 8,
	    WIRE_EXIT_SETUP << 8, WIRE_EXIT_LOAD << 8, WIRE_EXIT_MEMORY << 8,
	    9, 31, 6, 1 << 8 };
	struct death_verdict verdict;
	struct death_facts facts = {
		.status = statuses[seed % (sizeof(statuses) /
		    sizeof(statuses[0]))],
		.loading = s->state != W_READY,
		.closed_idle = (seed & 0x40) != 0 && s->running == NULL,
		.protocol_error = s->protocol_error ? "sent a bad message" :
		    NULL,
		.violation = s->violated ? s->said : NULL,
		.timed_out = (seed & 0x20) != 0,
		.retired = (seed & 0x10) != 0,
		.load_timeout_ms = 1000,
		.call_timeout_ms = 100,
		.said = s->said_error ? s->said : NULL,
	};

	death_classify(&facts, &verdict);
	INVARIANT(verdict.type <= DEATH_FAILED, "death type %d",
	    (int)verdict.type);
	INVARIANT(verdict.kind < ERROR_KIND_COUNT, "death kind %d",
	    (int)verdict.kind);
	/* Empty only when the worker itself said nothing more. */
	INVARIANT(memchr(verdict.message, '\0', sizeof(verdict.message)) !=
	    NULL, "an unterminated verdict");
	INVARIANT(verdict.message[0] != '\0' || (s->said_error &&
	    s->said[0] == '\0'), "a verdict without a reason");
	/* The record it was running gets that error: its line holds. */
	if (verdict.type == DEATH_FAILED && s->running != NULL) {
		struct outcome outcome;
		struct job *job = s->running;

		memset(&outcome, 0, sizeof(outcome));
		outcome.kind = verdict.kind;
		outcome.message = verdict.message;
		s->running = NULL;
		dispatch_outcome(job, &outcome, s->dispatch);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dispatch_target target = { chain_state, chain_submit, NULL };
	struct session s;
	struct reads reads;
	size_t at = 1;

	if (size < 1)
		return 0;
	memset(&s, 0, sizeof(s));
	s.state = W_STARTING;	/* its exec is behind it: it speaks */
	s.probing = (data[0] & 0x80) != 0;
	s.next_id = 1;
	s.next_seq = 1;
	wire_check_init(&s.check);
	target.arg = &s;
	s.dispatch = dispatch_new(&target);
	/* What spawn applied, as it reports it. */
	s.spawned.layer_count = 2;
	snprintf(s.spawned.layers[0].name, sizeof(s.spawned.layers[0].name),
	    "namespaces");
	s.spawned.layers[0].applied = true;
	snprintf(s.spawned.layers[1].name, sizeof(s.spawned.layers[1].name),
	    "rlimits");

	reads_init(&reads, data[0]);
	while (at < size && !s.protocol_error) {
		size_t n = reads_next(&reads, size - at);

		/* As read_replies(): room for a chunk, then the read. */
		INVARIANT(buffer_reserve(&s.in, READ_CHUNK) == 0,
		    "out of memory");
		if (n > s.in.capacity - s.in.end)
			n = s.in.capacity - s.in.end;
		memcpy(s.in.data + s.in.end, data + at, n);
		s.in.end += n;
		at += n;
		process_frames(&s);
	}
	judge(&s, data[0]);
	if (s.running != NULL)
		job_free(s.running);
	dispatch_free(s.dispatch);
	wire_check_free(&s.check);
	buffer_free(&s.in);
	buffer_free(&s.line);
	return 0;
}
