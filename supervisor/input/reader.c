/*
 * A push parser: bytes go in as they arrive (any split, down to one byte at
 * a time), records come out as soon as they are complete.  It validates the
 * whole JSON grammar (RFC 8259, UTF-8 included) but only keeps the compact
 * text of the record being assembled; a List's items are records of their
 * own, so the List itself is never held in memory.
 *
 * Roles by depth (depth = number of open containers):
 *   depth 0      a top-level value: a record (Pod, watch event, bare
 *                metadata), or a List
 *   depth 1      members of a top-level object; "items": [ makes it a List
 *   depth 2      in a List's items array: each value is a record
 *   in a record  each object's role (its metadata, a watch event's object)
 *                is kept on the stack: reader_record.c
 *
 * A syntax error emits the invalid record of the value it is in and hands
 * the rest of that value to the resynchronising scanner (reader_resync.c),
 * which gives control back at a point where parsing can go on.  The byte
 * that revealed the error is not consumed: the scanner looks at it again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ipc/buffer.h"
#include "../json.h"
#include "../log.h"
#include "reader.h"
#include "reader_state.h"

struct reader *
reader_new(const struct reader_limits *limits, const char *source)
{
	struct reader *r = xcalloc(1, sizeof(*r));

	r->limits = *limits;
	r->source = xstrdup(source);
	r->stack = xcalloc(limits->max_depth + 1, sizeof(*r->stack));
	r->stack[0].expect = EXPECT_VALUE;
	r->line = 1;
	r->at_line_start = true;
	r->scalar_slot = -1;
	return r;
}

void
reader_free(struct reader *r)
{
	if (r == NULL)
		return;
	buffer_free(&r->capture);
	buffer_free(&r->identity);
	free(r->stack);
	free(r->source);
	free(r);
}

static void
reset_structure(struct reader *r)
{
	r->depth = 0;
	r->stack[0].expect = EXPECT_VALUE;
	r->lexer = LEX_NONE;
	r->escape = r->utf8_need = 0;
	r->in_record = r->capturing = false;
	r->list = r->in_items = r->poisoned = r->top_object = false;
	r->scalar_slot = -1;
}

const char *
reader_describe_byte(unsigned char c, char *buffer, size_t size)
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buffer, size, "'%c'", c);
	else
		snprintf(buffer, size, "byte 0x%02x", c);
	return buffer;
}

/*
 * A syntax error at the byte at r->offset, which is left unconsumed.  One
 * invalid record for the value it is in: the List item being read, else
 * the top-level value (once: a value whose record is out stays quiet),
 * else the bytes between values.  Then the scanner takes over.
 */
void
reader_syntax_error(struct reader *r, const char *format, ...)
{
	char message[256];
	va_list ap;
	bool item = r->in_record && r->record_depth > 1;
	bool top = !item && (r->in_record || r->depth > 0);

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	if (!top || !r->poisoned)
		reader_emit_invalid(r, item ? r->record_line : top ?
		    r->top_line : r->line, "%s: line %llu, column %llu (byte "
		    "offset %llu): %s", r->source, (unsigned long long)r->line,
		    (unsigned long long)(r->offset - r->line_start + 1),
		    (unsigned long long)r->offset, message);
	if (top)
		r->poisoned = true;
	r->in_record = false;
	reader_resync_start(r, r->lexer == LEX_STRING);
}

/* The top-level value has ended (or been given up): its record, if it is
 * one and whole. */
void
reader_top_end(struct reader *r)
{
	bool emit = r->in_record && r->record_depth == 1;

	r->list = r->in_items = r->poisoned = r->top_object = false;
	if (emit)
		reader_emit_record(r);
}

/* A value that starts with byte c inside the container at r->depth:
 * returns the role of the object it opens in the record, if any. */
static unsigned char
value_begin(struct reader *r, unsigned char c)
{
	unsigned d = r->depth;

	r->scalar_slot = -1;
	if (d == 0) {
		r->top_object = c == '{';
		r->poisoned = r->list = r->in_items = r->item_layout = false;
		r->top_line = r->line;
		r->top_column = r->offset - r->line_start + 1;
		return reader_record_begin(r, c);
	}
	if (d == 2 && r->in_items)
		return reader_record_begin(r, c);
	if (d == 1 && r->top_object && r->stack[1].key == KEY_ITEMS &&
	    c == '[') {
		/* A List: checked before the other forms, so its own metadata
		 * never counts; the object itself is not a record.  Every
		 * "items" array is read: none may vanish unread. */
		r->list = r->in_items = true;
		r->in_record = r->capturing = false;
		buffer_clear(&r->capture);
		return ROLE_NONE;
	}
	/* Most values are deep inside a record, where no role is kept. */
	if (!r->in_record || r->not_object != NULL ||
	    r->stack[d].role == ROLE_NONE)
		return ROLE_NONE;
	return reader_role_begin(r, c);
}

/* A value has just ended inside the container at r->depth. */
void
reader_value_end(struct reader *r)
{
	unsigned d = r->depth;

	r->stack[d].expect = d == 0 ? EXPECT_VALUE : EXPECT_COMMA_OR_END;
	if (r->scalar_slot >= 0) {
		struct span *span = &r->spans[r->scalar_slot];

		span->start = r->scalar_start;
		span->end = buffer_length(&r->capture);
		span->set = true;
		r->scalar_slot = -1;
	}
	if (d == 0)
		reader_top_end(r);
	else if (d == 2 && r->in_items && r->in_record)
		reader_emit_record(r);
}

static void
container_open(struct reader *r, unsigned char c)
{
	unsigned char role = value_begin(r, c);
	struct level *level;

	reader_role_open(r, role);
	reader_capture_byte(r, (char)c);
	level = &r->stack[++r->depth];
	level->object = c == '{';
	level->expect = c == '{' ? EXPECT_KEY_OR_END : EXPECT_VALUE_OR_END;
	level->key = KEY_OTHER;
	level->role = role;
	level->leading = r->at_line_start;
	level->continued = level->flat = false;
	level->indent = r->line_indent;
	level->line = r->line;
	if (r->depth == 1 || (r->depth == 3 && r->in_items))
		r->watch_line = r->line;
}

/*
 * Whether the lines of the value opened at level were laid out for the
 * scanner to trust: its bracket began its line, and either more followed
 * on that line (JSON Lines) or no line inside it began no deeper (indented
 * JSON).
 */
bool
reader_laid_out(const struct level *level)
{
	return level->leading && (level->continued || !level->flat);
}

static void
container_close(struct reader *r, unsigned char c)
{
	const struct level *closing = &r->stack[r->depth];
	unsigned char role = closing->role;

	if (r->depth == 1 && reader_laid_out(closing)) {
		r->top_layout = true;
		r->top_indent = closing->indent;
	} else if (r->depth == 3 && r->in_items && reader_laid_out(closing)) {
		r->item_layout = true;
		r->item_indent = closing->indent;
	}
	reader_capture_byte(r, (char)c);
	r->depth--;
	if (r->in_record)
		reader_role_close(r, role);
	if (r->in_items && r->depth == 1)
		r->in_items = false;
	reader_value_end(r);
}

static void
value_start(struct reader *r, unsigned char c)
{
	char what[16];

	switch (c) {
	case '{':
	case '[':
		if (r->depth >= r->limits.max_depth) {
			reader_syntax_error(r, "values nested deeper than %u "
			    "levels are not accepted", r->limits.max_depth);
			return;
		}
		container_open(r, c);
		return;
	case '"':
		value_begin(r, c);
		reader_string_open(r, false);
		return;
	case 't':
	case 'f':
	case 'n':
		value_begin(r, c);
		reader_capture_byte(r, (char)c);
		r->lexer = LEX_LITERAL;
		r->literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
		r->literal_at = 1;
		return;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		value_begin(r, c);
		reader_capture_byte(r, (char)c);
		r->lexer = LEX_NUMBER;
		r->number = c == '-' ? NUM_SIGN : c == '0' ? NUM_ZERO : NUM_INT;
		return;
	}
	reader_syntax_error(r, "expected a JSON value, found %s",
	    reader_describe_byte(c, what, sizeof(what)));
}

/* One byte between tokens. */
static void
lex_structure(struct reader *r, unsigned char c)
{
	struct level *level = &r->stack[r->depth];
	char what[16];

	switch (level->expect) {
	case EXPECT_VALUE_OR_END:
		if (c == ']') {
			container_close(r, c);
			return;
		}
		/* FALLTHROUGH */
	case EXPECT_VALUE:
		if (c == 0xef && r->offset == 0) {
			r->lexer = LEX_BOM;
			r->bom_at = 1;
			return;
		}
		value_start(r, c);
		return;
	case EXPECT_KEY_OR_END:
		if (c == '}') {
			container_close(r, c);
			return;
		}
		/* FALLTHROUGH */
	case EXPECT_KEY:
		if (c == '"')
			reader_string_open(r, true);
		else
			reader_syntax_error(r, "expected a string key, found "
			    "%s", reader_describe_byte(c, what, sizeof(what)));
		return;
	case EXPECT_COLON:
		if (c == ':') {
			reader_capture_byte(r, ':');
			level->expect = EXPECT_VALUE;
		} else
			reader_syntax_error(r, "expected ':' after an object "
			    "key, found %s", reader_describe_byte(c, what,
			    sizeof(what)));
		return;
	case EXPECT_COMMA_OR_END:
		if (c == ',') {
			reader_capture_byte(r, ',');
			level->expect = level->object ? EXPECT_KEY :
			    EXPECT_VALUE;
		} else if (c == (level->object ? '}' : ']'))
			container_close(r, c);
		else
			reader_syntax_error(r, "expected ',' or '%c', found %s",
			    level->object ? '}' : ']',
			    reader_describe_byte(c, what, sizeof(what)));
		return;
	}
}

/*
 * The layout of the top-level value and of a List item, for the scanner
 * (reader_resync.c), from the bytes that parse: byte c is accepted at
 * depth d.  More on the line that opened one makes it "continued" (JSON
 * Lines); a line inside it that starts no deeper than that line, and not
 * with a closer or comma, makes it "flat" (JSON printed without
 * indentation).
 */
static void
note_layout(struct reader *r, unsigned char c, unsigned d, bool leading)
{
	static const unsigned levels[] = { 1, 3 };

	for (size_t i = 0; i < 2; i++) {
		struct level *level = &r->stack[levels[i]];

		if (d < levels[i] || (levels[i] == 3 && !r->in_items))
			break;
		if (level->line == r->line)
			level->continued = true;
		else if (leading && c != '}' && c != ']' && c != ',' &&
		    r->line_indent <= level->indent)
			level->flat = true;
	}
	/* Nothing more to learn on this line, unless c opened a value. */
	if (r->depth <= d)
		r->watch_line = 0;
}

size_t
reader_feed(struct reader *r, const char *data, size_t length,
    struct record *record, bool *ready)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0;

	r->out = record;
	r->ready = ready;
	*ready = false;
	while (i < length && !*ready) {
		unsigned char c = p[i];

		switch (r->lexer) {
		case LEX_RESYNC:
			i += reader_resync(r, p + i, length - i);
			continue;
		case LEX_STRING:
			i += reader_lex_string(r, p + i, length - i);
			continue;
		case LEX_NUMBER: {
			size_t run = reader_lex_digits(r, p + i, length - i);

			if (run > 0) {
				i += run;
				continue;
			}
			if (!reader_lex_number(r, c))
				continue;	/* c ends the number: again */
			break;
		}
		case LEX_LITERAL: {
			/* As much of it as the data holds, at once (a
			 * letter is never a line end). */
			const char *rest = r->literal + r->literal_at;
			size_t run = 0;

			while (i + run < length && rest[run] != '\0' &&
			    p[i + run] == (unsigned char)rest[run])
				run++;
			if (run == 0) {
				reader_syntax_error(r, "invalid literal "
				    "(expected %s)", r->literal);
				continue;
			}
			reader_capture(r, p + i, run);
			r->offset += run;
			r->literal_at += (unsigned)run;
			i += run;
			if (rest[run] == '\0') {
				r->lexer = LEX_NONE;
				reader_value_end(r);
			}
			continue;
		}
		case LEX_BOM:
			if (c != (r->bom_at == 1 ? 0xbb : 0xbf)) {
				reader_syntax_error(r, "invalid byte order "
				    "mark");
				continue;
			}
			if (++r->bom_at == 3)
				r->lexer = LEX_NONE;
			break;
		case LEX_NONE:
			if (c == ' ' || c == '\t') {
				/* Indentation comes in runs. */
				size_t run = 1;

				while (i + run < length && (p[i + run] == ' ' ||
				    p[i + run] == '\t'))
					run++;
				r->offset += run;
				r->after_cr = false;
				if (r->at_line_start)
					r->line_indent = run > UINT32_MAX -
					    r->line_indent ? UINT32_MAX :
					    r->line_indent + (uint32_t)run;
				i += run;
				continue;
			}
			if (c == '\n' || c == '\r')
				break;
			{
				unsigned d = r->depth;
				bool leading = r->at_line_start;

				lex_structure(r, c);
				if (r->lexer == LEX_RESYNC)
					continue;
				if (d > 0 && (leading || r->line ==
				    r->watch_line))
					note_layout(r, c, d, leading);
			}
			break;
		}
		reader_advance(r, c);
		i++;
	}
	if (r->out_of_memory)
		return (size_t)-1;
	return i;
}

bool
reader_finish(struct reader *r, struct record *record)
{
	bool ready = false;

	r->out = record;
	r->ready = &ready;
	if (r->lexer == LEX_NUMBER && r->depth == 0 &&
	    (r->number == NUM_ZERO || r->number == NUM_INT ||
	    r->number == NUM_FRAC || r->number == NUM_EXP_DIGITS)) {
		r->lexer = LEX_NONE;
		reader_value_end(r);
	} else if (r->lexer == LEX_RESYNC ||
	    (r->lexer == LEX_NONE && r->depth == 0))
		;	/* nothing unfinished, or its error is out */
	else if (r->in_record || (r->list && !r->poisoned)) {
		uint64_t line = r->in_record ? r->record_line : r->top_line;

		reader_emit_invalid(r, line, "%s: line %llu (byte offset "
		    "%llu): the input ends inside the value that starts at "
		    "line %llu, column %llu", r->source,
		    (unsigned long long)r->line, (unsigned long long)r->offset,
		    (unsigned long long)line,
		    (unsigned long long)(r->in_record ? r->record_column :
		    r->top_column));
	} else if (!r->poisoned)
		reader_emit_invalid(r, r->line, "%s: line %llu (byte offset "
		    "%llu): the input ends inside a value", r->source,
		    (unsigned long long)r->line,
		    (unsigned long long)r->offset);
	reset_structure(r);
	/* Nothing may point at this frame once it returns. */
	r->out = NULL;
	r->ready = NULL;
	return ready;
}
