/*
 * The JSON index: one pass over the text, no recursion (an explicit stack
 * of open containers), one allocation sized from the text's length: a
 * value takes at least two bytes with the comma or bracket after it, so a
 * text of n bytes has at most n / 2 + 1 of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "json_tree.h"

struct parse {
	const unsigned char	*p;
	size_t			 length, at;
	struct json_tree	*tree;
	uint32_t		 capacity;
	uint32_t		*stack;		/* open containers */
	unsigned		 depth;
	char			*error;
	size_t			 error_size;
};

static int
fail(struct parse *ps, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct parse *ps, const char *format, ...)
{
	char message[160];
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	snprintf(ps->error, ps->error_size, "byte offset %zu: %s", ps->at,
	    message);
	return -1;
}

static const char *
describe(struct parse *ps, char *buffer, size_t size)
{
	unsigned char c;

	if (ps->at >= ps->length)
		return "the end of the text";
	c = ps->p[ps->at];
	if (c >= 0x21 && c < 0x7f)
		snprintf(buffer, size, "'%c'", c);
	else
		snprintf(buffer, size, "byte 0x%02x", c);
	return buffer;
}

static void
skip_space(struct parse *ps)
{
	/* Compact text, the usual input, has none. */
	if (ps->at < ps->length && ps->p[ps->at] > ' ')
		return;
	while (ps->at < ps->length && (ps->p[ps->at] == ' ' ||
	    ps->p[ps->at] == '\n' || ps->p[ps->at] == '\t' ||
	    ps->p[ps->at] == '\r'))
		ps->at++;
}

static struct json_tree_node *
add_node(struct parse *ps, enum json_tree_type type)
{
	struct json_tree *t = ps->tree;
	struct json_tree_node *node;

	if (t->count >= ps->capacity)
		return NULL;		/* cannot happen: see the bound above */
	node = &t->nodes[t->count];
	node->start = node->end = (uint32_t)ps->at;
	node->type = (uint8_t)type;
	node->flags = 0;
	node->next = ++t->count;
	return node;
}

/* String bytes that need a look: '"', '\\', control bytes, and bytes of
 * multi-byte sequences.  Most of a record is the other kind. */
static const uint8_t special[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static int
parse_string(struct parse *ps, struct json_tree_node *node)
{
	const unsigned char *p = ps->p;
	size_t i = ps->at + 1, n = ps->length;
	uint8_t flags = 0;

	for (;;) {
		unsigned char c;

		while (i + 4 <= n && !(special[p[i]] | special[p[i + 1]] |
		    special[p[i + 2]] | special[p[i + 3]]))
			i += 4;
		while (i < n && !special[p[i]])
			i++;
		if (i >= n) {
			ps->at = i;
			return fail(ps, "the text ends inside a string");
		}
		c = p[i];
		if (c == '"')
			break;
		if (c == '\\') {
			unsigned char e = i + 1 < n ? p[i + 1] : 0;

			flags |= JT_ESCAPED;
			if (e != 0 && strchr("\"\\/bfnrt", e) != NULL) {
				i += 2;
				continue;
			}
			ps->at = i;
			if (e != 'u')
				return fail(ps, "invalid escape in a string");
			for (size_t k = 2; k < 6; k++)
				if (i + k >= n || json_hex_value(p[i + k]) < 0)
					return fail(ps, "\\u must be followed "
					    "by four hexadecimal digits");
			i += 6;
		} else if (c < 0x20) {
			ps->at = i;
			return fail(ps, "control byte 0x%02x inside a string",
			    c);
		} else {
			size_t length = utf8_sequence_length(p + i, n - i);

			flags |= JT_NON_ASCII;
			if (length == 0) {
				flags |= JT_BAD_UTF8;
				length = 1;
			}
			i += length;
		}
	}
	ps->at = i + 1;
	node->end = (uint32_t)ps->at;
	node->flags = flags;
	return 0;
}

static bool
is_digit(const struct parse *ps, size_t i)
{
	return i < ps->length && ps->p[i] >= '0' && ps->p[i] <= '9';
}

static int
parse_number(struct parse *ps, struct json_tree_node *node)
{
	size_t i = ps->at;

	if (ps->p[i] == '-')
		i++;
	if (!is_digit(ps, i))
		goto bad;
	if (ps->p[i++] != '0')
		while (is_digit(ps, i))
			i++;
	if (i < ps->length && ps->p[i] == '.') {
		if (!is_digit(ps, ++i))
			goto bad;
		while (is_digit(ps, i))
			i++;
	}
	if (i < ps->length && (ps->p[i] == 'e' || ps->p[i] == 'E')) {
		i++;
		if (i < ps->length && (ps->p[i] == '+' || ps->p[i] == '-'))
			i++;
		if (!is_digit(ps, i))
			goto bad;
		while (is_digit(ps, i))
			i++;
	}
	ps->at = i;
	node->end = (uint32_t)i;
	return 0;
bad:
	ps->at = i;
	return fail(ps, "malformed number");
}

static int
parse_literal(struct parse *ps, struct json_tree_node *node)
{
	static const struct {
		const char *text;
		enum json_tree_type type;
	} literals[] = {
		{ "null", JT_NULL }, { "false", JT_FALSE }, { "true", JT_TRUE },
	};

	for (size_t k = 0; k < sizeof(literals) / sizeof(literals[0]); k++) {
		size_t length = strlen(literals[k].text);

		if (ps->length - ps->at >= length &&
		    memcmp(ps->p + ps->at, literals[k].text, length) == 0) {
			node->type = (uint8_t)literals[k].type;
			ps->at += length;
			node->end = (uint32_t)ps->at;
			return 0;
		}
	}
	return fail(ps, "invalid literal");
}

/* A value at ps->at.  A container is left open on the stack. */
static int
parse_value(struct parse *ps)
{
	struct json_tree_node *node;
	char what[16];
	unsigned char c;

	skip_space(ps);
	if (ps->at >= ps->length)
		return fail(ps, "expected a value, found the end of the text");
	c = ps->p[ps->at];
	switch (c) {
	case '{':
	case '[':
		if (ps->depth >= JSON_TREE_MAX_DEPTH)
			return fail(ps, "nested deeper than %d levels",
			    JSON_TREE_MAX_DEPTH);
		if (add_node(ps, c == '{' ? JT_OBJECT : JT_ARRAY) == NULL)
			return fail(ps, "too many values");
		ps->stack[ps->depth++] = ps->tree->count - 1;
		if (ps->depth > ps->tree->depth)
			ps->tree->depth = ps->depth;
		ps->at++;
		return 0;
	case '"':
		if ((node = add_node(ps, JT_STRING)) == NULL)
			return fail(ps, "too many values");
		return parse_string(ps, node);
	case 't': case 'f': case 'n':
		if ((node = add_node(ps, JT_NULL)) == NULL)
			return fail(ps, "too many values");
		return parse_literal(ps, node);
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			if ((node = add_node(ps, JT_NUMBER)) == NULL)
				return fail(ps, "too many values");
			return parse_number(ps, node);
		}
		return fail(ps, "expected a value, found %s",
		    describe(ps, what, sizeof(what)));
	}
}

static int
parse_key(struct parse *ps)
{
	struct json_tree_node *node;
	char what[16];

	skip_space(ps);
	if (ps->at >= ps->length || ps->p[ps->at] != '"')
		return fail(ps, "expected a string key, found %s",
		    describe(ps, what, sizeof(what)));
	if ((node = add_node(ps, JT_STRING)) == NULL)
		return fail(ps, "too many values");
	if (parse_string(ps, node) == -1)
		return -1;
	skip_space(ps);
	if (ps->at >= ps->length || ps->p[ps->at] != ':')
		return fail(ps, "expected ':' after an object key, found %s",
		    describe(ps, what, sizeof(what)));
	ps->at++;
	return 0;
}

static void
close_container(struct parse *ps)
{
	struct json_tree_node *node = &ps->tree->nodes[ps->stack[--ps->depth]];

	ps->at++;
	node->end = (uint32_t)ps->at;
	node->next = ps->tree->count;
}

static int
parse_all(struct parse *ps)
{
	char what[16];

	for (;;) {
		struct json_tree_node *top;
		bool object;

		if (parse_value(ps) == -1)
			return -1;
		/* Just after '{' or '[': it may close at once. */
		if (ps->depth > 0 && ps->tree->count - 1 ==
		    ps->stack[ps->depth - 1]) {
			object = ps->tree->nodes[ps->tree->count - 1].type ==
			    JT_OBJECT;
			skip_space(ps);
			if (ps->at < ps->length &&
			    ps->p[ps->at] == (object ? '}' : ']'))
				close_container(ps);
			else {
				if (object && parse_key(ps) == -1)
					return -1;
				continue;
			}
		}
		/* After a value: a comma, or the end of containers. */
		for (;;) {
			skip_space(ps);
			if (ps->depth == 0) {
				if (ps->at < ps->length)
					return fail(ps, "%s after the value",
					    describe(ps, what, sizeof(what)));
				return 0;
			}
			top = &ps->tree->nodes[ps->stack[ps->depth - 1]];
			object = top->type == JT_OBJECT;
			if (ps->at < ps->length && ps->p[ps->at] == ',') {
				ps->at++;
				if (object && parse_key(ps) == -1)
					return -1;
				break;
			}
			if (ps->at < ps->length &&
			    ps->p[ps->at] == (object ? '}' : ']')) {
				close_container(ps);
				continue;
			}
			return fail(ps, "expected ',' or '%c', found %s",
			    object ? '}' : ']',
			    describe(ps, what, sizeof(what)));
		}
	}
}

int
json_tree_parse(struct json_tree *t, const char *text, size_t length,
    char *error, size_t error_size)
{
	struct parse ps;
	size_t capacity, stack_size;

	memset(t, 0, sizeof(*t));
	memset(&ps, 0, sizeof(ps));
	ps.p = (const unsigned char *)text;
	ps.length = length;
	ps.tree = t;
	ps.error = error;
	ps.error_size = error_size;
	if (length > JSON_TREE_MAX_TEXT)
		return fail(&ps, "the text is longer than %zu bytes",
		    JSON_TREE_MAX_TEXT);
	capacity = length / 2 + 1;
	stack_size = capacity < JSON_TREE_MAX_DEPTH ? capacity :
	    JSON_TREE_MAX_DEPTH;
	t->nodes = malloc(capacity * sizeof(*t->nodes) +
	    stack_size * sizeof(*ps.stack));
	if (t->nodes == NULL)
		return fail(&ps, "out of memory");
	ps.stack = (uint32_t *)(t->nodes + capacity);
	ps.capacity = (uint32_t)capacity;
	t->text = text;
	if (parse_all(&ps) == -1) {
		json_tree_free(t);
		return -1;
	}
	return 0;
}

void
json_tree_free(struct json_tree *t)
{
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

static uint32_t
hex4(const char *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int d = json_hex_value((unsigned char)p[i]);

		if (d < 0)
			return 0xfffd;
		v = v << 4 | (uint32_t)d;
	}
	return v;
}

uint32_t
json_tree_escape(const char *body, size_t length, size_t *at)
{
	size_t i = *at;
	uint32_t cp;

	if (i >= length)
		return 0xfffd;
	switch (body[i]) {
	case 'b': *at = i + 1; return '\b';
	case 'f': *at = i + 1; return '\f';
	case 'n': *at = i + 1; return '\n';
	case 'r': *at = i + 1; return '\r';
	case 't': *at = i + 1; return '\t';
	case 'u': break;
	default: *at = i + 1; return (unsigned char)body[i];
	}
	if (length - i < 5) {
		*at = length;
		return 0xfffd;
	}
	cp = hex4(body + i + 1);
	i += 5;
	if (cp >= 0xd800 && cp <= 0xdbff && length - i >= 6 &&
	    body[i] == '\\' && body[i + 1] == 'u') {
		uint32_t low = hex4(body + i + 2);

		if (low >= 0xdc00 && low <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
			i += 6;
		}
	}
	*at = i;
	return cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
}

size_t
json_tree_put_utf8(char *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The next decoded piece of a string body (1 to 4 bytes) into unit. */
static size_t
next_unit(const char *body, size_t length, size_t *at, char unit[4])
{
	const unsigned char *p = (const unsigned char *)body + *at;
	size_t n;

	if (*p == '\\') {
		(*at)++;
		return json_tree_put_utf8(unit, json_tree_escape(body, length,
		    at));
	}
	if ((n = utf8_sequence_length(p, length - *at)) == 0) {
		(*at)++;
		return json_tree_put_utf8(unit, 0xfffd);
	}
	memcpy(unit, p, n);
	*at += n;
	return n;
}

bool
json_tree_string_is(const struct json_tree *t, uint32_t string, const char *s,
    size_t length)
{
	const struct json_tree_node *node;
	const char *body;
	size_t body_length, at = 0, matched = 0;

	if (string >= t->count || t->nodes[string].type != JT_STRING)
		return false;
	node = &t->nodes[string];
	body = t->text + node->start + 1;
	body_length = node->end - node->start - 2;
	if ((node->flags & (JT_ESCAPED | JT_BAD_UTF8)) == 0)
		return body_length == length && memcmp(body, s, length) == 0;
	while (at < body_length) {
		char unit[4];
		size_t n = next_unit(body, body_length, &at, unit);

		if (n > length - matched || memcmp(unit, s + matched, n) != 0)
			return false;
		matched += n;
	}
	return matched == length;
}

size_t
json_tree_string_decode(const struct json_tree *t, uint32_t string, char *dst,
    size_t size)
{
	const struct json_tree_node *node;
	const char *body;
	size_t body_length, at = 0, total = 0;

	if (string >= t->count || t->nodes[string].type != JT_STRING)
		return 0;
	node = &t->nodes[string];
	body = t->text + node->start + 1;
	body_length = node->end - node->start - 2;
	while (at < body_length) {
		char unit[4];
		size_t n = next_unit(body, body_length, &at, unit);

		for (size_t k = 0; k < n; k++, total++)
			if (total < size)
				dst[total] = unit[k];
	}
	return total;
}

uint32_t
json_tree_member(const struct json_tree *t, uint32_t object, const char *key)
{
	size_t length = strlen(key);
	uint32_t found = JSON_TREE_NONE;

	if (object >= t->count || t->nodes[object].type != JT_OBJECT)
		return JSON_TREE_NONE;
	for (uint32_t k = json_tree_first(t, object); k != JSON_TREE_NONE;
	    k = json_tree_after(t, object, k))
		if (json_tree_string_is(t, k, key, length))
			found = k + 1;
	return found;
}
