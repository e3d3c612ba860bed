/* Text from plans and hosts made safe for a terminal: control characters,
 * invalid UTF-8 and bidirectional overrides become visible escapes, so no
 * value can move the cursor, fake a line, set the title or write the
 * clipboard (OSC 52). Printable UTF-8 (Chinese included) is kept as is.
 *
 * The escapes: a byte of C0 (0x00-0x1f), DEL (0x7f) or a byte that is not
 * part of valid UTF-8 is written \xNN (two lowercase hex digits); a C1 code
 * point (U+0080-U+009F) or a bidirectional formatting character (U+061C,
 * U+200E-U+200F, U+202A-U+202E, U+2066-U+2069) is written \uNNNN. A
 * backslash is kept as it is: the escapes are for a reader, not a parser. */
#ifndef K8SW_TERMSAFE_H
#define K8SW_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum termsafe_flags {
	TERMSAFE_ALL = 0,	  /* escape every control character */
	TERMSAFE_KEEP_LINES = 1u, /* keep '\n' and '\t' (multi-line layout, host output) */
};

/* Whether code point cp is escaped: C0, DEL, C1 and the bidirectional
 * formatting characters (for a caller that draws characters itself, as
 * the wizard's screens do). */
bool termsafe_is_control(uint32_t cp);

/* Append len bytes of s to b, escaped (s may hold NUL bytes). */
void termsafe_add(struct strbuf *b, const char *s, size_t len, unsigned flags);

/* s escaped, as a new string the caller frees ("" for NULL). */
char *termsafe_dup(const char *s, unsigned flags);

#endif
