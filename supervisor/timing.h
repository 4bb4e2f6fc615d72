/*
 * The supervisor's timing rules as pure functions of a clock the caller
 * passes in, so that they are tested without waiting: when a running call
 * is past saving, how long to wait before a restart, and when failures are
 * too many.
 */
#ifndef LUAWARD_SUPERVISOR_TIMING_H
#define LUAWARD_SUPERVISOR_TIMING_H

#include <stdbool.h>
#include <stdint.h>

/*
 * How much past a limit the supervisor kills a worker that has not
 * answered: the worker's own hook ends a Lua call at the limit with a clean
 * error, and the supervisor's kill is the backstop for a call stuck where
 * the hook cannot fire (inside one C function).  A tenth of the limit, at
 * least KILL_GRACE_MIN_MS: enough for the worker's own error to arrive
 * first on a loaded machine, small enough that a limit means what it says.
 */
#define KILL_GRACE_MIN_MS	10
uint32_t kill_grace_ms(uint32_t limit_ms);

/* How long a worker whose input was closed, holding nothing, may take to
 * exit before it is killed. */
#define CLOSE_GRACE_MS		2000

/* Seconds left before a worker whose clock started at `started` must be
 * killed: limit plus grace (negative: overdue); limit_ms 0 means no limit
 * (returns a huge value). */
double	 deadline_left(double started, uint32_t limit_ms, double now);

/* CLOCK_MONOTONIC in seconds. */
double	 monotonic_seconds(void);

/* Restart backoff and quarantine for one plugin.  Only failures still
 * inside the window are kept, so memory follows what actually failed, not
 * how many failures --max-restarts would tolerate. */
struct restart_tracker {
	uint32_t	 initial_ms, max_ms;
	unsigned	 max_restarts;
	double		 window_s;
	double		*failures;	/* oldest first, all within the window */
	size_t		 count, capacity;
	unsigned	 consecutive;
};

void	 restart_tracker_init(struct restart_tracker *, uint32_t initial_ms,
	     uint32_t max_ms, unsigned max_restarts, double window_s);
void	 restart_tracker_free(struct restart_tracker *);
/* A worker failed at `now`: returns true when the plugin must be
 * quarantined (more than max_restarts failures within the window);
 * otherwise sets *delay_ms, which doubles with each failure in a row. */
bool	 restart_tracker_failure(struct restart_tracker *, double now,
	     uint32_t *delay_ms);
/* A call succeeded: the next failure starts the backoff afresh. */
void	 restart_tracker_success(struct restart_tracker *);
/* Forget every failure (release from quarantine). */
void	 restart_tracker_reset(struct restart_tracker *);

#endif
