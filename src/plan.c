/* The cluster plan: its schema, its defaults (the values of the guide this tool
 * automates) and the memory management of struct plan, all driven by the
 * schema table so that a field added there is loaded, saved, validated, copied
 * and freed everywhere. */
#include "config.h"

#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "nls.h"
#include "xmalloc.h"

#define SECTION(k, l, T, m, sub)                                                \
	{ .key = k, .label = l, .type = PT_SECTION, .offset = offsetof(T, m), .fields = sub }
#define STRING(k, l, T, m, g, d, h)                                             \
	{ .key = k, .label = l, .type = PT_STRING, .offset = offsetof(T, m), .grammar = g, \
	  .def = d, .help = h }
#define OPTSTRING(k, l, T, m, g, h)                                             \
	{ .key = k, .label = l, .type = PT_STRING, .offset = offsetof(T, m), .grammar = g, \
	  .optional = true, .def = "", .help = h }
#define UINT(k, l, T, m, lo, hi, d, h)                                          \
	{ .key = k, .label = l, .type = PT_UINT, .offset = offsetof(T, m), .min = lo, \
	  .max = hi, .def = d, .help = h }
#define BOOL(k, l, T, m, d, h)                                                  \
	{ .key = k, .label = l, .type = PT_BOOL, .offset = offsetof(T, m), .def = d, .help = h }
#define ENUM(k, l, T, m, names, d, h)                                           \
	{ .key = k, .label = l, .type = PT_ENUM, .offset = offsetof(T, m), .enum_names = names, \
	  .def = d, .help = h }
#define STRLIST(k, l, T, m, g, d, h)                                            \
	{ .key = k, .label = l, .type = PT_STRLIST, .offset = offsetof(T, m), .grammar = g, \
	  .def = d, .help = h }
#define END { .key = NULL }

const char *const plan_role_names[] = { "master", "etcd", "worker", NULL };
static const char *const proxy_modes[] = { "ipvs", "iptables", NULL };
static const char *const api_endpoints[] = { "external", "local", "keepalived", NULL };
static const char *const ipip_modes[] = { "Always", "CrossSubnet", "Never", NULL };
static const char *const key_algos[] = { "rsa", "ecdsa", NULL };
static const char *const binaries_sources[] = { "bundle", "mirror", NULL };

static const struct plan_field host_fields[] = {
	STRING("name", N_("Name"), struct plan_host, name, GR_LABEL, "",
	       N_("Host name (RFC 1123 label); becomes the node name")),
	STRING("address", N_("Address"), struct plan_host, address, GR_ADDR, "",
	       N_("IP address the cluster and the SSH connection use")),
	UINT("port", N_("SSH port"), struct plan_host, port, 0, 65535, "0",
	     N_("SSH port of this host; 0 uses ssh.port")),
	OPTSTRING("user", N_("SSH user"), struct plan_host, user, GR_USER,
		  N_("SSH user for this host; empty uses ssh.user")),
	{ .key = "roles", .label = N_("Roles"), .type = PT_ROLES,
	  .offset = offsetof(struct plan_host, roles),
	  .enum_names = plan_role_names,
	  .help = N_("master runs the control plane, etcd a member of etcd, worker runs pods") },
	END,
};

static const struct plan_field version_fields[] = {
	STRING("kubernetes", N_("Kubernetes version"), struct plan_versions, kubernetes,
	       GR_VERSION, "v1.29.7",
	       N_("Kubernetes release of kubelet, kube-proxy and the control plane images")),
	STRING("containerd", N_("containerd version"), struct plan_versions, containerd,
	       GR_VERSION, "1.7.20", N_("containerd release installed on every host")),
	STRING("runc", N_("runc version"), struct plan_versions, runc, GR_VERSION, "1.1.13",
	       N_("runc release installed on every host")),
	STRING("crictl", N_("crictl version"), struct plan_versions, crictl, GR_VERSION,
	       "v1.29.0", N_("crictl release installed on every host")),
	STRING("calico", N_("Calico version"), struct plan_versions, calico, GR_VERSION,
	       "v3.27.4", N_("Calico release whose manifest is applied")),
	END,
};

static const struct plan_field ssh_fields[] = {
	STRING("user", N_("SSH user"), struct plan_ssh, user, GR_USER, "root",
	       N_("User the wizard logs in as on every host")),
	UINT("port", N_("SSH port"), struct plan_ssh, port, 1, 65535, "22",
	     N_("SSH port of the hosts")),
	OPTSTRING("identityFile", N_("Identity file"), struct plan_ssh, identity_file,
	          GR_LOCALPATH,
		  N_("Private key file on this machine; empty tries the SSH agent and ~/.ssh")),
	OPTSTRING("bastion", N_("Bastion (jump host)"), struct plan_ssh, bastion, GR_BASTION,
		  N_("Jump host as user@host:port, when the hosts are not reachable directly")),
	BOOL("sudo", N_("Use sudo"), struct plan_ssh, sudo, "false",
	     N_("Run commands through sudo (for a user other than root)")),
	BOOL("sudoPassword", N_("sudo password"), struct plan_ssh, sudo_password, "false",
	     N_("sudo asks for the user's password: ask it once per run (never saved)")),
	UINT("connectTimeout", N_("Connect timeout (s)"), struct plan_ssh, connect_timeout, 1,
	     600, "10", N_("Seconds to wait for a host to answer")),
	END,
};

static const struct plan_field network_fields[] = {
	STRING("serviceCIDR", N_("Service network"), struct plan_network, service_cidr, GR_CIDR,
	       "192.168.0.0/16",
	       N_("Addresses of Services (ClusterIPs); must not overlap pods or hosts")),
	STRING("podCIDR", N_("Pod network"), struct plan_network, pod_cidr, GR_CIDR,
	       "172.18.0.0/16",
	       N_("Addresses of pods (the Calico IP pool); must not overlap Services or hosts")),
	STRING("clusterDNS", N_("Cluster DNS address"), struct plan_network, cluster_dns, GR_ADDR,
	       "192.168.0.2",
	       N_("Service address of CoreDNS; inside serviceCIDR, not its first address")),
	STRING("nodeLocalDNS", N_("Node-local DNS address"), struct plan_network, node_local_dns,
	       GR_ADDR4, "169.254.20.10",
	       N_("Link-local address of the per-node DNS cache (169.254.0.0/16)")),
	STRING("clusterDomain", N_("Cluster domain"), struct plan_network, cluster_domain,
	       GR_DOMAIN, "cluster.local", N_("DNS domain of Services and pods")),
	ENUM("apiserverEndpoint", N_("API endpoint"), struct plan_network, apiserver_endpoint,
	     api_endpoints, "external",
	     N_("How the apiservers are reached: external (your load balancer at the VIP), "
		"local (a proxy on each worker) or keepalived (the masters hold the VIP)")),
	/* Optional: the local endpoint has no VIP. The rules that need one are
	 * in plancheck.c. */
	{ .key = "apiserverVIP", .label = N_("API server VIP"), .type = PT_STRING,
	  .offset = offsetof(struct plan_network, apiserver_vip), .grammar = GR_ADDR,
	  .optional = true, .def = "10.1.1.10",
	  .help = N_("Virtual IP in front of the apiservers (external and keepalived; "
		     "local uses none)") },
	UINT("apiserverPort", N_("API server port"), struct plan_network, apiserver_port, 1,
	     65535, "7443", N_("Secure port of the apiservers and of the VIP")),
	ENUM("kubeProxyMode", N_("kube-proxy mode"), struct plan_network, kube_proxy_mode,
	     proxy_modes, "ipvs", N_("How kube-proxy implements Services: ipvs or iptables")),
	ENUM("calicoIPIPMode", N_("Calico IPIP mode"), struct plan_network, calico_ipip_mode,
	     ipip_modes, "Always",
	     N_("Calico IP-in-IP encapsulation: Always, CrossSubnet or Never")),
	STRING("serviceNodePortRange", N_("NodePort range"), struct plan_network,
	       service_node_port_range, GR_PORTRANGE, "30000-32767",
	       N_("Ports NodePort Services may take on every node, as LOW-HIGH")),
	STRLIST("ntpServers", N_("NTP servers"), struct plan_network, ntp_servers, GR_HOST, "",
		N_("Time servers every host's systemd-timesyncd uses; empty: leave time sync "
		   "as it is")),
	END,
};

static const struct plan_field etcd_fields[] = {
	UINT("clientPort", N_("Client port"), struct plan_etcd, client_port, 1, 65535, "4001",
	     N_("Port etcd serves clients (the apiservers) on")),
	UINT("peerPort", N_("Peer port"), struct plan_etcd, peer_port, 1, 65535, "2380",
	     N_("Port etcd members talk to each other on")),
	STRING("dataDir", N_("Data directory"), struct plan_etcd, data_dir, GR_PATH, "/data/etcd",
	       N_("Directory of etcd's data on each master")),
	STRING("clusterToken", N_("Cluster token"), struct plan_etcd, cluster_token, GR_TOKEN,
	       "dtalk-k8s-etcd", N_("Initial cluster token; unique per etcd cluster")),
	END,
};

static const struct plan_field registry_fields[] = {
	{ .key = "mirrors", .label = N_("Registry mirrors"), .type = PT_MIRRORS,
	  .offset = offsetof(struct plan_registries, mirrors), .grammar = GR_MIRROR,
	  .help = N_("Mirror endpoints containerd tries for each upstream registry") },
	STRING("imageRepository", N_("Image repository"), struct plan_registries,
	       image_repository, GR_REPO, "registry.cn-hangzhou.aliyuncs.com/google_containers",
	       N_("Repository of the kube-apiserver, controller-manager, scheduler and proxy images")),
	STRING("sandboxImage", N_("Sandbox (pause) image"), struct plan_registries, sandbox_image,
	       GR_IMAGE, "registry.cn-hangzhou.aliyuncs.com/google_containers/pause:3.9",
	       N_("Pause image containerd uses for pod sandboxes")),
	STRING("etcdImage", N_("etcd image"), struct plan_registries, etcd_image, GR_IMAGE,
	       "quay.io/coreos/etcd:v3.5.15", N_("etcd image run on the masters")),
	STRING("corednsImage", N_("CoreDNS image"), struct plan_registries, coredns_image,
	       GR_IMAGE, "ccr.ccs.tencentyun.com/bxrapp/coredns:1.11.1", N_("CoreDNS image")),
	STRING("nodeCacheImage", N_("Node-local DNS image"), struct plan_registries,
	       node_cache_image, GR_IMAGE,
	       "ccr.ccs.tencentyun.com/bxrapp/k8s-dns-node-cache:1.23.1",
	       N_("NodeLocal DNS cache image")),
	STRING("calicoRegistry", N_("Calico repository"), struct plan_registries, calico_registry,
	       GR_REPO, "docker.io/calico", N_("Repository the Calico images are pulled from")),
	STRING("metricsServerImage", N_("metrics-server image"), struct plan_registries,
	       metrics_server_image, GR_IMAGE,
	       "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
	       N_("metrics-server image")),
	STRING("csrApproverImage", N_("CSR approver image"), struct plan_registries,
	       csr_approver_image, GR_IMAGE, "ghcr.io/postfinance/kubelet-csr-approver:v1.2.2",
	       N_("kubelet-csr-approver image")),
	END,
};

static const struct plan_field binaries_fields[] = {
	ENUM("source", N_("Binaries source"), struct plan_binaries, source, binaries_sources,
	     "bundle",
	     N_("Where binaries come from: bundle (a directory here) or mirror (a URL)")),
	{ .key = "bundleDir", .label = N_("Bundle directory"), .type = PT_STRING,
	  .offset = offsetof(struct plan_binaries, bundle_dir), .grammar = GR_LOCALPATH,
	  .optional = true, .def = "~/k8s-bundle",
	  .help = N_("Directory on this machine holding the binaries and upstream manifests") },
	OPTSTRING("mirrorURL", N_("Mirror URL"), struct plan_binaries, mirror_url, GR_URL,
		  N_("Base URL each host downloads the binaries from")),
	END,
};

static const struct plan_field subject_fields[] = {
	STRING("country", N_("Country (C)"), struct plan_subject, country, GR_COUNTRY, "CN",
	       N_("Certificate subject C: two capital letters")),
	STRING("state", N_("State (ST)"), struct plan_subject, state, GR_SUBJECT, "GD",
	       N_("Certificate subject ST")),
	STRING("locality", N_("Locality (L)"), struct plan_subject, locality, GR_SUBJECT,
	       "Shenzhen", N_("Certificate subject L")),
	STRING("organization", N_("Organization (O)"), struct plan_subject, organization,
	       GR_SUBJECT, "dingding", N_("Certificate subject O of the CAs and the apiserver")),
	STRING("organizationalUnit", N_("Organizational unit (OU)"), struct plan_subject,
	       organizational_unit, GR_SUBJECT, "System", N_("Certificate subject OU")),
	END,
};

static const struct plan_field pki_fields[] = {
	ENUM("algorithm", N_("Key algorithm"), struct plan_pki, algorithm, key_algos, "rsa",
	     N_("Key algorithm: rsa or ecdsa")),
	UINT("caKeySize", N_("CA key size"), struct plan_pki, ca_key_size, 256, 8192, "4096",
	     N_("Key size of the CAs: 2048, 3072 or 4096 (rsa); 256 or 384 (ecdsa)")),
	UINT("leafKeySize", N_("Certificate key size"), struct plan_pki, leaf_key_size, 256, 8192,
	     "2048", N_("Key size of the other certificates")),
	UINT("caValidityDays", N_("CA validity (days)"), struct plan_pki, ca_validity_days, 1,
	     36525, "36500", N_("Days the CAs are valid (the guide: 100 years)")),
	UINT("leafValidityDays", N_("Certificate validity (days)"), struct plan_pki,
	     leaf_validity_days, 1, 36525, "3650", N_("Days the other certificates are valid")),
	UINT("bootstrapTokenHours", N_("Bootstrap token lifetime (h)"), struct plan_pki,
	     bootstrap_token_hours, 1, 8760, "24",
	     N_("Hours the token workers join with stays valid; renewed by the run that needs it")),
	SECTION("subject", N_("Certificate subject"), struct plan_pki, subject, subject_fields),
	END,
};

static const struct plan_field calico_fields[] = {
	BOOL("enabled", N_("Install Calico"), struct plan_addon_calico, enabled, "true",
	     N_("Install Calico, the pod network")),
	END,
};

static const struct plan_field coredns_fields[] = {
	BOOL("enabled", N_("Install CoreDNS"), struct plan_addon_coredns, enabled, "true",
	     N_("Install CoreDNS, the cluster DNS")),
	END,
};

static const struct plan_field nodelocaldns_fields[] = {
	BOOL("enabled", N_("Install NodeLocal DNS"), struct plan_addon_nodelocaldns, enabled,
	     "true", N_("Install the NodeLocal DNS cache on every worker")),
	END,
};

static const struct plan_field csr_approver_fields[] = {
	BOOL("enabled", N_("Install CSR approver"), struct plan_addon_csr_approver, enabled,
	     "true",
	     N_("Install kubelet-csr-approver, which approves kubelet serving certificates")),
	STRING("providerRegex", N_("Approved node names"), struct plan_addon_csr_approver,
	       provider_regex, GR_REGEX,
	       "^node[0-9]+$", N_("Node names whose serving certificates are approved")),
	STRLIST("providerIPPrefixes", N_("Approved node networks"),
	        struct plan_addon_csr_approver, provider_ip_prefixes,
		GR_CIDR, "10.1.1.0/24", N_("Networks the node addresses must lie in")),
	END,
};

static const struct plan_field metrics_server_fields[] = {
	BOOL("enabled", N_("Install metrics-server"), struct plan_addon_metrics_server, enabled,
	     "true", N_("Install metrics-server (kubectl top, autoscaling)")),
	BOOL("hostNetwork", N_("Host network"), struct plan_addon_metrics_server, host_network,
	     "true", N_("Run on the host network so the apiservers can reach it")),
	UINT("securePort", N_("metrics-server port"), struct plan_addon_metrics_server,
	     secure_port, 1, 65535, "10251",
	     N_("Port metrics-server listens on (10250 is the kubelet's)")),
	BOOL("kubeletInsecureTLS", N_("Skip kubelet TLS check"), struct plan_addon_metrics_server,
	     kubelet_insecure_tls,
	     "false", N_("Skip verifying kubelet certificates (only without the CSR approver)")),
	END,
};

static const struct plan_field addon_fields[] = {
	SECTION("calico", N_("Calico"), struct plan_addons, calico, calico_fields),
	SECTION("coredns", N_("CoreDNS"), struct plan_addons, coredns, coredns_fields),
	SECTION("nodelocaldns", N_("NodeLocal DNS cache"), struct plan_addons, nodelocaldns,
	        nodelocaldns_fields),
	SECTION("csrApprover", N_("kubelet-csr-approver"), struct plan_addons, csr_approver,
	        csr_approver_fields),
	SECTION("metricsServer", N_("metrics-server"), struct plan_addons, metrics_server,
	        metrics_server_fields),
	END,
};

static const struct plan_field root_fields[] = {
	STRING("name", N_("Cluster name"), struct plan, name, GR_LABEL, "kubernetes",
	       N_("Cluster name; also names the state directory")),
	SECTION("versions", N_("Versions"), struct plan, versions, version_fields),
	{ .key = "hosts", .label = N_("Servers"), .type = PT_HOSTS,
	  .offset = offsetof(struct plan, hosts),
	  .fields = host_fields, .help = N_("The servers of the cluster") },
	SECTION("ssh", N_("SSH access"), struct plan, ssh, ssh_fields),
	SECTION("network", N_("Network"), struct plan, network, network_fields),
	SECTION("etcd", N_("etcd"), struct plan, etcd, etcd_fields),
	SECTION("registries", N_("Registries"), struct plan, registries, registry_fields),
	SECTION("binaries", N_("Binaries"), struct plan, binaries, binaries_fields),
	SECTION("pki", N_("Certificates (PKI)"), struct plan, pki, pki_fields),
	SECTION("addons", N_("Add-ons"), struct plan, addons, addon_fields),
	END,
};

/* The guide's mirrors, DaoCloud's in the form it documents for a registry
 * mirror (doc/deviations.md, default-mirrors). */
static const char *const default_mirrors[][3] = {
	{ "docker.io", "https://mirror.ccs.tencentyun.com", "https://docker.m.daocloud.io" },
	{ "quay.io", "https://quay.m.daocloud.io", NULL },
};

static const struct plan_host default_hosts[] = {
	{ .name = "master1", .address = "10.1.1.1", .roles = ROLE_MASTER | ROLE_ETCD },
	{ .name = "master2", .address = "10.1.1.2", .roles = ROLE_MASTER | ROLE_ETCD },
	{ .name = "master3", .address = "10.1.1.3", .roles = ROLE_MASTER | ROLE_ETCD },
	{ .name = "node1", .address = "10.1.1.4", .roles = ROLE_WORKER },
	{ .name = "node2", .address = "10.1.1.5", .roles = ROLE_WORKER },
};

const struct plan_field *plan_schema(void)
{
	return root_fields;
}

const struct plan_field *plan_host_schema(void)
{
	return host_fields;
}

const struct plan_field *plan_schema_find(const char *path)
{
	const struct plan_field *table = root_fields;
	const struct plan_field *found = NULL;

	while (table != NULL && *path != '\0') {
		size_t len = strcspn(path, ".");

		found = NULL;
		for (const struct plan_field *f = table; f->key != NULL; f++) {
			if (strlen(f->key) == len && strncmp(f->key, path, len) == 0) {
				found = f;
				break;
			}
		}
		if (found == NULL)
			return NULL;
		path += len;
		if (*path == '.')
			path++;
		table = found->type == PT_SECTION ? found->fields : NULL;
	}
	return *path == '\0' ? found : NULL;
}

void *plan_field_ptr(void *base, const struct plan_field *f)
{
	return (char *)base + f->offset;
}

char *plan_enum_choices(const char *const *names)
{
	char *out = xstrdup("");

	for (size_t i = 0; names[i] != NULL; i++) {
		char *next = xasprintf("%s%s%s", out,
				       i == 0 ? "" : names[i + 1] == NULL ? _(" or ") : ", ", names[i]);

		free(out);
		out = next;
	}
	return out;
}

void plan_set_string(char **slot, const char *value)
{
	free(*slot);
	*slot = value != NULL && *value != '\0' ? xstrdup(value) : NULL;
}

void strlist_add(struct strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = xstrdup(s);
}

void strlist_remove(struct strlist *l, size_t i)
{
	if (i >= l->n)
		return;
	free(l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
	l->n--;
}

void strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void strlist_copy(struct strlist *dst, const struct strlist *src)
{
	dst->v = NULL;
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++)
		strlist_add(dst, src->v[i]);
}

/* Set every field of a table to its default. Lists start empty. */
static void section_defaults(void *base, const struct plan_field *fields)
{
	for (const struct plan_field *f = fields; f->key != NULL; f++) {
		void *ptr = plan_field_ptr(base, f);

		switch (f->type) {
		case PT_SECTION:
			section_defaults(ptr, f->fields);
			break;
		case PT_STRING:
			plan_set_string(ptr, f->def);
			break;
		case PT_UINT:
			*(unsigned *)ptr = (unsigned)strtoul(f->def, NULL, 10);
			break;
		case PT_BOOL:
			*(bool *)ptr = strcmp(f->def, "true") == 0;
			break;
		case PT_ENUM:
			*(int *)ptr = 0;
			for (int i = 0; f->enum_names[i] != NULL; i++) {
				if (strcmp(f->enum_names[i], f->def) == 0)
					*(int *)ptr = i;
			}
			break;
		case PT_STRLIST:
			strlist_clear(ptr);
			if (f->def != NULL && *f->def != '\0')
				strlist_add(ptr, f->def);
			break;
		case PT_ROLES:
		case PT_HOSTS:
		case PT_MIRRORS:
			break;
		}
	}
}

void plan_host_clear(struct plan_host *h)
{
	xfree(&h->name);
	xfree(&h->address);
	xfree(&h->user);
	h->port = 0;
	h->roles = 0;
}

static void mirror_clear(struct plan_mirror *m)
{
	xfree(&m->registry);
	strlist_clear(&m->endpoints);
}

static void plan_clear_hosts(struct plan *p)
{
	for (size_t i = 0; i < p->n_hosts; i++)
		plan_host_clear(&p->hosts[i]);
	xfree(&p->hosts);
	p->n_hosts = 0;
}

static void plan_clear_mirrors(struct plan *p)
{
	for (size_t i = 0; i < p->registries.n_mirrors; i++)
		mirror_clear(&p->registries.mirrors[i]);
	xfree(&p->registries.mirrors);
	p->registries.n_mirrors = 0;
}

/* Free what a table's fields own; hosts and mirrors are freed by the caller. */
static void section_free(void *base, const struct plan_field *fields)
{
	for (const struct plan_field *f = fields; f->key != NULL; f++) {
		void *ptr = plan_field_ptr(base, f);

		if (f->type == PT_SECTION)
			section_free(ptr, f->fields);
		else if (f->type == PT_STRING)
			xfree((char **)ptr);
		else if (f->type == PT_STRLIST)
			strlist_clear(ptr);
	}
}

/* Deep-copy the strings and lists of a table (dst is a bitwise copy of src). */
static void section_copy(void *dst, const void *src, const struct plan_field *fields)
{
	for (const struct plan_field *f = fields; f->key != NULL; f++) {
		void *d = plan_field_ptr(dst, f);
		const void *s = (const char *)src + f->offset;

		if (f->type == PT_SECTION) {
			section_copy(d, s, f->fields);
		} else if (f->type == PT_STRING) {
			const char *str = *(char *const *)s;

			*(char **)d = str != NULL ? xstrdup(str) : NULL;
		} else if (f->type == PT_STRLIST) {
			strlist_copy(d, s);
		}
	}
}

struct plan *plan_new_empty(void)
{
	struct plan *p = xcalloc(1, sizeof *p);

	section_defaults(p, root_fields);
	return p;
}

struct plan *plan_new_default(void)
{
	struct plan *p = plan_new_empty();

	for (size_t i = 0; i < sizeof default_hosts / sizeof default_hosts[0]; i++)
		plan_add_host(p, &default_hosts[i]);
	for (size_t i = 0; i < sizeof default_mirrors / sizeof default_mirrors[0]; i++) {
		struct plan_mirror *m = plan_add_mirror(p, default_mirrors[i][0]);

		for (size_t j = 1; j < 3 && default_mirrors[i][j] != NULL; j++)
			strlist_add(&m->endpoints, default_mirrors[i][j]);
	}
	return p;
}

struct plan *plan_dup(const struct plan *src)
{
	struct plan *p = xcalloc(1, sizeof *p);

	*p = *src;
	section_copy(p, src, root_fields);
	p->hosts = NULL;
	p->n_hosts = 0;
	for (size_t i = 0; i < src->n_hosts; i++)
		plan_add_host(p, &src->hosts[i]);
	p->registries.mirrors = NULL;
	p->registries.n_mirrors = 0;
	for (size_t i = 0; i < src->registries.n_mirrors; i++) {
		const struct plan_mirror *m = &src->registries.mirrors[i];

		strlist_copy(&plan_add_mirror(p, m->registry)->endpoints, &m->endpoints);
	}
	p->marks = NULL;
	p->n_marks = 0;
	for (size_t i = 0; i < src->n_marks; i++)
		plan_set_mark(p, src->marks[i].path, src->marks[i].line, src->marks[i].column);
	return p;
}

void plan_free(struct plan **pp)
{
	struct plan *p = *pp;

	if (p == NULL)
		return;
	section_free(p, root_fields);
	plan_clear_hosts(p);
	plan_clear_mirrors(p);
	plan_clear_marks(p);
	free(p);
	*pp = NULL;
}

struct plan_host *plan_add_host(struct plan *p, const struct plan_host *h)
{
	struct plan_host *n = NULL;

	p->hosts = xreallocarray(p->hosts, p->n_hosts + 1, sizeof *p->hosts);
	n = &p->hosts[p->n_hosts++];
	memset(n, 0, sizeof *n);
	if (h != NULL) {
		plan_set_string(&n->name, h->name);
		plan_set_string(&n->address, h->address);
		plan_set_string(&n->user, h->user);
		n->port = h->port;
		n->roles = h->roles;
	}
	return n;
}

void plan_remove_host(struct plan *p, size_t i)
{
	if (i >= p->n_hosts)
		return;
	plan_host_clear(&p->hosts[i]);
	memmove(&p->hosts[i], &p->hosts[i + 1], (p->n_hosts - i - 1) * sizeof *p->hosts);
	p->n_hosts--;
}

struct plan_mirror *plan_add_mirror(struct plan *p, const char *registry)
{
	struct plan_registries *r = &p->registries;
	struct plan_mirror *m = NULL;

	r->mirrors = xreallocarray(r->mirrors, r->n_mirrors + 1, sizeof *r->mirrors);
	m = &r->mirrors[r->n_mirrors++];
	memset(m, 0, sizeof *m);
	m->registry = xstrdup(registry);
	return m;
}

void plan_remove_mirror(struct plan *p, size_t i)
{
	struct plan_registries *r = &p->registries;

	if (i >= r->n_mirrors)
		return;
	mirror_clear(&r->mirrors[i]);
	memmove(&r->mirrors[i], &r->mirrors[i + 1], (r->n_mirrors - i - 1) * sizeof *r->mirrors);
	r->n_mirrors--;
}

size_t plan_count_role(const struct plan *p, enum plan_role role)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_hosts; i++)
		n += (p->hosts[i].roles & role) != 0;
	return n;
}

char *plan_path_join(const char *parent, const char *key)
{
	size_t a = strlen(parent), b = strlen(key);
	char *s = xmalloc(a + b + 2);

	memcpy(s, parent, a);
	if (a > 0)
		s[a++] = '.';
	memcpy(s + a, key, b + 1);
	return s;
}

char *plan_path_index(const char *parent, size_t i)
{
	char digits[24];
	size_t n = sizeof digits, a = strlen(parent);
	char *s = NULL;

	do {
		digits[--n] = (char)('0' + i % 10);
		i /= 10;
	} while (i > 0);
	s = xmalloc(a + (sizeof digits - n) + 3);
	memcpy(s, parent, a);
	s[a++] = '[';
	memcpy(s + a, digits + n, sizeof digits - n);
	a += sizeof digits - n;
	s[a++] = ']';
	s[a] = '\0';
	return s;
}

void plan_set_mark(struct plan *p, const char *path, unsigned line, unsigned column)
{
	struct plan_mark *m = NULL;

	/* Capacity doubles at each power of two: a 1000-host plan has ~5000 marks. */
	if (p->n_marks == 0 || (p->n_marks & (p->n_marks - 1)) == 0)
		p->marks = xreallocarray(p->marks, p->n_marks == 0 ? 1 : p->n_marks * 2,
					 sizeof *p->marks);
	m = &p->marks[p->n_marks++];
	m->path = xstrdup(path);
	m->line = line;
	m->column = column;
}

bool plan_mark_find(const struct plan *p, const char *path, unsigned *line, unsigned *column)
{
	size_t len = strlen(path);

	/* Try path itself, then each prefix ending before a '.' or '[', and last
	 * the root mapping, recorded under "". */
	for (;;) {
		for (size_t i = p->n_marks; i-- > 0;) {
			const struct plan_mark *m = &p->marks[i];

			if (strlen(m->path) == len && strncmp(m->path, path, len) == 0) {
				*line = m->line;
				*column = m->column;
				return true;
			}
		}
		if (len == 0)
			return false;
		while (len > 0 && path[len - 1] != '.' && path[len - 1] != '[')
			len--;
		if (len > 0)
			len--;
	}
}

void plan_clear_marks(struct plan *p)
{
	for (size_t i = 0; i < p->n_marks; i++)
		free(p->marks[i].path);
	xfree(&p->marks);
	p->n_marks = 0;
}
