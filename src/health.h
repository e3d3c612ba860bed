/* The health checks of every phase (DESIGN.md's "healthy when" column), done
 * by k8s-wizard itself through each host's own connection: preflight facts
 * gathered by one command per host, settings read back, services asked, and
 * the components' endpoints probed over TLS with the cluster's certificates
 * through a tunnel to the host. Nothing is required on the hosts beyond a
 * POSIX shell, coreutils, iproute2 and systemd. */
#ifndef K8SW_HEALTH_H
#define K8SW_HEALTH_H

#include <stddef.h>

#include "check.h"

/* The built-in checks, in the order they run within each phase. */
const struct check *health_checks(size_t *n);

/* "arch, cgroup2, ..." : the names that --skip-check accepts. A new string. */
char *health_skippable_names(const struct check *checks, size_t n);

/* Internals, exported for the unit tests. */

/* What preflight learnt of a host from one command. */
struct health_facts {
	char *arch, *kernel, *os, *pretty, *systemd, *cgroupfs, *hostname;
	long swaps;           /* active swap areas; -1 unknown */
	long long time_ms;    /* the host's clock */
	long long disk_kb;    /* free under /var/lib; -1 unknown */
	char **listen;        /* "PORT COMMAND" of listening TCP sockets */
	size_t n_listen;
	char *resolv;         /* name servers of /etc/resolv.conf, blank-separated */
	char *resolved;       /* of /run/systemd/resolve/resolv.conf; NULL: no file */
	char **inet;          /* "INTERFACE ADDRESS/PREFIX" of each address */
	size_t n_inet;
	long long skew_ms;    /* host clock minus the jump host's (at mid-round-trip) */
};

/* The command that prints the facts, and its parser (t0/t1: the jump host's
 * clock before and after it ran). Returns 0, or -1 when the output is not
 * the facts command's. */
const char *health_facts_command(void);
int health_facts_parse(const char *out, long long t0_ms, long long t1_ms,
		       struct health_facts *f);
void health_facts_clear(struct health_facts *f);

#endif
