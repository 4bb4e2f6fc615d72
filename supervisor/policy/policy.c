/*
 * The policy compiler: a parsed policy (policy_parse.c) becomes a libseccomp
 * filter for the native architecture, exported as the BPF program every
 * worker installs, and shown to reviewers as libseccomp prints it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../ipc/wire.h"
#include "../log.h"
#include "policy.h"
#include "policy_rules.h"

/*
 * The filter of context as the BPF program a worker installs (malloc'd),
 * or NULL with errno.  libseccomp exports only to a descriptor: a memfd
 * holds it on the way.
 */
static void *
export_program(scmp_filter_ctx context, size_t *length)
{
	void *program = NULL;
	off_t size;
	int fd, rc;

	if ((fd = memfd_create("luaward-filter", MFD_CLOEXEC)) == -1)
		return NULL;
	if ((rc = seccomp_export_bpf(context, fd)) < 0)
		errno = -rc;
	else if ((size = lseek(fd, 0, SEEK_END)) <= 0)
		errno = EIO;		/* an empty program is no filter */
	else {
		program = xmalloc((size_t)size);
		if (pread(fd, program, (size_t)size, 0) == (ssize_t)size)
			*length = (size_t)size;
		else {
			free(program);
			program = NULL;
			errno = EIO;
		}
	}
	{
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return program;
}

static int
compile(struct policy *policy, char *error, size_t error_size)
{
	int rc;

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
	if ((policy->program = export_program(policy->context,
	    &policy->program_length)) == NULL) {
		snprintf(error, error_size, "%s: the filter cannot be exported: "
		    "%s", policy->path, strerror(errno));
		return -1;
	}
	if (policy->program_length > WIRE_MAX_FILTER) {
		snprintf(error, error_size, "%s: the filter has %zu "
		    "instructions, more than the %d a worker accepts",
		    policy->path, policy->program_length / 8,
		    WIRE_MAX_FILTER / 8);
		return -1;
	}
	return 0;
}

struct policy *
policy_load(const char *path, char *error, size_t error_size)
{
	struct policy *policy = xcalloc(1, sizeof(*policy));

	policy->path = xstrdup(path);
	if (policy_parse(policy, path, error, error_size) == -1)
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
	void *program;

	if (context == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	program = export_program(context, length);
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
