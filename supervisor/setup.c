#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "setup.h"

/* Address space beyond the Lua cap: the binary, stacks, the message
 * buffers (a request can be 3 MiB) and glibc's own bookkeeping. */
#define ADDRESS_SPACE_SLACK	(64ull << 20)

const char *
setup_binary_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0] != '\0')
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		fatal("cannot find the luaward binary (/proc/self/exe)");
	dir[n] = '\0';
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	return dir;
}

static const char *const tree_roots[] = { "..", "../..", "../../.." };

/*
 * An absolute path as a person would write it, by its text alone (it may
 * not exist): no "." or ".." component, no repeated slash.  Where the file
 * exists, realpath(3) says more (links resolved) and is used instead.
 */
static void
lexical_path(const char *path, char *out, size_t size)
{
	size_t n = 0;

	if (size < 2 || path[0] != '/') {
		snprintf(out, size, "%s", path);
		return;
	}
	out[n++] = '/';
	while (*path != '\0') {
		size_t length;

		while (*path == '/')
			path++;
		length = strcspn(path, "/");
		if (length == 2 && path[0] == '.' && path[1] == '.') {
			/* Back to the slash before the last component. */
			while (n > 1 && out[n - 1] != '/')
				n--;
			if (n > 1)
				n--;
		} else if (length > 0 && !(length == 1 && path[0] == '.') &&
		    n + 1 + length < size) {
			if (n > 1)
				out[n++] = '/';
			memcpy(out + n, path, length);
			n += length;
		}
		path += length;
	}
	out[n] = '\0';
}

/* A file that was found, named as it is printed: its real path. */
static char *
found_path(const char *path)
{
	char *real = realpath(path, NULL);

	return real != NULL ? real : xstrdup(path);
}

char *
setup_find_data(const char *tree_path, const char *installed_path)
{
	char path[PATH_MAX];

	/* Installed: PREFIX/bin/luaward and PREFIX/share/luaward, looked at
	 * first so that an installed binary never picks up a stray tree. */
	if ((size_t)snprintf(path, sizeof(path), "%s/../share/luaward/%s",
	    setup_binary_dir(), installed_path) < sizeof(path) &&
	    access(path, R_OK) == 0)
		return found_path(path);
	/* The build tree: build/luaward, build/sanitize/luaward, or a build
	 * directory of its own, build/NAME/sanitize/luaward.  Only a root
	 * holding luaward's sources counts: /usr/bin/luaward must not take
	 * a stray /usr/policies for its policy. */
	for (size_t i = 0; i < sizeof(tree_roots) / sizeof(tree_roots[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s",
		    setup_binary_dir(), tree_roots[i], "supervisor/main.c") >=
		    sizeof(path) || access(path, R_OK) != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s",
		    setup_binary_dir(), tree_roots[i], tree_path) <
		    sizeof(path) && access(path, R_OK) == 0)
			return found_path(path);
	}
	return NULL;
}

/* Where setup_find_data() looks, for a message saying it found nothing:
 * "A, nor in a luaward source tree at B, C, D". */
static void
data_searched(const char *tree_path, const char *installed_path,
    char *out, size_t size)
{
	char path[PATH_MAX], clean[PATH_MAX], last[PATH_MAX] = "";
	size_t n;
	int m;

	out[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/../share/luaward/%s",
	    setup_binary_dir(), installed_path) >= sizeof(path))
		return;
	lexical_path(path, clean, sizeof(clean));
	m = snprintf(out, size, "%s, nor in a luaward source tree at", clean);
	n = m > 0 && (size_t)m < size ? (size_t)m : size - 1;
	for (size_t i = 0; i < sizeof(tree_roots) / sizeof(tree_roots[0]);
	    i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s",
		    setup_binary_dir(), tree_roots[i], tree_path) >=
		    sizeof(path))
			continue;
		lexical_path(path, clean, sizeof(clean));
		/* Near the root, two roots can be the same directory. */
		if (strcmp(clean, last) == 0)
			continue;
		m = snprintf(out + n, size - n, "%s %s", last[0] == '\0' ?
		    "" : ",", clean);
		n += m > 0 && (size_t)m < size - n ? (size_t)m : size - n - 1;
		snprintf(last, sizeof(last), "%s", clean);
	}
}

char *
setup_policy_path(const struct options *o)
{
	char *path;

	if (o->policy_path != NULL)
		return xstrdup(o->policy_path);
	if ((path = setup_find_data(DEFAULT_POLICY,
	    DEFAULT_POLICY_INSTALLED)) == NULL) {
		char searched[4 * PATH_MAX];

		data_searched(DEFAULT_POLICY, DEFAULT_POLICY_INSTALLED,
		    searched, sizeof(searched));
		fatalx("no seccomp policy found: not in %s; give one with "
		    "--policy FILE", searched);
	}
	return path;
}

char *
setup_plugins_dir(const struct options *o)
{
	char *path, searched[4 * PATH_MAX];

	if (o->plugins_dir != NULL)
		return xstrdup(o->plugins_dir);
	if ((path = setup_find_data("plugins", "plugins")) == NULL) {
		data_searched("plugins", "plugins", searched,
		    sizeof(searched));
		fatalx("no bundled plugins directory found: not in %s; give "
		    "one with --plugins DIR", searched);
	}
	return path;
}

/*
 * Who workers run as.  Started as root: a uid of its own per worker slot
 * from the --worker-uids range, with --user as the fallback (and as every
 * worker's user with --worker-uids off).  Otherwise the invoking user, and
 * the range is never looked at.
 */
static void
setup_identity(struct setup *s, const struct options *o)
{
	struct spawn_identity fallback;

	memset(&fallback, 0, sizeof(fallback));
	if (geteuid() == 0) {
		struct passwd *pw;

		errno = 0;
		if ((pw = getpwnam(o->user)) == NULL)
			fatalx("--user %s: no such user%s%s", o->user,
			    errno != 0 ? ": " : "",
			    errno != 0 ? strerror(errno) : "");
		if (pw->pw_uid == 0 || pw->pw_gid == 0)
			fatalx("--user %s: workers never run as root or with "
			    "gid 0", o->user);
		fallback.drop_user = true;
		fallback.uid = pw->pw_uid;
		fallback.gid = pw->pw_gid;
		snprintf(fallback.origin, sizeof(fallback.origin), "%s",
		    o->user);
	} else {
		fallback.uid = getuid();
		fallback.gid = getgid();
		snprintf(fallback.origin, sizeof(fallback.origin), "the "
		    "invoking user");
	}
	s->uids = worker_uids_new(o->worker_uid_first, o->worker_uid_last,
	    WORKER_UIDS_LOCK_DIR, &fallback);
	s->spawn.identity = fallback;
}

/*
 * The worker is started by descriptor, with no path for an interpreter to
 * open, so only an ELF executable can be one; a script would fail at exec
 * with a bare "No such file or directory".  Whether an ELF binary is a
 * luaward worker is for its handshake to show (death.h).  A binary that
 * may be executed but not read is left to the handshake too.
 */
static void
check_worker_format(const char *path)
{
	unsigned char magic[4];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return;
	do
		n = read(fd, magic, sizeof(magic));
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n == -1)
		return;
	if (n >= 2 && magic[0] == '#' && magic[1] == '!')
		fatalx("cannot use worker binary %s: it is a script, not a "
		    "luaward worker", path);
	if (n < 4 || memcmp(magic, "\177ELF", 4) != 0)
		fatalx("cannot use worker binary %s: it is not an executable "
		    "(ELF) file, so not a luaward worker", path);
}

void
setup_claim_identity(struct setup *s)
{
	(void)worker_uids_acquire(s->uids, &s->spawn.identity);
}

void
setup_load(struct setup *s, const struct options *o)
{
	char error[1024], *policy_path;

	memset(s, 0, sizeof(*s));
	policy_path = setup_policy_path(o);
	if ((s->policy = policy_load(policy_path, error,
	    sizeof(error))) == NULL)
		fatalx("%s", error);
	free(policy_path);

	if (plugins_load_file(DKJSON_PATH, &s->dkjson, error,
	    sizeof(error)) == -1)
		fatalx("%s (install the Debian package lua-dkjson)", error);

	if (o->worker_path != NULL)
		s->worker_path = xstrdup(o->worker_path);
	else {
		char path[PATH_MAX];

		if ((size_t)snprintf(path, sizeof(path), "%s/luaward-worker",
		    setup_binary_dir()) >= sizeof(path))
			fatalx("the luaward binary's path is too long");
		s->worker_path = xstrdup(path);
	}
	if ((s->spawn.worker_fd = spawn_open_worker(s->worker_path)) == -1)
		fatal("cannot use worker binary %s", s->worker_path);
	check_worker_format(s->worker_path);
	s->spawn.worker_path = s->worker_path;
	s->spawn.namespaces = o->namespaces;
	s->spawn.address_space = ((uint64_t)o->memory_mb << 20) +
	    ADDRESS_SPACE_SLACK;
	setup_identity(s, o);
}

void
setup_free(struct setup *s)
{
	policy_free(s->policy);
	free(s->dkjson.name);
	free(s->dkjson.source);
	if (s->spawn.worker_fd > 0)
		close(s->spawn.worker_fd);
	free(s->worker_path);
	worker_uids_free(s->uids);
}

void
setup_engine_config(const struct setup *s, const struct options *o,
    struct engine_config *config)
{
	struct plugin_config *c = &config->plugins;

	memset(config, 0, sizeof(*config));
	c->modules = &s->dkjson;
	c->module_count = 1;
	c->filter = policy_program(s->policy, &c->filter_length);
	c->spawn = s->spawn;
	c->uids = s->uids;
	c->landlock = o->landlock;
	c->call_timeout_ms = o->timeout_ms;
	c->load_timeout_ms = o->load_timeout_ms;
	c->memory_bytes = (uint64_t)o->memory_mb << 20;
	c->workers_per_plugin = o->workers;
	c->pipeline_depth = 64;
	c->restart_delay_ms = o->restart_delay_ms;
	c->restart_delay_max_ms = 2000;
	c->max_restarts = o->max_restarts;
	c->restart_window_s = o->restart_window_s;
	config->budget_bytes = ENGINE_DEFAULT_BUDGET;
}
