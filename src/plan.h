/* The cluster plan: everything the wizard needs to know to install a cluster.
 *
 * struct plan is plain data owned by the plan: strings are heap copies freed by
 * plan_free(); an empty optional string is NULL. plan_new_default() returns the
 * guide's 3 masters + 2 workers. The schema table (plan_schema()) describes every
 * field once: its YAML key, its label, type, grammar and one-line help. The
 * loader, the exporter, the validator and the wizard's forms are all driven by
 * it. */
#ifndef K8SW_PLAN_H
#define K8SW_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#define PLAN_API_VERSION "k8s-wizard/v1"
#define PLAN_KIND "ClusterPlan"

enum plan_role {
	ROLE_MASTER = 1 << 0,
	ROLE_ETCD = 1 << 1,
	ROLE_WORKER = 1 << 2,
};

enum plan_proxy_mode { PROXY_IPVS, PROXY_IPTABLES };
/* How the apiservers are reached: the operator's load balancer at the VIP,
 * a proxy on 127.0.0.1 of every worker, or keepalived and haproxy on the
 * masters holding the VIP. */
enum plan_api_endpoint { ENDPOINT_EXTERNAL, ENDPOINT_LOCAL, ENDPOINT_KEEPALIVED };
enum plan_ipip_mode { IPIP_ALWAYS, IPIP_CROSS_SUBNET, IPIP_NEVER };
enum plan_key_algo { KEY_RSA, KEY_ECDSA };
enum plan_binaries_source { BINARIES_BUNDLE, BINARIES_MIRROR };

struct strlist {
	char **v;
	size_t n;
};

struct plan_host {
	char *name;
	char *address;
	unsigned port; /* 0: ssh.port */
	char *user;    /* NULL: ssh.user */
	unsigned roles; /* enum plan_role bits */
};

struct plan_mirror {
	char *registry; /* "docker.io" */
	struct strlist endpoints;
};

struct plan {
	char *name;

	struct plan_versions {
		char *kubernetes;
		char *containerd;
		char *runc;
		char *crictl;
		char *calico;
	} versions;

	struct plan_host *hosts;
	size_t n_hosts;

	struct plan_ssh {
		char *user;
		unsigned port;
		char *identity_file;
		char *bastion; /* [user@]host[:port] */
		bool sudo;
		bool sudo_password; /* sudo asks the user's password (asked, never saved) */
		unsigned connect_timeout; /* seconds */
	} ssh;

	struct plan_network {
		char *service_cidr;
		char *pod_cidr;
		char *cluster_dns;
		char *node_local_dns;
		char *cluster_domain;
		int apiserver_endpoint; /* enum plan_api_endpoint */
		char *apiserver_vip; /* NULL: none (the local endpoint needs none) */
		unsigned apiserver_port;
		int kube_proxy_mode; /* enum plan_proxy_mode */
		int calico_ipip_mode; /* enum plan_ipip_mode */
		char *service_node_port_range; /* "LOW-HIGH" */
		struct strlist ntp_servers; /* empty: the hosts keep their own time sync */
	} network;

	struct plan_etcd {
		unsigned client_port;
		unsigned peer_port;
		char *data_dir;
		char *cluster_token;
	} etcd;

	struct plan_registries {
		struct plan_mirror *mirrors;
		size_t n_mirrors;
		char *image_repository;
		char *sandbox_image;
		char *etcd_image;
		char *coredns_image;
		char *node_cache_image;
		char *calico_registry;
		char *metrics_server_image;
		char *csr_approver_image;
	} registries;

	struct plan_binaries {
		int source; /* enum plan_binaries_source */
		char *bundle_dir;
		char *mirror_url;
	} binaries;

	struct plan_pki {
		int algorithm; /* enum plan_key_algo */
		unsigned ca_key_size;
		unsigned leaf_key_size;
		unsigned ca_validity_days;
		unsigned leaf_validity_days;
		unsigned bootstrap_token_hours; /* the workers' bootstrap token lives this long */
		struct plan_subject {
			char *country;
			char *state;
			char *locality;
			char *organization;
			char *organizational_unit;
		} subject;
	} pki;

	struct plan_addons {
		struct plan_addon_calico {
			bool enabled;
		} calico;
		struct plan_addon_coredns {
			bool enabled;
		} coredns;
		struct plan_addon_nodelocaldns {
			bool enabled;
		} nodelocaldns;
		struct plan_addon_csr_approver {
			bool enabled;
			char *provider_regex;
			struct strlist provider_ip_prefixes;
		} csr_approver;
		struct plan_addon_metrics_server {
			bool enabled;
			bool host_network;
			unsigned secure_port;
			bool kubelet_insecure_tls;
		} metrics_server;
	} addons;

	/* Where each field was found in the file it was loaded from. */
	struct plan_mark {
		char *path;
		unsigned line, column;
	} *marks;
	size_t n_marks;
};

/* Field types of the schema. */
enum plan_type {
	PT_SECTION, /* a mapping of further fields */
	PT_STRING,
	PT_UINT,
	PT_BOOL,
	PT_ENUM,    /* stored as int, named by enum_names */
	PT_STRLIST, /* struct strlist */
	PT_ROLES,   /* unsigned role bits, a list of role names */
	PT_HOSTS,   /* the host list */
	PT_MIRRORS, /* the registry mirror map */
};

/* Grammars that string values (and list items) must match. */
enum plan_grammar {
	GR_NONE,
	GR_LABEL,    /* RFC 1123 label: host and cluster names */
	GR_DOMAIN,   /* DNS name */
	GR_REGISTRY, /* registry host[:port] */
	GR_ADDR,     /* IPv4 or IPv6 address */
	GR_ADDR4,    /* IPv4 address */
	GR_CIDR,     /* IPv4 or IPv6 network */
	GR_CIDR4,    /* IPv4 network */
	GR_IMAGE,    /* container image reference */
	GR_REPO,     /* image repository without tag */
	GR_URL,      /* http(s) URL */
	GR_MIRROR,   /* http(s) URL of a registry mirror (grammar_mirror_root) */
	GR_PATH,     /* absolute path on a host */
	GR_LOCALPATH, /* path on the jump host; may start with ~ or be relative */
	GR_VERSION,  /* v1.2.3 or 1.2.3 */
	GR_USER,     /* POSIX user name */
	GR_BASTION,  /* [user@]host[:port] */
	GR_REGEX,    /* printable, for a YAML value only */
	GR_SUBJECT,  /* X.509 subject attribute */
	GR_COUNTRY,  /* two capital letters */
	GR_TOKEN,    /* [A-Za-z0-9._-] */
	GR_PORTRANGE, /* LOW-HIGH, ports 1-65535, LOW <= HIGH */
	GR_HOST,     /* DNS name or IPv4/IPv6 address: a server to ask (NTP) */
};

struct plan_field {
	const char *key; /* YAML key; NULL ends a table */
	const char *label; /* what the wizard calls it, N_()-marked: "Pod network" */
	enum plan_type type;
	size_t offset; /* in the enclosing struct */
	const struct plan_field *fields; /* PT_SECTION children */
	enum plan_grammar grammar;
	bool optional;                 /* PT_STRING: may be empty */
	const char *const *enum_names; /* PT_ENUM, NULL-terminated */
	unsigned min, max;             /* PT_UINT range */
	const char *def;               /* default, as YAML text ("" for none) */
	const char *help;              /* one line, N_()-marked, for the wizard */
};

/* The root table: apiVersion and kind are not in it. */
const struct plan_field *plan_schema(void);

/* The field at a dotted path ("network.podCIDR"), or NULL. List indexes are not
 * accepted here: "hosts" names the host list field. */
const struct plan_field *plan_schema_find(const char *path);

/* Where a field of the given table lives in base. */
void *plan_field_ptr(void *base, const struct plan_field *f);

struct plan *plan_new_default(void);

/* A plan with no hosts, no mirrors and every other field at its default. */
struct plan *plan_new_empty(void);

struct plan *plan_dup(const struct plan *p);
void plan_free(struct plan **p);

/* Hosts: append a copy of h (NULL fields allowed) or remove the i-th. */
struct plan_host *plan_add_host(struct plan *p, const struct plan_host *h);
void plan_remove_host(struct plan *p, size_t i);
void plan_host_clear(struct plan_host *h);

struct plan_mirror *plan_add_mirror(struct plan *p, const char *registry);
void plan_remove_mirror(struct plan *p, size_t i);

size_t plan_count_role(const struct plan *p, enum plan_role role);

/* The YAML names of the roles, in bit order ("master" is bit 0). */
extern const char *const plan_role_names[];

/* "a, b or c" (translated "or"), for messages listing valid names. */
char *plan_enum_choices(const char *const *names);

/* The fields of one host, for the loader, the exporter and the wizard. */
const struct plan_field *plan_host_schema(void);

/* Replace *slot with a copy of value (NULL or "" stores NULL). */
void plan_set_string(char **slot, const char *value);

void strlist_add(struct strlist *l, const char *s);
void strlist_remove(struct strlist *l, size_t i);
void strlist_clear(struct strlist *l);

/* Field paths: "parent.key" (just "key" under the root "") and "parent[i]".
 * Cheap: the loader and the validator build one per field of large plans. */
char *plan_path_join(const char *parent, const char *key);
char *plan_path_index(const char *parent, size_t i);

/* Source positions recorded by the loader (the root mapping under "").
 * plan_mark_find() looks for path, then for each shorter prefix of it, then
 * for the root; returns false when none is known. */
void plan_set_mark(struct plan *p, const char *path, unsigned line, unsigned column);
bool plan_mark_find(const struct plan *p, const char *path, unsigned *line, unsigned *column);
void plan_clear_marks(struct plan *p);

#endif
