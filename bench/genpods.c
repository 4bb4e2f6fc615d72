/*
 * make bench's own corpus generator, for when the reference generator is
 * not beside the tree: JSON Lines, one compact pod metadata object per
 * line (what a plugin is handed), about 800 bytes each times SIZE_MULT.
 * Three pods in ten carry an opengauss.cluster label; owners are mostly
 * ReplicaSets (with the pod-template-hash label), then StatefulSets,
 * DaemonSets, Jobs and OpenGaussClusters; one pod in ten has no owner.
 * The same arguments give the same bytes on every machine.
 *
 *     genpods COUNT [SEED [SIZE_MULT]] > pods.jsonl
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AVERAGE_BYTES	800

static uint64_t state;

static uint64_t
next(void)
{
	/* xorshift64*: repeatable across machines, no libc rand() state. */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 2685821657736338717ULL;
}

static unsigned
below(unsigned n)
{
	return (unsigned)(next() % n);
}

/* Appends printf output to the record being built. */
static void
add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len) {
		fprintf(stderr, "genpods: record larger than %zu bytes\n", cap);
		exit(1);
	}
	*len += (size_t)n;
}

static void
hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++)
		out[i] = digits[below(16)];
	out[n] = '\0';
}

int
main(int argc, char **argv)
{
	static const char *const apps[] = {
		"nginx", "redis", "postgres", "kafka", "grafana", "coredns",
		"api-gateway", "user-service", "order-service", "frontend",
	};
	static const char *const namespaces[] = {
		"default", "kube-system", "monitoring", "opengauss", "payments",
		"checkout", "logging", "data-platform",
	};
	static char rec[1 << 20];
	char h[1025], hash[11], uid[9], owner[128], kind[32];
	double mult = 1.0;
	long count;

	if (argc < 2 || argc > 4 || (count = strtol(argv[1], NULL, 10)) <= 0 ||
	    (argc > 3 && ((mult = strtod(argv[3], NULL)) < 0.1 ||
	    mult > 100))) {
		fprintf(stderr, "usage: genpods COUNT [SEED [SIZE_MULT]]\n");
		return 2;
	}
	state = argc > 2 ? strtoull(argv[2], NULL, 10) | 1 :
	    88172645463325252ULL;
	for (long i = 0; i < count; i++) {
		size_t len = 0, target, cap = sizeof(rec) - 2;
		unsigned roll = below(100), og = below(10) < 3;
		const char *app = og ? "opengauss" : apps[below(10)];

		/* Half to one and a half times the mean: mean is on target. */
		target = (size_t)(AVERAGE_BYTES * mult *
		    (0.5 + (double)below(1001) / 1000.0));
		hex(hash, 10);
		if (roll < 45)
			snprintf(kind, sizeof(kind), "ReplicaSet");
		else if (roll < 65)
			snprintf(kind, sizeof(kind), "StatefulSet");
		else if (roll < 77)
			snprintf(kind, sizeof(kind), "DaemonSet");
		else if (roll < 83)
			snprintf(kind, sizeof(kind), "Job");
		else if (roll < 90)
			snprintf(kind, sizeof(kind), "OpenGaussCluster");
		else
			kind[0] = '\0';
		if (strcmp(kind, "ReplicaSet") == 0)
			snprintf(owner, sizeof(owner), "%s-%ld-%s", app, i % 97,
			    hash);
		else if (strcmp(kind, "Job") == 0)
			snprintf(owner, sizeof(owner), "%s-%ld-%u", app, i % 97,
			    28000000 + below(999999));
		else
			snprintf(owner, sizeof(owner), "%s-%ld", app, i % 97);
		add(rec, cap, &len, "{\"name\":\"%s-%05lx\",\"namespace\":\"%s\","
		    "\"uid\":\"%08" PRIx64 "-2222-4000-8000-%012" PRIx64 "\","
		    "\"resourceVersion\":\"%ld\",\"creationTimestamp\":"
		    "\"2024-08-07T02:08:14Z\",\"labels\":{\"app\":\"%s\","
		    "\"app.kubernetes.io/name\":\"%s\",\"team\":\"core\"",
		    owner, (unsigned long)(i & 0xfffff),
		    namespaces[below(8)], (uint64_t)(next() & 0xffffffff),
		    (uint64_t)(next() & 0xffffffffffffULL), 1000000 + i, app, app);
		if (strcmp(kind, "ReplicaSet") == 0)
			add(rec, cap, &len, ",\"pod-template-hash\":\"%s\"", hash);
		if (og)
			add(rec, cap, &len, ",\"opengauss.cluster\":\"og-%ld\","
			    "\"opengauss.role\":\"primary\"", i % 7);
		add(rec, cap, &len, "}");
		if (kind[0] != '\0') {
			hex(uid, 8);
			add(rec, cap, &len, ",\"ownerReferences\":[{\"apiVersion\":"
			    "\"apps/v1\",\"kind\":\"%s\",\"name\":\"%s\",\"uid\":"
			    "\"%s-1111-4000-8000-%012" PRIx64 "\",\"controller\":"
			    "true,\"blockOwnerDeletion\":true}]", kind, owner, uid,
			    (uint64_t)(next() & 0xffffffffffffULL));
		}
		/* Annotations fill the record up to its size. */
		hex(h, 64);
		add(rec, cap, &len, ",\"annotations\":{\"checksum/config\":\"%s\"",
		    h);
		for (int n = 0; len + 40 < target; n++) {
			size_t room = target - len - 40;

			hex(h, room > 1024 ? 1024 : room < 8 ? 8 : room);
			add(rec, cap, &len, ",\"example.com/note-%d\":\"%s\"", n,
			    h);
		}
		add(rec, cap, &len, "}}\n");
		if (fwrite(rec, 1, len, stdout) != len) {
			perror("genpods: write");
			return 1;
		}
	}
	if (fflush(stdout) == EOF) {
		perror("genpods: write");
		return 1;
	}
	return 0;
}
