/*
 * Command-line options shared by the commands that run plugins (resolve,
 * check, selftest, serve).  One table describes every option: its name, its
 * argument, its help text and the commands that take it, so `--help` and
 * the parser can never disagree.
 */
#ifndef LUAWARD_SUPERVISOR_OPTIONS_H
#define LUAWARD_SUPERVISOR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../ipc/wire.h"

/* Which commands take an option. */
#define FOR_RESOLVE	(1u << 0)
#define FOR_CHECK	(1u << 1)
#define FOR_SELFTEST	(1u << 2)
#define FOR_POLICY	(1u << 3)
#define FOR_SERVE	(1u << 4)
#define FOR_CLIENT	(1u << 5)	/* plugin, query, stats */
#define FOR_TEST	(1u << 6)

struct options {
	const char	*plugins_dir;
	const char	*worker_path;
	const char	*policy_path;
	const char	*pods_path;		/* check --pods */
	const char	*user;
	uint32_t	 worker_uid_first;	/* 0: --worker-uids off */
	uint32_t	 worker_uid_last;
	uint32_t	 timeout_ms;
	uint32_t	 load_timeout_ms;
	uint32_t	 memory_mb;
	unsigned	 workers;
	enum wire_mode	 namespaces;
	enum wire_mode	 landlock;
	size_t		 max_record;
	unsigned	 max_depth;
	unsigned	 max_restarts;
	uint32_t	 restart_window_s;
	uint32_t	 restart_delay_ms;
	int		 stats;			/* 0, 1 human, 2 json */
	/* serve */
	const char	*state_dir;
	const char	*socket_path;
	unsigned	 socket_mode;
	const char	*socket_group;
	unsigned	 max_connections;
	unsigned	 client_timeout_s;
	const char	*metrics_file;
	/* client commands */
	const char	*plugin_type;		/* plugin create --type */
	const char	*image;			/* plugin create --image */
	const char	*plugin_name;		/* plugin create --name */
	bool		 replace;
	const char	*before, *after;
	bool		 output_json;		/* -o json */
	const char	*stats_file;		/* NULL: stderr */
	bool		 fallback_owner;	/* --fallback owner */
	bool		 deepflow_argument;	/* --argument deepflow */
	bool		 verbose;
	bool		 allow_insecure_plugins;
	bool		 strict;		/* a plugin must load */
};

void	 options_defaults(struct options *);

/* The line of --version and -V. */
void	 options_print_version(void);

/* Parses argv for command (one FOR_ bit); prints help and exits 0 for
 * --help (the version for --version), exits 2 with a one-line reason for
 * anything wrong.  Returns the index of the first operand. */
int	 options_parse(struct options *, unsigned command, const char *name,
	     const char *operands, const char *summary, int argc, char **argv);

#endif
