/*
 * Modules compiled at build time (worker/precompiled.h): for the very text
 * of Debian's dkjson.lua under the worker's chunk name, the function loaded
 * is the one compiling the text gives (string.dump shows the same bytes,
 * debug information included); for any other text or name, the text is
 * compiled, and a text that does not compile gives its own error.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "../supervisor/engine/plugins.h"
#include "../worker/precompiled.h"
#include "suites.h"

struct dump {
	char	*p;
	size_t	 length;
};

static int
collect(lua_State *L, const void *p, size_t n, void *ud)
{
	struct dump *d = ud;

	(void)L;
	d->p = realloc(d->p, d->length + n);
	ck_assert_ptr_nonnull(d->p);
	memcpy(d->p + d->length, p, n);
	d->length += n;
	return 0;
}

/* string.dump of the function on top of the stack, which is popped. */
static struct dump
dump_of(lua_State *L)
{
	struct dump d = { NULL, 0 };

	ck_assert_int_eq(lua_dump(L, collect, &d, 0), 0);
	lua_pop(L, 1);
	return d;
}

static char *
read_file(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	ck_assert_msg(f != NULL, "%s: install lua-dkjson", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	ck_assert_int_ge(n = ftell(f), 0);
	rewind(f);
	ck_assert_ptr_nonnull(p = malloc((size_t)n + 1));
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*length = (size_t)n;
	return p;
}

/* Loads text both ways, precompiled_load's and the compiler's, and
 * requires the same function from both, and the build's chunk to have
 * been used or not as expected. */
static void
require_same_function(const char *text, size_t length, const char *name,
    bool chunk)
{
	lua_State *L = luaL_newstate();
	struct dump ours, compiled;

	ck_assert_msg(precompiled_has(text, length, name) == chunk, "%s: the "
	    "build's chunk %s", name, chunk ? "is missing or stale" :
	    "was taken for another text");
	ck_assert_int_eq(precompiled_load(L, text, length, name), LUA_OK);
	ours = dump_of(L);
	ck_assert_int_eq(luaL_loadbufferx(L, text, length, name, "t"),
	    LUA_OK);
	compiled = dump_of(L);
	ck_assert_uint_eq(ours.length, compiled.length);
	ck_assert(memcmp(ours.p, compiled.p, ours.length) == 0);
	free(ours.p);
	free(compiled.p);
	lua_close(L);
}

START_TEST(test_dkjson_loads_as_compiled)
{
	size_t length;
	char *text = read_file(DKJSON_PATH, &length);

	require_same_function(text, length, "=dkjson", true);
	free(text);
}
END_TEST

START_TEST(test_other_text_or_name_is_compiled)
{
	size_t length;
	char *text = read_file(DKJSON_PATH, &length), kept;

	/* One byte changed, in the first line's comment. */
	ck_assert(text[0] == '-' && text[1] == '-');
	kept = text[3];
	text[3] = 'X';
	require_same_function(text, length, "=dkjson", false);
	text[3] = kept;
	require_same_function(text, length - 1, "=dkjson", false);
	require_same_function(text, length, "=other", false);
	require_same_function(text, length, "@dkjson.lua", false);
	free(text);
}
END_TEST

START_TEST(test_text_that_does_not_compile_is_an_error)
{
	static const char broken[] = "local x = = 1";
	lua_State *L = luaL_newstate();

	ck_assert_int_eq(precompiled_load(L, broken, sizeof(broken) - 1,
	    "=dkjson"), LUA_ERRSYNTAX);
	ck_assert_ptr_nonnull(strstr(lua_tostring(L, -1), "dkjson:1:"));
	lua_close(L);
}
END_TEST

Suite *
precompiled_suite(void)
{
	Suite *s = suite_create("precompiled");
	TCase *t = tcase_create("build-time chunks");

	tcase_add_test(t, test_dkjson_loads_as_compiled);
	tcase_add_test(t, test_other_text_or_name_is_compiled);
	tcase_add_test(t, test_text_that_does_not_compile_is_an_error);
	suite_add_tcase(s, t);
	return s;
}
