/*
 * The limits inside the worker.  A count hook fires every HOOK_INTERVAL VM
 * instructions (in every coroutine: new threads inherit the hook) and raises
 * a timeout once the deadline has passed; from then on it fires on every
 * instruction, so a plugin that catches the error with pcall is interrupted
 * again at once, outside its pcall, until the call returns.  The supervisor's
 * own timer covers the cases the hook cannot see (a long C function such as a
 * pattern match).  Memory is capped by the allocator (luaenv.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "call.h"
#include "channel.h"
#include "log.h"
#include "luaenv.h"

#define HOOK_INTERVAL	1000
#define ENTRY_POINT	"GetWorkloadTypeAndName"

static uint64_t deadline = UINT64_MAX;
static bool timed_out;
static uint32_t call_timeout_ms, load_timeout_ms;

static void
deadline_hook(lua_State *L, lua_Debug *unused)
{
	(void)unused;
	if (monotonic_ms() < deadline)
		return;
	timed_out = true;
	lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
	luaL_error(L, "timeout");
}

void
call_init(lua_State *L, const struct wire_load *settings)
{
	call_timeout_ms = settings->call_timeout_ms;
	load_timeout_ms = settings->load_timeout_ms;
	lua_sethook(L, deadline_hook, LUA_MASKCOUNT, HOOK_INTERVAL);
}

static void
arm(lua_State *L, uint32_t timeout_ms)
{
	timed_out = false;
	deadline = timeout_ms == 0 ? UINT64_MAX : monotonic_ms() + timeout_ms;
	lua_sethook(L, deadline_hook, LUA_MASKCOUNT, HOOK_INTERVAL);
	(void)luaenv_take_refusal();
}

/* Renders the error object as text, under the same protection: its
 * __tostring is plugin code. */
static int
error_text(lua_State *L)
{
	luaL_tolstring(L, 1, NULL);
	return 1;
}

static void
describe_error(lua_State *L, char *out, size_t size)
{
	const char *s;

	lua_pushcfunction(L, error_text);
	lua_insert(L, -2);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK ||
	    (s = lua_tostring(L, -1)) == NULL)
		s = "(error object cannot be shown)";
	snprintf(out, size, "%s", s);
	lua_pop(L, 1);
}

/* Names the failure of a protected call; returns the error kind. */
static const char *
classify(lua_State *L, int status, bool refused, char *message, size_t size,
    uint32_t timeout_ms)
{
	if (timed_out) {
		snprintf(message, size, "did not finish within %u ms",
		    timeout_ms);
		return "timeout";
	}
	if (status == LUA_ERRMEM || refused) {
		snprintf(message, size, "memory limit reached (%zu bytes in "
		    "use)", luaenv_memory_used());
		return "memory";
	}
	describe_error(L, message, size);
	return "error";
}

static int
run_top_level(lua_State *L)
{
	const struct wire_load *settings = lua_touserdata(L, 1);
	char chunkname[WIRE_MAX_NAME + 8];

	snprintf(chunkname, sizeof(chunkname), "@%.*s.lua",
	    (int)settings->plugin.length, settings->plugin.bytes);
	if (luaL_loadbufferx(L, settings->source.bytes,
	    settings->source.length, chunkname, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	if (lua_getglobal(L, ENTRY_POINT) != LUA_TFUNCTION)
		return luaL_error(L, "the plugin does not define function "
		    ENTRY_POINT " (found %s)", luaL_typename(L, -1));
	return 0;
}

int
call_load_plugin(lua_State *L, const struct wire_load *settings, char *error,
    size_t error_size)
{
	char message[WIRE_MAX_TEXT - 64];
	const char *kind;
	bool refused;
	int status;

	lua_pushcfunction(L, run_top_level);
	lua_pushlightuserdata(L, (void *)settings);
	arm(L, load_timeout_ms);
	status = lua_pcall(L, 1, 0, 0);
	deadline = UINT64_MAX;
	refused = luaenv_take_refusal();
	if (status == LUA_OK && !timed_out && !refused) {
		lua_settop(L, 0);
		return 0;
	}
	kind = classify(L, status, refused, message, sizeof(message),
	    load_timeout_ms);
	if (strcmp(kind, "error") == 0)
		snprintf(error, error_size, "%s", message);
	else
		snprintf(error, error_size, "top level: %s: %s", kind,
		    message);
	lua_settop(L, 0);
	return -1;
}

static int
run_request(lua_State *L)
{
	const struct wire_string *metadata = lua_touserdata(L, 1);

	if (lua_getglobal(L, ENTRY_POINT) != LUA_TFUNCTION)
		return luaL_error(L, ENTRY_POINT " is no longer a function "
		    "(it is %s)", luaL_typename(L, -1));
	lua_pushlstring(L, metadata->bytes, metadata->length);
	lua_call(L, 1, 2);
	return 2;
}

static void
reply_error(uint64_t id, const char *kind, const char *message)
{
	if (wire_put_error(channel_output(), id, kind, message,
	    strlen(message)) == -1)
		channel_fatal(WIRE_EXIT_MEMORY, "memory", "no memory for a "
		    "reply");
}

void
call_request(lua_State *L, uint64_t id, struct wire_string metadata)
{
	char message[WIRE_MAX_TEXT - 64];
	const char *type, *name;
	size_t type_length, name_length;
	bool refused;
	int status;

	lua_settop(L, 0);
	lua_pushcfunction(L, run_request);
	lua_pushlightuserdata(L, &metadata);
	arm(L, call_timeout_ms);
	status = lua_pcall(L, 1, 2, 0);
	deadline = UINT64_MAX;
	refused = luaenv_take_refusal();
	if (status != LUA_OK || timed_out || refused) {
		const char *kind = classify(L, status, refused, message,
		    sizeof(message), call_timeout_ms);

		reply_error(id, kind, message);
		lua_settop(L, 0);
		return;
	}
	if (lua_type(L, 1) != LUA_TSTRING || lua_type(L, 2) != LUA_TSTRING) {
		snprintf(message, sizeof(message), "returned (%s, %s); "
		    "expected two strings", luaL_typename(L, 1),
		    luaL_typename(L, 2));
		reply_error(id, "bad-return", message);
		lua_settop(L, 0);
		return;
	}
	type = lua_tolstring(L, 1, &type_length);
	name = lua_tolstring(L, 2, &name_length);
	if (type_length > WIRE_MAX_RESULT || name_length > WIRE_MAX_RESULT) {
		snprintf(message, sizeof(message), "returned a string of %zu "
		    "bytes; at most %u are accepted",
		    type_length > name_length ? type_length : name_length,
		    WIRE_MAX_RESULT);
		reply_error(id, "bad-return", message);
	} else if (wire_put_reply(channel_output(), id, type, type_length,
	    name, name_length) == -1)
		channel_fatal(WIRE_EXIT_MEMORY, "memory", "no memory for a "
		    "reply");
	lua_settop(L, 0);
}
