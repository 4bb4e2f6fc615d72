/*
 * Shared by the suites of `luaward serve` through serve_support.h: raw
 * connections to the control socket that speak its frames (ipc/control.h)
 * one by one, for what no well-behaved client sends, and the daemon's
 * processes and descriptors as /proc shows them.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_SERVE_RAW_H
#define LUAWARD_TESTS_SERVE_RAW_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../ipc/buffer.h"
#include "../ipc/control.h"
#include "helpers.h"

struct raw {
	int			 fd;
	struct buffer		 in;
	struct control_decoder	*decoder;
	size_t			 pending;	/* the last frame read */
};

/* Connects (non-blocking afterwards); returns -1 with errno when the
 * connection is refused. */
static inline int
raw_try_open(struct raw *r, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(r->fd, 0);
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(r->fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		int error = errno;

		close(r->fd);
		r->fd = -1;
		errno = error;
		return -1;
	}
	ck_assert_int_eq(fcntl(r->fd, F_SETFL, O_NONBLOCK), 0);
	r->decoder = control_decoder_new();
	ck_assert_ptr_nonnull(r->decoder);
	return 0;
}

static inline void
raw_open(struct raw *r, const char *path)
{
	ck_assert_msg(raw_try_open(r, path) == 0, "connect %s: %s", path,
	    strerror(errno));
}

static inline void
raw_close(struct raw *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	buffer_free(&r->in);
	control_decoder_free(r->decoder);
	r->decoder = NULL;
}

/* Writes bytes whole, waiting at most timeout_s (scaled); returns 0, or
 * -1 with errno (EPIPE, ECONNRESET, or ETIMEDOUT at the limit). */
static inline int
raw_write_within(struct raw *r, const void *bytes, size_t length,
    double timeout_s)
{
	double deadline = now() + timeout_s * slowdown();
	size_t done = 0;

	while (done < length) {
		struct pollfd p = { .fd = r->fd, .events = POLLOUT };
		ssize_t n = send(r->fd, (const char *)bytes + done,
		    length - done, MSG_NOSIGNAL);
		double left;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if ((left = deadline - now()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)poll(&p, 1, (int)(left * 1000) + 1);
	}
	return 0;
}

static inline void
raw_write(struct raw *r, const void *bytes, size_t length)
{
	ck_assert_msg(raw_write_within(r, bytes, length, 60) == 0, "send: %s",
	    strerror(errno));
}

/* Sends every frame b holds, and empties it. */
static inline void
raw_send(struct raw *r, struct buffer *b)
{
	raw_write(r, buffer_bytes(b), buffer_length(b));
	buffer_clear(b);
}

/* The next reply: 1 with *m, 0 when the daemon closed the connection
 * (EOF or reset), -1 when none came within timeout_s (scaled).  A frame
 * that does not decode fails the test. */
static inline int
raw_receive(struct raw *r, struct control_message *m, double timeout_s)
{
	double deadline = now() + timeout_s * slowdown();
	char error[256];

	buffer_consume(&r->in, r->pending);
	r->pending = 0;
	for (;;) {
		const char *payload;
		size_t length;
		int f = control_frame(&r->in, &payload, &length, error,
		    sizeof(error));
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		double left;
		ssize_t n;

		ck_assert_msg(f != -1, "the daemon sent a bad frame: %s",
		    error);
		if (f == 1) {
			ck_assert_msg(control_decode_reply(r->decoder, payload,
			    length, m, error, sizeof(error)) == 0, "the daemon "
			    "sent a bad reply: %s", error);
			r->pending = WIRE_HEADER_SIZE + length;
			return 1;
		}
		ck_assert_int_eq(buffer_reserve(&r->in, 65536), 0);
		n = recv(r->fd, r->in.data + r->in.end, r->in.capacity -
		    r->in.end, 0);
		if (n > 0) {
			r->in.end += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return 0;
		if ((left = deadline - now()) <= 0)
			return -1;
		(void)poll(&p, 1, (int)(left * 1000) + 1);
	}
}

/* A reply that must come, of type want. */
static inline void
raw_expect(struct raw *r, struct control_message *m, enum control_type want)
{
	int got = raw_receive(r, m, 60);

	ck_assert_msg(got == 1, "no reply (%s) where %s was due", got == 0 ?
	    "connection closed" : "timed out", control_type_name(want));
	ck_assert_msg(m->type == want, "got %s (%.*s), not %s",
	    control_type_name(m->type), m->type == CONTROL_ERROR ?
	    (int)m->u.error.message.length : 0, m->type == CONTROL_ERROR ?
	    m->u.error.message.bytes : "", control_type_name(want));
}

/* An ERROR of that code whose message holds fragment, then the close. */
static inline void
raw_expect_error_and_close(struct raw *r, enum control_error code,
    const char *fragment)
{
	struct control_message m;

	raw_expect(r, &m, CONTROL_ERROR);
	ck_assert_msg(m.u.error.code == code, "error %s, not %s: %.*s",
	    control_error_name(m.u.error.code), control_error_name(code),
	    (int)m.u.error.message.length, m.u.error.message.bytes);
	ck_assert_msg(fragment == NULL || memmem(m.u.error.message.bytes,
	    m.u.error.message.length, fragment, strlen(fragment)) != NULL,
	    "\"%.*s\" does not say \"%s\"", (int)m.u.error.message.length,
	    m.u.error.message.bytes, fragment);
	ck_assert_msg(raw_receive(r, &m, 60) == 0, "the connection stays "
	    "open after the error");
}

static inline void
raw_hello(struct raw *r)
{
	struct buffer b = { 0 };
	struct control_message m;

	ck_assert_int_eq(control_put_hello(&b, CONTROL_PROTOCOL_VERSION), 0);
	raw_send(r, &b);
	buffer_free(&b);
	raw_expect(r, &m, CONTROL_HELLO_REPLY);
	ck_assert_uint_eq(m.u.hello_reply.version, CONTROL_PROTOCOL_VERSION);
}

/*
 * A query over r: the input sent in frames of at most chunk bytes while
 * the output is read, as the protocol asks.  Returns the output (NUL-
 * terminated) and sets *status and *records from QUERY_DONE.
 */
static inline char *
raw_query(struct raw *r, const char *input, size_t length, size_t chunk,
    uint32_t *status, uint64_t *records)
{
	struct buffer out = { 0 }, frames = { 0 };
	double deadline = now() + 300 * slowdown();
	size_t sent = 0, written = 0;
	bool done = false;

	ck_assert_int_eq(control_put_query_begin(&frames, "raw"), 0);
	while (!done) {
		struct control_message m;
		int got;

		while (sent < length && buffer_length(&frames) - written <
		    (1u << 20)) {
			size_t n = length - sent < chunk ? length - sent :
			    chunk;

			ck_assert_int_eq(control_put_query_data(&frames,
			    input + sent, n), 0);
			sent += n;
			if (sent == length)
				ck_assert_int_eq(control_put_query_end(&frames),
				    0);
		}
		if (length == 0 && sent == 0) {
			ck_assert_int_eq(control_put_query_end(&frames), 0);
			sent = 1;
		}
		while (written < buffer_length(&frames)) {
			ssize_t n = send(r->fd, buffer_bytes(&frames) + written,
			    buffer_length(&frames) - written, MSG_NOSIGNAL);

			if (n <= 0) {
				ck_assert_msg(n < 0 && (errno == EAGAIN ||
				    errno == EINTR), "send: %s",
				    strerror(errno));
				break;
			}
			written += (size_t)n;
		}
		if (written == buffer_length(&frames)) {
			buffer_clear(&frames);
			written = 0;
		}
		while ((got = raw_receive(r, &m, 0.01)) == 1) {
			if (m.type == CONTROL_QUERY_OUTPUT) {
				ck_assert_int_eq(buffer_append(&out,
				    m.u.data.bytes.bytes,
				    m.u.data.bytes.length), 0);
				continue;
			}
			ck_assert_msg(m.type == CONTROL_QUERY_DONE, "%s during "
			    "a query: %.*s", control_type_name(m.type),
			    m.type == CONTROL_ERROR ?
			    (int)m.u.error.message.length : 0,
			    m.type == CONTROL_ERROR ?
			    m.u.error.message.bytes : "");
			*status = m.u.done.status;
			*records = m.u.done.records;
			done = true;
			break;
		}
		ck_assert_msg(done || got != 0, "the daemon closed the "
		    "connection during a query");
		ck_assert_msg(now() < deadline, "the query takes too long");
	}
	ck_assert_int_eq(buffer_append(&out, "", 1), 0);
	buffer_free(&frames);
	return out.data;
}

/* --- the daemon's processes --------------------------------------------- */

/* The pids of pid's children whose command is comm; returns how many. */
static inline size_t
children_named(pid_t pid, const char *comm, pid_t *out, size_t size)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir("/proc");

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], stat[512], *close_paren;
		int parent = 0;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(stat, sizeof(stat), f) != NULL &&
		    (close_paren = strrchr(stat, ')')) != NULL &&
		    sscanf(close_paren + 2, "%*c %d", &parent) == 1 &&
		    parent == pid) {
			char *open_paren = strchr(stat, '(');

			*close_paren = '\0';
			if (open_paren != NULL && strcmp(open_paren + 1,
			    comm) == 0 && n < size)
				out[n++] = atoi(e->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* How many descriptors pid has open. */
static inline size_t
open_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#endif
