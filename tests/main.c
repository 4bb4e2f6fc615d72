/*
 * The test runner: every suite in one SRunner, so `make test` ends with
 * check's one summary line.  Suites are weak references: a suite file that
 * is not linked is simply absent.  CK_RUN_SUITE / CK_RUN_CASE select.
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
	SRunner *runner = NULL;
	int failed;

	for (size_t i = 0; i < sizeof(constructors) / sizeof(constructors[0]);
	    i++) {
		if (constructors[i] == NULL)
			continue;
		if (runner == NULL)
			runner = srunner_create(constructors[i]());
		else
			srunner_add_suite(runner, constructors[i]());
	}
	if (runner == NULL) {
		fprintf(stderr, "no test suites linked\n");
		return 1;
	}
	helpers_init();
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	helpers_cleanup();
	return failed == 0 ? 0 : 1;
}
