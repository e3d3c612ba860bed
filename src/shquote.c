/* POSIX shell quoting. Single quotes keep every byte literal except the
 * single quote itself, which is written as '\'' (close, escaped quote,
 * reopen); nothing else needs care, not even newlines. */
#include "config.h"

#include "shquote.h"

#include <string.h>

#include "xmalloc.h"

/* Quote s into out, which has room for shquote_len(s) + 1 bytes. */
static size_t quote_into(char *out, const char *s)
{
	size_t n = 0;

	out[n++] = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *s;
		}
	}
	out[n++] = '\'';
	out[n] = '\0';
	return n;
}

/* The length of s quoted, without the NUL. */
static size_t quoted_len(const char *s)
{
	size_t n = 2;

	for (; *s != '\0'; s++)
		n += *s == '\'' ? 4 : 1;
	return n;
}

char *shquote_arg(const char *s)
{
	char *out = xmalloc(quoted_len(s) + 1);

	quote_into(out, s);
	return out;
}

void shquote_append(char **cmd, const char *s)
{
	size_t old = *cmd != NULL ? strlen(*cmd) : 0;
	size_t sep = old > 0 ? 1 : 0;

	*cmd = xreallocarray(*cmd, old + sep + quoted_len(s) + 1, 1);
	if (sep)
		(*cmd)[old] = ' ';
	quote_into(*cmd + old + sep, s);
}
