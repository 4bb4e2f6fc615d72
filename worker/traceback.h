/*
 * Where plugin code was when a limit stopped it, for the limit's message:
 * "at FILE:LINE in function 'NAME'", then a short traceback when more than
 * one frame is on the stack.  It runs inside the deadline hook, so it only
 * reads the stacks (lua_getstack, lua_getinfo "Sln"): it allocates nothing
 * and runs no plugin code.
 */
#ifndef LUAWARD_WORKER_TRACEBACK_H
#define LUAWARD_WORKER_TRACEBACK_H

#include <stddef.h>

#include <lua.h>

/*
 * Writes where L is into out (a NUL-terminated text of at most size
 * bytes; "" when no frame can be named).  main_thread is the state
 * luaward calls plugin code in: its outermost frame, when a C function,
 * is luaward's own and is not shown; when L is a coroutine, the main
 * thread's frames follow L's.  entry names the function luaward called
 * through that C function (GetWorkloadTypeAndName, __tostring), or is
 * NULL when it is the chunk's top level.
 */
void	 traceback_where(lua_State *L, lua_State *main_thread,
	     const char *entry, char *out, size_t size);

#endif
