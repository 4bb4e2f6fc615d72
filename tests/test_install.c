/*
 * Where luaward finds its worker, policy and plugins once installed: a
 * tree laid out as `make install DESTDIR=ROOT` stages it (ROOT/BINDIR,
 * ROOT/LIBEXECDIR, ROOT/DATADIR, the paths the binary was built with)
 * runs from its own files and from nothing else.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../supervisor/paths.h"
#include "../supervisor/setup.h"
#include "helpers.h"
#include "suites.h"

#define STAGED_PLUGIN \
	"function GetWorkloadTypeAndName(meta)\n" \
	"  return 'Deployment', 'staged'\n" \
	"end\n"
#define RECORD	"{\"metadata\":{\"name\":\"p\"}}\n"

struct staged {
	char	*root;
	char	*bindir, *libexecdir, *datadir;
};

static void
make_dirs(const char *path)
{
	char *copy = strdup(path), end;

	ck_assert_ptr_nonnull(copy);
	for (char *p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		end = *p;
		*p = '\0';
		ck_assert_msg(mkdir(copy, 0755) == 0 || errno == EEXIST,
		    "mkdir %s: %s", copy, strerror(errno));
		if ((*p = end) == '\0')
			break;
	}
	free(copy);
}

static void
copy_file(const char *from, const char *dir, const char *name, mode_t mode)
{
	size_t length;
	char *content = read_source_file(from, &length);
	char *to = write_file(dir, name, content, length);

	ck_assert_int_eq(chmod(to, mode), 0);
	free(content);
	free(to);
}

/* The binary, the worker, the policy and one plugin, where make install
 * puts them under a fresh ROOT. */
static void
stage(struct staged *s)
{
	char from[512];

	s->root = temp_dir();
	ck_assert_int_ne(asprintf(&s->bindir, "%s%s", s->root,
	    LUAWARD_BINDIR), -1);
	ck_assert_int_ne(asprintf(&s->libexecdir, "%s%s", s->root,
	    LUAWARD_LIBEXECDIR), -1);
	ck_assert_int_ne(asprintf(&s->datadir, "%s%s", s->root,
	    LUAWARD_DATADIR), -1);
	make_dirs(s->bindir);
	make_dirs(s->libexecdir);
	make_dirs(s->datadir);

	snprintf(from, sizeof(from), "%s/luaward", build_dir());
	copy_file(from, s->bindir, "luaward", 0755);
	snprintf(from, sizeof(from), "%s/luaward-worker", build_dir());
	copy_file(from, s->libexecdir, "luaward-worker", 0755);
	/* The sanitizer build's policy includes worker.policy. */
	copy_file("policies/worker.policy", s->datadir, "worker.policy", 0644);
	copy_file(DEFAULT_POLICY, s->datadir, DEFAULT_POLICY_INSTALLED, 0644);
	{
		char *plugins;

		ck_assert_int_ne(asprintf(&plugins, "%s/plugins",
		    s->datadir), -1);
		ck_assert_int_eq(mkdir(plugins, 0755), 0);
		free(write_text(plugins, "50-staged.lua", STAGED_PLUGIN));
		free(plugins);
	}
}

static void
staged_free(struct staged *s)
{
	free(s->root);
	free(s->bindir);
	free(s->libexecdir);
	free(s->datadir);
}

/* run_luaward() runs $LUAWARD_BUILD/luaward: here, the staged copy.  Each
 * test runs in a process of its own; the variable is put back anyway. */
static void
run_from(struct run_result *r, const char *bindir, const char *input,
    const char *const *argv)
{
	const char *current = getenv("LUAWARD_BUILD");
	char *saved = current != NULL ? strdup(current) : NULL;

	setenv("LUAWARD_BUILD", bindir, 1);
	run_luaward_argv(r, input, input != NULL ? strlen(input) : 0, 60,
	    argv);
	if (saved != NULL)
		setenv("LUAWARD_BUILD", saved, 1);
	else
		unsetenv("LUAWARD_BUILD");
	free(saved);
}

static void
expect_staged_answer(const struct run_result *r)
{
	ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
	ck_assert_str_eq(r->out, "{\"uid\":\"\",\"namespace\":\"\",\"name\":"
	    "\"p\",\"status\":\"resolved\",\"workloadType\":\"Deployment\","
	    "\"workloadName\":\"staged\",\"plugin\":\"50-staged\"}\n");
}

START_TEST(test_staged_tree_runs_on_its_own_worker_policy_and_plugins)
{
	static const char *const argv[] = { "resolve", NULL };
	struct staged s;
	struct run_result r;

	stage(&s);
	run_from(&r, s.bindir, RECORD, argv);
	expect_staged_answer(&r);
	run_result_free(&r);
	staged_free(&s);
}
END_TEST

START_TEST(test_installed_binary_never_takes_a_worker_beside_it)
{
	static const char *const argv[] = { "resolve", NULL };
	struct staged s;
	struct run_result r;
	char *worker;

	/* Where an older install put the worker: a stale one there must not
	 * be run in place of LIBEXECDIR's. */
	stage(&s);
	free(write_text(s.bindir, "luaward-worker", "#!/bin/sh\nexit 1\n"));
	ck_assert_int_ne(asprintf(&worker, "%s/luaward-worker", s.bindir),
	    -1);
	ck_assert_int_eq(chmod(worker, 0755), 0);
	free(worker);
	run_from(&r, s.bindir, RECORD, argv);
	expect_staged_answer(&r);
	run_result_free(&r);

	/* Without LIBEXECDIR's worker, it says so and runs no other. */
	ck_assert_int_ne(asprintf(&worker, "%s/luaward-worker",
	    s.libexecdir), -1);
	ck_assert_int_eq(unlink(worker), 0);
	run_from(&r, s.bindir, RECORD, argv);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, worker) != NULL, "stderr '%s' does not "
	    "name %s", r.err, worker);
	run_result_free(&r);
	free(worker);
	staged_free(&s);
}
END_TEST

START_TEST(test_staged_tree_without_policy_names_where_it_looked)
{
	static const char *const argv[] = { "resolve", NULL };
	struct staged s;
	struct run_result r;
	char *policy;

	stage(&s);
	ck_assert_int_ne(asprintf(&policy, "%s/%s", s.datadir,
	    DEFAULT_POLICY_INSTALLED), -1);
	ck_assert_int_eq(unlink(policy), 0);
	run_from(&r, s.bindir, RECORD, argv);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_uint_eq(count_lines(r.err), 1);
	ck_assert_msg(strstr(r.err, policy) != NULL, "stderr '%s' does not "
	    "name %s", r.err, policy);
	run_result_free(&r);
	free(policy);
	staged_free(&s);
}
END_TEST

START_TEST(test_copy_elsewhere_uses_the_built_in_libexecdir)
{
	struct staged s;
	struct run_result r;
	char *elsewhere, *plugins, *expected;
	const char *argv[] = { "resolve", "--policy", DEFAULT_POLICY,
	    "--plugins", NULL, NULL };
	char from[512];

	/* Neither ROOT/BINDIR nor a build tree: the paths as built. */
	stage(&s);
	ck_assert_int_ne(asprintf(&elsewhere, "%s/opt/bin", s.root), -1);
	make_dirs(elsewhere);
	snprintf(from, sizeof(from), "%s/luaward", build_dir());
	copy_file(from, elsewhere, "luaward", 0755);
	ck_assert_int_ne(asprintf(&plugins, "%s/plugins", s.datadir), -1);
	argv[4] = plugins;
	ck_assert_int_ne(asprintf(&expected, "%s/luaward-worker",
	    LUAWARD_LIBEXECDIR), -1);
	run_from(&r, elsewhere, RECORD, argv);
	if (access(expected, X_OK) == 0)
		/* luaward is installed on this host: that worker runs. */
		expect_staged_answer(&r);
	else {
		ck_assert_int_eq(r.status, 2);
		ck_assert_msg(strstr(r.err, expected) != NULL, "stderr '%s' "
		    "does not name %s", r.err, expected);
	}
	run_result_free(&r);
	free(expected);
	free(plugins);
	free(elsewhere);
	staged_free(&s);
}
END_TEST

Suite *
install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *t = tcase_create("installed layout");

	tcase_set_timeout(t, 120);
	tcase_add_test(t,
	    test_staged_tree_runs_on_its_own_worker_policy_and_plugins);
	tcase_add_test(t, test_installed_binary_never_takes_a_worker_beside_it);
	tcase_add_test(t,
	    test_staged_tree_without_policy_names_where_it_looked);
	tcase_add_test(t, test_copy_elsewhere_uses_the_built_in_libexecdir);
	suite_add_tcase(s, t);
	return s;
}
