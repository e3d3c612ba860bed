/* One HTTP/1.1 request, over TLS (verified: the CA given, the server's name
 * or address in its certificate, TLS 1.2 or later, an optional client
 * certificate) or plain, over any byte stream: the health checks' probes,
 * sent through a host's SSH connection (probe_io_remote()).
 *
 * Call order: fill a probe_io (or probe_io_remote()), then probe_http() as
 * many times as there are connections (one request per connection, sent
 * with "Connection: close"), and probe_response_clear() each response. */
#ifndef K8SW_PROBE_H
#define K8SW_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "remote.h"

/* The byte stream. read waits at most timeout_ms and returns the bytes read,
 * 0 at EOF, -1 with *err set; write writes all of buf, 0 or -1 with *err. */
struct probe_io {
	ssize_t (*read)(void *ctx, void *buf, size_t len, int timeout_ms, char **err);
	int (*write)(void *ctx, const void *buf, size_t len, char **err);
	void *ctx;
};

struct probe_tls {
	bool plain;              /* true: plain HTTP (the kubelet's :10248/healthz) */
	const char *ca_pem;      /* the CA that must have signed the server's certificate */
	const char *cert_pem;    /* client certificate (mTLS), or NULL */
	const char *key_pem;     /* its key, or NULL */
	const char *server_name; /* IP address or DNS name the server certificate must carry
				  * in its SANs; also the Host header (NULL: "localhost",
				  * plain only) */
};

struct probe_request {
	const char *method;       /* "GET", "POST", "PUT", "PATCH" */
	const char *path;         /* "/healthz" */
	const char *content_type; /* or NULL */
	const void *body;         /* or NULL */
	size_t body_len;
	unsigned timeout_ms;      /* for the whole exchange; 0: 10000 */
	const char *headers;      /* more header lines, each ending in "\r\n", or NULL */
};

#define PROBE_MAX_BODY (8u << 20)

/* The response: status code, body NUL-terminated (at most PROBE_MAX_BODY). */
struct probe_response {
	int status;
	char *body;
	size_t body_len;
};

/* Send the request and read the response: Content-Length, chunked, or up to
 * EOF. Returns 0 when a response came back (any status), -1 with *err saying
 * what failed: the connection, the TLS handshake (and why: unknown CA, name
 * mismatch, expired, client certificate refused...), the time, or a
 * malformed or oversized response. tls NULL means plain. */
int probe_http(const struct probe_io *io, const struct probe_tls *tls,
	       const struct probe_request *rq, struct probe_response *resp, char **err);

void probe_response_clear(struct probe_response *resp);

/* A probe_io over a TCP stream made by a host (remote_tcp_open()). */
void probe_io_remote(struct probe_io *io, struct remote_tcp *t);

#endif
