/*
 * Shared by the seccomp policy suites (test_policy*.c): loading that must
 * succeed, loading that must fail at a given file and line, one bad line
 * after a good prelude, and what `policy show` prints, a syscall at a
 * time.  Policy files are written with helpers.h's write_text().
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_POLICY_SUPPORT_H
#define LUAWARD_TESTS_POLICY_SUPPORT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/policy/policy.h"
#include "helpers.h"

/* Four good lines, so that the line under test is line 5. */
#define PRELUDE		"# a test policy\n\ndefault trap -- t\nbrk -- heap\n"
#define PRELUDE_LINES	4

static inline struct policy *
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
static inline void
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
static inline void
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
static inline void
bad_line_at(int at, const char *bad_line, const char *fragment)
{
	char *dir = temp_dir(), *text, *path;

	ck_assert_int_ne(asprintf(&text, PRELUDE "%s\n# after\nread -- r\n",
	    bad_line), -1);
	path = write_text(dir, "bad.policy", text);
	expect_error_at(at, path, path, PRELUDE_LINES + 1, fragment);
	free(path);
	free(text);
	free(dir);
}

#define BAD_LINE(line, fragment) bad_line_at(__LINE__, line, fragment)

/* What policy_show prints (it writes through fileno(): a real file). */
static inline char *
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
static inline char *
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

static inline void
assert_contains_at(int at, const char *text, const char *what)
{
	ck_assert_msg(strstr(text, what) != NULL,
	    "line %d: no '%s' in:\n%s", at, what, text);
}

#define ASSERT_CONTAINS(text, what) assert_contains_at(__LINE__, text, what)

#endif
