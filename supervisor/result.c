#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "chain.h"
#include "json.h"
#include "result.h"

/* How much of an unsupported type its line's reason repeats: the type
 * itself is on the line whole. */
#define TYPE_SHOWN	64

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

const char *
job_status_name(enum job_status status)
{
	switch (status) {
	case STATUS_RESOLVED:
		return "resolved";
	case STATUS_UNSUPPORTED:
		return "unsupported";
	case STATUS_INVALID:
		return "invalid";
	case STATUS_UNRESOLVED:
	case STATUS_PENDING:
		break;
	}
	return "unresolved";
}

static int
field(struct buffer *out, const char *name, const char *value, size_t length)
{
	return buffer_append(out, ",\"", 2) | buffer_append(out, name,
	    strlen(name)) | buffer_append(out, "\":", 2) |
	    json_append_string(out, value, length);
}

/* The error of an unsupported line: what was returned (its bytes as
 * they are: the line escapes them), and the six the plugin could have
 * said. */
static int
unsupported_reason(struct buffer *out, const char *type, size_t length)
{
	char reason[TYPE_SHOWN + 256];
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
	used += (size_t)snprintf(reason + used, sizeof(reason) - used,
	    "%s\" is not a workload type luaward accepts (", shown < length ?
	    "..." : "");
	for (size_t i = 0; i < sizeof(canonical_types) /
	    sizeof(canonical_types[0]); i++)
		used += (size_t)snprintf(reason + used, sizeof(reason) - used,
		    "%s%s", i > 0 ? ", " : "", canonical_types[i]);
	used += (size_t)snprintf(reason + used, sizeof(reason) - used, ")");
	return field(out, "error", reason, used);
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
	    links != NULL ? links[job->decided_by].name : "";
	size_t end = out->end - out->start;
	int failed = 0;

	failed |= buffer_append(out, "{\"uid\":", 7);
	failed |= json_append_string(out, job->uid, job->uid_length);
	failed |= field(out, "namespace", job->namespace,
	    job->namespace_length);
	failed |= field(out, "name", job->name, job->name_length);
	failed |= field(out, "status", job_status_name(job->status),
	    strlen(job_status_name(job->status)));
	failed |= field(out, "workloadType", decided ? job->type : "",
	    decided ? job->type_length : 0);
	failed |= field(out, "workloadName", decided ? job->workload : "",
	    decided ? job->workload_length : 0);
	failed |= field(out, "plugin", plugin, strlen(plugin));
	if (job->error_count > 0) {
		failed |= buffer_append(out, ",\"errors\":[", 11);
		for (size_t i = 0; i < job->error_count; i++) {
			const struct job_error *e = &job->errors[i];
			const char *name = links != NULL ?
			    links[e->plugin].name : "";
			const char *kind = error_kind_name(e->kind);

			if (i > 0)
				failed |= buffer_append(out, ",", 1);
			failed |= buffer_append(out, "{\"plugin\":", 10);
			failed |= json_append_string(out, name, strlen(name));
			failed |= field(out, "kind", kind, strlen(kind));
			failed |= field(out, "message", e->message,
			    strlen(e->message));
			failed |= buffer_append(out, "}", 1);
		}
		failed |= buffer_append(out, "]", 1);
	}
	if (job->status == STATUS_INVALID)
		failed |= field(out, "error", job->invalid_reason,
		    strlen(job->invalid_reason));
	else if (job->status == STATUS_UNSUPPORTED)
		failed |= unsupported_reason(out, job->type, job->type_length);
	/* A watch event's line says which event it answers. */
	if (job->event != NULL)
		failed |= field(out, "event", job->event, job->event_length);
	failed |= buffer_append(out, "}\n", 2);
	if (failed) {
		out->end = out->start + end;
		return -1;
	}
	return 0;
}
