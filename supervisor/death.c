#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "../ipc/wire.h"
#include "death.h"

static const char *
signal_name(int signal_number)
{
	const char *name = sigabbrev_np(signal_number);

	return name != NULL ? name : "unknown";
}

void
death_classify(const struct death_facts *f, struct death_verdict *v)
{
	int status = f->status;

	memset(v, 0, sizeof(*v));
	v->type = DEATH_FAILED;
	v->kind = ERROR_CRASH;
	if (f->protocol_error != NULL) {
		/* A worker that broke the protocol is a crash whatever else
		 * it said, even on its way out after its last request:
		 * nothing it said can be believed. */
		snprintf(v->message, sizeof(v->message), "the worker %.400s; "
		    "it was killed", f->protocol_error);
		return;
	}
	if (f->closed_idle) {
		v->type = DEATH_CLOSED;
		snprintf(v->message, sizeof(v->message), "exited");
		return;
	}
	if (f->violation != NULL || (WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGSYS)) {
		v->kind = ERROR_SANDBOX;
		snprintf(v->message, sizeof(v->message), "%.400s",
		    f->violation != NULL ? f->violation : "killed by the "
		    "seccomp filter (SIGSYS): a syscall outside the policy");
	} else if (f->timed_out) {
		v->kind = ERROR_TIMEOUT;
		if (f->loading)
			snprintf(v->message, sizeof(v->message), "did not "
			    "finish loading within %u ms; the worker was "
			    "killed", f->load_timeout_ms);
		else
			snprintf(v->message, sizeof(v->message), "did not "
			    "answer within %u ms, not even to its own "
			    "deadline; the worker was killed",
			    f->call_timeout_ms);
	} else if (f->said_error) {
		v->kind = f->said_kind;
		snprintf(v->message, sizeof(v->message), "%.400s", f->said);
		if (WIFEXITED(status) && WEXITSTATUS(status) == WIRE_EXIT_LOAD)
			v->type = DEATH_LOAD_FAILED;
		else if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == WIRE_EXIT_SETUP)
			v->type = DEATH_SETUP_FAILED;
		else if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == WIRE_EXIT_MEMORY)
			v->kind = ERROR_MEMORY;
	} else if (WIFSIGNALED(status))
		snprintf(v->message, sizeof(v->message), "the worker was "
		    "killed by signal %d (SIG%s)", WTERMSIG(status),
		    signal_name(WTERMSIG(status)));
	else
		snprintf(v->message, sizeof(v->message), "the worker exited "
		    "with status %d", WEXITSTATUS(status));

	/* A plugin whose top level cannot run is a load failure, whatever
	 * stopped it (not a crash from outside, which a restart may fix). */
	if (f->loading && v->type == DEATH_FAILED &&
	    (v->kind == ERROR_SANDBOX || v->kind == ERROR_TIMEOUT ||
	    v->kind == ERROR_MEMORY)) {
		char message[sizeof(v->message)];

		snprintf(message, sizeof(message), "top level: %.480s",
		    v->message);
		snprintf(v->message, sizeof(v->message), "%s", message);
		v->type = DEATH_LOAD_FAILED;
	}
}
