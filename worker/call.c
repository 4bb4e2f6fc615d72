/*
 * The limits inside the worker.  A call runs with no hook at all: in Lua
 * 5.4 any count hook sends every instruction through the debug path, a
 * sixth of a call's cost.  The deadline is armed the way lua.c handles
 * SIGINT: when a call is late by the supervisor's clock, the supervisor
 * sends SIGALRM, and the handler only installs a hook.  The hook first
 * writes the answers the worker holds (so the supervisor sees how far it
 * got), then raises a timeout once this call's own deadline has passed
 * (noting first where the plugin was: traceback.h), or keeps checking
 * every HOOK_INTERVAL instructions until it has; from then on it fires on
 * every instruction, so a plugin that catches the error with pcall is
 * interrupted again at once, outside its pcall, until the call returns.  Coroutines carry a count hook from birth (a signal reaches only
 * the main thread); a plugin's top level runs with the count hook too.  The
 * supervisor's kill covers what no hook can see (a long C function such as
 * a pattern match).  Memory is capped by the allocator (heap.c).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "call.h"
#include "channel.h"
#include "heap.h"
#include "log.h"
#include "luaenv.h"
#include "traceback.h"

#define HOOK_INTERVAL	1000
#define ENTRY_POINT	"GetWorkloadTypeAndName"

static uint64_t deadline = UINT64_MAX;
static bool timed_out;
static uint32_t call_timeout_ms, load_timeout_ms;
static lua_State *main_state;
/* What luaward called: the entry point during a request, the error
 * object's __tostring while it is shown, NULL while the top level runs
 * (traceback.h). */
static const char *running_entry;
/* Where the plugin was when its deadline passed: written by the hook, so
 * no memory is asked for at the moment the call is stopped. */
static char where[1536];
/* A SIGALRM arrived: the hook's first act is to write what is done. */
static volatile sig_atomic_t signalled;

static void
deadline_hook(lua_State *L, lua_Debug *unused)
{
	(void)unused;
	if (signalled) {
		signalled = 0;
		(void)channel_flush();
	}
	if (monotonic_ms() < deadline) {
		/* Early, or a signal meant for a call that has ended: keep
		 * watching this call (cheaply) until its deadline. */
		lua_sethook(L, deadline_hook, LUA_MASKCOUNT, HOOK_INTERVAL);
		return;
	}
	/* The first stop is where it was; later ones only end a pcall that
	 * caught it. */
	if (!timed_out)
		traceback_where(L, main_state, running_entry, where,
		    sizeof(where));
	timed_out = true;
	lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
	luaL_error(L, "timeout");
}

/* Only arms the hook: lua_sethook is safe in a signal handler (lua.c). */
static void
on_deadline_signal(int signal_number)
{
	(void)signal_number;
	signalled = 1;
	if (main_state != NULL)
		lua_sethook(main_state, deadline_hook, LUA_MASKCALL |
		    LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* coroutine.create and coroutine.wrap: a new thread takes the hook of the
 * thread that creates it, so the creator wears the count hook for that
 * moment.  The argument is checked here, so errors read as the
 * original's. */
static int
hooked_thread(lua_State *L)
{
	lua_Hook old = lua_gethook(L);
	int mask = lua_gethookmask(L), count = lua_gethookcount(L);

	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_sethook(L, deadline_hook, LUA_MASKCOUNT, HOOK_INTERVAL);
	lua_call(L, 1, 1);
	lua_sethook(L, old, mask, count);
	return 1;
}

static void
hook_coroutines(lua_State *L)
{
	static const char *const creators[] = { "create", "wrap" };

	if (lua_getglobal(L, LUA_COLIBNAME) != LUA_TTABLE) {
		lua_pop(L, 1);
		return;
	}
	for (size_t i = 0; i < sizeof(creators) / sizeof(creators[0]); i++) {
		lua_getfield(L, -1, creators[i]);
		lua_pushcclosure(L, hooked_thread, 1);
		lua_setfield(L, -2, creators[i]);
	}
	lua_pop(L, 1);
}

void
call_init(lua_State *L, const struct wire_load *settings)
{
	struct sigaction action;

	call_timeout_ms = settings->call_timeout_ms;
	load_timeout_ms = settings->load_timeout_ms;
	main_state = L;
	hook_coroutines(L);
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_deadline_signal;
	action.sa_flags = SA_RESTART;
	sigemptyset(&action.sa_mask);
	if (sigaction(SIGALRM, &action, NULL) == -1)
		channel_fatal(WIRE_EXIT_SETUP, "sandbox", "sigaction(SIGALRM) "
		    "for the deadline");
}

/* Starts the deadline of a call begun at now_us: with the count hook for a
 * plugin's top level, with none (until the supervisor's signal) for a
 * call. */
static void
arm(lua_State *L, uint32_t timeout_ms, uint64_t now_us, bool hooked)
{
	timed_out = false;
	where[0] = '\0';
	deadline = timeout_ms == 0 ? UINT64_MAX : now_us / 1000 + timeout_ms;
	if (hooked && timeout_ms != 0)
		lua_sethook(L, deadline_hook, LUA_MASKCOUNT, HOOK_INTERVAL);
	else
		lua_sethook(L, NULL, 0, 0);
	(void)heap_take_refusal();
}

/* Renders the error object as text, under the same protection: its
 * __tostring is plugin code.  Without one, a string is itself, and
 * anything else is described by its type (and value, for the types that
 * have one to show): an address would tell the reader nothing. */
static int
error_text(lua_State *L)
{
	int type = lua_type(L, 1);

	if (luaL_callmeta(L, 1, "__tostring")) {
		if (!lua_isstring(L, -1))
			return luaL_error(L, "'__tostring' must return a "
			    "string");
		return 1;
	}
	switch (type) {
	case LUA_TSTRING:
		lua_settop(L, 1);
		break;
	case LUA_TNUMBER:
	case LUA_TBOOLEAN:
		lua_pushfstring(L, "error object: %s %s", lua_typename(L, type),
		    luaL_tolstring(L, 1, NULL));
		break;
	default:
		lua_pushfstring(L, "error object: %s", lua_typename(L, type));
		break;
	}
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

/*
 * Ends a protected call: lifts the deadline and returns NULL when the call
 * succeeded within its limits, or else its error kind and message.  The
 * error object is rendered first, while the call's deadline still holds:
 * its __tostring is plugin code, and one that never returns must end as a
 * timeout here, not as a worker the supervisor has to kill.
 */
static const char *
end_call(lua_State *L, int status, char *message, size_t size,
    uint32_t timeout_ms)
{
	bool refused;

	if (status != LUA_OK && !timed_out) {
		running_entry = "__tostring";
		describe_error(L, message, size);
	}
	deadline = UINT64_MAX;
	lua_sethook(L, NULL, 0, 0);
	refused = heap_take_refusal();
	if (timed_out) {
		snprintf(message, size, "did not finish within %u ms%s%s",
		    timeout_ms, where[0] != '\0' ? ", " : "", where);
		return "timeout";
	}
	if (status == LUA_ERRMEM || refused) {
		snprintf(message, size, "memory limit reached (%zu bytes in "
		    "use)", heap_used());
		return "memory";
	}
	return status != LUA_OK ? "error" : NULL;
}

/* Runs the compiled chunk (argument 1), then looks for the entry point
 * (a lookup that may run a metamethod of the chunk's, so it is protected
 * too).  Returns nothing when it is a function, else the type name of
 * what is there. */
static int
run_top_level(lua_State *L)
{
	lua_call(L, 0, 0);
	if (lua_getglobal(L, ENTRY_POINT) == LUA_TFUNCTION)
		return 0;
	lua_pushstring(L, luaL_typename(L, -1));
	return 1;
}

int
call_load_plugin(lua_State *L, const struct wire_load *settings, char *error,
    size_t error_size)
{
	char message[WIRE_MAX_TEXT - 64], chunkname[WIRE_MAX_PATH + 8];
	const char *kind;
	int status;

	/* Errors name the file as the user named it (Lua shows a long name
	 * by its end). */
	if (settings->chunk_name.length > 0)
		snprintf(chunkname, sizeof(chunkname), "@%.*s",
		    (int)settings->chunk_name.length,
		    settings->chunk_name.bytes);
	else
		snprintf(chunkname, sizeof(chunkname), "@%.*s.lua",
		    (int)settings->plugin.length, settings->plugin.bytes);
	running_entry = NULL;
	lua_settop(L, 0);
	/* Compiling returns its status (it never raises), so a syntax error
	 * and a compiler out of memory are told from a failing top level
	 * without any state of their own. */
	arm(L, load_timeout_ms, monotonic_us(), true);
	status = luaL_loadbufferx(L, settings->source.bytes,
	    settings->source.length, chunkname, "t");
	if ((kind = end_call(L, status, message, sizeof(message),
	    load_timeout_ms)) != NULL) {
		snprintf(error, error_size, WIRE_LOAD_COMPILE_FAILED ": %s%s%s",
		    strcmp(kind, "error") != 0 ? kind : "",
		    strcmp(kind, "error") != 0 ? ": " : "", message);
		lua_settop(L, 0);
		return -1;
	}
	lua_pushcfunction(L, run_top_level);
	lua_insert(L, 1);
	arm(L, load_timeout_ms, monotonic_us(), true);
	status = lua_pcall(L, 1, 1, 0);
	if ((kind = end_call(L, status, message, sizeof(message),
	    load_timeout_ms)) != NULL) {
		if (strcmp(kind, "error") != 0)
			snprintf(error, error_size, "top level: %s: %s", kind,
			    message);
		else
			snprintf(error, error_size, "top level: %s", message);
		lua_settop(L, 0);
		return -1;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {
		snprintf(error, error_size, WIRE_LOAD_NO_ENTRY_POINT
		    " function " ENTRY_POINT " (found %s)", lua_tostring(L, -1));
		lua_settop(L, 0);
		return -1;
	}
	lua_settop(L, 0);
	return 0;
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
reply_error(uint64_t id, const char *kind, const char *message,
    uint64_t micros)
{
	if (wire_put_error(channel_output(), id, kind, message,
	    strlen(message), micros) == -1)
		channel_fatal(WIRE_EXIT_MEMORY, "memory", "no memory for a "
		    "reply");
}

void
call_request(lua_State *L, uint64_t id, struct wire_string metadata)
{
	char message[WIRE_MAX_TEXT - 64];
	const char *kind, *type, *name;
	size_t type_length, name_length;
	uint64_t started, micros;
	int status;

	lua_settop(L, 0);
	running_entry = ENTRY_POINT;
	lua_pushcfunction(L, run_request);
	lua_pushlightuserdata(L, &metadata);
	started = monotonic_us();
	arm(L, call_timeout_ms, started, false);
	status = lua_pcall(L, 1, 2, 0);
	kind = end_call(L, status, message, sizeof(message),
	    call_timeout_ms);
	micros = monotonic_us() - started;
	if (kind != NULL) {
		reply_error(id, kind, message, micros);
		lua_settop(L, 0);
		return;
	}
	if (lua_type(L, 1) != LUA_TSTRING || lua_type(L, 2) != LUA_TSTRING) {
		snprintf(message, sizeof(message), "returned (%s, %s); "
		    "expected two strings", luaL_typename(L, 1),
		    luaL_typename(L, 2));
		reply_error(id, "bad-return", message, micros);
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
		reply_error(id, "bad-return", message, micros);
	} else if (wire_put_reply(channel_output(), id, type, type_length,
	    name, name_length, micros) == -1)
		channel_fatal(WIRE_EXIT_MEMORY, "memory", "no memory for a "
		    "reply");
	lua_settop(L, 0);
}
