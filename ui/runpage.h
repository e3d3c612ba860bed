/* What the Run page's two files share: its state (screen_run.c: keys,
 * questions, the run's control) and its drawing (rundraw.c: the dashboard,
 * the failure panel, the summary). Nothing else includes this. */
#ifndef K8SW_UI_RUNPAGE_H
#define K8SW_UI_RUNPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runctl.h"
#include "runmodel.h"
#include "wizard.h"

/* What the right-hand side of the dashboard shows. */
enum runpage_view {
	VIEW_OUTPUT,  /* the focused host's transcript */
	VIEW_CHECKS,  /* every check result, newest first */
	VIEW_FAILURE, /* the failure panel */
	VIEW_SUMMARY, /* the whole page: the summary of a finished install */
};

struct runpage {
	struct runctl *ctl;
	const char *stats_file; /* the benchmark's, or NULL */
	int focus;           /* the focused host (index in the model) */
	bool follow;         /* the focus goes to the host printing */
	int64_t followed_ms; /* when it last moved by itself */
	size_t scroll;       /* lines back from the newest in the output or checks */
	enum runpage_view view;
	bool failure_seen;   /* the panel was opened for this failure */
	bool question_open;  /* the engine's question is on screen */
	bool run_before;     /* the cluster's journal had a run when the page opened */

	/* Where the last draw put things, for clicks and paging. */
	int win_y;           /* the content window's first row on the terminal */
	int hosts_y, hosts_first, hosts_rows; /* rows of the host list, first host shown */
	int pane_rows;       /* rows of the output or checks pane */
};

/* rundraw.c */
void rundraw_page(struct runpage *p, struct wizard *w, WINDOW *win, int64_t now_ms);

#endif
