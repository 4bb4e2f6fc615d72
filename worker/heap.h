/*
 * The allocator of the worker's Lua state: capped, with free lists of small
 * blocks so that a call's garbage is reused without going to malloc.
 */
#ifndef LUAWARD_WORKER_HEAP_H
#define LUAWARD_WORKER_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/* Sets the cap, in bytes; before the state is made. */
void	 heap_init(size_t limit);

/* A lua_Alloc. */
void	*heap_alloc(void *, void *block, size_t old_size, size_t new_size);

/* Returns whether a request was refused since the last call, and clears
 * the flag. */
bool	 heap_take_refusal(void);

/* Bytes held for the state, against the cap. */
size_t	 heap_used(void);

#endif
