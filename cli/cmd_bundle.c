/* The bundle commands: fetch downloads and verifies the bundle's files for a
 * plan's versions, with a progress line per file; check prints a table of
 * what is present, missing or wrong and says by its exit status whether
 * apply can run. */
#include "config.h"

#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "bundlecheck.h"
#include "bundlefetch.h"
#include "cmd.h"
#include "nls.h"
#include "plan.h"
#include "termsafe.h"
#include "xmalloc.h"

enum { OPT_NO_OFFICIAL = 0x100, OPT_LIST, OPT_HELP };

static const struct option bundle_options[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "dir", required_argument, NULL, 'd' },
	{ "mirror", required_argument, NULL, 'm' },
	{ "no-official", no_argument, NULL, OPT_NO_OFFICIAL },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct bundle_args {
	const char *file;
	const char *dir;
	const char **mirrors;
	size_t n_mirrors;
	bool no_official;
	bool list;
};

/* Parse the options; fetch says whether --mirror and --no-official are
 * allowed. Returns -1 to go on, otherwise the exit status. */
static int parse_args(const struct cmd_entry *e, int argc, char **argv, bool fetch,
		      struct bundle_args *a)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:f:d:m:", bundle_options, NULL)) != -1) {
		if (!fetch && (c == 'm' || c == OPT_NO_OFFICIAL || c == OPT_LIST)) {
			const char *name = c == 'm' ? "--mirror" : "--no-official";

			/* L10N: an option such as --mirror. */
			return cmd_bad_usage(e, _("option %s is not used by this command"),
					     c == OPT_LIST ? "--list" : name);
		}
		switch (c) {
		case OPT_HELP:
			cmd_usage(stdout, e);
			return EXIT_OK;
		case 'f':
			a->file = optarg;
			break;
		case 'd':
			a->dir = optarg;
			break;
		case 'm':
			if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
				return cmd_bad_usage(e, _("--mirror takes an http:// or https:// "
							  "URL"));
			a->mirrors = xreallocarray(a->mirrors, a->n_mirrors + 1, sizeof *a->mirrors);
			a->mirrors[a->n_mirrors++] = optarg;
			break;
		case OPT_NO_OFFICIAL:
			a->no_official = true;
			break;
		case OPT_LIST:
			a->list = true;
			break;
		default:
			return cmd_option_error(e, c == ':', argv[optind - 1]);
		}
	}
	if (optind < argc)
		/* L10N: a word of the command line. */
		return cmd_bad_usage(e, _("unexpected argument '%s'"), argv[optind]);
	if (a->file == NULL)
		return cmd_bad_usage(e, _("which plan? give it with -f FILE"));
	if (fetch && a->no_official && a->n_mirrors == 0)
		return cmd_bad_usage(e, _("--no-official needs at least one --mirror"));
	return -1;
}

/* The plan and its bundle directory (--dir, or the plan's bundleDir taken
 * from the plan file's directory). Returns -1 to go on, else the status. */
static int load(const struct bundle_args *a, struct plan **plan, char **dir)
{
	bool warnings = false;
	char *copy = NULL, *err = NULL;

	*plan = cmd_load_plan(a->file, &warnings);
	if (*plan == NULL)
		return EXIT_USAGE;
	if (a->dir != NULL) {
		*dir = xstrdup(a->dir);
		return -1;
	}
	copy = xstrdup(a->file);
	*dir = bundle_dir(*plan, dirname(copy), &err);
	free(copy);
	if (*dir == NULL) {
		cmd_error(NULL, err);
		free(err);
		plan_free(plan);
		return EXIT_USAGE;
	}
	return -1;
}

/* --- fetch ----------------------------------------------------------------- */

struct printer {
	bool tty;
	bool bar;         /* a progress line is on the screen, without its newline */
	int64_t last_ms;  /* when it was drawn */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void end_bar(struct printer *pr)
{
	if (pr->bar)
		fputc('\n', stdout);
	pr->bar = false;
}

static void draw_bar(struct printer *pr, const char *file, uint64_t done, uint64_t total)
{
	const int width = 30;
	double mib = (double)done / (1024 * 1024);

	if (total > 0) {
		int fill = (int)((double)width * (double)done / (double)total);

		printf("\r  %-36s [%-*.*s] %3d%% %8.1f MiB", file, width, fill,
		       "##############################", (int)(100 * done / total), mib);
	} else {
		printf("\r  %-36s %8.1f MiB", file, mib);
	}
	fflush(stdout);
	pr->bar = true;
}

static void on_event(const struct bundlefetch_event *ev, void *arg)
{
	struct printer *pr = arg;
	char *url = ev->url != NULL ? termsafe_dup(ev->url, TERMSAFE_ALL) : NULL;
	char *detail = ev->detail != NULL ? termsafe_dup(ev->detail, TERMSAFE_ALL) : NULL;

	switch (ev->type) {
	case BUNDLEFETCH_START:
		end_bar(pr);
		if (ev->done > 0)
			/* L10N: a file of the bundle, a URL, a number of bytes. */
			printf(_("%s: from %s, resuming after %llu bytes\n"), ev->file, url,
			       (unsigned long long)ev->done);
		else
			/* L10N: a file of the bundle and a URL. */
			printf(_("%s: from %s\n"), ev->file, url);
		break;
	case BUNDLEFETCH_PROGRESS:
		/* A bar redrawn at most 5 times a second, on a terminal only. */
		if (pr->tty && (now_ms() - pr->last_ms >= 200 ||
				(ev->total > 0 && ev->done == ev->total))) {
			draw_bar(pr, ev->file, ev->done, ev->total);
			pr->last_ms = now_ms();
		}
		break;
	case BUNDLEFETCH_RETRY:
		end_bar(pr);
		if (url != NULL)
			/* L10N: a URL and why its transfer stopped. */
			printf(_("  %s: %s; trying again\n"), url, detail);
		else
			/* L10N: a file of the bundle and why a source of it failed. */
			printf(_("%s: failed: %s\n"), ev->file, detail);
		break;
	case BUNDLEFETCH_DONE:
		end_bar(pr);
		if (ev->verified)
			/* L10N: a file of the bundle and its sha256. */
			printf(_("%s: done, sha256 %s (verified against the upstream's sha256)\n"),
			       ev->file, detail);
		else
			/* L10N: a file of the bundle and its sha256. */
			printf(_("%s: done, sha256 %s: NOT verified, upstream publishes no "
				 "checksum for it; recorded in bundle.lock\n"),
			       ev->file, detail);
		break;
	case BUNDLEFETCH_PRESENT:
		end_bar(pr);
		/* L10N: a file of the bundle. */
		printf(_("%s: already in the bundle\n"), ev->file);
		break;
	case BUNDLEFETCH_MANUAL:
		end_bar(pr);
		/* L10N: a file of the bundle. */
		printf(_("%s: missing, and not fetched: upstream publishes no manifest for it (only "
			 "a Helm chart); write it as doc/bundle.md says\n"),
		       ev->file);
		break;
	}
	fflush(stdout);
	free(url);
	free(detail);
}

static int cmd_bundle_fetch(int argc, char **argv)
{
	struct bundle_args a = { 0 };
	struct printer pr = { .tty = isatty(STDOUT_FILENO) };
	struct bundlefetch_options o = { .event = on_event, .arg = &pr };
	struct plan *plan = NULL;
	char *dir = NULL, *err = NULL, *safe = NULL;
	int rc = parse_args(&cmd_bundle_fetch_entry, argc, argv, true, &a);

	if (rc >= 0)
		goto out;
	rc = load(&a, &plan, &dir);
	if (rc >= 0)
		goto out;
	o.mirrors = a.mirrors;
	o.n_mirrors = a.n_mirrors;
	o.no_official = a.no_official;
	if (a.list) {
		char *list = bundlefetch_list(plan, &o);

		safe = termsafe_dup(list, TERMSAFE_KEEP_LINES);
		fputs(safe, stdout);
		free(list);
		rc = EXIT_OK;
		goto out;
	}
	safe = termsafe_dup(dir, TERMSAFE_ALL);
	/* L10N: the bundle directory. */
	printf(_("Fetching the bundle into %s\n"), safe);
	if (bundlefetch_run(plan, dir, &o, &err) < 0) {
		end_bar(&pr);
		cmd_error(cmd_bundle_fetch_entry.name, err);
		rc = EXIT_FAILED;
		goto out;
	}
	end_bar(&pr);
	/* L10N: the bundle directory. */
	printf(_("Done: check the bundle with k8s-wizard bundle check -f PLAN (%s)\n"), safe);
	rc = EXIT_OK;
out:
	free(err);
	free(safe);
	free(dir);
	free(a.mirrors);
	plan_free(&plan);
	return rc;
}

/* --- check ----------------------------------------------------------------- */

static const char *state_name(enum bundlecheck_state s)
{
	switch (s) {
	case BUNDLECHECK_OK:
		return _("present");
	case BUNDLECHECK_MISSING:
		return _("MISSING");
	case BUNDLECHECK_WRONG:
		return _("WRONG");
	default:
		return _("not used");
	}
}

static const char *sum_name(const struct bundlecheck_item *it)
{
	switch (it->sum) {
	case BUNDLECHECK_SUM_MATCHES:
		return it->verified ? _("matches lock (upstream-verified)")
				    : _("matches lock (NOT upstream-verified)");
	case BUNDLECHECK_SUM_DIFFERS:
		return _("differs from lock");
	case BUNDLECHECK_SUM_UNRECORDED:
		return _("not recorded");
	default:
		return "-";
	}
}

/* Print s padded to width columns (its display width, for translations). */
static void cell(const char *s, size_t width)
{
	size_t w = cmd_text_width(s);

	fputs(s, stdout);
	for (; w < width; w++)
		fputc(' ', stdout);
	fputc(' ', stdout);
}

static int cmd_bundle_check(int argc, char **argv)
{
	struct bundle_args a = { 0 };
	struct bundlecheck c = { 0 };
	struct plan *plan = NULL;
	char *dir = NULL, *summary = NULL, *safe = NULL;
	int rc = parse_args(&cmd_bundle_check_entry, argc, argv, false, &a);

	if (rc >= 0)
		goto out;
	rc = load(&a, &plan, &dir);
	if (rc >= 0)
		goto out;
	bundlecheck_run(plan, dir, 0, &c);
	safe = termsafe_dup(dir, TERMSAFE_ALL);
	/* L10N: the bundle directory. */
	printf(_("Bundle %s\n"), safe);
	cell(_("FILE"), 36);
	cell(_("STATE"), 9);
	cell(_("VERSION"), 9);
	cell(_("PLAN"), 9);
	cell(_("ARCH"), 8);
	printf("%s\n", _("SHA256"));
	for (int i = 0; i < BUNDLE_COUNT; i++) {
		const struct bundlecheck_item *it = &c.items[i];

		cell(bundle_entry(it->id)->file, 36);
		cell(state_name(it->state), 9);
		cell(it->version != NULL ? it->version : "-", 9);
		cell(it->want != NULL ? it->want : "-", 9);
		cell(it->arch != NULL ? it->arch : "-", 8);
		printf("%s\n", sum_name(it));
		if (it->problem != NULL) {
			char *p = termsafe_dup(it->problem, TERMSAFE_ALL);

			printf("    %s\n", p);
			free(p);
		}
	}
	summary = bundlecheck_summary(&c);
	printf("%s\n", summary);
	if (bundlecheck_ok(&c)) {
		printf("%s\n", _("apply can run with this bundle"));
		rc = EXIT_OK;
	} else {
		printf("%s\n", _("apply cannot run: fetch the missing files with k8s-wizard bundle "
				 "fetch, or see doc/bundle.md"));
		rc = EXIT_FAILED;
	}
out:
	bundlecheck_clear(&c);
	free(summary);
	free(safe);
	free(dir);
	free(a.mirrors);
	plan_free(&plan);
	return rc;
}

const struct cmd_entry cmd_bundle_fetch_entry = {
	.name = "bundle fetch",
	.usage = "-f FILE [--mirror URL]... [--no-official] [--dir DIR] [--list]",
	.summary = N_("download and verify the bundle's binaries and manifests"),
	.help = N_("  -f, --file FILE   the plan: its versions name the files to fetch\n"
		   "  -m, --mirror URL  a mirror of the release locations, tried before the\n"
		   "                    official one; repeat it to try several, in order\n"
		   "      --no-official never try the official release locations\n"
		   "                    (needs --mirror)\n"
		   "  -d, --dir DIR     the bundle directory (default: the plan's\n"
		   "                    binaries.bundleDir)\n"
		   "      --list        print each URL that would be tried (FILE URL, the\n"
		   "                    files and their checksums), fetch nothing\n"
		   "\n"
		   "Official locations: https://dl.k8s.io (kubelet, kubectl),\n"
		   "https://github.com (containerd, runc, crictl release assets,\n"
		   "metrics-server's components.yaml), https://raw.githubusercontent.com\n"
		   "(calico.yaml). A mirror URL replaces that scheme and host and keeps the\n"
		   "path: with --mirror https://m.example.cn/k8s, kubelet comes from\n"
		   "https://m.example.cn/k8s/release/VERSION/bin/linux/amd64/kubelet.\n"
		   "Each file is checked against the sha256 its upstream publishes beside it,\n"
		   "fetched from the same mirror; a file that does not match is removed and\n"
		   "the next mirror is tried. Calico and metrics-server publish no checksum:\n"
		   "their manifests are fetched unverified and their sha256 recorded in\n"
		   "DIR/bundle.lock. kubelet-csr-approver publishes no manifest (only a Helm\n"
		   "chart): write it as doc/bundle.md says. Files already in DIR as\n"
		   "bundle.lock records them are not fetched again; an interrupted download\n"
		   "is resumed from DIR/.download/NAME.part.\n"
		   "Exit status: 0 every file fetched, 1 a file could not be fetched,\n"
		   "2 bad usage or plan.\n"),
	.exec = cmd_bundle_fetch,
};

const struct cmd_entry cmd_bundle_check_entry = {
	.name = "bundle check",
	.usage = "-f FILE [--dir DIR]",
	.summary = N_("show what the bundle holds, lacks or has wrong for a plan"),
	.help = N_("  -f, --file FILE  the plan\n"
		   "  -d, --dir DIR    the bundle directory (default: the plan's\n"
		   "                   binaries.bundleDir)\n"
		   "\n"
		   "A table of every file of the bundle: present, MISSING, WRONG or not used\n"
		   "by the plan; the version bundle fetch recorded (for a manifest put there\n"
		   "by hand: the tag of its image) and the plan's; the\n"
		   "architecture read from each binary's ELF header (the hosts need x86-64);\n"
		   "the sha256 against DIR/bundle.lock (\"not recorded\" for files put there\n"
		   "by hand).\n"
		   "Exit status: 0 apply can run with this bundle, 1 it cannot (a file is\n"
		   "missing or wrong), 2 bad usage or plan.\n"),
	.exec = cmd_bundle_check,
};
