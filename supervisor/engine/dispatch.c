#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "../json.h"
#include "../log.h"
#include "owner.h"
#include "../output/result.h"

struct dispatch {
	struct dispatch_target target;
	enum fallback	 fallback;
};

struct dispatch *
dispatch_new(const struct dispatch_target *target)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));

	d->target = *target;
	return d;
}

void
dispatch_set_fallback(struct dispatch *d, enum fallback fallback)
{
	d->fallback = fallback;
}

void
dispatch_free(struct dispatch *d)
{
	free(d);
}

static enum plugin_state
link_state(void *unused, const struct chain *chain, size_t link,
    const char **reason)
{
	(void)unused;
	return plugin_state(chain->links[link].plugin, reason);
}

static void
link_submit(void *unused, const struct chain *chain, size_t link,
    struct job *job)
{
	(void)unused;
	plugin_submit(chain->links[link].plugin, job);
}

const struct dispatch_target *
dispatch_plugins(void)
{
	static const struct dispatch_target plugins = {
		link_state, link_submit, NULL,
	};

	return &plugins;
}

static void
finish(struct job *job)
{
	job->finished(job, job->finished_arg);
}

/* No plugin decided: the pod's owner may (--fallback owner).  Its line
 * then says "(owner)" where a plugin's name would be, so that no one takes
 * it for a plugin's answer.  Metadata the owner rules cannot read leaves
 * the record unresolved, as it would be without the fallback. */
static bool
decide_by_owner(struct job *job)
{
	struct owner_answer answer;
	char error[256];

	if (job->metadata == NULL || owner_resolve(job->metadata,
	    job->metadata_length, &answer, error, sizeof(error)) != 1)
		return false;
	job_set_answer(job, answer.type, strlen(answer.type), answer.name,
	    answer.name_length);
	job->status = answer.supported ? STATUS_RESOLVED : STATUS_UNSUPPORTED;
	job->decided_by = DECIDED_BY_OWNER;
	return true;
}

/* Hands the job to the next plugin that can take it, or ends its chain. */
static void
advance(struct dispatch *d, struct job *job)
{
	while (job->next_plugin < job->chain->count) {
		size_t link = job->next_plugin;
		const char *reason;

		switch (d->target.state(d->target.arg, job->chain, link,
		    &reason)) {
		case PLUGIN_LOAD_FAILED:
			job_add_error(job, link, ERROR_LOAD, reason);
			job->next_plugin++;
			continue;
		case PLUGIN_QUARANTINED:
			job_add_error(job, link, ERROR_QUARANTINED, reason);
			job->next_plugin++;
			continue;
		case PLUGIN_STARTING:
		case PLUGIN_READY:
			d->target.submit(d->target.arg, job->chain, link, job);
			return;
		}
	}
	if (d->fallback != FALLBACK_OWNER || !decide_by_owner(job))
		job->status = STATUS_UNRESOLVED;
	finish(job);
}

void
dispatch_submit(struct dispatch *d, struct job *job)
{
	if (job->status == STATUS_INVALID) {
		finish(job);
		return;
	}
	job->next_plugin = 0;
	advance(d, job);
}

/*
 * Whether a returned string is text a type or name can be: it goes into
 * Kubernetes object names and onto terminals downstream, where escaping
 * the output line does not help.  No control character (C0, DEL and C1:
 * Unicode's Cc), and valid UTF-8, since a byte the output would replace
 * with U+FFFD would hand on a name the plugin never returned.  Returns
 * NULL, or why not, naming the string and the first bad byte (counted
 * from 1).  The supervisor checks what every worker says: a worker's word
 * is not trusted.
 */
static const char *
not_text(const char *what, const char *s, size_t length, char *why,
    size_t size)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < length;) {
		unsigned control;
		size_t n;

		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		if (p[i] < 0x80)
			control = p[i];
		else if ((n = utf8_sequence_length(p + i, length - i)) == 0) {
			snprintf(why, size, "the workload %s is not valid "
			    "UTF-8 at byte %zu (0x%02X); a type or name must "
			    "be valid UTF-8", what, i + 1, p[i]);
			return why;
		} else if (p[i] == 0xc2 && p[i + 1] < 0xa0)
			control = p[i + 1];
		else {
			i += n;
			continue;
		}
		snprintf(why, size, "the workload %s has control character "
		    "U+%04X at byte %zu; a type or name must be text without "
		    "control characters", what, control, i + 1);
		return why;
	}
	return NULL;
}

void
dispatch_outcome(struct job *job, const struct outcome *o, void *arg)
{
	struct dispatch *d = arg;
	size_t link = job->next_plugin;
	const char *bad = NULL;
	char why[192];

	if (o->ok && (bad = not_text("type", o->type, o->type_length, why,
	    sizeof(why))) == NULL)
		bad = not_text("name", o->name, o->name_length, why,
		    sizeof(why));
	if (!o->ok)
		job_add_error(job, link, o->kind, o->message);
	else if (bad != NULL)
		job_add_error(job, link, ERROR_BAD_RETURN, bad);
	else if (o->type_length > 0 && o->name_length > 0) {
		const char *canonical = workload_type_canonical(o->type,
		    o->type_length);

		/* A canonical type has the length of what was returned. */
		job_set_answer(job, canonical != NULL ? canonical : o->type,
		    o->type_length, o->name, o->name_length);
		job->status = canonical != NULL ? STATUS_RESOLVED :
		    STATUS_UNSUPPORTED;
		job->decided_by = link;
		finish(job);
		return;
	}
	job->next_plugin = link + 1;
	advance(d, job);
}
