/* The welcome page: what the wizard does, where it keeps the plan, and, when
 * a plan was saved there before, the choice to resume it, edit it or start
 * over (an ncurses menu). When the cluster's journal has a run, it says how
 * that run ended (what is done, what failed) and offers to continue an
 * unfinished install, or to check a finished cluster again. */
#include "config.h"

#include <menu.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/nls.h"
#include "../src/planstore.h"
#include "../src/runstate.h"
#include "../src/xmalloc.h"
#include "text.h"
#include "theme.h"
#include "wizard.h"

enum choice { CHOICE_START, CHOICE_RESUME, CHOICE_EDIT, CHOICE_OVER, CHOICE_CONTINUE,
	      CHOICE_CHECK };

#define MAX_CHOICES 4

struct welcome {
	struct runstate run; /* the plan's cluster, as its journal tells it */
	enum choice choices[MAX_CHOICES];
	size_t n;
	int selected;
	ITEM *items[MAX_CHOICES + 1];
	MENU *menu;
	WINDOW *sub;
	int menu_y, menu_rows; /* in the content window, for clicks */
	int win_y;
};

/* The choices, from where the plan came from and what the journal says. */
static void set_choices(struct welcome *s, struct wizard *w)
{
	char *err = NULL;

	runstate_clear(&s->run);
	if (w->origin != ORIGIN_BROKEN && runstate_read(w->plan->name, &s->run, &err) < 0)
		free(err);
	s->n = 0;
	if (s->run.has_run)
		s->choices[s->n++] = s->run.state == JOURNAL_DONE ? CHOICE_CHECK : CHOICE_CONTINUE;
	switch (w->origin) {
	case ORIGIN_SAVED:
		s->choices[s->n++] = CHOICE_RESUME;
		s->choices[s->n++] = CHOICE_EDIT;
		s->choices[s->n++] = CHOICE_OVER;
		break;
	case ORIGIN_BROKEN:
		s->choices[s->n++] = CHOICE_OVER;
		break;
	case ORIGIN_FILE:
	case ORIGIN_DEFAULT:
		s->choices[s->n++] = CHOICE_START;
		break;
	}
	if (s->selected >= (int)s->n)
		s->selected = 0;
}

/* The choices are made by welcome_enter(): the manager enters every screen
 * once they are all made. */
static void *welcome_init(struct wizard *w)
{
	(void)w;
	return xcalloc(1, sizeof(struct welcome));
}

static void drop_menu(struct welcome *s)
{
	if (s->menu != NULL) {
		s->selected = item_index(current_item(s->menu));
		unpost_menu(s->menu);
		free_menu(s->menu);
		s->menu = NULL;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (s->items[i] != NULL)
			free_item(s->items[i]);
		s->items[i] = NULL;
	}
	if (s->sub != NULL) {
		delwin(s->sub);
		s->sub = NULL;
	}
}

static void welcome_enter(void *state, struct wizard *w)
{
	struct welcome *s = state;

	/* The journal may have changed: a run ended since. */
	drop_menu(s);
	set_choices(s, w);
}

static void welcome_free(void **state)
{
	struct welcome *s = *state;

	if (s == NULL)
		return;
	drop_menu(s);
	runstate_clear(&s->run);
	free(s);
	*state = NULL;
}

static const char *choice_name(enum choice c)
{
	static const char *const names[] = {
		[CHOICE_START] = N_("Start"),
		[CHOICE_RESUME] = N_("Resume"),
		[CHOICE_EDIT] = N_("Edit"),
		[CHOICE_OVER] = N_("Start over"),
		[CHOICE_CONTINUE] = N_("Continue the install"),
		[CHOICE_CHECK] = N_("Check the cluster"),
	};

	return _(names[c]);
}

static const char *choice_desc(enum choice c)
{
	static const char *const descs[] = {
		[CHOICE_START] = N_("go to the server plan"),
		[CHOICE_RESUME] = N_("open the saved plan where you left off"),
		[CHOICE_EDIT] = N_("open the saved plan on the server plan page"),
		[CHOICE_OVER] = N_("begin again from the default plan"),
		[CHOICE_CONTINUE] = N_("finish it on the Run page: done steps are skipped"),
		[CHOICE_CHECK] = N_("run it again on the Run page: what changed runs, then every check"),
	};

	return _(descs[c]);
}

/* Draw wrapped text from row y; returns the row after it. */
static int paragraph(WINDOW *win, int y, const char *s, enum theme_role role)
{
	char **lines = NULL;
	int width = getmaxx(win) - 4;
	size_t n = text_wrap(s, width, &lines);

	for (size_t i = 0; i < n; i++, y++) {
		if (y < getmaxy(win))
			text_draw(win, y, 2, lines[i], width, theme_attr(role), false);
	}
	text_lines_free(&lines, n);
	return y;
}

/* What was found in the state directory, in one or two sentences. */
static char *origin_text(struct wizard *w, enum theme_role *role)
{
	char when[64] = "";
	struct tm tm;

	*role = ROLE_NORMAL;
	switch (w->origin) {
	case ORIGIN_SAVED: {
		char *text = NULL, *more = NULL;

		if (localtime_r(&w->saved_mtime, &tm) != NULL)
			strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		/* L10N: the cluster's name, its number of hosts, the date. */
		text = xasprintf(P_("A saved plan was found: cluster %s, %zu host, saved %s.",
				    "A saved plan was found: cluster %s, %zu hosts, saved %s.",
				    w->plan->n_hosts),
				 w->saved_cluster, w->plan->n_hosts, when);
		if (w->n_saved < 2)
			return text;
		/* L10N: the sentence above, and how many other plans. */
		more = xasprintf(P_("%s (%zu other saved plan is there too: open it with --plan.)",
				    "%s (%zu other saved plans are there too: open them with --plan.)",
				    w->n_saved - 1),
				 text, w->n_saved - 1);
		free(text);
		return more;
	}
	case ORIGIN_BROKEN:
		*role = ROLE_ERROR;
		/* L10N: the cluster's name, and the reason. */
		return xasprintf(_("The plan saved for cluster %s cannot be read: %s"),
				 w->saved_cluster, w->load_error != NULL ? w->load_error : "");
	case ORIGIN_FILE:
		if (w->saved_cluster != NULL)
			/* L10N: the plan file, and the cluster's name. */
			return xasprintf(_("Plan: %s. Cluster %s has a saved plan already: your "
					   "first change replaces it."), w->plan_file,
					 w->saved_cluster);
		return xasprintf(_("Plan: %s."), w->plan_file);
	case ORIGIN_DEFAULT:
		break;
	}
	return xstrdup(_("No saved plan yet: the wizard starts from the plan of the guide, "
			 "3 masters and 2 workers."));
}

static char *format_when(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32] = "";

	if (ms > 0 && localtime_r(&t, &tm) != NULL)
		strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
	return xstrdup(buf);
}

/* How the cluster's last run ended, in two sentences at most; NULL without
 * a run. */
static char *run_text(const struct welcome *s, struct wizard *w, enum theme_role *role)
{
	const struct runstate *rs = &s->run;
	char *first = NULL, *second = NULL, *when = NULL, *text = NULL;
	int last_done = -1;

	if (!rs->has_run)
		return NULL;
	when = format_when(rs->end_ms > 0 ? rs->end_ms : rs->start_ms);
	if (rs->state == JOURNAL_DONE) {
		*role = ROLE_OK;
		/* L10N: the cluster's name, the date of its last run. */
		text = xasprintf(_("%s Cluster %s is installed: its last run ended %s with every "
				   "phase done and healthy."),
				 text_symbol(SYM_OK), w->plan->name, when);
		free(when);
		return text;
	}
	*role = ROLE_WARNING;
	for (int p = 0; p < PHASE_COUNT; p++) {
		if (rs->recorded[p] &&
		    (rs->phases[p] == JOURNAL_DONE || rs->phases[p] == JOURNAL_SKIPPED))
			last_done = p;
		else
			break;
	}
	if (last_done >= 0)
		/* L10N: cluster, phases done, phases in all, the last phase done. */
		first = xasprintf(_("The install of cluster %s has not finished: %zu of %d phases "
				    "are done (up to %s)."),
				  w->plan->name, rs->phases_done, PHASE_COUNT,
				  phase_name((enum phase)last_done));
	else
		/* L10N: cluster, phases in all. */
		first = xasprintf(_("The install of cluster %s has not finished: none of its %d "
				    "phases is done yet."),
				  w->plan->name, PHASE_COUNT);
	if (rs->state == JOURNAL_FAILED && rs->has_failure && !rs->failure_is_check &&
	    rs->failed_exit >= 0)
		/* L10N: phase, host, the step's command, its exit status. */
		second = xasprintf(_("The last run failed in phase %s on %s: %s (exit status %d)."),
				   phase_name(rs->failed_phase), rs->failed_host, rs->failed_what,
				   rs->failed_exit);
	else if (rs->state == JOURNAL_FAILED && rs->has_failure && !rs->failure_is_check)
		/* L10N: phase, host, the step's command (it ended without an exit
		 * status: timed out, or the connection was lost). */
		second = xasprintf(_("The last run failed in phase %s on %s: %s."),
				   phase_name(rs->failed_phase), rs->failed_host, rs->failed_what);
	else if (rs->state == JOURNAL_FAILED && rs->has_failure)
		/* L10N: phase, host, check name, what it expected and saw. */
		second = xasprintf(_("The last run failed in phase %s on %s: check %s: %s."),
				   phase_name(rs->failed_phase), rs->failed_host, rs->failed_what,
				   rs->failed_detail != NULL ? rs->failed_detail : "");
	else if (rs->state == JOURNAL_FAILED)
		/* L10N: the date. */
		second = xasprintf(_("The last run failed, %s."), when);
	else if (rs->state == JOURNAL_STOPPED)
		/* L10N: the date. */
		second = xasprintf(_("The last run was stopped, %s."), when);
	else
		/* L10N: the date the run began. */
		second = xasprintf(_("The last run, begun %s, was interrupted: k8s-wizard ended "
				     "during it (or another one is running it now)."), when);
	text = xasprintf("%s %s", first, second);
	free(first);
	free(second);
	free(when);
	return text;
}

static void welcome_draw(void *state, struct wizard *w, WINDOW *win)
{
	struct welcome *s = state;
	enum theme_role role;
	char *text = NULL, *dir = NULL;
	int y = 0, width = getmaxx(win) - 4, names_w = 0;

	drop_menu(s);
	s->win_y = getbegy(win);
	text_draw(win, y++, 1, _("Welcome to k8s-wizard"), width, theme_attr(ROLE_HEADING), false);
	y++;
	/* Someone with a run behind them knows what the wizard is for: the
	 * room goes to how the run ended. */
	if (!s->run.has_run)
		y = paragraph(win, y, _("This wizard plans a Kubernetes 1.29 cluster that k8s-wizard "
				"installs from binaries over SSH: the servers and their roles, the "
				"network ranges, registry mirrors, versions, certificates and "
				"add-ons. Every value is checked as you type, and the review page "
				"lists what is left to fix. No server is contacted until you start "
				"the run on the last page."), ROLE_NORMAL) + 1;
	dir = wizard_statedir_display(w->plan->name);
	text = xasprintf(_("State directory: %s"), dir);
	y = paragraph(win, y, text, ROLE_NORMAL);
	free(text);
	free(dir);
	y = paragraph(win, y, _("The plan is saved there after every change, so quitting loses "
				"nothing."), ROLE_HELP);
	y++;
	text = origin_text(w, &role);
	y = paragraph(win, y, text, role);
	free(text);
	y++;
	text = run_text(s, w, &role);
	if (text != NULL)
		y = paragraph(win, y, text, role) + 1;
	free(text);

	/* The choices: a menu of names, each described beside it. */
	if (y + (int)s->n > getmaxy(win))
		y = getmaxy(win) - (int)s->n;
	for (size_t i = 0; i < s->n; i++) {
		int nw = text_width(choice_name(s->choices[i]));

		s->items[i] = new_item(choice_name(s->choices[i]), "");
		if (nw > names_w)
			names_w = nw;
	}
	s->items[s->n] = NULL;
	names_w += text_width(text_symbol(SYM_CURRENT));
	s->menu = new_menu(s->items);
	menu_opts_off(s->menu, O_SHOWDESC);
	set_menu_mark(s->menu, text_symbol(SYM_CURRENT));
	set_menu_format(s->menu, (int)s->n, 1);
	set_menu_fore(s->menu, theme_attr(ROLE_FOCUS));
	set_menu_back(s->menu, theme_attr(ROLE_NORMAL));
	s->sub = derwin(win, (int)s->n, names_w, y, 2);
	s->menu_y = y;
	s->menu_rows = (int)s->n;
	set_menu_win(s->menu, win);
	set_menu_sub(s->menu, s->sub);
	set_current_item(s->menu, s->items[s->selected]);
	post_menu(s->menu);
	for (size_t i = 0; i < s->n; i++)
		text_draw(win, y + (int)i, 2 + names_w + 3, choice_desc(s->choices[i]),
			  width - names_w - 3, theme_attr(ROLE_HELP), false);
}

static int choose(struct welcome *s, struct wizard *w)
{
	switch (s->choices[s->selected]) {
	case CHOICE_START:
		return UI_NEXT | UI_REDRAW;
	case CHOICE_RESUME:
		if (w->saved_screen == NULL || strcmp(w->saved_screen, "welcome") == 0 ||
		    !wizard_goto(w, w->saved_screen))
			return UI_NEXT | UI_REDRAW;
		return UI_REDRAW;
	case CHOICE_EDIT:
		wizard_goto(w, "hosts");
		return UI_REDRAW;
	case CHOICE_CONTINUE:
	case CHOICE_CHECK:
		w->start_run = true;
		if (!wizard_goto(w, "run"))
			w->start_run = false;
		return UI_REDRAW;
	case CHOICE_OVER:
		wizard_set_plan(w, plan_new_default());
		wizard_goto(w, "hosts");
		wizard_status(w, STATUS_INFO, "%s", _("Started over from the default plan."));
		return UI_REDRAW | UI_CHANGED;
	}
	return 0;
}

/* The menu of the last draw is the one the next draw takes the choice from. */
static void select_choice(struct welcome *s, int i)
{
	s->selected = i;
	if (s->menu != NULL)
		set_current_item(s->menu, s->items[i]);
}

static int welcome_key(void *state, struct wizard *w, const struct ui_event *ev)
{
	struct welcome *s = state;

	if (ev->type == EV_CLICK) {
		int row = ev->y - s->win_y - s->menu_y;

		if (row < 0 || row >= s->menu_rows)
			return 0;
		select_choice(s, row);
		return choose(s, w) | UI_HANDLED;
	}
	if (ev->type != EV_KEY)
		return 0;
	switch (ev->key) {
	case KEY_UP:
	case KEY_BTAB:
		select_choice(s, (s->selected + (int)s->n - 1) % (int)s->n);
		return UI_HANDLED | UI_REDRAW;
	case KEY_DOWN:
	case UI_KEY_TAB:
		select_choice(s, (s->selected + 1) % (int)s->n);
		return UI_HANDLED | UI_REDRAW;
	case UI_KEY_ENTER:
	case KEY_ENTER:
	case KEY_NPAGE:
		return choose(s, w) | UI_HANDLED;
	default:
		return 0;
	}
}

static void welcome_footer(void *state, struct wizard *w, struct footer *f)
{
	(void)state;
	(void)w;
	footer_add(f, "Enter", N_("choose"), UI_KEY_ENTER);
	footer_add(f, "Up/Down", N_("move"), KEY_DOWN);
}

const struct screen_ops screen_welcome_ops = {
	.name = "welcome",
	.title = N_("Welcome"),
	.intro = N_("What the wizard does, and where it keeps the plan"),
	.init = welcome_init,
	.free = welcome_free,
	.enter = welcome_enter,
	.draw = welcome_draw,
	.key = welcome_key,
	.footer = welcome_footer,
};
