/*
 * luaward selftest: proves each sandbox layer from inside a real worker.
 *
 * Each probe runs in a fresh worker, sealed exactly as a plugin's would be,
 * and tries one forbidden thing.  The first pass uses the real policy: every
 * probe must be blocked, or the run fails, loudly.  The second pass swaps
 * the seccomp filter for one that allows every syscall, to show which other
 * layer still stops each probe (defense in depth); it is informational.
 *
 * Before the probes, one plugin worker is started and looked at from
 * outside, in /proc/PID: its uid and groups, capability sets, seccomp and
 * no_new_privs state and namespaces must be what its layers say.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "commands.h"
#include "../log.h"
#include "../options.h"
#include "../output/sanitize.h"
#include "../setup.h"
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
	{ "become-root",	"setresuid to uid 0" },
	{ "signal-others",	"signal any other process (kill -1, signal 0)" },
	{ "bounding-set",	"find a capability in its bounding set" },
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
	{ "become-root", EPERM, "capabilities" },
	{ "become-root", EINVAL, "user namespace (no uid 0)" },
	{ "signal-others", ESRCH, "pid namespace" },
	{ "signal-others", EPERM, "own uid / landlock scope" },
	{ "bounding-set", EPERM, "capabilities" },
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

enum check_verdict { CHECK_OK, CHECK_DEGRADED, CHECK_FAILED };

struct identity_check {
	const struct sandbox_report *report;
	const struct worker_seen *seen;
	const struct spawn_identity *who;
	size_t		 failed, degraded;
};

static void
check_row(struct identity_check *c, const char *name,
    enum check_verdict verdict, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void
check_row(struct identity_check *c, const char *name,
    enum check_verdict verdict, const char *format, ...)
{
	static const char *const words[] = { "ok", "degraded", "FAILED" };
	va_list ap;

	if (verdict == CHECK_FAILED)
		c->failed++;
	if (verdict == CHECK_DEGRADED)
		c->degraded++;
	printf("%-16s %-8s ", name, words[verdict]);
	va_start(ap, format);
	vprintf(format, ap);
	va_end(ap);
	printf("\n");
}

static bool
layer_applied(const struct identity_check *c, const char *name)
{
	const struct sandbox_layer *l = sandbox_report_find(c->report, name);

	return l != NULL && l->applied;
}

static bool
all_four(const uint32_t ids[4], uint32_t expected)
{
	return ids[0] == expected && ids[1] == expected && ids[2] == expected &&
	    ids[3] == expected;
}

static void
check_user(struct identity_check *c)
{
	const struct worker_seen *seen = c->seen;
	uint32_t uid = c->who->drop_user ? c->who->uid : getuid();
	uint32_t gid = c->who->drop_user ? c->who->gid : getgid();
	struct passwd *pw;

	if (!all_four(seen->uid, uid) || !all_four(seen->gid, gid)) {
		check_row(c, "uid", CHECK_FAILED, "uid %" PRIu32 " gid %"
		    PRIu32 ", not %" PRIu32 "/%" PRIu32 " as spawned",
		    seen->uid[1], seen->gid[1], uid, gid);
		return;
	}
	if (!c->who->drop_user)
		check_row(c, "uid", CHECK_OK, "%" PRIu32 ", the invoking "
		    "user's: not started as root", uid);
	else if (uid == 0 || gid == 0 || uid == geteuid())
		check_row(c, "uid", CHECK_FAILED, "%" PRIu32 ": root's or the "
		    "supervisor's", uid);
	else if ((pw = getpwuid(uid)) != NULL)
		check_row(c, "uid", CHECK_DEGRADED, "%" PRIu32 " is %s's, "
		    "which other processes may share: %s", uid, pw->pw_name,
		    c->who->origin);
	else if (getgrgid(gid) != NULL || gid != uid)
		check_row(c, "uid", CHECK_DEGRADED, "%" PRIu32 " with gid %"
		    PRIu32 ", a group with members", uid, gid);
	else
		check_row(c, "uid", CHECK_OK, "%" PRIu32 " (real, effective, "
		    "saved, fs), gid the same: in no user or group database, "
		    "not the supervisor's", uid);
	if (seen->groups != 0)
		check_row(c, "groups", CHECK_FAILED, "%u supplementary groups",
		    seen->groups);
	else
		check_row(c, "groups", CHECK_OK, "no supplementary groups");
}

static void
check_capabilities(struct identity_check *c)
{
	const struct worker_seen *seen = c->seen;

	if (seen->cap_prm != 0 || seen->cap_eff != 0 || seen->cap_inh != 0 ||
	    seen->cap_amb != 0)
		check_row(c, "capabilities", CHECK_FAILED, "held: permitted "
		    "%" PRIx64 ", effective %" PRIx64 ", inheritable %" PRIx64
		    ", ambient %" PRIx64, seen->cap_prm, seen->cap_eff,
		    seen->cap_inh, seen->cap_amb);
	else if (seen->cap_bnd != 0)
		check_row(c, "capabilities", layer_applied(c, "capabilities") ?
		    CHECK_FAILED : CHECK_DEGRADED, "none held, but the "
		    "bounding set is %" PRIx64, seen->cap_bnd);
	else
		check_row(c, "capabilities", CHECK_OK, "none permitted, "
		    "effective, inheritable or ambient; bounding set empty");
	check_row(c, "no_new_privs", seen->no_new_privs == 1 ? CHECK_OK :
	    CHECK_FAILED, "NoNewPrivs %d", seen->no_new_privs);
	check_row(c, "seccomp", seen->seccomp == 2 ? CHECK_OK : CHECK_FAILED,
	    "Seccomp %d (2: a filter)", seen->seccomp);
}

/* Each namespace a layer claims must differ from the supervisor's. */
static void
check_namespaces(struct identity_check *c)
{
	const struct sandbox_layer *main_layer =
	    sandbox_report_find(c->report, "namespaces");
	bool user = main_layer != NULL && main_layer->applied &&
	    strstr(main_layer->detail, " and user") != NULL;
	const struct {
		const char	*ns;
		bool		 claimed;
	} claims[] = {
		{ "user", user },
		{ "pid", layer_applied(c, "namespaces") },
		{ "net", layer_applied(c, "namespaces") },
		{ "ipc", layer_applied(c, "namespaces") },
		{ "mnt", layer_applied(c, "namespaces") },
		{ "uts", layer_applied(c, "namespaces") },
		{ "cgroup", layer_applied(c, "cgroup_ns") },
		{ "time", layer_applied(c, "time_ns") },
	};
	char own[128] = "", shared[128] = "", unknown[128] = "";
	enum check_verdict verdict = CHECK_OK;

	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		enum ns_seen seen = worker_seen_ns(c->seen, claims[i].ns);
		char *list = seen == NS_OWN ? own : seen == NS_SHARED ?
		    shared : unknown;
		size_t used = strlen(list);

		snprintf(list + used, sizeof(own) - used, " %s",
		    claims[i].ns);
		if (claims[i].claimed && seen == NS_SHARED)
			verdict = CHECK_FAILED;
		else if (seen != NS_OWN && verdict == CHECK_OK)
			verdict = CHECK_DEGRADED;
	}
	if (layer_applied(c, "namespaces") && c->seen->pid_levels < 2)
		verdict = CHECK_FAILED;
	check_row(c, "namespaces", verdict, "own:%s%s%s%s%s",
	    own[0] != '\0' ? own : " none", shared[0] != '\0' ? "; the "
	    "supervisor's:" : "", shared, unknown[0] != '\0' ? "; not "
	    "readable:" : "", unknown);
}

/* Starts one plugin worker, prints its layers, and checks what /proc
 * shows of it against them.  Returns how many checks failed; *degraded
 * how many found a layer weaker than it could be (skipped, fallback). */
static size_t
check_identity(struct ev_loop *loop, const struct plugin_config *config,
    size_t *degraded)
{
	struct plugin_source plugin = {
		.name = (char *)"identity",
		.source = (char *)"function GetWorkloadTypeAndName() "
		    "return '', '' end",
	};
	struct log_allowance log = { 0 };
	struct identity_check c;
	struct worker_setup setup;
	struct trial_result result;

	plugin.length = strlen(plugin.source);
	plugin_worker_setup(config, &plugin, &log, &setup);
	trial_run(loop, &setup, &result);
	if (!result.started)
		fatalx("selftest: %s", result.spawn_error);
	if (result.death.type == DEATH_SETUP_FAILED)
		fatalx("selftest: a sandbox layer cannot be applied: %s",
		    result.death.message);
	if (!result.ready)
		fatalx("selftest: a worker did not start: %s",
		    result.death.message);
	print_layers(&result.report);
	c.report = &result.report;
	c.seen = &result.report.seen;
	c.who = &config->spawn.identity;
	c.failed = c.degraded = 0;
	printf("the same worker in /proc, as the supervisor sees it:\n");
	printf("%-16s %-8s %s\n", "check", "verdict", "detail");
	if (!c.seen->read)
		check_row(&c, "proc", CHECK_FAILED, "%s", c.seen->why);
	else {
		check_user(&c);
		check_capabilities(&c);
		check_namespaces(&c);
	}
	printf("\n");
	*degraded = c.degraded;
	return c.failed;
}

/* Runs every probe with the given filter; returns how many were allowed. */
static size_t
run_pass(struct ev_loop *loop, const struct plugin_config *config,
    struct verdict *verdicts)
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
	size_t allowed, failed_checks, degraded, length;
	void *allow_all;
	int first;

	options_defaults(&options);
	first = options_parse(&options, FOR_SELFTEST, "selftest", "",
	    "Starts a sandboxed worker and checks in /proc that its uid, "
	    "groups, capabilities,\nseccomp state and namespaces are what "
	    "its layers say.  Then starts workers that\neach try one "
	    "forbidden thing from inside (open a file, create a socket, "
	    "fork,\nexecute, ptrace, write to fd 0, map executable memory, "
	    "read /proc/self/environ,\nsee a descriptor above 2, load "
	    "bytecode, become root, signal another process,\nfind a "
	    "capability) and reports which layer blocked it.  A second pass "
	    "relaxes\nthe seccomp filter to show what the other layers stop "
	    "on their own.  Exit status 1\nwhen a check fails or any probe is "
	    "ALLOWED by the real policy, 2 when the\nsandbox cannot be set "
	    "up.", argc, argv);
	if (first < argc)
		fatalx("selftest takes no arguments (see luaward selftest "
		    "--help)");
	setup_load(&setup, &options);
	setup_claim_identity(&setup);
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot start the event loop");

	/* Probe workers are set up exactly as plugin workers; the probes
	 * need no module. */
	setup_engine_config(&setup, &options, &config);
	config.plugins.module_count = 0;

	printf("luaward selftest: policy %s\n\n", policy_path(setup.policy));
	failed_checks = check_identity(loop, &config.plugins, &degraded);
	allowed = run_pass(loop, &config.plugins, strict);
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
		(void)run_pass(loop, &config.plugins, relaxed);
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
	if (failed_checks > 0)
		printf("luaward selftest: FAILED: %zu checks of the worker in "
		    "/proc\n", failed_checks);
	if (allowed == 0 && failed_checks == 0)
		printf("luaward selftest: passed: all %zu probes blocked, "
		    "the worker in /proc as its layers say%s\n", PROBE_COUNT,
		    degraded > 0 ? " (some weaker than they could be: "
		    "degraded above)" : "");
	fflush(stdout);
	setup_free(&setup);
	return allowed > 0 || failed_checks > 0 ? EXIT_SOME_FAILED :
	    EXIT_ALL_GOOD;
}
