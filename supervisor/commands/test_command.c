/*
 * luaward test: cases from test files (testfile.h) through the real chain
 * of sandboxed plugins, a line per case, a diff per mismatch, a summary.
 * Each case is a session of the engine fed its one record by push, with a
 * sink that keeps its output line, which is read back with json_tree: what
 * a case is compared with is exactly what resolve prints for that record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "../closed_pipe.h"
#include "commands.h"
#include "../engine/engine.h"
#include "../json.h"
#include "../input/json_tree.h"
#include "../log.h"
#include "../options.h"
#include "../output/sanitize.h"
#include "../engine/session.h"
#include "../setup.h"
#include "testfile.h"

#define DIFF_INDENT	"     "

struct test_run {
	struct ev_loop		*loop;
	struct engine		*engine;
	const struct options	*options;
	struct session		*session;
	const struct test_case	*current;
	size_t			 pushed;
	bool			 ended;
	struct buffer		 output;	/* the current case's line */
	char			 output_error[160];
};

/* An output line, read back: the node of each field, or JSON_TREE_NONE. */
struct got {
	struct json_tree	 tree;
	uint32_t		 field[TEST_FIELD_COUNT];
	uint32_t		 errors;
	uint32_t		 error;		/* why the record is invalid */
};

static void
out_of_memory(void)
{
	log_warnx("out of memory");
	exit(EXIT_SOME_FAILED);
}

static void
put(struct buffer *b, const void *bytes, size_t length)
{
	if (buffer_append(b, bytes, length) == -1)
		out_of_memory();
}

static void
put_string(struct buffer *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
put_json(struct buffer *b, const char *bytes, size_t length)
{
	if (json_append_string(b, bytes, length) == -1)
		out_of_memory();
}

/* A string of the output line as it is there: quoted JSON. */
static void
put_got_json(struct buffer *b, const struct got *g, uint32_t node)
{
	if (node == JSON_TREE_NONE || g->tree.nodes[node].type != JT_STRING)
		put_string(b, "nothing");
	else
		put(b, g->tree.text + g->tree.nodes[node].start,
		    g->tree.nodes[node].end - g->tree.nodes[node].start);
}

/* A string of the output line, decoded. */
static void
put_got(struct buffer *b, const struct got *g, uint32_t node)
{
	size_t length = json_tree_string_decode(&g->tree, node, NULL, 0);

	if (buffer_reserve(b, length) == -1)
		out_of_memory();
	json_tree_string_decode(&g->tree, node, b->data + b->end, length);
	b->end += length;
}

/* The session's sink: the case's output, kept whole. */
static size_t
on_sink(void *arg, const char *bytes, size_t length)
{
	struct test_run *run = arg;

	put(&run->output, bytes, length);
	return length;
}

static void
on_done(void *arg)
{
	struct test_run *run = arg;

	ev_break(run->loop, EVBREAK_ONE);
}

static void
on_failed(void *arg, const char *reason)
{
	struct test_run *run = arg;

	snprintf(run->output_error, sizeof(run->output_error), "%s", reason);
}

/* Pushes what is left of the case's record, then ends the input. */
static void
feed(struct test_run *run)
{
	const struct test_case *c = run->current;

	while (!run->ended) {
		size_t n;

		if (run->pushed == c->record_length) {
			run->ended = true;
			session_push_end(run->session);
			break;
		}
		n = session_push(run->session, c->record + run->pushed,
		    c->record_length - run->pushed);
		if (n == (size_t)-1)
			out_of_memory();
		if (n == 0)
			break;		/* on_room calls again */
		run->pushed += n;
	}
}

static void
on_room(void *arg)
{
	feed(arg);
}

/* Resolves the case's record; its output is then in run->output. */
static void
resolve_case(struct test_run *run, const struct test_case *c)
{
	struct session_config config;
	char error[256];

	memset(&config, 0, sizeof(config));
	config.push = true;
	/* Positions in a reason are the record's ({"metadata":...}), not
	 * the test file's: the case's own line is printed beside it. */
	config.push_name = "the record";
	config.limits.max_record = run->options->max_record;
	config.limits.max_depth = run->options->max_depth;
	config.deepflow_argument = run->options->deepflow_argument;
	config.fd = -1;
	config.sink = on_sink;
	config.done = on_done;
	config.failed = on_failed;
	config.room = on_room;
	config.arg = run;

	buffer_clear(&run->output);
	run->output_error[0] = '\0';
	run->current = c;
	run->pushed = 0;
	run->ended = false;
	if ((run->session = session_new(run->engine, &config, error,
	    sizeof(error))) == NULL)
		fatalx("%s", error);
	session_start(run->session);
	feed(run);
	while (!session_done(run->session))
		ev_run(run->loop, EVRUN_ONCE);
	session_free(run->session);
	run->session = NULL;
}

/* Reads the case's one output line; -1 with the reason when it cannot. */
static int
read_output(struct test_run *run, struct got *g, char *error,
    size_t error_size)
{
	const char *bytes = buffer_bytes(&run->output);
	size_t length = buffer_length(&run->output);
	const char *newline = length > 0 ? memchr(bytes, '\n', length) :
	    NULL;
	char message[256];

	memset(g, 0, sizeof(*g));
	if (run->output_error[0] != '\0') {
		snprintf(error, error_size, "no output: %s", run->output_error);
		return -1;
	}
	if (newline == NULL || newline != bytes + length - 1) {
		size_t lines = 0;

		for (const char *p = bytes; p < bytes + length; p++)
			lines += *p == '\n';
		snprintf(error, error_size, "the record gave %zu output "
		    "lines, not one", lines);
		return -1;
	}
	if (json_tree_parse(&g->tree, bytes, length - 1, message,
	    sizeof(message)) == -1) {
		snprintf(error, error_size, "unreadable output line: %s",
		    message);
		return -1;
	}
	for (int f = 0; f < TEST_FIELD_COUNT; f++)
		g->field[f] = json_tree_member(&g->tree, 0,
		    test_field_key((enum test_field)f));
	g->errors = json_tree_member(&g->tree, 0, "errors");
	g->error = json_tree_member(&g->tree, 0, "error");
	return 0;
}

static size_t
got_error_count(const struct got *g)
{
	size_t n = 0;

	if (g->errors == JSON_TREE_NONE ||
	    g->tree.nodes[g->errors].type != JT_ARRAY)
		return 0;
	for (uint32_t e = json_tree_first(&g->tree, g->errors);
	    e != JSON_TREE_NONE; e = json_tree_after(&g->tree, g->errors, e))
		n++;
	return n;
}

static bool
text_is(const struct got *g, uint32_t node, const struct test_text *t)
{
	return json_tree_string_is(&g->tree, node, t->bytes, t->length);
}

static bool
error_matches(const struct got *g, uint32_t got, const struct test_error *e)
{
	uint32_t message = json_tree_member(&g->tree, got, "message");
	struct buffer decoded = { 0 };
	bool found;

	if (!text_is(g, json_tree_member(&g->tree, got, "plugin"),
	    &e->plugin) || !text_is(g, json_tree_member(&g->tree, got,
	    "kind"), &e->kind))
		return false;
	if (e->message.bytes == NULL)
		return true;
	if (message == JSON_TREE_NONE)
		return false;
	put_got(&decoded, g, message);
	found = memmem(buffer_bytes(&decoded), buffer_length(&decoded),
	    e->message.bytes, e->message.length) != NULL;
	buffer_free(&decoded);
	return found;
}

static bool
errors_match(const struct test_case *c, const struct got *g)
{
	size_t i = 0;

	if (got_error_count(g) != c->error_count)
		return false;
	if (c->error_count == 0)
		return true;
	for (uint32_t e = json_tree_first(&g->tree, g->errors);
	    e != JSON_TREE_NONE; e = json_tree_after(&g->tree, g->errors, e))
		if (!error_matches(g, e, &c->errors[i++]))
			return false;
	return true;
}

/* Cleaned, a line of the diff. */
static void
diff_line(FILE *diff, struct buffer *line)
{
	sanitize_write_line(diff, buffer_bytes(line), buffer_length(line));
	buffer_clear(line);
	put_string(line, DIFF_INDENT);
}

static void
describe_errors(struct buffer *line, const struct test_case *c,
    const struct got *g)
{
	put_string(line, "expected errors: ");
	if (c->error_count == 0)
		put_string(line, "none");
	for (size_t i = 0; i < c->error_count; i++) {
		const struct test_error *e = &c->errors[i];

		put_string(line, i > 0 ? ", " : "");
		put(line, e->plugin.bytes, e->plugin.length);
		put_string(line, " ");
		put(line, e->kind.bytes, e->kind.length);
		if (e->message.bytes != NULL) {
			put_string(line, " with message containing ");
			put_json(line, e->message.bytes, e->message.length);
		}
	}
	put_string(line, "; got: ");
	if (got_error_count(g) == 0)
		put_string(line, "none");
	else
		for (uint32_t e = json_tree_first(&g->tree, g->errors);
		    e != JSON_TREE_NONE;
		    e = json_tree_after(&g->tree, g->errors, e)) {
			if (e != json_tree_first(&g->tree, g->errors))
				put_string(line, ", ");
			put_got(line, g, json_tree_member(&g->tree, e,
			    "plugin"));
			put_string(line, " ");
			put_got(line, g, json_tree_member(&g->tree, e, "kind"));
		}
}

/*
 * Compares the case with its output line; writes one diff line for each
 * mismatch, then every error the record carried.  Returns whether it
 * passed.
 */
static bool
compare(const struct test_case *c, const struct got *g, FILE *diff)
{
	uint32_t plugin = g->field[TEST_PLUGIN];
	struct buffer line = { 0 };
	bool passed = true;

	put_string(&line, DIFF_INDENT);
	for (int f = 0; f < TEST_FIELD_COUNT; f++) {
		const struct test_text *want = &c->expect[f];

		if (want->bytes == NULL || text_is(g, g->field[f], want))
			continue;
		passed = false;
		put_string(&line, "expected ");
		put_string(&line, test_field_key((enum test_field)f));
		put_string(&line, " ");
		put_json(&line, want->bytes, want->length);
		put_string(&line, ", got ");
		put_got_json(&line, g, g->field[f]);
		if (f != TEST_PLUGIN) {
			if (json_tree_string_is(&g->tree, plugin, "", 0) ||
			    plugin == JSON_TREE_NONE)
				put_string(&line, " (no plugin decided)");
			else {
				put_string(&line, " (decided by plugin ");
				put_got(&line, g, plugin);
				put_string(&line, ")");
			}
		}
		diff_line(diff, &line);
	}
	if (!errors_match(c, g)) {
		passed = false;
		describe_errors(&line, c, g);
		diff_line(diff, &line);
	}
	if (!passed && got_error_count(g) > 0)
		for (uint32_t e = json_tree_first(&g->tree, g->errors);
		    e != JSON_TREE_NONE;
		    e = json_tree_after(&g->tree, g->errors, e)) {
			put_string(&line, "error from ");
			put_got(&line, g, json_tree_member(&g->tree, e,
			    "plugin"));
			put_string(&line, " (");
			put_got(&line, g, json_tree_member(&g->tree, e, "kind"));
			put_string(&line, "): ");
			put_got(&line, g, json_tree_member(&g->tree, e,
			    "message"));
			diff_line(diff, &line);
		}
	if (!passed && g->error != JSON_TREE_NONE) {
		put_string(&line, "invalid: ");
		put_got(&line, g, g->error);
		diff_line(diff, &line);
	}
	buffer_free(&line);
	return passed;
}

/* Runs one case and prints its result; returns whether it passed. */
static bool
run_case(struct test_run *run, const struct test_case *c)
{
	struct got g;
	char error[512], *diff_bytes = NULL;
	size_t diff_length = 0;
	FILE *diff;
	bool passed;

	if ((diff = open_memstream(&diff_bytes, &diff_length)) == NULL)
		out_of_memory();
	resolve_case(run, c);
	if (read_output(run, &g, error, sizeof(error)) == -1) {
		sanitize_print(diff, DIFF_INDENT "%s", error);
		passed = false;
	} else
		passed = compare(c, &g, diff);
	json_tree_free(&g.tree);
	if (fclose(diff) == EOF)
		out_of_memory();
	if (passed)
		sanitize_print(stdout, "ok   %s", c->name);
	else {
		sanitize_print(stdout, "FAIL %s", c->name);
		if (strcmp(c->name, c->where) != 0)
			sanitize_print(stdout, DIFF_INDENT "%s", c->where);
		fwrite(diff_bytes, 1, diff_length, stdout);
	}
	free(diff_bytes);
	return passed;
}

/* The plugins: --plugins DIR, or the bundled ones, as resolve takes them. */
static void
load_plugins(const struct options *options, struct plugin_source **plugins,
    size_t *count)
{
	char error[1024], *dir;

	dir = setup_plugins_dir(options);
	if (plugins_load_dir(dir, options->allow_insecure_plugins ?
	    PLUGINS_ALLOW_INSECURE : 0, plugins, count, error,
	    sizeof(error)) == -1)
		fatalx("%s", error);
	resolve_strict_sources(options, dir, *plugins, *count);
	if (*count == 0)
		log_warnx("no *.lua plugins in %s: every record will be "
		    "unresolved", dir);
	free(dir);
}

int
cmd_test(int argc, char **argv)
{
	struct options options;
	struct setup setup;
	struct test_list list = { 0 };
	struct test_run run;
	struct plugin_source *plugins;
	size_t plugin_count, total, passed = 0;
	char error[1024];
	int first, output_errno = 0;

	options_defaults(&options);
	first = options_parse(&options, FOR_TEST, "test", "FILE...",
	    "Runs the test cases in the FILEs through the plugins, each "
	    "case's record alone,\nand prints a line per case (ok or FAIL), "
	    "what differed for each failure,\nand \"N passed, M failed\".\n\n"
	    "A test file holds one case per line, a JSON object (blank lines "
	    "and lines\nstarting with # are skipped).  Here a case is broken "
	    "over four lines; in\nthe file it is one:\n\n"
	    "  {\"name\": \"og-0 is a StatefulSet\",\n"
	    "   \"metadata\": {\"ownerReferences\": [{\"kind\": "
	    "\"OpenGaussCluster\",\n"
	    "                                    \"name\": \"og\"}]},\n"
	    "   \"expect\": {\"workloadType\": \"StatefulSet\", "
	    "\"workloadName\": \"og\"}}\n\n"
	    "The record is \"metadata\" (bare pod metadata) or \"pod\" (a Pod "
	    "object).  \"expect\"\nmay name workloadType, workloadName, status "
	    "(resolved, unresolved,\nunsupported, invalid), plugin (the one "
	    "that decided, \"\" for none) and errors,\na list of {\"plugin\", "
	    "\"kind\"[, \"message\": text it contains]} in chain order.\n"
	    "Only the fields named are compared, but errors always are: no "
	    "errors means\nnone expected.  An unknown key is an error.\n\n"
	    "Exit status: 0 every case passed, 1 some case failed, 2 usage "
	    "error or a test\nfile that cannot be read (its line and why).",
	    argc, argv);
	if (first >= argc)
		fatalx("test needs at least one test FILE (see luaward test "
		    "--help)");
	/* Every file is read before any worker starts: a mistake in one is
	 * found at once. */
	for (int i = first; i < argc; i++)
		if (testfile_load(&list, argv[i], error, sizeof(error)) == -1)
			fatalx("%s", error);
	load_plugins(&options, &plugins, &plugin_count);
	setup_load(&setup, &options);

	/* A worker's pipe can close under a write; stdout too. */
	signal(SIGPIPE, SIG_IGN);
	memset(&run, 0, sizeof(run));
	run.options = &options;
	if ((run.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot start the event loop");
	run.engine = resolve_engine_ready(run.loop, &setup, &options, plugins,
	    plugin_count);
	total = list.count;
	for (size_t i = 0; i < total && output_errno == 0; i++) {
		if (run_case(&run, &list.cases[i]))
			passed++;
		if (fflush(stdout) == EOF)
			output_errno = errno;
	}
	if (output_errno == 0)
		printf("%zu passed, %zu failed\n", passed, total - passed);
	if (output_errno == 0 && fflush(stdout) == EOF)
		output_errno = errno;

	engine_shutdown(run.engine, false);
	while (!engine_finished(run.engine))
		ev_run(run.loop, EVRUN_ONCE);
	engine_free(run.engine);
	setup_free(&setup);
	plugins_free(plugins, plugin_count);
	test_list_free(&list);
	buffer_free(&run.output);
	if (output_errno != 0) {
		/* A reader that went away (| head) is not worth a word. */
		if (closed_pipe(output_errno))
			closed_pipe_exit();
		log_warnx("standard output: %s", strerror(output_errno));
		return EXIT_SOME_FAILED;
	}
	return passed == total ? EXIT_ALL_GOOD : EXIT_SOME_FAILED;
}
