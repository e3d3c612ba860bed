/* Escaping of control characters before text reaches a terminal (see
 * termsafe.h for the escapes). One function for the whole program, so a
 * plan value, a server's prompt and a host's output are shown alike. */
#include "config.h"

#include "termsafe.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "xmalloc.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes) and its code
 * point in *cp, or 0 when s does not start one (overlong forms, surrogates
 * and code points above U+10FFFF are not valid). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t v, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		v = s[0] & 0x1fu;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		v = s[0] & 0x0fu;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		v = s[0] & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

bool termsafe_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void termsafe_add(struct strbuf *b, const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		bool layout = (c == '\n' || c == '\t') && (flags & TERMSAFE_KEEP_LINES);
		uint32_t cp = 0;
		size_t n = c < 0x80 ? 0 : utf8_seq(p + i, len - i, &cp);

		if ((c >= 0x20 && c < 0x7f) || layout) {
			strbuf_addc(b, (char)c);
			i++;
		} else if (n == 0) {
			/* C0, DEL, or a byte that is not valid UTF-8. */
			strbuf_addf(b, "\\x%02x", c);
			i++;
		} else if (termsafe_is_control(cp)) {
			strbuf_addf(b, "\\u%04x", (unsigned)cp);
			i += n;
		} else {
			strbuf_add(b, s + i, n);
			i += n;
		}
	}
}

char *termsafe_dup(const char *s, unsigned flags)
{
	struct strbuf b = { 0 };

	if (s != NULL)
		termsafe_add(&b, s, strlen(s), flags);
	return strbuf_detach(&b, NULL);
}
