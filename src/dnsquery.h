/* A DNS query and its answer in the wire format of RFC 1035, for the
 * cluster-DNS health check, which sends it over TCP (a two-byte length
 * before each message) through a host's SSH connection. Only A and AAAA
 * questions; nothing is resolved here, nothing is cached. */
#ifndef K8SW_DNSQUERY_H
#define K8SW_DNSQUERY_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define DNSQUERY_MAX 1024 /* a query; the name is at most 253 characters */

enum dnsquery_rcode { DNSQUERY_NOERROR = 0, DNSQUERY_SERVFAIL = 2, DNSQUERY_NXDOMAIN = 3,
		      DNSQUERY_REFUSED = 5 };

/* The query for name (type A for IPv4, AAAA for IPv6) with id, prefixed by
 * its length as on TCP. Returns the bytes written to buf, or 0 when name is
 * not a valid DNS name. */
size_t dnsquery_build(const char *name, enum net_family family, uint16_t id, uint8_t *buf,
		      size_t size);

/* Read an answer (without the TCP length): its response code and up to max
 * addresses of the asked family. Returns the number of addresses, or -1 with
 * *why set (static text) when msg is not the answer to query id. */
int dnsquery_parse(const uint8_t *msg, size_t len, uint16_t id, enum net_family family,
		   int *rcode, struct net_addr *addrs, int max, const char **why);

#endif
