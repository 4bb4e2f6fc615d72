/*
 * Sandbox probes for `luaward selftest`: once the sandbox is sealed, the
 * worker tries one forbidden thing and reports whether it worked.  A probe
 * that the seccomp filter stops never reports: the worker dies naming the
 * syscall, and the supervisor counts that as blocked.
 */
#ifndef LUAWARD_WORKER_PROBE_H
#define LUAWARD_WORKER_PROBE_H

#include <lua.h>

#include "../ipc/wire.h"

/* Runs the named probe and queues its PROBE message. */
void	 probe_run(lua_State *, struct wire_string name);

#endif
