/*
 * The plugin chain (supervisor/dispatch.c) against a fake target that only
 * records which plugin got each job: the test plays the workers and answers
 * with dispatch_outcome().  Then the output line of every kind of job
 * (supervisor/result.c), byte for byte.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/buffer.h"
#include "../supervisor/dispatch.h"
#include "../supervisor/job.h"
#include "../supervisor/result.h"
#include "suites.h"

#define MAX_PLUGINS	8

struct fake {
	enum plugin_state states[MAX_PLUGINS];
	const char	*reasons[MAX_PLUGINS];
	size_t		 state_calls;
	size_t		 submitted[64];	/* the plugin of each submit() */
	struct job	*submitted_job[64];
	size_t		 submit_count;
	size_t		 done_count;
	struct job	*done_job;
	struct dispatch	*dispatch;
	size_t		 plugin_count;
};

static enum plugin_state
fake_state(void *arg, size_t plugin, const char **reason)
{
	struct fake *f = arg;

	ck_assert_uint_lt(plugin, f->plugin_count);
	f->state_calls++;
	*reason = f->reasons[plugin];
	return f->states[plugin];
}

static void
fake_submit(void *arg, size_t plugin, struct job *job)
{
	struct fake *f = arg;

	ck_assert_uint_lt(plugin, f->plugin_count);
	ck_assert_uint_lt(f->submit_count, 64);
	f->submitted_job[f->submit_count] = job;
	f->submitted[f->submit_count++] = plugin;
}

static void
fake_done(struct job *job, void *arg)
{
	struct fake *f = arg;

	f->done_count++;
	f->done_job = job;
}

/* A chain of n plugins, all ready. */
static void
fake_init(struct fake *f, size_t n)
{
	struct dispatch_target target = { fake_state, fake_submit, f };

	memset(f, 0, sizeof(*f));
	f->plugin_count = n;
	for (size_t i = 0; i < MAX_PLUGINS; i++)
		f->states[i] = PLUGIN_READY;
	f->dispatch = dispatch_new(n, fake_done, f);
	dispatch_set_target(f->dispatch, &target);
}

static void
fake_free(struct fake *f)
{
	dispatch_free(f->dispatch);
}

static struct job *
pod(const char *uid, const char *namespace, const char *name)
{
	static const char metadata[] = "{\"name\":\"ogtest-0\"}";
	struct record r;

	memset(&r, 0, sizeof(r));
	r.metadata = metadata;
	r.metadata_length = sizeof(metadata) - 1;
	r.uid = uid;
	r.uid_length = uid != NULL ? strlen(uid) : 0;
	r.namespace = namespace;
	r.namespace_length = namespace != NULL ? strlen(namespace) : 0;
	r.name = name;
	r.name_length = name != NULL ? strlen(name) : 0;
	return job_new(1, &r);
}

static struct job *
invalid_record(const char *why)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.invalid = true;
	r.error = why;
	r.line = 3;
	return job_new(7, &r);
}

/* The plugin answers two strings (any bytes). */
static void
answer_bytes(struct fake *f, struct job *job, size_t plugin,
    const char *type, size_t type_length, const char *name,
    size_t name_length)
{
	struct outcome o;

	memset(&o, 0, sizeof(o));
	o.ok = true;
	o.type = type;
	o.type_length = type_length;
	o.name = name;
	o.name_length = name_length;
	dispatch_outcome(job, plugin, &o, f->dispatch);
}

static void
answer(struct fake *f, struct job *job, size_t plugin, const char *type,
    const char *name)
{
	answer_bytes(f, job, plugin, type, strlen(type), name, strlen(name));
}

static void
plugin_fails(struct fake *f, struct job *job, size_t plugin,
    enum error_kind kind, const char *message)
{
	struct outcome o;

	memset(&o, 0, sizeof(o));
	o.ok = false;
	o.kind = kind;
	o.message = message;
	dispatch_outcome(job, plugin, &o, f->dispatch);
}

/* The last submit went to plugin, with job. */
static void
assert_last_submit(const struct fake *f, size_t count, size_t plugin,
    const struct job *job)
{
	ck_assert_uint_eq(f->submit_count, count);
	ck_assert_uint_eq(f->submitted[count - 1], plugin);
	ck_assert_ptr_eq(f->submitted_job[count - 1], job);
}

static void
assert_error(const struct job *job, size_t i, size_t plugin,
    enum error_kind kind, const char *message)
{
	ck_assert_uint_gt(job->error_count, i);
	ck_assert_uint_eq(job->errors[i].plugin, plugin);
	ck_assert_int_eq(job->errors[i].kind, kind);
	ck_assert_str_eq(job->errors[i].message, message);
}

static void
assert_decided(const struct fake *f, const struct job *job,
    enum job_status status, const char *type, const char *name,
    size_t plugin)
{
	ck_assert_uint_eq(f->done_count, 1);
	ck_assert_ptr_eq(f->done_job, job);
	ck_assert_int_eq(job->status, status);
	ck_assert_uint_eq(job->type_length, strlen(type));
	ck_assert_str_eq(job->type, type);
	ck_assert_uint_eq(job->workload_length, strlen(name));
	ck_assert_str_eq(job->workload, name);
	ck_assert_uint_eq(job->decided_by, plugin);
}

/* --- the chain ----------------------------------------------------------- */

START_TEST(test_first_answer_decides)
{
	struct fake f;
	struct job *job = pod("u1", "db", "ogtest-0");

	fake_init(&f, 3);
	dispatch_submit(f.dispatch, job);
	assert_last_submit(&f, 1, 0, job);
	ck_assert_uint_eq(f.done_count, 0);
	answer(&f, job, 0, "StatefulSet", "ogtest");
	assert_decided(&f, job, STATUS_RESOLVED, "StatefulSet", "ogtest", 0);
	/* Plugins 1 and 2 never saw it. */
	ck_assert_uint_eq(f.submit_count, 1);
	ck_assert_uint_eq(job->error_count, 0);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_empty_pair_passes_on)
{
	struct fake f;
	struct job *job = pod("u1", "db", "ogtest-0");

	fake_init(&f, 3);
	dispatch_submit(f.dispatch, job);
	answer(&f, job, 0, "", "");
	assert_last_submit(&f, 2, 1, job);
	ck_assert_uint_eq(f.done_count, 0);
	answer(&f, job, 1, "Deployment", "web");
	assert_decided(&f, job, STATUS_RESOLVED, "Deployment", "web", 1);
	ck_assert_uint_eq(f.submit_count, 2);
	/* Passing is not failing. */
	ck_assert_uint_eq(job->error_count, 0);
	job_free(job);
	fake_free(&f);
}
END_TEST

/* Only two non-empty strings decide: one of them empty passes too. */
START_TEST(test_one_empty_string_passes_on)
{
	struct fake f;
	struct job *job = pod("u1", "db", "p");

	fake_init(&f, 4);
	dispatch_submit(f.dispatch, job);
	answer(&f, job, 0, "Deployment", "");
	assert_last_submit(&f, 2, 1, job);
	answer(&f, job, 1, "", "web");
	assert_last_submit(&f, 3, 2, job);
	/* A zero length is empty whatever the pointer holds. */
	answer_bytes(&f, job, 2, "Deployment", 0, "web", 3);
	assert_last_submit(&f, 4, 3, job);
	ck_assert_uint_eq(f.done_count, 0);
	answer(&f, job, 3, "DaemonSet", "ds");
	assert_decided(&f, job, STATUS_RESOLVED, "DaemonSet", "ds", 3);
	ck_assert_uint_eq(job->error_count, 0);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_errors_are_recorded_and_the_chain_goes_on)
{
	struct fake f;
	struct job *job = pod("u1", "db", "p");
	char message[64];

	fake_init(&f, 4);
	dispatch_submit(f.dispatch, job);
	/* The message is copied: the worker's buffer is reused at once. */
	snprintf(message, sizeof(message), "call exceeded 100 ms");
	plugin_fails(&f, job, 0, ERROR_TIMEOUT, message);
	memset(message, 'X', sizeof(message) - 1);
	assert_last_submit(&f, 2, 1, job);
	ck_assert_uint_eq(f.done_count, 0);
	plugin_fails(&f, job, 1, ERROR_BAD_RETURN, "returned (number, number); "
	    "expected two strings");
	assert_last_submit(&f, 3, 2, job);
	answer(&f, job, 2, "", "");
	assert_last_submit(&f, 4, 3, job);
	answer(&f, job, 3, "cloneset", "c1");
	assert_decided(&f, job, STATUS_RESOLVED, "CloneSet", "c1", 3);
	ck_assert_uint_eq(job->error_count, 2);
	assert_error(job, 0, 0, ERROR_TIMEOUT, "call exceeded 100 ms");
	assert_error(job, 1, 1, ERROR_BAD_RETURN, "returned (number, "
	    "number); expected two strings");
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_load_failed_and_quarantined_are_not_called)
{
	struct fake f;
	struct job *job = pod("u1", "db", "p");

	fake_init(&f, 4);
	f.states[0] = PLUGIN_LOAD_FAILED;
	f.reasons[0] = "a.lua:1: unexpected symbol near '('";
	f.states[1] = PLUGIN_QUARANTINED;
	f.reasons[1] = "5 failures in 60 s";
	f.states[2] = PLUGIN_STARTING;
	dispatch_submit(f.dispatch, job);
	/* Straight to plugin 2, still starting: it queues there. */
	assert_last_submit(&f, 1, 2, job);
	ck_assert_uint_eq(job->error_count, 2);
	assert_error(job, 0, 0, ERROR_LOAD,
	    "a.lua:1: unexpected symbol near '('");
	assert_error(job, 1, 1, ERROR_QUARANTINED, "5 failures in 60 s");
	ck_assert_uint_eq(f.done_count, 0);
	answer(&f, job, 2, "REPLICASET", "rs");
	assert_decided(&f, job, STATUS_RESOLVED, "ReplicaSet", "rs", 2);
	ck_assert_uint_eq(f.submit_count, 1);
	ck_assert_uint_eq(job->error_count, 2);
	job_free(job);
	fake_free(&f);
}
END_TEST

/* A plugin's state is asked when the job reaches it, not before. */
START_TEST(test_state_is_read_when_the_job_arrives)
{
	struct fake f;
	struct job *job = pod("u1", "db", "p");

	fake_init(&f, 3);
	dispatch_submit(f.dispatch, job);
	assert_last_submit(&f, 1, 0, job);
	f.states[1] = PLUGIN_QUARANTINED;
	f.reasons[1] = "crashed 5 times";
	answer(&f, job, 0, "", "");
	assert_last_submit(&f, 2, 2, job);
	assert_error(job, 0, 1, ERROR_QUARANTINED, "crashed 5 times");
	f.states[2] = PLUGIN_LOAD_FAILED;
	f.reasons[2] = "gone";
	answer(&f, job, 2, "", "");
	ck_assert_uint_eq(f.done_count, 1);
	ck_assert_int_eq(job->status, STATUS_UNRESOLVED);
	ck_assert_uint_eq(job->error_count, 1);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_no_answer_is_unresolved)
{
	struct fake f;
	struct job *job = pod("u1", "db", "p");

	fake_init(&f, 3);
	dispatch_submit(f.dispatch, job);
	answer(&f, job, 0, "", "");
	answer(&f, job, 1, "Deployment", "");
	ck_assert_uint_eq(f.done_count, 0);
	answer(&f, job, 2, "", "");
	ck_assert_uint_eq(f.submit_count, 3);
	ck_assert_uint_eq(f.done_count, 1);
	ck_assert_ptr_eq(f.done_job, job);
	ck_assert_int_eq(job->status, STATUS_UNRESOLVED);
	ck_assert_uint_eq(job->error_count, 0);
	ck_assert_ptr_null(job->type);
	ck_assert_ptr_null(job->workload);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_every_plugin_failing_is_unresolved_with_errors)
{
	struct fake f;
	struct job *job = pod("u1", "db", "p");

	fake_init(&f, 3);
	f.states[2] = PLUGIN_QUARANTINED;
	f.reasons[2] = "q";
	dispatch_submit(f.dispatch, job);
	plugin_fails(&f, job, 0, ERROR_CRASH, "worker died (signal 11)");
	ck_assert_uint_eq(f.done_count, 0);
	plugin_fails(&f, job, 1, ERROR_MEMORY, "not enough memory");
	/* Plugin 2 is never called; the job ends there. */
	ck_assert_uint_eq(f.submit_count, 2);
	ck_assert_uint_eq(f.done_count, 1);
	ck_assert_int_eq(job->status, STATUS_UNRESOLVED);
	ck_assert_uint_eq(job->error_count, 3);
	assert_error(job, 0, 0, ERROR_CRASH, "worker died (signal 11)");
	assert_error(job, 1, 1, ERROR_MEMORY, "not enough memory");
	assert_error(job, 2, 2, ERROR_QUARANTINED, "q");
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_no_plugins)
{
	struct fake f;
	struct job *job = pod("u1", "db", "p");

	fake_init(&f, 0);
	dispatch_submit(f.dispatch, job);
	ck_assert_uint_eq(f.submit_count, 0);
	ck_assert_uint_eq(f.state_calls, 0);
	ck_assert_uint_eq(f.done_count, 1);
	ck_assert_int_eq(job->status, STATUS_UNRESOLVED);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_invalid_job_finishes_at_once)
{
	struct fake f;
	struct job *job = invalid_record("stdin:3: byte 17: expected ':'");

	fake_init(&f, 3);
	dispatch_submit(f.dispatch, job);
	ck_assert_uint_eq(f.done_count, 1);
	ck_assert_ptr_eq(f.done_job, job);
	ck_assert_uint_eq(f.submit_count, 0);
	ck_assert_uint_eq(f.state_calls, 0);
	ck_assert_int_eq(job->status, STATUS_INVALID);
	ck_assert_uint_eq(job->error_count, 0);
	job_free(job);
	fake_free(&f);
}
END_TEST

/* Pipelined jobs sit at different plugins; each keeps its own place. */
START_TEST(test_jobs_in_flight_are_independent)
{
	struct fake f;
	struct job *a = pod("a", "", ""), *b = pod("b", "", "");

	fake_init(&f, 2);
	dispatch_submit(f.dispatch, a);
	dispatch_submit(f.dispatch, b);
	assert_last_submit(&f, 2, 0, b);
	answer(&f, a, 0, "", "");
	assert_last_submit(&f, 3, 1, a);
	answer(&f, b, 0, "Deployment", "web");
	ck_assert_uint_eq(f.done_count, 1);
	ck_assert_ptr_eq(f.done_job, b);
	ck_assert_uint_eq(b->decided_by, 0);
	plugin_fails(&f, a, 1, ERROR_SANDBOX, "openat denied");
	ck_assert_uint_eq(f.done_count, 2);
	ck_assert_ptr_eq(f.done_job, a);
	ck_assert_int_eq(a->status, STATUS_UNRESOLVED);
	ck_assert_uint_eq(a->error_count, 1);
	ck_assert_uint_eq(b->error_count, 0);
	job_free(a);
	job_free(b);
	fake_free(&f);
}
END_TEST

/* --- workload types ------------------------------------------------------ */

START_TEST(test_supported_types_ignore_case)
{
	static const struct {
		const char *returned, *canonical;
	} cases[] = {
		{ "Deployment", "Deployment" },
		{ "deployment", "Deployment" },
		{ "DEPLOYMENT", "Deployment" },
		{ "statefulset", "StatefulSet" },
		{ "STATEFULset", "StatefulSet" },
		{ "replicaSet", "ReplicaSet" },
		{ "daemonset", "DaemonSet" },
		{ "DaemonSet", "DaemonSet" },
		{ "replicationcontroller", "ReplicationController" },
		{ "REPLICATIONCONTROLLER", "ReplicationController" },
		{ "cloneSET", "CloneSet" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct job *job = pod("u", "n", "p");
		struct buffer out = { 0 };
		const char *names[] = { "first", "second" };
		char expected[512];

		fake_init(&f, 2);
		dispatch_submit(f.dispatch, job);
		answer(&f, job, 0, "", "");
		answer(&f, job, 1, cases[i].returned, "w");
		assert_decided(&f, job, STATUS_RESOLVED, cases[i].canonical,
		    "w", 1);
		ck_assert_str_eq(workload_type_canonical(cases[i].returned,
		    strlen(cases[i].returned)), cases[i].canonical);
		ck_assert_int_eq(result_format(&out, job, names), 0);
		snprintf(expected, sizeof(expected), "{\"uid\":\"u\","
		    "\"namespace\":\"n\",\"name\":\"p\",\"status\":"
		    "\"resolved\",\"workloadType\":\"%s\",\"workloadName\":"
		    "\"w\",\"plugin\":\"second\"}\n", cases[i].canonical);
		ck_assert_uint_eq(buffer_length(&out), strlen(expected));
		ck_assert_int_eq(memcmp(buffer_bytes(&out), expected,
		    strlen(expected)), 0);
		buffer_free(&out);
		job_free(job);
		fake_free(&f);
	}
}
END_TEST

/* Anything else is unsupported, and kept exactly as the plugin said it. */
START_TEST(test_other_types_are_unsupported)
{
	static const struct {
		const char *type;
		size_t length;
	} cases[] = {
		{ "Job", 3 },
		{ "Pod", 3 },
		{ "Deployments", 11 },
		{ "Deploymen", 9 },
		{ " Deployment", 11 },
		{ "Deployment ", 11 },
		{ "Deployment\0", 11 },		/* a trailing NUL byte */
		{ "Deploy\0ment", 11 },
		{ "Deplo\0ment", 10 },		/* right length, not the word */
		{ "Stateful Set", 12 },
		{ "StatefulSet\xff", 12 },
		{ "D\xc3\xa9ployment", 11 },
		{ "\xff\xfe", 2 },
		{ "CloneSet-", 9 },
		{ "CronJob", 7 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct job *job = pod("u", "n", "p");
		static const char name[] = "n\0\x80x";

		fake_init(&f, 1);
		dispatch_submit(f.dispatch, job);
		answer_bytes(&f, job, 0, cases[i].type, cases[i].length, name,
		    sizeof(name) - 1);
		ck_assert_uint_eq(f.done_count, 1);
		ck_assert_msg(job->status == STATUS_UNSUPPORTED, "case %zu",
		    i);
		ck_assert_uint_eq(job->type_length, cases[i].length);
		ck_assert_int_eq(memcmp(job->type, cases[i].type,
		    cases[i].length), 0);
		ck_assert_uint_eq(job->workload_length, sizeof(name) - 1);
		ck_assert_int_eq(memcmp(job->workload, name, sizeof(name) - 1),
		    0);
		ck_assert_uint_eq(job->decided_by, 0);
		ck_assert_ptr_null(workload_type_canonical(cases[i].type,
		    cases[i].length));
		job_free(job);
		fake_free(&f);
	}
}
END_TEST

START_TEST(test_canonical_type_reads_only_its_length)
{
	/* The length given is the type: what follows does not count. */
	ck_assert_str_eq(workload_type_canonical("DaemonSetX", 9),
	    "DaemonSet");
	ck_assert_ptr_null(workload_type_canonical("DaemonSet", 8));
	ck_assert_ptr_null(workload_type_canonical("", 0));
}
END_TEST

/* --- result lines -------------------------------------------------------- */

static const char *const plugin_names[] = { "10-opengauss", "20-owner",
    "30-last" };

/* The job's line must be exactly expected (newline included). */
static void
assert_line(const struct job *job, const char *const *names,
    const char *expected)
{
	struct buffer out = { 0 };
	size_t length = strlen(expected);

	ck_assert_int_eq(result_format(&out, job, names), 0);
	ck_assert_msg(buffer_length(&out) == length &&
	    memcmp(buffer_bytes(&out), expected, length) == 0,
	    "\ngot      %.*s\nexpected %s", (int)buffer_length(&out),
	    buffer_bytes(&out), expected);
	buffer_free(&out);
}

START_TEST(test_line_resolved)
{
	struct fake f;
	struct job *job = pod("8f3c-11", "db", "ogtest-0");

	fake_init(&f, 3);
	dispatch_submit(f.dispatch, job);
	answer(&f, job, 0, "statefulset", "ogtest");
	assert_line(job, plugin_names, "{\"uid\":\"8f3c-11\",\"namespace\":"
	    "\"db\",\"name\":\"ogtest-0\",\"status\":\"resolved\","
	    "\"workloadType\":\"StatefulSet\",\"workloadName\":\"ogtest\","
	    "\"plugin\":\"10-opengauss\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_line_with_errors)
{
	struct fake f;
	struct job *job = pod("u", "ns", "n");

	fake_init(&f, 3);
	f.states[1] = PLUGIN_LOAD_FAILED;
	f.reasons[1] = "20-owner.lua:1: '=' expected near 'x'";
	dispatch_submit(f.dispatch, job);
	plugin_fails(&f, job, 0, ERROR_ERROR, "10-opengauss.lua:4: attempt "
	    "to index a nil value (field 'x')");
	answer(&f, job, 2, "MyKind", "mk");
	assert_line(job, plugin_names, "{\"uid\":\"u\",\"namespace\":\"ns\","
	    "\"name\":\"n\",\"status\":\"unsupported\",\"workloadType\":"
	    "\"MyKind\",\"workloadName\":\"mk\",\"plugin\":\"30-last\","
	    "\"errors\":[{\"plugin\":\"10-opengauss\",\"kind\":\"error\","
	    "\"message\":\"10-opengauss.lua:4: attempt to index a nil value "
	    "(field 'x')\"},{\"plugin\":\"20-owner\",\"kind\":\"load\","
	    "\"message\":\"20-owner.lua:1: '=' expected near 'x'\"}]}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

/* Every kind in DESIGN.md's words, on an unresolved record. */
START_TEST(test_line_error_kinds)
{
	static const struct {
		enum error_kind kind;
		const char *name;
	} kinds[] = {
		{ ERROR_TIMEOUT, "timeout" }, { ERROR_MEMORY, "memory" },
		{ ERROR_ERROR, "error" }, { ERROR_CRASH, "crash" },
		{ ERROR_SANDBOX, "sandbox" },
		{ ERROR_BAD_RETURN, "bad-return" },
		{ ERROR_QUARANTINED, "quarantined" }, { ERROR_LOAD, "load" },
	};
	const char *const names[] = { "p0", "p1", "p2", "p3", "p4", "p5",
	    "p6", "p7" };
	struct fake f;
	struct job *job = pod("", "", "");
	char expected[2048];
	size_t used;

	fake_init(&f, 8);
	dispatch_submit(f.dispatch, job);
	for (size_t i = 0; i < 8; i++)
		plugin_fails(&f, job, i, kinds[i].kind, "m");
	ck_assert_int_eq(job->status, STATUS_UNRESOLVED);
	used = (size_t)snprintf(expected, sizeof(expected), "{\"uid\":\"\","
	    "\"namespace\":\"\",\"name\":\"\",\"status\":\"unresolved\","
	    "\"workloadType\":\"\",\"workloadName\":\"\",\"plugin\":\"\","
	    "\"errors\":[");
	for (size_t i = 0; i < 8; i++)
		used += (size_t)snprintf(expected + used, sizeof(expected) -
		    used, "%s{\"plugin\":\"p%zu\",\"kind\":\"%s\","
		    "\"message\":\"m\"}", i > 0 ? "," : "", i, kinds[i].name);
	snprintf(expected + used, sizeof(expected) - used, "]}\n");
	assert_line(job, names, expected);
	for (size_t i = 0; i < 8; i++) {
		ck_assert_str_eq(error_kind_name(kinds[i].kind),
		    kinds[i].name);
		ck_assert_int_eq(error_kind_parse(kinds[i].name,
		    strlen(kinds[i].name)), kinds[i].kind);
	}
	ck_assert_int_eq(error_kind_parse("Timeout", 7), -1);
	ck_assert_int_eq(error_kind_parse("timeouts", 8), -1);
	ck_assert_int_eq(error_kind_parse("time", 4), -1);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_line_unresolved)
{
	struct fake f;
	struct job *job = pod("u-1", "kube-system", "coredns-x");

	fake_init(&f, 1);
	dispatch_submit(f.dispatch, job);
	answer(&f, job, 0, "", "");
	assert_line(job, plugin_names, "{\"uid\":\"u-1\",\"namespace\":"
	    "\"kube-system\",\"name\":\"coredns-x\",\"status\":\"unresolved\","
	    "\"workloadType\":\"\",\"workloadName\":\"\",\"plugin\":\"\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_line_invalid)
{
	struct fake f;
	struct job *job = invalid_record("pods.json:3: byte 17: expected "
	    "',' or '}' after \"a\"");

	fake_init(&f, 2);
	dispatch_submit(f.dispatch, job);
	assert_line(job, plugin_names, "{\"uid\":\"\",\"namespace\":\"\","
	    "\"name\":\"\",\"status\":\"invalid\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\",\"error\":"
	    "\"pods.json:3: byte 17: expected ',' or '}' after \\\"a\\\"\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

/* Missing identity fields print as "". */
START_TEST(test_line_missing_identity)
{
	struct fake f;
	struct job *job = pod(NULL, NULL, "only-name");

	fake_init(&f, 1);
	dispatch_submit(f.dispatch, job);
	answer(&f, job, 0, "Deployment", "d");
	assert_line(job, plugin_names, "{\"uid\":\"\",\"namespace\":\"\","
	    "\"name\":\"only-name\",\"status\":\"resolved\",\"workloadType\":"
	    "\"Deployment\",\"workloadName\":\"d\",\"plugin\":"
	    "\"10-opengauss\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

/*
 * Whatever bytes come in, the line is valid JSON: quotes, backslashes and
 * control bytes escaped, valid UTF-8 kept, and every byte that is not part
 * of valid UTF-8 replaced by U+FFFD.
 */
START_TEST(test_line_escapes_hostile_bytes)
{
	static const char type[] = "T\0\"\\\xff";
	static const char workload[] =
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"	/* é € 😀: kept */
	    "\xc0\xaf"					/* overlong '/' */
	    "\xed\xa0\x80"				/* a surrogate */
	    "\xf4\x90\x80\x80"				/* past U+10FFFF */
	    "\xe2\x82x"					/* cut short */
	    "\x80\xbf"					/* lone continuations */
	    "\x7f"					/* DEL: allowed */
	    "\xe2\x82";					/* cut by the end */
	const char *const names[] = { "we\"ird\\name\n" };
	struct fake f;
	struct job *job = pod("a\"b\\c", "\n\r\t\b\f", "\x01\x1f ~");

	fake_init(&f, 1);
	dispatch_submit(f.dispatch, job);
	answer_bytes(&f, job, 0, type, sizeof(type) - 1, workload,
	    sizeof(workload) - 1);
	ck_assert_int_eq(job->status, STATUS_UNSUPPORTED);
	assert_line(job, names, "{\"uid\":\"a\\\"b\\\\c\",\"namespace\":"
	    "\"\\n\\r\\t\\b\\f\",\"name\":\"\\u0001\\u001f ~\",\"status\":"
	    "\"unsupported\",\"workloadType\":\"T\\u0000\\\"\\\\\\ufffd\","
	    "\"workloadName\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\\ufffd\\ufffd" "\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\ufffd" "\\ufffd\\ufffdx"
	    "\\ufffd\\ufffd" "\x7f" "\\ufffd\\ufffd\","
	    "\"plugin\":\"we\\\"ird\\\\name\\n\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_line_escapes_error_messages)
{
	const char *const names[] = { "p\xff" };
	struct fake f;
	struct job *job = pod("u", "n", "p");

	fake_init(&f, 1);
	dispatch_submit(f.dispatch, job);
	plugin_fails(&f, job, 0, ERROR_ERROR, "bad \"x\"\n\x02\xfe end");
	assert_line(job, names, "{\"uid\":\"u\",\"namespace\":\"n\",\"name\":"
	    "\"p\",\"status\":\"unresolved\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\",\"errors\":[{\"plugin\":"
	    "\"p\\ufffd\",\"kind\":\"error\",\"message\":\"bad \\\"x\\\"\\n"
	    "\\u0002\\ufffd end\"}]}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

/* A line is appended after what the buffer holds. */
START_TEST(test_line_appends)
{
	struct fake f;
	struct job *job = pod("u", "n", "p");
	struct buffer out = { 0 };
	static const char first[] = "{\"uid\":\"u\",\"namespace\":\"n\","
	    "\"name\":\"p\",\"status\":\"resolved\",\"workloadType\":"
	    "\"DaemonSet\",\"workloadName\":\"d\",\"plugin\":\"10-opengauss\"}"
	    "\n";

	fake_init(&f, 1);
	dispatch_submit(f.dispatch, job);
	answer(&f, job, 0, "daemonset", "d");
	ck_assert_int_eq(buffer_append(&out, "previous\n", 9), 0);
	ck_assert_int_eq(result_format(&out, job, plugin_names), 0);
	ck_assert_int_eq(result_format(&out, job, plugin_names), 0);
	ck_assert_uint_eq(buffer_length(&out), 9 + 2 * (sizeof(first) - 1));
	ck_assert_int_eq(memcmp(buffer_bytes(&out), "previous\n", 9), 0);
	ck_assert_int_eq(memcmp(buffer_bytes(&out) + 9, first,
	    sizeof(first) - 1), 0);
	ck_assert_int_eq(memcmp(buffer_bytes(&out) + 9 + sizeof(first) - 1,
	    first, sizeof(first) - 1), 0);
	buffer_free(&out);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(job_status_name(STATUS_RESOLVED), "resolved");
	ck_assert_str_eq(job_status_name(STATUS_UNRESOLVED), "unresolved");
	ck_assert_str_eq(job_status_name(STATUS_UNSUPPORTED), "unsupported");
	ck_assert_str_eq(job_status_name(STATUS_INVALID), "invalid");
}
END_TEST

Suite *
dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *chain = tcase_create("chain");
	TCase *types = tcase_create("workload types");
	TCase *lines = tcase_create("result lines");

	tcase_add_test(chain, test_first_answer_decides);
	tcase_add_test(chain, test_empty_pair_passes_on);
	tcase_add_test(chain, test_one_empty_string_passes_on);
	tcase_add_test(chain, test_errors_are_recorded_and_the_chain_goes_on);
	tcase_add_test(chain, test_load_failed_and_quarantined_are_not_called);
	tcase_add_test(chain, test_state_is_read_when_the_job_arrives);
	tcase_add_test(chain, test_no_answer_is_unresolved);
	tcase_add_test(chain,
	    test_every_plugin_failing_is_unresolved_with_errors);
	tcase_add_test(chain, test_no_plugins);
	tcase_add_test(chain, test_invalid_job_finishes_at_once);
	tcase_add_test(chain, test_jobs_in_flight_are_independent);
	suite_add_tcase(s, chain);

	tcase_add_test(types, test_supported_types_ignore_case);
	tcase_add_test(types, test_other_types_are_unsupported);
	tcase_add_test(types, test_canonical_type_reads_only_its_length);
	suite_add_tcase(s, types);

	tcase_add_test(lines, test_line_resolved);
	tcase_add_test(lines, test_line_with_errors);
	tcase_add_test(lines, test_line_error_kinds);
	tcase_add_test(lines, test_line_unresolved);
	tcase_add_test(lines, test_line_invalid);
	tcase_add_test(lines, test_line_missing_identity);
	tcase_add_test(lines, test_line_escapes_hostile_bytes);
	tcase_add_test(lines, test_line_escapes_error_messages);
	tcase_add_test(lines, test_line_appends);
	tcase_add_test(lines, test_status_names);
	suite_add_tcase(s, lines);
	return s;
}
