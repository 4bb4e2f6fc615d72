/*
 * Payloads built by hand with msgpack-c's packer, for the suites of both
 * codecs (wire_support.h, control_support.h): a hostile payload is built
 * field by field, then decoded from a copy of exactly its size.
 *
 * Everything here is static.
 */
#ifndef LUAWARD_TESTS_PACK_SUPPORT_H
#define LUAWARD_TESTS_PACK_SUPPORT_H

#include <string.h>

#include <msgpack.h>

#define BYTES(...)	((const unsigned char[]){ __VA_ARGS__ })

struct pack {
	msgpack_sbuffer	 sbuf;
	msgpack_packer	 pk;
};

static inline msgpack_packer *
pack_begin(struct pack *p)
{
	msgpack_sbuffer_init(&p->sbuf);
	msgpack_packer_init(&p->pk, &p->sbuf, msgpack_sbuffer_write);
	return &p->pk;
}

static inline void
pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

#endif
