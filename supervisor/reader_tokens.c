/*
 * The reader's tokens: strings (escapes, UTF-8 checked byte by byte, object
 * keys matched against the few the reader cares about) and numbers (the
 * JSON grammar, digit by digit).  Bytes are captured into the record as
 * they are accepted.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "reader_state.h"

void
reader_string_open(struct reader *r, bool is_key)
{
	r->lexer = LEX_STRING;
	r->string_is_key = is_key;
	r->escape = r->utf8_need = 0;
	r->key_length = 0;
	r->key_long = false;
	reader_capture_byte(r, '"');
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

enum key
reader_key_lookup(const char *key, size_t length, bool too_long)
{
	static const struct {
		const char *name;
		size_t length;
		enum key key;
	} keys[] = {
#define KEY(name, key) { name, sizeof(name) - 1, key }
		KEY("items", KEY_ITEMS), KEY("metadata", KEY_METADATA),
		KEY("uid", KEY_UID), KEY("namespace", KEY_NAMESPACE),
		KEY("name", KEY_NAME), KEY("type", KEY_TYPE),
		KEY("object", KEY_OBJECT), KEY("code", KEY_CODE),
		KEY("reason", KEY_REASON), KEY("message", KEY_MESSAGE),
#undef KEY
	};

	if (too_long)
		return KEY_OTHER;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].length == length &&
		    memcmp(keys[i].name, key, length) == 0)
			return keys[i].key;
	return KEY_OTHER;
}

static void
string_close(struct reader *r)
{
	reader_capture_byte(r, '"');
	r->lexer = LEX_NONE;
	if (r->string_is_key) {
		r->stack[r->depth].key = (unsigned char)reader_key_lookup(
		    r->key, r->key_length, r->key_long);
		r->stack[r->depth].expect = EXPECT_COLON;
		return;
	}
	reader_value_end(r);
}

/* Consumes string bytes; returns how many.  A syntax error leaves its
 * byte unconsumed, for the scanner. */
size_t
reader_lex_string(struct reader *r, const unsigned char *p, size_t n)
{
	static const char escapes[] = "\"\\/bfnrt";
	static const char decoded[] = "\"\\/\b\f\n\r\t";
	size_t i = 0;

	while (i < n && !*r->ready) {
		unsigned char c = p[i];

		if (r->utf8_need > 0) {
			if (c < r->utf8_low || c > r->utf8_high) {
				reader_syntax_error(r, "invalid UTF-8 in a "
				    "string (unexpected byte 0x%02x)", c);
				return i;
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

				reader_syntax_error(r, "invalid escape: "
				    "backslash followed by %s",
				    reader_describe_byte(c, what,
				    sizeof(what)));
				return i;
			}
		} else if (r->escape >= 2) {
			int v = json_hex_value(c);

			if (v < 0) {
				reader_syntax_error(r, "\\u must be followed "
				    "by four hexadecimal digits");
				return i;
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
				reader_capture(r, p + i, run);
				key_add(r, (const char *)p + i, run);
				r->offset += run;
				i += run;
				continue;
			}
			if (c == '"') {
				reader_advance(r, c);
				string_close(r);
				return i + 1;
			}
			if (c == '\\')
				r->escape = 1;
			else if (c < 0x20) {
				reader_syntax_error(r, "control byte 0x%02x "
				    "inside a string (it must be escaped)", c);
				return i;
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
					reader_syntax_error(r, "invalid UTF-8 "
					    "in a string (byte 0x%02x)", c);
					return i;
				}
				r->key_long = true;
			}
		}
		reader_capture_byte(r, (char)c);
		reader_advance(r, c);
		i++;
	}
	return i;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* One number byte.  Returns false when c is not consumed: it ends the
 * number, or it is a syntax error. */
bool
reader_lex_number(struct reader *r, unsigned char c)
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
			reader_syntax_error(r, "numbers cannot have leading "
			    "zeros");
			return false;
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
	reader_capture_byte(r, (char)c);
	return true;
need_digit: {
		char what[16];

		reader_syntax_error(r, "malformed number: expected a digit, "
		    "found %s", reader_describe_byte(c, what, sizeof(what)));
		return false;
	}
end:
	r->lexer = LEX_NONE;
	reader_value_end(r);
	return false;
}

