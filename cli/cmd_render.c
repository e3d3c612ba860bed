/* k8s-wizard render: a dry run that writes, for every host of a plan, the
 * files it would receive (DIR/HOST/ABSOLUTE/PATH), their modes, owners and
 * checksums (DIR/HOST/MANIFEST) and the commands it would run
 * (DIR/HOST/steps); cluster-level manifests go to DIR/_cluster/. No host is
 * contacted; the PKI is created or reused in the cluster's state directory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "hexsum.h"
#include "nls.h"
#include "plan.h"
#include "render.h"
#include "stage.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Open the directory rel (slash-separated, relative) under at, creating
 * each missing component with mode; no component may be a symbolic link or
 * "..". Returns a directory descriptor, or -1 with errno set. */
static int open_dirs(int at, const char *rel, mode_t mode)
{
	char *copy = xstrdup(rel);
	char *save = NULL;
	int fd = dup(at);

	for (char *c = strtok_r(copy, "/", &save); c != NULL && fd >= 0;
	     c = strtok_r(NULL, "/", &save)) {
		int next = -1;

		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			close(fd);
			fd = -1;
			errno = EINVAL;
			break;
		}
		if (mkdirat(fd, c, mode) < 0 && errno != EEXIST) {
			close(fd);
			fd = -1;
			break;
		}
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

/* Write len bytes to rel under the directory at (its directories created
 * 0755, nothing followed), a new file with mode (keys 0600). */
static int write_file(int at, const char *rel, const char *data, size_t len, mode_t mode)
{
	char *dir = xstrdup(rel);
	char *slash = strrchr(dir, '/');
	const char *name = slash != NULL ? slash + 1 : dir;
	size_t done = 0;
	int dfd = -1, fd = -1, rc = -1;

	if (slash != NULL)
		*slash = '\0';
	dfd = slash != NULL ? open_dirs(at, dir, 0755) : dup(at);
	if (dfd < 0)
		goto out;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		goto out;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		done += (size_t)n;
	}
	/* The umask may have narrowed it; the mode recorded is the one wanted. */
	if (fchmod(fd, mode) < 0)
		goto out;
	rc = close(fd);
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}

/* --out as given: absent, or an empty directory that is not a symbolic link.
 * Returns NULL, or why not (a translated sentence). Checked again, without a
 * window, by the final rename. */
static const char *out_dir_problem(const char *dir)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *e = NULL;
	const char *why = NULL;

	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? NULL : _("it cannot be examined");
	if (S_ISLNK(st.st_mode))
		return _("it is a symbolic link");
	if (!S_ISDIR(st.st_mode))
		return _("it is not a directory");
	d = opendir(dir);
	if (d == NULL)
		return _("it cannot be read");
	while ((e = readdir(d)) != NULL && why == NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			why = _("it is not empty");
	}
	closedir(d);
	return why;
}

struct counts {
	size_t files;
	char **missing; /* bundle files not found, each named once */
	size_t n_missing;
};

/* Warn once about a bundle file that is not there. */
static void missing(struct counts *n, const char *path, int error)
{
	for (size_t i = 0; i < n->n_missing; i++) {
		if (strcmp(n->missing[i], path) == 0)
			return;
	}
	/* L10N: a path and the system's error message. */
	fprintf(stderr, _("k8s-wizard: warning: %s: %s (apply needs it)\n"), path, strerror(error));
	n->missing = xreallocarray(n->missing, n->n_missing + 1, sizeof *n->missing);
	n->missing[n->n_missing++] = xstrdup(path);
}

/* Write one host's files, MANIFEST and steps under host/ of the directory at
 * (shown to the operator as dir). */
static int write_host(const struct render *r, const struct render_host *h, int at,
		      const char *dir, struct counts *n)
{
	struct strbuf manifest = { 0 };
	char *path = NULL, *steps = NULL;
	int rc = -1;

	strbuf_adds(&manifest, "# path\tmode\towner\tsha256\tsource\n");
	for (size_t i = 0; i < h->n_files; i++) {
		const struct render_file *f = &h->files[i];
		char sum[65] = "-";
		const char *source = "rendered";

		if (f->source_type == RENDER_TEXT) {
			hexsum_data(f->content, f->len, sum);
			path = xasprintf("%s%s%s", h->name, f->path[0] == '/' ? "" : "/", f->path);
			if (write_file(at, path, f->content, f->len, f->mode) < 0) {
				/* L10N: a directory, a path in it and the system's error message. */
				fprintf(stderr, _("k8s-wizard: cannot write %s/%s: %s\n"), dir, path,
					strerror(errno));
				goto out;
			}
			xfree(&path);
			n->files++;
		} else if (f->source_type == RENDER_BUNDLE) {
			source = f->source;
			char *err = NULL;
			int got = hexsum_file(f->source, sum, &err);

			if (got != 0)
				missing(n, f->source, got == 1 ? ENOENT : errno);
			free(err);
		} else {
			source = f->source;
		}
		strbuf_addf(&manifest, "%s\t%04o\t%s\t%s\t%s%s\n", f->path, f->mode, f->owner, sum,
			    f->source_type == RENDER_TEXT ? "" : f->source_type == RENDER_BUNDLE
									  ? "bundle:" : "mirror:",
			    source);
	}
	path = xasprintf("%s/MANIFEST", h->name);
	if (write_file(at, path, manifest.s, manifest.len, 0644) < 0) {
		/* L10N: a directory, a path in it and the system's error message. */
		fprintf(stderr, _("k8s-wizard: cannot write %s/%s: %s\n"), dir, path,
			strerror(errno));
		goto out;
	}
	xfree(&path);
	steps = render_steps_text(r, h);
	path = xasprintf("%s/steps", h->name);
	if (write_file(at, path, steps, strlen(steps), 0644) < 0) {
		/* L10N: a directory, a path in it and the system's error message. */
		fprintf(stderr, _("k8s-wizard: cannot write %s/%s: %s\n"), dir, path,
			strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(path);
	free(steps);
	strbuf_clear(&manifest);
	return rc;
}

/* A new private directory beside out (0700: it will hold private keys). */
struct temp_beside {
	const char *out;
	char *path; /* the directory made, or NULL */
};

/* Make t's directory, for cmd_guard(): 0, or -1 with errno set. */
static int make_temp_beside(void *arg)
{
	struct temp_beside *t = arg;
	char *copy = xstrdup(t->out);
	char *base = xstrdup(basename(copy));
	char *dir = NULL;
	int rc = 0;

	free(copy);
	copy = xstrdup(t->out);
	dir = xasprintf("%s/.%s.k8sw-render.XXXXXX", dirname(copy), base);
	if (mkdtemp(dir) == NULL) {
		rc = -1;
		xfree(&dir);
	}
	t->path = dir;
	free(copy);
	free(base);
	return rc;
}

/* Write the render into a new private directory beside out, then rename it
 * to out: no symbolic link is followed, another user never finds a file of
 * it at out before it is whole, and a failure leaves nothing, a signal
 * included (cmd_guard()). Returns 0 when written; -1 after saying why on
 * stderr; 1 in the process that waited for the one that wrote, with *status
 * the writer's exit status. */
static int write_render(const struct render *r, const char *out, struct counts *n,
			int *status)
{
	struct temp_beside tmp = { .out = out };
	int fd = -1, rc = -1;

	switch (cmd_guard(make_temp_beside, &tmp, status)) {
	case 0:
		break;
	case 1:
		/* Whatever ended the writer, its directory goes (after a
		 * rename into place there is none). */
		if (*status != 0 && cmd_remove_tree(tmp.path) < 0)
			/* L10N: a path and the system's error message. */
			fprintf(stderr, _("k8s-wizard: cannot remove %s: %s\n"), tmp.path,
				strerror(errno));
		free(tmp.path);
		return 1;
	default:
		/* L10N: a path and the system's error message. */
		fprintf(stderr, _("k8s-wizard: cannot create a directory beside %s: %s\n"), out,
			strerror(errno));
		/* Made, but no process to write it. */
		if (tmp.path != NULL)
			cmd_remove_tree(tmp.path);
		free(tmp.path);
		return -1;
	}
	fd = open(tmp.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* L10N: a path and the system's error message. */
		fprintf(stderr, _("k8s-wizard: cannot open %s: %s\n"), tmp.path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < r->n_hosts; i++) {
		if (write_host(r, &r->hosts[i], fd, tmp.path, n) < 0)
			goto out;
	}
	/* rename() replaces an empty directory, and refuses a symbolic link,
	 * a file or a directory that is not empty: what --out may be. */
	if (rename(tmp.path, out) < 0) {
		/* L10N: the output directory and the system's error message. */
		fprintf(stderr, _("k8s-wizard: cannot put the render in place at %s: %s (it must "
				  "be absent or an empty directory, not a symbolic link)\n"),
			out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	/* A failure ends this process with a status other than 0: the one that
	 * waits for it removes tmp.path then, as after a signal. */
	if (fd >= 0)
		close(fd);
	free(tmp.path);
	return rc;
}

enum { OPT_FORCE = 0x100, OPT_HELP };

static const struct option render_options[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "out", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int cmd_render(int argc, char **argv)
{
	const char *file = NULL, *out = NULL;
	struct plan *plan = NULL;
	struct stage st = { 0 };
	struct render *r = NULL;
	struct counts n = { 0 };
	char *err = NULL;
	const char *why = NULL;
	bool warnings = false;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:f:o:", render_options, NULL)) != -1) {
		switch (c) {
		case OPT_HELP:
			cmd_usage(stdout, &cmd_render_entry);
			return EXIT_OK;
		case 'f':
			file = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return cmd_option_error(&cmd_render_entry, c == ':', argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_bad_usage(&cmd_render_entry, _("unexpected argument '%s'"),
				     argv[optind]);
	if (file == NULL)
		return cmd_bad_usage(&cmd_render_entry, _("which plan? give it with -f FILE"));
	if (out == NULL)
		return cmd_bad_usage(&cmd_render_entry,
				     _("where to? give a directory with --out DIR"));
	why = out_dir_problem(out);
	if (why != NULL) {
		/* L10N: the output directory, then why it cannot be used ("it is not empty"). */
		fprintf(stderr, _("k8s-wizard: %s cannot take the render: %s; give a new or empty "
				  "directory\n"), out, why);
		return EXIT_USAGE;
	}
	plan = cmd_load_plan(file, &warnings);
	if (plan == NULL)
		return EXIT_USAGE;

	rc = EXIT_FAILED;
	switch (stage_prepare(plan, file, "render", &st, &err)) {
	case 0:
		break;
	case -2:
		rc = EXIT_USAGE;
		goto fail;
	default:
		goto fail;
	}
	r = st.render;
	switch (write_render(r, out, &n, &rc)) {
	case 0:
		break;
	case 1:
		/* The writer said what it did, or why it failed. */
		goto out;
	default:
		rc = EXIT_FAILED;
		goto out;
	}
	/* L10N: %zu files, %zu hosts (the cluster is not counted), %s the directory. */
	printf(_("rendered %zu files for %zu hosts into %s; PKI in %s\n"), n.files, r->n_hosts - 1,
	       out, st.pki_dir);
	if (n.n_missing > 0)
		/* L10N: %zu is a number of files. */
		printf(_("%zu files of the bundle are missing (see the warnings above)\n"),
		       n.n_missing);
	rc = EXIT_OK;
	goto out;
fail:
	cmd_error(NULL, err);
out:
	for (size_t i = 0; i < n.n_missing; i++)
		free(n.missing[i]);
	free(n.missing);
	free(err);
	stage_clear(&st);
	plan_free(&plan);
	return rc;
}

const struct cmd_entry cmd_render_entry = {
	.name = "render",
	.usage = "-f FILE --out DIR",
	.summary = N_("write every file and command of every host, contacting none"),
	.help = N_("  -f, --file FILE  the plan\n"
		   "  -o, --out DIR    a new or empty directory to write into\n"
		   "\n"
		   "For each host: DIR/HOST/PATH for every file it receives (PATH absolute on\n"
		   "the host), DIR/HOST/MANIFEST (path, mode, owner, sha256, source) and\n"
		   "DIR/HOST/steps (its commands, phase by phase). Cluster manifests and the\n"
		   "commands that apply them are in DIR/_cluster/. Binaries are listed in\n"
		   "MANIFEST with their bundle or mirror source, not copied. The PKI is\n"
		   "created, or reused, in the cluster's state directory ($K8SW_STATE_DIR\n"
		   "or $XDG_STATE_HOME/k8s-wizard/NAME); DIR holds private keys and is\n"
		   "made readable by its owner only: the render is written into a new private\n"
		   "directory beside DIR and renamed to DIR at the end, so a render that\n"
		   "fails leaves nothing, and DIR must not be a symbolic link.\n"
		   "Exit status: 0 done, 1 failed while writing, 2 bad plan or bundle.\n"),
	.exec = cmd_render,
};
