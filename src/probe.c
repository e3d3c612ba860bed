/* HTTP/1.1 probes over any byte stream, with OpenSSL for TLS: a BIO of our
 * own carries the TLS records over the stream (so it works through an SSH
 * channel as well as a socket), with the exchange's deadline applied to
 * every read. */
#include "config.h"

#include "probe.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"

#define DEFAULT_TIMEOUT_MS 10000
#define MAX_HEADER_LINE 8192
#define MAX_HEADERS (64 * 1024)

/* One exchange: the stream, its deadline, what went wrong under OpenSSL. */
struct conn {
	const struct probe_io *io;
	int64_t deadline;
	unsigned timeout_ms;
	char *io_err;   /* the stream's own message */
	bool timed_out; /* the deadline passed while reading */
	SSL *ssl;       /* NULL: plain */
	char buf[16384];
	size_t len, off;
	bool eof;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char **err, const char *fmt, ...)
{
	va_list ap;

	free(*err);
	va_start(ap, fmt);
	*err = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Read from the stream within the deadline: bytes, 0 at EOF, -1 with
 * c->io_err or c->timed_out set. */
static ssize_t stream_read(struct conn *c, void *buf, size_t len)
{
	int64_t left = c->deadline - now_ms();
	ssize_t n;

	if (left <= 0) {
		c->timed_out = true;
		return -1;
	}
	xfree(&c->io_err);
	n = c->io->read(c->io->ctx, buf, len, left > INT32_MAX ? INT32_MAX : (int)left, &c->io_err);
	if (n < 0 && now_ms() >= c->deadline)
		c->timed_out = true;
	return n;
}

static int stream_write(struct conn *c, const void *buf, size_t len)
{
	xfree(&c->io_err);
	return c->io->write(c->io->ctx, buf, len, &c->io_err);
}

/* --- the BIO over the stream ---------------------------------------------- */

static int bio_write(BIO *b, const char *data, int len)
{
	struct conn *c = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	return stream_write(c, data, (size_t)len) == 0 ? len : -1;
}

static int bio_read(BIO *b, char *out, int len)
{
	struct conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	n = stream_read(c, out, (size_t)len);
	if (n == 0)
		c->eof = true;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	/* Every write goes out at once: nothing to flush. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* --- TLS ------------------------------------------------------------------ */

/* The reason OpenSSL gives for the last error, or NULL. */
static const char *openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();

	return e != 0 ? ERR_reason_error_string(e) : NULL;
}

/* Load every certificate of pem into the store; returns how many. */
static int load_cas(X509_STORE *store, const char *pem)
{
	BIO *in = BIO_new_mem_buf(pem, -1);
	X509 *x = NULL;
	int n = 0;

	if (in == NULL)
		xalloc_die("BIO_new_mem_buf");
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		X509_free(x);
	}
	ERR_clear_error(); /* the end of the PEM text reads as an error */
	BIO_free(in);
	return n;
}

/* The client certificate (and any chain after it) and its key. */
static int load_client(SSL_CTX *ctx, const char *cert_pem, const char *key_pem, char **err)
{
	BIO *in = BIO_new_mem_buf(cert_pem, -1);
	BIO *kin = BIO_new_mem_buf(key_pem, -1);
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (in == NULL || kin == NULL)
		xalloc_die("BIO_new_mem_buf");
	x = PEM_read_bio_X509(in, NULL, NULL, NULL);
	key = PEM_read_bio_PrivateKey(kin, NULL, NULL, NULL);
	if (x == NULL) {
		set_err(err, _("the client certificate cannot be read"));
		goto out;
	}
	if (key == NULL) {
		set_err(err, _("the client key cannot be read"));
		goto out;
	}
	if (X509_check_private_key(x, key) != 1) {
		set_err(err, _("the client key does not match the client certificate"));
		goto out;
	}
	if (SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		/* L10N: OpenSSL's reason. */
		set_err(err, _("the client certificate cannot be used: %s"),
			openssl_reason() != NULL ? openssl_reason() : _("no reason given"));
		goto out;
	}
	X509_free(x);
	/* Intermediate CAs after it go with it. */
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1)
			X509_free(x);
	}
	x = NULL;
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	BIO_free(in);
	BIO_free(kin);
	return rc;
}

static bool is_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Why the handshake failed, as precisely as OpenSSL tells. */
static void handshake_error(struct conn *c, const struct probe_tls *tls, char **err)
{
	long v = SSL_get_verify_result(c->ssl);
	const char *reason = openssl_reason();

	if (c->timed_out) {
		/* L10N: milliseconds. */
		set_err(err, _("TLS handshake: no answer in %u ms"), c->timeout_ms);
	} else if (c->io_err != NULL) {
		/* L10N: why the connection failed during the handshake. */
		set_err(err, _("TLS handshake: %s"), c->io_err);
	} else if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		/* L10N: OpenSSL's reason ("hostname mismatch"), the expected name. */
		set_err(err, _("TLS handshake: the server's certificate is refused: %s (it does "
			       "not name %s)"),
			X509_verify_cert_error_string(v), tls->server_name);
	} else if (v != X509_V_OK) {
		/* L10N: OpenSSL's reason ("unable to get local issuer certificate"). */
		set_err(err, _("TLS handshake: the server's certificate is refused: %s"),
			X509_verify_cert_error_string(v));
	} else if (c->eof) {
		/* L10N: ": " and the server's reason, or nothing and nothing. */
		set_err(err, _("TLS handshake: the server closed the connection%s%s"),
			reason != NULL ? ": " : "", reason != NULL ? reason : "");
	} else {
		/* L10N: OpenSSL's reason. */
		set_err(err, _("TLS handshake failed: %s"),
			reason != NULL ? reason : _("no reason given"));
	}
}

/* Set up and run the handshake over c. */
static int tls_start(struct conn *c, const struct probe_tls *tls, BIO_METHOD **meth,
		     SSL_CTX **pctx, char **err)
{
	SSL_CTX *ctx = NULL;
	BIO *bio = NULL;
	X509_VERIFY_PARAM *param = NULL;

	if (tls->ca_pem == NULL || tls->server_name == NULL) {
		/* Never unverified: a probe that trusts anyone proves nothing. */
		set_err(err, _("TLS needs the CA and the server's name to verify it"));
		return -1;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		xalloc_die("SSL_CTX_new");
	*pctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Connection: close servers may end without close_notify; the framing
	 * (Content-Length, chunks) says whether the body is whole. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (load_cas(SSL_CTX_get_cert_store(ctx), tls->ca_pem) == 0) {
		set_err(err, _("the CA certificate cannot be read"));
		return -1;
	}
	if ((tls->cert_pem != NULL) != (tls->key_pem != NULL)) {
		set_err(err, _("a client certificate needs its key, and a key its certificate"));
		return -1;
	}
	if (tls->cert_pem != NULL && load_client(ctx, tls->cert_pem, tls->key_pem, err) < 0)
		return -1;
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL)
		xalloc_die("SSL_new");
	param = SSL_get0_param(c->ssl);
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip(tls->server_name)) {
		X509_VERIFY_PARAM_set1_ip_asc(param, tls->server_name);
	} else {
		X509_VERIFY_PARAM_set1_host(param, tls->server_name, 0);
		SSL_set_tlsext_host_name(c->ssl, tls->server_name);
	}
	*meth = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "k8sw-probe");
	if (*meth == NULL)
		xalloc_die("BIO_meth_new");
	BIO_meth_set_write(*meth, bio_write);
	BIO_meth_set_read(*meth, bio_read);
	BIO_meth_set_ctrl(*meth, bio_ctrl);
	BIO_meth_set_create(*meth, bio_create);
	bio = BIO_new(*meth);
	if (bio == NULL)
		xalloc_die("BIO_new");
	BIO_set_data(bio, c);
	SSL_set_bio(c->ssl, bio, bio);
	ERR_clear_error();
	if (SSL_connect(c->ssl) != 1) {
		handshake_error(c, tls, err);
		return -1;
	}
	return 0;
}

/* --- reading and writing the exchange --------------------------------------- */

/* What the connection failed with while reading or writing. */
static void conn_error(struct conn *c, const char *what, char **err)
{
	const char *reason = openssl_reason();

	if (c->timed_out)
		/* L10N: "reading the response"..., milliseconds. */
		set_err(err, _("%s: no answer in %u ms"), what, c->timeout_ms);
	else if (c->io_err != NULL)
		set_err(err, "%s: %s", what, c->io_err);
	else if (reason != NULL)
		/* L10N: "reading the response"..., OpenSSL's reason (e.g. "tlsv13
		 * alert certificate required": the server wanted a client
		 * certificate). */
		set_err(err, _("%s: TLS: %s"), what, reason);
	else
		/* L10N: what was being done ("reading the response"). */
		set_err(err, _("%s: the connection failed"), what);
}

static int conn_write(struct conn *c, const void *buf, size_t len, char **err)
{
	if (c->ssl == NULL) {
		if (stream_write(c, buf, len) == 0)
			return 0;
	} else {
		char alert[256];
		size_t done = 0;

		ERR_clear_error();
		if (len == 0 || SSL_write_ex(c->ssl, buf, len, &done) == 1)
			return 0;
		/* A server that ended the connection may have said why first (a
		 * TLS 1.3 server refuses a client certificate only after the
		 * handshake): its alert is the better message. */
		if (!c->timed_out && SSL_read_ex(c->ssl, alert, sizeof alert, &done) != 1 &&
		    openssl_reason() != NULL)
			xfree(&c->io_err);
	}
	conn_error(c, _("sending the request"), err);
	return -1;
}

/* Refill c->buf. Returns 1, 0 at EOF, -1 with *err. */
static int fill(struct conn *c, char **err)
{
	ssize_t n = 0;

	if (c->eof && c->ssl == NULL)
		return 0;
	c->off = c->len = 0;
	if (c->ssl == NULL) {
		n = stream_read(c, c->buf, sizeof c->buf);
		if (n == 0)
			c->eof = true;
	} else {
		size_t got = 0;

		ERR_clear_error();
		/* An EOF without close_notify counts as one too (see tls_start). */
		if (SSL_read_ex(c->ssl, c->buf, sizeof c->buf, &got) == 1)
			n = (ssize_t)got;
		else
			n = SSL_get_error(c->ssl, 0) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
	}
	if (n < 0) {
		conn_error(c, _("reading the response"), err);
		return -1;
	}
	c->len = (size_t)n;
	return n > 0 ? 1 : 0;
}

/* One line without its CRLF (or LF) into line (NUL-terminated). Returns 1,
 * 0 at EOF before any byte, -1 with *err. */
static int read_line(struct conn *c, char *line, size_t cap, char **err)
{
	size_t n = 0;

	for (;;) {
		char ch;

		if (c->off == c->len) {
			int f = fill(c, err);

			if (f < 0)
				return -1;
			if (f == 0) {
				if (n == 0)
					return 0;
				set_err(err, _("the connection closed in the middle of a line"));
				return -1;
			}
		}
		ch = c->buf[c->off++];
		if (ch == '\n')
			break;
		if (n + 1 >= cap) {
			/* L10N: a number of bytes. */
			set_err(err, _("malformed response: a line longer than %zu bytes"), cap);
			return -1;
		}
		line[n++] = ch;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 1;
}

/* Append up to want bytes of the body (all until EOF when want is
 * SIZE_MAX); fails past the cap, and when EOF comes before want bytes. */
static int read_body(struct conn *c, struct strbuf *body, size_t want, char **err)
{
	while (want > 0) {
		size_t n;

		if (c->off == c->len) {
			int f = fill(c, err);

			if (f < 0)
				return -1;
			if (f == 0) {
				if (want == SIZE_MAX)
					return 0;
				set_err(err, _("the connection closed before the whole body came"));
				return -1;
			}
		}
		n = c->len - c->off;
		if (n > want)
			n = want;
		if (body->len + n > PROBE_MAX_BODY) {
			/* L10N: the limit in MiB. */
			set_err(err, _("the response body is larger than %u MiB"),
				PROBE_MAX_BODY >> 20);
			return -1;
		}
		strbuf_add(body, c->buf + c->off, n);
		c->off += n;
		if (want != SIZE_MAX)
			want -= n;
	}
	return 0;
}

/* A decimal or hexadecimal size; false when s is not one (or too big). */
static bool parse_size(const char *s, int base, size_t *out)
{
	char *end = NULL;
	unsigned long long v;

	s += strspn(s, " \t");
	if ((base == 10 && (*s < '0' || *s > '9')) || *s == '\0' || *s == '-' || *s == '+')
		return false;
	v = strtoull(s, &end, base);
	end += strspn(end, " \t");
	if (*end != '\0' || v > SIZE_MAX / 2)
		return false;
	*out = (size_t)v;
	return true;
}

static int read_chunked(struct conn *c, struct strbuf *body, char **err)
{
	char line[MAX_HEADER_LINE], crlf[4];

	for (;;) {
		size_t size = 0;
		char *ext = NULL;
		int l = read_line(c, line, sizeof line, err);

		if (l <= 0) {
			if (l == 0)
				set_err(err, _("the connection closed before the whole body came"));
			return -1;
		}
		ext = strchr(line, ';');
		if (ext != NULL)
			*ext = '\0';
		if (!parse_size(line, 16, &size)) {
			/* L10N: the start of the line received. */
			set_err(err, _("malformed response: bad chunk size \"%.40s\""), line);
			return -1;
		}
		if (size == 0)
			break;
		if (size > PROBE_MAX_BODY) {
			set_err(err, _("the response body is larger than %u MiB"),
				PROBE_MAX_BODY >> 20);
			return -1;
		}
		if (read_body(c, body, size, err) < 0)
			return -1;
		l = read_line(c, crlf, sizeof crlf, err);
		if (l <= 0 || crlf[0] != '\0') {
			if (l >= 0)
				set_err(err, _("malformed response: a chunk does not end its line"));
			return -1;
		}
	}
	/* Trailer lines, up to the empty one. */
	for (;;) {
		int l = read_line(c, line, sizeof line, err);

		if (l < 0)
			return -1;
		if (l == 0 || line[0] == '\0')
			return 0;
	}
}

/* The status line and headers; 1xx interim responses are skipped. */
static int read_head(struct conn *c, int *status, bool *chunked, bool *has_length,
		     size_t *length, char **err)
{
	char line[MAX_HEADER_LINE];
	size_t total = 0;
	int l;

	do {
		l = read_line(c, line, sizeof line, err);
		if (l <= 0) {
			if (l == 0)
				set_err(err, _("the connection closed with no response"));
			return -1;
		}
		if (strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') ||
		    line[8] != ' ' || line[9] < '1' || line[9] > '5' || line[10] < '0' ||
		    line[10] > '9' || line[11] < '0' || line[11] > '9' ||
		    (line[12] != ' ' && line[12] != '\0')) {
			/* L10N: the start of the line received. */
			set_err(err, _("malformed response: status line \"%.60s\""), line);
			return -1;
		}
		*status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
		*chunked = *has_length = false;
		for (;;) {
			char *colon = NULL, *value = NULL;

			l = read_line(c, line, sizeof line, err);
			if (l <= 0) {
				if (l == 0)
					set_err(err, _("the connection closed in the headers"));
				return -1;
			}
			if (line[0] == '\0')
				break;
			total += strlen(line);
			colon = strchr(line, ':');
			if (total > MAX_HEADERS || colon == NULL || colon == line) {
				/* L10N: the start of the line received. */
				set_err(err, _("malformed response: header \"%.60s\""), line);
				return -1;
			}
			*colon = '\0';
			value = colon + 1 + strspn(colon + 1, " \t");
			if (strcasecmp(line, "Transfer-Encoding") == 0) {
				*chunked = strcasestr(value, "chunked") != NULL;
			} else if (strcasecmp(line, "Content-Length") == 0) {
				size_t v = 0;

				if (!parse_size(value, 10, &v) || (*has_length && v != *length)) {
					/* L10N: the value received. */
					set_err(err, _("malformed response: Content-Length \"%.40s\""),
						value);
					return -1;
				}
				*length = v;
				*has_length = true;
			}
		}
	} while (*status >= 100 && *status < 200);
	return 0;
}

static int exchange(struct conn *c, const struct probe_tls *tls, const struct probe_request *rq,
		    struct probe_response *resp, char **err)
{
	struct strbuf req = { .secret = true }; /* a body may carry a token */
	struct strbuf body = { 0 };
	const char *host = tls != NULL && tls->server_name != NULL ? tls->server_name : "localhost";
	bool chunked = false, has_length = false, v6 = strchr(host, ':') != NULL;
	size_t length = 0;
	int status = 0, rc = -1;

	if (strpbrk(rq->method, " \r\n") != NULL || strpbrk(rq->path, " \r\n") != NULL ||
	    strpbrk(host, " \r\n") != NULL ||
	    (rq->content_type != NULL && strpbrk(rq->content_type, "\r\n") != NULL)) {
		set_err(err, _("malformed request: a space or line break in its first lines"));
		goto out;
	}
	strbuf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s%s%s\r\nUser-Agent: k8s-wizard\r\n"
			  "Accept: */*\r\nConnection: close\r\n",
		    rq->method, rq->path, v6 ? "[" : "", host, v6 ? "]" : "");
	if (rq->content_type != NULL)
		strbuf_addf(&req, "Content-Type: %s\r\n", rq->content_type);
	if (rq->body != NULL || strcmp(rq->method, "GET") != 0)
		strbuf_addf(&req, "Content-Length: %zu\r\n", rq->body != NULL ? rq->body_len : 0);
	if (rq->headers != NULL)
		strbuf_adds(&req, rq->headers);
	strbuf_adds(&req, "\r\n");
	if (rq->body != NULL && rq->body_len > 0)
		strbuf_add(&req, rq->body, rq->body_len);
	if (conn_write(c, req.s, req.len, err) < 0)
		goto out;
	if (read_head(c, &status, &chunked, &has_length, &length, err) < 0)
		goto out;
	if (strcmp(rq->method, "HEAD") == 0 || status == 204 || status == 304) {
		rc = 0;
	} else if (chunked) {
		rc = read_chunked(c, &body, err);
	} else if (has_length) {
		if (length > PROBE_MAX_BODY) {
			set_err(err, _("the response body is larger than %u MiB"),
				PROBE_MAX_BODY >> 20);
			goto out;
		}
		rc = read_body(c, &body, length, err);
	} else {
		rc = read_body(c, &body, SIZE_MAX, err);
	}
	if (rc < 0)
		goto out;
	resp->status = status;
	resp->body = strbuf_detach(&body, &resp->body_len);
out:
	strbuf_clear(&req);
	strbuf_clear(&body);
	return rc;
}

int probe_http(const struct probe_io *io, const struct probe_tls *tls,
	       const struct probe_request *rq, struct probe_response *resp, char **err)
{
	struct conn *c = xcalloc(1, sizeof *c);
	BIO_METHOD *meth = NULL;
	SSL_CTX *ctx = NULL;
	int rc = -1;

	memset(resp, 0, sizeof *resp);
	c->io = io;
	c->timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->deadline = now_ms() + c->timeout_ms;
	if (tls != NULL && !tls->plain && tls_start(c, tls, &meth, &ctx, err) < 0)
		goto out;
	rc = exchange(c, tls, rq, resp, err);
	if (rc == 0 && c->ssl != NULL)
		SSL_shutdown(c->ssl); /* our close_notify; the answer is not awaited */
out:
	SSL_free(c->ssl); /* and the BIO */
	SSL_CTX_free(ctx);
	BIO_meth_free(meth);
	ERR_clear_error();
	free(c->io_err);
	free(c);
	return rc;
}

void probe_response_clear(struct probe_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof *resp);
}

static ssize_t remote_io_read(void *ctx, void *buf, size_t len, int timeout_ms, char **err)
{
	return remote_tcp_read(ctx, buf, len, timeout_ms, err);
}

static int remote_io_write(void *ctx, const void *buf, size_t len, char **err)
{
	return remote_tcp_write(ctx, buf, len, err);
}

void probe_io_remote(struct probe_io *io, struct remote_tcp *t)
{
	io->read = remote_io_read;
	io->write = remote_io_write;
	io->ctx = t;
}
