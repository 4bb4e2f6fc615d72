/*
 * A session: one stream of records in, one line per record out, in input
 * order.  A `resolve` run is one session, reading files (or stdin) and
 * writing stdout; each `query` connection to the daemon is another, fed the
 * bytes the client sends and giving its lines back to the connection.  Every
 * record takes the engine's current chain when it arrives and keeps it to
 * its line.  Memory is bounded by the session's window and the engine's
 * budget, never by the length of the input.
 */
#ifndef LUAWARD_SUPERVISOR_SESSION_H
#define LUAWARD_SUPERVISOR_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "../input/reader.h"
#include "../output/stats.h"

struct session_config {
	/* Input: the files (none: stdin) ... */
	char *const	*paths;
	size_t		 path_count;
	/* ... or, with push, bytes given to session_push(), named so in
	 * error messages. */
	bool		 push;
	const char	*push_name;
	struct reader_limits limits;
	/* Plugins get the metadata as DeepFlow's controller writes it. */
	bool		 deepflow_argument;

	/* Output: a descriptor (made non-blocking for the session when it
	 * is a pipe or socket), or with fd -1 the sink (writer.h). */
	int		 fd;
	size_t		(*sink)(void *, const char *, size_t);

	/* Every record's line is written (or the output failed). */
	void		(*done)(void *);
	/* The output failed: nothing more can be written. */
	void		(*failed)(void *, const char *reason);
	/* push: the session can take more bytes again. */
	void		(*room)(void *);
	void		*arg;
};

struct session;

/* Opens every input before anything is read; NULL with the reason when one
 * cannot be opened. */
struct session	*session_new(struct engine *, const struct session_config *,
		     char *error, size_t error_size);
/* Jobs the session still holds let go of their chains: free every
 * session before its engine. */
void		 session_free(struct session *);
/* Its reader went away: no more input, the lines go nowhere, and the
 * session frees itself once every record it admitted is back from the
 * plugins (they hold its jobs until then).  The caller forgets it. */
void		 session_abandon(struct session *);
void		 session_start(struct session *);

/* push: takes what it has room for; see input_push(). */
size_t		 session_push(struct session *, const char *, size_t);
void		 session_push_end(struct session *);
/* The sink has room again. */
void		 session_resume_output(struct session *);

bool		 session_done(const struct session *);
const struct run_stats *session_stats(const struct session *);
/* True when some record was invalid or some plugin failed. */
bool		 session_saw_failure(const struct session *);
/* Why the output failed: the errno of the write, or 0. */
int		 session_output_errno(const struct session *);

#endif
