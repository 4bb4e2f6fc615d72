/*
 * A stand-in for luaward-worker that misbehaves on purpose, to prove the
 * supervisor survives anything a worker does.  It speaks the real protocol
 * (ipc/) until its "plugin source", received in LOAD, tells it to stop
 * behaving.  The source is one word:
 *
 *   ok               answer Deployment / fake to every request
 *   garbage          answer the first request with random bytes
 *   wrong-id         answer a request that was never sent
 *   bad-header       announce a frame larger than the protocol allows
 *   flood            answer the first request with endless log messages
 *   endless-frame    start a frame and never finish it
 *   close-stdout     close fd 1 at the first request and keep running
 *   stop             SIGSTOP itself at the first request
 *   fork             try to fork at load (NPROC 0 forbids it), then be ok,
 *                    but answer Deployment / forked if the fork worked
 *   exit-at-load     exit before READY
 *   die-every-3rd    exit without answering every third request
 *   slow             answer each request after 30 ms
 *   no-landlock      like ok, but report Landlock as skipped
 *   setup-fail       report a sandbox layer refused, as the real worker's
 *                    channel_fatal() does, and exit WIRE_EXIT_SETUP
 *   early-reply      send a REPLY before READY
 *   violate-at-load  report a seccomp VIOLATION while loading, then die
 *                    by SIGSYS, as a plugin whose top level made a
 *                    syscall outside the policy would
 *   stderr           write a control byte, an overlong line and, at the
 *                    end, a line without newline to fd 2; otherwise ok
 *   stray-reply      answer each request, then one that was never sent
 *   reply-control    answer Deployment / "f\33[2J", a name no plugin
 *                    could return (the supervisor checks it itself)
 *
 * and, misbehaving only on the record whose metadata says "bad" (so a
 * replacement worker answers the records after it):
 *
 *   hello-twice      send a second HELLO
 *   not-msgpack      send a well-framed payload that is not msgpack
 *   error-crash      answer with ERROR kind "crash", which is the
 *                    supervisor's to give, never a worker's
 *   violate          hold the request before it unanswered, then report a
 *                    seccomp VIOLATION for the bad one and die by SIGSYS
 *   violate-exit     report a VIOLATION for the bad one, then exit 1
 *                    (no SIGSYS: the report alone proves nothing)
 *   late-load-error  claim a load failure after READY (ERROR about itself,
 *                    exit WIRE_EXIT_LOAD), as only a loading worker may
 *
 * and, whatever the record:
 *
 *   lying-micros     claim that every call took 2^62 microseconds
 *   linger           answer as ok, but never exit when the input closes
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "../ipc/wire.h"

static struct buffer in, out;
static struct wire_decoder *decoder;
static size_t pending;

static void
flush(void)
{
	while (buffer_length(&out) > 0) {
		ssize_t n = write(1, buffer_bytes(&out), buffer_length(&out));

		if (n <= 0)
			_exit(3);
		buffer_consume(&out, (size_t)n);
	}
}

static int
receive(struct wire_message *m)
{
	const char *payload;
	size_t length;
	char error[256];
	int r;

	buffer_consume(&in, pending);
	pending = 0;
	while ((r = wire_frame(&in, &payload, &length, error,
	    sizeof(error))) == 0) {
		ssize_t n;

		flush();
		if (buffer_reserve(&in, 65536) == -1)
			_exit(4);
		n = read(0, in.data + in.end, in.capacity - in.end);
		if (n <= 0)
			return 0;
		in.end += (size_t)n;
	}
	if (r == -1 || wire_decode(decoder, payload, length, m, error,
	    sizeof(error)) == -1)
		_exit(5);
	pending = WIRE_HEADER_SIZE + length;
	return 1;
}

/* Whether a request is for the record named "bad". */
static int
is_bad(const struct wire_message *m)
{
	return memmem(m->u.request.metadata.bytes, m->u.request.metadata.length,
	    "\"bad\"", 5) != NULL;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/*
 * Dies by SIGSYS as the real worker does under its filter.  raise() would
 * not do: a worker is init of its own pid namespace, and init ignores a
 * signal whose action is the default unless the kernel forces it, as a
 * seccomp filter does.
 */
static void
die_by_sigsys(void)
{
	static struct sock_filter kill_all[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog program = { 1, kill_all };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
		(void)prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
	_exit(10);
}

int
main(void)
{
	struct wire_message m;
	char behaviour[64] = "";
	unsigned requests = 0;
	const char *name = "fake";
	uint64_t held = 0;	/* violate: a request left unanswered */

	decoder = wire_decoder_new();
	wire_put_hello(&out, (uint32_t)getpid());
	if (receive(&m) == 0 || m.type != WIRE_LOAD)
		return 6;
	if (m.u.load.settings.source.length < sizeof(behaviour))
		memcpy(behaviour, m.u.load.settings.source.bytes,
		    m.u.load.settings.source.length);
	behaviour[strcspn(behaviour, "\n")] = '\0';

	if (strcmp(behaviour, "exit-at-load") == 0)
		return 7;
	if (strcmp(behaviour, "setup-fail") == 0) {
		wire_put_error(&out, 0, "sandbox", "landlock: refused", 17, 0);
		flush();
		_exit(WIRE_EXIT_SETUP);
	}
	wire_put_sealed(&out);
	if (strcmp(behaviour, "violate-at-load") == 0) {
		wire_put_violation(&out, SYS_ptrace, AUDIT_ARCH_X86_64, 0);
		flush();
		die_by_sigsys();
	}
	if (strcmp(behaviour, "early-reply") == 0)
		wire_put_reply(&out, 1, "Deployment", 10, "early", 5, 0);
	if (strcmp(behaviour, "stderr") == 0) {
		/* One write, under PIPE_BUF: the supervisor reads it whole,
		 * the short line and then 2000 bytes without an end. */
		char text[4 + 2000];

		memcpy(text, "a\001b\n", 4);
		memset(text + 4, 'x', 2000);
		(void)!write(2, text, sizeof(text));
	}
	if (strcmp(behaviour, "fork") == 0) {
		pid_t child = fork();

		/* This worker has no seccomp filter: only the supervisor's
		 * RLIMIT_NPROC stands in the way.  A fork that works must
		 * show in every answer. */
		if (child == 0)
			_exit(0);
		if (child > 0) {
			waitpid(child, NULL, 0);
			name = "forked";
		}
	}
	if (strcmp(behaviour, "no-landlock") == 0) {
		static const struct wire_layer skipped = {
			{ "landlock", 8 }, { "skipped", 7 },
			{ "the kernel has no Landlock (fake)", 33 },
		};

		wire_put_ready(&out, &skipped, 1, NULL, 0);
	} else
		wire_put_ready(&out, NULL, 0, NULL, 0);
	flush();

	while (receive(&m) == 1) {
		uint64_t id = m.u.request.id;

		if (m.type != WIRE_REQUEST)
			return 8;
		requests++;
		if (strcmp(behaviour, "violate") == 0 && held == 0 &&
		    !is_bad(&m) && requests == 1) {
			/* Keep it in flight and see what comes next. */
			held = id;
			continue;
		}
		if (strcmp(behaviour, "violate") == 0 && is_bad(&m)) {
			wire_put_violation(&out, SYS_ptrace, AUDIT_ARCH_X86_64,
			    id);
			flush();
			die_by_sigsys();
		}
		if (held != 0) {
			wire_put_reply(&out, held, "Deployment", 10, name,
			    strlen(name), 1);
			held = 0;
		}
		if (is_bad(&m) && strcmp(behaviour, "violate-exit") == 0) {
			wire_put_violation(&out, SYS_ptrace, AUDIT_ARCH_X86_64,
			    id);
			flush();
			_exit(1);
		}
		if (is_bad(&m) && strcmp(behaviour, "late-load-error") == 0) {
			wire_put_error(&out, 0, "load", "pretend", 7, 0);
			flush();
			_exit(WIRE_EXIT_LOAD);
		}
		if (strcmp(behaviour, "lying-micros") == 0)
			wire_put_reply(&out, id, "Deployment", 10, name,
			    strlen(name), UINT64_C(1) << 62);
		else if (is_bad(&m) && strcmp(behaviour, "hello-twice") == 0)
			wire_put_hello(&out, (uint32_t)getpid());
		else if (is_bad(&m) && strcmp(behaviour, "not-msgpack") == 0)
			/* 0xc1 is the one byte msgpack never uses. */
			buffer_append(&out, "\x00\x00\x00\x01\xc1", 5);
		else if (is_bad(&m) && strcmp(behaviour, "error-crash") == 0)
			wire_put_error(&out, id, "crash", "it broke", 8, 1);
		else if (strcmp(behaviour, "reply-control") == 0)
			wire_put_reply(&out, id, "Deployment", 10, "f\33[2J", 5,
			    1);
		else if (strcmp(behaviour, "stray-reply") == 0) {
			wire_put_reply(&out, id, "Deployment", 10, name,
			    strlen(name), 1);
			wire_put_reply(&out, id + 1000, "Deployment", 10, name,
			    strlen(name), 1);
		} else if (strcmp(behaviour, "garbage") == 0) {
			unsigned char junk[4096];

			for (size_t i = 0; i < sizeof(junk); i++)
				junk[i] = (unsigned char)rand();
			buffer_append(&out, junk, sizeof(junk));
		} else if (strcmp(behaviour, "wrong-id") == 0)
			wire_put_reply(&out, id + 1000, "Deployment", 10, "x", 1, 0);
		else if (strcmp(behaviour, "bad-header") == 0)
			buffer_append(&out, "\x7f\xff\xff\xff", 4);
		else if (strcmp(behaviour, "flood") == 0)
			for (;;) {
				wire_put_log(&out, "flood", 5, 0);
				flush();
			}
		else if (strcmp(behaviour, "endless-frame") == 0) {
			buffer_append(&out, "\x00\x10\x00\x00", 4);
			for (;;) {
				buffer_append(&out, "\x00", 1);
				flush();
				sleep_ms(1);
			}
		} else if (strcmp(behaviour, "close-stdout") == 0) {
			close(1);
			for (;;)
				pause();
		} else if (strcmp(behaviour, "stop") == 0)
			raise(SIGSTOP);
		else if (strcmp(behaviour, "die-every-3rd") == 0 &&
		    requests % 3 == 0) {
			flush();
			_exit(9);
		} else {
			if (strcmp(behaviour, "slow") == 0)
				sleep_ms(30);
			wire_put_reply(&out, id, "Deployment", 10, name,
			    strlen(name), 1);
		}
	}
	flush();
	if (strcmp(behaviour, "stderr") == 0)
		(void)!write(2, "bye", 3);
	if (strcmp(behaviour, "linger") == 0)
		for (;;)
			sleep_ms(1000);
	return 0;
}
