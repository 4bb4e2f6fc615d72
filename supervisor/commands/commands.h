/* The subcommands of luaward, one file each. */
#ifndef LUAWARD_SUPERVISOR_COMMANDS_H
#define LUAWARD_SUPERVISOR_COMMANDS_H

#include <stddef.h>

#include "../options.h"
#include "../engine/plugins.h"

struct engine;
struct ev_loop;
struct setup;

int	 cmd_resolve(int argc, char **argv);
int	 cmd_policy(int argc, char **argv);
int	 cmd_selftest(int argc, char **argv);
int	 cmd_check(int argc, char **argv);
int	 cmd_serve(int argc, char **argv);
int	 cmd_plugin(int argc, char **argv);
int	 cmd_query(int argc, char **argv);
int	 cmd_stats(int argc, char **argv);
int	 cmd_test(int argc, char **argv);

/* A resolve run over inputs (stdin when none) with a loaded setup;
 * returns the exit status. */
int	 resolve_run(const struct setup *, const struct options *,
	     const struct plugin_source *, size_t plugin_count,
	     char *const *inputs, size_t input_count);
/* The same, the lines given to sink (writer.h) instead of stdout. */
int	 resolve_run_to(const struct setup *, const struct options *,
	     const struct plugin_source *, size_t plugin_count,
	     char *const *inputs, size_t input_count,
	     size_t (*sink)(void *, const char *, size_t), void *sink_arg);
/* --strict, before any worker starts: exits with status 2 when there is
 * no plugin or a plugin file cannot be used. */
void	 resolve_strict_sources(const struct options *, const char *dir,
	     const struct plugin_source *, size_t plugin_count);
/* The engine of a run of plugins, every one started or failed to load;
 * exits with status 2 when one cannot run at all, or with --strict when
 * one did not load. */
struct engine *resolve_engine_ready(struct ev_loop *, const struct setup *,
	     const struct options *, const struct plugin_source *,
	     size_t plugin_count);

#endif
