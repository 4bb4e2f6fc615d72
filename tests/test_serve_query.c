/*
 * luaward query against luaward resolve: for the same input and plugins,
 * the same bytes (but for how a plugin's file is named in an error) and
 * the same exit status, on the bundled sample pods and
 * on 10,000 generated records in every input form, from several files and
 * from stdin.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "serve_support.h"
#include "suites.h"

/* Maps ownerReferences[1] to an answer: Deployment for a ReplicaSet, an
 * unsupported kind for a Custom owner. */
static const char owner_plugin[] =
	"package.path = package.path..\";/bin/?.lua\"\n"
	"local dkjson = require(\"dkjson\")\n"
	"function GetWorkloadTypeAndName(metaJsonStr)\n"
	"    local meta = dkjson.decode(metaJsonStr, 1, nil)\n"
	"    local owner = (meta.ownerReferences or {})[1] or {}\n"
	"    if owner.kind == 'ReplicaSet' then\n"
	"        return 'deployment', (owner.name:gsub('%-[^-]+$', ''))\n"
	"    elseif owner.kind == 'Custom' then\n"
	"        return 'MyKind', owner.name\n"
	"    end\n"
	"    return '', ''\n"
	"end\n";

/* Fails on some records, each its own way. */
static const char flaky_plugin[] =
	"local dkjson = require(\"dkjson\")\n"
	"function GetWorkloadTypeAndName(metaJsonStr)\n"
	"    local name = dkjson.decode(metaJsonStr).name or ''\n"
	"    if name:match('7$') then error('no luck for ' .. name) end\n"
	"    if name:match('3$') then return 1, 2 end\n"
	"    if name:match('11$') then return 'Job', name end\n"
	"    return '', ''\n"
	"end\n";

/* Creates every plugin of dir (plugin_dir() or plugins/) under its file
 * name without .lua, in file-name order, as resolve runs them. */
static void
create_from_dir(const struct served *s, const char *dir,
    const char *const *files)
{
	for (; *files != NULL; files++) {
		char *path = joined(dir, *files), *name = strdup(*files);
		struct run_result r;

		name[strlen(name) - 4] = '\0';
		CLIENT_OK(&r, s, "plugin", "create", "--type", "lua", "--image",
		    path, "--name", name);
		run_result_free(&r);
		free(path);
		free(name);
	}
}

/*
 * resolve names a plugin's file by the path it was given (DIR/NAME.lua),
 * the daemon by the name it stores it under (NAME.lua): the one
 * difference between their lines.  Drops "DIR/" from resolve's output.
 */
static void
name_files_as_stored(struct run_result *resolve, const char *dir)
{
	char *prefix = joined(dir, ""), *at, *to = resolve->out;
	size_t length = strlen(prefix);

	for (const char *from = resolve->out; *from != '\0';) {
		if ((at = strstr(from, prefix)) == NULL)
			at = (char *)from + strlen(from);
		memmove(to, from, (size_t)(at - from));
		to += at - from;
		from = *at != '\0' ? at + length : at;
	}
	*to = '\0';
	resolve->out_length = (size_t)(to - resolve->out);
	free(prefix);
}

static void
assert_same_run(const struct run_result *query,
    const struct run_result *resolve, const char *what)
{
	ck_assert_msg(query->status == resolve->status, "%s: query exit %d, "
	    "resolve %d: %s / %s", what, query->status, resolve->status,
	    query->err, resolve->err);
	if (query->out_length != resolve->out_length ||
	    memcmp(query->out, resolve->out, query->out_length) != 0) {
		size_t at = 0, start = 0, line = 1;

		for (; query->out[at] == resolve->out[at]; at++)
			if (query->out[at] == '\n') {
				start = at + 1;
				line++;
			}
		ck_abort_msg("%s: outputs differ (%zu and %zu bytes), first on "
		    "line %zu:\nquery:   %.400s\nresolve: %.400s", what,
		    query->out_length, resolve->out_length, line,
		    query->out + start, resolve->out + start);
	}
	ck_assert_msg(query->err_length == 0, "%s: %s", what, query->err);
}

START_TEST(test_query_prints_what_resolve_prints_on_the_sample_pods)
{
	static const char *const seed[] = { "10-opengauss.lua",
	    "90-template.lua", NULL };
	char *expected = read_source_file("tests/data/seed-pods.expected",
	    NULL), *pods;
	struct run_result q, r;
	struct served s;
	size_t length;

	served_init(&s);
	serve_start(&s, "--timeout", "10000", NULL);
	create_from_dir(&s, "plugins", seed);
	client(&q, &s, NULL, 0, "query", "examples/pods.json", NULL);
	run_luaward(&r, NULL, 0, 120, "resolve", "--timeout", "10000",
	    "--plugins", "plugins", "examples/pods.json", NULL);
	assert_same_run(&q, &r, "file");
	ck_assert_int_eq(q.status, 0);
	ck_assert_str_eq(q.out, expected);
	run_result_free(&q);
	run_result_free(&r);

	pods = read_source_file("examples/pods.json", &length);
	client(&q, &s, pods, length, "query", NULL);
	run_luaward(&r, pods, length, 120, "resolve", "--timeout", "10000",
	    "--plugins", "plugins", NULL);
	assert_same_run(&q, &r, "stdin");
	ck_assert_str_eq(q.out, expected);
	run_result_free(&q);
	run_result_free(&r);
	serve_stop(&s);
	served_free(&s);
	free(pods);
	free(expected);
}
END_TEST

/*
 * One record of the generated input, in one of several shapes: bare
 * metadata, a Pod, pretty-printed, a List of Pods; now and then a value
 * that is not an object, or broken JSON.
 */
static void
generate_record(struct buffer *b, size_t i, uint64_t *random)
{
	static const char *const kinds[] = { "OpenGaussCluster", "ReplicaSet",
	    "Custom", "DaemonSet", "StatefulSet" };
	const char *kind = kinds[next_random(random) % 5];
	char metadata[600], text[1400];
	int n;

	snprintf(metadata, sizeof(metadata), "{\"uid\":\"u-%zu\",\"namespace\":"
	    "\"ns-%zu\",\"name\":\"pod-%zu\",\"labels\":{\"app\":\"a%zu\","
	    "\"tier\":\"\\u00e9t\\u00e9 \\\"x\\\"\"},\"ownerReferences\":"
	    "[{\"kind\":\"%s\",\"name\":\"owner-%zu-%04x\"}]}", i, i % 13, i,
	    i % 7, kind, i % 97, (unsigned)(next_random(random) & 0xffff));
	switch (i % 10) {
	case 0: case 1: case 2:
		n = snprintf(text, sizeof(text), "%s\n", metadata);
		break;
	case 3: case 4:
		n = snprintf(text, sizeof(text), "{\"apiVersion\":\"v1\","
		    "\"kind\":\"Pod\",\"metadata\":%s,\"spec\":{}}\n",
		    metadata);
		break;
	case 5:
		n = snprintf(text, sizeof(text), "{\n  \"kind\": \"Pod\",\n  "
		    "\"metadata\": %s\n}\n", metadata);
		break;
	case 6: case 7:
		n = snprintf(text, sizeof(text), "{\"kind\":\"List\","
		    "\"metadata\":{},\"items\":[{\"metadata\":%s}]}\n",
		    metadata);
		break;
	case 8:
		n = snprintf(text, sizeof(text), i % 100 == 8 ? "[1,2]\n" :
		    i % 100 == 18 ? "{\"name\": tru}\n" : "%s\n", metadata);
		break;
	default:
		n = snprintf(text, sizeof(text), "%s ", metadata);
		break;
	}
	ck_assert_int_eq(buffer_append(b, text, (size_t)n), 0);
}

/*
 * 10,000 generated records through four plugins that resolve, answer an
 * unsupported kind, pass, raise errors and return bad values: query gives
 * resolve's bytes and exit status, from several files and from stdin.
 */
START_TEST(test_query_prints_what_resolve_prints_on_generated_records)
{
	enum { RECORDS = 10000, FILES = 3 };
	static const char *const names[] = { "10-opengauss.lua", "20-flaky.lua",
	    "50-owner.lua", NULL };
	char *seed = read_source_file("plugins/10-opengauss.lua", NULL);
	char *dir = plugin_dir("10-opengauss.lua", seed, "20-flaky.lua",
	    flaky_plugin, "50-owner.lua", owner_plugin, NULL);
	char *inputs = temp_dir(), *paths[FILES], *flaky;
	struct buffer all = { 0 }, part = { 0 };
	uint64_t random = 42;
	struct run_result q, r;
	struct served s;

	for (size_t f = 0, i = 0; f < FILES; f++) {
		char name[16];

		for (; i < (f + 1) * RECORDS / FILES; i++)
			generate_record(&part, i, &random);
		snprintf(name, sizeof(name), "pods-%zu.json", f);
		paths[f] = write_file(inputs, name, part.data,
		    buffer_length(&part));
		ck_assert_int_eq(buffer_append(&all, part.data,
		    buffer_length(&part)), 0);
		buffer_clear(&part);
	}
	/* Time enough for every call on a loaded machine: a call that times
	 * out in one run and not in the other would differ. */
	served_init(&s);
	serve_start(&s, "--timeout", "10000", NULL);
	create_from_dir(&s, dir, names);

	client(&q, &s, NULL, 0, "query", paths[0], paths[1], paths[2], NULL);
	run_luaward(&r, NULL, 0, 600, "resolve", "--timeout", "10000",
	    "--plugins", dir, paths[0], paths[1], paths[2], NULL);
	name_files_as_stored(&r, dir);
	assert_same_run(&q, &r, "three files");
	/* Some records are invalid and some plugins fail: exit 1, one line
	 * per record. */
	ck_assert_int_eq(q.status, 1);
	ck_assert_uint_eq(count_lines(q.out), RECORDS);
	ck_assert_ptr_nonnull(strstr(q.out, "\"status\":\"invalid\""));
	ck_assert_ptr_nonnull(strstr(q.out, "\"status\":\"unsupported\""));
	ck_assert_ptr_nonnull(strstr(q.out, "\"plugin\":\"10-opengauss\""));
	ck_assert_ptr_nonnull(strstr(q.out, "\"plugin\":\"50-owner\""));
	ck_assert_ptr_nonnull(strstr(q.out, "\"kind\":\"bad-return\""));
	ck_assert_ptr_nonnull(strstr(q.out, "\"message\":\"20-flaky.lua:4: no "
	    "luck for pod-"));
	run_result_free(&q);
	run_result_free(&r);

	client(&q, &s, all.data, buffer_length(&all), "query", NULL);
	run_luaward(&r, all.data, buffer_length(&all), 600, "resolve",
	    "--timeout", "10000", "--plugins", dir, NULL);
	name_files_as_stored(&r, dir);
	assert_same_run(&q, &r, "stdin");
	ck_assert_uint_eq(count_lines(q.out), RECORDS);
	run_result_free(&q);
	run_result_free(&r);

	/* Without the failing plugin and the broken records: exit 0 both. */
	client(&q, &s, NULL, 0, "plugin", "delete", "20-flaky", NULL);
	ck_assert_int_eq(q.status, 0);
	run_result_free(&q);
	flaky = joined(dir, "20-flaky.lua");
	unlink(flaky);
	free(flaky);
	buffer_clear(&part);
	for (size_t i = 0; i < 500; i++)
		if (i % 10 != 8)
			generate_record(&part, i, &random);
	client(&q, &s, part.data, buffer_length(&part), "query", NULL);
	run_luaward(&r, part.data, buffer_length(&part), 600, "resolve",
	    "--timeout", "10000", "--plugins", dir, NULL);
	name_files_as_stored(&r, dir);
	assert_same_run(&q, &r, "clean");
	ck_assert_int_eq(q.status, 0);
	run_result_free(&q);
	run_result_free(&r);

	serve_stop(&s);
	served_free(&s);
	for (size_t f = 0; f < FILES; f++)
		free(paths[f]);
	buffer_free(&all);
	buffer_free(&part);
	free(inputs);
	free(dir);
	free(seed);
}
END_TEST

Suite *
serve_query_suite(void)
{
	Suite *s = suite_create("serve_query");
	TCase *t = tcase_create("query");

	tcase_set_timeout(t, 1200);
	tcase_add_test(t,
	    test_query_prints_what_resolve_prints_on_the_sample_pods);
	tcase_add_test(t,
	    test_query_prints_what_resolve_prints_on_generated_records);
	suite_add_tcase(s, t);
	return s;
}
