/*
 * Includes in seccomp policy files (supervisor/policy/policy.c): a file found
 * beside the file that includes it or by its absolute path, errors at the
 * included file's line, and includes nested too deep or in a cycle, each
 * refused at one of its include lines.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../supervisor/policy/policy.h"
#include "helpers.h"
#include "policy_support.h"
#include "suites.h"

/* --- includes ------------------------------------------------------------ */

START_TEST(test_include_missing_file)
{
	char *dir = temp_dir(), *main_path, *missing;

	main_path = write_text(dir, "main.policy", PRELUDE
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

	main_path = write_text(dir, "main.policy", PRELUDE
	    "include inner.policy -- more rules\n");
	inner = write_text(dir, "inner.policy", "# inner\n"
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
	path = write_text(dir, "main.policy", "default trap -- t\n"
	    "include sub/extra.policy -- the extra rules\n"
	    "brk -- heap\n");
	free(write_text(sub, "extra.policy", "# extra\n"
	    "include more.policy -- beside me\n"
	    "clock_gettime clockid == CLOCK_MONOTONIC -- clocks\n"));
	free(write_text(sub, "more.policy", "exit_group -- the end\n"));
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

	inner = write_text(other, "abs.policy", "getpid -- who am i\n");
	ck_assert_int_ne(asprintf(&text, "default trap -- t\n"
	    "include %s -- absolute\n", inner), -1);
	path = write_text(dir, "main.policy", text);
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
	free(write_text(dir, "f0.policy", "default trap -- t\n"
	    "include f1.policy -- down\n"));
	free(write_text(dir, "f1.policy", "# f1\n"
	    "include f2.policy -- down\n"));
	free(write_text(dir, "f2.policy", "# f2\n"
	    "include f3.policy -- down\n"));
	free(write_text(dir, "f3.policy", "brk -- heap\n"));
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
		free(write_text(dir, name, text));
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
	self = write_text(dir, "self.policy", "default trap -- t\n"
	    "brk -- heap\ninclude self.policy -- me again\n");
	error[0] = '\0';
	ck_assert_ptr_null(policy_load(self, error, sizeof(error)));
	ck_assert_msg(strncmp(error, self, strlen(self)) == 0,
	    "'%s' does not name %s", error, self);

	/* An included file that includes itself. */
	loop = write_text(dir, "loop.policy", "brk -- heap\n"
	    "include loop.policy -- again\n");
	top = write_text(dir, "top.policy", "default trap -- t\n"
	    "include loop.policy -- the loop\n");
	error[0] = '\0';
	ck_assert_ptr_null(policy_load(top, error, sizeof(error)));
	assert_at_one_of(error, (const char *const []){ loop }, (const
	    unsigned []){ 2 }, 1);
	free(top);

	/* top -> a -> b -> a ... */
	a = write_text(dir, "a.policy", "brk -- heap\n"
	    "include b.policy -- b\n");
	b = write_text(dir, "b.policy", "# b\n"
	    "include a.policy -- back to a\n");
	top = write_text(dir, "top.policy", "default trap -- t\n"
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

Suite *
policy_include_suite(void)
{
	Suite *s = suite_create("policy_include");
	TCase *includes = tcase_create("includes");

	tcase_set_timeout(includes, 30);
	tcase_add_test(includes, test_include_missing_file);
	tcase_add_test(includes, test_include_syntax);
	tcase_add_test(includes, test_error_inside_include);
	tcase_add_test(includes, test_include_relative_to_the_including_file);
	tcase_add_test(includes, test_include_absolute_path);
	tcase_add_test(includes, test_includes_nested_too_deep);
	tcase_add_test(includes, test_include_cycles);
	suite_add_tcase(s, includes);
	return s;
}
