/*
 * Run statistics: the latency histogram's promise (exact below 16, within
 * 12.5% and never above the true value beyond, whatever the magnitude) and
 * the --stats=json line, read back by a small strict JSON parser so that
 * "it is JSON" means what a consumer's parser would mean by it.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/stats.h"
#include "suites.h"

/* --- the histogram ------------------------------------------------------ */

/* The estimate of a single sample: every quantile is that sample's. */
static uint64_t
estimate_of(uint64_t value)
{
	struct histogram h;

	memset(&h, 0, sizeof(h));
	histogram_add(&h, value);
	return histogram_quantile(&h, 0.5);
}

/* Never above the true value, and less than an eighth below it. */
static void
assert_within_bucket_error(uint64_t value, uint64_t estimate)
{
	ck_assert_msg(estimate <= value, "%llu estimated as %llu (above)",
	    (unsigned long long)value, (unsigned long long)estimate);
	ck_assert_msg((value - estimate) <= value / 8, "%llu estimated as "
	    "%llu (more than 12.5%% below)", (unsigned long long)value,
	    (unsigned long long)estimate);
}

static uint64_t
next_random(uint64_t *state)
{
	/* xorshift64*: reproducible, no libc state shared with others. */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

START_TEST(test_empty_histogram_gives_zero)
{
	struct histogram h;

	memset(&h, 0, sizeof(h));
	ck_assert_uint_eq(histogram_quantile(&h, 0.0), 0);
	ck_assert_uint_eq(histogram_quantile(&h, 0.5), 0);
	ck_assert_uint_eq(histogram_quantile(&h, 0.99), 0);
	ck_assert_uint_eq(histogram_quantile(&h, 1.0), 0);
}
END_TEST

START_TEST(test_small_values_are_exact)
{
	struct histogram h;

	for (uint64_t v = 0; v < 16; v++)
		ck_assert_uint_eq(estimate_of(v), v);

	/* 0..15 once each: the quantile at rank r is r itself. */
	memset(&h, 0, sizeof(h));
	for (uint64_t v = 0; v < 16; v++)
		histogram_add(&h, v);
	ck_assert_uint_eq(h.count, 16);
	for (unsigned r = 0; r < 16; r++)
		ck_assert_uint_eq(histogram_quantile(&h, (r + 0.5) / 16), r);
}
END_TEST

START_TEST(test_large_values_within_an_eighth_and_never_above)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL;

	/* Every power of two from 16 to 2^40 and its neighbours: the bucket
	 * edges, where an off-by-one would show. */
	for (unsigned e = 4; e <= 40; e++) {
		uint64_t p = 1ULL << e;

		assert_within_bucket_error(p - 1, estimate_of(p - 1));
		ck_assert_uint_eq(estimate_of(p), p);	/* a bucket floor */
		assert_within_bucket_error(p + 1, estimate_of(p + 1));
		assert_within_bucket_error(p + p / 2, estimate_of(p + p / 2));
		assert_within_bucket_error(2 * p - 1, estimate_of(2 * p - 1));
	}
	/* Every value from 16 to 70,000: all of the low buckets. */
	for (uint64_t v = 16; v <= 70000; v++)
		assert_within_bucket_error(v, estimate_of(v));
	/* Random values of random magnitude up to 2^40. */
	for (int i = 0; i < 200000; i++) {
		unsigned bits = 5 + (unsigned)(next_random(&state) % 36);
		uint64_t v = next_random(&state) >> (64 - bits);

		if (v < 16)
			v += 16;
		assert_within_bucket_error(v, estimate_of(v));
	}
}
END_TEST

START_TEST(test_estimates_grow_with_the_value)
{
	uint64_t previous = 0;

	/* A larger sample is never estimated below a smaller one. */
	for (uint64_t v = 0; v < (1ULL << 40); v = v < 64 ? v + 1 :
	    v + v / 37) {
		uint64_t e = estimate_of(v);

		ck_assert_uint_ge(e, previous);
		previous = e;
	}
}
END_TEST

/* The sample at the quantile's rank (rank = q * n, as the histogram
 * ranks), from the sorted samples. */
static uint64_t
true_quantile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)(q * (double)n);

	return sorted[rank < n ? rank : n - 1];
}

static int
compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(test_quantiles_of_uniform_1_to_10000)
{
	static const double qs[] = { 0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999,
	    1.0 };
	uint64_t *samples = calloc(10000, sizeof(*samples));
	struct histogram h;
	uint64_t p50, p99;

	ck_assert_ptr_nonnull(samples);
	memset(&h, 0, sizeof(h));
	/* Added in a scrambled order: the histogram must not care. */
	for (uint64_t i = 0; i < 10000; i++) {
		uint64_t v = (i * 7919) % 10000 + 1;

		samples[i] = v;
		histogram_add(&h, v);
	}
	ck_assert_uint_eq(h.count, 10000);
	qsort(samples, 10000, sizeof(*samples), compare_u64);
	p50 = histogram_quantile(&h, 0.5);
	p99 = histogram_quantile(&h, 0.99);
	/* Near 5000 and 9900, and only below, by less than an eighth. */
	ck_assert_msg(p50 <= 5001 && p50 >= 5001 - 5001 / 8, "p50 %llu",
	    (unsigned long long)p50);
	ck_assert_msg(p99 <= 9901 && p99 >= 9901 - 9901 / 8, "p99 %llu",
	    (unsigned long long)p99);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		assert_within_bucket_error(true_quantile(samples, 10000, qs[i]),
		    histogram_quantile(&h, qs[i]));
	free(samples);
}
END_TEST

START_TEST(test_quantiles_of_a_two_humped_distribution)
{
	struct histogram h;

	/* 90% fast calls at 120 us, 10% slow ones at 250 ms: p50 must be
	 * the fast hump, p95 and p99 the slow one. */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 9000; i++)
		histogram_add(&h, 120);
	for (int i = 0; i < 1000; i++)
		histogram_add(&h, 250000);
	assert_within_bucket_error(120, histogram_quantile(&h, 0.5));
	assert_within_bucket_error(120, histogram_quantile(&h, 0.0));
	assert_within_bucket_error(120, histogram_quantile(&h, 0.8999));
	assert_within_bucket_error(250000, histogram_quantile(&h, 0.9));
	assert_within_bucket_error(250000, histogram_quantile(&h, 0.95));
	assert_within_bucket_error(250000, histogram_quantile(&h, 0.99));
	assert_within_bucket_error(250000, histogram_quantile(&h, 1.0));
}
END_TEST

START_TEST(test_quantiles_across_magnitudes)
{
	enum { N = 41 * 1000 };
	uint64_t *samples = calloc(N, sizeof(*samples)), state = 12345;
	struct histogram h;
	uint64_t previous = 0;

	/* Log-uniform from 1 to 2^40: each magnitude equally likely. */
	ck_assert_ptr_nonnull(samples);
	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < N; i++) {
		unsigned bits = 1 + (unsigned)(i % 40);

		samples[i] = (next_random(&state) >> (64 - bits)) | 1;
		histogram_add(&h, samples[i]);
	}
	qsort(samples, N, sizeof(*samples), compare_u64);
	for (int i = 0; i <= 1000; i++) {
		double q = i / 1000.0;
		uint64_t e = histogram_quantile(&h, q);

		assert_within_bucket_error(true_quantile(samples, N, q), e);
		ck_assert_uint_ge(e, previous);	/* monotonic in q */
		previous = e;
	}
	free(samples);
}
END_TEST

START_TEST(test_huge_values_do_not_overflow)
{
	static const uint64_t huge[] = {
		1ULL << 40, (1ULL << 47) - 1, 1ULL << 47, 1ULL << 48,
		(1ULL << 48) + 12345, 1ULL << 56, 1ULL << 63, UINT64_MAX - 1,
		UINT64_MAX,
	};
	struct histogram h;

	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		uint64_t e = estimate_of(huge[i]);

		/* Beyond the histogram's range the estimate may be coarse,
		 * but it must stay a huge value, never wrap around to a
		 * small one nor exceed the sample. */
		ck_assert_msg(e <= huge[i] && e >= (1ULL << 40), "%llu -> %llu",
		    (unsigned long long)huge[i], (unsigned long long)e);
	}

	/* A few absurd samples among ordinary ones leave the median
	 * alone and sit at the top. */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 1000; i++)
		histogram_add(&h, 500);
	for (int i = 0; i < 10; i++)
		histogram_add(&h, UINT64_MAX);
	ck_assert_uint_eq(h.count, 1010);
	assert_within_bucket_error(500, histogram_quantile(&h, 0.5));
	ck_assert_uint_ge(histogram_quantile(&h, 1.0), 1ULL << 40);

	/* The same huge value a million times: counts, not values, are
	 * summed. */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 1000000; i++)
		histogram_add(&h, UINT64_MAX);
	ck_assert_uint_eq(h.count, 1000000);
	ck_assert_uint_ge(histogram_quantile(&h, 0.5), 1ULL << 40);
}
END_TEST

/* --- a strict JSON parser, for reading --stats=json back ---------------- */

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

static bool parse_value(struct parser *, struct json *, int depth);

static bool
parse_fail(struct parser *ps, const char *what)
{
	if (ps->error[0] == '\0')
		snprintf(ps->error, sizeof(ps->error), "%s at byte %.20s", what,
		    ps->p);
	return false;
}

static void
skip_space(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static void
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

static void
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

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if none. */
static size_t
utf8_length(const unsigned char *s, size_t available)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (available < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool
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

static bool
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
			n = utf8_length((const unsigned char *)ps->p,
			    (size_t)(ps->end - ps->p));
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

static bool
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

static bool
parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return parse_fail(ps, "unexpected byte");
	ps->p += n;
	return true;
}

static void
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

static bool
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

static bool
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

static void
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
static bool
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

static const struct json *
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
static void
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

START_TEST(test_parser_rejects_what_is_not_json)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{'a':1}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":\"\x01\"}",
		"{\"a\":\"\xff\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":1}{}", "{\"a\":1,\"a\":2}", "{\"a\":tru}", "nul",
		"{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
	};
	static const char *const good[] = {
		"{}", " {\"a\":[1,-2.5e+3,true,false,null,\"\\u00e9\\ud83d"
		    "\\ude00\"]}\n", "[]", "0", "\"\xc3\xa9\"",
	};
	char error[200];
	struct json v;

	/* The checks below are only as strict as this parser. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!json_parse(bad[i], strlen(bad[i]), &v, error,
		    sizeof(error)), "accepted: %s", bad[i]);
		json_free(&v);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(json_parse(good[i], strlen(good[i]), &v, error,
		    sizeof(error)), "rejected %s: %s", good[i], error);
		json_free(&v);
	}
}
END_TEST

/* --- stats_print -------------------------------------------------------- */

/* Runs stats_print into memory; the caller frees the text. */
static char *
print_stats(bool json, const struct run_stats *run,
    const char *const *names, const struct plugin_stats *plugins,
    size_t count, double elapsed, size_t *length)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, length);

	ck_assert_ptr_nonnull(f);
	stats_print(f, json, run, names, plugins, count, elapsed);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

static const char *const kind_names[ERROR_KIND_COUNT] = {
	"timeout", "memory", "error", "crash", "sandbox", "bad-return",
	"quarantined", "load",
};

START_TEST(test_json_stats_is_one_object_with_the_documented_fields)
{
	const char *const names[] = { "10-opengauss", "20-deployment",
	    "30-idle" };
	struct plugin_stats plugins[3];
	struct run_stats run;
	struct json root;
	const struct json *list;
	char *text, error[200];
	size_t length;

	memset(&run, 0, sizeof(run));
	memset(plugins, 0, sizeof(plugins));
	run.records = 1234;
	run.by_status[STATUS_RESOLVED] = 1000;
	run.by_status[STATUS_UNRESOLVED] = 200;
	run.by_status[STATUS_UNSUPPORTED] = 30;
	run.by_status[STATUS_INVALID] = 4;
	plugins[0].calls = 1230;
	for (int k = 0; k < ERROR_KIND_COUNT; k++)
		plugins[0].errors[k] = (uint64_t)(k + 1) * 11;
	plugins[0].restarts = 7;
	plugins[0].quarantines = 2;
	plugins[0].quarantined = true;
	for (uint64_t v = 1; v <= 10000; v++)
		histogram_add(&plugins[0].latency_us, v);
	plugins[1].calls = 42;
	plugins[1].errors[ERROR_CRASH] = 3;
	histogram_add(&plugins[1].latency_us, 7);
	/* plugins[2]: never called, every count 0, no latency. */

	text = print_stats(true, &run, names, plugins, 3, 2.5, &length);
	ck_assert_uint_eq(strlen(text), length);
	/* One line: the whole of it one JSON object. */
	ck_assert_msg(length > 0 && text[length - 1] == '\n' &&
	    memchr(text, '\n', length - 1) == NULL, "%s", text);
	ck_assert_msg(json_parse(text, length, &root, error, sizeof(error)),
	    "%s: %s", error, text);
	ck_assert_int_eq(root.type, J_OBJECT);

	assert_count(&root, "records", 1234);
	ck_assert_int_eq(member(&root, "seconds")->type, J_NUMBER);
	ck_assert_double_eq_tol(strtod(member(&root, "seconds")->text, NULL),
	    2.5, 1e-9);
	assert_count(&root, "resolved", 1000);
	assert_count(&root, "unresolved", 200);
	assert_count(&root, "unsupported", 30);
	assert_count(&root, "invalid", 4);

	list = member(&root, "plugins");
	ck_assert_int_eq(list->type, J_ARRAY);
	ck_assert_uint_eq(list->count, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct json *p = &list->items[i], *name, *errors, *lat;

		ck_assert_int_eq(p->type, J_OBJECT);
		name = member(p, "name");
		ck_assert_int_eq(name->type, J_STRING);
		ck_assert_str_eq(name->text, names[i]);
		assert_count(p, "calls", plugins[i].calls);
		errors = member(p, "errors");
		ck_assert_int_eq(errors->type, J_OBJECT);
		ck_assert_uint_eq(errors->count, ERROR_KIND_COUNT);
		for (int k = 0; k < ERROR_KIND_COUNT; k++)
			assert_count(errors, kind_names[k],
			    plugins[i].errors[k]);
		assert_count(p, "restarts", plugins[i].restarts);
		assert_count(p, "quarantines", plugins[i].quarantines);
		ck_assert_int_eq(member(p, "quarantined")->type,
		    plugins[i].quarantined ? J_TRUE : J_FALSE);
		lat = member(p, "latency_us");
		ck_assert_int_eq(lat->type, J_OBJECT);
		assert_count(lat, "p50",
		    histogram_quantile(&plugins[i].latency_us, 0.5));
		assert_count(lat, "p99",
		    histogram_quantile(&plugins[i].latency_us, 0.99));
	}
	/* The figures themselves, from the rules: uniform 1..10000 and one
	 * sample of 7; nothing for a plugin never called. */
	{
		const struct json *lat = member(&list->items[0], "latency_us");
		unsigned long long p50 = strtoull(member(lat, "p50")->text,
		    NULL, 10), p99 = strtoull(member(lat, "p99")->text, NULL,
		    10);

		ck_assert(p50 <= 5001 && p50 >= 5001 - 5001 / 8);
		ck_assert(p99 <= 9901 && p99 >= 9901 - 9901 / 8);
		assert_count(member(&list->items[1], "latency_us"), "p50", 7);
		assert_count(member(&list->items[2], "latency_us"), "p99", 0);
	}
	json_free(&root);
	free(text);
}
END_TEST

START_TEST(test_json_stats_counts_are_exact_at_their_limits)
{
	const char *const names[] = { "p" };
	struct plugin_stats plugin;
	struct run_stats run;
	struct json root;
	const struct json *p;
	char *text, error[200];
	size_t length;

	/* Counters beyond 2^53 must not go through a double. */
	memset(&run, 0, sizeof(run));
	memset(&plugin, 0, sizeof(plugin));
	run.records = UINT64_MAX;
	run.by_status[STATUS_RESOLVED] = (1ULL << 53) + 1;
	plugin.calls = UINT64_MAX - 1;
	plugin.errors[ERROR_LOAD] = UINT64_MAX;
	plugin.restarts = 1ULL << 63;
	histogram_add(&plugin.latency_us, UINT64_MAX);

	text = print_stats(true, &run, names, &plugin, 1, 0.0, &length);
	ck_assert_msg(json_parse(text, length, &root, error, sizeof(error)),
	    "%s: %s", error, text);
	assert_count(&root, "records", UINT64_MAX);
	assert_count(&root, "resolved", (1ULL << 53) + 1);
	assert_count(&root, "unresolved", 0);
	p = &member(&root, "plugins")->items[0];
	assert_count(p, "calls", UINT64_MAX - 1);
	assert_count(member(p, "errors"), "load", UINT64_MAX);
	assert_count(p, "restarts", 1ULL << 63);
	assert_count(member(p, "latency_us"), "p99",
	    histogram_quantile(&plugin.latency_us, 0.99));
	json_free(&root);
	free(text);
}
END_TEST

START_TEST(test_json_stats_with_no_plugins)
{
	struct run_stats run;
	struct json root;
	char *text, error[200];
	size_t length;

	memset(&run, 0, sizeof(run));
	text = print_stats(true, &run, NULL, NULL, 0, 0.0, &length);
	ck_assert_msg(json_parse(text, length, &root, error, sizeof(error)),
	    "%s: %s", error, text);
	assert_count(&root, "records", 0);
	ck_assert_int_eq(member(&root, "plugins")->type, J_ARRAY);
	ck_assert_uint_eq(member(&root, "plugins")->count, 0);
	json_free(&root);
	free(text);
}
END_TEST

START_TEST(test_json_stats_escapes_hostile_plugin_names)
{
	/* A plugin's name is its file name: any byte but '/' and NUL. */
	static const struct {
		const char *name;
		const char *decoded;	/* what a JSON parser must read */
	} cases[] = {
		{ "quote\"and\\backslash", "quote\"and\\backslash" },
		{ "new\nline\rand\ttab", "new\nline\rand\ttab" },
		{ "bell\x07" "esc\x1b" "del\x7f" "x01\x01",
		    "bell\x07" "esc\x1b" "del\x7f" "x01\x01" },
		{ "\",\"calls\":999,\"x\":\"", "\",\"calls\":999,\"x\":\"" },
		{ "}]}\n{\"records\":0", "}]}\n{\"records\":0" },
		{ "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80",
		    "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80" },
		/* Not UTF-8: each bad byte becomes U+FFFD. */
		{ "bad\xff" "byte", "bad\xef\xbf\xbd" "byte" },
		{ "trunc\xc3", "trunc\xef\xbf\xbd" },
		{ "overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate\xed\xa0\x80",
		    "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "", "" },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	const char *names[N];
	struct plugin_stats plugins[N];
	struct run_stats run;
	struct json root;
	const struct json *list;
	char *text, error[200];
	size_t length;

	memset(&run, 0, sizeof(run));
	memset(plugins, 0, sizeof(plugins));
	for (size_t i = 0; i < N; i++) {
		names[i] = cases[i].name;
		plugins[i].calls = i;
	}
	text = print_stats(true, &run, names, plugins, N, 1.0, &length);
	/* Still one line: a newline in a name must not end it. */
	ck_assert_msg(memchr(text, '\n', length - 1) == NULL, "%s", text);
	ck_assert_msg(json_parse(text, length, &root, error, sizeof(error)),
	    "%s: %s", error, text);
	assert_count(&root, "records", 0);
	list = member(&root, "plugins");
	ck_assert_uint_eq(list->count, N);
	for (size_t i = 0; i < N; i++) {
		const struct json *name = member(&list->items[i], "name");

		ck_assert_int_eq(name->type, J_STRING);
		ck_assert_msg(name->length == strlen(cases[i].decoded) &&
		    memcmp(name->text, cases[i].decoded, name->length) == 0,
		    "name %zu read back wrong", i);
		/* Each plugin's own counts stay with it. */
		assert_count(&list->items[i], "calls", i);
	}
	json_free(&root);
	free(text);
}
END_TEST

START_TEST(test_human_stats_summary)
{
	const char *const names[] = { "a", "b" };
	struct plugin_stats plugins[2];
	struct run_stats run;
	char *text;
	size_t length;

	memset(&run, 0, sizeof(run));
	memset(plugins, 0, sizeof(plugins));
	run.records = 10;
	run.by_status[STATUS_RESOLVED] = 6;
	run.by_status[STATUS_UNRESOLVED] = 3;
	run.by_status[STATUS_INVALID] = 1;
	plugins[0].calls = 9;
	plugins[0].restarts = 2;
	plugins[0].errors[ERROR_CRASH] = 2;
	plugins[0].errors[ERROR_TIMEOUT] = 1;
	plugins[1].calls = 5;
	plugins[1].quarantined = true;
	text = print_stats(false, &run, names, plugins, 2, 2.0, &length);
	ck_assert_msg(strstr(text, "luaward: 10 records in 2.000 s (5/s): 6 "
	    "resolved, 3 unresolved, 0 unsupported, 1 invalid\n") != NULL,
	    "%s", text);
	ck_assert_msg(strstr(text, "luaward: plugin a: 9 calls, p50 0 us, "
	    "p99 0 us, 2 restarts, errors: timeout 1 crash 2\n") != NULL,
	    "%s", text);
	ck_assert_msg(strstr(text, "luaward: plugin b: 5 calls, p50 0 us, "
	    "p99 0 us, 0 restarts, quarantined\n") != NULL, "%s", text);
	free(text);
}
END_TEST

Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *histogram = tcase_create("histogram");
	TCase *print = tcase_create("print");

	tcase_set_timeout(histogram, 120);
	tcase_add_test(histogram, test_empty_histogram_gives_zero);
	tcase_add_test(histogram, test_small_values_are_exact);
	tcase_add_test(histogram,
	    test_large_values_within_an_eighth_and_never_above);
	tcase_add_test(histogram, test_estimates_grow_with_the_value);
	tcase_add_test(histogram, test_quantiles_of_uniform_1_to_10000);
	tcase_add_test(histogram, test_quantiles_of_a_two_humped_distribution);
	tcase_add_test(histogram, test_quantiles_across_magnitudes);
	tcase_add_test(histogram, test_huge_values_do_not_overflow);
	suite_add_tcase(s, histogram);

	tcase_add_test(print, test_parser_rejects_what_is_not_json);
	tcase_add_test(print,
	    test_json_stats_is_one_object_with_the_documented_fields);
	tcase_add_test(print, test_json_stats_counts_are_exact_at_their_limits);
	tcase_add_test(print, test_json_stats_with_no_plugins);
	tcase_add_test(print, test_json_stats_escapes_hostile_plugin_names);
	tcase_add_test(print, test_human_stats_summary);
	suite_add_tcase(s, print);
	return s;
}
