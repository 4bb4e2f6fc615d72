/*
 * Running plugin code under the per-call limits: the chunk's top level once,
 * then GetWorkloadTypeAndName once per request.
 */
#ifndef LUAWARD_WORKER_CALL_H
#define LUAWARD_WORKER_CALL_H

#include <stdint.h>

#include <lua.h>

#include "../ipc/wire.h"

/* Installs the deadline hook; every later use of the state is under it. */
void	 call_init(lua_State *, const struct wire_load *);

/* Compiles and runs the plugin's top level.  Returns 0, or -1 with a
 * message for the load error. */
int	 call_load_plugin(lua_State *, const struct wire_load *, char *error,
	     size_t error_size);

/* Runs one request and appends its REPLY or ERROR to the channel. */
void	 call_request(lua_State *, uint64_t id, struct wire_string metadata);

#endif
