/* The transport's parts that need no host: known_hosts matching (plain and
 * hashed by OpenSSH's ssh-keygen -H), command wrapping and its session
 * announcement, the kill script of a cancel, the upload script (all run here
 * by the real /bin/sh on temporary directories and processes of our own),
 * file digests (on disk and in memory) and the plan's settings per host. The
 * lab tests (tests/lab-ssh.sh, tests/lab-transport.sh) do the rest against
 * real sshd hosts. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "remote.h"
#include "remote_int.h"
#include "xmalloc.h"

extern char **environ;

static bool matches(const char *field, const char *host)
{
	return knownhosts_field_matches(field, strlen(field), host);
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
	/* Always /bin/sh behind the prelude, the command as its one argument. */
	w = remote_wrap_command("echo hi", "", 0);
	assert_true(strncmp(w, "sh -c 'read -r s </proc/$$/stat", 31) == 0);
	assert_non_null(strstr(w, "exec \"$@\"' sh sh -c 'echo hi'"));
	free(w);
	w = remote_wrap_command("echo 'hi'; id", "sudo -n -- ", 0);
	assert_true(strncmp(w, "sudo -n -- sh -c '", 18) == 0);
	assert_non_null(strstr(w, "' sh sh -c 'echo '\\''hi'\\''; id'"));
	free(w);
	w = remote_wrap_command("sleep 9", "", 30);
	assert_true(strncmp(w, "timeout -k 5 30 sh -c '", 23) == 0);
	assert_non_null(strstr(w, "' sh sh -c 'sleep 9'"));
	free(w);
	w = remote_wrap_command("true", "sudo -S -k -p '' -- ", 2);
	assert_true(strncmp(w, "sudo -S -k -p '' -- timeout -k 5 2 sh -c '", 42) == 0);
	free(w);
}

static void session_lines(void **state)
{
	(void)state;
	assert_int_equal(remote_parse_session("\001k8sw-session 4242", 18), 4242);
	assert_int_equal(remote_parse_session("\001k8sw-session 4242x", 19), -1);
	assert_int_equal(remote_parse_session("\001k8sw-session ", 14), -1);
	assert_int_equal(remote_parse_session("\001k8sw-session 1", 15), -1);
	assert_int_equal(remote_parse_session("\001k8sw-session 0", 15), -1);
	assert_int_equal(remote_parse_session("\001k8sw-session 12345678901", 25), -1);
	assert_int_equal(remote_parse_session("k8sw-session 4242", 17), -1);
	assert_int_equal(remote_parse_session("\001k8sw-session -4", 16), -1);
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

static void upload_in_place(void **state)
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

	script = upload_script(dest, f, 0640, NULL, true);
	assert_int_equal(run_sh(script, NULL, 0, out), 0);
	assert_string_equal(out, "differs\n");
	free(script);

	/* A stream cut short is refused: nothing at dest, no temporary left. */
	script = upload_script(dest, f, 0640, NULL, false);
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
	script = upload_script(dest, f, 0644, NULL, true);
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

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start sh -c cmd in a session of its own, as sshd starts a command;
 * optionally with its stdin, stdout and stderr on pipes we get back. */
static pid_t spawn_session(const char *cmd, int *in, int *out, int *err)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int *mine[3] = { in, out, err };
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	for (int i = 0; i < 3; i++) {
		if (mine[i] == NULL)
			continue;
		assert_int_equal(pipe(p[i]), 0);
		posix_spawn_file_actions_adddup2(&fa, p[i][i == 0 ? 0 : 1], i);
		posix_spawn_file_actions_addclose(&fa, p[i][i == 0 ? 1 : 0]);
	}
	assert_int_equal(posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (int i = 0; i < 3; i++) {
		if (mine[i] == NULL)
			continue;
		close(p[i][i == 0 ? 0 : 1]);
		*mine[i] = p[i][i == 0 ? 1 : 0];
	}
	return pid;
}

static void read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
}

/* Live (not zombie) processes of session sid, from /proc as the kill script
 * sees them, counted independently of it. */
static int session_size(long sid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], line[1024], state = 0;
		long ppid = 0, pgrp = 0, session = 0;
		const char *rp = NULL;
		FILE *f = NULL;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(line, sizeof line, f) != NULL && (rp = strrchr(line, ')')) != NULL &&
		    sscanf(rp + 1, " %c %ld %ld %ld", &state, &ppid, &pgrp, &session) == 4 &&
		    session == sid && state != 'Z')
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static void wait_session_size(long sid, int want)
{
	int64_t until = mono_ms() + 5000;

	while (session_size(sid) != want && mono_ms() < until)
		usleep(10000);
	assert_int_equal(session_size(sid), want);
}

/* The wrapped command runs, in its session, and says which session first. */
static void wrapped_announces_session(void **state)
{
	char *w = remote_wrap_command("echo out; echo err >&2; exit 3", "", 0);
	char out[4096], err[4096];
	int o = -1, e = -1, status = 0;
	pid_t pid = spawn_session(w, NULL, &o, &e);
	char *nl = NULL;

	(void)state;
	read_all(o, out, sizeof out);
	read_all(e, err, sizeof err);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_string_equal(out, "out\n");
	nl = strchr(err, '\n');
	assert_non_null(nl);
	assert_int_equal(remote_parse_session(err, (size_t)(nl - err)), (long)pid);
	assert_string_equal(nl + 1, "err\n");
	free(w);
}

/* The kill script ends a whole session: TERM first, KILL for what ignores
 * it, backgrounded children included. */
static void kill_script_ends_session(void **state)
{
	const char *stubborn = "trap '' TERM; sleep 1000 & sleep 1001; echo survived";
	char *k = NULL, out[4096];
	int status = 0;
	int64_t t0;
	pid_t pid;

	(void)state;
	/* Ignores TERM: needs the KILL after the grace. */
	pid = spawn_session(stubborn, NULL, NULL, NULL);
	wait_session_size(pid, 3);
	k = remote_kill_script(pid);
	t0 = mono_ms();
	assert_int_equal(run_sh(k, NULL, 0, out), 0);
	assert_true(mono_ms() - t0 < 2000);
	assert_true(mono_ms() - t0 >= 700);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(session_size(pid), 0);
	free(k);

	/* Heeds TERM: ends by it, at once. timeout(1) puts itself and its
	 * command in a process group of their own: the session holds them. */
	pid = spawn_session("timeout 2000 sleep 1000 & sleep 1001", NULL, NULL, NULL);
	wait_session_size(pid, 4);
	k = remote_kill_script(pid);
	t0 = mono_ms();
	assert_int_equal(run_sh(k, NULL, 0, out), 0);
	assert_true(mono_ms() - t0 < 700);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(session_size(pid), 0);
	free(k);

	/* Nothing left to end: done at once. */
	k = remote_kill_script(pid);
	assert_int_equal(run_sh(k, NULL, 0, out), 0);
	free(k);
}

static void file_in_memory(void **state)
{
	static const char secret[] = "abc";
	struct remote_file *f = remote_file_mem("admin.key", secret, 3);

	(void)state;
	assert_string_equal(remote_file_sha256(f),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(remote_file_size(f), 3);
	assert_string_equal(remote_file_name(f), "admin.key");
	remote_file_free(&f);
	assert_null(f);
	f = remote_file_mem("empty", "", 0);
	assert_string_equal(remote_file_sha256(f),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(remote_file_size(f), 0);
	remote_file_free(&f);
}

/* The upload script with a file from memory; and a cancel's TERM in the
 * middle of the stream leaves neither a temporary file nor dest. */
static void upload_script_memory_and_cancel(void **state)
{
	char tmpl[] = "/tmp/k8sw-test-upmem.XXXXXX";
	char *dir = mkdtemp(tmpl), *dest = NULL, *script = NULL, *path = NULL;
	const char data[] = "apiVersion: v1\nkind: Config\n";
	struct remote_file *f = remote_file_mem("kubeconfig", data, strlen(data));
	char out[4096], buf[128];
	struct stat st;
	FILE *fp = NULL;
	int in = -1, status = 0;
	int64_t until;
	pid_t pid;

	(void)state;
	assert_non_null(dir);
	dest = xasprintf("%s/etc/kubeconfig", dir);
	script = upload_script(dest, f, 0600, NULL, false);
	assert_int_equal(run_sh(script, data, strlen(data), out), 0);
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fp = fopen(dest, "r");
	assert_int_equal(fread(buf, 1, sizeof buf, fp), strlen(data));
	fclose(fp);
	assert_memory_equal(buf, data, strlen(data));
	free(script);
	script = upload_script(dest, f, 0600, NULL, true);
	assert_int_equal(run_sh(script, NULL, 0, out), 0);
	assert_string_equal(out, "same\n");
	free(script);

	/* Half the stream, then TERM to every process of the upload, as the
	 * kill script of a cancel sends it. */
	path = xasprintf("%s/etc", dir);
	unlink(dest);
	script = upload_script(dest, f, 0600, NULL, false);
	pid = spawn_session(script, &in, NULL, NULL);
	assert_int_equal(write(in, data, 5), 5);
	until = mono_ms() + 5000;
	while (count_prefixed(path, ".k8sw-upload") == 0 && mono_ms() < until)
		usleep(10000);
	assert_int_equal(count_prefixed(path, ".k8sw-upload"), 1);
	usleep(50000); /* let cat get the five bytes */
	assert_int_equal(kill(-pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(in);
	assert_int_equal(count_prefixed(path, ".k8sw-upload"), 0);
	assert_int_equal(stat(dest, &st), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(script);
	free(path);
	free(dest);
	remote_file_free(&f);
}

/* A destination that is a directory, or a link to one, is refused with
 * nothing left in it; a link to a file is replaced, never followed, and the
 * same-content check never changes the mode of what a link points to. */
static void upload_links_and_directories(void **state)
{
	char tmpl[] = "/tmp/k8sw-test-uplink.XXXXXX";
	char *dir = mkdtemp(tmpl), *sub = NULL, *victim = NULL, *link = NULL, *script = NULL;
	const char data[] = "secret\n";
	struct remote_file *f = remote_file_mem("data", data, strlen(data));
	char out[4096];
	struct stat st;
	FILE *fp = NULL;

	(void)state;
	assert_non_null(dir);
	sub = xasprintf("%s/sub", dir);
	victim = xasprintf("%s/victim", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	fp = fopen(victim, "w");
	fputs(data, fp);
	fclose(fp);
	assert_int_equal(chmod(victim, 0600), 0);

	/* A directory, then a link to it. */
	script = upload_script(sub, f, 0644, NULL, false);
	assert_int_not_equal(run_sh(script, data, strlen(data), out), 0);
	free(script);
	link = xasprintf("%s/linkdir", dir);
	assert_int_equal(symlink(sub, link), 0);
	script = upload_script(link, f, 0644, NULL, false);
	assert_int_not_equal(run_sh(script, data, strlen(data), out), 0);
	free(script);
	assert_int_equal(count_prefixed(sub, ".k8sw-upload"), 0);
	assert_int_equal(count_prefixed(dir, ".k8sw-upload"), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	free(link);

	/* A link to a file with the same content: not "same" (that would chmod
	 * the file behind it); the upload replaces the link itself. */
	link = xasprintf("%s/linkfile", dir);
	assert_int_equal(symlink(victim, link), 0);
	script = upload_script(link, f, 0666, NULL, true);
	assert_int_equal(run_sh(script, NULL, 0, out), 0);
	assert_string_equal(out, "differs\n");
	free(script);
	script = upload_script(link, f, 0666, NULL, false);
	assert_int_equal(run_sh(script, data, strlen(data), out), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0666);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(script);
	free(link);
	free(victim);
	free(sub);
	remote_file_free(&f);
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

/* identityFile: ~/.ssh/key means the operator's home, as in ssh_config. */
static void identity_file_tilde(void **state)
{
	struct remote_config c = { 0 };
	struct remote_ctx *ctx = NULL;

	(void)state;
	setenv("HOME", "/home/op", 1);
	c.identity_file = "~/.ssh/cluster_ed25519";
	ctx = remote_ctx_new(&c);
	assert_string_equal(ctx->identity_file, "/home/op/.ssh/cluster_ed25519");
	remote_ctx_free(&ctx);
	c.identity_file = "keys/cluster";
	ctx = remote_ctx_new(&c);
	assert_string_equal(ctx->identity_file, "keys/cluster");
	remote_ctx_free(&ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_hosts_fields),
		cmocka_unit_test(wrapping),
		cmocka_unit_test(session_lines),
		cmocka_unit_test(wrapped_announces_session),
		cmocka_unit_test(kill_script_ends_session),
		cmocka_unit_test(upload_in_place),
		cmocka_unit_test(file_digest),
		cmocka_unit_test(file_in_memory),
		cmocka_unit_test(upload_script_memory_and_cancel),
		cmocka_unit_test(upload_links_and_directories),
		cmocka_unit_test(from_plan),
		cmocka_unit_test(identity_file_tilde),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
