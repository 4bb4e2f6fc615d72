/*
 * make bench's client for luaward serve: on one connection, N one-record
 * queries one after another (each QUERY_BEGIN, one QUERY_DATA, QUERY_END,
 * then its output and QUERY_DONE), each timed from its first byte sent to
 * its QUERY_DONE.  Records are the lines of FILE, in turn.
 *
 *	roundtrip SOCKET FILE N
 *
 * Prints "p50 p99 max" in microseconds on stdout; any refusal, error or
 * unexpected message ends it with status 1 and says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../supervisor/commands/client.h"

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *format, ...)
{
	va_list ap;

	fputs("roundtrip: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct client c;
	struct control_message m;
	char **lines = NULL, *line = NULL;
	size_t count = 0, capacity = 0, n, size = 0;
	double *took;
	ssize_t got;
	FILE *f;

	if (argc != 4 || (n = strtoul(argv[3], NULL, 10)) == 0)
		die("usage: roundtrip SOCKET FILE N");
	if ((f = fopen(argv[2], "r")) == NULL)
		die("%s: %s", argv[2], strerror(errno));
	while ((got = getline(&line, &size, f)) > 0) {
		if (count == capacity) {
			char **more = reallocarray(lines, capacity * 2 + 64,
			    sizeof(*lines));

			if (more == NULL)
				die("out of memory");
			lines = more;
			capacity = capacity * 2 + 64;
		}
		if ((lines[count++] = strndup(line, (size_t)got)) == NULL)
			die("out of memory");
	}
	fclose(f);
	if (count == 0)
		die("%s: no records", argv[2]);
	if ((took = calloc(n, sizeof(*took))) == NULL)
		die("out of memory");

	/* The client luaward's own verbs use: connect, HELLO, replies. */
	if (client_open(&c, argv[1]) != 0)
		die("%s: no daemon answered HELLO", argv[1]);

	for (size_t i = 0; i < n; i++) {
		const char *record = lines[i % count];
		size_t outputs = 0;
		double start;

		if (control_put_query_begin(&c.out, "bench") == -1 ||
		    control_put_query_data(&c.out, record, strlen(record)) ==
		    -1 || control_put_query_end(&c.out) == -1)
			die("out of memory");
		start = now_us();
		for (;;) {
			/* Sends what is queued (the query, then nothing) and
			 * reads the next reply. */
			if (client_exchange(&c, &m) != 0)
				die("query %zu: the daemon went away", i);
			if (m.type == CONTROL_QUERY_OUTPUT)
				outputs++;
			else if (m.type == CONTROL_QUERY_DONE)
				break;
			else
				die("query %zu: %s", i,
				    control_type_name(m.type));
		}
		took[i] = now_us() - start;
		if (outputs == 0 || m.u.done.records != 1)
			die("query %zu: %zu outputs for %llu records", i,
			    outputs, (unsigned long long)m.u.done.records);
	}
	qsort(took, n, sizeof(*took), by_value);
	printf("%.0f %.0f %.0f\n", took[n / 2], took[(n * 99) / 100],
	    took[n - 1]);
	client_close(&c);
	for (size_t i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
	free(line);
	free(took);
	return 0;
}
