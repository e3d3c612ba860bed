/* The screen manager: it owns the terminal and runs the one loop of the
 * wizard. The loop sleeps in poll() on the keyboard, a pipe its signal
 * handler writes to, and whatever the screens wait on (the Run page's
 * engine events), so that it wakes for any of them; it hands keys to the
 * current screen (the dialog first), lets the screens take what their
 * background work brought, and draws once per turn when something changed,
 * at most every MIN_FRAME_MS for changes that did not come from a key. It
 * does what is the same on every screen: moving between screens (not away
 * from a run under way), validating the plan after each change and saving
 * it to the state directory, dialogs, resizes and signals. What it draws is
 * chrome.c; the F-key flows are fkeys.c. */
#include "config.h"

#include "ui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/nls.h"
#include "../src/plancheck.h"
#include "../src/planfile.h"
#include "../src/planstore.h"
#include "../src/statedir.h"
#include "../src/xmalloc.h"
#include "dialog.h"
#include "manager.h"
#include "text.h"
#include "theme.h"

const struct screen_ops *const manager_screens[N_SCREENS] = {
	&screen_welcome_ops, &screen_hosts_ops,  &screen_network_ops, &screen_registries_ops,
	&screen_options_ops, &screen_review_ops, &screen_run_ops,
};

/* Changes that did not come from a key are drawn at most this often: a run
 * printing at full speed costs a few frames a second, not one per line. */
#define MIN_FRAME_MS 40
/* The longest a turn of the loop spends taking a screen's background work
 * before it looks at the keyboard again. */
#define WAKE_BUDGET_MS 30

/* Signals and the fatal-allocation hook only set or read these. */
static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t interrupts; /* SIGINTs seen */
static volatile sig_atomic_t curses_active;
static int signal_pipe[2] = { -1, -1 };

/* Give the terminal back. Safe to call twice. */
static void restore_terminal(void)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	ssize_t n;

	if (sig == SIGINT)
		interrupts++;
	else
		got_signal = sig;
	/* Only wakes the loop; what happened is in the variables. */
	n = write(signal_pipe[1], &c, 1);
	(void)n;
	errno = saved;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Messages and footers. */

void wizard_status(struct wizard *w, enum status_kind kind, const char *fmt, ...)
{
	va_list ap;

	free(w->status);
	va_start(ap, fmt);
	w->status = xvasprintf(fmt, ap);
	va_end(ap);
	w->status_kind = kind;
}

void footer_add(struct footer *f, const char *name, const char *what, int key)
{
	if (f->n < FOOTER_MAX)
		f->keys[f->n++] = (struct footer_key){ name, what, key };
}

char *wizard_home_short(const char *path)
{
	const char *home = getenv("HOME");
	size_t n = home != NULL ? strlen(home) : 0;

	if (path == NULL)
		return xstrdup("");
	if (n > 1 && home[0] == '/' && strncmp(path, home, n) == 0 && path[n] == '/')
		return xasprintf("~%s", path + n);
	return xstrdup(path);
}

char *wizard_statedir_display(const char *cluster)
{
	char *err = NULL;
	char *path = statedir_path(cluster != NULL ? cluster : "", &err);
	char *shown = NULL;

	if (path == NULL)
		return err;
	shown = wizard_home_short(path);
	free(path);
	return shown;
}

/* The plan: validation and saving. */

void manager_validate(struct manager *m)
{
	problems_clear(&m->w.problems);
	m->w.errors = plancheck_run(m->w.plan, &m->w.problems);
	m->w.warnings = problems_count(&m->w.problems, PROBLEM_WARNING);
}

/* Remember what cluster's saved plan was before this session first writes
 * it, for Discard. */
static void touch(struct manager *m, const char *cluster)
{
	struct wizard *w = &m->w;
	struct wizard_touched *t = NULL;

	for (size_t i = 0; i < w->n_touched; i++) {
		if (strcmp(w->touched[i].cluster, cluster) == 0)
			return;
	}
	w->touched = xreallocarray(w->touched, w->n_touched + 1, sizeof *w->touched);
	t = &w->touched[w->n_touched++];
	t->cluster = xstrdup(cluster);
	t->before = planstore_read(cluster, &t->len);
}

/* Save the plan in its state directory. Returns 0, or -1 with the reason on
 * the help line. */
int manager_autosave(struct manager *m)
{
	struct wizard *w = &m->w;
	char *err = NULL;
	char *path = planstore_path(w->plan->name, &err);

	if (path == NULL) {
		wizard_status(w, STATUS_ERROR, _("Not saved: %s"), err);
		free(err);
		return -1;
	}
	free(path);
	touch(m, w->plan->name);
	if (planstore_save(w->plan, &err) < 0 ||
	    planstore_set_screen(w->plan->name, manager_screens[w->screen]->name, &err) < 0) {
		wizard_status(w, STATUS_ERROR, _("Not saved: %s"), err);
		free(err);
		return -1;
	}
	w->store_active = true;
	return 0;
}

bool manager_plan_changed(struct manager *m)
{
	char *now = planfile_emit(m->w.plan, NULL);
	bool changed = strcmp(now, m->w.baseline) != 0;

	free(now);
	return changed;
}

/* Screens. */

void manager_enter_all(struct manager *m)
{
	for (size_t i = 0; i < N_SCREENS; i++) {
		if (manager_screens[i]->enter != NULL)
			manager_screens[i]->enter(m->state[i], &m->w);
	}
}

static void apply_flags(struct manager *m, int flags);

/* Finish the current screen's edit. Returns false when it cannot be. */
bool manager_commit_screen(struct manager *m)
{
	const struct screen_ops *ops = manager_screens[m->w.screen];
	int flags = 0;

	if (ops->commit == NULL)
		return true;
	flags = ops->commit(m->state[m->w.screen], &m->w);
	if (flags < 0) {
		wizard_status(&m->w, STATUS_ERROR, "%s",
			      _("Finish or undo (Esc) the value being typed first."));
		return false;
	}
	apply_flags(m, flags & (UI_CHANGED | UI_SAVE));
	return true;
}

static bool go_screen(struct manager *m, size_t to)
{
	struct wizard *w = &m->w;
	char *err = NULL;

	if (to >= N_SCREENS || to == w->screen)
		return to == w->screen;
	if (manager_busy_screen(m, NULL) == manager_screens[w->screen]) {
		wizard_status(w, STATUS_ERROR, "%s",
			      _("The install is running: stop it first (F10) to leave this page."));
		return false;
	}
	if (!manager_commit_screen(m))
		return false;
	if (to == SCREEN_RUN && w->errors > 0) {
		wizard_status(w, STATUS_ERROR,
			      P_("The plan has %zu error: fix it on the review page before the run.",
				 "The plan has %zu errors: fix them on the review page before the run.",
				 w->errors), w->errors);
		return false;
	}
	w->screen = to;
	/* Remember the screen for Resume, once the plan is saved at all. Before
	 * enter(): the Run page's may start a run, whose lock would refuse the
	 * write (and the write would refuse the run). */
	if (w->store_active &&
	    planstore_set_screen(w->plan->name, manager_screens[to]->name, &err) < 0)
		free(err);
	if (manager_screens[to]->enter != NULL)
		manager_screens[to]->enter(m->state[to], w);
	return true;
}

bool wizard_save(struct wizard *w)
{
	return manager_autosave(manager_of(w)) == 0;
}

bool wizard_goto(struct wizard *w, const char *name)
{
	for (size_t i = 0; i < N_SCREENS; i++) {
		if (strcmp(manager_screens[i]->name, name) == 0)
			return go_screen(manager_of(w), i);
	}
	return false;
}

bool wizard_show_path(struct wizard *w, const char *path)
{
	struct manager *m = manager_of(w);

	for (size_t i = 0; i < N_SCREENS; i++) {
		const struct screen_ops *ops = manager_screens[i];

		if (ops->focus == NULL)
			continue;
		if (ops->enter != NULL)
			ops->enter(m->state[i], w);
		if (ops->focus(m->state[i], w, path))
			return go_screen(m, i);
	}
	return false;
}

void wizard_set_plan(struct wizard *w, struct plan *plan)
{
	struct manager *m = manager_of(w);

	plan_free(&w->plan);
	w->plan = plan;
	manager_validate(m);
	manager_enter_all(m);
}

static void apply_flags(struct manager *m, int flags)
{
	if (flags & UI_CHANGED)
		manager_validate(m);
	if (flags & UI_SAVE)
		manager_autosave(m);
	if (flags & UI_REBUILD)
		manager_enter_all(m);
	if (flags & UI_NEXT)
		go_screen(m, m->w.screen + 1);
	if ((flags & UI_BACK) && m->w.screen > 0)
		go_screen(m, m->w.screen - 1);
}

/* Dialogs. */

void wizard_choose(struct wizard *w, const char *title, const char *text,
		   const char *const *items, size_t n_items, int selected, bool vertical,
		   dialog_done_fn done, void *ctx)
{
	struct manager *m = manager_of(w);

	dialog_free(&m->dialog);
	m->dialog = dialog_new(title, text != NULL ? text : "");
	if (n_items > 0)
		dialog_set_items(m->dialog, items, n_items, selected, vertical);
	m->done = done;
	m->done_ctx = ctx;
}

void wizard_message(struct wizard *w, const char *title, const char *text)
{
	wizard_choose(w, title, text, NULL, 0, 0, false, NULL, NULL);
}

void wizard_ask_secret(struct wizard *w, const char *title, const char *text,
		       dialog_done_fn done, void *ctx)
{
	struct manager *m = manager_of(w);

	wizard_choose(w, title, text, NULL, 0, 0, false, done, ctx);
	dialog_set_secret(m->dialog);
}

bool wizard_dialog_open(struct wizard *w)
{
	return manager_of(w)->dialog != NULL;
}

void wizard_dialog_scroll_end(struct wizard *w)
{
	struct manager *m = manager_of(w);

	if (m->dialog != NULL)
		dialog_scroll_end(m->dialog);
}

const char *wizard_screen_name(const struct wizard *w)
{
	return manager_screens[w->screen]->name;
}

const struct screen_ops *manager_busy_screen(struct manager *m, void **state)
{
	for (size_t i = 0; i < N_SCREENS; i++) {
		const struct screen_ops *ops = manager_screens[i];

		if (ops->busy != NULL && ops->busy(m->state[i], &m->w)) {
			if (state != NULL)
				*state = m->state[i];
			return ops;
		}
	}
	return NULL;
}

/* The terminal changed size: lay everything out again. */
static void resize(struct manager *m)
{
	m->too_small = LINES < UI_MIN_LINES || COLS < UI_MIN_COLS;
	if (m->content != NULL)
		delwin(m->content);
	wresize(m->base, LINES, COLS);
	replace_panel(m->base_panel, m->base);
	m->content = derwin(m->base, LINES - CONTENT_TOP - ROWS_BELOW, COLS, CONTENT_TOP, 0);
}

/* Input. */

/* Read one input event without waiting. Returns 1 with *ev set, 0 for
 * input that is no event (a mouse release), -1 when there is none. */
static int read_event(struct ui_event *ev)
{
	wint_t wch = 0;
	int r = wget_wch(stdscr, &wch);

	memset(ev, 0, sizeof *ev);
	if (r == ERR)
		return -1;
	if (r == KEY_CODE_YES && wch == KEY_MOUSE) {
		MEVENT me;

		if (getmouse(&me) != OK)
			return 0;
		ev->y = me.y;
		ev->x = me.x;
		if (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) {
			ev->type = EV_CLICK;
		} else if (me.bstate & BUTTON4_PRESSED) {
			ev->type = EV_SCROLL;
			ev->delta = -3;
#ifdef BUTTON5_PRESSED
		} else if (me.bstate & BUTTON5_PRESSED) {
			ev->type = EV_SCROLL;
			ev->delta = 3;
#endif
		} else {
			return 0;
		}
		return 1;
	}
	if (r == KEY_CODE_YES) {
		ev->type = EV_KEY;
		ev->key = (int)wch;
		return 1;
	}
	if (wch == '\r')
		wch = '\n';
	if (wch < 32 || wch == 127) {
		ev->type = EV_KEY;
		ev->key = (int)wch;
	} else {
		ev->type = EV_CHAR;
		ev->ch = (wchar_t)wch;
	}
	return 1;
}

/* A click on the bar, the title or the footer becomes a screen or a key. */
static bool translate_click(struct manager *m, struct ui_event *ev)
{
	for (size_t i = 0; i < m->n_hot; i++) {
		const struct hotspot *h = &m->hot[i];

		if (ev->y != h->y || ev->x < h->x || ev->x >= h->x + h->w)
			continue;
		if (h->screen >= 0) {
			go_screen(m, (size_t)h->screen);
			return true;
		}
		if (h->key >= 32 && h->key < 127) {
			ev->type = EV_CHAR;
			ev->ch = (wchar_t)h->key;
		} else {
			ev->type = EV_KEY;
			ev->key = h->key;
		}
		return false;
	}
	return false;
}

static void handle(struct manager *m, struct ui_event *ev)
{
	struct wizard *w = &m->w;
	const struct screen_ops *ops = manager_screens[w->screen];
	int flags = 0;

	xfree(&w->status);
	if (ev->type == EV_KEY && ev->key == KEY_RESIZE) {
		resize(m);
		return;
	}
	if (ev->type == EV_KEY && ev->key == UI_KEY_CTRL('l')) {
		clearok(curscr, TRUE);
		return;
	}
	if (m->too_small)
		return;
	if (m->dialog != NULL) {
		int choice = -1;

		if (dialog_key(m->dialog, ev, &choice)) {
			dialog_done_fn done = m->done;
			void *ctx = m->done_ctx;
			bool secret = dialog_is_secret(m->dialog);
			char hidden[DIALOG_SECRET_MAX] = "";
			char *text = NULL;

			/* A secret is copied only here, on the stack, and wiped
			 * after its one use; never into the heap. */
			if (secret)
				xsnprintf(hidden, sizeof hidden, "%s", dialog_input(m->dialog));
			else if (dialog_input(m->dialog) != NULL)
				text = xstrdup(dialog_input(m->dialog));
			dialog_free(&m->dialog);
			m->done = NULL;
			if (done != NULL)
				apply_flags(m, done(w, ctx, choice, secret ? hidden : text));
			explicit_bzero(hidden, sizeof hidden);
			free(text);
		}
		return;
	}
	if (ev->type == EV_CLICK && translate_click(m, ev))
		return;
	if (ev->type == EV_KEY) {
		switch (ev->key) {
		case KEY_F(1):
			fkeys_help(m);
			return;
		case KEY_F(2):
			fkeys_export(m);
			return;
		case KEY_F(3):
			fkeys_language(m);
			return;
		case KEY_F(10):
			fkeys_quit(m);
			return;
		default:
			break;
		}
	}
	if (ops->key != NULL)
		flags = ops->key(m->state[w->screen], w, ev);
	if (!(flags & UI_HANDLED) && ev->type == EV_KEY) {
		if (ev->key == KEY_NPAGE)
			flags |= UI_NEXT;
		else if (ev->key == KEY_PPAGE)
			flags |= UI_BACK;
	}
	apply_flags(m, flags);
}

/* Set up the wizard's state: the plan to open and where it came from. */
static void open_plan(struct wizard *w, const struct plan *plan, const char *plan_file)
{
	struct planstore_list list = { 0 };
	char *err = NULL;

	w->plan_file = plan_file;
	if (planstore_list(&list, &err) < 0)
		xfree(&err);
	w->n_saved = list.n;
	if (plan != NULL) {
		w->plan = plan_dup(plan);
		w->origin = ORIGIN_FILE;
		for (size_t i = 0; i < list.n; i++) {
			if (plan->name != NULL && strcmp(list.v[i].cluster, plan->name) == 0)
				w->saved_cluster = xstrdup(plan->name);
		}
	} else if (list.n > 0) {
		struct problems problems = { 0 };

		w->saved_cluster = xstrdup(list.v[0].cluster);
		w->saved_mtime = list.v[0].mtime;
		w->plan = planfile_load(list.v[0].path, &problems, NULL);
		if (w->plan != NULL) {
			w->origin = ORIGIN_SAVED;
			w->store_active = true;
			w->saved_screen = planstore_get_screen(list.v[0].cluster);
		} else {
			w->origin = ORIGIN_BROKEN;
			w->plan = plan_new_default();
			if (problems.n > 0)
				w->load_error = xasprintf("%s:%u:%u: %s", list.v[0].path,
							  problems.v[0].line, problems.v[0].column,
							  problems.v[0].message);
		}
		problems_clear(&problems);
	} else {
		w->plan = plan_new_default();
		w->origin = ORIGIN_DEFAULT;
	}
	planstore_list_clear(&list);
	w->baseline = planfile_emit(w->plan, NULL);
}

static void close_wizard(struct manager *m)
{
	struct wizard *w = &m->w;

	for (size_t i = 0; i < N_SCREENS; i++) {
		if (manager_screens[i]->free != NULL)
			manager_screens[i]->free(&m->state[i]);
	}
	dialog_free(&m->dialog);
	plan_free(&w->plan);
	problems_clear(&w->problems);
	for (size_t i = 0; i < w->n_touched; i++) {
		free(w->touched[i].cluster);
		free(w->touched[i].before);
	}
	free(w->touched);
	free(w->load_error);
	free(w->saved_cluster);
	free(w->saved_screen);
	free(w->baseline);
	free(w->status);
	free(m->export_path);
}

static void install_signals(void)
{
	struct sigaction sa;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		xalloc_die("pipe2");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the signal interrupts the wait, and the pipe wakes a
	 * poll that had not begun yet. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void close_signals(void)
{
	for (int i = 0; i < 2; i++) {
		if (signal_pipe[i] >= 0)
			close(signal_pipe[i]);
		signal_pipe[i] = -1;
	}
}

static int start_curses(struct manager *m)
{
	if (newterm(NULL, stdout, stdin) == NULL)
		return -1;
	curses_active = 1;
	text_init();
	theme_init();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
			  | BUTTON5_PRESSED
#endif
		  ,
		  NULL);
	mouseinterval(0);
	refresh();
	m->base = newwin(LINES, COLS, 0, 0);
	m->base_panel = new_panel(m->base);
	m->content = derwin(m->base, LINES - CONTENT_TOP - ROWS_BELOW, COLS, CONTENT_TOP, 0);
	m->too_small = LINES < UI_MIN_LINES || COLS < UI_MIN_COLS;
	return 0;
}

static void stop_curses(struct manager *m)
{
	if (m->content != NULL)
		delwin(m->content);
	if (m->base_panel != NULL)
		del_panel(m->base_panel);
	if (m->base != NULL)
		delwin(m->base);
	restore_terminal();
}

/* Figures of the loop, written to K8SW_UI_STATS at the end (benchmarks). */
struct loop_stats {
	int64_t start_ms;
	unsigned long frames, keys, wakes;
	int64_t frame_us_total, frame_us_max;
	int64_t key_us_total, key_us_max; /* from a key read to its frame on the terminal */
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void write_stats(const struct loop_stats *st, const char *path)
{
	FILE *f = NULL;
	double secs = (double)(mono_ms() - st->start_ms) / 1000.0;

	if (path == NULL || *path == '\0' || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "seconds %.3f\nframes %lu\nframes_per_second %.1f\n", secs, st->frames,
		secs > 0 ? (double)st->frames / secs : 0.0);
	fprintf(f, "frame_ms_avg %.2f\nframe_ms_max %.2f\n",
		st->frames > 0 ? (double)st->frame_us_total / 1000.0 / (double)st->frames : 0.0,
		(double)st->frame_us_max / 1000.0);
	fprintf(f, "keys %lu\nkey_ms_avg %.2f\nkey_ms_max %.2f\nwakes %lu\n", st->keys,
		st->keys > 0 ? (double)st->key_us_total / 1000.0 / (double)st->keys : 0.0,
		(double)st->key_us_max / 1000.0, st->wakes);
	fclose(f);
}

/* The fds to sleep on: the keyboard, the signal pipe, and every screen's
 * background work; *timeout is lowered to what the screens ask. */
static nfds_t wait_fds(struct manager *m, struct pollfd *fds, int *timeout)
{
	nfds_t n = 0;

	fds[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	fds[n++] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };
	for (size_t i = 0; i < N_SCREENS; i++) {
		int t = -1, fd;

		if (manager_screens[i]->wait == NULL)
			continue;
		fd = manager_screens[i]->wait(m->state[i], &m->w, &t);
		if (fd >= 0)
			fds[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (t >= 0 && (*timeout < 0 || t < *timeout))
			*timeout = t;
	}
	return n;
}

/* Ctrl-C: a run under way is offered to stop (as F10 does); otherwise it
 * ends the wizard as it always did. */
static void interrupted(struct manager *m)
{
	void *state = NULL;
	const struct screen_ops *busy = manager_busy_screen(m, &state);

	if (busy != NULL && busy->quit != NULL && busy->quit(state, &m->w))
		return;
	got_signal = SIGINT;
}

int ui_run(const struct plan *plan, const char *plan_file, const struct ui_options *opt)
{
	static const struct ui_options none = { 0 };
	struct manager m;
	struct loop_stats st = { .start_ms = mono_ms() };
	int64_t drawn_ms = 0, key_us = 0;
	bool dirty = true, key_dirty = true, more_keys = false;
	sig_atomic_t seen_interrupts = 0;
	int sig = 0;

	memset(&m, 0, sizeof m);
	m.w.opt = opt != NULL ? opt : &none;
	open_plan(&m.w, plan, plan_file);
	manager_validate(&m);
	install_signals();
	xmalloc_set_fatal_hook(restore_terminal);
	if (start_curses(&m) < 0) {
		/* L10N: the program's name and the terminal type. */
		fprintf(stderr, _("%s: cannot use this terminal (TERM=%s)\n"), PACKAGE,
			getenv("TERM") != NULL ? getenv("TERM") : "");
		close_wizard(&m);
		close_signals();
		return 1;
	}
	nodelay(stdscr, TRUE);
	for (size_t i = 0; i < N_SCREENS; i++)
		m.state[i] = manager_screens[i]->init != NULL ? manager_screens[i]->init(&m.w)
								: NULL;
	manager_enter_all(&m);
	fkeys_language_notice(&m);
	if (m.w.opt->start_run) {
		m.w.start_run = true;
		wizard_goto(&m.w, "run");
	}
	while (!m.quit && !got_signal) {
		struct pollfd fds[2 + N_SCREENS];
		struct ui_event ev;
		int timeout = -1;
		nfds_t n = wait_fds(&m, fds, &timeout);
		int64_t now = mono_ms();
		char drain[16];

		if (dirty && (key_dirty || now - drawn_ms >= MIN_FRAME_MS)) {
			int64_t t0 = mono_us(), took;

			chrome_draw(&m);
			took = mono_us() - t0;
			st.frames++;
			st.frame_us_total += took;
			st.frame_us_max = took > st.frame_us_max ? took : st.frame_us_max;
			if (key_us != 0) {
				int64_t k = mono_us() - key_us;

				st.key_us_total += k;
				st.key_us_max = k > st.key_us_max ? k : st.key_us_max;
				key_us = 0;
			}
			drawn_ms = mono_ms();
			dirty = key_dirty = false;
		} else if (dirty) {
			int left = (int)(MIN_FRAME_MS - (now - drawn_ms));

			timeout = timeout < 0 || left < timeout ? left : timeout;
		}
		if (poll(fds, n, more_keys ? 0 : timeout) < 0 && errno != EINTR)
			break;
		while (read(signal_pipe[0], drain, sizeof drain) > 0)
			;
		if (interrupts != seen_interrupts) {
			seen_interrupts = interrupts;
			interrupted(&m);
			dirty = key_dirty = true;
		}
		/* One key per turn, drawn before the next: a key may open an
		 * editor that the following ones type into. ncurses may hold
		 * more keys than the fd shows: the next poll does not sleep. */
		more_keys = false;
		if (!got_signal) {
			int r = read_event(&ev);

			more_keys = r >= 0;
			if (r > 0) {
				if (key_us == 0)
					key_us = mono_us();
				st.keys++;
				handle(&m, &ev);
				dirty = key_dirty = true;
			}
		}
		for (size_t i = 0; i < N_SCREENS && !got_signal; i++) {
			int flags;

			if (manager_screens[i]->wake == NULL)
				continue;
			flags = manager_screens[i]->wake(m.state[i], &m.w, WAKE_BUDGET_MS);
			st.wakes++;
			if (flags & UI_REDRAW)
				dirty = true;
			apply_flags(&m, flags & ~UI_REDRAW);
		}
	}
	sig = got_signal;
	write_stats(&st, m.w.opt->stats_file);
	/* Interrupted: keep what was typed, as after every change. */
	if (sig != 0 && manager_plan_changed(&m))
		manager_autosave(&m);
	close_wizard(&m);
	stop_curses(&m);
	close_signals();
	if (m.farewell != NULL) {
		fputs(m.farewell, stderr);
		free(m.farewell);
	}
	if (sig != 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return 0;
}
