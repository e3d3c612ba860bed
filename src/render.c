/* Rendering a plan: the values of the plan become template variables, each
 * host gets the files of its roles (templates from assets/templates, binaries
 * from the bundle or a mirror, certificates and kubeconfigs from the PKI) and
 * the commands of each phase; the cluster gets its manifests, three of them
 * upstream ones patched on their YAML tree. */
#include "config.h"

#include "render.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "grammar.h"
#include "kubeconfig.h"
#include "manifest.h"
#include "net.h"
#include "nls.h"
#include "shquote.h"
#include "strbuf.h"
#include "template.h"
#include "xmalloc.h"

/* Directories of the guide's layout on the hosts. */
#define PKI_DIR "/etc/kubernetes/pki"
#define ETCD_PKI_DIR "/etc/etcdssl"
#define STATIC_PODS "/etc/kubernetes/staticPods"
#define ADMIN_KUBECONFIG "/etc/kubernetes/admin.kubeconfig"
/* What a worker's kubelet.env names: the kubelet writes the first two when it
 * has bootstrapped (its --kubeconfig, and in --cert-dir its certificate). */
#define KUBELET_KUBECONFIG "/etc/kubernetes/kubelet.kubeconfig"
#define KUBELET_CLIENT_CERT PKI_DIR "/kubelet-client-current.pem"
#define BOOTSTRAP_KUBECONFIG "/etc/kubernetes/kubelet-bootstrap.kubeconfig"
#define KUBECTL "kubectl --kubeconfig=" ADMIN_KUBECONFIG
/* The kubelet's resolvConf: a link made on the host (add_resolv_step). */
#define KUBELET_RESOLV "/etc/kubernetes/resolv.conf"
#define RESOLVED_CONF "/run/systemd/resolve/resolv.conf"
#define TIMESYNCD_CONF "/etc/systemd/timesyncd.conf.d/k8s-wizard.conf"

/* Which host receives which certificate, and where: what its static pods,
 * its kubelet or its kubeconfigs name, nothing else. CA keys stay on the jump
 * host except kubelet-signing-ca's, which the controller-manager signs the
 * kubelets' certificates with (DESIGN.md: its power is limited to node
 * identities; the cluster's root CAs stay on the jump host). */
static const struct placement {
	enum cert_id id;
	bool key;
	const char *dir;
	unsigned roles;
} placements[] = {
	{ CERT_ETCD_CA, false, ETCD_PKI_DIR, ROLE_ETCD },
	{ CERT_ETCD_PEER, false, ETCD_PKI_DIR, ROLE_ETCD },
	{ CERT_ETCD_PEER, true, ETCD_PKI_DIR, ROLE_ETCD },
	{ CERT_K8S_CA, false, PKI_DIR, ROLE_MASTER },
	{ CERT_KUBELET_SIGNING_CA, false, PKI_DIR, ROLE_MASTER },
	{ CERT_KUBELET_SIGNING_CA, true, PKI_DIR, ROLE_MASTER },
	{ CERT_APISERVER, false, PKI_DIR, ROLE_MASTER },
	{ CERT_APISERVER, true, PKI_DIR, ROLE_MASTER },
	{ CERT_ETCD_CA, false, PKI_DIR, ROLE_MASTER },
	{ CERT_APISERVER_ETCD_CLIENT, false, PKI_DIR, ROLE_MASTER },
	{ CERT_APISERVER_ETCD_CLIENT, true, PKI_DIR, ROLE_MASTER },
	{ CERT_AGG_CA, false, PKI_DIR, ROLE_MASTER },
	{ CERT_AGG, false, PKI_DIR, ROLE_MASTER },
	{ CERT_AGG, true, PKI_DIR, ROLE_MASTER },
	{ CERT_KUBELET_CLIENT, false, PKI_DIR, ROLE_MASTER },
	{ CERT_KUBELET_CLIENT, true, PKI_DIR, ROLE_MASTER },
	{ CERT_CONTROLLER_MANAGER, false, PKI_DIR, ROLE_MASTER },
	{ CERT_CONTROLLER_MANAGER, true, PKI_DIR, ROLE_MASTER },
	{ CERT_KUBE_SCHEDULER, false, PKI_DIR, ROLE_MASTER },
	{ CERT_KUBE_SCHEDULER, true, PKI_DIR, ROLE_MASTER },
	{ CERT_KUBELET_CA, false, PKI_DIR, ROLE_MASTER | ROLE_WORKER },
};

/* Kubeconfigs on the hosts, with the phase that places them. */
static const struct {
	enum kubeconfig_id id;
	unsigned roles;
	enum phase phase;
} kubeconfigs[] = {
	{ KUBECONFIG_ADMIN, ROLE_MASTER, PHASE_APISERVER },
	{ KUBECONFIG_CONTROLLER_MANAGER, ROLE_MASTER, PHASE_CONTROLLER_MANAGER },
	{ KUBECONFIG_SCHEDULER, ROLE_MASTER, PHASE_SCHEDULER },
	{ KUBECONFIG_KUBELET_BOOTSTRAP, ROLE_WORKER, PHASE_WORKERS },
};

/* Directories that must not be readable by others. */
static const char *const private_dirs[] = { ETCD_PKI_DIR };

/* Directories every host has: not created, and their mode is left alone. */
static const char *const system_dirs[] = { "/etc", "/etc/systemd/system", "/usr/local/bin",
					   "/usr/local/sbin" };

struct cached_template {
	char *name;
	char *text;
};

struct builder {
	const struct plan *p;
	const struct certs *c;
	const struct render_options *o;
	struct template_vars *vars;
	char *bundle; /* NULL until needed */
	struct cached_template *templates;
	size_t n_templates;
	struct render *r;
	char *err;
	bool bad_input; /* the error is the bundle's, not ours */
};

static void fail(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep the first error: what follows it is a consequence. */
static void fail(struct builder *b, const char *fmt, ...)
{
	va_list ap;

	if (b->err != NULL)
		return;
	va_start(ap, fmt);
	b->err = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Take over an error message allocated by a callee. */
static void fail_with(struct builder *b, char **err)
{
	if (b->err == NULL)
		b->err = *err;
	else
		free(*err);
	*err = NULL;
}

static struct render_host *add_host(struct render *r, const char *name, const char *address,
				    unsigned roles)
{
	struct render_host *h = NULL;

	r->hosts = xreallocarray(r->hosts, r->n_hosts + 1, sizeof *r->hosts);
	h = &r->hosts[r->n_hosts++];
	memset(h, 0, sizeof *h);
	h->name = xstrdup(name);
	h->address = address != NULL ? xstrdup(address) : NULL;
	h->roles = roles;
	return h;
}

static struct render_file *add_file(struct render_host *h, enum phase phase,
				    const char *path, unsigned mode)
{
	struct render_file *f = NULL;

	h->files = xreallocarray(h->files, h->n_files + 1, sizeof *h->files);
	f = &h->files[h->n_files++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->mode = mode;
	f->owner = "root:root";
	f->phase = phase;
	return f;
}

/* A file whose content is text (taken over when own is true). */
static void add_text(struct render_host *h, enum phase phase, const char *path,
		     unsigned mode, char *content, bool secret)
{
	struct render_file *f = add_file(h, phase, path, mode);

	f->source_type = RENDER_TEXT;
	f->content = content;
	f->len = strlen(content);
	f->secret = secret;
}

static void add_step(struct render_host *h, enum phase phase, enum render_step_type type,
		     char *command, size_t file)
{
	struct render_step *s = NULL;

	h->steps = xreallocarray(h->steps, h->n_steps + 1, sizeof *h->steps);
	s = &h->steps[h->n_steps++];
	s->phase = phase;
	s->type = type;
	s->command = command;
	s->file = file;
}

static void run(struct render_host *h, enum phase phase, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void run(struct render_host *h, enum phase phase, const char *fmt, ...)
{
	va_list ap;
	char *cmd = NULL;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	add_step(h, phase, RENDER_STEP_RUN, cmd, 0);
}

/* A template's text, read once per build. */
static const char *template_text(struct builder *b, const char *name)
{
	char *text = NULL, *err = NULL;

	for (size_t i = 0; i < b->n_templates; i++) {
		if (strcmp(b->templates[i].name, name) == 0)
			return b->templates[i].text;
	}
	if (template_read(name, &text, &err) < 0) {
		fail_with(b, &err);
		return NULL;
	}
	b->templates = xreallocarray(b->templates, b->n_templates + 1, sizeof *b->templates);
	b->templates[b->n_templates].name = xstrdup(name);
	b->templates[b->n_templates].text = text;
	return b->templates[b->n_templates++].text;
}

/* Render a template with the builder's variables; a YAML result must parse.
 * Returns the text, or NULL after recording the error. */
static char *render_template(struct builder *b, const char *name, const struct template_vars *v)
{
	const char *text = template_text(b, name);
	struct manifest *m = NULL;
	char *out = NULL, *err = NULL;

	if (text == NULL)
		return NULL;
	if (template_render(name, text, v != NULL ? v : b->vars, &out, &err) < 0) {
		fail_with(b, &err);
		return NULL;
	}
	if (template_syntax_of(name) == TEMPLATE_YAML) {
		if (manifest_parse(name, out, strlen(out), &m, &err) < 0) {
			/* L10N: a template name and libyaml's message. */
			fail(b, _("template %s renders invalid YAML: %s"), name, err);
			free(err);
			xfree(&out);
		}
		manifest_free(&m);
	}
	return out;
}

static void add_template(struct builder *b, struct render_host *h, enum phase phase,
			 const char *path, unsigned mode, const char *name)
{
	char *content = render_template(b, name, NULL);

	if (content != NULL)
		add_text(h, phase, path, mode, content, false);
}

/* A binary of the bundle: uploaded from the jump host, or fetched by the
 * host from the mirror. */
static void add_binary(struct builder *b, struct render_host *h, enum phase phase,
		       enum bundle_item id)
{
	const struct bundle_entry *e = bundle_entry(id);
	struct render_file *f = add_file(h, phase, e->host_path, e->mode);

	if (b->p->binaries.source == BINARIES_MIRROR) {
		f->source_type = RENDER_MIRROR;
		f->source = xasprintf("%s/%s", b->p->binaries.mirror_url, e->file);
	} else {
		f->source_type = RENDER_BUNDLE;
		f->source = bundle_path(b->bundle, id);
	}
}

/* An address as it appears in a URL: IPv6 in brackets. */
static char *url_address(const char *address)
{
	return strchr(address, ':') != NULL ? xasprintf("[%s]", address) : xstrdup(address);
}

/* The value of CN= in a subject "CN=x,O=y". */
static char *subject_cn(const char *subject)
{
	const char *cn = strstr(subject, "CN=");

	if (cn == NULL || (cn != subject && cn[-1] != ','))
		return NULL;
	cn += 3;
	return xstrndup(cn, strcspn(cn, ","));
}

static char *cert_cn(struct builder *b, enum cert_id id)
{
	struct certs_info info = { 0 };
	char *cn = NULL;

	if (certs_info(b->c, id, &info) == 0)
		cn = subject_cn(info.subject);
	certs_info_clear(&info);
	if (cn == NULL)
		fail(b, _("the %s certificate has no CN"), certs_name(id));
	return cn;
}

/* The variables every template may use. */
static void set_common_vars(struct builder *b)
{
	const struct plan *p = b->p;
	const struct plan_network *n = &p->network;
	struct template_vars *v = b->vars;
	struct strbuf servers = { 0 }, cluster = { 0 };
	struct net_cidr svc;
	const char *k8s = p->versions.kubernetes;
	const char *why = NULL;
	/* kube-proxy runs on the workers: it reaches the API as their kubelets do. */
	char *server = kubeconfig_server(p, KUBECONFIG_KUBELET_BOOTSTRAP);
	char *user = NULL, *agg = NULL;
	size_t member = 0;
	bool v6 = net_cidr_parse(n->service_cidr, &svc, &why) == 0 && svc.addr.family == NET_IPV6;

	template_setf(v, "k8s.version", "%s%s", k8s[0] == 'v' ? "" : "v", k8s);
	template_set(v, "k8s.arch", "amd64");
	template_set(v, "network.serviceCIDR", n->service_cidr);
	template_set(v, "network.podCIDR", n->pod_cidr);
	template_set(v, "network.clusterDNS", n->cluster_dns);
	template_set(v, "network.nodeLocalDNS", n->node_local_dns);
	template_set(v, "network.clusterDomain", n->cluster_domain);
	template_setf(v, "network.apiserverPort", "%u", n->apiserver_port);
	template_set(v, "network.serviceNodePortRange", n->service_node_port_range);
	template_set_list(v, "network.ntpServers");
	for (size_t i = 0; i < n->ntp_servers.n; i++)
		template_set(template_add_item(v, "network.ntpServers"), "name",
			     n->ntp_servers.v[i]);
	template_set(v, "network.kubeProxyMode",
		     n->kube_proxy_mode == PROXY_IPVS ? "ipvs" : "iptables");
	template_set(v, "network.bindAny", v6 ? "::" : "0.0.0.0");
	template_set(v, "network.bindAnyPort", v6 ? "[::]:" : "0.0.0.0:");
	template_set(v, "kubelet.clusterDNS",
		     p->addons.nodelocaldns.enabled ? n->node_local_dns : n->cluster_dns);
	template_set(v, "apiserver.url", server);
	template_setf(v, "etcd.clientPort", "%u", p->etcd.client_port);
	template_setf(v, "etcd.peerPort", "%u", p->etcd.peer_port);
	template_set(v, "etcd.dataDir", p->etcd.data_dir);
	template_set(v, "etcd.clusterToken", p->etcd.cluster_token);
	for (size_t i = 0; i < p->n_hosts; i++) {
		char *a = NULL;

		if (!(p->hosts[i].roles & ROLE_ETCD))
			continue;
		a = url_address(p->hosts[i].address);
		member++;
		strbuf_addf(&servers, "%shttps://%s:%u", member > 1 ? "," : "", a,
			    p->etcd.client_port);
		strbuf_addf(&cluster, "%setcd%zu=https://%s:%u", member > 1 ? "," : "", member, a,
			    p->etcd.peer_port);
		free(a);
	}
	template_set(v, "etcd.servers", servers.s != NULL ? servers.s : "");
	template_set(v, "etcd.initialCluster", cluster.s != NULL ? cluster.s : "");
	template_set(v, "registries.imageRepository", p->registries.image_repository);
	template_set(v, "registries.sandboxImage", p->registries.sandbox_image);
	template_set(v, "registries.etcdImage", p->registries.etcd_image);
	template_set(v, "registries.corednsImage", p->registries.coredns_image);
	/* CoreDNS's two replicas must be on different nodes only where there
	 * are two to be on (the masters are not nodes). */
	template_set_bool(v, "coredns.spreadRequired", plan_count_role(p, ROLE_WORKER) >= 2);
	template_set(v, "registries.nodeCacheImage", p->registries.node_cache_image);
	/* The names the apiserver and the kubelets will see in the certificates. */
	user = cert_cn(b, CERT_KUBELET_CLIENT);
	agg = cert_cn(b, CERT_AGG);
	template_set(v, "rbac.kubeletClientUser", user != NULL ? user : "");
	template_set(v, "pki.aggregatorName", agg != NULL ? agg : "");
	free(user);
	free(agg);
	free(server);
	strbuf_clear(&servers);
	strbuf_clear(&cluster);
}

/* What the API endpoint runs on host ph (network.apiserverEndpoint), and in
 * which phase: haproxy on every worker before its kubelet starts (local),
 * haproxy and keepalived on every master with its apiserver (keepalived).
 * external runs nothing: the VIP is the operator's load balancer. */
struct endpoint_role {
	bool haproxy, keepalived;
	enum phase phase;
};

static struct endpoint_role endpoint_role(const struct plan *p, const struct plan_host *ph)
{
	struct endpoint_role r = { false, false, PHASE_PREFLIGHT };

	if (p->network.apiserver_endpoint == ENDPOINT_LOCAL && (ph->roles & ROLE_WORKER)) {
		r.haproxy = true;
		r.phase = PHASE_WORKERS;
	} else if (p->network.apiserver_endpoint == ENDPOINT_KEEPALIVED &&
		   (ph->roles & ROLE_MASTER)) {
		r.haproxy = r.keepalived = true;
		r.phase = PHASE_APISERVER;
	}
	return r;
}

/* With keepalived, haproxy listens on the VIP:port of every master, so the
 * apiserver listens on the master's own address only, and the masters may
 * bind the VIP before keepalived gives it to them (ip_nonlocal_bind). */
static void set_endpoint_vars(struct builder *b, const struct plan_host *h)
{
	struct template_vars *v = b->vars;
	struct endpoint_role role = endpoint_role(b->p, h);
	bool v6 = strchr(h->address, ':') != NULL;

	template_set(v, "apiserver.bindAddress",
		     role.keepalived ? h->address : v6 ? "::" : "0.0.0.0");
	template_set_bool(v, "host.nonlocalBind", role.keepalived);
	template_set(v, "host.nonlocalBindKey",
		     v6 ? "net.ipv6.ip_nonlocal_bind" : "net.ipv4.ip_nonlocal_bind");
}

/* The variables describing host h (replacing the previous host's). */
static void set_host_vars(struct builder *b, const struct plan_host *h)
{
	struct template_vars *v = b->vars;
	char *url = url_address(h->address);
	size_t member = 0;

	for (const struct plan_host *o = b->p->hosts; o <= h; o++)
		member += (o->roles & ROLE_ETCD) != 0;
	template_set(v, "host.name", h->name);
	template_set(v, "host.address", h->address);
	template_set(v, "host.urlAddress", url);
	template_set_bool(v, "host.isMaster", h->roles & ROLE_MASTER);
	template_set_bool(v, "host.isEtcd", h->roles & ROLE_ETCD);
	template_set_bool(v, "host.isWorker", h->roles & ROLE_WORKER);
	template_set_bool(v, "host.ipvs",
			  (h->roles & ROLE_WORKER) && b->p->network.kube_proxy_mode == PROXY_IPVS);
	template_setf(v, "etcd.number", "%zu", member);
	set_endpoint_vars(b, h);
	free(url);
}

/* containerd's hosts.toml of each mirrored registry. */
static void add_mirrors(struct builder *b, struct render_host *h)
{
	const struct plan_registries *r = &b->p->registries;

	for (size_t i = 0; i < r->n_mirrors; i++) {
		const struct plan_mirror *m = &r->mirrors[i];
		struct template_vars *v = template_vars_new();
		char *path = xasprintf("/etc/containerd/certs.d/%s/hosts.toml", m->registry);
		char *content = NULL;

		/* Docker Hub's registry is not at the name images use. */
		if (strcmp(m->registry, "docker.io") == 0)
			template_set(v, "server", "https://registry-1.docker.io");
		else
			template_setf(v, "server", "https://%s", m->registry);
		template_set_list(v, "endpoints");
		for (size_t j = 0; j < m->endpoints.n; j++) {
			struct template_vars *e = template_add_item(v, "endpoints");
			bool override = false;
			char *root = grammar_mirror_root(m->endpoints.v[j], &override);

			/* plancheck refused what has no root; render what it shows. */
			template_set(e, "url", root != NULL ? root : m->endpoints.v[j]);
			template_set_bool(e, "overridePath", override);
			free(root);
		}
		content = render_template(b, "containerd/hosts.toml", v);
		if (content != NULL)
			add_text(h, PHASE_CONTAINERD, path, 0644, content, false);
		free(path);
		template_vars_free(&v);
	}
}

static void add_pki(struct builder *b, struct render_host *h)
{
	const struct certs *c = b->c;

	for (size_t i = 0; i < sizeof placements / sizeof placements[0]; i++) {
		const struct placement *pl = &placements[i];
		char *path = NULL;

		if (!(h->roles & pl->roles))
			continue;
		path = xasprintf("%s/%s%s.pem", pl->dir, certs_name(pl->id), pl->key ? "-key" : "");
		add_text(h, PHASE_PKI, path, pl->key ? 0600 : 0644,
			 xstrdup(pl->key ? certs_key_pem(c, pl->id) : certs_cert_pem(c, pl->id)),
			 pl->key);
		free(path);
	}
	if (h->roles & ROLE_MASTER) {
		/* The client certificates the apiserver accepts and the CAs pods
		 * trust: the cluster's, and the kubelets' (signed by the
		 * controller-manager, verified by metrics-server through it). */
		add_text(h, PHASE_PKI, PKI_DIR "/k8s-ca-bundle.pem", 0644,
			 xasprintf("%s%s", certs_cert_pem(c, CERT_K8S_CA),
				   certs_cert_pem(c, CERT_KUBELET_SIGNING_CA)),
			 false);
		add_text(h, PHASE_PKI, PKI_DIR "/sa.key", 0600, xstrdup(certs_sa_key_pem(c)), true);
		add_text(h, PHASE_PKI, PKI_DIR "/sa.pub", 0644, xstrdup(certs_sa_pub_pem(c)),
			 false);
	}
	for (size_t i = 0; i < sizeof kubeconfigs / sizeof kubeconfigs[0]; i++) {
		char *path = NULL;

		if (!(h->roles & kubeconfigs[i].roles))
			continue;
		path = xasprintf("/etc/kubernetes/%s", kubeconfig_name(kubeconfigs[i].id));
		add_text(h, kubeconfigs[i].phase, path, 0600,
			 kubeconfig_render(b->p, c, kubeconfigs[i].id), true);
		free(path);
	}
}

#define HAPROXY_CFG "/etc/haproxy/haproxy.cfg"
#define KEEPALIVED_CONF "/etc/keepalived/keepalived.conf"
#define KEEPALIVED_INTERFACE "/etc/keepalived/k8s-wizard-interface.conf"
/* The routers of one VRRP group share it; unicast to the masters only keeps
 * other groups on the segment from mattering. */
#define KEEPALIVED_ROUTER_ID 51

/* haproxy.cfg and keepalived.conf of the API endpoint, on the hosts that run
 * them (endpoint_role()). */
static void add_endpoint_files(struct builder *b, struct render_host *h,
			       const struct plan_host *ph)
{
	const struct plan *p = b->p;
	const struct plan_network *n = &p->network;
	struct endpoint_role role = endpoint_role(p, ph);
	struct template_vars *v = NULL;
	char *vip = NULL, *text = NULL;
	size_t rank = 0;

	if (!role.haproxy)
		return;
	v = template_vars_new();
	vip = role.keepalived ? url_address(n->apiserver_vip) : xstrdup("127.0.0.1");
	template_set(v, "mode", role.keepalived ? "keepalived" : "local");
	template_setf(v, "bind", "%s:%u", vip, n->apiserver_port);
	template_setf(v, "port", "%u", n->apiserver_port);
	template_set_list(v, "masters");
	for (size_t i = 0; i < p->n_hosts; i++) {
		struct template_vars *m = NULL;
		char *a = NULL;

		if (!(p->hosts[i].roles & ROLE_MASTER))
			continue;
		m = template_add_item(v, "masters");
		a = url_address(p->hosts[i].address);
		template_set(m, "name", p->hosts[i].name);
		template_set(m, "address", a);
		free(a);
	}
	text = render_template(b, "endpoint/haproxy.cfg", v);
	if (text != NULL)
		add_text(h, role.phase, HAPROXY_CFG, 0644, text, false);
	template_vars_free(&v);
	if (role.keepalived) {
		v = template_vars_new();
		template_set(v, "interfaceFile", KEEPALIVED_INTERFACE);
		template_set(v, "name", ph->name);
		template_set(v, "address", ph->address);
		template_set(v, "vip", n->apiserver_vip);
		template_setf(v, "routerID", "%u", KEEPALIVED_ROUTER_ID);
		template_set_list(v, "peers");
		for (size_t i = 0; i < p->n_hosts; i++) {
			const struct plan_host *o = &p->hosts[i];

			if (!(o->roles & ROLE_MASTER))
				continue;
			if (o == ph)
				rank = i;
			else
				template_set(template_add_item(v, "peers"), "address", o->address);
		}
		/* The first master starts with the VIP; nopreempt keeps it where
		 * it is afterwards. */
		template_setf(v, "priority", "%zu", 150 - (rank < 100 ? rank : 100));
		text = render_template(b, "endpoint/keepalived.conf", v);
		if (text != NULL)
			add_text(h, role.phase, KEEPALIVED_CONF, 0644, text, false);
		template_vars_free(&v);
	}
	free(vip);
}

static void add_host_files(struct builder *b, struct render_host *h, const struct plan_host *ph)
{
	static const enum bundle_item runtime[] = { BUNDLE_CONTAINERD, BUNDLE_CONTAINERD_SHIM,
						    BUNDLE_CTR, BUNDLE_RUNC, BUNDLE_CRICTL };
	bool master = ph->roles & ROLE_MASTER;
	enum phase kubelet_phase = master ? PHASE_KUBELET : PHASE_WORKERS;

	set_host_vars(b, ph);
	add_template(b, h, PHASE_PREPARE, "/etc/sysctl.d/99-k8s-wizard.conf", 0644,
		     "host/sysctl.conf");
	add_template(b, h, PHASE_PREPARE, "/etc/security/limits.d/99-k8s-wizard.conf", 0644,
		     "host/limits.conf");
	add_template(b, h, PHASE_PREPARE, "/etc/modules-load.d/k8s-wizard.conf", 0644,
		     "host/modules.conf");
	if (b->p->network.ntp_servers.n > 0)
		add_template(b, h, PHASE_PREPARE, TIMESYNCD_CONF, 0644, "host/timesyncd.conf");
	for (size_t i = 0; i < sizeof runtime / sizeof runtime[0]; i++)
		add_binary(b, h, PHASE_CONTAINERD, runtime[i]);
	add_template(b, h, PHASE_CONTAINERD, "/etc/containerd/config.toml", 0644,
		     "containerd/config.toml");
	add_mirrors(b, h);
	add_template(b, h, PHASE_CONTAINERD, "/etc/systemd/system/containerd.service", 0644,
		     "containerd/containerd.service");
	add_template(b, h, PHASE_CONTAINERD, "/etc/crictl.yaml", 0644, "crictl.yaml");
	add_pki(b, h);
	add_binary(b, h, kubelet_phase, BUNDLE_KUBELET);
	add_template(b, h, kubelet_phase, "/etc/systemd/system/kubelet.service", 0644,
		     "kubelet/kubelet.service");
	add_template(b, h, kubelet_phase, "/etc/kubernetes/kubelet", 0644, "kubelet/kubelet.env");
	add_template(b, h, kubelet_phase, "/etc/kubernetes/kubeletConfig", 0644,
		     master ? "kubelet/kubelet-config-master.yaml"
			    : "kubelet/kubelet-config-worker.yaml");
	if (ph->roles & ROLE_ETCD)
		add_template(b, h, PHASE_ETCD, STATIC_PODS "/etcd.yaml", 0644,
			     "static-pods/etcd.yaml");
	if (master) {
		add_binary(b, h, PHASE_APISERVER, BUNDLE_KUBECTL);
		add_template(b, h, PHASE_APISERVER, STATIC_PODS "/kube-apiserver.yaml", 0644,
			     "static-pods/kube-apiserver.yaml");
		add_template(b, h, PHASE_CONTROLLER_MANAGER,
			     STATIC_PODS "/kube-controller-manager.yaml", 0644,
			     "static-pods/kube-controller-manager.yaml");
		add_template(b, h, PHASE_SCHEDULER, "/etc/kubernetes/kube-scheduler-config.yaml",
			     0644, "kube-scheduler-config.yaml");
		add_template(b, h, PHASE_SCHEDULER, STATIC_PODS "/kube-scheduler.yaml", 0644,
			     "static-pods/kube-scheduler.yaml");
	}
	add_endpoint_files(b, h, ph);
}

static int compare_dirs(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* install -d the directories of a phase's files that earlier phases did not
 * create, then the uploads (or, for a mirror, the downloads). */
static void add_upload_steps(struct render_host *h, enum phase phase, char ***made,
			     size_t *n_made)
{
	char **dirs = NULL;
	size_t n_dirs = 0;

	for (size_t i = 0; i < h->n_files; i++) {
		char *dir = NULL;
		bool seen = false;

		if (h->files[i].phase != phase)
			continue;
		dir = xstrndup(h->files[i].path,
			       (size_t)(strrchr(h->files[i].path, '/') - h->files[i].path));
		for (size_t j = 0; j < *n_made && !seen; j++)
			seen = strcmp((*made)[j], dir) == 0;
		for (size_t j = 0; j < sizeof system_dirs / sizeof system_dirs[0] && !seen; j++)
			seen = strcmp(system_dirs[j], dir) == 0;
		if (seen) {
			free(dir);
			continue;
		}
		*made = xreallocarray(*made, *n_made + 1, sizeof **made);
		(*made)[(*n_made)++] = xstrdup(dir);
		dirs = xreallocarray(dirs, n_dirs + 1, sizeof *dirs);
		dirs[n_dirs++] = dir;
	}
	if (n_dirs > 0)
		qsort(dirs, n_dirs, sizeof *dirs, compare_dirs);
	for (size_t i = 0; i < n_dirs; i++) {
		unsigned mode = 0755;
		char *q = shquote_arg(dirs[i]);

		for (size_t j = 0; j < sizeof private_dirs / sizeof private_dirs[0]; j++) {
			if (strcmp(dirs[i], private_dirs[j]) == 0)
				mode = 0700;
		}
		run(h, phase, "install -d -m %04o %s", mode, q);
		free(q);
		free(dirs[i]);
	}
	free(dirs);
	for (size_t i = 0; i < h->n_files; i++) {
		const struct render_file *f = &h->files[i];

		if (f->phase != phase)
			continue;
		if (f->source_type == RENDER_MIRROR) {
			char *url = shquote_arg(f->source);
			char *tmp = xasprintf("%s.k8sw-new", f->path);
			char *qtmp = shquote_arg(tmp), *qpath = shquote_arg(f->path);

			run(h, phase,
			    "curl -fsSL --retry 3 -o %s %s && chmod %04o %s && mv -f %s %s", qtmp,
			    url, f->mode, qtmp, qtmp, qpath);
			free(url);
			free(tmp);
			free(qtmp);
			free(qpath);
		} else {
			add_step(h, phase, RENDER_STEP_UPLOAD, NULL, i);
		}
	}
}

/* (Re)start a systemd unit whose files were just placed. */
static void restart_unit(struct render_host *h, enum phase phase, const char *unit)
{
	run(h, phase, "systemctl daemon-reload");
	run(h, phase, "systemctl enable %s", unit);
	run(h, phase, "systemctl restart %s", unit);
}

/* The resolv.conf the kubelet gives pods (its resolvConf), decided on the
 * host when its kubelet is installed, so that the render stays the same for
 * every host: systemd-resolved's list of the real name servers when
 * /etc/resolv.conf names a resolver on the host's loopback (Ubuntu's stub,
 * 127.0.0.53), which pods cannot reach and where CoreDNS would forward to
 * itself; /etc/resolv.conf otherwise. A link, so that what resolved or the
 * operator changes later is what pods get. Preflight's resolv-conf check
 * (health.c) reports the same choice by the same rule. */
static void add_resolv_step(struct render_host *h, enum phase phase)
{
	run(h, phase,
	    "if awk '$1 == \"nameserver\" && ($2 ~ /^127\\./ || $2 == \"::1\") { s = 1 } "
	    "END { exit !s }' /etc/resolv.conf 2>/dev/null && "
	    "awk '$1 == \"nameserver\" { n++; if ($2 ~ /^127\\./ || $2 == \"::1\") s = 1 } "
	    "END { exit !(n && !s) }' " RESOLVED_CONF " 2>/dev/null; "
	    "then f=" RESOLVED_CONF "; else f=/etc/resolv.conf; fi; ln -sfn \"$f\" " KUBELET_RESOLV);
}

/* The tail of a step that installs the distribution's packages named in
 * $pkgs, if any: the package lists refreshed first (a fresh host has none),
 * another apt waited for. */
#define INSTALL_PKGS \
	"[ -z \"$pkgs\" ] || { apt-get -q update && DEBIAN_FRONTEND=noninteractive " \
	"apt-get -o DPkg::Lock::Timeout=300 install -y -q $pkgs; }"

/* haproxy and keepalived come from the distribution (Ubuntu's and Debian's
 * packages, with their units): installed when missing, so that a host that
 * has them (preinstalled, or from a local mirror) needs no network. */
static void add_endpoint_packages(struct render_host *h, const struct plan_host *ph,
				  const struct plan *p)
{
	struct endpoint_role role = endpoint_role(p, ph);

	if (!role.haproxy)
		return;
	run(h, PHASE_PREPARE, "pkgs=; [ -x /usr/sbin/haproxy ] || pkgs=haproxy; %s" INSTALL_PKGS,
	    role.keepalived ? "[ -x /usr/sbin/keepalived ] || pkgs=\"$pkgs keepalived\"; " : "");
}

/* Start the endpoint's services on the configuration just placed, each
 * checked first by the program itself. keepalived's interface is the one
 * that holds the host's plan address, found here. */
static void add_endpoint_steps(struct render_host *h, const struct plan_host *ph,
			       const struct plan *p, enum phase phase)
{
	struct endpoint_role role = endpoint_role(p, ph);
	char *q = NULL, *msg = NULL, *qmsg = NULL;

	if (!role.haproxy || role.phase != phase)
		return;
	run(h, phase, "haproxy -c -q -f " HAPROXY_CFG);
	run(h, phase, "systemctl enable haproxy");
	run(h, phase, "systemctl reload-or-restart haproxy");
	if (!role.keepalived)
		return;
	q = shquote_arg(ph->address);
	msg = xasprintf("no interface of %s has its plan address %s", ph->name, ph->address);
	qmsg = shquote_arg(msg);
	run(h, phase,
	    "i=$(ip -o addr show to %s | awk '{ print $2; exit }'); "
	    "[ -n \"$i\" ] || { echo %s >&2; exit 1; }; "
	    "printf '$K8SW_INTERFACE=%%s\\n' \"$i\" >" KEEPALIVED_INTERFACE ".k8sw-new && "
	    "mv -f " KEEPALIVED_INTERFACE ".k8sw-new " KEEPALIVED_INTERFACE,
	    q, qmsg);
	run(h, phase, "keepalived --config-test -f " KEEPALIVED_CONF);
	run(h, phase, "systemctl enable keepalived");
	run(h, phase, "systemctl reload-or-restart keepalived");
	free(q);
	free(msg);
	free(qmsg);
}

/* The plan's NTP servers, through systemd-timesyncd as the guide advises:
 * Ubuntu's default NTP client, so a host usually has it and needs no
 * package (the bundle carries none; where it is missing, apt-get needs a
 * package mirror). A host that runs another NTP service keeps it: two
 * clients would fight over the clock, and replacing the operator's is not
 * ours to decide, so the step stops and says so. */
static void add_ntp_steps(struct render_host *h, const struct plan *p)
{
	if (p->network.ntp_servers.n == 0)
		return;
	run(h, PHASE_PREPARE,
	    "for u in chrony chronyd ntp ntpd ntpsec openntpd; do "
	    "if systemctl is-active --quiet \"$u\"; then echo \"$u runs on this host: the "
	    "plan's NTP servers are for systemd-timesyncd; configure them in $u and remove "
	    "network.ntpServers from the plan, or stop and disable $u\" >&2; exit 1; fi; done");
	run(h, PHASE_PREPARE,
	    "pkgs=; systemctl cat systemd-timesyncd.service >/dev/null 2>&1 || "
	    "pkgs=systemd-timesyncd; " INSTALL_PKGS);
	restart_unit(h, PHASE_PREPARE, "systemd-timesyncd");
}

static void add_host_steps(struct builder *b, struct render_host *h, const struct plan_host *ph)
{
	bool ipvs = (ph->roles & ROLE_WORKER) && b->p->network.kube_proxy_mode == PROXY_IPVS;
	char **made = NULL;
	size_t n_made = 0;
	char *q = NULL;

	/* Preflight has no steps: the engine's checks (health.c) judge what the
	 * guide assumes of a host, each by name, so one can be skipped. */
	add_upload_steps(h, PHASE_PREPARE, &made, &n_made);
	run(h, PHASE_PREPARE, "modprobe -a overlay br_netfilter%s",
	    ipvs ? " ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_conntrack" : "");
	/* No packages for IPVS: kube-proxy drives it through netlink and brings
	 * ipset in its image (doc/deviations.md, ipvs-tools). The endpoint's
	 * haproxy and keepalived are installed only where missing. */
	run(h, PHASE_PREPARE, "sysctl -p /etc/sysctl.d/99-k8s-wizard.conf");
	add_ntp_steps(h, b->p);
	add_endpoint_packages(h, ph, b->p);

	add_upload_steps(h, PHASE_CONTAINERD, &made, &n_made);
	restart_unit(h, PHASE_CONTAINERD, "containerd");
	/* The kubelet requires containerd: a containerd that failed to start
	 * stopped it, and once containerd runs again nothing else would start
	 * it (its own steps are done). */
	run(h, PHASE_CONTAINERD,
	    "if systemctl is-enabled --quiet kubelet 2>/dev/null; then systemctl start kubelet; fi");
	run(h, PHASE_CONTAINERD, "crictl version");

	add_upload_steps(h, PHASE_PKI, &made, &n_made);

	if (ph->roles & ROLE_MASTER) {
		run(h, PHASE_KUBELET, "install -d -m 0755 /var/lib/kubelet " STATIC_PODS
				      " /var/log/kubernetes");
		add_upload_steps(h, PHASE_KUBELET, &made, &n_made);
		add_resolv_step(h, PHASE_KUBELET);
		restart_unit(h, PHASE_KUBELET, "kubelet");
	}
	if (ph->roles & ROLE_ETCD) {
		q = shquote_arg(b->p->etcd.data_dir);
		run(h, PHASE_ETCD, "install -d -m 0700 %s", q);
		xfree(&q);
		add_upload_steps(h, PHASE_ETCD, &made, &n_made);
	}
	add_upload_steps(h, PHASE_APISERVER, &made, &n_made);
	add_endpoint_steps(h, ph, b->p, PHASE_APISERVER);
	add_upload_steps(h, PHASE_CONTROLLER_MANAGER, &made, &n_made);
	add_upload_steps(h, PHASE_SCHEDULER, &made, &n_made);
	if (ph->roles & ROLE_WORKER) {
		run(h, PHASE_WORKERS, "install -d -m 0755 /var/lib/kubelet " STATIC_PODS);
		add_upload_steps(h, PHASE_WORKERS, &made, &n_made);
		add_endpoint_steps(h, ph, b->p, PHASE_WORKERS);
		add_resolv_step(h, PHASE_WORKERS);
		restart_unit(h, PHASE_WORKERS, "kubelet");
		/* Once the kubelet has its own client certificate (and renews it
		 * itself), the bootstrap token has no use on the node. */
		run(h, PHASE_WORKERS,
		    "n=0; until [ -s " KUBELET_KUBECONFIG " ] && [ -s " KUBELET_CLIENT_CERT " ]; do "
		    "n=$((n + 1)); if [ $n -gt 300 ]; then echo 'the kubelet has no client "
		    "certificate after 10 minutes: see journalctl -u kubelet' >&2; exit 1; fi; "
		    "sleep 2; done; rm -f " BOOTSTRAP_KUBECONFIG);
	}
	for (size_t i = 0; i < n_made; i++)
		free(made[i]);
	free(made);
}

/* A cluster manifest and the step that applies it. */
static void add_manifest(struct render_host *cl, enum phase phase, const char *name,
			 char *content, bool secret)
{
	add_text(cl, phase, name, secret ? 0600 : 0644, content, secret);
	add_step(cl, phase, RENDER_STEP_APPLY, xstrdup(KUBECTL " apply -f -"), cl->n_files - 1);
}

/* The bootstrap token as a Secret of kube-system, expiring when the PKI says. */
static char *bootstrap_token_secret(struct builder *b)
{
	const char *token = certs_bootstrap_token(b->c);
	time_t expiry = certs_bootstrap_token_expiry(b->c);
	struct template_vars *v = template_vars_new();
	char id[8], secret[20], when[32];
	struct tm tm;
	char *out = NULL;

	/* ID.SECRET: 6 and 16 characters (certs.h). */
	xsnprintf(id, sizeof id, "%.6s", token);
	xsnprintf(secret, sizeof secret, "%s", token + 7);
	if (gmtime_r(&expiry, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		xsnprintf(when, sizeof when, "1970-01-01T00:00:00Z");
	template_set(v, "token.id", id);
	template_set(v, "token.secret", secret);
	template_set(v, "token.expiration", when);
	out = render_template(b, "cluster/bootstrap-token.yaml", v);
	template_vars_free(&v);
	explicit_bzero(secret, sizeof secret);
	return out;
}

/* Load an upstream manifest from the bundle. */
static struct manifest *load_upstream(struct builder *b, enum bundle_item id)
{
	char *path = NULL, *err = NULL;
	struct manifest *m = NULL;

	if (b->bundle == NULL)
		return NULL;
	path = bundle_path(b->bundle, id);
	if (manifest_load(path, &m, &err) < 0) {
		b->bad_input = true;
		/* L10N: an error reading a file, and what that file is. */
		fail(b, _("%s (%s; see doc/bundle.md)"), err, bundle_entry(id)->what);
		free(err);
	}
	free(path);
	return m;
}

/* The object and container a patch needs, or false after recording why. */
static bool find_container(struct builder *b, struct manifest *m, const char *kind,
			   const char *name, const char *container, struct manifest_ref *c)
{
	struct manifest_ref obj;
	char *err = NULL;

	if (manifest_find(m, kind, name, &obj, &err) < 0 ||
	    manifest_find_container(m, &obj, container, c, &err) < 0) {
		b->bad_input = true;
		fail_with(b, &err);
		return false;
	}
	return true;
}

/* An env var the upstream manifest sets and the patch changes: a manifest
 * without it is not the one the patch was written for. */
static void replace_env(struct builder *b, struct manifest *m, const struct manifest_ref *c,
			const char *file, const char *name, const char *value)
{
	if (manifest_get_env(m, c, name) == NULL) {
		b->bad_input = true;
		/* L10N: the file, a container, an environment variable. */
		fail(b, _("%s: container %s has no env %s: is this the upstream manifest the "
			  "plan's version expects?"), file, manifest_get(m, c, "name"), name);
		return;
	}
	manifest_set_env(m, c, name, value);
}

struct calico_images {
	struct builder *b;
	const char *file;
};

/* Point a Calico image at the plan's registry, checking its version. */
static void calico_image(struct manifest *m, const struct manifest_ref *obj,
			 const struct manifest_ref *c, void *data)
{
	struct calico_images *ci = data;
	const struct plan *p = ci->b->p;
	const char *image = manifest_get(m, c, "image");
	const char *base = image != NULL ? strrchr(image, '/') : NULL;
	const char *tag = base != NULL ? strrchr(base, ':') : NULL;
	const char *want = p->versions.calico;
	char *fresh = NULL, *err = NULL;

	(void)obj;
	if (tag == NULL) {
		ci->b->bad_input = true;
		/* L10N: the file and a container. */
		fail(ci->b, _("%s: container %s has no image with a tag"), ci->file,
		     manifest_get(m, c, "name"));
		return;
	}
	tag++;
	if (strcmp(tag + (tag[0] == 'v'), want + (want[0] == 'v')) != 0) {
		ci->b->bad_input = true;
		/* L10N: the manifest's file, the version of its images, the plan's. */
		fail(ci->b, _("%s is Calico %s but the plan says versions.calico: %s: put the "
			      "plan's version in the bundle or change the plan"),
		     ci->file, tag, want);
		return;
	}
	fresh = xasprintf("%s%s", p->registries.calico_registry, base);
	if (manifest_set(m, c, "image", fresh, MANIFEST_STRING, &err) < 0)
		fail_with(ci->b, &err);
	free(fresh);
}

static char *patch_calico(struct builder *b)
{
	static const char *const ipip[] = { "Always", "CrossSubnet", "Never" };
	struct manifest *m = load_upstream(b, BUNDLE_CALICO);
	const char *file = bundle_entry(BUNDLE_CALICO)->file;
	struct calico_images ci = { b, file };
	struct manifest_ref c, unused;
	struct net_cidr pod;
	const char *why = NULL;
	char *out = NULL;

	if (m == NULL)
		return NULL;
	if (net_cidr_parse(b->p->network.pod_cidr, &pod, &why) == 0 &&
	    pod.addr.family == NET_IPV6) {
		b->bad_input = true;
		fail(b, _("an IPv6 podCIDR needs Calico's IPv6 pool settings, which render "
			  "does not write yet"));
	}
	if (find_container(b, m, "DaemonSet", "calico-node", "calico-node", &c) &&
	    find_container(b, m, "Deployment", "calico-kube-controllers", "calico-kube-controllers",
			   &unused)) {
		/* Upstream leaves the pool CIDR commented out: it is added. */
		manifest_set_env(m, &c, "CALICO_IPV4POOL_CIDR", b->p->network.pod_cidr);
		/* The node's address is the plan's (the kubelet's --node-ip), not
		 * the first interface calico finds on a server with several. */
		manifest_set_env(m, &c, "IP_AUTODETECTION_METHOD", "kubernetes-internal-ip");
		replace_env(b, m, &c, file, "CALICO_IPV4POOL_IPIP",
			    ipip[b->p->network.calico_ipip_mode]);
		manifest_foreach_container(m, calico_image, &ci);
	}
	if (b->err == NULL)
		out = manifest_emit(m, NULL);
	manifest_free(&m);
	return out;
}

static char *patch_metrics_server(struct builder *b)
{
	const struct plan_addon_metrics_server *ms = &b->p->addons.metrics_server;
	struct manifest *m = load_upstream(b, BUNDLE_METRICS_SERVER);
	struct manifest_ref c, d;
	char port[16];
	char *err = NULL, *out = NULL;

	if (m == NULL)
		return NULL;
	if (!find_container(b, m, "Deployment", "metrics-server", "metrics-server", &c))
		goto out;
	xsnprintf(port, sizeof port, "%u", ms->secure_port);
	if (manifest_find(m, "Deployment", "metrics-server", &d, &err) < 0 ||
	    manifest_set(m, &d, "spec.template.spec.hostNetwork",
			 ms->host_network ? "true" : "false", MANIFEST_PLAIN, &err) < 0 ||
	    manifest_set(m, &c, "image", b->p->registries.metrics_server_image, MANIFEST_STRING,
			 &err) < 0 ||
	    manifest_set_port(m, &c, "https", ms->secure_port, &err) < 0) {
		fail_with(b, &err);
		goto out;
	}
	manifest_set_arg(m, &c, "--secure-port", port);
	if (ms->kubelet_insecure_tls)
		manifest_set_arg(m, &c, "--kubelet-insecure-tls", NULL);
	else
		manifest_remove_arg(m, &c, "--kubelet-insecure-tls");
	out = manifest_emit(m, NULL);
out:
	manifest_free(&m);
	return out;
}

static char *patch_csr_approver(struct builder *b)
{
	const struct plan_addon_csr_approver *a = &b->p->addons.csr_approver;
	struct manifest *m = load_upstream(b, BUNDLE_CSR_APPROVER);
	const char *file = bundle_entry(BUNDLE_CSR_APPROVER)->file;
	struct strbuf prefixes = { 0 };
	struct manifest_ref c;
	char *err = NULL, *out = NULL;

	if (m == NULL)
		return NULL;
	if (!find_container(b, m, "Deployment", "kubelet-csr-approver", "kubelet-csr-approver", &c))
		goto out;
	for (size_t i = 0; i < a->provider_ip_prefixes.n; i++)
		strbuf_addf(&prefixes, "%s%s", i > 0 ? "," : "", a->provider_ip_prefixes.v[i]);
	replace_env(b, m, &c, file, "PROVIDER_REGEX", a->provider_regex);
	replace_env(b, m, &c, file, "PROVIDER_IP_PREFIXES", prefixes.s != NULL ? prefixes.s : "");
	/* Node names need not be in any DNS the approver asks (the plan's are
	 * host names, not DNS records): it then checks the name against the
	 * regex and the addresses against the prefixes only. */
	manifest_set_env(m, &c, "BYPASS_DNS_RESOLUTION", "true");
	if (manifest_set(m, &c, "image", b->p->registries.csr_approver_image, MANIFEST_STRING,
			 &err) < 0)
		fail_with(b, &err);
	if (b->err == NULL)
		out = manifest_emit(m, NULL);
out:
	strbuf_clear(&prefixes);
	manifest_free(&m);
	return out;
}

static void add_cluster(struct builder *b, struct render_host *cl)
{
	const struct plan_addons *a = &b->p->addons;
	const struct {
		bool enabled;
		enum phase phase;
		const char *name;
		const char *template;
		char *(*patch)(struct builder *b);
		bool secret;
	} manifests[] = {
		{ true, PHASE_WORKERS, "bootstrap-token.yaml", NULL, bootstrap_token_secret, true },
		{ true, PHASE_WORKERS, "rbac-bootstrap.yaml", "cluster/rbac-bootstrap.yaml", NULL,
		  false },
		{ true, PHASE_WORKERS, "kube-proxy.yaml", "cluster/kube-proxy.yaml", NULL, false },
		{ a->calico.enabled, PHASE_CALICO, "calico.yaml", NULL, patch_calico, false },
		{ a->coredns.enabled, PHASE_COREDNS, "coredns.yaml", "cluster/coredns.yaml", NULL,
		  false },
		{ a->nodelocaldns.enabled, PHASE_NODELOCALDNS, "node-local-dns.yaml",
		  "cluster/node-local-dns.yaml", NULL, false },
		{ a->csr_approver.enabled, PHASE_CSR_APPROVER, "kubelet-csr-approver.yaml", NULL,
		  patch_csr_approver, false },
		{ a->metrics_server.enabled, PHASE_METRICS_SERVER, "metrics-server.yaml", NULL,
		  patch_metrics_server, false },
	};

	for (size_t i = 0; i < sizeof manifests / sizeof manifests[0] && b->err == NULL; i++) {
		char *content = NULL;

		if (!manifests[i].enabled)
			continue;
		if (manifests[i].template != NULL)
			content = render_template(b, manifests[i].template, NULL);
		else
			content = manifests[i].patch(b);
		if (content != NULL)
			add_manifest(cl, manifests[i].phase, manifests[i].name, content,
				     manifests[i].secret);
	}
}

/* Whether the build reads the bundle directory: for binaries, or for an
 * upstream manifest of an enabled add-on. */
static bool needs_bundle(const struct plan *p)
{
	return p->binaries.source == BINARIES_BUNDLE || p->addons.calico.enabled ||
	       p->addons.metrics_server.enabled || p->addons.csr_approver.enabled;
}

int render_build(const struct plan *p, const struct certs *c, const struct render_options *o,
		 struct render **out, char **err)
{
	static const struct render_options defaults = { 0 };
	struct builder b = { .p = p, .c = c, .o = o != NULL ? o : &defaults };
	struct render_host *cluster = NULL;
	int rc = -1;

	*out = NULL;
	*err = NULL;
	b.r = xcalloc(1, sizeof *b.r);
	b.vars = template_vars_new();
	if (needs_bundle(p)) {
		b.bundle = bundle_dir(p, b.o->base_dir, &b.err);
		b.bad_input = b.bundle == NULL;
		if (b.bundle == NULL)
			goto out;
	}
	set_common_vars(&b);
	for (size_t i = 0; i < p->n_hosts && b.err == NULL; i++) {
		const struct plan_host *ph = &p->hosts[i];
		struct render_host *h = add_host(b.r, ph->name, ph->address, ph->roles);

		if (b.r->apply_host == NULL && (ph->roles & ROLE_MASTER))
			b.r->apply_host = xstrdup(ph->name);
		add_host_files(&b, h, ph);
		add_host_steps(&b, h, ph);
	}
	cluster = add_host(b.r, RENDER_CLUSTER, NULL, 0);
	add_cluster(&b, cluster);
	if (b.err != NULL)
		goto out;
	*out = b.r;
	b.r = NULL;
	rc = 0;
out:
	if (rc < 0) {
		*err = b.err;
		b.err = NULL;
		rc = b.bad_input ? -2 : -1;
	}
	for (size_t i = 0; i < b.n_templates; i++) {
		free(b.templates[i].name);
		free(b.templates[i].text);
	}
	free(b.templates);
	free(b.bundle);
	free(b.err);
	template_vars_free(&b.vars);
	render_free(&b.r);
	return rc;
}

void render_free(struct render **rp)
{
	struct render *r = *rp;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct render_host *h = &r->hosts[i];

		for (size_t j = 0; j < h->n_files; j++) {
			free(h->files[j].path);
			free(h->files[j].content);
			free(h->files[j].source);
		}
		for (size_t j = 0; j < h->n_steps; j++)
			free(h->steps[j].command);
		free(h->files);
		free(h->steps);
		free(h->name);
		free(h->address);
	}
	free(r->hosts);
	free(r->apply_host);
	free(r);
	*rp = NULL;
}

char *render_steps_text(const struct render *r, const struct render_host *h)
{
	struct strbuf out = { 0 };
	int last = -1;

	if (h->address != NULL)
		strbuf_addf(&out, "# The commands %s (%s) runs, phase by phase. A line \"# upload "
				  "PATH\" is a file\n# of MANIFEST written there (temporary file, "
				  "mode, owner, rename).\n",
			    h->name, h->address);
	else
		strbuf_addf(&out, "# The commands that apply the cluster's manifests, run on %s "
				  "with the\n# manifest named in the line above each on standard "
				  "input.\n",
			    r->apply_host != NULL ? r->apply_host : "?");
	for (size_t i = 0; i < h->n_steps; i++) {
		const struct render_step *s = &h->steps[i];

		if ((int)s->phase != last) {
			strbuf_addf(&out, "\n## phase %s\n", phase_name(s->phase));
			last = (int)s->phase;
		}
		switch (s->type) {
		case RENDER_STEP_RUN:
			strbuf_addf(&out, "%s\n", s->command);
			break;
		case RENDER_STEP_UPLOAD:
			strbuf_addf(&out, "# upload %s\n", h->files[s->file].path);
			break;
		case RENDER_STEP_APPLY:
			strbuf_addf(&out, "# stdin: %s\n%s\n", h->files[s->file].path, s->command);
			break;
		}
	}
	return strbuf_detach(&out, NULL);
}
