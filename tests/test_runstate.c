/* What the Welcome page reads before it offers to continue an install:
 * runstate_read() on journals written as the engine writes them (no journal,
 * a run done, failed on a step or on a check, stopped, killed), and
 * fileio_read_tail() on the log a running engine may still append to. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "journal.h"
#include "runstate.h"
#include "xmalloc.h"

struct fixture {
	char dir[64];
	char *cluster_dir, *journal, *log;
	struct journal *j;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	xsnprintf(f->dir, sizeof f->dir, "/tmp/k8sw-runstate.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	setenv("K8SW_STATE_DIR", f->dir, 1);
	f->cluster_dir = xasprintf("%s/c1", f->dir);
	assert_int_equal(mkdir(f->cluster_dir, 0700), 0);
	f->journal = xasprintf("%s/journal", f->cluster_dir);
	f->log = xasprintf("%s/host.log", f->cluster_dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	journal_close(&f->j);
	unlink(f->journal);
	unlink(f->log);
	rmdir(f->cluster_dir);
	rmdir(f->dir);
	free(f->cluster_dir);
	free(f->journal);
	free(f->log);
	free(f);
	return 0;
}

static struct journal *open_journal(struct fixture *f)
{
	char *err = NULL;

	if (journal_open(f->journal, &f->j, &err) < 0)
		fail_msg("journal_open: %s", err);
	return f->j;
}

static void begin(struct journal *j, const char *run, int64_t start)
{
	struct journal_run r = { .id = run, .command = "apply", .start_ms = start,
				 .state = JOURNAL_STARTED, .log_dir = "/logs/r" };
	char *err = NULL;

	if (journal_run_begin(j, &r, &err) < 0)
		fail_msg("journal_run_begin: %s", err);
}

static void end(struct journal *j, const char *run, enum journal_state s)
{
	char *err = NULL;

	if (journal_run_end(j, run, s, &err) < 0)
		fail_msg("journal_run_end: %s", err);
}

static void phase(struct journal *j, const char *run, enum phase p, enum journal_state s)
{
	struct journal_phase jp = { .run = run, .phase = p, .host = NULL, .state = s,
				    .time_ms = 5000 };
	char *err = NULL;

	if (journal_phase(j, &jp, &err) < 0)
		fail_msg("journal_phase: %s", err);
}

static void step(struct journal *j, const char *run, enum phase p, unsigned index,
		 enum journal_state s, int64_t end_ms, int exit_code, const char *what)
{
	struct journal_step st = { .run = run, .phase = p, .host = "node1", .index = index,
				   .state = s, .attempt = 1, .start_ms = end_ms - 10,
				   .end_ms = end_ms, .exit_code = exit_code, .digest = "d",
				   .what = what };
	char *err = NULL;

	if (journal_step(j, &st, &err) < 0)
		fail_msg("journal_step: %s", err);
}

static void check(struct journal *j, const char *run, enum phase p, const char *name, bool ok,
		  const char *detail)
{
	struct journal_check c = { .run = run, .phase = p, .host = "master1", .name = name,
				   .ok = ok, .time_ms = 6000, .detail = detail };
	char *err = NULL;

	if (journal_check(j, &c, &err) < 0)
		fail_msg("journal_check: %s", err);
}

static void read_ok(struct runstate *rs)
{
	char *err = NULL;

	if (runstate_read("c1", rs, &err) < 0)
		fail_msg("runstate_read: %s", err);
}

/* No journal: nothing to offer, and the journal is not created by looking. */
static void no_journal(void **state)
{
	struct fixture *f = *state;
	struct runstate rs;

	read_ok(&rs);
	assert_false(rs.has_run);
	assert_int_equal(access(f->journal, F_OK), -1);
	runstate_clear(&rs);
	/* An empty journal (made by a run that never began) has no run. */
	open_journal(f);
	read_ok(&rs);
	assert_false(rs.has_run);
	runstate_clear(&rs);
}

/* A run done: done, with its phases counted. */
static void done_run(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_journal(f);
	struct runstate rs;

	begin(j, "r1", 1000);
	for (int p = 0; p < PHASE_COUNT; p++)
		phase(j, "r1", (enum phase)p, p == PHASE_COUNT - 1 ? JOURNAL_SKIPPED : JOURNAL_DONE);
	end(j, "r1", JOURNAL_DONE);
	read_ok(&rs);
	assert_true(rs.has_run);
	assert_int_equal(rs.state, JOURNAL_DONE);
	assert_string_equal(rs.run_id, "r1");
	assert_string_equal(rs.command, "apply");
	assert_string_equal(rs.log_dir, "/logs/r");
	assert_int_equal(rs.phases_done, PHASE_COUNT);
	assert_false(rs.has_failure);
	runstate_clear(&rs);
}

/* A failed run: the step that failed last is the one named, with its exit
 * status; the phases done before it are counted, the failed one is not;
 * steps of an earlier run do not count. */
static void failed_step(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_journal(f);
	struct runstate rs;

	begin(j, "r0", 100);
	/* Its clock was ahead: only the run tells it apart. */
	step(j, "r0", PHASE_PREFLIGHT, 0, JOURNAL_FAILED, 9000, 9, "old failure");
	end(j, "r0", JOURNAL_FAILED);
	begin(j, "r1", 1000);
	phase(j, "r1", PHASE_PREFLIGHT, JOURNAL_DONE);
	phase(j, "r1", PHASE_PREPARE, JOURNAL_DONE);
	step(j, "r1", PHASE_CONTAINERD, 0, JOURNAL_FAILED, 3000, 2, "install containerd");
	step(j, "r1", PHASE_CONTAINERD, 1, JOURNAL_FAILED, 4000, 1, "systemctl restart containerd");
	step(j, "r1", PHASE_CONTAINERD, 2, JOURNAL_DONE, 5000, 0, "later and done");
	phase(j, "r1", PHASE_CONTAINERD, JOURNAL_FAILED);
	end(j, "r1", JOURNAL_FAILED);
	read_ok(&rs);
	assert_int_equal(rs.state, JOURNAL_FAILED);
	assert_string_equal(rs.run_id, "r1");
	assert_int_equal(rs.phases_done, 2);
	assert_true(rs.recorded[PHASE_CONTAINERD]);
	assert_int_equal(rs.phases[PHASE_CONTAINERD], JOURNAL_FAILED);
	assert_false(rs.recorded[PHASE_PKI]);
	assert_true(rs.has_failure);
	assert_false(rs.failure_is_check);
	assert_int_equal(rs.failed_phase, PHASE_CONTAINERD);
	assert_string_equal(rs.failed_host, "node1");
	assert_string_equal(rs.failed_what, "systemctl restart containerd");
	assert_int_equal(rs.failed_exit, 1);
	assert_null(rs.failed_detail);
	runstate_clear(&rs);
}

/* A run that failed on a health check: the check, with what it expected and
 * saw. */
static void failed_check(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_journal(f);
	struct runstate rs;

	begin(j, "r1", 1000);
	check(j, "r1", PHASE_ETCD, "etcd-ok", true, "expected healthy; saw healthy");
	check(j, "r1", PHASE_ETCD, "etcd-members", false, "expected 3 members; saw 2");
	phase(j, "r1", PHASE_ETCD, JOURNAL_FAILED);
	end(j, "r1", JOURNAL_FAILED);
	read_ok(&rs);
	assert_true(rs.has_failure);
	assert_true(rs.failure_is_check);
	assert_int_equal(rs.failed_phase, PHASE_ETCD);
	assert_string_equal(rs.failed_host, "master1");
	assert_string_equal(rs.failed_what, "etcd-members");
	assert_string_equal(rs.failed_detail, "expected 3 members; saw 2");
	assert_int_equal(rs.failed_exit, -1);
	runstate_clear(&rs);
}

/* Stopped, and killed (begun, never ended): the last run is the one told. */
static void stopped_and_killed(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_journal(f);
	struct runstate rs;

	begin(j, "r1", 1000);
	end(j, "r1", JOURNAL_STOPPED);
	read_ok(&rs);
	assert_int_equal(rs.state, JOURNAL_STOPPED);
	assert_false(rs.has_failure);
	runstate_clear(&rs);
	begin(j, "r2", 2000);
	read_ok(&rs);
	assert_string_equal(rs.run_id, "r2");
	assert_int_equal(rs.state, JOURNAL_STARTED);
	assert_int_equal(rs.start_ms, 2000);
	runstate_clear(&rs);
}

static void write_file(const char *path, const char *data, size_t len)
{
	char *err = NULL;

	if (fileio_write_atomic(path, data, len, 0600, &err) < 0)
		fail_msg("fileio_write_atomic: %s", err);
}

/* A journal damaged before its end is an error, not "no run". */
static void damaged(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_journal(f);
	struct runstate rs;
	char *err = NULL, *data = NULL, *nl = NULL;
	size_t len = 0;

	begin(j, "r1", 1000);
	begin(j, "r2", 2000);
	journal_close(&f->j);
	assert_int_equal(fileio_read(f->journal, 1 << 20, &data, &len, &err), 0);
	/* A byte of the first record (after the magic line) changes. */
	nl = strchr(data, '\n');
	assert_non_null(nl);
	nl[3] = nl[3] == 'x' ? 'y' : 'x';
	write_file(f->journal, data, len);
	free(data);
	assert_int_equal(runstate_read("c1", &rs, &err), -1);
	assert_non_null(err);
	assert_false(rs.has_run);
	free(err);
}

/* fileio_read_tail: missing is 1; a short file whole; a long one its last
 * max bytes; a directory refused. */
static void read_tail(void **state)
{
	struct fixture *f = *state;
	char *data = NULL, *err = NULL;
	char big[5000];
	size_t len = 0;

	assert_int_equal(fileio_read_tail(f->log, 100, &data, &len, &err), 1);
	assert_null(data);
	write_file(f->log, "a\nb\n", 4);
	assert_int_equal(fileio_read_tail(f->log, 100, &data, &len, &err), 0);
	assert_int_equal(len, 4);
	assert_string_equal(data, "a\nb\n");
	xfree(&data);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	write_file(f->log, big, sizeof big);
	assert_int_equal(fileio_read_tail(f->log, 100, &data, &len, &err), 0);
	assert_int_equal(len, 100);
	assert_int_equal(strlen(data), 100);
	assert_memory_equal(data, big + sizeof big - 100, 100);
	xfree(&data);
	assert_int_equal(fileio_read_tail(f->dir, 100, &data, &len, &err), -1);
	assert_non_null(err);
	assert_null(data);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(no_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(done_run, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_step, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_check, setup, teardown),
		cmocka_unit_test_setup_teardown(stopped_and_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(read_tail, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
