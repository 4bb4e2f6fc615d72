/*
 * Shared by the plugin store's suites (test_store*.c): state directories,
 * the chain as one string, files of the directory read and written behind
 * the store's back, and stderr captured to see what the store reported.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_STORE_SUPPORT_H
#define LUAWARD_TESTS_STORE_SUPPORT_H

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../supervisor/daemon/store.h"
#include "helpers.h"

static char store_error[512];

/* A state directory path that does not exist yet. */
static inline char *
state_dir(void)
{
	char *parent = temp_dir(), *dir;

	ck_assert_int_ne(asprintf(&dir, "%s/state", parent), -1);
	free(parent);
	return dir;
}

static inline char *
path_in(const char *dir, const char *file)
{
	char *path;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, file), -1);
	return path;
}

static inline struct store *
must_open(const char *dir)
{
	struct store *s;

	store_error[0] = '\0';
	s = store_open(dir, store_error, sizeof(store_error));
	ck_assert_msg(s != NULL, "store_open(%s): %s", dir, store_error);
	return s;
}

#define PUT(s, name, source, replace, position, anchor) do {		\
	enum store_result r_ = store_put((s), (name), (source),		\
	    strlen(source), (replace), (position), (anchor),		\
	    store_error, sizeof(store_error));				\
	ck_assert_msg(r_ == STORE_OK, "line %d: put %s: %s (%s)",	\
	    __LINE__, (name), store_result_name(r_), store_error);	\
} while (0)

#define PUT_FAILS(want, s, name, source, replace, position, anchor) do { \
	enum store_result r_;						\
									\
	store_error[0] = '\0';						\
	r_ = store_put((s), (name), (source), strlen(source),		\
	    (replace), (position), (anchor), store_error,		\
	    sizeof(store_error));					\
	ck_assert_msg(r_ == (want), "line %d: put %s gave %s, not %s",	\
	    __LINE__, (name), store_result_name(r_),			\
	    store_result_name(want));					\
	ck_assert_msg(store_error[0] != '\0', "line %d: no message",	\
	    __LINE__);							\
} while (0)

/* The chain's names, space-separated. */
static inline char *
chain_of(const struct store *s)
{
	size_t size = 1;
	char *chain;

	for (size_t i = 0; i < store_count(s); i++)
		size += strlen(store_entry(s, i)->name) + 1;
	chain = calloc(1, size);
	ck_assert_ptr_nonnull(chain);
	for (size_t i = 0; i < store_count(s); i++) {
		if (i > 0)
			strcat(chain, " ");
		strcat(chain, store_entry(s, i)->name);
	}
	return chain;
}

#define ASSERT_CHAIN(s, want) do {					\
	char *chain_ = chain_of(s);					\
									\
	ck_assert_msg(strcmp(chain_, (want)) == 0,			\
	    "line %d: chain \"%s\", expected \"%s\"", __LINE__, chain_,	\
	    (want));							\
	free(chain_);							\
} while (0)

/* The source of the plugin called name, which must be there. */
static inline const struct store_entry *
entry_named(const struct store *s, const char *name)
{
	ssize_t i = store_find(s, name);

	ck_assert_msg(i >= 0, "no plugin %s", name);
	return store_entry(s, (size_t)i);
}

static inline int
by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's file names but . and .., sorted, space-separated. */
static inline char *
listing(const char *dir)
{
	char *names[1024], *out;
	size_t n = 0, size = 1;
	struct dirent *d;
	DIR *dp = opendir(dir);

	ck_assert_ptr_nonnull(dp);
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		ck_assert_uint_lt(n, 1024);
		names[n] = strdup(d->d_name);
		size += strlen(d->d_name) + 1;
		n++;
	}
	closedir(dp);
	qsort(names, n, sizeof(names[0]), by_string);
	out = calloc(1, size);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, names[i]);
		free(names[i]);
	}
	return out;
}

#define ASSERT_LISTING(dir, want) do {					\
	char *l_ = listing(dir);					\
									\
	ck_assert_msg(strcmp(l_, (want)) == 0,				\
	    "line %d: files \"%s\", expected \"%s\"", __LINE__, l_,	\
	    (want));							\
	free(l_);							\
} while (0)

/* The one file of dir whose name starts with prefix (a plugin's file is
 * NAME@GENERATION.lua). */
static inline char *
file_of(const char *dir, const char *prefix)
{
	char *found = NULL;
	struct dirent *d;
	DIR *dp = opendir(dir);

	ck_assert_ptr_nonnull(dp);
	while ((d = readdir(dp)) != NULL)
		if (strncmp(d->d_name, prefix, strlen(prefix)) == 0) {
			ck_assert_msg(found == NULL, "two files %s*", prefix);
			found = path_in(dir, d->d_name);
		}
	closedir(dp);
	ck_assert_msg(found != NULL, "no file %s* in %s", prefix, dir);
	return found;
}

static inline char *
slurp(const char *path, size_t *length)
{
	char *data = read_source_file(path, length);

	ck_assert_msg(data != NULL, "cannot read %s", path);
	return data;
}

static inline void
spew(const char *path, const char *data, size_t length)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, length, f), length);
	ck_assert_int_eq(fclose(f), 0);
}

/* stderr into a file while the store reports. */
static int saved_stderr = -1;
static FILE *capture_file;

static inline void
capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	ck_assert_ptr_nonnull(capture_file);
	saved_stderr = dup(2);
	ck_assert_int_ne(saved_stderr, -1);
	ck_assert_int_ne(dup2(fileno(capture_file), 2), -1);
}

/* What was written to stderr since capture_begin(), NUL-terminated. */
static inline char *
capture_end(void)
{
	long size;
	char *text;

	fflush(stderr);
	ck_assert_int_ne(dup2(saved_stderr, 2), -1);
	close(saved_stderr);
	size = ftell(capture_file);
	ck_assert_int_ge(size, 0);
	text = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(text);
	rewind(capture_file);
	ck_assert_uint_eq(fread(text, 1, (size_t)size, capture_file),
	    (size_t)size);
	fclose(capture_file);
	return text;
}

#define ASSERT_CONTAINS(text, fragment) \
	ck_assert_msg(strstr((text), (fragment)) != NULL,		\
	    "line %d: \"%s\" not in:\n%s", __LINE__, (fragment), (text))

/* Opens dir capturing what store_open() reports into *report. */
static inline struct store *
open_reporting(const char *dir, char **report)
{
	struct store *s;

	capture_begin();
	store_error[0] = '\0';
	s = store_open(dir, store_error, sizeof(store_error));
	*report = capture_end();
	ck_assert_msg(s != NULL, "store_open(%s): %s", dir, store_error);
	return s;
}

#endif
