/*
 * What a worker says about itself is not believed: call latency is the
 * supervisor's own measure, a death is judged from its exit status and
 * signal alone, and a message out of its state is a crash.  And the
 * counters agree with the output: every error kind on an output line is
 * counted once, and so is every log line a rate limit dropped.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "suites.h"

static const char four_records[] = "{\"name\":\"r0\"}\n{\"name\":\"bad\"}\n"
    "{\"name\":\"r2\"}\n{\"name\":\"r3\"}\n";

static void
run_fake(struct run_result *r, const char *behaviour, const char *input,
    const char *extra)
{
	char *dir = plugin_dir("fake.lua", behaviour, NULL), *worker;

	ck_assert_int_ne(asprintf(&worker, "%s/fake-worker", build_dir()), -1);
	run_luaward(r, input, strlen(input), 120, "resolve", "--plugins", dir,
	    "--worker", worker, "--restart-delay", "1", "--stats=json",
	    "--workers", "1", extra, NULL);
	free(worker);
	free(dir);
}

/* A number after key in text (the first one). */
static unsigned long long
number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	unsigned long long value = 0;

	ck_assert_msg(p != NULL, "no %s in %s", key, text);
	ck_assert_int_eq(sscanf(p + strlen(key), "%llu", &value), 1);
	return value;
}

static size_t
occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

START_TEST(test_call_latency_is_the_supervisors_own)
{
	struct run_result r;

	/* The worker claims 2^62 microseconds for every call. */
	run_fake(&r, "lying-micros", four_records, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_msg(number_after(r.err, "\"p99\":") < 60000000ull, "%s",
	    r.err);
	run_result_free(&r);
}
END_TEST

START_TEST(test_violation_report_without_sigsys_is_a_crash)
{
	struct run_result r;

	run_fake(&r, "violate-exit", four_records, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), 4);
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\":\"bad\",\"status\":"
	    "\"unresolved\",\"workloadType\":\"\",\"workloadName\":\"\","
	    "\"plugin\":\"\",\"errors\":[{\"plugin\":\"fake\",\"kind\":"
	    "\"crash\",\"message\":\"the worker exited with status 1\"}]}"));
	ck_assert_ptr_null(strstr(r.out, "\"sandbox\""));
	ck_assert_uint_eq(occurrences(r.out, "\"workloadName\":\"fake\""), 3);
	run_result_free(&r);
}
END_TEST

/* An ERROR about itself claiming a load failure after READY does not
 * disable the plugin for good: a crash, a restart, the rest answered. */
START_TEST(test_load_claim_after_ready_is_a_crash_and_restarts)
{
	struct run_result r;

	run_fake(&r, "late-load-error", four_records, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), 4);
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\":\"bad\","));
	ck_assert_ptr_nonnull(strstr(r.out, "\"kind\":\"crash\",\"message\":"
	    "\"the worker exited with status 67, which only a worker that is "
	    "loading may give: pretend\""));
	ck_assert_ptr_null(strstr(r.out, "\"load\""));
	ck_assert_uint_eq(occurrences(r.out, "\"workloadName\":\"fake\""), 3);
	ck_assert_uint_eq(number_after(r.err, "\"restarts\":"), 1);
	run_result_free(&r);
}
END_TEST

/* Records carry a plugin's load error: the stats count each one. */
START_TEST(test_load_errors_on_lines_are_counted)
{
	char *dir = plugin_dir("broken.lua", "this is not lua\n", NULL);
	struct run_result r;

	run_luaward(&r, four_records, strlen(four_records), 120, "resolve",
	    "--plugins", dir, "--stats=json", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_uint_eq(occurrences(r.out, "\"kind\":\"load\""), 4);
	ck_assert_msg(strstr(r.err, "\"calls\":0,\"errors\":{\"timeout\":0,"
	    "\"memory\":0,\"error\":0,\"crash\":0,\"sandbox\":0,"
	    "\"bad-return\":0,\"quarantined\":0,\"load\":4}") != NULL, "%s",
	    r.err);
	run_result_free(&r);
	free(dir);
}
END_TEST

/* A plugin quarantined part-way: its crashes and its quarantined errors
 * are counted exactly as the lines carry them. */
START_TEST(test_quarantined_errors_on_lines_are_counted)
{
	char *dir = plugin_dir("fake.lua", "die-every-3rd", NULL), *worker;
	char input[2048] = "";
	struct run_result r;
	size_t crashes, quarantined;

	for (int i = 0; i < 30; i++)
		snprintf(input + strlen(input), sizeof(input) - strlen(input),
		    "{\"name\":\"r%d\"}\n", i);
	ck_assert_int_ne(asprintf(&worker, "%s/fake-worker", build_dir()), -1);
	run_luaward(&r, input, strlen(input), 120, "resolve", "--plugins",
	    dir, "--worker", worker, "--restart-delay", "1", "--max-restarts",
	    "2", "--stats=json", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_uint_eq(count_lines(r.out), 30);
	crashes = occurrences(r.out, "\"kind\":\"crash\"");
	quarantined = occurrences(r.out, "\"kind\":\"quarantined\"");
	ck_assert_uint_gt(quarantined, 0);
	ck_assert_uint_eq(number_after(r.err, "\"crash\":"), crashes);
	ck_assert_uint_eq(number_after(r.err, "\"quarantined\":"),
	    quarantined);
	ck_assert_ptr_nonnull(strstr(r.err, "\"quarantines\":1,"
	    "\"quarantined\":true"));
	run_result_free(&r);
	free(worker);
	free(dir);
}
END_TEST

/* print() past the worker's rate limit: the dropped lines are counted in
 * the stats and said on stderr. */
START_TEST(test_dropped_log_lines_are_counted)
{
	char *dir = plugin_dir("chatty.lua", "function GetWorkloadTypeAndName"
	    "(m) for i = 1, 300 do print('line', i) end return '', '' end\n",
	    NULL);
	struct run_result r;
	unsigned long long dropped;

	run_luaward(&r, four_records, strlen(four_records), 120, "resolve",
	    "--plugins", dir, "--stats=json", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	/* 1,200 lines; at most the burst and a few refills get through
	 * either limit. */
	dropped = number_after(r.err, "\"log_lines_dropped\":");
	ck_assert_msg(dropped >= 1200 - 300 && dropped < 1200, "%llu dropped",
	    dropped);
	ck_assert_uint_eq(dropped + occurrences(r.err, "plugin chatty: line"),
	    1200);
	ck_assert_ptr_nonnull(strstr(r.err, "lines dropped"));
	run_result_free(&r);
	free(dir);
}
END_TEST

Suite *
claims_suite(void)
{
	Suite *s = suite_create("claims");
	TCase *t = tcase_create("claims");

	tcase_set_timeout(t, 300);
	tcase_add_test(t, test_call_latency_is_the_supervisors_own);
	tcase_add_test(t, test_violation_report_without_sigsys_is_a_crash);
	tcase_add_test(t, test_load_claim_after_ready_is_a_crash_and_restarts);
	tcase_add_test(t, test_load_errors_on_lines_are_counted);
	tcase_add_test(t, test_quarantined_errors_on_lines_are_counted);
	tcase_add_test(t, test_dropped_log_lines_are_counted);
	suite_add_tcase(s, t);
	return s;
}
