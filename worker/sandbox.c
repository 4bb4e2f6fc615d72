/*
 * Each layer is one row: what it is called in reports, the step that applies
 * it, and what it stops.  Steps run in table order; the supervisor has
 * already applied its own layers between fork and exec (supervisor/spawn/spawn.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"
#include "sandbox.h"

extern char **environ;

/* Detail strings must outlive the report: one slot per layer. */
static char details[WIRE_MAX_LAYERS][256];

/* Returns 0 (applied), 1 (skipped) or -1 (failed); fills detail. */
typedef int (*layer_step)(const struct wire_load *, char *detail,
    size_t size);

/*
 * Every descriptor above 2 is closed with one close_range(), whatever the
 * supervisor left (it closes them too).  Where the kernel lacks it (before
 * Linux 5.9) or a container's filter refuses it, the worker checks instead
 * every descriptor below its limit (the supervisor sets 4 before exec, so
 * one above 2 could only have been inherited from before), and refuses to
 * run if one is open.
 */
static int
check_descriptors(const struct wire_load *unused, char *detail, size_t size)
{
	enum { MOST_CHECKED = 65536 };
	struct rlimit limit;
	int below;

	(void)unused;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1) {
			snprintf(detail, size, "fd %d is not open", fd);
			return -1;
		}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0) {
		snprintf(detail, size, "every descriptor above 2 closed "
		    "(close_range)");
		return 0;
	}
#endif
	below = MOST_CHECKED;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
	    limit.rlim_cur < (rlim_t)MOST_CHECKED)
		below = (int)limit.rlim_cur;
	for (int fd = 3; fd < below; fd++)
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
			snprintf(detail, size, "fd %d was inherited", fd);
			return -1;
		}
	snprintf(detail, size, "only fds 0, 1 and 2 are open (close_range "
	    "unavailable: checked every fd below the limit of %d)", below);
	return 0;
}

static int
check_environment(const struct wire_load *unused, char *detail, size_t size)
{
	(void)unused;
	if (environ != NULL && environ[0] != NULL) {
		snprintf(detail, size, "inherited variable %.40s", environ[0]);
		return -1;
	}
	snprintf(detail, size, "no environment variables");
	return 0;
}

static int
apply_no_new_privs(const struct wire_load *unused, char *detail, size_t size)
{
	(void)unused;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(detail, size, "prctl: %s", strerror(errno));
		return -1;
	}
	snprintf(detail, size, "exec can never grant privileges");
	return 0;
}

static int
apply_not_dumpable(const struct wire_load *unused, char *detail, size_t size)
{
	(void)unused;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		snprintf(detail, size, "prctl: %s", strerror(errno));
		return -1;
	}
	snprintf(detail, size, "no ptrace attach, no /proc/PID/mem, no core");
	return 0;
}

static int
apply_landlock(const struct wire_load *settings, char *detail, size_t size)
{
	return landlock_apply(settings->landlock, detail, size);
}

static int
apply_descriptor_limit(const struct wire_load *unused, char *detail,
    size_t size)
{
	struct rlimit limit = { 3, 3 };

	(void)unused;
	if (setrlimit(RLIMIT_NOFILE, &limit) == -1) {
		snprintf(detail, size, "setrlimit: %s", strerror(errno));
		return -1;
	}
	snprintf(detail, size, "RLIMIT_NOFILE 3: fds 0-2 and no other");
	return 0;
}

static int
apply_seccomp(const struct wire_load *settings, char *detail, size_t size)
{
	return seccomp_apply(settings->seccomp_filter, detail, size);
}

struct layer {
	const char	*name;
	layer_step	 step;
	const char	*stops;
};

/* Applied by sandbox_enter(), before the Lua state exists. */
static const struct layer entry_layers[] = {
	{ "descriptors",  check_descriptors,
	    "reaching any file or socket the supervisor holds" },
	{ "environment",  check_environment,
	    "secrets passed in environment variables" },
	{ "no_new_privs", apply_no_new_privs,
	    "gaining privileges through setuid or file capabilities" },
	{ "not_dumpable", apply_not_dumpable,
	    "other processes of the same user reading its memory" },
};

/* Applied by sandbox_seal(), the filter last. */
static const struct layer seal_layers[] = {
	{ "landlock",     apply_landlock,
	    "every filesystem access, TCP bind/connect, signals out" },
	{ "fd_limit",     apply_descriptor_limit,
	    "any new descriptor, should a syscall slip through" },
	{ "seccomp",      apply_seccomp,
	    "every syscall not in the policy" },
};

static void
run_layers(const struct layer *layers, size_t count,
    const struct wire_load *settings, struct sandbox_report *report)
{
	for (size_t i = 0; i < count; i++) {
		struct wire_layer *out = &report->layers[report->count];
		char *detail = details[report->count];
		int r;

		detail[0] = '\0';
		r = layers[i].step(settings, detail, sizeof(details[0]));
		if (r == -1)
			channel_fatal(WIRE_EXIT_SETUP, "sandbox", "%s: %s",
			    layers[i].name, detail);
		out->name.bytes = layers[i].name;
		out->name.length = strlen(layers[i].name);
		out->state.bytes = r == 0 ? "applied" : "skipped";
		out->state.length = strlen(out->state.bytes);
		out->detail.bytes = detail;
		out->detail.length = strlen(detail);
		report->count++;
	}
}

void
sandbox_enter(struct sandbox_report *report)
{
	report->count = 0;
	run_layers(entry_layers, sizeof(entry_layers) / sizeof(entry_layers[0]),
	    NULL, report);
}

void
sandbox_seal(const struct wire_load *settings, struct sandbox_report *report)
{
	run_layers(seal_layers, sizeof(seal_layers) / sizeof(seal_layers[0]),
	    settings, report);
}
