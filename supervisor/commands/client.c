#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "../closed_pipe.h"
#include "../log.h"

#define READ_SIZE	(64 * 1024)
#define SEND_CHUNK	(256 * 1024)	/* input bytes per QUERY_DATA */

static int
say(int status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int
say(int status, const char *format, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, format);
	vsnprintf(line, sizeof(line), format, ap);
	va_end(ap);
	log_info("%s", line);
	return status;
}

int
client_open(struct client *c, const char *path)
{
	struct sockaddr_un address;
	struct control_message reply;
	int status;

	memset(c, 0, sizeof(*c));
	c->socket_path = path;
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(address.sun_path))
		return say(EXIT_USAGE, "--socket %s: too long for a Unix "
		    "socket", path);
	memcpy(address.sun_path, path, strlen(path) + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return say(EXIT_DAEMON_ERROR, "socket: %s", strerror(errno));
	while (connect(c->fd, (struct sockaddr *)&address,
	    sizeof(address)) == -1) {
		int error = errno;

		if (error == EINTR)
			continue;
		close(c->fd);
		c->fd = -1;
		if (error == EACCES || error == EPERM)
			return say(EXIT_PERMISSION, "permission denied on %s: "
			    "this user may not talk to the daemon (see serve "
			    "--socket-mode and --socket-group)", path);
		if (error == ENOENT || error == ECONNREFUSED ||
		    error == ENOTDIR)
			return say(EXIT_NO_DAEMON, "no luaward daemon on %s (is "
			    "luaward serve running? --socket names another)",
			    path);
		return say(EXIT_NO_DAEMON, "cannot reach the daemon on %s: %s",
		    path, strerror(error));
	}
	if ((c->decoder = control_decoder_new()) == NULL)
		fatalx("out of memory");
	if (control_put_hello(&c->out, CONTROL_PROTOCOL_VERSION) == -1)
		fatalx("out of memory");
	if ((status = client_exchange(c, &reply)) != 0)
		return status;
	if (reply.type == CONTROL_ERROR)
		return client_refused(&reply);
	if (reply.type != CONTROL_HELLO_REPLY)
		return say(EXIT_DAEMON_ERROR, "the daemon on %s answered HELLO "
		    "with %s", path, control_type_name(reply.type));
	return 0;
}

void
client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buffer_free(&c->in);
	buffer_free(&c->out);
	control_decoder_free(c->decoder);
	c->decoder = NULL;
}

static int
send_all(struct client *c)
{
	while (buffer_length(&c->out) > 0) {
		ssize_t n = send(c->fd, buffer_bytes(&c->out),
		    buffer_length(&c->out), MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return say(EXIT_DAEMON_ERROR, "the daemon on %s went "
			    "away: %s", c->socket_path, n < 0 ?
			    strerror(errno) : "connection closed");
		buffer_consume(&c->out, (size_t)n);
	}
	return 0;
}

/* Reads until a whole reply frame is in; decodes it.  Returns 0, 1 when
 * none yet (non-blocking socket), or an exit status. */
static int
receive(struct client *c, struct control_message *reply, bool wait)
{
	char error[256];
	const char *payload;
	size_t length;
	int r;

	buffer_consume(&c->in, c->pending);
	c->pending = 0;
	while ((r = control_frame(&c->in, &payload, &length, error,
	    sizeof(error))) == 0) {
		ssize_t n;

		if (buffer_reserve(&c->in, READ_SIZE) == -1)
			fatalx("out of memory");
		n = recv(c->fd, c->in.data + c->in.end, c->in.capacity -
		    c->in.end, wait ? 0 : MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !wait)
			return 1;
		if (n <= 0)
			return say(EXIT_DAEMON_ERROR, "the daemon on %s closed "
			    "the connection%s%s", c->socket_path, n < 0 ? ": " :
			    "", n < 0 ? strerror(errno) : "");
		c->in.end += (size_t)n;
	}
	if (r == -1 || control_decode_reply(c->decoder, payload, length, reply,
	    error, sizeof(error)) == -1)
		return say(EXIT_DAEMON_ERROR, "the daemon on %s sent a bad "
		    "reply: %s", c->socket_path, error);
	c->pending = WIRE_HEADER_SIZE + length;
	return 0;
}

int
client_exchange(struct client *c, struct control_message *reply)
{
	int status;

	if ((status = send_all(c)) != 0)
		return status;
	return receive(c, reply, true);
}

int
client_refused(const struct control_message *m)
{
	static const int statuses[CONTROL_ERROR_COUNT] = {
		[CONTROL_ERROR_EXISTS] = EXIT_PLUGIN_EXISTS,
		[CONTROL_ERROR_NOT_FOUND] = EXIT_NO_SUCH_PLUGIN,
		[CONTROL_ERROR_INVALID_PLUGIN] = EXIT_INVALID_PLUGIN,
		[CONTROL_ERROR_INVALID_NAME] = EXIT_INVALID_PLUGIN,
		[CONTROL_ERROR_TOO_LARGE] = EXIT_INVALID_PLUGIN,
		[CONTROL_ERROR_PERMISSION] = EXIT_PERMISSION,
	};
	int status = statuses[m->u.error.code];

	log_info("%.*s", (int)m->u.error.message.length,
	    m->u.error.message.bytes);
	return status != 0 ? status : EXIT_DAEMON_ERROR;
}

/* --- query ----------------------------------------------------------------- */

struct query {
	struct client	*client;
	int		 input;		/* -1 once all is sent */
	const char	*label;
	bool		 ended;		/* QUERY_END queued */
	bool		 output_closed;	/* stdout went away */
	uint32_t	 status;
};

/* Queues the next piece of input as QUERY_DATA, or QUERY_END at its end.
 * Returns 0, or an exit status. */
static int
queue_input(struct query *q)
{
	char chunk[SEND_CHUNK];
	ssize_t n;

	do
		n = read(q->input, chunk, sizeof(chunk));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return say(EXIT_SOME_FAILED, "reading %s: %s", q->label,
		    strerror(errno));
	if (n == 0) {
		if (control_put_query_end(&q->client->out) == -1)
			fatalx("out of memory");
		q->ended = true;
		return 0;
	}
	if (control_put_query_data(&q->client->out, chunk, (size_t)n) == -1)
		fatalx("out of memory");
	return 0;
}

static void
write_output(struct query *q, const struct wire_string *bytes)
{
	size_t done = 0;

	while (!q->output_closed && done < bytes->length) {
		ssize_t n = write(1, bytes->bytes + done, bytes->length - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && closed_pipe(errno))
			closed_pipe_exit();	/* `| head`: quietly */
		if (n <= 0) {
			q->output_closed = true;
			break;
		}
		done += (size_t)n;
	}
}

/* One input to its QUERY_DONE; returns its exit status.  The input and
 * the socket are watched together, so each line is printed as soon as it
 * comes (a watch stream piped in is a live view). */
static int
query_one(struct client *c, int input, const char *label)
{
	struct query q = { c, input, label, false, false, 0 };
	struct control_message m = { 0 };
	int status;

	if (control_put_query_begin(&c->out, label) == -1)
		fatalx("out of memory");
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c->fd, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
		};

		if (buffer_length(&c->out) > 0)
			p[0].events |= POLLOUT;
		if (!q.ended && buffer_length(&c->out) < SEND_CHUNK)
			p[1].fd = input;
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return say(EXIT_DAEMON_ERROR, "poll: %s",
			    strerror(errno));
		}
		if (p[1].revents != 0 && (status = queue_input(&q)) != 0)
			return status;
		if (p[0].revents & POLLOUT) {
			ssize_t n = send(c->fd, buffer_bytes(&c->out),
			    buffer_length(&c->out), MSG_NOSIGNAL |
			    MSG_DONTWAIT);

			if (n > 0)
				buffer_consume(&c->out, (size_t)n);
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				return say(EXIT_DAEMON_ERROR, "the daemon on %s "
				    "went away: %s", c->socket_path,
				    strerror(errno));
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		while ((status = receive(c, &m, false)) == 0) {
			if (m.type == CONTROL_QUERY_OUTPUT)
				write_output(&q, &m.u.data.bytes);
			else if (m.type == CONTROL_QUERY_DONE)
				return (int)m.u.done.status;
			else if (m.type == CONTROL_ERROR)
				return client_refused(&m);
			else
				return say(EXIT_DAEMON_ERROR, "the daemon sent %s "
				    "in the middle of a query",
				    control_type_name(m.type));
		}
		if (status != 1)
			return status;
	}
}

int
client_query(struct client *c, char *const *paths, size_t count)
{
	static char *const standard_input[] = { (char *)"-" };
	int worst = EXIT_ALL_GOOD, *inputs;

	if (count == 0) {
		paths = standard_input;
		count = 1;
	}
	/* Every input opened before any record is sent, as resolve does. */
	inputs = xcalloc(count, sizeof(*inputs));
	for (size_t i = 0; i < count; i++) {
		struct stat st;

		inputs[i] = strcmp(paths[i], "-") == 0 ? dup(0) :
		    open(paths[i], O_RDONLY | O_CLOEXEC);
		if (inputs[i] == -1 || fstat(inputs[i], &st) == -1 ||
		    S_ISDIR(st.st_mode)) {
			int error = inputs[i] == -1 ? errno : EISDIR;

			for (size_t j = 0; j <= i; j++)
				if (inputs[j] >= 0)
					close(inputs[j]);
			free(inputs);
			return say(EXIT_USAGE, "cannot read %s: %s",
			    strcmp(paths[i], "-") == 0 ? "stdin" : paths[i],
			    error == EISDIR ? "it is a directory" :
			    strerror(error));
		}
	}
	for (size_t i = 0; i < count; i++) {
		int status = worst > EXIT_SOME_FAILED ? worst :
		    query_one(c, inputs[i], strcmp(paths[i], "-") == 0 ?
		    "stdin" : paths[i]);

		close(inputs[i]);
		if (status > worst)
			worst = status;
	}
	free(inputs);
	return worst;
}
