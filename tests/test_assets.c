/* The templates built into the program: every file under assets/templates is
 * there, byte for byte, and nothing else; lookup by name; template_read()
 * takes them unless K8SW_ASSETS_DIR overrides them. */
#include "config.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "assets.h"
#include "strbuf.h"
#include "template.h"
#include "xmalloc.h"

static const char *top(void)
{
	const char *t = getenv("top_srcdir");

	return t != NULL ? t : "..";
}

static char *slurp(const char *path, size_t *size)
{
	struct strbuf b = { 0 };
	char chunk[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		strbuf_add(&b, chunk, n);
	assert_int_equal(ferror(f), 0);
	fclose(f);
	return strbuf_detach(&b, size);
}

static size_t n_on_disk;
static size_t assets_prefix; /* length of "TOP/assets/" */

static int compare_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const struct assets_file *file = assets_find(path + assets_prefix);
	char *text = NULL;
	size_t size = 0;

	(void)st;
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	if (file == NULL)
		fail_msg("%s is not built in", path + assets_prefix);
	text = slurp(path, &size);
	assert_int_equal(file->size, size);
	assert_memory_equal(file->data, text, size);
	assert_int_equal(file->data[size], '\0');
	free(text);
	n_on_disk++;
	return 0;
}

/* The tree on disk and the table agree both ways. */
static void test_all_built_in(void **state)
{
	char *dir = xasprintf("%s/assets/templates", top());
	size_t n = 0;

	(void)state;
	assets_prefix = strlen(top()) + strlen("/assets/");
	n_on_disk = 0;
	assert_int_equal(nftw(dir, compare_file, 16, FTW_PHYS), 0);
	assert_true(n_on_disk > 0);
	while (assets_at(n) != NULL) {
		if (n > 0)
			assert_true(strcmp(assets_at(n - 1)->name, assets_at(n)->name) < 0);
		n++;
	}
	assert_int_equal(n, n_on_disk);
	free(dir);
}

static void test_find(void **state)
{
	(void)state;
	assert_non_null(assets_find("templates/crictl.yaml"));
	assert_non_null(assets_find("templates/static-pods/etcd.yaml"));
	assert_null(assets_find("crictl.yaml"));
	assert_null(assets_find("templates/"));
	assert_null(assets_find("templates/static-pods/etcd.yam"));
	assert_null(assets_find(""));
}

/* Without K8SW_ASSETS_DIR the built-in copy, with it the directory. */
static void test_template_read(void **state)
{
	char *path = xasprintf("%s/assets/templates/kubelet/kubelet.env", top());
	char *text = NULL, *err = NULL, *disk = slurp(path, NULL);
	char *dir = xasprintf("/tmp/k8sw-test-assets.XXXXXX");
	char *other = NULL;
	FILE *f = NULL;

	(void)state;
	unsetenv("K8SW_ASSETS_DIR");
	assert_null(template_assets_dir());
	assert_int_equal(template_read("kubelet/kubelet.env", &text, &err), 0);
	assert_null(err);
	assert_string_equal(text, disk);
	free(text);

	assert_int_equal(template_read("kubelet/nothing.env", &text, &err), -1);
	assert_null(text);
	assert_non_null(strstr(err, "kubelet/nothing.env"));
	free(err);
	err = NULL;

	/* An empty value is no override. */
	setenv("K8SW_ASSETS_DIR", "", 1);
	assert_null(template_assets_dir());

	assert_non_null(mkdtemp(dir));
	other = xasprintf("%s/templates", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	free(other);
	other = xasprintf("%s/templates/kubelet.env", dir);
	f = fopen(other, "w");
	assert_non_null(f);
	fputs("override\n", f);
	fclose(f);
	setenv("K8SW_ASSETS_DIR", dir, 1);
	assert_string_equal(template_assets_dir(), dir);
	assert_int_equal(template_read("kubelet.env", &text, &err), 0);
	assert_string_equal(text, "override\n");
	free(text);
	/* The override is the whole truth: no fallback to the built-in copy. */
	assert_int_equal(template_read("kubelet/kubelet.env", &text, &err), -1);
	assert_non_null(strstr(err, "K8SW_ASSETS_DIR"));
	free(err);
	unsetenv("K8SW_ASSETS_DIR");

	remove(other);
	free(other);
	other = xasprintf("%s/templates", dir);
	rmdir(other);
	rmdir(dir);
	free(other);
	free(dir);
	free(disk);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_built_in),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_template_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
