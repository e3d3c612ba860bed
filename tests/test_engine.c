/* The install engine against scripted hosts (a fake transport): order of
 * phases and steps, parallel hosts (proved with a barrier), the journal and
 * resume (done steps skipped, changed ones and those after them re-run),
 * retries on a lost connection, failures, stop and abort, health checks that
 * wait, fail or are skipped by name. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "event.h"
#include "journal.h"
#include "plan.h"
#include "render.h"
#include "strbuf.h"
#include "xmalloc.h"

/* --- scripted hosts ------------------------------------------------------- */

struct fake_host {
	struct fake *f;
	size_t index;
	struct strbuf calls; /* one line per command or upload, in order */
	enum transport_cause cause;
	atomic_bool cancelled;
	bool refuse_connect;
	unsigned lose; /* this many commands lose the connection first */
};

struct fake {
	struct fake_host hosts[4];
	pthread_mutex_t lock;
	atomic_int arrived;        /* hosts at the "barrier" command */
	atomic_int running;        /* commands "hang" under way */
	const char *fail;          /* a command that exits 1, or NULL */
	unsigned lose_after_fail;  /* then this many commands lose the connection */
	unsigned total_calls;
};

static void *fake_open(void *ctx, size_t i)
{
	struct fake *f = ctx;

	f->hosts[i].f = f;
	f->hosts[i].index = i;
	return &f->hosts[i];
}

static void fake_close(void *h)
{
	(void)h;
}

static void record(struct fake_host *h, const char *fmt, const char *arg)
{
	pthread_mutex_lock(&h->f->lock);
	strbuf_addf(&h->calls, fmt, arg);
	strbuf_addc(&h->calls, '\n');
	h->f->total_calls++;
	pthread_mutex_unlock(&h->f->lock);
}

static int fake_connect(void *vh, char **err)
{
	struct fake_host *h = vh;

	if (h->refuse_connect) {
		h->cause = TRANSPORT_REFUSED;
		*err = xstrdup("host key refused");
		return -1;
	}
	h->cause = TRANSPORT_OK;
	return 0;
}

static int fake_run(void *vh, const struct remote_cmd *cmd, struct remote_result *res,
		    char **err)
{
	struct fake_host *h = vh;
	struct remote_line line = { .stream = REMOTE_STDOUT, .text = "out", .len = 3 };

	memset(res, 0, sizeof *res);
	if (atomic_load(&h->cancelled)) {
		h->cause = TRANSPORT_CANCELLED;
		res->status = REMOTE_FAILED;
		return -1;
	}
	if (h->lose > 0) {
		h->lose--;
		h->cause = TRANSPORT_LOST;
		res->status = REMOTE_LOST;
		*err = xstrdup("connection lost");
		return -1;
	}
	h->cause = TRANSPORT_OK;
	record(h, "run %s", cmd->command);
	if (cmd->on_line != NULL)
		cmd->on_line(&line, cmd->data);
	if (strcmp(cmd->command, "barrier") == 0) {
		/* Wait (5 s at most) until all three hosts are here at once. */
		int waited = 0;

		atomic_fetch_add(&h->f->arrived, 1);
		while (atomic_load(&h->f->arrived) < 3 && waited++ < 5000)
			usleep(1000);
		res->status = REMOTE_EXITED;
		res->exit_code = atomic_load(&h->f->arrived) < 3;
		return 0;
	} else if (strcmp(cmd->command, "hang") == 0) {
		atomic_fetch_add(&h->f->running, 1);
		while (!atomic_load(&h->cancelled))
			usleep(1000);
		atomic_fetch_sub(&h->f->running, 1);
		h->cause = TRANSPORT_CANCELLED;
		res->status = REMOTE_FAILED;
		return -1;
	} else if (strcmp(cmd->command, "slow") == 0) {
		atomic_fetch_add(&h->f->running, 1);
		usleep(300 * 1000);
		atomic_fetch_sub(&h->f->running, 1);
	}
	res->status = REMOTE_EXITED;
	res->exit_code = h->f->fail != NULL && strcmp(cmd->command, h->f->fail) == 0 ? 1 : 0;
	if (res->exit_code != 0)
		h->lose = h->f->lose_after_fail;
	return 0;
}

static int fake_upload(void *vh, const struct transport_file *tf, transport_progress_fn progress,
		       void *data, bool *skipped, char **err)
{
	struct fake_host *h = vh;

	(void)err;
	*skipped = false;
	record(h, "upload %s", tf->dest);
	if (strstr(tf->dest, "slow") != NULL) {
		atomic_fetch_add(&h->f->running, 1);
		usleep(300 * 1000);
		atomic_fetch_sub(&h->f->running, 1);
	}
	if (progress != NULL)
		progress(tf->len, tf->len, data);
	return 0;
}

static void fake_cancel(void *vh)
{
	atomic_store(&((struct fake_host *)vh)->cancelled, true);
}

static void fake_cancel_clear(void *vh)
{
	atomic_store(&((struct fake_host *)vh)->cancelled, false);
}

static enum transport_cause fake_cause(void *vh)
{
	return ((struct fake_host *)vh)->cause;
}

static const struct transport_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.connect = fake_connect,
	.run = fake_run,
	.upload = fake_upload,
	.cancel = fake_cancel,
	.cancel_clear = fake_cancel_clear,
	.cause = fake_cause,
};

/* --- a small render by hand ----------------------------------------------- */

struct fixture {
	char dir[64];
	char *journal_path;
	struct plan *plan;
	struct render r;
	struct fake fake;
	struct event_queue *q;
	struct journal *j;
	struct engine_stats stats;
	char *err;
	unsigned run_no;
	unsigned changed_notes; /* notes of the last run about changed inputs */
	struct event *events; /* the last run's, but for output and progress */
	size_t n_events;
	size_t n_output[4];   /* output lines per host */
};

static void add_file(struct render_host *h, enum phase phase, const char *path, const char *text)
{
	struct render_file *f = NULL;

	h->files = xreallocarray(h->files, h->n_files + 1, sizeof *h->files);
	f = &h->files[h->n_files++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->mode = 0644;
	f->owner = "root:root";
	f->phase = phase;
	f->source_type = RENDER_TEXT;
	f->content = xstrdup(text);
	f->len = strlen(text);
}

static void add_step(struct render_host *h, enum phase phase, enum render_step_type type,
		     const char *command)
{
	struct render_step *s = NULL;

	h->steps = xreallocarray(h->steps, h->n_steps + 1, sizeof *h->steps);
	s = &h->steps[h->n_steps++];
	s->phase = phase;
	s->type = type;
	s->command = command != NULL ? xstrdup(command) : NULL;
	s->file = h->n_files - 1;
}

static void set_command(struct render_host *h, size_t step, const char *command)
{
	free(h->steps[step].command);
	h->steps[step].command = xstrdup(command);
}

/* Hosts m1 (master, etcd), w1 and w2 (workers), and the cluster. */
static void build_render(struct render *r)
{
	static const char *const names[] = { "m1", "w1", "w2", RENDER_CLUSTER };
	static const unsigned roles[] = { ROLE_MASTER | ROLE_ETCD, ROLE_WORKER, ROLE_WORKER, 0 };

	r->n_hosts = 4;
	r->hosts = xcalloc(4, sizeof *r->hosts);
	r->apply_host = xstrdup("m1");
	for (size_t i = 0; i < 4; i++) {
		struct render_host *h = &r->hosts[i];

		h->name = xstrdup(names[i]);
		h->roles = roles[i];
		if (i == 3) {
			add_file(h, PHASE_WORKERS, "rbac.yaml", "kind: ClusterRoleBinding\n");
			add_step(h, PHASE_WORKERS, RENDER_STEP_APPLY, "kubectl apply -f -");
			add_file(h, PHASE_CALICO, "calico.yaml", "kind: DaemonSet\n");
			add_step(h, PHASE_CALICO, RENDER_STEP_APPLY, "kubectl apply -f -");
			continue;
		}
		add_step(h, PHASE_PREPARE, RENDER_STEP_RUN, "prep-a");
		add_step(h, PHASE_PREPARE, RENDER_STEP_RUN, "prep-b");
		add_file(h, PHASE_CONTAINERD, "/etc/containerd/config.toml", "version = 2\n");
		add_step(h, PHASE_CONTAINERD, RENDER_STEP_UPLOAD, NULL);
		add_step(h, PHASE_CONTAINERD, RENDER_STEP_RUN, "systemctl restart containerd");
		add_step(h, PHASE_CONTAINERD, RENDER_STEP_RUN, "crictl version");
		if (i == 0) {
			add_step(h, PHASE_ETCD, RENDER_STEP_RUN, "etcd-a");
		} else {
			add_step(h, PHASE_WORKERS, RENDER_STEP_RUN, "kubelet-a");
			add_step(h, PHASE_WORKERS, RENDER_STEP_RUN, "kubelet-b");
		}
	}
}

static void free_render(struct render *r)
{
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct render_host *h = &r->hosts[i];

		for (size_t k = 0; k < h->n_files; k++) {
			free(h->files[k].path);
			free(h->files[k].content);
		}
		for (size_t k = 0; k < h->n_steps; k++)
			free(h->steps[k].command);
		free(h->files);
		free(h->steps);
		free(h->name);
	}
	free(r->hosts);
	free(r->apply_host);
}

static void free_events(struct fixture *f)
{
	for (size_t i = 0; i < f->n_events; i++)
		event_clear(&f->events[i]);
	xfree(&f->events);
	f->n_events = 0;
	memset(f->n_output, 0, sizeof f->n_output);
}

/* Keep what a run told its front end. */
static void keep_events(struct fixture *f)
{
	struct event ev;

	free_events(f);
	f->changed_notes = 0;
	while (event_pop(f->q, &ev)) {
		if (ev.type == EVENT_NOTE && strstr(ev.text, "changed since it was done") != NULL)
			f->changed_notes++;
		if (ev.type == EVENT_OUTPUT) {
			for (size_t i = 0; i < 4; i++) {
				if (strcmp(ev.host, f->r.hosts[i].name) == 0) {
					assert_string_equal(ev.text, "out");
					f->n_output[i]++;
				}
			}
		}
		if (ev.type == EVENT_OUTPUT || ev.type == EVENT_PROGRESS) {
			event_clear(&ev);
			continue;
		}
		f->events = xreallocarray(f->events, f->n_events + 1, sizeof *f->events);
		f->events[f->n_events++] = ev;
	}
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	xsnprintf(f->dir, sizeof f->dir, "/tmp/k8sw-engine.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->journal_path = xasprintf("%s/journal", f->dir);
	f->plan = plan_new_default();
	build_render(&f->r);
	pthread_mutex_init(&f->fake.lock, NULL);
	f->q = event_queue_new();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	assert_int_equal(system(cmd), 0); /* !checksrc! allow: test cleanup */
	free(cmd);
	for (size_t i = 0; i < 4; i++)
		strbuf_clear(&f->fake.hosts[i].calls);
	pthread_mutex_destroy(&f->fake.lock);
	free_events(f);
	event_queue_free(&f->q);
	free_render(&f->r);
	plan_free(&f->plan);
	free(f->journal_path);
	free(f->err);
	free(f);
	return 0;
}

static void clear_calls(struct fixture *f)
{
	for (size_t i = 0; i < 4; i++)
		strbuf_clear(&f->fake.hosts[i].calls);
	f->fake.total_calls = 0;
}

static const char *calls(struct fixture *f, size_t host)
{
	return f->fake.hosts[host].calls.s != NULL ? f->fake.hosts[host].calls.s : "";
}

/* The whole of a file (it must exist). */
static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	struct strbuf b = { 0 };
	char buf[4096];
	size_t n;

	if (fp == NULL)
		fail_msg("cannot read %s", path);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		strbuf_add(&b, buf, n);
	fclose(fp);
	return strbuf_detach(&b, NULL);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p != NULL; p = strstr(p + 1, what))
		n++;
	return n;
}

static const struct check no_checks[1];

/* Run the engine once (a new run id each time) and return its outcome. */
static enum engine_outcome run_with(struct fixture *f, const struct check *checks,
				    size_t n_checks, const char *const *skip, size_t n_skip)
{
	char run_id[32], *err = NULL;
	struct engine_config cfg = {
		.plan = f->plan, .render = &f->r, .journal = NULL, .events = f->q,
		.ops = &fake_ops, .transport = &f->fake, .run_id = run_id, .command = "apply",
		.log_dir = f->dir, .checks = checks != NULL ? checks : no_checks,
		.n_checks = checks != NULL ? n_checks : 0, .skip_checks = skip,
		.n_skip_checks = n_skip, .retry_delay_ms = 10,
	};
	struct engine *e = NULL;
	enum engine_outcome out;

	xsnprintf(run_id, sizeof run_id, "run%u", ++f->run_no);
	if (journal_open(f->journal_path, &f->j, &err) < 0)
		fail_msg("journal: %s", err);
	cfg.journal = f->j;
	e = engine_new(&cfg, &err);
	if (e == NULL)
		fail_msg("engine_new: %s", err);
	xfree(&f->err);
	out = engine_run(e, &f->err);
	engine_get_stats(e, &f->stats);
	engine_free(&e);
	journal_close(&f->j);
	keep_events(f);
	return out;
}

static enum engine_outcome run(struct fixture *f)
{
	return run_with(f, NULL, 0, NULL, 0);
}

static const struct journal_step *find_step(struct fixture *f, enum phase p, const char *host,
					    unsigned index)
{
	char *err = NULL;

	journal_close(&f->j);
	if (journal_open(f->journal_path, &f->j, &err) < 0)
		fail_msg("journal: %s", err);
	return journal_find_step(f->j, p, host, index);
}

/* --- tests ---------------------------------------------------------------- */

static void fresh_run_in_order(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f), ENGINE_DONE);
	assert_string_equal(calls(f, 0), "run prep-a\nrun prep-b\n"
					 "upload /etc/containerd/config.toml\n"
					 "run systemctl restart containerd\nrun crictl version\n"
					 "run etcd-a\n"
					 /* the cluster's steps, on the apply host */
					 "run kubectl apply -f -\nrun kubectl apply -f -\n");
	assert_string_equal(calls(f, 1), "run prep-a\nrun prep-b\n"
					 "upload /etc/containerd/config.toml\n"
					 "run systemctl restart containerd\nrun crictl version\n"
					 "run kubelet-a\nrun kubelet-b\n");
	assert_int_equal(f->stats.steps_run, 22);
	assert_int_equal(f->stats.steps_skipped, 0);
	assert_int_equal(find_step(f, PHASE_WORKERS, "w2", 1)->state, JOURNAL_DONE);
	assert_int_equal(find_step(f, PHASE_CALICO, RENDER_CLUSTER, 0)->state, JOURNAL_DONE);
	assert_int_equal(journal_last_run(f->j)->state, JOURNAL_DONE);
	journal_close(&f->j);
}

static void second_run_skips_everything(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f), ENGINE_DONE);
	clear_calls(f);
	assert_int_equal(run(f), ENGINE_DONE);
	assert_int_equal(f->fake.total_calls, 0);
	assert_int_equal(f->stats.steps_run, 0);
	assert_int_equal(f->stats.steps_skipped, 22);
	assert_int_equal(f->changed_notes, 0);
}

/* A changed step re-runs with the steps after it in that host's phase, and
 * nothing else. */
static void changed_step_reruns_rest_of_phase(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f), ENGINE_DONE);
	clear_calls(f);
	/* w1's containerd config changes: its upload, restart and version. */
	free(f->r.hosts[1].files[0].content);
	f->r.hosts[1].files[0].content = xstrdup("version = 3\n");
	f->r.hosts[1].files[0].len = strlen("version = 3\n");
	/* The cluster's calico manifest changes too. */
	free(f->r.hosts[3].files[1].content);
	f->r.hosts[3].files[1].content = xstrdup("kind: DaemonSet # new pool\n");
	f->r.hosts[3].files[1].len = strlen("kind: DaemonSet # new pool\n");
	assert_int_equal(run(f), ENGINE_DONE);
	assert_string_equal(calls(f, 0), "run kubectl apply -f -\n");
	assert_string_equal(calls(f, 1), "upload /etc/containerd/config.toml\n"
					 "run systemctl restart containerd\nrun crictl version\n");
	assert_string_equal(calls(f, 2), "");
	assert_int_equal(f->stats.steps_run, 4);
	assert_int_equal(f->stats.steps_skipped, 18);
	/* One note per host and phase where a done step changed. */
	assert_int_equal(f->changed_notes, 2);
}

/* A failed step: the other hosts finish the phase, no later phase starts;
 * after the fix, resume runs the failed step and what follows, nothing
 * done is redone. */
static void failure_then_resume(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	char *diag = NULL;

	set_command(&f->r.hosts[1], 4, "crictl version --bad");
	f->fake.fail = "crictl version --bad";
	assert_int_equal(run(f), ENGINE_FAILED);
	assert_non_null(strstr(f->err, "w1"));
	assert_non_null(strstr(f->err, "crictl version --bad"));
	assert_string_equal(calls(f, 1), "run prep-a\nrun prep-b\n"
					 "upload /etc/containerd/config.toml\n"
					 "run systemctl restart containerd\n"
					 "run crictl version --bad\n"
					 /* diagnostics collected from w1 */
					 "run systemctl status containerd --no-pager -l 2>&1 | head -n 40\n"
					 "run journalctl -u containerd -n 200 --no-pager 2>&1\n"
					 "run crictl info 2>&1 | head -n 60\n");
	/* w2 finished its containerd steps; nobody went on to etcd or workers. */
	assert_non_null(strstr(calls(f, 2), "run crictl version\n"));
	assert_null(strstr(calls(f, 0), "etcd-a"));
	assert_null(strstr(calls(f, 2), "kubelet-a"));
	assert_int_equal(find_step(f, PHASE_CONTAINERD, "w1", 2)->state, JOURNAL_FAILED);
	assert_int_equal(find_step(f, PHASE_CONTAINERD, "w1", 2)->exit_code, 1);
	journal_close(&f->j);
	diag = xasprintf("%s/w1.diag", f->dir);
	assert_int_equal(stat(diag, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(diag);

	f->fake.fail = NULL;
	clear_calls(f);
	assert_int_equal(run(f), ENGINE_DONE);
	assert_string_equal(calls(f, 1), "run crictl version --bad\n"
					 "run kubelet-a\nrun kubelet-b\n");
	assert_string_equal(calls(f, 2), "run kubelet-a\nrun kubelet-b\n");
	assert_int_equal(f->stats.steps_run, 1 + 1 + 4 + 2);
}

/* A lost connection is retried on a new one; a refused one is not. */
static void lost_connection_retried(void **state)
{
	struct fixture *f = *state;

	f->fake.hosts[2].lose = 1;
	assert_int_equal(run(f), ENGINE_DONE);
	assert_int_equal(f->stats.retries, 1);
	assert_int_equal(find_step(f, PHASE_PREPARE, "w2", 0)->attempt, 2);
	assert_int_equal(find_step(f, PHASE_PREPARE, "w2", 0)->state, JOURNAL_DONE);
	journal_close(&f->j);
}

static void lost_too_often_fails(void **state)
{
	struct fixture *f = *state;

	f->fake.hosts[2].lose = 3;
	assert_int_equal(run(f), ENGINE_FAILED);
	assert_int_equal(f->stats.retries, 2);
	assert_int_equal(find_step(f, PHASE_PREPARE, "w2", 0)->state, JOURNAL_FAILED);
	assert_int_equal(find_step(f, PHASE_PREPARE, "w2", 0)->attempt, 3);
	journal_close(&f->j);
}

/* The hosts of a phase run at the same time: every host's "barrier" step
 * waits for the others', which a one-at-a-time engine would never reach. */
static void hosts_run_in_parallel(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < 3; i++)
		set_command(&f->r.hosts[i], 0, "barrier");
	assert_int_equal(run(f), ENGINE_DONE);
	assert_int_equal(atomic_load(&f->fake.arrived), 3);
}

struct stopper {
	struct fixture *f;
	bool abort;
	enum engine_outcome out;
	struct engine *e;
};

static void *stop_when_running(void *arg)
{
	struct stopper *s = arg;

	while (atomic_load(&s->f->fake.running) == 0)
		usleep(1000);
	if (s->abort)
		engine_abort(s->e);
	else
		engine_stop(s->e);
	return NULL;
}

static enum engine_outcome run_and_stop(struct fixture *f, bool abort)
{
	char *err = NULL;
	struct engine_config cfg = {
		.plan = f->plan, .render = &f->r, .events = f->q, .ops = &fake_ops,
		.transport = &f->fake, .run_id = "stopped-run", .command = "apply",
		.log_dir = f->dir, .checks = no_checks, .n_checks = 0,
	};
	struct stopper s = { .f = f, .abort = abort };
	pthread_t t;
	enum engine_outcome out;

	assert_int_equal(journal_open(f->journal_path, &f->j, &err), 0);
	cfg.journal = f->j;
	s.e = engine_new(&cfg, &err);
	pthread_create(&t, NULL, stop_when_running, &s);
	xfree(&f->err);
	out = engine_run(s.e, &f->err);
	pthread_join(t, NULL);
	engine_get_stats(s.e, &f->stats);
	engine_free(&s.e);
	journal_close(&f->j);
	keep_events(f);
	return out;
}

/* Stop: the step under way ends by itself, no new one starts; resume
 * continues with what was not done. */
static void stop_then_resume(void **state)
{
	struct fixture *f = *state;

	set_command(&f->r.hosts[1], 1, "slow");
	assert_int_equal(run_and_stop(f, false), ENGINE_STOPPED);
	assert_string_equal(calls(f, 1), "run prep-a\nrun slow\n");
	assert_int_equal(find_step(f, PHASE_PREPARE, "w1", 1)->state, JOURNAL_DONE);
	assert_null(find_step(f, PHASE_CONTAINERD, "w1", 0));
	assert_int_equal(journal_last_run(f->j)->state, JOURNAL_STOPPED);
	journal_close(&f->j);
	clear_calls(f);
	assert_int_equal(run(f), ENGINE_DONE);
	assert_null(strstr(calls(f, 1), "prep-a"));
	assert_null(strstr(calls(f, 1), "slow"));
	assert_non_null(strstr(calls(f, 1), "upload /etc/containerd/config.toml"));
}

/* A run stopped between a new config and the restart that reads it: the
 * restart was done before (same command, same digest), but before the new
 * upload, so resume runs it again. */
static void stopped_between_upload_and_restart(void **state)
{
	struct fixture *f = *state;
	struct render_file *conf = NULL;

	assert_int_equal(run(f), ENGINE_DONE);
	conf = &f->r.hosts[1].files[0];
	free(conf->path);
	conf->path = xstrdup("/etc/containerd/slow.toml");
	clear_calls(f);
	assert_int_equal(run_and_stop(f, false), ENGINE_STOPPED);
	assert_string_equal(calls(f, 1), "upload /etc/containerd/slow.toml\n");
	clear_calls(f);
	assert_int_equal(run(f), ENGINE_DONE);
	assert_string_equal(calls(f, 1), "run systemctl restart containerd\nrun crictl version\n");
	assert_string_equal(calls(f, 0), "");
	assert_int_equal(f->changed_notes, 0);
}

/* Abort: what runs on the hosts is ended; the step is recorded stopped, and
 * resume runs it again. */
static void abort_then_resume(void **state)
{
	struct fixture *f = *state;

	set_command(&f->r.hosts[2], 1, "hang");
	assert_int_equal(run_and_stop(f, true), ENGINE_STOPPED);
	assert_int_equal(find_step(f, PHASE_PREPARE, "w2", 1)->state, JOURNAL_STOPPED);
	journal_close(&f->j);
	set_command(&f->r.hosts[2], 1, "prep-b");
	clear_calls(f);
	assert_int_equal(run(f), ENGINE_DONE);
	assert_int_equal(strncmp(calls(f, 2), "run prep-b\n", 11), 0);
}

/* --- checks --------------------------------------------------------------- */

static atomic_int attempts;

static enum check_status ready_third_time(struct check_env *env, char **expected, char **saw)
{
	(void)env;
	*expected = xstrdup("ready");
	if (atomic_fetch_add(&attempts, 1) < 2) {
		*saw = xstrdup("not yet");
		return CHECK_WAIT;
	}
	*saw = xstrdup("ready");
	return CHECK_PASS;
}

static enum check_status never_ready(struct check_env *env, char **expected, char **saw)
{
	(void)env;
	*expected = xstrdup("3 members");
	*saw = xstrdup("2 members");
	return CHECK_WAIT;
}

static enum check_status connects(struct check_env *env, char **expected, char **saw)
{
	char *err = NULL;

	*expected = xstrdup("connected");
	if (env->ops->connect(env->h, &err) < 0) {
		*saw = err;
		return CHECK_FAIL;
	}
	return CHECK_PASS;
}

static enum check_status always_fails(struct check_env *env, char **expected, char **saw)
{
	(void)env;
	(void)expected;
	*saw = xstrdup("cgroup v1");
	return CHECK_FAIL;
}

static void check_waits_then_passes(void **state)
{
	struct fixture *f = *state;
	const struct check checks[] = {
		{ "etcd-ready", PHASE_ETCD, ROLE_ETCD, 5, 10, false, ready_third_time },
	};

	atomic_store(&attempts, 0);
	assert_int_equal(run_with(f, checks, 1, NULL, 0), ENGINE_DONE);
	assert_int_equal(atomic_load(&attempts), 3);
	assert_int_equal(f->stats.checks_passed, 1);
}

/* A check that never passes fails at its deadline, and the next phase does
 * not start. */
static void check_deadline_fails_run(void **state)
{
	struct fixture *f = *state;
	const struct check checks[] = {
		{ "etcd-members", PHASE_ETCD, ROLE_ETCD, 1, 100, false, never_ready },
	};

	assert_int_equal(run_with(f, checks, 1, NULL, 0), ENGINE_FAILED);
	assert_non_null(strstr(f->err, "etcd-members"));
	assert_non_null(strstr(f->err, "expected 3 members; saw 2 members"));
	assert_null(strstr(calls(f, 1), "kubelet-a"));
	assert_int_equal(f->stats.checks_failed, 1);
}

/* Preflight reports every host that fails, not the first one only, and
 * every failing check of a host that answers. */
static void preflight_lists_every_host(void **state)
{
	struct fixture *f = *state;
	const struct check checks[] = {
		{ "connect", PHASE_PREFLIGHT, ROLE_MASTER | ROLE_WORKER, 0, 0, false, connects },
		{ "cgroup2", PHASE_PREFLIGHT, ROLE_MASTER | ROLE_WORKER, 0, 0, true, always_fails },
		{ "swap", PHASE_PREFLIGHT, ROLE_MASTER | ROLE_WORKER, 0, 0, true, always_fails },
	};
	const char *const skip[] = { "cgroup2", "swap" };
	char *err = NULL;

	f->fake.hosts[0].refuse_connect = true;
	f->fake.hosts[2].refuse_connect = true;
	assert_int_equal(run_with(f, checks, 3, NULL, 0), ENGINE_FAILED);
	/* Two hosts refused; w1 answered and failed both of its checks. */
	assert_int_equal(f->stats.checks_failed, 4);
	assert_int_equal(f->fake.total_calls, 0);

	f->fake.hosts[0].refuse_connect = false;
	f->fake.hosts[2].refuse_connect = false;
	assert_int_equal(run_with(f, checks, 3, skip, 2), ENGINE_DONE);
	assert_int_equal(f->stats.checks_skipped, 6);

	/* Only skippable checks can be skipped, and a wrong name is refused. */
	{
		const char *const bad[] = { "connect" };
		struct engine_config cfg = { .plan = f->plan, .render = &f->r, .ops = &fake_ops,
					     .transport = &f->fake, .checks = checks,
					     .n_checks = 3, .skip_checks = bad,
					     .n_skip_checks = 1 };

		assert_null(engine_new(&cfg, &err));
		assert_non_null(strstr(err, "cgroup2, swap"));
		free(err);
	}
}

/* An add-on off in the plan: its phase runs nothing. */
static void disabled_addon_skipped(void **state)
{
	struct fixture *f = *state;

	f->plan->addons.calico.enabled = false;
	assert_int_equal(run(f), ENGINE_DONE);
	assert_string_equal(strstr(calls(f, 0), "run kubectl"), "run kubectl apply -f -\n");
	assert_int_equal(f->stats.steps_run, 21);
}

/* --- what a run tells its front end -------------------------------------- */

/* The run's and phases' events: "run+TOTAL/DONE", "PHASE+TOTAL" (start),
 * "PHASE=STATE" (end), "end:OUTCOME". And every step event falls between
 * the start and the end of its phase. */
static char *run_events(struct fixture *f)
{
	struct strbuf b = { 0 };
	int current = -1;

	for (size_t i = 0; i < f->n_events; i++) {
		const struct event *ev = &f->events[i];

		switch (ev->type) {
		case EVENT_RUN_START:
			assert_string_equal(ev->detail, f->dir);
			strbuf_addf(&b, "run+%" PRIu64 "/%" PRIu64 " ", ev->total, ev->done);
			break;
		case EVENT_PHASE_START:
			assert_int_equal(current, -1);
			current = ev->phase;
			strbuf_addf(&b, "%s+%" PRIu64 " ", phase_name(ev->phase), ev->total);
			break;
		case EVENT_PHASE_END:
			assert_true(current == -1 || current == ev->phase);
			current = -1;
			strbuf_addf(&b, "%s=%s ", phase_name(ev->phase), journal_state_name(ev->status));
			break;
		case EVENT_STEP_START:
		case EVENT_STEP_END:
			if (ev->phase != current)
				fail_msg("%s step event of phase %s outside it", ev->host,
					 phase_name(ev->phase));
			break;
		case EVENT_RUN_END:
			strbuf_addf(&b, "end:%d", ev->status);
			assert_int_equal(i, f->n_events - 1);
			break;
		default:
			break;
		}
	}
	return strbuf_detach(&b, NULL);
}

/* One host's step events in order: "PHASE/INDEX>ATTEMPT" (start),
 * "PHASE/INDEX=STATE" (end). */
static char *host_events(struct fixture *f, const char *host)
{
	struct strbuf b = { 0 };

	for (size_t i = 0; i < f->n_events; i++) {
		const struct event *ev = &f->events[i];

		if (ev->host == NULL || strcmp(ev->host, host) != 0)
			continue;
		if (ev->type == EVENT_STEP_START)
			strbuf_addf(&b, "%s/%d>%u ", phase_name(ev->phase), ev->step, ev->attempt);
		else if (ev->type == EVENT_STEP_END)
			strbuf_addf(&b, "%s/%d=%s ", phase_name(ev->phase), ev->step,
				    journal_state_name(ev->status));
		else if (ev->type == EVENT_NOTE)
			strbuf_addf(&b, "note(%s) ", ev->text);
		else if (ev->type == EVENT_DIAG)
			strbuf_adds(&b, "diag ");
	}
	return strbuf_detach(&b, NULL);
}

static const struct event *find_event(struct fixture *f, enum event_type type, const char *host)
{
	for (size_t i = 0; i < f->n_events; i++) {
		if (f->events[i].type == type &&
		    (host == NULL || (f->events[i].host != NULL && strcmp(f->events[i].host, host) == 0)))
			return &f->events[i];
	}
	return NULL;
}

static void expect_str(char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("got  %s\nwant %s", got, want);
	free(got);
}

static enum check_status runs_a_command(struct check_env *env, char **expected, char **saw)
{
	struct remote_cmd cmd = { .command = "uname -m", .timeout = 5 };
	struct remote_result res = { 0 };
	char *err = NULL;

	*expected = xstrdup("an answer");
	if (env->ops->run(env->h, &cmd, &res, &err) < 0) {
		*saw = err;
		return CHECK_FAIL;
	}
	return CHECK_PASS;
}

/* A check that fails because the connection dropped tries again on a new
 * one (with a note), as a step does, up to the same number of attempts. */
static void check_lost_connection_retried(void **state)
{
	struct fixture *f = *state;
	char *ev = NULL;
	const struct check checks[] = {
		{ "facts", PHASE_PREFLIGHT, ROLE_WORKER, 0, 0, false, runs_a_command },
	};

	f->fake.hosts[2].lose = 2;
	assert_int_equal(run_with(f, checks, 1, NULL, 0), ENGINE_DONE);
	assert_int_equal(f->stats.checks_passed, 2);
	ev = host_events(f, "w2");
	assert_non_null(strstr(ev, "check facts: expected an answer; saw connection lost; trying again (3 of 3)"));
	free(ev);
	f->fake.hosts[2].lose = 3;
	assert_int_equal(run_with(f, checks, 1, NULL, 0), ENGINE_FAILED);
	assert_non_null(strstr(f->err, "w2: health check facts failed"));
}

/* A fresh run: the run, each phase (with the steps it will run), each
 * step's start and end per host in order, the end with the outcome. */
static void events_of_a_run(void **state)
{
	struct fixture *f = *state;
	const struct event *ev = NULL;
	char *path = NULL, *log = NULL;

	assert_int_equal(run(f), ENGINE_DONE);
	expect_str(run_events(f), "run+22/0 preflight+0 preflight=done prepare+6 prepare=done "
				  "containerd+9 containerd=done pki+0 pki=done kubelet+0 kubelet=done "
				  "etcd+1 etcd=done apiserver+0 apiserver=done "
				  "controller-manager+0 controller-manager=done scheduler+0 "
				  "scheduler=done workers+5 workers=done calico+1 calico=done "
				  "coredns+0 coredns=done nodelocaldns+0 nodelocaldns=done "
				  "csr-approver+0 csr-approver=done metrics-server+0 "
				  "metrics-server=done end:0");
	expect_str(host_events(f, "w1"),
		   "prepare/0>1 prepare/0=done prepare/1>1 prepare/1=done "
		   "containerd/0>1 containerd/0=done containerd/1>1 containerd/1=done "
		   "containerd/2>1 containerd/2=done workers/0>1 workers/0=done "
		   "workers/1>1 workers/1=done ");
	expect_str(host_events(f, RENDER_CLUSTER),
		   "workers/0>1 workers/0=done calico/0>1 calico/0=done ");
	ev = find_event(f, EVENT_RUN_START, NULL);
	assert_string_equal(ev->text, "run1");
	ev = find_event(f, EVENT_STEP_START, "w1");
	assert_string_equal(ev->text, "prep-a");
	ev = find_event(f, EVENT_RUN_END, NULL);
	assert_null(ev->detail);

	/* Every line a host printed, as events and in its log, in order. */
	assert_int_equal(f->n_output[1], 6);
	assert_int_equal(f->n_output[0], 5);
	assert_int_equal(f->n_output[3], 2); /* the cluster's, run on m1 */
	path = xasprintf("%s/w1.log", f->dir);
	log = read_file(path);
	assert_non_null(strstr(log, "== step prepare/0 (attempt 1): prep-a\n"));
	assert_true(strstr(strstr(log, "prep-a\n"), "  out\n") <
		    strstr(log, "== step prepare/1 (attempt 1): prep-b\n"));
	assert_int_equal(count(log, "  out\n"), 6);
	free(log);
	free(path);

	/* Again: every step ends skipped without starting, and the run says
	 * the cluster is complete. */
	assert_int_equal(run(f), ENGINE_DONE);
	expect_str(host_events(f, "w1"),
		   "prepare/0=skipped prepare/1=skipped containerd/0=skipped containerd/1=skipped "
		   "containerd/2=skipped workers/0=skipped workers/1=skipped ");
	ev = find_event(f, EVENT_RUN_START, NULL);
	assert_int_equal(ev->total, 0);
	assert_int_equal(ev->done, 22);
	ev = find_event(f, EVENT_NOTE, NULL);
	assert_non_null(ev);
	assert_non_null(strstr(ev->text, "complete"));
}

/* A phase off in the plan ends "skipped" without starting; a retried step
 * starts again after a note; a failed step ends failed with its exit status
 * and is followed by diagnostics; the run ends failed, saying why. */
static void events_of_failures(void **state)
{
	struct fixture *f = *state;
	const struct event *ev = NULL;
	char *want = NULL;

	f->plan->addons.coredns.enabled = false;
	f->fake.hosts[2].lose = 1;
	set_command(&f->r.hosts[1], 4, "crictl version --bad");
	f->fake.fail = "crictl version --bad";
	assert_int_equal(run(f), ENGINE_FAILED);
	expect_str(run_events(f), "run+22/0 preflight+0 preflight=done prepare+6 prepare=done "
				  "containerd+9 containerd=failed end:1");
	expect_str(host_events(f, "w2"),
		   "prepare/0>1 note(w2: connection lost; trying again (2 of 3)) prepare/0>2 "
		   "prepare/0=done prepare/1>1 prepare/1=done containerd/0>1 containerd/0=done "
		   "containerd/1>1 containerd/1=done containerd/2>1 containerd/2=done ");
	expect_str(host_events(f, "w1"),
		   "prepare/0>1 prepare/0=done prepare/1>1 prepare/1=done containerd/0>1 "
		   "containerd/0=done containerd/1>1 containerd/1=done containerd/2>1 "
		   "containerd/2=failed diag ");
	for (size_t i = 0; i < f->n_events; i++) {
		ev = &f->events[i];
		if (ev->type == EVENT_STEP_END && ev->status == JOURNAL_FAILED) {
			assert_string_equal(ev->host, "w1");
			assert_int_equal(ev->exit_code, 1);
			assert_string_equal(ev->detail, "exit status 1");
			assert_string_equal(ev->text, "crictl version --bad");
		}
	}
	ev = find_event(f, EVENT_DIAG, "w1");
	want = xasprintf("%s/w1.diag", f->dir);
	assert_string_equal(ev->text, want);
	free(want);
	assert_int_equal(ev->phase, PHASE_CONTAINERD);
	assert_non_null(strstr(ev->detail, "containerd's journal"));
	ev = find_event(f, EVENT_RUN_END, NULL);
	assert_int_equal(ev->status, ENGINE_FAILED);
	assert_string_equal(ev->detail, f->err);

	/* Resumed after the fix: the phase that is off ends skipped, unstarted. */
	f->fake.fail = NULL;
	assert_int_equal(run(f), ENGINE_DONE);
	expect_str(run_events(f), "run+8/14 preflight+0 preflight=done prepare+0 prepare=done "
				  "containerd+1 containerd=done pki+0 pki=done kubelet+0 kubelet=done "
				  "etcd+1 etcd=done apiserver+0 apiserver=done "
				  "controller-manager+0 controller-manager=done scheduler+0 "
				  "scheduler=done workers+5 workers=done calico+1 calico=done "
				  "coredns=skipped nodelocaldns+0 nodelocaldns=done "
				  "csr-approver+0 csr-approver=done metrics-server+0 "
				  "metrics-server=done end:0");
	ev = find_event(f, EVENT_NOTE, NULL);
	assert_non_null(ev);
	assert_string_equal(ev->text, "phase coredns is off in the plan: skipped");
}

/* The diagnostics file: what failed, where to look first, each command
 * with what the host answered; a host that stops answering ends it. */
static void diagnostics_file(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/w1.diag", f->dir), *text = NULL;

	set_command(&f->r.hosts[1], 4, "crictl version --bad");
	f->fake.fail = "crictl version --bad";
	assert_int_equal(run(f), ENGINE_FAILED);
	text = read_file(path);
	assert_int_equal(strncmp(text, "# diagnostics of phase containerd after: crictl version --bad (",
				 63),
			 0);
	assert_non_null(strstr(text, "\n# look first: look at containerd's journal: a config.toml "
				     "it cannot parse or a binary that does not run\n"));
	assert_non_null(strstr(text, "\n$ systemctl status containerd --no-pager -l 2>&1 | head -n 40\n"
				     "out\n"
				     "\n$ journalctl -u containerd -n 200 --no-pager 2>&1\nout\n"
				     "\n$ crictl info 2>&1 | head -n 60\nout\n"));
	free(text);

	/* The host goes away after the failure: the file says so and stops. */
	assert_int_equal(unlink(path), 0);
	f->fake.lose_after_fail = 5;
	clear_calls(f);
	assert_int_equal(run(f), ENGINE_FAILED);
	text = read_file(path);
	assert_non_null(strstr(text, "\n$ systemctl status containerd --no-pager -l 2>&1 | head -n 40\n"
				     "# the host did not answer: connection lost\n"));
	assert_null(strstr(text, "journalctl"));
	assert_string_equal(calls(f, 1), "run crictl version --bad\n");
	free(text);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fresh_run_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(second_run_skips_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(changed_step_reruns_rest_of_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(failure_then_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(lost_connection_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(lost_too_often_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(hosts_run_in_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_then_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(abort_then_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(stopped_between_upload_and_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(check_waits_then_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(check_lost_connection_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(check_deadline_fails_run, setup, teardown),
		cmocka_unit_test_setup_teardown(preflight_lists_every_host, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled_addon_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(events_of_a_run, setup, teardown),
		cmocka_unit_test_setup_teardown(events_of_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(diagnostics_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
