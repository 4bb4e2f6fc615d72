/*
 * Documents for the dkjson differential suite, from a seeded generator:
 * values in dkjson's loose grammar with every escape, surrogates paired,
 * lone and reversed, raw bytes (invalid UTF-8, controls, NUL), numbers at
 * tonumber's edges and isspace's six bytes; hostile variants cut, spliced
 * with dkjson.lua's extensions and errors, and mutated; and pods' metadata
 * like bench/genpods makes.
 *
 * Everything here is static.
 */
#ifndef LUAWARD_TESTS_DKJSON_CORPUS_H
#define LUAWARD_TESTS_DKJSON_CORPUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct doc {
	char	*p;
	size_t	 length, size;
};

static inline void
put(struct doc *d, const void *bytes, size_t length)
{
	if (d->length + length + 1 > d->size) {
		d->size = (d->length + length + 1) * 2;
		d->p = realloc(d->p, d->size);
		REQUIRE(d->p != NULL, "out of memory");
	}
	memcpy(d->p + d->length, bytes, length);
	d->length += length;
	d->p[d->length] = '\0';
}

static inline void
put_text(struct doc *d, const char *text)
{
	put(d, text, strlen(text));
}

static inline void
put_byte(struct doc *d, int c)
{
	char b = (char)c;

	put(d, &b, 1);
}

static inline const char *
pick(uint64_t *rng, const char *const *list, size_t count)
{
	return list[next_random(rng) % count];
}
#define PICK(rng, list)	pick(rng, list, sizeof(list) / sizeof((list)[0]))

static inline bool
chance(uint64_t *rng, unsigned percent)
{
	return next_random(rng) % 100 < percent;
}

/* Every byte isspace() takes: dkjson's %S skips \v and \f too. */
static inline void
gen_space(uint64_t *rng, struct doc *d)
{
	while (chance(rng, 20))
		put_byte(d, " \t\n\r\v\f"[next_random(rng) % 6]);
}

static inline void
gen_hex4(uint64_t *rng, struct doc *d, unsigned value)
{
	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned digit = value >> shift & 0xf;

		put_byte(d, (chance(rng, 50) ? "0123456789abcdef" :
		    "0123456789ABCDEF")[digit]);
	}
}

static inline void
gen_string(uint64_t *rng, struct doc *d)
{
	static const char *const utf8[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe4\xb8\xad",
		"\xef\xbb\xbf", "\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80",
	};
	int pieces = (int)(next_random(rng) % 9);

	put_byte(d, '"');
	for (int i = 0; i < pieces; i++) {
		uint64_t r = next_random(rng);
		unsigned hi = 0xd800 + (unsigned)(r >> 8 & 0x3ff);
		unsigned lo = 0xdc00 + (unsigned)(r >> 20 & 0x3ff);

		switch (r % 11) {
		case 0:
			for (unsigned n = (unsigned)(r >> 8 & 15); n > 0; n--)
				put_byte(d, 'a' + (int)(next_random(rng) % 26));
			break;
		case 1:
			put_text(d, PICK(rng, utf8));
			break;
		case 2:		/* invalid UTF-8, raw */
			put_byte(d, 0x80 + (int)(r >> 8 & 0x7f));
			break;
		case 3:		/* control bytes, NUL included, raw */
			put_byte(d, (int)(r >> 8 & 0x1f));
			break;
		case 4:
			put_byte(d, '\\');
			put_byte(d, "\"\\/bfnrt"[r >> 8 & 7]);
			break;
		case 5:
			put_text(d, "\\u");
			gen_hex4(rng, d, (unsigned)(r >> 8 & 0xffff));
			break;
		case 6:		/* a pair */
			put_text(d, "\\u");
			gen_hex4(rng, d, hi);
			put_text(d, "\\u");
			gen_hex4(rng, d, lo);
			break;
		case 7:		/* lone, reversed, doubled surrogates */
			put_text(d, "\\u");
			gen_hex4(rng, d, r & 0x100000 ? hi : lo);
			if (r & 0x200000) {
				put_text(d, "\\u");
				gen_hex4(rng, d, r & 0x400000 ? hi : lo);
			} else if (r & 0x800000)
				put_text(d, "\\n");
			break;
		case 8:		/* any other escaped byte is itself */
			put_byte(d, '\\');
			put_byte(d, (r >> 8 & 0xff) == 'u' ? 'x' :
			    (int)(r >> 8 & 0xff));
			break;
		case 9:
			put_byte(d, ' ');
			break;
		default:
			put_text(d, "\\u0000");
			break;
		}
	}
	put_byte(d, '"');
}

/* Numbers tonumber() converts, at its edges: dkjson's pattern is wider
 * than JSON's (leading zeros, ".5", "1."). */
static inline void
gen_number(uint64_t *rng, struct doc *d)
{
	static const char *const edges[] = {
		"0", "-0", "0.0", "-0.0", "1", "-1", "1e308", "1e309",
		"-1e309", "1e-400", "4.9e-324", "2.2250738585072014e-308",
		"1.7976931348623157e308", "9007199254740993",
		"9007199254740992", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "18446744073709551616", "1E+2",
		"1e2", "1E-2", "1e+0", "01", "007", "-01", ".5", "-.5", "1.",
		"1.e3", "0.1", "3.141592653589793", "0e0", "-0e-0", "1.5E+300",
		"123456789012345678901234567890", "00.00",
		"0000000000000000001",
	};

	if (chance(rng, 40)) {
		put_text(d, PICK(rng, edges));
		return;
	}
	if (chance(rng, 30))
		put_byte(d, '-');
	for (unsigned n = 1 + (unsigned)(next_random(rng) % 20); n > 0; n--)
		put_byte(d, '0' + (int)(next_random(rng) % 10));
	if (chance(rng, 40)) {
		put_byte(d, '.');
		for (unsigned n = (unsigned)(next_random(rng) % 12); n > 0;
		    n--)
			put_byte(d, '0' + (int)(next_random(rng) % 10));
	}
	if (chance(rng, 30)) {
		put_byte(d, chance(rng, 50) ? 'e' : 'E');
		if (chance(rng, 60))
			put_byte(d, chance(rng, 50) ? '+' : '-');
		for (unsigned n = 1 + (unsigned)(next_random(rng) % 3); n > 0;
		    n--)
			put_byte(d, '0' + (int)(next_random(rng) % 10));
	}
}

static inline void gen_value(uint64_t *, struct doc *, int);
static inline void gen_table(uint64_t *, struct doc *, int, bool);

/* A key: often from a small pool (duplicates), sometimes no string at
 * all (dkjson takes any value but null as a key). */
static inline void
gen_key(uint64_t *rng, struct doc *d, int depth)
{
	static const char *const pool[] = {
		"\"a\"", "\"b\"", "\"\"", "\"kind\"", "\"\\u0061\"", "1", "1.0",
		"true", "false", "2",
	};

	if (chance(rng, 40))
		put_text(d, PICK(rng, pool));
	else if (chance(rng, 95))
		gen_string(rng, d);
	else if (chance(rng, 50))
		gen_number(rng, d);
	else
		gen_table(rng, d, depth + 3, chance(rng, 50));
}

/* A table in dkjson's loose grammar: trailing and missing commas, bare
 * values in objects, pairs in arrays. */
static inline void
gen_table(uint64_t *rng, struct doc *d, int depth, bool object)
{
	int members = (int)(next_random(rng) % 7);

	put_byte(d, object ? '{' : '[');
	for (int i = 0; i < members; i++) {
		gen_space(rng, d);
		if (object ? chance(rng, 95) : chance(rng, 5)) {
			gen_key(rng, d, depth);
			gen_space(rng, d);
			put_byte(d, ':');
			gen_space(rng, d);
		}
		gen_value(rng, d, depth + 1);
		gen_space(rng, d);
		if (i + 1 < members || chance(rng, 5))
			put_text(d, chance(rng, 95) ? "," : " ");
	}
	gen_space(rng, d);
	put_byte(d, object ? '}' : ']');
}

static inline void
gen_value(uint64_t *rng, struct doc *d, int depth)
{
	static const char *const names[] = { "true", "false", "null" };
	uint64_t r = next_random(rng) % 100;

	gen_space(rng, d);
	if (depth < 6 && r < 20)
		gen_table(rng, d, depth, true);
	else if (depth < 6 && r < 40)
		gen_table(rng, d, depth, false);
	else if (r < 65)
		gen_string(rng, d);
	else if (r < 85)
		gen_number(rng, d);
	else
		put_text(d, PICK(rng, names));
}

/* Something after the value: never read, but the position says where
 * the value ended. */
static inline void
gen_document(uint64_t *rng, struct doc *d)
{
	static const char *const trailers[] = {
		"", "", "", " ", " x", " ,", "}]", "//", "\xef\xbb\xbf", " 1",
	};

	d->length = 0;
	gen_value(rng, d, 0);
	gen_space(rng, d);
	put_text(d, PICK(rng, trailers));
}

/* What dkjson.lua alone handles, and its errors, spliced in. */
static inline void
mutate(uint64_t *rng, struct doc *d)
{
	static const char *const splices[] = {
		"/*c*/", "//c\n", "// c", "/* c", "\xef\xbb\xbf", "\xef\xbb",
		"\xef", "/", ",", ":", ",,", "\\u12", "\\u-001", "\\u 1f",
		"\\u12 ", "\\uD800\\u 12", "\\u+0FF", "\"", "\\", "{", "}", "[",
		"]", "1.2.3", "--1", "1e", "+1", "0x1F", "nul", "nullx", "True",
		"Infinity", "NaN", "-", ".", "null:", "[null:1]",
	};
	int changes = 1 + (int)(next_random(rng) % 3);

	for (int i = 0; i < changes; i++) {
		size_t at = d->length > 0 ? next_random(rng) % (d->length + 1) :
		    0;
		uint64_t r = next_random(rng) % 4;

		if (r == 0) {
			d->length = at;
		} else if (r == 1 && at < d->length) {
			d->p[at] = (char)(next_random(rng) & 0xff);
		} else {
			const char *s = PICK(rng, splices);
			size_t n = strlen(s), tail = d->length - at;
			char *rest = malloc(tail + 1);

			REQUIRE(rest != NULL, "out of memory");
			memcpy(rest, d->p + at, tail);
			d->length = at;
			put(d, s, n);
			put(d, rest, tail);
			free(rest);
		}
	}
}

/* One pod's metadata as the supervisor passes it, like bench/genpods. */
static inline void
gen_pod(uint64_t *rng, struct doc *d, long i, bool pretty)
{
	static const char *const kinds[] = {
		"OpenGaussCluster", "ReplicaSet", "DaemonSet", "StatefulSet",
	};
	const char *sep = pretty ? "\n    " : "";
	uint64_t a = next_random(rng), b = next_random(rng);
	char text[2048];

	snprintf(text, sizeof(text), "{%s\"annotations\":%s{\"checksum/config\""
	    ":\"%016llx%016llx\",\"cni.projectcalico.org/podIP\":"
	    "\"10.%u.%u.%u/32\",\"note\":\"caf\\u00e9 \\/ \\\"x\\\"\\n\\t"
	    "\xe4\xb8\xad\\ud83d\\ude00\"},%s\"creationTimestamp\":"
	    "\"2024-08-07T02:08:14Z\",%s\"labels\":{\"app\":\"app-%ld\","
	    "\"pod-template-generation\":\"1\"},%s\"name\":\"pod-%ld-%05llx\","
	    "\"namespace\":\"ns-%ld\",%s\"ownerReferences\":[{\"apiVersion\":"
	    "\"apps/v1\",\"blockOwnerDeletion\":true,\"controller\":true,"
	    "\"kind\":\"%s\",\"name\":\"owner-%ld\",\"uid\":\"%08llx-1111-4000"
	    "-8000-%012llx\"}],%s\"resourceVersion\":\"%ld\",\"generation\":"
	    "%ld,\"weight\":%ld.5,\"deletionGracePeriodSeconds\":null,"
	    "\"finalizers\":[],\"uid\":\"%08llx-2222-4000-8000-%012llx\"}",
	    sep, sep, (unsigned long long)a, (unsigned long long)b,
	    (unsigned)(i >> 16 & 255), (unsigned)(i >> 8 & 255),
	    (unsigned)(i & 255), sep, sep, i % 97, sep, i,
	    (unsigned long long)(b & 0xfffff), i % 13, sep,
	    kinds[a % 4], i % 500, (unsigned long long)(a & 0xffffffff),
	    (unsigned long long)(b & 0xffffffffffffULL), sep, 1000000 + i,
	    i % 7, i, (unsigned long long)(b & 0xffffffff),
	    (unsigned long long)(a & 0xffffffffffffULL));
	d->length = 0;
	put_text(d, text);
}

#endif
