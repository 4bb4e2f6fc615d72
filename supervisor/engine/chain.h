/*
 * A chain: the plugins in the order a record goes through them, as they
 * were when the record arrived.  Chains are immutable and
 * reference-counted: a change (a plugin created, replaced or deleted)
 * makes a new chain for the records that arrive after it, while records in
 * flight finish with the one they started with; each chain holds a
 * reference to each of its plugins.
 */
#ifndef LUAWARD_SUPERVISOR_CHAIN_H
#define LUAWARD_SUPERVISOR_CHAIN_H

#include <stddef.h>

struct plugin;

struct chain_link {
	struct plugin	*plugin;	/* NULL only in tests' stand-ins */
	const char	*name;		/* the plugin's, for output lines */
};

struct chain {
	unsigned	 refs;
	size_t		 count;
	struct chain_link links[];
};

/* A chain of count plugins, each taking a reference; one reference to
 * the chain, the caller's. */
struct chain	*chain_new(struct plugin *const *plugins, size_t count);
/* A chain of stand-ins with names only (tests, and nothing else). */
struct chain	*chain_of_names(const char *const *names, size_t count);
struct chain	*chain_ref(struct chain *);
/* The last reference releases the chain's plugins. */
void		 chain_unref(struct chain *);

#endif
