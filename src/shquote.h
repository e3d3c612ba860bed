/* Quoting for POSIX shell command lines. Every plan value that reaches a
 * command goes through shquote() even though src/grammar.h has already
 * validated it: the grammar says what a value may be, the quoting makes sure
 * the shell sees it as one word whatever it is. */
#ifndef K8SW_SHQUOTE_H
#define K8SW_SHQUOTE_H

#include <stdbool.h>

/* s as one single-quoted shell word: 'it'\''s'. The empty string gives ''.
 * The caller frees the result. */
char *shquote(const char *s);

/* True when s can stand in a command line unquoted: non-empty and made only
 * of letters, digits and _ . / : = @ % + , - (no character a POSIX shell
 * treats specially in any position). */
bool shquote_is_plain(const char *s);

#endif
