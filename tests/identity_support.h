/*
 * Shared by the worker uid and worker identity suites: a range of uids of
 * each test's own, a process holding a uid, and the fallback identity.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_IDENTITY_SUPPORT_H
#define LUAWARD_TESTS_IDENTITY_SUPPORT_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#include "../supervisor/spawn/worker_uids.h"

#define LOCK_DIR	WORKER_UIDS_LOCK_DIR

/* --- a range of uids for a test ------------------------------------- */

/* 16 uids of a test's own: above the container ranges, below the
 * default range, and apart from any other test process's. */
static inline uint32_t
test_base(void)
{
	return 1900000000u + (uint32_t)(getpid() % 50000) * 16u;
}

static inline char *
range_text(uint32_t first, uint32_t last)
{
	char *text;

	ck_assert_int_ne(asprintf(&text, "%u-%u", first, last), -1);
	return text;
}

/* The lock files a test's luaward runs left, once they have exited. */
static inline void
forget_locks(uint32_t first, uint32_t last)
{
	for (uint32_t uid = first; uid <= last; uid++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%u", LOCK_DIR, uid);
		unlink(path);
	}
}

/* A process that runs under uid until it is told to end (or the test
 * process dies). */
struct holder {
	pid_t	 pid;
	int	 release;
};

static inline void
hold_uid(struct holder *h, uint32_t uid)
{
	int go[2], ready[2];
	char byte;

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	h->pid = fork();
	ck_assert_int_ne(h->pid, -1);
	if (h->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		if (setresuid(uid, uid, uid) == -1)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		(void)!read(go[0], &byte, 1);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	h->release = go[1];
}

static inline void
let_go(struct holder *h)
{
	close(h->release);
	while (waitpid(h->pid, NULL, 0) == -1 && errno == EINTR)
		;
}

static inline struct spawn_identity
nobody(void)
{
	struct spawn_identity who;
	struct passwd *pw = getpwnam("nobody");

	ck_assert_ptr_nonnull(pw);
	memset(&who, 0, sizeof(who));
	who.drop_user = true;
	who.uid = pw->pw_uid;
	who.gid = pw->pw_gid;
	snprintf(who.origin, sizeof(who.origin), "nobody");
	return who;
}

static inline size_t
occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *at = text; (at = strstr(at, what)) != NULL; at++)
		n++;
	return n;
}

#endif
