/*
 * The owner fallback (owner.h): index the metadata, pick the owner, then
 * one row of the table below says what its kind gives.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../input/json_tree.h"
#include "../log.h"
#include "owner.h"

enum naming {
	AS_IS,			/* the owner is the workload */
	BY_TEMPLATE_HASH,	/* a Deployment's ReplicaSet, maybe */
	BY_SCHEDULE,		/* a CronJob's Job, maybe */
};

static const struct owner_kind {
	const char	*kind;
	const char	*groups[2];	/* "" is the core group */
	enum naming	 naming;
	const char	*type;		/* when AS_IS, or no pattern matched */
	bool		 supported;
} owner_kinds[] = {
	{ "ReplicaSet",	{ "apps", "extensions" }, BY_TEMPLATE_HASH,
	    "ReplicaSet", true },
	{ "StatefulSet", { "apps", NULL }, AS_IS, "StatefulSet", true },
	{ "DaemonSet", { "apps", "extensions" }, AS_IS, "DaemonSet", true },
	{ "ReplicationController", { "", NULL }, AS_IS,
	    "ReplicationController", true },
	{ "Job", { "batch", NULL }, BY_SCHEDULE, "Job", false },
};

static const char *
type_name(uint8_t type)
{
	static const char *names[] = {
		[JT_NULL] = "null", [JT_FALSE] = "a boolean",
		[JT_TRUE] = "a boolean", [JT_NUMBER] = "a number",
		[JT_STRING] = "a string", [JT_ARRAY] = "an array",
		[JT_OBJECT] = "an object",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* The group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""), or false
 * when it is not of that form. */
static bool
api_group(const char *version, size_t length, char *group, size_t size)
{
	const char *slash = memchr(version, '/', length);
	size_t n = slash != NULL ? (size_t)(slash - version) : 0;

	if (length == 0 || (slash != NULL && (n == 0 || n + 1 == length)) ||
	    n >= size)
		return false;
	memcpy(group, version, n);
	group[n] = '\0';
	return true;
}

/* The reference that names the owner, and its position; JSON_TREE_NONE
 * when there is none, or when *bad (error then says why). */
static uint32_t
pick_owner(const struct json_tree *t, uint32_t references, unsigned *position,
    bool *bad, char *error, size_t error_size)
{
	uint32_t first = JSON_TREE_NONE, controller = JSON_TREE_NONE;
	unsigned i = 0, controller_at = 0;

	for (uint32_t r = json_tree_first(t, references); r != JSON_TREE_NONE;
	    r = json_tree_after(t, references, r), i++) {
		uint32_t flag;

		if (t->nodes[r].type != JT_OBJECT) {
			*bad = true;
			error_set(error, error_size, "ownerReferences[%u] is %s, "
			    "not an object", i, type_name(t->nodes[r].type));
			return JSON_TREE_NONE;
		}
		if (first == JSON_TREE_NONE)
			first = r;
		flag = json_tree_member(t, r, "controller");
		if (flag == JSON_TREE_NONE || t->nodes[flag].type == JT_NULL ||
		    t->nodes[flag].type == JT_FALSE)
			continue;
		if (t->nodes[flag].type != JT_TRUE) {
			*bad = true;
			error_set(error, error_size,
			    "ownerReferences[%u].controller is %s, not a "
			    "boolean", i, type_name(t->nodes[flag].type));
			return JSON_TREE_NONE;
		}
		if (controller != JSON_TREE_NONE) {
			/* The API server refuses this. */
			*bad = true;
			error_set(error, error_size, "ownerReferences[%u] and [%u] "
			    "are both marked controller", controller_at, i);
			return JSON_TREE_NONE;
		}
		controller = r;
		controller_at = i;
	}
	if (controller != JSON_TREE_NONE) {
		*position = controller_at;
		return controller;
	}
	*position = 0;
	return first;
}

/* A required string member of the owner reference. */
static uint32_t
reference_string(const struct json_tree *t, uint32_t reference,
    unsigned position, const char *member, char *error, size_t error_size)
{
	uint32_t v = json_tree_member(t, reference, member);

	if (v == JSON_TREE_NONE)
		error_set(error, error_size, "ownerReferences[%u] has no %s",
		    position, member);
	else if (t->nodes[v].type != JT_STRING) {
		error_set(error, error_size, "ownerReferences[%u].%s is %s, not a "
		    "string", position, member, type_name(t->nodes[v].type));
		v = JSON_TREE_NONE;
	}
	return v;
}

/* A Deployment's ReplicaSet is named <deployment>-<pod-template-hash>. */
static int
by_template_hash(const struct json_tree *t, struct owner_answer *answer,
    char *error, size_t error_size)
{
	uint32_t labels = json_tree_member(t, 0, "labels"), hash;
	char value[64];
	size_t n;

	if (labels == JSON_TREE_NONE || t->nodes[labels].type == JT_NULL)
		return 0;
	if (t->nodes[labels].type != JT_OBJECT)
		return error_set(error, error_size, "labels is %s, not an object",
		    type_name(t->nodes[labels].type));
	hash = json_tree_member(t, labels, "pod-template-hash");
	if (hash == JSON_TREE_NONE)
		return 0;
	if (t->nodes[hash].type != JT_STRING)
		return error_set(error, error_size, "labels.pod-template-hash is "
		    "%s, not a string", type_name(t->nodes[hash].type));
	n = json_tree_string_decode(t, hash, value, sizeof(value));
	if (n == 0 || n > sizeof(value) || n + 2 > answer->name_length ||
	    answer->name[answer->name_length - n - 1] != '-' ||
	    memcmp(answer->name + answer->name_length - n, value, n) != 0)
		return 0;
	answer->type = "Deployment";
	answer->supported = true;
	answer->name_length -= n + 1;
	answer->name[answer->name_length] = '\0';
	return 0;
}

/* The CronJob controller names its Jobs <cronjob>-<minute> (owner.h). */
static void
by_schedule(struct owner_answer *answer)
{
	const char *name = answer->name, *dash;
	size_t base, digits;
	uint32_t minute = 0;

	if ((dash = memrchr(name, '-', answer->name_length)) == NULL)
		return;
	base = (size_t)(dash - name);
	digits = answer->name_length - base - 1;
	if (base == 0 || base > OWNER_CRONJOB_NAME_MAX || digits != 8 ||
	    dash[1] == '0')
		return;
	for (size_t i = 1; i <= digits; i++) {
		if (dash[i] < '0' || dash[i] > '9')
			return;
		minute = minute * 10 + (uint32_t)(dash[i] - '0');
	}
	if (minute < OWNER_CRONJOB_MINUTE_MIN ||
	    minute > OWNER_CRONJOB_MINUTE_MAX)
		return;
	answer->type = "CronJob";
	answer->supported = false;
	answer->name_length = base;
	answer->name[base] = '\0';
}

int
owner_resolve(const char *metadata, size_t length, struct owner_answer *answer,
    char *error, size_t error_size)
{
	struct json_tree t;
	const struct owner_kind *k = NULL;
	uint32_t references, owner, kind, version, name;
	unsigned position = 0;
	bool bad = false;
	char group[32], version_text[64];
	size_t n;
	int rc = -1;

	memset(answer, 0, sizeof(*answer));
	if (json_tree_parse(&t, metadata, length, error, error_size) == -1)
		return -1;
	if (t.nodes[0].type != JT_OBJECT) {
		error_set(error, error_size, "the metadata is %s, not an object",
		    type_name(t.nodes[0].type));
		goto done;
	}
	rc = 0;
	references = json_tree_member(&t, 0, "ownerReferences");
	if (references == JSON_TREE_NONE || t.nodes[references].type == JT_NULL)
		goto done;
	if (t.nodes[references].type != JT_ARRAY) {
		rc = error_set(error, error_size, "ownerReferences is %s, not an "
		    "array", type_name(t.nodes[references].type));
		goto done;
	}
	owner = pick_owner(&t, references, &position, &bad, error, error_size);
	if (bad)
		rc = -1;
	if (owner == JSON_TREE_NONE)
		goto done;
	rc = -1;
	if ((version = reference_string(&t, owner, position, "apiVersion",
	    error, error_size)) == JSON_TREE_NONE ||
	    (kind = reference_string(&t, owner, position, "kind", error,
	    error_size)) == JSON_TREE_NONE ||
	    (name = reference_string(&t, owner, position, "name", error,
	    error_size)) == JSON_TREE_NONE)
		goto done;
	n = json_tree_string_decode(&t, name, answer->name, OWNER_NAME_MAX);
	if (n == 0 || n > OWNER_NAME_MAX) {
		error_set(error, error_size, "ownerReferences[%u].name is %s",
		    position, n == 0 ? "empty" : "longer than 253 bytes");
		goto done;
	}
	answer->name_length = n;
	answer->name[n] = '\0';
	rc = 0;
	for (size_t i = 0; i < sizeof(owner_kinds) / sizeof(*owner_kinds);
	    i++)
		if (json_tree_string_is(&t, kind, owner_kinds[i].kind,
		    strlen(owner_kinds[i].kind)))
			k = &owner_kinds[i];
	n = json_tree_string_decode(&t, version, version_text,
	    sizeof(version_text));
	if (k == NULL || n > sizeof(version_text) ||
	    !api_group(version_text, n, group, sizeof(group)) ||
	    !(strcmp(group, k->groups[0]) == 0 ||
	    (k->groups[1] != NULL && strcmp(group, k->groups[1]) == 0)))
		goto done;	/* not one of the built-in controllers */
	answer->type = k->type;
	answer->supported = k->supported;
	if (k->naming == BY_TEMPLATE_HASH &&
	    by_template_hash(&t, answer, error, error_size) == -1) {
		rc = -1;
		goto done;
	}
	if (k->naming == BY_SCHEDULE)
		by_schedule(answer);
	rc = 1;
done:
	if (rc != 1)
		memset(answer, 0, sizeof(*answer));
	json_tree_free(&t);
	return rc;
}
