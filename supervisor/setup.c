#include <errno.h>
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

char *
setup_find_data(const char *tree_path, const char *installed_path)
{
	static const char *const tree_roots[] = { "..", "../..", "../../.." };
	char path[PATH_MAX];

	/* Installed: PREFIX/bin/luaward and PREFIX/share/luaward, looked at
	 * first so that an installed binary never picks up a stray tree. */
	if ((size_t)snprintf(path, sizeof(path), "%s/../share/luaward/%s",
	    setup_binary_dir(), installed_path) < sizeof(path) &&
	    access(path, R_OK) == 0)
		return xstrdup(path);
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
			return xstrdup(path);
	}
	return NULL;
}

char *
setup_policy_path(const struct options *o)
{
	char *path;

	if (o->policy_path != NULL)
		return xstrdup(o->policy_path);
	if ((path = setup_find_data(DEFAULT_POLICY,
	    DEFAULT_POLICY_INSTALLED)) == NULL)
		fatalx("no seccomp policy found beside the binary or in "
		    "PREFIX/share/luaward; give one with --policy FILE");
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
