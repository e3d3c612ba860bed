/* The phase table: one row per phase of DESIGN.md, in the order they run. */
#include "config.h"

#include "phase.h"

#include <stddef.h>
#include <string.h>

#include "nls.h"
#include "plan.h"

struct phase_row {
	const char *name;
	const char *summary;
	unsigned roles; /* 0: the cluster */
};

static const struct phase_row phases[PHASE_COUNT] = {
	[PHASE_PREFLIGHT] = { "preflight", N_("hosts answer and are fit"),
			      ROLE_MASTER | ROLE_ETCD | ROLE_WORKER },
	[PHASE_PREPARE] = { "prepare", N_("kernel settings and modules"),
			    ROLE_MASTER | ROLE_ETCD | ROLE_WORKER },
	[PHASE_CONTAINERD] = { "containerd", N_("container runtime"),
			       ROLE_MASTER | ROLE_ETCD | ROLE_WORKER },
	[PHASE_PKI] = { "pki", N_("certificates and keys"), ROLE_MASTER | ROLE_ETCD | ROLE_WORKER },
	[PHASE_KUBELET] = { "kubelet", N_("standalone kubelet for static pods"), ROLE_MASTER },
	[PHASE_ETCD] = { "etcd", N_("etcd cluster"), ROLE_ETCD },
	[PHASE_APISERVER] = { "apiserver", N_("API servers"), ROLE_MASTER },
	[PHASE_CONTROLLER_MANAGER] = { "controller-manager", N_("controller manager"),
				       ROLE_MASTER },
	[PHASE_SCHEDULER] = { "scheduler", N_("scheduler"), ROLE_MASTER },
	[PHASE_WORKERS] = { "workers", N_("kubelet and kube-proxy on the workers"), ROLE_WORKER },
	[PHASE_CALICO] = { "calico", N_("pod network"), 0 },
	[PHASE_COREDNS] = { "coredns", N_("cluster DNS"), 0 },
	[PHASE_NODELOCALDNS] = { "nodelocaldns", N_("node-local DNS cache"), 0 },
	[PHASE_CSR_APPROVER] = { "csr-approver", N_("kubelet serving certificate approver"), 0 },
	[PHASE_METRICS_SERVER] = { "metrics-server", N_("resource metrics"), 0 },
};

unsigned phase_roles(enum phase phase)
{
	return phase < PHASE_COUNT ? phases[phase].roles : 0;
}

const char *phase_name(enum phase phase)
{
	return phase < PHASE_COUNT ? phases[phase].name : "?";
}

const char *phase_summary(enum phase phase)
{
	return phase < PHASE_COUNT ? _(phases[phase].summary) : "?";
}

int phase_from_name(const char *name)
{
	for (int i = 0; i < PHASE_COUNT; i++) {
		if (strcmp(phases[i].name, name) == 0)
			return i;
	}
	return -1;
}

bool phase_enabled(const struct plan *p, enum phase phase)
{
	switch (phase) {
	case PHASE_CALICO:
		return p->addons.calico.enabled;
	case PHASE_COREDNS:
		return p->addons.coredns.enabled;
	case PHASE_NODELOCALDNS:
		return p->addons.nodelocaldns.enabled;
	case PHASE_CSR_APPROVER:
		return p->addons.csr_approver.enabled;
	case PHASE_METRICS_SERVER:
		return p->addons.metrics_server.enabled;
	default:
		return phase < PHASE_COUNT;
	}
}
