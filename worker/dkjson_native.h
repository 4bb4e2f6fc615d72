/*
 * dkjson.decode in C.  Debian's dkjson.lua stays the module: its decode is
 * replaced by a wrapper that tries the C decoder and, for anything the C
 * decoder does not take on (comments, a byte order mark, a malformed \u
 * escape, nesting past its depth limit, odd arguments, every error), tail-
 * calls dkjson's own decode with the same arguments.  Where the C decoder
 * answers, it builds what dkjson builds in the same order (the same tables,
 * metatables, insertions and positions), so both give one result.
 */
#ifndef LUAWARD_WORKER_DKJSON_NATIVE_H
#define LUAWARD_WORKER_DKJSON_NATIVE_H

#include <stdbool.h>

#include <lua.h>

/* The version of dkjson.lua whose decoder the C one reproduces. */
#define DKJSON_NATIVE_VERSION	"dkjson 2.6"

/*
 * Records the library functions dkjson's decoder captures when it loads
 * (tonumber, string.find ...), as the state has them now, before any
 * plugin code runs.  Call once, right after opening the libraries.
 */
void	 dkjson_native_snapshot(lua_State *);

/*
 * Given the table dkjson.lua returned at index, replaces its decode with
 * the native one and returns true, when the table is dkjson 2.6's and the
 * functions it captured are the snapshot's; otherwise leaves it alone and
 * returns false.  Raises a Lua error only when out of memory.
 */
bool	 dkjson_native_install(lua_State *, int index);

/*
 * The C decoder alone, for tests: decode's arguments in, either (value,
 * position) out, or no results where dkjson.lua must decide.  (Installed,
 * it is a closure that also keeps the strings of short object keys for
 * reuse; pushed as a plain function it makes every string afresh.)
 */
int	 dkjson_native_decode(lua_State *);

#endif
