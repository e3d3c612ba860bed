/* The install engine: runs a rendered plan's steps on its hosts phase by
 * phase, records each step in the journal, skips what an earlier run did with
 * the same inputs, and lets a phase end only when its health checks pass.
 *
 * Each phase: the cluster's steps (on the apply host), then every host's
 * steps of the phase, hosts in parallel (a bounded pool; one connection per
 * host, reused), then its checks, hosts in parallel. A step is skipped when
 * the journal has it done with the same digest of its inputs, after the step
 * before it, and every step before it in that host's phase was skipped too;
 * so an edited plan re-runs exactly the steps it changed and those after
 * them in the same host's phase, even when a run was stopped in between. A step whose connection was lost is retried on a new one (steps are
 * idempotent); a command that fails is not, unless its kind allows it
 * (applying a manifest while the API settles). A failure lets the other
 * hosts finish the step they are on and the phase's remaining steps, then the
 * run stops before the next phase.
 *
 * Everything the engine does is reported as events (event.h); every line a
 * host prints goes to its log file in the run's log directory; on a failure
 * diagnostics are collected from that host beside it.
 *
 * Call order: engine_new(), engine_run() (blocks; from a thread of the front
 * end's choosing), engine_free(). engine_stop() and engine_abort() may be
 * called from any thread (a signal handler must not: it sets a flag the
 * front end acts on). */
#ifndef K8SW_ENGINE_H
#define K8SW_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certs.h"
#include "check.h"
#include "event.h"
#include "journal.h"
#include "phase.h"
#include "plan.h"
#include "render.h"
#include "transport.h"

enum engine_outcome {
	ENGINE_DONE,    /* every phase done and healthy */
	ENGINE_FAILED,  /* a step or a check failed; resume continues there */
	ENGINE_STOPPED, /* engine_stop()/engine_abort(); resume continues there */
	ENGINE_ERROR,   /* the engine itself could not go on (the journal cannot be written) */
};

struct engine_config {
	const struct plan *plan;
	const struct render *render;
	const struct certs *certs;
	struct journal *journal;
	struct event_queue *events;
	const struct transport_ops *ops;
	void *transport; /* ops->open()'s ctx */
	const char *run_id;
	const char *command;  /* "apply", "resume": recorded in the journal */
	const char *log_dir;  /* exists; host logs and diagnostics go here */
	unsigned workers;     /* hosts at a time; 0: HOSTPOOL_DEFAULT_WORKERS */
	const char *const *skip_checks; /* names of skippable checks not to run */
	size_t n_skip_checks;
	const struct check *checks; /* NULL: the built-in ones (health_checks()) */
	size_t n_checks;
	unsigned step_timeout;   /* seconds a command may run; 0: 900 */
	unsigned attempts;       /* tries of a step or check whose connection is lost; 0: 3 */
	unsigned retry_delay_ms; /* before a retry; 0: 2000 */
	bool no_diagnostics;     /* do not collect diagnostics on failure */
};

/* Counts of a run, for the summary. */
struct engine_stats {
	size_t steps_run, steps_skipped, steps_failed, retries;
	size_t checks_passed, checks_failed, checks_skipped;
	uint64_t bytes_sent;
	int64_t phase_ms[PHASE_COUNT]; /* time per phase; -1 when it did not run */
};

struct engine;

/* cfg and everything it points to must outlive the engine. Names of checks
 * to skip that are not skippable checks are refused here: returns NULL with
 * *err set. */
struct engine *engine_new(const struct engine_config *cfg, char **err);
void engine_free(struct engine **e);

/* Run the install. *err is set (free it) for ENGINE_ERROR, and says in one
 * sentence what failed for ENGINE_FAILED. */
enum engine_outcome engine_run(struct engine *e, char **err);

/* No new step or check attempt starts; running ones end by themselves. */
void engine_stop(struct engine *e);
/* As engine_stop(), and what runs on the hosts is ended now. */
void engine_abort(struct engine *e);

void engine_get_stats(const struct engine *e, struct engine_stats *out);

/* The cluster's nodes as the API lists them now, one line each (asked through
 * the apply host after engine_run()). NULL with *err set when it cannot
 * tell. */
char *engine_nodes(struct engine *e, char **err);

/* The digest of a step's inputs (hex sha256, 65 bytes with the NUL): its
 * kind, its command, and for a file its destination, mode, owner and
 * content. A bundle file is read to hash it. Returns 0, or -1 with *err set
 * when a bundle file cannot be read. */
int engine_step_digest(const struct render_host *h, const struct render_step *s,
		       char out[65], char **err);

/* What a step does, in one line ("upload /etc/...", or the command), for
 * logs, the journal and the screen. A new string. */
char *engine_step_what(const struct render_host *h, const struct render_step *s);

#endif
