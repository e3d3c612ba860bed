/* The operator's home directory, and paths written with ~/ in a plan.
 *
 * Safe from any thread: the password database is read with getpwuid_r(), not
 * plain getpwuid, whose static result another thread may overwrite. */
#ifndef K8SW_HOMEDIR_H
#define K8SW_HOMEDIR_H

/* $HOME when it is an absolute path, else the password database's entry for
 * the real user. Returns a new string (free it), or NULL with *err set (free
 * it) when neither gives one. */
char *homedir_get(char **err);

/* path with a leading "~/" (or a lone "~") replaced by the home directory;
 * any other path is returned as it is. Returns a new string (free it), or
 * NULL with *err set (free it) when there is a ~ to expand and no home. */
char *homedir_expand(const char *path, char **err);

#endif
