/* Health checks that ask the components: one HTTP request per attempt,
 * through a TCP stream the host opens to the component (so the jump host
 * needs no route to it), TLS verified against the CA that signed the
 * component's certificate, with the PKI's client certificate where the
 * component requires one. API answers are parsed with json-c. */
#include "config.h"

#include "healthapi.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsquery.h"
#include "net.h"
#include "nls.h"
#include "probe.h"
#include "strbuf.h"
#include "xmalloc.h"

#define KUBELET_HEALTHZ_PORT 10248
#define CONTROLLER_MANAGER_PORT 10257
#define SCHEDULER_PORT 10259
#define REQUEST_TIMEOUT_MS 10000

/* --- one request ---------------------------------------------------------- */

/* method path on addr:port as seen from the check's host. Returns 0 with
 * resp filled (any status), or -1 with *saw saying what failed. */
static int request(struct check_env *env, const char *addr, unsigned port,
		   const struct probe_tls *tls, const char *method, const char *path,
		   const char *body, struct probe_response *resp, char **saw)
{
	struct transport_stream s = { 0 };
	struct probe_request rq = { .method = method, .path = path,
				    .timeout_ms = REQUEST_TIMEOUT_MS };
	struct probe_io io;
	char *err = NULL;
	int rc;

	memset(resp, 0, sizeof *resp);
	if (body != NULL) {
		rq.body = body;
		rq.body_len = strlen(body);
		rq.content_type = "application/json";
	}
	if (env->ops->stream_open(env->h, addr, port, &s, &err) < 0) {
		/* L10N: address, port, why. */
		*saw = xasprintf(_("nothing answers on %s port %u: %s"), addr, port,
				 err != NULL ? err : "?");
		free(err);
		return -1;
	}
	io.read = s.read;
	io.write = s.write;
	io.ctx = s.ctx;
	rc = probe_http(&io, tls, &rq, resp, &err);
	env->ops->stream_close(&s);
	if (rc < 0) {
		*saw = err;
		return -1;
	}
	return 0;
}

/* The answer's status and the start of its body, for "saw". */
static char *describe(const struct probe_response *resp)
{
	char *body = xstrndup(resp->body != NULL ? resp->body : "", 160), *s = NULL;

	for (char *p = body; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	/* L10N: an HTTP status code and the start of the body. */
	s = xasprintf(_("HTTP %d: %s"), resp->status, body);
	free(body);
	return s;
}

/* GET path and expect 200 with body "ok" (the components' health endpoints). */
static enum check_status expect_ok(struct check_env *env, const char *addr, unsigned port,
				   const struct probe_tls *tls, const char *path, char **saw)
{
	struct probe_response resp;
	enum check_status st = CHECK_WAIT;

	if (request(env, addr, port, tls, "GET", path, NULL, &resp, saw) < 0)
		return CHECK_WAIT;
	if (resp.status == 200 && strcmp(resp.body, "ok") == 0) {
		*saw = xstrdup("ok");
		st = CHECK_PASS;
	} else {
		*saw = describe(&resp);
	}
	probe_response_clear(&resp);
	return st;
}

static const char *host_address(const struct check_env *env)
{
	return env->plan->hosts[env->host].address;
}

/* --- the kubelet, etcd and the control plane ------------------------------ */

enum check_status healthapi_kubelet(struct check_env *env, char **expected, char **saw)
{
	struct probe_tls plain = { .plain = true };

	*expected = xstrdup(_("the kubelet's /healthz (127.0.0.1:10248) answers ok"));
	return expect_ok(env, "127.0.0.1", KUBELET_HEALTHZ_PORT, &plain, "/healthz", saw);
}

/* TLS to an etcd member: etcd-ca, and the client certificate etcd requires. */
static void etcd_tls(const struct check_env *env, const char *addr, struct probe_tls *tls)
{
	memset(tls, 0, sizeof *tls);
	tls->ca_pem = certs_cert_pem(env->certs, CERT_ETCD_CA);
	tls->cert_pem = certs_cert_pem(env->certs, CERT_ETCD_PEER);
	tls->key_pem = certs_key_pem(env->certs, CERT_ETCD_PEER);
	tls->server_name = addr;
}

static json_object *parse_json(const struct probe_response *resp, char **saw)
{
	json_object *o = json_tokener_parse(resp->body != NULL ? resp->body : "");

	if (o == NULL) {
		char *d = describe(resp);

		/* L10N: what came back instead of JSON. */
		*saw = xasprintf(_("not JSON: %s"), d);
		free(d);
	}
	return o;
}

/* A member of a JSON object by a path of keys; NULL when absent. */
static json_object *jget(json_object *o, ...)
{
	va_list ap;
	const char *key = NULL;

	va_start(ap, o);
	while (o != NULL && (key = va_arg(ap, const char *)) != NULL) {
		json_object *next = NULL;

		if (!json_object_object_get_ex(o, key, &next))
			next = NULL;
		o = next;
	}
	va_end(ap);
	return o;
}

/* o when it is an array, else NULL: json-c aborts the process when asked
 * for the length or an element of anything else, and an answer of another
 * shape must only fail a check. */
static json_object *jarray(json_object *o)
{
	return o != NULL && json_object_is_type(o, json_type_array) ? o : NULL;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key, NULL);

	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
								     : NULL;
}

/* An integer member (found with jget), or -1. */
static long long jint(json_object *v)
{
	return v != NULL && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

enum check_status healthapi_etcd(struct check_env *env, char **expected, char **saw)
{
	const char *addr = host_address(env);
	struct probe_tls tls;
	struct probe_response resp;
	json_object *o = NULL;
	const char *health = NULL;
	enum check_status st = CHECK_WAIT;

	/* L10N: address and port. */
	*expected = xasprintf(_("etcd on %s:%u healthy over mutual TLS"), addr,
			      env->plan->etcd.client_port);
	etcd_tls(env, addr, &tls);
	if (request(env, addr, env->plan->etcd.client_port, &tls, "GET", "/health", NULL, &resp,
		    saw) < 0)
		return CHECK_WAIT;
	o = parse_json(&resp, saw);
	health = jstr(o, "health");
	if (resp.status == 200 && health != NULL && strcmp(health, "true") == 0) {
		*saw = xstrdup(_("healthy"));
		st = CHECK_PASS;
	} else if (*saw == NULL) {
		*saw = describe(&resp);
	}
	json_object_put(o);
	probe_response_clear(&resp);
	return st;
}

/* https://ADDR:PORT, the address in brackets when it is IPv6. */
static char *peer_url(const char *addr, unsigned port)
{
	return strchr(addr, ':') != NULL ? xasprintf("https://[%s]:%u", addr, port)
					 : xasprintf("https://%s:%u", addr, port);
}

enum check_status healthapi_etcd_members(struct check_env *env, char **expected, char **saw)
{
	const struct plan *p = env->plan;
	struct strbuf want = { 0 }, got = { 0 };
	const char *addr = NULL;
	struct probe_tls tls;
	struct probe_response resp;
	json_object *o = NULL, *members = NULL;
	size_t n_want = 0, n_match = 0, n_got = 0;
	enum check_status st = CHECK_WAIT;

	for (size_t i = 0; i < p->n_hosts; i++) {
		if (!(p->hosts[i].roles & ROLE_ETCD))
			continue;
		if (addr == NULL)
			addr = p->hosts[i].address;
		n_want++;
	}
	/* L10N: a number of etcd members. */
	*expected = xasprintf(_("exactly the plan's %zu etcd members"), n_want);
	if (addr == NULL) {
		*saw = xstrdup(_("the plan has no etcd member"));
		return CHECK_FAIL;
	}
	etcd_tls(env, addr, &tls);
	if (request(env, addr, p->etcd.client_port, &tls, "POST", "/v3/cluster/member/list", "{}",
		    &resp, saw) < 0)
		return CHECK_WAIT;
	o = parse_json(&resp, saw);
	members = jget(o, "members", NULL);
	if (resp.status != 200 || members == NULL || !json_object_is_type(members, json_type_array)) {
		if (*saw == NULL)
			*saw = describe(&resp);
		goto out;
	}
	n_got = json_object_array_length(members);
	for (size_t i = 0; i < n_got; i++) {
		json_object *m = json_object_array_get_idx(members, i);
		json_object *peers = jarray(jget(m, "peerURLs", NULL));
		const char *url = peers != NULL && json_object_array_length(peers) > 0
					  ? json_object_get_string(json_object_array_get_idx(peers, 0))
					  : "?";
		bool planned = false;

		for (size_t h = 0; h < p->n_hosts && !planned; h++) {
			char *u = NULL;

			if (!(p->hosts[h].roles & ROLE_ETCD))
				continue;
			u = peer_url(p->hosts[h].address, p->etcd.peer_port);
			planned = strcmp(u, url) == 0;
			free(u);
		}
		n_match += planned;
		strbuf_addf(&got, "%s%s%s", got.len > 0 ? ", " : "", url,
			    planned ? "" : _(" (not in the plan)"));
	}
	if (n_got == n_want && n_match == n_want) {
		st = CHECK_PASS;
		/* L10N: number of members and their peer URLs. */
		*saw = xasprintf(_("%zu members: %s"), n_got, got.s);
	} else {
		/* L10N: number of members and their peer URLs. */
		*saw = xasprintf(_("%zu members: %s"), n_got, got.len > 0 ? got.s : "-");
		/* A stranger in the cluster will not leave by waiting. */
		if (n_match < n_got)
			st = CHECK_FAIL;
	}
out:
	json_object_put(o);
	probe_response_clear(&resp);
	strbuf_clear(&want);
	strbuf_clear(&got);
	return st;
}

/* TLS to an apiserver at addr, as the cluster's admin. */
static void admin_tls(const struct check_env *env, const char *addr, struct probe_tls *tls)
{
	memset(tls, 0, sizeof *tls);
	tls->ca_pem = certs_cert_pem(env->certs, CERT_K8S_CA);
	tls->cert_pem = certs_cert_pem(env->certs, CERT_ADMIN);
	tls->key_pem = certs_key_pem(env->certs, CERT_ADMIN);
	tls->server_name = addr;
}

static enum check_status apiserver_at(struct check_env *env, const char *addr, char **saw)
{
	struct probe_tls tls;
	enum check_status st;

	admin_tls(env, addr, &tls);
	st = expect_ok(env, addr, env->plan->network.apiserver_port, &tls, "/healthz", saw);
	if (st != CHECK_PASS)
		return st;
	free(*saw);
	*saw = NULL;
	return expect_ok(env, addr, env->plan->network.apiserver_port, &tls, "/readyz", saw);
}

enum check_status healthapi_apiserver(struct check_env *env, char **expected, char **saw)
{
	/* L10N: address and port. */
	*expected = xasprintf(_("/healthz and /readyz ok on %s:%u"), host_address(env),
			      env->plan->network.apiserver_port);
	return apiserver_at(env, host_address(env), saw);
}

enum check_status healthapi_vip(struct check_env *env, char **expected, char **saw)
{
	/* L10N: the API endpoint's address and port. */
	*expected = xasprintf(_("the API endpoint %s:%u answers /healthz and /readyz with the "
				"apiserver's certificate"),
			      env->plan->network.apiserver_vip, env->plan->network.apiserver_port);
	return apiserver_at(env, env->plan->network.apiserver_vip, saw);
}

/* A component that serves /healthz on 127.0.0.1 with a certificate of the
 * k8s CA (the controller-manager's and the scheduler's). */
static enum check_status component(struct check_env *env, unsigned port, char **saw)
{
	struct probe_tls tls = { .ca_pem = certs_cert_pem(env->certs, CERT_K8S_CA),
				 .server_name = "127.0.0.1" };

	return expect_ok(env, "127.0.0.1", port, &tls, "/healthz", saw);
}

enum check_status healthapi_controller_manager(struct check_env *env, char **expected,
					       char **saw)
{
	*expected = xstrdup(_("the controller-manager's /healthz (127.0.0.1:10257) answers ok"));
	return component(env, CONTROLLER_MANAGER_PORT, saw);
}

enum check_status healthapi_scheduler(struct check_env *env, char **expected, char **saw)
{
	*expected = xstrdup(_("the scheduler's /healthz (127.0.0.1:10259) answers ok"));
	return component(env, SCHEDULER_PORT, saw);
}

/* --- the API -------------------------------------------------------------- */

/* A request to the API through the check's host (its own apiserver, as the
 * admin). *out gets the parsed answer of a 2xx response. */
static int api(struct check_env *env, const char *method, const char *path, const char *body,
	       json_object **out, char **saw)
{
	const char *addr = host_address(env);
	struct probe_tls tls;
	struct probe_response resp;
	int rc = -1;

	*out = NULL;
	admin_tls(env, addr, &tls);
	if (request(env, addr, env->plan->network.apiserver_port, &tls, method, path, body, &resp,
		    saw) < 0)
		return -1;
	if (resp.status >= 200 && resp.status < 300) {
		*out = parse_json(&resp, saw);
		rc = *out != NULL ? 0 : -1;
	} else {
		*saw = describe(&resp);
	}
	probe_response_clear(&resp);
	return rc;
}

/* The condition type of an object's status.conditions, or NULL. */
static const char *condition(json_object *obj, const char *type)
{
	json_object *conds = jarray(jget(obj, "status", "conditions", NULL));

	for (size_t i = 0; conds != NULL && i < json_object_array_length(conds); i++) {
		json_object *c = json_object_array_get_idx(conds, i);
		const char *t = jstr(c, "type");

		if (t != NULL && strcmp(t, type) == 0)
			return jstr(c, "status");
	}
	return NULL;
}

/* An object's metadata.name, for messages ("?" when it has none). */
static const char *jname(json_object *o)
{
	const char *name = jstr(jget(o, "metadata", NULL), "name");

	return name != NULL ? name : "?";
}

static json_object *find_item(json_object *list, const char *name)
{
	json_object *items = jarray(jget(list, "items", NULL));

	for (size_t i = 0; items != NULL && i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i);
		const char *n = jstr(jget(it, "metadata", NULL), "name");

		if (n != NULL && strcmp(n, name) == 0)
			return it;
	}
	return NULL;
}

/* Every worker of the plan is a node (ready is not asked here: that takes
 * the pod network). */
enum check_status healthapi_nodes(struct check_env *env, char **expected, char **saw)
{
	json_object *list = NULL;
	struct strbuf missing = { 0 };
	size_t n = 0;

	*expected = xstrdup(_("every worker registered as a node"));
	if (api(env, "GET", "/api/v1/nodes", NULL, &list, saw) < 0)
		return CHECK_WAIT;
	for (size_t i = 0; i < env->plan->n_hosts; i++) {
		const struct plan_host *h = &env->plan->hosts[i];

		if (!(h->roles & ROLE_WORKER))
			continue;
		n++;
		if (find_item(list, h->name) == NULL)
			strbuf_addf(&missing, "%s%s", missing.len > 0 ? ", " : "", h->name);
	}
	json_object_put(list);
	if (missing.len > 0) {
		/* L10N: host names. */
		*saw = xasprintf(_("not registered: %s"), missing.s);
		strbuf_clear(&missing);
		return CHECK_WAIT;
	}
	/* L10N: a number of nodes. */
	*saw = xasprintf(_("%zu workers registered"), n);
	return CHECK_PASS;
}

enum check_status healthapi_nodes_ready(struct check_env *env, char **expected, char **saw)
{
	json_object *list = NULL, *items = NULL;
	struct strbuf not_ready = { 0 };
	size_t n = 0;

	*expected = xstrdup(_("every node Ready"));
	if (api(env, "GET", "/api/v1/nodes", NULL, &list, saw) < 0)
		return CHECK_WAIT;
	items = jarray(jget(list, "items", NULL));
	n = items != NULL ? json_object_array_length(items) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *node = json_object_array_get_idx(items, i);
		const char *ready = condition(node, "Ready");

		if (ready == NULL || strcmp(ready, "True") != 0)
			strbuf_addf(&not_ready, "%s%s", not_ready.len > 0 ? ", " : "", jname(node));
	}
	json_object_put(list);
	if (n == 0 || not_ready.len > 0) {
		*saw = n == 0 ? xstrdup(_("no nodes"))
			      /* L10N: node names. */
			      : xasprintf(_("not ready: %s"), not_ready.s);
		strbuf_clear(&not_ready);
		return CHECK_WAIT;
	}
	/* L10N: a number of nodes. */
	*saw = xasprintf(_("%zu nodes ready"), n);
	return CHECK_PASS;
}

char *healthapi_nodes_summary(struct check_env *env, char **saw)
{
	json_object *list = NULL, *items = NULL;
	struct strbuf out = { 0 };
	size_t n = 0;

	if (api(env, "GET", "/api/v1/nodes", NULL, &list, saw) < 0)
		return NULL;
	items = jget(list, "items", NULL);
	n = items != NULL ? json_object_array_length(items) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *node = json_object_array_get_idx(items, i);
		json_object *addrs = jget(node, "status", "addresses", NULL);
		const char *ready = condition(node, "Ready"), *ip = "-";

		for (size_t k = 0; addrs != NULL && k < json_object_array_length(addrs); k++) {
			json_object *a = json_object_array_get_idx(addrs, k);
			const char *type = jstr(a, "type");

			if (type != NULL && strcmp(type, "InternalIP") == 0 && jstr(a, "address") != NULL)
				ip = jstr(a, "address");
		}
		strbuf_addf(&out, "%-16s %-9s %-16s %s\n", jstr(jget(node, "metadata", NULL), "name"),
			    ready != NULL && strcmp(ready, "True") == 0 ? "Ready" : "NotReady", ip,
			    jstr(jget(node, "status", "nodeInfo", NULL), "kubeletVersion"));
	}
	json_object_put(list);
	return strbuf_detach(&out, NULL);
}

/* --- serving certificates of the kubelets --------------------------------- */

/* Whether name has one CN and it is want, byte for byte: compared as a C
 * string, "system:node:w1\0..." would pass for w1's, and of two CNs the
 * API's reader takes the last. */
static bool only_cn(const X509_NAME *name, const char *want)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *v = NULL;

	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return false;
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return (size_t)ASN1_STRING_length(v) == strlen(want) &&
	       memcmp(ASN1_STRING_get0_data(v), want, strlen(want)) == 0;
}

bool healthapi_csr_fits(const char *pem, size_t len, const char *name, const char *address,
			const char **why)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509_REQ *req = bio != NULL ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *sans = NULL;
	char *want_cn = xasprintf("system:node:%s", name);
	struct net_addr want = { 0 };
	bool ok = false;
	int n_sans = 0;

	*why = N_("not a certificate request");
	if (req == NULL)
		goto out;
	if (!only_cn(X509_REQ_get_subject_name(req), want_cn)) {
		*why = N_("its name is not the node's");
		goto out;
	}
	exts = X509_REQ_get_extensions(req);
	sans = exts != NULL ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
	if (net_addr_parse(address, &want) < 0)
		goto out;
	n_sans = sans != NULL ? sk_GENERAL_NAME_num(sans) : 0;
	*why = N_("it asks for no address or name");
	ok = n_sans > 0;
	for (int i = 0; i < n_sans && ok; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		int type = 0;
		const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);
		size_t vlen = (size_t)ASN1_STRING_length(v);
		const unsigned char *data = ASN1_STRING_get0_data(v);

		if (type == GEN_DNS)
			ok = vlen == strlen(name) && memcmp(data, name, vlen) == 0;
		else if (type == GEN_IPADD)
			ok = vlen == (want.family == NET_IPV4 ? 4u : 16u) &&
			     memcmp(data, want.bytes, vlen) == 0;
		else
			ok = false;
		if (!ok)
			*why = N_("it asks for a name or address that is not the node's");
	}
	if (ok)
		*why = NULL;
out:
	GENERAL_NAMES_free(sans);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	BIO_free(bio);
	free(want_cn);
	return ok;
}

/* The PEM text of spec.request (base64 in the API). */
static char *csr_pem(json_object *csr, size_t *len)
{
	const char *b64 = jstr(jget(csr, "spec", NULL), "request");
	size_t in = b64 != NULL ? strlen(b64) : 0;
	unsigned char *out = NULL;
	int n;

	*len = 0;
	if (in == 0 || in % 4 != 0)
		return NULL;
	out = xmalloc(in / 4 * 3 + 1);
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)in);
	if (n < 0) {
		free(out);
		return NULL;
	}
	while (n > 0 && in > 0 && b64[--in] == '=')
		n--;
	out[n] = '\0';
	*len = (size_t)n;
	return (char *)out;
}

/* Approve one CSR (PUT .../approval with an Approved condition). */
static int approve(struct check_env *env, json_object *csr, char **saw)
{
	const char *name = jstr(jget(csr, "metadata", NULL), "name");
	json_object *status = jget(csr, "status", NULL), *conds = NULL, *c = NULL, *out = NULL;
	char *path = NULL;
	int rc;

	if (name == NULL) {
		*saw = xstrdup(_("the request has no name"));
		return -1;
	}
	if (status == NULL || !json_object_is_type(status, json_type_object)) {
		status = json_object_new_object();
		json_object_object_add(csr, "status", status);
	}
	conds = jarray(jget(status, "conditions", NULL));
	if (conds == NULL) {
		conds = json_object_new_array();
		json_object_object_add(status, "conditions", conds);
	}
	c = json_object_new_object();
	json_object_object_add(c, "type", json_object_new_string("Approved"));
	json_object_object_add(c, "status", json_object_new_string("True"));
	json_object_object_add(c, "reason", json_object_new_string("K8sWizardApproved"));
	json_object_object_add(c, "message",
			       json_object_new_string("a node of the plan, its own name and "
						      "address only (k8s-wizard)"));
	json_object_array_add(conds, c);
	path = xasprintf("/apis/certificates.k8s.io/v1/certificatesigningrequests/%s/approval",
			 name);
	rc = api(env, "PUT", path,
		 json_object_to_json_string_ext(csr, JSON_C_TO_STRING_PLAIN), &out, saw);
	json_object_put(out);
	free(path);
	return rc;
}

/* The plan host whose node identity is user ("system:node:NAME"), or NULL. */
static const struct plan_host *node_host(const struct plan *p, const char *user)
{
	const char *prefix = "system:node:";

	if (user == NULL || strncmp(user, prefix, strlen(prefix)) != 0)
		return NULL;
	for (size_t k = 0; k < p->n_hosts; k++) {
		if (strcmp(p->hosts[k].name, user + strlen(prefix)) == 0)
			return &p->hosts[k];
	}
	return NULL;
}

/* The kubelets ask for serving certificates (serverTLSBootstrap): until the
 * csr-approver runs, k8s-wizard approves those of the plan's workers that ask
 * for their own name and address only, leaves every other request alone, and
 * passes once every worker has an approved one. */
enum check_status healthapi_serving_csrs(struct check_env *env, char **expected, char **saw)
{
	const struct plan *p = env->plan;
	json_object *list = NULL, *items = NULL;
	struct strbuf refused = { 0 }, waiting = { 0 };
	bool *has = xcalloc(p->n_hosts + 1, sizeof *has);
	size_t approved = 0;
	enum check_status st = CHECK_PASS;

	*expected = xstrdup(_("a serving certificate request of every worker approved"));
	if (api(env, "GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests", NULL, &list,
		saw) < 0) {
		free(has);
		return CHECK_WAIT;
	}
	items = jarray(jget(list, "items", NULL));
	for (size_t i = 0; items != NULL && i < json_object_array_length(items); i++) {
		json_object *csr = json_object_array_get_idx(items, i);
		const char *signer = jstr(jget(csr, "spec", NULL), "signerName");
		const char *user = jstr(jget(csr, "spec", NULL), "username");
		const struct plan_host *h = node_host(p, user);
		const char *why = NULL;
		char *pem = NULL;
		size_t len = 0;

		if (signer == NULL || strcmp(signer, "kubernetes.io/kubelet-serving") != 0 ||
		    condition(csr, "Denied") != NULL)
			continue;
		if (condition(csr, "Approved") != NULL) {
			if (h != NULL)
				has[h - p->hosts] = true;
			continue;
		}
		pem = csr_pem(csr, &len);
		if (h == NULL || !(h->roles & ROLE_WORKER) || pem == NULL ||
		    !healthapi_csr_fits(pem, len, h->name, h->address, &why)) {
			/* L10N: the CSR's name, its requester and why it is left alone. */
			strbuf_addf(&refused, _("%s%s from %s (%s)"), refused.len > 0 ? "; " : "",
				    jname(csr), user != NULL ? user : "?",
				    h == NULL || !(h->roles & ROLE_WORKER) ? _("not a worker of the plan")
									  : _(why));
			free(pem);
			continue;
		}
		free(pem);
		if (approve(env, csr, saw) == 0) {
			approved++;
			has[h - p->hosts] = true;
		} else {
			/* L10N: the CSR's name, its requester and what the API answered. */
			strbuf_addf(&refused, _("%s%s from %s (approval refused: %s)"),
				    refused.len > 0 ? "; " : "", jname(csr), user,
				    *saw != NULL ? *saw : "?");
			xfree(saw);
		}
	}
	json_object_put(list);
	for (size_t k = 0; k < p->n_hosts; k++) {
		if ((p->hosts[k].roles & ROLE_WORKER) && !has[k]) {
			strbuf_addf(&waiting, "%s%s", waiting.len > 0 ? ", " : "", p->hosts[k].name);
			st = CHECK_WAIT;
		}
	}
	free(*saw);
	/* L10N: number approved now; workers still without a request; requests left alone. */
	*saw = xasprintf(_("%zu approved now; waiting for: %s; left alone: %s"), approved,
			 waiting.len > 0 ? waiting.s : "-", refused.len > 0 ? refused.s : "-");
	strbuf_clear(&refused);
	strbuf_clear(&waiting);
	free(has);
	return st;
}

/* --- the add-ons ---------------------------------------------------------- */

static enum check_status daemonset_ready(struct check_env *env, const char *name, char **saw)
{
	char *path = xasprintf("/apis/apps/v1/namespaces/kube-system/daemonsets/%s", name);
	json_object *ds = NULL;
	long long desired, ready;
	enum check_status st = CHECK_WAIT;

	if (api(env, "GET", path, NULL, &ds, saw) == 0) {
		desired = jint(jget(ds, "status", "desiredNumberScheduled", NULL));
		ready = jint(jget(ds, "status", "numberReady", NULL));
		/* L10N: pods ready, pods wanted. */
		*saw = xasprintf(_("%lld of %lld ready"), ready, desired);
		if (desired > 0 && ready == desired)
			st = CHECK_PASS;
	}
	json_object_put(ds);
	free(path);
	return st;
}

static enum check_status deployment_available(struct check_env *env, const char *name,
					      char **saw)
{
	char *path = xasprintf("/apis/apps/v1/namespaces/kube-system/deployments/%s", name);
	json_object *d = NULL;
	const char *available = NULL;
	enum check_status st = CHECK_WAIT;

	if (api(env, "GET", path, NULL, &d, saw) == 0) {
		available = condition(d, "Available");
		/* L10N: replicas available, replicas wanted. */
		*saw = xasprintf(_("%lld of %lld replicas available"),
				 jint(jget(d, "status", "availableReplicas", NULL)),
				 jint(jget(d, "spec", "replicas", NULL)));
		if (available != NULL && strcmp(available, "True") == 0)
			st = CHECK_PASS;
	}
	json_object_put(d);
	free(path);
	return st;
}

enum check_status healthapi_calico(struct check_env *env, char **expected, char **saw)
{
	*expected = xstrdup(_("calico-node ready on every node"));
	return daemonset_ready(env, "calico-node", saw);
}

enum check_status healthapi_coredns(struct check_env *env, char **expected, char **saw)
{
	*expected = xstrdup(_("deployment coredns available"));
	return deployment_available(env, "coredns", saw);
}

/* Read exactly len bytes of s within timeout_ms. */
static int read_exact(struct transport_stream *s, uint8_t *buf, size_t len, int timeout_ms,
		      char **saw)
{
	size_t got = 0;

	while (got < len) {
		char *err = NULL;
		ssize_t n = s->read(s->ctx, buf + got, len - got, timeout_ms, &err);

		if (n <= 0) {
			*saw = err != NULL ? err : xstrdup(_("the DNS server closed the connection"));
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* From a worker, the name of the API's own Service through the cluster DNS
 * Service IP: CoreDNS answers there only when it runs and kube-proxy routes
 * the Service to it, so this is the cluster's DNS as pods see it. */
enum check_status healthapi_cluster_dns(struct check_env *env, char **expected, char **saw)
{
	const struct plan *p = env->plan;
	struct net_cidr svc;
	struct net_addr want, got[8];
	struct transport_stream s = { 0 };
	char want_text[NET_ADDRSTRLEN], got_text[NET_ADDRSTRLEN];
	char *name = xasprintf("kubernetes.default.svc.%s", p->network.cluster_domain);
	uint8_t query[DNSQUERY_MAX], head[2], *answer = NULL;
	uint16_t id = 0;
	size_t qlen, alen;
	const char *why = NULL;
	char *err = NULL;
	int rcode = 0, n = 0;
	enum check_status st = CHECK_WAIT;

	if (net_cidr_parse(p->network.service_cidr, &svc, &why) < 0 ||
	    net_cidr_nth(&svc, 1, &want) < 0) {
		*saw = xstrdup(_("the plan's service CIDR has no first address"));
		free(name);
		return CHECK_FAIL;
	}
	net_addr_format(&want, want_text, sizeof want_text);
	/* L10N: a DNS name, an address, the cluster DNS address. */
	*expected = xasprintf(_("%s resolves to %s through the cluster DNS %s"), name, want_text,
			      p->network.cluster_dns);
	if (RAND_bytes((unsigned char *)&id, sizeof id) != 1)
		xalloc_die("RAND_bytes");
	qlen = dnsquery_build(name, want.family, id, query, sizeof query);
	if (qlen == 0) {
		/* L10N: a DNS name. */
		*saw = xasprintf(_("%s is not a DNS name"), name);
		free(name);
		return CHECK_FAIL;
	}
	if (env->ops->stream_open(env->h, p->network.cluster_dns, 53, &s, &err) < 0) {
		/* L10N: the cluster DNS address, why. */
		*saw = xasprintf(_("nothing answers on %s port 53: %s"), p->network.cluster_dns,
				 err != NULL ? err : "?");
		free(err);
		free(name);
		return CHECK_WAIT;
	}
	if (s.write(s.ctx, query, qlen, &err) < 0) {
		*saw = err;
		goto out;
	}
	if (read_exact(&s, head, 2, 5000, saw) < 0)
		goto out;
	alen = (size_t)head[0] << 8 | head[1];
	answer = xmalloc(alen + 1);
	if (read_exact(&s, answer, alen, 5000, saw) < 0)
		goto out;
	n = dnsquery_parse(answer, alen, id, want.family, &rcode, got, 8, &why);
	if (n < 0) {
		*saw = xstrdup(_(why));
		goto out;
	}
	for (int i = 0; i < n && st != CHECK_PASS; i++) {
		if (net_addr_equal(&got[i], &want))
			st = CHECK_PASS;
	}
	if (st == CHECK_PASS)
		*saw = xstrdup(want_text);
	else if (n > 0) {
		net_addr_format(&got[0], got_text, sizeof got_text);
		/* L10N: the address the DNS answered. */
		*saw = xasprintf(_("the answer %s"), got_text);
	} else {
		/* L10N: a DNS response code (3: no such name). */
		*saw = xasprintf(_("no address (DNS response code %d)"), rcode);
	}
out:
	env->ops->stream_close(&s);
	free(answer);
	free(name);
	return st;
}

enum check_status healthapi_nodelocaldns(struct check_env *env, char **expected, char **saw)
{
	*expected = xstrdup(_("node-local-dns ready on every node it runs on"));
	return daemonset_ready(env, "node-local-dns", saw);
}

enum check_status healthapi_csr_approver(struct check_env *env, char **expected, char **saw)
{
	*expected = xstrdup(_("deployment kubelet-csr-approver available"));
	return deployment_available(env, "kubelet-csr-approver", saw);
}

enum check_status healthapi_metrics(struct check_env *env, char **expected, char **saw)
{
	json_object *svc = NULL;
	const char *available = NULL;
	enum check_status st = CHECK_WAIT;

	*expected = xstrdup(_("APIService v1beta1.metrics.k8s.io Available"));
	if (api(env, "GET", "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io",
		NULL, &svc, saw) == 0) {
		available = condition(svc, "Available");
		/* L10N: the condition's status ("True", "False"). */
		*saw = xasprintf(_("Available: %s"), available != NULL ? available : "-");
		if (available != NULL && strcmp(available, "True") == 0)
			st = CHECK_PASS;
	}
	json_object_put(svc);
	return st;
}
