/* DNS messages for one question: building the query, reading the answer's
 * header, skipping its question and collecting the A or AAAA records, with
 * names compressed or not. Every length is checked against the message. */
#include "config.h"

#include "dnsquery.h"

#include <string.h>

#include "nls.h"

#define TYPE_A 1
#define TYPE_AAAA 28
#define CLASS_IN 1

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

size_t dnsquery_build(const char *name, enum net_family family, uint16_t id, uint8_t *buf,
		      size_t size)
{
	size_t n = 2 + 12, label = 0;

	if (size < n + strlen(name) + 2 + 4 || strlen(name) == 0 || strlen(name) > 253)
		return 0;
	memset(buf, 0, n);
	put16(buf + 2, id);
	buf[4] = 0x01; /* recursion desired */
	put16(buf + 6, 1);
	/* "a.b.c" as 1a1b1c0: each label after its length. */
	for (const char *p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t len = (size_t)(p - name) - label;

			if (len == 0 || len > 63) {
				if (*p == '\0' && len == 0 && label > 0)
					break; /* a final dot */
				return 0;
			}
			buf[n++] = (uint8_t)len;
			memcpy(buf + n, name + label, len);
			n += len;
			label = (size_t)(p - name) + 1;
			if (*p == '\0')
				break;
		}
	}
	buf[n++] = 0;
	put16(buf + n, family == NET_IPV6 ? TYPE_AAAA : TYPE_A);
	put16(buf + n + 2, CLASS_IN);
	n += 4;
	put16(buf, (unsigned)(n - 2));
	return n;
}

/* Skip a name at *off (labels, ending in a zero or a pointer). */
static int skip_name(const uint8_t *msg, size_t len, size_t *off)
{
	for (unsigned labels = 0; labels < 128; labels++) {
		if (*off >= len)
			return -1;
		if ((msg[*off] & 0xc0) == 0xc0) {
			if (*off + 2 > len)
				return -1;
			*off += 2;
			return 0;
		}
		if (msg[*off] & 0xc0)
			return -1;
		if (msg[*off] == 0) {
			(*off)++;
			return 0;
		}
		*off += 1 + msg[*off];
	}
	return -1;
}

int dnsquery_parse(const uint8_t *msg, size_t len, uint16_t id, enum net_family family,
		   int *rcode, struct net_addr *addrs, int max, const char **why)
{
	unsigned want = family == NET_IPV6 ? TYPE_AAAA : TYPE_A;
	size_t want_len = family == NET_IPV6 ? 16 : 4, off = 12;
	unsigned qd, an;
	int n = 0;

	*why = N_("a truncated answer");
	if (len < 12)
		return -1;
	if (get16(msg) != id || !(msg[2] & 0x80)) {
		*why = N_("not the answer to the question asked");
		return -1;
	}
	*rcode = msg[3] & 0x0f;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	for (unsigned i = 0; i < qd; i++) {
		if (skip_name(msg, len, &off) < 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned type, class, rdlen;

		if (skip_name(msg, len, &off) < 0 || off + 10 > len)
			return -1;
		type = get16(msg + off);
		class = get16(msg + off + 2);
		rdlen = get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -1;
		if (type == want && class == CLASS_IN && rdlen == want_len && n < max) {
			memset(&addrs[n], 0, sizeof addrs[n]);
			addrs[n].family = family;
			memcpy(addrs[n].bytes, msg + off, rdlen);
			n++;
		}
		off += rdlen;
	}
	*why = NULL;
	return n;
}
