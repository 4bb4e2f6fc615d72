/*
 * The plugin chain (supervisor/dispatch.c) against a fake target that only
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
#include "../supervisor/dispatch.h"
#include "../supervisor/job.h"
#include "../supervisor/result.h"
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
	suite_add_tcase(s, chain);
	return s;
}
