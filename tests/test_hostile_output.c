/*
 * What comes back from a hostile plugin (the chain it runs in and the
 * contract every test checks are in hostile_support.h): the bytes and
 * sizes of the strings it returns, floods of log lines, error objects
 * that cannot be shown or never finish, an entry point that is replaced
 * or returns the wrong things, coroutines, the string library abused,
 * and an error at the top level; and what the sandbox keeps (os.date,
 * os.time, os.clock) still working.  What reaches the output stays one
 * well-formed line a record, and what reaches the terminal (stderr, the
 * check report) can neither forge a line nor send an escape sequence.
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
#include "utf8_reference.h"

/* --- what reaches the output: bytes, sizes -------------------------------- */

START_TEST(test_invalid_utf8_in_a_message_is_replaced)
{
	/* Each byte that does not start a valid sequence becomes U+FFFD:
	 * a stray byte, an overlong form, a surrogate, a code point past
	 * U+10FFFF, a truncated sequence. */
	expect_every_record_fails("error('a\\255b\\192\\175c\\237\\160\\128"
	    "d\\244\\144\\128\\128e\\226\\130f', 0)", "error",
	    "a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd"
	    "\\ufffd\\ufffde\\ufffd\\ufffdf");
}
END_TEST

START_TEST(test_valid_utf8_is_printed_unchanged)
{
	char *source = per_record(NULL,
	    "return 'DaemonSet', '\\u{E9}\\u{20AC}\\u{1D11E}'", NULL, NULL);
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("resolved", "DaemonSet",
		    "\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e"),
		PASS, PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_control_bytes_in_a_message_are_escaped)
{
	/* The short escapes where JSON has them, \u00XX for the rest; DEL
	 * and '/' need no escape. */
	expect_every_record_fails("error('\\1\\8\\9\\10\\12\\13\\27\\31"
	    "\"\\\\/\\127', 0)", "error", "\\u0001\\b\\t\\n\\f"
	    "\\r\\u001b\\u001f\\\"\\\\/\x7f");
}
END_TEST

START_TEST(test_workload_type_is_matched_on_all_its_bytes)
{
	/* Case is free; a trailing space makes another type, and a NUL
	 * makes no type at all. */
	char *source = per_record(NULL, "return 'DaemonSet\\0', 'x'",
	    "return 'daemonset ', 'y'", "return 'dAEMONsET', 'z'");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("bad-return", "the workload type has control character "
		    "U+0000 at byte 10; a type or name must be text without "
		    "control characters"),
		DECIDE("unsupported", "daemonset ", "y"),
		DECIDE("resolved", "DaemonSet", "z"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_error_message_cannot_forge_an_output_line)
{
	expect_every_record_fails("error('two\\nlines {\"uid\":\"forged\"}"
	    "\\t\\1\\31', 0)", "error", "two\\nlines {\\\"uid\\\":"
	    "\\\"forged\\\"}\\t\\u0001\\u001f");
}
END_TEST

START_TEST(test_returned_name_cannot_forge_fields)
{
	char *source = per_record(NULL,
	    "return 'DaemonSet', 'x\",\"plugin\":\"2-owner'", NULL, NULL);
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("resolved", "DaemonSet",
		    "x\\\",\\\"plugin\\\":\\\"2-owner"),
		PASS, PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_megabyte_name_is_a_bad_return)
{
	expect_every_record_fails("return 'DaemonSet', string.rep('n', "
	    "1048576)", "bad-return", "returned a string of 1048576 bytes; "
	    "at most 65536 are accepted");
}
END_TEST

START_TEST(test_sixty_kilobyte_name_is_printed_whole)
{
	char *source = per_record(NULL,
	    "return 'DaemonSet', string.rep('n', 61440)", NULL, NULL);
	char *name = malloc(61440 + 1);
	struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };

	ck_assert_ptr_nonnull(name);
	memset(name, 'n', 61440);
	name[61440] = '\0';
	effects[1] = (struct effect)DECIDE("resolved", "DaemonSet", name);
	expect_chain(source, effects, NULL);
	free(name);
	free(source);
}
END_TEST

START_TEST(test_returned_strings_are_limited_to_64_kib)
{
	char *source = per_record(NULL,
	    "return 'StatefulSet', string.rep('n', 65536)",
	    "return string.rep('t', 65537), 'x'", NULL);
	char *name = malloc(MAX_RESULT + 1);
	struct effect effects[RECORDS] = {
		PASS, PASS,
		FAIL("bad-return", "returned a string of 65537 bytes; at most "
		    "65536 are accepted"),
		PASS,
	};

	ck_assert_ptr_nonnull(name);
	memset(name, 'n', MAX_RESULT);
	name[MAX_RESULT] = '\0';
	effects[1] = (struct effect)DECIDE("resolved", "StatefulSet", name);
	expect_chain(source, effects, NULL);
	free(name);
	free(source);
}
END_TEST

START_TEST(test_long_error_message_is_cut_to_a_bounded_length)
{
	char *source = every_record("error(string.rep('x', 1000000), 0)");
	const struct effect e = FAIL_PART("error", "xxxxxxxxxxxxxxxx");
	const struct effect effects[RECORDS] = { e, e, e, e };
	struct run_result r;

	run_chain(&r, source, effects, NULL);
	for (size_t i = 0; i < RECORDS; i++) {
		char *line = line_of(r.out, i);

		ck_assert_uint_le(strlen(line), strlen(records[i].head) +
		    strlen(records[i].answer) + MAX_TEXT + 100);
		free(line);
	}
	run_result_free(&r);
	free(source);
}
END_TEST

/* --- log lines ------------------------------------------------------------ */

START_TEST(test_print_flood_is_bounded_and_rate_limited)
{
	/* 100 ms of print per call: tens of thousands of lines, of which
	 * stderr gets a bounded number, and says lines were dropped. */
	char *source = every_record("local t = os.clock() while os.clock() - t "
	    "< 0.1 do print('flood', t) end return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	const char *const options[] = { "--timeout", "3000", NULL };
	struct run_result r;
	size_t lines;

	run_chain(&r, source, effects, options);
	lines = count_lines_with(r.err, "plugin " HOSTILE ": ");
	ck_assert_msg(lines >= 10 && lines < 200, "%zu log lines", lines);
	ck_assert_uint_ge(count_lines_with(r.err, "plugin " HOSTILE ": flood"),
	    10);
	ck_assert_msg(strstr(r.err, "dropped") != NULL, "%.2000s", r.err);
	run_result_free(&r);
	free(source);
}
END_TEST

START_TEST(test_print_cannot_forge_log_lines_or_send_escapes)
{
	char *source = every_record("print('x\\nluaward: plugin 2-owner: "
	    "forged \\27[31mred') return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	struct run_result r;

	run_chain(&r, source, effects, NULL);
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: plugin " HOSTILE
	    ": x\\nluaward: plugin 2-owner: forged \\x1b[31mred"), RECORDS);
	ck_assert_uint_eq(count_lines_with(r.err, "plugin 2-owner"), RECORDS);
	ck_assert_ptr_null(strstr(r.err, "\nluaward: plugin 2-owner"));
	ck_assert_ptr_null(memchr(r.err, '\033', r.err_length));
	run_result_free(&r);
	free(source);
}
END_TEST

START_TEST(test_warn_flood_is_bounded_and_rate_limited)
{
	char *source = every_record("warn('@on') local t = os.clock() while "
	    "os.clock() - t < 0.1 do warn('w', 'x') end return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	const char *const options[] = { "--timeout", "3000", NULL };
	struct run_result r;
	size_t lines;

	run_chain(&r, source, effects, options);
	lines = count_lines_with(r.err, "plugin " HOSTILE ": ");
	ck_assert_msg(lines >= 10 && lines < 200, "%zu log lines", lines);
	ck_assert_uint_ge(count_lines_with(r.err, "plugin " HOSTILE
	    ": warning: wx"), 10);
	ck_assert_msg(strstr(r.err, "dropped") != NULL, "%.2000s", r.err);
	run_result_free(&r);
	free(source);
}
END_TEST

START_TEST(test_warnings_are_off_until_switched_on)
{
	char *source = every_record("for i = 1, 1000 do warn('quiet ', "
	    "tostring(i)) end return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	struct run_result r;

	run_chain(&r, source, effects, NULL);
	ck_assert_ptr_null(strstr(r.err, "quiet"));
	run_result_free(&r);
	free(source);
}
END_TEST

/* --- error objects -------------------------------------------------------- */

START_TEST(test_error_whose_tostring_never_returns_times_out)
{
	/* __tostring is plugin code: it runs under the call's deadline, so
	 * the hook ends it (and says it was there) and the worker is not
	 * killed. */
	char *source = per_record(NULL, "error(setmetatable({}, { __tostring "
	    "= function() while true do end end }))", NULL,
	    "return 'StatefulSet', 'call ' .. calls");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("timeout", "did not finish within 500 ms, at " HOSTILE
		    ".lua:8 in function '__tostring'"),
		PASS,
		DECIDE("resolved", "StatefulSet", "call 4"),
	};
	const char *const options[] = { "--timeout", "500", NULL };
	struct run_result r;

	run_chain(&r, source, effects, options);
	ck_assert_ptr_null(strstr(r.err, "killed"));
	run_result_free(&r);
	free(source);
}
END_TEST

START_TEST(test_error_whose_tostring_fails_cannot_be_shown)
{
	char *source = per_record(
	    "error(setmetatable({}, { __tostring = function() "
	    "error('inner') end }))",
	    "error(setmetatable({}, { __tostring = function() return {} "
	    "end }))",
	    "error(setmetatable({}, { __tostring = function() return "
	    "string.rep('x', 1e9) end }))",
	    "error(setmetatable({}, { __tostring = function() return 'shown' "
	    "end }))");
	const struct effect hidden = FAIL("error",
	    "(error object cannot be shown)");
	const struct effect effects[RECORDS] = {
		hidden,
		hidden,
		/* Its __tostring ran out of memory: that is what it was. */
		FAIL_PART("memory", "memory limit reached ("),
		FAIL("error", "shown"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_error_that_is_a_plain_table_is_shown_by_type)
{
	/* Its type, never an address. */
	char *source = every_record("error({})");
	const struct effect e = FAIL("error", "error object: table");
	const struct effect effects[RECORDS] = { e, e, e, e };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_close_handler_that_never_returns_times_out)
{
	char *source = per_record(NULL, "local x <close> = setmetatable({}, "
	    "{ __close = function() while true do end end }) error('first', 0)",
	    NULL, "return 'StatefulSet', 'call ' .. calls");
	/* The handler runs after the entry point's frame is gone. */
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("timeout", "did not finish within 500 ms, at " HOSTILE
		    ".lua:8 in function <" HOSTILE ".lua:8>"),
		PASS,
		DECIDE("resolved", "StatefulSet", "call 4"),
	};
	const char *const options[] = { "--timeout", "500", NULL };

	expect_chain(source, effects, options);
	free(source);
}
END_TEST

/* --- the entry point and what it returns ---------------------------------- */

START_TEST(test_entry_point_replaced_during_a_call)
{
	char *source = per_record("GetWorkloadTypeAndName = 42", NULL, NULL,
	    NULL);
	const struct effect gone = FAIL("error", "GetWorkloadTypeAndName is "
	    "no longer a function (it is number)");
	const struct effect effects[RECORDS] = { PASS, gone, gone, gone };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_callable_table_is_not_an_entry_point)
{
	const struct effect e = FAIL("load", "does not define function "
	    "GetWorkloadTypeAndName (found table)");
	const struct effect effects[RECORDS] = { e, e, e, e };

	expect_chain("GetWorkloadTypeAndName = setmetatable({}, { __call = "
	    "function() return 'Deployment', 'x' end })\n", effects, NULL);
}
END_TEST

START_TEST(test_extra_return_values_are_ignored)
{
	char *source = per_record("return '', '', 'Deployment', 'x'",
	    "return 'statefulset', 'db', 'extra', {}",
	    "return '', '', nil, 'z'", NULL);
	const struct effect effects[RECORDS] = {
		PASS, DECIDE("resolved", "StatefulSet", "db"), PASS, PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_numbers_are_a_bad_return)
{
	/* Lua would convert them to strings; the contract wants strings. */
	char *source = per_record("return 1, 2", "return 'Deployment', 7",
	    "return 7, 'x'", "return 1e300, 0.5");
	const struct effect effects[RECORDS] = {
		FAIL("bad-return", "returned (number, number); expected two "
		    "strings"),
		FAIL("bad-return", "returned (string, number); expected two "
		    "strings"),
		FAIL("bad-return", "returned (number, string); expected two "
		    "strings"),
		FAIL("bad-return", "returned (number, number); expected two "
		    "strings"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_one_empty_string_does_not_decide)
{
	char *source = per_record("return '', 'x'", "return 'Deployment', ''",
	    "return '', ''", NULL);
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- coroutines ----------------------------------------------------------- */

START_TEST(test_yield_across_the_call_boundary_is_an_error)
{
	char *source = per_record("coroutine.yield()",
	    "coroutine.yield('Deployment', 'x')",
	    "local co = coroutine.wrap(function() return "
	    "coroutine.isyieldable() end) return 'StatefulSet', "
	    "tostring(co()) .. ' ' .. tostring(coroutine.isyieldable())",
	    "return 'StatefulSet', coroutine.wrap(function() "
	    "coroutine.yield('inner') end)()");
	const struct effect effects[RECORDS] = {
		FAIL("error", "attempt to yield from outside a coroutine"),
		FAIL("error", "attempt to yield from outside a coroutine"),
		DECIDE("resolved", "StatefulSet", "true false"),
		DECIDE("resolved", "StatefulSet", "inner"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- string library abuse ------------------------------------------------- */

START_TEST(test_string_rep_and_format_abuse_is_contained)
{
	char *source = per_record("return string.rep('ab', math.maxinteger)",
	    "return string.format('%99999999d', 1)",
	    "return 'x', string.rep('x', 2^30)",
	    "return 'StatefulSet', tostring(#string.format('%99d', 1))");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: resulting string too large"),
		FAIL("error", HOSTILE ".lua:8: invalid conversion "
		    "specification: '%99999999d'"),
		FAIL_PART("memory", "memory limit reached ("),
		DECIDE("resolved", "StatefulSet", "99"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- what is kept works --------------------------------------------------- */

START_TEST(test_os_date_time_and_clock_work_in_utc)
{
	char *source = per_record(NULL,
	    "return 'StatefulSet', os.date('!%Y', 0)", NULL,
	    "return 'StatefulSet', os.date('%Y-%m-%d %H:%M:%S', 90061) .. "
	    "' ' .. os.time({ year = 2000, month = 1, day = 1, hour = 0 }) .. "
	    "' ' .. math.type(os.clock()) .. ' ' .. os.difftime(10, 4)");
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("resolved", "StatefulSet", "1970"),
		PASS,
		DECIDE("resolved", "StatefulSet",
		    "1970-01-02 01:01:01 946684800 float 6.0"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- the top level -------------------------------------------------------- */

START_TEST(test_top_level_error_whose_tostring_never_returns)
{
	const struct effect e = FAIL("load",
	    "top level: timeout: did not finish within 1000 ms, at " HOSTILE
	    ".lua:1 in function '__tostring'");
	const struct effect effects[RECORDS] = { e, e, e, e };
	const char *const options[] = { "--load-timeout", "1000", NULL };

	expect_chain("error(setmetatable({}, { __tostring = function() "
	    "while true do end end }))\n"
	    "function GetWorkloadTypeAndName(m) return 'Deployment', 'never' "
	    "end\n", effects, options);
}
END_TEST

/* --- text for the terminal ------------------------------------------------ */

/*
 * What luaward printed for a person is safe on a terminal: valid UTF-8,
 * no control byte but tab and the newline that ends each line, no C1
 * control, bidi control or line separator; each line starts with start
 * (NULL: any start) and none is a forged "luaward: forged" line.
 */
static void
expect_terminal_safe(const char *text, size_t length, const char *start)
{
	const unsigned char *p = (const unsigned char *)text;
	bool line_start = true;

	for (size_t i = 0; i < length;) {
		uint32_t cp;
		size_t n = reference_decode(p + i, length - i, &cp);

		if (line_start) {
			ck_assert_msg(start == NULL || strncmp(text + i, start,
			    strlen(start)) == 0, "a line starts '%.40s' in:\n"
			    "%s", text + i, text);
			ck_assert_msg(strncmp(text + i, "luaward: forged",
			    15) != 0, "a forged line in:\n%s", text);
		}
		ck_assert_msg(n > 0, "invalid UTF-8 at %zu: %.40s", i,
		    text + i);
		ck_assert_msg(cp == '\t' || cp == '\n' || (cp >= 0x20 &&
		    cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f) &&
		    cp != 0x061c && cp != 0x200e && cp != 0x200f &&
		    cp != 0x2028 && cp != 0x2029 && !(cp >= 0x202a &&
		    cp <= 0x202e) && !(cp >= 0x2066 && cp <= 0x2069)),
		    "U+%04X at %zu: %.60s", (unsigned)cp, i, text + (i > 20 ?
		    i - 20 : 0));
		line_start = cp == '\n';
		i += n;
	}
}

/* Lua source for a message with everything a terminal acts on. */
#define HOSTILE_TEXT	"x\\n luaward: forged\\r\\27]0;title\\7 " \
	"\\27[31mred \\u{202e}rev \\u{9b}2J \\u{2028}sep \\xff " \
	"\xe4\xb8\xad\xe6\x96\x87"
/* The same, as the log shows it. */
#define HOSTILE_SHOWN	"x\\n luaward: forged\\r\\x1b]0;title\\x07 " \
	"\\x1b[31mred \\u202erev \\u009b2J \\u2028sep \\xff " \
	"\xe4\xb8\xad\xe6\x96\x87"

START_TEST(test_top_level_error_cannot_forge_lines_or_send_escapes)
{
	const struct effect e = FAIL_PART("load", "top level: x\\n luaward: "
	    "forged\\r\\u001b]0;title\\u0007 \\u001b[31mred \xe2\x80\xaerev ");
	const struct effect effects[RECORDS] = { e, e, e, e };
	const char *const options[] = { "--verbose", "--stats", NULL };
	struct run_result r;

	run_chain(&r, "error('" HOSTILE_TEXT "', 0)\n", effects, options);
	expect_terminal_safe(r.err, r.err_length, "luaward: ");
	/* Said as a warning and again with the layers (--verbose). */
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: warning: plugin "
	    HOSTILE ": not loaded: top level: " HOSTILE_SHOWN), 1);
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: plugin " HOSTILE
	    ": not loaded: top level: " HOSTILE_SHOWN), 1);
	run_result_free(&r);
}
END_TEST

START_TEST(test_call_time_error_and_print_reach_stderr_cleaned)
{
	char *source = every_record("print('" HOSTILE_TEXT "') "
	    "error('e\\n luaward: forged \\27[31m', 0)");
	const struct effect e = FAIL("error", "e\\n luaward: forged "
	    "\\u001b[31m");
	const struct effect effects[RECORDS] = { e, e, e, e };
	const char *const options[] = { "--verbose", "--stats", NULL };
	struct run_result r;

	run_chain(&r, source, effects, options);
	expect_terminal_safe(r.err, r.err_length, "luaward: ");
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: plugin " HOSTILE
	    ": " HOSTILE_SHOWN), RECORDS);
	run_result_free(&r);
	free(source);
}
END_TEST

/* A file name with a newline, escapes and a bidi override. */
#define EVIL_NAME	"1-\x1b]0;t\x07\x1b[31mred\nluaward: forged\xe2\x80\xae"
#define EVIL_SHOWN	"1-\\x1b]0;t\\x07\\x1b[31mred\\nluaward: forged\\u202e"
#define EVIL_JSON	"1-\\u001b]0;t\\u0007\\u001b[31mred\\nluaward: " \
	"forged\xe2\x80\xae"

START_TEST(test_plugin_file_name_cannot_forge_lines_or_send_escapes)
{
	char *dir = plugin_dir(EVIL_NAME ".lua", "function "
	    "GetWorkloadTypeAndName(m) print('hi') error('no', 0) end\n",
	    "2-" EVIL_NAME ".lua", "error('top', 0)\n",
	    "3-last.lua", last_plugin, NULL);
	struct run_result r;
	char *line;

	run_luaward(&r, input, strlen(input), 60, "resolve", "--plugins", dir,
	    "--verbose", "--stats", NULL);
	ck_assert_msg(count_lines(r.out) == RECORDS, "%s%s", r.out, r.err);
	line = line_of(r.out, 0);
	ck_assert_ptr_nonnull(strstr(line, "\"errors\":[{\"plugin\":\""
	    EVIL_JSON "\",\"kind\":\"error\",\"message\":\"no\"},{\"plugin\":"
	    "\"2-" EVIL_JSON "\",\"kind\":\"load\",\"message\":\"top level: "
	    "top\"}]}"));
	free(line);
	expect_terminal_safe(r.err, r.err_length, "luaward: ");
	/* Its print, its layers, its stats; the other's load failure. */
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: plugin " EVIL_SHOWN
	    ": hi"), RECORDS);
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: plugin " EVIL_SHOWN
	    ": sandbox layers:"), 1);
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: plugin " EVIL_SHOWN
	    ": 4 calls"), 1);
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: warning: plugin 2-"
	    EVIL_SHOWN ": not loaded: top level: top"), 1);
	run_result_free(&r);
	free(dir);
}
END_TEST

START_TEST(test_check_report_cannot_be_forged)
{
	char *dir = temp_dir(), *expected;
	char *path = write_text(dir, EVIL_NAME ".lua", "error('" HOSTILE_TEXT
	    "\\n  result: ok', 0)\n");
	struct run_result r;

	run_luaward(&r, NULL, 0, 60, "check", path, NULL);
	ck_assert_int_eq(r.status, 1);
	/* The report is on stderr, stdout carries data only. */
	ck_assert_str_eq(r.out, "");
	expect_terminal_safe(r.err, r.err_length, NULL);
	ck_assert_int_ne(asprintf(&expected, "%s/" EVIL_SHOWN ".lua:\n"
	    "  compiles: yes\n"
	    "  defines GetWorkloadTypeAndName: unknown (the top level "
	    "failed)\n"
	    "  result: FAILED: top level: " HOSTILE_SHOWN "\\n  result: ok\n",
	    dir), -1);
	ck_assert_str_eq(r.err, expected);
	free(expected);
	run_result_free(&r);
	free(path);
	free(dir);
}
END_TEST

Suite *
hostile_output_suite(void)
{
	Suite *s = suite_create("hostile_output");
	TCase *output = tcase_create("output");
	TCase *calls = tcase_create("calls");
	TCase *terminal = tcase_create("terminal");

	tcase_set_timeout(output, 120);
	tcase_add_test(output, test_invalid_utf8_in_a_message_is_replaced);
	tcase_add_test(output, test_valid_utf8_is_printed_unchanged);
	tcase_add_test(output, test_control_bytes_in_a_message_are_escaped);
	tcase_add_test(output, test_workload_type_is_matched_on_all_its_bytes);
	tcase_add_test(output, test_error_message_cannot_forge_an_output_line);
	tcase_add_test(output, test_returned_name_cannot_forge_fields);
	tcase_add_test(output, test_megabyte_name_is_a_bad_return);
	tcase_add_test(output, test_sixty_kilobyte_name_is_printed_whole);
	tcase_add_test(output, test_returned_strings_are_limited_to_64_kib);
	tcase_add_test(output,
	    test_long_error_message_is_cut_to_a_bounded_length);
	tcase_add_test(output, test_print_flood_is_bounded_and_rate_limited);
	tcase_add_test(output,
	    test_print_cannot_forge_log_lines_or_send_escapes);
	tcase_add_test(output, test_warn_flood_is_bounded_and_rate_limited);
	tcase_add_test(output, test_warnings_are_off_until_switched_on);
	suite_add_tcase(s, output);

	tcase_set_timeout(calls, 120);
	tcase_add_test(calls,
	    test_error_whose_tostring_never_returns_times_out);
	tcase_add_test(calls, test_error_whose_tostring_fails_cannot_be_shown);
	tcase_add_test(calls,
	    test_error_that_is_a_plain_table_is_shown_by_type);
	tcase_add_test(calls, test_close_handler_that_never_returns_times_out);
	tcase_add_test(calls, test_entry_point_replaced_during_a_call);
	tcase_add_test(calls, test_callable_table_is_not_an_entry_point);
	tcase_add_test(calls, test_extra_return_values_are_ignored);
	tcase_add_test(calls, test_numbers_are_a_bad_return);
	tcase_add_test(calls, test_one_empty_string_does_not_decide);
	tcase_add_test(calls, test_yield_across_the_call_boundary_is_an_error);
	tcase_add_test(calls, test_string_rep_and_format_abuse_is_contained);
	tcase_add_test(calls, test_os_date_time_and_clock_work_in_utc);
	tcase_add_test(calls,
	    test_top_level_error_whose_tostring_never_returns);
	suite_add_tcase(s, calls);

	tcase_set_timeout(terminal, 120);
	tcase_add_test(terminal,
	    test_top_level_error_cannot_forge_lines_or_send_escapes);
	tcase_add_test(terminal,
	    test_call_time_error_and_print_reach_stderr_cleaned);
	tcase_add_test(terminal,
	    test_plugin_file_name_cannot_forge_lines_or_send_escapes);
	tcase_add_test(terminal, test_check_report_cannot_be_forged);
	suite_add_tcase(s, terminal);
	return s;
}
