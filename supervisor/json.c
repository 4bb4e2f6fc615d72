#include <stdint.h>
#include <string.h>

#include "json.h"

size_t
utf8_sequence_length(const unsigned char *s, size_t available)
{
	unsigned char c;
	size_t need;
	unsigned char low = 0x80, high = 0xbf;

	if (available == 0)
		return 0;		/* s[0] is not ours to read */
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			low = 0xa0;		/* no overlong forms */
		else if (c == 0xed)
			high = 0x9f;		/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			low = 0x90;
		else if (c == 0xf4)
			high = 0x8f;		/* nothing past U+10FFFF */
	} else
		return 0;
	if (available < need + 1 || s[1] < low || s[1] > high)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

/* Bytes a string's run may copy as they are: printable ASCII but for the
 * two that must be escaped. */
static const unsigned char plain[256] = {
	[0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7f] = 1,
};

size_t
json_put_string(char *out, const char *s, size_t length)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char *d = out;
	size_t i = 0;

	*d++ = '"';
	while (i < length) {
		size_t run = i, n;
		unsigned char c;

		while (run < length && plain[p[run]])
			run++;
		memcpy(d, p + i, run - i);
		d += run - i;
		if ((i = run) == length)
			break;
		c = p[i];
		if (c >= 0x80) {
			if ((n = utf8_sequence_length(p + i, length - i)) > 0) {
				memcpy(d, p + i, n);
				d += n;
				i += n;
			} else {
				memcpy(d, "\\ufffd", 6);
				d += 6;
				i++;
			}
			continue;
		}
		*d++ = '\\';
		switch (c) {
		case '"': *d++ = '"'; break;
		case '\\': *d++ = '\\'; break;
		case '\n': *d++ = 'n'; break;
		case '\r': *d++ = 'r'; break;
		case '\t': *d++ = 't'; break;
		case '\b': *d++ = 'b'; break;
		case '\f': *d++ = 'f'; break;
		default:
			memcpy(d, "u00", 3);
			d += 3;
			*d++ = hex[c >> 4];
			*d++ = hex[c & 15];
		}
		i++;
	}
	*d++ = '"';
	return (size_t)(d - out);
}

int
json_append_string(struct buffer *out, const char *s, size_t length)
{
	if (length > JSON_STRING_MAX_INPUT ||
	    buffer_reserve(out, JSON_STRING_ROOM(length)) == -1)
		return -1;
	out->end += json_put_string(out->data + out->end, s, length);
	return 0;
}

int
json_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits the reader has already checked. */
static uint32_t
hex4(const char *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 4 | (uint32_t)json_hex_value((unsigned char)p[i]);
	return v;
}

static void
put_utf8(struct buffer *out, uint32_t cp)
{
	char *d = out->data + out->end;

	if (cp < 0x80) {
		d[0] = (char)cp;
		out->end += 1;
	} else if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		out->end += 2;
	} else if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		out->end += 3;
	} else {
		d[0] = (char)(0xf0 | cp >> 18);
		d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[3] = (char)(0x80 | (cp & 0x3f));
		out->end += 4;
	}
}

int
json_append_unescaped(struct buffer *out, const char *body, size_t length)
{
	size_t i = 0;

	/* Decoding never grows the text. */
	if (buffer_reserve(out, length) == -1)
		return -1;
	while (i < length) {
		const char *escape = memchr(body + i, '\\', length - i);
		size_t run = escape != NULL ? (size_t)(escape - body) - i :
		    length - i;
		uint32_t cp;

		/* The text up to the next escape, in one copy. */
		memcpy(out->data + out->end, body + i, run);
		out->end += run;
		i += run;
		if (i == length)
			break;
		i++;
		switch (body[i]) {
		case 'b': out->data[out->end++] = '\b'; i++; continue;
		case 'f': out->data[out->end++] = '\f'; i++; continue;
		case 'n': out->data[out->end++] = '\n'; i++; continue;
		case 'r': out->data[out->end++] = '\r'; i++; continue;
		case 't': out->data[out->end++] = '\t'; i++; continue;
		case 'u': break;
		default: out->data[out->end++] = body[i++]; continue;
		}
		cp = hex4(body + i + 1);
		i += 5;
		if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= length &&
		    body[i] == '\\' && body[i + 1] == 'u') {
			uint32_t low = hex4(body + i + 2);

			if (low >= 0xdc00 && low <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (low - 0xdc00);
				i += 6;
			}
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		put_utf8(out, cp);
	}
	return 0;
}
