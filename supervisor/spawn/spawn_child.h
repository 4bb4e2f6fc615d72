/*
 * The child's half of spawn_worker(): the steps between fork and exec,
 * run in the new process.  Internal to spawn.c and spawn_child.c.
 */
#ifndef LUAWARD_SUPERVISOR_SPAWN_CHILD_H
#define LUAWARD_SUPERVISOR_SPAWN_CHILD_H

#include <sys/types.h>

#include "spawn.h"

/* What the child is to do, made by the supervisor before the clone. */
struct child_plan {
	const struct spawn_config *config;
	int	 fds[3];	/* become 0, 1, 2 */
	int	 binary, status;
	int	 clone_flags;
	pid_t	 parent;
	int	 last_cap;	/* the kernel's, or -1: unknown */
};

/* Namespaces unshared on their own after the clone, each reported as a
 * layer: a kernel without one still gives the worker the others. */
struct own_namespace {
	int		 flag;
	const char	*flag_name;
	const char	*layer;
	const char	*link;		/* in /proc/PID/ns */
	const char	*applied;	/* the layer's detail */
};

#define OWN_NAMESPACE_COUNT	2
extern const struct own_namespace own_namespaces[OWN_NAMESPACE_COUNT];

/*
 * Applies the layers and execs the worker.  What the child has to say
 * goes to the status pipe, one line each: "E message" for a failure
 * (then it exits 127 before exec), "S layer reason" for a layer skipped
 * in auto mode.
 */
void	 spawn_child_main(const struct child_plan *)
	     __attribute__((noreturn));

#endif
