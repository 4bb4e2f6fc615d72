/*
 * The supervisor's half of the sandbox, applied in the child between fork
 * and exec.  Each step names what it stops.  A step that fails, or an
 * optional layer asked for with "require" that the kernel refuses, is
 * reported back through a close-on-exec status pipe and the child exits
 * before exec: nothing half-confined ever runs.
 *
 * The child is a raw clone of the single-threaded supervisor, so it may use
 * ordinary libc calls until it execs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "spawn_child.h"

/* Where the child keeps what it needs until exec. */
#define CHILD_BINARY_FD	3
#define CHILD_STATUS_FD	4

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

const struct own_namespace own_namespaces[OWN_NAMESPACE_COUNT] = {
	{ CLONE_NEWCGROUP, "unshare(CLONE_NEWCGROUP)", "cgroup_ns", "cgroup",
	    "new cgroup namespace: its own cgroup is its root" },
	{ CLONE_NEWTIME, "unshare(CLONE_NEWTIME)", "time_ns", "time",
	    "new time namespace: clocks no other process can offset" },
};

/* Child side: report one line on the status pipe. */
static void
child_say(char kind, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void
child_say(char kind, const char *format, ...)
{
	char line[256];
	va_list ap;
	int n;

	line[0] = kind;
	line[1] = ' ';
	va_start(ap, format);
	n = vsnprintf(line + 2, sizeof(line) - 3, format, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 4)
		n = (int)sizeof(line) - 4;
	line[2 + n] = '\n';
	(void)!write(CHILD_STATUS_FD, line, (size_t)n + 3);
}

static void __attribute__((noreturn))
child_fail(const char *step)
{
	child_say('E', "%s: %s", step, strerror(errno));
	_exit(127);
}

/*
 * Cgroup and time namespaces, each on its own so that a kernel without
 * one still gives the worker the other.  Unshared while the child still
 * holds CAP_SYS_ADMIN: as root, or in the user namespace of its clone.
 * A new cgroup namespace applies at once; a new time namespace applies to
 * the children of the caller, and, since Linux 6.1, to the caller itself
 * when it execs, which the supervisor checks after the exec.
 */
static void
child_namespaces(const struct child_plan *plan)
{
	if (plan->config->namespaces == WIRE_MODE_OFF)
		return;
	for (size_t i = 0; i < OWN_NAMESPACE_COUNT; i++) {
		if (unshare(own_namespaces[i].flag) == 0)
			continue;
		if (plan->config->namespaces == WIRE_MODE_REQUIRE)
			child_fail(own_namespaces[i].flag_name);
		child_say('S', "%s the kernel refuses it (unshare: %s)",
		    own_namespaces[i].layer, strerror(errno));
	}
}

/*
 * Walks the bounding set from capability 0 to the kernel's last, dropping
 * each one when drop is set, so that nothing the worker execs could ever
 * gain a capability.  Dropping takes CAP_SETPCAP in the current user
 * namespace: the caller holds it, so any failure stops the worker.
 * Returns how many are left in the set.
 */
static int
walk_bounding_set(const struct child_plan *plan, bool drop)
{
	int left = 0;

	for (int cap = 0; cap < 64; cap++) {
		int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in_set == -1 && errno == EINVAL && cap > plan->last_cap)
			break;		/* past the last the kernel knows */
		if (in_set == -1)
			child_fail("PR_CAPBSET_READ");
		if (in_set == 1 && drop &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			child_say('E', "PR_CAPBSET_DROP of capability %d: %s",
			    cap, strerror(errno));
			_exit(127);
		}
		left += in_set == 1 && !drop;
	}
	return left;
}

static bool
holds_setpcap(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &header, data) == -1)
		child_fail("capget");
	return (data[CAP_TO_INDEX(CAP_SETPCAP)].effective &
	    CAP_TO_MASK(CAP_SETPCAP)) != 0;
}

/*
 * User: a supervisor started as root runs each worker under the uid its
 * slot was given (or the fallback user), with the group of the same
 * number and no supplementary groups, so that a worker that escaped every
 * other layer would still hold no privilege, and no other process could
 * signal or trace it.
 */
static void
child_user(const struct child_plan *plan)
{
	const struct spawn_identity *who = &plan->config->identity;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (!who->drop_user)
		return;
	/* Root's bounding set, while root can: it stays empty if no user
	 * namespace follows (that would give a full one of its own,
	 * emptied again before exec). */
	if (holds_setpcap())
		(void)walk_bounding_set(plan, true);
	if (setgroups(0, NULL) == -1)
		child_fail("setgroups");
	if (setresgid(who->gid, who->gid, who->gid) == -1)
		child_fail("setresgid");
	if (setresuid(who->uid, who->uid, who->uid) == -1)
		child_fail("setresuid");
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != who->uid || euid != who->uid || suid != who->uid ||
	    rgid != who->gid || egid != who->gid || sgid != who->gid ||
	    getgroups(0, NULL) != 0 || euid == 0 || egid == 0) {
		errno = EPERM;
		child_fail("dropping root");
	}
	/* Root made the other namespaces; now as the unprivileged user, a
	 * user namespace of its own: the worker has no capability
	 * anywhere. */
	if (plan->clone_flags != 0 && unshare(CLONE_NEWUSER) == -1) {
		if (plan->config->namespaces == WIRE_MODE_REQUIRE)
			child_fail("unshare(CLONE_NEWUSER)");
		child_say('S', "user_ns %s", strerror(errno));
	}
}

/*
 * Capabilities, last before exec: no ambient or inheritable ones (none
 * may cross the exec), and an empty bounding set wherever the child can
 * empty it: as root (done before the uid change) or in a user namespace
 * of its own, whose new bounding set is full.  Without either, a worker
 * started by an unprivileged user holds no capability after exec anyway,
 * and the layer says what stays in its bounding set.
 */
static void
child_capabilities(const struct child_plan *plan)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int left;

	/* EINVAL: a kernel before ambient capabilities. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		child_fail("PR_CAP_AMBIENT_CLEAR_ALL");
	if (syscall(SYS_capget, &header, data) == -1)
		child_fail("capget");
	for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		data[i].inheritable = 0;
	if (syscall(SYS_capset, &header, data) == -1)
		child_fail("capset (clearing the inheritable set)");
	if (holds_setpcap())
		(void)walk_bounding_set(plan, true);
	if ((left = walk_bounding_set(plan, false)) > 0)
		child_say('S', "capabilities %d stay in the bounding set: "
		    "without CAP_SETPCAP (not root, no user namespace of its "
		    "own) the worker cannot drop them; it holds none after "
		    "exec", left);
}

void
spawn_child_main(const struct child_plan *plan)
{
	char *const argv[] = { (char *)"luaward-worker", NULL };
	char *const envp[] = { NULL };
	int moved[5];
	sigset_t all;

	/* Descriptors: the three pipe ends become 0, 1 and 2, the binary and
	 * the status pipe 3 and 4 (both close-on-exec); everything else the
	 * supervisor holds is closed, so no file, socket or other worker's
	 * pipe can be reached.  Moved high first: a source may sit on 0-4. */
	int sources[5] = { plan->fds[0], plan->fds[1], plan->fds[2],
	    plan->binary, plan->status };
	for (int i = 0; i < 5; i++)
		if ((moved[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, 10)) == -1)
			_exit(127);
	for (int i = 0; i < 5; i++)
		if (dup3(moved[i], i, i >= 3 ? O_CLOEXEC : 0) == -1)
			_exit(127);
	/* close_range(), or where it is missing or refused, each
	 * descriptor /proc/self/fd lists; glibc ends the process rather
	 * than leave one open. */
	closefrom(5);

	/* Signals: dispositions and mask back to defaults (an ignored SIGPIPE
	 * would otherwise survive exec). */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);

	/* Session: no controlling terminal, so terminal signals reach only
	 * the supervisor, which ends its workers itself. */
	if (setsid() == -1)
		child_fail("setsid");

	child_namespaces(plan);
	child_user(plan);

	/* Resource limits: no core files, no file writes, no new files, no
	 * new processes, and an address-space ceiling behind the Lua
	 * allocator's cap.  NPROC comes after the uid drop: set before, it
	 * would make the exec itself fail. */
	{
		static const struct {
			__rlimit_resource_t resource;
			const char *name;
		} zero[] = {
			{ RLIMIT_CORE, "RLIMIT_CORE" },
			{ RLIMIT_FSIZE, "RLIMIT_FSIZE" },
#ifndef LUAWARD_SANITIZE
			{ RLIMIT_NPROC, "RLIMIT_NPROC" },
#endif
		};
		struct rlimit limit = { 0, 0 };

		for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
			if (setrlimit(zero[i].resource, &limit) == -1)
				child_fail(zero[i].name);
#ifndef LUAWARD_SANITIZE
		/* Sanitizer runtimes open files and reserve terabytes of
		 * shadow memory: those builds go without these two.  One
		 * descriptor beyond 0-2 is left for the Landlock ruleset; the
		 * worker lowers the limit to 3 once it is sealed. */
		limit.rlim_cur = limit.rlim_max = 4;
		if (setrlimit(RLIMIT_NOFILE, &limit) == -1)
			child_fail("RLIMIT_NOFILE");
		if (plan->config->address_space > 0) {
			limit.rlim_cur = limit.rlim_max =
			    plan->config->address_space;
			if (setrlimit(RLIMIT_AS, &limit) == -1)
				child_fail("RLIMIT_AS");
		}
#endif
	}

	/* Parent death: the worker is killed when the supervisor dies, so no
	 * worker outlives it.  Set after the uid change, which clears it;
	 * then checked, in case the supervisor died before it was set. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		child_fail("PR_SET_PDEATHSIG");
	if (!(plan->clone_flags & CLONE_NEWPID) && getppid() != plan->parent)
		_exit(127);

	child_capabilities(plan);

	/* An empty environment, and exec by descriptor: the worker binary
	 * was opened by the supervisor, so no path is looked up as the
	 * unprivileged user. */
	syscall(SYS_execveat, CHILD_BINARY_FD, "", argv, envp, AT_EMPTY_PATH);
	child_fail("exec luaward-worker");
}
