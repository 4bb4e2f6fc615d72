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

/* The worker's own hook ends a call at timeout_ms; the supervisor kills
 * it only after this margin more, for calls stuck inside one C function. */
uint32_t kill_margin_ms(uint32_t timeout_ms);

/* Seconds left before a call that started at `started` must be killed
 * (negative: overdue); timeout_ms 0 means no limit (returns a huge
 * value). */
double	 call_time_left(double started, uint32_t timeout_ms, double now);

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
