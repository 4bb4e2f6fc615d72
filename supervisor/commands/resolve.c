/*
 * luaward resolve: records from files or stdin, through the plugin chain,
 * to one line each on stdout, in input order.  One libev loop drives the
 * input, the workers and the output; nothing blocks it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "../closed_pipe.h"
#include "commands.h"
#include "../engine/engine.h"
#include "../log.h"
#include "../options.h"
#include "../engine/session.h"
#include "../setup.h"
#include "../timing.h"

struct run {
	struct ev_loop		*loop;
	struct options		 options;
	struct engine		*engine;
	struct session		*session;
	bool			 stop;
	int			 stop_signal;
	char			 output_error[160];
	size_t			(*sink)(void *, const char *, size_t);
	void			*sink_arg;
};

/* Signals whose default would end the run: each ends it cleanly instead,
 * with every line written so far and the stats. */
static const int stop_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
	SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
};
#define STOP_SIGNALS	(sizeof(stop_signals) / sizeof(stop_signals[0]))

/* The session is over: its last line is written (this runs in the loop's
 * prepare phase, so the loop must be told to return). */
static void
on_done(void *arg)
{
	struct run *run = arg;

	ev_break(run->loop, EVBREAK_ONE);
}

static void
on_output_failed(void *arg, const char *reason)
{
	struct run *run = arg;

	snprintf(run->output_error, sizeof(run->output_error), "%s", reason);
	run->stop = true;
}

static size_t
to_sink(void *arg, const char *bytes, size_t length)
{
	struct run *run = arg;

	return run->sink(run->sink_arg, bytes, length);
}

static void
on_signal(struct ev_loop *loop, ev_signal *watcher, int events)
{
	struct run *run = watcher->data;

	(void)loop;
	(void)events;
	run->stop = true;
	run->stop_signal = watcher->signum;
}

static void
print_layers(const struct chain *chain)
{
	struct buffer b = { 0 };

	for (size_t i = 0; i < chain->count; i++) {
		const struct plugin *p = chain->links[i].plugin;
		const struct sandbox_report *report;
		const char *reason, *name = chain->links[i].name;

		if (plugin_state(p, &reason) == PLUGIN_LOAD_FAILED) {
			log_info("plugin %s: not loaded: %s", name, reason);
			continue;
		}
		buffer_clear(&b);
		if ((report = plugin_sandbox_report(p)) != NULL)
			sandbox_report_describe(report, &b);
		/* One log line each: the log cleans every line whole, and a
		 * newline inside one would show as \n. */
		log_info("plugin %s: sandbox layers:", name);
		for (const char *line = buffer_bytes(&b),
		    *end = line + buffer_length(&b); line < end;) {
			const char *newline = memchr(line, '\n',
			    (size_t)(end - line));
			size_t length = newline != NULL ?
			    (size_t)(newline - line) : (size_t)(end - line);

			log_info("plugin %s: %.*s", name, (int)length, line);
			line += length + 1;
		}
	}
	buffer_free(&b);
}

/* In auto mode a layer the kernel refuses is skipped: say so once, not
 * only under --verbose.  Every worker is set up alike, so the first report
 * speaks for all (a plugin that did not load has none). */
static void
warn_skipped_layers(const struct chain *chain, const struct options *options)
{
	const struct {
		const char	*name;
		enum wire_mode	 mode;
	} optional[] = {
		{ "namespaces", options->namespaces },
		{ "landlock", options->landlock },
	};
	const struct sandbox_report *report = NULL;

	for (size_t i = 0; i < chain->count && report == NULL; i++)
		report = plugin_sandbox_report(chain->links[i].plugin);
	if (report == NULL)
		return;
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		const struct sandbox_layer *layer = sandbox_report_find(report,
		    optional[i].name);

		if (optional[i].mode == WIRE_MODE_AUTO && layer != NULL &&
		    !layer->applied)
			log_warnx("sandbox layer %s skipped: %s (--%s require "
			    "makes this an error)", optional[i].name,
			    layer->detail, optional[i].name);
	}
}

/* Opens --stats-file now, so that a path that cannot be written is a
 * configuration error before any record is read. */
static FILE *
open_stats_output(const struct options *options)
{
	FILE *f;

	if (options->stats_file == NULL)
		return stderr;
	if ((f = fopen(options->stats_file, "we")) == NULL)
		fatal("--stats-file %s", options->stats_file);
	return f;
}

static void
print_stats(struct run *run, FILE *out, double started)
{
	const struct chain *chain = engine_chain(run->engine);
	struct plugin_stats *each = xcalloc(chain->count + 1, sizeof(*each));
	const char **names = xcalloc(chain->count + 1, sizeof(*names));

	for (size_t i = 0; i < chain->count; i++) {
		plugin_stats(chain->links[i].plugin, &each[i]);
		names[i] = chain->links[i].name;
	}
	stats_print(out, run->options.stats == 2,
	    session_stats(run->session), names, each, chain->count,
	    monotonic_seconds() - started);
	free(names);
	free(each);
	if (out != stderr && fclose(out) == EOF)
		log_warn("writing --stats-file %s", run->options.stats_file);
}

/* The engine for one run: its plugins in chain order. */
static struct engine *
start_engine(struct ev_loop *loop, const struct setup *setup,
    const struct options *options, const struct plugin_source *plugins,
    size_t plugin_count)
{
	struct engine_config config;
	struct engine *engine;
	struct plugin **started = xcalloc(plugin_count + 1, sizeof(*started));

	setup_engine_config(setup, options, &config);
	engine = engine_new(loop, &config);
	for (size_t i = 0; i < plugin_count; i++)
		started[i] = engine_add_plugin(engine, &plugins[i]);
	engine_set_chain(engine, chain_new(started, plugin_count));
	for (size_t i = 0; i < plugin_count; i++)
		plugin_unref(started[i]);
	free(started);
	return engine;
}

/*
 * --strict: a plugin that did not load ends the run with status 2 before
 * any record is read.  Each one has had its warning (plugin.c); this line
 * names them all once more and says why the run stops.
 */
static void
strict_loaded(struct engine *engine, struct session *session,
    const struct options *options)
{
	const struct chain *chain = engine_chain(engine);
	char names[512];
	size_t failed = 0, n = 0;

	if (!options->strict)
		return;
	names[0] = '\0';
	for (size_t i = 0; i < chain->count; i++) {
		enum plugin_state state = plugin_state(chain->links[i].plugin,
		    NULL);

		if (state != PLUGIN_LOAD_FAILED && state != PLUGIN_QUARANTINED)
			continue;
		if (n < sizeof(names)) {
			int m = snprintf(names + n, sizeof(names) - n, "%s%s",
			    failed > 0 ? ", " : "", chain->links[i].name);

			n += m > 0 ? (size_t)m : 0;
		}
		failed++;
	}
	if (failed == 0)
		return;
	session_free(session);
	engine_free(engine);
	fatalx("--strict: %s %s did not load; no record was read",
	    failed == 1 ? "plugin" : "plugins", names);
}

void
resolve_strict_sources(const struct options *options, const char *dir,
    const struct plugin_source *plugins, size_t plugin_count)
{
	if (!options->strict)
		return;
	if (plugin_count == 0)
		fatalx("--strict: no *.lua plugins in %s", dir);
	for (size_t i = 0; i < plugin_count; i++)
		if (plugins[i].load_error != NULL)
			fatalx("--strict: plugin %s cannot be used: %s",
			    plugins[i].name, plugins[i].load_error);
}

/*
 * The engine of a command that watches no signals of its own (test):
 * started as resolve starts its own, and waited for until every plugin has
 * started or failed to load, then its sandbox layers said as resolve says
 * them.  Exits with status 2 when a plugin cannot run at all.
 */
struct engine *
resolve_engine_ready(struct ev_loop *loop, const struct setup *setup,
    const struct options *options, const struct plugin_source *plugins,
    size_t plugin_count)
{
	struct engine *engine = start_engine(loop, setup, options, plugins,
	    plugin_count);
	char error[1024];

	while (!engine_settled(engine))
		ev_run(loop, EVRUN_ONCE);
	if (engine_startup_error(engine) != NULL) {
		snprintf(error, sizeof(error), "%s",
		    engine_startup_error(engine));
		engine_free(engine);
		fatalx("%s", error);
	}
	strict_loaded(engine, NULL, options);
	if (options->verbose)
		print_layers(engine_chain(engine));
	warn_skipped_layers(engine_chain(engine), options);
	return engine;
}

int
resolve_run(const struct setup *setup, const struct options *options,
    const struct plugin_source *plugins, size_t plugin_count,
    char *const *inputs, size_t input_count)
{
	return resolve_run_to(setup, options, plugins, plugin_count, inputs,
	    input_count, NULL, NULL);
}

/*
 * Resolves every record of the inputs with the plugins and writes the lines
 * to stdout, or gives them to the sink; returns the exit status.
 * Configuration errors end the process with status 2 before any record is
 * read; a reader of stdout that went away ends it by SIGPIPE
 * (closed_pipe.h).
 */
int
resolve_run_to(const struct setup *setup, const struct options *options,
    const struct plugin_source *plugins, size_t plugin_count,
    char *const *inputs, size_t input_count,
    size_t (*sink)(void *, const char *, size_t), void *sink_arg)
{
	struct run run;
	struct session_config config;
	char error[1024];
	ev_signal signals[STOP_SIGNALS];
	FILE *stats_output;
	double started;
	int status;
	bool output_gone;

	memset(&run, 0, sizeof(run));
	run.options = *options;
	run.sink = sink;
	run.sink_arg = sink_arg;

	signal(SIGPIPE, SIG_IGN);
	run.loop = ev_default_loop(EVFLAG_AUTO);
	if (run.loop == NULL)
		fatalx("cannot start the event loop");

	/* Everything that can be wrong with the command line or the setup
	 * is found now, before any record is read. */
	memset(&config, 0, sizeof(config));
	config.paths = inputs;
	config.path_count = input_count;
	config.limits.max_record = run.options.max_record;
	config.limits.max_depth = run.options.max_depth;
	config.deepflow_argument = run.options.deepflow_argument;
	config.fd = sink != NULL ? -1 : 1;
	config.sink = sink != NULL ? to_sink : NULL;
	config.done = on_done;
	config.failed = on_output_failed;
	config.arg = &run;
	stats_output = open_stats_output(&run.options);
	for (size_t i = 0; i < STOP_SIGNALS; i++) {
		ev_signal_init(&signals[i], on_signal, stop_signals[i]);
		signals[i].data = &run;
		ev_signal_start(run.loop, &signals[i]);
	}

	started = monotonic_seconds();
	run.engine = start_engine(run.loop, setup, &run.options, plugins,
	    plugin_count);
	if ((run.session = session_new(run.engine, &config, error,
	    sizeof(error))) == NULL) {
		engine_free(run.engine);
		fatalx("%s", error);
	}
	while (!engine_settled(run.engine) && !run.stop)
		ev_run(run.loop, EVRUN_ONCE);
	if (engine_startup_error(run.engine) != NULL) {
		snprintf(error, sizeof(error), "%s",
		    engine_startup_error(run.engine));
		session_free(run.session);
		engine_free(run.engine);
		fatalx("%s", error);
	}
	if (!run.stop)
		strict_loaded(run.engine, run.session, &run.options);
	if (run.options.verbose)
		print_layers(engine_chain(run.engine));
	warn_skipped_layers(engine_chain(run.engine), &run.options);

	if (!run.stop)
		session_start(run.session);
	while (!run.stop && !session_done(run.session))
		ev_run(run.loop, EVRUN_ONCE);

	/* Workers finish what they hold and exit (each is killed if it does
	 * not within its grace); after a signal or a broken output nothing
	 * they hold can be written: they are killed at once. */
	engine_shutdown(run.engine, run.stop);
	while (!engine_finished(run.engine))
		ev_run(run.loop, EVRUN_ONCE);
	if (run.options.stats)
		print_stats(&run, stats_output, started);
	status = session_saw_failure(run.session) ? EXIT_SOME_FAILED :
	    EXIT_ALL_GOOD;
	output_gone = closed_pipe(session_output_errno(run.session));
	/* A reader that went away is not worth a word (closed_pipe.h). */
	if (run.output_error[0] != '\0' && !output_gone) {
		log_info("%s: stopping", run.output_error);
		status = EXIT_SOME_FAILED;
	} else if (run.stop_signal != 0) {
		log_info("interrupted by signal %d (SIG%s): stopping",
		    run.stop_signal, sigabbrev_np(run.stop_signal));
		status = EXIT_SOME_FAILED;
	}

	session_free(run.session);
	engine_free(run.engine);
	for (size_t i = 0; i < STOP_SIGNALS; i++)
		ev_signal_stop(run.loop, &signals[i]);
	if (output_gone)
		closed_pipe_exit();
	return status;
}

int
cmd_resolve(int argc, char **argv)
{
	struct options options;
	struct setup setup;
	struct plugin_source *plugins;
	size_t plugin_count;
	char error[1024], *plugins_dir;
	int first, status;

	options_defaults(&options);
	first = options_parse(&options, FOR_RESOLVE, "resolve", "[FILE...]",
	    "Resolves the workload type and name of every pod record in the "
	    "FILEs\n(or stdin) with the plugins, and prints one JSON line per "
	    "record.\nExit status: 0 all resolved without failures, 1 some "
	    "record invalid or\nsome plugin failed, 2 usage or configuration "
	    "error.", argc, argv);
	plugins_dir = setup_plugins_dir(&options);
	if (plugins_load_dir(plugins_dir, options.allow_insecure_plugins ?
	    PLUGINS_ALLOW_INSECURE : 0, &plugins, &plugin_count, error,
	    sizeof(error)) == -1)
		fatalx("%s", error);
	resolve_strict_sources(&options, plugins_dir, plugins, plugin_count);
	if (plugin_count == 0)
		log_warnx("no *.lua plugins in %s: every record will be "
		    "unresolved", plugins_dir);
	setup_load(&setup, &options);
	status = resolve_run(&setup, &options, plugins, plugin_count,
	    argv + first, (size_t)(argc - first));
	setup_free(&setup);
	plugins_free(plugins, plugin_count);
	free(plugins_dir);
	return status;
}
