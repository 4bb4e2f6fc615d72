/*
 * The test runner: every suite in one SRunner, so `make test` ends with
 * check's one summary line.  CK_RUN_SUITE / CK_RUN_CASE select.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"
#include "suites.h"

int
main(void)
{
	Suite *(*const constructors[])(void) = {
#define LIST(name) name##_suite,
		SUITES(LIST)
	};
	SRunner *runner;
	int failed, run;

	/* Every case's time cap stretches with the build and the machine,
	 * as every limit a test sets on luaward does (helpers.h).  check
	 * reads the multiplier when a case is created: before the suites
	 * are. */
	if (getenv("CK_TIMEOUT_MULTIPLIER") == NULL) {
		char factor[32];

		snprintf(factor, sizeof(factor), "%g", slowdown());
		setenv("CK_TIMEOUT_MULTIPLIER", factor, 1);
	}
	runner = srunner_create(NULL);
	for (size_t i = 0; i < sizeof(constructors) / sizeof(constructors[0]);
	    i++)
		srunner_add_suite(runner, constructors[i]());
	helpers_init();
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	run = srunner_ntests_run(runner);
	srunner_free(runner);
	helpers_cleanup();
	/* A misspelt CK_RUN_SUITE or CK_RUN_CASE selects nothing: that is
	 * no pass. */
	if (run == 0) {
		const char *suite = getenv("CK_RUN_SUITE");
		const char *tcase = getenv("CK_RUN_CASE");

		fflush(stdout);
		fprintf(stderr, "\nluaward-tests: no checks ran (CK_RUN_SUITE "
		    "\"%s\", CK_RUN_CASE \"%s\")\n", suite != NULL ? suite : "",
		    tcase != NULL ? tcase : "");
		return 1;
	}
	return failed == 0 ? 0 : 1;
}
