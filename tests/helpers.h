/* Shared by the test suites: temporary files and the real binaries. */
#ifndef LUAWARD_TESTS_HELPERS_H
#define LUAWARD_TESTS_HELPERS_H

#include <stdbool.h>
#include <stddef.h>

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
/* A plugin directory: pairs of file name and source, NULL-terminated. */
char		*plugin_dir(const char *name, ...) __attribute__((sentinel));
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
