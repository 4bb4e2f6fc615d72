#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "engine.h"
#include "../log.h"
#include "session.h"

struct engine {
	struct ev_loop		*loop;
	struct plugin_config	 config;	/* plugins point here */
	size_t			 budget_bytes, held_bytes;
	struct dispatch		*dispatch;
	struct chain		*chain;
	struct plugin		**plugins;	/* every one alive */
	size_t			 plugin_count, plugin_capacity;
	struct engine_waiter	*waiters;
	struct session		**sessions;
	size_t			 session_count, session_capacity;
	ev_idle			 wake;		/* waiters hear from the loop */
};

static void
on_outcome(struct job *job, const struct outcome *outcome, void *arg)
{
	struct engine *e = arg;

	dispatch_outcome(job, outcome, e->dispatch);
}

/* A plugin no chain holds has stopped its workers: it goes. */
static void
on_plugin_gone(struct plugin *p, void *arg)
{
	struct engine *e = arg;

	for (size_t i = 0; i < e->plugin_count; i++)
		if (e->plugins[i] == p) {
			e->plugins[i] = e->plugins[--e->plugin_count];
			break;
		}
	plugin_free(p);
}

/* Budget released: the waiters hear of it from the loop, not from inside
 * whatever released it (which may be one of them). */
static void
on_wake(struct ev_loop *loop, ev_idle *watcher, int events)
{
	struct engine *e = watcher->data;
	struct engine_waiter *list = e->waiters;

	(void)events;
	ev_idle_stop(loop, watcher);
	e->waiters = NULL;
	while (list != NULL) {
		struct engine_waiter *w = list;

		list = w->next;
		w->next = NULL;
		w->waiting = false;
		w->room(w->arg);
	}
}

struct engine *
engine_new(struct ev_loop *loop, const struct engine_config *config)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->loop = loop;
	e->config = config->plugins;
	e->budget_bytes = config->budget_bytes > 0 ? config->budget_bytes :
	    ENGINE_DEFAULT_BUDGET;
	e->dispatch = dispatch_new(dispatch_plugins());
	dispatch_set_fallback(e->dispatch, config->fallback);
	e->config.outcome = on_outcome;
	e->config.gone = on_plugin_gone;
	e->config.arg = e;
	e->chain = chain_new(NULL, 0);
	ev_idle_init(&e->wake, on_wake);
	/* Once per loop iteration, not only when no I/O is pending. */
	ev_set_priority(&e->wake, EV_MAXPRI);
	e->wake.data = e;
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	ev_idle_stop(e->loop, &e->wake);
	/* Jobs hold chains, and chains hold plugins: sessions go first. */
	while (e->session_count > 0)
		session_free(e->sessions[e->session_count - 1]);
	free(e->sessions);
	chain_unref(e->chain);
	/* Sessions are freed first (their jobs hold chains); plugins still
	 * alive are those whose workers had not exited. */
	for (size_t i = 0; i < e->plugin_count; i++)
		plugin_free(e->plugins[i]);
	free(e->plugins);
	dispatch_free(e->dispatch);
	free(e);
}

struct ev_loop *
engine_loop(const struct engine *e)
{
	return e->loop;
}

const struct plugin_config *
engine_plugin_config(const struct engine *e)
{
	return &e->config;
}

struct plugin *
engine_add_plugin(struct engine *e, const struct plugin_source *source)
{
	struct plugin *p = plugin_new(e->loop, &e->config, source);

	if (e->plugin_count == e->plugin_capacity) {
		e->plugin_capacity = e->plugin_capacity ?
		    2 * e->plugin_capacity : 8;
		e->plugins = xrealloc(e->plugins, e->plugin_capacity *
		    sizeof(*e->plugins));
	}
	e->plugins[e->plugin_count++] = p;
	plugin_start(p);
	return p;
}

struct chain *
engine_chain(const struct engine *e)
{
	return e->chain;
}

void
engine_set_chain(struct engine *e, struct chain *chain)
{
	struct chain *old = e->chain;

	e->chain = chain;
	chain_unref(old);
}

bool
engine_settled(const struct engine *e)
{
	if (engine_startup_error(e) != NULL)
		return true;
	for (size_t i = 0; i < e->chain->count; i++)
		if (plugin_state(e->chain->links[i].plugin, NULL) ==
		    PLUGIN_STARTING)
			return false;
	return true;
}

const char *
engine_startup_error(const struct engine *e)
{
	for (size_t i = 0; i < e->chain->count; i++) {
		const char *error = plugin_startup_error(
		    e->chain->links[i].plugin);

		if (error != NULL)
			return error;
	}
	return NULL;
}

void
engine_submit(struct engine *e, struct job *job)
{
	dispatch_submit(e->dispatch, job);
}

bool
engine_budget_allows(const struct engine *e, size_t held)
{
	return held == 0 || e->held_bytes < e->budget_bytes;
}

void
engine_budget_take(struct engine *e, size_t bytes)
{
	e->held_bytes += bytes;
}

void
engine_budget_release(struct engine *e, size_t bytes)
{
	e->held_bytes -= bytes < e->held_bytes ? bytes : e->held_bytes;
	if (e->waiters != NULL && e->held_bytes < e->budget_bytes)
		ev_idle_start(e->loop, &e->wake);
}

void
engine_budget_wait(struct engine *e, struct engine_waiter *w)
{
	if (w->waiting)
		return;
	w->waiting = true;
	w->next = e->waiters;
	e->waiters = w;
	if (e->held_bytes < e->budget_bytes)
		ev_idle_start(e->loop, &e->wake);
}

void
engine_budget_cancel(struct engine *e, struct engine_waiter *w)
{
	for (struct engine_waiter **link = &e->waiters; *link != NULL;
	    link = &(*link)->next)
		if (*link == w) {
			*link = w->next;
			break;
		}
	w->next = NULL;
	w->waiting = false;
}

void
engine_shutdown(struct engine *e, bool abandon)
{
	for (size_t i = 0; i < e->plugin_count; i++)
		plugin_shutdown(e->plugins[i], abandon);
}

bool
engine_finished(const struct engine *e)
{
	for (size_t i = 0; i < e->plugin_count; i++)
		if (!plugin_finished(e->plugins[i]))
			return false;
	return true;
}

void
engine_session_add(struct engine *e, struct session *s)
{
	if (e->session_count == e->session_capacity) {
		e->session_capacity = e->session_capacity ?
		    2 * e->session_capacity : 8;
		e->sessions = xrealloc(e->sessions, e->session_capacity *
		    sizeof(*e->sessions));
	}
	e->sessions[e->session_count++] = s;
}

void
engine_session_remove(struct engine *e, struct session *s)
{
	for (size_t i = 0; i < e->session_count; i++)
		if (e->sessions[i] == s) {
			e->sessions[i] = e->sessions[--e->session_count];
			return;
		}
}
