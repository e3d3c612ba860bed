/* k8s-wizard status: a cluster's install as its journal tells it, a table of
 * phases by hosts (done, failed, stopped, pending, skipped), the last run and,
 * when it failed, the step that failed with its exit status and the logs to
 * read. Reads only: no lock, no host contacted. */
#include "config.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "journal.h"
#include "nls.h"
#include "phase.h"
#include "plan.h"
#include "render.h"
#include "strbuf.h"
#include "termsafe.h"
#include "xmalloc.h"

enum { OPT_CLUSTER = 0x100, OPT_JSON, OPT_HELP };

static const struct option status_options[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* What the table shows for a host in a phase. */
enum cell { CELL_NONE, CELL_PENDING, CELL_DONE, CELL_FAILED, CELL_STOPPED, CELL_SKIPPED };

static const char *cell_name(enum cell c)
{
	static const char *const names[] = { "-", "pending", "done", "failed", "stopped",
					     "skipped" };

	return names[c];
}

/* A host's state in a phase: its steps' record, else its checks', else
 * whether the phase concerns it at all. */
static enum cell cell_of(const struct journal *j, const struct plan *p, enum phase phase,
			 const char *host, unsigned roles)
{
	const struct journal_phase *jp = journal_find_phase(j, phase, host);
	const struct journal_phase *whole = journal_find_phase(j, phase, NULL);
	bool concerned = roles != 0 ? (phase_roles(phase) & roles) != 0 : phase_roles(phase) == 0;
	bool checked = false, check_failed = false;

	if (!phase_enabled(p, phase))
		return CELL_SKIPPED;
	for (size_t i = 0; i < journal_n_checks(j); i++) {
		const struct journal_check *c = journal_get_check(j, i);

		if (c->phase == phase && strcmp(c->host, host) == 0) {
			checked = true;
			check_failed = check_failed || !c->ok;
		}
	}
	if (jp != NULL) {
		switch (jp->state) {
		case JOURNAL_FAILED:
			return CELL_FAILED;
		case JOURNAL_STOPPED:
			return CELL_STOPPED;
		case JOURNAL_DONE:
			if (check_failed)
				return CELL_FAILED;
			return whole != NULL && whole->state == JOURNAL_DONE ? CELL_DONE
									       : CELL_PENDING;
		default:
			return CELL_PENDING;
		}
	}
	if (checked)
		return check_failed ? CELL_FAILED : CELL_DONE;
	if (!concerned)
		return CELL_NONE;
	return whole != NULL && whole->state == JOURNAL_DONE ? CELL_DONE : CELL_PENDING;
}

static char *format_time(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	if (ms <= 0)
		return xstrdup("-");
	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	return xstrdup(buf);
}

/* s, then blanks up to width columns (display width: a Chinese character
 * takes two). */
static void print_padded(const char *s, size_t width)
{
	size_t w = cmd_text_width(s);

	printf("%s%*s", s, w < width ? (int)(width - w) : 0, "");
}

static void print_table(const struct journal *j, const struct plan *p)
{
	size_t width = 18;
	const size_t col = 9;

	print_padded(_("phase"), width);
	for (size_t h = 0; h < p->n_hosts; h++)
		printf(" %-*.*s", (int)col, (int)col, p->hosts[h].name);
	printf(" ");
	print_padded(_("cluster"), col);
	printf(" %s\n", _("ended"));
	for (int ph = 0; ph < PHASE_COUNT; ph++) {
		const struct journal_phase *whole = journal_find_phase(j, (enum phase)ph, NULL);
		char *when = format_time(whole != NULL ? whole->time_ms : 0);

		printf("%-*s", (int)width, phase_name((enum phase)ph));
		for (size_t h = 0; h < p->n_hosts; h++)
			printf(" %-*s", (int)col,
			       cell_name(cell_of(j, p, (enum phase)ph, p->hosts[h].name,
						 p->hosts[h].roles)));
		printf(" %-*s %s\n", (int)col,
		       cell_name(cell_of(j, p, (enum phase)ph, RENDER_CLUSTER, 0)), when);
		free(when);
	}
}

static int print_text(const struct journal *j, const struct plan *p)
{
	const struct journal_run *run = journal_last_run(j);
	const struct journal_step *fs = NULL;
	const struct journal_check *fc = NULL;
	char *start = format_time(run->start_ms), *end = format_time(run->end_ms);

	/* L10N: cluster, run id, command, state, start time, end time. */
	printf(_("cluster %s: last run %s (%s) %s, started %s, ended %s\n"), p->name, run->id,
	       run->command, journal_state_name(run->state), start, end);
	/* L10N: log directory. */
	printf(_("logs: %s\n\n"), run->log_dir);
	print_table(j, p);
	fs = journal_failed_step(j, run->id);
	fc = journal_failed_check(j, run->id);
	if (fs != NULL) {
		char *when = format_time(fs->end_ms);

		/* L10N: phase, host, step number, what it does, exit status, time. */
		printf(_("\nfailed: phase %s on %s, step %u (%s), exit status %d, at %s\n"),
		       phase_name(fs->phase), fs->host, fs->index, fs->what, fs->exit_code, when);
		/* L10N: the host's log and its diagnostics. */
		printf(_("  log: %s/%s.log  diagnostics: %s/%s.diag\n"), run->log_dir, fs->host,
		       run->log_dir, fs->host);
		free(when);
	} else if (fc != NULL) {
		/* What a check saw comes from the host. */
		char *detail = termsafe_dup(fc->detail, TERMSAFE_ALL);

		/* L10N: phase, host, check name, what it expected and saw. */
		printf(_("\nfailed: phase %s on %s, check %s: %s\n"), phase_name(fc->phase), fc->host,
		       fc->name, detail);
		free(detail);
		/* L10N: the host's log. */
		printf(_("  log: %s/%s.log\n"), run->log_dir, fc->host);
	}
	free(start);
	free(end);
	return EXIT_OK;
}

static int print_json(const struct journal *j, const struct plan *p)
{
	const struct journal_run *run = journal_last_run(j);
	json_object *o = json_object_new_object(), *phases = json_object_new_array();
	const struct journal_step *fs = journal_failed_step(j, run->id);

	json_object_object_add(o, "cluster", json_object_new_string(p->name));
	json_object_object_add(o, "run", json_object_new_string(run->id));
	json_object_object_add(o, "command", json_object_new_string(run->command));
	json_object_object_add(o, "state", json_object_new_string(journal_state_name(run->state)));
	json_object_object_add(o, "start_ms", json_object_new_int64(run->start_ms));
	json_object_object_add(o, "end_ms", json_object_new_int64(run->end_ms));
	json_object_object_add(o, "log_dir", json_object_new_string(run->log_dir));
	for (int ph = 0; ph < PHASE_COUNT; ph++) {
		json_object *row = json_object_new_object(), *hosts = json_object_new_object();

		const struct journal_phase *whole = journal_find_phase(j, (enum phase)ph, NULL);

		json_object_object_add(row, "phase",
				       json_object_new_string(phase_name((enum phase)ph)));
		if (whole != NULL) {
			json_object_object_add(row, "state",
					       json_object_new_string(journal_state_name(whole->state)));
			json_object_object_add(row, "time_ms", json_object_new_int64(whole->time_ms));
		}
		for (size_t h = 0; h < p->n_hosts; h++)
			json_object_object_add(hosts, p->hosts[h].name,
					       json_object_new_string(cell_name(cell_of(
						       j, p, (enum phase)ph, p->hosts[h].name,
						       p->hosts[h].roles))));
		json_object_object_add(hosts, RENDER_CLUSTER,
				       json_object_new_string(cell_name(cell_of(
					       j, p, (enum phase)ph, RENDER_CLUSTER, 0))));
		json_object_object_add(row, "hosts", hosts);
		json_object_array_add(phases, row);
	}
	json_object_object_add(o, "phases", phases);
	if (fs != NULL) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "phase", json_object_new_string(phase_name(fs->phase)));
		json_object_object_add(f, "host", json_object_new_string(fs->host));
		json_object_object_add(f, "step", json_object_new_int((int)fs->index));
		json_object_object_add(f, "what", json_object_new_string(fs->what));
		json_object_object_add(f, "exit", json_object_new_int(fs->exit_code));
		json_object_object_add(f, "end_ms", json_object_new_int64(fs->end_ms));
		json_object_object_add(f, "log", json_object_new_string_len(run->log_dir,
									   (int)strlen(run->log_dir)));
		json_object_object_add(o, "failed_step", f);
	}
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return EXIT_OK;
}

static int cmd_status(int argc, char **argv)
{
	const char *file = NULL, *cluster_arg = NULL;
	struct plan *plan = NULL;
	struct journal *j = NULL;
	char *cluster = NULL, *err = NULL, *plan_file = NULL;
	bool json = false, warnings = false, none = false;
	int c, rc = EXIT_USAGE;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:f:", status_options, NULL)) != -1) {
		switch (c) {
		case OPT_HELP:
			cmd_usage(stdout, &cmd_status_entry);
			return EXIT_OK;
		case 'f':
			file = optarg;
			break;
		case OPT_CLUSTER:
			cluster_arg = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cmd_option_error(&cmd_status_entry, c == ':', argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_bad_usage(&cmd_status_entry, _("unexpected argument '%s'"), argv[optind]);
	if (file != NULL && cluster_arg != NULL)
		return cmd_bad_usage(&cmd_status_entry,
				     _("give either -f FILE or --cluster NAME, not both"));
	if (file != NULL) {
		plan = cmd_load_plan(file, &warnings);
		if (plan == NULL)
			return EXIT_USAGE;
		cluster = xstrdup(plan->name);
	} else {
		cluster = cmd_find_cluster(cluster_arg, &none, &err);
		if (cluster == NULL && none) {
			rc = EXIT_FAILED;
			goto fail;
		}
		if (cluster == NULL) {
			rc = cmd_bad_usage(&cmd_status_entry, "%s", err);
			goto out;
		}
	}
	j = cmd_open_journal(cluster, &err);
	if (j == NULL || journal_last_run(j) == NULL) {
		if (err == NULL)
			/* L10N: cluster name. */
			err = xasprintf(_("cluster %s has no run yet: start one with k8s-wizard apply "
					  "-f PLAN"), cluster);
		rc = EXIT_FAILED;
		goto fail;
	}
	if (plan == NULL) {
		plan_file = xasprintf("%s/plan.yaml", journal_last_run(j)->log_dir);
		plan = cmd_load_plan(plan_file, &warnings);
		if (plan == NULL) {
			rc = EXIT_FAILED;
			goto out;
		}
	}
	rc = json ? print_json(j, plan) : print_text(j, plan);
	goto out;
fail:
	cmd_error(NULL, err);
out:
	journal_close(&j);
	plan_free(&plan);
	free(cluster);
	free(plan_file);
	free(err);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[-f FILE | --cluster NAME] [--json]",
	.summary = N_("show what the installs of a cluster did, phase by phase and host by host"),
	.help = N_("  -f, --file FILE    the plan (default: the last run's)\n"
		   "      --cluster NAME the cluster (default: the only one with a run)\n"
		   "      --json         the same as one JSON document, for scripts\n"
		   "\n"
		   "Each cell: done, failed, stopped, pending (not run yet), skipped (an\n"
		   "add-on the plan turns off) or - (the phase has nothing for that host).\n"
		   "Contacts no host. Exit status: 0 shown, 1 no run to show, 2 bad usage.\n"),
	.exec = cmd_status,
};
