#include <limits.h>
#include <string.h>
#include <sys/resource.h>

#include "../../ipc/buffer.h"
#include "../json.h"
#include "result.h"
#include "sanitize.h"
#include "stats.h"

static unsigned
bucket_of(uint64_t value)
{
	unsigned exponent;

	if (value < 16)
		return (unsigned)value;
	exponent = 63u - (unsigned)__builtin_clzll(value);
	if (exponent > 47)
		return HISTOGRAM_BUCKETS - 1;
	return 16 + (exponent - 4) * 8 +
	    (unsigned)((value >> (exponent - 3)) & 7);
}

static uint64_t
bucket_floor(unsigned bucket)
{
	unsigned exponent, sub;

	if (bucket < 16)
		return bucket;
	exponent = (bucket - 16) / 8 + 4;
	sub = (bucket - 16) % 8;
	return (8ull + sub) << (exponent - 3);
}

void
histogram_add(struct histogram *h, uint64_t value)
{
	h->buckets[bucket_of(value)]++;
	h->count++;
	h->sum += value;
}

uint64_t
histogram_count_at_most(const struct histogram *h, uint64_t value)
{
	uint64_t n = 0;

	for (unsigned b = 0; b < HISTOGRAM_BUCKETS; b++) {
		if (bucket_floor(b) > value)
			break;
		n += h->buckets[b];
	}
	return n;
}

uint64_t
histogram_quantile(const struct histogram *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	for (unsigned b = 0; b < HISTOGRAM_BUCKETS; b++) {
		seen += h->buckets[b];
		if (seen > rank)
			return bucket_floor(b);
	}
	return bucket_floor(HISTOGRAM_BUCKETS - 1);
}

/* Peak resident memory in KiB of the supervisor, and of the largest worker
 * as sampled from /proc while it lived: at close, or before the supervisor
 * killed it (the children's rusage would count the supervisor's own pages
 * copied before exec). */
static void
peak_memory(const struct plugin_stats *plugins, size_t count,
    long *supervisor_kib, long *worker_kib)
{
	struct rusage self;

	*supervisor_kib = *worker_kib = 0;
	if (getrusage(RUSAGE_SELF, &self) == 0)
		*supervisor_kib = self.ru_maxrss;
	for (size_t i = 0; i < count; i++)
		if (plugins[i].peak_rss_kib > *worker_kib)
			*worker_kib = plugins[i].peak_rss_kib;
}

static void
print_json(FILE *out, const struct run_stats *run,
    const char *const *names, const struct plugin_stats *plugins,
    size_t count, double elapsed)
{
	struct buffer b = { 0 };
	long supervisor_kib, worker_kib;

	peak_memory(plugins, count, &supervisor_kib, &worker_kib);
	fprintf(out, "{\"records\":%llu,\"seconds\":%.3f,"
	    "\"supervisor_peak_rss_kib\":%ld,\"worker_peak_rss_kib\":%ld",
	    (unsigned long long)run->records, elapsed, supervisor_kib,
	    worker_kib);
	for (int s = STATUS_RESOLVED; s <= STATUS_INVALID; s++)
		fprintf(out, ",\"%s\":%llu", job_status_name((enum job_status)s),
		    (unsigned long long)run->by_status[s]);
	fprintf(out, ",\"without_name_or_uid\":%llu",
	    (unsigned long long)run->anonymous);
	fprintf(out, ",\"plugins\":[");
	for (size_t i = 0; i < count; i++) {
		const struct plugin_stats *p = &plugins[i];

		buffer_clear(&b);
		(void)json_append_string(&b, names[i], strlen(names[i]));
		fprintf(out, "%s{\"name\":%.*s,\"calls\":%llu,\"errors\":{",
		    i > 0 ? "," : "", (int)buffer_length(&b), buffer_bytes(&b),
		    (unsigned long long)p->calls);
		for (int k = 0; k < ERROR_KIND_COUNT; k++)
			fprintf(out, "%s\"%s\":%llu", k > 0 ? "," : "",
			    error_kind_name((enum error_kind)k),
			    (unsigned long long)p->errors[k]);
		fprintf(out, "},\"restarts\":%llu,\"quarantines\":%llu,"
		    "\"quarantined\":%s,\"log_lines_dropped\":%llu,"
		    "\"latency_us\":{\"p50\":%llu,"
		    "\"p99\":%llu}}", (unsigned long long)p->restarts,
		    (unsigned long long)p->quarantines,
		    p->quarantined ? "true" : "false",
		    (unsigned long long)p->log_lines_dropped,
		    (unsigned long long)histogram_quantile(&p->latency_us, 0.5),
		    (unsigned long long)histogram_quantile(&p->latency_us,
		    0.99));
	}
	fprintf(out, "]}\n");
	buffer_free(&b);
}

void
stats_print(FILE *out, bool json, const struct run_stats *run,
    const char *const *names, const struct plugin_stats *plugins,
    size_t count, double elapsed)
{
	long supervisor_kib, worker_kib;

	if (json) {
		print_json(out, run, names, plugins, count, elapsed);
		return;
	}
	peak_memory(plugins, count, &supervisor_kib, &worker_kib);
	fprintf(out, "luaward: %llu records in %.3f s (%.0f/s): %llu resolved, "
	    "%llu unresolved, %llu unsupported, %llu invalid\n",
	    (unsigned long long)run->records, elapsed,
	    elapsed > 0 ? (double)run->records / elapsed : 0.0,
	    (unsigned long long)run->by_status[STATUS_RESOLVED],
	    (unsigned long long)run->by_status[STATUS_UNRESOLVED],
	    (unsigned long long)run->by_status[STATUS_UNSUPPORTED],
	    (unsigned long long)run->by_status[STATUS_INVALID]);
	if (run->anonymous > 0)
		fprintf(out, "luaward: warning: %llu records with neither "
		    "metadata.name nor uid (probably not pod metadata)\n",
		    (unsigned long long)run->anonymous);
	fprintf(out, "luaward: peak memory: supervisor %ld KiB, largest worker "
	    "%ld KiB\n", supervisor_kib, worker_kib);
	for (size_t i = 0; i < count; i++) {
		const struct plugin_stats *p = &plugins[i];
		uint64_t failures = 0;
		char name[SANITIZE_GROWTH * NAME_MAX + 1];

		for (int k = 0; k < ERROR_KIND_COUNT; k++)
			failures += p->errors[k];
		/* A plugin's name is its file's: shown cleaned. */
		sanitize(name, sizeof(name), names[i], strlen(names[i]));
		fprintf(out, "luaward: plugin %s: %llu calls, p50 %llu us, p99 "
		    "%llu us, %llu restarts%s", name,
		    (unsigned long long)p->calls,
		    (unsigned long long)histogram_quantile(&p->latency_us, 0.5),
		    (unsigned long long)histogram_quantile(&p->latency_us,
		    0.99), (unsigned long long)p->restarts,
		    p->quarantined ? ", quarantined" : "");
		if (p->log_lines_dropped > 0)
			fprintf(out, ", %llu log lines dropped",
			    (unsigned long long)p->log_lines_dropped);
		if (failures > 0)
			fprintf(out, ", errors:");
		for (int k = 0; k < ERROR_KIND_COUNT; k++)
			if (p->errors[k] > 0)
				fprintf(out, " %s %llu",
				    error_kind_name((enum error_kind)k),
				    (unsigned long long)p->errors[k]);
		fputc('\n', out);
	}
}
