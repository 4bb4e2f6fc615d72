/*
 * The ipc codec (ipc/wire.h) at its limits: every field's bound, accepted
 * at the bound and refused one past it; and LOAD's settings map, which
 * must hold exactly its twelve keys, once each, each with a value of its
 * type.
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
	CHECK_DECODE(0, wire_put_log(&out_, big, WIRE_MAX_TEXT, 0));
	CHECK_DECODE(-1, wire_put_log(&out_, big, WIRE_MAX_TEXT + 1, 0));
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
v_path_longest(msgpack_packer *pk)
{
	char *path = filled(WIRE_MAX_PATH, 'd');

	pack_str(pk, path);
	free(path);
}

static void
v_path_too_long(msgpack_packer *pk)
{
	char *path = filled(WIRE_MAX_PATH + 1, 'd');

	pack_str(pk, path);
	free(path);
}

static void
v_probe_too_long(msgpack_packer *pk)
{
	char *name = filled(WIRE_MAX_NAME + 1, 'q');

	pack_str(pk, name);
	free(name);
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

	/* The file as the user named it: "" for NAME.lua, a path up to
	 * PATH_MAX bytes. */
	pack_load(&p, NULL, NULL, NULL, NULL, NULL);
	PACK_ACCEPT(&p, &m);
	assert_string(m.u.load.settings.chunk_name, "plugins/p.lua");
	msgpack_sbuffer_destroy(&p.sbuf);
	pack_load(&p, NULL, NULL, NULL, "chunk_name", v_empty_str);
	PACK_ACCEPT(&p, &m);
	ck_assert_uint_eq(m.u.load.settings.chunk_name.length, 0);
	msgpack_sbuffer_destroy(&p.sbuf);
	pack_load(&p, NULL, NULL, NULL, "chunk_name", v_path_longest);
	PACK_ACCEPT(&p, &m);
	ck_assert_uint_eq(m.u.load.settings.chunk_name.length, WIRE_MAX_PATH);
	msgpack_sbuffer_destroy(&p.sbuf);
}
END_TEST

/* The settings map has exactly the twelve keys wire.h's struct wire_load
 * holds, and each is required: without any one of them (the eleven before
 * "chunk_name" included), LOAD is refused naming it. */
_Static_assert(LOAD_KEYS == 12, "struct wire_load has twelve settings");

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
	/* An unknown key in place of a known one, the last one included. */
	pack_load(&p, "landlock", "sandbox", NULL, NULL, NULL);
	PACK_REJECT(&p, "sandbox");
	pack_load(&p, "probe", "sandbox", NULL, NULL, NULL);
	PACK_REJECT(&p, "sandbox");
}
END_TEST

/* The message naming an unknown key shows it as printable ASCII, other
 * bytes as \xNN, and bounded: the key is the peer's, and the message can
 * reach the operator's terminal. */
START_TEST(test_load_unknown_key_is_shown_escaped)
{
	char *control = filled(WIRE_MAX_NAME, '\x01');
	struct pack p;

	pack_load(&p, NULL, "\x1b]0;owned\x07\n'\\\xff", NULL, NULL, NULL);
	PACK_REJECT(&p, "unknown key '\\x1b]0;owned\\x07\\x0a\\x27\\x5c"
	    "\\xff'");
	pack_load(&p, NULL, control, NULL, NULL, NULL);
	ck_assert_int_eq(decode_copy(p.sbuf.data, p.sbuf.size), -1);
	msgpack_sbuffer_destroy(&p.sbuf);
	ck_assert_msg(strstr(error, "'\\x01\\x01") != NULL &&
	    strstr(error, "\\x01...'") != NULL, "%s", error);
	ck_assert_uint_lt(strlen(error), 200);
	for (const char *c = error; *c != '\0'; c++)
		ck_assert_msg(*c >= 0x20 && *c < 0x7f, "byte 0x%02x in '%s'",
		    (unsigned char)*c, error);
	free(control);
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
		{ "chunk_name", v_uint }, { "chunk_name", v_nil },
		{ "chunk_name", v_path_too_long },
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

Suite *
wire_limits_suite(void)
{
	Suite *s = suite_create("wire_limits");
	TCase *limits = tcase_create("limits");

	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_set_timeout(limits, 30);
	tcase_add_test(limits, test_field_limits);
	tcase_add_test(limits, test_probe_limits);
	tcase_add_test(limits, test_ready_list_limits);
	tcase_add_test(limits, test_load_field_limits);
	tcase_add_test(limits, test_load_unknown_key_is_shown_escaped);
	tcase_add_test(limits, test_seccomp_filter_length);
	tcase_add_test(limits, test_load_settings_by_hand);
	tcase_add_test(limits, test_load_missing_keys);
	tcase_add_test(limits, test_load_duplicate_keys);
	tcase_add_test(limits, test_load_unknown_keys);
	tcase_add_test(limits, test_load_wrong_values);
	tcase_add_test(limits, test_load_key_not_a_string);
	suite_add_tcase(s, limits);
	return s;
}
