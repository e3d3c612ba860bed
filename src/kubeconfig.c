/* Kubeconfig files, emitted with libyaml in the layout "kubectl config view
 * --raw" prints, with the certificates and keys embedded as base64 data. */
#include "config.h"

#include "kubeconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yaml.h>

#include "net.h"
#include "xmalloc.h"

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

struct outbuf {
	char *data;
	size_t len, cap;
};

/* The emitter's sink. The buffer holds a private key: growing it copies
 * through a fresh allocation so no stale copy is left unwiped. */
static int outbuf_write(void *ctx, unsigned char *buffer, size_t size)
{
	struct outbuf *b = ctx;

	if (b->len + size + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		char *grown = NULL;

		while (b->len + size + 1 > cap)
			cap *= 2;
		grown = xmalloc(cap);
		if (b->data != NULL) {
			memcpy(grown, b->data, b->len);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buffer, size);
	b->len += size;
	b->data[b->len] = '\0';
	return 1;
}

static void emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(e, ev))
		xalloc_die(e->problem != NULL ? e->problem : "yaml emitter");
}

/* A scalar; quoted forces double quotes (a token of hex digits alone could
 * read back as a number). */
static void emit_str(yaml_emitter_t *e, const char *s, bool quoted)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
				     quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
					    : YAML_ANY_SCALAR_STYLE);
	emit(e, &ev);
}

static void emit_pair(yaml_emitter_t *e, const char *key, const char *value)
{
	emit_str(e, key, false);
	emit_str(e, value, false);
}

static void emit_start(yaml_emitter_t *e, bool mapping, bool flow)
{
	yaml_event_t ev;

	if (mapping)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    flow ? YAML_FLOW_MAPPING_STYLE
							 : YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_SEQUENCE_STYLE);
	emit(e, &ev);
}

static void emit_end(yaml_emitter_t *e, bool mapping)
{
	yaml_event_t ev;

	if (mapping)
		yaml_mapping_end_event_initialize(&ev);
	else
		yaml_sequence_end_event_initialize(&ev);
	emit(e, &ev);
}

/* Base64 without line breaks, as kubectl embeds files. */
static char *base64(const char *text)
{
	size_t len = strlen(text);
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)len);
	return out;
}

static void free_wiped(char **s)
{
	if (*s != NULL)
		OPENSSL_cleanse(*s, strlen(*s));
	xfree(s);
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
	yaml_emitter_t e;
	yaml_event_t ev;
	struct outbuf out = { 0 };
	char *ca = base64(certs_cert_pem(c, CERT_K8S_CA));
	char *server = server_url(p);
	char *cert = NULL, *key = NULL;

	if (id >= KUBECONFIG_COUNT)
		id = KUBECONFIG_ADMIN;
	if (!yaml_emitter_initialize(&e))
		xalloc_die("yaml emitter");
	yaml_emitter_set_output(&e, outbuf_write, &out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_emitter_set_indent(&e, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(&e, &ev);

	emit_start(&e, true, false);
	emit_pair(&e, "apiVersion", "v1");
	emit_str(&e, "clusters", false);
	emit_start(&e, false, false);
	emit_start(&e, true, false);
	emit_str(&e, "cluster", false);
	emit_start(&e, true, false);
	emit_pair(&e, "certificate-authority-data", ca);
	emit_pair(&e, "server", server);
	emit_end(&e, true);
	emit_pair(&e, "name", "kubernetes");
	emit_end(&e, true);
	emit_end(&e, false);

	emit_str(&e, "contexts", false);
	emit_start(&e, false, false);
	emit_start(&e, true, false);
	emit_str(&e, "context", false);
	emit_start(&e, true, false);
	emit_pair(&e, "cluster", "kubernetes");
	emit_pair(&e, "user", kubeconfigs[id].user);
	emit_end(&e, true);
	emit_pair(&e, "name", kubeconfigs[id].context);
	emit_end(&e, true);
	emit_end(&e, false);

	emit_pair(&e, "current-context", kubeconfigs[id].context);
	emit_pair(&e, "kind", "Config");
	emit_str(&e, "preferences", false);
	emit_start(&e, true, true);
	emit_end(&e, true);

	emit_str(&e, "users", false);
	emit_start(&e, false, false);
	emit_start(&e, true, false);
	emit_pair(&e, "name", kubeconfigs[id].user);
	emit_str(&e, "user", false);
	emit_start(&e, true, false);
	if (kubeconfigs[id].cert == CERT_COUNT) {
		emit_str(&e, "token", false);
		emit_str(&e, certs_bootstrap_token(c), true);
	} else {
		cert = base64(certs_cert_pem(c, kubeconfigs[id].cert));
		key = base64(certs_key_pem(c, kubeconfigs[id].cert));
		emit_pair(&e, "client-certificate-data", cert);
		emit_pair(&e, "client-key-data", key);
	}
	emit_end(&e, true);
	emit_end(&e, true);
	emit_end(&e, false);
	emit_end(&e, true);

	yaml_document_end_event_initialize(&ev, 1);
	emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(&e, &ev);
	yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	free(ca);
	free(server);
	free(cert);
	free_wiped(&key);
	return out.data != NULL ? out.data : xstrdup("");
}
