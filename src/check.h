/* A health check as the engine runs it: a name, the phase it guards, the
 * hosts it runs on, a deadline and a poll interval, and one function that
 * makes one attempt and says what it expected and what it saw. The checks
 * themselves are in health.c (and preflight.c); tests give their own. */
#ifndef K8SW_CHECK_H
#define K8SW_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "certs.h"
#include "phase.h"
#include "plan.h"
#include "render.h"
#include "transport.h"

enum check_status {
	CHECK_PASS,
	CHECK_WAIT, /* not yet: try again after the interval, until the deadline */
	CHECK_FAIL, /* failed, and waiting would not change it */
	CHECK_UNUSED, /* the plan has nothing for it to look at (*saw says why) */
};

/* What one attempt works with. */
struct check_env {
	const struct plan *plan;
	const struct render *render;
	const struct certs *certs;
	const struct transport_ops *ops;
	void *h;        /* this host's handle; for a cluster check, the apply host's */
	size_t host;    /* plan host index (the apply host for a cluster check) */
	bool cluster;   /* a check of the cluster as a whole */
	struct check_scratch *scratch; /* per host and run */
};

/* Where checks keep what they learnt about a host for the rest of the run
 * (the facts preflight gathered once): the engine calls free(data) at the
 * end when free is set. */
struct check_scratch {
	void *data;
	void (*free)(void *data);
};

struct check {
	const char *name;    /* "etcd-members": in messages, the journal and --skip-check */
	enum phase phase;
	unsigned roles;      /* plan roles of the hosts it runs on; 0: once, for the cluster */
	unsigned deadline_s; /* keep trying this long; 0: one attempt */
	unsigned interval_ms;
	bool skippable;      /* may be skipped by name (preflight's) */
	/* One attempt. On any status, *expected and *saw may be set (the caller
	 * frees them): what was wanted, and what was found. */
	enum check_status (*run)(struct check_env *env, char **expected, char **saw);
};

#endif
