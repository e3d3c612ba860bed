/* The Run page: it starts the same install engine as `k8s-wizard apply` on
 * the wizard's plan (runctl.c, install.h), shows the run as it goes
 * (rundraw.c), asks the engine's questions (an unknown host key, a
 * passphrase or a password: hidden), offers Retry, Abort and the host's log
 * when a step fails, stops cleanly on F10 or Ctrl-C (and ends the commands
 * on the hosts when asked again), and ends on the summary. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/fileio.h"
#include "../src/nls.h"
#include "../src/runstate.h"
#include "../src/xmalloc.h"
#include "runpage.h"
#include "text.h"
#include "ui.h"

/* A host that prints keeps the focus this long before "follow" moves it to
 * another that prints. */
#define FOLLOW_MS 1500
/* The end of a log shown by Show log. */
#define LOG_TAIL_BYTES (64 * 1024)

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *run_init(struct wizard *w)
{
	struct runpage *p = xcalloc(1, sizeof *p);
	struct runctl_options o = {
		.known_hosts = w->opt->known_hosts, .skip_checks = w->opt->skip_checks,
		.n_skip_checks = w->opt->n_skip_checks, .parallel = w->opt->parallel,
		.render = w->opt->render, .checks = w->opt->checks, .n_checks = w->opt->n_checks,
	};

	p->ctl = runctl_new(&o);
	p->follow = true;
	p->stats_file = w->opt->stats_file;
	return p;
}

/* The model's figures after the loop's (ui.c wrote those), for benchmarks. */
static void write_stats(struct runpage *p)
{
	struct runmodel *m = runctl_model(p->ctl);
	uint64_t lines = 0;
	FILE *f = NULL;

	if (p->stats_file == NULL || m == NULL || (f = fopen(p->stats_file, "a")) == NULL)
		return;
	for (size_t i = 0; i < m->n_hosts; i++)
		lines += m->hosts[i].lines.seen;
	fprintf(f, "events %llu\nlines_shown %llu\nlines_dropped %llu\nline_bytes_held %zu\n",
		(unsigned long long)m->events, (unsigned long long)lines,
		(unsigned long long)m->dropped, runmodel_line_bytes(m));
	fclose(f);
}

static void run_free(void **state)
{
	struct runpage *p = *state;

	if (p == NULL)
		return;
	write_stats(p);
	runctl_free(&p->ctl);
	free(p);
	*state = NULL;
}

static bool running(const struct runpage *p)
{
	enum runctl_state s = runctl_state(p->ctl);

	return s == RUNCTL_PREPARING || s == RUNCTL_RUNNING;
}

/* Whether the cluster's journal has a run: the run continues it. */
static bool journal_has_run(const char *cluster)
{
	struct runstate rs;
	char *err = NULL;
	bool has = false;

	if (runstate_read(cluster, &rs, &err) == 0)
		has = rs.has_run;
	free(err);
	runstate_clear(&rs);
	return has;
}

static void start(struct runpage *p, struct wizard *w)
{
	bool resume = journal_has_run(w->plan->name);

	if (w->errors > 0)
		return;
	/* The plan run is the one saved, before the run takes the state
	 * directory's lock: started again, the wizard continues this plan. */
	if (!wizard_save(w))
		return;
	if (!runctl_start(p->ctl, w->plan, w->plan_file, resume ? "resume" : "apply"))
		return;
	p->focus = 0;
	p->scroll = 0;
	p->view = VIEW_OUTPUT;
	p->failure_seen = false;
	p->question_open = false;
}

static void run_enter(void *state, struct wizard *w)
{
	struct runpage *p = state;

	if (runctl_state(p->ctl) == RUNCTL_IDLE)
		p->run_before = journal_has_run(w->plan->name);
	if (w->start_run && strcmp(wizard_screen_name(w), "run") == 0) {
		w->start_run = false;
		start(p, w);
	}
}

static void run_draw(void *state, struct wizard *w, WINDOW *win)
{
	rundraw_page(state, w, win, mono_ms());
}

/* --- questions ------------------------------------------------------------ */

static int hostkey_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	struct runpage *p = ctx;
	static const enum remote_hostkey_answer answers[] = {
		REMOTE_HOSTKEY_ACCEPT_ONCE, REMOTE_HOSTKEY_ACCEPT_SAVE, REMOTE_HOSTKEY_REJECT,
	};

	(void)w;
	(void)text;
	p->question_open = false;
	runctl_answer_hostkey(p->ctl, choice >= 0 && choice < 3 ? answers[choice]
							       : REMOTE_HOSTKEY_REJECT);
	return UI_REDRAW;
}

static int secret_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	struct runpage *p = ctx;

	(void)w;
	p->question_open = false;
	/* text is the dialog's, wiped by the manager after this returns. */
	runctl_answer_secret(p->ctl, choice == 0 ? text : NULL);
	return UI_REDRAW;
}

/* Put the engine's question on the screen, once no other dialog is. */
static void ask(struct runpage *p, struct wizard *w)
{
	const struct event_question *q = runctl_question(p->ctl);
	char *text = NULL;

	if (q == NULL || p->question_open || wizard_dialog_open(w))
		return;
	p->question_open = true;
	if (q->type == EVENT_ASK_HOSTKEY) {
		static const char *items[3];

		/* L10N: dialog buttons: keep them short. */
		items[0] = _("Accept once");
		items[1] = _("Accept and save");
		items[2] = _("Refuse");
		/* L10N: the host, the key's type, its fingerprint. */
		text = xasprintf(_("%s offered a %s host key that is not in known_hosts:\n\n  %s\n\n"
				   "Compare it with the key the host itself shows (ssh-keygen -l -f "
				   "on its public key in /etc/ssh) before you trust it. \"Accept and "
				   "save\" adds it to known_hosts; \"Accept once\" trusts it for this "
				   "run only."),
				 q->host, q->key_type, q->fingerprint);
		wizard_choose(w, _("Unknown host key"), text, items, 3, 2, false, hostkey_done, p);
	} else {
		const struct remote_secret_request *r = q->secret;

		switch (r->kind) {
		case REMOTE_SECRET_PASSPHRASE:
			/* L10N: the key file, the host it is for. */
			text = xasprintf(_("The passphrase of the key %s, to log in to %s. It is used "
					   "once and never shown or saved."), r->what, r->host);
			break;
		case REMOTE_SECRET_SUDO:
			/* L10N: the user, the host. */
			text = xasprintf(_("The sudo password of %s on %s. It is used for this run "
					   "only and never shown or saved."), r->user, r->host);
			break;
		case REMOTE_SECRET_PASSWORD:
		default:
			/* L10N: the user, the host, what the host asks. */
			text = xasprintf(_("The password of %s on %s (it asks: %s). It is used once and "
					   "never shown or saved."), r->user, r->host,
					 r->what != NULL ? r->what : "");
			break;
		}
		wizard_ask_secret(w, r->kind == REMOTE_SECRET_PASSPHRASE ? _("Key passphrase")
								: _("Password"),
				  text, secret_done, p);
	}
	free(text);
}

/* --- stop ----------------------------------------------------------------- */

static int stop_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	struct runpage *p = ctx;
	struct runmodel *m = runctl_model(p->ctl);

	(void)text;
	if (m->stopping) {
		if (choice == 0) {
			runctl_abort(p->ctl);
			wizard_status(w, STATUS_INFO, "%s",
				      _("Ending the commands running on the hosts."));
		}
		return UI_REDRAW;
	}
	if (choice == 0) {
		runctl_stop(p->ctl);
		wizard_status(w, STATUS_INFO, "%s",
			      _("Stopping: the steps under way finish, no new one starts."));
	} else if (choice == 1) {
		runctl_abort(p->ctl);
		wizard_status(w, STATUS_INFO, "%s", _("Ending the commands running on the hosts."));
	}
	return UI_REDRAW;
}

/* F10 or Ctrl-C while the run goes: confirm, then stop; asked again while it
 * stops, end what runs on the hosts. */
static bool run_quit(void *state, struct wizard *w)
{
	struct runpage *p = state;
	struct runmodel *m = NULL;
	static const char *items[3];

	if (!running(p))
		return false;
	m = runctl_model(p->ctl);
	if (m->aborting)
		return true;
	if (m->stopping) {
		/* L10N: dialog buttons: keep them short. */
		items[0] = _("End them now");
		items[1] = _("Wait");
		wizard_choose(w, _("Stopping"),
			      _("The run is stopping: the steps under way finish first. End the "
				"commands running on the hosts now? They are interrupted; the journal "
				"records them as not done, and resume runs them again."),
			      items, 2, 1, false, stop_done, p);
		return true;
	}
	/* L10N: dialog buttons: keep them short. */
	items[0] = _("Stop");
	items[1] = _("Stop now");
	items[2] = _("Continue");
	wizard_choose(w, _("Stop the install?"),
		      _("Stop: the steps under way finish and no new one starts. Stop now: the "
			"commands running on the hosts are ended too. Either way the journal "
			"records everything, and Resume continues from there, here or with "
			"k8s-wizard resume."),
		      items, 3, 0, false, stop_done, p);
	return true;
}

static bool run_busy(void *state, struct wizard *w)
{
	(void)w;
	return running(state);
}

/* --- the log -------------------------------------------------------------- */

/* The end of a host's log, in a dialog. */
static void show_log(struct runpage *p, struct wizard *w)
{
	struct runmodel *m = runctl_model(p->ctl);
	const char *host = NULL;
	char *path = NULL, *data = NULL, *err = NULL, *title = NULL, *text = NULL;
	const char *start = NULL;
	size_t len = 0;

	if (m == NULL || m->log_dir == NULL)
		return;
	host = m->failure.set && p->view == VIEW_FAILURE ? m->failure.host
							  : m->hosts[p->focus].name;
	path = xasprintf("%s/%s.log", m->log_dir, host);
	switch (fileio_read_tail(path, LOG_TAIL_BYTES, &data, &len, &err)) {
	case 0:
		break;
	case 1:
		/* L10N: the log file's path. */
		err = xasprintf(_("%s does not exist yet: the host has not been contacted."), path);
		/* fall through */
	default:
		wizard_message(w, _("Show log"), err);
		free(err);
		free(path);
		return;
	}
	start = data;
	/* From a line's start, when the file was cut. */
	if (len == LOG_TAIL_BYTES && strchr(data, '\n') != NULL)
		start = strchr(data, '\n') + 1;
	/* L10N: a host's name. */
	title = xasprintf(_("Log of %s"), host);
	text = xasprintf("%s\n\n%s", path, *start != '\0' ? start : _("(empty)"));
	wizard_message(w, title, text);
	wizard_dialog_scroll_end(w);
	free(title);
	free(text);
	free(data);
	free(path);
}

/* --- keys ----------------------------------------------------------------- */

static void move_focus(struct runpage *p, int delta)
{
	struct runmodel *m = runctl_model(p->ctl);
	int n = (int)m->n_hosts;

	p->focus = (p->focus + delta + n) % n;
	p->scroll = 0;
	p->follow = false;
	if (p->view == VIEW_FAILURE || p->view == VIEW_CHECKS)
		p->view = VIEW_OUTPUT;
}

/* Tab: the output, the checks, the failure panel (when there is one), the
 * summary (when there is one). */
static void next_view(struct runpage *p)
{
	struct runmodel *m = runctl_model(p->ctl);
	bool summary = runctl_state(p->ctl) == RUNCTL_ENDED && m->outcome == ENGINE_DONE;

	switch (p->view) {
	case VIEW_OUTPUT:
		p->view = VIEW_CHECKS;
		break;
	case VIEW_CHECKS:
		p->view = m->failure.set ? VIEW_FAILURE : summary ? VIEW_SUMMARY : VIEW_OUTPUT;
		break;
	case VIEW_FAILURE:
		p->view = summary ? VIEW_SUMMARY : VIEW_OUTPUT;
		break;
	case VIEW_SUMMARY:
		p->view = VIEW_OUTPUT;
		break;
	}
	p->scroll = 0;
}

static void scroll_pane(struct runpage *p, int delta)
{
	if (delta < 0)
		p->scroll += (size_t)-delta;
	else
		p->scroll = p->scroll > (size_t)delta ? p->scroll - (size_t)delta : 0;
}

static int click(struct runpage *p, const struct ui_event *ev)
{
	struct runmodel *m = runctl_model(p->ctl);
	int row = ev->y - p->win_y - p->hosts_y;

	if (row < 0 || row >= p->hosts_rows || p->hosts_first + row >= (int)m->n_hosts)
		return 0;
	p->focus = p->hosts_first + row;
	p->follow = false;
	p->scroll = 0;
	p->view = VIEW_OUTPUT;
	return UI_HANDLED | UI_REDRAW;
}

static int run_key(void *state, struct wizard *w, const struct ui_event *ev)
{
	struct runpage *p = state;
	enum runctl_state s = runctl_state(p->ctl);
	struct runmodel *m = runctl_model(p->ctl);
	bool ended = s == RUNCTL_ENDED;
	bool dashboard = m != NULL && m->state != RM_IDLE;

	if (ev->type == EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == KEY_ENTER)) {
		/* Enter starts, or after a stop or a failure resumes (start() saves
		 * the plan first: no UI_SAVE, the run now holds the lock). */
		if (s == RUNCTL_IDLE || (ended && (!dashboard || m->outcome != ENGINE_DONE))) {
			start(p, w);
			return UI_HANDLED | UI_REDRAW;
		}
		return UI_HANDLED;
	}
	if (!dashboard)
		return 0;
	if (ev->type == EV_CLICK)
		return click(p, ev);
	if (ev->type == EV_SCROLL) {
		scroll_pane(p, ev->delta);
		return UI_HANDLED | UI_REDRAW;
	}
	if (ev->type == EV_CHAR) {
		switch (ev->ch) {
		case 'f':
			p->follow = !p->follow;
			p->scroll = 0;
			return UI_HANDLED | UI_REDRAW;
		case 'r':
			if (ended && m->outcome != ENGINE_DONE) {
				start(p, w);
				return UI_HANDLED | UI_REDRAW;
			}
			wizard_status(w, STATUS_INFO, "%s",
				      _("Retry is possible once the run has ended."));
			return UI_HANDLED | UI_REDRAW;
		case 'a':
			if (running(p) && m->failure.set) {
				runctl_abort(p->ctl);
				wizard_status(w, STATUS_INFO, "%s",
					      _("Ending the commands running on the hosts."));
			}
			return UI_HANDLED | UI_REDRAW;
		case 'l':
			show_log(p, w);
			return UI_HANDLED | UI_REDRAW;
		default:
			return 0;
		}
	}
	if (ev->type != EV_KEY)
		return 0;
	switch (ev->key) {
	case KEY_UP:
		move_focus(p, -1);
		return UI_HANDLED | UI_REDRAW;
	case KEY_DOWN:
		move_focus(p, 1);
		return UI_HANDLED | UI_REDRAW;
	case UI_KEY_TAB:
		next_view(p);
		return UI_HANDLED | UI_REDRAW;
	case KEY_PPAGE:
		if (!running(p) && p->view == VIEW_SUMMARY)
			return 0;
		scroll_pane(p, -(p->pane_rows > 2 ? p->pane_rows - 1 : 1));
		return UI_HANDLED | UI_REDRAW;
	case KEY_NPAGE:
		scroll_pane(p, p->pane_rows > 2 ? p->pane_rows - 1 : 1);
		return UI_HANDLED | UI_REDRAW;
	case KEY_END:
		p->scroll = 0;
		return UI_HANDLED | UI_REDRAW;
	case KEY_HOME:
		p->scroll = RUNMODEL_LINES;
		return UI_HANDLED | UI_REDRAW;
	default:
		return 0;
	}
}

static void run_footer(void *state, struct wizard *w, struct footer *f)
{
	struct runpage *p = state;
	enum runctl_state s = runctl_state(p->ctl);
	struct runmodel *m = runctl_model(p->ctl);
	bool dashboard = m != NULL && s != RUNCTL_IDLE && (s != RUNCTL_ENDED || m->state != RM_IDLE);

	(void)w;
	/* L10N: footer words: keep them short, the footer holds every key in
	 * 80 columns. */
	if (s == RUNCTL_IDLE)
		footer_add(f, "Enter", N_("start"), UI_KEY_ENTER);
	else if (s == RUNCTL_ENDED && (!dashboard || m->outcome != ENGINE_DONE))
		footer_add(f, "Enter", N_("resume"), UI_KEY_ENTER);
	if (!dashboard)
		return;
	footer_add(f, "Up/Down", N_("host"), KEY_DOWN);
	footer_add(f, "Tab", N_("view"), UI_KEY_TAB);
	footer_add(f, "f", N_("follow"), 'f');
	if (m->failure.set && s == RUNCTL_ENDED && m->outcome != ENGINE_DONE)
		footer_add(f, "r", N_("retry"), 'r');
	if (m->failure.set && running(p))
		footer_add(f, "a", N_("abort"), 'a');
	footer_add(f, "l", N_("log"), 'l');
}

/* --- the engine's events -------------------------------------------------- */

static int run_wait(void *state, struct wizard *w, int *timeout_ms)
{
	struct runpage *p = state;

	(void)w;
	*timeout_ms = runctl_timeout(p->ctl);
	return runctl_fd(p->ctl);
}

/* "follow": the focus goes to the host that printed last, but stays at
 * least FOLLOW_MS on one, so that it can be read. */
static void follow(struct runpage *p, int64_t now)
{
	struct runmodel *m = runctl_model(p->ctl);
	int best = -1;

	if (!p->follow || now - p->followed_ms < FOLLOW_MS)
		return;
	for (size_t i = 0; i < m->n_hosts; i++) {
		if (m->hosts[i].printed_ms != 0 &&
		    (best < 0 || m->hosts[i].printed_ms > m->hosts[best].printed_ms))
			best = (int)i;
	}
	if (best >= 0 && best != p->focus) {
		p->focus = best;
		p->scroll = 0;
		p->followed_ms = now;
	}
}

static int run_wake(void *state, struct wizard *w, int budget_ms)
{
	struct runpage *p = state;
	enum runctl_state before = runctl_state(p->ctl);
	struct runmodel *m = NULL;
	int64_t now = mono_ms();
	bool changed;
	int flags = 0;

	/* An ended run asks nothing: runctl drops its question when it ends. */
	if (before == RUNCTL_IDLE || before == RUNCTL_ENDED)
		return 0;
	changed = runctl_pump(p->ctl, now, budget_ms);
	m = runctl_model(p->ctl);
	follow(p, now);
	if (m->failure.set && !p->failure_seen) {
		p->failure_seen = true;
		p->view = VIEW_FAILURE;
	}
	if (runctl_state(p->ctl) == RUNCTL_ENDED && m->state == RM_ENDED &&
	    m->outcome == ENGINE_DONE)
		p->view = VIEW_SUMMARY;
	ask(p, w);
	/* The clocks move while the run goes. */
	if (changed || running(p))
		flags |= UI_REDRAW;
	return flags;
}

const struct screen_ops screen_run_ops = {
	.name = "run",
	.title = N_("Run"),
	.intro = N_("Installing the cluster"),
	.init = run_init,
	.free = run_free,
	.enter = run_enter,
	.draw = run_draw,
	.key = run_key,
	.footer = run_footer,
	.wait = run_wait,
	.wake = run_wake,
	.busy = run_busy,
	.quit = run_quit,
};
