/*
 * Shared by the fuzz targets of the pipe protocol (fuzz_*_messages.c): the
 * byte stream cut into reads of varying size, the limits of ipc/wire.h
 * checked on every decoded message, a canonical text of a message to
 * compare two decodings, and the round trip through the encoders.
 *
 * A broken invariant aborts, which libFuzzer reports as a crash with the
 * input that caused it.  Everything here is static.
 */
#ifndef LUAWARD_TESTS_FUZZ_WIRE_H
#define LUAWARD_TESTS_FUZZ_WIRE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ipc/wire.h"

static void
invariant_failed(const char *format, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
invariant_failed(const char *format, ...)
{
	va_list ap;

	fprintf(stderr, "invariant broken: ");
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

#define INVARIANT(condition, ...) do {					\
	if (!(condition))						\
		invariant_failed(__VA_ARGS__);				\
} while (0)

/*
 * The sizes of the reads the stream arrives in, from the input's first
 * byte: 0 gives the whole stream at once, anything else a repeatable
 * sequence of reads from 1 byte to a few KiB, as a pipe delivers them.
 */
struct reads {
	uint64_t	 state;
	bool		 whole;
};

static inline void
reads_init(struct reads *r, uint8_t seed)
{
	r->whole = seed == 0;
	r->state = 0x9e3779b97f4a7c15ULL ^ seed;
}

static inline size_t
reads_next(struct reads *r, size_t left)
{
	size_t n;

	if (r->whole)
		return left;
	r->state ^= r->state >> 12;
	r->state ^= r->state << 25;
	r->state ^= r->state >> 27;
	n = (size_t)((r->state * 0x2545f4914f6cdd1dULL) >> 32);
	/* Mostly small reads, now and then a large one. */
	n = (n & 7) == 0 ? 1 + n % 8192 : 1 + n % 64;
	return n < left ? n : left;
}

/* The received string lies inside the payload and within its limit. */
static inline void
check_string(struct wire_string s, size_t max, const char *payload,
    size_t length, const char *field)
{
	INVARIANT(s.bytes != NULL, "%s: a NULL string", field);
	INVARIANT(s.length <= max, "%s: %zu bytes, limit %zu", field, s.length,
	    max);
	INVARIANT(s.length == 0 || (s.bytes >= payload &&
	    s.bytes + s.length <= payload + length),
	    "%s: points outside the payload", field);
}

/* Every limit wire.h promises, for a message wire_decode() accepted. */
static inline void
check_limits(const struct wire_message *m, const char *payload, size_t length)
{
	const struct wire_load *load = &m->u.load.settings;

	switch (m->type) {
	case WIRE_HELLO:
		INVARIANT(m->u.hello.version == WIRE_PROTOCOL_VERSION,
		    "HELLO of version %u", m->u.hello.version);
		break;
	case WIRE_LOAD:
		INVARIANT(m->u.load.version == WIRE_PROTOCOL_VERSION,
		    "LOAD of version %u", m->u.load.version);
		check_string(load->plugin, WIRE_MAX_NAME, payload, length,
		    "plugin");
		check_string(load->source, WIRE_MAX_SOURCE, payload, length,
		    "source");
		INVARIANT(load->module_count <= WIRE_MAX_MODULES,
		    "%zu modules", load->module_count);
		for (size_t i = 0; i < load->module_count; i++) {
			check_string(load->modules[i].name, WIRE_MAX_NAME,
			    payload, length, "module name");
			check_string(load->modules[i].source, WIRE_MAX_SOURCE,
			    payload, length, "module source");
		}
		INVARIANT(load->landlock <= WIRE_MODE_REQUIRE,
		    "landlock mode %d", (int)load->landlock);
		check_string(load->seccomp_filter, WIRE_MAX_FILTER, payload,
		    length, "seccomp_filter");
		INVARIANT(load->seccomp_filter.length > 0 &&
		    load->seccomp_filter.length % 8 == 0,
		    "a filter of %zu bytes", load->seccomp_filter.length);
		check_string(load->probe, WIRE_MAX_NAME, payload, length,
		    "probe");
		break;
	case WIRE_READY:
		INVARIANT(m->u.ready.version == WIRE_PROTOCOL_VERSION,
		    "READY of version %u", m->u.ready.version);
		INVARIANT(m->u.ready.layer_count <= WIRE_MAX_LAYERS,
		    "%zu layers", m->u.ready.layer_count);
		for (size_t i = 0; i < m->u.ready.layer_count; i++) {
			check_string(m->u.ready.layers[i].name, WIRE_MAX_NAME,
			    payload, length, "layer name");
			check_string(m->u.ready.layers[i].state, WIRE_MAX_NAME,
			    payload, length, "layer state");
			check_string(m->u.ready.layers[i].detail, WIRE_MAX_TEXT,
			    payload, length, "layer detail");
		}
		INVARIANT(m->u.ready.touched_count <= WIRE_MAX_TOUCHED,
		    "%zu touched", m->u.ready.touched_count);
		for (size_t i = 0; i < m->u.ready.touched_count; i++)
			check_string(m->u.ready.touched[i], WIRE_MAX_NAME,
			    payload, length, "touched");
		break;
	case WIRE_REQUEST:
		check_string(m->u.request.metadata, WIRE_MAX_METADATA, payload,
		    length, "metadata");
		break;
	case WIRE_REPLY:
		check_string(m->u.reply.type, WIRE_MAX_RESULT, payload, length,
		    "workload type");
		check_string(m->u.reply.name, WIRE_MAX_RESULT, payload, length,
		    "workload name");
		break;
	case WIRE_ERROR:
		check_string(m->u.error.kind, WIRE_MAX_NAME, payload, length,
		    "kind");
		check_string(m->u.error.message, WIRE_MAX_TEXT, payload, length,
		    "message");
		break;
	case WIRE_LOG:
		check_string(m->u.log.text, WIRE_MAX_TEXT, payload, length,
		    "text");
		break;
	case WIRE_VIOLATION:
		INVARIANT(m->u.violation.syscall >= INT32_MIN &&
		    m->u.violation.syscall <= INT32_MAX, "syscall %lld",
		    (long long)m->u.violation.syscall);
		break;
	case WIRE_SEALED:
		break;
	case WIRE_PROBE:
		check_string(m->u.probe.name, WIRE_MAX_NAME, payload, length,
		    "probe");
		INVARIANT(wire_string_is(m->u.probe.verdict, "blocked") ||
		    wire_string_is(m->u.probe.verdict, "allowed"),
		    "verdict '%.*s'", (int)m->u.probe.verdict.length,
		    m->u.probe.verdict.bytes);
		check_string(m->u.probe.detail, WIRE_MAX_TEXT, payload, length,
		    "detail");
		break;
	default:
		invariant_failed("decoded type %d", (int)m->type);
	}
}

/* --- a canonical text of a message, strings by content ------------------ */

static inline void
canon_bytes(struct buffer *out, const void *bytes, size_t length)
{
	INVARIANT(buffer_append(out, bytes, length) == 0, "out of memory");
}

static inline void
canon_uint(struct buffer *out, uint64_t value)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%llu,",
	    (unsigned long long)value);

	canon_bytes(out, text, (size_t)n);
}

static inline void
canon_string(struct buffer *out, struct wire_string s)
{
	canon_uint(out, s.length);
	canon_bytes(out, s.bytes, s.length);
}

static inline void
canonical(struct buffer *out, const struct wire_message *m)
{
	const struct wire_load *load = &m->u.load.settings;

	buffer_clear(out);
	canon_uint(out, (uint64_t)m->type);
	switch (m->type) {
	case WIRE_HELLO:
		canon_uint(out, m->u.hello.version);
		canon_uint(out, m->u.hello.pid);
		break;
	case WIRE_LOAD:
		canon_uint(out, m->u.load.version);
		canon_string(out, load->plugin);
		canon_string(out, load->source);
		canon_uint(out, load->module_count);
		for (size_t i = 0; i < load->module_count; i++) {
			canon_string(out, load->modules[i].name);
			canon_string(out, load->modules[i].source);
		}
		canon_uint(out, load->call_timeout_ms);
		canon_uint(out, load->load_timeout_ms);
		canon_uint(out, load->memory_bytes);
		canon_uint(out, load->log_lines_per_second);
		canon_uint(out, load->log_burst);
		canon_uint(out, (uint64_t)load->landlock);
		canon_string(out, load->seccomp_filter);
		canon_string(out, load->probe);
		break;
	case WIRE_READY:
		canon_uint(out, m->u.ready.version);
		canon_uint(out, m->u.ready.layer_count);
		for (size_t i = 0; i < m->u.ready.layer_count; i++) {
			canon_string(out, m->u.ready.layers[i].name);
			canon_string(out, m->u.ready.layers[i].state);
			canon_string(out, m->u.ready.layers[i].detail);
		}
		canon_uint(out, m->u.ready.touched_count);
		for (size_t i = 0; i < m->u.ready.touched_count; i++)
			canon_string(out, m->u.ready.touched[i]);
		break;
	case WIRE_REQUEST:
		canon_uint(out, m->u.request.id);
		canon_string(out, m->u.request.metadata);
		break;
	case WIRE_REPLY:
		canon_uint(out, m->u.reply.id);
		canon_string(out, m->u.reply.type);
		canon_string(out, m->u.reply.name);
		canon_uint(out, m->u.reply.micros);
		break;
	case WIRE_ERROR:
		canon_uint(out, m->u.error.id);
		canon_string(out, m->u.error.kind);
		canon_string(out, m->u.error.message);
		canon_uint(out, m->u.error.micros);
		break;
	case WIRE_LOG:
		canon_string(out, m->u.log.text);
		canon_uint(out, m->u.log.dropped);
		break;
	case WIRE_SEALED:
		break;
	case WIRE_VIOLATION:
		canon_uint(out, (uint64_t)m->u.violation.syscall);
		canon_uint(out, m->u.violation.arch);
		canon_uint(out, m->u.violation.id);
		break;
	case WIRE_PROBE:
		canon_string(out, m->u.probe.name);
		canon_string(out, m->u.probe.verdict);
		canon_uint(out, m->u.probe.error_number);
		canon_string(out, m->u.probe.detail);
		break;
	}
}

/* A NUL-terminated copy, or NULL when the string holds a NUL (the
 * encoders that take C strings cannot say it). */
static inline char *
c_string(struct wire_string s)
{
	char *copy;

	if (memchr(s.bytes, '\0', s.length) != NULL)
		return NULL;
	copy = malloc(s.length + 1);
	INVARIANT(copy != NULL, "out of memory");
	memcpy(copy, s.bytes, s.length);
	copy[s.length] = '\0';
	return copy;
}

/*
 * Encodes m again with the wire_put_* encoder of its type.  Returns 0 with
 * one frame in out, or -1 when the encoder cannot express it (a C string
 * argument holding a NUL).
 */
static inline int
reencode(struct buffer *out, const struct wire_message *m)
{
	char *kind, *name, *verdict, *detail;
	int r = -1;

	buffer_clear(out);
	switch (m->type) {
	case WIRE_HELLO:
		r = wire_put_hello(out, m->u.hello.pid);
		break;
	case WIRE_LOAD:
		r = wire_put_load(out, &m->u.load.settings);
		break;
	case WIRE_READY:
		r = wire_put_ready(out, m->u.ready.layers,
		    m->u.ready.layer_count, m->u.ready.touched,
		    m->u.ready.touched_count);
		break;
	case WIRE_REQUEST:
		r = wire_put_request(out, m->u.request.id,
		    m->u.request.metadata.bytes,
		    m->u.request.metadata.length);
		break;
	case WIRE_REPLY:
		r = wire_put_reply(out, m->u.reply.id, m->u.reply.type.bytes,
		    m->u.reply.type.length, m->u.reply.name.bytes,
		    m->u.reply.name.length, m->u.reply.micros);
		break;
	case WIRE_ERROR:
		if ((kind = c_string(m->u.error.kind)) == NULL)
			return -1;
		r = wire_put_error(out, m->u.error.id, kind,
		    m->u.error.message.bytes, m->u.error.message.length,
		    m->u.error.micros);
		free(kind);
		break;
	case WIRE_LOG:
		r = wire_put_log(out, m->u.log.text.bytes,
		    m->u.log.text.length, m->u.log.dropped);
		break;
	case WIRE_SEALED:
		r = wire_put_sealed(out);
		break;
	case WIRE_VIOLATION:
		r = wire_put_violation(out, m->u.violation.syscall,
		    m->u.violation.arch, m->u.violation.id);
		break;
	case WIRE_PROBE:
		name = c_string(m->u.probe.name);
		verdict = c_string(m->u.probe.verdict);
		detail = c_string(m->u.probe.detail);
		if (name != NULL && verdict != NULL && detail != NULL)
			r = wire_put_probe(out, name, verdict,
			    m->u.probe.error_number, detail);
		free(name);
		free(verdict);
		free(detail);
		if (r == -1)
			return -1;
		break;
	}
	INVARIANT(r == 0, "the encoder refuses a decoded %s",
	    wire_type_name(m->type));
	return 0;
}

/*
 * What every decoding must satisfy, whoever receives it: a rejection says
 * why; an accepted message keeps wire.h's limits; decoding a copy at
 * another address with a fresh decoder gives the same result, and so does
 * encoding the message again and decoding that.  Returns wire_decode()'s
 * result for payload, *m filled as it left it.
 */
struct wire_check {
	struct wire_decoder	*decoder, *other;
	struct buffer		 first, second, frame;
};

static inline void
wire_check_init(struct wire_check *c)
{
	memset(c, 0, sizeof(*c));
	c->decoder = wire_decoder_new();
	c->other = wire_decoder_new();
	INVARIANT(c->decoder != NULL && c->other != NULL, "out of memory");
}

static inline void
wire_check_free(struct wire_check *c)
{
	wire_decoder_free(c->decoder);
	wire_decoder_free(c->other);
	buffer_free(&c->first);
	buffer_free(&c->second);
	buffer_free(&c->frame);
}

static inline int
checked_decode(struct wire_check *c, const char *payload, size_t length,
    struct wire_message *m)
{
	struct wire_message again, copied;
	char error[256], error_again[256];
	const char *frame_payload;
	size_t frame_length;
	char *copy;
	int r, r_again;

	memset(error, 0, sizeof(error));
	r = wire_decode(c->decoder, payload, length, m, error, sizeof(error));
	INVARIANT(r == 0 || r == -1, "wire_decode returned %d", r);

	/* A heap copy of exactly its size: a read past its end is seen. */
	copy = malloc(length);
	INVARIANT(copy != NULL, "out of memory");
	memcpy(copy, payload, length);
	memset(error_again, 0, sizeof(error_again));
	r_again = wire_decode(c->other, copy, length, &copied, error_again,
	    sizeof(error_again));
	INVARIANT(r_again == r, "a copy decodes %d, the original %d", r_again,
	    r);
	if (r == -1) {
		INVARIANT(error[0] != '\0', "a rejection without a reason");
		INVARIANT(memchr(error, '\0', sizeof(error)) != NULL,
		    "an unterminated reason");
		INVARIANT(strcmp(error, error_again) == 0,
		    "two reasons: '%s' and '%s'", error, error_again);
		/* The reason may reach a terminal: none of the peer's bytes
		 * in it raw. */
		for (const char *e = error; *e != '\0'; e++)
			INVARIANT(*e >= 0x20 && *e < 0x7f,
			    "byte 0x%02x in the reason '%s'",
			    (unsigned char)*e, error);
		free(copy);
		return -1;
	}
	check_limits(m, payload, length);
	check_limits(&copied, copy, length);
	canonical(&c->first, m);
	canonical(&c->second, &copied);
	INVARIANT(buffer_length(&c->first) == buffer_length(&c->second) &&
	    memcmp(buffer_bytes(&c->first), buffer_bytes(&c->second),
	    buffer_length(&c->first)) == 0,
	    "a %s decodes differently from a copy", wire_type_name(m->type));
	free(copy);

	/* Encoded again, it decodes to the same message. */
	if (reencode(&c->frame, m) == 0) {
		r = wire_frame(&c->frame, &frame_payload, &frame_length, error,
		    sizeof(error));
		INVARIANT(r == 1, "a re-encoded %s is no frame",
		    wire_type_name(m->type));
		INVARIANT(WIRE_HEADER_SIZE + frame_length ==
		    buffer_length(&c->frame), "a re-encoded frame has stray "
		    "bytes");
		r = wire_decode(c->other, frame_payload, frame_length, &again,
		    error, sizeof(error));
		INVARIANT(r == 0, "a re-encoded %s is rejected: %s",
		    wire_type_name(m->type), error);
		canonical(&c->second, &again);
		INVARIANT(buffer_length(&c->first) ==
		    buffer_length(&c->second) &&
		    memcmp(buffer_bytes(&c->first), buffer_bytes(&c->second),
		    buffer_length(&c->first)) == 0,
		    "a %s changes when encoded again",
		    wire_type_name(m->type));
	}
	return 0;
}

#endif
