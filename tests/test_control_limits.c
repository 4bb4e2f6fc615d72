/*
 * The control codec (ipc/control.h) at its limits: every field's bound,
 * accepted at the bound and refused one past it, with a message naming
 * the field; an anchor exactly when before or after; the largest list.
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

START_TEST(test_name_limits)
{
	char *ok = filled(CONTROL_MAX_NAME, 'n');
	char *long_name = filled(CONTROL_MAX_NAME + 1, 'n');
	struct buffer out = { 0 };
	struct control_message m;

	CHECK_DECODE(0, CONTROL_TO_DAEMON, NULL,
	    control_put_plugin_delete(&out_, ok));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "name: 256 bytes",
	    control_put_plugin_delete(&out_, long_name));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "name: empty",
	    control_put_plugin_delete(&out_, ""));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "name",
	    control_put_plugin_reset(&out_, long_name));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "name: empty",
	    control_put_plugin_reset(&out_, ""));
	CHECK_DECODE(0, CONTROL_TO_DAEMON, NULL,
	    control_put_plugin_create(&out_, ok, "", 0, false,
	    CONTROL_POSITION_BEFORE, ok));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "name",
	    control_put_plugin_create(&out_, long_name, "", 0, false,
	    CONTROL_POSITION_END, ""));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "anchor",
	    control_put_plugin_create(&out_, ok, "", 0, false,
	    CONTROL_POSITION_AFTER, long_name));
	/* The copy is whole and NUL-terminated. */
	ck_assert_int_eq(control_put_plugin_create(&out, ok, "", 0, false,
	    CONTROL_POSITION_AFTER, ok), 0);
	must_decode(&out, CONTROL_TO_DAEMON, &m);
	ck_assert_str_eq(m.u.create.name, ok);
	ck_assert_str_eq(m.u.create.anchor, ok);
	buffer_free(&out);
	free(ok);
	free(long_name);
}
END_TEST

START_TEST(test_anchor_goes_with_before_and_after)
{
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "anchor: given for the end",
	    control_put_plugin_create(&out_, "a", "", 0, false,
	    CONTROL_POSITION_END, "b"));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "anchor: missing",
	    control_put_plugin_create(&out_, "a", "", 0, false,
	    CONTROL_POSITION_BEFORE, ""));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "anchor: missing",
	    control_put_plugin_create(&out_, "a", "", 0, true,
	    CONTROL_POSITION_AFTER, NULL));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "position",
	    control_put_plugin_create(&out_, "a", "", 0, true,
	    (enum control_position)3, "b"));
}
END_TEST

START_TEST(test_byte_string_limits)
{
	char *big = filled(CONTROL_MAX_DATA + 1, 'b');
	char *label = filled(CONTROL_MAX_LABEL + 1, 'l');
	char *version = filled(CONTROL_MAX_VERSION_TEXT + 1, 'v');

	CHECK_DECODE(0, CONTROL_TO_DAEMON, NULL,
	    control_put_plugin_create(&out_, "a", big, CONTROL_MAX_SOURCE,
	    false, CONTROL_POSITION_END, ""));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "source: 1048577 bytes",
	    control_put_plugin_create(&out_, "a", big, CONTROL_MAX_SOURCE + 1,
	    false, CONTROL_POSITION_END, ""));
	CHECK_DECODE(0, CONTROL_TO_DAEMON, NULL,
	    control_put_query_data(&out_, big, CONTROL_MAX_DATA));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "bytes: 1048577 bytes",
	    control_put_query_data(&out_, big, CONTROL_MAX_DATA + 1));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "bytes: empty",
	    control_put_query_data(&out_, big, 0));
	CHECK_DECODE(0, CONTROL_TO_CLIENT, NULL,
	    control_put_query_output(&out_, big, CONTROL_MAX_DATA));
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "bytes: 1048577 bytes",
	    control_put_query_output(&out_, big, CONTROL_MAX_DATA + 1));
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "bytes: empty",
	    control_put_query_output(&out_, big, 0));
	CHECK_DECODE(0, CONTROL_TO_CLIENT, NULL,
	    control_put_stats_reply(&out_, big, CONTROL_MAX_STATS));
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "text: 1048577 bytes",
	    control_put_stats_reply(&out_, big, CONTROL_MAX_STATS + 1));
	label[CONTROL_MAX_LABEL] = '\0';
	CHECK_DECODE(0, CONTROL_TO_DAEMON, NULL,
	    control_put_query_begin(&out_, label));
	label[CONTROL_MAX_LABEL] = 'l';
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "label: 4097 bytes",
	    control_put_query_begin(&out_, label));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "label: empty",
	    control_put_query_begin(&out_, ""));
	version[CONTROL_MAX_VERSION_TEXT] = '\0';
	CHECK_DECODE(0, CONTROL_TO_CLIENT, NULL,
	    control_put_hello_reply(&out_, 1, version));
	version[CONTROL_MAX_VERSION_TEXT] = 'v';
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "daemon version: 256 bytes",
	    control_put_hello_reply(&out_, 1, version));
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "daemon version: empty",
	    control_put_hello_reply(&out_, 1, ""));
	free(big);
	free(label);
	free(version);
}
END_TEST

/* Text fields of OK and ERROR, built by hand (the encoders cut them). */
START_TEST(test_message_text_limits)
{
	char *text = filled(CONTROL_MAX_TEXT + 1, 't');
	struct control_message m;
	struct pack p;

	for (int past = 0; past <= 1; past++) {
		msgpack_packer *pk = pack_begin(&p);

		msgpack_pack_array(pk, 3);
		msgpack_pack_uint8(pk, CONTROL_ERROR);
		pack_str(pk, "busy");
		msgpack_pack_str_with_body(pk, text,
		    CONTROL_MAX_TEXT + (size_t)past);
		if (past)
			PACK_REJECT(CONTROL_TO_CLIENT, &p, "message: 4097");
		else {
			PACK_ACCEPT(CONTROL_TO_CLIENT, &p, &m);
			ck_assert_int_eq(m.u.error.code, CONTROL_ERROR_BUSY);
			msgpack_sbuffer_destroy(&p.sbuf);
		}
		pk = pack_begin(&p);
		msgpack_pack_array(pk, 3);
		msgpack_pack_uint8(pk, CONTROL_OK);
		msgpack_pack_str_with_body(pk, text,
		    CONTROL_MAX_TEXT + (size_t)past);
		pack_str(pk, "");
		if (past)
			PACK_REJECT(CONTROL_TO_CLIENT, &p, "message: 4097");
		else {
			PACK_ACCEPT(CONTROL_TO_CLIENT, &p, &m);
			msgpack_sbuffer_destroy(&p.sbuf);
		}
	}
	free(text);
}
END_TEST

START_TEST(test_number_limits)
{
	CHECK_DECODE(0, CONTROL_TO_DAEMON, NULL,
	    control_put_hello(&out_, UINT32_MAX));
	CHECK_DECODE(0, CONTROL_TO_CLIENT, NULL,
	    control_put_hello_reply(&out_, UINT32_MAX, "v"));
	CHECK_DECODE(0, CONTROL_TO_CLIENT, NULL,
	    control_put_query_done(&out_, CONTROL_MAX_STATUS, 0));
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "status",
	    control_put_query_done(&out_, CONTROL_MAX_STATUS + 1, 0));
	CHECK_DECODE(-1, CONTROL_TO_DAEMON, "format",
	    control_put_stats(&out_, (enum control_format)2));
}
END_TEST

START_TEST(test_sha256_spelling)
{
	char upper[CONTROL_SHA256_HEX + 1], short_sha[CONTROL_SHA256_HEX];
	char long_sha[CONTROL_SHA256_HEX + 2];

	memcpy(upper, sha_a, sizeof(upper));
	upper[0] = 'B';
	memcpy(short_sha, sha_a, CONTROL_SHA256_HEX - 1);
	short_sha[CONTROL_SHA256_HEX - 1] = '\0';
	memcpy(long_sha, sha_a, CONTROL_SHA256_HEX);
	long_sha[CONTROL_SHA256_HEX] = 'a';
	long_sha[CONTROL_SHA256_HEX + 1] = '\0';
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "sha256: expected 64 lowercase",
	    control_put_ok(&out_, "", upper));
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "sha256: expected 64 lowercase",
	    control_put_ok(&out_, "", short_sha));
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "sha256: 65 bytes",
	    control_put_ok(&out_, "", long_sha));
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "sha256",
	    control_put_ok(&out_, "", "g000000000000000000000000000000000000"
	    "000000000000000000000000000"));
}
END_TEST

/* 256 entries of 16 error kinds, every field at its largest, is the
 * largest message; one more entry or kind is refused. */
START_TEST(test_plugin_list_limits)
{
	struct control_plugin *in = calloc(CONTROL_MAX_PLUGINS + 1,
	    sizeof(*in));
	char *name = filled(CONTROL_MAX_NAME, 'n');
	char *long_name = filled(CONTROL_MAX_NAME + 1, 'n');
	char kinds[CONTROL_MAX_KINDS + 1][CONTROL_MAX_KIND + 1];
	struct buffer out = { 0 };
	struct control_message m;

	ck_assert_ptr_nonnull(in);
	for (int k = 0; k <= CONTROL_MAX_KINDS; k++) {
		memset(kinds[k], 'k', CONTROL_MAX_KIND);
		kinds[k][CONTROL_MAX_KIND] = '\0';
		snprintf(kinds[k], sizeof(kinds[k]), "%02d", k);
		kinds[k][2] = 'k';
	}
	for (int i = 0; i <= CONTROL_MAX_PLUGINS; i++) {
		in[i] = sample_plugin(name);
		in[i].size = CONTROL_MAX_SOURCE;
		in[i].created = INT64_MAX;
		in[i].calls = UINT64_MAX;
		in[i].error_count = CONTROL_MAX_KINDS;
		for (int k = 0; k < CONTROL_MAX_KINDS; k++)
			in[i].errors[k] = (struct control_error_count){
			    { kinds[k], CONTROL_MAX_KIND }, UINT64_MAX };
	}
	ck_assert_int_eq(control_put_plugin_list_reply(&out, in,
	    CONTROL_MAX_PLUGINS), 0);
	must_decode(&out, CONTROL_TO_CLIENT, &m);
	ck_assert_uint_eq(m.u.list.count, CONTROL_MAX_PLUGINS);
	ck_assert_uint_eq(m.u.list.plugins[255].error_count,
	    CONTROL_MAX_KINDS);
	ck_assert_uint_eq(m.u.list.plugins[255].position, 256);
	buffer_clear(&out);
	/* One entry more: too many values, or, with small entries, too
	 * many entries. */
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "more than 10499 values",
	    control_put_plugin_list_reply(&out_, in, CONTROL_MAX_PLUGINS + 1));
	for (int i = 0; i <= CONTROL_MAX_PLUGINS; i++)
		in[i].error_count = 0;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugins: expected an array of 0 "
	    "to 256 values",
	    control_put_plugin_list_reply(&out_, in, CONTROL_MAX_PLUGINS + 1));
	in[3].error_count = CONTROL_MAX_KINDS;
	in[3].error_count = 1;
	in[3].errors[0].kind.length = CONTROL_MAX_KIND + 1;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 error kind: 33 bytes",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].errors[0].kind.length = CONTROL_MAX_KIND;
	in[3].size = CONTROL_MAX_SOURCE + 1;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 size",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].size = 0;
	in[3].created = -1;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 created",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].created = 0;
	in[3].name.bytes = long_name;
	in[3].name.length = CONTROL_MAX_NAME + 1;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 name: 256 bytes",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].name.length = 0;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 name: empty",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].name.bytes = "a\0b";
	in[3].name.length = 3;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 name: contains a NUL",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].name.bytes = "ok";
	in[3].name.length = 2;
	in[3].state = CONTROL_STATE_COUNT;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 state: unknown value",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].state = CONTROL_STATE_STARTING;
	in[3].sha256[10] = 'Z';
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 sha256",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].sha256[10] = '0';
	in[3].errors[0].kind.bytes = "Timeout";
	in[3].errors[0].kind.length = 7;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "expected a-z, 0-9 and -",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].errors[0].kind.length = 0;
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "plugin 4 error kind: empty",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].error_count = 2;
	in[3].errors[0] = in[3].errors[1];
	CHECK_DECODE(-1, CONTROL_TO_CLIENT, "given twice",
	    control_put_plugin_list_reply(&out_, in, 4));
	in[3].error_count = 0;
	CHECK_DECODE(0, CONTROL_TO_CLIENT, NULL,
	    control_put_plugin_list_reply(&out_, in, 4));
	buffer_free(&out);
	free(name);
	free(long_name);
	free(in);
}
END_TEST

/* One kind more than an entry may hold, built by hand (the struct has
 * no room for it). */
START_TEST(test_plugin_entry_with_too_many_kinds)
{
	for (int kinds = CONTROL_MAX_KINDS; kinds <= CONTROL_MAX_KINDS + 1;
	    kinds++) {
		struct control_message m;
		struct pack p;
		msgpack_packer *pk = pack_begin(&p);

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
		msgpack_pack_map(pk, (size_t)kinds);
		for (int k = 0; k < kinds; k++) {
			char kind[8];

			snprintf(kind, sizeof(kind), "k%d", k);
			pack_str(pk, kind);
			msgpack_pack_uint8(pk, 1);
		}
		if (kinds > CONTROL_MAX_KINDS)
			PACK_REJECT(CONTROL_TO_CLIENT, &p, "plugin 1 errors: "
			    "expected a map of at most 16");
		else {
			PACK_ACCEPT(CONTROL_TO_CLIENT, &p, &m);
			ck_assert_uint_eq(m.u.list.plugins[0].error_count,
			    CONTROL_MAX_KINDS);
			msgpack_sbuffer_destroy(&p.sbuf);
		}
	}
}
END_TEST

Suite *
control_limits_suite(void)
{
	Suite *s = suite_create("control_limits");
	TCase *limits = tcase_create("limits");

	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_set_timeout(limits, 60);
	tcase_add_test(limits, test_name_limits);
	tcase_add_test(limits, test_anchor_goes_with_before_and_after);
	tcase_add_test(limits, test_byte_string_limits);
	tcase_add_test(limits, test_message_text_limits);
	tcase_add_test(limits, test_number_limits);
	tcase_add_test(limits, test_sha256_spelling);
	tcase_add_test(limits, test_plugin_list_limits);
	tcase_add_test(limits, test_plugin_entry_with_too_many_kinds);
	suite_add_tcase(s, limits);
	return s;
}
