/*
 * The record reader: input framing for the resolve contract (DESIGN.md).
 *
 * Input is a stream of JSON values separated by whitespace.  A List (an
 * object with an "items" array) yields one record per item, streamed as the
 * items arrive; a Pod (an object with a "metadata" object) yields its
 * metadata; any other object is bare metadata; anything else is an invalid
 * record.  The metadata is handed on as compact JSON text (no insignificant
 * white space, keys in input order).  After a syntax error the reader emits
 * an invalid record and resynchronises at the next line.
 *
 * Memory is bounded by the largest record (max_record bytes of compact text)
 * and max_depth nesting levels, never by the length of the input.
 */
#ifndef LUAWARD_SUPERVISOR_READER_H
#define LUAWARD_SUPERVISOR_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define READER_DEFAULT_MAX_RECORD	(2u << 20)
#define READER_DEFAULT_MAX_DEPTH	128

struct reader_limits {
	size_t		 max_record;
	unsigned	 max_depth;
};

struct record {
	bool		 invalid;
	const char	*metadata;	/* compact JSON of the metadata object */
	size_t		 metadata_length;
	/* Decoded identity fields ("" when missing or not strings). */
	const char	*uid, *namespace, *name;
	size_t		 uid_length, namespace_length, name_length;
	const char	*error;		/* invalid: why, with line and offset */
	uint64_t	 line;		/* where the value starts, 1-based */
};

struct reader;

/* source names the input in error messages ("stdin", a file name). */
struct reader	*reader_new(const struct reader_limits *, const char *source);
void		 reader_free(struct reader *);

/*
 * Parses data until a record is complete or the data is used up.  Returns
 * the number of bytes consumed; *ready says whether *record was filled.  The
 * record's pointers stay valid until the next call.  Returns (size_t)-1 when
 * memory runs out.
 */
size_t		 reader_feed(struct reader *, const char *data, size_t length,
		     struct record *record, bool *ready);

/* End of input: fills *record and returns true when an unfinished value
 * makes one last record. */
bool		 reader_finish(struct reader *, struct record *record);

#endif
