/*
 * What the two codecs share (codec.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

static uint32_t
read_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
codec_frame(const struct buffer *in, size_t max, const char **payload,
    size_t *length, char *error, size_t error_size)
{
	const unsigned char *p;
	uint32_t announced;

	/* An empty buffer may have no memory at all. */
	if (buffer_length(in) < WIRE_HEADER_SIZE)
		return 0;
	p = (const unsigned char *)buffer_bytes(in);
	announced = read_be32(p);
	if (announced == 0 || announced > max)
		return fail(error, error_size,
		    "frame announces %u bytes (allowed: 1 to %zu)",
		    announced, max);
	if (buffer_length(in) - WIRE_HEADER_SIZE < announced)
		return 0;
	*payload = (const char *)p + WIRE_HEADER_SIZE;
	*length = announced;
	return 1;
}

static uint64_t
read_be(const unsigned char *p, size_t width)
{
	uint64_t value = 0;

	for (size_t i = 0; i < width; i++)
		value = value << 8 | p[i];
	return value;
}

/*
 * Walks the msgpack value p[0..n) without building it: one pass over the
 * tags, bounding every count by the bytes that remain.
 */
int
codec_check_structure(const unsigned char *p, size_t n, size_t max_elements,
    size_t max_depth, char *error, size_t error_size)
{
	uint64_t pending[CODEC_MAX_DEPTH + 1];	/* values owed per level */
	size_t depth = 0, position = 0, elements = 0;

	pending[0] = 1;
	while (depth > 0 || pending[0] > 0) {
		unsigned char tag;
		uint64_t skip = 0, children = 0;
		size_t width = 0;

		if (pending[depth] == 0) {
			depth--;
			continue;
		}
		pending[depth]--;
		if (position >= n)
			return fail(error, error_size,
			    "message ends inside a value");
		if (++elements > max_elements)
			return fail(error, error_size,
			    "message has more than %zu values", max_elements);
		tag = p[position++];
		if (tag <= 0x7f || tag >= 0xe0 || tag == 0xc0 || tag == 0xc2 ||
		    tag == 0xc3)
			;				/* one-byte values */
		else if (tag >= 0xa0 && tag <= 0xbf)
			skip = tag & 0x1f;		/* fixstr */
		else if (tag >= 0x90 && tag <= 0x9f)
			children = tag & 0x0f;		/* fixarray */
		else if (tag >= 0x80 && tag <= 0x8f)
			children = 2u * (tag & 0x0f);	/* fixmap */
		else {
			switch (tag) {
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xca: case 0xce: case 0xd2: skip = 4; break;
			case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;	/* fixext 1 */
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xc4: case 0xd9: width = 1; break;
			case 0xc5: case 0xda: width = 2; break;
			case 0xc6: case 0xdb: width = 4; break;
			case 0xc7: width = 1; skip = 1; break;	/* ext + type */
			case 0xc8: width = 2; skip = 1; break;
			case 0xc9: width = 4; skip = 1; break;
			case 0xdc: case 0xde: width = 2; break;
			case 0xdd: case 0xdf: width = 4; break;
			default:
				return fail(error, error_size,
				    "invalid msgpack tag 0x%02x", tag);
			}
			if (width > 0) {
				uint64_t count;

				if (n - position < width)
					return fail(error, error_size,
					    "message ends inside a header");
				count = read_be(p + position, width);
				position += width;
				if (tag == 0xdc || tag == 0xdd)
					children = count;
				else if (tag == 0xde || tag == 0xdf)
					children = 2 * count;
				else
					skip += count;
			}
		}
		if (skip > n - position)
			return fail(error, error_size,
			    "value of %llu bytes overruns the message",
			    (unsigned long long)skip);
		position += skip;
		if (children > 0) {
			if (children > n - position)
				return fail(error, error_size,
				    "container of %llu values overruns the "
				    "message", (unsigned long long)children);
			if (depth == max_depth)
				return fail(error, error_size,
				    "message nested deeper than %zu",
				    max_depth);
			pending[++depth] = children;
		}
	}
	if (position != n)
		return fail(error, error_size,
		    "%zu stray bytes after the message", n - position);
	return 0;
}

int
codec_unpack(msgpack_unpacked *unpacked, const char *payload, size_t length,
    size_t max_elements, size_t max_depth, const msgpack_object **fields,
    uint32_t *count, char *error, size_t error_size)
{
	size_t offset = 0;

	if (max_depth > CODEC_MAX_DEPTH)
		return fail(error, error_size, "nesting limit %zu too deep",
		    max_depth);
	if (codec_check_structure((const unsigned char *)payload, length,
	    max_elements, max_depth, error, error_size) == -1)
		return -1;
	if (msgpack_unpack_next(unpacked, payload, length, &offset) !=
	    MSGPACK_UNPACK_SUCCESS || offset != length)
		return fail(error, error_size, "msgpack-c rejects the message");
	if (unpacked->data.type != MSGPACK_OBJECT_ARRAY ||
	    unpacked->data.via.array.size == 0)
		return fail(error, error_size,
		    "message is not an array starting with its type");
	*fields = unpacked->data.via.array.ptr;
	*count = unpacked->data.via.array.size;
	return 0;
}
