/* The headless front end: events as lines (live on a terminal, greppable
 * elsewhere, or JSON), and the terminal's answers to questions. */
#include "config.h"

#include "frontend.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "engine.h"
#include "journal.h"
#include "nls.h"
#include "phase.h"
#include "strbuf.h"
#include "termsafe.h"
#include "xmalloc.h"

#define REDRAW_MS 100
#define BAR_WIDTH 20

struct fhost {
	char *name;
	char *doing; /* the step under way, or how the phase ended */
	uint64_t up_done, up_total;
	bool active; /* has done something in the current phase */
};

struct frontend {
	enum frontend_mode mode;
	bool verbose;
	struct tty_answers *term;
	FILE *out;
	bool tty;

	struct fhost *hosts;
	size_t n_hosts;
	int phase;
	uint64_t steps_total, steps_ended;
	uint64_t bytes_total, bytes_done;
	int64_t started_ms;

	size_t live_lines; /* lines of the live block on screen now */
	bool dirty;
	int64_t drawn_ms;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct frontend *frontend_new(enum frontend_mode mode, bool verbose, struct tty_answers *term,
			      FILE *out)
{
	struct frontend *f = xcalloc(1, sizeof *f);

	f->mode = mode;
	f->verbose = verbose;
	f->term = term;
	f->out = out;
	f->tty = mode == FRONTEND_LIVE;
	f->phase = -1;
	f->started_ms = mono_ms();
	return f;
}

void frontend_free(struct frontend **pf)
{
	struct frontend *f = *pf;

	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_hosts; i++) {
		free(f->hosts[i].name);
		free(f->hosts[i].doing);
	}
	free(f->hosts);
	free(f);
	*pf = NULL;
}

static struct fhost *host_of(struct frontend *f, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < f->n_hosts; i++) {
		if (strcmp(f->hosts[i].name, name) == 0)
			return &f->hosts[i];
	}
	f->hosts = xreallocarray(f->hosts, f->n_hosts + 1, sizeof *f->hosts);
	memset(&f->hosts[f->n_hosts], 0, sizeof *f->hosts);
	f->hosts[f->n_hosts].name = xstrdup(name);
	return &f->hosts[f->n_hosts++];
}

static void set_doing(struct fhost *h, const char *text)
{
	free(h->doing);
	h->doing = termsafe_dup(text, TERMSAFE_ALL);
	h->active = true;
}

/* --- the live block ------------------------------------------------------- */

static unsigned term_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* Print s cut to fit width - 1 columns (whole characters, by display width:
 * a Chinese character takes two), then a newline. */
static void put_cut(FILE *out, const char *s, unsigned width)
{
	mbstate_t st;
	size_t len = 0, cols = 0, n;
	wchar_t wc;

	memset(&st, 0, sizeof st);
	while (s[len] != '\0') {
		int w;

		n = mbrtowc(&wc, s + len, strlen(s + len), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			/* Not text of the locale: count bytes as columns. */
			n = 1;
			w = 1;
			memset(&st, 0, sizeof st);
		} else {
			w = wcwidth(wc);
			if (w < 0)
				w = 1;
		}
		if (cols + (size_t)w >= width)
			break;
		cols += (size_t)w;
		len += n;
	}
	fwrite(s, 1, len, out);
	fputc('\n', out);
}

static void erase_live(struct frontend *f)
{
	if (f->live_lines == 0)
		return;
	fprintf(f->out, "\033[%zuA\r\033[J", f->live_lines);
	f->live_lines = 0;
}

static void draw_live(struct frontend *f)
{
	unsigned width = term_width();
	uint64_t pct = f->steps_total > 0 ? f->steps_ended * 100 / f->steps_total : 100;
	int64_t secs = (mono_ms() - f->started_ms) / 1000;
	char bar[BAR_WIDTH + 1];
	char *line = NULL;

	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = (uint64_t)i * 100 / BAR_WIDTH < pct ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	/* L10N: progress bar, percent, steps done, steps in all, MiB sent, MiB in all,
	 * phase name, minutes, seconds. */
	line = xasprintf(_("  [%s] %3u%% %llu/%llu steps  %.1f/%.1f MiB  %s  %lld:%02lld"), bar,
			 (unsigned)pct, (unsigned long long)f->steps_ended,
			 (unsigned long long)f->steps_total, (double)f->bytes_done / 1048576.0,
			 (double)f->bytes_total / 1048576.0,
			 f->phase >= 0 ? phase_name((enum phase)f->phase) : "",
			 (long long)(secs / 60), (long long)(secs % 60));
	put_cut(f->out, line, width);
	free(line);
	f->live_lines = 1;
	for (size_t i = 0; i < f->n_hosts; i++) {
		const struct fhost *h = &f->hosts[i];

		if (!h->active)
			continue;
		if (h->up_total > 0 && h->up_done < h->up_total)
			line = xasprintf("  %-12s %s  %.1f/%.1f MiB", h->name, h->doing,
					 (double)h->up_done / 1048576.0,
					 (double)h->up_total / 1048576.0);
		else
			line = xasprintf("  %-12s %s", h->name, h->doing != NULL ? h->doing : "");
		put_cut(f->out, line, width);
		free(line);
		f->live_lines++;
	}
	fflush(f->out);
	f->dirty = false;
	f->drawn_ms = mono_ms();
}

void frontend_tick(struct frontend *f)
{
	if (f->mode != FRONTEND_LIVE || !f->dirty || mono_ms() - f->drawn_ms < REDRAW_MS)
		return;
	erase_live(f);
	draw_live(f);
}

void frontend_finish(struct frontend *f)
{
	if (f->mode == FRONTEND_LIVE)
		erase_live(f);
	fflush(f->out);
}

/* A permanent line: above the live block on a terminal. */
static void say(struct frontend *f, const char *text)
{
	/* With --json, standard output carries JSON objects and nothing else:
	 * what is said to the operator goes to standard error. */
	FILE *out = f->mode == FRONTEND_JSON ? stderr : f->out;

	erase_live(f);
	fprintf(out, "%s\n", text);
	f->dirty = true;
	if (f->mode != FRONTEND_LIVE)
		fflush(out);
}

void frontend_say(struct frontend *f, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	say(f, s);
	free(s);
}

/* --- greppable lines and JSON --------------------------------------------- */

static const char *event_name(const struct event *ev)
{
	switch (ev->type) {
	case EVENT_RUN_START:
		return "run-start";
	case EVENT_RUN_END:
		return ev->status == ENGINE_DONE     ? "run-done"
		       : ev->status == ENGINE_STOPPED ? "run-stopped"
						      : "run-failed";
	case EVENT_PHASE_START:
		return "phase-start";
	case EVENT_PHASE_END:
		return ev->status == JOURNAL_DONE      ? "phase-done"
		       : ev->status == JOURNAL_SKIPPED ? "phase-skipped"
		       : ev->status == JOURNAL_STOPPED ? "phase-stopped"
						       : "phase-failed";
	case EVENT_STEP_START:
		return "step-start";
	case EVENT_STEP_END:
		switch (ev->status) {
		case JOURNAL_DONE:
			return "step-done";
		case JOURNAL_SKIPPED:
			return "step-skipped";
		case JOURNAL_STOPPED:
			return "step-stopped";
		default:
			return "step-failed";
		}
	case EVENT_OUTPUT:
		return ev->stream == REMOTE_STDERR ? "stderr" : "stdout";
	case EVENT_CHECK:
		return ev->status == EVENT_CHECK_PASSED	   ? "check-passed"
		       : ev->status == EVENT_CHECK_SKIPPED ? "check-skipped"
		       : ev->status == EVENT_CHECK_WAITING ? "check-waiting"
							   : "check-failed";
	case EVENT_PROGRESS:
		return "progress";
	case EVENT_NOTE:
		return "note";
	case EVENT_DIAG:
		return "diagnostics";
	case EVENT_QUESTION:
	default:
		return "question";
	}
}

static char *event_detail(const struct event *ev)
{
	switch (ev->type) {
	case EVENT_RUN_START:
		return xasprintf("%s log=%s steps=%llu skipped=%llu bytes=%llu", ev->text, ev->detail,
				 (unsigned long long)ev->total, (unsigned long long)ev->done,
				 (unsigned long long)ev->bytes);
	case EVENT_PHASE_START:
		return xasprintf("steps=%llu", (unsigned long long)ev->total);
	case EVENT_STEP_START:
		return xasprintf("%d attempt=%u %s", ev->step, ev->attempt, ev->text);
	case EVENT_STEP_END:
		if (ev->detail != NULL)
			return xasprintf("%d attempt=%u %s: %s", ev->step, ev->attempt, ev->text,
					 ev->detail);
		return xasprintf("%d attempt=%u %s", ev->step, ev->attempt, ev->text);
	case EVENT_CHECK:
	case EVENT_DIAG:
		return xasprintf("%s: %s", ev->text, ev->detail != NULL ? ev->detail : "");
	case EVENT_PROGRESS:
		return xasprintf("%llu/%llu", (unsigned long long)ev->done,
				 (unsigned long long)ev->total);
	case EVENT_RUN_END:
		return xstrdup(ev->detail != NULL ? ev->detail : "");
	default:
		return xstrdup(ev->text != NULL ? ev->text : "");
	}
}

static void print_line(struct frontend *f, const struct event *ev)
{
	time_t t = (time_t)(ev->time_ms / 1000);
	struct tm tm;
	char stamp[32];
	char *detail = event_detail(ev), *safe = termsafe_dup(detail, TERMSAFE_ALL);

	localtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	/* Five fields always: an event without a detail (a phase's end, a run
	 * that went well) has "-" there too, as the other fields. */
	fprintf(f->out, "%s %s %s %s %s\n", stamp,
		ev->phase >= 0 ? phase_name((enum phase)ev->phase) : "-",
		ev->host != NULL ? ev->host : "-", event_name(ev), safe[0] != '\0' ? safe : "-");
	fflush(f->out);
	free(detail);
	free(safe);
}

static void print_json(struct frontend *f, const struct event *ev)
{
	json_object *o = json_object_new_object();
	time_t t = (time_t)(ev->time_ms / 1000);
	struct tm tm;
	char stamp[40];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	xsnprintf(stamp + strlen(stamp), sizeof stamp - strlen(stamp), ".%03dZ",
		  (int)(ev->time_ms % 1000));
	json_object_object_add(o, "time", json_object_new_string(stamp));
	json_object_object_add(o, "event", json_object_new_string(event_name(ev)));
	if (ev->phase >= 0)
		json_object_object_add(o, "phase",
				       json_object_new_string(phase_name((enum phase)ev->phase)));
	if (ev->host != NULL)
		json_object_object_add(o, "host", json_object_new_string(ev->host));
	if (ev->step >= 0)
		json_object_object_add(o, "step", json_object_new_int(ev->step));
	if (ev->type == EVENT_STEP_START || ev->type == EVENT_STEP_END)
		json_object_object_add(o, "attempt", json_object_new_int((int)ev->attempt));
	if (ev->type == EVENT_STEP_END && ev->exit_code >= 0)
		json_object_object_add(o, "exit", json_object_new_int(ev->exit_code));
	if (ev->type == EVENT_RUN_START || ev->type == EVENT_PHASE_START ||
	    ev->type == EVENT_PROGRESS) {
		json_object_object_add(o, "total", json_object_new_uint64(ev->total));
		json_object_object_add(o, "done", json_object_new_uint64(ev->done));
	}
	if (ev->type == EVENT_RUN_START)
		json_object_object_add(o, "bytes", json_object_new_uint64(ev->bytes));
	if (ev->text != NULL)
		json_object_object_add(o, ev->type == EVENT_CHECK ? "check" : "text",
				       json_object_new_string(ev->text));
	if (ev->detail != NULL)
		json_object_object_add(o, "detail", json_object_new_string(ev->detail));
	if (ev->dropped > 0)
		json_object_object_add(o, "dropped_lines", json_object_new_uint64(ev->dropped));
	fprintf(f->out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(f->out);
	json_object_put(o);
}

/* --- the terminal's lines ------------------------------------------------- */

static void live_event(struct frontend *f, const struct event *ev)
{
	struct fhost *h = host_of(f, ev->host);
	char *safe = NULL, *detail = NULL;

	switch (ev->type) {
	case EVENT_RUN_START:
		/* L10N: run id, log directory. */
		frontend_say(f, _("run %s; logs in %s"), ev->text, ev->detail);
		if (ev->done > 0)
			/* L10N: number of steps. */
			frontend_say(f, _("%llu steps were done before with the same inputs: "
					  "skipped"),
				     (unsigned long long)ev->done);
		break;
	case EVENT_PHASE_START:
		for (size_t i = 0; i < f->n_hosts; i++) {
			f->hosts[i].active = false;
			f->hosts[i].up_total = 0;
		}
		/* L10N: phase name, what it does, number of steps to run. */
		frontend_say(f, _("== %s: %s (%llu steps)"), phase_name((enum phase)ev->phase),
			     phase_summary((enum phase)ev->phase), (unsigned long long)ev->total);
		break;
	case EVENT_PHASE_END:
		if (ev->status == JOURNAL_FAILED)
			/* L10N: phase name. */
			frontend_say(f, _("== %s failed"), phase_name((enum phase)ev->phase));
		break;
	case EVENT_STEP_START:
		set_doing(h, ev->text);
		h->up_total = 0;
		break;
	case EVENT_STEP_END:
		if (ev->status == JOURNAL_FAILED) {
			safe = termsafe_dup(ev->detail != NULL ? ev->detail : "", TERMSAFE_ALL);
			detail = termsafe_dup(ev->text, TERMSAFE_ALL);
			/* L10N: host, what the step does, why it failed. */
			frontend_say(f, _("  FAILED %s: %s: %s"), ev->host, detail, safe);
			set_doing(h, _("failed"));
		} else if (ev->status == JOURNAL_DONE || ev->status == JOURNAL_SKIPPED) {
			set_doing(h, ev->status == JOURNAL_DONE ? _("done") : _("already done"));
		}
		break;
	case EVENT_OUTPUT:
		if (f->verbose) {
			safe = termsafe_dup(ev->text, TERMSAFE_ALL);
			frontend_say(f, "  %s%s %s", ev->host, ev->stream == REMOTE_STDERR ? "!" : ":",
				     safe);
		}
		break;
	case EVENT_CHECK:
		safe = termsafe_dup(ev->detail != NULL ? ev->detail : "", TERMSAFE_ALL);
		if (ev->status == EVENT_CHECK_PASSED)
			/* L10N: host, check name, what was expected and seen. */
			frontend_say(f, _("  ok   %s %s: %s"), ev->host, ev->text, safe);
		else if (ev->status == EVENT_CHECK_FAILED)
			/* L10N: host, check name, what was expected and seen. */
			frontend_say(f, _("  FAIL %s %s: %s"), ev->host, ev->text, safe);
		else if (ev->status == EVENT_CHECK_SKIPPED)
			/* L10N: host, check name, why. */
			frontend_say(f, _("  skip %s %s: %s"), ev->host, ev->text, safe);
		else if (h != NULL) {
			/* L10N: check name, what it waits for. */
			detail = xasprintf(_("waiting: %s: %s"), ev->text, safe);
			set_doing(h, detail);
		}
		break;
	case EVENT_PROGRESS:
		if (h != NULL) {
			if (ev->done >= ev->total)
				f->bytes_done += ev->total;
			h->up_done = ev->done;
			h->up_total = ev->total;
		}
		break;
	case EVENT_NOTE:
		safe = termsafe_dup(ev->text, TERMSAFE_ALL);
		frontend_say(f, "  %s", safe);
		break;
	case EVENT_DIAG:
		safe = termsafe_dup(ev->detail != NULL ? ev->detail : "", TERMSAFE_ALL);
		/* L10N: host, path of the diagnostics file, where to look first. */
		frontend_say(f, _("  %s: diagnostics in %s; %s"), ev->host, ev->text, safe);
		break;
	default:
		break;
	}
	free(safe);
	free(detail);
	f->dirty = true;
}

static void answer(struct frontend *f, struct event_queue *q, const struct event *ev)
{
	struct event_question *qn = ev->question;
	char buf[1024];

	erase_live(f);
	if (qn->type == EVENT_ASK_HOSTKEY) {
		enum remote_hostkey_answer a = tty_hostkey(qn->host, qn->key_type,
							    qn->fingerprint, f->term);

		if (a == REMOTE_HOSTKEY_REJECT)
			/* L10N: host, key type, fingerprint. */
			fprintf(stderr, _("k8s-wizard: %s: unknown %s host key %s refused: check it "
					  "and add it to known_hosts, or run with "
					  "--accept-new-hostkeys\n"),
				qn->host, qn->key_type, qn->fingerprint);
		event_answer_hostkey(q, qn, a);
		return;
	}
	if (tty_secret(qn->secret, buf, sizeof buf, f->term) == 0) {
		event_answer_secret(q, qn, buf);
		explicit_bzero(buf, sizeof buf);
		return;
	}
	event_answer_secret(q, qn, NULL);
}

void frontend_event(struct frontend *f, struct event_queue *q, const struct event *ev)
{
	if (ev->type == EVENT_QUESTION) {
		answer(f, q, ev);
		return;
	}
	if (ev->type == EVENT_RUN_START) {
		f->steps_total = ev->total;
		f->bytes_total = ev->bytes;
	} else if (ev->type == EVENT_PHASE_START) {
		f->phase = ev->phase;
	} else if (ev->type == EVENT_STEP_END && ev->status != JOURNAL_SKIPPED &&
		   ev->status != JOURNAL_STARTED) {
		f->steps_ended++;
	}
	switch (f->mode) {
	case FRONTEND_LIVE:
		live_event(f, ev);
		break;
	case FRONTEND_JSON:
		if (ev->type != EVENT_OUTPUT || f->verbose)
			print_json(f, ev);
		break;
	case FRONTEND_LINES:
	default:
		if ((ev->type != EVENT_OUTPUT || f->verbose) && ev->type != EVENT_PROGRESS)
			print_line(f, ev);
		break;
	}
}
