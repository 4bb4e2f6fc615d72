/*
 * The ipc codec (ipc/wire.h): every message through the encoders and back,
 * frames that arrive a byte at a time, and the payloads a hostile worker
 * could send.  Hostile payloads are decoded from a heap copy of exactly
 * their size, so that AddressSanitizer sees any read past their end.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "../ipc/wire.h"
#include "suites.h"

static struct wire_decoder *decoder;
static char error[512];

static void
setup(void)
{
	decoder = wire_decoder_new();
	ck_assert_ptr_nonnull(decoder);
}

static void
teardown(void)
{
	wire_decoder_free(decoder);
	decoder = NULL;
}

static void *
xalloc(size_t size)
{
	void *p = malloc(size > 0 ? size : 1);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* A run of n copies of byte c (NUL-terminated, for wire_put_error). */
static char *
filled(size_t n, int c)
{
	char *p = xalloc(n + 1);

	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static void
assert_bytes(struct wire_string s, const void *bytes, size_t length)
{
	ck_assert_uint_eq(s.length, length);
	ck_assert_msg(length == 0 || memcmp(s.bytes, bytes, length) == 0,
	    "string bytes differ");
}

static void
assert_string(struct wire_string s, const char *c)
{
	assert_bytes(s, c, strlen(c));
}

static uint32_t
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
static int
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

static void
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
static int
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
static void
reject_at(int at, const char *fragment, const void *bytes, size_t n)
{
	static const unsigned char log_ok[] = { 0x92, WIRE_LOG, 0xa2, 'o',
	    'k' };

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

#define BYTES(...)	((const unsigned char[]){ __VA_ARGS__ })
#define REJECT(fragment, ...) \
	reject_at(__LINE__, fragment, BYTES(__VA_ARGS__), \
	    sizeof(BYTES(__VA_ARGS__)))

/* Payloads built with msgpack-c's packer. */
struct pack {
	msgpack_sbuffer	 sbuf;
	msgpack_packer	 pk;
};

static msgpack_packer *
pack_begin(struct pack *p)
{
	msgpack_sbuffer_init(&p->sbuf);
	msgpack_packer_init(&p->pk, &p->sbuf, msgpack_sbuffer_write);
	return &p->pk;
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void
pack_reject_at(int line, struct pack *p, const char *fragment)
{
	reject_at(line, fragment, p->sbuf.data, p->sbuf.size);
	msgpack_sbuffer_destroy(&p->sbuf);
}

#define PACK_REJECT(p, fragment) pack_reject_at(__LINE__, p, fragment)

/* The payload must decode; the message points into p until it is
 * destroyed. */
static void
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
	[WIRE_LOG] = 1, [WIRE_VIOLATION] = 3, [WIRE_PROBE] = 4,
};

/*
 * Decodes hand-built bytes that must be accepted; the message points into
 * bytes.
 */
static void
accept_at(int line, const void *bytes, size_t n, struct wire_message *m)
{
	error[0] = '\0';
	ck_assert_msg(wire_decode(decoder, bytes, n, m, error,
	    sizeof(error)) == 0, "line %d: rejected: %s", line, error);
}

#define ACCEPT(m, ...) \
	accept_at(__LINE__, BYTES(__VA_ARGS__), sizeof(BYTES(__VA_ARGS__)), m)

/* --- round trips --------------------------------------------------------- */

START_TEST(test_hello_round_trip)
{
	static const uint32_t pids[] = { 0, 1, 4242, 65536, UINT32_MAX };

	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		struct buffer out = { 0 };
		struct wire_message m;

		ck_assert_int_eq(wire_put_hello(&out, pids[i]), 0);
		must_decode_frame(&out, &m);
		ck_assert_int_eq(m.type, WIRE_HELLO);
		ck_assert_uint_eq(m.u.hello.version, WIRE_PROTOCOL_VERSION);
		ck_assert_uint_eq(m.u.hello.pid, pids[i]);
		buffer_free(&out);
	}
}
END_TEST

static const char plugin_source[] = "function GetWorkloadTypeAndName(m)\n"
    "  return 'Deployment', 'x\\0y'\nend\n\0trailing NUL kept";
static const char filter_bytes[24] = { 0x20, 0, 0, 0, 4, 0, 0, 0,
    0x15, 0, 1, 0, 0x3e, 0, 0, (char)0xc0, 0x06, 0, 0, 0, 0, 0, (char)0xff,
    0x7f };

static void
fill_load(struct wire_load *load)
{
	memset(load, 0, sizeof(*load));
	load->plugin = (struct wire_string){ "10-opengauss", 12 };
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

static void
assert_load_equal(const struct wire_load *got, const struct wire_load *want)
{
	assert_bytes(got->plugin, want->plugin.bytes, want->plugin.length);
	assert_bytes(got->source, want->source.bytes, want->source.length);
	ck_assert_uint_eq(got->module_count, want->module_count);
	for (size_t i = 0; i < want->module_count; i++) {
		assert_bytes(got->modules[i].name, want->modules[i].name.bytes,
		    want->modules[i].name.length);
		assert_bytes(got->modules[i].source,
		    want->modules[i].source.bytes,
		    want->modules[i].source.length);
	}
	ck_assert_uint_eq(got->call_timeout_ms, want->call_timeout_ms);
	ck_assert_uint_eq(got->load_timeout_ms, want->load_timeout_ms);
	ck_assert_uint_eq(got->memory_bytes, want->memory_bytes);
	ck_assert_uint_eq(got->log_lines_per_second,
	    want->log_lines_per_second);
	ck_assert_uint_eq(got->log_burst, want->log_burst);
	ck_assert_int_eq(got->landlock, want->landlock);
	assert_bytes(got->seccomp_filter, want->seccomp_filter.bytes,
	    want->seccomp_filter.length);
	assert_bytes(got->probe, want->probe.bytes, want->probe.length);
}

START_TEST(test_load_round_trip)
{
	static const enum wire_mode modes[] = { WIRE_MODE_OFF, WIRE_MODE_AUTO,
	    WIRE_MODE_REQUIRE };
	char *longest = filled(WIRE_MAX_NAME, 'p');
	/* "" for a plugin, else the name of a selftest probe. */
	const struct wire_string probes[] = { { "", 0 },
	    { longest, WIRE_MAX_NAME }, { "open-file", 9 } };
	struct wire_load load;

	for (size_t i = 0; i < 3; i++) {
		struct buffer out = { 0 };
		struct wire_message m;

		fill_load(&load);
		load.landlock = modes[i];
		load.probe = probes[i];
		if (i == 1) {
			/* Extremes of every number. */
			load.call_timeout_ms = UINT32_MAX;
			load.load_timeout_ms = 0;
			load.memory_bytes = UINT64_MAX;
			load.log_lines_per_second = 0;
			load.log_burst = UINT32_MAX;
			load.module_count = 0;
		}
		ck_assert_int_eq(wire_put_load(&out, &load), 0);
		must_decode_frame(&out, &m);
		ck_assert_int_eq(m.type, WIRE_LOAD);
		ck_assert_uint_eq(m.u.load.version, WIRE_PROTOCOL_VERSION);
		assert_load_equal(&m.u.load.settings, &load);
		ck_assert_uint_eq(m.u.load.settings.probe.length,
		    probes[i].length);
		buffer_free(&out);
	}
	free(longest);
}
END_TEST

START_TEST(test_load_round_trip_most_modules)
{
	static const char *const names[WIRE_MAX_MODULES] = { "m0", "m1", "m2",
	    "m3", "m4", "m5", "m6", "m7" };
	struct buffer out = { 0 };
	struct wire_message m;
	struct wire_load load;

	fill_load(&load);
	for (size_t i = 0; i < WIRE_MAX_MODULES; i++)
		load.modules[i] = (struct wire_module){ { names[i], 2 },
		    { names[WIRE_MAX_MODULES - 1 - i], 2 } };
	load.module_count = WIRE_MAX_MODULES;
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	must_decode_frame(&out, &m);
	assert_load_equal(&m.u.load.settings, &load);
	buffer_free(&out);
}
END_TEST

START_TEST(test_ready_round_trip)
{
	const struct wire_layer layers[] = {
		{ { "landlock", 8 }, { "applied", 7 }, { "ABI 3", 5 } },
		{ { "seccomp", 7 }, { "applied", 7 }, { "", 0 } },
		{ { "userns", 6 }, { "skipped", 7 },
		    { "EPERM: \"unprivileged\"\n\0x", 24 } },
	};
	const struct wire_string touched[] = { { "io.open", 7 },
	    { "os.exit", 7 } };
	struct buffer out = { 0 };
	struct wire_message m;

	ck_assert_int_eq(wire_put_ready(&out, layers, 3, touched, 2), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_READY);
	ck_assert_uint_eq(m.u.ready.version, WIRE_PROTOCOL_VERSION);
	ck_assert_uint_eq(m.u.ready.layer_count, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_bytes(m.u.ready.layers[i].name, layers[i].name.bytes,
		    layers[i].name.length);
		assert_bytes(m.u.ready.layers[i].state, layers[i].state.bytes,
		    layers[i].state.length);
		assert_bytes(m.u.ready.layers[i].detail,
		    layers[i].detail.bytes, layers[i].detail.length);
	}
	ck_assert_uint_eq(m.u.ready.touched_count, 2);
	assert_string(m.u.ready.touched[0], "io.open");
	assert_string(m.u.ready.touched[1], "os.exit");
	buffer_free(&out);

	/* Both lists empty. */
	ck_assert_int_eq(wire_put_ready(&out, NULL, 0, NULL, 0), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_READY);
	ck_assert_uint_eq(m.u.ready.layer_count, 0);
	ck_assert_uint_eq(m.u.ready.touched_count, 0);
	buffer_free(&out);
}
END_TEST

START_TEST(test_ready_round_trip_full_lists)
{
	struct wire_layer layers[WIRE_MAX_LAYERS];
	struct wire_string touched[WIRE_MAX_TOUCHED];
	char names[WIRE_MAX_TOUCHED][8];
	struct buffer out = { 0 };
	struct wire_message m;

	for (size_t i = 0; i < WIRE_MAX_TOUCHED; i++) {
		snprintf(names[i], sizeof(names[i]), "f%zu", i);
		touched[i] = (struct wire_string){ names[i], strlen(names[i]) };
	}
	for (size_t i = 0; i < WIRE_MAX_LAYERS; i++)
		layers[i] = (struct wire_layer){ touched[i], { "applied", 7 },
		    touched[WIRE_MAX_TOUCHED - 1 - i] };
	ck_assert_int_eq(wire_put_ready(&out, layers, WIRE_MAX_LAYERS,
	    touched, WIRE_MAX_TOUCHED), 0);
	must_decode_frame(&out, &m);
	ck_assert_uint_eq(m.u.ready.layer_count, WIRE_MAX_LAYERS);
	ck_assert_uint_eq(m.u.ready.touched_count, WIRE_MAX_TOUCHED);
	for (size_t i = 0; i < WIRE_MAX_LAYERS; i++) {
		assert_string(m.u.ready.layers[i].name, names[i]);
		assert_string(m.u.ready.layers[i].state, "applied");
		assert_string(m.u.ready.layers[i].detail,
		    names[WIRE_MAX_TOUCHED - 1 - i]);
	}
	for (size_t i = 0; i < WIRE_MAX_TOUCHED; i++)
		assert_string(m.u.ready.touched[i], names[i]);
	buffer_free(&out);
}
END_TEST

START_TEST(test_request_round_trip)
{
	static const uint64_t ids[] = { 0, 1, 127, 128, 65536, UINT32_MAX,
	    (uint64_t)UINT32_MAX + 1, UINT64_MAX };
	static const char metadata[] =
	    "{\"name\":\"a\\u0000\",\"uid\":\"\xff\"}\0after";

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct buffer out = { 0 };
		struct wire_message m;
		size_t length = i == 0 ? 0 : sizeof(metadata) - 1;

		ck_assert_int_eq(wire_put_request(&out, ids[i], metadata,
		    length), 0);
		must_decode_frame(&out, &m);
		ck_assert_int_eq(m.type, WIRE_REQUEST);
		ck_assert_uint_eq(m.u.request.id, ids[i]);
		assert_bytes(m.u.request.metadata, metadata, length);
		buffer_free(&out);
	}
}
END_TEST

START_TEST(test_reply_round_trip)
{
	static const struct {
		uint64_t id;
		const char *type, *name;
		size_t type_length, name_length;
		uint64_t micros;
	} cases[] = {
		{ 1, "StatefulSet", "ogtest", 11, 6, 1500 },
		{ 0, "", "", 0, 0, 0 },
		{ UINT64_MAX, "My\0Kind\xff", "n\0\x80", 8, 3, 3 },
		{ 5, "Pod", "p", 3, 1, UINT64_MAX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buffer out = { 0 };
		struct wire_message m;

		ck_assert_int_eq(wire_put_reply(&out, cases[i].id,
		    cases[i].type, cases[i].type_length, cases[i].name,
		    cases[i].name_length, cases[i].micros), 0);
		must_decode_frame(&out, &m);
		ck_assert_int_eq(m.type, WIRE_REPLY);
		ck_assert_uint_eq(m.u.reply.id, cases[i].id);
		assert_bytes(m.u.reply.type, cases[i].type,
		    cases[i].type_length);
		assert_bytes(m.u.reply.name, cases[i].name,
		    cases[i].name_length);
		ck_assert_uint_eq(m.u.reply.micros, cases[i].micros);
		buffer_free(&out);
	}
}
END_TEST

/*
 * The time a call took, in every msgpack integer width, through REPLY and
 * ERROR; the id is never the same number, so swapped fields show.
 */
START_TEST(test_micros_round_trip)
{
	static const uint64_t micros[] = { 0, 1, 127, 128, 255, 256, 65535,
	    65536, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
	    86400ull * 1000 * 1000, INT64_MAX, (uint64_t)INT64_MAX + 1,
	    UINT64_MAX - 1, UINT64_MAX };

	for (size_t i = 0; i < sizeof(micros) / sizeof(micros[0]); i++) {
		struct buffer out = { 0 };
		struct wire_message m;
		uint64_t id = ~micros[i];

		ck_assert_int_eq(wire_put_reply(&out, id, "Job", 3, "j", 1,
		    micros[i]), 0);
		must_decode_frame(&out, &m);
		ck_assert_int_eq(m.type, WIRE_REPLY);
		ck_assert_uint_eq(m.u.reply.id, id);
		assert_string(m.u.reply.type, "Job");
		assert_string(m.u.reply.name, "j");
		ck_assert_uint_eq(m.u.reply.micros, micros[i]);
		buffer_free(&out);

		ck_assert_int_eq(wire_put_error(&out, id, "timeout", "slow", 4,
		    micros[i]), 0);
		must_decode_frame(&out, &m);
		ck_assert_int_eq(m.type, WIRE_ERROR);
		ck_assert_uint_eq(m.u.error.id, id);
		assert_string(m.u.error.kind, "timeout");
		assert_string(m.u.error.message, "slow");
		ck_assert_uint_eq(m.u.error.micros, micros[i]);
		buffer_free(&out);
	}
}
END_TEST

START_TEST(test_error_round_trip)
{
	static const char message[] = "plugin.lua:3: bad \"thing\"\n\0\xfe";
	struct buffer out = { 0 };
	struct wire_message m;

	ck_assert_int_eq(wire_put_error(&out, 7, "timeout", message,
	    sizeof(message) - 1, 250000), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_ERROR);
	ck_assert_uint_eq(m.u.error.id, 7);
	assert_string(m.u.error.kind, "timeout");
	assert_bytes(m.u.error.message, message, sizeof(message) - 1);
	ck_assert_uint_eq(m.u.error.micros, 250000);
	buffer_free(&out);

	/* Id 0: not about a request (and no call was timed). */
	ck_assert_int_eq(wire_put_error(&out, 0, "load", "", 0, 0), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_ERROR);
	ck_assert_uint_eq(m.u.error.id, 0);
	assert_string(m.u.error.kind, "load");
	assert_bytes(m.u.error.message, "", 0);
	ck_assert_uint_eq(m.u.error.micros, 0);
	buffer_free(&out);

	ck_assert_int_eq(wire_put_error(&out, UINT64_MAX - 1, "memory", "m", 1,
	    UINT64_MAX), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_ERROR);
	ck_assert_uint_eq(m.u.error.id, UINT64_MAX - 1);
	assert_string(m.u.error.kind, "memory");
	assert_string(m.u.error.message, "m");
	ck_assert_uint_eq(m.u.error.micros, UINT64_MAX);
	buffer_free(&out);
}
END_TEST

START_TEST(test_log_round_trip)
{
	static const char text[] = "hello from print()\t\0\x01\xc3\xa9";
	struct buffer out = { 0 };
	struct wire_message m;

	ck_assert_int_eq(wire_put_log(&out, text, sizeof(text) - 1), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_LOG);
	assert_bytes(m.u.log.text, text, sizeof(text) - 1);
	buffer_free(&out);
}
END_TEST

START_TEST(test_violation_round_trip)
{
	static const struct {
		int64_t syscall;
		uint32_t arch;
		uint64_t id;
	} cases[] = {
		{ 59, 0xc000003e, 12 },		/* execve on x86_64 */
		{ 0, 0x40000003, 0 },		/* i386 */
		{ -1, UINT32_MAX, UINT64_MAX },
		{ INT32_MAX, 0, 1 },
		{ INT32_MIN, 0xc00000b7, 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buffer out = { 0 };
		struct wire_message m;

		ck_assert_int_eq(wire_put_violation(&out, cases[i].syscall,
		    cases[i].arch, cases[i].id), 0);
		must_decode_frame(&out, &m);
		ck_assert_int_eq(m.type, WIRE_VIOLATION);
		ck_assert_int_eq(m.u.violation.syscall, cases[i].syscall);
		ck_assert_uint_eq(m.u.violation.arch, cases[i].arch);
		ck_assert_uint_eq(m.u.violation.id, cases[i].id);
		buffer_free(&out);
	}
}
END_TEST

/* The syscall number is an int32: one past either end is refused. */
START_TEST(test_violation_syscall_range)
{
	CHECK_DECODE(0, wire_put_violation(&out_, INT32_MIN, 0, 1));
	CHECK_DECODE(0, wire_put_violation(&out_, INT32_MAX, 0, 1));
	CHECK_DECODE(-1, wire_put_violation(&out_,
	    (int64_t)INT32_MIN - 1, 0, 1));
	ck_assert_ptr_nonnull(strstr(error, "syscall"));
	CHECK_DECODE(-1, wire_put_violation(&out_,
	    (int64_t)INT32_MAX + 1, 0, 1));
	ck_assert_ptr_nonnull(strstr(error, "syscall"));
	CHECK_DECODE(-1, wire_put_violation(&out_, INT64_MIN, 0, 1));
	ck_assert_ptr_nonnull(strstr(error, "syscall"));
	CHECK_DECODE(-1, wire_put_violation(&out_, INT64_MAX, 0, 1));
	ck_assert_ptr_nonnull(strstr(error, "syscall"));

	/* By hand, in every width msgpack has for a negative number. */
	{
		struct wire_message m;

		/* int32 INT32_MIN */
		ACCEPT(&m, 0x94, WIRE_VIOLATION, 0xd2, 0x80, 0x00, 0x00, 0x00,
		    0xce, 0xc0, 0x00, 0x00, 0x3e, 0x07);
		ck_assert_int_eq(m.type, WIRE_VIOLATION);
		ck_assert_int_eq(m.u.violation.syscall, INT32_MIN);
		ck_assert_uint_eq(m.u.violation.arch, 0xc000003e);
		ck_assert_uint_eq(m.u.violation.id, 7);
		/* int64 INT32_MIN */
		ACCEPT(&m, 0x94, WIRE_VIOLATION, 0xd3, 0xff, 0xff, 0xff, 0xff,
		    0x80, 0x00, 0x00, 0x00, 0x00, 0x00);
		ck_assert_int_eq(m.u.violation.syscall, INT32_MIN);
		/* int8 -1, int16 -129 */
		ACCEPT(&m, 0x94, WIRE_VIOLATION, 0xff, 0x00, 0x00);
		ck_assert_int_eq(m.u.violation.syscall, -1);
		ACCEPT(&m, 0x94, WIRE_VIOLATION, 0xd1, 0xff, 0x7f, 0x00, 0x00);
		ck_assert_int_eq(m.u.violation.syscall, -129);
		/* int64 INT32_MIN - 1, INT64_MIN */
		REJECT("syscall", 0x94, WIRE_VIOLATION, 0xd3, 0xff, 0xff, 0xff,
		    0xff, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00);
		REJECT("syscall", 0x94, WIRE_VIOLATION, 0xd3, 0x80, 0x00, 0x00,
		    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
		/* uint32 INT32_MAX + 1 */
		REJECT("syscall", 0x94, WIRE_VIOLATION, 0xce, 0x80, 0x00, 0x00,
		    0x00, 0x00, 0x00);
	}
}
END_TEST

START_TEST(test_probe_round_trip)
{
	static const struct {
		const char *name, *verdict;
		uint32_t error_number;
		const char *detail;
	} cases[] = {
		{ "open-file", "blocked", 13, "Permission denied" },
		{ "fork", "allowed", 0, "forked process 4242" },
		{ "execute", "blocked", 1, "" },
		{ "load-bytecode", "allowed", UINT32_MAX,
		    "load() accepted \"bytecode\"\n\t\xc3\xa9\xff" },
		{ "", "blocked", 0, "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buffer out = { 0 };
		struct wire_message m;

		ck_assert_int_eq(wire_put_probe(&out, cases[i].name,
		    cases[i].verdict, cases[i].error_number,
		    cases[i].detail), 0);
		must_decode_frame(&out, &m);
		ck_assert_int_eq(m.type, WIRE_PROBE);
		assert_string(m.u.probe.name, cases[i].name);
		assert_string(m.u.probe.verdict, cases[i].verdict);
		ck_assert_uint_eq(m.u.probe.error_number,
		    cases[i].error_number);
		assert_string(m.u.probe.detail, cases[i].detail);
		buffer_free(&out);
	}
}
END_TEST

/* Unpacks the payload of the one frame in out with msgpack-c alone. */
static const msgpack_object *
unpack_frame(const struct buffer *out, msgpack_unpacked *u)
{
	size_t offset = 0;

	ck_assert_uint_eq(header_of(out), buffer_length(out) -
	    WIRE_HEADER_SIZE);
	msgpack_unpacked_init(u);
	ck_assert_int_eq(msgpack_unpack_next(u, buffer_bytes(out) +
	    WIRE_HEADER_SIZE, buffer_length(out) - WIRE_HEADER_SIZE, &offset),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(offset, buffer_length(out) - WIRE_HEADER_SIZE);
	return &u->data;
}

static void
assert_uint_object(const msgpack_object *o, uint64_t want)
{
	ck_assert_int_eq(o->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	ck_assert_uint_eq(o->via.u64, want);
}

static void
assert_str_object(const msgpack_object *o, const char *want)
{
	ck_assert_int_eq(o->type, MSGPACK_OBJECT_STR);
	ck_assert_uint_eq(o->via.str.size, strlen(want));
	ck_assert(memcmp(o->via.str.ptr, want, strlen(want)) == 0);
}

/* An array [type, fields...] of the size wire.h documents. */
static const msgpack_object *
message_fields(const msgpack_object *root, enum wire_type type)
{
	ck_assert_int_eq(root->type, MSGPACK_OBJECT_ARRAY);
	ck_assert_uint_eq(root->via.array.size, field_count[type] + 1);
	assert_uint_object(&root->via.array.ptr[0], (uint64_t)type);
	return root->via.array.ptr;
}

/*
 * What the encoders put on the wire, read without wire_decode(): an
 * encoder and a decoder that agreed on a wrong layout would pass every
 * round trip.
 */
START_TEST(test_encoded_layouts)
{
	struct buffer out = { 0 };
	const msgpack_object *f;
	msgpack_unpacked u;
	struct wire_load load;

	ck_assert_int_eq(WIRE_REPLY, 5);
	ck_assert_int_eq(WIRE_ERROR, 6);
	ck_assert_int_eq(WIRE_VIOLATION, 8);
	ck_assert_int_eq(WIRE_PROBE, 9);

	/* REPLY: [5, id, workload type, workload name, micros] */
	ck_assert_int_eq(wire_put_reply(&out, 3, "Deployment", 10, "web", 3,
	    UINT64_MAX), 0);
	f = message_fields(unpack_frame(&out, &u), WIRE_REPLY);
	assert_uint_object(&f[1], 3);
	assert_str_object(&f[2], "Deployment");
	assert_str_object(&f[3], "web");
	assert_uint_object(&f[4], UINT64_MAX);
	msgpack_unpacked_destroy(&u);
	buffer_free(&out);

	/* ERROR: [6, id, kind, message, micros] */
	ck_assert_int_eq(wire_put_error(&out, 4, "timeout", "too slow", 8,
	    1000000), 0);
	f = message_fields(unpack_frame(&out, &u), WIRE_ERROR);
	assert_uint_object(&f[1], 4);
	assert_str_object(&f[2], "timeout");
	assert_str_object(&f[3], "too slow");
	assert_uint_object(&f[4], 1000000);
	msgpack_unpacked_destroy(&u);
	buffer_free(&out);

	/* PROBE: [9, probe name, verdict, errno, detail] */
	ck_assert_int_eq(wire_put_probe(&out, "create-socket", "blocked", 38,
	    "Function not implemented"), 0);
	f = message_fields(unpack_frame(&out, &u), WIRE_PROBE);
	assert_str_object(&f[1], "create-socket");
	assert_str_object(&f[2], "blocked");
	assert_uint_object(&f[3], 38);
	assert_str_object(&f[4], "Function not implemented");
	msgpack_unpacked_destroy(&u);
	buffer_free(&out);

	/* VIOLATION: [8, syscall, arch, id], the syscall signed. */
	ck_assert_int_eq(wire_put_violation(&out, INT32_MIN, 0xc000003e, 2),
	    0);
	f = message_fields(unpack_frame(&out, &u), WIRE_VIOLATION);
	ck_assert_int_eq(f[1].type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	ck_assert_int_eq(f[1].via.i64, INT32_MIN);
	assert_uint_object(&f[2], 0xc000003e);
	assert_uint_object(&f[3], 2);
	msgpack_unpacked_destroy(&u);
	buffer_free(&out);

	/* LOAD: [2, version, settings] with eleven keys, "probe" a str. */
	fill_load(&load);
	load.probe = (struct wire_string){ "write-stdin", 11 };
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	f = message_fields(unpack_frame(&out, &u), WIRE_LOAD);
	assert_uint_object(&f[1], WIRE_PROTOCOL_VERSION);
	ck_assert_int_eq(f[2].type, MSGPACK_OBJECT_MAP);
	ck_assert_uint_eq(f[2].via.map.size, 11);
	{
		int found = 0;

		for (uint32_t i = 0; i < f[2].via.map.size; i++) {
			const msgpack_object_kv *kv = &f[2].via.map.ptr[i];

			ck_assert_int_eq(kv->key.type, MSGPACK_OBJECT_STR);
			if (kv->key.via.str.size == 5 &&
			    memcmp(kv->key.via.str.ptr, "probe", 5) == 0) {
				found++;
				assert_str_object(&kv->val, "write-stdin");
			}
		}
		ck_assert_int_eq(found, 1);
	}
	msgpack_unpacked_destroy(&u);
	buffer_free(&out);
}
END_TEST

/* Payloads built by hand from wire.h's table decode to what it says. */
START_TEST(test_documented_layouts)
{
	struct wire_message m;

	/* [REPLY, 42, "t", "n", uint64 max] */
	ACCEPT(&m, 0x95, 0x05, 0x2a, 0xa1, 't', 0xa1, 'n', 0xcf, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	ck_assert_int_eq(m.type, WIRE_REPLY);
	ck_assert_uint_eq(m.u.reply.id, 42);
	assert_string(m.u.reply.type, "t");
	assert_string(m.u.reply.name, "n");
	ck_assert_uint_eq(m.u.reply.micros, UINT64_MAX);
	/* [REPLY, 0, "", "", uint32 1000000] */
	ACCEPT(&m, 0x95, 0x05, 0x00, 0xa0, 0xa0, 0xce, 0x00, 0x0f, 0x42,
	    0x40);
	ck_assert_uint_eq(m.u.reply.id, 0);
	ck_assert_uint_eq(m.u.reply.micros, 1000000);

	/* [ERROR, 1, "timeout", "xy", uint16 256] */
	ACCEPT(&m, 0x95, 0x06, 0x01, 0xa7, 't', 'i', 'm', 'e', 'o', 'u', 't',
	    0xa2, 'x', 'y', 0xcd, 0x01, 0x00);
	ck_assert_int_eq(m.type, WIRE_ERROR);
	ck_assert_uint_eq(m.u.error.id, 1);
	assert_string(m.u.error.kind, "timeout");
	assert_string(m.u.error.message, "xy");
	ck_assert_uint_eq(m.u.error.micros, 256);
	/* The same with uint64 (2^32 + 5). */
	ACCEPT(&m, 0x95, 0x06, 0x01, 0xa1, 'k', 0xa0, 0xcf, 0x00, 0x00, 0x00,
	    0x01, 0x00, 0x00, 0x00, 0x05);
	ck_assert_uint_eq(m.u.error.micros, ((uint64_t)1 << 32) + 5);

	/* [PROBE, "open-file", "blocked", 13, "Permission denied"] */
	ACCEPT(&m, 0x95, 0x09, 0xa9, 'o', 'p', 'e', 'n', '-', 'f', 'i', 'l',
	    'e', 0xa7, 'b', 'l', 'o', 'c', 'k', 'e', 'd', 0x0d, 0xb1, 'P', 'e',
	    'r', 'm', 'i', 's', 's', 'i', 'o', 'n', ' ', 'd', 'e', 'n', 'i',
	    'e', 'd');
	ck_assert_int_eq(m.type, WIRE_PROBE);
	assert_string(m.u.probe.name, "open-file");
	assert_string(m.u.probe.verdict, "blocked");
	ck_assert_uint_eq(m.u.probe.error_number, 13);
	assert_string(m.u.probe.detail, "Permission denied");
	/* [PROBE, "fork", "allowed", uint32 max, ""] */
	ACCEPT(&m, 0x95, 0x09, 0xa4, 'f', 'o', 'r', 'k', 0xa7, 'a', 'l', 'l',
	    'o', 'w', 'e', 'd', 0xce, 0xff, 0xff, 0xff, 0xff, 0xa0);
	ck_assert_int_eq(m.type, WIRE_PROBE);
	assert_string(m.u.probe.name, "fork");
	assert_string(m.u.probe.verdict, "allowed");
	ck_assert_uint_eq(m.u.probe.error_number, UINT32_MAX);
	assert_bytes(m.u.probe.detail, "", 0);

	/* The layouts before micros: one field short. */
	REJECT(NULL, 0x94, 0x05, 0x2a, 0xa1, 't', 0xa1, 'n');
	REJECT(NULL, 0x94, 0x06, 0x01, 0xa1, 'k', 0xa1, 'm');
	/* A PROBE's fields under the first unknown type. */
	REJECT("type", 0x95, 0x0a, 0xa4, 'f', 'o', 'r', 'k', 0xa7, 'a', 'l',
	    'l', 'o', 'w', 'e', 'd', 0x00, 0xa0);
	/* PROBE fields in the wrong order: errno where the verdict goes. */
	REJECT("verdict", 0x95, 0x09, 0xa4, 'f', 'o', 'r', 'k', 0x00, 0xa7,
	    'a', 'l', 'l', 'o', 'w', 'e', 'd', 0xa0);
}
END_TEST

/* Every type, back to back in one buffer, comes out in order. */
START_TEST(test_frames_in_sequence)
{
	static const enum wire_type order[] = { WIRE_HELLO, WIRE_LOAD,
	    WIRE_READY, WIRE_REQUEST, WIRE_REPLY, WIRE_ERROR, WIRE_LOG,
	    WIRE_VIOLATION, WIRE_PROBE };
	static const char *const names[] = { "", "HELLO", "LOAD", "READY",
	    "REQUEST", "REPLY", "ERROR", "LOG", "VIOLATION", "PROBE" };
	struct buffer out = { 0 };
	struct wire_load load;
	const char *payload;
	size_t length;

	fill_load(&load);
	ck_assert_int_eq(wire_put_hello(&out, 99), 0);
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	ck_assert_int_eq(wire_put_ready(&out, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(wire_put_request(&out, 5, "{}", 2), 0);
	ck_assert_int_eq(wire_put_reply(&out, 5, "a", 1, "b", 1, 123), 0);
	ck_assert_int_eq(wire_put_error(&out, 6, "memory", "m", 1, 456), 0);
	ck_assert_int_eq(wire_put_log(&out, "l", 1), 0);
	ck_assert_int_eq(wire_put_violation(&out, 2, 3, 4), 0);
	ck_assert_int_eq(wire_put_probe(&out, "ptrace", "blocked", 1,
	    "Operation not permitted"), 0);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct wire_message m;

		ck_assert_int_eq(wire_frame(&out, &payload, &length, error,
		    sizeof(error)), 1);
		ck_assert_msg(wire_decode(decoder, payload, length, &m, error,
		    sizeof(error)) == 0, "frame %zu: %s", i, error);
		ck_assert_int_eq(m.type, order[i]);
		ck_assert_str_eq(wire_type_name(m.type), names[order[i]]);
		if (m.type == WIRE_REPLY) {
			ck_assert_uint_eq(m.u.reply.id, 5);
			ck_assert_uint_eq(m.u.reply.micros, 123);
		}
		if (m.type == WIRE_ERROR) {
			ck_assert_uint_eq(m.u.error.id, 6);
			assert_string(m.u.error.kind, "memory");
			ck_assert_uint_eq(m.u.error.micros, 456);
		}
		if (m.type == WIRE_PROBE) {
			assert_string(m.u.probe.name, "ptrace");
			assert_string(m.u.probe.verdict, "blocked");
			ck_assert_uint_eq(m.u.probe.error_number, 1);
			assert_string(m.u.probe.detail,
			    "Operation not permitted");
		}
		buffer_consume(&out, WIRE_HEADER_SIZE + length);
	}
	ck_assert_uint_eq(buffer_length(&out), 0);
	ck_assert_int_eq(wire_frame(&out, &payload, &length, error,
	    sizeof(error)), 0);
	buffer_free(&out);
}
END_TEST

/* --- framing ------------------------------------------------------------- */

/* A frame arriving one byte at a time is incomplete until its last byte;
 * a second frame behind it does not confuse the first. */
START_TEST(test_frame_split_at_every_byte)
{
	struct buffer whole = { 0 };
	char metadata[300];
	size_t first, total;

	memset(metadata, 'm', sizeof(metadata));
	ck_assert_int_eq(wire_put_request(&whole, 77, metadata,
	    sizeof(metadata)), 0);
	first = buffer_length(&whole);
	ck_assert_int_eq(wire_put_log(&whole, "second", 6), 0);
	total = buffer_length(&whole);
	/* A payload over 255 bytes: more than one header byte matters. */
	ck_assert_uint_gt(first - WIRE_HEADER_SIZE, 255);

	for (size_t split = 0; split <= total; split++) {
		struct buffer in = { 0 };
		const char *payload = NULL;
		size_t length = 0;
		int want = split >= first ? 1 : 0;
		struct wire_message m;

		ck_assert_int_eq(buffer_append(&in, buffer_bytes(&whole),
		    split), 0);
		ck_assert_msg(wire_frame(&in, &payload, &length, error,
		    sizeof(error)) == want, "split at %zu of %zu", split,
		    total);
		ck_assert_int_eq(buffer_append(&in, buffer_bytes(&whole) +
		    split, total - split), 0);
		ck_assert_int_eq(wire_frame(&in, &payload, &length, error,
		    sizeof(error)), 1);
		ck_assert_uint_eq(length, first - WIRE_HEADER_SIZE);
		ck_assert_int_eq(wire_decode(decoder, payload, length, &m,
		    error, sizeof(error)), 0);
		ck_assert_int_eq(m.type, WIRE_REQUEST);
		ck_assert_uint_eq(m.u.request.id, 77);
		assert_bytes(m.u.request.metadata, metadata, sizeof(metadata));
		buffer_consume(&in, WIRE_HEADER_SIZE + length);
		ck_assert_int_eq(wire_frame(&in, &payload, &length, error,
		    sizeof(error)), 1);
		ck_assert_int_eq(wire_decode(decoder, payload, length, &m,
		    error, sizeof(error)), 0);
		ck_assert_int_eq(m.type, WIRE_LOG);
		assert_string(m.u.log.text, "second");
		buffer_free(&in);
	}

	/* Byte by byte through one buffer, as a pipe may deliver it. */
	{
		struct buffer in = { 0 };
		const char *payload;
		size_t length;

		for (size_t i = 0; i < first; i++) {
			ck_assert_int_eq(wire_frame(&in, &payload, &length,
			    error, sizeof(error)), 0);
			ck_assert_int_eq(buffer_append(&in,
			    buffer_bytes(&whole) + i, 1), 0);
		}
		ck_assert_int_eq(wire_frame(&in, &payload, &length, error,
		    sizeof(error)), 1);
		ck_assert_uint_eq(length, first - WIRE_HEADER_SIZE);
		buffer_free(&in);
	}
	buffer_free(&whole);
}
END_TEST

static int
frame_of(const unsigned char *bytes, size_t n, size_t *length)
{
	struct buffer in = { 0 };
	const char *payload = NULL;
	int r;

	ck_assert_int_eq(buffer_append(&in, bytes, n), 0);
	error[0] = '\0';
	r = wire_frame(&in, &payload, length, error, sizeof(error));
	buffer_free(&in);
	return r;
}

START_TEST(test_truncated_frames)
{
	static const unsigned char frame[] = { 0, 0, 0, 5, 0x92, WIRE_LOG,
	    0xa2, 'h', 'i' };
	size_t length = 0;

	for (size_t n = 0; n < sizeof(frame); n++)
		ck_assert_msg(frame_of(frame, n, &length) == 0,
		    "%zu bytes of a %zu-byte frame", n, sizeof(frame));
	ck_assert_int_eq(frame_of(frame, sizeof(frame), &length), 1);
	ck_assert_uint_eq(length, 5);
}
END_TEST

START_TEST(test_frame_header_limits)
{
	static const struct {
		unsigned char header[6];
		size_t n;
		int want;
	} cases[] = {
		{ { 0, 0, 0, 0 }, 4, -1 },		/* empty payload */
		{ { 0, 0, 0, 0, 0x90, 0x90 }, 6, -1 },	/* bytes or not */
		{ { 0x00, 0x40, 0x00, 0x01 }, 4, -1 },	/* the maximum + 1 */
		{ { 0x80, 0x00, 0x00, 0x00 }, 4, -1 },
		{ { 0xff, 0xff, 0xff, 0xff }, 4, -1 },
		{ { 0xff, 0xff, 0xff, 0xff, 0xc0 }, 5, -1 },
		{ { 0x00, 0x40, 0x00, 0x00 }, 4, 0 },	/* the maximum: wait */
		{ { 0x00, 0x00, 0x00, 0x01, 0xc0 }, 5, 1 },
	};

	ck_assert_uint_eq(WIRE_MAX_MESSAGE, 0x00400000);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t length = 0;
		int r = frame_of(cases[i].header, cases[i].n, &length);

		ck_assert_msg(r == cases[i].want, "case %zu: %d", i, r);
		if (r == -1)
			ck_assert_msg(error[0] != '\0', "case %zu: no message",
			    i);
	}
}
END_TEST

/* The largest frame passes; one byte more and the encoder refuses. */
START_TEST(test_frame_of_maximum_size)
{
	/* [REQUEST, 0, str32 metadata]: 1 + 1 + 1 + 5 bytes around it. */
	size_t overhead = 8;
	char *big = filled(WIRE_MAX_MESSAGE, 'x');
	struct buffer out = { 0 };
	const char *payload;
	size_t length;

	ck_assert_int_eq(wire_put_request(&out, 0, big, WIRE_MAX_MESSAGE -
	    overhead), 0);
	ck_assert_uint_eq(buffer_length(&out), WIRE_HEADER_SIZE +
	    WIRE_MAX_MESSAGE);
	ck_assert_int_eq(wire_frame(&out, &payload, &length, error,
	    sizeof(error)), 1);
	ck_assert_uint_eq(length, WIRE_MAX_MESSAGE);
	buffer_clear(&out);
	ck_assert_int_eq(wire_put_request(&out, 0, big, WIRE_MAX_MESSAGE -
	    overhead + 1), -1);
	ck_assert_uint_eq(buffer_length(&out), 0);
	buffer_free(&out);
	free(big);
}
END_TEST

/* Encoders refuse an oversized message and leave what the buffer held. */
START_TEST(test_encoders_refuse_oversized_messages)
{
	char *big = filled(WIRE_MAX_MESSAGE + 1, 'b');
	struct buffer out = { 0 };
	size_t first, before;
	char *snapshot;
	struct wire_load load;
	struct wire_layer layers[WIRE_MAX_LAYERS];
	const char *payload;
	size_t length;
	struct wire_message m;

	/* A consumed prefix too: the buffer's start is not 0. */
	ck_assert_int_eq(wire_put_hello(&out, 1), 0);
	first = buffer_length(&out);
	ck_assert_int_eq(wire_put_log(&out, "kept", 4), 0);
	buffer_consume(&out, first);
	before = buffer_length(&out);
	snapshot = xalloc(before);
	memcpy(snapshot, buffer_bytes(&out), before);

	ck_assert_int_eq(wire_put_request(&out, 1, big, WIRE_MAX_MESSAGE), -1);
	ck_assert_int_eq(wire_put_log(&out, big, WIRE_MAX_MESSAGE + 1), -1);
	ck_assert_int_eq(wire_put_reply(&out, 1, "Deployment", 10, big,
	    WIRE_MAX_MESSAGE, 0), -1);
	ck_assert_int_eq(wire_put_reply(&out, 1, big, WIRE_MAX_MESSAGE / 2,
	    big, WIRE_MAX_MESSAGE / 2, 0), -1);
	ck_assert_int_eq(wire_put_error(&out, 1, "error", big,
	    WIRE_MAX_MESSAGE, 0), -1);
	big[WIRE_MAX_MESSAGE] = '\0';
	ck_assert_int_eq(wire_put_error(&out, 1, big, "m", 1, 0), -1);
	ck_assert_int_eq(wire_put_probe(&out, big, "blocked", 0, ""), -1);
	ck_assert_int_eq(wire_put_probe(&out, "p", big, 0, ""), -1);
	ck_assert_int_eq(wire_put_probe(&out, "p", "allowed", 0, big), -1);
	fill_load(&load);
	load.source = (struct wire_string){ big, WIRE_MAX_MESSAGE };
	ck_assert_int_eq(wire_put_load(&out, &load), -1);
	fill_load(&load);
	load.probe = (struct wire_string){ big, WIRE_MAX_MESSAGE };
	ck_assert_int_eq(wire_put_load(&out, &load), -1);
	for (size_t i = 0; i < WIRE_MAX_LAYERS; i++)
		layers[i] = (struct wire_layer){ { "l", 1 }, { "applied", 7 },
		    { big, WIRE_MAX_MESSAGE / WIRE_MAX_LAYERS } };
	ck_assert_int_eq(wire_put_ready(&out, layers, WIRE_MAX_LAYERS, NULL,
	    0), -1);

	ck_assert_uint_eq(buffer_length(&out), before);
	ck_assert_int_eq(memcmp(buffer_bytes(&out), snapshot, before), 0);
	/* And the buffer still works: the kept frame, then a new one. */
	ck_assert_int_eq(wire_put_log(&out, "next", 4), 0);
	ck_assert_int_eq(wire_frame(&out, &payload, &length, error,
	    sizeof(error)), 1);
	ck_assert_int_eq(wire_decode(decoder, payload, length, &m, error,
	    sizeof(error)), 0);
	assert_string(m.u.log.text, "kept");
	buffer_consume(&out, WIRE_HEADER_SIZE + length);
	must_decode_frame(&out, &m);
	assert_string(m.u.log.text, "next");
	free(snapshot);
	free(big);
	buffer_free(&out);
}
END_TEST

/* --- hostile payloads ---------------------------------------------------- */

/* Every proper prefix of every valid payload is incomplete. */
START_TEST(test_truncated_payloads)
{
	struct buffer out = { 0 };
	struct wire_layer layer = { { "seccomp", 7 }, { "applied", 7 },
	    { "d", 1 } };
	struct wire_string touched = { "io.open", 7 };
	struct wire_load load;
	const char *payload;
	size_t length;

	fill_load(&load);
	ck_assert_int_eq(wire_put_hello(&out, 300000), 0);
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	load.probe = (struct wire_string){ "read-environ", 12 };
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	ck_assert_int_eq(wire_put_ready(&out, &layer, 1, &touched, 1), 0);
	ck_assert_int_eq(wire_put_request(&out, 1u << 20, "{\"a\":1}", 7), 0);
	ck_assert_int_eq(wire_put_reply(&out, 1, "DaemonSet", 9, "ds", 2,
	    UINT64_MAX), 0);
	ck_assert_int_eq(wire_put_error(&out, 3, "crash", "gone", 4, 70000),
	    0);
	ck_assert_int_eq(wire_put_log(&out, "log", 3), 0);
	ck_assert_int_eq(wire_put_violation(&out, -5, 0xc000003e, 9), 0);
	ck_assert_int_eq(wire_put_violation(&out, INT32_MIN, 0xc000003e, 9),
	    0);
	ck_assert_int_eq(wire_put_probe(&out, "fd-above-2", "allowed",
	    UINT32_MAX, "fd 3 is open"), 0);
	while (wire_frame(&out, &payload, &length, error, sizeof(error)) ==
	    1) {
		ck_assert_int_eq(decode_copy(payload, length), 0);
		for (size_t n = 0; n < length; n++)
			reject_at(__LINE__, NULL, payload, n);
		buffer_consume(&out, WIRE_HEADER_SIZE + length);
	}
	ck_assert_uint_eq(buffer_length(&out), 0);
	buffer_free(&out);
}
END_TEST

/* Counts a peer chose must never size anything before they are checked
 * against the bytes that are really there. */
START_TEST(test_huge_counts)
{
	REJECT(NULL, 0xdd, 0xff, 0xff, 0xff, 0xff);
	REJECT(NULL, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x07);
	REJECT(NULL, 0x93, WIRE_REPLY, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff);
	REJECT(NULL, 0xdf, 0xff, 0xff, 0xff, 0xff);
	REJECT(NULL, 0xdf, 0x80, 0x00, 0x00, 0x00, 0xc0, 0xc0);
	REJECT(NULL, 0x93, WIRE_LOAD, 0x01, 0xdf, 0xff, 0xff, 0xff, 0xff);
	REJECT(NULL, 0xdc, 0xff, 0xff, WIRE_LOG, 0xa0);
	REJECT(NULL, 0x92, WIRE_LOG, 0xde, 0xff, 0xff);
	/* Strings, binaries and extensions longer than the message. */
	REJECT(NULL, 0x92, WIRE_LOG, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a');
	REJECT(NULL, 0x92, WIRE_LOG, 0xc6, 0xff, 0xff, 0xff, 0xff);
	REJECT(NULL, 0x92, WIRE_LOG, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01);
	REJECT(NULL, 0x92, WIRE_LOG, 0xd9, 0xff, 'a');
	REJECT(NULL, 0x92, WIRE_LOG, 0xda, 0x01, 0x00);
	REJECT(NULL, 0x92, WIRE_LOG, 0xbf, 'a', 'b');
	REJECT(NULL, 0x92, WIRE_LOG, 0xd8, 0x01, 0x02);
	/* Headers cut short. */
	REJECT(NULL, 0x92, WIRE_LOG, 0xdb, 0x00, 0x00);
	REJECT(NULL, 0xdd, 0x00);
	REJECT(NULL, 0x92, WIRE_HELLO, 0xcf, 0x00);
	/* An array that owes one more value than the message holds. */
	REJECT(NULL, 0xdd, 0x00, 0x00, 0x00, 0x03, WIRE_LOG, 0xa0);
}
END_TEST

START_TEST(test_nesting_too_deep)
{
	size_t n = 100000;
	unsigned char *deep = xalloc(n);

	/* Five arrays, one inside the other. */
	REJECT(NULL, 0x91, 0x91, 0x91, 0x91, 0x91, 0xc0);
	REJECT(NULL, 0x92, WIRE_LOG, 0x91, 0x91, 0x91, 0x91, 0xa0);
	/* Maps nest as well, through their values. */
	REJECT(NULL, 0x92, WIRE_LOG, 0x81, 0xc0, 0x81, 0xc0, 0x81, 0xc0, 0x81,
	    0xc0, 0xc0);
	/* Inside a field a decoder would otherwise read. */
	REJECT(NULL, 0x94, WIRE_READY, 0x01, 0x91, 0x93, 0x91, 0x91, 0x91,
	    0xa0, 0xa0, 0xa0, 0x90);
	/* Deep enough to overflow any recursive parser. */
	memset(deep, 0x91, n);
	reject_at(__LINE__, NULL, deep, n);
	memset(deep, 0xdc, n);
	reject_at(__LINE__, NULL, deep, n);
	for (size_t i = 0; i + 1 < n; i += 2) {
		deep[i] = 0x81;
		deep[i + 1] = 0xc0;
	}
	reject_at(__LINE__, NULL, deep, n);
	free(deep);
}
END_TEST

/*
 * Every one of these would fail later for its shape anyway, so the error
 * must name the limit: that is what shows the values were never built.
 */
START_TEST(test_too_many_values)
{
	size_t count = WIRE_MAX_ELEMENTS + 10, n = 0;
	unsigned char *p = xalloc(count + 16);
	char limit[16];

	snprintf(limit, sizeof(limit), "%d", WIRE_MAX_ELEMENTS);

	/* [LOG, nil, nil, ...]: every value is one byte, all present. */
	p[n++] = 0xdc;
	p[n++] = (unsigned char)(count >> 8);
	p[n++] = (unsigned char)count;
	p[n++] = WIRE_LOG;
	memset(p + n, 0xc0, count - 1);
	n += count - 1;
	reject_at(__LINE__, limit, p, n);

	/* [LOG, [nil x count]]: the text field is a long array. */
	n = 0;
	p[n++] = 0x92;
	p[n++] = WIRE_LOG;
	p[n++] = 0xdc;
	p[n++] = (unsigned char)(count >> 8);
	p[n++] = (unsigned char)count;
	memset(p + n, 0xc0, count);
	n += count;
	reject_at(__LINE__, limit, p, n);

	/* A map of count pairs in a LOAD. */
	n = 0;
	p = realloc(p, 2 * count + 16);
	ck_assert_ptr_nonnull(p);
	p[n++] = 0x93;
	p[n++] = WIRE_LOAD;
	p[n++] = 0x01;
	p[n++] = 0xde;
	p[n++] = (unsigned char)(count >> 8);
	p[n++] = (unsigned char)count;
	memset(p + n, 0xc0, 2 * count);
	n += 2 * count;
	reject_at(__LINE__, limit, p, n);
	free(p);
}
END_TEST

START_TEST(test_trailing_bytes)
{
	REJECT(NULL, 0x92, WIRE_LOG, 0xa2, 'h', 'i', 0xc0);
	REJECT(NULL, 0x92, WIRE_LOG, 0xa2, 'h', 'i', 0x00);
	/* Two whole messages in one payload. */
	REJECT(NULL, 0x92, WIRE_LOG, 0xa1, 'a', 0x92, WIRE_LOG, 0xa1, 'b');
	REJECT(NULL, 0x92, WIRE_LOG, 0xa2, 'h', 'i', 0xc1);
}
END_TEST

START_TEST(test_invalid_tag)
{
	REJECT(NULL, 0xc1);
	REJECT(NULL, 0x92, WIRE_LOG, 0xc1);
	REJECT(NULL, 0x93, 0xc1, 0xa0, 0xa0);
	REJECT(NULL, 0x94, WIRE_READY, 0x01, 0x91, 0xc1, 0x90);
	REJECT(NULL, 0x92, WIRE_LOG, 0x81, 0xc1, 0xa0);
}
END_TEST

START_TEST(test_unknown_type)
{
	REJECT("type", 0x91, 0x00);
	REJECT("type", 0x92, 0x00, 0xa0);
	/* WIRE_PROBE (9) is the last type: 10 is the first unknown one. */
	REJECT("type", 0x92, 0x0a, 0xa0);
	REJECT("type", 0x91, 0x0a);
	REJECT("type", 0x92, 0x0b, 0xa0);
	REJECT("type", 0x92, 0xcc, 0x0a, 0xa0);
	REJECT("type", 0x92, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0xa0);
	REJECT("type", 0x92, 0x7f, 0xa0);
	REJECT("type", 0x92, 0xcc, 0xff, 0xa0);
	REJECT("type", 0x92, 0xcf, 0x80, 0, 0, 0, 0, 0, 0, WIRE_LOG, 0xa0);
	REJECT("type", 0x92, 0xff, 0xa0);			/* -1 */
	REJECT("type", 0x92, 0xd0, 0xf9, 0xa0);		/* -7 */
	REJECT("type", 0x92, 0xa3, 'L', 'O', 'G', 0xa0);
	REJECT("type", 0x92, 0xc0, 0xa0);
	REJECT("type", 0x92, 0xc3, 0xa0);
	REJECT("type", 0x92, 0xcb, 0x40, 0x1c, 0, 0, 0, 0, 0, 0, 0xa0);
	REJECT("type", 0x92, 0x91, WIRE_LOG, 0xa0);
	/* Not an array starting with a type. */
	REJECT(NULL, 0x90);
	REJECT(NULL, 0x80);
	REJECT(NULL, 0x07);
	REJECT(NULL, 0xa3, 'L', 'O', 'G');
	REJECT(NULL, 0x81, WIRE_LOG, 0xa0);
	REJECT(NULL, 0xc0);
}
END_TEST

/* The valid fields of each type, so that a test changes only one thing. */
static void
pack_load_settings(msgpack_packer *pk, const char *omit, const char *extra,
    const char *twice, const char *replace, void (*value)(msgpack_packer *));

static void
pack_field(msgpack_packer *pk, enum wire_type type, size_t field)
{
	switch (type) {
	case WIRE_HELLO:
		msgpack_pack_uint32(pk, field == 1 ? WIRE_PROTOCOL_VERSION :
		    1234);
		return;
	case WIRE_LOAD:
		if (field == 1)
			msgpack_pack_uint32(pk, WIRE_PROTOCOL_VERSION);
		else
			pack_load_settings(pk, NULL, NULL, NULL, NULL, NULL);
		return;
	case WIRE_READY:
		if (field == 1)
			msgpack_pack_uint32(pk, WIRE_PROTOCOL_VERSION);
		else
			msgpack_pack_array(pk, 0);
		return;
	case WIRE_REQUEST:
		if (field == 1)
			msgpack_pack_uint64(pk, 42);
		else
			pack_str(pk, "{}");
		return;
	case WIRE_REPLY:
		if (field == 1 || field == 4)
			msgpack_pack_uint64(pk, field == 1 ? 42 : 7);
		else
			pack_str(pk, field == 2 ? "Deployment" : "web");
		return;
	case WIRE_ERROR:
		if (field == 1 || field == 4)
			msgpack_pack_uint64(pk, field == 1 ? 42 : 7);
		else
			pack_str(pk, field == 2 ? "error" : "boom");
		return;
	case WIRE_LOG:
		pack_str(pk, "text");
		return;
	case WIRE_VIOLATION:
		if (field == 1)
			msgpack_pack_int64(pk, 59);
		else if (field == 2)
			msgpack_pack_uint32(pk, 0xc000003e);
		else
			msgpack_pack_uint64(pk, 0);
		return;
	case WIRE_PROBE:
		if (field == 3)
			msgpack_pack_uint32(pk, 13);
		else
			pack_str(pk, field == 1 ? "open-file" : field == 2 ?
			    "blocked" : "Permission denied");
		return;
	}
}

/* [type, fields...] with count values after the type: the valid ones,
 * then nils. */
static void
pack_message(struct pack *p, enum wire_type type, size_t count)
{
	msgpack_packer *pk = pack_begin(p);

	msgpack_pack_array(pk, count + 1);
	msgpack_pack_uint8(pk, (uint8_t)type);
	for (size_t f = 1; f <= count; f++) {
		if (f <= field_count[type])
			pack_field(pk, type, f);
		else
			msgpack_pack_nil(pk);
	}
}

START_TEST(test_wrong_field_count)
{
	const size_t *arity = field_count;

	ck_assert_uint_eq(sizeof(field_count) / sizeof(field_count[0]),
	    WIRE_PROBE + 1);
	for (enum wire_type t = WIRE_HELLO; t <= WIRE_PROBE; t++) {
		struct wire_message m;
		struct pack p;

		/* The right count is accepted: the others fail for their
		 * count alone. */
		pack_message(&p, t, arity[t]);
		PACK_ACCEPT(&p, &m);
		ck_assert_int_eq(m.type, t);
		msgpack_sbuffer_destroy(&p.sbuf);
		for (size_t count = 0; count <= arity[t] + 2; count++) {
			if (count == arity[t])
				continue;
			pack_message(&p, t, count);
			PACK_REJECT(&p, NULL);
		}
	}
}
END_TEST

/* Replaces field `field` of a valid message of type t with value(). */
static void
pack_with_field(struct pack *p, enum wire_type t, size_t field,
    void (*value)(msgpack_packer *))
{
	msgpack_packer *pk = pack_begin(p);

	msgpack_pack_array(pk, field_count[t] + 1);
	msgpack_pack_uint8(pk, (uint8_t)t);
	for (size_t f = 1; f <= field_count[t]; f++)
		if (f == field)
			value(pk);
		else
			pack_field(pk, t, f);
}

static void
v_nil(msgpack_packer *pk)
{
	msgpack_pack_nil(pk);
}

static void
v_true(msgpack_packer *pk)
{
	msgpack_pack_true(pk);
}

static void
v_str(msgpack_packer *pk)
{
	pack_str(pk, "7");
}

static void
v_neg(msgpack_packer *pk)
{
	msgpack_pack_int64(pk, -1);
}

static void
v_double(msgpack_packer *pk)
{
	msgpack_pack_double(pk, 1.0);
}

static void
v_array(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 0);
}

static void
v_map(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 0);
}

static void
v_uint(msgpack_packer *pk)
{
	msgpack_pack_uint32(pk, 7);
}

static void
v_ext(msgpack_packer *pk)
{
	msgpack_pack_ext_with_body(pk, "abcd", 4, 1);
}

static void
v_u33(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, (uint64_t)UINT32_MAX + 1);
}

static void
v_big_positive(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, (uint64_t)INT32_MAX + 1);
}

static void
v_below_int32(msgpack_packer *pk)
{
	msgpack_pack_int64(pk, (int64_t)INT32_MIN - 1);
}

static void
v_int64_min(msgpack_packer *pk)
{
	msgpack_pack_int64(pk, INT64_MIN);
}

static void
v_bin(msgpack_packer *pk)
{
	msgpack_pack_bin_with_body(pk, "7", 1);
}

START_TEST(test_wrong_field_types)
{
	static const struct {
		enum wire_type type;
		size_t field;
		void (*value)(msgpack_packer *);
		const char *name;	/* the field the error must name */
	} cases[] = {
		{ WIRE_HELLO, 1, v_str, "version" },
		{ WIRE_HELLO, 1, v_neg, "version" },
		{ WIRE_HELLO, 1, v_u33, "version" },
		{ WIRE_HELLO, 2, v_str, "pid" },
		{ WIRE_HELLO, 2, v_neg, "pid" },
		{ WIRE_HELLO, 2, v_u33, "pid" },
		{ WIRE_HELLO, 2, v_double, "pid" },
		{ WIRE_HELLO, 2, v_nil, "pid" },
		{ WIRE_LOAD, 1, v_str, "version" },
		{ WIRE_LOAD, 2, v_array, NULL },
		{ WIRE_LOAD, 2, v_str, NULL },
		{ WIRE_LOAD, 2, v_nil, NULL },
		{ WIRE_READY, 1, v_true, "version" },
		{ WIRE_READY, 2, v_map, "layers" },
		{ WIRE_READY, 2, v_str, "layers" },
		{ WIRE_READY, 3, v_map, "touched" },
		{ WIRE_READY, 3, v_uint, "touched" },
		{ WIRE_REQUEST, 1, v_str, "id" },
		{ WIRE_REQUEST, 1, v_neg, "id" },
		{ WIRE_REQUEST, 1, v_double, "id" },
		{ WIRE_REQUEST, 2, v_uint, "metadata" },
		{ WIRE_REQUEST, 2, v_nil, "metadata" },
		{ WIRE_REQUEST, 2, v_map, "metadata" },
		{ WIRE_REQUEST, 2, v_ext, "metadata" },
		{ WIRE_REPLY, 1, v_nil, "id" },
		{ WIRE_REPLY, 2, v_nil, "workload type" },
		{ WIRE_REPLY, 2, v_array, "workload type" },
		{ WIRE_REPLY, 3, v_uint, "workload name" },
		{ WIRE_REPLY, 3, v_true, "workload name" },
		{ WIRE_REPLY, 4, v_nil, "micros" },
		{ WIRE_REPLY, 4, v_str, "micros" },
		{ WIRE_REPLY, 4, v_bin, "micros" },
		{ WIRE_REPLY, 4, v_neg, "micros" },
		{ WIRE_REPLY, 4, v_int64_min, "micros" },
		{ WIRE_REPLY, 4, v_double, "micros" },
		{ WIRE_REPLY, 4, v_true, "micros" },
		{ WIRE_REPLY, 4, v_array, "micros" },
		{ WIRE_ERROR, 1, v_neg, "id" },
		{ WIRE_ERROR, 2, v_array, "kind" },
		{ WIRE_ERROR, 2, v_uint, "kind" },
		{ WIRE_ERROR, 3, v_map, "message" },
		{ WIRE_ERROR, 4, v_nil, "micros" },
		{ WIRE_ERROR, 4, v_str, "micros" },
		{ WIRE_ERROR, 4, v_neg, "micros" },
		{ WIRE_ERROR, 4, v_double, "micros" },
		{ WIRE_ERROR, 4, v_map, "micros" },
		{ WIRE_ERROR, 4, v_ext, "micros" },
		{ WIRE_LOG, 1, v_map, "text" },
		{ WIRE_LOG, 1, v_uint, "text" },
		{ WIRE_LOG, 1, v_nil, "text" },
		{ WIRE_VIOLATION, 1, v_str, "syscall" },
		{ WIRE_VIOLATION, 1, v_double, "syscall" },
		{ WIRE_VIOLATION, 1, v_big_positive, "syscall" },
		{ WIRE_VIOLATION, 1, v_below_int32, "syscall" },
		{ WIRE_VIOLATION, 1, v_int64_min, "syscall" },
		{ WIRE_VIOLATION, 1, v_nil, "syscall" },
		{ WIRE_VIOLATION, 2, v_neg, "arch" },
		{ WIRE_VIOLATION, 2, v_u33, "arch" },
		{ WIRE_VIOLATION, 3, v_str, "id" },
		{ WIRE_VIOLATION, 3, v_neg, "id" },
		{ WIRE_PROBE, 1, v_uint, "probe" },
		{ WIRE_PROBE, 1, v_nil, "probe" },
		{ WIRE_PROBE, 1, v_array, "probe" },
		{ WIRE_PROBE, 2, v_uint, "verdict" },
		{ WIRE_PROBE, 2, v_true, "verdict" },
		{ WIRE_PROBE, 2, v_map, "verdict" },
		{ WIRE_PROBE, 3, v_str, "errno" },
		{ WIRE_PROBE, 3, v_neg, "errno" },
		{ WIRE_PROBE, 3, v_u33, "errno" },
		{ WIRE_PROBE, 3, v_double, "errno" },
		{ WIRE_PROBE, 3, v_nil, "errno" },
		{ WIRE_PROBE, 4, v_uint, "detail" },
		{ WIRE_PROBE, 4, v_nil, "detail" },
		{ WIRE_PROBE, 4, v_ext, "detail" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pack p;

		pack_with_field(&p, cases[i].type, cases[i].field,
		    cases[i].value);
		pack_reject_at((int)i, &p, cases[i].name);
	}
}
END_TEST

/* READY's inner structure: each layer is [name, state, detail]. */
START_TEST(test_ready_layer_shapes)
{
	REJECT("layer", 0x94, WIRE_READY, 0x01, 0x91, 0x92, 0xa1, 'a', 0xa1,
	    'b', 0x90);
	REJECT("layer", 0x94, WIRE_READY, 0x01, 0x91, 0x94, 0xa1, 'a', 0xa1,
	    'b', 0xa0, 0xa0, 0x90);
	REJECT("layer", 0x94, WIRE_READY, 0x01, 0x91, 0xa1, 'a', 0x90);
	REJECT("layer", 0x94, WIRE_READY, 0x01, 0x91, 0x93, 0x01, 0xa1, 'b',
	    0xa0, 0x90);
	REJECT("layer", 0x94, WIRE_READY, 0x01, 0x91, 0x93, 0xa1, 'a', 0xc0,
	    0xa0, 0x90);
	REJECT("layer", 0x94, WIRE_READY, 0x01, 0x91, 0x93, 0xa1, 'a', 0xa1,
	    'b', 0x90, 0x90);
	REJECT("touched", 0x94, WIRE_READY, 0x01, 0x90, 0x92, 0xa1, 'f',
	    0x05);
}
END_TEST

START_TEST(test_bad_protocol_version)
{
	static const uint32_t versions[] = { 0, WIRE_PROTOCOL_VERSION + 1,
	    UINT32_MAX };

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		for (enum wire_type t = WIRE_HELLO; t <= WIRE_READY; t++) {
			msgpack_packer *pk;
			struct pack p;

			pk = pack_begin(&p);
			msgpack_pack_array(pk, t == WIRE_READY ? 4 : 3);
			msgpack_pack_uint8(pk, (uint8_t)t);
			msgpack_pack_uint32(pk, versions[i]);
			for (size_t f = 2; f <= (t == WIRE_READY ? 3u : 2u);
			    f++)
				pack_field(pk, t, f);
			PACK_REJECT(&p, "version");
		}
	}
}
END_TEST

/* --- per-field limits, at the boundary ----------------------------------- */

START_TEST(test_field_limits)
{
	char *big = filled(WIRE_MAX_METADATA + 1, 'a');
	char *name_ok = filled(WIRE_MAX_NAME, 'k');
	char *name_long = filled(WIRE_MAX_NAME + 1, 'k');
	struct wire_layer layer;
	struct wire_string s;

	/* REPLY: type and name, WIRE_MAX_RESULT each. */
	CHECK_DECODE(0, wire_put_reply(&out_, 1, big, WIRE_MAX_RESULT, big,
	    WIRE_MAX_RESULT, 0));
	CHECK_DECODE(-1, wire_put_reply(&out_, 1, big, WIRE_MAX_RESULT + 1,
	    "n", 1, 0));
	CHECK_DECODE(-1, wire_put_reply(&out_, 1, "t", 1, big,
	    WIRE_MAX_RESULT + 1, 0));
	/* ERROR: kind WIRE_MAX_NAME, message WIRE_MAX_TEXT. */
	CHECK_DECODE(0, wire_put_error(&out_, 1, name_ok, big, WIRE_MAX_TEXT,
	    UINT64_MAX));
	CHECK_DECODE(-1, wire_put_error(&out_, 1, name_long, "m", 1, 0));
	CHECK_DECODE(-1, wire_put_error(&out_, 1, "error", big,
	    WIRE_MAX_TEXT + 1, 0));
	/* LOG: WIRE_MAX_TEXT. */
	CHECK_DECODE(0, wire_put_log(&out_, big, WIRE_MAX_TEXT));
	CHECK_DECODE(-1, wire_put_log(&out_, big, WIRE_MAX_TEXT + 1));
	/* REQUEST: WIRE_MAX_METADATA. */
	CHECK_DECODE(0, wire_put_request(&out_, 1, big, WIRE_MAX_METADATA));
	CHECK_DECODE(-1, wire_put_request(&out_, 1, big,
	    WIRE_MAX_METADATA + 1));
	/* READY: names and states WIRE_MAX_NAME, details WIRE_MAX_TEXT,
	 * touched names WIRE_MAX_NAME. */
	layer = (struct wire_layer){ { big, WIRE_MAX_NAME },
	    { big, WIRE_MAX_NAME }, { big, WIRE_MAX_TEXT } };
	s = (struct wire_string){ big, WIRE_MAX_NAME };
	CHECK_DECODE(0, wire_put_ready(&out_, &layer, 1, &s, 1));
	layer.name.length++;
	CHECK_DECODE(-1, wire_put_ready(&out_, &layer, 1, NULL, 0));
	layer.name.length--;
	layer.state.length++;
	CHECK_DECODE(-1, wire_put_ready(&out_, &layer, 1, NULL, 0));
	layer.state.length--;
	layer.detail.length++;
	CHECK_DECODE(-1, wire_put_ready(&out_, &layer, 1, NULL, 0));
	s.length++;
	CHECK_DECODE(-1, wire_put_ready(&out_, NULL, 0, &s, 1));
	free(big);
	free(name_ok);
	free(name_long);
}
END_TEST

/* PROBE: name WIRE_MAX_NAME, verdict "blocked" or "allowed", detail
 * WIRE_MAX_TEXT. */
START_TEST(test_probe_limits)
{
	char *name_ok = filled(WIRE_MAX_NAME, 'n');
	char *name_long = filled(WIRE_MAX_NAME + 1, 'n');
	char *text_ok = filled(WIRE_MAX_TEXT, 'd');
	char *text_long = filled(WIRE_MAX_TEXT + 1, 'd');
	struct buffer out = { 0 };
	struct wire_message m;

	ck_assert_int_eq(wire_put_probe(&out, name_ok, "allowed", UINT32_MAX,
	    text_ok), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_PROBE);
	assert_string(m.u.probe.name, name_ok);
	assert_string(m.u.probe.verdict, "allowed");
	ck_assert_uint_eq(m.u.probe.error_number, UINT32_MAX);
	assert_string(m.u.probe.detail, text_ok);
	buffer_free(&out);

	CHECK_DECODE(-1, wire_put_probe(&out_, name_long, "blocked", 0, ""));
	ck_assert_ptr_nonnull(strstr(error, "probe"));
	CHECK_DECODE(-1, wire_put_probe(&out_, "fork", name_long, 0, ""));
	ck_assert_ptr_nonnull(strstr(error, "verdict"));
	/* Only the two verdicts exist: anything else is refused. */
	CHECK_DECODE(-1, wire_put_probe(&out_, "fork", "ALLOWED", 0, ""));
	ck_assert_ptr_nonnull(strstr(error, "verdict"));
	CHECK_DECODE(-1, wire_put_probe(&out_, "fork", "", 0, ""));
	ck_assert_ptr_nonnull(strstr(error, "verdict"));
	CHECK_DECODE(-1, wire_put_probe(&out_, "fork", "allowed", 0,
	    text_long));
	ck_assert_ptr_nonnull(strstr(error, "detail"));
	/* The detail may be as long as a name is not. */
	CHECK_DECODE(0, wire_put_probe(&out_, "fork", "allowed", 0,
	    name_long));
	free(name_ok);
	free(name_long);
	free(text_ok);
	free(text_long);
}
END_TEST

START_TEST(test_ready_list_limits)
{
	struct wire_layer layers[WIRE_MAX_LAYERS + 1];
	struct wire_string touched[WIRE_MAX_TOUCHED + 1];

	for (size_t i = 0; i <= WIRE_MAX_LAYERS; i++)
		layers[i] = (struct wire_layer){ { "l", 1 }, { "applied", 7 },
		    { "", 0 } };
	for (size_t i = 0; i <= WIRE_MAX_TOUCHED; i++)
		touched[i] = (struct wire_string){ "f", 1 };
	CHECK_DECODE(0, wire_put_ready(&out_, layers, WIRE_MAX_LAYERS,
	    touched, WIRE_MAX_TOUCHED));
	CHECK_DECODE(-1, wire_put_ready(&out_, layers, WIRE_MAX_LAYERS + 1,
	    NULL, 0));
	CHECK_DECODE(-1, wire_put_ready(&out_, NULL, 0, touched,
	    WIRE_MAX_TOUCHED + 1));
}
END_TEST

START_TEST(test_load_field_limits)
{
	char *big = filled(WIRE_MAX_SOURCE + 1, 's');
	char *filter = filled(WIRE_MAX_FILTER + 8, 0);
	struct wire_load load;

	fill_load(&load);
	load.plugin = (struct wire_string){ big, WIRE_MAX_NAME };
	load.source = (struct wire_string){ big, WIRE_MAX_SOURCE };
	load.modules[0].name = (struct wire_string){ big, WIRE_MAX_NAME };
	load.modules[0].source = (struct wire_string){ big, WIRE_MAX_SOURCE };
	load.seccomp_filter = (struct wire_string){ filter, WIRE_MAX_FILTER };
	load.probe = (struct wire_string){ big, WIRE_MAX_NAME };
	CHECK_DECODE(0, wire_put_load(&out_, &load));

	load.plugin.length++;
	CHECK_DECODE(-1, wire_put_load(&out_, &load));
	load.plugin.length--;
	load.source.length++;
	CHECK_DECODE(-1, wire_put_load(&out_, &load));
	load.source.length--;
	load.modules[0].name.length++;
	CHECK_DECODE(-1, wire_put_load(&out_, &load));
	load.modules[0].name.length--;
	load.modules[0].source.length++;
	CHECK_DECODE(-1, wire_put_load(&out_, &load));
	load.modules[0].source.length--;
	load.seccomp_filter.length += 8;
	CHECK_DECODE(-1, wire_put_load(&out_, &load));
	load.seccomp_filter.length -= 8;
	load.probe.length++;
	CHECK_DECODE(-1, wire_put_load(&out_, &load));
	ck_assert_ptr_nonnull(strstr(error, "probe"));
	load.probe.length--;
	/* Back at every limit: accepted again, so each -1 above was for
	 * its one field. */
	CHECK_DECODE(0, wire_put_load(&out_, &load));
	free(big);
	free(filter);
}
END_TEST

/* A BPF program is whole 8-byte instructions, and at least one. */
START_TEST(test_seccomp_filter_length)
{
	static const size_t lengths[] = { 0, 1, 7, 9, 15, 17, 4095 };
	char filter[4096] = { 0 };
	struct wire_load load;

	fill_load(&load);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		load.seccomp_filter = (struct wire_string){ filter,
		    lengths[i] };
		CHECK_DECODE(-1, wire_put_load(&out_, &load));
	}
	load.seccomp_filter = (struct wire_string){ filter, 8 };
	CHECK_DECODE(0, wire_put_load(&out_, &load));
	load.seccomp_filter = (struct wire_string){ filter, 4096 };
	CHECK_DECODE(0, wire_put_load(&out_, &load));
}
END_TEST

/* --- LOAD settings ------------------------------------------------------- */

static const char *const load_keys[] = { "plugin", "source", "modules",
    "call_timeout_ms", "load_timeout_ms", "memory_bytes",
    "log_lines_per_second", "log_burst", "landlock", "seccomp_filter",
    "probe" };
#define LOAD_KEYS	(sizeof(load_keys) / sizeof(load_keys[0]))

static void
v_empty_str(msgpack_packer *pk)
{
	pack_str(pk, "");
}

static void
v_probe_longest(msgpack_packer *pk)
{
	char *name = filled(WIRE_MAX_NAME, 'q');

	pack_str(pk, name);
	free(name);
}

static void
v_probe_too_long(msgpack_packer *pk)
{
	char *name = filled(WIRE_MAX_NAME + 1, 'q');

	pack_str(pk, name);
	free(name);
}

static void
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
	else
		msgpack_pack_uint32(pk, 100);
}

/*
 * The settings map: every key with a valid value, except that omit is
 * left out, extra is added (with a nil), twice comes a second time, and
 * replace gets value() instead.
 */
static void
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
		/* Last, so the duplicate is not simply the first key. */
		if (i == LOAD_KEYS - 1) {
			if (extra != NULL) {
				pack_str(pk, extra);
				msgpack_pack_nil(pk);
			}
			if (twice != NULL) {
				pack_str(pk, twice);
				pack_load_value(pk, twice);
			}
		}
	}
}

static void
pack_load(struct pack *p, const char *omit, const char *extra,
    const char *twice, const char *replace, void (*value)(msgpack_packer *))
{
	msgpack_packer *pk = pack_begin(p);

	msgpack_pack_array(pk, 3);
	msgpack_pack_uint8(pk, WIRE_LOAD);
	msgpack_pack_uint32(pk, WIRE_PROTOCOL_VERSION);
	pack_load_settings(pk, omit, extra, twice, replace, value);
}

START_TEST(test_load_settings_by_hand)
{
	struct wire_message m;
	struct pack p;

	/* The control: every key once, in this order, decodes. */
	pack_load(&p, NULL, NULL, NULL, NULL, NULL);
	PACK_ACCEPT(&p, &m);
	ck_assert_int_eq(m.type, WIRE_LOAD);
	assert_string(m.u.load.settings.plugin, "p");
	ck_assert_uint_eq(m.u.load.settings.module_count, 1);
	assert_string(m.u.load.settings.modules[0].name, "dkjson");
	assert_string(m.u.load.settings.modules[0].source, "return {}");
	ck_assert_uint_eq(m.u.load.settings.memory_bytes, 1u << 26);
	ck_assert_uint_eq(m.u.load.settings.call_timeout_ms, 100);
	ck_assert_uint_eq(m.u.load.settings.log_burst, 100);
	ck_assert_int_eq(m.u.load.settings.landlock, WIRE_MODE_REQUIRE);
	ck_assert_uint_eq(m.u.load.settings.seccomp_filter.length, 16);
	assert_string(m.u.load.settings.probe, "execute");
	msgpack_sbuffer_destroy(&p.sbuf);

	/* "" for a normal plugin. */
	pack_load(&p, NULL, NULL, NULL, "probe", v_empty_str);
	PACK_ACCEPT(&p, &m);
	ck_assert_int_eq(m.type, WIRE_LOAD);
	assert_string(m.u.load.settings.plugin, "p");
	ck_assert_uint_eq(m.u.load.settings.probe.length, 0);
	msgpack_sbuffer_destroy(&p.sbuf);

	/* The longest name. */
	pack_load(&p, NULL, NULL, NULL, "probe", v_probe_longest);
	PACK_ACCEPT(&p, &m);
	ck_assert_uint_eq(m.u.load.settings.probe.length, WIRE_MAX_NAME);
	msgpack_sbuffer_destroy(&p.sbuf);
}
END_TEST

/* The settings map has exactly the eleven keys wire.h's struct wire_load
 * holds: the ten before "probe" alone are not enough. */
START_TEST(test_load_settings_key_count)
{
	msgpack_packer *pk;
	struct pack p;

	ck_assert_uint_eq(LOAD_KEYS, 11);
	pk = pack_begin(&p);
	msgpack_pack_array(pk, 3);
	msgpack_pack_uint8(pk, WIRE_LOAD);
	msgpack_pack_uint32(pk, WIRE_PROTOCOL_VERSION);
	msgpack_pack_map(pk, LOAD_KEYS - 1);
	for (size_t i = 0; i < LOAD_KEYS; i++) {
		if (strcmp(load_keys[i], "probe") == 0)
			continue;
		pack_str(pk, load_keys[i]);
		pack_load_value(pk, load_keys[i]);
	}
	PACK_REJECT(&p, "probe");
}
END_TEST

START_TEST(test_load_missing_keys)
{
	for (size_t i = 0; i < LOAD_KEYS; i++) {
		struct pack p;

		pack_load(&p, load_keys[i], NULL, NULL, NULL, NULL);
		pack_reject_at((int)i, &p, load_keys[i]);
	}
}
END_TEST

START_TEST(test_load_duplicate_keys)
{
	for (size_t i = 0; i < LOAD_KEYS; i++) {
		struct pack p;

		pack_load(&p, NULL, NULL, load_keys[i], NULL, NULL);
		pack_reject_at((int)i, &p, load_keys[i]);
	}
}
END_TEST

START_TEST(test_load_unknown_keys)
{
	static const char *const unknown[] = { "colour", "", "Plugin",
	    "plugin ", "seccomp_filter_", "call_timeout" };
	struct pack p;

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		pack_load(&p, NULL, unknown[i], NULL, NULL, NULL);
		pack_reject_at((int)i, &p, NULL);
	}
	/* An unknown key in place of a known one. */
	pack_load(&p, "landlock", "sandbox", NULL, NULL, NULL);
	PACK_REJECT(&p, "sandbox");
}
END_TEST

static void
v_mode3(msgpack_packer *pk)
{
	msgpack_pack_uint8(pk, 3);
}

static void
v_filter7(msgpack_packer *pk)
{
	msgpack_pack_bin_with_body(pk, "1234567", 7);
}

static void
v_filter_str(msgpack_packer *pk)
{
	msgpack_pack_str_with_body(pk, "12345678", 8);
}

static void
v_nine_modules(msgpack_packer *pk)
{
	msgpack_pack_map(pk, WIRE_MAX_MODULES + 1);
	for (int i = 0; i <= WIRE_MAX_MODULES; i++) {
		char name[8];

		snprintf(name, sizeof(name), "m%d", i);
		pack_str(pk, name);
		pack_str(pk, "return 1");
	}
}

static void
v_module_source_int(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	pack_str(pk, "dkjson");
	msgpack_pack_uint8(pk, 1);
}

static void
v_module_name_int(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_uint8(pk, 1);
	pack_str(pk, "return 1");
}

static void
v_modules_array(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	pack_str(pk, "dkjson");
}

START_TEST(test_load_wrong_values)
{
	static const struct {
		const char *key;
		void (*value)(msgpack_packer *);
	} cases[] = {
		{ "probe", v_uint }, { "probe", v_nil }, { "probe", v_array },
		{ "probe", v_map }, { "probe", v_true },
		{ "probe", v_probe_too_long },
		{ "plugin", v_uint }, { "plugin", v_nil },
		{ "source", v_array }, { "source", v_uint },
		{ "modules", v_str }, { "modules", v_modules_array },
		{ "modules", v_nine_modules },
		{ "modules", v_module_source_int },
		{ "modules", v_module_name_int },
		{ "call_timeout_ms", v_str }, { "call_timeout_ms", v_neg },
		{ "call_timeout_ms", v_u33 }, { "load_timeout_ms", v_u33 },
		{ "load_timeout_ms", v_double },
		{ "memory_bytes", v_neg }, { "memory_bytes", v_str },
		{ "log_lines_per_second", v_u33 }, { "log_burst", v_u33 },
		{ "log_burst", v_nil },
		{ "landlock", v_mode3 }, { "landlock", v_neg },
		{ "landlock", v_str },
		{ "seccomp_filter", v_filter7 }, { "seccomp_filter", v_uint },
		{ "seccomp_filter", v_nil },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pack p;

		/* Every refusal names the key ("module" for what is in
		 * "modules"). */
		pack_load(&p, NULL, NULL, NULL, cases[i].key, cases[i].value);
		pack_reject_at((int)i, &p, strcmp(cases[i].key, "modules") ==
		    0 ? "module" : cases[i].key);
	}
	/* A str where a bin is expected is still bytes: accepted. */
	{
		struct wire_message m;
		struct pack p;

		pack_load(&p, NULL, NULL, NULL, "seccomp_filter",
		    v_filter_str);
		PACK_ACCEPT(&p, &m);
		assert_string(m.u.load.settings.seccomp_filter, "12345678");
		msgpack_sbuffer_destroy(&p.sbuf);
	}
}
END_TEST

START_TEST(test_load_key_not_a_string)
{
	msgpack_packer *pk;
	struct pack p;

	/* 7: nil, then every valid pair. */
	pk = pack_begin(&p);
	msgpack_pack_array(pk, 3);
	msgpack_pack_uint8(pk, WIRE_LOAD);
	msgpack_pack_uint32(pk, WIRE_PROTOCOL_VERSION);
	msgpack_pack_map(pk, LOAD_KEYS + 1);
	msgpack_pack_uint8(pk, 7);
	msgpack_pack_nil(pk);
	for (size_t i = 0; i < LOAD_KEYS; i++) {
		pack_str(pk, load_keys[i]);
		pack_load_value(pk, load_keys[i]);
	}
	PACK_REJECT(&p, "key");

	/* A key longer than any name. */
	{
		char *long_key = filled(WIRE_MAX_NAME + 1, 'k');

		pack_load(&p, NULL, long_key, NULL, NULL, NULL);
		PACK_REJECT(&p, NULL);
		free(long_key);
	}
}
END_TEST

/* --- robustness ---------------------------------------------------------- */

static uint64_t
next_random(uint64_t *state)
{
	/* xorshift64*: the same sequence on every run. */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ull;
}

/*
 * Random damage to valid payloads: every result is a message or a
 * rejection with a message, never a crash or a read out of bounds.
 */
START_TEST(test_mutated_payloads)
{
	struct buffer out = { 0 };
	struct wire_layer layer = { { "landlock", 8 }, { "applied", 7 },
	    { "abi", 3 } };
	struct wire_string touched = { "io.open", 7 };
	struct wire_load load;
	uint64_t state = 0x9e3779b97f4a7c15ull;
	const char *payload;
	size_t length;

	fill_load(&load);
	ck_assert_int_eq(wire_put_hello(&out, 300000), 0);
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	ck_assert_int_eq(wire_put_ready(&out, &layer, 1, &touched, 1), 0);
	ck_assert_int_eq(wire_put_request(&out, 9, "{\"a\":[1,2]}", 11), 0);
	ck_assert_int_eq(wire_put_reply(&out, 9, "CloneSet", 8, "c", 1,
	    1u << 20), 0);
	ck_assert_int_eq(wire_put_error(&out, 9, "sandbox", "x", 1, 5), 0);
	ck_assert_int_eq(wire_put_log(&out, "log", 3), 0);
	ck_assert_int_eq(wire_put_violation(&out, 2, 0xc000003e, 9), 0);
	ck_assert_int_eq(wire_put_probe(&out, "map-executable", "blocked", 13,
	    "Permission denied"), 0);
	while (wire_frame(&out, &payload, &length, error, sizeof(error)) ==
	    1) {
		unsigned char *copy = xalloc(length + 8);

		for (int round = 0; round < 1500; round++) {
			size_t n = length;
			int flips = 1 + (int)(next_random(&state) % 4);

			memcpy(copy, payload, length);
			for (int f = 0; f < flips; f++) {
				uint64_t r = next_random(&state);

				copy[r % n] = (unsigned char)(r >> 32);
			}
			if (round % 5 == 0)
				n = (size_t)(next_random(&state) % length);
			else if (round % 7 == 0) {
				copy[n++] = (unsigned char)next_random(&state);
			}
			if (decode_copy(copy, n) == -1)
				ck_assert_msg(error[0] != '\0',
				    "rejected without a message");
		}
		free(copy);
		buffer_consume(&out, WIRE_HEADER_SIZE + length);
	}
	buffer_free(&out);
}
END_TEST

START_TEST(test_names)
{
	static const char *const names[] = { "unknown", "HELLO", "LOAD",
	    "READY", "REQUEST", "REPLY", "ERROR", "LOG", "VIOLATION", "PROBE",
	    "unknown", "unknown" };

	for (uint64_t t = 0; t < sizeof(names) / sizeof(names[0]); t++)
		ck_assert_str_eq(wire_type_name(t), names[t]);
	ck_assert_str_eq(wire_type_name(WIRE_PROBE), "PROBE");
	ck_assert_str_eq(wire_type_name(10), "unknown");
	ck_assert_str_eq(wire_type_name(UINT64_MAX), "unknown");
	ck_assert_str_eq(wire_mode_name(WIRE_MODE_OFF), "off");
	ck_assert_str_eq(wire_mode_name(WIRE_MODE_AUTO), "auto");
	ck_assert_str_eq(wire_mode_name(WIRE_MODE_REQUIRE), "require");
	ck_assert(wire_string_is((struct wire_string){ "abc", 3 }, "abc"));
	ck_assert(!wire_string_is((struct wire_string){ "abc", 2 }, "abc"));
	ck_assert(!wire_string_is((struct wire_string){ "abcd", 4 }, "abc"));
	ck_assert(!wire_string_is((struct wire_string){ "ab\0", 3 }, "ab"));
	ck_assert(wire_string_is((struct wire_string){ "", 0 }, ""));
}
END_TEST

Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *round = tcase_create("round trips");
	TCase *framing = tcase_create("framing");
	TCase *hostile = tcase_create("hostile");

	tcase_add_checked_fixture(round, setup, teardown);
	tcase_add_test(round, test_hello_round_trip);
	tcase_add_test(round, test_load_round_trip);
	tcase_add_test(round, test_load_round_trip_most_modules);
	tcase_add_test(round, test_ready_round_trip);
	tcase_add_test(round, test_ready_round_trip_full_lists);
	tcase_add_test(round, test_request_round_trip);
	tcase_add_test(round, test_reply_round_trip);
	tcase_add_test(round, test_error_round_trip);
	tcase_add_test(round, test_log_round_trip);
	tcase_add_test(round, test_violation_round_trip);
	tcase_add_test(round, test_violation_syscall_range);
	tcase_add_test(round, test_micros_round_trip);
	tcase_add_test(round, test_probe_round_trip);
	tcase_add_test(round, test_encoded_layouts);
	tcase_add_test(round, test_documented_layouts);
	tcase_add_test(round, test_frames_in_sequence);
	tcase_add_test(round, test_names);
	suite_add_tcase(s, round);

	tcase_add_checked_fixture(framing, setup, teardown);
	tcase_set_timeout(framing, 30);
	tcase_add_test(framing, test_frame_split_at_every_byte);
	tcase_add_test(framing, test_truncated_frames);
	tcase_add_test(framing, test_frame_header_limits);
	tcase_add_test(framing, test_frame_of_maximum_size);
	tcase_add_test(framing, test_encoders_refuse_oversized_messages);
	suite_add_tcase(s, framing);

	tcase_add_checked_fixture(hostile, setup, teardown);
	tcase_set_timeout(hostile, 30);
	tcase_add_test(hostile, test_truncated_payloads);
	tcase_add_test(hostile, test_huge_counts);
	tcase_add_test(hostile, test_nesting_too_deep);
	tcase_add_test(hostile, test_too_many_values);
	tcase_add_test(hostile, test_trailing_bytes);
	tcase_add_test(hostile, test_invalid_tag);
	tcase_add_test(hostile, test_unknown_type);
	tcase_add_test(hostile, test_wrong_field_count);
	tcase_add_test(hostile, test_wrong_field_types);
	tcase_add_test(hostile, test_ready_layer_shapes);
	tcase_add_test(hostile, test_bad_protocol_version);
	tcase_add_test(hostile, test_field_limits);
	tcase_add_test(hostile, test_probe_limits);
	tcase_add_test(hostile, test_ready_list_limits);
	tcase_add_test(hostile, test_load_field_limits);
	tcase_add_test(hostile, test_seccomp_filter_length);
	tcase_add_test(hostile, test_load_settings_by_hand);
	tcase_add_test(hostile, test_load_settings_key_count);
	tcase_add_test(hostile, test_load_missing_keys);
	tcase_add_test(hostile, test_load_duplicate_keys);
	tcase_add_test(hostile, test_load_unknown_keys);
	tcase_add_test(hostile, test_load_wrong_values);
	tcase_add_test(hostile, test_load_key_not_a_string);
	tcase_add_test(hostile, test_mutated_payloads);
	suite_add_tcase(s, hostile);
	return s;
}
