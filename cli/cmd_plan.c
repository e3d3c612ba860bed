/* The plan commands: init writes the default plan, check validates a plan file
 * and reports every problem as FILE:LINE:COLUMN: FIELD: message, export writes
 * a plan back in canonical form. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "nls.h"
#include "plan.h"
#include "planfile.h"
#include "xmalloc.h"

/* Write text to path, refusing to replace an existing file unless forced. */
static int write_plan(const struct plan *plan, const char *out, bool force)
{
	struct stat st;
	char *err = NULL;
	char *text = NULL;
	size_t len = 0;

	if (out == NULL || strcmp(out, "-") == 0) {
		text = planfile_emit(plan, &len);
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
			fprintf(stderr, _("k8s-wizard: cannot write to standard output: %s\n"),
				strerror(errno));
			free(text);
			return EXIT_FAILED;
		}
		free(text);
		return EXIT_OK;
	}
	if (!force && stat(out, &st) == 0) {
		fprintf(stderr, _("k8s-wizard: %s exists: use --force to replace it\n"), out);
		return EXIT_USAGE;
	}
	if (planfile_save(plan, out, &err) < 0) {
		cmd_error(NULL, err);
		free(err);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

enum { OPT_FORCE = 0x100, OPT_HELP };

static const struct option plan_options[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct plan_args {
	const char *file;
	const char *out;
	bool force;
};

/* Parse the options shared by the plan commands; allowed is a set of the
 * short option letters this command takes ("fo", "f"). Returns -1 to go on,
 * otherwise the exit status. */
static int parse_plan_args(const struct cmd_entry *e, int argc, char **argv, const char *allowed,
			   struct plan_args *a)
{
	int c;

	memset(a, 0, sizeof *a);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:f:o:", plan_options, NULL)) != -1) {
		if (c == OPT_HELP) {
			cmd_usage(stdout, e);
			return EXIT_OK;
		}
		if ((c == 'f' || c == 'o') && strchr(allowed, c) == NULL)
			return cmd_bad_usage(e, _("option -%c is not used by this command"), c);
		if (c == OPT_FORCE && strchr(allowed, 'o') == NULL)
			return cmd_bad_usage(e, _("option --force is not used by this command"));
		switch (c) {
		case 'f':
			a->file = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		default:
			return cmd_option_error(e, c == ':', argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_bad_usage(e, _("unexpected argument '%s'"), argv[optind]);
	if (strchr(allowed, 'f') != NULL && a->file == NULL)
		return cmd_bad_usage(e, _("which plan? give it with -f FILE"));
	return -1;
}

static int cmd_plan_init(int argc, char **argv)
{
	struct plan_args a;
	struct plan *plan = NULL;
	int rc = parse_plan_args(&cmd_plan_init_entry, argc, argv, "o", &a);

	if (rc >= 0)
		return rc;
	plan = plan_new_default();
	rc = write_plan(plan, a.out, a.force);
	plan_free(&plan);
	return rc;
}

static int cmd_plan_check(int argc, char **argv)
{
	struct plan_args a;
	struct plan *plan = NULL;
	bool warnings = false;
	int rc = parse_plan_args(&cmd_plan_check_entry, argc, argv, "f", &a);

	if (rc >= 0)
		return rc;
	plan = cmd_load_plan(a.file, &warnings);
	if (plan == NULL)
		return EXIT_USAGE;
	printf(_("%s: the plan is valid: %zu hosts (%zu masters, %zu etcd members, %zu "
		 "workers)%s\n"),
	       a.file, plan->n_hosts, plan_count_role(plan, ROLE_MASTER),
	       plan_count_role(plan, ROLE_ETCD), plan_count_role(plan, ROLE_WORKER),
	       warnings ? _(", with the warnings above") : "");
	plan_free(&plan);
	return EXIT_OK;
}

static int cmd_plan_export(int argc, char **argv)
{
	struct plan_args a;
	struct plan *plan = NULL;
	bool warnings = false;
	int rc = parse_plan_args(&cmd_plan_export_entry, argc, argv, "fo", &a);

	if (rc >= 0)
		return rc;
	plan = cmd_load_plan(a.file, &warnings);
	if (plan == NULL)
		return EXIT_USAGE;
	rc = write_plan(plan, a.out, a.force);
	plan_free(&plan);
	return rc;
}

const struct cmd_entry cmd_plan_init_entry = {
	.name = "plan init",
	.usage = "[-o FILE] [--force]",
	.summary = N_("write the default plan (the guide's 3 masters and 2 workers)"),
	.help = N_("  -o, --output FILE  write to FILE instead of standard output\n"
		   "      --force        replace FILE if it exists\n"
		   "\n"
		   "Edit the plan, then check it with: k8s-wizard plan check -f FILE\n"),
	.exec = cmd_plan_init,
};

const struct cmd_entry cmd_plan_check_entry = {
	.name = "plan check",
	.usage = "-f FILE",
	.summary = N_("validate a plan without contacting any host"),
	.help = N_("  -f, --file FILE  the plan to check\n"
		   "\n"
		   "Every problem is printed on standard error as\n"
		   "  FILE:LINE:COLUMN: FIELD: message\n"
		   "Exit status: 0 when the plan is valid (warnings allowed), 2 when not.\n"),
	.exec = cmd_plan_check,
};

const struct cmd_entry cmd_plan_export_entry = {
	.name = "plan export",
	.usage = "-f FILE [-o OUT] [--force]",
	.summary = N_("write a plan in canonical form, with every default filled in"),
	.help = N_("  -f, --file FILE    the plan to read\n"
		   "  -o, --output OUT   write to OUT instead of standard output\n"
		   "      --force        replace OUT if it exists\n"
		   "\n"
		   "A plan with errors is not exported: the problems are printed as by\n"
		   "plan check and the exit status is 2.\n"),
	.exec = cmd_plan_export,
};
