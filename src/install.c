/* Preparing an install run, running its engine in a thread, and ending it:
 * the part of `apply` that the wizard's Run page shares. */
#include "config.h"

#include "install.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "journal.h"
#include "nls.h"
#include "planfile.h"
#include "stage.h"
#include "strbuf.h"
#include "transport_ssh.h"
#include "xmalloc.h"

struct install {
	struct plan *plan;
	struct install_options opt;
	char **skip; /* the names of opt.skip_checks, copied */
	struct stage stage; /* with opt.render: the state directory and its lock alone */
	const struct render *render; /* stage's, or opt.render */
	struct journal *journal;
	char *run_id, *run_dir, *kubeconfig;

	struct remote_prompts prompts;
	struct transport_ssh *transport;
	struct engine *engine;
	struct event_queue *q;
	pthread_t thread;
	bool started, joined;
	atomic_bool finished;
	enum engine_outcome outcome;
	char *err;
	char *nodes, *nodes_why;
	struct engine_stats stats;
};

/* A new run id (the local time) and its log directory under state_dir. */
static char *make_run_dir(const char *state_dir, char **id, char **err)
{
	char *runs = xasprintf("%s/runs", state_dir);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	char *dir = NULL;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	if (mkdir(runs, 0700) < 0 && errno != EEXIST) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot create %s: %s"), runs, strerror(errno));
		free(runs);
		return NULL;
	}
	for (unsigned n = 1; n < 100 && dir == NULL; n++) {
		*id = n == 1 ? xstrdup(stamp) : xasprintf("%s-%u", stamp, n);
		dir = xasprintf("%s/%s", runs, *id);
		if (mkdir(dir, 0700) == 0)
			break;
		if (errno != EEXIST) {
			/* L10N: a path and the system's error message. */
			*err = xasprintf(_("cannot create %s: %s"), dir, strerror(errno));
			xfree(&dir);
			xfree(id);
			break;
		}
		xfree(&dir);
		xfree(id);
	}
	free(runs);
	return dir;
}

/* The admin kubeconfig the masters received, for the operator's kubectl.
 * NULL without *err when the render has none. */
static char *save_admin_kubeconfig(const struct render *r, const char *state_dir, char **err)
{
	for (size_t i = 0; i < r->n_hosts; i++) {
		const struct render_host *h = &r->hosts[i];

		for (size_t k = 0; k < h->n_files; k++) {
			const struct render_file *f = &h->files[k];
			char *path = NULL;

			if (strcmp(f->path, "/etc/kubernetes/admin.kubeconfig") != 0 ||
			    f->source_type != RENDER_TEXT)
				continue;
			path = xasprintf("%s/admin.kubeconfig", state_dir);
			if (fileio_write_atomic(path, f->content, f->len, 0600, err) < 0)
				xfree(&path);
			return path;
		}
	}
	return NULL;
}

static bool named_before(const struct render *r, size_t i, size_t k, const char *source)
{
	for (size_t j = 0; j <= i; j++) {
		size_t end = j == i ? k : r->hosts[j].n_files;

		for (size_t m = 0; m < end; m++) {
			const struct render_file *f = &r->hosts[j].files[m];

			if (f->source_type == RENDER_BUNDLE && strcmp(f->source, source) == 0)
				return true;
		}
	}
	return false;
}

/* Every bundle file the render names must be there before any host is
 * contacted: a line for each one that is not (once, not once per host), then
 * what to do. NULL when the bundle is complete. */
static char *bundle_missing(const struct render *r)
{
	struct strbuf b = { 0 };

	for (size_t i = 0; i < r->n_hosts; i++) {
		const struct render_host *h = &r->hosts[i];

		for (size_t k = 0; k < h->n_files; k++) {
			const struct render_file *f = &h->files[k];
			int error;

			if (f->source_type != RENDER_BUNDLE || access(f->source, R_OK) == 0)
				continue;
			error = errno;
			if (named_before(r, i, k, f->source))
				continue;
			/* L10N: a path and the system's error message. */
			strbuf_addf(&b, _("bundle file %s: %s"), f->source, strerror(error));
			strbuf_addc(&b, '\n');
		}
	}
	if (b.len == 0)
		return NULL;
	strbuf_addf(&b, "%s", _("the bundle is not complete: doc/bundle.md says what it holds and "
				"where each file comes from; no host was contacted"));
	return strbuf_detach(&b, NULL);
}

/* The stage (stage.h: the lock, then PKI and render), and the bundle; for a
 * render given by the caller, the state directory and its lock alone. */
static int prepare_stage(struct install *in, const char *plan_file, char **err)
{
	const struct render *given = in->opt.render;

	switch (given != NULL ? stage_lock(in->plan, in->opt.command, &in->stage, err)
			      : stage_prepare(in->plan, plan_file, in->opt.command, &in->stage, err)) {
	case 0:
		break;
	case 1:
		return INSTALL_LOCKED;
	case -2:
		return INSTALL_INPUT;
	default:
		return INSTALL_ERROR;
	}
	in->render = given != NULL ? given : in->stage.render;
	*err = given != NULL ? NULL : bundle_missing(in->render);
	return *err != NULL ? INSTALL_INPUT : INSTALL_OK;
}

int install_prepare(const struct plan *plan, const char *plan_file,
		    const struct install_options *o, struct install **out, char **err)
{
	struct install *in = xcalloc(1, sizeof *in);
	char *journal_path = NULL, *copy = NULL;
	int rc = INSTALL_ERROR;

	*out = NULL;
	*err = NULL;
	in->plan = plan_dup(plan);
	in->opt = *o;
	in->opt.command = xstrdup(o->command);
	in->opt.known_hosts = o->known_hosts != NULL ? xstrdup(o->known_hosts) : NULL;
	in->skip = xcalloc(o->n_skip_checks + 1, sizeof *in->skip);
	for (size_t i = 0; i < o->n_skip_checks; i++)
		in->skip[i] = xstrdup(o->skip_checks[i]);
	in->opt.skip_checks = (const char *const *)in->skip;
	atomic_init(&in->finished, false);
	rc = prepare_stage(in, plan_file, err);
	if (rc != INSTALL_OK)
		goto out;
	rc = INSTALL_ERROR;
	journal_path = xasprintf("%s/journal", in->stage.state_dir);
	if (journal_open(journal_path, &in->journal, err) < 0)
		goto out;
	if (o->need_run && journal_last_run(in->journal) == NULL) {
		/* L10N: cluster name. */
		*err = xasprintf(_("cluster %s has no run to resume: start one with k8s-wizard apply "
				   "-f PLAN"), in->plan->name);
		rc = INSTALL_INPUT;
		goto out;
	}
	in->run_dir = make_run_dir(in->stage.state_dir, &in->run_id, err);
	if (in->run_dir == NULL)
		goto out;
	copy = xasprintf("%s/plan.yaml", in->run_dir);
	if (planfile_save(in->plan, copy, err) < 0)
		goto out;
	if (o->render == NULL) {
		in->kubeconfig = save_admin_kubeconfig(in->render, in->stage.state_dir, err);
		if (*err != NULL)
			goto out;
	}
	rc = INSTALL_OK;
out:
	free(journal_path);
	free(copy);
	if (rc == INSTALL_OK)
		*out = in;
	else
		install_free(&in);
	return rc;
}

static void *install_main(void *arg)
{
	struct install *in = arg;

	in->outcome = engine_run(in->engine, &in->err);
	engine_get_stats(in->engine, &in->stats);
	/* Asked here, not by the front end: it is a network call. */
	if (in->outcome == ENGINE_DONE)
		in->nodes = engine_nodes(in->engine, &in->nodes_why);
	atomic_store(&in->finished, true);
	return NULL;
}

int install_start(struct install *in, struct event_queue *q, char **err)
{
	struct remote_config rc = { 0 };
	struct engine_config cfg = {
		.plan = in->plan, .render = in->render, .certs = in->stage.certs,
		.journal = in->journal, .events = q, .ops = &transport_ssh_ops,
		.run_id = in->run_id, .command = in->opt.command, .log_dir = in->run_dir,
		.workers = in->opt.parallel, .skip_checks = in->opt.skip_checks,
		.n_skip_checks = in->opt.n_skip_checks, .step_timeout = in->opt.step_timeout,
		.checks = in->opt.checks, .n_checks = in->opt.n_checks,
	};

	in->q = q;
	event_prompts(q, &in->prompts);
	remote_config_from_plan(in->plan, &rc);
	rc.known_hosts = in->opt.known_hosts;
	rc.prompts = &in->prompts;
	in->transport = transport_ssh_new(in->plan, &rc);
	cfg.transport = in->transport;
	in->engine = engine_new(&cfg, err);
	if (in->engine == NULL)
		return -1;
	if (pthread_create(&in->thread, NULL, install_main, in) != 0)
		xalloc_die("pthread_create");
	in->started = true;
	return 0;
}

void install_stop(struct install *in)
{
	if (in->engine != NULL)
		engine_stop(in->engine);
}

void install_abort(struct install *in)
{
	if (in->engine != NULL)
		engine_abort(in->engine);
}

bool install_finished(const struct install *in)
{
	return !in->started || atomic_load(&in->finished);
}

enum engine_outcome install_wait(struct install *in, const char **err)
{
	if (in->started && !in->joined) {
		pthread_join(in->thread, NULL);
		in->joined = true;
	}
	*err = in->err;
	return in->outcome;
}

void install_stats(const struct install *in, struct engine_stats *out)
{
	*out = in->stats;
}

const char *install_nodes(const struct install *in, const char **why)
{
	*why = in->nodes_why;
	return in->nodes;
}

const struct plan *install_plan(const struct install *in)
{
	return in->plan;
}

const char *install_run_dir(const struct install *in)
{
	return in->run_dir;
}

const char *install_kubeconfig(const struct install *in)
{
	return in->kubeconfig;
}

/* Abort a run still going and wait for its thread, refusing every question
 * the winding-down engine asks: a worker waiting for an answer would never
 * end. */
static void wind_down(struct install *in)
{
	const char *ignored = NULL;

	if (!in->started || in->joined)
		return;
	engine_abort(in->engine);
	event_queue_refuse_questions(in->q, true);
	while (!atomic_load(&in->finished)) {
		struct event ev;

		while (event_pop(in->q, &ev)) {
			if (ev.type == EVENT_QUESTION && ev.question->type == EVENT_ASK_HOSTKEY)
				event_answer_hostkey(in->q, ev.question, REMOTE_HOSTKEY_REJECT);
			else if (ev.type == EVENT_QUESTION)
				event_answer_secret(in->q, ev.question, NULL);
			event_clear(&ev);
		}
		event_wait(in->q, 100);
	}
	install_wait(in, &ignored);
}

void install_free(struct install **pin)
{
	struct install *in = *pin;

	if (in == NULL)
		return;
	wind_down(in);
	engine_free(&in->engine);
	transport_ssh_free(&in->transport);
	journal_close(&in->journal);
	stage_clear(&in->stage);
	plan_free(&in->plan);
	for (size_t i = 0; i < in->opt.n_skip_checks; i++)
		free(in->skip[i]);
	free(in->skip);
	free((char *)in->opt.command);
	free((char *)in->opt.known_hosts);
	free(in->run_id);
	free(in->run_dir);
	free(in->kubeconfig);
	free(in->err);
	free(in->nodes);
	free(in->nodes_why);
	free(in);
	*pin = NULL;
}
