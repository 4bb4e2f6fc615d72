/*
 * utf8_sequence_length (supervisor/json.h), which the reader and the JSON
 * writer use to walk text: exact lengths at every boundary of the UTF-8
 * rules, never a byte read past what is available, and agreement with the
 * reference decoder over every two-byte prefix and every four-byte string
 * of boundary bytes.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/json.h"
#include "suites.h"
#include "utf8_reference.h"

/* --- utf8_sequence_length ------------------------------------------------ */

/* The bytes are copied to the end of a heap block of exactly their size,
 * so that reading past `available` is caught under AddressSanitizer. */
static size_t
sequence_length(const char *bytes, size_t size, size_t available)
{
	unsigned char *copy = malloc(size > 0 ? size : 1);
	size_t n;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, bytes, size);
	n = utf8_sequence_length(copy + size - available, available);
	free(copy);
	return n;
}

#define SEQUENCE_LENGTH(literal) \
	sequence_length(literal, sizeof(literal) - 1, sizeof(literal) - 1)

START_TEST(test_sequence_length_ascii_is_one)
{
	char c;

	for (unsigned i = 0; i < 0x80; i++) {
		c = (char)i;
		ck_assert_uint_eq(sequence_length(&c, 1, 1), 1);
	}
	/* Whatever follows an ASCII byte. */
	ck_assert_uint_eq(SEQUENCE_LENGTH("A\x80\x80"), 1);
}
END_TEST

START_TEST(test_sequence_length_boundaries)
{
	static const struct {
		const char	*bytes;
		size_t		 length;
	} cases[] = {
		/* two bytes: C2..DF, no overlong C0/C1 */
		{ "\xc2\x80", 2 }, { "\xdf\xbf", 2 }, { "\xc0\x80", 0 },
		{ "\xc1\xbf", 0 }, { "\xc2\x7f", 0 }, { "\xc2\xc0", 0 },
		/* three bytes: E0 needs A0.., ED stops at 9F (surrogates) */
		{ "\xe0\xa0\x80", 3 }, { "\xe0\x9f\xbf", 0 },
		{ "\xe1\x80\x80", 3 }, { "\xec\xbf\xbf", 3 },
		{ "\xed\x80\x80", 3 }, { "\xed\x9f\xbf", 3 },
		{ "\xed\xa0\x80", 0 }, { "\xed\xbf\xbf", 0 },
		{ "\xee\x80\x80", 3 }, { "\xef\xbf\xbf", 3 },
		{ "\xe2\x82\x41", 0 }, { "\xe2\x41\x82", 0 },
		/* four bytes: F0 needs 90.., F4 stops at 8F (U+10FFFF) */
		{ "\xf0\x90\x80\x80", 4 }, { "\xf0\x8f\xbf\xbf", 0 },
		{ "\xf1\x80\x80\x80", 4 }, { "\xf3\xbf\xbf\xbf", 4 },
		{ "\xf4\x8f\xbf\xbf", 4 }, { "\xf4\x90\x80\x80", 0 },
		{ "\xf0\x9f\x98\x41", 0 }, { "\xf0\x9f\x41\x80", 0 },
		/* never a lead */
		{ "\x80\x80", 0 }, { "\xbf\x80", 0 }, { "\xf5\x80\x80\x80", 0 },
		{ "\xf7\xbf\xbf\xbf", 0 }, { "\xf8\x88\x80\x80\x80", 0 },
		{ "\xff", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = strlen(cases[i].bytes);

		ck_assert_msg(sequence_length(cases[i].bytes, size, size) ==
		    cases[i].length, "case %zu: expected %zu", i,
		    cases[i].length);
	}
}
END_TEST

START_TEST(test_sequence_length_cut_short_by_available)
{
	static const char *const sequences[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	};

	for (size_t i = 0; i < 3; i++) {
		size_t size = strlen(sequences[i]);

		ck_assert_uint_eq(sequence_length(sequences[i], size, size),
		    size);
		/* Only the first `available` bytes exist. */
		for (size_t available = 1; available < size; available++)
			ck_assert_uint_eq(sequence_length(sequences[i],
			    available, available), 0);
	}
	/* Nothing available: no sequence, and nothing read. */
	ck_assert_uint_eq(sequence_length("A", 1, 0), 0);
}
END_TEST

START_TEST(test_sequence_length_matches_reference)
{
	unsigned char s[4];
	uint32_t cp;

	for (unsigned a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		REQUIRE(utf8_sequence_length(s, 1) ==
		    reference_decode(s, 1, &cp), "%02x", a);
		for (unsigned b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			REQUIRE(utf8_sequence_length(s, 2) ==
			    reference_decode(s, 2, &cp), "%02x %02x", a, b);
			for (size_t c = 0; c < NINTERESTING; c++) {
				s[2] = interesting[c];
				REQUIRE(utf8_sequence_length(s, 3) ==
				    reference_decode(s, 3, &cp),
				    "%02x %02x %02x", a, b, s[2]);
			}
		}
	}
	for (size_t a = 0; a < NBOUNDARY; a++)
		for (size_t b = 0; b < NBOUNDARY; b++)
			for (size_t c = 0; c < NBOUNDARY; c++)
				for (size_t d = 0; d < NBOUNDARY; d++) {
					s[0] = boundary[a];
					s[1] = boundary[b];
					s[2] = boundary[c];
					s[3] = boundary[d];
					REQUIRE(utf8_sequence_length(s, 4) ==
					    reference_decode(s, 4, &cp),
					    "%02x %02x %02x %02x", s[0], s[1],
					    s[2], s[3]);
				}
}
END_TEST
Suite *
utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *sequence = tcase_create("utf8_sequence_length");

	tcase_set_timeout(sequence, 60);
	tcase_add_test(sequence, test_sequence_length_ascii_is_one);
	tcase_add_test(sequence, test_sequence_length_boundaries);
	tcase_add_test(sequence, test_sequence_length_cut_short_by_available);
	tcase_add_test(sequence, test_sequence_length_matches_reference);
	suite_add_tcase(s, sequence);
	return s;
}
