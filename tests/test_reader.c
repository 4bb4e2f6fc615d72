/*
 * The record reader (supervisor/input/reader.h) against the resolve contract
 * (docs/contract.md): the input forms (bare metadata, Pod, List, any white
 * space, pretty-printed, CRLF, a byte order mark), how long a record's
 * pointers last, and reads split anywhere giving the records of the whole
 * input.  Every expected value is worked out by hand from the contract;
 * error positions are counted in bytes (line and column are 1-based, the
 * byte offset 0-based).
 *
 * The compact text and the identity fields are in test_reader_text.c,
 * invalid input in test_reader_errors.c, the limits in
 * test_reader_limits.c.
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

/* --- the input forms ------------------------------------------------------ */

START_TEST(test_bare_object_is_the_record)
{
	struct recs r = read_text("{\"uid\":\"u1\",\"namespace\":\"db\","
	    "\"name\":\"ogtest-0\",\"labels\":{\"app\":\"og\"}}");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"uid\":\"u1\",\"namespace\":\"db\","
	    "\"name\":\"ogtest-0\",\"labels\":{\"app\":\"og\"}}", 1);
	expect_identity(&r, 0, "u1", "db", "ogtest-0");
	recs_free(&r);
}
END_TEST

START_TEST(test_empty_object_is_a_record)
{
	struct recs r = read_text("{}");

	expect_count(&r, 1);
	expect_record(&r, 0, "{}", 1);
	expect_identity(&r, 0, "", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_pod_record_is_its_metadata)
{
	struct recs r = read_text("{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"web-1\",\"namespace\":\"prod\","
	    "\"uid\":\"9f\",\"ownerReferences\":[{\"kind\":\"ReplicaSet\"}]},"
	    "\"spec\":{\"nodeName\":\"n1\"},\"status\":{}}");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"name\":\"web-1\",\"namespace\":\"prod\","
	    "\"uid\":\"9f\",\"ownerReferences\":[{\"kind\":\"ReplicaSet\"}]}",
	    1);
	expect_identity(&r, 0, "9f", "prod", "web-1");
	recs_free(&r);
}
END_TEST

START_TEST(test_pod_metadata_may_come_last)
{
	struct recs r = read_text("{\"spec\":{\"metadata\":1},"
	    "\"metadata\":{\"name\":\"late\"}}");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"name\":\"late\"}", 1);
	expect_identity(&r, 0, "", "", "late");
	recs_free(&r);
}
END_TEST

START_TEST(test_metadata_that_is_not_an_object_makes_a_bare_record)
{
	/* A Pod has a metadata *object*; anything else is bare metadata. */
	static const char *const inputs[] = {
		"{\"metadata\":\"m\",\"name\":\"n\"}",
		"{\"metadata\":[{\"name\":\"x\"}],\"name\":\"n\"}",
		"{\"metadata\":null,\"name\":\"n\"}",
	};

	for (size_t i = 0; i < 3; i++) {
		struct recs r = read_text(inputs[i]);

		expect_count(&r, 1);
		expect_record(&r, 0, inputs[i], 1);
		expect_identity(&r, 0, "", "", "n");
		recs_free(&r);
	}
}
END_TEST

START_TEST(test_list_items_are_records)
{
	struct recs r = read_text("{\"apiVersion\":\"v1\",\"kind\":\"List\","
	    "\"items\":[{\"metadata\":{\"uid\":\"a\"}},{\"metadata\":"
	    "{\"uid\":\"b\"}},{\"metadata\":{\"uid\":\"c\"}}]}");

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_record(&r, 1, "{\"uid\":\"b\"}", 1);
	expect_record(&r, 2, "{\"uid\":\"c\"}", 1);
	expect_identity(&r, 2, "c", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_list_checked_before_pod)
{
	/* A List has a metadata object of its own: never a record. */
	static const char *const inputs[] = {
		"{\"kind\":\"List\",\"metadata\":{\"uid\":\"list\","
		    "\"name\":\"list\"},\"items\":[{\"uid\":\"i1\"},"
		    "{\"metadata\":{\"uid\":\"i2\"}}]}",
		"{\"items\":[{\"uid\":\"i1\"},{\"metadata\":{\"uid\":\"i2\"}}],"
		    "\"metadata\":{\"uid\":\"list\",\"name\":\"list\"},"
		    "\"kind\":\"List\"}",
	};

	for (size_t i = 0; i < 2; i++) {
		struct recs r = read_text(inputs[i]);

		expect_count(&r, 2);
		expect_record(&r, 0, "{\"uid\":\"i1\"}", 1);
		expect_identity(&r, 0, "i1", "", "");
		expect_record(&r, 1, "{\"uid\":\"i2\"}", 1);
		expect_identity(&r, 1, "i2", "", "");
		recs_free(&r);
	}
}
END_TEST

START_TEST(test_list_items_may_be_pods_bare_or_invalid)
{
	const char input[] = "{\"items\":[\n"
	    "{\"metadata\":{\"name\":\"pod\"},\"spec\":{}},\n"
	    "{\"name\":\"bare\"},\n"
	    "7,\n"
	    "\"s\",\n"
	    "[{\"name\":\"in-array\"}],\n"
	    "true,\n"
	    "null\n"
	    "]}\n";
	struct recs r = read_text(input);

	/* Line n of the input starts at the byte after the (n-1)th newline;
	 * each invalid item starts its line. */
	expect_count(&r, 7);
	expect_record(&r, 0, "{\"name\":\"pod\"}", 2);
	expect_record(&r, 1, "{\"name\":\"bare\"}", 3);
	expect_identity(&r, 1, "", "", "bare");
	expect_invalid(&r, 2, error_at(4, 1, 67, "the value is a number, not "
	    "an object"), 4);
	expect_invalid(&r, 3, error_at(5, 1, 70, "the value is a string, not "
	    "an object"), 5);
	expect_invalid(&r, 4, error_at(6, 1, 75, "the value is an array, not "
	    "an object"), 6);
	expect_invalid(&r, 5, error_at(7, 1, 98, "the value is a boolean, not "
	    "an object"), 7);
	expect_invalid(&r, 6, error_at(8, 1, 104, "the value is null, not "
	    "an object"), 8);
	recs_free(&r);
}
END_TEST

START_TEST(test_empty_list_gives_no_records)
{
	struct recs r = read_text("{\"kind\":\"List\",\"metadata\":"
	    "{\"name\":\"l\"},\"items\":[]}\n{\"items\":[ ]}\n");

	expect_count(&r, 0);
	recs_free(&r);
}
END_TEST

START_TEST(test_items_that_is_not_an_array_is_not_a_list)
{
	struct recs r = read_text("{\"items\":{\"uid\":\"x\"},"
	    "\"metadata\":{\"name\":\"p\"}}\n{\"items\":\"none\",\"name\":"
	    "\"b\"}\n");

	expect_count(&r, 2);
	expect_record(&r, 0, "{\"name\":\"p\"}", 1);
	expect_record(&r, 1, "{\"items\":\"none\",\"name\":\"b\"}", 2);
	expect_identity(&r, 1, "", "", "b");
	recs_free(&r);
}
END_TEST

START_TEST(test_values_separated_by_any_whitespace)
{
	struct recs r = read_text(" {\"uid\":\"a\"}  {\"uid\":\"b\"}\t"
	    "{\"uid\":\"c\"}\r\n\n\t {\"uid\":\"d\"} \n");

	expect_count(&r, 4);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_record(&r, 1, "{\"uid\":\"b\"}", 1);
	expect_record(&r, 2, "{\"uid\":\"c\"}", 1);
	expect_record(&r, 3, "{\"uid\":\"d\"}", 3);
	expect_identity(&r, 3, "d", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_json_lines)
{
	struct recs r = read_text(
	    "{\"metadata\":{\"uid\":\"1\",\"name\":\"a\"}}\n"
	    "{\"uid\":\"2\",\"name\":\"b\"}\n"
	    "{\"items\":[{\"uid\":\"3\"},{\"uid\":\"4\"}]}\n"
	    "{\"uid\":\"5\"}");

	expect_count(&r, 5);
	expect_record(&r, 0, "{\"uid\":\"1\",\"name\":\"a\"}", 1);
	expect_record(&r, 1, "{\"uid\":\"2\",\"name\":\"b\"}", 2);
	expect_record(&r, 2, "{\"uid\":\"3\"}", 3);
	expect_record(&r, 3, "{\"uid\":\"4\"}", 3);
	expect_record(&r, 4, "{\"uid\":\"5\"}", 4);
	recs_free(&r);
}
END_TEST

static const char pretty[] =
    "{\n"
    "    \"apiVersion\": \"v1\",\n"
    "    \"items\": [\n"
    "        {\n"
    "            \"metadata\": {\n"
    "                \"name\": \"web-1\",\n"
    "                \"namespace\": \"prod\",\n"
    "                \"uid\": \"u-1\"\n"
    "            },\n"
    "            \"spec\": { \"containers\": [ { \"name\": \"c\" } ] }\n"
    "        },\n"
    "        {\n"
    "            \"metadata\": {\n"
    "                \"labels\": { \"app\": \"db\" },\n"
    "                \"name\": \"db-0\"\n"
    "            }\n"
    "        }\n"
    "    ],\n"
    "    \"kind\": \"List\",\n"
    "    \"metadata\": {\n"
    "        \"resourceVersion\": \"\"\n"
    "    }\n"
    "}\n"
    "{\n"
    "  \"name\": \"after\"\n"
    "}\n";

static void
expect_pretty_records(const struct recs *r)
{
	expect_count(r, 3);
	expect_record(r, 0, "{\"name\":\"web-1\",\"namespace\":\"prod\","
	    "\"uid\":\"u-1\"}", 4);
	expect_identity(r, 0, "u-1", "prod", "web-1");
	expect_record(r, 1, "{\"labels\":{\"app\":\"db\"},\"name\":\"db-0\"}",
	    12);
	expect_identity(r, 1, "", "", "db-0");
	expect_record(r, 2, "{\"name\":\"after\"}", 24);
}

START_TEST(test_pretty_printed_values)
{
	struct recs r = read_text(pretty);

	expect_pretty_records(&r);
	recs_free(&r);
}
END_TEST

/* The same text with every "\n" made "\r\n". */
static char *
with_crlf(const char *text)
{
	size_t length = strlen(text), n = 0;
	char *out = malloc(2 * length + 1);

	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < length; i++) {
		if (text[i] == '\n')
			out[n++] = '\r';
		out[n++] = text[i];
	}
	out[n] = '\0';
	return out;
}

START_TEST(test_crlf_line_endings)
{
	char *crlf = with_crlf(pretty);
	struct recs r = read_text(crlf);

	expect_pretty_records(&r);
	recs_free(&r);
	free(crlf);

	/* Columns restart after CRLF as after LF: 'x' is byte 5 of line 2,
	 * which starts at offset 9 ("{\"a\":1}\r\n" is 9 bytes). */
	r = read_text("{\"a\":1}\r\n{\"a\":x}\r\n{\"a\":2}\r\n");
	expect_count(&r, 3);
	expect_record(&r, 0, "{\"a\":1}", 1);
	expect_invalid(&r, 1, error_at(2, 6, 14, "expected a JSON value, "
	    "found 'x'"), 2);
	expect_record(&r, 2, "{\"a\":2}", 3);
	recs_free(&r);
}
END_TEST

START_TEST(test_byte_order_mark_at_start_is_skipped)
{
	struct recs r = read_text("\xef\xbb\xbf{\"uid\":\"a\"}\n"
	    "{\"uid\":\"b\"}");

	expect_count(&r, 2);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_record(&r, 1, "{\"uid\":\"b\"}", 2);
	recs_free(&r);

	/* A byte order mark alone is an empty input. */
	r = read_text("\xef\xbb\xbf");
	expect_count(&r, 0);
	recs_free(&r);
}
END_TEST

START_TEST(test_byte_order_mark_elsewhere_is_an_error)
{
	/* The stray bytes are one error; the value after them is read. */
	struct recs r = read_text("{\"uid\":\"a\"}\n"
	    "\xef\xbb\xbf{\"uid\":\"b\"}\n{\"uid\":\"c\"}\n");

	expect_count(&r, 4);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_invalid(&r, 1, error_at(2, 1, 12, "expected a JSON value, "
	    "found byte 0xef"), 2);
	expect_record(&r, 2, "{\"uid\":\"b\"}", 2);
	expect_record(&r, 3, "{\"uid\":\"c\"}", 3);
	recs_free(&r);

	/* Half a byte order mark: the third byte is wrong, and is the
	 * start of the first value. */
	r = read_text("\xef\xbb{\"uid\":\"a\"}\n{\"uid\":\"b\"}\n");
	expect_count(&r, 3);
	expect_invalid(&r, 0, error_at(1, 3, 2, "invalid byte order mark"), 1);
	expect_record(&r, 1, "{\"uid\":\"a\"}", 1);
	expect_record(&r, 2, "{\"uid\":\"b\"}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_record_pointers_last_until_the_next_call)
{
	/* Two records in one chunk: the first is handed out before the
	 * second is parsed, and the second call does not need the first's
	 * bytes again. */
	struct reader *reader = reader_new(&defaults, SOURCE);
	const char input[] = "{\"uid\":\"one\"}{\"uid\":\"two\"}";
	struct record record;
	bool ready;
	size_t used;

	used = reader_feed(reader, input, sizeof(input) - 1, &record, &ready);
	ck_assert(ready);
	ck_assert_uint_eq(used, 13);
	ck_assert_uint_eq(record.uid_length, 3);
	ck_assert(memcmp(record.uid, "one", 3) == 0);
	used = reader_feed(reader, input + used, sizeof(input) - 1 - used,
	    &record, &ready);
	ck_assert(ready);
	ck_assert_uint_eq(used, 13);
	ck_assert(memcmp(record.uid, "two", 3) == 0);
	ck_assert(memcmp(record.metadata, "{\"uid\":\"two\"}", 13) == 0);
	ck_assert(!reader_finish(reader, &record));
	reader_free(reader);
}
END_TEST

/* --- split reads ---------------------------------------------------------- */

/* Inputs that put a cut inside every kind of token and state. */
static const char *const split_inputs[] = {
	"\xef\xbb\xbf{\"uid\":\"a\"}\n",
	"{\"metadata\":{\"uid\":\"\\ud83d\\ude00\",\"namespace\":\"n\\u00e9\","
	    "\"name\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"},"
	    "\"spec\":{\"x\":[1.5e-3,-0,true,false,null]}}\n"
	    "{\"name\":\"second\"}",
	"{\"kind\":\"List\",\"metadata\":{\"uid\":\"L\"},\"items\":[{\"uid\":"
	    "\"1\"},7,{\"metadata\":{\"name\":\"2\"}},\"s\",[],-1.25E+2]}",
	"{\"a\":1}\n{\"a\":01}\n{\"a\":tru}\n{\"a\":\"\\x\"}\n"
	    "{\"a\":\"\xc3(\"}\n{\"a\":\"\\u12g4\"}\n{\"a\" 1}\n"
	    "{\"b\":2}\n",
	"  42 \"str\" [1,{\"x\":[]}] true null 3.5e1",
	"{\n  \"name\": \"x\",\r\n  \"uid\": \"y\"\r\n}\r\n{\"a\":\"abc\n"
	    "{\"name\":\"z\"}",
	"{\"items\":[{\"uid\":\"1\"},{\"uid\":\"2\"",
	"{\"uid\":\"a\"}\n{\"uid\":\"trunc\\u00",
	"12",
};

START_TEST(test_split_reads_equal_whole_reads)
{
	for (size_t i = 0; i < sizeof(split_inputs) / sizeof(split_inputs[0]);
	    i++) {
		struct recs whole = read_every_way(split_inputs[i],
		    strlen(split_inputs[i]));

		/* Each of these inputs makes records: the comparison is not
		 * of two empty lists. */
		ck_assert_uint_gt(whole.n, 0);
		recs_free(&whole);
	}
}
END_TEST

START_TEST(test_split_pretty_list_one_byte_at_a_time)
{
	char *crlf = with_crlf(pretty);
	struct recs r = read_every_way(pretty, strlen(pretty));

	expect_pretty_records(&r);
	recs_free(&r);
	r = read_every_way(crlf, strlen(crlf));
	expect_pretty_records(&r);
	recs_free(&r);
	free(crlf);
}
END_TEST

Suite *
reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *forms = tcase_create("input forms");
	TCase *split = tcase_create("split reads");

	tcase_add_test(forms, test_bare_object_is_the_record);
	tcase_add_test(forms, test_empty_object_is_a_record);
	tcase_add_test(forms, test_pod_record_is_its_metadata);
	tcase_add_test(forms, test_pod_metadata_may_come_last);
	tcase_add_test(forms,
	    test_metadata_that_is_not_an_object_makes_a_bare_record);
	tcase_add_test(forms, test_list_items_are_records);
	tcase_add_test(forms, test_list_checked_before_pod);
	tcase_add_test(forms, test_list_items_may_be_pods_bare_or_invalid);
	tcase_add_test(forms, test_empty_list_gives_no_records);
	tcase_add_test(forms, test_items_that_is_not_an_array_is_not_a_list);
	tcase_add_test(forms, test_values_separated_by_any_whitespace);
	tcase_add_test(forms, test_json_lines);
	tcase_add_test(forms, test_pretty_printed_values);
	tcase_add_test(forms, test_crlf_line_endings);
	tcase_add_test(forms, test_byte_order_mark_at_start_is_skipped);
	tcase_add_test(forms, test_byte_order_mark_elsewhere_is_an_error);
	tcase_add_test(forms, test_record_pointers_last_until_the_next_call);
	suite_add_tcase(s, forms);

	tcase_set_timeout(split, 60);
	tcase_add_test(split, test_split_reads_equal_whole_reads);
	tcase_add_test(split, test_split_pretty_list_one_byte_at_a_time);
	suite_add_tcase(s, split);
	return s;
}
