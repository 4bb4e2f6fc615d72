/*
 * The test runner: every suite in one SRunner, so `make test` ends with
 * check's one summary line.  CK_RUN_SUITE / CK_RUN_CASE select.
 */
#include <check.h>
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
	SRunner *runner = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < sizeof(constructors) / sizeof(constructors[0]);
	    i++)
		srunner_add_suite(runner, constructors[i]());
	helpers_init();
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	helpers_cleanup();
	return failed == 0 ? 0 : 1;
}
