/*
 * Test files of luaward test: one case per line, every key checked, and
 * every mistake an error that names its file and line.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/commands/testfile.h"
#include "helpers.h"
#include "suites.h"

static int
parse(struct test_list *list, const char *text, char *error, size_t size)
{
	return testfile_parse(list, "t.jsonl", text, strlen(text), error,
	    size);
}

START_TEST(test_one_case_per_line_comments_and_blanks_skipped)
{
	struct test_list list = { 0 };
	char error[512];

	ck_assert_int_eq(parse(&list,
	    "\xef\xbb\xbf# a comment\n"
	    "\n"
	    " \t \n"
	    "{\"name\": \"first\", \"metadata\": {\"name\": \"a\"}, "
	    "\"expect\": {\"status\": \"unresolved\"}}\r\n"
	    "\t# {\"not\": \"a case\"}\n"
	    "{\"metadata\": {\"name\": \"b\"}, \"expect\": {\"errors\": []}}",
	    error, sizeof(error)), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.cases[0].name, "first");
	ck_assert_str_eq(list.cases[0].where, "t.jsonl:4");
	/* Without a name, a case is called by where it is. */
	ck_assert_str_eq(list.cases[1].name, "t.jsonl:6");
	ck_assert_str_eq(list.cases[1].where, "t.jsonl:6");
	ck_assert_str_eq(list.cases[0].expect[TEST_STATUS].bytes,
	    "unresolved");
	ck_assert_ptr_null(list.cases[0].expect[TEST_WORKLOAD_TYPE].bytes);
	ck_assert_uint_eq(list.cases[1].error_count, 0);
	test_list_free(&list);
}
END_TEST

/* Bare metadata and a Pod's metadata become the same record: the
 * metadata's own text as a Pod object, and nothing else of the pod. */
START_TEST(test_record_is_the_metadata_as_a_pod)
{
	struct test_list list = { 0 };
	char error[512];

	ck_assert_int_eq(parse(&list,
	    "{\"metadata\": {\"name\" : \"a\", \"items\": [1]}, "
	    "\"expect\": {\"status\": \"resolved\"}}\n"
	    "{\"pod\": {\"kind\": \"Pod\", \"spec\": {}, \"metadata\": "
	    "{\"name\": \"b\"}}, \"expect\": {\"status\": \"resolved\"}}\n",
	    error, sizeof(error)), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.cases[0].record,
	    "{\"metadata\":{\"name\" : \"a\", \"items\": [1]}}\n");
	ck_assert_uint_eq(list.cases[0].record_length,
	    strlen(list.cases[0].record));
	ck_assert_str_eq(list.cases[1].record,
	    "{\"metadata\":{\"name\": \"b\"}}\n");
	test_list_free(&list);
}
END_TEST

START_TEST(test_expectations_are_decoded)
{
	struct test_list list = { 0 };
	struct test_case *c;
	char error[512];

	ck_assert_int_eq(parse(&list,
	    "{\"name\": \"caf\\u00e9\", \"metadata\": {}, \"expect\": "
	    "{\"workloadType\": \"State\\u0066ulSet\", \"workloadName\": "
	    "\"a\\u0000b\", \"plugin\": \"10-x\", \"errors\": [{\"plugin\": "
	    "\"20-y\", \"kind\": \"timeout\"}, {\"kind\": \"bad-return\", "
	    "\"plugin\": \"30-z\", \"message\": \"two \\\"strings\\\"\"}]}}\n",
	    error, sizeof(error)), 0);
	c = &list.cases[0];
	ck_assert_str_eq(c->name, "caf\xc3\xa9");
	ck_assert_str_eq(c->expect[TEST_WORKLOAD_TYPE].bytes, "StatefulSet");
	ck_assert_uint_eq(c->expect[TEST_WORKLOAD_NAME].length, 3);
	ck_assert_mem_eq(c->expect[TEST_WORKLOAD_NAME].bytes, "a\0b", 3);
	ck_assert_str_eq(c->expect[TEST_PLUGIN].bytes, "10-x");
	ck_assert_uint_eq(c->error_count, 2);
	ck_assert_str_eq(c->errors[0].plugin.bytes, "20-y");
	ck_assert_str_eq(c->errors[0].kind.bytes, "timeout");
	ck_assert_ptr_null(c->errors[0].message.bytes);
	ck_assert_str_eq(c->errors[1].plugin.bytes, "30-z");
	ck_assert_str_eq(c->errors[1].kind.bytes, "bad-return");
	ck_assert_str_eq(c->errors[1].message.bytes, "two \"strings\"");
	test_list_free(&list);
}
END_TEST

/* Each mistake, on line 2 after a good case, and its message. */
static const struct {
	const char	*line;
	const char	*error;
} mistakes[] = {
	{ "{\"metadata\": {}, \"expect\": {\"status\": \"resolved\"}",
	  "t.jsonl:2: not valid JSON: byte offset 49: expected ',' or '}', "
	  "found the end of the text" },
	{ "[]", "t.jsonl:2: a case must be a JSON object, not an array" },
	{ "{\"nmae\": \"x\", \"metadata\": {}, \"expect\": {\"errors\": []}}",
	  "t.jsonl:2: unknown key \"nmae\" in the case (known: name, pod, "
	  "metadata, expect)" },
	{ "{\"metadata\": {}, \"expect\": {\"Status\": \"resolved\"}}",
	  "t.jsonl:2: unknown key \"Status\" in expect (known: workloadType, "
	  "workloadName, status, plugin, errors)" },
	{ "{\"metadata\": {}, \"expect\": {\"errors\": [{\"plugin\": \"a\", "
	  "\"kind\": \"error\", \"mesage\": \"b\"}]}}",
	  "t.jsonl:2: unknown key \"mesage\" in expect: errors[0] (known: "
	  "plugin, kind, message)" },
	{ "{\"metadata\": {}, \"expect\": {\"status\": \"resolved\", "
	  "\"status\": \"unresolved\"}}",
	  "t.jsonl:2: key \"status\" given twice in expect" },
	{ "{\"expect\": {\"status\": \"resolved\"}}",
	  "t.jsonl:2: a case needs a pod or metadata" },
	{ "{\"metadata\": {}, \"pod\": {\"metadata\": {}}, \"expect\": "
	  "{\"status\": \"resolved\"}}",
	  "t.jsonl:2: a case gives a pod or metadata, not both" },
	{ "{\"pod\": {\"name\": \"x\"}, \"expect\": {\"status\": \"resolved\"}}",
	  "t.jsonl:2: pod has no metadata object" },
	{ "{\"pod\": [], \"expect\": {\"status\": \"resolved\"}}",
	  "t.jsonl:2: pod must be an object, not an array" },
	{ "{\"metadata\": \"x\", \"expect\": {\"status\": \"resolved\"}}",
	  "t.jsonl:2: metadata must be an object, not a string" },
	{ "{\"metadata\": {}}", "t.jsonl:2: a case needs expect" },
	{ "{\"metadata\": {}, \"expect\": {}}",
	  "t.jsonl:2: expect names nothing to check (\"errors\": [] expects "
	  "only that no plugin fails)" },
	{ "{\"metadata\": {}, \"expect\": {\"status\": \"resolve\"}}",
	  "t.jsonl:2: expect: unknown status \"resolve\" (known: resolved, "
	  "unresolved, unsupported, invalid)" },
	{ "{\"metadata\": {}, \"expect\": {\"workloadType\": null}}",
	  "t.jsonl:2: expect: workloadType must be a string, not null" },
	{ "{\"name\": 3, \"metadata\": {}, \"expect\": {\"errors\": []}}",
	  "t.jsonl:2: name must be a string, not a number" },
	{ "{\"name\": \"a\\u0000\", \"metadata\": {}, \"expect\": "
	  "{\"errors\": []}}", "t.jsonl:2: name holds a NUL character" },
	{ "{\"metadata\": {}, \"expect\": {\"errors\": {}}}",
	  "t.jsonl:2: expect: errors must be an array, not an object" },
	{ "{\"metadata\": {}, \"expect\": {\"errors\": [\"timeout\"]}}",
	  "t.jsonl:2: expect: errors[0] must be an object, not a string" },
	{ "{\"metadata\": {}, \"expect\": {\"errors\": [{\"kind\": "
	  "\"timeout\"}]}}",
	  "t.jsonl:2: expect: errors[0] needs a plugin and a kind" },
	{ "{\"metadata\": {}, \"expect\": {\"errors\": [{\"plugin\": \"a\", "
	  "\"kind\": \"error\"}, {\"plugin\": \"a\", \"kind\": \"slow\"}]}}",
	  "t.jsonl:2: expect: errors[1]: unknown error kind \"slow\" (known: "
	  "timeout, memory, error, crash, sandbox, bad-return, quarantined, "
	  "load)" },
	{ "{\"metadata\": {}, \"expect\": {\"errors\": [{\"plugin\": true, "
	  "\"kind\": \"error\"}]}}",
	  "t.jsonl:2: expect: errors[0]: plugin must be a string, not true" },
};

START_TEST(test_every_mistake_names_its_line)
{
	const char *good = "{\"metadata\": {}, \"expect\": {\"errors\": []}}\n";
	struct test_list list = { 0 };
	char error[512], *text;

	ck_assert_int_ne(asprintf(&text, "%s%s\n", good, mistakes[_i].line),
	    -1);
	ck_assert_int_eq(parse(&list, text, error, sizeof(error)), -1);
	ck_assert_str_eq(error, mistakes[_i].error);
	/* The file's cases are dropped with it. */
	ck_assert_uint_eq(list.count, 0);
	test_list_free(&list);
	free(text);
}
END_TEST

START_TEST(test_a_file_that_fails_leaves_earlier_files_alone)
{
	const char *bad =
	    "{\"metadata\": {}, \"expect\": {\"errors\": []}}\nnope\n";
	struct test_list list = { 0 };
	char error[512];

	ck_assert_int_eq(parse(&list,
	    "{\"metadata\": {}, \"expect\": {\"errors\": []}}\n", error,
	    sizeof(error)), 0);
	ck_assert_int_eq(testfile_parse(&list, "u.jsonl", bad, strlen(bad),
	    error, sizeof(error)), -1);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.cases[0].where, "t.jsonl:1");
	test_list_free(&list);
}
END_TEST

START_TEST(test_a_file_with_no_case_is_an_error)
{
	struct test_list list = { 0 };
	char error[512];

	ck_assert_int_eq(parse(&list, "", error, sizeof(error)), -1);
	ck_assert_str_eq(error, "t.jsonl: no test cases (each case is one "
	    "JSON object on a line of its own)");
	ck_assert_int_eq(parse(&list, "# to do\n\n", error, sizeof(error)),
	    -1);
	ck_assert_uint_eq(list.count, 0);
	test_list_free(&list);
}
END_TEST

START_TEST(test_load_reads_the_file)
{
	char *dir = temp_dir();
	char *path = write_text(dir, "a.jsonl",
	    "{\"metadata\": {}, \"expect\": {\"plugin\": \"\"}}\n");
	struct test_list list = { 0 };
	char error[512], *expected;

	ck_assert_int_eq(testfile_load(&list, path, error, sizeof(error)), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.cases[0].expect[TEST_PLUGIN].bytes, "");
	ck_assert_int_eq(testfile_load(&list, dir, error, sizeof(error)), -1);
	ck_assert_int_ne(asprintf(&expected, "%s: Is a directory", dir), -1);
	ck_assert_str_eq(error, expected);
	ck_assert_int_eq(testfile_load(&list, "/nonexistent/t.jsonl", error,
	    sizeof(error)), -1);
	ck_assert_str_eq(error, "/nonexistent/t.jsonl: No such file or "
	    "directory");
	ck_assert_uint_eq(list.count, 1);
	free(expected);
	free(path);
	free(dir);
	test_list_free(&list);
}
END_TEST

Suite *
testfile_suite(void)
{
	Suite *s = suite_create("testfile");
	TCase *t = tcase_create("testfile");

	tcase_add_test(t, test_one_case_per_line_comments_and_blanks_skipped);
	tcase_add_test(t, test_record_is_the_metadata_as_a_pod);
	tcase_add_test(t, test_expectations_are_decoded);
	tcase_add_loop_test(t, test_every_mistake_names_its_line, 0,
	    (int)(sizeof(mistakes) / sizeof(mistakes[0])));
	tcase_add_test(t, test_a_file_that_fails_leaves_earlier_files_alone);
	tcase_add_test(t, test_a_file_with_no_case_is_an_error);
	tcase_add_test(t, test_load_reads_the_file);
	suite_add_tcase(s, t);
	return s;
}
