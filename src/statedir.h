/* The state directory of a cluster: $XDG_STATE_HOME/k8s-wizard/<cluster>/
 * (default ~/.local/state/k8s-wizard/<cluster>/), or the directory given with
 * K8SW_STATE_DIR. It holds the saved plan, pki/, the journal and the logs. */
#ifndef K8SW_STATEDIR_H
#define K8SW_STATEDIR_H

/* The directory's path for cluster (not created). Returns NULL with *err set
 * (free it) when no home directory is known. */
char *statedir_path(const char *cluster, char **err);

/* Create path and its parents with mode 0700 (existing ones are kept as they
 * are), then statedir_check() it. Returns 0, or -1 with *err set. */
int statedir_create(const char *path, char **err);

/* Refuse a state directory others could have planted or can change, as
 * OpenSSH's StrictModes does: path must be a directory owned by the operator
 * (the effective user) that neither its group nor others can write; every
 * directory above it must be owned by the operator or root and be writable
 * by no one else, unless it has the sticky bit (/tmp); a symbolic link on
 * the way must be owned by the operator or root (its target is checked as
 * above). Returns 0, or -1 with *err saying what to fix. */
int statedir_check(const char *path, char **err);

#endif
