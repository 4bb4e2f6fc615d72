#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../engine/chain.h"
#include "../json.h"
#include "result.h"

/* How much of an unsupported type its line's reason repeats: the type
 * itself is on the line whole. */
#define TYPE_SHOWN	64
#define REASON_SIZE	(TYPE_SHOWN + 256)

static const char *const canonical_types[] = {
	"Deployment", "StatefulSet", "ReplicaSet", "DaemonSet",
	"ReplicationController", "CloneSet",
};

const char *
workload_type_canonical(const char *type, size_t length)
{
	for (size_t i = 0; i < sizeof(canonical_types) /
	    sizeof(canonical_types[0]); i++)
		if (strlen(canonical_types[i]) == length &&
		    strncasecmp(canonical_types[i], type, length) == 0)
			return canonical_types[i];
	return NULL;
}

static const struct {
	const char	*name;
	size_t		 length;
} statuses[] = {
#define S(status, name) [status] = { name, sizeof(name) - 1 }
	S(STATUS_PENDING, "unresolved"), S(STATUS_RESOLVED, "resolved"),
	S(STATUS_UNRESOLVED, "unresolved"),
	S(STATUS_UNSUPPORTED, "unsupported"), S(STATUS_INVALID, "invalid"),
#undef S
};

static size_t
status_index(enum job_status status)
{
	return (size_t)status < sizeof(statuses) / sizeof(statuses[0]) ?
	    (size_t)status : STATUS_UNRESOLVED;
}

const char *
job_status_name(enum job_status status)
{
	return statuses[status_index(status)].name;
}

/*
 * The line is written into room reserved once for all of it: each string
 * can take at most JSON_STRING_ROOM of its length, the field names and
 * punctuation at most the constant below per field.
 */
#define NAMES_ROOM	128

static char *
put_text(char *at, const char *text, size_t length)
{
	memcpy(at, text, length);
	return at + length;
}

#define PUT(at, literal)	put_text(at, literal, sizeof(literal) - 1)

static char *
put_string(char *at, const char *s, size_t length)
{
	return at + json_put_string(at, s, length);
}

/* The error of an unsupported line, into reason (REASON_SIZE bytes):
 * what was returned (its bytes as they are: the line escapes them), and
 * the six the plugin could have said.  Returns its length. */
static size_t
unsupported_reason(char *reason, const char *type, size_t length)
{
	size_t shown = length, used;

	if (shown > TYPE_SHOWN) {
		/* Cut on a character's first byte. */
		shown = TYPE_SHOWN;
		while (shown > 0 && ((unsigned char)type[shown] & 0xc0) == 0x80)
			shown--;
	}
	reason[0] = '"';
	memcpy(reason + 1, type, shown);
	used = 1 + shown;
	used += (size_t)snprintf(reason + used, REASON_SIZE - used,
	    "%s\" is not a workload type luaward accepts (", shown < length ?
	    "..." : "");
	for (size_t i = 0; i < sizeof(canonical_types) /
	    sizeof(canonical_types[0]); i++)
		used += (size_t)snprintf(reason + used, REASON_SIZE - used,
		    "%s%s", i > 0 ? ", " : "", canonical_types[i]);
	used += (size_t)snprintf(reason + used, REASON_SIZE - used, ")");
	return used;
}

/* The name of a chain link, or "" where a job has no chain. */
static const char *
link_name(const struct chain_link *links, size_t link)
{
	return links != NULL ? links[link].name : "";
}

int
result_format(struct buffer *out, const struct job *job)
{
	const struct chain_link *links = job->chain != NULL ?
	    job->chain->links : NULL;
	bool decided = job->status == STATUS_RESOLVED ||
	    job->status == STATUS_UNSUPPORTED;
	const char *plugin = !decided ? "" :
	    job->decided_by == DECIDED_BY_OWNER ? "(owner)" :
	    link_name(links, job->decided_by);
	size_t plugin_length = strlen(plugin);
	char reason[REASON_SIZE];
	size_t reason_length = job->status == STATUS_UNSUPPORTED ?
	    unsupported_reason(reason, job->type, job->type_length) : 0;
	size_t type_length = decided ? job->type_length : 0;
	size_t workload_length = decided ? job->workload_length : 0;
	const char *status = statuses[status_index(job->status)].name;
	size_t status_length = statuses[status_index(job->status)].length;
	size_t room = NAMES_ROOM + JSON_STRING_ROOM(job->uid_length) +
	    JSON_STRING_ROOM(job->namespace_length) +
	    JSON_STRING_ROOM(job->name_length) +
	    JSON_STRING_ROOM(status_length) + JSON_STRING_ROOM(type_length) +
	    JSON_STRING_ROOM(workload_length) +
	    JSON_STRING_ROOM(plugin_length);
	char *at;

	for (size_t i = 0; i < job->error_count; i++)
		room += NAMES_ROOM +
		    JSON_STRING_ROOM(strlen(link_name(links,
		    job->errors[i].plugin))) +
		    JSON_STRING_ROOM(strlen(error_kind_name(
		    job->errors[i].kind))) +
		    JSON_STRING_ROOM(strlen(job->errors[i].message));
	if (job->status == STATUS_INVALID)
		room += NAMES_ROOM +
		    JSON_STRING_ROOM(job->invalid_reason_length);
	room += NAMES_ROOM + JSON_STRING_ROOM(reason_length) +
	    JSON_STRING_ROOM(job->event_length);
	if (buffer_reserve(out, room) == -1)
		return -1;
	at = out->data + out->end;
	at = PUT(at, "{\"uid\":");
	at = put_string(at, job->uid, job->uid_length);
	at = PUT(at, ",\"namespace\":");
	at = put_string(at, job->namespace, job->namespace_length);
	at = PUT(at, ",\"name\":");
	at = put_string(at, job->name, job->name_length);
	at = PUT(at, ",\"status\":");
	at = put_string(at, status, status_length);
	at = PUT(at, ",\"workloadType\":");
	at = put_string(at, decided ? job->type : "", type_length);
	at = PUT(at, ",\"workloadName\":");
	at = put_string(at, decided ? job->workload : "", workload_length);
	at = PUT(at, ",\"plugin\":");
	at = put_string(at, plugin, plugin_length);
	if (job->error_count > 0) {
		at = PUT(at, ",\"errors\":[");
		for (size_t i = 0; i < job->error_count; i++) {
			const struct job_error *e = &job->errors[i];
			const char *name = link_name(links, e->plugin);
			const char *kind = error_kind_name(e->kind);

			if (i > 0)
				at = PUT(at, ",");
			at = PUT(at, "{\"plugin\":");
			at = put_string(at, name, strlen(name));
			at = PUT(at, ",\"kind\":");
			at = put_string(at, kind, strlen(kind));
			at = PUT(at, ",\"message\":");
			at = put_string(at, e->message, strlen(e->message));
			at = PUT(at, "}");
		}
		at = PUT(at, "]");
	}
	if (job->status == STATUS_INVALID) {
		at = PUT(at, ",\"error\":");
		at = put_string(at, job->invalid_reason,
		    job->invalid_reason_length);
	} else if (job->status == STATUS_UNSUPPORTED) {
		at = PUT(at, ",\"error\":");
		at = put_string(at, reason, reason_length);
	}
	/* A watch event's line says which event it answers. */
	if (job->event != NULL) {
		at = PUT(at, ",\"event\":");
		at = put_string(at, job->event, job->event_length);
	}
	at = PUT(at, "}\n");
	out->end = (size_t)(at - out->data);
	return 0;
}
