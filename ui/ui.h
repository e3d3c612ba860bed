/* The curses front end. ui_run() owns the terminal from start to end and
 * restores it on every exit path, including SIGINT, SIGTERM, SIGHUP and a
 * fatal allocation failure. */
#ifndef K8SW_UI_H
#define K8SW_UI_H

#include <stdbool.h>
#include <stddef.h>

struct plan;
struct render;
struct check;

/* What the command line says about the wizard's runs. */
struct ui_options {
	const char *known_hosts;        /* NULL: ~/.ssh/known_hosts */
	const char *const *skip_checks; /* skippable checks not to run (apply's --skip-check) */
	size_t n_skip_checks;
	unsigned parallel;              /* hosts at a time; 0: the engine's default */
	bool demo;                      /* on the lab (contrib/dev.sh demo): the Run page
					 * says what is real and what is a stand-in */
	/* Benchmarks: open on the Run page and start at once, on this render
	 * with these checks (install.h); write the loop's figures to
	 * stats_file at the end. */
	bool start_run;
	const struct render *render;
	const struct check *checks;
	size_t n_checks;
	const char *stats_file;
};

/* Run the wizard. With plan (loaded from plan_file), the wizard opens on a
 * copy of it; with NULL, on the newest plan saved in the state directory
 * (offering to resume it, edit it or start over), else on the default plan.
 * Every change is saved to the plan's state directory as it is made. opt may
 * be NULL. Returns the program's exit status. */
int ui_run(const struct plan *plan, const char *plan_file, const struct ui_options *opt);

#endif
