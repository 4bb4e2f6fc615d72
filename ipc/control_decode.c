/*
 * Checked decoding of the control messages described in control.h.
 *
 * Either side of the socket may be hostile: a client the daemon does not
 * trust beyond its socket's permissions, or whatever listens on a socket
 * path the client was given.  So decoding is codec.h's two passes with
 * this protocol's limits, then every field checked for its type, range and
 * spelling, and the message for its direction.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "control.h"

struct control_decoder {
	msgpack_unpacked	 unpacked;
	struct control_plugin	*plugins;	/* allocated at first use */
};

int
control_frame(const struct buffer *in, const char **payload, size_t *length,
    char *error, size_t error_size)
{
	return codec_frame(in, CONTROL_MAX_MESSAGE, payload, length, error,
	    error_size);
}

struct control_decoder *
control_decoder_new(void)
{
	struct control_decoder *decoder = calloc(1, sizeof(*decoder));

	if (decoder != NULL)
		msgpack_unpacked_init(&decoder->unpacked);
	return decoder;
}

void
control_decoder_free(struct control_decoder *decoder)
{
	if (decoder == NULL)
		return;
	msgpack_unpacked_destroy(&decoder->unpacked);
	free(decoder->plugins);
	free(decoder);
}

/* A string of min..max bytes without a NUL. */
static int
get_text(const msgpack_object *o, size_t min, size_t max,
    struct wire_string *s, const char *field, char *error,
    size_t error_size)
{
	if (get_string(o, max, s, field, error, error_size) == -1)
		return -1;
	if (s->length < min)
		return fail(error, error_size, "%s: empty", field);
	if (s->length > 0 && memchr(s->bytes, '\0', s->length) != NULL)
		return fail(error, error_size, "%s: contains a NUL byte",
		    field);
	return 0;
}

/* A name (min..CONTROL_MAX_NAME bytes, no NUL), copied NUL-terminated. */
static int
get_name(const msgpack_object *o, size_t min,
    char name[CONTROL_MAX_NAME + 1], const char *field, char *error,
    size_t error_size)
{
	struct wire_string s = { NULL, 0 };

	if (get_text(o, min, CONTROL_MAX_NAME, &s, field, error,
	    error_size) == -1)
		return -1;
	if (s.length > 0)	/* msgpack-c gives "" no memory */
		memcpy(name, s.bytes, s.length);
	name[s.length] = '\0';
	return 0;
}

/* 64 lowercase hex digits (or "", when empty_ok), copied. */
static int
get_sha256(const msgpack_object *o, bool empty_ok,
    char sha256[CONTROL_SHA256_HEX + 1], const char *field, char *error,
    size_t error_size)
{
	struct wire_string s = { NULL, 0 };

	if (get_string(o, CONTROL_SHA256_HEX, &s, field, error,
	    error_size) == -1)
		return -1;
	if (s.length == 0 && empty_ok) {
		sha256[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < s.length; i++)
		if (!((s.bytes[i] >= '0' && s.bytes[i] <= '9') ||
		    (s.bytes[i] >= 'a' && s.bytes[i] <= 'f')))
			s.length = 0;
	if (s.length != CONTROL_SHA256_HEX)
		return fail(error, error_size, "%s: expected %d lowercase hex "
		    "digits%s", field, CONTROL_SHA256_HEX, empty_ok ?
		    " or \"\"" : "");
	memcpy(sha256, s.bytes, CONTROL_SHA256_HEX);
	sha256[CONTROL_SHA256_HEX] = '\0';
	return 0;
}

static int
get_bool(const msgpack_object *o, bool *value, const char *field,
    char *error, size_t error_size)
{
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return fail(error, error_size, "%s: expected true or false",
		    field);
	*value = o->via.boolean;
	return 0;
}

/* One of count spellings, name(i) for i < count; returns its index. */
static int
get_spelling(const msgpack_object *o, const char *(*name)(int), int count,
    int *value, const char *field, char *error, size_t error_size)
{
	struct wire_string s = { NULL, 0 };

	if (get_string(o, CONTROL_MAX_NAME, &s, field, error,
	    error_size) == -1)
		return -1;
	for (int i = 0; i < count; i++)
		if (wire_string_is(s, name(i))) {
			*value = i;
			return 0;
		}
	{
		char shown[4 * 32 + 4];

		return fail(error, error_size, "%s: unknown value '%s'", field,
		    printable(s, shown, sizeof(shown)));
	}
}

static const char *
error_spelling(int i)
{
	return control_error_name((enum control_error)i);
}

static const char *
state_spelling(int i)
{
	return control_state_name((enum control_state)i);
}

/* An error kind: 1..CONTROL_MAX_KIND of a-z 0-9 -. */
static int
get_kind(const msgpack_object *o, struct wire_string *kind,
    const char *field, char *error, size_t error_size)
{
	if (get_text(o, 1, CONTROL_MAX_KIND, kind, field, error,
	    error_size) == -1)
		return -1;
	for (size_t i = 0; i < kind->length; i++) {
		char c = kind->bytes[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return fail(error, error_size, "%s: expected a-z, 0-9 "
			    "and -", field);
	}
	return 0;
}

static int
decode_entry(const msgpack_object *o, uint32_t index,
    struct control_plugin *p, char *error, size_t error_size)
{
	const msgpack_object *f, *errors;
	uint64_t position = 0, created = 0;
	char field[64];
	int state = 0;

	memset(p, 0, sizeof(*p));
	snprintf(field, sizeof(field), "plugin %u", index + 1);
	if (get_array(o, CONTROL_ENTRY_FIELDS, CONTROL_ENTRY_FIELDS, field,
	    error, error_size) == -1)
		return -1;
	f = o->via.array.ptr;
	snprintf(field, sizeof(field), "plugin %u name", index + 1);
	if (get_text(&f[0], 1, CONTROL_MAX_NAME, &p->name, field, error,
	    error_size) == -1)
		return -1;
	snprintf(field, sizeof(field), "plugin %u position", index + 1);
	if (get_uint(&f[1], UINT32_MAX, &position, field, error,
	    error_size) == -1)
		return -1;
	if (position != (uint64_t)index + 1)
		return fail(error, error_size, "%s: %llu, expected %u", field,
		    (unsigned long long)position, index + 1);
	p->position = index + 1;
	snprintf(field, sizeof(field), "plugin %u size", index + 1);
	if (get_uint(&f[2], CONTROL_MAX_SOURCE, &p->size, field, error,
	    error_size) == -1)
		return -1;
	snprintf(field, sizeof(field), "plugin %u sha256", index + 1);
	if (get_sha256(&f[3], false, p->sha256, field, error,
	    error_size) == -1)
		return -1;
	snprintf(field, sizeof(field), "plugin %u created", index + 1);
	if (get_uint(&f[4], INT64_MAX, &created, field, error,
	    error_size) == -1)
		return -1;
	p->created = (int64_t)created;
	snprintf(field, sizeof(field), "plugin %u state", index + 1);
	if (get_spelling(&f[5], state_spelling, CONTROL_STATE_COUNT, &state,
	    field, error, error_size) == -1)
		return -1;
	p->state = (enum control_state)state;
	snprintf(field, sizeof(field), "plugin %u calls", index + 1);
	if (get_uint(&f[6], UINT64_MAX, &p->calls, field, error,
	    error_size) == -1)
		return -1;
	errors = &f[7];
	snprintf(field, sizeof(field), "plugin %u errors", index + 1);
	if (errors->type != MSGPACK_OBJECT_MAP ||
	    errors->via.map.size > CONTROL_MAX_KINDS)
		return fail(error, error_size, "%s: expected a map of at most "
		    "%d kinds", field, CONTROL_MAX_KINDS);
	for (uint32_t k = 0; k < errors->via.map.size; k++) {
		struct control_error_count *e = &p->errors[k];

		snprintf(field, sizeof(field), "plugin %u error kind",
		    index + 1);
		if (get_kind(&errors->via.map.ptr[k].key, &e->kind, field,
		    error, error_size) == -1)
			return -1;
		for (uint32_t j = 0; j < k; j++)
			if (e->kind.length == p->errors[j].kind.length &&
			    memcmp(e->kind.bytes, p->errors[j].kind.bytes,
			    e->kind.length) == 0) {
				char shown[4 * 32 + 4];

				return fail(error, error_size, "%s '%s' given "
				    "twice", field, printable(e->kind, shown,
				    sizeof(shown)));
			}
		snprintf(field, sizeof(field), "plugin %u error count",
		    index + 1);
		if (get_uint(&errors->via.map.ptr[k].val, UINT64_MAX,
		    &e->count, field, error, error_size) == -1)
			return -1;
	}
	p->error_count = errors->via.map.size;
	return 0;
}

static int
decode_list(struct control_decoder *d, const msgpack_object *list,
    struct control_message *m, char *error, size_t error_size)
{
	if (get_array(list, 0, CONTROL_MAX_PLUGINS, "plugins", error,
	    error_size) == -1)
		return -1;
	if (list->via.array.size > 0 && d->plugins == NULL &&
	    (d->plugins = calloc(CONTROL_MAX_PLUGINS,
	    sizeof(*d->plugins))) == NULL)
		return fail(error, error_size, "out of memory");
	for (uint32_t i = 0; i < list->via.array.size; i++)
		if (decode_entry(&list->via.array.ptr[i], i, &d->plugins[i],
		    error, error_size) == -1)
			return -1;
	m->u.list.plugins = d->plugins;
	m->u.list.count = list->via.array.size;
	return 0;
}

static int
decode_create(const msgpack_object *f, struct control_message *m,
    char *error, size_t error_size)
{
	uint64_t position = 0;

	if (get_name(&f[1], 1, m->u.create.name, "name", error,
	    error_size) == -1 ||
	    get_string(&f[2], CONTROL_MAX_SOURCE, &m->u.create.source,
	    "source", error, error_size) == -1 ||
	    get_bool(&f[3], &m->u.create.replace, "replace", error,
	    error_size) == -1 ||
	    get_uint(&f[4], CONTROL_POSITION_AFTER, &position, "position",
	    error, error_size) == -1 ||
	    get_name(&f[5], 0, m->u.create.anchor, "anchor", error,
	    error_size) == -1)
		return -1;
	m->u.create.position = (enum control_position)position;
	if ((position == CONTROL_POSITION_END) !=
	    (m->u.create.anchor[0] == '\0'))
		return fail(error, error_size, "anchor: %s",
		    position == CONTROL_POSITION_END ? "given for the end "
		    "position" : "missing for before or after");
	return 0;
}

/* The direction and field count of a type; -1 when it is none. */
static int
type_info(uint64_t type, enum control_direction *direction,
    uint32_t *fields)
{
	switch (type) {
#define CONTROL_TYPE_INFO(name, number, dir, count)			\
	case number:							\
		*direction = dir;					\
		*fields = count;					\
		return 0;
	/* NOLINTNEXTLINE(bugprone-branch-clone): one case per message */
	CONTROL_MESSAGES(CONTROL_TYPE_INFO)
#undef CONTROL_TYPE_INFO
	}
	return -1;
}

static int
decode(struct control_decoder *d, enum control_direction want,
    const char *payload, size_t length, struct control_message *m,
    char *error, size_t error_size)
{
	enum control_direction direction;
	const msgpack_object *f;
	uint32_t count = 0, fields = 0;
	uint64_t value = 0;
	int code = 0;

	if (length > CONTROL_MAX_MESSAGE)
		return fail(error, error_size, "message of %zu bytes (at most "
		    "%u allowed)", length, CONTROL_MAX_MESSAGE);
	if (codec_unpack(&d->unpacked, payload, length, CONTROL_MAX_ELEMENTS,
	    CONTROL_MAX_DEPTH, &f, &count, error, error_size) == -1)
		return -1;
	if (f[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    type_info(f[0].via.u64, &direction, &fields) == -1)
		return fail(error, error_size, "unknown message type");
	if (direction != want)
		return fail(error, error_size, "%s is not a message to the %s",
		    control_type_name(f[0].via.u64), want == CONTROL_TO_DAEMON ?
		    "daemon" : "client");
	if (count != fields + 1)
		return fail(error, error_size, "%s: expected %u fields, got %u",
		    control_type_name(f[0].via.u64), fields, count - 1);
	memset(m, 0, sizeof(*m));
	m->type = (enum control_type)f[0].via.u64;
	switch (m->type) {
	case CONTROL_HELLO:
		return get_u32(&f[1], &m->u.hello.version, "version", error,
		    error_size);
	case CONTROL_PLUGIN_CREATE:
		return decode_create(f, m, error, error_size);
	case CONTROL_PLUGIN_LIST:
	case CONTROL_QUERY_END:
		return 0;
	case CONTROL_PLUGIN_DELETE:
	case CONTROL_PLUGIN_RESET:
		return get_name(&f[1], 1, m->u.plugin.name, "name", error,
		    error_size);
	case CONTROL_QUERY_BEGIN:
		return get_text(&f[1], 1, CONTROL_MAX_LABEL,
		    &m->u.query_begin.label, "label", error, error_size);
	case CONTROL_QUERY_DATA:
	case CONTROL_QUERY_OUTPUT:
		if (get_string(&f[1], CONTROL_MAX_DATA, &m->u.data.bytes,
		    "bytes", error, error_size) == -1)
			return -1;
		if (m->u.data.bytes.length == 0)
			return fail(error, error_size, "bytes: empty");
		return 0;
	case CONTROL_STATS:
		if (get_uint(&f[1], CONTROL_FORMAT_JSON, &value, "format",
		    error, error_size) == -1)
			return -1;
		m->u.stats.format = (enum control_format)value;
		return 0;
	case CONTROL_HELLO_REPLY:
		return get_u32(&f[1], &m->u.hello_reply.version, "version",
		    error, error_size) == -1 ||
		    get_text(&f[2], 1, CONTROL_MAX_VERSION_TEXT,
		    &m->u.hello_reply.daemon, "daemon version", error,
		    error_size) == -1 ? -1 : 0;
	case CONTROL_OK:
		return get_text(&f[1], 0, CONTROL_MAX_TEXT, &m->u.ok.message,
		    "message", error, error_size) == -1 ||
		    get_sha256(&f[2], true, m->u.ok.sha256, "sha256", error,
		    error_size) == -1 ? -1 : 0;
	case CONTROL_ERROR:
		if (get_spelling(&f[1], error_spelling, CONTROL_ERROR_COUNT,
		    &code, "code", error, error_size) == -1 ||
		    get_text(&f[2], 0, CONTROL_MAX_TEXT, &m->u.error.message,
		    "message", error, error_size) == -1)
			return -1;
		m->u.error.code = (enum control_error)code;
		return 0;
	case CONTROL_PLUGIN_LIST_REPLY:
		return decode_list(d, &f[1], m, error, error_size);
	case CONTROL_QUERY_DONE:
		if (get_uint(&f[1], CONTROL_MAX_STATUS, &value, "status",
		    error, error_size) == -1 ||
		    get_uint(&f[2], UINT64_MAX, &m->u.done.records, "records",
		    error, error_size) == -1)
			return -1;
		m->u.done.status = (uint32_t)value;
		return 0;
	case CONTROL_STATS_REPLY:
		return get_string(&f[1], CONTROL_MAX_STATS,
		    &m->u.stats_reply.text, "text", error, error_size);
	}
	return fail(error, error_size, "unknown message type");
}

int
control_decode_request(struct control_decoder *d, const char *payload,
    size_t length, struct control_message *m, char *error, size_t error_size)
{
	return decode(d, CONTROL_TO_DAEMON, payload, length, m, error,
	    error_size);
}

int
control_decode_reply(struct control_decoder *d, const char *payload,
    size_t length, struct control_message *m, char *error, size_t error_size)
{
	return decode(d, CONTROL_TO_CLIENT, payload, length, m, error,
	    error_size);
}
