/* The Run page's hold on an install: it prepares the run and starts the
 * engine in threads (install.h), so that the UI thread never waits on the
 * network or on the PKI; it hands the engine's events to the page's model
 * and keeps the question the engine asks until the page answers it.
 *
 * One run at a time: runctl_start() (preparing, then running), runctl_pump()
 * whenever runctl_fd() is readable or runctl_timeout() passed, until
 * runctl_state() is RUNCTL_ENDED; then the results stay readable until the
 * next runctl_start(). When the run has ended, the state directory's lock is
 * released, so `k8s-wizard resume` or another wizard can continue. */
#ifndef K8SW_UI_RUNCTL_H
#define K8SW_UI_RUNCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../src/engine.h"
#include "../src/event.h"
#include "../src/install.h"
#include "../src/plan.h"
#include "runmodel.h"

enum runctl_state {
	RUNCTL_IDLE,      /* nothing started */
	RUNCTL_PREPARING, /* PKI, render, lock, journal: in a thread */
	RUNCTL_RUNNING,   /* the engine runs */
	RUNCTL_ENDED,     /* ended, or could not start (runctl_error() says why) */
};

/* What the wizard's options say about runs (they must outlive the
 * controller). */
struct runctl_options {
	const char *known_hosts;
	const char *const *skip_checks;
	size_t n_skip_checks;
	unsigned parallel;
	const struct render *render; /* for benchmarks: see install.h */
	const struct check *checks;
	size_t n_checks;
};

struct runctl;

struct runctl *runctl_new(const struct runctl_options *o);
/* Ends a run still going (see install_free()). */
void runctl_free(struct runctl **c);

/* Start a run of plan (copied) from plan_file (or NULL), as `apply` or
 * `resume`. The model starts over. False when a run is under way. */
bool runctl_start(struct runctl *c, const struct plan *plan, const char *plan_file,
		  const char *command);

enum runctl_state runctl_state(const struct runctl *c);

/* What to wait on: the event queue's fd (-1 when none), and the longest the
 * caller may sleep before calling runctl_pump() anyway (ms; -1: forever). */
int runctl_fd(const struct runctl *c);
int runctl_timeout(const struct runctl *c);

/* Take what arrived, spending at most budget_ms on it (the queue holds the
 * rest for the next call). Returns true when what the page shows changed. */
bool runctl_pump(struct runctl *c, int64_t now_ms, int budget_ms);

/* The model of the current (or last) run; NULL before the first. */
struct runmodel *runctl_model(struct runctl *c);

/* Why the run could not start (NULL: it started; how a run ended is in
 * the model); locked tells that another process holds the cluster. */
const char *runctl_error(const struct runctl *c, bool *locked);

/* After the run: its counts, the nodes (NULL with *why), the kubeconfig
 * path (NULL when none), and where the logs are. */
bool runctl_stats(const struct runctl *c, struct engine_stats *out);
const char *runctl_nodes(const struct runctl *c, const char **why);
const char *runctl_kubeconfig(const struct runctl *c);
const char *runctl_cluster(const struct runctl *c);

/* Stop (no new step) and abort (end what runs on the hosts now). */
void runctl_stop(struct runctl *c);
void runctl_abort(struct runctl *c);

/* The question the engine waits on, or NULL. Answer it once; the worker
 * that asked resumes. secret NULL refuses. */
const struct event_question *runctl_question(const struct runctl *c);
void runctl_answer_hostkey(struct runctl *c, enum remote_hostkey_answer a);
void runctl_answer_secret(struct runctl *c, const char *secret);

#endif
