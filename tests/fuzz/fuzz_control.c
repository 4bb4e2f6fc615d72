/*
 * libFuzzer target for the control codec (ipc/control.h).  The input is
 * read as a stream of frames, each payload decoded as a request and as a
 * reply, and the whole input once more as one bare payload.  Whatever
 * decodes is encoded again from the decoded message and must decode to
 * the same message: the decoder accepts only what the encoders can say.
 *
 * Built with -DFUZZ_CONTROL_SEEDS instead of -fsanitize=fuzzer, it writes
 * the seed corpus (one frame of every message, and all of them in one
 * stream) into the directory given as its argument:
 *     cc -DFUZZ_CONTROL_SEEDS tests/fuzz/fuzz_control.c ipc/buffer.c \
 *         ipc/codec.c ipc/control_encode.c ipc/control_decode.c \
 *         ipc/wire_encode.c ipc/wire_decode.c -lmsgpackc -o seeds &&
 *     ./seeds tests/fuzz/corpus/control
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ipc/control.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
same_string(struct wire_string a, struct wire_string b)
{
	return a.length == b.length && (a.length == 0 ||
	    memcmp(a.bytes, b.bytes, a.length) == 0);
}

/* A NUL-terminated copy of s (decoded texts hold no NUL). */
static char *
text(struct wire_string s)
{
	char *copy = malloc(s.length + 1);

	if (copy == NULL)
		abort();
	if (s.length > 0)	/* msgpack-c gives "" no memory */
		memcpy(copy, s.bytes, s.length);
	copy[s.length] = '\0';
	return copy;
}

/* Encodes a decoded message again. */
static int
encode(struct buffer *out, const struct control_message *m)
{
	char *t;
	int r;

	switch (m->type) {
	case CONTROL_HELLO:
		return control_put_hello(out, m->u.hello.version);
	case CONTROL_PLUGIN_CREATE:
		return control_put_plugin_create(out, m->u.create.name,
		    m->u.create.source.bytes, m->u.create.source.length,
		    m->u.create.replace, m->u.create.position,
		    m->u.create.anchor);
	case CONTROL_PLUGIN_LIST:
		return control_put_plugin_list(out);
	case CONTROL_PLUGIN_DELETE:
		return control_put_plugin_delete(out, m->u.plugin.name);
	case CONTROL_PLUGIN_RESET:
		return control_put_plugin_reset(out, m->u.plugin.name);
	case CONTROL_QUERY_BEGIN:
		t = text(m->u.query_begin.label);
		r = control_put_query_begin(out, t);
		free(t);
		return r;
	case CONTROL_QUERY_DATA:
		return control_put_query_data(out, m->u.data.bytes.bytes,
		    m->u.data.bytes.length);
	case CONTROL_QUERY_END:
		return control_put_query_end(out);
	case CONTROL_STATS:
		return control_put_stats(out, m->u.stats.format);
	case CONTROL_HELLO_REPLY:
		t = text(m->u.hello_reply.daemon);
		r = control_put_hello_reply(out, m->u.hello_reply.version, t);
		free(t);
		return r;
	case CONTROL_OK:
		t = text(m->u.ok.message);
		r = control_put_ok(out, t, m->u.ok.sha256);
		free(t);
		return r;
	case CONTROL_ERROR:
		return control_put_error(out, m->u.error.code, "%.*s",
		    (int)m->u.error.message.length, m->u.error.message.bytes);
	case CONTROL_PLUGIN_LIST_REPLY:
		return control_put_plugin_list_reply(out, m->u.list.plugins,
		    m->u.list.count);
	case CONTROL_QUERY_OUTPUT:
		return control_put_query_output(out, m->u.data.bytes.bytes,
		    m->u.data.bytes.length);
	case CONTROL_QUERY_DONE:
		return control_put_query_done(out, m->u.done.status,
		    m->u.done.records);
	case CONTROL_STATS_REPLY:
		return control_put_stats_reply(out, m->u.stats_reply.text.bytes,
		    m->u.stats_reply.text.length);
	}
	abort();
}

static bool
same_plugin(const struct control_plugin *a, const struct control_plugin *b)
{
	if (!same_string(a->name, b->name) || a->position != b->position ||
	    a->size != b->size || strcmp(a->sha256, b->sha256) != 0 ||
	    a->created != b->created || a->state != b->state ||
	    a->calls != b->calls || a->error_count != b->error_count)
		return false;
	for (size_t k = 0; k < a->error_count; k++)
		if (!same_string(a->errors[k].kind, b->errors[k].kind) ||
		    a->errors[k].count != b->errors[k].count)
			return false;
	return true;
}

static bool
same(const struct control_message *a, const struct control_message *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case CONTROL_HELLO:
		return a->u.hello.version == b->u.hello.version;
	case CONTROL_PLUGIN_CREATE:
		return strcmp(a->u.create.name, b->u.create.name) == 0 &&
		    same_string(a->u.create.source, b->u.create.source) &&
		    a->u.create.replace == b->u.create.replace &&
		    a->u.create.position == b->u.create.position &&
		    strcmp(a->u.create.anchor, b->u.create.anchor) == 0;
	case CONTROL_PLUGIN_LIST:
	case CONTROL_QUERY_END:
		return true;
	case CONTROL_PLUGIN_DELETE:
	case CONTROL_PLUGIN_RESET:
		return strcmp(a->u.plugin.name, b->u.plugin.name) == 0;
	case CONTROL_QUERY_BEGIN:
		return same_string(a->u.query_begin.label,
		    b->u.query_begin.label);
	case CONTROL_QUERY_DATA:
	case CONTROL_QUERY_OUTPUT:
		return same_string(a->u.data.bytes, b->u.data.bytes);
	case CONTROL_STATS:
		return a->u.stats.format == b->u.stats.format;
	case CONTROL_HELLO_REPLY:
		return a->u.hello_reply.version == b->u.hello_reply.version &&
		    same_string(a->u.hello_reply.daemon,
		    b->u.hello_reply.daemon);
	case CONTROL_OK:
		return same_string(a->u.ok.message, b->u.ok.message) &&
		    strcmp(a->u.ok.sha256, b->u.ok.sha256) == 0;
	case CONTROL_ERROR:
		return a->u.error.code == b->u.error.code &&
		    same_string(a->u.error.message, b->u.error.message);
	case CONTROL_PLUGIN_LIST_REPLY:
		if (a->u.list.count != b->u.list.count)
			return false;
		for (size_t i = 0; i < a->u.list.count; i++)
			if (!same_plugin(&a->u.list.plugins[i],
			    &b->u.list.plugins[i]))
				return false;
		return true;
	case CONTROL_QUERY_DONE:
		return a->u.done.status == b->u.done.status &&
		    a->u.done.records == b->u.done.records;
	case CONTROL_STATS_REPLY:
		return same_string(a->u.stats_reply.text,
		    b->u.stats_reply.text);
	}
	return false;
}

static struct control_decoder *first, *second;

/* Decodes payload both ways; what decodes must survive a round trip. */
static void
check_payload(const char *payload, size_t length)
{
	char error[512];

	for (int d = 0; d < 2; d++) {
		struct control_message m, again;
		struct buffer out = { 0 };
		const char *p;
		size_t n;
		int r = d == 0 ?
		    control_decode_request(first, payload, length, &m, error,
		    sizeof(error)) :
		    control_decode_reply(first, payload, length, &m, error,
		    sizeof(error));

		if (r == -1) {
			if (error[0] == '\0')
				abort();	/* a rejection says why */
			continue;
		}
		if (encode(&out, &m) == -1 ||
		    control_frame(&out, &p, &n, error, sizeof(error)) != 1 ||
		    n + WIRE_HEADER_SIZE != buffer_length(&out))
			abort();
		r = d == 0 ?
		    control_decode_request(second, p, n, &again, error,
		    sizeof(error)) :
		    control_decode_reply(second, p, n, &again, error,
		    sizeof(error));
		if (r == -1 || !same(&m, &again))
			abort();
		buffer_free(&out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer in = { 0 };
	const char *payload;
	size_t length;
	char error[512];

	if (first == NULL && ((first = control_decoder_new()) == NULL ||
	    (second = control_decoder_new()) == NULL))
		abort();
	if (buffer_append(&in, data, size) == -1)
		abort();
	while (control_frame(&in, &payload, &length, error,
	    sizeof(error)) == 1) {
		check_payload(payload, length);
		buffer_consume(&in, WIRE_HEADER_SIZE + length);
	}
	buffer_free(&in);
	check_payload((const char *)data, size);
	return 0;
}

#ifdef FUZZ_CONTROL_SEEDS

static void
seed(const char *dir, const char *name, const struct buffer *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(buffer_bytes(b), 1, buffer_length(b), f) !=
	    buffer_length(b) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static const char sha[] =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char source[] =
	    "function GetWorkloadTypeAndName(m) return '', '' end\n";
	static const char input[] = "{\"metadata\":{\"name\":\"ogtest-0\"}}\n";
	static const char output[] =
	    "{\"uid\":\"\",\"status\":\"unresolved\"}\n";
	struct control_plugin plugins[2];
	struct buffer all = { 0 }, one = { 0 };
	const char *names[16] = { "hello", "create", "list", "delete",
	    "reset", "query-begin", "query-data", "query-end", "stats",
	    "hello-reply", "ok", "error", "list-reply", "query-output",
	    "query-done", "stats-reply" };

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
		return 2;
	}
	memset(plugins, 0, sizeof(plugins));
	for (int i = 0; i < 2; i++) {
		plugins[i].name = (struct wire_string){ i ? "20-web" :
		    "10-opengauss", i ? 6 : 12 };
		plugins[i].size = 1234;
		memcpy(plugins[i].sha256, sha, sizeof(sha));
		plugins[i].created = 1718000000;
		plugins[i].state = i ? CONTROL_STATE_READY :
		    CONTROL_STATE_QUARANTINED;
		plugins[i].calls = 42;
		plugins[i].errors[0] = (struct control_error_count){
		    { "timeout", 7 }, 3 };
		plugins[i].error_count = 1;
	}
	for (int i = 0; i < 16; i++) {
		int r = 0;

		buffer_clear(&one);
		switch (i) {
		case 0: r = control_put_hello(&one, 1); break;
		case 1: r = control_put_plugin_create(&one, "10-opengauss",
		    source, strlen(source), true, CONTROL_POSITION_BEFORE,
		    "20-web"); break;
		case 2: r = control_put_plugin_list(&one); break;
		case 3: r = control_put_plugin_delete(&one, "20-web"); break;
		case 4: r = control_put_plugin_reset(&one, "10-opengauss");
		    break;
		case 5: r = control_put_query_begin(&one, "pods.json"); break;
		case 6: r = control_put_query_data(&one, input,
		    strlen(input)); break;
		case 7: r = control_put_query_end(&one); break;
		case 8: r = control_put_stats(&one, CONTROL_FORMAT_JSON);
		    break;
		case 9: r = control_put_hello_reply(&one, 1, "luaward 1.0");
		    break;
		case 10: r = control_put_ok(&one, "created", sha); break;
		case 11: r = control_put_error(&one, CONTROL_ERROR_EXISTS,
		    "plugin %s exists", "web"); break;
		case 12: r = control_put_plugin_list_reply(&one, plugins, 2);
		    break;
		case 13: r = control_put_query_output(&one, output,
		    strlen(output)); break;
		case 14: r = control_put_query_done(&one, 1, 3); break;
		case 15: r = control_put_stats_reply(&one, "records 3\n", 10);
		    break;
		}
		if (r == -1 || buffer_append(&all, buffer_bytes(&one),
		    buffer_length(&one)) == -1)
			return 1;
		seed(argv[1], names[i], &one);
	}
	seed(argv[1], "all", &all);
	buffer_free(&one);
	buffer_free(&all);
	return 0;
}
#endif
