/*
 * Hostile plugins reaching out of the sandbox (the chain they run in and
 * the contract every test checks are in hostile_support.h): files and
 * processes through every Lua route, bytecode, require, the debug
 * library, load() with its own environment, and a forbidden call at the
 * top level.  Each is refused by name, or fails the way worker/luaenv.c
 * documents, and the plugins after it answer as they would without it.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "hostile_support.h"
#include "suites.h"

/* --- files and processes, through every Lua route ------------------------- */

START_TEST(test_io_open_is_refused_by_name)
{
	char *victims = temp_dir(), *written = must_asprintf("%s/written",
	    victims);
	char *b = must_asprintf("io.open('%s', 'w'):write('x')", written);
	char *source = per_record("io.open('/etc/passwd')", b,
	    "local ok, e = pcall(io.open, '/etc/passwd') error(e, 0)",
	    "return io.open('/dev/null'):read('a')");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " REFUSED("io.open")),
		FAIL("error", HOSTILE ".lua:8: " REFUSED("io.open")),
		/* Called by pcall, a C function: no position to show. */
		FAIL("error", REFUSED("io.open")),
		FAIL("error", HOSTILE ".lua:12: " REFUSED("io.open")),
	};

	expect_chain(source, effects, NULL);
	ck_assert_int_ne(access(written, F_OK), 0);
	free(source);
	free(b);
	free(written);
	free(victims);
}
END_TEST

START_TEST(test_io_lines_is_refused_by_name)
{
	expect_refused("for line in io.lines('/etc/passwd') do end",
	    "io.lines");
}
END_TEST

START_TEST(test_io_read_write_and_output_are_refused_by_name)
{
	expect_refused("return io.read('l'), ''", "io.read");
	expect_refused("io.write('to the supervisor\\n')", "io.write");
	expect_refused("io.output('/tmp/luaward-hostile')", "io.output");
}
END_TEST

START_TEST(test_io_input_is_refused_by_name)
{
	expect_refused("io.input('/etc/passwd')", "io.input");
}
END_TEST

START_TEST(test_io_popen_is_refused_by_name)
{
	expect_refused("return 'Deployment', io.popen('id'):read('a')",
	    "io.popen");
}
END_TEST

START_TEST(test_io_tmpfile_is_refused_by_name)
{
	expect_refused("io.tmpfile():write('x')", "io.tmpfile");
}
END_TEST

START_TEST(test_io_standard_files_are_not_file_handles)
{
	/* io.stdin/stdout/stderr are stubs too: indexing one fails before
	 * anything is written. */
	char *source = per_record("io.stdout:write('x')",
	    "io.stderr:write('x')", "return io.stdin:read('a')",
	    "return 'StatefulSet', io.type(io.stdout)");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: attempt to index a function "
		    "value (field 'stdout')"),
		FAIL("error", HOSTILE ".lua:8: attempt to index a function "
		    "value (field 'stderr')"),
		FAIL("error", HOSTILE ".lua:10: attempt to index a function "
		    "value (field 'stdin')"),
		FAIL("error", HOSTILE ".lua:12: " REFUSED("io.type")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_dofile_is_refused_by_name)
{
	expect_refused("dofile('/etc/passwd')", "dofile");
}
END_TEST

START_TEST(test_loadfile_is_refused_by_name)
{
	expect_refused("local f = loadfile('/etc/passwd') return f()",
	    "loadfile");
}
END_TEST

START_TEST(test_require_of_a_file_module_fails)
{
	/* evil.lua exists and is readable on the host, and package.path
	 * points at it: require still knows only preloaded modules. */
	char *modules = temp_dir(), *b, *source;
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " NOT_PRELOADED("os.path")),
		FAIL("error", HOSTILE ".lua:8: " NOT_PRELOADED("evil")),
		FAIL("error", HOSTILE ".lua:10: " NOT_PRELOADED("3-last")),
		DECIDE("resolved", "StatefulSet", "nil"),
	};

	free(write_file(modules, "evil.lua", "return { pwned = true }\n", 24));
	b = must_asprintf("package.path = '%s/?.lua;' .. package.path "
	    "return require('evil')", modules);
	source = per_record("return require('os.path')", b,
	    "package.path = './?.lua' return require('3-last')",
	    "return 'StatefulSet', tostring(package.loaded.evil)");
	expect_chain(source, effects, NULL);
	free(source);
	free(b);
	free(modules);
}
END_TEST

START_TEST(test_package_loadlib_is_refused_by_name)
{
	expect_refused("package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', "
	    "'system')('id')", "package.loadlib");
}
END_TEST

START_TEST(test_package_searchpath_is_refused_by_name)
{
	expect_refused("return package.searchpath('passwd', '/etc/?')",
	    "package.searchpath");
}
END_TEST

START_TEST(test_package_has_no_searchers_and_no_cpath)
{
	expect_every_record_fails("error('searchers: ' .. "
	    "#package.searchers .. ', cpath: [' .. package.cpath .. ']', 0)",
	    "error", "searchers: 0, cpath: []");
}
END_TEST

START_TEST(test_os_execute_is_refused_by_name)
{
	char *victims = temp_dir(), *touched = must_asprintf("%s/touched",
	    victims);
	char *code = must_asprintf("os.execute('touch %s')", touched);

	expect_refused(code, "os.execute");
	ck_assert_int_ne(access(touched, F_OK), 0);
	free(code);
	free(touched);
	free(victims);
}
END_TEST

START_TEST(test_os_remove_and_rename_are_refused_by_name)
{
	char *victims = temp_dir();
	char *victim = write_file(victims, "victim", "x", 1);
	char *renamed = must_asprintf("%s/renamed", victims);
	char *a = must_asprintf("os.remove('%s')", victim);
	char *b = must_asprintf("os.rename('%s', '%s')", victim, renamed);
	char *c = must_asprintf("local ok, e = pcall(os.remove, '%s') "
	    "error(e, 0)", victim);
	char *source = per_record(a, b, c, NULL);
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " REFUSED("os.remove")),
		FAIL("error", HOSTILE ".lua:8: " REFUSED("os.rename")),
		FAIL("error", REFUSED("os.remove")),
		PASS,
	};

	expect_chain(source, effects, NULL);
	ck_assert_int_eq(access(victim, F_OK), 0);
	ck_assert_int_ne(access(renamed, F_OK), 0);
	free(source);
	free(c);
	free(b);
	free(a);
	free(renamed);
	free(victim);
	free(victims);
}
END_TEST

START_TEST(test_os_tmpname_is_refused_by_name)
{
	expect_refused("return 'Deployment', os.tmpname()", "os.tmpname");
}
END_TEST

START_TEST(test_os_getenv_is_refused_by_name)
{
	expect_refused("return 'Deployment', os.getenv('PATH')", "os.getenv");
}
END_TEST

START_TEST(test_os_exit_is_refused_and_the_worker_lives_on)
{
	char *source = per_record(NULL, "os.exit(0)", NULL,
	    "return 'StatefulSet', 'call ' .. calls");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("error", HOSTILE ".lua:8: " REFUSED("os.exit")),
		PASS,
		/* The same process made all four calls. */
		DECIDE("resolved", "StatefulSet", "call 4"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_os_setlocale_is_refused_by_name)
{
	expect_refused("os.setlocale('C.UTF-8')", "os.setlocale");
}
END_TEST

/* --- bytecode ------------------------------------------------------------- */

START_TEST(test_string_dump_is_refused_by_name)
{
	/* Also through a string's metatable, which indexes the same table. */
	char *source = per_record("return string.dump(GetWorkloadTypeAndName)",
	    "return ('').dump(print)",
	    "return getmetatable('').__index.dump(print)",
	    "local ok, e = pcall(string.dump, print) error(e, 0)");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " REFUSED("string.dump")),
		FAIL("error", HOSTILE ".lua:8: " REFUSED("string.dump")),
		FAIL("error", HOSTILE ".lua:10: " REFUSED("string.dump")),
		FAIL("error", REFUSED("string.dump")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_binary_chunk_is_not_loaded)
{
	/* Whatever the route (a string, a reader function, an environment,
	 * an explicit 't'), load() compiles text only. */
	char *source = per_record(
	    "local f, e = load('\\27Lua\\84\\0') error(e, 0)",
	    "local sent = false local f, e = load(function() if sent then "
	    "return nil end sent = true return '\\27Lua' end) error(e, 0)",
	    "local f, e = load('\\27Lua', 'x', nil, {}) error(e, 0)",
	    "local f, e = load('\\27Lua', 'x', 't') error(e, 0)");
	const struct effect e = FAIL("error",
	    "attempt to load a binary chunk (mode is 't')");
	const struct effect effects[RECORDS] = { e, e, e, e };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_load_modes_with_binary_are_refused_by_name)
{
	static const char *const modes[] = { "b", "bt", "tb" };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char *code = must_asprintf("return load('return 1', 'x', "
		    "'%s')", modes[i]);
		char *message = must_asprintf(HOSTILE ".lua:2: load: binary "
		    "chunks are not available in the sandbox (mode '%s')",
		    modes[i]);

		expect_every_record_fails(code, "error", message);
		free(message);
		free(code);
	}
}
END_TEST

/* --- require -------------------------------------------------------------- */

START_TEST(test_require_of_c_modules_fails)
{
	char *source = per_record("return require('lpeg')",
	    "return require('socket')", "return require('lfs')",
	    "return require('posix.unistd')");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " NOT_PRELOADED("lpeg")),
		FAIL("error", HOSTILE ".lua:8: " NOT_PRELOADED("socket")),
		FAIL("error", HOSTILE ".lua:10: " NOT_PRELOADED("lfs")),
		FAIL("error", HOSTILE ".lua:12: "
		    NOT_PRELOADED("posix.unistd")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_require_of_io_and_debug_fails)
{
	/* Only preloaded modules: io and debug were never opened, and
	 * require('os') gives the sandboxed os. */
	char *source = per_record("return require('io')",
	    "return require('debug')",
	    "return 'StatefulSet', tostring(pcall(require, 'debug'))",
	    "require('os').execute('id')");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " NOT_PRELOADED("io")),
		FAIL("error", HOSTILE ".lua:8: " NOT_PRELOADED("debug")),
		DECIDE("resolved", "StatefulSet", "false"),
		FAIL("error", HOSTILE ".lua:12: " REFUSED("os.execute")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- debug ---------------------------------------------------------------- */

START_TEST(test_debug_functions_are_refused_by_name)
{
	char *source = per_record("return debug.getregistry()",
	    "debug.getmetatable('').__index = {}",
	    "debug.upvaluejoin(GetWorkloadTypeAndName, 1, print, 1)",
	    "return debug.getinfo(1).source, ''");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " REFUSED("debug.getregistry")),
		FAIL("error", HOSTILE ".lua:8: " REFUSED("debug.getmetatable")),
		FAIL("error", HOSTILE ".lua:10: " REFUSED("debug.upvaluejoin")),
		FAIL("error", HOSTILE ".lua:12: " REFUSED("debug.getinfo")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- load() reaching for what the sandbox took away ----------------------- */

START_TEST(test_loaded_text_reaching_for_io_is_refused_by_name)
{
	expect_every_record_fails(
	    "return load(\"return io.open('/etc/passwd')\")()", "error",
	    "[string \\\"return io.open('/etc/passwd')\\\"]:1: "
	    REFUSED("io.open"));
}
END_TEST

START_TEST(test_load_with_a_custom_environment_gives_nothing_new)
{
	char *source = per_record(
	    "error(tostring(load('return io', 'x', 't', {})()), 0)",
	    "return load('return io.open(\"/etc/passwd\")', 'x', 't', "
	    "{ io = io })()",
	    "return load('return require(\"io\")', 'x', 't', "
	    "{ require = require })()",
	    "return load('return debug.getregistry()', '=env', 't', "
	    "{ debug = debug })()");
	const struct effect effects[RECORDS] = {
		FAIL("error", "nil"),
		FAIL("error", "[string \\\"x\\\"]:1: " REFUSED("io.open")),
		FAIL("error", "[string \\\"x\\\"]:1: " NOT_PRELOADED("io")),
		FAIL("error", "env:1: " REFUSED("debug.getregistry")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- the top level -------------------------------------------------------- */

START_TEST(test_forbidden_call_at_top_level_is_a_load_error)
{
	const struct effect e = FAIL("load", "top level: " HOSTILE ".lua:1: "
	    REFUSED("io.open"));
	const struct effect effects[RECORDS] = { e, e, e, e };
	struct run_result r;
	const char *said;

	run_chain(&r, "local f = io.open('/etc/passwd')\n"
	    "function GetWorkloadTypeAndName(m) return 'Deployment', 'never' "
	    "end\n", effects, NULL);
	/* Said once on stderr, not once per record. */
	said = strstr(r.err, "plugin " HOSTILE ": not loaded");
	ck_assert_ptr_nonnull(said);
	ck_assert_ptr_null(strstr(said + 1, "plugin " HOSTILE ": not loaded"));
	run_result_free(&r);
}
END_TEST

Suite *
hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *reach = tcase_create("reaching out");

	tcase_set_timeout(reach, 120);
	tcase_add_test(reach, test_io_open_is_refused_by_name);
	tcase_add_test(reach, test_io_lines_is_refused_by_name);
	tcase_add_test(reach,
	    test_io_read_write_and_output_are_refused_by_name);
	tcase_add_test(reach, test_io_input_is_refused_by_name);
	tcase_add_test(reach, test_io_popen_is_refused_by_name);
	tcase_add_test(reach, test_io_tmpfile_is_refused_by_name);
	tcase_add_test(reach, test_io_standard_files_are_not_file_handles);
	tcase_add_test(reach, test_dofile_is_refused_by_name);
	tcase_add_test(reach, test_loadfile_is_refused_by_name);
	tcase_add_test(reach, test_require_of_a_file_module_fails);
	tcase_add_test(reach, test_package_loadlib_is_refused_by_name);
	tcase_add_test(reach, test_package_searchpath_is_refused_by_name);
	tcase_add_test(reach, test_package_has_no_searchers_and_no_cpath);
	tcase_add_test(reach, test_os_execute_is_refused_by_name);
	tcase_add_test(reach, test_os_remove_and_rename_are_refused_by_name);
	tcase_add_test(reach, test_os_tmpname_is_refused_by_name);
	tcase_add_test(reach, test_os_getenv_is_refused_by_name);
	tcase_add_test(reach, test_os_exit_is_refused_and_the_worker_lives_on);
	tcase_add_test(reach, test_os_setlocale_is_refused_by_name);
	tcase_add_test(reach, test_string_dump_is_refused_by_name);
	tcase_add_test(reach, test_binary_chunk_is_not_loaded);
	tcase_add_test(reach, test_load_modes_with_binary_are_refused_by_name);
	tcase_add_test(reach, test_require_of_c_modules_fails);
	tcase_add_test(reach, test_require_of_io_and_debug_fails);
	tcase_add_test(reach, test_debug_functions_are_refused_by_name);
	tcase_add_test(reach,
	    test_loaded_text_reaching_for_io_is_refused_by_name);
	tcase_add_test(reach,
	    test_load_with_a_custom_environment_gives_nothing_new);
	tcase_add_test(reach, test_forbidden_call_at_top_level_is_a_load_error);
	suite_add_tcase(s, reach);
	return s;
}
