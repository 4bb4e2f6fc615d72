/*
 * What a worker writes to the supervisor's log: lines from its stderr pipe
 * and LOG messages, made printable, cut to one bounded line and held to a
 * per-plugin rate, each prefixed with the plugin's name.
 */
#ifndef LUAWARD_SUPERVISOR_WORKER_LOG_H
#define LUAWARD_SUPERVISOR_WORKER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../ipc/buffer.h"

/* The rate of log lines a plugin's workers may put on the supervisor's
 * stderr: a token bucket shared by all of them, so that a worker restarted
 * again and again gets no fresh allowance. */
struct log_allowance {
	double			 tokens;
	double			 refilled_at;
	uint64_t		 dropped;	/* not yet said */
	uint64_t		 dropped_total;	/* by either rate limit */
	bool			 started;
};

/* Logs one line of text (any bytes) from plugin's worker at time now
 * (seconds), or counts it as dropped when the allowance is spent. */
void	worker_log_line(struct log_allowance *, double now,
	    const char *plugin, const char *text, size_t length);

/* Counts lines the worker's own rate limit dropped (it says how many with
 * its next LOG), and says so when the allowance has room. */
void	worker_log_dropped(struct log_allowance *, double now,
	    const char *plugin, uint64_t lines);

/* At the end: says how many dropped lines were not yet said. */
void	worker_log_finish(struct log_allowance *, const char *plugin);

/* Reads what fd (non-blocking) holds into pending, up to about budget
 * bytes, and logs every complete line; a line longer than the limit is
 * cut, not held.  Returns true at end of file (or when the pipe cannot be
 * read any more), after logging an unterminated last line. */
bool	worker_log_read(int fd, struct buffer *pending, size_t budget,
	    struct log_allowance *, double now, const char *plugin);

#endif
