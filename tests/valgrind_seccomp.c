/*
 * Preloaded into what `make valgrind` runs.  Valgrind 3.19 does not know
 * the seccomp() syscall, so under it libseccomp concludes that the kernel
 * has none and refuses the kill-process action the policies use.  This
 * tells libseccomp the API level of every kernel luaward supports (3:
 * Linux 4.14).  Only the supervisor's compiling of the filter is
 * concerned: the workers, which install it, run outside valgrind.
 */
#include <seccomp.h>

static void	set_api_level(void) __attribute__((constructor));

static void
set_api_level(void)
{
	(void)seccomp_api_set(3);
}
