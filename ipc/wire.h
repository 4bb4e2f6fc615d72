/*
 * The one header that describes every message between the supervisor and a
 * worker (docs/protocol.md explains it for peers in other languages).
 *
 * A frame is a 4-byte big-endian payload length L, 1 <= L <= WIRE_MAX_MESSAGE,
 * followed by L bytes holding exactly one msgpack array whose first element
 * is the message type:
 *
 *   type       direction          fields after the type
 *   HELLO      worker->supervisor  version, pid
 *   LOAD       supervisor->worker  version, settings map (see struct wire_load)
 *   READY      worker->supervisor  version, layers [[name, state, detail]...],
 *                                  touched [function name...]
 *   REQUEST    supervisor->worker  id, metadata (compact JSON text)
 *   REPLY      worker->supervisor  id, workload type, workload name,
 *                                  microseconds the call took
 *   ERROR      worker->supervisor  id (0: not about a request), kind,
 *                                  message, microseconds the call took
 *   LOG        worker->supervisor  text, lines dropped by the worker's
 *                                  rate limit since the last LOG
 *   VIOLATION  worker->supervisor  syscall number, audit architecture, id of
 *                                  the request running (0: none)
 *   PROBE      worker->supervisor  probe name, verdict ("blocked" or
 *                                  "allowed"), errno (0: none), detail
 *   SEALED     worker->supervisor  (none): every sandbox layer is in
 *                                  place; plugin code runs from now on
 *
 * Every limit below is checked by wire_decode() on receipt, in one place:
 * code that handles a decoded message never re-checks it.
 */
#ifndef LUAWARD_IPC_WIRE_H
#define LUAWARD_IPC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "buffer.h"

#define WIRE_PROTOCOL_VERSION	3
#define WIRE_HEADER_SIZE	4
#define WIRE_MAX_MESSAGE	(4u << 20)	/* payload bytes, both directions */
#define WIRE_MAX_ELEMENTS	1024		/* msgpack values in one message */
#define WIRE_MAX_DEPTH		4		/* nesting of arrays and maps */
#define WIRE_MAX_SOURCE		(1u << 20)	/* plugin or module source */
#define WIRE_MAX_METADATA	(3u << 20)	/* one record's metadata */
#define WIRE_MAX_RESULT		(64u << 10)	/* a returned type or name */
#define WIRE_MAX_TEXT		4096		/* log lines, error messages */
#define WIRE_MAX_NAME		255		/* plugin, module, layer names */
#define WIRE_MAX_PATH		4096		/* a plugin's file as shown */
#define WIRE_MAX_MODULES	8
#define WIRE_MAX_LAYERS		16
#define WIRE_MAX_TOUCHED	64
#define WIRE_MAX_FILTER		(4096 * 8)	/* BPF program bytes */

/*
 * How the message of the ERROR about a plugin that did not load begins,
 * for the phases a reader tells apart (`luaward check`): the chunk did not
 * compile, or its top level ran but left no entry point.
 */
#define WIRE_LOAD_COMPILE_FAILED	"does not compile"
#define WIRE_LOAD_NO_ENTRY_POINT	"does not define"

/*
 * Worker exit statuses the supervisor tells apart (anything else, or death by
 * a signal other than SIGSYS, is a crash).
 */
#define WIRE_EXIT_DONE		0	/* its input was closed */
#define WIRE_EXIT_PROTOCOL	65	/* the supervisor sent a bad message */
#define WIRE_EXIT_SETUP		66	/* a sandbox layer could not be applied */
#define WIRE_EXIT_LOAD		67	/* the plugin did not load */
#define WIRE_EXIT_MEMORY	68	/* the worker's own memory ran out */

enum wire_type {
	WIRE_HELLO = 1,
	WIRE_LOAD = 2,
	WIRE_READY = 3,
	WIRE_REQUEST = 4,
	WIRE_REPLY = 5,
	WIRE_ERROR = 6,
	WIRE_LOG = 7,
	WIRE_VIOLATION = 8,
	WIRE_PROBE = 9,
	WIRE_SEALED = 10,
};
#define WIRE_TYPE_LAST	WIRE_SEALED

/* How strictly the worker applies an optional sandbox layer. */
enum wire_mode {
	WIRE_MODE_OFF = 0,
	WIRE_MODE_AUTO = 1,
	WIRE_MODE_REQUIRE = 2,
};

/* Bytes inside a received payload; not NUL-terminated; never NULL, even
 * when empty. */
struct wire_string {
	const char	*bytes;
	size_t		 length;
};

struct wire_module {
	struct wire_string	 name;
	struct wire_string	 source;
};

struct wire_load {
	struct wire_string	 plugin;
	/* How messages name the plugin's file: the path the user gave, or
	 * "" for PLUGIN.lua. */
	struct wire_string	 chunk_name;
	struct wire_string	 source;
	struct wire_module	 modules[WIRE_MAX_MODULES];
	size_t			 module_count;
	uint32_t		 call_timeout_ms;
	uint32_t		 load_timeout_ms;
	uint64_t		 memory_bytes;
	uint32_t		 log_lines_per_second;
	uint32_t		 log_burst;
	enum wire_mode		 landlock;
	struct wire_string	 seccomp_filter;	/* struct sock_filter[] */
	struct wire_string	 probe;		/* selftest: "" for a plugin */
};

struct wire_layer {
	struct wire_string	 name;
	struct wire_string	 state;		/* "applied" or "skipped" */
	struct wire_string	 detail;
};

struct wire_message {
	enum wire_type type;
	union {
		struct {
			uint32_t version, pid;
		} hello;
		struct {
			uint32_t version;
			struct wire_load settings;
		} load;
		struct {
			uint32_t version;
			struct wire_layer layers[WIRE_MAX_LAYERS];
			size_t layer_count;
			struct wire_string touched[WIRE_MAX_TOUCHED];
			size_t touched_count;
		} ready;
		struct {
			uint64_t id;
			struct wire_string metadata;
		} request;
		struct {
			uint64_t id;
			struct wire_string type, name;
			uint64_t micros;
		} reply;
		struct {
			uint64_t id;
			struct wire_string kind, message;
			uint64_t micros;
		} error;
		struct {
			struct wire_string text;
			uint64_t dropped;
		} log;
		struct {
			int64_t syscall;
			uint32_t arch;
			uint64_t id;
		} violation;
		struct {
			struct wire_string name, verdict, detail;
			uint32_t error_number;
		} probe;
	} u;
};

/*
 * Frame extraction: returns 1 and sets *payload / *length when a whole frame
 * is at the front of in, 0 when more bytes are needed, -1 (with a message)
 * when the header announces an empty or oversized payload.  The caller
 * consumes WIRE_HEADER_SIZE + *length bytes once it is done with the payload.
 */
int	 wire_frame(const struct buffer *in, const char **payload,
	     size_t *length, char *error, size_t error_size);

/*
 * Decodes one payload.  Returns 0, or -1 with a message for anything that is
 * not exactly one well-formed message within the limits above.  Strings in
 * *message point into payload (an empty one may point elsewhere); the
 * decoder's scratch memory is reused by the next call.
 */
struct wire_decoder;
struct wire_decoder *wire_decoder_new(void);
void	 wire_decoder_free(struct wire_decoder *);
int	 wire_decode(struct wire_decoder *, const char *payload, size_t length,
	     struct wire_message *message, char *error, size_t error_size);

/* Encoders append one whole frame to out; they return 0, or -1 when memory
 * runs out or the message would exceed WIRE_MAX_MESSAGE (out unchanged). */
int	 wire_put_hello(struct buffer *out, uint32_t pid);
int	 wire_put_load(struct buffer *out, const struct wire_load *);
int	 wire_put_ready(struct buffer *out, const struct wire_layer *, size_t,
	     const struct wire_string *touched, size_t touched_count);
int	 wire_put_request(struct buffer *out, uint64_t id, const char *metadata,
	     size_t length);
/*
 * The bytes of a REQUEST frame that come before its metadata: with the
 * metadata bytes after them, exactly what wire_put_request() appends.  A
 * sender can then hand the metadata to writev() where it lies instead of
 * copying it.  Returns the header's length; 0 when the frame would exceed
 * WIRE_MAX_MESSAGE.
 */
#define WIRE_REQUEST_HEADER_MAX	24
size_t	 wire_request_header(unsigned char out[WIRE_REQUEST_HEADER_MAX],
	     uint64_t id, size_t metadata_length);
int	 wire_put_reply(struct buffer *out, uint64_t id, const char *type,
	     size_t type_length, const char *name, size_t name_length,
	     uint64_t micros);
int	 wire_put_error(struct buffer *out, uint64_t id, const char *kind,
	     const char *message, size_t message_length, uint64_t micros);
int	 wire_put_log(struct buffer *out, const char *text, size_t length,
	     uint64_t dropped);
int	 wire_put_sealed(struct buffer *out);
int	 wire_put_violation(struct buffer *out, int64_t syscall, uint32_t arch,
	     uint64_t id);
int	 wire_put_probe(struct buffer *out, const char *name,
	     const char *verdict, uint32_t error_number, const char *detail);

const char *wire_type_name(uint64_t type);
const char *wire_mode_name(enum wire_mode);

/* Compares a received string with a C string. */
int	 wire_string_is(struct wire_string, const char *);

#endif
