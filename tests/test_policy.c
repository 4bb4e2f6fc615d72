/*
 * The seccomp policy parser and compiler (supervisor/policy.c): every way a
 * policy file can be wrong, each reported at its file and line; includes,
 * their cycles and their depth; and what the rules compile to, read back
 * through `policy show` and from the BPF program itself.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../supervisor/policy.h"
#include "helpers.h"
#include "suites.h"

/* Four good lines, so that the line under test is line 5. */
#define PRELUDE		"# a test policy\n\ndefault trap -- t\nbrk -- heap\n"
#define PRELUDE_LINES	4

static char *
policy_file(const char *dir, const char *name, const char *text)
{
	return write_file(dir, name, text, strlen(text));
}

static struct policy *
must_load(const char *path)
{
	char error[1024] = "";
	struct policy *policy = policy_load(path, error, sizeof(error));

	ck_assert_msg(policy != NULL, "%s: %s", path, error);
	return policy;
}

/*
 * Loading path must fail with a message that starts "WHERE:LINE: " (or
 * "WHERE: " when line is 0) and goes on to mention fragment.
 */
static void
expect_error_at(int at, const char *path, const char *where, unsigned line,
    const char *fragment)
{
	char error[1024], prefix[1024];
	struct policy *policy;

	memset(error, 0, sizeof(error));
	policy = policy_load(path, error, sizeof(error));
	ck_assert_msg(policy == NULL, "line %d: %s loaded", at, path);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", where, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", where);
	ck_assert_msg(strncmp(error, prefix, strlen(prefix)) == 0,
	    "line %d: '%s' does not start with '%s'", at, error, prefix);
	ck_assert_msg(strstr(error + strlen(prefix), fragment) != NULL,
	    "line %d: '%s' does not mention '%s'", at, error, fragment);
}

#define EXPECT_ERROR(path, where, line, fragment) \
	expect_error_at(__LINE__, path, where, line, fragment)

/* A file that cannot be opened: the message names it and says why. */
static void
expect_error_naming(const char *path, const char *why)
{
	char error[1024] = "";

	ck_assert_ptr_null(policy_load(path, error, sizeof(error)));
	ck_assert_msg(strstr(error, path) != NULL, "'%s' does not name %s",
	    error, path);
	ck_assert_msg(strstr(error, why) != NULL, "'%s' does not say '%s'",
	    error, why);
}

/* The policy PRELUDE + bad_line must fail at line 5 with fragment. */
static void
bad_line_at(int at, const char *bad_line, const char *fragment)
{
	char *dir = temp_dir(), *text, *path;

	ck_assert_int_ne(asprintf(&text, PRELUDE "%s\n# after\nread -- r\n",
	    bad_line), -1);
	path = policy_file(dir, "bad.policy", text);
	expect_error_at(at, path, path, PRELUDE_LINES + 1, fragment);
	free(path);
	free(text);
	free(dir);
}

#define BAD_LINE(line, fragment) bad_line_at(__LINE__, line, fragment)

/* What policy_show prints (it writes through fileno(): a real file). */
static char *
show(const struct policy *policy)
{
	FILE *f = tmpfile();
	char *text;
	long size;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(policy_show(policy, f), 0);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_gt(size, 0);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return text;
}

/* The pseudo-filter code for one syscall, up to the next one (or the
 * default action); newly allocated. */
static char *
filter_for(const char *text, const char *syscall)
{
	char heading[128];
	const char *start, *end;

	snprintf(heading, sizeof(heading), "# filter for syscall \"%s\"",
	    syscall);
	start = strstr(text, heading);
	ck_assert_msg(start != NULL, "no filter for %s in:\n%s", syscall,
	    text);
	end = strstr(start + 1, "# filter for syscall");
	if (end == NULL)
		end = strstr(start, "# default action");
	ck_assert_ptr_nonnull(end);
	return strndup(start, (size_t)(end - start));
}

static void
assert_contains_at(int at, const char *text, const char *what)
{
	ck_assert_msg(strstr(text, what) != NULL,
	    "line %d: no '%s' in:\n%s", at, what, text);
}

#define ASSERT_CONTAINS(text, what) assert_contains_at(__LINE__, text, what)

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

	path = policy_file(dir, "p.policy", "# no default yet\n"
	    "default allow -- everything\nbrk -- r\n");
	EXPECT_ERROR(path, path, 2, "unknown default action 'allow'");
	free(path);
	path = policy_file(dir, "q.policy", "brk -- r\n"
	    "default trap kill-process -- r\n");
	EXPECT_ERROR(path, path, 2, "unknown default action");
	free(path);
	path = policy_file(dir, "r.policy", "brk -- r\n\n\n"
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

	path = policy_file(dir, "p.policy", "brk -- r\nread fd == 0 -- r\n");
	EXPECT_ERROR(path, path, 0, "'default'");
	free(path);
	path = policy_file(dir, "empty.policy", "");
	EXPECT_ERROR(path, path, 0, "'default'");
	free(path);
	path = policy_file(dir, "comments.policy", "# only\n\n   # comments\n");
	EXPECT_ERROR(path, path, 0, "'default'");
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_no_rules)
{
	char *dir = temp_dir(), *path;

	path = policy_file(dir, "p.policy", "# nothing allowed\n"
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
	path = policy_file(dir, "ok.policy", text);
	policy_free(must_load(path));
	free(path);
	free(text);
	/* The same as the last line, without its newline. */
	ck_assert_int_ne(asprintf(&text, PRELUDE "%s", line), -1);
	path = policy_file(dir, "last.policy", text);
	policy_free(must_load(path));
	free(path);
	free(text);

	line[1024] = 'x';
	BAD_LINE(line, "longer than 1024");
	ck_assert_int_ne(asprintf(&text, PRELUDE "%s", line), -1);
	path = policy_file(dir, "last-long.policy", text);
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
	/* Without permission (root reads anything: then there is nothing
	 * to test). */
	path = policy_file(dir, "secret.policy", PRELUDE);
	ck_assert_int_eq(chmod(path, 0), 0);
	if (geteuid() != 0)
		expect_error_naming(path, strerror(EACCES));
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

	path = policy_file(dir, "eight.policy", PRELUDE "write fd == 1 || "
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
	path = policy_file(dir, "six.policy", PRELUDE "mmap addr == 0 && "
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

/* --- includes ------------------------------------------------------------ */

START_TEST(test_include_missing_file)
{
	char *dir = temp_dir(), *main_path, *missing;

	main_path = policy_file(dir, "main.policy", PRELUDE
	    "include missing.policy -- more rules\n");
	ck_assert_int_ne(asprintf(&missing, "%s/missing.policy", dir), -1);
	EXPECT_ERROR(main_path, main_path, PRELUDE_LINES + 1, missing);
	EXPECT_ERROR(main_path, main_path, PRELUDE_LINES + 1,
	    strerror(ENOENT));
	free(missing);
	free(main_path);
	free(dir);
}
END_TEST

START_TEST(test_include_syntax)
{
	BAD_LINE("include -- nothing", "one file name");
	BAD_LINE("include a.policy b.policy -- two", "one file name");
}
END_TEST

/* An error inside an included file is at that file's line. */
START_TEST(test_error_inside_include)
{
	char *dir = temp_dir(), *main_path, *inner;

	main_path = policy_file(dir, "main.policy", PRELUDE
	    "include inner.policy -- more rules\n");
	inner = policy_file(dir, "inner.policy", "# inner\n"
	    "read fd == NOT_A_CONSTANT -- r\n");
	EXPECT_ERROR(main_path, inner, 2, "'NOT_A_CONSTANT'");
	free(inner);
	free(main_path);
	free(dir);
}
END_TEST

/* Rules come from the included file, found beside the file that includes
 * it (not in the working directory), at any depth. */
START_TEST(test_include_relative_to_the_including_file)
{
	char *dir = temp_dir(), *sub, *path, *text;
	struct policy *policy;

	ck_assert_int_ne(asprintf(&sub, "%s/sub", dir), -1);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	path = policy_file(dir, "main.policy", "default trap -- t\n"
	    "include sub/extra.policy -- the extra rules\n"
	    "brk -- heap\n");
	free(policy_file(sub, "extra.policy", "# extra\n"
	    "include more.policy -- beside me\n"
	    "clock_gettime clockid == CLOCK_MONOTONIC -- clocks\n"));
	free(policy_file(sub, "more.policy", "exit_group -- the end\n"));
	/* Not found through the working directory by chance. */
	ck_assert_int_ne(access("more.policy", F_OK), 0);
	policy = must_load(path);
	ck_assert_uint_eq(policy_rule_count(policy), 3);
	ck_assert_str_eq(policy_path(policy), path);
	text = show(policy);
	ASSERT_CONTAINS(text, "main.policy:3");
	ASSERT_CONTAINS(text, "extra.policy:3");
	ASSERT_CONTAINS(text, "more.policy:1");
	ASSERT_CONTAINS(text, "the end");
	free(filter_for(text, "exit_group"));
	free(filter_for(text, "clock_gettime"));
	free(text);
	policy_free(policy);
	free(path);
	free(sub);
	free(dir);
}
END_TEST

START_TEST(test_include_absolute_path)
{
	char *dir = temp_dir(), *other = temp_dir(), *inner, *text, *path;
	struct policy *policy;

	inner = policy_file(other, "abs.policy", "getpid -- who am i\n");
	ck_assert_int_ne(asprintf(&text, "default trap -- t\n"
	    "include %s -- absolute\n", inner), -1);
	path = policy_file(dir, "main.policy", text);
	policy = must_load(path);
	ck_assert_uint_eq(policy_rule_count(policy), 1);
	policy_free(policy);
	free(path);
	free(text);
	free(inner);
	free(other);
	free(dir);
}
END_TEST

/* A chain of includes: a few levels work, a deep one is refused at one of
 * its include lines. */
START_TEST(test_includes_nested_too_deep)
{
	enum { LEVELS = 12 };
	char *dir = temp_dir(), *path, name[32], text[128];
	struct policy *policy;
	char error[1024] = "";

	/* f0 -> f1 -> f2 -> f3, with a rule at the bottom. */
	free(policy_file(dir, "f0.policy", "default trap -- t\n"
	    "include f1.policy -- down\n"));
	free(policy_file(dir, "f1.policy", "# f1\n"
	    "include f2.policy -- down\n"));
	free(policy_file(dir, "f2.policy", "# f2\n"
	    "include f3.policy -- down\n"));
	free(policy_file(dir, "f3.policy", "brk -- heap\n"));
	ck_assert_int_ne(asprintf(&path, "%s/f0.policy", dir), -1);
	policy = must_load(path);
	ck_assert_uint_eq(policy_rule_count(policy), 1);
	policy_free(policy);
	free(path);

	/* g0 -> g1 -> ... -> g11. */
	for (int i = 0; i < LEVELS; i++) {
		snprintf(name, sizeof(name), "g%d.policy", i);
		if (i == LEVELS - 1)
			snprintf(text, sizeof(text), "brk -- heap\n");
		else
			snprintf(text, sizeof(text), "%s# g%d\n"
			    "include g%d.policy -- down\n", i == 0 ?
			    "default trap -- t\n" : "", i, i + 1);
		free(policy_file(dir, name, text));
	}
	ck_assert_int_ne(asprintf(&path, "%s/g0.policy", dir), -1);
	ck_assert_ptr_null(policy_load(path, error, sizeof(error)));
	{
		char prefix[512];
		bool found = false;

		for (int i = 0; i < LEVELS - 1 && !found; i++) {
			snprintf(prefix, sizeof(prefix), "%s/g%d.policy:%d: ",
			    dir, i, i == 0 ? 3 : 2);
			found = strncmp(error, prefix, strlen(prefix)) == 0;
		}
		ck_assert_msg(found, "'%s' is not at an include line", error);
		ck_assert_msg(strstr(error, "nclude") != NULL,
		    "'%s' does not say it is about includes", error);
	}
	free(path);
	free(dir);
}
END_TEST

/* Error messages at one of the given include lines (file:line pairs). */
static void
assert_at_one_of(const char *error, const char *const *paths,
    const unsigned *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char prefix[512];

		snprintf(prefix, sizeof(prefix), "%s:%u: ", paths[i], lines[i]);
		if (strncmp(error, prefix, strlen(prefix)) == 0)
			return;
	}
	ck_abort_msg("'%s' is not at an include line of the cycle", error);
}

/* A cycle ends with an error (the check timeout would catch a hang). */
START_TEST(test_include_cycles)
{
	char *dir = temp_dir(), *top, *self, *loop, *a, *b;
	char error[1024];

	/* A policy that includes itself. */
	self = policy_file(dir, "self.policy", "default trap -- t\n"
	    "brk -- heap\ninclude self.policy -- me again\n");
	error[0] = '\0';
	ck_assert_ptr_null(policy_load(self, error, sizeof(error)));
	ck_assert_msg(strncmp(error, self, strlen(self)) == 0,
	    "'%s' does not name %s", error, self);

	/* An included file that includes itself. */
	loop = policy_file(dir, "loop.policy", "brk -- heap\n"
	    "include loop.policy -- again\n");
	top = policy_file(dir, "top.policy", "default trap -- t\n"
	    "include loop.policy -- the loop\n");
	error[0] = '\0';
	ck_assert_ptr_null(policy_load(top, error, sizeof(error)));
	assert_at_one_of(error, (const char *const []){ loop }, (const
	    unsigned []){ 2 }, 1);
	free(top);

	/* top -> a -> b -> a ... */
	a = policy_file(dir, "a.policy", "brk -- heap\n"
	    "include b.policy -- b\n");
	b = policy_file(dir, "b.policy", "# b\n"
	    "include a.policy -- back to a\n");
	top = policy_file(dir, "top.policy", "default trap -- t\n"
	    "include a.policy -- the cycle\n");
	error[0] = '\0';
	ck_assert_ptr_null(policy_load(top, error, sizeof(error)));
	assert_at_one_of(error, (const char *const []){ a, b }, (const
	    unsigned []){ 2, 2 }, 2);
	free(self);
	free(loop);
	free(top);
	free(a);
	free(b);
	free(dir);
}
END_TEST

/* --- what the rules compile to ------------------------------------------- */

START_TEST(test_shipped_policies_load)
{
	struct policy *worker = must_load("policies/worker.policy");
	struct policy *sanitizer = must_load("policies/sanitizer.policy");
	const struct sock_filter *program;
	char *text;
	size_t length;

	ck_assert_str_eq(policy_path(worker), "policies/worker.policy");
	ck_assert_uint_gt(policy_rule_count(worker), 0);
	/* The sanitizer policy is the worker's, plus sigaltstack and
	 * madvise for AddressSanitizer's runtime. */
	ck_assert_uint_eq(policy_rule_count(sanitizer),
	    policy_rule_count(worker) + 2);
	program = policy_program(worker, &length);
	ck_assert_ptr_nonnull(program);
	ck_assert_uint_gt(length, 0);
	ck_assert_uint_eq(length % sizeof(struct sock_filter), 0);

	text = show(worker);
	ASSERT_CONTAINS(text, "# default: trap --");
	/* read from fd 0 only, write to fds 1 and 2 only, no PROT_EXEC. */
	{
		char *read = filter_for(text, "read");
		char *write = filter_for(text, "write");
		char *mmap = filter_for(text, "mmap");

		ASSERT_CONTAINS(read, "$a0.lo32 == 0");
		ASSERT_CONTAINS(write, "$a0.lo32 == 1");
		ASSERT_CONTAINS(write, "$a0.lo32 == 2");
		ASSERT_CONTAINS(mmap, "$a2.lo32 & 0x00000004 == 0");
		free(read);
		free(write);
		free(mmap);
	}
	ck_assert_ptr_null(strstr(text, "\"sigaltstack\""));
	free(text);
	text = show(sanitizer);
	free(filter_for(text, "sigaltstack"));
	free(filter_for(text, "read"));
	free(text);
	policy_free(worker);
	policy_free(sanitizer);
}
END_TEST

/* Argument names and constants become the right argument and value. */
START_TEST(test_names_and_constants_resolve)
{
	char *dir = temp_dir(), *path, *text, *f, want[128];
	struct policy *policy;

	path = policy_file(dir, "p.policy",
	    "default kill-process -- nothing else\n"
	    "openat flags == O_RDONLY|O_CLOEXEC -- r1\n"
	    "mmap (flags & MAP_FIXED) == 0 && prot == PROT_READ|PROT_WRITE "
	    "-- r2\n"
	    "clock_gettime clockid == CLOCK_MONOTONIC_RAW -- r3\n"
	    "lseek offset == 0x100000002 -- r4\n"
	    "read arg0 == 010 -- decimal, not octal\n"
	    "futex (futex_op & 0x7F) == FUTEX_WAKE -- r6\n"
	    "\t kill \t pid == 0X1f\t&&\tsig==9   --   tabs and no spaces\n");
	policy = must_load(path);
	ck_assert_uint_eq(policy_rule_count(policy), 7);
	text = show(policy);

	ASSERT_CONTAINS(text, "# default: kill-process -- nothing else");
	ASSERT_CONTAINS(text, "flags == O_RDONLY|O_CLOEXEC");
	ASSERT_CONTAINS(text, "-- decimal, not octal");
	ASSERT_CONTAINS(text, "# default action\n  action KILL_PROCESS;");

	f = filter_for(text, "openat");		/* flags is arg2 */
	snprintf(want, sizeof(want), "$a2.lo32 == %u",
	    (unsigned)(O_RDONLY | O_CLOEXEC));
	ASSERT_CONTAINS(f, want);
	ASSERT_CONTAINS(f, "$a2.hi32 == 0");
	free(f);

	f = filter_for(text, "mmap");		/* flags arg3, prot arg2 */
	snprintf(want, sizeof(want), "$a3.lo32 & 0x%08x == 0",
	    (unsigned)MAP_FIXED);
	ASSERT_CONTAINS(f, want);
	snprintf(want, sizeof(want), "$a2.lo32 == %u",
	    (unsigned)(PROT_READ | PROT_WRITE));
	ASSERT_CONTAINS(f, want);
	free(f);

	f = filter_for(text, "clock_gettime");
	snprintf(want, sizeof(want), "$a0.lo32 == %u",
	    (unsigned)CLOCK_MONOTONIC_RAW);
	ASSERT_CONTAINS(f, want);
	free(f);

	f = filter_for(text, "lseek");		/* 64 bits: both halves */
	ASSERT_CONTAINS(f, "$a1.hi32 == 1");
	ASSERT_CONTAINS(f, "$a1.lo32 == 2");
	free(f);

	f = filter_for(text, "read");
	ASSERT_CONTAINS(f, "$a0.lo32 == 10");
	free(f);

	f = filter_for(text, "futex");		/* FUTEX_WAKE is 1 */
	ASSERT_CONTAINS(f, "$a1.lo32 & 0x0000007f == 1");
	free(f);

	f = filter_for(text, "kill");		/* pid arg0, sig arg1 */
	ASSERT_CONTAINS(f, "$a0.lo32 == 31");
	ASSERT_CONTAINS(f, "$a1.lo32 == 9");
	free(f);

	free(text);
	policy_free(policy);
	free(path);
	free(dir);
}
END_TEST

/* The BPF program checks the architecture first, and returns what the
 * default line and the rules say. */
START_TEST(test_program)
{
	char *dir = temp_dir(), *trap_path, *kill_path;
	struct policy *trap, *kill_policy;
	const struct sock_filter *program;
	size_t length, n;
	bool allow = false, trap_ret = false, kill_ret = false;

	trap_path = policy_file(dir, "trap.policy", "default trap -- t\n"
	    "brk -- heap\n");
	kill_path = policy_file(dir, "kill.policy",
	    "default kill-process -- k\nbrk -- heap\n");
	trap = must_load(trap_path);
	kill_policy = must_load(kill_path);

	program = policy_program(trap, &length);
	ck_assert_uint_gt(length, 0);
	ck_assert_uint_eq(length % 8, 0);
	ck_assert_uint_eq(sizeof(struct sock_filter), 8);
	n = length / sizeof(struct sock_filter);
	/* Load seccomp_data.arch before anything else. */
	ck_assert_uint_eq(program[0].code, BPF_LD | BPF_W | BPF_ABS);
	ck_assert_uint_eq(program[0].k, offsetof(struct seccomp_data, arch));
	for (size_t i = 0; i < n; i++)
		if (BPF_CLASS(program[i].code) == BPF_RET) {
			allow |= program[i].k == SECCOMP_RET_ALLOW;
			trap_ret |= program[i].k == SECCOMP_RET_TRAP;
			kill_ret |= program[i].k ==
			    SECCOMP_RET_KILL_PROCESS;
		}
	ck_assert(allow);
	ck_assert(trap_ret);
	/* Another architecture's ABI kills, whatever the default. */
	ck_assert(kill_ret);
#ifdef __x86_64__
	{
		bool arch = false;

		for (size_t i = 0; i < n; i++)
			arch |= program[i].code == (BPF_JMP | BPF_JEQ |
			    BPF_K) && program[i].k == AUDIT_ARCH_X86_64;
		ck_assert(arch);
	}
#endif

	program = policy_program(kill_policy, &length);
	n = length / sizeof(struct sock_filter);
	trap_ret = false;
	for (size_t i = 0; i < n; i++)
		if (BPF_CLASS(program[i].code) == BPF_RET)
			trap_ret |= program[i].k == SECCOMP_RET_TRAP;
	ck_assert(!trap_ret);

	policy_free(trap);
	policy_free(kill_policy);
	free(trap_path);
	free(kill_path);
	free(dir);
}
END_TEST

START_TEST(test_syscall_names)
{
	char buffer[64];

	ck_assert_str_eq(policy_syscall_name(0xc000003e, 257, buffer,
	    sizeof(buffer)), "openat");
	ck_assert_str_eq(buffer, "openat");
	ck_assert_str_eq(policy_syscall_name(AUDIT_ARCH_X86_64, 0, buffer,
	    sizeof(buffer)), "read");
	ck_assert_str_eq(policy_syscall_name(AUDIT_ARCH_X86_64, 59, buffer,
	    sizeof(buffer)), "execve");
	/* i386 numbers differ: 5 is open there. */
	ck_assert_str_eq(policy_syscall_name(AUDIT_ARCH_I386, 5, buffer,
	    sizeof(buffer)), "open");
	ck_assert_ptr_null(policy_syscall_name(AUDIT_ARCH_X86_64, -1, buffer,
	    sizeof(buffer)));
	ck_assert_ptr_null(policy_syscall_name(AUDIT_ARCH_X86_64,
	    (long)INT32_MAX + 1, buffer, sizeof(buffer)));
	ck_assert_ptr_null(policy_syscall_name(AUDIT_ARCH_X86_64, 100000,
	    buffer, sizeof(buffer)));
}
END_TEST

/* Comments, blank lines, tabs, CRLF line ends and a last line without a
 * newline are all fine. */
START_TEST(test_layout_is_free)
{
	static const char text[] = "# comment\n"
	    "   # indented comment\n"
	    "\n"
	    "\t\n"
	    "default\ttrap\t--\tt\r\n"
	    "  read   fd==0   --   spaces -- and dashes in the reason\r\n"
	    "exit_group -- last line, no newline";
	char *dir = temp_dir(), *path, *shown;
	struct policy *policy;

	path = write_file(dir, "p.policy", text, sizeof(text) - 1);
	policy = must_load(path);
	ck_assert_uint_eq(policy_rule_count(policy), 2);
	shown = show(policy);
	ASSERT_CONTAINS(shown, "spaces -- and dashes in the reason\n");
	ASSERT_CONTAINS(shown, "p.policy:6");
	ASSERT_CONTAINS(shown, "p.policy:7");
	free(shown);
	policy_free(policy);
	free(path);
	free(dir);
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *errors = tcase_create("errors");
	TCase *includes = tcase_create("includes");
	TCase *compiled = tcase_create("compiled");

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

	tcase_set_timeout(includes, 30);
	tcase_add_test(includes, test_include_missing_file);
	tcase_add_test(includes, test_include_syntax);
	tcase_add_test(includes, test_error_inside_include);
	tcase_add_test(includes, test_include_relative_to_the_including_file);
	tcase_add_test(includes, test_include_absolute_path);
	tcase_add_test(includes, test_includes_nested_too_deep);
	tcase_add_test(includes, test_include_cycles);
	suite_add_tcase(s, includes);

	tcase_set_timeout(compiled, 30);
	tcase_add_test(compiled, test_shipped_policies_load);
	tcase_add_test(compiled, test_names_and_constants_resolve);
	tcase_add_test(compiled, test_program);
	tcase_add_test(compiled, test_syscall_names);
	tcase_add_test(compiled, test_layout_is_free);
	suite_add_tcase(s, compiled);
	return s;
}
