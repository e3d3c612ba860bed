/* IPv4 and IPv6 addresses and CIDR arithmetic.
 *
 * Addresses are stored in network byte order in 16 bytes; an IPv4 address
 * uses the first 4. Parsers accept only the canonical textual forms that
 * inet_pton() accepts (no leading zeros, no shorthand like "10.1"). */
#ifndef K8SW_NET_H
#define K8SW_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum net_family { NET_IPV4 = 4, NET_IPV6 = 6 };

struct net_addr {
	enum net_family family;
	uint8_t bytes[16];
};

struct net_cidr {
	struct net_addr addr; /* network address: host bits are zero */
	unsigned prefix;
};

/* Longest text of an address or CIDR, with its terminating NUL. */
#define NET_ADDRSTRLEN 46
#define NET_CIDRSTRLEN (NET_ADDRSTRLEN + 4)

/* Parse an address. Returns 0, or -1 when s is not an IPv4 or IPv6 address. */
int net_addr_parse(const char *s, struct net_addr *out);

/* Parse "address/prefix". Returns 0; -1 when malformed (*why says how: a static
 * string marked for translation, to pass through _()); -2 when host bits are
 * set (out still holds the masked network). */
int net_cidr_parse(const char *s, struct net_cidr *out, const char **why);

/* Write the canonical text of an address or CIDR into buf. */
void net_addr_format(const struct net_addr *a, char *buf, size_t len);
void net_cidr_format(const struct net_cidr *c, char *buf, size_t len);

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b);
bool net_addr_is_loopback(const struct net_addr *a);
bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a);
bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b);

/* Number of addresses in c, saturated at UINT64_MAX. */
uint64_t net_cidr_size(const struct net_cidr *c);

/* The n-th address of c (n = 0 is the network address). Returns 0, or -1 when
 * n is outside c. */
int net_cidr_nth(const struct net_cidr *c, uint64_t n, struct net_addr *out);

/* The address after a (wrapping is an error). Returns 0 or -1. */
int net_addr_next(const struct net_addr *a, struct net_addr *out);

#endif
