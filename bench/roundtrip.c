/*
 * make bench's client for luaward serve: on one connection, N one-record
 * queries one after another (each QUERY_BEGIN, one QUERY_DATA, QUERY_END,
 * then its output and QUERY_DONE), each timed from its first byte sent to
 * its QUERY_DONE.  Records are the lines of FILE, in turn.
 *
 *	roundtrip SOCKET FILE N
 *
 * Prints "p50 p99 max" in microseconds on stdout; any refusal, error or
 * unexpected message ends it with status 1 and says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../ipc/buffer.h"
#include "../ipc/control.h"

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *format, ...)
{
	va_list ap;

	fputs("roundtrip: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

struct connection {
	int			 fd;
	struct buffer		 in, out;
	size_t			 pending;	/* bytes of the last frame */
	struct control_decoder	*decoder;
};

static void
send_all(struct connection *c)
{
	while (buffer_length(&c->out) > 0) {
		ssize_t n = send(c->fd, buffer_bytes(&c->out),
		    buffer_length(&c->out), MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send: %s", n < 0 ? strerror(errno) : "closed");
		buffer_consume(&c->out, (size_t)n);
	}
}

static void
receive(struct connection *c, struct control_message *m)
{
	char error[256];
	const char *payload;
	size_t length;
	int r;

	buffer_consume(&c->in, c->pending);
	while ((r = control_frame(&c->in, &payload, &length, error,
	    sizeof(error))) == 0) {
		ssize_t n;

		if (buffer_reserve(&c->in, 65536) == -1)
			die("out of memory");
		n = recv(c->fd, c->in.data + c->in.end, c->in.capacity -
		    c->in.end, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("the daemon closed the connection");
		c->in.end += (size_t)n;
	}
	if (r == -1 || control_decode_reply(c->decoder, payload, length, m,
	    error, sizeof(error)) == -1)
		die("bad reply: %s", error);
	c->pending = WIRE_HEADER_SIZE + length;
}

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	struct connection c = { .fd = -1 };
	struct control_message m;
	char **lines = NULL, *line = NULL;
	size_t count = 0, capacity = 0, n, size = 0;
	double *took;
	ssize_t got;
	FILE *f;

	if (argc != 4 || (n = strtoul(argv[3], NULL, 10)) == 0)
		die("usage: roundtrip SOCKET FILE N");
	if ((f = fopen(argv[2], "r")) == NULL)
		die("%s: %s", argv[2], strerror(errno));
	while ((got = getline(&line, &size, f)) > 0) {
		if (count == capacity) {
			char **more = reallocarray(lines, capacity * 2 + 64,
			    sizeof(*lines));

			if (more == NULL)
				die("out of memory");
			lines = more;
			capacity = capacity * 2 + 64;
		}
		if ((lines[count++] = strndup(line, (size_t)got)) == NULL)
			die("out of memory");
	}
	fclose(f);
	if (count == 0)
		die("%s: no records", argv[2]);
	if ((took = calloc(n, sizeof(*took))) == NULL)
		die("out of memory");

	if (strlen(argv[1]) >= sizeof(address.sun_path))
		die("%s: too long for a Unix socket", argv[1]);
	strcpy(address.sun_path, argv[1]);
	if ((c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(c.fd, (struct sockaddr *)&address, sizeof(address)) == -1)
		die("%s: %s", argv[1], strerror(errno));
	if ((c.decoder = control_decoder_new()) == NULL ||
	    control_put_hello(&c.out, CONTROL_PROTOCOL_VERSION) == -1)
		die("out of memory");
	send_all(&c);
	receive(&c, &m);
	if (m.type != CONTROL_HELLO_REPLY)
		die("HELLO answered with %s", control_type_name(m.type));

	for (size_t i = 0; i < n; i++) {
		const char *record = lines[i % count];
		size_t outputs = 0;
		double start;

		if (control_put_query_begin(&c.out, "bench") == -1 ||
		    control_put_query_data(&c.out, record, strlen(record)) ==
		    -1 || control_put_query_end(&c.out) == -1)
			die("out of memory");
		start = now_us();
		send_all(&c);
		for (;;) {
			receive(&c, &m);
			if (m.type == CONTROL_QUERY_OUTPUT)
				outputs++;
			else if (m.type == CONTROL_QUERY_DONE)
				break;
			else
				die("query %zu: %s", i,
				    control_type_name(m.type));
		}
		took[i] = now_us() - start;
		if (outputs == 0 || m.u.done.records != 1)
			die("query %zu: %zu outputs for %llu records", i,
			    outputs, (unsigned long long)m.u.done.records);
	}
	qsort(took, n, sizeof(*took), by_value);
	printf("%.0f %.0f %.0f\n", took[n / 2], took[(n * 99) / 100],
	    took[n - 1]);
	close(c.fd);
	buffer_free(&c.in);
	buffer_free(&c.out);
	control_decoder_free(c.decoder);
	for (size_t i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
	free(line);
	free(took);
	return 0;
}
