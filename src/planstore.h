/* The wizard's own copy of a plan, in the cluster's state directory
 * (statedir_path(name)/plan.yaml). The wizard saves it after every change, so
 * that quitting, a crash or a closed terminal loses nothing, and looks for it
 * on the next start. Beside it a one-line note records the wizard's screen,
 * so that Resume opens where the operator left off. Every write takes the
 * state directory's lock for its duration (statelock.h): while a run holds
 * it, the write fails and *err names the holder. */
#ifndef K8SW_PLANSTORE_H
#define K8SW_PLANSTORE_H

#include <stddef.h>
#include <time.h>

#include "plan.h"

/* The saved plan's path for cluster (a new string), or NULL with *err set
 * (free it). cluster must be a valid cluster name: it becomes a directory. */
char *planstore_path(const char *cluster, char **err);

/* Save p (atomically) as its cluster's plan, creating the state directory.
 * Returns 0, or -1 with *err set: also when p's name is not a valid cluster
 * name, since it names the directory. */
int planstore_save(const struct plan *p, char **err);

struct planstore_entry {
	char *cluster;
	char *path;
	time_t mtime;
};

struct planstore_list {
	struct planstore_entry *v;
	size_t n;
};

/* The saved plans, newest first. No state directory yet is an empty list.
 * Returns 0, or -1 with *err set when the directory cannot be read. */
int planstore_list(struct planstore_list *out, char **err);
void planstore_list_clear(struct planstore_list *l);

/* The saved plan's bytes, to put them back later: NULL when there is no saved
 * plan (or it cannot be read). *len gets the length. */
char *planstore_read(const char *cluster, size_t *len);

/* Put text back as cluster's saved plan (atomically), or remove the saved plan
 * and its note when text is NULL. Returns 0, or -1 with *err set. */
int planstore_restore(const char *cluster, const char *text, size_t len, char **err);

/* The note beside the saved plan: the wizard's screen ("network"). get
 * returns a new string or NULL when there is none. */
int planstore_set_screen(const char *cluster, const char *screen, char **err);
char *planstore_get_screen(const char *cluster);

#endif
