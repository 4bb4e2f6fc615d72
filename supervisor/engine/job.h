/*
 * A job is one input record on its way through the plugin chain, from the
 * reader to its line of output.  It owns copies of everything it needs, so
 * it outlives the reader's buffers and any worker that dies under it.
 */
#ifndef LUAWARD_SUPERVISOR_JOB_H
#define LUAWARD_SUPERVISOR_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../ipc/wire.h"
#include "../input/reader.h"

/* Error kinds, in docs/contract.md's words. */
enum error_kind {
	ERROR_TIMEOUT, ERROR_MEMORY, ERROR_ERROR, ERROR_CRASH, ERROR_SANDBOX,
	ERROR_BAD_RETURN, ERROR_QUARANTINED, ERROR_LOAD, ERROR_KIND_COUNT,
};

enum job_status {
	STATUS_PENDING, STATUS_RESOLVED, STATUS_UNRESOLVED, STATUS_UNSUPPORTED,
	STATUS_INVALID,
};

struct job_error {
	size_t		 plugin;	/* its link in the job's chain */
	enum error_kind	 kind;
	char		*message;
};

struct chain;

struct job {
	uint64_t	 seq;		/* input order */
	enum job_status	 status;
	/* The plugins as they were when it arrived (a reference), and who
	 * hears once its status is final. */
	struct chain	*chain;
	void		(*finished)(struct job *, void *);
	void		*finished_arg;

	/* Copies of the record's parts, NUL-terminated, allocated with the
	 * job itself. */
	char		*metadata;	/* compact JSON, NULL when invalid */
	size_t		 metadata_length;
	char		*uid, *namespace, *name;
	size_t		 uid_length, namespace_length, name_length;
	char		*invalid_reason;
	size_t		 invalid_reason_length;
	char		*event;		/* a watch event's type, or NULL */
	size_t		 event_length;

	size_t		 next_plugin;	/* its link in the chain */
	/* The deciding answer (job_set_answer): in answer_inline when both
	 * fit, as they nearly always do, else in one allocation. */
	char		*type, *workload;
	size_t		 type_length, workload_length;
	char		 answer_inline[64];
	size_t		 decided_by;	/* the deciding link, or ... */
#define DECIDED_BY_OWNER	((size_t)-1)	/* ... the owner fallback */
	struct job_error *errors;
	size_t		 error_count;

	/* Owned by the pool while a worker has it: its place in a queue,
	 * and the REQUEST frame's header, sent before the metadata. */
	struct job	*queue_next;
	uint64_t	 request_id;
	unsigned char	 wire_header[WIRE_REQUEST_HEADER_MAX];
	uint8_t		 wire_header_length;
	double		 handed_at;	/* its last byte went to the worker */
	/* A worker died holding it and others, and it may have been the
	 * one running: it goes to the next worker alone, so that if it is
	 * the culprit, it is blamed exactly. */
	bool		 suspect;
};

/* What one plugin made of one job: two strings, or an error. */
struct outcome {
	bool		 ok;
	const char	*type, *name;
	size_t		 type_length, name_length;
	enum error_kind	 kind;
	const char	*message;
	uint64_t	 latency_us;	/* how long the call took, as the
					 * worker measured it */
};

/* Builds a job from a reader record (copies everything). */
struct job	*job_new(uint64_t seq, const struct record *);
void		 job_free(struct job *);
/* The deciding answer's two strings, copied. */
void		 job_set_answer(struct job *, const char *type,
		     size_t type_length, const char *name, size_t name_length);
void		 job_add_error(struct job *, size_t plugin, enum error_kind,
		     const char *message);

/* A job queued long ago is out of the cache: brings in what a worker's
 * queue reads of it, ahead of its turn. */
static inline void
job_prefetch(const struct job *job)
{
	__builtin_prefetch(&job->metadata_length);
	__builtin_prefetch(&job->queue_next);
	__builtin_prefetch(&job->suspect);
}

const char	*error_kind_name(enum error_kind);
/* Returns -1 for a name that is not a worker-reported kind. */
int		 error_kind_parse(const char *name, size_t length);

#endif
