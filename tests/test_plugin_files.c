/*
 * The plugin directory is not trusted as a whole (supervisor/engine/plugins.h).
 * With the real binaries: a FIFO, a symbolic link, a directory, a socket,
 * a device, an oversized or unreadable file named *.lua is that plugin's
 * load error, every record carries it, and the other plugins answer as
 * before; a file or directory another user could change is refused, like
 * sshd's StrictModes, unless --allow-insecure-plugins says otherwise.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#define TIME_LIMIT	120	/* seconds: a hang shows as a kill */
#define NOBODY		65534

/* Sorted after every refused file, so each record reaches the refused
 * plugins first and carries their errors. */
#define GOOD		"zz-good.lua"

static const char good_plugin[] =
	"function GetWorkloadTypeAndName(m) return 'Deployment', 'good' end\n";

static const char input[] = "{\"metadata\":{\"name\":\"a\"}}\n"
	"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}}\n";

static const char *const names[] = { "a", "b" };

static char *
must_asprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

static char *
must_asprintf(const char *format, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, format);
	n = vasprintf(&s, format, ap);
	va_end(ap);
	ck_assert_int_ne(n, -1);
	return s;
}

static char *
path_in(const char *dir, const char *name)
{
	return must_asprintf("%s/%s", dir, name);
}

static void
resolve(struct run_result *r, const char *dir, const char *option)
{
	const char *argv[] = { "resolve", "--plugins", dir, option, NULL };

	run_luaward_argv(r, input, strlen(input), TIME_LIMIT, argv);
}

/*
 * Every record: the good plugin's answer, after the load errors given as
 * the JSON of the errors array ("" for none).
 */
static void
expect_lines(const struct run_result *r, const char *errors)
{
	ck_assert_msg(count_lines(r->out) == 2, "exit %d, stdout:\n%s\n"
	    "stderr:\n%s", r->status, r->out, r->err);
	for (size_t i = 0; i < 2; i++) {
		char *line = line_of(r->out, i);
		char *expected = must_asprintf("{\"uid\":\"\",\"namespace\":"
		    "\"\",\"name\":\"%s\",\"status\":\"resolved\","
		    "\"workloadType\":\"Deployment\",\"workloadName\":"
		    "\"good\",\"plugin\":"
		    "\"zz-good\"%s%s%s}", names[i], errors[0] != '\0' ?
		    ",\"errors\":[" : "", errors, errors[0] != '\0' ? "]" : "");

		ck_assert_str_eq(line, expected);
		free(expected);
		free(line);
	}
	ck_assert_int_eq(r->status, errors[0] != '\0' ? 1 : 0);
}

/* One refused file beside the good plugin: its load error on every
 * record, the good plugin's answer on every record. */
static void
expect_refused(const char *dir, const char *plugin, const char *message,
    const char *option)
{
	struct run_result r;
	char *errors = must_asprintf("{\"plugin\":\"%s\",\"kind\":\"load\","
	    "\"message\":\"%s\"}", plugin, message);

	resolve(&r, dir, option);
	expect_lines(&r, errors);
	ck_assert_msg(strstr(r.err, message) != NULL, "the reason is not "
	    "logged:\n%s", r.err);
	run_result_free(&r);
	free(errors);
}

static char *
good_dir(void)
{
	return plugin_dir(GOOD, good_plugin, NULL);
}

/* --- what is not a regular file ------------------------------------------- */

START_TEST(test_fifo_is_a_load_error_and_does_not_hang_the_run)
{
	char *dir = good_dir(), *fifo = path_in(dir, "x.lua");

	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	expect_refused(dir, "x", "not a regular file: it is a FIFO", NULL);
	free(fifo);
	free(dir);
}
END_TEST

START_TEST(test_symlink_is_refused_and_its_target_never_read)
{
	/* The target, read as a plugin, is a syntax error that quotes it:
	 * through the link, nothing of it may show. */
	static const char secret[] = "ROOTPW_7f3a9e ROOTPW_7f3a9e\n";
	char *elsewhere = temp_dir(), *dir = good_dir();
	char *target = write_text(elsewhere, "shadow.lua", secret);
	char *link = path_in(dir, "y.lua"), *dangling = path_in(dir,
	    "w.lua"), *missing = path_in(elsewhere, "missing");
	struct run_result r;

	ck_assert_int_eq(chmod(target, 0600), 0);
	run_luaward(&r, NULL, 0, TIME_LIMIT, "check", target, NULL);
	ck_assert_msg(strstr(r.err, "ROOTPW_7f3a9e") != NULL, "the target "
	    "is not one that would leak:\n%s%s", r.out, r.err);
	run_result_free(&r);

	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(symlink(missing, dangling), 0);
	resolve(&r, dir, NULL);
	expect_lines(&r, "{\"plugin\":\"w\",\"kind\":\"load\",\"message\":"
	    "\"a symbolic link; plugins are never followed through links\"},"
	    "{\"plugin\":\"y\",\"kind\":\"load\",\"message\":\"a symbolic "
	    "link; plugins are never followed through links\"}");
	ck_assert_ptr_null(strstr(r.out, "ROOTPW"));
	ck_assert_ptr_null(strstr(r.err, "ROOTPW"));
	run_result_free(&r);

	/* Not even when insecure plugins are allowed. */
	resolve(&r, dir, "--allow-insecure-plugins");
	ck_assert_uint_eq(count_lines(r.out), 2);
	ck_assert_ptr_nonnull(strstr(r.out, "\"plugin\":\"y\",\"kind\":"
	    "\"load\",\"message\":\"a symbolic link"));
	ck_assert_ptr_null(strstr(r.out, "ROOTPW"));
	ck_assert_ptr_null(strstr(r.err, "ROOTPW"));
	run_result_free(&r);
	free(missing);
	free(dangling);
	free(link);
	free(target);
	free(dir);
	free(elsewhere);
}
END_TEST

START_TEST(test_directory_named_lua_is_a_load_error)
{
	char *dir = good_dir(), *sub = path_in(dir, "z.lua");

	ck_assert_int_eq(mkdir(sub, 0755), 0);
	free(write_text(sub, "inner.lua", good_plugin));
	expect_refused(dir, "z", "not a regular file: it is a directory",
	    NULL);
	free(sub);
	free(dir);
}
END_TEST

START_TEST(test_socket_and_device_are_load_errors)
{
	char *dir = good_dir(), *socket_path = path_in(dir, "s.lua");
	char *device = path_in(dir, "d.lua");
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	struct run_result r;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ne(fd, -1);
	ck_assert_uint_lt(strlen(socket_path), sizeof(address.sun_path));
	strcpy(address.sun_path, socket_path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&address,
	    sizeof(address)), 0);
	/* /dev/null's numbers: opening it would do no harm, but it must
	 * not be opened at all.  Making a device needs privilege. */
	if (mknod(device, S_IFCHR | 0644, makedev(1, 3)) == 0) {
		resolve(&r, dir, NULL);
		expect_lines(&r, "{\"plugin\":\"d\",\"kind\":\"load\","
		    "\"message\":\"not a regular file: it is a character "
		    "device\"},{\"plugin\":\"s\",\"kind\":\"load\","
		    "\"message\":\"not a regular file: it is a socket\"}");
		run_result_free(&r);
	} else
		expect_refused(dir, "s", "not a regular file: it is a socket",
		    NULL);
	close(fd);
	free(device);
	free(socket_path);
	free(dir);
}
END_TEST

/* --- size ----------------------------------------------------------------- */

START_TEST(test_oversized_file_is_a_load_error_and_one_mebibyte_is_not)
{
	size_t limit = 1 << 20;
	char *dir = good_dir(), *big = malloc(limit + 1);
	struct run_result r;

	ck_assert_ptr_nonnull(big);
	/* Exactly the limit: a working plugin padded with a comment. */
	memset(big, ' ', limit);
	memcpy(big, "--", 2);
	big[limit - 1] = '\n';
	memcpy(big + 64, "\nfunction GetWorkloadTypeAndName(m) return '', '' "
	    "end --", 56);
	free(write_file(dir, "a-fits.lua", big, limit));
	resolve(&r, dir, NULL);
	expect_lines(&r, "");
	run_result_free(&r);

	big[limit] = '\n';
	free(write_file(dir, "b-big.lua", big, limit + 1));
	expect_refused(dir, "b-big", "larger than 1 MiB (1048577 bytes)",
	    NULL);
	free(big);
	free(dir);
}
END_TEST

/* --- permission ----------------------------------------------------------- */

/*
 * Runs luaward resolve as an ordinary user (nobody), for whom permissions
 * hold: root reads a file of mode 000 anyway.  Its output goes to files
 * opened here, so nobody needs no right on them.
 */
static void
resolve_as_nobody(struct run_result *r, const char *dir)
{
	char *scratch = temp_dir(), *out = path_in(scratch, "out");
	char *err = path_in(scratch, "err"), *in = write_text(scratch, "in",
	    input), path[512];
	int status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/luaward", build_dir());
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int fds[3] = { open(in, O_RDONLY), open(out, O_WRONLY |
		    O_CREAT | O_TRUNC, 0600), open(err, O_WRONLY | O_CREAT |
		    O_TRUNC, 0600) };

		for (int i = 0; i < 3; i++)
			if (fds[i] == -1 || dup2(fds[i], i) == -1)
				_exit(120);
		if (setgroups(0, NULL) == -1 || setresgid(NOBODY, NOBODY,
		    NOBODY) == -1 || setresuid(NOBODY, NOBODY, NOBODY) == -1)
			_exit(121);
		execl(path, path, "resolve", "--plugins", dir, (char *)NULL);
		_exit(122);
	}
	for (double deadline = now() + TIME_LIMIT;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);

		ck_assert_int_ne(done, -1);
		if (done == pid)
			break;
		if (now() > deadline)
			kill(pid, SIGKILL);
		usleep(10000);
	}
	memset(r, 0, sizeof(*r));
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	ck_assert_msg(r->status < 120 || r->status > 122, "could not run as "
	    "nobody: %d", r->status);
	r->out = read_source_file(out, &r->out_length);
	r->err = read_source_file(err, &r->err_length);
	free(in);
	free(err);
	free(out);
	free(scratch);
}

START_TEST(test_unreadable_file_is_a_load_error)
{
	struct run_result r;
	char *dir, *file;

	if (geteuid() != 0) {
		dir = good_dir();
		file = write_text(dir, "x.lua", good_plugin);
		ck_assert_int_eq(chmod(file, 0), 0);
		expect_refused(dir, "x", "permission denied", NULL);
		free(file);
		free(dir);
		return;
	}
	/* As nobody, outside the tests' own directory (mode 0700): every
	 * directory on the way is one nobody may search. */
	dir = strdup("/tmp/luaward-unreadable-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	free(write_text(dir, GOOD, good_plugin));
	file = write_text(dir, "x.lua", good_plugin);
	ck_assert_int_eq(chmod(file, 0), 0);
	resolve_as_nobody(&r, dir);
	unlink(file);
	free(file);
	file = path_in(dir, GOOD);
	unlink(file);
	rmdir(dir);
	expect_lines(&r, "{\"plugin\":\"x\",\"kind\":\"load\",\"message\":"
	    "\"permission denied\"}");
	run_result_free(&r);
	free(file);
	free(dir);
}
END_TEST

/* --- who may change the plugins ------------------------------------------- */

START_TEST(test_group_or_world_writable_file_is_refused_unless_allowed)
{
	char *dir = good_dir();
	char *group = write_text(dir, "g.lua", good_plugin);
	char *world = write_text(dir, "o.lua", good_plugin);
	struct run_result r;

	ck_assert_int_eq(chmod(group, 0664), 0);
	ck_assert_int_eq(chmod(world, 0646), 0);
	resolve(&r, dir, NULL);
	expect_lines(&r, "{\"plugin\":\"g\",\"kind\":\"load\",\"message\":"
	    "\"writable by its group (mode 0664) (--allow-insecure-plugins "
	    "accepts it)\"},{\"plugin\":\"o\",\"kind\":\"load\",\"message\":"
	    "\"writable by every user (mode 0646) (--allow-insecure-plugins "
	    "accepts it)\"}");
	run_result_free(&r);

	/* Allowed, g answers first. */
	resolve(&r, dir, "--allow-insecure-plugins");
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\"plugin\":\"g\"}\n"));
	ck_assert_uint_eq(count_lines(r.out), 2);
	run_result_free(&r);
	free(world);
	free(group);
	free(dir);
}
END_TEST

START_TEST(test_file_owned_by_another_user_is_refused_unless_allowed)
{
	char *dir = good_dir(), *file;
	char *message = must_asprintf("owned by uid %d, neither root nor the "
	    "user luaward runs as (uid %lu) (--allow-insecure-plugins "
	    "accepts it)", NOBODY, (unsigned long)geteuid());
	struct run_result r;

	if (geteuid() != 0) {
		/* Only root can give a file away. */
		free(message);
		free(dir);
		return;
	}
	file = write_text(dir, "n.lua", good_plugin);
	ck_assert_int_eq(chown(file, NOBODY, NOBODY), 0);
	expect_refused(dir, "n", message, NULL);
	resolve(&r, dir, "--allow-insecure-plugins");
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\"plugin\":\"n\"}\n"));
	run_result_free(&r);
	free(file);
	free(message);
	free(dir);
}
END_TEST

/* A directory no one may trust stops the run before any record. */
static void
expect_configuration_error(const char *dir, const char *message)
{
	struct run_result r;

	resolve(&r, dir, NULL);
	ck_assert_msg(r.status == 2, "exit %d:\n%s%s", r.status, r.out,
	    r.err);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, message) != NULL, "'%s' not in:\n%s",
	    message, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "--allow-insecure-plugins"));
	run_result_free(&r);
	resolve(&r, dir, "--allow-insecure-plugins");
	expect_lines(&r, "");
	run_result_free(&r);
}

START_TEST(test_group_or_world_writable_directory_is_refused_unless_allowed)
{
	char *dir = good_dir(), *real = realpath(dir, NULL), *message;

	ck_assert_ptr_nonnull(real);
	ck_assert_int_eq(chmod(dir, 0775), 0);
	message = must_asprintf("plugin directory %s: writable by its group "
	    "(mode 0775)", real);
	expect_configuration_error(dir, message);
	free(message);
	/* Sticky does not help the plugin directory itself: others could
	 * still add plugins. */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	message = must_asprintf("plugin directory %s: writable by every user "
	    "(mode 1777)", real);
	expect_configuration_error(dir, message);
	free(message);
	free(real);
	free(dir);
}
END_TEST

START_TEST(test_writable_directory_above_is_refused_unless_sticky)
{
	char *above = temp_dir(), *dir = path_in(above, "plugins");
	char *real, *message;
	struct run_result r;

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	free(write_text(dir, GOOD, good_plugin));
	real = realpath(above, NULL);
	ck_assert_ptr_nonnull(real);
	/* Whoever can write above can rename the plugin directory away and
	 * put another in its place. */
	ck_assert_int_eq(chmod(above, 0777), 0);
	message = must_asprintf("plugin directory %s: the directory %s above "
	    "it is writable by every user (mode 0777)", dir, real);
	expect_configuration_error(dir, message);
	free(message);
	/* Sticky, as /tmp is: only the owner may rename what is in it. */
	ck_assert_int_eq(chmod(above, 01777), 0);
	resolve(&r, dir, NULL);
	expect_lines(&r, "");
	run_result_free(&r);
	free(real);
	free(dir);
	free(above);
}
END_TEST

/* --- check ---------------------------------------------------------------- */

START_TEST(test_check_reports_an_unusable_file_as_failed)
{
	char *dir = good_dir(), *fifo = path_in(dir, "x.lua");
	char *writable = write_text(dir, "g.lua", good_plugin), *expected;
	struct run_result r;

	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(chmod(writable, 0666), 0);
	run_luaward(&r, NULL, 0, TIME_LIMIT, "check", fifo, writable, NULL);
	ck_assert_int_eq(r.status, 1);
	expected = must_asprintf("%s:\n  result: FAILED: not a regular file: "
	    "it is a FIFO\n%s:\n  result: FAILED: writable by every user "
	    "(mode 0666) (--allow-insecure-plugins accepts it)\n", fifo,
	    writable);
	ck_assert_str_eq(r.err, expected);
	free(expected);
	run_result_free(&r);

	run_luaward(&r, NULL, 0, TIME_LIMIT, "check",
	    "--allow-insecure-plugins", writable, NULL);
	ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "  result: ok\n"));
	run_result_free(&r);
	free(writable);
	free(fifo);
	free(dir);
}
END_TEST

Suite *
plugin_files_suite(void)
{
	Suite *s = suite_create("plugin_files");
	TCase *kinds = tcase_create("kinds");
	TCase *trust = tcase_create("trust");

	tcase_set_timeout(kinds, 600);
	tcase_add_test(kinds,
	    test_fifo_is_a_load_error_and_does_not_hang_the_run);
	tcase_add_test(kinds,
	    test_symlink_is_refused_and_its_target_never_read);
	tcase_add_test(kinds, test_directory_named_lua_is_a_load_error);
	tcase_add_test(kinds, test_socket_and_device_are_load_errors);
	tcase_add_test(kinds,
	    test_oversized_file_is_a_load_error_and_one_mebibyte_is_not);
	tcase_add_test(kinds, test_unreadable_file_is_a_load_error);
	suite_add_tcase(s, kinds);

	tcase_set_timeout(trust, 600);
	tcase_add_test(trust,
	    test_group_or_world_writable_file_is_refused_unless_allowed);
	tcase_add_test(trust,
	    test_file_owned_by_another_user_is_refused_unless_allowed);
	tcase_add_test(trust,
	    test_group_or_world_writable_directory_is_refused_unless_allowed);
	tcase_add_test(trust,
	    test_writable_directory_above_is_refused_unless_sticky);
	tcase_add_test(trust, test_check_reports_an_unusable_file_as_failed);
	suite_add_tcase(s, trust);
	return s;
}
