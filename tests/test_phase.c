/* The phase table: names round-trip, hosts per phase, add-ons switched off. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "phase.h"
#include "plan.h"

static void names(void **state)
{
	(void)state;
	assert_int_equal(phase_from_name("nope"), -1);
	assert_int_equal(phase_from_name(""), -1);
	assert_string_equal(phase_name(PHASE_COUNT), "?");
	assert_string_equal(phase_name(PHASE_CONTROLLER_MANAGER), "controller-manager");
	for (int i = 0; i < PHASE_COUNT; i++)
		assert_int_equal(phase_from_name(phase_name((enum phase)i)), i);
}

static void roles(void **state)
{
	(void)state;
	assert_int_equal(phase_roles(PHASE_ETCD), ROLE_ETCD);
	assert_int_equal(phase_roles(PHASE_WORKERS), ROLE_WORKER);
	assert_int_equal(phase_roles(PHASE_KUBELET), ROLE_MASTER);
	assert_int_equal(phase_roles(PHASE_CALICO), 0);
	assert_true(phase_roles(PHASE_PREFLIGHT) & ROLE_WORKER);
}

static void addons(void **state)
{
	struct plan *p = plan_new_default();

	(void)state;
	for (int i = 0; i < PHASE_COUNT; i++)
		assert_true(phase_enabled(p, (enum phase)i));
	p->addons.metrics_server.enabled = false;
	assert_false(phase_enabled(p, PHASE_METRICS_SERVER));
	assert_true(phase_enabled(p, PHASE_CSR_APPROVER));
	p->addons.calico.enabled = false;
	assert_false(phase_enabled(p, PHASE_CALICO));
	assert_true(phase_enabled(p, PHASE_WORKERS));
	assert_false(phase_enabled(p, PHASE_COUNT));
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(roles),
		cmocka_unit_test(addons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
