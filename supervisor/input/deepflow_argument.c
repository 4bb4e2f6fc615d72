/*
 * Go's Marshal(Unmarshal(text)), without building Go's values: index the
 * text once, then walk it with an explicit stack (Go allows 10000 levels),
 * writing each object's members in sorted order and each string re-escaped
 * straight from its source bytes.  The output cannot be longer than six
 * times the text (the longest rewrite is one byte such as '<' becoming
 * \u003c), so it is reserved once and written without further checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deepflow_argument.h"
#include "../json.h"
#include "json_tree.h"

/* Bytes below 0x80 that Go writes as themselves (its htmlSafeSet); bytes
 * from 0x80 up are looked at as UTF-8. */
static const unsigned char plain[256] = {
	[' '] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['\''] = 1,
	['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1,
	['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
	['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	[':'] = 1, [';'] = 1, ['='] = 1, ['?'] = 1, ['@'] = 1, ['A'] = 1,
	['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,
	['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
	['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1,
	['Z'] = 1, ['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1,
	[0x7f] = 1,
};

static const char hex[] = "0123456789abcdef";

/* One character below 0x80 as Go writes it; returns the bytes written. */
static size_t
put_ascii(char *d, unsigned char c)
{
	char named = 0;

	if (plain[c]) {
		d[0] = (char)c;
		return 1;
	}
	switch (c) {
	case '"': named = '"'; break;
	case '\\': named = '\\'; break;
	case '\b': named = 'b'; break;
	case '\f': named = 'f'; break;
	case '\n': named = 'n'; break;
	case '\r': named = 'r'; break;
	case '\t': named = 't'; break;
	}
	d[0] = '\\';
	if (named != 0) {
		d[1] = named;
		return 2;
	}
	/* Other control characters, and < > & (for HTML). */
	memcpy(d + 1, "u00", 3);
	d[4] = hex[c >> 4];
	d[5] = hex[c & 15];
	return 6;
}

static size_t
put_separator(char *d, unsigned char last)
{
	memcpy(d, "\\u202", 5);
	d[5] = last == 0xa8 ? '8' : '9';
	return 6;
}

/* A string node's source body, quoted as Go writes its decoded value. */
static size_t
put_string(char *d, const unsigned char *s, size_t n)
{
	char *start = d;
	size_t i = 0;

	*d++ = '"';
	while (i < n) {
		unsigned char c = s[i];
		size_t run = i, length;
		uint32_t cp;

		while (run + 4 <= n && plain[s[run]] & plain[s[run + 1]] &
		    plain[s[run + 2]] & plain[s[run + 3]])
			run += 4;
		while (run < n && plain[s[run]])
			run++;
		if (run > i) {
			memcpy(d, s + i, run - i);
			d += run - i;
			i = run;
			continue;
		}
		if (c == '\\') {
			i++;
			cp = json_tree_escape((const char *)s, n, &i);
			if (cp < 0x80)
				d += put_ascii(d, (unsigned char)cp);
			else if (cp == 0x2028 || cp == 0x2029)
				d += put_separator(d, cp == 0x2028 ? 0xa8 :
				    0xa9);
			else
				d += json_tree_put_utf8(d, cp);
			continue;
		}
		if (c < 0x80) {
			d += put_ascii(d, c);
			i++;
			continue;
		}
		length = utf8_sequence_length(s + i, n - i);
		if (length == 0) {
			/* Go's decoder made it U+FFFD. */
			memcpy(d, "\xef\xbf\xbd", 3);
			d += 3;
			i++;
		} else if (length == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			d += put_separator(d, s[i + 2]);
			i += 3;
		} else {
			memcpy(d, s + i, length);
			d += length;
			i += length;
		}
	}
	*d++ = '"';
	return (size_t)(d - start);
}

struct key {
	const char	*name;		/* decoded */
	uint32_t	 length;
	uint32_t	 node;		/* later in the text is larger */
};

struct frame {
	uint32_t	 node;
	uint32_t	 at;		/* the next element, or member */
	uint32_t	 base, count;	/* an object's keys, in members[] */
};

struct emit {
	const struct json_tree	*tree;
	char			*d;		/* where the output goes */
	struct frame		*frames;
	unsigned		 depth;
	uint32_t		*members;	/* sorted keys, stacked */
	uint32_t		 members_used;
	struct key		*keys;
	struct buffer		 names;		/* keys that needed decoding */
};

static int
key_compare(const struct key *a, const struct key *b)
{
	uint32_t n = a->length < b->length ? a->length : b->length;
	int r = memcmp(a->name, b->name, n);

	if (r != 0)
		return r;
	if (a->length != b->length)
		return a->length < b->length ? -1 : 1;
	return a->node < b->node ? -1 : a->node > b->node;
}

static int
key_compare_qsort(const void *a, const void *b)
{
	return key_compare(a, b);
}

static bool
same_name(const struct key *a, const struct key *b)
{
	return a->length == b->length &&
	    memcmp(a->name, b->name, a->length) == 0;
}

static bool
needs_decoding(const struct json_tree_node *node)
{
	return (node->flags & (JT_ESCAPED | JT_BAD_UTF8)) != 0;
}

/* Sorts an object's keys, keeps the last of each name, and pushes the
 * result as a frame. */
static int
open_object(struct emit *e, uint32_t object)
{
	const struct json_tree *t = e->tree;
	struct frame *f = &e->frames[e->depth++];
	uint32_t n = 0, kept = 0;
	size_t decoded = 0;

	for (uint32_t k = json_tree_first(t, object); k != JSON_TREE_NONE;
	    k = json_tree_after(t, object, k))
		if (needs_decoding(&t->nodes[k]))
			/* Decoding at most triples a body (one bad byte
			 * becomes U+FFFD). */
			decoded += 3 * (size_t)(t->nodes[k].end -
			    t->nodes[k].start);
	buffer_clear(&e->names);
	if (decoded > 0 && buffer_reserve(&e->names, decoded) == -1)
		return -1;
	for (uint32_t k = json_tree_first(t, object); k != JSON_TREE_NONE;
	    k = json_tree_after(t, object, k)) {
		const struct json_tree_node *node = &t->nodes[k];
		struct key *key = &e->keys[n++];

		key->node = k;
		if (needs_decoding(node)) {
			key->name = e->names.data + e->names.end;
			key->length = (uint32_t)json_tree_string_decode(t, k,
			    e->names.data + e->names.end,
			    e->names.capacity - e->names.end);
			e->names.end += key->length;
		} else {
			key->name = t->text + node->start + 1;
			key->length = node->end - node->start - 2;
		}
	}
	if (n > 16)
		qsort(e->keys, n, sizeof(*e->keys), key_compare_qsort);
	else
		for (uint32_t i = 1; i < n; i++) {
			struct key moving = e->keys[i];
			uint32_t j = i;

			for (; j > 0 &&
			    key_compare(&e->keys[j - 1], &moving) > 0; j--)
				e->keys[j] = e->keys[j - 1];
			e->keys[j] = moving;
		}
	for (uint32_t i = 0; i < n; i++)
		if (i + 1 == n || !same_name(&e->keys[i], &e->keys[i + 1]))
			e->members[e->members_used + kept++] = e->keys[i].node;
	f->node = object;
	f->base = e->members_used;
	f->count = kept;
	f->at = 0;
	e->members_used += kept;
	*e->d++ = '{';
	return 0;
}

/* Writes a scalar, or opens a container (its contents follow). */
static int
begin_value(struct emit *e, uint32_t v)
{
	const struct json_tree *t = e->tree;
	const struct json_tree_node *node = &t->nodes[v];
	struct frame *f;

	switch (node->type) {
	case JT_OBJECT:
		return open_object(e, v);
	case JT_ARRAY:
		f = &e->frames[e->depth++];
		f->node = v;
		f->at = v + 1;
		*e->d++ = '[';
		return 0;
	case JT_STRING:
		e->d += put_string(e->d, (const unsigned char *)t->text +
		    node->start + 1, node->end - node->start - 2);
		return 0;
	default:
		/* Numbers as written (json.Number); the literals. */
		memcpy(e->d, t->text + node->start, node->end - node->start);
		e->d += node->end - node->start;
		return 0;
	}
}

static int
emit_all(struct emit *e)
{
	const struct json_tree *t = e->tree;

	if (begin_value(e, 0) == -1)
		return -1;
	while (e->depth > 0) {
		struct frame *f = &e->frames[e->depth - 1];
		const struct json_tree_node *node = &t->nodes[f->node];
		uint32_t v;

		if (node->type == JT_ARRAY) {
			if (f->at >= node->next) {
				*e->d++ = ']';
				e->depth--;
				continue;
			}
			if (f->at != f->node + 1)
				*e->d++ = ',';
			v = f->at;
			f->at = t->nodes[v].next;
		} else {
			uint32_t k;

			if (f->at == f->count) {
				*e->d++ = '}';
				e->members_used = f->base;
				e->depth--;
				continue;
			}
			if (f->at > 0)
				*e->d++ = ',';
			k = e->members[f->base + f->at++];
			e->d += put_string(e->d,
			    (const unsigned char *)t->text + t->nodes[k].start +
			    1, t->nodes[k].end - t->nodes[k].start - 2);
			*e->d++ = ':';
			v = k + 1;
		}
		if (begin_value(e, v) == -1)
			return -1;
	}
	return 0;
}

int
deepflow_argument(struct buffer *out, const char *metadata, size_t length,
    char *error, size_t error_size)
{
	struct json_tree tree;
	struct emit e;
	int rc = -1;

	if (json_tree_parse(&tree, metadata, length, error, error_size) == -1)
		return -1;
	memset(&e, 0, sizeof(e));
	e.tree = &tree;
	/* Frames for every level, and room for every key twice: once as
	 * an object's keys being sorted, once on the stack of sorted ones. */
	e.frames = malloc((tree.depth + 1) * sizeof(*e.frames) +
	    tree.count * (sizeof(*e.members) + sizeof(*e.keys)));
	if (e.frames == NULL || buffer_reserve(out, 6 * length + 2) == -1)
		goto oom;
	e.keys = (struct key *)(e.frames + tree.depth + 1);
	e.members = (uint32_t *)(e.keys + tree.count);
	e.d = out->data + out->end;
	if (emit_all(&e) == -1)
		goto oom;
	out->end = (size_t)(e.d - out->data);
	rc = 0;
	goto done;
oom:
	/* out->end has not moved: out holds what it held. */
	snprintf(error, error_size, "out of memory");
done:
	buffer_free(&e.names);
	free(e.frames);
	json_tree_free(&tree);
	return rc;
}
