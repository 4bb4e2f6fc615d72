#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker_seen.h"

static const char *const namespaces[WORKER_SEEN_NAMESPACE_COUNT] =
    WORKER_SEEN_NAMESPACES;

const char *
worker_seen_namespace(size_t i)
{
	return i < WORKER_SEEN_NAMESPACE_COUNT ? namespaces[i] : NULL;
}

enum ns_seen
worker_seen_ns(const struct worker_seen *seen, const char *name)
{
	for (size_t i = 0; i < WORKER_SEEN_NAMESPACE_COUNT; i++)
		if (strcmp(namespaces[i], name) == 0)
			return seen->ns[i];
	return NS_UNKNOWN;
}

static void
ids(const char *text, uint32_t out[4])
{
	char *end;

	for (int i = 0; i < 4; i++) {
		out[i] = (uint32_t)strtoul(text, &end, 10);
		text = end;
	}
}

static unsigned
count_fields(const char *text)
{
	unsigned n = 0;

	for (;;) {
		text += strspn(text, " \t");
		if (*text == '\0')
			return n;
		n++;
		text += strcspn(text, " \t");
	}
}

static void
parse_line(struct worker_seen *seen, char *line)
{
	static const struct {
		const char	*key;
		size_t		 offset;
	} caps[] = {
		{ "CapInh:", offsetof(struct worker_seen, cap_inh) },
		{ "CapPrm:", offsetof(struct worker_seen, cap_prm) },
		{ "CapEff:", offsetof(struct worker_seen, cap_eff) },
		{ "CapBnd:", offsetof(struct worker_seen, cap_bnd) },
		{ "CapAmb:", offsetof(struct worker_seen, cap_amb) },
	};
	char *value = strchr(line, ':');

	if (value == NULL)
		return;
	value++;
	if (strncmp(line, "Uid:", 4) == 0)
		ids(value, seen->uid);
	else if (strncmp(line, "Gid:", 4) == 0)
		ids(value, seen->gid);
	else if (strncmp(line, "Groups:", 7) == 0)
		seen->groups = count_fields(value);
	else if (strncmp(line, "NSpid:", 6) == 0)
		seen->pid_levels = count_fields(value);
	else if (strncmp(line, "NoNewPrivs:", 11) == 0)
		seen->no_new_privs = (int)strtol(value, NULL, 10);
	else if (strncmp(line, "Seccomp:", 8) == 0)
		seen->seccomp = (int)strtol(value, NULL, 10);
	else
		for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			if (strncmp(line, caps[i].key, strlen(caps[i].key)) ==
			    0)
				*(uint64_t *)(void *)((char *)seen +
				    caps[i].offset) = strtoull(value, NULL, 16);
}

enum ns_seen
worker_seen_compare(pid_t pid, const char *name)
{
	char path[64], mine[64], its[64];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	a = readlink(path, mine, sizeof(mine));
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	b = readlink(path, its, sizeof(its));
	if (a <= 0 || b <= 0)
		return NS_UNKNOWN;
	return a == b && memcmp(mine, its, (size_t)a) == 0 ? NS_SHARED :
	    NS_OWN;
}

void
worker_seen_read(pid_t pid, struct worker_seen *seen)
{
	char path[64], text[8192];
	ssize_t n;
	int fd;

	memset(seen, 0, sizeof(*seen));
	seen->no_new_privs = seen->seccomp = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(seen->why, sizeof(seen->why), "%s: %s", path,
		    strerror(errno));
		return;
	}
	n = read(fd, text, sizeof(text) - 1);
	if (n <= 0)
		snprintf(seen->why, sizeof(seen->why), "%s: %s", path,
		    n == 0 ? "empty" : strerror(errno));
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	for (char *line = text, *end; line != NULL; line = end) {
		if ((end = strchr(line, '\n')) != NULL)
			*end++ = '\0';
		parse_line(seen, line);
	}
	for (size_t i = 0; i < WORKER_SEEN_NAMESPACE_COUNT; i++)
		seen->ns[i] = worker_seen_compare(pid, namespaces[i]);
	seen->read = true;
}

void
worker_seen_describe(const struct worker_seen *seen, char *line, size_t size)
{
	char own[96] = "", shared[96] = "", unknown[96] = "";
	size_t used;

	if (!seen->read) {
		snprintf(line, size, "not read: %s", seen->why);
		return;
	}
	for (size_t i = 0; i < WORKER_SEEN_NAMESPACE_COUNT; i++) {
		char *list = seen->ns[i] == NS_OWN ? own :
		    seen->ns[i] == NS_SHARED ? shared : unknown;

		used = strlen(list);
		snprintf(list + used, sizeof(own) - used, "%s%s",
		    used > 0 ? " " : "", namespaces[i]);
	}
	snprintf(line, size, "uid %" PRIu32 " gid %" PRIu32 ", %u groups, "
	    "CapBnd %" PRIx64 " CapEff %" PRIx64 ", no_new_privs %d, seccomp "
	    "%d; own namespaces: %s%s%s%s%s", seen->uid[1], seen->gid[1],
	    seen->groups, seen->cap_bnd, seen->cap_eff, seen->no_new_privs,
	    seen->seccomp, own[0] != '\0' ? own : "none",
	    shared[0] != '\0' ? "; the supervisor's: " : "", shared,
	    unknown[0] != '\0' ? "; not readable: " : "", unknown);
}
