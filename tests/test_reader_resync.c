/*
 * The record reader (supervisor/input/reader.h) after a syntax error: one error
 * gives one invalid record, for the value it is in (inside a List, its
 * item), and reading resumes at the next top-level value or List item; a
 * nested object never becomes a record.  Checked on a pretty-printed
 * `kubectl get pods -o json` List of six Pods (tests/data/six-pods.json)
 * with one bad value or broken brackets, on pretty-printed top-level Pods,
 * on deep nesting, and on input whose lines end in a bare CR (JSON
 * Lines, the List's own members and the end of input are in
 * test_reader_recovery.c).  Every input is also read in chunks (down to
 * one byte at a time) with the same records.
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

/* --- the six-Pod List ----------------------------------------------------- */

static const char *const pod_names[6] = {
	"ogtest-0", "ogtest-1", "ogtest-2", "nginx-7c5ddbdf54-x8k2p",
	"kube-proxy-7q9wz", "debug-shell",
};
/* The line each item starts on. */
static const uint64_t pod_lines[6] = { 4, 63, 122, 181, 236, 288 };

static char *
six_pods(void)
{
	return read_source_file("tests/data/six-pods.json", NULL);
}

static uint64_t
line_at(const char *text, size_t offset)
{
	uint64_t line = 1;

	for (size_t i = 0; i < offset; i++)
		line += text[i] == '\n';
	return line;
}

/* Offset of the n-th (0-based) occurrence of needle at or after from. */
static size_t
find_nth(const char *text, size_t from, const char *needle, size_t n)
{
	const char *at = text + from;

	for (;;) {
		at = strstr(at, needle);
		ck_assert_msg(at != NULL, "no \"%s\" in the fixture", needle);
		if (n-- == 0)
			return (size_t)(at - text);
		at++;
	}
}

/* text with length bytes at offset replaced by to. */
static char *
splice(const char *text, size_t offset, size_t length, const char *to)
{
	char *out;

	ck_assert_int_ne(asprintf(&out, "%.*s%s%s", (int)offset, text, to,
	    text + offset + length), -1);
	return out;
}

/* The line of the item whose metadata names pod, in input. */
static uint64_t
item_line(const char *input, const char *pod)
{
	char *name;
	const char *at;

	ck_assert_int_ne(asprintf(&name, "\"name\": \"%s\",", pod), -1);
	at = strstr(input, name);
	ck_assert_ptr_nonnull(at);
	free(name);
	while (at > input && strncmp(at, "\n        {\n", 11) != 0)
		at--;
	return line_at(input, (size_t)(at - input) + 1);
}

/*
 * The records of input are, in order, what pattern says: a digit is that
 * Pod, valid, with its name, on the line of its item; 'X' an invalid
 * record naming the source and a line.  Nothing else: a nested object
 * that became a record would be one record too many.
 */
static void
expect_pods(const struct recs *r, const char *input, const char *pattern,
    const char *what)
{
	size_t n = strlen(pattern);

	if (r->n != n) {
		for (size_t i = 0; i < r->n; i++)
			fprintf(stderr, "%s: record %zu: %s %.60s\n", what, i,
			    r->v[i].invalid ? "invalid" : "valid",
			    r->v[i].invalid ? r->v[i].error : r->v[i].name);
		ck_abort_msg("%s: %zu records, expected %zu (%s)", what, r->n,
		    n, pattern);
	}
	for (size_t i = 0; i < n; i++) {
		const struct rec *rec = &r->v[i];

		if (pattern[i] == 'X') {
			ck_assert_msg(rec->invalid, "%s: record %zu is valid",
			    what, i);
			ck_assert_msg(strncmp(rec->error, SOURCE ": line ",
			    strlen(SOURCE ": line ")) == 0, "%s: %s", what,
			    rec->error);
			continue;
		}
		ck_assert_msg(!rec->invalid, "%s: record %zu: %s", what, i,
		    rec->error);
		ck_assert_str_eq(rec->name, pod_names[pattern[i] - '0']);
		ck_assert_uint_eq(rec->line, item_line(input,
		    pod_names[pattern[i] - '0']));
	}
}

START_TEST(test_one_bad_value_in_a_pretty_list_gives_six_records)
{
	/* In a Pod's spec, in an object in an array in it (a container),
	 * and in its metadata: every kind of bad value, in place of a
	 * member "key": "value",. */
	static const struct {
		const char *key, *member;
	} places[] = {
		{ "\"restartPolicy\"", "\"restartPolicy\": \"Always\"," },
		{ "\"imagePullPolicy\"", "\"imagePullPolicy\": "
		    "\"IfNotPresent\"," },
		{ "\"creationTimestamp\"", "\"creationTimestamp\": "
		    "\"2024-08-07T02:08:14Z\"," },
	};
	/* What follows the key. */
	static const char *const bad[] = {
		": Always,", ": \"Always\" \"x\",", " \"Always\",",
		": \"Al\\qways\",", ": \"Always,", ": 01,",
		/* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
		": \"Alw\xff" "ays\",", ": \"Always\",,", ": [1 2],",
		": tru,", ": \"\\u12\",", ": {\"a\" 1},", ":: 1,",
		": -,", ": \"\x01\",", ": nul,",
	};
	char *text = six_pods();

	for (size_t pod = 0; pod < 6; pod++)
		for (size_t p = 0; p < 3; p++)
			for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]);
			    b++) {
				size_t at = find_nth(text, 0, places[p].member,
				    pod);
				char *input, *member, pattern[7] = "012345",
				    what[64], prefix[64];
				struct recs r;

				ck_assert_int_ne(asprintf(&member, "%s%s",
				    places[p].key, bad[b]), -1);
				input = splice(text, at,
				    strlen(places[p].member), member);
				pattern[pod] = 'X';
				snprintf(what, sizeof(what), "pod %zu, %s, %s",
				    pod, places[p].key, member);
				r = read_chunked_ways(&defaults, input,
				    strlen(input));
				expect_pods(&r, input, pattern, what);
				ck_assert_uint_eq(r.v[pod].line,
				    pod_lines[pod]);
				/* The error is on the line of the bad value;
				 * the record, on the line of its item. */
				snprintf(prefix, sizeof(prefix), SOURCE ": line "
				    "%llu, column ", (unsigned long long)
				    line_at(input, at));
				ck_assert_msg(strncmp(r.v[pod].error, prefix,
				    strlen(prefix)) == 0, "%s: %s", what,
				    r.v[pod].error);
				recs_free(&r);
				free(input);
				free(member);
			}
	free(text);
}
END_TEST

/*
 * Broken brackets in the third Pod (ogtest-2), as an edit of the fixture
 * after the Pod's start: the records they give.
 */
struct edit {
	const char	*what;
	const char	*from;		/* its first occurrence in the Pod */
	const char	*to;		/* NULL: cut up to the next item */
	const char	*records;
};

static const struct edit pod_edits[] = {
	{ "the ']' of ownerReferences missing",
	    "                    }\n                ],\n",
	    "                    }\n", "01X345" },
	{ "the '}' of the ownerReference missing",
	    "                    }\n                ],\n",
	    "                ],\n", "01X345" },
	{ "the '{' of the ownerReference missing",
	    "\"ownerReferences\": [\n                    {\n",
	    "\"ownerReferences\": [\n", "01X345" },
	{ "labels closed by ']'", "\"ogtest-2\"\n                },\n",
	    "\"ogtest-2\"\n                ],\n", "01X345" },
	{ "a stray '}' line in the ownerReference",
	    "\"kind\": \"OpenGaussCluster\",\n",
	    "\"kind\": \"OpenGaussCluster\",\n                        }\n",
	    "01X345" },
	{ "a stray ']' after a value", "\"name\": \"ogtest\",\n",
	    "\"name\": \"ogtest\"],\n", "01X345" },
	{ "the metadata closed by ',' only",
	    "0c1d2e3f4a5b\"\n            },\n",
	    "0c1d2e3f4a5b\"\n            ,\n", "01X345" },
	{ "the Pod closed by ',' only", "            }\n        },\n",
	    "            }\n        ,\n", "01X345" },
	{ "an unterminated string", "\"kind\": \"OpenGaussCluster\",",
	    "\"kind\": \"OpenGaussCluster,", "01X345" },
	{ "the Pod cut short in its metadata",
	    "                \"resourceVersion\"", NULL, "01X345" },
	{ "the Pod cut short in a container",
	    "                        \"imagePullPolicy\"", NULL, "01X345" },
	/* Between items: the Pod is whole, the bytes after it are the
	 * List's error. */
	{ "a stray '}' line after the Pod", "\n        },\n",
	    "\n        },\n        }\n", "012X345" },
	{ "no ',' after the Pod", "\n        },\n", "\n        }\n",
	    "012X345" },
	{ "two ',' after the Pod", "\n        },\n", "\n        },,\n",
	    "012X345" },
	/* The Pod's members become items: its first member's name is an
	 * item that is not an object, its ':' the List's error; none of
	 * its objects becomes a record. */
	{ "the '{' of the Pod missing", "        {\n            \"apiVersion\"",
	    "            \"apiVersion\"", "01XX345" },
	/* A line of garbage, then a broken item: two errors. */
	{ "a line of garbage after the Pod", "\n        },\n",
	    "\n        },\n   hello \"world\" {oops\n", "012XX345" },
	/* A stray '}' in the metadata, after a member's object. */
	{ "a stray '}' line after the annotations", "\n                },\n",
	    "\n                },\n        }\n", "01X345" },
	/* A '}' too many closes the metadata early: the Pod is complete,
	 * and its "spec" member is an item that is not an object. */
	{ "a '}' too many in the metadata", "0c1d2e3f4a5b\"\n",
	    "0c1d2e3f4a5b\"}\n", "012XX345" },
};

START_TEST(test_broken_brackets_in_a_pretty_list)
{
	char *text = six_pods();
	size_t pod = find_nth(text, 0, "\n        {\n", 2) + 1;

	for (size_t i = 0; i < sizeof(pod_edits) / sizeof(pod_edits[0]);
	    i++) {
		const struct edit *e = &pod_edits[i];
		size_t at = find_nth(text, pod, e->from, 0);
		size_t length = e->to != NULL ? strlen(e->from) :
		    find_nth(text, at, "\n        {\n", 0) + 1 - at;
		char *input = splice(text, at, length, e->to != NULL ? e->to :
		    "");
		struct recs r = read_chunked_ways(&defaults, input,
		    strlen(input));

		expect_pods(&r, input, e->records, e->what);
		recs_free(&r);
		free(input);
	}
	free(text);
}
END_TEST

START_TEST(test_a_nested_object_never_becomes_a_record)
{
	/* A bad value inside the first ownerReference and inside the
	 * first container of each Pod: no record is an ownerReference or
	 * a container. */
	char *text = six_pods();

	for (size_t pod = 0; pod < 5; pod++) {
		char *input = splice(text, find_nth(text, 0,
		    "\"controller\": true", pod), strlen("\"controller\": "
		    "true"), "\"controller\": yes");
		struct recs r = read_chunked_ways(&defaults, input,
		    strlen(input));

		for (size_t i = 0; i < r.n; i++)
			ck_assert_msg(r.v[i].invalid ||
			    strncmp(r.v[i].metadata, "{\"annotations\":", 15) ==
			    0, "record %zu is not a Pod's metadata: %.60s", i,
			    r.v[i].metadata);
		ck_assert_uint_eq(r.n, 6);
		ck_assert(r.v[pod].invalid);
		recs_free(&r);
		free(input);
	}
	free(text);
}
END_TEST

/* --- pretty-printed top-level values -------------------------------------- */

/* Pods p0.. pN-1 printed as kubectl does, one after the other. */
static char *
pretty_pods(size_t n)
{
	char *out = strdup(""), *next;

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_ne(asprintf(&next, "%s{\n"
		    "    \"metadata\": {\n"
		    "        \"name\": \"p%zu\",\n"
		    "        \"ownerReferences\": [\n"
		    "            {\n"
		    "                \"kind\": \"ReplicaSet\",\n"
		    "                \"name\": \"rs-%zu\"\n"
		    "            }\n"
		    "        ]\n"
		    "    },\n"
		    "    \"spec\": {\n"
		    "        \"restartPolicy\": \"Always\"\n"
		    "    }\n"
		    "}\n", out, i, i), -1);
		free(out);
		out = next;
	}
	return out;
}

START_TEST(test_broken_pretty_top_level_values)
{
	/* Edits of the second Pod (p1, lines 15 to 28): each gives one
	 * invalid record, and p2 and p3 come out. */
	static const struct {
		const char *what, *from, *to;
	} edits[] = {
		{ "a bad value", "\"Always\"", "Always" },
		{ "the ']' missing", "            }\n        ]\n",
		    "            }\n" },
		{ "the '}' of the ownerReference missing",
		    "            }\n        ]\n", "        ]\n" },
		{ "cut after the metadata", "    \"spec\"", NULL },
		{ "cut in the ownerReference", "                \"name\"",
		    NULL },
		{ "the last '}' missing", "    }\n}\n", "    }\n" },
		{ "an unterminated string", "\"ReplicaSet\",",
		    "\"ReplicaSet," },
		{ "a stray ']' line", "    },\n", "    },\n    ]\n" },
		{ "metadata closed by ']'", "        ]\n    },",
		    "        ]\n    ]," },
	};
	char *text = pretty_pods(4);
	size_t pod = find_nth(text, 0, "\n{\n", 0) + 1;

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		size_t at = find_nth(text, pod, edits[i].from, 0);
		size_t length = edits[i].to != NULL ? strlen(edits[i].from) :
		    find_nth(text, at, "\n{\n", 0) + 1 - at;
		char *input = splice(text, at, length, edits[i].to != NULL ?
		    edits[i].to : "");
		struct recs r = read_every_way(input, strlen(input));

		if (r.n != 4)
			ck_abort_msg("%s: %zu records", edits[i].what, r.n);
		expect_identity(&r, 0, "", "", "p0");
		ck_assert_msg(r.v[1].invalid, "%s", edits[i].what);
		ck_assert_uint_eq(r.v[1].line, 15);
		expect_record(&r, 2, "{\"name\":\"p2\",\"ownerReferences\":"
		    "[{\"kind\":\"ReplicaSet\",\"name\":\"rs-2\"}]}",
		    line_at(input, find_nth(input, 0, "\"p2\"", 0)) - 2);
		expect_identity(&r, 3, "", "", "p3");
		recs_free(&r);
		free(input);
	}
	free(text);
}
END_TEST

/* --- deep nesting --------------------------------------------------------- */

/* depth levels of open, pretty-printed (indent 2), closed again. */
static char *
deep_pretty(size_t depth, bool objects, const char *after)
{
	size_t size = 4 * depth * (depth + 8) + strlen(after) + 64, n = 0;
	char *s = malloc(size);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < depth; i++)
		n += (size_t)sprintf(s + n, "%*s%s\n", (int)(2 * i), "",
		    objects ? i == 0 ? "{" : "\"a\": {" : "[");
	n += (size_t)sprintf(s + n, "%*s1\n", (int)(2 * depth), "");
	for (size_t i = depth; i-- > 0;)
		n += (size_t)sprintf(s + n, "%*s%s\n", (int)(2 * i), "",
		    objects ? "}" : "]");
	n += (size_t)sprintf(s + n, "%s", after);
	ck_assert_uint_lt(n, size);
	return s;
}

START_TEST(test_deep_pretty_nesting_gives_one_invalid_record)
{
	/* 2,000 levels, far past the limit of 128: one invalid record, at
	 * the bracket that opens level 129, then the next value. */
	char why[80];

	snprintf(why, sizeof(why), "values nested deeper than %d levels are "
	    "not accepted", READER_DEFAULT_MAX_DEPTH);
	for (int objects = 0; objects < 2; objects++) {
		/* "{" + 127 lines of "  "*i + "\"a\": {" before it. */
		char *input = deep_pretty(2000, objects,
		    "{\"name\": \"after\"}\n");
		uint64_t line = READER_DEFAULT_MAX_DEPTH + 1;
		size_t at = find_nth(input, 0, "\n", READER_DEFAULT_MAX_DEPTH -
		    1) + 1 + 2 * READER_DEFAULT_MAX_DEPTH + (objects ? 5 : 0);
		struct recs r = read_chunked_ways(&defaults, input,
		    strlen(input));

		expect_count(&r, 2);
		expect_invalid(&r, 0, error_at(line, at - find_nth(input, 0,
		    "\n", READER_DEFAULT_MAX_DEPTH - 1), at, why), 1);
		expect_record(&r, 1, "{\"name\":\"after\"}", 4002);
		recs_free(&r);
		free(input);
	}
}
END_TEST

START_TEST(test_deep_nesting_in_a_list_item)
{
	/* The deep item is one invalid record; the List's next item and the
	 * value after the List come out. */
	char *deep = deep_pretty(1000, true, "");
	char *input;
	struct recs r;

	ck_assert_int_ne(asprintf(&input, "{\"items\": [\n%s,\n"
	    "{\"uid\": \"next\"}\n]}\n{\"uid\": \"after\"}\n", deep), -1);
	r = read_chunked_ways(&defaults, input, strlen(input));
	expect_count(&r, 3);
	ck_assert(r.v[0].invalid);
	ck_assert_uint_eq(r.v[0].line, 2);
	expect_record(&r, 1, "{\"uid\":\"next\"}", 2004);
	expect_record(&r, 2, "{\"uid\":\"after\"}", 2006);
	recs_free(&r);
	free(input);
	free(deep);
}
END_TEST

START_TEST(test_error_at_the_depth_limit_in_a_list_item)
{
	/* A List, its items and an item are three of the four levels: the
	 * fifth opening bracket is the error, in that item. */
	const struct reader_limits limits = { 1024, 4 };
	const char input[] = "{\"items\":[{\"a\":{\"b\":{}}},{\"uid\":\"2\"}]}\n"
	    "{\"uid\":\"3\"}";
	struct recs r = read_with(&limits, input);

	expect_count(&r, 3);
	expect_invalid(&r, 0, error_at(1, 21, 20, "values nested deeper "
	    "than 4 levels are not accepted"), 1);
	expect_record(&r, 1, "{\"uid\":\"2\"}", 1);
	expect_record(&r, 2, "{\"uid\":\"3\"}", 2);
	recs_free(&r);
}
END_TEST

START_TEST(test_depth_limit_below_a_list_item)
{
	/* With room for no item (or no List), the List is one invalid
	 * record and reading goes on after it. */
	static const unsigned depths[] = { 1, 2 };

	for (size_t i = 0; i < 2; i++) {
		const struct reader_limits limits = { 1024, depths[i] };
		char why[80];
		struct recs r = read_with(&limits, "{\"items\":[{\"uid\":\"1\"},"
		    "{\"uid\":\"2\"}]}\n{\"uid\":\"3\"}\n");

		snprintf(why, sizeof(why), "values nested deeper than %u "
		    "levels are not accepted", depths[i]);
		expect_count(&r, 2);
		expect_invalid(&r, 0, error_at(1, 9 + depths[i],
		    8 + depths[i], why), 1);
		expect_record(&r, 1, "{\"uid\":\"3\"}", 2);
		recs_free(&r);
	}
}
END_TEST

/* --- line ends ------------------------------------------------------------ */

/* text with every "\n" made to. */
static char *
with_line_ends(const char *text, const char *to)
{
	size_t length = strlen(text), n = 0;
	char *out = malloc(2 * length + 1);

	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < length; i++)
		if (text[i] == '\n') {
			memcpy(out + n, to, strlen(to));
			n += strlen(to);
		} else
			out[n++] = text[i];
	out[n] = '\0';
	return out;
}

START_TEST(test_bare_cr_ends_lines)
{
	/* Old Mac line ends: each CR is a line end, for positions and for
	 * resynchronisation; nothing is lost after an error. */
	struct recs r = READ_EVERY_WAY("{\"uid\":\"1\"}\r{\"a\":x}\r"
	    "{\"a\":[1\r{\"uid\":\"4\"}\r  {\"uid\":\r\"5\"}\r");

	expect_count(&r, 5);
	expect_record(&r, 0, "{\"uid\":\"1\"}", 1);
	expect_invalid(&r, 1, error_at(2, 6, 17, "expected a JSON value, "
	    "found 'x'"), 2);
	expect_invalid(&r, 2, error_at(4, 1, 28, "expected ',' or ']', found "
	    "'{'"), 3);
	expect_record(&r, 3, "{\"uid\":\"4\"}", 4);
	expect_record(&r, 4, "{\"uid\":\"5\"}", 5);
	expect_identity(&r, 4, "5", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_line_ends_of_every_kind_count_once)
{
	/* LF, CR, CRLF: one line each; CR LF CR is two. */
	struct recs r = READ_EVERY_WAY("{}\n{}\r{}\r\n{}\r\n\r{} x");

	expect_count(&r, 6);
	for (size_t i = 0; i < 4; i++)
		expect_record(&r, i, "{}", i + 1);
	expect_record(&r, 4, "{}", 6);
	expect_invalid(&r, 5, error_at(6, 4, 18, "expected a JSON value, "
	    "found 'x'"), 6);
	recs_free(&r);
}
END_TEST

START_TEST(test_pretty_list_with_bare_cr_gives_six_records)
{
	char *text = six_pods();
	char *cr, *bad;
	struct recs r;

	bad = splice(text, find_nth(text, 0, "\"Always\"", 2), 8, "Always");
	cr = with_line_ends(bad, "\r");
	r = read_chunked_ways(&defaults, cr, strlen(cr));
	/* The same records and lines as with LF. */
	expect_pods(&r, bad, "01X345", "bare CR");
	recs_free(&r);
	free(cr);
	cr = with_line_ends(bad, "\r\n");
	r = read_chunked_ways(&defaults, cr, strlen(cr));
	expect_pods(&r, bad, "01X345", "CRLF");
	recs_free(&r);
	free(cr);
	free(bad);
	free(text);
}
END_TEST

Suite *
reader_resync_suite(void)
{
	Suite *s = suite_create("reader_resync");
	TCase *list = tcase_create("pretty List");
	TCase *top = tcase_create("top-level values");
	TCase *lines = tcase_create("line ends");

	tcase_set_timeout(list, 120);
	tcase_add_test(list,
	    test_one_bad_value_in_a_pretty_list_gives_six_records);
	tcase_add_test(list, test_broken_brackets_in_a_pretty_list);
	tcase_add_test(list, test_a_nested_object_never_becomes_a_record);
	suite_add_tcase(s, list);

	tcase_set_timeout(top, 120);
	tcase_add_test(top, test_broken_pretty_top_level_values);
	tcase_add_test(top, test_deep_pretty_nesting_gives_one_invalid_record);
	tcase_add_test(top, test_deep_nesting_in_a_list_item);
	tcase_add_test(top, test_error_at_the_depth_limit_in_a_list_item);
	tcase_add_test(top, test_depth_limit_below_a_list_item);
	suite_add_tcase(s, top);

	tcase_set_timeout(lines, 120);
	tcase_add_test(lines, test_bare_cr_ends_lines);
	tcase_add_test(lines, test_line_ends_of_every_kind_count_once);
	tcase_add_test(lines, test_pretty_list_with_bare_cr_gives_six_records);
	suite_add_tcase(s, lines);

	return s;
}
