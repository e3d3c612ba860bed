/* A cluster's install as its journal tells it, in the few facts the wizard's
 * Welcome page shows before it offers to resume. */
#include "config.h"

#include "runstate.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "statedir.h"
#include "xmalloc.h"

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* The run's last failed step (by its end), else its first failed check. */
static void find_failure(const struct journal *j, const char *run, struct runstate *rs)
{
	const struct journal_step *fs = journal_failed_step(j, run);
	const struct journal_check *c = fs != NULL ? NULL : journal_failed_check(j, run);

	if (fs != NULL) {
		rs->has_failure = true;
		rs->failed_phase = fs->phase;
		rs->failed_host = xstrdup(fs->host);
		rs->failed_what = xstrdup(fs->what);
		rs->failed_exit = fs->exit_code;
		return;
	}
	if (c != NULL) {
		rs->has_failure = true;
		rs->failure_is_check = true;
		rs->failed_phase = c->phase;
		rs->failed_host = xstrdup(c->host);
		rs->failed_what = xstrdup(c->name);
		rs->failed_exit = -1;
		rs->failed_detail = dup_or_null(c->detail);
	}
}

int runstate_read(const char *cluster, struct runstate *rs, char **err)
{
	char *dir = NULL, *path = NULL;
	struct journal *j = NULL;
	const struct journal_run *run = NULL;
	struct stat st;
	int rc = -1;

	memset(rs, 0, sizeof *rs);
	dir = statedir_path(cluster, err);
	if (dir == NULL)
		goto out;
	path = xasprintf("%s/journal", dir);
	/* journal_open() would create it. */
	if (stat(path, &st) < 0) {
		rc = 0;
		goto out;
	}
	if (journal_open(path, &j, err) < 0)
		goto out;
	rc = 0;
	run = journal_last_run(j);
	if (run == NULL)
		goto out;
	rs->has_run = true;
	rs->run_id = xstrdup(run->id);
	rs->command = xstrdup(run->command);
	rs->log_dir = xstrdup(run->log_dir);
	rs->state = run->state;
	rs->start_ms = run->start_ms;
	rs->end_ms = run->end_ms;
	for (int p = 0; p < PHASE_COUNT; p++) {
		const struct journal_phase *jp = journal_find_phase(j, (enum phase)p, NULL);

		rs->recorded[p] = jp != NULL;
		rs->phases[p] = jp != NULL ? jp->state : JOURNAL_STARTED;
		if (jp != NULL && (jp->state == JOURNAL_DONE || jp->state == JOURNAL_SKIPPED))
			rs->phases_done++;
	}
	find_failure(j, run->id, rs);
out:
	journal_close(&j);
	free(dir);
	free(path);
	if (rc < 0)
		runstate_clear(rs);
	return rc;
}

void runstate_clear(struct runstate *rs)
{
	free(rs->run_id);
	free(rs->command);
	free(rs->log_dir);
	free(rs->failed_host);
	free(rs->failed_what);
	free(rs->failed_detail);
	memset(rs, 0, sizeof *rs);
}
