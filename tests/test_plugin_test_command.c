/*
 * luaward test: test files run through the real sandboxed chain, a line
 * per case, a diff per mismatch, the summary and the exit status.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "suites.h"

/* Two plugins: one that names Deployments and StatefulSets from the first
 * owner, then one that fails on purpose for the pods named so. */
static const char owner_plugin[] =
    "function GetWorkloadTypeAndName(m)\n"
    "  local kind, name =\n"
    "    m:match('\"kind\":\"(%a+)\",\"name\":\"([%w%-]+)\"')\n"
    "  if kind == 'ReplicaSet' then\n"
    "    return 'Deployment', (name:gsub('%-%w+$', ''))\n"
    "  end\n"
    "  if kind == 'StatefulSet' then return 'StatefulSet', name end\n"
    "  return '', ''\n"
    "end\n";
static const char failing_plugin[] =
    "function GetWorkloadTypeAndName(m)\n"
    "  if m:find('\"name\":\"slow\"', 1, true) then while true do end end\n"
    "  if m:find('\"name\":\"boom\"', 1, true) then\n"
    "    error('boom: no owner')\n"
    "  end\n"
    "  return '', ''\n"
    "end\n";

#define WEB_POD	"\"metadata\":{\"name\":\"web-1\",\"ownerReferences\":" \
	"[{\"kind\":\"ReplicaSet\",\"name\":\"web-5d4f\"}]}"
#define DB_POD	"\"pod\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"db-0\"," \
	"\"ownerReferences\":[{\"kind\":\"StatefulSet\",\"name\":\"db\"}]}}"

static char *
plugins(void)
{
	return plugin_dir("10-owner.lua", owner_plugin, "20-fail.lua",
	    failing_plugin, NULL);
}

/* luaward test --plugins dir FILE... */
static void
run_tests(struct run_result *r, const char *dir, const char *file, ...)
{
	const char *argv[16] = { "test", "--plugins", dir };
	size_t n = 3;
	va_list ap;

	va_start(ap, file);
	for (const char *f = file; f != NULL && n < 15;
	    f = va_arg(ap, const char *))
		argv[n++] = f;
	va_end(ap);
	argv[n] = NULL;
	run_luaward_argv(r, NULL, 0, 120 * slowdown(), argv);
}

/* A test file of its own directory. */
static char *
case_file(const char *name, const char *text)
{
	char *dir = temp_dir(), *path = write_text(dir, name, text);

	free(dir);
	return path;
}

static char *
format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
format(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	ck_assert_int_ne(vasprintf(&s, fmt, ap), -1);
	va_end(ap);
	return s;
}

/* r ended with status and printed exactly out and err (NULL: not
 * checked here); r is freed.  A wrong status shows all it printed. */
static void
check_run(struct run_result *r, int status, const char *out,
    const char *err)
{
	ck_assert_msg(r->status == status, "exit %d, not %d:\n%s%s",
	    r->status, status, r->out, r->err);
	if (out != NULL)
		ck_assert_str_eq(r->out, out);
	if (err != NULL)
		ck_assert_str_eq(r->err, err);
	run_result_free(r);
}

START_TEST(test_passing_file_prints_ok_lines_and_summary)
{
	char *dir = plugins();
	char *file = case_file("pass.jsonl",
	    "# the owner plugin\n"
	    "{\"name\": \"web is a Deployment\", " WEB_POD ", \"expect\": "
	    "{\"workloadType\": \"Deployment\", \"workloadName\": \"web\"}}\n"
	    "\n"
	    "   # an indented comment\n"
	    "{\"name\": \"db is a StatefulSet\", " DB_POD ", \"expect\": "
	    "{\"status\": \"resolved\", \"workloadType\": \"StatefulSet\", "
	    "\"workloadName\": \"db\", \"plugin\": \"10-owner\", "
	    "\"errors\": []}}\r\n");
	struct run_result r;

	run_tests(&r, dir, file, NULL);
	check_run(&r, 0, "ok   web is a Deployment\n"
	    "ok   db is a StatefulSet\n"
	    "2 passed, 0 failed\n", "");
	free(dir);
	free(file);
}
END_TEST

START_TEST(test_failing_case_prints_the_diff)
{
	char *dir = plugins();
	char *file = case_file("fail.jsonl",
	    "{\"name\": \"web is a StatefulSet\", " WEB_POD ", \"expect\": "
	    "{\"workloadType\": \"StatefulSet\", \"workloadName\": \"web\", "
	    "\"plugin\": \"30-operator\"}}\n"
	    "{\"name\": \"web is a Deployment\", " WEB_POD ", \"expect\": "
	    "{\"workloadType\": \"Deployment\"}}\n"
	    "{\"name\": \"a bare pod is resolved\", \"metadata\": "
	    "{\"name\": \"bare\"}, \"expect\": {\"workloadName\": \"bare\"}}\n");
	char *expected = format("FAIL web is a StatefulSet\n"
	    "     %s:1\n"
	    "     expected workloadType \"StatefulSet\", got \"Deployment\" "
	    "(decided by plugin 10-owner)\n"
	    "     expected plugin \"30-operator\", got \"10-owner\"\n"
	    "ok   web is a Deployment\n"
	    "FAIL a bare pod is resolved\n"
	    "     %s:3\n"
	    "     expected workloadName \"bare\", got \"\" "
	    "(no plugin decided)\n"
	    "1 passed, 2 failed\n", file, file);
	struct run_result r;

	run_tests(&r, dir, file, NULL);
	check_run(&r, 1, expected, "");
	free(expected);
	free(dir);
	free(file);
}
END_TEST

START_TEST(test_expected_error_kind_is_matched)
{
	char *dir = plugins();
	char *file = case_file("errors.jsonl",
	    "{\"name\": \"boom fails\", \"metadata\": {\"name\": \"boom\"}, "
	    "\"expect\": {\"status\": \"unresolved\", \"errors\": [{\"plugin\": "
	    "\"20-fail\", \"kind\": \"error\", \"message\": \"no owner\"}]}}\n"
	    "{\"name\": \"wrong kind\", \"metadata\": {\"name\": \"boom\"}, "
	    "\"expect\": {\"errors\": [{\"plugin\": \"20-fail\", \"kind\": "
	    "\"memory\"}]}}\n"
	    "{\"name\": \"wrong message\", \"metadata\": {\"name\": \"boom\"}, "
	    "\"expect\": {\"errors\": [{\"plugin\": \"20-fail\", \"kind\": "
	    "\"error\", \"message\": \"bang\"}]}}\n"
	    "{\"name\": \"no error expected\", \"metadata\": {\"name\": "
	    "\"boom\"}, \"expect\": {\"status\": \"unresolved\"}}\n");
	char *fail = format("%s/20-fail.lua", dir);
	char *shown = lua_shown_path(fail);
	char *expected = format("ok   boom fails\n"
	    "FAIL wrong kind\n"
	    "     %s:2\n"
	    "     expected errors: 20-fail memory; got: 20-fail error\n"
	    "     error from 20-fail (error): %s:4: boom: no owner\n"
	    "FAIL wrong message\n"
	    "     %s:3\n"
	    "     expected errors: 20-fail error with message containing "
	    "\"bang\"; got: 20-fail error\n"
	    "     error from 20-fail (error): %s:4: boom: no owner\n"
	    "FAIL no error expected\n"
	    "     %s:4\n"
	    "     expected errors: none; got: 20-fail error\n"
	    "     error from 20-fail (error): %s:4: boom: no owner\n"
	    "1 passed, 3 failed\n", file, shown, file, shown, file, shown);
	struct run_result r;

	run_tests(&r, dir, file, NULL);
	check_run(&r, 1, expected, NULL);
	free(expected);
	free(shown);
	free(fail);
	free(dir);
	free(file);
}
END_TEST

START_TEST(test_expected_status_unresolved)
{
	char *dir = plugins();
	char *file = case_file("status.jsonl",
	    "{\"name\": \"no owner\", \"metadata\": {\"name\": \"lonely\"}, "
	    "\"expect\": {\"status\": \"unresolved\", \"plugin\": \"\", "
	    "\"workloadType\": \"\"}}\n"
	    "{\"name\": \"web is not unresolved\", " WEB_POD ", \"expect\": "
	    "{\"status\": \"unresolved\"}}\n");
	char *expected = format("ok   no owner\n"
	    "FAIL web is not unresolved\n"
	    "     %s:2\n"
	    "     expected status \"unresolved\", got \"resolved\" (decided by "
	    "plugin 10-owner)\n"
	    "1 passed, 1 failed\n", file);
	struct run_result r;

	run_tests(&r, dir, file, NULL);
	check_run(&r, 1, expected, NULL);
	free(expected);
	free(dir);
	free(file);
}
END_TEST

START_TEST(test_case_whose_plugin_times_out)
{
	char *dir = plugins();
	char *file = case_file("slow.jsonl",
	    "{\"name\": \"slow times out\", \"metadata\": {\"name\": \"slow\"}, "
	    "\"expect\": {\"status\": \"unresolved\", \"errors\": [{\"plugin\": "
	    "\"20-fail\", \"kind\": \"timeout\"}]}}\n"
	    "{\"name\": \"slow unexpected\", \"metadata\": {\"name\": "
	    "\"slow\"}, \"expect\": {\"status\": \"unresolved\"}}\n"
	    "{\"name\": \"the chain goes on\", " WEB_POD ", \"expect\": "
	    "{\"workloadType\": \"Deployment\"}}\n");
	struct run_result r;
	char *head;

	run_tests(&r, dir, file, NULL);
	ck_assert_int_eq(r.status, 1);
	/* The timeout's message is the worker's: only its start is the
	 * contract here. */
	head = format("ok   slow times out\n"
	    "FAIL slow unexpected\n"
	    "     %s:2\n"
	    "     expected errors: none; got: 20-fail timeout\n"
	    "     error from 20-fail (timeout): ", file);
	ck_assert_msg(strncmp(r.out, head, strlen(head)) == 0, "%s", r.out);
	ck_assert_uint_eq(count_lines(r.out), 7);
	ck_assert_ptr_nonnull(strstr(r.out, "\nok   the chain goes on\n"
	    "2 passed, 1 failed\n"));
	free(head);
	run_result_free(&r);
	free(dir);
	free(file);
}
END_TEST

START_TEST(test_several_files_in_order)
{
	char *dir = plugins();
	char *one = case_file("one.jsonl",
	    "{\"name\": \"web\", " WEB_POD ", \"expect\": {\"workloadName\": "
	    "\"web\"}}\n");
	char *two = case_file("two.jsonl",
	    "{" DB_POD ", \"expect\": {\"workloadName\": \"db\"}}\n"
	    "{" DB_POD ", \"expect\": {\"workloadName\": \"web\"}}\n");
	/* A case without a name is named by where it is. */
	char *expected = format("ok   web\n"
	    "ok   %s:1\n"
	    "FAIL %s:2\n"
	    "     expected workloadName \"web\", got \"db\" (decided by plugin "
	    "10-owner)\n"
	    "2 passed, 1 failed\n", two, two);
	struct run_result r;

	run_tests(&r, dir, one, two, NULL);
	check_run(&r, 1, expected, NULL);
	free(expected);
	free(dir);
	free(one);
	free(two);
}
END_TEST

START_TEST(test_malformed_file_names_line_and_reason)
{
	char *dir = plugins();
	char *good = case_file("good.jsonl",
	    "{\"name\": \"web\", " WEB_POD ", \"expect\": {\"workloadName\": "
	    "\"web\"}}\n");
	char *bad = case_file("bad.jsonl",
	    "# fine\n"
	    "{\"metadata\": {}, \"expect\": {\"status\": \"unresolved\"}}\n"
	    "{\"metadata\": {\"name\": \"x\"}, \"expect\": {\"status\": "
	    "\"unresolved\"}\n");
	char *expected = format("luaward: %s:3: not valid JSON: byte offset "
	    "62: expected ',' or '}', found the end of the text\n", bad);
	struct run_result r;

	run_tests(&r, dir, good, bad, NULL);
	/* Every file is read before anything runs: nothing on stdout. */
	check_run(&r, 2, "", expected);
	free(expected);
	free(dir);
	free(good);
	free(bad);
}
END_TEST

START_TEST(test_unknown_key_is_an_error)
{
	char *dir = plugins();
	char *file = case_file("typo.jsonl",
	    "{\"name\": \"web\", " WEB_POD ", \"expect\": {\"workloadname\": "
	    "\"web\"}}\n");
	char *top = case_file("top.jsonl",
	    "{\"name\": \"web\", " WEB_POD ", \"expected\": {\"workloadName\": "
	    "\"web\"}}\n");
	char *expected;
	struct run_result r;

	run_tests(&r, dir, file, NULL);
	expected = format("luaward: %s:1: unknown key \"workloadname\" in "
	    "expect (known: workloadType, workloadName, status, plugin, "
	    "errors)\n", file);
	check_run(&r, 2, "", expected);
	free(expected);

	run_tests(&r, dir, top, NULL);
	expected = format("luaward: %s:1: unknown key \"expected\" in the "
	    "case (known: name, pod, metadata, expect)\n", top);
	check_run(&r, 2, NULL, expected);
	free(expected);
	free(dir);
	free(file);
	free(top);
}
END_TEST

START_TEST(test_empty_file_is_an_error)
{
	char *dir = plugins();
	char *files[] = { case_file("empty.jsonl", ""),
	    case_file("comments.jsonl", "# nothing yet\n\n   \n") };

	for (size_t i = 0; i < 2; i++) {
		struct run_result r;
		char *expected;

		run_tests(&r, dir, files[i], NULL);
		expected = format("luaward: %s: no test cases (each case is "
		    "one JSON object on a line of its own)\n", files[i]);
		check_run(&r, 2, "", expected);
		free(expected);
		free(files[i]);
	}
	free(dir);
}
END_TEST

START_TEST(test_usage_errors)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "test", NULL);
	check_run(&r, 2, NULL, "luaward: test needs at least one test FILE "
	    "(see luaward test --help)\n");
	run_luaward(&r, NULL, 0, 30, "test", "/nonexistent.jsonl", NULL);
	check_run(&r, 2, NULL, "luaward: /nonexistent.jsonl: No such file "
	    "or directory\n");
	run_luaward(&r, NULL, 0, 30, "test", "--stats", "x.jsonl", NULL);
	check_run(&r, 2, NULL, NULL);
}
END_TEST

START_TEST(test_help_says_how_to_write_a_case)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "test", "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: luaward test [options] "
	    "FILE...\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"expect\": {\"workloadType\": "
	    "\"StatefulSet\""));
	ck_assert_ptr_nonnull(strstr(r.out, "  --timeout MS"));
	ck_assert_ptr_nonnull(strstr(r.out, "  --plugins DIR"));
	ck_assert_ptr_null(strstr(r.out, "--pods"));
	run_result_free(&r);
}
END_TEST

/* A case's name and whatever a plugin says reach the terminal cleaned. */
START_TEST(test_printed_text_is_cleaned)
{
	/* A bidi override is text, so it decides; it is shown escaped. */
	char *dir = plugin_dir("10-evil.lua",
	    "function GetWorkloadTypeAndName(m)\n"
	    "  return 'Deployment', 'x\\u{202e}y'\n"
	    "end\n", NULL);
	char *file = case_file("evil.jsonl",
	    "{\"name\": \"evil\\u001b]0;title\\u0007\\nok   fake\", "
	    "\"metadata\": {}, \"expect\": {\"workloadName\": \"x\"}}\n");
	struct run_result r;

	run_tests(&r, dir, file, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_null(strchr(r.out, '\x1b'));
	ck_assert_ptr_null(strchr(r.out, '\x07'));
	ck_assert_ptr_nonnull(strstr(r.out, "FAIL evil\\x1b]0;title\\x07\\nok"
	    "   fake\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "     expected workloadName "
	    "\"x\", got \"x\\u202ey\" (decided by plugin 10-evil)\n"));
	run_result_free(&r);
	free(dir);
	free(file);
}
END_TEST

/* The record is the metadata alone: keys that would make another kind of
 * value of it (items, metadata) do not split or unwrap it. */
START_TEST(test_metadata_is_one_record_whatever_its_keys)
{
	char *dir = plugin_dir("10-echo.lua",
	    "function GetWorkloadTypeAndName(m) return 'CloneSet', m end\n",
	    NULL);
	char *file = case_file("keys.jsonl",
	    "{\"metadata\": {\"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}]},"
	    " \"expect\": {\"workloadName\": "
	    "\"{\\\"items\\\":[{\\\"name\\\":\\\"a\\\"},{\\\"name\\\":"
	    "\\\"b\\\"}]}\"}}\n"
	    "{\"pod\": {\"metadata\": {\"metadata\": {\"name\": \"inner\"}}, "
	    "\"items\": []}, \"expect\": {\"workloadName\": "
	    "\"{\\\"metadata\\\":{\\\"name\\\":\\\"inner\\\"}}\"}}\n");
	struct run_result r;

	run_tests(&r, dir, file, NULL);
	ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
	ck_assert_str_eq(r.out + strlen(r.out) - strlen("2 passed, 0 failed\n"),
	    "2 passed, 0 failed\n");
	run_result_free(&r);
	free(dir);
	free(file);
}
END_TEST

/* A record over a limit is invalid, as resolve would print it, with the
 * reader's reason. */
START_TEST(test_record_over_a_limit_is_invalid)
{
	char *dir = plugins();
	char *file = case_file("deep.jsonl",
	    "{\"name\": \"too deep\", \"metadata\": {\"a\": {\"b\": {}}}, "
	    "\"expect\": {\"status\": \"invalid\"}}\n"
	    "{\"name\": \"still too deep\", \"metadata\": {\"a\": "
	    "{\"b\": {}}}, \"expect\": {\"status\": \"unresolved\"}}\n");
	char *expected = format("ok   too deep\n"
	    "FAIL still too deep\n"
	    "     %s:2\n"
	    "     expected status \"unresolved\", got \"invalid\" (no plugin "
	    "decided)\n"
	    "     invalid: the record: line 1, column 19 (byte offset 18): "
	    "values nested deeper than 2 levels are not accepted\n"
	    "1 passed, 1 failed\n", file);
	struct run_result r;

	run_luaward(&r, NULL, 0, 120 * slowdown(), "test", "--plugins", dir,
	    "--max-depth", "2", file, NULL);
	check_run(&r, 1, expected, NULL);
	free(expected);
	free(dir);
	free(file);
}
END_TEST

/* The bundled plugins' own tests, as `make test` runs them in both
 * builds: every case in the file passes. */
START_TEST(test_bundled_plugin_tests_pass)
{
	char *text = read_source_file("plugins/tests.jsonl", NULL);
	size_t cases = 0;
	struct run_result r;
	char *summary;

	for (size_t i = 0; i < count_lines(text); i++) {
		char *line = line_of(text, i);

		if (line != NULL && line[0] == '{')
			cases++;
		free(line);
	}
	ck_assert_uint_ge(cases, 5);
	run_luaward(&r, NULL, 0, 120 * slowdown(), "test",
	    "plugins/tests.jsonl", NULL);
	ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
	ck_assert_ptr_null(strstr(r.out, "FAIL"));
	summary = format("%zu passed, 0 failed\n", cases);
	ck_assert_str_eq(r.out + strlen(r.out) - strlen(summary), summary);
	ck_assert_uint_eq(count_lines(r.out), cases + 1);
	free(summary);
	free(text);
	run_result_free(&r);
}
END_TEST

Suite *
plugin_test_command_suite(void)
{
	Suite *s = suite_create("plugin_test_command");
	TCase *t = tcase_create("test");

	tcase_set_timeout(t, 600);
	tcase_add_test(t, test_passing_file_prints_ok_lines_and_summary);
	tcase_add_test(t, test_failing_case_prints_the_diff);
	tcase_add_test(t, test_expected_error_kind_is_matched);
	tcase_add_test(t, test_expected_status_unresolved);
	tcase_add_test(t, test_case_whose_plugin_times_out);
	tcase_add_test(t, test_several_files_in_order);
	tcase_add_test(t, test_malformed_file_names_line_and_reason);
	tcase_add_test(t, test_unknown_key_is_an_error);
	tcase_add_test(t, test_empty_file_is_an_error);
	tcase_add_test(t, test_usage_errors);
	tcase_add_test(t, test_help_says_how_to_write_a_case);
	tcase_add_test(t, test_printed_text_is_cleaned);
	tcase_add_test(t, test_metadata_is_one_record_whatever_its_keys);
	tcase_add_test(t, test_record_over_a_limit_is_invalid);
	tcase_add_test(t, test_bundled_plugin_tests_pass);
	suite_add_tcase(s, t);
	return s;
}
