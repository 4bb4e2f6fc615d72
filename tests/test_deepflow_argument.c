/*
 * The argument DeepFlow passes (supervisor/input/deepflow_argument.h), held to
 * real Go: tests/data/deepflow-argument/ holds documents and the bytes
 * Go's encoding/json made of each (tests/go/deepflow_argument.go, run by
 * make deepflow-argument-data), compared here byte for byte: a hand-written
 * corpus with a case per rule, the sample pods as the reader hands them
 * on, and two thousand random documents built from the pieces that
 * exercise the rules.  The few cases written out below restate rules in
 * the corpus where a reader of this file sees them.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/buffer.h"
#include "../supervisor/input/deepflow_argument.h"
#include "helpers.h"
#include "reader_support.h"
#include "suites.h"

#define DATA	"tests/data/deepflow-argument/"

struct corpus_case {
	const char	*name;		/* the '#' line before it, or "" */
	unsigned	 line;		/* in the corpus file */
	const char	*input, *expected;
	size_t		 input_length, expected_length;
	bool		 go_refuses;
};

struct corpus {
	char			*text, *expected_text;
	struct corpus_case	*cases;
	size_t			 n;
};

static const char *
next_line(const char **p, const char *end, size_t *length)
{
	const char *line = *p, *newline;

	if (line >= end)
		return NULL;
	newline = memchr(line, '\n', (size_t)(end - line));
	if (newline == NULL)
		newline = end;
	*length = (size_t)(newline - line);
	*p = newline < end ? newline + 1 : end;
	return line;
}

static struct corpus
load(const char *name)
{
	struct corpus c = { 0 };
	char path[256];
	size_t length, expected_length, n;
	const char *p, *e, *line, *end, *expected_end, *last_name = "";
	unsigned number = 0;

	snprintf(path, sizeof(path), DATA "%s.jsonl", name);
	c.text = read_source_file(path, &length);
	snprintf(path, sizeof(path), DATA "%s.expected", name);
	c.expected_text = read_source_file(path, &expected_length);
	c.cases = calloc(length / 2 + 1, sizeof(*c.cases));
	ck_assert_ptr_nonnull(c.cases);
	p = c.text;
	end = c.text + length;
	e = c.expected_text;
	expected_end = c.expected_text + expected_length;
	while ((line = next_line(&p, end, &n)) != NULL) {
		struct corpus_case *k;
		size_t m;

		number++;
		if (n > 0 && line[0] == '#') {
			/* Terminated in place: the names are read as C
			 * strings. */
			((char *)line)[n] = '\0';
			last_name = line + (n > 1 ? 2 : 1);
			continue;
		}
		if (n == 0)
			continue;
		k = &c.cases[c.n++];
		k->name = last_name;
		last_name = "";
		k->line = number;
		k->input = line;
		k->input_length = n;
		k->expected = next_line(&e, expected_end, &m);
		ck_assert_msg(k->expected != NULL, "%s.expected ends before "
		    "case %s (line %u)", name, k->name, number);
		k->expected_length = m;
		k->go_refuses = m == 5 && memcmp(k->expected, "error", 5) == 0;
	}
	ck_assert_msg(next_line(&e, expected_end, &n) == NULL,
	    "%s.expected has more lines than %s.jsonl has cases", name, name);
	return c;
}

static void
corpus_free(struct corpus *c)
{
	free(c->text);
	free(c->expected_text);
	free(c->cases);
}

/* Every case gives Go's bytes, or an error where Go gave one. */
static size_t
check_corpus(const char *name)
{
	struct corpus c = load(name);
	struct buffer out = { 0 };
	size_t refused = 0;

	for (size_t i = 0; i < c.n; i++) {
		const struct corpus_case *k = &c.cases[i];
		char error[256];
		int rc;

		buffer_clear(&out);
		rc = deepflow_argument(&out, k->input, k->input_length, error,
		    sizeof(error));
		if (k->go_refuses) {
			REQUIRE(rc == -1, "%s line %u (%s): Go refuses it, "
			    "we made %.*s", name, k->line, k->name,
			    (int)(buffer_length(&out) > 200 ? 200 :
			    buffer_length(&out)), buffer_bytes(&out));
			REQUIRE(buffer_length(&out) == 0, "%s line %u: output "
			    "left after an error", name, k->line);
			refused++;
			continue;
		}
		REQUIRE(rc == 0, "%s line %u (%s): %s", name, k->line, k->name,
		    error);
		REQUIRE(buffer_length(&out) == k->expected_length &&
		    memcmp(buffer_bytes(&out), k->expected,
		    k->expected_length) == 0,
		    "%s line %u (%s):\n got  %.*s\n Go's %.*s", name, k->line,
		    k->name, (int)(buffer_length(&out) > 400 ? 400 :
		    buffer_length(&out)), buffer_bytes(&out),
		    (int)(k->expected_length > 400 ? 400 : k->expected_length),
		    k->expected);
	}
	ck_assert_uint_gt(c.n, 0);
	buffer_free(&out);
	corpus_free(&c);
	return refused;
}

START_TEST(test_every_rule_matches_go_byte_for_byte)
{
	/* The corpus has two dozen documents Go refuses: each is refused
	 * here too. */
	ck_assert_uint_eq(check_corpus("cases"), 24);
}
END_TEST

START_TEST(test_random_documents_match_go_byte_for_byte)
{
	ck_assert_uint_eq(check_corpus("random"), 0);
}
END_TEST

/* The sample pods, read by the real reader: its compact text is the
 * corpus's input, and the argument Go's. */
START_TEST(test_sample_pods_through_the_reader_match_go)
{
	struct corpus c = load("cases");
	size_t length;
	char *pods = read_source_file("examples/pods.json", &length);
	struct recs recs = read_chunks(&defaults, pods, length, 0);
	struct buffer out = { 0 };
	char error[256];

	ck_assert_uint_eq(recs.n, 6);
	for (size_t r = 0; r < recs.n; r++) {
		char name[64];
		const struct corpus_case *k = NULL;

		snprintf(name, sizeof(name), "examples/pods.json item %zu", r);
		for (size_t i = 0; i < c.n; i++)
			if (strcmp(c.cases[i].name, name) == 0)
				k = &c.cases[i];
		ck_assert_msg(k != NULL, "no corpus case \"%s\"", name);
		ck_assert_uint_eq(recs.v[r].metadata_length, k->input_length);
		ck_assert_mem_eq(recs.v[r].metadata, k->input, k->input_length);
		buffer_clear(&out);
		ck_assert_int_eq(deepflow_argument(&out, recs.v[r].metadata,
		    recs.v[r].metadata_length, error, sizeof(error)), 0);
		ck_assert_uint_eq(buffer_length(&out), k->expected_length);
		ck_assert_mem_eq(buffer_bytes(&out), k->expected,
		    k->expected_length);
	}
	buffer_free(&out);
	recs_free(&recs);
	free(pods);
	corpus_free(&c);
}
END_TEST

static void
expect(const char *input, const char *output)
{
	struct buffer out = { 0 };
	char error[256];

	ck_assert_msg(deepflow_argument(&out, input, strlen(input), error,
	    sizeof(error)) == 0, "%s: %s", input, error);
	ck_assert_msg(buffer_length(&out) == strlen(output) &&
	    memcmp(buffer_bytes(&out), output, strlen(output)) == 0,
	    "%s:\n got  %.*s\n want %s", input, (int)buffer_length(&out),
	    buffer_bytes(&out), output);
	buffer_free(&out);
}

static void
expect_error(const char *input, size_t length, const char *message)
{
	struct buffer out = { 0 };
	char error[256];

	ck_assert_int_eq(deepflow_argument(&out, input, length, error,
	    sizeof(error)), -1);
	ck_assert_uint_eq(buffer_length(&out), 0);
	ck_assert_str_eq(error, message);
	buffer_free(&out);
}

START_TEST(test_keys_sorted_bytewise_at_every_level)
{
	expect("{\"name\":\"web-0\",\"labels\":{\"b\":\"1\",\"B\":\"2\",\"a\":\"3\"},"
	    "\"ownerReferences\":[{\"uid\":\"u\",\"kind\":\"StatefulSet\"}]}",
	    "{\"labels\":{\"B\":\"2\",\"a\":\"3\",\"b\":\"1\"},\"name\":\"web-0\","
	    "\"ownerReferences\":[{\"kind\":\"StatefulSet\",\"uid\":\"u\"}]}");
}
END_TEST

START_TEST(test_html_characters_and_line_separators_escaped)
{
	expect("{\"a\":\"<b> & \xe2\x80\xa8\\u2029\"}",
	    "{\"a\":\"\\u003cb\\u003e \\u0026 \\u2028\\u2029\"}");
}
END_TEST

START_TEST(test_bad_utf8_and_lone_surrogates_become_replacement)
{
	expect("{\"a\":\"x\xffy\\ud800z\"}",
	    "{\"a\":\"x\xef\xbf\xbdy\xef\xbf\xbdz\"}");
}
END_TEST

START_TEST(test_numbers_as_written_and_last_duplicate_wins)
{
	expect("{\"n\":1E+2,\"m\":-0,\"n\":1.0}", "{\"m\":-0,\"n\":1.0}");
}
END_TEST

START_TEST(test_output_is_appended)
{
	struct buffer out = { 0 };
	char error[64];

	ck_assert_int_eq(buffer_append(&out, "kept:", 5), 0);
	ck_assert_int_eq(deepflow_argument(&out, "{\"b\":1,\"a\":2}", 13, error,
	    sizeof(error)), 0);
	ck_assert_uint_eq(buffer_length(&out), 18);
	ck_assert_mem_eq(buffer_bytes(&out), "kept:{\"a\":2,\"b\":1}", 18);
	/* An error leaves it as it was. */
	ck_assert_int_eq(deepflow_argument(&out, "{", 1, error, sizeof(error)),
	    -1);
	ck_assert_uint_eq(buffer_length(&out), 18);
	buffer_free(&out);
}
END_TEST

START_TEST(test_errors_say_where)
{
	expect_error("{\"a\":01}", 8, "byte offset 6: expected ',' or '}', "
	    "found '1'");
	expect_error("{\"a\":\"\\x\"}", 10,
	    "byte offset 6: invalid escape in a string");
	expect_error("{\"a\":\"\x01\"}", 9, "byte offset 6: control byte 0x01 "
	    "inside a string");
	expect_error("{\"a\":1", 6, "byte offset 6: expected ',' or '}', found "
	    "the end of the text");
	expect_error("", 0, "byte offset 0: expected a value, found the end of "
	    "the text");
	/* Go's json.Decoder would stop after the first value; the reader
	 * never hands on more than one, so more is an error here. */
	expect_error("{} {}", 5, "byte offset 3: '{' after the value");
	/* A NUL inside the length is a byte like any other. */
	expect_error("{}\0", 3, "byte offset 2: byte 0x00 after the value");
}
END_TEST

START_TEST(test_nesting_up_to_go_limit)
{
	size_t depth = 10001;
	char *text = malloc(2 * depth);
	struct buffer out = { 0 };
	char error[128];

	ck_assert_ptr_nonnull(text);
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	ck_assert_int_eq(deepflow_argument(&out, text + 1, 2 * depth - 2, error,
	    sizeof(error)), 0);
	ck_assert_uint_eq(buffer_length(&out), 2 * depth - 2);
	buffer_clear(&out);
	ck_assert_int_eq(deepflow_argument(&out, text, 2 * depth, error,
	    sizeof(error)), -1);
	ck_assert_str_eq(error, "byte offset 10000: nested deeper than 10000 "
	    "levels");
	buffer_free(&out);
	free(text);
}
END_TEST

/* Go's Marshal of what it decodes from its own output is that output:
 * sorted, unique keys and canonical escapes come out unchanged. */
START_TEST(test_output_is_a_fixed_point)
{
	struct corpus c = load("random");
	struct buffer out = { 0 };
	char error[256];

	for (size_t i = 0; i < c.n; i++) {
		const struct corpus_case *k = &c.cases[i];

		buffer_clear(&out);
		REQUIRE(deepflow_argument(&out, k->expected, k->expected_length,
		    error, sizeof(error)) == 0, "line %u: %s", k->line, error);
		REQUIRE(buffer_length(&out) == k->expected_length &&
		    memcmp(buffer_bytes(&out), k->expected,
		    k->expected_length) == 0, "line %u changed", k->line);
	}
	buffer_free(&out);
	corpus_free(&c);
}
END_TEST

/* An object cut anywhere is an error, never a read past its end (the
 * sanitizers watch: each cut is copied to a block of its own size). */
START_TEST(test_every_truncation_is_handled)
{
	struct corpus c = load("cases");
	struct buffer out = { 0 };
	char error[256];
	size_t tried = 0;

	for (size_t i = 0; i < c.n && tried < 40; i++) {
		const struct corpus_case *k = &c.cases[i];

		if (k->go_refuses || k->input_length > 4096 ||
		    k->input[0] != '{')
			continue;
		tried++;
		for (size_t n = 0; n < k->input_length; n++) {
			char *copy = malloc(n > 0 ? n : 1);
			int rc;

			REQUIRE(copy != NULL, "out of memory");
			memcpy(copy, k->input, n);
			buffer_clear(&out);
			rc = deepflow_argument(&out, copy, n, error,
			    sizeof(error));
			REQUIRE(rc == -1, "line %u cut at %zu bytes was "
			    "accepted", k->line, n);
			free(copy);
		}
	}
	ck_assert_uint_eq(tried, 40);
	buffer_free(&out);
	corpus_free(&c);
}
END_TEST

Suite *
deepflow_argument_suite(void)
{
	Suite *s = suite_create("deepflow_argument");
	TCase *go = tcase_create("go");
	TCase *rules = tcase_create("rules");

	tcase_add_test(go, test_every_rule_matches_go_byte_for_byte);
	tcase_add_test(go, test_random_documents_match_go_byte_for_byte);
	tcase_add_test(go, test_sample_pods_through_the_reader_match_go);
	tcase_add_test(go, test_output_is_a_fixed_point);
	tcase_set_timeout(go, 60);
	suite_add_tcase(s, go);
	tcase_add_test(rules, test_keys_sorted_bytewise_at_every_level);
	tcase_add_test(rules, test_html_characters_and_line_separators_escaped);
	tcase_add_test(rules, test_bad_utf8_and_lone_surrogates_become_replacement);
	tcase_add_test(rules, test_numbers_as_written_and_last_duplicate_wins);
	tcase_add_test(rules, test_output_is_appended);
	tcase_add_test(rules, test_errors_say_where);
	tcase_add_test(rules, test_nesting_up_to_go_limit);
	tcase_add_test(rules, test_every_truncation_is_handled);
	tcase_set_timeout(rules, 60);
	suite_add_tcase(s, rules);
	return s;
}
