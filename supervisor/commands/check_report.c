#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_report.h"
#include "../closed_pipe.h"
#include "../json.h"
#include "../log.h"
#include "../output/sanitize.h"

void
check_report_text(FILE *out, const struct checked *c)
{
	sanitize_print(out, "%s:", c->path);
	if (c->compiles != CHECK_UNKNOWN)
		sanitize_print(out, "  compiles: %s", c->compiles == CHECK_YES ?
		    "yes" : "no");
	if (c->compiles == CHECK_YES)
		sanitize_print(out, "  defines GetWorkloadTypeAndName: %s",
		    c->defines == CHECK_YES ? "yes" : c->defines == CHECK_NO ?
		    "no" : "unknown (the top level failed)");
	if (c->loaded) {
		sanitize_print(out, "  touched at load: %s",
		    c->touched[0] != '\0' ? c->touched : "none");
		sanitize_print(out, "  result: ok");
	} else
		sanitize_print(out, "  result: FAILED: %s", c->error);
}

struct check_json {
	FILE		*out;
	struct buffer	 opening;	/* written with the first result */
	bool		 opened, line_start, pods;
	size_t		 lines;
	int		 error;		/* errno of a write that failed */
};

static void
put(struct buffer *b, const char *bytes, size_t length)
{
	if (buffer_append(b, bytes, length) == -1) {
		log_warnx("out of memory");
		exit(EXIT_SOME_FAILED);
	}
}

static void
put_text(struct buffer *b, const char *text)
{
	put(b, text, strlen(text));
}

static void
put_string(struct buffer *b, const char *text)
{
	if (text == NULL)
		put_text(b, "null");
	else if (json_append_string(b, text, strlen(text)) == -1) {
		log_warnx("out of memory");
		exit(EXIT_SOME_FAILED);
	}
}

static void
put_answer(struct buffer *b, enum check_answer answer)
{
	put_text(b, answer == CHECK_YES ? "true" : answer == CHECK_NO ?
	    "false" : "null");
}

/* The touched functions as an array; "a, b" in the worker's report. */
static void
put_touched(struct buffer *b, const struct checked *c)
{
	const char *name = c->touched;

	if (!c->loaded) {
		put_text(b, "null");
		return;
	}
	put_text(b, "[");
	while (*name != '\0') {
		const char *end = strstr(name, ", ");
		size_t length = end != NULL ? (size_t)(end - name) :
		    strlen(name);

		if (name != c->touched)
			put_text(b, ",");
		if (json_append_string(b, name, length) == -1) {
			log_warnx("out of memory");
			exit(EXIT_SOME_FAILED);
		}
		name += length;
		if (*name != '\0')
			name += 2;
	}
	put_text(b, "]");
}

/* Writes to the report's stream; a reader that went away ends the
 * process, any other failure is kept for the end. */
static void
emit(struct check_json *j, const char *bytes, size_t length)
{
	if (j->error != 0 || length == 0)
		return;
	if (fwrite(bytes, 1, length, j->out) != length) {
		if (closed_pipe(errno))
			closed_pipe_exit();
		j->error = errno != 0 ? errno : EIO;
	}
}

static void
open_once(struct check_json *j)
{
	if (j->opened)
		return;
	j->opened = true;
	emit(j, buffer_bytes(&j->opening), buffer_length(&j->opening));
	buffer_free(&j->opening);
}

struct check_json *
check_json_begin(FILE *out, const struct checked *plugins, size_t count,
    const char *pods)
{
	struct check_json *j = xcalloc(1, sizeof(*j));
	struct buffer *b = &j->opening;

	j->out = out;
	j->pods = pods != NULL;
	j->line_start = true;
	put_text(b, "{\"plugins\":[");
	for (size_t i = 0; i < count; i++) {
		const struct checked *c = &plugins[i];

		put_text(b, i > 0 ? ",{\"path\":" : "{\"path\":");
		put_string(b, c->path);
		put_text(b, ",\"name\":");
		put_string(b, c->source.name);
		put_text(b, c->loaded ? ",\"loaded\":true" :
		    ",\"loaded\":false");
		put_text(b, ",\"compiles\":");
		put_answer(b, c->compiles);
		put_text(b, ",\"definesEntryPoint\":");
		put_answer(b, c->defines);
		put_text(b, ",\"touched\":");
		put_touched(b, c);
		put_text(b, ",\"error\":");
		put_string(b, c->loaded ? NULL : c->error);
		put_text(b, "}");
	}
	put_text(b, "],\"pods\":");
	put_string(b, pods);
	put_text(b, pods != NULL ? ",\"results\":[" : ",\"results\":null");
	return j;
}

size_t
check_json_result(void *arg, const char *bytes, size_t length)
{
	struct check_json *j = arg;
	size_t taken = length;

	open_once(j);
	/* Lines become array elements: a comma before each but the first,
	 * the newline after each dropped. */
	while (length > 0) {
		const char *newline = memchr(bytes, '\n', length);
		size_t n = newline != NULL ? (size_t)(newline - bytes) : length;

		if (j->line_start) {
			if (j->lines++ > 0)
				emit(j, ",", 1);
			j->line_start = false;
		}
		emit(j, bytes, n);
		if (newline != NULL) {
			j->line_start = true;
			n++;
		}
		bytes += n;
		length -= n;
	}
	return taken;
}

int
check_json_end(struct check_json *j, bool ok)
{
	const char *end = ok ? ",\"ok\":true}\n" : ",\"ok\":false}\n";
	int error;

	open_once(j);
	if (j->pods)
		emit(j, "]", 1);
	emit(j, end, strlen(end));
	if (j->error == 0 && closed_pipe_flush(j->out) == -1)
		j->error = errno;
	error = j->error;
	buffer_free(&j->opening);
	free(j);
	if (error != 0) {
		errno = error;
		return -1;
	}
	return 0;
}
