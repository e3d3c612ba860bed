/* The built-in health checks: preflight (one facts command per host, judged
 * by several named checks that can be skipped one by one), and the checks
 * that read back what a phase set up. Checks of the components' endpoints
 * over TLS are in healthapi.c. */
#include "config.h"

#include "health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "healthapi.h"
#include "hexsum.h"
#include "net.h"
#include "nls.h"
#include "shquote.h"
#include "strbuf.h"
#include "xmalloc.h"

#define CAPTURE_MAX (1u << 20)
#define MIN_DISK_KB (4LL << 20) /* 4 GiB under /var/lib: images and etcd */
#define CLOCK_SAMPLES 3 /* readings per attempt; the tightest is kept */
#define SYSCTL_FILE "/etc/sysctl.d/99-k8s-wizard.conf"
/* systemd-resolved's list of the real name servers, beside its stub. */
#define RESOLVED_CONF "/run/systemd/resolve/resolv.conf"
/* The name servers a resolv.conf names, blank-separated, in a command. */
#define NAME_SERVERS(file) \
	"$(awk '$1 == \"nameserver\" { printf \"%s%s\", s, $2; s = \" \" }' " file " 2>/dev/null)"

/* --- running a command for a check ---------------------------------------- */

struct capture {
	struct strbuf out;
	bool full;
};

static void capture_line(const struct remote_line *line, void *data)
{
	struct capture *c = data;

	if (line->stream != REMOTE_STDOUT)
		return;
	if (c->out.len + line->len + 1 > CAPTURE_MAX) {
		c->full = true;
		return;
	}
	strbuf_add(&c->out, line->text, line->len);
	strbuf_addc(&c->out, '\n');
}

/* Run command on the check's host; *out gets its standard output. Returns
 * its exit status, or -1 with *saw saying why it did not run to an end. */
static int capture(struct check_env *env, const char *command, unsigned timeout, char **out,
		   char **saw)
{
	struct capture c = { 0 };
	struct remote_cmd cmd = { .command = command, .timeout = timeout, .on_line = capture_line,
				  .data = &c };
	struct remote_result res = { 0 };
	char *err = NULL;
	int rc = -1;

	*out = NULL;
	if (env->ops->run(env->h, &cmd, &res, &err) < 0) {
		*saw = err != NULL ? err : xstrdup(transport_cause_name(env->ops->cause(env->h)));
		err = NULL;
	} else if (res.status == REMOTE_EXITED) {
		rc = res.exit_code;
	} else if (res.status == REMOTE_TIMEOUT) {
		/* L10N: seconds. */
		*saw = xasprintf(_("no answer within %u s"), timeout);
	} else {
		*saw = xstrdup(transport_cause_name(env->ops->cause(env->h)));
	}
	free(err);
	*out = strbuf_detach(&c.out, NULL);
	return rc;
}

/* --- preflight ------------------------------------------------------------ */

/* One command, many facts: every preflight check judges from them, so a host
 * costs one round trip whatever the number of checks. */
static const char facts_command[] =
	"echo \"arch=$(uname -m)\"; echo \"kernel=$(uname -r)\"; "
	"(. /etc/os-release 2>/dev/null; echo \"os=$ID $VERSION_ID\"; "
	"echo \"pretty=$PRETTY_NAME\"); "
	"echo \"systemd=$(systemctl --version 2>/dev/null | head -n 1)\"; "
	"echo \"cgroupfs=$(stat -fc %T /sys/fs/cgroup/ 2>/dev/null)\"; "
	"echo \"swaps=$(tail -n +2 /proc/swaps 2>/dev/null | wc -l)\"; "
	"echo \"hostname=$(hostname)\"; "
	"echo \"disk_kb=$(df -Pk /var/lib 2>/dev/null | awk 'NR==2 {print $4}')\"; "
	"ss -Htlnp 2>/dev/null | awk '{ n = split($4, a, \":\"); c = $6; "
	"sub(/^users:\\(\\(\"/, \"\", c); sub(/\".*/, \"\", c); "
	"print \"listen=\" a[n] \" \" c }'; "
	"echo \"resolv=" NAME_SERVERS("/etc/resolv.conf") "\"; "
	"[ ! -e " RESOLVED_CONF " ] || echo \"resolved=" NAME_SERVERS(RESOLVED_CONF) "\"; "
	"ip -o addr show 2>/dev/null | awk '{ print \"inet=\" $2 \" \" $4 }'; "
	"echo end=1";

const char *health_facts_command(void)
{
	return facts_command;
}

void health_facts_clear(struct health_facts *f)
{
	char **strings[] = { &f->arch,	   &f->kernel,	 &f->os,      &f->pretty,
			     &f->systemd, &f->cgroupfs, &f->hostname, &f->resolv,
			     &f->resolved };

	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		xfree(strings[i]);
	for (size_t i = 0; i < f->n_listen; i++)
		free(f->listen[i]);
	free(f->listen);
	for (size_t i = 0; i < f->n_inet; i++)
		free(f->inet[i]);
	free(f->inet);
	memset(f, 0, sizeof *f);
}

static bool parse_ll(const char *s, long long *out)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return false;
	*out = v;
	return true;
}

int health_facts_parse(const char *out, struct health_facts *f)
{
	struct {
		const char *key;
		char **slot;
	} strings[] = {
		{ "arch", &f->arch },	  { "kernel", &f->kernel },	{ "os", &f->os },
		{ "pretty", &f->pretty }, { "systemd", &f->systemd }, { "cgroupfs", &f->cgroupfs },
		{ "hostname", &f->hostname }, { "resolv", &f->resolv },
		{ "resolved", &f->resolved },
	};
	char *copy = xstrdup(out), *save = NULL;
	bool end = false;
	long long v;

	memset(f, 0, sizeof *f);
	f->swaps = -1;
	f->disk_kb = -1;
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
			if (strcmp(line, strings[i].key) == 0) {
				free(*strings[i].slot);
				*strings[i].slot = xstrdup(eq + 1);
			}
		}
		if (strcmp(line, "swaps") == 0 && parse_ll(eq + 1, &v))
			f->swaps = (long)v;
		else if (strcmp(line, "disk_kb") == 0 && parse_ll(eq + 1, &v))
			f->disk_kb = v;
		else if (strcmp(line, "listen") == 0) {
			f->listen = xreallocarray(f->listen, f->n_listen + 1, sizeof *f->listen);
			f->listen[f->n_listen++] = xstrdup(eq + 1);
		} else if (strcmp(line, "inet") == 0) {
			f->inet = xreallocarray(f->inet, f->n_inet + 1, sizeof *f->inet);
			f->inet[f->n_inet++] = xstrdup(eq + 1);
		} else if (strcmp(line, "end") == 0) {
			end = true;
		}
	}
	free(copy);
	/* The command prints these lines on every host (os and pretty are
	 * missing without /etc/os-release): output without them is not its
	 * own, and the checks read them. */
	if (!end || f->arch == NULL || f->kernel == NULL || f->systemd == NULL ||
	    f->cgroupfs == NULL || f->hostname == NULL) {
		health_facts_clear(f);
		return -1;
	}
	return 0;
}

static void facts_free(void *data)
{
	health_facts_clear(data);
	free(data);
}

/* The host's facts, gathered on first use. NULL with *saw set when the host
 * could not tell. */
static const struct health_facts *facts(struct check_env *env, char **saw)
{
	struct health_facts *f = NULL;
	char *out = NULL;
	int status;

	if (env->scratch->data != NULL)
		return env->scratch->data;
	status = capture(env, facts_command, 30, &out, saw);
	if (status >= 0) {
		f = xcalloc(1, sizeof *f);
		if (health_facts_parse(out, f) < 0) {
			/* L10N: the exit status of the command that gathers facts. */
			*saw = xasprintf(_("the host's facts could not be read (exit status %d)"),
					 status);
			xfree(&f);
		}
	}
	free(out);
	if (f != NULL) {
		env->scratch->data = f;
		env->scratch->free = facts_free;
	}
	return f;
}

static enum check_status check_connect(struct check_env *env, char **expected, char **saw)
{
	char *err = NULL;

	*expected = xstrdup(_("the host answers, its key is known, login and sudo work"));
	if (env->ops->connect(env->h, &err) < 0) {
		*saw = err;
		return CHECK_FAIL;
	}
	*saw = xstrdup(_("connected"));
	return CHECK_PASS;
}

static enum check_status check_arch(struct check_env *env, char **expected, char **saw)
{
	const struct health_facts *f = facts(env, saw);

	*expected = xstrdup("x86_64");
	if (f == NULL)
		return CHECK_FAIL;
	*saw = xstrdup(f->arch);
	return strcmp(f->arch, "x86_64") == 0 ? CHECK_PASS : CHECK_FAIL;
}

/* major.minor of a kernel release, as one comparable number. */
static long kernel_version(const char *release)
{
	unsigned long major = 0, minor = 0;
	char *end = NULL;

	major = strtoul(release, &end, 10);
	if (end == release || *end != '.')
		return -1;
	minor = strtoul(end + 1, &end, 10);
	return (long)(major * 1000 + minor);
}

static enum check_status check_os(struct check_env *env, char **expected, char **saw)
{
	const struct health_facts *f = facts(env, saw);
	bool ok;

	*expected = xstrdup(_("Linux 4.19 or later with systemd"));
	if (f == NULL)
		return CHECK_FAIL;
	ok = kernel_version(f->kernel) >= 4019 && strncmp(f->systemd, "systemd ", 8) == 0;
	/* L10N: distribution ("Ubuntu 22.04.4 LTS"), kernel release, systemd version line. */
	*saw = xasprintf(_("%s, kernel %s, %s"), f->pretty != NULL ? f->pretty : "?", f->kernel,
			 f->systemd[0] != '\0' ? f->systemd : _("no systemd"));
	return ok ? CHECK_PASS : CHECK_FAIL;
}

static enum check_status check_cgroup2(struct check_env *env, char **expected, char **saw)
{
	const struct health_facts *f = facts(env, saw);

	*expected = xstrdup(_("/sys/fs/cgroup is cgroup2fs (the kubelet's systemd driver)"));
	if (f == NULL)
		return CHECK_FAIL;
	*saw = xstrdup(f->cgroupfs[0] != '\0' ? f->cgroupfs : _("nothing mounted there"));
	return strcmp(f->cgroupfs, "cgroup2fs") == 0 ? CHECK_PASS : CHECK_FAIL;
}

static enum check_status check_swap(struct check_env *env, char **expected, char **saw)
{
	const struct health_facts *f = facts(env, saw);

	*expected = xstrdup(_("no swap in use (else the kubelet refuses to start)"));
	if (f == NULL)
		return CHECK_FAIL;
	/* L10N: a number of swap areas. */
	*saw = xasprintf(_("%ld swap areas active"), f->swaps);
	return f->swaps == 0 ? CHECK_PASS : CHECK_FAIL;
}

/* --- the clock ------------------------------------------------------------ */

int health_clock_parse(const char *out, long long *ns)
{
	const char *dot = strchr(out, '.'), *p = NULL;
	long long sec = 0, frac = 0;
	int digits = 0;

	if (dot == NULL || dot == out || dot - out > 12)
		return -1;
	for (p = out; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		sec = sec * 10 + (*p - '0');
	}
	for (p = dot + 1; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 9)
			return -1;
		frac = frac * 10 + (*p - '0');
	}
	if (digits != 9 || (*p != '\0' && strcmp(p, "\n") != 0))
		return -1;
	*ns = sec * 1000000000LL + frac;
	return 0;
}

int health_clock_estimate(const struct health_clock_sample *s, size_t n,
			  struct health_clock *out)
{
	const struct health_clock_sample *best = NULL;
	long long offset_ns, half_ns;

	for (size_t i = 0; i < n; i++) {
		if (s[i].after_ns < s[i].before_ns)
			continue; /* the clock here was set back meanwhile */
		if (best == NULL || s[i].after_ns - s[i].before_ns < best->after_ns - best->before_ns)
			best = &s[i];
	}
	if (best == NULL)
		return -1;
	/* before + (after - before) / 2, without overflowing the sum. */
	half_ns = (best->after_ns - best->before_ns) / 2;
	offset_ns = best->host_ns - (best->before_ns + half_ns);
	out->offset_ms = (offset_ns >= 0 ? offset_ns + 500000 : offset_ns - 500000) / 1000000;
	out->uncertainty_ms = (best->after_ns - best->before_ns + 1999999) / 2000000;
	return 0;
}

enum check_status health_clock_judge(const struct health_clock *c)
{
	long long off = llabs(c->offset_ms);

	if (off + c->uncertainty_ms <= HEALTH_SKEW_FAIL_MS)
		return CHECK_PASS;
	if (off - c->uncertainty_ms > HEALTH_SKEW_FAIL_MS)
		return CHECK_FAIL;
	return CHECK_WAIT;
}

static long long realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Read the host's clock a few times, each between two readings of ours. */
static int clock_samples(struct check_env *env, struct health_clock_sample *s, char **saw)
{
	for (size_t i = 0; i < CLOCK_SAMPLES; i++) {
		char *out = NULL;
		int status;

		s[i].before_ns = realtime_ns();
		status = capture(env, HEALTH_CLOCK_COMMAND, 10, &out, saw);
		s[i].after_ns = realtime_ns();
		if (status >= 0 && (status != 0 || health_clock_parse(out, &s[i].host_ns) < 0)) {
			const char *text = out != NULL ? out : "";
			int len = (int)strcspn(text, "\n");

			/* L10N: the command, its first line (cut), its exit status. */
			*saw = xasprintf(_("\"%s\" printed \"%.*s\" (exit status %d), not the "
					   "host's clock in nanoseconds"),
					 HEALTH_CLOCK_COMMAND, len < 40 ? len : 40, text, status);
			status = -1;
		}
		free(out);
		if (status < 0)
			return -1;
	}
	return 0;
}

/* The host's clock against this machine's: the status and what was seen.
 * Measured here rather than from the facts so that the round trip that
 * bounds the error is one small command's, and so that a retry measures
 * again. */
static enum check_status measure_clock(struct check_env *env, struct health_clock *c,
				       char **saw)
{
	struct health_clock_sample s[CLOCK_SAMPLES];
	enum check_status st;

	if (clock_samples(env, s, saw) < 0)
		return CHECK_FAIL;
	if (health_clock_estimate(s, CLOCK_SAMPLES, c) < 0) {
		*saw = xstrdup(_("this machine's clock went back while measuring"));
		return CHECK_WAIT;
	}
	st = health_clock_judge(c);
	if (st == CHECK_WAIT)
		/* L10N: milliseconds (positive: the host is ahead), milliseconds of error. */
		*saw = xasprintf(_("%+lld ms (+-%lld ms): the round trip is too slow to tell; "
				   "measuring again"), c->offset_ms, c->uncertainty_ms);
	else if (st == CHECK_PASS && llabs(c->offset_ms) > HEALTH_SKEW_NOTE_MS)
		/* L10N: milliseconds (positive: the host is ahead), milliseconds of
		 * error, the note's threshold in seconds. */
		*saw = xasprintf(_("%+lld ms (+-%lld ms): passes, but more than %d s: etcd warns "
				   "about skew between members; keep the clocks in sync "
				   "(network.ntpServers)"), c->offset_ms, c->uncertainty_ms,
				 HEALTH_SKEW_NOTE_MS / 1000);
	else if (st == CHECK_PASS)
		/* L10N: milliseconds (positive: the host is ahead), milliseconds of error. */
		*saw = xasprintf(_("%+lld ms (+-%lld ms)"), c->offset_ms, c->uncertainty_ms);
	return st;
}

static char *skew_expected(void)
{
	/* L10N: seconds. */
	return xasprintf(_("the host's clock within %d s of this machine's"),
			 HEALTH_SKEW_FAIL_MS / 1000);
}

/* Preflight: a host too far off fails, unless the plan names NTP servers:
 * prepare sets its clock from them, and time-sync judges it then. */
static enum check_status check_time(struct check_env *env, char **expected, char **saw)
{
	struct health_clock c;
	enum check_status st;

	*expected = skew_expected();
	st = measure_clock(env, &c, saw);
	if (st != CHECK_FAIL || *saw != NULL)
		return st;
	if (env->plan->network.ntp_servers.n > 0) {
		/* L10N: seconds (positive: the host is ahead), milliseconds of error. */
		*saw = xasprintf(_("%+.1f s (+-%lld ms): prepare sets the clock from the plan's NTP "
				   "servers, and its time-sync check judges it then"),
				 (double)c.offset_ms / 1000.0, c.uncertainty_ms);
		return CHECK_PASS;
	}
	/* L10N: seconds (positive: the host is ahead), milliseconds of error. */
	*saw = xasprintf(_("%+.1f s (+-%lld ms): the host would refuse certificates issued here "
			   "or disagree with the others on tokens; set its clock (timedatectl "
			   "set-time, or an NTP service), or name NTP servers in the plan "
			   "(network.ntpServers)"), (double)c.offset_ms / 1000.0, c.uncertainty_ms);
	return CHECK_FAIL;
}

/* After prepare configured the plan's NTP servers: the host has set its
 * clock from them (waiting for its first synchronisation). */
static enum check_status check_time_sync(struct check_env *env, char **expected, char **saw)
{
	struct health_clock c;
	enum check_status st;

	*expected = skew_expected();
	if (env->plan->network.ntp_servers.n == 0) {
		*saw = xstrdup(_("the plan names no NTP servers"));
		return CHECK_UNUSED;
	}
	st = measure_clock(env, &c, saw);
	if (st != CHECK_FAIL || *saw != NULL)
		return st;
	/* Not yet synchronised, or this machine is the one that is off: wait
	 * until the deadline, then say both. */
	/* L10N: seconds (positive: the host is ahead), milliseconds of error. */
	*saw = xasprintf(_("%+.1f s (+-%lld ms) after its NTP servers were set: the host cannot "
			   "reach them (timedatectl timesync-status), or this machine's clock is "
			   "the one that is off"), (double)c.offset_ms / 1000.0, c.uncertainty_ms);
	return CHECK_WAIT;
}

static enum check_status check_disk(struct check_env *env, char **expected, char **saw)
{
	const struct health_facts *f = facts(env, saw);

	/* L10N: GiB. */
	*expected = xasprintf(_("%lld GiB free under /var/lib"), MIN_DISK_KB >> 20);
	if (f == NULL)
		return CHECK_FAIL;
	if (f->disk_kb < 0)
		*saw = xstrdup(_("unknown (df gave no answer)"));
	else
		/* L10N: MiB. */
		*saw = xasprintf(_("%lld MiB free"), f->disk_kb >> 10);
	return f->disk_kb >= MIN_DISK_KB ? CHECK_PASS : CHECK_FAIL;
}

static enum check_status check_hostname(struct check_env *env, char **expected, char **saw)
{
	const struct health_facts *f = facts(env, saw);
	const char *want = env->plan->hosts[env->host].name;

	/* L10N: the plan's host name. */
	*expected = xasprintf(_("hostname %s (the node registers under it)"), want);
	if (f == NULL)
		return CHECK_FAIL;
	*saw = xstrdup(f->hostname);
	/* The kubelet registers the host name in lower case. */
	return strcasecmp(f->hostname, want) == 0 ? CHECK_PASS : CHECK_FAIL;
}

/* Whether a blank-separated list of name servers names a loopback address
 * (a resolver on the host itself, like systemd-resolved's stub 127.0.0.53),
 * and whether it names any other. */
static void name_servers(const char *list, bool *loopback, bool *other)
{
	char *copy = xstrdup(list != NULL ? list : ""), *save = NULL;

	*loopback = *other = false;
	for (char *ns = strtok_r(copy, " ", &save); ns != NULL; ns = strtok_r(NULL, " ", &save)) {
		struct net_addr a;

		if (net_addr_parse(ns, &a) == 0 && net_addr_is_loopback(&a))
			*loopback = true;
		else
			*other = true;
	}
	free(copy);
}

/* Pods have their own loopback: a name server on the host's is out of their
 * reach, and CoreDNS, whose pods get the node's resolv.conf, would forward
 * to itself and stop (its loop plugin). The kubelet's step in render.c
 * takes systemd-resolved's real list instead when there is one, by the
 * same rule; this says which file the host has, and fails a worker that
 * has nothing usable (masters run host-network static pods only). */
static enum check_status check_resolv(struct check_env *env, char **expected, char **saw)
{
	const struct health_facts *f = facts(env, saw);
	bool stub = false, other = false, real_stub = false, real = false;
	const char *list = NULL;

	*expected = xstrdup(_("a resolv.conf for pods whose name servers they can reach"));
	if (f == NULL)
		return CHECK_FAIL;
	list = f->resolv != NULL ? f->resolv : "";
	name_servers(list, &stub, &other);
	name_servers(f->resolved, &real_stub, &real);
	if (stub && f->resolved != NULL && real && !real_stub) {
		/* L10N: the stub's name servers, the file used instead, its name servers. */
		*saw = xasprintf(_("/etc/resolv.conf names %s (systemd-resolved's stub): pods get "
				   "%s (%s)"), list, RESOLVED_CONF, f->resolved);
		return CHECK_PASS;
	}
	if (!stub) {
		/* L10N: a list of name servers, or a note that there is none. */
		*saw = xasprintf(_("/etc/resolv.conf (%s)"),
				 other ? list : _("no name server: pods resolve cluster names only"));
		return CHECK_PASS;
	}
	/* L10N: the loopback name servers found, and the file that is missing. */
	*saw = xasprintf(_("/etc/resolv.conf names %s, on the host's loopback, and %s has no "
			   "other"), list, RESOLVED_CONF);
	return env->plan->hosts[env->host].roles & ROLE_WORKER ? CHECK_FAIL : CHECK_PASS;
}

/* keepalived can move the VIP only within the network of the interface that
 * holds each master's address (the plan knows no prefix lengths: the host
 * does). */
static enum check_status check_vip_subnet(struct check_env *env, char **expected, char **saw)
{
	const struct plan *p = env->plan;
	const char *addr = p->hosts[env->host].address;
	const struct health_facts *f = NULL;
	struct net_addr mine, vip;

	/* L10N: the VIP. */
	*expected = xasprintf(_("the VIP %s in the network of the master's address"),
			      p->network.apiserver_vip != NULL ? p->network.apiserver_vip : "-");
	if (p->network.apiserver_endpoint != ENDPOINT_KEEPALIVED) {
		*saw = xstrdup(_("no keepalived (apiserverEndpoint is not keepalived)"));
		return CHECK_UNUSED;
	}
	f = facts(env, saw);
	if (f == NULL)
		return CHECK_FAIL;
	if (net_addr_parse(addr, &mine) < 0 || p->network.apiserver_vip == NULL ||
	    net_addr_parse(p->network.apiserver_vip, &vip) < 0) {
		*saw = xstrdup(_("no valid address or VIP in the plan"));
		return CHECK_FAIL;
	}
	for (size_t i = 0; i < f->n_inet; i++) {
		const char *sp = strchr(f->inet[i], ' ');
		char *text = NULL, *slash = NULL;
		struct net_cidr net;
		struct net_addr a;
		const char *why = NULL;
		char buf[NET_CIDRSTRLEN];
		bool inside;

		if (sp == NULL)
			continue;
		text = xstrdup(sp + 1);
		slash = strchr(text, '/');
		if (slash == NULL || net_cidr_parse(text, &net, &why) == -1) {
			free(text);
			continue;
		}
		*slash = '\0';
		if (net_addr_parse(text, &a) < 0 || !net_addr_equal(&a, &mine)) {
			free(text);
			continue;
		}
		free(text);
		net_cidr_format(&net, buf, sizeof buf);
		inside = net_cidr_contains(&net, &vip);
		/* L10N: the interface, its network, and whether the VIP is in it. */
		*saw = xasprintf(_("%.*s's network is %s: the VIP is %s"), (int)(sp - f->inet[i]),
				 f->inet[i], buf, inside ? _("in it") : _("outside it"));
		return inside ? CHECK_PASS : CHECK_FAIL;
	}
	/* L10N: the plan's address of the host. */
	*saw = xasprintf(_("no interface has the plan's address %s"), addr);
	return CHECK_FAIL;
}

struct port_need {
	unsigned port;
	const char *owner; /* the process that holds it once installed (its comm) */
	const char *also;  /* another that may, or NULL */
};

/* The ports a host's roles need, each free or already held by the component
 * k8s-wizard put there (a resumed or repeated install). */
static size_t ports_needed(const struct plan *p, unsigned roles, struct port_need *out)
{
	size_t n = 0;

	if (roles & ROLE_ETCD) {
		out[n++] = (struct port_need){ .port = p->etcd.client_port, .owner = "etcd" };
		out[n++] = (struct port_need){ .port = p->etcd.peer_port, .owner = "etcd" };
	}
	if (roles & ROLE_MASTER) {
		/* With keepalived, haproxy listens on the VIP at the same port. */
		out[n++] = (struct port_need){
			.port = p->network.apiserver_port, .owner = "kube-apiserver",
			.also = p->network.apiserver_endpoint == ENDPOINT_KEEPALIVED ? "haproxy" : NULL
		};
		out[n++] = (struct port_need){ .port = 10257, .owner = "kube-controller" };
		out[n++] = (struct port_need){ .port = 10259, .owner = "kube-scheduler" };
	}
	if (roles & (ROLE_MASTER | ROLE_WORKER)) {
		out[n++] = (struct port_need){ .port = 10250, .owner = "kubelet" };
		out[n++] = (struct port_need){ .port = 10248, .owner = "kubelet" };
	}
	if (roles & ROLE_WORKER) {
		out[n++] = (struct port_need){ .port = 10249, .owner = "kube-proxy" };
		out[n++] = (struct port_need){ .port = 10256, .owner = "kube-proxy" };
		if (p->network.apiserver_endpoint == ENDPOINT_LOCAL)
			out[n++] = (struct port_need){ .port = p->network.apiserver_port,
						       .owner = "haproxy" };
	}
	return n;
}

static enum check_status check_ports(struct check_env *env, char **expected, char **saw)
{
	const struct health_facts *f = facts(env, saw);
	struct port_need need[16];
	size_t n = ports_needed(env->plan, env->plan->hosts[env->host].roles, need);
	struct strbuf want = { 0 }, taken = { 0 };

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&want, "%s%u", i > 0 ? "," : "", need[i].port);
	/* L10N: a list of TCP ports. */
	*expected = xasprintf(_("ports %s free (or held by what k8s-wizard installed)"),
			      want.s != NULL ? want.s : "");
	strbuf_clear(&want);
	if (f == NULL)
		return CHECK_FAIL;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < f->n_listen; k++) {
			const char *sp = strchr(f->listen[k], ' ');
			char *end = NULL;
			unsigned long port = strtoul(f->listen[k], &end, 10);

			if (end == f->listen[k] || port != need[i].port || sp == NULL)
				continue;
			if (strcmp(sp + 1, need[i].owner) == 0 ||
			    (need[i].also != NULL && strcmp(sp + 1, need[i].also) == 0))
				continue;
			/* L10N: a port and the process that holds it. */
			strbuf_addf(&taken, _("%s%u held by %s"), taken.len > 0 ? ", " : "",
				    need[i].port, sp[1] != '\0' ? sp + 1 : _("a process not shown"));
		}
	}
	if (taken.len == 0) {
		*saw = xstrdup(_("free"));
		return CHECK_PASS;
	}
	*saw = strbuf_detach(&taken, NULL);
	return CHECK_FAIL;
}

/* --- prepare -------------------------------------------------------------- */

static const struct render_file *host_file(const struct check_env *env, const char *path)
{
	const struct render_host *h = &env->render->hosts[env->host];

	for (size_t i = 0; i < h->n_files; i++) {
		if (strcmp(h->files[i].path, path) == 0)
			return &h->files[i];
	}
	return NULL;
}

/* Collapse runs of blanks to one space and trim, as sysctl prints lists. */
static char *squeeze(const char *s)
{
	struct strbuf b = { 0 };
	bool blank = false;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t') {
			blank = true;
			continue;
		}
		if (blank && b.len > 0)
			strbuf_addc(&b, ' ');
		blank = false;
		strbuf_addc(&b, *s);
	}
	return strbuf_detach(&b, NULL);
}

struct setting {
	char *key, *value;
};

/* The key = value lines of a sysctl.d file. */
static size_t parse_sysctl(const char *text, size_t len, struct setting **out)
{
	char *copy = xstrndup(text, len), *save = NULL;
	size_t n = 0;

	*out = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *k = NULL;

		if (line[0] == '#' || line[0] == ';' || eq == NULL)
			continue;
		*eq = '\0';
		k = squeeze(line);
		*out = xreallocarray(*out, n + 1, sizeof **out);
		(*out)[n].key = k;
		(*out)[n].value = squeeze(eq + 1);
		n++;
	}
	free(copy);
	return n;
}

static enum check_status check_sysctl(struct check_env *env, char **expected, char **saw)
{
	const struct render_file *file = host_file(env, SYSCTL_FILE);
	struct setting *set = NULL;
	size_t n = 0;
	struct strbuf cmd = { 0 }, wrong = { 0 };
	char *out = NULL;
	enum check_status st = CHECK_FAIL;
	size_t i = 0, n_wrong = 0;

	/* L10N: a file of kernel settings. */
	*expected = xasprintf(_("every setting of %s in force"), SYSCTL_FILE);
	if (file == NULL || file->source_type != RENDER_TEXT) {
		*saw = xstrdup(_("no settings rendered for this host"));
		return CHECK_PASS;
	}
	n = parse_sysctl(file->content, file->len, &set);
	for (i = 0; i < n; i++) {
		char *q = shquote_arg(set[i].key);

		strbuf_addf(&cmd,
			    "printf '%%s\\n' \"$(sysctl -n %s 2>/dev/null | tr '\\t\\n' '  ')\"; ",
			    q);
		free(q);
	}
	if (capture(env, cmd.s != NULL ? cmd.s : "true", 30, &out, saw) < 0)
		goto out;
	/* One line per setting, in order. An empty line is a key the kernel
	 * does not have: it must count, or every later value would be judged
	 * against the wrong key. */
	i = 0;
	for (char *line = out; i < n && *line != '\0'; i++) {
		char *nl = strchr(line, '\n');
		char *got = NULL;

		if (nl != NULL)
			*nl = '\0';
		got = squeeze(line);
		if (strcmp(got, set[i].value) != 0 && n_wrong++ < 3)
			/* L10N: a setting, the value found, the value wanted. */
			strbuf_addf(&wrong, _("%s%s = %s (not %s)"), wrong.len > 0 ? "; " : "",
				    set[i].key, got[0] != '\0' ? got : _("unreadable"), set[i].value);
		free(got);
		line = nl != NULL ? nl + 1 : line + strlen(line);
	}
	if (i < n) {
		/* L10N: two numbers of settings. */
		*saw = xasprintf(_("%zu of %zu settings could be read"), i, n);
	} else if (n_wrong > 3) {
		/* L10N: three settings that differ, then how many more. */
		*saw = xasprintf(_("%s; and %zu more"), wrong.s, n_wrong - 3);
	} else if (n_wrong > 0) {
		*saw = strbuf_detach(&wrong, NULL);
	} else {
		/* L10N: a number of settings. */
		*saw = xasprintf(_("%zu settings as rendered"), n);
		st = CHECK_PASS;
	}
out:
	for (i = 0; i < n; i++) {
		free(set[i].key);
		free(set[i].value);
	}
	free(set);
	free(out);
	strbuf_clear(&cmd);
	strbuf_clear(&wrong);
	return st;
}

#define KERNEL_BASE                                                                     \
	"grep -qw overlay /proc/filesystems || m=\"$m overlay\"; "                         \
	"[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || m=\"$m br_netfilter\"; "

/* What the modules of the prepare phase are for, seen from the kernel: this
 * holds whether they are loadable modules or built in. */
static enum check_status check_kernel(struct check_env *env, char **expected, char **saw)
{
	const struct plan_host *ph = &env->plan->hosts[env->host];
	bool ipvs = (ph->roles & ROLE_WORKER) && env->plan->network.kube_proxy_mode == PROXY_IPVS;
	char *out = NULL;
	int status;

	*expected = xstrdup(ipvs ? _("overlay filesystem, bridge netfilter and IPVS in the kernel")
				 : _("overlay filesystem and bridge netfilter in the kernel"));
	status = capture(env,
			 ipvs ? "m=; " KERNEL_BASE "[ -e /proc/net/ip_vs ] || m=\"$m ip_vs\"; "
				"echo \"missing:$m\""
			      : "m=; " KERNEL_BASE "echo \"missing:$m\"",
			 30, &out, saw);
	if (status < 0) {
		free(out);
		return CHECK_FAIL;
	}
	if (strcmp(out, "missing:\n") == 0) {
		*saw = xstrdup(_("all there"));
		free(out);
		return CHECK_PASS;
	}
	out[strcspn(out, "\n")] = '\0';
	*saw = xstrdup(out);
	free(out);
	return CHECK_FAIL;
}

/* --- containerd ----------------------------------------------------------- */

static enum check_status check_command(struct check_env *env, const char *command,
				       const char *want, char **saw)
{
	char *out = NULL;
	int status = capture(env, command, 30, &out, saw);
	enum check_status st = CHECK_WAIT;

	if (status < 0) {
		free(out);
		return env->ops->cause(env->h) == TRANSPORT_REFUSED ? CHECK_FAIL : CHECK_WAIT;
	}
	out[strcspn(out, "\n")] = '\0';
	if (status == 0 && (want == NULL || strcmp(out, want) == 0))
		st = CHECK_PASS;
	if (out[0] != '\0')
		*saw = xstrdup(out);
	else
		/* L10N: an exit status. */
		*saw = xasprintf(_("exit status %d"), status);
	free(out);
	return st;
}

static enum check_status check_containerd(struct check_env *env, char **expected, char **saw)
{
	*expected = xstrdup(_("containerd.service active"));
	return check_command(env, "systemctl is-active containerd", "active", saw);
}

static enum check_status check_cri(struct check_env *env, char **expected, char **saw)
{
	enum check_status st;

	*expected = xstrdup(_("the CRI answers (crictl info)"));
	st = check_command(env, "crictl info >/dev/null && echo answers", "answers", saw);
	return st;
}

/* --- pki ------------------------------------------------------------------ */

/* Whether sha256sum's output has the line "HEX  PATH" (or "HEX *PATH"). A
 * file it could not read has no line at all, so lines are matched by path,
 * not by position. */
static bool summed(const char *out, const char *hex, const char *path)
{
	size_t plen = strlen(path);

	for (const char *line = out; *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);

		if (len == 66 + plen && strncmp(line, hex, 64) == 0 && line[64] == ' ' &&
		    (line[65] == ' ' || line[65] == '*') && memcmp(line + 66, path, plen) == 0)
			return true;
		line += len + (nl != NULL);
	}
	return false;
}

/* The certificates and keys on the host are the ones rendered for it. */
static enum check_status check_pki_files(struct check_env *env, char **expected, char **saw)
{
	const struct render_host *h = &env->render->hosts[env->host];
	struct strbuf cmd = { 0 }, wrong = { 0 };
	char *out = NULL;
	enum check_status st = CHECK_FAIL;
	size_t n = 0;

	*expected = xstrdup(_("the certificates and keys placed are the ones rendered"));
	strbuf_adds(&cmd, "sha256sum --");
	for (size_t i = 0; i < h->n_files; i++) {
		char *q = NULL;

		if (h->files[i].phase != PHASE_PKI || h->files[i].source_type != RENDER_TEXT)
			continue;
		q = shquote_arg(h->files[i].path);
		strbuf_addf(&cmd, " %s", q);
		free(q);
		n++;
	}
	if (n == 0) {
		strbuf_clear(&cmd);
		*saw = xstrdup(_("none for this host"));
		return CHECK_PASS;
	}
	if (capture(env, cmd.s, 30, &out, saw) < 0)
		goto out;
	for (size_t i = 0; i < h->n_files; i++) {
		const struct render_file *f = &h->files[i];
		char hex[HEXSUM_LEN + 1];

		if (f->phase != PHASE_PKI || f->source_type != RENDER_TEXT)
			continue;
		hexsum_data(f->content, f->len, hex);
		if (!summed(out, hex, f->path))
			strbuf_addf(&wrong, "%s%s", wrong.len > 0 ? ", " : "", f->path);
	}
	if (wrong.len > 0) {
		/* L10N: a list of files. */
		*saw = xasprintf(_("different or missing: %s"), wrong.s);
	} else {
		/* L10N: a number of files. */
		*saw = xasprintf(_("%zu files as rendered"), n);
		st = CHECK_PASS;
	}
out:
	free(out);
	strbuf_clear(&cmd);
	strbuf_clear(&wrong);
	return st;
}

/* --- the table ------------------------------------------------------------ */

#define ALL (ROLE_MASTER | ROLE_ETCD | ROLE_WORKER)

static const struct check checks[] = {
	{ "connect", PHASE_PREFLIGHT, ALL, 0, 0, false, check_connect },
	{ "arch", PHASE_PREFLIGHT, ALL, 0, 0, true, check_arch },
	{ "os", PHASE_PREFLIGHT, ALL, 0, 0, true, check_os },
	{ "cgroup2", PHASE_PREFLIGHT, ALL, 0, 0, true, check_cgroup2 },
	{ "swap", PHASE_PREFLIGHT, ALL, 0, 0, true, check_swap },
	{ "time-skew", PHASE_PREFLIGHT, ALL, 30, 1000, true, check_time },
	{ "disk", PHASE_PREFLIGHT, ALL, 0, 0, true, check_disk },
	{ "ports", PHASE_PREFLIGHT, ALL, 0, 0, true, check_ports },
	{ "hostname", PHASE_PREFLIGHT, ROLE_WORKER, 0, 0, true, check_hostname },
	{ "resolv-conf", PHASE_PREFLIGHT, ALL, 0, 0, true, check_resolv },
	{ "vip-subnet", PHASE_PREFLIGHT, ROLE_MASTER, 0, 0, true, check_vip_subnet },
	{ "sysctl", PHASE_PREPARE, ALL, 0, 0, false, check_sysctl },
	{ "kernel-features", PHASE_PREPARE, ALL, 0, 0, false, check_kernel },
	{ "time-sync", PHASE_PREPARE, ALL, 120, 2000, false, check_time_sync },
	{ "containerd", PHASE_CONTAINERD, ALL, 60, 2000, false, check_containerd },
	{ "cri", PHASE_CONTAINERD, ALL, 60, 2000, false, check_cri },
	{ "pki-files", PHASE_PKI, ALL, 0, 0, false, check_pki_files },
	{ "kubelet", PHASE_KUBELET, ROLE_MASTER, 120, 2000, false, healthapi_kubelet },
	{ "etcd-health", PHASE_ETCD, ROLE_ETCD, 300, 2000, false, healthapi_etcd },
	{ "etcd-members", PHASE_ETCD, 0, 60, 2000, false, healthapi_etcd_members },
	{ "apiserver", PHASE_APISERVER, ROLE_MASTER, 300, 2000, false, healthapi_apiserver },
	{ "api-endpoint", PHASE_APISERVER, 0, 120, 2000, false, healthapi_vip },
	{ "controller-manager", PHASE_CONTROLLER_MANAGER, ROLE_MASTER, 180, 2000, false,
	  healthapi_controller_manager },
	{ "scheduler", PHASE_SCHEDULER, ROLE_MASTER, 180, 2000, false, healthapi_scheduler },
	{ "local-endpoint", PHASE_WORKERS, ROLE_WORKER, 120, 2000, false,
	  healthapi_local_endpoint },
	{ "worker-kubelet", PHASE_WORKERS, ROLE_WORKER, 120, 2000, false, healthapi_kubelet },
	{ "nodes-registered", PHASE_WORKERS, 0, 300, 2000, false, healthapi_nodes },
	{ "serving-csrs", PHASE_WORKERS, 0, 120, 2000, false, healthapi_serving_csrs },
	{ "calico-node", PHASE_CALICO, 0, 600, 2000, false, healthapi_calico },
	{ "nodes-ready", PHASE_CALICO, 0, 300, 2000, false, healthapi_nodes_ready },
	{ "coredns", PHASE_COREDNS, 0, 300, 2000, false, healthapi_coredns },
	{ "cluster-dns", PHASE_COREDNS, ROLE_WORKER, 300, 2000, false, healthapi_cluster_dns },
	{ "node-local-dns", PHASE_NODELOCALDNS, 0, 300, 2000, false, healthapi_nodelocaldns },
	{ "csr-approver", PHASE_CSR_APPROVER, 0, 300, 2000, false, healthapi_csr_approver },
	{ "metrics-server", PHASE_METRICS_SERVER, 0, 300, 2000, false, healthapi_metrics },
};

const struct check *health_checks(size_t *n)
{
	*n = sizeof checks / sizeof checks[0];
	return checks;
}

char *health_skippable_names(const struct check *list, size_t n)
{
	struct strbuf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (list[i].skippable)
			strbuf_addf(&b, "%s%s", b.len > 0 ? ", " : "", list[i].name);
	}
	return strbuf_detach(&b, NULL);
}
