/* Tests of the PKI: what a TLS peer and RBAC check (extensions, chains, SANs,
 * subjects, key pairs, a real handshake), and how a second run treats what is
 * on disk (reuse, re-issue, refusal to touch a CA). Checks decode the
 * certificates with OpenSSL directly rather than through certs.c.
 * ECDSA P-256 keeps them fast; one test covers RSA. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certs.h"
#include "fileio.h"
#include "pki_fixture.h"
#include "plan.h"
#include "statedir.h"
#include "xmalloc.h"

/* What the issue and the guide ask of each certificate. */
static const struct expect {
	enum cert_id id;
	const char *name;
	enum cert_id issuer;
	const char *cn, *o, *ou;
	bool ca, server, client;
} expected[CERT_COUNT] = {
	{ CERT_ETCD_CA, "etcd-ca", CERT_ETCD_CA, "etcd-ca", "dingding", "System", true, false, false },
	{ CERT_K8S_CA, "k8s-ca", CERT_K8S_CA, "kubernetes", "dingding", "System", true, false, false },
	{ CERT_KUBELET_CA, "kubelet-ca", CERT_KUBELET_CA, "kubelet-ca", "dingding", "System", true,
	  false, false },
	{ CERT_AGG_CA, "agg-ca", CERT_AGG_CA, "agg-ca", "dingding", "System", true, false, false },
	{ CERT_KUBELET_SIGNING_CA, "kubelet-signing-ca", CERT_KUBELET_SIGNING_CA,
	  "kubelet-signing-ca", "dingding", "System", true, false, false },
	{ CERT_ETCD_PEER, "etcd-peer", CERT_ETCD_CA, "etcd", "dingding", "System", false, true,
	  true },
	{ CERT_APISERVER, "apiserver", CERT_K8S_CA, "kubernetes", "dingding", "System", false, true,
	  false },
	{ CERT_CONTROLLER_MANAGER, "controller-manager", CERT_K8S_CA,
	  "system:kube-controller-manager", "system:kube-controller-manager", "system", false, true,
	  true },
	{ CERT_KUBE_SCHEDULER, "kube-scheduler", CERT_K8S_CA, "system:kube-scheduler",
	  "system:kube-scheduler", "system", false, true, true },
	{ CERT_ADMIN, "admin", CERT_K8S_CA, "admin", "system:masters", "system", false, false, true },
	{ CERT_KUBELET_CLIENT, "kubelet-client", CERT_KUBELET_CA, "kubeletadmin", "dingding",
	  "System", false, false, true },
	{ CERT_AGG, "agg", CERT_AGG_CA, "aggregator", "dingding", "System", false, false, true },
	{ CERT_APISERVER_ETCD_CLIENT, "apiserver-etcd-client", CERT_ETCD_CA,
	  "kube-apiserver-etcd-client", "dingding", "System", false, false, true },
};

/* The default plan's SANs, in the guide's order. */
static const char *const sans_etcd[] = { "IP:10.1.1.1", "IP:10.1.1.2", "IP:10.1.1.3",
					 "IP:127.0.0.1", "DNS:localhost", NULL };
static const char *const sans_apiserver[] = {
	"IP:127.0.0.1",	      "IP:10.1.1.1",
	"IP:10.1.1.2",	      "IP:10.1.1.3",
	"IP:10.1.1.10",	      "IP:192.168.0.1",
	"DNS:localhost",      "DNS:kubernetes",
	"DNS:kubernetes.default", "DNS:kubernetes.default.svc",
	"DNS:kubernetes.default.svc.cluster", "DNS:kubernetes.default.svc.cluster.local",
	NULL,
};
static const char *const sans_masters[] = { "IP:127.0.0.1", "IP:10.1.1.1", "IP:10.1.1.2",
					    "IP:10.1.1.3", NULL };
static const char *const sans_none[] = { NULL };

static const char *const *expected_sans(enum cert_id id)
{
	switch (id) {
	case CERT_ETCD_PEER:
		return sans_etcd;
	case CERT_APISERVER:
		return sans_apiserver;
	case CERT_CONTROLLER_MANAGER:
	case CERT_KUBE_SCHEDULER:
		return sans_masters;
	default:
		return sans_none;
	}
}

static X509 *cert_of(const struct certs *c, enum cert_id id)
{
	return pki_fixture_x509(certs_cert_pem(c, id));
}

/* One attribute of a name, or NULL. The caller frees it. */
static char *name_part(const X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	const ASN1_STRING *s = NULL;

	if (i < 0)
		return NULL;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return xstrndup((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
}

static void assert_name_part(const X509_NAME *name, int nid, const char *want)
{
	char *have = name_part(name, nid);

	assert_non_null(have);
	assert_string_equal(have, want);
	free(have);
}

/* The certificate's SANs as "IP:..."/"DNS:..." strings, decoded here with
 * inet_ntop rather than by the module under test. */
static char **sans_of(X509 *x, size_t *n)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int count = names != NULL ? sk_GENERAL_NAME_num(names) : 0;
	char **v = xcalloc((size_t)count + 1, sizeof *v);

	for (int i = 0; i < count; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		char text[64];

		if (g->type == GEN_DNS) {
			v[i] = xasprintf("DNS:%s", (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		} else {
			assert_int_equal(g->type, GEN_IPADD);
			assert_int_equal(ASN1_STRING_length(g->d.iPAddress), 4);
			assert_non_null(inet_ntop(AF_INET, ASN1_STRING_get0_data(g->d.iPAddress),
						  text, sizeof text));
			v[i] = xasprintf("IP:%s", text);
		}
	}
	GENERAL_NAMES_free(names);
	*n = (size_t)count;
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Verify x against ca alone, as a TLS peer trusting only ca would; purpose
 * 0 checks no purpose. Returns the X509_V_* result. */
static int verify_against(X509 *x, X509 *ca, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = 0;

	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	if (purpose != 0)
		assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	if (rc == X509_V_OK)
		assert_int_equal(X509_STORE_CTX_get_error(ctx), X509_V_OK);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

static char *serial_hex(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = BN_bn2hex(bn);
	char *copy = xstrdup(hex);

	OPENSSL_free(hex);
	BN_free(bn);
	return copy;
}

/* ---- Names and the certificate table ------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < CERT_COUNT; i++) {
		const struct expect *x = &expected[i];

		assert_int_equal(x->id, (enum cert_id)i);
		assert_string_equal(certs_name(x->id), x->name);
		assert_int_equal(certs_issuer(x->id), x->issuer);
		assert_int_equal(certs_is_ca(x->id), x->ca);
	}
}

/* ---- Every extension of every certificate -------------------------------- */

static void check_key_usage(X509 *x, const struct expect *e, bool rsa)
{
	int crit = -1;
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	/* digitalSignature(0), keyEncipherment(2), keyCertSign(5), cRLSign(6) */
	bool want[9] = { false };

	assert_non_null(ku);
	assert_int_equal(crit, 1);
	want[0] = true;
	if (e->ca) {
		want[5] = want[6] = true;
	} else if (rsa) {
		want[2] = true;
	}
	for (int bit = 0; bit < 9; bit++)
		assert_int_equal(ASN1_BIT_STRING_get_bit(ku, bit), want[bit]);
	ASN1_BIT_STRING_free(ku);
}

static void check_ext_key_usage(X509 *x, const struct expect *e)
{
	int crit = -1;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	bool server = false, client = false;

	if (e->ca) {
		assert_null(eku);
		return;
	}
	assert_non_null(eku);
	assert_int_equal(crit, 0);
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));

		assert_true(nid == NID_server_auth || nid == NID_client_auth);
		server |= nid == NID_server_auth;
		client |= nid == NID_client_auth;
	}
	assert_int_equal(sk_ASN1_OBJECT_num(eku), (int)e->server + (int)e->client);
	assert_int_equal(server, e->server);
	assert_int_equal(client, e->client);
	EXTENDED_KEY_USAGE_free(eku);
}

/* SKID is the SHA-1 of the public key; AKID names the issuer's SKID. */
static void check_key_ids(X509 *x, X509 *issuer)
{
	ASN1_OCTET_STRING *skid = X509_get_ext_d2i(x, NID_subject_key_identifier, NULL, NULL);
	ASN1_OCTET_STRING *issuer_skid =
		X509_get_ext_d2i(issuer, NID_subject_key_identifier, NULL, NULL);
	AUTHORITY_KEYID *akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	const ASN1_BIT_STRING *pub = X509_get0_pubkey_bitstr(x);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;

	assert_non_null(skid);
	assert_non_null(issuer_skid);
	assert_non_null(akid);
	assert_int_equal(EVP_Digest(ASN1_STRING_get0_data(pub), (size_t)ASN1_STRING_length(pub),
				    md, &md_len, EVP_sha1(), NULL),
			 1);
	assert_int_equal(ASN1_STRING_length(skid), (int)md_len);
	assert_memory_equal(ASN1_STRING_get0_data(skid), md, md_len);
	assert_non_null(akid->keyid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, issuer_skid), 0);
	ASN1_OCTET_STRING_free(skid);
	ASN1_OCTET_STRING_free(issuer_skid);
	AUTHORITY_KEYID_free(akid);
}

static void check_certificate(const struct certs *c, const struct expect *e, const struct plan *p)
{
	X509 *x = cert_of(c, e->id);
	X509 *issuer = cert_of(c, e->issuer);
	int crit = -1;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	const X509_NAME *subject = X509_get_subject_name(x);
	BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	int days = 0, secs = 0;

	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	/* basicConstraints: critical, CA:TRUE only on the CAs. */
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_int_equal(bc->ca != 0, e->ca);
	assert_null(bc->pathlen);
	BASIC_CONSTRAINTS_free(bc);
	check_key_usage(x, e, p->pki.algorithm == KEY_RSA);
	check_ext_key_usage(x, e);
	check_key_ids(x, issuer);
	/* Subject as RBAC reads it, C/ST/L from the plan. */
	assert_name_part(subject, NID_commonName, e->cn);
	assert_name_part(subject, NID_organizationName, e->o);
	assert_name_part(subject, NID_organizationalUnitName, e->ou);
	assert_name_part(subject, NID_countryName, "CN");
	assert_name_part(subject, NID_stateOrProvinceName, "GD");
	assert_name_part(subject, NID_localityName, "Shenzhen");
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(issuer)), 0);
	/* A positive serial of at most 128 bits, and more than 64 of them set
	 * (a random one falls below with probability 2^-64). */
	assert_false(BN_is_negative(serial));
	assert_true(BN_num_bits(serial) <= 128);
	assert_true(BN_num_bits(serial) > 64);
	BN_free(serial);
	/* Validity from the plan, back-dated five minutes. */
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
					X509_get0_notAfter(x)),
			 1);
	assert_int_equal(days, (int)(e->ca ? p->pki.ca_validity_days : p->pki.leaf_validity_days));
	assert_int_equal(secs, 300);
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
	X509_free(x);
	X509_free(issuer);
}

static void test_extensions(void **state)
{
	struct plan *p = pki_fixture_plan("ext", KEY_ECDSA, 256, 256);
	struct certs *c = NULL;
	char *serials[CERT_COUNT] = { NULL };

	(void)state;
	p->pki.ca_validity_days = 7300;
	p->pki.leaf_validity_days = 400;
	c = pki_fixture_ensure(p);
	for (size_t i = 0; i < CERT_COUNT; i++) {
		X509 *x = cert_of(c, (enum cert_id)i);

		check_certificate(c, &expected[i], p);
		serials[i] = serial_hex(x);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(serials[i], serials[j]);
		X509_free(x);
	}
	for (size_t i = 0; i < CERT_COUNT; i++)
		free(serials[i]);
	certs_free(&c);
	plan_free(&p);
}

/* ---- Chains, purposes and SANs -------------------------------------------- */

static void test_chains(void **state)
{
	struct plan *p = pki_fixture_plan("chains", KEY_ECDSA, 256, 256);
	struct certs *c = pki_fixture_ensure(p);

	(void)state;
	for (size_t i = 0; i < CERT_COUNT; i++) {
		const struct expect *e = &expected[i];
		X509 *x = cert_of(c, e->id);

		for (enum cert_id ca = 0; ca < CERT_COUNT; ca++) {
			X509 *cax = NULL;

			if (!certs_is_ca(ca))
				continue;
			cax = cert_of(c, ca);
			if (ca == e->issuer)
				assert_int_equal(verify_against(x, cax, 0), X509_V_OK);
			else
				assert_int_not_equal(verify_against(x, cax, 0), X509_V_OK);
			X509_free(cax);
		}
		if (!e->ca) {
			X509 *cax = cert_of(c, e->issuer);

			assert_int_equal(verify_against(x, cax, X509_PURPOSE_SSL_SERVER) == X509_V_OK,
					 e->server);
			assert_int_equal(verify_against(x, cax, X509_PURPOSE_SSL_CLIENT) == X509_V_OK,
					 e->client);
			X509_free(cax);
		}
		X509_free(x);
	}
	certs_free(&c);
	plan_free(&p);
}

static void test_default_sans(void **state)
{
	struct plan *p = pki_fixture_plan("sans", KEY_ECDSA, 256, 256);
	struct certs *c = pki_fixture_ensure(p);

	(void)state;
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		const char *const *want = expected_sans(id);
		X509 *x = cert_of(c, id);
		size_t n = 0, n_want = 0;
		char **have = sans_of(x, &n);

		while (want[n_want] != NULL)
			n_want++;
		assert_int_equal(n, n_want);
		for (size_t i = 0; i < n; i++)
			assert_string_equal(have[i], want[i]);
		if (n_want == 0)
			assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
		free_list(have, n);
		X509_free(x);
	}
	certs_free(&c);
	plan_free(&p);
}

/* The apiserver's names follow network.clusterDomain, the service range and
 * the VIP of the plan. */
static void test_apiserver_sans_follow_plan(void **state)
{
	struct plan *p = pki_fixture_plan("sans-plan", KEY_ECDSA, 256, 256);
	struct certs *c = NULL;
	X509 *x = NULL;
	size_t n = 0;
	char **have = NULL;
	bool vip = false, svc = false, domain = false, old_domain = false;

	(void)state;
	plan_set_string(&p->network.cluster_domain, "example.org");
	plan_set_string(&p->network.service_cidr, "10.96.0.0/12");
	plan_set_string(&p->network.cluster_dns, "10.96.0.10");
	plan_set_string(&p->network.apiserver_vip, "10.1.1.20");
	pki_fixture_check(p);
	c = pki_fixture_ensure(p);
	x = cert_of(c, CERT_APISERVER);
	have = sans_of(x, &n);
	for (size_t i = 0; i < n; i++) {
		vip |= strcmp(have[i], "IP:10.1.1.20") == 0;
		svc |= strcmp(have[i], "IP:10.96.0.1") == 0;
		domain |= strcmp(have[i], "DNS:kubernetes.default.svc.example.org") == 0;
		old_domain |= strcmp(have[i], "DNS:kubernetes.default.svc.cluster.local") == 0;
	}
	assert_true(vip && svc && domain);
	assert_false(old_domain);
	assert_int_equal(n, 12);
	free_list(have, n);
	X509_free(x);
	certs_free(&c);

	/* The local endpoint has no VIP: a VIP left in the plan is not named. */
	p->network.apiserver_endpoint = ENDPOINT_LOCAL;
	c = pki_fixture_ensure(p);
	x = cert_of(c, CERT_APISERVER);
	have = sans_of(x, &n);
	vip = false;
	for (size_t i = 0; i < n; i++)
		vip |= strcmp(have[i], "IP:10.1.1.20") == 0;
	assert_false(vip);
	assert_int_equal(n, 11);
	free_list(have, n);
	X509_free(x);
	certs_free(&c);
	plan_set_string(&p->network.apiserver_vip, NULL);
	c = pki_fixture_ensure(p);
	x = cert_of(c, CERT_APISERVER);
	have = sans_of(x, &n);
	assert_int_equal(n, 11);
	free_list(have, n);
	X509_free(x);
	certs_free(&c);
	plan_free(&p);
}

/* ---- Keys -------------------------------------------------------------------- */

static void test_keys_match(void **state)
{
	struct plan *p = pki_fixture_plan("keys", KEY_ECDSA, 256, 256);
	struct certs *c = pki_fixture_ensure(p);
	EVP_PKEY *sa = pki_fixture_key(certs_sa_key_pem(c));
	BIO *bio = BIO_new_mem_buf(certs_sa_pub_pem(c), -1);
	EVP_PKEY *sa_pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);

	(void)state;
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		X509 *x = cert_of(c, id);
		EVP_PKEY *k = pki_fixture_key(certs_key_pem(c, id));

		assert_int_equal(X509_check_private_key(x, k), 1);
		assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
		assert_int_equal(EVP_PKEY_get_bits(k), 256);
		assert_non_null(strstr(certs_key_pem(c, id), "-----BEGIN PRIVATE KEY-----"));
		/* No two certificates share a key. */
		for (enum cert_id other = 0; other < id; other++) {
			EVP_PKEY *o = pki_fixture_key(certs_key_pem(c, other));

			assert_int_not_equal(EVP_PKEY_eq(k, o), 1);
			EVP_PKEY_free(o);
		}
		EVP_PKEY_free(k);
		X509_free(x);
	}
	assert_non_null(sa_pub);
	assert_int_equal(EVP_PKEY_eq(sa, sa_pub), 1);
	EVP_PKEY_free(sa);
	EVP_PKEY_free(sa_pub);
	BIO_free(bio);
	certs_free(&c);
	plan_free(&p);
}

/* An RSA plan (2048-bit keys keep it quick): keyEncipherment on leaves,
 * SHA-256 RSA signatures, the key sizes of the plan. */
static void test_rsa(void **state)
{
	struct plan *p = pki_fixture_plan("rsa", KEY_RSA, 2048, 2048);
	struct certs *c = pki_fixture_ensure(p);

	(void)state;
	for (size_t i = 0; i < CERT_COUNT; i++) {
		X509 *x = cert_of(c, expected[i].id);
		X509 *ca = cert_of(c, expected[i].issuer);
		EVP_PKEY *k = pki_fixture_key(certs_key_pem(c, expected[i].id));

		check_certificate(c, &expected[i], p);
		assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
		assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA);
		assert_int_equal(EVP_PKEY_get_bits(k), 2048);
		assert_int_equal(X509_check_private_key(x, k), 1);
		assert_int_equal(verify_against(x, ca, 0), X509_V_OK);
		EVP_PKEY_free(k);
		X509_free(ca);
		X509_free(x);
	}
	certs_free(&c);
	plan_free(&p);
}

/* ---- Files on disk --------------------------------------------------------- */

static mode_t mode_of(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	free(path);
	return st.st_mode & 07777;
}

static void test_file_modes(void **state)
{
	struct plan *p = pki_fixture_plan("modes", KEY_ECDSA, 256, 256);
	char *dir = pki_fixture_dir(p->name);
	struct certs *c = pki_fixture_ensure(p);
	struct stat st;

	(void)state;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		char *key = xasprintf("%s-key.pem", certs_name(id));
		char *crt = xasprintf("%s.pem", certs_name(id));
		char *text = pki_fixture_read(dir, crt);

		assert_int_equal(mode_of(dir, key), 0600);
		assert_int_equal(mode_of(dir, crt), 0644);
		assert_string_equal(text, certs_cert_pem(c, id));
		free(text);
		text = pki_fixture_read(dir, key);
		assert_string_equal(text, certs_key_pem(c, id));
		free(text);
		free(key);
		free(crt);
	}
	assert_int_equal(mode_of(dir, "sa.key"), 0600);
	assert_int_equal(mode_of(dir, "sa.pub"), 0644);
	assert_int_equal(mode_of(dir, "bootstrap-token"), 0600);
	certs_free(&c);

	/* A key found readable by others is narrowed back to 0600. */
	{
		char *path = xasprintf("%s/admin-key.pem", dir);

		assert_int_equal(chmod(path, 0644), 0);
		c = pki_fixture_ensure(p);
		assert_int_equal(mode_of(dir, "admin-key.pem"), 0600);
		assert_int_equal(certs_action(c, CERT_ADMIN, NULL), CERTS_REUSED);
		free(path);
	}
	certs_free(&c);
	free(dir);
	plan_free(&p);
}

/* Every file of a directory, to show that a refused run wrote nothing. */
struct snapshot {
	char *names[64];
	char *texts[64];
	size_t n;
};

static void snapshot_take(struct snapshot *s, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent = NULL;

	assert_non_null(d);
	s->n = 0;
	while ((ent = readdir(d)) != NULL) {
		if (ent->d_name[0] == '.')
			continue;
		assert_true(s->n < 64);
		s->names[s->n] = xstrdup(ent->d_name);
		s->texts[s->n] = pki_fixture_read(dir, ent->d_name);
		s->n++;
	}
	closedir(d);
}

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->names[i]);
		free(s->texts[i]);
	}
	s->n = 0;
}

static void assert_unchanged(const struct snapshot *before, const char *dir)
{
	struct snapshot after;

	snapshot_take(&after, dir);
	assert_int_equal(after.n, before->n);
	for (size_t i = 0; i < before->n; i++) {
		char *text = pki_fixture_read(dir, before->names[i]);

		assert_non_null(text);
		assert_string_equal(text, before->texts[i]);
		free(text);
	}
	snapshot_free(&after);
}

/* ---- Second runs --------------------------------------------------------------- */

static void test_reuse(void **state)
{
	struct plan *p = pki_fixture_plan("reuse", KEY_ECDSA, 256, 256);
	struct certs *a = pki_fixture_ensure(p);
	struct certs *b = NULL;
	char *dir = pki_fixture_dir(p->name);
	struct snapshot before;

	(void)state;
	for (enum cert_id id = 0; id < CERT_COUNT; id++)
		assert_int_equal(certs_action(a, id, NULL), CERTS_CREATED);
	snapshot_take(&before, dir);
	b = pki_fixture_ensure(p);
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		X509 *xa = cert_of(a, id), *xb = cert_of(b, id);
		const char *why = "unset";

		assert_int_equal(certs_action(b, id, &why), CERTS_REUSED);
		assert_null(why);
		assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa),
						  X509_get0_serialNumber(xb)),
				 0);
		assert_string_equal(certs_cert_pem(a, id), certs_cert_pem(b, id));
		assert_string_equal(certs_key_pem(a, id), certs_key_pem(b, id));
		X509_free(xa);
		X509_free(xb);
	}
	assert_string_equal(certs_sa_key_pem(a), certs_sa_key_pem(b));
	assert_string_equal(certs_sa_pub_pem(a), certs_sa_pub_pem(b));
	assert_string_equal(certs_bootstrap_token(a), certs_bootstrap_token(b));
	assert_unchanged(&before, dir);
	snapshot_free(&before);
	certs_free(&a);
	certs_free(&b);
	free(dir);
	plan_free(&p);
}

static void add_master(struct plan *p, const char *name, const char *address)
{
	struct plan_host h = { .name = (char *)name, .address = (char *)address,
			       .roles = ROLE_MASTER | ROLE_ETCD };

	plan_add_host(p, &h);
}

/* Two masters more (etcd keeps an odd size): exactly the four leaves that name
 * the masters are re-issued, keeping their keys; nothing else changes. */
static void test_add_master(void **state)
{
	struct plan *p = pki_fixture_plan("grow", KEY_ECDSA, 256, 256);
	struct certs *a = pki_fixture_ensure(p);
	struct certs *b = NULL;

	(void)state;
	add_master(p, "master4", "10.1.1.6");
	add_master(p, "master5", "10.1.1.7");
	pki_fixture_check(p);
	b = pki_fixture_ensure(p);
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		bool reissue = id == CERT_ETCD_PEER || id == CERT_APISERVER ||
			       id == CERT_CONTROLLER_MANAGER || id == CERT_KUBE_SCHEDULER;
		X509 *xa = cert_of(a, id), *xb = cert_of(b, id);
		const char *why = NULL;
		size_t n = 0;
		char **sans = NULL;
		bool has4 = false, has5 = false;

		assert_int_equal(certs_action(b, id, &why), reissue ? CERTS_REISSUED : CERTS_REUSED);
		assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa),
						  X509_get0_serialNumber(xb)) != 0,
				 reissue);
		assert_string_equal(certs_key_pem(a, id), certs_key_pem(b, id));
		if (reissue) {
			assert_non_null(why);
			assert_non_null(strstr(why, "IP:10.1.1.6"));
			sans = sans_of(xb, &n);
			for (size_t i = 0; i < n; i++) {
				has4 |= strcmp(sans[i], "IP:10.1.1.6") == 0;
				has5 |= strcmp(sans[i], "IP:10.1.1.7") == 0;
			}
			assert_true(has4 && has5);
			free_list(sans, n);
		}
		X509_free(xa);
		X509_free(xb);
	}
	certs_free(&a);
	certs_free(&b);
	plan_free(&p);
}

/* A new pki.subject.organization reaches the leaves that carry it; those whose
 * O is fixed by RBAC (admin, controller-manager, scheduler) and the CAs stay. */
static void test_subject_change(void **state)
{
	struct plan *p = pki_fixture_plan("subject", KEY_ECDSA, 256, 256);
	struct certs *a = pki_fixture_ensure(p);
	struct certs *b = NULL;

	(void)state;
	plan_set_string(&p->pki.subject.organization, "example");
	pki_fixture_check(p);
	b = pki_fixture_ensure(p);
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		bool reissue = id == CERT_ETCD_PEER || id == CERT_APISERVER ||
			       id == CERT_KUBELET_CLIENT || id == CERT_AGG ||
			       id == CERT_APISERVER_ETCD_CLIENT;

		assert_int_equal(certs_action(b, id, NULL), reissue ? CERTS_REISSUED : CERTS_REUSED);
		if (reissue) {
			X509 *x = cert_of(b, id);

			assert_name_part(X509_get_subject_name(x), NID_organizationName, "example");
			X509_free(x);
		}
	}
	certs_free(&a);
	certs_free(&b);
	plan_free(&p);
}

/* Leaves that lost their key, were damaged, or whose CA was replaced on
 * purpose are re-issued. */
static void test_leaf_repair(void **state)
{
	struct plan *p = pki_fixture_plan("repair", KEY_ECDSA, 256, 256);
	char *dir = pki_fixture_dir(p->name);
	struct certs *a = pki_fixture_ensure(p);
	struct certs *b = NULL;
	char *path = NULL, *err = NULL;
	const char *why = NULL;

	(void)state;
	path = xasprintf("%s/admin-key.pem", dir);
	assert_int_equal(unlink(path), 0);
	free(path);
	path = xasprintf("%s/agg.pem", dir);
	assert_int_equal(fileio_write_atomic(path, "garbage\n", 8, 0644, &err), 0);
	free(path);
	b = pki_fixture_ensure(p);
	assert_int_equal(certs_action(b, CERT_ADMIN, &why), CERTS_REISSUED);
	assert_non_null(strstr(why, "key"));
	assert_string_not_equal(certs_key_pem(a, CERT_ADMIN), certs_key_pem(b, CERT_ADMIN));
	assert_int_equal(certs_action(b, CERT_AGG, &why), CERTS_REISSUED);
	assert_int_equal(certs_action(b, CERT_KUBELET_CLIENT, NULL), CERTS_REUSED);
	certs_free(&b);

	/* The operator removed k8s-ca to start over: a new CA, and every leaf
	 * it signs is re-issued because it no longer verifies. */
	path = xasprintf("%s/k8s-ca.pem", dir);
	assert_int_equal(unlink(path), 0);
	free(path);
	path = xasprintf("%s/k8s-ca-key.pem", dir);
	assert_int_equal(unlink(path), 0);
	free(path);
	b = pki_fixture_ensure(p);
	for (enum cert_id id = 0; id < CERT_COUNT; id++) {
		enum certs_action want = CERTS_REUSED;

		if (id == CERT_K8S_CA)
			want = CERTS_CREATED;
		else if (!certs_is_ca(id) && certs_issuer(id) == CERT_K8S_CA)
			want = CERTS_REISSUED;
		assert_int_equal(certs_action(b, id, &why), want);
		if (want == CERTS_REISSUED)
			assert_non_null(strstr(why, "k8s-ca"));
	}
	certs_free(&a);
	certs_free(&b);
	free(dir);
	plan_free(&p);
}

/* ---- Refusals: a CA is never replaced ------------------------------------------- */

/* certs_ensure must fail with a message naming what, and write nothing. */
static void assert_refused(const struct plan *p, const char *what1, const char *what2)
{
	char *dir = pki_fixture_dir(p->name);
	struct certs *c = NULL;
	char *err = NULL;
	struct snapshot before;

	snapshot_take(&before, dir);
	assert_int_equal(certs_ensure(p, dir, &c, &err), -1);
	assert_null(c);
	assert_non_null(err);
	assert_non_null(strstr(err, what1));
	if (what2 != NULL)
		assert_non_null(strstr(err, what2));
	assert_unchanged(&before, dir);
	snapshot_free(&before);
	free(err);
	free(dir);
}

static void test_refuse_foreign_ca(void **state)
{
	struct plan *p = pki_fixture_plan("victim", KEY_ECDSA, 256, 256);
	struct plan *q = pki_fixture_plan("other", KEY_ECDSA, 256, 256);
	struct certs *c = pki_fixture_ensure(p);
	struct certs *d = pki_fixture_ensure(q);
	char *dir = pki_fixture_dir(p->name);
	char *path = xasprintf("%s/k8s-ca.pem", dir);
	char *err = NULL;

	(void)state;
	/* Another cluster's k8s-ca certificate next to our key. */
	assert_int_equal(fileio_write_atomic(path, certs_cert_pem(d, CERT_K8S_CA),
					     strlen(certs_cert_pem(d, CERT_K8S_CA)), 0644, &err),
			 0);
	assert_refused(p, "k8s-ca", "does not belong");
	/* A missing key, and an unreadable one. */
	assert_int_equal(fileio_write_atomic(path, certs_cert_pem(c, CERT_K8S_CA),
					     strlen(certs_cert_pem(c, CERT_K8S_CA)), 0644, &err),
			 0);
	free(path);
	path = xasprintf("%s/etcd-ca-key.pem", dir);
	assert_int_equal(unlink(path), 0);
	assert_refused(p, "etcd-ca", "missing");
	assert_int_equal(fileio_write_atomic(path, "not a key\n", 10, 0600, &err), 0);
	assert_refused(p, "etcd-ca", "no readable private key");
	assert_int_equal(fileio_write_atomic(path, certs_key_pem(c, CERT_ETCD_CA),
					     strlen(certs_key_pem(c, CERT_ETCD_CA)), 0600, &err),
			 0);
	/* A leaf in the CA's place. */
	free(path);
	path = xasprintf("%s/agg-ca.pem", dir);
	assert_int_equal(fileio_write_atomic(path, certs_cert_pem(c, CERT_AGG),
					     strlen(certs_cert_pem(c, CERT_AGG)), 0644, &err),
			 0);
	free(path);
	path = xasprintf("%s/agg-ca-key.pem", dir);
	assert_int_equal(fileio_write_atomic(path, certs_key_pem(c, CERT_AGG),
					     strlen(certs_key_pem(c, CERT_AGG)), 0600, &err),
			 0);
	assert_refused(p, "agg-ca", "not a CA");
	free(path);
	free(dir);
	certs_free(&c);
	certs_free(&d);
	plan_free(&p);
	plan_free(&q);
}

/* A plan whose algorithm or CA key size the CAs do not have is refused, not
 * "fixed" by new CAs. */
static void test_refuse_wrong_algorithm(void **state)
{
	struct plan *p = pki_fixture_plan("algo", KEY_ECDSA, 256, 256);
	struct certs *c = pki_fixture_ensure(p);

	(void)state;
	certs_free(&c);
	plan_free(&p);
	p = pki_fixture_plan("algo", KEY_RSA, 2048, 2048);
	assert_refused(p, "pki.algorithm", "RSA 2048");
	plan_free(&p);
	p = pki_fixture_plan("algo", KEY_ECDSA, 384, 256);
	assert_refused(p, "ECDSA P-384", "etcd-ca");
	plan_free(&p);
}

/* An expired CA is refused too: the operator decides when to replace it.
 * The CA is made here with OpenSSL, valid from 20 to 10 days ago. */
static void test_refuse_expired_ca(void **state)
{
	struct plan *p = pki_fixture_plan("expired", KEY_ECDSA, 256, 256);
	char *dir = pki_fixture_dir(p->name);
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *ca = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	char *err = NULL, *path = NULL, *pem = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	const char *exts[][2] = { { "basicConstraints", "critical,CA:TRUE" },
				  { "keyUsage", "critical,keyCertSign,cRLSign" },
				  { "subjectKeyIdentifier", "hash" } };
	long len = 0;

	(void)state;
	assert_non_null(key);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(ca), 1), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(ca), "CN", MBSTRING_ASC,
						    (const unsigned char *)"kubelet-ca", -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(ca, X509_get_subject_name(ca)), 1);
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(ca), -20, 0, NULL));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(ca), -10, 0, NULL));
	assert_int_equal(X509_set_pubkey(ca, key), 1);
	X509V3_set_ctx(&ctx, ca, ca, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		ext = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(ca, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(ca, key, EVP_sha256()) > 0);
	assert_int_equal(statedir_create(dir, &err), 0);
	assert_int_equal(PEM_write_bio_X509(bio, ca), 1);
	len = BIO_get_mem_data(bio, &pem);
	path = xasprintf("%s/kubelet-ca.pem", dir);
	assert_int_equal(fileio_write_atomic(path, pem, (size_t)len, 0644, &err), 0);
	free(path);
	assert_int_equal(BIO_reset(bio), 1);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	len = BIO_get_mem_data(bio, &pem);
	path = xasprintf("%s/kubelet-ca-key.pem", dir);
	assert_int_equal(fileio_write_atomic(path, pem, (size_t)len, 0600, &err), 0);
	free(path);
	assert_refused(p, "kubelet-ca", "expired");
	BIO_free(bio);
	X509_free(ca);
	EVP_PKEY_free(key);
	free(dir);
	plan_free(&p);
}

/* ---- The bootstrap token --------------------------------------------------------- */

static void test_token(void **state)
{
	struct plan *p = pki_fixture_plan("token", KEY_ECDSA, 256, 256);
	char *dir = pki_fixture_dir(p->name);
	struct certs *a = pki_fixture_ensure(p);
	struct certs *b = NULL;
	char *t = xstrdup(certs_bootstrap_token(a));
	char *stored = pki_fixture_read(dir, "bootstrap-token");
	char *path = xasprintf("%s/bootstrap-token", dir);
	char *old = NULL, *err = NULL;
	time_t now = time(NULL), made = 0;

	(void)state;
	/* ID.SECRET as the bootstrap authenticator takes it; the file has the
	 * time it was made; it expires pki.bootstrapTokenHours (24) later. */
	assert_int_equal(strlen(t), 23);
	assert_int_equal(strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789"), 6);
	assert_int_equal(t[6], '.');
	assert_int_equal(strspn(t + 7, "abcdefghijklmnopqrstuvwxyz0123456789"), 16);
	assert_non_null(stored);
	assert_int_equal(strncmp(stored, t, 23), 0);
	assert_int_equal(stored[23], '\n');
	made = (time_t)strtoll(stored + 24, NULL, 10);
	assert_true(made >= now - 60 && made <= now);
	assert_int_equal(certs_bootstrap_token_expiry(a), made + 24 * 3600);
	/* Reused while it has more than a quarter of its life left; the
	 * plan's lifetime moves the expiry. */
	p->pki.bootstrap_token_hours = 48;
	b = pki_fixture_ensure(p);
	assert_string_equal(certs_bootstrap_token(b), t);
	assert_int_equal(certs_bootstrap_token_expiry(b), made + 48 * 3600);
	certs_free(&b);
	/* Made 20 of 24 hours ago: less than a quarter left, a new one. */
	p->pki.bootstrap_token_hours = 24;
	old = xasprintf("%s\n%lld\n", t, (long long)(now - 20 * 3600));
	assert_int_equal(fileio_write_atomic(path, old, strlen(old), 0600, &err), 0);
	b = pki_fixture_ensure(p);
	assert_string_not_equal(certs_bootstrap_token(b), t);
	assert_true(certs_bootstrap_token_expiry(b) >= now + 24 * 3600);
	assert_int_equal(mode_of(dir, "bootstrap-token"), 0600);
	certs_free(&b);
	/* 17 of 24 hours ago: 7 left, kept. */
	free(old);
	old = xasprintf("%s\n%lld\n", t, (long long)(now - 17 * 3600));
	assert_int_equal(fileio_write_atomic(path, old, strlen(old), 0600, &err), 0);
	b = pki_fixture_ensure(p);
	assert_string_equal(certs_bootstrap_token(b), t);
	certs_free(&b);
	/* The token.csv token of earlier versions (32 hexadecimal digits, no
	 * expiry) is replaced: nothing authenticates with it any more. */
	assert_int_equal(fileio_write_atomic(path, "0123456789abcdef0123456789abcdef\n", 33, 0600,
					     &err),
			 0);
	b = pki_fixture_ensure(p);
	assert_int_equal(strlen(certs_bootstrap_token(b)), 23);
	free(stored);
	stored = pki_fixture_read(dir, "bootstrap-token");
	assert_int_equal(strncmp(stored, certs_bootstrap_token(b), 23), 0);
	/* A token file someone edited badly is refused, not replaced. */
	assert_int_equal(fileio_write_atomic(path, "short\n", 6, 0600, &err), 0);
	assert_refused(p, "bootstrap-token", "ID.SECRET");
	free(old);
	free(path);
	free(stored);
	free(t);
	free(dir);
	certs_free(&a);
	certs_free(&b);
	plan_free(&p);
}

/* ---- A TLS handshake with the certificates ----------------------------------------- */

static SSL_CTX *tls_ctx(bool server, const struct certs *c, enum cert_id cert, enum cert_id trust)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	X509 *x = cert_of(c, cert);
	X509 *ca = cert_of(c, trust);
	EVP_PKEY *k = pki_fixture_key(certs_key_pem(c, cert));

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, k), 1);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
			   NULL);
	/* What a Go peer checks: the purpose of the peer's certificate. */
	assert_int_equal(SSL_CTX_set_purpose(ctx, server ? X509_PURPOSE_SSL_CLIENT
							: X509_PURPOSE_SSL_SERVER),
			 1);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION), 1);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(k);
	return ctx;
}

struct tls_result {
	bool ok;
	long client_verify, server_verify;
	char *client_seen; /* the client certificate's subject, as the server saw it */
};

/* Run a handshake between two SSL objects joined by a BIO pair, the client
 * checking host (a DNS name or an IP address), then one byte each way. */
static struct tls_result handshake(SSL_CTX *sctx, SSL_CTX *cctx, const char *host)
{
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	BIO *bs = NULL, *bc = NULL;
	struct tls_result r = { false, 0, 0, NULL };
	bool s_done = false, c_done = false;
	char byte = 'x';

	assert_int_equal(BIO_new_bio_pair(&bs, 0, &bc, 0), 1);
	SSL_set_bio(s, bs, bs);
	SSL_set_bio(c, bc, bc);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	if (strchr(host, ':') != NULL || strspn(host, "0123456789.") == strlen(host)) {
		assert_int_equal(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c), host), 1);
	} else {
		assert_int_equal(SSL_set1_host(c, host), 1);
		assert_int_equal(SSL_set_tlsext_host_name(c, host), 1);
	}
	for (int round = 0; round < 64 && !(s_done && c_done); round++) {
		int rc = SSL_do_handshake(c);

		if (rc == 1) {
			c_done = true;
		} else if (SSL_get_error(c, rc) != SSL_ERROR_WANT_READ) {
			break;
		}
		rc = SSL_do_handshake(s);
		if (rc == 1)
			s_done = true;
		else if (SSL_get_error(s, rc) != SSL_ERROR_WANT_READ)
			break;
	}
	r.client_verify = SSL_get_verify_result(c);
	r.server_verify = SSL_get_verify_result(s);
	if (s_done && c_done) {
		/* Under TLS 1.3 the server judges the client's certificate after
		 * the client is done: application data proves both agreed. */
		char got = 0;

		r.ok = SSL_write(c, &byte, 1) == 1 && SSL_read(s, &got, 1) == 1 && got == 'x' &&
		       SSL_write(s, &byte, 1) == 1 && SSL_read(c, &got, 1) == 1;
		if (r.ok) {
			X509 *peer = SSL_get1_peer_certificate(s);

			assert_non_null(peer);
			r.client_seen = X509_NAME_oneline(X509_get_subject_name(peer), NULL, 0);
			X509_free(peer);
		}
	}
	ERR_clear_error();
	SSL_free(s);
	SSL_free(c);
	return r;
}

static void test_tls_handshake(void **state)
{
	struct plan *p = pki_fixture_plan("tls", KEY_ECDSA, 256, 256);
	struct certs *c = pki_fixture_ensure(p);
	SSL_CTX *api = tls_ctx(true, c, CERT_APISERVER, CERT_K8S_CA);
	SSL_CTX *admin = tls_ctx(false, c, CERT_ADMIN, CERT_K8S_CA);
	SSL_CTX *agg = tls_ctx(false, c, CERT_AGG, CERT_K8S_CA);
	SSL_CTX *etcd_trusting = tls_ctx(false, c, CERT_ADMIN, CERT_ETCD_CA);
	SSL_CTX *etcd_server = tls_ctx(true, c, CERT_ETCD_PEER, CERT_ETCD_CA);
	SSL_CTX *etcd_client = tls_ctx(false, c, CERT_ETCD_PEER, CERT_ETCD_CA);
	static const char *const good[] = { "10.1.1.10", "10.1.1.2", "127.0.0.1", "192.168.0.1",
					    "kubernetes", "kubernetes.default.svc.cluster.local",
					    "localhost" };
	struct tls_result r;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		r = handshake(api, admin, good[i]);
		assert_true(r.ok);
		assert_int_equal(r.client_verify, X509_V_OK);
		assert_int_equal(r.server_verify, X509_V_OK);
		assert_non_null(strstr(r.client_seen, "/O=system:masters/OU=system/CN=admin"));
		OPENSSL_free(r.client_seen);
	}
	/* The client refuses a name or address the certificate does not have. */
	r = handshake(api, admin, "kubernetes.example.com");
	assert_false(r.ok);
	assert_int_equal(r.client_verify, X509_V_ERR_HOSTNAME_MISMATCH);
	r = handshake(api, admin, "10.1.1.4");
	assert_false(r.ok);
	assert_int_equal(r.client_verify, X509_V_ERR_IP_ADDRESS_MISMATCH);
	/* The apiserver refuses a client certificate of another CA. */
	r = handshake(api, agg, "10.1.1.10");
	assert_false(r.ok);
	assert_int_not_equal(r.server_verify, X509_V_OK);
	/* A client trusting only etcd-ca refuses the apiserver. */
	r = handshake(api, etcd_trusting, "10.1.1.10");
	assert_false(r.ok);
	assert_int_not_equal(r.client_verify, X509_V_OK);
	/* etcd members: the same pair serves and connects. */
	r = handshake(etcd_server, etcd_client, "10.1.1.3");
	assert_true(r.ok);
	OPENSSL_free(r.client_seen);
	SSL_CTX_free(api);
	SSL_CTX_free(admin);
	SSL_CTX_free(agg);
	SSL_CTX_free(etcd_trusting);
	SSL_CTX_free(etcd_server);
	SSL_CTX_free(etcd_client);
	certs_free(&c);
	plan_free(&p);
}

/* ---- certs_info, what pki list prints ---------------------------------------------- */

static void test_info(void **state)
{
	struct plan *p = pki_fixture_plan("info", KEY_ECDSA, 256, 256);
	struct certs *c = pki_fixture_ensure(p);
	struct certs_info info;

	(void)state;
	assert_int_equal(certs_info(c, CERT_CONTROLLER_MANAGER, &info), 0);
	assert_string_equal(info.subject, "CN=system:kube-controller-manager,OU=system,"
					  "O=system:kube-controller-manager,L=Shenzhen,ST=GD,C=CN");
	assert_string_equal(info.issuer, "CN=kubernetes,OU=System,O=dingding,L=Shenzhen,ST=GD,C=CN");
	assert_string_equal(info.sans, "IP:127.0.0.1,IP:10.1.1.1,IP:10.1.1.2,IP:10.1.1.3");
	assert_string_equal(info.usages, "server,client");
	assert_string_equal(info.key, "ECDSA P-256");
	assert_true(info.not_after - info.not_before == 3650L * 86400 + 300);
	certs_info_clear(&info);
	assert_int_equal(certs_info(c, CERT_AGG_CA, &info), 0);
	assert_string_equal(info.usages, "CA");
	assert_string_equal(info.sans, "");
	certs_info_clear(&info);
	assert_int_equal(certs_info(c, CERT_ADMIN, &info), 0);
	assert_string_equal(info.usages, "client");
	certs_info_clear(&info);
	certs_free(&c);
	plan_free(&p);
}

/* RSA key generation is slow under valgrind, so the RSA test runs in a
 * binary of its own (tests/test_certs_rsa, built from this file) that make
 * check runs natively and under ASan but that is not among the unit tests
 * CI runs again under valgrind. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_refuse_foreign_ca),
		cmocka_unit_test(test_refuse_wrong_algorithm),
		cmocka_unit_test(test_refuse_expired_ca),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_default_sans),
		cmocka_unit_test(test_apiserver_sans_follow_plan),
		cmocka_unit_test(test_keys_match),
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_file_modes),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_add_master),
		cmocka_unit_test(test_subject_change),
		cmocka_unit_test(test_leaf_repair),
		cmocka_unit_test(test_tls_handshake),
		cmocka_unit_test(test_info),
	};

#ifdef TEST_CERTS_RSA
	cmocka_set_test_filter("test_rsa");
#else
	cmocka_set_skip_filter("test_rsa");
#endif
	return cmocka_run_group_tests(tests, pki_fixture_setup, pki_fixture_teardown);
}
