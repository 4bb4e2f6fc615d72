/*
 * How a dead worker is judged (supervisor/engine/death.c): every rule, from the
 * facts alone.  The order matters: a protocol violation outweighs anything
 * the worker said, a seccomp kill outweighs a timeout, and a plugin whose
 * top level cannot run is a load failure rather than a crash to retry.
 */
#include <check.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>

#include "../ipc/wire.h"
#include "../supervisor/engine/death.h"
#include "suites.h"

/* Wait statuses as waitpid() reports them. */
#define EXITED(code)	((code) << 8)
#define SIGNALED(sig)	(sig)

static struct death_facts
facts(int status)
{
	struct death_facts f;

	memset(&f, 0, sizeof(f));
	f.status = status;
	f.load_timeout_ms = 1000;
	f.call_timeout_ms = 100;
	return f;
}

static struct death_verdict
judge(const struct death_facts *f)
{
	struct death_verdict v;

	death_classify(f, &v);
	return v;
}

/* What a test does not name: a field the rule in question leaves open. */
#define ANY	(-1)

/*
 * The verdict on f has type, kind and message, where not ANY (or NULL).
 * The message is in every failure: it says which rule decided.
 */
static void
expect(const struct death_facts *f, int type, int kind, const char *message)
{
	struct death_verdict v = judge(f);

	ck_assert_msg(type == ANY || (int)v.type == type,
	    "type %d, expected %d: %s", (int)v.type, type, v.message);
	ck_assert_msg(kind == ANY || (int)v.kind == kind,
	    "kind %d, expected %d: %s", (int)v.kind, kind, v.message);
	if (message != NULL)
		ck_assert_str_eq(v.message, message);
}

START_TEST(test_closed_and_idle_is_a_normal_end)
{
	struct death_facts f = facts(EXITED(0));

	f.closed_idle = true;
	expect(&f, DEATH_CLOSED, ANY, NULL);
	/* However it ended: it was asked to, and held nothing. */
	f.status = SIGNALED(SIGKILL);
	expect(&f, DEATH_CLOSED, ANY, NULL);
}
END_TEST

START_TEST(test_protocol_violation_on_the_way_out_is_still_a_crash)
{
	struct death_facts f = facts(EXITED(0));

	/* Asked to end and holding nothing, but it sent a bad message. */
	f.closed_idle = true;
	f.protocol_error = "answered request 9 while running none";
	expect(&f, DEATH_FAILED, ERROR_CRASH, "the worker answered request 9 "
	    "while running none; it was killed");
}
END_TEST

START_TEST(test_protocol_violation_is_a_crash_whatever_it_said)
{
	struct death_facts f = facts(SIGNALED(SIGKILL));

	f.protocol_error = "sent a malformed frame: too big";
	f.said = "claims a load error";
	f.violation = "blocked by the seccomp policy: openat (syscall 257)";
	expect(&f, DEATH_FAILED, ERROR_CRASH, "the worker sent a malformed "
	    "frame: too big; it was killed");
}
END_TEST

START_TEST(test_reported_violation_names_the_syscall)
{
	struct death_facts f = facts(SIGNALED(SIGSYS));

	f.violation = "blocked by the seccomp policy: socket (syscall 41)";
	expect(&f, DEATH_FAILED, ERROR_SANDBOX, f.violation);
}
END_TEST

START_TEST(test_silent_sigsys_is_still_the_sandbox)
{
	struct death_facts f = facts(SIGNALED(SIGSYS));

	expect(&f, ANY, ERROR_SANDBOX, "killed by the seccomp filter "
	    "(SIGSYS): a syscall outside the policy");
}
END_TEST

START_TEST(test_seccomp_outweighs_a_timeout)
{
	struct death_facts f = facts(SIGNALED(SIGSYS));

	f.timed_out = true;
	expect(&f, ANY, ERROR_SANDBOX, NULL);
}
END_TEST

START_TEST(test_deadline_kill_is_a_timeout)
{
	struct death_facts f = facts(SIGNALED(SIGKILL));

	f.timed_out = true;
	expect(&f, DEATH_FAILED, ERROR_TIMEOUT, "did not answer within 100 ms, "
	    "not even to its own deadline; the worker was killed");
}
END_TEST

START_TEST(test_top_level_that_cannot_finish_is_a_load_failure)
{
	struct death_facts f = facts(SIGNALED(SIGKILL));

	f.loading = true;
	f.timed_out = true;
	expect(&f, DEATH_LOAD_FAILED, ERROR_TIMEOUT, "top level: did not "
	    "finish loading within 1000 ms; the worker was killed");

	f = facts(SIGNALED(SIGSYS));
	f.loading = true;
	f.violation = "blocked by the seccomp policy: openat (syscall 257)";
	expect(&f, DEATH_LOAD_FAILED, ANY, "top level: blocked by the seccomp "
	    "policy: openat (syscall 257)");
}
END_TEST

START_TEST(test_crash_while_loading_is_retried)
{
	/* Killed from outside while starting: a restart may well work. */
	struct death_facts f = facts(SIGNALED(SIGKILL));

	f.loading = true;
	expect(&f, DEATH_FAILED, ERROR_CRASH, "the worker was killed by "
	    "signal 9 (SIGKILL)");
}
END_TEST

START_TEST(test_load_error_it_reported)
{
	struct death_facts f = facts(EXITED(WIRE_EXIT_LOAD));

	f.loading = true;
	f.said = "does not compile: x.lua:1: unexpected symbol";
	expect(&f, DEATH_LOAD_FAILED, ERROR_LOAD, f.said);
}
END_TEST

START_TEST(test_sandbox_setup_failure_it_reported)
{
	struct death_facts f = facts(EXITED(WIRE_EXIT_SETUP));

	f.loading = true;
	f.said = "landlock: the kernel has no Landlock";
	expect(&f, DEATH_SETUP_FAILED, ANY, f.said);
}
END_TEST

START_TEST(test_own_memory_exhausted_is_memory)
{
	struct death_facts f = facts(EXITED(WIRE_EXIT_MEMORY));

	f.said = "no memory for a reply";
	expect(&f, DEATH_FAILED, ERROR_MEMORY, NULL);
}
END_TEST

START_TEST(test_silent_exit_and_signal_are_crashes)
{
	struct death_facts f = facts(EXITED(3));

	expect(&f, ANY, ERROR_CRASH, "the worker exited with status 3");
	f = facts(SIGNALED(SIGSEGV));
	expect(&f, ANY, ERROR_CRASH, "the worker was killed by signal 11 "
	    "(SIGSEGV)");
}
END_TEST

START_TEST(test_long_messages_are_cut_not_overrun)
{
	char said[4096];
	struct death_facts f = facts(EXITED(WIRE_EXIT_LOAD));
	struct death_verdict v;

	memset(said, 'x', sizeof(said) - 1);
	said[sizeof(said) - 1] = '\0';
	f.loading = true;
	f.said = said;
	v = judge(&f);
	ck_assert_uint_eq(strlen(v.message), 400);
}
END_TEST

START_TEST(test_violation_report_without_sigsys_is_not_the_sandbox)
{
	/* It reported a violation but died some other way: the report is
	 * only words; the signal decides. */
	struct death_facts f = facts(SIGNALED(SIGSEGV));

	f.violation = "blocked by the seccomp policy: socket (syscall 41)";
	expect(&f, DEATH_FAILED, ERROR_CRASH, "the worker was killed by "
	    "signal 11 (SIGSEGV)");
	f.status = EXITED(0);
	expect(&f, ANY, ERROR_CRASH, NULL);
}
END_TEST

START_TEST(test_load_exit_after_ready_is_a_crash_not_a_load_failure)
{
	/* A worker that was serving cannot disable its plugin for good by
	 * claiming a load failure: out of its state, it is a crash. */
	struct death_facts f = facts(EXITED(WIRE_EXIT_LOAD));

	f.said = "does not compile: pretend";
	expect(&f, DEATH_FAILED, ERROR_CRASH, "the worker exited with status "
	    "67, which only a worker that is loading may give: does not "
	    "compile: pretend");
	f.status = EXITED(WIRE_EXIT_SETUP);
	expect(&f, DEATH_FAILED, ERROR_CRASH, NULL);
}
END_TEST

START_TEST(test_what_it_said_never_decides_the_kind)
{
	/* Last words about a load error, then a plain exit: a crash. */
	struct death_facts f = facts(EXITED(1));

	f.said = "load: claims";
	expect(&f, DEATH_FAILED, ERROR_CRASH, "the worker exited with status "
	    "1: load: claims");
}
END_TEST

START_TEST(test_retired_worker_blames_nothing)
{
	struct death_facts f = facts(SIGNALED(SIGKILL));

	f.retired = true;
	expect(&f, DEATH_RETIRED, ANY, NULL);
	/* A protocol violation still outweighs it. */
	f.protocol_error = "sent an unexpected HELLO message";
	expect(&f, DEATH_FAILED, ERROR_CRASH, NULL);
}
END_TEST

/* A worker says HELLO before anything else: whatever ended before it,
 * and not by the supervisor's hand, is no luaward worker, and no restart
 * will make it one. */
START_TEST(test_no_hello_is_not_a_worker_however_it_ended)
{
	static const struct {
		int		 status;
		bool		 timed_out;
		const char	*protocol_error;
		const char	*message;
	} cases[] = {
		{ EXITED(0), false, NULL,
		    "it exited with status 0 before its HELLO" },
		{ EXITED(1), false, NULL,
		    "it exited with status 1 before its HELLO" },
		{ SIGNALED(SIGKILL), true, NULL,
		    "it sent no HELLO within 10000 ms" },
		{ SIGNALED(SIGKILL), false, "sent a malformed frame: too big",
		    "instead of a HELLO, it sent a malformed frame: too big" },
		/* The statuses of a loading worker mean nothing this early. */
		{ EXITED(WIRE_EXIT_SETUP), false, NULL,
		    "it exited with status 66 before its HELLO" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct death_facts f = facts(cases[i].status);

		f.no_hello = true;
		f.loading = true;
		f.hello_timeout_ms = 10000;
		f.timed_out = cases[i].timed_out;
		f.protocol_error = cases[i].protocol_error;
		expect(&f, DEATH_NOT_WORKER, ANY, cases[i].message);
	}
}
END_TEST

/* Once it said HELLO, an early end is the plugin's or the sandbox's, as
 * before; and a signal from elsewhere can end a real worker even before
 * its HELLO: a failure to retry, not a verdict on the binary. */
START_TEST(test_early_end_after_hello_or_by_signal_is_a_failure)
{
	struct death_facts f = facts(EXITED(0));

	f.loading = true;
	expect(&f, DEATH_FAILED, ANY, "the worker exited with status 0");

	f = facts(SIGNALED(SIGKILL));
	f.loading = true;
	f.no_hello = true;
	expect(&f, DEATH_FAILED, ERROR_CRASH, "the worker was killed by "
	    "signal 9 (SIGKILL)");
}
END_TEST

Suite *
death_suite(void)
{
	Suite *s = suite_create("death");
	TCase *t = tcase_create("classify");

	tcase_add_test(t, test_closed_and_idle_is_a_normal_end);
	tcase_add_test(t, test_protocol_violation_on_the_way_out_is_still_a_crash);
	tcase_add_test(t, test_protocol_violation_is_a_crash_whatever_it_said);
	tcase_add_test(t, test_reported_violation_names_the_syscall);
	tcase_add_test(t, test_silent_sigsys_is_still_the_sandbox);
	tcase_add_test(t, test_seccomp_outweighs_a_timeout);
	tcase_add_test(t, test_deadline_kill_is_a_timeout);
	tcase_add_test(t, test_top_level_that_cannot_finish_is_a_load_failure);
	tcase_add_test(t, test_crash_while_loading_is_retried);
	tcase_add_test(t, test_load_error_it_reported);
	tcase_add_test(t, test_sandbox_setup_failure_it_reported);
	tcase_add_test(t, test_own_memory_exhausted_is_memory);
	tcase_add_test(t, test_silent_exit_and_signal_are_crashes);
	tcase_add_test(t, test_long_messages_are_cut_not_overrun);
	tcase_add_test(t, test_violation_report_without_sigsys_is_not_the_sandbox);
	tcase_add_test(t, test_load_exit_after_ready_is_a_crash_not_a_load_failure);
	tcase_add_test(t, test_what_it_said_never_decides_the_kind);
	tcase_add_test(t, test_retired_worker_blames_nothing);
	tcase_add_test(t, test_no_hello_is_not_a_worker_however_it_ended);
	tcase_add_test(t, test_early_end_after_hello_or_by_signal_is_a_failure);
	suite_add_tcase(s, t);
	return s;
}
