/* The event queue: order, copies, the eventfd readable exactly while
 * events wait, the bound on output lines (dropped ones counted on the next
 * event queued, other events never dropped), producers in several threads,
 * and questions asked from a worker thread that waits for the answer (or is
 * refused at once when the front end cannot ask). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "xmalloc.h"

static bool readable(const struct event_queue *q)
{
	struct pollfd p = { .fd = event_queue_fd(q), .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void push(struct event_queue *q, enum event_type type, const char *host, const char *text)
{
	struct event ev = { .type = type, .phase = 3, .step = -1 };

	ev.host = (char *)host;
	ev.text = (char *)text;
	event_push(q, &ev);
}

/* Events come out as they went in, as copies the queue owned. */
static void order_and_copies(void **state)
{
	struct event_queue *q = event_queue_new();
	char host[] = "node1", text[] = "Created symlink";
	struct event ev = { .type = EVENT_STEP_END, .phase = 2, .step = 4, .attempt = 2,
			    .status = 1, .exit_code = 7, .time_ms = 12345 };
	static const enum event_type want[] = { EVENT_RUN_START, EVENT_PHASE_START, EVENT_OUTPUT,
						EVENT_OUTPUT, EVENT_STEP_END };
	int64_t before = 0;
	struct timespec ts;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &ts);
	before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	push(q, EVENT_RUN_START, NULL, "run-1");
	push(q, EVENT_PHASE_START, NULL, NULL);
	push(q, EVENT_OUTPUT, host, text);
	/* The sender may reuse its buffers at once. */
	host[0] = 'X';
	text[0] = 'X';
	push(q, EVENT_OUTPUT, host, text);
	ev.host = "w2";
	ev.detail = "exit status 7";
	event_push(q, &ev);

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct event got;

		assert_true(event_pop(q, &got));
		assert_int_equal(got.type, want[i]);
		if (i == 0) {
			assert_string_equal(got.text, "run-1");
			assert_null(got.host);
			/* Stamped when the sender did not. */
			assert_true(got.time_ms >= before);
		} else if (i == 2) {
			assert_string_equal(got.host, "node1");
			assert_string_equal(got.text, "Created symlink");
		} else if (i == 3) {
			assert_string_equal(got.host, "Xode1");
			assert_string_equal(got.text, "Xreated symlink");
		} else if (i == 4) {
			assert_int_equal(got.time_ms, 12345);
			assert_string_equal(got.host, "w2");
			assert_string_equal(got.detail, "exit status 7");
			assert_null(got.text);
			assert_int_equal(got.phase, 2);
			assert_int_equal(got.step, 4);
			assert_int_equal(got.attempt, 2);
			assert_int_equal(got.status, 1);
			assert_int_equal(got.exit_code, 7);
			assert_int_equal(got.dropped, 0);
		}
		event_clear(&got);
		assert_null(got.host);
	}
	assert_false(event_pop(q, &ev));
	event_queue_free(&q);
	assert_null(q);
	event_queue_free(&q); /* NULL is fine */
}

/* The fd is readable exactly while events wait. */
static void fd_readable_while_waiting(void **state)
{
	struct event_queue *q = event_queue_new();
	struct event ev;

	(void)state;
	assert_false(readable(q));
	assert_false(event_wait(q, 0));
	push(q, EVENT_NOTE, NULL, "a");
	assert_true(readable(q));
	assert_true(event_wait(q, 0));
	push(q, EVENT_NOTE, NULL, "b");
	push(q, EVENT_NOTE, NULL, "c");
	assert_true(event_pop(q, &ev));
	event_clear(&ev);
	assert_true(readable(q));
	assert_true(event_pop(q, &ev));
	event_clear(&ev);
	assert_true(readable(q));
	assert_true(event_pop(q, &ev));
	event_clear(&ev);
	assert_false(readable(q));
	assert_false(event_wait(q, 50));
	/* Popping an empty queue leaves it quiet. */
	assert_false(event_pop(q, &ev));
	assert_false(readable(q));
	push(q, EVENT_NOTE, NULL, "d");
	assert_true(readable(q));
	/* Events left in the queue are freed with it. */
	push(q, EVENT_OUTPUT, "m1", "left behind");
	event_queue_free(&q);
}

/* At most EVENT_MAX_OUTPUT output lines wait; more are dropped and counted
 * on the next event queued; other events are never dropped. */
static void output_bound(void **state)
{
	struct event_queue *q = event_queue_new();
	struct event ev;
	size_t outputs = 0, others = 0;

	(void)state;
	for (size_t i = 0; i < EVENT_MAX_OUTPUT + 10; i++)
		push(q, EVENT_OUTPUT, "m1", "line");
	for (size_t i = 0; i < 100; i++)
		push(q, EVENT_STEP_START, "m1", "step");
	for (size_t i = 0; i < 5; i++)
		push(q, EVENT_OUTPUT, "m1", "more");
	push(q, EVENT_CHECK, "m1", "etcd-health");
	while (event_pop(q, &ev)) {
		if (ev.type == EVENT_OUTPUT) {
			assert_string_equal(ev.text, "line");
			assert_int_equal(ev.dropped, 0);
			outputs++;
		} else if (ev.type == EVENT_STEP_START) {
			/* The first after the dropped lines says how many. */
			assert_int_equal(ev.dropped, others == 0 ? 10 : 0);
			others++;
		} else {
			assert_int_equal(ev.type, EVENT_CHECK);
			assert_int_equal(ev.dropped, 5);
		}
		event_clear(&ev);
	}
	assert_int_equal(outputs, EVENT_MAX_OUTPUT);
	assert_int_equal(others, 100);

	/* Room again once the front end has read: the count rides on the next
	 * line queued when it is a line. */
	for (size_t i = 0; i < EVENT_MAX_OUTPUT + 3; i++)
		push(q, EVENT_OUTPUT, "m1", "line");
	assert_true(event_pop(q, &ev));
	event_clear(&ev);
	push(q, EVENT_OUTPUT, "m1", "after");
	push(q, EVENT_OUTPUT, "m1", "dropped again");
	outputs = 0;
	while (event_pop(q, &ev)) {
		outputs++;
		if (strcmp(ev.text, "after") == 0)
			assert_int_equal(ev.dropped, 3);
		else
			assert_int_equal(ev.dropped, 0);
		event_clear(&ev);
	}
	assert_int_equal(outputs, EVENT_MAX_OUTPUT);
	push(q, EVENT_NOTE, NULL, "counted");
	assert_true(event_pop(q, &ev));
	assert_int_equal(ev.dropped, 1);
	event_clear(&ev);
	event_queue_free(&q);
}

/* Several producers: each one's events in its order, none lost. */
struct producer {
	struct event_queue *q;
	int id;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < 2000; i++) {
		struct event ev = { .type = EVENT_PROGRESS, .step = p->id, .done = (uint64_t)i };

		event_push(p->q, &ev);
	}
	return NULL;
}

static void producers_in_threads(void **state)
{
	struct event_queue *q = event_queue_new();
	struct producer p[4];
	pthread_t t[4];
	uint64_t next[4] = { 0 };
	size_t n = 0;
	struct event ev;

	(void)state;
	for (int i = 0; i < 4; i++) {
		p[i] = (struct producer){ .q = q, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
	}
	/* Read while they write. */
	while (n < 8000) {
		if (!event_wait(q, 5000))
			fail_msg("no event for 5 s after %zu", n);
		while (event_pop(q, &ev)) {
			assert_int_equal(ev.done, next[ev.step]);
			next[ev.step]++;
			n++;
			event_clear(&ev);
		}
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_false(readable(q));
	event_queue_free(&q);
}

/* --- questions ------------------------------------------------------------ */

struct asker {
	struct remote_prompts prompts;
	bool secret;
	size_t buf_len;
	/* Results. */
	atomic_bool returned;
	enum remote_hostkey_answer hostkey;
	int rc;
	char buf[64];
	pthread_t thread;
};

static const struct remote_secret_request sudo_req = {
	.kind = REMOTE_SECRET_SUDO, .user = "admin", .host = "node1 (127.0.10.4:22)",
	.what = "[sudo] password for admin: ",
};

static void *ask(void *arg)
{
	struct asker *a = arg;

	if (a->secret)
		a->rc = a->prompts.secret(&sudo_req, a->buf, a->buf_len, a->prompts.data);
	else
		a->hostkey = a->prompts.unknown_hostkey("node1 (127.0.10.4:22)", "ssh-ed25519",
							"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
							a->prompts.data);
	atomic_store(&a->returned, true);
	return NULL;
}

static void start(struct asker *a, struct event_queue *q, bool secret, size_t buf_len)
{
	memset(a, 0, sizeof *a);
	event_prompts(q, &a->prompts);
	a->secret = secret;
	a->buf_len = buf_len;
	memcpy(a->buf, "untouched", 10);
	a->hostkey = (enum remote_hostkey_answer)-1;
	assert_int_equal(pthread_create(&a->thread, NULL, ask, a), 0);
}

/* Join a thread that must end within 5 s. */
static void finish(struct asker *a)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	if (pthread_timedjoin_np(a->thread, NULL, &until) != 0)
		fail_msg("the asking thread did not return");
}

/* Wait for the question and take it. */
static struct event_question *take_question(struct event_queue *q, struct event *ev)
{
	if (!event_wait(q, 5000))
		fail_msg("no question queued");
	assert_true(event_pop(q, ev));
	assert_int_equal(ev->type, EVENT_QUESTION);
	assert_non_null(ev->question);
	return ev->question;
}

static void hostkey_question(void **state)
{
	struct event_queue *q = event_queue_new();
	struct asker a;
	struct event ev;
	struct event_question *qn = NULL;

	(void)state;
	start(&a, q, false, 0);
	qn = take_question(q, &ev);
	assert_int_equal(qn->type, EVENT_ASK_HOSTKEY);
	assert_string_equal(qn->host, "node1 (127.0.10.4:22)");
	assert_string_equal(qn->key_type, "ssh-ed25519");
	assert_string_equal(qn->fingerprint, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
	assert_string_equal(ev.host, "node1 (127.0.10.4:22)");
	/* The worker waits for the answer, however long it takes. */
	usleep(200 * 1000);
	assert_false(atomic_load(&a.returned));
	event_answer_hostkey(q, qn, REMOTE_HOSTKEY_ACCEPT_ONCE);
	finish(&a);
	assert_int_equal(a.hostkey, REMOTE_HOSTKEY_ACCEPT_ONCE);
	event_clear(&ev);

	start(&a, q, false, 0);
	qn = take_question(q, &ev);
	event_answer_hostkey(q, qn, REMOTE_HOSTKEY_REJECT);
	finish(&a);
	assert_int_equal(a.hostkey, REMOTE_HOSTKEY_REJECT);
	event_clear(&ev);
	assert_false(readable(q));
	event_queue_free(&q);
}

static void secret_question(void **state)
{
	struct event_queue *q = event_queue_new();
	struct asker a;
	struct event ev;
	struct event_question *qn = NULL;

	(void)state;
	/* Answered: the secret lands in the transport's buffer. */
	start(&a, q, true, 16);
	qn = take_question(q, &ev);
	assert_int_equal(qn->type, EVENT_ASK_SECRET);
	assert_ptr_equal(qn->secret, &sudo_req);
	assert_string_equal(ev.host, "node1 (127.0.10.4:22)");
	/* The question carries no secret to the front end. */
	assert_null(ev.text);
	assert_null(ev.detail);
	usleep(200 * 1000);
	assert_false(atomic_load(&a.returned));
	event_answer_secret(q, qn, "hunter2");
	finish(&a);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.buf, "hunter2");
	event_clear(&ev);

	/* Longer than the buffer (with its NUL): refused, nothing written. */
	start(&a, q, true, 8);
	qn = take_question(q, &ev);
	event_answer_secret(q, qn, "12345678");
	finish(&a);
	assert_int_equal(a.rc, -1);
	assert_string_equal(a.buf, "untouched");
	event_clear(&ev);
	/* One byte shorter fits. */
	start(&a, q, true, 8);
	qn = take_question(q, &ev);
	event_answer_secret(q, qn, "1234567");
	finish(&a);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.buf, "1234567");
	event_clear(&ev);

	/* The operator declines. */
	start(&a, q, true, 16);
	qn = take_question(q, &ev);
	event_answer_secret(q, qn, NULL);
	finish(&a);
	assert_int_equal(a.rc, -1);
	assert_string_equal(a.buf, "untouched");
	event_clear(&ev);
	event_queue_free(&q);
}

/* A front end that cannot ask: refused at once, nothing queued. */
static void refused_without_asking(void **state)
{
	struct event_queue *q = event_queue_new();
	struct asker a;
	struct event ev;

	(void)state;
	event_queue_refuse_questions(q, true);
	start(&a, q, false, 0);
	finish(&a);
	assert_int_equal(a.hostkey, REMOTE_HOSTKEY_REJECT);
	start(&a, q, true, 16);
	finish(&a);
	assert_int_equal(a.rc, -1);
	assert_string_equal(a.buf, "untouched");
	assert_false(readable(q));
	assert_false(event_pop(q, &ev));

	/* And asked again once it can. */
	event_queue_refuse_questions(q, false);
	start(&a, q, false, 0);
	event_answer_hostkey(q, take_question(q, &ev), REMOTE_HOSTKEY_ACCEPT_SAVE);
	finish(&a);
	assert_int_equal(a.hostkey, REMOTE_HOSTKEY_ACCEPT_SAVE);
	event_clear(&ev);
	event_queue_free(&q);
}

/* Two workers ask at once: one question at a time reaches the front end. */
static void one_question_at_a_time(void **state)
{
	struct event_queue *q = event_queue_new();
	struct asker a, b;
	struct event ev1, ev2;
	struct event_question *first = NULL, *second = NULL;
	enum event_question_type first_type;

	(void)state;
	start(&a, q, false, 0);
	start(&b, q, true, 16);
	first = take_question(q, &ev1);
	/* The question lives in the asker's frame: only until answered. */
	first_type = first->type;
	/* The other waits its turn, not in the queue. */
	assert_false(event_wait(q, 200));
	if (first->type == EVENT_ASK_HOSTKEY)
		event_answer_hostkey(q, first, REMOTE_HOSTKEY_ACCEPT_ONCE);
	else
		event_answer_secret(q, first, "s3cret");
	second = take_question(q, &ev2);
	assert_int_not_equal(second->type, first_type);
	if (second->type == EVENT_ASK_HOSTKEY)
		event_answer_hostkey(q, second, REMOTE_HOSTKEY_ACCEPT_ONCE);
	else
		event_answer_secret(q, second, "s3cret");
	finish(&a);
	finish(&b);
	assert_int_equal(a.hostkey, REMOTE_HOSTKEY_ACCEPT_ONCE);
	assert_int_equal(b.rc, 0);
	assert_string_equal(b.buf, "s3cret");
	event_clear(&ev1);
	event_clear(&ev2);
	event_queue_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_and_copies),
		cmocka_unit_test(fd_readable_while_waiting),
		cmocka_unit_test(output_bound),
		cmocka_unit_test(producers_in_threads),
		cmocka_unit_test(hostkey_question),
		cmocka_unit_test(secret_question),
		cmocka_unit_test(refused_without_asking),
		cmocka_unit_test(one_question_at_a_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
