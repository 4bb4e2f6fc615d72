/*
 * luaward check: loads each plugin file in a fully sandboxed worker, as
 * resolve would, and says whether it compiles, whether it defines
 * GetWorkloadTypeAndName, and which sandboxed functions its top level
 * touched.  With --pods, the plugins that load then resolve the pods.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "setup.h"
#include "trial.h"

#define TOUCHED_PREFIX	"  touched at load: "

/* The names a READY reported as touched, comma-separated, or "none". */
static void
touched_list(const struct buffer *layers, char *out, size_t size)
{
	const char *p = buffer_bytes(layers), *end = p + buffer_length(layers);
	size_t used = 0;

	out[0] = '\0';
	while (p < end) {
		const char *line_end = memchr(p, '\n', (size_t)(end - p));
		size_t length = line_end != NULL ? (size_t)(line_end - p) :
		    (size_t)(end - p);

		if (length > strlen(TOUCHED_PREFIX) && strncmp(p,
		    TOUCHED_PREFIX, strlen(TOUCHED_PREFIX)) == 0) {
			int n = snprintf(out + used, size - used, "%s%.*s",
			    used > 0 ? ", " : "",
			    (int)(length - strlen(TOUCHED_PREFIX)),
			    p + strlen(TOUCHED_PREFIX));

			if (n > 0 && (size_t)n < size - used)
				used += (size_t)n;
		}
		p += length + 1;
	}
	if (used == 0)
		snprintf(out, size, "none");
}

/* Loads one plugin; prints its report; returns true when it loaded. */
static bool
check_plugin(struct ev_loop *loop, const struct setup *setup,
    const struct options *options, const struct plugin_source *plugin,
    const char *path)
{
	struct worker_setup worker;
	struct trial_result result;
	char touched[1024];
	bool loaded;

	memset(&worker, 0, sizeof(worker));
	worker.plugin = plugin->name;
	worker.spawn = setup->spawn;
	worker.load.plugin.bytes = plugin->name;
	worker.load.plugin.length = strlen(plugin->name);
	worker.load.source.bytes = plugin->source;
	worker.load.source.length = plugin->length;
	worker.load.modules[0].name.bytes = setup->dkjson.name;
	worker.load.modules[0].name.length = strlen(setup->dkjson.name);
	worker.load.modules[0].source.bytes = setup->dkjson.source;
	worker.load.modules[0].source.length = setup->dkjson.length;
	worker.load.module_count = 1;
	worker.load.call_timeout_ms = options->timeout_ms;
	worker.load.load_timeout_ms = options->load_timeout_ms;
	worker.load.memory_bytes = (uint64_t)options->memory_mb << 20;
	worker.load.log_lines_per_second = 10;
	worker.load.log_burst = 100;
	worker.load.landlock = options->landlock;
	worker.load.seccomp_filter.bytes = policy_program(setup->policy,
	    &worker.load.seccomp_filter.length);
	worker.load.probe.bytes = "";

	trial_run(loop, &worker, &result);
	if (!result.started)
		fatalx("%s: %s", path, result.spawn_error);
	if (result.death == DEATH_SETUP_FAILED)
		fatalx("%s: a sandbox layer cannot be applied: %s", path,
		    result.message);
	loaded = result.ready;
	printf("%s:\n", path);
	if (loaded) {
		touched_list(&result.layers, touched, sizeof(touched));
		printf("  compiles: yes\n  defines GetWorkloadTypeAndName: "
		    "yes\n  touched at load: %s\n  result: ok\n", touched);
	} else {
		/* The worker says which phase failed: compiling, the top
		 * level, or the check for the entry point after it. */
		bool compiles = strncmp(result.message, "does not compile",
		    16) != 0;
		bool undefined = strncmp(result.message, "does not define",
		    15) == 0;

		printf("  compiles: %s\n", compiles ? "yes" : "no");
		if (compiles)
			printf("  defines GetWorkloadTypeAndName: %s\n",
			    undefined ? "no" : "unknown (the top level "
			    "failed)");
		printf("  result: FAILED: %s\n", result.message);
	}
	trial_result_free(&result);
	return loaded;
}

int
cmd_check(int argc, char **argv)
{
	struct options options;
	struct setup setup;
	struct plugin_source *plugins;
	struct ev_loop *loop;
	size_t loaded = 0;
	char error[1024];
	int first, status = EXIT_ALL_GOOD;

	options_defaults(&options);
	first = options_parse(&options, FOR_CHECK, "check",
	    "PLUGIN.lua...", "Loads each plugin in a fully sandboxed worker "
	    "and reports whether it compiles,\nwhether it defines "
	    "GetWorkloadTypeAndName, and which sandboxed functions\n(io.open, "
	    "os.execute, ...) its top level touched.  With --pods FILE, the "
	    "plugins\nthat load then resolve those pods, in the order given, "
	    "and the result lines\nfollow the report.  Exit status 0 when "
	    "every plugin loads (and, with --pods,\nno record failed), 1 "
	    "otherwise, 2 on usage errors.", argc, argv);
	if (first >= argc)
		fatalx("check needs at least one PLUGIN.lua (see luaward check "
		    "--help)");
	log_set_verbose(options.verbose);
	plugins = xcalloc((size_t)(argc - first), sizeof(*plugins));
	for (int i = first; i < argc; i++)
		if (plugins_load_file(argv[i], &plugins[i - first], error,
		    sizeof(error)) == -1)
			fatalx("%s", error);
	setup_load(&setup, &options);
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot start the event loop");

	for (int i = first; i < argc; i++) {
		struct plugin_source *plugin = &plugins[i - first];

		if (check_plugin(loop, &setup, &options, plugin, argv[i]))
			plugins[loaded++] = *plugin;
		else {
			free(plugin->name);
			free(plugin->source);
			status = EXIT_SOME_FAILED;
		}
	}
	setup_free(&setup);
	if (options.pods_path != NULL) {
		char *inputs[] = { (char *)options.pods_path };

		printf("\nresults on %s:\n", options.pods_path);
		fflush(stdout);
		if (resolve_run(&options, plugins, loaded, inputs, 1) !=
		    EXIT_ALL_GOOD)
			status = EXIT_SOME_FAILED;
	}
	plugins_free(plugins, loaded);
	return status;
}
