/*
 * luaward selftest proves each layer from inside a worker: with the real
 * policy every probe is blocked; with a deliberately weakened one the run
 * must fail, loudly.
 */
#define _GNU_SOURCE
#include <check.h>
#include <elf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

static const char *const probes[] = {
	"open-file", "create-socket", "fork", "execute", "ptrace",
	"write-stdin", "map-executable", "read-environ", "fd-above-2",
	"load-bytecode", "become-root", "signal-others", "bounding-set",
};

/* The layers spawn applies, each with a row of its own. */
static const char *const spawn_layers[] = {
	"session", "user", "namespaces", "cgroup_ns", "time_ns",
	"capabilities", "rlimits", "parent_death",
};

/* What the supervisor checks of a live worker in /proc. */
static const char *const proc_checks[] = {
	"uid", "groups", "capabilities", "no_new_privs", "seccomp",
	"namespaces",
};

/* The verdict column of probe's row in the first (real policy) table. */
static char *
first_verdict(const char *out, const char *probe)
{
	char row[64], *line = NULL;
	const char *at;

	snprintf(row, sizeof(row), "\n%s ", probe);
	at = strstr(out, row);
	ck_assert_msg(at != NULL, "no row for %s in:\n%s", probe, out);
	at++;
	line = strndup(at, strcspn(at, "\n"));
	ck_assert_ptr_nonnull(line);
	return line;
}

/* The same in the second table: the probes with seccomp allowing all. */
static char *
relaxed_verdict(const char *out, const char *probe)
{
	const char *table = strstr(out, "\ndefense in depth");

	ck_assert_msg(table != NULL, "no second table in:\n%s", out);
	return first_verdict(table + 1, probe);
}

START_TEST(test_every_probe_is_blocked)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 300, "selftest", NULL);
	ck_assert_msg(r.status == 0, "status %d:\n%s\n%s", r.status, r.out,
	    r.err);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		char *row = first_verdict(r.out, probes[i]);

		ck_assert_msg(strstr(row, " blocked ") != NULL, "%s", row);
		free(row);
	}
	/* The forbidden syscalls are named by the seccomp report. */
	ck_assert_ptr_nonnull(strstr(r.out, "openat (syscall"));
	ck_assert_ptr_nonnull(strstr(r.out, "execve (syscall"));
	ck_assert_ptr_nonnull(strstr(r.out, "layers of a worker"));
	ck_assert_ptr_nonnull(strstr(r.out, "seccomp       applied"));
	for (size_t i = 0; i < sizeof(spawn_layers) / sizeof(spawn_layers[0]);
	    i++) {
		char row[32];

		snprintf(row, sizeof(row), "\n  %-13s ", spawn_layers[i]);
		ck_assert_msg(strstr(r.out, row) != NULL, "no %s layer:\n%s",
		    spawn_layers[i], r.out);
	}
	/* Every check of the worker in /proc holds; as root, each is ok,
	 * not merely degraded. */
	ck_assert_ptr_nonnull(strstr(r.out, "\nthe same worker in /proc"));
	for (size_t i = 0; i < sizeof(proc_checks) / sizeof(proc_checks[0]);
	    i++) {
		char row[64];
		const char *at;

		snprintf(row, sizeof(row), "\n%-16s ", proc_checks[i]);
		at = strstr(strstr(r.out, "\nthe same worker in /proc"), row);
		ck_assert_msg(at != NULL, "no %s check:\n%s", proc_checks[i],
		    r.out);
		if (geteuid() == 0)
			ck_assert_msg(strncmp(at + strlen(row), "ok ", 3) == 0,
			    "%.*s", (int)strcspn(at + 1, "\n"), at + 1);
		else
			ck_assert_msg(strncmp(at + strlen(row), "FAILED", 6) !=
			    0, "%.*s", (int)strcspn(at + 1, "\n"), at + 1);
	}
	ck_assert_ptr_nonnull(strstr(r.out, "passed: all 13 probes blocked"));
	ck_assert_ptr_null(strstr(r.out, "ALLOWED"));
	/* The second table shows the other layers at work: with seccomp
	 * out of the way, the worker still cannot become root, signal any
	 * other process or find a capability to gain. */
	ck_assert_ptr_nonnull(strstr(r.out, "defense in depth"));
	if (geteuid() == 0) {
		static const char *const identity[] = { "become-root",
		    "signal-others", "bounding-set" };

		for (size_t i = 0; i < 3; i++) {
			char *row = relaxed_verdict(r.out, identity[i]);

			ck_assert_msg(strstr(row, " blocked ") != NULL, "%s",
			    row);
			free(row);
		}
	}
	run_result_free(&r);
}
END_TEST

START_TEST(test_weakened_policy_fails_loudly)
{
	char base[PATH_MAX], *dir = temp_dir(), *text, *policy;
	struct run_result r;
	char *row;

	/* The real policy plus executable memory and sockets.  The sanitizer
	 * policy is the real one plus what ASan needs, so it serves both
	 * builds. */
	ck_assert_ptr_nonnull(realpath("policies/sanitizer.policy", base));
	ck_assert_int_ne(asprintf(&text, "include %s -- everything real\n"
	    "mmap -- weakened: any protection\n"
	    "socket -- weakened: sockets\n", base), -1);
	policy = write_text(dir, "weak.policy", text);
	run_luaward(&r, NULL, 0, 300, "selftest", "--policy", policy, NULL);
	ck_assert_msg(r.status == 1, "status %d:\n%s", r.status, r.out);
	row = first_verdict(r.out, "map-executable");
	ck_assert_msg(strstr(row, "ALLOWED") != NULL, "%s", row);
	free(row);
	/* socket() got past seccomp, but a descriptor limit of 3 leaves no
	 * room for it: another layer holds. */
	row = first_verdict(r.out, "create-socket");
	ck_assert_msg(strstr(row, " blocked ") != NULL &&
	    strstr(row, "fd_limit") != NULL, "%s", row);
	free(row);
	/* What the weakening did not touch is still blocked by seccomp. */
	row = first_verdict(r.out, "open-file");
	ck_assert_msg(strstr(row, " blocked  seccomp") != NULL, "%s", row);
	free(row);
	ck_assert_ptr_nonnull(strstr(r.out, "FAILED: 1 of 13 probes were "
	    "ALLOWED"));
	run_result_free(&r);
	free(policy);
	free(text);
	free(dir);
}
END_TEST

START_TEST(test_landlock_blocks_files_when_seccomp_would_not)
{
	char base[PATH_MAX], *dir = temp_dir(), *text, *policy;
	struct run_result r;
	char *row;

	/* openat allowed: another layer still stops it.  That is the fd
	 * limit, which fails open() before Landlock is asked. */
	ck_assert_ptr_nonnull(realpath("policies/sanitizer.policy", base));
	ck_assert_int_ne(asprintf(&text, "include %s -- everything real\n"
	    "openat -- weakened: files\n", base), -1);
	policy = write_text(dir, "files.policy", text);
	run_luaward(&r, NULL, 0, 300, "selftest", "--policy", policy, NULL);
	ck_assert_msg(r.status == 0, "status %d:\n%s\n%s", r.status, r.out,
	    r.err);
	row = first_verdict(r.out, "open-file");
	ck_assert_msg(strstr(row, " blocked ") != NULL && strstr(row,
	    "seccomp") == NULL, "%s", row);
	free(row);
	/* Landlock's own work shows where no fd is needed: executing a file,
	 * with seccomp allowing execve.  A kernel without Landlock skips the
	 * layer in auto mode, and the layers table says so. */
	if (strstr(r.out, "\n  landlock      skipped ") != NULL)
		ck_assert_msg(strstr(r.out, "skipped  the kernel has no "
		    "Landlock") != NULL, "%s", r.out);
	else {
		char verdict[16] = "", layer[16] = "";

		ck_assert_msg(strstr(r.out, "\n  landlock      applied ") !=
		    NULL, "%s", r.out);
		row = relaxed_verdict(r.out, "execute");
		ck_assert_msg(sscanf(row, "execute %15s %15s", verdict,
		    layer) == 2 && strcmp(verdict, "blocked") == 0 &&
		    strcmp(layer, "landlock") == 0, "%s", row);
		free(row);
	}
	run_result_free(&r);
	free(policy);
	free(text);
	free(dir);
}
END_TEST

START_TEST(test_selftest_takes_no_arguments)
{
	struct run_result r;

	run_luaward(&r, NULL, 0, 30, "selftest", "extra", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "selftest takes no arguments"));
	run_result_free(&r);
}
END_TEST

/*
 * The worker binary is position-independent, so address-space
 * randomisation moves its code on every start (docs/security.md), and
 * static: no program interpreter, no library looked up at exec.  The
 * sanitizer build's worker is dynamic (its runtimes cannot be linked
 * statically): there only the first half holds.
 */
START_TEST(test_worker_is_a_static_position_independent_executable)
{
	char *path;
	size_t length;
	char *image;
	const Elf64_Ehdr *header;
	bool interpreter = false;

	ck_assert_int_ne(asprintf(&path, "%s/luaward-worker", build_dir()), -1);
	image = read_source_file(path, &length);
	ck_assert_uint_ge(length, sizeof(*header));
	header = (const Elf64_Ehdr *)(const void *)image;
	ck_assert_mem_eq(header->e_ident, ELFMAG, SELFMAG);
	ck_assert_int_eq(header->e_type, ET_DYN);
	ck_assert_uint_le(header->e_phoff + (size_t)header->e_phnum *
	    sizeof(Elf64_Phdr), length);
	for (size_t i = 0; i < header->e_phnum; i++) {
		const Elf64_Phdr *segment = (const Elf64_Phdr *)(const void *)
		    (image + header->e_phoff + i * sizeof(Elf64_Phdr));

		if (segment->p_type == PT_INTERP)
			interpreter = true;
	}
#ifdef LUAWARD_SANITIZE
	(void)interpreter;
#else
	ck_assert_msg(!interpreter, "%s asks for a program interpreter",
	    path);
#endif
	free(image);
	free(path);
}
END_TEST

Suite *
selftest_suite(void)
{
	Suite *s = suite_create("selftest");
	TCase *t = tcase_create("probes");

	tcase_set_timeout(t, 600);
	tcase_add_test(t, test_every_probe_is_blocked);
	tcase_add_test(t, test_weakened_policy_fails_loudly);
	tcase_add_test(t, test_landlock_blocks_files_when_seccomp_would_not);
	tcase_add_test(t, test_selftest_takes_no_arguments);
	tcase_add_test(t, test_worker_is_a_static_position_independent_executable);
	suite_add_tcase(s, t);
	return s;
}
