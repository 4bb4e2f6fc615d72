/*
 * The plugin chain (supervisor/engine/dispatch.c) against a fake target that only
 * records which plugin got each job (dispatch_support.h): the test plays
 * the workers and answers with dispatch_outcome().  The first answer
 * decides, errors are recorded and the chain goes on, plugins that failed
 * to load or are quarantined are skipped, and jobs in flight keep their
 * own places.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/buffer.h"
#include "../supervisor/engine/dispatch.h"
#include "../supervisor/engine/job.h"
#include "../supervisor/output/result.h"
#include "dispatch_support.h"
#include "suites.h"

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

/* --- the chain ----------------------------------------------------------- */

START_TEST(test_first_answer_decides)
{
	struct fake f;
	struct job *job = pod("u1", "db", "ogtest-0");

	fake_init(&f, 3);
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, job);
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
	fake_send(&f, a);
	fake_send(&f, b);
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

/* --- what an answer may hold -------------------------------------------- */

#define NOT_CONTROL	"; a type or name must be text without control " \
			"characters"
#define NOT_UTF8	"; a type or name must be valid UTF-8"

/*
 * A type or name goes on into Kubernetes object names: a control
 * character (C0, DEL or C1, Unicode's Cc) or a byte that is not UTF-8 in
 * either is the plugin's bad-return, checked here whatever the worker
 * says, naming the string and the byte (from 1); the chain goes on.
 */
START_TEST(test_answer_that_is_not_text_is_a_bad_return)
{
	static const struct {
		const char *type, *name;
		size_t type_length, name_length;
		const char *message;
	} cases[] = {
		{ "Deploy\nment", "web", 11, 3, "the workload type has "
		    "control character U+000A at byte 7" NOT_CONTROL },
		{ "\0DaemonSet", "x", 10, 1, "the workload type has control "
		    "character U+0000 at byte 1" NOT_CONTROL },
		{ "DaemonSet", "x\0", 9, 2, "the workload name has control "
		    "character U+0000 at byte 2" NOT_CONTROL },
		{ "DaemonSet", "web\x1b[2J", 9, 7, "the workload name has "
		    "control character U+001B at byte 4" NOT_CONTROL },
		{ "DaemonSet", "\x1f", 9, 1, "the workload name has control "
		    "character U+001F at byte 1" NOT_CONTROL },
		{ "DaemonSet", "web\x7f", 9, 4, "the workload name has "
		    "control character U+007F at byte 4" NOT_CONTROL },
		/* C1: U+0080 and U+009F, the ends of the range. */
		{ "Daemon\xc2\x80Set", "x", 11, 1, "the workload type has "
		    "control character U+0080 at byte 7" NOT_CONTROL },
		{ "DaemonSet", "\xc3\xa9\xc2\x9f", 9, 4, "the workload name "
		    "has control character U+009F at byte 3" NOT_CONTROL },
		{ "DaemonSet", "caf\xe9", 9, 4, "the workload name is not "
		    "valid UTF-8 at byte 4 (0xE9)" NOT_UTF8 },
		{ "Deployment\xff", "x", 11, 1, "the workload type is not "
		    "valid UTF-8 at byte 11 (0xFF)" NOT_UTF8 },
		{ "DaemonSet", "x\xe2\x82", 9, 3, "the workload name is not "
		    "valid UTF-8 at byte 2 (0xE2)" NOT_UTF8 },
		/* The type is checked first. */
		{ "\x01", "\x02", 1, 1, "the workload type has control "
		    "character U+0001 at byte 1" NOT_CONTROL },
		/* Even an answer that would not decide. */
		{ "", "x\t", 0, 2, "the workload name has control character "
		    "U+0009 at byte 2" NOT_CONTROL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct job *job = pod("u", "n", "p");

		fake_init(&f, 2);
		fake_send(&f, job);
		answer_bytes(&f, job, 0, cases[i].type, cases[i].type_length,
		    cases[i].name, cases[i].name_length);
		ck_assert_msg(f.done_count == 0, "case %zu decided", i);
		assert_last_submit(&f, 2, 1, job);
		assert_error(job, 0, 0, ERROR_BAD_RETURN, cases[i].message);
		answer(&f, job, 1, "DaemonSet", "ds");
		assert_decided(&f, job, STATUS_RESOLVED, "DaemonSet", "ds", 1);
		job_free(job);
		fake_free(&f);
	}
}
END_TEST

/* Printable text decides, whatever its script: U+00A0 (just past C1),
 * Chinese, a character of four bytes, spaces and punctuation. */
START_TEST(test_answer_that_is_text_decides)
{
	static const char *const names[] = {
		"web-1", "caf\xc3\xa9", "\xc2\xa0x", "\xe4\xb8\xad\xe6\x96\x87",
		"\xf0\x9f\x98\x80", "a b", "~!@#$%^&*()_+{}|:<>?", "x\\y\"z",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct fake f;
		struct job *job = pod("u", "n", "p");

		fake_init(&f, 1);
		fake_send(&f, job);
		answer(&f, job, 0, "statefulset", names[i]);
		assert_decided(&f, job, STATUS_RESOLVED, "StatefulSet",
		    names[i], 0);
		ck_assert_uint_eq(job->error_count, 0);
		job_free(job);
		fake_free(&f);
	}
}
END_TEST

Suite *
dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *chain = tcase_create("chain");

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
	tcase_add_test(chain, test_answer_that_is_not_text_is_a_bad_return);
	tcase_add_test(chain, test_answer_that_is_text_decides);
	suite_add_tcase(s, chain);
	return s;
}
