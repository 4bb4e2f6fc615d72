/*
 * The policy parser.  A policy line is
 *     SYSCALL [CONDITION] -- REASON      or      default ACTION -- REASON
 *     include FILE -- REASON
 * and CONDITION is comparisons on the syscall's arguments joined by && and
 * ||, each alternative of an || becoming one libseccomp rule.  Every error
 * names the file and line; nothing half-parsed is ever compiled.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../log.h"
#include "policy.h"
#include "policy_rules.h"

/* Argument names a reviewer can use instead of arg0..arg5. */
static const struct {
	const char *syscall;
	const char *arguments[6];
} argument_names[] = {
	{ "read", { "fd", "buf", "count" } },
	{ "write", { "fd", "buf", "count" } },
	{ "readv", { "fd", "iov", "iovcnt" } },
	{ "writev", { "fd", "iov", "iovcnt" } },
	{ "close", { "fd" } },
	{ "fstat", { "fd", "statbuf" } },
	{ "lseek", { "fd", "offset", "whence" } },
	{ "ioctl", { "fd", "request", "argp" } },
	{ "fcntl", { "fd", "cmd", "arg" } },
	{ "mmap", { "addr", "length", "prot", "flags", "fd", "offset" } },
	{ "mprotect", { "addr", "length", "prot" } },
	{ "munmap", { "addr", "length" } },
	{ "mremap", { "old_address", "old_size", "new_size", "flags",
	    "new_address" } },
	{ "madvise", { "addr", "length", "advice" } },
	{ "brk", { "addr" } },
	{ "exit", { "status" } },
	{ "exit_group", { "status" } },
	{ "clock_gettime", { "clockid", "tp" } },
	{ "clock_getres", { "clockid", "res" } },
	{ "clock_nanosleep", { "clockid", "flags", "request", "remain" } },
	{ "gettimeofday", { "tv", "tz" } },
	{ "getrandom", { "buf", "buflen", "flags" } },
	{ "futex", { "uaddr", "futex_op", "val", "timeout", "uaddr2",
	    "val3" } },
	{ "rt_sigprocmask", { "how", "set", "oldset", "sigsetsize" } },
	{ "rt_sigaction", { "signum", "act", "oldact", "sigsetsize" } },
	{ "openat", { "dirfd", "pathname", "flags", "mode" } },
	{ "open", { "pathname", "flags", "mode" } },
	{ "socket", { "domain", "type", "protocol" } },
	{ "kill", { "pid", "sig" } },
	{ "tgkill", { "tgid", "tid", "sig" } },
	{ "prctl", { "option", "arg2", "arg3", "arg4", "arg5" } },
	{ "clone", { "flags", "stack", "parent_tid", "child_tid", "tls" } },
};

static const struct {
	const char *name;
	uint64_t value;
} constants[] = {
	{ "PROT_NONE", PROT_NONE }, { "PROT_READ", PROT_READ },
	{ "PROT_WRITE", PROT_WRITE }, { "PROT_EXEC", PROT_EXEC },
	{ "MAP_SHARED", MAP_SHARED }, { "MAP_PRIVATE", MAP_PRIVATE },
	{ "MAP_FIXED", MAP_FIXED }, { "MAP_ANONYMOUS", MAP_ANONYMOUS },
	{ "MAP_NORESERVE", MAP_NORESERVE }, { "MAP_STACK", MAP_STACK },
	{ "MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE },
	{ "MREMAP_MAYMOVE", MREMAP_MAYMOVE }, { "MREMAP_FIXED", MREMAP_FIXED },
	{ "MADV_DONTNEED", MADV_DONTNEED }, { "MADV_FREE", MADV_FREE },
	{ "CLOCK_REALTIME", CLOCK_REALTIME },
	{ "CLOCK_MONOTONIC", CLOCK_MONOTONIC },
	{ "CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID },
	{ "CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID },
	{ "CLOCK_MONOTONIC_RAW", CLOCK_MONOTONIC_RAW },
	{ "CLOCK_REALTIME_COARSE", CLOCK_REALTIME_COARSE },
	{ "CLOCK_MONOTONIC_COARSE", CLOCK_MONOTONIC_COARSE },
	{ "CLOCK_BOOTTIME", CLOCK_BOOTTIME },
	{ "O_RDONLY", O_RDONLY }, { "O_WRONLY", O_WRONLY },
	{ "O_RDWR", O_RDWR }, { "O_CLOEXEC", O_CLOEXEC },
	{ "FUTEX_WAIT", 0 }, { "FUTEX_WAKE", 1 },
	{ "FUTEX_PRIVATE_FLAG", 128 },
};

/* Two-character operators first, so that "<=" is not read as "<". */
static const struct {
	const char *spelling;
	enum scmp_compare op;
} operators[] = {
	{ "==", SCMP_CMP_EQ }, { "!=", SCMP_CMP_NE },
	{ "<=", SCMP_CMP_LE }, { ">=", SCMP_CMP_GE },
	{ "<", SCMP_CMP_LT }, { ">", SCMP_CMP_GT },
};

struct parser {
	const char	*path;
	unsigned	 line;
	unsigned	 depth;		/* of includes */
	const char	*syscall;
	const char	*p;		/* the condition being parsed */
	char		*error;
	size_t		 error_size;
};

static int
parse_error(struct parser *ps, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int
parse_error(struct parser *ps, const char *format, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	snprintf(ps->error, ps->error_size, "%s:%u: %s", ps->path, ps->line,
	    message);
	return -1;
}

static void
skip_space(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

static bool
take(struct parser *ps, const char *token)
{
	size_t length = strlen(token);

	skip_space(ps);
	if (strncmp(ps->p, token, length) != 0)
		return false;
	/* "&" must not eat the first half of "&&", nor "|" of "||". */
	if (length == 1 && (token[0] == '&' || token[0] == '|') &&
	    ps->p[1] == token[0])
		return false;
	ps->p += length;
	return true;
}

static size_t
word(struct parser *ps, char *out, size_t size)
{
	size_t n = 0;

	skip_space(ps);
	while ((isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_') &&
	    n + 1 < size) {
		out[n] = ps->p[n];
		n++;
	}
	out[n] = '\0';
	ps->p += n;
	return n;
}

static int
parse_argument(struct parser *ps, unsigned *argument)
{
	char name[64];

	if (word(ps, name, sizeof(name)) == 0)
		return parse_error(ps, "expected an argument name near '%.20s'",
		    ps->p);
	if (strncmp(name, "arg", 3) == 0 && name[3] >= '0' && name[3] <= '5' &&
	    name[4] == '\0') {
		*argument = (unsigned)(name[3] - '0');
		return 0;
	}
	for (size_t i = 0; i < sizeof(argument_names) /
	    sizeof(argument_names[0]); i++) {
		if (strcmp(argument_names[i].syscall, ps->syscall) != 0)
			continue;
		for (unsigned a = 0; a < 6; a++)
			if (argument_names[i].arguments[a] != NULL &&
			    strcmp(argument_names[i].arguments[a], name) == 0) {
				*argument = a;
				return 0;
			}
		return parse_error(ps, "%s has no argument named '%s'",
		    ps->syscall, name);
	}
	return parse_error(ps, "unknown argument '%s' (use arg0 to arg5 for "
	    "%s)", name, ps->syscall);
}

static int
parse_atom(struct parser *ps, uint64_t *value)
{
	char text[64], *end;

	if (word(ps, text, sizeof(text)) == 0)
		return parse_error(ps, "expected a number or a constant near "
		    "'%.20s'", ps->p);
	if (isdigit((unsigned char)text[0])) {
		/* Decimal or 0x hex, as the policy's header says: a leading 0
		 * must not silently make "010" octal. */
		bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
		const char *digits = hex ? text + 2 : text;

		errno = 0;
		*value = strtoull(digits, &end, hex ? 16 : 10);
		if (errno != 0 || *digits == '\0' || *end != '\0' ||
		    strspn(digits, hex ? "0123456789abcdefABCDEF" :
		    "0123456789") != strlen(digits))
			return parse_error(ps, "'%s' is not a number", text);
		return 0;
	}
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
		if (strcmp(constants[i].name, text) == 0) {
			*value = constants[i].value;
			return 0;
		}
	return parse_error(ps, "unknown constant '%s'", text);
}

static int
parse_value(struct parser *ps, uint64_t *value)
{
	uint64_t atom = 0;

	if (parse_atom(ps, value) == -1)
		return -1;
	while (take(ps, "|")) {
		if (parse_atom(ps, &atom) == -1)
			return -1;
		*value |= atom;
	}
	return 0;
}

static int
parse_comparison(struct parser *ps, struct scmp_arg_cmp *cmp)
{
	unsigned argument;
	uint64_t mask, value;

	if (take(ps, "(")) {
		if (parse_argument(ps, &argument) == -1)
			return -1;
		if (!take(ps, "&"))
			return parse_error(ps, "expected '&' in (ARG & MASK)");
		if (parse_value(ps, &mask) == -1)
			return -1;
		if (!take(ps, ")"))
			return parse_error(ps, "expected ')' after the mask");
		if (!take(ps, "=="))
			return parse_error(ps, "a masked argument can only be "
			    "compared with ==");
		if (parse_value(ps, &value) == -1)
			return -1;
		*cmp = SCMP_CMP(argument, SCMP_CMP_MASKED_EQ, mask, value);
		return 0;
	}
	if (parse_argument(ps, &argument) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
		if (take(ps, operators[i].spelling)) {
			if (parse_value(ps, &value) == -1)
				return -1;
			*cmp = SCMP_CMP(argument, operators[i].op, value, 0);
			return 0;
		}
	return parse_error(ps, "expected a comparison operator (== != < <= > "
	    ">=) near '%.20s'", ps->p);
}

static int
parse_condition(struct parser *ps, struct rule *rule)
{
	do {
		struct alternative *alternative;

		if (rule->alternative_count == MAX_ALTERNATIVES)
			return parse_error(ps, "more than %d alternatives",
			    MAX_ALTERNATIVES);
		alternative = &rule->alternatives[rule->alternative_count++];
		do {
			if (alternative->count == MAX_COMPARISONS)
				return parse_error(ps, "more than %d "
				    "comparisons joined by &&",
				    MAX_COMPARISONS);
			if (parse_comparison(ps,
			    &alternative->comparisons[alternative->count++]) ==
			    -1)
				return -1;
		} while (take(ps, "&&"));
	} while (take(ps, "||"));
	skip_space(ps);
	if (*ps->p != '\0')
		return parse_error(ps, "unexpected '%.20s' in the condition",
		    ps->p);
	return 0;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
parse_default(struct parser *ps, struct policy *policy, char *rest,
    const char *reason)
{
	static const struct {
		const char *name;
		uint32_t action;
	} actions[] = {
		{ "trap", SCMP_ACT_TRAP },
		{ "kill-process", SCMP_ACT_KILL_PROCESS },
	};
	char *action = trim(rest);

	if (policy->default_name != NULL)
		return parse_error(ps, "a second 'default' line");
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(action, actions[i].name) == 0) {
			policy->default_action = actions[i].action;
			policy->default_name = xstrdup(action);
			policy->default_reason = xstrdup(reason);
			return 0;
		}
	return parse_error(ps, "unknown default action '%s' (use trap or "
	    "kill-process)", action);
}

static int	parse_path(struct policy *, const char *path, unsigned depth,
		    struct parser *from, char *error, size_t error_size);

/* include FILE -- reason: the rules of FILE (relative to this file's
 * directory), as if written here. */
static int
parse_include(struct parser *ps, struct policy *policy, char *rest)
{
	char *name = trim(rest), path[4096];
	const char *slash = strrchr(ps->path, '/');

	if (*name == '\0' || strpbrk(name, " \t") != NULL)
		return parse_error(ps, "include takes one file name");
	if (ps->depth >= MAX_INCLUDE_DEPTH)
		return parse_error(ps, "includes nested deeper than %d",
		    MAX_INCLUDE_DEPTH);
	if (name[0] == '/' || slash == NULL)
		snprintf(path, sizeof(path), "%s", name);
	else if ((size_t)snprintf(path, sizeof(path), "%.*s/%s",
	    (int)(slash - ps->path), ps->path, name) >= sizeof(path))
		return parse_error(ps, "include path too long");
	return parse_path(policy, path, ps->depth + 1, ps, ps->error,
	    ps->error_size) == -1 ? -1 : 0;
}

static int
parse_line(struct parser *ps, struct policy *policy, char *line)
{
	char *separator, *reason, *body, *rest, name[64];
	struct rule *rule;
	int number;

	if ((separator = strstr(line, "--")) == NULL)
		return parse_error(ps, "missing '-- reason': every rule says "
		    "why it is needed");
	*separator = '\0';
	reason = trim(separator + 2);
	body = trim(line);
	if (*reason == '\0')
		return parse_error(ps, "empty reason after '--'");
	ps->p = body;
	if (word(ps, name, sizeof(name)) == 0)
		return parse_error(ps, "expected a syscall name or 'default'");
	rest = (char *)ps->p;
	if (*rest != '\0' && *rest != ' ' && *rest != '\t')
		return parse_error(ps, "unexpected '%.20s' after '%s'", rest,
		    name);
	if (strcmp(name, "default") == 0)
		return parse_default(ps, policy, rest, reason);
	if (strcmp(name, "include") == 0)
		return parse_include(ps, policy, rest);
	number = seccomp_syscall_resolve_name(name);
	if (number == __NR_SCMP_ERROR)
		return parse_error(ps, "unknown syscall '%s'", name);
	policy->rules = xrealloc(policy->rules,
	    (policy->rule_count + 1) * sizeof(*policy->rules));
	rule = &policy->rules[policy->rule_count++];
	memset(rule, 0, sizeof(*rule));
	rule->file = ps->path;
	rule->line = ps->line;
	rule->syscall = xstrdup(name);
	rule->number = number;
	rule->reason = xstrdup(reason);
	rest = trim(rest);
	rule->condition = xstrdup(rest);
	ps->syscall = rule->syscall;
	ps->p = rest;
	if (*rest != '\0' && parse_condition(ps, rule) == -1)
		return -1;
	return 0;
}

static int
parse_file(struct policy *policy, const char *path, unsigned depth,
    FILE *file, char *error, size_t error_size)
{
	struct parser ps = { .path = path, .depth = depth, .error = error,
	    .error_size = error_size };
	char *line = NULL;
	size_t capacity = 0;
	ssize_t length;
	int r = 0;

	while (r == 0 && (length = getline(&line, &capacity, file)) != -1) {
		char *body;

		ps.line++;
		/* The newline is not part of the line (the last may lack it). */
		if ((size_t)length - (line[length - 1] == '\n' ? 1u : 0u) >
		    MAX_LINE)
			r = parse_error(&ps, "line longer than %d bytes",
			    MAX_LINE);
		else if (memchr(line, '\0', (size_t)length) != NULL)
			r = parse_error(&ps, "NUL byte in the line");
		else if (*(body = trim(line)) != '#' && *body != '\0')
			r = parse_line(&ps, policy, body);
	}
	free(line);
	if (r == 0 && ferror(file)) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		r = -1;
	}
	return r;
}

/* from is the including file's parser (NULL for the policy itself): a
 * missing include is reported at the line that names it. */
static int
parse_path(struct policy *policy, const char *path, unsigned depth,
    struct parser *from, char *error, size_t error_size)
{
	FILE *file;
	int r;

	if ((file = fopen(path, "re")) == NULL) {
		if (from != NULL)
			return parse_error(from, "cannot read included policy "
			    "%s: %s", path, strerror(errno));
		snprintf(error, error_size, "cannot read policy %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* Kept for the rules' messages. */
	policy->files = xrealloc(policy->files,
	    (policy->file_count + 1) * sizeof(*policy->files));
	path = policy->files[policy->file_count++] = xstrdup(path);
	r = parse_file(policy, path, depth, file, error, error_size);
	fclose(file);
	return r;
}

int
policy_parse(struct policy *policy, const char *path, char *error,
    size_t error_size)
{
	return parse_path(policy, path, 0, NULL, error, error_size);
}
