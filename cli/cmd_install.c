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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "engine.h"
#include "event.h"
#include "frontend.h"
#include "install.h"
#include "nls.h"
#include "plan.h"
#include "tty.h"
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

static const struct option apply_options[] = {
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
	while ((c = getopt_long(argc, argv, "+:f:v", apply_options, NULL)) != -1) {
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

static void print_summary(struct frontend *fe, const struct install *in,
			  enum engine_outcome out, const char *err)
{
	const char *cluster = install_plan(in)->name, *kubeconfig = install_kubeconfig(in);
	const char *why = NULL, *listed = install_nodes(in, &why);
	char *nodes = listed != NULL ? xstrdup(listed) : NULL, *save = NULL;
	struct engine_stats st;

	install_stats(in, &st);
	frontend_finish(fe);
	switch (out) {
	case ENGINE_DONE:
		/* L10N: cluster, steps run, steps skipped, retries. */
		frontend_say(fe, _("cluster %s is installed and healthy: %zu steps run, %zu already "
				   "done, %zu retries"),
			     cluster, st.steps_run, st.steps_skipped, st.retries);
		for (int p = 0; p < PHASE_COUNT; p++) {
			if (st.phase_ms[p] >= 0)
				frontend_say(fe, "  %-20s %6.1f s", phase_name((enum phase)p),
					     (double)st.phase_ms[p] / 1000.0);
		}
		if (nodes != NULL) {
			frontend_say(fe, "%s", _("nodes:"));
			for (char *line = strtok_r(nodes, "\n", &save); line != NULL;
			     line = strtok_r(NULL, "\n", &save))
				frontend_say(fe, "  %s", line);
		} else {
			/* L10N: why the nodes could not be listed. */
			frontend_say(fe, _("nodes: cannot list them: %s"), why != NULL ? why : "?");
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
	frontend_say(fe, _("logs: %s"), install_run_dir(in));
	free(nodes);
}

/* Drive the engine's thread and the front end here until the run ends. */
static enum engine_outcome drive(struct install *in, struct event_queue *q, struct frontend *fe,
				 const char **err)
{
	struct sigaction sa = { 0 }, old_int, old_term;
	bool ended = false;
	sig_atomic_t seen = 0;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		xalloc_die("pipe2");
	signals = 0;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
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
				install_stop(in);
				frontend_say(fe, "%s", _("stopping: the steps under way finish, no new "
							 "one starts (Ctrl-C again ends them now)"));
			} else {
				install_abort(in);
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
		ended = ended || install_finished(in);
		frontend_tick(fe);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	return install_wait(in, err);
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
	struct install *in = NULL;
	struct event_queue *q = NULL;
	struct frontend *fe = NULL;
	struct tty_answers term = { 0 };
	char *plan_file = NULL, *err = NULL;
	const char *run_err = NULL;
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
	{
		struct install_options o = {
			.command = command, .need_run = strcmp(command, "resume") == 0,
			.known_hosts = a.known_hosts, .skip_checks = (const char *const *)a.skip,
			.n_skip_checks = a.n_skip, .parallel = a.parallel,
			.step_timeout = a.step_timeout,
		};

		switch (install_prepare(plan, plan_file, &o, &in, &err)) {
		case INSTALL_OK:
			break;
		case INSTALL_INPUT:
			rc = EXIT_USAGE;
			goto fail;
		default:
			rc = EXIT_FAILED;
			goto fail;
		}
	}
	q = event_queue_new();
	term.accept_new = a.accept_new;
	fe = frontend_new(a.json ? FRONTEND_JSON : isatty(STDOUT_FILENO) ? FRONTEND_LIVE
									 : FRONTEND_LINES,
			  a.verbose, &term, stdout);
	if (install_start(in, q, &err) < 0) {
		rc = EXIT_USAGE;
		goto fail;
	}
	outcome = drive(in, q, fe, &run_err);
	print_summary(fe, in, outcome, run_err);
	rc = outcome == ENGINE_DONE ? EXIT_OK : outcome == ENGINE_STOPPED ? EXIT_STOPPED
									  : EXIT_FAILED;
	goto out;
fail:
	cmd_error(NULL, err);
out:
	install_free(&in);
	frontend_free(&fe);
	event_queue_free(&q);
	tty_clear(&term);
	plan_free(&plan);
	args_clear(&a);
	free(plan_file);
	free(err);
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
