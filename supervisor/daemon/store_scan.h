/*
 * Reading the plugin store's directory (store.h), for store.c: the
 * manifest's chain with every file checked against it, or, without a
 * usable manifest, the chain rebuilt from the plugin files.  Leftovers of
 * interrupted changes are removed, damage is reported with log_warnx().
 */
#ifndef LUAWARD_SUPERVISOR_STORE_SCAN_H
#define LUAWARD_SUPERVISOR_STORE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_format.h"

/* One plugin version in memory: what store_entry() returns points here. */
struct store_item {
	struct store_ref	 ref;
	struct store_entry	 entry;
	char			*source;
};

/* An item owning a copy of source; NULL when memory runs out. */
struct store_item *store_item_new(const struct store_ref *,
	     const char *source);
void	 store_item_free(struct store_item *);
/* Frees items[0..count), not the array. */
void	 store_items_clear(struct store_item **, size_t count);
void	 store_items_free(struct store_item **, size_t count);

/*
 * Reads the directory dirfd (named dir in messages) into items
 * (STORE_MAX_PLUGINS slots).  *rebuilt tells that the manifest was missing
 * or unusable and the chain was rebuilt: the caller commits it.  Returns
 * 0, or -1 with the reason when the system failed (the directory or a
 * file could not be read, memory ran out): nothing is then removed.
 */
int	 store_scan(int dirfd, const char *dir, struct store_item **items,
	     size_t *count, uint64_t *next_generation, bool *rebuilt,
	     char *error, size_t error_size);

#endif
