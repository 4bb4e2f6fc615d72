/*
 * What every command that runs plugins sets up before the first worker:
 * the compiled policy, the preloaded modules, the worker binary, the user
 * to run it as.  Any failure here is a configuration error (exit 2), found
 * before a single record is read.
 */
#ifndef LUAWARD_SUPERVISOR_SETUP_H
#define LUAWARD_SUPERVISOR_SETUP_H

#include "options.h"
#include "engine/plugins.h"
#include "policy/policy.h"
#include "engine/engine.h"
#include "engine/plugin.h"
#include "spawn/worker_uids.h"

#ifdef LUAWARD_SANITIZE
#define DEFAULT_POLICY			"policies/sanitizer.policy"
#define DEFAULT_POLICY_INSTALLED	"sanitizer.policy"
#else
#define DEFAULT_POLICY			"policies/worker.policy"
#define DEFAULT_POLICY_INSTALLED	"worker.policy"
#endif

struct setup {
	struct policy		*policy;
	struct plugin_source	 dkjson;
	/* A plugin gets a worker identity per slot from uids; spawn.identity
	 * is the fallback until setup_claim_identity(). */
	struct spawn_config	 spawn;
	struct worker_uids	*uids;
	char			*worker_path;
};

/* The policy file: --policy, or else the default; exits with status 2
 * when there is none.  Returns a new string. */
char	*setup_policy_path(const struct options *);

/* The plugin directory: --plugins, or else the bundled one; exits with
 * status 2, naming where it looked, when there is none.  Returns a new
 * string. */
char	*setup_plugins_dir(const struct options *);

/* Exits with status 2 and a one-line reason on any failure. */
void	 setup_load(struct setup *, const struct options *);
void	 setup_free(struct setup *);

/* Gives spawn.identity a uid of its own (or the fallback): for the
 * workers a command starts one at a time, outside a plugin (check,
 * selftest). */
void	 setup_claim_identity(struct setup *);

/* An engine configuration from the options and the setup (plugins and the
 * outcome callback are the caller's). */
void	 setup_engine_config(const struct setup *, const struct options *,
	     struct engine_config *);

/* The default location of a bundled file or directory: installed_path
 * under DATADIR (paths.h) for an installed binary, or under the tree it
 * was staged in; tree_path in the source tree for a binary built there
 * (setup.c says which is which).  Returns a new string, its real path (no "build/../"),
 * or NULL when it does not exist. */
char	*setup_find_data(const char *tree_path, const char *installed_path);

/* The worker binary: --worker, or else luaward-worker in LIBEXECDIR for an
 * installed binary (or under the tree it was staged in), beside the binary
 * in a build tree.  Returns a new string. */
char	*setup_worker_path(const struct options *);

/* The directory of the running luaward binary. */
const char *setup_binary_dir(void);

#endif
