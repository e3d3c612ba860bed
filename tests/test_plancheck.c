/* Unit tests of src/plancheck.c: the default plan is valid, and each rule,
 * alone, turns a valid plan into one with exactly the expected problem. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"
#include "plancheck.h"
#include "planfile.h"
#include "xmalloc.h"

static void set(char **slot, const char *v)
{
	plan_set_string(slot, v);
}

static void host_roles(struct plan *p, size_t i, unsigned roles)
{
	p->hosts[i].roles = roles;
}

/* Remove workers: hosts 3 and 4 of the default plan. */
static void no_workers(struct plan *p)
{
	plan_remove_host(p, 4);
	plan_remove_host(p, 3);
}

static void disable_worker_addons(struct plan *p)
{
	p->addons.calico.enabled = false;
	p->addons.coredns.enabled = false;
	p->addons.nodelocaldns.enabled = false;
	p->addons.csr_approver.enabled = false;
	p->addons.metrics_server.enabled = false;
}

/* Each mutation of the default plan and the one problem it must cause. */
struct rule {
	const char *name;
	void (*mutate)(struct plan *p);
	enum problem_severity sev;
	const char *path;
	const char *want; /* substring of the message */
};

#define MUT(fn, body) static void fn(struct plan *p) { body; }

MUT(bad_name, set(&p->name, "m1;reboot"))
MUT(bad_host_name, set(&p->hosts[0].name, "m1;reboot"))
MUT(upper_host_name, set(&p->hosts[1].name, "Master2"))
MUT(empty_host_name, set(&p->hosts[1].name, NULL))
MUT(dup_host_name, set(&p->hosts[4].name, "node1"))
MUT(bad_address, set(&p->hosts[0].address, "10.1.1"))
MUT(dup_address, set(&p->hosts[4].address, "10.1.1.4"))
MUT(dup_address_v6_spelling, { set(&p->network.service_cidr, "fd00:10::/108");
	set(&p->network.pod_cidr, "fd00:20::/64"); set(&p->network.cluster_dns, "fd00:10::a");
	set(&p->network.apiserver_vip, "fd00::10"); p->network.calico_ipip_mode = IPIP_NEVER;
	for (size_t i = 0; i < p->n_hosts; i++) { char a[32];
		snprintf(a, sizeof a, "fd00::%zu", i + 1); set(&p->hosts[i].address, a); }
	set(&p->hosts[4].address, "fd00:0::4");
	strlist_clear(&p->addons.csr_approver.provider_ip_prefixes);
	strlist_add(&p->addons.csr_approver.provider_ip_prefixes, "fd00::/64"); })
MUT(no_master, { host_roles(p, 0, ROLE_WORKER); host_roles(p, 1, ROLE_WORKER);
	host_roles(p, 2, ROLE_WORKER); })
MUT(no_roles, host_roles(p, 3, 0))
MUT(master_and_worker, host_roles(p, 3, ROLE_MASTER | ROLE_WORKER))
MUT(etcd_without_master, { host_roles(p, 2, ROLE_MASTER); host_roles(p, 3, ROLE_ETCD | ROLE_WORKER); })
MUT(even_etcd, host_roles(p, 2, ROLE_MASTER))
MUT(single_etcd, { host_roles(p, 1, ROLE_MASTER); host_roles(p, 2, ROLE_MASTER); })
MUT(no_etcd, { host_roles(p, 0, ROLE_MASTER); host_roles(p, 1, ROLE_MASTER);
	host_roles(p, 2, ROLE_MASTER); })
MUT(no_hosts, { while (p->n_hosts) plan_remove_host(p, 0); })
MUT(workers_zero_addons_on, no_workers(p))
MUT(bad_port, p->ssh.port = 70000)
MUT(zero_ssh_port, p->ssh.port = 0)
MUT(host_port_out_of_range, p->hosts[0].port = 65536)
MUT(bad_service_cidr, set(&p->network.service_cidr, "192.168.0.0/33"))
MUT(host_bits_service_cidr, set(&p->network.service_cidr, "192.168.1.0/16"))
MUT(overlap_pod_service, set(&p->network.pod_cidr, "192.168.128.0/17"))
MUT(overlap_service_pod_larger, { set(&p->network.service_cidr, "172.18.0.0/24");
	set(&p->network.cluster_dns, "172.18.0.2"); })
MUT(service_too_large, { set(&p->network.service_cidr, "192.0.0.0/8");
	set(&p->network.cluster_dns, "192.0.0.2"); set(&p->network.pod_cidr, "172.18.0.0/16"); })
MUT(host_in_pod_cidr, set(&p->network.pod_cidr, "10.1.0.0/16"))
MUT(host_in_service_cidr, { set(&p->network.service_cidr, "10.1.0.0/16");
	set(&p->network.cluster_dns, "10.1.0.2"); set(&p->network.apiserver_vip, "10.2.0.10");
	strlist_clear(&p->addons.csr_approver.provider_ip_prefixes);
	strlist_add(&p->addons.csr_approver.provider_ip_prefixes, "10.1.1.0/24"); })
MUT(dns_outside, set(&p->network.cluster_dns, "10.0.0.10"))
MUT(dns_first, set(&p->network.cluster_dns, "192.168.0.1"))
MUT(dns_network, set(&p->network.cluster_dns, "192.168.0.0"))
MUT(dns_broadcast, set(&p->network.cluster_dns, "192.168.255.255"))
MUT(nodelocal_not_link_local, set(&p->network.node_local_dns, "10.96.0.10"))
MUT(nodelocal_v6, set(&p->network.node_local_dns, "fe80::a"))
MUT(nodelocal_in_pod, { set(&p->network.pod_cidr, "169.254.0.0/16"); })
MUT(vip_is_master, set(&p->network.apiserver_vip, "10.1.1.1"))
MUT(vip_single_master_ok, { host_roles(p, 1, ROLE_WORKER); host_roles(p, 2, ROLE_WORKER);
	set(&p->network.apiserver_vip, "10.1.1.1"); set(&p->hosts[1].name, "node3");
	set(&p->hosts[2].name, "node4"); })
MUT(vip_in_service, set(&p->network.apiserver_vip, "192.168.0.10"))
MUT(external_no_vip, set(&p->network.apiserver_vip, NULL))
MUT(keepalived_no_vip, { p->network.apiserver_endpoint = ENDPOINT_KEEPALIVED;
	set(&p->network.apiserver_vip, NULL); })
MUT(keepalived_ok, p->network.apiserver_endpoint = ENDPOINT_KEEPALIVED)
MUT(keepalived_vip_single_master, { host_roles(p, 1, ROLE_WORKER);
	host_roles(p, 2, ROLE_WORKER); set(&p->hosts[1].name, "node3");
	set(&p->hosts[2].name, "node4"); p->network.apiserver_endpoint = ENDPOINT_KEEPALIVED;
	set(&p->network.apiserver_vip, "10.1.1.1"); })
MUT(keepalived_vip_in_pod, { p->network.apiserver_endpoint = ENDPOINT_KEEPALIVED;
	set(&p->network.apiserver_vip, "172.18.0.10"); })
MUT(local_vip_unused, p->network.apiserver_endpoint = ENDPOINT_LOCAL)
MUT(local_no_vip_ok, { p->network.apiserver_endpoint = ENDPOINT_LOCAL;
	set(&p->network.apiserver_vip, NULL); })
MUT(local_vip_not_judged, { p->network.apiserver_endpoint = ENDPOINT_LOCAL;
	set(&p->network.apiserver_vip, "192.168.0.10"); })
MUT(api_port_ssh, p->network.apiserver_port = 22)
MUT(api_port_host_ssh, { p->hosts[1].port = 2222; p->network.apiserver_port = 2222; })
MUT(worker_ssh_port_external_ok, { p->hosts[3].port = 7443; })
MUT(worker_ssh_port_local, { p->network.apiserver_endpoint = ENDPOINT_LOCAL;
	set(&p->network.apiserver_vip, NULL); p->hosts[3].port = 7443; })
MUT(local_port_metrics, { p->network.apiserver_endpoint = ENDPOINT_LOCAL;
	set(&p->network.apiserver_vip, NULL); p->network.apiserver_port = 10251; })
MUT(external_port_metrics_ok, p->network.apiserver_port = 10251)
MUT(local_port_bgp, { p->network.apiserver_endpoint = ENDPOINT_LOCAL;
	set(&p->network.apiserver_vip, NULL); p->network.apiserver_port = 179; })
MUT(local_port_bgp_no_calico_ok, { p->network.apiserver_endpoint = ENDPOINT_LOCAL;
	set(&p->network.apiserver_vip, NULL); p->network.apiserver_port = 179;
	p->addons.calico.enabled = false; })
MUT(vip_family, set(&p->network.apiserver_vip, "fd00::10"))
MUT(pod_family, set(&p->network.pod_cidr, "fd00:20::/64"))
MUT(ipip_v6, { set(&p->network.service_cidr, "fd00:10::/108");
	set(&p->network.pod_cidr, "fd00:20::/64"); set(&p->network.cluster_dns, "fd00:10::a");
	set(&p->network.apiserver_vip, "fd00::10");
	for (size_t i = 0; i < p->n_hosts; i++) { char a[32];
		snprintf(a, sizeof a, "fd00::%zu", i + 1); set(&p->hosts[i].address, a); }
	strlist_clear(&p->addons.csr_approver.provider_ip_prefixes);
	strlist_add(&p->addons.csr_approver.provider_ip_prefixes, "fd00::/64"); })
MUT(bad_domain, set(&p->network.cluster_domain, "cluster_local"))
MUT(api_port_kubelet, p->network.apiserver_port = 10250)
MUT(api_port_etcd, p->network.apiserver_port = 4001)
MUT(etcd_ports_same, p->etcd.peer_port = 4001)
MUT(metrics_port_kubelet, p->addons.metrics_server.secure_port = 10250)
MUT(nodeports_guide, set(&p->network.service_node_port_range, "1-65535"))
MUT(nodeports_kubelet, set(&p->network.service_node_port_range, "10000-11000"))
MUT(nodeports_kube_proxy, set(&p->network.service_node_port_range, "10256-10256"))
MUT(nodeports_apiserver, set(&p->network.service_node_port_range, "7000-7999"))
MUT(nodeports_etcd, set(&p->network.service_node_port_range, "2000-4999"))
MUT(nodeports_host_ssh, { p->hosts[3].port = 30022; })
MUT(nodeports_grammar, set(&p->network.service_node_port_range, "30000:32767"))
MUT(nodeports_order, set(&p->network.service_node_port_range, "32767-30000"))
MUT(nodeports_elsewhere_ok, set(&p->network.service_node_port_range, "40000-40999"))
MUT(bad_mirror_url, set(&p->registries.mirrors[0].endpoints.v[0], "ftp://mirror"))
MUT(mirror_dotdot, set(&p->registries.mirrors[0].endpoints.v[0], "https://m.example.com/a/../b"))
MUT(mirror_empty_part, set(&p->registries.mirrors[0].endpoints.v[0], "https://m.example.com//b"))
MUT(mirror_percent, set(&p->registries.mirrors[0].endpoints.v[0], "https://m.example.com/docker%2Eio"))
MUT(mirror_same_root, set(&p->registries.mirrors[0].endpoints.v[0],
	"https://docker.m.daocloud.io/"))
MUT(mirror_plain_http, set(&p->registries.mirrors[1].endpoints.v[0], "http://10.1.1.9:5000"))
MUT(mirror_forms_ok, { set(&p->registries.mirrors[0].endpoints.v[0], "https://m.example.com:8443/");
	set(&p->registries.mirrors[1].endpoints.v[0], "https://m.example.com/v2/quay.io"); })
MUT(mirror_no_endpoints, strlist_clear(&p->registries.mirrors[1].endpoints))
MUT(bad_mirror_registry, { free(p->registries.mirrors[1].registry);
	p->registries.mirrors[1].registry = xstrdup("quay.io/x"); })
MUT(dup_mirror_registry, { free(p->registries.mirrors[1].registry);
	p->registries.mirrors[1].registry = xstrdup("docker.io"); })
MUT(bad_image, set(&p->registries.etcd_image, "quay.io/coreos/etcd"))
MUT(bad_sandbox_image, set(&p->registries.sandbox_image, "pause:3.1;id"))
MUT(bad_repo, set(&p->registries.image_repository, "Registry.example/x"))
MUT(bad_bastion, set(&p->ssh.bastion, "ops@jump:0"))
MUT(good_bastion, set(&p->ssh.bastion, "ops@10.0.0.1:2222"))
MUT(bad_identity, set(&p->ssh.identity_file, "~/.ssh/id rsa"))
MUT(bad_user, set(&p->ssh.user, "Root"))
MUT(non_root_without_sudo, set(&p->ssh.user, "ops"))
MUT(non_root_host_user, set(&p->hosts[2].user, "ops"))
MUT(non_root_with_sudo, { set(&p->ssh.user, "ops"); p->ssh.sudo = true; })
MUT(bad_version, set(&p->versions.kubernetes, "1.29"))
MUT(other_version, set(&p->versions.kubernetes, "v1.30.2"))
MUT(bad_data_dir, set(&p->etcd.data_dir, "data/etcd"))
MUT(bad_token, set(&p->etcd.cluster_token, "a b"))
MUT(bundle_missing, set(&p->binaries.bundle_dir, NULL))
MUT(mirror_url_missing, p->binaries.source = BINARIES_MIRROR)
MUT(bad_mirror_source_url, { p->binaries.source = BINARIES_MIRROR;
	set(&p->binaries.mirror_url, "https://x/a b"); })
MUT(rsa_size, p->pki.ca_key_size = 1024)
MUT(ecdsa_size, { p->pki.algorithm = KEY_ECDSA; p->pki.ca_key_size = 256; })
MUT(leaf_outlives_ca, p->pki.leaf_validity_days = 36525)
MUT(bad_country, set(&p->pki.subject.country, "China"))
MUT(bad_org, set(&p->pki.subject.organization, "Acme, Inc"))
MUT(validity_zero, p->pki.ca_validity_days = 0)
MUT(token_hours_zero, p->pki.bootstrap_token_hours = 0)
MUT(token_hours_year, p->pki.bootstrap_token_hours = 8761)
MUT(nodelocal_without_coredns, p->addons.coredns.enabled = false)
MUT(metrics_no_host_network, p->addons.metrics_server.host_network = false)
MUT(metrics_unverifiable, p->addons.csr_approver.enabled = false)
MUT(metrics_insecure_ok, { p->addons.csr_approver.enabled = false;
	p->addons.metrics_server.kubelet_insecure_tls = true; })
MUT(csr_regex_bad, set(&p->addons.csr_approver.provider_regex, "^node[0-9+$"))
MUT(csr_regex_miss, set(&p->hosts[4].name, "worker2"))
MUT(csr_prefix_miss, { strlist_clear(&p->addons.csr_approver.provider_ip_prefixes);
	strlist_add(&p->addons.csr_approver.provider_ip_prefixes, "10.1.2.0/24"); })
MUT(csr_prefix_empty, strlist_clear(&p->addons.csr_approver.provider_ip_prefixes))
MUT(csr_prefix_bad, { strlist_clear(&p->addons.csr_approver.provider_ip_prefixes);
	strlist_add(&p->addons.csr_approver.provider_ip_prefixes, "10.1.1.1/24"); })
MUT(ntp_bad, { strlist_add(&p->network.ntp_servers, "ntp.aliyun.com");
	strlist_add(&p->network.ntp_servers, "$(reboot)"); })
MUT(ntp_ok, { strlist_add(&p->network.ntp_servers, "ntp.aliyun.com");
	strlist_add(&p->network.ntp_servers, "10.9.9.9");
	strlist_add(&p->network.ntp_servers, "fd00::123"); })
MUT(masters_only, { no_workers(p); disable_worker_addons(p); })
MUT(loopback_lab, { for (size_t i = 0; i < p->n_hosts; i++) { char a[32];
		snprintf(a, sizeof a, "127.0.0.%zu", 11 + i); set(&p->hosts[i].address, a); }
	set(&p->network.apiserver_vip, "127.0.0.10");
	strlist_clear(&p->addons.csr_approver.provider_ip_prefixes);
	strlist_add(&p->addons.csr_approver.provider_ip_prefixes, "127.0.0.0/8"); })

/* n more workers, node3..., at 10.2.x.y (inside the CSR prefixes: widened). */
static void add_workers(struct plan *p, size_t n)
{
	strlist_add(&p->addons.csr_approver.provider_ip_prefixes, "10.2.0.0/16");
	for (size_t i = 0; i < n; i++) {
		struct plan_host *h = plan_add_host(p, NULL);
		char s[32];

		snprintf(s, sizeof s, "node%zu", i + 3);
		set(&h->name, s);
		snprintf(s, sizeof s, "10.2.%zu.%zu", i / 250, i % 250 + 1);
		set(&h->address, s);
		h->roles = ROLE_WORKER;
	}
}

MUT(pod_blocks_two_workers, set(&p->network.pod_cidr, "172.18.0.0/26"))
MUT(pod_blocks_1003_workers, { set(&p->network.pod_cidr, "172.18.0.0/24"); add_workers(p, 1001); })
MUT(pod_blocks_v6, { ipip_v6(p); set(&p->network.pod_cidr, "fd00:20::/122"); })
MUT(pod_blocks_fit, set(&p->network.pod_cidr, "172.18.0.0/25"))
MUT(pod_blocks_1003_fit, { set(&p->network.pod_cidr, "172.18.0.0/16"); add_workers(p, 1001); })
MUT(pod_blocks_no_calico, { set(&p->network.pod_cidr, "172.18.0.0/26");
	p->addons.calico.enabled = false; })
MUT(service_tiny, { set(&p->network.service_cidr, "192.168.0.0/29");
	set(&p->network.cluster_dns, "192.168.0.2"); })
MUT(service_too_small, { set(&p->network.service_cidr, "192.168.0.0/30");
	set(&p->network.cluster_dns, "192.168.0.2"); })
MUT(host_family, set(&p->hosts[4].address, "fd00::5"))
MUT(service_256, { set(&p->network.service_cidr, "192.168.0.0/24");
	set(&p->network.cluster_dns, "192.168.0.2"); })

static const struct rule rules[] = {
	{ "pod network: a Calico block per worker", pod_blocks_two_workers, PROBLEM_ERROR,
	  "network.podCIDR", "172.18.0.0/26 holds 1 blocks of /26 and Calico gives 2 workers "
	  "one each: use a /25 or larger" },
	{ "pod network: 1,003 workers", pod_blocks_1003_workers, PROBLEM_ERROR, "network.podCIDR",
	  "holds 4 blocks of /26 and Calico gives 1003 workers one each: use a /16 or larger" },
	{ "pod network: IPv6 blocks", pod_blocks_v6, PROBLEM_ERROR, "network.podCIDR",
	  "holds 1 blocks of /122 and Calico gives 2 workers one each: use a /121" },
	{ "service network: a handful", service_too_small, PROBLEM_ERROR, "network.serviceCIDR",
	  "192.168.0.0/30 is too small" },
	{ "host family", host_family, PROBLEM_ERROR, "hosts[4].address",
	  "fd00::5 is IPv6 but serviceCIDR is IPv4: dual-stack" },
	{ "service network: room", service_tiny, PROBLEM_WARNING, "network.serviceCIDR",
	  "192.168.0.0/29 leaves room for 6 Services at most (each takes an address): use a /24" },
	{ "cluster name grammar", bad_name, PROBLEM_ERROR, "name", "is not valid" },
	{ "host name grammar", bad_host_name, PROBLEM_ERROR, "hosts[0].name", "RFC 1123" },
	{ "host name lowercase", upper_host_name, PROBLEM_ERROR, "hosts[1].name", "lowercase" },
	{ "host name required", empty_host_name, PROBLEM_ERROR, "hosts[1].name", "required" },
	{ "host names unique", dup_host_name, PROBLEM_ERROR, "hosts[4].name", "already used" },
	{ "address parses", bad_address, PROBLEM_ERROR, "hosts[0].address", "IPv4 address" },
	{ "addresses unique", dup_address, PROBLEM_ERROR, "hosts[4].address", "already used" },
	{ "addresses unique across spellings", dup_address_v6_spelling, PROBLEM_ERROR,
	  "hosts[4].address", "already used by hosts[3]" },
	{ "at least one master", no_master, PROBLEM_ERROR, "hosts", "no master" },
	{ "roles required", no_roles, PROBLEM_ERROR, "hosts[3].roles", "no role" },
	{ "master or worker", master_and_worker, PROBLEM_ERROR, "hosts[3].roles", "not both" },
	{ "etcd on masters", etcd_without_master, PROBLEM_ERROR, "hosts[3].roles", "static pod" },
	{ "etcd odd", even_etcd, PROBLEM_ERROR, "hosts", "2 etcd members" },
	{ "etcd single warns", single_etcd, PROBLEM_WARNING, "hosts", "single etcd member" },
	{ "etcd required", no_etcd, PROBLEM_ERROR, "hosts", "no etcd member" },
	{ "hosts required", no_hosts, PROBLEM_ERROR, "hosts", "no hosts" },
	{ "worker add-ons flagged", workers_zero_addons_on, PROBLEM_ERROR,
	  "addons.calico.enabled", "has none" },
	{ "port range", bad_port, PROBLEM_ERROR, "ssh.port", "use 1 to 65535" },
	{ "port zero", zero_ssh_port, PROBLEM_ERROR, "ssh.port", "out of range" },
	{ "host port range", host_port_out_of_range, PROBLEM_ERROR, "hosts[0].port",
	  "use 1 to 65535" },
	{ "service CIDR parses", bad_service_cidr, PROBLEM_ERROR, "network.serviceCIDR",
	  "ADDRESS/PREFIX" },
	{ "service CIDR host bits", host_bits_service_cidr, PROBLEM_ERROR,
	  "network.serviceCIDR", "did you mean 192.168.0.0/16" },
	{ "pod/service overlap", overlap_pod_service, PROBLEM_ERROR, "network.podCIDR",
	  "overlaps serviceCIDR 192.168.0.0/16" },
	{ "service inside pod", overlap_service_pod_larger, PROBLEM_ERROR, "network.podCIDR",
	  "overlaps" },
	{ "service CIDR size", service_too_large, PROBLEM_ERROR, "network.serviceCIDR",
	  "at most a /12" },
	{ "hosts outside pod CIDR", host_in_pod_cidr, PROBLEM_ERROR, "hosts[0].address",
	  "inside podCIDR" },
	{ "hosts outside service CIDR", host_in_service_cidr, PROBLEM_ERROR, "hosts[0].address",
	  "inside serviceCIDR" },
	{ "DNS inside service CIDR", dns_outside, PROBLEM_ERROR, "network.clusterDNS",
	  "10.0.0.10 is outside serviceCIDR 192.168.0.0/16" },
	{ "DNS not the first address", dns_first, PROBLEM_ERROR, "network.clusterDNS",
	  "kubernetes Service" },
	{ "DNS not the network address", dns_network, PROBLEM_ERROR, "network.clusterDNS",
	  "network address" },
	{ "DNS not broadcast", dns_broadcast, PROBLEM_ERROR, "network.clusterDNS", "broadcast" },
	{ "node-local DNS link-local", nodelocal_not_link_local, PROBLEM_ERROR,
	  "network.nodeLocalDNS", "169.254.0.0/16" },
	{ "node-local DNS IPv4", nodelocal_v6, PROBLEM_ERROR, "network.nodeLocalDNS",
	  "IPv4 address" },
	{ "node-local DNS outside CIDRs", nodelocal_in_pod, PROBLEM_ERROR,
	  "network.nodeLocalDNS", "outside both" },
	{ "VIP not a host", vip_is_master, PROBLEM_ERROR, "network.apiserverVIP", "master1" },
	{ "VIP outside service CIDR", vip_in_service, PROBLEM_ERROR, "network.apiserverVIP",
	  "inside serviceCIDR" },
	{ "VIP family", vip_family, PROBLEM_ERROR, "network.apiserverVIP", "dual-stack" },
	{ "external needs a VIP", external_no_vip, PROBLEM_ERROR, "network.apiserverVIP",
	  "choose local (a proxy on each worker) or keepalived" },
	{ "keepalived needs a VIP", keepalived_no_vip, PROBLEM_ERROR, "network.apiserverVIP",
	  "keepalived needs a free address" },
	{ "keepalived's VIP is no host's", keepalived_vip_single_master, PROBLEM_ERROR,
	  "network.apiserverVIP", "10.1.1.1 is the address of host master1: keepalived" },
	{ "keepalived's VIP outside the pod CIDR", keepalived_vip_in_pod, PROBLEM_ERROR,
	  "network.apiserverVIP", "inside serviceCIDR or podCIDR" },
	{ "local uses no VIP", local_vip_unused, PROBLEM_WARNING, "network.apiserverVIP",
	  "10.1.1.10 is not used with apiserverEndpoint: local" },
	{ "apiserver port vs SSH", api_port_ssh, PROBLEM_ERROR, "network.apiserverPort",
	  "port 22 is the SSH port of master1" },
	{ "apiserver port vs a master's SSH port", api_port_host_ssh, PROBLEM_ERROR,
	  "network.apiserverPort", "port 2222 is the SSH port of master2" },
	{ "local: apiserver port vs a worker's SSH port", worker_ssh_port_local, PROBLEM_ERROR,
	  "network.apiserverPort", "port 7443 is the SSH port of node1" },
	{ "local: apiserver port vs metrics-server", local_port_metrics, PROBLEM_ERROR,
	  "network.apiserverPort", "port 10251 is taken by metrics-server on every worker" },
	{ "local: apiserver port vs Calico's BGP", local_port_bgp, PROBLEM_ERROR,
	  "network.apiserverPort", "calico-node (BGP)" },
	{ "pod family", pod_family, PROBLEM_ERROR, "network.podCIDR", "dual-stack" },
	{ "IPIP is IPv4", ipip_v6, PROBLEM_ERROR, "network.calicoIPIPMode", "Never" },
	{ "domain grammar", bad_domain, PROBLEM_ERROR, "network.clusterDomain", "DNS name" },
	{ "apiserver port vs kubelet", api_port_kubelet, PROBLEM_ERROR,
	  "network.apiserverPort", "kubelet" },
	{ "apiserver port vs etcd", api_port_etcd, PROBLEM_ERROR, "network.apiserverPort",
	  "etcd port" },
	{ "etcd ports differ", etcd_ports_same, PROBLEM_ERROR, "etcd.peerPort", "two ports" },
	{ "metrics-server port", metrics_port_kubelet, PROBLEM_ERROR,
	  "addons.metricsServer.securePort", "kubelet" },
	{ "NodePorts clear of SSH", nodeports_guide, PROBLEM_ERROR, "network.serviceNodePortRange",
	  "1-65535 covers 22 (SSH), 2380 (etcd peers), 4001 (etcd), 7443 (kube-apiserver)" },
	{ "NodePorts clear of the kubelet", nodeports_kubelet, PROBLEM_ERROR,
	  "network.serviceNodePortRange", "10250 (kubelet)" },
	{ "NodePorts clear of kube-proxy", nodeports_kube_proxy, PROBLEM_ERROR,
	  "network.serviceNodePortRange", "10256 (kube-proxy healthz)" },
	{ "NodePorts clear of the apiserver", nodeports_apiserver, PROBLEM_ERROR,
	  "network.serviceNodePortRange", "covers 7443 (kube-apiserver): a NodePort" },
	{ "NodePorts clear of etcd", nodeports_etcd, PROBLEM_ERROR,
	  "network.serviceNodePortRange", "covers 2380 (etcd peers), 4001 (etcd):" },
	{ "NodePorts clear of a host's SSH port", nodeports_host_ssh, PROBLEM_WARNING,
	  "network.serviceNodePortRange", "30000-32767 covers the hosts' SSH port 30022 (SSH)" },
	{ "NodePort range grammar", nodeports_grammar, PROBLEM_ERROR,
	  "network.serviceNodePortRange", "LOW-HIGH" },
	{ "NodePort range order", nodeports_order, PROBLEM_ERROR, "network.serviceNodePortRange",
	  "LOW-HIGH" },
	{ "mirror endpoint URL", bad_mirror_url, PROBLEM_ERROR,
	  "registries.mirrors.docker.io[0]", "http:// or https://" },
	{ "mirror path without ..", mirror_dotdot, PROBLEM_ERROR, "registries.mirrors.docker.io[0]",
	  "no empty, '.' or '..' parts" },
	{ "mirror path without empty parts", mirror_empty_part, PROBLEM_ERROR,
	  "registries.mirrors.docker.io[0]", "no empty, '.' or '..' parts" },
	{ "mirror path without %", mirror_percent, PROBLEM_ERROR, "registries.mirrors.docker.io[0]",
	  "'%'" },
	{ "mirrors of one registry differ", mirror_same_root, PROBLEM_ERROR,
	  "registries.mirrors.docker.io[1]",
	  "same mirror as https://docker.m.daocloud.io/ listed before it (both are the "
	  "registry API at https://docker.m.daocloud.io)" },
	{ "plain HTTP mirror", mirror_plain_http, PROBLEM_WARNING, "registries.mirrors.quay.io[0]",
	  "plain HTTP" },
	{ "mirror has endpoints", mirror_no_endpoints, PROBLEM_ERROR, "registries.mirrors.quay.io",
	  "at least one" },
	{ "mirror registry grammar", bad_mirror_registry, PROBLEM_ERROR,
	  "registries.mirrors.quay.io/x", "registry host" },
	{ "mirror registries unique", dup_mirror_registry, PROBLEM_ERROR,
	  "registries.mirrors.docker.io", "twice" },
	{ "image reference", bad_image, PROBLEM_ERROR, "registries.etcdImage", "with a tag" },
	{ "image metacharacters", bad_sandbox_image, PROBLEM_ERROR, "registries.sandboxImage",
	  "image reference" },
	{ "repository grammar", bad_repo, PROBLEM_ERROR, "registries.imageRepository",
	  "repository" },
	{ "bastion parses", bad_bastion, PROBLEM_ERROR, "ssh.bastion", "[user@]host[:port]" },
	{ "identity file path", bad_identity, PROBLEM_ERROR, "ssh.identityFile", "path" },
	{ "user grammar", bad_user, PROBLEM_ERROR, "ssh.user", "user name" },
	{ "root or sudo", non_root_without_sudo, PROBLEM_ERROR, "ssh.sudo", "needs root" },
	{ "per-host user needs sudo", non_root_host_user, PROBLEM_ERROR, "hosts[2].user",
	  "needs root" },
	{ "version grammar", bad_version, PROBLEM_ERROR, "versions.kubernetes", "v1.29.7" },
	{ "version 1.29", other_version, PROBLEM_WARNING, "versions.kubernetes", "1.29" },
	{ "data dir absolute", bad_data_dir, PROBLEM_ERROR, "etcd.dataDir", "absolute" },
	{ "token grammar", bad_token, PROBLEM_ERROR, "etcd.clusterToken", "letters" },
	{ "bundle dir needed", bundle_missing, PROBLEM_ERROR, "binaries.bundleDir", "bundleDir" },
	{ "mirror URL needed", mirror_url_missing, PROBLEM_ERROR, "binaries.mirrorURL",
	  "mirrorURL" },
	{ "binaries URL grammar", bad_mirror_source_url, PROBLEM_ERROR, "binaries.mirrorURL",
	  "https://" },
	{ "RSA sizes", rsa_size, PROBLEM_ERROR, "pki.caKeySize", "2048, 3072 or 4096" },
	{ "ECDSA sizes", ecdsa_size, PROBLEM_ERROR, "pki.leafKeySize", "P-256" },
	{ "leaf validity", leaf_outlives_ca, PROBLEM_WARNING, "pki.leafValidityDays",
	  "outlive" },
	{ "country code", bad_country, PROBLEM_ERROR, "pki.subject.country", "two-letter" },
	{ "subject grammar", bad_org, PROBLEM_ERROR, "pki.subject.organization", "commas" },
	{ "validity range", validity_zero, PROBLEM_ERROR, "pki.caValidityDays", "out of range" },
	{ "bootstrap token expires", token_hours_zero, PROBLEM_ERROR, "pki.bootstrapTokenHours",
	  "use 1 to 8760" },
	{ "bootstrap token within a year", token_hours_year, PROBLEM_ERROR,
	  "pki.bootstrapTokenHours", "out of range" },
	{ "node-local DNS needs CoreDNS", nodelocal_without_coredns, PROBLEM_ERROR,
	  "addons.nodelocaldns.enabled", "CoreDNS" },
	{ "metrics-server host network", metrics_no_host_network, PROBLEM_WARNING,
	  "addons.metricsServer.hostNetwork", "hostNetwork: true" },
	{ "metrics-server verifies kubelets", metrics_unverifiable, PROBLEM_WARNING,
	  "addons.metricsServer.kubeletInsecureTLS", "csrApprover" },
	{ "CSR regex compiles", csr_regex_bad, PROBLEM_ERROR, "addons.csrApprover.providerRegex",
	  "has no closing ]" },
	{ "CSR regex matches workers", csr_regex_miss, PROBLEM_WARNING,
	  "addons.csrApprover.providerRegex", "worker2" },
	{ "CSR prefixes hold workers", csr_prefix_miss, PROBLEM_WARNING,
	  "addons.csrApprover.providerIPPrefixes", "outside every prefix" },
	{ "CSR prefixes required", csr_prefix_empty, PROBLEM_ERROR,
	  "addons.csrApprover.providerIPPrefixes", "no prefix" },
	{ "CSR prefixes are networks", csr_prefix_bad, PROBLEM_ERROR,
	  "addons.csrApprover.providerIPPrefixes[0]", "did you mean 10.1.1.0/24" },
	{ "NTP servers are host names or addresses", ntp_bad, PROBLEM_ERROR,
	  "network.ntpServers[1]", "a DNS name like ntp.aliyun.com or an IPv4 or IPv6" },
};

/* Mutations that must leave the plan valid. */
static void (*const valid_mutations[])(struct plan *) = {
	vip_single_master_ok, good_bastion, non_root_with_sudo, metrics_insecure_ok,
	masters_only, loopback_lab, pod_blocks_no_calico, nodeports_elsewhere_ok, keepalived_ok,
	local_no_vip_ok, worker_ssh_port_external_ok, external_port_metrics_ok,
	local_port_bgp_no_calico_ok, local_vip_not_judged, mirror_plain_http, ntp_ok,
};

/* Mutations at the edge of a rule that must leave the plan without a word. */
static void (*const quiet_mutations[])(struct plan *) = {
	pod_blocks_fit, pod_blocks_1003_fit, service_256, mirror_forms_ok,
};

static void default_plan_is_valid(void **state)
{
	struct plan *p = plan_new_default();
	struct problems out = { 0 };

	(void)state;
	assert_int_equal(plancheck_run(p, &out), 0);
	if (out.n != 0)
		fail_msg("%s: %s", out.v[0].path, out.v[0].message);
	problems_clear(&out);
	plan_free(&p);
}

static void each_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const struct rule *r = &rules[i];
		struct plan *p = plan_new_default();
		struct problems out = { 0 };
		const struct problem *found = NULL;

		r->mutate(p);
		plancheck_run(p, &out);
		for (size_t j = 0; j < out.n && found == NULL; j++) {
			if (strcmp(out.v[j].path, r->path) == 0 && out.v[j].severity == r->sev &&
			    strstr(out.v[j].message, r->want) != NULL)
				found = &out.v[j];
		}
		if (found == NULL) {
			for (size_t j = 0; j < out.n; j++)
				print_error("  got %s: %s\n", out.v[j].path, out.v[j].message);
			fail_msg("rule '%s': no %s at %s containing '%s'", r->name,
				 r->sev == PROBLEM_ERROR ? "error" : "warning", r->path, r->want);
		}
		problems_clear(&out);
		plan_free(&p);
	}
}

/* Each mutation leaves the plan without an error (quiet: without any problem). */
static void run_variants(void (*const *mutations)(struct plan *), size_t n, bool quiet)
{
	for (size_t i = 0; i < n; i++) {
		struct plan *p = plan_new_default();
		struct problems out = { 0 };

		mutations[i](p);
		plancheck_run(p, &out);
		if (quiet ? out.n != 0 : problems_count(&out, PROBLEM_ERROR) != 0)
			fail_msg("variant %zu: %s: %s", i, out.v[0].path, out.v[0].message);
		problems_clear(&out);
		plan_free(&p);
	}
}

static void valid_variants(void **state)
{
	(void)state;
	run_variants(valid_mutations, sizeof valid_mutations / sizeof valid_mutations[0], false);
}

static void quiet_variants(void **state)
{
	(void)state;
	run_variants(quiet_mutations, sizeof quiet_mutations / sizeof quiet_mutations[0], true);
}

/* Problems carry the position of the field in the file the plan came from. */
static void positions_from_marks(void **state)
{
	const char *text = "apiVersion: k8s-wizard/v1\nkind: ClusterPlan\nhosts:\n"
			   "- name: m1\n  address: 10.1.1.1\n  roles: [master, etcd]\n"
			   "- name: n1\n  address: 10.1.1.4\n  roles: [worker]\n"
			   "network:\n  clusterDNS: 10.0.0.10\n";
	struct problems loadp = { 0 }, out = { 0 };
	struct plan *p = planfile_parse(text, strlen(text), &loadp, NULL);
	const struct problem *pr = NULL;

	(void)state;
	assert_non_null(p);
	plancheck_run(p, &out);
	pr = problems_find(&out, "network.clusterDNS");
	assert_non_null(pr);
	assert_int_equal(pr->line, 11);
	assert_int_equal(pr->column, 15);
	plan_free(&p);
	problems_clear(&out);
}

/* Every problem is reported, not just the first. */
static void reports_everything(void **state)
{
	struct plan *p = plan_new_default();
	struct problems out = { 0 };

	(void)state;
	dns_outside(p);
	bad_host_name(p);
	even_etcd(p);
	bad_mirror_url(p);
	assert_true(plancheck_run(p, &out) >= 4);
	problems_clear(&out);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_plan_is_valid),
		cmocka_unit_test(each_rule),
		cmocka_unit_test(valid_variants),
		cmocka_unit_test(quiet_variants),
		cmocka_unit_test(positions_from_marks),
		cmocka_unit_test(reports_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
