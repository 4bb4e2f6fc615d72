/*
 * The client commands: luaward plugin create|list|delete|reset, luaward
 * query and luaward stats, each one request to `luaward serve` over its
 * control socket (client.c).  Their flags are DeepFlow's
 * (deepflow-ctl plugin create --type lua --image FILE --name NAME).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../ipc/buffer.h"
#include "client.h"
#include "commands.h"
#include "../json.h"
#include "../log.h"
#include "../options.h"
#include "../engine/plugins.h"
#include "../output/sanitize.h"
#include "../daemon/store.h"

static const char exit_statuses[] =
    "Exit status: 0 done, 2 usage error, 3 no daemon on the socket, 4 "
    "permission\ndenied, 5 the plugin exists, 6 no such plugin, 7 the "
    "plugin is invalid (it does\nnot load, or its name or size is not "
    "accepted), 8 the daemon refused otherwise.";

/* A source larger than a plugin may be is an invalid plugin, as the
 * daemon would say, not a usage error. */
static void __attribute__((noreturn))
too_large(const char *path)
{
	log_info("--image %s: larger than the %u bytes a plugin may have",
	    path, PLUGIN_MAX_SOURCE);
	exit(EXIT_INVALID_PLUGIN);
}

/*
 * The daemon's naming rule, checked before a name is sent: a name past
 * the protocol's limit would otherwise be a malformed request, not the
 * invalid name it is.  Returns 0 or the exit status, after saying why.
 */
static int
check_name(const char *name)
{
	if (store_name_valid(name))
		return 0;
	log_info("'%s' is not a plugin name: 1 to %d of A-Z a-z 0-9 . _ -, "
	    "starting with a letter or a digit", name, STORE_MAX_NAME);
	return EXIT_INVALID_PLUGIN;
}

/* Reads a plugin's source: at most PLUGIN_MAX_SOURCE bytes. */
static char *
read_image(const char *path, size_t *length)
{
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY |
	    O_CLOEXEC);
	size_t used = 0, capacity = 64 * 1024;
	char *source;

	if (fd == -1)
		fatal("--image %s", path);
	source = xmalloc(capacity);
	for (;;) {
		ssize_t n;

		if (used == capacity) {
			if (capacity > PLUGIN_MAX_SOURCE)
				too_large(path);
			capacity *= 2;
			source = xrealloc(source, capacity);
		}
		n = read(fd, source + used, capacity - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("--image %s", path);
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (used > PLUGIN_MAX_SOURCE)
		too_large(path);
	*length = used;
	return source;
}

/* Sends the request out holds; prints an OK's message (name and sha256)
 * or returns the refusal's status. */
static int
simple_request(struct client *c, const char *what, const char *name)
{
	struct control_message reply;
	int status;

	if ((status = client_exchange(c, &reply)) != 0)
		return status;
	if (reply.type == CONTROL_ERROR)
		return client_refused(&reply);
	if (reply.type != CONTROL_OK) {
		log_info("the daemon answered %s with %s", what,
		    control_type_name(reply.type));
		return EXIT_DAEMON_ERROR;
	}
	sanitize_print(stdout, "%.*s %s%s%s", (int)reply.u.ok.message.length,
	    reply.u.ok.message.bytes, name, reply.u.ok.sha256[0] != '\0' ?
	    " sha256 " : "", reply.u.ok.sha256);
	return EXIT_ALL_GOOD;
}

static int
plugin_create(struct client *c, const struct options *o)
{
	enum control_position position = CONTROL_POSITION_END;
	const char *anchor = "";
	size_t length;
	char *source;
	int status;

	if (o->plugin_type == NULL || strcmp(o->plugin_type, "lua") != 0)
		fatalx("plugin create: --type lua is required (lua is the only "
		    "type)%s%s", o->plugin_type != NULL ? ", not " : "",
		    o->plugin_type != NULL ? o->plugin_type : "");
	if (o->image == NULL || o->plugin_name == NULL)
		fatalx("plugin create: --image FILE and --name NAME are "
		    "required (see luaward plugin --help)");
	if (o->before != NULL && o->after != NULL)
		fatalx("plugin create: --before and --after exclude each other");
	if (o->before != NULL) {
		position = CONTROL_POSITION_BEFORE;
		anchor = o->before;
	} else if (o->after != NULL) {
		position = CONTROL_POSITION_AFTER;
		anchor = o->after;
	}
	if ((status = check_name(o->plugin_name)) != 0)
		return status;
	if (position != CONTROL_POSITION_END && !store_name_valid(anchor)) {
		log_info("no plugin %s to put %s %s", anchor, o->plugin_name,
		    o->before != NULL ? "before" : "after");
		return EXIT_NO_SUCH_PLUGIN;
	}
	source = read_image(o->image, &length);
	if (control_put_plugin_create(&c->out, o->plugin_name, source, length,
	    o->replace, position, anchor) == -1)
		fatalx("plugin create: the request does not fit in a message");
	free(source);
	status = simple_request(c, "plugin create", o->plugin_name);
	return status;
}

static void
print_time(char *out, size_t size, int64_t seconds)
{
	time_t t = (time_t)seconds;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, size,
	    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "%lld", (long long)seconds);
}

static void
list_json(const struct control_message *m)
{
	struct buffer b = { 0 };

	(void)buffer_append(&b, "[", 1);
	for (size_t i = 0; i < m->u.list.count; i++) {
		const struct control_plugin *p = &m->u.list.plugins[i];
		char line[512], created[32];

		print_time(created, sizeof(created), p->created);
		(void)buffer_append(&b, i > 0 ? ",{\"name\":" : "{\"name\":",
		    i > 0 ? 9 : 8);
		(void)json_append_string(&b, p->name.bytes, p->name.length);
		snprintf(line, sizeof(line), ",\"position\":%u,\"size\":%llu,"
		    "\"sha256\":\"%s\",\"created\":\"%s\",\"state\":\"%s\","
		    "\"calls\":%llu,\"errors\":{", p->position,
		    (unsigned long long)p->size, p->sha256, created,
		    control_state_name(p->state),
		    (unsigned long long)p->calls);
		(void)buffer_append(&b, line, strlen(line));
		for (size_t k = 0; k < p->error_count; k++) {
			if (k > 0)
				(void)buffer_append(&b, ",", 1);
			(void)json_append_string(&b, p->errors[k].kind.bytes,
			    p->errors[k].kind.length);
			snprintf(line, sizeof(line), ":%llu",
			    (unsigned long long)p->errors[k].count);
			(void)buffer_append(&b, line, strlen(line));
		}
		(void)buffer_append(&b, "}}", 2);
	}
	(void)buffer_append(&b, "]\n", 2);
	fwrite(buffer_bytes(&b), 1, buffer_length(&b), stdout);
	buffer_free(&b);
}

static void
list_text(const struct control_message *m)
{
	printf("%-4s %-24s %-12s %8s %10s %-20s %-16s %s\n", "POS", "NAME",
	    "STATE", "SIZE", "CALLS", "CREATED", "SHA256", "ERRORS");
	for (size_t i = 0; i < m->u.list.count; i++) {
		const struct control_plugin *p = &m->u.list.plugins[i];
		char created[32], errors[512] = "";
		size_t used = 0;

		print_time(created, sizeof(created), p->created);
		for (size_t k = 0; k < p->error_count && used < sizeof(errors);
		    k++)
			used += (size_t)snprintf(errors + used, sizeof(errors) -
			    used, "%s%.*s %llu", k > 0 ? ", " : "",
			    (int)p->errors[k].kind.length,
			    p->errors[k].kind.bytes,
			    (unsigned long long)p->errors[k].count);
		sanitize_print(stdout, "%-4u %-24.*s %-12s %8llu %10llu %-20s "
		    "%.16s %s", p->position, (int)p->name.length, p->name.bytes,
		    control_state_name(p->state), (unsigned long long)p->size,
		    (unsigned long long)p->calls, created, p->sha256,
		    errors[0] != '\0' ? errors : "-");
	}
}

static int
plugin_list(struct client *c, const struct options *o)
{
	struct control_message reply;
	int status;

	if (control_put_plugin_list(&c->out) == -1)
		fatalx("out of memory");
	if ((status = client_exchange(c, &reply)) != 0)
		return status;
	if (reply.type == CONTROL_ERROR)
		return client_refused(&reply);
	if (reply.type != CONTROL_PLUGIN_LIST_REPLY) {
		log_info("the daemon answered plugin list with %s",
		    control_type_name(reply.type));
		return EXIT_DAEMON_ERROR;
	}
	if (o->output_json)
		list_json(&reply);
	else
		list_text(&reply);
	return EXIT_ALL_GOOD;
}

int
cmd_plugin(int argc, char **argv)
{
	struct options o;
	struct client c;
	/* The verb first: `luaward plugin --help` has none. */
	bool has_verb = argc > 1 && argv[1][0] != '-';
	const char *verb = has_verb ? argv[1] : "";
	int first, status;
	char summary[2048];

	snprintf(summary, sizeof(summary), "Manages the plugins of a running "
	    "luaward serve:\n  create --type lua --image FILE --name NAME "
	    "[--replace] [--before|--after NAME]\n         loads the plugin in "
	    "a sandboxed worker first, and stores it only if it\n         loads "
	    "(it then joins the chain, last unless placed)\n  list [-o json]  "
	    "the chain: position, name, state, size, calls, errors\n  delete "
	    "NAME     records that arrive from now on go without it\n  reset "
	    "NAME      lifts a quarantine: a fresh start\n%s", exit_statuses);
	options_defaults(&o);
	first = options_parse(&o, FOR_CLIENT, "plugin",
	    "create|list|delete|reset [NAME]", summary, argc - (has_verb ? 1 :
	    0), argv + (has_verb ? 1 : 0)) + (has_verb ? 1 : 0);
	if (strcmp(verb, "create") == 0 || strcmp(verb, "list") == 0) {
		if (first < argc)
			fatalx("plugin %s takes no operand ('%s'; see luaward "
			    "plugin --help)", verb, argv[first]);
	} else if (strcmp(verb, "delete") == 0 || strcmp(verb, "reset") == 0) {
		if (argc - first != 1)
			fatalx("plugin %s takes one NAME (see luaward plugin "
			    "--help)", verb);
	} else
		fatalx("plugin: '%s' is not create, list, delete or reset (see "
		    "luaward plugin --help)", verb);
	if ((status = client_open(&c, o.socket_path)) != 0) {
		client_close(&c);
		return status;
	}
	if (strcmp(verb, "create") == 0)
		status = plugin_create(&c, &o);
	else if (strcmp(verb, "list") == 0)
		status = plugin_list(&c, &o);
	else if ((status = check_name(argv[first])) == 0) {
		if ((strcmp(verb, "delete") == 0 ?
		    control_put_plugin_delete(&c.out, argv[first]) :
		    control_put_plugin_reset(&c.out, argv[first])) == -1)
			fatalx("plugin %s: the name does not fit in a message",
			    verb);
		status = simple_request(&c, verb, argv[first]);
	}
	client_close(&c);
	return status;
}

int
cmd_query(int argc, char **argv)
{
	struct options o;
	struct client c;
	char summary[1024];
	int first, status;

	snprintf(summary, sizeof(summary), "Sends the pod records in the FILEs "
	    "(or stdin) to a running luaward serve and\nprints one JSON line "
	    "per record: exactly what luaward resolve prints for the\nsame "
	    "input and plugins.  Exit status as resolve's (0 all resolved "
	    "without\nfailures, 1 some record invalid or some plugin failed, 2 "
	    "usage error), or\n3 no daemon, 4 permission denied, 8 the daemon "
	    "refused.");
	options_defaults(&o);
	first = options_parse(&o, FOR_CLIENT, "query", "[FILE...]", summary,
	    argc, argv);
	if ((status = client_open(&c, o.socket_path)) != 0) {
		client_close(&c);
		return status;
	}
	status = client_query(&c, argv + first, (size_t)(argc - first));
	client_close(&c);
	return status;
}

int
cmd_stats(int argc, char **argv)
{
	struct control_message reply;
	struct options o;
	struct client c;
	char summary[1024];
	int first, status;

	snprintf(summary, sizeof(summary), "Prints the counters of a running "
	    "luaward serve: records by status since it\nstarted, and per "
	    "plugin calls, latency, restarts and errors by kind (the same\n"
	    "as resolve --stats).\n%s", exit_statuses);
	options_defaults(&o);
	first = options_parse(&o, FOR_CLIENT, "stats", "", summary, argc, argv);
	if (first < argc)
		fatalx("stats takes no operand (see luaward stats --help)");
	if ((status = client_open(&c, o.socket_path)) != 0) {
		client_close(&c);
		return status;
	}
	if (control_put_stats(&c.out, o.output_json ? CONTROL_FORMAT_JSON :
	    CONTROL_FORMAT_TEXT) == -1)
		fatalx("out of memory");
	if ((status = client_exchange(&c, &reply)) == 0) {
		if (reply.type == CONTROL_ERROR)
			status = client_refused(&reply);
		else if (reply.type != CONTROL_STATS_REPLY)
			status = EXIT_DAEMON_ERROR;
		else
			fwrite(reply.u.stats_reply.text.bytes, 1,
			    reply.u.stats_reply.text.length, stdout);
	}
	client_close(&c);
	return status;
}
