/*
 * What the two codecs share: wire.h's, for the worker pipes, and
 * control.h's, for the control socket.  Both frame one msgpack array per
 * message (wire_frame() finds the frames), build it with msgpack-c's
 * packer, and decode a received payload in two passes: first
 * codec_check_structure() bounds every count by the bytes that remain and
 * by the codec's element and depth limits (msgpack-c would otherwise size
 * its zone from a count the peer chose), then msgpack-c builds the object
 * tree that the typed readers below check field by field.
 *
 * Internal to ipc/: the helpers are static inline, so that each codec
 * keeps its short names without exporting them.
 */
#ifndef LUAWARD_IPC_CODEC_H
#define LUAWARD_IPC_CODEC_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "wire.h"

/* The deepest nesting any codec allows. */
#define CODEC_MAX_DEPTH		8

/*
 * wire_frame() with a payload limit of max bytes: 1 when a whole frame is
 * at the front of in, 0 when more bytes are needed, -1 when the header
 * announces an empty or oversized payload.
 */
int	 codec_frame(const struct buffer *in, size_t max, const char **payload,
	     size_t *length, char *error, size_t error_size);

/*
 * Returns 0 when payload[0..length) is exactly one msgpack value of at
 * most max_elements values nested at most max_depth deep, else -1 with
 * the reason.
 */
int	 codec_check_structure(const unsigned char *payload, size_t length,
	     size_t max_elements, size_t max_depth, char *error,
	     size_t error_size);

/*
 * The structure check, then msgpack-c's unpacking into unpacked: the
 * payload must be an array of at least one value (the type).  Returns 0
 * with its fields, or -1 with the reason.
 */
int	 codec_unpack(msgpack_unpacked *, const char *payload, size_t length,
	     size_t max_elements, size_t max_depth,
	     const msgpack_object **fields, uint32_t *count, char *error,
	     size_t error_size);

static inline int
fail(char *error, size_t error_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static inline int
fail(char *error, size_t error_size, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(error, error_size, format, ap);
	va_end(ap);
	return -1;
}

/*
 * The start of a received string as printable ASCII, other bytes as \xNN:
 * error messages end up on a terminal, and the bytes are the peer's.
 */
static inline const char *
printable(struct wire_string s, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < s.length; i++) {
		unsigned char c = (unsigned char)s.bytes[i];

		if (n + 8 > size) {		/* room for \xNN, "...", NUL */
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			out[n++] = (char)c;
		else {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 0xf];
		}
	}
	out[n] = '\0';
	return out;
}

/* Typed field readers: each returns 0, or -1 naming the field. */

static inline int
get_uint(const msgpack_object *o, uint64_t max, uint64_t *value,
    const char *field, char *error, size_t error_size)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return fail(error, error_size,
		    "%s: expected an integer from 0 to %llu", field,
		    (unsigned long long)max);
	*value = o->via.u64;
	return 0;
}

static inline int
get_u32(const msgpack_object *o, uint32_t *value, const char *field,
    char *error, size_t error_size)
{
	uint64_t v = 0;

	if (get_uint(o, UINT32_MAX, &v, field, error, error_size) == -1)
		return -1;
	*value = (uint32_t)v;
	return 0;
}

static inline int
get_string(const msgpack_object *o, size_t max, struct wire_string *s,
    const char *field, char *error, size_t error_size)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		s->bytes = o->via.str.ptr;
		s->length = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_BIN) {
		s->bytes = o->via.bin.ptr;
		s->length = o->via.bin.size;
	} else
		return fail(error, error_size, "%s: expected a string", field);
	/* msgpack-c gives an empty string no pointer; NULL would reach
	 * memcpy() and "%.*s" downstream. */
	if (s->bytes == NULL)
		s->bytes = "";
	if (s->length > max)
		return fail(error, error_size,
		    "%s: %zu bytes (at most %zu allowed)", field, s->length,
		    max);
	return 0;
}

static inline int
get_array(const msgpack_object *o, size_t min, size_t max,
    const char *field, char *error, size_t error_size)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < min ||
	    o->via.array.size > max)
		return fail(error, error_size,
		    "%s: expected an array of %zu to %zu values", field, min,
		    max);
	return 0;
}

/* Encoding: one frame at a time, appended whole or not at all. */

static inline int
buffer_write(void *data, const char *bytes, size_t length)
{
	return buffer_append(data, bytes, length);
}

struct frame {
	struct buffer	*out;
	size_t		 header;	/* header offset from out->start */
	size_t		 end;		/* out->end before the frame */
	size_t		 max;		/* payload bytes allowed */
	msgpack_packer	 packer;
	int		 failed;
};

static inline void
frame_begin(struct frame *f, struct buffer *out, uint32_t fields,
    uint8_t type)
{
	static const char zero[WIRE_HEADER_SIZE];

	f->out = out;
	f->max = WIRE_MAX_MESSAGE;	/* a codec may lower it */
	f->end = out->end - out->start;
	f->header = f->end;
	f->failed = buffer_append(out, zero, sizeof(zero));
	msgpack_packer_init(&f->packer, out, buffer_write);
	f->failed |= msgpack_pack_array(&f->packer, fields);
	f->failed |= msgpack_pack_uint8(&f->packer, type);
}

static inline void
pack_string(struct frame *f, const char *bytes, size_t length)
{
	f->failed |= msgpack_pack_str(&f->packer, length);
	f->failed |= msgpack_pack_str_body(&f->packer, bytes, length);
}

static inline void
pack_cstring(struct frame *f, const char *s)
{
	pack_string(f, s, strlen(s));
}

static inline int
frame_end(struct frame *f)
{
	struct buffer *out = f->out;
	size_t length;
	unsigned char *h;

	if (f->failed)
		goto rollback;
	length = out->end - out->start - f->header - WIRE_HEADER_SIZE;
	if (length > f->max)
		goto rollback;
	h = (unsigned char *)out->data + out->start + f->header;
	h[0] = (unsigned char)(length >> 24);
	h[1] = (unsigned char)(length >> 16);
	h[2] = (unsigned char)(length >> 8);
	h[3] = (unsigned char)length;
	return 0;
rollback:
	out->end = out->start + f->end;
	return -1;
}

#endif
