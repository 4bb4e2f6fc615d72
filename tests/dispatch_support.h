/*
 * Shared by test_dispatch.c and test_result.c: a fake dispatch target that
 * only records which plugin got each job, so that the test plays the
 * workers and answers with dispatch_outcome(); jobs for a Pod and for an
 * invalid record; and the check of a decided job.
 *
 * Everything here is static.  Include it after defining _GNU_SOURCE.
 */
#ifndef LUAWARD_TESTS_DISPATCH_SUPPORT_H
#define LUAWARD_TESTS_DISPATCH_SUPPORT_H

#include <check.h>
#include <string.h>

#include "../supervisor/engine/dispatch.h"
#include "../supervisor/engine/job.h"
#include "../supervisor/output/result.h"

#define MAX_PLUGINS	8

struct fake {
	enum plugin_state states[MAX_PLUGINS];
	const char	*reasons[MAX_PLUGINS];
	size_t		 state_calls;
	size_t		 submitted[64];	/* the plugin of each submit() */
	struct job	*submitted_job[64];
	size_t		 submit_count;
	size_t		 done_count;
	struct job	*done_job;
	struct dispatch	*dispatch;
	size_t		 plugin_count;
};

static inline enum plugin_state
fake_state(void *arg, const struct chain *chain, size_t plugin,
    const char **reason)
{
	struct fake *f = arg;

	ck_assert_uint_eq(chain->count, f->plugin_count);
	ck_assert_uint_lt(plugin, f->plugin_count);
	f->state_calls++;
	*reason = f->reasons[plugin];
	return f->states[plugin];
}

static inline void
fake_submit(void *arg, const struct chain *chain, size_t plugin,
    struct job *job)
{
	struct fake *f = arg;

	ck_assert_uint_eq(chain->count, f->plugin_count);
	ck_assert_uint_lt(plugin, f->plugin_count);
	ck_assert_uint_lt(f->submit_count, 64);
	f->submitted_job[f->submit_count] = job;
	f->submitted[f->submit_count++] = plugin;
}

static inline void
fake_done(struct job *job, void *arg)
{
	struct fake *f = arg;

	f->done_count++;
	f->done_job = job;
}

/* A chain of n plugins, all ready. */
static inline void
fake_init(struct fake *f, size_t n)
{
	struct dispatch_target target = { fake_state, fake_submit, f };

	memset(f, 0, sizeof(*f));
	f->plugin_count = n;
	for (size_t i = 0; i < MAX_PLUGINS; i++)
		f->states[i] = PLUGIN_READY;
	f->dispatch = dispatch_new(&target);
}

/* Submits the job with a chain of the fake's plugins (named p0, p1...). */
static inline void
fake_send(struct fake *f, struct job *job)
{
	static const char *const names[MAX_PLUGINS] = { "p0", "p1", "p2",
	    "p3", "p4", "p5", "p6", "p7" };

	job->chain = chain_of_names(names, f->plugin_count);
	job->finished = fake_done;
	job->finished_arg = f;
	dispatch_submit(f->dispatch, job);
}

/* The job's line, its chain's plugins named as given. */
static inline int
format_named(struct buffer *out, struct job *job, const char *const *names)
{
	struct chain *named = chain_of_names(names, job->chain->count);

	chain_unref(job->chain);
	job->chain = named;
	return result_format(out, job);
}

static inline void
fake_free(struct fake *f)
{
	dispatch_free(f->dispatch);
}

static inline struct job *
pod(const char *uid, const char *namespace, const char *name)
{
	static const char metadata[] = "{\"name\":\"ogtest-0\"}";
	struct record r;

	memset(&r, 0, sizeof(r));
	r.metadata = metadata;
	r.metadata_length = sizeof(metadata) - 1;
	r.uid = uid;
	r.uid_length = uid != NULL ? strlen(uid) : 0;
	r.namespace = namespace;
	r.namespace_length = namespace != NULL ? strlen(namespace) : 0;
	r.name = name;
	r.name_length = name != NULL ? strlen(name) : 0;
	return job_new(1, &r);
}

static inline struct job *
invalid_record(const char *why)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.invalid = true;
	r.error = why;
	r.line = 3;
	return job_new(7, &r);
}

/* The plugin answers two strings (any bytes). */
static inline void
answer_bytes(struct fake *f, struct job *job, size_t plugin,
    const char *type, size_t type_length, const char *name,
    size_t name_length)
{
	struct outcome o;

	memset(&o, 0, sizeof(o));
	o.ok = true;
	o.type = type;
	o.type_length = type_length;
	o.name = name;
	o.name_length = name_length;
	ck_assert_uint_eq(job->next_plugin, plugin);
	dispatch_outcome(job, &o, f->dispatch);
}

static inline void
answer(struct fake *f, struct job *job, size_t plugin, const char *type,
    const char *name)
{
	answer_bytes(f, job, plugin, type, strlen(type), name, strlen(name));
}

static inline void
plugin_fails(struct fake *f, struct job *job, size_t plugin,
    enum error_kind kind, const char *message)
{
	struct outcome o;

	memset(&o, 0, sizeof(o));
	o.ok = false;
	o.kind = kind;
	o.message = message;
	ck_assert_uint_eq(job->next_plugin, plugin);
	dispatch_outcome(job, &o, f->dispatch);
}

static inline void
assert_decided(const struct fake *f, const struct job *job,
    enum job_status status, const char *type, const char *name,
    size_t plugin)
{
	ck_assert_uint_eq(f->done_count, 1);
	ck_assert_ptr_eq(f->done_job, job);
	ck_assert_int_eq(job->status, status);
	ck_assert_uint_eq(job->type_length, strlen(type));
	ck_assert_str_eq(job->type, type);
	ck_assert_uint_eq(job->workload_length, strlen(name));
	ck_assert_str_eq(job->workload, name);
	ck_assert_uint_eq(job->decided_by, plugin);
}

#endif
