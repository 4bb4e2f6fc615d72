#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "job.h"
#include "../log.h"

static const char *const kind_names[ERROR_KIND_COUNT] = {
	[ERROR_TIMEOUT] = "timeout", [ERROR_MEMORY] = "memory",
	[ERROR_ERROR] = "error", [ERROR_CRASH] = "crash",
	[ERROR_SANDBOX] = "sandbox", [ERROR_BAD_RETURN] = "bad-return",
	[ERROR_QUARANTINED] = "quarantined", [ERROR_LOAD] = "load",
};

/* Copies length bytes of s (none when s is NULL) to at, with a NUL;
 * returns the copy and moves at past it. */
static char *
put(char **at, const char *s, size_t length)
{
	char *copy = *at;

	if (s != NULL && length > 0)
		memcpy(copy, s, length);
	copy[s != NULL ? length : 0] = '\0';
	*at += length + 1;
	return copy;
}

/* One allocation holds the job and every string it copies from the
 * record: the reader's buffers are reused for the next record. */
struct job *
job_new(uint64_t seq, const struct record *record)
{
	size_t metadata_length = record->invalid || record->metadata == NULL ?
	    0 : record->metadata_length;
	size_t reason_length = record->invalid ? strlen(record->error) : 0;
	size_t uid_length = record->uid != NULL ? record->uid_length : 0;
	size_t namespace_length = record->namespace != NULL ?
	    record->namespace_length : 0;
	size_t name_length = record->name != NULL ? record->name_length : 0;
	size_t event_length = record->event != NULL ? record->event_length :
	    0;
	struct job *job = xmalloc(sizeof(*job) + metadata_length +
	    reason_length + uid_length + namespace_length + name_length +
	    event_length + 6);
	char *at = (char *)(job + 1);

	memset(job, 0, sizeof(*job));
	job->seq = seq;
	if (record->invalid) {
		job->status = STATUS_INVALID;
		job->invalid_reason = put(&at, record->error, reason_length);
		job->invalid_reason_length = reason_length;
	} else {
		job->status = STATUS_PENDING;
		job->metadata = put(&at, record->metadata, metadata_length);
		job->metadata_length = metadata_length;
	}
	job->uid = put(&at, record->uid, uid_length);
	job->uid_length = uid_length;
	job->namespace = put(&at, record->namespace, namespace_length);
	job->namespace_length = namespace_length;
	job->name = put(&at, record->name, name_length);
	job->name_length = name_length;
	/* A watch event's type, for its line; NULL for any other record. */
	if (event_length > 0) {
		job->event = put(&at, record->event, event_length);
		job->event_length = event_length;
	}
	return job;
}

void
job_free(struct job *job)
{
	if (job == NULL)
		return;
	for (size_t i = 0; i < job->error_count; i++)
		free(job->errors[i].message);
	free(job->errors);
	chain_unref(job->chain);
	if (job->type != job->answer_inline)
		free(job->type);
	free(job);
}

void
job_set_answer(struct job *job, const char *type, size_t type_length,
    const char *name, size_t name_length)
{
	size_t size = type_length + name_length + 2;
	char *at;

	if (job->type != job->answer_inline)
		free(job->type);
	at = size <= sizeof(job->answer_inline) ? job->answer_inline :
	    xmalloc(size);
	job->type = put(&at, type, type_length);
	job->type_length = type_length;
	job->workload = put(&at, name, name_length);
	job->workload_length = name_length;
}

void
job_add_error(struct job *job, size_t plugin, enum error_kind kind,
    const char *message)
{
	job->errors = xrealloc(job->errors,
	    (job->error_count + 1) * sizeof(*job->errors));
	job->errors[job->error_count].plugin = plugin;
	job->errors[job->error_count].kind = kind;
	job->errors[job->error_count].message = xstrdup(message);
	job->error_count++;
}

const char *
error_kind_name(enum error_kind kind)
{
	return kind < ERROR_KIND_COUNT ? kind_names[kind] : "crash";
}

int
error_kind_parse(const char *name, size_t length)
{
	for (int k = 0; k < ERROR_KIND_COUNT; k++)
		if (strlen(kind_names[k]) == length &&
		    memcmp(kind_names[k], name, length) == 0)
			return k;
	return -1;
}
