/*
 * Recovery after a syntax error.
 *
 * The error's invalid record is out (reader_syntax_error); the rest of the
 * broken value is skipped by a tolerant scanner that keeps a count of open
 * brackets (the kind and layout of the first max_depth of them in the
 * parser's own stack) and whether it is inside a string.  Nothing skipped
 * is kept.  Parsing resumes:
 *   - at the top level, at the next '{';
 *   - in a List's items array, after the next ',' at its level, at a '{'
 *     at its level, or once its ']' closes it (then in the List's
 *     members).  Not at a '{' that follows a ':', nor at a ',' once a ':'
 *     was seen at that level: those are the members of an item that lost
 *     its '{', and none of them may become a record;
 *   - in a top-level object's members, after a ',' or at a key (a string
 *     then ':'), so that an error before a List's "items" loses none of
 *     them; only while the bracket count is exact (no rule below has had
 *     to guess), since an "items" key further in must not make a List.
 *
 * The scanner's rules, for input whose brackets are broken too:
 *   - a string ends at its closing quote, or at the end of its line: a raw
 *     line end is never inside a JSON string, so the quote is missing;
 *   - a closer that is the first thing on its line closes the innermost
 *     open container whose opening line has the same indentation, as
 *     pretty printers align them;
 *   - otherwise a closer closes the innermost container if it is of its
 *     kind, and is a stray, ignored, if not;
 *   - a '{' that is first on its line starts the next List item or
 *     top-level value (the skipped one was cut short: a truncated line of
 *     JSON Lines, a pretty-printed value missing its closers) when it is
 *     indented like the opening line of the one being skipped, or of the
 *     last one read whole, if that line was laid out to be trusted: its
 *     bracket began it, and either more followed on it (JSON Lines) or no
 *     line inside began no deeper (indented JSON; JSON printed without
 *     indentation starts nested objects at column 1 too).
 * Valid JSON never gets here: a truncated line whose next line is a valid
 * continuation (`{"a":[` then `{"b":1}`) is one value until the error
 * shows, and that next line is part of it.
 */
#include <stdbool.h>

#include "reader_state.h"

void
reader_resync_start(struct reader *r, bool in_string)
{
	r->lexer = LEX_RESYNC;
	r->skip_depth = r->depth;
	r->skip_string = in_string;
	r->skip_escape = false;
	r->skip_exact = true;
	r->skip_key = r->skip_key_ready = false;
	r->skip_colon = r->skip_after_colon = false;
	r->capturing = false;
	r->scalar_slot = -1;
}

/* Parsing goes on at depth, expecting expect. */
static void
resume(struct reader *r, unsigned depth, enum expect expect)
{
	if (depth == 0)
		reader_top_end(r);
	r->lexer = LEX_NONE;
	r->depth = depth;
	r->stack[depth].expect = (unsigned char)expect;
	r->in_record = r->capturing = false;
	r->scalar_slot = -1;
}

/* At a member boundary of the top-level object, with an exact count. */
static bool
in_top_members(const struct reader *r)
{
	return r->skip_depth == 1 && r->top_object && r->skip_exact;
}

static bool
in_items(const struct reader *r)
{
	return r->skip_depth == 2 && r->in_items;
}

/* Whether a '{' first on its line starts the next value after the one
 * opened at level (1, the top-level value, or 3, a List item). */
static bool
starts_next(const struct reader *r, unsigned level)
{
	const struct level *l = &r->stack[level];

	if (level > r->limits.max_depth || r->skip_depth < level)
		return false;
	if (level == 1 ? r->top_layout && r->top_indent == r->line_indent :
	    r->item_layout && r->item_indent == r->line_indent)
		return true;
	return reader_laid_out(l) && l->indent == r->line_indent;
}

static void
open_container(struct reader *r, unsigned char c, bool leading)
{
	struct level *level;

	if (++r->skip_depth > r->limits.max_depth)
		return;		/* counted only */
	level = &r->stack[r->skip_depth];
	level->object = c == '{';
	level->key = KEY_OTHER;
	level->role = ROLE_NONE;
	level->leading = leading;
	level->continued = level->flat = false;
	level->indent = r->line_indent;
	level->line = r->line;
}

static void
close_container(struct reader *r, unsigned char c, bool leading)
{
	uint64_t d = r->skip_depth, target = 0;
	bool object = c == '}';
	bool known = d <= r->limits.max_depth;

	if (d == 0)
		return;		/* a stray between values */
	if (leading && known)
		for (uint64_t l = d; l >= 1 && target == 0; l--)
			if (r->stack[l].indent == r->line_indent)
				target = l;
	if (target == 0) {
		if (known && r->stack[d].object != object) {
			r->skip_exact = false;
			return;		/* a stray */
		}
		target = d;
	} else if (target != d || r->stack[d].object != object)
		r->skip_exact = false;
	r->skip_depth = target - 1;
	if (r->skip_depth < 2)
		r->in_items = false;
	if (r->skip_depth == 0)
		reader_top_end(r);
}

static void
key_byte(struct reader *r, unsigned char c)
{
	if (!r->skip_key || r->key_long)
		return;
	if (r->key_length == sizeof(r->key))
		r->key_long = true;
	else
		r->key[r->key_length++] = (char)c;
}

/* Inside a string: consumes its bytes up to a quote or a line end. */
static size_t
skip_string(struct reader *r, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];

		if (c == '\n' || c == '\r') {
			/* The closing quote is missing. */
			r->skip_string = r->skip_escape = r->skip_key = false;
			r->skip_exact = false;
			break;
		}
		if (r->skip_escape) {
			r->skip_escape = false;
			r->key_long = true;
		} else if (c == '"') {
			r->skip_string = false;
			r->skip_key_ready = r->skip_key;
			r->skip_key = false;
			i++;
			break;
		} else if (c == '\\')
			r->skip_escape = true;
		else
			key_byte(r, c);
		i++;
	}
	r->offset += i;		/* no line end among them */
	if (i > 0)
		r->after_cr = false;
	return i;
}

static bool
plain(unsigned char c)
{
	switch (c) {
	case '"': case '{': case '}': case '[': case ']': case ',': case ':':
	case '\r': case '\n':
		return false;
	}
	return true;
}

/* Bytes that mean nothing to the scanner outside strings, once the line
 * has begun. */
static size_t
skip_plain(struct reader *r, const unsigned char *p, size_t n)
{
	size_t i = 0;
	bool blank = true;

	while (i < n && plain(p[i])) {
		if (p[i] != ' ' && p[i] != '\t')
			blank = false;
		i++;
	}
	if (i > 0) {
		r->offset += i;
		r->after_cr = false;
		if (!blank)
			r->skip_key_ready = r->skip_after_colon = false;
	}
	return i;
}

/*
 * Consumes what is left of the broken value; returns how many bytes, with
 * r->lexer no longer LEX_RESYNC once parsing can go on (a '{' that starts
 * the next value is left for the parser).
 */
size_t
reader_resync(struct reader *r, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && r->lexer == LEX_RESYNC) {
		unsigned char c = p[i];
		bool leading = r->at_line_start;

		if (r->skip_string) {
			i += skip_string(r, p + i, n - i);
			continue;
		}
		if (!leading) {
			size_t run = skip_plain(r, p + i, n - i);

			if (run > 0) {
				i += run;
				continue;
			}
		}
		switch (c) {
		case ' ': case '\t': case '\n': case '\r':
			reader_advance(r, c);
			i++;
			continue;
		case '"':
			r->skip_string = true;
			r->skip_key = in_top_members(r);
			r->key_length = 0;
			r->key_long = false;
			break;
		case '{':
			if (leading && r->in_items && starts_next(r, 3) &&
			    r->limits.max_depth > 2) {
				r->skip_depth = 2;
				resume(r, 2, EXPECT_VALUE);
				return i;
			}
			if (leading && starts_next(r, 1) &&
			    r->limits.max_depth > 0) {
				r->skip_depth = 0;
				resume(r, 0, EXPECT_VALUE);
				return i;
			}
			/* Not a member's value ("key": {) in the items. */
			if ((r->skip_depth == 0 && r->limits.max_depth > 0) ||
			    (in_items(r) && r->limits.max_depth > 2 &&
			    !r->skip_after_colon)) {
				resume(r, (unsigned)r->skip_depth,
				    EXPECT_VALUE);
				return i;
			}
			/* FALLTHROUGH */
		case '[':
			open_container(r, c, leading);
			break;
		case '}':
		case ']':
			close_container(r, c, leading);
			break;
		case ',':
			/* Not between an object's members, in the items of a
			 * List whose item lost its '{'. */
			if ((in_items(r) && !r->skip_colon) ||
			    in_top_members(r)) {
				reader_advance(r, c);
				resume(r, (unsigned)r->skip_depth,
				    in_items(r) ? EXPECT_VALUE : EXPECT_KEY);
				return i + 1;
			}
			break;
		case ':':
			if (r->skip_key_ready && in_top_members(r)) {
				r->stack[1].key = (unsigned char)
				    reader_key_lookup(r->key, r->key_length,
				    r->key_long);
				reader_advance(r, c);
				resume(r, 1, EXPECT_VALUE);
				return i + 1;
			}
			if (in_items(r))
				r->skip_colon = true;
			break;
		}
		r->skip_key_ready = false;
		r->skip_after_colon = c == ':';
		reader_advance(r, c);
		i++;
	}
	return i;
}
