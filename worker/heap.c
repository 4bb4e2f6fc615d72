/*
 * The Lua state's allocator.  Small blocks are kept for reuse: a block
 * freed by Lua goes on the free list of its size class and the next request
 * of that class takes it back, so a call's tables and strings are made and
 * collected without going to malloc.  Lua tells the allocator the size of
 * every block it frees or resizes, so the class of a block follows from
 * that size alone and blocks carry no header.  Larger blocks are malloc's.
 *
 * The cap counts what the allocator holds for Lua: each small block at its
 * class size, whether Lua uses it or it waits on a free list, and each large
 * block at its size.  When a request would pass the cap, the free lists are
 * first handed back to malloc; only if it still would is it refused.  So at
 * a refusal nothing is held that Lua does not use, as with a bare malloc.
 */
#include <stdlib.h>
#include <string.h>

#ifdef LUAWARD_SANITIZE
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)	((void)(p), (void)(n))
#define UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#include "heap.h"

/* Classes: 16-byte steps up to 256, then four per doubling up to 4096. */
#define STEP_LIMIT	256
#define SMALL_LIMIT	4096
#define CLASSES		33	/* class 0 is unused: no block is empty */

struct free_block {
	struct free_block	*next;
};

static struct {
	size_t	 used;		/* held for Lua, free lists included */
	size_t	 limit;
	bool	 refused;
	/* The last request refused, not yet known to be final: Lua answers
	 * a refusal with an emergency collection and asks again once. */
	bool	 pending;
	void	*pending_block;
	size_t	 pending_old, pending_new;
	struct free_block *free[CLASSES];
} heap;

static size_t class_size[CLASSES];

/* The class of a block of 1 to SMALL_LIMIT bytes. */
static inline unsigned
class_of(size_t size)
{
	unsigned bits, shift;

	if (size <= STEP_LIMIT)
		return (unsigned)((size + 15) >> 4);
	/* size in (2^bits, 2^(bits+1)]: steps of 2^(bits-2). */
	bits = 31u - (unsigned)__builtin_clz((unsigned)(size - 1));
	shift = bits - 2;
	return 16 + (bits - 8) * 4 +
	    (unsigned)((size + ((size_t)1 << shift) - 1) >> shift) - 4;
}

/* Hands every free list back to malloc. */
static void
drain(void)
{
	for (unsigned c = 1; c < CLASSES; c++)
		while (heap.free[c] != NULL) {
			struct free_block *b = heap.free[c];

			UNPOISON(b, class_size[c]);
			heap.free[c] = b->next;
			free(b);
			heap.used -= class_size[c];
		}
}

void
heap_init(size_t limit)
{
	drain();
	memset(&heap, 0, sizeof(heap));
	heap.limit = limit;
	for (unsigned c = 1; c < CLASSES; c++) {
		unsigned k = c - 17;

		class_size[c] = c <= 16 ? (size_t)c * 16 :
		    (size_t)(k % 4 + 5) << (6 + k / 4);
	}
}

/* Whether bytes more fit under the cap, draining the free lists if that
 * makes them fit. */
static bool
charge(size_t bytes)
{
	if (bytes <= heap.limit - heap.used)
		return true;
	drain();
	return bytes <= heap.limit - heap.used;
}

static void *
take_small(unsigned c)
{
	struct free_block *b = heap.free[c];

	if (b != NULL) {
		UNPOISON(b, class_size[c]);
		heap.free[c] = b->next;
		return b;
	}
	if (!charge(class_size[c]) || (b = malloc(class_size[c])) == NULL)
		return NULL;
	heap.used += class_size[c];
	return b;
}

static void
give_small(void *block, unsigned c)
{
	struct free_block *b = block;

	b->next = heap.free[c];
	heap.free[c] = b;
	/* The link stays readable: LeakSanitizer follows it. */
	POISON(b + 1, class_size[c] - sizeof(*b));
}

/* Lua's request, apart from the refusal bookkeeping: NULL leaves the block
 * as it was. */
static void *
resize(void *block, size_t old, size_t size)
{
	unsigned from = block != NULL && old <= SMALL_LIMIT ? class_of(old) : 0;
	void *p;

	if (size <= SMALL_LIMIT) {
		unsigned to = class_of(size);

		if (from == to)
			return block;
		if (block != NULL && from == 0) {
			/* Large to small: never refused for the cap, the
			 * large block's bytes pay for it. */
			heap.used -= old;
			if ((p = take_small(to)) == NULL) {
				heap.used += old;
				return NULL;
			}
			memcpy(p, block, size);
			free(block);
			return p;
		}
		if (block != NULL && to < from && heap.free[to] == NULL &&
		    !charge(class_size[to])) {
			/* A shrink at the cap: the old block goes back to
			 * malloc, not to a free list, and pays for the new. */
			if ((p = malloc(class_size[to])) == NULL)
				return NULL;
			memcpy(p, block, size);
			free(block);
			heap.used = heap.used - class_size[from] +
			    class_size[to];
			return p;
		}
		if ((p = take_small(to)) == NULL)
			return NULL;
		if (block != NULL) {
			memcpy(p, block, old < size ? old : size);
			give_small(block, from);
		}
		return p;
	}
	if (from == 0) {
		/* Large to large (or new). */
		if (size > old && !charge(size - old))
			return NULL;
		if ((p = realloc(block, size)) == NULL)
			return NULL;
		heap.used = heap.used - old + size;
		return p;
	}
	/* Small to large. */
	if (!charge(size) || (p = malloc(size)) == NULL)
		return NULL;
	heap.used += size;
	memcpy(p, block, old);
	give_small(block, from);
	return p;
}

/*
 * A refusal is final only when Lua's retry of the same request (after its
 * emergency collection, which only frees) is refused too, or when no retry
 * comes: a plugin whose garbage the emergency collection cleared (say with
 * the collector stopped) did not run out of memory.
 */
static __attribute__((noinline)) void *
request(void *block, size_t old_size, size_t new_size)
{
	size_t old = block != NULL ? old_size : 0;
	bool retry = false;
	void *p;

	if (heap.pending) {
		retry = block == heap.pending_block &&
		    old_size == heap.pending_old &&
		    new_size == heap.pending_new;
		if (!retry)
			heap.refused = true;
		heap.pending = false;
	}
	if ((p = resize(block, old, new_size)) == NULL) {
		if (retry)
			heap.refused = true;
		else {
			heap.pending = true;
			heap.pending_block = block;
			heap.pending_old = old_size;
			heap.pending_new = new_size;
		}
	}
	return p;
}

/* Lua's allocator: a free, or a new small block from its free list, is
 * done here; everything else is a request. */
void *
heap_alloc(void *unused, void *block, size_t old_size, size_t new_size)
{
	struct free_block *b;

	(void)unused;
	if (new_size == 0) {
		if (block == NULL)
			return NULL;
		if (old_size <= SMALL_LIMIT)
			give_small(block, class_of(old_size));
		else {
			free(block);
			heap.used -= old_size;
		}
		return NULL;
	}
	if (block == NULL && new_size <= SMALL_LIMIT && !heap.pending) {
		unsigned c = class_of(new_size);

		if ((b = heap.free[c]) != NULL) {
			UNPOISON(b, class_size[c]);
			heap.free[c] = b->next;
			return b;
		}
	}
	return request(block, old_size, new_size);
}

bool
heap_take_refusal(void)
{
	bool refused = heap.refused || heap.pending;

	heap.refused = heap.pending = false;
	return refused;
}

size_t
heap_used(void)
{
	return heap.used;
}
