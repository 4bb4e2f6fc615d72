/*
 * The seccomp policy parser (supervisor/policy/policy.c): every way a policy
 * file can be wrong, each reported at its file and line.  Includes are in
 * test_policy_include.c, what the rules compile to in
 * test_policy_compile.c.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../supervisor/policy/policy.h"
#include "helpers.h"
#include "policy_support.h"
#include "suites.h"

/* --- every error, at its file and line ----------------------------------- */

START_TEST(test_missing_reason)
{
	BAD_LINE("read fd == 0", "-- reason");
	BAD_LINE("read fd == 0 - only one dash", "-- reason");
	BAD_LINE("exit_group", "-- reason");
}
END_TEST

START_TEST(test_empty_reason)
{
	BAD_LINE("read fd == 0 --", "empty reason");
	BAD_LINE("read fd == 0 --   \t ", "empty reason");
	BAD_LINE("default kill-process --", "empty reason");
}
END_TEST

START_TEST(test_unknown_syscall)
{
	BAD_LINE("frobnicate -- r", "unknown syscall 'frobnicate'");
	BAD_LINE("Read -- r", "unknown syscall 'Read'");
	BAD_LINE("-- just a reason", "syscall");
	BAD_LINE("read, -- r", "','");
	BAD_LINE("read(fd == 0) -- r", "unexpected '(");
}
END_TEST

START_TEST(test_unknown_argument)
{
	BAD_LINE("read fdx == 0 -- r", "'fdx'");
	/* A name from another syscall's man page. */
	BAD_LINE("read prot == 0 -- r", "'prot'");
	/* A syscall with no names: only arg0 .. arg5. */
	BAD_LINE("getpid pid == 0 -- r", "'pid'");
	BAD_LINE("read == 0 -- r", "argument");
}
END_TEST

START_TEST(test_argument_number_out_of_range)
{
	BAD_LINE("read arg6 == 0 -- r", "'arg6'");
	BAD_LINE("getpid arg6 == 0 -- r", "'arg6'");
	BAD_LINE("getpid arg9 == 0 -- r", "'arg9'");
	BAD_LINE("getpid arg10 == 0 -- r", "'arg10'");
	BAD_LINE("getpid arg01 == 0 -- r", "'arg01'");
}
END_TEST

START_TEST(test_unknown_constant)
{
	BAD_LINE("mmap prot == PROT_FOO -- r", "unknown constant 'PROT_FOO'");
	BAD_LINE("mmap prot == PROT_READ|prot_write -- r",
	    "unknown constant 'prot_write'");
	BAD_LINE("mmap (prot & PROT_EXECUTE) == 0 -- r",
	    "unknown constant 'PROT_EXECUTE'");
}
END_TEST

START_TEST(test_bad_number)
{
	BAD_LINE("read fd == 12abc -- r", "'12abc' is not a number");
	BAD_LINE("read fd == 0x -- r", "'0x' is not a number");
	BAD_LINE("read fd == 0xfg -- r", "'0xfg' is not a number");
	BAD_LINE("read fd == 0x0x1 -- r", "'0x0x1' is not a number");
	BAD_LINE("read fd == 1_000 -- r", "'1_000' is not a number");
	BAD_LINE("read fd == 18446744073709551616 -- r",
	    "'18446744073709551616' is not a number");
	BAD_LINE("read fd == -1 -- r", "number or a constant");
	BAD_LINE("read fd == -- r", "number or a constant");
}
END_TEST

START_TEST(test_bad_operator)
{
	BAD_LINE("read fd = 0 -- r", "operator");
	BAD_LINE("read fd -- r", "operator");
	BAD_LINE("read fd <> 0 -- r", "number or a constant");
	BAD_LINE("read fd ~ 0 -- r", "operator");
	BAD_LINE("read fd & 1 -- r", "operator");
}
END_TEST

START_TEST(test_unbalanced_mask)
{
	BAD_LINE("read (fd & 1 -- r", "')'");
	BAD_LINE("read (fd & 1 == 0 -- r", "')'");
	BAD_LINE("read (fd 1) == 0 -- r", "'&'");
	BAD_LINE("read (fd && 1) == 0 -- r", "'&'");
	BAD_LINE("read (fd & ) == 0 -- r", "number or a constant");
}
END_TEST

START_TEST(test_masked_compare_needs_equals)
{
	BAD_LINE("mmap (prot & PROT_EXEC) != 0 -- r", "==");
	BAD_LINE("mmap (prot & PROT_EXEC) < 1 -- r", "==");
	BAD_LINE("mmap (prot & PROT_EXEC) -- r", "==");
}
END_TEST

START_TEST(test_trailing_junk)
{
	BAD_LINE("read fd == 0 junk -- r", "'junk'");
	BAD_LINE("read fd == 0 ) -- r", "')'");
	BAD_LINE("read fd == 0 & -- r", "'&'");
	BAD_LINE("read fd == 0 && -- r", "argument");
	BAD_LINE("read fd == 0 || -- r", "argument");
	BAD_LINE("mmap (prot & 4) == 0 0 -- r", "'0'");
}
END_TEST

START_TEST(test_unknown_default_action)
{
	char *dir = temp_dir(), *path;

	path = write_text(dir, "p.policy", "# no default yet\n"
	    "default allow -- everything\nbrk -- r\n");
	EXPECT_ERROR(path, path, 2, "unknown default action 'allow'");
	free(path);
	path = write_text(dir, "q.policy", "brk -- r\n"
	    "default trap kill-process -- r\n");
	EXPECT_ERROR(path, path, 2, "unknown default action");
	free(path);
	path = write_text(dir, "r.policy", "brk -- r\n\n\n"
	    "default -- r\n");
	EXPECT_ERROR(path, path, 4, "unknown default action");
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_two_default_lines)
{
	BAD_LINE("default trap -- again", "second 'default'");
	BAD_LINE("default kill-process -- changed my mind", "second 'default'");
}
END_TEST

/* No default and no rules are about the whole file: no line number. */
START_TEST(test_no_default_line)
{
	char *dir = temp_dir(), *path;

	path = write_text(dir, "p.policy", "brk -- r\nread fd == 0 -- r\n");
	EXPECT_ERROR(path, path, 0, "'default'");
	free(path);
	path = write_text(dir, "empty.policy", "");
	EXPECT_ERROR(path, path, 0, "'default'");
	free(path);
	path = write_text(dir, "comments.policy", "# only\n\n   # comments\n");
	EXPECT_ERROR(path, path, 0, "'default'");
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_no_rules)
{
	char *dir = temp_dir(), *path;

	path = write_text(dir, "p.policy", "# nothing allowed\n"
	    "default kill-process -- r\n");
	EXPECT_ERROR(path, path, 0, "no rules");
	free(path);
	free(dir);
}
END_TEST

/* A line may hold 1024 bytes, newline not counted; one more is refused,
 * comment or not. */
START_TEST(test_long_lines)
{
	char *dir = temp_dir(), *path, *text, line[1100];

	memset(line, 0, sizeof(line));
	line[0] = '#';
	memset(line + 1, 'x', 1023);
	ck_assert_uint_eq(strlen(line), 1024);
	ck_assert_int_ne(asprintf(&text, PRELUDE "%s\n", line), -1);
	path = write_text(dir, "ok.policy", text);
	policy_free(must_load(path));
	free(path);
	free(text);
	/* The same as the last line, without its newline. */
	ck_assert_int_ne(asprintf(&text, PRELUDE "%s", line), -1);
	path = write_text(dir, "last.policy", text);
	policy_free(must_load(path));
	free(path);
	free(text);

	line[1024] = 'x';
	BAD_LINE(line, "longer than 1024");
	ck_assert_int_ne(asprintf(&text, PRELUDE "%s", line), -1);
	path = write_text(dir, "last-long.policy", text);
	EXPECT_ERROR(path, path, PRELUDE_LINES + 1, "longer than 1024");
	free(path);
	free(text);

	memset(line, 0, sizeof(line));
	memcpy(line, "read fd == 0 -- ", 16);
	memset(line + 16, 'r', 1080);
	BAD_LINE(line, "longer than 1024");
	free(dir);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = PRELUDE "read\0 fd == 0 -- r\nwrite -- w\n";
	static const char comment[] = PRELUDE "# a comment \0 hides\n";
	char *dir = temp_dir(), *path;

	path = write_file(dir, "p.policy", text, sizeof(text) - 1);
	EXPECT_ERROR(path, path, PRELUDE_LINES + 1, "NUL");
	free(path);
	path = write_file(dir, "c.policy", comment, sizeof(comment) - 1);
	EXPECT_ERROR(path, path, PRELUDE_LINES + 1, "NUL");
	free(path);
	free(dir);
}
END_TEST

/*
 * As root, which reads anything, the permission check is made by a child
 * that became nobody first; it reports by its exit status: 0 when the load
 * failed naming the file and EACCES.  It loads by a relative name from
 * inside dir, so only the file's own mode can refuse it (the temporary
 * root above is private to root).
 */
static void
expect_unreadable_as_nobody(const char *dir, const char *name)
{
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		char error[1024] = "";

		if (chdir(dir) == -1 || setgroups(0, NULL) == -1 ||
		    setresgid(65534, 65534, 65534) == -1 ||
		    setresuid(65534, 65534, 65534) == -1)
			_exit(10);
		if (policy_load(name, error, sizeof(error)) != NULL)
			_exit(11);
		if (strstr(error, name) == NULL)
			_exit(12);
		if (strstr(error, strerror(EACCES)) == NULL)
			_exit(13);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "as nobody: status %d (10 no nobody, 11 loaded, 12 not named, "
	    "13 no EACCES)", WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
}

START_TEST(test_unreadable_file)
{
	char *dir = temp_dir(), *path, *sub;

	ck_assert_int_ne(asprintf(&path, "%s/does-not-exist.policy", dir), -1);
	expect_error_naming(path, strerror(ENOENT));
	free(path);
	/* A directory opens, but does not read. */
	ck_assert_int_ne(asprintf(&sub, "%s/a-directory", dir), -1);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	EXPECT_ERROR(sub, sub, 0, strerror(EISDIR));
	/* Without permission. */
	path = write_text(dir, "secret.policy", PRELUDE);
	ck_assert_int_eq(chmod(path, 0), 0);
	if (geteuid() != 0)
		expect_error_naming(path, strerror(EACCES));
	else
		expect_unreadable_as_nobody(dir, "secret.policy");
	free(path);
	free(sub);
	free(dir);
}
END_TEST

START_TEST(test_too_many_alternatives)
{
	char *dir = temp_dir(), *path;
	const char eight[] = "write fd == 1 || fd == 2 || fd == 3 || "
	    "fd == 4 || fd == 5 || fd == 6 || fd == 7 || fd == 8 -- eight";
	char nine[256];
	struct policy *policy;

	path = write_text(dir, "eight.policy", PRELUDE "write fd == 1 || "
	    "fd == 2 || fd == 3 || fd == 4 || fd == 5 || fd == 6 || fd == 7 "
	    "|| fd == 8 -- eight\n");
	policy = must_load(path);
	ck_assert_uint_eq(policy_rule_count(policy), 2);
	policy_free(policy);
	free(path);
	snprintf(nine, sizeof(nine), "%.*s || fd == 9 -- nine",
	    (int)(strstr(eight, " --") - eight), eight);
	BAD_LINE(nine, "more than 8 alternatives");
	free(dir);
}
END_TEST

START_TEST(test_too_many_comparisons)
{
	char *dir = temp_dir(), *path;

	/* Six arguments, six comparisons: the most a rule can hold. */
	path = write_text(dir, "six.policy", PRELUDE "mmap addr == 0 && "
	    "length < 4096 && prot == 3 && flags != 0 && fd == 0 && "
	    "offset == 0 -- six\n");
	policy_free(must_load(path));
	free(path);
	BAD_LINE("mmap addr == 0 && length < 4096 && prot == 3 && flags != 0 "
	    "&& fd == 0 && offset == 0 && arg0 == 1 -- seven",
	    "more than 6");
	free(dir);
}
END_TEST

/* libseccomp compares an argument once per rule: its refusal is still
 * reported at the rule's line. */
START_TEST(test_rule_libseccomp_refuses)
{
	BAD_LINE("read fd == 0 && fd == 1 -- r", "read");
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *errors = tcase_create("errors");

	tcase_set_timeout(errors, 30);
	tcase_add_test(errors, test_missing_reason);
	tcase_add_test(errors, test_empty_reason);
	tcase_add_test(errors, test_unknown_syscall);
	tcase_add_test(errors, test_unknown_argument);
	tcase_add_test(errors, test_argument_number_out_of_range);
	tcase_add_test(errors, test_unknown_constant);
	tcase_add_test(errors, test_bad_number);
	tcase_add_test(errors, test_bad_operator);
	tcase_add_test(errors, test_unbalanced_mask);
	tcase_add_test(errors, test_masked_compare_needs_equals);
	tcase_add_test(errors, test_trailing_junk);
	tcase_add_test(errors, test_unknown_default_action);
	tcase_add_test(errors, test_two_default_lines);
	tcase_add_test(errors, test_no_default_line);
	tcase_add_test(errors, test_no_rules);
	tcase_add_test(errors, test_long_lines);
	tcase_add_test(errors, test_nul_byte);
	tcase_add_test(errors, test_unreadable_file);
	tcase_add_test(errors, test_too_many_alternatives);
	tcase_add_test(errors, test_too_many_comparisons);
	tcase_add_test(errors, test_rule_libseccomp_refuses);
	suite_add_tcase(s, errors);
	return s;
}
