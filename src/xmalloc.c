/* Allocation helpers: every failure is fatal and goes through one hook, so the
 * rest of the code never checks for NULL and the terminal is always restored. */
#include "config.h"

#include "xmalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static xmalloc_hook fatal_hook;

void xmalloc_set_fatal_hook(xmalloc_hook hook)
{
	fatal_hook = hook;
}

/* Report an allocation failure and exit: the only exit in the library. */
static void __attribute__((noreturn)) xmalloc_fatal(const char *what, size_t size)
{
	char msg[128];
	int n;

	if (fatal_hook != NULL)
		fatal_hook();
	if (size > 0)
		n = snprintf(msg, sizeof msg, "k8s-wizard: %s: cannot allocate %zu bytes\n",
			     what, size);
	else
		n = snprintf(msg, sizeof msg, "k8s-wizard: %s: out of memory\n", what);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;
	_exit(70);
}

void *xmalloc(size_t size)
{
	void *p = NULL;

	if (size == 0)
		xmalloc_fatal("xmalloc: zero size", 0);
	p = malloc(size);
	if (p == NULL)
		xmalloc_fatal("xmalloc", size);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = NULL;

	if (nmemb == 0 || size == 0)
		xmalloc_fatal("xcalloc: zero size", 0);
	if (SIZE_MAX / nmemb < size)
		xmalloc_fatal("xcalloc: size overflow", SIZE_MAX);
	p = calloc(nmemb, size);
	if (p == NULL)
		xmalloc_fatal("xcalloc", nmemb * size);
	return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p = NULL;

	if (nmemb == 0 || size == 0)
		xmalloc_fatal("xreallocarray: zero size", 0);
	if (SIZE_MAX / nmemb < size)
		xmalloc_fatal("xreallocarray: size overflow", SIZE_MAX);
	p = realloc(ptr, nmemb * size);
	if (p == NULL)
		xmalloc_fatal("xreallocarray", nmemb * size);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p = NULL;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		xmalloc_fatal("xvasprintf: bad format", 0);
	p = xmalloc((size_t)n + 1);
	if (vsnprintf(p, (size_t)n + 1, fmt, ap) != n)
		xmalloc_fatal("xvasprintf: output changed", (size_t)n);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		xmalloc_fatal("xsnprintf: buffer too small", (size_t)(n < 0 ? 0 : n));
	return n;
}

void xalloc_die(const char *what)
{
	xmalloc_fatal(what, 0);
}

void xfree_secret(char **s)
{
	if (*s != NULL)
		explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}
