/*
 * File operations of the plugin store, each inside one directory held
 * open by its descriptor: reading a file that may be hostile, and writing
 * one so that it appears whole or not at all.
 */
#ifndef LUAWARD_SUPERVISOR_STORE_IO_H
#define LUAWARD_SUPERVISOR_STORE_IO_H

#include <stddef.h>

/* What reading a file gave. */
enum store_read {
	STORE_READ_OK,
	STORE_READ_MISSING,
	STORE_READ_UNUSABLE,	/* not a regular file of ours, or too large */
	STORE_READ_ERROR,	/* the system failed */
};

/*
 * Opens dir (creating it, mode 0700, when missing), checks that this user
 * owns it and nobody else may write to it, and locks it against another
 * process.  Returns the descriptor, or -1 with the reason.
 */
int	 store_open_dir(const char *dir, char *error, size_t error_size);

/*
 * Reads the whole regular file file of this user, at most max bytes,
 * without following a symbolic link or blocking on a FIFO.  *data is
 * allocated on STORE_READ_OK; error holds the reason otherwise.
 */
enum store_read store_read_at(int dirfd, const char *file, size_t max,
	     char **data, size_t *length, char *error, size_t error_size);

/*
 * Writes head then body into a new temporary file (mode 0600), fsyncs it
 * and renames it to final.  On failure nothing is left behind.  The
 * caller then fsyncs the directory (store_sync_dir) to make the rename
 * durable.  dir names the directory in messages.
 */
int	 store_write_at(int dirfd, const char *dir, const char *final,
	     const char *head, size_t head_length, const char *body,
	     size_t body_length, char *error, size_t error_size);

int	 store_sync_dir(int dirfd, const char *dir, char *error,
	     size_t error_size);

#endif
