/* Where a cluster's state lives, following the XDG base directory rules. */
#include "config.h"

#include "statedir.h"

#include <errno.h>
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

int statedir_create(const char *path, char **err)
{
	char *copy = xstrdup(path);
	int rc = 0;

	*err = NULL;
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char saved = *p;

			*p = '\0';
			if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
				*err = xasprintf(_("cannot create %s: %s"), copy, strerror(errno));
				rc = -1;
			}
			*p = saved;
		}
		if (rc < 0 || *p == '\0')
			break;
	}
	free(copy);
	return rc;
}
