/*
 * The input side of a session: files named on the command line (or stdin),
 * or bytes pushed by the caller, framed into records by the reader.  Reading stops
 * whenever the consumer has no room and resumes when asked, so the input is
 * never read further ahead than the output can take.
 */
#ifndef LUAWARD_SUPERVISOR_INPUT_H
#define LUAWARD_SUPERVISOR_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "reader.h"

struct input_callbacks {
	bool	(*has_room)(void *);
	void	(*wait_for_room)(void *);	/* then input_resume() */
	void	(*record)(const struct record *, void *);
	void	(*finished)(void *);
};

struct input;

/* Opens every path ("-" is stdin; none means stdin) before anything is
 * read.  Returns NULL with the reason when one cannot be opened. */
struct input	*input_open(char *const *paths, size_t count,
		     const struct reader_limits *, char *error,
		     size_t error_size);
void		 input_free(struct input *);

void		 input_start(struct input *, struct ev_loop *,
		     const struct input_callbacks *, void *arg);
void		 input_resume(struct input *);

/*
 * The same for bytes that arrive some other way (a query over the control
 * socket): name labels them in error messages.  input_push() frames as
 * much as the consumer has room for and returns how much it took (the rest
 * is pushed again once the room callback has said so), or (size_t)-1 when
 * memory runs out; input_push_end() ends the input.
 */
struct input	*input_open_push(const char *name,
		     const struct reader_limits *);
void		 input_start_push(struct input *, struct ev_loop *,
		     const struct input_callbacks *, void *arg);
size_t		 input_push(struct input *, const char *bytes, size_t length);
void		 input_push_end(struct input *);

#endif
