/*
 * One sandboxed worker run on its own, outside the pool, to its end: how
 * `check` loads a plugin and how `selftest` runs a probe.
 */
#ifndef LUAWARD_SUPERVISOR_TRIAL_H
#define LUAWARD_SUPERVISOR_TRIAL_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "../engine/worker_process.h"

struct trial_result {
	bool		 started;	/* spawn worked (else spawn_error) */
	char		 spawn_error[512];
	bool		 ready;
	struct sandbox_report report;	/* valid when ready */
	bool		 probed;
	bool		 allowed;
	uint32_t	 error_number;
	char		 probe_detail[512];
	struct death_verdict death;	/* how it ended, when started */
};

/* Runs the worker until it exits; a ready plugin worker has its input
 * closed at once, so that it ends (a probe worker ends by itself), and one
 * still there a load timeout after READY is killed. */
void	 trial_run(struct ev_loop *, const struct worker_setup *,
	     struct trial_result *);

#endif
