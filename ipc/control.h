/*
 * The one header that describes every message on the daemon's control
 * socket, between `luaward serve` and its clients (docs/protocol.md
 * explains it for clients in other languages).
 *
 * Framing is the worker pipes' (wire.h): a 4-byte big-endian payload
 * length L, 1 <= L <= CONTROL_MAX_MESSAGE, then L bytes holding exactly one
 * msgpack array whose first element is the message type:
 *
 *   type  name               direction       fields after the type
 *   32    HELLO              client->daemon  version
 *   33    PLUGIN_CREATE      client->daemon  name, source, replace (bool),
 *                                            position, anchor
 *   34    PLUGIN_LIST        client->daemon  -
 *   35    PLUGIN_DELETE      client->daemon  name
 *   36    PLUGIN_RESET       client->daemon  name
 *   37    QUERY_BEGIN        client->daemon  label (names the input in errors)
 *   38    QUERY_DATA         client->daemon  bytes of input
 *   39    QUERY_END          client->daemon  -
 *   40    STATS              client->daemon  format
 *   64    HELLO_REPLY        daemon->client  version, daemon version text
 *   65    OK                 daemon->client  message, sha256 ("" or hex)
 *   66    ERROR              daemon->client  code, message
 *   67    PLUGIN_LIST_REPLY  daemon->client  [entry...], each
 *                                            [name, position, size, sha256,
 *                                             created, state, calls,
 *                                             {error kind: count}]
 *   68    QUERY_OUTPUT       daemon->client  bytes of output lines
 *   69    QUERY_DONE         daemon->client  exit status, records
 *   70    STATS_REPLY        daemon->client  text
 *
 * Every limit below is checked by control_decode_request() and
 * control_decode_reply() on receipt, in one place: code that handles a
 * decoded message never re-checks it.  A message of the other direction
 * is refused like any malformed one.
 */
#ifndef LUAWARD_IPC_CONTROL_H
#define LUAWARD_IPC_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "wire.h"

#define CONTROL_PROTOCOL_VERSION 1
/* Payload bytes of one frame: the largest field and room for the rest. */
#define CONTROL_MAX_MESSAGE	((1u << 20) + (64u << 10))
#define CONTROL_MAX_NAME	255		/* plugin names, anchors */
#define CONTROL_MAX_SOURCE	(1u << 20)	/* a plugin's source */
#define CONTROL_MAX_LABEL	4096		/* a query's input label */
#define CONTROL_MAX_DATA	(1u << 20)	/* one QUERY_DATA / _OUTPUT */
#define CONTROL_MAX_TEXT	4096		/* OK and ERROR messages */
#define CONTROL_MAX_VERSION_TEXT 255		/* the daemon's version */
#define CONTROL_MAX_STATS	(1u << 20)	/* STATS_REPLY text */
#define CONTROL_MAX_PLUGINS	256		/* entries of a list */
#define CONTROL_MAX_KINDS	16		/* error kinds of an entry */
#define CONTROL_MAX_KIND	32		/* an error kind's name */
#define CONTROL_MAX_STATUS	2		/* exit status, as resolve's */
#define CONTROL_SHA256_HEX	64		/* lowercase hex digits */
#define CONTROL_ENTRY_FIELDS	8
/* A full list: the message, its type and list, and every entry. */
#define CONTROL_MAX_ELEMENTS	(3 + CONTROL_MAX_PLUGINS * \
				    (1 + CONTROL_ENTRY_FIELDS + \
				    2 * CONTROL_MAX_KINDS))
#define CONTROL_MAX_DEPTH	4	/* message, list, entry, error map */

enum control_direction {
	CONTROL_TO_DAEMON,	/* requests */
	CONTROL_TO_CLIENT,	/* replies */
};

/* name, number, direction, fields after the type */
#define CONTROL_MESSAGES(X)						\
	X(HELLO,		32, CONTROL_TO_DAEMON, 1)		\
	X(PLUGIN_CREATE,	33, CONTROL_TO_DAEMON, 5)		\
	X(PLUGIN_LIST,		34, CONTROL_TO_DAEMON, 0)		\
	X(PLUGIN_DELETE,	35, CONTROL_TO_DAEMON, 1)		\
	X(PLUGIN_RESET,		36, CONTROL_TO_DAEMON, 1)		\
	X(QUERY_BEGIN,		37, CONTROL_TO_DAEMON, 1)		\
	X(QUERY_DATA,		38, CONTROL_TO_DAEMON, 1)		\
	X(QUERY_END,		39, CONTROL_TO_DAEMON, 0)		\
	X(STATS,		40, CONTROL_TO_DAEMON, 1)		\
	X(HELLO_REPLY,		64, CONTROL_TO_CLIENT, 2)		\
	X(OK,			65, CONTROL_TO_CLIENT, 2)		\
	X(ERROR,		66, CONTROL_TO_CLIENT, 2)		\
	X(PLUGIN_LIST_REPLY,	67, CONTROL_TO_CLIENT, 1)		\
	X(QUERY_OUTPUT,		68, CONTROL_TO_CLIENT, 1)		\
	X(QUERY_DONE,		69, CONTROL_TO_CLIENT, 2)		\
	X(STATS_REPLY,		70, CONTROL_TO_CLIENT, 1)

enum control_type {
#define CONTROL_TYPE_ENUM(name, number, direction, fields) \
	CONTROL_##name = (number),
	CONTROL_MESSAGES(CONTROL_TYPE_ENUM)
#undef CONTROL_TYPE_ENUM
};

/* ERROR codes: C name, wire spelling. */
#define CONTROL_ERRORS(X)						\
	X(BAD_REQUEST,		"bad-request")				\
	X(UNSUPPORTED_VERSION,	"unsupported-version")			\
	X(EXISTS,		"exists")				\
	X(NOT_FOUND,		"not-found")				\
	X(INVALID_PLUGIN,	"invalid-plugin")			\
	X(INVALID_NAME,		"invalid-name")				\
	X(TOO_LARGE,		"too-large")				\
	X(BUSY,			"busy")					\
	X(PERMISSION,		"permission")				\
	X(SHUTTING_DOWN,	"shutting-down")			\
	X(INTERNAL,		"internal")

enum control_error {
#define CONTROL_ERROR_ENUM(name, spelling) CONTROL_ERROR_##name,
	CONTROL_ERRORS(CONTROL_ERROR_ENUM)
#undef CONTROL_ERROR_ENUM
	CONTROL_ERROR_COUNT
};

/* A listed plugin's state: C name, wire spelling. */
#define CONTROL_STATES(X)						\
	X(STARTING,		"starting")				\
	X(READY,		"ready")				\
	X(RESTARTING,		"restarting")				\
	X(LOAD_FAILED,		"load-failed")				\
	X(QUARANTINED,		"quarantined")

enum control_state {
#define CONTROL_STATE_ENUM(name, spelling) CONTROL_STATE_##name,
	CONTROL_STATES(CONTROL_STATE_ENUM)
#undef CONTROL_STATE_ENUM
	CONTROL_STATE_COUNT
};

/* Where PLUGIN_CREATE puts the plugin (uint on the wire). */
enum control_position {
	CONTROL_POSITION_END = 0,	/* new: last; replaced: stays */
	CONTROL_POSITION_BEFORE = 1,	/* right before the anchor */
	CONTROL_POSITION_AFTER = 2,	/* right after the anchor */
};

/* STATS format (uint on the wire). */
enum control_format {
	CONTROL_FORMAT_TEXT = 0,
	CONTROL_FORMAT_JSON = 1,
};

struct control_error_count {
	struct wire_string	 kind;	/* 1..CONTROL_MAX_KIND of a-z 0-9 - */
	uint64_t		 count;
};

/* One entry of PLUGIN_LIST_REPLY, in chain order. */
struct control_plugin {
	struct wire_string	 name;		/* 1..255 bytes, no NUL */
	uint32_t		 position;	/* decoded: index + 1 */
	uint64_t		 size;		/* source bytes */
	char			 sha256[CONTROL_SHA256_HEX + 1];
	int64_t			 created;	/* seconds since the epoch */
	enum control_state	 state;
	uint64_t		 calls;
	struct control_error_count errors[CONTROL_MAX_KINDS];
	size_t			 error_count;	/* kinds unique */
};

struct control_message {
	enum control_type type;
	union {
		struct {
			uint32_t version;	/* any: the daemon judges */
		} hello;
		struct {
			char name[CONTROL_MAX_NAME + 1];	/* 1.. bytes */
			struct wire_string source;
			bool replace;
			enum control_position position;
			char anchor[CONTROL_MAX_NAME + 1];	/* "" at END */
		} create;
		struct {
			char name[CONTROL_MAX_NAME + 1];	/* 1.. bytes */
		} plugin;		/* PLUGIN_DELETE, PLUGIN_RESET */
		struct {
			struct wire_string label;	/* 1.., no NUL */
		} query_begin;
		struct {
			struct wire_string bytes;	/* 1.. bytes */
		} data;				/* QUERY_DATA, QUERY_OUTPUT */
		struct {
			enum control_format format;
		} stats;
		struct {
			uint32_t version;
			struct wire_string daemon;	/* 1.., no NUL */
		} hello_reply;
		struct {
			struct wire_string message;	/* no NUL */
			char sha256[CONTROL_SHA256_HEX + 1];	/* or "" */
		} ok;
		struct {
			enum control_error code;
			struct wire_string message;	/* no NUL */
		} error;
		struct {
			const struct control_plugin *plugins;
			size_t count;
		} list;
		struct {
			uint32_t status;	/* 0..CONTROL_MAX_STATUS */
			uint64_t records;
		} done;
		struct {
			struct wire_string text;
		} stats_reply;
	} u;
};

/*
 * Frame extraction as wire_frame(), with CONTROL_MAX_MESSAGE: returns 1
 * and sets *payload / *length when a whole frame is at the front of in, 0
 * when more bytes are needed, -1 (with a message) when the header
 * announces an empty or oversized payload.  The caller consumes
 * WIRE_HEADER_SIZE + *length bytes once it is done with the payload.
 */
int	 control_frame(const struct buffer *in, const char **payload,
	     size_t *length, char *error, size_t error_size);

/*
 * Decode one payload: a request (the daemon's side) or a reply (the
 * client's side).  Return 0, or -1 with a message for anything that is not
 * exactly one well-formed message of that direction within the limits
 * above.  Strings point into payload; names are copied (NUL-terminated);
 * a list's entries live in the decoder until its next call.
 */
struct control_decoder;
struct control_decoder *control_decoder_new(void);
void	 control_decoder_free(struct control_decoder *);
int	 control_decode_request(struct control_decoder *, const char *payload,
	     size_t length, struct control_message *, char *error,
	     size_t error_size);
int	 control_decode_reply(struct control_decoder *, const char *payload,
	     size_t length, struct control_message *, char *error,
	     size_t error_size);

/*
 * Encoders append one whole frame to out; they return 0, or -1 when
 * memory runs out or the frame would exceed CONTROL_MAX_MESSAGE (out
 * unchanged).  Apart from the two that truncate their message to
 * CONTROL_MAX_TEXT, they do not check per-field limits: the receiver
 * does.  A query's output goes in QUERY_OUTPUT frames of at most
 * CONTROL_MAX_DATA bytes each.
 */
int	 control_put_hello(struct buffer *, uint32_t version);
int	 control_put_plugin_create(struct buffer *, const char *name,
	     const char *source, size_t length, bool replace,
	     enum control_position, const char *anchor);
int	 control_put_plugin_list(struct buffer *);
int	 control_put_plugin_delete(struct buffer *, const char *name);
int	 control_put_plugin_reset(struct buffer *, const char *name);
int	 control_put_query_begin(struct buffer *, const char *label);
int	 control_put_query_data(struct buffer *, const char *bytes,
	     size_t length);
int	 control_put_query_end(struct buffer *);
int	 control_put_stats(struct buffer *, enum control_format);

int	 control_put_hello_reply(struct buffer *, uint32_t version,
	     const char *daemon_version);
/* message and sha256 may be NULL (sent as ""). */
int	 control_put_ok(struct buffer *, const char *message,
	     const char *sha256);
int	 control_put_error(struct buffer *, enum control_error,
	     const char *format, ...) __attribute__((format(printf, 3, 4)));
/* Entries in chain order; their position fields are not read (the
 * encoder writes index + 1). */
int	 control_put_plugin_list_reply(struct buffer *,
	     const struct control_plugin *, size_t count);
int	 control_put_query_output(struct buffer *, const char *bytes,
	     size_t length);
int	 control_put_query_done(struct buffer *, uint32_t status,
	     uint64_t records);
int	 control_put_stats_reply(struct buffer *, const char *text,
	     size_t length);

const char *control_type_name(uint64_t type);
const char *control_error_name(enum control_error);
const char *control_state_name(enum control_state);

#endif
