/*
 * Text that a plugin or a worker chose, made safe to show a person: on a
 * terminal it can neither act (no escape sequence, no control byte, nothing
 * that reorders text) nor start a line of its own.  Everything luaward
 * writes to stderr goes through it (log.c cleans each whole line), and so
 * does every report it prints on stdout; JSON output has its own escaping
 * (json.c).
 *
 * Each of these becomes a visible escape, so the reader still sees what
 * was there:
 *   - C0 controls but tab, and DEL: \n, \r, or \xNN (ESC is \x1b, so no
 *     escape sequence survives);
 *   - C1 controls U+0080-U+009F, Unicode bidi controls (U+061C, U+200E,
 *     U+200F, U+202A-U+202E, U+2066-U+2069) and the line and paragraph
 *     separators U+2028, U+2029: \uNNNN;
 *   - every byte that is not part of valid UTF-8 (overlong forms,
 *     surrogates, truncated sequences, stray bytes): \xNN.
 * Valid UTF-8 otherwise stays as it is (Chinese text stays readable).  A
 * backslash is left alone: cleaning is idempotent, so text cleaned twice
 * reads as text cleaned once.
 */
#ifndef LUAWARD_SUPERVISOR_SANITIZE_H
#define LUAWARD_SUPERVISOR_SANITIZE_H

#include <stddef.h>
#include <stdio.h>

#include "../../ipc/buffer.h"

/* Cleaned text is at most this many times longer than the input. */
#define SANITIZE_GROWTH		4

/* Cleans text into out (size bytes, NUL-terminated), cut before the first
 * character or escape that does not fit whole.  Returns the length
 * written.  size >= SANITIZE_GROWTH * length + 1 never cuts. */
size_t	 sanitize(char *out, size_t size, const char *text, size_t length);

/* Appends the cleaned text to a buffer.  Returns -1 when memory runs
 * out (the buffer is left unchanged). */
int	 sanitize_append(struct buffer *, const char *text, size_t length);

/* Formats one line, cleans it whole and writes it with its newline in one
 * write.  A line is cut at SANITIZE_LINE_MAX bytes before cleaning. */
#define SANITIZE_LINE_MAX	8192
void	 sanitize_print(FILE *, const char *format, ...)
	     __attribute__((format(printf, 2, 3)));

/* Writes text (length bytes) cleaned, then a newline, in one write. */
void	 sanitize_write_line(FILE *, const char *text, size_t length);

#endif
