/*
 * Every name a plugin can reach is decided here.  Kept: the base functions,
 * string, table, math, utf8, coroutine, os.time/clock/date/difftime, require
 * for preloaded modules, an assignable package.path.  Replaced by functions
 * that raise "<name> is not available in the sandbox": io.*, the rest of os,
 * debug.*, package.loadlib and package.searchpath, dofile, loadfile,
 * string.dump.  load() compiles text only.  print() and warn() become
 * rate-limited log lines.  None of this is a security boundary on its own
 * (seccomp and Landlock are); it turns a would-be violation into a clear
 * error that names the function.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "channel.h"
#include "dkjson_native.h"
#include "heap.h"
#include "log.h"
#include "luaenv.h"
#include "precompiled.h"

static struct wire_string touched[WIRE_MAX_TOUCHED];
static size_t touched_count;

static const char *const io_names[] = {
	"close", "flush", "input", "lines", "open", "output", "popen", "read",
	"tmpfile", "type", "write", "stdin", "stdout", "stderr", NULL,
};
static const char *const os_names[] = {
	"execute", "exit", "getenv", "remove", "rename", "setlocale",
	"tmpname", NULL,
};
static const char *const os_kept[] = {
	"clock", "date", "difftime", "time", NULL,
};
static const char *const debug_names[] = {
	"debug", "gethook", "getinfo", "getlocal", "getmetatable",
	"getregistry", "getupvalue", "getuservalue", "sethook", "setlocal",
	"setmetatable", "setupvalue", "setuservalue", "traceback", "upvalueid",
	"upvaluejoin", "setcstacklimit", NULL,
};
static const char *const package_names[] = {
	"loadlib", "searchpath", NULL,
};

size_t
luaenv_touched(struct wire_string *out, size_t max)
{
	size_t n = touched_count < max ? touched_count : max;

	memcpy(out, touched, n * sizeof(*out));
	return n;
}

static void
note_touched(const char *name, size_t length)
{
	for (size_t i = 0; i < touched_count; i++)
		if (touched[i].length == length &&
		    memcmp(touched[i].bytes, name, length) == 0)
			return;
	if (touched_count < WIRE_MAX_TOUCHED) {
		char *copy = malloc(length);

		if (copy == NULL)
			return;
		memcpy(copy, name, length);
		touched[touched_count].bytes = copy;
		touched[touched_count++].length = length;
	}
}

static int
unavailable(lua_State *L)
{
	size_t length;
	const char *name = lua_tolstring(L, lua_upvalueindex(1), &length);

	note_touched(name, length);
	return luaL_error(L, "%s is not available in the sandbox", name);
}

/* Fills the table on top of the stack with stubs named prefix.name. */
static void
set_stubs(lua_State *L, const char *prefix, const char *const *names)
{
	for (; *names != NULL; names++) {
		lua_pushfstring(L, "%s.%s", prefix, *names);
		lua_pushcclosure(L, unavailable, 1);
		lua_setfield(L, -2, *names);
	}
}

static void
set_global_stub(lua_State *L, const char *name)
{
	lua_pushstring(L, name);
	lua_pushcclosure(L, unavailable, 1);
	lua_setglobal(L, name);
}

/* load() with text chunks only: mode "b" or "bt" is refused by name, and
 * whatever the caller passed, the real load sees mode "t". */
static int
text_load(lua_State *L)
{
	int arguments = lua_gettop(L);
	const char *mode = luaL_optstring(L, 3, "t");

	if (strchr(mode, 'b') != NULL)
		return luaL_error(L, "load: binary chunks are not available in "
		    "the sandbox (mode '%s')", mode);
	if (arguments < 3)
		lua_settop(L, 3);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* require(): only modules already loaded or preloaded by the supervisor. */
static int
sandbox_require(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	lua_settop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);	/* 2 */
	if (lua_getfield(L, 2, name) != LUA_TNIL &&
	    lua_toboolean(L, -1))
		return 1;
	lua_pop(L, 1);
	if (lua_getfield(L, lua_upvalueindex(1), name) != LUA_TFUNCTION)
		return luaL_error(L, "module '%s' is not available in the "
		    "sandbox (only preloaded modules such as dkjson and the "
		    "standard string, table, math, utf8, coroutine and os "
		    "can be required)", name);
	lua_pushvalue(L, 1);
	lua_pushliteral(L, ":preload:");
	lua_call(L, 2, 1);
	if (!lua_isnil(L, -1))
		lua_setfield(L, 2, name);
	else
		lua_pop(L, 1);
	if (lua_getfield(L, 2, name) == LUA_TNIL) {
		lua_pushboolean(L, 1);
		lua_copy(L, -1, -2);
		lua_setfield(L, 2, name);
	}
	lua_pushliteral(L, ":preload:");
	return 2;
}

/* A preloaded module: its source (upvalue 1) compiled as text on require,
 * or the build's chunk of that very text (precompiled.h). */
static int
preload_module(lua_State *L)
{
	size_t length;
	const char *source = lua_tolstring(L, lua_upvalueindex(1), &length);
	const char *chunkname = lua_tostring(L, lua_upvalueindex(2));

	if (precompiled_load(L, source, length, chunkname) != LUA_OK)
		return lua_error(L);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	/* dkjson keeps its module table; its decode runs in C where that
	 * gives the same result (dkjson_native.h). */
	if (strcmp(chunkname, "=dkjson") == 0)
		(void)dkjson_native_install(L, -1);
	return 1;
}

static int
sandbox_print(lua_State *L)
{
	char line[LOG_MAX_LINE + 1];
	size_t used = 0;
	int arguments = lua_gettop(L);

	for (int i = 1; i <= arguments; i++) {
		size_t length;
		const char *s = luaL_tolstring(L, i, &length);

		if (i > 1 && used < sizeof(line))
			line[used++] = '\t';
		if (length > sizeof(line) - used)
			length = sizeof(line) - used;
		memcpy(line + used, s, length);
		used += length;
		lua_pop(L, 1);
	}
	log_line(line, used);
	return 0;
}

/* warn(): Lua's semantics ("@on" / "@off", pieces joined), routed to the
 * log instead of the worker's stderr. */
static void
sandbox_warn(void *unused, const char *piece, int continued)
{
	static char line[LOG_MAX_LINE];
	static size_t used;
	static bool on, in_message;
	size_t length = strlen(piece);

	(void)unused;
	if (!in_message && !continued && piece[0] == '@') {
		if (strcmp(piece, "@on") == 0)
			on = true;
		else if (strcmp(piece, "@off") == 0)
			on = false;
		return;
	}
	if (!in_message) {
		used = 0;
		memcpy(line, "warning: ", 9);
		used = 9;
	}
	in_message = continued != 0;
	if (length > sizeof(line) - used)
		length = sizeof(line) - used;
	memcpy(line + used, piece, length);
	used += length;
	if (!continued && on)
		log_line(line, used);
}

static int
build_environment(lua_State *L)
{
	const struct wire_load *settings = lua_touserdata(L, 1);
	static const luaL_Reg kept[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ LUA_COLIBNAME, luaopen_coroutine },
		{ NULL, NULL },
	};

	for (const luaL_Reg *lib = kept; lib->name != NULL; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}

	/* os: the clock and calendar functions, nothing that reaches out. */
	luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
	lua_newtable(L);
	for (const char *const *name = os_kept; *name != NULL; name++) {
		lua_getfield(L, -2, *name);
		lua_setfield(L, -2, *name);
	}
	set_stubs(L, "os", os_names);
	lua_pushvalue(L, -1);
	lua_setglobal(L, LUA_OSLIBNAME);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_insert(L, -2);
	lua_setfield(L, -2, LUA_OSLIBNAME);
	lua_pop(L, 2);

	/* io and debug: stubs only, and not requirable (dkjson probes
	 * require "debug" under pcall and must see it fail). */
	lua_newtable(L);
	set_stubs(L, "io", io_names);
	lua_setglobal(L, LUA_IOLIBNAME);
	lua_newtable(L);
	set_stubs(L, "debug", debug_names);
	lua_setglobal(L, LUA_DBLIBNAME);

	/* package: path stays assignable for the seed plugins' first line. */
	lua_newtable(L);
	lua_pushliteral(L, LUA_PATH_DEFAULT);
	lua_setfield(L, -2, "path");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_pushliteral(L, LUA_DIRSEP "\n" LUA_PATH_SEP "\n" LUA_PATH_MARK
	    "\n" LUA_EXEC_DIR "\n-\n");
	lua_setfield(L, -2, "config");
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_setfield(L, -2, "loaded");
	lua_newtable(L);
	lua_setfield(L, -2, "searchers");
	set_stubs(L, "package", package_names);
	lua_newtable(L);				/* preload */
	for (size_t i = 0; i < settings->module_count; i++) {
		const struct wire_module *module = &settings->modules[i];

		lua_pushlstring(L, module->source.bytes, module->source.length);
		lua_pushfstring(L, "=%s", lua_pushlstring(L,
		    module->name.bytes, module->name.length));
		lua_remove(L, -2);
		lua_pushcclosure(L, preload_module, 2);
		lua_pushlstring(L, module->name.bytes, module->name.length);
		lua_insert(L, -2);
		lua_settable(L, -3);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "preload");
	lua_pushcclosure(L, sandbox_require, 1);
	lua_setglobal(L, "require");
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, LUA_LOADLIBNAME);
	lua_pop(L, 1);
	lua_setglobal(L, LUA_LOADLIBNAME);

	/* Base functions that reach files or bytecode. */
	set_global_stub(L, "dofile");
	set_global_stub(L, "loadfile");
	lua_getglobal(L, "load");
	lua_pushcclosure(L, text_load, 1);
	lua_setglobal(L, "load");
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushliteral(L, "string.dump");
	lua_pushcclosure(L, unavailable, 1);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	lua_pushcfunction(L, sandbox_print);
	lua_setglobal(L, "print");
	dkjson_native_snapshot(L);
	return 0;
}

static int
panic(lua_State *L)
{
	const char *message = lua_tostring(L, -1);

	channel_fatal(WIRE_EXIT_LOAD, "error", "unprotected Lua error: %s",
	    message != NULL ? message : "(not a string)");
}

lua_State *
luaenv_new(const struct wire_load *settings)
{
	lua_State *L;

	heap_init(settings->memory_bytes);
	log_configure(settings->log_lines_per_second, settings->log_burst);
	if ((L = lua_newstate(heap_alloc, NULL)) == NULL)
		channel_fatal(WIRE_EXIT_MEMORY, "memory", "cannot create a Lua "
		    "state within %llu bytes",
		    (unsigned long long)settings->memory_bytes);
	lua_atpanic(L, panic);
	lua_setwarnf(L, sandbox_warn, NULL);
	lua_pushcfunction(L, build_environment);
	lua_pushlightuserdata(L, (void *)settings);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK)
		channel_fatal(WIRE_EXIT_MEMORY, "memory", "cannot build the "
		    "Lua environment within %llu bytes: %s",
		    (unsigned long long)settings->memory_bytes,
		    lua_tostring(L, -1));
	(void)heap_take_refusal();
	/* Most of a call's objects die with the call: the generational
	 * collector leaves the long-lived environment out of most cycles.
	 * A plugin may still switch modes with collectgarbage(). */
	lua_gc(L, LUA_GCGEN, 0, 0);
	return L;
}
