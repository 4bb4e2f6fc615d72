/*
 * What a record is made of: the role of each object inside the record
 * being assembled (its own object, a Pod's metadata, a watch event's object
 * and that object's metadata), the spans of the parts handed out (identity
 * fields, the metadata, a watch event's type and Status), and the emission
 * of a record, valid or not.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../ipc/buffer.h"
#include "../json.h"
#include "reader_state.h"

/* A record starts with byte c: returns the role of its object, if any. */
unsigned char
reader_record_begin(struct reader *r, unsigned char c)
{
	r->in_record = true;
	r->record_line = r->line;
	r->record_column = r->offset - r->line_start + 1;
	r->record_offset = r->offset;
	r->record_depth = r->depth + 1;
	buffer_clear(&r->capture);
	r->overflow = false;
	memset(r->spans, 0, sizeof(r->spans));
	r->capturing = c == '{';
	r->not_object = c == '{' ? NULL : c == '[' ? "an array" :
	    c == '"' ? "a string" : c == 't' || c == 'f' ? "a boolean" :
	    c == 'n' ? "null" : "a number";
	return c == '{' ? ROLE_RECORD : ROLE_NONE;
}

/* A container member that must be an object to play its role: returns
 * the role, or forgets an earlier one that was. */
static unsigned char
object_member(struct reader *r, unsigned char c, unsigned char role)
{
	if (c == '{')
		return role;
	r->spans[slot_container(role)].set = false;
	return ROLE_NONE;
}

static void
scalar_member(struct reader *r, bool kept, int slot)
{
	if (kept) {
		r->scalar_slot = slot;
		r->scalar_start = buffer_length(&r->capture);
	} else
		r->spans[slot].set = false;
}

/*
 * A value starting with byte c inside the record, in the container at
 * r->depth: notes the scalars kept, and returns the role of the object it
 * opens (ROLE_NONE for any other value).
 */
unsigned char
reader_role_begin(struct reader *r, unsigned char c)
{
	const struct level *level = &r->stack[r->depth];
	/* Watch events are top-level values only. */
	bool top = r->record_depth == 1;

	switch (level->role) {
	case ROLE_NONE:
		return ROLE_NONE;
	case ROLE_RECORD:
		if (level->key == KEY_METADATA)
			return object_member(r, c, ROLE_METADATA);
		if (top && level->key == KEY_OBJECT)
			return object_member(r, c, ROLE_OBJECT);
		if (top && level->key == KEY_TYPE) {
			scalar_member(r, c == '"', SLOT_TYPE);
			return ROLE_NONE;
		}
		break;
	case ROLE_OBJECT:
		if (level->key == KEY_METADATA)
			return object_member(r, c, ROLE_OBJECT_METADATA);
		if (level->key == KEY_CODE) {
			scalar_member(r, c != '{' && c != '[', SLOT_CODE);
			return ROLE_NONE;
		}
		if (level->key == KEY_REASON || level->key == KEY_MESSAGE) {
			scalar_member(r, c == '"', level->key == KEY_REASON ?
			    SLOT_REASON : SLOT_MESSAGE);
			return ROLE_NONE;
		}
		break;
	}
	/* Identity fields: strings only; another value leaves them be. */
	if (level->key >= KEY_UID && level->key <= KEY_NAME && c == '"') {
		r->scalar_slot = slot_field(level->role, level->key - KEY_UID);
		r->scalar_start = buffer_length(&r->capture);
	}
	return ROLE_NONE;
}

/* An object of this role opens: its span starts, and what it holds is
 * forgotten (a later duplicate member replaces an earlier one). */
void
reader_role_open(struct reader *r, unsigned char role)
{
	if (role < ROLE_METADATA)
		return;
	r->spans[slot_container(role)].start = buffer_length(&r->capture);
	r->spans[slot_container(role)].set = false;
	for (unsigned f = 0; f < FIELD_COUNT; f++)
		r->spans[slot_field(role, f)].set = false;
	if (role == ROLE_OBJECT) {
		reader_role_open(r, ROLE_OBJECT_METADATA);
		r->spans[SLOT_CODE].set = r->spans[SLOT_REASON].set =
		    r->spans[SLOT_MESSAGE].set = false;
	}
}

void
reader_role_close(struct reader *r, unsigned char role)
{
	if (role < ROLE_METADATA)
		return;
	r->spans[slot_container(role)].end = buffer_length(&r->capture);
	r->spans[slot_container(role)].set = true;
}

/* Cuts an incomplete UTF-8 sequence off the end of s (after snprintf
 * truncation). */
static void
trim_utf8(char *s)
{
	size_t n = strlen(s), start = n;

	while (start > 0 && ((unsigned char)s[start - 1] & 0xc0) == 0x80 &&
	    n - start < 3)
		start--;
	if (start > 0 && (unsigned char)s[start - 1] >= 0xc0) {
		start--;
		if (utf8_sequence_length((const unsigned char *)s + start,
		    n - start) != n - start)
			s[start] = '\0';
	}
}

void
reader_emit_invalid(struct reader *r, uint64_t line, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(r->error, sizeof(r->error), format, ap);
	va_end(ap);
	trim_utf8(r->error);
	memset(r->out, 0, sizeof(*r->out));
	r->out->invalid = true;
	r->out->error = r->error;
	r->out->uid = r->out->namespace = r->out->name = "";
	r->out->metadata = r->out->event = "";
	r->out->line = line;
	*r->ready = true;
}

/* Appends the decoded string of slot (or "" when unset) and a NUL to the
 * identity buffer; returns its offset there and its length. */
static size_t
decode(struct reader *r, int slot, size_t *length)
{
	const struct span *span = &r->spans[slot];
	const char *base = buffer_bytes(&r->capture);
	size_t at = buffer_length(&r->identity);

	if (span->set && json_append_unescaped(&r->identity, base +
	    span->start + 1, span->end - span->start - 2) == -1)
		r->out_of_memory = true;
	*length = buffer_length(&r->identity) - at;
	if (buffer_append(&r->identity, "", 1) == -1)
		r->out_of_memory = true;
	return at;
}

/* Appends text to a message: at most max bytes of it, cut at a character
 * boundary, with control characters shown as spaces. */
static void
append_text(char *message, size_t size, const char *text, size_t length,
    size_t max)
{
	size_t at = strlen(message);

	if (length > max) {
		length = max;
		while (length > 0 && ((unsigned char)text[length] & 0xc0) ==
		    0x80)
			length--;
	}
	for (size_t i = 0; i < length && at + 1 < size; i++) {
		unsigned char c = (unsigned char)text[i];

		message[at++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	message[at] = '\0';
}

static void
append_literal(char *message, size_t size, const char *text)
{
	append_text(message, size, text, strlen(text), size);
}

/* A watch ERROR event: quotes its Status object's code, reason and
 * message, those it has. */
static void
emit_watch_error(struct reader *r)
{
	static const int slots[] = { SLOT_CODE, SLOT_REASON, SLOT_MESSAGE };
	char why[400] = "watch ERROR event";
	size_t at[3], length[3];
	const char *base = buffer_bytes(&r->capture);
	const struct span *code = &r->spans[SLOT_CODE];

	for (int i = 0; i < 3; i++) {
		if (slots[i] == SLOT_CODE && code->set &&
		    base[code->start] != '"') {
			/* A number: its text as it is. */
			at[i] = buffer_length(&r->identity);
			length[i] = code->end - code->start;
			if (buffer_append(&r->identity, base + code->start,
			    length[i]) == -1)
				r->out_of_memory = true;
		} else
			at[i] = decode(r, slots[i], &length[i]);
	}
	if (r->out_of_memory)
		return;
	if (length[0] + length[1] + length[2] == 0)
		append_literal(why, sizeof(why), " (its Status object has no "
		    "code, reason or message)");
	else {
		append_literal(why, sizeof(why), ":");
		for (int i = 0; i < 2; i++)
			if (length[i] > 0) {
				append_literal(why, sizeof(why), " ");
				append_text(why, sizeof(why), r->identity.data +
				    at[i], length[i], 64);
			}
		if (length[2] > 0) {
			if (length[0] + length[1] > 0)
				append_literal(why, sizeof(why), ":");
			append_literal(why, sizeof(why), " ");
			append_text(why, sizeof(why), r->identity.data + at[2],
			    length[2], 256);
		}
	}
	reader_emit_invalid(r, r->record_line, "%s: line %llu, column %llu "
	    "(byte offset %llu): %s", r->source,
	    (unsigned long long)r->record_line,
	    (unsigned long long)r->record_column,
	    (unsigned long long)r->record_offset, why);
	r->out->event = "ERROR";
	r->out->event_length = 5;
}

static void
fill_identity(struct reader *r, unsigned role)
{
	size_t at[FIELD_COUNT], length[FIELD_COUNT];

	for (unsigned f = 0; f < FIELD_COUNT; f++)
		at[f] = decode(r, slot_field(role, f), &length[f]);
	if (r->out_of_memory)
		return;
	r->out->uid = r->identity.data + at[FIELD_UID];
	r->out->uid_length = length[FIELD_UID];
	r->out->namespace = r->identity.data + at[FIELD_NAMESPACE];
	r->out->namespace_length = length[FIELD_NAMESPACE];
	r->out->name = r->identity.data + at[FIELD_NAME];
	r->out->name_length = length[FIELD_NAME];
}

/* The record's metadata is the object of role, or the record itself. */
static void
emit_metadata(struct reader *r, unsigned role, const char *event,
    size_t event_length)
{
	const char *base = buffer_bytes(&r->capture);

	memset(r->out, 0, sizeof(*r->out));
	if (role == ROLE_RECORD) {
		r->out->metadata = base;
		r->out->metadata_length = buffer_length(&r->capture);
	} else {
		const struct span *span = &r->spans[slot_container(role)];

		r->out->metadata = base + span->start;
		r->out->metadata_length = span->end - span->start;
	}
	fill_identity(r, role);
	if (r->out_of_memory)
		return;
	r->out->event = event;
	r->out->event_length = event_length;
	r->out->line = r->record_line;
	*r->ready = true;
}

static void
emit_event(struct reader *r)
{
	static const char *const kinds[] = { "ADDED", "MODIFIED", "DELETED" };
	size_t length, at = decode(r, SLOT_TYPE, &length);
	const char *type;
	char quoted[80] = "";

	if (r->out_of_memory)
		return;
	type = r->identity.data + at;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (length == strlen(kinds[i]) &&
		    memcmp(type, kinds[i], length) == 0) {
			buffer_clear(&r->identity);
			emit_metadata(r, r->spans[slot_container(
			    ROLE_OBJECT_METADATA)].set ? ROLE_OBJECT_METADATA :
			    ROLE_OBJECT, kinds[i], length);
			return;
		}
	if (length == 8 && memcmp(type, "BOOKMARK", 8) == 0)
		return;		/* a resume point, not a change */
	if (length == 5 && memcmp(type, "ERROR", 5) == 0) {
		emit_watch_error(r);
		return;
	}
	append_text(quoted, sizeof(quoted), type, length, 64);
	reader_emit_invalid(r, r->record_line, "%s: line %llu, column %llu "
	    "(byte offset %llu): watch event of unknown type \"%s\"",
	    r->source, (unsigned long long)r->record_line,
	    (unsigned long long)r->record_column,
	    (unsigned long long)r->record_offset, quoted);
	r->out->event = type;
	r->out->event_length = length;
}

/* The record is complete: hands it out (a BOOKMARK event gives none). */
void
reader_emit_record(struct reader *r)
{
	r->in_record = false;
	r->capturing = false;
	buffer_clear(&r->identity);
	if (r->not_object != NULL)
		reader_emit_invalid(r, r->record_line, "%s: line %llu, column "
		    "%llu (byte offset %llu): the value is %s, not an object",
		    r->source, (unsigned long long)r->record_line,
		    (unsigned long long)r->record_column,
		    (unsigned long long)r->record_offset, r->not_object);
	else if (r->overflow)
		reader_emit_invalid(r, r->record_line, "%s: line %llu, column "
		    "%llu (byte offset %llu): the record is larger than the "
		    "limit of %zu bytes", r->source,
		    (unsigned long long)r->record_line,
		    (unsigned long long)r->record_column,
		    (unsigned long long)r->record_offset,
		    r->limits.max_record);
	else if (r->record_depth == 1 &&
	    r->spans[slot_container(ROLE_OBJECT)].set &&
	    r->spans[SLOT_TYPE].set)
		emit_event(r);
	else if (r->spans[slot_container(ROLE_METADATA)].set)
		emit_metadata(r, ROLE_METADATA, "", 0);
	else
		emit_metadata(r, ROLE_RECORD, "", 0);
}
