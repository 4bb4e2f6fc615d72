/*
 * The seccomp policy parser and compiler (supervisor/policy/policy_parse.c,
 * supervisor/policy/policy.c) on any text: policy_load() either returns a filter
 * a worker accepts, or an error that names a file of the policy; the same
 * text always gives the same filter or the same error.
 *
 * Input: one or more policy files separated by a line "%%": the first is
 * /fuzz/main.policy, the second /fuzz/worker.policy, then /fuzz/2.policy,
 * /fuzz/3.policy and so on, so that `include` lines have something to
 * find.  The target is linked with --wrap=fopen: while a policy loads,
 * fopen() serves those files from memory and refuses every other path,
 * so no input can make it read a file of the machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ipc/wire.h"
#include "../../supervisor/policy/policy.h"
#include "fuzz_wire.h"

#define MAX_FILES	8
#define SEPARATOR	"\n%%\n"
#define DIRECTORY	"/fuzz/"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
FILE	*__real_fopen(const char *, const char *);
FILE	*__wrap_fopen(const char *, const char *);

static struct {
	bool		 active;
	char		 names[MAX_FILES][32];
	const char	*text[MAX_FILES];
	size_t		 length[MAX_FILES];
	size_t		 count;
} files;

static FILE *null_output;

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	if (!files.active)
		return __real_fopen(path, mode);
	INVARIANT(strcmp(mode, "re") == 0, "a policy opened with mode %s",
	    mode);
	for (size_t i = 0; i < files.count; i++)
		if (strcmp(path, files.names[i]) == 0)
			/* Read-only: "r" without the 'e', which fmemopen
			 * does not take. */
			return fmemopen((void *)files.text[i], files.length[i],
			    "r");
	errno = ENOENT;
	return NULL;
}

/* Splits the input into the files of the policy. */
static void
split(const char *text, size_t size)
{
	static const char *const fixed[] = { "main.policy", "worker.policy" };

	files.count = 0;
	while (files.count < MAX_FILES) {
		const char *end = memmem(text, size, SEPARATOR,
		    sizeof(SEPARATOR) - 1);
		size_t length = end != NULL ? (size_t)(end - text) : size;
		size_t i = files.count++;

		if (i < sizeof(fixed) / sizeof(fixed[0]))
			snprintf(files.names[i], sizeof(files.names[i]),
			    DIRECTORY "%s", fixed[i]);
		else
			snprintf(files.names[i], sizeof(files.names[i]),
			    DIRECTORY "%zu.policy", i);
		files.text[i] = text;
		files.length[i] = length;
		if (end == NULL)
			break;
		/* The newline before the separator ends the last line. */
		files.length[i] = length + 1;
		text = end + sizeof(SEPARATOR) - 1;
		size -= length + sizeof(SEPARATOR) - 1;
	}
}

static struct policy *
load(char *error, size_t error_size)
{
	struct policy *policy;

	memset(error, 0, error_size);
	files.active = true;
	policy = policy_load(files.names[0], error, error_size);
	files.active = false;
	/* Replaying one input: say what became of it. */
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s\n", policy != NULL ? "loaded" : error);
	if (policy == NULL) {
		INVARIANT(error[0] != '\0', "a policy refused silently");
		INVARIANT(memchr(error, '\0', error_size) != NULL,
		    "an unterminated error");
		INVARIANT(strncmp(error, DIRECTORY, strlen(DIRECTORY)) == 0 ||
		    strncmp(error, "cannot read policy " DIRECTORY,
		    strlen("cannot read policy " DIRECTORY)) == 0,
		    "an error that names no file of the policy: %s", error);
	}
	return policy;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char first_error[1024], second_error[1024];
	struct policy *first, *second;
	const void *program, *again;
	size_t length, again_length;
	char *text;

	/* A copy of exactly its size: reading past a file's end is seen. */
	text = malloc(size > 0 ? size : 1);
	INVARIANT(text != NULL, "out of memory");
	memcpy(text, data, size);
	split(text, size);
	first = load(first_error, sizeof(first_error));
	second = load(second_error, sizeof(second_error));
	INVARIANT((first == NULL) == (second == NULL),
	    "loaded once, refused once");
	if (first == NULL) {
		INVARIANT(strcmp(first_error, second_error) == 0,
		    "two errors: '%s' and '%s'", first_error, second_error);
	} else {
		program = policy_program(first, &length);
		again = policy_program(second, &again_length);
		INVARIANT(program != NULL && length > 0 && length % 8 == 0 &&
		    length <= WIRE_MAX_FILTER, "a program of %zu bytes",
		    length);
		INVARIANT(again_length == length &&
		    memcmp(program, again, length) == 0,
		    "one text, two programs");
		INVARIANT(policy_rule_count(first) > 0, "a policy of no rule");
		INVARIANT(strcmp(policy_path(first), files.names[0]) == 0,
		    "the policy is called %s", policy_path(first));
		INVARIANT(policy_show(first, null_output) == 0,
		    "policy show fails");
	}
	policy_free(first);
	policy_free(second);
	free(text);
	return 0;
}

int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	null_output = __real_fopen("/dev/null", "we");
	INVARIANT(null_output != NULL, "no /dev/null");
	return 0;
}
