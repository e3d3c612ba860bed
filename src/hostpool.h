/* A bounded pool of worker threads that runs one job per host.
 *
 * hostpool_run() starts at most `workers` threads, hands each the next host
 * index until all are done, and returns when every job has returned. Jobs run
 * concurrently, so whatever they share must be locked; output that must not
 * interleave (one line of one host) is written under hostpool_lock(). */
#ifndef K8SW_HOSTPOOL_H
#define K8SW_HOSTPOOL_H

#include <stdbool.h>
#include <stddef.h>

#define HOSTPOOL_DEFAULT_WORKERS 32

struct hostpool;

/* One host's work: index is 0..n-1, data what hostpool_run() was given. */
typedef void (*hostpool_job)(struct hostpool *pool, size_t index, void *data);

/* A pool of at most workers threads (0: HOSTPOOL_DEFAULT_WORKERS). */
struct hostpool *hostpool_new(unsigned workers);
void hostpool_free(struct hostpool **pool);

/* Run job for indexes 0..n-1 and wait for all of them. Returns the number of
 * jobs that were not started because hostpool_cancel() was called. */
size_t hostpool_run(struct hostpool *pool, size_t n, hostpool_job job, void *data);

/* Start no further jobs in the current run (those running finish). Safe from
 * any thread, including a job. */
void hostpool_cancel(struct hostpool *pool);
bool hostpool_cancelled(struct hostpool *pool);

/* Serialise output: between lock and unlock one thread writes alone. */
void hostpool_lock(struct hostpool *pool);
void hostpool_unlock(struct hostpool *pool);

#endif
