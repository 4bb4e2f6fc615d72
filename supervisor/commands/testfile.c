#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/job.h"
#include "../input/json_tree.h"
#include "../log.h"
#include "../output/result.h"
#include "testfile.h"

static const char *const field_keys[TEST_FIELD_COUNT] = {
	[TEST_WORKLOAD_TYPE] = "workloadType",
	[TEST_WORKLOAD_NAME] = "workloadName",
	[TEST_STATUS] = "status",
	[TEST_PLUGIN] = "plugin",
};

/* The keys of each object, in the order messages list them. */
enum { CASE_NAME, CASE_POD, CASE_METADATA, CASE_EXPECT, CASE_KEYS };
static const char *const case_keys[] = {
	"name", "pod", "metadata", "expect", NULL,
};
static const char *const expect_keys[] = {
	"workloadType", "workloadName", "status", "plugin", "errors", NULL,
};
#define EXPECT_ERRORS	TEST_FIELD_COUNT
enum { ERROR_PLUGIN, ERROR_KIND, ERROR_MESSAGE, ERROR_KEYS };
static const char *const error_keys[] = {
	"plugin", "kind", "message", NULL,
};

static const enum job_status statuses[] = {
	STATUS_RESOLVED, STATUS_UNRESOLVED, STATUS_UNSUPPORTED, STATUS_INVALID,
};
#define STATUS_COUNT	(sizeof(statuses) / sizeof(statuses[0]))

/* One line being read. */
struct line {
	const char	*path;
	unsigned	 number;
	struct json_tree tree;
	char		*error;
	size_t		 error_size;
};

const char *
test_field_key(enum test_field field)
{
	return field < TEST_FIELD_COUNT ? field_keys[field] : "";
}

static int
bad(struct line *l, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct line *l, const char *format, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	snprintf(l->error, l->error_size, "%s:%u: %s", l->path, l->number,
	    message);
	return -1;
}

/* A key or value of the file, decoded and cut for a message. */
static const char *
shown(const struct line *l, uint32_t string, char *out, size_t size)
{
	size_t n = json_tree_string_decode(&l->tree, string, out, size - 1);

	if (n > size - 1) {
		n = size - 1;
		if (size > 4)
			memcpy(out + size - 4, "...", 3);
	}
	out[n] = '\0';
	return out;
}

static void
list_of(char *out, size_t size, const char *const *names, size_t count)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < count && at < size; i++)
		at += (size_t)snprintf(out + at, size - at, "%s%s",
		    i > 0 ? ", " : "", names[i]);
}

/*
 * Finds each member of object among keys (NULL-terminated): found[i] is
 * the value of keys[i], or JSON_TREE_NONE.  An unknown or repeated key is
 * an error naming it and what holds it.
 */
static int
members(struct line *l, uint32_t object, const char *holder,
    const char *const *keys, uint32_t *found)
{
	size_t count = 0;

	while (keys[count] != NULL)
		found[count++] = JSON_TREE_NONE;
	for (uint32_t k = json_tree_first(&l->tree, object);
	    k != JSON_TREE_NONE; k = json_tree_after(&l->tree, object, k)) {
		char key[64], known[256];
		size_t i;

		for (i = 0; i < count; i++)
			if (json_tree_string_is(&l->tree, k, keys[i],
			    strlen(keys[i])))
				break;
		if (i < count && found[i] != JSON_TREE_NONE)
			return bad(l, "key \"%s\" given twice in %s", keys[i],
			    holder);
		if (i < count) {
			found[i] = k + 1;
			continue;
		}
		list_of(known, sizeof(known), keys, count);
		return bad(l, "unknown key \"%s\" in %s (known: %s)",
		    shown(l, k, key, sizeof(key)), holder, known);
	}
	return 0;
}

static const char *
type_name(uint8_t type)
{
	static const char *const names[] = {
		[JT_NULL] = "null", [JT_FALSE] = "false", [JT_TRUE] = "true",
		[JT_NUMBER] = "a number", [JT_STRING] = "a string",
		[JT_ARRAY] = "an array", [JT_OBJECT] = "an object",
	};

	return type <= JT_OBJECT ? names[type] : "?";
}

static int
need_type(struct line *l, uint32_t node, uint8_t type, const char *what)
{
	if (l->tree.nodes[node].type == type)
		return 0;
	return bad(l, "%s must be %s, not %s", what, type_name(type),
	    type_name(l->tree.nodes[node].type));
}

static int
text(struct line *l, uint32_t node, const char *what, struct test_text *out)
{
	size_t length;

	if (need_type(l, node, JT_STRING, what) == -1)
		return -1;
	length = json_tree_string_decode(&l->tree, node, NULL, 0);
	out->bytes = xmalloc(length + 1);
	json_tree_string_decode(&l->tree, node, out->bytes, length);
	out->bytes[length] = '\0';
	out->length = length;
	return 0;
}

static void
text_free(struct test_text *t)
{
	free(t->bytes);
	t->bytes = NULL;
}

static int
status_known(struct line *l, const struct test_text *status)
{
	const char *names[STATUS_COUNT];
	char known[128];

	for (size_t i = 0; i < STATUS_COUNT; i++) {
		names[i] = job_status_name(statuses[i]);
		if (strlen(names[i]) == status->length &&
		    memcmp(names[i], status->bytes, status->length) == 0)
			return 0;
	}
	list_of(known, sizeof(known), names, STATUS_COUNT);
	return bad(l, "expect: unknown status \"%.64s\" (known: %s)",
	    status->bytes, known);
}

static int
kind_known(struct line *l, const struct test_text *kind, const char *what)
{
	const char *names[ERROR_KIND_COUNT];
	char known[160];

	if (error_kind_parse(kind->bytes, kind->length) != -1)
		return 0;
	for (int k = 0; k < ERROR_KIND_COUNT; k++)
		names[k] = error_kind_name((enum error_kind)k);
	list_of(known, sizeof(known), names, ERROR_KIND_COUNT);
	return bad(l, "%s: unknown error kind \"%.64s\" (known: %s)", what,
	    kind->bytes, known);
}

static int
parse_errors(struct line *l, uint32_t array, struct test_case *c)
{
	size_t n = 0;

	if (need_type(l, array, JT_ARRAY, "expect: errors") == -1)
		return -1;
	for (uint32_t e = json_tree_first(&l->tree, array); e != JSON_TREE_NONE;
	    e = json_tree_after(&l->tree, array, e))
		n++;
	c->errors = xcalloc(n + 1, sizeof(*c->errors));
	for (uint32_t e = json_tree_first(&l->tree, array); e != JSON_TREE_NONE;
	    e = json_tree_after(&l->tree, array, e)) {
		struct test_error *te = &c->errors[c->error_count];
		struct test_text *fields[ERROR_KEYS] = {
			[ERROR_PLUGIN] = &te->plugin, [ERROR_KIND] = &te->kind,
			[ERROR_MESSAGE] = &te->message,
		};
		uint32_t found[ERROR_KEYS];
		char what[48], field[80];

		snprintf(what, sizeof(what), "expect: errors[%zu]",
		    c->error_count++);
		if (need_type(l, e, JT_OBJECT, what) == -1 ||
		    members(l, e, what, error_keys, found) == -1)
			return -1;
		if (found[ERROR_PLUGIN] == JSON_TREE_NONE ||
		    found[ERROR_KIND] == JSON_TREE_NONE)
			return bad(l, "%s needs a plugin and a kind", what);
		for (int k = 0; k < ERROR_KEYS; k++) {
			snprintf(field, sizeof(field), "%s: %s", what,
			    error_keys[k]);
			if (found[k] != JSON_TREE_NONE &&
			    text(l, found[k], field, fields[k]) == -1)
				return -1;
		}
		if (kind_known(l, &te->kind, what) == -1)
			return -1;
	}
	return 0;
}

static int
parse_expect(struct line *l, uint32_t expect, struct test_case *c)
{
	uint32_t found[TEST_FIELD_COUNT + 1];
	bool any = false;

	if (need_type(l, expect, JT_OBJECT, "expect") == -1 ||
	    members(l, expect, "expect", expect_keys, found) == -1)
		return -1;
	for (int f = 0; f < TEST_FIELD_COUNT; f++) {
		char what[32];

		if (found[f] == JSON_TREE_NONE)
			continue;
		any = true;
		snprintf(what, sizeof(what), "expect: %s", field_keys[f]);
		if (text(l, found[f], what, &c->expect[f]) == -1)
			return -1;
	}
	if (c->expect[TEST_STATUS].bytes != NULL &&
	    status_known(l, &c->expect[TEST_STATUS]) == -1)
		return -1;
	if (found[EXPECT_ERRORS] != JSON_TREE_NONE) {
		any = true;
		if (parse_errors(l, found[EXPECT_ERRORS], c) == -1)
			return -1;
	}
	if (!any)
		return bad(l, "expect names nothing to check (\"errors\": [] "
		    "expects only that no plugin fails)");
	return 0;
}

/* The record: the metadata object's own text as a Pod's. */
static void
make_record(struct line *l, uint32_t metadata, struct test_case *c)
{
	static const char head[] = "{\"metadata\":", tail[] = "}\n";
	const struct json_tree_node *n = &l->tree.nodes[metadata];
	size_t length = n->end - n->start;
	char *at;

	c->record_length = strlen(head) + length + strlen(tail);
	at = c->record = xmalloc(c->record_length + 1);
	memcpy(at, head, strlen(head));
	at += strlen(head);
	memcpy(at, l->tree.text + n->start, length);
	at += length;
	memcpy(at, tail, strlen(tail) + 1);
}

static int
parse_case(struct line *l, struct test_case *c)
{
	uint32_t found[CASE_KEYS], metadata;
	struct test_text name = { 0 };

	if (l->tree.nodes[0].type != JT_OBJECT)
		return bad(l, "a case must be a JSON object, not %s",
		    type_name(l->tree.nodes[0].type));
	if (members(l, 0, "the case", case_keys, found) == -1)
		return -1;
	if (found[CASE_NAME] != JSON_TREE_NONE) {
		if (text(l, found[CASE_NAME], "name", &name) == -1)
			return -1;
		if (memchr(name.bytes, '\0', name.length) != NULL) {
			text_free(&name);
			return bad(l, "name holds a NUL character");
		}
		c->name = name.bytes;
	}
	if (found[CASE_POD] != JSON_TREE_NONE &&
	    found[CASE_METADATA] != JSON_TREE_NONE)
		return bad(l, "a case gives a pod or metadata, not both");
	if (found[CASE_POD] != JSON_TREE_NONE) {
		if (need_type(l, found[CASE_POD], JT_OBJECT, "pod") == -1)
			return -1;
		metadata = json_tree_member(&l->tree, found[CASE_POD],
		    "metadata");
		if (metadata == JSON_TREE_NONE ||
		    l->tree.nodes[metadata].type != JT_OBJECT)
			return bad(l, "pod has no metadata object");
	} else if ((metadata = found[CASE_METADATA]) != JSON_TREE_NONE) {
		if (need_type(l, metadata, JT_OBJECT, "metadata") == -1)
			return -1;
	} else
		return bad(l, "a case needs a pod or metadata");
	if (found[CASE_EXPECT] == JSON_TREE_NONE)
		return bad(l, "a case needs expect");
	if (parse_expect(l, found[CASE_EXPECT], c) == -1)
		return -1;
	make_record(l, metadata, c);
	return 0;
}

static void
case_free(struct test_case *c)
{
	free(c->name);
	free(c->where);
	free(c->record);
	for (int f = 0; f < TEST_FIELD_COUNT; f++)
		text_free(&c->expect[f]);
	for (size_t i = 0; i < c->error_count; i++) {
		text_free(&c->errors[i].plugin);
		text_free(&c->errors[i].kind);
		text_free(&c->errors[i].message);
	}
	free(c->errors);
	memset(c, 0, sizeof(*c));
}

/* Blank, or a comment. */
static bool
skipped(const char *line, size_t length)
{
	size_t i = 0;

	while (i < length && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i == length || line[i] == '#';
}

static int
parse_line(struct test_list *list, struct line *l, const char *text,
    size_t length)
{
	struct test_case *c;
	char message[256];
	int status;

	if (json_tree_parse(&l->tree, text, length, message,
	    sizeof(message)) == -1)
		return bad(l, "not valid JSON: %s", message);
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? 2 * list->capacity : 16;
		list->cases = xrealloc(list->cases, list->capacity *
		    sizeof(*list->cases));
	}
	c = &list->cases[list->count];
	memset(c, 0, sizeof(*c));
	if ((status = parse_case(l, c)) == -1)
		case_free(c);
	else {
		if (asprintf(&c->where, "%s:%u", l->path, l->number) == -1)
			fatalx("out of memory");
		if (c->name == NULL)
			c->name = xstrdup(c->where);
		list->count++;
	}
	json_tree_free(&l->tree);
	return status;
}

int
testfile_parse(struct test_list *list, const char *path, const char *text,
    size_t length, char *error, size_t error_size)
{
	struct line l;
	size_t at = 0, first = list->count;

	memset(&l, 0, sizeof(l));
	l.path = path;
	l.error = error;
	l.error_size = error_size;
	/* A byte-order mark, as some editors write. */
	if (length >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		at = 3;
	while (at < length) {
		const char *line = text + at;
		const char *newline = memchr(line, '\n', length - at);
		size_t n = newline != NULL ? (size_t)(newline - line) :
		    length - at;

		at += n + (newline != NULL);
		l.number++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (skipped(line, n))
			continue;
		if (parse_line(list, &l, line, n) == -1)
			goto failed;
	}
	if (list->count > first)
		return 0;
	snprintf(error, error_size, "%s: no test cases (each case is one "
	    "JSON object on a line of its own)", path);
failed:
	while (list->count > first)
		case_free(&list->cases[--list->count]);
	return -1;
}

int
testfile_load(struct test_list *list, const char *path, char *error,
    size_t error_size)
{
	char *text = NULL;
	size_t length = 0, capacity = 0;
	int fd, status;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n;

		if (length == capacity) {
			/* One byte past the limit says the file is over. */
			if (capacity == TESTFILE_MAX_SIZE + 1)
				break;
			capacity = capacity ? 2 * capacity : 65536;
			if (capacity > TESTFILE_MAX_SIZE)
				capacity = TESTFILE_MAX_SIZE + 1;
			text = xrealloc(text, capacity);
		}
		if ((n = read(fd, text + length, capacity - length)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(error, error_size, "%s: %s", path,
			    strerror(errno));
			goto failed;
		}
		if (n == 0)
			break;
		length += (size_t)n;
	}
	if (length > TESTFILE_MAX_SIZE) {
		snprintf(error, error_size, "%s: larger than %u MiB", path,
		    TESTFILE_MAX_SIZE >> 20);
		goto failed;
	}
	close(fd);
	status = testfile_parse(list, path, text, length, error, error_size);
	free(text);
	return status;
failed:
	close(fd);
	free(text);
	return -1;
}

void
test_list_free(struct test_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		case_free(&list->cases[i]);
	free(list->cases);
	memset(list, 0, sizeof(*list));
}
