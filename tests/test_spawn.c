/*
 * Starting a worker without holding the loop: the clone returns at once
 * and the child's report of its steps before exec is read from the loop.
 * A step that fails there must still end as a start that failed, naming
 * the step, never as a crash or as a binary that is no worker.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../supervisor/engine/death.h"
#include "../supervisor/spawn/spawn.h"
#include "../supervisor/commands/trial.h"
#include "helpers.h"
#include "suites.h"

/* A setup whose worker binary is the file at path (opened O_PATH as the
 * supervisor opens its worker), without namespaces or a uid change. */
static void
setup_with_binary(struct worker_setup *setup, struct log_allowance *log,
    const char *path)
{
	memset(setup, 0, sizeof(*setup));
	memset(log, 0, sizeof(*log));
	setup->plugin = "spawned";
	setup->log = log;
	setup->load.load_timeout_ms = 60000;
	setup->load.call_timeout_ms = 60000;
	setup->spawn.worker_path = path;
	setup->spawn.namespaces = WIRE_MODE_OFF;
	ck_assert_int_ge(setup->spawn.worker_fd = open(path, O_PATH |
	    O_CLOEXEC), 0);
}

/* exec fails in the child (the file may not be executed): the trial says
 * the worker did not start, and why, from the child's own report. */
START_TEST(test_exec_refused_in_the_child_is_a_failed_start)
{
	char *dir = temp_dir(), *path = write_text(dir, "not-a-program",
	    "plain text\n");
	struct ev_loop *loop = ev_default_loop(0);
	struct log_allowance log;
	struct worker_setup setup;
	struct trial_result result;

	ck_assert_int_eq(chmod(path, 0644), 0);
	setup_with_binary(&setup, &log, path);
	trial_run(loop, &setup, &result);
	ck_assert_msg(!result.started, "started; death %d: %s",
	    result.death.type, result.death.message);
	ck_assert_int_eq(result.death.type, DEATH_SPAWN_FAILED);
	ck_assert_msg(strstr(result.spawn_error, "starting ") ==
	    result.spawn_error && strstr(result.spawn_error, path) != NULL &&
	    strstr(result.spawn_error, "exec luaward-worker: Permission "
	    "denied") != NULL, "%s", result.spawn_error);
	close(setup.spawn.worker_fd);
	free(path);
	free(dir);
}
END_TEST

/* A program that execs but never says HELLO is still judged as before:
 * not a luaward worker.  Its start report ended at exec, so the start
 * itself succeeded. */
START_TEST(test_program_that_never_says_hello_is_not_a_worker)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct log_allowance log;
	struct worker_setup setup;
	struct trial_result result;

	setup_with_binary(&setup, &log, "/bin/true");
	trial_run(loop, &setup, &result);
	ck_assert_msg(result.started, "%s", result.spawn_error);
	ck_assert_msg(result.death.type == DEATH_NOT_WORKER, "death %d: %s",
	    result.death.type, result.death.message);
	close(setup.spawn.worker_fd);
}
END_TEST

/* The child's report is read by the loop: right after spawn_begin() the
 * pipes are there to be watched, and spawn_continue() ends with the
 * layers once the child has exec'd. */
START_TEST(test_begin_then_continue_gives_the_layers)
{
	struct spawn_config config;
	struct spawn_pending pending;
	struct spawned spawned;
	char error[512];
	int r, status;

	memset(&config, 0, sizeof(config));
	config.worker_path = "/bin/true";
	config.namespaces = WIRE_MODE_OFF;
	ck_assert_int_ge(config.worker_fd = open("/bin/true", O_PATH |
	    O_CLOEXEC), 0);
	ck_assert_msg(spawn_begin(&config, &spawned, &pending, error,
	    sizeof(error)) == 0, "%s", error);
	ck_assert_int_gt(spawned.pid, 0);
	ck_assert_int_ge(spawned.to_worker, 0);
	ck_assert_int_ge(spawned.from_worker, 0);
	ck_assert_int_ge(pending.status, 0);
	/* Not blocking: 1 until the child has exec'd.  The test waits. */
	while ((r = spawn_continue(&pending, &spawned, error,
	    sizeof(error))) == 1)
		usleep(1000);
	ck_assert_msg(r == 0, "%s", error);
	ck_assert_int_eq(pending.status, -1);
	ck_assert_uint_gt(spawned.layer_count, 0);
	ck_assert_str_eq(spawned.layers[0].name, "session");
	ck_assert_int_eq(waitpid(spawned.pid, &status, 0), spawned.pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(spawned.to_worker);
	close(spawned.from_worker);
	close(spawned.log);
	close(config.worker_fd);
}
END_TEST

Suite *
spawn_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *t = tcase_create("start");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_exec_refused_in_the_child_is_a_failed_start);
	tcase_add_test(t, test_program_that_never_says_hello_is_not_a_worker);
	tcase_add_test(t, test_begin_then_continue_gives_the_layers);
	suite_add_tcase(s, t);
	return s;
}
