/* What a cluster's journal says about its install, for a front end that
 * offers to continue it: the last run and how it ended, which phases are
 * done, and the failure that stopped it. Reads only: no lock is taken and no
 * host contacted. */
#ifndef K8SW_RUNSTATE_H
#define K8SW_RUNSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "phase.h"

struct runstate {
	bool has_run; /* false: the cluster has no journal, or no run in it */
	char *run_id, *command, *log_dir;
	/* The last run: DONE, FAILED, STOPPED, or STARTED when it never ended
	 * (k8s-wizard was killed, or another process runs it now). */
	enum journal_state state;
	int64_t start_ms, end_ms;
	/* Each phase as a whole, by its last record; recorded false: never
	 * reached. */
	bool recorded[PHASE_COUNT];
	enum journal_state phases[PHASE_COUNT];
	size_t phases_done; /* done or skipped (off in the plan) */
	/* The last run's failure: a step, else a check; has_failure false when
	 * it had none. */
	bool has_failure, failure_is_check;
	enum phase failed_phase;
	char *failed_host;
	char *failed_what;   /* the step's command, or the check's name */
	int failed_exit;     /* the step's exit status, -1 when none */
	char *failed_detail; /* the check's expected and seen */
};

/* Read cluster's journal in its state directory. Returns 0 (out->has_run
 * false when there is nothing to read), or -1 with *err set when the
 * journal cannot be read. runstate_clear() in every case. */
int runstate_read(const char *cluster, struct runstate *out, char **err);
void runstate_clear(struct runstate *rs);

#endif
