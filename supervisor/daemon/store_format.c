/*
 * The store's file formats (store_format.h): writing them, and reading
 * them back with every field checked, since a file on disk may be
 * truncated, damaged or written by someone else.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sha2.h>

#include "../log.h"
#include "store_format.h"

#define MANIFEST_MAGIC	"luaward-store 1"
#define PLUGIN_MAGIC	"luaward-plugin 1"

/* The longest files the formats can produce fit the sizes read back: a
 * manifest line is at most 186 bytes, a header at most 235. */
_Static_assert(STORE_MANIFEST_MAX >= 256 + STORE_MAX_PLUGINS * 186,
    "STORE_MANIFEST_MAX too small for a full chain");
_Static_assert(STORE_HEADER_MAX > 235, "STORE_HEADER_MAX too small");

bool
store_name_valid(const char *name)
{
	size_t i;

	if (name == NULL)
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9');

		if (i == STORE_MAX_NAME || !(alnum || (i > 0 &&
		    (c == '.' || c == '_' || c == '-'))))
			return false;
	}
	return i > 0;
}

void
store_sha256(const char *bytes, size_t length, char hex[STORE_SHA256_HEX + 1])
{
	SHA256Data((const uint8_t *)bytes, length, hex);
}

void
store_file_name(char out[STORE_FILE_NAME_SIZE], const char *name,
    uint64_t generation)
{
	snprintf(out, STORE_FILE_NAME_SIZE, "%s@%" PRIu64 ".lua", name,
	    generation);
}

/* A decimal number without sign or leading zeros, at most max. */
static int
parse_number(const char *s, size_t length, uint64_t max, uint64_t *value)
{
	uint64_t v = 0;

	if (length == 0 || (s[0] == '0' && length > 1))
		return -1;
	for (size_t i = 0; i < length; i++) {
		unsigned digit = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (max - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*value = v;
	return 0;
}

static bool
is_sha256(const char *s, size_t length)
{
	if (length != STORE_SHA256_HEX)
		return false;
	for (size_t i = 0; i < length; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return false;
	return true;
}

/* A name given as bytes (not NUL-ended) into a NUL-ended copy. */
static int
copy_name(const char *s, size_t length, char name[STORE_MAX_NAME + 1])
{
	if (length == 0 || length > STORE_MAX_NAME)
		return -1;
	memcpy(name, s, length);
	name[length] = '\0';
	return store_name_valid(name) ? 0 : -1;
}

int
store_parse_file_name(const char *file, char name[STORE_MAX_NAME + 1],
    uint64_t *generation)
{
	const char *at = strrchr(file, '@');
	size_t length = strlen(file);
	const char *suffix;

	if (at == NULL || length < 4)
		return -1;
	suffix = file + length - 4;
	if (suffix < at + 1 || strcmp(suffix, ".lua") != 0 ||
	    copy_name(file, (size_t)(at - file), name) == -1 ||
	    parse_number(at + 1, (size_t)(suffix - (at + 1)), UINT64_MAX,
	    generation) == -1 ||
	    *generation == 0)
		return -1;
	return 0;
}

/* Lines of a file, one at a time. */
struct cursor {
	const char	*p, *end;
	unsigned	 line;
};

/* The next line without its newline; -1 when no newline ends it. */
static int
next_line(struct cursor *c, const char **line, size_t *length)
{
	const char *newline = memchr(c->p, '\n', (size_t)(c->end - c->p));

	c->line++;		/* the line wanted, there or not */
	if (newline == NULL)
		return -1;
	*line = c->p;
	*length = (size_t)(newline - c->p);
	c->p = newline + 1;
	return 0;
}

/*
 * Splits a line into exactly want words separated by single spaces.
 * Returns 0, or -1 when the line has another shape.
 */
static int
split(const char *line, size_t length, size_t want, const char **words,
    size_t *lengths)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= length; i++) {
		if (i < length && line[i] != ' ')
			continue;
		if (i == start || n == want)
			return -1;
		words[n] = line + start;
		lengths[n++] = i - start;
		start = i + 1;
	}
	return n == want ? 0 : -1;
}

static bool
word_is(const char *word, size_t length, const char *s)
{
	return length == strlen(s) && memcmp(word, s, length) == 0;
}

/* A line "key value": returns the value, or -1. */
static int
header_field(struct cursor *c, const char *key, const char **value,
    size_t *length)
{
	const char *line, *words[2];
	size_t line_length, lengths[2];

	if (next_line(c, &line, &line_length) == -1 ||
	    split(line, line_length, 2, words, lengths) == -1 ||
	    !word_is(words[0], lengths[0], key))
		return -1;
	*value = words[1];
	*length = lengths[1];
	return 0;
}

size_t
store_format_header(char out[STORE_HEADER_MAX], const struct store_ref *ref)
{
	int n = snprintf(out, STORE_HEADER_MAX, PLUGIN_MAGIC "\nname %s\n"
	    "generation %" PRIu64 "\ncreated %" PRId64 "\nsha256 %s\n"
	    "length %zu\n\n", ref->name, ref->generation, ref->created,
	    ref->sha256, ref->length);

	return n > 0 ? (size_t)n : 0;
}

int
store_parse_plugin(const char *data, size_t length, struct store_ref *ref,
    const char **source, char *error, size_t error_size)
{
	struct cursor c = { data, data + (length < STORE_HEADER_MAX ? length :
	    STORE_HEADER_MAX), 0 };
	const char *line, *value;
	size_t line_length, value_length;
	uint64_t number;
	char digest[STORE_SHA256_HEX + 1];

	memset(ref, 0, sizeof(*ref));
	if (next_line(&c, &line, &line_length) == -1 ||
	    !word_is(line, line_length, PLUGIN_MAGIC))
		return error_set(error, error_size, "not a luaward plugin file");
	if (header_field(&c, "name", &value, &value_length) == -1 ||
	    copy_name(value, value_length, ref->name) == -1)
		return error_set(error, error_size, "header line %u: expected "
		    "\"name NAME\"", c.line);
	if (header_field(&c, "generation", &value, &value_length) == -1 ||
	    parse_number(value, value_length, UINT64_MAX,
	    &ref->generation) == -1 || ref->generation == 0)
		return error_set(error, error_size, "header line %u: expected "
		    "\"generation N\"", c.line);
	if (header_field(&c, "created", &value, &value_length) == -1 ||
	    parse_number(value, value_length, INT64_MAX, &number) == -1)
		return error_set(error, error_size, "header line %u: expected "
		    "\"created SECONDS\"", c.line);
	ref->created = (int64_t)number;
	if (header_field(&c, "sha256", &value, &value_length) == -1 ||
	    !is_sha256(value, value_length))
		return error_set(error, error_size, "header line %u: expected "
		    "\"sha256 HEX\"", c.line);
	memcpy(ref->sha256, value, STORE_SHA256_HEX);
	if (header_field(&c, "length", &value, &value_length) == -1 ||
	    parse_number(value, value_length, STORE_MAX_SOURCE, &number) == -1)
		return error_set(error, error_size, "header line %u: expected "
		    "\"length BYTES\" of at most %u", c.line,
		    STORE_MAX_SOURCE);
	ref->length = (size_t)number;
	if (next_line(&c, &line, &line_length) == -1 || line_length != 0)
		return error_set(error, error_size, "header line %u: expected the "
		    "empty line that ends the header", c.line);
	if ((size_t)(data + length - c.p) != ref->length)
		return error_set(error, error_size, "source is %zu bytes, the "
		    "header says %zu (truncated or grown)",
		    (size_t)(data + length - c.p), ref->length);
	store_sha256(c.p, ref->length, digest);
	if (strcmp(digest, ref->sha256) != 0)
		return error_set(error, error_size, "source does not match the "
		    "header's sha256 (damaged)");
	*source = c.p;
	return 0;
}

int
store_format_manifest(struct buffer *out, const struct store_ref *const *refs,
    size_t count, uint64_t next_generation)
{
	char line[STORE_HEADER_MAX], digest[STORE_SHA256_HEX + 1];
	size_t begin = buffer_length(out);
	int n, failed;

	n = snprintf(line, sizeof(line), MANIFEST_MAGIC "\nnext-generation %"
	    PRIu64 "\n", next_generation);
	failed = buffer_append(out, line, (size_t)n);
	for (size_t i = 0; i < count; i++) {
		n = snprintf(line, sizeof(line), "plugin %s %" PRIu64 " %"
		    PRId64 " %s %zu\n", refs[i]->name, refs[i]->generation,
		    refs[i]->created, refs[i]->sha256, refs[i]->length);
		failed |= buffer_append(out, line, (size_t)n);
	}
	if (failed)
		return -1;
	store_sha256(buffer_bytes(out) + begin, buffer_length(out) - begin,
	    digest);
	n = snprintf(line, sizeof(line), "end %s\n", digest);
	return buffer_append(out, line, (size_t)n);
}

/* One "plugin NAME GEN CREATED SHA LEN" line into ref. */
static int
parse_manifest_line(const char *line, size_t length, struct store_ref *ref)
{
	const char *w[6];
	size_t l[6];
	uint64_t number;

	if (split(line, length, 6, w, l) == -1 ||
	    !word_is(w[0], l[0], "plugin") ||
	    copy_name(w[1], l[1], ref->name) == -1 ||
	    parse_number(w[2], l[2], UINT64_MAX, &ref->generation) == -1 ||
	    ref->generation == 0 ||
	    parse_number(w[3], l[3], INT64_MAX, &number) == -1 ||
	    !is_sha256(w[4], l[4]))
		return -1;
	ref->created = (int64_t)number;
	memcpy(ref->sha256, w[4], STORE_SHA256_HEX);
	ref->sha256[STORE_SHA256_HEX] = '\0';
	if (parse_number(w[5], l[5], STORE_MAX_SOURCE, &number) == -1)
		return -1;
	ref->length = (size_t)number;
	return 0;
}

int
store_parse_manifest(const char *data, size_t length, struct store_ref **refs,
    size_t *count, uint64_t *next_generation, char *error, size_t error_size)
{
	struct cursor c = { data, data, 0 };
	const char *line, *last, *w[2];
	size_t line_length, l[2], n = 0;
	char digest[STORE_SHA256_HEX + 1];
	struct store_ref *out;

	/* The checksum line first: it tells a truncated or edited file. */
	if (length == 0 || data[length - 1] != '\n')
		return error_set(error, error_size, "does not end with a whole line "
		    "(truncated)");
	for (last = data + length - 1; last > data && last[-1] != '\n'; last--)
		;
	if (split(last, (size_t)(data + length - 1 - last), 2, w, l) == -1 ||
	    !word_is(w[0], l[0], "end") || !is_sha256(w[1], l[1]))
		return error_set(error, error_size, "does not end with its checksum "
		    "line (truncated)");
	store_sha256(data, (size_t)(last - data), digest);
	if (memcmp(digest, w[1], STORE_SHA256_HEX) != 0)
		return error_set(error, error_size, "checksum does not match "
		    "(damaged or edited)");
	c.end = last;
	if (next_line(&c, &line, &line_length) == -1 ||
	    !word_is(line, line_length, MANIFEST_MAGIC))
		return error_set(error, error_size, "line 1: expected \"%s\"",
		    MANIFEST_MAGIC);
	if (header_field(&c, "next-generation", &w[0], &l[0]) == -1 ||
	    parse_number(w[0], l[0], UINT64_MAX, next_generation) == -1 ||
	    *next_generation == 0)
		return error_set(error, error_size, "line 2: expected "
		    "\"next-generation N\"");
	if ((out = calloc(STORE_MAX_PLUGINS, sizeof(*out))) == NULL)
		return error_set(error, error_size, "out of memory");
	while (next_line(&c, &line, &line_length) == 0) {
		struct store_ref *ref = &out[n];

		if (n == STORE_MAX_PLUGINS) {
			error_set(error, error_size, "line %u: more than %d plugins",
			    c.line, STORE_MAX_PLUGINS);
			goto bad;
		}
		if (parse_manifest_line(line, line_length, ref) == -1) {
			error_set(error, error_size, "line %u: expected \"plugin "
			    "NAME GENERATION CREATED SHA256 LENGTH\"", c.line);
			goto bad;
		}
		if (ref->generation >= *next_generation) {
			error_set(error, error_size, "line %u: generation %" PRIu64
			    " is not below next-generation", c.line,
			    ref->generation);
			goto bad;
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(out[i].name, ref->name) == 0 ||
			    out[i].generation == ref->generation) {
				error_set(error, error_size, "line %u: plugin %s or "
				    "its generation listed twice", c.line,
				    ref->name);
				goto bad;
			}
		n++;
	}
	*refs = out;
	*count = n;
	return 0;
bad:
	free(out);
	return -1;
}
