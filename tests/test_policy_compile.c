/*
 * What seccomp policy rules compile to (supervisor/policy/policy.c): the shipped
 * policies, argument names and constants, the BPF program itself (the
 * architecture checked first, then each rule's action), syscall names, and
 * a file's free layout; read back through `policy show` and from the
 * program.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../supervisor/policy/policy.h"
#include "helpers.h"
#include "policy_support.h"
#include "suites.h"

/* --- what the rules compile to ------------------------------------------- */

START_TEST(test_shipped_policies_load)
{
	struct policy *worker = must_load("policies/worker.policy");
	struct policy *sanitizer = must_load("policies/sanitizer.policy");
	const struct sock_filter *program;
	char *text;
	size_t length;

	ck_assert_str_eq(policy_path(worker), "policies/worker.policy");
	ck_assert_uint_gt(policy_rule_count(worker), 0);
	/* The sanitizer policy is the worker's, plus sigaltstack and
	 * madvise for AddressSanitizer's runtime. */
	ck_assert_uint_eq(policy_rule_count(sanitizer),
	    policy_rule_count(worker) + 2);
	program = policy_program(worker, &length);
	ck_assert_ptr_nonnull(program);
	ck_assert_uint_gt(length, 0);
	ck_assert_uint_eq(length % sizeof(struct sock_filter), 0);

	text = show(worker);
	ASSERT_CONTAINS(text, "# default: trap --");
	/* read from fd 0 only, write to fds 1 and 2 only, no PROT_EXEC. */
	{
		char *read = filter_for(text, "read");
		char *write = filter_for(text, "write");
		char *mmap = filter_for(text, "mmap");

		ASSERT_CONTAINS(read, "$a0.lo32 == 0");
		ASSERT_CONTAINS(write, "$a0.lo32 == 1");
		ASSERT_CONTAINS(write, "$a0.lo32 == 2");
		ASSERT_CONTAINS(mmap, "$a2.lo32 & 0x00000004 == 0");
		free(read);
		free(write);
		free(mmap);
	}
	ck_assert_ptr_null(strstr(text, "\"sigaltstack\""));
	free(text);
	text = show(sanitizer);
	free(filter_for(text, "sigaltstack"));
	free(filter_for(text, "read"));
	free(text);
	policy_free(worker);
	policy_free(sanitizer);
}
END_TEST

/* Argument names and constants become the right argument and value. */
START_TEST(test_names_and_constants_resolve)
{
	char *dir = temp_dir(), *path, *text, *f, want[128];
	struct policy *policy;

	path = write_text(dir, "p.policy",
	    "default kill-process -- nothing else\n"
	    "openat flags == O_RDONLY|O_CLOEXEC -- r1\n"
	    "mmap (flags & MAP_FIXED) == 0 && prot == PROT_READ|PROT_WRITE "
	    "-- r2\n"
	    "clock_gettime clockid == CLOCK_MONOTONIC_RAW -- r3\n"
	    "lseek offset == 0x100000002 -- r4\n"
	    "read arg0 == 010 -- decimal, not octal\n"
	    "futex (futex_op & 0x7F) == FUTEX_WAKE -- r6\n"
	    "\t kill \t pid == 0X1f\t&&\tsig==9   --   tabs and no spaces\n");
	policy = must_load(path);
	ck_assert_uint_eq(policy_rule_count(policy), 7);
	text = show(policy);

	ASSERT_CONTAINS(text, "# default: kill-process -- nothing else");
	ASSERT_CONTAINS(text, "flags == O_RDONLY|O_CLOEXEC");
	ASSERT_CONTAINS(text, "-- decimal, not octal");
	ASSERT_CONTAINS(text, "# default action\n  action KILL_PROCESS;");

	f = filter_for(text, "openat");		/* flags is arg2 */
	snprintf(want, sizeof(want), "$a2.lo32 == %u",
	    (unsigned)(O_RDONLY | O_CLOEXEC));
	ASSERT_CONTAINS(f, want);
	ASSERT_CONTAINS(f, "$a2.hi32 == 0");
	free(f);

	f = filter_for(text, "mmap");		/* flags arg3, prot arg2 */
	snprintf(want, sizeof(want), "$a3.lo32 & 0x%08x == 0",
	    (unsigned)MAP_FIXED);
	ASSERT_CONTAINS(f, want);
	snprintf(want, sizeof(want), "$a2.lo32 == %u",
	    (unsigned)(PROT_READ | PROT_WRITE));
	ASSERT_CONTAINS(f, want);
	free(f);

	f = filter_for(text, "clock_gettime");
	snprintf(want, sizeof(want), "$a0.lo32 == %u",
	    (unsigned)CLOCK_MONOTONIC_RAW);
	ASSERT_CONTAINS(f, want);
	free(f);

	f = filter_for(text, "lseek");		/* 64 bits: both halves */
	ASSERT_CONTAINS(f, "$a1.hi32 == 1");
	ASSERT_CONTAINS(f, "$a1.lo32 == 2");
	free(f);

	f = filter_for(text, "read");
	ASSERT_CONTAINS(f, "$a0.lo32 == 10");
	free(f);

	f = filter_for(text, "futex");		/* FUTEX_WAKE is 1 */
	ASSERT_CONTAINS(f, "$a1.lo32 & 0x0000007f == 1");
	free(f);

	f = filter_for(text, "kill");		/* pid arg0, sig arg1 */
	ASSERT_CONTAINS(f, "$a0.lo32 == 31");
	ASSERT_CONTAINS(f, "$a1.lo32 == 9");
	free(f);

	free(text);
	policy_free(policy);
	free(path);
	free(dir);
}
END_TEST

/* The kernel reads the program 8 bytes an instruction. */
_Static_assert(sizeof(struct sock_filter) == 8, "a BPF instruction is 8 "
    "bytes");

/* The BPF program checks the architecture first, and returns what the
 * default line and the rules say. */
START_TEST(test_program)
{
	char *dir = temp_dir(), *trap_path, *kill_path;
	struct policy *trap, *kill_policy;
	const struct sock_filter *program;
	size_t length, n;
	bool allow = false, trap_ret = false, kill_ret = false;

	trap_path = write_text(dir, "trap.policy", "default trap -- t\n"
	    "brk -- heap\n");
	kill_path = write_text(dir, "kill.policy",
	    "default kill-process -- k\nbrk -- heap\n");
	trap = must_load(trap_path);
	kill_policy = must_load(kill_path);

	program = policy_program(trap, &length);
	ck_assert_uint_gt(length, 0);
	ck_assert_uint_eq(length % 8, 0);
	n = length / sizeof(struct sock_filter);
	/* Load seccomp_data.arch before anything else. */
	ck_assert_uint_eq(program[0].code, BPF_LD | BPF_W | BPF_ABS);
	ck_assert_uint_eq(program[0].k, offsetof(struct seccomp_data, arch));
	for (size_t i = 0; i < n; i++)
		if (BPF_CLASS(program[i].code) == BPF_RET) {
			allow |= program[i].k == SECCOMP_RET_ALLOW;
			trap_ret |= program[i].k == SECCOMP_RET_TRAP;
			kill_ret |= program[i].k ==
			    SECCOMP_RET_KILL_PROCESS;
		}
	ck_assert(allow);
	ck_assert(trap_ret);
	/* Another architecture's ABI kills, whatever the default. */
	ck_assert(kill_ret);
#ifdef __x86_64__
	{
		bool arch = false;

		for (size_t i = 0; i < n; i++)
			arch |= program[i].code == (BPF_JMP | BPF_JEQ |
			    BPF_K) && program[i].k == AUDIT_ARCH_X86_64;
		ck_assert(arch);
	}
#endif

	program = policy_program(kill_policy, &length);
	n = length / sizeof(struct sock_filter);
	trap_ret = false;
	for (size_t i = 0; i < n; i++)
		if (BPF_CLASS(program[i].code) == BPF_RET)
			trap_ret |= program[i].k == SECCOMP_RET_TRAP;
	ck_assert(!trap_ret);

	policy_free(trap);
	policy_free(kill_policy);
	free(trap_path);
	free(kill_path);
	free(dir);
}
END_TEST

START_TEST(test_syscall_names)
{
	char buffer[64];

	ck_assert_str_eq(policy_syscall_name(0xc000003e, 257, buffer,
	    sizeof(buffer)), "openat");
	ck_assert_str_eq(buffer, "openat");
	ck_assert_str_eq(policy_syscall_name(AUDIT_ARCH_X86_64, 0, buffer,
	    sizeof(buffer)), "read");
	ck_assert_str_eq(policy_syscall_name(AUDIT_ARCH_X86_64, 59, buffer,
	    sizeof(buffer)), "execve");
	/* i386 numbers differ: 5 is open there. */
	ck_assert_str_eq(policy_syscall_name(AUDIT_ARCH_I386, 5, buffer,
	    sizeof(buffer)), "open");
	ck_assert_ptr_null(policy_syscall_name(AUDIT_ARCH_X86_64, -1, buffer,
	    sizeof(buffer)));
	ck_assert_ptr_null(policy_syscall_name(AUDIT_ARCH_X86_64,
	    (long)INT32_MAX + 1, buffer, sizeof(buffer)));
	ck_assert_ptr_null(policy_syscall_name(AUDIT_ARCH_X86_64, 100000,
	    buffer, sizeof(buffer)));
}
END_TEST

/* Comments, blank lines, tabs, CRLF line ends and a last line without a
 * newline are all fine. */
START_TEST(test_layout_is_free)
{
	static const char text[] = "# comment\n"
	    "   # indented comment\n"
	    "\n"
	    "\t\n"
	    "default\ttrap\t--\tt\r\n"
	    "  read   fd==0   --   spaces -- and dashes in the reason\r\n"
	    "exit_group -- last line, no newline";
	char *dir = temp_dir(), *path, *shown;
	struct policy *policy;

	path = write_file(dir, "p.policy", text, sizeof(text) - 1);
	policy = must_load(path);
	ck_assert_uint_eq(policy_rule_count(policy), 2);
	shown = show(policy);
	ASSERT_CONTAINS(shown, "spaces -- and dashes in the reason\n");
	ASSERT_CONTAINS(shown, "p.policy:6");
	ASSERT_CONTAINS(shown, "p.policy:7");
	free(shown);
	policy_free(policy);
	free(path);
	free(dir);
}
END_TEST

Suite *
policy_compile_suite(void)
{
	Suite *s = suite_create("policy_compile");
	TCase *compiled = tcase_create("compiled");

	tcase_set_timeout(compiled, 30);
	tcase_add_test(compiled, test_shipped_policies_load);
	tcase_add_test(compiled, test_names_and_constants_resolve);
	tcase_add_test(compiled, test_program);
	tcase_add_test(compiled, test_syscall_names);
	tcase_add_test(compiled, test_layout_is_free);
	suite_add_tcase(s, compiled);
	return s;
}
