/*
 * The seccomp layer.  The filter itself is compiled by the supervisor from
 * policies/worker.policy (supervisor/policy/policy.c) and arrives as a BPF program
 * in the LOAD message, so the kernel enforces exactly what `luaward policy
 * show` prints.
 *
 * A policy whose default action is "trap" makes the kernel raise SIGSYS
 * instead of killing at once; the handler below reports the syscall (and the
 * request that was running) to the supervisor, then re-issues the same
 * syscall with the same arguments.  SA_RESETHAND has restored the default
 * action and SIGSYS is blocked inside the handler, so the second trap kills
 * the process with SIGSYS: the outcome is the kernel's kill, with a name.
 * rt_sigaction is not in the policy, so plugin code can never replace the
 * handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "sandbox.h"

static volatile uint64_t current_request;

void
sandbox_set_current_request(uint64_t id)
{
	current_request = id;
}

/* Big-endian helpers for the hand-built frame (no allocation here). */
static unsigned char *
put_be(unsigned char *p, uint64_t value, int width)
{
	for (int i = width - 1; i >= 0; i--)
		*p++ = (unsigned char)(value >> (8 * i));
	return p;
}

static void
report_violation(int signal_number, siginfo_t *info, void *context)
{
	unsigned char frame[64], *p = frame + 4;
	ucontext_t *uc = context;
	size_t length, written = 0;

	(void)signal_number;
	/* VIOLATION as in wire.h: [8, syscall:int64, arch:uint32, id:uint64] */
	*p++ = 0x94;
	*p++ = 0x08;
	*p++ = 0xd3;
	p = put_be(p, (uint64_t)(int64_t)info->si_syscall, 8);
	*p++ = 0xce;
	p = put_be(p, info->si_arch, 4);
	*p++ = 0xcf;
	p = put_be(p, current_request, 8);
	length = (size_t)(p - frame);
	put_be(frame, length - 4, 4);
	while (written < length) {
		ssize_t n = write(1, frame + written, length - written);

		if (n <= 0 && errno != EINTR)
			break;
		if (n > 0)
			written += (size_t)n;
	}
	/* The same call again is refused again, now fatally. */
#if defined(__x86_64__)
	syscall(info->si_syscall, uc->uc_mcontext.gregs[REG_RDI],
	    uc->uc_mcontext.gregs[REG_RSI], uc->uc_mcontext.gregs[REG_RDX],
	    uc->uc_mcontext.gregs[REG_R10], uc->uc_mcontext.gregs[REG_R8],
	    uc->uc_mcontext.gregs[REG_R9]);
#elif defined(__aarch64__)
	syscall(info->si_syscall, uc->uc_mcontext.regs[0],
	    uc->uc_mcontext.regs[1], uc->uc_mcontext.regs[2],
	    uc->uc_mcontext.regs[3], uc->uc_mcontext.regs[4],
	    uc->uc_mcontext.regs[5]);
#else
	(void)uc;
#endif
	/* Not reached unless the architecture is unknown. */
	_exit(128 + SIGSYS);
}

int
seccomp_apply(struct wire_string filter, char *detail, size_t size)
{
	static struct sock_filter program[WIRE_MAX_FILTER / 8];
	struct sock_fprog fprog;
	struct sigaction action;

	/* Copied: the message buffer is reused by the next request. */
	memcpy(program, filter.bytes, filter.length);
	fprog.len = (unsigned short)(filter.length / sizeof(program[0]));
	fprog.filter = program;

	memset(&action, 0, sizeof(action));
	action.sa_sigaction = report_violation;
	action.sa_flags = (int)(SA_SIGINFO | SA_RESETHAND);
	sigemptyset(&action.sa_mask);
	if (sigaction(SIGSYS, &action, NULL) == -1) {
		snprintf(detail, size, "sigaction(SIGSYS): %s",
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == -1) {
		snprintf(detail, size, "loading the %u-instruction filter: %s",
		    fprog.len, strerror(errno));
		return -1;
	}
	snprintf(detail, size, "%u BPF instructions from the policy",
	    fprog.len);
	return 0;
}
