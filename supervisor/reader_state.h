/*
 * The reader's state, shared by its two files: reader.c (structure, record
 * roles, emission) and reader_tokens.c (strings, numbers).  Not for use
 * outside the reader.
 */
#ifndef LUAWARD_SUPERVISOR_READER_STATE_H
#define LUAWARD_SUPERVISOR_READER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ipc/buffer.h"
#include "reader.h"

enum lexer {
	LEX_NONE,		/* between tokens */
	LEX_STRING,
	LEX_NUMBER,
	LEX_LITERAL,		/* true, false, null */
	LEX_SKIP_LINE,		/* after an error, up to the next newline */
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

enum key {
	KEY_OTHER, KEY_ITEMS, KEY_METADATA, KEY_UID, KEY_NAMESPACE, KEY_NAME,
};

enum field { FIELD_UID, FIELD_NAMESPACE, FIELD_NAME, FIELD_COUNT };
enum { LEVEL_RECORD, LEVEL_METADATA };

struct level {
	bool		 object;
	unsigned char	 expect;
	unsigned char	 key;		/* the member being read */
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
	size_t		 string_start;
	int		 string_field, string_level;
	/* inside a number or literal */
	enum number_state number;
	const char	*literal;
	unsigned	 literal_at;
	unsigned	 bom_at;

	uint64_t	 offset, line, line_start;

	/* the record being assembled */
	bool		 in_record;
	uint64_t	 record_line, record_column, record_offset;
	unsigned	 record_depth;
	const char	*not_object;	/* what the record value is instead */
	struct buffer	 capture;
	bool		 capturing, overflow, out_of_memory;
	bool		 list, in_items, items_done;
	uint64_t	 list_line, list_column;	/* where the List starts */
	bool		 metadata_open, have_metadata;
	struct span	 metadata;
	struct span	 fields[2][FIELD_COUNT];

	/* the record handed out */
	struct record	*out;
	bool		*ready;
	struct buffer	 identity;
	char		 error[512];
};


/* Called for every byte of the input by both files: inline. */
static inline void
reader_capture(struct reader *r, const void *bytes, size_t length)
{
	if (!r->capturing || r->overflow)
		return;
	if (length > r->limits.max_record - buffer_length(&r->capture)) {
		r->overflow = true;
		return;
	}
	if (buffer_append(&r->capture, bytes, length) == -1)
		r->out_of_memory = true;
}

static inline void
reader_capture_byte(struct reader *r, char c)
{
	reader_capture(r, &c, 1);
}

static inline void
reader_advance(struct reader *r, unsigned char c)
{
	r->offset++;
	if (c == '\n') {
		r->line++;
		r->line_start = r->offset;
	}
}

/* reader.c */
void	 reader_syntax_error(struct reader *, unsigned char, const char *, ...)
	     __attribute__((format(printf, 3, 4)));
void	 reader_value_end(struct reader *);
const char *reader_describe_byte(unsigned char, char *, size_t);

/* reader_tokens.c */
void	 reader_string_open(struct reader *, bool is_key);
size_t	 reader_lex_string(struct reader *, const unsigned char *, size_t);
bool	 reader_lex_number(struct reader *, unsigned char);

#endif
