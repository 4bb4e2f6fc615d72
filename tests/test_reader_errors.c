/*
 * The record reader (supervisor/input/reader.h) on invalid input: every kind of
 * malformed JSON gives exactly one invalid record with the position of
 * the offending byte, and reading resumes at the next value; values that
 * are not objects, truncated input, empty input.  Recovery from broken
 * brackets, in Lists and pretty-printed input, is in
 * test_reader_resync.c.  Each input
 * is also read one byte at a time and split at every byte.
 *
 * Every expected value is worked out by hand from the resolve contract
 * (docs/contract.md); error positions are counted in bytes (line and column are
 * 1-based, the byte offset 0-based).
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

/* --- invalid input -------------------------------------------------------- */

struct bad_line {
	const char	*text;		/* line 2, without its "\n" */
	uint64_t	 column;	/* of the offending byte */
	const char	*why;
};

/*
 * Each bad line sits between two good ones: it gives exactly one invalid
 * record, with the position of the offending byte, and the lines around it
 * come out (reading resumes at the next value).  Line 1 is
 * {"uid":"a"} and its newline, 12 bytes, so a column c of line 2 is byte
 * offset 11 + c.  Each input is also read one byte at a time and split
 * at every byte, with the same records.
 */
static void
check_bad_lines(const struct bad_line *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *input;
		struct recs r;

		ck_assert_int_ne(asprintf(&input, "{\"uid\":\"a\"}\n%s\n"
		    "{\"uid\":\"c\"}\n", cases[i].text), -1);
		r = read_every_way(input, strlen(input));
		if (r.n != 3 || !r.v[1].invalid)
			ck_abort_msg("case %zu (%s): %zu records", i,
			    cases[i].text, r.n);
		expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
		expect_invalid(&r, 1, error_at(2, cases[i].column,
		    11 + cases[i].column, cases[i].why), 2);
		expect_record(&r, 2, "{\"uid\":\"c\"}", 3);
		expect_identity(&r, 2, "c", "", "");
		recs_free(&r);
		free(input);
	}
}

#define CHECK_BAD_LINES(cases) \
	check_bad_lines(cases, sizeof(cases) / sizeof((cases)[0]))

START_TEST(test_structural_errors)
{
	static const struct bad_line cases[] = {
		{ "{\"a\" 1}", 6, "expected ':' after an object key, found "
		    "'1'" },
		{ "{\"a\":1 \"b\":2}", 8, "expected ',' or '}', found '\"'" },
		{ "{\"a\":[1 2]}", 9, "expected ',' or ']', found '2'" },
		{ "{\"a\":[1}", 8, "expected ',' or ']', found '}'" },
		{ "{\"a\":1]", 7, "expected ',' or '}', found ']'" },
		{ "{a:1}", 2, "expected a string key, found 'a'" },
		{ "{'a':1}", 2, "expected a string key, found '''" },
		{ "{\"a\":1,}", 8, "expected a string key, found '}'" },
		{ "{,}", 2, "expected a string key, found ','" },
		{ "{\"a\":[1,]}", 9, "expected a JSON value, found ']'" },
		{ "{\"a\":}", 6, "expected a JSON value, found '}'" },
		{ "{\"a\":1,\"b\":}", 12, "expected a JSON value, found '}'" },
		{ "{\"a\":+1}", 6, "expected a JSON value, found '+'" },
		{ "{\"a\":.5}", 6, "expected a JSON value, found '.'" },
		{ "{\"a\":\xff}", 6, "expected a JSON value, found byte 0xff" },
		{ "{\"a\":\x01}", 6, "expected a JSON value, found byte 0x01" },
		{ "}", 1, "expected a JSON value, found '}'" },
		{ "]", 1, "expected a JSON value, found ']'" },
		{ ",", 1, "expected a JSON value, found ','" },
		{ "  :", 3, "expected a JSON value, found ':'" },
		{ "{\"a\":1,\"b\"}", 11, "expected ':' after an object key, "
		    "found '}'" },
		/* JSON white space is space, tab, CR and LF only. */
		{ "{\"a\":\f1}", 6, "expected a JSON value, found byte 0x0c" },
		{ "{\"a\":1\f}", 7, "expected ',' or '}', found byte 0x0c" },
		{ "\v", 1, "expected a JSON value, found byte 0x0b" },
		{ "\xc2\xa0", 1, "expected a JSON value, found byte 0xc2" },
	};

	CHECK_BAD_LINES(cases);
}
END_TEST

START_TEST(test_malformed_numbers)
{
	static const struct bad_line cases[] = {
		{ "{\"a\":01}", 7, "numbers cannot have leading zeros" },
		{ "{\"a\":-01}", 8, "numbers cannot have leading zeros" },
		{ "{\"a\":00}", 7, "numbers cannot have leading zeros" },
		{ "{\"a\":-}", 7, "malformed number: expected a digit, found "
		    "'}'" },
		{ "{\"a\":-a}", 7, "malformed number: expected a digit, found "
		    "'a'" },
		{ "{\"a\":1.}", 8, "malformed number: expected a digit, found "
		    "'}'" },
		{ "{\"a\":1.e5}", 8, "malformed number: expected a digit, "
		    "found 'e'" },
		{ "{\"a\":1e}", 8, "malformed number: expected a digit, found "
		    "'}'" },
		{ "{\"a\":1e+}", 9, "malformed number: expected a digit, found "
		    "'}'" },
		{ "{\"a\":1E-x}", 9, "malformed number: expected a digit, "
		    "found 'x'" },
		{ "{\"a\":2.5e--1}", 11, "malformed number: expected a digit, "
		    "found '-'" },
		/* The newline itself is the offending byte. */
		{ "{\"a\":1.", 8, "malformed number: expected a digit, found "
		    "byte 0x0a" },
	};

	CHECK_BAD_LINES(cases);
}
END_TEST

START_TEST(test_bad_escapes)
{
	static const struct bad_line cases[] = {
		{ "{\"a\":\"\\x\"}", 8, "invalid escape: backslash followed by "
		    "'x'" },
		{ "{\"a\":\"\\U0041\"}", 8, "invalid escape: backslash "
		    "followed by 'U'" },
		{ "{\"a\":\"\\'\"}", 8, "invalid escape: backslash followed by "
		    "'''" },
		{ "{\"a\":\"\\ \"}", 8, "invalid escape: backslash followed by "
		    "byte 0x20" },
		{ "{\"a\":\"\\u12g4\"}", 11, "\\u must be followed by four "
		    "hexadecimal digits" },
		{ "{\"a\":\"\\u\"}", 9, "\\u must be followed by four "
		    "hexadecimal digits" },
		{ "{\"a\":\"\\u00e\"}", 12, "\\u must be followed by four "
		    "hexadecimal digits" },
		/* In a key too. */
		{ "{\"\\a\":1}", 4, "invalid escape: backslash followed by "
		    "'a'" },
	};

	CHECK_BAD_LINES(cases);
}
END_TEST

START_TEST(test_bad_literals)
{
	static const struct bad_line cases[] = {
		{ "{\"a\":tru}", 9, "invalid literal (expected true)" },
		{ "{\"a\":trUe}", 8, "invalid literal (expected true)" },
		{ "{\"a\":fals}", 10, "invalid literal (expected false)" },
		{ "{\"a\":nul}", 9, "invalid literal (expected null)" },
		{ "{\"a\":nil}", 7, "invalid literal (expected null)" },
		{ "{\"a\":True}", 6, "expected a JSON value, found 'T'" },
		{ "{\"a\":NaN}", 6, "expected a JSON value, found 'N'" },
		{ "{\"a\":tr", 8, "invalid literal (expected true)" },
	};

	CHECK_BAD_LINES(cases);
}
END_TEST

START_TEST(test_control_bytes_in_strings)
{
	static const struct bad_line cases[] = {
		{ "{\"a\":\"x\ty\"}", 8, "control byte 0x09 inside a string "
		    "(it must be escaped)" },
		{ "{\"a\":\"\x01\"}", 7, "control byte 0x01 inside a string "
		    "(it must be escaped)" },
		{ "{\"a\":\"\x1f\"}", 7, "control byte 0x1f inside a string "
		    "(it must be escaped)" },
		{ "{\"a\x02\":1}", 4, "control byte 0x02 inside a string (it "
		    "must be escaped)" },
		/* An unterminated string: the newline is the error, and the
		 * next line is read afresh. */
		{ "{\"a\":\"abc", 10, "control byte 0x0a inside a string (it "
		    "must be escaped)" },
	};

	CHECK_BAD_LINES(cases);
}
END_TEST

START_TEST(test_nul_byte_in_string_is_an_error)
{
	const char input[] = "{\"uid\":\"a\"}\n{\"a\":\"x\0y\"}\n{\"uid\":"
	    "\"c\"}\n";
	struct recs r = read_every_way(input, sizeof(input) - 1);

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_invalid(&r, 1, error_at(2, 8, 19, "control byte 0x00 inside "
	    "a string (it must be escaped)"), 2);
	expect_record(&r, 2, "{\"uid\":\"c\"}", 3);
	recs_free(&r);
}
END_TEST

START_TEST(test_invalid_utf8_in_strings)
{
	static const struct bad_line cases[] = {
		/* bytes that never start a character */
		{ "{\"a\":\"\x80\"}", 7, "invalid UTF-8 in a string (byte "
		    "0x80)" },
		{ "{\"a\":\"\xbf\"}", 7, "invalid UTF-8 in a string (byte "
		    "0xbf)" },
		{ "{\"a\":\"\xc0\xaf\"}", 7, "invalid UTF-8 in a string (byte "
		    "0xc0)" },
		{ "{\"a\":\"\xc1\xbf\"}", 7, "invalid UTF-8 in a string (byte "
		    "0xc1)" },
		{ "{\"a\":\"\xf5\x80\x80\x80\"}", 7, "invalid UTF-8 in a "
		    "string (byte 0xf5)" },
		{ "{\"a\":\"\xff\"}", 7, "invalid UTF-8 in a string (byte "
		    "0xff)" },
		/* a sequence cut short */
		{ "{\"a\":\"\xc3(\"}", 8, "invalid UTF-8 in a string "
		    "(unexpected byte 0x28)" },
		{ "{\"a\":\"\xe2\x82\"}", 9, "invalid UTF-8 in a string "
		    "(unexpected byte 0x22)" },
		{ "{\"a\":\"\xf0\x9f\x98z\"}", 10, "invalid UTF-8 in a string "
		    "(unexpected byte 0x7a)" },
		/* overlong three- and four-byte forms */
		{ "{\"a\":\"\xe0\x9f\xbf\"}", 8, "invalid UTF-8 in a string "
		    "(unexpected byte 0x9f)" },
		{ "{\"a\":\"\xf0\x8f\xbf\xbf\"}", 8, "invalid UTF-8 in a "
		    "string (unexpected byte 0x8f)" },
		/* a surrogate, and past U+10FFFF */
		{ "{\"a\":\"\xed\xa0\x80\"}", 8, "invalid UTF-8 in a string "
		    "(unexpected byte 0xa0)" },
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", 8, "invalid UTF-8 in a "
		    "string (unexpected byte 0x90)" },
		/* in a key, and after valid text */
		{ "{\"\xc3\xa9\xc3\":1}", 6, "invalid UTF-8 in a string "
		    "(unexpected byte 0x22)" },
	};

	CHECK_BAD_LINES(cases);
}
END_TEST

/*
 * A string's plain text is scanned several bytes at a time, and valid
 * characters and escapes join the scan: whatever ends it (a control byte,
 * a byte that starts no character, a broken character, a bad escape) is
 * named at its own byte at every position of a long string, after each
 * kind of text that joins the scan, in a value and in a key.
 */
START_TEST(test_errors_found_at_every_position_of_a_long_string)
{
	static const struct {
		const char	*bad;
		size_t		 at;	/* the offending byte in bad */
		const char	*why;
	} kinds[] = {
		{ "\x01", 0, "control byte 0x01 inside a string (it must be "
		    "escaped)" },
		{ "\x1f", 0, "control byte 0x1f inside a string (it must be "
		    "escaped)" },
		{ "\x80", 0, "invalid UTF-8 in a string (byte 0x80)" },
		{ "\xff", 0, "invalid UTF-8 in a string (byte 0xff)" },
		{ "\xc3(", 1, "invalid UTF-8 in a string (unexpected byte "
		    "0x28)" },
		{ "\xe2\x82z", 2, "invalid UTF-8 in a string (unexpected byte "
		    "0x7a)" },
		{ "\xed\xa0\x80", 1, "invalid UTF-8 in a string (unexpected "
		    "byte 0xa0)" },
		{ "\\x", 1, "invalid escape: backslash followed by 'x'" },
		{ "\\u12g4", 4, "\\u must be followed by four hexadecimal "
		    "digits" },
	};
	static const char *const joined[] = {
		"", "\xc3\xa9", "\\\"", "\\u0041", "\xf0\x9f\x98\x80",
	};
	size_t n = 0, count = 2 * 20 * (sizeof(joined) / sizeof(joined[0])) *
	    (sizeof(kinds) / sizeof(kinds[0]));
	struct bad_line *cases = calloc(count, sizeof(*cases));

	ck_assert_ptr_nonnull(cases);
	for (int key = 0; key < 2; key++)
		for (size_t k = 0; k < 20; k++)
			for (size_t j = 0; j < sizeof(joined) /
			    sizeof(joined[0]); j++)
				for (size_t i = 0; i < sizeof(kinds) /
				    sizeof(kinds[0]); i++) {
					char *text;

					/* {"a":"  or  {"  before the string */
					ck_assert_int_ne(asprintf(&text,
					    key ? "{\"%s%.*s%szz\":1}" :
					    "{\"a\":\"%s%.*s%szz\"}",
					    joined[j], (int)k,
					    "ppppppppppppppppppppp",
					    kinds[i].bad), -1);
					cases[n].text = text;
					cases[n].column = (key ? 3 : 7) +
					    strlen(joined[j]) + k + kinds[i].at;
					cases[n].why = kinds[i].why;
					n++;
				}
	ck_assert_uint_eq(n, count);
	check_bad_lines(cases, n);
	for (size_t i = 0; i < n; i++)
		free((char *)cases[i].text);
	free(cases);
}
END_TEST

START_TEST(test_garbage_before_a_value_is_one_error)
{
	/* Bytes that start no value are one error, however many; the value
	 * after them on the same line is read. */
	struct recs r = READ_EVERY_WAY("\v{}\n\xc2\xa0 x:y, ]] {\"uid\":\"b\"}"
	    "\n{\"uid\":\"c\"}\n");

	expect_count(&r, 5);
	expect_invalid(&r, 0, error_at(1, 1, 0, "expected a JSON value, found "
	    "byte 0x0b"), 1);
	expect_record(&r, 1, "{}", 1);
	expect_invalid(&r, 2, error_at(2, 1, 4, "expected a JSON value, found "
	    "byte 0xc2"), 2);
	expect_record(&r, 3, "{\"uid\":\"b\"}", 2);
	expect_record(&r, 4, "{\"uid\":\"c\"}", 3);
	recs_free(&r);
}
END_TEST

START_TEST(test_error_resumes_at_the_next_value)
{
	/* The value after the broken one, on the same line, is read; what
	 * follows the broken value up to the next '{' is skipped with it. */
	const char input[] = "{\"uid\":\"a\"}\n{\"a\":x} 42 ] {\"uid\":"
	    "\"next\"}\n{\"uid\":\"c\"}";
	struct recs r = read_every_way(input, sizeof(input) - 1);

	expect_count(&r, 4);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_invalid(&r, 1, error_at(2, 6, 17, "expected a JSON value, "
	    "found 'x'"), 2);
	expect_record(&r, 2, "{\"uid\":\"next\"}", 2);
	expect_record(&r, 3, "{\"uid\":\"c\"}", 3);
	recs_free(&r);
}
END_TEST

START_TEST(test_control_byte_cr_in_a_string_ends_its_line)
{
	/* A raw CR in a string is the error, and a line end: the record
	 * after it is on line 4. */
	struct recs r = READ_EVERY_WAY("{\"uid\":\"a\"}\n{\"a\":\"x\ry\"}\n"
	    "{\"uid\":\"c\"}\n");

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_invalid(&r, 1, error_at(2, 8, 19, "control byte 0x0d inside a "
	    "string (it must be escaped)"), 2);
	expect_record(&r, 2, "{\"uid\":\"c\"}", 4);
	recs_free(&r);
}
END_TEST

START_TEST(test_error_in_a_pretty_printed_value)
{
	/* The error names its own line; the record, the line its value
	 * starts on.  The rest of the value, its closing brace included, is
	 * skipped: the value after it is whole. */
	struct recs r = READ_EVERY_WAY("{\n  \"a\": 1,\n  \"b\": x\n}\n"
	    "{\n  \"name\": \"next\"\n}\n");

	expect_count(&r, 2);
	expect_invalid(&r, 0, error_at(3, 8, 19, "expected a JSON value, "
	    "found 'x'"), 1);
	expect_record(&r, 1, "{\"name\":\"next\"}", 5);
	expect_identity(&r, 1, "", "", "next");
	recs_free(&r);
}
END_TEST

START_TEST(test_error_in_a_list_item)
{
	/* The broken item is one invalid record; the List's later items
	 * and the next line are whole. */
	const char input[] = "{\"items\":[{\"uid\":\"1\"},{\"uid\":2x},"
	    "{\"uid\":\"3\"}]}\n{\"items\":[{\"uid\":\"4\"}]}\n";
	struct recs r = read_every_way(input, sizeof(input) - 1);

	expect_count(&r, 4);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_invalid(&r, 1, error_at(1, 31, 30, "expected ',' or '}', "
	    "found 'x'"), 1);
	expect_record(&r, 2, "{\"uid\":\"3\"}", 1);
	expect_record(&r, 3, "{\"uid\":\"4\"}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_non_object_values_are_invalid)
{
	const char input[] = "42\n\"str\"\n[1,2]\ntrue\nnull\nfalse\n  -1.5e3\n"
	    "{\"uid\":\"ok\"}\n";
	struct recs r = read_every_way(input, sizeof(input) - 1);

	/* Offsets: "42\n" 3, "\"str\"\n" 6, "[1,2]\n" 6, "true\n" 5,
	 * "null\n" 5, "false\n" 6, then two spaces. */
	expect_count(&r, 8);
	expect_invalid(&r, 0, error_at(1, 1, 0, "the value is a number, not "
	    "an object"), 1);
	expect_invalid(&r, 1, error_at(2, 1, 3, "the value is a string, not "
	    "an object"), 2);
	expect_invalid(&r, 2, error_at(3, 1, 9, "the value is an array, not "
	    "an object"), 3);
	expect_invalid(&r, 3, error_at(4, 1, 15, "the value is a boolean, not "
	    "an object"), 4);
	expect_invalid(&r, 4, error_at(5, 1, 20, "the value is null, not an "
	    "object"), 5);
	expect_invalid(&r, 5, error_at(6, 1, 25, "the value is a boolean, not "
	    "an object"), 6);
	expect_invalid(&r, 6, error_at(7, 3, 33, "the value is a number, not "
	    "an object"), 7);
	expect_record(&r, 7, "{\"uid\":\"ok\"}", 8);
	recs_free(&r);
}
END_TEST

START_TEST(test_non_object_value_must_still_be_valid_json)
{
	/* An array holding a syntax error is one invalid record, for the
	 * syntax error. */
	struct recs r = READ_EVERY_WAY("[1,]\n{}");

	expect_count(&r, 2);
	expect_invalid(&r, 0, error_at(1, 4, 3, "expected a JSON value, found "
	    "']'"), 1);
	expect_record(&r, 1, "{}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_number_at_end_of_input_is_complete)
{
	/* No byte after it ends the number: reader_finish does. */
	struct recs r = READ_EVERY_WAY("{}\n-0.5e+1");

	expect_count(&r, 2);
	expect_record(&r, 0, "{}", 1);
	expect_invalid(&r, 1, error_at(2, 1, 3, "the value is a number, not "
	    "an object"), 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_truncated_input_gives_one_invalid_record)
{
	/* Line 2, to the end of input, ends inside every kind of token. */
	static const char *const tails[] = {
		"{", "{\"uid\"", "{\"uid\":", "{\"uid\":\"b", "{\"uid\":\"b\"",
		"{\"uid\":\"b\",", "{\"a\":[1", "{\"a\":tr", "{\"a\":-",
		"{\"a\":1.", "{\"a\":1e", "{\"a\":12", "{\"a\":\"\\",
		"{\"a\":\"\\u00", "{\"a\":\"\xe2\x82", "\"abc", "[1,2", "-",
		"1.", "1e+", "nul", "{\"metadata\":{\"uid\":\"x\"}",
	};

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		char *input, *why;
		struct recs r;
		size_t length;

		ck_assert_int_ne(asprintf(&input, "{\"uid\":\"a\"}\n%s",
		    tails[i]), -1);
		length = strlen(input);
		r = read_every_way(input, length);
		ck_assert_msg(r.n == 2, "case %zu (%s): %zu records", i,
		    tails[i], r.n);
		expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
		/* The end is at line 2, byte offset length; the value
		 * starts at column 1 of line 2. */
		ck_assert_int_ne(asprintf(&why, SOURCE ": line 2 (byte offset "
		    "%zu): the input ends inside the value that starts at "
		    "line 2, column 1", length), -1);
		expect_invalid(&r, 1, why, 2);
		recs_free(&r);
		free(input);
	}
}
END_TEST

START_TEST(test_truncated_list_names_where_it_starts)
{
	/* Cut between items: the unfinished value is the List, which starts
	 * on line 2, whatever the items before the cut. */
	const char input[] = "{\"uid\":\"x\"}\n  {\"items\":[{\"uid\":\"a\"},\n"
	    "{\"uid\":\"b\"},";
	struct recs r = read_every_way(input, sizeof(input) - 1);

	expect_count(&r, 4);
	expect_record(&r, 0, "{\"uid\":\"x\"}", 1);
	expect_record(&r, 1, "{\"uid\":\"a\"}", 2);
	expect_record(&r, 2, "{\"uid\":\"b\"}", 3);
	ck_assert(r.v[3].invalid);
	ck_assert_str_eq(r.v[3].error, SOURCE ": line 3 (byte offset 49): the "
	    "input ends inside the value that starts at line 2, column 3");
	ck_assert_uint_eq(r.v[3].line, 2);
	recs_free(&r);

	/* Cut inside an item: the unfinished value is the item. */
	r = READ_EVERY_WAY("{\"items\":[{\"uid\":\"a\"},\n {\"uid\":");
	expect_count(&r, 2);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_invalid(&r, 1, strdup(SOURCE ": line 2 (byte offset 31): the "
	    "input ends inside the value that starts at line 2, column 2"), 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_empty_and_blank_input_give_nothing)
{
	static const char *const inputs[] = {
		"", " ", "\n", "\r\n\r\n", " \t\n \n\t",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct recs r = read_every_way(inputs[i], strlen(inputs[i]));

		expect_count(&r, 0);
		recs_free(&r);
	}
}
END_TEST

START_TEST(test_error_on_last_line_without_newline)
{
	/* The skipped line reaches the end of input: nothing more. */
	struct recs r = READ_EVERY_WAY("{}\n{\"a\":x, \"b\": [");

	expect_count(&r, 2);
	expect_record(&r, 0, "{}", 1);
	expect_invalid(&r, 1, error_at(2, 6, 8, "expected a JSON value, found "
	    "'x'"), 2);
	recs_free(&r);
}
END_TEST

Suite *
reader_errors_suite(void)
{
	Suite *s = suite_create("reader_errors");
	TCase *invalid = tcase_create("invalid input");

	tcase_set_timeout(invalid, 60);
	tcase_add_test(invalid, test_structural_errors);
	tcase_add_test(invalid, test_malformed_numbers);
	tcase_add_test(invalid, test_bad_escapes);
	tcase_add_test(invalid, test_bad_literals);
	tcase_add_test(invalid, test_control_bytes_in_strings);
	tcase_add_test(invalid, test_nul_byte_in_string_is_an_error);
	tcase_add_test(invalid, test_invalid_utf8_in_strings);
	tcase_add_test(invalid,
	    test_errors_found_at_every_position_of_a_long_string);
	tcase_add_test(invalid, test_garbage_before_a_value_is_one_error);
	tcase_add_test(invalid, test_error_resumes_at_the_next_value);
	tcase_add_test(invalid, test_control_byte_cr_in_a_string_ends_its_line);
	tcase_add_test(invalid, test_error_in_a_pretty_printed_value);
	tcase_add_test(invalid, test_error_in_a_list_item);
	tcase_add_test(invalid, test_non_object_values_are_invalid);
	tcase_add_test(invalid, test_non_object_value_must_still_be_valid_json);
	tcase_add_test(invalid, test_number_at_end_of_input_is_complete);
	tcase_add_test(invalid, test_truncated_input_gives_one_invalid_record);
	tcase_add_test(invalid, test_truncated_list_names_where_it_starts);
	tcase_add_test(invalid, test_empty_and_blank_input_give_nothing);
	tcase_add_test(invalid, test_error_on_last_line_without_newline);
	suite_add_tcase(s, invalid);
	return s;
}
