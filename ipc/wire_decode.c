/*
 * Checked decoding of the messages described in wire.h.
 *
 * A payload from a worker is hostile until proven otherwise, so decoding is
 * two passes (codec.h): codec_check_structure() walks the raw msgpack bytes
 * and bounds every count by the bytes that remain and by WIRE_MAX_ELEMENTS /
 * WIRE_MAX_DEPTH (msgpack-c would otherwise size its zone from a count the
 * peer chose), and only then msgpack-c builds the object tree that the typed
 * decoders read.  The two messages that come once per call (REQUEST, REPLY)
 * have a fast path that reads their bytes directly, with the same checks,
 * and hands anything unusual to the two passes (decode_call).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "wire.h"

struct wire_decoder {
	msgpack_unpacked	 unpacked;
};

int
wire_frame(const struct buffer *in, const char **payload, size_t *length,
    char *error, size_t error_size)
{
	return codec_frame(in, WIRE_MAX_MESSAGE, payload, length, error,
	    error_size);
}

struct wire_decoder *
wire_decoder_new(void)
{
	struct wire_decoder *decoder = calloc(1, sizeof(*decoder));

	if (decoder != NULL)
		msgpack_unpacked_init(&decoder->unpacked);
	return decoder;
}

void
wire_decoder_free(struct wire_decoder *decoder)
{
	if (decoder == NULL)
		return;
	msgpack_unpacked_destroy(&decoder->unpacked);
	free(decoder);
}

static int
get_mode(const msgpack_object *o, enum wire_mode *mode, const char *field,
    char *error, size_t error_size)
{
	uint64_t v = 0;

	if (get_uint(o, WIRE_MODE_REQUIRE, &v, field, error, error_size) == -1)
		return -1;
	*mode = (enum wire_mode)v;
	return 0;
}

static int
decode_load(const msgpack_object *map, struct wire_load *load, char *error,
    size_t error_size)
{
	enum { F_PLUGIN, F_SOURCE, F_MODULES, F_CALL, F_LOAD, F_MEMORY,
	    F_RATE, F_BURST, F_LANDLOCK, F_FILTER, F_PROBE, F_CHUNK_NAME,
	    F_COUNT };
	static const char *const names[F_COUNT] = {
		"plugin", "source", "modules", "call_timeout_ms",
		"load_timeout_ms", "memory_bytes", "log_lines_per_second",
		"log_burst", "landlock", "seccomp_filter", "probe",
		"chunk_name",
	};
	unsigned seen = 0;

	if (map->type != MSGPACK_OBJECT_MAP)
		return fail(error, error_size, "load settings: expected a map");
	memset(load, 0, sizeof(*load));
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *key = &map->via.map.ptr[i].key;
		const msgpack_object *value = &map->via.map.ptr[i].val;
		struct wire_string k = { "", 0 };
		int field = -1, r = 0;

		if (get_string(key, WIRE_MAX_NAME, &k, "load settings key",
		    error, error_size) == -1)
			return -1;
		for (int f = 0; f < F_COUNT; f++)
			if (wire_string_is(k, names[f]))
				field = f;
		if (field < 0) {
			char shown[4 * 32 + 4];

			return fail(error, error_size,
			    "load settings: unknown key '%s'",
			    printable(k, shown, sizeof(shown)));
		}
		if (seen & (1u << field))
			return fail(error, error_size,
			    "load settings: '%s' given twice", names[field]);
		seen |= 1u << field;
		switch (field) {
		case F_PLUGIN:
			r = get_string(value, WIRE_MAX_NAME, &load->plugin,
			    names[field], error, error_size);
			break;
		case F_CHUNK_NAME:
			r = get_string(value, WIRE_MAX_PATH, &load->chunk_name,
			    names[field], error, error_size);
			break;
		case F_SOURCE:
			r = get_string(value, WIRE_MAX_SOURCE, &load->source,
			    names[field], error, error_size);
			break;
		case F_MODULES:
			if (value->type != MSGPACK_OBJECT_MAP ||
			    value->via.map.size > WIRE_MAX_MODULES)
				return fail(error, error_size,
				    "modules: expected a map of at most %d",
				    WIRE_MAX_MODULES);
			for (uint32_t m = 0; m < value->via.map.size; m++) {
				struct wire_module *module =
				    &load->modules[m];

				if (get_string(&value->via.map.ptr[m].key,
				    WIRE_MAX_NAME, &module->name,
				    "module name", error, error_size) == -1 ||
				    get_string(&value->via.map.ptr[m].val,
				    WIRE_MAX_SOURCE, &module->source,
				    "module source", error, error_size) == -1)
					return -1;
			}
			load->module_count = value->via.map.size;
			break;
		case F_CALL:
			r = get_u32(value, &load->call_timeout_ms,
			    names[field], error, error_size);
			break;
		case F_LOAD:
			r = get_u32(value, &load->load_timeout_ms,
			    names[field], error, error_size);
			break;
		case F_MEMORY:
			r = get_uint(value, UINT64_MAX, &load->memory_bytes,
			    names[field], error, error_size);
			break;
		case F_RATE:
			r = get_u32(value, &load->log_lines_per_second,
			    names[field], error, error_size);
			break;
		case F_BURST:
			r = get_u32(value, &load->log_burst, names[field],
			    error, error_size);
			break;
		case F_LANDLOCK:
			r = get_mode(value, &load->landlock, names[field],
			    error, error_size);
			break;
		case F_PROBE:
			r = get_string(value, WIRE_MAX_NAME, &load->probe,
			    names[field], error, error_size);
			break;
		case F_FILTER:
			r = get_string(value, WIRE_MAX_FILTER,
			    &load->seccomp_filter, names[field], error,
			    error_size);
			if (r == 0 && (load->seccomp_filter.length == 0 ||
			    load->seccomp_filter.length % 8 != 0))
				return fail(error, error_size,
				    "seccomp_filter: %zu bytes is not a BPF "
				    "program", load->seccomp_filter.length);
			break;
		}
		if (r == -1)
			return -1;
	}
	for (int f = 0; f < F_COUNT; f++)
		if (!(seen & (1u << f)))
			return fail(error, error_size,
			    "load settings: '%s' missing", names[f]);
	return 0;
}

static int
decode_ready(const msgpack_object *fields, struct wire_message *m,
    char *error, size_t error_size)
{
	const msgpack_object *layers = &fields[2], *touched = &fields[3];

	if (get_u32(&fields[1], &m->u.ready.version, "version", error,
	    error_size) == -1 ||
	    get_array(layers, 0, WIRE_MAX_LAYERS, "layers", error,
	    error_size) == -1 ||
	    get_array(touched, 0, WIRE_MAX_TOUCHED, "touched", error,
	    error_size) == -1)
		return -1;
	for (uint32_t i = 0; i < layers->via.array.size; i++) {
		const msgpack_object *layer = &layers->via.array.ptr[i];
		struct wire_layer *out = &m->u.ready.layers[i];

		if (get_array(layer, 3, 3, "layer", error, error_size) == -1 ||
		    get_string(&layer->via.array.ptr[0], WIRE_MAX_NAME,
		    &out->name, "layer name", error, error_size) == -1 ||
		    get_string(&layer->via.array.ptr[1], WIRE_MAX_NAME,
		    &out->state, "layer state", error, error_size) == -1 ||
		    get_string(&layer->via.array.ptr[2], WIRE_MAX_TEXT,
		    &out->detail, "layer detail", error, error_size) == -1)
			return -1;
	}
	m->u.ready.layer_count = layers->via.array.size;
	for (uint32_t i = 0; i < touched->via.array.size; i++)
		if (get_string(&touched->via.array.ptr[i], WIRE_MAX_NAME,
		    &m->u.ready.touched[i], "touched", error, error_size) == -1)
			return -1;
	m->u.ready.touched_count = touched->via.array.size;
	return 0;
}

/*
 * The messages that come once per call, REQUEST and REPLY, read straight
 * from their bytes in the forms a msgpack packer gives them, without
 * msgpack-c's tree and its zone.  The fast path takes a payload only when
 * every byte of it is in such a form and every limit above holds, and then
 * it gives exactly what the general path would; for anything else it says
 * no and the general path decides, with its error.
 */
struct cursor {
	const unsigned char	*p, *end;
};

static bool
fast_uint(struct cursor *c, uint64_t *value)
{
	size_t width;

	if (c->p == c->end)
		return false;
	if (*c->p <= 0x7f) {
		*value = *c->p++;
		return true;
	}
	switch (*c->p) {
	case 0xcc: width = 1; break;
	case 0xcd: width = 2; break;
	case 0xce: width = 4; break;
	case 0xcf: width = 8; break;
	default: return false;
	}
	if ((size_t)(c->end - c->p) <= width)
		return false;
	*value = 0;
	for (size_t i = 1; i <= width; i++)
		*value = *value << 8 | c->p[i];
	c->p += 1 + width;
	return true;
}

static bool
fast_string(struct cursor *c, size_t max, struct wire_string *s)
{
	size_t width = 0, length = 0;

	if (c->p == c->end)
		return false;
	if (*c->p >= 0xa0 && *c->p <= 0xbf)
		length = *c->p & 0x1f;
	else
		switch (*c->p) {
		case 0xc4: case 0xd9: width = 1; break;
		case 0xc5: case 0xda: width = 2; break;
		case 0xc6: case 0xdb: width = 4; break;
		default: return false;
		}
	if ((size_t)(c->end - c->p) <= width)
		return false;
	for (size_t i = 1; i <= width; i++)
		length = length << 8 | c->p[i];
	c->p += 1 + width;
	if (length > max || length > (size_t)(c->end - c->p))
		return false;
	s->bytes = (const char *)c->p;
	s->length = length;
	c->p += length;
	return true;
}

/* Returns 1 when *m is decoded, 0 when the general path must decide. */
static int
decode_call(const char *payload, size_t length, struct wire_message *m)
{
	struct cursor c = { (const unsigned char *)payload,
	    (const unsigned char *)payload + length };

	if (length < 2)
		return 0;
	if (c.p[0] == 0x95 && c.p[1] == WIRE_REPLY) {
		c.p += 2;
		if (!fast_uint(&c, &m->u.reply.id) ||
		    !fast_string(&c, WIRE_MAX_RESULT, &m->u.reply.type) ||
		    !fast_string(&c, WIRE_MAX_RESULT, &m->u.reply.name) ||
		    !fast_uint(&c, &m->u.reply.micros) || c.p != c.end)
			return 0;
		m->type = WIRE_REPLY;
		return 1;
	}
	if (c.p[0] == 0x93 && c.p[1] == WIRE_REQUEST) {
		c.p += 2;
		if (!fast_uint(&c, &m->u.request.id) ||
		    !fast_string(&c, WIRE_MAX_METADATA,
		    &m->u.request.metadata) || c.p != c.end)
			return 0;
		m->type = WIRE_REQUEST;
		return 1;
	}
	return 0;
}

int
wire_decode(struct wire_decoder *decoder, const char *payload, size_t length,
    struct wire_message *m, char *error, size_t error_size)
{
	/* Field count per type, the type itself included. */
	static const uint32_t arity[] = {
		[WIRE_HELLO] = 3, [WIRE_LOAD] = 3, [WIRE_READY] = 4,
		[WIRE_REQUEST] = 3, [WIRE_REPLY] = 5, [WIRE_ERROR] = 5,
		[WIRE_LOG] = 3, [WIRE_VIOLATION] = 4, [WIRE_PROBE] = 5,
		[WIRE_SEALED] = 1,
	};
	const msgpack_object *fields;
	uint32_t count = 0;
	uint64_t type = 0;
	uint32_t version = 0;

	if (decode_call(payload, length, m))
		return 0;
	if (codec_unpack(&decoder->unpacked, payload, length,
	    WIRE_MAX_ELEMENTS, WIRE_MAX_DEPTH, &fields, &count, error,
	    error_size) == -1)
		return -1;
	if (get_uint(&fields[0], WIRE_TYPE_LAST, &type, "type", error,
	    error_size) == -1 || type < WIRE_HELLO)
		return fail(error, error_size, "unknown message type");
	if (count != arity[type])
		return fail(error, error_size, "%s: expected %u fields, got %u",
		    wire_type_name(type), arity[type] - 1, count - 1);
	memset(m, 0, sizeof(*m));
	m->type = (enum wire_type)type;
	switch (m->type) {
	case WIRE_HELLO:
		if (get_u32(&fields[1], &m->u.hello.version, "version", error,
		    error_size) == -1 ||
		    get_u32(&fields[2], &m->u.hello.pid, "pid", error,
		    error_size) == -1)
			return -1;
		version = m->u.hello.version;
		break;
	case WIRE_LOAD:
		if (get_u32(&fields[1], &m->u.load.version, "version", error,
		    error_size) == -1 ||
		    decode_load(&fields[2], &m->u.load.settings, error,
		    error_size) == -1)
			return -1;
		version = m->u.load.version;
		break;
	case WIRE_READY:
		if (decode_ready(fields, m, error, error_size) == -1)
			return -1;
		version = m->u.ready.version;
		break;
	case WIRE_REQUEST:
		return get_uint(&fields[1], UINT64_MAX, &m->u.request.id, "id",
		    error, error_size) == -1 ||
		    get_string(&fields[2], WIRE_MAX_METADATA,
		    &m->u.request.metadata, "metadata", error, error_size) == -1
		    ? -1 : 0;
	case WIRE_REPLY:
		return get_uint(&fields[1], UINT64_MAX, &m->u.reply.id, "id",
		    error, error_size) == -1 ||
		    get_string(&fields[2], WIRE_MAX_RESULT, &m->u.reply.type,
		    "workload type", error, error_size) == -1 ||
		    get_string(&fields[3], WIRE_MAX_RESULT, &m->u.reply.name,
		    "workload name", error, error_size) == -1 ||
		    get_uint(&fields[4], UINT64_MAX, &m->u.reply.micros,
		    "micros", error, error_size) == -1 ? -1 : 0;
	case WIRE_ERROR:
		return get_uint(&fields[1], UINT64_MAX, &m->u.error.id, "id",
		    error, error_size) == -1 ||
		    get_string(&fields[2], WIRE_MAX_NAME, &m->u.error.kind,
		    "kind", error, error_size) == -1 ||
		    get_string(&fields[3], WIRE_MAX_TEXT, &m->u.error.message,
		    "message", error, error_size) == -1 ||
		    get_uint(&fields[4], UINT64_MAX, &m->u.error.micros,
		    "micros", error, error_size) == -1 ? -1 : 0;
	case WIRE_LOG:
		return get_string(&fields[1], WIRE_MAX_TEXT, &m->u.log.text,
		    "text", error, error_size) == -1 ||
		    get_uint(&fields[2], UINT64_MAX, &m->u.log.dropped,
		    "dropped", error, error_size) == -1 ? -1 : 0;
	case WIRE_SEALED:
		return 0;
	case WIRE_VIOLATION:
		if (fields[1].type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
		    fields[1].via.i64 >= INT32_MIN)
			m->u.violation.syscall = fields[1].via.i64;
		else if (fields[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    fields[1].via.u64 <= INT32_MAX)
			m->u.violation.syscall = (int64_t)fields[1].via.u64;
		else
			return fail(error, error_size,
			    "syscall: expected an integer");
		return get_u32(&fields[2], &m->u.violation.arch, "arch", error,
		    error_size) == -1 ||
		    get_uint(&fields[3], UINT64_MAX, &m->u.violation.id, "id",
		    error, error_size) == -1 ? -1 : 0;
	case WIRE_PROBE:
		if (get_string(&fields[1], WIRE_MAX_NAME, &m->u.probe.name,
		    "probe", error, error_size) == -1 ||
		    get_string(&fields[2], WIRE_MAX_NAME, &m->u.probe.verdict,
		    "verdict", error, error_size) == -1 ||
		    get_u32(&fields[3], &m->u.probe.error_number, "errno",
		    error, error_size) == -1 ||
		    get_string(&fields[4], WIRE_MAX_TEXT, &m->u.probe.detail,
		    "detail", error, error_size) == -1)
			return -1;
		if (!wire_string_is(m->u.probe.verdict, "blocked") &&
		    !wire_string_is(m->u.probe.verdict, "allowed"))
			return fail(error, error_size, "verdict: expected "
			    "\"blocked\" or \"allowed\"");
		return 0;
	}
	if (version != WIRE_PROTOCOL_VERSION)
		return fail(error, error_size,
		    "protocol version %u, expected %u", version,
		    WIRE_PROTOCOL_VERSION);
	return 0;
}
