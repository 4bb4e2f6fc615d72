/*
 * Encoding of the control messages described in control.h: each encoder
 * appends one whole frame, or nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "control.h"

static void
begin(struct frame *f, struct buffer *out, uint32_t fields,
    enum control_type type)
{
	frame_begin(f, out, fields + 1, (uint8_t)type);
	f->max = CONTROL_MAX_MESSAGE;
}

/* A C string, or "" for NULL. */
static void
pack_text(struct frame *f, const char *s)
{
	pack_cstring(f, s != NULL ? s : "");
}

static void
pack_bytes(struct frame *f, const char *bytes, size_t length)
{
	f->failed |= msgpack_pack_bin(&f->packer, length);
	f->failed |= msgpack_pack_bin_body(&f->packer, bytes, length);
}

static void
pack_uint(struct frame *f, uint64_t value)
{
	f->failed |= msgpack_pack_uint64(&f->packer, value);
}

int
control_put_hello(struct buffer *out, uint32_t version)
{
	struct frame f;

	begin(&f, out, 1, CONTROL_HELLO);
	pack_uint(&f, version);
	return frame_end(&f);
}

int
control_put_plugin_create(struct buffer *out, const char *name,
    const char *source, size_t length, bool replace,
    enum control_position position, const char *anchor)
{
	struct frame f;

	begin(&f, out, 5, CONTROL_PLUGIN_CREATE);
	pack_text(&f, name);
	pack_bytes(&f, source, length);
	f.failed |= replace ? msgpack_pack_true(&f.packer) :
	    msgpack_pack_false(&f.packer);
	pack_uint(&f, (uint64_t)position);
	pack_text(&f, anchor);
	return frame_end(&f);
}

static int
put_empty(struct buffer *out, enum control_type type)
{
	struct frame f;

	begin(&f, out, 0, type);
	return frame_end(&f);
}

static int
put_text(struct buffer *out, enum control_type type, const char *text)
{
	struct frame f;

	begin(&f, out, 1, type);
	pack_text(&f, text);
	return frame_end(&f);
}

static int
put_bytes(struct buffer *out, enum control_type type, const char *bytes,
    size_t length)
{
	struct frame f;

	begin(&f, out, 1, type);
	pack_bytes(&f, bytes, length);
	return frame_end(&f);
}

int
control_put_plugin_list(struct buffer *out)
{
	return put_empty(out, CONTROL_PLUGIN_LIST);
}

int
control_put_plugin_delete(struct buffer *out, const char *name)
{
	return put_text(out, CONTROL_PLUGIN_DELETE, name);
}

int
control_put_plugin_reset(struct buffer *out, const char *name)
{
	return put_text(out, CONTROL_PLUGIN_RESET, name);
}

int
control_put_query_begin(struct buffer *out, const char *label)
{
	return put_text(out, CONTROL_QUERY_BEGIN, label);
}

int
control_put_query_data(struct buffer *out, const char *bytes, size_t length)
{
	return put_bytes(out, CONTROL_QUERY_DATA, bytes, length);
}

int
control_put_query_end(struct buffer *out)
{
	return put_empty(out, CONTROL_QUERY_END);
}

int
control_put_stats(struct buffer *out, enum control_format format)
{
	struct frame f;

	begin(&f, out, 1, CONTROL_STATS);
	pack_uint(&f, (uint64_t)format);
	return frame_end(&f);
}

int
control_put_hello_reply(struct buffer *out, uint32_t version,
    const char *daemon_version)
{
	struct frame f;

	begin(&f, out, 2, CONTROL_HELLO_REPLY);
	pack_uint(&f, version);
	pack_text(&f, daemon_version);
	return frame_end(&f);
}

int
control_put_ok(struct buffer *out, const char *message, const char *sha256)
{
	size_t length = message != NULL ? strlen(message) : 0;
	struct frame f;

	begin(&f, out, 2, CONTROL_OK);
	pack_string(&f, message != NULL ? message : "",
	    length < CONTROL_MAX_TEXT ? length : CONTROL_MAX_TEXT);
	pack_text(&f, sha256);
	return frame_end(&f);
}

int
control_put_error(struct buffer *out, enum control_error code,
    const char *format, ...)
{
	char message[CONTROL_MAX_TEXT + 1];
	struct frame f;
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	if (n < 0)
		message[0] = '\0';
	begin(&f, out, 2, CONTROL_ERROR);
	pack_cstring(&f, control_error_name(code));
	pack_text(&f, message);
	return frame_end(&f);
}

int
control_put_plugin_list_reply(struct buffer *out,
    const struct control_plugin *plugins, size_t count)
{
	struct frame f;

	begin(&f, out, 1, CONTROL_PLUGIN_LIST_REPLY);
	f.failed |= msgpack_pack_array(&f.packer, count);
	for (size_t i = 0; i < count; i++) {
		const struct control_plugin *p = &plugins[i];

		f.failed |= msgpack_pack_array(&f.packer,
		    CONTROL_ENTRY_FIELDS);
		pack_string(&f, p->name.bytes, p->name.length);
		pack_uint(&f, i + 1);
		pack_uint(&f, p->size);
		pack_cstring(&f, p->sha256);
		f.failed |= msgpack_pack_int64(&f.packer, p->created);
		pack_cstring(&f, control_state_name(p->state));
		pack_uint(&f, p->calls);
		f.failed |= msgpack_pack_map(&f.packer, p->error_count);
		for (size_t k = 0; k < p->error_count; k++) {
			pack_string(&f, p->errors[k].kind.bytes,
			    p->errors[k].kind.length);
			pack_uint(&f, p->errors[k].count);
		}
	}
	return frame_end(&f);
}

int
control_put_query_output(struct buffer *out, const char *bytes,
    size_t length)
{
	return put_bytes(out, CONTROL_QUERY_OUTPUT, bytes, length);
}

int
control_put_query_done(struct buffer *out, uint32_t status,
    uint64_t records)
{
	struct frame f;

	begin(&f, out, 2, CONTROL_QUERY_DONE);
	pack_uint(&f, status);
	pack_uint(&f, records);
	return frame_end(&f);
}

int
control_put_stats_reply(struct buffer *out, const char *text, size_t length)
{
	struct frame f;

	begin(&f, out, 1, CONTROL_STATS_REPLY);
	pack_string(&f, text, length);
	return frame_end(&f);
}

const char *
control_type_name(uint64_t type)
{
	switch (type) {
#define CONTROL_TYPE_NAME(name, number, direction, fields) \
	case number: return #name;
	CONTROL_MESSAGES(CONTROL_TYPE_NAME)
#undef CONTROL_TYPE_NAME
	}
	return "unknown";
}

const char *
control_error_name(enum control_error code)
{
	static const char *const names[] = {
#define CONTROL_ERROR_NAME(name, spelling) spelling,
		CONTROL_ERRORS(CONTROL_ERROR_NAME)
#undef CONTROL_ERROR_NAME
	};

	return (size_t)code < CONTROL_ERROR_COUNT ? names[code] : "internal";
}

const char *
control_state_name(enum control_state state)
{
	static const char *const names[] = {
#define CONTROL_STATE_NAME(name, spelling) spelling,
		CONTROL_STATES(CONTROL_STATE_NAME)
#undef CONTROL_STATE_NAME
	};

	return (size_t)state < CONTROL_STATE_COUNT ? names[state] : "unknown";
}
