/*
 * The output contract: one JSON object per record, one per line, in the
 * field order of docs/contract.md.  `resolve` and `query` both print
 * through here.
 */
#ifndef LUAWARD_SUPERVISOR_RESULT_H
#define LUAWARD_SUPERVISOR_RESULT_H

#include <stddef.h>

#include "../../ipc/buffer.h"
#include "../engine/job.h"

/* The canonical spelling of a supported workload type (matched without
 * regard to case), or NULL when it is not one of the six. */
const char	*workload_type_canonical(const char *type, size_t length);

/* Appends the job's line, newline included, naming plugins as its chain
 * does.  Returns -1 when memory runs out. */
int		 result_format(struct buffer *, const struct job *);

const char	*job_status_name(enum job_status);

#endif
