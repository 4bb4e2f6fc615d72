/*
 * What the supervisor writes on a worker's stdin, as the worker receives
 * it: any bytes, in reads of any size, through the same buffer handling as
 * worker/channel.c's channel_receive() (which reads fd 0 and ends the
 * process on the first bad frame, so it is mirrored here rather than
 * called) and worker/main.c's order: one LOAD, then REQUESTs only.
 *
 * What the worker then does with a LOAD (the Lua state, the sandbox) and
 * with a REQUEST's metadata (the plugin call) is not reached here: those
 * run Lua and seal the process.
 *
 * Input: byte 0 picks the read sizes (fuzz_wire.h); the rest is the stream.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_wire.h"

#define READ_CHUNK	(64 * 1024)	/* as channel.c reads */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct channel {
	struct buffer		 input;
	size_t			 pending_frame;
	struct wire_check	 check;
	struct reads		 reads;
	const uint8_t		*data;
	size_t			 size, at;
};

/* channel_receive(): 1 with a message, 0 at the end of the input or on
 * the first bad frame or message (where the worker exits). */
static int
receive(struct channel *c, struct wire_message *message)
{
	char error[256];
	const char *payload;
	size_t length;
	int r;

	buffer_consume(&c->input, c->pending_frame);
	c->pending_frame = 0;
	while ((r = wire_frame(&c->input, &payload, &length, error,
	    sizeof(error))) == 0) {
		size_t n;

		INVARIANT(buffer_reserve(&c->input, READ_CHUNK) == 0,
		    "out of memory");
		if (c->at == c->size)
			return 0;	/* at the end, or inside a frame */
		n = c->reads.whole ? c->size - c->at :
		    reads_next(&c->reads, c->size - c->at);
		if (n > c->input.capacity - c->input.end)
			n = c->input.capacity - c->input.end;
		memcpy(c->input.data + c->input.end, c->data + c->at, n);
		c->input.end += n;
		c->at += n;
	}
	if (r == -1) {
		INVARIANT(error[0] != '\0', "a frame refused silently");
		return 0;
	}
	INVARIANT(length >= 1 && length <= WIRE_MAX_MESSAGE &&
	    WIRE_HEADER_SIZE + length <= buffer_length(&c->input),
	    "a frame of %zu bytes from %zu", length,
	    buffer_length(&c->input));
	if (checked_decode(&c->check, payload, length, message) == -1)
		return 0;
	c->pending_frame = WIRE_HEADER_SIZE + length;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_message message;
	struct channel c;

	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	wire_check_init(&c.check);
	reads_init(&c.reads, data[0]);
	c.data = data;
	c.size = size;
	c.at = 1;
	/* main(): a LOAD first, then serve_requests(): REQUESTs only. */
	if (receive(&c, &message) == 1 && message.type == WIRE_LOAD) {
		while (receive(&c, &message) == 1 &&
		    message.type == WIRE_REQUEST)
			INVARIANT(message.u.request.metadata.length <=
			    WIRE_MAX_METADATA, "metadata too long");
	}
	wire_check_free(&c.check);
	buffer_free(&c.input);
	return 0;
}
