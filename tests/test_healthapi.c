/* The checks that ask the components (healthapi.c), through a fake
 * transport whose streams lead to HTTPS servers in threads of this test
 * (socketpairs; OpenSSL with the certificates of a PKI made by certs.c, or
 * made here from another CA or with the wrong SANs): etcd's health and its
 * member list, the apiservers and the API endpoint, the kubelet, the
 * controller-manager and the scheduler, nodes, add-ons, the APIService, and
 * the approval of the workers' serving CSRs (what the server was asked is
 * recorded). Also healthapi_csr_fits() with requests made here. No network:
 * every "address" below only selects a server of this process. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "certs.h"
#include "healthapi.h"
#include "pki_fixture.h"
#include "plan.h"
#include "strbuf.h"
#include "xmalloc.h"

/* --- certificates made here ----------------------------------------------- */

struct cred {
	X509 *x;
	EVP_PKEY *k;
};

static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn signed by issuer (NULL: a self-signed CA), with the
 * SANs given (NULL: none). */
static void make_cred(struct cred *c, const char *cn, const struct cred *issuer, const char *san)
{
	static long serial = 1000;
	X509V3_CTX v3;
	X509_NAME *name = NULL;

	c->k = EVP_EC_gen("P-256");
	assert_non_null(c->k);
	c->x = X509_new();
	X509_set_version(c->x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c->x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(c->x), 86400 * 30);
	X509_set_pubkey(c->x, c->k);
	name = X509_get_subject_name(c->x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c->x, issuer != NULL ? X509_get_subject_name(issuer->x) : name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer->x : c->x, c->x, NULL, NULL, 0);
	if (issuer == NULL) {
		add_ext(c->x, &v3, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c->x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(c->x, &v3, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c->x, &v3, NID_key_usage, "critical,digitalSignature");
		add_ext(c->x, &v3, NID_ext_key_usage, "serverAuth");
	}
	if (san != NULL)
		add_ext(c->x, &v3, NID_subject_alt_name, san);
	assert_true(X509_sign(c->x, issuer != NULL ? issuer->k : c->k, EVP_sha256()) > 0);
}

static void free_cred(struct cred *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->k);
	memset(c, 0, sizeof *c);
}

/* A PKI certificate (and its key) of certs.c as a cred. */
static void pki_cred(struct cred *c, const struct certs *certs, enum cert_id id)
{
	c->x = pki_fixture_x509(certs_cert_pem(certs, id));
	c->k = pki_fixture_key(certs_key_pem(certs, id));
}

/* A certificate signing request in PEM: CN cn, O system:nodes, the SANs
 * given (NULL: no extension). */
static char *make_csr(const char *cn, const char *san)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_REQ_get_subject_name(req);
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *pem = NULL;
	long n;

	assert_non_null(k);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"system:nodes",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_pubkey(req, k);
	if (san != NULL) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

		assert_non_null(e);
		sk_X509_EXTENSION_push(exts, e);
		assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
	n = BIO_get_mem_data(b, &data);
	pem = xstrndup(data, (size_t)n);
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return pem;
}

/* --- the servers ---------------------------------------------------------- */

/* One component: where it listens, how it speaks. */
struct endpoint {
	const char *addr; /* NULL: any address */
	unsigned port;
	bool plain;
	const struct cred *cert;
	const struct cred *client_ca; /* require a client certificate from it, or NULL */
};

struct world;

/* The answer to one request: status and body (a new string). */
typedef char *(*answer_fn)(struct world *w, const char *method, const char *path,
			   const char *body, int *status);

struct world {
	pthread_mutex_t lock;
	struct endpoint eps[4];
	size_t n_eps;
	answer_fn answer;
	const char *json;   /* for answer_json */
	int json_status;
	int put_status;     /* answer_csrs: of an approval (0: 200) */
	struct strbuf opened;   /* "HOST -> ADDR:PORT" per stream */
	struct strbuf requests; /* "METHOD PATH" per request the servers read */
	struct strbuf client_cns; /* the client certificate's CN per TLS request */
	char *put_body;         /* the body of the last PUT */
};

struct conn {
	struct world *w;
	const struct endpoint *ep;
	int fd, peer;
	pthread_t thread;
};

static ssize_t tls_read(SSL *ssl, int fd, void *buf, size_t len)
{
	size_t got = 0;

	if (ssl != NULL)
		return SSL_read_ex(ssl, buf, len, &got) == 1 ? (ssize_t)got : -1;
	return read(fd, buf, len);
}

static void tls_write(SSL *ssl, int fd, const char *s, size_t len)
{
	size_t done = 0;

	if (ssl != NULL) {
		SSL_write_ex(ssl, s, len, &done);
		return;
	}
	while (done < len) {
		ssize_t n = send(fd, s + done, len - done, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		done += (size_t)n;
	}
}

static void *serve(void *arg)
{
	struct conn *c = arg;
	struct world *w = c->w;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char req[65536], method[16] = "", path[1024] = "", *end = NULL, *resp = NULL, *body = NULL;
	size_t len = 0, want = 0;
	int status = 200;

	if (!c->ep->plain) {
		ctx = SSL_CTX_new(TLS_server_method());
		SSL_CTX_use_certificate(ctx, c->ep->cert->x);
		SSL_CTX_use_PrivateKey(ctx, c->ep->cert->k);
		if (c->ep->client_ca != NULL) {
			X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), c->ep->client_ca->x);
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
					   NULL);
		}
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, c->peer);
		if (SSL_accept(ssl) != 1)
			goto out;
	}
	while (len < sizeof req - 1) {
		ssize_t n = tls_read(ssl, c->peer, req + len, sizeof req - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		end = strstr(req, "\r\n\r\n");
		if (end != NULL) {
			const char *cl = strstr(req, "Content-Length: ");

			want = (size_t)(end + 4 - req) +
			       (cl != NULL && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
			if (len >= want)
				break;
		}
	}
	if (end == NULL || sscanf(req, "%15s %1023s", method, path) != 2)
		goto out;
	pthread_mutex_lock(&w->lock);
	strbuf_addf(&w->requests, "%s %s\n", method, path);
	if (ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL) {
		char cn[128] = "";

		X509_NAME_get_text_by_NID(X509_get_subject_name(SSL_get0_peer_certificate(ssl)),
					  NID_commonName, cn, sizeof cn);
		strbuf_addf(&w->client_cns, "%s\n", cn);
	}
	if (strcmp(method, "PUT") == 0) {
		free(w->put_body);
		w->put_body = xstrdup(end + 4);
	}
	pthread_mutex_unlock(&w->lock);
	body = w->answer(w, method, path, end + 4, &status);
	resp = xasprintf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 status, strlen(body), body);
	tls_write(ssl, c->peer, resp, strlen(resp));
	if (ssl != NULL)
		SSL_shutdown(ssl);
out:
	shutdown(c->peer, SHUT_RDWR);
	close(c->peer);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	free(resp);
	free(body);
	return NULL;
}

/* --- the transport: each host's streams lead to the servers ---------------- */

struct fake_host {
	struct world *w;
	const char *name;
};

static ssize_t fd_read(void *ctx, void *buf, size_t len, int timeout_ms, char **err)
{
	struct conn *c = ctx;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) == 0) {
		*err = xstrdup("timed out");
		return -1;
	}
	n = read(c->fd, buf, len);
	if (n < 0)
		*err = xstrdup("read failed");
	return n;
}

static int fd_write(void *ctx, const void *buf, size_t len, char **err)
{
	struct conn *c = ctx;
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);

		if (n <= 0) {
			*err = xstrdup("write failed");
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int fake_stream_open(void *vh, const char *addr, unsigned port, struct transport_stream *s,
			    char **err)
{
	struct fake_host *h = vh;
	struct world *w = h->w;
	const struct endpoint *ep = NULL;
	struct conn *c = NULL;
	int sv[2];

	pthread_mutex_lock(&w->lock);
	strbuf_addf(&w->opened, "%s -> %s:%u\n", h->name, addr, port);
	pthread_mutex_unlock(&w->lock);
	for (size_t i = 0; i < w->n_eps && ep == NULL; i++) {
		if (w->eps[i].port == port && (w->eps[i].addr == NULL || strcmp(w->eps[i].addr, addr) == 0))
			ep = &w->eps[i];
	}
	if (ep == NULL) {
		*err = xstrdup("connection refused");
		return -1;
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	c = xcalloc(1, sizeof *c);
	c->w = w;
	c->ep = ep;
	c->fd = sv[0];
	c->peer = sv[1];
	assert_int_equal(pthread_create(&c->thread, NULL, serve, c), 0);
	s->read = fd_read;
	s->write = fd_write;
	s->ctx = c;
	return 0;
}

static void fake_stream_close(struct transport_stream *s)
{
	struct conn *c = s->ctx;

	close(c->fd);
	pthread_join(c->thread, NULL);
	free(c);
	s->ctx = NULL;
}

static enum transport_cause fake_cause(void *vh)
{
	(void)vh;
	return TRANSPORT_OK;
}

static const struct transport_ops fake_ops = {
	.stream_open = fake_stream_open,
	.stream_close = fake_stream_close,
	.cause = fake_cause,
};

/* --- fixture -------------------------------------------------------------- */

/* The default plan's five hosts, on addresses of this test (never
 * contacted: the transport above only picks a server thread). */
static const char *const addrs[] = { "127.0.10.1", "127.0.10.2", "127.0.10.3", "127.0.10.4",
				     "127.0.10.5" };
#define VIP "127.0.10.100"

static struct plan *plan;
static struct certs *certs;
static struct cred etcd_ca, k8s_ca, etcd_server, apiserver, controller_manager, scheduler;
static struct cred other_ca, apiserver_other_ca, apiserver_wrong_san;

static int group_setup(void **state)
{
	if (pki_fixture_setup(state) < 0)
		return -1;
	plan = plan_new_default();
	plan_set_string(&plan->name, "healthapi");
	plan->pki.algorithm = KEY_ECDSA;
	plan->pki.ca_key_size = 256;
	plan->pki.leaf_key_size = 256;
	for (size_t i = 0; i < plan->n_hosts; i++)
		plan_set_string(&plan->hosts[i].address, addrs[i]);
	plan_set_string(&plan->network.apiserver_vip, VIP);
	strlist_clear(&plan->addons.csr_approver.provider_ip_prefixes);
	strlist_add(&plan->addons.csr_approver.provider_ip_prefixes, "127.0.10.0/24");
	pki_fixture_check(plan);
	certs = pki_fixture_ensure(plan);
	pki_cred(&etcd_ca, certs, CERT_ETCD_CA);
	pki_cred(&k8s_ca, certs, CERT_K8S_CA);
	pki_cred(&etcd_server, certs, CERT_ETCD_PEER);
	pki_cred(&apiserver, certs, CERT_APISERVER);
	pki_cred(&controller_manager, certs, CERT_CONTROLLER_MANAGER);
	pki_cred(&scheduler, certs, CERT_KUBE_SCHEDULER);
	/* The apiserver's names, from a CA the cluster does not know; and the
	 * cluster's CA, for a name that is not the apiserver's. */
	make_cred(&other_ca, "kubernetes", NULL, NULL);
	make_cred(&apiserver_other_ca, "kubernetes", &other_ca,
		  "IP:127.0.10.1,IP:127.0.10.2,IP:127.0.10.3,IP:127.0.10.100,IP:127.0.0.1");
	make_cred(&apiserver_wrong_san, "kubernetes", &k8s_ca, "IP:127.0.10.99,DNS:kubernetes");
	return 0;
}

static int group_teardown(void **state)
{
	struct cred *all[] = { &etcd_ca,   &k8s_ca,   &etcd_server,	     &apiserver,
			       &controller_manager, &scheduler, &other_ca, &apiserver_other_ca,
			       &apiserver_wrong_san };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		free_cred(all[i]);
	certs_free(&certs);
	plan_free(&plan);
	return pki_fixture_teardown(state);
}

struct fixture {
	const struct plan *plan; /* the checks' plan: the group's, unless a test says */
	struct world w;
	struct fake_host hosts[5];
	struct check_scratch scratch;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	pthread_mutex_init(&f->w.lock, NULL);
	f->plan = plan;
	for (size_t i = 0; i < 5; i++) {
		f->hosts[i].w = &f->w;
		f->hosts[i].name = plan->hosts[i].name;
	}
	*state = f;
	return 0;
}

static void forget_requests(struct world *w)
{
	strbuf_clear(&w->opened);
	strbuf_clear(&w->requests);
	strbuf_clear(&w->client_cns);
	xfree(&w->put_body);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	forget_requests(&f->w);
	pthread_mutex_destroy(&f->w.lock);
	free(f);
	return 0;
}

static void listen_on(struct fixture *f, const char *addr, unsigned port, const struct cred *cert,
		      const struct cred *client_ca)
{
	assert_true(f->w.n_eps < 4);
	f->w.eps[f->w.n_eps++] = (struct endpoint){ .addr = addr, .port = port,
						    .plain = cert == NULL, .cert = cert,
						    .client_ca = client_ca };
}

static const char *opened(struct fixture *f)
{
	return f->w.opened.s != NULL ? f->w.opened.s : "";
}

static const char *requests(struct fixture *f)
{
	return f->w.requests.s != NULL ? f->w.requests.s : "";
}

static const char *client_cns(struct fixture *f)
{
	return f->w.client_cns.s != NULL ? f->w.client_cns.s : "";
}

/* One attempt of check on plan host i (cluster: the check of the cluster,
 * through host i). */
static enum check_status attempt(struct fixture *f,
				 enum check_status (*check)(struct check_env *, char **, char **),
				 size_t i, bool cluster, char **saw)
{
	struct check_env env = { .plan = f->plan, .certs = certs, .ops = &fake_ops, .h = &f->hosts[i],
				 .host = i, .cluster = cluster, .scratch = &f->scratch };
	char *expected = NULL;
	enum check_status st;

	*saw = NULL;
	st = check(&env, &expected, saw);
	assert_non_null(expected);
	assert_non_null(*saw);
	free(expected);
	return st;
}

static void expect(struct fixture *f, enum check_status (*check)(struct check_env *, char **, char **),
		   size_t i, bool cluster, enum check_status want, const char *want_saw)
{
	char *saw = NULL;
	enum check_status st = attempt(f, check, i, cluster, &saw);

	if (st != want || (want_saw != NULL && strcmp(saw, want_saw) != 0))
		fail_msg("status %d, saw \"%s\"; wanted %d, \"%s\"", st, saw, want,
			 want_saw != NULL ? want_saw : "(any)");
	free(saw);
}

/* As expect(), with saw containing part. */
static void expect_in(struct fixture *f,
		      enum check_status (*check)(struct check_env *, char **, char **), size_t i,
		      bool cluster, enum check_status want, const char *part)
{
	char *saw = NULL;
	enum check_status st = attempt(f, check, i, cluster, &saw);

	if (st != want || strstr(saw, part) == NULL)
		fail_msg("status %d, saw \"%s\"; wanted %d and \"%s\"", st, saw, want, part);
	free(saw);
}

/* Answer every request with w->json and w->json_status. */
static char *answer_json(struct world *w, const char *method, const char *path, const char *body,
			 int *status)
{
	(void)method;
	(void)path;
	(void)body;
	*status = w->json_status != 0 ? w->json_status : 200;
	return xstrdup(w->json);
}

/* GET /healthz answers ok; anything else w->json with w->json_status. */
static char *answer_health(struct world *w, const char *method, const char *path,
			   const char *body, int *status)
{
	(void)method;
	(void)body;
	if (strcmp(path, "/healthz") == 0) {
		*status = 200;
		return xstrdup("ok");
	}
	return answer_json(w, method, path, body, status);
}

/* --- healthapi_csr_fits ---------------------------------------------------- */

static void csr_fits(void **state)
{
	static const char other[] = "it asks for a name or address that is not the node's";
	static const struct {
		const char *cn, *san, *address;
		bool fits;
		const char *why;
	} cases[] = {
		{ "system:node:node1", "DNS:node1,IP:127.0.10.4", "127.0.10.4", true, NULL },
		{ "system:node:node1", "IP:127.0.10.4", "127.0.10.4", true, NULL },
		{ "system:node:node1", "DNS:node1", "127.0.10.4", true, NULL },
		{ "system:node:node2", "DNS:node1,IP:127.0.10.4", "127.0.10.4", false,
		  "its name is not the node's" },
		{ "node1", "DNS:node1,IP:127.0.10.4", "127.0.10.4", false, "its name is not the node's" },
		{ "system:node:node1", "DNS:node1,DNS:evil.example.com,IP:127.0.10.4", "127.0.10.4",
		  false, other },
		{ "system:node:node1", "DNS:node1,IP:127.0.10.4,IP:127.0.10.5", "127.0.10.4", false,
		  other },
		{ "system:node:node1", "IP:127.0.10.5", "127.0.10.4", false, other },
		{ "system:node:node1", "DNS:node1.", "127.0.10.4", false, other },
		{ "system:node:node1", "DNS:node1,email:root@node1", "127.0.10.4", false, other },
		{ "system:node:node1", "DNS:node1,URI:https://node1/", "127.0.10.4", false, other },
		{ "system:node:node1", NULL, "127.0.10.4", false, "it asks for no address or name" },
		{ "system:node:node1", "DNS:node1,IP:fd00:10::4", "fd00:10::4", true, NULL },
		{ "system:node:node1", "IP:fd00:10::5", "fd00:10::4", false, other },
		{ "system:node:node1", "IP:127.0.10.4", "fd00:10::4", false, other },
		{ "system:node:node1", "IP:fd00:10::4", "127.0.10.4", false, other },
	};
	const char *why = NULL;
	char *pem = NULL, *padded = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool fits;

		pem = make_csr(cases[i].cn, cases[i].san);
		why = "unset";
		fits = healthapi_csr_fits(pem, strlen(pem), "node1", cases[i].address, &why);
		if (fits != cases[i].fits ||
		    (cases[i].why == NULL ? why != NULL
					  : why == NULL || strcmp(why, cases[i].why) != 0))
			fail_msg("CN %s, SANs %s, node at %s: %s (%s)", cases[i].cn, cases[i].san,
				 cases[i].address, fits ? "fits" : "does not fit",
				 why != NULL ? why : "no reason");
		free(pem);
	}

	/* Only len bytes are read: what follows does not matter. */
	pem = make_csr("system:node:node1", "DNS:node1,IP:127.0.10.4");
	padded = xasprintf("%sgarbage that is not PEM", pem);
	assert_true(healthapi_csr_fits(padded, strlen(pem), "node1", "127.0.10.4", &why));
	/* Cut short, or not a request at all. */
	assert_false(healthapi_csr_fits(pem, strlen(pem) / 2, "node1", "127.0.10.4", &why));
	assert_string_equal(why, "not a certificate request");
	assert_false(healthapi_csr_fits("garbage", 7, "node1", "127.0.10.4", &why));
	assert_string_equal(why, "not a certificate request");
	assert_false(healthapi_csr_fits("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
					"-----END CERTIFICATE REQUEST-----\n",
					76, "node1", "127.0.10.4", &why));
	assert_string_equal(why, "not a certificate request");
	assert_false(healthapi_csr_fits(certs_cert_pem(certs, CERT_APISERVER),
					strlen(certs_cert_pem(certs, CERT_APISERVER)), "node1",
					"127.0.10.4", &why));
	assert_string_equal(why, "not a certificate request");
	free(padded);
	free(pem);
}

/* A request with the CNs given (bytes and length each; SAN DNS:node1). */
static char *make_csr_cns(const char *const *cns, const int *lens, size_t n)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *pem = NULL;
	long len;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
							    V_ASN1_UTF8STRING,
							    (const unsigned char *)cns[i], lens[i],
							    -1, 0),
				 1);
	X509_REQ_set_pubkey(req, k);
	sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
							 "DNS:node1"));
	X509_REQ_add_extensions(req, exts);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	PEM_write_bio_X509_REQ(b, req);
	len = BIO_get_mem_data(b, &data);
	pem = xstrndup(data, (size_t)len);
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return pem;
}

/* The CN is the node's, byte for byte, and the only one: not a name with a
 * NUL and more after it, not one of two. */
static void csr_cn_exact(void **state)
{
	static const char with_nul[] = "system:node:node1\0.evil";
	const char *one[] = { "system:node:node1" }, *nul[] = { with_nul };
	const char *two[] = { "system:node:node1", "system:node:master1" };
	const int one_len[] = { -1 }, nul_len[] = { (int)sizeof with_nul - 1 }, two_len[] = { -1, -1 };
	const char *why = NULL;
	char *pem = make_csr_cns(one, one_len, 1);

	(void)state;
	assert_true(healthapi_csr_fits(pem, strlen(pem), "node1", "127.0.10.4", &why));
	free(pem);
	pem = make_csr_cns(nul, nul_len, 1);
	assert_false(healthapi_csr_fits(pem, strlen(pem), "node1", "127.0.10.4", &why));
	assert_string_equal(why, "its name is not the node's");
	free(pem);
	pem = make_csr_cns(two, two_len, 2);
	assert_false(healthapi_csr_fits(pem, strlen(pem), "node1", "127.0.10.4", &why));
	assert_string_equal(why, "its name is not the node's");
	free(pem);
}

/* --- etcd ----------------------------------------------------------------- */

static void etcd_health(void **state)
{
	struct fixture *f = *state;
	unsigned port = plan->etcd.client_port;
	char *want = NULL;

	listen_on(f, addrs[1], port, &etcd_server, &etcd_ca);
	f->w.answer = answer_json;
	f->w.json = "{\"health\":\"true\",\"reason\":\"\"}";
	expect(f, healthapi_etcd, 1, false, CHECK_PASS, "healthy");
	/* Through master2's own connection, to its own address; with the
	 * client certificate etcd asks for. */
	want = xasprintf("master2 -> %s:%u\n", addrs[1], port);
	assert_string_equal(opened(f), want);
	free(want);
	assert_string_equal(requests(f), "GET /health\n");
	assert_string_equal(client_cns(f), "etcd\n");

	f->w.json = "{\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}";
	f->w.json_status = 503;
	expect(f, healthapi_etcd, 1, false, CHECK_WAIT,
	       "HTTP 503: {\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}");
	f->w.json_status = 200;
	expect(f, healthapi_etcd, 1, false, CHECK_WAIT,
	       "HTTP 200: {\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}");
	f->w.json = "{\"health\":true}";
	expect(f, healthapi_etcd, 1, false, CHECK_WAIT, "HTTP 200: {\"health\":true}");
	f->w.json = "<html>\n\tbusy</html>";
	expect(f, healthapi_etcd, 1, false, CHECK_WAIT, "not JSON: HTTP 200: <html>  busy</html>");

	/* Nothing listens on master3. */
	want = xasprintf("nothing answers on %s port %u: connection refused", addrs[2], port);
	expect(f, healthapi_etcd, 2, false, CHECK_WAIT, want);
	free(want);
}

static const char *member_list(size_t n, const char *const *peers)
{
	static char buf[2048];
	struct strbuf b = { 0 };

	strbuf_adds(&b, "{\"header\":{\"cluster_id\":\"1\"},\"members\":[");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&b, "%s{\"ID\":\"%zu\",\"name\":\"m%zu\",\"peerURLs\":[\"%s\"]}",
			    i > 0 ? "," : "", i + 1, i, peers[i]);
	strbuf_adds(&b, "]}");
	xsnprintf(buf, sizeof buf, "%s", b.s);
	strbuf_clear(&b);
	return buf;
}

static void etcd_members(void **state)
{
	struct fixture *f = *state;
	const char *exact[] = { "https://127.0.10.1:2380", "https://127.0.10.3:2380",
				"https://127.0.10.2:2380" };
	const char *stranger[] = { "https://127.0.10.1:2380", "https://127.0.10.2:2380",
				   "https://127.0.10.3:2380", "https://127.0.10.99:2380" };
	const char *replaced[] = { "https://127.0.10.1:2380", "https://127.0.10.2:2380",
				   "https://127.0.10.4:2380" };
	char *want = NULL;

	assert_int_equal(plan->etcd.peer_port, 2380);
	listen_on(f, addrs[0], plan->etcd.client_port, &etcd_server, &etcd_ca);
	f->w.answer = answer_json;

	/* Exactly the plan's members, in any order. */
	f->w.json = member_list(3, exact);
	expect(f, healthapi_etcd_members, 0, true, CHECK_PASS,
	       "3 members: https://127.0.10.1:2380, https://127.0.10.3:2380, "
	       "https://127.0.10.2:2380");
	assert_string_equal(requests(f), "POST /v3/cluster/member/list\n");
	want = xasprintf("master1 -> %s:%u\n", addrs[0], plan->etcd.client_port);
	assert_string_equal(opened(f), want);
	free(want);
	assert_string_equal(client_cns(f), "etcd\n");

	/* One still joining: wait. */
	f->w.json = member_list(2, exact);
	expect(f, healthapi_etcd_members, 0, true, CHECK_WAIT,
	       "2 members: https://127.0.10.1:2380, https://127.0.10.3:2380");

	/* A stranger will not leave by waiting. */
	f->w.json = member_list(4, stranger);
	expect(f, healthapi_etcd_members, 0, true, CHECK_FAIL,
	       "4 members: https://127.0.10.1:2380, https://127.0.10.2:2380, "
	       "https://127.0.10.3:2380, https://127.0.10.99:2380 (not in the plan)");
	f->w.json = member_list(3, replaced);
	expect_in(f, healthapi_etcd_members, 0, true, CHECK_FAIL,
		  "https://127.0.10.4:2380 (not in the plan)");

	/* Not an answer to count from. */
	f->w.json = "{\"members\":{}}";
	expect(f, healthapi_etcd_members, 0, true, CHECK_WAIT, "HTTP 200: {\"members\":{}}");
	f->w.json = "{\"error\":\"etcdserver: request timed out\"}";
	f->w.json_status = 503;
	expect_in(f, healthapi_etcd_members, 0, true, CHECK_WAIT, "HTTP 503: ");
}

/* Members on IPv6 addresses: their peer URLs carry them in brackets. */
static void etcd_members_ipv6(void **state)
{
	struct fixture *f = *state;
	struct plan *p6 = plan_dup(plan);
	static const char *const v6[] = { "fd00:10::1", "fd00:10::2", "fd00:10::3" };
	const char *peers[] = { "https://[fd00:10::1]:2380", "https://[fd00:10::2]:2380",
				"https://[fd00:10::3]:2380" };
	const char *plain[] = { "https://fd00:10::1:2380", "https://[fd00:10::2]:2380",
				"https://[fd00:10::3]:2380" };
	struct cred server6 = { 0 };

	for (size_t i = 0; i < 3; i++)
		plan_set_string(&p6->hosts[i].address, v6[i]);
	f->plan = p6;
	make_cred(&server6, "etcd", &etcd_ca, "IP:fd00:10::1,IP:fd00:10::2,IP:fd00:10::3");
	listen_on(f, "fd00:10::1", p6->etcd.client_port, &server6, &etcd_ca);
	f->w.answer = answer_json;
	f->w.json = member_list(3, peers);
	expect(f, healthapi_etcd_members, 0, true, CHECK_PASS,
	       "3 members: https://[fd00:10::1]:2380, https://[fd00:10::2]:2380, "
	       "https://[fd00:10::3]:2380");
	f->w.json = member_list(3, plain);
	expect_in(f, healthapi_etcd_members, 0, true, CHECK_FAIL,
		  "https://fd00:10::1:2380 (not in the plan)");
	free_cred(&server6);
	plan_free(&p6);
}

/* --- the apiservers and the endpoint --------------------------------------- */

static void apiserver_health(void **state)
{
	struct fixture *f = *state;
	unsigned port = plan->network.apiserver_port;
	char *want = NULL;

	listen_on(f, addrs[2], port, &apiserver, &k8s_ca);
	f->w.answer = answer_health;
	f->w.json = "ok";
	expect(f, healthapi_apiserver, 2, false, CHECK_PASS, "ok");
	assert_string_equal(requests(f), "GET /healthz\nGET /readyz\n");
	assert_string_equal(client_cns(f), "admin\nadmin\n");
	want = xasprintf("master3 -> %s:%u\nmaster3 -> %s:%u\n", addrs[2], port, addrs[2], port);
	assert_string_equal(opened(f), want);
	free(want);

	/* Healthy but not ready. */
	f->w.json = "[-]poststarthook/rbac/bootstrap-roles failed: not finished\nreadyz check failed";
	f->w.json_status = 500;
	expect(f, healthapi_apiserver, 2, false, CHECK_WAIT,
	       "HTTP 500: [-]poststarthook/rbac/bootstrap-roles failed: not finished readyz check "
	       "failed");
	/* "ok" and nothing else. */
	f->w.json = "okay";
	f->w.json_status = 200;
	expect(f, healthapi_apiserver, 2, false, CHECK_WAIT, "HTTP 200: okay");
}

static void api_endpoint(void **state)
{
	struct fixture *f = *state;
	unsigned port = plan->network.apiserver_port;
	char *want = NULL;

	/* The VIP, asked through the apply host. */
	listen_on(f, VIP, port, &apiserver, &k8s_ca);
	f->w.answer = answer_health;
	f->w.json = "ok";
	expect(f, healthapi_vip, 0, true, CHECK_PASS, "ok");
	want = xasprintf("master1 -> %s:%u\nmaster1 -> %s:%u\n", VIP, port, VIP, port);
	assert_string_equal(opened(f), want);
	free(want);
	assert_string_equal(requests(f), "GET /healthz\nGET /readyz\n");
}

/* apiserverEndpoint local: no VIP to ask; each worker's proxy on its own
 * 127.0.0.1, with the apiserver's certificate. The other modes have no such
 * proxy; external's expectation says what the operator's load balancer must
 * do, and the other choices. */
static void api_endpoint_modes(void **state)
{
	struct fixture *f = *state;
	struct plan *p = plan_dup(plan);
	struct check_env env = { .plan = p, .ops = &fake_ops, .h = &f->hosts[0], .host = 0,
				 .cluster = true, .certs = certs, .scratch = &f->scratch };
	unsigned port = plan->network.apiserver_port;
	char *want = NULL, *expected = NULL, *saw = NULL;

	f->plan = p;
	f->w.answer = answer_health;
	f->w.json = "ok";
	p->network.apiserver_endpoint = ENDPOINT_LOCAL;
	expect(f, healthapi_vip, 0, true, CHECK_UNUSED, NULL);
	assert_string_equal(opened(f), "");
	listen_on(f, "127.0.0.1", port, &apiserver, &k8s_ca);
	expect(f, healthapi_local_endpoint, 3, false, CHECK_PASS, "ok");
	want = xasprintf("node1 -> 127.0.0.1:%u\nnode1 -> 127.0.0.1:%u\n", port, port);
	assert_string_equal(opened(f), want);
	free(want);
	/* A proxy to something that is not the apiserver does not pass. */
	f->w.n_eps = 0;
	listen_on(f, "127.0.0.1", port, &apiserver_wrong_san, &k8s_ca);
	expect_in(f, healthapi_local_endpoint, 4, false, CHECK_WAIT, "mismatch");

	p->network.apiserver_endpoint = ENDPOINT_EXTERNAL;
	expect(f, healthapi_local_endpoint, 3, false, CHECK_UNUSED, NULL);
	assert_int_equal(healthapi_vip(&env, &expected, &saw), CHECK_WAIT);
	assert_non_null(strstr(expected, "your load balancer forwards TCP to every master's port"));
	assert_non_null(strstr(expected, "choose local or keepalived"));
	free(expected);
	free(saw);
	p->network.apiserver_endpoint = ENDPOINT_KEEPALIVED;
	expect(f, healthapi_local_endpoint, 3, false, CHECK_UNUSED, NULL);
	f->plan = plan;
	plan_free(&p);
}

/* A certificate the cluster's CA did not sign, or that does not name the
 * address asked, is not the component: the check never passes and sends
 * nothing. */
static void untrusted_servers(void **state)
{
	struct fixture *f = *state;
	unsigned port = plan->network.apiserver_port;
	struct cred etcd_wrong_san = { 0 };

	f->w.answer = answer_health;
	f->w.json = "ok";
	listen_on(f, addrs[0], port, &apiserver_other_ca, &k8s_ca);
	expect_in(f, healthapi_apiserver, 0, false, CHECK_WAIT, "certificate");
	listen_on(f, VIP, port, &apiserver_wrong_san, &k8s_ca);
	expect_in(f, healthapi_vip, 0, true, CHECK_WAIT, "mismatch");
	f->w.n_eps = 0;
	listen_on(f, "127.0.0.1", 10257, &apiserver_other_ca, NULL);
	expect_in(f, healthapi_controller_manager, 0, false, CHECK_WAIT, "certificate");
	/* etcd: the k8s CA's certificate, and etcd-ca's for another name. */
	f->w.n_eps = 0;
	make_cred(&etcd_wrong_san, "etcd", &etcd_ca, "IP:127.0.10.99,DNS:localhost");
	listen_on(f, addrs[0], plan->etcd.client_port, &apiserver, &etcd_ca);
	expect_in(f, healthapi_etcd, 0, false, CHECK_WAIT, "certificate");
	f->w.n_eps = 0;
	listen_on(f, addrs[0], plan->etcd.client_port, &etcd_wrong_san, &etcd_ca);
	expect_in(f, healthapi_etcd, 0, false, CHECK_WAIT, "mismatch");
	expect_in(f, healthapi_etcd_members, 0, true, CHECK_WAIT, "mismatch");
	assert_string_equal(requests(f), "");
	free_cred(&etcd_wrong_san);
}

/* --- the kubelet, the controller-manager, the scheduler -------------------- */

static void local_components(void **state)
{
	struct fixture *f = *state;

	f->w.answer = answer_health;
	listen_on(f, "127.0.0.1", 10248, NULL, NULL); /* plain HTTP */
	listen_on(f, "127.0.0.1", 10257, &controller_manager, NULL);
	listen_on(f, "127.0.0.1", 10259, &scheduler, NULL);
	expect(f, healthapi_kubelet, 1, false, CHECK_PASS, "ok");
	expect(f, healthapi_controller_manager, 1, false, CHECK_PASS, "ok");
	expect(f, healthapi_scheduler, 1, false, CHECK_PASS, "ok");
	assert_string_equal(opened(f), "master2 -> 127.0.0.1:10248\nmaster2 -> 127.0.0.1:10257\n"
				       "master2 -> 127.0.0.1:10259\n");
	assert_string_equal(requests(f), "GET /healthz\nGET /healthz\nGET /healthz\n");
	/* Nothing on the port yet. */
	f->w.n_eps = 0;
	expect(f, healthapi_scheduler, 1, false, CHECK_WAIT,
	       "nothing answers on 127.0.0.1 port 10259: connection refused");
}

/* --- nodes ---------------------------------------------------------------- */

/* The apiserver of the apply host, answering w->json. */
static void api_on_master1(struct fixture *f)
{
	listen_on(f, addrs[0], plan->network.apiserver_port, &apiserver, &k8s_ca);
	f->w.answer = answer_json;
}

static void nodes_registered(void **state)
{
	struct fixture *f = *state;
	char *want = NULL;

	api_on_master1(f);
	f->w.json = "{\"kind\":\"NodeList\",\"items\":[{\"metadata\":{\"name\":\"master1\"}},"
		    "{\"metadata\":{\"name\":\"node2\"}},{\"metadata\":{\"name\":\"node1\"}}]}";
	expect(f, healthapi_nodes, 0, true, CHECK_PASS, "2 workers registered");
	assert_string_equal(requests(f), "GET /api/v1/nodes\n");
	assert_string_equal(client_cns(f), "admin\n");
	want = xasprintf("master1 -> %s:%u\n", addrs[0], plan->network.apiserver_port);
	assert_string_equal(opened(f), want);
	free(want);
	f->w.json = "{\"kind\":\"NodeList\",\"items\":[{\"metadata\":{\"name\":\"node1\"}},"
		    "{\"metadata\":{\"name\":\"node22\"}}]}";
	expect(f, healthapi_nodes, 0, true, CHECK_WAIT, "not registered: node2");
	f->w.json = "{\"kind\":\"NodeList\",\"items\":[]}";
	expect(f, healthapi_nodes, 0, true, CHECK_WAIT, "not registered: node1, node2");
	f->w.json = "{\"kind\":\"Status\",\"reason\":\"Forbidden\"}";
	f->w.json_status = 403;
	expect(f, healthapi_nodes, 0, true, CHECK_WAIT,
	       "HTTP 403: {\"kind\":\"Status\",\"reason\":\"Forbidden\"}");
}

static void nodes_ready(void **state)
{
	struct fixture *f = *state;

	api_on_master1(f);
	f->w.json = "{\"items\":["
		    "{\"metadata\":{\"name\":\"master1\"},\"status\":{\"conditions\":["
		    "{\"type\":\"MemoryPressure\",\"status\":\"False\"},"
		    "{\"type\":\"Ready\",\"status\":\"True\"}]}},"
		    "{\"metadata\":{\"name\":\"node1\"},\"status\":{\"conditions\":["
		    "{\"type\":\"Ready\",\"status\":\"True\"}]}}]}";
	expect(f, healthapi_nodes_ready, 0, true, CHECK_PASS, "2 nodes ready");
	assert_string_equal(requests(f), "GET /api/v1/nodes\n");
	f->w.json = "{\"items\":["
		    "{\"metadata\":{\"name\":\"master1\"},\"status\":{\"conditions\":["
		    "{\"type\":\"Ready\",\"status\":\"False\"}]}},"
		    "{\"metadata\":{\"name\":\"node1\"},\"status\":{}},"
		    "{\"metadata\":{\"name\":\"node2\"},\"status\":{\"conditions\":["
		    "{\"type\":\"Ready\",\"status\":\"True\"}]}}]}";
	expect(f, healthapi_nodes_ready, 0, true, CHECK_WAIT, "not ready: master1, node1");
	f->w.json = "{\"items\":[]}";
	expect(f, healthapi_nodes_ready, 0, true, CHECK_WAIT, "no nodes");
}

/* --- add-ons -------------------------------------------------------------- */

static void daemonsets(void **state)
{
	struct fixture *f = *state;

	api_on_master1(f);
	f->w.json = "{\"status\":{\"desiredNumberScheduled\":5,\"numberReady\":5}}";
	expect(f, healthapi_calico, 0, true, CHECK_PASS, "5 of 5 ready");
	expect(f, healthapi_nodelocaldns, 0, true, CHECK_PASS, "5 of 5 ready");
	assert_string_equal(requests(f),
			    "GET /apis/apps/v1/namespaces/kube-system/daemonsets/calico-node\n"
			    "GET /apis/apps/v1/namespaces/kube-system/daemonsets/node-local-dns\n");
	f->w.json = "{\"status\":{\"desiredNumberScheduled\":5,\"numberReady\":4}}";
	expect(f, healthapi_calico, 0, true, CHECK_WAIT, "4 of 5 ready");
	/* Scheduled nowhere yet is not ready everywhere. */
	f->w.json = "{\"status\":{\"desiredNumberScheduled\":0,\"numberReady\":0}}";
	expect(f, healthapi_calico, 0, true, CHECK_WAIT, "0 of 0 ready");
	f->w.json = "{\"kind\":\"Status\",\"reason\":\"NotFound\"}";
	f->w.json_status = 404;
	expect(f, healthapi_nodelocaldns, 0, true, CHECK_WAIT,
	       "HTTP 404: {\"kind\":\"Status\",\"reason\":\"NotFound\"}");
}

static void deployments(void **state)
{
	struct fixture *f = *state;

	api_on_master1(f);
	f->w.json = "{\"spec\":{\"replicas\":2},\"status\":{\"availableReplicas\":2,\"conditions\":["
		    "{\"type\":\"Progressing\",\"status\":\"True\"},"
		    "{\"type\":\"Available\",\"status\":\"True\"}]}}";
	expect(f, healthapi_coredns, 0, true, CHECK_PASS, "2 of 2 replicas available");
	expect(f, healthapi_csr_approver, 0, true, CHECK_PASS, "2 of 2 replicas available");
	assert_string_equal(requests(f),
			    "GET /apis/apps/v1/namespaces/kube-system/deployments/coredns\n"
			    "GET /apis/apps/v1/namespaces/kube-system/deployments/"
			    "kubelet-csr-approver\n");
	f->w.json = "{\"spec\":{\"replicas\":2},\"status\":{\"availableReplicas\":1,\"conditions\":["
		    "{\"type\":\"Available\",\"status\":\"False\"}]}}";
	expect(f, healthapi_coredns, 0, true, CHECK_WAIT, "1 of 2 replicas available");
	/* Progressing is not Available. */
	f->w.json = "{\"spec\":{\"replicas\":2},\"status\":{\"availableReplicas\":1,\"conditions\":["
		    "{\"type\":\"Progressing\",\"status\":\"True\"},"
		    "{\"type\":\"Available\",\"status\":\"False\"}]}}";
	expect(f, healthapi_coredns, 0, true, CHECK_WAIT, "1 of 2 replicas available");
	f->w.json = "{\"spec\":{\"replicas\":2},\"status\":{\"availableReplicas\":0}}";
	expect(f, healthapi_csr_approver, 0, true, CHECK_WAIT, "0 of 2 replicas available");
}

static void apiservice(void **state)
{
	struct fixture *f = *state;

	api_on_master1(f);
	f->w.json = "{\"status\":{\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"}]}}";
	expect(f, healthapi_metrics, 0, true, CHECK_PASS, "Available: True");
	assert_string_equal(requests(f), "GET /apis/apiregistration.k8s.io/v1/apiservices/"
					 "v1beta1.metrics.k8s.io\n");
	f->w.json = "{\"status\":{\"conditions\":[{\"type\":\"Available\",\"status\":\"False\","
		    "\"reason\":\"FailedDiscoveryCheck\"}]}}";
	expect(f, healthapi_metrics, 0, true, CHECK_WAIT, "Available: False");
	f->w.json = "{\"spec\":{}}";
	expect(f, healthapi_metrics, 0, true, CHECK_WAIT, "Available: -");
}

/* --- the workers' serving certificates ------------------------------------- */

#define CSR_PATH "/apis/certificates.k8s.io/v1/certificatesigningrequests"
#define SERVING "kubernetes.io/kubelet-serving"

/* A CertificateSigningRequest as the API lists it; condition: NULL, or
 * "Approved" / "Denied" (status True). */
static json_object *csr_object(const char *name, const char *signer, const char *user,
			       const char *pem, const char *condition)
{
	json_object *o = json_object_new_object(), *meta = json_object_new_object();
	json_object *spec = json_object_new_object(), *usages = json_object_new_array();
	size_t len = strlen(pem);
	unsigned char *b64 = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock(b64, (const unsigned char *)pem, (int)len);
	json_object_object_add(meta, "name", json_object_new_string(name));
	json_object_object_add(o, "metadata", meta);
	json_object_object_add(spec, "request", json_object_new_string((const char *)b64));
	json_object_object_add(spec, "signerName", json_object_new_string(signer));
	json_object_object_add(spec, "username", json_object_new_string(user));
	json_object_array_add(usages, json_object_new_string("digital signature"));
	json_object_array_add(usages, json_object_new_string("server auth"));
	json_object_object_add(spec, "usages", usages);
	json_object_object_add(o, "spec", spec);
	if (condition != NULL) {
		json_object *status = json_object_new_object(), *conds = json_object_new_array();
		json_object *c = json_object_new_object();

		json_object_object_add(c, "type", json_object_new_string(condition));
		json_object_object_add(c, "status", json_object_new_string("True"));
		json_object_array_add(conds, c);
		json_object_object_add(status, "conditions", conds);
		json_object_object_add(o, "status", status);
	}
	free(b64);
	return o;
}

/* The list answer; takes the items. */
static char *csr_list(json_object **items, size_t n)
{
	json_object *list = json_object_new_object(), *arr = json_object_new_array();
	char *s = NULL;

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, items[i]);
	json_object_object_add(list, "kind", json_object_new_string("CertificateSigningRequestList"));
	json_object_object_add(list, "items", arr);
	s = xstrdup(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
	json_object_put(list);
	return s;
}

/* GET of the list: w->json; PUT of an approval: the object back, or a
 * refusal when w->put_status says so. */
static char *answer_csrs(struct world *w, const char *method, const char *path,
			 const char *body, int *status)
{
	*status = 200;
	if (strcmp(method, "GET") == 0 && strcmp(path, CSR_PATH) == 0)
		return xstrdup(w->json);
	if (strcmp(method, "PUT") == 0 && strncmp(path, CSR_PATH "/", strlen(CSR_PATH) + 1) == 0) {
		if (w->put_status != 0) {
			*status = w->put_status;
			return xstrdup("{\"kind\":\"Status\",\"reason\":\"Conflict\"}");
		}
		return xstrdup(body);
	}
	*status = 404;
	return xstrdup("{\"kind\":\"Status\",\"reason\":\"NotFound\"}");
}

/* The last condition of the PUT's object, and its name. */
static void check_put(struct world *w, const char *name, const char *request_of)
{
	json_object *o = json_tokener_parse(w->put_body != NULL ? w->put_body : ""), *v = NULL;
	json_object *conds = NULL, *last = NULL;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "metadata", &v));
	assert_true(json_object_object_get_ex(v, "name", &v));
	assert_string_equal(json_object_get_string(v), name);
	/* The request itself is sent back unchanged. */
	assert_true(json_object_object_get_ex(o, "spec", &v));
	assert_true(json_object_object_get_ex(v, "username", &v));
	assert_string_equal(json_object_get_string(v), request_of);
	assert_true(json_object_object_get_ex(o, "status", &v));
	assert_true(json_object_object_get_ex(v, "conditions", &conds));
	assert_true(json_object_array_length(conds) >= 1);
	last = json_object_array_get_idx(conds, json_object_array_length(conds) - 1);
	assert_true(json_object_object_get_ex(last, "type", &v));
	assert_string_equal(json_object_get_string(v), "Approved");
	assert_true(json_object_object_get_ex(last, "status", &v));
	assert_string_equal(json_object_get_string(v), "True");
	assert_true(json_object_object_get_ex(last, "reason", &v));
	assert_string_equal(json_object_get_string(v), "K8sWizardApproved");
	json_object_put(o);
}

/* Only the plan's workers asking for their own name and address are
 * approved; every other request is left alone and named; a worker without
 * an approved request keeps the check waiting. */
static void serving_csrs_plan_workers_only(void **state)
{
	struct fixture *f = *state;
	char *own1 = make_csr("system:node:node1", "DNS:node1,IP:127.0.10.4");
	char *extra2 = make_csr("system:node:node2", "DNS:node2,DNS:node2.example.com,IP:127.0.10.5");
	char *master = make_csr("system:node:master1", "DNS:master1,IP:127.0.10.1");
	char *client2 = make_csr("system:node:node2", NULL);
	char *evil = make_csr("system:node:evil", "DNS:evil");
	char *as_node1 = make_csr("system:node:node1", "DNS:node1,IP:127.0.10.4");
	json_object *items[] = {
		csr_object("csr-node1", SERVING, "system:node:node1", own1, NULL),
		csr_object("csr-node2", SERVING, "system:node:node2", extra2, NULL),
		csr_object("csr-master1", SERVING, "system:node:master1", master, NULL),
		csr_object("csr-client", "kubernetes.io/kube-apiserver-client-kubelet",
			   "system:node:node2", client2, NULL),
		csr_object("csr-evil", SERVING, "system:node:evil", evil, NULL),
		csr_object("csr-imp", SERVING, "system:node:node2", as_node1, NULL),
		csr_object("csr-boot", SERVING, "system:bootstrap:abcdef", own1, NULL),
	};
	char *list = csr_list(items, sizeof items / sizeof items[0]);

	api_on_master1(f);
	f->w.answer = answer_csrs;
	f->w.json = list;
	expect(f, healthapi_serving_csrs, 0, true, CHECK_WAIT,
	       "1 approved now; waiting for: node2; left alone: "
	       "csr-node2 from system:node:node2 (it asks for a name or address that is not the "
	       "node's); "
	       "csr-master1 from system:node:master1 (not a worker of the plan); "
	       "csr-evil from system:node:evil (not a worker of the plan); "
	       "csr-imp from system:node:node2 (its name is not the node's); "
	       "csr-boot from system:bootstrap:abcdef (not a worker of the plan)");
	assert_string_equal(requests(f), "GET " CSR_PATH "\nPUT " CSR_PATH "/csr-node1/approval\n");
	assert_string_equal(client_cns(f), "admin\nadmin\n");
	check_put(&f->w, "csr-node1", "system:node:node1");
	free(list);
	free(own1);
	free(extra2);
	free(master);
	free(client2);
	free(evil);
	free(as_node1);
}

/* Approved before (by us, or by the csr-approver) counts; a denied one
 * does not; the check passes once every worker has one. */
static void serving_csrs_all_workers(void **state)
{
	struct fixture *f = *state;
	char *own1 = make_csr("system:node:node1", "DNS:node1,IP:127.0.10.4");
	char *own2 = make_csr("system:node:node2", "IP:127.0.10.5,DNS:node2");
	json_object *items[] = {
		csr_object("csr-node1", SERVING, "system:node:node1", own1, "Approved"),
		csr_object("csr-node2-old", SERVING, "system:node:node2", own2, "Denied"),
		csr_object("csr-node2", SERVING, "system:node:node2", own2, NULL),
	};
	json_object *denied[] = {
		csr_object("csr-node1", SERVING, "system:node:node1", own1, "Approved"),
		csr_object("csr-node2-old", SERVING, "system:node:node2", own2, "Denied"),
	};
	char *list = csr_list(items, 3), *list_denied = csr_list(denied, 2);

	api_on_master1(f);
	f->w.answer = answer_csrs;
	f->w.json = list;
	expect(f, healthapi_serving_csrs, 0, true, CHECK_PASS,
	       "1 approved now; waiting for: -; left alone: -");
	assert_string_equal(requests(f), "GET " CSR_PATH "\nPUT " CSR_PATH "/csr-node2/approval\n");
	check_put(&f->w, "csr-node2", "system:node:node2");

	forget_requests(&f->w);
	f->w.json = list_denied;
	expect(f, healthapi_serving_csrs, 0, true, CHECK_WAIT,
	       "0 approved now; waiting for: node2; left alone: -");
	assert_string_equal(requests(f), "GET " CSR_PATH "\n");

	/* No request yet from anyone. */
	f->w.json = "{\"kind\":\"CertificateSigningRequestList\",\"items\":[]}";
	expect(f, healthapi_serving_csrs, 0, true, CHECK_WAIT,
	       "0 approved now; waiting for: node1, node2; left alone: -");
	/* The API does not answer the list. */
	f->w.answer = answer_json;
	f->w.json = "{\"kind\":\"Status\"}";
	f->w.json_status = 500;
	expect(f, healthapi_serving_csrs, 0, true, CHECK_WAIT, "HTTP 500: {\"kind\":\"Status\"}");
	free(list);
	free(list_denied);
	free(own1);
	free(own2);
}

/* The API refuses the approvals: the workers wait, and the refusal is said. */
static void serving_csrs_approval_refused(void **state)
{
	struct fixture *f = *state;
	char *own1 = make_csr("system:node:node1", "DNS:node1,IP:127.0.10.4");
	char *own2 = make_csr("system:node:node2", "DNS:node2,IP:127.0.10.5");
	json_object *items[] = {
		csr_object("csr-node1", SERVING, "system:node:node1", own1, NULL),
		csr_object("csr-node2", SERVING, "system:node:node2", own2, NULL),
	};
	char *list = csr_list(items, 2);

	api_on_master1(f);
	f->w.answer = answer_csrs;
	f->w.json = list;
	f->w.put_status = 409;
	expect(f, healthapi_serving_csrs, 0, true, CHECK_WAIT,
	       "0 approved now; waiting for: node1, node2; left alone: "
	       "csr-node1 from system:node:node1 (approval refused: HTTP 409: "
	       "{\"kind\":\"Status\",\"reason\":\"Conflict\"}); "
	       "csr-node2 from system:node:node2 (approval refused: HTTP 409: "
	       "{\"kind\":\"Status\",\"reason\":\"Conflict\"})");
	assert_string_equal(requests(f), "GET " CSR_PATH "\nPUT " CSR_PATH "/csr-node1/approval\n"
					 "PUT " CSR_PATH "/csr-node2/approval\n");
	free(list);
	free(own1);
	free(own2);
}

/* Answers of the wrong shape (an array that is an object, a string): the
 * checks wait or fail, saying what they saw; the jump host does not abort
 * (json-c asserts on array calls made on anything else). */
static void malformed_answers(void **state)
{
	struct fixture *f = *state;

	api_on_master1(f);
	f->w.json = "{\"status\":{\"conditions\":{\"type\":\"Available\"}}}";
	expect(f, healthapi_metrics, 0, true, CHECK_WAIT, "Available: -");
	f->w.json = "{\"spec\":{\"replicas\":1},\"status\":{\"availableReplicas\":1,"
		    "\"conditions\":\"Available\"}}";
	expect(f, healthapi_coredns, 0, true, CHECK_WAIT, "1 of 1 replicas available");
	f->w.json = "{\"items\":{\"metadata\":{\"name\":\"node1\"}}}";
	expect(f, healthapi_nodes, 0, true, CHECK_WAIT, "not registered: node1, node2");
	expect(f, healthapi_nodes_ready, 0, true, CHECK_WAIT, "no nodes");
	f->w.answer = answer_csrs;
	expect(f, healthapi_serving_csrs, 0, true, CHECK_WAIT,
	       "0 approved now; waiting for: node1, node2; left alone: -");
	f->w.json = "{\"items\":[{\"metadata\":{\"name\":\"node1\"},\"status\":{\"conditions\":7}},"
		    "{\"metadata\":{\"name\":\"node2\"}}]}";
	f->w.answer = answer_json;
	expect(f, healthapi_nodes_ready, 0, true, CHECK_WAIT, "not ready: node1, node2");
	f->w.json = "{\"items\":[{\"status\":{}}, 5]}";
	expect(f, healthapi_nodes_ready, 0, true, CHECK_WAIT, "not ready: ?, ?");

	/* CSRs: conditions that are not a list, a status that is not an
	 * object, one without a name. */
	{
		char *own1 = make_csr("system:node:node1", "DNS:node1,IP:127.0.10.4");
		char *own2 = make_csr("system:node:node2", "DNS:node2,IP:127.0.10.5");
		json_object *items[] = {
			csr_object("csr-node1", SERVING, "system:node:node1", own1, NULL),
			csr_object("csr-node2", SERVING, "system:node:node2", own2, NULL),
			json_object_new_string("not a CSR"),
		};
		json_object *status = json_object_new_object();
		char *list = NULL;

		json_object_object_add(status, "conditions", json_object_new_object());
		json_object_object_add(items[0], "status", status);
		json_object_object_add(items[1], "status", json_object_new_string("pending"));
		json_object_object_del(items[1], "metadata");
		list = csr_list(items, 3);
		f->w.answer = answer_csrs;
		f->w.json = list;
		expect(f, healthapi_serving_csrs, 0, true, CHECK_WAIT,
		       "1 approved now; waiting for: node2; left alone: ? from system:node:node2 "
		       "(approval refused: the request has no name)");
		check_put(&f->w, "csr-node1", "system:node:node1");
		free(list);
		free(own1);
		free(own2);
	}

	/* etcd: peer URLs that are not a list. */
	f->w.n_eps = 0;
	listen_on(f, addrs[0], plan->etcd.client_port, &etcd_server, &etcd_ca);
	f->w.answer = answer_json;
	f->w.json = "{\"members\":[{\"name\":\"m1\",\"peerURLs\":\"https://127.0.10.1:2380\"}]}";
	expect(f, healthapi_etcd_members, 0, true, CHECK_FAIL, "1 members: ? (not in the plan)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csr_fits),
		cmocka_unit_test(csr_cn_exact),
		cmocka_unit_test_setup_teardown(etcd_health, setup, teardown),
		cmocka_unit_test_setup_teardown(etcd_members, setup, teardown),
		cmocka_unit_test_setup_teardown(etcd_members_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(apiserver_health, setup, teardown),
		cmocka_unit_test_setup_teardown(api_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(api_endpoint_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(untrusted_servers, setup, teardown),
		cmocka_unit_test_setup_teardown(local_components, setup, teardown),
		cmocka_unit_test_setup_teardown(nodes_registered, setup, teardown),
		cmocka_unit_test_setup_teardown(nodes_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(daemonsets, setup, teardown),
		cmocka_unit_test_setup_teardown(deployments, setup, teardown),
		cmocka_unit_test_setup_teardown(apiservice, setup, teardown),
		cmocka_unit_test_setup_teardown(serving_csrs_plan_workers_only, setup, teardown),
		cmocka_unit_test_setup_teardown(serving_csrs_all_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(serving_csrs_approval_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_answers, setup, teardown),
	};

	/* A server thread may write to a stream the check has closed. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
