/*
 * Ordered output: jobs finish in any order, lines leave in input order.
 * The writer holds a bounded window of jobs (the engine's budget bounds
 * their bytes); when it is full, or the output is not draining, it has no
 * room and the input pauses: memory stays bounded however long the input
 * and however slow the reader downstream.
 */
#ifndef LUAWARD_SUPERVISOR_WRITER_H
#define LUAWARD_SUPERVISOR_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "../engine/job.h"
#include "../input/reader.h"
#include "stats.h"

struct writer_config {
	int		 fd;		/* -1: the sink takes the output */
	/* Takes up to length bytes of output; returns how many it took, 0
	 * when it is full (then writer_resume() once it has room). */
	size_t		(*sink)(void *, const char *, size_t);
	size_t		 window;	/* jobs between input and output */
	size_t		 max_buffered;	/* formatted, unwritten output */
	void		(*room)(void *);	/* see writer_wait_for_room */
	/* Everything admitted so far is written (called from the loop's
	 * prepare phase, so a caller waiting in ev_run must break out). */
	void		(*drained)(void *);
	/* Each job as its line is formatted, just before it is freed. */
	void		(*written)(const struct job *, void *);
	void		(*failed)(void *, const char *reason);
	void		*arg;
};

struct writer;

struct writer	*writer_new(struct ev_loop *, const struct writer_config *);
void		 writer_free(struct writer *);

bool		 writer_has_room(const struct writer *);
/* Asks for the room callback once there is room again. */
void		 writer_wait_for_room(struct writer *);
/* A job for the record, next in output order. */
struct job	*writer_admit(struct writer *, const struct record *);
/* The job's status is final. */
void		 writer_complete(struct writer *, struct job *);
/* The sink has room again. */
void		 writer_resume(struct writer *);
/* Jobs admitted and not yet written, and their metadata bytes. */
size_t		 writer_held(const struct writer *, size_t *bytes);
/* Every admitted job is written and the output is flushed. */
bool		 writer_drained(const struct writer *);

const struct run_stats *writer_stats(const struct writer *);
/* True when some record was invalid or some plugin failed. */
bool		 writer_saw_failure(const struct writer *);
/* The errno of the write that failed, or 0. */
int		 writer_error_number(const struct writer *);

#endif
