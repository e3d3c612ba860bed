/* Driver for bench/engine-bench.sh: one run of the install engine over the
 * real SSH transport against the light lab's hosts, with a render built here
 * (PHASES phases of STEPS short commands per host, no files, no health
 * checks) and a real journal in STATE_DIR; prints one line of figures.
 * Running it again on the same STATE_DIR is a resume: the journal decides
 * what is skipped.
 *
 *   engine_bench -f PLAN --known-hosts FILE --state DIR [--phases N]
 *                [--steps N] [--workers N] [--fail HOST] [--expect done|failed]
 *   engine_bench --print-steps [--steps N]   the commands of one phase
 *
 * --fail HOST: HOST's last step of the last phase is `test -e MARKER`
 * (/tmp/k8sw-bench-go), which fails until the benchmark creates the marker on
 * that host. Only plans whose hosts are all on 127.0.0.0/8, without a
 * bastion, are run. K8SW_DEBUG=engine,ssh prints the library's debug
 * messages on stderr, with a timestamp in ms since the start. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "event.h"
#include "journal.h"
#include "log.h"
#include "phase.h"
#include "plan.h"
#include "plancheck.h"
#include "planfile.h"
#include "problem.h"
#include "render.h"
#include "strbuf.h"
#include "transport_ssh.h"
#include "xmalloc.h"

#define MARKER "/tmp/k8sw-bench-go"

/* One phase's commands, cycled when more steps are asked for; %1$s is the
 * phase's name, so that each phase writes its own file. What parallel-ssh
 * and ansible run in the benchmark is taken from --print-steps. */
static const char *const step_commands[] = {
	"true",
	"test -d /etc",
	"echo x > /tmp/k8sw-bench-%1$s",
	"cat /tmp/k8sw-bench-%1$s",
	"uname -r",
	"mkdir -p /tmp/k8sw-bench-dir",
	"ls / > /dev/null",
	"id -u",
	"rm -f /tmp/k8sw-bench-%1$s",
	"date +%%s",
};
#define N_COMMANDS (sizeof step_commands / sizeof step_commands[0])

/* Phases the render uses, in order: those that concern every host. */
static const enum phase bench_phases[] = {
	PHASE_PREPARE, PHASE_CONTAINERD, PHASE_PKI, PHASE_KUBELET, PHASE_ETCD,
	PHASE_APISERVER, PHASE_CONTROLLER_MANAGER, PHASE_SCHEDULER, PHASE_WORKERS,
};
#define MAX_PHASES (sizeof bench_phases / sizeof bench_phases[0])

/* No health checks: a table with no entry (NULL would mean the built-in ones). */
static const struct check no_checks[1];

struct args {
	const char *plan;
	const char *known_hosts;
	const char *state;
	const char *fail;
	unsigned phases, steps, workers;
	bool print_steps;
	bool expect_failed;
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t start_us;

static void debug_sink(enum log_level level, enum log_subsystem sub, const char *msg, void *data)
{
	(void)data;
	fprintf(stderr, "%9.3f %s %s: %s\n", (double)(mono_us() - start_us) / 1000.0,
		log_level_name(level), log_subsystem_name(sub), msg);
}

static char *step_command(unsigned phase, unsigned k)
{
	return xasprintf(step_commands[k % N_COMMANDS], phase_name(bench_phases[phase]));
}

static bool parse_count(const char *s, unsigned max, unsigned *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0 || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "known-hosts", required_argument, NULL, 'k' },
		{ "state", required_argument, NULL, 's' },
		{ "phases", required_argument, NULL, 'p' },
		{ "steps", required_argument, NULL, 'n' },
		{ "workers", required_argument, NULL, 'w' },
		{ "fail", required_argument, NULL, 'F' },
		{ "expect", required_argument, NULL, 'e' },
		{ "print-steps", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof *a);
	a->phases = 1;
	a->steps = 10;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a->plan = optarg;
			break;
		case 'k':
			a->known_hosts = optarg;
			break;
		case 's':
			a->state = optarg;
			break;
		case 'p':
			if (!parse_count(optarg, MAX_PHASES, &a->phases))
				return -1;
			break;
		case 'n':
			if (!parse_count(optarg, 1000, &a->steps))
				return -1;
			break;
		case 'w':
			if (!parse_count(optarg, 1024, &a->workers))
				return -1;
			break;
		case 'F':
			a->fail = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "failed") != 0 && strcmp(optarg, "done") != 0)
				return -1;
			a->expect_failed = strcmp(optarg, "failed") == 0;
			break;
		case 'P':
			a->print_steps = true;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	if (!a->print_steps && (a->plan == NULL || a->known_hosts == NULL || a->state == NULL))
		return -1;
	return 0;
}

/* The plan, validated, with every host on loopback and no bastion. */
static struct plan *load_plan(const char *file)
{
	struct problems problems = { 0 };
	struct plan *p = planfile_load(file, &problems, NULL);

	if (p != NULL)
		plancheck_run(p, &problems);
	for (size_t i = 0; i < problems.n; i++) {
		if (problems.v[i].severity == PROBLEM_ERROR)
			fprintf(stderr, "engine_bench: %s: %s: %s\n", file, problems.v[i].path,
				problems.v[i].message);
	}
	if (problems_count(&problems, PROBLEM_ERROR) > 0)
		plan_free(&p);
	problems_clear(&problems);
	if (p == NULL)
		return NULL;
	if (p->ssh.bastion != NULL && p->ssh.bastion[0] != '\0') {
		fprintf(stderr, "engine_bench: the benchmark runs without a bastion\n");
		plan_free(&p);
		return NULL;
	}
	for (size_t i = 0; i < p->n_hosts; i++) {
		struct in_addr a;

		if (inet_pton(AF_INET, p->hosts[i].address, &a) != 1 ||
		    (ntohl(a.s_addr) >> 24) != 127) {
			fprintf(stderr, "engine_bench: %s is not on loopback: refused\n",
				p->hosts[i].address);
			plan_free(&p);
			return NULL;
		}
	}
	return p;
}

/* The plan's hosts, each with phases x steps RUN steps; no cluster. */
static struct render *build_render(const struct plan *p, const struct args *a)
{
	struct render *r = xcalloc(1, sizeof *r);

	r->n_hosts = p->n_hosts;
	r->hosts = xcalloc(p->n_hosts + 1, sizeof *r->hosts);
	for (size_t i = 0; i < p->n_hosts; i++) {
		struct render_host *h = &r->hosts[i];
		bool fails = a->fail != NULL && strcmp(a->fail, p->hosts[i].name) == 0;

		h->name = xstrdup(p->hosts[i].name);
		h->address = xstrdup(p->hosts[i].address);
		h->roles = p->hosts[i].roles;
		h->n_steps = (size_t)a->phases * a->steps;
		h->steps = xcalloc(h->n_steps + 1, sizeof *h->steps);
		for (unsigned ph = 0; ph < a->phases; ph++) {
			for (unsigned k = 0; k < a->steps; k++) {
				struct render_step *s = &h->steps[ph * a->steps + k];

				s->phase = bench_phases[ph];
				s->type = RENDER_STEP_RUN;
				if (fails && ph + 1 == a->phases && k + 1 == a->steps)
					s->command = xstrdup("test -e " MARKER);
				else
					s->command = step_command(ph, k);
			}
		}
	}
	return r;
}

struct engine_thread {
	struct engine *engine;
	enum engine_outcome outcome;
	char *err;
	atomic_bool finished;
};

static void *engine_main(void *arg)
{
	struct engine_thread *t = arg;

	t->outcome = engine_run(t->engine, &t->err);
	atomic_store(&t->finished, true);
	return NULL;
}

/* As a front end does: take every event until the run ends. Failed steps
 * are named on stderr. Returns the number of events taken. */
static size_t drain_events(struct event_queue *q, struct engine_thread *t)
{
	size_t n = 0;
	bool ended = false;

	while (!ended) {
		struct event ev;

		event_wait(q, 100);
		while (event_pop(q, &ev)) {
			n++;
			if (ev.type == EVENT_STEP_END && ev.status == JOURNAL_FAILED)
				fprintf(stderr, "engine_bench: %s: step %s/%d failed: %s: %s\n",
					ev.host, phase_name((enum phase)ev.phase), ev.step, ev.text,
					ev.detail != NULL ? ev.detail : "");
			ended = ended || ev.type == EVENT_RUN_END;
			event_clear(&ev);
		}
		ended = ended || atomic_load(&t->finished);
	}
	return n;
}

/* The steps whose last journal record is this run's: what it ran. The first
 * few are listed as phase/host/index. */
static size_t journal_ran(const struct journal *j, const char *run, struct strbuf *list)
{
	size_t n = 0;

	for (size_t i = 0; i < journal_n_steps(j); i++) {
		const struct journal_step *s = journal_get_step(j, i);

		if (strcmp(s->run, run) != 0)
			continue;
		if (n++ < 5)
			strbuf_addf(list, "%s%s/%s/%u:%s", n > 1 ? "," : "", phase_name(s->phase),
				    s->host, s->index, journal_state_name(s->state));
	}
	if (n > 5)
		strbuf_addf(list, ",...");
	return n;
}

static const char *const outcome_names[] = {
	[ENGINE_DONE] = "done",
	[ENGINE_FAILED] = "failed",
	[ENGINE_STOPPED] = "stopped",
	[ENGINE_ERROR] = "error",
};

int main(int argc, char **argv)
{
	struct args a;
	struct plan *plan = NULL;
	struct render *render = NULL;
	struct journal *journal = NULL;
	struct event_queue *q = NULL;
	struct transport_ssh *transport = NULL;
	struct engine *engine = NULL;
	struct remote_prompts prompts;
	struct remote_config rc_cfg = { 0 };
	struct engine_stats stats = { 0 };
	struct engine_thread t = { 0 };
	struct strbuf ran = { 0 };
	struct rusage ru;
	pthread_t thread;
	char *err = NULL, *run_id = NULL, *runs = NULL, *run_dir = NULL, *journal_path = NULL;
	int64_t t0, t1;
	size_t events = 0, n_ran;
	int rc = 1;

	start_us = mono_us();
	if (parse_args(argc, argv, &a) < 0) {
		fprintf(stderr, "usage: engine_bench -f PLAN --known-hosts FILE --state DIR "
				"[--phases N] [--steps N] [--workers N] [--fail HOST] "
				"[--expect done|failed]\n"
				"       engine_bench --print-steps [--steps N]\n");
		return 2;
	}
	if (a.print_steps) {
		for (unsigned k = 0; k < a.steps; k++) {
			char *cmd = step_command(0, k);

			printf("%s\n", cmd);
			free(cmd);
		}
		return 0;
	}
	log_init_from_env();
	if (getenv("K8SW_DEBUG") != NULL)
		log_set_sink(debug_sink, NULL);
	plan = load_plan(a.plan);
	if (plan == NULL)
		goto out;
	render = build_render(plan, &a);

	runs = xasprintf("%s/runs", a.state);
	run_id = xasprintf("bench-%lld-%ld", (long long)time(NULL), (long)getpid());
	run_dir = xasprintf("%s/%s", runs, run_id);
	journal_path = xasprintf("%s/journal", a.state);
	if ((mkdir(a.state, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(runs, 0700) < 0 && errno != EEXIST) || mkdir(run_dir, 0700) < 0) {
		fprintf(stderr, "engine_bench: cannot create %s: %s\n", run_dir, strerror(errno));
		goto out;
	}
	if (journal_open(journal_path, &journal, &err) < 0) {
		fprintf(stderr, "engine_bench: %s\n", err);
		goto out;
	}

	t0 = mono_us();
	q = event_queue_new();
	event_prompts(q, &prompts);
	event_queue_refuse_questions(q, true);
	remote_config_from_plan(plan, &rc_cfg);
	rc_cfg.known_hosts = a.known_hosts;
	rc_cfg.prompts = &prompts;
	transport = transport_ssh_new(plan, &rc_cfg);
	{
		struct engine_config cfg = {
			.plan = plan, .render = render, .journal = journal, .events = q,
			.ops = &transport_ssh_ops, .transport = transport, .run_id = run_id,
			.command = "apply", .log_dir = run_dir, .workers = a.workers,
			.checks = no_checks, .n_checks = 0,
		};

		engine = engine_new(&cfg, &err);
	}
	if (engine == NULL) {
		fprintf(stderr, "engine_bench: %s\n", err);
		goto out;
	}
	t.engine = engine;
	if (pthread_create(&thread, NULL, engine_main, &t) != 0)
		xalloc_die("pthread_create");
	events = drain_events(q, &t);
	pthread_join(thread, NULL);
	engine_get_stats(engine, &stats);
	/* Closing the connections is part of the run. */
	engine_free(&engine);
	transport_ssh_free(&transport);
	t1 = mono_us();

	n_ran = journal_ran(journal, run_id, &ran);
	getrusage(RUSAGE_SELF, &ru);
	printf("outcome=%s engine_s=%.3f steps_run=%zu steps_skipped=%zu steps_failed=%zu "
	       "retries=%zu journal_ran=%zu ran=%s events=%zu maxrss_kb=%ld user_s=%.3f sys_s=%.3f\n",
	       outcome_names[t.outcome], (double)(t1 - t0) / 1e6, stats.steps_run,
	       stats.steps_skipped, stats.steps_failed, stats.retries, n_ran,
	       ran.s != NULL ? ran.s : "-", events, ru.ru_maxrss,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	if (t.outcome != (a.expect_failed ? ENGINE_FAILED : ENGINE_DONE)) {
		fprintf(stderr, "engine_bench: the run ended %s, expected %s: %s\n",
			outcome_names[t.outcome], a.expect_failed ? "failed" : "done",
			t.err != NULL ? t.err : "-");
		goto out;
	}
	rc = 0;
out:
	engine_free(&engine);
	transport_ssh_free(&transport);
	event_queue_free(&q);
	journal_close(&journal);
	render_free(&render);
	plan_free(&plan);
	strbuf_clear(&ran);
	free(t.err);
	free(err);
	free(run_id);
	free(runs);
	free(run_dir);
	free(journal_path);
	return rc;
}
