/*
 * luaward: runs DeepFlow-style Lua workload plugins, each in its own
 * sandboxed worker process.  The commands are one table.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/commands.h"
#include "log.h"
#include "options.h"

static const struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*summary;
} commands[] = {
	{ "resolve", cmd_resolve,
	    "resolve pods read from files or stdin with the plugins" },
	{ "policy", cmd_policy,
	    "show the compiled seccomp policy (luaward policy show)" },
	{ "check", cmd_check,
	    "load plugin files in the sandbox and report on them" },
	{ "selftest", cmd_selftest,
	    "prove every sandbox layer from inside a worker" },
	{ "serve", cmd_serve,
	    "run the plugin service on a control socket" },
	{ "plugin", cmd_plugin,
	    "create, list, delete or reset the plugins of luaward serve" },
	{ "query", cmd_query,
	    "resolve pods with luaward serve's plugins" },
	{ "stats", cmd_stats,
	    "print luaward serve's counters" },
	{ "test", cmd_test,
	    "run plugin test files: expected workload of each pod" },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: luaward COMMAND [options] [arguments]\n"
	    "       luaward help [COMMAND] | --help | --version\n\n"
	    "Runs DeepFlow-style Lua workload plugins (GetWorkloadTypeAndName)"
	    "\nsafely: one seccomp-confined worker process per plugin, with "
	    "timeouts,\nmemory caps and restarts.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out, "\n'luaward help COMMAND' (or 'luaward COMMAND --help') "
	    "describes each command\nand its options.\n");
}

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* luaward help [COMMAND]: the overview, or exactly what COMMAND --help
 * prints (the command prints it and exits). */
static int
help(int argc, char **argv)
{
	const struct command *command;
	char *help_argv[] = { NULL, (char *)"--help", NULL };

	if (argc < 3) {
		usage(stdout);
		return EXIT_ALL_GOOD;
	}
	if (argc > 3)
		fatalx("help takes one COMMAND, not '%s' too (see luaward "
		    "--help)", argv[3]);
	if ((command = find_command(argv[2])) == NULL)
		fatalx("help: unknown command '%s' (see luaward --help)",
		    argv[2]);
	help_argv[0] = argv[2];
	return command->run(2, help_argv);
}

/*
 * Started with fd 0, 1 or 2 closed, luaward would read its records from,
 * or write its results over, whatever file next took that number: each
 * closed standard descriptor becomes /dev/null before anything is opened.
 */
static void
standard_descriptors(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) {
			/* Nothing can be said: stderr may be what is
			 * missing. */
			_exit(EXIT_USAGE);
		}
	}
}

int
main(int argc, char **argv)
{
	const struct command *command;

	standard_descriptors();
	/* Inherited as ignored, SIGPIPE would turn `| head` into a write
	 * error; a closed output ends luaward by it (closed_pipe.h). */
	signal(SIGPIPE, SIG_DFL);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_ALL_GOOD;
	}
	if (strcmp(argv[1], "help") == 0)
		return help(argc, argv);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		options_print_version();
		return EXIT_ALL_GOOD;
	}
	if ((command = find_command(argv[1])) != NULL)
		return command->run(argc - 1, argv + 1);
	fprintf(stderr, "luaward: unknown command '%s' (see luaward --help)\n",
	    argv[1]);
	return EXIT_USAGE;
}
