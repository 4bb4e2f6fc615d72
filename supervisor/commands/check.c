/*
 * luaward check: loads each plugin file (or every plugin of a directory)
 * in a fully sandboxed worker, as resolve would, and says whether it
 * compiles, whether it defines GetWorkloadTypeAndName, and which sandboxed
 * functions its top level touched.  With --pods, the plugins then resolve
 * the pods as resolve would: a plugin that did not load stays in the
 * chain, and every record's line carries its load error, so no line looks
 * clean for it.
 *
 * Standard output carries data only: the result lines, or with -o json
 * the one JSON report (check_report.h).  The text report goes to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "check_report.h"
#include "../closed_pipe.h"
#include "commands.h"
#include "../log.h"
#include "../options.h"
#include "../output/sanitize.h"
#include "../setup.h"
#include "trial.h"

struct check_list {
	struct checked	*items;
	size_t		 count;
};

static struct checked *
add(struct check_list *list, char *path)
{
	struct checked *c;

	list->items = xrealloc(list->items, (list->count + 1) *
	    sizeof(*list->items));
	c = &list->items[list->count++];
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->compiles = c->defines = CHECK_UNKNOWN;
	return c;
}

/* An operand: a plugin file, or a directory whose *.lua are taken by
 * resolve's rules for --plugins (plugins.h), in file-name order. */
static void
add_operand(struct check_list *list, const char *operand, unsigned flags)
{
	struct plugin_source *sources;
	struct stat st;
	char error[1024];
	size_t count, length = strlen(operand);

	if (stat(operand, &st) == -1 || !S_ISDIR(st.st_mode)) {
		struct checked *c = add(list, xstrdup(operand));

		if (plugins_load_plugin(operand, flags, &c->source, error,
		    sizeof(error)) == -1)
			fatalx("%s", error);
		return;
	}
	if (plugins_load_dir(operand, flags, &sources, &count, error,
	    sizeof(error)) == -1)
		fatalx("%s", error);
	if (count == 0)
		fatalx("check: no *.lua plugins in %s", operand);
	while (length > 1 && operand[length - 1] == '/')
		length--;
	for (size_t i = 0; i < count; i++) {
		char *path;

		if (asprintf(&path, "%.*s/%s.lua", (int)length, operand,
		    sources[i].name) == -1)
			fatalx("out of memory");
		add(list, path)->source = sources[i];
	}
	free(sources);
}

/* --pods is checked before any worker starts ("-" is stdin, as for
 * resolve). */
static void
check_pods_file(const char *path)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		fatal("--pods: cannot read %s", path);
	if (fstat(fd, &st) == -1)
		fatal("--pods: cannot read %s", path);
	close(fd);
	if (S_ISDIR(st.st_mode))
		fatalx("--pods: cannot read %s: it is a directory", path);
}

/* Loads one plugin in a worker of its own and notes what it showed. */
static void
check_plugin(struct ev_loop *loop, const struct plugin_config *config,
    struct checked *c)
{
	struct log_allowance log = { 0 };
	struct worker_setup worker;
	struct trial_result result;
	const char *message;

	if (c->source.load_error != NULL) {
		c->error = xstrdup(c->source.load_error);
		return;
	}
	plugin_worker_setup(config, &c->source, &log, &worker);
	trial_run(loop, &worker, &result);
	message = result.death.message;
	if (!result.started)
		fatalx("%s: %s", c->path, result.spawn_error);
	if (result.death.type == DEATH_SETUP_FAILED)
		fatalx("%s: a sandbox layer cannot be applied: %s", c->path,
		    message);
	if (result.death.type == DEATH_NOT_WORKER)
		fatalx("the worker binary %s does not speak luaward's worker "
		    "protocol: %s", config->spawn.worker_path, message);
	c->loaded = result.ready;
	if (c->loaded) {
		c->compiles = c->defines = CHECK_YES;
		snprintf(c->touched, sizeof(c->touched), "%s",
		    result.report.touched);
		return;
	}
	/* The worker's message says which phase failed: compiling, the top
	 * level, or the check for the entry point after. */
	c->compiles = strncmp(message, WIRE_LOAD_COMPILE_FAILED,
	    strlen(WIRE_LOAD_COMPILE_FAILED)) == 0 ? CHECK_NO : CHECK_YES;
	if (c->compiles == CHECK_YES && strncmp(message,
	    WIRE_LOAD_NO_ENTRY_POINT, strlen(WIRE_LOAD_NO_ENTRY_POINT)) == 0)
		c->defines = CHECK_NO;
	c->error = xstrdup(message);
}

/* The chain for the pods: every plugin in the order given, each that did
 * not load carrying why, as resolve's chain would (plugin.c). */
static struct plugin_source *
chain_sources(const struct check_list *list)
{
	struct plugin_source *sources = xcalloc(list->count,
	    sizeof(*sources));

	for (size_t i = 0; i < list->count; i++) {
		sources[i] = list->items[i].source;
		if (!list->items[i].loaded && sources[i].load_error == NULL)
			sources[i].load_error = list->items[i].error;
	}
	return sources;
}

int
cmd_check(int argc, char **argv)
{
	struct options options;
	struct setup setup;
	struct engine_config config;
	struct check_list list = { NULL, 0 };
	struct check_json *json = NULL;
	struct ev_loop *loop;
	int first, status = EXIT_ALL_GOOD;

	options_defaults(&options);
	first = options_parse(&options, FOR_CHECK, "check",
	    "PLUGIN.lua|DIR...", "Loads each plugin (every *.lua of a DIR) "
	    "in a fully sandboxed worker and\nreports on stderr whether it "
	    "compiles, whether it defines\nGetWorkloadTypeAndName, and which "
	    "sandboxed functions (io.open, os.execute,\n...) its top level "
	    "touched.  With --pods FILE, the plugins then resolve those\npods "
	    "in the order given, and the result lines go to stdout, as resolve "
	    "prints\nthem: a plugin that did not load is named in every "
	    "record's errors.  With\n-o json, one JSON report on stdout "
	    "instead.  Exit status 0 when every plugin\nloads (and, with "
	    "--pods, no record failed), 1 otherwise, 2 on usage errors.",
	    argc, argv);
	if (first >= argc)
		fatalx("check needs at least one PLUGIN.lua or DIR (see "
		    "luaward check --help)");
	if (options.pods_path != NULL)
		check_pods_file(options.pods_path);
	for (int i = first; i < argc; i++)
		add_operand(&list, argv[i], options.allow_insecure_plugins ?
		    PLUGINS_ALLOW_INSECURE : 0);
	setup_load(&setup, &options);
	setup_claim_identity(&setup);
	setup_engine_config(&setup, &options, &config);
	/* A worker's pipe can close under a write; stdout too. */
	signal(SIGPIPE, SIG_IGN);
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot start the event loop");

	for (size_t i = 0; i < list.count; i++) {
		check_plugin(loop, &config.plugins, &list.items[i]);
		if (!list.items[i].loaded)
			status = EXIT_SOME_FAILED;
		if (!options.output_json)
			check_report_text(stderr, &list.items[i]);
	}
	if (options.output_json)
		json = check_json_begin(stdout, list.items, list.count,
		    options.pods_path);
	if (options.pods_path != NULL) {
		char *inputs[] = { (char *)options.pods_path };
		struct plugin_source *sources = chain_sources(&list);

		if (!options.output_json) {
			fputc('\n', stderr);
			sanitize_print(stderr, "results on %s:",
			    options.pods_path);
		}
		if (resolve_run_to(&setup, &options, sources, list.count,
		    inputs, 1, json != NULL ? check_json_result : NULL,
		    json) != EXIT_ALL_GOOD)
			status = EXIT_SOME_FAILED;
		free(sources);
	}
	if (json != NULL && check_json_end(json, status == EXIT_ALL_GOOD) ==
	    -1) {
		log_warnx("writing the report: %s", strerror(errno));
		status = EXIT_SOME_FAILED;
	}
	setup_free(&setup);
	for (size_t i = 0; i < list.count; i++) {
		free(list.items[i].path);
		free(list.items[i].error);
		free(list.items[i].source.name);
		free(list.items[i].source.path);
		free(list.items[i].source.source);
		free(list.items[i].source.load_error);
	}
	free(list.items);
	return status;
}
