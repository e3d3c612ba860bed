/* The event queue between the engine's threads and the front end: a locked
 * FIFO of heap copies, an eventfd that is readable while it is not empty,
 * and questions that wait on a condition until answered. */
#include "config.h"

#include "event.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

struct node {
	struct event ev;
	struct node *next;
};

struct event_queue {
	pthread_mutex_t lock;
	pthread_cond_t answered;
	struct node *head, *tail;
	size_t n_output;
	size_t dropped; /* output lines dropped since the last queued event */
	int fd;
	bool refuse;
	pthread_mutex_t ask; /* one question at a time */
};

struct event_queue *event_queue_new(void)
{
	struct event_queue *q = xcalloc(1, sizeof *q);

	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->ask, NULL);
	pthread_cond_init(&q->answered, NULL);
	q->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->fd < 0)
		xalloc_die("eventfd");
	return q;
}

void event_clear(struct event *ev)
{
	free(ev->host);
	free(ev->text);
	free(ev->detail);
	memset(ev, 0, sizeof *ev);
}

void event_queue_free(struct event_queue **pq)
{
	struct event_queue *q = *pq;

	if (q == NULL)
		return;
	while (q->head != NULL) {
		struct node *n = q->head;

		q->head = n->next;
		event_clear(&n->ev);
		free(n);
	}
	close(q->fd);
	pthread_cond_destroy(&q->answered);
	pthread_mutex_destroy(&q->ask);
	pthread_mutex_destroy(&q->lock);
	free(q);
	*pq = NULL;
}

int event_queue_fd(const struct event_queue *q)
{
	return q->fd;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void event_push(struct event_queue *q, const struct event *ev)
{
	struct node *n = NULL;
	uint64_t one = 1;

	pthread_mutex_lock(&q->lock);
	if (ev->type == EVENT_OUTPUT && q->n_output >= EVENT_MAX_OUTPUT) {
		q->dropped++;
		pthread_mutex_unlock(&q->lock);
		return;
	}
	n = xcalloc(1, sizeof *n);
	n->ev = *ev;
	n->ev.host = dup_or_null(ev->host);
	n->ev.text = dup_or_null(ev->text);
	n->ev.detail = dup_or_null(ev->detail);
	if (n->ev.time_ms == 0)
		n->ev.time_ms = wall_ms();
	n->ev.dropped = q->dropped;
	q->dropped = 0;
	if (ev->type == EVENT_OUTPUT)
		q->n_output++;
	if (q->tail != NULL)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	/* The counter only needs to be non-zero: a full one is fine. */
	if (write(q->fd, &one, sizeof one) < 0 && errno != EAGAIN)
		xalloc_die("eventfd write");
	pthread_mutex_unlock(&q->lock);
}

bool event_pop(struct event_queue *q, struct event *ev)
{
	struct node *n = NULL;
	uint64_t count;

	pthread_mutex_lock(&q->lock);
	n = q->head;
	if (n != NULL) {
		q->head = n->next;
		if (q->head == NULL)
			q->tail = NULL;
		if (n->ev.type == EVENT_OUTPUT)
			q->n_output--;
	}
	if (q->head == NULL && read(q->fd, &count, sizeof count) < 0 && errno != EAGAIN)
		xalloc_die("eventfd read");
	pthread_mutex_unlock(&q->lock);
	if (n == NULL)
		return false;
	*ev = n->ev;
	free(n);
	return true;
}

bool event_wait(struct event_queue *q, int timeout_ms)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	int rc;

	do {
		rc = poll(&p, 1, timeout_ms);
	} while (rc < 0 && errno == EINTR);
	return rc > 0;
}

void event_queue_refuse_questions(struct event_queue *q, bool refuse)
{
	pthread_mutex_lock(&q->lock);
	q->refuse = refuse;
	pthread_mutex_unlock(&q->lock);
}

/* Queue the question and wait for its answer. Returns false when refused
 * without asking. */
static bool ask(struct event_queue *q, struct event_question *qn)
{
	struct event ev = { .type = EVENT_QUESTION, .phase = -1, .step = -1, .question = qn };
	bool refuse;

	pthread_mutex_lock(&q->ask);
	pthread_mutex_lock(&q->lock);
	refuse = q->refuse;
	pthread_mutex_unlock(&q->lock);
	if (!refuse) {
		ev.host = (char *)(qn->type == EVENT_ASK_HOSTKEY ? qn->host : qn->secret->host);
		event_push(q, &ev);
		pthread_mutex_lock(&q->lock);
		while (!qn->answered)
			pthread_cond_wait(&q->answered, &q->lock);
		pthread_mutex_unlock(&q->lock);
	}
	pthread_mutex_unlock(&q->ask);
	return !refuse;
}

static enum remote_hostkey_answer ask_hostkey(const char *host, const char *key_type,
					      const char *fingerprint, void *data)
{
	struct event_question qn = { .type = EVENT_ASK_HOSTKEY, .host = host,
				     .key_type = key_type, .fingerprint = fingerprint,
				     .hostkey = REMOTE_HOSTKEY_REJECT };

	if (!ask(data, &qn))
		return REMOTE_HOSTKEY_REJECT;
	return qn.hostkey;
}

static int ask_secret(const struct remote_secret_request *req, char *buf, size_t len,
		      void *data)
{
	struct event_question qn = { .type = EVENT_ASK_SECRET, .secret = req, .buf = buf,
				     .len = len };

	if (!ask(data, &qn))
		return -1;
	return qn.given ? 0 : -1;
}

void event_prompts(struct event_queue *q, struct remote_prompts *out)
{
	out->unknown_hostkey = ask_hostkey;
	out->secret = ask_secret;
	out->data = q;
}

void event_answer_hostkey(struct event_queue *q, struct event_question *qn,
			  enum remote_hostkey_answer answer)
{
	pthread_mutex_lock(&q->lock);
	qn->hostkey = answer;
	qn->answered = true;
	pthread_cond_broadcast(&q->answered);
	pthread_mutex_unlock(&q->lock);
}

void event_answer_secret(struct event_queue *q, struct event_question *qn, const char *secret)
{
	pthread_mutex_lock(&q->lock);
	if (secret != NULL && strlen(secret) < qn->len) {
		memcpy(qn->buf, secret, strlen(secret) + 1);
		qn->given = true;
	}
	qn->answered = true;
	pthread_cond_broadcast(&q->answered);
	pthread_mutex_unlock(&q->lock);
}
