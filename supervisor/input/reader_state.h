/*
 * The reader's state, shared by its files: reader.c (structure, feeding),
 * reader_record.c (record roles, emission, watch events), reader_tokens.c
 * (strings, numbers) and reader_resync.c (recovery after a syntax error).
 * Not for use outside the reader.
 */
#ifndef LUAWARD_SUPERVISOR_READER_STATE_H
#define LUAWARD_SUPERVISOR_READER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../ipc/buffer.h"
#include "reader.h"

enum lexer {
	LEX_NONE,		/* between tokens */
	LEX_STRING,
	LEX_NUMBER,
	LEX_LITERAL,		/* true, false, null */
	LEX_RESYNC,		/* after a syntax error: reader_resync.c */
	LEX_BOM,		/* a UTF-8 byte order mark at the start */
};

enum expect {
	EXPECT_VALUE,
	EXPECT_VALUE_OR_END,	/* just after '[' */
	EXPECT_KEY_OR_END,	/* just after '{' */
	EXPECT_KEY,		/* after ',' in an object */
	EXPECT_COLON,
	EXPECT_COMMA_OR_END,
};

enum number_state {
	NUM_SIGN, NUM_ZERO, NUM_INT, NUM_DOT, NUM_FRAC, NUM_EXP, NUM_EXP_SIGN,
	NUM_EXP_DIGITS,
};

/* The object keys the reader cares about; KEY_UID..KEY_NAME in the order
 * of enum field. */
enum key {
	KEY_OTHER, KEY_ITEMS, KEY_METADATA, KEY_UID, KEY_NAMESPACE, KEY_NAME,
	KEY_TYPE, KEY_OBJECT, KEY_CODE, KEY_REASON, KEY_MESSAGE,
};

/* What an object inside the record being assembled is to it. */
enum role {
	ROLE_NONE,
	ROLE_RECORD,		/* the record's own object */
	ROLE_METADATA,		/* its "metadata" object (a Pod) */
	ROLE_OBJECT,		/* a watch event's "object" */
	ROLE_OBJECT_METADATA,	/* that object's "metadata" */
	ROLE_COUNT
};

enum field { FIELD_UID, FIELD_NAMESPACE, FIELD_NAME, FIELD_COUNT };

/* Where the parts of a record are in its captured text. */
enum slot {
	/* uid, namespace and name of each role from ROLE_RECORD on */
	SLOT_FIELDS = 0,
	/* the objects of ROLE_METADATA, ROLE_OBJECT, ROLE_OBJECT_METADATA */
	SLOT_CONTAINERS = SLOT_FIELDS + (ROLE_COUNT - 1) * FIELD_COUNT,
	/* a watch event's type, and its Status object's members */
	SLOT_TYPE = SLOT_CONTAINERS + ROLE_COUNT - 2,
	SLOT_CODE, SLOT_REASON, SLOT_MESSAGE,
	SLOT_COUNT
};

static inline int
slot_field(unsigned role, unsigned field)
{
	return SLOT_FIELDS + (int)((role - ROLE_RECORD) * FIELD_COUNT + field);
}

static inline int
slot_container(unsigned role)
{
	return SLOT_CONTAINERS + (int)(role - ROLE_METADATA);
}

struct level {
	bool		 object;
	unsigned char	 expect;
	unsigned char	 key;		/* the member being read */
	unsigned char	 role;		/* enum role */
	/*
	 * The layout around its opening bracket, for resynchronisation:
	 * whether the bracket began its line, whether more followed it on
	 * that line, whether a later line inside it began no deeper, that
	 * line's indentation and number.
	 */
	bool		 leading, continued, flat;
	uint32_t	 indent;
	uint64_t	 line;
};

struct span {
	size_t		 start, end;	/* in capture, quotes included */
	bool		 set;
};

struct reader {
	struct reader_limits limits;
	char		*source;
	struct level	*stack;		/* stack[0] is the top level */
	unsigned	 depth;

	enum lexer	 lexer;
	/* inside a string */
	bool		 string_is_key;
	unsigned char	 escape;	/* 1 after '\', 2..5 in \uXXXX */
	unsigned char	 utf8_need, utf8_low, utf8_high;
	uint32_t	 hex;
	char		 key[16];
	size_t		 key_length;
	bool		 key_long;
	/* a scalar whose span is kept (enum slot, or -1) */
	int		 scalar_slot;
	size_t		 scalar_start;
	/* inside a number or literal */
	enum number_state number;
	const char	*literal;
	unsigned	 literal_at;
	unsigned	 bom_at;

	/* where the input is: line, column and the line's layout */
	uint64_t	 offset, line, line_start;
	bool		 after_cr;	/* the last byte was a CR */
	bool		 at_line_start;	/* only blanks on this line so far */
	uint32_t	 line_indent;	/* blanks at the start of this line */
	uint64_t	 watch_line;	/* a value opened on it may continue */

	/* the top-level value */
	bool		 top_object;	/* it is an object */
	bool		 poisoned;	/* its invalid record is out */
	uint64_t	 top_line, top_column;
	bool		 list, in_items;
	/* The layout of the last top-level value and List item whose lines
	 * were laid out for the scanner to trust (see note_layout). */
	bool		 top_layout, item_layout;
	uint32_t	 top_indent, item_indent;

	/* the record being assembled: the top-level value, or an item */
	bool		 in_record;
	uint64_t	 record_line, record_column, record_offset;
	unsigned	 record_depth;	/* depth of the record's members */
	const char	*not_object;	/* what the record value is instead */
	struct buffer	 capture;
	bool		 capturing, overflow, out_of_memory;
	struct span	 spans[SLOT_COUNT];

	/* resynchronisation (reader_resync.c) */
	uint64_t	 skip_depth;	/* open containers, even too deep */
	bool		 skip_string, skip_escape;
	bool		 skip_exact;	/* skip_depth is known, not guessed */
	bool		 skip_key, skip_key_ready;
	bool		 skip_colon, skip_after_colon;	/* in a List's items */

	/* the record handed out */
	struct record	*out;
	bool		*ready;
	struct buffer	 identity;
	char		 error[512];
};

/*
 * Called for every byte of the input by all the files: inline, and the
 * common case (the capture has room) is a copy and nothing else.
 */
static inline void
reader_capture(struct reader *r, const void *bytes, size_t length)
{
	struct buffer *b = &r->capture;

	if (!r->capturing || r->overflow)
		return;
	if (length > r->limits.max_record - buffer_length(b)) {
		r->overflow = true;
		return;
	}
	if (b->data != NULL && length <= b->capacity - b->end) {
		memcpy(b->data + b->end, bytes, length);
		b->end += length;
	} else if (buffer_append(b, bytes, length) == -1)
		r->out_of_memory = true;
}

static inline void
reader_capture_byte(struct reader *r, char c)
{
	struct buffer *b = &r->capture;

	if (!r->capturing || r->overflow)
		return;
	if (buffer_length(b) >= r->limits.max_record) {
		r->overflow = true;
		return;
	}
	if (b->end < b->capacity)
		b->data[b->end++] = c;
	else if (buffer_append(b, &c, 1) == -1)
		r->out_of_memory = true;
}

/* A string starts (its opening quote). */
static inline void
reader_string_open(struct reader *r, bool is_key)
{
	r->lexer = LEX_STRING;
	r->string_is_key = is_key;
	r->escape = r->utf8_need = 0;
	r->key_length = 0;
	r->key_long = false;
	reader_capture_byte(r, '"');
}

/* Past byte c: the offset, and line ends (LF, CR, or CRLF counted once)
 * with the new line's indentation. */
static inline void
reader_advance(struct reader *r, unsigned char c)
{
	r->offset++;
	if (c <= '\r' && (c == '\n' || c == '\r')) {
		if (c == '\r' || !r->after_cr)
			r->line++;
		r->line_start = r->offset;
		r->after_cr = c == '\r';
		r->at_line_start = true;
		r->line_indent = 0;
	} else if (r->at_line_start) {
		/* (A CR is always followed by a line start.) */
		r->after_cr = false;
		if (c != ' ' && c != '\t')
			r->at_line_start = false;
		else if (r->line_indent < UINT32_MAX)
			r->line_indent++;
	}
}

/* reader.c */
void	 reader_syntax_error(struct reader *, const char *, ...)
	     __attribute__((format(printf, 2, 3)));
void	 reader_value_end(struct reader *);
void	 reader_top_end(struct reader *);
bool	 reader_laid_out(const struct level *);
const char *reader_describe_byte(unsigned char, char *, size_t);

/* reader_record.c */
unsigned char reader_record_begin(struct reader *, unsigned char);
unsigned char reader_role_begin(struct reader *, unsigned char);
void	 reader_role_open(struct reader *, unsigned char role);
void	 reader_role_close(struct reader *, unsigned char role);
void	 reader_emit_record(struct reader *);
void	 reader_emit_invalid(struct reader *, uint64_t line, const char *, ...)
	     __attribute__((format(printf, 3, 4)));

/* reader_tokens.c */
size_t	 reader_lex_string(struct reader *, const unsigned char *, size_t);
bool	 reader_lex_number(struct reader *, unsigned char);
size_t	 reader_lex_digits(struct reader *, const unsigned char *, size_t);
enum key reader_key_lookup(const char *, size_t, bool);

/* reader_resync.c */
void	 reader_resync_start(struct reader *, bool in_string);
size_t	 reader_resync(struct reader *, const unsigned char *, size_t);

#endif
