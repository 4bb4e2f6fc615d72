/*
 * Shared by the suites of `luaward serve` (test_serve*.c): a real daemon
 * on a socket and state directory of its own, started and waited for,
 * stopped with SIGTERM (exit 0, socket removed, stderr clean) or killed;
 * the client commands run against it; plugins that answer with their own
 * name; and, from serve_raw.h, raw connections for what no well-behaved
 * client sends.
 *
 * A daemon dies with the test that started it (PR_SET_PDEATHSIG): a
 * failed assertion leaves none behind.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_SERVE_SUPPORT_H
#define LUAWARD_TESTS_SERVE_SUPPORT_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../ipc/buffer.h"
#include "../ipc/control.h"
#include "helpers.h"
#include "serve_raw.h"

struct served {
	pid_t	 pid;		/* 0 when not running */
	char	*root;		/* holds the rest */
	char	*state_dir;
	char	*socket;
	char	*err_path;	/* the daemon's stderr, all runs */
	off_t	 err_offset;	/* where this run's stderr begins */
};

static inline void
sleep_s(double seconds)
{
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static inline char *
joined(const char *dir, const char *name)
{
	char *path;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, name), -1);
	return path;
}

/* Paths for a daemon; nothing started. */
static inline void
served_init(struct served *s)
{
	memset(s, 0, sizeof(*s));
	s->root = temp_dir();
	s->state_dir = joined(s->root, "state");
	s->socket = joined(s->root, "s.sock");
	s->err_path = joined(s->root, "serve.err");
}

static inline void
served_free(struct served *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	free(s->root);
	free(s->state_dir);
	free(s->socket);
	free(s->err_path);
	memset(s, 0, sizeof(*s));
}

static inline char *
file_text(const char *path, off_t from)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct buffer b = { 0 };
	char chunk[65536];
	ssize_t n;

	if (fd >= 0) {
		ck_assert_msg(lseek(fd, from, SEEK_SET) != -1, "lseek %s: %s",
		    path, strerror(errno));
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			ck_assert_int_eq(buffer_append(&b, chunk, (size_t)n),
			    0);
		close(fd);
	}
	ck_assert_int_eq(buffer_append(&b, "", 1), 0);
	return b.data;
}

/* What the daemon said on stderr since it was last started. */
static inline char *
serve_stderr(const struct served *s)
{
	return file_text(s->err_path, s->err_offset);
}

/* Whether something accepts connections on path. */
static inline bool
socket_answers(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool yes;

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path) + 1);
	yes = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return yes;
}

/* Waits for pid to end, at most timeout_s (scaled); returns its status
 * as run_result's (exit status, or 128 + signal), or -1 at the limit. */
static inline int
wait_for_exit(pid_t pid, double timeout_s)
{
	double deadline = now() + timeout_s * slowdown();
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
		ck_assert_msg(r == 0 || errno == EINTR, "waitpid: %s",
		    strerror(errno));
		if (now() > deadline)
			return -1;
		sleep_s(0.005);
	}
}

/* Starts luaward serve with argv (NULL-terminated, after --state-dir,
 * --socket, generous time limits and one worker per plugin); returns its pid without waiting. */
static inline pid_t
serve_spawn(struct served *s, const char *const *extra)
{
	const char *argv[64];
	char binary[512];
	size_t n = 0;
	struct stat st;
	pid_t pid;
	int err;

	snprintf(binary, sizeof(binary), "%s/luaward", build_dir());
	argv[n++] = binary;
	argv[n++] = "serve";
	argv[n++] = "--state-dir";
	argv[n++] = s->state_dir;
	argv[n++] = "--socket";
	argv[n++] = s->socket;
	/* Time limits for a loaded machine, unless the test sets its own
	 * (the last one given counts). */
	argv[n++] = "--timeout";
	argv[n++] = "5000";
	argv[n++] = "--load-timeout";
	argv[n++] = "10000";
	/* One worker per plugin, whatever the machine's cores: the tests
	 * count workers and descriptors. */
	argv[n++] = "--workers";
	argv[n++] = "1";
	for (; extra != NULL && *extra != NULL; extra++) {
		ck_assert_uint_lt(n, 62);
		argv[n++] = *extra;
	}
	argv[n] = NULL;
	s->err_offset = stat(s->err_path, &st) == 0 ? st.st_size : 0;
	err = open(s->err_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644);
	ck_assert_int_ge(err, 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(null, 0);
		dup2(null, 1);
		dup2(err, 2);
		execv(binary, (char *const *)argv);
		_exit(127);
	}
	close(err);
	return pid;
}

/* Starts the daemon and waits until it accepts connections. */
static inline void
serve_launch(struct served *s, const char *const *extra)
{
	double deadline = now() + 60 * slowdown();

	ck_assert_int_eq(s->pid, 0);
	s->pid = serve_spawn(s, extra);
	for (;;) {
		int status;

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			char *err = serve_stderr(s);

			s->pid = 0;
			ck_abort_msg("luaward serve ended at startup (status "
			    "%d): %s", status, err);
		}
		if (socket_answers(s->socket))
			return;
		ck_assert_msg(now() < deadline, "luaward serve does not listen "
		    "on %s", s->socket);
		sleep_s(0.01);
	}
}

/* serve_launch() with the extra arguments given in line. */
static inline void
serve_start(struct served *s, ...) __attribute__((sentinel));

static inline void
serve_start(struct served *s, ...)
{
	const char *extra[32];
	size_t n = 0;
	va_list ap;

	va_start(ap, s);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
		ck_assert_uint_lt(n, 31);
		extra[n++] = a;
	}
	va_end(ap);
	extra[n] = NULL;
	serve_launch(s, extra);
}

/*
 * A clean stderr: every line is luaward's own ("luaward: ..."), none a
 * warning unless it holds one of the allowed fragments (NULL-terminated,
 * may be NULL), and no sanitizer spoke.
 */
static inline void
assert_clean_stderr(const char *text, const char *const *allowed)
{
	const char *line = text;

	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t length = end != NULL ? (size_t)(end - line) :
		    strlen(line);
		char *copy = strndup(line, length);
		bool fine = strncmp(copy, "luaward: ", 9) == 0;

		if (fine && strstr(copy, "warning:") != NULL) {
			fine = false;
			for (const char *const *a = allowed; a != NULL &&
			    *a != NULL; a++)
				if (strstr(copy, *a) != NULL)
					fine = true;
		}
		ck_assert_msg(fine, "daemon stderr has \"%s\" in:\n%s", copy,
		    text);
		free(copy);
		line += length + (end != NULL ? 1 : 0);
	}
}

/* SIGTERM: exit 0, the socket removed, stderr clean but for warnings
 * holding one of the allowed fragments (NULL-terminated). */
static inline void
serve_stop_allowing(struct served *s, const char *const *allowed)
{
	int status;
	char *err;

	ck_assert_int_gt(s->pid, 0);
	ck_assert_int_eq(kill(s->pid, SIGTERM), 0);
	status = wait_for_exit(s->pid, 120);
	if (status == -1)
		kill(s->pid, SIGKILL);
	err = serve_stderr(s);
	ck_assert_msg(status == 0, "serve after SIGTERM: status %d: %s",
	    status, err);
	s->pid = 0;
	ck_assert_msg(access(s->socket, F_OK) == -1 && errno == ENOENT,
	    "the socket %s is still there", s->socket);
	assert_clean_stderr(err, allowed);
	ck_assert_msg(strstr(err, "luaward: stopped\n") != NULL, "%s", err);
	free(err);
}

static inline void
serve_stop(struct served *s)
{
	serve_stop_allowing(s, NULL);
}

/* SIGKILL, as a crash or a power cut would stop it. */
static inline void
serve_kill(struct served *s)
{
	ck_assert_int_gt(s->pid, 0);
	ck_assert_int_eq(kill(s->pid, SIGKILL), 0);
	ck_assert_int_eq(wait_for_exit(s->pid, 60), 128 + SIGKILL);
	s->pid = 0;
}

/* Runs a client command (argv NULL-terminated, without "luaward") with
 * --socket added. */
static inline void
client_argv(struct run_result *r, const struct served *s, const char *input,
    size_t input_length, const char *const *args)
{
	const char *argv[64];
	size_t n = 0;

	for (; *args != NULL; args++) {
		ck_assert_uint_lt(n, 60);
		argv[n++] = *args;
	}
	argv[n++] = "--socket";
	argv[n++] = s->socket;
	argv[n] = NULL;
	run_luaward_argv(r, input, input_length, 300, argv);
}

static inline void
client(struct run_result *r, const struct served *s, const char *input,
    size_t input_length, ...) __attribute__((sentinel));

static inline void
client(struct run_result *r, const struct served *s, const char *input,
    size_t input_length, ...)
{
	const char *args[64];
	size_t n = 0;
	va_list ap;

	va_start(ap, input_length);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
		ck_assert_uint_lt(n, 63);
		args[n++] = a;
	}
	va_end(ap);
	args[n] = NULL;
	client_argv(r, s, input, input_length, args);
}

/* A client command that must succeed (exit 0, nothing on stderr). */
#define CLIENT_OK(r, s, ...) do {					\
	client((r), (s), NULL, 0, __VA_ARGS__, NULL);			\
	ck_assert_msg((r)->status == 0 && (r)->err_length == 0,	\
	    "line %d: exit %d: %s", __LINE__, (r)->status, (r)->err);	\
} while (0)

/* A client command that must fail with status and exactly this one
 * line on stderr. */
#define CLIENT_FAILS(status_, line_, r, s, ...) do {			\
	client((r), (s), NULL, 0, __VA_ARGS__, NULL);			\
	ck_assert_msg((r)->status == (status_), "line %d: exit %d, "	\
	    "not %d: %s", __LINE__, (r)->status, (status_), (r)->err);	\
	ck_assert_str_eq((r)->err, (line_));				\
	ck_assert_uint_eq((r)->out_length, 0);				\
} while (0)

/* Writes source to a file of its own and creates the plugin from it;
 * extra arguments (NULL-terminated) follow --name. */
static inline void
create_plugin_argv(struct run_result *r, const struct served *s,
    const char *name, const char *source, const char *const *extra)
{
	char *dir = temp_dir(), *image = write_text(dir, "image.lua", source);
	const char *args[32] = { "plugin", "create", "--type", "lua",
	    "--image", image, "--name", name };
	size_t n = 8;

	for (; extra != NULL && *extra != NULL; extra++) {
		ck_assert_uint_lt(n, 31);
		args[n++] = *extra;
	}
	args[n] = NULL;
	client_argv(r, s, NULL, 0, args);
	unlink(image);
	rmdir(dir);
	free(image);
	free(dir);
}

static inline void
create_plugin(struct run_result *r, const struct served *s, const char *name,
    const char *source, ...) __attribute__((sentinel));

static inline void
create_plugin(struct run_result *r, const struct served *s, const char *name,
    const char *source, ...)
{
	const char *extra[16];
	size_t n = 0;
	va_list ap;

	va_start(ap, source);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
		ck_assert_uint_lt(n, 15);
		extra[n++] = a;
	}
	va_end(ap);
	extra[n] = NULL;
	create_plugin_argv(r, s, name, source, extra);
}

/* Creates a plugin that must be accepted: CREATE_OK(s, name, source,
 * extra arguments...). */
#define CREATE_OK(s, name, ...) do {					\
	struct run_result r_;						\
									\
	create_plugin(&r_, (s), (name), __VA_ARGS__, NULL);		\
	ck_assert_msg(r_.status == 0, "line %d: create %s: exit %d: "	\
	    "%s", __LINE__, (name), r_.status, r_.err);			\
	run_result_free(&r_);						\
} while (0)

/*
 * A plugin that answers every record with its own name as the workload
 * name (the type Deployment), or, with only_even, only records whose
 * name ends in an even digit.
 */
static inline char *
named_plugin(const char *answer, bool only_even)
{
	char *source;

	ck_assert_int_ne(asprintf(&source,
	    "local dkjson = require(\"dkjson\")\n"
	    "function GetWorkloadTypeAndName(metaJsonStr)\n"
	    "    local meta = dkjson.decode(metaJsonStr)\n"
	    "    if %s and not (meta.name or ''):match('[02468]$') then\n"
	    "        return '', ''\n"
	    "    end\n"
	    "    return 'Deployment', '%s'\n"
	    "end\n", only_even ? "true" : "false", answer), -1);
	return source;
}

/* The chain as `plugin list -o json` gives it: names, space-separated. */
static inline char *
chain_names(const struct served *s)
{
	struct run_result r;
	struct buffer b = { 0 };
	const char *p;

	client(&r, s, NULL, 0, "plugin", "list", "-o", "json", NULL);
	ck_assert_msg(r.status == 0, "list: exit %d: %s", r.status, r.err);
	for (p = r.out; (p = strstr(p, "{\"name\":\"")) != NULL;) {
		const char *end;

		p += 9;
		end = strchr(p, '"');
		ck_assert_ptr_nonnull(end);
		if (buffer_length(&b) > 0)
			ck_assert_int_eq(buffer_append(&b, " ", 1), 0);
		ck_assert_int_eq(buffer_append(&b, p, (size_t)(end - p)), 0);
		p = end;
	}
	ck_assert_int_eq(buffer_append(&b, "", 1), 0);
	run_result_free(&r);
	return b.data;
}

#define ASSERT_CHAIN_NAMES(s, want) do {				\
	char *c_ = chain_names(s);					\
									\
	ck_assert_msg(strcmp(c_, (want)) == 0, "line %d: chain "	\
	    "\"%s\", expected \"%s\"", __LINE__, c_, (want));		\
	free(c_);							\
} while (0)

/* The names of dir's files, sorted, space-separated ("" when none). */
static inline int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline char *
files_of(const char *dir)
{
	char *names[1024];
	struct buffer b = { 0 };
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	ck_assert_msg(d != NULL, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)) {
			ck_assert_uint_lt(n, 1024);
			names[n++] = strdup(e->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			ck_assert_int_eq(buffer_append(&b, " ", 1), 0);
		ck_assert_int_eq(buffer_append(&b, names[i], strlen(names[i])),
		    0);
		free(names[i]);
	}
	ck_assert_int_eq(buffer_append(&b, "", 1), 0);
	return b.data;
}

#define ASSERT_FILES(dir, want) do {					\
	char *f_ = files_of(dir);					\
									\
	ck_assert_msg(strcmp(f_, (want)) == 0, "line %d: files "	\
	    "\"%s\", expected \"%s\"", __LINE__, f_, (want));		\
	free(f_);							\
} while (0)

#endif
