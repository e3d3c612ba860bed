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
	long long disk_kb;    /* free under /var/lib; -1 unknown */
	char **listen;        /* "PORT COMMAND" of listening TCP sockets */
	size_t n_listen;
	char *resolv;         /* name servers of /etc/resolv.conf, blank-separated */
	char *resolved;       /* of /run/systemd/resolve/resolv.conf; NULL: no file */
	char **inet;          /* "INTERFACE ADDRESS/PREFIX" of each address */
	size_t n_inet;
};

/* The command that prints the facts, and its parser. Returns 0, or -1 when
 * the output is not the facts command's. */
const char *health_facts_command(void);
int health_facts_parse(const char *out, struct health_facts *f);
void health_facts_clear(struct health_facts *f);

/* The time-skew check. A host whose clock is behind refuses certificates
 * issued here until their notBefore (backdated 5 minutes, certs.c); the
 * apiservers accept each other's service-account tokens within 60 s of
 * their own clocks (go-jose's leeway). Every host within 30 s of the jump
 * host keeps any two within 60 s of each other. Above 1 s the check passes
 * with a note: etcd warns about skew between its members from there. */
#define HEALTH_SKEW_FAIL_MS 30000
#define HEALTH_SKEW_NOTE_MS 1000

/* What the check runs on the host: its clock, in seconds and nanoseconds. */
#define HEALTH_CLOCK_COMMAND "date +%s.%N"

/* One reading of a host's clock: this machine's realtime clock just before
 * the command was sent and just after its answer came, and the host's clock
 * as it printed it (all in ns since the epoch). */
struct health_clock_sample {
	long long before_ns, host_ns, after_ns;
};

/* The host's clock against this machine's. offset: the host's clock minus
 * ours at the middle of the round trip; uncertainty: half the round trip,
 * since the host read its clock somewhere within it. The true offset lies
 * within offset +- uncertainty. */
struct health_clock {
	long long offset_ms;
	long long uncertainty_ms; /* rounded up */
};

/* "1700000000.123456789" (HEALTH_CLOCK_COMMAND's output, a newline after
 * it allowed) in ns. Returns 0, or -1 when it is anything else (a date
 * without %N prints "%N" or "N"). */
int health_clock_parse(const char *out, long long *ns);

/* The estimate from the sample with the shortest round trip. Returns 0, or
 * -1 when there is none (n == 0, or every sample ends before it begins). */
int health_clock_estimate(const struct health_clock_sample *s, size_t n,
			  struct health_clock *out);

/* The verdict on an estimate: CHECK_PASS when the offset is within
 * HEALTH_SKEW_FAIL_MS whatever its error, CHECK_FAIL when it is beyond it
 * whatever its error, CHECK_WAIT (measure again) when the round trip was too
 * slow to tell. */
enum check_status health_clock_judge(const struct health_clock *c);

#endif
