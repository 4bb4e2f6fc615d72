/*
 * A traceback written from inside the deadline hook.  Lua's own
 * luaL_traceback builds its text on the Lua stack (it allocates, and may
 * fail at the memory cap) and looks names up in package.loaded (a table
 * walk that could meet plugin metatables); this one formats into the
 * caller's buffer from what lua_getinfo reads off the stack.
 *
 * A deep recursion shows its innermost and outermost frames with a count
 * of those between, as Lua's does; the stack's depth is found by a binary
 * search over lua_getstack, so even a very deep stack costs a few passes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "traceback.h"

/* Frames shown of the running thread (innermost, outermost), and of the
 * main thread after them when the running one is a coroutine. */
#define HEAD_FRAMES		4
#define TAIL_FRAMES		2
#define RESUMER_HEAD_FRAMES	2
#define RESUMER_TAIL_FRAMES	1
/* A function's name may be any string a table key can be. */
#define NAME_SHOWN		40

struct text {
	char	*out;
	size_t	 size, used;
};

static void put(struct text *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends, cutting what does not fit. */
static void
put(struct text *t, const char *format, ...)
{
	va_list ap;
	int n;

	if (t->used + 1 >= t->size)
		return;
	va_start(ap, format);
	n = vsnprintf(t->out + t->used, t->size - t->used, format, ap);
	va_end(ap);
	if (n < 0)
		t->out[t->used] = '\0';
	else if ((size_t)n >= t->size - t->used)
		t->used = t->size - 1;
	else
		t->used += (size_t)n;
}

/* How many frames L's stack holds. */
static int
depth(lua_State *L)
{
	lua_Debug ar;
	int low = 0, high = 1;

	if (!lua_getstack(L, 0, &ar))
		return 0;
	/* Level low exists, level high does not. */
	while (lua_getstack(L, high, &ar)) {
		low = high;
		if (high > INT_MAX / 2)
			return high;
		high *= 2;
	}
	while (high - low > 1) {
		int middle = low + (high - low) / 2;

		if (lua_getstack(L, middle, &ar))
			low = middle;
		else
			high = middle;
	}
	return low + 1;
}

/* What the function of a frame is called, as a Lua traceback says it,
 * except that a function called by a name is a "function" whatever kind
 * of variable held it.  entry: the name luaward called it by (unless a
 * tail call has taken its place). */
static void
put_function(struct text *t, const lua_Debug *ar, const char *entry)
{
	static const char *const plain[] = {
		"global", "local", "field", "upvalue", "constant",
	};

	if (ar->namewhat[0] != '\0' && ar->name != NULL) {
		const char *kind = ar->namewhat;

		for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
			if (strcmp(kind, plain[i]) == 0)
				kind = "function";
		if (strcmp(kind, "for iterator") == 0)
			put(t, "for iterator");
		else
			put(t, "%s '%.*s'", kind, NAME_SHOWN, ar->name);
	} else if (entry != NULL && !ar->istailcall)
		put(t, "function '%s'", entry);
	else if (strcmp(ar->what, "main") == 0)
		put(t, "main chunk");
	else if (strcmp(ar->what, "C") == 0)
		put(t, "a C function");
	else
		put(t, "function <%s:%d>", ar->short_src, ar->linedefined);
}

static void
put_frame(struct text *t, lua_State *L, int level, const char *entry)
{
	lua_Debug ar;

	if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "Slnt", &ar)) {
		put(t, "?");
		return;
	}
	if (ar.currentline > 0)
		put(t, "%s:%d in ", ar.short_src, ar.currentline);
	else
		put(t, "%s in ", ar.short_src);
	put_function(t, &ar, entry);
	/* The frames the tail call replaced are gone; say so, as Lua's
	 * traceback does. */
	if (ar.istailcall)
		put(t, " (...tail calls...)");
}

/* Frames 0 to count - 1 of L, the middle of a long stack left out; the
 * last is the one luaward called when entry is not NULL. */
static void
put_frames(struct text *t, lua_State *L, int count, int head, int tail,
    const char *entry)
{
	for (int level = 0; level < count; level++) {
		if (level > 0)
			put(t, ", ");
		if (count > head + tail && level == head) {
			put(t, "... %d more", count - head - tail);
			level = count - tail - 1;
			continue;
		}
		put_frame(t, L, level, level == count - 1 ? entry : NULL);
	}
}

/*
 * The frames of the main thread worth showing: all but its outermost when
 * that is a C function, which is luaward's own (the function it called
 * the plugin through).  Then *entry stays the name of the frame above it;
 * otherwise (a __close handler run after an error, at the bottom of the
 * stack) no frame is the one luaward called, and *entry becomes NULL.
 */
static int
main_frames(lua_State *L, const char **entry)
{
	int frames = depth(L);
	lua_Debug ar;

	if (frames > 0 && lua_getstack(L, frames - 1, &ar) &&
	    lua_getinfo(L, "S", &ar) && strcmp(ar.what, "C") == 0)
		return frames - 1;
	*entry = NULL;
	return frames;
}

/* The innermost frame of L below limit that is running Lua code, or
 * else the innermost. */
static int
innermost_line(lua_State *L, int limit)
{
	lua_Debug ar;

	for (int level = 0; level < limit && lua_getstack(L, level, &ar);
	    level++)
		if (lua_getinfo(L, "l", &ar) && ar.currentline > 0)
			return level;
	return 0;
}

void
traceback_where(lua_State *L, lua_State *main_thread, const char *entry,
    char *out, size_t size)
{
	struct text t = { out, size, 0 };
	bool coroutine = L != main_thread;
	/* The main thread's outermost frame is luaward's C function. */
	int frames = coroutine ? depth(L) : main_frames(L, &entry);
	int resumer = coroutine ? main_frames(main_thread, &entry) : 0;
	int here = innermost_line(L, frames);

	if (size == 0)
		return;
	out[0] = '\0';
	if (frames <= 0)
		return;
	put(&t, "at ");
	put_frame(&t, L, here, here == frames - 1 && !coroutine ? entry :
	    NULL);
	if (coroutine)
		put(&t, " in a coroutine");
	if (frames + resumer <= 1)
		return;
	put(&t, " (traceback: ");
	put_frames(&t, L, frames, HEAD_FRAMES, TAIL_FRAMES, coroutine ? NULL :
	    entry);
	if (coroutine && resumer > 0) {
		put(&t, "; resumed from ");
		put_frames(&t, main_thread, resumer, RESUMER_HEAD_FRAMES,
		    RESUMER_TAIL_FRAMES, entry);
	}
	put(&t, ")");
}
