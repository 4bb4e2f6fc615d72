/*
 * The record reader's limits (supervisor/input/reader.h): the nesting depth and
 * the record size, at the limit and one past it, with the records after
 * an oversized one still whole; nesting far deeper than any stack; and a
 * List of 100,000 Pods streamed in bounded memory.
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

/* --- limits --------------------------------------------------------------- */

START_TEST(test_nesting_up_to_max_depth_is_accepted)
{
	const struct reader_limits limits = { 1024, 4 };
	struct recs r = read_with(&limits, "{\"a\":{\"b\":{\"c\":{}}}}\n"
	    "{\"a\":[[[]]]}\n");

	expect_count(&r, 2);
	expect_record(&r, 0, "{\"a\":{\"b\":{\"c\":{}}}}", 1);
	expect_record(&r, 1, "{\"a\":[[[]]]}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_nesting_deeper_than_max_depth_is_rejected)
{
	const struct reader_limits limits = { 1024, 4 };
	struct recs r = read_with(&limits,
	    "{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}\n{\"a\":[[[[1]]]]}\n"
	    "{\"ok\":1}\n");

	expect_count(&r, 3);
	/* The fifth opening bracket is the offending byte. */
	expect_invalid(&r, 0, error_at(1, 21, 20, "values nested deeper than "
	    "4 levels are not accepted"), 1);
	expect_invalid(&r, 1, error_at(2, 9, 35, "values nested deeper than "
	    "4 levels are not accepted"), 2);
	expect_record(&r, 2, "{\"ok\":1}", 3);
	recs_free(&r);
}
END_TEST

START_TEST(test_depth_counts_the_list_levels)
{
	/* A List and its items array are two levels of the same value. */
	const struct reader_limits limits = { 1024, 4 };
	struct recs r = read_with(&limits, "{\"items\":[{\"a\":{}}]}\n"
	    "{\"items\":[{\"a\":{\"b\":{}}}]}\n");

	expect_count(&r, 2);
	expect_record(&r, 0, "{\"a\":{}}", 1);
	expect_invalid(&r, 1, error_at(2, 21, 41, "values nested deeper than "
	    "4 levels are not accepted"), 2);
	recs_free(&r);
}
END_TEST

/* A line of depth opening brackets of one kind (no closing ones). */
static char *
deep_line(size_t depth, const char *open)
{
	size_t unit = strlen(open);
	char *s = malloc(depth * unit + 1);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < depth; i++)
		memcpy(s + i * unit, open, unit);
	s[depth * unit] = '\0';
	return s;
}

START_TEST(test_deep_nesting_does_not_crash)
{
	/* Far deeper than any stack could recurse, with default limits,
	 * whole and in small chunks. */
	static const char *const openers[] = { "[", "{\"a\":", "[{\"a\":" };
	char why[80];

	snprintf(why, sizeof(why), "values nested deeper than %d levels are "
	    "not accepted", READER_DEFAULT_MAX_DEPTH);
	for (size_t i = 0; i < 3; i++) {
		char *deep = deep_line(1000000 / strlen(openers[i]),
		    openers[i]);
		char *input;
		struct recs r;
		uint64_t column = 0;

		ck_assert_int_ne(asprintf(&input, "%s\n{\"uid\":\"after\"}\n",
		    deep), -1);
		/* The byte that opens level max_depth + 1. */
		for (size_t at = 0, opened = 0; opened <=
		    READER_DEFAULT_MAX_DEPTH; at++)
			if (deep[at] == '[' || deep[at] == '{') {
				opened++;
				column = at + 1;
			}
		for (size_t chunk = 0; chunk <= 4096; chunk += 4096) {
			r = read_chunks(&defaults, input, strlen(input), chunk);
			expect_count(&r, 2);
			expect_invalid(&r, 0, error_at(1, column, column - 1,
			    why), 1);
			expect_record(&r, 1, "{\"uid\":\"after\"}", 2);
			recs_free(&r);
		}
		free(input);
		free(deep);
	}
}
END_TEST

START_TEST(test_record_of_exactly_max_record_is_accepted)
{
	/* {"uid":"a","p":" is 16 bytes, the 14 x and "} 16 more: 32 bytes
	 * of compact text, however much white space the input has. */
	const struct reader_limits limits = { 32, 16 };
	struct recs r = read_with(&limits, "{ \"uid\" : \"a\" ,\n \"p\" : "
	    "\"xxxxxxxxxxxxxx\" }\n");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"uid\":\"a\",\"p\":\"xxxxxxxxxxxxxx\"}", 1);
	expect_identity(&r, 0, "a", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_record_larger_than_max_record_is_rejected)
{
	/* One byte more than the limit; the records after it are whole. */
	const struct reader_limits limits = { 32, 16 };
	struct recs r = read_with(&limits, "{\"uid\":\"a\",\"p\":"
	    "\"xxxxxxxxxxxxxxx\"}\n  {\"uid\":\"b\"}\n");

	expect_count(&r, 2);
	expect_invalid(&r, 0, error_at(1, 1, 0, "the record is larger than the "
	    "limit of 32 bytes"), 1);
	expect_record(&r, 1, "{\"uid\":\"b\"}", 2);
	expect_identity(&r, 1, "b", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_huge_record_rejected_and_next_comes_out)
{
	/* A string of 3 MiB in one record, with the default limit of 2 MiB,
	 * on the same line as the next record. */
	size_t huge = 3u << 20, length;
	char *input = malloc(huge + 64);
	struct recs r;
	char why[80];

	ck_assert_ptr_nonnull(input);
	length = (size_t)sprintf(input, "{\"uid\":\"big\",\"s\":\"");
	memset(input + length, 'x', huge);
	length += huge;
	length += (size_t)sprintf(input + length, "\"} {\"uid\":\"next\"}");
	snprintf(why, sizeof(why), "the record is larger than the limit of "
	    "%u bytes", READER_DEFAULT_MAX_RECORD);
	for (size_t chunk = 0; chunk <= 65536; chunk += 65536) {
		r = read_chunks(&defaults, input, length, chunk);
		expect_count(&r, 2);
		expect_invalid(&r, 0, error_at(1, 1, 0, why), 1);
		expect_record(&r, 1, "{\"uid\":\"next\"}", 1);
		expect_identity(&r, 1, "next", "", "");
		recs_free(&r);
	}
	free(input);
}
END_TEST

START_TEST(test_oversized_list_item_skipped_others_kept)
{
	const struct reader_limits limits = { 32, 16 };
	struct recs r = read_with(&limits, "{\"items\":[{\"uid\":\"1\"},"
	    "{\"uid\":\"2\",\"pad\":\"0123456789012345678\"},"
	    "{\"uid\":\"3\"}]}");

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_invalid(&r, 1, error_at(1, 23, 22, "the record is larger than "
	    "the limit of 32 bytes"), 1);
	expect_record(&r, 2, "{\"uid\":\"3\"}", 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_list_is_not_limited_by_max_record)
{
	/* Neither the List's own metadata nor the List as a whole is a
	 * record: only its items are held to the limit. */
	const struct reader_limits limits = { 32, 16 };
	struct recs r = read_with(&limits, "{\"kind\":\"List\",\"metadata\":"
	    "{\"resourceVersion\":\"123456789012345678901234567890\"},"
	    "\"items\":[{\"uid\":\"1\"},{\"uid\":\"2\"},{\"uid\":\"3\"},"
	    "{\"uid\":\"4\"}]}");

	expect_count(&r, 4);
	for (size_t i = 0; i < 4; i++) {
		char metadata[16];

		snprintf(metadata, sizeof(metadata), "{\"uid\":\"%zu\"}",
		    i + 1);
		expect_record(&r, i, metadata, 1);
	}
	recs_free(&r);
}
END_TEST

START_TEST(test_large_list_streams_in_bounded_memory)
{
	/*
	 * 100,000 Pods in one List, fed in 4 KiB chunks to a reader whose
	 * records may not exceed 128 bytes: the List (megabytes) can only
	 * get through if it is never held whole, and records come out
	 * while the input is still arriving.
	 */
	enum { PODS = 100000, CHUNK = 4096 };
	const struct reader_limits limits = { 128, 8 };
	size_t capacity = (size_t)PODS * 64 + 128, length, at, seen = 0;
	size_t first_record_at = 0;
	char *input = malloc(capacity);
	struct reader *reader = reader_new(&limits, SOURCE);
	struct record record;

	ck_assert_ptr_nonnull(input);
	length = (size_t)sprintf(input, "{\"kind\":\"List\",\"items\":[");
	for (size_t i = 0; i < PODS; i++)
		length += (size_t)sprintf(input + length, "%s{\"metadata\":"
		    "{\"uid\":\"u%zu\",\"name\":\"p%zu\"},\"spec\":{}}",
		    i > 0 ? "," : "", i, i);
	length += (size_t)sprintf(input + length, "]}\n");
	ck_assert_uint_lt(length, capacity);
	ck_assert_uint_gt(length, (size_t)PODS * 50);

	for (at = 0; at < length; at += CHUNK) {
		const char *data = input + at;
		size_t left = length - at < CHUNK ? length - at : CHUNK;

		while (left > 0) {
			char expected[64];
			int n;
			bool ready;
			size_t used = reader_feed(reader, data, left, &record,
			    &ready);

			REQUIRE(used != (size_t)-1 && used <= left,
			    "reader_feed failed");
			REQUIRE(used > 0 || ready, "no progress");
			data += used;
			left -= used;
			if (!ready)
				continue;
			if (seen == 0)
				first_record_at = at + CHUNK;
			n = snprintf(expected, sizeof(expected),
			    "{\"uid\":\"u%zu\",\"name\":\"p%zu\"}", seen,
			    seen);
			REQUIRE(!record.invalid, "record %zu invalid: %s", seen,
			    record.error);
			REQUIRE(record.metadata_length == (size_t)n &&
			    memcmp(record.metadata, expected, (size_t)n) == 0,
			    "record %zu: %.*s", seen,
			    (int)record.metadata_length, record.metadata);
			n = snprintf(expected, sizeof(expected), "u%zu", seen);
			REQUIRE(record.uid_length == (size_t)n &&
			    memcmp(record.uid, expected, (size_t)n) == 0,
			    "record %zu: uid %.*s", seen,
			    (int)record.uid_length, record.uid);
			seen++;
		}
	}
	ck_assert(!reader_finish(reader, &record));
	ck_assert_uint_eq(seen, PODS);
	/* The first record came out with the first chunk. */
	ck_assert_uint_eq(first_record_at, CHUNK);
	reader_free(reader);
	free(input);
}
END_TEST

Suite *
reader_limits_suite(void)
{
	Suite *s = suite_create("reader_limits");
	TCase *limits = tcase_create("limits");

	tcase_set_timeout(limits, 60);
	tcase_add_test(limits, test_nesting_up_to_max_depth_is_accepted);
	tcase_add_test(limits, test_nesting_deeper_than_max_depth_is_rejected);
	tcase_add_test(limits, test_depth_counts_the_list_levels);
	tcase_add_test(limits, test_deep_nesting_does_not_crash);
	tcase_add_test(limits, test_record_of_exactly_max_record_is_accepted);
	tcase_add_test(limits, test_record_larger_than_max_record_is_rejected);
	tcase_add_test(limits, test_huge_record_rejected_and_next_comes_out);
	tcase_add_test(limits, test_oversized_list_item_skipped_others_kept);
	tcase_add_test(limits, test_list_is_not_limited_by_max_record);
	tcase_add_test(limits, test_large_list_streams_in_bounded_memory);
	suite_add_tcase(s, limits);
	return s;
}
