/*
 * The state of one worker process as the supervisor keeps it, shared by
 * the three files that handle it and by no one else:
 *
 *	worker_process.c	its life: start, deadlines, death, verdict
 *	worker_send.c		what goes to it: LOAD, then requests
 *	worker_receive.c	what comes from it: its start report, its
 *				messages and its stderr
 *
 * States: SPAWNING (cloned, its sandbox steps still running before exec)
 * -> STARTING (exec'd, waiting for HELLO) -> SEALING (LOAD sent, waiting
 * for SEALED) -> LOADING (its sandbox is sealed and the plugin's top level
 * runs) -> READY (serving) -> CLOSING (input closed) -> GONE.  A message
 * that does not belong to the state is a protocol violation: the worker
 * is killed and its end is a crash.
 */
#ifndef LUAWARD_SUPERVISOR_WORKER_STATE_H
#define LUAWARD_SUPERVISOR_WORKER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "../../ipc/buffer.h"
#include "../../ipc/wire.h"
#include "worker_process.h"

#define READ_BUDGET		(1024 * 1024)	/* per callback: be fair */
#define BUFFER_KEEP		(256 * 1024)	/* capacity kept when idle */

enum worker_state {
	W_SPAWNING, W_STARTING, W_SEALING, W_LOADING, W_READY, W_CLOSING,
	W_GONE
};

struct worker_process {
	struct ev_loop		*loop;
	const struct worker_setup *setup;
	const struct worker_events *events;
	void			*arg;
	struct spawned		 spawned;
	struct spawn_pending	 pending;	/* until its exec is seen */
	enum worker_state	 state;
	bool			 ever_ready;

	ev_io			 reader, writer, logger, starter;
	ev_prepare		 flusher;	/* writes once per iteration */
	ev_child		 child;
	ev_timer		 deadline;
	struct buffer		 in, control, log;
	struct wire_decoder	*decoder;
	bool			 input_closed, output_eof, log_eof;
	bool			 output_broken;	/* its input pipe failed */
	bool			 closing;	/* asked to end */
	bool			 ended;		/* killed, closed or retired */

	/* In flight, in order; send_next is the first not wholly written,
	 * send_offset how much of it is. */
	struct job		*head, *tail, *send_next;
	size_t			 send_offset;
	size_t			 in_flight, in_flight_bytes;
	uint64_t		 next_id;
	double			 clock_start;	/* worker_process.c's top */
	bool			 signalled;	/* SIGALRM sent since then */
	bool			 rearm;		/* clock_start moved */
	/* The request running when it said something that ends it (last
	 * words, a violation report, a protocol error): answers come in
	 * order, so the oldest unanswered one is the one it was on. */
	struct job		*blamed;
	bool			 suspect_held;	/* it holds a suspect job */

	/* What was done to it, and what it said last. */
	bool			 timed_out, protocol_error, retired;
	bool			 spawn_failed;	/* see spawn_error */
	bool			 last_words;	/* nothing may follow */
	bool			 violated;
	char			 said[WIRE_MAX_TEXT];
	uint64_t		 violation_id;
	char			 reason[256];
	char			 spawn_error[512];

	struct sandbox_report	 report;		/* from READY */

	long			 peak_rss_kib;	/* VmHWM when last seen */
	bool			 reaped;	/* its pid may be another's now */
};

/* worker_process.c */
void	 worker_kill(struct worker_process *);
void	 worker_stop_io(struct worker_process *);
void	 worker_note_running(struct worker_process *);
void	 worker_fail_protocol(struct worker_process *, const char *, ...)
	     __attribute__((format(printf, 2, 3)));
void	 worker_arm_deadline(struct worker_process *);
void	 worker_answered(struct worker_process *, uint64_t id,
	     uint64_t claimed_us, struct outcome *);

/* worker_send.c */
void	 worker_send_init(struct worker_process *);
void	 worker_flush(struct worker_process *);
void	 worker_schedule_flush(struct worker_process *);

/* worker_receive.c */
void	 worker_receive_init(struct worker_process *);
/* Whether its start report is in: false while it has not exec'd. */
bool	 worker_start_report(struct worker_process *);
/* Whether a message of this type belongs to a worker in this state (a
 * probing worker is a selftest's); anything else is a protocol error.
 * Pure, so the fuzz target of worker messages judges by it too. */
bool	 worker_admits(enum worker_state, bool probing, enum wire_type);
void	 worker_read_replies(struct worker_process *, size_t budget);
void	 worker_read_log(struct worker_process *, size_t budget);

#endif
