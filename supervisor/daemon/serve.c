/*
 * luaward serve: the plugin service.  Plugins live in the state directory
 * (store.c) and run on one engine; clients create, list, reset and delete
 * them and send records over the control socket (connection.c,
 * docs/protocol.md).  Changes apply to records that arrive after the reply;
 * records in flight finish with the chain they started with.
 *
 * SIGTERM or SIGINT: stop accepting, let queries in flight finish (at most
 * DAEMON_STOP_GRACE_S), stop the workers, remove the socket, exit 0.
 * SIGHUP: read the state directory again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "../commands/commands.h"
#include "daemon.h"
#include "listener.h"
#include "../log.h"
#include "metrics.h"
#include "../options.h"
#include "../setup.h"
#include "../timing.h"

struct service {
	struct daemon		 daemon;
	struct listener		 listener;
	struct metrics		*metrics;
	ev_signal		 sigterm, sigint, sighup;
	ev_timer		 stop_check;
	double			 stop_started;
	bool			 workers_stopping;
};

static void
on_accept(struct ev_loop *loop, ev_io *watcher, int events)
{
	struct daemon *d = watcher->data;

	(void)loop;
	(void)events;
	/* A few per wakeup: a burst of clients must not hold the loop. */
	for (int i = 0; i < 16; i++) {
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC |
		    SOCK_NONBLOCK);

		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("accepting a client");
			break;
		}
		connection_accept(d, fd);
	}
}

static void
on_stop_check(struct ev_loop *loop, ev_timer *timer, int events)
{
	struct service *s = timer->data;
	struct daemon *d = &s->daemon;
	bool late = monotonic_seconds() - s->stop_started >=
	    DAEMON_STOP_GRACE_S;

	(void)events;
	if (!s->workers_stopping) {
		if (connection_any_busy(d) && !late)
			return;
		if (late && connection_any_busy(d))
			log_warnx("queries still running after %d s: stopping "
			    "them", DAEMON_STOP_GRACE_S);
		connection_free_all(d);
		engine_shutdown(d->engine, late);
		s->workers_stopping = true;
	}
	if (engine_finished(d->engine)) {
		ev_timer_stop(loop, timer);
		ev_break(loop, EVBREAK_ALL);
	}
}

static void
on_stop(struct ev_loop *loop, ev_signal *watcher, int events)
{
	struct service *s = watcher->data;
	struct daemon *d = &s->daemon;

	(void)events;
	if (d->stopping)
		return;
	log_info("signal %d (SIG%s): stopping", watcher->signum,
	    sigabbrev_np(watcher->signum));
	d->stopping = true;
	ev_io_stop(loop, &d->acceptor);
	listener_close(&s->listener);
	connection_stop_all(d);
	s->stop_started = monotonic_seconds();
	ev_timer_set(&s->stop_check, 0.05, 0.05);
	ev_timer_start(loop, &s->stop_check);
}

static void
on_reload(struct ev_loop *loop, ev_signal *watcher, int events)
{
	struct service *s = watcher->data;
	struct daemon *d = &s->daemon;
	char error[512];

	(void)loop;
	(void)events;
	if (d->stopping)
		return;
	if (store_reload(d->store, error, sizeof(error)) == -1) {
		log_warnx("SIGHUP: the state directory cannot be read: %s; "
		    "keeping the plugins as they were", error);
		return;
	}
	daemon_sync(d);
	log_info("SIGHUP: %zu plugins from %s", d->registered, d->state_dir);
}

int
cmd_serve(int argc, char **argv)
{
	struct service *s = xcalloc(1, sizeof(*s));
	struct daemon *d = &s->daemon;
	struct engine_config config;
	struct setup setup;
	char error[1024];
	int first;

	options_defaults(&d->options);
	first = options_parse(&d->options, FOR_SERVE, "serve", "",
	    "Runs the plugin service: keeps plugins in --state-dir, runs each "
	    "in its own\nsandboxed workers, and answers the client commands "
	    "(luaward plugin create|\nlist|delete|reset, luaward query, "
	    "luaward stats) on --socket.  Every limit\noption of resolve "
	    "applies.  SIGTERM or SIGINT stops it cleanly; SIGHUP reads\nthe "
	    "state directory again.  Exit status 0 after a clean stop, 2 when "
	    "it cannot\nstart.", argc, argv);
	if (first < argc)
		fatalx("serve takes no arguments (see luaward serve --help)");

	signal(SIGPIPE, SIG_IGN);
	setup_load(&setup, &d->options);
	d->setup = &setup;
	if ((d->loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot start the event loop");
	d->state_dir = xstrdup(d->options.state_dir);
	if ((d->store = store_open(d->state_dir, error, sizeof(error))) ==
	    NULL)
		fatalx("--state-dir %s: %s", d->state_dir, error);
	setup_engine_config(&setup, &d->options, &config);
	d->engine = engine_new(d->loop, &config);
	d->started = monotonic_seconds();
	daemon_sync(d);
	/* A sandbox layer that cannot be applied is known as soon as the
	 * first workers are up: a startup error, not a daemon that serves
	 * nothing. */
	while (!engine_settled(d->engine))
		ev_run(d->loop, EVRUN_ONCE);
	if (engine_startup_error(d->engine) != NULL)
		fatalx("%s", engine_startup_error(d->engine));

	listener_open(&s->listener, d->options.socket_path,
	    d->options.socket_mode, d->options.socket_group);
	d->listen_fd = s->listener.fd;
	d->socket_path = xstrdup(d->options.socket_path);
	ev_io_init(&d->acceptor, on_accept, d->listen_fd, EV_READ);
	d->acceptor.data = d;
	ev_io_start(d->loop, &d->acceptor);
	ev_signal_init(&s->sigterm, on_stop, SIGTERM);
	ev_signal_init(&s->sigint, on_stop, SIGINT);
	ev_signal_init(&s->sighup, on_reload, SIGHUP);
	s->sigterm.data = s->sigint.data = s->sighup.data = s;
	ev_signal_start(d->loop, &s->sigterm);
	ev_signal_start(d->loop, &s->sigint);
	ev_signal_start(d->loop, &s->sighup);
	ev_init(&s->stop_check, on_stop_check);
	s->stop_check.data = s;
	if (d->options.metrics_file != NULL)
		s->metrics = metrics_start(d, d->options.metrics_file);
	log_info("serving %zu plugins from %s on %s", d->registered,
	    d->state_dir, d->options.socket_path);

	ev_run(d->loop, 0);

	metrics_stop(s->metrics);
	listener_close(&s->listener);
	connection_free_all(d);
	for (size_t i = 0; i < d->registered; i++) {
		plugin_unref(d->registry[i].plugin);
		free(d->registry[i].name);
	}
	free(d->registry);
	engine_free(d->engine);
	store_free(d->store);
	setup_free(&setup);
	free(d->state_dir);
	free(d->socket_path);
	free(s);
	log_info("stopped");
	return EXIT_ALL_GOOD;
}
