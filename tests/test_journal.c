/* The journal: what is appended is what a reopen replays; a torn last line is
 * dropped (and cut off by the next append), damage elsewhere is refused. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"
#include "xmalloc.h"

struct fixture {
	char dir[64];
	char *path;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	xsnprintf(f->dir, sizeof f->dir, "/tmp/k8sw-journal.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/journal", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static struct journal *open_ok(const char *path)
{
	struct journal *j = NULL;
	char *err = NULL;

	if (journal_open(path, &j, &err) < 0)
		fail_msg("journal_open: %s", err);
	return j;
}

static void add_step(struct journal *j, enum phase phase, const char *host, unsigned index,
		     enum journal_state state, const char *digest, const char *what)
{
	char *err = NULL;
	struct journal_step s = { .run = "r1", .phase = phase, .host = host, .index = index,
				  .state = state, .attempt = 1, .start_ms = 1000, .end_ms = 2000,
				  .exit_code = state == JOURNAL_FAILED ? 3 : 0, .digest = digest,
				  .what = what };

	if (journal_step(j, &s, &err) < 0)
		fail_msg("journal_step: %s", err);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void round_trip(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_ok(f->path);
	const struct journal_step *s = NULL;
	char *err = NULL;
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_null(journal_last_run(j));
	assert_int_equal(journal_run_begin(j, &(struct journal_run){ .id = "r1", .command = "apply",
								      .start_ms = 5,
								      .log_dir = "/x/runs/r1" },
					   &err),
			 0);
	add_step(j, PHASE_ETCD, "master1", 0, JOURNAL_STARTED, "aa", "install -d");
	add_step(j, PHASE_ETCD, "master1", 0, JOURNAL_DONE, "aa", "install -d");
	/* Tabs, newlines and backslashes in a field survive. */
	add_step(j, PHASE_ETCD, "master1", 1, JOURNAL_FAILED, "bb", "printf 'a\tb\\n'\nnext");
	add_step(j, PHASE_CALICO, "_cluster", 0, JOURNAL_DONE, "cc", "kubectl apply");
	assert_int_equal(journal_phase(j, &(struct journal_phase){ .run = "r1", .phase = PHASE_ETCD,
								   .host = NULL,
								   .state = JOURNAL_FAILED,
								   .time_ms = 9 },
				       &err),
			 0);
	assert_int_equal(journal_check(j, &(struct journal_check){ .run = "r1",
								   .phase = PHASE_ETCD,
								   .host = "master1",
								   .name = "etcd-health", .ok = false,
								   .time_ms = 7,
								   .detail = "expected\ttrue" },
				       &err),
			 0);
	assert_int_equal(journal_run_end(j, "r1", JOURNAL_FAILED, &err), 0);
	journal_close(&j);
	assert_null(j);

	j = open_ok(f->path);
	assert_int_equal(journal_replayed(j), 8);
	assert_false(journal_had_torn_tail(j));
	assert_int_equal(journal_n_runs(j), 1);
	assert_string_equal(journal_last_run(j)->id, "r1");
	assert_string_equal(journal_last_run(j)->log_dir, "/x/runs/r1");
	assert_int_equal(journal_last_run(j)->state, JOURNAL_FAILED);
	assert_int_equal(journal_n_steps(j), 3);
	s = journal_find_step(j, PHASE_ETCD, "master1", 0);
	assert_non_null(s);
	assert_int_equal(s->state, JOURNAL_DONE);
	assert_string_equal(s->digest, "aa");
	s = journal_find_step(j, PHASE_ETCD, "master1", 1);
	assert_int_equal(s->state, JOURNAL_FAILED);
	assert_int_equal(s->exit_code, 3);
	assert_string_equal(s->what, "printf 'a\tb\\n'\nnext");
	assert_null(journal_find_step(j, PHASE_ETCD, "master2", 0));
	assert_null(journal_find_step(j, PHASE_ETCD, "master1", 2));
	assert_null(journal_find_step(j, PHASE_KUBELET, "master1", 0));
	assert_non_null(journal_find_step(j, PHASE_CALICO, "_cluster", 0));
	assert_int_equal(journal_find_phase(j, PHASE_ETCD, NULL)->state, JOURNAL_FAILED);
	assert_null(journal_find_phase(j, PHASE_ETCD, "master1"));
	assert_int_equal(journal_n_checks(j), 1);
	assert_string_equal(journal_get_check(j, 0)->detail, "expected\ttrue");
	journal_close(&j);
}

/* Many keys: the index grows and every one is still found. */
static void many_steps(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_ok(f->path);
	char host[16];

	for (unsigned h = 0; h < 50; h++) {
		xsnprintf(host, sizeof host, "node%u", h);
		for (unsigned i = 0; i < 40; i++)
			add_step(j, PHASE_WORKERS, host, i, JOURNAL_DONE, host, "x");
	}
	journal_close(&j);
	j = open_ok(f->path);
	assert_int_equal(journal_n_steps(j), 2000);
	for (unsigned h = 0; h < 50; h++) {
		xsnprintf(host, sizeof host, "node%u", h);
		for (unsigned i = 0; i < 40; i++)
			assert_string_equal(journal_find_step(j, PHASE_WORKERS, host, i)->digest,
					    host);
	}
	journal_close(&j);
}

/* A crash in the middle of the last write: that record is lost, the rest
 * kept, and the next append does not build on the torn half. */
static void torn_tail(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_ok(f->path);
	off_t whole;

	add_step(j, PHASE_PKI, "node1", 0, JOURNAL_DONE, "d0", "upload a");
	whole = file_size(f->path);
	add_step(j, PHASE_PKI, "node1", 1, JOURNAL_DONE, "d1", "upload b");
	journal_close(&j);
	for (off_t cut = whole + 1; cut < file_size(f->path); cut += 7) {
		int fd = open(f->path, O_WRONLY);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, cut), 0);
		close(fd);
		j = open_ok(f->path);
		assert_true(journal_had_torn_tail(j));
		assert_non_null(journal_find_step(j, PHASE_PKI, "node1", 0));
		assert_null(journal_find_step(j, PHASE_PKI, "node1", 1));
		journal_close(&j);
	}
	j = open_ok(f->path);
	add_step(j, PHASE_PKI, "node1", 1, JOURNAL_DONE, "d1", "upload b");
	journal_close(&j);
	j = open_ok(f->path);
	assert_false(journal_had_torn_tail(j));
	assert_int_equal(journal_replayed(j), 2);
	assert_string_equal(journal_find_step(j, PHASE_PKI, "node1", 1)->digest, "d1");
	journal_close(&j);
}

/* One changed byte: at the end it reads as torn, before the end it is refused
 * with the line named. */
static void damage(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_ok(f->path);
	char *err = NULL;
	int fd;

	add_step(j, PHASE_PKI, "node1", 0, JOURNAL_DONE, "d0", "upload a");
	add_step(j, PHASE_PKI, "node1", 1, JOURNAL_DONE, "d1", "upload b");
	journal_close(&j);

	fd = open(f->path, O_WRONLY);
	assert_int_equal(pwrite(fd, "X", 1, file_size(f->path) - 30), 1);
	close(fd);
	j = open_ok(f->path);
	assert_true(journal_had_torn_tail(j));
	assert_null(journal_find_step(j, PHASE_PKI, "node1", 1));
	journal_close(&j);

	fd = open(f->path, O_WRONLY);
	assert_int_equal(pwrite(fd, "Y", 1, 30), 1);
	close(fd);
	assert_int_equal(journal_open(f->path, &j, &err), -1);
	assert_null(j);
	assert_non_null(strstr(err, "line 2"));
	free(err);
}

static void not_a_journal(void **state)
{
	struct fixture *f = *state;
	struct journal *j = NULL;
	char *err = NULL;
	FILE *fp = fopen(f->path, "w");

	fputs("hello\n", fp);
	fclose(fp);
	assert_int_equal(journal_open(f->path, &j, &err), -1);
	assert_non_null(strstr(err, "not a k8s-wizard journal"));
	free(err);
}

/* Appends from several threads (the engine's hosts): every record whole,
 * none lost. */
struct appender {
	const char *path;
	struct journal *j;
	int id;
};

static void *append_many(void *arg)
{
	struct appender *a = arg;
	char host[16], digest[32];

	xsnprintf(host, sizeof host, "node%d", a->id);
	for (unsigned i = 0; i < 300; i++) {
		xsnprintf(digest, sizeof digest, "%d-%u", a->id, i);
		add_step(a->j, PHASE_WORKERS, host, i, i % 2 ? JOURNAL_DONE : JOURNAL_STARTED, digest,
			 "step");
	}
	return NULL;
}

static void appends_from_threads(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_ok(f->path);
	struct appender a[4];
	pthread_t t[4];
	char host[16], digest[32];

	for (int i = 0; i < 4; i++) {
		a[i] = (struct appender){ .path = f->path, .j = j, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, append_many, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	journal_close(&j);
	j = open_ok(f->path);
	assert_false(journal_had_torn_tail(j));
	assert_int_equal(journal_replayed(j), 1200);
	assert_int_equal(journal_n_steps(j), 1200);
	for (int i = 0; i < 4; i++) {
		xsnprintf(host, sizeof host, "node%d", i);
		for (unsigned k = 0; k < 300; k++) {
			const struct journal_step *s = journal_find_step(j, PHASE_WORKERS, host, k);

			xsnprintf(digest, sizeof digest, "%d-%u", i, k);
			assert_non_null(s);
			assert_string_equal(s->digest, digest);
			assert_int_equal(s->state, k % 2 ? JOURNAL_DONE : JOURNAL_STARTED);
		}
	}
	journal_close(&j);
}

/* Runs in order, one killed (no end: still "started"); a host's part of a
 * phase apart from the phase; the last record of a check wins. */
static void runs_phases_checks(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_ok(f->path);
	char *err = NULL;
	struct journal_check c = { .run = "r1", .phase = PHASE_ETCD, .host = "master1",
				   .name = "etcd-health", .ok = false, .time_ms = 1,
				   .detail = "saw HTTP 503" };

	assert_int_equal(journal_run_begin(j, &(struct journal_run){ .id = "r1", .command = "apply",
								      .start_ms = 1, .log_dir = "/l/r1" },
					   &err),
			 0);
	assert_int_equal(journal_phase(j, &(struct journal_phase){ .run = "r1", .phase = PHASE_ETCD,
								   .host = "master1",
								   .state = JOURNAL_DONE,
								   .time_ms = 2 },
				       &err),
			 0);
	assert_int_equal(journal_check(j, &c, &err), 0);
	c.ok = true;
	c.detail = "healthy";
	assert_int_equal(journal_check(j, &c, &err), 0);
	c.name = "etcd-members";
	assert_int_equal(journal_check(j, &c, &err), 0);
	c.host = "_cluster";
	assert_int_equal(journal_check(j, &c, &err), 0);
	assert_int_equal(journal_run_end(j, "r1", JOURNAL_FAILED, &err), 0);
	assert_int_equal(journal_run_begin(j, &(struct journal_run){ .id = "r2", .command = "resume",
								      .start_ms = 3, .log_dir = "/l/r2" },
					   &err),
			 0);
	journal_close(&j);

	j = open_ok(f->path);
	assert_int_equal(journal_n_runs(j), 2);
	assert_string_equal(journal_get_run(j, 0)->id, "r1");
	assert_int_equal(journal_get_run(j, 0)->state, JOURNAL_FAILED);
	assert_string_equal(journal_get_run(j, 1)->command, "resume");
	assert_int_equal(journal_last_run(j)->state, JOURNAL_STARTED);
	assert_int_equal(journal_find_phase(j, PHASE_ETCD, "master1")->state, JOURNAL_DONE);
	assert_null(journal_find_phase(j, PHASE_ETCD, NULL));
	assert_null(journal_find_phase(j, PHASE_ETCD, "master2"));
	assert_int_equal(journal_n_checks(j), 3);
	assert_string_equal(journal_get_check(j, 0)->name, "etcd-health");
	assert_true(journal_get_check(j, 0)->ok);
	assert_string_equal(journal_get_check(j, 0)->detail, "healthy");
	assert_string_equal(journal_get_check(j, 1)->name, "etcd-members");
	assert_string_equal(journal_get_check(j, 1)->host, "master1");
	assert_string_equal(journal_get_check(j, 2)->host, "_cluster");
	journal_close(&j);
}

/* SIGKILL at any moment of a stream of appends: the journal opens, keeps
 * every whole record, and the next append goes on from there. */
static void killed_while_appending(void **state)
{
	struct fixture *f = *state;

	for (int round = 0; round < 5; round++) {
		struct journal *j = NULL;
		size_t before = 0, after = 0;
		int ready[2], status = 0;
		pid_t pid;
		char c;

		j = open_ok(f->path);
		before = journal_n_steps(j);
		journal_close(&j);
		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct journal *cj = NULL;
			char *err = NULL, host[32];

			close(ready[0]);
			if (journal_open(f->path, &cj, &err) < 0)
				_exit(2);
			xsnprintf(host, sizeof host, "round%d", round);
			for (unsigned i = 0;; i++) {
				struct journal_step s = { .run = "r", .phase = PHASE_PKI, .host = host,
							  .index = i, .state = JOURNAL_STARTED,
							  .attempt = 1, .digest = "d",
							  .what = "a step that is long enough to be "
								  "cut in the middle of its line" };

				if (journal_step(cj, &s, &err) < 0)
					_exit(3);
				if (i == 100 && write(ready[1], "x", 1) != 1)
					_exit(4);
			}
		}
		close(ready[1]);
		assert_int_equal(read(ready[0], &c, 1), 1);
		close(ready[0]);
		usleep((useconds_t)(round * 3000));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));

		j = open_ok(f->path);
		after = journal_n_steps(j);
		assert_true(after > before + 100);
		add_step(j, PHASE_PKI, "after", (unsigned)round, JOURNAL_DONE, "d", "x");
		journal_close(&j);
		j = open_ok(f->path);
		assert_false(journal_had_torn_tail(j));
		assert_int_equal(journal_n_steps(j), after + 1);
		journal_close(&j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(not_a_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(many_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(damage, setup, teardown),
		cmocka_unit_test_setup_teardown(appends_from_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(runs_phases_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(killed_while_appending, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
