/*
 * luaward check: each plugin file (or every plugin of a directory) loaded
 * in a fully sandboxed worker, and a report that says whether it compiles,
 * whether it defines the entry point, and which sandboxed functions its
 * top level touched: as text on stderr, or as one JSON object on stdout
 * that a strict parser reads back.  Standard output carries data only.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "strict_json.h"
#include "suites.h"

/* What the compiler says of tests' broken.lua, named as Lua shows the
 * path it was given. */
static char *
compile_error(const char *path)
{
	char *shown = lua_shown_path(path), *message;

	ck_assert_int_ne(asprintf(&message, "does not compile: %s:1: syntax "
	    "error near 'error'", shown), -1);
	free(shown);
	return message;
}

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
	/* The report is for a person: stderr.  Nothing was asked of stdout. */
	ck_assert_str_eq(r.out, "");
	report = report_of(r.err, "plugins/10-opengauss.lua");
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
	ck_assert_str_eq(r.out, "");

	report = report_of(r.err, syntax);
	ck_assert_int_ne(asprintf(&expected, "%s:\n  compiles: no\n"
	    "  result: FAILED: does not compile: %s:2: <name> or "
	    "'...' expected near <eof>", syntax, syntax_shown), -1);
	ck_assert_str_eq(report, expected);
	free(expected);
	free(report);

	report = report_of(r.err, missing);
	ck_assert_int_ne(asprintf(&expected, "%s:\n  compiles: yes\n"
	    "  defines GetWorkloadTypeAndName: no\n"
	    "  result: FAILED: does not define function "
	    "GetWorkloadTypeAndName (found nil)", missing), -1);
	ck_assert_str_eq(report, expected);
	free(expected);
	free(report);

	report = report_of(r.err, forbidden);
	ck_assert_int_ne(asprintf(&expected, "%s:\n  compiles: yes\n"
	    "  defines GetWorkloadTypeAndName: unknown (the top level "
	    "failed)\n  result: FAILED: top level: %s:1: io.open "
	    "is not available in the sandbox", forbidden, forbidden_shown),
	    -1);
	ck_assert_str_eq(report, expected);
	free(expected);
	free(report);

	report = report_of(r.err, touchy);
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

START_TEST(test_result_lines_on_stdout_report_on_stderr)
{
	char *expected_lines = read_source_file(
	    "tests/data/seed-pods.expected", NULL), *pods;
	struct run_result r;
	size_t length;

	run_luaward(&r, NULL, 0, 60, "check", "--pods", "examples/pods.json",
	    "plugins/10-opengauss.lua", "plugins/90-template.lua", NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	/* stdout is exactly what resolve prints: `| jq` reads it. */
	ck_assert_str_eq(r.out, expected_lines);
	ck_assert_ptr_nonnull(strstr(r.err, "plugins/90-template.lua:\n"));
	ck_assert_ptr_nonnull(strstr(r.err, "results on examples/pods.json:\n"));
	run_result_free(&r);

	/* "-" is stdin, as for resolve. */
	pods = read_source_file("examples/pods.json", &length);
	run_luaward(&r, pods, length, 60, "check", "--pods", "-",
	    "plugins/10-opengauss.lua", "plugins/90-template.lua", NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.out, expected_lines);
	run_result_free(&r);
	free(pods);
	free(expected_lines);
}
END_TEST

/*
 * A plugin that does not load is shown as failed, and it stays in the
 * chain as it would in resolve: every result line names it in its errors,
 * so none looks clean, and the status says so.
 */
START_TEST(test_failed_plugin_is_named_in_every_result_line)
{
	char *dir = temp_dir();
	char *broken = write_text(dir, "broken.lua", "syntax error here\n");
	char *expected_lines = read_source_file(
	    "tests/data/seed-pods.expected", NULL);
	struct run_result r;
	char *report, *expected, *compiled;
	size_t lines = count_lines(expected_lines);

	run_luaward(&r, NULL, 0, 60, "check", "--pods", "examples/pods.json",
	    broken, "plugins/10-opengauss.lua", "plugins/90-template.lua",
	    NULL);
	ck_assert_int_eq(r.status, 1);
	report = report_of(r.err, broken);
	compiled = compile_error(broken);
	ck_assert_int_ne(asprintf(&expected, "%s:\n  compiles: no\n"
	    "  result: FAILED: %s", broken, compiled), -1);
	ck_assert_str_eq(report, expected);
	free(expected);
	free(report);
	ck_assert_uint_eq(count_lines(r.out), lines);
	for (size_t i = 0; i < lines; i++) {
		char *line = line_of(r.out, i), *clean = line_of(expected_lines,
		    i), error[160];
		struct json v;

		/* The line resolve would print, and its errors say why. */
		clean[strlen(clean) - 1] = '\0';
		ck_assert_int_ne(asprintf(&expected, "%s,\"errors\":[{"
		    "\"plugin\":\"broken\",\"kind\":\"load\",\"message\":\""
		    "%s\"}]}", clean, compiled), -1);
		ck_assert_str_eq(line, expected);
		ck_assert_msg(json_parse(line, strlen(line), &v, error,
		    sizeof(error)), "line %zu: %s", i, error);
		json_free(&v);
		free(expected);
		free(clean);
		free(line);
	}
	run_result_free(&r);
	free(compiled);
	free(expected_lines);
	free(broken);
	free(dir);
}
END_TEST

/* The string member key of object is text. */
static void
assert_string_member(const struct json *object, const char *key,
    const char *text)
{
	const struct json *v = member(object, key);

	ck_assert_msg(v->type == J_STRING, "\"%s\" is not a string", key);
	ck_assert_uint_eq(v->length, strlen(text));
	ck_assert_msg(memcmp(v->text, text, v->length) == 0,
	    "\"%s\" is \"%.*s\", not \"%s\"", key, (int)v->length, v->text,
	    text);
}

/* One plugin's entry of the JSON report. */
static void
assert_plugin_entry(const struct json *p, const char *path, const char *name,
    enum json_type loaded, enum json_type compiles, enum json_type defines,
    const char *error)
{
	ck_assert_int_eq(p->type, J_OBJECT);
	ck_assert_uint_eq(p->count, 7);
	assert_string_member(p, "path", path);
	assert_string_member(p, "name", name);
	ck_assert_int_eq(member(p, "loaded")->type, loaded);
	ck_assert_int_eq(member(p, "compiles")->type, compiles);
	ck_assert_int_eq(member(p, "definesEntryPoint")->type, defines);
	if (error == NULL)
		ck_assert_int_eq(member(p, "error")->type, J_NULL);
	else
		assert_string_member(p, "error", error);
	ck_assert_int_eq(member(p, "touched")->type, loaded == J_TRUE ?
	    J_ARRAY : J_NULL);
}

START_TEST(test_json_report_parses_and_says_everything)
{
	char *dir = temp_dir();
	char *broken = write_text(dir, "broken.lua", "syntax error here\n");
	char *touchy = write_text(dir, "touchy.lua",
	    "pcall(io.open, '/etc/passwd')\npcall(os.execute, 'id')\n"
	    "function GetWorkloadTypeAndName(m) return '', '' end\n");
	char *link, *compiled, error[160];
	const struct json *plugins, *touched, *results;
	struct run_result r;
	struct json root;

	/* A file that cannot be used is never compiled: nothing is known. */
	ck_assert_int_ne(asprintf(&link, "%s/link.lua", dir), -1);
	ck_assert_int_eq(symlink(touchy, link), 0);
	run_luaward(&r, NULL, 0, 60, "check", "-o", "json", "--pods",
	    "examples/pods.json", broken, touchy, link,
	    "plugins/10-opengauss.lua", NULL);
	ck_assert_int_eq(r.status, 1);
	/* No text report: stderr keeps warnings only. */
	ck_assert_ptr_null(strstr(r.err, "compiles:"));
	ck_assert_uint_eq(count_lines(r.out), 1);
	ck_assert_msg(json_parse(r.out, r.out_length, &root, error,
	    sizeof(error)), "%s in %s", error, r.out);
	ck_assert_int_eq(root.type, J_OBJECT);
	ck_assert_uint_eq(root.count, 4);

	plugins = member(&root, "plugins");
	ck_assert_int_eq(plugins->type, J_ARRAY);
	ck_assert_uint_eq(plugins->count, 4);
	compiled = compile_error(broken);
	assert_plugin_entry(&plugins->items[0], broken, "broken", J_FALSE,
	    J_FALSE, J_NULL, compiled);
	free(compiled);
	assert_plugin_entry(&plugins->items[1], touchy, "touchy", J_TRUE,
	    J_TRUE, J_TRUE, NULL);
	touched = member(&plugins->items[1], "touched");
	ck_assert_uint_eq(touched->count, 2);
	ck_assert_uint_eq(touched->items[0].length, 7);
	ck_assert_mem_eq(touched->items[0].text, "io.open", 7);
	ck_assert_uint_eq(touched->items[1].length, 10);
	ck_assert_mem_eq(touched->items[1].text, "os.execute", 10);
	assert_plugin_entry(&plugins->items[2], link, "link", J_FALSE, J_NULL,
	    J_NULL, "a symbolic link; plugins are never followed through "
	    "links");
	assert_plugin_entry(&plugins->items[3], "plugins/10-opengauss.lua",
	    "10-opengauss", J_TRUE, J_TRUE, J_TRUE, NULL);
	ck_assert_uint_eq(member(&plugins->items[3], "touched")->count, 0);

	assert_string_member(&root, "pods", "examples/pods.json");
	results = member(&root, "results");
	ck_assert_int_eq(results->type, J_ARRAY);
	ck_assert_uint_eq(results->count, 6);
	for (size_t i = 0; i < results->count; i++) {
		const struct json *errors = member(&results->items[i],
		    "errors");

		/* Both plugins that did not load, in chain order. */
		ck_assert_uint_eq(errors->count, 2);
		assert_string_member(&errors->items[0], "plugin", "broken");
		assert_string_member(&errors->items[1], "plugin", "link");
		assert_string_member(&errors->items[1], "kind", "load");
	}
	assert_string_member(&results->items[0], "name", "ogtest-0");
	assert_string_member(&results->items[0], "workloadType",
	    "StatefulSet");
	assert_string_member(&results->items[5], "status", "unresolved");
	ck_assert_int_eq(member(&root, "ok")->type, J_FALSE);
	json_free(&root);
	run_result_free(&r);
	free(link);
	free(touchy);
	free(broken);
	free(dir);
}
END_TEST

START_TEST(test_json_report_without_pods)
{
	struct run_result r;
	struct json root;
	char error[160];

	run_luaward(&r, NULL, 0, 60, "check", "--output", "json",
	    "plugins/10-opengauss.lua", NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "{\"plugins\":[{\"path\":"
	    "\"plugins/10-opengauss.lua\",\"name\":\"10-opengauss\","
	    "\"loaded\":true,\"compiles\":true,\"definesEntryPoint\":true,"
	    "\"touched\":[],\"error\":null}],\"pods\":null,\"results\":null,"
	    "\"ok\":true}\n");
	ck_assert_msg(json_parse(r.out, r.out_length, &root, error,
	    sizeof(error)), "%s", error);
	json_free(&root);
	ck_assert_str_eq(r.err, "");
	run_result_free(&r);
}
END_TEST

/* A directory is checked as resolve would take it for --plugins: every
 * *.lua, no dot file, in file-name order. */
START_TEST(test_check_of_a_directory)
{
	char *dir = plugin_dir("b.lua",
	    "function GetWorkloadTypeAndName(m) return '', '' end\n",
	    "a.lua", "syntax error here\n", "notes.txt", "not a plugin\n",
	    ".hidden.lua", "syntax error here\n", NULL);
	char *slashed, *a, *b, error[160];
	const struct json *plugins;
	struct run_result r;
	struct json root;

	ck_assert_int_ne(asprintf(&slashed, "%s/", dir), -1);
	ck_assert_int_ne(asprintf(&a, "%s/a.lua", dir), -1);
	ck_assert_int_ne(asprintf(&b, "%s/b.lua", dir), -1);
	run_luaward(&r, NULL, 0, 60, "check", "-o", "json", slashed, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(json_parse(r.out, r.out_length, &root, error,
	    sizeof(error)), "%s in %s", error, r.out);
	plugins = member(&root, "plugins");
	ck_assert_uint_eq(plugins->count, 2);
	assert_string_member(&plugins->items[0], "path", a);
	ck_assert_int_eq(member(&plugins->items[0], "loaded")->type, J_FALSE);
	assert_string_member(&plugins->items[1], "path", b);
	ck_assert_int_eq(member(&plugins->items[1], "loaded")->type, J_TRUE);
	json_free(&root);
	run_result_free(&r);

	/* The text report names the same files. */
	run_luaward(&r, NULL, 0, 60, "check", dir, NULL);
	ck_assert_int_eq(r.status, 1);
	free(report_of(r.err, a));
	free(report_of(r.err, b));
	ck_assert_ptr_null(strstr(r.err, "hidden"));
	ck_assert_ptr_null(strstr(r.err, "notes"));
	run_result_free(&r);
	free(b);
	free(a);
	free(slashed);
	free(dir);
}
END_TEST

START_TEST(test_check_of_an_empty_directory)
{
	char *dir = temp_dir(), *expected;
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "check", dir, NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_int_ne(asprintf(&expected, "luaward: check: no *.lua "
	    "plugins in %s\n", dir), -1);
	ck_assert_str_eq(r.err, expected);
	free(expected);
	run_result_free(&r);
	free(dir);
}
END_TEST

/*
 * --pods is looked at before anything runs: the plugin here never ends
 * its top level, so a check that started it first would not come back
 * within the test's limit.
 */
START_TEST(test_pods_checked_before_any_plugin_runs)
{
	char *dir = temp_dir();
	char *endless = write_text(dir, "endless.lua", "while true do end\n");
	static const char *const cases[][2] = {
		{ "/nonexistent/pods.json", "luaward: --pods: cannot read "
		    "/nonexistent/pods.json: No such file or directory\n" },
		{ "plugins", "luaward: --pods: cannot read plugins: it is a "
		    "directory\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_result r;

		run_luaward(&r, NULL, 0, 30, "check", "--load-timeout",
		    "3600000", "--pods", cases[i][0], endless, NULL);
		ck_assert_int_eq(r.status, 2);
		ck_assert_str_eq(r.out, "");
		ck_assert_str_eq(r.err, cases[i][1]);
		run_result_free(&r);
	}
	free(endless);
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
	tcase_add_test(t, test_result_lines_on_stdout_report_on_stderr);
	tcase_add_test(t, test_failed_plugin_is_named_in_every_result_line);
	tcase_add_test(t, test_json_report_parses_and_says_everything);
	tcase_add_test(t, test_json_report_without_pods);
	tcase_add_test(t, test_check_of_a_directory);
	tcase_add_test(t, test_check_of_an_empty_directory);
	tcase_add_test(t, test_pods_checked_before_any_plugin_runs);
	tcase_add_test(t, test_check_needs_a_plugin);
	tcase_add_test(t, test_check_of_a_missing_file);
	suite_add_tcase(s, t);
	return s;
}
