/* Drawing the Run page from its model: before the run, what will happen;
 * during it, the dashboard (progress line, the phases with their state and
 * time, the hosts with a cell per phase, the focused host's transcript or
 * the checks, the latest checks and notes), the failure panel, and at the
 * end the summary. Every state is a symbol as well as a colour, so the page
 * reads in monochrome and with NO_COLOR. It reads the model only. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine.h"
#include "../src/nls.h"
#include "../src/phase.h"
#include "../src/render.h"
#include "../src/xmalloc.h"
#include "runpage.h"
#include "text.h"
#include "theme.h"
#include "ui.h"

/* The phases column: a symbol, the name, the time. */
#define PHASE_NAME_W 18
#define PHASE_COL_W 28
#define BAR_W 20
#define HOST_NAME_W 10

struct sym_role {
	enum text_symbol sym;
	enum theme_role role;
};

static struct sym_role cell_look(enum runmodel_cell c)
{
	switch (c) {
	case RM_CELL_RUNNING:
		return (struct sym_role){ SYM_RUNNING, ROLE_RUNNING };
	case RM_CELL_DONE:
		return (struct sym_role){ SYM_OK, ROLE_OK };
	case RM_CELL_FAILED:
		return (struct sym_role){ SYM_ERROR, ROLE_ERROR };
	case RM_CELL_SKIPPED:
		return (struct sym_role){ SYM_SKIPPED, ROLE_HELP };
	case RM_CELL_STOPPED:
		return (struct sym_role){ SYM_STOPPED, ROLE_WARNING };
	case RM_CELL_PENDING:
	case RM_CELL_NONE:
	default:
		return (struct sym_role){ SYM_PENDING, ROLE_HELP };
	}
}

static struct sym_role phase_look(enum runmodel_phase_state s)
{
	static const enum runmodel_cell cells[] = {
		[RM_PHASE_PENDING] = RM_CELL_PENDING, [RM_PHASE_RUNNING] = RM_CELL_RUNNING,
		[RM_PHASE_DONE] = RM_CELL_DONE,       [RM_PHASE_FAILED] = RM_CELL_FAILED,
		[RM_PHASE_SKIPPED] = RM_CELL_SKIPPED, [RM_PHASE_STOPPED] = RM_CELL_STOPPED,
	};

	return cell_look(cells[s]);
}

static struct sym_role line_look(enum runmodel_line_kind k)
{
	switch (k) {
	case RM_LINE_STEP:
		return (struct sym_role){ SYM_RUNNING, ROLE_RUNNING };
	case RM_LINE_STEP_OK:
	case RM_LINE_CHECK_OK:
		return (struct sym_role){ SYM_OK, ROLE_OK };
	case RM_LINE_FAILED:
		return (struct sym_role){ SYM_ERROR, ROLE_ERROR };
	case RM_LINE_NOTE:
		return (struct sym_role){ SYM_PENDING, ROLE_HELP };
	case RM_LINE_STDERR:
		return (struct sym_role){ SYM_WARNING, ROLE_WARNING };
	case RM_LINE_STDOUT:
	default:
		return (struct sym_role){ SYM_PENDING, ROLE_NORMAL };
	}
}

/* The name of a host as shown: the cluster's steps and checks are under
 * "cluster", translated. */
static const char *shown_host(const char *name)
{
	return strcmp(name, RENDER_CLUSTER) == 0 ? _("cluster") : name;
}

/* 12s, 3:05, 1:02:03. */
static char *rundraw_duration(int64_t ms)
{
	int64_t s = ms / 1000;

	if (s < 60)
		return xasprintf("%llds", (long long)s);
	if (s < 3600)
		return xasprintf("%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
	return xasprintf("%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
			 (long long)(s % 60));
}

/* 12 KiB, 3.4 MiB. */
static char *size_text(uint64_t bytes)
{
	if (bytes < 1048576)
		return xasprintf("%.0f KiB", (double)bytes / 1024.0);
	return xasprintf("%.1f MiB", (double)bytes / 1048576.0);
}

/* A phase's time in the table: tenths below a minute. */
static char *phase_time(int64_t ms)
{
	if (ms < 0)
		return xstrdup("");
	if (ms < 60000)
		return xasprintf("%.1fs", (double)ms / 1000.0);
	return rundraw_duration(ms);
}

/* Wrapped text from row y in columns x..x+width; returns the next row. Rows
 * past last are not drawn. */
static int para(WINDOW *win, int y, int x, int width, int last, const char *s,
		enum theme_role role)
{
	char **lines = NULL;
	size_t n = text_wrap(s, width, &lines);

	for (size_t i = 0; i < n; i++, y++) {
		if (y <= last)
			text_draw(win, y, x, lines[i], width, theme_attr(role), false);
	}
	text_lines_free(&lines, n);
	return y;
}

/* A symbol then text, cut to width. */
static void sym_line(WINDOW *win, int y, int x, int width, struct sym_role look,
		     const char *text, enum theme_role text_role)
{
	const char *sym = text_symbol(look.sym);
	int sw = text_width(sym);

	if (width <= sw + 1)
		return;
	text_draw(win, y, x, sym, sw, theme_attr(look.role), false);
	text_draw(win, y, x + sw + 1, text, width - sw - 1, theme_attr(text_role), false);
}

/* --- before the run ------------------------------------------------------- */

static int demo_notice(WINDOW *win, int y, int width, int last)
{
	return para(win, y, 2, width, last,
		    _("Lab demo: the hosts are the lab's containers on this machine. Real: "
		      "sshd, the uploads, systemd and the units written, containerd, etcd (a "
		      "real cluster with the generated certificates), haproxy, the TLS health "
		      "probes. The lab's stand-ins (tests/lab/): the kubelet, crictl, the API "
		      "server's API, modprobe and sysctl; they say so in their output."),
		    ROLE_WARNING);
}

static void draw_ready(struct runpage *p, struct wizard *w, WINDOW *win)
{
	int width = getmaxx(win) - 4, last = getmaxy(win) - 1, y = 0;
	const char *kh = w->opt->known_hosts != NULL ? w->opt->known_hosts : "~/.ssh/known_hosts";
	char *line = NULL;

	/* L10N: the cluster's name. */
	line = xasprintf(_("Ready to install cluster %s"), w->plan->name);
	text_draw(win, y++, 1, line, width, theme_attr(ROLE_HEADING), false);
	free(line);
	y++;
	if (w->errors > 0) {
		line = xasprintf(P_("The plan has %zu error: a run cannot start. PgUp goes back to "
				    "the review page, which lists it.",
				    "The plan has %zu errors: a run cannot start. PgUp goes back to "
				    "the review page, which lists them.", w->errors), w->errors);
		y = para(win, y, 2, width, last, line, ROLE_ERROR);
		free(line);
		return;
	}
	/* L10N: how many hosts have each role. */
	line = xasprintf(_("Hosts: %zu masters, %zu etcd members, %zu workers."),
			 plan_count_role(w->plan, ROLE_MASTER), plan_count_role(w->plan, ROLE_ETCD),
			 plan_count_role(w->plan, ROLE_WORKER));
	y = para(win, y, 2, width, last, line, ROLE_NORMAL);
	free(line);
	y = para(win, y, 2, width, last,
		 p->run_before ? _("The cluster's journal has an earlier run: the run continues "
				   "it. Steps done before with the same inputs are skipped; the "
				   "rest runs, and every phase's health checks run again.")
			       : _("The run goes through the phases in order over SSH; each "
				   "phase ends when its health checks pass."),
		 ROLE_NORMAL);
	/* L10N: the known_hosts file. */
	line = xasprintf(_("Host keys are checked against %s: a key not there is shown here, "
			   "for you to accept or refuse; a changed key is refused."), kh);
	y = para(win, y, 2, width, last, line, ROLE_NORMAL);
	free(line);
	y++;
	if (w->opt->demo)
		y = demo_notice(win, y, width, last) + 1;
	para(win, y, 2, width, last,
	     _("Enter starts the run. F10 or Ctrl-C stops it cleanly, and it can be resumed "
	       "later: here, from the welcome page, or with k8s-wizard resume."),
	     ROLE_OK);
}

static void draw_not_started(struct runpage *p, WINDOW *win)
{
	int width = getmaxx(win) - 4, last = getmaxy(win) - 1, y = 0;
	bool locked = false;
	const char *err = runctl_error(p->ctl, &locked);

	text_draw(win, y++, 1, _("The run could not start"), width, theme_attr(ROLE_ERROR), false);
	y++;
	y = para(win, y, 2, width, last, err != NULL ? err : "?", ROLE_ERROR);
	y++;
	para(win, y, 2, width, last,
	     locked ? _("Another k8s-wizard holds this cluster's state directory. When it has "
			"ended, Enter tries again.")
		    : _("No host was contacted. Fix the cause, then Enter tries again."),
	     ROLE_NORMAL);
}

/* --- the dashboard -------------------------------------------------------- */

static void draw_progress(struct runpage *p, WINDOW *win, int64_t now)
{
	struct runmodel *m = runctl_model(p->ctl);
	int width = getmaxx(win) - 2, x = 1, bw;
	unsigned pm = runmodel_permille(m);
	int64_t eta = runmodel_eta_ms(m, now);
	char *elapsed = NULL, *left = NULL, *line = NULL, *state = NULL;
	enum theme_role state_role = ROLE_NORMAL;
	int full = (int)(pm * BAR_W / 1000);

	if (runctl_state(p->ctl) == RUNCTL_PREPARING) {
		text_draw(win, 0, 1, _("Preparing the run: certificates, the files of every host, "
				       "the state directory's lock…"),
			  width, theme_attr(ROLE_RUNNING), false);
		return;
	}
	for (int i = 0; i < BAR_W; i++) {
		const char *s = text_symbol(i < full ? SYM_BAR_FULL : SYM_BAR_EMPTY);

		text_draw(win, 0, x + i, s, 1, theme_attr(i < full ? ROLE_OK : ROLE_HELP), false);
	}
	x += BAR_W + 1;
	elapsed = rundraw_duration((m->end_ms != 0 ? m->end_ms : now) - m->start_ms);
	/* L10N: the time left, after the time the run has taken: "~1:05 left". */
	if (m->state != RM_ENDED && eta >= 0) {
		char *d = rundraw_duration(eta);

		left = xasprintf(_(", ~%s left"), d);
		free(d);
	} else {
		left = xstrdup("");
	}
	if (m->bytes_total > 0) {
		char *done = size_text(m->bytes_done), *total = size_text(m->bytes_total);

		/* L10N: percent, steps done, steps to run, bytes sent, bytes to send
		 * ("1.5 MiB"), the time the run has taken, then ", ~TIME left" or
		 * nothing. Keep it short: 80 columns hold it beside a bar of 21. */
		line = xasprintf(_("%3u%%  %llu/%llu steps  %s/%s  %s%s"), pm / 10,
				 (unsigned long long)m->steps_ended,
				 (unsigned long long)m->steps_total, done, total, elapsed, left);
		free(done);
		free(total);
	} else
		/* L10N: percent, steps done, steps to run, the time the run has
		 * taken, then ", ~TIME left" or nothing. */
		line = xasprintf(_("%3u%%  %llu/%llu steps  %s%s"), pm / 10,
				 (unsigned long long)m->steps_ended,
				 (unsigned long long)m->steps_total, elapsed, left);
	if (m->state == RM_ENDED) {
		state = xstrdup(m->outcome == ENGINE_DONE      ? _("done")
				: m->outcome == ENGINE_STOPPED ? _("stopped")
							       : _("failed"));
		state_role = m->outcome == ENGINE_DONE ? ROLE_OK
			     : m->outcome == ENGINE_STOPPED ? ROLE_WARNING
							    : ROLE_ERROR;
	} else if (m->aborting) {
		state = xstrdup(_("ending the commands now…"));
		state_role = ROLE_WARNING;
	} else if (m->stopping) {
		state = xstrdup(_("stopping…"));
		state_role = ROLE_WARNING;
	}
	bw = width - (x - 1);
	if (state != NULL) {
		int sw = text_width(state);

		text_draw(win, 0, width + 1 - sw, state, sw, theme_attr(state_role), false);
		bw -= sw + 1;
	}
	text_draw(win, 0, x, line, bw, theme_attr(ROLE_NORMAL), false);
	free(elapsed);
	free(left);
	free(line);
	free(state);
}

/* The phases, each with its state and time; a window around the current
 * one when they do not all fit. */
static void draw_phases(struct runmodel *m, WINDOW *win, int y0, int rows, int64_t now)
{
	int first = 0;

	if (rows < PHASE_COUNT && m->current > rows / 2)
		first = m->current - rows / 2;
	if (first > PHASE_COUNT - rows)
		first = PHASE_COUNT - rows > 0 ? PHASE_COUNT - rows : 0;
	for (int r = 0; r < rows && first + r < PHASE_COUNT; r++) {
		int ph = first + r;
		struct sym_role look = phase_look(m->phases[ph].state);
		char *t = phase_time(runmodel_phase_ms(m, ph, now));
		enum theme_role role = m->phases[ph].state == RM_PHASE_RUNNING ? ROLE_RUNNING
				       : m->phases[ph].state == RM_PHASE_FAILED ? ROLE_ERROR
				       : m->phases[ph].state == RM_PHASE_SKIPPED ? ROLE_HELP
										 : ROLE_NORMAL;

		sym_line(win, y0 + r, 1, PHASE_NAME_W + 2, look, phase_name((enum phase)ph), role);
		text_draw(win, y0 + r, PHASE_COL_W - 1 - text_width(t), t, text_width(t),
			  theme_attr(ROLE_HELP), false);
		free(t);
	}
}

/* A host's symbol: failed anywhere, else busy, else done with everything. */
static struct sym_role host_look(const struct runmodel_host *h)
{
	bool running = false, pending = false;

	for (int p = 0; p < PHASE_COUNT; p++) {
		if (h->cells[p] == RM_CELL_FAILED)
			return cell_look(RM_CELL_FAILED);
		running = running || h->cells[p] == RM_CELL_RUNNING;
		pending = pending || h->cells[p] == RM_CELL_PENDING ||
			  h->cells[p] == RM_CELL_STOPPED;
	}
	if (running)
		return cell_look(RM_CELL_RUNNING);
	return cell_look(pending ? RM_CELL_PENDING : RM_CELL_DONE);
}

/* What a host does now, for its row. */
static char *host_doing(const struct runmodel_host *h)
{
	if (h->doing == NULL)
		return xstrdup("");
	if (h->up_total > 0) {
		char *done = size_text(h->up_done), *total = size_text(h->up_total);
		char *s = xasprintf("%s %s/%s", h->doing, done, total);

		free(done);
		free(total);
		return s;
	}
	if (h->attempt > 1)
		/* L10N: what a host does, and which attempt it is. */
		return xasprintf(_("%s (attempt %u)"), h->doing, h->attempt);
	return xstrdup(h->doing);
}

/* The hosts, a row each: symbol, name, a cell per phase, what it does. */
static void draw_hosts(struct runpage *p, struct runmodel *m, WINDOW *win, int y0, int x0,
		       int width, int rows)
{
	int cells_x = x0 + 2 + HOST_NAME_W + 1;
	int shown = rows - 1;

	/* Keep the focused host in view. */
	if (p->focus < p->hosts_first)
		p->hosts_first = p->focus;
	if (p->focus >= p->hosts_first + shown)
		p->hosts_first = p->focus - shown + 1;
	if (p->hosts_first > (int)m->n_hosts - shown)
		p->hosts_first = (int)m->n_hosts - shown > 0 ? (int)m->n_hosts - shown : 0;
	p->hosts_y = y0 + 1;
	p->hosts_rows = shown;
	text_draw(win, y0, x0 + 2, _("host"), HOST_NAME_W, theme_attr(ROLE_HELP), false);
	if (m->current >= 0) {
		text_draw(win, y0, cells_x + m->current, text_symbol(SYM_DOWN), 1,
			  theme_attr(ROLE_RUNNING), false);
		text_draw(win, y0, cells_x + PHASE_COUNT + 1, phase_name((enum phase)m->current),
			  width - (cells_x - x0) - PHASE_COUNT - 1, theme_attr(ROLE_RUNNING), false);
	}
	if (p->hosts_first > 0)
		text_draw(win, y0, x0, text_symbol(SYM_UP), 1, theme_attr(ROLE_HELP), false);
	for (int r = 0; r < shown && p->hosts_first + r < (int)m->n_hosts; r++) {
		int i = p->hosts_first + r, y = y0 + 1 + r;
		const struct runmodel_host *h = &m->hosts[i];
		struct sym_role look = host_look(h);
		char *doing = host_doing(h);

		text_draw(win, y, x0, text_symbol(look.sym), 1, theme_attr(look.role), false);
		text_draw(win, y, x0 + 2, shown_host(h->name), HOST_NAME_W,
			  theme_attr(i == p->focus ? ROLE_FOCUS : ROLE_NORMAL), true);
		for (int ph = 0; ph < PHASE_COUNT; ph++) {
			struct sym_role c = cell_look(h->cells[ph]);

			if (h->cells[ph] != RM_CELL_NONE)
				text_draw(win, y, cells_x + ph, text_symbol(c.sym), 1,
					  theme_attr(c.role), false);
		}
		text_draw(win, y, cells_x + PHASE_COUNT + 1, doing,
			  width - (cells_x - x0) - PHASE_COUNT - 1, theme_attr(ROLE_HELP), false);
		free(doing);
	}
	if (p->hosts_first + shown < (int)m->n_hosts)
		text_draw(win, y0 + shown, x0, text_symbol(SYM_DOWN), 1, theme_attr(ROLE_HELP),
			  false);
}

/* The focused host's transcript, newest at the bottom; or every check. */
static void draw_pane(struct runpage *p, struct runmodel *m, WINDOW *win, int y0, int x0,
		      int width, int rows)
{
	const struct runmodel_host *h = &m->hosts[p->focus];
	size_t held = p->view == VIEW_CHECKS ? m->n_checks : h->lines.n;
	char *title = NULL;

	p->pane_rows = rows - 1;
	if (p->scroll + (size_t)p->pane_rows > held)
		p->scroll = held > (size_t)p->pane_rows ? held - (size_t)p->pane_rows : 0;
	if (p->view == VIEW_CHECKS)
		/* L10N: checks that passed and failed so far. */
		title = xasprintf(_("Health checks: %llu passed, %llu failed (Tab: output)"),
				  (unsigned long long)m->checks_passed,
				  (unsigned long long)m->checks_failed);
	else if (p->follow)
		/* L10N: a host's name. Short: the pane may be 50 columns wide. */
		title = xasprintf(_("%s: output, following (f: hold)"), shown_host(h->name));
	else
		/* L10N: a host's name. Short: the pane may be 50 columns wide. */
		title = xasprintf(_("%s: output (f: follow)"), shown_host(h->name));
	text_draw(win, y0, x0, title, width, theme_attr(ROLE_HEADING), false);
	free(title);
	if (p->scroll > 0) {
		/* L10N: lines below the ones shown. */
		title = xasprintf(_("%s %zu newer (End)"), text_symbol(SYM_DOWN), p->scroll);
		text_draw(win, y0 + rows - 1, x0 + width - text_width(title), title,
			  text_width(title), theme_attr(ROLE_WARNING), false);
		free(title);
	}
	for (int r = 0; r < p->pane_rows; r++) {
		size_t i = p->scroll + (size_t)(p->pane_rows - 1 - r);
		int y = y0 + 1 + r;
		int w = p->scroll > 0 && r == p->pane_rows - 1 ? width - 14 : width;

		if (p->view == VIEW_CHECKS) {
			const struct runmodel_check *c = runmodel_check_at(m, i);
			char *text = NULL;

			if (c == NULL)
				continue;
			text = xasprintf("%s %s: %s", shown_host(c->host), c->name, c->detail);
			sym_line(win, y, x0, w,
				 c->status == EVENT_CHECK_PASSED   ? line_look(RM_LINE_CHECK_OK)
				 : c->status == EVENT_CHECK_FAILED ? line_look(RM_LINE_FAILED)
								   : line_look(RM_LINE_NOTE),
				 text, ROLE_NORMAL);
			free(text);
		} else {
			const struct runmodel_line *l = runmodel_line(h, i);

			if (l == NULL)
				continue;
			if (l->kind == RM_LINE_STDOUT)
				text_draw(win, y, x0 + 2, l->text, w - 2, theme_attr(ROLE_NORMAL),
					  false);
			else
				sym_line(win, y, x0, w, line_look(l->kind), l->text,
					 l->kind == RM_LINE_FAILED ? ROLE_ERROR : ROLE_NORMAL);
		}
	}
}

/* The latest checks and notes of every host, newest at the bottom. */
static void draw_feed(struct runmodel *m, WINDOW *win, int y0, int rows, int width)
{
	for (int r = 0; r < rows; r++) {
		const struct runmodel_feed *f = runmodel_feed_at(m, (size_t)(rows - 1 - r));
		char *text = NULL;

		if (f == NULL)
			continue;
		text = f->host != NULL && strcmp(f->host, RENDER_CLUSTER) != 0
			       ? xasprintf("%s %s", f->host, f->text)
			       : xstrdup(f->text);
		sym_line(win, y0 + r, 1, width - 1, line_look(f->kind), text,
			 f->kind == RM_LINE_FAILED ? ROLE_ERROR : ROLE_NORMAL);
		free(text);
	}
}

/* The failure panel: who, what, how it ended, what it printed last, the
 * diagnostics and what to do. */
static void draw_failure(struct runpage *p, struct runmodel *m, WINDOW *win, int y, int x,
			 int width, int last)
{
	const struct runmodel_failure *f = &m->failure;
	char *line = NULL, *path = NULL;
	bool ended = runctl_state(p->ctl) == RUNCTL_ENDED;

	/* L10N: host and phase of the failure. */
	line = xasprintf(_("%s %s failed in phase %s"), text_symbol(SYM_ERROR),
			 shown_host(f->host),
			 f->phase >= 0 ? phase_name((enum phase)f->phase) : "?");
	text_draw(win, y++, x, line, width, theme_attr(ROLE_ERROR), false);
	free(line);
	/* L10N: the step's command, or "check NAME". */
	line = xasprintf(_("Step: %s"), f->what);
	y = para(win, y, x, width, last, line, ROLE_NORMAL);
	free(line);
	if (f->exit_code >= 0 && strstr(f->why, "exit status") == NULL) {
		/* L10N: a command's exit status, and what the engine says of it. */
		line = xasprintf(_("Exit status %d: %s"), f->exit_code, f->why);
	} else {
		/* L10N: what the engine says of the failure. */
		line = xasprintf(_("Why: %s"), f->why);
	}
	y = para(win, y, x, width, last, line, ROLE_NORMAL);
	free(line);
	if (f->n_last > 0 && y <= last)
		text_draw(win, y++, x, _("It printed last:"), width, theme_attr(ROLE_HELP), false);
	for (size_t i = f->n_last > 4 ? f->n_last - 4 : 0; i < f->n_last && y <= last; i++)
		text_draw(win, y++, x + 2, f->last[i], width - 2, theme_attr(ROLE_NORMAL), false);
	if (f->diag_path != NULL) {
		/* L10N: where to look first, from the diagnostics. */
		line = xasprintf(_("Look first at: %s"), f->diag_hint);
		y = para(win, y, x, width, last, line, ROLE_WARNING);
		free(line);
		path = wizard_home_short(f->diag_path);
		/* L10N: the path of the diagnostics file. */
		line = xasprintf(_("Diagnostics (journalctl, systemctl, crictl): %s"), path);
		y = para(win, y, x, width, last, line, ROLE_NORMAL);
		free(line);
		free(path);
	} else if (!ended) {
		y = para(win, y, x, width, last, _("Collecting diagnostics from the host…"),
			 ROLE_HELP);
	}
	para(win, y, x, width, last,
	     ended ? _("Fix the cause, then r retries: done steps are not repeated. l shows the "
		       "host's log.")
		   : _("The other hosts finish their steps first; a ends them now. l shows the "
		       "host's log."),
	     ROLE_OK);
}

static void draw_dashboard(struct runpage *p, struct wizard *w, WINDOW *win, int64_t now)
{
	struct runmodel *m = runctl_model(p->ctl);
	int height = getmaxy(win), width = getmaxx(win);
	int notice = w->opt->demo ? 1 : 0;
	int feed = 3 - notice;
	int body = height - 1 - feed - notice;
	int rx = PHASE_COL_W + 1, rw = width - rx - 1;
	int hosts = (int)m->n_hosts + 1;

	draw_progress(p, win, now);
	draw_phases(m, win, 1, body < PHASE_COUNT ? body : PHASE_COUNT, now);
	if (hosts > body / 3 + 1)
		hosts = body / 3 + 1;
	if (hosts < 2)
		hosts = 2;
	draw_hosts(p, m, win, 1, rx, rw, hosts);
	if (p->view == VIEW_FAILURE && m->failure.set)
		draw_failure(p, m, win, 1 + hosts, rx, rw, height - 1 - notice);
	else
		draw_pane(p, m, win, 1 + hosts, rx, rw, body - hosts);
	if (p->view != VIEW_FAILURE || !m->failure.set)
		draw_feed(m, win, 1 + body, feed, width - 1);
	if (notice)
		text_draw(win, height - 1, 1,
			  _("Lab demo: sshd, uploads, systemd, containerd, etcd and TLS probes are "
			    "real; kubelet, crictl and the API are stand-ins (tests/lab)."),
			  width - 2, theme_attr(ROLE_WARNING), false);
}

/* --- the summary ------------------------------------------------------------ */

static void draw_summary(struct runpage *p, WINDOW *win)
{
	struct runmodel *m = runctl_model(p->ctl);
	int width = getmaxx(win) - 4, last = getmaxy(win) - 1, y = 0, col = 0;
	struct engine_stats st = { 0 };
	const char *why = NULL, *nodes = runctl_nodes(p->ctl, &why);
	const char *kubeconfig = runctl_kubeconfig(p->ctl);
	char *line = NULL, *path = NULL;

	runctl_stats(p->ctl, &st);
	/* L10N: the cluster's name. */
	line = xasprintf(_("%s Cluster %s is installed and healthy"), text_symbol(SYM_OK),
			 runctl_cluster(p->ctl));
	text_draw(win, y++, 1, line, width, theme_attr(ROLE_OK), false);
	free(line);
	/* L10N: steps run, steps skipped, retries, checks passed. */
	line = xasprintf(_("%zu steps run, %zu already done, %zu retries; %zu checks passed."),
			 st.steps_run, st.steps_skipped, st.retries, st.checks_passed);
	y = para(win, y, 2, width, last, line, ROLE_NORMAL);
	free(line);
	text_draw(win, y++, 1, _("Nodes"), width, theme_attr(ROLE_HEADING), false);
	if (nodes != NULL) {
		char *copy = xstrdup(nodes), *save = NULL;
		int shown = 0;

		for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
			if (shown++ < 6 && y <= last)
				text_draw(win, y++, 3, l, width - 1, theme_attr(ROLE_NORMAL), false);
		}
		if (shown > 6 && y <= last) {
			/* L10N: nodes not listed here. */
			line = xasprintf(_("…and %d more: kubectl get nodes lists them"), shown - 6);
			text_draw(win, y++, 3, line, width - 1, theme_attr(ROLE_HELP), false);
			free(line);
		}
		free(copy);
	} else {
		/* L10N: why the nodes could not be listed. */
		line = xasprintf(_("Cannot list them: %s"), why != NULL ? why : "?");
		y = para(win, y, 3, width - 1, last, line, ROLE_WARNING);
		free(line);
	}
	if (kubeconfig != NULL) {
		path = wizard_home_short(kubeconfig);
		/* L10N: path of the admin kubeconfig. */
		line = xasprintf(_("Admin kubeconfig: %s (keep it safe: it is the cluster's root "
				   "login)"), path);
		y = para(win, y, 1, width + 2, last, line, ROLE_NORMAL);
		free(line);
		/* L10N: path of the admin kubeconfig. */
		line = xasprintf(_("Try: kubectl --kubeconfig %s get nodes -o wide"), path);
		y = para(win, y, 3, width, last, line, ROLE_HELP);
		free(line);
		free(path);
	}
	if (y <= last)
		text_draw(win, y++, 1, _("Time per phase"), width, theme_attr(ROLE_HEADING), false);
	for (int ph = 0; ph < PHASE_COUNT; ph++) {
		char *t = NULL;

		if (st.phase_ms[ph] < 0)
			continue;
		t = phase_time(st.phase_ms[ph]);
		line = xasprintf("%-18s%7s", phase_name((enum phase)ph), t);
		if (y <= last)
			text_draw(win, y, 3 + col * 26, line, 25, theme_attr(ROLE_NORMAL), false);
		free(line);
		free(t);
		if (++col == 3) {
			col = 0;
			y++;
		}
	}
	if (col != 0)
		y++;
	path = wizard_home_short(m->log_dir);
	/* L10N: the run's log directory. */
	line = xasprintf(_("Logs: %s"), path);
	para(win, y, 1, width + 2, last, line, ROLE_NORMAL);
	free(line);
	free(path);
}

void rundraw_page(struct runpage *p, struct wizard *w, WINDOW *win, int64_t now)
{
	struct runmodel *m = runctl_model(p->ctl);

	p->win_y = getbegy(win);
	switch (runctl_state(p->ctl)) {
	case RUNCTL_IDLE:
		draw_ready(p, w, win);
		return;
	case RUNCTL_ENDED:
		if (m->state != RM_ENDED) {
			draw_not_started(p, win);
			return;
		}
		break;
	default:
		break;
	}
	if (p->view == VIEW_SUMMARY)
		draw_summary(p, win);
	else
		draw_dashboard(p, w, win, now);
}
