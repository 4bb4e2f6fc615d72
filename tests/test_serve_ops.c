/*
 * What an operator sets up around luaward serve: the socket's permissions
 * (0600, or a group let in on purpose, checked with a client that runs as
 * another user) and the metrics file for node_exporter, parsed as the
 * Prometheus text format.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "serve_support.h"
#include "suites.h"

static bool
metric_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (!first && c >= '0' && c <= '9');
}

/*
 * Checks text against the Prometheus text exposition format: # HELP and
 * # TYPE lines, then samples `name{label="value",...} value` of families
 * whose TYPE came first; histogram buckets cumulative, ending with le="+Inf"
 * equal to _count.  Returns the sum of the samples called want_name whose
 * labels hold want_labels.
 */
static double
check_prometheus(const char *text, const char *want_name,
    const char *want_labels)
{
	char typed[64][128];
	size_t types = 0;
	double total = 0, last_bucket = -1;
	const char *line = text;

	ck_assert_msg(text[0] != '\0' && text[strlen(text) - 1] == '\n',
	    "metrics do not end with a newline");
	for (; *line != '\0'; line = strchr(line, '\n') + 1) {
		char *copy = strndup(line, strcspn(line, "\n")), *p = copy,
		    name[128], *end;
		size_t n = 0;
		double value;

		if (strncmp(p, "# HELP ", 7) == 0 || strncmp(p, "# TYPE ", 7) ==
		    0) {
			bool help = p[2] == 'H';

			p += 7;
			while (metric_name_char(*p, n == 0) && n < 127)
				name[n++] = *p++;
			name[n] = '\0';
			ck_assert_msg(n > 0 && *p == ' ' && p[1] != '\0', "%s",
			    copy);
			if (!help) {
				p++;
				ck_assert_msg(strcmp(p, "counter") == 0 ||
				    strcmp(p, "gauge") == 0 ||
				    strcmp(p, "histogram") == 0 ||
				    strcmp(p, "summary") == 0 ||
				    strcmp(p, "untyped") == 0, "%s", copy);
				for (size_t i = 0; i < types; i++)
					ck_assert_msg(strcmp(typed[i], name) !=
					    0, "two TYPE lines for %s", name);
				ck_assert_uint_lt(types, 64);
				snprintf(typed[types++], 128, "%s", name);
			}
			free(copy);
			continue;
		}
		ck_assert_msg(p[0] != '#', "a comment of neither kind: %s",
		    copy);
		while (metric_name_char(*p, n == 0) && n < 127)
			name[n++] = *p++;
		name[n] = '\0';
		ck_assert_msg(n > 0, "%s", copy);
		{
			bool known = false;

			for (size_t i = 0; i < types && !known; i++) {
				size_t k = strlen(typed[i]);

				known = strcmp(name, typed[i]) == 0 ||
				    (strncmp(name, typed[i], k) == 0 &&
				    (strcmp(name + k, "_bucket") == 0 ||
				    strcmp(name + k, "_sum") == 0 ||
				    strcmp(name + k, "_count") == 0));
			}
			ck_assert_msg(known, "sample of %s before its TYPE",
			    name);
		}
		{
			const char *labels = p;
			size_t labels_length = 0;

			if (*p == '{') {
				p++;
				while (*p != '}') {
					size_t k = 0;

					while (metric_name_char(*p, k == 0) &&
					    *p != ':')
						p++, k++;
					ck_assert_msg(k > 0 && p[0] == '=' &&
					    p[1] == '"', "%s", copy);
					p += 2;
					while (*p != '"') {
						ck_assert_msg(*p != '\0', "%s",
						    copy);
						p += *p == '\\' ? 2 : 1;
					}
					p++;
					ck_assert_msg(*p == ',' || *p == '}',
					    "%s", copy);
					if (*p == ',')
						p++;
				}
				p++;
				labels_length = (size_t)(p - labels);
			}
			ck_assert_msg(*p == ' ', "%s", copy);
			p++;
			if (strcmp(p, "+Inf") == 0)
				value = INFINITY;
			else {
				value = strtod(p, &end);
				ck_assert_msg(end != p && *end == '\0', "value "
				    "\"%s\" in %s", p, copy);
			}
			if (strcmp(name, want_name) == 0 &&
			    memmem(labels, labels_length, want_labels,
			    strlen(want_labels)) != NULL)
				total += value;
			if (n > 7 && strcmp(name + n - 7, "_bucket") == 0) {
				ck_assert_msg(value >= last_bucket, "buckets "
				    "not cumulative: %s", copy);
				last_bucket = strstr(labels, "le=\"+Inf\"") !=
				    NULL && strstr(labels, "le=\"+Inf\"") <
				    labels + labels_length ? -1 : value;
			}
		}
		free(copy);
	}
	return total;
}

START_TEST(test_metrics_file_counts_the_records)
{
	const char input[] = "{\"name\":\"r-0\"}\n{\"name\":\"r-1\"}\n"
	    "{\"name\":\"r-2\"}\n";
	char *even = named_plugin("a", true), *path, *text;
	struct run_result r;
	struct served s;
	double deadline, records = 0, calls = 0;

	served_init(&s);
	path = joined(s.root, "luaward.prom");
	serve_start(&s, "--metrics-file", path, NULL);
	CREATE_OK(&s, "a", even);
	client(&r, &s, input, strlen(input), "query", NULL);
	ck_assert_int_eq(r.status, 0);
	run_result_free(&r);
	/* Written every few seconds: wait for the query to show. */
	deadline = now() + 60 * slowdown();
	for (;;) {
		if (access(path, F_OK) == 0) {
			text = file_text(path, 0);
			records = check_prometheus(text,
			    "luaward_records_total", "");
			calls = check_prometheus(text,
			    "luaward_plugin_calls_total", "plugin=\"a\"");
			if (records == 3)
				break;
			free(text);
		}
		ck_assert_msg(now() < deadline, "the metrics never counted the "
		    "query: %.0f records", records);
		sleep_s(0.2);
	}
	ck_assert(calls == 3);
	ck_assert(check_prometheus(text, "luaward_records_total",
	    "status=\"resolved\"") == 2);
	ck_assert(check_prometheus(text, "luaward_records_total",
	    "status=\"unresolved\"") == 1);
	ck_assert(check_prometheus(text, "luaward_plugins", "") == 1);
	ck_assert(check_prometheus(text, "luaward_plugin_quarantined",
	    "plugin=\"a\"") == 0);
	ck_assert(check_prometheus(text,
	    "luaward_plugin_call_duration_seconds_count", "plugin=\"a\"") == 3);
	free(text);
	serve_stop(&s);
	served_free(&s);
	free(path);
	free(even);
}
END_TEST

/* Runs luaward as uid:gid (no supplementary groups); stdout and stderr
 * together in r->out. */
static void
run_as(struct run_result *r, uid_t uid, gid_t gid, const char *const *argv)
{
	char *dir = temp_dir(), *out = joined(dir, "out");
	pid_t pid;

	memset(r, 0, sizeof(*r));
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		char binary[512];
		const char *full[32] = { binary };
		size_t n = 1;
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		snprintf(binary, sizeof(binary), "%s/luaward", build_dir());
		for (; *argv != NULL; argv++)
			full[n++] = *argv;
		full[n] = NULL;
		dup2(fd, 1);
		dup2(fd, 2);
		if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) ==
		    -1 || setresuid(uid, uid, uid) == -1)
			_exit(126);
		execv(binary, (char *const *)full);
		_exit(127);
	}
	r->status = wait_for_exit(pid, 120);
	r->out = file_text(out, 0);
	r->out_length = strlen(r->out);
	r->err = strdup("");
	unlink(out);
	rmdir(dir);
	free(out);
	free(dir);
}

/*
 * The socket is 0600: another user is refused with status 4.  With
 * --socket-group and --socket-mode 0660, a member of the group is let in
 * (and its uid shows in the audit), anyone else still refused.
 */
START_TEST(test_socket_permissions)
{
	const uid_t nobody = 65534;
	const gid_t nogroup = 65534, other_group = 65533;
	char dir[] = "/tmp/luaward-serve-XXXXXX", *refusal, *image, *audit;
	const char *list[] = { "plugin", "list", "--socket", NULL, NULL };
	const char *create[] = { "plugin", "create", "--type", "lua", "--image",
	    NULL, "--name", "theirs", "--socket", NULL, NULL };
	struct run_result r;
	struct served s;
	struct stat st;

	ck_assert_ptr_nonnull(getgrgid(nogroup));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* The directory lets everyone reach the socket: only its own mode
	 * decides. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	served_init(&s);
	free(s.socket);
	s.socket = joined(dir, "s.sock");
	list[3] = s.socket;
	create[9] = s.socket;
	image = write_text(dir, "theirs.lua", "function GetWorkloadTypeAndName"
	    "(m) return '', '' end\n");
	create[5] = image;

	serve_start(&s, NULL);
	ck_assert_int_eq(stat(s.socket, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	run_as(&r, nobody, nogroup, list);
	ck_assert_int_ne(asprintf(&refusal, "luaward: permission denied on %s: "
	    "this user may not talk to the daemon (see serve --socket-mode "
	    "and --socket-group)\n", s.socket), -1);
	ck_assert_msg(r.status == 4, "exit %d: %s", r.status, r.out);
	ck_assert_str_eq(r.out, refusal);
	run_result_free(&r);
	serve_stop(&s);

	serve_start(&s, "--socket-group", "nogroup", "--socket-mode", "0660",
	    NULL);
	ck_assert_int_eq(stat(s.socket, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	ck_assert_uint_eq(st.st_gid, nogroup);
	run_as(&r, nobody, nogroup, list);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.out);
	run_result_free(&r);
	run_as(&r, nobody, nogroup, create);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.out);
	run_result_free(&r);
	audit = serve_stderr(&s);
	ck_assert_msg(strstr(audit, "luaward: audit: created plugin theirs "
	    "sha256 ") != NULL && strstr(audit, " by uid 65534 gid 65534 pid ")
	    != NULL, "%s", audit);
	free(audit);
	run_as(&r, nobody, other_group, list);
	ck_assert_msg(r.status == 4, "exit %d: %s", r.status, r.out);
	ck_assert_str_eq(r.out, refusal);
	run_result_free(&r);
	ASSERT_CHAIN_NAMES(&s, "theirs");
	serve_stop(&s);

	unlink(image);
	ck_assert_int_eq(rmdir(dir), 0);
	free(image);
	free(refusal);
	served_free(&s);
}
END_TEST

Suite *
serve_ops_suite(void)
{
	Suite *s = suite_create("serve_ops");
	TCase *t = tcase_create("operations");

	tcase_set_timeout(t, 600);
	tcase_add_test(t, test_metrics_file_counts_the_records);
	tcase_add_test(t, test_socket_permissions);
	suite_add_tcase(s, t);
	return s;
}
