/*
 * Hostile plugins.  Each test runs the real `luaward resolve` on a chain of
 * three plugins: 1-hostile first, then 2-owner (answers from
 * ownerReferences, as a real plugin would) and 3-last (always DaemonSet /
 * ds), over four records in three input shapes.  Whatever the hostile
 * plugin tries, the contract (docs/contract.md) holds:
 *
 *  - every record gets exactly one line, in input order;
 *  - the hostile plugin's effect is exactly the error entry (kind and
 *    message) that worker/luaenv.c and worker/call.c promise, or the
 *    harmless outcome those files document;
 *  - the ordinary plugins after it still answer every record it did not
 *    decide, exactly as they would without it.
 *
 * Each plugin has its own process: tampering with metatables, globals or
 * the collector reaches only the hostile plugin's own later calls, never
 * the plugins after it (whose answers every test compares).
 *
 * Shared by the hostile plugins' suites (test_hostile*.c): the chain, the
 * records and their answers, the effects a hostile plugin may have on a
 * record, and the run that checks every line against them.  Everything
 * here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_HOSTILE_SUPPORT_H
#define LUAWARD_TESTS_HOSTILE_SUPPORT_H

#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define RECORDS		4
#define HOSTILE		"1-hostile"

/* The bounds of ipc/wire.h: WIRE_MAX_RESULT (a returned string) and
 * WIRE_MAX_TEXT (an error message). */
#define MAX_RESULT	65536
#define MAX_TEXT	4096

#define REFUSED(what)	what " is not available in the sandbox"
#define NOT_PRELOADED(module) "module '" module "' is not available in the " \
	"sandbox (only preloaded modules such as dkjson and the standard " \
	"string, table, math, utf8, coroutine and os can be required)"

/* Maps ownerReferences[1] to an answer, like the seed plugins do. */
static const char owner_plugin[] =
	"package.path = package.path..\";/bin/?.lua\"\n"
	"local dkjson = require(\"dkjson\")\n"
	"function GetWorkloadTypeAndName(metaJsonStr)\n"
	"    local meta = dkjson.decode(metaJsonStr, 1, nil)\n"
	"    local owner = (meta.ownerReferences or {})[1] or {}\n"
	"    if owner.kind == 'ReplicaSet' then\n"
	"        return 'deployment', (owner.name:gsub('%-[^-]+$', ''))\n"
	"    end\n"
	"    return '', ''\n"
	"end\n";

/* The end of every chain: it answers whatever reaches it. */
static const char last_plugin[] =
	"function GetWorkloadTypeAndName(m) return 'DaemonSet', 'ds' end\n";

/* Bare metadata, a Pod and a List: records a, b, c and d. */
static const char input[] =
	"{\"uid\":\"u1\",\"namespace\":\"web\",\"name\":\"a\","
	"\"ownerReferences\":[{\"kind\":\"ReplicaSet\","
	"\"name\":\"web-5f7d9\"}]}\n"
	"{\"uid\":\"u2\",\"namespace\":\"ops\",\"name\":\"b\"}\n"
	"{\"kind\":\"Pod\",\"metadata\":{\"uid\":\"u3\",\"namespace\":\"api\","
	"\"name\":\"c\",\"ownerReferences\":[{\"kind\":\"ReplicaSet\","
	"\"name\":\"api-6c8b4\"}]},\"spec\":{\"nodeName\":\"n1\"}}\n"
	"{\"kind\":\"List\",\"metadata\":{\"name\":\"not-a-pod\"},\"items\":["
	"{\"metadata\":{\"uid\":\"u4\",\"name\":\"d\"}}]}\n";

/* Each record's line up to its status, and the ordinary plugins' answer. */
static const struct {
	const char	*head;
	const char	*answer;
} records[RECORDS] = {
	{ "{\"uid\":\"u1\",\"namespace\":\"web\",\"name\":\"a\",",
	    "\"status\":\"resolved\",\"workloadType\":\"Deployment\","
	    "\"workloadName\":\"web\",\"plugin\":\"2-owner\"" },
	{ "{\"uid\":\"u2\",\"namespace\":\"ops\",\"name\":\"b\",",
	    "\"status\":\"resolved\",\"workloadType\":\"DaemonSet\","
	    "\"workloadName\":\"ds\",\"plugin\":\"3-last\"" },
	{ "{\"uid\":\"u3\",\"namespace\":\"api\",\"name\":\"c\",",
	    "\"status\":\"resolved\",\"workloadType\":\"Deployment\","
	    "\"workloadName\":\"api\",\"plugin\":\"2-owner\"" },
	{ "{\"uid\":\"u4\",\"namespace\":\"\",\"name\":\"d\",",
	    "\"status\":\"resolved\",\"workloadType\":\"DaemonSet\","
	    "\"workloadName\":\"ds\",\"plugin\":\"3-last\"" },
};

/* What the hostile plugin does to one record.  Strings are as printed:
 * JSON-escaped. */
enum effect_kind { PASSES, FAILS, DECIDES };

struct effect {
	enum effect_kind what;
	const char	*kind;		/* FAILS: the error kind */
	const char	*message;	/* FAILS: the whole message... */
	bool		 part;		/* ...or only a part of it */
	const char	*status;	/* DECIDES: its answer */
	const char	*type;
	const char	*name;
};

#define PASS		{ .what = PASSES }
#define FAIL(k, m)	{ .what = FAILS, .kind = (k), .message = (m) }
#define FAIL_PART(k, m)	{ .what = FAILS, .kind = (k), .message = (m), \
			  .part = true }
#define DECIDE(s, t, n)	{ .what = DECIDES, .status = (s), .type = (t), \
			  .name = (n) }

static inline char *
must_asprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

static inline char *
must_asprintf(const char *format, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, format);
	n = vasprintf(&s, format, ap);
	va_end(ap);
	ck_assert_int_ne(n, -1);
	return s;
}

/*
 * A hostile plugin that runs `code` on every record: the code is line 2 of
 * 1-hostile.lua, so its errors read "1-hostile.lua:2: ...".
 */
static inline char *
every_record(const char *code)
{
	return must_asprintf("function GetWorkloadTypeAndName(m)\n%s\nend\n",
	    code);
}

/*
 * A hostile plugin that runs a different piece of code for each record
 * (NULL: none) and then passes ("", ""): the code for record a is line 6,
 * b line 8, c line 10, d line 12.  The code sees `name` (the record's
 * name) and `calls` (how many calls this worker process has made: a
 * restarted worker counts from 1 again).
 */
static inline char *
per_record(const char *a, const char *b, const char *c, const char *d)
{
	return must_asprintf(
	    "local match, calls = string.match, 0\n"
	    "function GetWorkloadTypeAndName(m)\n"
	    "  local name = match(m, '\"name\":\"([^\"]*)\"')\n"
	    "  calls = calls + 1\n"
	    "  if name == 'a' then\n"
	    "%s\n"
	    "  elseif name == 'b' then\n"
	    "%s\n"
	    "  elseif name == 'c' then\n"
	    "%s\n"
	    "  elseif name == 'd' then\n"
	    "%s\n"
	    "  end\n"
	    "  return '', ''\n"
	    "end\n", a != NULL ? a : "", b != NULL ? b : "",
	    c != NULL ? c : "", d != NULL ? d : "");
}

/*
 * An effect's message names the hostile plugin's file "1-hostile.lua", as
 * written; the run names it by the path it was given (DIR/1-hostile.lua,
 * as Lua shows it): the message with every "1-hostile.lua:" made that.
 */
static inline char *
as_run(const char *message, const char *shown)
{
	static const char file[] = HOSTILE ".lua:";
	char *out = must_asprintf("%s", ""), *next;
	const char *p = message, *hit;

	while ((hit = strstr(p, file)) != NULL) {
		next = must_asprintf("%s%.*s%s:", out, (int)(hit - p), p,
		    shown);
		free(out);
		out = next;
		p = hit + sizeof(file) - 1;
	}
	next = must_asprintf("%s%s", out, p);
	free(out);
	return next;
}

static inline void
check_line(const struct run_result *r, size_t i, const struct effect *e,
    const char *shown)
{
	char *line = line_of(r->out, i), *expected, *wanted, *reason;

	ck_assert_msg(line != NULL, "no line %zu:\n%s", i, r->out);
	switch (e->what) {
	case PASSES:
		expected = must_asprintf("%s%s}", records[i].head,
		    records[i].answer);
		break;
	case DECIDES:
		/* An unsupported type's line says which types are. */
		reason = strcmp(e->status, "unsupported") != 0 ?
		    must_asprintf("%s", "") : must_asprintf(",\"error\":"
		    "\"\\\"%s\\\" is not a workload type luaward accepts "
		    "(Deployment, StatefulSet, ReplicaSet, DaemonSet, "
		    "ReplicationController, CloneSet)\"", e->type);
		expected = must_asprintf("%s\"status\":\"%s\",\"workloadType\":"
		    "\"%s\",\"workloadName\":\"%s\",\"plugin\":\"" HOSTILE
		    "\"%s}", records[i].head, e->status, e->type, e->name,
		    reason);
		free(reason);
		break;
	case FAILS:
	default:
		if (e->part) {
			size_t prefix, length = strlen(line);
			char *message;

			expected = must_asprintf("%s%s,\"errors\":[{\"plugin\":"
			    "\"" HOSTILE "\",\"kind\":\"%s\",\"message\":\"",
			    records[i].head, records[i].answer, e->kind);
			prefix = strlen(expected);
			ck_assert_msg(length > prefix + 4 &&
			    strncmp(line, expected, prefix) == 0 &&
			    strcmp(line + length - 4, "\"}]}") == 0,
			    "record %zu:\n got      %.800s\n expected "
			    "%s...\"}]}",
			    i, line, expected);
			message = strndup(line + prefix, length - prefix - 4);
			ck_assert_ptr_nonnull(message);
			wanted = as_run(e->message, shown);
			ck_assert_msg(strstr(message, wanted) != NULL,
			    "record %zu: message '%.800s' lacks '%s'", i,
			    message, wanted);
			free(wanted);
			free(message);
			free(expected);
			free(line);
			return;
		}
		wanted = as_run(e->message, shown);
		expected = must_asprintf("%s%s,\"errors\":[{\"plugin\":\""
		    HOSTILE "\",\"kind\":\"%s\",\"message\":\"%s\"}]}",
		    records[i].head, records[i].answer, e->kind, wanted);
		free(wanted);
		break;
	}
	ck_assert_msg(strcmp(line, expected) == 0,
	    "record %zu:\n got      %.800s\n expected %.800s", i, line,
	    expected);
	free(expected);
	free(line);
}

/*
 * Runs 1-hostile (source), 2-owner and 3-last over the four records, with
 * extra options (NULL-terminated, or NULL), and checks every line against
 * the effects and the exit status (1 exactly when some record got an
 * error).  r keeps the output for more checks.
 */
static inline void
run_chain(struct run_result *r, const char *source,
    const struct effect effects[RECORDS], const char *const *options)
{
	char *dir = plugin_dir(HOSTILE ".lua", source, "2-owner.lua",
	    owner_plugin, "3-last.lua", last_plugin, NULL);
	char *path = must_asprintf("%s/" HOSTILE ".lua", dir);
	char *shown = lua_shown_path(path);
	const char *argv[16];
	size_t n = 0;
	bool failed = false;

	argv[n++] = "resolve";
	argv[n++] = "--plugins";
	argv[n++] = dir;
	/* One worker per plugin: the effects count a plugin's calls and
	 * lines in its one process. */
	argv[n++] = "--workers";
	argv[n++] = "1";
	for (; options != NULL && *options != NULL; options++) {
		ck_assert_uint_lt(n, 15);
		argv[n++] = *options;
	}
	argv[n] = NULL;
	run_luaward_argv(r, input, strlen(input), 60, argv);
	ck_assert_msg(count_lines(r->out) == RECORDS, "%zu lines, exit %d:\n"
	    "%.3000s\nstderr:\n%.2000s", count_lines(r->out), r->status,
	    r->out, r->err);
	for (size_t i = 0; i < RECORDS; i++) {
		check_line(r, i, &effects[i], shown);
		failed = failed || effects[i].what == FAILS;
	}
	ck_assert_msg(r->status == (failed ? 1 : 0), "exit %d; stderr:\n"
	    "%.2000s", r->status, r->err);
	free(shown);
	free(path);
	free(dir);
}

static inline void
expect_chain(const char *source, const struct effect effects[RECORDS],
    const char *const *options)
{
	struct run_result r;

	run_chain(&r, source, effects, options);
	run_result_free(&r);
}

/* code, run on every record, fails each one with kind and message. */
static inline void
expect_every_record_fails(const char *code, const char *kind,
    const char *message)
{
	char *source = every_record(code);
	const struct effect e = FAIL(kind, message);
	const struct effect effects[RECORDS] = { e, e, e, e };

	expect_chain(source, effects, NULL);
	free(source);
}

/* code (line 2) calls a stub: every record gets the error naming it. */
static inline void
expect_refused(const char *code, const char *function)
{
	char *message = must_asprintf(HOSTILE ".lua:2: %s is not available "
	    "in the sandbox", function);

	expect_every_record_fails(code, "error", message);
	free(message);
}

/* Lines of text that contain needle. */
static inline size_t
count_lines_with(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *line = text; *line != '\0'; ) {
		const char *end = strchr(line, '\n');
		size_t length = end != NULL ? (size_t)(end - line) :
		    strlen(line);
		char *copy = strndup(line, length);

		ck_assert_ptr_nonnull(copy);
		if (strstr(copy, needle) != NULL)
			n++;
		free(copy);
		line += length + (end != NULL);
	}
	return n;
}

#endif
