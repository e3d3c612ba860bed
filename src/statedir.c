/* Where a cluster's state lives, following the XDG base directory rules. */
#include "config.h"

#include "statedir.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homedir.h"
#include "nls.h"
#include "xmalloc.h"

char *statedir_path(const char *cluster, char **err)
{
	const char *override = getenv("K8SW_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	char *home = NULL;
	char *path = NULL;

	*err = NULL;
	if (override != NULL && *override != '\0')
		return xasprintf("%s/%s", override, cluster);
	/* XDG: a relative XDG_STATE_HOME is invalid and must be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/k8s-wizard/%s", xdg, cluster);
	home = homedir_get(err);
	if (home == NULL) {
		xfree(err);
		*err = xstrdup(_("no home directory: set HOME or XDG_STATE_HOME"));
		return NULL;
	}
	path = xasprintf("%s/.local/state/k8s-wizard/%s", home, cluster);
	free(home);
	return path;
}

/* Why dir (a directory on the state directory's resolved path; last: the
 * state directory itself) cannot be trusted, or NULL. */
static char *untrusted_dir(const char *dir, const struct stat *st, bool last)
{
	uid_t me = geteuid();

	if (!S_ISDIR(st->st_mode))
		/* L10N: a path. */
		return xasprintf(_("%s is not a directory"), dir);
	if (last && st->st_uid != me)
		/* L10N: a path, its owner's uid, the operator's uid, the path. */
		return xasprintf(_("%s belongs to user %lu, not to you (user %lu): a state directory "
				   "must be yours alone; move it away (its files were not read) and "
				   "run again, or give it to yourself: chown -R %lu %s"),
				 dir, (unsigned long)st->st_uid, (unsigned long)me,
				 (unsigned long)me, dir);
	if (st->st_uid != me && st->st_uid != 0)
		/* L10N: a path, its owner's uid, the operator's uid. */
		return xasprintf(_("%s belongs to user %lu, neither you (user %lu) nor root: whoever "
				   "owns it controls the state directory below it; put the state "
				   "directory elsewhere (K8SW_STATE_DIR)"),
				 dir, (unsigned long)st->st_uid, (unsigned long)me);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (last || !(st->st_mode & S_ISVTX)))
		/* L10N: a path, its mode in octal, the path again. */
		return xasprintf(_("%s can be written by others (mode %04o): they could replace "
				   "the state directory's files; run chmod go-w %s"),
				 dir, (unsigned)(st->st_mode & 07777), dir);
	return NULL;
}

/* statedir_check() of path, or (state_dir false) of a directory above the
 * state directory, where root's sticky /tmp is fine. */
static int check_path(const char *path, bool state_dir, char **err)
{
	char *copy = xstrdup(path);
	char *real = NULL;
	struct stat st;
	int rc = -1;

	*err = NULL;
	/* The links on the way as given: their owner can point them elsewhere. */
	for (char *p = copy + 1;; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (lstat(copy, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != geteuid() &&
		    st.st_uid != 0) {
			/* L10N: a path, its owner's uid. */
			*err = xasprintf(_("%s is a symbolic link that belongs to user %lu: they can "
					   "point it anywhere; remove it or put the state directory "
					   "elsewhere (K8SW_STATE_DIR)"),
					 copy, (unsigned long)st.st_uid);
			goto out;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	real = realpath(path, NULL);
	if (real == NULL) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot resolve %s: %s"), path, strerror(errno));
		goto out;
	}
	/* Every directory from the root down, the state directory last. */
	if (stat("/", &st) < 0) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot examine %s: %s"), "/", strerror(errno));
		goto out;
	}
	*err = untrusted_dir("/", &st, state_dir && real[1] == '\0');
	if (*err != NULL)
		goto out;
	/* realpath() gives "/" or a path without a trailing slash. */
	for (char *p = real + 1; real[1] != '\0'; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (stat(real, &st) < 0) {
			/* L10N: a path and the system's error message. */
			*err = xasprintf(_("cannot examine %s: %s"), real, strerror(errno));
			goto out;
		}
		*err = untrusted_dir(real, &st, state_dir && saved == '\0');
		*p = saved;
		if (*err != NULL)
			goto out;
		if (saved == '\0')
			break;
	}
	rc = 0;
out:
	free(real);
	free(copy);
	return rc;
}

int statedir_check(const char *path, char **err)
{
	return check_path(path, true, err);
}

int statedir_create(const char *path, char **err)
{
	char *copy = xstrdup(path);
	bool checked = false;
	struct stat st;
	int rc = 0;

	*err = NULL;
	for (char *p = copy + 1; rc == 0; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		/* Nothing is created under a directory that is not trusted. */
		if (!checked && lstat(copy, &st) < 0 && errno == ENOENT) {
			char *slash = strrchr(copy, '/');

			checked = true;
			if (slash != NULL) {
				*slash = '\0';
				rc = check_path(copy[0] != '\0' ? copy : "/", false, err);
				*slash = '/';
			}
		}
		if (rc == 0 && mkdir(copy, 0700) < 0 && errno != EEXIST) {
			*err = xasprintf(_("cannot create %s: %s"), copy, strerror(errno));
			rc = -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	if (rc == 0)
		rc = statedir_check(path, err);
	return rc;
}
