/* The bundle's layout and where its directory is found. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundle.h"
#include "plan.h"

static void test_layout(void **state)
{
	char *p = NULL;

	(void)state;
	/* Every item has a file; binaries have a place and hosts, manifests none. */
	for (int i = 0; i < BUNDLE_COUNT; i++) {
		const struct bundle_entry *e = bundle_entry(i);

		assert_non_null(e->file);
		assert_non_null(e->what);
		assert_true((e->host_path != NULL) == (e->roles != 0));
		if (e->host_path != NULL) {
			assert_int_equal(e->host_path[0], '/');
			assert_int_equal(e->mode, 0755);
		}
	}
	assert_string_equal(bundle_entry(BUNDLE_RUNC)->host_path, "/usr/local/sbin/runc");
	assert_int_equal(bundle_entry(BUNDLE_KUBECTL)->roles, ROLE_MASTER);
	p = bundle_path("/b", BUNDLE_CALICO);
	assert_string_equal(p, "/b/manifests/calico.yaml");
	free(p);
}

static void test_dir(void **state)
{
	struct plan *p = plan_new_default();
	char *dir = NULL, *err = NULL;

	(void)state;
	setenv("HOME", "/home/op", 1);
	dir = bundle_dir(p, "/plans", &err);
	assert_string_equal(dir, "/home/op/k8s-bundle");
	free(dir);
	plan_set_string(&p->binaries.bundle_dir, "bundle");
	dir = bundle_dir(p, "/plans", &err);
	assert_string_equal(dir, "/plans/bundle");
	free(dir);
	dir = bundle_dir(p, NULL, &err);
	assert_string_equal(dir, "./bundle");
	free(dir);
	plan_set_string(&p->binaries.bundle_dir, "/srv/b");
	dir = bundle_dir(p, "/plans", &err);
	assert_string_equal(dir, "/srv/b");
	free(dir);
	plan_set_string(&p->binaries.bundle_dir, NULL);
	assert_null(bundle_dir(p, "/plans", &err));
	assert_non_null(strstr(err, "bundleDir is not set"));
	free(err);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
