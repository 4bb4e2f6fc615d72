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
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

/* Where the child keeps what it needs until exec. */
#define CHILD_BINARY_FD	3
#define CHILD_STATUS_FD	4

#define NAMESPACE_FLAGS	(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
			 CLONE_NEWNS | CLONE_NEWUTS)

struct child_plan {
	const struct spawn_config *config;
	int	 fds[3];	/* become 0, 1, 2 */
	int	 binary, status;
	int	 clone_flags;
	pid_t	 parent;
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

static void __attribute__((noreturn))
child_main(const struct child_plan *plan)
{
	const struct spawn_config *config = plan->config;
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

	/* User: a supervisor started as root runs workers as an unprivileged
	 * user with no supplementary groups, so a worker that escaped every
	 * other layer would still hold no privilege. */
	if (config->drop_user) {
		if (setgroups(0, NULL) == -1)
			child_fail("setgroups");
		if (setresgid(config->gid, config->gid, config->gid) == -1)
			child_fail("setresgid");
		if (setresuid(config->uid, config->uid, config->uid) == -1)
			child_fail("setresuid");
		if (getuid() == 0 || geteuid() == 0 || getegid() == 0) {
			errno = EPERM;
			child_fail("dropping root");
		}
		/* Root made the other namespaces; now as the unprivileged
		 * user, a user namespace of its own: the worker has no
		 * capability anywhere. */
		if (plan->clone_flags != 0 && unshare(CLONE_NEWUSER) == -1) {
			if (config->namespaces == WIRE_MODE_REQUIRE)
				child_fail("unshare(CLONE_NEWUSER)");
			child_say('S', "user namespace: %s", strerror(errno));
		}
	}

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
		if (config->address_space > 0) {
			limit.rlim_cur = limit.rlim_max = config->address_space;
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

	/* An empty environment, and exec by descriptor: the worker binary
	 * was opened by the supervisor, so no path is looked up as the
	 * unprivileged user. */
	syscall(SYS_execveat, CHILD_BINARY_FD, "", argv, envp, AT_EMPTY_PATH);
	child_fail("exec luaward-worker");
}

static void
note_layer(struct spawned *out, const char *name, bool applied,
    const char *format, ...) __attribute__((format(printf, 4, 5)));

static void
note_layer(struct spawned *out, const char *name, bool applied,
    const char *format, ...)
{
	va_list ap;

	if (out->layer_count == SPAWN_MAX_LAYERS)
		return;
	snprintf(out->layers[out->layer_count].name,
	    sizeof(out->layers[0].name), "%s", name);
	out->layers[out->layer_count].applied = applied;
	va_start(ap, format);
	vsnprintf(out->layers[out->layer_count].detail,
	    sizeof(out->layers[0].detail), format, ap);
	va_end(ap);
	out->layer_count++;
}

static void
close_pair(int pair[2])
{
	if (pair[0] >= 0)
		close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
}

int
spawn_open_worker(const char *path)
{
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd >= 0 && faccessat(fd, "", X_OK, AT_EMPTY_PATH) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
spawn_worker(const struct spawn_config *config, struct spawned *out,
    char *error, size_t error_size)
{
	int requests[2] = { -1, -1 }, replies[2] = { -1, -1 };
	int logs[2] = { -1, -1 }, status[2] = { -1, -1 };
	char report[1024], namespace_note[128] = "";
	struct child_plan plan;
	size_t used = 0;
	ssize_t n;
	pid_t pid;
	int wait_status;

	memset(out, 0, sizeof(*out));
	if (pipe2(requests, O_CLOEXEC) == -1 || pipe2(replies, O_CLOEXEC) == -1 ||
	    pipe2(logs, O_CLOEXEC) == -1 || pipe2(status, O_CLOEXEC) == -1) {
		snprintf(error, error_size, "pipe: %s", strerror(errno));
		goto fail;
	}
	plan.config = config;
	plan.fds[0] = requests[0];
	plan.fds[1] = replies[1];
	plan.fds[2] = logs[1];
	plan.binary = config->worker_fd;
	plan.status = status[1];
	plan.parent = getpid();
	plan.clone_flags = 0;
	if (config->namespaces != WIRE_MODE_OFF) {
		plan.clone_flags = NAMESPACE_FLAGS;
		if (!config->drop_user && geteuid() != 0)
			plan.clone_flags |= CLONE_NEWUSER;
	}
	pid = (pid_t)syscall(SYS_clone, plan.clone_flags | SIGCHLD, 0, 0, 0,
	    0);
	if (pid == -1 && plan.clone_flags != 0) {
		if (config->namespaces == WIRE_MODE_REQUIRE) {
			snprintf(error, error_size, "new namespaces are "
			    "required but the kernel refuses them: clone: %s",
			    strerror(errno));
			goto fail;
		}
		snprintf(namespace_note, sizeof(namespace_note), "the kernel "
		    "refuses them (clone: %s)", strerror(errno));
		plan.clone_flags = 0;
		pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	}
	if (pid == -1) {
		snprintf(error, error_size, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_main(&plan);

	close(requests[0]);
	close(replies[1]);
	close(logs[1]);
	close(status[1]);
	requests[0] = replies[1] = logs[1] = status[1] = -1;

	/* The status pipe closes at exec (or the child's exit). */
	while (used < sizeof(report) - 1) {
		n = read(status[0], report + used, sizeof(report) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	report[used] = '\0';
	close(status[0]);
	status[0] = -1;
	for (char *line = report, *next; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			next = line + strlen(line);
		else
			*next++ = '\0';
		if (line[0] == 'E') {
			snprintf(error, error_size, "starting %s: %s",
			    config->worker_path, line + 2);
			while (waitpid(pid, &wait_status, 0) == -1 &&
			    errno == EINTR)
				;
			goto fail;
		}
		if (line[0] == 'S')
			snprintf(namespace_note, sizeof(namespace_note), "%s",
			    line + 2);
	}

	note_layer(out, "session", true, "own session, no terminal");
	if (config->drop_user)
		note_layer(out, "user", true, "uid %u, gid %u, no groups",
		    (unsigned)config->uid, (unsigned)config->gid);
	else
		note_layer(out, "user", false, "not started as root: runs as "
		    "uid %u", (unsigned)getuid());
	if (config->namespaces == WIRE_MODE_OFF)
		note_layer(out, "namespaces", false, "turned off "
		    "(--namespaces off)");
	else if (plan.clone_flags == 0)
		note_layer(out, "namespaces", false, "%s", namespace_note);
	else
		note_layer(out, "namespaces", true, "new pid, net, ipc, mount, "
		    "uts%s%s", namespace_note[0] == '\0' ? " and user" : "; ",
		    namespace_note);
#ifdef LUAWARD_SANITIZE
	note_layer(out, "rlimits", true, "core 0, fsize 0 (sanitizer build: "
	    "no nproc, nofile or address-space limits)");
#else
	note_layer(out, "rlimits", true, "core 0, fsize 0, nproc 0, nofile 4, "
	    "address space %llu MiB",
	    (unsigned long long)(config->address_space >> 20));
#endif
	note_layer(out, "parent_death", true, "SIGKILL when the supervisor "
	    "dies");

	out->pid = pid;
	out->to_worker = requests[1];
	out->from_worker = replies[0];
	out->log = logs[0];
	for (int i = 0; i < 3; i++) {
		int fd = i == 0 ? out->to_worker : i == 1 ? out->from_worker :
		    out->log;

		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	return 0;
fail:
	close_pair(requests);
	close_pair(replies);
	close_pair(logs);
	close_pair(status);
	return -1;
}
