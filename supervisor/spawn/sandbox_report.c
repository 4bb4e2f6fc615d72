#include <stdio.h>
#include <string.h>

#include "../output/sanitize.h"
#include "sandbox_report.h"

static void
add_layer(struct sandbox_report *r, const char *name, size_t name_length,
    bool applied, const char *detail, size_t detail_length)
{
	struct sandbox_layer *l;

	if (r->layer_count == sizeof(r->layers) / sizeof(r->layers[0]))
		return;
	l = &r->layers[r->layer_count++];
	snprintf(l->name, sizeof(l->name), "%.*s", (int)name_length, name);
	l->applied = applied;
	snprintf(l->detail, sizeof(l->detail), "%.*s", (int)detail_length,
	    detail);
}

void
sandbox_report_set(struct sandbox_report *r, const struct spawned *spawned,
    const struct wire_message *ready)
{
	size_t used = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < spawned->layer_count; i++)
		add_layer(r, spawned->layers[i].name,
		    strlen(spawned->layers[i].name), spawned->layers[i].applied,
		    spawned->layers[i].detail,
		    strlen(spawned->layers[i].detail));
	for (size_t i = 0; i < ready->u.ready.layer_count; i++) {
		const struct wire_layer *l = &ready->u.ready.layers[i];

		add_layer(r, l->name.bytes, l->name.length,
		    wire_string_is(l->state, "applied"), l->detail.bytes,
		    l->detail.length);
	}
	for (size_t i = 0; i < ready->u.ready.touched_count; i++) {
		const struct wire_string *name = &ready->u.ready.touched[i];
		int n = snprintf(r->touched + used, sizeof(r->touched) - used,
		    "%s%.*s", used > 0 ? ", " : "", (int)name->length,
		    name->bytes);

		if (n < 0 || (size_t)n >= sizeof(r->touched) - used) {
			r->touched[used] = '\0';	/* no half name */
			break;
		}
		used += (size_t)n;
	}
	worker_seen_read(spawned->pid, &r->seen);
}

const struct sandbox_layer *
sandbox_report_find(const struct sandbox_report *r, const char *name)
{
	for (size_t i = 0; i < r->layer_count; i++)
		if (strcmp(r->layers[i].name, name) == 0)
			return &r->layers[i];
	return NULL;
}

/* The worker named its layers and functions: they are cleaned (sanitize.h)
 * so that each stays on its own line, whoever prints it. */
void
sandbox_report_describe(const struct sandbox_report *r, struct buffer *out)
{
	char line[1024], name[SANITIZE_GROWTH * sizeof(r->layers[0].name)],
	    detail[SANITIZE_GROWTH * sizeof(r->layers[0].detail)];
	int n;

	for (size_t i = 0; i < r->layer_count; i++) {
		sanitize(name, sizeof(name), r->layers[i].name,
		    strlen(r->layers[i].name));
		sanitize(detail, sizeof(detail), r->layers[i].detail,
		    strlen(r->layers[i].detail));
		n = snprintf(line, sizeof(line), "  %-13s %-8s %s\n", name,
		    r->layers[i].applied ? "applied" : "skipped", detail);
		if (n < 0)
			continue;
		if ((size_t)n >= sizeof(line)) {	/* cut, still a line */
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		(void)buffer_append(out, line, (size_t)n);
	}
	worker_seen_describe(&r->seen, line, sizeof(line));
	(void)buffer_append(out, "  seen in /proc: ", 17);
	(void)buffer_append(out, line, strlen(line));
	(void)buffer_append(out, "\n", 1);
	/* One line per name, each whole, however long the list. */
	for (const char *touched = r->touched; *touched != '\0';) {
		size_t length = strcspn(touched, ",");

		(void)buffer_append(out, "  touched at load: ", 19);
		(void)sanitize_append(out, touched, length);
		(void)buffer_append(out, "\n", 1);
		touched += length;
		touched += strspn(touched, ", ");
	}
}
