/*
 * Shared by test_chaos.c: a luaward process on pipes, fed and drained
 * without blocking, and its workers found through /proc and SIGKILLed
 * through a pidfd.  Only exec'd workers are ever killed.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_CHAOS_SUPPORT_H
#define LUAWARD_TESTS_CHAOS_SUPPORT_H

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#ifdef LUAWARD_SANITIZE
/* AddressSanitizer keeps freed blocks in a quarantine (256 MB by default)
 * that would hide the supervisor's own memory use: luaward runs with a
 * small one. */
#define ASAN_QUARANTINE	"quarantine_size_mb=16"
#endif

/* --- a luaward process on pipes ---------------------------------------- */

struct text {
	char	*bytes;
	size_t	 length, capacity;
};

static inline void
text_append(struct text *t, const char *bytes, size_t n)
{
	if (t->length + n + 1 > t->capacity) {
		while (t->length + n + 1 > t->capacity)
			t->capacity = t->capacity ? t->capacity * 2 : 65536;
		t->bytes = realloc(t->bytes, t->capacity);
		ck_assert_ptr_nonnull(t->bytes);
	}
	memcpy(t->bytes + t->length, bytes, n);
	t->length += n;
	t->bytes[t->length] = '\0';
}

static inline const char *
text_of(const struct text *t)
{
	return t->bytes != NULL ? t->bytes : "";
}

/* The end of a long text, for a failure message. */
static inline const char *
tail_of(const struct text *t)
{
	return t->length > 2000 ? t->bytes + t->length - 2000 : text_of(t);
}

struct luaward {
	pid_t		 pid;
	int		 in, out, err;	/* -1 once closed */
	struct text	 input, output, errors;
	size_t		 written;
	bool		 end_input;	/* close stdin once it is written */
};

static inline void
luaward_start(struct luaward *l, const char *const *args)
{
	const char *argv[32];
	int in[2], out[2], err[2];
	char path[512];
	size_t n = 0;

	memset(l, 0, sizeof(*l));
	snprintf(path, sizeof(path), "%s/luaward", build_dir());
	argv[n++] = path;
	for (; *args != NULL; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	l->pid = fork();
	ck_assert_int_ne(l->pid, -1);
	if (l->pid == 0) {
#ifdef ASAN_QUARANTINE
		const char *options = getenv("ASAN_OPTIONS");
		char *merged;

		if (asprintf(&merged, "%s%s" ASAN_QUARANTINE, options != NULL ?
		    options : "", options != NULL && *options != '\0' ? ":" :
		    "") != -1)
			setenv("ASAN_OPTIONS", merged, 1);
#endif
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	l->in = in[1];
	l->out = out[0];
	l->err = err[0];
	fcntl(l->in, F_SETFL, O_NONBLOCK);
	fcntl(l->out, F_SETFL, O_NONBLOCK);
	fcntl(l->err, F_SETFL, O_NONBLOCK);
}

/* Moves what can move without blocking: input in, output and errors
 * out.  Waits at most timeout_ms for something to happen. */
static inline void
luaward_pump(struct luaward *l, int timeout_ms)
{
	struct pollfd fds[3] = {
		{ .fd = l->out, .events = POLLIN },
		{ .fd = l->err, .events = POLLIN },
		{ .fd = l->written < l->input.length ? l->in : -1,
		    .events = POLLOUT },
	};
	char chunk[65536];

	if (poll(fds, 3, timeout_ms) < 0)
		return;
	for (int i = 0; i < 2; i++) {
		int *fd = i == 0 ? &l->out : &l->err;

		while (*fd != -1) {
			ssize_t n = read(*fd, chunk, sizeof(chunk));

			if (n > 0) {
				text_append(i == 0 ? &l->output : &l->errors,
				    chunk, (size_t)n);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0 || errno != EAGAIN) {
				close(*fd);
				*fd = -1;
			}
			break;
		}
	}
	while (l->in != -1 && l->written < l->input.length) {
		ssize_t n = write(l->in, l->input.bytes + l->written,
		    l->input.length - l->written);

		if (n > 0)
			l->written += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else {
			if (errno != EAGAIN) {
				close(l->in);
				l->in = -1;
			}
			break;
		}
	}
	if (l->in != -1 && l->end_input && l->written == l->input.length) {
		close(l->in);
		l->in = -1;
	}
}

static inline void
luaward_send(struct luaward *l, const char *bytes, size_t n)
{
	text_append(&l->input, bytes, n);
	luaward_pump(l, 0);
}

/* Closes what is left and reaps it: its exit status, or 128 + signal. */
static inline int
luaward_wait(struct luaward *l)
{
	int status;

	if (l->in != -1)
		close(l->in);
	if (l->out != -1)
		close(l->out);
	if (l->err != -1)
		close(l->err);
	l->in = l->out = l->err = -1;
	while (waitpid(l->pid, &status, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

static inline void
luaward_free(struct luaward *l)
{
	free(l->input.bytes);
	free(l->output.bytes);
	free(l->errors.bytes);
	memset(l, 0, sizeof(*l));
}

/* Waits for line n (0-based) of the output; false on a timeout. */
static inline bool
wait_for_line(struct luaward *l, size_t n, double timeout_s)
{
	double deadline = now() + timeout_s * slowdown();

	while (now() < deadline) {
		if (count_lines(text_of(&l->output)) > n)
			return true;
		if (l->out == -1)
			return false;
		luaward_pump(l, 1);
	}
	return false;
}

/* --- finding and killing workers --------------------------------------- */

/*
 * Whether pid is a live worker of parent: a child, not dead, and running
 * luaward-worker.  Only exec'd workers are fair game: the supervisor's
 * other children (a worker between fork and exec, AddressSanitizer's
 * exit-time tracer) are part of the supervisor, not workers.
 */
static inline bool
is_worker_of(pid_t pid, pid_t parent)
{
	char path[64], line[1024], *open_paren, *close_paren, state;
	FILE *f;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return false;
	}
	fclose(f);
	/* The command name may hold spaces and parentheses: the fields
	 * start after the last ')'. */
	if ((open_paren = strchr(line, '(')) == NULL ||
	    (close_paren = strrchr(line, ')')) == NULL ||
	    sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2)
		return false;
	*close_paren = '\0';
	/* Exec'd: no longer named after the supervisor.  (A worker is exec'd
	 * by descriptor: depending on the kernel it is then named
	 * "luaward-worker" or after the descriptor's number.) */
	return ppid == parent && state != 'Z' && state != 'X' &&
	    strcmp(open_paren + 1, "luaward") != 0;
}

/* The live workers of parent; returns how many. */
static inline size_t
children_of(pid_t parent, pid_t *pids, size_t max)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(proc);
	while ((e = readdir(proc)) != NULL && n < max) {
		pid_t pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = (pid_t)atoi(e->d_name);
		if (is_worker_of(pid, parent))
			pids[n++] = pid;
	}
	closedir(proc);
	return n;
}

/* SIGKILLs pid if it is still a live child of parent.  Through a pidfd,
 * checked after it is opened: the pid cannot have been reaped and reused
 * by some other process between the check and the signal. */
static inline bool
kill_child(pid_t parent, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool killed = false;

	if (fd == -1)
		return false;
	if (is_worker_of(pid, parent))
		killed = syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL,
		    0) == 0;
	close(fd);
	return killed;
}

/* Waits until the supervisor has reaped pid (its /proc entry is gone). */
static inline void
wait_reaped(struct luaward *l, pid_t pid)
{
	double started = now();
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	while (stat(path, &st) == 0) {
		ck_assert_msg(now() - started < 30, "worker %d not reaped",
		    (int)pid);
		luaward_pump(l, 0);
		usleep(50);
	}
}

#endif
