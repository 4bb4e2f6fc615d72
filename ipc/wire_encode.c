/*
 * Encoding of the messages described in wire.h: each encoder appends one
 * whole frame, or nothing.
 */
#include <string.h>

#include "codec.h"
#include "wire.h"

int
wire_put_hello(struct buffer *out, uint32_t pid)
{
	struct frame f;

	frame_begin(&f, out, 3, WIRE_HELLO);
	f.failed |= msgpack_pack_uint32(&f.packer, WIRE_PROTOCOL_VERSION);
	f.failed |= msgpack_pack_uint32(&f.packer, pid);
	return frame_end(&f);
}

int
wire_put_load(struct buffer *out, const struct wire_load *load)
{
	struct frame f;

	frame_begin(&f, out, 3, WIRE_LOAD);
	f.failed |= msgpack_pack_uint32(&f.packer, WIRE_PROTOCOL_VERSION);
	f.failed |= msgpack_pack_map(&f.packer, 12);
	pack_cstring(&f, "plugin");
	pack_string(&f, load->plugin.bytes, load->plugin.length);
	pack_cstring(&f, "chunk_name");
	pack_string(&f, load->chunk_name.bytes, load->chunk_name.length);
	pack_cstring(&f, "source");
	pack_string(&f, load->source.bytes, load->source.length);
	pack_cstring(&f, "modules");
	f.failed |= msgpack_pack_map(&f.packer, load->module_count);
	for (size_t i = 0; i < load->module_count; i++) {
		pack_string(&f, load->modules[i].name.bytes,
		    load->modules[i].name.length);
		pack_string(&f, load->modules[i].source.bytes,
		    load->modules[i].source.length);
	}
	pack_cstring(&f, "call_timeout_ms");
	f.failed |= msgpack_pack_uint32(&f.packer, load->call_timeout_ms);
	pack_cstring(&f, "load_timeout_ms");
	f.failed |= msgpack_pack_uint32(&f.packer, load->load_timeout_ms);
	pack_cstring(&f, "memory_bytes");
	f.failed |= msgpack_pack_uint64(&f.packer, load->memory_bytes);
	pack_cstring(&f, "log_lines_per_second");
	f.failed |= msgpack_pack_uint32(&f.packer,
	    load->log_lines_per_second);
	pack_cstring(&f, "log_burst");
	f.failed |= msgpack_pack_uint32(&f.packer, load->log_burst);
	pack_cstring(&f, "landlock");
	f.failed |= msgpack_pack_uint8(&f.packer, (uint8_t)load->landlock);
	pack_cstring(&f, "seccomp_filter");
	f.failed |= msgpack_pack_bin(&f.packer, load->seccomp_filter.length);
	f.failed |= msgpack_pack_bin_body(&f.packer,
	    load->seccomp_filter.bytes, load->seccomp_filter.length);
	pack_cstring(&f, "probe");
	pack_string(&f, load->probe.bytes, load->probe.length);
	return frame_end(&f);
}

int
wire_put_ready(struct buffer *out, const struct wire_layer *layers,
    size_t layer_count, const struct wire_string *touched,
    size_t touched_count)
{
	struct frame f;

	frame_begin(&f, out, 4, WIRE_READY);
	f.failed |= msgpack_pack_uint32(&f.packer, WIRE_PROTOCOL_VERSION);
	f.failed |= msgpack_pack_array(&f.packer, layer_count);
	for (size_t i = 0; i < layer_count; i++) {
		f.failed |= msgpack_pack_array(&f.packer, 3);
		pack_string(&f, layers[i].name.bytes, layers[i].name.length);
		pack_string(&f, layers[i].state.bytes, layers[i].state.length);
		pack_string(&f, layers[i].detail.bytes,
		    layers[i].detail.length);
	}
	f.failed |= msgpack_pack_array(&f.packer, touched_count);
	for (size_t i = 0; i < touched_count; i++)
		pack_string(&f, touched[i].bytes, touched[i].length);
	return frame_end(&f);
}

int
wire_put_request(struct buffer *out, uint64_t id, const char *metadata,
    size_t length)
{
	struct frame f;

	frame_begin(&f, out, 3, WIRE_REQUEST);
	f.failed |= msgpack_pack_uint64(&f.packer, id);
	pack_string(&f, metadata, length);
	return frame_end(&f);
}

size_t
wire_request_header(unsigned char out[WIRE_REQUEST_HEADER_MAX], uint64_t id,
    size_t metadata_length)
{
	unsigned char *p = out + WIRE_HEADER_SIZE;
	size_t payload;

	/* [4, id, metadata] as msgpack-c packs it: fixarray, fixint type,
	 * the id in its smallest form, a str header of the smallest form. */
	*p++ = 0x93;
	*p++ = (unsigned char)WIRE_REQUEST;
	if (id < 0x80)
		*p++ = (unsigned char)id;
	else if (id <= UINT8_MAX) {
		*p++ = 0xcc;
		*p++ = (unsigned char)id;
	} else if (id <= UINT16_MAX) {
		*p++ = 0xcd;
		for (int i = 1; i >= 0; i--)
			*p++ = (unsigned char)(id >> (8 * i));
	} else if (id <= UINT32_MAX) {
		*p++ = 0xce;
		for (int i = 3; i >= 0; i--)
			*p++ = (unsigned char)(id >> (8 * i));
	} else {
		*p++ = 0xcf;
		for (int i = 7; i >= 0; i--)
			*p++ = (unsigned char)(id >> (8 * i));
	}
	if (metadata_length < 32)
		*p++ = (unsigned char)(0xa0 | metadata_length);
	else if (metadata_length <= UINT8_MAX) {
		*p++ = 0xd9;
		*p++ = (unsigned char)metadata_length;
	} else if (metadata_length <= UINT16_MAX) {
		*p++ = 0xda;
		*p++ = (unsigned char)(metadata_length >> 8);
		*p++ = (unsigned char)metadata_length;
	} else if (metadata_length <= WIRE_MAX_MESSAGE) {
		*p++ = 0xdb;
		for (int i = 3; i >= 0; i--)
			*p++ = (unsigned char)(metadata_length >> (8 * i));
	} else
		return 0;
	payload = (size_t)(p - out) - WIRE_HEADER_SIZE + metadata_length;
	if (payload > WIRE_MAX_MESSAGE)
		return 0;
	for (int i = 0; i < WIRE_HEADER_SIZE; i++)
		out[i] = (unsigned char)(payload >> (8 * (WIRE_HEADER_SIZE - 1 -
		    i)));
	return (size_t)(p - out);
}

int
wire_put_reply(struct buffer *out, uint64_t id, const char *type,
    size_t type_length, const char *name, size_t name_length,
    uint64_t micros)
{
	struct frame f;

	frame_begin(&f, out, 5, WIRE_REPLY);
	f.failed |= msgpack_pack_uint64(&f.packer, id);
	pack_string(&f, type, type_length);
	pack_string(&f, name, name_length);
	f.failed |= msgpack_pack_uint64(&f.packer, micros);
	return frame_end(&f);
}

int
wire_put_error(struct buffer *out, uint64_t id, const char *kind,
    const char *message, size_t message_length, uint64_t micros)
{
	struct frame f;

	frame_begin(&f, out, 5, WIRE_ERROR);
	f.failed |= msgpack_pack_uint64(&f.packer, id);
	pack_cstring(&f, kind);
	pack_string(&f, message, message_length);
	f.failed |= msgpack_pack_uint64(&f.packer, micros);
	return frame_end(&f);
}

int
wire_put_log(struct buffer *out, const char *text, size_t length,
    uint64_t dropped)
{
	struct frame f;

	frame_begin(&f, out, 3, WIRE_LOG);
	pack_string(&f, text, length);
	f.failed |= msgpack_pack_uint64(&f.packer, dropped);
	return frame_end(&f);
}

int
wire_put_sealed(struct buffer *out)
{
	struct frame f;

	frame_begin(&f, out, 1, WIRE_SEALED);
	return frame_end(&f);
}

int
wire_put_violation(struct buffer *out, int64_t syscall, uint32_t arch,
    uint64_t id)
{
	struct frame f;

	frame_begin(&f, out, 4, WIRE_VIOLATION);
	f.failed |= msgpack_pack_int64(&f.packer, syscall);
	f.failed |= msgpack_pack_uint32(&f.packer, arch);
	f.failed |= msgpack_pack_uint64(&f.packer, id);
	return frame_end(&f);
}

int
wire_put_probe(struct buffer *out, const char *name, const char *verdict,
    uint32_t error_number, const char *detail)
{
	struct frame f;

	frame_begin(&f, out, 5, WIRE_PROBE);
	pack_cstring(&f, name);
	pack_cstring(&f, verdict);
	f.failed |= msgpack_pack_uint32(&f.packer, error_number);
	pack_cstring(&f, detail);
	return frame_end(&f);
}

const char *
wire_type_name(uint64_t type)
{
	static const char *const names[] = {
		[WIRE_HELLO] = "HELLO", [WIRE_LOAD] = "LOAD",
		[WIRE_READY] = "READY", [WIRE_REQUEST] = "REQUEST",
		[WIRE_REPLY] = "REPLY", [WIRE_ERROR] = "ERROR",
		[WIRE_LOG] = "LOG", [WIRE_VIOLATION] = "VIOLATION",
		[WIRE_PROBE] = "PROBE", [WIRE_SEALED] = "SEALED",
	};

	if (type >= WIRE_HELLO && type <= WIRE_TYPE_LAST)
		return names[type];
	return "unknown";
}

const char *
wire_mode_name(enum wire_mode mode)
{
	switch (mode) {
	case WIRE_MODE_OFF:
		return "off";
	case WIRE_MODE_AUTO:
		return "auto";
	case WIRE_MODE_REQUIRE:
		return "require";
	}
	return "unknown";
}

int
wire_string_is(struct wire_string s, const char *c)
{
	size_t length = strlen(c);

	return s.length == length && memcmp(s.bytes, c, length) == 0;
}
