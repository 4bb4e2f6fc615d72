/*
 * luaward serve and its plugin verbs, end to end: plugins created, listed,
 * replaced, placed and deleted on a real daemon, every answer checked
 * whole; each refusal one line with its own exit status; and a plugin that
 * does not load refused with the loader's reason, leaving nothing behind.
 */
#define _GNU_SOURCE
#include <check.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "serve_support.h"
#include "suites.h"

static char *
sha256_of(const char *source)
{
	char *hex = malloc(SHA256_DIGEST_STRING_LENGTH);

	ck_assert_ptr_nonnull(hex);
	SHA256Data((const uint8_t *)source, strlen(source), hex);
	return hex;
}

static void
iso_time(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Checks the list entry at *cursor (`plugin list -o json`) field by field
 * and moves past it: its name, position, size and sha256 of source, a
 * creation time within [from, to], a state the plugin may be in, its
 * calls and its errors object.
 */
static void
expect_entry(const char **cursor, const char *name, unsigned position,
    const char *source, time_t from, time_t to, unsigned calls,
    const char *errors)
{
	char *sha = sha256_of(source), *head, *tail, low[32], high[32];
	const char *p = *cursor, *state;
	size_t state_length;

	iso_time(from, low);
	iso_time(to, high);
	ck_assert_int_ne(asprintf(&head, "%s{\"name\":\"%s\",\"position\":%u,"
	    "\"size\":%zu,\"sha256\":\"%s\",\"created\":\"", position == 1 ?
	    "[" : ",", name, position, strlen(source), sha), -1);
	ck_assert_msg(strncmp(p, head, strlen(head)) == 0, "entry %u: got "
	    "%.300s\nexpected %s...", position, p, head);
	p += strlen(head);
	ck_assert_msg(strncmp(p, low, 20) >= 0 && strncmp(p, high, 20) <= 0 &&
	    p[20] == '"', "created %.21s, not within %s .. %s", p, low, high);
	p += 21;
	ck_assert_msg(strncmp(p, ",\"state\":\"", 10) == 0, "%s", p);
	p += 10;
	state = p;
	state_length = strcspn(p, "\"");
	ck_assert_msg((state_length == 5 && strncmp(state, "ready", 5) == 0) ||
	    (state_length == 8 && strncmp(state, "starting", 8) == 0),
	    "plugin %s: state %.*s", name, (int)state_length, state);
	p += state_length;
	ck_assert_int_ne(asprintf(&tail, "\",\"calls\":%u,\"errors\":{%s}}",
	    calls, errors), -1);
	ck_assert_msg(strncmp(p, tail, strlen(tail)) == 0, "got %.200s\n"
	    "expected %s", p, tail);
	*cursor = p + strlen(tail);
	free(head);
	free(tail);
	free(sha);
}

/* A one-record query must be answered workload by plugin, the deciding
 * one. */
static void
expect_answer(const struct served *s, const char *workload,
    const char *plugin)
{
	static const char record[] = "{\"name\":\"r-0\"}\n";
	struct run_result r;
	char *want;

	ck_assert_int_ne(asprintf(&want, "{\"uid\":\"\",\"namespace\":\"\","
	    "\"name\":\"r-0\",\"status\":\"resolved\",\"workloadType\":"
	    "\"Deployment\",\"workloadName\":\"%s\",\"plugin\":\"%s\"}\n",
	    workload, plugin), -1);
	client(&r, s, record, strlen(record), "query", NULL);
	ck_assert_msg(r.status == 0, "query: exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, want);
	run_result_free(&r);
	free(want);
}

static void
expect_said(const char *out, const char *verb, const char *name,
    const char *source)
{
	char *sha = sha256_of(source), *want;

	ck_assert_int_ne(asprintf(&want, "%s %s sha256 %s\n", verb, name, sha),
	    -1);
	ck_assert_str_eq(out, want);
	free(want);
	free(sha);
}

START_TEST(test_create_list_query_delete_round_trip)
{
	char *a = named_plugin("a", false), *b = named_plugin("b", false),
	    *c = named_plugin("c", false);
	time_t from = time(NULL);
	struct run_result r;
	struct served s;
	const char *cursor;
	char *header;
	time_t to;

	served_init(&s);
	serve_start(&s, NULL);
	client(&r, &s, NULL, 0, "plugin", "list", "-o", "json", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "[]\n");
	run_result_free(&r);

	create_plugin(&r, &s, "a", a, NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	expect_said(r.out, "created", "a", a);
	run_result_free(&r);
	CREATE_OK(&s, "b", b);
	CREATE_OK(&s, "c", c);
	to = time(NULL);

	CLIENT_OK(&r, &s, "plugin", "list", "-o", "json");
	cursor = r.out;
	expect_entry(&cursor, "a", 1, a, from, to, 0, "");
	expect_entry(&cursor, "b", 2, b, from, to, 0, "");
	expect_entry(&cursor, "c", 3, c, from, to, 0, "");
	ck_assert_str_eq(cursor, "]\n");
	run_result_free(&r);

	/* The text form: a header, then one row per plugin in order. */
	CLIENT_OK(&r, &s, "plugin", "list");
	ck_assert_uint_eq(count_lines(r.out), 4);
	header = line_of(r.out, 0);
	ck_assert_str_eq(header, "POS  NAME                     STATE        "
	    "    SIZE      CALLS CREATED              SHA256           ERRORS");
	free(header);
	for (size_t i = 1; i <= 3; i++) {
		char *row = line_of(r.out, i), *sha = sha256_of(i == 1 ? a :
		    i == 2 ? b : c), prefix[64];

		snprintf(prefix, sizeof(prefix), "%zu    %c ", i,
		    (int)('a' + i - 1));
		ck_assert_msg(strncmp(row, prefix, strlen(prefix)) == 0, "%s",
		    row);
		sha[16] = '\0';
		ck_assert_msg(strstr(row, sha) != NULL, "%s", row);
		ck_assert_str_eq(row + strlen(row) - 2, " -");
		free(row);
		free(sha);
	}
	run_result_free(&r);

	/* The first plugin decides; its calls are counted. */
	expect_answer(&s, "a", "a");
	CLIENT_OK(&r, &s, "plugin", "list", "-o", "json");
	cursor = r.out;
	expect_entry(&cursor, "a", 1, a, from, to, 1, "");
	expect_entry(&cursor, "b", 2, b, from, to, 0, "");
	run_result_free(&r);

	CLIENT_OK(&r, &s, "plugin", "delete", "a");
	expect_said(r.out, "deleted", "a", a);
	run_result_free(&r);
	ASSERT_CHAIN_NAMES(&s, "b c");
	expect_answer(&s, "b", "b");
	CLIENT_OK(&r, &s, "plugin", "delete", "c");
	run_result_free(&r);
	ASSERT_CHAIN_NAMES(&s, "b");
	CLIENT_OK(&r, &s, "plugin", "delete", "b");
	run_result_free(&r);
	client(&r, &s, NULL, 0, "plugin", "list", "-o", "json", NULL);
	ck_assert_str_eq(r.out, "[]\n");
	run_result_free(&r);
	/* No plugin: every record unresolved, still exit 0. */
	client(&r, &s, "{\"name\":\"x\"}", 12, "query", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"x\",\"status\":\"unresolved\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\"}\n");
	run_result_free(&r);
	serve_stop(&s);
	ASSERT_FILES(s.state_dir, "manifest");
	served_free(&s);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(test_replace_keeps_the_place_and_answers_anew)
{
	char *v1 = named_plugin("a-v1", false), *v2 = named_plugin("a-v2",
	    false), *b = named_plugin("b", false), *z = named_plugin("z",
	    false);
	time_t from = time(NULL);
	struct run_result r;
	struct served s;
	const char *cursor;
	char *files;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "a", v1);
	CREATE_OK(&s, "b", b);
	expect_answer(&s, "a-v1", "a");

	create_plugin(&r, &s, "a", v2, "--replace", NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	expect_said(r.out, "replaced", "a", v2);
	run_result_free(&r);
	CLIENT_OK(&r, &s, "plugin", "list", "-o", "json");
	cursor = r.out;
	/* A new version: a new sha256, and its calls start from nothing. */
	expect_entry(&cursor, "a", 1, v2, from, time(NULL), 0, "");
	expect_entry(&cursor, "b", 2, b, from, time(NULL), 0, "");
	run_result_free(&r);
	expect_answer(&s, "a-v2", "a");

	/* --replace of a name not there creates it, last. */
	create_plugin(&r, &s, "z", z, "--replace", NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	expect_said(r.out, "created", "z", z);
	run_result_free(&r);
	ASSERT_CHAIN_NAMES(&s, "a b z");
	serve_stop(&s);
	/* One file per plugin: the replaced version is gone. */
	files = files_of(s.state_dir);
	ck_assert_msg(strlen(files) == strlen("a@N.lua b@N.lua manifest "
	    "z@N.lua"), "%s", files);
	free(files);
	served_free(&s);
	free(v1);
	free(v2);
	free(b);
	free(z);
}
END_TEST

START_TEST(test_before_and_after_place_a_plugin)
{
	char *p = named_plugin("p", false), *q = named_plugin("q", false);
	struct run_result r;
	struct served s;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "a", p);
	CREATE_OK(&s, "b", p);
	CREATE_OK(&s, "c", p);
	CREATE_OK(&s, "d", q, "--before", "b");
	ASSERT_CHAIN_NAMES(&s, "a d b c");
	CREATE_OK(&s, "e", p, "--after", "c");
	ASSERT_CHAIN_NAMES(&s, "a d b c e");
	CREATE_OK(&s, "f", q, "--before", "a");
	ASSERT_CHAIN_NAMES(&s, "f a d b c e");
	CREATE_OK(&s, "g", q, "--after", "a");
	ASSERT_CHAIN_NAMES(&s, "f a g d b c e");
	/* A replace moves the plugin only when told where. */
	CREATE_OK(&s, "b", q, "--replace");
	ASSERT_CHAIN_NAMES(&s, "f a g d b c e");
	CREATE_OK(&s, "b", p, "--replace", "--before", "f");
	ASSERT_CHAIN_NAMES(&s, "b f a g d c e");
	CREATE_OK(&s, "f", p, "--replace", "--after", "e");
	ASSERT_CHAIN_NAMES(&s, "b a g d c e f");
	CLIENT_OK(&r, &s, "plugin", "delete", "g");
	run_result_free(&r);
	ASSERT_CHAIN_NAMES(&s, "b a d c e f");
	/* The chain's order is the order of the answers: b decides. */
	expect_answer(&s, "p", "b");
	CLIENT_OK(&r, &s, "plugin", "delete", "b");
	run_result_free(&r);
	CLIENT_OK(&r, &s, "plugin", "delete", "a");
	run_result_free(&r);
	expect_answer(&s, "q", "d");
	serve_stop(&s);
	served_free(&s);
	free(p);
	free(q);
}
END_TEST

START_TEST(test_each_refusal_is_one_line_and_its_own_status)
{
	char *p = named_plugin("p", false), *no_daemon, *long_name, *line,
	    *dir = temp_dir(), *image, *big;
	static const char *const verbs[][4] = {
		{ "plugin", "list", NULL }, { "plugin", "delete", "x", NULL },
		{ "plugin", "reset", "x", NULL }, { "stats", NULL },
		{ "query", "/dev/null", NULL },
	};
	struct run_result r;
	struct served s, absent;
	size_t big_length = (1u << 20) + 1;

	served_init(&s);
	served_init(&absent);
	serve_start(&s, NULL);
	CREATE_OK(&s, "a", p);
	image = write_text(dir, "p.lua", p);

	/* No daemon: the socket is named. */
	ck_assert_int_ne(asprintf(&no_daemon, "luaward: no luaward daemon on "
	    "%s (is luaward serve running? --socket names another)\n",
	    absent.socket), -1);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		client_argv(&r, &absent, NULL, 0, verbs[i]);
		ck_assert_msg(r.status == 3, "%s: exit %d", verbs[i][0],
		    r.status);
		ck_assert_str_eq(r.err, no_daemon);
		run_result_free(&r);
	}
	CLIENT_FAILS(3, no_daemon, &r, &absent, "plugin", "create", "--type",
	    "lua", "--image", image, "--name", "b");
	run_result_free(&r);

	CLIENT_FAILS(5, "luaward: plugin a exists (--replace replaces it)\n",
	    &r, &s, "plugin", "create", "--type", "lua", "--image", image,
	    "--name", "a");
	run_result_free(&r);
	CLIENT_FAILS(6, "luaward: no plugin nope\n", &r, &s, "plugin",
	    "delete", "nope");
	run_result_free(&r);
	CLIENT_FAILS(6, "luaward: no plugin nope\n", &r, &s, "plugin",
	    "reset", "nope");
	run_result_free(&r);
	CLIENT_FAILS(6, "luaward: no plugin nope to put b before\n", &r, &s,
	    "plugin", "create", "--type", "lua", "--image", image, "--name",
	    "b", "--before", "nope");
	run_result_free(&r);
	CLIENT_FAILS(6, "luaward: no plugin nope to put b after\n", &r, &s,
	    "plugin", "create", "--type", "lua", "--image", image, "--name",
	    "b", "--after", "nope");
	run_result_free(&r);
	CLIENT_FAILS(6, "luaward: no plugin a to put a after\n", &r, &s,
	    "plugin", "create", "--type", "lua", "--image", image, "--name",
	    "a", "--replace", "--after", "a");
	run_result_free(&r);

	/* Names that could be paths, dot files or too long: all refused
	 * with the rule, whatever their length. */
	long_name = calloc(1, 301);
	memset(long_name, 'n', 300);
	{
		char just_over[66] = { 0 };
		const char *names[] = { "../x", ".hidden", "a/b", "-a",
		    "manifest.corrupt x", just_over, long_name };

		/* One character over the 64 allowed. */
		memset(just_over, 'n', 65);

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			ck_assert_int_ne(asprintf(&line, "luaward: '%s' is not "
			    "a plugin name: 1 to 64 of A-Z a-z 0-9 . _ -, "
			    "starting with a letter or a digit\n", names[i]),
			    -1);
			CLIENT_FAILS(7, line, &r, &s, "plugin", "create",
			    "--type", "lua", "--image", image, "--name",
			    names[i]);
			run_result_free(&r);
			free(line);
		}
	}
	ck_assert_int_ne(asprintf(&line, "luaward: '%s' is not a plugin name: "
	    "1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or a "
	    "digit\n", long_name), -1);
	CLIENT_FAILS(7, line, &r, &s, "plugin", "delete", long_name);
	run_result_free(&r);
	free(line);

	/* Larger than a plugin may be: refused before anything is sent. */
	big = malloc(big_length);
	memset(big, ' ', big_length);
	free(image);
	image = write_file(dir, "big.lua", big, big_length);
	free(big);
	ck_assert_int_ne(asprintf(&line, "luaward: --image %s: larger than the "
	    "1048576 bytes a plugin may have\n", image), -1);
	CLIENT_FAILS(7, line, &r, &s, "plugin", "create", "--type", "lua",
	    "--image", image, "--name", "big");
	run_result_free(&r);
	free(line);
	free(image);
	image = write_text(dir, "p.lua", p);

	/* Usage errors: exit 2. */
	CLIENT_FAILS(2, "luaward: plugin create: --type lua is required (lua "
	    "is the only type), not js\n", &r, &s, "plugin", "create",
	    "--type", "js", "--image", image, "--name", "b");
	run_result_free(&r);
	CLIENT_FAILS(2, "luaward: plugin create: --type lua is required (lua "
	    "is the only type)\n", &r, &s, "plugin", "create", "--image",
	    image, "--name", "b");
	run_result_free(&r);
	CLIENT_FAILS(2, "luaward: plugin create: --before and --after exclude "
	    "each other\n", &r, &s, "plugin", "create", "--type", "lua",
	    "--image", image, "--name", "b", "--before", "a", "--after", "a");
	run_result_free(&r);

	/* Nothing of it changed the chain. */
	ASSERT_CHAIN_NAMES(&s, "a");
	serve_stop(&s);
	served_free(&s);
	served_free(&absent);
	free(no_daemon);
	free(long_name);
	free(image);
	free(dir);
	free(p);
}
END_TEST

/*
 * A plugin that does not load is refused with the loader's reason, and
 * nothing of it is stored: the chain, the state directory's files and the
 * answers stay as they were.
 */
START_TEST(test_plugin_that_does_not_load_leaves_nothing)
{
#define FUNCTION "\nfunction GetWorkloadTypeAndName(m) return 'Deployment', " \
	    "'x' end\n"
	static const struct {
		const char *name;
		const char *source;
		const char *reason;	/* a prefix of the message */
	} cases[] = {
		{ "syntax", "function GetWorkloadTypeAndName(m\n",
		    "does not compile: syntax.lua:2: ')' expected near "
		    "<eof>\n" },
		{ "nofunction", "local x = 1\n", "does not define function "
		    "GetWorkloadTypeAndName (found nil)\n" },
		{ "notfunction", "GetWorkloadTypeAndName = 'yes'\n", "does not "
		    "define function GetWorkloadTypeAndName (found string)\n" },
		{ "raises", "error('not today')" FUNCTION, "top level: "
		    "raises.lua:1: not today\n" },
		{ "spins", "while true do end" FUNCTION, "top level: timeout: "
		    "did not finish within 3000 ms, at spins.lua:1 in main "
		    "chunk\n" },
		{ "bomb", "local t = {}\nfor i = 1, 1e9 do t[i] = "
		    "string.rep('x', 4096) .. i end" FUNCTION, "top level: "
		    "memory: memory limit reached (" },
		{ "opens", "local f = io.open('/etc/passwd')" FUNCTION, "top "
		    "level: opens.lua:1: io.open is not available in the "
		    "sandbox\n" },
		{ "runs", "os.execute('id')" FUNCTION, "top level: runs.lua:1: "
		    "os.execute is not available in the sandbox\n" },
		{ "bytecode", "load(string.dump(function() end))" FUNCTION,
		    "top level: bytecode.lua:1: string.dump is not available "
		    "in the sandbox\n" },
		{ "binary", "\x1bLua" FUNCTION, "does not compile: " },
	};
#undef FUNCTION
	char *keep = named_plugin("keep", false), *files;
	struct run_result r;
	struct served s;

	served_init(&s);
	/* A small heap, and time enough to fill it on a loaded machine. */
	serve_start(&s, "--memory", "16", "--load-timeout", "3000", NULL);
	CREATE_OK(&s, "keep", keep);
	files = files_of(s.state_dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		create_plugin(&r, &s, cases[i].name, cases[i].source,
		    "--before", "keep", NULL);
		ck_assert_msg(r.status == 7, "%s: exit %d: %s", cases[i].name,
		    r.status, r.err);
		ck_assert_msg(strncmp(r.err, "luaward: ", 9) == 0 &&
		    strncmp(r.err + 9, cases[i].reason,
		    strlen(cases[i].reason)) == 0, "%s: %s", cases[i].name,
		    r.err);
		ck_assert_msg(count_lines(r.err) == 1, "%s", r.err);
		ck_assert_uint_eq(r.out_length, 0);
		run_result_free(&r);
		ASSERT_CHAIN_NAMES(&s, "keep");
		ASSERT_FILES(s.state_dir, files);
	}
	expect_answer(&s, "keep", "keep");
	serve_stop(&s);
	/* Nor after a restart. */
	serve_start(&s, NULL);
	ASSERT_CHAIN_NAMES(&s, "keep");
	serve_stop(&s);
	ASSERT_FILES(s.state_dir, files);
	served_free(&s);
	free(files);
	free(keep);
}
END_TEST

/*
 * What no Lua can make the real worker do, the fake worker does while
 * loading: a syscall the seccomp filter kills for, an exit, a sandbox
 * layer that cannot be applied.  Each create is refused with the reason
 * (the last is the daemon's failure, not the plugin's) and stores nothing.
 */
START_TEST(test_worker_that_fails_at_load_stores_nothing)
{
	static const struct {
		const char *behaviour;
		int status;
		const char *line;
	} cases[] = {
		{ "violate-at-load", 7, "luaward: top level: blocked by the "
		    "seccomp policy: ptrace (syscall 101)\n" },
		{ "exit-at-load", 7, "luaward: the worker exited with status "
		    "7\n" },
		{ "setup-fail", 8, "luaward: a sandbox layer cannot be "
		    "applied: landlock: refused\n" },
	};
	char *fake = joined(build_dir(), "fake-worker"), *files;
	struct run_result r;
	struct served s;

	served_init(&s);
	serve_start(&s, "--worker", fake, NULL);
	CREATE_OK(&s, "ok", "ok\n");
	files = files_of(s.state_dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		create_plugin(&r, &s, "x", cases[i].behaviour, NULL);
		ck_assert_msg(r.status == cases[i].status, "%s: exit %d: %s",
		    cases[i].behaviour, r.status, r.err);
		ck_assert_str_eq(r.err, cases[i].line);
		run_result_free(&r);
		ASSERT_CHAIN_NAMES(&s, "ok");
		ASSERT_FILES(s.state_dir, files);
	}
	expect_answer(&s, "fake", "ok");
	serve_stop(&s);
	served_free(&s);
	free(files);
	free(fake);
}
END_TEST

/* stats: the daemon's counters, as resolve --stats prints them. */
START_TEST(test_stats_count_the_queries)
{
	char *a = named_plugin("a", true);
	const char input[] = "{\"name\":\"r-0\"}\n{\"name\":\"r-1\"}\n"
	    "{\"name\":\"r-2\"}\nnot json\n";
	struct run_result r;
	struct served s;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "a", a);
	client(&r, &s, input, strlen(input), "query", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_uint_eq(count_lines(r.out), 4);
	run_result_free(&r);
	CLIENT_OK(&r, &s, "stats", "-o", "json");
	ck_assert_msg(strstr(r.out, "{\"records\":4,") == r.out, "%s", r.out);
	ck_assert_msg(strstr(r.out, "\"resolved\":2,\"unresolved\":1,"
	    "\"unsupported\":0,\"invalid\":1,") != NULL, "%s", r.out);
	ck_assert_msg(strstr(r.out, "{\"name\":\"a\",\"calls\":3,") != NULL,
	    "%s", r.out);
	run_result_free(&r);
	CLIENT_OK(&r, &s, "stats");
	ck_assert_msg(strstr(r.out, "2 resolved, 1 unresolved, 0 unsupported,"
	    " 1 invalid") != NULL, "%s", r.out);
	ck_assert_msg(strstr(r.out, "plugin a: 3 calls") != NULL, "%s", r.out);
	run_result_free(&r);
	serve_stop(&s);
	served_free(&s);
	free(a);
}
END_TEST

Suite *
serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *t = tcase_create("plugins");

	tcase_set_timeout(t, 900);
	tcase_add_test(t, test_create_list_query_delete_round_trip);
	tcase_add_test(t, test_replace_keeps_the_place_and_answers_anew);
	tcase_add_test(t, test_before_and_after_place_a_plugin);
	tcase_add_test(t, test_each_refusal_is_one_line_and_its_own_status);
	tcase_add_test(t, test_plugin_that_does_not_load_leaves_nothing);
	tcase_add_test(t, test_worker_that_fails_at_load_stores_nothing);
	tcase_add_test(t, test_stats_count_the_queries);
	suite_add_tcase(s, t);
	return s;
}
