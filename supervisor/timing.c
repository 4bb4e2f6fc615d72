#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timing.h"

uint32_t
kill_grace_ms(uint32_t limit_ms)
{
	uint32_t tenth = limit_ms / 10;

	return tenth > KILL_GRACE_MIN_MS ? tenth : KILL_GRACE_MIN_MS;
}

double
deadline_left(double started, uint32_t limit_ms, double now)
{
	if (limit_ms == 0)
		return 1e18;
	/* Summed as doubles: two uint32_t near the top would wrap. */
	return started + ((double)limit_ms +
	    (double)kill_grace_ms(limit_ms)) / 1000.0 - now;
}

double
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
restart_tracker_init(struct restart_tracker *t, uint32_t initial_ms,
    uint32_t max_ms, unsigned max_restarts, double window_s)
{
	memset(t, 0, sizeof(*t));
	t->initial_ms = initial_ms;
	t->max_ms = max_ms > initial_ms ? max_ms : initial_ms;
	t->max_restarts = max_restarts;
	t->window_s = window_s;
}

void
restart_tracker_free(struct restart_tracker *t)
{
	free(t->failures);
	t->failures = NULL;
	t->count = t->capacity = 0;
}

void
restart_tracker_reset(struct restart_tracker *t)
{
	t->count = 0;
	t->consecutive = 0;
}

bool
restart_tracker_failure(struct restart_tracker *t, double now,
    uint32_t *delay_ms)
{
	uint64_t delay = t->initial_ms;
	size_t expired = 0;

	/* Forget failures that have left the window, then note this one. */
	while (expired < t->count && now - t->failures[expired] > t->window_s)
		expired++;
	if (expired > 0) {
		memmove(t->failures, t->failures + expired,
		    (t->count - expired) * sizeof(*t->failures));
		t->count -= expired;
	}
	if (t->count == t->capacity) {
		t->capacity = t->capacity ? 2 * t->capacity : 8;
		t->failures = xrealloc(t->failures,
		    t->capacity * sizeof(*t->failures));
	}
	t->failures[t->count++] = now;
	if (t->count > t->max_restarts)
		return true;
	for (unsigned i = 0; i < t->consecutive && delay < t->max_ms; i++)
		delay *= 2;
	*delay_ms = delay > t->max_ms ? t->max_ms : (uint32_t)delay;
	t->consecutive++;
	return false;
}

void
restart_tracker_success(struct restart_tracker *t)
{
	t->consecutive = 0;
}
