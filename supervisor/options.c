#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipc/control.h"
#include "log.h"
#include "options.h"
#include "paths.h"
#include "input/reader.h"
#include "version.h"
#include "spawn/worker_uids.h"

enum option_id {
	OPT_PLUGINS = 256, OPT_WORKER, OPT_POLICY, OPT_TIMEOUT,
	OPT_LOAD_TIMEOUT, OPT_MEMORY, OPT_WORKERS, OPT_USER, OPT_NAMESPACES,
	OPT_LANDLOCK, OPT_MAX_RECORD, OPT_MAX_DEPTH, OPT_MAX_RESTARTS,
	OPT_RESTART_WINDOW, OPT_RESTART_DELAY, OPT_STATS, OPT_PODS,
	OPT_STATS_FILE,
	OPT_ALLOW_INSECURE_PLUGINS,
	OPT_WORKER_UIDS,
	OPT_STATE_DIR, OPT_SOCKET, OPT_SOCKET_MODE, OPT_SOCKET_GROUP,
	OPT_MAX_CONNECTIONS, OPT_CLIENT_TIMEOUT, OPT_METRICS_FILE,
	OPT_TYPE, OPT_IMAGE, OPT_NAME, OPT_REPLACE, OPT_BEFORE, OPT_AFTER,
	OPT_FALLBACK, OPT_ARGUMENT, OPT_STRICT,
	/* Below 256: the option has this short form too. */
	OPT_OUTPUT = 'o', OPT_VERBOSE = 'v', OPT_HELP = 'h', OPT_VERSION = 'V',
};

#define PLUGIN_RUNNERS	(FOR_RESOLVE | FOR_CHECK | FOR_SELFTEST | FOR_SERVE | \
			 FOR_TEST)
/* The commands that run records through a chain of several plugins. */
#define RECORD_RUNNERS	(FOR_RESOLVE | FOR_SERVE | FOR_TEST)
#define ALL_COMMANDS	(PLUGIN_RUNNERS | FOR_POLICY | FOR_CLIENT)

static const struct option_row {
	enum option_id	 id;
	const char	*name;
	const char	*argument;	/* NULL: a flag */
	unsigned	 commands;
	const char	*help;
} rows[] = {
	{ OPT_PLUGINS, "plugins", "DIR", FOR_RESOLVE | FOR_TEST,
	    "the plugins: every *.lua in DIR, called in file-name order\n"
	    "(default: plugins/ in the build tree, else\n"
	    LUAWARD_DATADIR "/plugins)" },
	{ OPT_PODS, "pods", "FILE", FOR_CHECK,
	    "also run each plugin on the pods in FILE and print the results" },
	{ OPT_OUTPUT, "output", "FORMAT", FOR_CHECK,
	    "json: one JSON report on stdout instead of the text report\n"
	    "on stderr (see luaward(1))" },
	{ OPT_STRICT, "strict", NULL, FOR_RESOLVE | FOR_TEST,
	    "a plugin that does not load, or no plugin at all, is an\n"
	    "error (status 2) before any record is read" },
	{ OPT_TIMEOUT, "timeout", "MS", PLUGIN_RUNNERS,
	    "time limit of one plugin call (default 100; 0: none)" },
	{ OPT_LOAD_TIMEOUT, "load-timeout", "MS", PLUGIN_RUNNERS,
	    "time limit of a plugin's top level at load (default 1000)" },
	{ OPT_MEMORY, "memory", "MB", PLUGIN_RUNNERS,
	    "memory cap of each worker's Lua state (default 64)" },
	{ OPT_WORKERS, "workers", "N", FOR_RESOLVE | FOR_SERVE,
	    "worker processes per plugin (default: one per core,\n"
	    "at most 4)" },
	{ OPT_WORKERS, "workers", "N", FOR_TEST,
	    "worker processes per plugin (default 1: cases run one at a\n"
	    "time, and a plugin's globals carry from one to the next)" },
	{ OPT_MAX_RESTARTS, "max-restarts", "N", RECORD_RUNNERS,
	    "quarantine a plugin whose workers fail more than N times\n"
	    "within the restart window (default 5)" },
	{ OPT_RESTART_WINDOW, "restart-window", "S", RECORD_RUNNERS,
	    "the window for --max-restarts, in seconds (default 10)" },
	{ OPT_RESTART_DELAY, "restart-delay", "MS", RECORD_RUNNERS,
	    "first restart delay, doubled per failure up to 2 s (default 2:\n"
	    "a replacement answers within milliseconds; quarantine, not\n"
	    "the delay, stops a plugin that keeps failing)" },
	{ OPT_MAX_RECORD, "max-record-size", "BYTES", RECORD_RUNNERS,
	    "largest record accepted, as compact JSON (default 2097152)" },
	{ OPT_MAX_DEPTH, "max-depth", "N", RECORD_RUNNERS,
	    "deepest nesting accepted in a record (default 128)" },
	{ OPT_FALLBACK, "fallback", "MODE", RECORD_RUNNERS,
	    "when no plugin decides: none (unresolved), or owner: the\n"
	    "workload the pod's ownerReferences name, marked\n"
	    "\"plugin\":\"(owner)\" (default none)" },
	{ OPT_ARGUMENT, "argument", "FORM", RECORD_RUNNERS,
	    "what plugins get: compact (the metadata as it came, keys in\n"
	    "input order) or deepflow (exactly the bytes DeepFlow's Go\n"
	    "controller passes: keys sorted, <>& escaped...) (default\n"
	    "compact)" },
	{ OPT_STATS, "stats", "[=json]", FOR_RESOLVE,
	    "print statistics to stderr at the end (human or JSON), also\n"
	    "when a signal ends the run" },
	{ OPT_STATS_FILE, "stats-file", "PATH", FOR_RESOLVE,
	    "write the statistics to PATH instead of stderr (implies\n"
	    "--stats)" },
	{ OPT_POLICY, "policy", "FILE", ALL_COMMANDS,
	    "the seccomp policy (default: policies/worker.policy in the\n"
	    "build tree, else " LUAWARD_DATADIR "/worker.policy)" },
	{ OPT_WORKER, "worker", "PATH", PLUGIN_RUNNERS,
	    "the worker binary (default: luaward-worker beside luaward\n"
	    "in the build tree, else in " LUAWARD_LIBEXECDIR ")" },
	{ OPT_USER, "user", "NAME", PLUGIN_RUNNERS,
	    "when started as root, the user workers run as when the\n"
	    "--worker-uids range cannot be used or is off (default nobody)" },
	{ OPT_WORKER_UIDS, "worker-uids", "FIRST-LAST", PLUGIN_RUNNERS,
	    "when started as root, each worker slot runs under a uid of its\n"
	    "own from this range, or 'off' (default "
	    WORKER_UIDS_DEFAULT_TEXT ")" },
	{ OPT_NAMESPACES, "namespaces", "MODE", PLUGIN_RUNNERS,
	    "new user/pid/net/ipc/mount namespaces: auto (where the kernel\n"
	    "allows), require, or off (default auto)" },
	{ OPT_LANDLOCK, "landlock", "MODE", PLUGIN_RUNNERS,
	    "Landlock with no filesystem access: auto, require or off\n"
	    "(default auto)" },
	{ OPT_ALLOW_INSECURE_PLUGINS, "allow-insecure-plugins", NULL,
	    FOR_RESOLVE | FOR_CHECK | FOR_TEST,
	    "use plugin files and directories that another user could\n"
	    "change (owned by someone else, group- or world-writable)" },
	{ OPT_STATE_DIR, "state-dir", "DIR", FOR_SERVE,
	    "where the plugins are kept (default /var/lib/luaward)" },
	{ OPT_SOCKET, "socket", "PATH", FOR_SERVE | FOR_CLIENT,
	    "the control socket (default /run/luaward/luaward.sock)" },
	{ OPT_TYPE, "type", "TYPE", FOR_CLIENT,
	    "plugin create: the plugin's language; only lua" },
	{ OPT_IMAGE, "image", "FILE", FOR_CLIENT,
	    "plugin create: the plugin's source file (- for stdin)" },
	{ OPT_NAME, "name", "NAME", FOR_CLIENT,
	    "plugin create: its name, 1 to 64 of A-Z a-z 0-9 . _ -,\n"
	    "starting with a letter or a digit" },
	{ OPT_REPLACE, "replace", NULL, FOR_CLIENT,
	    "plugin create: replace a plugin of that name (it keeps its\n"
	    "place unless --before or --after says otherwise)" },
	{ OPT_BEFORE, "before", "NAME", FOR_CLIENT,
	    "plugin create: put it right before plugin NAME" },
	{ OPT_AFTER, "after", "NAME", FOR_CLIENT,
	    "plugin create: put it right after plugin NAME" },
	{ OPT_OUTPUT, "output", "FORMAT", FOR_CLIENT,
	    "plugin list, stats: -o json for JSON instead of text" },
	{ OPT_SOCKET_MODE, "socket-mode", "MODE", FOR_SERVE,
	    "the socket's permissions, octal (default 0600: only the\n"
	    "daemon's user may connect)" },
	{ OPT_SOCKET_GROUP, "socket-group", "GROUP", FOR_SERVE,
	    "the socket's group, which --socket-mode may let in (e.g.\n"
	    "--socket-group luaward --socket-mode 0660)" },
	{ OPT_MAX_CONNECTIONS, "max-connections", "N", FOR_SERVE,
	    "clients at once; more are refused with a reason (default 64)" },
	{ OPT_CLIENT_TIMEOUT, "client-timeout", "S", FOR_SERVE,
	    "drop a client stuck on its side this long (default 60)" },
	{ OPT_METRICS_FILE, "metrics-file", "PATH", FOR_SERVE,
	    "write Prometheus metrics to PATH every 5 s, atomically\n"
	    "(for node_exporter's textfile collector)" },
	{ OPT_VERBOSE, "verbose", NULL, PLUGIN_RUNNERS,
	    "say more: the sandbox layers of each plugin, and progress" },
	{ OPT_HELP, "help", NULL, ALL_COMMANDS, "show this help" },
	{ OPT_VERSION, "version", NULL, ALL_COMMANDS,
	    "print luaward's version" },
};

#define ROW_COUNT	(sizeof(rows) / sizeof(rows[0]))

/*
 * Workers per plugin unless --workers says: one per online core, at most
 * four.  The supervisor needs a core of its own, and the plugins of a chain
 * already give as many processes as there are plugins; but every record
 * passes the first plugin, whose one worker then carries a third of the
 * run's CPU and waits in turn on the supervisor, so a second worker for
 * each plugin keeps a core busy while the other's answers are read (on two
 * cores, 150,000 pods through three plugins took 1.85 s with two workers
 * against 2.36 s with one and 1.92 s with three, for the same CPU as one).
 * Past four the supervisor, a single core, is the limit: it feeds about
 * three cores of worker time.
 */
static unsigned
default_workers(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return cores < 1 ? 1 : cores > 4 ? 4 : (unsigned)cores;
}

void
options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->user = "nobody";
	o->worker_uid_first = WORKER_UIDS_DEFAULT_FIRST;
	o->worker_uid_last = WORKER_UIDS_DEFAULT_LAST;
	o->timeout_ms = 100;
	o->load_timeout_ms = 1000;
	o->memory_mb = 64;
	o->workers = default_workers();
	o->namespaces = WIRE_MODE_AUTO;
	o->landlock = WIRE_MODE_AUTO;
	o->max_record = READER_DEFAULT_MAX_RECORD;
	o->max_depth = READER_DEFAULT_MAX_DEPTH;
	o->max_restarts = 5;
	o->restart_window_s = 10;
	o->restart_delay_ms = 2;
	o->state_dir = "/var/lib/luaward";
	o->socket_path = "/run/luaward/luaward.sock";
	o->socket_mode = 0600;
	o->max_connections = 64;
	o->client_timeout_s = 60;
}

void
options_print_version(void)
{
	printf("luaward %s (worker protocol %d, control protocol %d)\n",
	    LUAWARD_VERSION, WIRE_PROTOCOL_VERSION, CONTROL_PROTOCOL_VERSION);
}

/* Whether the option has a one-letter form. */
static bool
has_short(const struct option_row *row)
{
	return row->id < 256;
}

static void
usage(FILE *out, unsigned command, const char *name, const char *operands,
    const char *summary)
{
	fprintf(out, "usage: luaward %s [options]%s%s\n\n%s\n\noptions:\n",
	    name, operands[0] != '\0' ? " " : "", operands, summary);
	for (size_t i = 0; i < ROW_COUNT; i++) {
		char left[64], letter[8] = "";
		const char *help = rows[i].help;

		if (!(rows[i].commands & command))
			continue;
		if (has_short(&rows[i]))
			snprintf(letter, sizeof(letter), "-%c, ",
			    (char)rows[i].id);
		snprintf(left, sizeof(left), "%s--%s%s%s", letter,
		    rows[i].name,
		    rows[i].argument == NULL ? "" :
		    rows[i].argument[0] == '[' ? "" : " ",
		    rows[i].argument == NULL ? "" : rows[i].argument);
		fprintf(out, "  %-24s ", left);
		for (const char *p = help; *p != '\0'; p++) {
			fputc(*p, out);
			if (*p == '\n')
				fprintf(out, "  %-24s ", "");
		}
		fputc('\n', out);
	}
}

static unsigned long long
number(const char *option, const char *text, unsigned long long min,
    unsigned long long max)
{
	unsigned long long value;
	char *end;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		fatalx("--%s: '%s' is not a number", option, text);
	value = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || value < min || value > max)
		fatalx("--%s: '%s' is not a number from %llu to %llu", option,
		    text, min, max);
	return value;
}

static enum wire_mode
mode(const char *option, const char *text)
{
	if (strcmp(text, "auto") == 0)
		return WIRE_MODE_AUTO;
	if (strcmp(text, "require") == 0)
		return WIRE_MODE_REQUIRE;
	if (strcmp(text, "off") == 0)
		return WIRE_MODE_OFF;
	fatalx("--%s: '%s' is not auto, require or off", option, text);
}

/* FIRST-LAST, or off.  Uids that are special to the kernel or to every
 * distribution (root, nobody, the 16-bit -1) are never in a range. */
static void
uid_range(struct options *o, const char *text)
{
	const char *dash = strchr(text, '-');
	char first[16];

	if (strcmp(text, "off") == 0) {
		o->worker_uid_first = o->worker_uid_last = 0;
		return;
	}
	if (dash == NULL || (size_t)(dash - text) >= sizeof(first))
		fatalx("--worker-uids: '%s' is not FIRST-LAST or off", text);
	snprintf(first, sizeof(first), "%.*s", (int)(dash - text), text);
	o->worker_uid_first = (uint32_t)number("worker-uids", first, 1,
	    WORKER_UIDS_MAX);
	o->worker_uid_last = (uint32_t)number("worker-uids", dash + 1, 1,
	    WORKER_UIDS_MAX);
	if (o->worker_uid_last < o->worker_uid_first)
		fatalx("--worker-uids: '%s' ends before it starts", text);
	if (o->worker_uid_first <= 65535 && o->worker_uid_last >= 65534)
		fatalx("--worker-uids: '%s' holds 65534 (nobody) or 65535 "
		    "(the 16-bit -1)", text);
}

int
options_parse(struct options *o, unsigned command, const char *name,
    const char *operands, const char *summary, int argc, char **argv)
{
	struct option longs[ROW_COUNT + 1];
	char shorts[2 * ROW_COUNT + 2] = ":";
	size_t n = 0, letters = 1;
	bool workers_given = false;
	int c;

	for (size_t i = 0; i < ROW_COUNT; i++) {
		if (!(rows[i].commands & command))
			continue;
		longs[n].name = rows[i].name;
		longs[n].has_arg = rows[i].argument == NULL ? no_argument :
		    rows[i].argument[0] == '[' ? optional_argument :
		    required_argument;
		longs[n].flag = NULL;
		longs[n].val = (int)rows[i].id;
		n++;
		/* The short form takes its value as the long one does (none
		 * has an optional value). */
		if (has_short(&rows[i]) && strchr(shorts, (char)rows[i].id) ==
		    NULL) {
			shorts[letters++] = (char)rows[i].id;
			if (rows[i].argument != NULL)
				shorts[letters++] = ':';
		}
	}
	shorts[letters] = '\0';
	memset(&longs[n], 0, sizeof(longs[n]));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const char *option = optind > 0 && optind <= argc ?
		    argv[optind - 1] : "?";

		switch (c) {
		case OPT_HELP:
			usage(stdout, command, name, operands, summary);
			exit(EXIT_ALL_GOOD);
		case OPT_VERSION:
			options_print_version();
			exit(EXIT_ALL_GOOD);
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case OPT_PLUGINS:
			o->plugins_dir = optarg;
			break;
		case OPT_ALLOW_INSECURE_PLUGINS:
			o->allow_insecure_plugins = true;
			break;
		case OPT_PODS:
			o->pods_path = optarg;
			break;
		case OPT_WORKER:
			o->worker_path = optarg;
			break;
		case OPT_POLICY:
			o->policy_path = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_WORKER_UIDS:
			uid_range(o, optarg);
			break;
		case OPT_TIMEOUT:
			o->timeout_ms = (uint32_t)number("timeout", optarg, 0,
			    3600000);
			break;
		case OPT_LOAD_TIMEOUT:
			o->load_timeout_ms = (uint32_t)number("load-timeout",
			    optarg, 1, 3600000);
			break;
		case OPT_MEMORY:
			o->memory_mb = (uint32_t)number("memory", optarg, 1,
			    1u << 20);
			break;
		case OPT_WORKERS:
			o->workers = (unsigned)number("workers", optarg, 1,
			    64);
			workers_given = true;
			break;
		case OPT_NAMESPACES:
			o->namespaces = mode("namespaces", optarg);
			break;
		case OPT_LANDLOCK:
			o->landlock = mode("landlock", optarg);
			break;
		case OPT_MAX_RECORD:
			o->max_record = (size_t)number("max-record-size",
			    optarg, 2, WIRE_MAX_METADATA);
			break;
		case OPT_MAX_DEPTH:
			o->max_depth = (unsigned)number("max-depth", optarg,
			    1, 100000);
			break;
		case OPT_MAX_RESTARTS:
			o->max_restarts = (unsigned)number("max-restarts",
			    optarg, 0, 1000000);
			break;
		case OPT_RESTART_WINDOW:
			o->restart_window_s = (uint32_t)number("restart-window",
			    optarg, 0, 86400);
			break;
		case OPT_RESTART_DELAY:
			o->restart_delay_ms = (uint32_t)number("restart-delay",
			    optarg, 0, 60000);
			break;
		case OPT_STATS:
			if (optarg == NULL)
				o->stats = 1;
			else if (strcmp(optarg, "json") == 0)
				o->stats = 2;
			else
				fatalx("--stats takes no value or =json, not "
				    "'%s'", optarg);
			break;
		case OPT_STATS_FILE:
			o->stats_file = optarg;
			if (o->stats == 0)
				o->stats = 1;
			break;
		case OPT_FALLBACK:
			if (strcmp(optarg, "owner") == 0)
				o->fallback_owner = true;
			else if (strcmp(optarg, "none") == 0)
				o->fallback_owner = false;
			else
				fatalx("--fallback: '%s' is not none or owner",
				    optarg);
			break;
		case OPT_ARGUMENT:
			if (strcmp(optarg, "deepflow") == 0)
				o->deepflow_argument = true;
			else if (strcmp(optarg, "compact") == 0)
				o->deepflow_argument = false;
			else
				fatalx("--argument: '%s' is not compact or "
				    "deepflow", optarg);
			break;
		case OPT_STATE_DIR:
			o->state_dir = optarg;
			break;
		case OPT_SOCKET:
			o->socket_path = optarg;
			break;
		case OPT_SOCKET_MODE: {
			char *end;
			unsigned long mode;

			errno = 0;
			mode = strtoul(optarg, &end, 8);
			if (errno != 0 || *end != '\0' || optarg[0] == '\0' ||
			    mode > 0777 || (mode & 0600) != 0600)
				fatalx("--socket-mode: '%s' is not an octal mode "
				    "from 0600 to 0777 that lets the owner read "
				    "and write", optarg);
			o->socket_mode = (unsigned)mode;
			break;
		}
		case OPT_SOCKET_GROUP:
			o->socket_group = optarg;
			break;
		case OPT_MAX_CONNECTIONS:
			o->max_connections = (unsigned)number(
			    "max-connections", optarg, 1, 100000);
			break;
		case OPT_CLIENT_TIMEOUT:
			o->client_timeout_s = (unsigned)number(
			    "client-timeout", optarg, 1, 86400);
			break;
		case OPT_METRICS_FILE:
			o->metrics_file = optarg;
			break;
		case OPT_TYPE:
			o->plugin_type = optarg;
			break;
		case OPT_IMAGE:
			o->image = optarg;
			break;
		case OPT_NAME:
			o->plugin_name = optarg;
			break;
		case OPT_REPLACE:
			o->replace = true;
			break;
		case OPT_BEFORE:
			o->before = optarg;
			break;
		case OPT_AFTER:
			o->after = optarg;
			break;
		case OPT_OUTPUT:
			if (strcmp(optarg, "json") == 0)
				o->output_json = true;
			else if (strcmp(optarg, "text") != 0)
				fatalx("-o takes json or text, not '%s'", optarg);
			break;
		case ':':
			fatalx("%s needs a value (see luaward %s --help)",
			    option, name);
		default:
			fatalx("unknown option %s for '%s' (see luaward %s "
			    "--help)", option, name, name);
		}
	}
	/* One case at a time gains nothing from more workers, and one
	 * worker keeps a plugin's globals from case to case. */
	if (command == FOR_TEST && !workers_given)
		o->workers = 1;
	return optind;
}
