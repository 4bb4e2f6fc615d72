#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "daemon.h"
#include "../log.h"
#include "metrics.h"
#include "../output/result.h"

struct metrics {
	struct daemon	*daemon;
	char		*path, *temporary;
	ev_timer	 timer;
	bool		 warned;
};

/* Call-latency bucket bounds, in seconds. */
static const double bounds[] = {
	0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
	1, 5,
};

static int
put(struct buffer *out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int
put(struct buffer *out, const char *format, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(line, sizeof(line), format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return buffer_append(out, line, (size_t)n);
}

/* A label value as the exposition format quotes it.  Plugin names are of
 * a safe set already; this holds whatever they become. */
static const char *
label(const char *value, char *quoted, size_t size)
{
	size_t n = 0;

	for (; *value != '\0' && n + 3 < size; value++) {
		if (*value == '\\' || *value == '"')
			quoted[n++] = '\\';
		if (*value == '\n') {
			quoted[n++] = '\\';
			quoted[n++] = 'n';
			continue;
		}
		quoted[n++] = *value;
	}
	quoted[n] = '\0';
	return quoted;
}

static int
family(struct buffer *out, const char *name, const char *type,
    const char *help)
{
	return put(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int
metrics_render(struct daemon *d, struct buffer *out)
{
	int failed = 0;

	failed |= family(out, "luaward_records_total", "counter",
	    "Records answered by the daemon's queries, by status.");
	for (int s = STATUS_RESOLVED; s <= STATUS_INVALID; s++)
		failed |= put(out, "luaward_records_total{status=\"%s\"} %llu\n",
		    job_status_name((enum job_status)s),
		    (unsigned long long)d->totals.by_status[s]);
	failed |= family(out, "luaward_plugins", "gauge",
	    "Plugins in the chain.");
	failed |= put(out, "luaward_plugins %zu\n", d->registered);
	failed |= family(out, "luaward_connections", "gauge",
	    "Clients connected to the control socket.");
	failed |= put(out, "luaward_connections %zu\n", d->connection_count);
	failed |= family(out, "luaward_plugin_calls_total", "counter",
	    "Calls of each plugin, answered or failed.");
	failed |= family(out, "luaward_plugin_errors_total", "counter",
	    "Errors of each plugin on output lines, by kind.");
	failed |= family(out, "luaward_plugin_restarts_total", "counter",
	    "Workers of each plugin started again after a failure.");
	failed |= family(out, "luaward_plugin_quarantined", "gauge",
	    "1 while the plugin is quarantined.");
	failed |= family(out, "luaward_plugin_call_duration_seconds",
	    "histogram", "How long each call took, as the daemon measured it.");
	for (size_t i = 0; i < d->registered; i++) {
		struct plugin_stats st;
		char name[256];

		plugin_stats(d->registry[i].plugin, &st);
		label(d->registry[i].name, name, sizeof(name));
		failed |= put(out, "luaward_plugin_calls_total{plugin=\"%s\"} "
		    "%llu\n", name, (unsigned long long)st.calls);
		for (int k = 0; k < ERROR_KIND_COUNT; k++)
			failed |= put(out, "luaward_plugin_errors_total{plugin="
			    "\"%s\",kind=\"%s\"} %llu\n", name,
			    error_kind_name((enum error_kind)k),
			    (unsigned long long)st.errors[k]);
		failed |= put(out, "luaward_plugin_restarts_total{plugin="
		    "\"%s\"} %llu\n", name, (unsigned long long)st.restarts);
		failed |= put(out, "luaward_plugin_quarantined{plugin=\"%s\"} "
		    "%d\n", name, st.quarantined ? 1 : 0);
		for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++)
			failed |= put(out, "luaward_plugin_call_duration_seconds"
			    "_bucket{plugin=\"%s\",le=\"%g\"} %llu\n", name,
			    bounds[b], (unsigned long long)
			    histogram_count_at_most(&st.latency_us,
			    (uint64_t)(bounds[b] * 1e6)));
		failed |= put(out, "luaward_plugin_call_duration_seconds_bucket"
		    "{plugin=\"%s\",le=\"+Inf\"} %llu\n", name,
		    (unsigned long long)st.latency_us.count);
		failed |= put(out, "luaward_plugin_call_duration_seconds_sum"
		    "{plugin=\"%s\"} %.6f\n", name,
		    (double)st.latency_us.sum / 1e6);
		failed |= put(out, "luaward_plugin_call_duration_seconds_count"
		    "{plugin=\"%s\"} %llu\n", name,
		    (unsigned long long)st.latency_us.count);
	}
	return failed ? -1 : 0;
}

static void
write_now(struct metrics *m)
{
	struct buffer out = { 0 };
	size_t done = 0;
	int fd;

	if (metrics_render(m->daemon, &out) == -1 || (fd = open(m->temporary,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)) == -1)
		goto fail;
	while (done < buffer_length(&out)) {
		ssize_t n = write(fd, buffer_bytes(&out) + done,
		    buffer_length(&out) - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			(void)unlink(m->temporary);
			goto fail;
		}
		done += (size_t)n;
	}
	if (close(fd) == -1 || rename(m->temporary, m->path) == -1) {
		(void)unlink(m->temporary);
		goto fail;
	}
	m->warned = false;
	buffer_free(&out);
	return;
fail:
	/* Said once until it works again: a full disk must not flood. */
	if (!m->warned)
		log_warn("writing --metrics-file %s", m->path);
	m->warned = true;
	buffer_free(&out);
}

static void
on_timer(struct ev_loop *loop, ev_timer *timer, int events)
{
	(void)loop;
	(void)events;
	write_now(timer->data);
}

struct metrics *
metrics_start(struct daemon *d, const char *path)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	m->daemon = d;
	m->path = xstrdup(path);
	if (asprintf(&m->temporary, "%s.tmp", path) == -1)
		fatalx("out of memory");
	ev_timer_init(&m->timer, on_timer, METRICS_INTERVAL_S,
	    METRICS_INTERVAL_S);
	m->timer.data = m;
	ev_timer_start(d->loop, &m->timer);
	write_now(m);
	return m;
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	write_now(m);
	ev_timer_stop(m->daemon->loop, &m->timer);
	free(m->path);
	free(m->temporary);
	free(m);
}
