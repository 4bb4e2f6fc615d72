/* Every test suite: each test_<name>.c defines <name>_suite(). */
#ifndef LUAWARD_TESTS_SUITES_H
#define LUAWARD_TESTS_SUITES_H

#include <check.h>

#define SUITES(X) \
	X(reader) X(json) X(wire) X(dispatch) X(writer) X(policy) \
	X(stats) X(backoff) X(death) X(resolve) X(contract) X(hostile) X(limits) \
	X(chaos) X(check_command) X(selftest) X(cli)

/* Weak: a suite whose file is not linked is simply absent. */
#define DECLARE_SUITE(name) \
	Suite *name##_suite(void) __attribute__((weak));
SUITES(DECLARE_SUITE)

#endif
