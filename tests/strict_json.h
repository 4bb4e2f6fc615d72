/*
 * A small strict JSON parser (no trailing commas, leading zeros, bad
 * escapes, lone surrogates or invalid UTF-8, and no key twice in an
 * object), for reading back what luaward prints, so that "it is JSON"
 * means what a consumer's parser would mean by it; with checks of an
 * object's members.
 * Used by test_stats_print.c, whose first test holds it to that.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_STRICT_JSON_H
#define LUAWARD_TESTS_STRICT_JSON_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8_reference.h"

enum json_type {
	J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT,
};

struct json {
	enum json_type	 type;
	char		*text;		/* number: as written; string: decoded */
	size_t		 length;
	struct json	*items;		/* array elements, object values */
	char		**keys;		/* object keys, decoded */
	size_t		*key_lengths;
	size_t		 count;
};

struct parser {
	const char	*p, *end;
	char		 error[160];
};

static inline bool parse_value(struct parser *, struct json *,
    int depth);

static inline bool
parse_fail(struct parser *ps, const char *what)
{
	if (ps->error[0] == '\0')
		snprintf(ps->error, sizeof(ps->error), "%s at byte %.20s", what,
		    ps->p);
	return false;
}

static inline void
skip_space(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static inline void
put_byte(char **out, size_t *length, size_t *capacity, unsigned char c)
{
	if (*length + 1 >= *capacity) {
		*capacity = *capacity ? *capacity * 2 : 32;
		*out = realloc(*out, *capacity);
		ck_assert_ptr_nonnull(*out);
	}
	(*out)[(*length)++] = (char)c;
	(*out)[*length] = '\0';
}

static inline void
put_utf8(char **out, size_t *length, size_t *capacity, uint32_t cp)
{
	if (cp < 0x80)
		put_byte(out, length, capacity, (unsigned char)cp);
	else if (cp < 0x800) {
		put_byte(out, length, capacity, (unsigned char)(0xc0 | cp >> 6));
		put_byte(out, length, capacity,
		    (unsigned char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put_byte(out, length, capacity,
		    (unsigned char)(0xe0 | cp >> 12));
		put_byte(out, length, capacity,
		    (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
		put_byte(out, length, capacity,
		    (unsigned char)(0x80 | (cp & 0x3f)));
	} else {
		put_byte(out, length, capacity,
		    (unsigned char)(0xf0 | cp >> 18));
		put_byte(out, length, capacity,
		    (unsigned char)(0x80 | (cp >> 12 & 0x3f)));
		put_byte(out, length, capacity,
		    (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
		put_byte(out, length, capacity,
		    (unsigned char)(0x80 | (cp & 0x3f)));
	}
}

static inline bool
parse_hex4(struct parser *ps, uint32_t *value)
{
	*value = 0;
	if (ps->end - ps->p < 4)
		return parse_fail(ps, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;

		*value <<= 4;
		if (c >= '0' && c <= '9')
			*value |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*value |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*value |= (uint32_t)(c - 'A' + 10);
		else
			return parse_fail(ps, "bad \\u escape");
	}
	return true;
}

static inline bool
parse_string(struct parser *ps, char **out, size_t *length)
{
	size_t capacity = 0;

	*out = NULL;
	*length = 0;
	put_byte(out, length, &capacity, 0);
	*length = 0;
	if (ps->p >= ps->end || *ps->p != '"')
		return parse_fail(ps, "expected a string");
	ps->p++;
	for (;;) {
		unsigned char c;
		size_t n;

		if (ps->p >= ps->end)
			return parse_fail(ps, "unterminated string");
		c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			return true;
		}
		if (c < 0x20)
			return parse_fail(ps, "raw control byte in a string");
		if (c != '\\') {
			uint32_t ignored;

			n = reference_decode((const unsigned char *)ps->p,
			    (size_t)(ps->end - ps->p), &ignored);
			if (n == 0)
				return parse_fail(ps, "invalid UTF-8");
			for (size_t i = 0; i < n; i++)
				put_byte(out, length, &capacity,
				    (unsigned char)*ps->p++);
			continue;
		}
		if (++ps->p >= ps->end)
			return parse_fail(ps, "unterminated escape");
		switch (*ps->p++) {
		case '"': put_byte(out, length, &capacity, '"'); break;
		case '\\': put_byte(out, length, &capacity, '\\'); break;
		case '/': put_byte(out, length, &capacity, '/'); break;
		case 'b': put_byte(out, length, &capacity, '\b'); break;
		case 'f': put_byte(out, length, &capacity, '\f'); break;
		case 'n': put_byte(out, length, &capacity, '\n'); break;
		case 'r': put_byte(out, length, &capacity, '\r'); break;
		case 't': put_byte(out, length, &capacity, '\t'); break;
		case 'u': {
			uint32_t cp, low;

			if (!parse_hex4(ps, &cp))
				return false;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return parse_fail(ps, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 2 || ps->p[0] != '\\' ||
				    ps->p[1] != 'u')
					return parse_fail(ps, "lone high "
					    "surrogate");
				ps->p += 2;
				if (!parse_hex4(ps, &low))
					return false;
				if (low < 0xdc00 || low > 0xdfff)
					return parse_fail(ps, "bad surrogate "
					    "pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (low - 0xdc00);
			}
			put_utf8(out, length, &capacity, cp);
			break;
		}
		default:
			return parse_fail(ps, "unknown escape");
		}
	}
}

static inline bool
parse_number(struct parser *ps, struct json *v)
{
	const char *start = ps->p;

	/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (ps->p < ps->end && *ps->p >= '1' && *ps->p <= '9')
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	else
		return parse_fail(ps, "bad number");
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return parse_fail(ps, "bad fraction");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return parse_fail(ps, "bad exponent");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	v->type = J_NUMBER;
	v->length = (size_t)(ps->p - start);
	v->text = strndup(start, v->length);
	ck_assert_ptr_nonnull(v->text);
	return true;
}

static inline bool
parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return parse_fail(ps, "unexpected byte");
	ps->p += n;
	return true;
}

static inline void
add_item(struct json *v)
{
	v->items = realloc(v->items, (v->count + 1) * sizeof(*v->items));
	ck_assert_ptr_nonnull(v->items);
	memset(&v->items[v->count], 0, sizeof(*v->items));
	if (v->type == J_OBJECT) {
		v->keys = realloc(v->keys, (v->count + 1) * sizeof(*v->keys));
		v->key_lengths = realloc(v->key_lengths,
		    (v->count + 1) * sizeof(*v->key_lengths));
		ck_assert_ptr_nonnull(v->keys);
		ck_assert_ptr_nonnull(v->key_lengths);
		v->keys[v->count] = NULL;
	}
	v->count++;
}

static inline bool
parse_container(struct parser *ps, struct json *v, int depth)
{
	char closing = *ps->p == '{' ? '}' : ']';

	v->type = closing == '}' ? J_OBJECT : J_ARRAY;
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == closing) {
		ps->p++;
		return true;
	}
	for (;;) {
		add_item(v);
		skip_space(ps);
		if (v->type == J_OBJECT) {
			size_t i = v->count - 1;

			if (!parse_string(ps, &v->keys[i], &v->key_lengths[i]))
				return false;
			/* Legal JSON, but a consumer would keep only one. */
			for (size_t k = 0; k < i; k++)
				if (v->key_lengths[k] == v->key_lengths[i] &&
				    memcmp(v->keys[k], v->keys[i],
				    v->key_lengths[i]) == 0)
					return parse_fail(ps, "duplicate key");
			skip_space(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return parse_fail(ps, "expected ':'");
			ps->p++;
		}
		if (!parse_value(ps, &v->items[v->count - 1], depth + 1))
			return false;
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == closing) {
			ps->p++;
			return true;
		}
		return parse_fail(ps, "expected ',' or the container's end");
	}
}

static inline bool
parse_value(struct parser *ps, struct json *v, int depth)
{
	if (depth > 64)
		return parse_fail(ps, "too deep");
	skip_space(ps);
	if (ps->p >= ps->end)
		return parse_fail(ps, "unexpected end");
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, v, depth);
	case '"':
		v->type = J_STRING;
		return parse_string(ps, &v->text, &v->length);
	case 't':
		v->type = J_TRUE;
		return parse_literal(ps, "true");
	case 'f':
		v->type = J_FALSE;
		return parse_literal(ps, "false");
	case 'n':
		v->type = J_NULL;
		return parse_literal(ps, "null");
	default:
		return parse_number(ps, v);
	}
}

static inline void
json_free(struct json *v)
{
	for (size_t i = 0; i < v->count; i++) {
		json_free(&v->items[i]);
		if (v->type == J_OBJECT)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->key_lengths);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

/* The whole text must be exactly one JSON value (space around allowed). */
static inline bool
json_parse(const char *text, size_t length, struct json *v, char *error,
    size_t error_size)
{
	struct parser ps = { text, text + length, "" };
	bool ok;

	memset(v, 0, sizeof(*v));
	ok = parse_value(&ps, v, 0);
	if (ok) {
		skip_space(&ps);
		if (ps.p != ps.end)
			ok = parse_fail(&ps, "text after the value");
	}
	if (!ok)
		snprintf(error, error_size, "%s", ps.error);
	return ok;
}

static inline const struct json *
member(const struct json *object, const char *key)
{
	ck_assert_int_eq(object->type, J_OBJECT);
	for (size_t i = 0; i < object->count; i++)
		if (object->key_lengths[i] == strlen(key) &&
		    memcmp(object->keys[i], key, strlen(key)) == 0)
			return &object->items[i];
	ck_abort_msg("no member \"%s\"", key);
	return NULL;
}

/* A non-negative integer, written as such (no sign, fraction or
 * exponent), compared exactly rather than through a double. */
static inline void
assert_count(const struct json *object, const char *key, uint64_t expected)
{
	const struct json *v = member(object, key);
	unsigned long long n;

	ck_assert_msg(v->type == J_NUMBER, "\"%s\" is not a number", key);
	ck_assert_msg(strspn(v->text, "0123456789") == v->length,
	    "\"%s\" is %s, not a count", key, v->text);
	n = strtoull(v->text, NULL, 10);
	ck_assert_msg(n == expected, "\"%s\" is %s, expected %llu", key,
	    v->text, (unsigned long long)expected);
}

#endif
