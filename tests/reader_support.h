/*
 * Shared by the suites of the record reader (supervisor/input/reader.h),
 * test_reader*.c: the records of an input, copied out of the reader, fed
 * whole, in chunks, or cut at every byte; the error message format; and
 * checks of a record's compact text, identity fields and errors.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_READER_SUPPORT_H
#define LUAWARD_TESTS_READER_SUPPORT_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../supervisor/input/reader.h"
#include "helpers.h"

#define SOURCE	"pods.json"

static const struct reader_limits defaults = {
	READER_DEFAULT_MAX_RECORD, READER_DEFAULT_MAX_DEPTH
};

/* A record copied out of the reader, whose pointers last one call. */
struct rec {
	bool		 invalid;
	char		*metadata;
	size_t		 metadata_length;
	char		*uid, *namespace, *name;
	size_t		 uid_length, namespace_length, name_length;
	char		*event;
	size_t		 event_length;
	char		*error;
	uint64_t	 line;
};

struct recs {
	struct rec	*v;
	size_t		 n, capacity;
};

static inline char *
copy_bytes(const char *bytes, size_t length)
{
	char *copy = malloc(length + 1);

	REQUIRE(copy != NULL, "out of memory");
	if (length > 0)
		memcpy(copy, bytes, length);
	copy[length] = '\0';
	return copy;
}

static inline void
recs_add(struct recs *recs, const struct record *record)
{
	struct rec *rec;

	if (recs->n == recs->capacity) {
		recs->capacity = recs->capacity ? 2 * recs->capacity : 16;
		recs->v = realloc(recs->v, recs->capacity * sizeof(*recs->v));
		REQUIRE(recs->v != NULL, "out of memory");
	}
	/* What every record promises, valid or not. */
	REQUIRE(record->metadata != NULL && record->uid != NULL &&
	    record->namespace != NULL && record->name != NULL &&
	    record->event != NULL, "a record with a NULL field");
	REQUIRE(!record->invalid || (record->error != NULL &&
	    record->metadata_length == 0 && record->uid_length == 0 &&
	    record->namespace_length == 0 && record->name_length == 0 &&
	    record->error[0] != '\0'),
	    "an invalid record without an error, or with data");
	REQUIRE(record->line >= 1, "line numbers are 1-based");
	rec = &recs->v[recs->n++];
	rec->invalid = record->invalid;
	rec->metadata = copy_bytes(record->metadata, record->metadata_length);
	rec->metadata_length = record->metadata_length;
	rec->uid = copy_bytes(record->uid, record->uid_length);
	rec->uid_length = record->uid_length;
	rec->namespace = copy_bytes(record->namespace,
	    record->namespace_length);
	rec->namespace_length = record->namespace_length;
	rec->name = copy_bytes(record->name, record->name_length);
	rec->name_length = record->name_length;
	rec->event = copy_bytes(record->event, record->event_length);
	rec->event_length = record->event_length;
	rec->error = record->invalid ? copy_bytes(record->error,
	    strlen(record->error)) : NULL;
	rec->line = record->line;
}

static inline void
recs_free(struct recs *recs)
{
	for (size_t i = 0; i < recs->n; i++) {
		free(recs->v[i].metadata);
		free(recs->v[i].uid);
		free(recs->v[i].namespace);
		free(recs->v[i].name);
		free(recs->v[i].event);
		free(recs->v[i].error);
	}
	free(recs->v);
	memset(recs, 0, sizeof(*recs));
}

/* Feeds one chunk to the end, as the input loop does: a call may stop
 * early (a record is ready) or consume nothing (a byte that ends a number
 * is read again), but it always makes progress. */
static inline void
feed(struct reader *reader, struct recs *recs, const char *data,
    size_t length)
{
	while (length > 0) {
		struct record record;
		bool ready;
		size_t used = reader_feed(reader, data, length, &record,
		    &ready);

		REQUIRE(used != (size_t)-1, "reader_feed: out of memory");
		REQUIRE(used <= length, "reader_feed used more than given");
		REQUIRE(used > 0 || ready, "reader_feed made no progress");
		if (ready)
			recs_add(recs, &record);
		data += used;
		length -= used;
	}
}

static inline void
finish(struct reader *reader, struct recs *recs)
{
	struct record record;

	if (reader_finish(reader, &record))
		recs_add(recs, &record);
}

/* Every record of input, fed in chunks of chunk bytes (0: all at once). */
static inline struct recs
read_chunks(const struct reader_limits *limits, const char *input,
    size_t length, size_t chunk)
{
	struct reader *reader = reader_new(limits, SOURCE);
	struct recs recs = { 0 };

	if (chunk == 0)
		chunk = length;
	for (size_t at = 0; at < length; at += chunk)
		feed(reader, &recs, input + at, length - at < chunk ?
		    length - at : chunk);
	finish(reader, &recs);
	reader_free(reader);
	return recs;
}

/* Every record of input, fed as two chunks cut at byte split. */
static inline struct recs
read_split(const char *input, size_t length, size_t split)
{
	struct reader *reader = reader_new(&defaults, SOURCE);
	struct recs recs = { 0 };

	feed(reader, &recs, input, split);
	feed(reader, &recs, input + split, length - split);
	finish(reader, &recs);
	reader_free(reader);
	return recs;
}

static inline struct recs
read_with(const struct reader_limits *limits, const char *input)
{
	return read_chunks(limits, input, strlen(input), 0);
}

static inline struct recs
read_text(const char *input)
{
	return read_chunks(&defaults, input, strlen(input), 0);
}

/* The error message format: source, line, column, byte offset, why. */
static inline char *
error_at(uint64_t line, uint64_t column, uint64_t offset, const char *why)
{
	char *s;

	ck_assert_int_ne(asprintf(&s, SOURCE ": line %llu, column %llu "
	    "(byte offset %llu): %s", (unsigned long long)line,
	    (unsigned long long)column, (unsigned long long)offset, why), -1);
	return s;
}

static inline void
expect_count(const struct recs *recs, size_t n)
{
	if (recs->n != n) {
		for (size_t i = 0; i < recs->n; i++)
			fprintf(stderr, "record %zu: %s %s\n", i,
			    recs->v[i].invalid ? "invalid" : "valid",
			    recs->v[i].invalid ? recs->v[i].error :
			    recs->v[i].metadata);
		ck_abort_msg("%zu records, expected %zu", recs->n, n);
	}
}

/* Record i is valid, with this compact metadata, starting on line. */
static inline void
expect_record(const struct recs *recs, size_t i, const char *metadata,
    uint64_t line)
{
	const struct rec *rec = &recs->v[i];

	ck_assert_uint_lt(i, recs->n);
	ck_assert_msg(!rec->invalid, "record %zu is invalid: %s", i,
	    rec->error);
	ck_assert_uint_eq(rec->metadata_length, strlen(metadata));
	ck_assert_str_eq(rec->metadata, metadata);
	ck_assert_uint_eq(rec->line, line);
}

static inline void
expect_identity(const struct recs *recs, size_t i, const char *uid,
    const char *namespace, const char *name)
{
	const struct rec *rec = &recs->v[i];

	ck_assert_uint_lt(i, recs->n);
	ck_assert_uint_eq(rec->uid_length, strlen(uid));
	ck_assert_str_eq(rec->uid, uid);
	ck_assert_uint_eq(rec->namespace_length, strlen(namespace));
	ck_assert_str_eq(rec->namespace, namespace);
	ck_assert_uint_eq(rec->name_length, strlen(name));
	ck_assert_str_eq(rec->name, name);
}

/* Record i comes from a watch event of this type ("" for none). */
static inline void
expect_event(const struct recs *recs, size_t i, const char *event)
{
	const struct rec *rec = &recs->v[i];

	ck_assert_uint_lt(i, recs->n);
	ck_assert_uint_eq(rec->event_length, strlen(event));
	ck_assert_str_eq(rec->event, event);
}

/* Record i is invalid with exactly this error; frees error. */
static inline void
expect_invalid(const struct recs *recs, size_t i, char *error, uint64_t line)
{
	const struct rec *rec = &recs->v[i];

	ck_assert_uint_lt(i, recs->n);
	ck_assert_msg(rec->invalid, "record %zu is valid: %s", i,
	    rec->metadata);
	ck_assert_str_eq(rec->error, error);
	ck_assert_uint_eq(rec->line, line);
	free(error);
}

static inline bool
rec_equal(const struct rec *a, const struct rec *b)
{
	return a->invalid == b->invalid && a->line == b->line &&
	    a->metadata_length == b->metadata_length &&
	    memcmp(a->metadata, b->metadata, a->metadata_length) == 0 &&
	    a->uid_length == b->uid_length &&
	    memcmp(a->uid, b->uid, a->uid_length) == 0 &&
	    a->namespace_length == b->namespace_length &&
	    memcmp(a->namespace, b->namespace, a->namespace_length) == 0 &&
	    a->name_length == b->name_length &&
	    memcmp(a->name, b->name, a->name_length) == 0 &&
	    a->event_length == b->event_length &&
	    memcmp(a->event, b->event, a->event_length) == 0 &&
	    (a->error == NULL) == (b->error == NULL) &&
	    (a->error == NULL || strcmp(a->error, b->error) == 0);
}

static inline void
require_same(const struct recs *got, const struct recs *whole,
    const char *how, size_t at)
{
	REQUIRE(got->n == whole->n, "%s %zu: %zu records, whole: %zu", how,
	    at, got->n, whole->n);
	for (size_t i = 0; i < whole->n; i++)
		REQUIRE(rec_equal(&got->v[i], &whole->v[i]), "%s %zu: record "
		    "%zu differs: %s / %s", how, at, i, got->v[i].invalid ?
		    got->v[i].error : got->v[i].metadata, whole->v[i].invalid ?
		    whole->v[i].error : whole->v[i].metadata);
}

/*
 * The records of input do not depend on how it is cut: fed one byte at a
 * time, in chunks of a few sizes, they are those of the whole input.  For
 * inputs too long to cut at every byte.  Returns the whole input's
 * records.
 */
static inline struct recs
read_chunked_ways(const struct reader_limits *limits, const char *input,
    size_t length)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 4096 };
	struct recs whole = read_chunks(limits, input, length, 0);

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct recs got = read_chunks(limits, input, length,
		    chunks[i]);

		require_same(&got, &whole, "chunks of", chunks[i]);
		recs_free(&got);
	}
	return whole;
}

/*
 * The records of input do not depend on how it is cut: fed one byte at a
 * time, and in two chunks cut at every byte boundary, they are those of
 * the whole input.  Returns the whole input's records.
 */
static inline struct recs
read_every_way(const char *input, size_t length)
{
	struct recs whole = read_chunks(&defaults, input, length, 0);
	struct recs got = read_chunks(&defaults, input, length, 1);

	require_same(&got, &whole, "one byte at a time", 0);
	recs_free(&got);
	for (size_t split = 0; split <= length; split++) {
		got = read_split(input, length, split);
		require_same(&got, &whole, "split at", split);
		recs_free(&got);
	}
	return whole;
}

#define READ_EVERY_WAY(literal) \
	read_every_way(literal, sizeof(literal) - 1)

#endif
