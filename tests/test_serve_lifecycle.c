/*
 * luaward serve's life: the chain kept across a clean stop and across
 * SIGKILL at any moment of a create; a stale socket replaced, a live one
 * refused; SIGHUP after the state directory changed behind the daemon's
 * back; SIGTERM while a query runs.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../supervisor/daemon/store.h"
#include "helpers.h"
#include "serve_support.h"
#include "suites.h"

/* The part of each `plugin list -o json` entry a restart must keep:
 * name, position, size, sha256 and creation time. */
static char *
kept_part_of_list(const struct served *s)
{
	struct run_result r;
	struct buffer b = { 0 };
	const char *p;

	CLIENT_OK(&r, s, "plugin", "list", "-o", "json");
	for (p = r.out; (p = strstr(p, "{\"name\":")) != NULL;) {
		const char *end = strstr(p, ",\"state\":");

		ck_assert_ptr_nonnull(end);
		ck_assert_int_eq(buffer_append(&b, p, (size_t)(end - p)), 0);
		ck_assert_int_eq(buffer_append(&b, "\n", 1), 0);
		p = end;
	}
	ck_assert_int_eq(buffer_append(&b, "", 1), 0);
	run_result_free(&r);
	return b.data;
}

START_TEST(test_restart_finds_the_same_chain)
{
	char *p = named_plugin("p", false), *q = named_plugin("q", true),
	    *before, *after;
	struct served s;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "one", p);
	CREATE_OK(&s, "two", q);
	CREATE_OK(&s, "three", p, "--before", "one");
	CREATE_OK(&s, "two", p, "--replace", "--before", "three");
	ASSERT_CHAIN_NAMES(&s, "two three one");
	before = kept_part_of_list(&s);
	ck_assert_uint_eq(count_lines(before), 3);
	serve_stop(&s);
	serve_start(&s, NULL);
	after = kept_part_of_list(&s);
	ck_assert_str_eq(after, before);
	serve_stop(&s);
	served_free(&s);
	free(before);
	free(after);
	free(p);
	free(q);
}
END_TEST

/* Each of dir's files is the manifest or one version of a plugin of the
 * chain, one per plugin: nothing torn, nothing left over. */
static void
assert_store_files(const char *dir, const char *chain)
{
	char *files = files_of(dir), *names = strdup(chain), *save = NULL;
	size_t plugins = 0, listed = 1;

	for (const char *c = files; *c != '\0'; c++)
		listed += *c == ' ';
	for (char *n = strtok_r(names, " ", &save); n != NULL;
	    n = strtok_r(NULL, " ", &save)) {
		char prefix[80];
		const char *at;

		snprintf(prefix, sizeof(prefix), " %s@", n);
		/* files is sorted and starts with a name: look for " n@"
		 * after a space, or at the start. */
		at = strncmp(files, prefix + 1, strlen(prefix + 1)) == 0 ?
		    files : strstr(files, prefix);
		ck_assert_msg(at != NULL, "no file of %s in \"%s\"", n, files);
		plugins++;
	}
	ck_assert_msg(strstr(files, "manifest") != NULL, "%s", files);
	ck_assert_msg(listed == plugins + 1, "files \"%s\" for the chain "
	    "\"%s\"", files, chain);
	ck_assert_msg(strstr(files, ".tmp") == NULL, "%s", files);
	free(files);
	free(names);
}

static pid_t
spawn_client(const char *const *argv, const char *out_path)
{
	char binary[512];
	const char *full[32] = { binary };
	size_t n = 1;
	pid_t pid;

	snprintf(binary, sizeof(binary), "%s/luaward", build_dir());
	for (; *argv != NULL; argv++)
		full[n++] = *argv;
	full[n] = NULL;
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(binary, (char *const *)full);
		_exit(127);
	}
	return pid;
}

/*
 * SIGKILL at a random moment of a create, again and again: the daemon
 * started again holds the chain as it was or with the new plugin, never
 * anything else; the plugin is there whenever the client was told it was
 * created; the directory holds no torn or left-over file; and the chain
 * answers.
 */
START_TEST(test_sigkill_during_create_leaves_old_or_new)
{
	enum { ROUNDS = 16 };
	char *base = named_plugin("base", false), *chain = strdup("base"),
	    *dir = temp_dir(), *out = joined(dir, "create.out");
	uint64_t random = 0x5eed;
	unsigned grew = 0;
	struct served s;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "base", base);
	for (unsigned i = 0; i < ROUNDS; i++) {
		char name[32], *source, *image, *found, *expected_grown, *said;
		const char *argv[16];
		double delay = (double)(next_random(&random) % 1000) / 1000.0 *
		    0.04 * slowdown(), deadline;
		pid_t pid, workers[64];
		size_t running = children_named(s.pid, "luaward-worker",
		    workers, 64);
		siginfo_t info;
		int status;

		snprintf(name, sizeof(name), "n-%u", i);
		source = named_plugin(name, false);
		image = write_text(dir, "image.lua", source);
		argv[0] = "plugin";
		argv[1] = "create";
		argv[2] = "--type";
		argv[3] = "lua";
		argv[4] = "--image";
		argv[5] = image;
		argv[6] = "--name";
		argv[7] = name;
		argv[8] = "--before";
		argv[9] = "base";
		argv[10] = "--socket";
		argv[11] = s.socket;
		argv[12] = NULL;
		pid = spawn_client(argv, out);
		/* From the moment the plugin's validation worker starts, the
		 * create is under way: then a little later, SIGKILL.  Every
		 * fourth round, right after the client was answered. */
		deadline = now() + 120 * slowdown();
		memset(&info, 0, sizeof(info));
		while ((i % 4 == 3 || children_named(s.pid, "luaward-worker",
		    workers, 64) <= running) && waitid(P_PID, (id_t)pid, &info,
		    WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0 &&
		    now() < deadline)
			sleep_s(0.0005);
		if (i % 4 != 3)
			sleep_s(delay);
		serve_kill(&s);
		status = wait_for_exit(pid, 120);
		said = file_text(out, 0);
		/* Done, the daemon went away mid-request, or it was gone
		 * before the client came. */
		ck_assert_msg(status == 0 || status == 8 || status == 3,
		    "round %u: create exit %d: %s", i, status, said);

		serve_start(&s, NULL);
		found = chain_names(&s);
		/* It goes before base, the last. */
		ck_assert_int_ne(asprintf(&expected_grown, "%.*s%s base",
		    (int)(strlen(chain) - strlen("base")), chain, name), -1);
		ck_assert_msg(strcmp(found, chain) == 0 ||
		    strcmp(found, expected_grown) == 0, "round %u: chain "
		    "\"%s\": neither \"%s\" nor \"%s\"", i, found, chain,
		    expected_grown);
		if (status == 0)
			ck_assert_msg(strcmp(found, expected_grown) == 0,
			    "round %u: told \"%s\", but the chain is \"%s\"",
			    i, said, found);
		grew += strcmp(found, chain) != 0;
		assert_store_files(s.state_dir, found);
		{
			struct run_result r;
			static const char record[] = "{\"name\":\"r-0\"}";
			char *first = strdup(found), *want,
			    *space = strchr(first, ' ');

			if (space != NULL)
				*space = '\0';
			ck_assert_int_ne(asprintf(&want, "\"workloadName\":"
			    "\"%s\"", first), -1);
			client(&r, &s, record, strlen(record), "query", NULL);
			ck_assert_msg(r.status == 0 && strstr(r.out, want) !=
			    NULL, "round %u: %s %s", i, r.out, r.err);
			run_result_free(&r);
			free(want);
			free(first);
		}
		free(chain);
		chain = found;
		free(expected_grown);
		free(said);
		unlink(image);
		free(image);
		free(source);
	}
	/* Not a check on timing: a round that never grows the chain would
	 * prove little. */
	ck_assert_msg(grew > 0, "no create finished before its SIGKILL");
	serve_stop_allowing(&s, (const char *const[]){ "removed", "leftover",
	    "left over", NULL });
	served_free(&s);
	free(chain);
	free(out);
	free(dir);
	free(base);
}
END_TEST

START_TEST(test_stale_socket_is_replaced)
{
	struct run_result r;
	struct served s;
	struct stat st;
	char *err, *said;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "a", "function GetWorkloadTypeAndName(m) return '', '' "
	    "end\n");
	serve_kill(&s);
	ck_assert_int_eq(lstat(s.socket, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert(!socket_answers(s.socket));
	serve_start(&s, NULL);
	err = serve_stderr(&s);
	ck_assert_int_ne(asprintf(&said, "luaward: replacing the stale socket "
	    "%s\n", s.socket), -1);
	ck_assert_msg(strstr(err, said) != NULL, "%s", err);
	ASSERT_CHAIN_NAMES(&s, "a");
	CLIENT_OK(&r, &s, "stats");
	run_result_free(&r);
	serve_stop(&s);
	served_free(&s);
	free(err);
	free(said);
}
END_TEST

/* A second daemon on a socket in use, or on a state directory in use,
 * does not start: one line, exit 2; the first one goes on. */
START_TEST(test_second_daemon_is_refused)
{
	struct served s, other;
	struct run_result r;
	char *line;
	int listener;
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	served_init(&s);
	served_init(&other);
	serve_start(&s, NULL);

	run_luaward(&r, NULL, 0, 60, "serve", "--state-dir", other.state_dir,
	    "--socket", s.socket, NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_int_ne(asprintf(&line, "luaward: another luaward serve is "
	    "running on %s\n", s.socket), -1);
	ck_assert_str_eq(r.err, line);
	run_result_free(&r);
	free(line);

	run_luaward(&r, NULL, 0, 60, "serve", "--state-dir", s.state_dir,
	    "--socket", other.socket, NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_int_ne(asprintf(&line, "luaward: --state-dir %s: state "
	    "directory %s is in use by another luaward\n", s.state_dir,
	    s.state_dir), -1);
	ck_assert_str_eq(r.err, line);
	run_result_free(&r);
	free(line);
	ck_assert(access(other.socket, F_OK) == -1);

	/* Some other program listening there: not replaced. */
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(a.sun_path, other.socket, strlen(other.socket) + 1);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(listener, 4), 0);
	run_luaward(&r, NULL, 0, 60, "serve", "--state-dir", other.state_dir,
	    "--socket", other.socket, NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_int_ne(asprintf(&line, "luaward: another program is "
	    "listening on %s\n", other.socket), -1);
	ck_assert_str_eq(r.err, line);
	run_result_free(&r);
	free(line);
	close(listener);

	CLIENT_OK(&r, &s, "plugin", "list");
	run_result_free(&r);
	serve_stop(&s);
	served_free(&s);
	served_free(&other);
}
END_TEST

/* Polls the chain until it is want (SIGHUP is handled by the loop). */
static void
await_chain(const struct served *s, const char *want)
{
	double deadline = now() + 60 * slowdown();
	char *chain;

	while (strcmp(chain = chain_names(s), want) != 0) {
		ck_assert_msg(now() < deadline, "chain \"%s\", never \"%s\"",
		    chain, want);
		free(chain);
		sleep_s(0.05);
	}
	free(chain);
}

static void
expect_workload(const struct served *s, const char *record,
    const char *workload)
{
	struct run_result r;
	char *want;

	ck_assert_int_ne(asprintf(&want, "\"workloadName\":\"%s\"", workload),
	    -1);
	client(&r, s, record, strlen(record), "query", NULL);
	ck_assert_msg(r.status == 0 && strstr(r.out, want) != NULL, "%s %s",
	    r.out, r.err);
	run_result_free(&r);
	free(want);
}

START_TEST(test_sighup_reads_the_state_directory_again)
{
	char *even = named_plugin("a", true), *all = named_plugin("c", false),
	    *x = named_plugin("x", false), *y = named_plugin("y", false),
	    *file, *err, *elsewhere = temp_dir(), *files, *save = NULL;
	char store_error[512];
	struct served s;
	struct store *st;

	served_init(&s);
	serve_start(&s, NULL);
	CREATE_OK(&s, "a", even);
	CREATE_OK(&s, "b", x);
	CREATE_OK(&s, "c", all);
	expect_workload(&s, "{\"name\":\"r-1\"}", "x");

	/* b's file goes: reported, skipped, the rest answers. */
	files = files_of(s.state_dir);
	file = strtok_r(files, " ", &save);
	while (file != NULL && strncmp(file, "b@", 2) != 0)
		file = strtok_r(NULL, " ", &save);
	ck_assert_ptr_nonnull(file);
	file = joined(s.state_dir, file);
	ck_assert_int_eq(unlink(file), 0);
	ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
	await_chain(&s, "a c");
	err = serve_stderr(&s);
	ck_assert_msg(strstr(err, "luaward: warning: ") != NULL &&
	    strstr(err, "plugin b skipped") != NULL, "%s", err);
	expect_workload(&s, "{\"name\":\"r-1\"}", "c");
	expect_workload(&s, "{\"name\":\"r-2\"}", "a");
	free(err);
	free(file);
	free(files);

	/* A whole other chain written by the store elsewhere and moved in
	 * behind the daemon's back. */
	{
		char *other = joined(elsewhere, "state"), *names, *p;

		st = store_open(other, store_error, sizeof(store_error));
		ck_assert_msg(st != NULL, "%s", store_error);
		ck_assert_int_eq(store_put(st, "y", y, strlen(y), false,
		    STORE_END, "", store_error, sizeof(store_error)), STORE_OK);
		ck_assert_int_eq(store_put(st, "x", x, strlen(x), false,
		    STORE_BEFORE, "y", store_error, sizeof(store_error)),
		    STORE_OK);
		store_free(st);
		files = files_of(s.state_dir);
		save = NULL;
		for (p = strtok_r(files, " ", &save); p != NULL;
		    p = strtok_r(NULL, " ", &save)) {
			char *path = joined(s.state_dir, p);

			ck_assert_int_eq(unlink(path), 0);
			free(path);
		}
		free(files);
		names = files_of(other);
		save = NULL;
		for (p = strtok_r(names, " ", &save); p != NULL;
		    p = strtok_r(NULL, " ", &save)) {
			char *from = joined(other, p), *to = joined(s.state_dir,
			    p);

			ck_assert_int_eq(rename(from, to), 0);
			free(from);
			free(to);
		}
		free(names);
		free(other);
	}
	ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
	await_chain(&s, "x y");
	expect_workload(&s, "{\"name\":\"r-1\"}", "x");
	serve_stop_allowing(&s, (const char *const[]){ "plugin b skipped",
	    NULL });
	/* And started again, it finds what it read last. */
	serve_start(&s, NULL);
	ASSERT_CHAIN_NAMES(&s, "x y");
	serve_stop(&s);
	served_free(&s);
	free(elsewhere);
	free(even);
	free(all);
	free(x);
	free(y);
}
END_TEST

/*
 * SIGTERM while a query runs: the daemon stops taking connections and
 * removes its socket at once, but the query goes on to its last record
 * (even records sent after the signal), gets its QUERY_DONE, and only then
 * the daemon exits 0.  An idle connection is closed.
 */
START_TEST(test_sigterm_lets_a_running_query_finish)
{
	enum { RECORDS = 60 };
	static const char slow[] =
	    "function GetWorkloadTypeAndName(m)\n"
	    "    local t = os.clock() + 0.01\n"
	    "    while os.clock() < t do end\n"
	    "    return 'Deployment', 'slow'\n"
	    "end\n";
	struct buffer frames = { 0 }, records = { 0 }, output = { 0 };
	struct control_message m;
	struct raw q, idle;
	struct served s;
	size_t half = 0;
	double deadline;
	int got;

	served_init(&s);
	serve_start(&s, "--timeout", "5000", NULL);
	CREATE_OK(&s, "slow", slow);
	for (unsigned i = 0; i < RECORDS; i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "{\"name\":\"r-%u\"}\n",
		    i);

		ck_assert_int_eq(buffer_append(&records, line, (size_t)n), 0);
		if (i == RECORDS / 2 - 1)
			half = buffer_length(&records);
	}
	raw_open(&idle, s.socket);
	raw_hello(&idle);
	raw_open(&q, s.socket);
	raw_hello(&q);
	ck_assert_int_eq(control_put_query_begin(&frames, "pods"), 0);
	ck_assert_int_eq(control_put_query_data(&frames, records.data, half),
	    0);
	raw_send(&q, &frames);
	/* Its first line proves it runs. */
	raw_expect(&q, &m, CONTROL_QUERY_OUTPUT);
	ck_assert_int_eq(buffer_append(&output, m.u.data.bytes.bytes,
	    m.u.data.bytes.length), 0);

	ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
	deadline = now() + 60 * slowdown();
	while (access(s.socket, F_OK) == 0) {
		ck_assert_msg(now() < deadline, "the socket stays");
		sleep_s(0.01);
	}
	ck_assert_msg(raw_receive(&idle, &m, 60) == 0, "the idle connection "
	    "got %s", control_type_name(m.type));

	ck_assert_int_eq(control_put_query_data(&frames, records.data + half,
	    buffer_length(&records) - half), 0);
	ck_assert_int_eq(control_put_query_end(&frames), 0);
	raw_send(&q, &frames);
	while ((got = raw_receive(&q, &m, 120)) == 1 &&
	    m.type == CONTROL_QUERY_OUTPUT)
		ck_assert_int_eq(buffer_append(&output, m.u.data.bytes.bytes,
		    m.u.data.bytes.length), 0);
	ck_assert_msg(got == 1 && m.type == CONTROL_QUERY_DONE, "got %d %s",
	    got, got == 1 ? control_type_name(m.type) : "");
	ck_assert_uint_eq(m.u.done.status, 0);
	ck_assert_uint_eq(m.u.done.records, RECORDS);
	ck_assert_int_eq(buffer_append(&output, "", 1), 0);
	ck_assert_uint_eq(count_lines(output.data), RECORDS);
	for (unsigned i = 0; i < RECORDS; i++) {
		char *line = line_of(output.data, i), want[160];

		snprintf(want, sizeof(want), "{\"uid\":\"\",\"namespace\":\"\","
		    "\"name\":\"r-%u\",\"status\":\"resolved\","
		    "\"workloadType\":\"Deployment\",\"workloadName\":"
		    "\"slow\",\"plugin\":\"slow\"}", i);
		ck_assert_str_eq(line, want);
		free(line);
	}
	/* Then the connection closes and the daemon ends. */
	ck_assert_int_eq(raw_receive(&q, &m, 60), 0);
	ck_assert_int_eq(wait_for_exit(s.pid, 120), 0);
	s.pid = 0;
	{
		char *err = serve_stderr(&s);

		assert_clean_stderr(err, NULL);
		ck_assert_msg(strstr(err, "luaward: stopped\n") != NULL, "%s",
		    err);
		free(err);
	}
	raw_close(&q);
	raw_close(&idle);
	buffer_free(&frames);
	buffer_free(&records);
	buffer_free(&output);
	served_free(&s);
}
END_TEST

Suite *
serve_lifecycle_suite(void)
{
	Suite *s = suite_create("serve_lifecycle");
	TCase *t = tcase_create("lifecycle");

	tcase_set_timeout(t, 1200);
	tcase_add_test(t, test_restart_finds_the_same_chain);
	tcase_add_test(t, test_sigkill_during_create_leaves_old_or_new);
	tcase_add_test(t, test_stale_socket_is_replaced);
	tcase_add_test(t, test_second_daemon_is_refused);
	tcase_add_test(t, test_sighup_reads_the_state_directory_again);
	tcase_add_test(t, test_sigterm_lets_a_running_query_finish);
	suite_add_tcase(s, t);
	return s;
}
