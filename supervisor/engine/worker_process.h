/*
 * The supervisor's view of one worker process: its three pipes, the
 * requests it holds (in the order it runs them), the deadline of the one it
 * is running, and how it ended.  Everything a worker sends is checked by
 * ipc/ before it is believed; anything malformed ends the worker.
 */
#ifndef LUAWARD_SUPERVISOR_WORKER_PROCESS_H
#define LUAWARD_SUPERVISOR_WORKER_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "../../ipc/wire.h"
#include "death.h"
#include "job.h"
#include "../spawn/sandbox_report.h"
#include "../spawn/spawn.h"
#include "worker_log.h"

struct worker_process;

/* Everything a worker needs to start; shared by all workers of a plugin. */
struct worker_setup {
	const char		*plugin;	/* name, for log lines */
	struct wire_load	 load;		/* the LOAD message */
	struct spawn_config	 spawn;
	struct log_allowance	*log;		/* shared by its workers */
};

struct worker_death {
	struct death_verdict verdict;	/* its kind: for the job it ran */
	struct job	*culprit;	/* the job it was running, or NULL */
	uint64_t	 culprit_latency_us;	/* how long it had it */
	struct job	*requeue;	/* the rest, in order (queue_next) */
	long		 peak_rss_kib;	/* VmHWM when last seen, 0: never */
};

struct worker_events {
	void	(*ready)(struct worker_process *, void *arg);
	void	(*answered)(struct worker_process *, struct job *,
		    const struct outcome *, void *arg);
	/* selftest only (NULL otherwise: a PROBE is then a protocol
	 * violation): the verdict of the probe the LOAD asked for. */
	void	(*probed)(struct worker_process *, const struct wire_message *,
		    void *arg);
	/* The process is gone and reaped; the callee frees it. */
	void	(*died)(struct worker_process *, struct worker_death *,
		    void *arg);
};

struct worker_process *worker_process_start(struct ev_loop *,
		    const struct worker_setup *, const struct worker_events *,
		    void *arg, char *error, size_t error_size);
void		 worker_process_free(struct worker_process *);

/* Queues a request; the worker must be ready. */
void		 worker_process_send(struct worker_process *, struct job *);
size_t		 worker_process_in_flight(const struct worker_process *);
/* Whether it holds a suspect job (job.h): then it is sent nothing else. */
bool		 worker_process_holds_suspect(const struct worker_process *);
/* The metadata bytes of the requests it holds. */
size_t		 worker_process_in_flight_bytes(const struct worker_process *);
bool		 worker_process_is_ready(const struct worker_process *);

/* Ends the input: the worker finishes what it holds, then exits. */
void		 worker_process_close(struct worker_process *);
void		 worker_process_kill(struct worker_process *);
/* Ends a worker that must not serve again (its heap reached the memory
 * cap): what it holds goes to its replacement, none of it is blamed. */
void		 worker_process_retire(struct worker_process *);
/* Its peak resident memory (VmHWM) in KiB as last sampled: at close and
 * before the supervisor kills it; 0 before either. */
long		 worker_process_peak_rss(const struct worker_process *);

/* Its sandbox as reported at READY (empty before). */
const struct sandbox_report *worker_process_report(
		     const struct worker_process *);

#endif
