/*
 * policies/worker.policy: the worker's seccomp allowlist in plain text,
 * parsed and compiled with libseccomp before any worker starts.  The syntax
 * is documented at the top of the policy file itself.
 */
#ifndef LUAWARD_SUPERVISOR_POLICY_H
#define LUAWARD_SUPERVISOR_POLICY_H

#include <stddef.h>
#include <stdio.h>

struct policy;

/* Parses and compiles path.  Returns NULL with "FILE:LINE: reason" in error
 * when the file cannot be read, does not parse, or does not compile. */
struct policy	*policy_load(const char *path, char *error, size_t error_size);
void		 policy_free(struct policy *);

/* The compiled BPF program (struct sock_filter[]), as the kernel gets it. */
const void	*policy_program(const struct policy *, size_t *length);

const char	*policy_path(const struct policy *);
size_t		 policy_rule_count(const struct policy *);

/* The parsed rules, then libseccomp's pseudo-filter code. */
int		 policy_show(const struct policy *, FILE *);

/* selftest's second pass: a filter that allows every syscall, to show what
 * the other layers stop on their own.  Returns a new program, or NULL. */
void		*policy_allow_all_program(size_t *length);

/* The name of syscall number nr on audit architecture arch, or NULL. */
const char	*policy_syscall_name(unsigned arch, long nr, char *buffer,
		     size_t size);

#endif
