/* Quoting for POSIX sh. Every value that goes into a command run on a host is
 * quoted with these, even one a grammar already validated: the grammar keeps
 * surprises out of the plan, the quoting keeps them out of the shell. */
#ifndef K8SW_SHQUOTE_H
#define K8SW_SHQUOTE_H

#include <stddef.h>

/* s as one single-quoted shell word: 'it'\''s' for it's, '' for "". The
 * result is newly allocated. */
char *shquote_arg(const char *s);

/* Append a space (unless *cmd is empty) and s quoted to the string *cmd (NULL
 * starts a new one), reallocating it. */
void shquote_append(char **cmd, const char *s);

#endif
