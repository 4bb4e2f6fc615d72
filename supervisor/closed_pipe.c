#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "closed_pipe.h"

bool
closed_pipe(int error_number)
{
	return error_number == EPIPE;
}

void
closed_pipe_exit(void)
{
	sigset_t pipe;

	/* Default action, unblocked: the signal ends the process at once. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &pipe, NULL);
	raise(SIGPIPE);
	/* Not reached; should it be, the status a shell would show. */
	_exit(128 + SIGPIPE);
}

int
closed_pipe_flush(FILE *stream)
{
	struct pollfd p = { .fd = fileno(stream), .events = 0 };
	int error;

	errno = 0;
	if (fflush(stream) == 0 && !ferror(stream))
		return 0;
	/* An earlier write may have failed, its errno since lost: a pipe
	 * that has no reader says so to poll(2), as an error. */
	error = errno;
	if (closed_pipe(error) || (p.fd >= 0 && poll(&p, 1, 0) == 1 &&
	    (p.revents & POLLERR)))
		closed_pipe_exit();
	errno = error != 0 ? error : EIO;
	return -1;
}
