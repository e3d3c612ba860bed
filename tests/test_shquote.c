/* Shell quoting: exact output for simple cases, then the real test: every
 * quoted string, however hostile, comes back unchanged from /bin/sh. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shquote.h"
#include "xmalloc.h"

extern char **environ;

/* Run sh -c script and return what it printed (at most 4095 bytes). */
static char *sh_output(const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	posix_spawn_file_actions_t fa;
	char *out = xcalloc(1, 4096);
	size_t n = 0;
	ssize_t r;
	int fds[2], status = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	assert_int_equal(posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while ((r = read(fds[0], out + n, 4095 - n)) > 0)
		n += (size_t)r;
	close(fds[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return out;
}

static void simple(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "''" },
		{ "abc", "'abc'" },
		{ "it's", "'it'\\''s'" },
		{ "'", "''\\'''" },
		{ "a b", "'a b'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *q = shquote_arg(cases[i].in);

		assert_string_equal(q, cases[i].out);
		free(q);
	}
}

static const char *const hostile[] = {
	"plain",
	"",
	"two words",
	"it's",
	"''''",
	"$(touch /tmp/k8sw-shquote-pwned)",
	"`touch /tmp/k8sw-shquote-pwned`",
	"a;b|c&d>e<f",
	"$HOME ${PATH} $1 $@ $*",
	"back\\slash\\",
	"new\nline",
	"tab\there",
	"*?[a-z]~",
	"\"double\"",
	"-n",
	"!bang #hash",
};

static void round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		char *q = shquote_arg(hostile[i]);
		char *script = xasprintf("printf '%%s' %s", q);
		char *out = sh_output(script);

		assert_string_equal(out, hostile[i]);
		free(out);
		free(script);
		free(q);
	}
	assert_int_equal(access("/tmp/k8sw-shquote-pwned", F_OK), -1);
}

static void join(void **state)
{
	size_t n = sizeof hostile / sizeof hostile[0];
	char *cmd = NULL;
	char *script = NULL;
	char *out = NULL;
	char *want = xstrdup("");

	(void)state;
	for (size_t i = 0; i < n; i++)
		shquote_append(&cmd, hostile[i]);
	script = xasprintf("for a in %s; do printf '%%s|' \"$a\"; done", cmd);
	out = sh_output(script);
	for (size_t i = 0; i < n; i++) {
		char *w = xasprintf("%s%s|", want, hostile[i]);

		free(want);
		want = w;
	}
	/* Every word arrives as one word, unchanged. */
	assert_string_equal(out, want);
	free(want);
	free(out);
	free(script);
	free(cmd);
	cmd = NULL;
	shquote_append(&cmd, "a b");
	shquote_append(&cmd, "c");
	assert_string_equal(cmd, "'a b' 'c'");
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(simple),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(join),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
