/*
 * A push parser: bytes go in as they arrive (any split, down to one byte at
 * a time), records come out as soon as they are complete.  It validates the
 * whole JSON grammar (RFC 8259, UTF-8 included) but only keeps the compact
 * text of the record being assembled; a List's items are records of their
 * own, so the List itself is never held in memory.
 *
 * Roles by depth (depth = number of open containers):
 *   depth 0      a top-level value: a record, or a List
 *   depth 1      members of a top-level object; "items": [ makes it a List
 *   depth 2      in a List's items array: each value is a record
 *   record+0/1   members of the record object and of its "metadata" object,
 *                watched for metadata, uid, namespace and name
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/buffer.h"
#include "json.h"
#include "log.h"
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
	r->string_field = -1;
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
	r->list = r->in_items = r->items_done = false;
	r->metadata_open = false;
	r->string_field = -1;
}

static void
emit_invalid(struct reader *r, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void
emit_invalid(struct reader *r, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(r->error, sizeof(r->error), format, ap);
	va_end(ap);
	memset(r->out, 0, sizeof(*r->out));
	r->out->invalid = true;
	r->out->error = r->error;
	r->out->uid = r->out->namespace = r->out->name = "";
	r->out->metadata = "";
	r->out->line = r->in_record ? r->record_line : r->line;
	*r->ready = true;
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

/* A syntax error at byte c: one invalid record, then skip to the next line
 * (unless c is the newline itself). */
void
reader_syntax_error(struct reader *r, unsigned char c, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

void
reader_syntax_error(struct reader *r, unsigned char c, const char *format, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	emit_invalid(r, "%s: line %llu, column %llu (byte offset %llu): %s",
	    r->source, (unsigned long long)r->line,
	    (unsigned long long)(r->offset - r->line_start + 1),
	    (unsigned long long)r->offset, message);
	reset_structure(r);
	r->lexer = c == '\n' ? LEX_NONE : LEX_SKIP_LINE;
}

static void
emit_record(struct reader *r)
{
	struct record *out = r->out;
	const struct span *fields;
	size_t offsets[FIELD_COUNT], lengths[FIELD_COUNT];
	const char *base;

	if (r->not_object != NULL) {
		emit_invalid(r, "%s: line %llu, column %llu (byte offset %llu): "
		    "the value is %s, not an object", r->source,
		    (unsigned long long)r->record_line,
		    (unsigned long long)r->record_column,
		    (unsigned long long)r->record_offset, r->not_object);
		goto done;
	}
	if (r->overflow) {
		emit_invalid(r, "%s: line %llu, column %llu (byte offset %llu): "
		    "the record is larger than the limit of %zu bytes",
		    r->source, (unsigned long long)r->record_line,
		    (unsigned long long)r->record_column,
		    (unsigned long long)r->record_offset,
		    r->limits.max_record);
		goto done;
	}
	memset(out, 0, sizeof(*out));
	base = buffer_bytes(&r->capture);
	if (r->have_metadata) {
		out->metadata = base + r->metadata.start;
		out->metadata_length = r->metadata.end - r->metadata.start;
		fields = r->fields[LEVEL_METADATA];
	} else {
		out->metadata = base;
		out->metadata_length = buffer_length(&r->capture);
		fields = r->fields[LEVEL_RECORD];
	}
	buffer_clear(&r->identity);
	for (int f = 0; f < FIELD_COUNT; f++) {
		offsets[f] = buffer_length(&r->identity);
		if (fields[f].set && json_append_unescaped(&r->identity,
		    base + fields[f].start + 1,
		    fields[f].end - fields[f].start - 2) == -1)
			r->out_of_memory = true;
		lengths[f] = buffer_length(&r->identity) - offsets[f];
		if (buffer_append(&r->identity, "", 1) == -1)
			r->out_of_memory = true;
	}
	if (r->out_of_memory)
		return;
	out->uid = r->identity.data + offsets[FIELD_UID];
	out->uid_length = lengths[FIELD_UID];
	out->namespace = r->identity.data + offsets[FIELD_NAMESPACE];
	out->namespace_length = lengths[FIELD_NAMESPACE];
	out->name = r->identity.data + offsets[FIELD_NAME];
	out->name_length = lengths[FIELD_NAME];
	out->line = r->record_line;
	*r->ready = true;
done:
	r->in_record = false;
	r->capturing = false;
}

/* A value that starts with byte c inside the container at r->depth. */
static void
value_begin(struct reader *r, unsigned char c)
{
	unsigned d = r->depth;

	r->string_field = -1;
	if (d == 0 || (r->in_items && d == 2)) {
		r->in_record = true;
		r->record_line = r->line;
		r->record_column = r->offset - r->line_start + 1;
		r->record_offset = r->offset;
		r->record_depth = d + 1;
		buffer_clear(&r->capture);
		r->overflow = false;
		r->metadata_open = r->have_metadata = false;
		memset(r->fields, 0, sizeof(r->fields));
		r->capturing = c == '{';
		r->not_object = c == '{' ? NULL : c == '[' ? "an array" :
		    c == '"' ? "a string" : c == 't' || c == 'f' ? "a boolean" :
		    c == 'n' ? "null" : "a number";
		return;
	}
	if (!r->in_record || r->not_object != NULL)
		return;
	if (d == r->record_depth) {
		switch (r->stack[d].key) {
		case KEY_METADATA:
			if (c == '{') {
				r->metadata_open = true;
				r->metadata.start = buffer_length(&r->capture);
				memset(r->fields[LEVEL_METADATA], 0,
				    sizeof(r->fields[LEVEL_METADATA]));
			} else
				r->have_metadata = false;
			break;
		case KEY_ITEMS:
			/* A List: checked before Pod, so its own metadata
			 * never counts; the object itself is not a record. */
			if (d == 1 && c == '[' && !r->items_done) {
				/* Its items will overwrite record_line. */
				r->list_line = r->record_line;
				r->list_column = r->record_column;
				r->list = r->in_items = true;
				r->in_record = r->capturing = false;
				buffer_clear(&r->capture);
			}
			break;
		case KEY_UID: case KEY_NAMESPACE: case KEY_NAME:
			if (c == '"') {
				r->string_field = r->stack[d].key - KEY_UID;
				r->string_level = LEVEL_RECORD;
			}
			break;
		}
	} else if (r->metadata_open && d == r->record_depth + 1 &&
	    r->stack[d].key >= KEY_UID && c == '"') {
		r->string_field = r->stack[d].key - KEY_UID;
		r->string_level = LEVEL_METADATA;
	}
}

/* A value has just ended inside the container at r->depth. */
void
reader_value_end(struct reader *r)
{
	unsigned d = r->depth;

	r->stack[d].expect = d == 0 ? EXPECT_VALUE : EXPECT_COMMA_OR_END;
	if (d == 0 && r->list) {
		r->list = r->in_items = r->items_done = false;
		return;
	}
	if (d == 0 || (r->in_items && d == 2))
		emit_record(r);
}

static void
container_open(struct reader *r, unsigned char c)
{
	struct level *level;

	value_begin(r, c);
	reader_capture_byte(r, (char)c);
	level = &r->stack[++r->depth];
	level->object = c == '{';
	level->expect = c == '{' ? EXPECT_KEY_OR_END : EXPECT_VALUE_OR_END;
	level->key = KEY_OTHER;
}

static void
container_close(struct reader *r, unsigned char c)
{
	reader_capture_byte(r, (char)c);
	r->depth--;
	if (r->metadata_open && r->depth == r->record_depth) {
		r->metadata.end = buffer_length(&r->capture);
		r->metadata_open = false;
		r->have_metadata = true;
	}
	if (r->in_items && r->depth == 1) {
		r->in_items = false;
		r->items_done = true;
	}
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
			reader_syntax_error(r, c, "values nested deeper than %u levels "
			    "are not accepted", r->limits.max_depth);
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
	reader_syntax_error(r, c, "expected a JSON value, found %s",
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
			reader_syntax_error(r, c, "expected a string key, found %s",
			    reader_describe_byte(c, what, sizeof(what)));
		return;
	case EXPECT_COLON:
		if (c == ':') {
			reader_capture_byte(r, ':');
			level->expect = EXPECT_VALUE;
		} else
			reader_syntax_error(r, c, "expected ':' after an object key, "
			    "found %s", reader_describe_byte(c, what, sizeof(what)));
		return;
	case EXPECT_COMMA_OR_END:
		if (c == ',') {
			reader_capture_byte(r, ',');
			level->expect = level->object ? EXPECT_KEY :
			    EXPECT_VALUE;
		} else if (c == (level->object ? '}' : ']'))
			container_close(r, c);
		else
			reader_syntax_error(r, c, "expected ',' or '%c', found %s",
			    level->object ? '}' : ']',
			    reader_describe_byte(c, what, sizeof(what)));
		return;
	}
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
		case LEX_SKIP_LINE: {
			const unsigned char *newline = memchr(p + i, '\n',
			    length - i);
			size_t skip = newline != NULL ?
			    (size_t)(newline - (p + i)) : length - i;

			r->offset += skip;
			i += skip;
			if (newline != NULL) {
				reader_advance(r, '\n');
				i++;
				r->lexer = LEX_NONE;
			}
			continue;
		}
		case LEX_STRING:
			i += reader_lex_string(r, p + i, length - i);
			continue;
		case LEX_NUMBER:
			if (!reader_lex_number(r, c))
				continue;	/* c ends the number: again */
			break;
		case LEX_LITERAL:
			if (c != (unsigned char)r->literal[r->literal_at]) {
				reader_syntax_error(r, c, "invalid literal (expected "
				    "%s)", r->literal);
				break;
			}
			reader_capture_byte(r, (char)c);
			if (r->literal[++r->literal_at] == '\0') {
				r->lexer = LEX_NONE;
				reader_advance(r, c);
				i++;
				reader_value_end(r);
				continue;
			}
			break;
		case LEX_BOM:
			if (c != (r->bom_at == 1 ? 0xbb : 0xbf))
				reader_syntax_error(r, c, "invalid byte order mark");
			else if (++r->bom_at == 3)
				r->lexer = LEX_NONE;
			break;
		case LEX_NONE:
			if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
				break;
			lex_structure(r, c);
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
	} else if (r->lexer == LEX_SKIP_LINE ||
	    (r->lexer == LEX_NONE && r->depth == 0))
		;
	else if (r->in_record || r->list) {
		uint64_t line = r->in_record ? r->record_line : r->list_line;

		emit_invalid(r, "%s: line %llu (byte offset %llu): the input "
		    "ends inside the value that starts at line %llu, column "
		    "%llu", r->source, (unsigned long long)r->line,
		    (unsigned long long)r->offset, (unsigned long long)line,
		    (unsigned long long)(r->in_record ? r->record_column :
		    r->list_column));
		record->line = line;
	} else
		emit_invalid(r, "%s: line %llu (byte offset %llu): the input "
		    "ends inside a value", r->source,
		    (unsigned long long)r->line,
		    (unsigned long long)r->offset);
	reset_structure(r);
	/* Nothing may point at this frame once it returns. */
	r->out = NULL;
	r->ready = NULL;
	return ready;
}
