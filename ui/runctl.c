/* The Run page's install: preparing it in a thread, the engine's events into
 * the model, the engine's questions held for the page, and the results kept
 * once the run has ended and its lock is released. */
#include "config.h"

#include "runctl.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/xmalloc.h"

/* How often to look whether the preparing thread is done. */
#define PREPARE_POLL_MS 100
/* While running, the clocks on the page move once a second. */
#define CLOCK_MS 1000

struct runctl {
	struct runctl_options opt;
	enum runctl_state state;
	struct runmodel *model;
	struct event_queue *q;
	struct install *in;

	/* The preparing thread's input and output. */
	pthread_t prep;
	bool prep_started;
	atomic_bool prep_done;
	struct plan *plan;
	char *plan_file;
	char *command;
	int prep_rc;
	char *prep_err;

	struct event_question *question;
	bool run_end_seen;
	bool stop_asked; /* a stop came while preparing */

	/* What stays after the run. */
	char *error; /* why it could not start */
	bool locked;
	bool have_stats;
	struct engine_stats stats;
	char *nodes, *nodes_why, *kubeconfig, *cluster;
};

struct runctl *runctl_new(const struct runctl_options *o)
{
	struct runctl *c = xcalloc(1, sizeof *c);

	c->opt = *o;
	atomic_init(&c->prep_done, false);
	return c;
}

static void clear_results(struct runctl *c)
{
	xfree(&c->error);
	xfree(&c->nodes);
	xfree(&c->nodes_why);
	xfree(&c->kubeconfig);
	xfree(&c->cluster);
	xfree(&c->prep_err);
	c->locked = false;
	c->have_stats = false;
	c->run_end_seen = false;
	c->stop_asked = false;
	c->question = NULL;
}

/* Wait for the preparing thread (it cannot be interrupted: the PKI it may be
 * making takes a few seconds at most). */
static void join_prep(struct runctl *c)
{
	if (!c->prep_started)
		return;
	pthread_join(c->prep, NULL);
	c->prep_started = false;
	plan_free(&c->plan);
	xfree(&c->plan_file);
	xfree(&c->command);
}

void runctl_free(struct runctl **pc)
{
	struct runctl *c = *pc;

	if (c == NULL)
		return;
	join_prep(c);
	install_free(&c->in);
	event_queue_free(&c->q);
	runmodel_free(&c->model);
	clear_results(c);
	free(c);
	*pc = NULL;
}

static void *prep_main(void *arg)
{
	struct runctl *c = arg;
	struct install_options o = {
		.command = c->command, .need_run = false, .known_hosts = c->opt.known_hosts,
		.skip_checks = c->opt.skip_checks, .n_skip_checks = c->opt.n_skip_checks,
		.parallel = c->opt.parallel, .render = c->opt.render, .checks = c->opt.checks,
		.n_checks = c->opt.n_checks,
	};

	c->prep_rc = install_prepare(c->plan, c->plan_file, &o, &c->in, &c->prep_err);
	if (c->prep_rc == INSTALL_OK && install_start(c->in, c->q, &c->prep_err) < 0) {
		c->prep_rc = INSTALL_INPUT;
		install_free(&c->in);
	}
	atomic_store(&c->prep_done, true);
	return NULL;
}

bool runctl_start(struct runctl *c, const struct plan *plan, const char *plan_file,
		  const char *command)
{
	sigset_t block, old;

	if (c->state == RUNCTL_PREPARING || c->state == RUNCTL_RUNNING)
		return false;
	join_prep(c);
	install_free(&c->in);
	event_queue_free(&c->q);
	runmodel_free(&c->model);
	clear_results(c);
	c->q = event_queue_new();
	c->model = runmodel_new(plan);
	c->plan = plan_dup(plan);
	c->plan_file = plan_file != NULL ? xstrdup(plan_file) : NULL;
	c->command = xstrdup(command);
	c->cluster = xstrdup(plan->name);
	atomic_store(&c->prep_done, false);
	/* The engine's threads (started from this one) must leave the
	 * terminal's signals to the UI thread, whose poll they wake. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&c->prep, NULL, prep_main, c) != 0)
		xalloc_die("pthread_create");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	c->prep_started = true;
	c->state = RUNCTL_PREPARING;
	return true;
}

enum runctl_state runctl_state(const struct runctl *c)
{
	return c->state;
}

int runctl_fd(const struct runctl *c)
{
	return c->state == RUNCTL_RUNNING && c->q != NULL ? event_queue_fd(c->q) : -1;
}

int runctl_timeout(const struct runctl *c)
{
	switch (c->state) {
	case RUNCTL_PREPARING:
		return PREPARE_POLL_MS;
	case RUNCTL_RUNNING:
		/* Once the engine said its last word, its thread still asks
		 * for the nodes: look again soon. */
		return c->run_end_seen ? PREPARE_POLL_MS : CLOCK_MS;
	default:
		return -1;
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The preparing thread is done: running, or ended before it began. */
static void prepared(struct runctl *c)
{
	int rc = c->prep_rc;

	join_prep(c);
	if (rc == INSTALL_OK) {
		c->state = RUNCTL_RUNNING;
		if (c->stop_asked)
			install_stop(c->in);
		return;
	}
	c->error = c->prep_err != NULL ? xstrdup(c->prep_err) : xstrdup("?");
	c->locked = rc == INSTALL_LOCKED;
	c->state = RUNCTL_ENDED;
}

/* The engine's thread is done: keep what the page shows afterwards and let
 * go of the cluster. */
static void finished(struct runctl *c)
{
	const char *err = NULL, *why = NULL, *nodes = NULL;

	/* err came with the run's last event too: the model has it. */
	install_wait(c->in, &err);
	install_stats(c->in, &c->stats);
	c->have_stats = true;
	nodes = install_nodes(c->in, &why);
	c->nodes = nodes != NULL ? xstrdup(nodes) : NULL;
	c->nodes_why = why != NULL ? xstrdup(why) : NULL;
	c->kubeconfig = install_kubeconfig(c->in) != NULL ? xstrdup(install_kubeconfig(c->in))
							     : NULL;
	install_free(&c->in);
	c->question = NULL;
	c->state = RUNCTL_ENDED;
}

bool runctl_pump(struct runctl *c, int64_t now, int budget_ms)
{
	int64_t until = mono_ms() + budget_ms;
	bool changed = false;
	struct event ev;
	unsigned n = 0;

	if (c->state == RUNCTL_PREPARING && atomic_load(&c->prep_done)) {
		prepared(c);
		changed = true;
	}
	if (c->state != RUNCTL_RUNNING)
		return changed;
	/* The clock is read every 64 events: a burst of lines costs little. */
	while ((++n % 64 != 0 || mono_ms() < until) && event_pop(c->q, &ev)) {
		if (ev.type == EVENT_QUESTION) {
			c->question = ev.question;
			changed = true;
		} else {
			changed = runmodel_event(c->model, &ev, now) || changed;
			c->run_end_seen = c->run_end_seen || ev.type == EVENT_RUN_END;
		}
		event_clear(&ev);
	}
	if (c->run_end_seen && install_finished(c->in)) {
		finished(c);
		changed = true;
	}
	return changed;
}

struct runmodel *runctl_model(struct runctl *c)
{
	return c->model;
}

const char *runctl_error(const struct runctl *c, bool *locked)
{
	if (locked != NULL)
		*locked = c->locked;
	return c->error;
}

bool runctl_stats(const struct runctl *c, struct engine_stats *out)
{
	if (c->have_stats)
		*out = c->stats;
	return c->have_stats;
}

const char *runctl_nodes(const struct runctl *c, const char **why)
{
	*why = c->nodes_why;
	return c->nodes;
}

const char *runctl_kubeconfig(const struct runctl *c)
{
	return c->kubeconfig;
}

const char *runctl_cluster(const struct runctl *c)
{
	return c->cluster;
}

void runctl_stop(struct runctl *c)
{
	/* While preparing, the stop waits for the engine to exist. */
	if (c->state == RUNCTL_PREPARING)
		c->stop_asked = true;
	if (c->state == RUNCTL_RUNNING || c->state == RUNCTL_PREPARING)
		c->model->stopping = true;
	if (c->state == RUNCTL_RUNNING)
		install_stop(c->in);
}

void runctl_abort(struct runctl *c)
{
	if (c->state == RUNCTL_PREPARING)
		c->stop_asked = true;
	if (c->state != RUNCTL_RUNNING)
		return;
	install_abort(c->in);
	c->model->stopping = c->model->aborting = true;
	/* Nothing more is asked of a run being ended. */
	event_queue_refuse_questions(c->q, true);
	if (c->question != NULL && c->question->type == EVENT_ASK_HOSTKEY)
		runctl_answer_hostkey(c, REMOTE_HOSTKEY_REJECT);
	else if (c->question != NULL)
		runctl_answer_secret(c, NULL);
}

const struct event_question *runctl_question(const struct runctl *c)
{
	return c->question;
}

void runctl_answer_hostkey(struct runctl *c, enum remote_hostkey_answer a)
{
	if (c->question == NULL || c->question->type != EVENT_ASK_HOSTKEY)
		return;
	event_answer_hostkey(c->q, c->question, a);
	c->question = NULL;
}

void runctl_answer_secret(struct runctl *c, const char *secret)
{
	if (c->question == NULL || c->question->type != EVENT_ASK_SECRET)
		return;
	event_answer_secret(c->q, c->question, secret);
	c->question = NULL;
}
