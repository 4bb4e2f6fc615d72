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

/* Loads one plugin; prints its report; returns true when it loaded. */
static bool
check_plugin(struct ev_loop *loop, const struct pool_config *config,
    const struct plugin_source *plugin, const char *path)
{
	struct log_allowance log = { 0 };
	struct worker_setup worker;
	struct trial_result result;
	const char *message;
	bool loaded;

	pool_worker_setup(config, plugin, &log, &worker);
	trial_run(loop, &worker, &result);
	message = result.death.message;
	if (!result.started)
		fatalx("%s: %s", path, result.spawn_error);
	if (result.death.type == DEATH_SETUP_FAILED)
		fatalx("%s: a sandbox layer cannot be applied: %s", path,
		    message);
	loaded = result.ready;
	printf("%s:\n", path);
	if (loaded) {
		printf("  compiles: yes\n  defines GetWorkloadTypeAndName: "
		    "yes\n  touched at load: %s\n  result: ok\n",
		    result.report.touched[0] != '\0' ?
		    result.report.touched : "none");
	} else {
		/* The worker's message says which phase failed: compiling,
		 * the top level, or the check for the entry point after. */
		bool compiles = strncmp(message, WIRE_LOAD_COMPILE_FAILED,
		    strlen(WIRE_LOAD_COMPILE_FAILED)) != 0;
		bool undefined = strncmp(message, WIRE_LOAD_NO_ENTRY_POINT,
		    strlen(WIRE_LOAD_NO_ENTRY_POINT)) == 0;

		printf("  compiles: %s\n", compiles ? "yes" : "no");
		if (compiles)
			printf("  defines GetWorkloadTypeAndName: %s\n",
			    undefined ? "no" : "unknown (the top level "
			    "failed)");
		printf("  result: FAILED: %s\n", message);
	}
	return loaded;
}

int
cmd_check(int argc, char **argv)
{
	struct options options;
	struct setup setup;
	struct pool_config config;
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
	plugins = xcalloc((size_t)(argc - first), sizeof(*plugins));
	for (int i = first; i < argc; i++)
		if (plugins_load_file(argv[i], &plugins[i - first], error,
		    sizeof(error)) == -1)
			fatalx("%s", error);
	setup_load(&setup, &options);
	setup_pool_config(&setup, &options, &config);
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot start the event loop");

	for (int i = first; i < argc; i++) {
		struct plugin_source *plugin = &plugins[i - first];

		if (check_plugin(loop, &config, plugin, argv[i]))
			plugins[loaded++] = *plugin;
		else {
			free(plugin->name);
			free(plugin->source);
			status = EXIT_SOME_FAILED;
		}
	}
	if (options.pods_path != NULL) {
		char *inputs[] = { (char *)options.pods_path };

		printf("\nresults on %s:\n", options.pods_path);
		fflush(stdout);
		if (resolve_run(&setup, &options, plugins, loaded, inputs, 1) !=
		    EXIT_ALL_GOOD)
			status = EXIT_SOME_FAILED;
	}
	setup_free(&setup);
	plugins_free(plugins, loaded);
	return status;
}
