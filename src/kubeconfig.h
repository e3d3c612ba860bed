/* Kubeconfig files for the clients of the apiserver, the way the guide makes
 * them with "kubectl config set-cluster/set-credentials/set-context --embed-certs":
 * one cluster "kubernetes" at https://VIP:port whose CA is k8s-ca, one user and
 * one context, credentials embedded as base64 data. */
#ifndef K8SW_KUBECONFIG_H
#define K8SW_KUBECONFIG_H

#include "certs.h"
#include "plan.h"

enum kubeconfig_id {
	KUBECONFIG_ADMIN,
	KUBECONFIG_CONTROLLER_MANAGER,
	KUBECONFIG_SCHEDULER,
	KUBECONFIG_KUBELET_BOOTSTRAP,
	KUBECONFIG_COUNT
};

/* File name as the guide uses it: "admin.kubeconfig" (the guide's kube.config),
 * "kube-controller-manager.kubeconfig", "kube-scheduler.kubeconfig",
 * "kubelet-bootstrap.kubeconfig". */
const char *kubeconfig_name(enum kubeconfig_id id);

/* The kubeconfig YAML (emitted with libyaml's emitter, embedded base64 data),
 * server https://VIP:port from the plan, cluster "kubernetes", user/context names
 * as in the guide. It holds a private key or the bootstrap token: write it 0600
 * and never log it. The caller frees it. */
char *kubeconfig_render(const struct plan *p, const struct certs *c, enum kubeconfig_id id);

#endif
