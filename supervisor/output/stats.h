/*
 * Run statistics: counters per plugin and a latency histogram of constant
 * size (log-linear buckets, within 12.5% of the true value), so that stats
 * cost the same for ten records as for ten million.
 */
#ifndef LUAWARD_SUPERVISOR_STATS_H
#define LUAWARD_SUPERVISOR_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../engine/job.h"

#define HISTOGRAM_BUCKETS	(16 + 44 * 8)

struct histogram {
	uint64_t	 buckets[HISTOGRAM_BUCKETS];
	uint64_t	 count;
	uint64_t	 sum;
};

void	 histogram_add(struct histogram *, uint64_t value);
/* How many samples are at most value (to the bucket: within 12.5%). */
uint64_t histogram_count_at_most(const struct histogram *, uint64_t value);
/* The value below which a fraction q (0..1) of the samples fall. */
uint64_t histogram_quantile(const struct histogram *, double q);

struct plugin_stats {
	uint64_t	 calls;		/* answers and failures */
	uint64_t	 errors[ERROR_KIND_COUNT];	/* on output lines */
	uint64_t	 restarts;
	uint64_t	 quarantines;
	bool		 quarantined;	/* at the end of the run */
	long		 peak_rss_kib;	/* largest worker, sampled at the end */
	uint64_t	 log_lines_dropped;	/* by a rate limit */
	struct histogram latency_us;
};

struct run_stats {
	uint64_t	 records;
	uint64_t	 by_status[STATUS_INVALID + 1];
	/* Records with neither metadata.name nor uid: almost certainly not
	 * pod metadata (a watch event or a Status read as metadata...). */
	uint64_t	 anonymous;
};

/* Human summary or one JSON object, for --stats / --stats=json. */
void	 stats_print(FILE *, bool json, const struct run_stats *,
	     const char *const *plugin_names, const struct plugin_stats *,
	     size_t plugin_count, double elapsed_seconds);

#endif
