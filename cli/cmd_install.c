/* k8s-wizard apply and resume: validate the plan, take the cluster's state
 * directory, ensure the PKI, render, and run the install engine with the
 * headless front end until it ends, is stopped (Ctrl-C: no new step; twice:
 * what runs on the hosts is ended) or fails. Both continue from the
 * cluster's journal: what was done with the same inputs is skipped. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "engine.h"
#include "event.h"
#include "fileio.h"
#include "frontend.h"
#include "journal.h"
#include "nls.h"
#include "plan.h"
#include "planfile.h"
#include "stage.h"
#include "strbuf.h"
#include "tty.h"
#include "transport_ssh.h"
#include "xmalloc.h"

#define EXIT_STOPPED 130

enum {
	OPT_CLUSTER = 0x100,
	OPT_SKIP_CHECK,
	OPT_ACCEPT_NEW,
	OPT_KNOWN_HOSTS,
	OPT_PARALLEL,
	OPT_JSON,
	OPT_STEP_TIMEOUT,
	OPT_HELP,
};

static const struct option install_options[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "skip-check", required_argument, NULL, OPT_SKIP_CHECK },
	{ "accept-new-hostkeys", no_argument, NULL, OPT_ACCEPT_NEW },
	{ "known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct install_args {
	const char *file;
	const char *cluster;
	const char *known_hosts;
	char **skip;
	size_t n_skip;
	unsigned parallel;
	unsigned step_timeout;
	bool accept_new;
	bool verbose;
	bool json;
};

/* --skip-check a,b --skip-check c */
static void add_skips(struct install_args *a, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;

	for (char *w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		a->skip = xreallocarray(a->skip, a->n_skip + 1, sizeof *a->skip);
		a->skip[a->n_skip++] = xstrdup(w);
	}
	free(copy);
}

static void args_clear(struct install_args *a)
{
	for (size_t i = 0; i < a->n_skip; i++)
		free(a->skip[i]);
	free(a->skip);
}

static int parse_args(const struct cmd_entry *e, int argc, char **argv, struct install_args *a)
{
	int c;

	memset(a, 0, sizeof *a);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:f:v", install_options, NULL)) != -1) {
		switch (c) {
		case OPT_HELP:
			cmd_usage(stdout, e);
			return EXIT_OK;
		case 'f':
			a->file = optarg;
			break;
		case OPT_CLUSTER:
			a->cluster = optarg;
			break;
		case OPT_SKIP_CHECK:
			add_skips(a, optarg);
			break;
		case OPT_ACCEPT_NEW:
			a->accept_new = true;
			break;
		case OPT_KNOWN_HOSTS:
			a->known_hosts = optarg;
			break;
		case OPT_PARALLEL:
			if (!cmd_parse_uint(optarg, 10, 1024, &a->parallel) || a->parallel == 0)
				/* L10N: what was given. */
				return cmd_bad_usage(e, _("--parallel takes a number from 1 to 1024, "
							  "not '%s'"), optarg);
			break;
		case OPT_STEP_TIMEOUT:
			if (!cmd_parse_uint(optarg, 10, 86400, &a->step_timeout) ||
			    a->step_timeout == 0)
				/* L10N: what was given. */
				return cmd_bad_usage(e, _("--step-timeout takes seconds from 1 to "
							  "86400, not '%s'"), optarg);
			break;
		case 'v':
			a->verbose = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		default:
			return cmd_option_error(e, c == ':', argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_bad_usage(e, _("unexpected argument '%s'"), argv[optind]);
	if (a->file != NULL && a->cluster != NULL)
		return cmd_bad_usage(e, _("give either -f FILE or --cluster NAME, not both"));
	return -1;
}

/* --- the run -------------------------------------------------------------- */

static volatile sig_atomic_t signals;
static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	signals++;
	/* The count is what matters; the pipe only wakes the loop. */
	ssize_t w = write(signal_pipe[1], &c, 1);

	(void)w;
	errno = saved;
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

/* The admin kubeconfig the masters received, for the operator's kubectl. */
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

static void print_summary(struct frontend *fe, struct engine *engine,
			  const struct engine_stats *st, enum engine_outcome out, const char *err,
			  const char *cluster, const char *log_dir, const char *kubeconfig)
{
	char *nodes = NULL, *why = NULL, *save = NULL;

	frontend_finish(fe);
	switch (out) {
	case ENGINE_DONE:
		/* L10N: cluster, steps run, steps skipped, retries. */
		frontend_say(fe, _("cluster %s is installed and healthy: %zu steps run, %zu already "
				   "done, %zu retries"),
			     cluster, st->steps_run, st->steps_skipped, st->retries);
		for (int p = 0; p < PHASE_COUNT; p++) {
			if (st->phase_ms[p] >= 0)
				frontend_say(fe, "  %-20s %6.1f s", phase_name((enum phase)p),
					     (double)st->phase_ms[p] / 1000.0);
		}
		nodes = engine_nodes(engine, &why);
		if (nodes != NULL) {
			frontend_say(fe, "%s", _("nodes:"));
			for (char *line = strtok_r(nodes, "\n", &save); line != NULL;
			     line = strtok_r(NULL, "\n", &save))
				frontend_say(fe, "  %s", line);
		} else {
			/* L10N: why the nodes could not be listed. */
			frontend_say(fe, _("nodes: cannot list them: %s"), why);
			xfree(&why);
		}
		if (kubeconfig != NULL) {
			/* L10N: path of the admin kubeconfig. */
			frontend_say(fe, _("admin kubeconfig: %s (keep it safe: it is the cluster's "
					   "root login)"),
				     kubeconfig);
			/* L10N: path of the admin kubeconfig. */
			frontend_say(fe, _("try: kubectl --kubeconfig %s get nodes -o wide"), kubeconfig);
		}
		break;
	case ENGINE_STOPPED:
		/* L10N: cluster name. */
		frontend_say(fe, _("stopped; continue with: k8s-wizard resume --cluster %s"), cluster);
		break;
	default:
		/* L10N: why the run failed. */
		frontend_say(fe, _("failed: %s"), err != NULL ? err : "?");
		/* L10N: cluster name. */
		frontend_say(fe, _("fix the cause, then: k8s-wizard resume --cluster %s (done steps "
				   "are not repeated)"),
			     cluster);
		break;
	}
	/* L10N: the run's log directory. */
	frontend_say(fe, _("logs: %s"), log_dir);
	free(nodes);
}

/* Drive the engine in a thread and the front end here until the run ends. */
static enum engine_outcome drive(struct engine *engine, struct event_queue *q,
				 struct frontend *fe, char **err)
{
	struct engine_thread t = { .engine = engine };
	struct sigaction sa = { 0 }, old_int, old_term;
	pthread_t thread;
	bool ended = false;
	sig_atomic_t seen = 0;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		xalloc_die("pipe2");
	signals = 0;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (pthread_create(&thread, NULL, engine_main, &t) != 0)
		xalloc_die("pthread_create");
	while (!ended) {
		struct pollfd p[2] = { { .fd = event_queue_fd(q), .events = POLLIN },
				       { .fd = signal_pipe[0], .events = POLLIN } };
		struct event ev;
		char drain[16];

		if (poll(p, 2, 100) < 0 && errno != EINTR)
			break;
		while (read(signal_pipe[0], drain, sizeof drain) > 0)
			;
		if (signals != seen) {
			seen = signals;
			if (seen == 1) {
				engine_stop(engine);
				frontend_say(fe, "%s", _("stopping: the steps under way finish, no new "
							 "one starts (Ctrl-C again ends them now)"));
			} else {
				engine_abort(engine);
				frontend_say(fe, "%s", _("ending what runs on the hosts now"));
			}
		}
		while (event_pop(q, &ev)) {
			frontend_event(fe, q, &ev);
			ended = ended || ev.type == EVENT_RUN_END;
			event_clear(&ev);
		}
		/* The engine always ends with EVENT_RUN_END; its thread's end is
		 * the backstop. */
		ended = ended || atomic_load(&t.finished);
		frontend_tick(fe);
	}
	pthread_join(thread, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	*err = t.err;
	return t.outcome;
}

/* Every bundle file the render names must be there before any host is
 * contacted: name each one that is not. */
static bool bundle_complete(const struct render *r)
{
	bool ok = true;

	for (size_t i = 0; i < r->n_hosts; i++) {
		const struct render_host *h = &r->hosts[i];

		for (size_t k = 0; k < h->n_files; k++) {
			const struct render_file *f = &h->files[k];
			bool seen = false;
			int error;

			if (f->source_type != RENDER_BUNDLE || access(f->source, R_OK) == 0)
				continue;
			error = errno;
			/* Name each missing file once, not once per host. */
			for (size_t j = 0; j < i && !seen; j++) {
				for (size_t m = 0; m < r->hosts[j].n_files && !seen; m++)
					seen = r->hosts[j].files[m].source_type == RENDER_BUNDLE &&
					       strcmp(r->hosts[j].files[m].source, f->source) == 0;
			}
			for (size_t m = 0; m < k && !seen; m++)
				seen = h->files[m].source_type == RENDER_BUNDLE &&
				       strcmp(h->files[m].source, f->source) == 0;
			if (!seen)
				/* L10N: a path and the system's error message. */
				fprintf(stderr, _("k8s-wizard: bundle file %s: %s\n"), f->source,
					strerror(error));
			ok = false;
		}
	}
	if (!ok)
		fprintf(stderr, "%s", _("k8s-wizard: the bundle is not complete: doc/bundle.md says "
					 "what it holds and where each file comes from; no host was "
					 "contacted\n"));
	return ok;
}

/* The plan to install: the file given, or the last run's of the cluster. */
static struct plan *find_plan(const struct cmd_entry *e, const struct install_args *a,
			      char **plan_file)
{
	bool warnings = false, none = false;
	char *cluster = NULL, *err = NULL;
	struct plan *plan = NULL;

	*plan_file = NULL;
	if (a->file != NULL) {
		*plan_file = xstrdup(a->file);
		return cmd_load_plan(a->file, &warnings);
	}
	cluster = cmd_find_cluster(a->cluster, &none, &err);
	if (cluster == NULL) {
		cmd_bad_usage(e, "%s", err);
		free(err);
		return NULL;
	}
	*plan_file = cmd_last_run_plan(cluster, &err);
	if (*plan_file == NULL) {
		cmd_error(NULL, err);
		free(err);
	} else {
		plan = cmd_load_plan(*plan_file, &warnings);
	}
	free(cluster);
	return plan;
}

static int run_install(const struct cmd_entry *e, const char *command, int argc, char **argv)
{
	struct install_args a;
	struct plan *plan = NULL;
	struct stage st = { 0 };
	struct journal *journal = NULL;
	struct event_queue *q = NULL;
	struct frontend *fe = NULL;
	struct transport_ssh *transport = NULL;
	struct engine *engine = NULL;
	struct tty_answers term = { 0 };
	struct remote_prompts prompts;
	struct remote_config rc_cfg = { 0 };
	struct engine_stats stats = { 0 };
	char *plan_file = NULL, *err = NULL, *run_id = NULL, *run_dir = NULL, *journal_path = NULL;
	char *copy = NULL, *kubeconfig = NULL;
	enum engine_outcome outcome;
	int rc = parse_args(e, argc, argv, &a);

	if (rc >= 0)
		goto out;
	rc = EXIT_USAGE;
	if (strcmp(command, "apply") == 0 && a.file == NULL) {
		rc = cmd_bad_usage(e, _("which plan? give it with -f FILE"));
		goto out;
	}
	plan = find_plan(e, &a, &plan_file);
	if (plan == NULL)
		goto out;
	rc = EXIT_FAILED;
	switch (stage_prepare(plan, plan_file, command, &st, &err)) {
	case 0:
		break;
	case -2:
		rc = EXIT_USAGE;
		goto fail;
	default:
		goto fail;
	}
	if (!bundle_complete(st.render)) {
		rc = EXIT_USAGE;
		goto out;
	}
	journal_path = xasprintf("%s/journal", st.state_dir);
	if (journal_open(journal_path, &journal, &err) < 0)
		goto fail;
	if (strcmp(command, "resume") == 0 && journal_last_run(journal) == NULL) {
		/* L10N: cluster name. */
		err = xasprintf(_("cluster %s has no run to resume: start one with k8s-wizard apply "
				  "-f PLAN"), plan->name);
		rc = EXIT_USAGE;
		goto fail;
	}
	run_dir = make_run_dir(st.state_dir, &run_id, &err);
	if (run_dir == NULL)
		goto fail;
	copy = xasprintf("%s/plan.yaml", run_dir);
	if (planfile_save(plan, copy, &err) < 0)
		goto fail;
	kubeconfig = save_admin_kubeconfig(st.render, st.state_dir, &err);
	if (err != NULL)
		goto fail;

	q = event_queue_new();
	term.accept_new = a.accept_new;
	fe = frontend_new(a.json ? FRONTEND_JSON : isatty(STDOUT_FILENO) ? FRONTEND_LIVE
									 : FRONTEND_LINES,
			  a.verbose, &term, stdout);
	event_prompts(q, &prompts);
	remote_config_from_plan(plan, &rc_cfg);
	rc_cfg.known_hosts = a.known_hosts;
	rc_cfg.prompts = &prompts;
	transport = transport_ssh_new(plan, &rc_cfg);
	{
		struct engine_config cfg = {
			.plan = plan, .render = st.render, .certs = st.certs, .journal = journal,
			.events = q, .ops = &transport_ssh_ops, .transport = transport,
			.run_id = run_id, .command = command, .log_dir = run_dir,
			.workers = a.parallel, .skip_checks = (const char *const *)a.skip,
			.n_skip_checks = a.n_skip, .step_timeout = a.step_timeout,
		};

		engine = engine_new(&cfg, &err);
	}
	if (engine == NULL) {
		rc = EXIT_USAGE;
		goto fail;
	}
	outcome = drive(engine, q, fe, &err);
	engine_get_stats(engine, &stats);
	print_summary(fe, engine, &stats, outcome, err, plan->name, run_dir, kubeconfig);
	rc = outcome == ENGINE_DONE ? EXIT_OK : outcome == ENGINE_STOPPED ? EXIT_STOPPED
									  : EXIT_FAILED;
	goto out;
fail:
	cmd_error(NULL, err);
out:
	engine_free(&engine);
	transport_ssh_free(&transport);
	frontend_free(&fe);
	event_queue_free(&q);
	tty_clear(&term);
	journal_close(&journal);
	stage_clear(&st);
	plan_free(&plan);
	args_clear(&a);
	free(plan_file);
	free(err);
	free(run_id);
	free(run_dir);
	free(journal_path);
	free(copy);
	free(kubeconfig);
	return rc;
}

static int cmd_apply(int argc, char **argv)
{
	return run_install(&cmd_apply_entry, "apply", argc, argv);
}

static int cmd_resume(int argc, char **argv)
{
	return run_install(&cmd_resume_entry, "resume", argc, argv);
}

const struct cmd_entry cmd_apply_entry = {
	.name = "apply",
	.usage = "-f FILE [OPTIONS]",
	.summary = N_("install the plan's cluster, or finish and check it"),
	.help = N_("  -f, --file FILE           the plan\n"
		   "      --skip-check NAME     do not run this preflight check (repeat, or a,b,c);\n"
		   "                            the run says so. Names: arch, os, cgroup2, swap,\n"
		   "                            time-skew, disk, ports, hostname\n"
		   "      --accept-new-hostkeys trust and record keys of hosts not yet known\n"
		   "      --known-hosts FILE    host keys (default ~/.ssh/known_hosts)\n"
		   "      --parallel N          hosts at a time (default 32)\n"
		   "      --step-timeout S      seconds a command may run (default 900)\n"
		   "  -v, --verbose             show every line the hosts print\n"
		   "      --json                one JSON object per event, for CI systems\n"
		   "\n"
		   "Phases: preflight, prepare, containerd, pki, kubelet, etcd, apiserver,\n"
		   "controller-manager, scheduler, workers, calico, coredns, nodelocaldns,\n"
		   "csr-approver, metrics-server; each ends when its health checks pass.\n"
		   "Every step is recorded in the cluster's journal: a step done before with\n"
		   "the same inputs is skipped, one whose inputs changed runs again with the\n"
		   "steps after it in that host's phase. Every line the hosts print is in\n"
		   "STATE/runs/RUN/HOST.log; diagnostics of a failure in HOST.diag beside it.\n"
		   "Ctrl-C: no new step starts and the run stops cleanly (resume continues);\n"
		   "Ctrl-C again ends the commands running on the hosts.\n"
		   "Exit status: 0 installed and healthy, 1 failed (resume continues), 2 bad\n"
		   "usage or plan (no host contacted), 130 stopped.\n"),
	.exec = cmd_apply,
};

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.usage = "[-f FILE | --cluster NAME] [OPTIONS]",
	.summary = N_("continue the last install of a cluster where it stopped"),
	.help = N_("  -f, --file FILE           the plan (default: the last run's)\n"
		   "      --cluster NAME        the cluster (default: the only one with a run)\n"
		   "      --skip-check NAME     do not run this preflight check (repeat, or a,b,c);\n"
		   "                            the run says so. Names: arch, os, cgroup2, swap,\n"
		   "                            time-skew, disk, ports, hostname\n"
		   "      --accept-new-hostkeys trust and record keys of hosts not yet known\n"
		   "      --known-hosts FILE    host keys (default ~/.ssh/known_hosts)\n"
		   "      --parallel N          hosts at a time (default 32)\n"
		   "      --step-timeout S      seconds a command may run (default 900)\n"
		   "  -v, --verbose             show every line the hosts print\n"
		   "      --json                one JSON object per event, for CI systems\n"
		   "\n"
		   "Phases: preflight, prepare, containerd, pki, kubelet, etcd, apiserver,\n"
		   "controller-manager, scheduler, workers, calico, coredns, nodelocaldns,\n"
		   "csr-approver, metrics-server; each ends when its health checks pass.\n"
		   "Every step is recorded in the cluster's journal: a step done before with\n"
		   "the same inputs is skipped, one whose inputs changed runs again with the\n"
		   "steps after it in that host's phase. Every line the hosts print is in\n"
		   "STATE/runs/RUN/HOST.log; diagnostics of a failure in HOST.diag beside it.\n"
		   "Ctrl-C: no new step starts and the run stops cleanly (resume continues);\n"
		   "Ctrl-C again ends the commands running on the hosts.\n"
		   "Exit status: 0 installed and healthy, 1 failed (resume continues), 2 bad\n"
		   "usage or plan (no host contacted), 130 stopped.\n"),
	.exec = cmd_resume,
};
