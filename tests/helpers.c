#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static char temp_root[256];
static unsigned temp_counter;

const char *
build_dir(void)
{
	const char *dir = getenv("LUAWARD_BUILD");

	return dir != NULL && dir[0] != '\0' ? dir : "build";
}

static void *
must(void *p)
{
	ck_assert_msg(p != NULL, "out of memory in a test helper");
	return p;
}

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long
rss_kib(pid_t pid)
{
	char path[64], row[256];
	long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(row, sizeof(row), f) != NULL)
		if (strncmp(row, "VmRSS:", 6) == 0)
			kib = atol(row + 6);
	fclose(f);
	return kib;
}

static void
append(char **buffer, size_t *length, const char *bytes, size_t n)
{
	*buffer = must(realloc(*buffer, *length + n + 1));
	memcpy(*buffer + *length, bytes, n);
	*length += n;
	(*buffer)[*length] = '\0';
}

double
slowdown(void)
{
#ifdef LUAWARD_SANITIZE
	double factor = 8;
#else
	double factor = 1;
#endif
	const char *extra = getenv("LUAWARD_TEST_SLOWDOWN");

	if (extra != NULL && atof(extra) >= 1)
		factor *= atof(extra);
	return factor;
}

void
run_luaward_argv(struct run_result *r, const char *input, size_t input_length,
    double timeout_s, const char *const *argv)
{
	int in[2], out[2], err[2], status;
	size_t written = 0, argc = 0;
	char path[512];
	const char **full;
	double deadline = now() + timeout_s * slowdown();
	bool killed = false;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = must(calloc(1, 1));
	r->err = must(calloc(1, 1));
	while (argv[argc] != NULL)
		argc++;
	full = must(calloc(argc + 2, sizeof(*full)));
	snprintf(path, sizeof(path), "%s/luaward", build_dir());
	full[0] = path;
	memcpy(full + 1, argv, argc * sizeof(*argv));
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(path, (char *const *)full);
		_exit(127);
	}
	free(full);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (input_length == 0) {
		close(in[1]);
		in[1] = -1;
	}
	while (out[0] != -1 || err[0] != -1) {
		struct pollfd fds[3] = {
			{ .fd = out[0], .events = POLLIN },
			{ .fd = err[0], .events = POLLIN },
			{ .fd = in[1], .events = POLLOUT },
		};
		double left = deadline - now();
		char chunk[65536];

		if (left <= 0 && !killed) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (poll(fds, 3, left > 0 ? (int)(left * 1000) + 1 : 100) < 0 &&
		    errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &out[0] : &err[0];
			ssize_t n;

			if (*fd == -1 || !(fds[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(*fd, chunk, sizeof(chunk));
			if (n > 0)
				append(i == 0 ? &r->out : &r->err,
				    i == 0 ? &r->out_length : &r->err_length,
				    chunk, (size_t)n);
			else if (n == 0 || errno != EINTR) {
				close(*fd);
				*fd = -1;
			}
		}
		if (in[1] != -1 && (fds[2].revents & (POLLOUT | POLLERR))) {
			ssize_t n = write(in[1], input + written,
			    input_length - written);

			if (n > 0)
				written += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
			    written == input_length) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] != -1)
		close(in[1]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

void
run_luaward(struct run_result *r, const char *input, size_t input_length,
    double timeout_s, const char *arg, ...)
{
	const char *argv[64];
	size_t n = 0;
	va_list ap;

	va_start(ap, arg);
	for (const char *a = arg; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_uint_lt(n, 63);
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	run_luaward_argv(r, input, input_length, timeout_s, argv);
}

void
run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static void
ensure_root(void)
{
	if (temp_root[0] != '\0')
		return;
	snprintf(temp_root, sizeof(temp_root), "%s/luaward-tests-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(temp_root) == NULL) {
		perror(temp_root);
		exit(1);
	}
}

char *
temp_dir(void)
{
	char *path;

	ensure_root();
	ck_assert_int_ne(asprintf(&path, "%s/%d-%u", temp_root, getpid(),
	    temp_counter++), -1);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	return path;
}

char *
write_file(const char *dir, const char *name, const char *content,
    size_t length)
{
	char *path;
	FILE *f;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, name), -1);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(content, 1, length, f), length);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

char *
write_text(const char *dir, const char *name, const char *text)
{
	return write_file(dir, name, text, strlen(text));
}

char *
plugin_dir(const char *name, ...)
{
	char *dir = temp_dir();
	va_list ap;

	va_start(ap, name);
	for (const char *n = name; n != NULL; n = va_arg(ap, const char *)) {
		const char *source = va_arg(ap, const char *);

		free(write_text(dir, n, source));
	}
	va_end(ap);
	return dir;
}

char *
lua_shown_path(const char *path)
{
	size_t length = strlen(path);
	char *shown;

	if (length <= 59)
		return must(strdup(path));
	ck_assert_int_ne(asprintf(&shown, "...%s", path + length - 56), -1);
	return shown;
}

char *
read_source_file(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	char *content = NULL;
	size_t used = 0;
	char chunk[65536];
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	content = must(calloc(1, 1));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		append(&content, &used, chunk, n);
	fclose(f);
	if (length != NULL)
		*length = used;
	return content;
}

char *
line_of(const char *text, size_t n)
{
	const char *end;

	for (; n > 0; n--) {
		if ((text = strchr(text, '\n')) == NULL)
			return NULL;
		text++;
	}
	if (*text == '\0')
		return NULL;
	end = strchr(text, '\n');
	return must(strndup(text, end != NULL ? (size_t)(end - text) :
	    strlen(text)));
}

size_t
count_lines(const char *text)
{
	size_t n = 0;

	for (; *text != '\0'; text++)
		if (*text == '\n')
			n++;
	return n;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
helpers_cleanup(void)
{
	if (temp_root[0] != '\0')
		nftw(temp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
helpers_init(void)
{
	/*
	 * A luaward that exits before reading all its input (an unknown flag,
	 * exit 2) must show up as a write error, not kill the test process.
	 */
	signal(SIGPIPE, SIG_IGN);
	ensure_root();
}
