/*
 * A worker's log lines onto the supervisor's stderr.  The stream is shared
 * with the supervisor's own messages, so nothing a worker writes, however
 * compromised, can forge a line or reach the terminal raw (sanitize.h),
 * grow without bound (one line is at most LOG_LINE_MAX bytes before
 * cleaning) or drown the rest (a token bucket per plugin).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../log.h"
#include "../output/sanitize.h"
#include "worker_log.h"

#define LOG_LINE_MAX		1024
#define LOG_LINES_PER_SECOND	20.0
#define LOG_BURST		200.0
#define READ_SIZE		4096

static bool
take_token(struct log_allowance *a, double now)
{
	if (!a->started) {
		a->started = true;
		a->tokens = LOG_BURST;
		a->refilled_at = now;
	}
	a->tokens += (now - a->refilled_at) * LOG_LINES_PER_SECOND;
	if (a->tokens > LOG_BURST)
		a->tokens = LOG_BURST;
	a->refilled_at = now;
	if (a->tokens < 1) {
		a->dropped++;
		a->dropped_total++;
		return false;
	}
	a->tokens -= 1;
	return true;
}

void
worker_log_line(struct log_allowance *a, double now, const char *plugin,
    const char *text, size_t length)
{
	char line[SANITIZE_GROWTH * LOG_LINE_MAX + 1];

	if (!take_token(a, now))
		return;
	/* Cleaned here as well as by the log: a NUL would end the line. */
	sanitize(line, sizeof(line), text, length < LOG_LINE_MAX ? length :
	    LOG_LINE_MAX);
	if (a->dropped > 0) {
		log_info("plugin %s: (%llu lines dropped)", plugin,
		    (unsigned long long)a->dropped);
		a->dropped = 0;
	}
	log_info("plugin %s: %s", plugin, line);
}

void
worker_log_dropped(struct log_allowance *a, double now, const char *plugin,
    uint64_t lines)
{
	if (lines == 0)
		return;
	a->dropped_total += lines;
	/* Said now if the allowance has room for the notice, else with the
	 * next line that gets through, or at the end. */
	if (take_token(a, now)) {
		log_info("plugin %s: (%llu lines dropped)", plugin,
		    (unsigned long long)(a->dropped + lines));
		a->dropped = 0;
	} else {
		/* take_token counted the notice itself as dropped. */
		a->dropped_total--;
		a->dropped += lines - 1;
	}
}

void
worker_log_finish(struct log_allowance *a, const char *plugin)
{
	if (a->dropped > 0)
		log_info("plugin %s: (%llu lines dropped)", plugin,
		    (unsigned long long)a->dropped);
	a->dropped = 0;
}

bool
worker_log_read(int fd, struct buffer *pending, size_t budget,
    struct log_allowance *a, double now, const char *plugin)
{
	bool eof = false;

	for (size_t taken = 0; taken < budget;) {
		char *newline;
		ssize_t n;

		/* Without room the pipe cannot be read: give it up rather
		 * than be woken for it again and again. */
		if (buffer_reserve(pending, READ_SIZE) == -1) {
			eof = true;
			break;
		}
		n = read(fd, pending->data + pending->end,
		    pending->capacity - pending->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* EAGAIN: all there is for now.  Any other error
			 * ends the pipe as surely as end of file. */
			eof = n == 0 || errno != EAGAIN;
			break;
		}
		pending->end += (size_t)n;
		taken += (size_t)n;
		while ((newline = memchr(buffer_bytes(pending), '\n',
		    buffer_length(pending))) != NULL) {
			size_t length = (size_t)(newline -
			    buffer_bytes(pending));

			worker_log_line(a, now, plugin, buffer_bytes(pending),
			    length);
			buffer_consume(pending, length + 1);
		}
		/* A line without end: cut it rather than hold it. */
		if (buffer_length(pending) > LOG_LINE_MAX) {
			worker_log_line(a, now, plugin, buffer_bytes(pending),
			    buffer_length(pending));
			buffer_clear(pending);
		}
	}
	if (eof && buffer_length(pending) > 0) {
		worker_log_line(a, now, plugin, buffer_bytes(pending),
		    buffer_length(pending));
		buffer_clear(pending);
	}
	return eof;
}
