/*
 * The worker's own sandbox layers, applied in the order of docs/security.md and
 * reported to the supervisor.  Fail closed: a layer that was asked for and
 * cannot be applied ends the worker with WIRE_EXIT_SETUP.
 */
#ifndef LUAWARD_WORKER_SANDBOX_H
#define LUAWARD_WORKER_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "../ipc/wire.h"

struct sandbox_report {
	struct wire_layer	 layers[WIRE_MAX_LAYERS];
	size_t			 count;
};

/* Before the Lua state exists: checks on what exec handed over, and the
 * process-wide prctl layers. */
void	 sandbox_enter(struct sandbox_report *);

/* After the Lua state is built, before any plugin code: Landlock, then the
 * seccomp filter, last. */
void	 sandbox_seal(const struct wire_load *, struct sandbox_report *);

/* The request running now, named in a seccomp violation report. */
void	 sandbox_set_current_request(uint64_t id);

/* Layer implementations (landlock.c, seccomp.c): return 0 when applied, 1
 * when skipped (detail says why), -1 on failure (detail says why). */
int	 landlock_apply(enum wire_mode, char *detail, size_t size);
int	 seccomp_apply(struct wire_string filter, char *detail, size_t size);

#endif
