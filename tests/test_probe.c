/* probe_http() against a real OpenSSL server in a thread of this test, over a
 * socketpair: certificates made here (a CA, another CA, server and client
 * certificates, an expired one), responses with Content-Length, chunked, up
 * to EOF, errors, a stalling server, oversized and malformed answers. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
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
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "xmalloc.h"

/* --- certificates --------------------------------------------------------- */

struct cred {
	X509 *x;
	EVP_PKEY *k;
	char *cert_pem;
	char *key_pem;
};

static struct cred ca, other_ca, server, expired, client, stranger;

static char *pem_of(int (*write)(BIO *, void *), void *obj)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s = NULL;
	long n;

	assert_int_equal(write(b, obj), 1);
	n = BIO_get_mem_data(b, &data);
	s = xstrndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

static int write_x509(BIO *b, void *x)
{
	return PEM_write_bio_X509(b, x);
}

static int write_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn signed by issuer (NULL: self-signed CA), valid from
 * days_from to days_to relative to now, with the SANs given. */
static void make_cred(struct cred *c, const char *cn, const struct cred *issuer, const char *san,
		      long days_from, long days_to)
{
	static long serial = 1;
	X509V3_CTX v3;
	X509_NAME *name = NULL;

	c->k = EVP_EC_gen("P-256");
	assert_non_null(c->k);
	c->x = X509_new();
	X509_set_version(c->x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c->x), days_from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(c->x), days_to * 86400);
	X509_set_pubkey(c->x, c->k);
	name = X509_get_subject_name(c->x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c->x, issuer != NULL ? X509_get_subject_name(issuer->x) : name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer->x : c->x, c->x, NULL, NULL, 0);
	add_ext(c->x, &v3, NID_subject_key_identifier, "hash");
	if (issuer == NULL) {
		add_ext(c->x, &v3, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c->x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(c->x, &v3, NID_authority_key_identifier, "keyid");
		add_ext(c->x, &v3, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c->x, &v3, NID_key_usage, "critical,digitalSignature");
		add_ext(c->x, &v3, NID_ext_key_usage, "serverAuth,clientAuth");
	}
	if (san != NULL)
		add_ext(c->x, &v3, NID_subject_alt_name, san);
	assert_true(X509_sign(c->x, issuer != NULL ? issuer->k : c->k, EVP_sha256()) > 0);
	c->cert_pem = pem_of(write_x509, c->x);
	c->key_pem = pem_of(write_key, c->k);
}

static void free_cred(struct cred *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->k);
	free(c->cert_pem);
	free(c->key_pem);
	memset(c, 0, sizeof *c);
}

static int setup(void **state)
{
	(void)state;
	make_cred(&ca, "test CA", NULL, NULL, -1, 365);
	make_cred(&other_ca, "another CA", NULL, NULL, -1, 365);
	make_cred(&server, "etcd", &ca, "IP:127.0.0.1,DNS:etcd.local", -1, 365);
	make_cred(&expired, "etcd", &ca, "IP:127.0.0.1", -30, -1);
	make_cred(&client, "kube-apiserver-etcd-client", &ca, NULL, -1, 365);
	make_cred(&stranger, "stranger", &other_ca, NULL, -1, 365);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free_cred(&ca);
	free_cred(&other_ca);
	free_cred(&server);
	free_cred(&expired);
	free_cred(&client);
	free_cred(&stranger);
	return 0;
}

/* --- the server ----------------------------------------------------------- */

enum answer {
	ANSWER_LENGTH,    /* 200, Content-Length, the request's body echoed after "ok" */
	ANSWER_CHUNKED,   /* 200, chunks with an extension and a trailer */
	ANSWER_ERROR,     /* 500 */
	ANSWER_EOF,       /* 200, no length: the body ends with the connection */
	ANSWER_CONTINUE,  /* 100 Continue, then 200 */
	ANSWER_STALL,     /* nothing, until the client goes */
	ANSWER_HUGE,      /* a Content-Length over the cap */
	ANSWER_HUGE_CHUNKS, /* chunks adding up to more than the cap */
	ANSWER_TRUNCATED, /* Content-Length 10, 5 bytes, close */
	ANSWER_MALFORMED, /* a status line that is not one */
};

struct server {
	int fd;
	bool tls;
	const struct cred *cert;
	bool require_client;
	enum answer answer;
	pthread_t thread;
	/* What it saw. */
	bool handshake_ok;
	char request[8192];
	size_t request_len;
	char client_cn[128];
};

struct chan {
	int fd;
	SSL *ssl;
};

static int chan_write(struct chan *c, const void *buf, size_t len)
{
	size_t done = 0;

	if (c->ssl != NULL)
		return SSL_write_ex(c->ssl, buf, len, &done) == 1 ? 0 : -1;
	while (done < len) {
		ssize_t w = send(c->fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

static ssize_t chan_read(struct chan *c, void *buf, size_t len)
{
	size_t got = 0;

	if (c->ssl != NULL)
		return SSL_read_ex(c->ssl, buf, len, &got) == 1 ? (ssize_t)got : -1;
	return read(c->fd, buf, len);
}

/* Read the request: headers, then Content-Length bytes of body. */
static void read_request(struct server *s, struct chan *c)
{
	char *end = NULL;
	size_t want = 0;

	while (s->request_len < sizeof s->request - 1) {
		ssize_t n = chan_read(c, s->request + s->request_len,
				      sizeof s->request - 1 - s->request_len);

		if (n <= 0)
			break;
		s->request_len += (size_t)n;
		s->request[s->request_len] = '\0';
		end = strstr(s->request, "\r\n\r\n");
		if (end != NULL) {
			const char *cl = strstr(s->request, "Content-Length: ");

			want = (size_t)(end + 4 - s->request) +
			       (cl != NULL && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
			if (s->request_len >= want)
				break;
		}
	}
}

static void send_str(struct chan *c, const char *s)
{
	chan_write(c, s, strlen(s));
}

static void answer(struct server *s, struct chan *c)
{
	const char *body = strstr(s->request, "\r\n\r\n");
	char head[256], chunk[64 * 1024];
	size_t blen = body != NULL ? s->request_len - (size_t)(body + 4 - s->request) : 0;
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	switch (s->answer) {
	case ANSWER_LENGTH:
		snprintf(head, sizeof head,
			 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\nok",
			 blen + 2);
		send_str(c, head);
		if (blen > 0)
			chan_write(c, body + 4, blen);
		break;
	case ANSWER_CHUNKED:
		send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "2\r\nhe\r\n3;name=value\r\nllo\r\n6\r\n world\r\n0\r\n"
			    "X-Trailer: yes\r\n\r\n");
		break;
	case ANSWER_ERROR:
		send_str(c, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 6\r\n\r\nbroken");
		break;
	case ANSWER_EOF:
		send_str(c, "HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\nuntil the end\n");
		break;
	case ANSWER_CONTINUE:
		send_str(c, "HTTP/1.1 100 Continue\r\n\r\n"
			    "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nmade");
		break;
	case ANSWER_STALL:
		poll(&p, 1, 10000); /* until the client closes */
		break;
	case ANSWER_HUGE:
		send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 9437184\r\n\r\n");
		memset(chunk, 'x', sizeof chunk);
		for (int i = 0; i < 144; i++) {
			if (chan_write(c, chunk, sizeof chunk) < 0)
				break;
		}
		break;
	case ANSWER_HUGE_CHUNKS:
		send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		memset(chunk, 'x', sizeof chunk);
		for (int i = 0; i < 144; i++) {
			if (chan_write(c, "10000\r\n", 7) < 0 || chan_write(c, chunk, sizeof chunk) < 0 ||
			    chan_write(c, "\r\n", 2) < 0)
				break;
		}
		break;
	case ANSWER_TRUNCATED:
		send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
		break;
	case ANSWER_MALFORMED:
		send_str(c, "HTTP/1.1 2x0 OK\r\n\r\n");
		break;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	struct chan c = { .fd = s->fd };
	SSL_CTX *ctx = NULL;

	if (s->tls) {
		ctx = SSL_CTX_new(TLS_server_method());
		SSL_CTX_use_certificate(ctx, s->cert->x);
		SSL_CTX_use_PrivateKey(ctx, s->cert->k);
		if (s->require_client) {
			X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca.x);
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
					   NULL);
		}
		c.ssl = SSL_new(ctx);
		SSL_set_fd(c.ssl, s->fd);
		if (SSL_accept(c.ssl) != 1)
			goto out;
	}
	s->handshake_ok = true;
	if (c.ssl != NULL && SSL_get0_peer_certificate(c.ssl) != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(SSL_get0_peer_certificate(c.ssl)),
					  NID_commonName, s->client_cn, sizeof s->client_cn);
	read_request(s, &c);
	answer(s, &c);
	if (s->answer == ANSWER_LENGTH || s->answer == ANSWER_CHUNKED) {
		/* Framed answers: the connection stays open (as a server that
		 * ignores Connection: close), so a client that waits for EOF
		 * instead of counting times out. */
		struct pollfd p = { .fd = s->fd, .events = POLLIN };

		poll(&p, 1, 10000);
	}
	if (c.ssl != NULL)
		SSL_shutdown(c.ssl);
out:
	shutdown(s->fd, SHUT_RDWR);
	SSL_free(c.ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	close(s->fd);
	return NULL;
}

/* --- the client's stream ------------------------------------------------- */

static ssize_t fd_read(void *ctx, void *buf, size_t len, int timeout_ms, char **err)
{
	int fd = *(int *)ctx;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);
	ssize_t n;

	if (r == 0) {
		*err = xstrdup("timed out");
		return -1;
	}
	n = read(fd, buf, len);
	if (n < 0)
		*err = xstrdup("read failed");
	return n;
}

static int fd_write(void *ctx, const void *buf, size_t len, char **err)
{
	int fd = *(int *)ctx;
	size_t done = 0;

	while (done < len) {
		ssize_t w = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);

		if (w <= 0) {
			*err = xstrdup("write failed");
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

struct exchange {
	struct server srv;
	int fd;
	struct probe_io io;
	struct probe_response resp;
	char *err;
	int rc;
	long ms;
};

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One request to a fresh server; the server has finished when it returns. */
static void run(struct exchange *x, const struct probe_tls *tls, const struct probe_request *rq)
{
	int sv[2];
	long t0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	x->srv.fd = sv[0];
	x->fd = sv[1];
	x->io = (struct probe_io){ .read = fd_read, .write = fd_write, .ctx = &x->fd };
	assert_int_equal(pthread_create(&x->srv.thread, NULL, serve, &x->srv), 0);
	t0 = mono_ms();
	x->rc = probe_http(&x->io, tls, rq, &x->resp, &x->err);
	x->ms = mono_ms() - t0;
	close(x->fd);
	pthread_join(x->srv.thread, NULL);
	if (x->rc < 0)
		print_message("probe: %s\n", x->err);
}

static void done(struct exchange *x)
{
	probe_response_clear(&x->resp);
	free(x->err);
	memset(x, 0, sizeof *x);
}

static const struct probe_request get_healthz = { .method = "GET", .path = "/healthz" };

static struct probe_tls verified(const char *name)
{
	return (struct probe_tls){ .ca_pem = ca.cert_pem, .server_name = name };
}

/* --- tests ---------------------------------------------------------------- */

static void ok_with_length(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_LENGTH } };
	struct probe_tls tls = verified("127.0.0.1");

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.resp.status, 200);
	assert_string_equal(x.resp.body, "ok");
	assert_int_equal(x.resp.body_len, 2);
	assert_non_null(strstr(x.srv.request, "GET /healthz HTTP/1.1\r\n"));
	assert_non_null(strstr(x.srv.request, "\r\nHost: 127.0.0.1\r\n"));
	assert_non_null(strstr(x.srv.request, "\r\nConnection: close\r\n"));
	done(&x);
}

static void post_with_body(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_LENGTH } };
	struct probe_tls tls = verified("etcd.local"); /* a DNS name of its SANs */
	struct probe_request rq = { .method = "POST", .path = "/v3/kv/range",
				    .content_type = "application/json",
				    .body = "{\"key\":\"Zm9v\"}", .body_len = 14,
				    .headers = "X-Test: yes\r\n" };

	(void)state;
	run(&x, &tls, &rq);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.resp.status, 200);
	assert_string_equal(x.resp.body, "ok{\"key\":\"Zm9v\"}");
	assert_non_null(strstr(x.srv.request, "POST /v3/kv/range HTTP/1.1\r\n"));
	assert_non_null(strstr(x.srv.request, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(x.srv.request, "\r\nContent-Length: 14\r\n"));
	assert_non_null(strstr(x.srv.request, "\r\nX-Test: yes\r\n"));
	assert_non_null(strstr(x.srv.request, "\r\nHost: etcd.local\r\n"));
	done(&x);
}

static void chunked(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_CHUNKED } };
	struct probe_tls tls = verified("127.0.0.1");

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.resp.status, 200);
	assert_string_equal(x.resp.body, "hello world");
	assert_int_equal(x.resp.body_len, 11);
	done(&x);
}

static void error_status_is_a_response(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_ERROR } };
	struct probe_tls tls = verified("127.0.0.1");

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.resp.status, 500);
	assert_string_equal(x.resp.body, "broken");
	done(&x);
}

static void body_until_eof_and_interim(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_EOF } };
	struct probe_tls tls = verified("127.0.0.1");

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.resp.status, 200);
	assert_string_equal(x.resp.body, "until the end\n");
	done(&x);
	x.srv = (struct server){ .tls = true, .cert = &server, .answer = ANSWER_CONTINUE };
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.resp.status, 201);
	assert_string_equal(x.resp.body, "made");
	done(&x);
}

static void wrong_ca_refused(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_LENGTH } };
	struct probe_tls tls = { .ca_pem = other_ca.cert_pem, .server_name = "127.0.0.1" };

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "certificate is refused: unable to get local issuer"));
	assert_int_equal(x.srv.request_len, 0); /* nothing was sent */
	done(&x);
}

static void name_mismatch_refused(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_LENGTH } };
	struct probe_tls tls = verified("127.0.0.2");

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "IP address mismatch (it does not name 127.0.0.2)"));
	done(&x);
	x.srv = (struct server){ .tls = true, .cert = &server, .answer = ANSWER_LENGTH };
	tls = verified("other.local");
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "hostname mismatch (it does not name other.local)"));
	done(&x);
}

static void expired_refused(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &expired, .answer = ANSWER_LENGTH } };
	struct probe_tls tls = verified("127.0.0.1");

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "certificate has expired"));
	done(&x);
}

static void client_certificate(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .require_client = true,
				       .answer = ANSWER_LENGTH } };
	struct probe_tls tls = verified("127.0.0.1");

	(void)state;
	/* Required and given. */
	tls.cert_pem = client.cert_pem;
	tls.key_pem = client.key_pem;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.resp.status, 200);
	assert_string_equal(x.srv.client_cn, "kube-apiserver-etcd-client");
	done(&x);

	/* Required and not given: the server's alert says so. */
	x.srv = (struct server){ .tls = true, .cert = &server, .require_client = true,
				 .answer = ANSWER_LENGTH };
	tls = verified("127.0.0.1");
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_false(x.srv.handshake_ok);
	assert_non_null(strstr(x.err, "certificate required"));
	done(&x);

	/* Given, but from a CA the server does not trust. */
	x.srv = (struct server){ .tls = true, .cert = &server, .require_client = true,
				 .answer = ANSWER_LENGTH };
	tls.cert_pem = stranger.cert_pem;
	tls.key_pem = stranger.key_pem;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_false(x.srv.handshake_ok);
	done(&x);

	/* A key that is not the certificate's: refused before connecting. */
	tls.cert_pem = client.cert_pem;
	tls.key_pem = stranger.key_pem;
	x.srv = (struct server){ .tls = true, .cert = &server, .answer = ANSWER_LENGTH };
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "does not match"));
	done(&x);
}

static void plain_http(void **state)
{
	struct exchange x = { .srv = { .tls = false, .answer = ANSWER_LENGTH } };
	struct probe_tls tls = { .plain = true };
	struct probe_request quick = { .method = "GET", .path = "/healthz", .timeout_ms = 500 };

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.resp.status, 200);
	assert_string_equal(x.resp.body, "ok");
	assert_non_null(strstr(x.srv.request, "\r\nHost: localhost\r\n"));
	done(&x);
	/* TLS spoken to a plain server fails in the handshake. */
	x.srv = (struct server){ .tls = false, .answer = ANSWER_LENGTH };
	tls = verified("127.0.0.1");
	run(&x, &tls, &quick);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "TLS handshake"));
	done(&x);
}

static void stalling_server_times_out(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_STALL } };
	struct probe_tls tls = verified("127.0.0.1");
	struct probe_request rq = { .method = "GET", .path = "/readyz", .timeout_ms = 300 };

	(void)state;
	run(&x, &tls, &rq);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "no answer in 300 ms"));
	assert_true(x.ms >= 250 && x.ms < 2000);
	done(&x);
}

static void oversized_and_malformed(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_HUGE } };
	struct probe_tls tls = verified("127.0.0.1");

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "larger than 8 MiB"));
	assert_null(x.resp.body);
	done(&x);
	x.srv = (struct server){ .tls = true, .cert = &server, .answer = ANSWER_HUGE_CHUNKS };
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "larger than 8 MiB"));
	done(&x);
	x.srv = (struct server){ .tls = true, .cert = &server, .answer = ANSWER_TRUNCATED };
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "before the whole body"));
	done(&x);
	x.srv = (struct server){ .tls = true, .cert = &server, .answer = ANSWER_MALFORMED };
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "malformed response: status line"));
	done(&x);
}

static void bad_arguments(void **state)
{
	struct exchange x = { .srv = { .tls = true, .cert = &server, .answer = ANSWER_LENGTH } };
	struct probe_tls tls = { .ca_pem = ca.cert_pem }; /* no name to verify */
	struct probe_request rq = { .method = "GET", .path = "/x\r\nEvil: yes" };

	(void)state;
	run(&x, &tls, &get_healthz);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "needs the CA and the server's name"));
	done(&x);
	x.srv = (struct server){ .tls = true, .cert = &server, .answer = ANSWER_LENGTH };
	tls = verified("127.0.0.1");
	run(&x, &tls, &rq);
	assert_int_equal(x.rc, -1);
	assert_non_null(strstr(x.err, "malformed request"));
	done(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ok_with_length),
		cmocka_unit_test(post_with_body),
		cmocka_unit_test(chunked),
		cmocka_unit_test(error_status_is_a_response),
		cmocka_unit_test(body_until_eof_and_interim),
		cmocka_unit_test(wrong_ca_refused),
		cmocka_unit_test(name_mismatch_refused),
		cmocka_unit_test(expired_refused),
		cmocka_unit_test(client_certificate),
		cmocka_unit_test(plain_http),
		cmocka_unit_test(stalling_server_times_out),
		cmocka_unit_test(oversized_and_malformed),
		cmocka_unit_test(bad_arguments),
	};

	/* The test's server writes to a socket the client may have closed. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
