/*
 * The reader of standard output went away (`luaward resolve | head -1`).
 *
 * luaward then ends as cat, grep, jq or git end in the same place: killed
 * by SIGPIPE, which a shell reports as status 141 and otherwise keeps
 * quiet about.  Neither of luaward's own statuses would be true: 0 says
 * every record was resolved and 1 says a record or a plugin failed, when
 * the run was only cut short by its reader; `set -o pipefail` still sees
 * that it was.  The commands that run workers ignore SIGPIPE while they
 * run (a worker's pipe can close under a write), so they see the closed
 * pipe as EPIPE, stop their workers, write what was asked for on stderr
 * (--stats), and only then die by the signal, saying nothing about it.
 */
#ifndef LUAWARD_SUPERVISOR_CLOSED_PIPE_H
#define LUAWARD_SUPERVISOR_CLOSED_PIPE_H

#include <stdbool.h>
#include <stdio.h>

/* Whether a write that failed with this errno found its reader gone. */
bool	 closed_pipe(int error_number);

/* Ends the process by SIGPIPE, whatever its disposition was. */
void	 closed_pipe_exit(void) __attribute__((noreturn));

/* Flushes a stream; a reader that went away ends the process by
 * closed_pipe_exit().  Returns 0, or -1 with errno for any other error. */
int	 closed_pipe_flush(FILE *);

#endif
