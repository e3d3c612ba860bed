/* The journal: the durable record of every install run of a cluster, one
 * file in its state directory, from which `resume` knows what is done and
 * `status` draws its table.
 *
 * It is append-only. Each record is one line written with a single write(2)
 * and ending in a checksum, so a k8s-wizard killed at any moment leaves
 * whole records followed at most by one torn line; replay ignores a torn or
 * unchecked last line (and the next append cuts it off), and refuses a file
 * damaged anywhere else. Records that end something (a step done or failed, a
 * whole phase, a run) are on the disk (fdatasync) before the call returns;
 * threads that end steps at the same time share one fdatasync. The others
 * reach the kernel at once, which a killed process cannot undo.
 *
 * Call order: journal_open() (replays the file), then journal_run_begin(),
 * journal_step() / journal_phase() / journal_check() from any thread, and
 * journal_run_end(); journal_close(). The lookup functions read the replayed
 * state and what was appended since. */
#ifndef K8SW_JOURNAL_H
#define K8SW_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phase.h"

enum journal_state {
	JOURNAL_STARTED, /* began; no end recorded (killed, or running now) */
	JOURNAL_DONE,
	JOURNAL_FAILED,
	JOURNAL_STOPPED, /* the operator stopped the run before it ended */
	JOURNAL_SKIPPED, /* not needed: done before with the same inputs, or off */
};

/* One step of one host. The key (phase, host, index) is stable across runs
 * of the same plan; digest says whether its inputs changed. */
struct journal_step {
	const char *run;  /* the run that recorded it */
	enum phase phase;
	const char *host; /* plan host name, or "_cluster" */
	unsigned index;   /* the step's position among the host's steps of the phase */
	enum journal_state state;
	unsigned attempt; /* 1, 2... */
	int64_t start_ms, end_ms; /* wall clock, ms since the epoch; 0: unknown */
	int exit_code;    /* -1: none (not run, lost, cancelled) */
	const char *digest; /* hex sha256 of its inputs */
	const char *what; /* "upload /etc/...", "systemctl restart kubelet" */
	uint64_t seq;     /* set by the journal: the order records were written in */
};

/* A host's part of a phase ("_cluster" for the cluster's), or the phase as a
 * whole (host NULL) once its health checks passed or failed. */
struct journal_phase {
	const char *run;
	enum phase phase;
	const char *host;
	enum journal_state state;
	int64_t time_ms;
};

struct journal_check {
	const char *run;
	enum phase phase;
	const char *host; /* or "_cluster" */
	const char *name;
	bool ok;
	int64_t time_ms;
	const char *detail; /* what was expected and what was seen */
};

struct journal_run {
	const char *id;      /* "20261130-101500" */
	const char *command; /* "apply", "resume" */
	int64_t start_ms, end_ms;
	enum journal_state state; /* STARTED while running or when it was killed */
	const char *log_dir;
};

struct journal;

/* Open (or create, mode 0600) the journal at path and replay it. Returns 0,
 * or -1 with *err set (free it): unreadable, or damaged before its end. */
int journal_open(const char *path, struct journal **out, char **err);
void journal_close(struct journal **j);

/* Append records. Each returns 0, or -1 with *err set (disk full...): the
 * caller must stop, since what is not recorded would be redone or lost. */
int journal_run_begin(struct journal *j, const struct journal_run *run, char **err);
int journal_run_end(struct journal *j, const char *run, enum journal_state state, char **err);
int journal_step(struct journal *j, const struct journal_step *s, char **err);
int journal_phase(struct journal *j, const struct journal_phase *p, char **err);
int journal_check(struct journal *j, const struct journal_check *c, char **err);

/* The last record of a step, or NULL. Valid until the next append. */
const struct journal_step *journal_find_step(const struct journal *j, enum phase phase,
					     const char *host, unsigned index);

/* The last record of a host's part of a phase (host NULL: of the phase), or
 * NULL. */
const struct journal_phase *journal_find_phase(const struct journal *j, enum phase phase,
					       const char *host);

/* Runs, oldest first; the last one or NULL. */
size_t journal_n_runs(const struct journal *j);
const struct journal_run *journal_get_run(const struct journal *j, size_t i);
const struct journal_run *journal_last_run(const struct journal *j);

/* Steps with a record, in the order first recorded; checks likewise (the last
 * record of each phase, host and name). */
size_t journal_n_steps(const struct journal *j);
const struct journal_step *journal_get_step(const struct journal *j, size_t i);
size_t journal_n_checks(const struct journal *j);
const struct journal_check *journal_get_check(const struct journal *j, size_t i);

/* What stopped run: its last failed step (by its end), or NULL; its first
 * failed check, or NULL. */
const struct journal_step *journal_failed_step(const struct journal *j, const char *run);
const struct journal_check *journal_failed_check(const struct journal *j, const char *run);

/* Records replayed and torn lines dropped, for tests and diagnostics. */
size_t journal_replayed(const struct journal *j);
bool journal_had_torn_tail(const struct journal *j);

/* "done", "failed", ... */
const char *journal_state_name(enum journal_state state);

#endif
