/*
 * One log format for every diagnostic the supervisor writes to stderr:
 *     luaward: <message>
 *     luaward: plugin <name>: <message>     (lines from a worker)
 * fatal() / fatalx() are for startup: they end the process with status 2
 * (usage or configuration error), fatal() adding strerror(errno).
 */
#ifndef LUAWARD_SUPERVISOR_LOG_H
#define LUAWARD_SUPERVISOR_LOG_H

#include <stddef.h>

/* Exit statuses of luaward (docs/contract.md). */
#define EXIT_ALL_GOOD		0
#define EXIT_SOME_FAILED	1
#define EXIT_USAGE		2

void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));

void	 fatal(const char *, ...)
	     __attribute__((noreturn, format(printf, 1, 2)));
void	 fatalx(const char *, ...)
	     __attribute__((noreturn, format(printf, 1, 2)));

/* The runtime error idiom: the message goes into the caller's buffer and
 * the function returns -1, so that `return error_set(...)` reports it. */
int	 error_set(char *error, size_t error_size, const char *, ...)
	     __attribute__((format(printf, 3, 4)));

/* Allocation that cannot fail: out of memory ends the run (status 1). */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

#endif
