#include <stdio.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "log.h"

static uint32_t rate = 10, burst = 100;
static double tokens = 100;
static uint64_t last_refill;
static uint64_t dropped;

uint64_t
monotonic_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
}

uint64_t
monotonic_ms(void)
{
	return monotonic_us() / 1000;
}

void
log_configure(uint32_t lines_per_second, uint32_t lines_burst)
{
	rate = lines_per_second;
	burst = lines_burst;
	tokens = burst;
	last_refill = monotonic_ms();
}

void
log_line(const char *text, size_t length)
{
	char line[LOG_MAX_LINE + 3];
	uint64_t now = monotonic_ms();

	tokens += (double)(now - last_refill) * rate / 1000.0;
	if (tokens > burst)
		tokens = burst;
	last_refill = now;
	if (tokens < 1) {
		dropped++;
		return;
	}
	tokens -= 1;
	if (length > LOG_MAX_LINE) {
		memcpy(line, text, LOG_MAX_LINE);
		memcpy(line + LOG_MAX_LINE, "...", 3);
		text = line;
		length = LOG_MAX_LINE + 3;
	}
	/* Out of memory: the line is lost, the reply that follows is not.
	 * The lines dropped so far are counted by the supervisor. */
	if (wire_put_log(channel_output(), text, length, dropped) == 0)
		dropped = 0;
}

void
log_report_dropped(void)
{
	/* An empty LOG only carries the count. */
	if (dropped > 0 && wire_put_log(channel_output(), "", 0, dropped) == 0)
		dropped = 0;
}
