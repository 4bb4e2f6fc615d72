/*
 * The ipc codec (ipc/wire.h) on the wire: the layouts the encoders write,
 * read back with msgpack-c alone, and payloads built by hand from wire.h's
 * table; then frames that arrive a byte at a time, cut short, at the
 * largest size, and messages the encoders refuse to frame.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "wire_support.h"
#include "suites.h"

/* --- layouts ------------------------------------------------------------- */

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
 * round trip.  The type numbers are the protocol's, not the enum's to
 * renumber.
 */
_Static_assert(WIRE_REPLY == 5, "REPLY is type 5 on the wire");
_Static_assert(WIRE_ERROR == 6, "ERROR is type 6 on the wire");
_Static_assert(WIRE_VIOLATION == 8, "VIOLATION is type 8 on the wire");
_Static_assert(WIRE_PROBE == 9, "PROBE is type 9 on the wire");

START_TEST(test_encoded_layouts)
{
	struct buffer out = { 0 };
	const msgpack_object *f;
	msgpack_unpacked u;
	struct wire_load load;

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

	/* LOAD: [2, version, settings] with twelve keys, "probe" a str. */
	fill_load(&load);
	load.probe = (struct wire_string){ "write-stdin", 11 };
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	f = message_fields(unpack_frame(&out, &u), WIRE_LOAD);
	assert_uint_object(&f[1], WIRE_PROTOCOL_VERSION);
	ck_assert_int_eq(f[2].type, MSGPACK_OBJECT_MAP);
	ck_assert_uint_eq(f[2].via.map.size, 12);
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
	REJECT("type", 0x95, 0x0b, 0xa4, 'f', 'o', 'r', 'k', 0xa7, 'a', 'l',
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
	ck_assert_int_eq(wire_put_log(&out, "l", 1, 0), 0);
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
	ck_assert_int_eq(wire_put_log(&whole, "second", 6, 0), 0);
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

/* The cases below are written for a 4 MiB limit. */
_Static_assert(WIRE_MAX_MESSAGE == 0x00400000, "WIRE_MAX_MESSAGE is 4 MiB");

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

/* A buffer that never held a byte still has a pointer to its (no) bytes:
 * NULL + 0 is undefined, and so is memcpy() from NULL (found by
 * fuzz_supervisor_messages, through wire_frame() on a fresh input). */
START_TEST(test_empty_buffer_bytes_are_not_null)
{
	struct buffer empty = { 0 };
	const char *payload = NULL;
	size_t length = 0;

	ck_assert_ptr_nonnull(buffer_bytes(&empty));
	ck_assert_uint_eq(buffer_length(&empty), 0);
	ck_assert_int_eq(wire_frame(&empty, &payload, &length, error,
	    sizeof(error)), 0);
	ck_assert_ptr_null(payload);
	ck_assert_int_eq(buffer_append(&empty, "x", 1), 0);
	buffer_consume(&empty, 1);
	ck_assert_ptr_nonnull(buffer_bytes(&empty));
	buffer_free(&empty);
	ck_assert_ptr_nonnull(buffer_bytes(&empty));
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
	ck_assert_int_eq(wire_put_log(&out, "kept", 4, 0), 0);
	buffer_consume(&out, first);
	before = buffer_length(&out);
	snapshot = xalloc(before);
	memcpy(snapshot, buffer_bytes(&out), before);

	ck_assert_int_eq(wire_put_request(&out, 1, big, WIRE_MAX_MESSAGE), -1);
	ck_assert_int_eq(wire_put_log(&out, big, WIRE_MAX_MESSAGE + 1, 0), -1);
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
	ck_assert_int_eq(wire_put_log(&out, "next", 4, 0), 0);
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

Suite *
wire_framing_suite(void)
{
	Suite *s = suite_create("wire_framing");
	TCase *layouts = tcase_create("layouts");
	TCase *framing = tcase_create("framing");

	tcase_add_checked_fixture(layouts, setup, teardown);
	tcase_add_test(layouts, test_encoded_layouts);
	tcase_add_test(layouts, test_documented_layouts);
	tcase_add_test(layouts, test_frames_in_sequence);
	suite_add_tcase(s, layouts);

	tcase_add_checked_fixture(framing, setup, teardown);
	tcase_set_timeout(framing, 30);
	tcase_add_test(framing, test_frame_split_at_every_byte);
	tcase_add_test(framing, test_truncated_frames);
	tcase_add_test(framing, test_frame_header_limits);
	tcase_add_test(framing, test_frame_of_maximum_size);
	tcase_add_test(framing, test_encoders_refuse_oversized_messages);
	tcase_add_test(framing, test_empty_buffer_bytes_are_not_null);
	suite_add_tcase(s, framing);
	return s;
}
