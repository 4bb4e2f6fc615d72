#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void
emit(const char *prefix, const char *format, va_list ap, const char *suffix)
    __attribute__((format(printf, 2, 0)));

static void
emit(const char *prefix, const char *format, va_list ap, const char *suffix)
{
	char line[8192];
	int n;

	n = snprintf(line, sizeof(line), "luaward: %s", prefix);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, format, ap);
	/* One write per line, so lines from several sources never mix. */
	if (suffix != NULL)
		fprintf(stderr, "%s: %s\n", line, suffix);
	else
		fprintf(stderr, "%s\n", line);
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
