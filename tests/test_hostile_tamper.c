/*
 * Hostile plugins tampering with what they are given (the chain they run
 * in and the contract every test checks are in hostile_support.h): a
 * debug hook against the deadline, the string metatable, replaced string
 * functions, the globals' metatable, the collector, and large
 * allocations.  Each plugin has its own process: the tampering reaches
 * only the hostile plugin's own later calls, never the plugins after it.
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

/*
 * Runs a per_record() plugin (the code for records a, b, c and d) with
 * options (or NULL) and checks each record's line against its effect.
 */
static void
expect_records(const char *a, const char *b, const char *c, const char *d,
    const struct effect effects[RECORDS], const char *const *options)
{
	char *source = per_record(a, b, c, d);

	expect_chain(source, effects, options);
	free(source);
}

/* A 16 MB heap, and a deadline generous enough that these are about
 * memory, not time. */
static const char *const small_heap[] = { "--memory", "16", "--timeout",
    "3000", NULL };

/* --- debug ---------------------------------------------------------------- */

START_TEST(test_debug_sethook_cannot_remove_the_deadline)
{
	/* The attempts fail (caught here), and the loop after them still
	 * meets the deadline hook; the worker goes on with the next call. */
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("timeout", "did not finish within 500 ms, at " HOSTILE
		    ".lua:8 in function 'GetWorkloadTypeAndName'"),
		PASS,
		DECIDE("resolved", "StatefulSet", "call 4"),
	};
	const char *const options[] = { "--timeout", "500", NULL };

	expect_records(NULL,
	    "pcall(debug.sethook) pcall(debug.sethook, nil) while true do end",
	    NULL, "return 'StatefulSet', 'call ' .. calls", effects, options);
}
END_TEST

/* --- metatables and globals: only the plugin's own later calls ------------ */

START_TEST(test_string_metatable_tampering_stays_in_its_plugin)
{
	/* 2-owner calls string methods (dkjson, owner.name:gsub) on every
	 * record it answers: its answers are unchanged. */
	const struct effect gone = FAIL("error", "string methods are gone");
	const struct effect effects[RECORDS] = { PASS, gone, gone, gone };

	expect_records("getmetatable('').__index = function() "
	    "error('string methods are gone', 0) end",
	    "return 'StatefulSet', name:upper()",
	    "return 'StatefulSet', name:upper()",
	    "return 'StatefulSet', name:upper()", effects, NULL);
}
END_TEST

START_TEST(test_replaced_string_functions_stay_in_their_plugin)
{
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("error", "pwned pwned"),
		FAIL("error", "pwned"),
		PASS,
	};

	expect_records("string.gsub = function() return 'pwned' "
	    "end string.format = string.gsub",
	    "error(string.gsub('web-5f7d9', '%-[^-]+$', '') .. ' ' .. "
	    "string.format('%d', 1), 0)",
	    "error(('api-6c8b4'):gsub('%-[^-]+$', ''), 0)",
	    NULL, effects, NULL);
}
END_TEST

START_TEST(test_globals_metatable_stays_in_its_plugin)
{
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("error", "no new global seen"),
		FAIL("error", "no global undefined_global"),
		DECIDE("resolved", "StatefulSet", "nil"),
	};

	expect_records("setmetatable(_G, { __index = function(_, k) "
	    "error('no global ' .. k, 0) end, __newindex = function(_, k) "
	    "error('no new global ' .. k, 0) end })",
	    "seen = true",
	    "return undefined_global, ''",
	    "return 'StatefulSet', tostring(rawget(_G, 'seen'))", effects,
	    NULL);
}
END_TEST

START_TEST(test_globals_metatable_cannot_fake_the_entry_point)
{
	/* With the real function gone, __index answers 42 for it. */
	const struct effect gone = FAIL("error", "GetWorkloadTypeAndName is "
	    "no longer a function (it is number)");
	const struct effect effects[RECORDS] = { PASS, gone, gone, gone };

	expect_records("setmetatable(_G, { __index = function() "
	    "return 42 end }) GetWorkloadTypeAndName = nil", NULL, NULL, NULL,
	    effects, NULL);
}
END_TEST

/* --- the collector -------------------------------------------------------- */

START_TEST(test_stopped_collector_garbage_is_collected_on_refusal)
{
	/* Record a stops the collector and leaves 13 MB of garbage under
	 * the 16 MB cap, then grows a table by a megabyte or two: the
	 * allocator refuses, Lua's emergency collection frees the garbage
	 * and asks again, and that succeeds.  The record is answered, not
	 * blamed for a refusal the emergency collection made good.
	 * (lauxlib's buffers, as in string.rep, do not retry: there a
	 * refusal is final.) */
	const struct effect effects[RECORDS] = {
		DECIDE("resolved", "StatefulSet", "running false"),
		PASS,
		PASS,
		DECIDE("resolved", "StatefulSet", "call 4"),
	};

	expect_records("collectgarbage('stop') do local t, s = "
	    "{}, string.rep('x', 1e4) for i = 1, 1300 do t[i] = s .. i end "
	    "end local pad = {} for i = 1, 1e5 do pad[i] = i end "
	    "return 'StatefulSet', 'running ' .. "
	    "tostring(collectgarbage('isrunning'))", NULL, NULL,
	    "return 'StatefulSet', 'call ' .. calls", effects, small_heap);
}
END_TEST

START_TEST(test_heap_at_the_cap_is_replaced_after_the_call)
{
	/* Record a leaks into a global until the cap refuses: a memory
	 * error.  Its worker keeps that full heap no longer: record b runs
	 * in a fresh worker, whose global is empty and whose calls count
	 * from one again. */
	const struct effect effects[RECORDS] = {
		FAIL_PART("memory", "memory limit reached ("),
		DECIDE("resolved", "StatefulSet", "call 1 leaked 0"),
		PASS,
		DECIDE("resolved", "StatefulSet", "call 3"),
	};

	expect_records("leak = leak or {} "
	    "for i = 1, 1e9 do leak[#leak + 1] = string.rep('x', 1e4) .. i "
	    "end",
	    "return 'StatefulSet', 'call ' .. calls .. ' leaked ' .. "
	    "#(leak or {})", NULL,
	    "return 'StatefulSet', 'call ' .. calls", effects, small_heap);
}
END_TEST

/*
 * Debian's Lua 5.4.4 overflows the C stack when coroutine.close calls are
 * nested deeply through __close metamethods (fixed upstream in 5.4.5):
 * the interpreter crashes.  Contained: a crash for that record, a fresh
 * worker for the next (docs/security.md lists such bugs).
 */
START_TEST(test_interpreter_crash_is_contained_as_a_crash)
{
	const struct effect effects[RECORDS] = {
		FAIL_PART("crash", "the worker "),
		PASS,
		PASS,
		DECIDE("resolved", "StatefulSet", "call 3"),
	};
	const char *const options[] = { "--memory", "256", "--timeout", "10000",
	    NULL };

	expect_records("local coro = false "
	    "for i = 1, 100000 do local previous = coro "
	    "coro = coroutine.create(function() local cc <close> = "
	    "setmetatable({}, {__close = function() if previous then "
	    "assert(coroutine.close(previous)) end end}) coroutine.yield() "
	    "end) assert(coroutine.resume(coro)) end coroutine.close(coro)",
	    NULL, NULL, "return 'StatefulSet', 'call ' .. calls", effects,
	    options);
}
END_TEST

START_TEST(test_collector_modes_with_odd_parameters_are_harmless)
{
	const struct effect effects[RECORDS] = {
		PASS, PASS, PASS, DECIDE("resolved", "StatefulSet",
		    "number true"),
	};

	expect_records("collectgarbage('generational', 0, 1000)",
	    "collectgarbage('incremental', 0, 0, 0) collectgarbage('step', "
	    "1e9)",
	    "collectgarbage('incremental', 100000, 100000, 62) "
	    "collectgarbage('collect') collectgarbage('step', 0)",
	    "return 'StatefulSet', type(collectgarbage('count')) .. ' ' .. "
	    "tostring(collectgarbage('isrunning'))", effects, NULL);
}
END_TEST

START_TEST(test_collectgarbage_count_measures_the_plugin)
{
	const struct effect effects[RECORDS] = {
		PASS, DECIDE("resolved", "StatefulSet", "grew"), PASS, PASS,
	};

	expect_records(NULL,
	    "local before = collectgarbage('count') local t = {} for i = 1, "
	    "1e5 do t[i] = i end local after = collectgarbage('count') "
	    "return 'StatefulSet', (math.type(after) == 'float' and after > "
	    "before and after < 64 * 1024) and 'grew' or (before .. ' ' .. "
	    "after)", NULL, NULL, effects, NULL);
}
END_TEST

START_TEST(test_finalizer_that_never_returns_is_killed_by_the_supervisor)
{
	/* Lua runs finalizers with hooks off, so the deadline hook cannot
	 * end this one: the supervisor's own timer kills the worker, and a
	 * fresh one answers the records after it. */
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("timeout", "did not answer within 300 ms, not even to its "
		    "own deadline; the worker was killed"),
		PASS,
		/* The replacement made calls c and d. */
		DECIDE("resolved", "StatefulSet", "call 2"),
	};
	const char *const options[] = { "--timeout", "300", NULL };

	expect_records(NULL, "setmetatable({}, { __gc = function() "
	    "while true do end end }) collectgarbage()", NULL,
	    "return 'StatefulSet', 'call ' .. calls", effects, options);
}
END_TEST

/* --- memory --------------------------------------------------------------- */

START_TEST(test_large_allocations_stay_inside_the_seccomp_policy)
{
	/* Megabytes grown, copied and returned (about 40 MB at the peak,
	 * under the 64 MB cap): brk, mmap, mremap and munmap with the
	 * policy's arguments, no violation. */
	char *source = every_record("local s = string.rep('x', 4 << 20) "
	    "local t = s .. s t = nil collectgarbage() "
	    "t = table.concat({ s, s, s }) s, t = nil, nil collectgarbage() "
	    "return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	const char *const options[] = { "--timeout", "3000", NULL };

	expect_chain(source, effects, options);
	free(source);
}
END_TEST

Suite *
hostile_tamper_suite(void)
{
	Suite *s = suite_create("hostile_tamper");
	TCase *tamper = tcase_create("tampering");

	tcase_set_timeout(tamper, 120);
	tcase_add_test(tamper, test_debug_sethook_cannot_remove_the_deadline);
	tcase_add_test(tamper,
	    test_string_metatable_tampering_stays_in_its_plugin);
	tcase_add_test(tamper,
	    test_replaced_string_functions_stay_in_their_plugin);
	tcase_add_test(tamper, test_globals_metatable_stays_in_its_plugin);
	tcase_add_test(tamper,
	    test_globals_metatable_cannot_fake_the_entry_point);
	tcase_add_test(tamper,
	    test_stopped_collector_garbage_is_collected_on_refusal);
	tcase_add_test(tamper, test_heap_at_the_cap_is_replaced_after_the_call);
	tcase_add_test(tamper, test_interpreter_crash_is_contained_as_a_crash);
	tcase_add_test(tamper,
	    test_collector_modes_with_odd_parameters_are_harmless);
	tcase_add_test(tamper, test_collectgarbage_count_measures_the_plugin);
	tcase_add_test(tamper,
	    test_finalizer_that_never_returns_is_killed_by_the_supervisor);
	tcase_add_test(tamper,
	    test_large_allocations_stay_inside_the_seccomp_policy);
	suite_add_tcase(s, tamper);
	return s;
}
