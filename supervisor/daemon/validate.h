/*
 * Validating a plugin before the daemon accepts it: its source is compiled
 * and its top level run in a worker sandboxed and limited exactly as a
 * serving worker, without blocking the loop; the answer comes back by
 * callback.  A syntax error, a missing GetWorkloadTypeAndName, a load
 * timeout, a memory blow-up or a sandbox violation at load is a refusal,
 * with the compiler's or the sandbox's message.
 */
#ifndef LUAWARD_SUPERVISOR_VALIDATE_H
#define LUAWARD_SUPERVISOR_VALIDATE_H

#include <stdbool.h>

#include <ev.h>

#include "../engine/plugin.h"

struct validation_result {
	bool		 loaded;
	/* The worker could not be set up at all (not the plugin's fault). */
	bool		 setup_failed;
	char		 message[1024];	/* why not, when not loaded */
};

struct validation;

/* Starts a worker for source with config's limits; done() is called once,
 * from the loop, whatever happens.  NULL (with the reason in result, and
 * done not called) when no worker can be started. */
struct validation *validation_start(struct ev_loop *,
		     const struct plugin_config *, const struct plugin_source *,
		     void (*done)(const struct validation_result *, void *),
		     void *arg, struct validation_result *result);
/* Gives up (the client went away): the worker is killed and done() is
 * never called. */
void		 validation_cancel(struct validation *);

#endif
