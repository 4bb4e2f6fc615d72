/*
 * Hostile plugins.  Each test runs the real `luaward resolve` on a chain of
 * three plugins: 1-hostile first, then 2-owner (answers from
 * ownerReferences, as a real plugin would) and 3-last (always DaemonSet /
 * ds), over four records in three input shapes.  Whatever the hostile
 * plugin tries, the contract (DESIGN.md) holds:
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
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

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

static char *
must_asprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

static char *
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
static char *
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
static char *
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

static void
check_line(const struct run_result *r, size_t i, const struct effect *e)
{
	char *line = line_of(r->out, i), *expected;

	ck_assert_msg(line != NULL, "no line %zu:\n%s", i, r->out);
	switch (e->what) {
	case PASSES:
		expected = must_asprintf("%s%s}", records[i].head,
		    records[i].answer);
		break;
	case DECIDES:
		expected = must_asprintf("%s\"status\":\"%s\",\"workloadType\":"
		    "\"%s\",\"workloadName\":\"%s\",\"plugin\":\"" HOSTILE
		    "\"}", records[i].head, e->status, e->type, e->name);
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
			ck_assert_msg(strstr(message, e->message) != NULL,
			    "record %zu: message '%.800s' lacks '%s'", i,
			    message, e->message);
			free(message);
			free(expected);
			free(line);
			return;
		}
		expected = must_asprintf("%s%s,\"errors\":[{\"plugin\":\""
		    HOSTILE "\",\"kind\":\"%s\",\"message\":\"%s\"}]}",
		    records[i].head, records[i].answer, e->kind, e->message);
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
static void
run_chain(struct run_result *r, const char *source,
    const struct effect effects[RECORDS], const char *const *options)
{
	char *dir = plugin_dir(HOSTILE ".lua", source, "2-owner.lua",
	    owner_plugin, "3-last.lua", last_plugin, NULL);
	const char *argv[16];
	size_t n = 0;
	bool failed = false;

	argv[n++] = "resolve";
	argv[n++] = "--plugins";
	argv[n++] = dir;
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
		check_line(r, i, &effects[i]);
		failed = failed || effects[i].what == FAILS;
	}
	ck_assert_msg(r->status == (failed ? 1 : 0), "exit %d; stderr:\n"
	    "%.2000s", r->status, r->err);
	free(dir);
}

static void
expect_chain(const char *source, const struct effect effects[RECORDS],
    const char *const *options)
{
	struct run_result r;

	run_chain(&r, source, effects, options);
	run_result_free(&r);
}

/* code, run on every record, fails each one with kind and message. */
static void
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
static void
expect_refused(const char *code, const char *function)
{
	char *message = must_asprintf(HOSTILE ".lua:2: %s is not available "
	    "in the sandbox", function);

	expect_every_record_fails(code, "error", message);
	free(message);
}

/* Lines of text that contain needle. */
static size_t
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

/* --- files and processes, through every Lua route ------------------------- */

START_TEST(test_io_open_is_refused_by_name)
{
	char *victims = temp_dir(), *written = must_asprintf("%s/written",
	    victims);
	char *b = must_asprintf("io.open('%s', 'w'):write('x')", written);
	char *source = per_record("io.open('/etc/passwd')", b,
	    "local ok, e = pcall(io.open, '/etc/passwd') error(e, 0)",
	    "return io.open('/dev/null'):read('a')");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " REFUSED("io.open")),
		FAIL("error", HOSTILE ".lua:8: " REFUSED("io.open")),
		/* Called by pcall, a C function: no position to show. */
		FAIL("error", REFUSED("io.open")),
		FAIL("error", HOSTILE ".lua:12: " REFUSED("io.open")),
	};

	expect_chain(source, effects, NULL);
	ck_assert_int_ne(access(written, F_OK), 0);
	free(source);
	free(b);
	free(written);
	free(victims);
}
END_TEST

START_TEST(test_io_lines_is_refused_by_name)
{
	expect_refused("for line in io.lines('/etc/passwd') do end",
	    "io.lines");
}
END_TEST

START_TEST(test_io_read_write_and_output_are_refused_by_name)
{
	expect_refused("return io.read('l'), ''", "io.read");
	expect_refused("io.write('to the supervisor\\n')", "io.write");
	expect_refused("io.output('/tmp/luaward-hostile')", "io.output");
}
END_TEST

START_TEST(test_io_input_is_refused_by_name)
{
	expect_refused("io.input('/etc/passwd')", "io.input");
}
END_TEST

START_TEST(test_io_popen_is_refused_by_name)
{
	expect_refused("return 'Deployment', io.popen('id'):read('a')",
	    "io.popen");
}
END_TEST

START_TEST(test_io_tmpfile_is_refused_by_name)
{
	expect_refused("io.tmpfile():write('x')", "io.tmpfile");
}
END_TEST

START_TEST(test_io_standard_files_are_not_file_handles)
{
	/* io.stdin/stdout/stderr are stubs too: indexing one fails before
	 * anything is written. */
	char *source = per_record("io.stdout:write('x')",
	    "io.stderr:write('x')", "return io.stdin:read('a')",
	    "return 'StatefulSet', io.type(io.stdout)");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: attempt to index a function "
		    "value (field 'stdout')"),
		FAIL("error", HOSTILE ".lua:8: attempt to index a function "
		    "value (field 'stderr')"),
		FAIL("error", HOSTILE ".lua:10: attempt to index a function "
		    "value (field 'stdin')"),
		FAIL("error", HOSTILE ".lua:12: " REFUSED("io.type")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_dofile_is_refused_by_name)
{
	expect_refused("dofile('/etc/passwd')", "dofile");
}
END_TEST

START_TEST(test_loadfile_is_refused_by_name)
{
	expect_refused("local f = loadfile('/etc/passwd') return f()",
	    "loadfile");
}
END_TEST

START_TEST(test_require_of_a_file_module_fails)
{
	/* evil.lua exists and is readable on the host, and package.path
	 * points at it: require still knows only preloaded modules. */
	char *modules = temp_dir(), *b, *source;
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " NOT_PRELOADED("os.path")),
		FAIL("error", HOSTILE ".lua:8: " NOT_PRELOADED("evil")),
		FAIL("error", HOSTILE ".lua:10: " NOT_PRELOADED("3-last")),
		DECIDE("resolved", "StatefulSet", "nil"),
	};

	free(write_file(modules, "evil.lua", "return { pwned = true }\n", 24));
	b = must_asprintf("package.path = '%s/?.lua;' .. package.path "
	    "return require('evil')", modules);
	source = per_record("return require('os.path')", b,
	    "package.path = './?.lua' return require('3-last')",
	    "return 'StatefulSet', tostring(package.loaded.evil)");
	expect_chain(source, effects, NULL);
	free(source);
	free(b);
	free(modules);
}
END_TEST

START_TEST(test_package_loadlib_is_refused_by_name)
{
	expect_refused("package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', "
	    "'system')('id')", "package.loadlib");
}
END_TEST

START_TEST(test_package_searchpath_is_refused_by_name)
{
	expect_refused("return package.searchpath('passwd', '/etc/?')",
	    "package.searchpath");
}
END_TEST

START_TEST(test_package_has_no_searchers_and_no_cpath)
{
	expect_every_record_fails("error('searchers: ' .. "
	    "#package.searchers .. ', cpath: [' .. package.cpath .. ']', 0)",
	    "error", "searchers: 0, cpath: []");
}
END_TEST

START_TEST(test_os_execute_is_refused_by_name)
{
	char *victims = temp_dir(), *touched = must_asprintf("%s/touched",
	    victims);
	char *code = must_asprintf("os.execute('touch %s')", touched);

	expect_refused(code, "os.execute");
	ck_assert_int_ne(access(touched, F_OK), 0);
	free(code);
	free(touched);
	free(victims);
}
END_TEST

START_TEST(test_os_remove_and_rename_are_refused_by_name)
{
	char *victims = temp_dir();
	char *victim = write_file(victims, "victim", "x", 1);
	char *renamed = must_asprintf("%s/renamed", victims);
	char *a = must_asprintf("os.remove('%s')", victim);
	char *b = must_asprintf("os.rename('%s', '%s')", victim, renamed);
	char *c = must_asprintf("local ok, e = pcall(os.remove, '%s') "
	    "error(e, 0)", victim);
	char *source = per_record(a, b, c, NULL);
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " REFUSED("os.remove")),
		FAIL("error", HOSTILE ".lua:8: " REFUSED("os.rename")),
		FAIL("error", REFUSED("os.remove")),
		PASS,
	};

	expect_chain(source, effects, NULL);
	ck_assert_int_eq(access(victim, F_OK), 0);
	ck_assert_int_ne(access(renamed, F_OK), 0);
	free(source);
	free(c);
	free(b);
	free(a);
	free(renamed);
	free(victim);
	free(victims);
}
END_TEST

START_TEST(test_os_tmpname_is_refused_by_name)
{
	expect_refused("return 'Deployment', os.tmpname()", "os.tmpname");
}
END_TEST

START_TEST(test_os_getenv_is_refused_by_name)
{
	expect_refused("return 'Deployment', os.getenv('PATH')", "os.getenv");
}
END_TEST

START_TEST(test_os_exit_is_refused_and_the_worker_lives_on)
{
	char *source = per_record(NULL, "os.exit(0)", NULL,
	    "return 'StatefulSet', 'call ' .. calls");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("error", HOSTILE ".lua:8: " REFUSED("os.exit")),
		PASS,
		/* The same process made all four calls. */
		DECIDE("resolved", "StatefulSet", "call 4"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_os_setlocale_is_refused_by_name)
{
	expect_refused("os.setlocale('C.UTF-8')", "os.setlocale");
}
END_TEST

/* --- bytecode ------------------------------------------------------------- */

START_TEST(test_string_dump_is_refused_by_name)
{
	/* Also through a string's metatable, which indexes the same table. */
	char *source = per_record("return string.dump(GetWorkloadTypeAndName)",
	    "return ('').dump(print)",
	    "return getmetatable('').__index.dump(print)",
	    "local ok, e = pcall(string.dump, print) error(e, 0)");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " REFUSED("string.dump")),
		FAIL("error", HOSTILE ".lua:8: " REFUSED("string.dump")),
		FAIL("error", HOSTILE ".lua:10: " REFUSED("string.dump")),
		FAIL("error", REFUSED("string.dump")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_binary_chunk_is_not_loaded)
{
	/* Whatever the route (a string, a reader function, an environment,
	 * an explicit 't'), load() compiles text only. */
	char *source = per_record(
	    "local f, e = load('\\27Lua\\84\\0') error(e, 0)",
	    "local sent = false local f, e = load(function() if sent then "
	    "return nil end sent = true return '\\27Lua' end) error(e, 0)",
	    "local f, e = load('\\27Lua', 'x', nil, {}) error(e, 0)",
	    "local f, e = load('\\27Lua', 'x', 't') error(e, 0)");
	const struct effect e = FAIL("error",
	    "attempt to load a binary chunk (mode is 't')");
	const struct effect effects[RECORDS] = { e, e, e, e };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_load_modes_with_binary_are_refused_by_name)
{
	static const char *const modes[] = { "b", "bt", "tb" };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char *code = must_asprintf("return load('return 1', 'x', "
		    "'%s')", modes[i]);
		char *message = must_asprintf(HOSTILE ".lua:2: load: binary "
		    "chunks are not available in the sandbox (mode '%s')",
		    modes[i]);

		expect_every_record_fails(code, "error", message);
		free(message);
		free(code);
	}
}
END_TEST

/* --- require -------------------------------------------------------------- */

START_TEST(test_require_of_c_modules_fails)
{
	char *source = per_record("return require('lpeg')",
	    "return require('socket')", "return require('lfs')",
	    "return require('posix.unistd')");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " NOT_PRELOADED("lpeg")),
		FAIL("error", HOSTILE ".lua:8: " NOT_PRELOADED("socket")),
		FAIL("error", HOSTILE ".lua:10: " NOT_PRELOADED("lfs")),
		FAIL("error", HOSTILE ".lua:12: "
		    NOT_PRELOADED("posix.unistd")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_require_of_io_and_debug_fails)
{
	/* Only preloaded modules: io and debug were never opened, and
	 * require('os') gives the sandboxed os. */
	char *source = per_record("return require('io')",
	    "return require('debug')",
	    "return 'StatefulSet', tostring(pcall(require, 'debug'))",
	    "require('os').execute('id')");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " NOT_PRELOADED("io")),
		FAIL("error", HOSTILE ".lua:8: " NOT_PRELOADED("debug")),
		DECIDE("resolved", "StatefulSet", "false"),
		FAIL("error", HOSTILE ".lua:12: " REFUSED("os.execute")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- debug ---------------------------------------------------------------- */

START_TEST(test_debug_functions_are_refused_by_name)
{
	char *source = per_record("return debug.getregistry()",
	    "debug.getmetatable('').__index = {}",
	    "debug.upvaluejoin(GetWorkloadTypeAndName, 1, print, 1)",
	    "return debug.getinfo(1).source, ''");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: " REFUSED("debug.getregistry")),
		FAIL("error", HOSTILE ".lua:8: " REFUSED("debug.getmetatable")),
		FAIL("error", HOSTILE ".lua:10: " REFUSED("debug.upvaluejoin")),
		FAIL("error", HOSTILE ".lua:12: " REFUSED("debug.getinfo")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_debug_sethook_cannot_remove_the_deadline)
{
	/* The attempts fail (caught here), and the loop after them still
	 * meets the deadline hook; the worker goes on with the next call. */
	char *source = per_record(NULL,
	    "pcall(debug.sethook) pcall(debug.sethook, nil) while true do end",
	    NULL, "return 'StatefulSet', 'call ' .. calls");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("timeout", "did not finish within 50 ms"),
		PASS,
		DECIDE("resolved", "StatefulSet", "call 4"),
	};
	const char *const options[] = { "--timeout", "50", NULL };

	expect_chain(source, effects, options);
	free(source);
}
END_TEST

/* --- metatables and globals: only the plugin's own later calls ------------ */

START_TEST(test_string_metatable_tampering_stays_in_its_plugin)
{
	/* 2-owner calls string methods (dkjson, owner.name:gsub) on every
	 * record it answers: its answers are unchanged. */
	char *source = per_record("getmetatable('').__index = function() "
	    "error('string methods are gone', 0) end",
	    "return 'StatefulSet', name:upper()",
	    "return 'StatefulSet', name:upper()",
	    "return 'StatefulSet', name:upper()");
	const struct effect gone = FAIL("error", "string methods are gone");
	const struct effect effects[RECORDS] = { PASS, gone, gone, gone };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_replaced_string_functions_stay_in_their_plugin)
{
	char *source = per_record("string.gsub = function() return 'pwned' "
	    "end string.format = string.gsub",
	    "error(string.gsub('web-5f7d9', '%-[^-]+$', '') .. ' ' .. "
	    "string.format('%d', 1), 0)",
	    "error(('api-6c8b4'):gsub('%-[^-]+$', ''), 0)",
	    NULL);
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("error", "pwned pwned"),
		FAIL("error", "pwned"),
		PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_globals_metatable_stays_in_its_plugin)
{
	char *source = per_record("setmetatable(_G, { __index = function(_, k) "
	    "error('no global ' .. k, 0) end, __newindex = function(_, k) "
	    "error('no new global ' .. k, 0) end })",
	    "seen = true",
	    "return undefined_global, ''",
	    "return 'StatefulSet', tostring(rawget(_G, 'seen'))");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("error", "no new global seen"),
		FAIL("error", "no global undefined_global"),
		DECIDE("resolved", "StatefulSet", "nil"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_globals_metatable_cannot_fake_the_entry_point)
{
	/* With the real function gone, __index answers 42 for it. */
	char *source = per_record("setmetatable(_G, { __index = function() "
	    "return 42 end }) GetWorkloadTypeAndName = nil", NULL, NULL, NULL);
	const struct effect gone = FAIL("error", "GetWorkloadTypeAndName is "
	    "no longer a function (it is number)");
	const struct effect effects[RECORDS] = { PASS, gone, gone, gone };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- load() reaching for what the sandbox took away ----------------------- */

START_TEST(test_loaded_text_reaching_for_io_is_refused_by_name)
{
	expect_every_record_fails(
	    "return load(\"return io.open('/etc/passwd')\")()", "error",
	    "[string \\\"return io.open('/etc/passwd')\\\"]:1: "
	    REFUSED("io.open"));
}
END_TEST

START_TEST(test_load_with_a_custom_environment_gives_nothing_new)
{
	char *source = per_record(
	    "error(tostring(load('return io', 'x', 't', {})()), 0)",
	    "return load('return io.open(\"/etc/passwd\")', 'x', 't', "
	    "{ io = io })()",
	    "return load('return require(\"io\")', 'x', 't', "
	    "{ require = require })()",
	    "return load('return debug.getregistry()', '=env', 't', "
	    "{ debug = debug })()");
	const struct effect effects[RECORDS] = {
		FAIL("error", "nil"),
		FAIL("error", "[string \\\"x\\\"]:1: " REFUSED("io.open")),
		FAIL("error", "[string \\\"x\\\"]:1: " NOT_PRELOADED("io")),
		FAIL("error", "env:1: " REFUSED("debug.getregistry")),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- the collector -------------------------------------------------------- */

START_TEST(test_stopped_collector_meets_the_memory_cap_and_recovers)
{
	/* Record a fills the 16 MB cap with the collector stopped: a memory
	 * error.  Its garbage stays until record b grows a table by a
	 * megabyte or two: the allocator refuses, Lua's emergency
	 * collection frees the garbage and asks again, and that succeeds.
	 * Record b is answered, not blamed for a refusal the emergency
	 * collection made good.  (lauxlib's buffers, as in string.rep,
	 * do not retry: there a refusal is final.) */
	char *source = per_record("collectgarbage('stop') local t = {} "
	    "for i = 1, 1e9 do t[i] = string.rep('x', 1e4) .. i end",
	    "local pad = {} for i = 1, 1e5 do pad[i] = i end "
	    "return 'StatefulSet', 'call ' .. calls .. ' running ' .. "
	    "tostring(collectgarbage('isrunning'))", NULL,
	    "return 'StatefulSet', 'call ' .. calls");
	const struct effect effects[RECORDS] = {
		FAIL_PART("memory", "memory limit reached ("),
		DECIDE("resolved", "StatefulSet", "call 2 running false"),
		PASS,
		DECIDE("resolved", "StatefulSet", "call 4"),
	};
	/* A generous deadline: this is about memory, not time. */
	const char *const options[] = { "--memory", "16", "--timeout", "3000",
	    NULL };

	expect_chain(source, effects, options);
	free(source);
}
END_TEST

START_TEST(test_collector_modes_with_odd_parameters_are_harmless)
{
	char *source = per_record("collectgarbage('generational', 0, 1000)",
	    "collectgarbage('incremental', 0, 0, 0) collectgarbage('step', "
	    "1e9)",
	    "collectgarbage('incremental', 100000, 100000, 62) "
	    "collectgarbage('collect') collectgarbage('step', 0)",
	    "return 'StatefulSet', type(collectgarbage('count')) .. ' ' .. "
	    "tostring(collectgarbage('isrunning'))");
	const struct effect effects[RECORDS] = {
		PASS, PASS, PASS, DECIDE("resolved", "StatefulSet",
		    "number true"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_collectgarbage_count_measures_the_plugin)
{
	char *source = per_record(NULL,
	    "local before = collectgarbage('count') local t = {} for i = 1, "
	    "1e5 do t[i] = i end local after = collectgarbage('count') "
	    "return 'StatefulSet', (math.type(after) == 'float' and after > "
	    "before and after < 64 * 1024) and 'grew' or (before .. ' ' .. "
	    "after)", NULL, NULL);
	const struct effect effects[RECORDS] = {
		PASS, DECIDE("resolved", "StatefulSet", "grew"), PASS, PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_finalizer_that_never_returns_is_killed_by_the_supervisor)
{
	/* Lua runs finalizers with hooks off, so the deadline hook cannot
	 * end this one: the supervisor's own timer kills the worker, and a
	 * fresh one answers the records after it. */
	char *source = per_record(NULL, "setmetatable({}, { __gc = function() "
	    "while true do end end }) collectgarbage()", NULL,
	    "return 'StatefulSet', 'call ' .. calls");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("timeout", "did not answer within 50 ms, not even to its "
		    "own deadline; the worker was killed"),
		PASS,
		/* The replacement made calls c and d. */
		DECIDE("resolved", "StatefulSet", "call 2"),
	};
	const char *const options[] = { "--timeout", "50", NULL };

	expect_chain(source, effects, options);
	free(source);
}
END_TEST

/* --- what reaches the output: bytes, sizes -------------------------------- */

START_TEST(test_invalid_utf8_is_replaced_in_every_output_string)
{
	/* Each byte that does not start a valid sequence becomes U+FFFD:
	 * a stray byte, an overlong form, a surrogate, a code point past
	 * U+10FFFF, a truncated sequence. */
	char *source = per_record(NULL,
	    "return 'DaemonSet', 'a\\255b\\192\\175c\\237\\160\\128"
	    "d\\244\\144\\128\\128e\\226\\130f'",
	    "return 'Deploy\\255', 'n'",
	    "error('bad \\255 byte', 0)");
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("resolved", "DaemonSet", "a\\ufffdb\\ufffd\\ufffdc"
		    "\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffd\\ufffde"
		    "\\ufffd\\ufffdf"),
		DECIDE("unsupported", "Deploy\\ufffd", "n"),
		FAIL("error", "bad \\ufffd byte"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_valid_utf8_is_printed_unchanged)
{
	char *source = per_record(NULL,
	    "return 'DaemonSet', '\\u{E9}\\u{20AC}\\u{1D11E}'", NULL, NULL);
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("resolved", "DaemonSet",
		    "\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e"),
		PASS, PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_control_bytes_are_escaped)
{
	/* The short escapes where JSON has them, \u00XX for the rest; DEL
	 * and '/' need no escape. */
	char *source = per_record(NULL,
	    "return 'DaemonSet', "
	    "'\\0\\1\\8\\9\\10\\12\\13\\27\\31\"\\\\/\\127'",
	    NULL, NULL);
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("resolved", "DaemonSet", "\\u0000\\u0001\\b\\t\\n\\f\\r"
		    "\\u001b\\u001f\\\"\\\\/\x7f"),
		PASS, PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_workload_type_is_matched_on_all_its_bytes)
{
	/* Case is free; a NUL or a trailing space makes another type. */
	char *source = per_record(NULL, "return 'DaemonSet\\0', 'x'",
	    "return 'daemonset ', 'y'", "return 'dAEMONsET', 'z'");
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("unsupported", "DaemonSet\\u0000", "x"),
		DECIDE("unsupported", "daemonset ", "y"),
		DECIDE("resolved", "DaemonSet", "z"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_error_message_cannot_forge_an_output_line)
{
	expect_every_record_fails("error('two\\nlines {\"uid\":\"forged\"}"
	    "\\t\\1\\31', 0)", "error", "two\\nlines {\\\"uid\\\":"
	    "\\\"forged\\\"}\\t\\u0001\\u001f");
}
END_TEST

START_TEST(test_returned_name_cannot_forge_fields)
{
	char *source = per_record(NULL,
	    "return 'DaemonSet', 'x\",\"plugin\":\"2-owner'", NULL, NULL);
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("resolved", "DaemonSet",
		    "x\\\",\\\"plugin\\\":\\\"2-owner"),
		PASS, PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_megabyte_name_is_a_bad_return)
{
	expect_every_record_fails("return 'DaemonSet', string.rep('n', "
	    "1048576)", "bad-return", "returned a string of 1048576 bytes; "
	    "at most 65536 are accepted");
}
END_TEST

START_TEST(test_sixty_kilobyte_name_is_printed_whole)
{
	char *source = per_record(NULL,
	    "return 'DaemonSet', string.rep('n', 61440)", NULL, NULL);
	char *name = malloc(61440 + 1);
	struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };

	ck_assert_ptr_nonnull(name);
	memset(name, 'n', 61440);
	name[61440] = '\0';
	effects[1] = (struct effect)DECIDE("resolved", "DaemonSet", name);
	expect_chain(source, effects, NULL);
	free(name);
	free(source);
}
END_TEST

START_TEST(test_returned_strings_are_limited_to_64_kib)
{
	char *source = per_record(NULL,
	    "return 'StatefulSet', string.rep('n', 65536)",
	    "return string.rep('t', 65537), 'x'", NULL);
	char *name = malloc(MAX_RESULT + 1);
	struct effect effects[RECORDS] = {
		PASS, PASS,
		FAIL("bad-return", "returned a string of 65537 bytes; at most "
		    "65536 are accepted"),
		PASS,
	};

	ck_assert_ptr_nonnull(name);
	memset(name, 'n', MAX_RESULT);
	name[MAX_RESULT] = '\0';
	effects[1] = (struct effect)DECIDE("resolved", "StatefulSet", name);
	expect_chain(source, effects, NULL);
	free(name);
	free(source);
}
END_TEST

START_TEST(test_long_error_message_is_cut_to_a_bounded_length)
{
	char *source = every_record("error(string.rep('x', 1000000), 0)");
	const struct effect e = FAIL_PART("error", "xxxxxxxxxxxxxxxx");
	const struct effect effects[RECORDS] = { e, e, e, e };
	struct run_result r;

	run_chain(&r, source, effects, NULL);
	for (size_t i = 0; i < RECORDS; i++) {
		char *line = line_of(r.out, i);

		ck_assert_uint_le(strlen(line), strlen(records[i].head) +
		    strlen(records[i].answer) + MAX_TEXT + 100);
		free(line);
	}
	run_result_free(&r);
	free(source);
}
END_TEST

/* --- log lines ------------------------------------------------------------ */

START_TEST(test_print_flood_is_bounded_and_rate_limited)
{
	/* 100 ms of print per call: tens of thousands of lines, of which
	 * stderr gets a bounded number, and says lines were dropped. */
	char *source = every_record("local t = os.clock() while os.clock() - t "
	    "< 0.1 do print('flood', t) end return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	const char *const options[] = { "--timeout", "3000", NULL };
	struct run_result r;
	size_t lines;

	run_chain(&r, source, effects, options);
	lines = count_lines_with(r.err, "plugin " HOSTILE ": ");
	ck_assert_msg(lines >= 10 && lines < 200, "%zu log lines", lines);
	ck_assert_uint_ge(count_lines_with(r.err, "plugin " HOSTILE ": flood"),
	    10);
	ck_assert_msg(strstr(r.err, "dropped") != NULL, "%.2000s", r.err);
	run_result_free(&r);
	free(source);
}
END_TEST

START_TEST(test_print_cannot_forge_log_lines_or_send_escapes)
{
	char *source = every_record("print('x\\nluaward: plugin 2-owner: "
	    "forged \\27[31mred') return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	struct run_result r;

	run_chain(&r, source, effects, NULL);
	ck_assert_uint_eq(count_lines_with(r.err, "luaward: plugin " HOSTILE
	    ": x?luaward: plugin 2-owner: forged ?[31mred"), RECORDS);
	ck_assert_uint_eq(count_lines_with(r.err, "plugin 2-owner"), RECORDS);
	ck_assert_ptr_null(strstr(r.err, "\nluaward: plugin 2-owner"));
	ck_assert_ptr_null(memchr(r.err, '\033', r.err_length));
	run_result_free(&r);
	free(source);
}
END_TEST

START_TEST(test_warn_flood_is_bounded_and_rate_limited)
{
	char *source = every_record("warn('@on') local t = os.clock() while "
	    "os.clock() - t < 0.1 do warn('w', 'x') end return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	const char *const options[] = { "--timeout", "3000", NULL };
	struct run_result r;
	size_t lines;

	run_chain(&r, source, effects, options);
	lines = count_lines_with(r.err, "plugin " HOSTILE ": ");
	ck_assert_msg(lines >= 10 && lines < 200, "%zu log lines", lines);
	ck_assert_uint_ge(count_lines_with(r.err, "plugin " HOSTILE
	    ": warning: wx"), 10);
	ck_assert_msg(strstr(r.err, "dropped") != NULL, "%.2000s", r.err);
	run_result_free(&r);
	free(source);
}
END_TEST

START_TEST(test_warnings_are_off_until_switched_on)
{
	char *source = every_record("for i = 1, 1000 do warn('quiet ', "
	    "tostring(i)) end return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	struct run_result r;

	run_chain(&r, source, effects, NULL);
	ck_assert_ptr_null(strstr(r.err, "quiet"));
	run_result_free(&r);
	free(source);
}
END_TEST

/* --- error objects -------------------------------------------------------- */

START_TEST(test_error_whose_tostring_never_returns_times_out)
{
	/* __tostring is plugin code: it runs under the call's deadline, so
	 * the hook ends it and the worker is not killed. */
	char *source = per_record(NULL, "error(setmetatable({}, { __tostring "
	    "= function() while true do end end }))", NULL,
	    "return 'StatefulSet', 'call ' .. calls");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("timeout", "did not finish within 50 ms"),
		PASS,
		DECIDE("resolved", "StatefulSet", "call 4"),
	};
	const char *const options[] = { "--timeout", "50", NULL };
	struct run_result r;

	run_chain(&r, source, effects, options);
	ck_assert_ptr_null(strstr(r.err, "killed"));
	run_result_free(&r);
	free(source);
}
END_TEST

START_TEST(test_error_whose_tostring_fails_cannot_be_shown)
{
	char *source = per_record(
	    "error(setmetatable({}, { __tostring = function() "
	    "error('inner') end }))",
	    "error(setmetatable({}, { __tostring = function() return {} "
	    "end }))",
	    "error(setmetatable({}, { __tostring = function() return "
	    "string.rep('x', 1e9) end }))",
	    "error(setmetatable({}, { __tostring = function() return 'shown' "
	    "end }))");
	const struct effect hidden = FAIL("error",
	    "(error object cannot be shown)");
	const struct effect effects[RECORDS] = {
		hidden,
		hidden,
		/* Its __tostring ran out of memory: that is what it was. */
		FAIL_PART("memory", "memory limit reached ("),
		FAIL("error", "shown"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_error_that_is_a_plain_table_is_shown_by_type)
{
	char *source = every_record("error({})");
	const struct effect e = FAIL_PART("error", "table: 0x");
	const struct effect effects[RECORDS] = { e, e, e, e };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_close_handler_that_never_returns_times_out)
{
	char *source = per_record(NULL, "local x <close> = setmetatable({}, "
	    "{ __close = function() while true do end end }) error('first', 0)",
	    NULL, "return 'StatefulSet', 'call ' .. calls");
	const struct effect effects[RECORDS] = {
		PASS,
		FAIL("timeout", "did not finish within 50 ms"),
		PASS,
		DECIDE("resolved", "StatefulSet", "call 4"),
	};
	const char *const options[] = { "--timeout", "50", NULL };

	expect_chain(source, effects, options);
	free(source);
}
END_TEST

/* --- the entry point and what it returns ---------------------------------- */

START_TEST(test_entry_point_replaced_during_a_call)
{
	char *source = per_record("GetWorkloadTypeAndName = 42", NULL, NULL,
	    NULL);
	const struct effect gone = FAIL("error", "GetWorkloadTypeAndName is "
	    "no longer a function (it is number)");
	const struct effect effects[RECORDS] = { PASS, gone, gone, gone };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_callable_table_is_not_an_entry_point)
{
	const struct effect e = FAIL("load", "does not define function "
	    "GetWorkloadTypeAndName (found table)");
	const struct effect effects[RECORDS] = { e, e, e, e };

	expect_chain("GetWorkloadTypeAndName = setmetatable({}, { __call = "
	    "function() return 'Deployment', 'x' end })\n", effects, NULL);
}
END_TEST

START_TEST(test_extra_return_values_are_ignored)
{
	char *source = per_record("return '', '', 'Deployment', 'x'",
	    "return 'statefulset', 'db', 'extra', {}",
	    "return '', '', nil, 'z'", NULL);
	const struct effect effects[RECORDS] = {
		PASS, DECIDE("resolved", "StatefulSet", "db"), PASS, PASS,
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_numbers_are_a_bad_return)
{
	/* Lua would convert them to strings; the contract wants strings. */
	char *source = per_record("return 1, 2", "return 'Deployment', 7",
	    "return 7, 'x'", "return 1e300, 0.5");
	const struct effect effects[RECORDS] = {
		FAIL("bad-return", "returned (number, number); expected two "
		    "strings"),
		FAIL("bad-return", "returned (string, number); expected two "
		    "strings"),
		FAIL("bad-return", "returned (number, string); expected two "
		    "strings"),
		FAIL("bad-return", "returned (number, number); expected two "
		    "strings"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_one_empty_string_does_not_decide)
{
	char *source = per_record("return '', 'x'", "return 'Deployment', ''",
	    "return '', ''", NULL);
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- coroutines ----------------------------------------------------------- */

START_TEST(test_yield_across_the_call_boundary_is_an_error)
{
	char *source = per_record("coroutine.yield()",
	    "coroutine.yield('Deployment', 'x')",
	    "local co = coroutine.wrap(function() return "
	    "coroutine.isyieldable() end) return 'StatefulSet', "
	    "tostring(co()) .. ' ' .. tostring(coroutine.isyieldable())",
	    "return 'StatefulSet', coroutine.wrap(function() "
	    "coroutine.yield('inner') end)()");
	const struct effect effects[RECORDS] = {
		FAIL("error", "attempt to yield from outside a coroutine"),
		FAIL("error", "attempt to yield from outside a coroutine"),
		DECIDE("resolved", "StatefulSet", "true false"),
		DECIDE("resolved", "StatefulSet", "inner"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- string library abuse ------------------------------------------------- */

START_TEST(test_string_rep_and_format_abuse_is_contained)
{
	char *source = per_record("return string.rep('ab', math.maxinteger)",
	    "return string.format('%99999999d', 1)",
	    "return 'x', string.rep('x', 2^30)",
	    "return 'StatefulSet', tostring(#string.format('%99d', 1))");
	const struct effect effects[RECORDS] = {
		FAIL("error", HOSTILE ".lua:6: resulting string too large"),
		FAIL("error", HOSTILE ".lua:8: invalid conversion "
		    "specification: '%99999999d'"),
		FAIL_PART("memory", "memory limit reached ("),
		DECIDE("resolved", "StatefulSet", "99"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

/* --- what is kept works --------------------------------------------------- */

START_TEST(test_os_date_time_and_clock_work_in_utc)
{
	char *source = per_record(NULL,
	    "return 'StatefulSet', os.date('!%Y', 0)", NULL,
	    "return 'StatefulSet', os.date('%Y-%m-%d %H:%M:%S', 90061) .. "
	    "' ' .. os.time({ year = 2000, month = 1, day = 1, hour = 0 }) .. "
	    "' ' .. math.type(os.clock()) .. ' ' .. os.difftime(10, 4)");
	const struct effect effects[RECORDS] = {
		PASS,
		DECIDE("resolved", "StatefulSet", "1970"),
		PASS,
		DECIDE("resolved", "StatefulSet",
		    "1970-01-02 01:01:01 946684800 float 6.0"),
	};

	expect_chain(source, effects, NULL);
	free(source);
}
END_TEST

START_TEST(test_large_allocations_stay_inside_the_seccomp_policy)
{
	/* Megabytes grown, copied and returned (about 40 MB at the peak,
	 * under the 64 MB cap): brk, mmap, mremap and munmap with the
	 * policy's arguments, no violation. */
	char *source = every_record("local s = string.rep('x', 4 << 20) "
	    "local t = s .. s t = nil collectgarbage() "
	    "t = table.concat({ s, s, s }) s, t = nil, nil collectgarbage() "
	    "return '', ''");
	const struct effect effects[RECORDS] = { PASS, PASS, PASS, PASS };
	const char *const options[] = { "--timeout", "3000", NULL };

	expect_chain(source, effects, options);
	free(source);
}
END_TEST

/* --- the top level -------------------------------------------------------- */

START_TEST(test_forbidden_call_at_top_level_is_a_load_error)
{
	const struct effect e = FAIL("load", "top level: " HOSTILE ".lua:1: "
	    REFUSED("io.open"));
	const struct effect effects[RECORDS] = { e, e, e, e };
	struct run_result r;
	const char *said;

	run_chain(&r, "local f = io.open('/etc/passwd')\n"
	    "function GetWorkloadTypeAndName(m) return 'Deployment', 'never' "
	    "end\n", effects, NULL);
	/* Said once on stderr, not once per record. */
	said = strstr(r.err, "plugin " HOSTILE ": not loaded");
	ck_assert_ptr_nonnull(said);
	ck_assert_ptr_null(strstr(said + 1, "plugin " HOSTILE ": not loaded"));
	run_result_free(&r);
}
END_TEST

START_TEST(test_top_level_error_whose_tostring_never_returns)
{
	const struct effect e = FAIL("load",
	    "top level: timeout: did not finish within 200 ms");
	const struct effect effects[RECORDS] = { e, e, e, e };
	const char *const options[] = { "--load-timeout", "200", NULL };

	expect_chain("error(setmetatable({}, { __tostring = function() "
	    "while true do end end }))\n"
	    "function GetWorkloadTypeAndName(m) return 'Deployment', 'never' "
	    "end\n", effects, options);
}
END_TEST

Suite *
hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *reach = tcase_create("reaching out");
	TCase *tamper = tcase_create("tampering");
	TCase *output = tcase_create("output");
	TCase *calls = tcase_create("calls");

	tcase_set_timeout(reach, 120);
	tcase_add_test(reach, test_io_open_is_refused_by_name);
	tcase_add_test(reach, test_io_lines_is_refused_by_name);
	tcase_add_test(reach,
	    test_io_read_write_and_output_are_refused_by_name);
	tcase_add_test(reach, test_io_input_is_refused_by_name);
	tcase_add_test(reach, test_io_popen_is_refused_by_name);
	tcase_add_test(reach, test_io_tmpfile_is_refused_by_name);
	tcase_add_test(reach, test_io_standard_files_are_not_file_handles);
	tcase_add_test(reach, test_dofile_is_refused_by_name);
	tcase_add_test(reach, test_loadfile_is_refused_by_name);
	tcase_add_test(reach, test_require_of_a_file_module_fails);
	tcase_add_test(reach, test_package_loadlib_is_refused_by_name);
	tcase_add_test(reach, test_package_searchpath_is_refused_by_name);
	tcase_add_test(reach, test_package_has_no_searchers_and_no_cpath);
	tcase_add_test(reach, test_os_execute_is_refused_by_name);
	tcase_add_test(reach, test_os_remove_and_rename_are_refused_by_name);
	tcase_add_test(reach, test_os_tmpname_is_refused_by_name);
	tcase_add_test(reach, test_os_getenv_is_refused_by_name);
	tcase_add_test(reach, test_os_exit_is_refused_and_the_worker_lives_on);
	tcase_add_test(reach, test_os_setlocale_is_refused_by_name);
	tcase_add_test(reach, test_string_dump_is_refused_by_name);
	tcase_add_test(reach, test_binary_chunk_is_not_loaded);
	tcase_add_test(reach, test_load_modes_with_binary_are_refused_by_name);
	tcase_add_test(reach, test_require_of_c_modules_fails);
	tcase_add_test(reach, test_require_of_io_and_debug_fails);
	tcase_add_test(reach, test_debug_functions_are_refused_by_name);
	tcase_add_test(reach,
	    test_loaded_text_reaching_for_io_is_refused_by_name);
	tcase_add_test(reach,
	    test_load_with_a_custom_environment_gives_nothing_new);
	tcase_add_test(reach, test_forbidden_call_at_top_level_is_a_load_error);
	suite_add_tcase(s, reach);

	tcase_set_timeout(tamper, 120);
	tcase_add_test(tamper, test_debug_sethook_cannot_remove_the_deadline);
	tcase_add_test(tamper,
	    test_string_metatable_tampering_stays_in_its_plugin);
	tcase_add_test(tamper,
	    test_replaced_string_functions_stay_in_their_plugin);
	tcase_add_test(tamper, test_globals_metatable_stays_in_its_plugin);
	tcase_add_test(tamper,
	    test_globals_metatable_cannot_fake_the_entry_point);
	tcase_add_test(tamper,
	    test_stopped_collector_meets_the_memory_cap_and_recovers);
	tcase_add_test(tamper,
	    test_collector_modes_with_odd_parameters_are_harmless);
	tcase_add_test(tamper, test_collectgarbage_count_measures_the_plugin);
	tcase_add_test(tamper,
	    test_finalizer_that_never_returns_is_killed_by_the_supervisor);
	tcase_add_test(tamper,
	    test_large_allocations_stay_inside_the_seccomp_policy);
	suite_add_tcase(s, tamper);

	tcase_set_timeout(output, 120);
	tcase_add_test(output,
	    test_invalid_utf8_is_replaced_in_every_output_string);
	tcase_add_test(output, test_valid_utf8_is_printed_unchanged);
	tcase_add_test(output, test_control_bytes_are_escaped);
	tcase_add_test(output, test_workload_type_is_matched_on_all_its_bytes);
	tcase_add_test(output, test_error_message_cannot_forge_an_output_line);
	tcase_add_test(output, test_returned_name_cannot_forge_fields);
	tcase_add_test(output, test_megabyte_name_is_a_bad_return);
	tcase_add_test(output, test_sixty_kilobyte_name_is_printed_whole);
	tcase_add_test(output, test_returned_strings_are_limited_to_64_kib);
	tcase_add_test(output,
	    test_long_error_message_is_cut_to_a_bounded_length);
	tcase_add_test(output, test_print_flood_is_bounded_and_rate_limited);
	tcase_add_test(output,
	    test_print_cannot_forge_log_lines_or_send_escapes);
	tcase_add_test(output, test_warn_flood_is_bounded_and_rate_limited);
	tcase_add_test(output, test_warnings_are_off_until_switched_on);
	suite_add_tcase(s, output);

	tcase_set_timeout(calls, 120);
	tcase_add_test(calls,
	    test_error_whose_tostring_never_returns_times_out);
	tcase_add_test(calls, test_error_whose_tostring_fails_cannot_be_shown);
	tcase_add_test(calls,
	    test_error_that_is_a_plain_table_is_shown_by_type);
	tcase_add_test(calls, test_close_handler_that_never_returns_times_out);
	tcase_add_test(calls, test_entry_point_replaced_during_a_call);
	tcase_add_test(calls, test_callable_table_is_not_an_entry_point);
	tcase_add_test(calls, test_extra_return_values_are_ignored);
	tcase_add_test(calls, test_numbers_are_a_bad_return);
	tcase_add_test(calls, test_one_empty_string_does_not_decide);
	tcase_add_test(calls, test_yield_across_the_call_boundary_is_an_error);
	tcase_add_test(calls, test_string_rep_and_format_abuse_is_contained);
	tcase_add_test(calls, test_os_date_time_and_clock_work_in_utc);
	tcase_add_test(calls,
	    test_top_level_error_whose_tostring_never_returns);
	suite_add_tcase(s, calls);
	return s;
}
