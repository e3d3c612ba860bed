/* The host pool: every index runs exactly once, never more than the bound
 * at a time, cancel stops further jobs, and the output lock excludes. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostpool.h"
#include "xmalloc.h"

struct tally {
	pthread_mutex_t lock;
	unsigned *runs;
	unsigned active;
	unsigned max_active;
	unsigned in_output;
	bool overlap;
	size_t cancel_at; /* cancel from this job (SIZE_MAX: never) */
};

static void pause_briefly(void)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static void job(struct hostpool *pool, size_t i, void *data)
{
	struct tally *t = data;

	pthread_mutex_lock(&t->lock);
	t->runs[i]++;
	if (++t->active > t->max_active)
		t->max_active = t->active;
	pthread_mutex_unlock(&t->lock);
	if (i == t->cancel_at)
		hostpool_cancel(pool);
	/* Two writers inside the output lock at once would be a bug. */
	hostpool_lock(pool);
	if (t->in_output++ != 0)
		t->overlap = true;
	pause_briefly();
	t->in_output--;
	hostpool_unlock(pool);
	pthread_mutex_lock(&t->lock);
	t->active--;
	pthread_mutex_unlock(&t->lock);
}

static void every_index_once(void **state)
{
	struct hostpool *pool = hostpool_new(4);
	struct tally t = { .cancel_at = (size_t)-1 };
	size_t n = 40;

	(void)state;
	pthread_mutex_init(&t.lock, NULL);
	t.runs = xcalloc(n, sizeof *t.runs);
	assert_int_equal(hostpool_run(pool, n, job, &t), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(t.runs[i], 1);
	assert_true(t.max_active <= 4);
	assert_false(t.overlap);
	assert_false(hostpool_cancelled(pool));
	/* The pool can run again. */
	memset(t.runs, 0, n * sizeof *t.runs);
	assert_int_equal(hostpool_run(pool, 3, job, &t), 0);
	assert_int_equal(t.runs[0] + t.runs[1] + t.runs[2], 3);
	free(t.runs);
	pthread_mutex_destroy(&t.lock);
	hostpool_free(&pool);
	assert_null(pool);
}

/* A barrier that gives up: jobs that run one after another never all arrive,
 * and the test fails in seconds instead of hanging. */
struct meeting {
	pthread_mutex_t lock;
	pthread_cond_t all_here;
	unsigned expected, arrived;
	bool gave_up;
};

static void meet(struct hostpool *pool, size_t i, void *data)
{
	struct meeting *m = data;
	struct timespec deadline;

	(void)pool;
	(void)i;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	pthread_mutex_lock(&m->lock);
	if (++m->arrived == m->expected)
		pthread_cond_broadcast(&m->all_here);
	while (m->arrived < m->expected && !m->gave_up) {
		if (pthread_cond_timedwait(&m->all_here, &m->lock, &deadline) != 0)
			m->gave_up = true;
	}
	pthread_mutex_unlock(&m->lock);
}

/* Four jobs on four workers can only all pass the barrier if they run at the
 * same time. */
static void runs_in_parallel(void **state)
{
	struct hostpool *pool = hostpool_new(4);
	struct meeting m = { .expected = 4 };

	(void)state;
	pthread_mutex_init(&m.lock, NULL);
	pthread_cond_init(&m.all_here, NULL);
	assert_int_equal(hostpool_run(pool, 4, meet, &m), 0);
	assert_int_equal(m.arrived, 4);
	assert_false(m.gave_up);
	pthread_cond_destroy(&m.all_here);
	pthread_mutex_destroy(&m.lock);
	hostpool_free(&pool);
}

static void cancel(void **state)
{
	struct hostpool *pool = hostpool_new(1);
	struct tally t = { .cancel_at = 2 };
	size_t n = 10, skipped, ran = 0;

	(void)state;
	pthread_mutex_init(&t.lock, NULL);
	t.runs = xcalloc(n, sizeof *t.runs);
	/* One worker: jobs 0, 1, 2 run, 2 cancels, 3..9 never start. */
	skipped = hostpool_run(pool, n, job, &t);
	for (size_t i = 0; i < n; i++)
		ran += t.runs[i];
	assert_int_equal(ran, 3);
	assert_int_equal(skipped, 7);
	assert_true(hostpool_cancelled(pool));
	free(t.runs);
	pthread_mutex_destroy(&t.lock);
	hostpool_free(&pool);
}

static void edges(void **state)
{
	struct hostpool *pool = hostpool_new(0);
	struct tally t = { .cancel_at = (size_t)-1 };

	(void)state;
	pthread_mutex_init(&t.lock, NULL);
	assert_int_equal(hostpool_run(pool, 0, job, &t), 0);
	hostpool_free(&pool);
	hostpool_free(&pool); /* NULL is fine */
	pthread_mutex_destroy(&t.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_index_once),
		cmocka_unit_test(runs_in_parallel),
		cmocka_unit_test(cancel),
		cmocka_unit_test(edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
