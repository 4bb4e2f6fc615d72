/*
 * Landlock with an empty ruleset: every filesystem access right the kernel
 * knows is handled and none is granted, so the worker can open, create,
 * execute, truncate or list nothing, even if a syscall slipped through the
 * seccomp policy.  Newer kernels also take TCP bind/connect (ABI 4) and
 * signals and abstract Unix sockets outside the domain (ABI 6).
 *
 * Debian 12's headers stop at ABI 2, so the later UAPI constants and the
 * full ruleset attribute are spelled out here.
 */
#include <errno.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#define ACCESS_FS_ABI1	((1ULL << 13) - 1)	/* EXECUTE .. MAKE_SYM */
#define ACCESS_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#define ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#define ACCESS_NET_BIND_TCP	(1ULL << 0)	/* ABI 4 */
#define ACCESS_NET_CONNECT_TCP	(1ULL << 1)	/* ABI 4 */
#define SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */

struct ruleset_attr {
	uint64_t	 handled_access_fs;
	uint64_t	 handled_access_net;
	uint64_t	 scoped;
};

static int
skip_or_fail(enum wire_mode mode, char *detail, size_t size,
    const char *why)
{
	snprintf(detail, size, "%s", why);
	return mode == WIRE_MODE_REQUIRE ? -1 : 1;
}

int
landlock_apply(enum wire_mode mode, char *detail, size_t size)
{
	struct ruleset_attr attr = { 0 };
	size_t attr_size = sizeof(attr.handled_access_fs);
	long abi;
	int ruleset;

	if (mode == WIRE_MODE_OFF) {
		snprintf(detail, size, "turned off (--landlock off)");
		return 1;
	}
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		char why[128];

		snprintf(why, sizeof(why), "the kernel has no Landlock (%s)",
		    strerror(errno));
		return skip_or_fail(mode, detail, size, why);
	}
	attr.handled_access_fs = ACCESS_FS_ABI1;
	if (abi >= 2)
		attr.handled_access_fs |= ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= ACCESS_FS_TRUNCATE;
	if (abi >= 4) {
		attr.handled_access_net = ACCESS_NET_BIND_TCP |
		    ACCESS_NET_CONNECT_TCP;
		attr_size = offsetof(struct ruleset_attr, scoped);
	}
	if (abi >= 5)
		attr.handled_access_fs |= ACCESS_FS_IOCTL_DEV;
	if (abi >= 6) {
		attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size,
	    0);
	if (ruleset < 0) {
		snprintf(detail, size, "landlock_create_ruleset: %s",
		    strerror(errno));
		return -1;
	}
	/* No rules are added: nothing is allowed. */
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) == -1) {
		snprintf(detail, size, "landlock_restrict_self: %s",
		    strerror(errno));
		close(ruleset);
		return -1;
	}
	close(ruleset);
	snprintf(detail, size, "ABI %ld: no filesystem access%s%s", abi,
	    abi >= 4 ? ", no TCP bind/connect" : "",
	    abi >= 6 ? ", no signals or abstract sockets outside" : "");
	return 0;
}
