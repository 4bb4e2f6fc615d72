/*
 * The owner fallback: a pod's workload from its ownerReferences, named the
 * way Kubernetes' own controllers name what they create.  Used when no
 * plugin decides.  A pure function of the metadata text.
 *
 * The owner is the reference with "controller": true, else the first.
 * Only the built-in controllers' kinds, in their own API groups, decide:
 *   ReplicaSet (apps, extensions) whose name is D-H, where H is the pod's
 *       "pod-template-hash" label: Deployment D (a Deployment names its
 *       ReplicaSets so); otherwise ReplicaSet;
 *   StatefulSet (apps), DaemonSet (apps, extensions), ReplicationController
 *       (the core group, apiVersion "v1"): that kind and name;
 *   Job (batch) whose name is C-M, where M is how the CronJob controller
 *       suffixes the Jobs it makes (the scheduled time in minutes since the
 *       epoch, written in decimal) and C could be a CronJob's name (1 to 52
 *       characters): CronJob C; otherwise Job.
 * M must be the minute of a time from 2020-01-01 (26297280) until the
 * year 2160 (99999999), in decimal without leading zeros: the controller
 * has stamped Jobs with the minute since Kubernetes 1.20 (older ones used
 * the second), and the bounds keep a hand-made "migrate-2" or
 * "backup-20240101" a Job.
 * Anything else (a custom resource, even one whose kind is StatefulSet in
 * another group; a Node, for static pods; no owner) is left undecided.
 */
#ifndef LUAWARD_SUPERVISOR_OWNER_H
#define LUAWARD_SUPERVISOR_OWNER_H

#include <stdbool.h>
#include <stddef.h>

/* Kubernetes object names are DNS subdomains: at most 253 bytes. */
#define OWNER_NAME_MAX		253
#define OWNER_CRONJOB_NAME_MAX	52
#define OWNER_CRONJOB_MINUTE_MIN 26297280	/* 2020-01-01T00:00:00Z */
#define OWNER_CRONJOB_MINUTE_MAX 99999999	/* eight digits */

struct owner_answer {
	const char	*type;		/* canonical spelling, static */
	bool		 supported;	/* one of the contract's six types */
	char		 name[OWNER_NAME_MAX + 1];	/* NUL-terminated */
	size_t		 name_length;
};

/*
 * Returns 1 with *answer filled; 0 when the owner does not decide; -1 with
 * a message in error when the metadata is not what the API server would
 * send (not a JSON object, ownerReferences not an array of objects, a
 * field of the wrong type, a required field missing, two controllers, a
 * name over 253 bytes).
 */
int	 owner_resolve(const char *metadata, size_t length,
	     struct owner_answer *answer, char *error, size_t error_size);

#endif
