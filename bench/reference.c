/*
 * The naive in-process host that make bench measures luaward against: one
 * Lua 5.4 state, Debian's dkjson found on the ordinary package.path, the
 * plugins of a directory called in file-name order, the first plugin that
 * returns two non-empty strings decides, a plugin's error is recorded and
 * the chain goes on.  No sandbox, no deadline, no memory cap: the obvious
 * loop a host would write, and no slower than it needs to be.
 *
 *     reference PLUGIN_DIR [FILE]  < JSON Lines  > one line per record
 *
 * Input is JSON Lines, one compact metadata object per line, passed to
 * the plugins as it is.  Output is one JSON object per record.
 */
#include <dirent.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

struct plugin {
	char	 name[256];	/* file name without .lua */
	int	 ref;		/* GetWorkloadTypeAndName, or LUA_NOREF */
	char	*load_error;	/* why it did not load, or NULL */
};

static const char *const canonical[] = {
	"Deployment", "StatefulSet", "ReplicaSet", "DaemonSet",
	"ReplicationController", "CloneSet",
};

static int
is_lua(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 4 && d->d_name[0] != '.' &&
	    strcmp(d->d_name + len - 4, ".lua") == 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Loads every plugin of dir into L; returns how many there are. */
static size_t
load_plugins(lua_State *L, const char *dir, struct plugin **out)
{
	struct dirent **names;
	struct plugin *p;
	char path[4096];
	int n;

	if ((n = scandir(dir, &names, is_lua, by_name)) == -1)
		err(2, "%s", dir);
	if (n == 0)
		errx(2, "%s: no *.lua plugins", dir);
	if ((p = calloc((size_t)n, sizeof(*p))) == NULL)
		err(2, "calloc");
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name) - 4;

		if (len >= sizeof(p[i].name))
			len = sizeof(p[i].name) - 1;
		memcpy(p[i].name, names[i]->d_name, len);
		p[i].ref = LUA_NOREF;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		/* Each plugin defines the same global: take it, then clear it. */
		lua_pushnil(L);
		lua_setglobal(L, "GetWorkloadTypeAndName");
		if (luaL_loadfile(L, path) != LUA_OK ||
		    lua_pcall(L, 0, 0, 0) != LUA_OK) {
			p[i].load_error = strdup(lua_tostring(L, -1) ?
			    lua_tostring(L, -1) : "error object is not a string");
			lua_settop(L, 0);
			continue;
		}
		if (lua_getglobal(L, "GetWorkloadTypeAndName") != LUA_TFUNCTION) {
			p[i].load_error = strdup("no GetWorkloadTypeAndName");
			lua_settop(L, 0);
			continue;
		}
		p[i].ref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	free(names);
	*out = p;
	return (size_t)n;
}

static void
put_json_string(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* A plugin's failure on one record, kept until the record's line is out. */
struct failure {
	const char	*plugin;
	const char	*kind;
	char		*message;
};

static void
put_errors(struct failure *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		fputs(i == 0 ? ",\"errors\":[{\"plugin\":" : ",{\"plugin\":",
		    stdout);
		put_json_string(f[i].plugin, strlen(f[i].plugin));
		printf(",\"kind\":\"%s\",\"message\":", f[i].kind);
		put_json_string(f[i].message, strlen(f[i].message));
		putchar('}');
		free(f[i].message);
	}
	if (nf > 0)
		putchar(']');
}

static void
fail(struct failure *f, size_t *nf, const struct plugin *p, const char *kind,
    const char *message)
{
	f[*nf].plugin = p->name;
	f[*nf].kind = kind;
	if ((f[*nf].message = strdup(message ? message :
	    "error object is not a string")) == NULL)
		err(2, "strdup");
	(*nf)++;
}

/* Walks one record through the chain and prints its line. */
static void
resolve(lua_State *L, const struct plugin *p, size_t np,
    struct failure *failures, const char *rec, size_t len)
{
	const char *type = NULL, *name = NULL, *status = "unresolved";
	const char *decider = "";
	size_t tlen = 0, nlen = 0, nf = 0;

	for (size_t i = 0; i < np && type == NULL; i++) {
		lua_settop(L, 0);
		if (p[i].ref == LUA_NOREF) {
			fail(failures, &nf, &p[i], "load", p[i].load_error);
			continue;
		}
		lua_rawgeti(L, LUA_REGISTRYINDEX, p[i].ref);
		lua_pushlstring(L, rec, len);
		if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
			fail(failures, &nf, &p[i], "error", lua_tostring(L, -1));
			continue;
		}
		if (lua_type(L, 1) != LUA_TSTRING ||
		    lua_type(L, 2) != LUA_TSTRING) {
			fail(failures, &nf, &p[i], "bad-return",
			    "did not return two strings");
			continue;
		}
		type = lua_tolstring(L, 1, &tlen);
		name = lua_tolstring(L, 2, &nlen);
		if (tlen == 0 || nlen == 0) {
			type = name = NULL;
			tlen = nlen = 0;
			continue;
		}
		decider = p[i].name;
		status = "unsupported";
		for (size_t k = 0; k < sizeof(canonical) / sizeof(*canonical);
		    k++) {
			if (strlen(canonical[k]) == tlen &&
			    strncasecmp(canonical[k], type, tlen) == 0) {
				type = canonical[k];
				status = "resolved";
				break;
			}
		}
	}
	printf("{\"status\":\"%s\",\"workloadType\":", status);
	put_json_string(type ? type : "", tlen);
	fputs(",\"workloadName\":", stdout);
	put_json_string(name ? name : "", nlen);
	fputs(",\"plugin\":", stdout);
	put_json_string(decider, strlen(decider));
	put_errors(failures, nf);
	fputs("}\n", stdout);
	lua_settop(L, 0);
}

int
main(int argc, char **argv)
{
	struct plugin *plugins;
	struct failure *failures;
	lua_State *L;
	char *line = NULL;
	size_t cap = 0, np;
	ssize_t len;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: reference PLUGIN_DIR [FILE]\n");
		return 2;
	}
	if (argc == 3 && freopen(argv[2], "r", stdin) == NULL)
		err(2, "%s", argv[2]);
	if ((L = luaL_newstate()) == NULL)
		errx(2, "cannot create a Lua state");
	luaL_openlibs(L);
	np = load_plugins(L, argv[1], &plugins);
	if ((failures = calloc(np, sizeof(*failures))) == NULL)
		err(2, "calloc");
	while ((len = getline(&line, &cap, stdin)) != -1) {
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		resolve(L, plugins, np, failures, line, (size_t)len);
	}
	if (ferror(stdin))
		err(2, "read");
	if (fflush(stdout) == EOF || ferror(stdout))
		err(2, "write");
	free(line);
	free(failures);
	for (size_t i = 0; i < np; i++)
		free(plugins[i].load_error);
	free(plugins);
	lua_close(L);
	return 0;
}
