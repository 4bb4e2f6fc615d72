#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "log.h"

#define READ_CHUNK	(64 * 1024)
/* Answers held back while more requests wait: at most this long or this
 * much (the supervisor's kill grace is longer, see channel.h). */
#define FLUSH_INTERVAL_US	2000
#define FLUSH_BYTES		(64 * 1024)

static struct buffer input, output;
static struct wire_decoder *decoder;
static size_t pending_frame;	/* bytes of the frame last returned */
static uint64_t flushed_at;	/* monotonic_us() of the last flush */

struct buffer *
channel_output(void)
{
	return &output;
}

int
channel_flush_if_due(void)
{
	uint64_t now = monotonic_us();

	if (buffer_length(&output) == 0) {
		flushed_at = now;
		return 0;
	}
	if (buffer_length(&output) < FLUSH_BYTES &&
	    now - flushed_at < FLUSH_INTERVAL_US)
		return 0;
	return channel_flush();
}

int
channel_flush(void)
{
	flushed_at = monotonic_us();
	while (buffer_length(&output) > 0) {
		ssize_t n = write(1, buffer_bytes(&output),
		    buffer_length(&output));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buffer_consume(&output, (size_t)n);
	}
	return 0;
}

void
channel_fatal(int status, const char *kind, const char *format, ...)
{
	char message[WIRE_MAX_TEXT];
	va_list ap;
	int length;

	va_start(ap, format);
	length = vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	if (length < 0)
		length = 0;
	if ((size_t)length >= sizeof(message))
		length = sizeof(message) - 1;
	if (wire_put_error(&output, 0, kind, message, (size_t)length, 0) == 0 &&
	    channel_flush() == 0)
		_exit(status);
	/* Not even that: fd 2 is the supervisor's log pipe.  write(), not
	 * stdio, which would fstat() the descriptor under the filter. */
	{
		char line[WIRE_MAX_TEXT + 64];
		int n = snprintf(line, sizeof(line), "luaward-worker: %s: %s\n",
		    kind, message);

		if (n > 0)
			(void)!write(2, line, (size_t)n < sizeof(line) ?
			    (size_t)n : sizeof(line) - 1);
	}
	_exit(status);
}

int
channel_receive(struct wire_message *message)
{
	char error[256];
	const char *payload;
	size_t length;
	int r;

	buffer_consume(&input, pending_frame);
	pending_frame = 0;
	if (decoder == NULL && (decoder = wire_decoder_new()) == NULL)
		channel_fatal(WIRE_EXIT_MEMORY, "memory", "no memory for the "
		    "message decoder");
	while ((r = wire_frame(&input, &payload, &length, error,
	    sizeof(error))) == 0) {
		ssize_t n;

		/* Replies go out before the worker waits for more input. */
		if (channel_flush() == -1)
			_exit(WIRE_EXIT_DONE);
		if (buffer_reserve(&input, READ_CHUNK) == -1)
			channel_fatal(WIRE_EXIT_MEMORY, "memory",
			    "no memory for a %zu-byte input buffer",
			    buffer_length(&input) + READ_CHUNK);
		n = read(0, input.data + input.end,
		    input.capacity - input.end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			channel_fatal(WIRE_EXIT_PROTOCOL, "error",
			    "reading requests: %s", strerror(errno));
		if (n == 0) {
			if (buffer_length(&input) > 0)
				channel_fatal(WIRE_EXIT_PROTOCOL, "error",
				    "input ends inside a frame");
			return 0;
		}
		input.end += (size_t)n;
	}
	if (r == -1)
		channel_fatal(WIRE_EXIT_PROTOCOL, "error", "bad frame from "
		    "the supervisor: %s", error);
	if (wire_decode(decoder, payload, length, message, error,
	    sizeof(error)) == -1)
		channel_fatal(WIRE_EXIT_PROTOCOL, "error", "bad message from "
		    "the supervisor: %s", error);
	pending_frame = WIRE_HEADER_SIZE + length;
	return 1;
}
