/* The cluster's PKI, as the guide's section 3.2 lays it out: four CAs
 * (etcd-ca, k8s-ca, kubelet-ca, agg-ca), the leaf certificates the control
 * plane uses, the service-account signing key and the kubelet bootstrap token;
 * and two certificates the guide does without: kubelet-signing-ca, the CA the
 * controller-manager signs the kubelets' certificates with (so that k8s-ca's
 * key stays on the jump host), and apiserver-etcd-client, the apiserver's own
 * client certificate for etcd.
 *
 * Everything lives in one directory of the state directory (keys 0600, written
 * through a temporary file and rename). certs_ensure() loads what is there,
 * creates what is missing and re-issues a leaf whose subject, SANs or usages no
 * longer match the plan, or that is expiring or no longer verifies against its
 * CA, and makes a new bootstrap token when the stored one has less than a
 * quarter of pki.bootstrapTokenHours left. A CA and the service-account key are
 * never replaced: when one on disk cannot serve the plan, certs_ensure() fails
 * and says what to do.
 *
 * The plan must have passed plancheck_run(): values are trusted to match their
 * grammars. Key material never reaches the logger. */
#ifndef K8SW_CERTS_H
#define K8SW_CERTS_H

#include <stdbool.h>
#include <time.h>

#include "plan.h"

enum cert_id {
	CERT_ETCD_CA,
	CERT_K8S_CA,
	CERT_KUBELET_CA,
	CERT_AGG_CA,
	CERT_KUBELET_SIGNING_CA,
	CERT_ETCD_PEER,
	CERT_APISERVER,
	CERT_CONTROLLER_MANAGER,
	CERT_KUBE_SCHEDULER,
	CERT_ADMIN,
	CERT_KUBELET_CLIENT,
	CERT_AGG,
	CERT_APISERVER_ETCD_CLIENT,
	CERT_COUNT
};

struct certs; /* opaque */

/* Load the PKI of plan p from dir (created 0700 if missing), creating what is
 * missing and re-issuing leaves whose subject, SANs or usages no longer match p.
 * CAs are never replaced. Returns 0, or -1 with *err set (free it). */
int certs_ensure(const struct plan *p, const char *dir, struct certs **out, char **err);
void certs_free(struct certs **c);

/* The guide's file base name: "etcd-ca", "k8s-ca", "kubelet-ca", "agg-ca",
 * "etcd-peer", "apiserver", "controller-manager", "kube-scheduler", "admin",
 * "kubelet-client", "agg"; ours: "kubelet-signing-ca", "apiserver-etcd-client".
 * Files are NAME.pem and NAME-key.pem. */
const char *certs_name(enum cert_id id);
enum cert_id certs_issuer(enum cert_id id); /* the CA that signs id (a CA: itself) */
bool certs_is_ca(enum cert_id id);

/* PEM text owned by c, valid until certs_free(). Keys are PKCS#8. */
const char *certs_cert_pem(const struct certs *c, enum cert_id id);
const char *certs_key_pem(const struct certs *c, enum cert_id id);
const char *certs_sa_key_pem(const struct certs *c); /* service-account signing key, sa.key */
const char *certs_sa_pub_pem(const struct certs *c); /* its public key, sa.pub */
/* The kubelets' bootstrap token, "ID.SECRET" (6 and 16 characters of
 * [a-z0-9], the form the apiserver's bootstrap authenticator takes), stored in
 * dir with the time it was made, and when it expires (made + the plan's
 * pki.bootstrapTokenHours). */
const char *certs_bootstrap_token(const struct certs *c);
time_t certs_bootstrap_token_expiry(const struct certs *c);

/* What certs_ensure() did with one certificate. */
enum certs_action {
	CERTS_REUSED,   /* loaded and kept as it was */
	CERTS_CREATED,  /* there was none */
	CERTS_REISSUED, /* replaced a leaf that no longer fit the plan */
};

/* What was done with id, and why (a translated sentence owned by c, NULL when
 * the certificate was reused). */
enum certs_action certs_action(const struct certs *c, enum cert_id id, const char **why);

/* One certificate described for people (pki list). Strings are owned by the
 * struct; certs_info_clear() frees them. */
struct certs_info {
	char *subject;   /* RFC 2253: "CN=admin,OU=system,O=system:masters,L=Shenzhen,ST=GD,C=CN" */
	char *issuer;    /* the issuer's subject, same form */
	char *sans;      /* "IP:127.0.0.1,DNS:localhost"; "" when none */
	char *usages;    /* "CA", "server", "client" or "server,client" */
	char *key;       /* "RSA 2048", "ECDSA P-256" */
	char *serial;    /* hexadecimal */
	time_t not_before, not_after;
};

/* Fill *out for id. Returns 0, or -1 when the certificate cannot be decoded
 * (which certs_ensure() does not let happen). */
int certs_info(const struct certs *c, enum cert_id id, struct certs_info *out);
void certs_info_clear(struct certs_info *info);

#endif
