/* Plan validation. The schema pass checks each value on its own; the rules
 * below it check what only makes sense across fields. Each rule reports at the
 * field an operator would change to fix it. */
#include "config.h"

#include "plancheck.h"

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"
#include "net.h"
#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Ports the kubelet, kube-proxy and the control plane listen on, on the host
 * network of every node. */
static const struct {
	unsigned port;
	const char *owner;
} reserved_ports[] = {
	{ 10248, "kubelet healthz" }, { 10249, "kube-proxy metrics" },
	{ 10250, "kubelet" },         { 10255, "kubelet read-only" },
	{ 10256, "kube-proxy healthz" }, { 10257, "kube-controller-manager" },
	{ 10259, "kube-scheduler" },
};

struct checker {
	const struct plan *plan;
	struct problems *out;
	/* Parsed network values; valid only where the *_ok flag is set. */
	struct net_cidr service, pod;
	struct net_addr dns, nodelocal, vip;
	bool service_ok, pod_ok, dns_ok, nodelocal_ok, vip_ok;
	struct net_addr *addrs; /* each host's address, parsed once */
	bool *addr_ok;
};

static void report(struct checker *c, enum problem_severity sev, const char *path,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct checker *c, enum problem_severity sev, const char *path,
		   const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	problems_add(c->out, sev, path, "%s", msg);
	free(msg);
}

static void check_string(struct checker *c, const char *path, const struct plan_field *f,
			 const char *s)
{
	const char *why = NULL;
	struct net_cidr net;

	if (s == NULL || *s == '\0') {
		if (!f->optional)
			report(c, PROBLEM_ERROR, path, _("a value is required: %s"),
			       grammar_check(f->grammar, "", &why) ? "" : why);
		return;
	}
	if (grammar_check(f->grammar, s, &why))
		return;
	if (f->grammar == GR_CIDR || f->grammar == GR_CIDR4) {
		const char *detail = NULL;
		char fixed[NET_CIDRSTRLEN];
		int rc = net_cidr_parse(s, &net, &detail);

		if (rc == -2) {
			net_cidr_format(&net, fixed, sizeof fixed);
			report(c, PROBLEM_ERROR, path,
			       _("%s has host bits set after the prefix: did you mean %s?"), s, fixed);
			return;
		}
		if (rc == -1) {
			/* L10N: '%1$s' is the value, %2$s why it is wrong, %3$s what is valid. */
			report(c, PROBLEM_ERROR, path, _("'%s' is not valid: %s; %s"), s, _(detail),
			       why);
			return;
		}
	}
	report(c, PROBLEM_ERROR, path, _("'%s' is not valid: %s"), s, why);
}

static void check_uint(struct checker *c, const char *path, const struct plan_field *f,
		       unsigned v, bool zero_means_default)
{
	if (zero_means_default && v == 0)
		return;
	if (v < f->min || v > f->max)
		report(c, PROBLEM_ERROR, path, _("%u is out of range: use %u to %u"), v,
		       f->min > 0 || !zero_means_default ? f->min : 1, f->max);
}

static void check_table(struct checker *c, const char *prefix, const void *base,
			const struct plan_field *fields, bool is_host);

/* Endpoint j of m once its grammar is checked: each endpoint a table of its
 * own in hosts.toml (two with one API root would make the file invalid TOML,
 * and containerd would then ignore every mirror), and plain HTTP said to be
 * what it is. */
static void check_mirror_endpoint(struct checker *c, const char *epath,
				  const struct plan_mirror *m, size_t j)
{
	bool override = false;
	char *root = grammar_mirror_root(m->endpoints.v[j], &override);

	if (root == NULL)
		goto out;
	for (size_t k = 0; k < j; k++) {
		char *other = grammar_mirror_root(m->endpoints.v[k], &override);
		bool same = other != NULL && strcmp(other, root) == 0;

		free(other);
		if (same) {
			/* L10N: the first %s is a mirror URL of the plan, the second
			   the registry API address both stand for. */
			report(c, PROBLEM_ERROR, epath,
			       _("the same mirror as %s listed before it (both are the registry "
				 "API at %s): remove one"),
			       m->endpoints.v[k], root);
			break;
		}
	}
	if (strncmp(root, "http://", 7) == 0)
		report(c, PROBLEM_WARNING, epath, "%s",
		       _("plain HTTP: anyone on the way can change the images pulled by tag; "
			 "use https:// unless the mirror is on a network you trust"));
out:
	free(root);
}

static void check_mirrors(struct checker *c, const char *path)
{
	const struct plan_registries *r = &c->plan->registries;
	const struct plan_field url = { .key = "endpoint", .type = PT_STRING,
					.grammar = GR_MIRROR };
	const struct plan_field reg = { .key = "registry", .type = PT_STRING,
					.grammar = GR_REGISTRY };

	for (size_t i = 0; i < r->n_mirrors; i++) {
		const struct plan_mirror *m = &r->mirrors[i];
		char *mpath = plan_path_join(path, m->registry);

		check_string(c, mpath, &reg, m->registry);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(r->mirrors[j].registry, m->registry) == 0)
				report(c, PROBLEM_ERROR, mpath,
				       _("registry %s has mirrors listed twice"), m->registry);
		}
		if (m->endpoints.n == 0)
			report(c, PROBLEM_ERROR, mpath,
			       _("no endpoint for %s: list at least one mirror URL or remove it"),
			       m->registry);
		for (size_t j = 0; j < m->endpoints.n; j++) {
			char *epath = plan_path_index(mpath, j);

			check_string(c, epath, &url, m->endpoints.v[j]);
			check_mirror_endpoint(c, epath, m, j);
			free(epath);
		}
		free(mpath);
	}
}

static void check_field(struct checker *c, const char *path, const struct plan_field *f,
			const void *ptr, bool is_host)
{
	switch (f->type) {
	case PT_SECTION:
		check_table(c, path, ptr, f->fields, false);
		break;
	case PT_STRING:
		check_string(c, path, f, *(char *const *)ptr);
		break;
	case PT_UINT:
		check_uint(c, path, f, *(const unsigned *)ptr, is_host);
		break;
	case PT_STRLIST: {
		const struct strlist *l = ptr;
		struct plan_field item = *f;

		item.optional = false;
		for (size_t i = 0; i < l->n; i++) {
			char *ipath = plan_path_index(path, i);

			check_string(c, ipath, &item, l->v[i]);
			free(ipath);
		}
		break;
	}
	case PT_ROLES:
		if (*(const unsigned *)ptr == 0)
			report(c, PROBLEM_ERROR, path,
			       _("no role: give the host master, etcd and/or worker"));
		break;
	case PT_HOSTS:
		for (size_t i = 0; i < c->plan->n_hosts; i++) {
			char *hpath = plan_path_index(path, i);

			check_table(c, hpath, &c->plan->hosts[i], f->fields, true);
			free(hpath);
		}
		break;
	case PT_MIRRORS:
		check_mirrors(c, path);
		break;
	case PT_BOOL:
	case PT_ENUM:
		break;
	}
}

static void check_table(struct checker *c, const char *prefix, const void *base,
			const struct plan_field *fields, bool is_host)
{
	for (const struct plan_field *f = fields; f->key != NULL; f++) {
		char *path = plan_path_join(prefix, f->key);

		check_field(c, path, f, (const char *)base + f->offset, is_host);
		free(path);
	}
}

/* Parse the network values and host addresses once; grammar errors were
 * reported already. */
static void parse_values(struct checker *c)
{
	const struct plan *p = c->plan;
	const struct plan_network *n = &p->network;
	const char *why = NULL;

	c->service_ok = n->service_cidr && net_cidr_parse(n->service_cidr, &c->service, &why) == 0;
	c->pod_ok = n->pod_cidr && net_cidr_parse(n->pod_cidr, &c->pod, &why) == 0;
	c->dns_ok = n->cluster_dns && net_addr_parse(n->cluster_dns, &c->dns) == 0;
	c->nodelocal_ok = n->node_local_dns && net_addr_parse(n->node_local_dns, &c->nodelocal) == 0;
	c->vip_ok = n->apiserver_vip && net_addr_parse(n->apiserver_vip, &c->vip) == 0;
	if (p->n_hosts == 0)
		return;
	c->addrs = xcalloc(p->n_hosts, sizeof *c->addrs);
	c->addr_ok = xcalloc(p->n_hosts, sizeof *c->addr_ok);
	for (size_t i = 0; i < p->n_hosts; i++)
		c->addr_ok[i] = p->hosts[i].address != NULL &&
				net_addr_parse(p->hosts[i].address, &c->addrs[i]) == 0;
}

/* Order host indexes by name or by address, ties by index, so that in each
 * run of equal values the first is the one listed first in the plan. */
static int cmp_by_name(const void *a, const void *b, void *ctx)
{
	const struct checker *c = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int r = strcmp(c->plan->hosts[i].name, c->plan->hosts[j].name);

	return r != 0 ? r : (i > j) - (i < j);
}

static int cmp_by_addr(const void *a, const void *b, void *ctx)
{
	const struct checker *c = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int r = (int)c->addrs[i].family - (int)c->addrs[j].family;

	if (r == 0)
		r = memcmp(c->addrs[i].bytes, c->addrs[j].bytes, sizeof c->addrs[i].bytes);
	return r != 0 ? r : (i > j) - (i < j);
}

/* Report every host whose name or address an earlier host already has; sorting
 * keeps this O(n log n) for plans with thousands of workers. */
static void check_unique(struct checker *c, bool by_addr)
{
	const struct plan *p = c->plan;
	size_t *idx = xcalloc(p->n_hosts, sizeof *idx);
	size_t n = 0;
	char path[64];

	for (size_t i = 0; i < p->n_hosts; i++) {
		if (by_addr ? c->addr_ok[i] : p->hosts[i].name != NULL)
			idx[n++] = i;
	}
	qsort_r(idx, n, sizeof *idx, by_addr ? cmp_by_addr : cmp_by_name, c);
	for (size_t k = 1, first = 0; k < n; k++) {
		size_t a = idx[first], b = idx[k];
		const struct plan_host *h = &p->hosts[b];

		if (by_addr ? !net_addr_equal(&c->addrs[a], &c->addrs[b])
			    : strcmp(p->hosts[a].name, h->name) != 0) {
			first = k;
			continue;
		}
		if (by_addr) {
			xsnprintf(path, sizeof path, "hosts[%zu].address", b);
			report(c, PROBLEM_ERROR, path,
			       _("address %s is already used by hosts[%zu] (%s)"), h->address, a,
			       p->hosts[a].name != NULL ? p->hosts[a].name : "?");
		} else {
			xsnprintf(path, sizeof path, "hosts[%zu].name", b);
			report(c, PROBLEM_ERROR, path, _("host name %s is already used by hosts[%zu]"),
			       h->name, a);
		}
	}
	free(idx);
}

static const char *family_name(enum net_family f)
{
	return f == NET_IPV4 ? "IPv4" : "IPv6";
}

static void check_hosts(struct checker *c)
{
	const struct plan *p = c->plan;
	char buf[NET_CIDRSTRLEN];

	if (p->n_hosts == 0) {
		report(c, PROBLEM_ERROR, "hosts", _("no hosts: a plan needs at least one master"));
		return;
	}
	if (plan_count_role(p, ROLE_MASTER) == 0)
		report(c, PROBLEM_ERROR, "hosts",
		       _("no master: give at least one host the master role"));
	check_unique(c, false);
	check_unique(c, true);
	for (size_t i = 0; i < p->n_hosts; i++) {
		const struct plan_host *h = &p->hosts[i];
		char path[64];
		struct net_addr a;

		xsnprintf(path, sizeof path, "hosts[%zu].roles", i);
		if ((h->roles & ROLE_MASTER) && (h->roles & ROLE_WORKER))
			report(c, PROBLEM_ERROR, path,
			       _("a host is a master or a worker, not both: masters run the control "
				 "plane under a standalone kubelet"));
		if ((h->roles & ROLE_ETCD) && !(h->roles & ROLE_MASTER))
			report(c, PROBLEM_ERROR, path,
			       _("etcd runs as a static pod on masters: give this host the master "
				 "role too, or remove etcd"));
		xsnprintf(path, sizeof path, "hosts[%zu].address", i);
		if (!c->addr_ok[i])
			continue;
		a = c->addrs[i];
		if (c->service_ok && a.family != c->service.addr.family) {
			report(c, PROBLEM_ERROR, path,
			       _("%s is %s but serviceCIDR is %s: dual-stack plans are not supported"),
			       h->address, family_name(a.family), family_name(c->service.addr.family));
			continue;
		}
		if (c->service_ok && net_cidr_contains(&c->service, &a)) {
			net_cidr_format(&c->service, buf, sizeof buf);
			report(c, PROBLEM_ERROR, path,
			       _("%s lies inside serviceCIDR %s: hosts and Services need separate "
				 "ranges"), h->address, buf);
		}
		if (c->pod_ok && net_cidr_contains(&c->pod, &a)) {
			net_cidr_format(&c->pod, buf, sizeof buf);
			report(c, PROBLEM_ERROR, path,
			       _("%s lies inside podCIDR %s: hosts and pods need separate ranges"),
			       h->address, buf);
		}
	}
}

static void check_etcd(struct checker *c)
{
	size_t n = plan_count_role(c->plan, ROLE_ETCD);

	if (c->plan->n_hosts == 0)
		return;
	if (n == 0)
		report(c, PROBLEM_ERROR, "hosts",
		       _("no etcd member: give the etcd role to 1, 3 or 5 masters"));
	else if (n % 2 == 0)
		report(c, PROBLEM_ERROR, "hosts",
		       P_("%zu etcd member: an even number tolerates no more failures than one "
			  "fewer; use an odd number (3 or 5)",
			  "%zu etcd members: an even number tolerates no more failures than one "
			  "fewer; use an odd number (3 or 5)", n), n);
	else if (n == 1)
		report(c, PROBLEM_WARNING, "hosts",
		       _("a single etcd member: the cluster is lost with that host; use 3 for "
			 "production"));
	if (c->plan->etcd.client_port == c->plan->etcd.peer_port)
		report(c, PROBLEM_ERROR, "etcd.peerPort",
		       _("peerPort and clientPort are both %u: etcd needs two ports"),
		       c->plan->etcd.peer_port);
}

/* The VIP each way of reaching the apiservers needs, or does not use. A
 * VIP outside the masters' subnet cannot be told from the plan (it has no
 * prefix lengths): preflight's vip-subnet check asks the masters. */
static void check_endpoint(struct checker *c)
{
	const struct plan_network *n = &c->plan->network;

	if (n->apiserver_endpoint == ENDPOINT_LOCAL) {
		if (n->apiserver_vip != NULL)
			/* L10N: an IP address. */
			report(c, PROBLEM_WARNING, "network.apiserverVIP",
			       _("%s is not used with apiserverEndpoint: local (the workers reach "
				 "the apiservers through a proxy on 127.0.0.1, the masters their "
				 "own): clear it"), n->apiserver_vip);
		return;
	}
	if (n->apiserver_vip != NULL)
		return;
	if (n->apiserver_endpoint == ENDPOINT_EXTERNAL)
		report(c, PROBLEM_ERROR, "network.apiserverVIP",
		       _("no VIP: apiserverEndpoint external is your load balancer's address; "
			 "without one, choose local (a proxy on each worker) or keepalived (the "
			 "masters hold the VIP)"));
	else
		report(c, PROBLEM_ERROR, "network.apiserverVIP",
		       _("no VIP: keepalived needs a free address of the masters' network to "
			 "hold"));
}

/* Calico gives every node a block of the pod network, a /26 (IPv4) or a /122
 * (IPv6) by default, and a node without one runs no pods. Only workers are
 * nodes: the masters' kubelets are standalone. */
static void check_pod_blocks(struct checker *c, const char *pod)
{
	const size_t workers = plan_count_role(c->plan, ROLE_WORKER);
	const unsigned block = c->pod.addr.family == NET_IPV4 ? 26 : 122;
	const unsigned bits = c->pod.prefix <= block ? block - c->pod.prefix : 0;
	unsigned need = block;
	uint64_t blocks = 0;

	if (workers == 0 || !c->plan->addons.calico.enabled)
		return;
	if (c->pod.prefix <= block)
		blocks = bits >= 63 ? UINT64_MAX : UINT64_C(1) << bits;
	if (blocks >= workers)
		return;
	while (need > 0 && block - need < 63 && (UINT64_C(1) << (block - need)) < workers)
		need--;
	report(c, PROBLEM_ERROR, "network.podCIDR",
	       /* L10N: a network, its number of blocks, the block's prefix length, the
		  number of workers, the prefix length the network needs at most. */
	       P_("%s holds %ju blocks of /%u and Calico gives %zu worker one each: use a /%u or "
		  "larger",
		  "%s holds %ju blocks of /%u and Calico gives %zu workers one each: use a /%u or "
		  "larger",
		  workers),
	       pod, (uintmax_t)blocks, block, workers, need);
}

static void check_network(struct checker *c)
{
	const struct plan *p = c->plan;
	const struct plan_network *n = &p->network;
	char svc[NET_CIDRSTRLEN], pod[NET_CIDRSTRLEN], first[NET_ADDRSTRLEN];
	struct net_cidr link_local;
	struct net_addr a;
	const char *why = NULL;

	if (c->service_ok)
		net_cidr_format(&c->service, svc, sizeof svc);
	if (c->pod_ok)
		net_cidr_format(&c->pod, pod, sizeof pod);

	if (c->service_ok) {
		unsigned min = c->service.addr.family == NET_IPV4 ? 12 : 108;

		if (c->service.prefix < min)
			report(c, PROBLEM_ERROR, "network.serviceCIDR",
			       _("%s is too large: the apiserver accepts at most a /%u"), svc, min);
		else if (net_cidr_size(&c->service) < 8)
			report(c, PROBLEM_ERROR, "network.serviceCIDR",
			       _("%s is too small: Services need more than a handful of addresses"),
			       svc);
		/* Every Service takes one address; the cluster's own take several. */
		else if (net_cidr_size(&c->service) < 256)
			report(c, PROBLEM_WARNING, "network.serviceCIDR",
			       /* L10N: a network, its number of addresses, the prefix length to use. */
			       _("%s leaves room for %ju Services at most (each takes an address): "
				 "use a /%u or larger"),
			       svc, (uintmax_t)net_cidr_size(&c->service) - 2,
			       c->service.addr.family == NET_IPV4 ? 24u : 120u);
	}
	if (c->pod_ok)
		check_pod_blocks(c, pod);
	if (c->service_ok && c->pod_ok) {
		if (c->service.addr.family != c->pod.addr.family)
			report(c, PROBLEM_ERROR, "network.podCIDR",
			       _("podCIDR is %s but serviceCIDR is %s: dual-stack plans are not "
				 "supported"),
			       family_name(c->pod.addr.family), family_name(c->service.addr.family));
		else if (net_cidr_overlaps(&c->service, &c->pod))
			report(c, PROBLEM_ERROR, "network.podCIDR",
			       _("%s overlaps serviceCIDR %s: pods and Services need separate "
				 "ranges"), pod, svc);
	}
	if (c->service_ok && c->dns_ok) {
		if (!net_cidr_contains(&c->service, &c->dns)) {
			report(c, PROBLEM_ERROR, "network.clusterDNS",
			       _("%s is outside serviceCIDR %s"), n->cluster_dns, svc);
		} else if (net_cidr_nth(&c->service, 0, &a) == 0 && net_addr_equal(&a, &c->dns)) {
			report(c, PROBLEM_ERROR, "network.clusterDNS",
			       _("%s is the network address of serviceCIDR %s: use an address "
				 "inside it, like the second one"), n->cluster_dns, svc);
		} else if (net_cidr_nth(&c->service, 1, &a) == 0 && net_addr_equal(&a, &c->dns)) {
			net_cidr_nth(&c->service, 2, &a);
			net_addr_format(&a, first, sizeof first);
			report(c, PROBLEM_ERROR, "network.clusterDNS",
			       _("%s is the first address of serviceCIDR %s, which the kubernetes "
				 "Service takes: use another, like %s"), n->cluster_dns, svc, first);
		} else if (c->service.addr.family == NET_IPV4 &&
			   net_cidr_nth(&c->service, net_cidr_size(&c->service) - 1, &a) == 0 &&
			   net_addr_equal(&a, &c->dns)) {
			report(c, PROBLEM_ERROR, "network.clusterDNS",
			       _("%s is the broadcast address of serviceCIDR %s"), n->cluster_dns,
			       svc);
		}
	}
	if (c->nodelocal_ok) {
		net_cidr_parse("169.254.0.0/16", &link_local, &why);
		if (!net_cidr_contains(&link_local, &c->nodelocal))
			report(c, PROBLEM_ERROR, "network.nodeLocalDNS",
			       _("%s is not link-local: use an address in 169.254.0.0/16, like "
				 "169.254.20.10"), n->node_local_dns);
		else if ((c->service_ok && net_cidr_contains(&c->service, &c->nodelocal)) ||
			 (c->pod_ok && net_cidr_contains(&c->pod, &c->nodelocal)))
			report(c, PROBLEM_ERROR, "network.nodeLocalDNS",
			       _("%s lies inside serviceCIDR or podCIDR: it must be outside both"),
			       n->node_local_dns);
	}
	if (c->vip_ok && n->apiserver_endpoint != ENDPOINT_LOCAL) {
		size_t masters = plan_count_role(p, ROLE_MASTER);
		bool keepalived = n->apiserver_endpoint == ENDPOINT_KEEPALIVED;

		if (c->service_ok && c->vip.family != c->service.addr.family)
			report(c, PROBLEM_ERROR, "network.apiserverVIP",
			       _("%s is %s but serviceCIDR is %s: dual-stack plans are not supported"),
			       n->apiserver_vip, family_name(c->vip.family),
			       family_name(c->service.addr.family));
		else if ((c->service_ok && net_cidr_contains(&c->service, &c->vip)) ||
			 (c->pod_ok && net_cidr_contains(&c->pod, &c->vip)))
			report(c, PROBLEM_ERROR, "network.apiserverVIP",
			       _("%s lies inside serviceCIDR or podCIDR: the VIP must be reachable "
				 "from the hosts' network"), n->apiserver_vip);
		for (size_t i = 0; i < p->n_hosts; i++) {
			const struct plan_host *h = &p->hosts[i];

			if (!c->addr_ok[i] || !net_addr_equal(&c->addrs[i], &c->vip))
				continue;
			/* L10N: an IP address and a host name. */
			if (keepalived) {
				report(c, PROBLEM_ERROR, "network.apiserverVIP",
				       _("%s is the address of host %s: keepalived needs a free "
					 "address of the masters' network for the VIP"),
				       n->apiserver_vip, h->name != NULL ? h->name : "?");
			} else if (masters > 1 || !(h->roles & ROLE_MASTER)) {
				report(c, PROBLEM_ERROR, "network.apiserverVIP",
				       _("%s is the address of host %s: with several masters the VIP "
					 "is a load balancer's own address"), n->apiserver_vip,
				       h->name != NULL ? h->name : "?");
			}
		}
	}
	check_endpoint(c);
	if (c->pod_ok && c->pod.addr.family == NET_IPV6 && n->calico_ipip_mode != IPIP_NEVER)
		report(c, PROBLEM_ERROR, "network.calicoIPIPMode",
		       _("IP-in-IP carries only IPv4: use Never with an IPv6 podCIDR"));
}

/* The apiserver port where the endpoint listens besides the masters' own:
 * 127.0.0.1 of every worker (local), where the add-ons on the host network
 * listen too, and the SSH port of every host that serves it. */
static void check_endpoint_ports(struct checker *c)
{
	const struct plan *p = c->plan;
	const struct plan_addons *a = &p->addons;
	const unsigned api = p->network.apiserver_port;
	const bool local = p->network.apiserver_endpoint == ENDPOINT_LOCAL;
	const struct {
		bool on;
		unsigned port;
		const char *owner;
	} workers[] = {
		{ a->calico.enabled, 179, "calico-node (BGP)" },
		{ a->calico.enabled, 9099, "calico-node (health)" },
		{ a->nodelocaldns.enabled, 9253, "node-local-dns (metrics)" },
		{ a->metrics_server.enabled && a->metrics_server.host_network,
		  a->metrics_server.secure_port, "metrics-server" },
	};

	for (size_t i = 0; i < p->n_hosts; i++) {
		const struct plan_host *h = &p->hosts[i];
		unsigned ssh = h->port != 0 ? h->port : p->ssh.port;

		if (ssh != api || !((h->roles & ROLE_MASTER) || (local && (h->roles & ROLE_WORKER))))
			continue;
		/* L10N: a port and a host name. */
		report(c, PROBLEM_ERROR, "network.apiserverPort",
		       _("port %u is the SSH port of %s: the apiserver port cannot be there too"),
		       api, h->name != NULL ? h->name : "?");
		break;
	}
	if (!local || plan_count_role(p, ROLE_WORKER) == 0)
		return;
	for (size_t i = 0; i < sizeof workers / sizeof workers[0]; i++) {
		if (workers[i].on && workers[i].port == api)
			/* L10N: a port, what listens there (a program's name), the port again. */
			report(c, PROBLEM_ERROR, "network.apiserverPort",
			       _("port %u is taken by %s on every worker, where apiserverEndpoint "
				 "local listens on 127.0.0.1:%u"), api, workers[i].owner, api);
	}
}

/* One port used twice on the masters' host network. */
static void check_ports(struct checker *c)
{
	const struct plan *p = c->plan;
	const unsigned api = p->network.apiserver_port;
	const struct {
		unsigned port;
		const char *path;
	} ours[] = {
		{ p->network.apiserver_port, "network.apiserverPort" },
		{ p->etcd.client_port, "etcd.clientPort" },
		{ p->etcd.peer_port, "etcd.peerPort" },
		{ p->addons.metrics_server.enabled && p->addons.metrics_server.host_network
			  ? p->addons.metrics_server.secure_port
			  : 0,
		  "addons.metricsServer.securePort" },
	};

	for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
		if (ours[i].port == 0)
			continue;
		for (size_t j = 0; j < sizeof reserved_ports / sizeof reserved_ports[0]; j++) {
			if (ours[i].port == reserved_ports[j].port)
				report(c, PROBLEM_ERROR, ours[i].path,
				       _("port %u is taken by the %s on every node"), ours[i].port,
				       reserved_ports[j].owner);
		}
	}
	if (api == p->etcd.client_port || api == p->etcd.peer_port)
		report(c, PROBLEM_ERROR, "network.apiserverPort",
		       _("port %u is also an etcd port on the masters"), api);
	check_endpoint_ports(c);
}

/* The ports a NodePort range covers, each named once. */
struct port_list {
	unsigned low, high;
	struct {
		unsigned port;
		const char *owner;
	} v[64];
	size_t n;
};

static void covered(struct port_list *l, unsigned port, const char *owner)
{
	if (port < l->low || port > l->high || l->n == sizeof l->v / sizeof l->v[0])
		return;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].port == port)
			return;
	}
	l->v[l->n].port = port;
	l->v[l->n++].owner = owner;
}

static int cmp_ports(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

/* "22 (SSH), 10250 (kubelet)", in port order. The caller frees it. */
static char *port_list_text(struct port_list *l)
{
	struct strbuf text = { 0 };

	/* The port is each entry's first member. */
	qsort(l->v, l->n, sizeof l->v[0], cmp_ports);
	for (size_t i = 0; i < l->n; i++)
		strbuf_addf(&text, "%s%u (%s)", i > 0 ? ", " : "", l->v[i].port, l->v[i].owner);
	return strbuf_detach(&text, NULL);
}

/* kube-proxy opens a NodePort on every node: the range must leave alone the
 * ports the nodes themselves serve, or a Service could take SSH or the
 * kubelet (in ipvs mode, where the NodePort wins). The plan's own SSH ports
 * are a warning: sshd may listen on another interface than kube-proxy's. */
static void check_node_ports(struct checker *c)
{
	const struct plan *p = c->plan;
	struct port_list nodes = { 0 }, ssh = { 0 };
	char *text = NULL;

	if (p->network.service_node_port_range == NULL ||
	    grammar_parse_port_range(p->network.service_node_port_range, &nodes.low,
				     &nodes.high) < 0)
		return; /* the schema pass said so */
	ssh.low = nodes.low;
	ssh.high = nodes.high;
	covered(&nodes, 22, "SSH");
	covered(&nodes, p->network.apiserver_port, "kube-apiserver");
	covered(&nodes, p->etcd.client_port, "etcd");
	covered(&nodes, p->etcd.peer_port, "etcd peers");
	if (p->addons.metrics_server.enabled && p->addons.metrics_server.host_network)
		covered(&nodes, p->addons.metrics_server.secure_port, "metrics-server");
	for (size_t j = 0; j < sizeof reserved_ports / sizeof reserved_ports[0]; j++)
		covered(&nodes, reserved_ports[j].port, reserved_ports[j].owner);
	if (p->ssh.port != 22)
		covered(&ssh, p->ssh.port, "SSH");
	for (size_t i = 0; i < p->n_hosts; i++) {
		if (p->hosts[i].port != 22)
			covered(&ssh, p->hosts[i].port, "SSH");
	}
	if (nodes.n > 0) {
		text = port_list_text(&nodes);
		report(c, PROBLEM_ERROR, "network.serviceNodePortRange",
		       /* L10N: a port range and a list of "PORT (WHAT)" it covers. */
		       _("%s covers %s: a NodePort Service could take them on every node; use a "
			 "range clear of them, like 30000-32767"),
		       p->network.service_node_port_range, text);
		xfree(&text);
	}
	if (ssh.n > 0) {
		text = port_list_text(&ssh);
		report(c, PROBLEM_WARNING, "network.serviceNodePortRange",
		       /* L10N: a port range and a list of "PORT (SSH)" it covers. */
		       _("%s covers the hosts' SSH port %s: a NodePort Service could take it "
			 "where sshd listens on the nodes' address"),
		       p->network.service_node_port_range, text);
		xfree(&text);
	}
}

static void check_pki(struct checker *c)
{
	const struct plan_pki *k = &c->plan->pki;
	const struct {
		unsigned size;
		const char *path;
	} sizes[] = { { k->ca_key_size, "pki.caKeySize" }, { k->leaf_key_size, "pki.leafKeySize" } };

	for (size_t i = 0; i < 2; i++) {
		unsigned s = sizes[i].size;

		if (k->algorithm == KEY_RSA && s != 2048 && s != 3072 && s != 4096)
			report(c, PROBLEM_ERROR, sizes[i].path,
			       _("%u is not an RSA key size: use 2048, 3072 or 4096"), s);
		if (k->algorithm == KEY_ECDSA && s != 256 && s != 384)
			report(c, PROBLEM_ERROR, sizes[i].path,
			       _("%u is not an ECDSA curve size: use 256 (P-256) or 384 (P-384)"), s);
	}
	if (k->leaf_validity_days > k->ca_validity_days)
		report(c, PROBLEM_WARNING, "pki.leafValidityDays",
		       _("certificates would outlive their CA (%u > %u days): they stop "
			 "verifying when the CA expires"), k->leaf_validity_days, k->ca_validity_days);
}

static void check_ssh(struct checker *c)
{
	const struct plan *p = c->plan;

	for (size_t i = 0; i < p->n_hosts; i++) {
		const char *user = p->hosts[i].user != NULL ? p->hosts[i].user : p->ssh.user;

		if (user != NULL && strcmp(user, "root") != 0 && !p->ssh.sudo) {
			char path[64];

			if (p->hosts[i].user != NULL)
				xsnprintf(path, sizeof path, "hosts[%zu].user", i);
			else
				xsnprintf(path, sizeof path, "ssh.sudo");
			report(c, PROBLEM_ERROR, path,
			       _("%s is not root and ssh.sudo is false: installing needs root; set "
				 "ssh.sudo: true or log in as root"), user);
			return;
		}
	}
}

static void check_binaries(struct checker *c)
{
	const struct plan_binaries *b = &c->plan->binaries;

	if (b->source == BINARIES_BUNDLE && b->bundle_dir == NULL)
		report(c, PROBLEM_ERROR, "binaries.bundleDir",
		       _("source is bundle but no bundleDir is set: name the directory holding "
			 "the binaries, or use source: mirror"));
	if (b->source == BINARIES_MIRROR && b->mirror_url == NULL)
		report(c, PROBLEM_ERROR, "binaries.mirrorURL",
		       _("source is mirror but no mirrorURL is set"));
}

static void check_version(struct checker *c)
{
	const char *v = c->plan->versions.kubernetes;

	if (v != NULL && strncmp(v, "v1.29.", 6) != 0 && strncmp(v, "1.29.", 5) != 0)
		report(c, PROBLEM_WARNING, "versions.kubernetes",
		       _("%s: the files this version renders are written for Kubernetes 1.29"), v);
}

/* Workers whose serving certificates kubelet-csr-approver would refuse. */
static void check_csr_approver(struct checker *c)
{
	const struct plan *p = c->plan;
	const struct plan_addon_csr_approver *a = &p->addons.csr_approver;
	struct net_cidr *prefixes = NULL;
	size_t n_prefixes = 0;
	regex_t re;
	bool have_re = false;

	if (!a->enabled)
		return;
	if (a->provider_ip_prefixes.n > 0)
		prefixes = xcalloc(a->provider_ip_prefixes.n, sizeof *prefixes);
	for (size_t j = 0; j < a->provider_ip_prefixes.n; j++) {
		const char *why = NULL;

		if (net_cidr_parse(a->provider_ip_prefixes.v[j], &prefixes[n_prefixes], &why) == 0)
			n_prefixes++;
	}
	if (a->provider_ip_prefixes.n == 0)
		report(c, PROBLEM_ERROR, "addons.csrApprover.providerIPPrefixes",
		       _("no prefix: list the networks of the workers' addresses"));
	have_re = a->provider_regex != NULL &&
		  grammar_check(GR_REGEX, a->provider_regex, NULL) &&
		  regcomp(&re, a->provider_regex, REG_EXTENDED | REG_NOSUB) == 0;
	for (size_t i = 0; i < p->n_hosts; i++) {
		const struct plan_host *h = &p->hosts[i];
		bool inside = false;

		if (!(h->roles & ROLE_WORKER) || h->name == NULL)
			continue;
		if (have_re && regexec(&re, h->name, 0, NULL, 0) != 0)
			report(c, PROBLEM_WARNING, "addons.csrApprover.providerRegex",
			       _("worker %s does not match %s: its serving certificate will not be "
				 "approved"), h->name, a->provider_regex);
		if (!c->addr_ok[i])
			continue;
		for (size_t j = 0; j < n_prefixes && !inside; j++)
			inside = net_cidr_contains(&prefixes[j], &c->addrs[i]);
		if (!inside && a->provider_ip_prefixes.n > 0)
			report(c, PROBLEM_WARNING, "addons.csrApprover.providerIPPrefixes",
			       _("worker %s (%s) is outside every prefix: its serving certificate "
				 "will not be approved"), h->name, h->address);
	}
	if (have_re)
		regfree(&re);
	free(prefixes);
}

static void check_addons(struct checker *c)
{
	const struct plan *p = c->plan;
	const struct plan_addons *a = &p->addons;
	const struct {
		bool enabled;
		const char *path;
		const char *name;
	} needs_workers[] = {
		{ a->calico.enabled, "addons.calico.enabled", "calico" },
		{ a->coredns.enabled, "addons.coredns.enabled", "coredns" },
		{ a->nodelocaldns.enabled, "addons.nodelocaldns.enabled", "nodelocaldns" },
		{ a->csr_approver.enabled, "addons.csrApprover.enabled", "csrApprover" },
		{ a->metrics_server.enabled, "addons.metricsServer.enabled", "metricsServer" },
	};

	if (p->n_hosts > 0 && plan_count_role(p, ROLE_WORKER) == 0) {
		for (size_t i = 0; i < sizeof needs_workers / sizeof needs_workers[0]; i++) {
			if (needs_workers[i].enabled)
				report(c, PROBLEM_ERROR, needs_workers[i].path,
				       _("%s runs on workers and this plan has none: add a worker or "
					 "set enabled: false"), needs_workers[i].name);
		}
	}
	if (a->nodelocaldns.enabled && !a->coredns.enabled)
		report(c, PROBLEM_ERROR, "addons.nodelocaldns.enabled",
		       _("the node-local DNS cache forwards to CoreDNS: enable coredns too"));
	if (a->metrics_server.enabled && !a->metrics_server.host_network)
		report(c, PROBLEM_WARNING, "addons.metricsServer.hostNetwork",
		       _("the apiservers run without a pod network and cannot reach metrics-server "
			 "on a pod address: set hostNetwork: true"));
	if (a->metrics_server.enabled && !a->csr_approver.enabled &&
	    !a->metrics_server.kubelet_insecure_tls)
		report(c, PROBLEM_WARNING, "addons.metricsServer.kubeletInsecureTLS",
		       _("without the CSR approver kubelets have no approved serving certificate "
			 "and metrics-server cannot verify them: enable csrApprover or set "
			 "kubeletInsecureTLS: true"));
	check_csr_approver(c);
}

static void locate(const struct plan *p, struct problems *out, size_t from)
{
	for (size_t i = from; i < out->n; i++) {
		struct problem *pr = &out->v[i];

		if (pr->line == 0)
			plan_mark_find(p, pr->path, &pr->line, &pr->column);
	}
}

size_t plancheck_run(const struct plan *p, struct problems *out)
{
	struct checker c = { .plan = p, .out = out };
	size_t from = out->n;
	size_t errors = 0;

	check_table(&c, "", p, plan_schema(), false);
	parse_values(&c);
	check_hosts(&c);
	check_etcd(&c);
	check_network(&c);
	check_ports(&c);
	check_node_ports(&c);
	check_pki(&c);
	check_ssh(&c);
	check_binaries(&c);
	check_version(&c);
	check_addons(&c);
	free(c.addrs);
	free(c.addr_ok);
	locate(p, out, from);
	for (size_t i = from; i < out->n; i++)
		errors += out->v[i].severity == PROBLEM_ERROR;
	return errors;
}
