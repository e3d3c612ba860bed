/* The transport's parts that need no host: known_hosts matching (plain and
 * hashed by OpenSSH's ssh-keygen -H), command wrapping, the upload script
 * (run here by the real /bin/sh on a temporary directory), file digests and
 * the plan's settings per host. The lab test (tests/lab-ssh.sh) does the rest
 * against real sshd hosts. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan.h"
#include "remote.h"
#include "xmalloc.h"

extern char **environ;

static bool matches(const char *field, const char *host)
{
	return remote_known_field_matches(field, strlen(field), host);
}

static void known_hosts_fields(void **state)
{
	/* Written by ssh-keygen -H for "[127.0.0.11]:2222" and "10.1.1.1". */
	const char *hashed_port = "|1|UrE4eFd6OJXV3luWwCjJjsXkuC8=|kgOAL9FPxzRQreoWO6VO8etMeWg=";
	const char *hashed_plain = "|1|AjPzXaDMT+sAble+Ex/mZFOb6D0=|6l6OXwuYvtipq0xNKfcGH7WCM6w=";

	(void)state;
	assert_false(matches("", "10.1.1.1"));
	assert_true(matches("10.1.1.1", "10.1.1.1"));
	assert_false(matches("10.1.1.10", "10.1.1.1"));
	assert_false(matches("10.1.1.1", "10.1.1.10"));
	assert_true(matches("node1,10.1.1.1,other", "10.1.1.1"));
	assert_true(matches("[127.0.0.11]:2222", "[127.0.0.11]:2222"));
	assert_false(matches("127.0.0.11", "[127.0.0.11]:2222"));
	assert_true(matches(hashed_port, "[127.0.0.11]:2222"));
	assert_false(matches(hashed_port, "[127.0.0.11]:2223"));
	assert_false(matches(hashed_port, "127.0.0.11"));
	assert_true(matches(hashed_plain, "10.1.1.1"));
	assert_false(matches(hashed_plain, "10.1.1.2"));
	assert_false(matches("|1|", "10.1.1.1"));
	assert_false(matches("|1|AjPz|", "10.1.1.1"));
	assert_false(matches("|1|!!!!|6l6OXwuYvtipq0xNKfcGH7WCM6w=", "10.1.1.1"));
}

static void wrapping(void **state)
{
	char *w = NULL;

	(void)state;
	w = remote_wrap_command("echo hi", "", 0);
	assert_string_equal(w, "echo hi");
	free(w);
	w = remote_wrap_command("echo 'hi'; id", "sudo -n -- ", 0);
	assert_string_equal(w, "sudo -n -- sh -c 'echo '\\''hi'\\''; id'");
	free(w);
	w = remote_wrap_command("sleep 9", "", 30);
	assert_string_equal(w, "timeout -k 5 30 sh -c 'sleep 9'");
	free(w);
	w = remote_wrap_command("true", "sudo -S -k -p '' -- ", 2);
	assert_string_equal(w, "sudo -S -k -p '' -- timeout -k 5 2 sh -c 'true'");
	free(w);
}

/* Run sh -c script with input on stdin; its stdout into out (4 KiB). */
static int run_sh(const char *script, const void *input, size_t len, char *out)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	posix_spawn_file_actions_t fa;
	int in[2], o[2], status = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(o), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, o[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, o[0]);
	assert_int_equal(posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(o[1]);
	if (len > 0)
		assert_int_equal(write(in[1], input, len), (ssize_t)len);
	close(in[1]);
	while ((r = read(o[0], out + n, 4095 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(o[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Names in dir that start with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void upload_script(void **state)
{
	char tmpl[] = "/tmp/k8sw-test-remote.XXXXXX";
	char *dir = mkdtemp(tmpl), *sub = NULL, *dest = NULL, *script = NULL, *path = NULL;
	char out[4096], buf[64];
	const char data[] = "the file's content\n";
	struct remote_file *f = NULL;
	struct stat st;
	FILE *fp = NULL;
	char *err = NULL;

	(void)state;
	assert_non_null(dir);
	/* A destination full of shell syntax, in a directory not there yet. */
	sub = xasprintf("%s/sub dir", dir);
	dest = xasprintf("%s/it's;$(touch %s/pwned)`x`", sub, dir);
	path = xasprintf("%s/src", dir);
	fp = fopen(path, "w");
	fputs(data, fp);
	fclose(fp);
	f = remote_file_open(path, &err);
	assert_non_null(f);

	script = remote_upload_script(dest, f, 0640, NULL, true);
	assert_int_equal(run_sh(script, NULL, 0, out), 0);
	assert_string_equal(out, "differs\n");
	free(script);

	/* A stream cut short is refused: nothing at dest, no temporary left. */
	script = remote_upload_script(dest, f, 0640, NULL, false);
	assert_int_not_equal(run_sh(script, data, 5, out), 0);
	assert_int_equal(stat(dest, &st), -1);
	assert_int_equal(count_prefixed(sub, ".k8sw-upload"), 0);

	/* The whole stream is put in place with its mode. */
	assert_int_equal(run_sh(script, data, strlen(data), out), 0);
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	fp = fopen(dest, "r");
	assert_non_null(fgets(buf, sizeof buf, fp));
	fclose(fp);
	assert_string_equal(buf, data);
	assert_int_equal(count_prefixed(sub, ".k8sw-upload"), 0);
	free(script);
	free(path);
	path = xasprintf("%s/pwned", dir);
	assert_int_equal(access(path, F_OK), -1);

	/* Now the host has it: the check says so and fixes the mode. */
	chmod(dest, 0600);
	script = remote_upload_script(dest, f, 0644, NULL, true);
	assert_int_equal(run_sh(script, NULL, 0, out), 0);
	assert_string_equal(out, "same\n");
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	free(script);

	/* dest's name holds slashes, so the upload made directories for it. */
	assert_int_equal(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	assert_int_equal(access(dir, F_OK), -1);
	free(path);
	free(dest);
	free(sub);
	remote_file_free(&f);
	assert_null(f);
}

static void file_digest(void **state)
{
	char path[] = "/tmp/k8sw-test-digest.XXXXXX";
	int fd = mkstemp(path);
	struct remote_file *f = NULL;
	char *err = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	f = remote_file_open(path, &err);
	assert_non_null(f);
	/* The FIPS 180-2 test vector for "abc". */
	assert_string_equal(remote_file_sha256(f),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(remote_file_size(f), 3);
	remote_file_free(&f);
	unlink(path);
	f = remote_file_open(path, &err);
	assert_null(f);
	assert_non_null(strstr(err, path));
	free(err);
	err = NULL;
	f = remote_file_open("/tmp", &err);
	assert_null(f);
	assert_non_null(strstr(err, "not a regular file"));
	free(err);
}

static void from_plan(void **state)
{
	struct plan *p = plan_new_default();
	struct remote_target t;
	struct remote_config c = { 0 };

	(void)state;
	p->ssh.port = 2222;
	p->hosts[1].port = 22022;
	plan_set_string(&p->hosts[1].user, "ops");
	remote_target_from_plan(p, 0, &t);
	assert_string_equal(t.name, "master1");
	assert_string_equal(t.address, "10.1.1.1");
	assert_int_equal(t.port, 2222);
	assert_string_equal(t.user, "root");
	remote_target_from_plan(p, 1, &t);
	assert_int_equal(t.port, 22022);
	assert_string_equal(t.user, "ops");
	plan_set_string(&p->ssh.bastion, "jump@10.0.0.1:2200");
	remote_config_from_plan(p, &c);
	assert_string_equal(c.bastion, "jump@10.0.0.1:2200");
	assert_int_equal(c.connect_timeout, 10);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_hosts_fields),
		cmocka_unit_test(wrapping),
		cmocka_unit_test(upload_script),
		cmocka_unit_test(file_digest),
		cmocka_unit_test(from_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
