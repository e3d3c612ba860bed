/* pki list: the certificates a plan gets, at plan time. The PKI is brought in
 * line with the plan in the cluster's state directory (or made in a throw-away
 * directory) and every certificate is shown with its CA, usages, expiry,
 * subject and SANs, one line each, like kubeadm certs check-expiration. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certs.h"
#include "cmd.h"
#include "nls.h"
#include "plan.h"
#include "statedir.h"
#include "statelock.h"
#include "xmalloc.h"

enum { OPT_STATE_DIR = 0x100, OPT_TEMP, OPT_HELP };

static const struct option pki_options[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "temp", no_argument, NULL, OPT_TEMP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* mkdtemp() for cmd_guard(): *arg, a template, becomes the name made; it is
 * freed and NULL when none was made. */
static int make_temp_dir(void *arg)
{
	char **path = arg;

	if (mkdtemp(*path) != NULL)
		return 0;
	xfree(path);
	return -1;
}

/* Time left until t, the way kubeadm prints it: "9y", "364d", "expired". */
static void format_residual(time_t t, time_t now, char *buf, size_t len)
{
	long days = (long)((t - now) / 86400);

	if (t <= now)
		xsnprintf(buf, len, "%s", _("expired"));
	else if (days >= 365)
		xsnprintf(buf, len, "%ldy", days / 365);
	else
		xsnprintf(buf, len, "%ldd", days);
}

/* One cell padded to width, or the last one of a line. */
/* Cells are padded by display width, so that translated (wide) headers and
 * values keep the columns aligned. */
static void print_cell(const char *text, size_t width, bool last)
{
	if (last) {
		printf("%s\n", text);
		return;
	}
	printf("%s%*s", text, (int)(width - cmd_text_width(text) + 2), "");
}

enum { COL_NAME, COL_CA, COL_USAGES, COL_KEY, COL_EXPIRES, COL_RESIDUAL, COL_SUBJECT, COL_SANS,
       N_COLS };

/* Print the table: every column as wide as its widest cell, the SANs last
 * since they are the longest. */
static void print_table(const struct certs *c)
{
	static const char *const headers[N_COLS] = {
		N_("CERTIFICATE"), N_("CA"),	  N_("USAGES"),	 N_("KEY"),
		N_("EXPIRES"),	   N_("RESIDUAL"), N_("SUBJECT"), N_("SANS"),
	};
	char *cells[CERT_COUNT][N_COLS] = { { NULL } };
	size_t width[N_COLS] = { 0 };
	time_t now = time(NULL);

	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		struct certs_info info;
		char when[64], left[32];
		struct tm tm;

		if (certs_info(c, id, &info) < 0) {
			memset(&info, 0, sizeof info);
			info.subject = xstrdup("?");
			info.sans = xstrdup("?");
			info.usages = xstrdup("?");
			info.key = xstrdup("?");
		}
		if (gmtime_r(&info.not_after, &tm) == NULL ||
		    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm) == 0)
			xsnprintf(when, sizeof when, "?");
		format_residual(info.not_after, now, left, sizeof left);
		cells[id][COL_NAME] = xstrdup(certs_name(id));
		cells[id][COL_CA] = xstrdup(certs_is_ca(id) ? "-" : certs_name(certs_issuer(id)));
		cells[id][COL_USAGES] = xstrdup(info.usages);
		cells[id][COL_KEY] = xstrdup(info.key);
		cells[id][COL_EXPIRES] = xstrdup(when);
		cells[id][COL_RESIDUAL] = xstrdup(left);
		cells[id][COL_SUBJECT] = xstrdup(info.subject);
		cells[id][COL_SANS] = xstrdup(*info.sans != '\0' ? info.sans : "-");
		certs_info_clear(&info);
	}
	for (size_t col = 0; col < N_COLS; col++) {
		width[col] = cmd_text_width(_(headers[col]));
		for (size_t id = 0; id < CERT_COUNT; id++) {
			if (cmd_text_width(cells[id][col]) > width[col])
				width[col] = cmd_text_width(cells[id][col]);
		}
	}
	for (size_t col = 0; col < N_COLS; col++)
		print_cell(_(headers[col]), width[col], col + 1 == N_COLS);
	for (size_t id = 0; id < CERT_COUNT; id++) {
		for (size_t col = 0; col < N_COLS; col++) {
			print_cell(cells[id][col], width[col], col + 1 == N_COLS);
			free(cells[id][col]);
		}
	}
}

/* Say on stderr what was created or re-issued, and why. */
static void report_changes(const struct certs *c, const char *dir)
{
	size_t created = 0;

	for (enum cert_id id = 0; id < CERT_COUNT; id++)
		created += certs_action(c, id, NULL) == CERTS_CREATED;
	if (created == CERT_COUNT) {
		fprintf(stderr, _("%s: created the PKI in %s\n"), PACKAGE, dir);
		return;
	}
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		const char *why = NULL;

		switch (certs_action(c, id, &why)) {
		case CERTS_CREATED:
			fprintf(stderr, _("%s: %s: created in %s\n"), PACKAGE, certs_name(id), dir);
			break;
		case CERTS_REISSUED:
			/* L10N: the certificate's name, then why it was replaced. */
			fprintf(stderr, _("%s: %s: re-issued: %s\n"), PACKAGE, certs_name(id),
				why != NULL ? why : "");
			break;
		case CERTS_REUSED:
			break;
		}
	}
}

static int cmd_pki_list(int argc, char **argv)
{
	const struct cmd_entry *e = &cmd_pki_list_entry;
	const char *file = NULL, *state_dir = NULL;
	bool temp = false, warnings = false;
	struct plan *plan = NULL;
	struct certs *certs = NULL;
	struct statelock *lock = NULL;
	char *dir = NULL, *base = NULL, *err = NULL, *tmp_root = NULL;
	int rc = EXIT_FAILED;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:f:", pki_options, NULL)) != -1) {
		switch (ch) {
		case OPT_HELP:
			cmd_usage(stdout, e);
			return EXIT_OK;
		case 'f':
			file = optarg;
			break;
		case OPT_STATE_DIR:
			state_dir = optarg;
			break;
		case OPT_TEMP:
			temp = true;
			break;
		default:
			return cmd_option_error(e, ch == ':', argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_bad_usage(e, _("unexpected argument '%s'"), argv[optind]);
	if (file == NULL)
		return cmd_bad_usage(e, _("which plan? give it with -f FILE"));
	if (temp && state_dir != NULL)
		return cmd_bad_usage(e, _("--temp and --state-dir exclude each other"));

	/* A plan with errors never gets a PKI. */
	plan = cmd_load_plan(file, &warnings);
	if (plan == NULL)
		return EXIT_USAGE;

	if (temp) {
		const char *t = getenv("TMPDIR");

		tmp_root = xasprintf("%s/k8s-wizard-pki.XXXXXX", t != NULL && *t == '/' ? t : "/tmp");
		/* Whatever ends the work (| head, Ctrl-C), this process is left
		 * to remove the CA keys. */
		switch (cmd_guard(make_temp_dir, &tmp_root, &rc)) {
		case 0:
			break;
		case 1:
			goto out;
		default:
			if (tmp_root == NULL)
				fprintf(stderr, _("%s: cannot create a temporary directory: %s\n"),
					PACKAGE, strerror(errno));
			else
				/* L10N: the system's error message. */
				fprintf(stderr, _("%s: cannot start: %s\n"), PACKAGE, strerror(errno));
			goto out;
		}
		dir = xasprintf("%s/pki", tmp_root);
	} else {
		base = state_dir != NULL ? xstrdup(state_dir) : statedir_path(plan->name, &err);
		/* Another run may be making or re-issuing the same files. */
		if (base == NULL || statedir_create(base, &err) < 0 ||
		    statelock_take(base, "pki list", &lock, &err) != 0) {
			fprintf(stderr, "%s: %s\n", PACKAGE, err);
			goto out;
		}
		dir = xasprintf("%s/pki", base);
	}

	if (certs_ensure(plan, dir, &certs, &err) < 0) {
		fprintf(stderr, "%s: %s\n", PACKAGE, err);
		goto out;
	}
	if (temp)
		fprintf(stderr, _("%s: a throw-away PKI, deleted on exit: the state directory "
				  "was not touched\n"),
			PACKAGE);
	else
		report_changes(certs, dir);
	print_table(certs);
	if (fflush(stdout) != 0) {
		fprintf(stderr, _("%s: cannot write to standard output: %s\n"), PACKAGE,
			strerror(errno));
		goto out;
	}
	rc = EXIT_OK;
out:
	if (tmp_root != NULL && cmd_remove_tree(tmp_root) < 0)
		fprintf(stderr, _("%s: cannot remove %s: %s\n"), PACKAGE, tmp_root, strerror(errno));
	certs_free(&certs);
	statelock_release(&lock);
	plan_free(&plan);
	free(tmp_root);
	free(dir);
	free(base);
	free(err);
	return rc;
}

const struct cmd_entry cmd_pki_list_entry = {
	.name = "pki list",
	.usage = "-f FILE [--state-dir DIR | --temp]",
	.summary = N_("list the certificates of a plan's PKI: CA, usages, expiry, subject, SANs"),
	.help = N_("  -f, --file FILE      the plan\n"
		   "      --state-dir DIR  the cluster's state directory; the PKI is DIR/pki\n"
		   "                       (default: $K8SW_STATE_DIR/NAME, else\n"
		   "                       $XDG_STATE_HOME/k8s-wizard/NAME, else\n"
		   "                       ~/.local/state/k8s-wizard/NAME; NAME is the plan's name)\n"
		   "      --temp           make a throw-away PKI in a temporary directory and\n"
		   "                       delete it afterwards: the state directory is not\n"
		   "                       touched\n"
		   "\n"
		   "The plan is validated first; a plan with errors gets no PKI (exit status 2).\n"
		   "Then the PKI is brought in line with the plan, as apply does: what is\n"
		   "missing is created; a certificate whose subject, SANs or usages no longer\n"
		   "match the plan, that lost its key, that expires within 30 days (a third\n"
		   "of pki.leafValidityDays when shorter) or that no longer verifies against\n"
		   "its CA is re-issued. Each change is reported on standard error.\n"
		   "A CA, the service-account key (sa.key) and the bootstrap token are never\n"
		   "replaced: when one cannot serve the plan the command fails (exit status 1)\n"
		   "and says what to do.\n"
		   "\n"
		   "The table goes to standard output, one certificate per line. Keys are never\n"
		   "printed.\n"),
	.exec = cmd_pki_list,
};
