/*
 * What a decided job becomes (supervisor/output/result.c): the workload types a
 * plugin may answer, matched without regard to case and otherwise kept
 * exactly as said (unsupported), and the output line of every kind of job,
 * byte for byte.  Jobs go through the chain with the fake target of
 * dispatch_support.h.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/buffer.h"
#include "../supervisor/engine/dispatch.h"
#include "../supervisor/engine/job.h"
#include "../supervisor/log.h"
#include "../supervisor/output/result.h"
#include "dispatch_support.h"
#include "suites.h"

/* --- workload types ------------------------------------------------------ */

START_TEST(test_supported_types_ignore_case)
{
	static const struct {
		const char *returned, *canonical;
	} cases[] = {
		{ "Deployment", "Deployment" },
		{ "deployment", "Deployment" },
		{ "DEPLOYMENT", "Deployment" },
		{ "statefulset", "StatefulSet" },
		{ "STATEFULset", "StatefulSet" },
		{ "replicaSet", "ReplicaSet" },
		{ "daemonset", "DaemonSet" },
		{ "DaemonSet", "DaemonSet" },
		{ "replicationcontroller", "ReplicationController" },
		{ "REPLICATIONCONTROLLER", "ReplicationController" },
		{ "cloneSET", "CloneSet" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct job *job = pod("u", "n", "p");
		struct buffer out = { 0 };
		const char *names[] = { "first", "second" };
		char expected[512];

		fake_init(&f, 2);
		fake_send(&f, job);
		answer(&f, job, 0, "", "");
		answer(&f, job, 1, cases[i].returned, "w");
		assert_decided(&f, job, STATUS_RESOLVED, cases[i].canonical,
		    "w", 1);
		ck_assert_str_eq(workload_type_canonical(cases[i].returned,
		    strlen(cases[i].returned)), cases[i].canonical);
		ck_assert_int_eq(format_named(&out, job, names), 0);
		snprintf(expected, sizeof(expected), "{\"uid\":\"u\","
		    "\"namespace\":\"n\",\"name\":\"p\",\"status\":"
		    "\"resolved\",\"workloadType\":\"%s\",\"workloadName\":"
		    "\"w\",\"plugin\":\"second\"}\n", cases[i].canonical);
		ck_assert_uint_eq(buffer_length(&out), strlen(expected));
		ck_assert_int_eq(memcmp(buffer_bytes(&out), expected,
		    strlen(expected)), 0);
		buffer_free(&out);
		job_free(job);
		fake_free(&f);
	}
}
END_TEST

/* Anything else is unsupported, and kept exactly as the plugin said it
 * (a type that is not text at all is a bad-return: test_dispatch.c). */
START_TEST(test_other_types_are_unsupported)
{
	static const struct {
		const char *type;
		size_t length;
	} cases[] = {
		{ "Job", 3 },
		{ "Pod", 3 },
		{ "Deployments", 11 },
		{ "Deploymen", 9 },
		{ " Deployment", 11 },
		{ "Deployment ", 11 },
		{ "Deplo-ment", 10 },		/* right length, not the word */
		{ "Stateful Set", 12 },
		{ "StatefulSet\xc3\xa9", 13 },
		{ "D\xc3\xa9ployment", 11 },
		{ "\xef\xbb\xbf" "Deployment", 13 },	/* a BOM first */
		{ "CloneSet-", 9 },
		{ "CronJob", 7 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct job *job = pod("u", "n", "p");
		static const char name[] = "n \xe2\x82\xacx";

		fake_init(&f, 1);
		fake_send(&f, job);
		answer_bytes(&f, job, 0, cases[i].type, cases[i].length, name,
		    sizeof(name) - 1);
		ck_assert_uint_eq(f.done_count, 1);
		ck_assert_msg(job->status == STATUS_UNSUPPORTED, "case %zu",
		    i);
		ck_assert_uint_eq(job->type_length, cases[i].length);
		ck_assert_int_eq(memcmp(job->type, cases[i].type,
		    cases[i].length), 0);
		ck_assert_uint_eq(job->workload_length, sizeof(name) - 1);
		ck_assert_int_eq(memcmp(job->workload, name, sizeof(name) - 1),
		    0);
		ck_assert_uint_eq(job->decided_by, 0);
		ck_assert_ptr_null(workload_type_canonical(cases[i].type,
		    cases[i].length));
		job_free(job);
		fake_free(&f);
	}
}
END_TEST

START_TEST(test_canonical_type_reads_only_its_length)
{
	/* The length given is the type: what follows does not count. */
	ck_assert_str_eq(workload_type_canonical("DaemonSetX", 9),
	    "DaemonSet");
	ck_assert_ptr_null(workload_type_canonical("DaemonSet", 8));
	ck_assert_ptr_null(workload_type_canonical("", 0));
}
END_TEST

/* --- result lines -------------------------------------------------------- */

static const char *const plugin_names[] = { "10-opengauss", "20-owner",
    "30-last" };

/* The job's line must be exactly expected (newline included). */
static void
assert_line(struct job *job, const char *const *names,
    const char *expected)
{
	struct buffer out = { 0 };
	size_t length = strlen(expected);

	ck_assert_int_eq(format_named(&out, job, names), 0);
	ck_assert_msg(buffer_length(&out) == length &&
	    memcmp(buffer_bytes(&out), expected, length) == 0,
	    "\ngot      %.*s\nexpected %s", (int)buffer_length(&out),
	    buffer_bytes(&out), expected);
	buffer_free(&out);
}

START_TEST(test_line_resolved)
{
	struct fake f;
	struct job *job = pod("8f3c-11", "db", "ogtest-0");

	fake_init(&f, 3);
	fake_send(&f, job);
	answer(&f, job, 0, "statefulset", "ogtest");
	assert_line(job, plugin_names, "{\"uid\":\"8f3c-11\",\"namespace\":"
	    "\"db\",\"name\":\"ogtest-0\",\"status\":\"resolved\","
	    "\"workloadType\":\"StatefulSet\",\"workloadName\":\"ogtest\","
	    "\"plugin\":\"10-opengauss\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_line_with_errors)
{
	struct fake f;
	struct job *job = pod("u", "ns", "n");

	fake_init(&f, 3);
	f.states[1] = PLUGIN_LOAD_FAILED;
	f.reasons[1] = "20-owner.lua:1: '=' expected near 'x'";
	fake_send(&f, job);
	plugin_fails(&f, job, 0, ERROR_ERROR, "10-opengauss.lua:4: attempt "
	    "to index a nil value (field 'x')");
	answer(&f, job, 2, "MyKind", "mk");
	assert_line(job, plugin_names, "{\"uid\":\"u\",\"namespace\":\"ns\","
	    "\"name\":\"n\",\"status\":\"unsupported\",\"workloadType\":"
	    "\"MyKind\",\"workloadName\":\"mk\",\"plugin\":\"30-last\","
	    "\"errors\":[{\"plugin\":\"10-opengauss\",\"kind\":\"error\","
	    "\"message\":\"10-opengauss.lua:4: attempt to index a nil value "
	    "(field 'x')\"},{\"plugin\":\"20-owner\",\"kind\":\"load\","
	    "\"message\":\"20-owner.lua:1: '=' expected near 'x'\"}],"
	    "\"error\":\"\\\"MyKind\\\" is not a workload type luaward "
	    "accepts (Deployment, StatefulSet, ReplicaSet, DaemonSet, "
	    "ReplicationController, CloneSet)\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

/* An unsupported line says why no one downstream will use its answer:
 * what was returned, and the six types that would have been.  It is an
 * explanation on the line, not an error of the plugin's: no "errors". */
START_TEST(test_line_unsupported_names_the_accepted_types)
{
	struct fake f;
	struct job *job = pod("u", "db", "og-0");

	fake_init(&f, 1);
	fake_send(&f, job);
	answer(&f, job, 0, "StatefulSets", "og");
	assert_line(job, plugin_names, "{\"uid\":\"u\",\"namespace\":\"db\","
	    "\"name\":\"og-0\",\"status\":\"unsupported\",\"workloadType\":"
	    "\"StatefulSets\",\"workloadName\":\"og\",\"plugin\":"
	    "\"10-opengauss\",\"error\":\"\\\"StatefulSets\\\" is not a "
	    "workload type luaward accepts (Deployment, StatefulSet, "
	    "ReplicaSet, DaemonSet, ReplicationController, CloneSet)\"}\n");
	ck_assert_uint_eq(job->error_count, 0);
	job_free(job);
	fake_free(&f);
}
END_TEST

/* The reason repeats at most 64 bytes of a long type (the line has it
 * whole), cut before a character, never inside one. */
START_TEST(test_line_unsupported_cuts_a_long_type_on_a_character)
{
	struct fake f;
	struct job *job = pod("u", "n", "p");
	char type[81], expected[1024];

	/* 'x' then forty two-byte characters: byte 64 is inside one. */
	type[0] = 'x';
	for (size_t i = 0; i < 40; i++)
		memcpy(type + 1 + 2 * i, "\xc3\xa9", 2);
	fake_init(&f, 1);
	fake_send(&f, job);
	answer_bytes(&f, job, 0, type, sizeof(type), "n", 1);
	ck_assert_int_eq(job->status, STATUS_UNSUPPORTED);
	snprintf(expected, sizeof(expected), "{\"uid\":\"u\",\"namespace\":"
	    "\"n\",\"name\":\"p\",\"status\":\"unsupported\",\"workloadType\":"
	    "\"%.81s\",\"workloadName\":\"n\",\"plugin\":\"10-opengauss\","
	    "\"error\":\"\\\"%.63s...\\\" is not a workload type luaward "
	    "accepts (Deployment, StatefulSet, ReplicaSet, DaemonSet, "
	    "ReplicationController, CloneSet)\"}\n", type, type);
	assert_line(job, plugin_names, expected);
	job_free(job);
	fake_free(&f);
}
END_TEST

/* Every kind in docs/contract.md's words, on an unresolved record. */
START_TEST(test_line_error_kinds)
{
	static const struct {
		enum error_kind kind;
		const char *name;
	} kinds[] = {
		{ ERROR_TIMEOUT, "timeout" }, { ERROR_MEMORY, "memory" },
		{ ERROR_ERROR, "error" }, { ERROR_CRASH, "crash" },
		{ ERROR_SANDBOX, "sandbox" },
		{ ERROR_BAD_RETURN, "bad-return" },
		{ ERROR_QUARANTINED, "quarantined" }, { ERROR_LOAD, "load" },
	};
	const char *const names[] = { "p0", "p1", "p2", "p3", "p4", "p5",
	    "p6", "p7" };
	struct fake f;
	struct job *job = pod("", "", "");
	char expected[2048];
	size_t used;

	fake_init(&f, 8);
	fake_send(&f, job);
	for (size_t i = 0; i < 8; i++)
		plugin_fails(&f, job, i, kinds[i].kind, "m");
	ck_assert_int_eq(job->status, STATUS_UNRESOLVED);
	used = (size_t)snprintf(expected, sizeof(expected), "{\"uid\":\"\","
	    "\"namespace\":\"\",\"name\":\"\",\"status\":\"unresolved\","
	    "\"workloadType\":\"\",\"workloadName\":\"\",\"plugin\":\"\","
	    "\"errors\":[");
	for (size_t i = 0; i < 8; i++)
		used += (size_t)snprintf(expected + used, sizeof(expected) -
		    used, "%s{\"plugin\":\"p%zu\",\"kind\":\"%s\","
		    "\"message\":\"m\"}", i > 0 ? "," : "", i, kinds[i].name);
	snprintf(expected + used, sizeof(expected) - used, "]}\n");
	assert_line(job, names, expected);
	for (size_t i = 0; i < 8; i++) {
		ck_assert_str_eq(error_kind_name(kinds[i].kind),
		    kinds[i].name);
		ck_assert_int_eq(error_kind_parse(kinds[i].name,
		    strlen(kinds[i].name)), kinds[i].kind);
	}
	ck_assert_int_eq(error_kind_parse("Timeout", 7), -1);
	ck_assert_int_eq(error_kind_parse("timeouts", 8), -1);
	ck_assert_int_eq(error_kind_parse("time", 4), -1);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_line_unresolved)
{
	struct fake f;
	struct job *job = pod("u-1", "kube-system", "coredns-x");

	fake_init(&f, 1);
	fake_send(&f, job);
	answer(&f, job, 0, "", "");
	assert_line(job, plugin_names, "{\"uid\":\"u-1\",\"namespace\":"
	    "\"kube-system\",\"name\":\"coredns-x\",\"status\":\"unresolved\","
	    "\"workloadType\":\"\",\"workloadName\":\"\",\"plugin\":\"\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_line_invalid)
{
	struct fake f;
	struct job *job = invalid_record("pods.json:3: byte 17: expected "
	    "',' or '}' after \"a\"");

	fake_init(&f, 2);
	fake_send(&f, job);
	assert_line(job, plugin_names, "{\"uid\":\"\",\"namespace\":\"\","
	    "\"name\":\"\",\"status\":\"invalid\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\",\"error\":"
	    "\"pods.json:3: byte 17: expected ',' or '}' after \\\"a\\\"\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

/* Missing identity fields print as "". */
START_TEST(test_line_missing_identity)
{
	struct fake f;
	struct job *job = pod(NULL, NULL, "only-name");

	fake_init(&f, 1);
	fake_send(&f, job);
	answer(&f, job, 0, "Deployment", "d");
	assert_line(job, plugin_names, "{\"uid\":\"\",\"namespace\":\"\","
	    "\"name\":\"only-name\",\"status\":\"resolved\",\"workloadType\":"
	    "\"Deployment\",\"workloadName\":\"d\",\"plugin\":"
	    "\"10-opengauss\"}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

/*
 * Whatever bytes come in, the line is valid JSON: quotes, backslashes and
 * control bytes escaped, valid UTF-8 kept, and every byte that is not part
 * of valid UTF-8 replaced by U+FFFD.  (A plugin's answer with such bytes
 * never decides, test_dispatch.c: the job is made by hand here.)
 */
START_TEST(test_line_escapes_hostile_bytes)
{
	static const char type[] = "T\0\"\\\xff";
	static const char workload[] =
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"	/* é € 😀: kept */
	    "\xc0\xaf"					/* overlong '/' */
	    "\xed\xa0\x80"				/* a surrogate */
	    "\xf4\x90\x80\x80"				/* past U+10FFFF */
	    "\xe2\x82x"					/* cut short */
	    "\x80\xbf"					/* lone continuations */
	    "\x7f"					/* DEL: allowed */
	    "\xe2\x82";					/* cut by the end */
	const char *const names[] = { "we\"ird\\name\n" };
	struct job *job = pod("a\"b\\c", "\n\r\t\b\f", "\x01\x1f ~");

	job->chain = chain_of_names(names, 1);
	job->status = STATUS_UNSUPPORTED;
	job_set_answer(job, type, sizeof(type) - 1, workload,
	    sizeof(workload) - 1);
	job->decided_by = 0;
	assert_line(job, names, "{\"uid\":\"a\\\"b\\\\c\",\"namespace\":"
	    "\"\\n\\r\\t\\b\\f\",\"name\":\"\\u0001\\u001f ~\",\"status\":"
	    "\"unsupported\",\"workloadType\":\"T\\u0000\\\"\\\\\\ufffd\","
	    "\"workloadName\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\\ufffd\\ufffd" "\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\ufffd" "\\ufffd\\ufffdx"
	    "\\ufffd\\ufffd" "\x7f" "\\ufffd\\ufffd\","
	    "\"plugin\":\"we\\\"ird\\\\name\\n\",\"error\":\"\\\"T\\u0000"
	    "\\\"\\\\\\ufffd\\\" is not a workload type luaward accepts "
	    "(Deployment, StatefulSet, ReplicaSet, DaemonSet, "
	    "ReplicationController, CloneSet)\"}\n");
	job_free(job);
}
END_TEST

START_TEST(test_line_escapes_error_messages)
{
	const char *const names[] = { "p\xff" };
	struct fake f;
	struct job *job = pod("u", "n", "p");

	fake_init(&f, 1);
	fake_send(&f, job);
	plugin_fails(&f, job, 0, ERROR_ERROR, "bad \"x\"\n\x02\xfe end");
	assert_line(job, names, "{\"uid\":\"u\",\"namespace\":\"n\",\"name\":"
	    "\"p\",\"status\":\"unresolved\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\",\"errors\":[{\"plugin\":"
	    "\"p\\ufffd\",\"kind\":\"error\",\"message\":\"bad \\\"x\\\"\\n"
	    "\\u0002\\ufffd end\"}]}\n");
	job_free(job);
	fake_free(&f);
}
END_TEST

/* A line is appended after what the buffer holds. */
START_TEST(test_line_appends)
{
	struct fake f;
	struct job *job = pod("u", "n", "p");
	struct buffer out = { 0 };
	static const char first[] = "{\"uid\":\"u\",\"namespace\":\"n\","
	    "\"name\":\"p\",\"status\":\"resolved\",\"workloadType\":"
	    "\"DaemonSet\",\"workloadName\":\"d\",\"plugin\":\"10-opengauss\"}"
	    "\n";

	fake_init(&f, 1);
	fake_send(&f, job);
	answer(&f, job, 0, "daemonset", "d");
	ck_assert_int_eq(buffer_append(&out, "previous\n", 9), 0);
	ck_assert_int_eq(format_named(&out, job, plugin_names), 0);
	ck_assert_int_eq(format_named(&out, job, plugin_names), 0);
	ck_assert_uint_eq(buffer_length(&out), 9 + 2 * (sizeof(first) - 1));
	ck_assert_int_eq(memcmp(buffer_bytes(&out), "previous\n", 9), 0);
	ck_assert_int_eq(memcmp(buffer_bytes(&out) + 9, first,
	    sizeof(first) - 1), 0);
	ck_assert_int_eq(memcmp(buffer_bytes(&out) + 9 + sizeof(first) - 1,
	    first, sizeof(first) - 1), 0);
	buffer_free(&out);
	job_free(job);
	fake_free(&f);
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(job_status_name(STATUS_RESOLVED), "resolved");
	ck_assert_str_eq(job_status_name(STATUS_UNRESOLVED), "unresolved");
	ck_assert_str_eq(job_status_name(STATUS_UNSUPPORTED), "unsupported");
	ck_assert_str_eq(job_status_name(STATUS_INVALID), "invalid");
}
END_TEST

Suite *
result_suite(void)
{
	Suite *s = suite_create("result");
	TCase *types = tcase_create("workload types");
	TCase *lines = tcase_create("result lines");

	tcase_add_test(types, test_supported_types_ignore_case);
	tcase_add_test(types, test_other_types_are_unsupported);
	tcase_add_test(types, test_canonical_type_reads_only_its_length);
	suite_add_tcase(s, types);

	tcase_add_test(lines, test_line_resolved);
	tcase_add_test(lines, test_line_with_errors);
	tcase_add_test(lines, test_line_unsupported_names_the_accepted_types);
	tcase_add_test(lines,
	    test_line_unsupported_cuts_a_long_type_on_a_character);
	tcase_add_test(lines, test_line_error_kinds);
	tcase_add_test(lines, test_line_unresolved);
	tcase_add_test(lines, test_line_invalid);
	tcase_add_test(lines, test_line_missing_identity);
	tcase_add_test(lines, test_line_escapes_hostile_bytes);
	tcase_add_test(lines, test_line_escapes_error_messages);
	tcase_add_test(lines, test_line_appends);
	tcase_add_test(lines, test_status_names);
	suite_add_tcase(s, lines);
	return s;
}
