/*
 * Every limit a misbehaving plugin or worker can hit costs at most its own
 * budget: the record gets its error kind, the chain goes on, the plugin
 * keeps answering the records after it, and every record gets exactly one
 * line.  Workers that misbehave below the Lua level are played by
 * tests/fake_worker.c.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

/* Answers DaemonSet / ds for every record: the chain must reach it. */
static const char last_plugin[] =
    "function GetWorkloadTypeAndName(m) return 'DaemonSet', 'ds' end\n";

/* A plugin that misbehaves on the record whose name is "bad" and answers
 * Deployment / the record's name otherwise. */
static char *
plugin_misbehaving_on_bad(const char *misbehaviour)
{
	char *source;

	ck_assert_int_ne(asprintf(&source,
	    "function GetWorkloadTypeAndName(m)\n"
	    "  local name = m:match('\"name\":\"([^\"]*)\"')\n"
	    "  if name == 'bad' then\n%s\n  end\n"
	    "  return 'Deployment', name\n"
	    "end\n", misbehaviour), -1);
	return source;
}

/* Three records: good-1, bad, good-2.  The bad one must get `kind` from
 * plugin 1-limited and DaemonSet from 2-last; the good ones must be
 * answered by 1-limited, which survived. */
static void
expect_contained(const char *misbehaviour, const char *kind,
    const char *message_part, const char *extra_option,
    const char *extra_value)
{
	static const char input[] = "{\"name\":\"good-1\"}\n{\"name\":\"bad\"}\n"
	    "{\"name\":\"good-2\"}\n";
	char *source = plugin_misbehaving_on_bad(misbehaviour);
	char *dir = plugin_dir("1-limited.lua", source, "2-last.lua",
	    last_plugin, NULL);
	char *line, expected_kind[64], timeout[32], message[256];
	const char *mark;
	struct run_result r;

	/* 300 ms unless the test says otherwise, stretched like every limit
	 * (helpers.h): long enough that the good records are never late on a
	 * busy machine, and that the hook, not the kill, ends a Lua loop.
	 * message_part may say where that limit goes with %u. */
	snprintf(timeout, sizeof(timeout), "%u", (unsigned)(300 * slowdown()));
	if ((mark = strstr(message_part, "%u")) != NULL) {
		snprintf(message, sizeof(message), "%.*s%u%s",
		    (int)(mark - message_part), message_part,
		    (unsigned)(300 * slowdown()), mark + 2);
		message_part = message;
	}
	if (extra_option != NULL)
		run_luaward(&r, input, strlen(input), 120, "resolve",
		    "--plugins", dir, extra_option, extra_value, NULL);
	else
		run_luaward(&r, input, strlen(input), 120, "resolve",
		    "--plugins", dir, "--timeout", timeout, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), 3);
	line = line_of(r.out, 0);
	ck_assert_str_eq(line, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"good-1\",\"status\":\"resolved\",\"workloadType\":"
	    "\"Deployment\",\"workloadName\":\"good-1\",\"plugin\":"
	    "\"1-limited\"}");
	free(line);
	line = line_of(r.out, 1);
	snprintf(expected_kind, sizeof(expected_kind), "\"kind\":\"%s\"",
	    kind);
	ck_assert_msg(strstr(line, "\"workloadType\":\"DaemonSet\"") != NULL &&
	    strstr(line, "\"plugin\":\"2-last\"") != NULL &&
	    strstr(line, "{\"plugin\":\"1-limited\"") != NULL &&
	    strstr(line, expected_kind) != NULL &&
	    strstr(line, message_part) != NULL, "bad record: %s", line);
	free(line);
	line = line_of(r.out, 2);
	ck_assert_str_eq(line, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"good-2\",\"status\":\"resolved\",\"workloadType\":"
	    "\"Deployment\",\"workloadName\":\"good-2\",\"plugin\":"
	    "\"1-limited\"}");
	free(line);
	run_result_free(&r);
	free(dir);
	free(source);
}

START_TEST(test_lua_loop_times_out)
{
	expect_contained("while true do end", "timeout", "within %u ms",
	    NULL, NULL);
}
END_TEST

START_TEST(test_loop_retrying_inside_pcall_still_times_out)
{
	expect_contained("while true do pcall(function() while true do end "
	    "end) end", "timeout", "within %u ms", NULL, NULL);
}
END_TEST

START_TEST(test_caught_timeout_is_still_a_timeout)
{
	/* The plugin swallows the timeout and returns an answer: the call
	 * overran its budget, so its answer is not believed. */
	expect_contained("pcall(function() while true do end end) "
	    "return 'Deployment', 'sneaky'", "timeout", "within %u ms",
	    NULL, NULL);
}
END_TEST

START_TEST(test_timeout_in_a_coroutine)
{
	expect_contained("local co = coroutine.wrap(function() while true do "
	    "end end) co()", "timeout", "within %u ms", NULL, NULL);
}
END_TEST

START_TEST(test_c_level_stall_is_killed_by_the_supervisor)
{
	/* Backtracking inside one string.find call: the instruction hook
	 * cannot fire there, the supervisor's own timer must. */
	expect_contained("string.find(string.rep('a', 4000), "
	    "string.rep('a*', 60) .. 'b')", "timeout",
	    "the worker was killed", NULL, NULL);
}
END_TEST

START_TEST(test_custom_timeout)
{
	expect_contained("while true do end", "timeout", "within 150 ms",
	    "--timeout", "150");
}
END_TEST

START_TEST(test_table_memory_bomb)
{
	expect_contained("local t = {} for i = 1, 1e9 do t[i] = i end",
	    "memory", "memory limit", NULL, NULL);
}
END_TEST

START_TEST(test_string_memory_bomb)
{
	expect_contained("local s = string.rep('x', 1e9)", "memory",
	    "memory limit", NULL, NULL);
}
END_TEST

START_TEST(test_concatenation_memory_bomb_caught_by_pcall)
{
	expect_contained("local s = 'x' pcall(function() while true do "
	    "s = s .. s end end) return 'Deployment', 'after'", "memory",
	    "memory limit", NULL, NULL);
}
END_TEST

START_TEST(test_custom_memory_cap)
{
	/* 20 MB of string fits in 64 MB but not in 8 MB. */
	expect_contained("local s = string.rep('x', 20 * 1024 * 1024)",
	    "memory", "memory limit", "--memory", "8");
}
END_TEST

START_TEST(test_top_level_loop_at_load)
{
	char *dir = plugin_dir("1-spin.lua", "while true do end\n",
	    "2-last.lua", last_plugin, NULL);
	char *file, *shown, *expected;
	struct run_result r;
	char *line;

	run_luaward(&r, "{}\n{}\n", 6, 60, "resolve", "--plugins", dir,
	    "--load-timeout", "1000", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_uint_eq(count_lines(r.out), 2);
	line = line_of(r.out, 1);
	ck_assert_int_ne(asprintf(&file, "%s/1-spin.lua", dir), -1);
	shown = lua_shown_path(file);
	ck_assert_int_ne(asprintf(&expected, "{\"uid\":\"\",\"namespace\":"
	    "\"\",\"name\":\"\",\"status\":\"resolved\",\"workloadType\":"
	    "\"DaemonSet\",\"workloadName\":\"ds\",\"plugin\":\"2-last\","
	    "\"errors\":[{\"plugin\":\"1-spin\",\"kind\":\"load\","
	    "\"message\":\"top level: timeout: did not finish within 1000 ms, "
	    "at %s:1 in main chunk\"}]}", shown), -1);
	ck_assert_str_eq(line, expected);
	free(expected);
	free(shown);
	free(file);
	free(line);
	run_result_free(&r);
	free(dir);
}
END_TEST

/* The fake worker plays the only plugin (--worker applies to all). */
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
	/* One worker, whatever the cores: the tests count its deaths. */
	argv[n++] = "--workers";
	argv[n++] = "1";
	for (; extra != NULL && *extra != NULL; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	run_luaward_argv(r, input, strlen(input), 120, argv);
	free(worker);
	free(dir);
}

/* Input of n bare records named r0, r1, ... */
static char *
numbered_records(unsigned n)
{
	char *input = calloc(n, 32);
	size_t used = 0;

	ck_assert_ptr_nonnull(input);
	for (unsigned i = 0; i < n; i++)
		used += (size_t)sprintf(input + used, "{\"name\":\"r%u\"}\n", i);
	return input;
}

/* Whether word is one of the space-separated words. */
static bool
has_word(const char *words, const char *word)
{
	size_t length = strlen(word);

	while (*words != '\0') {
		size_t n = strcspn(words, " ");

		if (n == length && strncmp(words, word, n) == 0)
			return true;
		words += n;
		words += strspn(words, " ");
	}
	return false;
}

/* Each line is for its record, in order, and said Deployment/fake or
 * carries an error of one of the allowed kinds. */
static void
check_lines(const struct run_result *r, unsigned n, const char *kinds,
    unsigned *errors_seen)
{
	*errors_seen = 0;
	ck_assert_uint_eq(count_lines(r->out), n);
	for (unsigned i = 0; i < n; i++) {
		char *line = line_of(r->out, i), name[32];

		snprintf(name, sizeof(name), "\"name\":\"r%u\"", i);
		ck_assert_msg(strstr(line, name) != NULL, "line %u: %s", i,
		    line);
		if (strstr(line, "\"errors\"") == NULL)
			ck_assert_msg(strstr(line, "\"workloadName\":\"fake\"")
			    != NULL, "line %u: %s", i, line);
		else {
			const char *kind = strstr(line, "\"kind\":\"");
			char found[32] = "";

			ck_assert_ptr_nonnull(kind);
			ck_assert_msg(sscanf(kind + 8, "%31[^\"]",
			    found) == 1 && has_word(kinds, found),
			    "line %u has kind %s: %s", i, found, line);
			(*errors_seen)++;
		}
		free(line);
	}
}

START_TEST(test_worker_that_dies_every_third_record)
{
	char *input = numbered_records(60);
	const char *extra[] = { "--max-restarts", "1000", "--restart-delay",
	    "1", NULL };
	struct run_result r;
	unsigned errors;

	size_t deaths = 0;

	run_fake(&r, "die-every-3rd", input, extra);
	ck_assert_int_eq(r.status, 1);
	check_lines(&r, 60, "crash", &errors);
	/* Every third request a worker receives kills it: at least 20
	 * deaths for 60 records.  A death while it held several requests
	 * blames none of them (answers come in batches); they are run
	 * again one at a time, so no record gets more than its one line,
	 * and no more crash errors than deaths. */
	for (const char *p = r.err; (p = strstr(p, "exited with status 9")) !=
	    NULL; p++)
		deaths++;
	ck_assert_uint_ge(deaths, 20);
	ck_assert_uint_le(errors, deaths);
	run_result_free(&r);
	free(input);
}
END_TEST

START_TEST(test_quarantine_is_logged_once_and_skips_the_plugin)
{
	char *input = numbered_records(200);
	const char *extra[] = { "--max-restarts", "2", "--restart-window",
	    "60", "--restart-delay", "1", NULL };
	struct run_result r;
	unsigned errors;
	const char *first;

	run_fake(&r, "die-every-3rd", input, extra);
	ck_assert_int_eq(r.status, 1);
	check_lines(&r, 200, "crash quarantined", &errors);
	ck_assert_ptr_nonnull(strstr(r.out, "\"kind\":\"quarantined\""));
	first = strstr(r.err, "quarantined");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_null(strstr(first + 1, "quarantined"));
	/* After the quarantine, every record is skipped with that error. */
	{
		char *last = line_of(r.out, 199);

		ck_assert_ptr_nonnull(strstr(last, "\"kind\":\"quarantined\""));
		free(last);
	}
	run_result_free(&r);
	free(input);
}
END_TEST

static void
expect_fake_contained(const char *behaviour, const char *kinds)
{
	char *input = numbered_records(10);
	/* Every record may cost a worker: restart at once, not after the
	 * backoff a real failing plugin gets. */
	const char *extra[] = { "--max-restarts", "100", "--restart-delay",
	    "1", NULL };
	struct run_result r;
	unsigned errors;

	run_fake(&r, behaviour, input, extra);
	ck_assert_msg(r.status == 1, "%s: exit %d: %s", behaviour, r.status,
	    r.err);
	check_lines(&r, 10, kinds, &errors);
	ck_assert_uint_ge(errors, 1);
	run_result_free(&r);
	free(input);
}

START_TEST(test_worker_writing_garbage)
{
	expect_fake_contained("garbage", "crash");
}
END_TEST

START_TEST(test_worker_answering_a_request_never_sent)
{
	expect_fake_contained("wrong-id", "crash");
}
END_TEST

START_TEST(test_worker_announcing_an_oversized_frame)
{
	expect_fake_contained("bad-header", "crash");
}
END_TEST

START_TEST(test_worker_writing_endlessly)
{
	char *input = numbered_records(10);
	const char *extra[] = { "--max-restarts", "100", "--restart-delay",
	    "1", NULL };
	struct run_result r;
	unsigned errors;

	run_fake(&r, "flood", input, extra);
	ck_assert_int_eq(r.status, 1);
	check_lines(&r, 10, "timeout crash", &errors);
	ck_assert_uint_ge(errors, 1);
	/* Ten floods, one plugin: its log allowance (a burst of 200, then
	 * 20 a second) is not renewed by restarting its worker. */
	ck_assert_msg(count_lines(r.err) < 600, "%zu lines on stderr",
	    count_lines(r.err));
	ck_assert_ptr_nonnull(strstr(r.err, "lines dropped"));
	run_result_free(&r);
	free(input);
}
END_TEST

START_TEST(test_worker_never_finishing_a_frame)
{
	expect_fake_contained("endless-frame", "timeout crash");
}
END_TEST

START_TEST(test_worker_closing_its_output)
{
	expect_fake_contained("close-stdout", "crash");
}
END_TEST

START_TEST(test_worker_stopped_by_sigstop)
{
	expect_fake_contained("stop", "timeout");
}
END_TEST

START_TEST(test_worker_exiting_at_load)
{
	char *input = numbered_records(10);
	const char *extra[] = { "--max-restarts", "3", "--restart-delay",
	    "1", NULL };
	struct run_result r;
	unsigned errors;

	run_fake(&r, "exit-at-load", input, extra);
	ck_assert_int_eq(r.status, 1);
	check_lines(&r, 10, "quarantined", &errors);
	ck_assert_uint_eq(errors, 10);
	ck_assert_ptr_nonnull(strstr(r.err, "exited with status 7"));
	run_result_free(&r);
	free(input);
}
END_TEST

START_TEST(test_worker_trying_to_fork)
{
	char *input = numbered_records(10);
	struct run_result r;
	unsigned errors;

	run_fake(&r, "fork", input, NULL);
	ck_assert_int_eq(r.status, 0);
#ifndef LUAWARD_SANITIZE
	/* The fake worker applies no seccomp filter, Landlock or fd limit
	 * of its own: RLIMIT_NPROC 0, set by the supervisor, is what makes
	 * its fork fail, and then it answers fake, not forked. */
	check_lines(&r, 10, "", &errors);
	ck_assert_uint_eq(errors, 0);
#else
	/* Sanitizer builds go without RLIMIT_NPROC (supervisor/spawn/spawn.c):
	 * nothing else stops this worker's fork, and every answer says so,
	 * which shows the check above can fail. */
	(void)errors;
	ck_assert_uint_eq(count_lines(r.out), 10);
	for (unsigned i = 0; i < 10; i++) {
		char *line = line_of(r.out, i);

		ck_assert_msg(strstr(line, "\"workloadName\":\"forked\"") !=
		    NULL, "line %u: %s", i, line);
		free(line);
	}
#endif
	run_result_free(&r);
	free(input);
}
END_TEST

/* auto mode goes on without a layer the kernel lacks, and says so once. */
START_TEST(test_skipped_layer_is_said_once)
{
	char *input = numbered_records(5);
	struct run_result r;
	unsigned errors;
	const char *said;

	run_fake(&r, "no-landlock", input, NULL);
	ck_assert_int_eq(r.status, 0);
	check_lines(&r, 5, "", &errors);
	said = strstr(r.err, "warning: sandbox layer landlock skipped: the "
	    "kernel has no Landlock (fake) (--landlock require makes this an "
	    "error)");
	ck_assert_msg(said != NULL, "%s", r.err);
	ck_assert_ptr_null(strstr(strchr(said, '\n'), "landlock skipped"));
	run_result_free(&r);
	free(input);
}
END_TEST

/* Output to a pipe nobody reads at first, then a slow reader: the run
 * finishes with every line, and its memory stays bounded meanwhile. */
START_TEST(test_slow_consumer)
{
	enum { RECORDS = 20000 };
	char *input = numbered_records(RECORDS), path[512], *worker;
	int in[2], out[2], status;
	size_t written = 0, length = strlen(input), lines = 0;
	long peak_kib = 0;
	pid_t pid;

	ck_assert_int_ne(asprintf(&worker, "%s/fake-worker", build_dir()), -1);
	{
		char *dir = plugin_dir("fake.lua", "ok", NULL);

		snprintf(path, sizeof(path), "%s/luaward", build_dir());
		ck_assert_int_eq(pipe(in), 0);
		ck_assert_int_eq(pipe(out), 0);
		pid = fork();
		if (pid == 0) {
			dup2(in[0], 0);
			dup2(out[1], 1);
			close(in[1]);
			close(out[0]);
			execl(path, path, "resolve", "--plugins", dir,
			    "--worker", worker, "--timeout", "1000", NULL);
			_exit(127);
		}
		free(dir);
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	while (lines < RECORDS) {
		char buf[512];
		long kib;
		ssize_t n;

		if (written < length) {
			n = write(in[1], input + written, length - written);
			if (n > 0)
				written += (size_t)n;
			if (written == length)
				close(in[1]);
		}
		/* A small read every 2 ms: a reader much slower than
		 * luaward. */
		n = read(out[0], buf, sizeof(buf));
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		usleep(200);
		if ((kib = rss_kib(pid)) > peak_kib)
			peak_kib = kib;
		if (n == 0)
			break;
	}
	ck_assert_uint_eq(lines, RECORDS);
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The whole output is about 2.6 MB; the window holds far less.
	 * AddressSanitizer keeps freed memory in quarantine (256 MB by
	 * default), so there the bound only shows nothing runs away.  No
	 * sample at all (an unreadable /proc) must not pass as small. */
#ifdef LUAWARD_SANITIZE
	ck_assert_msg(peak_kib > 0 && peak_kib < 512 * 1024,
	    "peak RSS %ld KiB", peak_kib);
#else
	ck_assert_msg(peak_kib > 0 && peak_kib < 64 * 1024,
	    "peak RSS %ld KiB", peak_kib);
#endif
	close(out[0]);
	free(worker);
	free(input);
}
END_TEST

/* The reader downstream goes away: luaward ends by SIGPIPE, as cat would,
 * without a word and without hanging (supervisor/closed_pipe.h). */
START_TEST(test_downstream_gone)
{
	char *input = numbered_records(50000), path[512];
	int in[2], out[2], err[2], status;
	char message[4096];
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/luaward", build_dir());
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(pipe(err), 0);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		execl(path, path, "resolve", "--plugins", "plugins", NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	/* Read one line, then hang up. */
	{
		char c = 0;

		if (fork() == 0) {
			size_t length = strlen(input);

			/* Only the test may hold the read end of the output. */
			close(out[0]);
			close(err[0]);
			signal(SIGPIPE, SIG_IGN);
			(void)!write(in[1], input, length);
			_exit(0);
		}
		close(in[1]);
		while (read(out[0], &c, 1) == 1 && c != '\n')
			;
		close(out[0]);
	}
	waitpid(pid, &status, 0);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
	    "status %#x", status);
	n = read(err[0], message, sizeof(message) - 1);
	ck_assert_int_ge(n, 0);
	message[n] = '\0';
	ck_assert_msg(strstr(message, "Broken pipe") == NULL &&
	    strstr(message, "stopping") == NULL, "%s", message);
	close(err[0]);
	while (wait(NULL) > 0)
		;
	free(input);
}
END_TEST

Suite *
limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *lua = tcase_create("plugin limits");
	TCase *workers = tcase_create("misbehaving workers");
	TCase *output = tcase_create("output");

	tcase_set_timeout(lua, 300);
	tcase_add_test(lua, test_lua_loop_times_out);
	tcase_add_test(lua, test_loop_retrying_inside_pcall_still_times_out);
	tcase_add_test(lua, test_caught_timeout_is_still_a_timeout);
	tcase_add_test(lua, test_timeout_in_a_coroutine);
	tcase_add_test(lua, test_c_level_stall_is_killed_by_the_supervisor);
	tcase_add_test(lua, test_custom_timeout);
	tcase_add_test(lua, test_table_memory_bomb);
	tcase_add_test(lua, test_string_memory_bomb);
	tcase_add_test(lua, test_concatenation_memory_bomb_caught_by_pcall);
	tcase_add_test(lua, test_custom_memory_cap);
	tcase_add_test(lua, test_top_level_loop_at_load);
	suite_add_tcase(s, lua);

	tcase_set_timeout(workers, 300);
	tcase_add_test(workers, test_worker_that_dies_every_third_record);
	tcase_add_test(workers,
	    test_quarantine_is_logged_once_and_skips_the_plugin);
	tcase_add_test(workers, test_worker_writing_garbage);
	tcase_add_test(workers, test_worker_answering_a_request_never_sent);
	tcase_add_test(workers, test_worker_announcing_an_oversized_frame);
	tcase_add_test(workers, test_worker_writing_endlessly);
	tcase_add_test(workers, test_worker_never_finishing_a_frame);
	tcase_add_test(workers, test_worker_closing_its_output);
	tcase_add_test(workers, test_worker_stopped_by_sigstop);
	tcase_add_test(workers, test_worker_exiting_at_load);
	tcase_add_test(workers, test_worker_trying_to_fork);
	tcase_add_test(workers, test_skipped_layer_is_said_once);
	suite_add_tcase(s, workers);

	tcase_set_timeout(output, 300);
	tcase_add_test(output, test_slow_consumer);
	tcase_add_test(output, test_downstream_gone);
	suite_add_tcase(s, output);
	return s;
}
