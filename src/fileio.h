/* Small file helpers for state the wizard keeps on the jump host: whole-file
 * reads with a size limit, and atomic replacement (a temporary file in the same
 * directory with its final mode from the start, fsync, rename, fsync of the
 * directory) so that a crash leaves the old file or the new one, never half of
 * one, and a key is never readable by others even for a moment. */
#ifndef K8SW_FILEIO_H
#define K8SW_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Read a regular file of at most max bytes into a NUL-terminated buffer
 * (*out, free it; *len, if not NULL, gets its length). A symbolic link is
 * refused. Returns 0; 1 when the file does not exist (nothing set); -1 with
 * *err set (free it). */
int fileio_read(const char *path, size_t max, char **out, size_t *len, char **err);

/* The last max bytes (or fewer) of a file that may still grow (a log), into
 * a NUL-terminated buffer as fileio_read(). Returns 0; 1 when the file does
 * not exist; -1 with *err set. */
int fileio_read_tail(const char *path, size_t max, char **out, size_t *len, char **err);

/* The same for a file the operator named (a plan): a symbolic link is
 * followed. Like fileio_read(), anything but a regular file (a FIFO, a
 * device) is refused at once, never waited on. */
int fileio_read_named(const char *path, size_t max, char **out, size_t *len, char **err);

/* Replace path with len bytes of data, created with mode. Returns 0, or -1
 * with *err set (free it); on failure path is left as it was. */
int fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			char **err);

/* fileio_write_atomic() in two halves, so that several files are all written
 * before any is put in place (a CA's key and certificate: both or neither when
 * the disk fills up). fileio_stage() writes and syncs the data in a temporary
 * file beside path: 0 with *out set, or -1 with *err set and nothing left on
 * disk. Then either fileio_commit() renames it into place (0, or -1 with *err
 * set and the temporary file removed) or fileio_discard() removes it; both
 * free *s and set it to NULL, and accept NULL. */
struct fileio_staged;
int fileio_stage(const char *path, const void *data, size_t len, mode_t mode,
		 struct fileio_staged **out, char **err);
int fileio_commit(struct fileio_staged **s, char **err);
void fileio_discard(struct fileio_staged **s);

#endif
