/* The Run page's model: events of hosts it does not know are ignored; each
 * host keeps a bounded window of lines, cut at a character boundary, however
 * much it prints; a step's failure is kept with the host's last lines and
 * later its diagnostics, and a second failure does not replace it; cells and
 * phases follow the engine's events; an upload's bytes count once; checks
 * that wait are not results; the engine's own error is in the feed. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "engine.h"
#include "journal.h"
#include "plan.h"
#include "xmalloc.h"
#include "../ui/runmodel.h"

static struct plan *two_hosts(void)
{
	struct plan *p = plan_new_default();

	/* The guide's plan has five hosts: master1..3, node1, node2. */
	assert_true(p->n_hosts >= 2);
	return p;
}

static void feed(struct runmodel *m, enum event_type type, int phase, const char *host,
		 const char *text)
{
	struct event ev = { .type = type, .phase = phase, .step = 0 };

	ev.host = (char *)host;
	ev.text = (char *)text;
	runmodel_event(m, &ev, 1000);
}

static void step_end(struct runmodel *m, int phase, const char *host, enum journal_state st,
		     int exit_code, const char *what, const char *why)
{
	struct event ev = { .type = EVENT_STEP_END, .phase = phase, .step = 0, .status = (int)st,
			    .exit_code = exit_code };

	ev.host = (char *)host;
	ev.text = (char *)what;
	ev.detail = (char *)why;
	runmodel_event(m, &ev, 1000);
}

/* Unknown hosts and questions change nothing. */
static void unknown_host_ignored(void **state)
{
	struct plan *p = two_hosts();
	struct runmodel *m = runmodel_new(p);
	struct event q = { .type = EVENT_QUESTION, .phase = -1, .step = -1 };
	struct event out = { .type = EVENT_OUTPUT, .phase = 0, .step = -1 };

	(void)state;
	assert_null(runmodel_host(m, "ghost"));
	assert_null(runmodel_host(m, NULL));
	assert_int_equal(runmodel_host_index(m, "_cluster"), (int)p->n_hosts);
	out.host = (char *)"ghost";
	out.text = (char *)"boo";
	assert_false(runmodel_event(m, &out, 1));
	assert_false(runmodel_event(m, &q, 1));
	for (size_t i = 0; i < m->n_hosts; i++)
		assert_int_equal(m->hosts[i].lines.n, 0);
	runmodel_free(&m);
	assert_null(m);
	runmodel_free(&m);
	plan_free(&p);
}

/* A host that prints 100,000 long lines leaves the model at its bound. */
static void lines_bounded(void **state)
{
	struct plan *p = two_hosts();
	struct runmodel *m = runmodel_new(p);
	const char *host = p->hosts[0].name;
	char line[2000];
	size_t bound = (size_t)RUNMODEL_LINES * (RUNMODEL_LINE_BYTES + 1);

	(void)state;
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(line, 16, "%07u", i);
		line[7] = ' ';
		feed(m, EVENT_OUTPUT, 2, host, line);
	}
	assert_int_equal(m->hosts[0].lines.n, RUNMODEL_LINES);
	assert_int_equal(m->hosts[0].lines.seen, 100000);
	assert_true(runmodel_line_bytes(m) <= bound);
	assert_int_equal(strlen(runmodel_line(&m->hosts[0], 0)->text), RUNMODEL_LINE_BYTES);
	assert_memory_equal(runmodel_line(&m->hosts[0], 0)->text, "0099999 ", 8);
	assert_memory_equal(runmodel_line(&m->hosts[0], RUNMODEL_LINES - 1)->text,
			    "0099500 ", 8);
	assert_null(runmodel_line(&m->hosts[0], RUNMODEL_LINES));
	runmodel_free(&m);
	plan_free(&p);
}

/* A line cut at the bound ends on a whole character. */
static void cut_whole_characters(void **state)
{
	struct plan *p = two_hosts();
	struct runmodel *m = runmodel_new(p);
	char line[RUNMODEL_LINE_BYTES * 2] = "";
	const char *text = NULL;

	(void)state;
	/* "节" is three bytes: the bound falls inside one. */
	line[0] = 'a';
	for (size_t n = 1; n + 3 < sizeof line; n += 3)
		memcpy(line + n, "节", 3);
	feed(m, EVENT_OUTPUT, 2, p->hosts[1].name, line);
	text = runmodel_line(&m->hosts[1], 0)->text;
	assert_true(strlen(text) <= RUNMODEL_LINE_BYTES);
	assert_int_equal((strlen(text) - 1) % 3, 0);
	assert_true(mbstowcs(NULL, text, 0) != (size_t)-1);
	runmodel_free(&m);
	plan_free(&p);
}

/* The first failure: host, step, exit status, why, its last lines in
 * order, then its diagnostics; a second failure is not the first. */
static void first_failure_kept(void **state)
{
	struct plan *p = two_hosts();
	struct runmodel *m = runmodel_new(p);
	const char *a = p->hosts[0].name, *b = p->hosts[1].name;
	struct event diag = { .type = EVENT_DIAG, .phase = 2, .step = -1 };
	char text[32];

	(void)state;
	feed(m, EVENT_RUN_START, -1, NULL, "run-1");
	feed(m, EVENT_PHASE_START, 2, NULL, NULL);
	feed(m, EVENT_STEP_START, 2, a, "systemctl restart containerd");
	assert_int_equal(m->hosts[0].cells[2], RM_CELL_RUNNING);
	for (int i = 0; i < 20; i++) {
		snprintf(text, sizeof text, "line %d", i);
		feed(m, EVENT_OUTPUT, 2, a, text);
	}
	assert_false(m->failure.set);
	step_end(m, 2, a, JOURNAL_FAILED, 1, "systemctl restart containerd", "exit status 1");
	assert_true(m->failure.set);
	assert_string_equal(m->failure.host, a);
	assert_int_equal(m->failure.phase, 2);
	assert_int_equal(m->failure.exit_code, 1);
	assert_string_equal(m->failure.what, "systemctl restart containerd");
	assert_string_equal(m->failure.why, "exit status 1");
	assert_int_equal(m->failure.n_last, 8);
	assert_string_equal(m->failure.last[0], "line 12");
	assert_string_equal(m->failure.last[7], "line 19");
	assert_int_equal(m->hosts[0].cells[2], RM_CELL_FAILED);
	assert_null(m->failure.diag_path);
	/* Another host's diagnostics are not this failure's. */
	diag.host = (char *)b;
	diag.text = (char *)"/runs/1/b.diag";
	runmodel_event(m, &diag, 1);
	assert_null(m->failure.diag_path);
	diag.host = (char *)a;
	diag.text = (char *)"/runs/1/a.diag";
	diag.detail = (char *)"look at containerd's journal";
	runmodel_event(m, &diag, 1);
	assert_string_equal(m->failure.diag_path, "/runs/1/a.diag");
	assert_string_equal(m->failure.diag_hint, "look at containerd's journal");
	step_end(m, 2, b, JOURNAL_FAILED, 2, "other", "later");
	assert_string_equal(m->failure.host, a);
	assert_int_equal(m->hosts[1].cells[2], RM_CELL_FAILED);
	runmodel_free(&m);
	plan_free(&p);
}

/* Cells and phases: pending, running, done at the phase's end; a host whose
 * part went well in a failed phase is pending again; a phase the plan turns
 * off is skipped from the start. */
static void cells_follow_phases(void **state)
{
	struct plan *p = two_hosts();
	struct runmodel *m = NULL;
	const char *a = p->hosts[0].name, *b = p->hosts[1].name;
	struct event end = { .type = EVENT_PHASE_END, .phase = PHASE_PREPARE, .step = -1,
			     .status = JOURNAL_DONE };

	(void)state;
	p->addons.metrics_server.enabled = false;
	m = runmodel_new(p);
	assert_int_equal(m->phases[PHASE_METRICS_SERVER].state, RM_PHASE_SKIPPED);
	assert_int_equal(m->phases[PHASE_PREPARE].state, RM_PHASE_PENDING);
	assert_int_equal(m->hosts[0].cells[PHASE_PREPARE], RM_CELL_PENDING);
	/* The cluster's row has cells only in phases of the cluster. */
	assert_int_equal(m->hosts[p->n_hosts].cells[PHASE_PREPARE], RM_CELL_NONE);
	feed(m, EVENT_RUN_START, -1, NULL, "run-1");
	feed(m, EVENT_PHASE_START, PHASE_PREPARE, NULL, NULL);
	assert_int_equal(m->current, PHASE_PREPARE);
	assert_int_equal(m->phases[PHASE_PREPARE].state, RM_PHASE_RUNNING);
	feed(m, EVENT_STEP_START, PHASE_PREPARE, a, "sysctl --system");
	step_end(m, PHASE_PREPARE, a, JOURNAL_DONE, 0, "sysctl --system", NULL);
	runmodel_event(m, &end, 5000);
	assert_int_equal(m->phases[PHASE_PREPARE].state, RM_PHASE_DONE);
	assert_int_equal(m->hosts[0].cells[PHASE_PREPARE], RM_CELL_DONE);
	assert_int_equal(m->hosts[1].cells[PHASE_PREPARE], RM_CELL_DONE);
	assert_int_equal(runmodel_phase_ms(m, PHASE_PREPARE, 9999), 4000);
	assert_int_equal(m->current, -1);
	/* containerd fails on b; a's part went well. */
	feed(m, EVENT_PHASE_START, PHASE_CONTAINERD, NULL, NULL);
	feed(m, EVENT_STEP_START, PHASE_CONTAINERD, a, "x");
	step_end(m, PHASE_CONTAINERD, a, JOURNAL_DONE, 0, "x", NULL);
	feed(m, EVENT_STEP_START, PHASE_CONTAINERD, b, "x");
	step_end(m, PHASE_CONTAINERD, b, JOURNAL_FAILED, 1, "x", "exit status 1");
	end.phase = PHASE_CONTAINERD;
	end.status = JOURNAL_FAILED;
	runmodel_event(m, &end, 6000);
	assert_int_equal(m->phases[PHASE_CONTAINERD].state, RM_PHASE_FAILED);
	assert_int_equal(m->hosts[0].cells[PHASE_CONTAINERD], RM_CELL_PENDING);
	assert_int_equal(m->hosts[1].cells[PHASE_CONTAINERD], RM_CELL_FAILED);
	/* The step's line says it is done, once. */
	assert_int_equal(runmodel_line(&m->hosts[0], 0)->kind, RM_LINE_STEP_OK);
	assert_int_equal(runmodel_line(&m->hosts[0], 1)->kind, RM_LINE_STEP_OK);
	assert_null(runmodel_line(&m->hosts[0], 2));
	runmodel_free(&m);
	plan_free(&p);
}

/* An upload's bytes count once, even when its end is reported twice; the
 * share done moves with them. */
static void bytes_once(void **state)
{
	struct plan *p = two_hosts();
	struct runmodel *m = runmodel_new(p);
	struct event start = { .type = EVENT_RUN_START, .phase = -1, .step = -1, .total = 10,
			       .bytes = 1000 };
	struct event prog = { .type = EVENT_PROGRESS, .phase = 2, .step = -1, .total = 500 };

	(void)state;
	runmodel_event(m, &start, 0);
	assert_int_equal(runmodel_permille(m), 0);
	assert_int_equal(runmodel_eta_ms(m, 100), -1);
	feed(m, EVENT_STEP_START, 2, p->hosts[0].name, "upload /usr/local/bin/containerd");
	prog.host = p->hosts[0].name;
	prog.done = 250;
	runmodel_event(m, &prog, 10);
	assert_int_equal(m->bytes_done, 0);
	/* Half of an upload of half the bytes: a quarter of the bytes. */
	assert_int_equal(runmodel_permille(m), 125);
	prog.done = 500;
	runmodel_event(m, &prog, 20);
	runmodel_event(m, &prog, 30);
	assert_int_equal(m->bytes_done, 500);
	step_end(m, 2, p->hosts[0].name, JOURNAL_DONE, 0, "upload /usr/local/bin/containerd",
		 NULL);
	assert_int_equal(m->steps_ended, 1);
	/* (100 + 500) / 2 per mille. */
	assert_int_equal(runmodel_permille(m), 300);
	assert_int_equal(runmodel_eta_ms(m, 10000), 10000 * 700 / 300);
	runmodel_free(&m);
	plan_free(&p);
}

/* A check that waits is what the host does, not a result; passed and
 * failed ones are results, and a failed one is the failure. */
static void checks(void **state)
{
	struct plan *p = two_hosts();
	struct runmodel *m = runmodel_new(p);
	struct event ev = { .type = EVENT_CHECK, .phase = PHASE_KUBELET, .step = -1,
			    .status = EVENT_CHECK_WAITING };

	(void)state;
	ev.host = p->hosts[0].name;
	ev.text = (char *)"kubelet";
	ev.detail = (char *)"expected ok; saw refused";
	runmodel_event(m, &ev, 1);
	assert_int_equal(m->n_checks, 0);
	assert_string_equal(m->hosts[0].doing, "kubelet: expected ok; saw refused");
	ev.status = EVENT_CHECK_PASSED;
	ev.detail = (char *)"expected ok; saw ok";
	runmodel_event(m, &ev, 2);
	assert_int_equal(m->n_checks, 1);
	assert_int_equal(m->checks_passed, 1);
	assert_null(m->hosts[0].doing);
	assert_string_equal(runmodel_check_at(m, 0)->detail, "expected ok; saw ok");
	assert_int_equal(runmodel_feed_at(m, 0)->kind, RM_LINE_CHECK_OK);
	assert_false(m->failure.set);
	ev.host = p->hosts[1].name;
	ev.status = EVENT_CHECK_FAILED;
	ev.detail = (char *)"expected ok; saw refused";
	runmodel_event(m, &ev, 3);
	assert_true(m->failure.set);
	assert_string_equal(m->failure.host, p->hosts[1].name);
	assert_int_equal(m->failure.exit_code, -1);
	assert_string_equal(m->failure.why, "expected ok; saw refused");
	assert_int_equal(m->checks_failed, 1);
	for (int i = 0; i < RUNMODEL_CHECKS * 3; i++)
		runmodel_event(m, &ev, 4);
	assert_int_equal(m->n_checks, RUNMODEL_CHECKS);
	assert_null(runmodel_check_at(m, RUNMODEL_CHECKS));
	runmodel_free(&m);
	plan_free(&p);
}

/* A run that ends in the engine's own error says why in the feed; a run
 * that failed has its failure there already. */
static void run_error(void **state)
{
	struct plan *p = two_hosts();
	struct runmodel *m = runmodel_new(p);
	struct event ev = { .type = EVENT_RUN_END, .phase = -1, .step = -1,
			    .status = ENGINE_FAILED };

	(void)state;
	ev.detail = (char *)"master1: step failed";
	runmodel_event(m, &ev, 1);
	assert_int_equal(m->state, RM_ENDED);
	assert_null(runmodel_feed_at(m, 0));
	ev.status = ENGINE_ERROR;
	ev.detail = (char *)"cannot write the journal: No space left on device";
	runmodel_event(m, &ev, 2);
	assert_int_equal(m->outcome, ENGINE_ERROR);
	assert_non_null(runmodel_feed_at(m, 0));
	assert_int_equal(runmodel_feed_at(m, 0)->kind, RM_LINE_FAILED);
	assert_null(runmodel_feed_at(m, 0)->host);
	assert_string_equal(runmodel_feed_at(m, 0)->text, ev.detail);
	runmodel_free(&m);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_host_ignored), cmocka_unit_test(lines_bounded),
		cmocka_unit_test(cut_whole_characters), cmocka_unit_test(first_failure_kept),
		cmocka_unit_test(cells_follow_phases),	cmocka_unit_test(bytes_once),
		cmocka_unit_test(checks),		cmocka_unit_test(run_error),
	};

	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
