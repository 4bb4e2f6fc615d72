/*
 * What the record reader (supervisor/input/reader.h) makes of a valid record:
 * its compact text (insignificant white space dropped; keys, strings,
 * escapes and numbers kept verbatim) and its identity fields (uid,
 * namespace and name, decoded, from the record's own metadata only).
 *
 * Every expected value is worked out by hand from the resolve contract
 * (docs/contract.md); error positions are counted in bytes (line and column are
 * 1-based, the byte offset 0-based).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/input/reader.h"
#include "reader_support.h"
#include "suites.h"

/* --- the compact text ----------------------------------------------------- */

START_TEST(test_compact_text_drops_insignificant_whitespace)
{
	struct recs r = read_text("{ \"z\" : 1 ,\n\t\"a\" :\r\n[ true , false "
	    ", null , { } , [ ] , { \"k\" : [ 1 , 2 ] } ] , \"m\" : \"a b\" }");

	expect_count(&r, 1);
	/* Keys stay in input order, white space inside strings stays. */
	expect_record(&r, 0, "{\"z\":1,\"a\":[true,false,null,{},[],"
	    "{\"k\":[1,2]}],\"m\":\"a b\"}", 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_pod_metadata_compacted_too)
{
	struct recs r = read_text("{ \"metadata\" : {\n  \"name\" : \"x\" ,\n"
	    "  \"labels\" : { \"a\" : \"b\" }\n} }");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"name\":\"x\",\"labels\":{\"a\":\"b\"}}", 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_keys_kept_in_input_order_with_duplicates)
{
	struct recs r = read_text("{\"b\":1,\"a\":2,\"b\":3,\"A\":4}");

	expect_count(&r, 1);
	expect_record(&r, 0, "{\"b\":1,\"a\":2,\"b\":3,\"A\":4}", 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_strings_and_escapes_kept_verbatim)
{
	/* Escapes are not decoded or re-encoded in the compact text, and
	 * valid UTF-8 and DEL (which JSON allows raw) pass unchanged. */
	const char text[] = "{\"s\":\"\\u00e9\\u00E9\\/\\\"\\\\\\b\\f\\n\\r\\t"
	    "\\ud83d\\ude00\\ud800\",\"\\u006b\":\"caf\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80 \x7f\",\"e\":\"\"}";
	struct recs r = read_text(text);

	expect_count(&r, 1);
	expect_record(&r, 0, text, 1);
	recs_free(&r);
}
END_TEST

START_TEST(test_valid_utf8_boundaries_accepted)
{
	/* U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000,
	 * U+10FFFF: the edges of what is valid. */
	const char text[] = "{\"u\":\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
	    "\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}";
	struct recs r = read_text(text);

	expect_count(&r, 1);
	expect_record(&r, 0, text, 1);
	recs_free(&r);
}
END_TEST

/*
 * A string's text is scanned several bytes at a time, and characters and
 * escapes join the run: each kind of text, at every position of a long
 * string (before, across and after an 8-byte word), in a key and in a
 * value, is kept verbatim, and the identity field holding it is decoded,
 * however the input is cut.
 */
START_TEST(test_long_strings_kept_verbatim_at_every_position)
{
	static const struct {
		const char	*text, *decoded;
	} pieces[] = {
		{ "\xc3\xa9", "\xc3\xa9" },
		{ "\xe2\x82\xac", "\xe2\x82\xac" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
		{ "\\\"", "\"" },
		{ "\\\\", "\\" },
		{ "\\n", "\n" },
		{ "\\u00e9", "\xc3\xa9" },
		{ "\x7f", "\x7f" },
		{ "\\/\xc3\xa9\\t", "/\xc3\xa9\t" },
	};

	for (size_t k = 0; k < 20; k++)
		for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]);
		    i++) {
			char *text, *uid, *name;
			struct recs r;

			ck_assert_int_ne(asprintf(&uid, "%.*s%s%.*s", (int)k,
			    "uuuuuuuuuuuuuuuuuuuu", pieces[i].text, (int)k,
			    "vvvvvvvvvvvvvvvvvvvv"), -1);
			ck_assert_int_ne(asprintf(&name, "%.*s%s", (int)k,
			    "nnnnnnnnnnnnnnnnnnnn", pieces[i].decoded), -1);
			ck_assert_int_ne(asprintf(&text, "{\"%.*s%s%.*s\":"
			    "\"%s\",\"uid\":\"%s\",\"name\":\"%.*s%s\"}",
			    (int)k, "kkkkkkkkkkkkkkkkkkkk", pieces[i].text,
			    (int)k, "kkkkkkkkkkkkkkkkkkkk", uid, uid, (int)k,
			    "nnnnnnnnnnnnnnnnnnnn", pieces[i].text), -1);
			free(uid);
			ck_assert_int_ne(asprintf(&uid, "%.*s%s%.*s", (int)k,
			    "uuuuuuuuuuuuuuuuuuuu", pieces[i].decoded, (int)k,
			    "vvvvvvvvvvvvvvvvvvvv"), -1);
			r = read_every_way(text, strlen(text));
			expect_count(&r, 1);
			expect_record(&r, 0, text, 1);
			expect_identity(&r, 0, uid, "", name);
			recs_free(&r);
			free(text);
			free(uid);
			free(name);
		}
}
END_TEST

START_TEST(test_numbers_kept_verbatim)
{
	const char text[] = "{\"n\":[0,-0,1,-12,0.5,-0.0,10.250,1e5,1E5,"
	    "1e+05,1E-7,2.5e-3,-0e0,123456789012345678901234567890,"
	    "1.7976931348623157e309]}";
	struct recs r = read_text(text);

	expect_count(&r, 1);
	expect_record(&r, 0, text, 1);
	recs_free(&r);
}
END_TEST

/* --- the identity fields -------------------------------------------------- */

START_TEST(test_identity_escapes_decoded)
{
	struct recs r = read_text("{\"metadata\":{"
	    "\"uid\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\","
	    "\"namespace\":\"n\\u0073\\u00e9\\u20AC\","
	    "\"name\":\"caf\xc3\xa9\"}}");

	expect_count(&r, 1);
	expect_identity(&r, 0, "a\"b\\c/d\b\f\n\r\t",
	    "ns\xc3\xa9\xe2\x82\xac", "caf\xc3\xa9");
	recs_free(&r);
}
END_TEST

START_TEST(test_identity_surrogates_decoded)
{
	struct recs r = read_text("{\"uid\":\"\\ud83d\\ude00\","
	    "\"namespace\":\"\\uDBFF\\uDFFFz\",\"name\":\"\\ud800-\\udc00\"}");

	expect_count(&r, 1);
	/* A pair is one code point; a lone surrogate is U+FFFD. */
	expect_identity(&r, 0, "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbfz",
	    "\xef\xbf\xbd-\xef\xbf\xbd");
	recs_free(&r);
}
END_TEST

START_TEST(test_identity_may_hold_nul)
{
	struct recs r = read_text("{\"uid\":\"a\\u0000b\"}");

	expect_count(&r, 1);
	ck_assert_uint_eq(r.v[0].uid_length, 3);
	ck_assert(memcmp(r.v[0].uid, "a\0b", 3) == 0);
	recs_free(&r);
}
END_TEST

START_TEST(test_identity_missing_or_not_string_is_empty)
{
	static const char *const inputs[] = {
		"{\"labels\":{}}",
		"{\"uid\":5,\"namespace\":null,\"name\":true}",
		"{\"uid\":{\"uid\":\"x\"},\"namespace\":[\"ns\"],\"name\":"
		    "false}",
		"{\"metadata\":{\"uid\":1.5,\"namespace\":{},\"name\":[]}}",
		"{\"metadata\":{}}",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct recs r = read_text(inputs[i]);

		expect_count(&r, 1);
		ck_assert(!r.v[0].invalid);
		expect_identity(&r, 0, "", "", "");
		recs_free(&r);
	}
}
END_TEST

START_TEST(test_identity_comes_from_the_record_metadata_only)
{
	/* A Pod's own top-level fields are not its metadata's. */
	struct recs r = read_text("{\"uid\":\"top\",\"name\":\"top\","
	    "\"metadata\":{\"name\":\"m\"},\"namespace\":\"top\"}");

	expect_count(&r, 1);
	expect_identity(&r, 0, "", "", "m");
	recs_free(&r);

	/* Nested objects' fields are not the record's. */
	r = read_text("{\"labels\":{\"uid\":\"l\",\"name\":\"l\"},"
	    "\"ownerReferences\":[{\"name\":\"o\",\"uid\":\"o\"}]}\n"
	    "{\"metadata\":{\"labels\":{\"uid\":\"l\"},\"ownerReferences\":"
	    "[{\"name\":\"o\"}],\"namespace\":\"ns\"}}");
	expect_count(&r, 2);
	expect_identity(&r, 0, "", "", "");
	expect_identity(&r, 1, "", "ns", "");
	recs_free(&r);

	/* A List's own metadata names nothing. */
	r = read_text("{\"metadata\":{\"uid\":\"L\",\"name\":\"L\","
	    "\"namespace\":\"L\"},\"items\":[{\"labels\":{}}]}");
	expect_count(&r, 1);
	expect_identity(&r, 0, "", "", "");
	recs_free(&r);
}
END_TEST

START_TEST(test_identity_keys_matched_exactly)
{
	struct recs r = read_text("{\"nam\":\"1\",\"names\":\"2\",\"Name\":"
	    "\"3\",\"uidx\":\"4\",\"namespacenamespace\":\"5\",\"ui\":\"6\"}");

	expect_count(&r, 1);
	expect_identity(&r, 0, "", "", "");
	recs_free(&r);

	/* A key is its decoded value: "na\u006de" is "name". */
	r = read_text("{\"na\\u006de\":\"n\",\"\\u0075id\":\"u\"}");
	expect_count(&r, 1);
	expect_identity(&r, 0, "u", "", "n");
	recs_free(&r);
}
END_TEST

/* A key with a two-byte escape is its decoded text, which is none of
 * the identity keys; the same key without it still is. */
START_TEST(test_identity_keys_with_escapes_are_decoded)
{
	struct recs r = read_text("{\"uid\\n\":\"1\",\"\\/name\":\"2\","
	    "\"namespace\\\"\":\"3\",\"namespace\":\"ns\"}");

	expect_count(&r, 1);
	expect_identity(&r, 0, "", "ns", "");
	recs_free(&r);
}
END_TEST

Suite *
reader_text_suite(void)
{
	Suite *s = suite_create("reader_text");
	TCase *compact = tcase_create("compact text");
	TCase *identity = tcase_create("identity fields");

	tcase_add_test(compact,
	    test_compact_text_drops_insignificant_whitespace);
	tcase_add_test(compact, test_pod_metadata_compacted_too);
	tcase_add_test(compact, test_keys_kept_in_input_order_with_duplicates);
	tcase_add_test(compact, test_strings_and_escapes_kept_verbatim);
	tcase_add_test(compact, test_valid_utf8_boundaries_accepted);
	tcase_add_test(compact,
	    test_long_strings_kept_verbatim_at_every_position);
	tcase_add_test(compact, test_numbers_kept_verbatim);
	suite_add_tcase(s, compact);

	tcase_add_test(identity, test_identity_escapes_decoded);
	tcase_add_test(identity, test_identity_surrogates_decoded);
	tcase_add_test(identity, test_identity_may_hold_nul);
	tcase_add_test(identity, test_identity_missing_or_not_string_is_empty);
	tcase_add_test(identity,
	    test_identity_comes_from_the_record_metadata_only);
	tcase_add_test(identity, test_identity_keys_matched_exactly);
	tcase_add_test(identity, test_identity_keys_with_escapes_are_decoded);
	suite_add_tcase(s, identity);
	return s;
}
