/* The plans the wizard keeps in the state directory: where each lives, which
 * exist and which is newest, and putting a previous version back when the
 * operator discards a session's changes. */
#include "config.h"

#include "planstore.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grammar.h"
#include "fileio.h"
#include "nls.h"
#include "planfile.h"
#include "statedir.h"
#include "statelock.h"
#include "xmalloc.h"

#define PLAN_FILE "plan.yaml"
#define SCREEN_FILE "wizard-screen"
/* A saved plan or note larger than this was not written by the wizard. */
#define MAX_READ (16u << 20)

/* The state directory of a valid cluster name, or NULL with *err set. */
static char *cluster_dir(const char *cluster, char **err)
{
	const char *why = NULL;

	*err = NULL;
	if (cluster == NULL || !grammar_check(GR_LABEL, cluster, &why)) {
		/* L10N: the name, and what a valid name is. */
		*err = xasprintf(_("the cluster name '%s' is not valid, so the plan cannot be saved "
				   "under it: %s"), cluster != NULL ? cluster : "", why);
		return NULL;
	}
	return statedir_path(cluster, err);
}

/* Create dir and take its lock: a run (or another wizard) that holds it may
 * be writing there. Returns 0, or -1 with *err set. */
static int lock_dir(const char *dir, struct statelock **lock, char **err)
{
	if (statedir_create(dir, err) < 0 || statelock_take(dir, "wizard", lock, err) != 0)
		return -1;
	return 0;
}

char *planstore_path(const char *cluster, char **err)
{
	char *dir = cluster_dir(cluster, err);
	char *path = NULL;

	if (dir == NULL)
		return NULL;
	path = xasprintf("%s/%s", dir, PLAN_FILE);
	free(dir);
	return path;
}

int planstore_save(const struct plan *p, char **err)
{
	char *dir = cluster_dir(p->name, err);
	struct statelock *lock = NULL;
	char *path = NULL;
	int rc = -1;

	if (dir == NULL || lock_dir(dir, &lock, err) < 0)
		goto out;
	path = xasprintf("%s/%s", dir, PLAN_FILE);
	rc = planfile_save(p, path, err);
out:
	statelock_release(&lock);
	free(dir);
	free(path);
	return rc;
}

/* The whole content of a small regular file, or NULL when it is absent or
 * unreadable (the caller treats both as "nothing saved"). */
static char *read_small(const char *path, size_t *len)
{
	char *text = NULL, *err = NULL;

	*len = 0;
	if (fileio_read(path, MAX_READ, &text, len, &err) != 0) {
		free(err);
		*len = 0;
		return NULL;
	}
	return text;
}

char *planstore_read(const char *cluster, size_t *len)
{
	char *err = NULL;
	char *path = planstore_path(cluster, &err);
	char *text = NULL;

	*len = 0;
	free(err);
	if (path != NULL)
		text = read_small(path, len);
	free(path);
	return text;
}

int planstore_restore(const char *cluster, const char *text, size_t len, char **err)
{
	char *dir = cluster_dir(cluster, err);
	char *path = NULL, *note = NULL;
	struct statelock *lock = NULL;
	int rc = -1;

	if (dir == NULL || lock_dir(dir, &lock, err) < 0)
		goto out;
	path = xasprintf("%s/%s", dir, PLAN_FILE);
	note = xasprintf("%s/%s", dir, SCREEN_FILE);
	if (text != NULL) {
		rc = fileio_write_atomic(path, text, len, 0644, err);
	} else if (unlink(path) < 0 && errno != ENOENT) {
		*err = xasprintf(_("cannot remove %s: %s"), path, strerror(errno));
	} else {
		/* The note belongs to the plan: without one it means nothing. */
		unlink(note);
		rc = 0;
	}
out:
	statelock_release(&lock);
	free(dir);
	free(path);
	free(note);
	return rc;
}

static int entry_newer_first(const void *a, const void *b)
{
	const struct planstore_entry *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime > y->mtime ? -1 : 1;
	return strcmp(x->cluster, y->cluster);
}

int planstore_list(struct planstore_list *out, char **err)
{
	/* statedir_path("") is the directory holding every cluster's. */
	char *root = statedir_path("", err);
	DIR *dir = NULL;
	struct dirent *de = NULL;

	out->v = NULL;
	out->n = 0;
	if (root == NULL)
		return -1;
	dir = opendir(root);
	if (dir == NULL) {
		int rc = errno == ENOENT ? 0 : -1;

		if (rc < 0)
			*err = xasprintf(_("cannot read %s: %s"), root, strerror(errno));
		free(root);
		return rc;
	}
	for (de = readdir(dir); de != NULL; de = readdir(dir)) {
		struct stat st;
		char *path = NULL;

		if (!grammar_check(GR_LABEL, de->d_name, NULL))
			continue;
		path = xasprintf("%s%s/%s", root, de->d_name, PLAN_FILE);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
		out->v[out->n].cluster = xstrdup(de->d_name);
		out->v[out->n].path = path;
		out->v[out->n].mtime = st.st_mtime;
		out->n++;
	}
	closedir(dir);
	free(root);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, entry_newer_first);
	return 0;
}

void planstore_list_clear(struct planstore_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].cluster);
		free(l->v[i].path);
	}
	xfree(&l->v);
	l->n = 0;
}

int planstore_set_screen(const char *cluster, const char *screen, char **err)
{
	char *dir = cluster_dir(cluster, err);
	char *path = NULL, *line = NULL;
	struct statelock *lock = NULL;
	int rc = -1;

	if (dir == NULL || lock_dir(dir, &lock, err) < 0)
		goto out;
	path = xasprintf("%s/%s", dir, SCREEN_FILE);
	line = xasprintf("%s\n", screen);
	rc = fileio_write_atomic(path, line, strlen(line), 0644, err);
out:
	statelock_release(&lock);
	free(dir);
	free(path);
	free(line);
	return rc;
}

char *planstore_get_screen(const char *cluster)
{
	char *err = NULL;
	char *dir = cluster_dir(cluster, &err);
	char *path = NULL, *text = NULL;
	size_t len = 0;

	free(err);
	if (dir == NULL)
		return NULL;
	path = xasprintf("%s/%s", dir, SCREEN_FILE);
	text = read_small(path, &len);
	if (text != NULL)
		text[strcspn(text, "\n")] = '\0';
	free(dir);
	free(path);
	return text;
}
