/*
 * Help and version: `luaward help COMMAND` is `luaward COMMAND --help`, one
 * version line whatever asks for it, and every short option listed in the
 * help of exactly the commands that take it.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/control.h"
#include "../ipc/wire.h"
#include "helpers.h"
#include "suites.h"

static const char *const commands[] = { "resolve", "policy", "check",
    "selftest", "serve", "plugin", "query", "stats", "test" };
#define COMMAND_COUNT	(sizeof(commands) / sizeof(commands[0]))

START_TEST(test_help_command_is_command_help)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		struct run_result help, direct;

		run_luaward(&help, NULL, 0, 30, "help", commands[i], NULL);
		run_luaward(&direct, NULL, 0, 30, commands[i], "--help", NULL);
		ck_assert_msg(help.status == 0, "help %s: %d %s", commands[i],
		    help.status, help.err);
		ck_assert_int_eq(direct.status, 0);
		ck_assert_str_eq(help.err, "");
		ck_assert_uint_eq(help.out_length, direct.out_length);
		ck_assert_mem_eq(help.out, direct.out, help.out_length);
		/* It is that command's help, not the overview. */
		ck_assert_msg(strstr(help.out, "usage: luaward ") == help.out &&
		    strncmp(help.out + 15, commands[i],
		    strlen(commands[i])) == 0, "%s", help.out);
		run_result_free(&help);
		run_result_free(&direct);
	}
}
END_TEST

START_TEST(test_help_alone_is_the_overview)
{
	struct run_result help, direct;

	run_luaward(&help, NULL, 0, 30, "help", NULL);
	run_luaward(&direct, NULL, 0, 30, "--help", NULL);
	ck_assert_int_eq(help.status, 0);
	ck_assert_str_eq(help.out, direct.out);
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		ck_assert_msg(strstr(help.out, commands[i]) != NULL,
		    "the overview lacks %s", commands[i]);
	ck_assert_ptr_nonnull(strstr(help.out, "luaward help COMMAND"));
	run_result_free(&help);
	run_result_free(&direct);
}
END_TEST

START_TEST(test_help_of_an_unknown_command_is_a_usage_error)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "help", "resolv", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "luaward: help: unknown command 'resolv' "
	    "(see luaward --help)\n");
	run_result_free(&r);

	run_luaward(&r, NULL, 0, 30, "help", "resolve", "check", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "luaward: help takes one COMMAND, not "
	    "'check' too (see luaward --help)\n");
	run_result_free(&r);
}
END_TEST

/* -V, --version and every COMMAND --version print the same line, which
 * names the protocols this build speaks. */
START_TEST(test_every_version_flag_prints_one_line)
{
	char *expected;
	struct run_result r;

	ck_assert_int_ne(asprintf(&expected, "(worker protocol %d, control "
	    "protocol %d)\n", WIRE_PROTOCOL_VERSION, CONTROL_PROTOCOL_VERSION),
	    -1);
	run_luaward(&r, NULL, 0, 30, "--version", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(count_lines(r.out), 1);
	ck_assert_msg(strncmp(r.out, "luaward ", 8) == 0 &&
	    strstr(r.out, expected) != NULL, "%s", r.out);
	{
		struct run_result v;

		run_luaward(&v, NULL, 0, 30, "-V", NULL);
		ck_assert_int_eq(v.status, 0);
		ck_assert_str_eq(v.out, r.out);
		run_result_free(&v);
	}
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		for (int form = 0; form < 2; form++) {
			struct run_result c;

			run_luaward(&c, NULL, 0, 30, commands[i], form == 0 ?
			    "--version" : "-V", NULL);
			ck_assert_msg(c.status == 0, "%s: %s", commands[i],
			    c.err);
			ck_assert_str_eq(c.out, r.out);
			run_result_free(&c);
		}
	run_result_free(&r);
	free(expected);
}
END_TEST

/*
 * A short option is listed in a command's help exactly when the command
 * takes it: `COMMAND -x --help` shows the help when -x is taken and is a
 * usage error naming -x when it is not.
 */
START_TEST(test_short_options_are_listed_where_they_are_taken)
{
	static const struct {
		const char	*flag;
		const char	*listed;
		const char	*with_value;	/* NULL: a flag */
	} shorts[] = {
		{ "-v", "-v, --verbose", NULL },
		{ "-o", "-o, --output FORMAT", "json" },
		{ "-h", "-h, --help", NULL },
		{ "-V", "-V, --version", NULL },
	};
	static const char *const verbose[] = { "resolve", "check", "selftest",
	    "serve", "test" };
	size_t verbose_seen = 0;

	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		struct run_result help;

		run_luaward(&help, NULL, 0, 30, commands[i], "--help", NULL);
		for (size_t k = 0; k < sizeof(shorts) / sizeof(shorts[0]);
		    k++) {
			struct run_result r;
			bool listed = strstr(help.out, shorts[k].listed) !=
			    NULL;

			/* -h and -V print and exit by themselves; the others
			 * are followed by --help, so that nothing runs. */
			if (shorts[k].with_value != NULL)
				run_luaward(&r, NULL, 0, 30, commands[i],
				    shorts[k].flag, shorts[k].with_value,
				    "--help", NULL);
			else if (shorts[k].flag[1] == 'v')
				run_luaward(&r, NULL, 0, 30, commands[i],
				    shorts[k].flag, "--help", NULL);
			else
				run_luaward(&r, NULL, 0, 30, commands[i],
				    shorts[k].flag, NULL);
			ck_assert_msg(listed == (r.status == 0), "%s %s: "
			    "listed %d, status %d: %s", commands[i],
			    shorts[k].flag, listed, r.status, r.err);
			if (!listed)
				ck_assert_msg(strstr(r.err, shorts[k].flag) !=
				    NULL, "%s", r.err);
			if (shorts[k].flag[1] == 'h' || shorts[k].flag[1] ==
			    'V')
				ck_assert_msg(listed, "%s lacks %s",
				    commands[i], shorts[k].listed);
			run_result_free(&r);
		}
		for (size_t v = 0; v < sizeof(verbose) / sizeof(verbose[0]);
		    v++)
			if (strcmp(commands[i], verbose[v]) == 0) {
				ck_assert_msg(strstr(help.out,
				    "-v, --verbose") != NULL, "%s",
				    commands[i]);
				verbose_seen++;
			}
		run_result_free(&help);
	}
	ck_assert_uint_eq(verbose_seen, 5);
}
END_TEST

Suite *
cli_help_suite(void)
{
	Suite *s = suite_create("cli_help");
	TCase *t = tcase_create("help and version");

	tcase_set_timeout(t, 300);
	tcase_add_test(t, test_help_command_is_command_help);
	tcase_add_test(t, test_help_alone_is_the_overview);
	tcase_add_test(t, test_help_of_an_unknown_command_is_a_usage_error);
	tcase_add_test(t, test_every_version_flag_prints_one_line);
	tcase_add_test(t, test_short_options_are_listed_where_they_are_taken);
	suite_add_tcase(s, t);
	return s;
}
