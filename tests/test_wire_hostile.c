/*
 * The ipc codec (ipc/wire.h) against the payloads a hostile worker could
 * send: cut short, with counts no message could hold, nested too deep,
 * with trailing bytes, invalid tags, unknown types, the wrong number or
 * type of fields, a bad protocol version, and random damage.  Every one
 * is a rejection with a message that leaves the decoder usable.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "helpers.h"
#include "suites.h"
#include "wire_support.h"

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
	ck_assert_int_eq(wire_put_log(&out, "log", 3, 0), 0);
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
	free(p);
	p = xalloc(2 * count + 16);
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
	/* WIRE_SEALED (10) is the last type: 11 is the first unknown one. */
	REJECT("type", 0x92, 0x0b, 0xa0);
	REJECT("type", 0x91, 0x0b);
	REJECT("type", 0x92, 0x0c, 0xa0);
	REJECT("type", 0x92, 0xcc, 0x0b, 0xa0);
	REJECT("type", 0x92, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0xa0);
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
		if (field == 1)
			pack_str(pk, "text");
		else
			msgpack_pack_uint64(pk, 3);
		return;
	case WIRE_SEALED:
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
	    WIRE_TYPE_LAST + 1);
	for (enum wire_type t = WIRE_HELLO; t <= WIRE_TYPE_LAST; t++) {
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

/* --- robustness ---------------------------------------------------------- */

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
	size_t length, accepted = 0, rejected = 0;

	fill_load(&load);
	ck_assert_int_eq(wire_put_hello(&out, 300000), 0);
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	ck_assert_int_eq(wire_put_ready(&out, &layer, 1, &touched, 1), 0);
	ck_assert_int_eq(wire_put_request(&out, 9, "{\"a\":[1,2]}", 11), 0);
	ck_assert_int_eq(wire_put_reply(&out, 9, "CloneSet", 8, "c", 1,
	    1u << 20), 0);
	ck_assert_int_eq(wire_put_error(&out, 9, "sandbox", "x", 1, 5), 0);
	ck_assert_int_eq(wire_put_log(&out, "log", 3, 0), 0);
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
			if (decode_copy(copy, n) == -1) {
				REQUIRE(error[0] != '\0',
				    "rejected without a message");
				rejected++;
			} else
				accepted++;
		}
		free(copy);
		buffer_consume(&out, WIRE_HEADER_SIZE + length);
	}
	buffer_free(&out);
	/* Both outcomes happen: cut payloads must be refused, and a flipped
	 * byte inside a string or number still leaves a valid message. */
	ck_assert_uint_gt(rejected, 0);
	ck_assert_uint_gt(accepted, 0);
}
END_TEST

Suite *
wire_hostile_suite(void)
{
	Suite *s = suite_create("wire_hostile");
	TCase *hostile = tcase_create("hostile");

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
	tcase_add_test(hostile, test_mutated_payloads);
	suite_add_tcase(s, hostile);
	return s;
}
