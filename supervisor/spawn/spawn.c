/*
 * Starting a worker, the supervisor's side: the pipes, the clone into new
 * namespaces, the child's report read back through its status pipe, and
 * the layers as they were applied.  The child's steps are in
 * spawn_child.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn_child.h"
#include "worker_seen.h"

#define NAMESPACE_FLAGS	(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
			 CLONE_NEWNS | CLONE_NEWUTS)

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

/* What the child said before exec: its "S LAYER REASON" lines. */
struct child_notes {
	struct {
		char	 layer[16];
		char	 reason[200];
	}	 skipped[8];
	size_t	 count;
};

static const char *
skipped_because(const struct child_notes *notes, const char *layer)
{
	for (size_t i = 0; i < notes->count; i++)
		if (strcmp(notes->skipped[i].layer, layer) == 0)
			return notes->skipped[i].reason;
	return NULL;
}

/*
 * Reads what the child wrote on its status pipe since the last call.
 * Returns 1 while the pipe is open (the child has not exec'd or exited),
 * 0 at its end.
 */
static int
read_status(struct spawn_pending *pending)
{
	while (pending->used < sizeof(pending->report) - 1) {
		ssize_t n = read(pending->status, pending->report +
		    pending->used, sizeof(pending->report) - 1 -
		    pending->used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0)
			return 0;
		pending->used += (size_t)n;
	}
	return 0;		/* a full report: the rest is not needed */
}

/* The child's report: -1 with the error it gave, or 0 with its notes. */
static int
parse_report(char *report, struct child_notes *notes, char *error,
    size_t error_size)
{
	memset(notes, 0, sizeof(*notes));
	for (char *line = report, *next; *line != '\0'; line = next) {
		size_t length;

		if ((next = strchr(line, '\n')) == NULL)
			next = line + strlen(line);
		else
			*next++ = '\0';
		if (line[0] == 'E') {
			snprintf(error, error_size, "%s", line + 2);
			return -1;
		}
		if (line[0] != 'S' || notes->count == 8)
			continue;
		length = strcspn(line + 2, " ");
		snprintf(notes->skipped[notes->count].layer,
		    sizeof(notes->skipped[0].layer), "%.*s", (int)length,
		    line + 2);
		snprintf(notes->skipped[notes->count].reason,
		    sizeof(notes->skipped[0].reason), "%s", line + 2 + length +
		    (line[2 + length] == ' '));
		notes->count++;
	}
	return 0;
}

static int
last_capability(void)
{
	static int last = -2;
	char text[16];
	ssize_t n;
	int fd;

	if (last != -2)
		return last;
	last = -1;
	if ((fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return last;
	if ((n = read(fd, text, sizeof(text) - 1)) > 0) {
		text[n] = '\0';
		last = (int)strtol(text, NULL, 10);
	}
	close(fd);
	return last;
}

static void
note_user(struct spawned *out, const struct child_plan *plan)
{
	const struct spawn_identity *who = &plan->config->identity;

	if (who->drop_user)
		note_layer(out, "user", true, "uid %u, gid %u, no groups: %s",
		    (unsigned)who->uid, (unsigned)who->gid, who->origin);
	else
		note_layer(out, "user", false, "not started as root: runs as "
		    "the invoking user, uid %u%s", (unsigned)getuid(),
		    plan->clone_flags & CLONE_NEWUSER ? ", in a user namespace "
		    "of its own" : "");
}

/*
 * The cgroup and time namespace layers.  The child unshared them; a time
 * namespace takes a process in only at exec on Linux 6.1 and later (at
 * fork only, before), so whether the worker is in new ones is read from
 * /proc now that it has exec'd.  Returns -1 when a required one is
 * missing.
 */
static int
note_own_namespaces(struct spawned *out, const struct child_plan *plan,
    pid_t pid, const struct child_notes *notes, char *error,
    size_t error_size)
{
	enum wire_mode mode = plan->config->namespaces;

	for (size_t i = 0; i < OWN_NAMESPACE_COUNT; i++) {
		const char *layer = own_namespaces[i].layer, *reason;
		enum ns_seen seen;

		if (mode == WIRE_MODE_OFF) {
			note_layer(out, layer, false, "turned off "
			    "(--namespaces off)");
			continue;
		}
		if ((reason = skipped_because(notes, layer)) != NULL) {
			note_layer(out, layer, false, "%s", reason);
			continue;
		}
		seen = worker_seen_compare(pid, own_namespaces[i].link);
		if (seen == NS_SHARED && mode == WIRE_MODE_REQUIRE) {
			snprintf(error, error_size, "a new %s namespace is "
			    "required but this kernel does not move a process "
			    "into one at exec", own_namespaces[i].link);
			return -1;
		}
		if (seen == NS_SHARED)
			note_layer(out, layer, false, "this kernel does not "
			    "move a process into it at exec (Linux 6.1 does)");
		else if (seen == NS_UNKNOWN)
			note_layer(out, layer, true, "%s (not verified: "
			    "/proc/%d/ns/%s is not readable)",
			    own_namespaces[i].applied, (int)pid,
			    own_namespaces[i].link);
		else
			note_layer(out, layer, true, "%s",
			    own_namespaces[i].applied);
	}
	return 0;
}

static void
note_layers(struct spawned *out, const struct child_plan *plan,
    const struct child_notes *notes, const char *clone_note)
{
	const struct spawn_config *config = plan->config;
	const char *user_ns = skipped_because(notes, "user_ns");

	note_layer(out, "session", true, "own session, no terminal");
	note_user(out, plan);
	if (config->namespaces == WIRE_MODE_OFF)
		note_layer(out, "namespaces", false, "turned off "
		    "(--namespaces off)");
	else if (plan->clone_flags == 0)
		note_layer(out, "namespaces", false, "%s", clone_note);
	else if (user_ns != NULL)
		note_layer(out, "namespaces", true, "new pid, net, ipc, mount, "
		    "uts; user namespace: %s", user_ns);
	else
		note_layer(out, "namespaces", true, "new pid, net, ipc, mount, "
		    "uts and user");
}

static void
note_late_layers(struct spawned *out, const struct child_plan *plan,
    const struct child_notes *notes)
{
	const char *caps = skipped_because(notes, "capabilities");

	if (caps != NULL)
		note_layer(out, "capabilities", false, "%s", caps);
	else if (plan->last_cap >= 0)
		note_layer(out, "capabilities", true, "bounding set empty "
		    "(0-%d dropped), no ambient or inheritable ones, none "
		    "held after exec", plan->last_cap);
	else
		note_layer(out, "capabilities", true, "bounding set empty, no "
		    "ambient or inheritable ones, none held after exec");
#ifdef LUAWARD_SANITIZE
	note_layer(out, "rlimits", true, "core 0, fsize 0 (sanitizer build: "
	    "no nproc, nofile or address-space limits)");
#else
	note_layer(out, "rlimits", true, "core 0, fsize 0, nproc 0, nofile 4, "
	    "address space %llu MiB",
	    (unsigned long long)(plan->config->address_space >> 20));
#endif
	note_layer(out, "parent_death", true, "SIGKILL when the supervisor "
	    "dies");
}

int
spawn_begin(const struct spawn_config *config, struct spawned *out,
    struct spawn_pending *pending, char *error, size_t error_size)
{
	int requests[2] = { -1, -1 }, replies[2] = { -1, -1 };
	int logs[2] = { -1, -1 }, status[2] = { -1, -1 };
	struct child_plan plan;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	memset(pending, 0, sizeof(*pending));
	pending->status = -1;
	/* A copy: the caller may set another identity for its next spawn
	 * before this one has exec'd. */
	pending->config = *config;
	if (pipe2(requests, O_CLOEXEC) == -1 || pipe2(replies, O_CLOEXEC) == -1 ||
	    pipe2(logs, O_CLOEXEC) == -1 || pipe2(status, O_CLOEXEC) == -1) {
		snprintf(error, error_size, "pipe: %s", strerror(errno));
		goto fail;
	}
	plan.config = &pending->config;
	plan.fds[0] = requests[0];
	plan.fds[1] = replies[1];
	plan.fds[2] = logs[1];
	plan.binary = config->worker_fd;
	plan.status = status[1];
	plan.parent = getpid();
	plan.last_cap = last_capability();
	plan.clone_flags = 0;
	if (config->namespaces != WIRE_MODE_OFF) {
		plan.clone_flags = NAMESPACE_FLAGS;
		if (!config->identity.drop_user && geteuid() != 0)
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
		snprintf(pending->clone_note, sizeof(pending->clone_note),
		    "the kernel refuses them (clone: %s)", strerror(errno));
		plan.clone_flags = 0;
		pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	}
	if (pid == -1) {
		snprintf(error, error_size, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		spawn_child_main(&plan);

	/* The child's ends: its pipes are its own from here on, and the
	 * status pipe ends for good at its exec or exit. */
	close(requests[0]);
	close(replies[1]);
	close(logs[1]);
	close(status[1]);
	pending->clone_flags = plan.clone_flags;
	pending->last_cap = plan.last_cap;
	pending->status = status[0];
	out->pid = pid;
	out->to_worker = requests[1];
	out->from_worker = replies[0];
	out->log = logs[0];
	for (int i = 0; i < 4; i++) {
		int fd = i == 0 ? out->to_worker : i == 1 ? out->from_worker :
		    i == 2 ? out->log : pending->status;

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

int
spawn_continue(struct spawn_pending *pending, struct spawned *out,
    char *error, size_t error_size)
{
	const struct child_plan plan = {
		.config = &pending->config,
		.clone_flags = pending->clone_flags,
		.last_cap = pending->last_cap,
	};
	char child_error[256];
	struct child_notes notes;

	if (pending->status < 0) {
		snprintf(error, error_size, "the worker's start was already "
		    "judged");
		return -1;
	}
	if (read_status(pending) == 1)
		return 1;
	spawn_pending_close(pending);
	pending->report[pending->used] = '\0';
	if (parse_report(pending->report, &notes, child_error,
	    sizeof(child_error)) == -1)
		goto failed;
	note_layers(out, &plan, &notes, pending->clone_note);
	if (note_own_namespaces(out, &plan, out->pid, &notes, child_error,
	    sizeof(child_error)) == -1)
		goto failed;
	note_late_layers(out, &plan, &notes);
	return 0;
failed:
	snprintf(error, error_size, "starting %s: %s",
	    pending->config.worker_path, child_error);
	return -1;
}

void
spawn_pending_close(struct spawn_pending *pending)
{
	if (pending->status >= 0)
		close(pending->status);
	pending->status = -1;
}
