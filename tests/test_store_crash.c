/*
 * The plugin store (supervisor/daemon/store.h) killed at any moment: a child
 * makes changes in a loop (creates, replaces, deletes, before and after)
 * and is killed with SIGKILL at a random instant, again and again; each
 * time the directory must hold exactly the chain after the last change
 * the child reported, or after the one it was making, never anything
 * torn, and nothing for the store to warn about.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_support.h"
#include "suites.h"

/* --- killed at any moment ------------------------------------------------- */

#define CRASH_ROUNDS	150
#define MODEL_MAX	8

/* The chain as the test expects it: names, and the change that wrote
 * each plugin's source. */
struct model {
	size_t		 count;
	char		 name[MODEL_MAX][16];
	unsigned	 version[MODEL_MAX];
};

struct change {
	bool			 delete;
	char			 name[16];
	bool			 replace;
	enum store_position	 position;
	char			 anchor[16];
};

/* Change k's source: up to 192 KiB, so that writes take a while. */
static char *
source_of(unsigned k, size_t *length)
{
	uint64_t state = k + 1;
	size_t n = (size_t)(next_random(&state) % (192u << 10));
	char *source = malloc(n + 32);

	ck_assert_ptr_nonnull(source);
	*length = (size_t)snprintf(source, 32, "-- change %u\n", k);
	for (size_t i = 0; i < n; i++)
		source[(*length)++] = (char)('a' + (k + i) % 26);
	return source;
}

/* Change k, decided from k and the chain it applies to. */
static void
plan(unsigned k, const char *const *names, size_t count, struct change *c)
{
	uint64_t state = (uint64_t)k * 2654435761u + 7;
	uint64_t r = next_random(&state);
	unsigned what = (unsigned)(r % 10);

	memset(c, 0, sizeof(*c));
	c->position = STORE_END;
	if (count < 2 || (what < 4 && count < MODEL_MAX)) {
		snprintf(c->name, sizeof(c->name), "p%u", k);
	} else {
		snprintf(c->name, sizeof(c->name), "%s",
		    names[(r >> 8) % count]);
		c->delete = what >= 8;
		c->replace = true;
	}
	if (!c->delete && count >= 2 && (r >> 16) % 3 != 0) {
		const char *anchor = names[(r >> 20) % count];

		if (strcmp(anchor, c->name) != 0) {
			c->position = (r >> 24) % 2 ? STORE_BEFORE :
			    STORE_AFTER;
			snprintf(c->anchor, sizeof(c->anchor), "%s", anchor);
		}
	}
}

static void
model_names(const struct model *m, const char **names)
{
	for (size_t i = 0; i < m->count; i++)
		names[i] = m->name[i];
}

static ssize_t
model_find(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->count; i++)
		if (strcmp(m->name[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

static void
model_remove(struct model *m, size_t at)
{
	memmove(m->name[at], m->name[at + 1], (m->count - at - 1) *
	    sizeof(m->name[0]));
	memmove(&m->version[at], &m->version[at + 1], (m->count - at - 1) *
	    sizeof(m->version[0]));
	m->count--;
}

/* Applies change k the way the store documents it. */
static void
model_apply(struct model *m, unsigned k)
{
	const char *names[MODEL_MAX];
	struct change c;
	ssize_t at;
	size_t dest;

	model_names(m, names);
	plan(k, names, m->count, &c);
	at = model_find(m, c.name);
	if (c.delete) {
		model_remove(m, (size_t)at);
		return;
	}
	if (at >= 0 && c.position == STORE_END) {
		m->version[at] = k;
		return;
	}
	if (at >= 0)
		model_remove(m, (size_t)at);
	dest = m->count;
	if (c.position != STORE_END)
		dest = (size_t)model_find(m, c.anchor) +
		    (c.position == STORE_AFTER);
	memmove(m->name[dest + 1], m->name[dest], (m->count - dest) *
	    sizeof(m->name[0]));
	memmove(&m->version[dest + 1], &m->version[dest],
	    (m->count - dest) * sizeof(m->version[0]));
	snprintf(m->name[dest], sizeof(m->name[dest]), "%s", c.name);
	m->version[dest] = k;
	m->count++;
}

static bool
store_matches(const struct store *s, const struct model *m)
{
	if (store_count(s) != m->count)
		return false;
	for (size_t i = 0; i < m->count; i++) {
		const struct store_entry *e = store_entry(s, i);
		char sha[STORE_SHA256_HEX + 1];
		size_t length;
		char *source = source_of(m->version[i], &length);
		bool same = strcmp(e->name, m->name[i]) == 0 &&
		    e->length == length &&
		    memcmp(e->source, source, length) == 0;

		store_sha256(source, length, sha);
		free(source);
		if (!same || strcmp(sha, e->sha256) != 0)
			return false;
	}
	return true;
}

/* The child: changes from k on, reporting each one committed. */
static void __attribute__((noreturn))
change_forever(const char *dir, unsigned k, int report)
{
	char error[512];
	struct store *s = store_open(dir, error, sizeof(error));

	if (s == NULL)
		_exit(3);
	for (;; k++) {
		const char *names[MODEL_MAX];
		struct change c;
		enum store_result r;
		size_t length;
		char *source;

		for (size_t i = 0; i < store_count(s); i++)
			names[i] = store_entry(s, i)->name;
		plan(k, names, store_count(s), &c);
		source = source_of(k, &length);
		r = c.delete ? store_delete(s, c.name, error, sizeof(error)) :
		    store_put(s, c.name, source, length, c.replace, c.position,
		    c.anchor, error, sizeof(error));
		free(source);
		if (r != STORE_OK)
			_exit(4);
		if (write(report, &k, sizeof(k)) != sizeof(k))
			_exit(5);
	}
}

START_TEST(test_killed_at_any_moment_leaves_old_or_new_chain)
{
	char *dir = state_dir(), *report;
	struct model m = { 0 };
	unsigned done = 0;
	uint64_t random_state = 12345;

	store_free(must_open(dir));
	for (int round = 0; round < CRASH_ROUNDS; round++) {
		struct model next;
		unsigned k, reported = done;
		struct store *s;
		int p[2], status;
		pid_t pid;

		ck_assert_int_eq(pipe(p), 0);
		if ((pid = fork()) == 0) {
			int null = open("/dev/null", O_WRONLY);

			close(p[0]);
			if (null != -1)
				dup2(null, 2);
			change_forever(dir, done, p[1]);
		}
		ck_assert_int_ne(pid, -1);
		close(p[1]);
		/* Most rounds let a change commit first; the others may
		 * kill it while it opens the store. */
		if (round % 4 != 0) {
			struct pollfd pfd = { p[0], POLLIN, 0 };

			ck_assert_int_eq(poll(&pfd, 1, 60000), 1);
			ck_assert_int_eq(read(p[0], &k, sizeof(k)),
			    (ssize_t)sizeof(k));
			reported = k + 1;
		}
		usleep((useconds_t)(next_random(&random_state) % 3000));
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) ==
		    SIGKILL, "round %d: the child failed (status %d)", round,
		    status);
		while (read(p[0], &k, sizeof(k)) == (ssize_t)sizeof(k))
			reported = k + 1;
		close(p[0]);

		/* Every change reported committed; maybe the next. */
		for (; done < reported; done++)
			model_apply(&m, done);
		next = m;
		model_apply(&next, done);
		s = open_reporting(dir, &report);
		REQUIRE(strstr(report, "warning") == NULL,
		    "round %d: %s", round, report);
		if (!store_matches(s, &m)) {
			char *chain = chain_of(s);

			REQUIRE(store_matches(s, &next), "round %d: after "
			    "change %u the chain is \"%s\", neither before nor "
			    "after it", round, done, chain);
			free(chain);
			m = next;
			done++;
		}
		store_free(s);
		free(report);
	}
	/* The rounds made real progress through every kind of change. */
	ck_assert_uint_ge(done, CRASH_ROUNDS * 3 / 4);
	free(dir);
}
END_TEST

Suite *
store_crash_suite(void)
{
	Suite *s = suite_create("store_crash");
	TCase *crash = tcase_create("crash");

	tcase_set_timeout(crash, 600);
	tcase_add_test(crash,
	    test_killed_at_any_moment_leaves_old_or_new_chain);
	suite_add_tcase(s, crash);
	return s;
}
