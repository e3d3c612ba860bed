/* The curses front end. ui_run() owns the terminal from start to end and
 * restores it on every exit path, including SIGINT and SIGTERM. */
#ifndef K8SW_UI_H
#define K8SW_UI_H

struct plan;

/* Run the wizard on plan (edited in place). plan_file is where it came from,
 * or NULL. Returns the program's exit status. */
int ui_run(struct plan *plan, const char *plan_file);

#endif
