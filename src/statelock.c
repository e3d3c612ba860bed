/* One run per cluster: flock on the state directory's lock file. */
#include "config.h"

#include "statelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nls.h"
#include "xmalloc.h"

struct statelock {
	int fd;
};

int statelock_take(const char *state_dir, const char *command, struct statelock **out,
		   char **err)
{
	char *path = xasprintf("%s/lock", state_dir);
	char holder[256] = "";
	char *info = NULL;
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	ssize_t n;
	int fd, rc = -1;

	*out = NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot open %s: %s"), path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			/* L10N: a path and the system's error message. */
			*err = xasprintf(_("cannot lock %s: %s"), path, strerror(errno));
			goto out;
		}
		n = pread(fd, holder, sizeof holder - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		/* L10N: the state directory, then who holds it ("pid 123: apply since ..."). */
		*err = xasprintf(_("%s is in use by another run (%s); wait for it to end, or stop "
				   "it"),
				 state_dir, holder[0] != '\0' ? holder : _("unknown process"));
		rc = 1;
		goto out;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	/* Not translated: another process, in another language, reads it. */
	info = xasprintf("pid %ld: k8s-wizard %s since %s\n", (long)getpid(), command, stamp);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, info, strlen(info), 0) < 0) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot write %s: %s"), path, strerror(errno));
		goto out;
	}
	*out = xcalloc(1, sizeof **out);
	(*out)->fd = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(info);
	free(path);
	return rc;
}

void statelock_release(struct statelock **pl)
{
	struct statelock *l = *pl;

	if (l == NULL)
		return;
	/* A stale holder's line would only mislead: flock is what counts. */
	if (ftruncate(l->fd, 0) < 0)
		log_debug(LOGS_ENGINE, "cannot empty the lock file: %s", strerror(errno));
	close(l->fd);
	free(l);
	*pl = NULL;
}
