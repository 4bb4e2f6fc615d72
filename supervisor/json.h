/*
 * JSON string helpers shared by the reader (decoding the identity fields)
 * and the writer (output that is valid JSON whatever bytes it is given).
 */
#ifndef LUAWARD_SUPERVISOR_JSON_H
#define LUAWARD_SUPERVISOR_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../ipc/buffer.h"

/* Appends s as a quoted JSON string.  Valid UTF-8 is kept, control bytes
 * are escaped, and every byte that is not part of valid UTF-8 becomes
 * U+FFFD.  Returns -1 when memory runs out. */
int	 json_append_string(struct buffer *, const char *s, size_t length);

/* The same into out, which has room for JSON_STRING_ROOM(length) bytes
 * (every byte may become the six of \ufffd, and the quotes); returns the
 * bytes written.  For callers that reserve once for several strings. */
#define JSON_STRING_ROOM(length)	(6 * (length) + 2)
#define JSON_STRING_MAX_INPUT		((SIZE_MAX - 2) / 6)
size_t	 json_put_string(char *out, const char *s, size_t length);

/* Appends the decoded value of a JSON string body (without quotes) that the
 * reader has already validated.  Lone surrogates become U+FFFD. */
int	 json_append_unescaped(struct buffer *, const char *body,
	     size_t length);

/* The value of a hex digit, or -1. */
int	 json_hex_value(unsigned char);

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if none. */
size_t	 utf8_sequence_length(const unsigned char *s, size_t available);

#endif
