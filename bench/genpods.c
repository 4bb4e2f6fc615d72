/*
 * Generates a `kubectl get pods -A -o json` List of N realistic pods (about
 * 800 bytes of metadata each: annotations, labels, one owner) for make
 * bench.  A fifth of the pods belong to OpenGauss clusters, so the seed
 * plugin resolves them; the rest are Deployments' and DaemonSets' pods.
 *
 *     genpods COUNT [SEED] > pods.json
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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

int
main(int argc, char **argv)
{
	static const char *const kinds[] = {
		"OpenGaussCluster", "ReplicaSet", "ReplicaSet", "DaemonSet",
		"StatefulSet",
	};
	long count;

	if (argc < 2 || (count = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: genpods COUNT [SEED]\n");
		return 2;
	}
	state = argc > 2 ? strtoull(argv[2], NULL, 10) | 1 : 88172645463325252ULL;
	printf("{\"apiVersion\":\"v1\",\"items\":[");
	for (long i = 0; i < count; i++) {
		const char *kind = kinds[next() % 5];
		uint64_t a = next(), b = next();

		printf("%s{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
		    "\"annotations\":{\"checksum/config\":\"%016" PRIx64 "%016"
		    PRIx64 "\",\"cni.projectcalico.org/containerID\":\"%016"
		    PRIx64 "%016" PRIx64 "\",\"cni.projectcalico.org/podIP\":"
		    "\"10.%u.%u.%u/32\",\"cni.projectcalico.org/podIPs\":"
		    "\"10.%u.%u.%u/32\"},\"creationTimestamp\":"
		    "\"2024-08-07T02:08:14Z\",\"labels\":{\"app\":\"app-%ld\","
		    "\"app.kubernetes.io/part-of\":\"shop\",\"component\":\"backend\",\"controller-revision-hash\":"
		    "\"%08" PRIx64 "\",\"pod-template-generation\":\"1\"},"
		    "\"name\":\"pod-%ld-%05" PRIx64 "\",\"namespace\":\"ns-%ld\","
		    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
		    "\"blockOwnerDeletion\":true,\"controller\":true,\"kind\":"
		    "\"%s\",\"name\":\"owner-%ld\",\"uid\":\"%08" PRIx64
		    "-1111-4000-8000-%012" PRIx64 "\"}],\"resourceVersion\":"
		    "\"%ld\",\"uid\":\"%08" PRIx64 "-2222-4000-8000-%012" PRIx64
		    "\"},\"spec\":{\"nodeName\":\"node-%ld\"},\"status\":"
		    "{\"phase\":\"Running\",\"podIP\":\"10.%u.%u.%u\"}}",
		    i > 0 ? "," : "", a, b, b, a,
		    (unsigned)(i >> 16 & 255), (unsigned)(i >> 8 & 255),
		    (unsigned)(i & 255), (unsigned)(i >> 16 & 255),
		    (unsigned)(i >> 8 & 255), (unsigned)(i & 255), i % 97,
		    a & 0xffffffff, i, b & 0xfffff, i % 13, kind, i % 500,
		    a & 0xffffffff, (uint64_t)(b & 0xffffffffffffULL), 1000000 + i,
		    b & 0xffffffff, (uint64_t)(a & 0xffffffffffffULL), i % 20,
		    (unsigned)(i >> 16 & 255), (unsigned)(i >> 8 & 255),
		    (unsigned)(i & 255));
	}
	printf("],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}"
	    "\n");
	return 0;
}
