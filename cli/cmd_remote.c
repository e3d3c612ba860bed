/* The commands operators use on their own: exec runs a command on the plan's
 * hosts in parallel, copy uploads a file to them. Both print each host's
 * outcome at the end and exit 0 only when every host succeeded. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "grammar.h"
#include "hostpool.h"
#include "log.h"
#include "nls.h"
#include "plan.h"
#include "remote.h"
#include "strbuf.h"
#include "termsafe.h"
#include "tty.h"
#include "xmalloc.h"

enum {
	OPT_HOSTS = 0x100,
	OPT_TIMEOUT,
	OPT_PARALLEL,
	OPT_KNOWN_HOSTS,
	OPT_ACCEPT_NEW,
	OPT_KEEPALIVE,
	OPT_MODE,
	OPT_OWNER,
	OPT_HELP,
};

static const struct option remote_options[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "hosts", required_argument, NULL, OPT_HOSTS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS },
	{ "accept-new-hostkeys", no_argument, NULL, OPT_ACCEPT_NEW },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct remote_args {
	const char *file;
	const char *hosts;
	const char *known_hosts;
	const char *owner;
	unsigned timeout;
	unsigned parallel;
	unsigned keepalive;
	unsigned mode;
	bool accept_new;
	int first_arg; /* argv index of the first operand */
};

/* user or user:group, each a POSIX name. */
static bool owner_ok(const char *s)
{
	char user[64];
	const char *colon = strchr(s, ':');
	size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);

	if (n == 0 || n >= sizeof user)
		return false;
	memcpy(user, s, n);
	user[n] = '\0';
	return grammar_check(GR_USER, user, NULL) &&
	       (colon == NULL || grammar_check(GR_USER, colon + 1, NULL));
}

/* Returns -1 to go on, otherwise the exit status. */
static int parse_remote_args(const struct cmd_entry *e, int argc, char **argv, bool copy,
			     struct remote_args *a)
{
	int c;

	memset(a, 0, sizeof *a);
	a->mode = 0644;
	optind = 1;
	opterr = 0;
	/* exec stops at the command's first word; copy takes options anywhere
	 * (SRC DEST --mode 0600). */
	while ((c = getopt_long(argc, argv, copy ? ":f:" : "+:f:", remote_options, NULL)) != -1) {
		switch (c) {
		case OPT_HELP:
			cmd_usage(stdout, e);
			return EXIT_OK;
		case 'f':
			a->file = optarg;
			break;
		case OPT_HOSTS:
			a->hosts = optarg;
			break;
		case OPT_KNOWN_HOSTS:
			a->known_hosts = optarg;
			break;
		case OPT_ACCEPT_NEW:
			a->accept_new = true;
			break;
		case OPT_TIMEOUT:
			if (copy)
				return cmd_bad_usage(e, _("option --timeout is not used by this command"));
			if (!cmd_parse_uint(optarg, 10, 86400, &a->timeout))
				return cmd_bad_usage(e, _("--timeout: use seconds, 0 to 86400"));
			break;
		case OPT_PARALLEL:
			if (!cmd_parse_uint(optarg, 10, 1024, &a->parallel) || a->parallel == 0)
				return cmd_bad_usage(e, _("--parallel: use a number of hosts, 1 to 1024"));
			break;
		case OPT_KEEPALIVE:
			if (!cmd_parse_uint(optarg, 10, 3600, &a->keepalive) || a->keepalive == 0)
				return cmd_bad_usage(e, _("--keepalive: use seconds, 1 to 3600"));
			break;
		case OPT_MODE:
			if (!copy)
				return cmd_bad_usage(e, _("option --mode is not used by this command"));
			if (!cmd_parse_uint(optarg, 8, 07777, &a->mode))
				return cmd_bad_usage(e, _("--mode: use an octal mode like 0644"));
			break;
		case OPT_OWNER:
			if (!copy)
				return cmd_bad_usage(e, _("option --owner is not used by this command"));
			if (!owner_ok(optarg))
				return cmd_bad_usage(e, _("--owner: use user or user:group"));
			a->owner = optarg;
			break;
		default:
			return cmd_option_error(e, c == ':', argv[optind - 1]);
		}
	}
	if (a->file == NULL)
		return cmd_bad_usage(e, _("which plan? give it with -f FILE"));
	a->first_arg = optind;
	return -1;
}

/* The hosts a selector names, in plan order: all, masters, workers, etcd or
 * host names, separated by commas. Returns the count, or 0 with a message
 * printed. */
static size_t select_hosts(const struct cmd_entry *e, const struct plan *plan, const char *sel,
			   bool *chosen)
{
	char *copy = xstrdup(sel != NULL ? sel : "all");
	char *p = copy;
	size_t n = 0;

	memset(chosen, 0, plan->n_hosts * sizeof *chosen);
	while (p != NULL) {
		char *comma = strchr(p, ',');
		unsigned role = 0;
		bool found = false;

		if (comma != NULL)
			*comma = '\0';
		if (strcmp(p, "all") == 0)
			role = ROLE_MASTER | ROLE_ETCD | ROLE_WORKER;
		else if (strcmp(p, "masters") == 0 || strcmp(p, "master") == 0)
			role = ROLE_MASTER;
		else if (strcmp(p, "workers") == 0 || strcmp(p, "worker") == 0)
			role = ROLE_WORKER;
		else if (strcmp(p, "etcd") == 0)
			role = ROLE_ETCD;
		for (size_t i = 0; i < plan->n_hosts; i++) {
			if ((role != 0 && (plan->hosts[i].roles & role)) ||
			    (role == 0 && strcmp(plan->hosts[i].name, p) == 0)) {
				chosen[i] = true;
				found = true;
			}
		}
		if (!found && role == 0) {
			fprintf(stderr, _("%s %s: --hosts: no host named '%s'; use all, masters, "
					  "workers, etcd or one of:"),
				PACKAGE, e->name, p);
			for (size_t i = 0; i < plan->n_hosts; i++)
				fprintf(stderr, " %s", plan->hosts[i].name);
			fprintf(stderr, "\n");
			free(copy);
			return 0;
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
	free(copy);
	for (size_t i = 0; i < plan->n_hosts; i++)
		n += chosen[i];
	if (n == 0)
		fprintf(stderr, _("%s %s: --hosts '%s' selects no host of the plan\n"), PACKAGE,
			e->name, sel);
	return n;
}

/* One host's outcome. */
struct outcome {
	size_t host; /* index in the plan */
	bool done;
	bool ok;
	bool skipped; /* copy: the host already had the file */
	struct remote_result res;
	char *err;
	uint64_t sent;
};

/* What the jobs share. */
struct job {
	const struct plan *plan;
	struct remote_ctx *ctx;
	struct outcome *out;
	size_t n;
	/* exec */
	const char *command;
	unsigned timeout;
	/* copy */
	const struct remote_file *file;
	const char *dest;
	unsigned mode;
	const char *owner;
	bool progress;
	int64_t last_draw_ms;
	size_t width; /* of the longest host name */
	bool escape_out, escape_err; /* exec: that stream is a terminal */
	struct hostpool *pool;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Print a line of a host's output, whole, under the pool's lock: escaped
 * on a terminal (a host cannot drive it), byte for byte elsewhere. */
static void print_line(const struct remote_line *line, void *data)
{
	struct job *j = data;
	bool err = line->stream == REMOTE_STDERR;
	FILE *f = err ? stderr : stdout;
	struct strbuf safe = { 0 };

	if (err ? j->escape_err : j->escape_out)
		termsafe_add(&safe, line->text, line->len, TERMSAFE_KEEP_LINES);
	hostpool_lock(j->pool);
	if (safe.s != NULL)
		fprintf(f, "%s: %s\n", line->host, safe.s);
	else
		fprintf(f, "%s: %.*s\n", line->host, (int)line->len, line->text);
	hostpool_unlock(j->pool);
	strbuf_clear(&safe);
}

static void exec_job(struct hostpool *pool, size_t i, void *data)
{
	struct job *j = data;
	struct outcome *o = &j->out[i];
	struct remote_target t;
	struct remote *r = NULL;
	struct remote_cmd cmd = {
		.command = j->command, .timeout = j->timeout, .on_line = print_line, .data = j,
	};

	(void)pool;
	remote_target_from_plan(j->plan, o->host, &t);
	r = remote_new(j->ctx, &t);
	if (remote_run(r, &cmd, &o->res, &o->err) == 0)
		o->ok = o->res.status == REMOTE_EXITED && o->res.exit_code == 0;
	o->done = true;
	remote_free(&r);
}

/* Draw the copy's progress line on the terminal (rate-limited). */
static void draw_progress(struct job *j, bool final)
{
	uint64_t sent = 0, total = remote_file_size(j->file) * j->n;
	size_t done = 0;
	int64_t now = mono_ms();

	if (!j->progress || (!final && now - j->last_draw_ms < 200))
		return;
	j->last_draw_ms = now;
	for (size_t i = 0; i < j->n; i++) {
		sent += j->out[i].sent;
		done += j->out[i].done;
	}
	/* L10N: hosts done, hosts, MiB sent, MiB in all, padding or newline.
	 * Keep it within one 80-column line. */
	fputc('\r', stderr);
	fprintf(stderr, _("copy: %zu/%zu hosts done, %llu/%llu MiB%s"), done, j->n,
		(unsigned long long)(sent >> 20), (unsigned long long)(total >> 20),
		final ? "\n" : "  ");
	fflush(stderr);
}

struct copy_cb {
	struct job *j;
	struct outcome *o;
};

static void copy_progress_cb(const char *host, uint64_t sent, uint64_t total, void *data)
{
	struct copy_cb *cb = data;

	(void)host;
	(void)total;
	hostpool_lock(cb->j->pool);
	cb->o->sent = sent;
	draw_progress(cb->j, false);
	hostpool_unlock(cb->j->pool);
}

static void copy_job(struct hostpool *pool, size_t i, void *data)
{
	struct job *j = data;
	struct outcome *o = &j->out[i];
	struct copy_cb cb = { j, o };
	struct remote_target t;
	struct remote *r = NULL;
	struct remote_upload up = {
		.file = j->file, .dest = j->dest, .mode = j->mode, .owner = j->owner,
		.progress = copy_progress_cb, .data = &cb,
	};

	(void)pool;
	remote_target_from_plan(j->plan, o->host, &t);
	r = remote_new(j->ctx, &t);
	o->ok = remote_upload(r, &up, &o->skipped, &o->err) == 0;
	if (!o->ok)
		o->res.status = remote_lost(r) ? REMOTE_LOST : REMOTE_FAILED;
	hostpool_lock(pool);
	o->done = true;
	hostpool_unlock(pool);
	remote_free(&r);
}

/* Print one host's outcome for the summary. */
static void print_outcome(const struct job *j, const struct outcome *o, bool copy)
{
	const char *name = j->plan->hosts[o->host].name;
	char *safe = NULL;

	if (o->err != NULL) {
		/* The error may quote the host (sudo, the server's disconnect). */
		safe = termsafe_dup(o->err, TERMSAFE_KEEP_LINES);
		fprintf(stderr, "%-*s %s%s\n", (int)j->width + 1, name,
			o->res.status == REMOTE_LOST ? _("connection error: ") : _("error: "),
			safe);
		free(safe);
		return;
	}
	if (copy) {
		fprintf(stderr, "%-*s %s\n", (int)j->width + 1, name,
			o->skipped ? _("already up to date (nothing sent)") : _("copied"));
		return;
	}
	switch (o->res.status) {
	case REMOTE_EXITED:
		/* L10N: the summary lines: "%-*s" is the host name padded to a width
		 * (keep it first), then the outcome. */
		fprintf(stderr, _("%-*s exit %d\n"), (int)j->width + 1, name, o->res.exit_code);
		break;
	case REMOTE_SIGNALLED:
		safe = termsafe_dup(o->res.signal, TERMSAFE_ALL);
		fprintf(stderr, _("%-*s killed by signal %s\n"), (int)j->width + 1, name, safe);
		free(safe);
		break;
	case REMOTE_TIMEOUT:
		fprintf(stderr, _("%-*s timed out after %u s (ended on the host)\n"),
			(int)j->width + 1, name, j->timeout);
		break;
	case REMOTE_LOST:
	case REMOTE_FAILED:
	default:
		fprintf(stderr, _("%-*s not run\n"), (int)j->width + 1, name);
		break;
	}
}

/* The common part of exec and copy: plan, hosts, transport, pool, summary. */
static int run_remote(const struct cmd_entry *e, const struct remote_args *a, struct job *j,
		      hostpool_job fn, bool copy)
{
	struct tty_answers term = { .accept_new = a->accept_new };
	struct remote_prompts prompts = {
		.unknown_hostkey = tty_hostkey, .secret = tty_secret, .data = &term,
	};
	struct remote_config config = { 0 };
	struct plan *plan = NULL;
	bool warnings = false, *chosen = NULL;
	size_t n = 0, k = 0, failed = 0, lost = 0;
	int rc = EXIT_USAGE;

	plan = cmd_load_plan(a->file, &warnings);
	if (plan == NULL)
		goto out;
	chosen = xcalloc(plan->n_hosts > 0 ? plan->n_hosts : 1, sizeof *chosen);
	n = select_hosts(e, plan, a->hosts, chosen);
	if (n == 0)
		goto out;
	remote_config_from_plan(plan, &config);
	config.known_hosts = a->known_hosts;
	config.keepalive_interval = a->keepalive;
	config.prompts = &prompts;
	j->plan = plan;
	j->n = n;
	j->out = xcalloc(n, sizeof *j->out);
	for (size_t i = 0; i < plan->n_hosts; i++) {
		size_t len = strlen(plan->hosts[i].name) + 1;

		if (!chosen[i])
			continue;
		j->out[k++].host = i;
		if (len > j->width)
			j->width = len;
	}
	j->ctx = remote_ctx_new(&config);
	j->pool = hostpool_new(a->parallel);
	hostpool_run(j->pool, n, fn, j);
	if (copy)
		draw_progress(j, true);
	fflush(stdout);
	for (size_t i = 0; i < n; i++) {
		failed += !j->out[i].ok;
		lost += j->out[i].res.status == REMOTE_LOST;
	}
	/* L10N: command name, hosts, succeeded, failed, of which connection errors. */
	fprintf(stderr, _("--- %s: %zu hosts, %zu succeeded, %zu failed (%zu connection errors)\n"),
		e->name, n, n - failed, failed, lost);
	for (size_t i = 0; i < n; i++)
		print_outcome(j, &j->out[i], copy);
	rc = failed == 0 ? EXIT_OK : EXIT_FAILED;
out:
	if (j->out != NULL) {
		for (size_t i = 0; i < j->n; i++)
			free(j->out[i].err);
		free(j->out);
	}
	hostpool_free(&j->pool);
	remote_ctx_free(&j->ctx);
	tty_clear(&term);
	free(chosen);
	plan_free(&plan);
	return rc;
}

static int cmd_exec(int argc, char **argv)
{
	struct remote_args a;
	struct job j = { 0 };
	char *command = NULL;
	int rc = parse_remote_args(&cmd_exec_entry, argc, argv, false, &a);

	if (rc >= 0)
		return rc;
	if (a.first_arg < argc && strcmp(argv[a.first_arg], "--") == 0)
		a.first_arg++;
	if (a.first_arg >= argc)
		return cmd_bad_usage(&cmd_exec_entry, _("which command? give it after --"));
	/* Like ssh: the words form one command line for the host's shell. */
	for (int i = a.first_arg; i < argc; i++) {
		char *c = xasprintf("%s%s%s", command != NULL ? command : "",
				    command != NULL ? " " : "", argv[i]);

		free(command);
		command = c;
	}
	j.command = command;
	j.escape_out = isatty(STDOUT_FILENO);
	j.escape_err = isatty(STDERR_FILENO);
	j.timeout = a.timeout;
	rc = run_remote(&cmd_exec_entry, &a, &j, exec_job, false);
	free(command);
	return rc;
}

static int cmd_copy(int argc, char **argv)
{
	struct remote_args a;
	struct job j = { 0 };
	struct remote_file *file = NULL;
	char *err = NULL;
	const char *dest;
	int rc = parse_remote_args(&cmd_copy_entry, argc, argv, true, &a);

	if (rc >= 0)
		return rc;
	if (argc - a.first_arg != 2)
		return cmd_bad_usage(&cmd_copy_entry, _("give a source file and a destination path"));
	dest = argv[a.first_arg + 1];
	if (dest[0] != '/' || strchr(dest, '\n') != NULL || dest[strlen(dest) - 1] == '/')
		return cmd_bad_usage(&cmd_copy_entry,
				     _("the destination must be an absolute file path, like "
				       "/usr/local/bin/etcd"));
	file = remote_file_open(argv[a.first_arg], &err);
	if (file == NULL) {
		cmd_error(cmd_copy_entry.name, err);
		free(err);
		return EXIT_USAGE;
	}
	j.file = file;
	j.dest = dest;
	j.mode = a.mode;
	j.owner = a.owner;
	j.progress = isatty(STDERR_FILENO);
	rc = run_remote(&cmd_copy_entry, &a, &j, copy_job, true);
	remote_file_free(&file);
	return rc;
}

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.usage = "-f PLAN [--hosts SELECTOR] [OPTIONS] -- COMMAND...",
	.summary = N_("run a command on the plan's hosts in parallel"),
	.help = N_("  -f, --file PLAN          the plan whose hosts to use\n"
		   "      --hosts SELECTOR     all (default), masters, workers, etcd or host\n"
		   "                           names, separated by commas\n"
		   "      --timeout SECONDS    end the command on a host after this long\n"
		   "      --parallel N         hosts at a time (default 32)\n"
		   "      --known-hosts FILE   instead of ~/.ssh/known_hosts\n"
		   "      --accept-new-hostkeys  trust and record keys of hosts not yet known\n"
		   "                           (a changed key is always refused)\n"
		   "      --keepalive SECONDS  probe a silent host after this long (default 5);\n"
		   "                           3 unanswered probes count as a lost connection\n"
		   "\n"
		   "The words of COMMAND form one command line, run by each host's shell\n"
		   "(as with ssh); through sudo -n when the plan's user is not root and\n"
		   "ssh.sudo is set. Each output line is printed as 'HOST: LINE', standard\n"
		   "error on standard error. On a terminal, control characters in the\n"
		   "output (escape sequences, carriage returns) are shown as \\xNN, and C1\n"
		   "or bidirectional controls as \\uNNNN; into a pipe or a file, the lines\n"
		   "are passed byte for byte. A summary of every host's exit status follows.\n"
		   "Exit status: 0 when the command exited 0 on every host, 1 otherwise,\n"
		   "2 for bad usage or a bad plan (then no host is contacted).\n"),
	.exec = cmd_exec,
};

const struct cmd_entry cmd_copy_entry = {
	.name = "copy",
	.usage = "-f PLAN [--hosts SELECTOR] [--mode MODE] [--owner USER[:GROUP]] SRC DEST",
	.summary = N_("upload a file to the plan's hosts in parallel"),
	.help = N_("  -f, --file PLAN          the plan whose hosts to use\n"
		   "      --hosts SELECTOR     all (default), masters, workers, etcd or host\n"
		   "                           names, separated by commas\n"
		   "      --mode MODE          octal mode of DEST (default 0644)\n"
		   "      --owner USER[:GROUP] owner of DEST (default: the login user)\n"
		   "      --parallel N         hosts at a time (default 32)\n"
		   "      --known-hosts FILE   instead of ~/.ssh/known_hosts\n"
		   "      --accept-new-hostkeys  trust and record keys of hosts not yet known\n"
		   "      --keepalive SECONDS  probe a silent host after this long (default 5)\n"
		   "\n"
		   "DEST is an absolute file path. A host whose DEST already has SRC's\n"
		   "sha256 is skipped (only mode and owner are set). Otherwise the file is\n"
		   "streamed to a temporary file next to DEST, checked with sha256sum on the\n"
		   "host and renamed into place: DEST is never a partial file.\n"
		   "Exit status: 0 when every host has the file, 1 otherwise, 2 for bad\n"
		   "usage or a bad plan.\n"),
	.exec = cmd_copy,
};
