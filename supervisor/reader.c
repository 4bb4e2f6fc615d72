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
capture(struct reader *r, const void *bytes, size_t length)
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

static void
capture_byte(struct reader *r, char c)
{
	capture(r, &c, 1);
}

static void
advance(struct reader *r, unsigned char c)
{
	r->offset++;
	if (c == '\n') {
		r->line++;
		r->line_start = r->offset;
	}
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

static const char *
describe_byte(unsigned char c, char *buffer, size_t size)
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buffer, size, "'%c'", c);
	else
		snprintf(buffer, size, "byte 0x%02x", c);
	return buffer;
}

/* A syntax error at byte c: one invalid record, then skip to the next line
 * (unless c is the newline itself). */
static void
syntax_error(struct reader *r, unsigned char c, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void
syntax_error(struct reader *r, unsigned char c, const char *format, ...)
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
static void
value_end(struct reader *r)
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
	capture_byte(r, (char)c);
	level = &r->stack[++r->depth];
	level->object = c == '{';
	level->expect = c == '{' ? EXPECT_KEY_OR_END : EXPECT_VALUE_OR_END;
	level->key = KEY_OTHER;
}

static void
container_close(struct reader *r, unsigned char c)
{
	capture_byte(r, (char)c);
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
	value_end(r);
}

static void
string_open(struct reader *r, bool is_key)
{
	r->lexer = LEX_STRING;
	r->string_is_key = is_key;
	r->escape = r->utf8_need = 0;
	r->key_length = 0;
	r->key_long = false;
	r->string_start = buffer_length(&r->capture);
	capture_byte(r, '"');
}

static void
key_add(struct reader *r, const char *bytes, size_t length)
{
	if (!r->string_is_key || r->key_long)
		return;
	if (length > sizeof(r->key) - r->key_length) {
		r->key_long = true;
		return;
	}
	memcpy(r->key + r->key_length, bytes, length);
	r->key_length += length;
}

static enum key
key_lookup(const struct reader *r)
{
	static const struct {
		const char *name;
		enum key key;
	} keys[] = {
		{ "items", KEY_ITEMS }, { "metadata", KEY_METADATA },
		{ "uid", KEY_UID }, { "namespace", KEY_NAMESPACE },
		{ "name", KEY_NAME },
	};

	if (r->key_long)
		return KEY_OTHER;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == r->key_length &&
		    memcmp(keys[i].name, r->key, r->key_length) == 0)
			return keys[i].key;
	return KEY_OTHER;
}

static void
string_close(struct reader *r)
{
	capture_byte(r, '"');
	r->lexer = LEX_NONE;
	if (r->string_is_key) {
		r->stack[r->depth].key = (unsigned char)key_lookup(r);
		r->stack[r->depth].expect = EXPECT_COLON;
		return;
	}
	if (r->string_field >= 0) {
		struct span *span = &r->fields[r->string_level][r->string_field];

		span->start = r->string_start;
		span->end = buffer_length(&r->capture);
		span->set = true;
		r->string_field = -1;
	}
	value_end(r);
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Consumes string bytes; returns how many. */
static size_t
lex_string(struct reader *r, const unsigned char *p, size_t n)
{
	static const char escapes[] = "\"\\/bfnrt";
	static const char decoded[] = "\"\\/\b\f\n\r\t";
	size_t i = 0;

	while (i < n && !*r->ready) {
		unsigned char c = p[i];

		if (r->utf8_need > 0) {
			if (c < r->utf8_low || c > r->utf8_high) {
				syntax_error(r, c, "invalid UTF-8 in a string "
				    "(unexpected byte 0x%02x)", c);
				advance(r, c);
				return i + 1;
			}
			r->utf8_need--;
			r->utf8_low = 0x80;
			r->utf8_high = 0xbf;
		} else if (r->escape == 1) {
			const char *e = c != '\0' ? strchr(escapes, c) : NULL;

			if (c == 'u') {
				r->escape = 2;
				r->hex = 0;
			} else if (e != NULL) {
				key_add(r, &decoded[e - escapes], 1);
				r->escape = 0;
			} else {
				char what[16];

				syntax_error(r, c, "invalid escape: backslash "
				    "followed by %s", describe_byte(c, what,
				    sizeof(what)));
				advance(r, c);
				return i + 1;
			}
		} else if (r->escape >= 2) {
			int v = hex_value(c);

			if (v < 0) {
				syntax_error(r, c, "\\u must be followed by "
				    "four hexadecimal digits");
				advance(r, c);
				return i + 1;
			}
			r->hex = r->hex << 4 | (uint32_t)v;
			if (++r->escape == 6) {
				char ascii = (char)r->hex;

				r->escape = 0;
				if (r->hex < 0x80 && r->hex > 0)
					key_add(r, &ascii, 1);
				else
					r->key_long = true;
			}
		} else {
			size_t run = 0;

			/* The common case: a run of plain ASCII. */
			while (i + run < n && p[i + run] >= 0x20 &&
			    p[i + run] < 0x80 && p[i + run] != '"' &&
			    p[i + run] != '\\')
				run++;
			if (run > 0) {
				capture(r, p + i, run);
				key_add(r, (const char *)p + i, run);
				r->offset += run;
				i += run;
				continue;
			}
			if (c == '"') {
				advance(r, c);
				string_close(r);
				return i + 1;
			}
			if (c == '\\')
				r->escape = 1;
			else if (c < 0x20) {
				syntax_error(r, c, "control byte 0x%02x inside "
				    "a string (it must be escaped)", c);
				advance(r, c);
				return i + 1;
			} else {
				r->utf8_low = 0x80;
				r->utf8_high = 0xbf;
				if (c >= 0xc2 && c <= 0xdf)
					r->utf8_need = 1;
				else if (c >= 0xe0 && c <= 0xef) {
					r->utf8_need = 2;
					if (c == 0xe0)
						r->utf8_low = 0xa0;
					else if (c == 0xed)
						r->utf8_high = 0x9f;
				} else if (c >= 0xf0 && c <= 0xf4) {
					r->utf8_need = 3;
					if (c == 0xf0)
						r->utf8_low = 0x90;
					else if (c == 0xf4)
						r->utf8_high = 0x8f;
				} else {
					syntax_error(r, c, "invalid UTF-8 in a "
					    "string (byte 0x%02x)", c);
					advance(r, c);
					return i + 1;
				}
				r->key_long = true;
			}
		}
		capture_byte(r, (char)c);
		advance(r, c);
		i++;
	}
	return i;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* One number byte.  Returns false when c ends the number (not consumed). */
static bool
lex_number(struct reader *r, unsigned char c)
{
	enum number_state next;

	switch (r->number) {
	case NUM_SIGN:
		if (!is_digit(c))
			goto need_digit;
		next = c == '0' ? NUM_ZERO : NUM_INT;
		break;
	case NUM_ZERO:
		if (is_digit(c)) {
			syntax_error(r, c, "numbers cannot have leading zeros");
			return true;
		}
		/* FALLTHROUGH */
	case NUM_INT:
		if (is_digit(c))
			next = NUM_INT;
		else if (c == '.')
			next = NUM_DOT;
		else if (c == 'e' || c == 'E')
			next = NUM_EXP;
		else
			goto end;
		break;
	case NUM_DOT:
		if (!is_digit(c))
			goto need_digit;
		next = NUM_FRAC;
		break;
	case NUM_FRAC:
		if (is_digit(c))
			next = NUM_FRAC;
		else if (c == 'e' || c == 'E')
			next = NUM_EXP;
		else
			goto end;
		break;
	case NUM_EXP:
		if (c == '+' || c == '-') {
			next = NUM_EXP_SIGN;
			break;
		}
		/* FALLTHROUGH */
	case NUM_EXP_SIGN:
		if (!is_digit(c))
			goto need_digit;
		next = NUM_EXP_DIGITS;
		break;
	case NUM_EXP_DIGITS:
	default:
		if (!is_digit(c))
			goto end;
		next = NUM_EXP_DIGITS;
		break;
	}
	r->number = next;
	capture_byte(r, (char)c);
	return true;
need_digit: {
		char what[16];

		syntax_error(r, c, "malformed number: expected a digit, found "
		    "%s", describe_byte(c, what, sizeof(what)));
		return true;
	}
end:
	r->lexer = LEX_NONE;
	value_end(r);
	return false;
}

static void
value_start(struct reader *r, unsigned char c)
{
	char what[16];

	switch (c) {
	case '{':
	case '[':
		if (r->depth >= r->limits.max_depth) {
			syntax_error(r, c, "values nested deeper than %u levels "
			    "are not accepted", r->limits.max_depth);
			return;
		}
		container_open(r, c);
		return;
	case '"':
		value_begin(r, c);
		string_open(r, false);
		return;
	case 't':
	case 'f':
	case 'n':
		value_begin(r, c);
		capture_byte(r, (char)c);
		r->lexer = LEX_LITERAL;
		r->literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
		r->literal_at = 1;
		return;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		value_begin(r, c);
		capture_byte(r, (char)c);
		r->lexer = LEX_NUMBER;
		r->number = c == '-' ? NUM_SIGN : c == '0' ? NUM_ZERO : NUM_INT;
		return;
	}
	syntax_error(r, c, "expected a JSON value, found %s",
	    describe_byte(c, what, sizeof(what)));
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
			string_open(r, true);
		else
			syntax_error(r, c, "expected a string key, found %s",
			    describe_byte(c, what, sizeof(what)));
		return;
	case EXPECT_COLON:
		if (c == ':') {
			capture_byte(r, ':');
			level->expect = EXPECT_VALUE;
		} else
			syntax_error(r, c, "expected ':' after an object key, "
			    "found %s", describe_byte(c, what, sizeof(what)));
		return;
	case EXPECT_COMMA_OR_END:
		if (c == ',') {
			capture_byte(r, ',');
			level->expect = level->object ? EXPECT_KEY :
			    EXPECT_VALUE;
		} else if (c == (level->object ? '}' : ']'))
			container_close(r, c);
		else
			syntax_error(r, c, "expected ',' or '%c', found %s",
			    level->object ? '}' : ']',
			    describe_byte(c, what, sizeof(what)));
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
				advance(r, '\n');
				i++;
				r->lexer = LEX_NONE;
			}
			continue;
		}
		case LEX_STRING:
			i += lex_string(r, p + i, length - i);
			continue;
		case LEX_NUMBER:
			if (!lex_number(r, c))
				continue;	/* c ends the number: again */
			break;
		case LEX_LITERAL:
			if (c != (unsigned char)r->literal[r->literal_at]) {
				syntax_error(r, c, "invalid literal (expected "
				    "%s)", r->literal);
				break;
			}
			capture_byte(r, (char)c);
			if (r->literal[++r->literal_at] == '\0') {
				r->lexer = LEX_NONE;
				advance(r, c);
				i++;
				value_end(r);
				continue;
			}
			break;
		case LEX_BOM:
			if (c != (r->bom_at == 1 ? 0xbb : 0xbf))
				syntax_error(r, c, "invalid byte order mark");
			else if (++r->bom_at == 3)
				r->lexer = LEX_NONE;
			break;
		case LEX_NONE:
			if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
				break;
			lex_structure(r, c);
			break;
		}
		advance(r, c);
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
		value_end(r);
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
	return ready;
}
