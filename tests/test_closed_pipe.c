/*
 * A reader of stdout that goes away (`| head -1`): resolve, check, test
 * and query end by SIGPIPE (status 141 in a shell), say nothing about it,
 * and do so whatever SIGPIPE's disposition in the parent was
 * (supervisor/closed_pipe.h says why that status).
 *
 * Each run writes far more than a pipe holds (over 1 MiB), so luaward is
 * still writing when the reader closes, however fast it is.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#define KILLED_BY_SIGPIPE	(128 + SIGPIPE)
/* Where the kernel refuses an optional layer, auto mode says so on
 * stderr, which must otherwise stay empty here. */
#define QUIET_LAYERS		"--namespaces", "off", "--landlock", "off"
#define RECORDS			6000
#define LONG_NAME		"pod-with-a-long-name-so-that-the-output-is-" \
				"large-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
append(char **text, size_t *length, const char *bytes, size_t n)
{
	*text = realloc(*text, *length + n + 1);
	ck_assert_ptr_nonnull(*text);
	memcpy(*text + *length, bytes, n);
	*length += n;
	(*text)[*length] = '\0';
}

/*
 * Runs luaward with argv (without "luaward"), stdin from input (or
 * /dev/null), and stdout into a pipe the test reads as `head -1` does (or
 * `head -c keep` when keep is not 0): up to the end of the first line (or
 * keep bytes), then closes it.  Stderr is read to its end.  With
 * ignore_sigpipe, luaward starts with SIGPIPE ignored, as some parents
 * leave it.
 */
static void
run_head(struct run_result *r, const char *input, size_t keep,
    bool ignore_sigpipe, const char *const *argv)
{
	int out[2], err[2], status;
	size_t argc = 0;
	char path[512];
	const char **full;
	double deadline = now() + 120 * slowdown();
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	while (argv[argc] != NULL)
		argc++;
	full = calloc(argc + 2, sizeof(*full));
	ck_assert_ptr_nonnull(full);
	snprintf(path, sizeof(path), "%s/luaward", build_dir());
	full[0] = path;
	memcpy(full + 1, argv, argc * sizeof(*argv));
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int in = open(input != NULL ? input : "/dev/null", O_RDONLY);

		dup2(in, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		signal(SIGPIPE, ignore_sigpipe ? SIG_IGN : SIG_DFL);
		execv(path, (char *const *)full);
		_exit(127);
	}
	free(full);
	close(out[1]);
	close(err[1]);
	while (out[0] != -1 || err[0] != -1) {
		struct pollfd fds[2] = {
			{ .fd = out[0], .events = POLLIN },
			{ .fd = err[0], .events = POLLIN },
		};
		char chunk[65536];

		ck_assert_msg(now() < deadline, "luaward did not end");
		if (poll(fds, 2, 1000) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &out[0] : &err[0];
			/* Never read past what head would. */
			size_t want = i == 1 ? sizeof(chunk) : keep > 0 ?
			    keep - r->out_length : 1;
			ssize_t n;

			if (*fd == -1 || !(fds[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(*fd, chunk, want);
			if (n > 0 && i == 0)
				append(&r->out, &r->out_length, chunk,
				    (size_t)n);
			else if (n > 0)
				append(&r->err, &r->err_length, chunk,
				    (size_t)n);
			if ((n <= 0 && (n == 0 || errno != EINTR)) || (i == 0 &&
			    (keep > 0 ? r->out_length == keep :
			    r->out[r->out_length - 1] == '\n'))) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

/* RECORDS pod records, one per line. */
static char *
pods_file(void)
{
	char *dir = temp_dir(), *path;
	FILE *f;

	ck_assert_int_ne(asprintf(&path, "%s/pods.json", dir), -1);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (int i = 0; i < RECORDS; i++)
		fprintf(f, "{\"metadata\":{\"name\":\"" LONG_NAME "-%d\"}}\n",
		    i);
	ck_assert_int_eq(fclose(f), 0);
	free(dir);
	return path;
}

#define FIRST_LINE	"{\"uid\":\"\",\"namespace\":\"\",\"name\":\"" \
			LONG_NAME "-0\",\"status\":\"unresolved\"," \
			"\"workloadType\":\"\",\"workloadName\":\"\"," \
			"\"plugin\":\"\"}\n"

START_TEST(test_resolve_head_ends_by_sigpipe_quietly)
{
	char *pods = pods_file();
	const char *const argv[] = { "resolve", "--plugins", "plugins",
	    QUIET_LAYERS, NULL };

	for (int ignored = 0; ignored < 2; ignored++) {
		struct run_result r;

		run_head(&r, pods, 0, ignored, argv);
		ck_assert_msg(r.status == KILLED_BY_SIGPIPE, "status %d, "
		    "stderr %s", r.status, r.err);
		ck_assert_str_eq(r.err, "");
		ck_assert_str_eq(r.out, FIRST_LINE);
		run_result_free(&r);
	}
	free(pods);
}
END_TEST

/* What was asked for on stderr is still written, then the signal. */
START_TEST(test_resolve_head_still_writes_its_stats)
{
	char *pods = pods_file();
	const char *const argv[] = { "resolve", "--plugins", "plugins",
	    "--stats=json", QUIET_LAYERS, NULL };
	struct run_result r;

	run_head(&r, pods, 0, false, argv);
	ck_assert_int_eq(r.status, KILLED_BY_SIGPIPE);
	ck_assert_msg(strncmp(r.err, "{\"records\":", 11) == 0, "%s", r.err);
	ck_assert_uint_eq(count_lines(r.err), 1);
	run_result_free(&r);
	free(pods);
}
END_TEST

START_TEST(test_check_head_ends_by_sigpipe_quietly)
{
	char *pods = pods_file();
	const char *const argv[] = { "check", "--pods", pods, QUIET_LAYERS,
	    "plugins/10-opengauss.lua", NULL };
	const char *const json_argv[] = { "check", "-o", "json", "--pods",
	    pods, QUIET_LAYERS, "plugins/10-opengauss.lua", NULL };
	struct run_result r;
	char *last;

	run_head(&r, NULL, 0, false, argv);
	ck_assert_int_eq(r.status, KILLED_BY_SIGPIPE);
	ck_assert_str_eq(r.out, FIRST_LINE);
	/* The report, and not a word after it. */
	ck_assert_int_ne(asprintf(&last, "\nresults on %s:\n", pods), -1);
	ck_assert_msg(r.err_length > strlen(last) && strcmp(r.err +
	    r.err_length - strlen(last), last) == 0, "%s", r.err);
	free(last);
	run_result_free(&r);

	/* The JSON report is one line: head -c reads a part of it. */
	run_head(&r, NULL, 100, true, json_argv);
	ck_assert_int_eq(r.status, KILLED_BY_SIGPIPE);
	ck_assert_uint_eq(r.out_length, 100);
	ck_assert_str_eq(r.err, "");
	run_result_free(&r);
	free(pods);
}
END_TEST

START_TEST(test_test_head_ends_by_sigpipe_quietly)
{
	char *dir = temp_dir(), *path;
	const char *argv[] = { "test", "--plugins", "plugins", QUIET_LAYERS,
	    NULL, NULL };
	struct run_result r;
	FILE *f;

	/* 100 cases whose names make 100 KiB of output. */
	ck_assert_int_ne(asprintf(&path, "%s/cases.jsonl", dir), -1);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (int i = 0; i < 100; i++) {
		fprintf(f, "{\"name\":\"case %d ", i);
		for (int j = 0; j < 1000; j++)
			fputc('x', f);
		fprintf(f, "\",\"metadata\":{\"name\":\"p\"},"
		    "\"expect\":{\"status\":\"unresolved\"}}\n");
	}
	ck_assert_int_eq(fclose(f), 0);
	argv[7] = path;
	run_head(&r, NULL, 0, false, argv);
	ck_assert_msg(r.status == KILLED_BY_SIGPIPE, "status %d: %s",
	    r.status, r.err);
	ck_assert_msg(strncmp(r.out, "ok   case 0 xxx", 15) == 0, "%s", r.out);
	ck_assert_str_eq(r.err, "");
	run_result_free(&r);
	free(path);
	free(dir);
}
END_TEST

/* luaward serve on a socket of its own, started and waited for. */
static pid_t
start_daemon(const char *dir, char **socket_path)
{
	char *state, path[512];
	double deadline = now() + 60 * slowdown();
	struct stat st;
	pid_t pid;

	ck_assert_int_ne(asprintf(&state, "%s/state", dir), -1);
	ck_assert_int_ne(asprintf(socket_path, "%s/sock", dir), -1);
	snprintf(path, sizeof(path), "%s/luaward", build_dir());
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execl(path, path, "serve", "--state-dir", state, "--socket",
		    *socket_path, (char *)NULL);
		_exit(127);
	}
	while (stat(*socket_path, &st) == -1) {
		ck_assert_msg(now() < deadline, "luaward serve did not start");
		usleep(20000);
	}
	free(state);
	return pid;
}

START_TEST(test_query_head_ends_by_sigpipe_quietly)
{
	char *dir = temp_dir(), *pods = pods_file(), *socket_path;
	pid_t daemon = start_daemon(dir, &socket_path);

	for (int ignored = 0; ignored < 2; ignored++) {
		const char *const argv[] = { "query", "--socket", socket_path,
		    pods, NULL };
		struct run_result r;

		run_head(&r, NULL, 0, ignored, argv);
		ck_assert_msg(r.status == KILLED_BY_SIGPIPE, "status %d: %s",
		    r.status, r.err);
		ck_assert_str_eq(r.out, FIRST_LINE);
		ck_assert_str_eq(r.err, "");
		run_result_free(&r);
	}
	ck_assert_int_eq(kill(daemon, SIGTERM), 0);
	ck_assert_int_eq(waitpid(daemon, NULL, 0), daemon);
	free(socket_path);
	free(pods);
	free(dir);
}
END_TEST

Suite *
closed_pipe_suite(void)
{
	Suite *s = suite_create("closed_pipe");
	TCase *t = tcase_create("reader gone");

	tcase_set_timeout(t, 600);
	tcase_add_test(t, test_resolve_head_ends_by_sigpipe_quietly);
	tcase_add_test(t, test_resolve_head_still_writes_its_stats);
	tcase_add_test(t, test_check_head_ends_by_sigpipe_quietly);
	tcase_add_test(t, test_test_head_ends_by_sigpipe_quietly);
	tcase_add_test(t, test_query_head_ends_by_sigpipe_quietly);
	suite_add_tcase(s, t);
	return s;
}
