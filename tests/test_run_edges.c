/*
 * The edges of a resolve run outside the plugins: a worker binary that
 * cannot start, plugin files that cannot be loaded, several input files,
 * stdout that is a full device or a regular file, and a stop by signal.
 * Each ends with one line saying why, and the status docs/contract.md gives it.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chaos_support.h"
#include "helpers.h"
#include "suites.h"

static char *
fake_worker(void)
{
	char *worker;

	ck_assert_int_ne(asprintf(&worker, "%s/fake-worker", build_dir()), -1);
	return worker;
}

/* The line the fake worker's "ok" makes for record `name`. */
static char *
answered(const char *name)
{
	char *line;

	ck_assert_int_ne(asprintf(&line, "{\"uid\":\"\",\"namespace\":\"\","
	    "\"name\":\"%s\",\"status\":\"resolved\",\"workloadType\":"
	    "\"Deployment\",\"workloadName\":\"fake\",\"plugin\":\"fake\"}\n",
	    name), -1);
	return line;
}

/* --- a worker binary that cannot start ------------------------------------ */

/* An executable file the kernel will not run, in a fresh directory. */
static char *
broken_worker(const char *content, mode_t mode)
{
	char *dir = temp_dir();
	char *path = write_text(dir, "worker", content);

	ck_assert_int_eq(chmod(path, mode), 0);
	free(dir);
	return path;
}

/*
 * resolve and check both refuse to go on: status 2, nothing on stdout,
 * exactly one line giving reason, after the plugin it is about when
 * per_plugin (its name for resolve, its path for check).
 */
static void
expect_worker_refused(const char *worker, const char *reason,
    bool per_plugin)
{
	char *dir = plugin_dir("fake.lua", "ok", NULL), *plugin, *expected;
	struct run_result r;

	ck_assert_int_ne(asprintf(&expected, "luaward: %s%s\n", per_plugin ?
	    "plugin fake: " : "", reason), -1);
	run_luaward(&r, "{}\n{}\n", 6, 60, "resolve", "--plugins", dir,
	    "--worker", worker, NULL);
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, expected);
	run_result_free(&r);
	free(expected);

	ck_assert_int_ne(asprintf(&plugin, "%s/fake.lua", dir), -1);
	ck_assert_int_ne(asprintf(&expected, "luaward: %s%s%s\n", per_plugin ?
	    plugin : "", per_plugin ? ": " : "", reason), -1);
	run_luaward(&r, NULL, 0, 60, "check", "--worker", worker, plugin,
	    NULL);
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, expected);
	run_result_free(&r);
	free(expected);
	free(plugin);
	free(dir);
}

/* Found before any worker starts: only an ELF file can be exec'd by
 * descriptor. */
START_TEST(test_worker_that_is_not_a_program)
{
	char *worker = broken_worker("hello\n", 0755), *reason;

	ck_assert_int_ne(asprintf(&reason, "cannot use worker binary %s: it "
	    "is not an executable (ELF) file, so not a luaward worker",
	    worker), -1);
	expect_worker_refused(worker, reason, false);
	free(reason);
	free(worker);
}
END_TEST

START_TEST(test_worker_script_without_interpreter)
{
	char *worker = broken_worker("#!/nonexistent\n", 0755), *reason;

	ck_assert_int_ne(asprintf(&reason, "cannot use worker binary %s: it "
	    "is a script, not a luaward worker", worker), -1);
	expect_worker_refused(worker, reason, false);
	free(reason);
	free(worker);
}
END_TEST

START_TEST(test_worker_not_executable)
{
	/* Not even root may execute a file without an x bit: found before
	 * any worker is started. */
	char *worker = broken_worker("hello\n", 0644), *reason;

	ck_assert_int_ne(asprintf(&reason, "cannot use worker binary %s: "
	    "Permission denied", worker), -1);
	expect_worker_refused(worker, reason, false);
	free(reason);
	free(worker);
}
END_TEST

/* --- plugin files that cannot be loaded ----------------------------------- */

/* The file is that plugin's load error; the run goes on. */
static void
expect_plugin_not_loaded(const char *dir, const char *plugin,
    const char *why)
{
	struct run_result r;
	char *expected;

	ck_assert_int_ne(asprintf(&expected, "{\"uid\":\"\",\"namespace\":"
	    "\"\",\"name\":\"\",\"status\":\"unresolved\",\"workloadType\":"
	    "\"\",\"workloadName\":\"\",\"plugin\":\"\",\"errors\":[{"
	    "\"plugin\":\"%s\",\"kind\":\"load\",\"message\":\"%s\"}]}\n",
	    plugin, why), -1);
	run_luaward(&r, "{}\n", 3, 60, "resolve", "--plugins", dir, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, expected);
	ck_assert_ptr_nonnull(strstr(r.err, why));
	run_result_free(&r);
	free(expected);
}

START_TEST(test_plugin_that_is_a_directory_is_a_load_error)
{
	char *dir = temp_dir(), *sub;

	ck_assert_int_ne(asprintf(&sub, "%s/x.lua", dir), -1);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	expect_plugin_not_loaded(dir, "x", "not a regular file: it is a "
	    "directory");
	free(sub);
	free(dir);
}
END_TEST

/* A plugin of `size` bytes: an entry point, then a comment. */
static char *
plugin_of_size(size_t size)
{
	static const char code[] = "function GetWorkloadTypeAndName(m) "
	    "return 'Deployment', 'big' end\n--";
	char *dir = temp_dir(), *source = malloc(size), *path;

	ck_assert_ptr_nonnull(source);
	memcpy(source, code, sizeof(code) - 1);
	memset(source + sizeof(code) - 1, 'x', size - (sizeof(code) - 1));
	path = write_file(dir, "big.lua", source, size);
	free(path);
	free(source);
	return dir;
}

START_TEST(test_plugin_larger_than_a_mebibyte_is_a_load_error)
{
	char *dir = plugin_of_size((1u << 20) + 1);

	expect_plugin_not_loaded(dir, "big", "larger than 1 MiB (1048577 "
	    "bytes)");
	free(dir);
}
END_TEST

START_TEST(test_plugin_of_exactly_a_mebibyte)
{
	char *dir = plugin_of_size(1u << 20);
	struct run_result r;

	/* The limit itself is allowed, and fits in LOAD. */
	run_luaward(&r, "{}\n", 3, 60, "resolve", "--plugins", dir, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"\",\"status\":\"resolved\",\"workloadType\":\"Deployment\","
	    "\"workloadName\":\"big\",\"plugin\":\"big\"}\n");
	run_result_free(&r);
	free(dir);
}
END_TEST

/* --- inputs and outputs --------------------------------------------------- */

START_TEST(test_truncated_file_then_the_next)
{
	char *dir = temp_dir(), *plugins = plugin_dir("fake.lua", "ok", NULL);
	char *a = write_text(dir, "a.json", "{\"name\":\"a0\"}\n"
	    "{\"name\":\"a1\",");
	char *b = write_text(dir, "b.json", "{\"name\":\"b0\"}\n");
	char *worker = fake_worker(), *a0 = answered("a0"),
	    *b0 = answered("b0"), *expected;
	struct run_result r;

	/* The end of a.json ends its half record: the reader does not
	 * carry it on into b.json. */
	run_luaward(&r, NULL, 0, 60, "resolve", "--plugins", plugins,
	    "--worker", worker, a, b, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_int_ne(asprintf(&expected, "%s{\"uid\":\"\",\"namespace\":"
	    "\"\",\"name\":\"\",\"status\":\"invalid\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\",\"error\":\"%s: line 2 "
	    "(byte offset 27): the input ends inside the value that starts "
	    "at line 2, column 1\"}\n%s", a0, a, b0), -1);
	ck_assert_str_eq(r.out, expected);
	ck_assert_str_eq(r.err, "");
	run_result_free(&r);
	free(expected);
	free(b0);
	free(a0);
	free(worker);
	free(b);
	free(a);
	free(plugins);
	free(dir);
}
END_TEST

/*
 * Runs luaward with stdout on the file `output` (opened for writing) and
 * stderr on a temporary file; the input is a file argument.  Returns the
 * exit status; *err is what it said.
 */
static int
run_with_stdout(const char *output, const char *input, char **err)
{
	char *dir = temp_dir(), *plugins = plugin_dir("fake.lua", "ok", NULL);
	char *in = write_text(dir, "in.json", input);
	char *errors = write_text(dir, "err", ""), *worker = fake_worker();
	char path[512];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/luaward", build_dir());
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int out = open(output, O_WRONLY), e = open(errors, O_WRONLY),
		    null = open("/dev/null", O_RDONLY);

		if (out == -1 || e == -1 || null == -1)
			_exit(126);
		dup2(null, 0);
		dup2(out, 1);
		dup2(e, 2);
		execl(path, path, "resolve", "--plugins", plugins, "--worker",
		    worker, in, NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	*err = read_source_file(errors, NULL);
	free(worker);
	free(errors);
	free(in);
	free(plugins);
	free(dir);
	return WEXITSTATUS(status);
}

START_TEST(test_output_device_full)
{
	char *err;

	ck_assert_int_eq(run_with_stdout("/dev/full", "{\"name\":\"a\"}\n",
	    &err), 1);
	ck_assert_str_eq(err, "luaward: writing the output: No space left "
	    "on device: stopping\n");
	free(err);
}
END_TEST

START_TEST(test_output_to_a_regular_file)
{
	char *dir = temp_dir(), *file = write_text(dir, "out", ""), *err,
	    *out, *a = answered("a"), *b = answered("b"), *expected;

	ck_assert_int_eq(run_with_stdout(file, "{\"name\":\"a\"}\n"
	    "{\"name\":\"b\"}\n", &err), 0);
	ck_assert_str_eq(err, "");
	out = read_source_file(file, NULL);
	ck_assert_int_ne(asprintf(&expected, "%s%s", a, b), -1);
	ck_assert_str_eq(out, expected);
	free(expected);
	free(out);
	free(err);
	free(b);
	free(a);
	free(file);
	free(dir);
}
END_TEST

/* --- how many workers ---------------------------------------------------- */

/* The workers of a running luaward, once there are at least want of them
 * (or a minute has passed). */
static size_t
workers_once(struct luaward *l, size_t want)
{
	pid_t pids[64];
	double deadline = now() + 60;
	size_t n;

	while ((n = children_of(l->pid, pids, 64)) < want && now() < deadline)
		luaward_pump(l, 10);
	return n;
}

/*
 * Unless --workers says, a plugin has one worker per online core, at most
 * four; --workers gives exactly that many.
 */
START_TEST(test_default_workers_one_per_core_at_most_four)
{
	static const char plugin[] = "function GetWorkloadTypeAndName(m)\n"
	    "  return 'Deployment', 'd'\nend\n";
	char *dir = plugin_dir("a.lua", plugin, "b.lua", plugin, NULL);
	const char *by_default[] = { "resolve", "--plugins", dir, NULL };
	const char *three[] = { "resolve", "--plugins", dir, "--workers", "3",
	    NULL };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t expected = 2 * (size_t)(cores < 1 ? 1 : cores > 4 ? 4 : cores);
	struct luaward l;

	luaward_start(&l, by_default);
	luaward_send(&l, "{\"name\":\"a\"}\n", 13);
	ck_assert_msg(wait_for_line(&l, 0, 60), "stderr: %s",
	    text_of(&l.errors));
	ck_assert_uint_eq(workers_once(&l, expected), expected);
	ck_assert_int_eq(luaward_wait(&l), 0);
	luaward_free(&l);

	luaward_start(&l, three);
	luaward_send(&l, "{\"name\":\"a\"}\n", 13);
	ck_assert_msg(wait_for_line(&l, 0, 60), "stderr: %s",
	    text_of(&l.errors));
	ck_assert_uint_eq(workers_once(&l, 6), 6);
	ck_assert_int_eq(luaward_wait(&l), 0);
	luaward_free(&l);
	free(dir);
}
END_TEST

/* --- stopped by a signal -------------------------------------------------- */

/*
 * Mid-run, input still open, workers serving: the signal stops the run,
 * says so, exits 1, and takes every worker with it.
 */
static void
expect_stopped_by(int signal_number)
{
	const char *args[] = { "resolve", "--plugins", "plugins", NULL };
	pid_t pids[16];
	int pidfds[16];
	char said[96];
	struct luaward l;
	double deadline;
	size_t n;

	luaward_start(&l, args);
	luaward_send(&l, "{\"name\":\"a\"}\n{\"name\":\"b\"}\n", 26);
	ck_assert_msg(wait_for_line(&l, 1, 60), "stderr: %s",
	    text_of(&l.errors));
	n = children_of(l.pid, pids, 16);
	ck_assert_uint_gt(n, 0);
	/* pidfds: they tell when each worker is gone, whoever reaps it. */
	for (size_t i = 0; i < n; i++) {
		pidfds[i] = (int)syscall(SYS_pidfd_open, pids[i], 0);
		ck_assert_int_ne(pidfds[i], -1);
	}
	ck_assert_int_eq(kill(l.pid, signal_number), 0);
	deadline = now() + 60;
	while ((l.out != -1 || l.err != -1) && now() < deadline)
		luaward_pump(&l, 10);
	ck_assert_int_eq(luaward_wait(&l), 1);
	ck_assert_uint_eq(count_lines(text_of(&l.output)), 2);
	snprintf(said, sizeof(said), "luaward: interrupted by signal %d "
	    "(SIG%s): stopping\n", signal_number, sigabbrev_np(signal_number));
	ck_assert_str_eq(text_of(&l.errors), said);
	for (size_t i = 0; i < n; i++) {
		struct pollfd p = { .fd = pidfds[i], .events = POLLIN };

		ck_assert_msg(poll(&p, 1, 30000) == 1, "worker %d outlived "
		    "luaward", (int)pids[i]);
		close(pidfds[i]);
	}
	luaward_free(&l);
}

START_TEST(test_sigterm_stops_the_run)
{
	expect_stopped_by(SIGTERM);
}
END_TEST

START_TEST(test_sigint_stops_the_run)
{
	expect_stopped_by(SIGINT);
}
END_TEST

/* The workers' memory still counts in --stats when the run is stopped
 * before they are reaped. */
START_TEST(test_stats_after_a_signal_count_worker_memory)
{
	const char *args[] = { "resolve", "--plugins", "plugins", "--stats",
	    NULL };
	const char *said;
	struct luaward l;
	double deadline;
	long kib = 0;

	luaward_start(&l, args);
	luaward_send(&l, "{\"name\":\"a\"}\n", 13);
	ck_assert(wait_for_line(&l, 0, 60));
	ck_assert_int_eq(kill(l.pid, SIGINT), 0);
	deadline = now() + 60;
	while ((l.out != -1 || l.err != -1) && now() < deadline)
		luaward_pump(&l, 10);
	ck_assert_int_eq(luaward_wait(&l), 1);
	said = strstr(text_of(&l.errors), "largest worker ");
	ck_assert_msg(said != NULL, "%s", text_of(&l.errors));
	ck_assert_int_eq(sscanf(said, "largest worker %ld KiB", &kib), 1);
	ck_assert_msg(kib > 0, "%s", text_of(&l.errors));
	luaward_free(&l);
}
END_TEST

/* A signal that ends the run, whichever, still gives the stats: here
 * SIGHUP and SIGUSR2, into --stats-file. */
static void
expect_stats_after(int signal_number)
{
	char *dir = temp_dir(), *path, *stats;
	const char *args[] = { "resolve", "--plugins", "plugins",
	    "--stats=json", "--stats-file", NULL, NULL };
	struct luaward l;
	double deadline;
	size_t length;

	ck_assert_int_ne(asprintf(&path, "%s/stats.json", dir), -1);
	args[5] = path;
	luaward_start(&l, args);
	luaward_send(&l, "{\"name\":\"a\"}\n{\"name\":\"b\"}\n", 26);
	ck_assert_msg(wait_for_line(&l, 1, 60), "stderr: %s",
	    text_of(&l.errors));
	ck_assert_int_eq(kill(l.pid, signal_number), 0);
	deadline = now() + 60;
	while ((l.out != -1 || l.err != -1) && now() < deadline)
		luaward_pump(&l, 10);
	ck_assert_int_eq(luaward_wait(&l), 1);
	stats = read_source_file(path, &length);
	ck_assert_msg(strncmp(stats, "{\"records\":2,", 13) == 0, "%s",
	    stats);
	ck_assert_ptr_nonnull(strstr(stats, "\"resolved\":"));
	/* stderr has the reason, and no stats. */
	ck_assert_ptr_null(strstr(text_of(&l.errors), "records"));
	ck_assert_ptr_nonnull(strstr(text_of(&l.errors), "interrupted by "
	    "signal"));
	free(stats);
	free(path);
	free(dir);
	luaward_free(&l);
}

START_TEST(test_sighup_ends_the_run_with_its_stats)
{
	expect_stats_after(SIGHUP);
}
END_TEST

START_TEST(test_sigusr2_ends_the_run_with_its_stats)
{
	expect_stats_after(SIGUSR2);
}
END_TEST

START_TEST(test_stats_file_that_cannot_be_written_is_a_usage_error)
{
	struct run_result r;

	run_luaward(&r, "{}\n", 3, 60, "resolve", "--plugins", "plugins",
	    "--stats-file", "/nonexistent/dir/stats", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_ptr_nonnull(strstr(r.err, "--stats-file "
	    "/nonexistent/dir/stats: No such file or directory"));
	run_result_free(&r);
}
END_TEST

/*
 * Standard descriptors closed at start: luaward must not read its records
 * from, or write its lines over, whatever file next takes the number.
 */
static int
run_with_closed(int closed_fd, const char *input_path)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		char *path;

		if (asprintf(&path, "%s/luaward", build_dir()) == -1)
			_exit(120);
		char *const argv[] = { path, (char *)"resolve", (char *)
		    "--plugins", (char *)"plugins", (char *)input_path, NULL };

		close(closed_fd);
		execv(path, argv);
		_exit(121);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_closed_stdout_does_not_overwrite_a_file)
{
	char *dir = temp_dir(), *input, *after;
	static const char pods[] = "{\"metadata\":{\"name\":\"a\"}}\n";
	size_t length;

	input = write_text(dir, "pods.json", pods);
	/* The input opened read-only would be fd 1: the lines must go
	 * nowhere, not fail against it, and the file stay as it was. */
	ck_assert_int_eq(run_with_closed(1, input), 0);
	after = read_source_file(input, &length);
	ck_assert_str_eq(after, pods);
	free(after);
	free(input);
	free(dir);
}
END_TEST

START_TEST(test_closed_stdin_reads_nothing)
{
	/* Without a FILE, the records come from stdin: closed, it is empty,
	 * not the policy or a plugin that happened to take fd 0. */
	ck_assert_int_eq(run_with_closed(0, NULL), 0);
}
END_TEST

START_TEST(test_closed_stderr_still_runs)
{
	char *dir = temp_dir(), *input;

	input = write_text(dir, "pods.json", "{\"name\":\"a\"}\n");
	ck_assert_int_eq(run_with_closed(2, input), 0);
	free(input);
	free(dir);
}
END_TEST

Suite *
run_edges_suite(void)
{
	Suite *s = suite_create("run_edges");
	TCase *t = tcase_create("run edges");

	tcase_set_timeout(t, 300);
	tcase_add_test(t, test_worker_that_is_not_a_program);
	tcase_add_test(t, test_worker_script_without_interpreter);
	tcase_add_test(t, test_worker_not_executable);
	tcase_add_test(t, test_plugin_that_is_a_directory_is_a_load_error);
	tcase_add_test(t, test_plugin_larger_than_a_mebibyte_is_a_load_error);
	tcase_add_test(t, test_plugin_of_exactly_a_mebibyte);
	tcase_add_test(t, test_truncated_file_then_the_next);
	tcase_add_test(t, test_output_device_full);
	tcase_add_test(t, test_output_to_a_regular_file);
	tcase_add_test(t, test_default_workers_one_per_core_at_most_four);
	tcase_add_test(t, test_sigterm_stops_the_run);
	tcase_add_test(t, test_sigint_stops_the_run);
	tcase_add_test(t, test_stats_after_a_signal_count_worker_memory);
	tcase_add_test(t, test_sighup_ends_the_run_with_its_stats);
	tcase_add_test(t, test_sigusr2_ends_the_run_with_its_stats);
	tcase_add_test(t, test_stats_file_that_cannot_be_written_is_a_usage_error);
	tcase_add_test(t, test_closed_stdout_does_not_overwrite_a_file);
	tcase_add_test(t, test_closed_stdin_reads_nothing);
	tcase_add_test(t, test_closed_stderr_still_runs);
	suite_add_tcase(s, t);
	return s;
}
