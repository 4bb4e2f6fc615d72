#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output/sanitize.h"

/*
 * Every line is cleaned whole (sanitize.h): plugin names, worker messages
 * and load errors reach it through many paths, and none of them can put a
 * control byte, an escape sequence or a line of its own on the terminal.
 */
static void
emit(const char *prefix, const char *format, va_list ap, const char *suffix)
    __attribute__((format(printf, 2, 0)));

static void
emit(const char *prefix, const char *format, va_list ap, const char *suffix)
{
	char line[SANITIZE_LINE_MAX + 2];	/* one byte more shows a cut */
	size_t n;
	int m;

	m = snprintf(line, sizeof(line), "luaward: %s", prefix);
	n = m < 0 || (size_t)m >= sizeof(line) ? 0 : (size_t)m;
	m = vsnprintf(line + n, sizeof(line) - n, format, ap);
	if (m > 0)
		n += (size_t)m < sizeof(line) - n ? (size_t)m :
		    sizeof(line) - n - 1;
	if (suffix != NULL && n < sizeof(line) - 1) {
		m = snprintf(line + n, sizeof(line) - n, ": %s", suffix);
		if (m > 0)
			n += (size_t)m < sizeof(line) - n ? (size_t)m :
			    sizeof(line) - n - 1;
	}
	sanitize_write_line(stderr, line, n);
}

void
log_info(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	emit("", format, ap, NULL);
	va_end(ap);
}

void
log_warnx(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	emit("warning: ", format, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *format, ...)
{
	const char *reason = strerror(errno);
	va_list ap;

	va_start(ap, format);
	emit("warning: ", format, ap, reason);
	va_end(ap);
}

void
fatal(const char *format, ...)
{
	const char *reason = strerror(errno);
	va_list ap;

	va_start(ap, format);
	emit("", format, ap, reason);
	va_end(ap);
	exit(EXIT_USAGE);
}

void
fatalx(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	emit("", format, ap, NULL);
	va_end(ap);
	exit(EXIT_USAGE);
}

static void
out_of_memory(size_t size)
{
	fprintf(stderr, "luaward: out of memory (%zu bytes)\n", size);
	exit(EXIT_SOME_FAILED);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(count * size);
	return p;
}

void *
xrealloc(void *old, size_t size)
{
	void *p = realloc(old, size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t length)
{
	char *p = xmalloc(length + 1);

	memcpy(p, s, length);
	p[length] = '\0';
	return p;
}

int
error_set(char *error, size_t error_size, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(error, error_size, format, ap);
	va_end(ap);
	return -1;
}
