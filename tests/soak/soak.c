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

#include "../../ipc/buffer.h"
#include "../../ipc/control.h"

#define QUERIERS	2
#define QUERIES_PER_CONNECTION 100
#define MAX_RECORDS	40	/* per query */
#define SAMPLE_S	5
#define RSS_SLACK_KIB	(8 * 1024)
#define FD_SLACK	16
#define REPLY_TIMEOUT_S	120

struct shared {
	volatile int	 stop;
	struct {
		uint64_t queries, records, failed_lines, lost;
		char	 why[256];
	} querier[QUERIERS];
	uint64_t	 changes, refused_as_due, validations_killed;
	uint64_t	 churn_failures;
	char		 churn_why[256];
	uint64_t	 kills;
};

static const char *socket_path;
static pid_t daemon_pid;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_s(double seconds)
{
	struct timespec ts = { (time_t)seconds,
	    (long)((seconds - (double)(time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
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

static uint64_t
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

/* The daemon's luaward-worker children; returns how many. */
static size_t
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
		    strncmp(strchr(stat, '(') + 1, "luaward-worker)", 15) == 0 &&
		    n < size)
			out[n++] = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

/* --- a client of the control socket ---------------------------------------- */

struct conn {
	int			 fd;
	struct buffer		 in;
	struct control_decoder	*decoder;
	size_t			 pending;
};

static int
conn_send(struct conn *c, struct buffer *b)
{
	size_t done = 0;

	while (done < buffer_length(b)) {
		ssize_t n = send(c->fd, buffer_bytes(b) + done,
		    buffer_length(b) - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	buffer_clear(b);
	return 0;
}

/* 1 with a reply, 0 when the daemon closed, -1 on a timeout or a bad
 * frame (why says which). */
static int
conn_receive(struct conn *c, struct control_message *m, char *why,
    size_t why_size)
{
	double deadline = now() + REPLY_TIMEOUT_S;
	char error[256];

	buffer_consume(&c->in, c->pending);
	c->pending = 0;
	for (;;) {
		const char *payload;
		size_t length;
		int f = control_frame(&c->in, &payload, &length, error,
		    sizeof(error));
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (f == 1) {
			if (control_decode_reply(c->decoder, payload, length, m,
			    error, sizeof(error)) == -1) {
				snprintf(why, why_size, "bad reply: %.200s", error);
				return -1;
			}
			c->pending = WIRE_HEADER_SIZE + length;
			return 1;
		}
		if (f == -1) {
			snprintf(why, why_size, "bad frame: %.200s", error);
			return -1;
		}
		if (poll(&p, 1, (int)((deadline - now()) * 1000)) <= 0) {
			snprintf(why, why_size, "no reply within %d s",
			    REPLY_TIMEOUT_S);
			return -1;
		}
		if (buffer_reserve(&c->in, 65536) == -1)
			die("out of memory");
		n = recv(c->fd, c->in.data + c->in.end, c->in.capacity -
		    c->in.end, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, why_size, "the daemon closed the "
			    "connection");
			return 0;
		}
		c->in.end += (size_t)n;
	}
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buffer_free(&c->in);
	control_decoder_free(c->decoder);
	c->decoder = NULL;
}

/* Connects and says HELLO; 0, or -1 with why. */
static int
conn_open(struct conn *c, char *why, size_t why_size)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct buffer b = { 0 };
	struct control_message m;

	memset(c, 0, sizeof(*c));
	c->decoder = control_decoder_new();
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", socket_path);
	if (c->decoder == NULL || c->fd == -1 || connect(c->fd,
	    (struct sockaddr *)&a, sizeof(a)) == -1) {
		snprintf(why, why_size, "connect: %s", strerror(errno));
		conn_close(c);
		return -1;
	}
	if (control_put_hello(&b, CONTROL_PROTOCOL_VERSION) == -1 ||
	    conn_send(c, &b) == -1 || conn_receive(c, &m, why, why_size) != 1 ||
	    m.type != CONTROL_HELLO_REPLY) {
		if (why[0] == '\0')
			snprintf(why, why_size, "HELLO refused");
		buffer_free(&b);
		conn_close(c);
		return -1;
	}
	buffer_free(&b);
	return 0;
}

/* --- the querying clients --------------------------------------------------- */

/*
 * One query of n records named q<who>-<k>-<j>; some belong to OpenGauss
 * clusters.  Returns 0, or -1 with why when it was lost.
 */
static int
one_query(struct conn *c, unsigned who, uint64_t k, unsigned n,
    uint64_t *failed_lines, char *why, size_t why_size)
{
	struct buffer b = { 0 }, input = { 0 }, output = { 0 };
	struct control_message m;
	const char *line;
	int got, result = -1;

	for (unsigned j = 0; j < n; j++) {
		char record[256];
		int length = snprintf(record, sizeof(record), "{\"name\":"
		    "\"q%u-%llu-%u\",\"namespace\":\"soak\",\"ownerReferences\":"
		    "[{\"kind\":\"%s\",\"name\":\"og-%u\"}]}\n", who,
		    (unsigned long long)k, j, j % 3 == 0 ? "OpenGaussCluster" :
		    "ReplicaSet", j);

		if (buffer_append(&input, record, (size_t)length) == -1)
			die("out of memory");
	}
	if (control_put_query_begin(&b, "soak") == -1 ||
	    control_put_query_data(&b, input.data, buffer_length(&input)) ==
	    -1 || control_put_query_end(&b) == -1)
		die("out of memory");
	if (conn_send(c, &b) == -1) {
		snprintf(why, why_size, "send: %s", strerror(errno));
		goto out;
	}
	while ((got = conn_receive(c, &m, why, why_size)) == 1 &&
	    m.type == CONTROL_QUERY_OUTPUT)
		if (buffer_append(&output, m.u.data.bytes.bytes,
		    m.u.data.bytes.length) == -1)
			die("out of memory");
	if (got != 1)
		goto out;
	if (m.type != CONTROL_QUERY_DONE) {
		snprintf(why, why_size, "%s instead of QUERY_DONE: %.*s",
		    control_type_name(m.type), m.type == CONTROL_ERROR ?
		    (int)m.u.error.message.length : 0, m.type == CONTROL_ERROR ?
		    m.u.error.message.bytes : "");
		goto out;
	}
	if (m.u.done.records != n || m.u.done.status > 1) {
		snprintf(why, why_size, "QUERY_DONE(%u, %llu) for %u records",
		    m.u.done.status, (unsigned long long)m.u.done.records, n);
		goto out;
	}
	if (buffer_append(&output, "", 1) == -1)
		die("out of memory");
	line = output.data;
	for (unsigned j = 0; j < n; j++) {
		char name[64];
		const char *end = strchr(line, '\n');

		snprintf(name, sizeof(name), "\"name\":\"q%u-%llu-%u\",", who,
		    (unsigned long long)k, j);
		if (end == NULL || memmem(line, (size_t)(end - line), name,
		    strlen(name)) == NULL) {
			snprintf(why, why_size, "line %u of query %llu: %.100s",
			    j, (unsigned long long)k, line);
			goto out;
		}
		/* A killed worker's record still gets its line, with the
		 * error: not lost, but counted. */
		if (memmem(line, (size_t)(end - line), "\"errors\":", 9) != NULL)
			(*failed_lines)++;
		line = end + 1;
	}
	if (*line != '\0') {
		snprintf(why, why_size, "lines after the last record");
		goto out;
	}
	result = 0;
out:
	buffer_free(&b);
	buffer_free(&input);
	buffer_free(&output);
	return result;
}

static void __attribute__((noreturn))
querier(struct shared *sh, unsigned who)
{
	uint64_t random = 0x9e3779b97f4a7c15ULL * (who + 1), k = 0;
	struct conn c = { .fd = -1 };
	char why[256];

	while (!sh->stop) {
		unsigned n = 1 + (unsigned)(next_random(&random) % MAX_RECORDS);

		why[0] = '\0';
		if (c.fd == -1 && conn_open(&c, why, sizeof(why)) == -1) {
			sh->querier[who].lost++;
			snprintf(sh->querier[who].why, 256, "%s", why);
			sleep_s(0.1);
			continue;
		}
		if (one_query(&c, who, k++, n, &sh->querier[who].failed_lines,
		    why, sizeof(why)) == -1) {
			sh->querier[who].lost++;
			snprintf(sh->querier[who].why, 256, "%s", why);
			conn_close(&c);
			continue;
		}
		sh->querier[who].queries++;
		sh->querier[who].records += n;
		if (k % QUERIES_PER_CONNECTION == 0)
			conn_close(&c);
	}
	conn_close(&c);
	_exit(0);
}

/* --- plugin churn ---------------------------------------------------------- */

static char *
answering(const char *answer)
{
	char *source;

	if (asprintf(&source, "local dkjson = require(\"dkjson\")\n"
	    "function GetWorkloadTypeAndName(metaJsonStr)\n"
	    "    local meta = dkjson.decode(metaJsonStr)\n"
	    "    if (meta.name or ''):match('[13579]$') then return '', '' end\n"
	    "    return 'Deployment', '%s'\n"
	    "end\n", answer) == -1)
		die("out of memory");
	return source;
}

/* Sends one change; the reply must be want (OK, or ERROR of code).
 * Returns 0, or -1 after counting why. */
static int
change(struct shared *sh, struct conn *c, struct buffer *b,
    enum control_type want, enum control_error code)
{
	struct control_message m;
	char why[256] = "";

	if (c->fd == -1 && conn_open(c, why, sizeof(why)) == -1)
		goto failed;
	if (conn_send(c, b) == -1 || conn_receive(c, &m, why, sizeof(why)) !=
	    1)
		goto failed;
	sh->changes++;
	if (m.type == want && (want != CONTROL_ERROR || m.u.error.code ==
	    code)) {
		if (want == CONTROL_ERROR)
			sh->refused_as_due++;
		return 0;
	}
	/* A validation worker the killer shot: the create is refused with
	 * the reason, and nothing is stored.  Expected here. */
	if (m.type == CONTROL_ERROR && m.u.error.code ==
	    CONTROL_ERROR_INVALID_PLUGIN && memmem(m.u.error.message.bytes,
	    m.u.error.message.length, "SIGKILL", 7) != NULL) {
		sh->validations_killed++;
		return -1;
	}
	snprintf(why, sizeof(why), "%s: %.*s", control_type_name(m.type),
	    m.type == CONTROL_ERROR ? (int)m.u.error.message.length : 0,
	    m.type == CONTROL_ERROR ? m.u.error.message.bytes : "");
failed:
	sh->churn_failures++;
	snprintf(sh->churn_why, sizeof(sh->churn_why), "%s", why);
	buffer_clear(b);
	conn_close(c);
	return -1;
}

static void __attribute__((noreturn))
churner(struct shared *sh)
{
	struct conn c = { .fd = -1 };
	struct buffer b = { 0 };
	bool alive[4] = { false };
	unsigned n = 0;

	while (!sh->stop) {
		char name[32], answer[48], *source;
		unsigned slot = n % 4;

		snprintf(name, sizeof(name), "c-%u", slot);
		snprintf(answer, sizeof(answer), "c-%u-%u", slot, n);
		source = answering(answer);
		/* A slot's plugin is replaced while it lives, created (before
		 * base) when it does not. */
		if (control_put_plugin_create(&b, name, source, strlen(source),
		    alive[slot], alive[slot] ? CONTROL_POSITION_END :
		    CONTROL_POSITION_BEFORE, alive[slot] ? "" : "base") == -1)
			die("out of memory");
		if (change(sh, &c, &b, CONTROL_OK, 0) == 0)
			alive[slot] = true;
		free(source);
		if (n % 7 == 3 && alive[(slot + 2) % 4]) {
			snprintf(name, sizeof(name), "c-%u", (slot + 2) % 4);
			if (control_put_plugin_delete(&b, name) == -1)
				die("out of memory");
			if (change(sh, &c, &b, CONTROL_OK, 0) == 0)
				alive[(slot + 2) % 4] = false;
		}
		if (n % 5 == 0) {
			static const char broken[] = "function "
			    "GetWorkloadTypeAndName(m\n";

			if (control_put_plugin_create(&b, "broken", broken,
			    strlen(broken), false, CONTROL_POSITION_END, "") ==
			    -1)
				die("out of memory");
			(void)change(sh, &c, &b, CONTROL_ERROR,
			    CONTROL_ERROR_INVALID_PLUGIN);
		}
		n++;
		sleep_s(0.05);
	}
	/* Quiet again: only the base plugins. */
	for (unsigned slot = 0; slot < 4; slot++) {
		char name[32];

		snprintf(name, sizeof(name), "c-%u", slot);
		if (!alive[slot])
			continue;
		if (control_put_plugin_delete(&b, name) == -1)
			die("out of memory");
		(void)change(sh, &c, &b, CONTROL_OK, 0);
	}
	conn_close(&c);
	buffer_free(&b);
	_exit(0);
}

static void __attribute__((noreturn))
killer(struct shared *sh)
{
	uint64_t random = 12345;

	while (!sh->stop) {
		pid_t pids[64];
		size_t n = workers_of(daemon_pid, pids, 64);

		if (n > 0 && kill(pids[next_random(&random) % n], SIGKILL) == 0)
			sh->kills++;
		sleep_s(1.0 + (double)(next_random(&random) % 1000) / 1000.0);
	}
	_exit(0);
}

/* --- the run --------------------------------------------------------------- */

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
		 * chain. */
		execl(binary, binary, "serve", "--state-dir", state, "--socket",
		    sock, "--max-restarts", "1000000", (char *)NULL);
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
