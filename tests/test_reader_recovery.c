/*
 * The record reader (supervisor/input/reader.h) after a syntax error, at the
 * edges of what test_reader_resync.c covers: JSON Lines with a broken
 * line, a List's own members (a
 * second items array, errors before or after the items, garbage between
 * them, an item without its brace), strings that never end, and errors at
 * the end of input.  Every input is also read in chunks, as there.
 *
 * Every expected value is worked out by hand from the resolve contract
 * (docs/contract.md); error positions are counted in bytes (line and
 * column are 1-based, the byte offset 0-based).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/input/reader.h"
#include "reader_support.h"
#include "suites.h"

/* --- JSON Lines ----------------------------------------------------------- */

/* Broken lines that give exactly one invalid record and nothing else. */
static const char *const broken_lines[] = {
	"{\"a\":x}", "{\"a\":[1}", "{\"a\":1]", "{\"a\":{\"b\":1]}",
	"{\"a\":[1,{\"b\":2}", "{\"a\":\"abc", "{\"a\":1,", "{\"a\"", "{",
	"{{{{", "{\"a\":tru", "{\"a\":{", "}}}", "]]]", ":::",
	"{\"a\":\"\\x\"}", "{\"a\":\"\xff\"}", "{\"metadata\":{\"name\":\"x\",}}",
	"{\"a\":\"b\"c\"}", "hello world", "{\"a\":1 \"b\":2}", "\"str\"",
	"42", "{\"a\":\"x\\", "{\"items\":[{\"uid\":2x",
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\",",
	"\x01\x02",
};

START_TEST(test_json_lines_with_one_broken_line)
{
	for (size_t i = 0; i < sizeof(broken_lines) / sizeof(broken_lines[0]);
	    i++) {
		char *input;
		struct recs r;

		ck_assert_int_ne(asprintf(&input, "{\"uid\":\"1\"}\n"
		    "{\"uid\":\"2\"}\n%s\n{\"uid\":\"4\"}\n{\"uid\":\"5\"}\n",
		    broken_lines[i]), -1);
		r = read_every_way(input, strlen(input));
		if (r.n != 5)
			expect_count(&r, 5);
		expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
		expect_record(&r, 1, "{\"uid\":\"2\"}", 2);
		ck_assert_msg(r.v[2].invalid, "line %zu (%s): valid", i,
		    broken_lines[i]);
		ck_assert_uint_eq(r.v[2].line, 3);
		expect_record(&r, 3, "{\"uid\":\"4\"}", 4);
		expect_record(&r, 4, "{\"uid\":\"5\"}", 5);
		recs_free(&r);
		free(input);
	}
}
END_TEST

START_TEST(test_json_lines_broken_list_keeps_its_whole_items)
{
	struct recs r = READ_EVERY_WAY("{\"uid\":\"1\"}\n"
	    "{\"items\":[{\"uid\":\"i1\"},{\"uid\":2x},{\"uid\":\"i3\"}]}\n"
	    "{\"items\":[{\"uid\":\"j1\"},{\"uid\":\"j2\"\n"
	    "{\"uid\":\"4\"}\n");

	expect_count(&r, 7);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_record(&r, 1, "{\"uid\":\"i1\"}", 2);
	expect_invalid(&r, 2, error_at(2, 32, 43, "expected ',' or '}', "
	    "found 'x'"), 2);
	expect_record(&r, 3, "{\"uid\":\"i3\"}", 2);
	expect_record(&r, 4, "{\"uid\":\"j1\"}", 3);
	/* The item cut short: its error is the next line's '{', where the
	 * next value starts. */
	expect_invalid(&r, 5, error_at(4, 1, 96, "expected ',' or '}', found "
	    "'{'"), 3);
	expect_record(&r, 6, "{\"uid\":\"4\"}", 4);
	recs_free(&r);
}
END_TEST

START_TEST(test_json_lines_garbage_then_a_broken_value_are_two_errors)
{
	/* A log line with a broken object in it: the bytes before the '{'
	 * are one error, the object another. */
	struct recs r = READ_EVERY_WAY("{\"uid\":\"1\"}\nWarning: {oops\n"
	    "{\"uid\":\"3\"}\n");

	expect_count(&r, 4);
	expect_invalid(&r, 1, error_at(2, 1, 12, "expected a JSON value, "
	    "found 'W'"), 2);
	expect_invalid(&r, 2, error_at(2, 11, 22, "expected a string key, "
	    "found 'o'"), 2);
	expect_record(&r, 3, "{\"uid\":\"3\"}", 3);
	recs_free(&r);
}
END_TEST

START_TEST(test_json_lines_value_then_a_stray_closer)
{
	/* The value is whole; the '}' after it is an error of its own. */
	struct recs r = READ_EVERY_WAY("{\"a\":1}}\n{\"uid\":\"2\"}\n");

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"a\":1}", 1);
	expect_invalid(&r, 1, error_at(1, 8, 7, "expected a JSON value, found "
	    "'}'"), 1);
	expect_record(&r, 2, "{\"uid\":\"2\"}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_json_lines_truncated_line_continued_by_the_next)
{
	/*
	 * The limit of any reader that keeps nothing it skipped: a line
	 * cut where the next line is a valid continuation ({"a":[ then an
	 * object) is one value with it, until the line after shows the
	 * error.  That value is one invalid record; the line after is read.
	 */
	static const char *const cut[] = { "{\"a\":[", "{\"a\":", "[[[" };

	for (size_t i = 0; i < 3; i++) {
		char *input;
		struct recs r;

		ck_assert_int_ne(asprintf(&input, "{\"uid\":\"1\"}\n%s\n"
		    "{\"uid\":\"3\"}\n{\"uid\":\"4\"}\n", cut[i]), -1);
		r = read_every_way(input, strlen(input));
		expect_count(&r, 3);
		expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
		ck_assert(r.v[1].invalid);
		ck_assert_uint_eq(r.v[1].line, 2);
		expect_record(&r, 2, "{\"uid\":\"4\"}", 4);
		recs_free(&r);
		free(input);
	}
}
END_TEST

/* --- the List's own members ----------------------------------------------- */

START_TEST(test_second_items_array_is_read_too)
{
	/* A duplicate "items" key: both arrays are the List's items, so no
	 * record vanishes, whichever of them another parser would keep. */
	struct recs r = READ_EVERY_WAY("{\"items\":[{\"uid\":\"1\"}],"
	    "\"kind\":\"List\",\"items\":[{\"uid\":\"2\"},{\"uid\":\"3\"}],"
	    "\"items\":\"not an array\",\"metadata\":{\"uid\":\"L\"}}\n"
	    "{\"uid\":\"4\"}");

	expect_count(&r, 4);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_record(&r, 1, "{\"uid\":\"2\"}", 1);
	expect_record(&r, 2, "{\"uid\":\"3\"}", 1);
	expect_record(&r, 3, "{\"uid\":\"4\"}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_error_before_the_items_keeps_them)
{
	/* The List's error is one invalid record; its items still come. */
	static const struct {
		const char *members;
		uint64_t column;
		const char *why;
	} cases[] = {
		{ "\"apiVersion\": v1, ", 16, "expected a JSON value, found "
		    "'v'" },
		{ "\"apiVersion\": \"v1\" ", 21, "expected ',' or '}', found "
		    "'\"'" },
		{ "\"apiVersion\" \"v1\", ", 15, "expected ':' after an object "
		    "key, found '\"'" },
		{ "\"metadata\": {\"name\": x}, ", 23, "expected a JSON value, "
		    "found 'x'" },
		{ "\"metadata\": {\"a\": [1 2]}, ", 23, "expected ',' or ']', "
		    "found '2'" },
		{ "\"apiVersion\": \"v\\1\", ", 19, "invalid escape: backslash "
		    "followed by '1'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *input;
		struct recs r;

		ck_assert_int_ne(asprintf(&input, "{%s\"items\": [{\"uid\": "
		    "\"1\"}, {\"uid\": \"2\"}], \"kind\": \"List\"}\n"
		    "{\"uid\": \"3\"}\n", cases[i].members), -1);
		r = read_every_way(input, strlen(input));
		expect_count(&r, 4);
		expect_invalid(&r, 0, error_at(1, cases[i].column,
		    cases[i].column - 1, cases[i].why), 1);
		expect_record(&r, 1, "{\"uid\":\"1\"}", 1);
		expect_record(&r, 2, "{\"uid\":\"2\"}", 1);
		expect_record(&r, 3, "{\"uid\":\"3\"}", 2);
		recs_free(&r);
		free(input);
	}
}
END_TEST

START_TEST(test_error_after_the_items)
{
	struct recs r = READ_EVERY_WAY("{\"items\": [{\"uid\": \"1\"}], "
	    "\"kind\": List, \"metadata\": {\"a\": [}}\n{\"uid\": \"2\"}\n");

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_invalid(&r, 1, error_at(1, 35, 34, "expected a JSON value, "
	    "found 'L'"), 1);
	expect_record(&r, 2, "{\"uid\":\"2\"}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_garbage_between_items)
{
	/* The bytes between items are the List's error (once); an item that
	 * is not an object is an invalid record of its own. */
	struct recs r = READ_EVERY_WAY("{\"items\":[{\"uid\":\"1\"} x "
	    "{\"uid\":\"2\"}, 7 ,, {\"uid\":\"3\"}}, {\"uid\":\"4\"}]}\n"
	    "{\"uid\":\"5\"}");

	expect_count(&r, 7);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_invalid(&r, 1, error_at(1, 23, 22, "expected ',' or ']', found "
	    "'x'"), 1);
	expect_record(&r, 2, "{\"uid\":\"2\"}", 1);
	expect_invalid(&r, 3, error_at(1, 38, 37, "the value is a number, not "
	    "an object"), 1);
	expect_record(&r, 4, "{\"uid\":\"3\"}", 1);
	expect_record(&r, 5, "{\"uid\":\"4\"}", 1);
	expect_record(&r, 6, "{\"uid\":\"5\"}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_item_without_its_brace_makes_no_records_of_its_members)
{
	/* The members of an item that lost its '{': the first member's
	 * name is an item, its ':' the List's error; the metadata object
	 * is not an item. */
	struct recs r = READ_EVERY_WAY("{\"items\":[{\"uid\":\"1\"},\"kind\":"
	    "\"Pod\",\"metadata\":{\"name\":\"m\"}},{\"uid\":\"2\"}]}");

	expect_count(&r, 4);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_invalid(&r, 1, error_at(1, 23, 22, "the value is a string, not "
	    "an object"), 1);
	expect_invalid(&r, 2, error_at(1, 29, 28, "expected ',' or ']', found "
	    "':'"), 1);
	expect_record(&r, 3, "{\"uid\":\"2\"}", 1);
	recs_free(&r);
}
END_TEST

/* --- strings and the end of input ----------------------------------------- */

START_TEST(test_unterminated_string_ends_at_its_line)
{
	/* The missing quote does not turn the rest of the input inside
	 * out: the line end ends the string. */
	struct recs r = READ_EVERY_WAY("{\n  \"name\": \"web-1,\n"
	    "  \"namespace\": \"prod\"\n}\n{\n  \"name\": \"web-2\"\n}\n"
	    "{\"name\": \"x\\\n}\n{\"name\": \"web-3\"}\n");

	expect_count(&r, 4);
	expect_invalid(&r, 0, error_at(2, 18, 19, "control byte 0x0a inside "
	    "a string (it must be escaped)"), 1);
	expect_record(&r, 1, "{\"name\":\"web-2\"}", 5);
	expect_invalid(&r, 2, error_at(8, 13, 78, "invalid escape: backslash "
	    "followed by byte 0x0a"), 8);
	expect_record(&r, 3, "{\"name\":\"web-3\"}", 10);
	recs_free(&r);
}
END_TEST

START_TEST(test_error_then_end_of_input)
{
	/* Whatever state the scanner is in at the end, the error's record
	 * is the only one. */
	static const char *const inputs[] = {
		"{\"a\":x, \"b\": \"unterminated", "{\"a\":x, [[[[", "garbage",
		"{\"items\":[{\"a\":x", "{\"items\":[{\"a\":1}, x",
		"{\"a\":x, \"b\": \"\\", "{\"a\":\"\\u00\xff", "{\"a\": 1 2",
		"{\"items\": [} ", "}", "{\"a\":x}}}",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct recs r = read_every_way(inputs[i], strlen(inputs[i]));
		size_t invalid = 0;

		for (size_t j = 0; j < r.n; j++)
			invalid += r.v[j].invalid;
		ck_assert_msg(invalid == 1 && r.v[r.n - 1].invalid, "input %zu"
		    ": %zu records, %zu invalid", i, r.n, invalid);
		recs_free(&r);
	}
}
END_TEST

START_TEST(test_error_in_a_top_level_value_is_reported_once)
{
	/* Two errors in one value: one invalid record, for the first. */
	struct recs r = READ_EVERY_WAY("{\"a\": x, \"b\": y, \"c\": [1 2]}\n"
	    "{\"uid\":\"2\"}");

	expect_count(&r, 2);
	expect_invalid(&r, 0, error_at(1, 7, 6, "expected a JSON value, "
	    "found 'x'"), 1);
	expect_record(&r, 1, "{\"uid\":\"2\"}", 2);
	recs_free(&r);
}
END_TEST

Suite *
reader_recovery_suite(void)
{
	Suite *s = suite_create("reader_recovery");
	TCase *lines = tcase_create("JSON Lines");
	TCase *members = tcase_create("List members");
	TCase *ends = tcase_create("strings and the end of input");

	tcase_set_timeout(lines, 60);
	tcase_add_test(lines, test_json_lines_with_one_broken_line);
	tcase_add_test(lines, test_json_lines_broken_list_keeps_its_whole_items);
	tcase_add_test(lines, test_json_lines_garbage_then_a_broken_value_are_two_errors);
	tcase_add_test(lines, test_json_lines_value_then_a_stray_closer);
	tcase_add_test(lines, test_json_lines_truncated_line_continued_by_the_next);
	suite_add_tcase(s, lines);

	tcase_set_timeout(members, 60);
	tcase_add_test(members, test_second_items_array_is_read_too);
	tcase_add_test(members, test_error_before_the_items_keeps_them);
	tcase_add_test(members, test_error_after_the_items);
	tcase_add_test(members, test_garbage_between_items);
	tcase_add_test(members,
	    test_item_without_its_brace_makes_no_records_of_its_members);
	suite_add_tcase(s, members);

	tcase_set_timeout(ends, 60);
	tcase_add_test(ends, test_unterminated_string_ends_at_its_line);
	tcase_add_test(ends, test_error_then_end_of_input);
	tcase_add_test(ends, test_error_in_a_top_level_value_is_reported_once);
	suite_add_tcase(s, ends);
	return s;
}
