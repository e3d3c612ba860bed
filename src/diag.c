/* Diagnostics per phase: a table of commands, each bounded by timeout(1) on
 * the host and by the transport's own timeout, run in order until the host
 * stops answering. */
#include "config.h"

#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"
#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"

#define DIAG_TIMEOUT 20 /* seconds per command */
#define DIAG_MAX (512u << 10)

#define KUBECTL "kubectl --kubeconfig=/etc/kubernetes/admin.kubeconfig "
#define CONTAINER_LOGS(name)                                                            \
	"id=$(crictl ps -a --name '" name "' -q 2>/dev/null | head -n 1); "               \
	"[ -n \"$id\" ] && crictl logs --tail 100 \"$id\" 2>&1"

static const char *const none[] = { "uptime", NULL };
static const char *const prepare[] = {
	"sysctl -p /etc/sysctl.d/99-k8s-wizard.conf 2>&1 | tail -n 40",
	"grep -w overlay /proc/filesystems; ls /proc/sys/net/bridge 2>&1; ls /proc/net/ip_vs 2>&1",
	NULL,
};
static const char *const containerd[] = {
	"systemctl status containerd --no-pager -l 2>&1 | head -n 40",
	"journalctl -u containerd -n 200 --no-pager 2>&1",
	"crictl info 2>&1 | head -n 60",
	NULL,
};
static const char *const kubelet[] = {
	"systemctl status kubelet --no-pager -l 2>&1 | head -n 40",
	"journalctl -u kubelet -n 200 --no-pager 2>&1",
	"crictl ps -a 2>&1",
	NULL,
};
static const char *const etcd[] = {
	"systemctl status kubelet --no-pager -l 2>&1 | head -n 20",
	"crictl ps -a 2>&1",
	CONTAINER_LOGS("etcd"),
	"journalctl -u kubelet -n 100 --no-pager 2>&1",
	NULL,
};
static const char *const apiserver[] = {
	"crictl ps -a 2>&1",
	CONTAINER_LOGS("kube-apiserver"),
	"journalctl -u kubelet -n 100 --no-pager 2>&1",
	NULL,
};
static const char *const controller_manager[] = {
	"crictl ps -a 2>&1",
	CONTAINER_LOGS("kube-controller-manager"),
	"journalctl -u kubelet -n 100 --no-pager 2>&1",
	NULL,
};
static const char *const scheduler[] = {
	"crictl ps -a 2>&1",
	CONTAINER_LOGS("kube-scheduler"),
	"journalctl -u kubelet -n 100 --no-pager 2>&1",
	NULL,
};
static const char *const cluster[] = {
	KUBECTL "get nodes -o wide 2>&1",
	KUBECTL "get pods -A -o wide 2>&1",
	KUBECTL "get csr 2>&1",
	KUBECTL "get events -A --sort-by=.lastTimestamp 2>&1 | tail -n 60",
	NULL,
};

struct diag_row {
	const char *const *commands;
	const char *hint;
};

static const struct diag_row rows[PHASE_COUNT] = {
	[PHASE_PREFLIGHT] = { none, N_("the check's own message says what the host lacks") },
	[PHASE_PREPARE] = { prepare, N_("a setting the kernel refuses, or a module it does not "
					"have, is named in the sysctl output") },
	[PHASE_CONTAINERD] = { containerd, N_("look at containerd's journal: a config.toml it "
					      "cannot parse or a binary that does not run") },
	[PHASE_PKI] = { none, N_("a file that differs was changed on the host since it was "
				 "placed") },
	[PHASE_KUBELET] = { kubelet, N_("look at the kubelet's journal: its config, its "
					"certificates or the container runtime") },
	[PHASE_ETCD] = { etcd, N_("look at the etcd container's log: certificates, peer "
				  "addresses and the data directory are the usual causes") },
	[PHASE_APISERVER] = { apiserver, N_("look at the apiserver container's log: it names "
					    "the etcd or certificate problem") },
	[PHASE_CONTROLLER_MANAGER] = { controller_manager,
				       N_("look at the controller-manager container's log") },
	[PHASE_SCHEDULER] = { scheduler, N_("look at the scheduler container's log") },
	[PHASE_WORKERS] = { kubelet, N_("look at the kubelet's journal: the bootstrap token, "
					"the API endpoint and its certificate") },
	[PHASE_CALICO] = { cluster, N_("look at the calico pods and the events: images that "
				       "cannot be pulled are the usual cause") },
	[PHASE_COREDNS] = { cluster, N_("look at the coredns pods and the events") },
	[PHASE_NODELOCALDNS] = { cluster, N_("look at the node-local-dns pods and the events") },
	[PHASE_CSR_APPROVER] = { cluster, N_("look at the kubelet-csr-approver pod and the "
					     "pending CSRs") },
	[PHASE_METRICS_SERVER] = { cluster, N_("look at the metrics-server pod: it must reach "
					       "the kubelets on their addresses") },
};

const char *const *diag_commands(enum phase phase, const char **hint)
{
	if (phase >= PHASE_COUNT) {
		*hint = "";
		return none;
	}
	*hint = _(rows[phase].hint);
	return rows[phase].commands;
}

static void collect_line(const struct remote_line *line, void *data)
{
	struct strbuf *out = data;

	if (out->len + line->len + 1 > DIAG_MAX)
		return;
	strbuf_add(out, line->text, line->len);
	strbuf_addc(out, '\n');
}

int diag_collect(const struct transport_ops *ops, void *h, enum phase phase, const char *what,
		 const char *last_lines, const char *path, char **hint, char **err)
{
	const char *why = NULL;
	const char *const *commands = diag_commands(phase, &why);
	struct strbuf out = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	int rc;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	/* L10N: phase, what failed, a date. */
	strbuf_addf(&out, _("# diagnostics of phase %s after: %s (%s)\n"), phase_name(phase), what,
		    stamp);
	/* L10N: the hint. */
	strbuf_addf(&out, _("# look first: %s\n"), why);
	if (last_lines != NULL && last_lines[0] != '\0')
		/* L10N: the lines the failed step printed last follow. */
		strbuf_addf(&out, _("\n# its last lines:\n%s"), last_lines);
	for (size_t i = 0; commands[i] != NULL; i++) {
		struct remote_cmd cmd = { .command = commands[i], .timeout = DIAG_TIMEOUT,
					  .on_line = collect_line, .data = &out };
		struct remote_result res = { 0 };
		char *cerr = NULL;

		strbuf_addf(&out, "\n$ %s\n", commands[i]);
		if (ops->run(h, &cmd, &res, &cerr) < 0) {
			/* L10N: why the host could not be asked. */
			strbuf_addf(&out, _("# the host did not answer: %s\n"),
				    cerr != NULL ? cerr : transport_cause_name(ops->cause(h)));
			free(cerr);
			break;
		}
		if (res.status == REMOTE_TIMEOUT)
			strbuf_adds(&out, _("# (ended: no answer in time)\n"));
	}
	rc = fileio_write_atomic(path, out.s, out.len, 0600, err);
	strbuf_clear(&out);
	if (rc == 0)
		*hint = xstrdup(why);
	return rc;
}
