/*
 * Preloaded modules compiled at build time (worker/chunk_gen.c), so that a
 * worker does not compile the same text at every start.
 */
#ifndef LUAWARD_WORKER_PRECOMPILED_H
#define LUAWARD_WORKER_PRECOMPILED_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

/*
 * luaL_loadbufferx(L, source, length, chunkname, "t"), except that when
 * chunkname and source are exactly those the build compiled, the
 * build's chunk is loaded instead: the same function, without the parse.
 */
int	 precompiled_load(lua_State *, const char *source, size_t length,
	    const char *chunkname);

/* Whether the build compiled exactly this source under this name. */
bool	 precompiled_has(const char *source, size_t length,
	    const char *chunkname);

#endif
