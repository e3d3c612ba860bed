/* The engine's transport over SSH (remote.h): one struct remote per plan
 * host, uploads from memory or from the bundle (each bundle file hashed once
 * for every host), TCP streams for the health probes. */
#ifndef K8SW_TRANSPORT_SSH_H
#define K8SW_TRANSPORT_SSH_H

#include "plan.h"
#include "remote.h"
#include "transport.h"

struct transport_ssh;

/* For the hosts of plan (which must outlive it), with the shared settings of
 * config (its prompts must outlive it too). */
struct transport_ssh *transport_ssh_new(const struct plan *plan,
					const struct remote_config *config);
void transport_ssh_free(struct transport_ssh **t);

extern const struct transport_ops transport_ssh_ops;

#endif
