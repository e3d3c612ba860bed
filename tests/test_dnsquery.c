/* DNS messages (src/dnsquery.c) and the cluster-DNS check (healthapi.c)
 * against a DNS server in a thread of this test, reached through a fake
 * transport's stream (a socketpair): the right answer passes; NXDOMAIN, a
 * wrong address, a reply to another question, a truncated or silent server
 * do not. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsquery.h"
#include "healthapi.h"
#include "net.h"
#include "plan.h"
#include "xmalloc.h"

static void build(void **state)
{
	uint8_t buf[DNSQUERY_MAX];
	static const uint8_t want[] = {
		0, 33, /* TCP length */
		0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, /* header: id, RD, 1 question */
		3, 'a', 'p', 'i', 7, 'd', 'e', 'f', 'a', 'u', 'l', 't', 3, 's', 'v', 'c', 0,
		0, 1, 0, 1, /* A, IN */
	};
	size_t n;

	(void)state;
	n = dnsquery_build("api.default.svc", NET_IPV4, 0x1234, buf, sizeof buf);
	assert_int_equal(n, sizeof want);
	assert_memory_equal(buf, want, sizeof want);
	/* A final dot is the same name. */
	assert_int_equal(dnsquery_build("api.default.svc.", NET_IPV4, 0x1234, buf, sizeof buf), n);
	/* AAAA for IPv6. */
	n = dnsquery_build("a.b", NET_IPV6, 1, buf, sizeof buf);
	assert_int_equal(buf[n - 3], 28);
	assert_int_equal(dnsquery_build("", NET_IPV4, 1, buf, sizeof buf), 0);
	assert_int_equal(dnsquery_build("a..b", NET_IPV4, 1, buf, sizeof buf), 0);
	assert_int_equal(dnsquery_build(".a", NET_IPV4, 1, buf, sizeof buf), 0);
	{
		char label[70];

		memset(label, 'x', 64);
		label[64] = '\0';
		assert_int_equal(dnsquery_build(label, NET_IPV4, 1, buf, sizeof buf), 0);
		label[63] = '\0';
		assert_true(dnsquery_build(label, NET_IPV4, 1, buf, sizeof buf) > 0);
	}
	assert_int_equal(dnsquery_build("a.b", NET_IPV4, 1, buf, 20), 0);
}

/* An answer to query (without its TCP length): rcode, and one A record per
 * address given, its name a pointer to the question. */
static size_t answer(const uint8_t *query, size_t qlen, int rcode, const uint8_t (*a)[4],
		     int n, uint8_t *out)
{
	size_t len = qlen;

	memcpy(out, query, qlen);
	out[2] |= 0x80; /* a response */
	out[3] = (uint8_t)rcode;
	out[7] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4 };

		memcpy(out + len, rr, sizeof rr);
		memcpy(out + len + sizeof rr, a[i], 4);
		len += sizeof rr + 4;
	}
	return len;
}

static void parse(void **state)
{
	uint8_t q[DNSQUERY_MAX], msg[512];
	static const uint8_t addrs[2][4] = { { 192, 168, 0, 1 }, { 10, 0, 0, 9 } };
	struct net_addr got[4], want;
	const char *why = NULL;
	size_t qlen = dnsquery_build("kubernetes.default.svc.cluster.local", NET_IPV4, 77, q,
				     sizeof q);
	size_t len = answer(q + 2, qlen - 2, 0, addrs, 2, msg);
	int rcode = -1;

	(void)state;
	assert_int_equal(dnsquery_parse(msg, len, 77, NET_IPV4, &rcode, got, 4, &why), 2);
	assert_int_equal(rcode, 0);
	assert_int_equal(net_addr_parse("192.168.0.1", &want), 0);
	assert_true(net_addr_equal(&got[0], &want));
	/* At most max addresses. */
	assert_int_equal(dnsquery_parse(msg, len, 77, NET_IPV4, &rcode, got, 1, &why), 1);
	/* An AAAA question finds no A record. */
	assert_int_equal(dnsquery_parse(msg, len, 77, NET_IPV6, &rcode, got, 4, &why), 0);
	/* Another id, a query instead of an answer, every truncation. */
	assert_int_equal(dnsquery_parse(msg, len, 78, NET_IPV4, &rcode, got, 4, &why), -1);
	assert_non_null(why);
	assert_int_equal(dnsquery_parse(q + 2, qlen - 2, 77, NET_IPV4, &rcode, got, 4, &why), -1);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(dnsquery_parse(msg, cut, 77, NET_IPV4, &rcode, got, 4, &why),
				 -1);
	/* NXDOMAIN. */
	len = answer(q + 2, qlen - 2, DNSQUERY_NXDOMAIN, addrs, 0, msg);
	assert_int_equal(dnsquery_parse(msg, len, 77, NET_IPV4, &rcode, got, 4, &why), 0);
	assert_int_equal(rcode, DNSQUERY_NXDOMAIN);
	/* A label that runs past the end. */
	len = answer(q + 2, qlen - 2, 0, addrs, 1, msg);
	msg[qlen - 2] = 0x3f;
	assert_int_equal(dnsquery_parse(msg, len, 77, NET_IPV4, &rcode, got, 4, &why), -1);
}

/* --- the check, through a fake stream to a server thread ------------------ */

enum server_mode { ANSWER_RIGHT, ANSWER_WRONG, ANSWER_NXDOMAIN, ANSWER_OTHER_ID, SILENT };

struct server {
	int fd;
	enum server_mode mode;
	pthread_t thread;
	char asked[256];
};

static void *serve(void *arg)
{
	struct server *s = arg;
	uint8_t buf[DNSQUERY_MAX], out[600];
	static const uint8_t right[1][4] = { { 192, 168, 0, 1 } };
	static const uint8_t wrong[1][4] = { { 192, 168, 0, 9 } };
	ssize_t n = read(s->fd, buf, sizeof buf);
	size_t len;

	if (n < 14 || s->mode == SILENT)
		return NULL;
	/* The name asked, as dots, for the test to see. */
	for (size_t i = 14, k = 0; i < (size_t)n && buf[i] != 0 && k + 64 < sizeof s->asked;) {
		if (k > 0)
			s->asked[k++] = '.';
		memcpy(s->asked + k, buf + i + 1, buf[i]);
		k += buf[i];
		i += 1 + buf[i];
	}
	if (s->mode == ANSWER_OTHER_ID)
		buf[3] ^= 0xff;
	len = answer(buf + 2, (size_t)n - 2, s->mode == ANSWER_NXDOMAIN ? 3 : 0,
		     s->mode == ANSWER_WRONG ? wrong : right, s->mode == ANSWER_NXDOMAIN ? 0 : 1,
		     out + 2);
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	if (write(s->fd, out, len + 2) < 0)
		return NULL;
	return NULL;
}

struct conn {
	int fd;
};

static struct server server;
static char opened[64];

static ssize_t conn_read(void *ctx, void *buf, size_t len, int timeout_ms, char **err)
{
	struct conn *c = ctx;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms > 300 ? 300 : timeout_ms) <= 0) {
		*err = xstrdup("timed out");
		return -1;
	}
	return read(c->fd, buf, len);
}

static int conn_write(void *ctx, const void *buf, size_t len, char **err)
{
	struct conn *c = ctx;

	if (write(c->fd, buf, len) != (ssize_t)len) {
		*err = xstrdup("write failed");
		return -1;
	}
	return 0;
}

static int stream_open(void *h, const char *addr, unsigned port, struct transport_stream *s,
		       char **err)
{
	struct conn *c = xcalloc(1, sizeof *c);
	int sv[2];

	(void)h;
	(void)err;
	xsnprintf(opened, sizeof opened, "%s:%u", addr, port);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c->fd = sv[0];
	server.fd = sv[1];
	server.asked[0] = '\0';
	assert_int_equal(pthread_create(&server.thread, NULL, serve, &server), 0);
	s->read = conn_read;
	s->write = conn_write;
	s->ctx = c;
	return 0;
}

static void stream_close(struct transport_stream *s)
{
	struct conn *c = s->ctx;

	close(c->fd);
	pthread_join(server.thread, NULL);
	close(server.fd);
	free(c);
}

static const struct transport_ops ops = { .stream_open = stream_open,
					  .stream_close = stream_close };

static enum check_status check(enum server_mode mode, char **saw)
{
	struct plan *p = plan_new_default();
	struct check_env env = { .plan = p, .ops = &ops, .host = 3 };
	char *expected = NULL;
	enum check_status st;

	server.mode = mode;
	*saw = NULL;
	st = healthapi_cluster_dns(&env, &expected, saw);
	assert_non_null(strstr(expected, "kubernetes.default.svc.cluster.local resolves to "
					 "192.168.0.1 through the cluster DNS 192.168.0.2"));
	assert_string_equal(opened, "192.168.0.2:53");
	free(expected);
	plan_free(&p);
	return st;
}

static void cluster_dns(void **state)
{
	char *saw = NULL;

	(void)state;
	assert_int_equal(check(ANSWER_RIGHT, &saw), CHECK_PASS);
	assert_string_equal(server.asked, "kubernetes.default.svc.cluster.local");
	free(saw);
	assert_int_equal(check(ANSWER_WRONG, &saw), CHECK_WAIT);
	assert_string_equal(saw, "the answer 192.168.0.9");
	free(saw);
	assert_int_equal(check(ANSWER_NXDOMAIN, &saw), CHECK_WAIT);
	assert_non_null(strstr(saw, "response code 3"));
	free(saw);
	assert_int_equal(check(ANSWER_OTHER_ID, &saw), CHECK_WAIT);
	assert_non_null(strstr(saw, "not the answer"));
	free(saw);
	assert_int_equal(check(SILENT, &saw), CHECK_WAIT);
	assert_non_null(saw);
	free(saw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build),
		cmocka_unit_test(parse),
		cmocka_unit_test(cluster_dns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
