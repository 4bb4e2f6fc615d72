#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../log.h"
#include "worker_uids.h"

struct held {
	uid_t		 uid;
	int		 fd;		/* its lock */
};

struct worker_uids {
	uid_t		 first, last;
	uid_t		 next;		/* where the next search starts */
	bool		 off;
	char		*dir_path;
	int		 dir;		/* the lock directory, -1: unusable */
	char		 dir_problem[160];
	struct spawn_identity fallback;
	bool		 warned;
	struct held	*held;
	size_t		 held_count, held_size;
	uid_t		*busy;		/* ids of running processes, in range */
	size_t		 busy_count, busy_size;
	double		 scanned_at;	/* CLOCK_MONOTONIC; 0: never */
};

/*
 * How long one look at every process serves: reading /proc/PID/status of
 * each takes milliseconds, and a pool takes all its slots' uids at once.
 * A process that takes one of the uids later is missed however fresh the
 * look is (only root can start one); what the lock already excludes is
 * another luaward's worker.
 */
#define SCAN_FRESH_S	0.25

/*
 * Opens the lock directory, making what is missing of it: each part must
 * be a directory (not a link) owned by root that no one else can write
 * to, but for sticky parents such as /tmp; the last is made mode 0700.
 * Anything else could let another user take or fake a lock.
 */
static int
open_lock_dir(const char *path, char *why, size_t why_size)
{
	char copy[PATH_MAX], so_far[PATH_MAX] = "";
	char *part, *rest, *save = NULL;
	struct stat st;
	int fd, next;

	if (path[0] != '/' || strlen(path) >= sizeof(copy)) {
		snprintf(why, why_size, "lock directory %s: not an absolute "
		    "path", path);
		return -1;
	}
	snprintf(copy, sizeof(copy), "%s", path);
	if ((fd = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, why_size, "/: %s", strerror(errno));
		return -1;
	}
	for (part = strtok_r(copy, "/", &save); part != NULL; part = rest) {
		bool last;

		rest = strtok_r(NULL, "/", &save);
		last = rest == NULL;
		snprintf(so_far + strlen(so_far), sizeof(so_far) -
		    strlen(so_far), "/%s", part);
		if (mkdirat(fd, part, last ? 0700 : 0755) == -1 &&
		    errno != EEXIST) {
			snprintf(why, why_size, "lock directory %s: %s", so_far,
			    strerror(errno));
			close(fd);
			return -1;
		}
		next = openat(fd, part, O_DIRECTORY | O_NOFOLLOW | O_RDONLY |
		    O_CLOEXEC);
		close(fd);
		if ((fd = next) == -1) {
			snprintf(why, why_size, "lock directory %s: %s",
			    so_far, errno == ELOOP || errno == ENOTDIR ?
			    "not a directory (a symbolic link is not "
			    "followed)" : strerror(errno));
			return -1;
		}
		if (fstat(fd, &st) == -1 || st.st_uid != 0 ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (last || !(st.st_mode & S_ISVTX)))) {
			snprintf(why, why_size, "lock directory %s is not "
			    "root's alone (owner uid %u, mode %03o)", so_far,
			    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
			close(fd);
			return -1;
		}
	}
	return fd;
}

struct worker_uids *
worker_uids_new(uid_t first, uid_t last, const char *lock_dir,
    const struct spawn_identity *fallback)
{
	struct worker_uids *u = xcalloc(1, sizeof(*u));

	u->first = u->next = first;
	u->last = last;
	u->off = first == 0;
	u->fallback = *fallback;
	u->dir_path = xstrdup(lock_dir);
	u->dir = -1;
	if (last < first)
		snprintf(u->dir_problem, sizeof(u->dir_problem), "the range "
		    "%u-%u is empty", (unsigned)first, (unsigned)last);
	else if (fallback->drop_user && !u->off)
		u->dir = open_lock_dir(lock_dir, u->dir_problem,
		    sizeof(u->dir_problem));
	return u;
}

void
worker_uids_free(struct worker_uids *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->held_count; i++)
		close(u->held[i].fd);
	if (u->dir >= 0)
		close(u->dir);
	free(u->held);
	free(u->busy);
	free(u->dir_path);
	free(u);
}

size_t
worker_uids_held(const struct worker_uids *u)
{
	return u->held_count;
}

static bool
held_here(const struct worker_uids *u, uid_t uid)
{
	for (size_t i = 0; i < u->held_count; i++)
		if (u->held[i].uid == uid)
			return true;
	return false;
}

/*
 * Locks uid's file.  Returns its descriptor; -1 with *elsewhere set when
 * another luaward holds it; -1 with why filled when the lock directory
 * cannot be used.
 */
static int
lock_uid(struct worker_uids *u, uid_t uid, bool *elsewhere, char *why,
    size_t why_size)
{
	char name[16], pid[24];
	struct stat st;
	int fd, n;

	*elsewhere = false;
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	fd = openat(u->dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0600);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "lock file %s/%s: %s",
		    u->dir_path, name, fd == -1 ? strerror(errno) :
		    "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		*elsewhere = errno == EWOULDBLOCK;
		if (!*elsewhere)
			snprintf(why, why_size, "locking %s/%s: %s",
			    u->dir_path, name, strerror(errno));
		close(fd);
		return -1;
	}
	/* Who holds it, for an operator who looks. */
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)n, 0);
	return fd;
}

static bool
named_in_databases(uid_t uid)
{
	return getpwuid(uid) != NULL || getgrgid((gid_t)uid) != NULL;
}

static void
note_busy(struct worker_uids *u, unsigned long id)
{
	if (id < u->first || id > u->last)
		return;
	if (u->busy_count == u->busy_size) {
		u->busy_size = u->busy_size ? u->busy_size * 2 : 16;
		u->busy = xrealloc(u->busy, u->busy_size * sizeof(*u->busy));
	}
	u->busy[u->busy_count++] = (uid_t)id;
}

/* Notes every id in "Uid:", "Gid:" and "Groups:" of one status file. */
static void
scan_status(struct worker_uids *u, int proc, const char *pid)
{
	char path[64], text[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/status", pid);
	if ((fd = openat(proc, path, O_RDONLY | O_CLOEXEC)) == -1)
		return;		/* gone since the listing */
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	for (char *line = text; line != NULL && *line != '\0';) {
		char *end = strchr(line, '\n'), *p;

		if (end != NULL)
			*end = '\0';
		if (strncmp(line, "Uid:", 4) == 0 ||
		    strncmp(line, "Gid:", 4) == 0 ||
		    strncmp(line, "Groups:", 7) == 0)
			for (p = strchr(line, ':') + 1; *p != '\0';) {
				char *after;
				unsigned long id = strtoul(p, &after, 10);

				if (after == p)
					break;
				note_busy(u, id);
				p = after;
			}
		line = end != NULL ? end + 1 : NULL;
	}
}

static double
monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The ids in range that running processes hold; -1 when /proc cannot be
 * listed (then no uid can be shown to be free). */
static int
scan_processes(struct worker_uids *u, char *why, size_t why_size)
{
	struct dirent *e;
	DIR *proc;

	if (u->scanned_at > 0 && monotonic() - u->scanned_at < SCAN_FRESH_S)
		return 0;
	u->busy_count = 0;
	if ((proc = opendir("/proc")) == NULL) {
		snprintf(why, why_size, "cannot list processes: /proc: %s",
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(proc)) != NULL)
		if (isdigit((unsigned char)e->d_name[0]))
			scan_status(u, dirfd(proc), e->d_name);
	closedir(proc);
	u->scanned_at = monotonic();
	return 0;
}

static bool
busy(const struct worker_uids *u, uid_t uid)
{
	for (size_t i = 0; i < u->busy_count; i++)
		if (u->busy[i] == uid)
			return true;
	return false;
}

static int
fall_back(struct worker_uids *u, struct spawn_identity *who, const char *why)
{
	*who = u->fallback;
	if (!u->fallback.drop_user)
		return -1;
	if (u->off) {
		snprintf(who->origin, sizeof(who->origin), "%.64s "
		    "(--worker-uids off)", u->fallback.origin);
		return -1;
	}
	snprintf(who->origin, sizeof(who->origin), "%.32s as a fallback: "
	    "%.140s", u->fallback.origin, why);
	if (!u->warned)
		log_warnx("worker uids: %s; workers without a uid of their own "
		    "run as %s (uid %u)", why, u->fallback.origin,
		    (unsigned)u->fallback.uid);
	u->warned = true;
	return -1;
}

int
worker_uids_acquire(struct worker_uids *u, struct spawn_identity *who)
{
	unsigned elsewhere_count = 0, named = 0, used = 0;
	char why[160];

	if (!u->fallback.drop_user || u->off)
		return fall_back(u, who, "");
	if (u->dir == -1)
		return fall_back(u, who, u->dir_problem);
	for (uint64_t i = 0; i <= (uint64_t)(u->last - u->first); i++) {
		uid_t uid = u->next;
		bool elsewhere;
		int fd;

		u->next = uid == u->last ? u->first : uid + 1;
		if (uid == 0 || held_here(u, uid))
			continue;
		if ((fd = lock_uid(u, uid, &elsewhere, why,
		    sizeof(why))) == -1) {
			if (!elsewhere)
				return fall_back(u, who, why);
			elsewhere_count++;
			continue;
		}
		/* Checked once its lock is held: a luaward that gave it up
		 * before this one took it may still have a worker under it
		 * on its way out. */
		if (named_in_databases(uid)) {
			named++;
			close(fd);
			continue;
		}
		if (scan_processes(u, why, sizeof(why)) == -1) {
			close(fd);
			return fall_back(u, who, why);
		}
		if (busy(u, uid)) {
			used++;
			close(fd);
			continue;
		}
		if (u->held_count == u->held_size) {
			u->held_size = u->held_size ? u->held_size * 2 : 8;
			u->held = xrealloc(u->held, u->held_size *
			    sizeof(*u->held));
		}
		u->held[u->held_count].uid = uid;
		u->held[u->held_count].fd = fd;
		u->held_count++;
		memset(who, 0, sizeof(*who));
		who->drop_user = true;
		who->uid = uid;
		who->gid = (gid_t)uid;
		snprintf(who->origin, sizeof(who->origin), "its own, from "
		    "--worker-uids %u-%u", (unsigned)u->first,
		    (unsigned)u->last);
		return 0;
	}
	snprintf(why, sizeof(why), "the range %u-%u is exhausted (%zu held "
	    "here, %u by other luaward instances, %u in the user or group "
	    "database, %u by running processes)", (unsigned)u->first,
	    (unsigned)u->last, u->held_count, elsewhere_count, named, used);
	return fall_back(u, who, why);
}

void
worker_uids_release(struct worker_uids *u, const struct spawn_identity *who)
{
	if (!who->drop_user)
		return;
	for (size_t i = 0; i < u->held_count; i++)
		if (u->held[i].uid == who->uid) {
			close(u->held[i].fd);
			u->held[i] = u->held[--u->held_count];
			return;
		}
}
