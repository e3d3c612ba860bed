/* The cluster's PKI with OpenSSL 3: keys, the four CAs, the leaf certificates
 * of the guide's table, the service-account key and the bootstrap token, kept
 * in one directory and brought in line with the plan on every run.
 *
 * Every certificate is described once, in profiles[] below; the rest of the
 * file is the machinery that issues, loads and compares them. */
#include "config.h"

#include "certs.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fileio.h"
#include "log.h"
#include "net.h"
#include "nls.h"
#include "statedir.h"
#include "xmalloc.h"

/* What a certificate is for: its extensions follow from these. */
enum {
	USE_CA = 1 << 0,
	USE_SERVER = 1 << 1,
	USE_CLIENT = 1 << 2,
};

/* Appends the wanted subject alternative names ("IP:..." or "DNS:...", in the
 * order they go into the certificate). Returns 0, or -1 with *err set. */
typedef int (*san_builder)(const struct plan *p, struct strlist *out, char **err);

static int sans_etcd(const struct plan *p, struct strlist *out, char **err);
static int sans_apiserver(const struct plan *p, struct strlist *out, char **err);
static int sans_masters(const struct plan *p, struct strlist *out, char **err);

/* One row per certificate. cn, o and ou are what RBAC and the components read:
 * a client certificate's CN is the user, its O the group. NULL o/ou take the
 * plan's pki.subject values; C, ST and L always come from the plan. */
static const struct profile {
	const char *name; /* file base name */
	const char *cn;
	const char *o;
	const char *ou;
	enum cert_id issuer;
	unsigned use;
	san_builder sans;
} profiles[CERT_COUNT] = {
	[CERT_ETCD_CA] = { "etcd-ca", "etcd-ca", NULL, NULL, CERT_ETCD_CA, USE_CA, NULL },
	[CERT_K8S_CA] = { "k8s-ca", "kubernetes", NULL, NULL, CERT_K8S_CA, USE_CA, NULL },
	[CERT_KUBELET_CA] = { "kubelet-ca", "kubelet-ca", NULL, NULL, CERT_KUBELET_CA, USE_CA,
			      NULL },
	[CERT_AGG_CA] = { "agg-ca", "agg-ca", NULL, NULL, CERT_AGG_CA, USE_CA, NULL },
	/* etcd serves clients and peers and is a client of its peers; the
	 * apiservers use the same pair as etcd clients (guide 3.3, 3.4). */
	[CERT_ETCD_PEER] = { "etcd-peer", "etcd", NULL, NULL, CERT_ETCD_CA,
			     USE_SERVER | USE_CLIENT, sans_etcd },
	[CERT_APISERVER] = { "apiserver", "kubernetes", NULL, NULL, CERT_K8S_CA, USE_SERVER,
			     sans_apiserver },
	[CERT_CONTROLLER_MANAGER] = { "controller-manager", "system:kube-controller-manager",
				      "system:kube-controller-manager", "system", CERT_K8S_CA,
				      USE_SERVER | USE_CLIENT, sans_masters },
	[CERT_KUBE_SCHEDULER] = { "kube-scheduler", "system:kube-scheduler",
				  "system:kube-scheduler", "system", CERT_K8S_CA,
				  USE_SERVER | USE_CLIENT, sans_masters },
	[CERT_ADMIN] = { "admin", "admin", "system:masters", "system", CERT_K8S_CA, USE_CLIENT,
			 NULL },
	/* The guide binds user kubeletadmin to system:kubelet-api-admin. */
	[CERT_KUBELET_CLIENT] = { "kubelet-client", "kubeletadmin", NULL, NULL, CERT_KUBELET_CA,
				  USE_CLIENT, NULL },
	/* The apiserver's --requestheader-allowed-names=aggregator. */
	[CERT_AGG] = { "agg", "aggregator", NULL, NULL, CERT_AGG_CA, USE_CLIENT, NULL },
};

/* Largest PEM file we read: a certificate or key is a few KiB. */
#define PEM_MAX_SIZE (64 * 1024)

/* Certificates are back-dated this much for hosts whose clocks run behind. */
#define BACKDATE_SECONDS (5 * 60)

/* Re-issue a leaf whose remaining life is below this (or below a third of the
 * plan's leaf validity, for short validities). */
#define RENEW_BEFORE_SECONDS (30L * 24 * 3600)

#define TOKEN_FILE "bootstrap-token"
#define SA_KEY_FILE "sa.key"
#define SA_PUB_FILE "sa.pub"

struct cert_slot {
	X509 *cert;
	EVP_PKEY *key;
	char *cert_pem;
	char *key_pem;
	enum certs_action action;
	char *why;
};

struct certs {
	struct cert_slot slot[CERT_COUNT];
	EVP_PKEY *sa_key;
	char *sa_key_pem;
	char *sa_pub_pem;
	char token[33];
};

/* State of one certificates_ensure() call. */
struct ensure {
	const struct plan *p;
	const char *dir;
	struct certs *c;
	time_t now;
	char *err;
};

const char *certs_name(enum cert_id id)
{
	return id < CERT_COUNT ? profiles[id].name : "?";
}

enum cert_id certs_issuer(enum cert_id id)
{
	return id < CERT_COUNT ? profiles[id].issuer : CERT_COUNT;
}

bool certs_is_ca(enum cert_id id)
{
	return id < CERT_COUNT && (profiles[id].use & USE_CA) != 0;
}

/* Free a string that held key material, wiping it first. */
static void free_secret(char **s)
{
	if (*s != NULL)
		OPENSSL_cleanse(*s, strlen(*s));
	xfree(s);
}

/* The reasons OpenSSL queued for the last failure, as one line; empties the
 * queue. The caller frees it. */
static char *ossl_reason(void)
{
	char *line = xstrdup("");
	unsigned long code = 0;

	while ((code = ERR_get_error()) != 0) {
		char buf[256];
		char *next = NULL;

		ERR_error_string_n(code, buf, sizeof buf);
		next = xasprintf("%s%s%s", line, *line != '\0' ? "; " : "", buf);
		free(line);
		line = next;
	}
	if (*line == '\0') {
		free(line);
		line = xstrdup(_("unknown OpenSSL error"));
	}
	return line;
}

/* Set e->err to a formatted message followed by OpenSSL's reasons. */
static void fail_ossl(struct ensure *e, const char *what)
{
	char *reason = ossl_reason();

	free(e->err);
	e->err = xasprintf("%s: %s", what, reason);
	free(reason);
}

static char *path_of(const struct ensure *e, const char *base, const char *suffix)
{
	return xasprintf("%s/%s%s", e->dir, base, suffix);
}

/* ---- Keys ------------------------------------------------------------- */

static EVP_PKEY *key_generate(int algorithm, unsigned bits)
{
	if (algorithm == KEY_ECDSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", bits == 384 ? "P-384" : "P-256");
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

/* True when key is of the plan's algorithm and size. */
static bool key_fits(EVP_PKEY *key, int algorithm, unsigned bits)
{
	int id = EVP_PKEY_get_base_id(key);

	if (algorithm == KEY_ECDSA && id != EVP_PKEY_EC)
		return false;
	if (algorithm == KEY_RSA && id != EVP_PKEY_RSA)
		return false;
	return EVP_PKEY_get_bits(key) == (int)bits;
}

/* "RSA 2048", "ECDSA P-256": the caller frees it. */
static char *key_describe(EVP_PKEY *key)
{
	int id = EVP_PKEY_get_base_id(key);

	if (id == EVP_PKEY_RSA)
		return xasprintf("RSA %d", EVP_PKEY_get_bits(key));
	if (id == EVP_PKEY_EC)
		return xasprintf("ECDSA P-%d", EVP_PKEY_get_bits(key));
	return xasprintf("%s %d", OBJ_nid2sn(id), EVP_PKEY_get_bits(key));
}

static char *plan_key_describe(int algorithm, unsigned bits)
{
	if (algorithm == KEY_ECDSA)
		return xasprintf("ECDSA P-%u", bits);
	return xasprintf("RSA %u", bits);
}

/* Copy a memory BIO's contents into a string of ours. */
static char *bio_string(BIO *bio)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	char *s = xmalloc((size_t)len + 1);

	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	return s;
}

static char *pem_cert(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (bio == NULL)
		xalloc_die("BIO_new");
	if (PEM_write_bio_X509(bio, cert) == 1)
		s = bio_string(bio);
	BIO_free(bio);
	return s;
}

/* The private key as unencrypted PKCS#8 PEM, through a BIO that wipes its
 * buffer when freed. */
static char *pem_key(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *s = NULL;

	if (bio == NULL)
		xalloc_die("BIO_new");
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1)
		s = bio_string(bio);
	BIO_free(bio);
	return s;
}

static char *pem_pubkey(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (bio == NULL)
		xalloc_die("BIO_new");
	if (PEM_write_bio_PUBKEY(bio, key) == 1)
		s = bio_string(bio);
	BIO_free(bio);
	return s;
}

/* ---- Loading ---------------------------------------------------------- */

enum load_state { LOAD_ABSENT, LOAD_BAD, LOAD_OK };

/* Read a certificate (want_key false) or a private key from path. On
 * LOAD_BAD, *why says what is wrong (free it). */
static enum load_state load_pem(const char *path, bool want_key, X509 **cert, EVP_PKEY **key,
				char **why)
{
	enum load_state state = LOAD_BAD;
	char *text = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int rc = fileio_read(path, PEM_MAX_SIZE, &text, &len, why);

	if (rc == 1)
		return LOAD_ABSENT;
	if (rc < 0)
		return LOAD_BAD;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio == NULL)
		xalloc_die("BIO_new_mem_buf");
	if (want_key)
		*key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	else
		*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if ((want_key && *key == NULL) || (!want_key && *cert == NULL)) {
		char *reason = ossl_reason();

		*why = xasprintf(want_key ? _("%s holds no readable private key (%s)")
					  : _("%s holds no readable certificate (%s)"),
				 path, reason);
		free(reason);
		goto out;
	}
	state = LOAD_OK;
out:
	BIO_free(bio);
	if (text != NULL)
		OPENSSL_cleanse(text, len);
	free(text);
	return state;
}

/* ---- Names, SANs and usages ------------------------------------------- */

/* A name in RFC 2253 form, most specific first: "CN=admin,OU=system,...". */
static char *name_string(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (bio == NULL)
		xalloc_die("BIO_new");
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		s = xstrdup("?");
	else
		s = bio_string(bio);
	BIO_free(bio);
	return s;
}

/* The subject a profile asks for under plan p, in the order cfssl writes it:
 * C, ST, L, O, OU, CN. */
static X509_NAME *wanted_subject(const struct plan *p, const struct profile *pr)
{
	const struct plan_subject *s = &p->pki.subject;
	const struct {
		int nid;
		const char *value;
	} parts[] = {
		{ NID_countryName, s->country },
		{ NID_stateOrProvinceName, s->state },
		{ NID_localityName, s->locality },
		{ NID_organizationName, pr->o != NULL ? pr->o : s->organization },
		{ NID_organizationalUnitName, pr->ou != NULL ? pr->ou : s->organizational_unit },
		{ NID_commonName, pr->cn },
	};
	X509_NAME *name = X509_NAME_new();

	if (name == NULL)
		xalloc_die("X509_NAME_new");
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (parts[i].value == NULL || *parts[i].value == '\0')
			continue;
		if (X509_NAME_add_entry_by_NID(name, parts[i].nid, MBSTRING_UTF8,
					       (const unsigned char *)parts[i].value, -1, -1,
					       0) != 1) {
			X509_NAME_free(name);
			return NULL;
		}
	}
	return name;
}

/* Append "IP:<canonical address>" unless already there. */
static int add_ip(struct strlist *out, const char *addr, const char *field, char **err)
{
	struct net_addr a;
	char text[NET_ADDRSTRLEN];
	char *san = NULL;

	if (net_addr_parse(addr != NULL ? addr : "", &a) < 0) {
		*err = xasprintf(_("%s: '%s' is not an IP address"), field,
				 addr != NULL ? addr : "");
		return -1;
	}
	net_addr_format(&a, text, sizeof text);
	san = xasprintf("IP:%s", text);
	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->v[i], san) == 0) {
			free(san);
			return 0;
		}
	}
	strlist_add(out, san);
	free(san);
	return 0;
}

static void add_dns(struct strlist *out, const char *name)
{
	char *san = xasprintf("DNS:%s", name);

	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->v[i], san) == 0) {
			free(san);
			return;
		}
	}
	strlist_add(out, san);
	free(san);
}

/* The addresses of the hosts having role, in plan order. */
static int add_hosts(const struct plan *p, unsigned role, struct strlist *out, char **err)
{
	for (size_t i = 0; i < p->n_hosts; i++) {
		char field[32];

		if (!(p->hosts[i].roles & role))
			continue;
		xsnprintf(field, sizeof field, "hosts[%zu].address", i);
		if (add_ip(out, p->hosts[i].address, field, err) < 0)
			return -1;
	}
	return 0;
}

/* Every etcd member, then loopback: etcdctl on a member uses 127.0.0.1. */
static int sans_etcd(const struct plan *p, struct strlist *out, char **err)
{
	if (add_hosts(p, ROLE_ETCD, out, err) < 0 || add_ip(out, "127.0.0.1", "", err) < 0)
		return -1;
	add_dns(out, "localhost");
	return 0;
}

/* The guide's apiserver list (3.4), with the cluster domain of the plan. */
static int sans_apiserver(const struct plan *p, struct strlist *out, char **err)
{
	static const char *const names[] = { "kubernetes", "kubernetes.default",
					     "kubernetes.default.svc",
					     "kubernetes.default.svc.cluster" };
	struct net_cidr service;
	struct net_addr first;
	char text[NET_ADDRSTRLEN];
	const char *why = NULL;
	char *domain_name = NULL;

	if (add_ip(out, "127.0.0.1", "", err) < 0 || add_hosts(p, ROLE_MASTER, out, err) < 0 ||
	    add_ip(out, p->network.apiserver_vip, "network.apiserverVIP", err) < 0)
		return -1;
	/* The "kubernetes" Service gets the first address of the range. */
	if (p->network.service_cidr == NULL ||
	    net_cidr_parse(p->network.service_cidr, &service, &why) != 0 ||
	    net_cidr_nth(&service, 1, &first) < 0) {
		*err = xasprintf(_("network.serviceCIDR: '%s' is not a network with a first "
				   "address"),
				 p->network.service_cidr != NULL ? p->network.service_cidr : "");
		return -1;
	}
	net_addr_format(&first, text, sizeof text);
	if (add_ip(out, text, "network.serviceCIDR", err) < 0)
		return -1;
	add_dns(out, "localhost");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		add_dns(out, names[i]);
	domain_name = xasprintf("kubernetes.default.svc.%s",
				p->network.cluster_domain != NULL ? p->network.cluster_domain
								  : "cluster.local");
	add_dns(out, domain_name);
	free(domain_name);
	return 0;
}

/* Loopback and the masters: the components' own serving endpoints. */
static int sans_masters(const struct plan *p, struct strlist *out, char **err)
{
	if (add_ip(out, "127.0.0.1", "", err) < 0)
		return -1;
	return add_hosts(p, ROLE_MASTER, out, err);
}

/* The SANs of a certificate as "IP:..."/"DNS:..." strings, in its order. */
static void cert_sans(X509 *cert, struct strlist *out)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);

	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		int type = 0;
		const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);
		char *san = NULL;

		if (type == GEN_DNS) {
			san = xasprintf("DNS:%.*s", ASN1_STRING_length(v),
					(const char *)ASN1_STRING_get0_data(v));
		} else if (type == GEN_IPADD &&
			   (ASN1_STRING_length(v) == 4 || ASN1_STRING_length(v) == 16)) {
			struct net_addr a = { 0 };
			char text[NET_ADDRSTRLEN];

			a.family = ASN1_STRING_length(v) == 4 ? NET_IPV4 : NET_IPV6;
			memcpy(a.bytes, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
			net_addr_format(&a, text, sizeof text);
			san = xasprintf("IP:%s", text);
		} else {
			san = xasprintf("other:%d", type);
		}
		strlist_add(out, san);
		free(san);
	}
	GENERAL_NAMES_free(names);
}

/* Describe how the SAN sets want and have differ ("added IP:10.1.1.6;
 * removed DNS:x"), or NULL when they are the same set. */
static char *sans_diff(const struct strlist *want, const struct strlist *have)
{
	char *added = xstrdup(""), *removed = xstrdup("");
	char *diff = NULL;
	const struct strlist *lists[2] = { want, have };
	char **slots[2] = { &added, &removed };

	for (size_t l = 0; l < 2; l++) {
		const struct strlist *a = lists[l], *b = lists[1 - l];

		for (size_t i = 0; i < a->n; i++) {
			bool found = false;

			for (size_t j = 0; j < b->n && !found; j++)
				found = strcmp(a->v[i], b->v[j]) == 0;
			if (!found) {
				char *next = xasprintf("%s%s%s", *slots[l],
						       **slots[l] != '\0' ? "," : "", a->v[i]);

				free(*slots[l]);
				*slots[l] = next;
			}
		}
	}
	if (*added != '\0' && *removed != '\0')
		diff = xasprintf(_("added %s; removed %s"), added, removed);
	else if (*added != '\0')
		diff = xasprintf(_("added %s"), added);
	else if (*removed != '\0')
		diff = xasprintf(_("removed %s"), removed);
	free(added);
	free(removed);
	return diff;
}

/* The key usage bits a certificate of use needs with a key of algorithm. RSA
 * leaves also encipher (TLS 1.2 RSA key exchange); ECDSA ones only sign. */
static uint32_t wanted_key_usage(unsigned use, int algorithm)
{
	if (use & USE_CA)
		return KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN;
	if (algorithm == KEY_RSA)
		return KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT;
	return KU_DIGITAL_SIGNATURE;
}

static uint32_t wanted_ext_key_usage(unsigned use)
{
	return ((use & USE_SERVER) ? XKU_SSL_SERVER : 0) | ((use & USE_CLIENT) ? XKU_SSL_CLIENT : 0);
}

/* "CA", "server", "client", "server,client" from a certificate's extensions. */
static char *usage_string(X509 *cert)
{
	uint32_t xku = X509_get_extended_key_usage(cert);

	if (X509_check_ca(cert) != 0)
		return xstrdup("CA");
	if (xku == UINT32_MAX)
		return xstrdup("any");
	return xasprintf("%s%s%s", (xku & XKU_SSL_SERVER) ? "server" : "",
			 (xku & XKU_SSL_SERVER) && (xku & XKU_SSL_CLIENT) ? "," : "",
			 (xku & XKU_SSL_CLIENT) ? "client" : "");
}

/* ---- Issuing ---------------------------------------------------------- */

/* Add one extension built from its OpenSSL object. */
static int add_ext(X509 *cert, int nid, void *value, bool critical)
{
	return X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_REPLACE) == 1
		       ? 0
		       : -1;
}

/* A fresh positive serial of 128 random bits (RFC 5280 allows 20 octets). */
static int set_random_serial(X509 *cert)
{
	unsigned char bytes[16];
	BIGNUM *bn = NULL;
	int rc = -1;

	do {
		if (RAND_bytes(bytes, sizeof bytes) != 1)
			return -1;
		BN_free(bn);
		bn = BN_bin2bn(bytes, sizeof bytes, NULL);
		if (bn == NULL)
			return -1;
	} while (BN_is_zero(bn));
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL)
		rc = 0;
	BN_free(bn);
	return rc;
}

static int add_sans(X509 *cert, const struct strlist *sans)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	int rc = -1;

	if (names == NULL)
		xalloc_die("sk_GENERAL_NAME_new_null");
	for (size_t i = 0; i < sans->n; i++) {
		const char *s = sans->v[i];
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_STRING *v = NULL;
		int type = GEN_DNS;

		if (g == NULL)
			xalloc_die("GENERAL_NAME_new");
		if (strncmp(s, "IP:", 3) == 0) {
			struct net_addr a;

			if (net_addr_parse(s + 3, &a) < 0) {
				GENERAL_NAME_free(g);
				goto out;
			}
			type = GEN_IPADD;
			v = ASN1_OCTET_STRING_new();
			if (v == NULL ||
			    ASN1_OCTET_STRING_set(v, a.bytes, a.family == NET_IPV4 ? 4 : 16) != 1)
				xalloc_die("ASN1_OCTET_STRING_set");
		} else {
			v = ASN1_IA5STRING_new();
			if (v == NULL || ASN1_STRING_set(v, s + 4, -1) != 1)
				xalloc_die("ASN1_STRING_set");
		}
		GENERAL_NAME_set0_value(g, type, v);
		if (sk_GENERAL_NAME_push(names, g) == 0)
			xalloc_die("sk_GENERAL_NAME_push");
	}
	rc = add_ext(cert, NID_subject_alt_name, names, false);
out:
	GENERAL_NAMES_free(names);
	return rc;
}

/* basicConstraints, keyUsage, extendedKeyUsage, subject and authority key
 * identifiers and SANs, built as objects (no configuration strings to parse).
 * issuer is NULL for a self-signed CA. */
static int add_extensions(X509 *cert, X509 *issuer, unsigned use, int algorithm,
			  const struct strlist *sans)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	EXTENDED_KEY_USAGE *eku = NULL;
	ASN1_OCTET_STRING *skid = ASN1_OCTET_STRING_new();
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	const ASN1_OCTET_STRING *issuer_skid = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	uint32_t bits = wanted_key_usage(use, algorithm);
	static const struct {
		uint32_t flag;
		int bit; /* RFC 5280 4.2.1.3 */
	} ku_bits[] = { { KU_DIGITAL_SIGNATURE, 0 }, { KU_KEY_ENCIPHERMENT, 2 },
			{ KU_KEY_CERT_SIGN, 5 }, { KU_CRL_SIGN, 6 } };
	int rc = -1;

	if (bc == NULL || ku == NULL || skid == NULL || akid == NULL)
		xalloc_die("X509V3 extension");
	bc->ca = (use & USE_CA) ? 0xff : 0;
	for (size_t i = 0; i < sizeof ku_bits / sizeof ku_bits[0]; i++) {
		if ((bits & ku_bits[i].flag) && ASN1_BIT_STRING_set_bit(ku, ku_bits[i].bit, 1) != 1)
			xalloc_die("ASN1_BIT_STRING_set_bit");
	}
	/* The subject key identifier: SHA-1 of the public key (RFC 5280, method 1). */
	if (X509_pubkey_digest(cert, EVP_sha1(), md, &md_len) != 1 ||
	    ASN1_OCTET_STRING_set(skid, md, (int)md_len) != 1)
		goto out;
	if (add_ext(cert, NID_basic_constraints, bc, true) < 0 ||
	    add_ext(cert, NID_key_usage, ku, true) < 0 ||
	    add_ext(cert, NID_subject_key_identifier, skid, false) < 0)
		goto out;
	issuer_skid = issuer != NULL ? X509_get0_subject_key_id(issuer) : skid;
	if (issuer_skid == NULL)
		goto out;
	akid->keyid = ASN1_OCTET_STRING_dup(issuer_skid);
	if (akid->keyid == NULL || add_ext(cert, NID_authority_key_identifier, akid, false) < 0)
		goto out;
	if (!(use & USE_CA)) {
		eku = sk_ASN1_OBJECT_new_null();
		if (eku == NULL)
			xalloc_die("sk_ASN1_OBJECT_new_null");
		if ((use & USE_SERVER) && sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) == 0)
			xalloc_die("sk_ASN1_OBJECT_push");
		if ((use & USE_CLIENT) && sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)) == 0)
			xalloc_die("sk_ASN1_OBJECT_push");
		if (add_ext(cert, NID_ext_key_usage, eku, false) < 0)
			goto out;
	}
	if (sans != NULL && sans->n > 0 && add_sans(cert, sans) < 0)
		goto out;
	rc = 0;
out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE_free(eku);
	ASN1_OCTET_STRING_free(skid);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/* The digest that goes with a signing key: SHA-384 for P-384, else SHA-256. */
static const EVP_MD *signing_digest(EVP_PKEY *key)
{
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) >= 384)
		return EVP_sha384();
	return EVP_sha256();
}

/* Build and sign the certificate of profile id for key. A CA signs itself;
 * a leaf is signed by its CA in e->c and never outlives it. Returns NULL with
 * e->err set. */
static X509 *cert_issue(struct ensure *e, enum cert_id id, EVP_PKEY *key,
			const X509_NAME *subject, const struct strlist *sans)
{
	const struct profile *pr = &profiles[id];
	const struct plan_pki *k = &e->p->pki;
	bool ca = (pr->use & USE_CA) != 0;
	X509 *issuer = ca ? NULL : e->c->slot[pr->issuer].cert;
	EVP_PKEY *signer = ca ? key : e->c->slot[pr->issuer].key;
	long days = (long)(ca ? k->ca_validity_days : k->leaf_validity_days);
	time_t now = e->now;
	X509 *cert = X509_new();

	if (cert == NULL)
		xalloc_die("X509_new");
	if (X509_set_version(cert, X509_VERSION_3) != 1 || set_random_serial(cert) < 0 ||
	    X509_set_subject_name(cert, subject) != 1 ||
	    X509_set_issuer_name(cert, issuer != NULL ? X509_get_subject_name(issuer) : subject) != 1 ||
	    X509_time_adj_ex(X509_getm_notBefore(cert), 0, -BACKDATE_SECONDS, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), (int)days, 0, &now) == NULL ||
	    X509_set_pubkey(cert, key) != 1)
		goto fail;
	if (issuer != NULL && ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(issuer)) > 0 &&
	    X509_set1_notAfter(cert, X509_get0_notAfter(issuer)) != 1)
		goto fail;
	if (add_extensions(cert, issuer, pr->use, k->algorithm, sans) < 0)
		goto fail;
	if (X509_sign(cert, signer, signing_digest(signer)) <= 0)
		goto fail;
	return cert;
fail:
	{
		char *what = xasprintf(_("cannot issue %s"), pr->name);

		fail_ossl(e, what);
		free(what);
	}
	X509_free(cert);
	return NULL;
}

/* ---- Checking what is on disk ----------------------------------------- */

/* Verify cert against ca alone (the CA may itself be an intermediate the
 * operator brought). Returns NULL, or OpenSSL's reason (a static string). */
static const char *verify_with(X509 *cert, X509 *ca)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	const char *why = NULL;

	if (store == NULL || ctx == NULL)
		xalloc_die("X509_STORE");
	if (X509_STORE_add_cert(store, ca) != 1 || X509_STORE_CTX_init(ctx, store, cert, NULL) != 1)
		xalloc_die("X509_STORE_CTX_init");
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(ctx) != 1)
		why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return why;
}

/* Format a time the way pki list shows it (UTC). */
static void format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		xsnprintf(buf, len, "?");
}

static time_t asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* Why the CA in slot id cannot be used with plan p, or NULL when it can. */
static char *ca_problem(const struct ensure *e, enum cert_id id)
{
	const struct cert_slot *s = &e->c->slot[id];
	const struct plan_pki *k = &e->p->pki;
	char *have = NULL, *want = NULL, *why = NULL;
	time_t now = e->now;
	char when[64];

	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		return xstrdup(_("its private key does not belong to its certificate"));
	}
	if (X509_check_ca(s->cert) != 1 || !(X509_get_key_usage(s->cert) & KU_KEY_CERT_SIGN))
		return xstrdup(_("its certificate is not a CA certificate"));
	if (X509_check_issued(s->cert, s->cert) == X509_V_OK &&
	    X509_verify(s->cert, X509_get0_pubkey(s->cert)) != 1) {
		ERR_clear_error();
		return xstrdup(_("its certificate's signature is broken"));
	}
	if (X509_cmp_time(X509_get0_notAfter(s->cert), &now) <= 0) {
		format_time(asn1_time_t(X509_get0_notAfter(s->cert)), when, sizeof when);
		return xasprintf(_("it expired on %s"), when);
	}
	if (X509_cmp_time(X509_get0_notBefore(s->cert), &now) > 0) {
		format_time(asn1_time_t(X509_get0_notBefore(s->cert)), when, sizeof when);
		return xasprintf(_("it is not valid before %s (is this machine's clock right?)"),
				 when);
	}
	if (!key_fits(s->key, k->algorithm, k->ca_key_size)) {
		have = key_describe(s->key);
		want = plan_key_describe(k->algorithm, k->ca_key_size);
		why = xasprintf(_("its key is %s but the plan asks for %s (pki.algorithm, "
				  "pki.caKeySize)"),
				have, want);
		free(have);
		free(want);
		return why;
	}
	return NULL;
}

/* Why the leaf in slot id must be re-issued, or NULL when it still fits the
 * plan. The slot's key is NULL when its file is missing or unreadable
 * (key_why then says why). */
static char *leaf_problem(const struct ensure *e, enum cert_id id, const char *key_why,
			  const char *want_subject, const struct strlist *want_sans)
{
	const struct profile *pr = &profiles[id];
	const struct cert_slot *s = &e->c->slot[id];
	const struct plan_pki *k = &e->p->pki;
	long renew = RENEW_BEFORE_SECONDS;
	time_t limit = 0;
	struct strlist have_sans = { 0 };
	char *have = NULL, *want = NULL, *why = NULL;
	const char *bad = NULL;
	char when[64];

	if (s->key == NULL)
		return key_why != NULL ? xasprintf(_("its key cannot be used: %s"), key_why)
				       : xstrdup(_("its key is missing"));
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		return xstrdup(_("its key does not belong to it"));
	}
	if (!key_fits(s->key, k->algorithm, k->leaf_key_size)) {
		have = key_describe(s->key);
		want = plan_key_describe(k->algorithm, k->leaf_key_size);
		why = xasprintf(_("its key is %s, the plan asks for %s"), have, want);
		goto out;
	}
	if ((long)k->leaf_validity_days * 86400 / 3 < renew)
		renew = (long)k->leaf_validity_days * 86400 / 3;
	limit = e->now + renew;
	if (X509_cmp_time(X509_get0_notAfter(s->cert), &limit) <= 0) {
		format_time(asn1_time_t(X509_get0_notAfter(s->cert)), when, sizeof when);
		why = xasprintf(_("it expires on %s"), when);
		goto out;
	}
	bad = verify_with(s->cert, e->c->slot[pr->issuer].cert);
	if (bad != NULL) {
		why = xasprintf(_("it does not verify against %s: %s"), profiles[pr->issuer].name,
				bad);
		goto out;
	}
	have = name_string(X509_get_subject_name(s->cert));
	if (strcmp(have, want_subject) != 0) {
		why = xasprintf(_("its subject changed from %s to %s"), have, want_subject);
		goto out;
	}
	cert_sans(s->cert, &have_sans);
	want = sans_diff(want_sans, &have_sans);
	if (want != NULL) {
		why = xasprintf(_("its SANs changed: %s"), want);
		goto out;
	}
	if (X509_check_ca(s->cert) != 0 ||
	    X509_get_key_usage(s->cert) != wanted_key_usage(pr->use, k->algorithm) ||
	    X509_get_extended_key_usage(s->cert) != wanted_ext_key_usage(pr->use))
		why = xstrdup(_("its usages changed"));
out:
	strlist_clear(&have_sans);
	free(have);
	free(want);
	return why;
}

/* ---- Writing ---------------------------------------------------------- */

/* Keys are 0600; a key file found wider than that is narrowed. */
static void tighten_key_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0 && chmod(path, 0600) == 0)
		log_warn(LOGS_PKI, "pki: %s was readable by others: now 0600", path);
}

/* Fill the slot's PEM text from its objects. */
static int slot_pems(struct ensure *e, enum cert_id id)
{
	struct cert_slot *s = &e->c->slot[id];

	free(s->cert_pem);
	free_secret(&s->key_pem);
	s->cert_pem = pem_cert(s->cert);
	s->key_pem = pem_key(s->key);
	if (s->cert_pem == NULL || s->key_pem == NULL) {
		fail_ossl(e, profiles[id].name);
		return -1;
	}
	return 0;
}

/* Write the slot's key (when new) then its certificate: a crash in between
 * leaves a pair that does not match, which the next run re-issues. */
static int slot_store(struct ensure *e, enum cert_id id, bool new_key)
{
	const struct profile *pr = &profiles[id];
	struct cert_slot *s = &e->c->slot[id];
	char *cert_path = path_of(e, pr->name, ".pem");
	char *key_path = path_of(e, pr->name, "-key.pem");
	int rc = -1;

	if (slot_pems(e, id) < 0)
		goto out;
	if (new_key &&
	    fileio_write_atomic(key_path, s->key_pem, strlen(s->key_pem), 0600, &e->err) < 0)
		goto out;
	if (fileio_write_atomic(cert_path, s->cert_pem, strlen(s->cert_pem), 0644, &e->err) < 0)
		goto out;
	rc = 0;
out:
	free(cert_path);
	free(key_path);
	return rc;
}

/* ---- The CAs ---------------------------------------------------------- */

/* Load the CA id if it is there and check that it serves the plan. An absent
 * pair is left for create_ca(). Returns 0, or -1 with e->err set. */
static int load_ca(struct ensure *e, enum cert_id id)
{
	const struct profile *pr = &profiles[id];
	struct cert_slot *s = &e->c->slot[id];
	char *cert_path = path_of(e, pr->name, ".pem");
	char *key_path = path_of(e, pr->name, "-key.pem");
	char *cert_why = NULL, *key_why = NULL, *problem = NULL;
	enum load_state cs = load_pem(cert_path, false, &s->cert, NULL, &cert_why);
	enum load_state ks = load_pem(key_path, true, NULL, &s->key, &key_why);
	int rc = -1;

	if (cs == LOAD_ABSENT && ks == LOAD_ABSENT) {
		rc = 0;
		goto out;
	}
	if (cs == LOAD_BAD)
		problem = xstrdup(cert_why);
	else if (ks == LOAD_BAD)
		problem = xstrdup(key_why);
	else if (cs == LOAD_ABSENT)
		problem = xasprintf(_("its certificate %s is missing"), cert_path);
	else if (ks == LOAD_ABSENT)
		problem = xasprintf(_("its private key %s is missing"), key_path);
	else
		problem = ca_problem(e, id);
	if (problem != NULL) {
		e->err = xasprintf(_("the CA %s cannot be used: %s. A CA is never replaced "
				     "automatically (every certificate it signed would stop "
				     "working): restore it from a backup or make the plan match "
				     "it; to start over with a new CA, remove %s and %s and install "
				     "again everything it signed"),
				   pr->name, problem, cert_path, key_path);
		goto out;
	}
	tighten_key_mode(key_path);
	if (slot_pems(e, id) < 0)
		goto out;
	s->action = CERTS_REUSED;
	log_info(LOGS_PKI, "pki: %s: reused", pr->name);
	rc = 0;
out:
	free(cert_path);
	free(key_path);
	free(cert_why);
	free(key_why);
	free(problem);
	return rc;
}

static int create_ca(struct ensure *e, enum cert_id id)
{
	const struct plan_pki *k = &e->p->pki;
	struct cert_slot *s = &e->c->slot[id];
	X509_NAME *subject = wanted_subject(e->p, &profiles[id]);
	int rc = -1;

	if (subject == NULL) {
		fail_ossl(e, profiles[id].name);
		goto out;
	}
	s->key = key_generate(k->algorithm, k->ca_key_size);
	if (s->key == NULL) {
		fail_ossl(e, _("cannot generate a key"));
		goto out;
	}
	s->cert = cert_issue(e, id, s->key, subject, NULL);
	if (s->cert == NULL || slot_store(e, id, true) < 0)
		goto out;
	s->action = CERTS_CREATED;
	log_info(LOGS_PKI, "pki: %s: created", profiles[id].name);
	rc = 0;
out:
	X509_NAME_free(subject);
	return rc;
}

/* ---- The leaves ------------------------------------------------------- */

static int ensure_leaf(struct ensure *e, enum cert_id id)
{
	const struct profile *pr = &profiles[id];
	const struct plan_pki *k = &e->p->pki;
	struct cert_slot *s = &e->c->slot[id];
	char *cert_path = path_of(e, pr->name, ".pem");
	char *key_path = path_of(e, pr->name, "-key.pem");
	char *cert_why = NULL, *key_why = NULL, *why = NULL, *want_subject = NULL;
	struct strlist sans = { 0 };
	X509_NAME *subject = wanted_subject(e->p, pr);
	enum load_state cs = LOAD_ABSENT;
	bool new_key = false;
	int rc = -1;

	if (subject == NULL) {
		fail_ossl(e, pr->name);
		goto out;
	}
	want_subject = name_string(subject);
	if (pr->sans != NULL && pr->sans(e->p, &sans, &e->err) < 0)
		goto out;
	cs = load_pem(cert_path, false, &s->cert, NULL, &cert_why);
	if (load_pem(key_path, true, NULL, &s->key, &key_why) == LOAD_OK)
		tighten_key_mode(key_path);
	if (cs == LOAD_OK) {
		why = leaf_problem(e, id, key_why, want_subject, &sans);
		if (why == NULL) {
			if (slot_pems(e, id) < 0)
				goto out;
			s->action = CERTS_REUSED;
			log_info(LOGS_PKI, "pki: %s: reused", pr->name);
			rc = 0;
			goto out;
		}
	} else if (cs == LOAD_BAD) {
		why = xstrdup(cert_why);
	}
	s->action = cs == LOAD_ABSENT ? CERTS_CREATED : CERTS_REISSUED;
	/* A key that still fits the plan is kept: re-issuing for a new SAN
	 * need not change what the component's key is. */
	if (s->key == NULL || !key_fits(s->key, k->algorithm, k->leaf_key_size)) {
		EVP_PKEY_free(s->key);
		s->key = key_generate(k->algorithm, k->leaf_key_size);
		new_key = true;
		if (s->key == NULL) {
			fail_ossl(e, _("cannot generate a key"));
			goto out;
		}
	}
	X509_free(s->cert);
	s->cert = cert_issue(e, id, s->key, subject, &sans);
	if (s->cert == NULL || slot_store(e, id, new_key) < 0)
		goto out;
	if (s->action == CERTS_REISSUED)
		log_info(LOGS_PKI, "pki: %s: re-issued: %s", pr->name, why);
	else
		log_info(LOGS_PKI, "pki: %s: created", pr->name);
	s->why = why;
	why = NULL;
	rc = 0;
out:
	X509_NAME_free(subject);
	strlist_clear(&sans);
	free(cert_path);
	free(key_path);
	free(cert_why);
	free(key_why);
	free(why);
	free(want_subject);
	return rc;
}

/* ---- The service-account key and the bootstrap token ------------------ */

/* Load sa.key if it is there; like a CA it is never replaced, since the
 * apiserver would then reject every service-account token it signed. */
static int load_sa(struct ensure *e)
{
	const struct plan_pki *k = &e->p->pki;
	char *path = path_of(e, SA_KEY_FILE, "");
	char *why = NULL, *problem = NULL, *have = NULL, *want = NULL;
	enum load_state st = load_pem(path, true, NULL, &e->c->sa_key, &why);
	int rc = -1;

	if (st == LOAD_BAD) {
		problem = xstrdup(why);
	} else if (st == LOAD_OK && !key_fits(e->c->sa_key, k->algorithm, k->leaf_key_size)) {
		have = key_describe(e->c->sa_key);
		want = plan_key_describe(k->algorithm, k->leaf_key_size);
		problem = xasprintf(_("its key is %s but the plan asks for %s (pki.algorithm, "
				      "pki.leafKeySize)"),
				    have, want);
	}
	if (problem != NULL) {
		e->err = xasprintf(_("the service-account key %s cannot be used: %s. It is never "
				     "replaced automatically (the apiservers would reject every "
				     "service-account token it signed): restore it from a backup or "
				     "make the plan match it, or remove it to create a new one"),
				   path, problem);
		goto out;
	}
	if (st == LOAD_OK)
		tighten_key_mode(path);
	rc = 0;
out:
	free(path);
	free(why);
	free(problem);
	free(have);
	free(want);
	return rc;
}

/* Create sa.key when absent, and (re)write sa.pub when it is not the public
 * half of sa.key: it is derived, nothing is lost by rewriting it. */
static int ensure_sa(struct ensure *e)
{
	const struct plan_pki *k = &e->p->pki;
	struct certs *c = e->c;
	char *key_path = path_of(e, SA_KEY_FILE, "");
	char *pub_path = path_of(e, SA_PUB_FILE, "");
	char *old_pub = NULL, *why = NULL;
	int rc = -1;

	if (c->sa_key == NULL) {
		c->sa_key = key_generate(k->algorithm, k->leaf_key_size);
		if (c->sa_key == NULL) {
			fail_ossl(e, _("cannot generate a key"));
			goto out;
		}
		c->sa_key_pem = pem_key(c->sa_key);
		if (c->sa_key_pem == NULL) {
			fail_ossl(e, SA_KEY_FILE);
			goto out;
		}
		if (fileio_write_atomic(key_path, c->sa_key_pem, strlen(c->sa_key_pem), 0600,
					&e->err) < 0)
			goto out;
		log_info(LOGS_PKI, "pki: %s: created", SA_KEY_FILE);
	} else {
		c->sa_key_pem = pem_key(c->sa_key);
		log_info(LOGS_PKI, "pki: %s: reused", SA_KEY_FILE);
	}
	c->sa_pub_pem = pem_pubkey(c->sa_key);
	if (c->sa_key_pem == NULL || c->sa_pub_pem == NULL) {
		fail_ossl(e, SA_KEY_FILE);
		goto out;
	}
	if (fileio_read(pub_path, PEM_MAX_SIZE, &old_pub, NULL, &why) != 0 ||
	    strcmp(old_pub, c->sa_pub_pem) != 0) {
		if (fileio_write_atomic(pub_path, c->sa_pub_pem, strlen(c->sa_pub_pem), 0644,
					&e->err) < 0)
			goto out;
		log_info(LOGS_PKI, "pki: %s: written", SA_PUB_FILE);
	}
	rc = 0;
out:
	free(key_path);
	free(pub_path);
	free(old_pub);
	free(why);
	return rc;
}

static bool token_valid(const char *s)
{
	if (strlen(s) != 32)
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	}
	return true;
}

/* Load the bootstrap token, or make one from the OpenSSL RNG (the guide: 16
 * random bytes in hex). A token kubelets may already have joined with is never
 * replaced. */
static int ensure_token(struct ensure *e, bool create)
{
	char *path = path_of(e, TOKEN_FILE, "");
	char *text = NULL, *why = NULL, *line = NULL;
	unsigned char raw[16];
	size_t len = 0;
	int rc = -1;
	int st = fileio_read(path, 4096, &text, &len, &why);

	if (st < 0) {
		e->err = xasprintf(_("the bootstrap token cannot be read: %s"), why);
		goto out;
	}
	if (st == 0) {
		if (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		if (!token_valid(text)) {
			e->err = xasprintf(_("%s does not hold a bootstrap token (32 hexadecimal "
					     "digits): correct it, or remove it to create a new one"),
					   path);
			goto out;
		}
		memcpy(e->c->token, text, 33);
		tighten_key_mode(path);
		rc = 0;
		goto out;
	}
	if (!create) {
		rc = 0;
		goto out;
	}
	if (RAND_bytes(raw, sizeof raw) != 1) {
		fail_ossl(e, _("cannot make a bootstrap token"));
		goto out;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		xsnprintf(e->c->token + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof raw);
	line = xasprintf("%s\n", e->c->token);
	if (fileio_write_atomic(path, line, strlen(line), 0600, &e->err) < 0)
		goto out;
	log_info(LOGS_PKI, "pki: %s: created", TOKEN_FILE);
	rc = 0;
out:
	if (text != NULL)
		OPENSSL_cleanse(text, len);
	free(text);
	free_secret(&line);
	free(path);
	free(why);
	return rc;
}

/* ---- The module's interface ------------------------------------------- */

int certs_ensure(const struct plan *p, const char *dir, struct certs **out, char **err)
{
	struct ensure e = { .p = p, .dir = dir, .now = time(NULL) };
	int rc = -1;

	*out = NULL;
	*err = NULL;
	if (statedir_create(dir, err) < 0)
		return -1;
	e.c = xcalloc(1, sizeof *e.c);
	/* Everything that is never replaced is checked before anything is
	 * written, so a refusal leaves the directory as it was. */
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		if (certs_is_ca(id) && load_ca(&e, id) < 0)
			goto out;
	}
	if (load_sa(&e) < 0 || ensure_token(&e, false) < 0)
		goto out;
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		if (certs_is_ca(id) && e.c->slot[id].cert == NULL && create_ca(&e, id) < 0)
			goto out;
	}
	/* CAs come first in enum cert_id, so every issuer is ready. */
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		if (!certs_is_ca(id) && ensure_leaf(&e, id) < 0)
			goto out;
	}
	if (ensure_sa(&e) < 0 || (e.c->token[0] == '\0' && ensure_token(&e, true) < 0))
		goto out;
	*out = e.c;
	e.c = NULL;
	rc = 0;
out:
	certs_free(&e.c);
	if (rc < 0) {
		*err = e.err != NULL ? e.err : xstrdup(_("cannot set up the PKI"));
		e.err = NULL;
	}
	free(e.err);
	return rc;
}

void certs_free(struct certs **cp)
{
	struct certs *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < CERT_COUNT; i++) {
		struct cert_slot *s = &c->slot[i];

		X509_free(s->cert);
		EVP_PKEY_free(s->key);
		free(s->cert_pem);
		free_secret(&s->key_pem);
		free(s->why);
	}
	EVP_PKEY_free(c->sa_key);
	free_secret(&c->sa_key_pem);
	free(c->sa_pub_pem);
	OPENSSL_cleanse(c->token, sizeof c->token);
	free(c);
	*cp = NULL;
}

const char *certs_cert_pem(const struct certs *c, enum cert_id id)
{
	return id < CERT_COUNT ? c->slot[id].cert_pem : NULL;
}

const char *certs_key_pem(const struct certs *c, enum cert_id id)
{
	return id < CERT_COUNT ? c->slot[id].key_pem : NULL;
}

const char *certs_sa_key_pem(const struct certs *c)
{
	return c->sa_key_pem;
}

const char *certs_sa_pub_pem(const struct certs *c)
{
	return c->sa_pub_pem;
}

const char *certs_bootstrap_token(const struct certs *c)
{
	return c->token;
}

char *certs_token_csv(const struct certs *c)
{
	return xasprintf("%s,kubelet-bootstrap,10001,\"system:kubelet-bootstrap\"\n", c->token);
}

enum certs_action certs_action(const struct certs *c, enum cert_id id, const char **why)
{
	if (why != NULL)
		*why = id < CERT_COUNT ? c->slot[id].why : NULL;
	return id < CERT_COUNT ? c->slot[id].action : CERTS_REUSED;
}

int certs_info(const struct certs *c, enum cert_id id, struct certs_info *out)
{
	X509 *cert = id < CERT_COUNT ? c->slot[id].cert : NULL;
	struct strlist sans = { 0 };
	BIGNUM *serial = NULL;
	char *hex = NULL;
	size_t len = 0;

	memset(out, 0, sizeof *out);
	if (cert == NULL)
		return -1;
	out->subject = name_string(X509_get_subject_name(cert));
	out->issuer = name_string(X509_get_issuer_name(cert));
	cert_sans(cert, &sans);
	for (size_t i = 0; i < sans.n; i++)
		len += strlen(sans.v[i]) + 1;
	out->sans = xcalloc(len + 1, 1);
	len = 0;
	for (size_t i = 0; i < sans.n; i++) {
		size_t n = strlen(sans.v[i]);

		if (i > 0)
			out->sans[len++] = ',';
		memcpy(out->sans + len, sans.v[i], n);
		len += n;
	}
	strlist_clear(&sans);
	out->usages = usage_string(cert);
	out->key = key_describe(X509_get0_pubkey(cert));
	serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	hex = serial != NULL ? BN_bn2hex(serial) : NULL;
	out->serial = xstrdup(hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(serial);
	out->not_before = asn1_time_t(X509_get0_notBefore(cert));
	out->not_after = asn1_time_t(X509_get0_notAfter(cert));
	return 0;
}

void certs_info_clear(struct certs_info *info)
{
	xfree(&info->subject);
	xfree(&info->issuer);
	xfree(&info->sans);
	xfree(&info->usages);
	xfree(&info->key);
	xfree(&info->serial);
}
