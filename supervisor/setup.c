#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
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

/*
 * Where luaward runs from decides where its worker and data are (the
 * binary's directory from /proc/self/exe, links resolved):
 *
 *   installed   the binary is ROOT/BINDIR/luaward: the worker is
 *               ROOT/LIBEXECDIR/luaward-worker, the data ROOT/DATADIR/...
 *               ROOT is "" once installed, or the directory a tree was
 *               staged in (make install DESTDIR=ROOT), so that a staged
 *               tree runs as its installed copy will.  Nothing else is
 *               looked at: not a worker beside the binary (where an older
 *               install put one), nor a source tree, nor another install.
 *   tree        the binary is one to three levels below a source tree
 *               (build/, build/sanitize/, build/NAME/sanitize/): the worker
 *               beside it, the data from the tree.
 *   elsewhere   a copy of the binary: LIBEXECDIR and DATADIR as built.
 */
enum layout {
	LAYOUT_INSTALLED,
	LAYOUT_TREE,
	LAYOUT_ELSEWHERE,
};

static enum layout
layout(const char **root)
{
	static const char *const tree_roots[] = { "..", "../..", "../../.." };
	static enum layout found = LAYOUT_ELSEWHERE;
	static char where[PATH_MAX];
	static bool known;
	const char *dir = setup_binary_dir();
	char path[PATH_MAX], *real;
	size_t length = strlen(dir), bin = strlen(LUAWARD_BINDIR);

	*root = where;
	if (known)
		return found;
	known = true;
	while (bin > 1 && LUAWARD_BINDIR[bin - 1] == '/')
		bin--;
	/* BINDIR is absolute: a tail of dir that matches it starts at a
	 * '/', so ROOT is whole directories. */
	if (LUAWARD_BINDIR[0] == '/' && bin > 1 && length >= bin &&
	    strncmp(dir + length - bin, LUAWARD_BINDIR, bin) == 0) {
		snprintf(where, sizeof(where), "%.*s", (int)(length - bin),
		    dir);
		return found = LAYOUT_INSTALLED;
	}
	/* Installed through a link: BINDIR itself reached another way. */
	if ((real = realpath(LUAWARD_BINDIR, NULL)) != NULL) {
		bool same = strcmp(real, dir) == 0;

		free(real);
		if (same)
			return found = LAYOUT_INSTALLED;
	}
	/* Only a root holding luaward's sources counts as a tree: a copy in
	 * /opt/x/bin must not take a stray /opt/policies for its policy. */
	for (size_t i = 0; i < sizeof(tree_roots) / sizeof(tree_roots[0]); i++)
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", dir,
		    tree_roots[i], "supervisor/main.c") < sizeof(path) &&
		    access(path, R_OK) == 0) {
			snprintf(where, sizeof(where), "%s/%s", dir,
			    tree_roots[i]);
			return found = LAYOUT_TREE;
		}
	return found;
}

/* The one place the layout says a bundled file is; a new string. */
static char *
data_path(const char *tree_path, const char *installed_path)
{
	char path[PATH_MAX];
	const char *root;
	int n;

	switch (layout(&root)) {
	case LAYOUT_INSTALLED:
		n = snprintf(path, sizeof(path), "%s%s/%s", root,
		    LUAWARD_DATADIR, installed_path);
		break;
	case LAYOUT_TREE:
		n = snprintf(path, sizeof(path), "%s/%s", root, tree_path);
		break;
	default:
		n = snprintf(path, sizeof(path), "%s/%s", LUAWARD_DATADIR,
		    installed_path);
		break;
	}
	if (n < 0 || (size_t)n >= sizeof(path))
		fatalx("the path of %s is too long", installed_path);
	return xstrdup(path);
}

/* A file that was found, named as it is printed: its real path (no
 * "build/../"). */
static char *
found_path(const char *path)
{
	char *real = realpath(path, NULL);

	return real != NULL ? real : xstrdup(path);
}

char *
setup_find_data(const char *tree_path, const char *installed_path)
{
	char *path = data_path(tree_path, installed_path), *found;

	if (access(path, R_OK) == 0) {
		found = found_path(path);
		free(path);
		return found;
	}
	free(path);
	return NULL;
}

char *
setup_worker_path(const struct options *o)
{
	char path[PATH_MAX];
	const char *root;
	int n;

	if (o->worker_path != NULL)
		return xstrdup(o->worker_path);
	switch (layout(&root)) {
	case LAYOUT_INSTALLED:
		n = snprintf(path, sizeof(path), "%s%s/luaward-worker", root,
		    LUAWARD_LIBEXECDIR);
		break;
	case LAYOUT_TREE:
		n = snprintf(path, sizeof(path), "%s/luaward-worker",
		    setup_binary_dir());
		break;
	default:
		n = snprintf(path, sizeof(path), "%s/luaward-worker",
		    LUAWARD_LIBEXECDIR);
		break;
	}
	if (n < 0 || (size_t)n >= sizeof(path))
		fatalx("the worker binary's path is too long");
	return xstrdup(path);
}

char *
setup_policy_path(const struct options *o)
{
	char *path, *found;

	if (o->policy_path != NULL)
		return xstrdup(o->policy_path);
	path = data_path(DEFAULT_POLICY, DEFAULT_POLICY_INSTALLED);
	if (access(path, R_OK) != 0)
		fatalx("no seccomp policy found: not at %s (%s), the one place "
		    "this luaward looks; give one with --policy FILE", path,
		    strerror(errno));
	found = found_path(path);
	free(path);
	return found;
}

char *
setup_plugins_dir(const struct options *o)
{
	char *path, *found;

	if (o->plugins_dir != NULL)
		return xstrdup(o->plugins_dir);
	path = data_path("plugins", "plugins");
	if (access(path, R_OK) != 0)
		fatalx("no bundled plugins directory found: not at %s (%s); give "
		    "one with --plugins DIR", path, strerror(errno));
	found = found_path(path);
	free(path);
	return found;
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

	s->worker_path = setup_worker_path(o);
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
	config->fallback = o->fallback_owner ? FALLBACK_OWNER : FALLBACK_NONE;
}
