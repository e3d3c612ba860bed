/* The health checks that ask the cluster's components themselves, over the
 * host's own SSH connection (a TCP stream from the host to the component's
 * port) with TLS verified against the cluster's CAs and the client
 * certificates of the PKI: the kubelet, etcd, the apiservers and the VIP,
 * the controller-manager, the scheduler, nodes, CSRs and the add-ons. Answers
 * of the API are read with json-c. The check functions are listed in
 * health.c's table. */
#ifndef K8SW_HEALTHAPI_H
#define K8SW_HEALTHAPI_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"

enum check_status healthapi_kubelet(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_etcd(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_etcd_members(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_apiserver(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_vip(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_controller_manager(struct check_env *env, char **expected,
					       char **saw);
enum check_status healthapi_scheduler(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_nodes(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_serving_csrs(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_nodes_ready(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_calico(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_coredns(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_cluster_dns(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_nodelocaldns(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_csr_approver(struct check_env *env, char **expected, char **saw);
enum check_status healthapi_metrics(struct check_env *env, char **expected, char **saw);

/* The cluster's nodes, one line each: name, Ready or not, internal address,
 * kubelet version. NULL with *saw set when the API cannot tell. */
char *healthapi_nodes_summary(struct check_env *env, char **saw);

/* Internals, exported for the unit tests. */

/* Whether a kubelet-serving CSR (PEM, as in spec.request) asks only for
 * names and addresses of host (its name as DNS, its address as IP). *why
 * says what is wrong otherwise (static text). */
bool healthapi_csr_fits(const char *pem, size_t len, const char *name, const char *address,
			const char **why);

#endif
