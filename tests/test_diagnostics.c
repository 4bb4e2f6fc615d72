/*
 * What luaward tells a plugin's author, run end to end with the real
 * binaries: a timeout names the file, the line and the functions it was
 * in; an error object that is not a string is described, never shown as
 * an address; messages name a plugin's file as the user gave it; an
 * unsupported type's line lists the types that are; and a type or name
 * that is not text is the plugin's bad-return.
 *
 * Time limits here are generous and nothing asserts a duration: a test
 * only needs the plugin to be stopped, not stopped quickly.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "hostile_support.h"
#include "suites.h"

/* --- timeouts say where ---------------------------------------------------- */

/* Lines 2, 4, 5 and 7 to 11 are what the messages name. */
static const char slow_plugin[] =
	"local function spin()\n"
	"  while true do end\n"
	"end\n"
	"local function nested() spin() end\n"
	"local function deep(n) if n == 0 then spin() end "
	    "return 1 + deep(n - 1) end\n"
	"function GetWorkloadTypeAndName(m)\n"
	"  if m:find('\"loop\"') then while true do end end\n"
	"  if m:find('\"nested\"') then nested() end\n"
	"  if m:find('\"coroutine\"') then coroutine.resume("
	    "coroutine.create(function() spin() end)) end\n"
	"  if m:find('\"caught\"') then pcall(spin) while true do end end\n"
	"  if m:find('\"deep\"') then local x = deep(1000) end\n"
	"  return '', ''\n"
	"end\n";

/*
 * Runs 10-slow on one record named name with --timeout 300, and checks
 * that its one error is a timeout whose message is "did not finish within
 * 300 ms, " and then where, with every "F" in where the plugin's file as
 * Lua names it (the path given, DIR/10-slow.lua).
 */
static void
expect_timeout_at(const char *name, const char *where)
{
	char *dir = plugin_dir("10-slow.lua", slow_plugin, NULL);
	char *record, *path, *file, *expected;
	struct run_result r;

	ck_assert_int_ne(asprintf(&record, "{\"name\":\"%s\"}\n", name), -1);
	ck_assert_int_ne(asprintf(&path, "%s/10-slow.lua", dir), -1);
	file = lua_shown_path(path);
	expected = must_asprintf("%s", "");
	for (const char *p = where; *p != '\0'; p++) {
		char *next = *p == 'F' ? must_asprintf("%s%s", expected, file) :
		    must_asprintf("%s%c", expected, *p);

		free(expected);
		expected = next;
	}
	run_luaward(&r, record, strlen(record), 120, "resolve", "--plugins",
	    dir, "--timeout", "300", NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	{
		char *line = must_asprintf("{\"uid\":\"\",\"namespace\":\"\","
		    "\"name\":\"%s\",\"status\":\"unresolved\","
		    "\"workloadType\":\"\",\"workloadName\":\"\",\"plugin\":"
		    "\"\",\"errors\":[{\"plugin\":\"10-slow\",\"kind\":"
		    "\"timeout\",\"message\":\"did not finish within 300 ms, "
		    "%s\"}]}\n", name, expected);

		ck_assert_str_eq(r.out, line);
		free(line);
	}
	run_result_free(&r);
	free(expected);
	free(file);
	free(path);
	free(record);
	free(dir);
}

START_TEST(test_timeout_in_a_loop_names_its_file_and_line)
{
	expect_timeout_at("loop", "at F:7 in function 'GetWorkloadTypeAndName'");
}
END_TEST

START_TEST(test_timeout_in_a_nested_function_has_a_traceback)
{
	expect_timeout_at("nested", "at F:2 in function 'spin' (traceback: "
	    "F:2 in function 'spin', F:4 in function 'nested', "
	    "F:8 in function 'GetWorkloadTypeAndName')");
}
END_TEST

/* The coroutine's own frames, then where it was resumed from. */
START_TEST(test_timeout_in_a_coroutine_says_so)
{
	expect_timeout_at("coroutine", "at F:2 in function 'spin' in a "
	    "coroutine (traceback: F:2 in function 'spin', F:9 in function "
	    "<F:9>; resumed from [C] in function 'resume', F:9 in function "
	    "'GetWorkloadTypeAndName')");
}
END_TEST

/* A plugin that catches the timeout is stopped again at once; the
 * message says where it was first stopped. */
START_TEST(test_timeout_caught_by_pcall_names_where_it_first_stopped)
{
	expect_timeout_at("caught", "at F:2 in function <F:1> (traceback: "
	    "F:2 in function <F:1>, [C] in function 'pcall', F:10 in function "
	    "'GetWorkloadTypeAndName')");
}
END_TEST

/* A deep stack shows its innermost four frames and its outermost two,
 * with a count of those between. */
START_TEST(test_timeout_in_a_deep_recursion_is_cut_short)
{
	expect_timeout_at("deep", "at F:2 in function 'spin' (traceback: "
	    "F:2 in function 'spin', F:5 in function 'deep', F:5 in function "
	    "'deep', F:5 in function 'deep', ... 997 more, F:5 in function "
	    "'deep', F:11 in function 'GetWorkloadTypeAndName')");
}
END_TEST

/* A call stuck inside one C function cannot say its line: the
 * supervisor's kill still names the limit. */
START_TEST(test_call_stuck_in_c_is_killed_naming_the_limit)
{
	char *dir = plugin_dir("10-stuck.lua", "function GetWorkloadTypeAndName"
	    "(m) string.rep('a', 3e4):find('.-.-.-.-.-.-.-.-.-.-b') end\n",
	    NULL);
	struct run_result r;

	run_luaward(&r, "{\"name\":\"s\"}\n", 13, 120, "resolve", "--plugins",
	    dir, "--timeout", "300", NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"s\",\"status\":\"unresolved\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\",\"errors\":[{\"plugin\":"
	    "\"10-stuck\",\"kind\":\"timeout\",\"message\":\"did not answer "
	    "within 300 ms, not even to its own deadline; the worker was "
	    "killed\"}]}\n");
	run_result_free(&r);
	free(dir);
}
END_TEST

/* --- error objects ---------------------------------------------------------- */

START_TEST(test_error_objects_are_described_by_type)
{
	char *source = per_record("error(true)", "error(nil)",
	    "error(42.5)", "error(coroutine.create(print))");
	const struct effect effects[RECORDS] = {
		FAIL("error", "error object: boolean true"),
		FAIL("error", "error object: nil"),
		FAIL("error", "error object: number 42.5"),
		FAIL("error", "error object: thread"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* A table with a __tostring is shown by it; one without, or with only a
 * __name, is never shown by its address; nor is a function. */
START_TEST(test_error_tables_use_tostring_or_their_type)
{
	char *source = per_record(
	    "error(setmetatable({}, { __tostring = function() return "
	    "'custom: ' .. name end }))",
	    "error(setmetatable({}, { __name = 'MyError' }))",
	    "error(print)",
	    "error(false)");
	const struct effect effects[RECORDS] = {
		FAIL("error", "custom: a"),
		FAIL("error", "error object: table"),
		FAIL("error", "error object: function"),
		FAIL("error", "error object: boolean false"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_error_object_at_the_top_level_is_described)
{
	const struct effect e = FAIL("load", "top level: error object: table");
	const struct effect effects[RECORDS] = { e, e, e, e };

	expect_chain("error({ code = 1 })\n", effects, NULL);
}
END_TEST

/* --- the file as the user gave it --------------------------------------- */

/* The plugin whose error names its file: line 2. */
static const char indexing_plugin[] =
	"function GetWorkloadTypeAndName(m)\n"
	"  local t = nil; return t.x\n"
	"end\n";

/* Runs luaward in dir, as a user there would (the binaries found by
 * their absolute path); returns what to give leave(). */
static int
enter(const char *dir)
{
	char *build = realpath(build_dir(), NULL);
	int back = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	ck_assert_ptr_nonnull(build);
	ck_assert_int_ne(back, -1);
	ck_assert_int_eq(setenv("LUAWARD_BUILD", build, 1), 0);
	ck_assert_int_eq(chdir(dir), 0);
	free(build);
	return back;
}

static void
leave(int back)
{
	ck_assert_int_eq(fchdir(back), 0);
	close(back);
}

/* resolve --plugins dir (from cwd, when not NULL): the error names
 * file. */
static void
expect_error_names(const char *cwd, const char *dir, const char *file)
{
	int back = cwd != NULL ? enter(cwd) : -1;
	char *expected = must_asprintf("{\"uid\":\"\",\"namespace\":\"\","
	    "\"name\":\"\",\"status\":\"unresolved\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\",\"errors\":[{\"plugin\":"
	    "\"10-index\",\"kind\":\"error\",\"message\":\"%s:2: attempt to "
	    "index a nil value (local 't')\"}]}\n", file);
	struct run_result r;

	run_luaward(&r, "{}\n", 3, 60, "resolve", "--plugins", dir, NULL);
	if (back != -1)
		leave(back);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, expected);
	run_result_free(&r);
	free(expected);
}

START_TEST(test_relative_plugin_directory_names_files_by_it)
{
	char *top = temp_dir(), *plugins = must_asprintf("%s/plugins", top);

	ck_assert_int_eq(mkdir(plugins, 0755), 0);
	free(write_text(plugins, "10-index.lua", indexing_plugin));
	expect_error_names(top, "plugins", "plugins/10-index.lua");
	/* No second slash after one the user typed. */
	expect_error_names(top, "plugins/", "plugins/10-index.lua");
	expect_error_names(top, "./plugins", "./plugins/10-index.lua");
	free(plugins);
	free(top);
}
END_TEST

START_TEST(test_absolute_plugin_directory_names_files_by_it)
{
	char *dir = plugin_dir("10-index.lua", indexing_plugin, NULL);
	char *path = must_asprintf("%s/10-index.lua", dir);
	char *shown = lua_shown_path(path);

	ck_assert_int_eq(dir[0], '/');
	expect_error_names(NULL, dir, shown);
	free(shown);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_check_names_the_file_as_given)
{
	char *top = temp_dir(), *sub = must_asprintf("%s/path", top);
	char *to = must_asprintf("%s/path/to", top);
	struct run_result r;
	int back;

	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(mkdir(to, 0755), 0);
	free(write_text(to, "x.lua", "local n = nil\nprint(#n)\n"));
	back = enter(top);
	run_luaward(&r, NULL, 0, 60, "check", "path/to/x.lua", NULL);
	leave(back);
	ck_assert_int_eq(r.status, 1);
	/* The report is on stderr; stdout is kept for --pods results. */
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, "path/to/x.lua:\n") == r.err &&
	    strstr(r.err, "  result: FAILED: top level: path/to/x.lua:2: "
	    "attempt to get length of a nil value (local 'n')\n") != NULL,
	    "%s", r.err);
	run_result_free(&r);
	free(to);
	free(sub);
	free(top);
}
END_TEST

START_TEST(test_plugin_tests_name_the_file_as_given)
{
	char *top = temp_dir(), *plugins = must_asprintf("%s/plugins", top);
	struct run_result r;
	int back;

	ck_assert_int_eq(mkdir(plugins, 0755), 0);
	free(write_text(plugins, "10-index.lua", indexing_plugin));
	free(write_text(top, "cases.jsonl", "{\"name\": \"indexes nil\", "
	    "\"metadata\": {}, \"expect\": {\"status\": \"unresolved\"}}\n"));
	back = enter(top);
	run_luaward(&r, NULL, 0, 60, "test", "--plugins", "plugins",
	    "cases.jsonl", NULL);
	leave(back);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "     error from 10-index (error): "
	    "plugins/10-index.lua:2: attempt to index a nil value (local "
	    "'t')\n") != NULL, "%s", r.out);
	run_result_free(&r);
	free(plugins);
	free(top);
}
END_TEST

/* --- unsupported types ------------------------------------------------------- */

/* The line explains itself, and the run is still a success: the plugin
 * did answer, and it is not luaward's to say it failed. */
START_TEST(test_unsupported_line_names_the_accepted_types)
{
	char *dir = plugin_dir("10-plural.lua", "function GetWorkloadTypeAndName"
	    "(m) return 'StatefulSets', 'db' end\n", NULL);
	struct run_result r;

	run_luaward(&r, "{\"name\":\"db-0\"}\n", 16, 60, "resolve",
	    "--plugins", dir, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"db-0\",\"status\":\"unsupported\",\"workloadType\":"
	    "\"StatefulSets\",\"workloadName\":\"db\",\"plugin\":"
	    "\"10-plural\",\"error\":\"\\\"StatefulSets\\\" is not a workload "
	    "type luaward accepts (Deployment, StatefulSet, ReplicaSet, "
	    "DaemonSet, ReplicationController, CloneSet)\"}\n");
	run_result_free(&r);
	free(dir);
}
END_TEST

/* --- answers that are not text ----------------------------------------------- */

#define NOT_CONTROL	"; a type or name must be text without control " \
			"characters"
#define NOT_UTF8	"; a type or name must be valid UTF-8"

/* A type or name goes into Kubernetes object names downstream: a control
 * character (C0, DEL, C1) in either is a bad-return naming the string and
 * the byte, however the output line would have escaped it. */
START_TEST(test_control_character_in_a_type_is_a_bad_return)
{
	char *source = per_record(
	    "return 'Deploy\\nment', 'web'",
	    "return '\\0DaemonSet', 'x'",
	    "return 'StatefulSet\\127', 'db'",
	    "return 'Stateful\\u{85}Set', 'db'");
	const struct effect effects[RECORDS] = {
		FAIL("bad-return", "the workload type has control character "
		    "U+000A at byte 7" NOT_CONTROL),
		FAIL("bad-return", "the workload type has control character "
		    "U+0000 at byte 1" NOT_CONTROL),
		FAIL("bad-return", "the workload type has control character "
		    "U+007F at byte 12" NOT_CONTROL),
		FAIL("bad-return", "the workload type has control character "
		    "U+0085 at byte 9" NOT_CONTROL),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_control_character_in_a_name_is_a_bad_return)
{
	char *source = per_record(
	    "return 'DaemonSet', 'web\\27[31m'",
	    "return 'DaemonSet', 'tab\\there'",
	    "return 'DaemonSet', '\\u{e9}\\u{9b}2J'",
	    "return '', 'x\\31'");
	const struct effect effects[RECORDS] = {
		FAIL("bad-return", "the workload name has control character "
		    "U+001B at byte 4" NOT_CONTROL),
		FAIL("bad-return", "the workload name has control character "
		    "U+0009 at byte 4" NOT_CONTROL),
		/* Counted in bytes: the é before it is two. */
		FAIL("bad-return", "the workload name has control character "
		    "U+009B at byte 3" NOT_CONTROL),
		/* Even in an answer that would not decide. */
		FAIL("bad-return", "the workload name has control character "
		    "U+001F at byte 2" NOT_CONTROL),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* Handed on exactly or not at all: replacing a byte with U+FFFD would
 * hand on a name the plugin never returned. */
START_TEST(test_invalid_utf8_in_an_answer_is_a_bad_return)
{
	char *source = per_record(
	    "return 'DaemonSet', 'a\\255b'",
	    "return 'Deploy\\192\\175', 'n'",
	    "return 'DaemonSet', 'x\\237\\160\\128'",
	    "return 'DaemonSet', 'xy\\244\\144\\128\\128'");
	const struct effect effects[RECORDS] = {
		FAIL("bad-return", "the workload name is not valid UTF-8 at "
		    "byte 2 (0xFF)" NOT_UTF8),
		FAIL("bad-return", "the workload type is not valid UTF-8 at "
		    "byte 7 (0xC0)" NOT_UTF8),
		FAIL("bad-return", "the workload name is not valid UTF-8 at "
		    "byte 2 (0xED)" NOT_UTF8),
		FAIL("bad-return", "the workload name is not valid UTF-8 at "
		    "byte 3 (0xF4)" NOT_UTF8),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* A worker's word is not trusted: one that sends a control character in
 * a REPLY itself (the fake worker, not Lua) gets the same bad-return. */
START_TEST(test_control_character_from_the_worker_itself_is_refused)
{
	char *dir = plugin_dir("10-fake.lua", "reply-control\n", NULL);
	char *worker = must_asprintf("%s/fake-worker", build_dir());
	struct run_result r;

	run_luaward(&r, "{\"name\":\"p\"}\n", 13, 60, "resolve", "--plugins",
	    dir, "--worker", worker, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.out, "\"kind\":\"bad-return\",\"message\":"
	    "\"the workload name has control character U+001B at byte 2"
	    NOT_CONTROL "\"") != NULL, "%s", r.out);
	run_result_free(&r);
	free(worker);
	free(dir);
}
END_TEST

Suite *
diagnostics_suite(void)
{
	Suite *s = suite_create("diagnostics");
	TCase *timeouts = tcase_create("timeouts");
	TCase *errors = tcase_create("error objects");
	TCase *paths = tcase_create("paths");
	TCase *answers = tcase_create("answers");

	tcase_set_timeout(timeouts, 240);
	tcase_add_test(timeouts, test_timeout_in_a_loop_names_its_file_and_line);
	tcase_add_test(timeouts,
	    test_timeout_in_a_nested_function_has_a_traceback);
	tcase_add_test(timeouts, test_timeout_in_a_coroutine_says_so);
	tcase_add_test(timeouts,
	    test_timeout_caught_by_pcall_names_where_it_first_stopped);
	tcase_add_test(timeouts, test_timeout_in_a_deep_recursion_is_cut_short);
	tcase_add_test(timeouts,
	    test_call_stuck_in_c_is_killed_naming_the_limit);
	suite_add_tcase(s, timeouts);

	tcase_set_timeout(errors, 120);
	tcase_add_test(errors, test_error_objects_are_described_by_type);
	tcase_add_test(errors, test_error_tables_use_tostring_or_their_type);
	tcase_add_test(errors, test_error_object_at_the_top_level_is_described);
	suite_add_tcase(s, errors);

	tcase_set_timeout(paths, 120);
	tcase_add_test(paths, test_relative_plugin_directory_names_files_by_it);
	tcase_add_test(paths, test_absolute_plugin_directory_names_files_by_it);
	tcase_add_test(paths, test_check_names_the_file_as_given);
	tcase_add_test(paths, test_plugin_tests_name_the_file_as_given);
	suite_add_tcase(s, paths);

	tcase_set_timeout(answers, 120);
	tcase_add_test(answers, test_unsupported_line_names_the_accepted_types);
	tcase_add_test(answers,
	    test_control_character_in_a_type_is_a_bad_return);
	tcase_add_test(answers,
	    test_control_character_in_a_name_is_a_bad_return);
	tcase_add_test(answers, test_invalid_utf8_in_an_answer_is_a_bad_return);
	tcase_add_test(answers,
	    test_control_character_from_the_worker_itself_is_refused);
	suite_add_tcase(s, answers);
	return s;
}
