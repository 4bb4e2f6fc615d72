/*
 * The cleaner of text shown to people (supervisor/output/sanitize.h): every
 * class of byte and character that can act on a terminal or start a line
 * becomes a visible escape, valid UTF-8 otherwise stays readable, a cut
 * never splits a character or an escape, and whatever the input, the
 * output is safe (checked against the UTF-8 reference of the tests).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/buffer.h"
#include "../supervisor/output/sanitize.h"
#include "helpers.h"
#include "suites.h"
#include "utf8_reference.h"

/* The input cleaned with room to spare, newly allocated. */
static char *
clean(const char *text, size_t length)
{
	size_t size = SANITIZE_GROWTH * length + 1;
	char *out = malloc(size);
	size_t n;

	ck_assert_ptr_nonnull(out);
	n = sanitize(out, size, text, length);
	ck_assert_uint_eq(n, strlen(out));
	return out;
}

static void
expect_clean(const char *text, size_t length, const char *expected)
{
	char *out = clean(text, length);

	ck_assert_str_eq(out, expected);
	free(out);
}

#define EXPECT(literal, expected) \
	expect_clean(literal, sizeof(literal) - 1, expected)

/* Code points the cleaner must escape (the header's list, written out
 * again from the Unicode classes it names). */
static bool
must_escape(uint32_t cp)
{
	return cp < 0x20 ? cp != '\t' : cp == 0x7f ||
	    (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	    cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Output is safe: valid UTF-8 with nothing that must be escaped. */
static void
require_safe(const char *out, size_t length)
{
	const unsigned char *p = (const unsigned char *)out;

	for (size_t i = 0; i < length;) {
		uint32_t cp;
		size_t n = reference_decode(p + i, length - i, &cp);

		REQUIRE(n > 0, "invalid UTF-8 at %zu of \"%s\"", i, out);
		REQUIRE(!must_escape(cp), "U+%04X at %zu of \"%s\"",
		    (unsigned)cp, i, out);
		i += n;
	}
}

/* --- what stays ---------------------------------------------------------- */

START_TEST(test_printable_ascii_tab_and_backslash_are_kept)
{
	EXPECT("plugin x: ok\t{\"a\":1} ~ \\x1b \\n", "plugin x: ok\t{\"a\":1} "
	    "~ \\x1b \\n");
	EXPECT("", "");
}
END_TEST

START_TEST(test_valid_utf8_is_kept_readable)
{
	/* Chinese, Latin, the no-break space, U+FFFD, a four-byte emoji,
	 * and the characters right beside the escaped ranges. */
	EXPECT("\xe6\x8f\x92\xe4\xbb\xb6\xe9\x94\x99\xe8\xaf\xaf: "
	    "caf\xc3\xa9 \xc2\xa0 \xef\xbf\xbd \xf0\x9f\x98\x80",
	    "\xe6\x8f\x92\xe4\xbb\xb6\xe9\x94\x99\xe8\xaf\xaf: "
	    "caf\xc3\xa9 \xc2\xa0 \xef\xbf\xbd \xf0\x9f\x98\x80");
	EXPECT("\xd8\x9b\xd8\x9d \xe2\x80\x8d \xe2\x80\x90 \xe2\x80\xa7 "
	    "\xe2\x80\xaf \xe2\x81\xa5 \xe2\x81\xaa \xf4\x8f\xbf\xbf",
	    "\xd8\x9b\xd8\x9d \xe2\x80\x8d \xe2\x80\x90 \xe2\x80\xa7 "
	    "\xe2\x80\xaf \xe2\x81\xa5 \xe2\x81\xaa \xf4\x8f\xbf\xbf");
}
END_TEST

/* --- C0, DEL, ESC -------------------------------------------------------- */

START_TEST(test_newlines_are_escaped)
{
	EXPECT("a\nluaward: forged\r\nb", "a\\nluaward: forged\\r\\nb");
}
END_TEST

START_TEST(test_every_c0_control_but_tab_and_del_are_escaped)
{
	for (unsigned c = 0; c < 0x20; c++) {
		char in[3] = { 'a', (char)c, 'b' }, expected[16];

		if (c == '\t')
			snprintf(expected, sizeof(expected), "a\tb");
		else if (c == '\n')
			snprintf(expected, sizeof(expected), "a\\nb");
		else if (c == '\r')
			snprintf(expected, sizeof(expected), "a\\rb");
		else
			snprintf(expected, sizeof(expected), "a\\x%02xb", c);
		expect_clean(in, sizeof(in), expected);
	}
	EXPECT("\x7f", "\\x7f");
}
END_TEST

START_TEST(test_nul_is_escaped_and_does_not_end_the_text)
{
	EXPECT("a\0b", "a\\x00b");
}
END_TEST

START_TEST(test_escape_sequences_lose_their_escape)
{
	/* CSI colour, OSC title ended by BEL and by ST, a DCS, cursor
	 * movement, a terminal query: ESC is gone from each. */
	EXPECT("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	EXPECT("\x1b]0;title\x07", "\\x1b]0;title\\x07");
	EXPECT("\x1b]8;;http://x\x1b\\link", "\\x1b]8;;http://x\\x1b\\link");
	EXPECT("\x1bP+q544e\x1b\\", "\\x1bP+q544e\\x1b\\");
	EXPECT("\x1b[2J\x1b[H\x1b[6n", "\\x1b[2J\\x1b[H\\x1b[6n");
}
END_TEST

/* --- C1 ------------------------------------------------------------------ */

START_TEST(test_c1_controls_encoded_as_utf8_are_escaped)
{
	for (unsigned cp = 0x80; cp <= 0x9f; cp++) {
		char in[2] = { (char)(0xc0 | cp >> 6), (char)(0x80 | (cp &
		    0x3f)) }, expected[16];

		snprintf(expected, sizeof(expected), "\\u%04x", cp);
		expect_clean(in, sizeof(in), expected);
	}
	/* CSI (U+009B) and OSC (U+009D) as some terminals take them. */
	EXPECT("\xc2\x9b" "31m \xc2\x9d" "0;t\xc2\x9c",
	    "\\u009b31m \\u009d0;t\\u009c");
}
END_TEST

START_TEST(test_raw_c1_bytes_are_escaped)
{
	for (unsigned c = 0x80; c <= 0x9f; c++) {
		char in[1] = { (char)c }, expected[8];

		snprintf(expected, sizeof(expected), "\\x%02x", c);
		expect_clean(in, sizeof(in), expected);
	}
}
END_TEST

/* --- Unicode that reorders or breaks lines ------------------------------- */

START_TEST(test_bidi_controls_are_escaped)
{
	static const uint32_t bidi[] = {
		0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x2066, 0x2067, 0x2068, 0x2069,
	};

	for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++) {
		uint32_t cp = bidi[i];
		char in[3], expected[16];
		size_t n;

		if (cp < 0x800) {
			in[0] = (char)(0xc0 | cp >> 6);
			in[1] = (char)(0x80 | (cp & 0x3f));
			n = 2;
		} else {
			in[0] = (char)(0xe0 | cp >> 12);
			in[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			in[2] = (char)(0x80 | (cp & 0x3f));
			n = 3;
		}
		snprintf(expected, sizeof(expected), "\\u%04x", (unsigned)cp);
		expect_clean(in, n, expected);
	}
	/* The Trojan Source shape: an override that would show the text
	 * reversed. */
	EXPECT("ok \xe2\x80\xae" "dlrow\xe2\x80\xac", "ok \\u202edlrow\\u202c");
}
END_TEST

START_TEST(test_line_and_paragraph_separators_are_escaped)
{
	EXPECT("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "a\\u2028b\\u2029c");
}
END_TEST

/* --- bytes that are not UTF-8 -------------------------------------------- */

START_TEST(test_invalid_utf8_is_escaped_byte_by_byte)
{
	/* Overlong '/', a surrogate, past U+10FFFF, bytes that never
	 * occur, a stray continuation byte. */
	EXPECT("a\xc0\xaf" "b", "a\\xc0\\xafb");
	EXPECT("\xed\xa0\x80", "\\xed\\xa0\\x80");
	EXPECT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	EXPECT("\xf8\x88\x80\x80\x80\xfe\xff", "\\xf8\\x88\\x80\\x80\\x80"
	    "\\xfe\\xff");
	EXPECT("x\xbfy", "x\\xbfy");
}
END_TEST

START_TEST(test_truncated_sequences_are_escaped_and_what_follows_kept)
{
	/* A sequence cut by the end of the text, and one cut by an ASCII
	 * byte or another sequence: the next character survives. */
	EXPECT("\xe4\xb8", "\\xe4\\xb8");
	EXPECT("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	EXPECT("\xe4\xb8z", "\\xe4\\xb8z");
	EXPECT("\xe4\xe4\xb8\xad", "\\xe4\xe4\xb8\xad");
	EXPECT("\xe2\x80\xe2\x80\xae", "\\xe2\\x80\\u202e");
}
END_TEST

/* --- whatever the input --------------------------------------------------- */

START_TEST(test_output_is_always_safe_and_cleaning_is_idempotent)
{
	uint64_t state = 0x5eed5a17;
	unsigned char in[64];
	char out[SANITIZE_GROWTH * sizeof(in) + 1];
	char again[sizeof(out) * SANITIZE_GROWTH];

	for (int round = 0; round < 200000; round++) {
		size_t length = next_random(&state) % sizeof(in), n;

		/* Mostly bytes from the boundaries of the UTF-8 rules, with
		 * whole escaped characters mixed in. */
		for (size_t i = 0; i < length; i++) {
			uint64_t r = next_random(&state);

			in[i] = r % 4 == 0 ? (unsigned char)(r >> 8) :
			    interesting[(r >> 8) % NINTERESTING];
		}
		n = sanitize(out, sizeof(out), (const char *)in, length);
		REQUIRE(n < sizeof(out) && out[n] == '\0' && strlen(out) == n,
		    "length %zu", n);
		require_safe(out, n);
		REQUIRE(sanitize(again, sizeof(again), out, n) == n &&
		    memcmp(again, out, n) == 0, "cleaning \"%s\" again gave "
		    "\"%s\"", out, again);
	}
}
END_TEST

START_TEST(test_a_cut_never_splits_a_character_or_an_escape)
{
	/* Each size from 0 up: the output is a whole prefix of the full
	 * cleaning, and safe. */
	static const char text[] = "a\x1b\xe4\xb8\xad\xe2\x80\xae\xc2\x9b"
	    "\xff\n\xf0\x9f\x98\x80z";
	char *full = clean(text, sizeof(text) - 1);
	char out[128];

	for (size_t size = 0; size <= strlen(full) + 1; size++) {
		size_t n;

		memset(out, '#', sizeof(out));
		n = sanitize(out, size, text, sizeof(text) - 1);
		if (size == 0) {
			ck_assert_uint_eq(n, 0);
			ck_assert_int_eq(out[0], '#');	/* nothing written */
			continue;
		}
		ck_assert_uint_lt(n, size);
		ck_assert_int_eq(out[n], '\0');
		ck_assert_int_eq(strncmp(out, full, n), 0);
		require_safe(out, n);
		/* What follows the cut starts a whole unit of the full
		 * cleaning: a character, or an escape's backslash. */
		ck_assert_msg(n == strlen(full) || full[n] == '\\' ||
		    ((unsigned char)full[n] & 0xc0) != 0x80, "cut at %zu of "
		    "%s", n, full);
		ck_assert_msg(n == strlen(full) || n == 0 ||
		    size - 1 - n < 6, "cut at %zu with %zu free", n, size);
	}
	free(full);
}
END_TEST

START_TEST(test_long_input_is_cleaned_whole)
{
	/* A megabyte of everything at once: no cut, nothing lost. */
	static const char cleaned[] = "\xe4\xb8\xad\\x1b\\u0085z\\n";
	size_t length = 1 << 20, n = 0, unit = sizeof(cleaned) - 1;
	char *in = malloc(length);
	struct buffer b = { 0 };

	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < length; i += 8)
		memcpy(in + i, "\xe4\xb8\xad\x1b\xc2\x85z\n", 8);
	ck_assert_int_eq(sanitize_append(&b, "head:", 5), 0);
	ck_assert_int_eq(sanitize_append(&b, in, length), 0);
	ck_assert_uint_eq(buffer_length(&b), 5 + length / 8 * unit);
	ck_assert_int_eq(memcmp(buffer_bytes(&b), "head:", 5), 0);
	for (const char *p = buffer_bytes(&b) + 5; n < length / 8; n++) {
		REQUIRE(memcmp(p, cleaned, unit) == 0, "unit %zu", n);
		p += unit;
	}
	buffer_free(&b);
	free(in);
}
END_TEST

START_TEST(test_worst_case_growth_fits_the_documented_bound)
{
	char in[256], out[SANITIZE_GROWTH * sizeof(in) + 1];

	memset(in, '\x1b', sizeof(in));
	ck_assert_uint_eq(sanitize(out, sizeof(out), in, sizeof(in)),
	    SANITIZE_GROWTH * sizeof(in));
}
END_TEST

/* --- lines ---------------------------------------------------------------- */

/* What sanitize_print writes of "%s" with a prefix, newly allocated. */
static char *
printed(const char *prefix, const char *argument)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	sanitize_print(f, "%s%s", prefix, argument);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

START_TEST(test_a_printed_line_is_one_line)
{
	char *text = printed("x.lua: ", "a\nluaward: forged\x1b[2J\r");

	ck_assert_str_eq(text, "x.lua: a\\nluaward: forged\\x1b[2J\\r\n");
	free(text);
}
END_TEST

START_TEST(test_a_long_line_is_cut_before_a_character)
{
	/* 3-byte characters from offset 1: the limit falls inside one, and
	 * the line ends before it rather than with half of it escaped. */
	size_t length = SANITIZE_LINE_MAX + 100;
	char *in = malloc(length + 1), *text;

	ck_assert_ptr_nonnull(in);
	in[0] = 'a';
	for (size_t i = 1; i + 3 <= length; i += 3)
		memcpy(in + i, "\xe4\xb8\xad", 3);
	in[length - (length - 1) % 3] = '\0';
	text = printed("", in);
	ck_assert_uint_le(strlen(text), SANITIZE_LINE_MAX + 1);
	ck_assert_uint_eq((strlen(text) - 2) % 3, 0);
	ck_assert_ptr_null(strchr(text, '\\'));
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1);
	free(text);
	free(in);
}
END_TEST

Suite *
sanitize_suite(void)
{
	Suite *s = suite_create("sanitize");
	TCase *kept = tcase_create("kept");
	TCase *escaped = tcase_create("escaped");
	TCase *any = tcase_create("any input");

	tcase_add_test(kept, test_printable_ascii_tab_and_backslash_are_kept);
	tcase_add_test(kept, test_valid_utf8_is_kept_readable);
	suite_add_tcase(s, kept);

	tcase_add_test(escaped, test_newlines_are_escaped);
	tcase_add_test(escaped,
	    test_every_c0_control_but_tab_and_del_are_escaped);
	tcase_add_test(escaped, test_nul_is_escaped_and_does_not_end_the_text);
	tcase_add_test(escaped, test_escape_sequences_lose_their_escape);
	tcase_add_test(escaped, test_c1_controls_encoded_as_utf8_are_escaped);
	tcase_add_test(escaped, test_raw_c1_bytes_are_escaped);
	tcase_add_test(escaped, test_bidi_controls_are_escaped);
	tcase_add_test(escaped, test_line_and_paragraph_separators_are_escaped);
	tcase_add_test(escaped, test_invalid_utf8_is_escaped_byte_by_byte);
	tcase_add_test(escaped,
	    test_truncated_sequences_are_escaped_and_what_follows_kept);
	suite_add_tcase(s, escaped);

	tcase_set_timeout(any, 120);
	tcase_add_test(any,
	    test_output_is_always_safe_and_cleaning_is_idempotent);
	tcase_add_test(any, test_a_cut_never_splits_a_character_or_an_escape);
	tcase_add_test(any, test_long_input_is_cleaned_whole);
	tcase_add_test(any, test_worst_case_growth_fits_the_documented_bound);
	tcase_add_test(any, test_a_printed_line_is_one_line);
	tcase_add_test(any, test_a_long_line_is_cut_before_a_character);
	suite_add_tcase(s, any);
	return s;
}
