/* Unit tests of src/homedir.c: ~/ means $HOME, then the password database's
 * home (read with getpwuid_r); nothing else is touched. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <unistd.h>

#include <cmocka.h>

#include "homedir.h"
#include "xmalloc.h"

static void expand_checked(const char *path, const char *want)
{
	char *err = NULL;
	char *got = homedir_expand(path, &err);

	assert_null(err);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' expanded to '%s', expected '%s'", path, got, want);
	free(got);
}

static void expands_tilde_slash(void **state)
{
	(void)state;
	setenv("HOME", "/home/op", 1);
	expand_checked("~/.ssh/id_ed25519", "/home/op/.ssh/id_ed25519");
	expand_checked("~", "/home/op");
	expand_checked("~/", "/home/op/");
	/* Only the operator's own ~ is expanded; the rest is left as written. */
	expand_checked("~root/.ssh/key", "~root/.ssh/key");
	expand_checked("/etc/ssh/key", "/etc/ssh/key");
	expand_checked("keys/~/x", "keys/~/x");
	expand_checked("", "");
	setenv("HOME", "/", 1);
	expand_checked("~/key", "/key");
	expand_checked("~", "/");
}

/* Without a usable $HOME the password database answers. */
static void falls_back_to_passwd(void **state)
{
	struct passwd *pw = getpwuid(getuid()); /* one thread here */
	char *err = NULL;
	char *home = NULL;
	char *want = NULL;

	(void)state;
	assert_non_null(pw);
	want = xstrdup(pw->pw_dir);
	setenv("HOME", "relative/home", 1);
	home = homedir_get(&err);
	assert_non_null(home);
	assert_string_equal(home, want);
	free(home);
	unsetenv("HOME");
	home = homedir_get(&err);
	assert_non_null(home);
	assert_string_equal(home, want);
	free(home);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(expands_tilde_slash),
		cmocka_unit_test(falls_back_to_passwd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
