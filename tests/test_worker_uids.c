/*
 * The worker uid allocator on its own: distinct uids per slot with the
 * gid of the same number, never one another allocator (in this process or
 * another) holds, one a process runs under, or one the user database
 * names; a lock that dies with its holder; the fallback and its reason,
 * said once; a lock directory others could tamper with refused.
 *
 * All but the unprivileged case take root: the lock directory must be
 * root's.
 */
#define _GNU_SOURCE
#include <check.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "helpers.h"
#include "identity_support.h"
#include "suites.h"

/* What the allocator logs goes to a file while a test looks at it. */
struct captured {
	char	*path;
	int	 saved;
};

static void
capture_stderr(struct captured *c)
{
	char *dir = temp_dir();
	int fd;

	ck_assert_int_ne(asprintf(&c->path, "%s/stderr", dir), -1);
	free(dir);
	fflush(stderr);
	c->saved = dup(2);
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert(c->saved >= 0 && fd >= 0 && dup2(fd, 2) == 2);
	close(fd);
}

static char *
captured_text(struct captured *c)
{
	size_t length;
	char *text;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	text = read_source_file(c->path, &length);
	free(c->path);
	return text;
}

static char *
lock_dir(void)
{
	char *dir = temp_dir(), *path;

	ck_assert_int_ne(asprintf(&path, "%s/locks", dir), -1);
	free(dir);
	return path;
}

START_TEST(test_slots_get_distinct_uids_with_the_same_gid)
{
	struct spawn_identity fallback = nobody(), a, b;
	uint32_t base = test_base();
	char *dir = lock_dir();
	struct worker_uids *u = worker_uids_new(base, base + 3, dir, &fallback);
	struct stat st;

	ck_assert_int_eq(worker_uids_acquire(u, &a), 0);
	ck_assert_int_eq(worker_uids_acquire(u, &b), 0);
	ck_assert(a.drop_user && b.drop_user);
	ck_assert_uint_ne(a.uid, b.uid);
	ck_assert(a.uid >= base && a.uid <= base + 3);
	ck_assert(b.uid >= base && b.uid <= base + 3);
	ck_assert_uint_eq(a.gid, a.uid);
	ck_assert_uint_eq(b.gid, b.uid);
	ck_assert_uint_eq(worker_uids_held(u), 2);
	/* The lock directory is root's alone. */
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 077) == 0);
	worker_uids_free(u);
	free(dir);
}
END_TEST

START_TEST(test_uid_locked_by_another_allocator_is_skipped)
{
	struct spawn_identity fallback = nobody(), a, b, c;
	uint32_t base = test_base();
	char *dir = lock_dir();
	struct worker_uids *one = worker_uids_new(base, base + 1, dir,
	    &fallback);
	struct worker_uids *two = worker_uids_new(base, base + 1, dir,
	    &fallback);

	/* flock holds between open files, in one process as in two. */
	ck_assert_int_eq(worker_uids_acquire(one, &a), 0);
	ck_assert_uint_eq(a.uid, base);
	ck_assert_int_eq(worker_uids_acquire(two, &b), 0);
	ck_assert_uint_eq(b.uid, base + 1);
	/* Given back, it is free for the other. */
	worker_uids_release(one, &a);
	ck_assert_uint_eq(worker_uids_held(one), 0);
	ck_assert_int_eq(worker_uids_acquire(two, &c), 0);
	ck_assert_uint_eq(c.uid, base);
	worker_uids_free(one);
	worker_uids_free(two);
	free(dir);
}
END_TEST

START_TEST(test_exhausted_range_falls_back_and_says_why)
{
	struct spawn_identity fallback = nobody(), a, b, c;
	uint32_t base = test_base();
	char *dir = lock_dir(), *said;
	struct worker_uids *one = worker_uids_new(base, base, dir, &fallback);
	struct worker_uids *two = worker_uids_new(base, base, dir, &fallback);
	struct captured err;

	ck_assert_int_eq(worker_uids_acquire(one, &a), 0);
	capture_stderr(&err);
	ck_assert_int_eq(worker_uids_acquire(two, &b), -1);
	ck_assert_int_eq(worker_uids_acquire(two, &c), -1);
	said = captured_text(&err);
	/* Said once, however many slots fall back. */
	ck_assert_msg(occurrences(said, "luaward: warning: worker uids: the "
	    "range") == 1 && occurrences(said, "run as nobody (uid ") == 1,
	    "%s", said);
	free(said);
	ck_assert(b.drop_user);
	ck_assert_uint_eq(b.uid, fallback.uid);
	ck_assert_uint_eq(b.gid, fallback.gid);
	ck_assert_msg(strstr(b.origin, "nobody as a fallback: the range") !=
	    NULL && strstr(b.origin, "is exhausted") != NULL &&
	    strstr(b.origin, "1 by other luaward instances") != NULL, "%s",
	    b.origin);
	/* Releasing a fallback is harmless and holds nothing. */
	worker_uids_release(two, &b);
	ck_assert_uint_eq(worker_uids_held(one), 1);
	worker_uids_free(one);
	worker_uids_free(two);
	free(dir);
}
END_TEST

START_TEST(test_lock_is_dropped_when_its_holder_is_killed)
{
	struct spawn_identity fallback = nobody(), who;
	uint32_t base = test_base();
	char *dir = lock_dir();
	struct worker_uids *u;
	struct captured err;
	int ready[2];
	char byte;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct worker_uids *held = worker_uids_new(base, base, dir,
		    &fallback);

		if (worker_uids_acquire(held, &who) != 0)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	u = worker_uids_new(base, base, dir, &fallback);
	capture_stderr(&err);
	ck_assert_int_eq(worker_uids_acquire(u, &who), -1);
	free(captured_text(&err));
	/* SIGKILL: no chance to clean up, and still the uid comes free. */
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	ck_assert_int_eq(worker_uids_acquire(u, &who), 0);
	ck_assert_uint_eq(who.uid, base);
	worker_uids_free(u);
	free(dir);
}
END_TEST

START_TEST(test_uid_of_a_running_process_is_skipped)
{
	struct spawn_identity fallback = nobody(), who;
	uint32_t base = test_base();
	char *dir = lock_dir();
	struct worker_uids *u;
	struct holder h;

	hold_uid(&h, base);
	u = worker_uids_new(base, base + 1, dir, &fallback);
	ck_assert_int_eq(worker_uids_acquire(u, &who), 0);
	ck_assert_uint_eq(who.uid, base + 1);
	worker_uids_free(u);
	let_go(&h);
	free(dir);
}
END_TEST

START_TEST(test_uid_named_in_passwd_or_group_is_skipped)
{
	struct spawn_identity fallback = nobody(), who;
	char *dir = lock_dir();
	struct worker_uids *u;
	uid_t named = 0;

	/* A uid of the user database whose next one is free. */
	for (uid_t uid = 1; uid < 70000 && named == 0; uid++)
		if (getpwuid(uid) != NULL && getpwuid(uid + 1) == NULL &&
		    getgrgid(uid + 1) == NULL && uid + 1 != 65534)
			named = uid;
	ck_assert_uint_ne(named, 0);
	u = worker_uids_new(named, named + 1, dir, &fallback);
	if (worker_uids_acquire(u, &who) == 0)
		ck_assert_uint_eq(who.uid, named + 1);
	else	/* a process happens to hold the free one */
		ck_assert_msg(strstr(who.origin, "1 in the user or group "
		    "database") != NULL, "%s", who.origin);
	worker_uids_free(u);
	free(dir);
	forget_locks(named, named + 1);
}
END_TEST

START_TEST(test_lock_directory_others_can_write_is_refused)
{
	struct spawn_identity fallback = nobody(), who;
	char *base = temp_dir(), *open_dir, *link_dir, *said;
	struct worker_uids *u;
	struct captured err;

	ck_assert_int_ne(asprintf(&open_dir, "%s/open", base), -1);
	ck_assert_int_eq(mkdir(open_dir, 0777), 0);
	ck_assert_int_eq(chmod(open_dir, 0777), 0);
	capture_stderr(&err);
	u = worker_uids_new(test_base(), test_base() + 1, open_dir, &fallback);
	ck_assert_int_eq(worker_uids_acquire(u, &who), -1);
	said = captured_text(&err);
	ck_assert_msg(strstr(said, "warning: worker uids: lock directory") !=
	    NULL, "%s", said);
	free(said);
	ck_assert_uint_eq(who.uid, fallback.uid);
	ck_assert_msg(strstr(who.origin, "nobody as a fallback: lock "
	    "directory") != NULL && strstr(who.origin, "is not root's "
	    "alone") != NULL, "%s", who.origin);
	worker_uids_free(u);

	/* A symbolic link could point anywhere: not followed. */
	ck_assert_int_ne(asprintf(&link_dir, "%s/link", base), -1);
	ck_assert_int_eq(symlink("/run", link_dir), 0);
	capture_stderr(&err);
	u = worker_uids_new(test_base(), test_base() + 1, link_dir, &fallback);
	ck_assert_int_eq(worker_uids_acquire(u, &who), -1);
	free(captured_text(&err));
	ck_assert_msg(strstr(who.origin, "not a directory") != NULL, "%s",
	    who.origin);
	worker_uids_free(u);
	free(open_dir);
	free(link_dir);
	free(base);
}
END_TEST

START_TEST(test_unprivileged_supervisor_never_uses_the_range)
{
	struct spawn_identity fallback, who;
	char *dir = lock_dir();
	struct worker_uids *u;
	struct stat st;

	memset(&fallback, 0, sizeof(fallback));
	fallback.uid = 1000;
	fallback.gid = 1000;
	u = worker_uids_new(test_base(), test_base() + 1, dir, &fallback);
	ck_assert_int_eq(worker_uids_acquire(u, &who), -1);
	ck_assert(!who.drop_user);
	ck_assert_uint_eq(worker_uids_held(u), 0);
	/* Not even the lock directory is made. */
	ck_assert_int_eq(stat(dir, &st), -1);
	worker_uids_free(u);
	free(dir);
}
END_TEST

Suite *
worker_uids_suite(void)
{
	Suite *s = suite_create("worker_uids");
	TCase *t = tcase_create("allocator");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_unprivileged_supervisor_never_uses_the_range);
	suite_add_tcase(s, t);
	/* The rest takes root: a lock directory of root's, a process
	 * under another uid. */
	if (geteuid() != 0)
		return s;
	tcase_add_test(t, test_slots_get_distinct_uids_with_the_same_gid);
	tcase_add_test(t, test_uid_locked_by_another_allocator_is_skipped);
	tcase_add_test(t, test_exhausted_range_falls_back_and_says_why);
	tcase_add_test(t, test_lock_is_dropped_when_its_holder_is_killed);
	tcase_add_test(t, test_uid_of_a_running_process_is_skipped);
	tcase_add_test(t, test_uid_named_in_passwd_or_group_is_skipped);
	tcase_add_test(t, test_lock_directory_others_can_write_is_refused);
	return s;
}
