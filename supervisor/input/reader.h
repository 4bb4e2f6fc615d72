/*
 * The record reader: input framing for the resolve contract (docs/contract.md).
 *
 * Input is a stream of JSON values separated by white space (JSON Lines,
 * pretty-printed JSON, or both).  Each top-level value is, checked in this
 * order:
 *   - a List (an object with an "items" array): one record per item,
 *     streamed as the items arrive; every "items" array of the List counts;
 *   - a watch event (an object with a string member "type" and an object
 *     member "object", in either order, as `kubectl get -w -o json
 *     --output-watch-events` and the API's watch endpoint print):
 *     ADDED, MODIFIED and DELETED give one record for "object", read as a
 *     Pod below, with record.event set; BOOKMARK gives no record; ERROR
 *     gives an invalid record quoting the Status object's code, reason and
 *     message; any other type an invalid record naming it;
 *   - a Pod (an object with a "metadata" object): its metadata is the
 *     record;
 *   - any other object: bare metadata, the record itself;
 *   - anything else: an invalid record.
 * The metadata is handed on as compact JSON text (no insignificant white
 * space, keys in input order).  A List's items are read as Pods or bare
 * metadata, never as Lists or events.
 *
 * A syntax error gives exactly one invalid record, for the value it is in
 * (a List's item, else the top-level value; an error between values is
 * its own), naming the source, line, column and byte offset.  Reading then
 * resumes at the next top-level value, or inside a List at its next item;
 * a nested object never becomes a record.  Resynchronisation is described
 * in reader_resync.c.  Lines end at LF, CR or CRLF.
 *
 * Memory is bounded by the largest record (max_record bytes of compact
 * text) and max_depth nesting levels, never by the length of the input or
 * of what is skipped after an error.  Any cutting of the input into chunks
 * gives the same records.
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
	/* A watch event's type, decoded ("ADDED", "ERROR", ...); "" when
	 * the value is not a watch event. */
	const char	*event;
	size_t		 event_length;
	const char	*error;		/* invalid: why, with line and offset */
	uint64_t	 line;		/* where the value starts, 1-based */
};

struct reader;

/* source names the input in error messages ("stdin", a file name). */
struct reader	*reader_new(const struct reader_limits *, const char *source);
void		 reader_free(struct reader *);

/*
 * Parses data until a record is complete or the data is used up.  Returns
 * the number of bytes consumed (possibly 0 when a record is ready); *ready
 * says whether *record was filled.  The record's pointers stay valid until
 * the next call.  Returns (size_t)-1 when memory runs out.
 */
size_t		 reader_feed(struct reader *, const char *data, size_t length,
		     struct record *record, bool *ready);

/* End of input: fills *record and returns true when an unfinished value
 * makes one last record. */
bool		 reader_finish(struct reader *, struct record *record);

#endif
