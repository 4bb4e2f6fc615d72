/*
 * A parsed policy, shared by the parser (policy_parse.c) and the compiler
 * (policy.c).  Not for use outside the two.
 */
#ifndef LUAWARD_SUPERVISOR_POLICY_RULES_H
#define LUAWARD_SUPERVISOR_POLICY_RULES_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

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

/* Parses path (and its includes) into policy.  Returns 0, or -1 with
 * "FILE:LINE: reason". */
int	 policy_parse(struct policy *, const char *path, char *error,
	     size_t error_size);

#endif
