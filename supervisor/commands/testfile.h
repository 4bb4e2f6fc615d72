/*
 * Test files of `luaward test`: JSON Lines, one case per line, each a pod
 * (or its bare metadata) and what the plugin chain must make of it.
 * Blank lines and lines whose first non-blank character is '#' are
 * skipped; a line may end in CRLF.
 *
 *   {"name": "ogtest-0 is a StatefulSet",
 *    "pod": {"metadata": {...}}           or  "metadata": {...},
 *    "expect": {"workloadType": "StatefulSet", "workloadName": "ogtest",
 *               "status": "resolved", "plugin": "10-opengauss",
 *               "errors": [{"plugin": "99-slow", "kind": "timeout",
 *                           "message": "text the message contains"}]}}
 *
 * (on one line).  Only the fields expect names are compared, but errors
 * always are: a case that leaves errors out expects none.  Every key is
 * checked: an unknown or repeated key, a value of the wrong type, a status
 * or error kind that does not exist, or a case that expects nothing is an
 * error of the file that names its line, so a typo can never pass a test.
 */
#ifndef LUAWARD_SUPERVISOR_TESTFILE_H
#define LUAWARD_SUPERVISOR_TESTFILE_H

#include <stdbool.h>
#include <stddef.h>

/* A test file larger than this is refused. */
#define TESTFILE_MAX_SIZE	(64u << 20)

/* The fields of an output line a case can expect, in output order. */
enum test_field {
	TEST_WORKLOAD_TYPE, TEST_WORKLOAD_NAME, TEST_STATUS, TEST_PLUGIN,
	TEST_FIELD_COUNT,
};

/* Decoded JSON string (it may hold NUL bytes); bytes NULL: not given. */
struct test_text {
	char	*bytes;
	size_t	 length;
};

struct test_error {
	struct test_text plugin;
	struct test_text kind;
	struct test_text message;	/* not given: any message */
};

struct test_case {
	char		*name;		/* as given, or FILE:LINE */
	char		*where;		/* FILE:LINE */
	/* The record pushed to the chain: the metadata as a Pod object, so
	 * it is read as exactly one record whatever keys it holds. */
	char		*record;
	size_t		 record_length;
	struct test_text expect[TEST_FIELD_COUNT];
	struct test_error *errors;	/* every error, in chain order */
	size_t		 error_count;
};

struct test_list {
	struct test_case *cases;
	size_t		 count, capacity;
};

/* The key of a field in a case's expect and in an output line. */
const char	*test_field_key(enum test_field);

/*
 * Appends the cases of the text, read from path (named in messages).
 * Returns 0, or -1 with "PATH:LINE: reason" in error; the cases of the
 * text are then all dropped.  A text with no case is an error.
 */
int	 testfile_parse(struct test_list *, const char *path,
	     const char *text, size_t length, char *error, size_t error_size);
/* Reads the file at path (at most TESTFILE_MAX_SIZE bytes), then parses
 * it. */
int	 testfile_load(struct test_list *, const char *path, char *error,
	     size_t error_size);
void	 test_list_free(struct test_list *);

#endif
