/* The state directory's lock, held by another process (a child of this
 * test: flock belongs to an open file, so another process is the honest
 * test): a second run is refused and told who holds it; once the holder is
 * killed, the lock is taken over; a released lock is free and empty. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "statelock.h"
#include "xmalloc.h"

struct fixture {
	char dir[64];
	char *lock_path;
	pid_t child;
	int to_child; /* closing it lets the child go */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	xsnprintf(f->dir, sizeof f->dir, "/tmp/k8sw-statelock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->lock_path = xasprintf("%s/lock", f->dir);
	f->child = -1;
	f->to_child = -1;
	*state = f;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
	}
	if (f->to_child >= 0)
		close(f->to_child);
	nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f->lock_path);
	free(f);
	return 0;
}

/* A child takes the lock for command and holds it until to_child closes
 * (then releases it) or it is killed. Returns once it holds it. */
static void child_takes(struct fixture *f, const char *command)
{
	int ready[2], go[2];
	char c = 0;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	f->child = fork();
	assert_true(f->child >= 0);
	if (f->child == 0) {
		struct statelock *l = NULL;
		char *err = NULL;
		char ok;

		close(ready[0]);
		close(go[1]);
		ok = statelock_take(f->dir, command, &l, &err) == 0 ? 'y' : 'n';
		if (write(ready[1], &ok, 1) != 1)
			_exit(2);
		/* Hold it until told. */
		while (read(go[0], &c, 1) > 0)
			;
		statelock_release(&l);
		_exit(l == NULL ? 0 : 3);
	}
	close(ready[1]);
	close(go[0]);
	f->to_child = go[1];
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(c, 'y');
}

static char *lock_file(const struct fixture *f)
{
	FILE *fp = fopen(f->lock_path, "r");
	char buf[512] = "";
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return xstrdup(buf);
}

static void held_then_taken_over(void **state)
{
	struct fixture *f = *state;
	struct statelock *l = NULL;
	char *err = NULL, *want = NULL, *text = NULL;
	struct stat st;
	int status = 0;

	child_takes(f, "apply --a-long-command-line");
	text = lock_file(f);
	want = xasprintf("pid %ld: k8s-wizard apply --a-long-command-line since ", (long)f->child);
	assert_int_equal(strncmp(text, want, strlen(want)), 0);
	free(text);
	assert_int_equal(stat(f->lock_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A second run is refused, and told who holds the directory. */
	assert_int_equal(statelock_take(f->dir, "resume", &l, &err), 1);
	assert_null(l);
	assert_non_null(err);
	assert_non_null(strstr(err, f->dir));
	assert_non_null(strstr(err, want));
	free(err);
	err = NULL;
	free(want);

	/* The holder dies without a word: its lock goes with it. */
	assert_int_equal(kill(f->child, SIGKILL), 0);
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	assert_true(WIFSIGNALED(status));
	f->child = -1;
	assert_int_equal(statelock_take(f->dir, "resume", &l, &err), 0);
	assert_null(err);
	assert_non_null(l);
	text = lock_file(f);
	want = xasprintf("pid %ld: k8s-wizard resume since ", (long)getpid());
	assert_int_equal(strncmp(text, want, strlen(want)), 0);
	/* One line: nothing of the dead holder's longer one is left. */
	assert_non_null(strchr(text, '\n'));
	assert_string_equal(strchr(text, '\n'), "\n");
	free(text);
	free(want);

	/* Released: free again, and the file no longer names anyone. */
	statelock_release(&l);
	assert_null(l);
	statelock_release(&l); /* NULL is fine */
	text = lock_file(f);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(statelock_take(f->dir, "apply", &l, &err), 0);
	statelock_release(&l);
}

/* A holder that ends properly lets go too; while it holds the lock, even
 * this process's second take is refused (flock belongs to an open file). */
static void released_by_holder(void **state)
{
	struct fixture *f = *state;
	struct statelock *l = NULL, *l2 = NULL;
	char *err = NULL;
	int status = 0;

	child_takes(f, "apply");
	assert_int_equal(statelock_take(f->dir, "apply", &l, &err), 1);
	free(err);
	err = NULL;
	close(f->to_child);
	f->to_child = -1;
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f->child = -1;
	assert_int_equal(statelock_take(f->dir, "apply", &l, &err), 0);
	assert_int_equal(statelock_take(f->dir, "status", &l2, &err), 1);
	assert_null(l2);
	assert_non_null(strstr(err, "k8s-wizard apply"));
	free(err);
	statelock_release(&l);
}

/* A holder that has not yet said who it is. */
static void holder_unknown(void **state)
{
	struct fixture *f = *state;
	struct statelock *l = NULL;
	char *err = NULL;

	child_takes(f, "apply");
	assert_int_equal(truncate(f->lock_path, 0), 0);
	assert_int_equal(statelock_take(f->dir, "apply", &l, &err), 1);
	assert_non_null(strstr(err, "(unknown process)"));
	free(err);
}

static void errors(void **state)
{
	struct fixture *f = *state;
	struct statelock *l = NULL;
	char *err = NULL, *missing = xasprintf("%s/none", f->dir);

	/* No such directory. */
	assert_int_equal(statelock_take(missing, "apply", &l, &err), -1);
	assert_null(l);
	assert_non_null(strstr(err, "cannot open"));
	free(err);
	err = NULL;
	/* The lock file is a symbolic link: not followed. */
	assert_int_equal(symlink("/etc/passwd", f->lock_path), 0);
	assert_int_equal(statelock_take(f->dir, "apply", &l, &err), -1);
	assert_null(l);
	assert_non_null(strstr(err, "cannot open"));
	free(err);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(held_then_taken_over, setup, teardown),
		cmocka_unit_test_setup_teardown(released_by_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(holder_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
