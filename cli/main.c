/* k8s-wizard: the program. Without a command it starts the wizard on a
 * terminal; the commands do the same work headless, for automation. */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "nls.h"
#include "plan.h"
#include "planfile.h"
#include "problem.h"
#include "termsafe.h"
#include "../ui/ui.h"

static const struct cmd_entry *const commands[] = {
	&cmd_plan_init_entry,
	&cmd_plan_check_entry,
	&cmd_plan_export_entry,
	&cmd_pki_list_entry,
	&cmd_exec_entry,
	&cmd_copy_entry,
	&cmd_render_entry,
	&cmd_apply_entry,
	&cmd_resume_entry,
	&cmd_status_entry,
	&cmd_bundle_fetch_entry,
	&cmd_bundle_check_entry,
	NULL,
};

void cmd_usage(FILE *f, const struct cmd_entry *e)
{
	fprintf(f, _("Usage: %s %s %s\n"), PACKAGE, e->name, e->usage);
	/* L10N: a command's one-line summary, as the first sentence of its help. */
	fprintf(f, _("%s.\n"), _(e->summary));
	fprintf(f, "\n%s", _(e->help));
}

int cmd_bad_usage(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", PACKAGE, e->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fprintf(stderr, _("Usage: %s %s %s\n"), PACKAGE, e->name, e->usage);
	fprintf(stderr, _("Try '%s %s --help' for more.\n"), PACKAGE, e->name);
	return EXIT_USAGE;
}

static void usage(FILE *f)
{
	fprintf(f, _("Usage: %s [--plan FILE]\n"
		     "       %s COMMAND [OPTIONS]\n"
		     "\n"
		     "Install a Kubernetes 1.29 cluster from binaries onto servers over SSH.\n"
		     "Without a command, start the wizard on this terminal (on FILE's plan\n"
		     "with --plan, else on the saved or default plan).\n"
		     "\n"
		     "Commands:\n"),
		PACKAGE, PACKAGE);
	for (size_t i = 0; commands[i] != NULL; i++)
		fprintf(f, "  %-14s %s\n", commands[i]->name, _(commands[i]->summary));
	fprintf(f, _("\n"
		     "Options:\n"
		     "  --plan FILE    open the wizard on this plan\n"
		     "  --known-hosts FILE  host keys for the Run page (default ~/.ssh/known_hosts)\n"
		     "  --skip-check NAME   a preflight check the Run page does not run (as apply's)\n"
		     "  --demo         the Run page says which parts of the lab are stand-ins\n"
		     "                 (contrib/dev.sh demo)\n"
		     "  -h, --help     show this help (COMMAND --help: the command's own)\n"
		     "  -V, --version  show the version\n"
		     "\n"
		     "Exit status: 0 done, 1 failed while working, 2 bad usage or bad plan.\n"));
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", PACKAGE);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
	return EXIT_USAGE;
}

/* Start the wizard on a plan file, or (without one) on the saved or the
 * default plan: the wizard looks in the state directory itself. */
static int run_wizard(const char *plan_file, const struct ui_options *opt)
{
	struct problems problems = { 0 };
	struct plan *plan = NULL;
	int rc;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, _("%s: the wizard needs a terminal; for automation use the "
				  "commands (see %s --help)\n"), PACKAGE, PACKAGE);
		return EXIT_USAGE;
	}
	if (plan_file != NULL) {
		plan = planfile_load(plan_file, &problems, NULL);
		if (plan == NULL) {
			cmd_print_problems(plan_file, &problems);
			problems_clear(&problems);
			return EXIT_USAGE;
		}
	}
	rc = ui_run(plan, plan_file, opt);
	plan_free(&plan);
	return rc;
}

/* Find the command named by the first one or two words of argv. */
static const struct cmd_entry *find_command(int argc, char **argv, int *words)
{
	for (size_t i = 0; commands[i] != NULL; i++) {
		const char *name = commands[i]->name;
		const char *space = strchr(name, ' ');
		size_t first = space != NULL ? (size_t)(space - name) : strlen(name);

		if (strlen(argv[0]) != first || strncmp(argv[0], name, first) != 0)
			continue;
		if (space == NULL) {
			*words = 1;
			return commands[i];
		}
		if (argc > 1 && strcmp(argv[1], space + 1) == 0) {
			*words = 2;
			return commands[i];
		}
	}
	return NULL;
}

/* "k8s-wizard plan" alone, with --help or with an unknown subcommand: list
 * the subcommands (on stdout for --help, else on stderr with status 2). */
static int group_usage(const char *group, const char *next)
{
	bool help = next != NULL && (strcmp(next, "--help") == 0 || strcmp(next, "-h") == 0);
	FILE *f = help ? stdout : stderr;

	if (next != NULL && !help)
		fprintf(stderr, _("%s: unknown command '%s %s'\n"), PACKAGE, group, next);
	fprintf(f, _("Commands of '%s':\n"), group);
	for (size_t i = 0; commands[i] != NULL; i++) {
		if (strncmp(commands[i]->name, group, strlen(group)) == 0)
			fprintf(f, "  %s %-14s %s\n", PACKAGE, commands[i]->name,
				_(commands[i]->summary));
	}
	return help ? EXIT_OK : EXIT_USAGE;
}

/* Log lines of the headless commands go to stderr: warnings and errors
 * always, the rest when K8SW_DEBUG asks for them. */
static void stderr_sink(enum log_level level, enum log_subsystem sub, const char *msg,
			void *data)
{
	const bool *verbose = data;
	char *safe = NULL;

	if (level > LOG_WARN && !*verbose)
		return;
	safe = termsafe_dup(msg, TERMSAFE_KEEP_LINES);
	fprintf(stderr, "%s: %s: %s: %s\n", PACKAGE, log_subsystem_name(sub), log_level_name(level),
		safe);
	free(safe);
}

/* The wizard's option NAME VALUE or NAME=VALUE at argv[*i]: the value, or
 * NULL when argv[*i] is not that option. *missing when it lacks its value. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);

	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 == argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return NULL;
}

int main(int argc, char **argv)
{
	static bool verbose;
	static const char *skips[32];
	struct ui_options uo = { .skip_checks = skips };
	const char *value = NULL;
	bool missing = false, wizard_options = false;
	const struct cmd_entry *cmd = NULL;
	const char *plan_file = NULL;
	const char *localedir = NULL;
	int words = 0;
	int i = 1;

	/* A closed pipe (k8s-wizard status | head) is an error to report on
	 * write, not a signal that kills a run and its cleanup. */
	signal(SIGPIPE, SIG_IGN);
	setlocale(LC_ALL, "");
	/* K8SW_LOCALEDIR: the catalogs of a build tree, for tests run before
	 * make install. */
	localedir = getenv("K8SW_LOCALEDIR");
	bindtextdomain(PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
	textdomain(PACKAGE);
	log_init_from_env();
	verbose = getenv("K8SW_DEBUG") != NULL && *getenv("K8SW_DEBUG") != '\0';

	/* Options of the program itself come before any command. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			printf("%s %s\n", PACKAGE, VERSION);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--plan") == 0) {
			if (++i == argc)
				return bad_usage(_("option --plan needs a FILE"), NULL);
			plan_file = argv[i];
			continue;
		}
		if (strncmp(argv[i], "--plan=", 7) == 0) {
			plan_file = argv[i] + 7;
			continue;
		}
		value = option_value(argc, argv, &i, "--known-hosts", &missing);
		if (value != NULL) {
			uo.known_hosts = value;
			wizard_options = true;
			continue;
		}
		value = missing ? NULL : option_value(argc, argv, &i, "--skip-check", &missing);
		if (value != NULL) {
			if (uo.n_skip_checks == sizeof skips / sizeof skips[0])
				return bad_usage(_("too many --skip-check options"), NULL);
			skips[uo.n_skip_checks++] = value;
			wizard_options = true;
			continue;
		}
		if (missing)
			return bad_usage(_("option %s needs a value"), argv[i]);
		if (strcmp(argv[i], "--demo") == 0) {
			uo.demo = true;
			wizard_options = true;
			continue;
		}
		return bad_usage(_("unknown option %s"), argv[i]);
	}
	if (i == argc)
		return run_wizard(plan_file, &uo);
	if (wizard_options)
		return bad_usage(_("%s is an option of the wizard; commands take their own"),
				 argv[1]);
	if (plan_file != NULL)
		return bad_usage(_("--plan opens the wizard and takes no command; commands take "
				   "-f FILE"), NULL);
	cmd = find_command(argc - i, argv + i, &words);
	if (cmd == NULL) {
		for (size_t c = 0; commands[c] != NULL; c++) {
			if (strncmp(commands[c]->name, argv[i], strlen(argv[i])) == 0 &&
			    commands[c]->name[strlen(argv[i])] == ' ')
				return group_usage(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
		}
		return bad_usage(_("unknown command '%s'"), argv[i]);
	}
	log_set_sink(stderr_sink, &verbose);
	/* The command sees its own name as argv[0]. */
	return cmd->exec(argc - i - words + 1, argv + i + words - 1);
}
