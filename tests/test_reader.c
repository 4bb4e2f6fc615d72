/*
 * The record reader (supervisor/reader.h) against the resolve contract
 * (DESIGN.md): the input forms (bare metadata, Pod, List), the compact
 * text, the identity fields, reads split anywhere, invalid input and
 * resynchronisation, the size and depth limits, and streaming a List in
 * bounded memory.  Every expected value is worked out by hand from the
 * contract; error positions are counted in bytes (line and column are
 * 1-based, the byte offset 0-based).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/reader.h"
#include "suites.h"

#define SOURCE	"pods.json"

/* A passing ck_assert still reports to the runner (one write each): the
 * loops over thousands of records only call into check on failure. */
#define REQUIRE(condition, ...) do {					\
	if (!(condition))						\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

static const struct reader_limits defaults = {
	READER_DEFAULT_MAX_RECORD, READER_DEFAULT_MAX_DEPTH
};

/* A record copied out of the reader, whose pointers last one call. */
struct rec {
	bool		 invalid;
	char		*metadata;
	size_t		 metadata_length;
	char		*uid, *namespace, *name;
	size_t		 uid_length, namespace_length, name_length;
	char		*error;
	uint64_t	 line;
};

struct recs {
	struct rec	*v;
	size_t		 n, capacity;
};

static char *
copy_bytes(const char *bytes, size_t length)
{
	char *copy = malloc(length + 1);

	REQUIRE(copy != NULL, "out of memory");
	if (length > 0)
		memcpy(copy, bytes, length);
	copy[length] = '\0';
	return copy;
}

static void
recs_add(struct recs *recs, const struct record *record)
{
	struct rec *rec;

	if (recs->n == recs->capacity) {
		recs->capacity = recs->capacity ? 2 * recs->capacity : 16;
		recs->v = realloc(recs->v, recs->capacity * sizeof(*recs->v));
		REQUIRE(recs->v != NULL, "out of memory");
	}
	/* What every record promises, valid or not. */
	REQUIRE(record->metadata != NULL && record->uid != NULL &&
	    record->namespace != NULL && record->name != NULL,
	    "a record with a NULL field");
	REQUIRE(!record->invalid || (record->error != NULL &&
	    record->metadata_length == 0 && record->uid_length == 0 &&
	    record->namespace_length == 0 && record->name_length == 0),
	    "an invalid record without an error, or with data");
	REQUIRE(record->line >= 1, "line numbers are 1-based");
	rec = &recs->v[recs->n++];
	rec->invalid = record->invalid;
	rec->metadata = copy_bytes(record->metadata, record->metadata_length);
	rec->metadata_length = record->metadata_length;
	rec->uid = copy_bytes(record->uid, record->uid_length);
	rec->uid_length = record->uid_length;
	rec->namespace = copy_bytes(record->namespace,
	    record->namespace_length);
	rec->namespace_length = record->namespace_length;
	rec->name = copy_bytes(record->name, record->name_length);
	rec->name_length = record->name_length;
	rec->error = record->invalid ? copy_bytes(record->error,
	    strlen(record->error)) : NULL;
	rec->line = record->line;
}

static void
recs_free(struct recs *recs)
{
	for (size_t i = 0; i < recs->n; i++) {
		free(recs->v[i].metadata);
		free(recs->v[i].uid);
		free(recs->v[i].namespace);
		free(recs->v[i].name);
		free(recs->v[i].error);
	}
	free(recs->v);
	memset(recs, 0, sizeof(*recs));
}

/* Feeds one chunk to the end, as the input loop does: a call may stop
 * early (a record is ready) or consume nothing (a byte that ends a number
 * is read again), but it always makes progress. */
static void
feed(struct reader *reader, struct recs *recs, const char *data,
    size_t length)
{
	while (length > 0) {
		struct record record;
		bool ready;
		size_t used = reader_feed(reader, data, length, &record,
		    &ready);

		REQUIRE(used != (size_t)-1, "reader_feed: out of memory");
		REQUIRE(used <= length, "reader_feed used more than given");
		REQUIRE(used > 0 || ready, "reader_feed made no progress");
		if (ready)
			recs_add(recs, &record);
		data += used;
		length -= used;
	}
}

static void
finish(struct reader *reader, struct recs *recs)
{
	struct record record;

	if (reader_finish(reader, &record))
		recs_add(recs, &record);
}

/* Every record of input, fed in chunks of chunk bytes (0: all at once). */
static struct recs
read_chunks(const struct reader_limits *limits, const char *input,
    size_t length, size_t chunk)
{
	struct reader *reader = reader_new(limits, SOURCE);
	struct recs recs = { 0 };

	if (chunk == 0)
		chunk = length;
	for (size_t at = 0; at < length; at += chunk)
		feed(reader, &recs, input + at, length - at < chunk ?
		    length - at : chunk);
	finish(reader, &recs);
	reader_free(reader);
	return recs;
}

/* Every record of input, fed as two chunks cut at byte split. */
static struct recs
read_split(const char *input, size_t length, size_t split)
{
	struct reader *reader = reader_new(&defaults, SOURCE);
	struct recs recs = { 0 };

	feed(reader, &recs, input, split);
	feed(reader, &recs, input + split, length - split);
	finish(reader, &recs);
	reader_free(reader);
	return recs;
}

static struct recs
read_with(const struct reader_limits *limits, const char *input)
{
	return read_chunks(limits, input, strlen(input), 0);
}

static struct recs
read_text(const char *input)
{
	return read_chunks(&defaults, input, strlen(input), 0);
}

/* The error message format: source, line, column, byte offset, why. */
static char *
error_at(uint64_t line, uint64_t column, uint64_t offset, const char *why)
{
	char *s;

	ck_assert_int_ne(asprintf(&s, SOURCE ": line %llu, column %llu "
	    "(byte offset %llu): %s", (unsigned long long)line,
	    (unsigned long long)column, (unsigned long long)offset, why), -1);
	return s;
}

static void
expect_count(const struct recs *recs, size_t n)
{
	if (recs->n != n) {
		for (size_t i = 0; i < recs->n; i++)
			fprintf(stderr, "record %zu: %s %s\n", i,
			    recs->v[i].invalid ? "invalid" : "valid",
			    recs->v[i].invalid ? recs->v[i].error :
			    recs->v[i].metadata);
		ck_abort_msg("%zu records, expected %zu", recs->n, n);
	}
}

/* Record i is valid, with this compact metadata, starting on line. */
static void
expect_record(const struct recs *recs, size_t i, const char *metadata,
    uint64_t line)
{
	const struct rec *rec = &recs->v[i];

	ck_assert_uint_lt(i, recs->n);
	ck_assert_msg(!rec->invalid, "record %zu is invalid: %s", i,
	    rec->error);
	ck_assert_uint_eq(rec->metadata_length, strlen(metadata));
	ck_assert_str_eq(rec->metadata, metadata);
	ck_assert_uint_eq(rec->line, line);
}

static void
expect_identity(const struct recs *recs, size_t i, const char *uid,
    const char *namespace, const char *name)
{
	const struct rec *rec = &recs->v[i];

	ck_assert_uint_lt(i, recs->n);
	ck_assert_uint_eq(rec->uid_length, strlen(uid));
	ck_assert_str_eq(rec->uid, uid);
	ck_assert_uint_eq(rec->namespace_length, strlen(namespace));
	ck_assert_str_eq(rec->namespace, namespace);
	ck_assert_uint_eq(rec->name_length, strlen(name));
	ck_assert_str_eq(rec->name, name);
}

/* Record i is invalid with exactly this error; frees error. */
static void
expect_invalid(const struct recs *recs, size_t i, char *error, uint64_t line)
{
	const struct rec *rec = &recs->v[i];

	ck_assert_uint_lt(i, recs->n);
	ck_assert_msg(rec->invalid, "record %zu is valid: %s", i,
	    rec->metadata);
	ck_assert_str_eq(rec->error, error);
	ck_assert_uint_eq(rec->line, line);
	free(error);
}

static bool
rec_equal(const struct rec *a, const struct rec *b)
{
	return a->invalid == b->invalid && a->line == b->line &&
	    a->metadata_length == b->metadata_length &&
	    memcmp(a->metadata, b->metadata, a->metadata_length) == 0 &&
	    a->uid_length == b->uid_length &&
	    memcmp(a->uid, b->uid, a->uid_length) == 0 &&
	    a->namespace_length == b->namespace_length &&
	    memcmp(a->namespace, b->namespace, a->namespace_length) == 0 &&
	    a->name_length == b->name_length &&
	    memcmp(a->name, b->name, a->name_length) == 0 &&
	    (a->error == NULL) == (b->error == NULL) &&
	    (a->error == NULL || strcmp(a->error, b->error) == 0);
}

static void
require_same(const struct recs *got, const struct recs *whole,
    const char *how, size_t at)
{
	REQUIRE(got->n == whole->n, "%s %zu: %zu records, whole: %zu", how,
	    at, got->n, whole->n);
	for (size_t i = 0; i < whole->n; i++)
		REQUIRE(rec_equal(&got->v[i], &whole->v[i]), "%s %zu: record "
		    "%zu differs: %s / %s", how, at, i, got->v[i].invalid ?
		    got->v[i].error : got->v[i].metadata, whole->v[i].invalid ?
		    whole->v[i].error : whole->v[i].metadata);
}

/*
 * The records of input do not depend on how it is cut: fed one byte at a
 * time, and in two chunks cut at every byte boundary, they are those of
 * the whole input.  Returns the whole input's records.
 */
static struct recs
read_every_way(const char *input, size_t length)
{
	struct recs whole = read_chunks(&defaults, input, length, 0);
	struct recs got = read_chunks(&defaults, input, length, 1);

	require_same(&got, &whole, "one byte at a time", 0);
	recs_free(&got);
	for (size_t split = 0; split <= length; split++) {
		got = read_split(input, length, split);
		require_same(&got, &whole, "split at", split);
		recs_free(&got);
	}
	return whole;
}

#define READ_EVERY_WAY(literal) \
	read_every_way(literal, sizeof(literal) - 1)

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
	struct recs r = read_text("{\"uid\":\"a\"}\n"
	    "\xef\xbb\xbf{\"uid\":\"b\"}\n{\"uid\":\"c\"}\n");

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_invalid(&r, 1, error_at(2, 1, 12, "expected a JSON value, "
	    "found byte 0xef"), 2);
	expect_record(&r, 2, "{\"uid\":\"c\"}", 3);
	recs_free(&r);

	/* Half a byte order mark: the third byte is wrong. */
	r = read_text("\xef\xbb{\"uid\":\"a\"}\n{\"uid\":\"b\"}\n");
	expect_count(&r, 2);
	expect_invalid(&r, 0, error_at(1, 3, 2, "invalid byte order mark"), 1);
	expect_record(&r, 1, "{\"uid\":\"b\"}", 2);
	recs_free(&r);
}
END_TEST

/* --- the compact text ----------------------------------------------------- */

START_TEST(test_compact_text_drops_insignificant_whitespace)
{
	struct recs r = read_text("{ \"z\" : 1 ,\n\t\"a\" :\r\n[ true , false "
	    ", null , { } , [ ] , { \"k\" : [ 1 , 2 ] } ] , \"m\" : \"a b\" }");

	expect_count(&r, 1);
	/* Keys stay in input order, white space inside strings stays. */
	expect_record(&r, 0, "{\"z\":1,\"a\":[true,false,null,{},[],"
	    "{\"k\":[1,2]}],\"m\":\"a b\"}", 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_pod_metadata_compacted_too)
{
	struct recs r = read_text("{ \"metadata\" : {\n  \"name\" : \"x\" ,\n"
	    "  \"labels\" : { \"a\" : \"b\" }\n} }");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"name\":\"x\",\"labels\":{\"a\":\"b\"}}", 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_keys_kept_in_input_order_with_duplicates)
{
	struct recs r = read_text("{\"b\":1,\"a\":2,\"b\":3,\"A\":4}");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"b\":1,\"a\":2,\"b\":3,\"A\":4}", 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_strings_and_escapes_kept_verbatim)
{
	/* Escapes are not decoded or re-encoded in the compact text, and
	 * valid UTF-8 and DEL (which JSON allows raw) pass unchanged. */
	const char text[] = "{\"s\":\"\\u00e9\\u00E9\\/\\\"\\\\\\b\\f\\n\\r\\t"
	    "\\ud83d\\ude00\\ud800\",\"\\u006b\":\"caf\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80 \x7f\",\"e\":\"\"}";
	struct recs r = read_text(text);

	expect_count(&r, 1);
	expect_record(&r, 0, text, 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_valid_utf8_boundaries_accepted)
{
	/* U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000,
	 * U+10FFFF: the edges of what is valid. */
	const char text[] = "{\"u\":\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
	    "\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}";
	struct recs r = read_text(text);

	expect_count(&r, 1);
	expect_record(&r, 0, text, 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_numbers_kept_verbatim)
{
	const char text[] = "{\"n\":[0,-0,1,-12,0.5,-0.0,10.250,1e5,1E5,"
	    "1e+05,1E-7,2.5e-3,-0e0,123456789012345678901234567890,"
	    "1.7976931348623157e309]}";
	struct recs r = read_text(text);

	expect_count(&r, 1);
	expect_record(&r, 0, text, 1);
	recs_free(&r);
}
END_TEST

/* --- the identity fields -------------------------------------------------- */

START_TEST(test_identity_escapes_decoded)
{
	struct recs r = read_text("{\"metadata\":{"
	    "\"uid\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\","
	    "\"namespace\":\"n\\u0073\\u00e9\\u20AC\","
	    "\"name\":\"caf\xc3\xa9\"}}");

	expect_count(&r, 1);
	expect_identity(&r, 0, "a\"b\\c/d\b\f\n\r\t",
	    "ns\xc3\xa9\xe2\x82\xac", "caf\xc3\xa9");
	recs_free(&r);
}
END_TEST

START_TEST(test_identity_surrogates_decoded)
{
	struct recs r = read_text("{\"uid\":\"\\ud83d\\ude00\","
	    "\"namespace\":\"\\uDBFF\\uDFFFz\",\"name\":\"\\ud800-\\udc00\"}");

	expect_count(&r, 1);
	/* A pair is one code point; a lone surrogate is U+FFFD. */
	expect_identity(&r, 0, "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbfz",
	    "\xef\xbf\xbd-\xef\xbf\xbd");
	recs_free(&r);
}
END_TEST

START_TEST(test_identity_may_hold_nul)
{
	struct recs r = read_text("{\"uid\":\"a\\u0000b\"}");

	expect_count(&r, 1);
	ck_assert_uint_eq(r.v[0].uid_length, 3);
	ck_assert(memcmp(r.v[0].uid, "a\0b", 3) == 0);
	recs_free(&r);
}
END_TEST

START_TEST(test_identity_missing_or_not_string_is_empty)
{
	static const char *const inputs[] = {
		"{\"labels\":{}}",
		"{\"uid\":5,\"namespace\":null,\"name\":true}",
		"{\"uid\":{\"uid\":\"x\"},\"namespace\":[\"ns\"],\"name\":"
		    "false}",
		"{\"metadata\":{\"uid\":1.5,\"namespace\":{},\"name\":[]}}",
		"{\"metadata\":{}}",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct recs r = read_text(inputs[i]);

		expect_count(&r, 1);
		ck_assert(!r.v[0].invalid);
		expect_identity(&r, 0, "", "", "");
		recs_free(&r);
	}
}
END_TEST

START_TEST(test_identity_comes_from_the_record_metadata_only)
{
	/* A Pod's own top-level fields are not its metadata's. */
	struct recs r = read_text("{\"uid\":\"top\",\"name\":\"top\","
	    "\"metadata\":{\"name\":\"m\"},\"namespace\":\"top\"}");

	expect_count(&r, 1);
	expect_identity(&r, 0, "", "", "m");
	recs_free(&r);

	/* Nested objects' fields are not the record's. */
	r = read_text("{\"labels\":{\"uid\":\"l\",\"name\":\"l\"},"
	    "\"ownerReferences\":[{\"name\":\"o\",\"uid\":\"o\"}]}\n"
	    "{\"metadata\":{\"labels\":{\"uid\":\"l\"},\"ownerReferences\":"
	    "[{\"name\":\"o\"}],\"namespace\":\"ns\"}}");
	expect_count(&r, 2);
	expect_identity(&r, 0, "", "", "");
	expect_identity(&r, 1, "", "ns", "");
	recs_free(&r);

	/* A List's own metadata names nothing. */
	r = read_text("{\"metadata\":{\"uid\":\"L\",\"name\":\"L\","
	    "\"namespace\":\"L\"},\"items\":[{\"labels\":{}}]}");
	expect_count(&r, 1);
	expect_identity(&r, 0, "", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_identity_keys_matched_exactly)
{
	struct recs r = read_text("{\"nam\":\"1\",\"names\":\"2\",\"Name\":"
	    "\"3\",\"uidx\":\"4\",\"namespacenamespace\":\"5\",\"ui\":\"6\"}");

	expect_count(&r, 1);
	expect_identity(&r, 0, "", "", "");
	recs_free(&r);

	/* A key is its decoded value: "na\u006de" is "name". */
	r = read_text("{\"na\\u006de\":\"n\",\"\\u0075id\":\"u\"}");
	expect_count(&r, 1);
	expect_identity(&r, 0, "u", "", "n");
	recs_free(&r);
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

/* --- invalid input -------------------------------------------------------- */

struct bad_line {
	const char	*text;		/* line 2, without its "\n" */
	uint64_t	 column;	/* of the offending byte */
	const char	*why;
};

/*
 * Each bad line sits between two good ones: it gives exactly one invalid
 * record, with the position of the offending byte, and the lines around it
 * come out (the reader resynchronises at the next line).  Line 1 is
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
	check_bad_lines(cases, sizeof(cases) / sizeof(cases[0]))

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
		{ "\v{}", 1, "expected a JSON value, found byte 0x0b" },
		{ "\xc2\xa0{}", 1, "expected a JSON value, found byte 0xc2" },
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
		{ "{\"a\":\"x\ry\"}", 8, "control byte 0x0d inside a string "
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

START_TEST(test_error_skips_the_rest_of_its_line)
{
	/* The good value after the error on line 2 is not read. */
	const char input[] = "{\"uid\":\"a\"}\n{\"a\":x} {\"uid\":"
	    "\"skipped\"} [\n{\"uid\":\"c\"}";
	struct recs r = read_every_way(input, sizeof(input) - 1);

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"uid\":\"a\"}", 1);
	expect_invalid(&r, 1, error_at(2, 6, 17, "expected a JSON value, "
	    "found 'x'"), 2);
	expect_record(&r, 2, "{\"uid\":\"c\"}", 3);
	recs_free(&r);
}
END_TEST

START_TEST(test_error_in_a_pretty_printed_value)
{
	/*
	 * The error names its own line; the record, the line its value
	 * starts on.  Resynchronising at the next line makes the value's
	 * closing brace a stray of its own; the value after it is whole.
	 */
	struct recs r = READ_EVERY_WAY("{\n  \"a\": 1,\n  \"b\": x\n}\n"
	    "{\n  \"name\": \"next\"\n}\n");

	expect_count(&r, 3);
	expect_invalid(&r, 0, error_at(3, 8, 19, "expected a JSON value, "
	    "found 'x'"), 1);
	expect_invalid(&r, 1, error_at(4, 1, 21, "expected a JSON value, "
	    "found '}'"), 4);
	expect_record(&r, 2, "{\"name\":\"next\"}", 5);
	expect_identity(&r, 2, "", "", "next");
	recs_free(&r);
}
END_TEST

START_TEST(test_error_in_a_list_item)
{
	/* JSON Lines of Lists: the broken List's later items are on its
	 * line and skipped; the next line is whole. */
	const char input[] = "{\"items\":[{\"uid\":\"1\"},{\"uid\":2x},"
	    "{\"uid\":\"3\"}]}\n{\"items\":[{\"uid\":\"4\"}]}\n";
	struct recs r = read_every_way(input, sizeof(input) - 1);

	expect_count(&r, 3);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_invalid(&r, 1, error_at(1, 31, 30, "expected ',' or '}', "
	    "found 'x'"), 1);
	expect_record(&r, 2, "{\"uid\":\"4\"}", 2);
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

	snprintf(why, sizeof(why), "values nested deeper than %u levels are "
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

Suite *
reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *forms = tcase_create("input forms");
	TCase *compact = tcase_create("compact text");
	TCase *identity = tcase_create("identity fields");
	TCase *split = tcase_create("split reads");
	TCase *invalid = tcase_create("invalid input");
	TCase *limits = tcase_create("limits");

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

	tcase_add_test(compact,
	    test_compact_text_drops_insignificant_whitespace);
	tcase_add_test(compact, test_pod_metadata_compacted_too);
	tcase_add_test(compact, test_keys_kept_in_input_order_with_duplicates);
	tcase_add_test(compact, test_strings_and_escapes_kept_verbatim);
	tcase_add_test(compact, test_valid_utf8_boundaries_accepted);
	tcase_add_test(compact, test_numbers_kept_verbatim);
	suite_add_tcase(s, compact);

	tcase_add_test(identity, test_identity_escapes_decoded);
	tcase_add_test(identity, test_identity_surrogates_decoded);
	tcase_add_test(identity, test_identity_may_hold_nul);
	tcase_add_test(identity, test_identity_missing_or_not_string_is_empty);
	tcase_add_test(identity,
	    test_identity_comes_from_the_record_metadata_only);
	tcase_add_test(identity, test_identity_keys_matched_exactly);
	suite_add_tcase(s, identity);

	tcase_set_timeout(split, 60);
	tcase_add_test(split, test_split_reads_equal_whole_reads);
	tcase_add_test(split, test_split_pretty_list_one_byte_at_a_time);
	suite_add_tcase(s, split);

	tcase_set_timeout(invalid, 60);
	tcase_add_test(invalid, test_structural_errors);
	tcase_add_test(invalid, test_malformed_numbers);
	tcase_add_test(invalid, test_bad_escapes);
	tcase_add_test(invalid, test_bad_literals);
	tcase_add_test(invalid, test_control_bytes_in_strings);
	tcase_add_test(invalid, test_nul_byte_in_string_is_an_error);
	tcase_add_test(invalid, test_invalid_utf8_in_strings);
	tcase_add_test(invalid, test_error_skips_the_rest_of_its_line);
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
