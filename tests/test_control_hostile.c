/*
 * The control codec (ipc/control.h) against what a hostile peer could
 * send, on either side of the socket: payloads cut short, counts no
 * message could hold, nesting too deep, trailing bytes, invalid tags,
 * unknown types, messages of the other direction, the wrong number or
 * type of fields (every field of every message), NUL bytes in names, and
 * random damage.  Every one is a rejection with a message that names what
 * is wrong and leaves the decoder usable.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "control_support.h"
#include "helpers.h"
#include "suites.h"

/* --- structure ------------------------------------------------------------ */

/* Every proper prefix of every valid payload is incomplete. */
START_TEST(test_truncated_payloads)
{
	struct buffer out = { 0 };
	struct control_message m;
	const char *payload;
	size_t length;

	encode_every_message(&out);
	while (control_frame(&out, &payload, &length, error,
	    sizeof(error)) == 1) {
		enum control_direction direction =
		    (unsigned char)payload[1] < CONTROL_HELLO_REPLY ?
		    CONTROL_TO_DAEMON : CONTROL_TO_CLIENT;

		ck_assert_int_eq(decode_as(direction, payload, length, &m), 0);
		for (size_t n = 0; n < length; n++)
			reject_at(__LINE__, direction, NULL, payload, n);
		buffer_consume(&out, WIRE_HEADER_SIZE + length);
	}
	ck_assert_uint_eq(buffer_length(&out), 0);
	buffer_free(&out);
}
END_TEST

START_TEST(test_counts_beyond_the_payload)
{
	/* An array announcing 4 billion values. */
	REJECT(CONTROL_TO_DAEMON, "overruns", 0xdd, 0xff, 0xff, 0xff, 0xff,
	    0x22);
	/* A list of 65535 entries in a few bytes. */
	REJECT(CONTROL_TO_CLIENT, "overruns", 0x92, 0x43, 0xdc, 0xff, 0xff,
	    0xc0);
	/* A source announcing more bytes than follow. */
	REJECT(CONTROL_TO_DAEMON, "overruns", 0x96, 0x21, 0xa1, 'a', 0xc6,
	    0x00, 0x10, 0x00, 0x00, 'x');
	/* A map announcing 2^32-1 pairs. */
	REJECT(CONTROL_TO_CLIENT, "overruns", 0x92, 0x43, 0xdf, 0xff, 0xff,
	    0xff, 0xff);
}
END_TEST

START_TEST(test_nesting_too_deep)
{
	struct pack p;
	msgpack_packer *pk = pack_begin(&p);

	/* An array inside an entry's error map: a fifth level. */
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, CONTROL_PLUGIN_LIST_REPLY);
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, CONTROL_ENTRY_FIELDS);
	pack_str(pk, "web");
	msgpack_pack_uint8(pk, 1);
	msgpack_pack_uint8(pk, 10);
	pack_str(pk, sha_a);
	msgpack_pack_uint8(pk, 0);
	pack_str(pk, "ready");
	msgpack_pack_uint8(pk, 0);
	msgpack_pack_map(pk, 1);
	pack_str(pk, "timeout");
	msgpack_pack_array(pk, 1);
	msgpack_pack_uint8(pk, 1);
	PACK_REJECT(CONTROL_TO_CLIENT, &p, "nested deeper than 4");
	/* Nesting far deeper than any stack. */
	{
		unsigned char deep[100000];

		memset(deep, 0x91, sizeof(deep));
		deep[sizeof(deep) - 1] = 0xc0;
		reject_at(__LINE__, CONTROL_TO_DAEMON, "nested deeper", deep,
		    sizeof(deep));
	}
}
END_TEST

START_TEST(test_too_many_values)
{
	struct pack p;
	msgpack_packer *pk = pack_begin(&p);

	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, CONTROL_PLUGIN_LIST_REPLY);
	msgpack_pack_array(pk, CONTROL_MAX_ELEMENTS);
	for (size_t i = 0; i < CONTROL_MAX_ELEMENTS; i++)
		msgpack_pack_nil(pk);
	PACK_REJECT(CONTROL_TO_CLIENT, &p, "more than 10499 values");
}
END_TEST

START_TEST(test_payload_longer_than_a_frame)
{
	size_t n = CONTROL_MAX_MESSAGE + 1;
	char *payload = filled(n, 'x');

	/* Given straight to the decoder, not through control_frame(). */
	reject_at(__LINE__, CONTROL_TO_CLIENT, "message of 1114113 bytes",
	    payload, n);
	free(payload);
}
END_TEST

START_TEST(test_trailing_bytes_and_invalid_tags)
{
	REJECT(CONTROL_TO_DAEMON, "stray bytes", 0x91, 0x22, 0x00);
	REJECT(CONTROL_TO_DAEMON, "stray bytes", 0x91, 0x22, 0x91, 0x22);
	REJECT(CONTROL_TO_DAEMON, "invalid msgpack tag 0xc1", 0x92, 0x23,
	    0xc1);
	REJECT(CONTROL_TO_CLIENT, "not an array", 0x43);
	REJECT(CONTROL_TO_CLIENT, "not an array", 0x90);
	REJECT(CONTROL_TO_CLIENT, NULL, 0x80);
}
END_TEST

START_TEST(test_unknown_types)
{
	static const uint64_t numbers[] = { 0, 1, 9, 31, 41, 63, 71, 127,
	    255, 65535, UINT64_MAX };

	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		for (int d = 0; d < 2; d++) {
			struct pack p;
			msgpack_packer *pk = pack_begin(&p);

			msgpack_pack_array(pk, 1);
			msgpack_pack_uint64(pk, numbers[i]);
			PACK_REJECT((enum control_direction)d, &p,
			    "unknown message type");
		}
	REJECT(CONTROL_TO_DAEMON, "unknown message type", 0x91, 0xff);
	REJECT(CONTROL_TO_DAEMON, "unknown message type", 0x91, 0xc0);
	REJECT(CONTROL_TO_DAEMON, "unknown message type", 0x91, 0xa1, 0x22);
	REJECT(CONTROL_TO_CLIENT, "unknown message type", 0x91, 0xcb, 0x40,
	    0x50, 0x80, 0, 0, 0, 0, 0);
}
END_TEST

/* A request where a reply belongs, and the other way round. */
START_TEST(test_messages_of_the_other_direction)
{
	struct buffer out = { 0 };
	struct control_message m;
	const char *payload;
	size_t length, n = 0;

	encode_every_message(&out);
	while (control_frame(&out, &payload, &length, error,
	    sizeof(error)) == 1) {
		enum control_direction wrong =
		    (unsigned char)payload[1] < CONTROL_HELLO_REPLY ?
		    CONTROL_TO_CLIENT : CONTROL_TO_DAEMON;

		ck_assert_int_eq(decode_as(wrong, payload, length, &m), -1);
		ck_assert_msg(strstr(error, "is not a message to the") !=
		    NULL, "%s", error);
		buffer_consume(&out, WIRE_HEADER_SIZE + length);
		n++;
	}
	ck_assert_uint_eq(n, 16);
	buffer_free(&out);
}
END_TEST

/* --- every field of every message ----------------------------------------- */

enum kind {
	K_U32, K_U64, K_POSITION, K_FORMAT, K_STATUS, K_BOOL, K_NAME,
	K_ANCHOR, K_LABEL, K_SOURCE, K_DATA, K_MESSAGE, K_SHA, K_CODE,
	K_LIST, K_VERSION, K_TEXT,
};

struct field {
	enum kind	 kind;
	const char	*name;		/* as the decoder names it */
};

static const struct shape {
	enum control_type	 type;
	size_t			 count;
	struct field		 f[5];
} shapes[] = {
	{ CONTROL_HELLO, 1, { { K_U32, "version" } } },
	{ CONTROL_PLUGIN_CREATE, 5, { { K_NAME, "name" },
	    { K_SOURCE, "source" }, { K_BOOL, "replace" },
	    { K_POSITION, "position" }, { K_ANCHOR, "anchor" } } },
	{ CONTROL_PLUGIN_LIST, 0, { { K_U32, NULL } } },
	{ CONTROL_PLUGIN_DELETE, 1, { { K_NAME, "name" } } },
	{ CONTROL_PLUGIN_RESET, 1, { { K_NAME, "name" } } },
	{ CONTROL_QUERY_BEGIN, 1, { { K_LABEL, "label" } } },
	{ CONTROL_QUERY_DATA, 1, { { K_DATA, "bytes" } } },
	{ CONTROL_QUERY_END, 0, { { K_U32, NULL } } },
	{ CONTROL_STATS, 1, { { K_FORMAT, "format" } } },
	{ CONTROL_HELLO_REPLY, 2, { { K_U32, "version" },
	    { K_VERSION, "daemon version" } } },
	{ CONTROL_OK, 2, { { K_MESSAGE, "message" }, { K_SHA, "sha256" } } },
	{ CONTROL_ERROR, 2, { { K_CODE, "code" },
	    { K_MESSAGE, "message" } } },
	{ CONTROL_PLUGIN_LIST_REPLY, 1, { { K_LIST, "plugin" } } },
	{ CONTROL_QUERY_OUTPUT, 1, { { K_DATA, "bytes" } } },
	{ CONTROL_QUERY_DONE, 2, { { K_STATUS, "status" },
	    { K_U64, "records" } } },
	{ CONTROL_STATS_REPLY, 1, { { K_TEXT, "text" } } },
};
#define SHAPES	(sizeof(shapes) / sizeof(shapes[0]))

static void
pack_valid(msgpack_packer *pk, enum kind kind)
{
	switch (kind) {
	case K_U32:
	case K_U64:
	case K_STATUS:
	case K_FORMAT:
		msgpack_pack_uint8(pk, 1);
		break;
	case K_POSITION:
		msgpack_pack_uint8(pk, CONTROL_POSITION_END);
		break;
	case K_BOOL:
		msgpack_pack_true(pk);
		break;
	case K_ANCHOR:
	case K_MESSAGE:
	case K_TEXT:
		pack_str(pk, "");
		break;
	case K_NAME:
	case K_LABEL:
	case K_VERSION:
		pack_str(pk, "web");
		break;
	case K_SOURCE:
	case K_DATA:
		msgpack_pack_bin_with_body(pk, "{}\n", 3);
		break;
	case K_SHA:
		pack_str(pk, sha_a);
		break;
	case K_CODE:
		pack_str(pk, "not-found");
		break;
	case K_LIST:
		msgpack_pack_array(pk, 0);
		break;
	}
}

/* Values to put where a field goes, and which kinds must refuse them. */
enum {
	NUMBER = 1 << 0,	/* K_U32 K_U64 K_POSITION K_FORMAT K_STATUS */
	STRING = 1 << 1,	/* every string kind */
	NONEMPTY = 1 << 2,	/* K_NAME K_LABEL K_VERSION K_DATA */
	NONUL = 1 << 3,		/* K_NAME K_ANCHOR K_LABEL K_VERSION
				   K_MESSAGE */
};

static unsigned
class_of(enum kind kind)
{
	switch (kind) {
	case K_U32: case K_U64: case K_POSITION: case K_FORMAT: case K_STATUS:
		return NUMBER;
	case K_NAME: case K_LABEL: case K_VERSION:
		return STRING | NONEMPTY | NONUL;
	case K_ANCHOR: case K_MESSAGE:
		return STRING | NONUL;
	case K_DATA:
		return STRING | NONEMPTY;
	case K_SOURCE: case K_SHA: case K_CODE: case K_TEXT:
		return STRING;
	case K_BOOL: case K_LIST:
		return 0;
	}
	return 0;
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
v_seven(msgpack_packer *pk)
{
	msgpack_pack_uint8(pk, 7);
}

static void
v_str(msgpack_packer *pk)
{
	pack_str(pk, "7");
}

static void
v_bin(msgpack_packer *pk)
{
	msgpack_pack_bin_with_body(pk, "7", 1);
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
	msgpack_pack_array(pk, 1);
	msgpack_pack_nil(pk);
}

static void
v_map(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 0);
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
v_empty(msgpack_packer *pk)
{
	pack_str(pk, "");
}

static void
v_nul(msgpack_packer *pk)
{
	msgpack_pack_str_with_body(pk, "a\0b", 3);
}

/*
 * Whether a field of a kind must refuse a value; the values it takes are
 * the limit tests' business.
 */
static bool
refuses(enum kind kind, void (*value)(msgpack_packer *))
{
	unsigned c = class_of(kind);
	bool string = value == v_str || value == v_bin || value == v_empty ||
	    value == v_nul;

	if (string && !(c & STRING))
		return true;
	if (value == v_str || value == v_bin)
		return kind == K_SHA || kind == K_CODE || kind == K_ANCHOR;
	if (value == v_empty)
		return (c & NONEMPTY) || kind == K_CODE;
	if (value == v_nul)
		return (c & NONUL) || kind == K_SHA || kind == K_CODE;
	if (value == v_true)
		return kind != K_BOOL;
	if (value == v_seven)
		return !(c & NUMBER) || kind == K_POSITION ||
		    kind == K_FORMAT || kind == K_STATUS;
	if (value == v_u33)
		return kind != K_U64;
	/* nil, -1, 1.0, [nil], {}, ext: no field takes them. */
	return true;
}

static void
pack_shape(msgpack_packer *pk, const struct shape *s, size_t fields,
    size_t replace, void (*value)(msgpack_packer *))
{
	msgpack_pack_array(pk, 1 + fields);
	msgpack_pack_uint8(pk, (uint8_t)s->type);
	for (size_t i = 0; i < fields; i++) {
		if (i == replace)
			value(pk);
		else if (i < s->count)
			pack_valid(pk, s->f[i].kind);
		else
			msgpack_pack_nil(pk);
	}
}

/* The valid form of every shape decodes: the table is right. */
START_TEST(test_shapes_are_valid)
{
	for (size_t i = 0; i < SHAPES; i++) {
		struct control_message m;
		struct pack p;

		pack_shape(pack_begin(&p), &shapes[i], shapes[i].count,
		    SIZE_MAX, NULL);
		PACK_ACCEPT(direction_of(shapes[i].type), &p, &m);
		ck_assert_int_eq(m.type, shapes[i].type);
		msgpack_sbuffer_destroy(&p.sbuf);
	}
}
END_TEST

START_TEST(test_wrong_field_count)
{
	for (size_t i = 0; i < SHAPES; i++) {
		const struct shape *s = &shapes[i];
		char want[64];
		struct pack p;

		snprintf(want, sizeof(want), "expected %zu fields", s->count);
		if (s->count > 0) {
			pack_shape(pack_begin(&p), s, s->count - 1, SIZE_MAX,
			    NULL);
			PACK_REJECT(direction_of(s->type), &p, want);
		}
		pack_shape(pack_begin(&p), s, s->count + 1, SIZE_MAX, NULL);
		PACK_REJECT(direction_of(s->type), &p, want);
	}
}
END_TEST

START_TEST(test_wrong_field_values)
{
	static void (*const values[])(msgpack_packer *) = { v_nil, v_true,
	    v_seven, v_str, v_bin, v_neg, v_double, v_array, v_map, v_ext,
	    v_u33, v_empty, v_nul };
	size_t refused = 0;

	for (size_t i = 0; i < SHAPES; i++)
		for (size_t f = 0; f < shapes[i].count; f++)
			for (size_t v = 0; v < sizeof(values) /
			    sizeof(values[0]); v++) {
				struct pack p;

				if (!refuses(shapes[i].f[f].kind, values[v]))
					continue;
				pack_shape(pack_begin(&p), &shapes[i],
				    shapes[i].count, f, values[v]);
				pack_reject_at((int)(i * 1000 + f * 100 + v),
				    direction_of(shapes[i].type), &p,
				    shapes[i].f[f].name);
				refused++;
			}
	/* Each of the 22 fields refuses at least the six values no kind
	 * takes. */
	ck_assert_uint_ge(refused, 22 * 6);
}
END_TEST

/* The entries of a list, shape by shape. */
START_TEST(test_list_entry_shapes)
{
	for (int fields = 0; fields <= CONTROL_ENTRY_FIELDS + 1; fields++) {
		struct pack p;
		msgpack_packer *pk = pack_begin(&p);

		if (fields == CONTROL_ENTRY_FIELDS)
			continue;
		msgpack_pack_array(pk, 2);
		msgpack_pack_uint8(pk, CONTROL_PLUGIN_LIST_REPLY);
		msgpack_pack_array(pk, 1);
		msgpack_pack_array(pk, (size_t)fields);
		for (int i = 0; i < fields; i++)
			msgpack_pack_uint8(pk, 1);
		PACK_REJECT(CONTROL_TO_CLIENT, &p, "plugin 1: expected an "
		    "array of 8");
	}
	/* Positions must count 1, 2, 3... */
	for (int first = 0; first <= 2; first += 2) {
		struct control_message m;
		struct pack p;
		msgpack_packer *pk = pack_begin(&p);

		msgpack_pack_array(pk, 2);
		msgpack_pack_uint8(pk, CONTROL_PLUGIN_LIST_REPLY);
		msgpack_pack_array(pk, 2);
		for (int e = 0; e < 2; e++) {
			msgpack_pack_array(pk, CONTROL_ENTRY_FIELDS);
			pack_str(pk, "web");
			msgpack_pack_uint8(pk, (uint8_t)(first == 0 ? e + 1 :
			    2 - e));
			msgpack_pack_uint8(pk, 1);
			pack_str(pk, sha_a);
			msgpack_pack_uint8(pk, 1);
			pack_str(pk, "restarting");
			msgpack_pack_uint8(pk, 1);
			msgpack_pack_map(pk, 0);
		}
		if (first == 0) {
			PACK_ACCEPT(CONTROL_TO_CLIENT, &p, &m);
			ck_assert_int_eq(m.u.list.plugins[1].state,
			    CONTROL_STATE_RESTARTING);
			msgpack_sbuffer_destroy(&p.sbuf);
		} else
			PACK_REJECT(CONTROL_TO_CLIENT, &p, "plugin 1 position: "
			    "2, expected 1");
	}
}
END_TEST

START_TEST(test_codes_and_states_are_spelt_exactly)
{
	static const char *const codes[] = { "BUSY", "busy ", "bad_request",
	    "", "internal\0" };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct pack p;
		msgpack_packer *pk = pack_begin(&p);

		msgpack_pack_array(pk, 3);
		msgpack_pack_uint8(pk, CONTROL_ERROR);
		msgpack_pack_str_with_body(pk, codes[i], strlen(codes[i]) +
		    (i == 4));
		pack_str(pk, "m");
		PACK_REJECT(CONTROL_TO_CLIENT, &p, "code: unknown value");
	}
}
END_TEST

/* Random damage to valid payloads: never a crash or a read past the
 * end; every rejection has a message. */
START_TEST(test_mutated_payloads)
{
	struct buffer out = { 0 };
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	const char *payload;
	size_t length, rejected = 0;

	encode_every_message(&out);
	while (control_frame(&out, &payload, &length, error,
	    sizeof(error)) == 1) {
		for (int round = 0; round < 3000; round++) {
			char *copy = malloc(length);
			struct control_message m;
			int flips = 1 + (int)(next_random(&state) % 4);

			ck_assert_ptr_nonnull(copy);
			memcpy(copy, payload, length);
			for (int i = 0; i < flips; i++)
				copy[next_random(&state) % length] =
				    (char)next_random(&state);
			for (int d = 0; d < 2; d++) {
				int r = decode_as((enum control_direction)d,
				    copy, length, &m);

				REQUIRE(r == 0 || (r == -1 &&
				    error[0] != '\0'), "no message");
				rejected += r == -1;
			}
			free(copy);
		}
		buffer_consume(&out, WIRE_HEADER_SIZE + length);
	}
	ck_assert_uint_gt(rejected, 0);
	buffer_free(&out);
}
END_TEST

Suite *
control_hostile_suite(void)
{
	Suite *s = suite_create("control_hostile");
	TCase *t = tcase_create("hostile");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_truncated_payloads);
	tcase_add_test(t, test_counts_beyond_the_payload);
	tcase_add_test(t, test_nesting_too_deep);
	tcase_add_test(t, test_too_many_values);
	tcase_add_test(t, test_payload_longer_than_a_frame);
	tcase_add_test(t, test_trailing_bytes_and_invalid_tags);
	tcase_add_test(t, test_unknown_types);
	tcase_add_test(t, test_messages_of_the_other_direction);
	tcase_add_test(t, test_shapes_are_valid);
	tcase_add_test(t, test_wrong_field_count);
	tcase_add_test(t, test_wrong_field_values);
	tcase_add_test(t, test_list_entry_shapes);
	tcase_add_test(t, test_codes_and_states_are_spelt_exactly);
	tcase_add_test(t, test_mutated_payloads);
	suite_add_tcase(s, t);
	return s;
}
