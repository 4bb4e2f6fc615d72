/* luaward policy show: what the kernel will enforce on every worker. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "../log.h"
#include "../options.h"
#include "../policy/policy.h"
#include "../setup.h"

int
cmd_policy(int argc, char **argv)
{
	struct options options;
	struct policy *policy;
	char error[1024], *path;
	bool shown = false;
	int first;

	options_defaults(&options);
	/* "policy show --policy FILE", even where getopt stops at the first
	 * operand (POSIXLY_CORRECT); "policy --policy FILE show" too. */
	if (argc >= 2 && strcmp(argv[1], "show") == 0) {
		argv[1] = argv[0];
		argc--;
		argv++;
		shown = true;
	}
	first = options_parse(&options, FOR_POLICY, "policy", "show",
	    "Parses and compiles the worker's seccomp policy and prints its "
	    "rules, then\nthe filter the kernel runs, in libseccomp's "
	    "pseudo-filter code.\nExit status 2 when the policy does not "
	    "parse or compile.", argc, argv);
	if (!shown) {
		if (first >= argc || strcmp(argv[first], "show") != 0)
			fatalx("usage: luaward policy show [--policy FILE] "
			    "(see luaward policy --help)");
		first++;
	}
	if (first < argc)
		fatalx("policy show: unexpected argument '%s'", argv[first]);
	path = setup_policy_path(&options);
	if ((policy = policy_load(path, error, sizeof(error))) == NULL)
		fatalx("%s", error);
	if (policy_show(policy, stdout) == -1 || fflush(stdout) == EOF) {
		policy_free(policy);
		fatal("writing the policy");
	}
	policy_free(policy);
	free(path);
	return EXIT_ALL_GOOD;
}
