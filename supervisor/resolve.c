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

#include "commands.h"
#include "dispatch.h"
#include "input.h"
#include "log.h"
#include "options.h"
#include "pool.h"
#include "setup.h"
#include "timing.h"
#include "writer.h"

#define WINDOW_JOBS		4096
#define WINDOW_BYTES		(64u << 20)
#define OUTPUT_BUFFER		(1u << 20)

struct run {
	struct ev_loop		*loop;
	struct options		 options;
	struct input		*input;
	struct writer		*writer;
	struct dispatch		*dispatch;
	struct pool		*pool;
	bool			 input_done;
	bool			 stop;
	int			 stop_signal;
	char			 output_error[160];
};

/* Signals whose default would end the run: each ends it cleanly instead,
 * with every line written so far and the stats. */
static const int stop_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
	SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
};
#define STOP_SIGNALS	(sizeof(stop_signals) / sizeof(stop_signals[0]))

static bool
has_room(void *arg)
{
	struct run *run = arg;

	return writer_has_room(run->writer);
}

static void
wait_for_room(void *arg)
{
	struct run *run = arg;

	writer_wait_for_room(run->writer);
}

static void
on_room(void *arg)
{
	struct run *run = arg;

	input_resume(run->input);
}

static void
on_record(const struct record *record, void *arg)
{
	struct run *run = arg;

	dispatch_submit(run->dispatch, writer_admit(run->writer, record));
}

static void
on_input_finished(void *arg)
{
	struct run *run = arg;

	run->input_done = true;
}

static void
on_drained(void *arg)
{
	struct run *run = arg;

	if (run->input_done)
		ev_break(run->loop, EVBREAK_ONE);
}

static void
on_job_done(struct job *job, void *arg)
{
	struct run *run = arg;

	writer_complete(run->writer, job);
}

/* Every error on an output line is counted, once, as it is written. */
static void
on_job_written(const struct job *job, void *arg)
{
	struct run *run = arg;

	for (size_t i = 0; i < job->error_count; i++)
		pool_count_error(run->pool, job->errors[i].plugin,
		    job->errors[i].kind);
}

static void
on_output_failed(void *arg, const char *reason)
{
	struct run *run = arg;

	snprintf(run->output_error, sizeof(run->output_error), "%s", reason);
	run->stop = true;
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
print_layers(const struct pool *pool, const struct plugin_source *plugins,
    size_t count)
{
	struct buffer b = { 0 };

	for (size_t i = 0; i < count; i++) {
		const struct sandbox_report *report;
		const char *reason;

		if (pool_plugin_state(pool, i, &reason) == PLUGIN_LOAD_FAILED) {
			log_info("plugin %s: not loaded: %s", plugins[i].name,
			    reason);
			continue;
		}
		buffer_clear(&b);
		if ((report = pool_sandbox_report(pool, i)) != NULL)
			sandbox_report_describe(report, &b);
		/* One log line each: the log cleans every line whole, and a
		 * newline inside one would show as \n. */
		log_info("plugin %s: sandbox layers:", plugins[i].name);
		for (const char *line = buffer_bytes(&b),
		    *end = line + buffer_length(&b); line < end;) {
			const char *newline = memchr(line, '\n',
			    (size_t)(end - line));
			size_t length = newline != NULL ?
			    (size_t)(newline - line) : (size_t)(end - line);

			log_info("plugin %s: %.*s", plugins[i].name,
			    (int)length, line);
			line += length + 1;
		}
	}
	buffer_free(&b);
}

/* In auto mode a layer the kernel refuses is skipped: say so once, not
 * only under --verbose.  Every worker is set up alike, so the first report
 * speaks for all (a plugin that did not load has none). */
static void
warn_skipped_layers(const struct pool *pool, size_t plugin_count,
    const struct options *options)
{
	const struct {
		const char	*name;
		enum wire_mode	 mode;
	} optional[] = {
		{ "namespaces", options->namespaces },
		{ "landlock", options->landlock },
	};
	const struct sandbox_report *report = NULL;

	for (size_t i = 0; i < plugin_count && report == NULL; i++)
		report = pool_sandbox_report(pool, i);
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

/* Output to a pipe or socket must never block the loop; a terminal or a
 * file is left as it is.  Returns the flags to restore, or -1. */
static int
output_nonblocking(void)
{
	struct stat st;
	int flags;

	if (fstat(1, &st) == -1)
		fatal("stdout");
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return -1;
	if ((flags = fcntl(1, F_GETFL)) == -1 ||
	    fcntl(1, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("stdout");
	return flags;
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
print_stats(struct run *run, FILE *out, const char *const *names,
    size_t plugin_count, double started)
{
	struct plugin_stats *each = xcalloc(plugin_count + 1, sizeof(*each));

	for (size_t i = 0; i < plugin_count; i++)
		pool_stats(run->pool, i, &each[i]);
	stats_print(out, run->options.stats == 2, writer_stats(run->writer),
	    names, each, plugin_count, monotonic_seconds() - started);
	free(each);
	if (out != stderr && fclose(out) == EOF)
		log_warn("writing --stats-file %s", run->options.stats_file);
}

/*
 * Resolves every record of the inputs with the plugins and writes the lines
 * to stdout; returns the exit status.  Configuration errors end the process
 * with status 2 before any record is read.
 */
int
resolve_run(const struct setup *setup, const struct options *options,
    const struct plugin_source *plugins, size_t plugin_count,
    char *const *inputs, size_t input_count)
{
	static const struct input_callbacks input_callbacks = {
		.has_room = has_room,
		.wait_for_room = wait_for_room,
		.record = on_record,
		.finished = on_input_finished,
	};
	struct run run;
	struct pool_config pool_config;
	struct writer_config writer_config;
	struct reader_limits limits;
	const char **names;
	char error[1024];
	ev_signal signals[STOP_SIGNALS];
	FILE *stats_output;
	double started;
	int output_flags, status;

	memset(&run, 0, sizeof(run));
	run.options = *options;

	/* Everything that can be wrong with the command line or the setup
	 * is found now, before any record is read. */
	limits.max_record = run.options.max_record;
	limits.max_depth = run.options.max_depth;
	if ((run.input = input_open(inputs, input_count, &limits, error,
	    sizeof(error))) == NULL)
		fatalx("%s", error);
	stats_output = open_stats_output(&run.options);
	names = xcalloc(plugin_count + 1, sizeof(*names));
	for (size_t i = 0; i < plugin_count; i++)
		names[i] = plugins[i].name;

	signal(SIGPIPE, SIG_IGN);
	run.loop = ev_default_loop(EVFLAG_AUTO);
	if (run.loop == NULL)
		fatalx("cannot start the event loop");
	for (size_t i = 0; i < STOP_SIGNALS; i++) {
		ev_signal_init(&signals[i], on_signal, stop_signals[i]);
		signals[i].data = &run;
		ev_signal_start(run.loop, &signals[i]);
	}

	run.dispatch = dispatch_new(plugin_count, on_job_done, &run);
	setup_pool_config(setup, &run.options, &pool_config);
	pool_config.plugins = plugins;
	pool_config.plugin_count = plugin_count;
	pool_config.outcome = dispatch_outcome;
	pool_config.arg = run.dispatch;
	run.pool = pool_new(run.loop, &pool_config);
	dispatch_set_pool(run.dispatch, run.pool);

	started = monotonic_seconds();
	pool_start(run.pool);
	while (!pool_settled(run.pool) && !run.stop)
		ev_run(run.loop, EVRUN_ONCE);
	if (pool_startup_error(run.pool) != NULL) {
		snprintf(error, sizeof(error), "%s",
		    pool_startup_error(run.pool));
		pool_free(run.pool);
		fatalx("%s", error);
	}
	if (run.options.verbose)
		print_layers(run.pool, plugins, plugin_count);
	warn_skipped_layers(run.pool, plugin_count, &run.options);

	output_flags = output_nonblocking();
	memset(&writer_config, 0, sizeof(writer_config));
	writer_config.fd = 1;
	writer_config.window = WINDOW_JOBS;
	writer_config.window_bytes = WINDOW_BYTES;
	writer_config.max_buffered = OUTPUT_BUFFER;
	writer_config.plugin_names = names;
	writer_config.room = on_room;
	writer_config.written = on_job_written;
	writer_config.drained = on_drained;
	writer_config.failed = on_output_failed;
	writer_config.arg = &run;
	run.writer = writer_new(run.loop, &writer_config);

	if (!run.stop)
		input_start(run.input, run.loop, &input_callbacks, &run);
	while (!run.stop && !(run.input_done && writer_drained(run.writer)))
		ev_run(run.loop, EVRUN_ONCE);

	/* Workers finish what they hold and exit (each is killed if it does
	 * not within its grace); after a signal or a broken output nothing
	 * they hold can be written: they are killed at once. */
	pool_shutdown(run.pool, run.stop);
	while (!pool_finished(run.pool))
		ev_run(run.loop, EVRUN_ONCE);
	if (run.options.stats)
		print_stats(&run, stats_output, names, plugin_count, started);
	status = writer_saw_failure(run.writer) ? EXIT_SOME_FAILED :
	    EXIT_ALL_GOOD;
	if (run.output_error[0] != '\0') {
		log_info("%s: stopping", run.output_error);
		status = EXIT_SOME_FAILED;
	} else if (run.stop_signal != 0) {
		log_info("interrupted by signal %d (SIG%s): stopping",
		    run.stop_signal, sigabbrev_np(run.stop_signal));
		status = EXIT_SOME_FAILED;
	}
	if (output_flags != -1)
		fcntl(1, F_SETFL, output_flags);

	pool_free(run.pool);
	writer_free(run.writer);
	dispatch_free(run.dispatch);
	input_free(run.input);
	free(names);
	for (size_t i = 0; i < STOP_SIGNALS; i++)
		ev_signal_stop(run.loop, &signals[i]);
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
	plugins_dir = options.plugins_dir != NULL ?
	    xstrdup(options.plugins_dir) : setup_find_data("plugins",
	    "plugins");
	if (plugins_dir == NULL)
		fatalx("no bundled plugins directory found; give one with "
		    "--plugins DIR");
	if (plugins_load_dir(plugins_dir, options.allow_insecure_plugins ?
	    PLUGINS_ALLOW_INSECURE : 0, &plugins, &plugin_count, error,
	    sizeof(error)) == -1)
		fatalx("%s", error);
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
