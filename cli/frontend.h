/* The headless front end of the install engine: it prints the engine's
 * events and answers its questions from the terminal.
 *
 * Three forms. On a terminal, every phase, check and failure as a line, and
 * under them a live block redrawn in place: the run's progress bar and one
 * line per host working in the current phase. Elsewhere, one greppable line
 * per event: TIME PHASE HOST EVENT DETAIL ("-" for what an event lacks).
 * With --json, one JSON object per line and event. Host output is shown only
 * with -v (it is always in the run's log files). Text that came from a host
 * or a plan has its control characters escaped before it reaches the
 * terminal. */
#ifndef K8SW_FRONTEND_H
#define K8SW_FRONTEND_H

#include <stdbool.h>
#include <stdio.h>

#include "event.h"
#include "tty.h"

enum frontend_mode { FRONTEND_LIVE, FRONTEND_LINES, FRONTEND_JSON };

struct frontend;

struct frontend *frontend_new(enum frontend_mode mode, bool verbose, struct tty_answers *term,
			      FILE *out);
void frontend_free(struct frontend **f);

/* Show ev (and answer it when it is a question). */
void frontend_event(struct frontend *f, struct event_queue *q, const struct event *ev);

/* Redraw the live block if it is due (call it at least ten times a second). */
void frontend_tick(struct frontend *f);

/* A line of the front end's own, above the live block (on standard error
 * with --json: standard output carries JSON objects only). */
void frontend_say(struct frontend *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Take the live block off the screen (before the summary). */
void frontend_finish(struct frontend *f);

#endif
