/*
 * What stats_print writes (supervisor/output/stats.h): the --stats=json line,
 * read back by the strict parser of strict_json.h (first held to its own
 * strictness), with every documented field, counts exact at their limits
 * and hostile plugin names escaped; and the human summary.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/output/stats.h"
#include "strict_json.h"
#include "suites.h"

/* --- the parser --------------------------------------------------------- */

START_TEST(test_parser_rejects_what_is_not_json)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{'a':1}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":\"\x01\"}",
		"{\"a\":\"\xff\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":1}{}", "{\"a\":1,\"a\":2}", "{\"a\":tru}", "nul",
		"{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
	};
	static const char *const good[] = {
		/* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
		"{}", " {\"a\":[1,-2.5e+3,true,false,null,\"\\u00e9\\ud83d"
		    "\\ude00\"]}\n", "[]", "0", "\"\xc3\xa9\"",
	};
	char error[200];
	struct json v;

	/* The checks below are only as strict as this parser. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!json_parse(bad[i], strlen(bad[i]), &v, error,
		    sizeof(error)), "accepted: %s", bad[i]);
		json_free(&v);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(json_parse(good[i], strlen(good[i]), &v, error,
		    sizeof(error)), "rejected %s: %s", good[i], error);
		json_free(&v);
	}
}
END_TEST

/* --- stats_print -------------------------------------------------------- */

/* Runs stats_print into memory; the caller frees the text. */
static char *
print_stats(bool json, const struct run_stats *run,
    const char *const *names, const struct plugin_stats *plugins,
    size_t count, double elapsed, size_t *length)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, length);

	ck_assert_ptr_nonnull(f);
	stats_print(f, json, run, names, plugins, count, elapsed);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

static const char *const kind_names[ERROR_KIND_COUNT] = {
	"timeout", "memory", "error", "crash", "sandbox", "bad-return",
	"quarantined", "load",
};

START_TEST(test_json_stats_is_one_object_with_the_documented_fields)
{
	const char *const names[] = { "10-opengauss", "20-deployment",
	    "30-idle" };
	struct plugin_stats plugins[3];
	struct run_stats run;
	struct json root;
	const struct json *list;
	char *text, error[200];
	size_t length;

	memset(&run, 0, sizeof(run));
	memset(plugins, 0, sizeof(plugins));
	run.records = 1234;
	run.by_status[STATUS_RESOLVED] = 1000;
	run.by_status[STATUS_UNRESOLVED] = 200;
	run.by_status[STATUS_UNSUPPORTED] = 30;
	run.by_status[STATUS_INVALID] = 4;
	plugins[0].calls = 1230;
	for (int k = 0; k < ERROR_KIND_COUNT; k++)
		plugins[0].errors[k] = (uint64_t)(k + 1) * 11;
	plugins[0].restarts = 7;
	plugins[0].quarantines = 2;
	plugins[0].quarantined = true;
	for (uint64_t v = 1; v <= 10000; v++)
		histogram_add(&plugins[0].latency_us, v);
	plugins[1].calls = 42;
	plugins[1].errors[ERROR_CRASH] = 3;
	histogram_add(&plugins[1].latency_us, 7);
	/* plugins[2]: never called, every count 0, no latency. */

	text = print_stats(true, &run, names, plugins, 3, 2.5, &length);
	ck_assert_uint_eq(strlen(text), length);
	/* One line: the whole of it one JSON object. */
	ck_assert_msg(length > 0 && text[length - 1] == '\n' &&
	    memchr(text, '\n', length - 1) == NULL, "%s", text);
	ck_assert_msg(json_parse(text, length, &root, error, sizeof(error)),
	    "%s: %s", error, text);
	ck_assert_int_eq(root.type, J_OBJECT);

	assert_count(&root, "records", 1234);
	ck_assert_int_eq(member(&root, "seconds")->type, J_NUMBER);
	ck_assert_double_eq_tol(strtod(member(&root, "seconds")->text, NULL),
	    2.5, 1e-9);
	assert_count(&root, "resolved", 1000);
	assert_count(&root, "unresolved", 200);
	assert_count(&root, "unsupported", 30);
	assert_count(&root, "invalid", 4);

	list = member(&root, "plugins");
	ck_assert_int_eq(list->type, J_ARRAY);
	ck_assert_uint_eq(list->count, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct json *p = &list->items[i], *name, *errors, *lat;

		ck_assert_int_eq(p->type, J_OBJECT);
		name = member(p, "name");
		ck_assert_int_eq(name->type, J_STRING);
		ck_assert_str_eq(name->text, names[i]);
		assert_count(p, "calls", plugins[i].calls);
		errors = member(p, "errors");
		ck_assert_int_eq(errors->type, J_OBJECT);
		ck_assert_uint_eq(errors->count, ERROR_KIND_COUNT);
		for (int k = 0; k < ERROR_KIND_COUNT; k++)
			assert_count(errors, kind_names[k],
			    plugins[i].errors[k]);
		assert_count(p, "restarts", plugins[i].restarts);
		assert_count(p, "quarantines", plugins[i].quarantines);
		ck_assert_int_eq(member(p, "quarantined")->type,
		    plugins[i].quarantined ? J_TRUE : J_FALSE);
		lat = member(p, "latency_us");
		ck_assert_int_eq(lat->type, J_OBJECT);
		assert_count(lat, "p50",
		    histogram_quantile(&plugins[i].latency_us, 0.5));
		assert_count(lat, "p99",
		    histogram_quantile(&plugins[i].latency_us, 0.99));
	}
	/* The figures themselves, from the rules: uniform 1..10000 and one
	 * sample of 7; nothing for a plugin never called. */
	{
		const struct json *lat = member(&list->items[0], "latency_us");
		unsigned long long p50 = strtoull(member(lat, "p50")->text,
		    NULL, 10), p99 = strtoull(member(lat, "p99")->text, NULL,
		    10);

		ck_assert(p50 <= 5001 && p50 >= 5001 - 5001 / 8);
		ck_assert(p99 <= 9901 && p99 >= 9901 - 9901 / 8);
		assert_count(member(&list->items[1], "latency_us"), "p50", 7);
		assert_count(member(&list->items[2], "latency_us"), "p99", 0);
	}
	json_free(&root);
	free(text);
}
END_TEST

START_TEST(test_json_stats_counts_are_exact_at_their_limits)
{
	const char *const names[] = { "p" };
	struct plugin_stats plugin;
	struct run_stats run;
	struct json root;
	const struct json *p;
	char *text, error[200];
	size_t length;

	/* Counters beyond 2^53 must not go through a double. */
	memset(&run, 0, sizeof(run));
	memset(&plugin, 0, sizeof(plugin));
	run.records = UINT64_MAX;
	run.by_status[STATUS_RESOLVED] = (1ULL << 53) + 1;
	plugin.calls = UINT64_MAX - 1;
	plugin.errors[ERROR_LOAD] = UINT64_MAX;
	plugin.restarts = 1ULL << 63;
	histogram_add(&plugin.latency_us, UINT64_MAX);

	text = print_stats(true, &run, names, &plugin, 1, 0.0, &length);
	ck_assert_msg(json_parse(text, length, &root, error, sizeof(error)),
	    "%s: %s", error, text);
	assert_count(&root, "records", UINT64_MAX);
	assert_count(&root, "resolved", (1ULL << 53) + 1);
	assert_count(&root, "unresolved", 0);
	p = &member(&root, "plugins")->items[0];
	assert_count(p, "calls", UINT64_MAX - 1);
	assert_count(member(p, "errors"), "load", UINT64_MAX);
	assert_count(p, "restarts", 1ULL << 63);
	/*
	 * A latency is no counter: the histogram's buckets stop at 2^48 us
	 * (exponent 47, stats.c), so UINT64_MAX lands in the top bucket,
	 * whose floor (8 + 7) << 44 is printed, well below 2^53.  This pins
	 * the clamp, not the printing of large numbers.
	 */
	assert_count(member(p, "latency_us"), "p99", 263882790666240ULL);
	json_free(&root);
	free(text);
}
END_TEST

START_TEST(test_json_stats_with_no_plugins)
{
	struct run_stats run;
	struct json root;
	char *text, error[200];
	size_t length;

	memset(&run, 0, sizeof(run));
	text = print_stats(true, &run, NULL, NULL, 0, 0.0, &length);
	ck_assert_msg(json_parse(text, length, &root, error, sizeof(error)),
	    "%s: %s", error, text);
	assert_count(&root, "records", 0);
	ck_assert_int_eq(member(&root, "plugins")->type, J_ARRAY);
	ck_assert_uint_eq(member(&root, "plugins")->count, 0);
	json_free(&root);
	free(text);
}
END_TEST

START_TEST(test_json_stats_escapes_hostile_plugin_names)
{
	/* A plugin's name is its file name: any byte but '/' and NUL. */
	static const struct {
		const char *name;
		const char *decoded;	/* what a JSON parser must read */
	} cases[] = {
		{ "quote\"and\\backslash", "quote\"and\\backslash" },
		{ "new\nline\rand\ttab", "new\nline\rand\ttab" },
		{ "bell\x07" "esc\x1b" "del\x7f" "x01\x01",
		    "bell\x07" "esc\x1b" "del\x7f" "x01\x01" },
		{ "\",\"calls\":999,\"x\":\"", "\",\"calls\":999,\"x\":\"" },
		{ "}]}\n{\"records\":0", "}]}\n{\"records\":0" },
		{ "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80",
		    "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80" },
		/* Not UTF-8: each bad byte becomes U+FFFD. */
		{ "bad\xff" "byte", "bad\xef\xbf\xbd" "byte" },
		{ "trunc\xc3", "trunc\xef\xbf\xbd" },
		{ "overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate\xed\xa0\x80",
		    "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "", "" },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	const char *names[N];
	struct plugin_stats plugins[N];
	struct run_stats run;
	struct json root;
	const struct json *list;
	char *text, error[200];
	size_t length;

	memset(&run, 0, sizeof(run));
	memset(plugins, 0, sizeof(plugins));
	for (size_t i = 0; i < N; i++) {
		names[i] = cases[i].name;
		plugins[i].calls = i;
	}
	text = print_stats(true, &run, names, plugins, N, 1.0, &length);
	/* Still one line: a newline in a name must not end it. */
	ck_assert_msg(memchr(text, '\n', length - 1) == NULL, "%s", text);
	ck_assert_msg(json_parse(text, length, &root, error, sizeof(error)),
	    "%s: %s", error, text);
	assert_count(&root, "records", 0);
	list = member(&root, "plugins");
	ck_assert_uint_eq(list->count, N);
	for (size_t i = 0; i < N; i++) {
		const struct json *name = member(&list->items[i], "name");

		ck_assert_int_eq(name->type, J_STRING);
		ck_assert_msg(name->length == strlen(cases[i].decoded) &&
		    memcmp(name->text, cases[i].decoded, name->length) == 0,
		    "name %zu read back wrong", i);
		/* Each plugin's own counts stay with it. */
		assert_count(&list->items[i], "calls", i);
	}
	json_free(&root);
	free(text);
}
END_TEST

START_TEST(test_human_stats_summary)
{
	const char *const names[] = { "a", "b" };
	struct plugin_stats plugins[2];
	struct run_stats run;
	char *text;
	size_t length;

	memset(&run, 0, sizeof(run));
	memset(plugins, 0, sizeof(plugins));
	run.records = 10;
	run.by_status[STATUS_RESOLVED] = 6;
	run.by_status[STATUS_UNRESOLVED] = 3;
	run.by_status[STATUS_INVALID] = 1;
	plugins[0].calls = 9;
	plugins[0].restarts = 2;
	plugins[0].errors[ERROR_CRASH] = 2;
	plugins[0].errors[ERROR_TIMEOUT] = 1;
	plugins[1].calls = 5;
	plugins[1].quarantined = true;
	text = print_stats(false, &run, names, plugins, 2, 2.0, &length);
	ck_assert_msg(strstr(text, "luaward: 10 records in 2.000 s (5/s): 6 "
	    "resolved, 3 unresolved, 0 unsupported, 1 invalid\n") != NULL,
	    "%s", text);
	ck_assert_msg(strstr(text, "luaward: plugin a: 9 calls, p50 0 us, "
	    "p99 0 us, 2 restarts, errors: timeout 1 crash 2\n") != NULL,
	    "%s", text);
	ck_assert_msg(strstr(text, "luaward: plugin b: 5 calls, p50 0 us, "
	    "p99 0 us, 0 restarts, quarantined\n") != NULL, "%s", text);
	free(text);
}
END_TEST

Suite *
stats_print_suite(void)
{
	Suite *s = suite_create("stats_print");
	TCase *print = tcase_create("print");

	tcase_add_test(print, test_parser_rejects_what_is_not_json);
	tcase_add_test(print,
	    test_json_stats_is_one_object_with_the_documented_fields);
	tcase_add_test(print, test_json_stats_counts_are_exact_at_their_limits);
	tcase_add_test(print, test_json_stats_with_no_plugins);
	tcase_add_test(print, test_json_stats_escapes_hostile_plugin_names);
	tcase_add_test(print, test_human_stats_summary);
	suite_add_tcase(s, print);
	return s;
}
