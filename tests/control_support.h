/*
 * Shared by the suites of the control codec (ipc/control.h),
 * test_control*.c: a decoder for each test (the fixture), frames decoded
 * in either direction, payloads built by hand with msgpack-c's packer,
 * and one valid sample of every message.  Hostile payloads are decoded
 * from a heap copy of exactly their size, so that AddressSanitizer sees
 * any read past their end.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_CONTROL_SUPPORT_H
#define LUAWARD_TESTS_CONTROL_SUPPORT_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "../ipc/control.h"
#include "pack_support.h"

static struct control_decoder *decoder;
static char error[512];

static inline void
setup(void)
{
	decoder = control_decoder_new();
	ck_assert_ptr_nonnull(decoder);
}

static inline void
teardown(void)
{
	control_decoder_free(decoder);
	decoder = NULL;
}

static inline char *
filled(size_t n, int c)
{
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static inline void
assert_bytes(struct wire_string s, const void *bytes, size_t length)
{
	ck_assert_uint_eq(s.length, length);
	ck_assert_msg(length == 0 || memcmp(s.bytes, bytes, length) == 0,
	    "string bytes differ");
}

static inline void
assert_string(struct wire_string s, const char *c)
{
	assert_bytes(s, c, strlen(c));
}

static inline int
decode_as(enum control_direction direction, const char *payload,
    size_t length, struct control_message *m)
{
	error[0] = '\0';
	return direction == CONTROL_TO_DAEMON ?
	    control_decode_request(decoder, payload, length, m, error,
	    sizeof(error)) :
	    control_decode_reply(decoder, payload, length, m, error,
	    sizeof(error));
}

/*
 * out holds exactly one frame: checks its header against its size, then
 * decodes it (the message's strings point into out).
 */
static inline int
decode_frame(const struct buffer *out, enum control_direction direction,
    struct control_message *m)
{
	const unsigned char *h = (const unsigned char *)buffer_bytes(out);
	const char *payload = NULL;
	size_t length = 0;

	ck_assert_uint_ge(buffer_length(out), WIRE_HEADER_SIZE + 1);
	ck_assert_uint_eq((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3], buffer_length(out) - WIRE_HEADER_SIZE);
	ck_assert_int_eq(control_frame(out, &payload, &length, error,
	    sizeof(error)), 1);
	ck_assert_uint_eq(length, buffer_length(out) - WIRE_HEADER_SIZE);
	return decode_as(direction, payload, length, m);
}

static inline void
must_decode(const struct buffer *out, enum control_direction direction,
    struct control_message *m)
{
	ck_assert_msg(decode_frame(out, direction, m) == 0, "rejected: %s",
	    error);
}

/* call encodes one frame into out_; decoding it (in direction) must
 * give want, and a rejection must say so with a message holding
 * fragment (when not NULL). */
#define CHECK_DECODE(want, direction, fragment, call) do {		\
	struct buffer out_ = { 0 };					\
	struct control_message m_;					\
	int r_;								\
									\
	ck_assert_int_eq((call), 0);					\
	r_ = decode_frame(&out_, (direction), &m_);			\
	ck_assert_msg(r_ == (want), "line %d: %s gave %d (%s)",	\
	    __LINE__, #call, r_, error);				\
	if (r_ == -1) {							\
		const char *f_ = (fragment);				\
									\
		ck_assert_msg(error[0] != '\0', "line %d", __LINE__);	\
		ck_assert_msg(f_ == NULL || strstr(error, f_) != NULL,	\
		    "line %d: '%s' does not mention '%s'", __LINE__,	\
		    error, f_ != NULL ? f_ : "");			\
	}								\
	buffer_free(&out_);						\
} while (0)

/*
 * Decodes a copy of bytes[0..n) with no byte to spare: it must be
 * refused with a message (holding fragment, when given), and a valid
 * message must decode right after.
 */
static inline void
reject_at(int at, enum control_direction direction, const char *fragment,
    const void *bytes, size_t n)
{
	static const unsigned char list[] = { 0x91, CONTROL_PLUGIN_LIST };
	static const unsigned char done[] = { 0x93, CONTROL_QUERY_DONE, 1, 7 };
	struct control_message m;
	char *copy = malloc(n > 0 ? n : 1);
	int r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, bytes, n);
	r = decode_as(direction, copy, n, &m);
	free(copy);
	ck_assert_msg(r == -1, "at %d: a payload of %zu bytes was accepted",
	    at, n);
	ck_assert_msg(error[0] != '\0', "at %d: rejected without a message",
	    at);
	if (fragment != NULL)
		ck_assert_msg(strstr(error, fragment) != NULL,
		    "at %d: '%s' does not mention '%s'", at, error, fragment);
	if (direction == CONTROL_TO_DAEMON)
		ck_assert_msg(decode_as(direction, (const char *)list,
		    sizeof(list), &m) == 0, "at %d: unusable after: %s", at,
		    error);
	else
		ck_assert_msg(decode_as(direction, (const char *)done,
		    sizeof(done), &m) == 0, "at %d: unusable after: %s", at,
		    error);
}

#define REJECT(direction, fragment, ...) \
	reject_at(__LINE__, direction, fragment, BYTES(__VA_ARGS__), \
	    sizeof(BYTES(__VA_ARGS__)))

static inline void
pack_reject_at(int line, enum control_direction direction, struct pack *p,
    const char *fragment)
{
	reject_at(line, direction, fragment, p->sbuf.data, p->sbuf.size);
	msgpack_sbuffer_destroy(&p->sbuf);
}

#define PACK_REJECT(direction, p, fragment) \
	pack_reject_at(__LINE__, direction, p, fragment)

static inline void
pack_accept_at(int line, enum control_direction direction, struct pack *p,
    struct control_message *m)
{
	ck_assert_msg(decode_as(direction, p->sbuf.data, p->sbuf.size, m) ==
	    0, "line %d: rejected: %s", line, error);
}

/* The message points into p until it is destroyed. */
#define PACK_ACCEPT(direction, p, m) \
	pack_accept_at(__LINE__, direction, p, m)

static const char sha_a[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/* A listed plugin with two kinds of error. */
static inline struct control_plugin
sample_plugin(const char *name)
{
	struct control_plugin p;

	memset(&p, 0, sizeof(p));
	p.name = (struct wire_string){ name, strlen(name) };
	p.size = 1234;
	memcpy(p.sha256, sha_a, sizeof(p.sha256));
	p.created = 1718000000;
	p.state = CONTROL_STATE_QUARANTINED;
	p.calls = 5000000000ULL;
	p.errors[0] = (struct control_error_count){ { "timeout", 7 }, 3 };
	p.errors[1] = (struct control_error_count){ { "bad-return", 10 },
	    UINT64_MAX };
	p.error_count = 2;
	return p;
}

/* One valid frame of every message into out, in the order of
 * control.h's table. */
static inline void
encode_every_message(struct buffer *out)
{
	static const char source[] = "function GetWorkloadTypeAndName(m)\n"
	    "  return '', ''\nend\n\0\xff";
	struct control_plugin plugins[2] = { sample_plugin("10-opengauss"),
	    sample_plugin("20-web") };

	ck_assert_int_eq(control_put_hello(out, CONTROL_PROTOCOL_VERSION), 0);
	ck_assert_int_eq(control_put_plugin_create(out, "10-opengauss", source,
	    sizeof(source) - 1, true, CONTROL_POSITION_BEFORE, "20-web"), 0);
	ck_assert_int_eq(control_put_plugin_list(out), 0);
	ck_assert_int_eq(control_put_plugin_delete(out, "20-web"), 0);
	ck_assert_int_eq(control_put_plugin_reset(out, "10-opengauss"), 0);
	ck_assert_int_eq(control_put_query_begin(out, "pods.json"), 0);
	ck_assert_int_eq(control_put_query_data(out, "{\"metadata\":{}}\n",
	    16), 0);
	ck_assert_int_eq(control_put_query_end(out), 0);
	ck_assert_int_eq(control_put_stats(out, CONTROL_FORMAT_JSON), 0);
	ck_assert_int_eq(control_put_hello_reply(out, CONTROL_PROTOCOL_VERSION,
	    "luaward 1.0"), 0);
	ck_assert_int_eq(control_put_ok(out, "created", sha_a), 0);
	ck_assert_int_eq(control_put_error(out, CONTROL_ERROR_EXISTS,
	    "plugin %s exists", "web"), 0);
	ck_assert_int_eq(control_put_plugin_list_reply(out, plugins, 2), 0);
	ck_assert_int_eq(control_put_query_output(out, "{\"uid\":\"\"}\n", 11),
	    0);
	ck_assert_int_eq(control_put_query_done(out, 1, 150000), 0);
	ck_assert_int_eq(control_put_stats_reply(out, "records 3\n", 10), 0);
}

static inline enum control_direction
direction_of(enum control_type type)
{
	return type < CONTROL_HELLO_REPLY ? CONTROL_TO_DAEMON :
	    CONTROL_TO_CLIENT;
}

#endif
