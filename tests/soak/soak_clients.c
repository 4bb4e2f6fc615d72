/*
 * make soak's clients (soak.c): queriers that check every line they get,
 * a churner that creates, replaces and deletes plugins and sends creates
 * that must be refused, and a killer of the daemon's workers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "soak.h"

/* --- a client of the control socket -------------------------------- */

int
conn_send(struct conn *c, struct buffer *b)
{
	size_t done = 0;

	while (done < buffer_length(b)) {
		ssize_t n = send(c->fd, buffer_bytes(b) + done,
		    buffer_length(b) - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	buffer_clear(b);
	return 0;
}

int
conn_receive(struct conn *c, struct control_message *m, char *why,
    size_t why_size)
{
	double deadline = now() + REPLY_TIMEOUT_S;
	char error[256];

	buffer_consume(&c->in, c->pending);
	c->pending = 0;
	for (;;) {
		const char *payload;
		size_t length;
		int f = control_frame(&c->in, &payload, &length, error,
		    sizeof(error));
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (f == 1) {
			if (control_decode_reply(c->decoder, payload, length, m,
			    error, sizeof(error)) == -1) {
				snprintf(why, why_size, "bad reply: %.200s",
				    error);
				return -1;
			}
			c->pending = WIRE_HEADER_SIZE + length;
			return 1;
		}
		if (f == -1) {
			snprintf(why, why_size, "bad frame: %.200s", error);
			return -1;
		}
		if (poll(&p, 1, (int)((deadline - now()) * 1000)) <= 0) {
			snprintf(why, why_size, "no reply within %d s",
			    REPLY_TIMEOUT_S);
			return -1;
		}
		if (buffer_reserve(&c->in, 65536) == -1)
			die("out of memory");
		n = recv(c->fd, c->in.data + c->in.end, c->in.capacity -
		    c->in.end, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, why_size, "the daemon closed the "
			    "connection");
			return 0;
		}
		c->in.end += (size_t)n;
	}
}

void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buffer_free(&c->in);
	control_decoder_free(c->decoder);
	c->decoder = NULL;
}

int
conn_open(struct conn *c, char *why, size_t why_size)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct buffer b = { 0 };
	struct control_message m;

	memset(c, 0, sizeof(*c));
	c->decoder = control_decoder_new();
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", socket_path);
	if (c->decoder == NULL || c->fd == -1 || connect(c->fd,
	    (struct sockaddr *)&a, sizeof(a)) == -1) {
		snprintf(why, why_size, "connect: %s", strerror(errno));
		conn_close(c);
		return -1;
	}
	if (control_put_hello(&b, CONTROL_PROTOCOL_VERSION) == -1 ||
	    conn_send(c, &b) == -1 || conn_receive(c, &m, why, why_size) != 1 ||
	    m.type != CONTROL_HELLO_REPLY) {
		if (why[0] == '\0')
			snprintf(why, why_size, "HELLO refused");
		buffer_free(&b);
		conn_close(c);
		return -1;
	}
	buffer_free(&b);
	return 0;
}

/* --- the querying clients ------------------------------------------ */

/*
 * One query of n records named q<who>-<k>-<j>; some belong to OpenGauss
 * clusters.  Returns 0, or -1 with why when it was lost.
 */
static int
one_query(struct conn *c, unsigned who, uint64_t k, unsigned n,
    uint64_t *failed_lines, char *why, size_t why_size)
{
	struct buffer b = { 0 }, input = { 0 }, output = { 0 };
	struct control_message m;
	const char *line;
	int got, result = -1;

	for (unsigned j = 0; j < n; j++) {
		char record[256];
		int length = snprintf(record, sizeof(record), "{\"name\":"
		    "\"q%u-%llu-%u\",\"namespace\":\"soak\","
		    "\"ownerReferences\":[{\"kind\":\"%s\",\"name\":"
		    "\"og-%u\"}]}\n", who,
		    (unsigned long long)k, j, j % 3 == 0 ? "OpenGaussCluster" :
		    "ReplicaSet", j);

		if (buffer_append(&input, record, (size_t)length) == -1)
			die("out of memory");
	}
	if (control_put_query_begin(&b, "soak") == -1 ||
	    control_put_query_data(&b, input.data, buffer_length(&input)) ==
	    -1 || control_put_query_end(&b) == -1)
		die("out of memory");
	if (conn_send(c, &b) == -1) {
		snprintf(why, why_size, "send: %s", strerror(errno));
		goto out;
	}
	while ((got = conn_receive(c, &m, why, why_size)) == 1 &&
	    m.type == CONTROL_QUERY_OUTPUT)
		if (buffer_append(&output, m.u.data.bytes.bytes,
		    m.u.data.bytes.length) == -1)
			die("out of memory");
	if (got != 1)
		goto out;
	if (m.type != CONTROL_QUERY_DONE) {
		snprintf(why, why_size, "%s instead of QUERY_DONE: %.*s",
		    control_type_name(m.type), m.type == CONTROL_ERROR ?
		    (int)m.u.error.message.length : 0, m.type == CONTROL_ERROR ?
		    m.u.error.message.bytes : "");
		goto out;
	}
	if (m.u.done.records != n || m.u.done.status > 1) {
		snprintf(why, why_size, "QUERY_DONE(%u, %llu) for %u records",
		    m.u.done.status, (unsigned long long)m.u.done.records, n);
		goto out;
	}
	if (buffer_append(&output, "", 1) == -1)
		die("out of memory");
	line = output.data;
	for (unsigned j = 0; j < n; j++) {
		char name[64];
		const char *end = strchr(line, '\n');

		snprintf(name, sizeof(name), "\"name\":\"q%u-%llu-%u\",", who,
		    (unsigned long long)k, j);
		if (end == NULL || memmem(line, (size_t)(end - line), name,
		    strlen(name)) == NULL) {
			snprintf(why, why_size, "line %u of query %llu: %.100s",
			    j, (unsigned long long)k, line);
			goto out;
		}
		/* A killed worker's record still gets its line, with the
		 * error: not lost, but counted. */
		if (memmem(line, (size_t)(end - line), "\"errors\":", 9) !=
		    NULL)
			(*failed_lines)++;
		line = end + 1;
	}
	if (*line != '\0') {
		snprintf(why, why_size, "lines after the last record");
		goto out;
	}
	result = 0;
out:
	buffer_free(&b);
	buffer_free(&input);
	buffer_free(&output);
	return result;
}

void __attribute__((noreturn))
querier(struct shared *sh, unsigned who)
{
	uint64_t random = 0x9e3779b97f4a7c15ULL * (who + 1), k = 0;
	struct conn c = { .fd = -1 };
	char why[256];

	while (!sh->stop) {
		unsigned n = 1 + (unsigned)(next_random(&random) % MAX_RECORDS);

		why[0] = '\0';
		if (c.fd == -1 && conn_open(&c, why, sizeof(why)) == -1) {
			sh->querier[who].lost++;
			snprintf(sh->querier[who].why, 256, "%s", why);
			sleep_s(0.1);
			continue;
		}
		if (one_query(&c, who, k++, n, &sh->querier[who].failed_lines,
		    why, sizeof(why)) == -1) {
			sh->querier[who].lost++;
			snprintf(sh->querier[who].why, 256, "%s", why);
			conn_close(&c);
			continue;
		}
		sh->querier[who].queries++;
		sh->querier[who].records += n;
		if (k % QUERIES_PER_CONNECTION == 0)
			conn_close(&c);
	}
	conn_close(&c);
	_exit(0);
}

/* --- plugin churn --------------------------------------------------- */

char *
answering(const char *answer)
{
	char *source;

	if (asprintf(&source, "local dkjson = require(\"dkjson\")\n"
	    "function GetWorkloadTypeAndName(metaJsonStr)\n"
	    "    local meta = dkjson.decode(metaJsonStr)\n"
	    "    if (meta.name or ''):match('[13579]$') then\n"
	    "        return '', ''\n"
	    "    end\n"
	    "    return 'Deployment', '%s'\n"
	    "end\n", answer) == -1)
		die("out of memory");
	return source;
}

/* Sends one change; the reply must be want (OK, or ERROR of code).
 * Returns 0, or -1 after counting why. */
static int
change(struct shared *sh, struct conn *c, struct buffer *b,
    enum control_type want, enum control_error code)
{
	struct control_message m;
	char why[256] = "";

	if (c->fd == -1 && conn_open(c, why, sizeof(why)) == -1)
		goto failed;
	if (conn_send(c, b) == -1 || conn_receive(c, &m, why, sizeof(why)) !=
	    1)
		goto failed;
	sh->changes++;
	if (m.type == want && (want != CONTROL_ERROR || m.u.error.code ==
	    code)) {
		if (want == CONTROL_ERROR)
			sh->refused_as_due++;
		return 0;
	}
	/* A validation worker the killer shot: the create is refused with
	 * the reason, and nothing is stored.  Expected here. */
	if (m.type == CONTROL_ERROR && m.u.error.code ==
	    CONTROL_ERROR_INVALID_PLUGIN && memmem(m.u.error.message.bytes,
	    m.u.error.message.length, "SIGKILL", 7) != NULL) {
		sh->validations_killed++;
		return -1;
	}
	snprintf(why, sizeof(why), "%s: %.*s", control_type_name(m.type),
	    m.type == CONTROL_ERROR ? (int)m.u.error.message.length : 0,
	    m.type == CONTROL_ERROR ? m.u.error.message.bytes : "");
failed:
	sh->churn_failures++;
	snprintf(sh->churn_why, sizeof(sh->churn_why), "%s", why);
	buffer_clear(b);
	conn_close(c);
	return -1;
}

void __attribute__((noreturn))
churner(struct shared *sh)
{
	struct conn c = { .fd = -1 };
	struct buffer b = { 0 };
	bool alive[4] = { false };
	unsigned n = 0;

	while (!sh->stop) {
		char name[32], answer[48], *source;
		unsigned slot = n % 4;

		snprintf(name, sizeof(name), "c-%u", slot);
		snprintf(answer, sizeof(answer), "c-%u-%u", slot, n);
		source = answering(answer);
		/* A slot's plugin is replaced while it lives, created (before
		 * base) when it does not. */
		if (control_put_plugin_create(&b, name, source, strlen(source),
		    alive[slot], alive[slot] ? CONTROL_POSITION_END :
		    CONTROL_POSITION_BEFORE, alive[slot] ? "" : "base") == -1)
			die("out of memory");
		if (change(sh, &c, &b, CONTROL_OK, 0) == 0)
			alive[slot] = true;
		free(source);
		if (n % 7 == 3 && alive[(slot + 2) % 4]) {
			snprintf(name, sizeof(name), "c-%u", (slot + 2) % 4);
			if (control_put_plugin_delete(&b, name) == -1)
				die("out of memory");
			if (change(sh, &c, &b, CONTROL_OK, 0) == 0)
				alive[(slot + 2) % 4] = false;
		}
		if (n % 5 == 0) {
			static const char broken[] = "function "
			    "GetWorkloadTypeAndName(m\n";

			if (control_put_plugin_create(&b, "broken", broken,
			    strlen(broken), false, CONTROL_POSITION_END, "") ==
			    -1)
				die("out of memory");
			(void)change(sh, &c, &b, CONTROL_ERROR,
			    CONTROL_ERROR_INVALID_PLUGIN);
		}
		n++;
		sleep_s(0.05);
	}
	/* Quiet again: only the base plugins. */
	for (unsigned slot = 0; slot < 4; slot++) {
		char name[32];

		snprintf(name, sizeof(name), "c-%u", slot);
		if (!alive[slot])
			continue;
		if (control_put_plugin_delete(&b, name) == -1)
			die("out of memory");
		(void)change(sh, &c, &b, CONTROL_OK, 0);
	}
	conn_close(&c);
	buffer_free(&b);
	_exit(0);
}

void __attribute__((noreturn))
killer(struct shared *sh)
{
	uint64_t random = 12345;

	while (!sh->stop) {
		pid_t pids[64];
		size_t n = workers_of(daemon_pid, pids, 64);

		if (n > 0 && kill(pids[next_random(&random) % n], SIGKILL) == 0)
			sh->kills++;
		sleep_s(1.0 + (double)(next_random(&random) % 1000) / 1000.0);
	}
	_exit(0);
}

