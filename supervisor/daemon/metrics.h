/*
 * --metrics-file: the daemon's counters in Prometheus's text format,
 * written every few seconds to a temporary file and renamed into place,
 * so that node_exporter's textfile collector never reads half a file.
 */
#ifndef LUAWARD_SUPERVISOR_METRICS_H
#define LUAWARD_SUPERVISOR_METRICS_H

#include "../../ipc/buffer.h"

#define METRICS_INTERVAL_S	5.0

struct daemon;
struct metrics;

struct metrics	*metrics_start(struct daemon *, const char *path);
/* Writes once more, then stops. */
void		 metrics_stop(struct metrics *);
/* The text as it would be written now (tests and the writer). */
int		 metrics_render(struct daemon *, struct buffer *out);

#endif
