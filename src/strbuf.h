/* A growable string: text built piece by piece (rendered files, command
 * lines). Always NUL-terminated; allocation failure is fatal (xmalloc). */
#ifndef K8SW_STRBUF_H
#define K8SW_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s;    /* NULL until something is added */
	size_t len; /* without the NUL */
	size_t cap;
	bool secret; /* key material: memory left behind by growing is wiped */
};

void strbuf_add(struct strbuf *b, const char *s, size_t len);
void strbuf_adds(struct strbuf *b, const char *s);
void strbuf_addc(struct strbuf *b, char c);
void strbuf_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hand the text to the caller ("" when empty) and reset b. */
char *strbuf_detach(struct strbuf *b, size_t *len);

/* Free the text (wiped first when secret) and reset b. */
void strbuf_clear(struct strbuf *b);

#endif
