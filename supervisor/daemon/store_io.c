/*
 * The store's file operations (store_io.h).
 */
#define _GNU_SOURCE
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../log.h"
#include "store_format.h"
#include "store_io.h"

/* Temporary file names are unique within the process. */
static unsigned temp_counter;

int
store_open_dir(const char *dir, char *error, size_t error_size)
{
	struct stat st;
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return error_set(error, error_size, "cannot create state "
			    "directory %s: %s", dir, strerror(errno));
		/* 0700 whatever the umask. */
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
			(void)fchmod(fd, 0700);
	}
	if (fd == -1)
		return error_set(error, error_size, "cannot open state directory "
		    "%s: %s", dir, strerror(errno));
	if (fstat(fd, &st) == -1) {
		error_set(error, error_size, "%s: %s", dir, strerror(errno));
		goto bad;
	}
	if (st.st_uid != geteuid()) {
		error_set(error, error_size, "state directory %s belongs to uid %u, "
		    "not to this user (uid %u)", dir, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		goto bad;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		error_set(error, error_size, "state directory %s is writable by "
		    "%s (mode %04o): make it 0700", dir, st.st_mode & S_IWOTH ?
		    "everyone" : "its group", (unsigned)(st.st_mode & 07777));
		goto bad;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			error_set(error, error_size, "state directory %s is in use "
			    "by another luaward", dir);
		else
			error_set(error, error_size, "cannot lock state directory "
			    "%s: %s", dir, strerror(errno));
		goto bad;
	}
	return fd;
bad:
	close(fd);
	return -1;
}

enum store_read
store_read_at(int dirfd, const char *file, size_t max, char **data,
    size_t *length, char *error, size_t error_size)
{
	struct stat st;
	size_t used = 0, size;
	char *buffer;
	int fd;

	*data = NULL;
	if ((fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		int saved = errno;

		error_set(error, error_size, "%s", saved == ELOOP ?
		    "a symbolic link" : strerror(saved));
		if (saved == ENOENT)
			return STORE_READ_MISSING;
		/* What the file is, not a passing failure of the system. */
		if (saved == ELOOP || saved == EACCES || saved == EPERM ||
		    saved == ENXIO || saved == ENODEV)
			return STORE_READ_UNUSABLE;
		return STORE_READ_ERROR;
	}
	if (fstat(fd, &st) == -1) {
		error_set(error, error_size, "%s", strerror(errno));
		close(fd);
		return STORE_READ_ERROR;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (uint64_t)st.st_size > max) {
		error_set(error, error_size, "%s", !S_ISREG(st.st_mode) ?
		    "not a regular file" : st.st_uid != geteuid() ?
		    "owned by another user" :
		    "larger than any file the store writes");
		close(fd);
		return STORE_READ_UNUSABLE;
	}
	size = (size_t)st.st_size;
	if ((buffer = malloc(size + 1)) == NULL) {
		error_set(error, error_size, "out of memory");
		close(fd);
		return STORE_READ_ERROR;
	}
	/* Up to one byte more, so that a file that grew is noticed. */
	for (;;) {
		ssize_t n = read(fd, buffer + used, size + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(error, error_size, "%s", strerror(errno));
			free(buffer);
			close(fd);
			return STORE_READ_ERROR;
		}
		if (n == 0 || (used += (size_t)n) > size)
			break;
	}
	close(fd);
	if (used != size) {
		free(buffer);
		error_set(error, error_size, "changed while it was read");
		return STORE_READ_UNUSABLE;
	}
	*data = buffer;
	*length = used;
	return STORE_READ_OK;
}

static int
write_all(int fd, const char *bytes, size_t length)
{
	while (length > 0) {
		ssize_t n = write(fd, bytes, length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		bytes += n;
		length -= (size_t)n;
	}
	return 0;
}

int
store_write_at(int dirfd, const char *dir, const char *final,
    const char *head, size_t head_length, const char *body,
    size_t body_length, char *error, size_t error_size)
{
	char temp[64];
	int fd = -1, saved;

	for (int tries = 0; fd == -1 && tries < 100; tries++) {
		snprintf(temp, sizeof(temp), STORE_TEMP_PREFIX "%ld-%u",
		    (long)getpid(), temp_counter++);
		fd = openat(dirfd, temp, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1)
		return error_set(error, error_size, "cannot create a file in %s: %s",
		    dir, strerror(errno));
	if (write_all(fd, head, head_length) == -1 ||
	    write_all(fd, body, body_length) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		goto failed;
	}
	if (close(fd) == -1 || renameat(dirfd, temp, dirfd, final) == -1) {
		saved = errno;
		goto failed;
	}
	return 0;
failed:
	unlinkat(dirfd, temp, 0);
	return error_set(error, error_size, "cannot write %s/%s: %s", dir, final,
	    strerror(saved));
}

int
store_sync_dir(int dirfd, const char *dir, char *error, size_t error_size)
{
	if (fsync(dirfd) == -1)
		return error_set(error, error_size, "cannot sync %s: %s", dir,
		    strerror(errno));
	return 0;
}
