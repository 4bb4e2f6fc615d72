/*
 * How a worker ended, decided once it is reaped: from what it said last,
 * what the supervisor did to it, and its exit status.  A pure function, so
 * that every rule is tested without a process.
 */
#ifndef LUAWARD_SUPERVISOR_DEATH_H
#define LUAWARD_SUPERVISOR_DEATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"

enum death_type {
	DEATH_CLOSED,		/* exited after its input was closed */
	DEATH_LOAD_FAILED,	/* the plugin did not load: do not restart */
	DEATH_SETUP_FAILED,	/* a sandbox layer could not be applied */
	DEATH_RETIRED,		/* replaced on purpose: blame nothing held */
	DEATH_FAILED,		/* anything else: restart */
	DEATH_NOT_WORKER,	/* no HELLO: the binary is no luaward worker */
	DEATH_SPAWN_FAILED,	/* a step between its fork and exec failed */
};

/*
 * What the supervisor observed when the worker is reaped.  Only the exit
 * status, the signal and what the supervisor itself did decide the
 * verdict; what the worker said about itself (its last words, a reported
 * violation) only words the message, since a worker can say anything.
 */
struct death_facts {
	int		 status;	/* from waitpid() */
	bool		 loading;	/* it had not said READY */
	bool		 closed_idle;	/* asked to end, holding nothing */
	const char	*protocol_error;	/* what it sent that was bad */
	const char	*violation;	/* its VIOLATION report, as text */
	bool		 timed_out;	/* the supervisor killed it, late */
	bool		 retired;	/* the supervisor replaced it */
	/* It ended before its HELLO, and not because the supervisor ended
	 * it: it exited, died, broke the protocol or said nothing.  All but
	 * a death by signal make it DEATH_NOT_WORKER. */
	bool		 no_hello;
	uint32_t	 load_timeout_ms, call_timeout_ms;
	uint32_t	 hello_timeout_ms;
	const char	*said;		/* its ERROR about itself, or NULL */
	/* Why it could not be started (spawn_continue()), or NULL. */
	const char	*spawn_error;
};

struct death_verdict {
	enum death_type	 type;
	enum error_kind	 kind;		/* for the request it was running */
	char		 message[512];
};

void	 death_classify(const struct death_facts *, struct death_verdict *);

#endif
