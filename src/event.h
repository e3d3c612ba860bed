/* The install engine's events and questions, carried from its worker threads
 * to one front end (the wizard's Run page, or the headless printer of
 * `apply`) through a queue the front end polls on a file descriptor.
 *
 * An event is data: the queue owns it until event_pop() hands it over; the
 * sender keeps no reference. Output lines are the only events that may be
 * dropped: beyond EVENT_MAX_OUTPUT of them waiting, further lines are counted
 * and not queued (the run's log files have every line), so a slow screen
 * never holds memory without bound or slows a host down.
 *
 * Questions (an unknown host key, a password) come from the transport in a
 * worker thread: event_prompts() gives the transport callbacks that queue an
 * EVENT_QUESTION and wait until the front end answers it with
 * event_answer_hostkey() / event_answer_secret(). A front end that cannot
 * ask refuses. */
#ifndef K8SW_EVENT_H
#define K8SW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remote.h"

#define EVENT_MAX_OUTPUT 4096

enum event_type {
	EVENT_RUN_START,   /* text: run id; detail: log directory; total: steps to run;
			    * done: steps skipped (already done); bytes: to upload */
	EVENT_RUN_END,     /* status: enum engine_outcome; detail: why, when it failed */
	EVENT_PHASE_START, /* phase; total: steps to run in it */
	EVENT_PHASE_END,   /* phase; status: enum journal_state */
	EVENT_STEP_START,  /* phase, host, step, attempt; text: what it does */
	EVENT_STEP_END,    /* phase, host, step, attempt; status: enum journal_state;
			    * exit_code; text: what; detail: the error */
	EVENT_OUTPUT,      /* host; stream (enum remote_stream); text: one line */
	EVENT_CHECK,       /* phase, host; text: check name; status: enum event_check;
			    * detail: what was expected and what was seen */
	EVENT_PROGRESS,    /* host; done, total: bytes of the upload under way */
	EVENT_NOTE,        /* phase, host (either may be unset); text: for the operator */
	EVENT_DIAG,        /* phase, host; text: the diagnostics file; detail: where to look */
	EVENT_QUESTION,    /* question: answer it */
};

enum event_check { EVENT_CHECK_PASSED, EVENT_CHECK_FAILED, EVENT_CHECK_SKIPPED,
		   EVENT_CHECK_WAITING /* not yet: polled again until its deadline */ };

enum event_question_type { EVENT_ASK_HOSTKEY, EVENT_ASK_SECRET };

struct event_question {
	enum event_question_type type;
	/* EVENT_ASK_HOSTKEY */
	const char *host;
	const char *key_type;
	const char *fingerprint;
	/* EVENT_ASK_SECRET */
	const struct remote_secret_request *secret;
	/* Filled by the answer. */
	bool answered;
	enum remote_hostkey_answer hostkey;
	char *buf; /* the transport's buffer for the secret */
	size_t len;
	bool given;
};

struct event {
	enum event_type type;
	int64_t time_ms; /* wall clock */
	int phase;       /* enum phase, or -1 */
	char *host;      /* host name, "_cluster", or NULL */
	int step;        /* the step's index within the host's phase, or -1 */
	unsigned attempt;
	int status;
	int exit_code;
	int stream;
	uint64_t done, total, bytes;
	char *text;
	char *detail;
	struct event_question *question;
	size_t dropped; /* output lines dropped just before this event */
};

struct event_queue;

struct event_queue *event_queue_new(void);
void event_queue_free(struct event_queue **q);

/* Readable whenever events wait; the front end polls it. */
int event_queue_fd(const struct event_queue *q);

/* Queue a copy of ev (its strings are copied; time is set when 0). Any
 * thread. */
void event_push(struct event_queue *q, const struct event *ev);

/* Take the oldest event (the caller owns it: event_clear()); false when none
 * waits. */
bool event_pop(struct event_queue *q, struct event *ev);
void event_clear(struct event *ev);

/* Wait at most timeout_ms (-1: forever) for an event. */
bool event_wait(struct event_queue *q, int timeout_ms);

/* Callbacks for the transport that ask through the queue. q must outlive
 * the transport. When refuse is set (a front end that cannot ask), every
 * question is refused without being queued. */
void event_prompts(struct event_queue *q, struct remote_prompts *out);
void event_queue_refuse_questions(struct event_queue *q, bool refuse);

/* Answer a question taken from the queue (secret NULL: refuse). The worker
 * that asked resumes. */
void event_answer_hostkey(struct event_queue *q, struct event_question *qn,
			  enum remote_hostkey_answer answer);
void event_answer_secret(struct event_queue *q, struct event_question *qn, const char *secret);

#endif
