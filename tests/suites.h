/* Every test suite: each test_<name>.c defines <name>_suite(), and is
 * listed here once. */
#ifndef LUAWARD_TESTS_SUITES_H
#define LUAWARD_TESTS_SUITES_H

#include <check.h>

#define SUITES(X) \
	X(reader) X(reader_text) X(reader_errors) X(reader_limits) \
	X(reader_resync) X(reader_recovery) X(reader_watch) \
	X(json) X(utf8) \
	X(wire) X(wire_forms) X(wire_framing) X(wire_hostile) X(wire_limits) \
	X(dispatch) X(result) \
	X(policy) X(policy_include) X(policy_compile) \
	X(stats) X(stats_print) \
	X(backoff) X(death) X(spawn) X(resolve) \
	X(hostile) X(hostile_tamper) X(hostile_output) \
	X(limits) X(chaos) X(check_command) X(selftest) X(cli) \
	X(cli_help) X(closed_pipe) X(startup_errors) \
	X(worker_faults) X(run_edges) X(worker_direct) \
	X(deadlines) X(claims) X(sanitize) X(plugin_files) \
	X(owner) X(deepflow_argument) X(worker_uids) X(worker_identity) \
	X(dkjson_native) \
	X(heap) \
	X(precompiled) \
	X(store) X(store_damage) X(store_crash) X(control) \
	X(control_limits) X(control_hostile) \
	X(testfile) X(plugin_test_command) X(kubectl) \
	X(install) X(diagnostics) \
	X(serve) X(serve_lifecycle) X(serve_clients) X(serve_churn) \
	X(serve_query) X(serve_ops)

/* No suite can drop out of the count unnoticed: one listed here without
 * its file fails to link, and a file not listed here fails to compile
 * (-Wmissing-prototypes). */
#define DECLARE_SUITE(name) \
	Suite *name##_suite(void);
SUITES(DECLARE_SUITE)

#endif
