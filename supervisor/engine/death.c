#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "../../ipc/wire.h"
#include "death.h"

static const char *
signal_name(int signal_number)
{
	const char *name = sigabbrev_np(signal_number);

	return name != NULL ? name : "unknown";
}

/* What its exit status means, for a worker that exited on its own. */
static void
judge_exit(const struct death_facts *f, int code, struct death_verdict *v)
{
	const char *said = f->said != NULL ? f->said : "";

	switch (code) {
	case WIRE_EXIT_MEMORY:
		v->kind = ERROR_MEMORY;
		snprintf(v->message, sizeof(v->message), "%.400s", f->said !=
		    NULL ? said : "the worker ran out of memory");
		return;
	case WIRE_EXIT_LOAD:
	case WIRE_EXIT_SETUP:
		if (f->loading) {
			v->type = code == WIRE_EXIT_LOAD ? DEATH_LOAD_FAILED :
			    DEATH_SETUP_FAILED;
			v->kind = code == WIRE_EXIT_LOAD ? ERROR_LOAD :
			    ERROR_SANDBOX;
			snprintf(v->message, sizeof(v->message), "%.400s",
			    f->said != NULL ? said : "the worker did not say "
			    "why");
			return;
		}
		/* Only a loading worker may end so: out of its state. */
		snprintf(v->message, sizeof(v->message), "the worker exited "
		    "with status %d, which only a worker that is loading may "
		    "give%s%.300s", code, f->said != NULL ? ": " : "", said);
		return;
	}
	snprintf(v->message, sizeof(v->message), "the worker exited with "
	    "status %d%s%.400s", code, f->said != NULL ? ": " : "", said);
}

void
death_classify(const struct death_facts *f, struct death_verdict *v)
{
	int status = f->status;

	memset(v, 0, sizeof(*v));
	v->type = DEATH_FAILED;
	v->kind = ERROR_CRASH;
	/* It never became the worker: a step before its exec failed. */
	if (f->spawn_error != NULL) {
		v->type = DEATH_SPAWN_FAILED;
		snprintf(v->message, sizeof(v->message), "%.500s",
		    f->spawn_error);
		return;
	}
	/* A worker says HELLO before it does anything else: one that
	 * exits first, sends anything else or stays silent is whatever
	 * --worker named, and no restart will change it.  A signal from
	 * elsewhere (the OOM killer) can end a real worker that early: that
	 * is judged as any other death below. */
	if (f->no_hello && (f->protocol_error != NULL || f->timed_out ||
	    WIFEXITED(status))) {
		v->type = DEATH_NOT_WORKER;
		if (f->protocol_error != NULL)
			snprintf(v->message, sizeof(v->message), "instead of "
			    "a HELLO, it %.400s", f->protocol_error);
		else if (f->timed_out)
			snprintf(v->message, sizeof(v->message), "it sent no "
			    "HELLO within %u ms", f->hello_timeout_ms);
		else
			snprintf(v->message, sizeof(v->message), "it exited "
			    "with status %d before its HELLO",
			    WEXITSTATUS(status));
		return;
	}
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
	if (f->retired) {
		v->type = DEATH_RETIRED;
		snprintf(v->message, sizeof(v->message), "replaced after its "
		    "Lua heap reached the memory limit");
		return;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
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
	} else if (WIFSIGNALED(status))
		snprintf(v->message, sizeof(v->message), "the worker was "
		    "killed by signal %d (SIG%s)", WTERMSIG(status),
		    signal_name(WTERMSIG(status)));
	else
		judge_exit(f, WEXITSTATUS(status), v);

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
