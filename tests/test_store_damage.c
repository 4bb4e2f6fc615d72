/*
 * The plugin store (supervisor/daemon/store.h) against damage: plugin files and
 * manifests truncated, flipped, replaced or left over, foreign files, a
 * change made behind the store's back, and a reload the system cannot
 * serve.  Whatever happens, a damaged file is reported and skipped, the
 * others load, and nothing sound is lost.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../supervisor/daemon/store_format.h"
#include "store_support.h"
#include "suites.h"

/* a b c in creation order, chain c a b. */
static char *
three_plugins(void)
{
	char *dir = state_dir();
	struct store *s = must_open(dir);

	PUT(s, "a", "return 'a'", false, STORE_END, NULL);
	PUT(s, "b", "return 'b'", false, STORE_END, NULL);
	PUT(s, "c", "return 'c'", false, STORE_BEFORE, "a");
	ASSERT_CHAIN(s, "c a b");
	store_free(s);
	return dir;
}

/* A plugin file written by hand, as the store writes it. */
static void
plugin_file(const char *dir, const char *name, uint64_t generation,
    int64_t created, const char *source)
{
	struct store_ref ref = { .generation = generation, .created = created,
	    .length = strlen(source) };
	char header[STORE_HEADER_MAX], file[STORE_FILE_NAME_SIZE], *path;
	size_t header_length;
	FILE *f;

	snprintf(ref.name, sizeof(ref.name), "%s", name);
	store_sha256(source, ref.length, ref.sha256);
	header_length = store_format_header(header, &ref);
	store_file_name(file, name, generation);
	path = path_in(dir, file);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(header, 1, header_length, f);
	fwrite(source, 1, ref.length, f);
	ck_assert_int_eq(fclose(f), 0);
	free(path);
}

/* --- damaged plugin files ------------------------------------------------- */

START_TEST(test_damaged_plugin_files_are_skipped)
{
	char *dir = state_dir(), *path, *data, *report;
	struct store *s = must_open(dir);
	size_t length;

	PUT(s, "a", "return 'a'", false, STORE_END, NULL);
	PUT(s, "b", "return 'b'", false, STORE_END, NULL);
	PUT(s, "c", "return 'c'", false, STORE_END, NULL);
	PUT(s, "d", "return 'd'", false, STORE_END, NULL);
	PUT(s, "e", "return 'e'", false, STORE_END, NULL);
	store_free(s);
	/* b: one bit of its source flipped. */
	path = path_in(dir, "b@2.lua");
	data = slurp(path, &length);
	data[length - 2] ^= 0x01;
	spew(path, data, length);
	free(data);
	free(path);
	/* c: cut short, as by a torn write. */
	path = path_in(dir, "c@3.lua");
	data = slurp(path, &length);
	spew(path, data, length - 3);
	free(data);
	free(path);
	/* d: a header that agrees with itself but not with the manifest. */
	path = path_in(dir, "d@4.lua");
	unlink(path);
	plugin_file(dir, "d", 4, 12345, "return 'd'");
	free(path);
	/* e: gone. */
	path = path_in(dir, "e@5.lua");
	ck_assert_int_eq(unlink(path), 0);
	free(path);

	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "a");
	ASSERT_CONTAINS(report, "plugin b skipped: b@2.lua: source does not "
	    "match the header's sha256");
	ASSERT_CONTAINS(report, "plugin c skipped: c@3.lua: source is 7 bytes, "
	    "the header says 10");
	ASSERT_CONTAINS(report, "plugin d skipped: d@4.lua: its header does "
	    "not match the manifest");
	ASSERT_CONTAINS(report, "plugin e skipped: e@5.lua is missing");
	free(report);
	/* Still usable; once a change commits without them, the damaged
	 * files are leftovers. */
	PUT(s, "f", "return 'f'", false, STORE_END, NULL);
	store_free(s);
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "a f");
	ck_assert_ptr_null(strstr(report, "warning"));
	ASSERT_LISTING(dir, "a@1.lua f@6.lua manifest");
	store_free(s);
	free(report);
	free(dir);
}
END_TEST

START_TEST(test_links_fifos_and_others_files_are_skipped)
{
	char *dir = three_plugins(), *report, *path, *target;
	struct store *s;

	/* a: a symbolic link to a good copy of itself. */
	path = path_in(dir, "a@1.lua");
	target = path_in(dir, "../a-copy");
	ck_assert_int_eq(rename(path, target), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	free(path);
	/* b: a FIFO (opening it must not block). */
	path = path_in(dir, "b@2.lua");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	free(path);
	/* c: a directory. */
	path = path_in(dir, "c@3.lua");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	s = open_reporting(dir, &report);
	ck_assert_uint_eq(store_count(s), 0);
	ASSERT_CONTAINS(report, "plugin a skipped: a@1.lua: a symbolic link");
	ASSERT_CONTAINS(report, "plugin b skipped: b@2.lua: not a regular "
	    "file");
	ASSERT_CONTAINS(report, "plugin c skipped: c@3.lua: not a regular "
	    "file");
	store_free(s);
	free(report);
	free(target);
	free(dir);
}
END_TEST

START_TEST(test_file_of_another_user_is_skipped)
{
	char *dir = three_plugins(), *report, *path;
	struct store *s;

	if (geteuid() != 0) {
		free(dir);
		return;		/* only root can give a file away */
	}
	path = path_in(dir, "b@2.lua");
	ck_assert_int_eq(chown(path, 12345, 12345), 0);
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "c a");
	ASSERT_CONTAINS(report, "b@2.lua: owned by another user");
	store_free(s);
	free(report);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_oversized_plugin_file_is_skipped)
{
	char *dir = three_plugins(), *report, *path, *big;
	struct store *s;
	size_t size = STORE_HEADER_MAX + STORE_MAX_SOURCE + 1;

	path = path_in(dir, "a@1.lua");
	big = malloc(size);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', size);
	spew(path, big, size);
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "c b");
	ASSERT_CONTAINS(report, "a@1.lua: larger than any file the store "
	    "writes");
	store_free(s);
	free(report);
	free(big);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_foreign_files_are_reported_and_kept)
{
	char *dir = three_plugins(), *report, *path;
	struct store *s;

	free(write_text(dir, "README", "notes"));
	free(write_text(dir, "a.lua", "return 1"));
	free(write_text(dir, "a@0.lua", "return 1"));
	free(write_text(dir, "a@01.lua", "return 1"));
	free(write_text(dir, ".a@1.lua", "return 1"));
	path = path_in(dir, "sub");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "c a b");
	ASSERT_CONTAINS(report, "skipping README: not a file of the store");
	ASSERT_CONTAINS(report, "skipping a.lua");
	ASSERT_CONTAINS(report, "skipping a@0.lua");
	ASSERT_CONTAINS(report, "skipping a@01.lua");
	ASSERT_CONTAINS(report, "skipping .a@1.lua");
	ASSERT_CONTAINS(report, "skipping sub");
	ASSERT_LISTING(dir, ".a@1.lua README a.lua a@0.lua a@01.lua a@1.lua "
	    "b@2.lua c@3.lua manifest sub");
	store_free(s);
	free(report);
	free(path);
	free(dir);
}
END_TEST

/* --- the manifest --------------------------------------------------------- */

START_TEST(test_garbage_manifest_is_rebuilt_in_creation_order)
{
	static const char garbage[] = "\x89PNG\r\n\x1a\n\0\0\0 not a manifest";
	char *dir = three_plugins(), *report, *path, *kept, *data;
	struct store *s;
	size_t length;

	path = path_in(dir, "manifest");
	spew(path, garbage, sizeof(garbage) - 1);
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "a b c");
	ck_assert_str_eq(entry_named(s, "c")->source, "return 'c'");
	ASSERT_CONTAINS(report, "the manifest is unusable");
	ASSERT_CONTAINS(report, "kept as manifest.corrupt");
	ASSERT_CONTAINS(report, "rebuilding the chain from 3 plugin files");
	free(report);
	kept = path_in(dir, "manifest.corrupt");
	data = slurp(kept, &length);
	ck_assert_uint_eq(length, sizeof(garbage) - 1);
	ck_assert_mem_eq(data, garbage, length);
	free(data);
	store_free(s);
	/* The rebuilt chain is committed: the next start is quiet. */
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "a b c");
	ck_assert_str_eq(report, "");
	store_free(s);
	free(report);
	free(kept);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_missing_manifest_is_rebuilt)
{
	char *dir = three_plugins(), *report, *path;
	struct store *s;

	path = path_in(dir, "manifest");
	ck_assert_int_eq(unlink(path), 0);
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "a b c");
	ASSERT_CONTAINS(report, "no usable manifest: rebuilding the chain "
	    "from 3 plugin files in order of creation");
	ck_assert_ptr_null(strstr(report, "unusable ("));
	ASSERT_LISTING(dir, "a@1.lua b@2.lua c@3.lua manifest");
	store_free(s);
	free(report);
	free(path);
	free(dir);
}
END_TEST

/* Every prefix of a manifest, and every byte of it with a bit flipped,
 * is refused as a whole; at open the chain is then rebuilt from the
 * (sound) plugin files. */
START_TEST(test_truncated_or_flipped_manifest_is_refused)
{
	char *dir = three_plugins(), *path = path_in(dir, "manifest");
	char *good, *copy, *report, why[256];
	struct store_ref *refs;
	struct store *s;
	size_t length, count;
	uint64_t next;

	good = slurp(path, &length);
	copy = malloc(length);
	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(store_parse_manifest(good, length, &refs, &count,
	    &next, why, sizeof(why)), 0);
	ck_assert_uint_eq(count, 3);
	free(refs);
	for (size_t cut = 0; cut < 2 * length; cut++) {
		size_t n = cut < length ? cut : length;

		memcpy(copy, good, length);
		if (cut >= length)
			copy[cut - length] ^= (char)(1u << (cut % 8));
		why[0] = '\0';
		REQUIRE(store_parse_manifest(copy, n, &refs, &count, &next,
		    why, sizeof(why)) == -1 && why[0] != '\0',
		    "case %zu accepted", cut);
	}
	/* At open: cut in the middle of a line, and one byte changed. */
	spew(path, good, length / 2);
	s = open_reporting(dir, &report);
	ASSERT_CONTAINS(report, "the manifest is unusable (does not end with "
	    "a whole line (truncated))");
	ASSERT_CHAIN(s, "a b c");
	store_free(s);
	free(report);
	memcpy(copy, good, length);
	copy[length / 2] ^= 0x20;
	spew(path, copy, length);
	s = open_reporting(dir, &report);
	ASSERT_CONTAINS(report, "the manifest is unusable (checksum does not "
	    "match (damaged or edited))");
	ASSERT_CHAIN(s, "a b c");
	store_free(s);
	free(report);
	free(good);
	free(copy);
	free(path);
	free(dir);
}
END_TEST

/* A manifest with a sound checksum is still checked line by line. */
START_TEST(test_manifest_contents_are_checked)
{
	struct store_ref a = { "a", 1, 10, "", 1 }, b = { "b", 2, 20, "", 1 };
	struct store_ref bad;
	const struct store_ref *refs[3];
	struct {
		const char		*why;
		struct store_ref	 second;
		uint64_t		 next;
	} cases[] = {
		{ "listed twice", a, 3 },
		{ "listed twice", { "c", 1, 10, "", 1 }, 3 },
		{ "is not below next-generation", b, 2 },
		{ "expected \"plugin NAME", { "../b", 2, 20, "", 1 }, 3 },
		{ "expected \"plugin NAME", { "b", 0, 20, "", 1 }, 3 },
		{ "expected \"next-generation N\"", b, 0 },
	};
	char *dir = state_dir(), *path, *report;
	struct store *s;

	store_sha256("x", 1, a.sha256);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buffer out = { 0 };

		store_sha256("x", 1, cases[i].second.sha256);
		refs[0] = &a;
		refs[1] = &cases[i].second;
		ck_assert_int_eq(store_format_manifest(&out, refs, 2,
		    cases[i].next), 0);
		path = path_in(dir, "manifest");
		store_free(must_open(dir));
		spew(path, buffer_bytes(&out), buffer_length(&out));
		s = open_reporting(dir, &report);
		ck_assert_msg(strstr(report, cases[i].why) != NULL,
		    "case %zu: \"%s\" not in: %s", i, cases[i].why, report);
		ASSERT_CONTAINS(report, "the manifest is unusable");
		store_free(s);
		free(report);
		free(path);
		buffer_free(&out);
	}
	/* A plugin too long for the store. */
	bad = a;
	bad.length = STORE_MAX_SOURCE + 1;
	refs[0] = &bad;
	{
		struct buffer out = { 0 };

		ck_assert_int_eq(store_format_manifest(&out, refs, 1, 3), 0);
		path = path_in(dir, "manifest");
		spew(path, buffer_bytes(&out), buffer_length(&out));
		s = open_reporting(dir, &report);
		ASSERT_CONTAINS(report, "line 3: expected \"plugin NAME");
		store_free(s);
		free(report);
		free(path);
		buffer_free(&out);
	}
	free(dir);
}
END_TEST

START_TEST(test_manifest_that_is_not_a_file_is_put_aside)
{
	char *dir = three_plugins(), *report, *path, *elsewhere;
	struct store *s;

	path = path_in(dir, "manifest");
	elsewhere = path_in(dir, "../manifest-elsewhere");
	ck_assert_int_eq(rename(path, elsewhere), 0);
	ck_assert_int_eq(symlink(elsewhere, path), 0);
	s = open_reporting(dir, &report);
	ASSERT_CONTAINS(report, "the manifest is unusable (a symbolic link)");
	ASSERT_CHAIN(s, "a b c");
	store_free(s);
	free(report);
	free(elsewhere);
	free(path);
	free(dir);
}
END_TEST

/* --- leftovers and rebuilding --------------------------------------------- */

START_TEST(test_leftovers_of_interrupted_changes_are_removed)
{
	char *dir = state_dir(), *report;
	struct store *s = must_open(dir);

	PUT(s, "a", "version 1", false, STORE_END, NULL);
	store_free(s);
	/* A temporary file, a newer version of a (a replace that never
	 * committed) and a plugin never committed. */
	free(write_text(dir, ".tmp-99-1", "half a fi"));
	plugin_file(dir, "a", 7, 100, "version 2");
	plugin_file(dir, "z", 9, 100, "return 'z'");
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "a");
	ck_assert_str_eq(entry_named(s, "a")->source, "version 1");
	ASSERT_CONTAINS(report, "removed .tmp-99-1, left by an interrupted "
	    "change");
	ASSERT_CONTAINS(report, "removed a@7.lua");
	ASSERT_CONTAINS(report, "removed z@9.lua");
	ck_assert_ptr_null(strstr(report, "warning"));
	ASSERT_LISTING(dir, "a@1.lua manifest");
	free(report);
	/* Generations only grow, past every file ever seen. */
	PUT(s, "b", "", false, STORE_END, NULL);
	ASSERT_LISTING(dir, "a@1.lua b@10.lua manifest");
	store_free(s);
	free(dir);
}
END_TEST

START_TEST(test_rebuild_takes_the_newest_version_that_loads)
{
	char *dir = state_dir(), *report, *path;
	struct store *s;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	plugin_file(dir, "a", 1, 300, "a, version 1");
	plugin_file(dir, "a", 5, 300, "a, version 5");
	plugin_file(dir, "b", 2, 100, "b, version 2");
	plugin_file(dir, "b", 3, 100, "b, version 3");
	plugin_file(dir, "c", 4, 200, "c");
	/* a's newest is damaged: its older version stands in. */
	path = path_in(dir, "a@5.lua");
	spew(path, "luaward-plugin 1\nname a\n", 24);
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "b c a");
	ck_assert_str_eq(entry_named(s, "a")->source, "a, version 1");
	ck_assert_str_eq(entry_named(s, "b")->source, "b, version 3");
	ck_assert_int_eq(entry_named(s, "c")->created, 200);
	ASSERT_CONTAINS(report, "skipping a@5.lua: header line 3");
	store_free(s);
	free(report);
	/* The versions left out are leftovers now. */
	s = open_reporting(dir, &report);
	ASSERT_CHAIN(s, "b c a");
	ASSERT_LISTING(dir, "a@1.lua b@3.lua c@4.lua manifest");
	store_free(s);
	free(report);
	free(path);
	free(dir);
}
END_TEST

/* A file whose name and header disagree was renamed by hand. */
START_TEST(test_renamed_plugin_file_is_refused)
{
	char *dir = state_dir(), *report, *from, *to;
	struct store *s;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	plugin_file(dir, "a", 1, 300, "return 1");
	from = path_in(dir, "a@1.lua");
	to = path_in(dir, "b@1.lua");
	ck_assert_int_eq(rename(from, to), 0);
	s = open_reporting(dir, &report);
	ck_assert_uint_eq(store_count(s), 0);
	ASSERT_CONTAINS(report, "b@1.lua: its header does not match its file "
	    "name");
	store_free(s);
	free(report);
	free(from);
	free(to);
	free(dir);
}
END_TEST

START_TEST(test_reload_sees_an_outside_change)
{
	char *dir = three_plugins(), *other = state_dir(), *report;
	char *command;
	struct store *s = must_open(dir), *t = must_open(other);
	const struct store_entry *before;

	PUT(t, "x", "return 'x'", false, STORE_END, NULL);
	PUT(t, "y", "return 'y'", false, STORE_BEFORE, "x");
	store_free(t);
	/* Another directory's files copied over this one, manifest last,
	 * as an operator restoring a backup would. */
	ck_assert_int_ne(asprintf(&command, "cp %s/x@1.lua %s/y@2.lua %s && "
	    "cp %s/manifest %s/manifest.new && mv %s/manifest.new "
	    "%s/manifest", other, other, dir, other, dir, dir, dir), -1);
	ck_assert_int_eq(system(command), 0);
	ASSERT_CHAIN(s, "c a b");
	before = entry_named(s, "a");
	ck_assert_str_eq(before->source, "return 'a'");
	capture_begin();
	ck_assert_int_eq(store_reload(s, store_error, sizeof(store_error)), 0);
	report = capture_end();
	ASSERT_CHAIN(s, "y x");
	ck_assert_str_eq(entry_named(s, "x")->source, "return 'x'");
	ASSERT_CONTAINS(report, "removed a@1.lua");
	ASSERT_LISTING(dir, "manifest x@1.lua y@2.lua");
	/* Changes go on from there. */
	PUT(s, "z", "", false, STORE_AFTER, "y");
	store_free(s);
	s = must_open(dir);
	ASSERT_CHAIN(s, "y z x");
	store_free(s);
	free(report);
	free(command);
	free(other);
	free(dir);
}
END_TEST

/* A failure of the system (here: no descriptor left) is no verdict on
 * the files: the reload fails as a whole and the chain stays. */
START_TEST(test_reload_that_cannot_read_keeps_the_chain)
{
	char *dir = three_plugins();
	struct store *s = must_open(dir);
	struct rlimit saved, none;
	int lowest = dup(0);

	ck_assert_int_ne(lowest, -1);
	close(lowest);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	none = saved;
	none.rlim_cur = (rlim_t)lowest;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &none), 0);
	store_error[0] = '\0';
	ck_assert_int_eq(store_reload(s, store_error, sizeof(store_error)),
	    -1);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ASSERT_CONTAINS(store_error, "cannot read");
	ASSERT_CONTAINS(store_error, strerror(EMFILE));
	ASSERT_CHAIN(s, "c a b");
	ck_assert_str_eq(entry_named(s, "b")->source, "return 'b'");
	ASSERT_LISTING(dir, "a@1.lua b@2.lua c@3.lua manifest");
	ck_assert_int_eq(store_reload(s, store_error, sizeof(store_error)), 0);
	ASSERT_CHAIN(s, "c a b");
	store_free(s);
	free(dir);
}
END_TEST

Suite *
store_damage_suite(void)
{
	Suite *s = suite_create("store_damage");
	TCase *files = tcase_create("files");

	tcase_set_timeout(files, 120);
	tcase_add_test(files, test_damaged_plugin_files_are_skipped);
	tcase_add_test(files, test_links_fifos_and_others_files_are_skipped);
	tcase_add_test(files, test_file_of_another_user_is_skipped);
	tcase_add_test(files, test_oversized_plugin_file_is_skipped);
	tcase_add_test(files, test_foreign_files_are_reported_and_kept);
	tcase_add_test(files,
	    test_garbage_manifest_is_rebuilt_in_creation_order);
	tcase_add_test(files, test_missing_manifest_is_rebuilt);
	tcase_add_test(files, test_truncated_or_flipped_manifest_is_refused);
	tcase_add_test(files, test_manifest_contents_are_checked);
	tcase_add_test(files, test_manifest_that_is_not_a_file_is_put_aside);
	tcase_add_test(files,
	    test_leftovers_of_interrupted_changes_are_removed);
	tcase_add_test(files, test_rebuild_takes_the_newest_version_that_loads);
	tcase_add_test(files, test_renamed_plugin_file_is_refused);
	tcase_add_test(files, test_reload_sees_an_outside_change);
	tcase_add_test(files, test_reload_that_cannot_read_keeps_the_chain);
	suite_add_tcase(s, files);
	return s;
}
