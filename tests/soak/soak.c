/*
 * make soak: luaward serve for SECONDS under continuous queries (several
 * clients, new connections now and then), plugin churn (create, replace,
 * delete, and creates that must be refused) and worker kills (SIGKILL to
 * the daemon's luaward-worker children, found through /proc).  Every few
 * seconds it prints the daemon's RSS and open descriptors.
 *
 * It fails when a query is lost (no QUERY_DONE, a line missing, out of
 * order or foreign), when a change is not answered as it must be, when the
 * RSS or the descriptors grow past a small bound after the warm-up, when
 * the daemon, quiet again at the end, holds more descriptors than it did
 * before, or when it does not stop cleanly.
 *
 *     luaward-soak BUILD_DIR SECONDS
 *
 * Run from the source tree (it reads plugins/10-opengauss.lua).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "soak.h"

#define SAMPLE_S	5
#define RSS_SLACK_KIB	(8 * 1024)
#define FD_SLACK	16

const char *socket_path;
pid_t daemon_pid;

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sleep_s(double seconds)
{
	struct timespec ts = { (time_t)seconds,
	    (long)((seconds - (double)(time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *format, ...)
{
	va_list ap;

	fprintf(stderr, "soak: ");
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	exit(2);
}

uint64_t
next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* --- the daemon, seen from /proc ------------------------------------------ */

static long
rss_kib(pid_t pid)
{
	char path[64], row[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(row, sizeof(row), f) != NULL)
		if (strncmp(row, "VmRSS:", 6) == 0)
			kib = atol(row + 6);
	fclose(f);
	return kib;
}

static long
open_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

size_t
workers_of(pid_t parent, pid_t *out, size_t size)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir("/proc");

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[300], stat[512], *paren;
		int ppid = 0;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(stat, sizeof(stat), f) != NULL &&
		    (paren = strrchr(stat, ')')) != NULL &&
		    sscanf(paren + 2, "%*c %d", &ppid) == 1 && ppid == parent &&
		    strncmp(strchr(stat, '(') + 1, "luaward-worker)", 15) ==
		    0 &&
		    n < size)
			out[n++] = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

/* --- the run ------------------------------------------------------- */

static pid_t
start_child(void (*body)(struct shared *, unsigned), struct shared *sh,
    unsigned who)
{
	pid_t pid = fork();

	if (pid == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		body(sh, who);
	}
	return pid;
}

static void
run_querier(struct shared *sh, unsigned who)
{
	querier(sh, who);
}

static void
run_churner(struct shared *sh, unsigned who)
{
	(void)who;
	churner(sh);
}

static void
run_killer(struct shared *sh, unsigned who)
{
	(void)who;
	killer(sh);
}

static void
setup_plugins(void)
{
	struct conn c;
	struct buffer b = { 0 };
	struct control_message m;
	char why[256] = "", *base = answering("base");
	FILE *f = fopen("plugins/10-opengauss.lua", "r");
	char seed[65536];
	size_t seed_length;

	if (f == NULL)
		die("plugins/10-opengauss.lua: %s (run from the source tree)",
		    strerror(errno));
	seed_length = fread(seed, 1, sizeof(seed), f);
	fclose(f);
	if (conn_open(&c, why, sizeof(why)) == -1)
		die("the daemon: %s", why);
	/* base answers records with an even last digit; the rest stay
	 * unresolved unless a churn plugin or the seed one takes them. */
	if (control_put_plugin_create(&b, "10-opengauss", seed, seed_length,
	    false, CONTROL_POSITION_END, "") == -1 || conn_send(&c, &b) ==
	    -1 || conn_receive(&c, &m, why, sizeof(why)) != 1 || m.type !=
	    CONTROL_OK)
		die("creating 10-opengauss failed %s", why);
	if (control_put_plugin_create(&b, "base", base, strlen(base), false,
	    CONTROL_POSITION_END, "") == -1 || conn_send(&c, &b) == -1 ||
	    conn_receive(&c, &m, why, sizeof(why)) != 1 || m.type != CONTROL_OK)
		die("creating base failed %s", why);
	conn_close(&c);
	buffer_free(&b);
	free(base);
}

/* Waits until only the two base plugins' workers are left, then a
 * moment more; returns false if they never are. */
static bool
quiet(void)
{
	double deadline = now() + 60;
	pid_t pids[64];

	while (workers_of(daemon_pid, pids, 64) != 2)
		if (now() > deadline)
			return false;
		else
			sleep_s(0.1);
	sleep_s(2);
	return true;
}

static void
remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char *child;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&child, "%s/%s", path, e->d_name) == -1)
			break;
		if (e->d_type == DT_DIR)
			remove_tree(child);
		else
			unlink(child);
		free(child);
	}
	if (d != NULL)
		closedir(d);
	rmdir(path);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/luaward-soak-XXXXXX", *state, *sock, *err_path,
	    binary[512];
	double seconds, started, warm_up, next_sample;
	long rss0, fds0, rss1, fds1, warm_rss = -1, warm_fds = -1, peak_rss = 0,
	    peak_fds = 0;
	struct shared *sh;
	pid_t children[QUERIERS + 2];
	uint64_t queries = 0, records = 0, lost = 0, failed_lines = 0;
	int failures = 0, status;

	if (argc != 3 || (seconds = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: luaward-soak BUILD_DIR SECONDS\n");
		return 2;
	}
	/* Long enough to sample, and a warm-up of a fifth: at least two
	 * samples, at most a minute. */
	if (seconds < 4 * SAMPLE_S)
		seconds = 4 * SAMPLE_S;
	warm_up = seconds / 5 < 60 ? seconds / 5 : 60;
	if (warm_up < 2 * SAMPLE_S + 1)
		warm_up = 2 * SAMPLE_S + 1;
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp: %s", strerror(errno));
	if (asprintf(&state, "%s/state", dir) == -1 || asprintf(&sock,
	    "%s/s.sock", dir) == -1 || asprintf(&err_path, "%s/serve.err",
	    dir) == -1)
		die("out of memory");
	socket_path = sock;
	snprintf(binary, sizeof(binary), "%s/luaward", argv[1]);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));

	if ((daemon_pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (daemon_pid == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fd, 2);
		/* Kills must not quarantine: the plugins stay in the
		 * chain.  A loaded machine must not fail a create: time
		 * enough to load. */
		execl(binary, binary, "serve", "--state-dir", state, "--socket",
		    sock, "--max-restarts", "1000000", "--load-timeout",
		    "10000", (char *)NULL);
		_exit(127);
	}
	for (double deadline = now() + 60;; sleep_s(0.05)) {
		struct conn c;
		char why[256] = "";

		if (conn_open(&c, why, sizeof(why)) == 0) {
			conn_close(&c);
			break;
		}
		if (now() > deadline || waitpid(daemon_pid, NULL, WNOHANG) != 0)
			die("luaward serve did not start (see %s)", err_path);
	}
	setup_plugins();
	if (!quiet())
		die("the base plugins' workers never started");
	rss0 = rss_kib(daemon_pid);
	fds0 = open_fds(daemon_pid);
	printf("soak: %.0f s; daemon pid %d; quiet before: RSS %ld KiB, %ld "
	    "descriptors\n", seconds, (int)daemon_pid, rss0, fds0);
	printf("%8s %10s %10s %8s %8s %8s %8s %6s\n", "seconds", "rss_kib",
	    "fds", "queries", "records", "changes", "kills", "lost");

	for (unsigned i = 0; i < QUERIERS; i++)
		children[i] = start_child(run_querier, sh, i);
	children[QUERIERS] = start_child(run_churner, sh, 0);
	children[QUERIERS + 1] = start_child(run_killer, sh, 0);
	started = now();
	next_sample = started + SAMPLE_S;
	while (now() < started + seconds) {
		long rss, fds;
		double at;

		sleep_s(next_sample - now() > 0 ? next_sample - now() : 0);
		next_sample += SAMPLE_S;
		at = now() - started;
		rss = rss_kib(daemon_pid);
		fds = open_fds(daemon_pid);
		if (rss < 0 || fds < 0)
			die("the daemon is gone");
		queries = records = lost = 0;
		for (unsigned i = 0; i < QUERIERS; i++) {
			queries += sh->querier[i].queries;
			records += sh->querier[i].records;
			lost += sh->querier[i].lost;
		}
		printf("%8.0f %10ld %10ld %8llu %8llu %8llu %8llu %6llu\n", at,
		    rss, fds, (unsigned long long)queries,
		    (unsigned long long)records,
		    (unsigned long long)sh->changes,
		    (unsigned long long)sh->kills, (unsigned long long)lost);
		fflush(stdout);
		if (at < warm_up) {
			/* The bound on descriptors: the most seen while
			 * warming up, as workers and connections come and
			 * go. */
			warm_fds = fds > warm_fds ? fds : warm_fds;
			continue;
		}
		if (warm_rss == -1)
			warm_rss = rss;
		peak_rss = rss > peak_rss ? rss : peak_rss;
		peak_fds = fds > peak_fds ? fds : peak_fds;
	}
	sh->stop = 1;
	for (unsigned i = 0; i < QUERIERS + 2; i++)
		if (waitpid(children[i], &status, 0) == -1 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("soak: FAIL: client %u ended badly\n", i);
			failures++;
		}
	if (!quiet()) {
		printf("soak: FAIL: the churned plugins' workers did not "
		    "stop\n");
		failures++;
	}
	rss1 = rss_kib(daemon_pid);
	fds1 = open_fds(daemon_pid);

	queries = records = lost = failed_lines = 0;
	for (unsigned i = 0; i < QUERIERS; i++) {
		queries += sh->querier[i].queries;
		records += sh->querier[i].records;
		lost += sh->querier[i].lost;
		failed_lines += sh->querier[i].failed_lines;
		if (sh->querier[i].lost > 0)
			printf("soak: FAIL: client %u lost %llu queries, the "
			    "last: %s\n", i,
			    (unsigned long long)sh->querier[i].lost,
			    sh->querier[i].why);
	}
	failures += lost > 0;
	printf("soak: %llu queries (%llu records, %llu lines with a plugin "
	    "error from the kills), %llu lost\n", (unsigned long long)queries,
	    (unsigned long long)records, (unsigned long long)failed_lines,
	    (unsigned long long)lost);
	printf("soak: %llu changes (%llu refused as they had to be, %llu "
	    "validations killed), %llu unexpected; %llu workers killed\n",
	    (unsigned long long)sh->changes,
	    (unsigned long long)sh->refused_as_due,
	    (unsigned long long)sh->validations_killed,
	    (unsigned long long)sh->churn_failures,
	    (unsigned long long)sh->kills);
	if (sh->churn_failures > 0) {
		printf("soak: FAIL: unexpected change replies, the last: %s\n",
		    sh->churn_why);
		failures++;
	}
	printf("soak: RSS %ld KiB quiet before, %ld KiB after the warm-up, "
	    "%ld KiB at most since, %ld KiB quiet after\n", rss0, warm_rss,
	    peak_rss, rss1);
	printf("soak: descriptors %ld quiet before, at most %ld while warming "
	    "up, %ld at most since, %ld quiet after\n", fds0, warm_fds,
	    peak_fds, fds1);
	if (peak_rss > warm_rss + RSS_SLACK_KIB || rss1 > warm_rss +
	    RSS_SLACK_KIB) {
		printf("soak: FAIL: RSS grew more than %d KiB after the "
		    "warm-up\n", RSS_SLACK_KIB);
		failures++;
	}
	if (peak_fds > warm_fds + FD_SLACK) {
		printf("soak: FAIL: descriptors grew more than %d after the "
		    "warm-up\n", FD_SLACK);
		failures++;
	}
	if (fds1 != fds0) {
		printf("soak: FAIL: quiet again, the daemon holds %ld "
		    "descriptors, not %ld\n", fds1, fds0);
		failures++;
	}
	kill(daemon_pid, SIGTERM);
	if (waitpid(daemon_pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		printf("soak: FAIL: luaward serve did not stop cleanly (see "
		    "%s)\n", err_path);
		failures++;
	}
	printf("soak: %s\n", failures == 0 ? "PASS" : "FAIL");
	if (failures == 0)
		remove_tree(dir);
	else
		printf("soak: the daemon's stderr and state are in %s\n", dir);
	return failures == 0 ? 0 : 1;
}
