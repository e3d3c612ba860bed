/* Growable strings: amortised doubling, always terminated so that the text
 * can be handed out at any time. */
#include "config.h"

#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void strbuf_grow(struct strbuf *b, size_t more)
{
	size_t need = b->len + more + 1;
	size_t cap = b->cap != 0 ? b->cap : 64;
	char *grown = NULL;

	if (need <= b->cap)
		return;
	while (cap < need)
		cap *= 2;
	if (!b->secret) {
		b->s = xreallocarray(b->s, cap, 1);
		b->cap = cap;
		return;
	}
	/* realloc could leave the old copy behind unwiped: move it by hand. */
	grown = xmalloc(cap);
	if (b->s != NULL) {
		memcpy(grown, b->s, b->len + 1);
		explicit_bzero(b->s, b->cap);
		free(b->s);
	}
	b->s = grown;
	b->cap = cap;
}

void strbuf_add(struct strbuf *b, const char *s, size_t len)
{
	strbuf_grow(b, len);
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void strbuf_adds(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

void strbuf_addc(struct strbuf *b, char c)
{
	strbuf_add(b, &c, 1);
}

void strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strbuf_adds(b, s);
	free(s);
}

char *strbuf_detach(struct strbuf *b, size_t *len)
{
	char *s = b->s != NULL ? b->s : xstrdup("");

	if (len != NULL)
		*len = b->len;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void strbuf_clear(struct strbuf *b)
{
	if (b->secret && b->s != NULL)
		explicit_bzero(b->s, b->cap);
	xfree(&b->s);
	b->len = b->cap = 0;
}
