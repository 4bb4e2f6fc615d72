/*
 * The ipc codec (ipc/wire.h), round trips: every message through the
 * encoders and back through the decoder, at the extremes of every field.
 * What the encoders put on the wire and how frames arrive are in
 * test_wire_framing.c; the byte forms a message may take in
 * test_wire_forms.c; hostile payloads in test_wire_hostile.c; the
 * per-field limits and the LOAD settings map in test_wire_limits.c.
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

static void
assert_load_equal(const struct wire_load *got, const struct wire_load *want)
{
	assert_bytes(got->plugin, want->plugin.bytes, want->plugin.length);
	assert_bytes(got->chunk_name, want->chunk_name.bytes,
	    want->chunk_name.length);
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
	char *longest_path = filled(WIRE_MAX_PATH, '/');
	/* "" for a plugin, else the name of a selftest probe. */
	const struct wire_string probes[] = { { "", 0 },
	    { longest, WIRE_MAX_NAME }, { "open-file", 9 } };
	/* The file as the user named it; "" for NAME.lua. */
	const struct wire_string paths[] = { { "x/\n\0\xff.lua", 9 },
	    { longest_path, WIRE_MAX_PATH }, { "", 0 } };
	struct wire_load load;

	for (size_t i = 0; i < 3; i++) {
		struct buffer out = { 0 };
		struct wire_message m;

		fill_load(&load);
		load.landlock = modes[i];
		load.probe = probes[i];
		load.chunk_name = paths[i];
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
		ck_assert_uint_eq(m.u.load.settings.chunk_name.length,
		    paths[i].length);
		buffer_free(&out);
	}
	free(longest);
	free(longest_path);
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

	ck_assert_int_eq(wire_put_log(&out, text, sizeof(text) - 1, 7), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_LOG);
	assert_bytes(m.u.log.text, text, sizeof(text) - 1);
	ck_assert_uint_eq(m.u.log.dropped, 7);
	buffer_free(&out);
}
END_TEST

START_TEST(test_sealed_round_trip)
{
	struct buffer out = { 0 };
	struct wire_message m;

	ck_assert_int_eq(wire_put_sealed(&out), 0);
	must_decode_frame(&out, &m);
	ck_assert_int_eq(m.type, WIRE_SEALED);
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

START_TEST(test_names)
{
	static const char *const names[] = { "unknown", "HELLO", "LOAD",
	    "READY", "REQUEST", "REPLY", "ERROR", "LOG", "VIOLATION", "PROBE",
	    "SEALED", "unknown", "unknown" };

	for (uint64_t t = 0; t < sizeof(names) / sizeof(names[0]); t++)
		ck_assert_str_eq(wire_type_name(t), names[t]);
	ck_assert_str_eq(wire_type_name(WIRE_PROBE), "PROBE");
	ck_assert_str_eq(wire_type_name(WIRE_SEALED), "SEALED");
	ck_assert_str_eq(wire_type_name(11), "unknown");
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
	tcase_add_test(round, test_sealed_round_trip);
	tcase_add_test(round, test_violation_round_trip);
	tcase_add_test(round, test_violation_syscall_range);
	tcase_add_test(round, test_micros_round_trip);
	tcase_add_test(round, test_probe_round_trip);
	tcase_add_test(round, test_names);
	suite_add_tcase(s, round);
	return s;
}
