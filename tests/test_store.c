/*
 * The plugin store (supervisor/daemon/store.h) used as the daemon uses it: the
 * directory it makes and the ones it refuses, creation order, before and
 * after, replace keeping a plugin's place, delete, every refusal with its
 * own result, and a chain that a new process finds again exactly.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_support.h"
#include "suites.h"

/* Puts the plugins named (space-separated) at the end in that order, each
 * with its place as its source: "a b" is a = "1", then b = "2". */
static void
put_each(struct store *s, const char *names)
{
	char *copy = strdup(names), *name, *last, source[16];
	size_t n = 0;

	ck_assert_ptr_nonnull(copy);
	for (name = strtok_r(copy, " ", &last); name != NULL;
	    name = strtok_r(NULL, " ", &last)) {
		snprintf(source, sizeof(source), "%zu", ++n);
		PUT(s, name, source, false, STORE_END, NULL);
	}
	free(copy);
}

/* The store as the next process finds it. */
static struct store *
reopen(struct store *s, const char *dir)
{
	store_free(s);
	return must_open(dir);
}

/* One put and the chain it must leave. */
struct step {
	const char		*name;
	const char		*source;
	bool			 replace;
	enum store_position	 position;
	const char		*anchor;
	const char		*chain;
};

/* Takes the steps in order; after each, the chain is the step's and the
 * plugin put has the step's source. */
static void
put_steps(struct store *s, const struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct step *p = &steps[i];

		PUT(s, p->name, p->source, p->replace, p->position, p->anchor);
		ASSERT_CHAIN(s, p->chain);
		ck_assert_str_eq(entry_named(s, p->name)->source, p->source);
	}
}

/* Deletes name; store_error holds this delete's message, if any. */
static enum store_result
delete_plugin(struct store *s, const char *name)
{
	store_error[0] = '\0';
	return store_delete(s, name, store_error, sizeof(store_error));
}

/* --- the directory -------------------------------------------------------- */

START_TEST(test_new_directory_is_private_and_empty)
{
	char *dir = state_dir(), *manifest;
	struct store *s = must_open(dir);
	struct stat st;

	ck_assert_uint_eq(store_count(s), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	/* Even an empty chain is committed, so that a missing manifest
	 * later means damage. */
	ASSERT_LISTING(dir, "manifest");
	manifest = path_in(dir, "manifest");
	ck_assert_int_eq(stat(manifest, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	PUT(s, "web", "return 1", false, STORE_END, NULL);
	free(manifest);
	manifest = file_of(dir, "web@");
	ck_assert_int_eq(stat(manifest, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	store_free(s);
	free(manifest);
	free(dir);
}
END_TEST

START_TEST(test_directory_others_may_write_is_refused)
{
	static const mode_t modes[] = { 0770, 0702, 0777, 0720 };
	char *dir = state_dir();

	store_free(must_open(dir));
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		ck_assert_int_eq(chmod(dir, modes[i]), 0);
		store_error[0] = '\0';
		ck_assert_ptr_null(store_open(dir, store_error,
		    sizeof(store_error)));
		ASSERT_CONTAINS(store_error, "writable by");
		ASSERT_CONTAINS(store_error, dir);
	}
	/* Readable by others is the operator's choice. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	store_free(must_open(dir));
	free(dir);
}
END_TEST

START_TEST(test_directory_of_another_user_is_refused)
{
	char *dir = state_dir();

	if (geteuid() != 0) {
		free(dir);
		return;		/* only root can give a directory away */
	}
	store_free(must_open(dir));
	ck_assert_int_eq(chown(dir, 12345, 12345), 0);
	ck_assert_ptr_null(store_open(dir, store_error, sizeof(store_error)));
	ASSERT_CONTAINS(store_error, "belongs to uid 12345");
	free(dir);
}
END_TEST

START_TEST(test_directory_in_use_is_refused)
{
	char *dir = state_dir();
	struct store *s = must_open(dir);

	ck_assert_ptr_null(store_open(dir, store_error, sizeof(store_error)));
	ASSERT_CONTAINS(store_error, "in use");
	store_free(s);
	/* Released with the store. */
	store_free(must_open(dir));
	free(dir);
}
END_TEST

START_TEST(test_directory_that_cannot_be_made_is_an_error)
{
	char *parent = temp_dir(), *dir = path_in(parent, "no/such/state");
	char *file = path_in(parent, "plain");

	ck_assert_ptr_null(store_open(dir, store_error, sizeof(store_error)));
	ASSERT_CONTAINS(store_error, "cannot create state directory");
	spew(file, "x", 1);
	ck_assert_ptr_null(store_open(file, store_error, sizeof(store_error)));
	ASSERT_CONTAINS(store_error, "cannot open state directory");
	free(parent);
	free(dir);
	free(file);
}
END_TEST

/* --- the chain ------------------------------------------------------------ */

START_TEST(test_chain_is_creation_order_and_survives_reopen)
{
	char *dir = state_dir();
	struct store *s = must_open(dir);
	char names[3][8], sha[3][STORE_SHA256_HEX + 1];
	int64_t created[3];
	time_t before = time(NULL);

	PUT(s, "zeta", "return 'z'", false, STORE_END, NULL);
	PUT(s, "alpha", "return 'a'", false, STORE_END, NULL);
	PUT(s, "mid", "", false, STORE_END, NULL);
	ASSERT_CHAIN(s, "zeta alpha mid");
	for (size_t i = 0; i < 3; i++) {
		const struct store_entry *e = store_entry(s, i);

		snprintf(names[i], sizeof(names[i]), "%s", e->name);
		memcpy(sha[i], e->sha256, sizeof(sha[i]));
		created[i] = e->created;
		ck_assert_int_ge(e->created, (int64_t)before);
		ck_assert_int_le(e->created, (int64_t)time(NULL));
	}
	ck_assert_ptr_null(store_entry(s, 3));
	store_free(s);

	s = must_open(dir);
	ASSERT_CHAIN(s, "zeta alpha mid");
	for (size_t i = 0; i < 3; i++) {
		const struct store_entry *e = store_entry(s, i);

		ck_assert_str_eq(e->sha256, sha[i]);
		ck_assert_int_eq(e->created, created[i]);
	}
	ck_assert_str_eq(entry_named(s, "alpha")->source, "return 'a'");
	ck_assert_uint_eq(entry_named(s, "mid")->length, 0);
	ck_assert_str_eq(entry_named(s, "mid")->source, "");
	ck_assert_int_eq(store_find(s, "nope"), -1);
	store_free(s);
	free(dir);
}
END_TEST

/* The digest is the standard one (FIPS 180-2's "abc" vector), of the
 * source bytes only, NUL bytes included. */
START_TEST(test_sha256_is_the_sources)
{
	static const char binary[] = "a\0b\xff";
	char *dir = state_dir(), hex[STORE_SHA256_HEX + 1];
	struct store *s = must_open(dir);
	const struct store_entry *e;

	PUT(s, "abc", "abc", false, STORE_END, NULL);
	ck_assert_str_eq(entry_named(s, "abc")->sha256, "ba7816bf8f01cfea4141"
	    "40de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(store_put(s, "bin", binary, sizeof(binary) - 1,
	    false, STORE_END, NULL, store_error, sizeof(store_error)),
	    STORE_OK);
	s = reopen(s, dir);
	e = entry_named(s, "bin");
	ck_assert_uint_eq(e->length, 4);
	ck_assert_mem_eq(e->source, binary, 4);
	store_sha256(binary, 4, hex);
	ck_assert_str_eq(e->sha256, hex);
	ck_assert_str_ne(hex, entry_named(s, "abc")->sha256);
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_before_and_after_place_a_plugin)
{
	static const struct step steps[] = {
		{ "d", "4", false, STORE_BEFORE, "b", "a d b c" },
		{ "e", "5", false, STORE_AFTER, "c", "a d b c e" },
		{ "f", "6", false, STORE_BEFORE, "a", "f a d b c e" },
		{ "g", "7", false, STORE_AFTER, "a", "f a g d b c e" },
	};
	char *dir = state_dir();
	struct store *s = must_open(dir);

	put_each(s, "a b c");
	put_steps(s, steps, sizeof(steps) / sizeof(steps[0]));
	s = reopen(s, dir);
	ASSERT_CHAIN(s, "f a g d b c e");
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_replace_keeps_the_place)
{
	char *dir = state_dir();
	struct store *s = must_open(dir);
	char old_sha[STORE_SHA256_HEX + 1];

	put_each(s, "a b c");
	memcpy(old_sha, entry_named(s, "b")->sha256, sizeof(old_sha));
	PUT(s, "b", "two", true, STORE_END, NULL);
	ASSERT_CHAIN(s, "a b c");
	ck_assert_str_eq(entry_named(s, "b")->source, "two");
	ck_assert_str_ne(entry_named(s, "b")->sha256, old_sha);
	/* The old version's file is gone: one file per plugin. */
	ASSERT_LISTING(dir, "a@1.lua b@4.lua c@3.lua manifest");
	s = reopen(s, dir);
	ASSERT_CHAIN(s, "a b c");
	ck_assert_str_eq(entry_named(s, "b")->source, "two");
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_replace_with_before_or_after_moves)
{
	static const struct step steps[] = {
		{ "c", "3'", true, STORE_BEFORE, "a", "c a b d" },
		{ "c", "3''", true, STORE_AFTER, "d", "a b d c" },
		{ "a", "1'", true, STORE_AFTER, "b", "b a d c" },
		{ "c", "3'''", true, STORE_BEFORE, "d", "b a c d" },
		/* Replace of a name not there creates it. */
		{ "e", "5", true, STORE_END, NULL, "b a c d e" },
	};
	char *dir = state_dir();
	struct store *s = must_open(dir);

	put_each(s, "a b c d");
	put_steps(s, steps, sizeof(steps) / sizeof(steps[0]));
	s = reopen(s, dir);
	ASSERT_CHAIN(s, "b a c d e");
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_existing_name_needs_replace)
{
	char *dir = state_dir();
	struct store *s = must_open(dir);

	PUT(s, "a", "1", false, STORE_END, NULL);
	PUT_FAILS(STORE_EXISTS, s, "a", "other", false, STORE_END, NULL);
	ASSERT_CONTAINS(store_error, "plugin a exists");
	PUT_FAILS(STORE_EXISTS, s, "a", "other", false, STORE_BEFORE, "a");
	ck_assert_str_eq(entry_named(s, "a")->source, "1");
	ASSERT_LISTING(dir, "a@1.lua manifest");
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_anchor_must_be_another_plugin)
{
	char *dir = state_dir();
	struct store *s = must_open(dir);

	put_each(s, "a b");
	PUT_FAILS(STORE_NO_ANCHOR, s, "c", "3", false, STORE_BEFORE, "zz");
	ASSERT_CONTAINS(store_error, "zz");
	PUT_FAILS(STORE_NO_ANCHOR, s, "c", "3", false, STORE_AFTER, NULL);
	PUT_FAILS(STORE_NO_ANCHOR, s, "c", "3", false, STORE_AFTER, "../a");
	PUT_FAILS(STORE_NO_ANCHOR, s, "a", "1'", true, STORE_BEFORE, "a");
	ASSERT_CONTAINS(store_error, "itself");
	PUT_FAILS(STORE_NO_ANCHOR, s, "c", "3", false, STORE_BEFORE, "c");
	ASSERT_CHAIN(s, "a b");
	ck_assert_str_eq(entry_named(s, "a")->source, "1");
	ASSERT_LISTING(dir, "a@1.lua b@2.lua manifest");
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_names_that_could_be_paths_are_refused)
{
	static const char *const bad[] = { "", ".", "..", ".hidden", "a/b",
	    "../x", "/etc/passwd", "a\\b", "-x", "_x", "a b", "a@1", "a\n",
	    "x\t", "caf\xc3\xa9", "a*", "a:b", "~root", "manifest\x7f",
	    /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
	    "1234567890123456789012345678901234567890"
	    "1234567890123456789012345" };
	char *dir = state_dir();
	struct store *s = must_open(dir);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PUT_FAILS(STORE_INVALID_NAME, s, bad[i], "x", false, STORE_END,
		    NULL);
		ck_assert(!store_name_valid(bad[i]));
		ck_assert_int_eq(delete_plugin(s, bad[i]),
		    STORE_INVALID_NAME);
	}
	ck_assert(!store_name_valid(NULL));
	ASSERT_LISTING(dir, "manifest");
	/* At the edges of the rule. */
	PUT(s, "A", "1", false, STORE_END, NULL);
	PUT(s, "9.x_y-Z", "2", false, STORE_END, NULL);
	PUT(s, "manifest", "3", false, STORE_END, NULL);
	PUT(s, "1234567890123456789012345678901234567890"
	    "123456789012345678901234", "4", false, STORE_END, NULL);
	s = reopen(s, dir);
	ASSERT_CHAIN(s, "A 9.x_y-Z manifest "
	    "1234567890123456789012345678901234567890123456789012345678901234");
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_source_size_limit)
{
	char *dir = state_dir(), *big = malloc(STORE_MAX_SOURCE + 1);
	struct store *s = must_open(dir);

	ck_assert_ptr_nonnull(big);
	memset(big, '-', STORE_MAX_SOURCE + 1);
	ck_assert_int_eq(store_put(s, "big", big, STORE_MAX_SOURCE + 1, false,
	    STORE_END, NULL, store_error, sizeof(store_error)),
	    STORE_TOO_LARGE);
	ASSERT_LISTING(dir, "manifest");
	ck_assert_int_eq(store_put(s, "big", big, STORE_MAX_SOURCE, false,
	    STORE_END, NULL, store_error, sizeof(store_error)), STORE_OK);
	s = reopen(s, dir);
	ck_assert_uint_eq(entry_named(s, "big")->length, STORE_MAX_SOURCE);
	ck_assert_mem_eq(entry_named(s, "big")->source, big, STORE_MAX_SOURCE);
	store_free(s);
	free(big);
	free(dir);
}
END_TEST

START_TEST(test_delete)
{
	char *dir = state_dir();
	struct store *s = must_open(dir);

	put_each(s, "a b c");
	ck_assert_int_eq(delete_plugin(s, "b"), STORE_OK);
	ASSERT_CHAIN(s, "a c");
	ASSERT_LISTING(dir, "a@1.lua c@3.lua manifest");
	ck_assert_int_eq(delete_plugin(s, "b"), STORE_NOT_FOUND);
	ASSERT_CONTAINS(store_error, "no plugin b");
	s = reopen(s, dir);
	ASSERT_CHAIN(s, "a c");
	/* The name is free again; it goes last. */
	PUT(s, "b", "2'", false, STORE_END, NULL);
	ASSERT_CHAIN(s, "a c b");
	ck_assert_int_eq(delete_plugin(s, "a"), STORE_OK);
	ck_assert_int_eq(delete_plugin(s, "c"), STORE_OK);
	ck_assert_int_eq(delete_plugin(s, "b"), STORE_OK);
	ck_assert_uint_eq(store_count(s), 0);
	ASSERT_LISTING(dir, "manifest");
	s = reopen(s, dir);
	ck_assert_uint_eq(store_count(s), 0);
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_store_holds_a_bounded_number_of_plugins)
{
	char *dir = state_dir(), name[16];
	struct store *s = must_open(dir);

	for (int i = 0; i < STORE_MAX_PLUGINS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		PUT(s, name, "", false, STORE_END, NULL);
	}
	PUT_FAILS(STORE_FULL, s, "one-more", "", false, STORE_END, NULL);
	/* A replace does not add one. */
	PUT(s, "p7", "again", true, STORE_BEFORE, "p0");
	s = reopen(s, dir);
	ck_assert_uint_eq(store_count(s), STORE_MAX_PLUGINS);
	ck_assert_str_eq(store_entry(s, 0)->name, "p7");
	ck_assert_str_eq(store_entry(s, STORE_MAX_PLUGINS - 1)->name,
	    "p255");
	store_free(s);
	free(dir);
}
END_TEST

/* An entry stays valid while other plugins change (store.h). */
START_TEST(test_entries_outlive_changes_to_others)
{
	char *dir = state_dir();
	struct store *s = must_open(dir);
	const struct store_entry *a;

	PUT(s, "a", "source of a", false, STORE_END, NULL);
	PUT(s, "b", "2", false, STORE_END, NULL);
	a = entry_named(s, "a");
	PUT(s, "c", "3", false, STORE_BEFORE, "a");
	PUT(s, "b", "2'", true, STORE_END, NULL);
	ck_assert_int_eq(delete_plugin(s, "c"), STORE_OK);
	ck_assert_ptr_eq(entry_named(s, "a"), a);
	ck_assert_str_eq(a->source, "source of a");
	store_free(s);
	free(dir);
}
END_TEST

/* A commit that cannot be written leaves the chain, in memory and on
 * disk, as it was; the next change writes it whole. */
START_TEST(test_failed_commit_changes_nothing)
{
	char *dir = state_dir(), *manifest;
	struct store *s = must_open(dir);

	put_each(s, "a b");
	manifest = path_in(dir, "manifest");
	/* A directory where the manifest goes: its rename fails. */
	ck_assert_int_eq(unlink(manifest), 0);
	ck_assert_int_eq(mkdir(manifest, 0700), 0);
	PUT_FAILS(STORE_IO, s, "c", "3", false, STORE_END, NULL);
	ASSERT_CONTAINS(store_error, "manifest");
	PUT_FAILS(STORE_IO, s, "a", "1'", true, STORE_END, NULL);
	ck_assert_int_eq(delete_plugin(s, "b"), STORE_IO);
	ASSERT_CHAIN(s, "a b");
	ck_assert_str_eq(entry_named(s, "a")->source, "1");
	/* No file of the failed changes is left. */
	ASSERT_LISTING(dir, "a@1.lua b@2.lua manifest");
	ck_assert_int_eq(rmdir(manifest), 0);
	PUT(s, "c", "3", false, STORE_BEFORE, "a");
	s = reopen(s, dir);
	ASSERT_CHAIN(s, "c a b");
	ck_assert_str_eq(entry_named(s, "a")->source, "1");
	store_free(s);
	free(manifest);
	free(dir);
}
END_TEST

START_TEST(test_result_names)
{
	ck_assert_str_eq(store_result_name(STORE_OK), "ok");
	ck_assert_str_eq(store_result_name(STORE_EXISTS), "exists");
	ck_assert_str_eq(store_result_name(STORE_IO), "I/O error");
	ck_assert_str_eq(store_result_name((enum store_result)99), "unknown");
}
END_TEST

Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *dir = tcase_create("directory");
	TCase *chain = tcase_create("chain");

	tcase_add_test(dir, test_new_directory_is_private_and_empty);
	tcase_add_test(dir, test_directory_others_may_write_is_refused);
	tcase_add_test(dir, test_directory_of_another_user_is_refused);
	tcase_add_test(dir, test_directory_in_use_is_refused);
	tcase_add_test(dir, test_directory_that_cannot_be_made_is_an_error);
	suite_add_tcase(s, dir);

	tcase_set_timeout(chain, 120);
	tcase_add_test(chain, test_chain_is_creation_order_and_survives_reopen);
	tcase_add_test(chain, test_sha256_is_the_sources);
	tcase_add_test(chain, test_before_and_after_place_a_plugin);
	tcase_add_test(chain, test_replace_keeps_the_place);
	tcase_add_test(chain, test_replace_with_before_or_after_moves);
	tcase_add_test(chain, test_existing_name_needs_replace);
	tcase_add_test(chain, test_anchor_must_be_another_plugin);
	tcase_add_test(chain, test_names_that_could_be_paths_are_refused);
	tcase_add_test(chain, test_source_size_limit);
	tcase_add_test(chain, test_delete);
	tcase_add_test(chain, test_store_holds_a_bounded_number_of_plugins);
	tcase_add_test(chain, test_entries_outlive_changes_to_others);
	tcase_add_test(chain, test_failed_commit_changes_nothing);
	tcase_add_test(chain, test_result_names);
	suite_add_tcase(s, chain);
	return s;
}
