/* Shared by the test suites: temporary files and the real binaries. */
#ifndef LUAWARD_TESTS_HELPERS_H
#define LUAWARD_TESTS_HELPERS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A passing ck_assert still reports its position to the runner (one write
 * each), far too slow for the loops over hundreds of thousands of cases:
 * REQUIRE only calls into check when the condition fails.
 */
#define REQUIRE(condition, ...) do {					\
	if (!(condition))						\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/* xorshift64*: the same sequence on every run, whatever the C library,
 * and no libc state shared with anything else. */
static inline uint64_t
next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* CLOCK_MONOTONIC in seconds. */
double		 now(void);

/*
 * How much slower than an optimised build on a quiet machine this run may
 * be: 8 in a sanitizer build, times $LUAWARD_TEST_SLOWDOWN when set (for a
 * loaded machine).  Every wall-clock limit a test sets on luaward is
 * multiplied by it; none is ever an assertion about speed.
 */
double		 slowdown(void);
/* VmRSS of pid in KiB, from /proc; 0 when it cannot be read. */
long		 rss_kib(pid_t pid);

struct run_result {
	int	 status;	/* exit status, or 128 + signal */
	char	*out;		/* NUL-terminated */
	size_t	 out_length;
	char	*err;
	size_t	 err_length;
};

/* The directory of the binaries under test ($LUAWARD_BUILD or build). */
const char	*build_dir(void);

/* Runs luaward with argv (NULL-terminated, without "luaward") and input
 * on its stdin; kills it after timeout_s seconds (status 128 + 9). */
void		 run_luaward(struct run_result *, const char *input,
		     size_t input_length, double timeout_s, const char *arg,
		     ...) __attribute__((sentinel));
/* The same with an argument vector. */
void		 run_luaward_argv(struct run_result *, const char *input,
		     size_t input_length, double timeout_s,
		     const char *const *argv);
void		 run_result_free(struct run_result *);

/* A fresh directory under the test's temporary root. */
char		*temp_dir(void);
/* Writes a file (directories must exist); returns its path. */
char		*write_file(const char *dir, const char *name,
		     const char *content, size_t length);
/* write_file() of a NUL-terminated text. */
char		*write_text(const char *dir, const char *name,
		     const char *text);
/* A plugin directory: pairs of file name and source, NULL-terminated. */
char		*plugin_dir(const char *name, ...) __attribute__((sentinel));
/* How Lua names a plugin file in its messages: the path whole when it
 * is at most 59 bytes, else "..." and its last 56 (LUA_IDSIZE). */
char		*lua_shown_path(const char *path);
/* Reads a file of the source tree (tests/data/...), NUL-terminated. */
char		*read_source_file(const char *path, size_t *length);

/* Line n (0-based) of text, without its newline, newly allocated; NULL
 * when there are fewer lines. */
char		*line_of(const char *text, size_t n);
size_t		 count_lines(const char *text);

/* Before the suites fork: the temporary root all tests share; then
 * removes everything temp_dir() made. */
void		 helpers_init(void);
void		 helpers_cleanup(void);

#endif
