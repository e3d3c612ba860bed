/* What several commands share: loading a plan file and validating it, with
 * every problem printed the way compilers print them; finding a cluster's
 * state and its last run. */
#include "config.h"

#include "cmd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "grammar.h"
#include "journal.h"
#include "nls.h"
#include "plan.h"
#include "plancheck.h"
#include "planfile.h"
#include "problem.h"
#include "statedir.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Print problems in the compiler style editors understand. */
static void print_problems(const char *file, struct problems *list)
{
	problems_sort(list);
	for (size_t i = 0; i < list->n; i++) {
		const struct problem *p = &list->v[i];
		const char *sev = p->severity == PROBLEM_WARNING ? _("warning: ") : "";

		if (p->line > 0)
			fprintf(stderr, "%s:%u:%u: %s: %s%s\n", file, p->line, p->column, p->path,
				sev, p->message);
		else
			fprintf(stderr, "%s: %s: %s%s\n", file, p->path, sev, p->message);
	}
}

struct plan *cmd_load_plan(const char *file, bool *had_warnings)
{
	struct problems loader = { 0 }, all = { 0 };
	struct plan *partial = NULL;
	struct plan *plan = planfile_load(file, &loader, &partial);
	struct plan *checked = plan != NULL ? plan : partial;

	*had_warnings = false;
	for (size_t i = 0; i < loader.n; i++)
		problems_add_at(&all, loader.v[i].severity, loader.v[i].path, loader.v[i].line,
				loader.v[i].column, "%s", loader.v[i].message);
	if (checked != NULL) {
		struct problems v = { 0 };

		plancheck_run(checked, &v);
		for (size_t i = 0; i < v.n; i++) {
			if (problems_find_related(&loader, v.v[i].path) != NULL)
				continue;
			problems_add_at(&all, v.v[i].severity, v.v[i].path, v.v[i].line,
					v.v[i].column, "%s", v.v[i].message);
		}
		problems_clear(&v);
	}
	print_problems(file, &all);
	*had_warnings = problems_count(&all, PROBLEM_WARNING) > 0;
	if (problems_count(&all, PROBLEM_ERROR) > 0)
		plan_free(&plan);
	plan_free(&partial);
	problems_clear(&loader);
	problems_clear(&all);
	return plan;
}

bool cmd_parse_uint(const char *s, unsigned base, unsigned long max, unsigned *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, (int)base);
	if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-')
		return false;
	*out = (unsigned)v;
	return true;
}

size_t cmd_text_width(const char *s)
{
	size_t n = mbstowcs(NULL, s, 0);
	wchar_t *w = NULL;
	int width = -1;

	if (n == (size_t)-1)
		return strlen(s);
	w = xcalloc(n + 1, sizeof *w);
	mbstowcs(w, s, n + 1);
	width = wcswidth(w, n);
	free(w);
	return width < 0 ? strlen(s) : (size_t)width;
}

int cmd_option_error(const struct cmd_entry *e, bool missing_value, const char *opt)
{
	if (missing_value)
		return cmd_bad_usage(e, _("option %s needs a value"), opt);
	return cmd_bad_usage(e, _("unknown option %s"), opt);
}

char *cmd_find_cluster(const char *name, bool *none, char **err)
{
	char *root = NULL, *found = NULL;
	struct strbuf names = { 0 };
	struct dirent *d = NULL;
	DIR *dir = NULL;
	size_t n = 0;

	*none = false;
	if (name != NULL) {
		if (!grammar_check(GR_LABEL, name, NULL)) {
			/* L10N: a cluster name given on the command line. */
			*err = xasprintf(_("'%s' is not a cluster name (lowercase letters, digits "
					   "and '-')"), name);
			return NULL;
		}
		return xstrdup(name);
	}
	root = statedir_path("", err);
	if (root == NULL)
		return NULL;
	dir = opendir(root);
	while (dir != NULL && (d = readdir(dir)) != NULL) {
		char *journal = NULL;
		struct stat st;

		if (d->d_name[0] == '.' || !grammar_check(GR_LABEL, d->d_name, NULL))
			continue;
		journal = xasprintf("%s/%s/journal", root, d->d_name);
		if (stat(journal, &st) == 0 && S_ISREG(st.st_mode)) {
			strbuf_addf(&names, "%s%s", n > 0 ? ", " : "", d->d_name);
			free(found);
			found = xstrdup(d->d_name);
			n++;
		}
		free(journal);
	}
	if (dir != NULL)
		closedir(dir);
	*none = n == 0;
	if (n == 0)
		*err = xstrdup(_("no cluster has a run yet: start one with k8s-wizard apply -f PLAN"));
	else if (n > 1)
		/* L10N: the names of the clusters. */
		*err = xasprintf(_("several clusters have runs (%s): say which with --cluster NAME"),
				 names.s);
	if (n != 1)
		xfree(&found);
	strbuf_clear(&names);
	free(root);
	return found;
}

struct journal *cmd_open_journal(const char *cluster, char **err)
{
	char *state = statedir_path(cluster, err);
	char *path = NULL;
	struct journal *j = NULL;
	struct stat st;

	if (state == NULL)
		return NULL;
	path = xasprintf("%s/journal", state);
	if (stat(path, &st) < 0)
		/* L10N: cluster name. */
		*err = xasprintf(_("cluster %s has no run yet: start one with k8s-wizard apply -f "
				   "PLAN"), cluster);
	else
		journal_open(path, &j, err);
	free(path);
	free(state);
	return j;
}

char *cmd_last_run_plan(const char *cluster, char **err)
{
	struct journal *j = cmd_open_journal(cluster, err);
	const struct journal_run *last = NULL;
	char *path = NULL;

	if (j == NULL)
		return NULL;
	last = journal_last_run(j);
	if (last == NULL || last->log_dir[0] == '\0')
		/* L10N: cluster name. */
		*err = xasprintf(_("cluster %s has no run yet: start one with k8s-wizard apply -f "
				   "PLAN"), cluster);
	else
		path = xasprintf("%s/plan.yaml", last->log_dir);
	journal_close(&j);
	return path;
}

/* Remove name under the directory at, and what it holds when it is a
 * directory; symbolic links are removed, never followed. Returns 0, or -1
 * with errno set (the first error; the rest is still removed). */
static int remove_at(int at, const char *name)
{
	struct dirent *d = NULL;
	DIR *dir = NULL;
	int fd = -1, rc = -1, first = 0;

	if (unlinkat(at, name, 0) == 0 || errno == ENOENT) {
		rc = 0;
		goto out;
	}
	/* unlink() of a directory: EISDIR on Linux, EPERM as POSIX allows. */
	if (errno != EISDIR && errno != EPERM)
		goto out;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto out;
	dir = fdopendir(fd);
	if (dir == NULL)
		goto out;
	fd = -1;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (remove_at(dirfd(dir), d->d_name) < 0 && first == 0)
			first = errno;
	}
	if (first == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		first = errno;
	rc = first == 0 ? 0 : -1;
out:
	if (dir != NULL)
		closedir(dir);
	if (fd >= 0)
		close(fd);
	if (first != 0)
		errno = first;
	return rc;
}

int cmd_remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path);
}

/* The child cmd_guard() waits for, for the signal handler. */
static volatile sig_atomic_t guarded_child = -1;

/* Pass a signal meant to end the command on to the child that runs it. */
static void forward_signal(int sig)
{
	if (guarded_child > 0)
		kill((pid_t)guarded_child, sig);
}

int cmd_guard(int (*make)(void *arg), void *arg, int *status)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old[sizeof forwarded / sizeof forwarded[0]], old_pipe;
	sigset_t block, saved;
	pid_t pid;
	int st = 0, rc = -1;

	/* From before the thing to clean up exists until this process
	 * forwards them, the signals wait. */
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &saved);
	if (make(arg) < 0)
		goto out;
	/* Buffered output would be written twice, once by each process. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid <= 0) {
		rc = pid == 0 ? 0 : -1;
		goto out;
	}
	guarded_child = (sig_atomic_t)pid;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, &old[i]);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		continue;
	sigprocmask(SIG_BLOCK, &block, NULL);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &old[i], NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	guarded_child = -1;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st)
								   : EXIT_FAILED;
	rc = 1;
out:
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}
