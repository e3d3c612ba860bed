/* The state directory of a cluster: $XDG_STATE_HOME/k8s-wizard/<cluster>/
 * (default ~/.local/state/k8s-wizard/<cluster>/), or the directory given with
 * K8SW_STATE_DIR. It holds the saved plan, pki/, the journal and the logs. */
#ifndef K8SW_STATEDIR_H
#define K8SW_STATEDIR_H

/* The directory's path for cluster (not created). Returns NULL with *err set
 * (free it) when no home directory is known. */
char *statedir_path(const char *cluster, char **err);

/* Create path and its parents with mode 0700 (existing ones are kept as they
 * are). Returns 0, or -1 with *err set. */
int statedir_create(const char *path, char **err);

#endif
