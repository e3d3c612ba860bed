/* POSIX shell quoting: single quotes, with each embedded quote closed,
 * escaped and reopened, which is the one form every POSIX shell reads the
 * same way. */
#include "config.h"

#include "shquote.h"

#include <string.h>

#include "xmalloc.h"

char *shquote(const char *s)
{
	size_t quotes = 0;
	size_t len = strlen(s);
	char *out = NULL;
	char *o = NULL;

	for (const char *c = s; *c != '\0'; c++)
		quotes += *c == '\'';
	/* Each quote becomes the four characters '\'' */
	out = xmalloc(len + quotes * 3 + 3);
	o = out;
	*o++ = '\'';
	for (const char *c = s; *c != '\0'; c++) {
		if (*c == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *c;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

bool shquote_is_plain(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_./:=@%+,-", *s) != NULL))
			return false;
	}
	return true;
}
