/*
 * The Lua state a plugin runs in: a capped allocator and the environment
 * docs/contract.md promises (what plugins need, and clear errors for the rest).
 */
#ifndef LUAWARD_WORKER_LUAENV_H
#define LUAWARD_WORKER_LUAENV_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "../ipc/wire.h"

/* Builds the state; ends the worker when it cannot. */
lua_State *luaenv_new(const struct wire_load *);

/* Names of sandboxed functions plugin code has called (for `check`). */
size_t	 luaenv_touched(struct wire_string *, size_t max);

#endif
