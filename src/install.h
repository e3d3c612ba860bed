/* An install run as every front end starts it: the plan validated, the
 * cluster's state directory, PKI and render (stage.h), the bundle complete,
 * the state locked, the journal opened, a run directory with a copy of the
 * plan and the admin kubeconfig saved; then the SSH transport and the engine,
 * run in a thread of their own so that the front end's thread only ever
 * polls the event queue. `apply`, `resume` and the wizard's Run page all go
 * through here, so they run the same engine the same way.
 *
 * Call order: install_prepare(); install_start() once, with the queue the
 * front end polls; install_stop()/install_abort() from the front end's thread
 * at any time; install_finished() until true, then install_wait();
 * install_free() (which ends a run still going: see there). A new run (retry
 * after a failure) is a new install_prepare(). */
#ifndef K8SW_INSTALL_H
#define K8SW_INSTALL_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"
#include "engine.h"
#include "event.h"
#include "plan.h"
#include "render.h"

struct install_options {
	const char *command;     /* "apply", "resume": the journal and the lock say it */
	bool need_run;           /* refuse when the cluster's journal has no run yet */
	const char *known_hosts; /* NULL: ~/.ssh/known_hosts */
	const char *const *skip_checks; /* names of skippable checks not to run */
	size_t n_skip_checks;
	unsigned parallel;       /* hosts at a time; 0: the engine's default */
	unsigned step_timeout;   /* seconds; 0: the engine's default */
	/* For benchmarks and tests of front ends: run this render (it must
	 * outlive the install) with these checks instead of the plan's; no PKI
	 * is made and no kubeconfig saved. NULL: the plan's own. */
	const struct render *render;
	const struct check *checks;
	size_t n_checks;
};

enum {
	INSTALL_OK = 0,
	INSTALL_ERROR = -1, /* something failed on this machine: *err says what */
	INSTALL_INPUT = -2, /* the input is at fault (the bundle, nothing to resume): no host contacted */
	INSTALL_LOCKED = 1, /* another process holds the cluster: *err names it */
};

struct install;

/* Everything before the first host is contacted, for plan (validated by the
 * caller; copied) loaded from plan_file (relative bundle paths start at its
 * directory; NULL: the current directory). Returns INSTALL_OK with *out set,
 * or another INSTALL_* with *err set (one line per problem: every missing
 * bundle file is named). */
int install_prepare(const struct plan *plan, const char *plan_file,
		    const struct install_options *o, struct install **out, char **err);

/* Open the transport (questions go through q: event_prompts()) and start the
 * engine in a thread; q must outlive the install. Returns 0, or -1 with *err
 * set when the engine refuses its configuration (an unknown check to skip). */
int install_start(struct install *in, struct event_queue *q, char **err);

/* No new step starts; the running ones end by themselves (engine_stop). */
void install_stop(struct install *in);
/* What runs on the hosts is ended now (engine_abort). */
void install_abort(struct install *in);

/* Whether the engine's thread has ended: its EVENT_RUN_END was queued and,
 * after a run that went well, the cluster's nodes were asked for. Never
 * blocks. */
bool install_finished(const struct install *in);

/* Join the ended thread (call once install_finished() is true, or accept to
 * wait). Returns the run's outcome; *err as engine_run() sets it (the
 * install keeps it: do not free). */
enum engine_outcome install_wait(struct install *in, const char **err);

/* After install_wait(): the run's counts and the cluster's nodes, one per
 * line (NULL when they could not be listed: *why says why; both belong to
 * the install). */
void install_stats(const struct install *in, struct engine_stats *out);
const char *install_nodes(const struct install *in, const char **why);

const struct plan *install_plan(const struct install *in);
const char *install_run_dir(const struct install *in);
/* STATE/admin.kubeconfig, or NULL when the render has none. */
const char *install_kubeconfig(const struct install *in);

/* End the run if it still goes (engine_abort, every question refused while
 * the engine winds down, its thread joined: q must still exist), release the
 * lock and free everything. NULL-safe. */
void install_free(struct install **in);

#endif
