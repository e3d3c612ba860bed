/* IPv4 and IPv6 addresses and CIDR arithmetic, on byte arrays so that both
 * families share one implementation. */
#include "config.h"

#include "net.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "nls.h"

static size_t net_len(enum net_family f)
{
	return f == NET_IPV4 ? 4 : 16;
}

int net_addr_parse(const char *s, struct net_addr *out)
{
	memset(out, 0, sizeof *out);
	if (s == NULL)
		return -1;
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = NET_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = NET_IPV6;
		return 0;
	}
	return -1;
}

/* Clear the bits of a beyond prefix; return true if any was set. */
static bool net_mask(struct net_addr *a, unsigned prefix)
{
	size_t len = net_len(a->family);
	bool had_host_bits = false;

	for (size_t i = 0; i < len; i++) {
		unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
		uint8_t mask = (uint8_t)(keep == 0 ? 0 : 0xff << (8 - keep));

		if (a->bytes[i] & ~mask)
			had_host_bits = true;
		a->bytes[i] &= mask;
	}
	return had_host_bits;
}

int net_cidr_parse(const char *s, struct net_cidr *out, const char **why)
{
	char buf[NET_CIDRSTRLEN];
	const char *slash = NULL;
	char *end = NULL;
	unsigned long prefix;
	size_t alen;

	memset(out, 0, sizeof *out);
	*why = N_("expected ADDRESS/PREFIX");
	if (s == NULL)
		return -1;
	slash = strchr(s, '/');
	if (slash == NULL)
		return -1;
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof buf)
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (net_addr_parse(buf, &out->addr) < 0) {
		*why = N_("the address part is not an IP address");
		return -1;
	}
	if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2] != '\0')) {
		*why = N_("the prefix length is not a number");
		return -1;
	}
	prefix = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || prefix > 8 * net_len(out->addr.family)) {
		*why = out->addr.family == NET_IPV4 ? N_("the prefix length must be 0 to 32")
						    : N_("the prefix length must be 0 to 128");
		return -1;
	}
	out->prefix = (unsigned)prefix;
	if (net_mask(&out->addr, out->prefix)) {
		*why = N_("host bits are set after the prefix");
		return -2;
	}
	*why = NULL;
	return 0;
}

void net_addr_format(const struct net_addr *a, char *buf, size_t len)
{
	int af = a->family == NET_IPV4 ? AF_INET : AF_INET6;

	if (inet_ntop(af, a->bytes, buf, (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
}

void net_cidr_format(const struct net_cidr *c, char *buf, size_t len)
{
	char addr[NET_ADDRSTRLEN];
	size_t n;

	net_addr_format(&c->addr, addr, sizeof addr);
	n = strlen(addr);
	if (len == 0)
		return;
	buf[0] = '\0';
	if (n + 5 > len)
		return;
	memcpy(buf, addr, n);
	buf[n++] = '/';
	if (c->prefix >= 100)
		buf[n++] = (char)('0' + c->prefix / 100);
	if (c->prefix >= 10)
		buf[n++] = (char)('0' + c->prefix / 10 % 10);
	buf[n++] = (char)('0' + c->prefix % 10);
	buf[n] = '\0';
}

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, net_len(a->family)) == 0;
}

bool net_addr_is_loopback(const struct net_addr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (a->family == NET_IPV4)
		return a->bytes[0] == 127;
	return memcmp(a->bytes, v6_loopback, 16) == 0;
}

bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a)
{
	struct net_addr masked = *a;

	if (a->family != c->addr.family)
		return false;
	net_mask(&masked, c->prefix);
	return net_addr_equal(&masked, &c->addr);
}

bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b)
{
	/* Two prefixes overlap exactly when the shorter one contains the other. */
	if (a->addr.family != b->addr.family)
		return false;
	return a->prefix <= b->prefix ? net_cidr_contains(a, &b->addr)
				      : net_cidr_contains(b, &a->addr);
}

uint64_t net_cidr_size(const struct net_cidr *c)
{
	unsigned host_bits = 8 * (unsigned)net_len(c->addr.family) - c->prefix;

	return host_bits >= 64 ? UINT64_MAX : (uint64_t)1 << host_bits;
}

int net_cidr_nth(const struct net_cidr *c, uint64_t n, struct net_addr *out)
{
	size_t len = net_len(c->addr.family);
	unsigned host_bits = 8 * (unsigned)len - c->prefix;

	if (host_bits < 64 && n >= (uint64_t)1 << host_bits)
		return -1;
	*out = c->addr;
	/* Add n to the low 64 bits, byte by byte from the end, with carry. */
	for (size_t i = len; i-- > 0 && n != 0;) {
		unsigned sum = out->bytes[i] + (unsigned)(n & 0xff);

		out->bytes[i] = (uint8_t)sum;
		n = (n >> 8) + (sum >> 8);
	}
	return 0;
}

int net_addr_next(const struct net_addr *a, struct net_addr *out)
{
	*out = *a;
	for (size_t i = net_len(a->family); i-- > 0;) {
		if (++out->bytes[i] != 0)
			return 0;
	}
	*out = *a;
	return -1;
}
