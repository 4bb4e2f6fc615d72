/*
 * What kubectl users feed luaward: a watch stream resolved event by event
 * (each line says its event, BOOKMARK gives none, ERROR one clear invalid
 * line and an error exit), answers for every pod with --fallback owner
 * (marked "(owner)", custom owners left to plugins), and --argument
 * deepflow handing plugins exactly the bytes DeepFlow's Go controller
 * would.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/input/json_tree.h"
#include "chaos_support.h"
#include "helpers.h"
#include "suites.h"

/* An unsupported line's explanation (result.c). */
#define UNSUPPORTED(type) "\"error\":\"\\\"" type "\\\" is not a workload " \
	"type luaward accepts (Deployment, StatefulSet, ReplicaSet, " \
	"DaemonSet, ReplicationController, CloneSet)\","

/* The lines tests/data/watch-events.jsonl gives with the bundled plugins
 * and --fallback owner, one per event but the BOOKMARK. */
static const char *const watch_lines[] = {
	"{\"uid\":\"u-0\",\"namespace\":\"db\",\"name\":\"ogtest-0\",\"status\":"
	"\"resolved\",\"workloadType\":\"StatefulSet\",\"workloadName\":"
	"\"ogtest\",\"plugin\":\"10-opengauss\",\"event\":\"ADDED\"}",
	"{\"uid\":\"u-1\",\"namespace\":\"web\",\"name\":\"nginx-7c5ddbdf54-"
	"x8k2p\",\"status\":\"resolved\",\"workloadType\":\"Deployment\","
	"\"workloadName\":\"nginx\",\"plugin\":\"(owner)\",\"event\":"
	"\"ADDED\"}",
	"{\"uid\":\"u-2\",\"namespace\":\"kube-system\",\"name\":\"kube-proxy-"
	"7q9wz\",\"status\":\"resolved\",\"workloadType\":\"DaemonSet\","
	"\"workloadName\":\"kube-proxy\",\"plugin\":\"(owner)\",\"event\":"
	"\"MODIFIED\"}",
	"{\"uid\":\"u-3\",\"namespace\":\"ops\",\"name\":\"backup-29000000-"
	"abcde\",\"status\":\"unsupported\",\"workloadType\":\"CronJob\","
	"\"workloadName\":\"backup\",\"plugin\":\"(owner)\","
	UNSUPPORTED("CronJob") "\"event\":\"ADDED\"}",
	"{\"uid\":\"u-4\",\"namespace\":\"ops\",\"name\":\"migrate-db-xyz12\","
	"\"status\":\"unsupported\",\"workloadType\":\"Job\",\"workloadName\":"
	"\"migrate-db\",\"plugin\":\"(owner)\"," UNSUPPORTED("Job")
	"\"event\":\"ADDED\"}",
	"{\"uid\":\"u-5\",\"namespace\":\"cache\",\"name\":\"redis-0\","
	"\"status\":\"resolved\",\"workloadType\":\"StatefulSet\","
	"\"workloadName\":\"redis\",\"plugin\":\"(owner)\",\"event\":"
	"\"ADDED\"}",
	"{\"uid\":\"u-6\",\"namespace\":\"old\",\"name\":\"legacy-abcde\","
	"\"status\":\"resolved\",\"workloadType\":\"ReplicationController\","
	"\"workloadName\":\"legacy\",\"plugin\":\"(owner)\",\"event\":"
	"\"ADDED\"}",
	"{\"uid\":\"u-7\",\"namespace\":\"web\",\"name\":\"canary-5f6d7-q\","
	"\"status\":\"unresolved\",\"workloadType\":\"\",\"workloadName\":\"\","
	"\"plugin\":\"\",\"event\":\"ADDED\"}",
	"{\"uid\":\"u-8\",\"namespace\":\"db\",\"name\":\"ogtest-1\",\"status\":"
	"\"resolved\",\"workloadType\":\"StatefulSet\",\"workloadName\":"
	"\"ogtest\",\"plugin\":\"10-opengauss\",\"event\":\"DELETED\"}",
	"{\"uid\":\"\",\"namespace\":\"\",\"name\":\"\",\"status\":\"invalid\","
	"\"workloadType\":\"\",\"workloadName\":\"\",\"plugin\":\"\",\"error\":"
	"\"stdin: line 11, column 1 (byte offset 3188): watch ERROR event: "
	"410 Expired: too old resource version: 123 (456)\",\"event\":"
	"\"ERROR\"}",
};
#define WATCH_LINES	(sizeof(watch_lines) / sizeof(watch_lines[0]))

static char *
watch_stream(size_t *length)
{
	return read_source_file("tests/data/watch-events.jsonl", length);
}

START_TEST(test_watch_stream_is_resolved_event_by_event)
{
	size_t length;
	char *stream = watch_stream(&length);
	struct run_result r;

	run_luaward(&r, stream, length, 120, "resolve", "--plugins", "plugins",
	    "--fallback", "owner", NULL);
	/* The ERROR event makes the run's status an error. */
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), WATCH_LINES);
	for (size_t i = 0; i < WATCH_LINES; i++) {
		char *line = line_of(r.out, i);

		ck_assert_str_eq(line, watch_lines[i]);
		free(line);
	}
	run_result_free(&r);
	free(stream);
}
END_TEST

/* `kubectl get pods -w ... | luaward resolve` is a live view: each event's
 * line comes out before the next event is sent. */
START_TEST(test_watch_lines_stream_as_events_arrive)
{
	const char *args[] = { "resolve", "--plugins", "plugins", "--fallback",
	    "owner", NULL };
	size_t length, line = 0;
	char *stream = watch_stream(&length), *event = stream;
	struct luaward l;

	luaward_start(&l, args);
	while (*event != '\0') {
		char *end = strchr(event, '\n') + 1;

		luaward_send(&l, event, (size_t)(end - event));
		/* BOOKMARK (the fourth event) answers nothing. */
		if (strstr(event, "\"BOOKMARK\"") == NULL) {
			ck_assert_msg(wait_for_line(&l, line, 60), "no line "
			    "for event %zu; stderr: %s", line,
			    text_of(&l.errors));
			line++;
		}
		event = end;
	}
	l.end_input = true;
	while (l.out != -1 || l.err != -1)
		luaward_pump(&l, 10);
	ck_assert_int_eq(luaward_wait(&l), 1);
	ck_assert_uint_eq(count_lines(text_of(&l.output)), WATCH_LINES);
	luaward_free(&l);
	free(stream);
}
END_TEST

START_TEST(test_without_fallback_owner_pods_stay_unresolved)
{
	size_t length;
	char *stream = watch_stream(&length), *line;
	struct run_result r;

	run_luaward(&r, stream, length, 120, "resolve", "--plugins", "plugins",
	    NULL);
	ck_assert_uint_eq(count_lines(r.out), WATCH_LINES);
	line = line_of(r.out, 1);
	ck_assert_str_eq(line, "{\"uid\":\"u-1\",\"namespace\":\"web\","
	    "\"name\":\"nginx-7c5ddbdf54-x8k2p\",\"status\":\"unresolved\","
	    "\"workloadType\":\"\",\"workloadName\":\"\",\"plugin\":\"\","
	    "\"event\":\"ADDED\"}");
	free(line);
	ck_assert_ptr_null(strstr(r.out, "(owner)"));
	run_result_free(&r);
	free(stream);
}
END_TEST

/* A plugin decides before the fallback: a custom owner kind is left to
 * plugins, and one that knows it answers; the plugin's answer wins over
 * the owner's for a standard kind too. */
START_TEST(test_plugins_decide_before_the_owner_fallback)
{
	char *dir = plugin_dir("rollout.lua",
	    "function GetWorkloadTypeAndName(m)\n"
	    "  if m:find('\"kind\":\"Rollout\"', 1, true) then\n"
	    "    return 'Deployment', 'canary-rollout' end\n"
	    "  if m:find('redis', 1, true) then\n"
	    "    return 'StatefulSet', 'by-plugin' end\n"
	    "  return '', '' end\n", NULL);
	size_t length;
	char *stream = watch_stream(&length);
	struct run_result r;

	run_luaward(&r, stream, length, 120, "resolve", "--plugins", dir,
	    "--fallback", "owner", NULL);
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\":\"canary-5f6d7-q\","
	    "\"status\":\"resolved\",\"workloadType\":\"Deployment\","
	    "\"workloadName\":\"canary-rollout\",\"plugin\":\"rollout\""));
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\":\"redis-0\",\"status\":"
	    "\"resolved\",\"workloadType\":\"StatefulSet\",\"workloadName\":"
	    "\"by-plugin\",\"plugin\":\"rollout\""));
	/* The opengauss pods have no plugin that knows them here, and their
	 * owner is a custom kind: unresolved. */
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\":\"ogtest-0\",\"status\":"
	    "\"unresolved\""));
	run_result_free(&r);
	free(stream);
	free(dir);
}
END_TEST

/* A List of kubectl get pods -o json: the same owner rules per item. */
START_TEST(test_owner_fallback_on_the_sample_list)
{
	struct run_result r;

	run_luaward(&r, "", 0, 120, "resolve", "--plugins", "plugins",
	    "--fallback", "owner", "examples/pods.json", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(count_lines(r.out), 6);
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\":\"nginx-7c5ddbdf54-"
	    "x8k2p\",\"status\":\"resolved\",\"workloadType\":\"Deployment\","
	    "\"workloadName\":\"nginx\",\"plugin\":\"(owner)\"}"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\":\"kube-proxy-7q9wz\","
	    "\"status\":\"resolved\",\"workloadType\":\"DaemonSet\","
	    "\"workloadName\":\"kube-proxy\",\"plugin\":\"(owner)\"}"));
	/* No owner at all: nothing to fall back on. */
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\":\"debug-shell\","
	    "\"status\":\"unresolved\""));
	run_result_free(&r);
}
END_TEST

START_TEST(test_records_without_name_or_uid_are_warned_and_counted)
{
	static const char input[] = "{\"name\":\"a\"}\n{\"foo\":1}\n"
	    "{\"bar\":2}\n";
	struct run_result r;

	run_luaward(&r, input, sizeof(input) - 1, 120, "resolve", "--plugins",
	    "plugins", "--stats=json", NULL);
	ck_assert_uint_eq(count_lines(r.out), 3);
	ck_assert_ptr_nonnull(strstr(r.err, "\"without_name_or_uid\":2,"));
	/* Said once, not per record. */
	ck_assert_ptr_nonnull(strstr(r.err, "line 2: a record with neither "
	    "metadata.name nor uid"));
	ck_assert_ptr_null(strstr(r.err, "line 3: a record"));
	run_result_free(&r);
}
END_TEST

/* The value of member key of the JSON object line, decoded. */
static char *
member_of(const char *line, const char *key, size_t *length)
{
	struct json_tree tree;
	char error[128], *value;
	uint32_t node;

	ck_assert_msg(json_tree_parse(&tree, line, strlen(line), error,
	    sizeof(error)) == 0, "%s: %s", error, line);
	node = json_tree_member(&tree, 0, key);
	ck_assert_uint_ne(node, JSON_TREE_NONE);
	*length = json_tree_string_decode(&tree, node, NULL, 0);
	value = malloc(*length + 1);
	ck_assert_ptr_nonnull(value);
	json_tree_string_decode(&tree, node, value, *length);
	value[*length] = '\0';
	json_tree_free(&tree);
	return value;
}

/* A plugin that returns its argument shows what it was given: with
 * --argument deepflow, exactly Go's bytes for each realistic pod of the
 * corpus whose expected bytes Go produced (tests/data/deepflow-argument);
 * without, the metadata as it came. */
START_TEST(test_deepflow_argument_reaches_plugins_as_go_writes_it)
{
	static const char plugin[] = "function GetWorkloadTypeAndName(m) "
	    "return 'Deployment', m end\n";
	char *dir = plugin_dir("echo.lua", plugin, NULL);
	size_t length, checked = 0;
	char *corpus = read_source_file("tests/data/deepflow-argument/"
	    "cases.jsonl", &length);
	char *expected = read_source_file("tests/data/deepflow-argument/"
	    "cases.expected", NULL);
	char *document = corpus, *want = expected;

	while (*document != '\0') {
		char *end = strchr(document, '\n'), *want_end;
		struct run_result r;

		*end = '\0';
		if (document[0] == '#' || document[0] == '\0') {
			document = end + 1;
			continue;
		}
		want_end = strchr(want, '\n');
		*want_end = '\0';
		/* Pods only: an object with a name (the others are the unit
		 * suite's business). */
		if (strncmp(want, "error", 5) != 0 && document[0] == '{' &&
		    strstr(document, "\"name\":\"") != NULL) {
			char *line, *got;
			size_t got_length;

			run_luaward(&r, document, strlen(document), 120,
			    "resolve", "--plugins", dir, "--argument",
			    "deepflow", NULL);
			line = line_of(r.out, 0);
			ck_assert_ptr_nonnull(line);
			if (strstr(line, "\"status\":\"resolved\"") != NULL) {
				got = member_of(line, "workloadName",
				    &got_length);
				ck_assert_msg(got_length == strlen(want) &&
				    memcmp(got, want, got_length) == 0,
				    "\n  input    %s\n  got      %s\n  expected "
				    "%s", document, got, want);
				checked++;
				free(got);
			}
			free(line);
			run_result_free(&r);
		}
		document = end + 1;
		want = want_end + 1;
	}
	ck_assert_uint_gt(checked, 5);
	free(corpus);
	free(expected);
	free(dir);
}
END_TEST

Suite *
kubectl_suite(void)
{
	Suite *s = suite_create("kubectl");
	TCase *t = tcase_create("kubectl");

	tcase_set_timeout(t, 600);
	tcase_add_test(t, test_watch_stream_is_resolved_event_by_event);
	tcase_add_test(t, test_watch_lines_stream_as_events_arrive);
	tcase_add_test(t, test_without_fallback_owner_pods_stay_unresolved);
	tcase_add_test(t, test_plugins_decide_before_the_owner_fallback);
	tcase_add_test(t, test_owner_fallback_on_the_sample_list);
	tcase_add_test(t,
	    test_records_without_name_or_uid_are_warned_and_counted);
	tcase_add_test(t,
	    test_deepflow_argument_reaches_plugins_as_go_writes_it);
	suite_add_tcase(s, t);
	return s;
}
