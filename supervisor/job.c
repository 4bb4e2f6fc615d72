#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "job.h"
#include "log.h"

static const char *const kind_names[ERROR_KIND_COUNT] = {
	[ERROR_TIMEOUT] = "timeout", [ERROR_MEMORY] = "memory",
	[ERROR_ERROR] = "error", [ERROR_CRASH] = "crash",
	[ERROR_SANDBOX] = "sandbox", [ERROR_BAD_RETURN] = "bad-return",
	[ERROR_QUARANTINED] = "quarantined", [ERROR_LOAD] = "load",
};

static char *
copy(const char *s, size_t length)
{
	return xstrndup(s != NULL ? s : "", s != NULL ? length : 0);
}

struct job *
job_new(uint64_t seq, const struct record *record)
{
	struct job *job = xcalloc(1, sizeof(*job));

	job->seq = seq;
	if (record->invalid) {
		job->status = STATUS_INVALID;
		job->invalid_reason = xstrdup(record->error);
	} else {
		job->status = STATUS_PENDING;
		job->metadata = copy(record->metadata,
		    record->metadata_length);
		job->metadata_length = record->metadata_length;
	}
	job->uid = copy(record->uid, record->uid_length);
	job->uid_length = record->uid_length;
	job->namespace = copy(record->namespace, record->namespace_length);
	job->namespace_length = record->namespace_length;
	job->name = copy(record->name, record->name_length);
	job->name_length = record->name_length;
	if (record->event_length > 0) {
		job->event = copy(record->event, record->event_length);
		job->event_length = record->event_length;
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
	free(job->metadata);
	free(job->uid);
	free(job->namespace);
	free(job->name);
	free(job->invalid_reason);
	free(job->event);
	free(job->type);
	free(job->workload);
	free(job);
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
