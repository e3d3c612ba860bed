/* The host pool: threads take the next host index from a shared counter, so
 * a slow host holds one worker and the others go on with the rest. Threads
 * live for one run; starting a few dozen costs far less than one SSH
 * handshake. */
#include "config.h"

#include "hostpool.h"

#include <pthread.h>
#include <stdlib.h>

#include "xmalloc.h"

struct hostpool {
	unsigned workers;
	pthread_mutex_t lock;   /* next, cancelled, skipped */
	pthread_mutex_t output; /* hostpool_lock() */
	size_t next;
	size_t n;
	size_t skipped;
	bool cancelled;
	hostpool_job job;
	void *data;
};

struct hostpool *hostpool_new(unsigned workers)
{
	struct hostpool *pool = xcalloc(1, sizeof *pool);

	pool->workers = workers > 0 ? workers : HOSTPOOL_DEFAULT_WORKERS;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_mutex_init(&pool->output, NULL);
	return pool;
}

void hostpool_free(struct hostpool **pool)
{
	if (*pool == NULL)
		return;
	pthread_mutex_destroy(&(*pool)->lock);
	pthread_mutex_destroy(&(*pool)->output);
	xfree(pool);
}

/* Take the next index; false when there is none (or the run was cancelled,
 * in which case the rest are counted as skipped). */
static bool take(struct hostpool *pool, size_t *index)
{
	bool ok = false;

	pthread_mutex_lock(&pool->lock);
	if (pool->next < pool->n) {
		if (pool->cancelled) {
			pool->skipped += pool->n - pool->next;
			pool->next = pool->n;
		} else {
			*index = pool->next++;
			ok = true;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return ok;
}

static void *worker(void *arg)
{
	struct hostpool *pool = arg;
	size_t index;

	while (take(pool, &index))
		pool->job(pool, index, pool->data);
	return NULL;
}

size_t hostpool_run(struct hostpool *pool, size_t n, hostpool_job job, void *data)
{
	size_t nthreads = n < pool->workers ? n : pool->workers;
	pthread_t *threads = NULL;
	size_t started = 0;

	pool->next = 0;
	pool->n = n;
	pool->skipped = 0;
	pool->cancelled = false;
	pool->job = job;
	pool->data = data;
	if (n == 0)
		return 0;
	threads = xcalloc(nthreads, sizeof *threads);
	for (size_t i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], NULL, worker, pool) != 0)
			break;
		started++;
	}
	/* Without any thread (no resources left), work in this one. */
	if (started == 0)
		worker(pool);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return pool->skipped;
}

void hostpool_cancel(struct hostpool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->cancelled = true;
	pthread_mutex_unlock(&pool->lock);
}

bool hostpool_cancelled(struct hostpool *pool)
{
	bool c;

	pthread_mutex_lock(&pool->lock);
	c = pool->cancelled;
	pthread_mutex_unlock(&pool->lock);
	return c;
}

void hostpool_lock(struct hostpool *pool)
{
	pthread_mutex_lock(&pool->output);
}

void hostpool_unlock(struct hostpool *pool)
{
	pthread_mutex_unlock(&pool->output);
}
