/*
 * What a worker's sandbox is made of, as reported: the layers spawn applied
 * between fork and exec, then the ones the worker applied itself and named
 * in READY, and the sandboxed functions its top level touched.  Kept as
 * data, so that callers ask about a layer instead of parsing a display.
 */
#ifndef LUAWARD_SUPERVISOR_SANDBOX_REPORT_H
#define LUAWARD_SUPERVISOR_SANDBOX_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "../../ipc/buffer.h"
#include "../../ipc/wire.h"
#include "spawn.h"
#include "worker_seen.h"

struct sandbox_report {
	struct sandbox_layer	 layers[SPAWN_MAX_LAYERS + WIRE_MAX_LAYERS];
	size_t			 layer_count;
	char			 touched[1024];	/* ", "-separated; "" none */
	struct worker_seen	 seen;		/* in /proc, at READY */
};

/* From spawn's layers and the worker's READY message, and /proc of the
 * worker, which must still be there (its READY just came). */
void	 sandbox_report_set(struct sandbox_report *, const struct spawned *,
	     const struct wire_message *ready);

/* The layer of that name, or NULL. */
const struct sandbox_layer *sandbox_report_find(const struct sandbox_report *,
	     const char *name);

/* One line per layer, one for what /proc showed, then one per touched
 * function, appended to out. */
void	 sandbox_report_describe(const struct sandbox_report *,
	     struct buffer *out);

#endif
