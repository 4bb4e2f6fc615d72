/*
 * What stops a run before any record is read, with status 2 and nothing
 * on stdout: --strict and a plugin that does not load, a worker binary
 * that is not a luaward worker (found once, at its handshake), and a
 * policy that is nowhere to be found (the message names the place
 * looked at).  Paths luaward finds itself are printed as real paths.
 */
#define _GNU_SOURCE
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../supervisor/paths.h"
#include "helpers.h"
#include "suites.h"

#define RECORD		"{\"metadata\":{\"name\":\"p\"}}\n"
#define GOOD_PLUGIN	"function GetWorkloadTypeAndName(m) return '', '' end\n"

/* Status 2, nothing on stdout, and stderr's last line is last_line. */
static void
expect_stopped(const struct run_result *r, const char *last_line)
{
	const char *last;

	ck_assert_msg(r->status == 2, "status %d: %s", r->status, r->err);
	ck_assert_str_eq(r->out, "");
	ck_assert_msg(r->err_length > 0 && r->err[r->err_length - 1] == '\n',
	    "%s", r->err);
	for (last = r->err + r->err_length - 1; last > r->err &&
	    last[-1] != '\n'; last--)
		;
	ck_assert_str_eq(last, last_line);
}

START_TEST(test_strict_plugin_that_does_not_load)
{
	char *dir = plugin_dir("20-broken.lua", "syntax error here\n",
	    "10-good.lua", GOOD_PLUGIN, NULL);
	struct run_result r;

	run_luaward(&r, RECORD, strlen(RECORD), 60, "resolve", "--strict",
	    "--plugins", dir, NULL);
	expect_stopped(&r, "luaward: --strict: plugin 20-broken did not load; "
	    "no record was read\n");
	run_result_free(&r);

	/* Without --strict: a warning, and every record says why. */
	run_luaward(&r, RECORD, strlen(RECORD), 60, "resolve", "--plugins",
	    dir, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "\"kind\":\"load\""));
	run_result_free(&r);
	free(dir);
}
END_TEST

START_TEST(test_strict_plugin_file_that_cannot_be_used)
{
	char *dir = plugin_dir("10-good.lua", GOOD_PLUGIN, NULL), *link;
	struct run_result r;

	ck_assert_int_ne(asprintf(&link, "%s/20-link.lua", dir), -1);
	ck_assert_int_eq(symlink("10-good.lua", link), 0);
	run_luaward(&r, RECORD, strlen(RECORD), 60, "resolve", "--strict",
	    "--plugins", dir, NULL);
	expect_stopped(&r, "luaward: --strict: plugin 20-link cannot be used: "
	    "a symbolic link; plugins are never followed through links\n");
	ck_assert_uint_eq(count_lines(r.err), 1);
	run_result_free(&r);
	free(link);
	free(dir);
}
END_TEST

START_TEST(test_strict_empty_plugin_directory)
{
	char *dir = temp_dir(), *expected;
	struct run_result r;

	ck_assert_int_ne(asprintf(&expected, "luaward: --strict: no *.lua "
	    "plugins in %s\n", dir), -1);
	run_luaward(&r, RECORD, strlen(RECORD), 60, "resolve", "--strict",
	    "--plugins", dir, NULL);
	expect_stopped(&r, expected);
	ck_assert_uint_eq(count_lines(r.err), 1);
	run_result_free(&r);
	free(expected);
	free(dir);
}
END_TEST

START_TEST(test_strict_in_luaward_test)
{
	char *dir = plugin_dir("20-broken.lua", "function (\n", NULL);
	char *cases = write_text(dir, "cases.jsonl", "{\"metadata\":{}, "
	    "\"expect\":{\"status\":\"unresolved\"}}\n");
	struct run_result r;

	run_luaward(&r, NULL, 0, 60, "test", "--strict", "--plugins", dir,
	    cases, NULL);
	expect_stopped(&r, "luaward: --strict: plugin 20-broken did not load; "
	    "no record was read\n");
	run_result_free(&r);
	free(cases);
	free(dir);
}
END_TEST

/*
 * A binary that is not a luaward worker fails its first handshake: one
 * line naming it and how it failed, status 2, instead of every plugin's
 * workers failing over and over until each is quarantined.
 */
START_TEST(test_worker_that_is_not_a_luaward_worker)
{
	char *dir = temp_dir();
	char *script = write_text(dir, "worker.sh", "#!/bin/sh\necho hi\n");
	char *lines[4];
	static const char *const binaries[] = { "/bin/true", "/bin/echo",
	    "/usr/bin/yes", NULL };

	ck_assert_int_eq(chmod(script, 0755), 0);
	ck_assert_int_ne(asprintf(&lines[0], "luaward: the worker binary "
	    "/bin/true does not speak luaward's worker protocol: it exited "
	    "with status 0 before its HELLO\n"), -1);
	ck_assert_int_ne(asprintf(&lines[1], "luaward: the worker binary "
	    "/bin/echo does not speak luaward's worker protocol: it exited "
	    "with status 0 before its HELLO\n"), -1);
	ck_assert_int_ne(asprintf(&lines[2], "luaward: the worker binary "
	    "/usr/bin/yes does not speak luaward's worker protocol: instead of "
	    "a HELLO, it sent a malformed frame: frame announces 2030729482 "
	    "bytes (allowed: 1 to 4194304)\n"), -1);
	ck_assert_int_ne(asprintf(&lines[3], "luaward: cannot use worker "
	    "binary %s: it is a script, not a luaward worker\n", script), -1);
	for (size_t i = 0; i < 4; i++) {
		const char *worker = i < 3 ? binaries[i] : script;
		struct run_result r;

		if (access(worker, X_OK) != 0)
			continue;
		run_luaward(&r, RECORD, strlen(RECORD), 60, "resolve",
		    "--plugins", "plugins", "--worker", worker, NULL);
		expect_stopped(&r, lines[i]);
		ck_assert_uint_eq(count_lines(r.err), 1);
		run_result_free(&r);
		/* check and test start workers too. */
		run_luaward(&r, NULL, 0, 60, "check", "--worker", worker,
		    "plugins/10-opengauss.lua", NULL);
		expect_stopped(&r, lines[i]);
		ck_assert_uint_eq(count_lines(r.err), 1);
		run_result_free(&r);
		free(lines[i]);
	}
	free(script);
	free(dir);
}
END_TEST

/* Copies build/NAME to dir/NAME, executable. */
static void
copy_binary(const char *dir, const char *name)
{
	char *from, *to;
	size_t length;
	char *bytes;
	FILE *f;

	ck_assert_int_ne(asprintf(&from, "%s/%s", build_dir(), name), -1);
	ck_assert_int_ne(asprintf(&to, "%s/%s", dir, name), -1);
	ck_assert_ptr_nonnull(f = fopen(from, "rb"));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	length = (size_t)ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(bytes = malloc(length));
	ck_assert_uint_eq(fread(bytes, 1, length, f), length);
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(to, "wb"));
	ck_assert_uint_eq(fwrite(bytes, 1, length, f), length);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(to, 0755), 0);
	free(bytes);
	free(to);
	free(from);
}

/* A binary with no tree around it and nothing installed beside it: the
 * message says every place a policy was looked for, as real paths. */
START_TEST(test_no_policy_names_the_place_looked_at)
{
	char *top = temp_dir(), *real, *bin, *expected, *installed;
	const char *policy;
	struct run_result r;

	/* A copy of the binary away from any tree or install looks for its
	 * data where it was built to be installed, and only there. */
	ck_assert_ptr_nonnull(real = realpath(top, NULL));
	ck_assert_int_ne(asprintf(&bin, "%s/b", real), -1);
	ck_assert_int_eq(mkdir(bin, 0755), 0);
	copy_binary(bin, "luaward");
	copy_binary(bin, "luaward-worker");
	/* The sanitizer builds (make sanitize, make valgrind) look for a
	 * policy of their own, as supervisor/setup.h says. */
#ifdef LUAWARD_SANITIZE
	policy = "sanitizer.policy";
#else
	policy = "worker.policy";
#endif
	ck_assert_int_ne(asprintf(&installed, "%s/%s", LUAWARD_DATADIR,
	    policy), -1);
	ck_assert_msg(access(installed, F_OK) != 0, "an installed %s hides "
	    "the case this test makes", installed);
	ck_assert_int_ne(asprintf(&expected, "luaward: no seccomp policy "
	    "found: not at %s (No such file or directory), the one place "
	    "this luaward looks; give one with --policy FILE\n", installed),
	    -1);
	ck_assert_int_eq(setenv("LUAWARD_BUILD", bin, 1), 0);
	run_luaward(&r, RECORD, strlen(RECORD), 30, "resolve", "--plugins",
	    "plugins", NULL);
	unsetenv("LUAWARD_BUILD");
	expect_stopped(&r, expected);
	ck_assert_uint_eq(count_lines(r.err), 1);
	run_result_free(&r);
	free(expected);
	free(installed);
	free(bin);
	free(real);
	free(top);
}
END_TEST

/* The policy found beside the build is named by its real path, with no
 * "build/../" in it. */
START_TEST(test_found_policy_is_named_by_its_real_path)
{
	struct run_result r;
	char *line, *path, *real;

	run_luaward(&r, NULL, 0, 30, "policy", "show", NULL);
	ck_assert_int_eq(r.status, 0);
	line = line_of(r.out, 0);
	ck_assert_msg(strncmp(line, "# policy /", 10) == 0, "%s", line);
	path = line + strlen("# policy ");
	ck_assert_ptr_null(strstr(path, "/../"));
	ck_assert_ptr_null(strstr(path, "/./"));
	ck_assert_ptr_nonnull(real = realpath(path, NULL));
	ck_assert_str_eq(real, path);
	free(real);
	free(line);
	run_result_free(&r);
}
END_TEST

Suite *
startup_errors_suite(void)
{
	Suite *s = suite_create("startup_errors");
	TCase *t = tcase_create("before any record");

	tcase_set_timeout(t, 300);
	tcase_add_test(t, test_strict_plugin_that_does_not_load);
	tcase_add_test(t, test_strict_plugin_file_that_cannot_be_used);
	tcase_add_test(t, test_strict_empty_plugin_directory);
	tcase_add_test(t, test_strict_in_luaward_test);
	tcase_add_test(t, test_worker_that_is_not_a_luaward_worker);
	tcase_add_test(t, test_no_policy_names_the_place_looked_at);
	tcase_add_test(t, test_found_policy_is_named_by_its_real_path);
	suite_add_tcase(s, t);
	return s;
}
