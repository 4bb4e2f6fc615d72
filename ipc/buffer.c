#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

int
buffer_reserve(struct buffer *b, size_t extra)
{
	size_t used = b->end - b->start, capacity;
	char *data;

	if (b->capacity - b->end >= extra)
		return 0;
	/* Reuse the consumed prefix before growing, but only once it is at
	 * least as large as what would be moved: appending to a buffer that
	 * is drained a little at a time then costs amortised constant work
	 * per byte, never a move of the whole buffer per append. */
	if (b->start >= used && b->capacity - used >= extra) {
		memmove(b->data, b->data + b->start, used);
		b->start = 0;
		b->end = used;
		return 0;
	}
	if (extra > SIZE_MAX / 2 - used)
		return -1;
	capacity = b->capacity ? b->capacity : 4096;
	while (capacity < used + extra)
		capacity *= 2;
	if (b->start > 0) {
		memmove(b->data, b->data + b->start, used);
		b->start = 0;
		b->end = used;
	}
	data = realloc(b->data, capacity);
	if (data == NULL)
		return -1;
	b->data = data;
	b->capacity = capacity;
	return 0;
}

int
buffer_append(struct buffer *b, const void *bytes, size_t length)
{
	if (length == 0)
		return 0;
	if (buffer_reserve(b, length) == -1)
		return -1;
	memcpy(b->data + b->end, bytes, length);
	b->end += length;
	return 0;
}

void
buffer_consume(struct buffer *b, size_t length)
{
	b->start += length;
	if (b->start >= b->end)
		b->start = b->end = 0;
}

void
buffer_clear(struct buffer *b)
{
	b->start = b->end = 0;
}

void
buffer_free(struct buffer *b)
{
	free(b->data);
	b->data = NULL;
	b->start = b->end = b->capacity = 0;
}

void
buffer_shrink(struct buffer *b, size_t keep)
{
	if (b->start == b->end && b->capacity > keep)
		buffer_free(b);
}
