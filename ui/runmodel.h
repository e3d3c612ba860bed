/* What the Run page knows about the install under way: the engine's events
 * folded into a small state that the page draws from. It is data only (no
 * curses), so it can be tested without a terminal, and it is bounded: each
 * host keeps the last RUNMODEL_LINES lines it printed, each cut to
 * RUNMODEL_LINE_BYTES, and the model keeps the last RUNMODEL_CHECKS check
 * results and RUNMODEL_FEED lines of its feed (checks that passed or failed,
 * the engine's notes); the run's log files have everything.
 *
 * Call order: runmodel_new() with the run's hosts; runmodel_event() for each
 * event the queue hands over (questions excepted: the Run page answers those);
 * read the fields between events; runmodel_free(). Constants are RM_*. */
#ifndef K8SW_UI_RUNMODEL_H
#define K8SW_UI_RUNMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../src/event.h"
#include "../src/phase.h"
#include "../src/plan.h"

#define RUNMODEL_LINES 500
#define RUNMODEL_LINE_BYTES 400
#define RUNMODEL_CHECKS 200
#define RUNMODEL_FEED 50

/* A host's state in a phase, as one cell of the grid. */
enum runmodel_cell {
	RM_CELL_NONE,    /* the phase has nothing for this host */
	RM_CELL_PENDING, /* not reached yet */
	RM_CELL_RUNNING, /* a step or a check of it is under way */
	RM_CELL_DONE,
	RM_CELL_FAILED,
	RM_CELL_SKIPPED, /* off in the plan, or every step done before */
	RM_CELL_STOPPED,
};

/* The state of a phase as a whole. */
enum runmodel_phase_state {
	RM_PHASE_PENDING,
	RM_PHASE_RUNNING,
	RM_PHASE_DONE,
	RM_PHASE_FAILED,
	RM_PHASE_SKIPPED,
	RM_PHASE_STOPPED,
};

/* One line of a host's transcript: what it printed, or what the engine did
 * there (a step began or ended, a check passed...). */
enum runmodel_line_kind {
	RM_LINE_STDOUT,
	RM_LINE_STDERR,
	RM_LINE_STEP,     /* a step began */
	RM_LINE_STEP_OK,  /* ...ended well */
	RM_LINE_FAILED,   /* a step or a check failed */
	RM_LINE_CHECK_OK, /* a check passed */
	RM_LINE_NOTE,     /* a note of the engine, or a check skipped */
};

struct runmodel_line {
	enum runmodel_line_kind kind;
	char *text;
};

/* A host's lines: a ring of the last RUNMODEL_LINES. */
struct runmodel_ring {
	struct runmodel_line v[RUNMODEL_LINES];
	size_t next;  /* where the next line goes */
	size_t n;     /* lines held, at most RUNMODEL_LINES */
	uint64_t seen; /* lines in all, held or not */
};

struct runmodel_host {
	char *name;    /* the plan's name, or "_cluster" for the cluster's steps */
	enum runmodel_cell cells[PHASE_COUNT];
	char *doing;   /* the step or check under way, or NULL */
	unsigned attempt;
	uint64_t up_done, up_total; /* the upload under way */
	bool up_counted; /* the current step's upload is in bytes_done */
	struct runmodel_ring lines;
	int64_t printed_ms; /* when it last printed (monotonic), for "follow" */
};

struct runmodel_phase {
	enum runmodel_phase_state state;
	int64_t start_ms, end_ms; /* monotonic; 0: not yet */
};

struct runmodel_check {
	int phase;
	char *host;
	char *name;
	enum event_check status;
	char *detail; /* expected and seen */
};

/* The first failure of the run, for the failure panel. */
struct runmodel_failure {
	bool set;
	int phase;
	char *host;
	char *what;    /* the step's command, or "check NAME" */
	int exit_code; /* -1: none */
	char *why;     /* the engine's reason, or the check's expected and seen */
	char **last;   /* the host's last lines before the failure */
	size_t n_last;
	char *diag_path; /* NULL until the diagnostics are saved */
	char *diag_hint;
};

enum runmodel_state {
	RM_IDLE,     /* no run yet */
	RM_RUNNING,
	RM_ENDED,    /* EVENT_RUN_END came: outcome says how */
};

struct runmodel {
	enum runmodel_state state;
	int outcome; /* enum engine_outcome, once ended */
	char *run_id, *log_dir;
	int64_t start_ms, end_ms; /* monotonic */
	uint64_t steps_total, steps_ended;
	uint64_t bytes_total, bytes_done;
	int current; /* the phase under way, or -1 */
	bool stopping, aborting;

	struct runmodel_phase phases[PHASE_COUNT];
	struct runmodel_host *hosts; /* the plan's hosts in order, then the cluster */
	size_t n_hosts;

	struct runmodel_check checks[RUNMODEL_CHECKS]; /* a ring, as the lines */
	size_t checks_next, n_checks;
	uint64_t checks_passed, checks_failed;

	/* What happened lately on any host: checks and notes; and the engine's
	 * own error, when the run ended in one. */
	struct runmodel_feed {
		enum runmodel_line_kind kind;
		char *host; /* or NULL */
		char *text;
	} feed[RUNMODEL_FEED];
	size_t feed_next, n_feed;

	struct runmodel_failure failure;
	uint64_t dropped; /* lines the queue dropped (the screen was slow) */
	uint64_t events;  /* events taken, for the benchmark */
};

/* A model for plan's hosts (copied), with phases the plan turns off marked
 * skipped. */
struct runmodel *runmodel_new(const struct plan *plan);
void runmodel_free(struct runmodel **m);

/* Fold one event in. now_ms is the monotonic clock (the caller's, so tests
 * can give their own). Returns true when what is shown changed. */
bool runmodel_event(struct runmodel *m, const struct event *ev, int64_t now_ms);

/* The host named name, or NULL. */
struct runmodel_host *runmodel_host(struct runmodel *m, const char *name);
/* The index of host name, or -1. */
int runmodel_host_index(const struct runmodel *m, const char *name);

/* A host's i-th line from the newest (0: the newest), or NULL. */
const struct runmodel_line *runmodel_line(const struct runmodel_host *h, size_t i);
/* The i-th check result from the newest, or NULL. */
const struct runmodel_check *runmodel_check_at(const struct runmodel *m, size_t i);
/* The i-th line of the feed from the newest, or NULL. */
const struct runmodel_feed *runmodel_feed_at(const struct runmodel *m, size_t i);

/* Share of the run done, 0..1000 (steps, and bytes while uploads go), and
 * the time left in ms (-1: too early to tell). */
unsigned runmodel_permille(const struct runmodel *m);
int64_t runmodel_eta_ms(const struct runmodel *m, int64_t now_ms);

/* Milliseconds a phase ran (or runs: until now_ms); -1 when it did not. */
int64_t runmodel_phase_ms(const struct runmodel *m, int phase, int64_t now_ms);

/* Bytes the model holds for lines, for tests of its bound. */
size_t runmodel_line_bytes(const struct runmodel *m);

#endif
