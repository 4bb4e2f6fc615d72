/*
 * The control codec (ipc/control.h) as both ends use it: every message
 * survives a round trip with its fields intact, the bytes on the wire are
 * the ones docs/protocol.md shows, frames follow each other and split
 * anywhere, and encoders never produce a frame the other end refuses.
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

/* --- round trips ---------------------------------------------------------- */

START_TEST(test_requests_round_trip)
{
	static const char source[] = "return 1\0\xff\n";
	struct buffer out = { 0 };
	struct control_message m;

	ck_assert_int_eq(control_put_hello(&out, 7), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_HELLO);
	ck_assert_uint_eq(m.u.hello.version, 7);
	buffer_clear(&out);

	ck_assert_int_eq(control_put_plugin_create(&out, "a.b_c-9", source,
	    sizeof(source) - 1, false, CONTROL_POSITION_END, NULL), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_PLUGIN_CREATE);
	ck_assert_str_eq(m.u.create.name, "a.b_c-9");
	assert_bytes(m.u.create.source, source, sizeof(source) - 1);
	ck_assert(!m.u.create.replace);
	ck_assert_int_eq(m.u.create.position, CONTROL_POSITION_END);
	ck_assert_str_eq(m.u.create.anchor, "");
	buffer_clear(&out);

	ck_assert_int_eq(control_put_plugin_create(&out, "x", "", 0, true,
	    CONTROL_POSITION_AFTER, "y"), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert(m.u.create.replace);
	ck_assert_uint_eq(m.u.create.source.length, 0);
	ck_assert_int_eq(m.u.create.position, CONTROL_POSITION_AFTER);
	ck_assert_str_eq(m.u.create.anchor, "y");
	buffer_clear(&out);

	ck_assert_int_eq(control_put_plugin_list(&out), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_PLUGIN_LIST);
	buffer_clear(&out);

	ck_assert_int_eq(control_put_plugin_delete(&out, "gone"), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_PLUGIN_DELETE);
	ck_assert_str_eq(m.u.plugin.name, "gone");
	buffer_clear(&out);

	ck_assert_int_eq(control_put_plugin_reset(&out, "stuck"), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_PLUGIN_RESET);
	ck_assert_str_eq(m.u.plugin.name, "stuck");
	buffer_clear(&out);

	ck_assert_int_eq(control_put_query_begin(&out, "/tmp/pods \xc3\xa9"),
	    0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_QUERY_BEGIN);
	assert_string(m.u.query_begin.label, "/tmp/pods \xc3\xa9");
	buffer_clear(&out);

	ck_assert_int_eq(control_put_query_data(&out, "\0{}", 3), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_QUERY_DATA);
	assert_bytes(m.u.data.bytes, "\0{}", 3);
	buffer_clear(&out);

	ck_assert_int_eq(control_put_query_end(&out), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_QUERY_END);
	buffer_clear(&out);

	ck_assert_int_eq(control_put_stats(&out, CONTROL_FORMAT_TEXT), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_STATS);
	ck_assert_int_eq(m.u.stats.format, CONTROL_FORMAT_TEXT);
	buffer_clear(&out);
	ck_assert_int_eq(control_put_stats(&out, CONTROL_FORMAT_JSON), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.u.stats.format, CONTROL_FORMAT_JSON);
	buffer_free(&out);
}
END_TEST

START_TEST(test_replies_round_trip)
{
	struct buffer out = { 0 };
	struct control_message m;

	ck_assert_int_eq(control_put_hello_reply(&out, 1, "luaward 1.2.3"), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_int_eq(m.type, CONTROL_HELLO_REPLY);
	ck_assert_uint_eq(m.u.hello_reply.version, 1);
	assert_string(m.u.hello_reply.daemon, "luaward 1.2.3");
	buffer_clear(&out);

	ck_assert_int_eq(control_put_ok(&out, "replaced", sha_a), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_int_eq(m.type, CONTROL_OK);
	assert_string(m.u.ok.message, "replaced");
	ck_assert_str_eq(m.u.ok.sha256, sha_a);
	buffer_clear(&out);
	ck_assert_int_eq(control_put_ok(&out, NULL, NULL), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_uint_eq(m.u.ok.message.length, 0);
	ck_assert_str_eq(m.u.ok.sha256, "");
	buffer_clear(&out);

	for (int code = 0; code < CONTROL_ERROR_COUNT; code++) {
		ck_assert_int_eq(control_put_error(&out,
		    (enum control_error)code, "no plugin %s (%d)", "web",
		    code), 0);
		must_decode(&out, CONTROL_TO_CLIENT, &m);
		ck_assert_int_eq(m.type, CONTROL_ERROR);
		ck_assert_int_eq(m.u.error.code, code);
		ck_assert_msg(m.u.error.message.length > 0, "no message");
		ck_assert_int_eq(strncmp(m.u.error.message.bytes,
		    "no plugin web (", 15), 0);
		buffer_clear(&out);
	}

	ck_assert_int_eq(control_put_query_output(&out, "line\n", 5), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_int_eq(m.type, CONTROL_QUERY_OUTPUT);
	assert_string(m.u.data.bytes, "line\n");
	buffer_clear(&out);

	ck_assert_int_eq(control_put_query_done(&out, 2, UINT64_MAX), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_int_eq(m.type, CONTROL_QUERY_DONE);
	ck_assert_uint_eq(m.u.done.status, 2);
	ck_assert_uint_eq(m.u.done.records, UINT64_MAX);
	buffer_clear(&out);

	ck_assert_int_eq(control_put_stats_reply(&out, "", 0), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_int_eq(m.type, CONTROL_STATS_REPLY);
	ck_assert_uint_eq(m.u.stats_reply.text.length, 0);
	buffer_free(&out);
}
END_TEST

START_TEST(test_plugin_list_round_trip)
{
	struct control_plugin in[3] = { sample_plugin("10-opengauss"),
	    sample_plugin("web"), sample_plugin("x") };
	struct buffer out = { 0 };
	struct control_message m;

	in[1].state = CONTROL_STATE_READY;
	in[1].error_count = 0;
	in[1].calls = 0;
	in[1].created = INT64_MAX;
	in[2].state = CONTROL_STATE_LOAD_FAILED;
	in[2].size = CONTROL_MAX_SOURCE;
	in[2].position = 99;		/* not read by the encoder */
	ck_assert_int_eq(control_put_plugin_list_reply(&out, in, 3), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_int_eq(m.type, CONTROL_PLUGIN_LIST_REPLY);
	ck_assert_uint_eq(m.u.list.count, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct control_plugin *p = &m.u.list.plugins[i];

		assert_bytes(p->name, in[i].name.bytes, in[i].name.length);
		ck_assert_uint_eq(p->position, i + 1);
		ck_assert_uint_eq(p->size, in[i].size);
		ck_assert_str_eq(p->sha256, sha_a);
		ck_assert_int_eq(p->created, in[i].created);
		ck_assert_int_eq(p->state, in[i].state);
		ck_assert_uint_eq(p->calls, in[i].calls);
		ck_assert_uint_eq(p->error_count, in[i].error_count);
		for (size_t k = 0; k < p->error_count; k++) {
			assert_bytes(p->errors[k].kind,
			    in[i].errors[k].kind.bytes,
			    in[i].errors[k].kind.length);
			ck_assert_uint_eq(p->errors[k].count,
			    in[i].errors[k].count);
		}
	}
	buffer_clear(&out);
	ck_assert_int_eq(control_put_plugin_list_reply(&out, NULL, 0), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_uint_eq(m.u.list.count, 0);
	buffer_free(&out);
}
END_TEST

/* --- bytes on the wire ---------------------------------------------------- */

/* The examples of docs/protocol.md, byte for byte. */
START_TEST(test_documented_layouts)
{
	static const unsigned char hello[] = { 0, 0, 0, 3, 0x92, 0x20, 0x01 };
	static const unsigned char list[] = { 0, 0, 0, 2, 0x91, 0x22 };
	static const unsigned char del[] = { 0, 0, 0, 6, 0x92, 0x23, 0xa3,
	    'w', 'e', 'b' };
	static const unsigned char done[] = { 0, 0, 0, 4, 0x93, 0x45, 0x01,
	    0x03 };
	struct buffer out = { 0 };

	ck_assert_int_eq(control_put_hello(&out, 1), 0);
	ck_assert_uint_eq(buffer_length(&out), sizeof(hello));
	ck_assert_mem_eq(buffer_bytes(&out), hello, sizeof(hello));
	buffer_clear(&out);
	ck_assert_int_eq(control_put_plugin_list(&out), 0);
	ck_assert_uint_eq(buffer_length(&out), sizeof(list));
	ck_assert_mem_eq(buffer_bytes(&out), list, sizeof(list));
	buffer_clear(&out);
	ck_assert_int_eq(control_put_plugin_delete(&out, "web"), 0);
	ck_assert_uint_eq(buffer_length(&out), sizeof(del));
	ck_assert_mem_eq(buffer_bytes(&out), del, sizeof(del));
	buffer_clear(&out);
	ck_assert_int_eq(control_put_query_done(&out, 1, 3), 0);
	ck_assert_uint_eq(buffer_length(&out), sizeof(done));
	ck_assert_mem_eq(buffer_bytes(&out), done, sizeof(done));
	buffer_free(&out);
}
END_TEST

/* Frames back to back, fed one byte at a time: each appears exactly
 * when its last byte arrives. */
START_TEST(test_frames_split_at_every_byte)
{
	struct buffer all = { 0 }, in = { 0 };
	struct control_message m;
	size_t frames = 0, fed = 0;
	const char *payload;
	size_t length;

	encode_every_message(&all);
	while (fed < buffer_length(&all)) {
		int r;

		ck_assert_int_eq(buffer_append(&in, buffer_bytes(&all) + fed,
		    1), 0);
		fed++;
		while ((r = control_frame(&in, &payload, &length, error,
		    sizeof(error))) == 1) {
			static const enum control_type order[] = {
			    CONTROL_HELLO, CONTROL_PLUGIN_CREATE,
			    CONTROL_PLUGIN_LIST, CONTROL_PLUGIN_DELETE,
			    CONTROL_PLUGIN_RESET, CONTROL_QUERY_BEGIN,
			    CONTROL_QUERY_DATA, CONTROL_QUERY_END,
			    CONTROL_STATS, CONTROL_HELLO_REPLY, CONTROL_OK,
			    CONTROL_ERROR, CONTROL_PLUGIN_LIST_REPLY,
			    CONTROL_QUERY_OUTPUT, CONTROL_QUERY_DONE,
			    CONTROL_STATS_REPLY };

			ck_assert_uint_lt(frames, 16);
			ck_assert_int_eq(decode_as(direction_of(order[frames]),
			    payload, length, &m), 0);
			ck_assert_int_eq(m.type, order[frames]);
			buffer_consume(&in, WIRE_HEADER_SIZE + length);
			frames++;
		}
		ck_assert_int_eq(r, 0);
	}
	ck_assert_uint_eq(frames, 16);
	ck_assert_uint_eq(buffer_length(&in), 0);
	buffer_free(&all);
	buffer_free(&in);
}
END_TEST

START_TEST(test_frame_header_limits)
{
	struct buffer in = { 0 };
	const char *payload;
	size_t length;
	unsigned char h[WIRE_HEADER_SIZE];
	uint32_t sizes[] = { 0, CONTROL_MAX_MESSAGE + 1, UINT32_MAX,
	    WIRE_MAX_MESSAGE };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		h[0] = (unsigned char)(sizes[i] >> 24);
		h[1] = (unsigned char)(sizes[i] >> 16);
		h[2] = (unsigned char)(sizes[i] >> 8);
		h[3] = (unsigned char)sizes[i];
		buffer_clear(&in);
		ck_assert_int_eq(buffer_append(&in, h, sizeof(h)), 0);
		error[0] = '\0';
		ck_assert_int_eq(control_frame(&in, &payload, &length, error,
		    sizeof(error)), -1);
		ck_assert_msg(strstr(error, "frame announces") != NULL, "%s",
		    error);
	}
	/* The largest frame is announced, then awaited. */
	h[0] = (unsigned char)(CONTROL_MAX_MESSAGE >> 24);
	h[1] = (unsigned char)(CONTROL_MAX_MESSAGE >> 16);
	h[2] = (unsigned char)(CONTROL_MAX_MESSAGE >> 8);
	h[3] = (unsigned char)CONTROL_MAX_MESSAGE;
	buffer_clear(&in);
	ck_assert_int_eq(buffer_append(&in, h, sizeof(h)), 0);
	ck_assert_int_eq(control_frame(&in, &payload, &length, error,
	    sizeof(error)), 0);
	/* Fewer bytes than a header: more are needed. */
	buffer_clear(&in);
	ck_assert_int_eq(buffer_append(&in, h, 3), 0);
	ck_assert_int_eq(control_frame(&in, &payload, &length, error,
	    sizeof(error)), 0);
	buffer_free(&in);
}
END_TEST

/* An encoder that cannot produce a valid frame leaves out as it was. */
START_TEST(test_encoders_refuse_oversized_frames)
{
	char *big = filled(CONTROL_MAX_MESSAGE, 'x');
	struct buffer out = { 0 };
	struct control_message m;

	ck_assert_int_eq(control_put_query_end(&out), 0);
	ck_assert_int_eq(control_put_query_data(&out, big,
	    CONTROL_MAX_MESSAGE), -1);
	ck_assert_int_eq(control_put_plugin_create(&out, "a", big,
	    CONTROL_MAX_MESSAGE, false, CONTROL_POSITION_END, ""), -1);
	ck_assert_int_eq(control_put_stats_reply(&out, big,
	    CONTROL_MAX_MESSAGE), -1);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_int_eq(m.type, CONTROL_QUERY_END);
	free(big);
	buffer_free(&out);
}
END_TEST

/* OK and ERROR messages are cut to CONTROL_MAX_TEXT, so that any
 * message the daemon formats can be sent. */
START_TEST(test_long_messages_are_truncated)
{
	char *text = filled(3 * CONTROL_MAX_TEXT, 'm');
	struct buffer out = { 0 };
	struct control_message m;

	ck_assert_int_eq(control_put_error(&out, CONTROL_ERROR_INVALID_PLUGIN,
	    "%s", text), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_uint_eq(m.u.error.message.length, CONTROL_MAX_TEXT);
	buffer_clear(&out);
	ck_assert_int_eq(control_put_ok(&out, text, NULL), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_uint_eq(m.u.ok.message.length, CONTROL_MAX_TEXT);
	free(text);
	buffer_free(&out);
}
END_TEST

START_TEST(test_names_of_types_codes_and_states)
{
	ck_assert_str_eq(control_type_name(CONTROL_PLUGIN_LIST_REPLY),
	    "PLUGIN_LIST_REPLY");
	ck_assert_str_eq(control_type_name(CONTROL_HELLO), "HELLO");
	ck_assert_str_eq(control_type_name(41), "unknown");
	ck_assert_str_eq(control_error_name(CONTROL_ERROR_BAD_REQUEST),
	    "bad-request");
	ck_assert_str_eq(control_error_name(CONTROL_ERROR_UNSUPPORTED_VERSION),
	    "unsupported-version");
	ck_assert_str_eq(control_error_name(CONTROL_ERROR_INTERNAL),
	    "internal");
	ck_assert_str_eq(control_state_name(CONTROL_STATE_LOAD_FAILED),
	    "load-failed");
	ck_assert_str_eq(control_state_name(CONTROL_STATE_COUNT), "unknown");
}
END_TEST

Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *trips = tcase_create("round trips");

	tcase_add_checked_fixture(trips, setup, teardown);
	tcase_add_test(trips, test_requests_round_trip);
	tcase_add_test(trips, test_replies_round_trip);
	tcase_add_test(trips, test_plugin_list_round_trip);
	tcase_add_test(trips, test_documented_layouts);
	tcase_add_test(trips, test_frames_split_at_every_byte);
	tcase_add_test(trips, test_frame_header_limits);
	tcase_add_test(trips, test_encoders_refuse_oversized_frames);
	tcase_add_test(trips, test_long_messages_are_truncated);
	tcase_add_test(trips, test_names_of_types_codes_and_states);
	suite_add_tcase(s, trips);
	return s;
}
