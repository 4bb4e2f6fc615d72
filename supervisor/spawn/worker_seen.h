/*
 * A worker as the kernel shows it in /proc/PID, read by the supervisor
 * while the worker lives: its credentials, capability sets, seccomp and
 * no_new_privs state, and which of its namespaces differ from the
 * supervisor's.  The sandbox layers say what was applied; this says what
 * holds, so `selftest` can check one against the other.
 */
#ifndef LUAWARD_SUPERVISOR_WORKER_SEEN_H
#define LUAWARD_SUPERVISOR_WORKER_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The namespaces compared, as named in /proc/PID/ns. */
#define WORKER_SEEN_NAMESPACES	\
	{ "user", "pid", "net", "ipc", "mnt", "uts", "cgroup", "time" }
#define WORKER_SEEN_NAMESPACE_COUNT	8

enum ns_seen {
	NS_UNKNOWN,		/* not readable (or no such namespace) */
	NS_OWN,			/* differs from the supervisor's */
	NS_SHARED,		/* the supervisor's own */
};

struct worker_seen {
	bool		 read;		/* else why says why not */
	char		 why[96];
	uint32_t	 uid[4], gid[4];	/* real, effective, saved, fs */
	unsigned	 groups;		/* supplementary groups */
	uint64_t	 cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int		 no_new_privs;		/* -1: not shown */
	int		 seccomp;		/* 2: a filter; -1: not shown */
	unsigned	 pid_levels;		/* NSpid fields */
	enum ns_seen	 ns[WORKER_SEEN_NAMESPACE_COUNT];
};

/* Fills *seen from /proc/pid; seen->read is false when status could not
 * be read at all. */
void	 worker_seen_read(pid_t, struct worker_seen *);

/* Whether pid's namespace of that name (a /proc/PID/ns link) is the
 * caller's own. */
enum ns_seen worker_seen_compare(pid_t, const char *name);

/* The name of namespace i, in WORKER_SEEN_NAMESPACES order. */
const char *worker_seen_namespace(size_t i);
/* How namespace name was seen; NS_UNKNOWN for a name not compared. */
enum ns_seen worker_seen_ns(const struct worker_seen *, const char *name);

/* One line (no newline) saying what was seen. */
void	 worker_seen_describe(const struct worker_seen *, char *line,
	     size_t size);

#endif
