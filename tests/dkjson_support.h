/*
 * Shared by the dkjson differential suite and its fuzz target: one Lua
 * state holding Debian's dkjson.lua twice, REF as it is and NAT with the
 * native decode installed (worker/dkjson_native.h), the C decoder alone as
 * NATIVE, and a comparison of both decoders' results under every call form.
 *
 * Results are compared in full: the number of results, pcall's status,
 * types (math.type too), float bits (-0.0, inf), string bytes, and tables
 * key by key in next() order (so the same layout), with # and metatables;
 * a table passed in (nullval, objectmeta, arraymeta) must be the very one,
 * and the default metatables must be shared in the same pattern.
 *
 * Everything here is static; no check.h, so the fuzz target can use it.
 */
#ifndef LUAWARD_TESTS_DKJSON_SUPPORT_H
#define LUAWARD_TESTS_DKJSON_SUPPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "../supervisor/engine/plugins.h"
#include "../worker/dkjson_native.h"

static const char dkjson_harness_source[] =
"local ref, nat, native = ...\n"
"local OM = {__jsontype = 'object', mine = 'object'}\n"
"local AM = {__jsontype = 'array', mine = 'array'}\n"
"local NI = {__newindex = function (t, k, v) rawset(t, k, v) end}\n"
"local shared = {[OM] = true, [AM] = true, [NI] = true, [ref.null] = true}\n"
"local pack, spack, sformat = table.pack, string.pack, string.format\n"
"local forms = {\n"
"  {'decode(s)', function (s) return s end},\n"
"  {'decode(s, 1)', function (s) return s, 1 end},\n"
"  {'decode(s, 1, nil)', function (s) return s, 1, nil end},\n"
"  {'decode(s, nil, json.null)', function (s) return s, nil, ref.null end},\n"
"  {'decode(s, 1, \"NULL\")', function (s) return s, 1, 'NULL' end},\n"
"  {'decode(s, 1, false, nil)', function (s) return s, 1, false, nil end},\n"
"  {'decode(s, 1, json.null, OM, AM)',\n"
"   function (s) return s, 1, ref.null, OM, AM end},\n"
"  {'decode(s, 1, nil, OM)', function (s) return s, 1, nil, OM end},\n"
"  {'decode(s, 1, 0, nil, AM, 1)',\n"
"   function (s) return s, 1, 0, nil, AM, 1 end},\n"
"  {'decode(s, 1, nil, NI, AM)', function (s) return s, 1, nil, NI, AM end},\n"
"}\n"
"local function show(v)\n"
"  if type(v) == 'string' then return sformat('%q', v) end\n"
"  if math.type(v) == 'float' then return sformat('%a', v) end\n"
"  return tostring(v)\n"
"end\n"
"local same\n"
"-- Keys in the same next() order: the same layout.\n"
"local function same_ordered(a, b, st, path)\n"
"  local ka, va = next(a)\n"
"  local kb, vb = next(b)\n"
"  while ka ~= nil or kb ~= nil do\n"
"    if ka == nil or kb == nil then\n"
"      return path .. ': key ' .. show(ka) .. ' vs ' .. show(kb)\n"
"    end\n"
"    local p = path .. '[' .. show(ka) .. ']'\n"
"    local d = same(ka, kb, st, p .. '<key>') or same(va, vb, st, p)\n"
"    if d then return d end\n"
"    ka, va = next(a, ka)\n"
"    kb, vb = next(b, kb)\n"
"  end\n"
"  return nil\n"
"end\n"
"local function has_table_key(t)\n"
"  for k in next, t do\n"
"    if type(k) == 'table' then return true end\n"
"  end\n"
"  return false\n"
"end\n"
"-- Tables as keys sit where their addresses hash, in dkjson.lua's\n"
"-- results too: the same keys and values, each table key matched with\n"
"-- an equal one.\n"
"local function same_unordered(a, b, st, path)\n"
"  local tables = {}\n"
"  for kb, vb in next, b do\n"
"    if type(kb) == 'table' then tables[kb] = vb\n"
"    elseif a[kb] == nil then return path .. ': extra key ' .. show(kb)\n"
"    end\n"
"  end\n"
"  for ka, va in next, a do\n"
"    local p = path .. '[' .. show(ka) .. ']'\n"
"    if type(ka) ~= 'table' then\n"
"      local d = same(va, rawget(b, ka), st, p)\n"
"      if d then return d end\n"
"    else\n"
"      local match\n"
"      for kb, vb in next, tables do\n"
"        local trial = {ab = setmetatable({}, {__index = st.ab}),\n"
"                       ba = setmetatable({}, {__index = st.ba})}\n"
"        if not same(ka, kb, trial, p) and not same(va, vb, trial, p) then\n"
"          match = kb\n"
"          break\n"
"        end\n"
"      end\n"
"      if match == nil then return p .. ': no equal key' end\n"
"      local d = same(ka, match, st, p) or same(va, tables[match], st, p)\n"
"      if d then return d end\n"
"      tables[match] = nil\n"
"    end\n"
"  end\n"
"  if next(tables) ~= nil then return path .. ': extra table key' end\n"
"  return nil\n"
"end\n"
"function same(a, b, st, path)\n"
"  local ta, tb = type(a), type(b)\n"
"  if ta ~= tb then return path .. ': ' .. ta .. ' vs ' .. tb end\n"
"  if ta == 'number' then\n"
"    local ma, mb = math.type(a), math.type(b)\n"
"    if ma ~= mb or (ma == 'float' and spack('<d', a) ~= spack('<d', b))\n"
"        or (ma == 'integer' and a ~= b) then\n"
"      return path .. ': ' .. ma .. ' ' .. show(a) .. ' vs ' .. mb .. ' '\n"
"          .. show(b)\n"
"    end\n"
"    return nil\n"
"  elseif ta ~= 'table' then\n"
"    if a ~= b then return path .. ': ' .. show(a) .. ' vs ' .. show(b) end\n"
"    return nil\n"
"  end\n"
"  if shared[a] or shared[b] then\n"
"    if not rawequal(a, b) then return path .. ': not the one passed' end\n"
"    return nil\n"
"  end\n"
"  if st.ab[a] ~= nil or st.ba[b] ~= nil then\n"
"    if st.ab[a] ~= b or st.ba[b] ~= a then\n"
"      return path .. ': tables shared differently'\n"
"    end\n"
"    return nil\n"
"  end\n"
"  st.ab[a], st.ba[b] = b, a\n"
"  local ma, mb = getmetatable(a), getmetatable(b)\n"
"  if (ma == nil) ~= (mb == nil) then\n"
"    return path .. ': metatable ' .. tostring(ma) .. ' vs ' .. tostring(mb)\n"
"  end\n"
"  if ma ~= nil then\n"
"    local d = same(ma, mb, st, path .. '<metatable>')\n"
"    if d then return d end\n"
"  end\n"
"  local d\n"
"  if has_table_key(a) or has_table_key(b) then\n"
"    d = same_unordered(a, b, st, path)\n"
"  else\n"
"    d = same_ordered(a, b, st, path)\n"
"  end\n"
"  if d then return d end\n"
"  if rawlen(a) ~= rawlen(b) then\n"
"    return path .. ': # ' .. rawlen(a) .. ' vs ' .. rawlen(b)\n"
"  end\n"
"  return nil\n"
"end\n"
"-- Both called at the same stack height: a stack overflow is the same.\n"
"local decoders = {ref.decode, nat.decode}\n"
"local function compare(label, ...)\n"
"  local r = {}\n"
"  for i = 1, 2 do\n"
"    r[i] = pack(pcall(decoders[i], ...))\n"
"  end\n"
"  local ra, rb = r[1], r[2]\n"
"  if ra.n ~= rb.n then\n"
"    return label .. ': ' .. ra.n - 1 .. ' results vs ' .. rb.n - 1\n"
"  end\n"
"  local st = {ab = {}, ba = {}}\n"
"  for i = 1, ra.n do\n"
"    local d = same(ra[i], rb[i], st, label .. ' result ' .. i - 1)\n"
"    if d then return d end\n"
"  end\n"
"  return nil\n"
"end\n"
"local harness = {compare = compare}\n"
"-- Every call form (or only the one numbered), and decode(s, pos\n"
"-- [, json.null, OM, AM]) when given.\n"
"function harness.check(s, pos, only)\n"
"  for i, form in ipairs(forms) do\n"
"    if only == nil or only % #forms == i - 1 then\n"
"      local d = compare(form[1], form[2](s))\n"
"      if d then return d end\n"
"    end\n"
"  end\n"
"  if pos ~= nil then\n"
"    return compare('decode(s, ' .. show(pos) .. ')', s, pos)\n"
"        or compare('decode(s, ' .. show(pos) .. ', json.null, OM, AM)',\n"
"                   s, pos, ref.null, OM, AM)\n"
"  end\n"
"  return nil\n"
"end\n"
"-- Whether the C decoder answers decode(s, 1, nil) itself.\n"
"function harness.native_takes(s)\n"
"  return select('#', native(s, 1, nil)) == 2\n"
"end\n"
"return harness\n";

/* Loads dkjson.lua as a module table (the chunk name dkjson.lua gets). */
static inline bool
dkjson_load(lua_State *L, char *error, size_t size)
{
	if (luaL_loadfilex(L, DKJSON_PATH, "t") != LUA_OK ||
	    lua_pcall(L, 0, 1, 0) != LUA_OK) {
		snprintf(error, size, "%s", lua_tostring(L, -1));
		return false;
	}
	return true;
}

/*
 * The state: globals REF, NAT, NATIVE and HARNESS (above).  Returns NULL
 * with the reason when dkjson.lua cannot be loaded or the native decoder
 * refuses it (another dkjson version: the suite must then be revisited).
 */
static inline lua_State *
dkjson_harness_new(char *error, size_t size)
{
	lua_State *L = luaL_newstate();

	if (L == NULL) {
		snprintf(error, size, "no Lua state");
		return NULL;
	}
	luaL_openlibs(L);
	dkjson_native_snapshot(L);
	/* Twice, one load per copy the harness keeps. */
	if (!dkjson_load(L, error, size))
		goto fail;
	if (!dkjson_load(L, error, size))
		goto fail;
	if (!dkjson_native_install(L, -1)) {
		snprintf(error, size, "%s is not %s, or the native decoder "
		    "refused it", DKJSON_PATH, DKJSON_NATIVE_VERSION);
		goto fail;
	}
	lua_setglobal(L, "NAT");
	lua_setglobal(L, "REF");
	lua_pushcfunction(L, dkjson_native_decode);
	lua_setglobal(L, "NATIVE");
	if (luaL_loadbufferx(L, dkjson_harness_source,
	    sizeof(dkjson_harness_source) - 1, "=harness", "t") != LUA_OK) {
		snprintf(error, size, "%s", lua_tostring(L, -1));
		goto fail;
	}
	lua_getglobal(L, "REF");
	lua_getglobal(L, "NAT");
	lua_getglobal(L, "NATIVE");
	if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
		snprintf(error, size, "%s", lua_tostring(L, -1));
		goto fail;
	}
	lua_setglobal(L, "HARNESS");
	return L;
fail:
	lua_close(L);
	return NULL;
}

/*
 * Compares both decoders on text under every call form, or only the one
 * numbered form (any number; -1 for all), and with the value on top of
 * the stack as the position too when pos_on_stack.  Returns NULL or the
 * first difference (valid until the next call).
 */
static inline const char *
dkjson_harness_check_form(lua_State *L, const char *text, size_t length,
    bool pos_on_stack, int form)
{
	static char difference[2048];
	int top = lua_gettop(L) - (pos_on_stack ? 1 : 0);

	lua_getglobal(L, "HARNESS");
	lua_getfield(L, -1, "check");
	lua_remove(L, -2);
	lua_pushlstring(L, text, length);
	if (pos_on_stack)
		lua_pushvalue(L, top + 1);
	else
		lua_pushnil(L);
	if (form >= 0)
		lua_pushinteger(L, form);
	else
		lua_pushnil(L);
	if (lua_pcall(L, 3, 1, 0) != LUA_OK || !lua_isnil(L, -1)) {
		const char *d = lua_tostring(L, -1);

		snprintf(difference, sizeof(difference), "%s",
		    d != NULL ? d : "(no message)");
		lua_settop(L, top);
		return difference;
	}
	lua_settop(L, top);
	return NULL;
}

static inline const char *
dkjson_harness_check(lua_State *L, const char *text, size_t length,
    bool pos_on_stack)
{
	return dkjson_harness_check_form(L, text, length, pos_on_stack, -1);
}

/* Whether the C decoder answers decode(text, 1, nil) without dkjson.lua. */
static inline bool
dkjson_native_takes(lua_State *L, const char *text, size_t length)
{
	bool takes;

	lua_getglobal(L, "HARNESS");
	lua_getfield(L, -1, "native_takes");
	lua_pushlstring(L, text, length);
	takes = lua_pcall(L, 1, 1, 0) == LUA_OK && lua_toboolean(L, -1);
	lua_pop(L, 2);
	return takes;
}

#endif
