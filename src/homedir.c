/* The home directory for ~/ in plan paths and for the state directory, looked
 * up the thread-safe way. */
#include "config.h"

#include "homedir.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nls.h"
#include "xmalloc.h"

char *homedir_get(char **err)
{
	const char *home = getenv("HOME");
	struct passwd pw, *found = NULL;
	long max = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = max > 0 ? (size_t)max : 16384;
	char *buf = NULL;
	char *dir = NULL;
	int rc = 0;

	*err = NULL;
	if (home != NULL && home[0] == '/')
		return xstrdup(home);
	/* ERANGE: the entry did not fit; try again with twice the room. */
	for (;;) {
		buf = xmalloc(size);
		rc = getpwuid_r(getuid(), &pw, buf, size, &found);
		if (rc != ERANGE || size > (1u << 20))
			break;
		xfree(&buf);
		size *= 2;
	}
	if (rc == 0 && found != NULL && pw.pw_dir != NULL && pw.pw_dir[0] == '/')
		dir = xstrdup(pw.pw_dir);
	else
		*err = xstrdup(_("no home directory: set HOME"));
	free(buf);
	return dir;
}

char *homedir_expand(const char *path, char **err)
{
	char *home = NULL;
	char *full = NULL;

	*err = NULL;
	if (path[0] != '~' || (path[1] != '/' && path[1] != '\0'))
		return xstrdup(path);
	home = homedir_get(err);
	if (home == NULL)
		return NULL;
	/* "~/x" under a home of "/" is "/x", not "//x". */
	if (strcmp(home, "/") == 0)
		full = xstrdup(path[1] == '\0' ? "/" : path + 1);
	else
		full = xasprintf("%s%s", home, path + 1);
	free(home);
	return full;
}
