/*
 * A growable byte buffer with a consumed prefix, used for every pipe in both
 * binaries: bytes are appended at the end and consumed from the front.
 */
#ifndef LUAWARD_IPC_BUFFER_H
#define LUAWARD_IPC_BUFFER_H

#include <stddef.h>

struct buffer {
	char	*data;
	size_t	 start;		/* first unconsumed byte */
	size_t	 end;		/* one past the last byte */
	size_t	 capacity;
};

/* Returns 0, or -1 when memory runs out (the buffer is left unchanged). */
int	 buffer_reserve(struct buffer *, size_t extra);
int	 buffer_append(struct buffer *, const void *, size_t);
void	 buffer_consume(struct buffer *, size_t);
void	 buffer_clear(struct buffer *);
void	 buffer_free(struct buffer *);
/* Gives the memory back when the buffer is empty and holds more than keep
 * bytes, so that one large message does not pin its size for good. */
void	 buffer_shrink(struct buffer *, size_t keep);

static inline size_t
buffer_length(const struct buffer *b)
{
	return b->end - b->start;
}

/* Never NULL, even before the first append: a caller may pass it to
 * memcpy() or memcmp() with a length of 0, and NULL + 0 is undefined. */
static inline const char *
buffer_bytes(const struct buffer *b)
{
	return b->data != NULL ? b->data + b->start : "";
}

#endif
