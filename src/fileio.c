/* Whole-file reads and atomic writes for the state directory. */
#include "config.h"

#include "fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nls.h"
#include "xmalloc.h"

/* fileio_read() with extra open(2) flags. O_NONBLOCK lets the open of a FIFO
 * return at once (it would wait for a writer) so that fstat can refuse it; it
 * changes nothing for a regular file. tail: instead of refusing a file over
 * max bytes, read its last max bytes (what is written after the fstat() is
 * not read). */
static int read_with(const char *path, int flags, size_t max, bool tail, char **out,
		     size_t *len, char **err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0, want = 0;
	off_t from = 0;
	int fd = -1;
	int rc = -1;

	*err = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | flags);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0 || fstat(fd, &st) < 0) {
		*err = xasprintf(_("cannot read %s: %s"), path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = xasprintf(_("cannot read %s: not a regular file"), path);
		goto out;
	}
	if (!tail && (size_t)st.st_size > max) {
		/* L10N: %1$s is a file name, %2$zu its limit in bytes. */
		*err = xasprintf(_("cannot read %s: larger than %zu bytes"), path, max);
		goto out;
	}
	want = (size_t)st.st_size;
	if (want > max) {
		from = st.st_size - (off_t)max;
		want = max;
	}
	buf = xmalloc(want + 1);
	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, from + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		/* A log may be cut while read: what was read stays. */
		if (n == 0 && tail)
			break;
		if (n <= 0) {
			*err = xasprintf(_("cannot read %s: %s"), path,
					 n < 0 ? strerror(errno) : _("file shrank while reading"));
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	buf = NULL;
	if (len != NULL)
		*len = got;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int fileio_read(const char *path, size_t max, char **out, size_t *len, char **err)
{
	return read_with(path, O_NOFOLLOW, max, false, out, len, err);
}

int fileio_read_named(const char *path, size_t max, char **out, size_t *len, char **err)
{
	return read_with(path, 0, max, false, out, len, err);
}

int fileio_read_tail(const char *path, size_t max, char **out, size_t *len, char **err)
{
	return read_with(path, O_NOFOLLOW, max, true, out, len, err);
}

/* Make a rename durable: fsync the directory that holds path. */
static int sync_parent(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1;

	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

struct fileio_staged {
	char *path; /* where it goes */
	char *tmp;  /* where it is */
};

int fileio_stage(const char *path, const void *data, size_t len, mode_t mode,
		 struct fileio_staged **out, char **err)
{
	const char *p = data;
	char *tmp = NULL;
	size_t done = 0;
	int fd = -1;
	int rc = -1;

	*err = NULL;
	*out = NULL;
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	/* mkostemp creates the file 0600; fchmod only ever widens it to mode
	 * (a certificate's 0644) after nothing secret could be in it yet. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf(_("cannot create a file next to %s: %s"), path, strerror(errno));
		xfree(&tmp);
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		*err = xasprintf(_("cannot write %s: %s"), tmp, strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = xasprintf(_("cannot write %s: %s"), tmp, strerror(errno));
			goto out;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0) {
		*err = xasprintf(_("cannot write %s: %s"), tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		*err = xasprintf(_("cannot write %s: %s"), tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	*out = xcalloc(1, sizeof **out);
	(*out)->path = xstrdup(path);
	(*out)->tmp = tmp;
	tmp = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	return rc;
}

void fileio_discard(struct fileio_staged **ps)
{
	struct fileio_staged *s = *ps;

	if (s == NULL)
		return;
	if (s->tmp != NULL)
		unlink(s->tmp);
	free(s->tmp);
	free(s->path);
	free(s);
	*ps = NULL;
}

int fileio_commit(struct fileio_staged **ps, char **err)
{
	struct fileio_staged *s = *ps;
	int rc = -1;

	*err = NULL;
	if (rename(s->tmp, s->path) < 0) {
		*err = xasprintf(_("cannot replace %s: %s"), s->path, strerror(errno));
		goto out;
	}
	xfree(&s->tmp);
	if (sync_parent(s->path) < 0) {
		*err = xasprintf(_("cannot sync the directory of %s: %s"), s->path,
				 strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fileio_discard(ps);
	return rc;
}

int fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			char **err)
{
	struct fileio_staged *s = NULL;

	if (fileio_stage(path, data, len, mode, &s, err) < 0)
		return -1;
	return fileio_commit(&s, err);
}
