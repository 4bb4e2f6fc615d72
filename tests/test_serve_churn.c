/*
 * luaward serve while its chain changes: plugins created, replaced and
 * deleted in a loop while another client queries without pause, every
 * query answered whole and every line consistent with a chain that
 * existed while it ran; and a quarantined plugin given a fresh start by
 * `plugin reset` or by a create --replace.
 */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <sha2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "serve_support.h"
#include "suites.h"

enum { CYCLES = 30, MAX_QUERIES = 4000, QUERY_RECORDS = 20 };

/* When each version of churn plugin c-i was in the chain, at the widest
 * (from its request sent to its removal answered) and at the narrowest
 * (from its creation answered to its removal sent). */
struct version {
	double	 from_sent, from_done;
	double	 until_sent, until_done;	/* INFINITY: stays */
};

struct shared {
	struct version	 v[CYCLES][2];
	volatile int	 stop;
	unsigned	 queries;
	struct {
		double	 start, end;
		int	 status;
	} q[MAX_QUERIES];
};

/* c-i answers every record when i is even, only records whose name ends
 * in an even digit when i is odd. */
static bool
answers_all(unsigned i)
{
	return i % 2 == 0;
}

/* The querying client: one `luaward query` after another, each output
 * kept in dir, until told to stop. */
static void
query_loop(struct shared *sh, const struct served *s, const char *dir)
{
	char input[QUERY_RECORDS * 32];
	size_t length = 0;

	for (unsigned i = 0; i < QUERY_RECORDS; i++)
		length += (size_t)snprintf(input + length, sizeof(input) -
		    length, "{\"name\":\"r-%u\"}\n", i);
	while (!sh->stop && sh->queries < MAX_QUERIES) {
		unsigned k = sh->queries;
		struct run_result r;
		char name[32], *path;

		sh->q[k].start = now();
		client(&r, s, input, length, "query", NULL);
		sh->q[k].end = now();
		sh->q[k].status = r.err_length == 0 ? r.status : 100 + r.status;
		snprintf(name, sizeof(name), "q-%u", k);
		path = write_file(dir, name, r.out, r.out_length);
		free(path);
		run_result_free(&r);
		__atomic_store_n(&sh->queries, k + 1, __ATOMIC_SEQ_CST);
	}
	_exit(0);
}

static void
change(const struct served *s, double *sent, double *done, const char *what,
    const char *const *args)
{
	struct run_result r;

	*sent = now();
	client_argv(&r, s, NULL, 0, args);
	*done = now();
	ck_assert_msg(r.status == 0, "%s: exit %d: %s", what, r.status, r.err);
	run_result_free(&r);
}

static void
churn_create(const struct served *s, struct shared *sh, unsigned i,
    unsigned version, const char *dir)
{
	char name[32], answer[32], *source, *image;
	const char *args[16] = { "plugin", "create", "--type", "lua",
	    "--image", NULL, "--name", name, "--before", "base", NULL };

	snprintf(name, sizeof(name), "c-%u", i);
	snprintf(answer, sizeof(answer), "c-%u.v%u", i, version + 1);
	source = named_plugin(answer, !answers_all(i));
	image = write_text(dir, "image.lua", source);
	args[5] = image;
	if (version == 1) {
		args[8] = "--replace";
		args[9] = NULL;
	}
	change(s, &sh->v[i][version].from_sent, &sh->v[i][version].from_done,
	    "create", args);
	free(image);
	free(source);
}

static void
churn_delete(const struct served *s, struct shared *sh, unsigned i)
{
	char name[32];
	const char *args[] = { "plugin", "delete", name, NULL };
	struct version *v2 = &sh->v[i][1];

	snprintf(name, sizeof(name), "c-%u", i);
	change(s, &v2->until_sent, &v2->until_done, "delete", args);
}

/*
 * Checks query k's output: one line per record, in order, each answered
 * by base or by a version of a churn plugin that was in the chain at some
 * moment of the query; and never by base when a plugin that answers the
 * record was in the chain for the whole query.  Returns how many lines a
 * churn plugin answered.
 */
static unsigned
check_query(const struct shared *sh, unsigned k, const char *text)
{
	double start = sh->q[k].start, end = sh->q[k].end;
	unsigned churned = 0;

	ck_assert_msg(sh->q[k].status == 0, "query %u: exit %d", k,
	    sh->q[k].status);
	ck_assert_msg(count_lines(text) == QUERY_RECORDS, "query %u: %zu lines",
	    k, count_lines(text));
	for (unsigned j = 0; j < QUERY_RECORDS; j++) {
		char *line = line_of(text, j), head[160], plugin[32] = "",
		    workload[32] = "";
		const char *p;
		unsigned i, version;

		snprintf(head, sizeof(head), "{\"uid\":\"\",\"namespace\":\"\","
		    "\"name\":\"r-%u\",\"status\":\"resolved\","
		    "\"workloadType\":\"Deployment\",\"workloadName\":\"", j);
		ck_assert_msg(strncmp(line, head, strlen(head)) == 0, "query "
		    "%u: %s", k, line);
		p = line + strlen(head);
		ck_assert_int_eq(sscanf(p, "%31[^\"]\",\"plugin\":\""
		    "%31[^\"]\"}", workload, plugin), 2);
		if (strcmp(plugin, "base") == 0) {
			ck_assert_str_eq(workload, "base");
			/* No plugin that answers r-j may have been there all
			 * along. */
			for (i = 0; i < CYCLES; i++) {
				const struct version *v = sh->v[i];

				ck_assert_msg(!(v[0].from_done <= start &&
				    v[1].until_sent >= end &&
				    (answers_all(i) || j % 2 == 0)), "query "
				    "%u: base answered r-%u while c-%u was in "
				    "the chain throughout", k, j, i);
			}
		} else {
			ck_assert_int_eq(sscanf(plugin, "c-%u", &i), 1);
			ck_assert_int_eq(sscanf(workload, "c-%u.v%u", &i,
			    &version), 2);
			ck_assert_msg(i < CYCLES && (version == 1 ||
			    version == 2), "%s", line);
			ck_assert_msg(answers_all(i) || j % 2 == 0, "query %u: "
			    "c-%u answered r-%u", k, i, j);
			{
				const struct version *v =
				    &sh->v[i][version - 1];
				/* v1 lasts until the replace is answered. */
				double until = version == 1 ?
				    sh->v[i][1].from_done : v->until_done;

				ck_assert_msg(v->from_sent <= end && until >=
				    start, "query %u (%.3f .. %.3f): r-%u "
				    "answered by %s, in the chain from %.3f to "
				    "%.3f only", k, start, end, j, workload,
				    v->from_sent, until);
			}
			churned++;
		}
		free(line);
	}
	return churned;
}

START_TEST(test_chain_changes_while_querying_lose_nothing)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *base = named_plugin("base", false), *outputs = temp_dir(),
	    *images = temp_dir();
	unsigned churned = 0, queries;
	double deadline;
	struct served s;
	pid_t querier, workers[64];

	ck_assert_ptr_ne(sh, MAP_FAILED);
	for (unsigned i = 0; i < CYCLES; i++)
		for (unsigned v = 0; v < 2; v++)
			sh->v[i][v] = (struct version){ INFINITY, INFINITY,
			    INFINITY, INFINITY };
	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "base", base);
	querier = fork();
	ck_assert_int_ne(querier, -1);
	if (querier == 0) {
		/* The querier never returns: what it does not use is freed
		 * here, or memcheck counts it lost when it exits. */
		free(images);
		free(base);
		query_loop(sh, &s, outputs);
	}
	/* Let the queries begin before the chain starts changing. */
	deadline = now() + 60 * slowdown();
	while (__atomic_load_n(&sh->queries, __ATOMIC_SEQ_CST) == 0 &&
	    now() < deadline)
		sleep_s(0.01);
	for (unsigned i = 0; i < CYCLES; i++) {
		churn_create(&s, sh, i, 0, images);
		/* Now and then, a whole query with c-i in the chain: the
		 * second to end from now began after c-i was in. */
		if (i % 5 == 0) {
			unsigned seen = __atomic_load_n(&sh->queries,
			    __ATOMIC_SEQ_CST);

			deadline = now() + 120 * slowdown();
			while (__atomic_load_n(&sh->queries, __ATOMIC_SEQ_CST) <
			    seen + 2) {
				ck_assert_msg(now() < deadline, "the queries "
				    "stopped");
				sleep_s(0.005);
			}
		}
		churn_create(&s, sh, i, 1, images);
		if (i > 0)
			churn_delete(&s, sh, i - 1);
	}
	churn_delete(&s, sh, CYCLES - 1);
	sh->stop = 1;
	ck_assert_int_eq(wait_for_exit(querier, 300), 0);
	queries = sh->queries;
	ck_assert_uint_gt(queries, 0);
	for (unsigned k = 0; k < queries; k++) {
		char name[32], *path, *text;

		snprintf(name, sizeof(name), "q-%u", k);
		path = joined(outputs, name);
		text = file_text(path, 0);
		churned += check_query(sh, k, text);
		free(text);
		unlink(path);
		free(path);
	}
	/* Some queries ran whole with a churn plugin in the chain. */
	ck_assert_msg(churned >= QUERY_RECORDS / 2, "%u queries, %u lines from "
	    "churn plugins", queries, churned);
	ASSERT_CHAIN_NAMES(&s, "base");
	/* The deleted plugins' workers are gone: base's alone is left. */
	deadline = now() + 60 * slowdown();
	while (children_named(s.pid, "luaward-worker", workers, 64) != 1) {
		ck_assert_msg(now() < deadline, "%zu workers for one plugin",
		    children_named(s.pid, "luaward-worker", workers, 64));
		sleep_s(0.05);
	}
	serve_stop(&s);
	served_free(&s);
	munmap(sh, sizeof(*sh));
	free(base);
	free(outputs);
	free(images);
}
END_TEST

/* A plugin that runs out of memory on the record called "bad": its worker
 * is replaced each time, and that counts as a failure. */
static const char fragile[] =
	"local dkjson = require(\"dkjson\")\n"
	"function GetWorkloadTypeAndName(metaJsonStr)\n"
	"    if dkjson.decode(metaJsonStr).name == 'bad' then\n"
	"        local t = {}\n"
	"        while true do t[#t + 1] = string.rep('x', 65536) .. #t end\n"
	"    end\n"
	"    return 'Deployment', 'fragile'\n"
	"end\n";

static char *
query_lines(const struct served *s, const char *input, int want_status)
{
	struct run_result r;
	char *out;

	client(&r, s, input, strlen(input), "query", NULL);
	ck_assert_msg(r.status == want_status, "exit %d: %s %s", r.status,
	    r.out, r.err);
	out = r.out;
	r.out = NULL;
	run_result_free(&r);
	return out;
}

static void
quarantine(const struct served *s)
{
	char *out = query_lines(s, "{\"name\":\"bad\"}{\"name\":\"bad\"}"
	    "{\"name\":\"good\"}", 1), *line;

	ck_assert_uint_eq(count_lines(out), 3);
	for (size_t i = 0; i < 2; i++) {
		line = line_of(out, i);
		/* Out of memory, or so slow getting there on a loaded
		 * machine that its time ran out first: a failure either
		 * way. */
		ck_assert_msg(strstr(line, "\"workloadName\":\"later\"") !=
		    NULL && (strstr(line, "{\"plugin\":\"fragile\",\"kind\":"
		    "\"memory\"") != NULL || strstr(line, "{\"plugin\":"
		    "\"fragile\",\"kind\":\"timeout\"") != NULL), "%s", line);
		free(line);
	}
	line = line_of(out, 2);
	ck_assert_msg(strstr(line, "\"workloadName\":\"later\"") != NULL &&
	    strstr(line, "{\"plugin\":\"fragile\",\"kind\":\"quarantined\","
	    "\"message\":\"more than 1 failures within 10 s, the last: ") !=
	    NULL, "%s", line);
	free(line);
	free(out);
	/* It stays so. */
	out = query_lines(s, "{\"name\":\"good\"}", 1);
	ck_assert_msg(strstr(out, "\"kind\":\"quarantined\"") != NULL, "%s",
	    out);
	free(out);
	out = chain_names(s);
	ck_assert_str_eq(out, "fragile later");
	free(out);
	{
		struct run_result r;

		CLIENT_OK(&r, s, "plugin", "list", "-o", "json");
		ck_assert_msg(strstr(r.out, "\"state\":\"quarantined\"") !=
		    NULL, "%s", r.out);
		run_result_free(&r);
	}
}

static void
answers_again(const struct served *s)
{
	char *out = query_lines(s, "{\"name\":\"good\"}", 0);

	ck_assert_str_eq(out, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"good\",\"status\":\"resolved\",\"workloadType\":\"Deployment\","
	    "\"workloadName\":\"fragile\",\"plugin\":\"fragile\"}\n");
	free(out);
}

START_TEST(test_reset_lifts_a_quarantine)
{
	char *later = named_plugin("later", false), *sha, *said;
	struct run_result r;
	struct served s;

	served_init(&s);
	serve_start(&s, "--max-restarts", "1", "--memory", "16", "--timeout",
	    "1000", NULL);
	CREATE_OK(&s, "fragile", fragile);
	CREATE_OK(&s, "later", later);
	answers_again(&s);
	quarantine(&s);

	CLIENT_OK(&r, &s, "plugin", "reset", "fragile");
	sha = malloc(SHA256_DIGEST_STRING_LENGTH);
	SHA256Data((const uint8_t *)fragile, strlen(fragile), sha);
	ck_assert_int_ne(asprintf(&said, "reset fragile sha256 %s\n", sha), -1);
	ck_assert_str_eq(r.out, said);
	run_result_free(&r);
	answers_again(&s);
	CLIENT_OK(&r, &s, "plugin", "list", "-o", "json");
	ck_assert_msg(strstr(r.out, "\"state\":\"quarantined\"") == NULL, "%s",
	    r.out);
	run_result_free(&r);
	{
		char *err = serve_stderr(&s);

		ck_assert_msg(strstr(err, "luaward: audit: reset plugin "
		    "fragile sha256 ") != NULL, "%s", err);
		free(err);
	}

	/* Quarantined again; a create --replace, even of the same source, is
	 * a fresh start too. */
	quarantine(&s);
	CREATE_OK(&s, "fragile", fragile, "--replace");
	answers_again(&s);
	ASSERT_CHAIN_NAMES(&s, "fragile later");
	serve_stop_allowing(&s, (const char *const[]){ "plugin fragile: ",
	    NULL });
	served_free(&s);
	free(later);
	free(said);
	free(sha);
}
END_TEST

Suite *
serve_churn_suite(void)
{
	Suite *s = suite_create("serve_churn");
	TCase *t = tcase_create("churn");

	tcase_set_timeout(t, 1800);
	tcase_add_test(t, test_chain_changes_while_querying_lose_nothing);
	tcase_add_test(t, test_reset_lifts_a_quarantine);
	suite_add_tcase(s, t);
	return s;
}
