/*
 * Workers that break the protocol in ways test_limits.c does not play:
 * each costs at most the record it was running, which gets a crash (or,
 * for a seccomp violation, a sandbox) error, and the replacement answers
 * the rest in order, one line each.  Also the worker's raw stderr, and
 * runs that are unusual for the supervisor rather than the worker: several
 * workers per plugin, no call timeout, a request pipe that fills up.
 * The workers are tests/fake_worker.c.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos_support.h"
#include "helpers.h"
#include "suites.h"

/* The fake worker plays the only plugin, fake.lua, whose source is the
 * behaviour; extra is NULL-terminated options after the defaults. */
static void
run_fake(struct run_result *r, const char *behaviour, const char *input,
    const char *const *extra)
{
	char *dir = plugin_dir("fake.lua", behaviour, NULL);
	char *worker;
	const char *argv[32];
	size_t n = 0;

	ck_assert_int_ne(asprintf(&worker, "%s/fake-worker", build_dir()), -1);
	argv[n++] = "resolve";
	argv[n++] = "--plugins";
	argv[n++] = dir;
	argv[n++] = "--worker";
	argv[n++] = worker;
	/* Each bad record costs a worker: restart at once. */
	argv[n++] = "--restart-delay";
	argv[n++] = "1";
	/* One worker, whose every record and line is known, unless extra
	 * says otherwise. */
	argv[n++] = "--workers";
	argv[n++] = "1";
	for (; extra != NULL && *extra != NULL; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	run_luaward_argv(r, input, strlen(input), 120, argv);
	free(worker);
	free(dir);
}

static const char four_records[] = "{\"name\":\"r0\"}\n{\"name\":\"bad\"}\n"
    "{\"name\":\"r2\"}\n{\"name\":\"r3\"}\n";

/* The line the fake worker's answer makes for record `name`. */
static void
expect_answered(const char *out, size_t n, const char *name)
{
	char *line = line_of(out, n), expected[256];

	ck_assert_ptr_nonnull(line);
	snprintf(expected, sizeof(expected), "{\"uid\":\"\",\"namespace\":"
	    "\"\",\"name\":\"%s\",\"status\":\"resolved\",\"workloadType\":"
	    "\"Deployment\",\"workloadName\":\"fake\",\"plugin\":\"fake\"}",
	    name);
	ck_assert_str_eq(line, expected);
	free(line);
}

/* The line of a record the only plugin failed with kind and message. */
static void
expect_failed(const char *out, size_t n, const char *name, const char *kind,
    const char *message)
{
	char *line = line_of(out, n), expected[1024];

	ck_assert_ptr_nonnull(line);
	snprintf(expected, sizeof(expected), "{\"uid\":\"\",\"namespace\":"
	    "\"\",\"name\":\"%s\",\"status\":\"unresolved\",\"workloadType\":"
	    "\"\",\"workloadName\":\"\",\"plugin\":\"\",\"errors\":[{\"plugin\":"
	    "\"fake\",\"kind\":\"%s\",\"message\":\"%s\"}]}", name, kind,
	    message);
	ck_assert_str_eq(line, expected);
	free(line);
}

/* r0 answered, bad failed with kind / message, r2 and r3 answered by the
 * replacement; stderr says why the worker went, once. */
static void
expect_only_bad_failed(const char *behaviour, const char *kind,
    const char *message)
{
	struct run_result r;
	char warning[512];
	const char *said;

	run_fake(&r, behaviour, four_records, NULL);
	ck_assert_msg(r.status == 1, "%s: exit %d: %s", behaviour, r.status,
	    r.err);
	ck_assert_uint_eq(count_lines(r.out), 4);
	expect_answered(r.out, 0, "r0");
	expect_failed(r.out, 1, "bad", kind, message);
	expect_answered(r.out, 2, "r2");
	expect_answered(r.out, 3, "r3");
	snprintf(warning, sizeof(warning), "luaward: warning: plugin fake: "
	    "%s\n", message);
	said = strstr(r.err, warning);
	ck_assert_msg(said != NULL, "%s: stderr: %s", behaviour, r.err);
	ck_assert_ptr_null(strstr(said + 1, warning));
	run_result_free(&r);
}

START_TEST(test_second_hello)
{
	expect_only_bad_failed("hello-twice", "crash", "the worker sent an "
	    "unexpected HELLO message; it was killed");
}
END_TEST

START_TEST(test_payload_that_is_not_msgpack)
{
	expect_only_bad_failed("not-msgpack", "crash", "the worker sent a "
	    "malformed message: invalid msgpack tag 0xc1; it was killed");
}
END_TEST

START_TEST(test_error_kind_only_the_supervisor_gives)
{
	/* "crash" is a kind the supervisor decides; a worker claiming it
	 * for a request is lying about something. */
	expect_only_bad_failed("error-crash", "crash", "the worker reported "
	    "error kind 'crash' for a request; it was killed");
}
END_TEST

START_TEST(test_violation_blames_the_request_it_names)
{
	/* The worker holds r0 unanswered, so r0 heads the in-flight list
	 * when it reports the violation of the bad one: the blame goes by
	 * the id in VIOLATION, not to the head.  r0 goes to the
	 * replacement. */
	expect_only_bad_failed("violate", "sandbox", "blocked by the seccomp "
	    "policy: ptrace (syscall 101)");
}
END_TEST

START_TEST(test_reply_before_ready)
{
	const char *extra[] = { "--max-restarts", "0", NULL };
	static const char reason[] = "the worker sent an unexpected REPLY "
	    "message; it was killed";
	static const char *const names[] = { "r0", "bad", "r2", "r3" };
	struct run_result r;
	char message[256];

	/* Every replacement does it again: none ever gets a record, and
	 * with no restart allowed the first failure quarantines. */
	run_fake(&r, "early-reply", four_records, extra);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), 4);
	snprintf(message, sizeof(message), "more than 0 failures within "
	    "10 s, the last: %s", reason);
	for (size_t i = 0; i < 4; i++)
		expect_failed(r.out, i, names[i], "quarantined", message);
	ck_assert_msg(strstr(r.err, reason) != NULL, "%s", r.err);
	run_result_free(&r);
}
END_TEST

START_TEST(test_sandbox_layer_refused_at_start)
{
	struct run_result r;

	/* What the real worker's channel_fatal() sends when a layer fails:
	 * a configuration error, found before any record is read. */
	run_fake(&r, "setup-fail", four_records, NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "luaward: plugin fake: sandbox: landlock: "
	    "refused\n");
	run_result_free(&r);
}
END_TEST

/* A reply nobody waits for, from an idle worker whose input is open. */
START_TEST(test_unsolicited_reply_while_idle)
{
	char *dir = plugin_dir("fake.lua", "stray-reply", NULL), *worker;
	static const char reason[] = "luaward: warning: plugin fake: the "
	    "worker answered request 1001 while running none; it was "
	    "killed\n";
	struct luaward l;
	double deadline;

	ck_assert_int_ne(asprintf(&worker, "%s/fake-worker", build_dir()), -1);
	{
		const char *args[] = { "resolve", "--plugins", dir,
		    "--worker", worker, "--restart-delay", "1", NULL };

		luaward_start(&l, args);
	}
	luaward_send(&l, "{\"name\":\"r0\"}\n", 14);
	ck_assert(wait_for_line(&l, 0, 60));
	deadline = now() + 60;
	while (strstr(text_of(&l.errors), reason) == NULL && now() < deadline)
		luaward_pump(&l, 10);
	ck_assert_msg(strstr(text_of(&l.errors), reason) != NULL, "%s",
	    text_of(&l.errors));
	/* The replacement answers (and then breaks the protocol too). */
	luaward_send(&l, "{\"name\":\"r1\"}\n", 14);
	l.end_input = true;
	while ((l.out != -1 || l.err != -1) && now() < deadline)
		luaward_pump(&l, 10);
	ck_assert_int_eq(luaward_wait(&l), 0);
	ck_assert_uint_eq(count_lines(text_of(&l.output)), 2);
	expect_answered(text_of(&l.output), 0, "r0");
	expect_answered(text_of(&l.output), 1, "r1");
	luaward_free(&l);
	free(worker);
	free(dir);
}
END_TEST

/* The same after the last record, once the supervisor has closed the
 * worker's input: a worker on its way out is still not believed. */
START_TEST(test_unsolicited_reply_after_the_last_record)
{
	struct run_result r;

	run_fake(&r, "stray-reply", "{\"name\":\"r0\"}\n", NULL);
	ck_assert_uint_eq(count_lines(r.out), 1);
	expect_answered(r.out, 0, "r0");
	ck_assert_msg(strstr(r.err, "luaward: warning: plugin fake: the "
	    "worker answered request 1001 while running none; it was "
	    "killed\n") != NULL, "%s", r.err);
	run_result_free(&r);
}
END_TEST

START_TEST(test_worker_stderr_is_tamed)
{
	struct run_result r;
	size_t n, longest = 0, cut = 0;
	bool short_line = false, last_line = false;

	run_fake(&r, "stderr", four_records, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), 4);
	n = count_lines(r.err);
	for (size_t i = 0; i < n; i++) {
		static const char prefix[] = "luaward: plugin fake: ";
		char *line = line_of(r.err, i);
		size_t content;

		ck_assert_msg(strncmp(line, prefix, sizeof(prefix) - 1) == 0,
		    "stderr line %zu: %s", i, line);
		content = strlen(line) - (sizeof(prefix) - 1);
		if (content > longest)
			longest = content;
		/* The control byte cannot reach the terminal. */
		short_line |= strcmp(line + sizeof(prefix) - 1, "a\\x01b") ==
		    0;
		/* Written without its newline as the worker exits: flushed
		 * when the pipe ends. */
		last_line |= strcmp(line + sizeof(prefix) - 1, "bye") == 0;
		cut += line[sizeof(prefix) - 1] == 'x';
		free(line);
	}
	ck_assert_msg(short_line && last_line, "stderr: %s", r.err);
	/* The 2000-byte line without end: cut at 1024, the rest dropped. */
	ck_assert_uint_eq(cut, 1);
	ck_assert_uint_eq(longest, 1024);
	ck_assert_uint_eq(n, 3);
	run_result_free(&r);
}
END_TEST

/* n records named r0 ... of about `padding` bytes each. */
static char *
padded_records(unsigned n, size_t padding)
{
	char *input = malloc(n * (padding + 64)), *p = input;

	ck_assert_ptr_nonnull(input);
	for (unsigned i = 0; i < n; i++) {
		p += sprintf(p, "{\"name\":\"r%u\",\"pad\":\"", i);
		memset(p, 'p', padding);
		p += padding;
		p += sprintf(p, "\"}\n");
	}
	return input;
}

/* Each line is r<i>'s, answered by the fake or failed with a crash. */
static unsigned
count_crashes(const struct run_result *r, unsigned n)
{
	unsigned crashes = 0;

	ck_assert_uint_eq(count_lines(r->out), n);
	for (unsigned i = 0; i < n; i++) {
		char *line = line_of(r->out, i), name[32];

		snprintf(name, sizeof(name), "\"name\":\"r%u\"", i);
		ck_assert_msg(strstr(line, name) != NULL, "line %u: %s", i,
		    line);
		if (strstr(line, "\"errors\"") != NULL) {
			ck_assert_msg(strstr(line, "\"kind\":\"crash\",\"message\":"
			    "\"the worker exited with status 9\"") != NULL,
			    "line %u: %s", i, line);
			crashes++;
		} else
			ck_assert_msg(strstr(line, "\"workloadName\":\"fake\"")
			    != NULL, "line %u: %s", i, line);
		free(line);
	}
	return crashes;
}

START_TEST(test_three_workers_dying_every_third_call)
{
	char *input = padded_records(60, 0);
	const char *extra[] = { "--workers", "3", "--max-restarts", "1000",
	    NULL };
	struct run_result r;
	unsigned crashes;

	run_fake(&r, "die-every-3rd", input, extra);
	ck_assert_int_eq(r.status, 1);
	crashes = count_crashes(&r, 60);
	/* However the records spread over the workers, a worker answers
	 * two calls and dies on its third: at least 18 deaths for 60
	 * records.  A death holding several requests blames none (answers
	 * come in batches) and they run again one at a time, so there are
	 * never more crash errors than deaths, and every line is there. */
	{
		size_t deaths = 0;

		for (const char *p = r.err; (p = strstr(p, "exited with status "
		    "9")) != NULL; p++)
			deaths++;
		ck_assert_uint_ge(deaths, 18);
		ck_assert_uint_le(crashes, deaths);
	}
	run_result_free(&r);
	free(input);
}
END_TEST

START_TEST(test_no_call_timeout)
{
	char *input = padded_records(20, 0);
	/* 0 is no deadline, not a deadline of 0 ms: every 30 ms call is
	 * waited for. */
	const char *extra[] = { "--timeout", "0", NULL };
	struct run_result r;

	run_fake(&r, "slow", input, extra);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_crashes(&r, 20), 0);
	run_result_free(&r);
	free(input);
}
END_TEST

START_TEST(test_request_pipe_fills_up)
{
	/* 100 records of 4 KB sent to a worker that takes 30 ms each: far
	 * more than a 64 KiB pipe holds, so the supervisor must wait for
	 * room to write without blocking its loop. */
	char *input = padded_records(100, 4096);
	const char *extra[] = { "--timeout", "0", NULL };
	struct run_result r;

	run_fake(&r, "slow", input, extra);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_crashes(&r, 100), 0);
	run_result_free(&r);
	free(input);
}
END_TEST

Suite *
worker_faults_suite(void)
{
	Suite *s = suite_create("worker_faults");
	TCase *protocol = tcase_create("protocol violations");
	TCase *runs = tcase_create("runs");

	tcase_set_timeout(protocol, 300);
	tcase_add_test(protocol, test_second_hello);
	tcase_add_test(protocol, test_payload_that_is_not_msgpack);
	tcase_add_test(protocol, test_error_kind_only_the_supervisor_gives);
	tcase_add_test(protocol, test_violation_blames_the_request_it_names);
	tcase_add_test(protocol, test_reply_before_ready);
	tcase_add_test(protocol, test_sandbox_layer_refused_at_start);
	tcase_add_test(protocol, test_unsolicited_reply_while_idle);
	tcase_add_test(protocol, test_unsolicited_reply_after_the_last_record);
	tcase_add_test(protocol, test_worker_stderr_is_tamed);
	suite_add_tcase(s, protocol);

	tcase_set_timeout(runs, 300);
	tcase_add_test(runs, test_three_workers_dying_every_third_call);
	tcase_add_test(runs, test_no_call_timeout);
	tcase_add_test(runs, test_request_pipe_fills_up);
	suite_add_tcase(s, runs);
	return s;
}
