/*
 * Worker identity and the process layers spawn applies: started as root,
 * each worker slot runs under a uid of its own from --worker-uids, no
 * other luaward or process shares it, a slot keeps it across restarts,
 * and the fallback to nobody is reported; a running worker's capability
 * sets are empty and its cgroup and time namespaces are its own.
 *
 * These run as root where they can (the uid drop needs it).  Each test
 * takes uids from a small range of its own, far from the default one,
 * so that runs side by side do not meet.
 */
#define _GNU_SOURCE
#include <check.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdint.h>

#include "chaos_support.h"
#include "helpers.h"
#include "identity_support.h"
#include "suites.h"

#define WAIT_S		120.0	/* for a line or a worker: generous */

static const char plugin_source[] =
    "function GetWorkloadTypeAndName(s) return '', '' end\n";

/* --- what /proc says ----------------------------------------------------- */

struct proc_ids {
	uint32_t	 uid[4], gid[4];
	char		 groups[256];
	uint64_t	 inh, prm, eff, bnd, amb;
};

static bool
read_ids(pid_t pid, struct proc_ids *ids)
{
	char path[64], line[512];
	bool got = false;
	FILE *f;

	memset(ids, 0, sizeof(*ids));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Uid: %u %u %u %u", &ids->uid[0], &ids->uid[1],
		    &ids->uid[2], &ids->uid[3]) == 4)
			got = true;
		sscanf(line, "Gid: %u %u %u %u", &ids->gid[0], &ids->gid[1],
		    &ids->gid[2], &ids->gid[3]);
		if (strncmp(line, "Groups:", 7) == 0)
			snprintf(ids->groups, sizeof(ids->groups), "%s",
			    line + 7 + strspn(line + 7, " \t"));
		sscanf(line, "CapInh: %" SCNx64, &ids->inh);
		sscanf(line, "CapPrm: %" SCNx64, &ids->prm);
		sscanf(line, "CapEff: %" SCNx64, &ids->eff);
		sscanf(line, "CapBnd: %" SCNx64, &ids->bnd);
		sscanf(line, "CapAmb: %" SCNx64, &ids->amb);
	}
	fclose(f);
	ids->groups[strcspn(ids->groups, "\n")] = '\0';
	return got;
}

static bool
same_namespace(pid_t pid, const char *name)
{
	char path[64], mine[64] = "", its[64] = "";

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	ck_assert_int_gt(readlink(path, mine, sizeof(mine) - 1), 0);
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	ck_assert_msg(readlink(path, its, sizeof(its) - 1) > 0, "%s: %s", path,
	    strerror(errno));
	return strcmp(mine, its) == 0;
}

/* --- luaward runs ---------------------------------------------------------- */

/* Starts luaward resolve on dir with the given range (NULL: the
 * default) and more arguments, sends one record and waits for its line:
 * by then every plugin's worker is ready. */
static void
start_ready(struct luaward *l, const char *dir, const char *range,
    const char *const *more)
{
	const char *args[24];
	size_t n = 0;

	args[n++] = "resolve";
	args[n++] = "--plugins";
	args[n++] = dir;
	if (range != NULL) {
		args[n++] = "--worker-uids";
		args[n++] = range;
	}
	for (; more != NULL && *more != NULL; more++)
		args[n++] = *more;
	args[n] = NULL;
	luaward_start(l, args);
	luaward_send(l, "{\"metadata\":{\"name\":\"a\"}}\n", 26);
	ck_assert_msg(wait_for_line(l, 0, WAIT_S), "no line; stderr:\n%s",
	    tail_of(&l->errors));
}

/* Ends its input and waits for it to exit, reading everything it says. */
static int
finish(struct luaward *l)
{
	double deadline = now() + WAIT_S;

	l->end_input = true;
	while ((l->out != -1 || l->err != -1) && now() < deadline)
		luaward_pump(l, 10);
	return luaward_wait(l);
}

/* The workers of l, waiting until there are count of them. */
static void
workers_of(struct luaward *l, pid_t *pids, size_t count)
{
	double deadline = now() + WAIT_S;

	while (children_of(l->pid, pids, count) < count) {
		ck_assert_msg(now() < deadline, "fewer than %zu workers",
		    count);
		luaward_pump(l, 1);
	}
}

static uint32_t
uid_of(pid_t pid)
{
	struct proc_ids ids;

	ck_assert_msg(read_ids(pid, &ids), "no status for %d", (int)pid);
	ck_assert_msg(ids.uid[0] == ids.uid[1] && ids.uid[1] == ids.uid[2] &&
	    ids.uid[2] == ids.uid[3], "mixed uids");
	ck_assert_msg(ids.gid[0] == ids.uid[0] && ids.gid[1] == ids.uid[0] &&
	    ids.gid[2] == ids.uid[0] && ids.gid[3] == ids.uid[0],
	    "gid %u is not the uid %u", ids.gid[0], ids.uid[0]);
	ck_assert_msg(ids.groups[0] == '\0', "groups: %s", ids.groups);
	return ids.uid[0];
}

/* What each test here starts from: one or two plugins, and the uids base
 * to last as the range. */
struct setup {
	char		*dir;
	char		*range;
	uint32_t	 base, last;
};

static void
set_up(struct setup *t, int plugins, uint32_t width)
{
	t->dir = plugins == 1 ? plugin_dir("a.lua", plugin_source, NULL) :
	    plugin_dir("a.lua", plugin_source, "b.lua", plugin_source, NULL);
	t->base = test_base();
	t->last = t->base + width;
	t->range = range_text(t->base, t->last);
}

/* Once every luaward of the test has exited. */
static void
tear_down(struct setup *t)
{
	forget_locks(t->base, t->last);
	free(t->range);
	free(t->dir);
}

/* Starts luaward on the test's plugins and range, and waits for its
 * first count workers. */
static void
start_workers(struct luaward *l, const struct setup *t,
    const char *const *more, pid_t *pids, size_t count)
{
	start_ready(l, t->dir, t->range, more);
	workers_of(l, pids, count);
}

/* Its stderr says what; a failure shows all it said. */
static void
assert_said(const struct luaward *l, const char *what)
{
	ck_assert_msg(strstr(text_of(&l->errors), what) != NULL,
	    "no \"%s\" in:\n%s", what, text_of(&l->errors));
}

/* --- real workers ----------------------------------------------------------- */

START_TEST(test_two_plugins_run_under_two_uids_of_their_own)
{
	struct setup t;
	struct luaward l;
	uint32_t uids[2];
	pid_t pids[2];

	set_up(&t, 2, 7);
	start_workers(&l, &t, NULL, pids, 2);
	for (int i = 0; i < 2; i++) {
		uids[i] = uid_of(pids[i]);
		ck_assert_msg(uids[i] >= t.base && uids[i] <= t.last,
		    "uid %u outside %s", uids[i], t.range);
		ck_assert_uint_ne(uids[i], 65534);
		ck_assert_uint_ne(uids[i], 0);
		ck_assert_ptr_null(getpwuid(uids[i]));
		ck_assert_ptr_null(getgrgid(uids[i]));
	}
	ck_assert_uint_ne(uids[0], uids[1]);
	ck_assert_int_eq(finish(&l), 0);
	ck_assert_ptr_null(strstr(text_of(&l.errors), "warning"));
	luaward_free(&l);
	tear_down(&t);
}
END_TEST

START_TEST(test_restarted_worker_keeps_its_slot_uid)
{
	static const char *const more[] = { "--restart-delay", "0",
	    "--workers", "1", NULL };
	struct setup t;
	uint32_t before;
	double deadline;
	struct luaward l;
	pid_t old, next = 0;

	set_up(&t, 1, 7);
	start_workers(&l, &t, more, &old, 1);
	before = uid_of(old);
	ck_assert(kill_child(l.pid, old));
	wait_reaped(&l, old);
	deadline = now() + WAIT_S;
	while (next == 0 || next == old) {
		ck_assert_msg(now() < deadline, "no new worker");
		if (children_of(l.pid, &next, 1) == 0)
			next = 0;
		luaward_pump(&l, 1);
	}
	ck_assert_uint_eq(uid_of(next), before);
	finish(&l);
	luaward_free(&l);
	tear_down(&t);
}
END_TEST

START_TEST(test_second_luaward_gets_other_uids)
{
	struct setup t;
	uint32_t first_uid, second_uid;
	struct luaward one, two;
	pid_t a, b;

	set_up(&t, 1, 3);
	start_workers(&one, &t, NULL, &a, 1);
	start_workers(&two, &t, NULL, &b, 1);
	first_uid = uid_of(a);
	second_uid = uid_of(b);
	ck_assert_uint_ne(first_uid, second_uid);
	ck_assert(second_uid >= t.base && second_uid <= t.last);
	ck_assert_int_eq(finish(&two), 0);
	ck_assert_int_eq(finish(&one), 0);
	luaward_free(&one);
	luaward_free(&two);
	tear_down(&t);
}
END_TEST

START_TEST(test_exhausted_range_falls_back_to_nobody_and_says_so)
{
	static const char *const verbose[] = { "--verbose", NULL };
	struct passwd *pw = getpwnam("nobody");
	struct setup t;
	char expected[256];
	struct luaward one, two;
	pid_t a, b[2];

	ck_assert_ptr_nonnull(pw);
	set_up(&t, 2, 0);
	start_workers(&one, &t, NULL, &a, 1);
	/* A range of one, and the first luaward holds it. */
	ck_assert_uint_eq(uid_of(a), t.base);
	start_workers(&two, &t, verbose, b, 2);
	ck_assert_uint_eq(uid_of(b[0]), pw->pw_uid);
	ck_assert_uint_eq(uid_of(b[1]), pw->pw_uid);
	ck_assert_int_eq(finish(&two), 0);
	/* One warning for the run, however many slots fall back. */
	snprintf(expected, sizeof(expected), "luaward: warning: worker uids: "
	    "the range %s is exhausted", t.range);
	ck_assert_msg(occurrences(text_of(&two.errors), expected) == 1, "%s",
	    text_of(&two.errors));
	snprintf(expected, sizeof(expected), ":   user          applied  uid "
	    "%u, gid %u, no groups: nobody as a fallback: the range %s is "
	    "exhausted", (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, t.range);
	ck_assert_msg(occurrences(text_of(&two.errors), expected) == 2, "%s",
	    text_of(&two.errors));
	ck_assert_int_eq(finish(&one), 0);
	luaward_free(&one);
	luaward_free(&two);
	tear_down(&t);
}
END_TEST

START_TEST(test_uid_of_a_running_process_is_never_a_worker_s)
{
	struct setup t;
	struct luaward l;
	struct holder h;
	pid_t pid;

	set_up(&t, 1, 1);
	hold_uid(&h, t.base);
	start_workers(&l, &t, NULL, &pid, 1);
	ck_assert_uint_eq(uid_of(pid), t.base + 1);
	ck_assert_int_eq(finish(&l), 0);
	let_go(&h);
	luaward_free(&l);
	tear_down(&t);
}
END_TEST

START_TEST(test_running_worker_holds_no_capability)
{
	static const char *const verbose[] = { "--verbose", NULL };
	struct setup t;
	struct proc_ids ids;
	struct luaward l;
	pid_t pid;

	set_up(&t, 1, 1);
	start_workers(&l, &t, verbose, &pid, 1);
	ck_assert(read_ids(pid, &ids));
	ck_assert_msg(ids.bnd == 0, "CapBnd %" PRIx64, ids.bnd);
	ck_assert_msg(ids.prm == 0 && ids.eff == 0 && ids.inh == 0 &&
	    ids.amb == 0, "CapPrm %" PRIx64 " CapEff %" PRIx64 " CapInh %"
	    PRIx64 " CapAmb %" PRIx64, ids.prm, ids.eff, ids.inh, ids.amb);
	ck_assert_int_eq(finish(&l), 0);
	assert_said(&l, ":   capabilities  applied  bounding set empty");
	assert_said(&l, ":   seen in /proc: uid ");
	assert_said(&l, "CapBnd 0 CapEff 0");
	luaward_free(&l);
	tear_down(&t);
}
END_TEST

START_TEST(test_cgroup_and_time_namespaces_are_the_worker_s_own)
{
	static const char *const verbose[] = { "--verbose", NULL };
	static const char *const layers[][2] = {
		{ "cgroup_ns", "cgroup" }, { "time_ns", "time" },
	};
	struct setup t;
	struct luaward l;
	bool applied[2];
	pid_t pid;

	set_up(&t, 1, 1);
	start_workers(&l, &t, verbose, &pid, 1);
	/* --verbose came before the first line: the layers are known. */
	for (int i = 0; i < 2; i++) {
		char row[64];

		snprintf(row, sizeof(row), ":   %-13s applied  ", layers[i][0]);
		applied[i] = strstr(text_of(&l.errors), row) != NULL;
		if (applied[i])
			ck_assert_msg(!same_namespace(pid, layers[i][1]),
			    "%s said applied, but the worker shares the "
			    "test's %s namespace", layers[i][0],
			    layers[i][1]);
		else {
			snprintf(row, sizeof(row), ":   %-13s skipped  ",
			    layers[i][0]);
			assert_said(&l, row);
		}
	}
	/* This kernel has both: Linux 6.1 or later, CONFIG_TIME_NS. */
	if (access("/proc/self/ns/time", F_OK) == 0 && applied[0])
		ck_assert(applied[1]);
	ck_assert_int_eq(finish(&l), 0);
	luaward_free(&l);
	tear_down(&t);
}
END_TEST

START_TEST(test_namespaces_off_leaves_cgroup_and_time_shared)
{
	static const char *const off[] = { "--namespaces", "off",
	    "--verbose", NULL };
	struct setup t;
	struct luaward l;
	pid_t pid;

	set_up(&t, 1, 1);
	start_workers(&l, &t, off, &pid, 1);
	ck_assert(same_namespace(pid, "cgroup"));
	ck_assert(same_namespace(pid, "time"));
	ck_assert(same_namespace(pid, "pid"));
	ck_assert_int_eq(finish(&l), 0);
	assert_said(&l, ":   cgroup_ns     skipped  turned off "
	    "(--namespaces off)\n");
	assert_said(&l, ":   time_ns       skipped  turned off "
	    "(--namespaces off)\n");
	/* Still its own uid, and no capability: neither needs a
	 * namespace. */
	assert_said(&l, ":   capabilities  applied  bounding set empty");
	ck_assert_ptr_null(strstr(text_of(&l.errors), "warning"));
	luaward_free(&l);
	tear_down(&t);
}
END_TEST

/* Run as nobody (or as the unprivileged user the tests run as): the
 * range is never looked at, and the report says why workers run as the
 * invoking user. */
START_TEST(test_unprivileged_run_keeps_the_invoking_user)
{
	struct passwd *pw = geteuid() == 0 ? getpwnam("nobody") :
	    getpwuid(geteuid());
	uint32_t base = test_base();
	char *range = range_text(base, base + 1), *tmp = temp_dir();
	char *out_path, *err_path, lock[128], path[512], *err;
	const char *argv[] = { path, "resolve", "--plugins", "plugins",
	    "--worker-uids", range, "--verbose", NULL };
	struct stat st;
	size_t length;
	int status;
	pid_t pid;

	ck_assert_ptr_nonnull(pw);
	ck_assert_int_ne(asprintf(&out_path, "%s/out", tmp), -1);
	ck_assert_int_ne(asprintf(&err_path, "%s/err", tmp), -1);
	snprintf(path, sizeof(path), "%s/luaward", build_dir());
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int errors = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in == -1 || out == -1 || errors == -1 ||
		    dup2(in, 0) == -1 || dup2(out, 1) == -1 ||
		    dup2(errors, 2) == -1)
			_exit(126);
		if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1))
			_exit(126);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	err = read_source_file(err_path, &length);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d: %s", status, err);
	snprintf(lock, sizeof(lock), ":   user          skipped  not started "
	    "as root: runs as the invoking user, uid %u", (unsigned)pw->pw_uid);
	ck_assert_msg(strstr(err, lock) != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "warning"));
	snprintf(lock, sizeof(lock), "%s/%u", LOCK_DIR, base);
	ck_assert_int_eq(stat(lock, &st), -1);
	free(err);
	free(out_path);
	free(err_path);
	free(range);
	free(tmp);
}
END_TEST

Suite *
worker_identity_suite(void)
{
	Suite *s = suite_create("worker_identity");
	TCase *workers = tcase_create("workers");
	TCase *unprivileged = tcase_create("unprivileged");

	/* Without root there is no uid to drop to, no lock directory of
	 * root's, and no process to start under another uid: only the
	 * unprivileged case applies. */
	tcase_set_timeout(unprivileged, 300);
	tcase_add_test(unprivileged,
	    test_unprivileged_run_keeps_the_invoking_user);
	suite_add_tcase(s, unprivileged);
	if (geteuid() != 0)
		return s;


	tcase_set_timeout(workers, 600);
	tcase_add_test(workers, test_two_plugins_run_under_two_uids_of_their_own);
	tcase_add_test(workers, test_restarted_worker_keeps_its_slot_uid);
	tcase_add_test(workers, test_second_luaward_gets_other_uids);
	tcase_add_test(workers,
	    test_exhausted_range_falls_back_to_nobody_and_says_so);
	tcase_add_test(workers, test_uid_of_a_running_process_is_never_a_worker_s);
	tcase_add_test(workers, test_running_worker_holds_no_capability);
	tcase_add_test(workers,
	    test_cgroup_and_time_namespaces_are_the_worker_s_own);
	tcase_add_test(workers, test_namespaces_off_leaves_cgroup_and_time_shared);
	suite_add_tcase(s, workers);
	return s;
}
