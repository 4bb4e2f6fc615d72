/*
 * libFuzzer target: the owner fallback and the DeepFlow argument on any
 * bytes.  Besides the sanitizers' checks:
 *   - owner_resolve returns -1 (with a message), 0, or 1 with a type of
 *     its table and a name of 1 to 253 bytes;
 *   - deepflow_argument fails leaving its buffer as it was, or writes
 *     JSON in exactly Go's form (no white space; valid UTF-8; only the
 *     escapes Go writes, each where Go writes it) whose object keys are
 *     sorted and unique at every level, and which it maps to itself.
 * The checker below is separate code from what it checks: it decodes keys
 * itself and compares them decoded.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ipc/buffer.h"
#include "../../supervisor/input/deepflow_argument.h"
#include "../../supervisor/engine/owner.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(condition, what) do {					\
	if (!(condition)) {						\
		fprintf(stderr, "invariant broken: %s\n", what);	\
		abort();						\
	}								\
} while (0)

struct checker {
	const unsigned char	*p, *end;
};

/* The length of a valid UTF-8 sequence at p, or 0. */
static size_t
utf8_length(const unsigned char *p, const unsigned char *end)
{
	size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
	uint32_t cp;

	if (n == 0 || *p > 0xf4 || (size_t)(end - p) < n)
		return 0;
	cp = *p & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int
hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;		/* Go writes lower case only */
}

/* A string in Go's form; its decoded bytes go to *decoded (malloc'd). */
static void
check_string(struct checker *c, unsigned char **decoded, size_t *length)
{
	unsigned char *d;
	size_t n = 0;

	CHECK(c->p < c->end && *c->p == '"', "a string expected");
	c->p++;
	d = malloc((size_t)(c->end - c->p) + 1);
	CHECK(d != NULL, "memory");
	for (;;) {
		unsigned char ch;

		CHECK(c->p < c->end, "unterminated string");
		ch = *c->p;
		if (ch == '"')
			break;
		if (ch == '\\') {
			static const char named[] = "\"\\bfnrt";
			static const char value[] = "\"\\\b\f\n\r\t";
			const char *e;

			CHECK(c->end - c->p >= 2, "cut escape");
			if ((e = strchr(named, c->p[1])) != NULL &&
			    c->p[1] != '\0') {
				d[n++] = (unsigned char)value[e - named];
				c->p += 2;
				continue;
			}
			CHECK(c->p[1] == 'u' && c->end - c->p >= 6,
			    "an escape Go does not write");
			if (memcmp(c->p + 2, "202", 3) == 0 &&
			    (c->p[5] == '8' || c->p[5] == '9')) {
				d[n++] = 0xe2;
				d[n++] = 0x80;
				d[n++] = c->p[5] == '8' ? 0xa8 : 0xa9;
			} else {
				int hi, lo;

				CHECK(c->p[2] == '0' && c->p[3] == '0',
				    "a \\u escape Go does not write");
				hi = hex(c->p[4]);
				lo = hex(c->p[5]);
				CHECK(hi >= 0 && lo >= 0, "bad hex");
				ch = (unsigned char)(hi << 4 | lo);
				CHECK((ch < 0x20 && (ch == 0 ||
				    strchr("\b\f\n\r\t", ch) == NULL)) ||
				    ch == '<' || ch == '>' || ch == '&',
				    "\\u00xx where Go writes something else");
				d[n++] = ch;
			}
			c->p += 6;
			continue;
		}
		CHECK(ch >= 0x20 && ch != '<' && ch != '>' && ch != '&',
		    "a character Go escapes, unescaped");
		if (ch < 0x80) {
			d[n++] = ch;
			c->p++;
		} else {
			size_t k = utf8_length(c->p, c->end);

			CHECK(k > 0, "invalid UTF-8 in the output");
			CHECK(!(k == 3 && c->p[0] == 0xe2 && c->p[1] == 0x80 &&
			    (c->p[2] == 0xa8 || c->p[2] == 0xa9)),
			    "U+2028 or U+2029 unescaped");
			memcpy(d + n, c->p, k);
			n += k;
			c->p += k;
		}
	}
	c->p++;
	*decoded = d;
	*length = n;
}

static bool
digit(const struct checker *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static void
check_number(struct checker *c)
{
	if (*c->p == '-')
		c->p++;
	CHECK(digit(c), "a number without digits");
	if (*c->p++ != '0')
		while (digit(c))
			c->p++;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		CHECK(digit(c), "a fraction without digits");
		while (digit(c))
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		CHECK(digit(c), "an exponent without digits");
		while (digit(c))
			c->p++;
	}
}

static void
check_value(struct checker *c, unsigned depth)
{
	CHECK(depth <= 10000, "deeper than the input may be");
	CHECK(c->p < c->end, "a value expected");
	switch (*c->p) {
	case '{': {
		unsigned char *previous = NULL, *key;
		size_t previous_length = 0, length;

		c->p++;
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return;
		}
		for (;;) {
			check_string(c, &key, &length);
			if (previous != NULL) {
				size_t n = length < previous_length ? length :
				    previous_length;
				int r = memcmp(previous, key, n);

				CHECK(r < 0 || (r == 0 &&
				    previous_length < length),
				    "keys not sorted, or a key twice");
				free(previous);
			}
			previous = key;
			previous_length = length;
			CHECK(c->p < c->end && *c->p == ':', "':' expected");
			c->p++;
			check_value(c, depth + 1);
			CHECK(c->p < c->end, "the output ends in an object");
			if (*c->p == '}')
				break;
			CHECK(*c->p == ',', "',' or '}' expected");
			c->p++;
		}
		free(previous);
		c->p++;
		return;
	}
	case '[':
		c->p++;
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			return;
		}
		for (;;) {
			check_value(c, depth + 1);
			CHECK(c->p < c->end, "the output ends in an array");
			if (*c->p == ']')
				break;
			CHECK(*c->p == ',', "',' or ']' expected");
			c->p++;
		}
		c->p++;
		return;
	case '"': {
		unsigned char *s;
		size_t length;

		check_string(c, &s, &length);
		free(s);
		return;
	}
	case 't':
		CHECK(c->end - c->p >= 4 && memcmp(c->p, "true", 4) == 0,
		    "true");
		c->p += 4;
		return;
	case 'f':
		CHECK(c->end - c->p >= 5 && memcmp(c->p, "false", 5) == 0,
		    "false");
		c->p += 5;
		return;
	case 'n':
		CHECK(c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0,
		    "null");
		c->p += 4;
		return;
	default:
		check_number(c);
		return;
	}
}

static void
check_owner(const uint8_t *data, size_t size)
{
	static const char *types[] = {
		"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet",
		"ReplicationController", "CronJob", "Job",
	};
	struct owner_answer a;
	char error[256] = "";
	int rc = owner_resolve((const char *)data, size, &a, error,
	    sizeof(error));
	bool known = false;

	CHECK(rc >= -1 && rc <= 1, "owner_resolve's result");
	if (rc == -1)
		CHECK(error[0] != '\0', "an error without a message");
	if (rc != 1) {
		CHECK(a.type == NULL, "a type without an answer");
		return;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		known |= strcmp(a.type, types[i]) == 0;
	CHECK(known, "a type outside the table");
	CHECK(a.name_length > 0 && a.name_length <= OWNER_NAME_MAX &&
	    a.name[a.name_length] == '\0', "the answer's name");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer out = { 0 }, again = { 0 };
	char error[256];
	struct checker c;

	check_owner(data, size);
	CHECK(buffer_append(&out, "x", 1) == 0, "memory");
	if (deepflow_argument(&out, (const char *)data, size, error,
	    sizeof(error)) == -1) {
		CHECK(buffer_length(&out) == 1, "output left after an error");
		CHECK(error[0] != '\0', "an error without a message");
		buffer_free(&out);
		return 0;
	}
	c.p = (const unsigned char *)buffer_bytes(&out) + 1;
	c.end = (const unsigned char *)buffer_bytes(&out) + buffer_length(&out);
	check_value(&c, 0);
	CHECK(c.p == c.end, "bytes after the value");
	CHECK(deepflow_argument(&again, buffer_bytes(&out) + 1,
	    buffer_length(&out) - 1, error, sizeof(error)) == 0,
	    "its own output refused");
	CHECK(buffer_length(&again) == buffer_length(&out) - 1 &&
	    memcmp(buffer_bytes(&again), buffer_bytes(&out) + 1,
	    buffer_length(&again)) == 0, "not its own fixed point");
	buffer_free(&again);
	buffer_free(&out);
	return 0;
}
