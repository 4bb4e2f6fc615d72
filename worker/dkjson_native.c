/*
 * dkjson.decode in C, mirroring dkjson.lua 2.6's scanner step by step:
 * the same whitespace (isspace, so \v and \f too), the same number pattern
 * ("^%-?[%d%.]+[eE]?[%+%-]?%d*", then tonumber on that text), the same
 * names (a letter, then letters and digits: true, false, null), strings
 * copied byte for byte with dkjson's escapes (an unknown escape gives the
 * escaped byte; \u gives UTF-8 for any code point, lone surrogates
 * included), and its table loop with its leniency (a missing or trailing
 * comma, "key": value pairs in arrays and bare values in objects).  Each
 * table is made empty, given its metatable, then filled in dkjson's order
 * with the raw equivalents of its assignments, so even its layout (what #
 * and next see) is dkjson's.  Raw assignment is equal to dkjson's plain
 * one because a metatable with __newindex is left to dkjson.lua.
 *
 * Everything else answers "not mine": the caller then runs dkjson.lua.
 * That covers each error, so error results are dkjson's own.
 */
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#include "dkjson_native.h"

/* Deeper nesting is left to dkjson.lua: bounded C recursion. */
#define MAX_DEPTH	200
/* Longer number texts are left to dkjson.lua: a fixed buffer. */
#define MAX_NUMBER	127
/* Object keys up to Lua's short-string length come from a cache. */
#define KEY_BITS	9
#define KEY_SLOTS	(1 << KEY_BITS)
#define KEY_MAX		40
/* After the keys, the cache table holds the metatables' strings. */
enum { NAME_JSONTYPE = KEY_SLOTS + 1, NAME_OBJECT, NAME_ARRAY };

/*
 * Interning a string hashes every byte of it, and the same keys come back
 * in every document: the installed decoder keeps the strings it made for
 * keys, anchored in a table (the userdata's user value), and pushes one
 * from there when the same bytes come again.  The string is the one
 * lua_pushlstring would give, so nothing but the time taken differs.
 */
struct key_cache {
	const char	*bytes[KEY_SLOTS];
	size_t		 length[KEY_SLOTS];
};

/* decode's arguments, at these stack indices while decoding. */
enum { ARG_TEXT = 1, ARG_POSITION, ARG_NULL, ARG_OBJECTMETA, ARG_ARRAYMETA };

struct decoder {
	lua_State	*L;
	const char	*s;
	size_t		 length;
	int		 depth;
	/* decode(s [, pos [, nullval]]): dkjson makes two fresh
	 * {__jsontype = ...} metatables, one per kind, for this call. */
	bool		 make_metatables;
	/* Installed: the key cache and its table's stack index. */
	struct key_cache *keys;
	int		 key_table;
};

/* The snapshot's registry key. */
static const char snapshot_key;

/*
 * What dkjson's decoder captures when it loads, by global and field:
 * its scanner (find, sub, len), tonumber and str2num's decimal point
 * (tostring, match, gsub), unichar (char, floor), scanstring's concat,
 * scantable's setmetatable, and select for the optional metatables.
 */
static const char *const captures[][2] = {
	{ NULL, "tonumber" }, { NULL, "tostring" }, { NULL, "setmetatable" },
	{ NULL, "select" }, { "string", "find" }, { "string", "sub" },
	{ "string", "len" }, { "string", "char" }, { "string", "gsub" },
	{ "string", "match" }, { "math", "floor" }, { "table", "concat" },
};
#define CAPTURES	(sizeof(captures) / sizeof(captures[0]))

/*
 * Tries the C decoder and otherwise calls dkjson's decode with the same
 * arguments.  A tail call: dkjson's frames sit where they would without
 * the wrapper, so even a deep document's stack overflow is the same.
 */
static const char wrapper[] =
    "local native, decode = ...\n"
    "return function (...)\n"
    "  local value, pos = native (...)\n"
    "  if pos then\n"
    "    return value, pos\n"
    "  end\n"
    "  return decode (...)\n"
    "end\n";

static bool scan_value(struct decoder *, size_t *);

/* Lua's %s in the C locale (the worker never changes it). */
static inline bool
is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/*
 * scanwhite: moves *pos to the next byte that is not a space.  The end of
 * the text is an error wherever this is called; a comment or a byte order
 * mark ('/' or 0xEF; otherwise an error too) is dkjson.lua's.
 */
static inline bool
skip_white(const struct decoder *d, size_t *pos)
{
	size_t i = *pos;

	while (i < d->length && is_space((unsigned char)d->s[i]))
		i++;
	if (i >= d->length || d->s[i] == '/' ||
	    (unsigned char)d->s[i] == 0xef)
		return false;
	*pos = i;
	return true;
}

/* Four hex digits at s[i..i+3], all before end, or -1. */
static long
hex4(const struct decoder *d, size_t i, size_t end)
{
	long value = 0;

	if (i > end || end - i < 4)
		return -1;
	for (size_t k = i; k < i + 4; k++) {
		unsigned char c = (unsigned char)d->s[k];

		if (is_digit(c))
			value = value << 4 | (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			value = value << 4 | ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return value;
}

/* unichar for 0 <= value <= 0x10FFFF, surrogates included. */
static size_t
put_utf8(char *out, long value)
{
	if (value <= 0x7f) {
		out[0] = (char)value;
		return 1;
	}
	if (value <= 0x7ff) {
		out[0] = (char)(0xc0 | value >> 6);
		out[1] = (char)(0x80 | (value & 0x3f));
		return 2;
	}
	if (value <= 0xffff) {
		out[0] = (char)(0xe0 | value >> 12);
		out[1] = (char)(0x80 | (value >> 6 & 0x3f));
		out[2] = (char)(0x80 | (value & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | value >> 18);
	out[1] = (char)(0x80 | (value >> 12 & 0x3f));
	out[2] = (char)(0x80 | (value >> 6 & 0x3f));
	out[3] = (char)(0x80 | (value & 0x3f));
	return 4;
}

/*
 * scanstring, from the opening quote at *pos.  The closing quote is the
 * first one no backslash escapes: each escape dkjson reads is a backslash
 * and one byte, or goes on with hex digits and "\u" only.  The result is
 * never longer than the text between the quotes, so one buffer of that
 * size holds it.
 */
static bool
scan_string(struct decoder *d, size_t *pos)
{
	const char *s = d->s, *first = s + *pos + 1, *quote, *escape;
	size_t end, at, used = 0;
	luaL_Buffer b;
	char *out;

	if ((quote = memchr(first, '"', d->length - *pos - 1)) == NULL)
		return false;
	if ((escape = memchr(first, '\\', (size_t)(quote - first))) == NULL) {
		lua_pushlstring(d->L, first, (size_t)(quote - first));
		*pos = (size_t)(quote - s) + 1;
		return true;
	}
	for (end = (size_t)(escape - s); end < d->length && s[end] != '"';
	    end++)
		if (s[end] == '\\')
			end++;
	if (end >= d->length)
		return false;
	out = luaL_buffinitsize(d->L, &b, end - *pos - 1);
	for (at = *pos + 1; at < end;) {
		const char *next = memchr(s + at, '\\', end - at);
		size_t run = next != NULL ? (size_t)(next - s) - at : end - at;
		long value, low;

		memcpy(out + used, s + at, run);
		used += run;
		if ((at += run) == end)
			break;
		switch (s[at + 1]) {
		case 'b':
			out[used++] = '\b';
			break;
		case 'f':
			out[used++] = '\f';
			break;
		case 'n':
			out[used++] = '\n';
			break;
		case 'r':
			out[used++] = '\r';
			break;
		case 't':
			out[used++] = '\t';
			break;
		case 'u':
			/* dkjson reads what tonumber(x, 16) takes (spaces,
			 * a sign, fewer digits): that is dkjson.lua's. */
			if ((value = hex4(d, at + 2, end)) < 0)
				return false;
			at += 6;
			if (value >= 0xd800 && value <= 0xdbff &&
			    s[at] == '\\' && s[at + 1] == 'u' &&
			    (low = hex4(d, at + 2, end)) >= 0xdc00 &&
			    low <= 0xdfff) {
				value = (value - 0xd800) * 0x400 +
				    (low - 0xdc00) + 0x10000;
				at += 6;
			}
			used += put_utf8(out + used, value);
			continue;
		default:
			/* ", \ and /, and any other byte: itself. */
			out[used++] = s[at + 1];
			break;
		}
		at += 2;
	}
	luaL_pushresultsize(&b, used);
	*pos = end + 1;
	return true;
}

/* The number pattern from at, then tonumber (lua_stringtonumber is its
 * conversion) on the text matched; no number is an error. */
static bool
scan_number(struct decoder *d, size_t at, size_t *pos)
{
	const char *s = d->s;
	char text[MAX_NUMBER + 1];
	size_t i = at, digits;

	if (s[i] == '-')
		i++;
	for (digits = i; i < d->length &&
	    (is_digit((unsigned char)s[i]) || s[i] == '.'); i++)
		;
	if (i == digits)
		return false;
	if (i < d->length && (s[i] == 'e' || s[i] == 'E'))
		i++;
	if (i < d->length && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < d->length && is_digit((unsigned char)s[i]))
		i++;
	if (i - at > MAX_NUMBER)
		return false;
	memcpy(text, s + at, i - at);
	text[i - at] = '\0';
	if (lua_stringtonumber(d->L, text) == 0)
		return false;
	*pos = i;
	return true;
}

static size_t
key_slot(const char *p, size_t n)
{
	uint64_t head = 0, tail;

	if (n >= 8) {
		memcpy(&head, p, 8);
		memcpy(&tail, p + n - 8, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			head = head << 8 | (unsigned char)p[i];
		tail = head;
	}
	return (size_t)(((head ^ tail * 0x9e3779b97f4a7c15u ^ n) *
	    0xff51afd7ed558ccdu) >> (64 - KEY_BITS));
}

static void
push_key(struct decoder *d, const char *p, size_t n)
{
	struct key_cache *c = d->keys;
	size_t slot = key_slot(p, n);

	if (c->bytes[slot] != NULL && c->length[slot] == n &&
	    memcmp(c->bytes[slot], p, n) == 0) {
		lua_rawgeti(d->L, d->key_table, (lua_Integer)slot + 1);
		return;
	}
	lua_pushlstring(d->L, p, n);
	lua_pushvalue(d->L, -1);
	lua_rawseti(d->L, d->key_table, (lua_Integer)slot + 1);
	c->bytes[slot] = lua_tostring(d->L, -1);
	c->length[slot] = n;
}

/* A string where an object's key is expected: a short one without
 * escapes comes from the cache, any other is scanned as a value. */
static bool
scan_key(struct decoder *d, size_t *pos)
{
	const char *first = d->s + *pos + 1, *quote;
	size_t rest = d->length - *pos - 1;

	if ((quote = memchr(first, '"', rest < KEY_MAX + 1 ? rest :
	    KEY_MAX + 1)) == NULL ||
	    memchr(first, '\\', (size_t)(quote - first)) != NULL)
		return scan_string(d, pos);
	push_key(d, first, (size_t)(quote - first));
	*pos = (size_t)(quote - d->s) + 1;
	return true;
}

/* Pushes {__jsontype = kind}, as dkjson's table constructor makes it. */
static void
push_metatable(struct decoder *d, int name, const char *kind)
{
	lua_createtable(d->L, 0, 1);
	if (d->keys != NULL) {
		lua_rawgeti(d->L, d->key_table, NAME_JSONTYPE);
		lua_rawgeti(d->L, d->key_table, name);
		lua_rawset(d->L, -3);
	} else {
		lua_pushstring(d->L, kind);
		lua_setfield(d->L, -2, "__jsontype");
	}
}

static void
make_metatables(struct decoder *d)
{
	push_metatable(d, NAME_OBJECT, "object");
	lua_replace(d->L, ARG_OBJECTMETA);
	push_metatable(d, NAME_ARRAY, "array");
	lua_replace(d->L, ARG_ARRAYMETA);
	d->make_metatables = false;
}

/* scantable, from the opening bracket at *pos. */
static bool
scan_table(struct decoder *d, size_t *pos, int metatable, char close)
{
	lua_State *L = d->L;
	size_t at = *pos + 1;
	lua_Integer n = 0;
	int table;

	if (++d->depth > MAX_DEPTH || !lua_checkstack(L, 8))
		return false;
	if (d->make_metatables)
		make_metatables(d);
	lua_createtable(L, 0, 0);
	table = lua_gettop(L);
	if (!lua_isnil(L, metatable)) {
		lua_pushvalue(L, metatable);
		lua_setmetatable(L, table);
	}
	for (;;) {
		bool scanned;
		char c;

		if (!skip_white(d, &at))
			return false;
		if (d->s[at] == close)
			break;
		if (d->s[at] == '"' && close == '}' && d->keys != NULL)
			scanned = scan_key(d, &at);
		else
			scanned = scan_value(d, &at);
		if (!scanned || !skip_white(d, &at))
			return false;
		if ((c = d->s[at]) == ':') {
			if (lua_isnil(L, -1))
				return false;
			at++;
			if (!scan_value(d, &at))
				return false;
			lua_rawset(L, table);
			if (!skip_white(d, &at))
				return false;
			c = d->s[at];
		} else
			lua_rawseti(L, table, ++n);
		if (c == ',')
			at++;
	}
	d->depth--;
	*pos = at + 1;
	return true;
}

/* scanvalue: pushes the value at or after *pos and moves *pos past it. */
static bool
scan_value(struct decoder *d, size_t *pos)
{
	const char *s = d->s;
	size_t at = *pos, end;
	unsigned char c;

	if (!skip_white(d, &at))
		return false;
	*pos = at;
	switch (c = (unsigned char)s[at]) {
	case '{':
		return scan_table(d, pos, ARG_OBJECTMETA, '}');
	case '[':
		return scan_table(d, pos, ARG_ARRAYMETA, ']');
	case '"':
		return scan_string(d, pos);
	}
	if (c == '-' || c == '.' || is_digit(c))
		return scan_number(d, at, pos);
	if (!is_alpha(c))
		return false;
	for (end = at + 1; end < d->length && (is_alpha((unsigned char)s[end])
	    || is_digit((unsigned char)s[end])); end++)
		;
	if (end - at == 4 && memcmp(s + at, "true", 4) == 0)
		lua_pushboolean(d->L, 1);
	else if (end - at == 5 && memcmp(s + at, "false", 5) == 0)
		lua_pushboolean(d->L, 0);
	else if (end - at == 4 && memcmp(s + at, "null", 4) == 0)
		lua_pushvalue(d->L, ARG_NULL);
	else
		return false;
	*pos = end;
	return true;
}

/* A metatable the raw assignments agree with: none, or no __newindex. */
static bool
plain_metatable(lua_State *L, int index)
{
	bool plain;

	if (lua_isnil(L, index))
		return true;
	if (lua_type(L, index) != LUA_TTABLE)
		return false;
	lua_pushliteral(L, "__newindex");
	plain = lua_rawget(L, index) == LUA_TNIL;
	lua_pop(L, 1);
	return plain;
}

int
dkjson_native_decode(lua_State *L)
{
	struct decoder d;
	int arguments = lua_gettop(L);
	lua_Integer start = 1;
	size_t pos;

	/* A number for text, a position not a plain index into it (dkjson
	 * counts from the end, rounds, converts), odd metatables: Lua's. */
	if (lua_type(L, ARG_TEXT) != LUA_TSTRING)
		return 0;
	if (!lua_isnoneornil(L, ARG_POSITION)) {
		if (!lua_isinteger(L, ARG_POSITION))
			return 0;
		start = lua_tointeger(L, ARG_POSITION);
	}
	d.L = L;
	d.s = lua_tolstring(L, ARG_TEXT, &d.length);
	d.depth = 0;
	if (start < 1 || (lua_Unsigned)start > d.length)
		return 0;
	lua_settop(L, ARG_ARRAYMETA);
	/* Installed, the decoder has its key cache as upvalue 1. */
	if ((d.keys = lua_touserdata(L, lua_upvalueindex(1))) != NULL) {
		lua_getiuservalue(L, lua_upvalueindex(1), 1);
		d.key_table = lua_gettop(L);
	}
	d.make_metatables = arguments <= ARG_NULL;
	if (!d.make_metatables && (!plain_metatable(L, ARG_OBJECTMETA) ||
	    !plain_metatable(L, ARG_ARRAYMETA)))
		return 0;
	pos = (size_t)start - 1;
	if (!scan_value(&d, &pos))
		return 0;
	lua_pushinteger(L, (lua_Integer)pos + 1);
	return 2;
}

/* Pushes the capture's value (nil where a step is not a table). */
static void
push_capture(lua_State *L, const char *const capture[2])
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	if (capture[0] != NULL) {
		lua_pushstring(L, capture[0]);
		lua_rawget(L, -2);
		lua_remove(L, -2);
		if (!lua_istable(L, -1)) {
			lua_pop(L, 1);
			lua_pushnil(L);
			return;
		}
	}
	lua_pushstring(L, capture[1]);
	lua_rawget(L, -2);
	lua_remove(L, -2);
}

void
dkjson_native_snapshot(lua_State *L)
{
	lua_createtable(L, (int)CAPTURES, 0);
	for (size_t i = 0; i < CAPTURES; i++) {
		push_capture(L, captures[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_rawsetp(L, LUA_REGISTRYINDEX, &snapshot_key);
}

/*
 * Whether dkjson, loaded just now, captured what the snapshot holds.
 * Raw reads: where a raw read finds a value, dkjson's plain read found
 * the same one.
 */
static bool
captures_pristine(lua_State *L)
{
	bool pristine = true;

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &snapshot_key) != LUA_TTABLE) {
		lua_pop(L, 1);
		return false;
	}
	for (size_t i = 0; i < CAPTURES && pristine; i++) {
		push_capture(L, captures[i]);
		lua_rawgeti(L, -2, (lua_Integer)i + 1);
		pristine = lua_type(L, -1) == LUA_TFUNCTION &&
		    lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
	}
	lua_pop(L, 1);
	return pristine;
}

bool
dkjson_native_install(lua_State *L, int index)
{
	bool ours;

	index = lua_absindex(L, index);
	if (lua_type(L, index) != LUA_TTABLE)
		return false;
	lua_pushliteral(L, "version");
	ours = lua_rawget(L, index) == LUA_TSTRING &&
	    strcmp(lua_tostring(L, -1), DKJSON_NATIVE_VERSION) == 0;
	lua_pushliteral(L, "using_lpeg");
	ours = lua_rawget(L, index) == LUA_TNIL && ours;
	lua_pushliteral(L, "decode");
	ours = lua_rawget(L, index) == LUA_TFUNCTION && ours &&
	    !lua_iscfunction(L, -1) && captures_pristine(L);
	if (!ours) {
		lua_pop(L, 3);
		return false;
	}
	if (luaL_loadbufferx(L, wrapper, sizeof(wrapper) - 1, "=dkjson",
	    "t") != LUA_OK)
		lua_error(L);
	memset(lua_newuserdatauv(L, sizeof(struct key_cache), 1), 0,
	    sizeof(struct key_cache));
	lua_createtable(L, NAME_ARRAY, 0);
	lua_pushliteral(L, "__jsontype");
	lua_rawseti(L, -2, NAME_JSONTYPE);
	lua_pushliteral(L, "object");
	lua_rawseti(L, -2, NAME_OBJECT);
	lua_pushliteral(L, "array");
	lua_rawseti(L, -2, NAME_ARRAY);
	lua_setiuservalue(L, -2, 1);
	lua_pushcclosure(L, dkjson_native_decode, 1);
	lua_pushvalue(L, -3);
	lua_call(L, 2, 1);
	lua_pushliteral(L, "decode");
	lua_insert(L, -2);
	lua_rawset(L, index);
	lua_pop(L, 3);
	return true;
}
