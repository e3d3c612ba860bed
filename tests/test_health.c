/* The health checks of health.c against hosts played by this test: the
 * preflight facts parser (good output, missing end marker, garbage, listen
 * lines), the real facts command run by /bin/sh on this machine, each
 * preflight check judging scripted facts, the clock's offset from samples
 * and its verdict, the real date command read here, and the read-back
 * checks (sysctl, kernel features, containerd and the CRI, the PKI files) run
 * by the real /bin/sh here with their commands as written, stubs of sysctl,
 * systemctl and crictl first on PATH and /proc read under a directory of the
 * test. Last, the preflight checks as the engine runs them: events, a check
 * skipped by name, every problem of a host reported at once. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "event.h"
#include "health.h"
#include "journal.h"
#include "plan.h"
#include "render.h"
#include "strbuf.h"
#include "xmalloc.h"

extern char **environ;

/* --- a host played by this test ------------------------------------------- */

enum fake_mode {
	FAKE_SCRIPT, /* answer from script() */
	FAKE_SHELL,  /* run the command by /bin/sh here */
	FAKE_LOST,   /* the connection drops */
	FAKE_REFUSED, /* login or sudo refused */
};

struct fake_host {
	enum fake_mode mode;
	/* FAKE_SCRIPT: the standard output and exit status for a command. */
	char *(*script)(struct fake_host *h, const char *command, int *exit_code);
	const char *facts; /* for script_facts(): the facts, without the end marker */
	long long clock_offset_ms; /* the host's clock ahead of ours */
	/* FAKE_SHELL */
	const char *stub_dir;  /* first on PATH */
	const char *proc_root; /* "/proc/" in commands is read under it */
	/* What it was asked. */
	unsigned n_runs;
	char *last_command;
	enum transport_cause cause;
};

static void *fake_open(void *ctx, size_t i)
{
	return &((struct fake_host *)ctx)[i];
}

static void fake_close(void *h)
{
	(void)h;
}

static int fake_connect(void *vh, char **err)
{
	struct fake_host *h = vh;

	if (h->mode == FAKE_REFUSED) {
		h->cause = TRANSPORT_REFUSED;
		*err = xstrdup("sudo: a password is required");
		return -1;
	}
	h->cause = TRANSPORT_OK;
	return 0;
}

/* Hand each line of text to on_line, as the transport does. */
static void deliver(const struct remote_cmd *cmd, enum remote_stream stream, const char *text,
		    size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end && cmd->on_line != NULL) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct remote_line line = { .host = "test", .stream = stream, .text = p, .len = n };

		cmd->on_line(&line, cmd->data);
		p += n + (nl != NULL);
	}
}

/* command with every "/proc/" read under root instead. */
static char *rewrite_proc(const char *command, const char *root)
{
	struct strbuf b = { 0 };
	const char *p = command, *hit = NULL;

	if (root == NULL)
		return xstrdup(command);
	while ((hit = strstr(p, "/proc/")) != NULL) {
		strbuf_add(&b, p, (size_t)(hit - p));
		strbuf_addf(&b, "%s/proc/", root);
		p = hit + 6;
	}
	strbuf_adds(&b, p);
	return strbuf_detach(&b, NULL);
}

/* Run the command by /bin/sh here; its output line by line, as from a host. */
static void shell_run(struct fake_host *h, const struct remote_cmd *cmd, struct remote_result *res)
{
	char *command = rewrite_proc(cmd->command, h->proc_root);
	char *path = xasprintf("PATH=%s:/usr/sbin:/usr/bin:/sbin:/bin",
			       h->stub_dir != NULL ? h->stub_dir : "/nonexistent");
	char *argv[] = { "sh", "-c", command, NULL };
	char *envp[] = { path, "LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	struct strbuf out[2] = { { 0 }, { 0 } };
	int o[2], e[2], status = 0;
	struct pollfd p[2];
	pid_t pid;

	assert_int_equal(pipe(o), 0);
	assert_int_equal(pipe(e), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, e[1], STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, o[0]);
	posix_spawn_file_actions_addclose(&fa, e[0]);
	assert_int_equal(posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(o[1]);
	close(e[1]);
	p[0] = (struct pollfd){ .fd = o[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = e[0], .events = POLLIN };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		assert_true(poll(p, 2, 30000) > 0);
		for (int i = 0; i < 2; i++) {
			char buf[4096];
			ssize_t n;

			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			n = read(p[i].fd, buf, sizeof buf);
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
			} else {
				strbuf_add(&out[i], buf, (size_t)n);
			}
		}
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	deliver(cmd, REMOTE_STDERR, out[1].s != NULL ? out[1].s : "", out[1].len);
	deliver(cmd, REMOTE_STDOUT, out[0].s != NULL ? out[0].s : "", out[0].len);
	res->status = REMOTE_EXITED;
	res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	strbuf_clear(&out[0]);
	strbuf_clear(&out[1]);
	free(command);
	free(path);
}

static int fake_run(void *vh, const struct remote_cmd *cmd, struct remote_result *res,
		    char **err)
{
	struct fake_host *h = vh;
	char *out = NULL;

	memset(res, 0, sizeof *res);
	h->n_runs++;
	free(h->last_command);
	h->last_command = xstrdup(cmd->command);
	switch (h->mode) {
	case FAKE_LOST:
		h->cause = TRANSPORT_LOST;
		res->status = REMOTE_LOST;
		*err = xstrdup("connection lost");
		return -1;
	case FAKE_REFUSED:
		h->cause = TRANSPORT_REFUSED;
		res->status = REMOTE_FAILED;
		*err = xstrdup("sudo: a password is required");
		return -1;
	case FAKE_SHELL:
		h->cause = TRANSPORT_OK;
		shell_run(h, cmd, res);
		return 0;
	case FAKE_SCRIPT:
	default:
		break;
	}
	h->cause = TRANSPORT_OK;
	res->status = REMOTE_EXITED;
	out = h->script(h, cmd->command, &res->exit_code);
	deliver(cmd, REMOTE_STDOUT, out, strlen(out));
	free(out);
	return 0;
}

static enum transport_cause fake_cause(void *vh)
{
	return ((struct fake_host *)vh)->cause;
}

static void fake_cancel(void *vh)
{
	(void)vh;
}

static const struct transport_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.connect = fake_connect,
	.run = fake_run,
	.cancel = fake_cancel,
	.cancel_clear = fake_cancel,
	.cause = fake_cause,
};

/* The facts command's answer (h->facts and the end), or the clock
 * command's (ours plus h->clock_offset_ms). */
static char *script_facts(struct fake_host *h, const char *command, int *exit_code)
{
	struct timespec ts;
	long long ns;

	*exit_code = 0;
	if (strcmp(command, HEALTH_CLOCK_COMMAND) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec +
		     h->clock_offset_ms * 1000000LL;
		return xasprintf("%lld.%09lld\n", ns / 1000000000LL, ns % 1000000000LL);
	}
	if (strcmp(command, health_facts_command()) != 0)
		return xstrdup("");
	return xasprintf("%send=1\n", h->facts);
}

/* --- fixture: the default plan, a render by hand, a directory ------------- */

struct fixture {
	char dir[64];
	struct plan *plan;
	struct render r;
	struct fake_host hosts[5];
	struct check_scratch scratch[5];
};

static void add_file(struct render_host *h, enum phase phase, const char *path, const char *text)
{
	struct render_file *f = NULL;

	h->files = xreallocarray(h->files, h->n_files + 1, sizeof *h->files);
	f = &h->files[h->n_files++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->mode = 0600;
	f->owner = "root:root";
	f->phase = phase;
	f->source_type = RENDER_TEXT;
	f->content = xstrdup(text);
	f->len = strlen(text);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	xsnprintf(f->dir, sizeof f->dir, "/tmp/k8sw-health.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* master1..3 (master, etcd), node1, node2 (workers). */
	f->plan = plan_new_default();
	f->r.n_hosts = f->plan->n_hosts;
	f->r.hosts = xcalloc(f->r.n_hosts, sizeof *f->r.hosts);
	for (size_t i = 0; i < f->r.n_hosts; i++) {
		f->r.hosts[i].name = xstrdup(f->plan->hosts[i].name);
		f->r.hosts[i].roles = f->plan->hosts[i].roles;
		f->hosts[i].mode = FAKE_SCRIPT;
		f->hosts[i].script = script_facts;
	}
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

	nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < f->r.n_hosts; i++) {
		struct render_host *h = &f->r.hosts[i];

		for (size_t k = 0; k < h->n_files; k++) {
			free(h->files[k].path);
			free(h->files[k].content);
		}
		free(h->files);
		free(h->name);
		free(f->hosts[i].last_command);
		if (f->scratch[i].free != NULL)
			f->scratch[i].free(f->scratch[i].data);
	}
	free(f->r.hosts);
	plan_free(&f->plan);
	free(f);
	return 0;
}

static const struct check *find_check(const char *name)
{
	size_t n = 0;
	const struct check *c = health_checks(&n);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	}
	fail_msg("no check %s", name);
	return NULL;
}

/* One attempt of check name on plan host i; *saw gets what it saw. */
static enum check_status attempt(struct fixture *f, const char *name, size_t i, char **saw)
{
	const struct check *c = find_check(name);
	struct check_env env = { .plan = f->plan, .render = &f->r, .ops = &fake_ops,
				 .h = &f->hosts[i], .host = i, .scratch = &f->scratch[i] };
	char *expected = NULL;
	enum check_status st;

	*saw = NULL;
	st = c->run(&env, &expected, saw);
	assert_non_null(expected);
	assert_non_null(*saw);
	free(expected);
	return st;
}

/* As attempt(), and the check's saw must be want. */
static void expect(struct fixture *f, const char *name, size_t i, enum check_status want_st,
		   const char *want_saw)
{
	char *saw = NULL;
	enum check_status st = attempt(f, name, i, &saw);

	if (st != want_st || strcmp(saw, want_saw) != 0)
		fail_msg("%s on host %zu: status %d, saw \"%s\"; wanted %d, \"%s\"", name, i, st,
			 saw, want_st, want_saw);
	free(saw);
}

/* Forget what the checks learnt of host i. */
static void forget(struct fixture *f, size_t i)
{
	if (f->scratch[i].free != NULL)
		f->scratch[i].free(f->scratch[i].data);
	memset(&f->scratch[i], 0, sizeof f->scratch[i]);
	f->hosts[i].n_runs = 0;
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

/* --- the facts parser ----------------------------------------------------- */

static const char good_facts[] =
	"arch=x86_64\n"
	"kernel=6.1.0-18-amd64\n"
	"os=debian 12\n"
	"pretty=Debian GNU/Linux 12 (bookworm)\n"
	"systemd=systemd 252 (252.22-1~deb12u1)\n"
	"cgroupfs=cgroup2fs\n"
	"swaps=0\n"
	"hostname=node1\n"
	"disk_kb=52428800\n"
	"listen=22 sshd\n"
	"listen=10250 kubelet\n"
	"listen=53 \n"
	"resolv=10.0.0.2 10.0.0.3\n"
	"inet=lo 127.0.0.1/8\n"
	"inet=eth0 10.1.1.4/24\n"
	"inet=eth0 fe80::1/64\n";

static void facts_parse_good(void **state)
{
	struct health_facts hf;
	char *out = xasprintf("%send=1\n", good_facts);

	(void)state;
	assert_int_equal(health_facts_parse(out, &hf), 0);
	assert_string_equal(hf.arch, "x86_64");
	assert_string_equal(hf.kernel, "6.1.0-18-amd64");
	assert_string_equal(hf.os, "debian 12");
	assert_string_equal(hf.pretty, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(hf.systemd, "systemd 252 (252.22-1~deb12u1)");
	assert_string_equal(hf.cgroupfs, "cgroup2fs");
	assert_string_equal(hf.hostname, "node1");
	assert_int_equal(hf.swaps, 0);
	assert_int_equal(hf.disk_kb, 52428800);
	assert_int_equal(hf.n_listen, 3);
	assert_string_equal(hf.listen[0], "22 sshd");
	assert_string_equal(hf.listen[1], "10250 kubelet");
	assert_string_equal(hf.listen[2], "53 ");
	assert_string_equal(hf.resolv, "10.0.0.2 10.0.0.3");
	assert_null(hf.resolved);
	assert_int_equal(hf.n_inet, 3);
	assert_string_equal(hf.inet[1], "eth0 10.1.1.4/24");
	health_facts_clear(&hf);
	assert_null(hf.arch);
	assert_null(hf.listen);
	assert_int_equal(hf.n_listen, 0);
	assert_null(hf.inet);
	free(out);

	/* A value with '=' in it is kept whole. */
	out = xasprintf("%spretty=A=B\nend=1\n", good_facts);
	assert_int_equal(health_facts_parse(out, &hf), 0);
	assert_string_equal(hf.pretty, "A=B");
	health_facts_clear(&hf);
	free(out);
}

static void facts_parse_bad(void **state)
{
	struct health_facts hf;
	char *out = NULL;

	(void)state;
	/* Cut before the end marker: everything gathered is let go. */
	out = xstrdup(good_facts);
	assert_int_equal(health_facts_parse(out, &hf), -1);
	assert_null(hf.arch);
	assert_null(hf.listen);
	assert_int_equal(hf.n_listen, 0);
	free(out);
	assert_int_equal(health_facts_parse("", &hf), -1);
	assert_int_equal(health_facts_parse("sh: 1: uname: not found\n\n", &hf), -1);
	assert_int_equal(health_facts_parse("\x01\x02=\xff\nend\n=\n", &hf), -1);
	/* No arch. */
	assert_int_equal(health_facts_parse("kernel=6.1\nend=1\n", &hf), -1);
	/* A fact the command always prints is missing: not its output (the
	 * checks would have nothing to judge). */
	assert_int_equal(health_facts_parse("arch=x86_64\nend=1\n", &hf), -1);
	assert_null(hf.arch);
	/* Numbers that are not numbers are unknown, not zero. */
	out = xasprintf("%sswaps=many\ndisk_kb=\nend=1\n",
			"arch=x86_64\nkernel=6.1.0\nsystemd=\ncgroupfs=tmpfs\nhostname=h\n");
	assert_int_equal(health_facts_parse(out, &hf), 0);
	assert_int_equal(hf.swaps, -1);
	assert_int_equal(hf.disk_kb, -1);
	health_facts_clear(&hf);
	free(out);
}

/* Facts that lack a line the checks read (a host whose output was mangled)
 * must not bring the jump host down: the checks fail, naming why. */
static void partial_facts_fail_cleanly(void **state)
{
	struct fixture *f = *state;
	char *saw = NULL;

	f->hosts[3].facts = "arch=x86_64\n";
	assert_int_equal(attempt(f, "os", 3, &saw), CHECK_FAIL);
	assert_non_null(strstr(saw, "could not be read (exit status 0)"));
	free(saw);
	assert_int_equal(attempt(f, "hostname", 3, &saw), CHECK_FAIL);
	free(saw);
	assert_int_equal(attempt(f, "cgroup2", 3, &saw), CHECK_FAIL);
	free(saw);
}

/* --- the facts command, run here ------------------------------------------ */

/* The value of KEY= in /etc/os-release, unquoted; "" when absent. */
static char *os_release(const char *key)
{
	FILE *fp = fopen("/etc/os-release", "r");
	char line[512];
	size_t klen = strlen(key);
	char *v = xstrdup("");

	while (fp != NULL && fgets(line, sizeof line, fp) != NULL) {
		char *s = line;
		size_t n;

		if (strncmp(s, key, klen) != 0 || s[klen] != '=')
			continue;
		s += klen + 1;
		s[strcspn(s, "\n")] = '\0';
		n = strlen(s);
		if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
			s[n - 1] = '\0';
			s++;
		}
		free(v);
		v = xstrdup(s);
	}
	if (fp != NULL)
		fclose(fp);
	return v;
}

static void collect_stdout(const struct remote_line *line, void *data)
{
	struct strbuf *b = data;

	if (line->stream != REMOTE_STDOUT)
		return;
	strbuf_add(b, line->text, line->len);
	strbuf_addc(b, '\n');
}

static void facts_command_here(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = { 0 };
	struct remote_cmd cmd = { .command = health_facts_command(), .timeout = 30,
				  .on_line = collect_stdout, .data = &out };
	struct remote_result res;
	struct health_facts hf;
	struct utsname u;
	struct statvfs vfs;
	struct statfs sfs;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof sa;
	char host[256] = "", comm[64] = "", line[256], *err = NULL, *want = NULL;
	char *id = os_release("ID"), *ver = os_release("VERSION_ID");
	char *pretty = os_release("PRETTY_NAME");
	long long disk_kb;
	int lfd, cfd, swaps = -1;
	FILE *fp = NULL;
	bool found = false;

	(void)state;
	/* A socket of ours listening: the facts must name its port and us. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
	cfd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	assert_true(cfd >= 0);
	assert_true(read(cfd, comm, sizeof comm - 1) > 0);
	close(cfd);
	comm[strcspn(comm, "\n")] = '\0';

	f->hosts[0].mode = FAKE_SHELL;
	assert_int_equal(fake_run(&f->hosts[0], &cmd, &res, &err), 0);
	assert_int_equal(res.exit_code, 0);
	assert_non_null(out.s);
	if (health_facts_parse(out.s, &hf) < 0)
		fail_msg("the facts command's output was refused:\n%s", out.s);

	assert_int_equal(uname(&u), 0);
	assert_string_equal(hf.arch, u.machine);
	assert_string_equal(hf.kernel, u.release);
	assert_int_equal(gethostname(host, sizeof host - 1), 0);
	assert_string_equal(hf.hostname, host);
	want = xasprintf("%s %s", id, ver);
	assert_string_equal(hf.os, want);
	assert_string_equal(hf.pretty, pretty);
	if (access("/usr/bin/systemctl", X_OK) == 0 || access("/bin/systemctl", X_OK) == 0)
		assert_int_equal(strncmp(hf.systemd, "systemd ", 8), 0);
	else
		assert_string_equal(hf.systemd, "");

	/* Active swap areas: the lines of /proc/swaps after its header. */
	fp = fopen("/proc/swaps", "r");
	assert_non_null(fp);
	while (fgets(line, sizeof line, fp) != NULL)
		swaps++;
	fclose(fp);
	assert_int_equal(hf.swaps, swaps);

	assert_int_equal(statfs("/sys/fs/cgroup/", &sfs), 0);
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		assert_string_equal(hf.cgroupfs, "cgroup2fs");
	else if (sfs.f_type == TMPFS_MAGIC)
		assert_string_equal(hf.cgroupfs, "tmpfs");
	else
		assert_string_not_equal(hf.cgroupfs, "");

	/* Free space under /var/lib as df sees it (others write meanwhile). */
	assert_int_equal(statvfs("/var/lib", &vfs), 0);
	disk_kb = (long long)vfs.f_bavail * (long long)vfs.f_frsize / 1024;
	assert_true(hf.disk_kb > 0);
	assert_true(llabs(hf.disk_kb - disk_kb) < (256LL << 10));

	free(want);
	want = xasprintf("%u %s", ntohs(sa.sin_port), comm);
	for (size_t i = 0; i < hf.n_listen; i++)
		found = found || strcmp(hf.listen[i], want) == 0;
	if (!found)
		fail_msg("no listen=%s in:\n%s", want, out.s);

	/* The name servers of this machine's resolv.conf, in order; the
	 * loopback address in the listing of addresses. */
	fp = fopen("/etc/resolv.conf", "r");
	{
		struct strbuf ns = { 0 };

		while (fp != NULL && fgets(line, sizeof line, fp) != NULL) {
			char word[64], addr[64];

			if (sscanf(line, "%63s %63s", word, addr) == 2 &&
			    strcmp(word, "nameserver") == 0)
				strbuf_addf(&ns, "%s%s", ns.len > 0 ? " " : "", addr);
		}
		if (fp != NULL)
			fclose(fp);
		assert_string_equal(hf.resolv, ns.s != NULL ? ns.s : "");
		strbuf_clear(&ns);
	}
	assert_true((hf.resolved != NULL) ==
		    (access("/run/systemd/resolve/resolv.conf", F_OK) == 0));
	if (access("/sbin/ip", X_OK) == 0 || access("/usr/sbin/ip", X_OK) == 0 ||
	    access("/bin/ip", X_OK) == 0) {
		found = false;
		for (size_t i = 0; i < hf.n_inet; i++)
			found = found || strcmp(hf.inet[i], "lo 127.0.0.1/8") == 0;
		if (!found)
			fail_msg("no inet=lo 127.0.0.1/8 in:\n%s", out.s);
	}

	health_facts_clear(&hf);
	close(lfd);
	strbuf_clear(&out);
	free(want);
	free(id);
	free(ver);
	free(pretty);
}

/* --- preflight, judged from scripted facts -------------------------------- */

/* good_facts with the line(s) of key replaced by key=value, or dropped
 * (value NULL). */
static char *facts_with(const char *key, const char *value)
{
	struct strbuf b = { 0 };
	size_t klen = strlen(key);
	bool done = false;

	for (const char *p = good_facts; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = (size_t)(nl - p) + 1;

		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			if (!done && value != NULL)
				strbuf_addf(&b, "%s=%s\n", key, value);
			done = true;
		} else {
			strbuf_add(&b, p, n);
		}
		p += n;
	}
	return strbuf_detach(&b, NULL);
}

/* Each preflight check passes on a good host and fails on one with one
 * fact wrong, saying what it saw. */
static void preflight_checks_judge_facts(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *check, *key, *bad, *good_saw, *bad_saw;
	} cases[] = {
		{ "arch", "arch", "aarch64", "x86_64", "aarch64" },
		{ "os", "kernel", "4.18.0-553.el8_10.x86_64",
		  "Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64, "
		  "systemd 252 (252.22-1~deb12u1)",
		  "Debian GNU/Linux 12 (bookworm), kernel 4.18.0-553.el8_10.x86_64, "
		  "systemd 252 (252.22-1~deb12u1)" },
		{ "os", "systemd", "", NULL,
		  "Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64, no systemd" },
		{ "os", "systemd", "upstart 1.5", NULL, NULL },
		{ "os", "kernel", "garbage", NULL, NULL },
		{ "cgroup2", "cgroupfs", "tmpfs", "cgroup2fs", "tmpfs" },
		{ "cgroup2", "cgroupfs", "", NULL, "nothing mounted there" },
		{ "swap", "swaps", "1", "0 swap areas active", "1 swap areas active" },
		{ "swap", "swaps", "unknown", NULL, NULL },
		{ "disk", "disk_kb", "4194303", "51200 MiB free", "4095 MiB free" },
		{ "disk", "disk_kb", "x", NULL, NULL },
		{ "hostname", "hostname", "localhost", "node1", "localhost" },
		{ "ports", "listen", "10250 nginx", "free", "10250 held by nginx" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *good = facts_with("arch", "x86_64"), *bad = facts_with(cases[i].key, cases[i].bad);
		char *saw = NULL;

		forget(f, 3);
		f->hosts[3].facts = good;
		if (cases[i].good_saw != NULL)
			expect(f, cases[i].check, 3, CHECK_PASS, cases[i].good_saw);
		else
			assert_int_equal(attempt(f, cases[i].check, 3, &saw), CHECK_PASS);
		free(saw);
		saw = NULL;
		forget(f, 3);
		f->hosts[3].facts = bad;
		if (cases[i].bad_saw != NULL)
			expect(f, cases[i].check, 3, CHECK_FAIL, cases[i].bad_saw);
		else if (attempt(f, cases[i].check, 3, &saw) != CHECK_FAIL)
			fail_msg("%s passed with %s=%s (saw %s)", cases[i].check, cases[i].key,
				 cases[i].bad, saw);
		free(saw);
		forget(f, 3);
		free(good);
		free(bad);
	}
}

/* The limits themselves: kernel 4.19, 4 GiB free. */
static void preflight_limits(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *check, *key, *value;
		enum check_status want;
	} cases[] = {
		{ "os", "kernel", "4.19.0-27-amd64", CHECK_PASS },
		{ "os", "kernel", "4.18.99", CHECK_FAIL },
		{ "os", "kernel", "5.0", CHECK_PASS },
		{ "os", "kernel", "3.10.0-1160.el7.x86_64", CHECK_FAIL },
		{ "disk", "disk_kb", "4194304", CHECK_PASS },
		{ "disk", "disk_kb", "4194303", CHECK_FAIL },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *facts = facts_with(cases[i].key, cases[i].value), *saw = NULL;
		enum check_status st;

		forget(f, 3);
		f->hosts[3].facts = facts;
		st = attempt(f, cases[i].check, 3, &saw);
		if (st != cases[i].want)
			fail_msg("%s with %s=%s: %d (%s)", cases[i].check, cases[i].key,
				 cases[i].value, st, saw);
		free(saw);
		forget(f, 3);
		free(facts);
	}
}

/* A host costs one round trip, whatever the number of checks that judge
 * its facts (the clock is read by a command of its own). */
static void facts_gathered_once(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "arch", "os", "cgroup2", "swap", "disk", "ports",
					     "hostname" };
	char *saw = NULL;

	f->hosts[3].facts = good_facts;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		assert_int_equal(attempt(f, names[i], 3, &saw), CHECK_PASS);
		free(saw);
	}
	assert_int_equal(f->hosts[3].n_runs, 1);
	assert_string_equal(f->hosts[3].last_command, health_facts_command());
	assert_int_equal(attempt(f, "time-skew", 3, &saw), CHECK_PASS);
	free(saw);
	assert_string_equal(f->hosts[3].last_command, HEALTH_CLOCK_COMMAND);
}

/* --- the clock ------------------------------------------------------------ */

static void clock_parse(void **state)
{
	static const struct {
		const char *out;
		long long ns; /* -1: refused */
	} cases[] = {
		{ "1700000000.123456789\n", 1700000000123456789LL },
		{ "1700000000.000000001", 1700000000000000001LL },
		{ "0.000000000\n", 0 },
		{ "1700000000.%N\n", -1 },   /* a date without %N */
		{ "1700000000.N\n", -1 },
		{ "1700000000.12345\n", -1 }, /* not nanoseconds */
		{ "1700000000.1234567890\n", -1 },
		{ "1700000000\n", -1 },
		{ ".123456789\n", -1 },
		{ "-1.123456789\n", -1 },
		{ "1700000000.123456789 extra\n", -1 },
		{ "1700000000.123456789\n\n", -1 },
		{ "99999999999999.123456789\n", -1 }, /* would overflow */
		{ "", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long long ns = -1;
		int rc = health_clock_parse(cases[i].out, &ns);

		if (cases[i].ns < 0 ? rc != -1 : rc != 0 || ns != cases[i].ns)
			fail_msg("\"%s\": %d, %lld", cases[i].out, rc, ns);
	}
}

#define S (1000000000LL)
#define MS (1000000LL)

/* The offset is the host's clock minus ours at the middle of the round
 * trip, the uncertainty half the round trip, from the tightest sample. */
static void clock_estimate(void **state)
{
	struct health_clock c = { 0 };
	const long long t = 1700000000LL * S;
	/* The host read 5 s ahead of our t + 100 ms; round trip 200 ms. */
	struct health_clock_sample one = { t, t + 5 * S + 100 * MS, t + 200 * MS };
	/* Three samples: the second has the shortest round trip (10 ms), the
	 * host 2 s behind; the others say something else. */
	struct health_clock_sample three[] = {
		{ t, t + 900 * MS, t + 1000 * MS },
		{ t + 2 * S, t + 5 * MS, t + 2 * S + 10 * MS },
		{ t + 3 * S, t + 3 * S, t + 3 * S + 400 * MS },
	};
	/* Our clock stepped back during the only sample: nothing to go by. */
	struct health_clock_sample back = { t, t, t - S };
	/* 1 ns of round trip still counts as 1 ms of error. */
	struct health_clock_sample tight = { t, t - 3 * MS, t + 1 };

	(void)state;
	assert_int_equal(health_clock_estimate(&one, 1, &c), 0);
	assert_int_equal(c.offset_ms, 5000);
	assert_int_equal(c.uncertainty_ms, 100);
	assert_int_equal(health_clock_estimate(three, 3, &c), 0);
	assert_int_equal(c.offset_ms, -2000);
	assert_int_equal(c.uncertainty_ms, 5);
	assert_int_equal(health_clock_estimate(&back, 1, &c), -1);
	assert_int_equal(health_clock_estimate(three, 0, &c), -1);
	assert_int_equal(health_clock_estimate(&tight, 1, &c), 0);
	assert_int_equal(c.offset_ms, -3);
	assert_int_equal(c.uncertainty_ms, 1);
}

/* Pass only when within the limit whatever the error, fail only when
 * beyond it whatever the error; in between, measure again. */
static void clock_judge(void **state)
{
	static const struct {
		long long offset, uncertainty;
		enum check_status want;
	} cases[] = {
		{ 0, 1, CHECK_PASS },
		{ 1500, 10, CHECK_PASS },
		{ -29990, 10, CHECK_PASS },
		{ 29991, 10, CHECK_WAIT },
		{ 30000, 0, CHECK_PASS },
		{ 30001, 0, CHECK_FAIL },
		{ 30011, 10, CHECK_FAIL },
		{ -30011, 10, CHECK_FAIL },
		{ -30010, 10, CHECK_WAIT },
		{ 0, 40000, CHECK_WAIT }, /* a 80 s round trip tells nothing */
		{ -600000, 5000, CHECK_FAIL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct health_clock c = { cases[i].offset, cases[i].uncertainty };

		if (health_clock_judge(&c) != cases[i].want)
			fail_msg("%lld +- %lld: %d, wanted %d", cases[i].offset, cases[i].uncertainty,
				 health_clock_judge(&c), cases[i].want);
	}
}

/* The check through a host: what it saw, signed, with its error; a note
 * above 1 s; a failure that says what to do; with NTP servers in the plan
 * preflight leaves a far-off clock to prepare, whose time-sync judges it. */
static void time_skew(void **state)
{
	struct fixture *f = *state;
	static const struct {
		long long offset;
		bool ntp;
		const char *check;
		enum check_status want;
		const char *says; /* in saw */
	} cases[] = {
		{ 0, false, "time-skew", CHECK_PASS, NULL },
		{ 1500, false, "time-skew", CHECK_PASS, "passes, but more than 1 s" },
		{ -5000, false, "time-skew", CHECK_PASS, "passes, but more than 1 s" },
		{ 45000, false, "time-skew", CHECK_FAIL, "(network.ntpServers)" },
		{ -600000, false, "time-skew", CHECK_FAIL, "would refuse certificates" },
		{ -600000, true, "time-skew", CHECK_PASS, "prepare sets the clock" },
		{ 0, false, "time-sync", CHECK_UNUSED, "names no NTP servers" },
		{ 200, true, "time-sync", CHECK_PASS, NULL },
		{ -600000, true, "time-sync", CHECK_WAIT, "cannot reach them" },
	};

	f->hosts[3].facts = good_facts;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum check_status st;
		char *saw = NULL;
		double seen = 0;

		forget(f, 3);
		strlist_clear(&f->plan->network.ntp_servers);
		if (cases[i].ntp)
			strlist_add(&f->plan->network.ntp_servers, "ntp.aliyun.com");
		f->hosts[3].clock_offset_ms = cases[i].offset;
		st = attempt(f, cases[i].check, 3, &saw);
		if (st != cases[i].want ||
		    (cases[i].says != NULL && strstr(saw, cases[i].says) == NULL))
			fail_msg("%s at %+lld ms: %d \"%s\"", cases[i].check, cases[i].offset, st, saw);
		/* "+1500 ms (+-1 ms)" or "-600.0 s (+-1 ms)": signed, near the
		 * offset, with its error. */
		if (st != CHECK_UNUSED) {
			assert_true(saw[0] == '+' || saw[0] == '-');
			assert_int_equal(sscanf(saw, "%lf", &seen), 1);
			if (strstr(saw, " s (") != NULL)
				seen *= 1000;
			assert_true(seen - (double)cases[i].offset < 400 &&
				    seen - (double)cases[i].offset > -400);
			assert_non_null(strstr(saw, " ms)"));
		}
		free(saw);
	}
	strlist_clear(&f->plan->network.ntp_servers);
}

/* A date without nanoseconds (busybox) is not a clock to judge by. */
static char *script_busybox_date(struct fake_host *h, const char *command, int *exit_code)
{
	(void)h;
	(void)command;
	*exit_code = 0;
	return xstrdup("1700000000.%N\n");
}

static void time_skew_unreadable(void **state)
{
	struct fixture *f = *state;

	f->hosts[3].script = script_busybox_date;
	expect(f, "time-skew", 3, CHECK_FAIL,
	       "\"date +%s.%N\" printed \"1700000000.%N\" (exit status 0), not the host's "
	       "clock in nanoseconds");
	f->hosts[3].mode = FAKE_LOST;
	expect(f, "time-skew", 3, CHECK_FAIL, "connection lost");
}

/* The real date command, run here: this machine against itself is within
 * the error the check reports. */
static void time_skew_here(void **state)
{
	struct fixture *f = *state;
	char *saw = NULL;
	long long off = 0, unc = -1;

	f->hosts[0].mode = FAKE_SHELL;
	assert_int_equal(attempt(f, "time-skew", 0, &saw), CHECK_PASS);
	assert_int_equal(sscanf(saw, "%lld ms (+-%lld ms)", &off, &unc), 2);
	assert_true(unc >= 1);
	if (llabs(off) > unc)
		fail_msg("this machine against itself: %s", saw);
	free(saw);
}

/* Ports: free, or held by the component k8s-wizard installs there (a
 * resumed install); held by anything else fails and is named. */
static void ports(void **state)
{
	struct fixture *f = *state;
	const struct plan *p = f->plan;
	char *mine = xasprintf("listen=%u etcd\nlisten=%u etcd\nlisten=%u kube-apiserver\n"
			       "listen=%u kube-apiserver\nlisten=10257 kube-controller\n"
			       "listen=10259 kube-scheduler\nlisten=10250 kubelet\n"
			       "listen=10248 kubelet\nlisten=22 sshd\nlisten=80 nginx\n",
			       p->etcd.client_port, p->etcd.peer_port, p->network.apiserver_port,
			       p->network.apiserver_port);
	char *others = xasprintf("listen=%u nginx\nlisten=%u etcd\nlisten=%u haproxy\n"
				 "listen=10250 \n",
				 p->etcd.client_port, p->etcd.peer_port, p->network.apiserver_port);
	char *base = facts_with("listen", NULL), *facts = NULL, *want = NULL;

	/* A master and etcd member. */
	facts = xasprintf("%s%s", base, mine);
	f->hosts[0].facts = facts;
	expect(f, "ports", 0, CHECK_PASS, "free");
	forget(f, 0);
	free(facts);
	facts = xasprintf("%s%s", base, others);
	f->hosts[0].facts = facts;
	want = xasprintf("%u held by nginx, %u held by haproxy, 10250 held by a process not shown",
			 p->etcd.client_port, p->network.apiserver_port);
	expect(f, "ports", 0, CHECK_FAIL, want);
	forget(f, 0);
	free(want);

	/* A worker needs none of a master's ports, but kube-proxy's. */
	f->hosts[3].facts = facts;
	want = xasprintf("10250 held by a process not shown");
	expect(f, "ports", 3, CHECK_FAIL, want);
	forget(f, 3);
	free(want);
	free(facts);
	facts = xasprintf("%slisten=%u nginx\nlisten=10249 kube-proxy\nlisten=10256 kube-proxy\n",
			  base, p->network.apiserver_port);
	f->hosts[3].facts = facts;
	expect(f, "ports", 3, CHECK_PASS, "free");
	forget(f, 3);
	free(facts);
	facts = xasprintf("%slisten=10256 envoy\n", base);
	f->hosts[3].facts = facts;
	expect(f, "ports", 3, CHECK_FAIL, "10256 held by envoy");
	forget(f, 3);

	free(facts);
	free(base);
	free(mine);
	free(others);
}

static char *script_garbage(struct fake_host *h, const char *command, int *exit_code)
{
	(void)h;
	(void)command;
	*exit_code = 127;
	return xstrdup("sh: 1: uname: not found\n");
}

/* A host that cannot say: every check fails and says why; nothing is
 * remembered, so a later attempt asks again. */
static void facts_unavailable(void **state)
{
	struct fixture *f = *state;

	f->hosts[3].mode = FAKE_LOST;
	expect(f, "arch", 3, CHECK_FAIL, "connection lost");
	expect(f, "swap", 3, CHECK_FAIL, "connection lost");
	assert_int_equal(f->hosts[3].n_runs, 2);
	f->hosts[3].mode = FAKE_SCRIPT;
	f->hosts[3].script = script_garbage;
	expect(f, "arch", 3, CHECK_FAIL, "the host's facts could not be read (exit status 127)");
	f->hosts[3].script = script_facts;
	f->hosts[3].facts = good_facts;
	expect(f, "arch", 3, CHECK_PASS, "x86_64");
}

/* --- prepare: sysctl read back, kernel features --------------------------- */

#define SYSCTL_FILE "/etc/sysctl.d/99-k8s-wizard.conf"

/* A stand-in sysctl for this test: `sysctl -n KEY` prints the value of the
 * table (pairs: key, printf format), unknown keys fail as the real one. */
static void write_sysctl_stub(const char *dir, const char *const *kv, size_t n)
{
	struct strbuf b = { 0 };

	strbuf_adds(&b, "#!/bin/sh\n# test_health's stand-in for sysctl -n KEY\n"
			"[ \"$1\" = -n ] || exit 2\ncase \"$2\" in\n");
	for (size_t i = 0; i + 1 < n; i += 2)
		strbuf_addf(&b, "%s) printf '%s\\n' ;;\n", kv[i], kv[i + 1]);
	strbuf_adds(&b, "*) echo \"sysctl: cannot stat /proc/sys/$2: No such file or directory\" "
			">&2; exit 255 ;;\nesac\n");
	write_file(dir, "sysctl", b.s, 0755);
	strbuf_clear(&b);
}

static const char sysctl_conf[] = "# kernel.panic = 10\n"
				  "net.ipv4.ip_forward = 1\n"
				  "; vm.overcommit_memory = 1\n"
				  "net.ipv4.ip_local_port_range = 1024   65000\n"
				  "net.ipv4.tcp_rmem=4096 131072\t6291456\n"
				  "\tnet.bridge.bridge-nf-call-iptables\t=\t1\n"
				  "vm.swappiness = 0\n";

static void sysctl_read_back(void **state)
{
	struct fixture *f = *state;
	const char *good[] = { "net.ipv4.ip_forward", "1",
			       "net.ipv4.ip_local_port_range", "1024\\t65000",
			       "net.ipv4.tcp_rmem", "4096\\t131072  6291456",
			       "net.bridge.bridge-nf-call-iptables", "1",
			       "vm.swappiness", "0" };
	const char *unreadable[] = { "net.ipv4.ip_forward", "1",
				     "net.ipv4.ip_local_port_range", "1024\\t65000",
				     "net.ipv4.tcp_rmem", "4096\\t131072\\t6291456",
				     "vm.swappiness", "0" };
	const char *wrong[] = { "net.ipv4.ip_forward", "0",
				"net.ipv4.ip_local_port_range", "32768\\t60999",
				"net.ipv4.tcp_rmem", "4096\\t131072\\t6291456",
				"net.bridge.bridge-nf-call-iptables", "1",
				"vm.swappiness", "0" };
	const char *all_wrong[] = { "net.ipv4.ip_forward", "0",
				    "net.ipv4.ip_local_port_range", "32768\\t60999",
				    "net.ipv4.tcp_rmem", "4096\\t87380\\t6291456",
				    "net.bridge.bridge-nf-call-iptables", "0",
				    "vm.swappiness", "60" };
	char *stubs = xasprintf("%s/bin", f->dir);

	assert_int_equal(mkdir(stubs, 0755), 0);
	add_file(&f->r.hosts[0], PHASE_PREPARE, SYSCTL_FILE, sysctl_conf);
	f->hosts[0].mode = FAKE_SHELL;
	f->hosts[0].stub_dir = stubs;

	/* Tabs and runs of blanks, as sysctl prints lists, are one blank. */
	write_sysctl_stub(stubs, good, 10);
	expect(f, "sysctl", 0, CHECK_PASS, "5 settings as rendered");

	/* A key the kernel does not have is named, and only it. */
	write_sysctl_stub(stubs, unreadable, 8);
	expect(f, "sysctl", 0, CHECK_FAIL,
	       "net.bridge.bridge-nf-call-iptables = unreadable (not 1)");

	write_sysctl_stub(stubs, wrong, 10);
	expect(f, "sysctl", 0, CHECK_FAIL,
	       "net.ipv4.ip_forward = 0 (not 1); "
	       "net.ipv4.ip_local_port_range = 32768 60999 (not 1024 65000)");

	/* Three named, the rest counted. */
	write_sysctl_stub(stubs, all_wrong, 10);
	expect(f, "sysctl", 0, CHECK_FAIL,
	       "net.ipv4.ip_forward = 0 (not 1); "
	       "net.ipv4.ip_local_port_range = 32768 60999 (not 1024 65000); "
	       "net.ipv4.tcp_rmem = 4096 87380 6291456 (not 4096 131072 6291456); and 2 more");

	/* A host with no settings rendered for it. */
	expect(f, "sysctl", 1, CHECK_PASS, "no settings rendered for this host");
	free(stubs);
}

static char *script_two_lines(struct fake_host *h, const char *command, int *exit_code)
{
	(void)h;
	(void)command;
	*exit_code = 0;
	return xstrdup("1 \n1024 65000 \n");
}

/* Output cut short (the host went away mid-command). */
static void sysctl_short_answer(void **state)
{
	struct fixture *f = *state;

	add_file(&f->r.hosts[0], PHASE_PREPARE, SYSCTL_FILE, sysctl_conf);
	f->hosts[0].script = script_two_lines;
	expect(f, "sysctl", 0, CHECK_FAIL, "2 of 5 settings could be read");
	f->hosts[0].mode = FAKE_LOST;
	expect(f, "sysctl", 0, CHECK_FAIL, "connection lost");
}

/* Kernel features read from /proc (under the test's directory here): IPVS
 * only where kube-proxy runs in ipvs mode. */
static void kernel_features(void **state)
{
	struct fixture *f = *state;
	char *proc = xasprintf("%s/proc", f->dir), *path = NULL;

	assert_int_equal(mkdir(proc, 0755), 0);
	path = xasprintf("%s/sys", proc);
	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
	path = xasprintf("%s/sys/net", proc);
	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
	path = xasprintf("%s/sys/net/bridge", proc);
	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
	path = xasprintf("%s/net", proc);
	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
	for (size_t i = 0; i < 5; i++) {
		f->hosts[i].mode = FAKE_SHELL;
		f->hosts[i].proc_root = f->dir;
	}

	/* Nothing there. */
	write_file(proc, "filesystems", "nodev\tsysfs\nnodev\ttmpfs\n\text4\n", 0644);
	expect(f, "kernel-features", 0, CHECK_FAIL, "missing: overlay br_netfilter");
	expect(f, "kernel-features", 3, CHECK_FAIL, "missing: overlay br_netfilter ip_vs");

	/* overlay and bridge netfilter: a master is complete without IPVS. */
	write_file(proc, "filesystems", "nodev\tsysfs\nnodev\toverlay\n\text4\n", 0644);
	write_file(proc, "sys/net/bridge/bridge-nf-call-iptables", "1\n", 0644);
	expect(f, "kernel-features", 0, CHECK_PASS, "all there");
	assert_null(strstr(f->hosts[0].last_command, "ip_vs"));
	expect(f, "kernel-features", 3, CHECK_FAIL, "missing: ip_vs");

	/* A worker in iptables mode does not need it. */
	f->plan->network.kube_proxy_mode = PROXY_IPTABLES;
	expect(f, "kernel-features", 3, CHECK_PASS, "all there");
	f->plan->network.kube_proxy_mode = PROXY_IPVS;
	write_file(proc, "net/ip_vs", "IP Virtual Server version 1.2.1\n", 0644);
	expect(f, "kernel-features", 3, CHECK_PASS, "all there");

	/* A word that only contains "overlay" is not the filesystem. */
	write_file(proc, "filesystems", "nodev\toverlayfs2\n", 0644);
	expect(f, "kernel-features", 3, CHECK_FAIL, "missing: overlay");
	free(proc);
}

/* --- containerd and the CRI ----------------------------------------------- */

static void containerd_and_cri(void **state)
{
	struct fixture *f = *state;
	char *stubs = xasprintf("%s/bin", f->dir);

	assert_int_equal(mkdir(stubs, 0755), 0);
	f->hosts[0].mode = FAKE_SHELL;
	f->hosts[0].stub_dir = stubs;

	/* Stand-ins for this test, answering as the real tools do. */
	write_file(stubs, "systemctl",
		   "#!/bin/sh\n[ \"$*\" = 'is-active containerd' ] || exit 2\necho active\n", 0755);
	expect(f, "containerd", 0, CHECK_PASS, "active");
	write_file(stubs, "systemctl",
		   "#!/bin/sh\n[ \"$*\" = 'is-active containerd' ] || exit 2\n"
		   "echo activating\nexit 3\n",
		   0755);
	expect(f, "containerd", 0, CHECK_WAIT, "activating");
	write_file(stubs, "systemctl", "#!/bin/sh\nexit 4\n", 0755);
	expect(f, "containerd", 0, CHECK_WAIT, "exit status 4");

	write_file(stubs, "crictl",
		   "#!/bin/sh\n[ \"$*\" = info ] || exit 2\necho '{\"status\": {}}'\n", 0755);
	expect(f, "cri", 0, CHECK_PASS, "answers");
	write_file(stubs, "crictl",
		   "#!/bin/sh\necho 'failed to connect: connection error' >&2\nexit 1\n", 0755);
	expect(f, "cri", 0, CHECK_WAIT, "exit status 1");

	/* A lost connection may come back; refused sudo will not. */
	f->hosts[0].mode = FAKE_LOST;
	expect(f, "containerd", 0, CHECK_WAIT, "connection lost");
	expect(f, "cri", 0, CHECK_WAIT, "connection lost");
	f->hosts[0].mode = FAKE_REFUSED;
	expect(f, "containerd", 0, CHECK_FAIL, "sudo: a password is required");
	free(stubs);
}

/* --- pki: the files on the host are the ones rendered --------------------- */

static void pki_files(void **state)
{
	struct fixture *f = *state;
	char *pki = xasprintf("%s/pki", f->dir);
	static const char *const names[] = { "ca.pem", "apiserver.pem", "apiserver-key.pem" };
	static const char *const texts[] = { "CA\n", "APISERVER\n", "KEY\n" };
	char *path[3], *want = NULL;

	assert_int_equal(mkdir(pki, 0700), 0);
	for (size_t i = 0; i < 3; i++) {
		path[i] = xasprintf("%s/%s", pki, names[i]);
		add_file(&f->r.hosts[0], PHASE_PKI, path[i], texts[i]);
		write_file(pki, names[i], texts[i], 0600);
	}
	/* Files of other phases are not this check's business. */
	add_file(&f->r.hosts[0], PHASE_KUBELET, "/nonexistent/kubelet.conf", "x\n");
	f->hosts[0].mode = FAKE_SHELL;
	expect(f, "pki-files", 0, CHECK_PASS, "3 files as rendered");

	/* Changed on the host: that file is named. */
	write_file(pki, "apiserver.pem", "CHANGED\n", 0600);
	want = xasprintf("different or missing: %s", path[1]);
	expect(f, "pki-files", 0, CHECK_FAIL, want);
	free(want);
	write_file(pki, "apiserver.pem", texts[1], 0600);

	/* Gone: that file, and not the ones after it. */
	assert_int_equal(unlink(path[0]), 0);
	want = xasprintf("different or missing: %s", path[0]);
	expect(f, "pki-files", 0, CHECK_FAIL, want);
	free(want);

	/* A host with nothing of the PKI. */
	expect(f, "pki-files", 3, CHECK_PASS, "none for this host");
	for (size_t i = 0; i < 3; i++)
		free(path[i]);
	free(pki);
}

/* --- the table ------------------------------------------------------------ */

/* Which resolv.conf pods get: the rule of the kubelet's step in render.c
 * (tests/resolv-conf.sh runs that step on the same cases), said by
 * preflight; a worker with only a loopback resolver fails. */
static void resolv_conf(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *resolv, *resolved; /* resolved NULL: no such line (no file) */
		size_t host;
		enum check_status want;
		const char *saw;
	} cases[] = {
		{ "127.0.0.53", "10.0.0.2 10.0.0.3", 3, CHECK_PASS,
		  "/etc/resolv.conf names 127.0.0.53 (systemd-resolved's stub): pods get "
		  "/run/systemd/resolve/resolv.conf (10.0.0.2 10.0.0.3)" },
		{ "10.0.0.2", "10.0.0.9", 3, CHECK_PASS, "/etc/resolv.conf (10.0.0.2)" },
		{ "", NULL, 3, CHECK_PASS,
		  "/etc/resolv.conf (no name server: pods resolve cluster names only)" },
		{ "::1", "fd00::53", 4, CHECK_PASS, NULL },
		{ "127.0.0.53", NULL, 3, CHECK_FAIL,
		  "/etc/resolv.conf names 127.0.0.53, on the host's loopback, and "
		  "/run/systemd/resolve/resolv.conf has no other" },
		{ "127.0.0.53", "", 4, CHECK_FAIL, NULL },
		{ "127.0.0.53", "127.0.0.1 10.0.0.2", 4, CHECK_FAIL, NULL },
		{ "10.0.0.2 127.0.0.1", "10.0.0.2", 4, CHECK_PASS,
		  "/etc/resolv.conf names 10.0.0.2 127.0.0.1 (systemd-resolved's stub): pods get "
		  "/run/systemd/resolve/resolv.conf (10.0.0.2)" },
		/* Masters run host-network static pods only, which reach it. */
		{ "127.0.0.53", NULL, 0, CHECK_PASS, NULL },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t h = cases[i].host;
		char *base = facts_with("resolv", cases[i].resolv);
		char *facts = cases[i].resolved != NULL
				      ? xasprintf("%sresolved=%s\n", base, cases[i].resolved)
				      : xstrdup(base);
		char *saw = NULL;
		enum check_status st;

		forget(f, h);
		f->hosts[h].facts = facts;
		st = attempt(f, "resolv-conf", h, &saw);
		if (st != cases[i].want || (cases[i].saw != NULL && strcmp(saw, cases[i].saw) != 0))
			fail_msg("case %zu: %d \"%s\"", i, st, saw);
		free(saw);
		forget(f, h);
		free(facts);
		free(base);
	}
}

/* keepalived moves the VIP within the network of each master's address,
 * as the host has it; other modes do not use this check. */
static void vip_subnet(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *inet, *vip;
		enum check_status want;
		const char *saw;
	} cases[] = {
		{ "inet=lo 127.0.0.1/8\ninet=bond0 10.1.1.1/24\n", "10.1.1.10", CHECK_PASS,
		  "bond0's network is 10.1.1.0/24: the VIP is in it" },
		{ "inet=bond0 10.1.1.1/28\n", "10.1.1.20", CHECK_FAIL,
		  "bond0's network is 10.1.1.0/28: the VIP is outside it" },
		{ "inet=eth0 10.2.0.5/16\ninet=eth1 10.1.1.1/24\n", "10.2.0.10", CHECK_FAIL,
		  "eth1's network is 10.1.1.0/24: the VIP is outside it" },
		{ "inet=eth0 10.2.0.5/16\n", "10.2.0.10", CHECK_FAIL,
		  "no interface has the plan's address 10.1.1.1" },
	};
	char *saw = NULL;

	f->hosts[0].facts = good_facts;
	assert_int_equal(attempt(f, "vip-subnet", 0, &saw), CHECK_UNUSED);
	free(saw);
	forget(f, 0);
	f->plan->network.apiserver_endpoint = ENDPOINT_KEEPALIVED;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *base = facts_with("inet", NULL);
		char *facts = xasprintf("%s%s", base, cases[i].inet);

		plan_set_string(&f->plan->network.apiserver_vip, cases[i].vip);
		f->hosts[0].facts = facts;
		expect(f, "vip-subnet", 0, cases[i].want, cases[i].saw);
		forget(f, 0);
		free(facts);
		free(base);
	}
}

/* The port the endpoint's haproxy holds is not taken by a stranger. */
static void ports_of_the_endpoint(void **state)
{
	struct fixture *f = *state;
	char *base = facts_with("listen", NULL);
	char *facts = xasprintf("%slisten=%u haproxy\nlisten=%u kube-apiserver\n", base,
				f->plan->network.apiserver_port, f->plan->network.apiserver_port);
	char *want = xasprintf("%u held by haproxy", f->plan->network.apiserver_port);

	f->hosts[0].facts = facts;
	expect(f, "ports", 0, CHECK_FAIL, want);
	forget(f, 0);
	f->plan->network.apiserver_endpoint = ENDPOINT_KEEPALIVED;
	expect(f, "ports", 0, CHECK_PASS, "free");
	forget(f, 0);
	f->hosts[3].facts = facts;
	expect(f, "ports", 3, CHECK_PASS, "free");
	forget(f, 3);
	/* A worker's haproxy with local; an apiserver there is a stranger. */
	f->plan->network.apiserver_endpoint = ENDPOINT_LOCAL;
	free(want);
	want = xasprintf("%u held by kube-apiserver", f->plan->network.apiserver_port);
	expect(f, "ports", 3, CHECK_FAIL, want);
	forget(f, 3);
	free(facts);
	facts = xasprintf("%slisten=%u haproxy\n", base, f->plan->network.apiserver_port);
	f->hosts[3].facts = facts;
	expect(f, "ports", 3, CHECK_PASS, "free");
	forget(f, 3);
	free(facts);
	facts = xasprintf("%slisten=%u nginx\n", base, f->plan->network.apiserver_port);
	f->hosts[3].facts = facts;
	free(want);
	want = xasprintf("%u held by nginx", f->plan->network.apiserver_port);
	expect(f, "ports", 3, CHECK_FAIL, want);
	forget(f, 3);
	free(want);
	free(facts);
	free(base);
}

static void check_table(void **state)
{
	size_t n = 0;
	const struct check *c = health_checks(&n);
	char *names = health_skippable_names(c, n);

	(void)state;
	/* Only preflight's checks can be skipped, and not the connection. */
	assert_string_equal(names, "arch, os, cgroup2, swap, time-skew, disk, ports, hostname, "
				   "resolv-conf, vip-subnet");
	free(names);
	for (size_t i = 0; i < n; i++) {
		assert_true(!c[i].skippable || c[i].phase == PHASE_PREFLIGHT);
		assert_non_null(c[i].run);
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(c[i].name, c[k].name);
		/* In phase order, as the engine runs them within a phase. */
		if (i > 0)
			assert_true(c[i - 1].phase <= c[i].phase);
		/* A check that waits has an interval. */
		assert_true(c[i].deadline_s == 0 || c[i].interval_ms > 0);
	}
}

/* --- preflight as the engine runs it -------------------------------------- */

struct seen {
	char host[32];
	char name[32];
	int status;
	char detail[256];
};

static void preflight_through_engine(void **state)
{
	struct fixture *f = *state;
	size_t n_all = 0, n = 0;
	const struct check *all = health_checks(&n_all);
	struct check pre[16];
	const char *const skip[] = { "swap" };
	char *journal_path = xasprintf("%s/journal", f->dir), *err = NULL, *bad = NULL;
	struct journal *j = NULL;
	struct event_queue *q = event_queue_new();
	struct engine *e = NULL;
	struct engine_config cfg = {
		.plan = f->plan, .render = &f->r, .events = q, .ops = &fake_ops,
		.transport = f->hosts, .run_id = "r1", .command = "apply", .log_dir = f->dir,
		.skip_checks = skip, .n_skip_checks = 1, .no_diagnostics = true,
	};
	struct seen seen[128];
	size_t n_seen = 0;
	struct event ev;

	for (size_t i = 0; i < n_all; i++) {
		if (all[i].phase == PHASE_PREFLIGHT)
			pre[n++] = all[i];
	}
	cfg.checks = pre;
	cfg.n_checks = n;
	/* master1, master3 and node1 are fine; master2 refuses sudo; node2 has
	 * two problems and swap (skipped on request). */
	for (size_t i = 0; i < 5; i++)
		f->hosts[i].facts = good_facts;
	f->hosts[1].mode = FAKE_REFUSED;
	bad = xasprintf("arch=x86_64\nkernel=6.1.0-18-amd64\nos=debian 12\npretty=Debian\n"
			"systemd=systemd 252\ncgroupfs=tmpfs\nswaps=2\nhostname=node2\n"
			"disk_kb=1024\nresolv=127.0.0.53\n");
	f->hosts[4].facts = bad;

	assert_int_equal(journal_open(journal_path, &j, &err), 0);
	cfg.journal = j;
	e = engine_new(&cfg, &err);
	assert_non_null(e);
	assert_int_equal(engine_run(e, &err), ENGINE_FAILED);
	assert_non_null(err);
	engine_free(&e);
	journal_close(&j);

	while (event_pop(q, &ev)) {
		if (ev.type == EVENT_CHECK) {
			assert_true(n_seen < 128);
			xsnprintf(seen[n_seen].host, sizeof seen[n_seen].host, "%s", ev.host);
			xsnprintf(seen[n_seen].name, sizeof seen[n_seen].name, "%s", ev.text);
			seen[n_seen].status = ev.status;
			xsnprintf(seen[n_seen].detail, sizeof seen[n_seen].detail, "%s",
				  ev.detail != NULL ? ev.detail : "");
			n_seen++;
		}
		event_clear(&ev);
	}
	/* Per host, in the table's order. */
	{
		static const struct {
			const char *host, *names;
		} want[] = {
			{ "master1", "connect:P arch:P os:P cgroup2:P swap:S time-skew:P disk:P ports:P "
				     "resolv-conf:P" },
			{ "master2", "connect:F" },
			{ "master3", "connect:P arch:P os:P cgroup2:P swap:S time-skew:P disk:P ports:P "
				     "resolv-conf:P" },
			{ "node1", "connect:P arch:P os:P cgroup2:P swap:S time-skew:P disk:P "
				   "ports:P hostname:P resolv-conf:P" },
			{ "node2", "connect:P arch:P os:P cgroup2:F swap:S time-skew:P disk:F "
				   "ports:P hostname:P resolv-conf:F" },
		};

		for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
			struct strbuf got = { 0 };

			for (size_t i = 0; i < n_seen; i++) {
				if (strcmp(seen[i].host, want[w].host) != 0)
					continue;
				strbuf_addf(&got, "%s%s:%c", got.len > 0 ? " " : "", seen[i].name,
					    "PFSW"[seen[i].status]);
				if (strcmp(seen[i].name, "swap") == 0)
					assert_string_equal(seen[i].detail,
							    "skipped on request (--skip-check swap)");
				if (strcmp(seen[i].name, "disk") == 0 &&
				    seen[i].status == EVENT_CHECK_FAILED)
					assert_non_null(strstr(seen[i].detail, "saw 1 MiB free"));
			}
			if (got.s == NULL || strcmp(got.s, want[w].names) != 0)
				fail_msg("%s: %s; wanted %s", want[w].host, got.s, want[w].names);
			strbuf_clear(&got);
		}
	}
	free(err);
	free(bad);
	free(journal_path);
	event_queue_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(facts_parse_good),
		cmocka_unit_test(facts_parse_bad),
		cmocka_unit_test_setup_teardown(partial_facts_fail_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(facts_command_here, setup, teardown),
		cmocka_unit_test_setup_teardown(preflight_checks_judge_facts, setup, teardown),
		cmocka_unit_test_setup_teardown(preflight_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(facts_gathered_once, setup, teardown),
		cmocka_unit_test(clock_parse),
		cmocka_unit_test(clock_estimate),
		cmocka_unit_test(clock_judge),
		cmocka_unit_test_setup_teardown(time_skew, setup, teardown),
		cmocka_unit_test_setup_teardown(time_skew_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(time_skew_here, setup, teardown),
		cmocka_unit_test_setup_teardown(ports, setup, teardown),
		cmocka_unit_test_setup_teardown(facts_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(sysctl_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(sysctl_short_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_features, setup, teardown),
		cmocka_unit_test_setup_teardown(containerd_and_cri, setup, teardown),
		cmocka_unit_test_setup_teardown(pki_files, setup, teardown),
		cmocka_unit_test_setup_teardown(resolv_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(vip_subnet, setup, teardown),
		cmocka_unit_test_setup_teardown(ports_of_the_endpoint, setup, teardown),
		cmocka_unit_test(check_table),
		cmocka_unit_test_setup_teardown(preflight_through_engine, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
