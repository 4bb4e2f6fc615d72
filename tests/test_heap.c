/*
 * The worker's Lua allocator (worker/heap.h), called the way Lua calls it:
 * realloc semantics with the block's size given, NULL leaving the block as
 * it was; the cap counting every small block at its class size, free lists
 * included, and handing the free lists back before it refuses; a refusal
 * final only when Lua's retry of the same request fails too.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "../worker/heap.h"
#include "helpers.h"
#include "suites.h"

static void *
get(void *block, size_t old, size_t size)
{
	return heap_alloc(NULL, block, old, size);
}

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static bool
filled(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return false;
	return true;
}

START_TEST(test_contents_survive_every_resize)
{
	/* Within a class, across classes, small to large and back. */
	static const size_t sizes[] = { 1, 9, 16, 17, 250, 256, 257, 600,
	    4096, 4097, 70000, 5000, 3000, 100, 24, 8 };
	size_t old = 0;
	unsigned char *p = NULL;

	heap_init(1 << 20);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t kept = old < sizes[i] ? old : sizes[i];

		p = get(p, old, sizes[i]);
		ck_assert_ptr_nonnull(p);
		ck_assert_msg(filled(p, kept, 3), "%zu to %zu bytes lost "
		    "contents", old, sizes[i]);
		fill(p, sizes[i], 3);
		old = sizes[i];
	}
	ck_assert_ptr_null(get(p, old, 0));
	ck_assert_ptr_null(get(NULL, 0, 0));
	ck_assert(!heap_take_refusal());
}
END_TEST

START_TEST(test_freed_small_block_is_reused_by_its_class)
{
	void *a, *b;

	heap_init(1 << 20);
	a = get(NULL, 0, 40);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(get(a, 40, 0));
	/* 33 to 48 bytes share the class. */
	b = get(NULL, 0, 48);
	ck_assert_ptr_eq(b, a);
	ck_assert_ptr_null(get(b, 48, 0));
	/* Growing within the class keeps the block where it is. */
	a = get(NULL, 0, 33);
	ck_assert_ptr_eq(get(a, 33, 47), a);
	ck_assert_ptr_null(get(a, 47, 0));
}
END_TEST

START_TEST(test_cap_counts_class_sizes_and_free_lists)
{
	void *small, *large;

	heap_init(1 << 20);
	ck_assert_uint_eq(heap_used(), 0);
	small = get(NULL, 0, 17);		/* the 32-byte class */
	ck_assert_uint_eq(heap_used(), 32);
	large = get(NULL, 0, 10000);		/* malloc's, as asked */
	ck_assert_uint_eq(heap_used(), 10032);
	ck_assert_ptr_null(get(large, 10000, 0));
	ck_assert_uint_eq(heap_used(), 32);
	/* Freed to its list, still held: still counted. */
	ck_assert_ptr_null(get(small, 17, 0));
	ck_assert_uint_eq(heap_used(), 32);
	/* 257 to 320 bytes: one class above the 16-byte steps. */
	small = get(NULL, 0, 257);
	ck_assert_uint_eq(heap_used(), 32 + 320);
	ck_assert_ptr_null(get(small, 257, 0));
}
END_TEST

START_TEST(test_free_lists_go_back_before_a_refusal)
{
	enum { LIMIT = 4096, BLOCKS = 32 };
	void *blocks[BLOCKS], *large;

	heap_init(LIMIT);
	for (int i = 0; i < BLOCKS; i++)
		ck_assert_ptr_nonnull(blocks[i] = get(NULL, 0, 64));
	for (int i = 0; i < BLOCKS; i++)
		ck_assert_ptr_null(get(blocks[i], 64, 0));
	ck_assert_uint_eq(heap_used(), BLOCKS * 64);
	/* 3072 bytes fit only once the 2048 held on the list are gone. */
	large = get(NULL, 0, 3000);
	ck_assert_ptr_nonnull(large);
	ck_assert_uint_eq(heap_used(), 3072);
	ck_assert(!heap_take_refusal());
	ck_assert_ptr_null(get(large, 3000, 0));
}
END_TEST

START_TEST(test_refused_growth_leaves_the_block)
{
	unsigned char *p, *q;

	heap_init(8192);
	p = get(NULL, 0, 1000);
	fill(p, 1000, 9);
	ck_assert_ptr_null(get(p, 1000, 9000));
	ck_assert_uint_eq(heap_used(), 1024);
	ck_assert(filled(p, 1000, 9));
	/* Small to large, large to larger: the same. */
	q = get(NULL, 0, 5000);
	fill(q, 5000, 4);
	ck_assert_ptr_null(get(q, 5000, 7200));
	ck_assert(filled(q, 5000, 4));
	ck_assert_uint_eq(heap_used(), 6024);
	ck_assert(heap_take_refusal());
	ck_assert_ptr_null(get(q, 5000, 0));
	ck_assert_ptr_null(get(p, 1000, 0));
}
END_TEST

START_TEST(test_shrinks_at_the_cap_are_not_refused)
{
	unsigned char *small, *large, *other;

	/* 256 + 4352 + 64 = 4672 bytes, all of the cap. */
	heap_init(4672);
	small = get(NULL, 0, 256);
	large = get(NULL, 0, 4352);
	other = get(NULL, 0, 64);
	ck_assert_ptr_nonnull(other);
	ck_assert_uint_eq(heap_used(), 4672);
	ck_assert_ptr_null(get(NULL, 0, 16));
	ck_assert(heap_take_refusal());
	fill(small, 256, 1);
	fill(large, 4352, 2);
	/* The free list of 16 is empty: the shrink needs a new block. */
	small = get(small, 256, 16);
	ck_assert_ptr_nonnull(small);
	ck_assert(filled(small, 16, 1));
	large = get(large, 4352, 100);
	ck_assert_ptr_nonnull(large);
	ck_assert(filled(large, 100, 2));
	ck_assert(!heap_take_refusal());
	ck_assert_uint_le(heap_used(), 4672);
	ck_assert_ptr_null(get(small, 16, 0));
	ck_assert_ptr_null(get(large, 100, 0));
	ck_assert_ptr_null(get(other, 64, 0));
}
END_TEST

START_TEST(test_refusal_is_final_only_when_the_retry_fails)
{
	void *held, *p;

	heap_init(4096);
	held = get(NULL, 0, 3000);
	/* Refused, then the same request succeeds (the emergency
	 * collection freed enough): no refusal to report. */
	ck_assert_ptr_null(get(NULL, 0, 2000));
	ck_assert_ptr_null(get(held, 3000, 0));
	p = get(NULL, 0, 2000);
	ck_assert_ptr_nonnull(p);
	ck_assert(!heap_take_refusal());
	/* Refused twice in a row: final. */
	ck_assert_ptr_null(get(NULL, 0, 3000));
	ck_assert_ptr_null(get(NULL, 0, 3000));
	ck_assert(heap_take_refusal());
	ck_assert(!heap_take_refusal());
	/* Refused, and what comes next is another request: final, though
	 * that one succeeds. */
	ck_assert_ptr_null(get(NULL, 0, 3000));
	held = get(NULL, 0, 100);
	ck_assert_ptr_nonnull(held);
	ck_assert(heap_take_refusal());
	ck_assert_ptr_null(get(held, 100, 0));
	ck_assert_ptr_null(get(p, 2000, 0));
}
END_TEST

/* A Lua state on the allocator: garbage made and collected call after call
 * stays under the cap, and a bomb ends in a memory error. */
START_TEST(test_lua_state_stays_under_the_cap)
{
	enum { LIMIT = 4 << 20 };
	static const char churn[] =
	    "local keep = {} "
	    "for round = 1, 200 do "
	    "  local t = {} "
	    "  for i = 1, 200 do t['k' .. i .. round] = { i, tostring(i) } end "
	    "  keep[round % 8] = t "
	    "end "
	    "return collectgarbage('count')";
	static const char bomb[] =
	    "local t = {} for i = 1, 1e8 do t[i] = 'x' .. i end";
	lua_State *L;

	heap_init(LIMIT);
	L = lua_newstate(heap_alloc, NULL);
	ck_assert_ptr_nonnull(L);
	luaL_openlibs(L);
	for (int call = 0; call < 5; call++) {
		ck_assert_int_eq(luaL_dostring(L, churn), LUA_OK);
		ck_assert_uint_le(heap_used(), LIMIT);
		lua_settop(L, 0);
	}
	ck_assert(!heap_take_refusal());
	ck_assert_int_eq(luaL_loadstring(L, bomb), LUA_OK);
	ck_assert_int_eq(lua_pcall(L, 0, 0, 0), LUA_ERRMEM);
	ck_assert(heap_take_refusal());
	ck_assert_uint_le(heap_used(), LIMIT);
	lua_close(L);
}
END_TEST

Suite *
heap_suite(void)
{
	Suite *s = suite_create("heap");
	TCase *t = tcase_create("allocator");

	tcase_add_test(t, test_contents_survive_every_resize);
	tcase_add_test(t, test_freed_small_block_is_reused_by_its_class);
	tcase_add_test(t, test_cap_counts_class_sizes_and_free_lists);
	tcase_add_test(t, test_free_lists_go_back_before_a_refusal);
	tcase_add_test(t, test_refused_growth_leaves_the_block);
	tcase_add_test(t, test_shrinks_at_the_cap_are_not_refused);
	tcase_add_test(t, test_refusal_is_final_only_when_the_retry_fails);
	tcase_add_test(t, test_lua_state_stays_under_the_cap);
	suite_add_tcase(s, t);
	return s;
}
