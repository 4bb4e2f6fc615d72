/*
 * The command line: help that answers questions, one-line reasons and
 * status 2 for anything wrong, found before a single record is read.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "suites.h"

/* Exactly one line on stderr, saying `part`, status 2, nothing on stdout. */
static void
expect_usage_error(const struct run_result *r, const char *part)
{
	ck_assert_msg(r->status == 2, "status %d, stderr %s", r->status,
	    r->err);
	ck_assert_str_eq(r->out, "");
	ck_assert_uint_eq(count_lines(r->err), 1);
	ck_assert_msg(strstr(r->err, part) != NULL, "stderr '%s' lacks '%s'",
	    r->err, part);
}

START_TEST(test_help_lists_every_command)
{
	static const char *const commands[] = { "resolve", "policy", "check",
	    "selftest" };
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		ck_assert_ptr_nonnull(strstr(r.out, commands[i]));
	run_result_free(&r);
}
END_TEST

START_TEST(test_version)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "--version", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strncmp(r.out, "luaward ", 8) == 0, "%s", r.out);
	run_result_free(&r);
}
END_TEST

START_TEST(test_resolve_help_documents_every_option)
{
	static const char *const options[] = { "--plugins", "--timeout",
	    "--load-timeout", "--memory", "--workers", "--max-restarts",
	    "--restart-window", "--restart-delay", "--max-record-size",
	    "--max-depth", "--stats", "--policy", "--worker", "--user",
	    "--worker-uids", "--namespaces", "--landlock", "--verbose",
	    "--help", "Exit status" };
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "resolve", "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		ck_assert_msg(strstr(r.out, options[i]) != NULL,
		    "resolve --help lacks %s", options[i]);
	run_result_free(&r);
}
END_TEST

/* Whether the manual page has `.Fl -name` (or `Fl -name` inside a line),
 * not merely a longer option that starts with it. */
static bool
manual_has_option(const char *page, const char *name)
{
	size_t length = strlen(name);

	for (const char *p = page; (p = strstr(p, "Fl -")) != NULL; p += 4)
		if (strncmp(p + 4, name, length) == 0 &&
		    strchr("abcdefghijklmnopqrstuvwxyz0123456789-",
		    p[4 + length]) == NULL)
			return true;
	return false;
}

/* Every command `luaward --help` lists is in docs/luaward.1, and so is
 * every option its `luaward COMMAND --help` lists, so the page cannot
 * fall behind the option table. */
START_TEST(test_manual_documents_every_command_and_option)
{
	char *page = read_source_file("docs/luaward.1", NULL);
	struct run_result top;
	const char *line;
	size_t commands = 0, options = 0;

	run_luaward(&top, NULL, 0, 30, "--help", NULL);
	ck_assert_int_eq(top.status, 0);
	line = strstr(top.out, "commands:\n");
	ck_assert_ptr_nonnull(line);
	for (line = strchr(line, '\n') + 1; strncmp(line, "  ", 2) == 0;
	    line = strchr(line, '\n') + 1) {
		char command[32], macro[64];
		struct run_result r;
		const char *option;

		ck_assert_int_eq(sscanf(line, "%31s", command), 1);
		snprintf(macro, sizeof(macro), "\n.Cm %s", command);
		ck_assert_msg(strstr(page, macro) != NULL, "docs/luaward.1 "
		    "has no .Cm %s", command);
		commands++;
		run_luaward(&r, NULL, 0, 30, command, "--help", NULL);
		ck_assert_msg(r.status == 0, "%s --help: %d", command,
		    r.status);
		for (option = r.out; (option = strstr(option, "\n  --")) !=
		    NULL; option += 5) {
			char name[64];

			ck_assert_int_eq(sscanf(option + 5,
			    "%63[a-z0-9-]", name), 1);
			ck_assert_msg(manual_has_option(page, name),
			    "docs/luaward.1 lacks --%s (luaward %s --help)",
			    name, command);
			options++;
		}
		run_result_free(&r);
	}
	/* The listing was read at all. */
	ck_assert_uint_ge(commands, 8);
	ck_assert_uint_ge(options, 40);
	run_result_free(&top);
	free(page);
}
END_TEST

START_TEST(test_no_command_is_a_usage_error)
{
	const char *const none[] = { NULL };
	struct run_result r;

	run_luaward_argv(&r, NULL, 0, 30, none);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "usage: luaward COMMAND"));
	run_result_free(&r);
}
END_TEST

START_TEST(test_unknown_command)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "resolv", NULL);
	expect_usage_error(&r, "unknown command 'resolv'");
	run_result_free(&r);
}
END_TEST

START_TEST(test_unknown_flag_before_any_record)
{
	struct run_result r;

	/* A record on stdin: it must not be read, let alone answered. */
	run_luaward(&r, "{}\n", 3, 30, "resolve", "--frobnicate", NULL);
	expect_usage_error(&r, "unknown option --frobnicate");
	run_result_free(&r);
}
END_TEST

START_TEST(test_flag_missing_its_value)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "resolve", "--timeout", NULL);
	expect_usage_error(&r, "--timeout needs a value");
	run_result_free(&r);
}
END_TEST

START_TEST(test_bad_numbers_and_modes)
{
	static const char *const cases[][3] = {
		{ "--timeout", "ten", "'ten' is not a number" },
		{ "--timeout", "-5", "'-5' is not a number" },
		{ "--memory", "0", "'0' is not a number from 1 to 1048576" },
		{ "--workers", "999", "'999' is not a number from 1 to 64" },
		{ "--namespaces", "maybe", "'maybe' is not auto, require or off" },
		{ "--landlock", "on", "'on' is not auto, require or off" },
		{ "--stats", "=xml", "--stats takes no value or =json" },
		{ "--load-timeout", "0", "'0' is not a number from 1 to 3600000" },
		{ "--workers", "0", "'0' is not a number from 1 to 64" },
		{ "--max-record-size", "1",
		    "'1' is not a number from 2 to 3145728" },
		{ "--max-depth", "0", "'0' is not a number from 1 to 100000" },
		{ "--user", "nosuchuser", "--user nosuchuser: no such user" },
		{ "--user", "root", "--user root: workers never run as root "
		    "or with gid 0" },
		{ "--worker-uids", "5000", "'5000' is not FIRST-LAST or off" },
		{ "--worker-uids", "9-8", "'9-8' ends before it starts" },
		{ "--worker-uids", "0-10", "'0' is not a number from 1 to "
		    "2147483647" },
		{ "--worker-uids", "100-2147483648", "'2147483648' is not a "
		    "number from 1 to 2147483647" },
		{ "--worker-uids", "60000-70000", "'60000-70000' holds 65534 "
		    "(nobody) or 65535" },
		{ "--worker-uids", "-5", "'' is not a number" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_result r;
		char *joined;

		if (cases[i][1][0] == '=') {
			ck_assert_int_ne(asprintf(&joined, "%s%s", cases[i][0],
			    cases[i][1]), -1);
			run_luaward(&r, "{}\n", 3, 30, "resolve", joined, NULL);
			free(joined);
		} else
			run_luaward(&r, "{}\n", 3, 30, "resolve", cases[i][0],
			    cases[i][1], NULL);
		expect_usage_error(&r, cases[i][2]);
		run_result_free(&r);
	}
}
END_TEST

START_TEST(test_unreadable_input_file)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "resolve", "examples/pods.json",
	    "/nonexistent/pods.json", NULL);
	expect_usage_error(&r, "cannot read /nonexistent/pods.json: No such "
	    "file or directory");
	run_result_free(&r);
}
END_TEST

START_TEST(test_directory_as_input)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "resolve", "plugins", NULL);
	expect_usage_error(&r, "cannot read plugins: it is a directory");
	run_result_free(&r);
}
END_TEST

START_TEST(test_unreadable_plugin_directory)
{
	struct run_result r;

	run_luaward(&r, "{}\n", 3, 30, "resolve", "--plugins",
	    "/nonexistent", NULL);
	expect_usage_error(&r, "cannot read plugin directory /nonexistent");
	run_result_free(&r);
}
END_TEST

START_TEST(test_unusable_worker_binary)
{
	struct run_result r;

	run_luaward(&r, "{}\n", 3, 30, "resolve", "--worker",
	    "/nonexistent/worker", NULL);
	expect_usage_error(&r, "cannot use worker binary /nonexistent/worker");
	run_result_free(&r);
}
END_TEST

START_TEST(test_bad_policy_stops_before_any_worker)
{
	char *dir = temp_dir();
	static const char text[] = "default trap -- x\n"
	    "read fd == 0 -- requests\nopenz -- typo\n";
	char *policy = write_text(dir, "bad.policy", text);
	struct run_result r;

	run_luaward(&r, "{}\n", 3, 30, "resolve", "--policy", policy, NULL);
	expect_usage_error(&r, "bad.policy:3: unknown syscall 'openz'");
	run_result_free(&r);
	free(policy);
	free(dir);
}
END_TEST

START_TEST(test_empty_plugin_directory_warns_and_resolves_nothing)
{
	char *dir = temp_dir();
	struct run_result r;

	run_luaward(&r, "{\"name\":\"p\"}\n", 13, 30, "resolve", "--plugins",
	    dir, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"p\",\"status\":\"unresolved\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\"}\n");
	ck_assert_ptr_nonnull(strstr(r.err, "no *.lua plugins"));
	run_result_free(&r);
	free(dir);
}
END_TEST

START_TEST(test_policy_show_prints_rules_and_filter)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "policy", "show", NULL);
	ck_assert_int_eq(r.status, 0);
	/* The rules as written, with their reasons... */
	ck_assert_ptr_nonnull(strstr(r.out, "read             fd == 0"));
	ck_assert_ptr_nonnull(strstr(r.out, "requests arrive on stdin only"));
	ck_assert_ptr_nonnull(strstr(r.out, "(prot & PROT_EXEC) == 0"));
	/* ...then what the kernel runs. */
	ck_assert_ptr_nonnull(strstr(r.out, "pseudo filter code start"));
	ck_assert_ptr_nonnull(strstr(r.out, "if ($syscall == 0)"));
	ck_assert_ptr_nonnull(strstr(r.out, "action TRAP;"));
	ck_assert_ptr_nonnull(strstr(r.out, "# invalid architecture action\n"
	    "action KILL_PROCESS;"));
	/* Nothing of what a worker must never do is allowed. */
	ck_assert_ptr_null(strstr(r.out, "\"openat\""));
	ck_assert_ptr_null(strstr(r.out, "\"execve\""));
	run_result_free(&r);
}
END_TEST

START_TEST(test_policy_show_of_another_file)
{
	char *dir = temp_dir();
	static const char text[] = "default kill-process -- no report\n"
	    "exit_group -- the end\n";
	char *policy = write_text(dir, "tiny.policy", text);
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "policy", "show", "--policy", policy,
	    NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "exit_group"));
	ck_assert_ptr_nonnull(strstr(r.out, "action KILL_PROCESS;"));
	ck_assert_ptr_null(strstr(r.out, "action TRAP;"));
	run_result_free(&r);
	free(policy);
	free(dir);
}
END_TEST

START_TEST(test_policy_needs_show)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "policy", NULL);
	expect_usage_error(&r, "usage: luaward policy show");
	run_result_free(&r);
}
END_TEST

START_TEST(test_policy_option_before_show)
{
	char *dir = temp_dir();
	static const char text[] = "default kill-process -- no report\n"
	    "exit_group -- the end\n";
	char *policy = write_text(dir, "tiny.policy", text);
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "policy", "--policy", policy, "show",
	    NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "exit_group"));
	ck_assert_ptr_nonnull(strstr(r.out, "action KILL_PROCESS;"));
	ck_assert_ptr_null(strstr(r.out, "action TRAP;"));
	run_result_free(&r);
	free(policy);
	free(dir);
}
END_TEST

START_TEST(test_policy_show_takes_nothing_more)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "policy", "show", "extra", NULL);
	expect_usage_error(&r, "policy show: unexpected argument 'extra'");
	run_result_free(&r);
}
END_TEST

/* How many times part occurs in text. */
static size_t
occurrences(const char *text, const char *part)
{
	size_t n = 0;

	while ((text = strstr(text, part)) != NULL) {
		n++;
		text++;
	}
	return n;
}

START_TEST(test_optional_layers_off_and_verbose)
{
	static const char input[] = "{\"metadata\":{\"name\":\"x\"}}\n";
	struct run_result r;
	size_t plugins;

	run_luaward(&r, input, strlen(input), 60, "resolve", "--plugins",
	    "plugins", "--namespaces", "off", "--landlock", "off",
	    "--verbose", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"x\",\"status\":\"unresolved\",\"workloadType\":\"\","
	    "\"workloadName\":\"\",\"plugin\":\"\"}\n");
	/* Every plugin's layers, each saying it was turned off, and no
	 * warning: off is what was asked for, not what the kernel chose. */
	ck_assert_ptr_nonnull(strstr(r.err, "luaward: plugin 10-opengauss: "
	    "sandbox layers:\n"));
	plugins = occurrences(r.err, " sandbox layers:\n");
	ck_assert_uint_eq(plugins, 2);
	ck_assert_uint_eq(occurrences(r.err, ":   namespaces    skipped  "
	    "turned off (--namespaces off)\n"), plugins);
	ck_assert_uint_eq(occurrences(r.err, ":   cgroup_ns     skipped  "
	    "turned off (--namespaces off)\n"), plugins);
	ck_assert_uint_eq(occurrences(r.err, ":   time_ns       skipped  "
	    "turned off (--namespaces off)\n"), plugins);
	ck_assert_uint_eq(occurrences(r.err, ":   landlock      skipped  "
	    "turned off (--landlock off)\n"), plugins);
	ck_assert_uint_eq(occurrences(r.err, ":   seccomp       applied  "),
	    plugins);
	ck_assert_ptr_null(strstr(r.err, "warning"));
	run_result_free(&r);
}
END_TEST

/* Every sandboxed function a top level touched gets a line of its own
 * under --verbose, whole, however many there are (38 names here, over
 * 600 bytes together). */
START_TEST(test_verbose_lists_every_touched_function)
{
	static const char *const libraries[][18] = {
		{ "io", "close", "flush", "input", "lines", "open", "output",
		    "popen", "read", "tmpfile", "type", "write", "stdin",
		    "stdout", "stderr", NULL },
		{ "os", "execute", "exit", "getenv", "remove", "rename",
		    "setlocale", "tmpname", NULL },
		{ "debug", "debug", "gethook", "getinfo", "getlocal",
		    "getmetatable", "getregistry", "getupvalue",
		    "getuservalue", "sethook", "setlocal", "setmetatable",
		    "setupvalue", "setuservalue", "traceback", "upvalueid",
		    "upvaluejoin", "setcstacklimit" },
	};
	static const char source[] = "for _, library in ipairs({ io, os, "
	    "debug }) do\n"
	    "  for _, f in pairs(library) do pcall(f) end\n"
	    "end\n"
	    "function GetWorkloadTypeAndName() return '', '' end\n";
	char *dir = temp_dir(), *plugin = write_text(dir, "toucher.lua",
	    source);
	struct run_result r;
	size_t expected = 0;

	run_luaward(&r, "{}\n", 3, 60, "resolve", "--plugins", dir,
	    "--verbose", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 1; i < 18 && libraries[l][i] != NULL; i++) {
			char line[96];

			snprintf(line, sizeof(line), "\nluaward: plugin "
			    "toucher:   touched at load: %s.%s\n",
			    libraries[l][0], libraries[l][i]);
			ck_assert_msg(occurrences(r.err, line) == 1,
			    "%s not listed once in:\n%s", line + 1, r.err);
			expected++;
		}
	ck_assert_uint_eq(expected, 38);
	ck_assert_uint_eq(occurrences(r.err, "touched at load: "), expected);
	run_result_free(&r);
	free(plugin);
	free(dir);
}
END_TEST

/* With POSIXLY_CORRECT, getopt stops at the first operand: "show" first
 * must still take its options. */
START_TEST(test_policy_show_then_option_posixly_correct)
{
	struct run_result r;

	ck_assert_int_eq(setenv("POSIXLY_CORRECT", "1", 1), 0);
	run_luaward(&r, NULL, 0, 30, "policy", "show", "--policy",
	    "policies/worker.policy", NULL);
	unsetenv("POSIXLY_CORRECT");
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "# policy policies/worker.policy"
	    "\n"));
	run_result_free(&r);
}
END_TEST

START_TEST(test_namespaces_required)
{
	struct run_result r;

	run_luaward(&r, "{}\n", 3, 60, "resolve", "--plugins", "plugins",
	    "--namespaces", "require", "--verbose", NULL);
	/* A kernel that refuses them makes this a configuration error;
	 * one that has them shows them in every plugin's layers. */
	if (r.status == 2)
		ck_assert_msg(strstr(r.err, "new namespaces are required but "
		    "the kernel refuses them") != NULL ||
		    strstr(r.err, "unshare(CLONE_NEWCGROUP)") != NULL ||
		    strstr(r.err, "unshare(CLONE_NEWTIME)") != NULL ||
		    strstr(r.err, "namespace is required but this kernel") !=
		    NULL, "%s", r.err);
	else {
		ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
		ck_assert_uint_eq(occurrences(r.err, ":   namespaces    "
		    "applied  new pid, net, ipc, mount, uts and user\n"), 2);
		ck_assert_uint_eq(occurrences(r.err, ":   cgroup_ns     "
		    "applied  "), 2);
		ck_assert_uint_eq(occurrences(r.err, ":   time_ns       "
		    "applied  "), 2);
	}
	run_result_free(&r);
}
END_TEST

Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *t = tcase_create("command line");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_help_lists_every_command);
	tcase_add_test(t, test_version);
	tcase_add_test(t, test_resolve_help_documents_every_option);
	tcase_add_test(t, test_manual_documents_every_command_and_option);
	tcase_add_test(t, test_no_command_is_a_usage_error);
	tcase_add_test(t, test_unknown_command);
	tcase_add_test(t, test_unknown_flag_before_any_record);
	tcase_add_test(t, test_flag_missing_its_value);
	tcase_add_test(t, test_bad_numbers_and_modes);
	tcase_add_test(t, test_unreadable_input_file);
	tcase_add_test(t, test_directory_as_input);
	tcase_add_test(t, test_unreadable_plugin_directory);
	tcase_add_test(t, test_unusable_worker_binary);
	tcase_add_test(t, test_bad_policy_stops_before_any_worker);
	tcase_add_test(t,
	    test_empty_plugin_directory_warns_and_resolves_nothing);
	tcase_add_test(t, test_policy_show_prints_rules_and_filter);
	tcase_add_test(t, test_policy_show_of_another_file);
	tcase_add_test(t, test_policy_needs_show);
	tcase_add_test(t, test_policy_option_before_show);
	tcase_add_test(t, test_policy_show_takes_nothing_more);
	tcase_add_test(t, test_optional_layers_off_and_verbose);
	tcase_add_test(t, test_namespaces_required);
	tcase_add_test(t, test_verbose_lists_every_touched_function);
	tcase_add_test(t, test_policy_show_then_option_posixly_correct);
	suite_add_tcase(s, t);
	return s;
}
