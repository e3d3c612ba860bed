/* The Run page's model: engine events folded into per-phase and per-host
 * state, bounded rings of lines and check results, and the first failure. */
#include "config.h"

#include "runmodel.h"

#include <stdlib.h>
#include <string.h>

#include "../src/engine.h"
#include "../src/journal.h"
#include "../src/nls.h"
#include "../src/render.h"
#include "../src/xmalloc.h"

/* Lines of the failed host kept for the failure panel. */
#define FAILURE_LINES 8

struct runmodel *runmodel_new(const struct plan *plan)
{
	struct runmodel *m = xcalloc(1, sizeof *m);

	m->current = -1;
	m->n_hosts = plan->n_hosts + 1;
	m->hosts = xcalloc(m->n_hosts, sizeof *m->hosts);
	for (size_t i = 0; i < m->n_hosts; i++) {
		struct runmodel_host *h = &m->hosts[i];
		bool cluster = i == plan->n_hosts;
		unsigned roles = cluster ? 0 : plan->hosts[i].roles;

		h->name = xstrdup(cluster ? RENDER_CLUSTER : plan->hosts[i].name);
		for (int p = 0; p < PHASE_COUNT; p++) {
			bool concerned = cluster ? phase_roles((enum phase)p) == 0
						 : (phase_roles((enum phase)p) & roles) != 0;

			if (!phase_enabled(plan, (enum phase)p))
				h->cells[p] = concerned ? RM_CELL_SKIPPED : RM_CELL_NONE;
			else
				h->cells[p] = concerned ? RM_CELL_PENDING : RM_CELL_NONE;
		}
	}
	for (int p = 0; p < PHASE_COUNT; p++)
		m->phases[p].state = phase_enabled(plan, (enum phase)p) ? RM_PHASE_PENDING
									 : RM_PHASE_SKIPPED;
	return m;
}

static void check_clear(struct runmodel_check *c)
{
	free(c->host);
	free(c->name);
	free(c->detail);
	memset(c, 0, sizeof *c);
}

static void failure_clear(struct runmodel_failure *f)
{
	free(f->host);
	free(f->what);
	free(f->why);
	for (size_t i = 0; i < f->n_last; i++)
		free(f->last[i]);
	free(f->last);
	free(f->diag_path);
	free(f->diag_hint);
	memset(f, 0, sizeof *f);
}

void runmodel_free(struct runmodel **pm)
{
	struct runmodel *m = *pm;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_hosts; i++) {
		struct runmodel_host *h = &m->hosts[i];

		free(h->name);
		free(h->doing);
		for (size_t k = 0; k < RUNMODEL_LINES; k++)
			free(h->lines.v[k].text);
	}
	free(m->hosts);
	for (size_t i = 0; i < RUNMODEL_CHECKS; i++)
		check_clear(&m->checks[i]);
	for (size_t i = 0; i < RUNMODEL_FEED; i++) {
		free(m->feed[i].host);
		free(m->feed[i].text);
	}
	failure_clear(&m->failure);
	free(m->run_id);
	free(m->log_dir);
	free(m);
	*pm = NULL;
}

int runmodel_host_index(const struct runmodel *m, const char *name)
{
	for (size_t i = 0; name != NULL && i < m->n_hosts; i++) {
		if (strcmp(m->hosts[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

struct runmodel_host *runmodel_host(struct runmodel *m, const char *name)
{
	int i = runmodel_host_index(m, name);

	return i >= 0 ? &m->hosts[i] : NULL;
}

/* At most max bytes of s, cut at a character boundary of UTF-8. */
static char *cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return xstrdup(s);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return xstrndup(s, n);
}

static void add_line(struct runmodel_host *h, enum runmodel_line_kind kind, const char *text)
{
	struct runmodel_ring *r = &h->lines;
	struct runmodel_line *l = &r->v[r->next];

	free(l->text);
	l->kind = kind;
	l->text = cut(text != NULL ? text : "", RUNMODEL_LINE_BYTES);
	r->next = (r->next + 1) % RUNMODEL_LINES;
	if (r->n < RUNMODEL_LINES)
		r->n++;
	r->seen++;
}

/* A step that ended well: its line says so, or a new one when the host
 * printed since it began. */
static void mark_done(struct runmodel_host *h, const char *text)
{
	struct runmodel_ring *r = &h->lines;
	struct runmodel_line *l = &r->v[(r->next + RUNMODEL_LINES - 1) % RUNMODEL_LINES];

	if (r->n > 0 && l->kind == RM_LINE_STEP && text != NULL &&
	    strncmp(l->text, text, strlen(l->text)) == 0)
		l->kind = RM_LINE_STEP_OK;
	else
		add_line(h, RM_LINE_STEP_OK, text);
}

const struct runmodel_line *runmodel_line(const struct runmodel_host *h, size_t i)
{
	const struct runmodel_ring *r = &h->lines;

	if (i >= r->n)
		return NULL;
	return &r->v[(r->next + RUNMODEL_LINES - 1 - i) % RUNMODEL_LINES];
}

const struct runmodel_check *runmodel_check_at(const struct runmodel *m, size_t i)
{
	if (i >= m->n_checks)
		return NULL;
	return &m->checks[(m->checks_next + RUNMODEL_CHECKS - 1 - i) % RUNMODEL_CHECKS];
}

const struct runmodel_feed *runmodel_feed_at(const struct runmodel *m, size_t i)
{
	if (i >= m->n_feed)
		return NULL;
	return &m->feed[(m->feed_next + RUNMODEL_FEED - 1 - i) % RUNMODEL_FEED];
}

static void add_feed(struct runmodel *m, enum runmodel_line_kind kind, const char *host,
		     const char *text)
{
	struct runmodel_feed *f = &m->feed[m->feed_next];

	free(f->host);
	free(f->text);
	f->kind = kind;
	f->host = host != NULL ? xstrdup(host) : NULL;
	f->text = cut(text != NULL ? text : "", RUNMODEL_LINE_BYTES);
	m->feed_next = (m->feed_next + 1) % RUNMODEL_FEED;
	if (m->n_feed < RUNMODEL_FEED)
		m->n_feed++;
}

static void add_check(struct runmodel *m, const struct event *ev)
{
	struct runmodel_check *c = &m->checks[m->checks_next];

	check_clear(c);
	c->phase = ev->phase;
	c->host = xstrdup(ev->host != NULL ? ev->host : "");
	c->name = xstrdup(ev->text != NULL ? ev->text : "");
	c->status = (enum event_check)ev->status;
	c->detail = cut(ev->detail != NULL ? ev->detail : "", RUNMODEL_LINE_BYTES);
	m->checks_next = (m->checks_next + 1) % RUNMODEL_CHECKS;
	if (m->n_checks < RUNMODEL_CHECKS)
		m->n_checks++;
}

static void set_doing(struct runmodel_host *h, const char *text)
{
	if (h == NULL)
		return;
	free(h->doing);
	h->doing = text != NULL ? cut(text, RUNMODEL_LINE_BYTES) : NULL;
}

static void set_cell(struct runmodel_host *h, int phase, enum runmodel_cell cell)
{
	if (h != NULL && phase >= 0 && phase < PHASE_COUNT)
		h->cells[phase] = cell;
}

/* Remember the first failure with the host's last lines of output. */
static void set_failure(struct runmodel *m, struct runmodel_host *h, const struct event *ev,
			const char *what, const char *why)
{
	struct runmodel_failure *f = &m->failure;

	if (f->set || h == NULL)
		return;
	f->set = true;
	f->phase = ev->phase;
	f->host = xstrdup(h->name);
	f->what = xstrdup(what != NULL ? what : "");
	f->exit_code = ev->type == EVENT_STEP_END ? ev->exit_code : -1;
	f->why = xstrdup(why != NULL ? why : "");
	f->last = xcalloc(FAILURE_LINES, sizeof *f->last);
	for (size_t i = 0; i < h->lines.n && f->n_last < FAILURE_LINES; i++) {
		const struct runmodel_line *l = runmodel_line(h, i);

		if (l->kind == RM_LINE_STDOUT || l->kind == RM_LINE_STDERR)
			f->last[f->n_last++] = xstrdup(l->text);
	}
	/* Oldest first. */
	for (size_t i = 0; i < f->n_last / 2; i++) {
		char *t = f->last[i];

		f->last[i] = f->last[f->n_last - 1 - i];
		f->last[f->n_last - 1 - i] = t;
	}
}

static void run_start(struct runmodel *m, const struct event *ev, int64_t now)
{
	m->state = RM_RUNNING;
	free(m->run_id);
	free(m->log_dir);
	m->run_id = xstrdup(ev->text != NULL ? ev->text : "");
	m->log_dir = xstrdup(ev->detail != NULL ? ev->detail : "");
	m->steps_total = ev->total;
	m->bytes_total = ev->bytes;
	m->start_ms = now;
}

static enum runmodel_phase_state phase_state_of(int status)
{
	switch (status) {
	case JOURNAL_DONE:
		return RM_PHASE_DONE;
	case JOURNAL_SKIPPED:
		return RM_PHASE_SKIPPED;
	case JOURNAL_STOPPED:
		return RM_PHASE_STOPPED;
	default:
		return RM_PHASE_FAILED;
	}
}

/* A phase ended: what its hosts' cells say now. A host whose part went well
 * in a phase that failed elsewhere is pending: the phase is not done until
 * its checks pass, and resume comes back to it. */
static void phase_end(struct runmodel *m, const struct event *ev, int64_t now)
{
	struct runmodel_phase *p = NULL;
	enum runmodel_phase_state st = phase_state_of(ev->status);

	if (ev->phase < 0 || ev->phase >= PHASE_COUNT)
		return;
	p = &m->phases[ev->phase];
	p->state = st;
	p->end_ms = now;
	for (size_t i = 0; i < m->n_hosts; i++) {
		enum runmodel_cell *c = &m->hosts[i].cells[ev->phase];

		if (*c == RM_CELL_NONE || *c == RM_CELL_FAILED)
			continue;
		switch (st) {
		case RM_PHASE_DONE:
			*c = RM_CELL_DONE;
			break;
		case RM_PHASE_SKIPPED:
			*c = RM_CELL_SKIPPED;
			break;
		case RM_PHASE_STOPPED:
			*c = RM_CELL_STOPPED;
			break;
		default:
			*c = RM_CELL_PENDING;
			break;
		}
	}
	if (m->current == ev->phase)
		m->current = -1;
}

static void step_end(struct runmodel *m, struct runmodel_host *h, const struct event *ev)
{
	char *line = NULL;

	if (ev->status != JOURNAL_SKIPPED && ev->status != JOURNAL_STARTED)
		m->steps_ended++;
	if (h == NULL)
		return;
	switch (ev->status) {
	case JOURNAL_DONE:
		mark_done(h, ev->text);
		set_doing(h, NULL);
		break;
	case JOURNAL_FAILED:
		line = xasprintf("%s: %s", ev->text != NULL ? ev->text : "",
				 ev->detail != NULL ? ev->detail : "");
		set_failure(m, h, ev, ev->text, ev->detail);
		add_line(h, RM_LINE_FAILED, line);
		add_feed(m, RM_LINE_FAILED, h->name, line);
		set_cell(h, ev->phase, RM_CELL_FAILED);
		set_doing(h, NULL);
		break;
	case JOURNAL_STOPPED:
		set_cell(h, ev->phase, RM_CELL_STOPPED);
		set_doing(h, NULL);
		break;
	default:
		break;
	}
	free(line);
}

static void check(struct runmodel *m, struct runmodel_host *h, const struct event *ev)
{
	char *line = NULL;

	if (ev->status == EVENT_CHECK_WAITING) {
		line = xasprintf("%s: %s", ev->text != NULL ? ev->text : "",
				 ev->detail != NULL ? ev->detail : "");
		set_doing(h, line);
		if (h != NULL && h->cells[ev->phase >= 0 ? ev->phase : 0] != RM_CELL_FAILED)
			set_cell(h, ev->phase, RM_CELL_RUNNING);
		free(line);
		return;
	}
	add_check(m, ev);
	line = xasprintf("%s: %s", ev->text != NULL ? ev->text : "",
			 ev->detail != NULL ? ev->detail : "");
	switch (ev->status) {
	case EVENT_CHECK_PASSED:
		m->checks_passed++;
		add_feed(m, RM_LINE_CHECK_OK, ev->host, line);
		if (h != NULL)
			add_line(h, RM_LINE_CHECK_OK, line);
		break;
	case EVENT_CHECK_FAILED:
		m->checks_failed++;
		add_feed(m, RM_LINE_FAILED, ev->host, line);
		if (h != NULL) {
			/* L10N: a health check's name, where a step's command goes. */
			char *what = xasprintf(_("check %s"), ev->text != NULL ? ev->text : "");

			add_line(h, RM_LINE_FAILED, line);
			set_failure(m, h, ev, what, ev->detail);
			set_cell(h, ev->phase, RM_CELL_FAILED);
			free(what);
		}
		break;
	default:
		add_feed(m, RM_LINE_NOTE, ev->host, line);
		if (h != NULL)
			add_line(h, RM_LINE_NOTE, line);
		break;
	}
	set_doing(h, NULL);
	free(line);
}

bool runmodel_event(struct runmodel *m, const struct event *ev, int64_t now)
{
	struct runmodel_host *h = runmodel_host(m, ev->host);

	m->events++;
	m->dropped += ev->dropped;
	switch (ev->type) {
	case EVENT_RUN_START:
		run_start(m, ev, now);
		break;
	case EVENT_RUN_END:
		m->state = RM_ENDED;
		m->outcome = ev->status;
		/* The engine's own error (the journal cannot be written) is no
		 * step's or check's: nothing else on the page would say it. */
		if (ev->status == ENGINE_ERROR && ev->detail != NULL)
			add_feed(m, RM_LINE_FAILED, NULL, ev->detail);
		m->end_ms = now;
		m->current = -1;
		for (size_t i = 0; i < m->n_hosts; i++)
			set_doing(&m->hosts[i], NULL);
		break;
	case EVENT_PHASE_START:
		if (ev->phase >= 0 && ev->phase < PHASE_COUNT) {
			m->current = ev->phase;
			m->phases[ev->phase].state = RM_PHASE_RUNNING;
			m->phases[ev->phase].start_ms = now;
		}
		break;
	case EVENT_PHASE_END:
		phase_end(m, ev, now);
		break;
	case EVENT_STEP_START:
		if (h != NULL) {
			set_doing(h, ev->text);
			h->attempt = ev->attempt;
			h->up_done = h->up_total = 0;
			h->up_counted = false;
			set_cell(h, ev->phase, RM_CELL_RUNNING);
			add_line(h, RM_LINE_STEP, ev->text);
		}
		break;
	case EVENT_STEP_END:
		step_end(m, h, ev);
		break;
	case EVENT_OUTPUT:
		if (h == NULL)
			return false;
		add_line(h, ev->stream == REMOTE_STDERR ? RM_LINE_STDERR : RM_LINE_STDOUT, ev->text);
		h->printed_ms = now;
		break;
	case EVENT_CHECK:
		check(m, h, ev);
		break;
	case EVENT_PROGRESS:
		if (h == NULL)
			return false;
		/* An upload ends with done == total, sometimes twice. */
		if (ev->done >= ev->total && !h->up_counted) {
			m->bytes_done += ev->total;
			h->up_counted = true;
		}
		/* What is under way; a finished upload is in bytes_done. */
		h->up_done = ev->done >= ev->total ? 0 : ev->done;
		h->up_total = ev->done >= ev->total ? 0 : ev->total;
		break;
	case EVENT_NOTE:
		add_feed(m, RM_LINE_NOTE, ev->host, ev->text);
		if (h != NULL)
			add_line(h, RM_LINE_NOTE, ev->text);
		break;
	case EVENT_DIAG:
		if (m->failure.set && h != NULL && strcmp(m->failure.host, h->name) == 0 &&
		    m->failure.diag_path == NULL) {
			m->failure.diag_path = xstrdup(ev->text != NULL ? ev->text : "");
			m->failure.diag_hint = xstrdup(ev->detail != NULL ? ev->detail : "");
		}
		if (h != NULL)
			add_line(h, RM_LINE_NOTE, ev->text);
		break;
	case EVENT_QUESTION:
	default:
		return false;
	}
	return true;
}

unsigned runmodel_permille(const struct runmodel *m)
{
	uint64_t steps, bytes = m->bytes_done;

	if (m->state == RM_ENDED && m->outcome == ENGINE_DONE)
		return 1000;
	if (m->steps_total == 0)
		return m->state == RM_IDLE ? 0 : 1000;
	steps = m->steps_ended * 1000 / m->steps_total;
	if (m->bytes_total == 0)
		return (unsigned)(steps > 1000 ? 1000 : steps);
	for (size_t i = 0; i < m->n_hosts; i++)
		bytes += m->hosts[i].up_done;
	bytes = bytes >= m->bytes_total ? 1000 : bytes * 1000 / m->bytes_total;
	/* Uploads take most of a first run's time, commands most of the rest. */
	steps = (steps + bytes) / 2;
	return (unsigned)(steps > 1000 ? 1000 : steps);
}

int64_t runmodel_eta_ms(const struct runmodel *m, int64_t now)
{
	unsigned pm = runmodel_permille(m);
	int64_t elapsed = now - m->start_ms;

	if (m->state == RM_ENDED)
		return 0;
	if (m->state != RM_RUNNING || pm < 20 || elapsed < 5000)
		return -1;
	return elapsed * (int64_t)(1000 - pm) / (int64_t)pm;
}

int64_t runmodel_phase_ms(const struct runmodel *m, int phase, int64_t now)
{
	const struct runmodel_phase *p = &m->phases[phase];

	if (p->start_ms == 0)
		return -1;
	return (p->end_ms != 0 ? p->end_ms : now) - p->start_ms;
}

size_t runmodel_line_bytes(const struct runmodel *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_hosts; i++) {
		for (size_t k = 0; k < RUNMODEL_LINES; k++) {
			if (m->hosts[i].lines.v[k].text != NULL)
				n += strlen(m->hosts[i].lines.v[k].text) + 1;
		}
	}
	return n;
}
