/*
 * luaward serve and clients that misbehave: garbage, oversized and
 * truncated frames, hundreds of connections at once, one that never reads,
 * one that stops mid-frame.  Each gets a refusal or a close, and everyone
 * else is served meanwhile.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "serve_support.h"
#include "suites.h"

/*
 * Sends bytes (after HELLO when hello), then says no more: the daemon
 * must answer with at most an ERROR of code (when code is not -1 it must)
 * and close.
 */
#define expect_refusal(...) expect_refusal_at(__LINE__, __VA_ARGS__)

static void
expect_refusal_at(int line, const struct served *s, bool hello,
    const void *bytes, size_t length, int code, const char *fragment)
{
	struct control_message m;
	struct raw r;
	int got;

	raw_open(&r, s->socket);
	if (hello)
		raw_hello(&r);
	(void)raw_write_within(&r, bytes, length, 60);
	shutdown(r.fd, SHUT_WR);
	got = raw_receive(&r, &m, 60);
	ck_assert_msg(got != -1, "line %d: no answer and no close", line);
	if (code != -1)
		ck_assert_msg(got == 1, "line %d: closed without a reason",
		    line);
	if (got == 1) {
		ck_assert_msg(m.type == CONTROL_ERROR, "line %d: %s", line,
		    control_type_name(m.type));
		ck_assert_msg(code == -1 || (int)m.u.error.code == code,
		    "line %d: %s: %.*s", line,
		    control_error_name(m.u.error.code),
		    (int)m.u.error.message.length, m.u.error.message.bytes);
		ck_assert_msg(fragment == NULL ||
		    memmem(m.u.error.message.bytes, m.u.error.message.length,
		    fragment, strlen(fragment)) != NULL,
		    "line %d: \"%.*s\" does not say \"%s\"", line,
		    (int)m.u.error.message.length, m.u.error.message.bytes,
		    fragment);
		got = raw_receive(&r, &m, 60);
		ck_assert_msg(got == 0, "line %d: after \"%.*s\": %s", line,
		    (int)m.u.error.message.length, m.u.error.message.bytes,
		    got == 1 ? control_type_name(m.type) : "not closed");
	}
	raw_close(&r);
}

/* A well-behaved client, served. */
static void
still_serves(const struct served *s)
{
	struct run_result r;

	CLIENT_OK(&r, s, "plugin", "list", "-o", "json");
	ck_assert_msg(strncmp(r.out, "[{\"name\":\"a\",", 13) == 0, "%s",
	    r.out);
	run_result_free(&r);
}

START_TEST(test_bad_frames_get_bad_request_or_a_close)
{
	static const unsigned char not_msgpack[] = { 0, 0, 0, 3, 0xc1, 0xc1,
	    0xc1 };
	static const unsigned char oversized[] = { 0xff, 0xff, 0xff, 0xff };
	static const unsigned char just_over[] = { 0x00, 0x11, 0x00, 0x01 };
	static const unsigned char empty[] = { 0, 0, 0, 0 };
	static const unsigned char list[] = { 0, 0, 0, 2, 0x91, 0x22 };
	static const unsigned char reply[] = { 0, 0, 0, 4, 0x93, 0x45, 1, 3 };
	static const unsigned char trailing[] = { 0, 0, 0, 3, 0x91, 0x22, 0 };
	static const unsigned char unknown[] = { 0, 0, 0, 2, 0x91, 0x29 };
	static const unsigned char fields[] = { 0, 0, 0, 3, 0x92, 0x22, 1 };
	static const unsigned char data[] = { 0, 0, 0, 3, 0x92, 0x26, 0xa0 };
	static const unsigned char truncated[] = { 0, 0, 0, 100, 0x92, 0x20 };
	static const unsigned char version[] = { 0, 0, 0, 3, 0x92, 0x20, 99 };
	struct buffer b = { 0 };
	uint64_t random = 7;
	struct served s;
	char *label;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "a", "function GetWorkloadTypeAndName(m) return '', '' "
	    "end\n");
	expect_refusal(&s, false, not_msgpack, sizeof(not_msgpack),
	    CONTROL_ERROR_BAD_REQUEST, "malformed request");
	expect_refusal(&s, true, not_msgpack, sizeof(not_msgpack),
	    CONTROL_ERROR_BAD_REQUEST, "malformed request");
	expect_refusal(&s, true, oversized, sizeof(oversized),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	expect_refusal(&s, true, just_over, sizeof(just_over),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	expect_refusal(&s, false, empty, sizeof(empty),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	expect_refusal(&s, false, list, sizeof(list),
	    CONTROL_ERROR_BAD_REQUEST, "expected HELLO, got PLUGIN_LIST");
	expect_refusal(&s, true, reply, sizeof(reply),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	expect_refusal(&s, true, trailing, sizeof(trailing),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	expect_refusal(&s, true, unknown, sizeof(unknown),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	expect_refusal(&s, true, fields, sizeof(fields),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	expect_refusal(&s, true, data, sizeof(data),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	expect_refusal(&s, true, truncated, sizeof(truncated), -1, NULL);
	expect_refusal(&s, false, truncated, sizeof(truncated), -1, NULL);
	expect_refusal(&s, false, version, sizeof(version),
	    CONTROL_ERROR_UNSUPPORTED_VERSION, "protocol version 99");
	still_serves(&s);

	/* Requests out of turn: QUERY_DATA with no query, a list in the
	 * middle of one, a second HELLO. */
	ck_assert_int_eq(control_put_query_data(&b, "{}", 2), 0);
	expect_refusal(&s, true, b.data, buffer_length(&b),
	    CONTROL_ERROR_BAD_REQUEST, "QUERY_DATA is not a request here");
	buffer_clear(&b);
	ck_assert_int_eq(control_put_query_begin(&b, "x"), 0);
	ck_assert_int_eq(control_put_plugin_list(&b), 0);
	expect_refusal(&s, true, b.data, buffer_length(&b),
	    CONTROL_ERROR_BAD_REQUEST, "PLUGIN_LIST in the middle of a query");
	buffer_clear(&b);
	ck_assert_int_eq(control_put_hello(&b, 1), 0);
	expect_refusal(&s, true, b.data, buffer_length(&b),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	buffer_clear(&b);
	/* Fields over their limits in a well-formed frame. */
	label = calloc(1, CONTROL_MAX_LABEL + 2);
	memset(label, 'l', CONTROL_MAX_LABEL + 1);
	ck_assert_int_eq(control_put_query_begin(&b, label), 0);
	expect_refusal(&s, true, b.data, buffer_length(&b),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	buffer_clear(&b);
	free(label);
	label = calloc(1, CONTROL_MAX_SOURCE + 2);
	memset(label, ' ', CONTROL_MAX_SOURCE + 1);
	ck_assert_int_eq(control_put_plugin_create(&b, "big", label,
	    CONTROL_MAX_SOURCE + 1, false, CONTROL_POSITION_END, ""), 0);
	expect_refusal(&s, true, b.data, buffer_length(&b),
	    CONTROL_ERROR_BAD_REQUEST, NULL);
	buffer_clear(&b);
	free(label);
	still_serves(&s);

	/* Random bytes, framed or not: a refusal or a close, every time. */
	for (unsigned i = 0; i < 200; i++) {
		size_t length = 1 + next_random(&random) % 64;
		unsigned char bytes[80];

		for (size_t k = 0; k < length; k++)
			bytes[k] = (unsigned char)next_random(&random);
		if (i % 2 == 0 && length > 4) {
			/* A header that fits what follows. */
			bytes[0] = bytes[1] = bytes[2] = 0;
			bytes[3] = (unsigned char)(length - 4);
			bytes[4] = (unsigned char)(0x91 + i % 6);
		}
		expect_refusal(&s, i % 3 != 0, bytes, length, -1, NULL);
	}
	still_serves(&s);
	ASSERT_CHAIN_NAMES(&s, "a");
	serve_stop(&s);
	buffer_free(&b);
	served_free(&s);
}
END_TEST

/*
 * 200 clients at once against the default limit of 64: 64 are served,
 * the others refused with the limit named; with a limit above 200, every
 * one of them runs a query at the same time.
 */
START_TEST(test_two_hundred_connections)
{
	enum { CLIENTS = 200 };
	struct raw *r = calloc(CLIENTS, sizeof(*r));
	bool accepted[CLIENTS] = { false };
	char *a = named_plugin("a", false);
	struct buffer b = { 0 };
	unsigned served = 0, refused = 0;
	struct control_message m;
	struct run_result out;
	struct served s;
	double deadline;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "a", a);
	ck_assert_int_eq(control_put_hello(&b, CONTROL_PROTOCOL_VERSION), 0);
	for (unsigned i = 0; i < CLIENTS; i++) {
		raw_open(&r[i], s.socket);
		(void)raw_write_within(&r[i], b.data, buffer_length(&b), 60);
	}
	for (unsigned i = 0; i < CLIENTS; i++) {
		ck_assert_int_eq(raw_receive(&r[i], &m, 60), 1);
		if (m.type == CONTROL_HELLO_REPLY) {
			accepted[i] = true;
			served++;
			continue;
		}
		ck_assert_int_eq(m.type, CONTROL_ERROR);
		ck_assert_int_eq(m.u.error.code, CONTROL_ERROR_BUSY);
		ck_assert_uint_eq(m.u.error.message.length,
		    strlen("too many connections (the limit is 64)"));
		ck_assert(memcmp(m.u.error.message.bytes, "too many "
		    "connections (the limit is 64)",
		    m.u.error.message.length) == 0);
		ck_assert_int_eq(raw_receive(&r[i], &m, 60), 0);
		refused++;
	}
	ck_assert_uint_eq(served, 64);
	ck_assert_uint_eq(refused, CLIENTS - 64);
	/* The 64 are served, all at once. */
	buffer_clear(&b);
	ck_assert_int_eq(control_put_plugin_list(&b), 0);
	for (unsigned i = 0; i < CLIENTS; i++)
		if (accepted[i])
			raw_write(&r[i], b.data, buffer_length(&b));
	for (unsigned i = 0; i < CLIENTS; i++) {
		if (accepted[i]) {
			raw_expect(&r[i], &m, CONTROL_PLUGIN_LIST_REPLY);
			ck_assert_uint_eq(m.u.list.count, 1);
		}
		raw_close(&r[i]);
	}
	/* Once they are gone, others get in. */
	deadline = now() + 60 * slowdown();
	for (;;) {
		client(&out, &s, NULL, 0, "plugin", "list", NULL);
		if (out.status == 0)
			break;
		ck_assert_msg(strstr(out.err, "too many connections") != NULL &&
		    now() < deadline, "exit %d: %s", out.status, out.err);
		run_result_free(&out);
		sleep_s(0.05);
	}
	run_result_free(&out);
	serve_stop(&s);

	/* A limit above 200: all of them query at once. */
	serve_start(&s, "--max-connections", "250", NULL);
	for (unsigned i = 0; i < CLIENTS; i++) {
		raw_open(&r[i], s.socket);
		raw_hello(&r[i]);
	}
	for (unsigned i = 0; i < CLIENTS; i++) {
		char record[64];
		int n = snprintf(record, sizeof(record), "{\"name\":\"c-%u\"}",
		    i);

		buffer_clear(&b);
		ck_assert_int_eq(control_put_query_begin(&b, "x"), 0);
		ck_assert_int_eq(control_put_query_data(&b, record, (size_t)n),
		    0);
		ck_assert_int_eq(control_put_query_end(&b), 0);
		raw_send(&r[i], &b);
	}
	for (unsigned i = 0; i < CLIENTS; i++) {
		char want[200];

		snprintf(want, sizeof(want), "{\"uid\":\"\",\"namespace\":\"\","
		    "\"name\":\"c-%u\",\"status\":\"resolved\","
		    "\"workloadType\":\"Deployment\",\"workloadName\":\"a\","
		    "\"plugin\":\"a\"}\n", i);
		raw_expect(&r[i], &m, CONTROL_QUERY_OUTPUT);
		ck_assert_uint_eq(m.u.data.bytes.length, strlen(want));
		ck_assert(memcmp(m.u.data.bytes.bytes, want, strlen(want)) ==
		    0);
		raw_expect(&r[i], &m, CONTROL_QUERY_DONE);
		ck_assert_uint_eq(m.u.done.records, 1);
		raw_close(&r[i]);
	}
	serve_stop(&s);
	buffer_free(&b);
	served_free(&s);
	free(r);
	free(a);
}
END_TEST

/* How much a daemon's RSS may grow for a client that never reads.
 * AddressSanitizer keeps up to 256 MiB of freed memory in quarantine: in
 * that build the bound on the bytes taken is what counts. */
#ifdef LUAWARD_SANITIZE
#define RSS_BOUND_KIB	(512 * 1024)
#else
#define RSS_BOUND_KIB	(96 * 1024)
#endif

static long
peak_rss_kib(pid_t pid)
{
	char path[64], row[256];
	long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(row, sizeof(row), f) != NULL)
		if (strncmp(row, "VmHWM:", 6) == 0)
			kib = atol(row + 6);
	fclose(f);
	return kib;
}

/* Waits until the daemon has closed r: poll() says the peer hung up. */
static void
await_hang_up(struct raw *r, double timeout_s)
{
	struct pollfd p = { .fd = r->fd, .events = POLLRDHUP };

	ck_assert_msg(poll(&p, 1, (int)(timeout_s * slowdown() * 1000)) == 1 &&
	    (p.revents & (POLLHUP | POLLRDHUP)) != 0, "the daemon kept the "
	    "connection (revents %#x)", p.revents);
}

/*
 * A client that sends records and never reads its lines: the daemon stops
 * taking its input once a bounded amount of output waits, its memory does
 * not grow with what the client would send, other clients are served, and
 * after --client-timeout the client is dropped.
 */
START_TEST(test_client_that_never_reads)
{
	enum { RECORD = 200 };
	const size_t cap = (size_t)256 << 20;
	struct buffer frames = { 0 };
	char chunk[64 * 1024];
	size_t sent = 0, filled = 0, fds;
	struct run_result r;
	struct served s;
	struct raw stuck;
	long before;
	double last_progress;
	char *pods, *a = named_plugin("a", false);
	size_t length;

	served_init(&s);
	serve_start(&s, "--client-timeout", "3", NULL);
	CREATE_OK(&s, "a", a);
	/* A query answered means the worker's start has finished (its status
	 * pipe is closed): what is open now is the steady state. */
	pods = read_source_file("examples/pods.json", &length);
	client(&r, &s, pods, length, "query", NULL);
	ck_assert_int_eq(r.status, 0);
	run_result_free(&r);
	fds = open_fds(s.pid);
	before = rss_kib(s.pid);
	while (filled + RECORD < sizeof(chunk)) {
		int n = snprintf(chunk + filled, sizeof(chunk) - filled,
		    "{\"name\":\"r-%zu\",\"pad\":\"%0*d\"}\n", filled,
		    RECORD - 40, 0);

		filled += (size_t)n;
	}
	raw_open(&stuck, s.socket);
	raw_hello(&stuck);
	ck_assert_int_eq(control_put_query_begin(&frames, "x"), 0);
	raw_send(&stuck, &frames);
	last_progress = now();
	while (sent < cap && now() - last_progress < 2 * slowdown()) {
		ssize_t n;

		if (buffer_length(&frames) == 0)
			ck_assert_int_eq(control_put_query_data(&frames, chunk,
			    filled), 0);
		n = send(stuck.fd, buffer_bytes(&frames),
		    buffer_length(&frames), MSG_NOSIGNAL);
		if (n > 0) {
			buffer_consume(&frames, (size_t)n);
			sent += (size_t)n;
			last_progress = now();
		} else if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;	/* dropped already */
		else
			sleep_s(0.01);
	}
	ck_assert_msg(sent < cap, "the daemon took %zu bytes from a client "
	    "that reads nothing", sent);
	/* Others are served meanwhile. */
	client(&r, &s, pods, length, "query", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(count_lines(r.out), 6);
	run_result_free(&r);
	await_hang_up(&stuck, 60);
	ck_assert_msg(peak_rss_kib(s.pid) - before < RSS_BOUND_KIB, "RSS went "
	    "from %ld KiB to a peak of %ld KiB for %zu bytes taken", before,
	    peak_rss_kib(s.pid), sent);
	raw_close(&stuck);
	/* Nothing of it stays. */
	{
		double deadline = now() + 60 * slowdown();

		while (open_fds(s.pid) != fds) {
			ck_assert_msg(now() < deadline, "%zu descriptors, not "
			    "%zu", open_fds(s.pid), fds);
			sleep_s(0.05);
		}
	}
	still_serves(&s);
	serve_stop(&s);
	buffer_free(&frames);
	served_free(&s);
	free(pods);
	free(a);
}
END_TEST

/* A client that stops in the middle of a frame, or never says HELLO,
 * is dropped after --client-timeout; the others are served meanwhile. */
START_TEST(test_client_that_stops_mid_frame)
{
	static const unsigned char half[] = { 0, 0, 0, 9, 0x92, 0x25 };
	struct raw mid, silent, query_mid;
	struct buffer b = { 0 };
	struct served s;
	char *a = named_plugin("a", false);

	served_init(&s);
	serve_start(&s, "--client-timeout", "2", NULL);
	CREATE_OK(&s, "a", a);
	raw_open(&mid, s.socket);
	raw_hello(&mid);
	raw_write(&mid, half, sizeof(half));
	raw_open(&silent, s.socket);
	raw_open(&query_mid, s.socket);
	raw_hello(&query_mid);
	ck_assert_int_eq(control_put_query_begin(&b, "x"), 0);
	ck_assert_int_eq(control_put_query_data(&b, "{\"name\":", 8), 0);
	raw_send(&query_mid, &b);
	still_serves(&s);
	await_hang_up(&mid, 60);
	await_hang_up(&silent, 60);
	await_hang_up(&query_mid, 60);
	still_serves(&s);
	raw_close(&mid);
	raw_close(&silent);
	raw_close(&query_mid);
	serve_stop(&s);
	buffer_free(&b);
	served_free(&s);
	free(a);
}
END_TEST

Suite *
serve_clients_suite(void)
{
	Suite *s = suite_create("serve_clients");
	TCase *t = tcase_create("clients");

	tcase_set_timeout(t, 1200);
	tcase_add_test(t, test_bad_frames_get_bad_request_or_a_close);
	tcase_add_test(t, test_two_hundred_connections);
	tcase_add_test(t, test_client_that_never_reads);
	tcase_add_test(t, test_client_that_stops_mid_frame);
	suite_add_tcase(s, t);
	return s;
}
