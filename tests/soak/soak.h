/*
 * make soak (soak.c): what its parts share.  The clients (soak_clients.c)
 * run as children of the soak and count what they did in struct shared,
 * a shared mapping the soak reads.
 */
#ifndef LUAWARD_TESTS_SOAK_H
#define LUAWARD_TESTS_SOAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../ipc/buffer.h"
#include "../../ipc/control.h"

#define QUERIERS	2
#define QUERIES_PER_CONNECTION 100
#define MAX_RECORDS	40	/* per query */
#define REPLY_TIMEOUT_S	120

struct shared {
	volatile int	 stop;
	struct {
		uint64_t queries, records, failed_lines, lost;
		char	 why[256];
	} querier[QUERIERS];
	uint64_t	 changes, refused_as_due, validations_killed;
	uint64_t	 churn_failures;
	char		 churn_why[256];
	uint64_t	 kills;
};

/* A client of the control socket. */
struct conn {
	int			 fd;
	struct buffer		 in;
	struct control_decoder	*decoder;
	size_t			 pending;
};

extern const char *socket_path;
extern pid_t daemon_pid;

double	 now(void);
void	 sleep_s(double);
/* Ends the soak (and the daemon) with status 2. */
void	 die(const char *, ...)
	     __attribute__((noreturn, format(printf, 1, 2)));
uint64_t next_random(uint64_t *);
/* The daemon's luaward-worker children; returns how many. */
size_t	 workers_of(pid_t parent, pid_t *out, size_t size);

/* Connects and says HELLO; 0, or -1 with why. */
int	 conn_open(struct conn *, char *why, size_t why_size);
void	 conn_close(struct conn *);
int	 conn_send(struct conn *, struct buffer *);
/* 1 with a reply, 0 when the daemon closed, -1 on a timeout or a bad
 * frame (why says which). */
int	 conn_receive(struct conn *, struct control_message *, char *why,
	     size_t why_size);

/* A plugin that answers records whose name ends in an even digit. */
char	*answering(const char *answer);

/* The children's loops, until shared->stop; each ends with _exit(0). */
void	 querier(struct shared *, unsigned who) __attribute__((noreturn));
void	 churner(struct shared *) __attribute__((noreturn));
void	 killer(struct shared *) __attribute__((noreturn));

#endif
