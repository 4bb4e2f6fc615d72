/*
 * The policy parser and compiler.  A policy line is
 *     SYSCALL [CONDITION] -- REASON      or      default ACTION -- REASON
 * and CONDITION is comparisons on the syscall's arguments joined by && and
 * ||, each alternative of an || becoming one libseccomp rule.  Every error
 * names the file and line; nothing half-parsed is ever compiled.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../ipc/wire.h"
#include "log.h"
#include "policy.h"

#define MAX_ALTERNATIVES	8
#define MAX_COMPARISONS		6
#define MAX_LINE		1024
#define MAX_INCLUDE_DEPTH	4

struct alternative {
	struct scmp_arg_cmp	 comparisons[MAX_COMPARISONS];
	unsigned		 count;
};

struct rule {
	const char		*file;		/* an entry of policy->files */
	unsigned		 line;
	char			*syscall;
	int			 number;
	char			*condition;	/* as written, for `show` */
	char			*reason;
	struct alternative	 alternatives[MAX_ALTERNATIVES];
	unsigned		 alternative_count;
};

struct policy {
	char			*path;
	char			**files;	/* the policy and its includes */
	size_t			 file_count;
	uint32_t		 default_action;
	char			*default_name;
	char			*default_reason;
	struct rule		*rules;
	size_t			 rule_count;
	scmp_filter_ctx		 context;
	void			*program;
	size_t			 program_length;
};

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

static const struct {
	const char *name;
	const char *spelling;
	enum scmp_compare op;
} operators[] = {
	{ "==", "==", SCMP_CMP_EQ }, { "!=", "!=", SCMP_CMP_NE },
	{ "<=", "<=", SCMP_CMP_LE }, { ">=", ">=", SCMP_CMP_GE },
	{ "<", "<", SCMP_CMP_LT }, { ">", ">", SCMP_CMP_GT },
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
	uint64_t atom;

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
			*cmp = SCMP_CMP(argument, operators[i].op, value);
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
	size_t n;

	if ((separator = strstr(line, "--")) == NULL)
		return parse_error(ps, "missing '-- reason': every rule says "
		    "why it is needed");
	*separator = '\0';
	reason = trim(separator + 2);
	body = trim(line);
	if (*reason == '\0')
		return parse_error(ps, "empty reason after '--'");
	ps->p = body;
	if ((n = word(ps, name, sizeof(name))) == 0)
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

static int
compile(struct policy *policy, char *error, size_t error_size)
{
	off_t size;
	int fd, rc;

	if ((policy->context = seccomp_init(policy->default_action)) == NULL) {
		snprintf(error, error_size, "%s: libseccomp cannot start a "
		    "filter", policy->path);
		return -1;
	}
	/* A syscall made through another architecture's ABI (int 0x80, x32)
	 * never reaches the rules: it kills the worker. */
	if ((rc = seccomp_attr_set(policy->context, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0) {
		snprintf(error, error_size, "%s: %s", policy->path,
		    strerror(-rc));
		return -1;
	}
	for (size_t i = 0; i < policy->rule_count; i++) {
		const struct rule *rule = &policy->rules[i];

		if (rule->alternative_count == 0)
			rc = seccomp_rule_add(policy->context, SCMP_ACT_ALLOW,
			    rule->number, 0);
		else
			for (unsigned a = 0; a < rule->alternative_count; a++) {
				rc = seccomp_rule_add_array(policy->context,
				    SCMP_ACT_ALLOW, rule->number,
				    rule->alternatives[a].count,
				    rule->alternatives[a].comparisons);
				if (rc < 0)
					break;
			}
		if (rc < 0) {
			snprintf(error, error_size, "%s:%u: libseccomp rejects "
			    "the rule for %s: %s", rule->file, rule->line,
			    rule->syscall, strerror(-rc));
			return -1;
		}
	}
	if ((fd = memfd_create("luaward-policy", MFD_CLOEXEC)) == -1) {
		snprintf(error, error_size, "memfd_create: %s",
		    strerror(errno));
		return -1;
	}
	if ((rc = seccomp_export_bpf(policy->context, fd)) < 0 ||
	    (size = lseek(fd, 0, SEEK_END)) <= 0 ||
	    size > (off_t)WIRE_MAX_FILTER || lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(error, error_size, "%s: the filter cannot be exported "
		    "(or is larger than %u instructions)", policy->path,
		    WIRE_MAX_FILTER / 8);
		close(fd);
		return -1;
	}
	policy->program_length = (size_t)size;
	policy->program = xmalloc(policy->program_length);
	if (pread(fd, policy->program, policy->program_length, 0) !=
	    (ssize_t)policy->program_length) {
		snprintf(error, error_size, "reading the exported filter: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct policy *
policy_load(const char *path, char *error, size_t error_size)
{
	struct policy *policy = xcalloc(1, sizeof(*policy));

	policy->path = xstrdup(path);
	if (parse_path(policy, path, 0, NULL, error, error_size) == -1)
		goto fail;
	if (policy->default_name == NULL) {
		snprintf(error, error_size, "%s: no 'default' line: the action "
		    "for every syscall not listed must be stated", path);
		goto fail;
	}
	if (policy->rule_count == 0) {
		snprintf(error, error_size, "%s: no rules", path);
		goto fail;
	}
	if (compile(policy, error, error_size) == -1)
		goto fail;
	return policy;
fail:
	policy_free(policy);
	return NULL;
}

void
policy_free(struct policy *policy)
{
	if (policy == NULL)
		return;
	for (size_t i = 0; i < policy->rule_count; i++) {
		free(policy->rules[i].syscall);
		free(policy->rules[i].condition);
		free(policy->rules[i].reason);
	}
	free(policy->rules);
	for (size_t i = 0; i < policy->file_count; i++)
		free(policy->files[i]);
	free(policy->files);
	if (policy->context != NULL)
		seccomp_release(policy->context);
	free(policy->program);
	free(policy->default_name);
	free(policy->default_reason);
	free(policy->path);
	free(policy);
}

const void *
policy_program(const struct policy *policy, size_t *length)
{
	*length = policy->program_length;
	return policy->program;
}

const char *
policy_path(const struct policy *policy)
{
	return policy->path;
}

size_t
policy_rule_count(const struct policy *policy)
{
	return policy->rule_count;
}

int
policy_show(const struct policy *policy, FILE *out)
{
	fprintf(out, "# policy %s\n", policy->path);
	fprintf(out, "# default: %s -- %s\n", policy->default_name,
	    policy->default_reason);
	fprintf(out, "# %zu rules:\n", policy->rule_count);
	for (size_t i = 0; i < policy->rule_count; i++) {
		const struct rule *rule = &policy->rules[i];
		const char *base = strrchr(rule->file, '/');

		fprintf(out, "#   %s:%-3u %-16s %-28s -- %s\n",
		    base != NULL ? base + 1 : rule->file, rule->line,
		    rule->syscall, rule->condition[0] != '\0' ?
		    rule->condition : "(any arguments)", rule->reason);
	}
	fprintf(out, "# compiled: %zu BPF instructions; libseccomp's "
	    "pseudo-filter code follows\n", policy->program_length / 8);
	if (fflush(out) == EOF)
		return -1;
	return seccomp_export_pfc(policy->context, fileno(out)) < 0 ? -1 : 0;
}

void *
policy_allow_all_program(size_t *length)
{
	scmp_filter_ctx context = seccomp_init(SCMP_ACT_ALLOW);
	void *program = NULL;
	off_t size;
	int fd = -1;

	if (context == NULL ||
	    (fd = memfd_create("luaward-allow-all", MFD_CLOEXEC)) == -1 ||
	    seccomp_export_bpf(context, fd) < 0 ||
	    (size = lseek(fd, 0, SEEK_END)) <= 0)
		goto done;
	program = xmalloc((size_t)size);
	if (pread(fd, program, (size_t)size, 0) != (ssize_t)size) {
		free(program);
		program = NULL;
		goto done;
	}
	*length = (size_t)size;
done:
	if (fd != -1)
		close(fd);
	if (context != NULL)
		seccomp_release(context);
	return program;
}

const char *
policy_syscall_name(unsigned arch, long nr, char *buffer, size_t size)
{
	char *name;

	if (nr < 0 || nr > INT32_MAX)
		return NULL;
	name = seccomp_syscall_resolve_num_arch(arch, (int)nr);
	if (name == NULL)
		return NULL;
	snprintf(buffer, size, "%s", name);
	free(name);
	return buffer;
}
