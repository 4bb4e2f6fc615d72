/* Every test suite: each test_<name>.c defines <name>_suite(). */
#ifndef LUAWARD_TESTS_SUITES_H
#define LUAWARD_TESTS_SUITES_H

#include <check.h>

#define SUITES(X) \
	X(reader) X(reader_text) X(reader_errors) X(reader_limits) \
	X(json) \
	X(wire) X(wire_framing) X(wire_hostile) X(wire_limits) \
	X(dispatch) X(result) X(writer) \
	X(policy) X(policy_include) X(policy_compile) \
	X(stats) X(stats_print) \
	X(backoff) X(death) X(resolve) X(contract) \
	X(hostile) X(hostile_tamper) X(hostile_output) \
	X(limits) X(chaos) X(check_command) X(selftest) X(cli)

/* Weak: a suite whose file is not linked is simply absent. */
#define DECLARE_SUITE(name) \
	Suite *name##_suite(void) __attribute__((weak));
SUITES(DECLARE_SUITE)

#endif
