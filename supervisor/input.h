/*
 * The input side of a resolve run: files named on the command line (or
 * stdin), read in order, framed into records by the reader.  Reading stops
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

#endif
