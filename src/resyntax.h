/* Regular expressions in the dialect of RE2 and Go's regexp, checked without
 * compiling them.
 *
 * kubelet-csr-approver reads its providerRegex with Go's regexp package, so a
 * plan's regex must be one Go accepts: no backreferences or lookaround,
 * repetition counts of at most 1000. On top of that the expression, with its
 * repetitions expanded, must stay small (RESYNTAX_MAX_SIZE), so that neither
 * the approver nor the glibc regcomp() the plan check matches workers with can
 * be made to spend seconds and gigabytes on it. The check itself reads each
 * character once and uses a fixed amount of memory. */
#ifndef K8SW_RESYNTAX_H
#define K8SW_RESYNTAX_H

#include <stdbool.h>

/* Longest expression accepted, in bytes (printable ASCII only). */
#define RESYNTAX_MAX_LEN 256
/* Largest count in x{n}, x{n,} and x{n,m}, as in RE2 and Go. */
#define RESYNTAX_MAX_REPEAT 1000
/* Largest size with every repetition expanded: a{1,100} counts 100, and
 * (a{1,100}){1,100} counts 10,000 and is refused. */
#define RESYNTAX_MAX_SIZE 2000

/* True when s is such an expression. Otherwise *why (if not NULL) gets an
 * untranslated sentence (mark it with _() to show it) saying what is wrong, a
 * static string. */
bool resyntax_check(const char *s, const char **why);

#endif
