/*
 * The record reader (supervisor/input/reader.h) on watch streams, as `kubectl
 * get pods -A -w -o json --output-watch-events` and the API's watch
 * endpoint print them: {"type": ..., "object": {...}} events.  ADDED,
 * MODIFIED and DELETED give the object's record with the event type,
 * BOOKMARK gives none, ERROR an invalid record quoting its Status, any
 * other type an invalid record naming it; a value that is not an event
 * keeps its old meaning.  Every stream is also read split at every byte.
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

/* A Pod's metadata and the record it makes. */
#define POD_META(name) "{\"name\":\"" name "\",\"namespace\":\"web\"," \
	"\"uid\":\"u-" name "\",\"ownerReferences\":[{\"kind\":" \
	"\"ReplicaSet\",\"name\":\"web-5f7d9\"}]}"
#define POD(name) "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":" \
	POD_META(name) ",\"spec\":{\"nodeName\":\"n1\"}}"

START_TEST(test_added_modified_deleted_give_the_pod_record)
{
	struct recs r = READ_EVERY_WAY(
	    "{\"type\":\"ADDED\",\"object\":" POD("a") "}\n"
	    "{\"type\":\"MODIFIED\",\"object\":" POD("b") "}\n"
	    "{\"type\":\"DELETED\",\"object\":" POD("c") "}\n");

	expect_count(&r, 3);
	expect_record(&r, 0, POD_META("a"), 1);
	expect_identity(&r, 0, "u-a", "web", "a");
	expect_event(&r, 0, "ADDED");
	expect_record(&r, 1, POD_META("b"), 2);
	expect_identity(&r, 1, "u-b", "web", "b");
	expect_event(&r, 1, "MODIFIED");
	expect_record(&r, 2, POD_META("c"), 3);
	expect_identity(&r, 2, "u-c", "web", "c");
	expect_event(&r, 2, "DELETED");
	recs_free(&r);
}
END_TEST

START_TEST(test_type_may_follow_the_object)
{
	struct recs r = READ_EVERY_WAY("{\"object\":" POD("a") ",\"type\":"
	    "\"MODIFIED\"}");

	expect_count(&r, 1);
	expect_record(&r, 0, POD_META("a"), 1);
	expect_identity(&r, 0, "u-a", "web", "a");
	expect_event(&r, 0, "MODIFIED");
	recs_free(&r);
}
END_TEST

START_TEST(test_pretty_printed_watch_stream)
{
	/* kubectl prints each event pretty, one after the other. */
	struct recs r = READ_EVERY_WAY(
	    "{\n"
	    "    \"type\": \"ADDED\",\n"
	    "    \"object\": {\n"
	    "        \"kind\": \"Pod\",\n"
	    "        \"metadata\": {\n"
	    "            \"name\": \"web-1\",\n"
	    "            \"namespace\": \"prod\",\n"
	    "            \"uid\": \"9f\"\n"
	    "        },\n"
	    "        \"spec\": { \"containers\": [ { \"name\": \"c\" } ] }\n"
	    "    }\n"
	    "}\n"
	    "{\n"
	    "    \"type\": \"BOOKMARK\",\n"
	    "    \"object\": {\n"
	    "        \"kind\": \"Pod\",\n"
	    "        \"metadata\": { \"resourceVersion\": \"12746\" }\n"
	    "    }\n"
	    "}\n"
	    "{\n"
	    "    \"type\": \"DELETED\",\n"
	    "    \"object\": {\n"
	    "        \"metadata\": { \"name\": \"web-1\", \"uid\": \"9f\" }\n"
	    "    }\n"
	    "}\n");

	expect_count(&r, 2);
	expect_record(&r, 0, "{\"name\":\"web-1\",\"namespace\":\"prod\","
	    "\"uid\":\"9f\"}", 1);
	expect_identity(&r, 0, "9f", "prod", "web-1");
	expect_event(&r, 0, "ADDED");
	expect_record(&r, 1, "{\"name\":\"web-1\",\"uid\":\"9f\"}", 20);
	expect_event(&r, 1, "DELETED");
	recs_free(&r);
}
END_TEST

START_TEST(test_bookmark_gives_no_record)
{
	/* The API's bookmark, with its annotation; nothing else is lost. */
	struct recs r = READ_EVERY_WAY(
	    "{\"type\":\"ADDED\",\"object\":" POD("a") "}\n"
	    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":"
	    "\"v1\",\"metadata\":{\"resourceVersion\":\"12746\",\"annotations\":"
	    "{\"k8s.io/initial-events-end\":\"true\"}}}}\n"
	    "{\"type\":\"BOOKMARK\",\"object\":{}}\n"
	    "{\"type\":\"MODIFIED\",\"object\":" POD("b") "}\n");

	expect_count(&r, 2);
	expect_event(&r, 0, "ADDED");
	expect_identity(&r, 0, "u-a", "web", "a");
	expect_event(&r, 1, "MODIFIED");
	expect_identity(&r, 1, "u-b", "web", "b");
	ck_assert_uint_eq(r.v[1].line, 4);
	recs_free(&r);
}
END_TEST

START_TEST(test_error_event_quotes_its_status)
{
	struct recs r = READ_EVERY_WAY(
	    "{\"type\":\"ADDED\",\"object\":" POD("a") "}\n"
	    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":"
	    "\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old "
	    "resource version: 123 (456)\",\"reason\":\"Expired\",\"code\":"
	    "410}}\n"
	    "{\"type\":\"ADDED\",\"object\":" POD("b") "}\n");

	expect_count(&r, 3);
	expect_event(&r, 0, "ADDED");
	/* The line, column and offset of the event. */
	expect_invalid(&r, 1, error_at(2, 1, 199, "watch ERROR event: 410 "
	    "Expired: too old resource version: 123 (456)"), 2);
	expect_event(&r, 1, "ERROR");
	expect_event(&r, 2, "ADDED");
	expect_identity(&r, 2, "u-b", "web", "b");
	recs_free(&r);
}
END_TEST

START_TEST(test_error_event_with_part_of_a_status)
{
	static const struct {
		const char *object, *why;
	} cases[] = {
		{ "{\"code\":500}", "watch ERROR event: 500" },
		{ "{\"reason\":\"Gone\"}", "watch ERROR event: Gone" },
		{ "{\"message\":\"m\"}", "watch ERROR event: m" },
		{ "{\"code\":410,\"message\":\"m\"}", "watch ERROR event: "
		    "410: m" },
		{ "{\"code\":\"410\",\"reason\":\"Expired\"}", "watch ERROR "
		    "event: 410 Expired" },
		{ "{}", "watch ERROR event (its Status object has no code, "
		    "reason or message)" },
		/* Members that are not what a Status holds are left out. */
		{ "{\"code\":{\"a\":1},\"reason\":7,\"message\":null}", "watch "
		    "ERROR event (its Status object has no code, reason or "
		    "message)" },
		/* Nested members are not the Status's. */
		{ "{\"details\":{\"code\":1,\"reason\":\"r\"}}", "watch ERROR "
		    "event (its Status object has no code, reason or "
		    "message)" },
		/* Escapes decoded, control characters shown as spaces. */
		{ "{\"message\":\"a\\\"b\\n\\u00e9\\u0000c\"}", "watch ERROR "
		    "event: a\"b \xc3\xa9 c" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *input;
		struct recs r;

		ck_assert_int_ne(asprintf(&input, "{\"type\":\"ERROR\","
		    "\"object\":%s}", cases[i].object), -1);
		r = read_every_way(input, strlen(input));
		expect_count(&r, 1);
		expect_invalid(&r, 0, error_at(1, 1, 0, cases[i].why), 1);
		expect_event(&r, 0, "ERROR");
		recs_free(&r);
		free(input);
	}
}
END_TEST

START_TEST(test_error_event_message_is_bounded)
{
	/* A huge message is cut, at a character boundary, and the error
	 * still names where the event is. */
	size_t huge = 100000, length;
	char *input = malloc(huge * 2 + 64);
	struct recs r;

	ck_assert_ptr_nonnull(input);
	length = (size_t)sprintf(input, "{\"type\":\"ERROR\",\"object\":"
	    "{\"message\":\"x");
	for (size_t i = 0; i < huge; i++) {
		memcpy(input + length, "\xc3\xa9", 2);
		length += 2;
	}
	length += (size_t)sprintf(input + length, "\"}}");
	r = read_chunks(&defaults, input, length, 0);
	expect_count(&r, 1);
	ck_assert(r.v[0].invalid);
	ck_assert_msg(strncmp(r.v[0].error, SOURCE ": line 1, column 1 (byte "
	    "offset 0): watch ERROR event: x\xc3\xa9", 50) == 0, "%s",
	    r.v[0].error);
	ck_assert_uint_lt(strlen(r.v[0].error), 600);
	/* Whole characters only: it ends in é. */
	ck_assert(memcmp(r.v[0].error + strlen(r.v[0].error) - 2,
	    "\xc3\xa9", 2) == 0);
	recs_free(&r);
	free(input);
}
END_TEST

START_TEST(test_unknown_event_type_is_invalid)
{
	struct recs r = READ_EVERY_WAY(
	    "{\"type\":\"RESYNC\",\"object\":" POD("a") "}\n"
	    "{\"type\":\"added\",\"object\":" POD("b") "}\n"
	    "{\"type\":\"\",\"object\":{}}\n"
	    "{\"type\":\"A\\u0000\\nB\",\"object\":{}}\n");

	expect_count(&r, 4);
	expect_invalid(&r, 0, error_at(1, 1, 0, "watch event of unknown type "
	    "\"RESYNC\""), 1);
	expect_event(&r, 0, "RESYNC");
	/* Types are matched exactly, as the API spells them. */
	expect_invalid(&r, 1, error_at(2, 1, 200, "watch event of unknown "
	    "type \"added\""), 2);
	expect_event(&r, 1, "added");
	expect_invalid(&r, 2, error_at(3, 1, 399, "watch event of unknown "
	    "type \"\""), 3);
	expect_event(&r, 2, "");
	/* The event holds the type as it is; the message shows it safely. */
	expect_invalid(&r, 3, error_at(4, 1, 423, "watch event of unknown "
	    "type \"A  B\""), 4);
	ck_assert_uint_eq(r.v[3].event_length, 4);
	ck_assert(memcmp(r.v[3].event, "A\0\nB", 4) == 0);
	recs_free(&r);
}
END_TEST

START_TEST(test_event_object_without_metadata_is_bare_metadata)
{
	/* The object is read as a top-level value would be: without a
	 * metadata object, it is the metadata itself. */
	struct recs r = READ_EVERY_WAY("{\"type\":\"ADDED\",\"object\":"
	    "{\"name\":\"n\",\"uid\":\"u\",\"metadata\":\"not an object\"}}\n"
	    "{\"type\":\"ADDED\",\"object\":{\"uid\":\"top\",\"metadata\":"
	    "{\"uid\":\"m\"},\"name\":\"top\"}}");

	expect_count(&r, 2);
	expect_record(&r, 0, "{\"name\":\"n\",\"uid\":\"u\",\"metadata\":"
	    "\"not an object\"}", 1);
	expect_identity(&r, 0, "u", "", "n");
	expect_event(&r, 0, "ADDED");
	/* With one, only its fields are the record's. */
	expect_record(&r, 1, "{\"uid\":\"m\"}", 2);
	expect_identity(&r, 1, "m", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_event_identity_is_the_objects_only)
{
	/* The event's own members, and nested objects, name nothing. */
	struct recs r = READ_EVERY_WAY("{\"uid\":\"e\",\"name\":\"e\","
	    "\"metadata\":{\"name\":\"e\"},\"type\":\"ADDED\",\"object\":"
	    "{\"metadata\":{\"labels\":{\"name\":\"l\"},\"namespace\":\"ns\"}}}");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"labels\":{\"name\":\"l\"},\"namespace\":"
	    "\"ns\"}", 1);
	expect_identity(&r, 0, "", "ns", "");
	expect_event(&r, 0, "ADDED");
	recs_free(&r);
}
END_TEST

START_TEST(test_last_type_and_object_count)
{
	/* Duplicate members: the last of each counts, as for metadata. */
	struct recs r = READ_EVERY_WAY("{\"type\":\"BOOKMARK\",\"object\":"
	    "{\"metadata\":{\"name\":\"first\"}},\"type\":\"ADDED\",\"object\":"
	    "{\"metadata\":{\"name\":\"last\"}}}");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"name\":\"last\"}", 1);
	expect_event(&r, 0, "ADDED");
	recs_free(&r);

	/* A later object without metadata forgets the first's. */
	r = READ_EVERY_WAY("{\"type\":\"ADDED\",\"object\":{\"metadata\":"
	    "{\"name\":\"first\"}},\"object\":{\"name\":\"second\"}}");
	expect_count(&r, 1);
	expect_record(&r, 0, "{\"name\":\"second\"}", 1);
	expect_identity(&r, 0, "", "", "second");
	recs_free(&r);
}
END_TEST

START_TEST(test_values_that_are_not_events_keep_their_meaning)
{
	struct recs r = READ_EVERY_WAY(
	    /* type without object: bare metadata */
	    "{\"type\":\"ADDED\",\"name\":\"n1\"}\n"
	    /* type not a string: a Pod */
	    "{\"type\":5,\"object\":{},\"metadata\":{\"name\":\"n2\"}}\n"
	    /* object not an object: a Pod */
	    "{\"type\":\"ADDED\",\"object\":[],\"metadata\":{\"name\":\"n3\"}}\n"
	    /* a later type that is not a string undoes the first */
	    "{\"type\":\"ADDED\",\"object\":{},\"type\":null,\"name\":\"n4\"}\n"
	    /* an event in a List's items is an item like any other */
	    "{\"items\":[{\"type\":\"ADDED\",\"object\":{\"metadata\":"
	    "{\"name\":\"x\"}}}]}\n"
	    /* a List that has type and object is a List */
	    "{\"type\":\"ADDED\",\"object\":{},\"items\":[{\"name\":\"n6\"}]}\n");

	expect_count(&r, 6);
	expect_record(&r, 0, "{\"type\":\"ADDED\",\"name\":\"n1\"}", 1);
	expect_record(&r, 1, "{\"name\":\"n2\"}", 2);
	expect_record(&r, 2, "{\"name\":\"n3\"}", 3);
	expect_record(&r, 3, "{\"type\":\"ADDED\",\"object\":{},\"type\":null,"
	    "\"name\":\"n4\"}", 4);
	expect_record(&r, 4, "{\"type\":\"ADDED\",\"object\":{\"metadata\":"
	    "{\"name\":\"x\"}}}", 5);
	expect_identity(&r, 4, "", "", "");
	expect_record(&r, 5, "{\"name\":\"n6\"}", 6);
	for (size_t i = 0; i < 6; i++)
		expect_event(&r, i, "");
	recs_free(&r);
}
END_TEST

START_TEST(test_broken_event_is_one_invalid_record)
{
	/* A syntax error in an event: one invalid record, with no event
	 * type (it is not known to be one), and the next event is read. */
	struct recs r = READ_EVERY_WAY(
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":x}}}\n"
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"\n"
	    "{\"type\":\"ADDED\",\"object\":" POD("b") "}\n");

	expect_count(&r, 3);
	expect_invalid(&r, 0, error_at(1, 46, 45, "expected a JSON value, "
	    "found 'x'"), 1);
	expect_event(&r, 0, "");
	expect_invalid(&r, 1, error_at(3, 1, 99, "expected ',' or '}', found "
	    "'{'"), 2);
	expect_record(&r, 2, POD_META("b"), 3);
	expect_event(&r, 2, "ADDED");
	recs_free(&r);
}
END_TEST

START_TEST(test_event_is_held_to_the_record_limit)
{
	/* The whole event is assembled, like a whole Pod: 50 bytes, then
	 * 51. */
	const struct reader_limits limits = { 50, 16 };
	struct recs r = read_with(&limits,
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"uid\":\"1\"}}}\n"
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"uid\":\"22\"}}}\n");

	expect_count(&r, 2);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_event(&r, 0, "ADDED");
	expect_invalid(&r, 1, error_at(2, 1, 51, "the record is larger than "
	    "the limit of 50 bytes"), 2);
	expect_event(&r, 1, "");
	recs_free(&r);
}
END_TEST

Suite *
reader_watch_suite(void)
{
	Suite *s = suite_create("reader_watch");
	TCase *events = tcase_create("watch events");

	tcase_set_timeout(events, 60);
	tcase_add_test(events, test_added_modified_deleted_give_the_pod_record);
	tcase_add_test(events, test_type_may_follow_the_object);
	tcase_add_test(events, test_pretty_printed_watch_stream);
	tcase_add_test(events, test_bookmark_gives_no_record);
	tcase_add_test(events, test_error_event_quotes_its_status);
	tcase_add_test(events, test_error_event_with_part_of_a_status);
	tcase_add_test(events, test_error_event_message_is_bounded);
	tcase_add_test(events, test_unknown_event_type_is_invalid);
	tcase_add_test(events,
	    test_event_object_without_metadata_is_bare_metadata);
	tcase_add_test(events, test_event_identity_is_the_objects_only);
	tcase_add_test(events, test_last_type_and_object_count);
	tcase_add_test(events,
	    test_values_that_are_not_events_keep_their_meaning);
	tcase_add_test(events, test_broken_event_is_one_invalid_record);
	tcase_add_test(events, test_event_is_held_to_the_record_limit);
	suite_add_tcase(s, events);
	return s;
}
