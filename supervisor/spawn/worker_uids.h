/*
 * Worker uids: when the supervisor is started as root, each worker slot
 * runs under a uid of its own from a range (the model is Android's per-app
 * uids and systemd's dynamic users), so that no other process on the host
 * shares a worker's uid and can signal or trace it.
 *
 * A uid is handed out only when
 *   - this supervisor holds its lock file, a root-owned file per uid in
 *     WORKER_UIDS_LOCK_DIR locked with flock(LOCK_EX): no other luaward
 *     has it, and the kernel drops the lock when the supervisor exits,
 *     however it ends (SIGKILL included), so no uid is ever stranded;
 *   - no passwd or group entry names it;
 *   - no running process has it as a uid, gid or supplementary group.
 * Its gid is the same number.  When the range cannot be used (exhausted,
 * or the lock directory unusable), a slot gets the fallback identity
 * (--user, nobody by default) with the reason in its origin, and the
 * supervisor warns once.
 */
#ifndef LUAWARD_SUPERVISOR_WORKER_UIDS_H
#define LUAWARD_SUPERVISOR_WORKER_UIDS_H

#include <sys/types.h>

#include "spawn.h"

/* 0x78000000 and the 64K block above it: between the container ranges
 * of systemd-nspawn (524288-1879048191) and systemd's foreign range
 * (from 2147352576), clear of every range docs/security.md lists. */
#define WORKER_UIDS_DEFAULT_FIRST	2013265920u
#define WORKER_UIDS_DEFAULT_LAST	2013331455u
#define WORKER_UIDS_DEFAULT_TEXT	"2013265920-2013331455"
/* Highest uid accepted: above, uids are negative to some programs. */
#define WORKER_UIDS_MAX			2147483647u

#define WORKER_UIDS_LOCK_DIR		"/run/luaward/worker-uids"

struct worker_uids;

/*
 * An allocator of the uids first..last, locked in lock_dir.  fallback is
 * what a slot gets when the range cannot be used; one that drops no user
 * (a supervisor not started as root) is what every slot gets, and the
 * range is not used at all.  first == 0 turns the range off: every slot
 * gets the fallback, without a warning.  A lock directory that cannot be
 * used is not an error here: each acquire then falls back.
 */
struct worker_uids *worker_uids_new(uid_t first, uid_t last,
		     const char *lock_dir,
		     const struct spawn_identity *fallback);
/* Releases every uid still held. */
void		 worker_uids_free(struct worker_uids *);

/*
 * Fills *who for a new worker slot: a uid of its own, or the fallback.
 * Returns 0 for a uid of its own, -1 for the fallback (who->origin says
 * why; the first fallback is also logged as a warning).  The slot keeps
 * the identity for every worker it restarts.
 */
int		 worker_uids_acquire(struct worker_uids *,
		     struct spawn_identity *who);

/*
 * Gives back a slot's uid, once the slot is gone and its last worker has
 * been reaped (until then, the uid is still in use).  A fallback identity
 * is left as it is.
 */
void		 worker_uids_release(struct worker_uids *,
		     const struct spawn_identity *who);

/* How many uids are held now. */
size_t		 worker_uids_held(const struct worker_uids *);

#endif
