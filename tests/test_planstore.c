/* planstore: saving into the state directory, listing, restoring, notes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "plan.h"
#include "planfile.h"
#include "planstore.h"
#include "problem.h"
#include "statelock.h"
#include "xmalloc.h"

static char root[] = "/tmp/k8sw-planstore.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	return setenv("K8SW_STATE_DIR", root, 1);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(root, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void invalid_names_are_refused(void **state)
{
	struct plan *p = plan_new_default();
	char *err = NULL;

	(void)state;
	assert_null(planstore_path("../etc", &err));
	assert_non_null(strstr(err, "../etc"));
	free(err);
	plan_set_string(&p->name, "Bad Name");
	assert_int_equal(planstore_save(p, &err), -1);
	assert_non_null(err);
	free(err);
	plan_free(&p);
}

static void empty_store_lists_nothing(void **state)
{
	struct planstore_list l = { 0 };
	char *err = NULL;
	size_t len = 99;

	(void)state;
	assert_int_equal(planstore_list(&l, &err), 0);
	assert_int_equal(l.n, 0);
	assert_null(planstore_read("kubernetes", &len));
	assert_int_equal(len, 0);
	assert_null(planstore_get_screen("kubernetes"));
	planstore_list_clear(&l);
}

static void save_list_load(void **state)
{
	struct plan *p = plan_new_default();
	struct plan *back = NULL;
	struct planstore_list l = { 0 };
	struct problems problems = { 0 };
	char *err = NULL;
	char *path = NULL;
	char *screen = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(planstore_save(p, &err), 0);
	plan_set_string(&p->name, "edge");
	assert_int_equal(planstore_save(p, &err), 0);
	assert_int_equal(planstore_set_screen("edge", "network", &err), 0);
	/* A directory without a plan and a file are not saved plans. */
	path = xasprintf("%s/empty", root);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
	assert_int_equal(planstore_list(&l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_true(strcmp(l.v[0].cluster, "edge") == 0 || strcmp(l.v[1].cluster, "edge") == 0);
	back = planfile_load(l.v[0].path, &problems, NULL);
	assert_non_null(back);
	assert_int_equal(back->n_hosts, 5);
	screen = planstore_get_screen("edge");
	assert_string_equal(screen, "network");
	free(screen);
	path = xasprintf("%s/edge", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(path);
	planstore_list_clear(&l);
	problems_clear(&problems);
	plan_free(&back);
	plan_free(&p);
}

static void restore_puts_back_or_removes(void **state)
{
	struct plan *p = plan_new_default();
	char *err = NULL;
	char *before = NULL, *after = NULL;
	size_t len = 0, len2 = 0;

	(void)state;
	plan_set_string(&p->name, "restore");
	assert_int_equal(planstore_save(p, &err), 0);
	before = planstore_read("restore", &len);
	assert_non_null(before);
	plan_remove_host(p, 4);
	assert_int_equal(planstore_save(p, &err), 0);
	after = planstore_read("restore", &len2);
	assert_true(len2 < len);
	free(after);
	assert_int_equal(planstore_restore("restore", before, len, &err), 0);
	after = planstore_read("restore", &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(after, before, len);
	free(after);
	assert_int_equal(planstore_set_screen("restore", "hosts", &err), 0);
	assert_int_equal(planstore_restore("restore", NULL, 0, &err), 0);
	assert_null(planstore_read("restore", &len2));
	assert_null(planstore_get_screen("restore"));
	free(before);
	plan_free(&p);
}

/* While a run holds the state directory's lock, the wizard's writes are
 * refused (naming the holder) and change nothing; once it is released they
 * go through. flock treats two open() of the lock file as two holders, so
 * this process can play the run. */
static void writes_refused_while_locked(void **state)
{
	struct plan *p = plan_new_default();
	struct statelock *run = NULL;
	char *err = NULL, *dir = NULL, *text = NULL;
	size_t len = 0;

	(void)state;
	plan_set_string(&p->name, "locked");
	dir = xasprintf("%s/locked", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(statelock_take(dir, "apply", &run, &err), 0);
	assert_int_equal(planstore_save(p, &err), -1);
	assert_non_null(strstr(err, "in use by another run"));
	assert_non_null(strstr(err, "k8s-wizard apply since"));
	xfree(&err);
	assert_null(planstore_read("locked", &len));
	assert_int_equal(planstore_set_screen("locked", "hosts", &err), -1);
	xfree(&err);
	assert_null(planstore_get_screen("locked"));
	assert_int_equal(planstore_restore("locked", "name: x\n", 8, &err), -1);
	xfree(&err);
	assert_null(planstore_read("locked", &len));
	statelock_release(&run);
	assert_int_equal(planstore_save(p, &err), 0);
	text = planstore_read("locked", &len);
	assert_non_null(text);
	free(text);
	free(dir);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(invalid_names_are_refused),
		cmocka_unit_test(empty_store_lists_nothing),
		cmocka_unit_test(save_list_load),
		cmocka_unit_test(restore_puts_back_or_removes),
		cmocka_unit_test(writes_refused_while_locked),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
