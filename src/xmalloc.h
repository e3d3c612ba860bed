/* Allocation helpers that never return NULL.
 *
 * On failure they call the hook registered with xmalloc_set_fatal_hook() (the
 * UI uses it to restore the terminal), print one line and exit. Zero sizes and
 * multiplication overflow are treated as programming errors. */
#ifndef K8SW_XMALLOC_H
#define K8SW_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*xmalloc_hook)(void);

void xmalloc_set_fatal_hook(xmalloc_hook hook);

/* Fail the way an allocation fails: for libraries that report only "no
 * memory" (libyaml's emitter, OpenSSL's allocators). */
void xalloc_die(const char *what) __attribute__((noreturn));

void *xmalloc(size_t size) __attribute__((malloc, alloc_size(1), returns_nonnull));
void *xcalloc(size_t nmemb, size_t size)
	__attribute__((malloc, alloc_size(1, 2), returns_nonnull));
void *xreallocarray(void *ptr, size_t nmemb, size_t size)
	__attribute__((alloc_size(2, 3), returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, nonnull, returns_nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, nonnull, returns_nonnull));
char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), nonnull(1), returns_nonnull));
char *xvasprintf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0), nonnull(1), returns_nonnull));
int xsnprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), nonnull(1, 3)));

/* Wipe the string *s held (a password, a key in PEM) with explicit_bzero(),
 * free it and set *s to NULL; NULL is fine. The one way secrets are wiped
 * (buffers that are not freed: explicit_bzero() itself). A memset() before
 * free() may be removed by the compiler; tests/style.sh refuses it. */
void xfree_secret(char **s) __attribute__((nonnull));

/* Free *ptr and set it to NULL. */
#define xfree(ptr)                                                              \
	do {                                                                    \
		free(*(ptr));                                                   \
		*(ptr) = NULL;                                                  \
	} while (0)

#endif
