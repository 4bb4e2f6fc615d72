#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../json.h"
#include "sanitize.h"

/* Code points that are valid UTF-8 and still must not reach a terminal. */
static const struct {
	uint32_t	 first, last;
} escaped[] = {
	{ 0x0080, 0x009f },	/* C1 controls: CSI, OSC, NEL act like ESC
				 * sequences on some terminals */
	{ 0x061c, 0x061c },	/* Arabic letter mark (bidi) */
	{ 0x200e, 0x200f },	/* left-to-right, right-to-left marks */
	{ 0x2028, 0x2029 },	/* line and paragraph separators */
	{ 0x202a, 0x202e },	/* bidi embeddings and overrides */
	{ 0x2066, 0x2069 },	/* bidi isolates */
};

static uint32_t
code_point(const unsigned char *s, size_t n)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f,
	    0x07 };
	uint32_t cp = s[0] & lead_mask[n];

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/*
 * What the text at p turns into: returns the length of its escape, written
 * to escape, or 0 when its *consumed bytes are shown as they are.
 */
static size_t
escape_at(const unsigned char *p, size_t available, char escape[8],
    size_t *consumed)
{
	size_t n = utf8_sequence_length(p, available);
	uint32_t cp;

	if (n == 0) {
		*consumed = 1;
		return (size_t)snprintf(escape, 8, "\\x%02x", p[0]);
	}
	*consumed = n;
	if (n == 1) {
		if (p[0] == '\n')
			return (size_t)snprintf(escape, 8, "\\n");
		if (p[0] == '\r')
			return (size_t)snprintf(escape, 8, "\\r");
		if ((p[0] < 0x20 && p[0] != '\t') || p[0] == 0x7f)
			return (size_t)snprintf(escape, 8, "\\x%02x", p[0]);
		return 0;
	}
	cp = code_point(p, n);
	for (size_t i = 0; i < sizeof(escaped) / sizeof(escaped[0]); i++)
		if (cp >= escaped[i].first && cp <= escaped[i].last)
			return (size_t)snprintf(escape, 8, "\\u%04x",
			    (unsigned)cp);
	return 0;
}

size_t
sanitize(char *out, size_t size, const char *text, size_t length)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t used = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < length;) {
		char escape[8];
		size_t consumed, n = escape_at(p + i, length - i, escape,
		    &consumed);
		const char *bytes = n > 0 ? escape : text + i;

		if (n == 0)
			n = consumed;
		if (n > size - 1 - used)
			break;		/* no half character, no half escape */
		memcpy(out + used, bytes, n);
		used += n;
		i += consumed;
	}
	out[used] = '\0';
	return used;
}

int
sanitize_append(struct buffer *b, const char *text, size_t length)
{
	size_t room;

	if (length > (SIZE_MAX - 1) / SANITIZE_GROWTH)
		return -1;
	room = SANITIZE_GROWTH * length + 1;
	if (buffer_reserve(b, room) == -1)
		return -1;
	b->end += sanitize(b->data + b->end, room, text, length);
	return 0;
}

void
sanitize_write_line(FILE *out, const char *text, size_t length)
{
	char clean[SANITIZE_GROWTH * SANITIZE_LINE_MAX + 2];
	size_t n;

	if (length > SANITIZE_LINE_MAX) {
		/* Cut before a character rather than through it. */
		length = SANITIZE_LINE_MAX;
		for (int back = 0; back < 3 && length > 0 &&
		    ((unsigned char)text[length] & 0xc0) == 0x80; back++)
			length--;
	}
	n = sanitize(clean, sizeof(clean) - 1, text, length);
	clean[n++] = '\n';
	/* One write per line, so lines from several sources never mix. */
	fwrite(clean, 1, n, out);
}

void
sanitize_print(FILE *out, const char *format, ...)
{
	char line[SANITIZE_LINE_MAX + 2];	/* one byte more shows a cut */
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(line, sizeof(line), format, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	sanitize_write_line(out, line, (size_t)n < sizeof(line) ? (size_t)n :
	    sizeof(line) - 1);
}
