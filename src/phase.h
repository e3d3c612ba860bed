/* The phases of an install, in the order they run (DESIGN.md's table): their
 * names, the hosts each one concerns and whether the plan turns it off. The
 * render places each file and command in a phase; the engine runs them phase
 * by phase and checks each phase's health before the next. */
#ifndef K8SW_PHASE_H
#define K8SW_PHASE_H

#include <stdbool.h>

struct plan;

enum phase {
	PHASE_PREFLIGHT,
	PHASE_PREPARE,
	PHASE_CONTAINERD,
	PHASE_PKI,
	PHASE_KUBELET,
	PHASE_ETCD,
	PHASE_APISERVER,
	PHASE_CONTROLLER_MANAGER,
	PHASE_SCHEDULER,
	PHASE_WORKERS,
	PHASE_CALICO,
	PHASE_COREDNS,
	PHASE_NODELOCALDNS,
	PHASE_CSR_APPROVER,
	PHASE_METRICS_SERVER,
	PHASE_COUNT
};

/* The hosts a phase concerns (roles of enum plan_role), 0 for a phase that
 * runs on the cluster as a whole. */
unsigned phase_roles(enum phase phase);

/* "preflight", "controller-manager", ... (not translated: they are names in
 * journals, logs and options); "?" for a value out of range. */
const char *phase_name(enum phase phase);

/* What the phase does, in a few words, translated. */
const char *phase_summary(enum phase phase);

/* The phase named name, or -1 when there is none. */
int phase_from_name(const char *name);

/* Whether the plan runs this phase: an add-on it turns off is skipped. */
bool phase_enabled(const struct plan *p, enum phase phase);

#endif
