/*
 * The native dkjson.decode (worker/dkjson_native.h) against Debian's
 * dkjson.lua, in one Lua state (tests/dkjson_support.h): generated pods,
 * seeded random documents (clean ones the C decoder must take itself, and
 * hostile ones cut, spliced and mutated), and a hand-written case for each
 * of dkjson's rules, every one under every call form.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkjson_corpus.h"
#include "dkjson_support.h"
#include "helpers.h"
#include "suites.h"

static lua_State *L;

static void
setup(void)
{
	char error[512];

	L = dkjson_harness_new(error, sizeof(error));
	ck_assert_msg(L != NULL, "%s", error);
}

static void
teardown(void)
{
	lua_close(L);
	L = NULL;
}

/* A position for decode(s, pos): inside, at the edges, past them, and
 * what dkjson converts (a float, a string) or rejects. */
static void
push_position(uint64_t *rng, size_t length)
{
	lua_Integer n = (lua_Integer)length;
	uint64_t r = next_random(rng) % 14;

	switch (r) {
	case 0: lua_pushinteger(L, 0); break;
	case 1: lua_pushinteger(L, -1); break;
	case 2: lua_pushinteger(L, -n); break;
	case 3: lua_pushinteger(L, -n - 1); break;
	case 4: lua_pushinteger(L, n); break;
	case 5: lua_pushinteger(L, n + 1); break;
	case 6: lua_pushinteger(L, n + 2); break;
	case 7: lua_pushnumber(L, 2.0); break;
	case 8: lua_pushnumber(L, 2.5); break;
	case 9: lua_pushliteral(L, "2"); break;
	case 10: lua_pushinteger(L, LUA_MAXINTEGER); break;
	case 11: lua_pushboolean(L, 0); break;
	default:
		lua_pushinteger(L, 1 + (lua_Integer)(next_random(rng) %
		    (length + 1)));
		break;
	}
}

static void
require_same(const char *text, size_t length, bool with_position,
    uint64_t *rng)
{
	const char *difference;

	if (with_position)
		push_position(rng, length);
	difference = dkjson_harness_check(L, text, length, with_position);
	if (difference != NULL) {
		/* check's messages are bounded: the start of the text. */
		lua_pushlstring(L, text, length < 1000 ? length : 1000);
		lua_getglobal(L, "string");
		lua_getfield(L, -1, "format");
		lua_pushliteral(L, "%q");
		lua_pushvalue(L, -4);
		lua_call(L, 2, 1);
		ck_abort_msg("%s\nfor %s", difference, lua_tostring(L, -1));
	}
}

/* Runs Lua code with REF, NAT, NATIVE and HARNESS; an error fails. */
static void
require_lua(const char *code)
{
	if (luaL_loadbufferx(L, code, strlen(code), "=test", "t") != LUA_OK ||
	    lua_pcall(L, 0, 0, 0) != LUA_OK)
		ck_abort_msg("%s", lua_tostring(L, -1));
}

#define TEXT(literal)	{ literal, sizeof(literal) - 1 }

struct text {
	const char	*bytes;
	size_t		 length;
};

static void
require_all_same(const struct text *cases, size_t count, bool native)
{
	uint64_t rng = 7;

	for (size_t i = 0; i < count; i++) {
		REQUIRE(dkjson_native_takes(L, cases[i].bytes,
		    cases[i].length) == native, "case %zu \"%.200s\": the C "
		    "decoder %s", i, cases[i].bytes,
		    native ? "declined" : "answered");
		require_same(cases[i].bytes, cases[i].length, false, &rng);
		for (int k = 0; k < 4; k++)
			require_same(cases[i].bytes, cases[i].length, true,
			    &rng);
	}
}

/* --- cases -------------------------------------------------------------- */

START_TEST(test_pods_take_the_native_path_with_dkjson_results)
{
	struct doc d = { NULL, 0, 0 };
	uint64_t rng = 88172645463325252ULL;

	for (long i = 0; i < 400; i++) {
		gen_pod(&rng, &d, i, i % 4 == 3);
		REQUIRE(dkjson_native_takes(L, d.p, d.length),
		    "pod %ld: the C decoder declined %s", i, d.p);
		require_same(d.p, d.length, i % 2 == 0, &rng);
	}
	free(d.p);
}
END_TEST

START_TEST(test_clean_documents_take_the_native_path)
{
	struct doc d = { NULL, 0, 0 };
	uint64_t rng = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 3000; i++) {
		gen_document(&rng, &d);
		REQUIRE(dkjson_native_takes(L, d.p, d.length),
		    "document %d: the C decoder declined %s", i, d.p);
		require_same(d.p, d.length, i % 3 == 0, &rng);
	}
	free(d.p);
}
END_TEST

START_TEST(test_hostile_documents_agree)
{
	struct doc d = { NULL, 0, 0 };
	uint64_t rng = 0xdeadbeefcafef00dULL;

	for (int i = 0; i < 3000; i++) {
		gen_document(&rng, &d);
		mutate(&rng, &d);
		require_same(d.p, d.length, i % 2 == 0, &rng);
	}
	free(d.p);
}
END_TEST

/*
 * The installed decoder reuses the strings it made for short keys: keys
 * that come back, more keys than it keeps, keys at and past the short
 * string length, with escapes, empty, and keys that share a start or an
 * end all decode as dkjson.lua decodes them, document after document.
 */
START_TEST(test_keys_reused_across_documents_agree)
{
	static const char *const odd[] = {
		"", "a", "abcdefg", "abcdefgh", "abcdefghi",
		"0123456789012345678901234567890123456789",
		"01234567890123456789012345678901234567890",
		"app.kubernetes.io/name", "app.kubernetes.io/instance",
		"x-app.kubernetes.io/name", "esc\\aped", "quote\\\"d",
		"\\u00e9t\\u00e9", "tab\\tbed",
	};
	struct doc d = { NULL, 0, 0 };
	uint64_t rng = 5;
	char key[64];

	for (int round = 0; round < 6; round++) {
		d.length = 0;
		put_text(&d, "{");
		/* 1,500 keys: more than the cache holds, in a new order
		 * each round, so slots are taken over and found again. */
		for (int i = 0; i < 1500; i++) {
			int k = (i * (2 * round + 1) + round * 37) % 1500;

			snprintf(key, sizeof(key), "\"key-%d\":%d,", k, i);
			put_text(&d, key);
		}
		for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			put_text(&d, "\"");
			put_text(&d, odd[(i + (size_t)round) %
			    (sizeof(odd) / sizeof(odd[0]))]);
			put_text(&d, "\":[{\"name\":1,\"kind\":\"name\"}],");
		}
		put_text(&d, "\"last\":[\"a\",\"name\":\"b\"]}");
		REQUIRE(dkjson_native_takes(L, d.p, d.length), "round %d: the "
		    "C decoder declined", round);
		require_same(d.p, d.length, false, &rng);
		require_same(d.p, d.length, true, &rng);
	}
	free(d.p);
}
END_TEST

/* What the C decoder answers itself: each rule of dkjson's it mirrors. */
START_TEST(test_native_rules_agree)
{
	static const struct text cases[] = {
		/* names and numbers, and what follows them unread */
		TEXT("null"), TEXT("true"), TEXT("false"), TEXT("true,"),
		TEXT("null]"), TEXT("0"), TEXT("-0"), TEXT("0.0"),
		TEXT("-0.0"), TEXT("1e308"), TEXT("1e309"), TEXT("-1e309"),
		TEXT("1e-400"), TEXT("9007199254740993"),
		TEXT("9223372036854775807"), TEXT("9223372036854775808"),
		TEXT("-9223372036854775808"), TEXT("-9223372036854775809"),
		TEXT("1E+2"), TEXT("1e2"), TEXT("1E-2"), TEXT("01"),
		TEXT("-01"), TEXT(".5"), TEXT("-.5"), TEXT("1."),
		TEXT("1.e3"), TEXT("00.00"), TEXT("1x"), TEXT("1 2"),
		TEXT("12abc"), TEXT("1e5e5"), TEXT("0x10"),
		TEXT("1// comment"), TEXT("\"a\"b"), TEXT("{}{}"),
		TEXT("[]]"),
		/* whitespace: isspace's six bytes */
		TEXT(" \t\n\r\v\f1"), TEXT("[\v1\f,\f2\v]"),
		/* strings: raw bytes, escapes, \u, surrogates */
		TEXT("\"\""), TEXT("\"a\\\"b\""), TEXT("\"\\\\\""),
		TEXT("\"\\/\\b\\f\\n\\r\\t\""), TEXT("\"\\q\\'\\ \\\x01\""),
		TEXT("\"\\\xc3\xa9\""), TEXT("\"a\0b\""),
		TEXT("\"\x01\x1f\n\""),
		TEXT("\"\xff\xfe\xc0\x80\xed\xa0\x80\""), TEXT("\"\\u0000\""),
		TEXT("\"\\u00e9\\u00E9\""), TEXT("\"\\u20AC\\u07ff\\u0800\""),
		TEXT("\"\\uD83D\\uDE00\""), TEXT("\"\\ud83d\\ude00x\""),
		TEXT("\"\\uDBFF\\uDFFF\""), TEXT("\"\\uD800\\uDC00\""),
		TEXT("\"\\uD83D\""), TEXT("\"\\uDE00\""),
		TEXT("\"\\uDE00\\uD83D\""), TEXT("\"\\uD83D\\uD83D\\uDE00\""),
		TEXT("\"\\uD83Dx\""), TEXT("\"\\uD83D\\n\""),
		TEXT("\"\\uD83D\\u0041\""), TEXT("\"\\uFFFF\\uFEFF\""),
		TEXT("\"\\u0022\""), TEXT("\"\\u005c\""),
		/* tables: dkjson's loose grammar */
		TEXT("[]"), TEXT("{}"), TEXT("[ ]"), TEXT("{ }"),
		TEXT("[1,2,3]"), TEXT("[1 2 3]"), TEXT("[1,]"),
		TEXT("{\"a\":1,}"), TEXT("{\"a\":1 \"b\":2}"),
		TEXT("{1:2}"), TEXT("{1.0:2, 1:3}"), TEXT("{2.5:1}"),
		TEXT("{true:1,false:2}"), TEXT("{[1]:2}"), TEXT("{{}:1}"),
		TEXT("{\"a\"}"), TEXT("{\"a\",\"b\"}"), TEXT("[\"a\":1]"),
		TEXT("[1,\"a\":2,3]"), TEXT("{\"a\":1,\"a\":2}"),
		TEXT("{\"a\":1,\"a\":null}"), TEXT("{\"a\":null,\"a\":1}"),
		TEXT("{\"a\":null}"), TEXT("[null]"), TEXT("[null,null,3]"),
		TEXT("[1,null]"), TEXT("[null,2,null,4,null]"),
		TEXT("[1,2,3,null,null,null,null,null,null,8]"),
		TEXT("{\"1\":1,\"2\":2}"), TEXT("[[[]],{\"a\":[{}]}]"),
		TEXT("{\"\":0,\"\\u0000\":1}"),
	};

	require_all_same(cases, sizeof(cases) / sizeof(cases[0]), true);
}
END_TEST

/* What the C decoder leaves to dkjson.lua: its extensions and errors. */
START_TEST(test_fallback_cases_are_dkjson_lua)
{
	static const struct text cases[] = {
		/* comments and a byte order mark */
		TEXT("// c\n1"), TEXT("/* c */1"), TEXT("/* c"), TEXT("//"),
		TEXT("[1/*c*/,2]"), TEXT("[1 // c\n]"),
		TEXT("\xef\xbb\xbf" "1"),
		TEXT("[\xef\xbb\xbf" "1]"), TEXT("\xef\xbb" "1"), TEXT("/1"),
		TEXT("{\"a\"/**/:1}"),
		/* what tonumber(s, 16) reads in a \u escape */
		TEXT("\"\\u12\""), TEXT("\"\\u-001\""), TEXT("\"\\u 12f\""),
		TEXT("\"\\u+12f\""), TEXT("\"\\u12 \""), TEXT("\"\\u\""),
		TEXT("\"\\uD800\\u dc0\""), TEXT("\"\\uD800\\u12\""),
		TEXT("\"\\u\xff\xff\xff\xff\""),
		/* errors */
		TEXT(""), TEXT(" "), TEXT("   \n"), TEXT("nul"), TEXT("nullx"),
		TEXT("True"), TEXT("undefined"), TEXT("Infinity"), TEXT("NaN"),
		TEXT("-Infinity"), TEXT("nan"), TEXT(".."), TEXT("."),
		TEXT("-"), TEXT("+1"), TEXT("1e"), TEXT("1e+"), TEXT("1.2.3"),
		TEXT("--1"), TEXT("1+2"), TEXT("[1,,2]"), TEXT("[1,,]"),
		TEXT("[,1]"), TEXT("{,}"),
		TEXT("{null:1}"), TEXT("[null:1]"), TEXT("["), TEXT("{"),
		TEXT("[1"), TEXT("{\"a\":"), TEXT("{\"a\":1"), TEXT("{\"a\""),
		TEXT("]"), TEXT("}"), TEXT(":"), TEXT(","), TEXT("[}"),
		TEXT("{]"), TEXT("\"abc"), TEXT("\"\\\""), TEXT("\"\\"),
		TEXT("[\"a\",\n\"b\nc"), TEXT("{\"a\":1,\n\n  \"b\":}"),
		TEXT("\xef"), TEXT("[1,2\x80]"),
		/* a number longer than the C decoder's buffer */
		TEXT("12345678901234567890123456789012345678901234567890"
		    "12345678901234567890123456789012345678901234567890"
		    "12345678901234567890123456789012345678901234567890"),
	};

	require_all_same(cases, sizeof(cases) / sizeof(cases[0]), false);
}
END_TEST

START_TEST(test_positions_at_every_offset)
{
	static const char *const texts[] = {
		" {\"a\": [1, \"x\", null]} ,", "[1,2]\n[3]", "\"\\u00e9\" 12",
		"  /* c */ true  ",
	};

	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		lua_Integer n = (lua_Integer)strlen(texts[t]);

		for (lua_Integer pos = -n - 2; pos <= n + 2; pos++) {
			const char *difference;

			lua_pushinteger(L, pos);
			difference = dkjson_harness_check(L, texts[t],
			    (size_t)n, true);
			REQUIRE(difference == NULL, "%s at %lld: %s", texts[t],
			    (long long)pos, difference);
		}
	}
}
END_TEST

/* The C decoder stops at its depth limit; dkjson.lua then goes on, to
 * its own stack overflow, which the wrapper's tail call leaves as is. */
START_TEST(test_deep_nesting)
{
	static const struct {
		int	 depth;
		bool	 native;
	} cases[] = {
		{ 199, true }, { 200, true }, { 201, false }, { 1000, false },
	};
	struct doc d = { NULL, 0, 0 };
	uint64_t rng = 3;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int object = 0; object < 2; object++) {
			d.length = 0;
			for (int k = 0; k < cases[i].depth; k++)
				put_text(&d, object ? "{\"k\":" : "[");
			put_text(&d, "1");
			for (int k = 0; k < cases[i].depth; k++)
				put_text(&d, object ? "}" : "]");
			ck_assert_int_eq(dkjson_native_takes(L, d.p, d.length),
			    cases[i].native);
			require_same(d.p, d.length, false, &rng);
		}
	}
	/* Past Lua's stack: an error raised, the same in both. */
	d.length = 0;
	for (int k = 0; k < 300000; k++)
		put_byte(&d, '[');
	require_lua("local ok, e = pcall(REF.decode, string.rep('[', 300000))\n"
	    "assert(not ok and e:find('stack overflow'), e)");
	require_same(d.p, d.length, false, &rng);
	free(d.p);
}
END_TEST

START_TEST(test_huge_strings)
{
	struct doc d = { NULL, 0, 0 };
	uint64_t rng = 5;

	put_byte(&d, '"');
	for (int k = 0; k < 1 << 20; k++)
		put_byte(&d, 'a' + k % 26);
	put_byte(&d, '"');
	ck_assert(dkjson_native_takes(L, d.p, d.length));
	require_same(d.p, d.length, false, &rng);
	d.length = 0;
	put_text(&d, "[\"");
	for (int k = 0; k < 1 << 16; k++)
		put_text(&d, k % 3 ? "abcdefghij\\n" :
		    "\\u00e9\\ud83d\\ude00x");
	put_text(&d, "\"]");
	ck_assert(dkjson_native_takes(L, d.p, d.length));
	require_same(d.p, d.length, false, &rng);
	free(d.p);
}
END_TEST

START_TEST(test_numbers_follow_tonumber)
{
	require_lua(
	    "local t = NAT.decode('[9007199254740993, 1E+2, -0, -0.0, 1e309,"
	    " 9223372036854775808, 01, .5]')\n"
	    "assert(math.type(t[1]) == 'integer')\n"
	    "assert(t[1] == 9007199254740993)\n"
	    "assert(math.type(t[2]) == 'float' and t[2] == 100)\n"
	    "assert(math.type(t[3]) == 'integer' and t[3] == 0)\n"
	    "assert(math.type(t[4]) == 'float' and 1 / t[4] == -math.huge)\n"
	    "assert(t[5] == math.huge)\n"
	    "assert(math.type(t[6]) == 'float' and t[6] == 2^63)\n"
	    "assert(t[7] == 1 and t[8] == 0.5)\n");
}
END_TEST

START_TEST(test_metatables_and_null)
{
	require_lua(
	    "local s = '{\"a\":{\"b\":[null,[]]},\"c\":null}'\n"
	    "local t, pos = NAT.decode(s)\n"
	    "assert(pos == #s + 1)\n"
	    "local om, am = getmetatable(t), getmetatable(t.a.b)\n"
	    "assert(om.__jsontype == 'object' and am.__jsontype == 'array')\n"
	    "assert(getmetatable(t.a) == om and getmetatable(t.a.b[2]) == am)\n"
	    "assert(t.a.b[1] == nil and t.c == nil)\n"
	    "local u = NAT.decode(s, 1, NAT.null)\n"
	    "assert(getmetatable(u) ~= om, 'fresh metatables per call')\n"
	    "assert(u.c == NAT.null and u.a.b[1] == NAT.null)\n"
	    "local v = NAT.decode(s, 1, nil, nil)\n"
	    "assert(getmetatable(v) == nil and getmetatable(v.a.b) == nil)\n"
	    "local O, A = {}, {}\n"
	    "local w = NAT.decode(s, 1, nil, O, A)\n"
	    "assert(getmetatable(w.a) == O and getmetatable(w.a.b) == A)\n"
	    "local x = NAT.decode(s, 1, nil, O)\n"
	    "assert(getmetatable(x) == O and getmetatable(x.a.b) == nil)\n");
}
END_TEST

START_TEST(test_errors_are_dkjson_results)
{
	require_lua(
	    "local r = table.pack(NAT.decode('{\"a\":[1,\\n 2'))\n"
	    "assert(r.n == 3 and r[1] == nil and r[2] == 12, r[2])\n"
	    "assert(r[3] == 'unterminated array at line 1, column 6', r[3])\n"
	    "assert(select('#', NATIVE('{\"a\":[1,\\n 2')) == 0)\n"
	    "for _, v in ipairs{{nil}, {12}, {true}, {{}}, {'1', 1.5},\n"
	    "    {'1', 1.0}, {'[1]', 1, nil, 'x'}, {'{}', 1, nil, nil, 5},\n"
	    "    {'[]', true}} do\n"
	    "  local d = HARNESS.compare('args', table.unpack(v, 1, 5))\n"
	    "  assert(d == nil, d)\n"
	    "end\n");
}
END_TEST

START_TEST(test_install_only_on_dkjson_26_as_loaded)
{
	char error[512];
	lua_State *fresh = luaL_newstate();

	/* Not the module, another version, LPeg's decoder. */
	lua_newtable(L);
	ck_assert(!dkjson_native_install(L, -1));
	lua_getglobal(L, "REF");
	lua_pushliteral(L, "dkjson 2.7");
	lua_setfield(L, -2, "version");
	ck_assert(!dkjson_native_install(L, -1));
	lua_pushliteral(L, DKJSON_NATIVE_VERSION);
	lua_setfield(L, -2, "version");
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "using_lpeg");
	ck_assert(!dkjson_native_install(L, -1));
	lua_pushnil(L);
	lua_setfield(L, -2, "using_lpeg");
	/* A library function replaced before dkjson loads. */
	require_lua("string.find = function (...) return nil end");
	ck_assert(dkjson_load(L, error, sizeof(error)));
	ck_assert(!dkjson_native_install(L, -1));
	/* No snapshot taken. */
	luaL_openlibs(fresh);
	ck_assert(dkjson_load(fresh, error, sizeof(error)));
	ck_assert(!dkjson_native_install(fresh, -1));
	lua_close(fresh);
	/* The module as loaded. */
	lua_settop(L, 0);
	dkjson_native_snapshot(L);
	ck_assert(dkjson_load(L, error, sizeof(error)));
	ck_assert(dkjson_native_install(L, -1));
}
END_TEST

Suite *
dkjson_native_suite(void)
{
	Suite *s = suite_create("dkjson_native");
	TCase *tc = tcase_create("dkjson_native");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_pods_take_the_native_path_with_dkjson_results);
	tcase_add_test(tc, test_clean_documents_take_the_native_path);
	tcase_add_test(tc, test_hostile_documents_agree);
	tcase_add_test(tc, test_keys_reused_across_documents_agree);
	tcase_add_test(tc, test_native_rules_agree);
	tcase_add_test(tc, test_fallback_cases_are_dkjson_lua);
	tcase_add_test(tc, test_positions_at_every_offset);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_huge_strings);
	tcase_add_test(tc, test_numbers_follow_tonumber);
	tcase_add_test(tc, test_metatables_and_null);
	tcase_add_test(tc, test_errors_are_dkjson_results);
	tcase_add_test(tc, test_install_only_on_dkjson_26_as_loaded);
	suite_add_tcase(s, tc);
	return s;
}
