/*
 * The build compiles Debian's dkjson.lua as the worker would and keeps the
 * chunk beside the source it came from: parsing it was half of a worker's
 * start.  The chunk is used only for byte-for-byte that source under that
 * chunk name, so the function is the one compiling the text gives (its
 * debug information included).  It is the worker's own data, never
 * anything a plugin or the supervisor sends: load() stays text-only.
 */
#include <string.h>

#include <lauxlib.h>

#include "precompiled.h"
#include "precompiled_chunk.h"	/* generated in the build directory */

bool
precompiled_has(const char *source, size_t length, const char *chunkname)
{
	return precompiled_chunk_length > 0 && chunkname[0] == '=' &&
	    strcmp(chunkname + 1, precompiled_name) == 0 &&
	    length == precompiled_source_length &&
	    memcmp(source, precompiled_source, length) == 0;
}

int
precompiled_load(lua_State *L, const char *source, size_t length,
    const char *chunkname)
{
	int status;

	if (!precompiled_has(source, length, chunkname))
		return luaL_loadbufferx(L, source, length, chunkname, "t");
	status = luaL_loadbufferx(L, (const char *)precompiled_chunk,
	    precompiled_chunk_length, chunkname, "b");
	if (status == LUA_OK || status == LUA_ERRMEM)
		return status;
	/* Not this Lua's format after all: the text then. */
	lua_pop(L, 1);
	return luaL_loadbufferx(L, source, length, chunkname, "t");
}
