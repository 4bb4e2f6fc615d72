/*
 * Run statistics (supervisor/output/stats.h): the latency histogram's promise,
 * exact below 16, within 12.5% and never above the true value beyond,
 * whatever the magnitude.  What stats_print writes is in
 * test_stats_print.c.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/output/stats.h"
#include "helpers.h"
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

Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *histogram = tcase_create("histogram");

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
	return s;
}
