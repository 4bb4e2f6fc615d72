/*
 * Shared by the suites of the ipc codec (ipc/wire.h), test_wire*.c: a
 * decoder for each test (the setup and teardown fixture), checks of bytes
 * and strings, frames decoded with their header checked, msgpack-c
 * packers for payloads built by hand, and a valid LOAD.  Hostile payloads
 * are decoded from a heap copy of exactly their size, so that
 * AddressSanitizer sees any read past their end.
 *
 * Everything here is static: each suite file has its own decoder and
 * error buffer.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_WIRE_SUPPORT_H
#define LUAWARD_TESTS_WIRE_SUPPORT_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "../ipc/wire.h"
#include "pack_support.h"

static struct wire_decoder *decoder;
static char error[512];

static inline void
setup(void)
{
	decoder = wire_decoder_new();
	ck_assert_ptr_nonnull(decoder);
}

static inline void
teardown(void)
{
	wire_decoder_free(decoder);
	decoder = NULL;
}

static inline void *
xalloc(size_t size)
{
	void *p = malloc(size > 0 ? size : 1);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* A run of n copies of byte c (NUL-terminated, for wire_put_error). */
static inline char *
filled(size_t n, int c)
{
	char *p = xalloc(n + 1);

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

static inline uint32_t
header_of(const struct buffer *b)
{
	const unsigned char *p = (const unsigned char *)buffer_bytes(b);

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * out holds exactly one frame: checks its header against its size, then
 * decodes it (the message's strings point into out).
 */
static inline int
decode_frame(const struct buffer *out, struct wire_message *m)
{
	const char *payload = NULL;
	size_t length = 0;

	ck_assert_uint_ge(buffer_length(out), WIRE_HEADER_SIZE + 1);
	ck_assert_uint_eq(header_of(out), buffer_length(out) -
	    WIRE_HEADER_SIZE);
	ck_assert_int_eq(wire_frame(out, &payload, &length, error,
	    sizeof(error)), 1);
	ck_assert_ptr_eq(payload, buffer_bytes(out) + WIRE_HEADER_SIZE);
	ck_assert_uint_eq(length, buffer_length(out) - WIRE_HEADER_SIZE);
	error[0] = '\0';
	return wire_decode(decoder, payload, length, m, error, sizeof(error));
}

static inline void
must_decode_frame(const struct buffer *out, struct wire_message *m)
{
	ck_assert_msg(decode_frame(out, m) == 0, "rejected: %s", error);
}

/* call encodes one frame into out_ (the encoders do not check per-field
 * limits: the decoder does); decoding it must give want. */
#define CHECK_DECODE(want, call) do {					\
	struct buffer out_ = { 0 };					\
	struct wire_message m_;						\
	int r_;								\
									\
	ck_assert_int_eq((call), 0);					\
	r_ = decode_frame(&out_, &m_);					\
	ck_assert_msg(r_ == (want), "line %d: %s gave %d (%s)",	\
	    __LINE__, #call, r_, error);				\
	if (r_ == -1)							\
		ck_assert_msg(error[0] != '\0', "line %d", __LINE__);	\
	buffer_free(&out_);						\
} while (0)

/* Decodes a copy of bytes[0..n) with no byte to spare; the copy is gone
 * afterwards, so only the result and the error are of use. */
static inline int
decode_copy(const void *bytes, size_t n)
{
	struct wire_message m;
	char *copy = xalloc(n);
	int r;

	memcpy(copy, bytes, n);
	error[0] = '\0';
	r = wire_decode(decoder, copy, n, &m, error, sizeof(error));
	free(copy);
	return r;
}

/*
 * The payload must be rejected with a message (one that contains fragment,
 * when given: the decoder names the field it refuses).  A valid message
 * must decode right after, so a rejection leaves the decoder usable.
 */
static inline void
reject_at(int at, const char *fragment, const void *bytes, size_t n)
{
	static const unsigned char log_ok[] = { 0x93, WIRE_LOG, 0xa2, 'o',
	    'k', 0x00 };

	ck_assert_msg(decode_copy(bytes, n) == -1,
	    "at %d: a payload of %zu bytes was accepted", at, n);
	ck_assert_msg(error[0] != '\0', "at %d: rejected without a message",
	    at);
	if (fragment != NULL)
		ck_assert_msg(strstr(error, fragment) != NULL,
		    "at %d: '%s' does not mention '%s'", at, error, fragment);
	ck_assert_msg(decode_copy(log_ok, sizeof(log_ok)) == 0,
	    "at %d: the decoder is unusable after a rejection: %s", at,
	    error);
}

#define REJECT(fragment, ...) \
	reject_at(__LINE__, fragment, BYTES(__VA_ARGS__), \
	    sizeof(BYTES(__VA_ARGS__)))

static inline void
pack_reject_at(int line, struct pack *p, const char *fragment)
{
	reject_at(line, fragment, p->sbuf.data, p->sbuf.size);
	msgpack_sbuffer_destroy(&p->sbuf);
}

#define PACK_REJECT(p, fragment) pack_reject_at(__LINE__, p, fragment)

/* The payload must decode; the message points into p until it is
 * destroyed. */
static inline void
pack_accept_at(int line, struct pack *p, struct wire_message *m)
{
	error[0] = '\0';
	ck_assert_msg(wire_decode(decoder, p->sbuf.data, p->sbuf.size, m,
	    error, sizeof(error)) == 0, "line %d: rejected: %s", line, error);
}

#define PACK_ACCEPT(p, m) pack_accept_at(__LINE__, p, m)

/* Fields after the type, from wire.h's table (indexed by type). */
static const size_t field_count[] = {
	[WIRE_HELLO] = 2, [WIRE_LOAD] = 2, [WIRE_READY] = 3,
	[WIRE_REQUEST] = 2, [WIRE_REPLY] = 4, [WIRE_ERROR] = 4,
	[WIRE_LOG] = 2, [WIRE_VIOLATION] = 3, [WIRE_PROBE] = 4,
	[WIRE_SEALED] = 0,
};

/*
 * Decodes hand-built bytes that must be accepted; the message points into
 * bytes.
 */
static inline void
accept_at(int line, const void *bytes, size_t n, struct wire_message *m)
{
	error[0] = '\0';
	ck_assert_msg(wire_decode(decoder, bytes, n, m, error,
	    sizeof(error)) == 0, "line %d: rejected: %s", line, error);
}

#define ACCEPT(m, ...) \
	accept_at(__LINE__, BYTES(__VA_ARGS__), sizeof(BYTES(__VA_ARGS__)), m)

/* A valid LOAD: a plugin with two modules and a seccomp filter. */
static const char plugin_source[] = "function GetWorkloadTypeAndName(m)\n"
    "  return 'Deployment', 'x\\0y'\nend\n\0trailing NUL kept";
static const char filter_bytes[24] = { 0x20, 0, 0, 0, 4, 0, 0, 0,
    0x15, 0, 1, 0, 0x3e, 0, 0, (char)0xc0, 0x06, 0, 0, 0, 0, 0, (char)0xff,
    0x7f };

static inline void
fill_load(struct wire_load *load)
{
	memset(load, 0, sizeof(*load));
	load->plugin = (struct wire_string){ "10-opengauss", 12 };
	load->chunk_name = (struct wire_string){ "plugins/10-opengauss.lua",
	    24 };
	load->source = (struct wire_string){ plugin_source,
	    sizeof(plugin_source) - 1 };
	load->modules[0] = (struct wire_module){ { "dkjson", 6 },
	    { "return { decode = 1 }", 21 } };
	load->modules[1] = (struct wire_module){ { "util", 4 },
	    { "\0\xff\x01", 3 } };
	load->module_count = 2;
	load->call_timeout_ms = 250;
	load->load_timeout_ms = 5000;
	load->memory_bytes = 64u << 20;
	load->log_lines_per_second = 10;
	load->log_burst = 50;
	load->landlock = WIRE_MODE_AUTO;
	load->seccomp_filter = (struct wire_string){ filter_bytes,
	    sizeof(filter_bytes) };
	load->probe = (struct wire_string){ "", 0 };	/* a plugin */
}

/* Single values, to put where a field's valid value goes. */
static inline void
v_nil(msgpack_packer *pk)
{
	msgpack_pack_nil(pk);
}

static inline void
v_true(msgpack_packer *pk)
{
	msgpack_pack_true(pk);
}

static inline void
v_str(msgpack_packer *pk)
{
	pack_str(pk, "7");
}

static inline void
v_neg(msgpack_packer *pk)
{
	msgpack_pack_int64(pk, -1);
}

static inline void
v_double(msgpack_packer *pk)
{
	msgpack_pack_double(pk, 1.0);
}

static inline void
v_array(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 0);
}

static inline void
v_map(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 0);
}

static inline void
v_uint(msgpack_packer *pk)
{
	msgpack_pack_uint32(pk, 7);
}

static inline void
v_ext(msgpack_packer *pk)
{
	msgpack_pack_ext_with_body(pk, "abcd", 4, 1);
}

static inline void
v_u33(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, (uint64_t)UINT32_MAX + 1);
}

static inline void
v_big_positive(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, (uint64_t)INT32_MAX + 1);
}

static inline void
v_below_int32(msgpack_packer *pk)
{
	msgpack_pack_int64(pk, (int64_t)INT32_MIN - 1);
}

static inline void
v_int64_min(msgpack_packer *pk)
{
	msgpack_pack_int64(pk, INT64_MIN);
}

static inline void
v_bin(msgpack_packer *pk)
{
	msgpack_pack_bin_with_body(pk, "7", 1);
}

/* The LOAD settings map, key by key. */
static const char *const load_keys[] = { "plugin", "source", "modules",
    "call_timeout_ms", "load_timeout_ms", "memory_bytes",
    "log_lines_per_second", "log_burst", "landlock", "seccomp_filter",
    "probe", "chunk_name" };
#define LOAD_KEYS	(sizeof(load_keys) / sizeof(load_keys[0]))

static inline void
pack_load_value(msgpack_packer *pk, const char *key)
{
	static const char filter[16] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	if (strcmp(key, "plugin") == 0)
		pack_str(pk, "p");
	else if (strcmp(key, "source") == 0)
		pack_str(pk, "function GetWorkloadTypeAndName() end");
	else if (strcmp(key, "modules") == 0) {
		msgpack_pack_map(pk, 1);
		pack_str(pk, "dkjson");
		pack_str(pk, "return {}");
	} else if (strcmp(key, "memory_bytes") == 0)
		msgpack_pack_uint64(pk, 1u << 26);
	else if (strcmp(key, "landlock") == 0)
		msgpack_pack_uint8(pk, WIRE_MODE_REQUIRE);
	else if (strcmp(key, "seccomp_filter") == 0)
		msgpack_pack_bin_with_body(pk, filter, sizeof(filter));
	else if (strcmp(key, "probe") == 0)
		pack_str(pk, "execute");
	else if (strcmp(key, "chunk_name") == 0)
		pack_str(pk, "plugins/p.lua");
	else
		msgpack_pack_uint32(pk, 100);
}

/*
 * The settings map: every key with a valid value, except that omit is
 * left out, extra is added (with a nil), twice comes a second time, and
 * replace gets value() instead.
 */
static inline void
pack_load_settings(msgpack_packer *pk, const char *omit, const char *extra,
    const char *twice, const char *replace, void (*value)(msgpack_packer *))
{
	msgpack_pack_map(pk, LOAD_KEYS - (omit != NULL) + (extra != NULL) +
	    (twice != NULL));
	for (size_t i = 0; i < LOAD_KEYS; i++) {
		if (omit != NULL && strcmp(omit, load_keys[i]) == 0)
			continue;
		pack_str(pk, load_keys[i]);
		if (replace != NULL && strcmp(replace, load_keys[i]) == 0)
			value(pk);
		else
			pack_load_value(pk, load_keys[i]);
	}
	/* Last, so the duplicate is not simply the first key; after the
	 * loop, so they are there even when omit is the last key. */
	if (extra != NULL) {
		pack_str(pk, extra);
		msgpack_pack_nil(pk);
	}
	if (twice != NULL) {
		pack_str(pk, twice);
		pack_load_value(pk, twice);
	}
}

#endif
