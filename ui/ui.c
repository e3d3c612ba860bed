/* The wizard's entry point. For now one screen summarises the plan; the
 * wizard's screens come with their own issue. */
#include "config.h"

#include "ui.h"

#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "../src/nls.h"
#include "../src/plan.h"
#include "../src/xmalloc.h"

static volatile sig_atomic_t ui_active;

/* Give the terminal back: on exit, on a fatal error, on a signal. */
static void ui_restore(void)
{
	if (ui_active) {
		ui_active = 0;
		endwin();
	}
}

static void ui_on_signal(int sig)
{
	ui_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void ui_draw(const struct plan *plan, const char *plan_file)
{
	int row = 1;

	erase();
	box(stdscr, 0, 0);
	mvprintw(0, 2, " k8s-wizard ");
	mvprintw(row++, 2, _("Plan: %s"), plan_file != NULL ? plan_file : _("(default plan)"));
	mvprintw(row++, 2, _("Cluster %s, Kubernetes %s"), plan->name != NULL ? plan->name : "",
		 plan->versions.kubernetes != NULL ? plan->versions.kubernetes : "");
	row++;
	for (size_t i = 0; i < plan->n_hosts && row < LINES - 2; i++) {
		const struct plan_host *h = &plan->hosts[i];

		mvprintw(row++, 4, "%-16s %-40s %s%s%s", h->name != NULL ? h->name : "",
			 h->address != NULL ? h->address : "",
			 h->roles & ROLE_MASTER ? "master " : "", h->roles & ROLE_ETCD ? "etcd " : "",
			 h->roles & ROLE_WORKER ? "worker" : "");
	}
	mvprintw(LINES - 1, 2, _(" q quit "));
	refresh();
}

int ui_run(struct plan *plan, const char *plan_file)
{
	int ch;

	xmalloc_set_fatal_hook(ui_restore);
	signal(SIGINT, ui_on_signal);
	signal(SIGTERM, ui_on_signal);
	if (initscr() == NULL)
		return 1;
	ui_active = 1;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	do {
		ui_draw(plan, plan_file);
		ch = getch();
	} while (ch != 'q' && ch != KEY_F(10));
	ui_restore();
	return 0;
}
