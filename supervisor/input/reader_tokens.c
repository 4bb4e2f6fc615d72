/*
 * The reader's tokens: strings (escapes, UTF-8 checked, object keys matched
 * against the few the reader cares about) and numbers (the JSON grammar).
 * Bytes are captured into the record as they are accepted: a string's
 * plain runs, whole characters and simple escapes in one piece where the
 * data holds them whole, and byte by byte through a state machine where it
 * does not (a character or an escape cut by the end of a chunk, \u, and
 * every error, so that each error names the byte it always named).
 */
#include <stdio.h>
#include <string.h>

#include "../json.h"
#include "reader_state.h"

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
	/* By length first: most keys are none of these, and that shows at
	 * once. */
#define IS(name) (memcmp(key, name, sizeof(name) - 1) == 0)
	if (too_long)
		return KEY_OTHER;
	switch (length) {
	case 3:
		return IS("uid") ? KEY_UID : KEY_OTHER;
	case 4:
		return IS("name") ? KEY_NAME : IS("type") ? KEY_TYPE :
		    IS("code") ? KEY_CODE : KEY_OTHER;
	case 5:
		return IS("items") ? KEY_ITEMS : KEY_OTHER;
	case 6:
		return IS("object") ? KEY_OBJECT : IS("reason") ? KEY_REASON :
		    KEY_OTHER;
	case 7:
		return IS("message") ? KEY_MESSAGE : KEY_OTHER;
	case 8:
		return IS("metadata") ? KEY_METADATA : KEY_OTHER;
	case 9:
		return IS("namespace") ? KEY_NAMESPACE : KEY_OTHER;
	}
	return KEY_OTHER;
#undef IS
}

/* The closing quote, already captured with the bytes before it. */
static void
string_closed(struct reader *r)
{
	r->lexer = LEX_NONE;
	if (r->string_is_key) {
		r->stack[r->depth].key = (unsigned char)reader_key_lookup(
		    r->key, r->key_length, r->key_long);
		r->stack[r->depth].expect = EXPECT_COLON;
		return;
	}
	reader_value_end(r);
}

/* Bytes a plain run inside a string stops at: '"', '\\', control bytes and
 * every byte of UTF-8 above ASCII. */
static const unsigned char stops[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

/* Length of the plain run at p[0..n): eight bytes at a time where it can,
 * with a check of each word that only the first stop it flags is exact
 * (a borrow may flag bytes after it, never before). */
static size_t
plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;

	for (; n - i >= 8; i += 8) {
		uint64_t v, quote, backslash, hit;

		memcpy(&v, p + i, 8);
		quote = v ^ (ones * '"');
		backslash = v ^ (ones * '\\');
		hit = (v | ((v - ones * 0x20) & ~v) | ((quote - ones) & ~quote) |
		    ((backslash - ones) & ~backslash)) & high;
		if (hit != 0)
			return i + (size_t)__builtin_ctzll(hit) / 8;
	}
#endif
	while (i < n && !stops[p[i]])
		i++;
	return i;
}

/*
 * The fast path: consumes plain runs, whole valid UTF-8 characters and
 * two-byte escapes, all captured at once, and the closing quote.  Stops
 * at a byte the byte-by-byte machine must see (a control byte, a \u
 * escape, anything invalid, or a character cut by the end of the data),
 * which it leaves unconsumed.
 */
static size_t
string_run(struct reader *r, const unsigned char *p, size_t n)
{
	static const char escapes[256] = {
		['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
		['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
	};
	size_t i = 0, key_from = 0, k;
	bool closed = false;

	for (;;) {
		i += plain_run(p + i, n - i);
		if (i == n)
			break;
		if (p[i] == '"') {
			closed = true;
			break;
		}
		if (p[i] == '\\') {
			if (n - i < 2 || escapes[p[i + 1]] == 0)
				break;
			if (r->string_is_key) {
				key_add(r, (const char *)p + key_from,
				    i - key_from);
				key_add(r, &escapes[p[i + 1]], 1);
				key_from = i + 2;
			}
			i += 2;
			continue;
		}
		if (p[i] < 0x80 || (k = utf8_sequence_length(p + i,
		    n - i)) == 0)
			break;
		r->key_long = true;
		i += k;
	}
	if (r->string_is_key)
		key_add(r, (const char *)p + key_from, i - key_from);
	reader_capture(r, p, i + closed);
	r->offset += i + closed;
	if (closed)
		string_closed(r);
	return i + closed;
}

/* One string byte the fast path left: returns false, with the byte
 * unconsumed, on a syntax error.  Kept out of line: it is rare, and the
 * fast path's caller stays small. */
static __attribute__((noinline)) bool
string_byte(struct reader *r, unsigned char c)
{
	if (r->utf8_need > 0) {
		if (c < r->utf8_low || c > r->utf8_high) {
			reader_syntax_error(r, "invalid UTF-8 in a string "
			    "(unexpected byte 0x%02x)", c);
			return false;
		}
		r->utf8_need--;
		r->utf8_low = 0x80;
		r->utf8_high = 0xbf;
	} else if (r->escape == 1) {
		static const char escapes[] = "\"\\/bfnrt";
		static const char decoded[] = "\"\\/\b\f\n\r\t";
		const char *e = c != '\0' ? strchr(escapes, c) : NULL;

		if (c == 'u') {
			r->escape = 2;
			r->hex = 0;
		} else if (e != NULL) {
			key_add(r, &decoded[e - escapes], 1);
			r->escape = 0;
		} else {
			char what[16];

			reader_syntax_error(r, "invalid escape: backslash "
			    "followed by %s", reader_describe_byte(c, what,
			    sizeof(what)));
			return false;
		}
	} else if (r->escape >= 2) {
		int v = json_hex_value(c);

		if (v < 0) {
			reader_syntax_error(r, "\\u must be followed by four "
			    "hexadecimal digits");
			return false;
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
	} else if (c == '\\')
		r->escape = 1;
	else if (c < 0x20) {
		reader_syntax_error(r, "control byte 0x%02x inside a string "
		    "(it must be escaped)", c);
		return false;
	} else {
		/* Past the fast path only a character cut by the end of
		 * the data, or an invalid one: the first byte that shows
		 * it is the one named. */
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
			reader_syntax_error(r, "invalid UTF-8 in a string "
			    "(byte 0x%02x)", c);
			return false;
		}
		r->key_long = true;
	}
	reader_capture_byte(r, (char)c);
	r->offset++;		/* never a line end: those are control bytes */
	return true;
}

/* Consumes string bytes; returns how many.  A syntax error leaves its
 * byte unconsumed, for the scanner. */
size_t
reader_lex_string(struct reader *r, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (r->utf8_need == 0 && r->escape == 0) {
			i += string_run(r, p + i, n - i);
			if (r->lexer != LEX_STRING || i == n)
				return i;
		}
		if (!string_byte(r, p[i]))
			return i;
		i++;
	}
	return i;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* A run of digits where the number is in its integer, fraction or
 * exponent digits: captured at once.  Returns how many. */
size_t
reader_lex_digits(struct reader *r, const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (r->number != NUM_INT && r->number != NUM_FRAC &&
	    r->number != NUM_EXP_DIGITS)
		return 0;
	while (i < n && is_digit(p[i]))
		i++;
	reader_capture(r, p, i);
	r->offset += i;		/* digits: no line end, the line has begun */
	return i;
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

