/*
 * Writes the fuzz targets' seed corpora (tests/fuzz/corpus/, `make
 * fuzz-seeds`) with the project's own encoders, so that the seeds are what
 * the two binaries really send each other; the policy seeds are the
 * project's policy files, in fuzz_policy.c's layout.
 *
 * Usage: fuzz-seeds DIR (run from the top of the tree).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../ipc/wire.h"

static const char *root;

static void
die(const char *format, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *format, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz-seeds: ");
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void
put(int r)
{
	if (r == -1)
		die("an encoder failed");
}

static void
make_dir(const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		die("%s: %s", path, strerror(errno));
}

/* Writes DIR/target/name: the byte that picks the reads, then bytes. */
static void
write_seed(const char *target, const char *name, unsigned char reads,
    const void *bytes, size_t length)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	if ((f = fopen(path, "wb")) == NULL)
		die("%s: %s", path, strerror(errno));
	if ((reads != 0xff && fputc(reads, f) == EOF) ||
	    fwrite(bytes, 1, length, f) != length || fclose(f) == EOF)
		die("%s: cannot write", path);
}

static void
write_buffer(const char *target, const char *name, unsigned char reads,
    struct buffer *b)
{
	write_seed(target, name, reads, buffer_bytes(b), buffer_length(b));
	buffer_clear(b);
}

static char *
read_file(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) == -1 || (size = ftell(f)) < 0)
		die("%s: %s", path, strerror(errno));
	rewind(f);
	if ((text = malloc((size_t)size + 1)) == NULL ||
	    fread(text, 1, (size_t)size, f) != (size_t)size)
		die("%s: cannot read", path);
	fclose(f);
	*length = (size_t)size;
	return text;
}

/* A worker's start: HELLO, then READY with the layers it names. */
static void
worker_start(struct buffer *b)
{
	static const struct wire_layer layers[] = {
		{ { "no_new_privs", 12 }, { "applied", 7 }, { "", 0 } },
		{ { "landlock", 8 }, { "skipped", 7 },
		    { "not supported by this kernel", 28 } },
		{ { "seccomp", 7 }, { "applied", 7 },
		    { "11 rules, 48 instructions", 25 } },
	};
	static const struct wire_string touched[] = {
		{ "io.open", 7 }, { "os.execute", 10 },
	};

	put(wire_put_hello(b, 4242));
	put(wire_put_sealed(b));
	put(wire_put_ready(b, layers, 3, touched, 2));
}

static void
worker_messages(void)
{
	static const char *const t = "worker_messages";
	static const char message[] = "plugin.lua:3: attempt to index a nil "
	    "value (global 'meta')";
	static const char hostile[] = "x\n\"\x1b[31m\xff";
	static const char controls[] = "line\twith\x01" "controls\x7f";
	struct buffer b = { 0 };

	make_dir(t);
	/* A worker that answers through the chain, logs and fails. */
	worker_start(&b);
	put(wire_put_log(&b, "starting", 8, 0));
	put(wire_put_reply(&b, 1, "", 0, "", 0, 12));
	put(wire_put_reply(&b, 2, "statefulset", 11, "ogtest", 6, 40));
	put(wire_put_error(&b, 3, "error", message, sizeof(message) - 1, 7));
	put(wire_put_error(&b, 4, "timeout", "timeout", 7, 100000));
	put(wire_put_error(&b, 5, "memory", "not enough memory", 17, 900));
	put(wire_put_reply(&b, 6, "CustomKind", 10, hostile,
	    sizeof(hostile) - 1, 1));
	put(wire_put_error(&b, 7, "bad-return", "returned a table", 16, 3));
	write_buffer(t, "session", 0, &b);
	/* The same in reads of every size. */
	worker_start(&b);
	put(wire_put_reply(&b, 1, "Deployment", 10, "web", 3, 20));
	put(wire_put_log(&b, controls, sizeof(controls) - 1, 3));
	put(wire_put_reply(&b, 2, "DaemonSet", 9, "agent", 5, 20));
	write_buffer(t, "session-in-pieces", 1, &b);
	/* A plugin that does not load. */
	put(wire_put_hello(&b, 7));
	put(wire_put_sealed(&b));
	put(wire_put_error(&b, 0, "load", WIRE_LOAD_COMPILE_FAILED ": '='",
	    sizeof(WIRE_LOAD_COMPILE_FAILED ": '='") - 1, 0));
	write_buffer(t, "load-failed", 2, &b);
	/* A call stopped by the seccomp policy. */
	worker_start(&b);
	put(wire_put_violation(&b, 59, 0xc000003e, 1));
	write_buffer(t, "violation", 3, &b);
	put(wire_put_violation(&b, -1, 0x40000003, 0));
	write_buffer(t, "violation-unknown", 4, &b);
	/* A selftest worker and its probe (byte 0's top bit). */
	worker_start(&b);
	put(wire_put_probe(&b, "read-environ", "blocked", 13,
	    "open: Permission denied"));
	write_buffer(t, "probe", 0x80, &b);
	/* Out of order: a reply before READY. */
	put(wire_put_hello(&b, 1));
	put(wire_put_reply(&b, 1, "Deployment", 10, "web", 3, 20));
	write_buffer(t, "reply-too-early", 0, &b);
	buffer_free(&b);
}

static void
supervisor_messages(void)
{
	static const char *const t = "supervisor_messages";
	static const char plugin[] = "function GetWorkloadTypeAndName(s)\n"
	    "\treturn \"Deployment\", \"web\"\nend\n";
	static const char metadata[] = "{\"name\":\"ogtest-0\",\"namespace\":"
	    "\"db\",\"uid\":\"u-1\",\"ownerReferences\":[{\"kind\":"
	    "\"StatefulSet\",\"name\":\"ogtest\"}]}";
	static const unsigned char filter[16] = {
		0x20, 0, 0, 0, 4, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f,
	};
	struct wire_load load;
	struct buffer b = { 0 };

	make_dir(t);
	memset(&load, 0, sizeof(load));
	load.plugin = (struct wire_string){ "10-opengauss", 12 };
	load.source = (struct wire_string){ plugin, sizeof(plugin) - 1 };
	load.modules[0] = (struct wire_module){ { "dkjson", 6 },
	    { "return {}", 9 } };
	load.module_count = 1;
	load.call_timeout_ms = 100;
	load.load_timeout_ms = 1000;
	load.memory_bytes = 64u << 20;
	load.log_lines_per_second = 20;
	load.log_burst = 200;
	load.landlock = WIRE_MODE_AUTO;
	load.seccomp_filter = (struct wire_string){ (const char *)filter,
	    sizeof(filter) };
	put(wire_put_load(&b, &load));
	put(wire_put_request(&b, 1, metadata, sizeof(metadata) - 1));
	put(wire_put_request(&b, 2, "{}", 2));
	put(wire_put_request(&b, UINT64_MAX, "{\"name\":\"\\u00e9\"}", 17));
	write_buffer(t, "session", 0, &b);
	put(wire_put_load(&b, &load));
	put(wire_put_request(&b, 1, metadata, sizeof(metadata) - 1));
	write_buffer(t, "session-in-pieces", 5, &b);
	/* selftest's LOAD: a probe instead of a plugin. */
	load.probe = (struct wire_string){ "read-environ", 12 };
	load.source = (struct wire_string){ "", 0 };
	load.landlock = WIRE_MODE_REQUIRE;
	put(wire_put_load(&b, &load));
	write_buffer(t, "probe", 0, &b);
	/* Out of order: a request first. */
	put(wire_put_request(&b, 1, "{}", 2));
	write_buffer(t, "request-first", 0, &b);
	buffer_free(&b);
}

static void
policies(void)
{
	static const char *const t = "policy";
	static const char separator[] = "\n%%\n";
	struct buffer b = { 0 };
	char *worker, *sanitizer;
	size_t worker_length, sanitizer_length;

	make_dir(t);
	worker = read_file("policies/worker.policy", &worker_length);
	sanitizer = read_file("policies/sanitizer.policy", &sanitizer_length);
	write_seed(t, "worker", 0xff, worker, worker_length);
	/* sanitizer.policy includes worker.policy: the second file. */
	put(buffer_append(&b, sanitizer, sanitizer_length));
	put(buffer_append(&b, separator, sizeof(separator) - 1));
	put(buffer_append(&b, worker, worker_length));
	write_buffer(t, "sanitizer", 0xff, &b);
	free(worker);
	free(sanitizer);
	buffer_free(&b);
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: fuzz-seeds DIR");
	root = argv[1];
	worker_messages();
	supervisor_messages();
	policies();
	return 0;
}
