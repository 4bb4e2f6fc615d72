#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/chain.h"
#include "daemon.h"
#include "../log.h"
#include "../timing.h"

/* One line per change, with who asked and what it was, for journald. */
static void
audit(const char *what, const char *name, const char *sha256,
    const struct ucred *peer)
{
	log_info("audit: %s plugin %s sha256 %s by uid %u gid %u pid %d",
	    what, name, sha256 != NULL && sha256[0] != '\0' ? sha256 : "-",
	    (unsigned)peer->uid, (unsigned)peer->gid, (int)peer->pid);
}

static ssize_t
find_registered(const struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->registered; i++)
		if (strcmp(d->registry[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

void
daemon_sync(struct daemon *d)
{
	size_t count = store_count(d->store);
	struct registered *next = xcalloc(count + 1, sizeof(*next));
	struct plugin **plugins = xcalloc(count + 1, sizeof(*plugins));

	for (size_t i = 0; i < count; i++) {
		const struct store_entry *e = store_entry(d->store, i);
		ssize_t old = find_registered(d, e->name);

		next[i].name = xstrdup(e->name);
		snprintf(next[i].sha256, sizeof(next[i].sha256), "%s",
		    e->sha256);
		/* The same source keeps its running plugin (and its workers,
		 * counters and quarantine); a new one starts afresh. */
		if (old != -1 && d->registry[old].plugin != NULL &&
		    strcmp(d->registry[old].sha256, e->sha256) == 0) {
			next[i].plugin = d->registry[old].plugin;
			d->registry[old].plugin = NULL;
		} else {
			struct plugin_source source = {
				.name = (char *)e->name,
				.source = (char *)e->source,
				.length = e->length,
			};

			next[i].plugin = engine_add_plugin(d->engine, &source);
		}
		plugins[i] = next[i].plugin;
	}
	for (size_t i = 0; i < d->registered; i++) {
		if (d->registry[i].plugin != NULL)
			plugin_unref(d->registry[i].plugin);
		free(d->registry[i].name);
	}
	free(d->registry);
	d->registry = next;
	d->registered = count;
	/* Records from now on take the new chain; those in flight finish
	 * with theirs, which still holds the plugins it lists. */
	engine_set_chain(d->engine, chain_new(plugins, count));
	free(plugins);
}

static enum control_state
state_of(const struct plugin *p)
{
	const char *name = plugin_state_name(p);

	if (strcmp(name, "ready") == 0)
		return CONTROL_STATE_READY;
	if (strcmp(name, "restarting") == 0)
		return CONTROL_STATE_RESTARTING;
	if (strcmp(name, "load-failed") == 0)
		return CONTROL_STATE_LOAD_FAILED;
	if (strcmp(name, "quarantined") == 0)
		return CONTROL_STATE_QUARANTINED;
	return CONTROL_STATE_STARTING;
}

void
daemon_list(struct daemon *d, struct buffer *out)
{
	struct control_plugin *entries = xcalloc(d->registered + 1,
	    sizeof(*entries));

	for (size_t i = 0; i < d->registered; i++) {
		const struct store_entry *e = store_entry(d->store, i);
		struct control_plugin *c = &entries[i];
		struct plugin_stats stats;

		plugin_stats(d->registry[i].plugin, &stats);
		c->name.bytes = d->registry[i].name;
		c->name.length = strlen(d->registry[i].name);
		c->size = e->length;
		snprintf(c->sha256, sizeof(c->sha256), "%s", e->sha256);
		c->created = e->created;
		c->state = state_of(d->registry[i].plugin);
		c->calls = stats.calls;
		for (int k = 0; k < ERROR_KIND_COUNT &&
		    c->error_count < CONTROL_MAX_KINDS; k++) {
			const char *kind = error_kind_name((enum error_kind)k);

			if (stats.errors[k] == 0)
				continue;
			c->errors[c->error_count].kind.bytes = kind;
			c->errors[c->error_count].kind.length = strlen(kind);
			c->errors[c->error_count++].count = stats.errors[k];
		}
	}
	if (control_put_plugin_list_reply(out, entries, d->registered) == -1)
		(void)control_put_error(out, CONTROL_ERROR_INTERNAL, "the list "
		    "does not fit in a message");
	free(entries);
}

void
daemon_stats(struct daemon *d, enum control_format format,
    struct buffer *out)
{
	struct plugin_stats *each = xcalloc(d->registered + 1, sizeof(*each));
	const char **names = xcalloc(d->registered + 1, sizeof(*names));
	char *text = NULL;
	size_t length = 0;
	FILE *f;

	for (size_t i = 0; i < d->registered; i++) {
		plugin_stats(d->registry[i].plugin, &each[i]);
		names[i] = d->registry[i].name;
	}
	if ((f = open_memstream(&text, &length)) == NULL) {
		(void)control_put_error(out, CONTROL_ERROR_INTERNAL, "no memory "
		    "for the stats");
	} else {
		stats_print(f, format == CONTROL_FORMAT_JSON, &d->totals, names,
		    each, d->registered, monotonic_seconds() - d->started);
		fclose(f);
		if (control_put_stats_reply(out, text, length) == -1)
			(void)control_put_error(out, CONTROL_ERROR_INTERNAL,
			    "the stats do not fit in a message");
	}
	free(text);
	free(names);
	free(each);
}

static enum control_error
error_of(enum store_result result)
{
	switch (result) {
	case STORE_INVALID_NAME:
		return CONTROL_ERROR_INVALID_NAME;
	case STORE_EXISTS:
		return CONTROL_ERROR_EXISTS;
	case STORE_NOT_FOUND:
	case STORE_NO_ANCHOR:
		return CONTROL_ERROR_NOT_FOUND;
	case STORE_TOO_LARGE:
	case STORE_FULL:
		return CONTROL_ERROR_TOO_LARGE;
	case STORE_OK:
	case STORE_NO_MEMORY:
	case STORE_IO:
		break;
	}
	return CONTROL_ERROR_INTERNAL;
}

bool
daemon_precheck_create(struct daemon *d, const char *name, size_t length,
    bool replace, enum control_position position, const char *anchor,
    struct buffer *out)
{
	if (d->stopping) {
		(void)control_put_error(out, CONTROL_ERROR_SHUTTING_DOWN,
		    "the daemon is stopping");
		return false;
	}
	if (!store_name_valid(name)) {
		(void)control_put_error(out, CONTROL_ERROR_INVALID_NAME,
		    "'%s' is not a plugin name: 1 to %d of A-Z a-z 0-9 . _ -, "
		    "starting with a letter or a digit", name, STORE_MAX_NAME);
		return false;
	}
	if (length > STORE_MAX_SOURCE) {
		(void)control_put_error(out, CONTROL_ERROR_TOO_LARGE, "the "
		    "source is %zu bytes; at most %u are accepted", length,
		    STORE_MAX_SOURCE);
		return false;
	}
	if (!replace && store_find(d->store, name) != -1) {
		(void)control_put_error(out, CONTROL_ERROR_EXISTS, "plugin %s "
		    "exists (--replace replaces it)", name);
		return false;
	}
	if (position != CONTROL_POSITION_END && (strcmp(anchor, name) == 0 ||
	    store_find(d->store, anchor) == -1)) {
		(void)control_put_error(out, CONTROL_ERROR_NOT_FOUND, "no plugin "
		    "%s to put %s %s", anchor, name, position ==
		    CONTROL_POSITION_BEFORE ? "before" : "after");
		return false;
	}
	return true;
}

void
daemon_commit_create(struct daemon *d, const char *name, const char *source,
    size_t length, bool replace, enum control_position position,
    const char *anchor, const struct ucred *peer, struct buffer *out)
{
	enum store_position where = position == CONTROL_POSITION_BEFORE ?
	    STORE_BEFORE : position == CONTROL_POSITION_AFTER ? STORE_AFTER :
	    STORE_END;
	bool existed = store_find(d->store, name) != -1;
	enum store_result result;
	char error[512];
	ssize_t index;

	result = store_put(d->store, name, source, length, replace, where,
	    anchor, error, sizeof(error));
	if (result != STORE_OK) {
		(void)control_put_error(out, error_of(result), "%s", error);
		return;
	}
	daemon_sync(d);
	index = store_find(d->store, name);
	/* The same source keeps its running plugin (daemon_sync): a replace
	 * is still the fresh start a reset would give. */
	if (existed)
		plugin_reset(d->registry[index].plugin);
	audit(existed ? "replaced" : "created", name,
	    store_entry(d->store, (size_t)index)->sha256, peer);
	(void)control_put_ok(out, existed ? "replaced" : "created",
	    store_entry(d->store, (size_t)index)->sha256);
}

void
daemon_delete(struct daemon *d, const char *name, const struct ucred *peer,
    struct buffer *out)
{
	char error[512], sha256[STORE_SHA256_HEX + 1] = "";
	enum store_result result;
	ssize_t index = store_find(d->store, name);

	if (index != -1)
		snprintf(sha256, sizeof(sha256), "%s",
		    store_entry(d->store, (size_t)index)->sha256);
	result = store_delete(d->store, name, error, sizeof(error));
	if (result != STORE_OK) {
		(void)control_put_error(out, error_of(result), "%s", error);
		return;
	}
	daemon_sync(d);
	audit("deleted", name, sha256, peer);
	(void)control_put_ok(out, "deleted", sha256);
}

void
daemon_reset(struct daemon *d, const char *name, const struct ucred *peer,
    struct buffer *out)
{
	ssize_t index = find_registered(d, name);

	if (index == -1) {
		(void)control_put_error(out, CONTROL_ERROR_NOT_FOUND, "no plugin "
		    "%s", name);
		return;
	}
	plugin_reset(d->registry[index].plugin);
	audit("reset", name, d->registry[index].sha256, peer);
	(void)control_put_ok(out, "reset", d->registry[index].sha256);
}

void
daemon_count_query(struct daemon *d, const struct run_stats *query)
{
	d->totals.records += query->records;
	for (size_t i = 0; i < sizeof(query->by_status) /
	    sizeof(query->by_status[0]); i++)
		d->totals.by_status[i] += query->by_status[i];
}
