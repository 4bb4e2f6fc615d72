/*
 * luaward-worker on its own, without the supervisor: the test plays the
 * supervisor's side of the pipes (ipc/wire.h), so what the worker checks
 * for itself shows — a descriptor it should never have inherited, a
 * supervisor that breaks the protocol, a person starting it by hand.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ipc/wire.h"
#include "../supervisor/policy/policy.h"
#include "helpers.h"
#include "suites.h"

struct worker_run {
	int		 status;	/* exit status, or 128 + signal */
	struct buffer	 out;		/* its replies, framed */
	char		*err;		/* what it wrote on fd 2 */
};

/* Appends everything fd has to b, until end of file. */
static void
drain(int fd, struct buffer *b)
{
	for (;;) {
		ssize_t n;

		ck_assert_int_eq(buffer_reserve(b, 65536), 0);
		n = read(fd, b->data + b->end, b->capacity - b->end);
		if (n <= 0)
			break;
		b->end += (size_t)n;
	}
	close(fd);
}

/*
 * Starts the worker binary under test with argv (NULL: none but its
 * name), an empty environment and pipes on 0, 1 and 2, as spawn.c does;
 * with an extra descriptor on 3 when inherit_fd3.  Writes input, closes
 * its stdin and collects everything until it exits.
 */
static void
run_worker(struct worker_run *r, const struct buffer *input, bool inherit_fd3,
    const char *arg)
{
	char path[512];
	int in[2], out[2], err[2];
	struct buffer errors = { 0 };
	pid_t pid;
	int status;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/luaward-worker", build_dir());
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		char *const argv[] = { (char *)"luaward-worker", (char *)arg,
		    NULL };
		char *const envp[] = { NULL };

		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 ||
		    dup2(err[1], 2) == -1)
			_exit(126);
		/* Whatever the test runner holds is not the worker's. */
		if (syscall(SYS_close_range, 3, ~0U, 0) == -1)
			_exit(126);
		if (inherit_fd3 && open("/dev/null", O_RDONLY) != 3)
			_exit(126);
		execve(path, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	signal(SIGPIPE, SIG_IGN);
	if (input != NULL)
		(void)!write(in[1], buffer_bytes(input), buffer_length(input));
	close(in[1]);
	drain(out[0], &r->out);
	drain(err[0], &errors);
	ck_assert_int_eq(buffer_reserve(&errors, 1), 0);
	errors.data[errors.end] = '\0';
	r->err = strdup(buffer_bytes(&errors));
	buffer_free(&errors);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

static void
worker_run_free(struct worker_run *r)
{
	buffer_free(&r->out);
	free(r->err);
}

/* Message n (0-based) of what the worker sent; fails if there are fewer,
 * or if anything is malformed.  Its strings point into r->out. */
static void
message_of(const struct worker_run *r, size_t n,
    struct wire_decoder *decoder, struct wire_message *m)
{
	/* A view of r->out that is consumed, not r->out itself. */
	struct buffer view = r->out;
	char error[256];

	for (size_t i = 0; i <= n; i++) {
		const char *payload;
		size_t length;

		ck_assert_msg(wire_frame(&view, &payload, &length, error,
		    sizeof(error)) == 1, "no message %zu", i);
		if (i == n) {
			ck_assert_msg(wire_decode(decoder, payload, length, m,
			    error, sizeof(error)) == 0, "%s", error);
			break;
		}
		view.start += WIRE_HEADER_SIZE + length;
	}
}

/* How many whole frames the worker sent. */
static size_t
message_count(const struct worker_run *r)
{
	struct buffer copy = { 0 };
	const char *payload;
	size_t length, n = 0;
	char error[256];

	buffer_append(&copy, buffer_bytes(&r->out), buffer_length(&r->out));
	while (wire_frame(&copy, &payload, &length, error,
	    sizeof(error)) == 1) {
		buffer_consume(&copy, WIRE_HEADER_SIZE + length);
		n++;
	}
	ck_assert_uint_eq(buffer_length(&copy), 0);
	buffer_free(&copy);
	return n;
}

/* The ERROR{0, kind, message} the worker sends before it exits. */
static void
expect_fatal(const struct worker_run *r, int status, const char *kind,
    const char *message)
{
	struct wire_decoder *decoder = wire_decoder_new();
	struct wire_message m;

	ck_assert_msg(r->status == status, "exit %d: %s", r->status, r->err);
	ck_assert_str_eq(r->err, "");
	ck_assert_uint_eq(message_count(r), 2);
	message_of(r, 0, decoder, &m);
	ck_assert_int_eq(m.type, WIRE_HELLO);
	message_of(r, 1, decoder, &m);
	ck_assert_int_eq(m.type, WIRE_ERROR);
	ck_assert_uint_eq(m.u.error.id, 0);
	ck_assert_msg(wire_string_is(m.u.error.kind, kind), "kind %.*s",
	    (int)m.u.error.kind.length, m.u.error.kind.bytes);
	ck_assert_msg(wire_string_is(m.u.error.message, message), "message "
	    "%.*s", (int)m.u.error.message.length, m.u.error.message.bytes);
	wire_decoder_free(decoder);
}

/* The last words of a worker whose plugin did not load: after HELLO and
 * SEALED, ERROR{0, kind, message}. */
static void
expect_fatal_after_seal(const struct worker_run *r, const char *kind,
    const char *message)
{
	struct wire_decoder *decoder = wire_decoder_new();
	struct wire_message m;

	ck_assert_uint_eq(message_count(r), 3);
	message_of(r, 1, decoder, &m);
	ck_assert_int_eq(m.type, WIRE_SEALED);
	message_of(r, 2, decoder, &m);
	ck_assert_int_eq(m.type, WIRE_ERROR);
	ck_assert_uint_eq(m.u.error.id, 0);
	ck_assert(wire_string_is(m.u.error.kind, kind));
	ck_assert_msg(wire_string_is(m.u.error.message, message), "message "
	    "%.*s", (int)m.u.error.message.length, m.u.error.message.bytes);
	wire_decoder_free(decoder);
}

static const char plugin_source[] = "function GetWorkloadTypeAndName(m) "
    "return 'Deployment', 'direct' end\n";

/* The policy the supervisor gives workers; a sanitizer's runtime needs a
 * little more once its worker is sealed. */
#ifdef LUAWARD_SANITIZE
#define WORKER_POLICY	"policies/sanitizer.policy"
#else
#define WORKER_POLICY	"policies/worker.policy"
#endif

/* A LOAD as the supervisor builds it (supervisor/engine/plugin.c), with the
 * bundled policy's filter, for source shown as chunk_name. */
static void
put_load_of(struct buffer *b, const char *source, const char *chunk_name)
{
	char error[512];
	struct policy *policy = policy_load(WORKER_POLICY, error,
	    sizeof(error));
	struct wire_load load;

	ck_assert_msg(policy != NULL, "%s", error);
	memset(&load, 0, sizeof(load));
	load.plugin.bytes = "direct";
	load.plugin.length = 6;
	load.chunk_name.bytes = chunk_name;
	load.chunk_name.length = strlen(chunk_name);
	load.source.bytes = source;
	load.source.length = strlen(source);
	load.call_timeout_ms = 1000;
	load.load_timeout_ms = 1000;
	load.memory_bytes = 64u << 20;
	load.log_lines_per_second = 10;
	load.log_burst = 100;
	load.landlock = WIRE_MODE_AUTO;
	load.seccomp_filter.bytes = policy_program(policy,
	    &load.seccomp_filter.length);
	ck_assert_int_eq(wire_put_load(b, &load), 0);
	policy_free(policy);
}

static void
put_load(struct buffer *b)
{
	put_load_of(b, plugin_source, "");
}

START_TEST(test_valid_load_is_served)
{
	static const char metadata[] = "{\"name\":\"p\"}";
	struct wire_decoder *decoder = wire_decoder_new();
	struct buffer input = { 0 };
	struct wire_message m;
	struct worker_run r;

	/* What the other tests change is all that is wrong with them. */
	put_load(&input);
	ck_assert_int_eq(wire_put_request(&input, 7, metadata,
	    sizeof(metadata) - 1), 0);
	run_worker(&r, &input, false, NULL);
	ck_assert_msg(r.status == WIRE_EXIT_DONE, "exit %d: %s", r.status,
	    r.err);
	ck_assert_uint_eq(message_count(&r), 4);
	message_of(&r, 1, decoder, &m);
	ck_assert_int_eq(m.type, WIRE_SEALED);
	message_of(&r, 2, decoder, &m);
	ck_assert_int_eq(m.type, WIRE_READY);
	message_of(&r, 3, decoder, &m);
	ck_assert_int_eq(m.type, WIRE_REPLY);
	ck_assert_uint_eq(m.u.reply.id, 7);
	ck_assert(wire_string_is(m.u.reply.type, "Deployment"));
	ck_assert(wire_string_is(m.u.reply.name, "direct"));
	worker_run_free(&r);
	buffer_free(&input);
	wire_decoder_free(decoder);
}
END_TEST

/* Errors name the plugin's file by LOAD's chunk_name, the path the user
 * gave; by PLUGIN.lua when it is "" (the daemon's stored plugins). */
START_TEST(test_errors_name_the_file_by_its_chunk_name)
{
	static const struct {
		const char *chunk_name, *message;
	} cases[] = {
		{ "", "top level: direct.lua:2: no" },
		{ "plugins/10-direct.lua", "top level: plugins/10-direct.lua:2: "
		    "no" },
		{ "/etc/luaward/plugins/direct.lua", "top level: "
		    "/etc/luaward/plugins/direct.lua:2: no" },
		/* Longer than Lua shows (59 bytes): "..." and its last 56,
		 * which end with the file name. */
		{ "/a/very/long/directory/name/that/goes/on/and/on/and/on/"
		    "plugins/direct.lua", "top level: ...ctory/name/that/goes/"
		    "on/and/on/and/on/plugins/direct.lua:2: no" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buffer input = { 0 };
		struct worker_run r;

		put_load_of(&input, "local x = 1\nerror('no')\n",
		    cases[i].chunk_name);
		run_worker(&r, &input, false, NULL);
		ck_assert_msg(r.status == WIRE_EXIT_LOAD, "exit %d: %s",
		    r.status, r.err);
		expect_fatal_after_seal(&r, "load", cases[i].message);
		worker_run_free(&r);
		buffer_free(&input);
	}
}
END_TEST

/* Whether this kernel has close_range (Linux 5.9): an empty range is
 * closed without error. */
static bool
have_close_range(void)
{
	return syscall(SYS_close_range, 1u << 30, 1u << 30, 0u) == 0;
}

/*
 * A descriptor left open by mistake (here the write end of a pipe the test
 * reads) is closed before any plugin code runs: the pipe reads end of file
 * while the worker, loaded, still waits for requests.  Without
 * close_range the worker refuses to run instead.
 */
START_TEST(test_inherited_descriptor_is_closed)
{
	struct wire_decoder *decoder = wire_decoder_new();
	struct buffer input = { 0 }, replies = { 0 };
	struct wire_message m;
	const char *payload;
	char path[512], error[256], byte;
	int in[2], out[2], err[2], leak[2], status, r = 0;
	size_t length;
	pid_t pid;

	if (!have_close_range()) {
		struct worker_run run;

		put_load(&input);
		run_worker(&run, &input, true, NULL);
		expect_fatal(&run, WIRE_EXIT_SETUP, "sandbox", "descriptors: "
		    "fd 3 was inherited");
		worker_run_free(&run);
		buffer_free(&input);
		wire_decoder_free(decoder);
		return;
	}
	snprintf(path, sizeof(path), "%s/luaward-worker", build_dir());
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(leak, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		char *const argv[] = { (char *)"luaward-worker", NULL };
		char *const envp[] = { NULL };

		/* dup2 onto another number clears close-on-exec. */
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 ||
		    dup2(err[1], 2) == -1 || dup2(leak[1], 3) == -1 ||
		    syscall(SYS_close_range, 4u, ~0u, 0u) == -1)
			_exit(126);
		execve(path, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(leak[1]);
	signal(SIGPIPE, SIG_IGN);
	put_load(&input);
	ck_assert(write(in[1], buffer_bytes(&input), buffer_length(&input)) ==
	    (ssize_t)buffer_length(&input));
	/* HELLO, SEALED, READY: then the worker waits on its stdin. */
	for (int seen = 0; seen < 3;) {
		ssize_t n;

		if ((r = wire_frame(&replies, &payload, &length, error,
		    sizeof(error))) == 1) {
			ck_assert_int_eq(wire_decode(decoder, payload, length,
			    &m, error, sizeof(error)), 0);
			if (++seen == 3) {
				ck_assert_int_eq(m.type, WIRE_READY);
				ck_assert(wire_string_is(
				    m.u.ready.layers[0].name, "descriptors"));
				ck_assert(wire_string_is(
				    m.u.ready.layers[0].detail, "every "
				    "descriptor above 2 closed (close_range)"));
			}
			buffer_consume(&replies, WIRE_HEADER_SIZE + length);
			continue;
		}
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(buffer_reserve(&replies, 4096), 0);
		n = read(out[0], replies.data + replies.end,
		    replies.capacity - replies.end);
		ck_assert_msg(n > 0, "the worker stopped before READY");
		replies.end += (size_t)n;
	}
	/* The worker is alive (its stdin is open) and holds no write end. */
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	ck_assert_int_eq(read(leak[0], &byte, 1), 0);
	close(in[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == WIRE_EXIT_DONE);
	close(out[0]);
	close(err[0]);
	close(leak[0]);
	buffer_free(&replies);
	buffer_free(&input);
	wire_decoder_free(decoder);
}
END_TEST

START_TEST(test_request_before_load)
{
	struct buffer input = { 0 };
	struct worker_run r;

	ck_assert_int_eq(wire_put_request(&input, 1, "{}", 2), 0);
	run_worker(&r, &input, false, NULL);
	expect_fatal(&r, WIRE_EXIT_PROTOCOL, "error", "expected LOAD, got "
	    "REQUEST");
	worker_run_free(&r);
	buffer_free(&input);
}
END_TEST

START_TEST(test_input_closed_before_load)
{
	struct wire_decoder *decoder = wire_decoder_new();
	struct wire_message m;
	struct worker_run r;

	/* The supervisor gave up on it: nothing to report. */
	run_worker(&r, NULL, false, NULL);
	ck_assert_int_eq(r.status, WIRE_EXIT_DONE);
	message_of(&r, 0, decoder, &m);
	ck_assert_int_eq(m.type, WIRE_HELLO);
	ck_assert_uint_eq(message_count(&r), 1);
	worker_run_free(&r);
	wire_decoder_free(decoder);
}
END_TEST

static const char usage[] = "luaward-worker: started by luaward with its "
    "pipes on fds 0 and 1; not meant to be run by hand (see luaward "
    "--help)\n";

START_TEST(test_started_with_an_argument)
{
	struct worker_run r;

	run_worker(&r, NULL, false, "--help");
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, usage);
	ck_assert_uint_eq(buffer_length(&r.out), 0);
	worker_run_free(&r);
}
END_TEST

START_TEST(test_started_from_a_terminal)
{
	char path[512], *slave;
	int master, err[2], status;
	struct buffer errors = { 0 };
	pid_t pid;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ne(master, -1);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	ck_assert_ptr_nonnull(slave = ptsname(master));
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	snprintf(path, sizeof(path), "%s/luaward-worker", build_dir());
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int tty = open(slave, O_RDWR | O_NOCTTY);

		if (tty == -1 || dup2(tty, 0) == -1 || dup2(tty, 1) == -1 ||
		    dup2(err[1], 2) == -1)
			_exit(126);
		execl(path, "luaward-worker", (char *)NULL);
		_exit(127);
	}
	close(err[1]);
	drain(err[0], &errors);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	ck_assert_int_eq(buffer_reserve(&errors, 1), 0);
	errors.data[errors.end] = '\0';
	ck_assert_str_eq(buffer_bytes(&errors), usage);
	buffer_free(&errors);
	close(master);
}
END_TEST

Suite *
worker_direct_suite(void)
{
	Suite *s = suite_create("worker_direct");
	TCase *t = tcase_create("worker without supervisor");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_valid_load_is_served);
	tcase_add_test(t, test_errors_name_the_file_by_its_chunk_name);
	tcase_add_test(t, test_inherited_descriptor_is_closed);
	tcase_add_test(t, test_request_before_load);
	tcase_add_test(t, test_input_closed_before_load);
	tcase_add_test(t, test_started_with_an_argument);
	tcase_add_test(t, test_started_from_a_terminal);
	suite_add_tcase(s, t);
	return s;
}
