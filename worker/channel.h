/*
 * The worker's end of its pipes: whole frames read from fd 0 (blocking) and
 * replies collected in memory, written to fd 1 before the next call starts
 * (serve_requests says why) and when the input ends.
 */
#ifndef LUAWARD_WORKER_CHANNEL_H
#define LUAWARD_WORKER_CHANNEL_H

#include <stdbool.h>

#include "../ipc/wire.h"

/* Returns 1 with a message, 0 at end of input; protocol errors end the
 * worker.  The message stays valid until the next call. */
int	 channel_receive(struct wire_message *);

/* The buffer replies are appended to. */
struct buffer *channel_output(void);

/* Writes everything buffered; returns -1 when the supervisor is gone. */
int	 channel_flush(void);
/* Writes the answers held back if they are old enough (a couple of ms) or
 * many enough; the worker calls it before each call, so that answers leave
 * in batches while the supervisor never waits long for one. */
int	 channel_flush_if_due(void);

/* Ends the worker after telling the supervisor why, best effort. */
void	 channel_fatal(int status, const char *kind, const char *format, ...)
	     __attribute__((noreturn, format(printf, 3, 4)));

#endif
