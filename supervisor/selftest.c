/*
 * luaward selftest: proves each sandbox layer from inside a real worker.
 *
 * Each probe runs in a fresh worker, sealed exactly as a plugin's would be,
 * and tries one forbidden thing.  The first pass uses the real policy: every
 * probe must be blocked, or the run fails, loudly.  The second pass swaps
 * the seccomp filter for one that allows every syscall, to show which other
 * layer still stops each probe (defense in depth); it is informational.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "sanitize.h"
#include "setup.h"
#include "trial.h"

static const struct probe {
	const char	*name;
	const char	*tries;
} probes[] = {
	{ "open-file",		"open /etc/passwd for reading" },
	{ "create-socket",	"create a TCP socket" },
	{ "fork",		"start a process" },
	{ "execute",		"execute /bin/true" },
	{ "ptrace",		"ptrace (PTRACE_TRACEME)" },
	{ "write-stdin",	"write to fd 0 (its request pipe)" },
	{ "map-executable",	"map writable and executable memory" },
	{ "read-environ",	"read /proc/self/environ" },
	{ "fd-above-2",		"find any descriptor above 2" },
	{ "load-bytecode",	"load bytecode or string.dump" },
};

#define PROBE_COUNT	(sizeof(probes) / sizeof(probes[0]))

/* Which layer an errno means, per probe, when seccomp let the call in. */
static const struct {
	const char	*probe;
	int		 error;
	const char	*layer;
} stopped_by[] = {
	{ "open-file", EACCES, "landlock" },
	{ "open-file", EMFILE, "fd_limit" },
	{ "read-environ", EACCES, "landlock" },
	{ "read-environ", EMFILE, "fd_limit" },
	{ "create-socket", EMFILE, "fd_limit" },
	{ "create-socket", EACCES, "landlock" },
	{ "fork", EAGAIN, "rlimits (nproc 0)" },
	{ "execute", EACCES, "landlock" },
	{ "execute", EMFILE, "fd_limit" },
	{ "ptrace", EPERM, "no_new_privs / not_dumpable" },
	{ "write-stdin", EBADF, "pipe (fd 0 is read-only)" },
	{ "fd-above-2", EBADF, "descriptors" },
	{ "load-bytecode", EPERM, "lua environment" },
};

struct verdict {
	bool		 blocked;
	char		 layer[64];
	char		 detail[512];
};

static void
judge(const struct probe *probe, const struct trial_result *r,
    struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!r->started) {
		v->blocked = false;
		snprintf(v->layer, sizeof(v->layer), "-");
		snprintf(v->detail, sizeof(v->detail), "worker did not "
		    "start: %.400s", r->spawn_error);
		return;
	}
	if (r->probed && r->allowed) {
		snprintf(v->layer, sizeof(v->layer), "-");
		snprintf(v->detail, sizeof(v->detail), "%s", r->probe_detail);
		return;
	}
	if (r->probed) {
		v->blocked = true;
		snprintf(v->layer, sizeof(v->layer), "%s",
		    strerrorname_np((int)r->error_number) != NULL ?
		    strerrorname_np((int)r->error_number) : "errno");
		for (size_t i = 0; i < sizeof(stopped_by) /
		    sizeof(stopped_by[0]); i++)
			if (strcmp(stopped_by[i].probe, probe->name) == 0 &&
			    stopped_by[i].error == (int)r->error_number)
				snprintf(v->layer, sizeof(v->layer), "%s",
				    stopped_by[i].layer);
		snprintf(v->detail, sizeof(v->detail), "%s", r->probe_detail);
		return;
	}
	if (r->death.kind == ERROR_SANDBOX) {
		v->blocked = true;
		snprintf(v->layer, sizeof(v->layer), "seccomp");
		snprintf(v->detail, sizeof(v->detail), "%s", r->death.message);
		return;
	}
	/* A probe worker is never closed: one that ends without a verdict
	 * after execve was tried most likely became /bin/true. */
	if (strcmp(probe->name, "execute") == 0 && r->ready) {
		snprintf(v->layer, sizeof(v->layer), "-");
		snprintf(v->detail, sizeof(v->detail), "no verdict, the worker "
		    "was likely replaced by /bin/true: %.300s",
		    r->death.message);
		return;
	}
	snprintf(v->layer, sizeof(v->layer), "-");
	snprintf(v->detail, sizeof(v->detail), "no verdict: %.400s",
	    r->death.message[0] != '\0' ? r->death.message :
	    "the worker ended early");
}

static void
print_layers(const struct sandbox_report *report)
{
	struct buffer b = { 0 };

	sandbox_report_describe(report, &b);
	printf("sandbox layers of a worker, as it reports them:\n%.*s\n",
	    (int)buffer_length(&b), buffer_bytes(&b));
	buffer_free(&b);
}

/* Runs every probe with the given filter; returns how many were allowed. */
static size_t
run_pass(struct ev_loop *loop, const struct plugin_config *config,
    bool first_pass, struct verdict *verdicts)
{
	size_t allowed = 0;

	for (size_t i = 0; i < PROBE_COUNT; i++) {
		struct plugin_source probe = {
			.name = (char *)probes[i].name,
			.source = (char *)"",
		};
		struct log_allowance log = { 0 };
		struct worker_setup setup;
		struct trial_result result;

		plugin_worker_setup(config, &probe, &log, &setup);
		setup.load.probe = setup.load.plugin;
		trial_run(loop, &setup, &result);
		if (result.started && result.death.type == DEATH_SETUP_FAILED)
			fatalx("selftest: a sandbox layer cannot be applied: "
			    "%s", result.death.message);
		if (first_pass && i == 0 && result.ready)
			print_layers(&result.report);
		judge(&probes[i], &result, &verdicts[i]);
		if (!verdicts[i].blocked)
			allowed++;
	}
	return allowed;
}

int
cmd_selftest(int argc, char **argv)
{
	struct verdict strict[PROBE_COUNT], relaxed[PROBE_COUNT];
	struct options options;
	struct setup setup;
	struct engine_config config;
	struct ev_loop *loop;
	size_t allowed, length;
	void *allow_all;
	int first;

	options_defaults(&options);
	first = options_parse(&options, FOR_SELFTEST, "selftest", "",
	    "Starts sandboxed workers that each try one forbidden thing from "
	    "inside (open a\nfile, create a socket, fork, execute, ptrace, "
	    "write to fd 0, map executable\nmemory, read /proc/self/environ, "
	    "see a descriptor above 2, load bytecode)\nand reports which "
	    "layer blocked it.  A second pass relaxes the seccomp filter\nto "
	    "show what the other layers stop on their own.  Exit status 1 "
	    "when any\nprobe is ALLOWED by the real policy, 2 when the sandbox "
	    "cannot be set up.", argc, argv);
	if (first < argc)
		fatalx("selftest takes no arguments (see luaward selftest "
		    "--help)");
	setup_load(&setup, &options);
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot start the event loop");

	/* Probe workers are set up exactly as plugin workers; the probes
	 * need no module. */
	setup_engine_config(&setup, &options, &config);
	config.plugins.module_count = 0;

	printf("luaward selftest: policy %s\n\n", policy_path(setup.policy));
	allowed = run_pass(loop, &config.plugins, true, strict);
	printf("%-16s %-8s %-30s %s\n", "probe", "verdict", "blocked by",
	    "detail");
	/* A verdict's detail is what the worker said: cleaned. */
	for (size_t i = 0; i < PROBE_COUNT; i++)
		sanitize_print(stdout, "%-16s %-8s %-30s %s", probes[i].name,
		    strict[i].blocked ? "blocked" : "ALLOWED",
		    strict[i].layer, strict[i].detail);

	if ((allow_all = policy_allow_all_program(&length)) != NULL) {
		config.plugins.filter = allow_all;
		config.plugins.filter_length = length;
		(void)run_pass(loop, &config.plugins, false, relaxed);
		printf("\ndefense in depth: the same probes with a seccomp "
		    "filter that allows every syscall\n");
		printf("%-16s %-8s %-30s %s\n", "probe", "verdict",
		    "blocked by", "detail");
		for (size_t i = 0; i < PROBE_COUNT; i++)
			sanitize_print(stdout, "%-16s %-8s %-30s %s",
			    probes[i].name,
			    relaxed[i].blocked ? "blocked" : "allowed",
			    relaxed[i].blocked ? relaxed[i].layer :
			    "(seccomp alone stops it)", relaxed[i].detail);
		free(allow_all);
	} else
		printf("\ndefense in depth: not shown, no allow-all filter "
		    "could be made: %s\n", strerror(errno));
	printf("\n");
	if (allowed > 0)
		printf("luaward selftest: FAILED: %zu of %zu probes were "
		    "ALLOWED by the policy\n", allowed, PROBE_COUNT);
	else
		printf("luaward selftest: passed: all %zu probes blocked\n",
		    PROBE_COUNT);
	fflush(stdout);
	setup_free(&setup);
	return allowed > 0 ? EXIT_SOME_FAILED : EXIT_ALL_GOOD;
}
