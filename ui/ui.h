/* The curses front end. ui_run() owns the terminal from start to end and
 * restores it on every exit path, including SIGINT, SIGTERM, SIGHUP and a
 * fatal allocation failure. */
#ifndef K8SW_UI_H
#define K8SW_UI_H

struct plan;

/* Run the wizard. With plan (loaded from plan_file), the wizard opens on a
 * copy of it; with NULL, on the newest plan saved in the state directory
 * (offering to resume it, edit it or start over), else on the default plan.
 * Every change is saved to the plan's state directory as it is made.
 * Returns the program's exit status. */
int ui_run(const struct plan *plan, const char *plan_file);

#endif
