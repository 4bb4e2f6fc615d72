/*
 * luaward resolve end to end: the real binaries, the bundled plugins and
 * sample pods, failing plugins, and a large generated input checked record
 * by record against what its generator says each record must give.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "suites.h"

#define SEED_PLUGIN_HEADER \
	"package.path = package.path..\";/bin/?.lua\"\n" \
	"local dkjson = require(\"dkjson\")\n"

/* Maps ownerReferences[1] to an answer, like a real plugin would. */
static const char owner_plugin[] = SEED_PLUGIN_HEADER
	"function GetWorkloadTypeAndName(metaJsonStr)\n"
	"    local meta = dkjson.decode(metaJsonStr, 1, nil)\n"
	"    local owner = (meta.ownerReferences or {})[1] or {}\n"
	"    if owner.kind == 'ReplicaSet' then\n"
	"        return 'deployment', (owner.name:gsub('%-[^-]+$', ''))\n"
	"    elseif owner.kind == 'Custom' then\n"
	"        return 'MyKind', owner.name\n"
	"    end\n"
	"    return '', ''\n"
	"end\n";

/* What messages call dir/file: the path as given, as Lua shows it. */
static char *
shown(const char *dir, const char *file)
{
	char *path, *name;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, file), -1);
	name = lua_shown_path(path);
	free(path);
	return name;
}

#define UNSUPPORTED_MYKIND ",\"error\":\"\\\"MyKind\\\" is not a workload " \
	"type luaward accepts (Deployment, StatefulSet, ReplicaSet, " \
	"DaemonSet, ReplicationController, CloneSet)\""

START_TEST(test_seed_plugins_on_sample_pods)
{
	struct run_result r;
	char *expected = read_source_file("tests/data/seed-pods.expected",
	    NULL);

	run_luaward(&r, NULL, 0, 60, "resolve", "--plugins", "plugins",
	    "examples/pods.json", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, expected);
	run_result_free(&r);
	free(expected);
}
END_TEST

START_TEST(test_default_plugins_are_the_bundled_ones)
{
	struct run_result r;
	char *expected = read_source_file("tests/data/seed-pods.expected",
	    NULL);

	run_luaward(&r, NULL, 0, 60, "resolve", "examples/pods.json", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, expected);
	run_result_free(&r);
	free(expected);
}
END_TEST

START_TEST(test_stdin_and_file_give_the_same_lines)
{
	struct run_result from_file, from_stdin;
	size_t length;
	char *pods = read_source_file("examples/pods.json", &length);
	char *expected = read_source_file("tests/data/seed-pods.expected",
	    NULL);

	run_luaward(&from_file, NULL, 0, 60, "resolve", "--plugins",
	    "plugins", "examples/pods.json", NULL);
	run_luaward(&from_stdin, pods, length, 60, "resolve", "--plugins",
	    "plugins", NULL);
	ck_assert_msg(from_file.status == 0, "file: exit %d: %s",
	    from_file.status, from_file.err);
	ck_assert_msg(from_stdin.status == 0, "stdin: exit %d: %s",
	    from_stdin.status, from_stdin.err);
	ck_assert_str_eq(from_file.out, expected);
	ck_assert_str_eq(from_stdin.out, expected);
	run_result_free(&from_file);
	run_result_free(&from_stdin);
	free(expected);
	free(pods);
}
END_TEST

START_TEST(test_plugin_that_errors_is_recorded_and_chain_goes_on)
{
	char *dir = plugin_dir("10-broken.lua",
	    "function GetWorkloadTypeAndName(m) error('no luck here') end\n",
	    "20-owner.lua", owner_plugin, NULL);
	const char input[] = "{\"name\":\"a\",\"ownerReferences\":"
	    "[{\"kind\":\"ReplicaSet\",\"name\":\"web-5f7d9\"}]}\n";
	char *file = shown(dir, "10-broken.lua"), *expected;
	struct run_result r;

	run_luaward(&r, input, strlen(input), 60, "resolve", "--plugins", dir,
	    NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_int_ne(asprintf(&expected, "{\"uid\":\"\",\"namespace\":"
	    "\"\",\"name\":\"a\",\"status\":\"resolved\",\"workloadType\":"
	    "\"Deployment\",\"workloadName\":\"web\",\"plugin\":\"20-owner\","
	    "\"errors\":[{\"plugin\":\"10-broken\",\"kind\":\"error\","
	    "\"message\":\"%s:1: no luck here\"}]}\n", file), -1);
	ck_assert_str_eq(r.out, expected);
	run_result_free(&r);
	free(expected);
	free(file);
	free(dir);
}
END_TEST

START_TEST(test_plugin_returning_bad_values)
{
	static const struct {
		const char *body;
		const char *message;
	} cases[] = {
		{ "return 1, 2", "returned (number, number); expected two "
		    "strings" },
		{ "return 'Deployment'", "returned (string, nil); expected two "
		    "strings" },
		{ "return nil", "returned (nil, nil); expected two strings" },
		{ "return {}, 'x'", "returned (table, string); expected two "
		    "strings" },
		{ "return 'Deployment', true", "returned (string, boolean); "
		    "expected two strings" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char source[256], expected[512];
		char *dir;
		struct run_result r;

		snprintf(source, sizeof(source), "function "
		    "GetWorkloadTypeAndName(m) %s end\n", cases[i].body);
		dir = plugin_dir("bad.lua", source, "good.lua",
		    "function GetWorkloadTypeAndName(m) return 'DaemonSet', "
		    "'ds' end\n", NULL);
		run_luaward(&r, "{}", 2, 60, "resolve", "--plugins", dir, NULL);
		snprintf(expected, sizeof(expected), "{\"uid\":\"\","
		    "\"namespace\":\"\",\"name\":\"\",\"status\":\"resolved\","
		    "\"workloadType\":\"DaemonSet\",\"workloadName\":\"ds\","
		    "\"plugin\":\"good\",\"errors\":[{\"plugin\":\"bad\","
		    "\"kind\":\"bad-return\",\"message\":\"%s\"}]}\n",
		    cases[i].message);
		ck_assert_int_eq(r.status, 1);
		ck_assert_str_eq(r.out, expected);
		run_result_free(&r);
		free(dir);
	}
}
END_TEST

START_TEST(test_plugin_that_does_not_compile_is_a_load_error)
{
	char *dir = plugin_dir("a-syntax.lua", "function GetWorkloadTypeAndName(",
	    "b-missing.lua", "local x = 1\n",
	    "c-good.lua", "function GetWorkloadTypeAndName(m) return "
	    "'statefulset', 'db' end\n", NULL);
	char *file = shown(dir, "a-syntax.lua"), *expected;
	struct run_result r;
	char *first, *second;

	run_luaward(&r, "{\"uid\":\"u1\"}\n{\"uid\":\"u2\"}\n", 26, 60,
	    "resolve", "--plugins", dir, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_uint_eq(count_lines(r.out), 2);
	first = line_of(r.out, 0);
	second = line_of(r.out, 1);
	ck_assert_int_ne(asprintf(&expected, "{\"uid\":\"u1\",\"namespace\":"
	    "\"\",\"name\":\"\",\"status\":\"resolved\",\"workloadType\":"
	    "\"StatefulSet\",\"workloadName\":\"db\",\"plugin\":\"c-good\","
	    "\"errors\":[{\"plugin\":\"a-syntax\",\"kind\":\"load\","
	    "\"message\":\"does not compile: %s:1: <name> or '...' "
	    "expected near <eof>\"},"
	    "{\"plugin\":\"b-missing\",\"kind\":\"load\",\"message\":"
	    "\"does not define function GetWorkloadTypeAndName "
	    "(found nil)\"}]}", file), -1);
	ck_assert_str_eq(first, expected);
	free(expected);
	free(file);
	ck_assert_ptr_nonnull(strstr(second, "\"uid\":\"u2\""));
	ck_assert_ptr_nonnull(strstr(second, "\"plugin\":\"c-good\""));
	/* Said once on stderr, not once per record. */
	ck_assert_ptr_nonnull(strstr(r.err, "plugin a-syntax: not loaded"));
	ck_assert_ptr_null(strstr(strstr(r.err, "plugin a-syntax: not loaded")
	    + 1, "plugin a-syntax: not loaded"));
	free(first);
	free(second);
	run_result_free(&r);
	free(dir);
}
END_TEST

START_TEST(test_io_open_fails_and_the_rest_of_the_chain_runs)
{
	char *dir = plugin_dir("1-io.lua",
	    "function GetWorkloadTypeAndName(m)\n"
	    "  local f = io.open('/etc/passwd')\n"
	    "  return 'Deployment', f:read('*l')\n"
	    "end\n",
	    "2-owner.lua", owner_plugin, NULL);
	const char input[] = "{\"ownerReferences\":[{\"kind\":\"Custom\","
	    "\"name\":\"c1\"}]}";
	char *file = shown(dir, "1-io.lua"), *expected;
	struct run_result r;

	run_luaward(&r, input, strlen(input), 60, "resolve", "--plugins", dir,
	    NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_int_ne(asprintf(&expected, "{\"uid\":\"\",\"namespace\":"
	    "\"\",\"name\":\"\",\"status\":\"unsupported\",\"workloadType\":"
	    "\"MyKind\",\"workloadName\":\"c1\",\"plugin\":\"2-owner\","
	    "\"errors\":[{\"plugin\":\"1-io\",\"kind\":\"error\","
	    "\"message\":\"%s:2: io.open is not available in the "
	    "sandbox\"}]" UNSUPPORTED_MYKIND "}\n", file), -1);
	ck_assert_str_eq(r.out, expected);
	run_result_free(&r);
	free(expected);
	free(file);
	free(dir);
}
END_TEST

/*
 * 10,000 generated records in three shapes (bare metadata, Pods, and a
 * List of Pods), with owners that make the plugin answer Deployment,
 * answer an unsupported kind, or pass.  The generator knows each answer.
 */
START_TEST(test_ten_thousand_generated_records)
{
	enum { RECORDS = 10000 };
	char *dir = plugin_dir("owner.lua", owner_plugin, NULL);
	size_t capacity = RECORDS * 400, used = 0;
	char *input = malloc(capacity), **expected = calloc(RECORDS,
	    sizeof(*expected));
	struct run_result r;
	size_t i = 0;

	ck_assert_ptr_nonnull(input);
	while (i < RECORDS) {
		int shape = (int)(i / 100 % 3), items = shape == 2 ? 50 : 1;

		if (shape == 2)
			used += (size_t)sprintf(input + used, "{\"kind\":"
			    "\"List\",\"metadata\":{\"name\":\"not-a-pod\"},"
			    "\"items\":[");
		for (int k = 0; k < items && i < RECORDS; k++, i++) {
			const char *kind = i % 3 == 0 ? "ReplicaSet" :
			    i % 3 == 1 ? "Custom" : "Job";
			char metadata[300];

			snprintf(metadata, sizeof(metadata), "{\"uid\":\"u-%zu\","
			    "\"namespace\":\"ns%zu\",\"name\":\"pod-%zu\","
			    "\"ownerReferences\":[{\"kind\":\"%s\",\"name\":"
			    "\"owner%zu-abc\"}]}", i, i % 7, i, kind, i);
			if (k > 0)
				input[used++] = ',';
			used += (size_t)sprintf(input + used, shape == 0 ?
			    "%s\n" : "{\"kind\":\"Pod\",\"metadata\":%s,"
			    "\"spec\":{\"nodeName\":\"n1\"}}\n", metadata);
			if (i % 3 == 0)
				ck_assert_int_ne(asprintf(&expected[i],
				    "{\"uid\":\"u-%zu\",\"namespace\":\"ns%zu\","
				    "\"name\":\"pod-%zu\",\"status\":\"resolved\","
				    "\"workloadType\":\"Deployment\","
				    "\"workloadName\":\"owner%zu\",\"plugin\":"
				    "\"owner\"}", i, i % 7, i, i), -1);
			else if (i % 3 == 1)
				ck_assert_int_ne(asprintf(&expected[i],
				    "{\"uid\":\"u-%zu\",\"namespace\":\"ns%zu\","
				    "\"name\":\"pod-%zu\",\"status\":"
				    "\"unsupported\",\"workloadType\":\"MyKind\","
				    "\"workloadName\":\"owner%zu-abc\",\"plugin\":"
				    "\"owner\"" UNSUPPORTED_MYKIND "}", i, i % 7, i,
				    i), -1);
			else
				ck_assert_int_ne(asprintf(&expected[i],
				    "{\"uid\":\"u-%zu\",\"namespace\":\"ns%zu\","
				    "\"name\":\"pod-%zu\",\"status\":"
				    "\"unresolved\",\"workloadType\":\"\","
				    "\"workloadName\":\"\",\"plugin\":\"\"}", i,
				    i % 7, i), -1);
		}
		if (shape == 2)
			used += (size_t)sprintf(input + used, "]}\n");
		ck_assert_uint_lt(used, capacity - 1000);
	}
	run_luaward(&r, input, used, 300, "resolve", "--plugins", dir, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %.400s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), RECORDS);
	{
		const char *line = r.out;

		for (i = 0; i < RECORDS; i++) {
			const char *end = strchr(line, '\n');

			ck_assert_msg(strlen(expected[i]) ==
			    (size_t)(end - line) && memcmp(line, expected[i],
			    (size_t)(end - line)) == 0,
			    "record %zu: got %.*s, expected %s", i,
			    (int)(end - line), line, expected[i]);
			line = end + 1;
			free(expected[i]);
		}
	}
	run_result_free(&r);
	free(expected);
	free(input);
	free(dir);
}
END_TEST

/* --stats=json: one JSON object on the last line of stderr, counting what
 * the run did; --stats: the same for people. */
START_TEST(test_stats_count_the_run)
{
	char *dir = plugin_dir("1-broken.lua", "function GetWorkloadTypeAndName"
	    "(m) error('no') end\n", "2-owner.lua", owner_plugin, NULL);
	const char input[] = "{\"ownerReferences\":[{\"kind\":\"ReplicaSet\","
	    "\"name\":\"a-1\"}]}\n{\"name\":\"b\"}\nnot json\n";
	struct run_result r;
	const char *json;

	run_luaward(&r, input, strlen(input), 60, "resolve", "--plugins", dir,
	    "--stats=json", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_uint_eq(count_lines(r.out), 3);
	json = strstr(r.err, "{\"records\":3,");
	ck_assert_msg(json != NULL, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(json, "\"resolved\":1,\"unresolved\":1,"
	    "\"unsupported\":0,\"invalid\":1,"));
	ck_assert_ptr_nonnull(strstr(json, "{\"name\":\"1-broken\",\"calls\":2,"
	    "\"errors\":{\"timeout\":0,\"memory\":0,\"error\":2,"));
	ck_assert_ptr_nonnull(strstr(json, "{\"name\":\"2-owner\",\"calls\":2,"
	    "\"errors\":{\"timeout\":0,\"memory\":0,\"error\":0,"));
	ck_assert_ptr_nonnull(strstr(json, "\"restarts\":0,\"quarantines\":0,"
	    "\"quarantined\":false,\"log_lines_dropped\":0,"
	    "\"latency_us\":{\"p50\":"));
	/* One object, ending the output. */
	ck_assert_str_eq(json + strlen(json) - 4, "}]}\n");
	run_result_free(&r);

	run_luaward(&r, input, strlen(input), 60, "resolve", "--plugins", dir,
	    "--stats", NULL);
	ck_assert_ptr_nonnull(strstr(r.err, "luaward: 3 records in "));
	ck_assert_ptr_nonnull(strstr(r.err, "1 resolved, 1 unresolved, 0 "
	    "unsupported, 1 invalid"));
	ck_assert_ptr_nonnull(strstr(r.err, "plugin 1-broken: 2 calls"));
	ck_assert_ptr_nonnull(strstr(r.err, "errors: error 2"));
	ck_assert_ptr_nonnull(strstr(r.err, "peak memory: supervisor "));
	run_result_free(&r);
	free(dir);
}
END_TEST

/* One bad value in the third Pod of a pretty-printed List: six lines, the
 * third invalid (where the error is), the others as without it. */
START_TEST(test_pretty_list_with_one_bad_value_gives_six_lines)
{
	struct run_result r;
	size_t length;
	char *pods = read_source_file("tests/data/six-pods.json", &length);
	char *expected = read_source_file("tests/data/seed-pods.expected",
	    NULL);
	char *at = pods, *got, *want;

	for (int i = 0; i < 3; i++) {
		at = strstr(at + 1, "\"restartPolicy\": \"Always\"");
		ck_assert_ptr_nonnull(at);
	}
	/* "Always" loses its quotes: the input keeps its length. */
	memcpy(at + strlen("\"restartPolicy\": "), " Always ", 8);
	run_luaward(&r, pods, length, 60, "resolve", "--plugins", "plugins",
	    NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), 6);
	for (size_t i = 0; i < 6; i++) {
		got = line_of(r.out, i);
		want = line_of(expected, i);
		if (i == 2) {
			ck_assert_ptr_nonnull(strstr(got, "\"status\":"
			    "\"invalid\""));
			ck_assert_ptr_nonnull(strstr(got, "\"error\":\"stdin: "
			    "line 168, column 35 (byte offset 7268): expected a "
			    "JSON value, found 'A'\""));
		} else
			ck_assert_str_eq(got, want);
		free(got);
		free(want);
	}
	run_result_free(&r);
	free(expected);
	free(pods);
}
END_TEST

Suite *
resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *t = tcase_create("end to end");

	tcase_set_timeout(t, 600);
	tcase_add_test(t, test_seed_plugins_on_sample_pods);
	tcase_add_test(t, test_default_plugins_are_the_bundled_ones);
	tcase_add_test(t, test_stdin_and_file_give_the_same_lines);
	tcase_add_test(t, test_plugin_that_errors_is_recorded_and_chain_goes_on);
	tcase_add_test(t, test_plugin_returning_bad_values);
	tcase_add_test(t, test_plugin_that_does_not_compile_is_a_load_error);
	tcase_add_test(t, test_io_open_fails_and_the_rest_of_the_chain_runs);
	tcase_add_test(t, test_ten_thousand_generated_records);
	tcase_add_test(t, test_stats_count_the_run);
	tcase_add_test(t, test_pretty_list_with_one_bad_value_gives_six_lines);
	suite_add_tcase(s, t);
	return s;
}
