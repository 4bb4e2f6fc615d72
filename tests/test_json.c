/*
 * The JSON string helpers (supervisor/json.h).  The writer relies on
 * json_append_string for the contract's promise that every output string is
 * valid JSON whatever bytes a plugin returned, so besides the exact forms
 * of the table tests, its output is checked by an independent strict JSON
 * string parser over every short byte string made of interesting bytes and
 * a few hundred thousand random ones, against a reference model written
 * the long way (decode, then range-check the code point).
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/buffer.h"
#include "../supervisor/json.h"
#include "suites.h"
#include "utf8_reference.h"

#define REPLACEMENT	0xfffd

/* What the text of s must decode to: valid sequences kept, every other
 * byte one U+FFFD.  Returns the number of code points. */
static size_t
model_code_points(const unsigned char *s, size_t length, uint32_t *cps)
{
	size_t i = 0, count = 0;

	while (i < length) {
		size_t n = reference_decode(s + i, length - i, &cps[count]);

		if (n == 0) {
			cps[count] = REPLACEMENT;
			n = 1;
		}
		count++;
		i += n;
	}
	return count;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
parse_hex4(const unsigned char *s, size_t available, uint32_t *v)
{
	*v = 0;
	if (available < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		int d = hex_value(s[i]);

		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	return true;
}

/*
 * A strict, independent check that text is exactly one JSON string
 * (RFC 8259): quotes at both ends and nowhere unescaped between, no raw
 * control byte, only the defined escapes, valid UTF-8.  Surrogate escapes
 * must pair up: a lone one is JSON grammar but not Unicode text, and a
 * consumer decoding to UTF-8 would have to mangle it.  Fills cps (room for
 * length entries) with the decoded code points.
 */
static bool
parse_json_string(const unsigned char *text, size_t length, uint32_t *cps,
    size_t *count)
{
	size_t i = 1;

	*count = 0;
	if (length < 2 || text[0] != '"')
		return false;
	while (i < length) {
		unsigned char c = text[i];
		uint32_t cp, low;
		size_t n;

		if (c == '"')
			return i == length - 1;
		if (c < 0x20)
			return false;
		if (c != '\\') {
			if ((n = reference_decode(text + i, length - i,
			    &cp)) == 0)
				return false;
			cps[(*count)++] = cp;
			i += n;
			continue;
		}
		if (++i == length)
			return false;
		switch (text[i]) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (!parse_hex4(text + i + 1, length - i - 1, &cp))
				return false;
			i += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return false;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (length - i - 1 < 6 || text[i + 1] != '\\' ||
				    text[i + 2] != 'u' ||
				    !parse_hex4(text + i + 3, length - i - 3,
				    &low) || low < 0xdc00 || low > 0xdfff)
					return false;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (low - 0xdc00);
				i += 6;
			}
			break;
		default:
			return false;
		}
		cps[(*count)++] = cp;
		i++;
	}
	return false;	/* no closing quote */
}

static size_t
encode_utf8(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Needs escaping in JSON: the output may not carry it raw. */
static bool
needs_escape(uint32_t cp)
{
	return cp < 0x20 || cp == '"' || cp == '\\';
}

/*
 * The property every output of json_append_string must have: it is one
 * valid JSON string that decodes to the model's code points; when the
 * input is valid UTF-8 with nothing to escape it is the input verbatim;
 * and json_append_unescaped, given its body, gives back the model's text
 * as UTF-8.  The buffers are the caller's, reused across calls.
 */
static void
check_string_property(const unsigned char *in, size_t length,
    struct buffer *out, struct buffer *decoded, uint32_t *expected,
    uint32_t *got, size_t room)
{
	size_t nexpected, ngot, at = 0;
	bool verbatim = true;
	unsigned char utf8[4];

	REQUIRE(length + 2 <= room, "input too long for the test");
	nexpected = model_code_points(in, length, expected);
	buffer_clear(out);
	REQUIRE(json_append_string(out, (const char *)in, length) == 0,
	    "json_append_string failed");
	REQUIRE(buffer_length(out) <= room, "output longer than 6 bytes "
	    "per input byte");
	REQUIRE(parse_json_string((const unsigned char *)buffer_bytes(out),
	    buffer_length(out), got, &ngot), "not a valid JSON string: %.*s",
	    (int)buffer_length(out), buffer_bytes(out));
	REQUIRE(ngot == nexpected, "%zu code points, expected %zu: %.*s",
	    ngot, nexpected, (int)buffer_length(out), buffer_bytes(out));
	for (size_t i = 0; i < nexpected; i++) {
		REQUIRE(got[i] == expected[i], "code point %zu: got U+%04X, "
		    "expected U+%04X", i, (unsigned)got[i],
		    (unsigned)expected[i]);
		if (expected[i] == REPLACEMENT || needs_escape(expected[i]))
			verbatim = false;
	}
	if (verbatim) {
		/* No replacement at all means every byte was valid. */
		REQUIRE(buffer_length(out) == length + 2 &&
		    memcmp(buffer_bytes(out) + 1, in, length) == 0,
		    "valid text not kept verbatim: %.*s",
		    (int)buffer_length(out), buffer_bytes(out));
	}
	buffer_clear(decoded);
	REQUIRE(json_append_unescaped(decoded, buffer_bytes(out) + 1,
	    buffer_length(out) - 2) == 0, "json_append_unescaped failed");
	for (size_t i = 0; i < nexpected; i++) {
		size_t n = encode_utf8(expected[i], utf8);

		REQUIRE(at + n <= buffer_length(decoded) &&
		    memcmp(buffer_bytes(decoded) + at, utf8, n) == 0,
		    "decoded text differs at code point %zu", i);
		at += n;
	}
	REQUIRE(at == buffer_length(decoded), "decoded text too long");
}

/* Appends s (length bytes) and checks the whole buffer is expected. */
static void
expect_string(const char *s, size_t length, const char *expected)
{
	struct buffer b = { 0 };

	ck_assert_int_eq(json_append_string(&b, s, length), 0);
	ck_assert_msg(buffer_length(&b) == strlen(expected) &&
	    memcmp(buffer_bytes(&b), expected, strlen(expected)) == 0,
	    "got %.*s, expected %s", (int)buffer_length(&b), buffer_bytes(&b),
	    expected);
	buffer_free(&b);
}

#define EXPECT_STRING(literal, expected) \
	expect_string(literal, sizeof(literal) - 1, expected)

/* Decodes a string body and checks the buffer holds exactly expected. */
static void
expect_unescaped(const char *body, const char *expected,
    size_t expected_length)
{
	struct buffer b = { 0 };

	ck_assert_int_eq(json_append_unescaped(&b, body, strlen(body)), 0);
	/* An empty result may leave the buffer without storage at all. */
	ck_assert_msg(buffer_length(&b) == expected_length &&
	    (expected_length == 0 ||
	    memcmp(buffer_bytes(&b), expected, expected_length) == 0),
	    "%s: got %.*s", body, (int)buffer_length(&b), buffer_bytes(&b));
	buffer_free(&b);
}

#define EXPECT_UNESCAPED(body, expected) \
	expect_unescaped(body, expected, sizeof(expected) - 1)

/* --- json_append_string: exact forms ------------------------------------ */

START_TEST(test_string_ascii_kept_verbatim)
{
	EXPECT_STRING("", "\"\"");
	EXPECT_STRING("ogtest-0", "\"ogtest-0\"");
	/* '/' and DEL need no escape in JSON. */
	EXPECT_STRING("a/b c~\x7f", "\"a/b c~\x7f\"");
}
END_TEST

START_TEST(test_string_quotes_and_backslashes_escaped)
{
	EXPECT_STRING("\"", "\"\\\"\"");
	EXPECT_STRING("\\", "\"\\\\\"");
	EXPECT_STRING("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"");
	/* An escape sequence in the input is text, not an escape. */
	EXPECT_STRING("\\u0041\\n", "\"\\\\u0041\\\\n\"");
}
END_TEST

START_TEST(test_string_control_bytes_escaped)
{
	char s[1];
	char expected[16];
	static const char *const named[] = {
		['\b'] = "\"\\b\"", ['\t'] = "\"\\t\"", ['\n'] = "\"\\n\"",
		['\f'] = "\"\\f\"", ['\r'] = "\"\\r\"",
	};

	for (unsigned c = 0; c < 0x20; c++) {
		s[0] = (char)c;
		if (c < sizeof(named) / sizeof(named[0]) && named[c] != NULL)
			expect_string(s, 1, named[c]);
		else {
			static const char hex[] = "0123456789abcdef";

			memcpy(expected, "\"\\u00", 5);
			expected[5] = hex[c >> 4];
			expected[6] = hex[c & 15];
			expected[7] = '"';
			expected[8] = '\0';
			expect_string(s, 1, expected);
		}
	}
	/* NUL is a byte like the others, not the end of the string. */
	EXPECT_STRING("a\0b", "\"a\\u0000b\"");
}
END_TEST

START_TEST(test_string_valid_utf8_kept)
{
	/* The first and last code point of every sequence length. */
	EXPECT_STRING("\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"");
	EXPECT_STRING("\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf",
	    "\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"");
	EXPECT_STRING("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
	    "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
	EXPECT_STRING("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* U+FFFD given as text is valid text, kept as it is. */
	EXPECT_STRING("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");
}
END_TEST

START_TEST(test_string_invalid_bytes_become_replacement)
{
	/* A lone continuation byte, and bytes that never occur. */
	EXPECT_STRING("\x80", "\"\\ufffd\"");
	EXPECT_STRING("\xbf", "\"\\ufffd\"");
	EXPECT_STRING("\xf8", "\"\\ufffd\"");
	EXPECT_STRING("\xfe\xff", "\"\\ufffd\\ufffd\"");
	/* Leads beyond U+10FFFF. */
	EXPECT_STRING("\xf5\x80\x80\x80",
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Overlong forms: each of their bytes is invalid. */
	EXPECT_STRING("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	EXPECT_STRING("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	EXPECT_STRING("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	EXPECT_STRING("\xf0\x8f\xbf\xbf",
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Surrogates encoded in UTF-8 (CESU-8 style). */
	EXPECT_STRING("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	EXPECT_STRING("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	/* U+110000. */
	EXPECT_STRING("\xf4\x90\x80\x80",
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Truncated sequences: at the end, and before ASCII. */
	EXPECT_STRING("a\xe2\x82", "\"a\\ufffd\\ufffd\"");
	EXPECT_STRING("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
	EXPECT_STRING("\xc3z", "\"\\ufffdz\"");
	EXPECT_STRING("\xe2\x82\"", "\"\\ufffd\\ufffd\\\"\"");
	/* A truncated sequence does not swallow the valid one after it. */
	EXPECT_STRING("\xe2\xc3\xa9", "\"\\ufffd\xc3\xa9\"");
	EXPECT_STRING("\xf0\x9f\xe2\x82\xac", "\"\\ufffd\\ufffd\xe2\x82\xac\"");
}
END_TEST

START_TEST(test_string_appends_to_the_buffer)
{
	struct buffer b = { 0 };

	ck_assert_int_eq(buffer_append(&b, "xx{\"a\":", 7), 0);
	/* A consumed prefix must not confuse where appending goes. */
	buffer_consume(&b, 2);
	ck_assert_int_eq(json_append_string(&b, "\x01\xff", 2), 0);
	ck_assert_int_eq(json_append_string(&b, "", 0), 0);
	ck_assert_uint_eq(buffer_length(&b), 5 + 14 + 2);
	ck_assert(memcmp(buffer_bytes(&b), "{\"a\":\"\\u0001\\ufffd\"\"\"",
	    buffer_length(&b)) == 0);
	buffer_free(&b);
}
END_TEST

/* --- json_append_string: the output is always valid JSON ----------------- */

START_TEST(test_string_valid_json_for_every_short_string)
{
	enum { ROOM = 6 * 4 + 2 };
	struct buffer out = { 0 }, decoded = { 0 };
	uint32_t expected[ROOM], got[ROOM];
	unsigned char s[4];

	/* Every string of one and two bytes. */
	for (unsigned a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		check_string_property(s, 1, &out, &decoded, expected, got,
		    ROOM);
		for (unsigned b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			check_string_property(s, 2, &out, &decoded, expected,
			    got, ROOM);
		}
	}
	/* Three bytes from every interesting value. */
	for (size_t a = 0; a < NINTERESTING; a++)
		for (size_t b = 0; b < NINTERESTING; b++)
			for (size_t c = 0; c < NINTERESTING; c++) {
				s[0] = interesting[a];
				s[1] = interesting[b];
				s[2] = interesting[c];
				check_string_property(s, 3, &out, &decoded,
				    expected, got, ROOM);
			}
	/* Four bytes: every boundary pattern of the longest sequences. */
	for (size_t a = 0; a < NBOUNDARY; a++)
		for (size_t b = 0; b < NBOUNDARY; b++)
			for (size_t c = 0; c < NBOUNDARY; c++)
				for (size_t d = 0; d < NBOUNDARY; d++) {
					s[0] = boundary[a];
					s[1] = boundary[b];
					s[2] = boundary[c];
					s[3] = boundary[d];
					check_string_property(s, 4, &out,
					    &decoded, expected, got, ROOM);
				}
	buffer_free(&out);
	buffer_free(&decoded);
}
END_TEST

START_TEST(test_string_valid_json_for_random_strings)
{
	enum { MAX = 24, ROOM = 6 * MAX + 2, STRINGS = 300000 };
	struct buffer out = { 0 }, decoded = { 0 };
	uint32_t expected[ROOM], got[ROOM];
	unsigned char s[MAX];
	uint64_t state = 0x6c7561776172640aULL;
	size_t valid_multibyte = 0, replaced = 0;

	for (size_t n = 0; n < STRINGS; n++) {
		size_t length = 0, target = next_random(&state) % (MAX - 3);

		/*
		 * Uniform random bytes hardly ever form a valid three- or
		 * four-byte sequence, so pieces are mixed: random bytes,
		 * interesting bytes, and encodings of random code points,
		 * whole or cut short.
		 */
		while (length < target) {
			uint64_t r = next_random(&state);
			unsigned char utf8[4];
			uint32_t cp;
			size_t k;

			switch (r % 4) {
			case 0:
				s[length++] = (unsigned char)(r >> 8);
				break;
			case 1:
				s[length++] = interesting[(r >> 8) %
				    NINTERESTING];
				break;
			default:
				cp = (uint32_t)((r >> 8) % 0x110000);
				k = encode_utf8(cp, utf8);
				if (r % 4 == 3 && k > 1)
					k -= 1 + (size_t)(r >> 40) % (k - 1);
				memcpy(s + length, utf8, k);
				length += k;
				break;
			}
		}
		check_string_property(s, length, &out, &decoded, expected,
		    got, ROOM);
		for (size_t i = 0; i < length; ) {
			uint32_t cp;
			size_t k = reference_decode(s + i, length - i, &cp);

			if (k == 0)
				replaced++;
			else if (k > 2)
				valid_multibyte++;
			i += k > 0 ? k : 1;
		}
	}
	/* The generator must really exercise both paths. */
	ck_assert_uint_gt(valid_multibyte, STRINGS / 4);
	ck_assert_uint_gt(replaced, STRINGS / 4);
	buffer_free(&out);
	buffer_free(&decoded);
}
END_TEST

/* --- json_append_unescaped ----------------------------------------------- */

START_TEST(test_unescaped_plain_text_kept)
{
	EXPECT_UNESCAPED("", "");
	EXPECT_UNESCAPED("ogtest-0", "ogtest-0");
	EXPECT_UNESCAPED("caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 "
	    "\xf0\x9f\x98\x80");
}
END_TEST

START_TEST(test_unescaped_short_escapes)
{
	EXPECT_UNESCAPED("\\\"\\\\\\/\\b\\f\\n\\r\\t", "\"\\/\b\f\n\r\t");
	EXPECT_UNESCAPED("a\\nb\\\\n", "a\nb\\n");
}
END_TEST

START_TEST(test_unescaped_u_escapes)
{
	EXPECT_UNESCAPED("\\u0041\\u007a", "Az");
	/* Hex digits in either case. */
	EXPECT_UNESCAPED("\\u00e9\\u00E9\\u00C9", "\xc3\xa9\xc3\xa9\xc3\x89");
	/* The edges of two- and three-byte encodings. */
	EXPECT_UNESCAPED("\\u0080\\u07ff\\u0800\\uffff",
	    "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
	EXPECT_UNESCAPED("\\u20ac", "\xe2\x82\xac");
	/* \u0000 is a NUL byte in the value. */
	EXPECT_UNESCAPED("a\\u0000b", "a\0b");
}
END_TEST

START_TEST(test_unescaped_surrogate_pairs)
{
	EXPECT_UNESCAPED("\\ud83d\\ude00", "\xf0\x9f\x98\x80");
	EXPECT_UNESCAPED("\\uD800\\uDC00", "\xf0\x90\x80\x80");
	EXPECT_UNESCAPED("\\udbff\\udfff", "\xf4\x8f\xbf\xbf");
	EXPECT_UNESCAPED("x\\ud83d\\ude00y", "x\xf0\x9f\x98\x80y");
}
END_TEST

START_TEST(test_unescaped_lone_surrogates_become_replacement)
{
	EXPECT_UNESCAPED("\\ud800", "\xef\xbf\xbd");
	EXPECT_UNESCAPED("\\udc00", "\xef\xbf\xbd");
	EXPECT_UNESCAPED("\\ud800x", "\xef\xbf\xbdx");
	/* A high surrogate, then something that is not a low one. */
	EXPECT_UNESCAPED("\\ud800\\u0041", "\xef\xbf\xbd" "A");
	EXPECT_UNESCAPED("\\ud800\\ud800\\udc00",
	    "\xef\xbf\xbd\xf0\x90\x80\x80");
	EXPECT_UNESCAPED("\\ud800\\n", "\xef\xbf\xbd\n");
	/* Low before high is two lone surrogates. */
	EXPECT_UNESCAPED("\\udc00\\ud800", "\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

START_TEST(test_unescaped_appends_to_the_buffer)
{
	struct buffer b = { 0 };

	ck_assert_int_eq(buffer_append(&b, "id=", 3), 0);
	ck_assert_int_eq(json_append_unescaped(&b, "\\u0031\\t2", 9), 0);
	ck_assert_uint_eq(buffer_length(&b), 6);
	ck_assert(memcmp(buffer_bytes(&b), "id=1\t2", 6) == 0);
	/* Only length bytes are read: the rest of the text is not. */
	ck_assert_int_eq(json_append_unescaped(&b, "ab\\n", 2), 0);
	ck_assert_uint_eq(buffer_length(&b), 8);
	ck_assert(memcmp(buffer_bytes(&b), "id=1\t2ab", 8) == 0);
	buffer_free(&b);
}
END_TEST

Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *string = tcase_create("json_append_string");
	TCase *unescaped = tcase_create("json_append_unescaped");

	tcase_set_timeout(string, 60);
	tcase_add_test(string, test_string_ascii_kept_verbatim);
	tcase_add_test(string, test_string_quotes_and_backslashes_escaped);
	tcase_add_test(string, test_string_control_bytes_escaped);
	tcase_add_test(string, test_string_valid_utf8_kept);
	tcase_add_test(string, test_string_invalid_bytes_become_replacement);
	tcase_add_test(string, test_string_appends_to_the_buffer);
	tcase_add_test(string, test_string_valid_json_for_every_short_string);
	tcase_add_test(string, test_string_valid_json_for_random_strings);
	suite_add_tcase(s, string);

	tcase_add_test(unescaped, test_unescaped_plain_text_kept);
	tcase_add_test(unescaped, test_unescaped_short_escapes);
	tcase_add_test(unescaped, test_unescaped_u_escapes);
	tcase_add_test(unescaped, test_unescaped_surrogate_pairs);
	tcase_add_test(unescaped,
	    test_unescaped_lone_surrogates_become_replacement);
	tcase_add_test(unescaped, test_unescaped_appends_to_the_buffer);
	suite_add_tcase(s, unescaped);

	return s;
}
