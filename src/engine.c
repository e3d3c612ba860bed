/* The install engine: phases in order, each host's steps of a phase in a
 * worker thread, the journal written before and after every step, health
 * checks polled until they pass or their deadline, diagnostics on failure.
 *
 * Every host moves through the states of enum host_state by host_set_state()
 * alone, which logs each transition, so K8SW_DEBUG=engine shows the whole
 * run as [OLD] -> [NEW] lines. */
#include "config.h"

#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "health.h"
#include "healthapi.h"
#include "hexsum.h"
#include "hostpool.h"
#include "log.h"
#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"

#define DEFAULT_STEP_TIMEOUT 900
#define DEFAULT_ATTEMPTS 3
#define DEFAULT_RETRY_DELAY_MS 2000
#define APPLY_ATTEMPTS 6 /* a manifest applied while the API settles */
#define PROGRESS_EVERY_MS 200
#define WAITING_EVERY_MS 10000
#define TAIL_LINES 20 /* the last lines of a step, for diagnostics */

enum host_state {
	HOST_IDLE,
	HOST_RUNNING,  /* a step */
	HOST_RETRYING, /* waiting to retry a step on a new connection */
	HOST_CHECKING, /* health checks */
	HOST_FAILED,
	HOST_STOPPED,
};

static const char *const host_state_names[] = {
	[HOST_IDLE] = "idle",	      [HOST_RUNNING] = "running", [HOST_RETRYING] = "retrying",
	[HOST_CHECKING] = "checking", [HOST_FAILED] = "failed",	  [HOST_STOPPED] = "stopped",
};

struct estep {
	const struct render_step *rs;
	unsigned index; /* among the host's steps of its phase */
	char digest[65];
	char *what;
	bool skip;      /* done before with the same inputs */
};

struct ehost {
	struct engine *e;
	const struct render_host *rh;
	bool is_cluster;
	size_t plan_index; /* the apply host's for the cluster */
	void *h;           /* the transport handle (shared with the apply host) */
	struct estep *steps; /* parallel to rh->steps */
	enum host_state state;
	FILE *log;
	char *log_path;
	struct check_scratch scratch;
	bool failed;       /* in the current phase */
	int64_t last_progress_ms;
	char *tail[TAIL_LINES]; /* the current step's last lines, a ring */
	size_t tail_next;
};

struct engine {
	struct engine_config cfg;
	struct ehost *hosts; /* the render's hosts: the plan's, then the cluster */
	size_t n_hosts;
	size_t n_plan_hosts;
	struct ehost *cluster; /* NULL when the render has none */
	struct hostpool *pool;
	const struct check *checks;
	size_t n_checks;
	bool *skip_check; /* per check */

	atomic_bool stopping;
	atomic_bool aborting;
	pthread_mutex_t lock; /* stats, failure, wake */
	pthread_cond_t wake;  /* interrupts sleeps on stop */
	struct engine_stats stats;
	char *failure;   /* the first failure, in one sentence */
	struct engine_note {
		char *text;
		enum phase phase;
		const char *host;
	} *notes; /* steps that run again because their inputs changed */
	size_t n_notes;
	char *fatal;     /* the journal cannot be written */
	enum phase current;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void host_set_state(struct ehost *eh, enum host_state state)
{
	if (eh->state != state)
		log_debug(LOGS_ENGINE, "%s: [%s] -> [%s]", eh->rh->name,
			  host_state_names[eh->state], host_state_names[state]);
	eh->state = state;
}

static bool stopping(const struct engine *e)
{
	return atomic_load(&e->stopping);
}

/* Sleep ms, or less when the run is stopped. */
static void engine_sleep(struct engine *e, int64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&e->lock);
	while (!stopping(e) && pthread_cond_timedwait(&e->wake, &e->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&e->lock);
}

/* --- events and logs ------------------------------------------------------ */

static void emit(struct engine *e, const struct event *ev)
{
	if (e->cfg.events != NULL)
		event_push(e->cfg.events, ev);
}

static void note(struct engine *e, int phase, const char *host, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void note(struct engine *e, int phase, const char *host, const char *fmt, ...)
{
	struct event ev = { .type = EVENT_NOTE, .phase = phase, .step = -1 };
	va_list ap;

	va_start(ap, fmt);
	ev.text = xvasprintf(fmt, ap);
	va_end(ap);
	ev.host = (char *)host;
	emit(e, &ev);
	free(ev.text);
}

/* A line in the host's log: "TIME TEXT". The log holds every line the host
 * printed, whole and in order, and the engine's notes about it. */
static void host_log(struct ehost *eh, const char *prefix, const char *text, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	if (eh->log == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
	fprintf(eh->log, "%s.%03ld %s", stamp, ts.tv_nsec / 1000000, prefix);
	fwrite(text, 1, len, eh->log);
	fputc('\n', eh->log);
	fflush(eh->log);
}

static void host_logf(struct ehost *eh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void host_logf(struct ehost *eh, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	host_log(eh, "== ", s, strlen(s));
	free(s);
}

static void on_line(const struct remote_line *line, void *data)
{
	struct ehost *eh = data;
	struct event ev = { .type = EVENT_OUTPUT, .phase = (int)eh->e->current, .step = -1,
			    .stream = line->stream };

	host_log(eh, line->stream == REMOTE_STDERR ? "! " : "  ", line->text, line->len);
	free(eh->tail[eh->tail_next % TAIL_LINES]);
	eh->tail[eh->tail_next++ % TAIL_LINES] = xstrndup(line->text, line->len);
	ev.host = (char *)eh->rh->name;
	ev.text = xstrndup(line->text, line->len);
	emit(eh->e, &ev);
	free(ev.text);
}

static void on_progress(uint64_t sent, uint64_t total, void *data)
{
	struct ehost *eh = data;
	int64_t now = mono_ms();
	struct event ev = { .type = EVENT_PROGRESS, .phase = (int)eh->e->current, .step = -1,
			    .done = sent, .total = total };

	if (sent < total && now - eh->last_progress_ms < PROGRESS_EVERY_MS)
		return;
	eh->last_progress_ms = now;
	ev.host = (char *)eh->rh->name;
	emit(eh->e, &ev);
}

/* Record the first failure (one sentence for the caller of engine_run). */
static void set_failure(struct engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_failure(struct engine *e, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&e->lock);
	if (e->failure == NULL) {
		va_start(ap, fmt);
		e->failure = xvasprintf(fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&e->lock);
}

/* The journal could not be written: nothing more may run, since what is not
 * recorded would be redone or, worse, believed done. */
static void set_fatal(struct engine *e, char **err)
{
	pthread_mutex_lock(&e->lock);
	if (e->fatal == NULL) {
		e->fatal = *err;
		*err = NULL;
	}
	pthread_mutex_unlock(&e->lock);
	free(*err);
	*err = NULL;
	engine_stop(e);
}

/* --- steps ---------------------------------------------------------------- */

static void digest_str(EVP_MD_CTX *ctx, const char *s)
{
	/* With its NUL, so that ("ab","c") and ("a","bc") differ. */
	if (!EVP_DigestUpdate(ctx, s != NULL ? s : "", s != NULL ? strlen(s) + 1 : 1))
		xalloc_die("EVP_DigestUpdate");
}

static int digest_file(EVP_MD_CTX *ctx, const char *path, char **err)
{
	unsigned char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot read %s: %s"), path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			xalloc_die("EVP_DigestUpdate");
	}
	if (n < 0) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot read %s: %s"), path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int engine_step_digest(const struct render_host *h, const struct render_step *s, char out[65],
		       char **err)
{
	static const char *const kinds[] = { "run", "upload", "apply" };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char mode[16];
	int rc = 0;

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		xalloc_die("EVP_MD_CTX");
	digest_str(ctx, kinds[s->type]);
	digest_str(ctx, s->command);
	if (s->type != RENDER_STEP_RUN) {
		const struct render_file *f = &h->files[s->file];

		xsnprintf(mode, sizeof mode, "%04o", f->mode);
		digest_str(ctx, f->path);
		digest_str(ctx, mode);
		digest_str(ctx, f->owner);
		if (f->source_type == RENDER_TEXT) {
			if (!EVP_DigestUpdate(ctx, f->content, f->len))
				xalloc_die("EVP_DigestUpdate");
		} else if (f->source_type == RENDER_BUNDLE) {
			rc = digest_file(ctx, f->source, err);
		} else {
			digest_str(ctx, f->source);
		}
	}
	if (rc == 0)
		hexsum_final(ctx, out);
	EVP_MD_CTX_free(ctx);
	return rc;
}

char *engine_step_what(const struct render_host *h, const struct render_step *s)
{
	switch (s->type) {
	case RENDER_STEP_UPLOAD:
		return xasprintf("upload %s", h->files[s->file].path);
	case RENDER_STEP_APPLY:
		return xasprintf("apply %s", h->files[s->file].path);
	case RENDER_STEP_RUN:
	default:
		return xstrdup(s->command);
	}
}

static bool has_steps(const struct ehost *eh, enum phase phase)
{
	for (size_t i = 0; i < eh->rh->n_steps; i++) {
		if (eh->rh->steps[i].phase == phase)
			return true;
	}
	return false;
}

/* Say that a step done before runs again because its inputs changed (and
 * with it the rest of its host's phase). */
static void changed_note(struct engine *e, const struct ehost *eh, const struct estep *st,
			 bool inputs)
{
	size_t after = 0;

	for (size_t k = 0; k < eh->rh->n_steps; k++) {
		if (eh->rh->steps[k].phase == st->rs->phase && &eh->rh->steps[k] > st->rs)
			after++;
	}
	e->notes = xreallocarray(e->notes, e->n_notes + 1, sizeof *e->notes);
	if (inputs)
		/* L10N: host, phase, what the step does, number of steps after it. */
		e->notes[e->n_notes].text = xasprintf(_("%s, phase %s: the inputs of \"%s\" changed "
							"since it was done: it runs again, with the "
							"%zu steps after it in the phase"),
						      eh->rh->name, phase_name(st->rs->phase),
						      st->what, after);
	else
		/* L10N: host, phase, what the step does, number of steps after it. */
		e->notes[e->n_notes].text = xasprintf(_("%s, phase %s: a step before \"%s\" ran again "
							"after it: it runs again, with the %zu steps "
							"after it in the phase"),
						      eh->rh->name, phase_name(st->rs->phase),
						      st->what, after);
	e->notes[e->n_notes].phase = st->rs->phase;
	e->notes[e->n_notes++].host = eh->rh->name;
}

/* Digest every step and decide which are already done (see engine.h). */
static int plan_steps(struct engine *e, size_t *to_run, size_t *skipped, uint64_t *bytes,
		      char **err)
{
	for (size_t i = 0; i < e->n_hosts; i++) {
		struct ehost *eh = &e->hosts[i];
		unsigned index[PHASE_COUNT] = { 0 };
		bool chain[PHASE_COUNT];
		uint64_t prev_seq[PHASE_COUNT] = { 0 };

		for (int p = 0; p < PHASE_COUNT; p++)
			chain[p] = true;
		eh->steps = xcalloc(eh->rh->n_steps + 1, sizeof *eh->steps);
		for (size_t k = 0; k < eh->rh->n_steps; k++) {
			const struct render_step *rs = &eh->rh->steps[k];
			struct estep *st = &eh->steps[k];
			const struct journal_step *rec = NULL;

			st->rs = rs;
			st->index = index[rs->phase]++;
			st->what = engine_step_what(eh->rh, rs);
			if (engine_step_digest(eh->rh, rs, st->digest, err) < 0)
				return -1;
			rec = journal_find_step(e->cfg.journal, rs->phase, eh->rh->name, st->index);
			/* Done with the same inputs, and after the step before it: a
			 * step done before its predecessor ran again (a run stopped
			 * between a new config and the restart that reads it) must
			 * run again too. */
			st->skip = chain[rs->phase] && rec != NULL && rec->state == JOURNAL_DONE &&
				   strcmp(rec->digest, st->digest) == 0 && rec->seq > prev_seq[rs->phase];
			if (st->skip)
				prev_seq[rs->phase] = rec->seq;
			if (chain[rs->phase] && rec != NULL && rec->state == JOURNAL_DONE && !st->skip)
				changed_note(e, eh, st, strcmp(rec->digest, st->digest) != 0);
			if (!st->skip)
				chain[rs->phase] = false;
			if (!phase_enabled(e->cfg.plan, rs->phase))
				continue;
			if (st->skip) {
				(*skipped)++;
				continue;
			}
			(*to_run)++;
			if (rs->type == RENDER_STEP_UPLOAD) {
				const struct render_file *f = &eh->rh->files[rs->file];
				struct stat sb;

				if (f->source_type == RENDER_TEXT)
					*bytes += f->len;
				else if (f->source_type == RENDER_BUNDLE && stat(f->source, &sb) == 0)
					*bytes += (uint64_t)sb.st_size;
			}
		}
	}
	return 0;
}

static void step_event(struct ehost *eh, const struct estep *st, enum event_type type,
		       unsigned attempt, int status, int exit_code, const char *detail)
{
	struct event ev = { .type = type, .phase = (int)st->rs->phase, .step = (int)st->index,
			    .attempt = attempt, .status = status, .exit_code = exit_code };

	ev.host = (char *)eh->rh->name;
	ev.text = st->what;
	ev.detail = (char *)detail;
	emit(eh->e, &ev);
}

static bool record_step(struct ehost *eh, const struct estep *st, enum journal_state state,
			unsigned attempt, int64_t start, int exit_code)
{
	struct engine *e = eh->e;
	struct journal_step js = { .run = e->cfg.run_id, .phase = st->rs->phase,
				   .host = eh->rh->name, .index = st->index, .state = state,
				   .attempt = attempt, .start_ms = start,
				   .end_ms = state == JOURNAL_STARTED ? 0 : wall_ms(),
				   .exit_code = exit_code, .digest = st->digest, .what = st->what };
	char *err = NULL;

	if (journal_step(e->cfg.journal, &js, &err) < 0) {
		set_fatal(e, &err);
		return false;
	}
	return true;
}

enum attempt_result { ATTEMPT_DONE, ATTEMPT_RETRY, ATTEMPT_FAILED, ATTEMPT_STOPPED };

/* One attempt at a step. *exit_code and *why say how it ended. */
static enum attempt_result attempt_step(struct ehost *eh, const struct estep *st,
					unsigned attempt, int *exit_code, char **why)
{
	struct engine *e = eh->e;
	const struct render_step *rs = st->rs;
	const struct transport_ops *ops = e->cfg.ops;
	struct remote_result res = { 0 };
	enum transport_cause cause;
	bool skipped = false;
	int rc;

	*exit_code = -1;
	if (rs->type == RENDER_STEP_UPLOAD) {
		const struct render_file *f = &eh->rh->files[rs->file];
		struct transport_file tf = { .dest = f->path, .mode = f->mode, .owner = f->owner,
					     .secret = f->secret };

		if (f->source_type == RENDER_TEXT) {
			tf.data = f->content;
			tf.len = f->len;
		} else {
			tf.path = f->source;
		}
		rc = ops->upload(eh->h, &tf, on_progress, eh, &skipped, why);
		if (rc == 0) {
			if (skipped)
				host_logf(eh, "%s: the host has it already (same sha256)", f->path);
			return ATTEMPT_DONE;
		}
	} else {
		struct remote_cmd cmd = { .command = rs->command,
					  .timeout = e->cfg.step_timeout,
					  .on_line = on_line, .data = eh };

		if (rs->type == RENDER_STEP_APPLY) {
			cmd.input = eh->rh->files[rs->file].content;
			cmd.input_len = eh->rh->files[rs->file].len;
		}
		rc = ops->run(eh->h, &cmd, &res, why);
		if (rc == 0) {
			switch (res.status) {
			case REMOTE_EXITED:
				*exit_code = res.exit_code;
				if (res.exit_code == 0)
					return ATTEMPT_DONE;
				/* L10N: a command's exit status. */
				*why = xasprintf(_("exit status %d"), res.exit_code);
				if (rs->type == RENDER_STEP_APPLY && attempt < APPLY_ATTEMPTS)
					return ATTEMPT_RETRY;
				return ATTEMPT_FAILED;
			case REMOTE_TIMEOUT:
				/* L10N: seconds. */
				*why = xasprintf(_("ran longer than %u s and was ended"), cmd.timeout);
				return ATTEMPT_FAILED;
			case REMOTE_SIGNALLED:
				/* L10N: a signal name ("KILL"). */
				*why = xasprintf(_("killed by signal %s"), res.signal);
				return ATTEMPT_FAILED;
			default:
				break;
			}
		}
	}
	cause = ops->cause(eh->h);
	if (*why == NULL)
		*why = xstrdup(transport_cause_name(cause));
	switch (cause) {
	case TRANSPORT_CANCELLED:
		return ATTEMPT_STOPPED;
	case TRANSPORT_LOST:
	case TRANSPORT_UNREACHABLE:
		return ATTEMPT_RETRY;
	default:
		return ATTEMPT_FAILED;
	}
}

static void tail_clear(struct ehost *eh)
{
	for (size_t i = 0; i < TAIL_LINES; i++)
		xfree(&eh->tail[i]);
	eh->tail_next = 0;
}

/* The current step's last lines, oldest first. */
static char *tail_text(const struct ehost *eh)
{
	struct strbuf b = { 0 };
	size_t first = eh->tail_next > TAIL_LINES ? eh->tail_next - TAIL_LINES : 0;

	for (size_t i = first; i < eh->tail_next; i++)
		strbuf_addf(&b, "%s\n", eh->tail[i % TAIL_LINES]);
	return strbuf_detach(&b, NULL);
}

/* Collect diagnostics about a failure on eh and tell the front end. */
static void diagnose(struct ehost *eh, enum phase phase, const char *what)
{
	struct engine *e = eh->e;
	struct event ev = { .type = EVENT_DIAG, .phase = (int)phase, .step = -1 };
	char *path = NULL, *hint = NULL, *err = NULL, *tail = NULL;

	/* Preflight's checks say themselves what a host lacks. */
	if (e->cfg.no_diagnostics || atomic_load(&e->aborting) || phase == PHASE_PREFLIGHT)
		return;
	path = xasprintf("%s/%s.diag", e->cfg.log_dir, eh->rh->name);
	tail = tail_text(eh);
	if (diag_collect(e->cfg.ops, eh->h, phase, what, tail, path, &hint, &err) < 0) {
		host_logf(eh, "diagnostics: %s", err);
		note(e, (int)phase, eh->rh->name, _("diagnostics could not be saved: %s"), err);
	} else {
		host_logf(eh, "diagnostics saved to %s", path);
		ev.host = (char *)eh->rh->name;
		ev.text = path;
		ev.detail = hint;
		emit(e, &ev);
	}
	free(path);
	free(hint);
	free(err);
	free(tail);
}

/* Run one step with its retries. Returns true when it is done. */
static bool run_step(struct ehost *eh, struct estep *st)
{
	struct engine *e = eh->e;
	unsigned attempts = e->cfg.attempts, delay = e->cfg.retry_delay_ms;
	enum attempt_result r = ATTEMPT_FAILED;
	char *why = NULL;
	int exit_code = -1;

	for (unsigned attempt = 1;; attempt++) {
		int64_t start = wall_ms();
		enum journal_state end;

		host_set_state(eh, HOST_RUNNING);
		if (!record_step(eh, st, JOURNAL_STARTED, attempt, start, -1))
			return false;
		step_event(eh, st, EVENT_STEP_START, attempt, JOURNAL_STARTED, -1, NULL);
		host_logf(eh, "step %s/%u (attempt %u): %s", phase_name(st->rs->phase), st->index,
			  attempt, st->what);
		tail_clear(eh);
		xfree(&why);
		r = attempt_step(eh, st, attempt, &exit_code, &why);
		if (r == ATTEMPT_RETRY &&
		    (attempt >= (st->rs->type == RENDER_STEP_APPLY ? APPLY_ATTEMPTS : attempts) ||
		     stopping(e)))
			r = stopping(e) ? ATTEMPT_STOPPED : ATTEMPT_FAILED;
		end = r == ATTEMPT_DONE	   ? JOURNAL_DONE
		      : r == ATTEMPT_STOPPED ? JOURNAL_STOPPED
					     : JOURNAL_FAILED;
		if (!record_step(eh, st, end, attempt, start, exit_code))
			break;
		/* An attempt that is retried ends in a note, not in a failure. */
		if (r != ATTEMPT_RETRY)
			step_event(eh, st, EVENT_STEP_END, attempt, end, exit_code, why);
		host_logf(eh, "step %s/%u: %s%s%s", phase_name(st->rs->phase), st->index,
			  journal_state_name(end), why != NULL ? ": " : "", why != NULL ? why : "");
		if (r != ATTEMPT_RETRY)
			break;
		pthread_mutex_lock(&e->lock);
		e->stats.retries++;
		pthread_mutex_unlock(&e->lock);
		host_set_state(eh, HOST_RETRYING);
		/* L10N: host, what went wrong, attempt number, attempts allowed. */
		note(e, (int)st->rs->phase, eh->rh->name, _("%s: %s; trying again (%u of %u)"),
		     eh->rh->name, why, attempt + 1,
		     st->rs->type == RENDER_STEP_APPLY ? APPLY_ATTEMPTS : attempts);
		engine_sleep(e, (int64_t)delay * attempt);
	}
	pthread_mutex_lock(&e->lock);
	if (r == ATTEMPT_DONE)
		e->stats.steps_run++;
	else if (r == ATTEMPT_FAILED)
		e->stats.steps_failed++;
	pthread_mutex_unlock(&e->lock);
	if (r == ATTEMPT_FAILED) {
		host_set_state(eh, HOST_FAILED);
		/* L10N: host, phase, what the step does, why it failed. */
		set_failure(e, _("%s: step of phase %s failed: %s: %s"), eh->rh->name,
			    phase_name(st->rs->phase), st->what, why);
		diagnose(eh, st->rs->phase, st->what);
	} else if (r == ATTEMPT_STOPPED) {
		host_set_state(eh, HOST_STOPPED);
	}
	free(why);
	return r == ATTEMPT_DONE;
}

static void record_host_phase(struct ehost *eh, enum phase phase, enum journal_state state)
{
	struct journal_phase jp = { .run = eh->e->cfg.run_id, .phase = phase,
				    .host = eh->rh->name, .state = state, .time_ms = wall_ms() };
	char *err = NULL;

	if (journal_phase(eh->e->cfg.journal, &jp, &err) < 0)
		set_fatal(eh->e, &err);
}

/* Every step of one host in the current phase, in order. */
static void run_host_steps(struct ehost *eh)
{
	struct engine *e = eh->e;
	enum phase phase = e->current;
	enum journal_state state = JOURNAL_DONE;
	size_t skipped = 0;

	eh->failed = false;
	for (size_t k = 0; k < eh->rh->n_steps && state == JOURNAL_DONE; k++) {
		struct estep *st = &eh->steps[k];

		if (st->rs->phase != phase)
			continue;
		if (st->skip) {
			skipped++;
			step_event(eh, st, EVENT_STEP_END, 0, JOURNAL_SKIPPED, -1, NULL);
			continue;
		}
		if (stopping(e)) {
			state = JOURNAL_STOPPED;
			break;
		}
		if (!run_step(eh, st))
			state = stopping(e) && eh->state != HOST_FAILED ? JOURNAL_STOPPED
									: JOURNAL_FAILED;
	}
	if (skipped > 0) {
		pthread_mutex_lock(&e->lock);
		e->stats.steps_skipped += skipped;
		pthread_mutex_unlock(&e->lock);
		host_logf(eh, "phase %s: %zu steps done before with the same inputs, skipped",
			  phase_name(phase), skipped);
	}
	eh->failed = state == JOURNAL_FAILED;
	record_host_phase(eh, phase, state);
	if (state == JOURNAL_DONE)
		host_set_state(eh, HOST_IDLE);
}

/* --- checks --------------------------------------------------------------- */

static bool check_applies(const struct check *c, const struct ehost *eh)
{
	if (eh->is_cluster)
		return c->roles == 0;
	return (c->roles & eh->rh->roles) != 0;
}

static void check_event(struct ehost *eh, const struct check *c, enum event_check status,
			const char *detail)
{
	struct event ev = { .type = EVENT_CHECK, .phase = (int)c->phase, .step = -1,
			    .status = status };

	ev.host = (char *)eh->rh->name;
	ev.text = (char *)c->name;
	ev.detail = (char *)detail;
	emit(eh->e, &ev);
}

static char *check_detail(const char *expected, const char *saw)
{
	if (expected != NULL && saw != NULL)
		/* L10N: what a health check expected, and what it saw. */
		return xasprintf(_("expected %s; saw %s"), expected, saw);
	if (saw != NULL)
		return xstrdup(saw);
	if (expected != NULL)
		return xstrdup(expected);
	return xstrdup("");
}

/* Poll one check on one host until it passes, fails or runs out of time.
 * Returns true when it passed (or was skipped on request). */
static bool run_check(struct ehost *eh, size_t ci)
{
	struct engine *e = eh->e;
	const struct check *c = &e->checks[ci];
	struct check_env env = { .plan = e->cfg.plan, .render = e->cfg.render,
				 .certs = e->cfg.certs, .ops = e->cfg.ops, .h = eh->h,
				 .host = eh->plan_index, .cluster = eh->is_cluster,
				 .scratch = &eh->scratch };
	struct journal_check jc = { .run = e->cfg.run_id, .phase = c->phase, .host = eh->rh->name,
				    .name = c->name };
	int64_t deadline = mono_ms() + (int64_t)c->deadline_s * 1000;
	int64_t last_waiting = 0;
	unsigned attempts = e->cfg.attempts, delay = e->cfg.retry_delay_ms;
	enum check_status st = CHECK_FAIL;
	char *detail = NULL, *err = NULL;
	bool stopped = false;

	if (e->skip_check[ci]) {
		/* L10N: a check's name. */
		detail = xasprintf(_("skipped on request (--skip-check %s)"), c->name);
		check_event(eh, c, EVENT_CHECK_SKIPPED, detail);
		host_logf(eh, "check %s: %s", c->name, detail);
		pthread_mutex_lock(&e->lock);
		e->stats.checks_skipped++;
		pthread_mutex_unlock(&e->lock);
		free(detail);
		return true;
	}
	for (unsigned lost = 0;;) {
		char *expected = NULL, *saw = NULL;
		enum transport_cause cause;

		st = c->run(&env, &expected, &saw);
		free(detail);
		detail = check_detail(expected, saw);
		free(expected);
		free(saw);
		if (st == CHECK_UNUSED) {
			/* Not a result: the plan has no such part (one way of
			 * reaching the apiservers among three). */
			host_logf(eh, "check %s: not used: %s", c->name, detail);
			free(detail);
			return true;
		}
		if (st == CHECK_PASS)
			break;
		/* A check about to fail on a connection that dropped has said
		 * nothing about its host: it tries again on a new connection, as
		 * a step would. Preflight's unreachable host is its answer. */
		cause = e->cfg.ops->cause(eh->h);
		if ((st == CHECK_FAIL || mono_ms() >= deadline) &&
		    (cause == TRANSPORT_LOST ||
		     (cause == TRANSPORT_UNREACHABLE && c->phase != PHASE_PREFLIGHT)) &&
		    !stopping(e) && ++lost < attempts) {
			/* L10N: host, check name, what went wrong, attempt number,
			 * attempts allowed. */
			note(e, (int)c->phase, eh->rh->name, _("%s: check %s: %s; trying again (%u of %u)"),
			     eh->rh->name, c->name, detail, lost + 1, attempts);
			engine_sleep(e, (int64_t)delay * lost);
			continue;
		}
		if (st != CHECK_WAIT)
			break;
		if (mono_ms() >= deadline) {
			st = CHECK_FAIL;
			break;
		}
		if (stopping(e)) {
			stopped = true;
			break;
		}
		if (mono_ms() - last_waiting >= WAITING_EVERY_MS) {
			check_event(eh, c, EVENT_CHECK_WAITING, detail);
			last_waiting = mono_ms();
		}
		engine_sleep(e, c->interval_ms != 0 ? c->interval_ms : 1000);
	}
	host_logf(eh, "check %s: %s: %s", c->name,
		  stopped ? "stopped" : st == CHECK_PASS ? "passed" : "failed", detail);
	if (stopped) {
		free(detail);
		return false;
	}
	check_event(eh, c, st == CHECK_PASS ? EVENT_CHECK_PASSED : EVENT_CHECK_FAILED, detail);
	jc.ok = st == CHECK_PASS;
	jc.time_ms = wall_ms();
	jc.detail = detail;
	if (journal_check(e->cfg.journal, &jc, &err) < 0)
		set_fatal(e, &err);
	pthread_mutex_lock(&e->lock);
	if (st == CHECK_PASS)
		e->stats.checks_passed++;
	else
		e->stats.checks_failed++;
	pthread_mutex_unlock(&e->lock);
	if (st != CHECK_PASS) {
		/* L10N: host, check name, what it expected and saw. */
		set_failure(e, _("%s: health check %s failed: %s"), eh->rh->name, c->name, detail);
		diagnose(eh, c->phase, c->name);
	}
	free(detail);
	return st == CHECK_PASS;
}

/* Every check of the current phase that concerns eh. Preflight reports every
 * problem of a host at once; other phases stop at the first that fails. */
static void run_host_checks(struct ehost *eh)
{
	struct engine *e = eh->e;

	host_set_state(eh, HOST_CHECKING);
	eh->failed = false;
	for (size_t i = 0; i < e->n_checks && !stopping(e); i++) {
		const struct check *c = &e->checks[i];

		if (c->phase != e->current || !check_applies(c, eh))
			continue;
		if (!run_check(eh, i)) {
			eh->failed = true;
			/* Preflight goes on to name every problem of a host that
			 * answers; nothing more can be learnt from one that does not. */
			if (c->phase != PHASE_PREFLIGHT || e->cfg.ops->cause(eh->h) != TRANSPORT_OK)
				break;
		}
	}
	host_set_state(eh, eh->failed ? HOST_FAILED : HOST_IDLE);
}

/* --- phases --------------------------------------------------------------- */

enum pool_work { WORK_STEPS, WORK_CHECKS };

struct pool_job {
	struct engine *e;
	struct ehost **hosts;
	enum pool_work work;
};

static void pool_job(struct hostpool *pool, size_t i, void *data)
{
	struct pool_job *j = data;

	(void)pool;
	if (j->work == WORK_STEPS)
		run_host_steps(j->hosts[i]);
	else
		run_host_checks(j->hosts[i]);
}

/* Run work on every plan host that has some in this phase, in parallel.
 * Returns false when one of them failed. */
static bool run_on_hosts(struct engine *e, enum pool_work work)
{
	struct ehost **list = xcalloc(e->n_plan_hosts + 1, sizeof *list);
	struct pool_job job = { .e = e, .hosts = list, .work = work };
	size_t n = 0;
	bool ok = true;

	for (size_t i = 0; i < e->n_plan_hosts; i++) {
		struct ehost *eh = &e->hosts[i];
		bool some = false;

		if (work == WORK_STEPS) {
			some = has_steps(eh, e->current);
		} else {
			for (size_t c = 0; c < e->n_checks && !some; c++)
				some = e->checks[c].phase == e->current &&
				       check_applies(&e->checks[c], eh);
		}
		if (some)
			list[n++] = eh;
	}
	hostpool_run(e->pool, n, pool_job, &job);
	for (size_t i = 0; i < n; i++)
		ok = ok && !list[i]->failed;
	free(list);
	return ok;
}

static bool record_phase(struct engine *e, enum phase phase, enum journal_state state)
{
	struct journal_phase jp = { .run = e->cfg.run_id, .phase = phase, .host = NULL,
				    .state = state, .time_ms = wall_ms() };
	struct event ev = { .type = EVENT_PHASE_END, .phase = (int)phase, .step = -1,
			    .status = state };
	char *err = NULL;

	emit(e, &ev);
	if (journal_phase(e->cfg.journal, &jp, &err) < 0) {
		set_fatal(e, &err);
		return false;
	}
	return true;
}

/* One phase: the cluster's steps, the hosts' steps, then the checks. */
static enum journal_state run_phase(struct engine *e, enum phase phase)
{
	struct event ev = { .type = EVENT_PHASE_START, .phase = (int)phase, .step = -1 };
	int64_t start = mono_ms();
	bool ok = true;

	e->current = phase;
	for (size_t i = 0; i < e->n_hosts; i++) {
		for (size_t k = 0; k < e->hosts[i].rh->n_steps; k++) {
			const struct estep *st = &e->hosts[i].steps[k];

			if (st->rs->phase == phase && !st->skip)
				ev.total++;
		}
	}
	emit(e, &ev);
	log_debug(LOGS_ENGINE, "phase %s: %" PRIu64 " steps to run", phase_name(phase), ev.total);
	if (e->cluster != NULL && has_steps(e->cluster, phase)) {
		run_host_steps(e->cluster);
		ok = !e->cluster->failed;
	}
	if (ok && !stopping(e))
		ok = run_on_hosts(e, WORK_STEPS);
	if (ok && !stopping(e))
		ok = run_on_hosts(e, WORK_CHECKS);
	if (ok && !stopping(e) && e->cluster != NULL) {
		run_host_checks(e->cluster);
		ok = !e->cluster->failed;
	}
	e->stats.phase_ms[phase] = mono_ms() - start;
	if (!ok)
		return JOURNAL_FAILED;
	return stopping(e) ? JOURNAL_STOPPED : JOURNAL_DONE;
}

/* --- the engine ----------------------------------------------------------- */

static bool skippable_name(const struct check *checks, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (checks[i].skippable && strcmp(checks[i].name, name) == 0)
			return true;
	}
	return false;
}

struct engine *engine_new(const struct engine_config *cfg, char **err)
{
	struct engine *e = NULL;
	const struct render *r = cfg->render;
	size_t apply = SIZE_MAX;

	for (size_t i = 0; i < cfg->n_skip_checks; i++) {
		const struct check *checks = cfg->checks;
		size_t n = cfg->n_checks;

		if (checks == NULL)
			checks = health_checks(&n);
		if (!skippable_name(checks, n, cfg->skip_checks[i])) {
			char *names = health_skippable_names(checks, n);

			/* L10N: a check name, then the list of names that can be skipped. */
			*err = xasprintf(_("no check named '%s' can be skipped; these can: %s"),
					 cfg->skip_checks[i], names);
			free(names);
			return NULL;
		}
	}
	e = xcalloc(1, sizeof *e);
	e->cfg = *cfg;
	/* The defaults, once for every step and check. */
	if (e->cfg.step_timeout == 0)
		e->cfg.step_timeout = DEFAULT_STEP_TIMEOUT;
	if (e->cfg.attempts == 0)
		e->cfg.attempts = DEFAULT_ATTEMPTS;
	if (e->cfg.retry_delay_ms == 0)
		e->cfg.retry_delay_ms = DEFAULT_RETRY_DELAY_MS;
	e->checks = cfg->checks;
	e->n_checks = cfg->n_checks;
	if (e->checks == NULL)
		e->checks = health_checks(&e->n_checks);
	e->skip_check = xcalloc(e->n_checks + 1, sizeof *e->skip_check);
	for (size_t i = 0; i < e->n_checks; i++) {
		for (size_t k = 0; k < cfg->n_skip_checks; k++) {
			if (e->checks[i].skippable && strcmp(e->checks[i].name, cfg->skip_checks[k]) == 0)
				e->skip_check[i] = true;
		}
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	atomic_init(&e->stopping, false);
	atomic_init(&e->aborting, false);
	e->pool = hostpool_new(cfg->workers);
	e->n_hosts = r->n_hosts;
	e->hosts = xcalloc(r->n_hosts + 1, sizeof *e->hosts);
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct ehost *eh = &e->hosts[i];

		eh->e = e;
		eh->rh = &r->hosts[i];
		eh->is_cluster = strcmp(eh->rh->name, RENDER_CLUSTER) == 0;
		if (eh->is_cluster) {
			e->cluster = eh;
			continue;
		}
		e->n_plan_hosts = i + 1;
		eh->plan_index = i;
		eh->h = cfg->ops->open(cfg->transport, i);
		if (r->apply_host != NULL && strcmp(eh->rh->name, r->apply_host) == 0)
			apply = i;
	}
	for (int p = 0; p < PHASE_COUNT; p++)
		e->stats.phase_ms[p] = -1;
	if (e->cluster != NULL) {
		/* The cluster's steps and checks go through the apply host. */
		e->cluster->plan_index = apply != SIZE_MAX ? apply : 0;
		e->cluster->h = e->hosts[e->cluster->plan_index].h;
	}
	return e;
}

void engine_free(struct engine **pe)
{
	struct engine *e = *pe;

	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_hosts; i++) {
		struct ehost *eh = &e->hosts[i];

		if (eh->steps != NULL) {
			for (size_t k = 0; k < eh->rh->n_steps; k++)
				free(eh->steps[k].what);
			free(eh->steps);
		}
		if (eh->log != NULL)
			fclose(eh->log);
		free(eh->log_path);
		tail_clear(eh);
		if (eh->scratch.free != NULL)
			eh->scratch.free(eh->scratch.data);
		if (!eh->is_cluster)
			e->cfg.ops->close(eh->h);
	}
	for (size_t i = 0; i < e->n_notes; i++)
		free(e->notes[i].text);
	free(e->notes);
	free(e->hosts);
	free(e->skip_check);
	free(e->failure);
	free(e->fatal);
	hostpool_free(&e->pool);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->lock);
	free(e);
	*pe = NULL;
}

void engine_stop(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	atomic_store(&e->stopping, true);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
}

void engine_abort(struct engine *e)
{
	atomic_store(&e->aborting, true);
	engine_stop(e);
	for (size_t i = 0; i < e->n_plan_hosts; i++)
		e->cfg.ops->cancel(e->hosts[i].h);
}

void engine_get_stats(const struct engine *e, struct engine_stats *out)
{
	pthread_mutex_lock((pthread_mutex_t *)&e->lock);
	*out = e->stats;
	pthread_mutex_unlock((pthread_mutex_t *)&e->lock);
}

char *engine_nodes(struct engine *e, char **err)
{
	struct ehost *eh = e->cluster;
	struct check_env env = { .plan = e->cfg.plan, .render = e->cfg.render,
				 .certs = e->cfg.certs, .ops = e->cfg.ops };

	if (eh == NULL || e->cfg.certs == NULL || e->cfg.ops->stream_open == NULL) {
		*err = xstrdup(_("no cluster to ask"));
		return NULL;
	}
	env.h = eh->h;
	env.host = eh->plan_index;
	env.cluster = true;
	env.scratch = &eh->scratch;
	return healthapi_nodes_summary(&env, err);
}

/* Each host's log file, created 0600 (output may name internal details). */
static int open_logs(struct engine *e, char **err)
{
	for (size_t i = 0; i < e->n_hosts; i++) {
		struct ehost *eh = &e->hosts[i];
		int fd;

		eh->log_path = xasprintf("%s/%s.log", e->cfg.log_dir, eh->rh->name);
		fd = open(eh->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || (eh->log = fdopen(fd, "a")) == NULL) {
			/* L10N: a path and the system's error message. */
			*err = xasprintf(_("cannot write %s: %s"), eh->log_path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
	}
	return 0;
}

enum engine_outcome engine_run(struct engine *e, char **err)
{
	struct journal_run jr = { .id = e->cfg.run_id, .command = e->cfg.command,
				  .start_ms = wall_ms(), .log_dir = e->cfg.log_dir };
	struct event ev = { .type = EVENT_RUN_START, .phase = -1, .step = -1 };
	const struct journal_run *last = journal_last_run(e->cfg.journal);
	bool was_complete = last != NULL && last->state == JOURNAL_DONE;
	enum engine_outcome outcome = ENGINE_DONE;
	enum journal_state state = JOURNAL_DONE;
	size_t to_run = 0, skipped = 0;
	uint64_t bytes = 0;

	*err = NULL;
	if (open_logs(e, err) < 0 || plan_steps(e, &to_run, &skipped, &bytes, err) < 0 ||
	    journal_run_begin(e->cfg.journal, &jr, err) < 0) {
		ev.type = EVENT_RUN_END;
		ev.status = ENGINE_ERROR;
		ev.detail = *err;
		emit(e, &ev);
		return ENGINE_ERROR;
	}
	for (size_t i = 0; i < e->n_plan_hosts; i++)
		e->cfg.ops->cancel_clear(e->hosts[i].h);
	ev.text = (char *)e->cfg.run_id;
	ev.detail = (char *)e->cfg.log_dir;
	ev.total = to_run;
	ev.done = skipped;
	ev.bytes = bytes;
	emit(e, &ev);
	for (size_t i = 0; i < e->n_notes; i++)
		note(e, (int)e->notes[i].phase, e->notes[i].host, "%s", e->notes[i].text);
	if (to_run == 0 && was_complete)
		note(e, -1, NULL, "%s",
		     _("the journal says this cluster is complete and the plan has not changed: "
		       "only the health checks run"));
	for (int p = 0; p < PHASE_COUNT && state == JOURNAL_DONE; p++) {
		if (stopping(e)) {
			state = JOURNAL_STOPPED;
			break;
		}
		if (!phase_enabled(e->cfg.plan, (enum phase)p)) {
			/* L10N: a phase name. */
			note(e, p, NULL, _("phase %s is off in the plan: skipped"),
			     phase_name((enum phase)p));
			if (!record_phase(e, (enum phase)p, JOURNAL_SKIPPED))
				state = JOURNAL_FAILED;
			continue;
		}
		state = run_phase(e, (enum phase)p);
		if (!record_phase(e, (enum phase)p, state))
			state = JOURNAL_FAILED;
	}
	if (e->fatal != NULL) {
		outcome = ENGINE_ERROR;
		*err = xstrdup(e->fatal);
	} else if (state == JOURNAL_FAILED) {
		size_t more = e->stats.steps_failed + e->stats.checks_failed;

		outcome = ENGINE_FAILED;
		if (e->failure == NULL)
			*err = xstrdup(_("the run failed"));
		else if (more > 1)
			/* L10N: the first failure, then how many more there were. */
			*err = xasprintf(_("%s (and %zu more failures, named above)"), e->failure,
					 more - 1);
		else
			*err = xstrdup(e->failure);
	} else if (state == JOURNAL_STOPPED) {
		outcome = ENGINE_STOPPED;
	}
	{
		char *jerr = NULL;

		if (journal_run_end(e->cfg.journal, e->cfg.run_id, state, &jerr) < 0) {
			free(*err);
			*err = jerr;
			outcome = ENGINE_ERROR;
		}
	}
	memset(&ev, 0, sizeof ev);
	ev.type = EVENT_RUN_END;
	ev.phase = -1;
	ev.step = -1;
	ev.status = (int)outcome;
	ev.detail = *err;
	emit(e, &ev);
	return outcome;
}
