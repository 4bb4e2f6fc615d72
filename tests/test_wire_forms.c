/*
 * The ipc codec (ipc/wire.h), the forms of the bytes: REQUEST and REPLY
 * decode alike in every form msgpack allows (the decoder reads the common
 * ones straight from the bytes), the request header the supervisor writes
 * before a record is the encoder's own, and an empty string decodes to
 * "" rather than NULL.
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

/*
 * REQUEST and REPLY, the messages of every call, decode to the same values
 * in every form msgpack allows for their fields: each width of unsigned
 * and (non-negative) signed integers, str and bin of each width.  The
 * decoder reads the common forms straight from the bytes and the others
 * through msgpack-c; both must agree.
 */
START_TEST(test_call_messages_decode_alike_in_every_form)
{
	static const struct {
		unsigned char bytes[9];
		size_t length;
	} ids[] = {
		{ { 0x07 }, 1 },
		{ { 0xcc, 0x07 }, 2 },
		{ { 0xcd, 0x00, 0x07 }, 3 },
		{ { 0xce, 0x00, 0x00, 0x00, 0x07 }, 5 },
		{ { 0xcf, 0, 0, 0, 0, 0, 0, 0, 0x07 }, 9 },
		{ { 0xd0, 0x07 }, 2 },
		{ { 0xd1, 0x00, 0x07 }, 3 },
		{ { 0xd2, 0x00, 0x00, 0x00, 0x07 }, 5 },
		{ { 0xd3, 0, 0, 0, 0, 0, 0, 0, 0x07 }, 9 },
	};
	/* The header of a 10-byte string or binary. */
	static const struct {
		unsigned char bytes[5];
		size_t length;
	} heads[] = {
		{ { 0xaa }, 1 },
		{ { 0xd9, 10 }, 2 },
		{ { 0xda, 0, 10 }, 3 },
		{ { 0xdb, 0, 0, 0, 10 }, 5 },
		{ { 0xc4, 10 }, 2 },
		{ { 0xc5, 0, 10 }, 3 },
		{ { 0xc6, 0, 0, 0, 10 }, 5 },
	};
	unsigned char p[64];

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
			struct wire_message m;
			size_t n = 0;

			/* [REPLY, 7, "Deployment", "Deployment", 7] */
			p[n++] = 0x95;
			p[n++] = WIRE_REPLY;
			memcpy(p + n, ids[i].bytes, ids[i].length);
			n += ids[i].length;
			for (int k = 0; k < 2; k++) {
				memcpy(p + n, heads[h].bytes, heads[h].length);
				n += heads[h].length;
				memcpy(p + n, "Deployment", 10);
				n += 10;
			}
			memcpy(p + n, ids[i].bytes, ids[i].length);
			n += ids[i].length;
			accept_at(__LINE__, p, n, &m);
			ck_assert_int_eq(m.type, WIRE_REPLY);
			ck_assert_uint_eq(m.u.reply.id, 7);
			assert_string(m.u.reply.type, "Deployment");
			assert_string(m.u.reply.name, "Deployment");
			ck_assert_uint_eq(m.u.reply.micros, 7);
			ck_assert_int_eq(decode_copy(p, n - 1), -1);
			p[n] = 0xc0;
			ck_assert_int_eq(decode_copy(p, n + 1), -1);
			ck_assert_ptr_nonnull(strstr(error, "stray"));

			/* [REQUEST, 7, "Deployment"] */
			n = 0;
			p[n++] = 0x93;
			p[n++] = WIRE_REQUEST;
			memcpy(p + n, ids[i].bytes, ids[i].length);
			n += ids[i].length;
			memcpy(p + n, heads[h].bytes, heads[h].length);
			n += heads[h].length;
			memcpy(p + n, "Deployment", 10);
			n += 10;
			accept_at(__LINE__, p, n, &m);
			ck_assert_int_eq(m.type, WIRE_REQUEST);
			ck_assert_uint_eq(m.u.request.id, 7);
			assert_string(m.u.request.metadata, "Deployment");

			/* One byte more or one less is never a message. */
			ck_assert_int_eq(decode_copy(p, n - 1), -1);
			p[n] = 0xc0;
			ck_assert_int_eq(decode_copy(p, n + 1), -1);
			ck_assert_ptr_nonnull(strstr(error, "stray"));
		}
}
END_TEST

/* An empty string decodes to "" and a length of 0, never to NULL, which
 * memcpy() and "%.*s" must not be given (found by fuzz_worker_messages). */
START_TEST(test_empty_strings_are_never_null)
{
	static const struct wire_layer layer = { { "", 0 }, { "", 0 },
	    { "", 0 } };
	static const struct wire_string touched = { "", 0 };
	struct buffer out = { 0 };
	struct wire_message m;
	struct wire_load load;

	ck_assert_int_eq(wire_put_log(&out, "", 0, 0), 0);
	must_decode_frame(&out, &m);
	ck_assert_ptr_nonnull(m.u.log.text.bytes);
	ck_assert_uint_eq(m.u.log.text.length, 0);
	buffer_clear(&out);
	ck_assert_int_eq(wire_put_reply(&out, 1, "", 0, "", 0, 0), 0);
	must_decode_frame(&out, &m);
	ck_assert_ptr_nonnull(m.u.reply.type.bytes);
	ck_assert_ptr_nonnull(m.u.reply.name.bytes);
	buffer_clear(&out);
	ck_assert_int_eq(wire_put_error(&out, 1, "", "", 0, 0), 0);
	must_decode_frame(&out, &m);
	ck_assert_ptr_nonnull(m.u.error.kind.bytes);
	ck_assert_ptr_nonnull(m.u.error.message.bytes);
	buffer_clear(&out);
	ck_assert_int_eq(wire_put_request(&out, 1, "", 0), 0);
	must_decode_frame(&out, &m);
	ck_assert_ptr_nonnull(m.u.request.metadata.bytes);
	buffer_clear(&out);
	ck_assert_int_eq(wire_put_ready(&out, &layer, 1, &touched, 1), 0);
	must_decode_frame(&out, &m);
	ck_assert_ptr_nonnull(m.u.ready.layers[0].name.bytes);
	ck_assert_ptr_nonnull(m.u.ready.layers[0].state.bytes);
	ck_assert_ptr_nonnull(m.u.ready.layers[0].detail.bytes);
	ck_assert_ptr_nonnull(m.u.ready.touched[0].bytes);
	buffer_clear(&out);
	ck_assert_int_eq(wire_put_probe(&out, "", "blocked", 0, ""), 0);
	must_decode_frame(&out, &m);
	ck_assert_ptr_nonnull(m.u.probe.name.bytes);
	ck_assert_ptr_nonnull(m.u.probe.detail.bytes);
	buffer_clear(&out);
	fill_load(&load);
	load.plugin = load.source = load.probe = (struct wire_string){ "", 0 };
	load.modules[0].name = load.modules[0].source =
	    (struct wire_string){ "", 0 };
	ck_assert_int_eq(wire_put_load(&out, &load), 0);
	must_decode_frame(&out, &m);
	ck_assert_ptr_nonnull(m.u.load.settings.plugin.bytes);
	ck_assert_ptr_nonnull(m.u.load.settings.source.bytes);
	ck_assert_ptr_nonnull(m.u.load.settings.probe.bytes);
	ck_assert_ptr_nonnull(m.u.load.settings.modules[0].name.bytes);
	ck_assert_ptr_nonnull(m.u.load.settings.modules[0].source.bytes);
	buffer_free(&out);
}
END_TEST

/* The header the supervisor writes before a request's metadata (which it
 * hands to writev where it lies) must make exactly the frame the encoder
 * makes, for every size class of id and of metadata length. */
START_TEST(test_request_header_matches_the_encoder)
{
	static const uint64_t ids[] = { 1, 0x7f, 0x80, 0xff, 0x100, 0xffff,
	    0x10000, 0xffffffffull, 0x100000000ull, UINT64_MAX };
	static const size_t lengths[] = { 0, 1, 31, 32, 255, 256, 65535,
	    65536, WIRE_MAX_METADATA };
	char *metadata = malloc(WIRE_MAX_METADATA);

	ck_assert_ptr_nonnull(metadata);
	memset(metadata, 'm', WIRE_MAX_METADATA);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]);
		    l++) {
			unsigned char header[WIRE_REQUEST_HEADER_MAX];
			struct buffer out = { 0 };
			struct wire_message m;
			size_t n = wire_request_header(header, ids[i],
			    lengths[l]);

			ck_assert_uint_gt(n, WIRE_HEADER_SIZE);
			ck_assert_int_eq(wire_put_request(&out, ids[i],
			    metadata, lengths[l]), 0);
			ck_assert_uint_eq(buffer_length(&out), n + lengths[l]);
			ck_assert_mem_eq(buffer_bytes(&out), header, n);
			must_decode_frame(&out, &m);
			ck_assert_uint_eq(m.u.request.id, ids[i]);
			ck_assert_uint_eq(m.u.request.metadata.length,
			    lengths[l]);
			buffer_free(&out);
		}
	free(metadata);
}
END_TEST

START_TEST(test_request_header_refuses_an_oversized_frame)
{
	unsigned char header[WIRE_REQUEST_HEADER_MAX];

	ck_assert_uint_eq(wire_request_header(header, 1, WIRE_MAX_MESSAGE), 0);
	ck_assert_uint_eq(wire_request_header(header, 1, SIZE_MAX), 0);
	ck_assert_uint_gt(wire_request_header(header, 1, WIRE_MAX_MESSAGE -
	    16), 0);
}
END_TEST

Suite *
wire_forms_suite(void)
{
	Suite *s = suite_create("wire_forms");
	TCase *t = tcase_create("forms");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_call_messages_decode_alike_in_every_form);
	tcase_add_test(t, test_empty_strings_are_never_null);
	tcase_add_test(t, test_request_header_matches_the_encoder);
	tcase_add_test(t, test_request_header_refuses_an_oversized_frame);
	suite_add_tcase(s, t);
	return s;
}
