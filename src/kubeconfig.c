/* Kubeconfig files, emitted with libyaml in the layout "kubectl config view
 * --raw" prints, with the certificates and keys embedded as base64 data. */
#include "config.h"

#include "kubeconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "net.h"
#include "xmalloc.h"
#include "yamlout.h"

/* The guide's kubectl config commands (3.5, 3.6, 3.7, 4.2): who the file
 * speaks as, and the context name it uses. cert CERT_COUNT: the bootstrap
 * token instead of a client certificate. */
static const struct {
	const char *file;
	const char *user;
	const char *context;
	enum cert_id cert;
} kubeconfigs[KUBECONFIG_COUNT] = {
	[KUBECONFIG_ADMIN] = { "admin.kubeconfig", "admin", "kubernetes", CERT_ADMIN },
	[KUBECONFIG_CONTROLLER_MANAGER] = { "kube-controller-manager.kubeconfig",
					    "system:kube-controller-manager",
					    "system:kube-controller-manager",
					    CERT_CONTROLLER_MANAGER },
	[KUBECONFIG_SCHEDULER] = { "kube-scheduler.kubeconfig", "system:kube-scheduler",
				   "system:kube-scheduler", CERT_KUBE_SCHEDULER },
	[KUBECONFIG_KUBELET_BOOTSTRAP] = { "kubelet-bootstrap.kubeconfig", "kubelet-bootstrap",
					   "default", CERT_COUNT },
};

const char *kubeconfig_name(enum kubeconfig_id id)
{
	return id < KUBECONFIG_COUNT ? kubeconfigs[id].file : "?";
}

/* Base64 without line breaks, as kubectl embeds files. */
static char *base64(const char *text)
{
	size_t len = strlen(text);
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)len);
	return out;
}

/* https://VIP:port, with brackets around an IPv6 VIP. */
static char *server_url(const struct plan *p)
{
	const char *vip = p->network.apiserver_vip != NULL ? p->network.apiserver_vip : "";
	struct net_addr a;

	if (net_addr_parse(vip, &a) == 0 && a.family == NET_IPV6)
		return xasprintf("https://[%s]:%u", vip, p->network.apiserver_port);
	return xasprintf("https://%s:%u", vip, p->network.apiserver_port);
}

char *kubeconfig_render(const struct plan *p, const struct certs *c, enum kubeconfig_id id)
{
	struct yamlout e;
	char *ca = base64(certs_cert_pem(c, CERT_K8S_CA));
	char *server = server_url(p);
	char *cert = NULL, *key = NULL;
	char *text = NULL;

	if (id >= KUBECONFIG_COUNT)
		id = KUBECONFIG_ADMIN;
	yamlout_begin(&e, true);
	yamlout_document(&e, true);

	yamlout_mapping(&e, false);
	yamlout_pair(&e, "apiVersion", "v1");
	yamlout_scalar(&e, "clusters", YAMLOUT_PLAIN);
	yamlout_sequence(&e, false);
	yamlout_mapping(&e, false);
	yamlout_scalar(&e, "cluster", YAMLOUT_PLAIN);
	yamlout_mapping(&e, false);
	yamlout_pair(&e, "certificate-authority-data", ca);
	yamlout_pair(&e, "server", server);
	yamlout_close(&e, true);
	yamlout_pair(&e, "name", "kubernetes");
	yamlout_close(&e, true);
	yamlout_close(&e, false);

	yamlout_scalar(&e, "contexts", YAMLOUT_PLAIN);
	yamlout_sequence(&e, false);
	yamlout_mapping(&e, false);
	yamlout_scalar(&e, "context", YAMLOUT_PLAIN);
	yamlout_mapping(&e, false);
	yamlout_pair(&e, "cluster", "kubernetes");
	yamlout_pair(&e, "user", kubeconfigs[id].user);
	yamlout_close(&e, true);
	yamlout_pair(&e, "name", kubeconfigs[id].context);
	yamlout_close(&e, true);
	yamlout_close(&e, false);

	yamlout_pair(&e, "current-context", kubeconfigs[id].context);
	yamlout_pair(&e, "kind", "Config");
	yamlout_scalar(&e, "preferences", YAMLOUT_PLAIN);
	yamlout_mapping(&e, true);
	yamlout_close(&e, true);

	yamlout_scalar(&e, "users", YAMLOUT_PLAIN);
	yamlout_sequence(&e, false);
	yamlout_mapping(&e, false);
	yamlout_pair(&e, "name", kubeconfigs[id].user);
	yamlout_scalar(&e, "user", YAMLOUT_PLAIN);
	yamlout_mapping(&e, false);
	if (kubeconfigs[id].cert == CERT_COUNT) {
		yamlout_scalar(&e, "token", YAMLOUT_PLAIN);
		yamlout_scalar(&e, certs_bootstrap_token(c), YAMLOUT_QUOTED);
	} else {
		cert = base64(certs_cert_pem(c, kubeconfigs[id].cert));
		key = base64(certs_key_pem(c, kubeconfigs[id].cert));
		yamlout_pair(&e, "client-certificate-data", cert);
		yamlout_pair(&e, "client-key-data", key);
	}
	yamlout_close(&e, true);
	yamlout_close(&e, true);
	yamlout_close(&e, false);
	yamlout_close(&e, true);

	text = yamlout_end(&e, NULL);
	free(ca);
	free(server);
	free(cert);
	xfree_secret(&key);
	return text;
}
