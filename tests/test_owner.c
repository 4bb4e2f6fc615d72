/*
 * The owner fallback (supervisor/engine/owner.h): each rule on metadata shaped as
 * the API server sends it, the owners it must leave to plugins, and the
 * shapes it must refuse without guessing.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/engine/owner.h"
#include "helpers.h"
#include "reader_support.h"
#include "suites.h"

#define HASH	"7c5ddbdf54"

/* One ownerReferences entry; controller is "true", "false" or NULL
 * (left out). */
static char *
ref(const char *api_version, const char *kind, const char *name,
    const char *controller)
{
	char *s;

	ck_assert_int_ne(asprintf(&s, "{\"apiVersion\":\"%s\",\"kind\":\"%s\","
	    "\"name\":\"%s\",\"uid\":\"d4e5f6a7-2222-4b3c-8d4e-5f6a7b8c9d0e\"%s%s"
	    "%s}", api_version, kind, name, controller != NULL ?
	    ",\"controller\":" : "", controller != NULL ? controller : "",
	    controller != NULL ? ",\"blockOwnerDeletion\":true" : ""), -1);
	return s;
}

/* Pod metadata as the API server writes it; labels and owners are the
 * JSON of those members, or NULL to leave them out.  Takes owners. */
static char *
pod(const char *labels, char *owners)
{
	char *s;

	ck_assert_int_ne(asprintf(&s, "{\"name\":\"web-" HASH "-x8k2p\","
	    "\"generateName\":\"web-" HASH "-\",\"namespace\":\"shop\","
	    "\"uid\":\"a1b2c3d4-0000-4e5f-8a9b-0c1d2e3f4a5b\","
	    "\"resourceVersion\":\"1476735\","
	    "\"creationTimestamp\":\"2024-08-07T02:08:14Z\"%s%s,"
	    "\"annotations\":{\"cni.projectcalico.org/podIP\":\"10.244.2.20/32\"}"
	    "%s%s}", labels != NULL ? ",\"labels\":" : "",
	    labels != NULL ? labels : "",
	    owners != NULL ? ",\"ownerReferences\":" : "",
	    owners != NULL ? owners : ""), -1);
	free(owners);
	return s;
}

/* ownerReferences holding the given entries (taken). */
static char *
refs(char *first, ...)
{
	char *list = NULL, *next;
	size_t length = 0;
	FILE *f = open_memstream(&list, &length);
	va_list ap;

	ck_assert_ptr_nonnull(f);
	fputc('[', f);
	va_start(ap, first);
	for (char *r = first; r != NULL; r = next) {
		next = va_arg(ap, char *);
		fputs(r, f);
		if (next != NULL)
			fputc(',', f);
		free(r);
	}
	va_end(ap);
	fputc(']', f);
	fclose(f);
	return list;
}

static char *
one(const char *api_version, const char *kind, const char *name)
{
	return refs(ref(api_version, kind, name, "true"), NULL);
}

static void
expect_answer(char *metadata, const char *type, const char *name,
    bool supported)
{
	struct owner_answer a;
	char error[256] = "";
	int rc = owner_resolve(metadata, strlen(metadata), &a, error,
	    sizeof(error));

	ck_assert_msg(rc == 1, "%s: returned %d (%s), not an answer",
	    metadata, rc, error);
	ck_assert_str_eq(a.type, type);
	ck_assert_str_eq(a.name, name);
	ck_assert_uint_eq(a.name_length, strlen(name));
	ck_assert_int_eq(a.supported, supported);
	free(metadata);
}

static void
expect_none(char *metadata)
{
	struct owner_answer a;
	char error[256] = "";
	int rc = owner_resolve(metadata, strlen(metadata), &a, error,
	    sizeof(error));

	ck_assert_msg(rc == 0, "%s: returned %d (%s %s), not \"no answer\"",
	    metadata, rc, rc == 1 ? a.type : error, rc == 1 ? a.name : "");
	ck_assert_ptr_null(a.type);
	free(metadata);
}

static void
expect_error(char *metadata, const char *message)
{
	struct owner_answer a;
	char error[256] = "";
	int rc = owner_resolve(metadata, strlen(metadata), &a, error,
	    sizeof(error));

	ck_assert_msg(rc == -1, "%s: returned %d, not an error", metadata, rc);
	ck_assert_str_eq(error, message);
	ck_assert_ptr_null(a.type);
	free(metadata);
}

START_TEST(test_replicaset_named_by_its_deployment_is_the_deployment)
{
	expect_answer(pod("{\"app\":\"web\",\"pod-template-hash\":\"" HASH "\"}",
	    one("apps/v1", "ReplicaSet", "web-" HASH)), "Deployment", "web",
	    true);
	/* The Deployment's own name may hold dashes and digits. */
	expect_answer(pod("{\"pod-template-hash\":\"58b4f9c6d\"}",
	    one("apps/v1", "ReplicaSet", "order-api-v2-58b4f9c6d")),
	    "Deployment", "order-api-v2", true);
	/* The old group of ReplicaSets. */
	expect_answer(pod("{\"pod-template-hash\":\"" HASH "\"}",
	    one("extensions/v1beta1", "ReplicaSet", "web-" HASH)), "Deployment",
	    "web", true);
}
END_TEST

START_TEST(test_replicaset_without_its_hash_stays_a_replicaset)
{
	/* No labels at all; labels without the hash; labels null. */
	expect_answer(pod(NULL, one("apps/v1", "ReplicaSet", "web-" HASH)),
	    "ReplicaSet", "web-" HASH, true);
	expect_answer(pod("{\"app\":\"web\"}", one("apps/v1", "ReplicaSet",
	    "web-" HASH)), "ReplicaSet", "web-" HASH, true);
	expect_answer(pod("null", one("apps/v1", "ReplicaSet", "web-" HASH)),
	    "ReplicaSet", "web-" HASH, true);
	/* A hash that is not the name's suffix. */
	expect_answer(pod("{\"pod-template-hash\":\"6b7c8d9f0\"}",
	    one("apps/v1", "ReplicaSet", "web-" HASH)), "ReplicaSet",
	    "web-" HASH, true);
	/* The suffix without its dash; the hash as the whole name; an
	 * empty hash. */
	expect_answer(pod("{\"pod-template-hash\":\"" HASH "\"}",
	    one("apps/v1", "ReplicaSet", "web" HASH)), "ReplicaSet",
	    "web" HASH, true);
	expect_answer(pod("{\"pod-template-hash\":\"" HASH "\"}",
	    one("apps/v1", "ReplicaSet", "-" HASH)), "ReplicaSet", "-" HASH,
	    true);
	expect_answer(pod("{\"pod-template-hash\":\"\"}", one("apps/v1",
	    "ReplicaSet", "web-")), "ReplicaSet", "web-", true);
	/* A hash label on a pod whose owner is not a ReplicaSet changes
	 * nothing. */
	expect_answer(pod("{\"pod-template-hash\":\"" HASH "\"}",
	    one("apps/v1", "StatefulSet", "web-" HASH)), "StatefulSet",
	    "web-" HASH, true);
}
END_TEST

START_TEST(test_strings_are_compared_decoded)
{
	/* "\u002d" is '-', and the last of duplicate labels counts. */
	expect_answer(pod("{\"pod-template-hash\":\"zzz\",\"pod-template-hash\":"
	    "\"" HASH "\"}", one("apps/v1", "Replica\\u0053et",
	    "web\\u002d" HASH)), "Deployment", "web", true);
}
END_TEST

START_TEST(test_statefulset_daemonset_replicationcontroller_as_they_are)
{
	expect_answer(pod(NULL, one("apps/v1", "StatefulSet", "ogtest")),
	    "StatefulSet", "ogtest", true);
	expect_answer(pod("{\"controller-revision-hash\":\"6d8f9c7b5\","
	    "\"pod-template-generation\":\"3\"}", one("apps/v1", "DaemonSet",
	    "kube-proxy")), "DaemonSet", "kube-proxy", true);
	expect_answer(pod(NULL, one("extensions/v1beta1", "DaemonSet",
	    "fluentd")), "DaemonSet", "fluentd", true);
	expect_answer(pod(NULL, one("apps/v1beta2", "StatefulSet", "zk")),
	    "StatefulSet", "zk", true);
	expect_answer(pod(NULL, one("v1", "ReplicationController", "legacy")),
	    "ReplicationController", "legacy", true);
}
END_TEST

START_TEST(test_job_stamped_by_the_cronjob_controller_is_the_cronjob)
{
	expect_answer(pod("{\"job-name\":\"backup-28512345\"}",
	    one("batch/v1", "Job", "backup-28512345")), "CronJob", "backup",
	    false);
	/* The name is split at its last dash. */
	expect_answer(pod(NULL, one("batch/v1", "Job",
	    "nightly-report-29000000")), "CronJob", "nightly-report", false);
	/* The first minute of 2020, and the last eight digits hold. */
	expect_answer(pod(NULL, one("batch/v1", "Job", "a-26297280")),
	    "CronJob", "a", false);
	expect_answer(pod(NULL, one("batch/v1", "Job", "a-99999999")),
	    "CronJob", "a", false);
	/* A CronJob's name is at most 52 characters. */
	expect_answer(pod(NULL, one("batch/v1", "Job",
	    "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh-28512345")),
	    "CronJob", "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh",
	    false);
}
END_TEST

START_TEST(test_job_names_the_controller_cannot_make_stay_jobs)
{
	static const char *names[] = {
		"migrate-1",			/* a hand-made job */
		"backup-20240101",		/* a date: 2008 as minutes */
		"a-26297279",			/* the minute before 2020 */
		"sync-1700000000",		/* seconds, not minutes */
		"a-4324967296",			/* 2^32 + a plausible minute */
		"a-028512345",			/* a leading zero */
		"report-202401011200",		/* a timestamp */
		"backup-2851234a",		/* not all digits */
		"backup-+2851234",
		"-28512345",			/* no CronJob name */
		"backup28512345",		/* no dash */
		"backup-",
		/* 53 characters before the stamp: no CronJob has that name. */
		"abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghi-28512345",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		expect_answer(pod(NULL, one("batch/v1", "Job", names[i])),
		    "Job", names[i], false);
}
END_TEST

START_TEST(test_controller_reference_wins_over_the_first)
{
	expect_answer(pod(NULL, refs(ref("opengauss.sig/v1",
	    "OpenGaussCluster", "ogtest", "false"), ref("apps/v1",
	    "StatefulSet", "ogtest", "true"), ref("v1", "ConfigMap", "conf",
	    NULL), NULL)), "StatefulSet", "ogtest", true);
	/* Even when the first one would have answered. */
	expect_none(pod(NULL, refs(ref("apps/v1", "StatefulSet", "db", NULL),
	    ref("opengauss.sig/v1", "OpenGaussCluster", "ogtest", "true"),
	    NULL)));
}
END_TEST

START_TEST(test_first_reference_when_none_is_controller)
{
	expect_answer(pod(NULL, refs(ref("apps/v1", "DaemonSet", "agent",
	    "false"), ref("apps/v1", "StatefulSet", "db", NULL), NULL)),
	    "DaemonSet", "agent", true);
	expect_none(pod(NULL, refs(ref("example.com/v1", "Widget", "w", NULL),
	    ref("apps/v1", "StatefulSet", "db", "false"), NULL)));
	/* "controller": null is no flag. */
	expect_answer(pod(NULL, refs(ref("apps/v1", "DaemonSet", "agent",
	    "null"), NULL)), "DaemonSet", "agent", true);
}
END_TEST

START_TEST(test_other_owners_are_left_to_plugins)
{
	/* A custom resource, as the sample OpenGauss pods have. */
	expect_none(pod(NULL, one("opengauss.sig/v1", "OpenGaussCluster",
	    "ogtest")));
	/* Built-in kinds served by other groups: OpenKruise's Advanced
	 * StatefulSet and DaemonSet, Volcano's Job. */
	expect_none(pod(NULL, one("apps.kruise.io/v1beta1", "StatefulSet",
	    "web")));
	expect_none(pod(NULL, one("apps.kruise.io/v1alpha1", "DaemonSet",
	    "agent")));
	expect_none(pod(NULL, one("batch.volcano.sh/v1alpha1", "Job",
	    "train-28512345")));
	expect_none(pod(NULL, one("apps.kruise.io/v1alpha1", "CloneSet",
	    "web")));
	/* A ReplicaSet in the core group does not exist. */
	expect_none(pod(NULL, one("v1", "ReplicaSet", "web-" HASH)));
	/* A static pod's mirror is owned by its Node. */
	expect_none(pod(NULL, one("v1", "Node", "node-1")));
	/* Kinds are matched exactly, as the API spells them. */
	expect_none(pod(NULL, one("apps/v1", "statefulset", "web")));
	expect_none(pod(NULL, one("apps/v1", "StatefulSets", "web")));
	/* A Deployment never owns pods itself. */
	expect_none(pod(NULL, one("apps/v1", "Deployment", "web")));
	/* An apiVersion that is not group/version. */
	expect_none(pod(NULL, one("/v1", "StatefulSet", "web")));
	expect_none(pod(NULL, one("apps/", "StatefulSet", "web")));
	expect_none(pod(NULL, one("", "ReplicationController", "web")));
}
END_TEST

START_TEST(test_no_owner_is_no_answer)
{
	expect_none(pod("{\"app\":\"debug\"}", NULL));
	expect_none(pod(NULL, strdup("null")));
	expect_none(pod(NULL, strdup("[]")));
	expect_none(strdup("{}"));
}
END_TEST

START_TEST(test_unexpected_shapes_are_errors)
{
	expect_error(pod(NULL, strdup("{\"kind\":\"StatefulSet\"}")),
	    "ownerReferences is an object, not an array");
	expect_error(pod(NULL, strdup("\"web\"")),
	    "ownerReferences is a string, not an array");
	expect_error(pod(NULL, strdup("[\"web\"]")),
	    "ownerReferences[0] is a string, not an object");
	expect_error(pod(NULL, refs(ref("apps/v1", "StatefulSet", "db", NULL),
	    strdup("[]"), NULL)),
	    "ownerReferences[1] is an array, not an object");
	expect_error(pod(NULL, refs(ref("apps/v1", "StatefulSet", "db",
	    "\"true\""), NULL)),
	    "ownerReferences[0].controller is a string, not a boolean");
	expect_error(pod(NULL, refs(ref("apps/v1", "StatefulSet", "a", "true"),
	    ref("apps/v1", "StatefulSet", "b", "false"), ref("apps/v1",
	    "DaemonSet", "c", "true"), NULL)),
	    "ownerReferences[0] and [2] are both marked controller");
	expect_error(pod(NULL, strdup("[{\"apiVersion\":\"apps/v1\","
	    "\"kind\":7,\"name\":\"db\"}]")),
	    "ownerReferences[0].kind is a number, not a string");
	expect_error(pod(NULL, strdup("[{\"apiVersion\":\"apps/v1\","
	    "\"kind\":\"StatefulSet\"}]")), "ownerReferences[0] has no name");
	expect_error(pod(NULL, strdup("[{\"kind\":\"StatefulSet\","
	    "\"name\":\"db\"}]")), "ownerReferences[0] has no apiVersion");
	expect_error(pod(NULL, strdup("[{\"apiVersion\":null,"
	    "\"kind\":\"StatefulSet\",\"name\":\"db\"}]")),
	    "ownerReferences[0].apiVersion is null, not a string");
	expect_error(pod(NULL, one("apps/v1", "StatefulSet", "")),
	    "ownerReferences[0].name is empty");
	expect_error(pod("[\"a\"]", one("apps/v1", "ReplicaSet", "web-" HASH)),
	    "labels is an array, not an object");
	expect_error(pod("{\"pod-template-hash\":7}", one("apps/v1",
	    "ReplicaSet", "web-" HASH)),
	    "labels.pod-template-hash is a number, not a string");
	expect_error(strdup("[]"), "the metadata is an array, not an object");
	expect_error(strdup("{\"ownerReferences\":[}"),
	    "byte offset 20: expected a value, found '}'");
}
END_TEST

START_TEST(test_names_longer_than_kubernetes_allows_are_errors)
{
	char name[300];

	memset(name, 'a', 253);
	name[253] = '\0';
	expect_answer(pod(NULL, one("apps/v1", "StatefulSet", name)),
	    "StatefulSet", name, true);
	name[253] = 'a';
	name[254] = '\0';
	expect_error(pod(NULL, one("apps/v1", "StatefulSet", name)),
	    "ownerReferences[0].name is longer than 253 bytes");
}
END_TEST

/* The sample pods, read by the real reader. */
START_TEST(test_sample_pods)
{
	static const struct {
		int		 rc;
		const char	*type, *name;
	} want[] = {
		{ 0, NULL, NULL }, { 0, NULL, NULL }, { 0, NULL, NULL },
		{ 1, "Deployment", "nginx" }, { 1, "DaemonSet", "kube-proxy" },
		{ 0, NULL, NULL },
	};
	size_t length;
	char *pods = read_source_file("examples/pods.json", &length);
	struct recs recs = read_chunks(&defaults, pods, length, 0);

	ck_assert_uint_eq(recs.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < recs.n; i++) {
		struct owner_answer a;
		char error[256];

		ck_assert_int_eq(owner_resolve(recs.v[i].metadata,
		    recs.v[i].metadata_length, &a, error, sizeof(error)),
		    want[i].rc);
		if (want[i].rc == 1) {
			ck_assert_str_eq(a.type, want[i].type);
			ck_assert_str_eq(a.name, want[i].name);
		}
	}
	recs_free(&recs);
	free(pods);
}
END_TEST

/* Damaged metadata: whatever the bytes, an answer within bounds, no
 * answer, or an error; never a read outside them (the sanitizers watch,
 * each text in a block of its own size). */
START_TEST(test_damaged_metadata_is_handled)
{
	char *base = pod("{\"pod-template-hash\":\"" HASH "\"}",
	    refs(ref("example.com/v1", "Widget", "w", "false"), ref("apps/v1",
	    "ReplicaSet", "web-" HASH, "true"), NULL));
	size_t length = strlen(base);
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	static const char bytes[] = "{}[]\",:\\-0tfn \x80\xff";
	int answers = 0, errors = 0;

	for (int round = 0; round < 20000; round++) {
		size_t n = length - (size_t)(next_random(&state) % 8);
		char *text = malloc(n);
		struct owner_answer a;
		char error[256];
		int rc;

		REQUIRE(text != NULL, "out of memory");
		memcpy(text, base, n);
		for (int k = (int)(next_random(&state) % 3); k > 0; k--)
			text[next_random(&state) % n] =
			    bytes[next_random(&state) % (sizeof(bytes) - 1)];
		rc = owner_resolve(text, n, &a, error, sizeof(error));
		REQUIRE(rc >= -1 && rc <= 1, "returned %d", rc);
		if (rc == 1) {
			REQUIRE(a.name_length > 0 && a.name_length <=
			    OWNER_NAME_MAX && a.name[a.name_length] == '\0',
			    "name of %zu bytes", a.name_length);
			answers++;
		} else if (rc == -1) {
			REQUIRE(error[0] != '\0', "an error without a message");
			errors++;
		}
		free(text);
	}
	/* Both outcomes were reached: the damage was not all harmless. */
	ck_assert_int_gt(answers, 0);
	ck_assert_int_gt(errors, 0);
	free(base);
}
END_TEST

Suite *
owner_suite(void)
{
	Suite *s = suite_create("owner");
	TCase *t = tcase_create("resolve");

	tcase_add_test(t, test_replicaset_named_by_its_deployment_is_the_deployment);
	tcase_add_test(t, test_replicaset_without_its_hash_stays_a_replicaset);
	tcase_add_test(t, test_strings_are_compared_decoded);
	tcase_add_test(t, test_statefulset_daemonset_replicationcontroller_as_they_are);
	tcase_add_test(t, test_job_stamped_by_the_cronjob_controller_is_the_cronjob);
	tcase_add_test(t, test_job_names_the_controller_cannot_make_stay_jobs);
	tcase_add_test(t, test_controller_reference_wins_over_the_first);
	tcase_add_test(t, test_first_reference_when_none_is_controller);
	tcase_add_test(t, test_other_owners_are_left_to_plugins);
	tcase_add_test(t, test_no_owner_is_no_answer);
	tcase_add_test(t, test_unexpected_shapes_are_errors);
	tcase_add_test(t, test_names_longer_than_kubernetes_allows_are_errors);
	tcase_add_test(t, test_sample_pods);
	tcase_add_test(t, test_damaged_metadata_is_handled);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return s;
}
