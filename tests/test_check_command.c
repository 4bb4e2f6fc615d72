/*
 * luaward check: each plugin file loaded in a fully sandboxed worker, and a
 * report that says whether it compiles, whether it defines the entry point,
 * and which sandboxed functions its top level touched.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "suites.h"

/* The report block of one plugin (from its path line to the next). */
static char *
report_of(const char *out, const char *path)
{
	char *header, *block;
	const char *at, *end;

	ck_assert_int_ne(asprintf(&header, "%s:\n", path), -1);
	at = strstr(out, header);
	ck_assert_msg(at != NULL, "no report for %s in:\n%s", path, out);
	end = at + strlen(header);
	while ((end = strchr(end, '\n')) != NULL && end[1] == ' ')
		end++;
	block = strndup(at, end != NULL ? (size_t)(end - at) : strlen(at));
	free(header);
	return block;
}

START_TEST(test_good_plugin)
{
	struct run_result r;
	char *report;

	run_luaward(&r, NULL, 0, 60, "check", "plugins/10-opengauss.lua",
	    NULL);
	ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
	report = report_of(r.out, "plugins/10-opengauss.lua");
	ck_assert_str_eq(report, "plugins/10-opengauss.lua:\n"
	    "  compiles: yes\n"
	    "  defines GetWorkloadTypeAndName: yes\n"
	    "  touched at load: none\n"
	    "  result: ok");
	free(report);
	run_result_free(&r);
}
END_TEST

START_TEST(test_each_kind_of_failure_is_named)
{
	char *dir = temp_dir();
	char *syntax = write_text(dir, "syntax.lua", "function f(\n");
	char *missing = write_text(dir, "missing.lua", "x = 1\n");
	char *forbidden = write_text(dir, "forbidden.lua",
	    "local f = io.open('/etc/passwd')\n");
	char *touchy = write_text(dir, "touchy.lua",
	    "pcall(io.open, '/etc/passwd')\npcall(os.execute, 'id')\n"
	    "function GetWorkloadTypeAndName(m) return '', '' end\n");
	/* Messages name each file as it was given (as Lua shows it). */
	char *syntax_shown = lua_shown_path(syntax);
	char *forbidden_shown = lua_shown_path(forbidden);
	struct run_result r;
	char *report, *expected;

	run_luaward(&r, NULL, 0, 60, "check", syntax, missing, forbidden,
	    touchy, NULL);
	ck_assert_int_eq(r.status, 1);

	report = report_of(r.out, syntax);
	ck_assert_int_ne(asprintf(&expected, "%s:\n  compiles: no\n"
	    "  result: FAILED: does not compile: %s:2: <name> or "
	    "'...' expected near <eof>", syntax, syntax_shown), -1);
	ck_assert_str_eq(report, expected);
	free(expected);
	free(report);

	report = report_of(r.out, missing);
	ck_assert_int_ne(asprintf(&expected, "%s:\n  compiles: yes\n"
	    "  defines GetWorkloadTypeAndName: no\n"
	    "  result: FAILED: does not define function "
	    "GetWorkloadTypeAndName (found nil)", missing), -1);
	ck_assert_str_eq(report, expected);
	free(expected);
	free(report);

	report = report_of(r.out, forbidden);
	ck_assert_int_ne(asprintf(&expected, "%s:\n  compiles: yes\n"
	    "  defines GetWorkloadTypeAndName: unknown (the top level "
	    "failed)\n  result: FAILED: top level: %s:1: io.open "
	    "is not available in the sandbox", forbidden, forbidden_shown),
	    -1);
	ck_assert_str_eq(report, expected);
	free(expected);
	free(report);

	report = report_of(r.out, touchy);
	ck_assert_ptr_nonnull(strstr(report, "touched at load: io.open, "
	    "os.execute\n"));
	ck_assert_ptr_nonnull(strstr(report, "result: ok"));
	free(report);

	run_result_free(&r);
	free(syntax_shown);
	free(forbidden_shown);
	free(syntax);
	free(missing);
	free(forbidden);
	free(touchy);
	free(dir);
}
END_TEST

START_TEST(test_pods_are_resolved_by_the_plugins_that_load)
{
	char *dir = temp_dir();
	char *broken = write_text(dir, "broken.lua", "syntax error here\n");
	char *expected_lines = read_source_file(
	    "tests/data/seed-pods.expected", NULL);
	struct run_result r;
	const char *results;

	run_luaward(&r, NULL, 0, 60, "check", "--pods", "examples/pods.json",
	    broken, "plugins/10-opengauss.lua", "plugins/90-template.lua",
	    NULL);
	/* broken.lua did not load: status 1, and it takes no part. */
	ck_assert_int_eq(r.status, 1);
	results = strstr(r.out, "results on examples/pods.json:\n");
	ck_assert_ptr_nonnull(results);
	ck_assert_str_eq(results + strlen("results on examples/pods.json:\n"),
	    expected_lines);
	run_result_free(&r);
	free(expected_lines);
	free(broken);
	free(dir);
}
END_TEST

START_TEST(test_check_needs_a_plugin)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "check", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "check needs at least one"));
	run_result_free(&r);
}
END_TEST

START_TEST(test_check_of_a_missing_file)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "check", "/nonexistent.lua", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "cannot read /nonexistent.lua"));
	run_result_free(&r);
}
END_TEST

Suite *
check_command_suite(void)
{
	Suite *s = suite_create("check_command");
	TCase *t = tcase_create("check");

	tcase_set_timeout(t, 300);
	tcase_add_test(t, test_good_plugin);
	tcase_add_test(t, test_each_kind_of_failure_is_named);
	tcase_add_test(t, test_pods_are_resolved_by_the_plugins_that_load);
	tcase_add_test(t, test_check_needs_a_plugin);
	tcase_add_test(t, test_check_of_a_missing_file);
	suite_add_tcase(s, t);
	return s;
}
