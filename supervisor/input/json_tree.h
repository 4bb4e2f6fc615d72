/*
 * A read-only index of one JSON text: every value is a node, in document
 * order, pointing into the text (nothing is copied or decoded).  Shared by
 * the owner fallback and the DeepFlow argument builder, which both get a
 * record's metadata as compact text and need to look things up in it or
 * walk it.
 *
 * The grammar is RFC 8259, as Go's encoding/json reads it: insignificant
 * white space is allowed, strings may hold bytes that are not valid UTF-8
 * (each such byte decodes to U+FFFD), \u escapes of lone surrogates decode
 * to U+FFFD, and nesting deeper than JSON_TREE_MAX_DEPTH is refused.
 * Exactly one value: anything after it but white space is an error.
 *
 * Memory: one allocation, 8 bytes per byte of text and a nesting stack of
 * at most 40 KB.
 */
#ifndef LUAWARD_SUPERVISOR_JSON_TREE_H
#define LUAWARD_SUPERVISOR_JSON_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Go's decoder refuses deeper nesting with "exceeded max depth". */
#define JSON_TREE_MAX_DEPTH	10000
/* Offsets are 32-bit. */
#define JSON_TREE_MAX_TEXT	((size_t)INT32_MAX)
#define JSON_TREE_NONE		UINT32_MAX

enum json_tree_type {
	JT_NULL, JT_FALSE, JT_TRUE, JT_NUMBER, JT_STRING, JT_ARRAY, JT_OBJECT,
};

/* String flags: what a consumer may have to decode. */
#define JT_ESCAPED	0x01	/* holds a backslash escape */
#define JT_NON_ASCII	0x02	/* holds bytes >= 0x80 */
#define JT_BAD_UTF8	0x04	/* some of them are not valid UTF-8 */

/*
 * An array's elements follow it; an object's members follow it as a key
 * node (a string) then its value node.  next is the index just past the
 * value and everything inside it, so siblings are reached in one step.
 */
struct json_tree_node {
	uint32_t	 start;		/* first byte ('"' for a string) */
	uint32_t	 end;		/* one past the last byte */
	uint32_t	 next;
	uint8_t		 type;		/* enum json_tree_type */
	uint8_t		 flags;
};

struct json_tree {
	const char		*text;
	struct json_tree_node	*nodes;	/* nodes[0] is the whole value */
	uint32_t		 count;
	unsigned		 depth;		/* the deepest nesting */
};

/*
 * Indexes text.  Returns 0, or -1 with a message naming the byte offset
 * where the text went wrong (or that memory ran out).  The tree points
 * into text, which must outlive it.
 */
int	 json_tree_parse(struct json_tree *, const char *text, size_t length,
	     char *error, size_t error_size);
void	 json_tree_free(struct json_tree *);

/* The value of the last member named key (as Go's decoder keeps the last
 * of duplicate keys), or JSON_TREE_NONE; also when object is not one. */
uint32_t json_tree_member(const struct json_tree *, uint32_t object,
	     const char *key);

/* Whether a string node decodes to exactly the bytes s[0..length). */
bool	 json_tree_string_is(const struct json_tree *, uint32_t string,
	     const char *s, size_t length);

/*
 * Decodes a string node into dst (at most size bytes, not terminated).
 * Returns the decoded length, which is more than size when it did not
 * fit (dst then holds a prefix).
 */
size_t	 json_tree_string_decode(const struct json_tree *, uint32_t string,
	     char *dst, size_t size);

/*
 * The code point of the escape at body[*at] (just after its backslash),
 * as Go decodes it: a \u high surrogate followed by a \u low surrogate is
 * one code point; any other surrogate is U+FFFD.  Advances *at past the
 * escape.  The escape must have been validated by json_tree_parse.
 */
uint32_t json_tree_escape(const char *body, size_t length, size_t *at);

/* Appends the UTF-8 form of cp (at most 4 bytes) at dst; returns its
 * length. */
size_t	 json_tree_put_utf8(char *dst, uint32_t cp);

/* Iteration: the first element or key of a container, and the next. */
static inline uint32_t
json_tree_first(const struct json_tree *t, uint32_t container)
{
	return container + 1 < t->nodes[container].next ? container + 1 :
	    JSON_TREE_NONE;
}

/* The element after element i of container (for an object, i is a key
 * and so is the result). */
static inline uint32_t
json_tree_after(const struct json_tree *t, uint32_t container, uint32_t i)
{
	uint32_t n = t->nodes[t->nodes[container].type == JT_OBJECT ? i + 1 :
	    i].next;

	return n < t->nodes[container].next ? n : JSON_TREE_NONE;
}

#endif
