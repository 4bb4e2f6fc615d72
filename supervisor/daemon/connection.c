/*
 * One client of the control socket: its frames in, its replies out, one
 * request at a time (docs/protocol.md).  Everything it can make the daemon
 * hold is bounded: at most one frame of input is buffered, at most
 * OUT_LIMIT bytes of replies; past that the connection stops reading, the
 * query it runs stops taking records, and a client that stays stuck longer
 * than the client timeout is dropped.  Garbage, an oversized frame or a
 * request out of turn gets one ERROR reply and the connection is closed;
 * nothing a client does reaches another client or the daemon itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "../log.h"
#include "../timing.h"
#include "validate.h"
#include "../version.h"

#define IN_LIMIT	(WIRE_HEADER_SIZE + CONTROL_MAX_MESSAGE)
#define OUT_LIMIT	(4u << 20)
#define READ_SIZE	(64 * 1024)

enum connection_state {
	C_HELLO,	/* nothing but HELLO yet */
	C_IDLE,		/* ready for a request */
	C_CREATING,	/* a plugin is being validated */
	C_QUERY,	/* records flow */
};

struct connection {
	struct daemon		*d;
	struct connection	*next;
	int			 fd;
	struct ucred		 peer;
	enum connection_state	 state;
	ev_io			 reader, writer;
	ev_timer		 idle;
	ev_idle			 later;		/* work deferred to the loop */
	double			 active_at;
	struct buffer		 in, out;
	struct control_decoder	*decoder;
	bool			 closing;	/* flush, then close */
	bool			 eof;

	/* C_QUERY */
	struct session		*session;
	size_t			 data_offset;	/* of the front QUERY_DATA */
	bool			 input_blocked, output_full;
	bool			 query_ended, query_done;

	/* C_CREATING */
	struct validation	*validation;
	struct control_message	 create;	/* strings copied below */
	char			*create_source;
	struct validation_result validated;
	bool			 create_done;
};

static void	process(struct connection *);
static void	connection_free(struct connection *);

static void
touch(struct connection *c)
{
	c->active_at = monotonic_seconds();
}

static void
update_watchers(struct connection *c)
{
	bool read = !c->closing && !c->eof && c->state != C_CREATING &&
	    !c->query_ended && !(c->state == C_QUERY && c->input_blocked) &&
	    buffer_length(&c->in) < IN_LIMIT && buffer_length(&c->out) <
	    OUT_LIMIT;

	if (read)
		ev_io_start(c->d->loop, &c->reader);
	else
		ev_io_stop(c->d->loop, &c->reader);
	if (buffer_length(&c->out) > 0)
		ev_io_start(c->d->loop, &c->writer);
	else
		ev_io_stop(c->d->loop, &c->writer);
}

/* Replies in out go before the connection closes. */
static void
close_after_reply(struct connection *c)
{
	c->closing = true;
	if (buffer_length(&c->out) == 0)
		ev_idle_start(c->d->loop, &c->later);
	update_watchers(c);
}

static void
refuse(struct connection *c, enum control_error code, const char *format,
    ...) __attribute__((format(printf, 3, 4)));

static void
refuse(struct connection *c, enum control_error code, const char *format,
    ...)
{
	char message[CONTROL_MAX_TEXT];
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	(void)control_put_error(&c->out, code, "%s", message);
	close_after_reply(c);
}

/* --- the query ----------------------------------------------------------- */

static size_t
query_sink(void *arg, const char *bytes, size_t length)
{
	struct connection *c = arg;
	size_t take = length < CONTROL_MAX_DATA ? length : CONTROL_MAX_DATA;

	if (buffer_length(&c->out) >= OUT_LIMIT ||
	    control_put_query_output(&c->out, bytes, take) == -1) {
		c->output_full = true;
		return 0;
	}
	update_watchers(c);
	return take;
}

static void
query_room(void *arg)
{
	struct connection *c = arg;

	c->input_blocked = false;
	ev_idle_start(c->d->loop, &c->later);
}

static void
query_done(void *arg)
{
	struct connection *c = arg;

	/* Called from inside the session: finished from the loop. */
	c->query_done = true;
	ev_idle_start(c->d->loop, &c->later);
}

static void
finish_query(struct connection *c)
{
	const struct run_stats *stats = session_stats(c->session);
	uint32_t status = session_saw_failure(c->session) ? 1 : 0;

	daemon_count_query(c->d, stats);
	(void)control_put_query_done(&c->out, status, stats->records);
	session_free(c->session);
	c->session = NULL;
	c->state = C_IDLE;
	c->query_ended = c->query_done = false;
	c->input_blocked = c->output_full = false;
	c->data_offset = 0;
	if (c->d->stopping)
		close_after_reply(c);
}

static void
begin_query(struct connection *c, const struct control_message *m)
{
	struct session_config config;
	char label[CONTROL_MAX_LABEL + 1], error[256];

	if (c->d->stopping) {
		refuse(c, CONTROL_ERROR_SHUTTING_DOWN, "the daemon is "
		    "stopping");
		return;
	}
	snprintf(label, sizeof(label), "%.*s",
	    (int)m->u.query_begin.label.length,
	    m->u.query_begin.label.bytes);
	memset(&config, 0, sizeof(config));
	config.push = true;
	config.push_name = label;
	config.limits.max_record = c->d->options.max_record;
	config.limits.max_depth = c->d->options.max_depth;
	config.deepflow_argument = c->d->options.deepflow_argument;
	config.fd = -1;
	config.sink = query_sink;
	config.done = query_done;
	config.room = query_room;
	config.arg = c;
	if ((c->session = session_new(c->d->engine, &config, error,
	    sizeof(error))) == NULL) {
		refuse(c, CONTROL_ERROR_INTERNAL, "%s", error);
		return;
	}
	session_start(c->session);
	c->state = C_QUERY;
}

/* Pushes what the session takes of the front QUERY_DATA frame; returns
 * true once all of it is taken. */
static bool
push_data(struct connection *c, const struct control_message *m)
{
	const struct wire_string *data = &m->u.data.bytes;
	size_t taken = session_push(c->session, data->bytes + c->data_offset,
	    data->length - c->data_offset);

	if (taken == (size_t)-1) {
		refuse(c, CONTROL_ERROR_INTERNAL, "out of memory reading the "
		    "records");
		return true;
	}
	c->data_offset += taken;
	if (c->data_offset < data->length) {
		c->input_blocked = true;
		return false;
	}
	c->data_offset = 0;
	return true;
}

/* --- creating a plugin ----------------------------------------------------- */

static void
validated(const struct validation_result *result, void *arg)
{
	struct connection *c = arg;

	c->validation = NULL;
	c->validated = *result;
	c->create_done = true;
	ev_idle_start(c->d->loop, &c->later);
}

static void
finish_create(struct connection *c)
{
	const struct control_message *m = &c->create;

	c->create_done = false;
	c->state = C_IDLE;
	if (!c->validated.loaded)
		(void)control_put_error(&c->out, c->validated.setup_failed ?
		    CONTROL_ERROR_INTERNAL : CONTROL_ERROR_INVALID_PLUGIN, "%s",
		    c->validated.message);
	else if (c->d->stopping)
		(void)control_put_error(&c->out, CONTROL_ERROR_SHUTTING_DOWN,
		    "the daemon is stopping");
	else
		daemon_commit_create(c->d, m->u.create.name, c->create_source,
		    m->u.create.source.length, m->u.create.replace,
		    m->u.create.position, m->u.create.anchor, &c->peer,
		    &c->out);
	free(c->create_source);
	c->create_source = NULL;
}

static void
begin_create(struct connection *c, const struct control_message *m)
{
	struct plugin_source source;

	if (!daemon_precheck_create(c->d, m->u.create.name,
	    m->u.create.source.length, m->u.create.replace,
	    m->u.create.position, m->u.create.anchor, &c->out))
		return;
	c->create = *m;
	c->create_source = xmalloc(m->u.create.source.length + 1);
	memcpy(c->create_source, m->u.create.source.bytes,
	    m->u.create.source.length);
	c->create_source[m->u.create.source.length] = '\0';
	c->create.u.create.source.bytes = c->create_source;
	memset(&source, 0, sizeof(source));
	source.name = c->create.u.create.name;
	source.source = c->create_source;
	source.length = m->u.create.source.length;
	if ((c->validation = validation_start(c->d->loop,
	    engine_plugin_config(c->d->engine), &source, validated, c,
	    &c->validated)) == NULL) {
		(void)control_put_error(&c->out, CONTROL_ERROR_INTERNAL,
		    "cannot start a worker to load the plugin: %s",
		    c->validated.message);
		free(c->create_source);
		c->create_source = NULL;
		return;
	}
	c->state = C_CREATING;
}

/* --- requests ---------------------------------------------------------- */

/* Handles one request; returns false when its frame must stay (a
 * QUERY_DATA the session has not taken whole). */
static bool
handle(struct connection *c, const struct control_message *m)
{
	if (c->state == C_HELLO) {
		if (m->type != CONTROL_HELLO)
			refuse(c, CONTROL_ERROR_BAD_REQUEST, "expected HELLO, "
			    "got %s", control_type_name(m->type));
		else if (m->u.hello.version != CONTROL_PROTOCOL_VERSION)
			refuse(c, CONTROL_ERROR_UNSUPPORTED_VERSION, "protocol "
			    "version %u is not spoken here (version %d is)",
			    m->u.hello.version, CONTROL_PROTOCOL_VERSION);
		else {
			(void)control_put_hello_reply(&c->out,
			    CONTROL_PROTOCOL_VERSION, "luaward " LUAWARD_VERSION);
			c->state = C_IDLE;
		}
		return true;
	}
	if (c->state == C_QUERY) {
		if (m->type == CONTROL_QUERY_DATA)
			return push_data(c, m);
		if (m->type == CONTROL_QUERY_END) {
			c->query_ended = true;
			session_push_end(c->session);
			return true;
		}
		refuse(c, CONTROL_ERROR_BAD_REQUEST, "%s in the middle of a "
		    "query", control_type_name(m->type));
		return true;
	}
	switch (m->type) {
	case CONTROL_PLUGIN_LIST:
		daemon_list(c->d, &c->out);
		break;
	case CONTROL_STATS:
		daemon_stats(c->d, m->u.stats.format, &c->out);
		break;
	case CONTROL_PLUGIN_DELETE:
		daemon_delete(c->d, m->u.plugin.name, &c->peer, &c->out);
		break;
	case CONTROL_PLUGIN_RESET:
		daemon_reset(c->d, m->u.plugin.name, &c->peer, &c->out);
		break;
	case CONTROL_PLUGIN_CREATE:
		begin_create(c, m);
		break;
	case CONTROL_QUERY_BEGIN:
		begin_query(c, m);
		break;
	default:
		refuse(c, CONTROL_ERROR_BAD_REQUEST, "%s is not a request here",
		    control_type_name(m->type));
		break;
	}
	return true;
}

static void
process(struct connection *c)
{
	bool whole_frame_waits = false;

	while (!c->closing && c->state != C_CREATING && !c->query_ended &&
	    !(c->state == C_QUERY && c->input_blocked)) {
		struct control_message m;
		const char *payload;
		size_t length;
		char error[256];
		int r;

		if ((r = control_frame(&c->in, &payload, &length, error,
		    sizeof(error))) == 0)
			break;
		whole_frame_waits = true;
		if (r == -1 || control_decode_request(c->decoder, payload,
		    length, &m, error, sizeof(error)) == -1) {
			refuse(c, CONTROL_ERROR_BAD_REQUEST, "malformed "
			    "request: %s", error);
			break;
		}
		if (!handle(c, &m))
			break;
		whole_frame_waits = false;
		buffer_consume(&c->in, WIRE_HEADER_SIZE + length);
	}
	if (c->eof && !c->closing && !whole_frame_waits) {
		/* The client said all it will say: a request done and none
		 * pending ends the connection; records without their
		 * QUERY_END end the query unanswered. */
		if (c->state == C_IDLE || c->state == C_HELLO ||
		    (c->state == C_QUERY && !c->query_ended &&
		    !c->input_blocked))
			close_after_reply(c);
	}
	update_watchers(c);
}

/* --- I/O --------------------------------------------------------------- */

static void
on_readable(struct ev_loop *loop, ev_io *watcher, int events)
{
	struct connection *c = watcher->data;
	ssize_t n;

	(void)loop;
	(void)events;
	if (buffer_reserve(&c->in, READ_SIZE) == -1) {
		refuse(c, CONTROL_ERROR_INTERNAL, "out of memory");
		return;
	}
	n = read(c->fd, c->in.data + c->in.end, c->in.capacity - c->in.end);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		c->eof = true;
		if (n < 0)
			c->closing = true;
	} else {
		c->in.end += (size_t)n;
		touch(c);
	}
	process(c);
	if (c->closing)
		ev_idle_start(c->d->loop, &c->later);
}

static void
on_writable(struct ev_loop *loop, ev_io *watcher, int events)
{
	struct connection *c = watcher->data;

	(void)loop;
	(void)events;
	while (buffer_length(&c->out) > 0) {
		ssize_t n = write(c->fd, buffer_bytes(&c->out),
		    buffer_length(&c->out));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* It is gone: nothing more can reach it. */
			buffer_clear(&c->out);
			c->closing = true;
			ev_idle_start(c->d->loop, &c->later);
			break;
		}
		buffer_consume(&c->out, (size_t)n);
		touch(c);
	}
	buffer_shrink(&c->out, OUT_LIMIT);
	if (c->output_full && buffer_length(&c->out) < OUT_LIMIT / 2) {
		c->output_full = false;
		session_resume_output(c->session);
	}
	if (c->closing && buffer_length(&c->out) == 0)
		ev_idle_start(c->d->loop, &c->later);
	else
		process(c);
}

/* Deferred work: a finished query or create, a query with room again, a
 * connection to close. */
static void
on_later(struct ev_loop *loop, ev_idle *watcher, int events)
{
	struct connection *c = watcher->data;

	(void)events;
	ev_idle_stop(loop, watcher);
	if (c->query_done && c->session != NULL)
		finish_query(c);
	if (c->create_done)
		finish_create(c);
	if (c->closing && (buffer_length(&c->out) == 0 || c->eof)) {
		connection_free(c);
		return;
	}
	process(c);
}

/* Only a client stuck on its own side is idle: one that should send a
 * request or more records, or read its output.  One waiting for plugins,
 * or for a create being validated, is not. */
static void
on_idle_check(struct ev_loop *loop, ev_timer *timer, int events)
{
	struct connection *c = timer->data;
	bool clients_turn = c->state == C_HELLO || c->state == C_IDLE ||
	    c->closing || (c->state == C_QUERY && (c->output_full ||
	    (!c->query_ended && !c->input_blocked)));

	(void)loop;
	(void)events;
	if (!clients_turn) {
		touch(c);
		return;
	}
	if (monotonic_seconds() - c->active_at >=
	    (double)c->d->options.client_timeout_s)
		connection_free(c);
}

/* --- lifetime ------------------------------------------------------------ */

static void
connection_free(struct connection *c)
{
	struct daemon *d = c->d;

	for (struct connection **link = &d->connections; *link != NULL;
	    link = &(*link)->next)
		if (*link == c) {
			*link = c->next;
			break;
		}
	d->connection_count--;
	ev_io_stop(d->loop, &c->reader);
	ev_io_stop(d->loop, &c->writer);
	ev_timer_stop(d->loop, &c->idle);
	ev_idle_stop(d->loop, &c->later);
	/* Its query's records are still with the plugins: the session frees
	 * itself once they are back. */
	if (c->session != NULL) {
		if (c->query_done)
			session_free(c->session);
		else
			session_abandon(c->session);
	}
	if (c->validation != NULL)
		validation_cancel(c->validation);
	free(c->create_source);
	close(c->fd);
	buffer_free(&c->in);
	buffer_free(&c->out);
	control_decoder_free(c->decoder);
	free(c);
}

void
connection_accept(struct daemon *d, int fd)
{
	struct connection *c;
	socklen_t length = sizeof(c->peer);
	struct ucred peer;

	memset(&peer, 0, sizeof(peer));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == -1)
		peer.pid = -1;
	if (d->connection_count >= d->options.max_connections || d->stopping) {
		struct buffer refusal = { 0 };

		/* One try, never blocking: the reason is a courtesy. */
		if (d->stopping)
			(void)control_put_error(&refusal,
			    CONTROL_ERROR_SHUTTING_DOWN, "the daemon is "
			    "stopping");
		else
			(void)control_put_error(&refusal, CONTROL_ERROR_BUSY,
			    "too many connections (the limit is %u)",
			    d->options.max_connections);
		(void)!write(fd, buffer_bytes(&refusal),
		    buffer_length(&refusal));
		buffer_free(&refusal);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->fd = fd;
	c->peer = peer;
	c->state = C_HELLO;
	if ((c->decoder = control_decoder_new()) == NULL) {
		close(fd);
		free(c);
		log_warnx("out of memory for a connection");
		return;
	}
	ev_io_init(&c->reader, on_readable, fd, EV_READ);
	ev_io_init(&c->writer, on_writable, fd, EV_WRITE);
	ev_idle_init(&c->later, on_later);
	/* Idle watchers of the default priority run only when no I/O is
	 * pending: with clients busy, deferred work would wait for ever.
	 * Above every I/O watcher, it runs once per loop iteration. */
	ev_set_priority(&c->later, EV_MAXPRI);
	ev_timer_init(&c->idle, on_idle_check, 1., 1.);
	c->reader.data = c->writer.data = c->later.data = c->idle.data = c;
	c->next = d->connections;
	d->connections = c;
	d->connection_count++;
	touch(c);
	ev_timer_start(d->loop, &c->idle);
	update_watchers(c);
}

void
connection_free_all(struct daemon *d)
{
	/* Each connection_free() unlinks the head first. */
	while (d->connections != NULL)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		connection_free(d->connections);
}

void
connection_stop_all(struct daemon *d)
{
	for (struct connection *c = d->connections, *next; c != NULL;
	    c = next) {
		next = c->next;
		if (c->state == C_HELLO || c->state == C_IDLE)
			close_after_reply(c);
	}
}

bool
connection_any_busy(const struct daemon *d)
{
	for (const struct connection *c = d->connections; c != NULL;
	    c = c->next)
		if (c->state == C_QUERY || c->state == C_CREATING)
			return true;
	return false;
}
