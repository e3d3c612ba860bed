/* Kubeconfig files for the clients of the apiserver, the way the guide makes
 * them with "kubectl config set-cluster/set-credentials/set-context --embed-certs":
 * one cluster "kubernetes" at the API endpoint whose CA is k8s-ca, one user and
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

/* Where the client of kubeconfig id reaches the API, as a URL (caller
 * frees): https://VIP:port, except with network.apiserverEndpoint local,
 * which has no VIP: the workers' clients (the kubelet's bootstrap, and
 * kube-proxy, which render.c gives the same) use the proxy on their
 * 127.0.0.1, the controller-manager and the scheduler their master's own
 * apiserver on 127.0.0.1, the admin the first master. */
char *kubeconfig_server(const struct plan *p, enum kubeconfig_id id);

/* The kubeconfig YAML (emitted with libyaml's emitter, embedded base64 data),
 * server kubeconfig_server(), cluster "kubernetes", user/context names
 * as in the guide. It holds a private key or the bootstrap token: write it 0600
 * and never log it. The caller frees it. */
char *kubeconfig_render(const struct plan *p, const struct certs *c, enum kubeconfig_id id);

#endif
