/*
 * libFuzzer target for the record reader (supervisor/input/reader.h).
 *
 * An input is two bytes of set-up, then the bytes to read.  The first
 * chooses the limits (the defaults, or small ones that the input can
 * reach), the second the chunking (one byte at a time, or chunk sizes
 * drawn from a generator it seeds).  The bytes are read in those chunks,
 * and again whole, and every promise of reader.h is checked; a broken one
 * aborts:
 *   - reader_feed consumes at most what it is given, and makes progress;
 *   - a valid record's metadata is one JSON object in compact form (no
 *     insignificant white space), no larger than the limit;
 *   - an invalid record has an error naming the source and a line, and no
 *     metadata or identity;
 *   - the identity fields and the event type are valid UTF-8;
 *   - lines are 1-based, and there are no more records than input bytes;
 *   - the records (validity, metadata, identity, event, error, line) are
 *     the same however the input is cut.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../supervisor/input/reader.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(condition) do {						\
	if (!(condition))						\
		__builtin_trap();					\
} while (0)

/* --- an independent check of compact JSON --------------------------------- */

/* Length of the valid UTF-8 character at s, or 0. */
static size_t
utf8_char(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t need;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n <= need)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need + 1;
}

static bool
valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, k; i < n; i += k)
		if ((k = utf8_char(p + i, n - i)) == 0)
			return false;
	return true;
}

struct cursor {
	const unsigned char	*p, *end;
};

static bool compact_value(struct cursor *, int depth);

static bool
accept(struct cursor *c, unsigned char byte)
{
	if (c->p < c->end && *c->p == byte) {
		c->p++;
		return true;
	}
	return false;
}

static bool
hex_digit(unsigned char x)
{
	return (x >= '0' && x <= '9') || (x >= 'a' && x <= 'f') ||
	    (x >= 'A' && x <= 'F');
}

static bool
compact_string(struct cursor *c)
{
	if (!accept(c, '"'))
		return false;
	while (c->p < c->end) {
		size_t k;

		if (*c->p == '"') {
			c->p++;
			return true;
		}
		if (*c->p == '\\') {
			if (c->end - c->p < 2)
				return false;
			if (c->p[1] == 'u') {
				if (c->end - c->p < 6 || !hex_digit(c->p[2]) ||
				    !hex_digit(c->p[3]) || !hex_digit(c->p[4]) ||
				    !hex_digit(c->p[5]))
					return false;
				c->p += 6;
			} else if (strchr("\"\\/bfnrt", c->p[1]) != NULL &&
			    c->p[1] != '\0')
				c->p += 2;
			else
				return false;
			continue;
		}
		if (*c->p < 0x20)
			return false;
		if ((k = utf8_char(c->p, (size_t)(c->end - c->p))) == 0)
			return false;
		c->p += k;
	}
	return false;
}

static bool
digits(struct cursor *c)
{
	const unsigned char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start;
}

static bool
compact_number(struct cursor *c)
{
	accept(c, '-');
	if (accept(c, '0')) {
		if (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			return false;
	} else if (!digits(c))
		return false;
	if (accept(c, '.') && !digits(c))
		return false;
	if (accept(c, 'e') || accept(c, 'E')) {
		if (!accept(c, '+'))
			accept(c, '-');
		if (!digits(c))
			return false;
	}
	return true;
}

static bool
literal(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool
compact_container(struct cursor *c, int depth)
{
	bool object = *c->p == '{';
	unsigned char close = object ? '}' : ']';

	c->p++;
	if (accept(c, close))
		return true;
	do {
		if (object && (!compact_string(c) || !accept(c, ':')))
			return false;
		if (!compact_value(c, depth + 1))
			return false;
	} while (accept(c, ','));
	return accept(c, close);
}

static bool
compact_value(struct cursor *c, int depth)
{
	if (c->p >= c->end || depth > 4096)
		return false;
	switch (*c->p) {
	case '{':
	case '[':
		return compact_container(c, depth);
	case '"':
		return compact_string(c);
	case 't':
		return literal(c, "true");
	case 'f':
		return literal(c, "false");
	case 'n':
		return literal(c, "null");
	}
	return compact_number(c);
}

/* One JSON object, in compact form, and nothing after it. */
static bool
compact_object(const char *s, size_t n)
{
	struct cursor c = { (const unsigned char *)s,
	    (const unsigned char *)s + n };

	return n > 0 && s[0] == '{' && compact_value(&c, 0) && c.p == c.end;
}

/* --- records ------------------------------------------------------------- */

struct rec {
	bool		 invalid;
	char		*metadata, *uid, *namespace, *name, *event, *error;
	size_t		 metadata_length, uid_length, namespace_length;
	size_t		 name_length, event_length;
	uint64_t	 line;
};

struct recs {
	struct rec	*v;
	size_t		 n, capacity;
};

static char *
copy(const char *s, size_t n)
{
	char *out = malloc(n + 1);

	CHECK(out != NULL);
	if (n > 0)
		memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static void
add(struct recs *recs, const struct record *r, size_t max_record)
{
	struct rec *rec;

	CHECK(r->metadata != NULL && r->uid != NULL && r->namespace != NULL &&
	    r->name != NULL && r->event != NULL);
	CHECK(r->line >= 1);
	CHECK(valid_utf8(r->uid, r->uid_length));
	CHECK(valid_utf8(r->namespace, r->namespace_length));
	CHECK(valid_utf8(r->name, r->name_length));
	CHECK(valid_utf8(r->event, r->event_length));
	if (r->invalid) {
		CHECK(r->error != NULL &&
		    strncmp(r->error, "fuzz: line ", 11) == 0);
		CHECK(r->metadata_length == 0 && r->uid_length == 0 &&
		    r->namespace_length == 0 && r->name_length == 0);
	} else {
		CHECK(r->metadata_length <= max_record);
		CHECK(compact_object(r->metadata, r->metadata_length));
	}
	if (recs->n == recs->capacity) {
		recs->capacity = recs->capacity ? 2 * recs->capacity : 8;
		recs->v = realloc(recs->v, recs->capacity * sizeof(*recs->v));
		CHECK(recs->v != NULL);
	}
	rec = &recs->v[recs->n++];
	rec->invalid = r->invalid;
	rec->metadata = copy(r->metadata, r->metadata_length);
	rec->metadata_length = r->metadata_length;
	rec->uid = copy(r->uid, r->uid_length);
	rec->uid_length = r->uid_length;
	rec->namespace = copy(r->namespace, r->namespace_length);
	rec->namespace_length = r->namespace_length;
	rec->name = copy(r->name, r->name_length);
	rec->name_length = r->name_length;
	rec->event = copy(r->event, r->event_length);
	rec->event_length = r->event_length;
	rec->error = r->invalid ? copy(r->error, strlen(r->error)) : NULL;
	rec->line = r->line;
}

static void
recs_free(struct recs *recs)
{
	for (size_t i = 0; i < recs->n; i++) {
		free(recs->v[i].metadata);
		free(recs->v[i].uid);
		free(recs->v[i].namespace);
		free(recs->v[i].name);
		free(recs->v[i].event);
		free(recs->v[i].error);
	}
	free(recs->v);
}

static bool
same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static bool
same(const struct rec *a, const struct rec *b)
{
	return a->invalid == b->invalid && a->line == b->line &&
	    same_bytes(a->metadata, a->metadata_length, b->metadata,
	    b->metadata_length) &&
	    same_bytes(a->uid, a->uid_length, b->uid, b->uid_length) &&
	    same_bytes(a->namespace, a->namespace_length, b->namespace,
	    b->namespace_length) &&
	    same_bytes(a->name, a->name_length, b->name, b->name_length) &&
	    same_bytes(a->event, a->event_length, b->event,
	    b->event_length) &&
	    (a->error == NULL) == (b->error == NULL) &&
	    (a->error == NULL || strcmp(a->error, b->error) == 0);
}

/* xorshift64*: chunk sizes from a seed. */
static uint64_t
next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* The records of data read in chunks: 0 is all at once, 1 one byte at a
 * time, anything else seeds random sizes up to chunking % 64 + 1. */
static void
read_all(const struct reader_limits *limits, const uint8_t *data,
    size_t size, unsigned chunking, struct recs *recs)
{
	struct reader *reader = reader_new(limits, "fuzz");
	uint64_t state = 0x9e3779b97f4a7c15ULL ^ chunking;
	struct record record;
	size_t at = 0;

	while (at < size) {
		size_t chunk = size - at;

		if (chunking == 1)
			chunk = 1;
		else if (chunking > 1) {
			size_t most = chunking % 64 + 1;

			chunk = 1 + (size_t)(next_random(&state) % most);
			if (chunk > size - at)
				chunk = size - at;
		}
		while (chunk > 0) {
			bool ready;
			size_t used = reader_feed(reader, (const char *)data +
			    at, chunk, &record, &ready);

			CHECK(used != (size_t)-1 && used <= chunk);
			CHECK(used > 0 || ready);
			if (ready)
				add(recs, &record, limits->max_record);
			at += used;
			chunk -= used;
		}
	}
	if (reader_finish(reader, &record))
		add(recs, &record, limits->max_record);
	reader_free(reader);
	/* Every record comes from at least one byte of its own, but the
	 * last, which the end of input may make. */
	CHECK(recs->n <= size + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader_limits limits = {
		READER_DEFAULT_MAX_RECORD, READER_DEFAULT_MAX_DEPTH
	};
	struct recs whole = { 0 }, cut = { 0 };
	unsigned chunking;

	if (size < 2)
		return 0;
	switch (data[0] % 4) {
	case 1:
		limits.max_depth = 1 + (unsigned)(data[0] >> 2) % 8;
		break;
	case 2:
		limits.max_record = 2 + (size_t)(data[0] >> 2) * 4;
		break;
	case 3:
		limits.max_depth = 1 + (unsigned)(data[0] >> 2) % 8;
		limits.max_record = 2 + (size_t)(data[0] >> 2) * 4;
		break;
	}
	chunking = data[1] == 0 ? 1 : 2u + data[1];
	read_all(&limits, data + 2, size - 2, 0, &whole);
	read_all(&limits, data + 2, size - 2, chunking, &cut);
	CHECK(whole.n == cut.n);
	for (size_t i = 0; i < whole.n; i++)
		CHECK(same(&whole.v[i], &cut.v[i]));
	recs_free(&whole);
	recs_free(&cut);
	return 0;
}
