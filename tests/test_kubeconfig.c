/* Tests of the kubeconfig files: read back with libyaml's parser, they have
 * the layout kubectl writes, the guide's cluster, user and context names, the
 * VIP as server, and embedded data that decodes to the PKI's own PEM text,
 * which a client can use as is (the certificate verifies against the embedded
 * CA and matches the embedded key). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <yaml.h>

#include "certs.h"
#include "kubeconfig.h"
#include "pki_fixture.h"
#include "plan.h"
#include "xmalloc.h"

static struct plan *plan;
static struct certs *certs;

static int group_setup(void **state)
{
	if (pki_fixture_setup(state) != 0)
		return -1;
	plan = pki_fixture_plan("kubeconfig", KEY_ECDSA, 256, 256);
	certs = pki_fixture_ensure(plan);
	return 0;
}

static int group_teardown(void **state)
{
	certs_free(&certs);
	plan_free(&plan);
	return pki_fixture_teardown(state);
}

struct doc {
	yaml_document_t d;
	yaml_node_t *root;
};

static void doc_load(struct doc *doc, const char *text)
{
	yaml_parser_t parser;

	assert_int_equal(yaml_parser_initialize(&parser), 1);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	assert_int_equal(yaml_parser_load(&parser, &doc->d), 1);
	yaml_parser_delete(&parser);
	doc->root = yaml_document_get_root_node(&doc->d);
	assert_non_null(doc->root);
	assert_int_equal(doc->root->type, YAML_MAPPING_NODE);
}

static const char *scalar(const yaml_node_t *n)
{
	assert_non_null(n);
	assert_int_equal(n->type, YAML_SCALAR_NODE);
	return (const char *)n->data.scalar.value;
}

static size_t map_size(const yaml_node_t *map)
{
	assert_int_equal(map->type, YAML_MAPPING_NODE);
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

/* The value of key in map, or NULL. */
static yaml_node_t *get(struct doc *doc, const yaml_node_t *map, const char *key)
{
	assert_non_null(map);
	assert_int_equal(map->type, YAML_MAPPING_NODE);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		if (strcmp(scalar(yaml_document_get_node(&doc->d, p->key)), key) == 0)
			return yaml_document_get_node(&doc->d, p->value);
	}
	return NULL;
}

/* The only item of a one-item sequence. */
static yaml_node_t *only_item(struct doc *doc, const yaml_node_t *seq)
{
	assert_non_null(seq);
	assert_int_equal(seq->type, YAML_SEQUENCE_NODE);
	assert_int_equal(seq->data.sequence.items.top - seq->data.sequence.items.start, 1);
	return yaml_document_get_node(&doc->d, *seq->data.sequence.items.start);
}

static char *unbase64(const char *b64)
{
	size_t len = strlen(b64);
	char *out = xcalloc(len + 1, 1);
	int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)b64, (int)len);

	assert_true(n >= 0);
	assert_int_equal(len % 4, 0);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	for (size_t i = len; i > 0 && b64[i - 1] == '='; i--)
		n--;
	out[n] = '\0';
	assert_int_equal(strlen(out), (size_t)n);
	return out;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(kubeconfig_name(KUBECONFIG_ADMIN), "admin.kubeconfig");
	assert_string_equal(kubeconfig_name(KUBECONFIG_CONTROLLER_MANAGER),
			    "kube-controller-manager.kubeconfig");
	assert_string_equal(kubeconfig_name(KUBECONFIG_SCHEDULER), "kube-scheduler.kubeconfig");
	assert_string_equal(kubeconfig_name(KUBECONFIG_KUBELET_BOOTSTRAP),
			    "kubelet-bootstrap.kubeconfig");
}

/* The guide's kubectl config commands, as data. */
static const struct {
	enum kubeconfig_id id;
	const char *user, *context;
	enum cert_id cert; /* CERT_COUNT: token */
} want[] = {
	{ KUBECONFIG_ADMIN, "admin", "kubernetes", CERT_ADMIN },
	{ KUBECONFIG_CONTROLLER_MANAGER, "system:kube-controller-manager",
	  "system:kube-controller-manager", CERT_CONTROLLER_MANAGER },
	{ KUBECONFIG_SCHEDULER, "system:kube-scheduler", "system:kube-scheduler",
	  CERT_KUBE_SCHEDULER },
	{ KUBECONFIG_KUBELET_BOOTSTRAP, "kubelet-bootstrap", "default", CERT_COUNT },
};

static void test_layout(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char *text = kubeconfig_render(plan, certs, want[i].id);
		struct doc doc;
		yaml_node_t *cluster = NULL, *context = NULL, *user = NULL, *creds = NULL;
		char *ca = NULL;

		doc_load(&doc, text);
		assert_int_equal(map_size(doc.root), 7);
		assert_string_equal(scalar(get(&doc, doc.root, "apiVersion")), "v1");
		assert_string_equal(scalar(get(&doc, doc.root, "kind")), "Config");
		assert_int_equal(map_size(get(&doc, doc.root, "preferences")), 0);

		cluster = only_item(&doc, get(&doc, doc.root, "clusters"));
		assert_string_equal(scalar(get(&doc, cluster, "name")), "kubernetes");
		cluster = get(&doc, cluster, "cluster");
		assert_int_equal(map_size(cluster), 2);
		assert_string_equal(scalar(get(&doc, cluster, "server")), "https://10.1.1.10:7443");
		ca = unbase64(scalar(get(&doc, cluster, "certificate-authority-data")));
		assert_string_equal(ca, certs_cert_pem(certs, CERT_K8S_CA));
		free(ca);

		context = only_item(&doc, get(&doc, doc.root, "contexts"));
		assert_string_equal(scalar(get(&doc, context, "name")), want[i].context);
		context = get(&doc, context, "context");
		assert_int_equal(map_size(context), 2);
		assert_string_equal(scalar(get(&doc, context, "cluster")), "kubernetes");
		assert_string_equal(scalar(get(&doc, context, "user")), want[i].user);
		assert_string_equal(scalar(get(&doc, doc.root, "current-context")), want[i].context);

		user = only_item(&doc, get(&doc, doc.root, "users"));
		assert_string_equal(scalar(get(&doc, user, "name")), want[i].user);
		creds = get(&doc, user, "user");
		if (want[i].cert == CERT_COUNT) {
			yaml_node_t *token = get(&doc, creds, "token");

			assert_int_equal(map_size(creds), 1);
			assert_string_equal(scalar(token), certs_bootstrap_token(certs));
			/* Quoted: 32 hex digits could otherwise read back as a number. */
			assert_int_equal(token->data.scalar.style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		} else {
			char *cert = unbase64(scalar(get(&doc, creds, "client-certificate-data")));
			char *key = unbase64(scalar(get(&doc, creds, "client-key-data")));

			assert_int_equal(map_size(creds), 2);
			assert_string_equal(cert, certs_cert_pem(certs, want[i].cert));
			assert_string_equal(key, certs_key_pem(certs, want[i].cert));
			free(cert);
			free(key);
		}
		yaml_document_delete(&doc.d);
		free(text);
	}
}

/* What kubectl does with the admin kubeconfig: trust the embedded CA,
 * present the embedded certificate with the embedded key. */
static void test_admin_credentials_work(void **state)
{
	char *text = kubeconfig_render(plan, certs, KUBECONFIG_ADMIN);
	struct doc doc;
	yaml_node_t *cluster = NULL, *creds = NULL;
	char *ca_pem = NULL, *cert_pem = NULL, *key_pem = NULL;
	X509 *ca = NULL, *cert = NULL;
	EVP_PKEY *key = NULL;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	(void)state;
	doc_load(&doc, text);
	cluster = get(&doc, only_item(&doc, get(&doc, doc.root, "clusters")), "cluster");
	creds = get(&doc, only_item(&doc, get(&doc, doc.root, "users")), "user");
	ca_pem = unbase64(scalar(get(&doc, cluster, "certificate-authority-data")));
	cert_pem = unbase64(scalar(get(&doc, creds, "client-certificate-data")));
	key_pem = unbase64(scalar(get(&doc, creds, "client-key-data")));
	ca = pki_fixture_x509(ca_pem);
	cert = pki_fixture_x509(cert_pem);
	key = pki_fixture_key(key_pem);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT), 1);
	assert_int_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(ca_pem);
	free(cert_pem);
	free(key_pem);
	yaml_document_delete(&doc.d);
	free(text);
}

/* The server follows the plan's VIP and port; an IPv6 VIP is bracketed. */
static void test_server_from_plan(void **state)
{
	struct plan *p = plan_dup(plan);
	char *text = NULL;

	(void)state;
	plan_set_string(&p->network.apiserver_vip, "10.9.8.7");
	p->network.apiserver_port = 6443;
	text = kubeconfig_render(p, certs, KUBECONFIG_SCHEDULER);
	assert_non_null(strstr(text, "\n    server: https://10.9.8.7:6443\n"));
	free(text);
	plan_set_string(&p->network.apiserver_vip, "fd00::10");
	text = kubeconfig_render(p, certs, KUBECONFIG_KUBELET_BOOTSTRAP);
	assert_non_null(strstr(text, "server: https://[fd00::10]:6443\n"));
	free(text);
	plan_free(&p);
}

/* The endpoint modes: keepalived's VIP as external's; local has no VIP, the
 * workers' and the masters' components use 127.0.0.1 (their proxy, their
 * own apiserver), the admin the first master. */
static void test_server_per_endpoint(void **state)
{
	static const struct {
		enum kubeconfig_id id;
		const char *local;
	} servers[] = {
		{ KUBECONFIG_ADMIN, "https://10.1.1.1:7443" },
		{ KUBECONFIG_CONTROLLER_MANAGER, "https://127.0.0.1:7443" },
		{ KUBECONFIG_SCHEDULER, "https://127.0.0.1:7443" },
		{ KUBECONFIG_KUBELET_BOOTSTRAP, "https://127.0.0.1:7443" },
	};
	struct plan *p = plan_dup(plan);

	(void)state;
	for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
		char *server = NULL, *text = NULL, *line = NULL;

		p->network.apiserver_endpoint = ENDPOINT_KEEPALIVED;
		server = kubeconfig_server(p, servers[i].id);
		assert_string_equal(server, "https://10.1.1.10:7443");
		free(server);
		p->network.apiserver_endpoint = ENDPOINT_LOCAL;
		server = kubeconfig_server(p, servers[i].id);
		assert_string_equal(server, servers[i].local);
		text = kubeconfig_render(p, certs, servers[i].id);
		line = xasprintf("\n    server: %s\n", servers[i].local);
		assert_non_null(strstr(text, line));
		free(line);
		free(text);
		free(server);
		/* Without a VIP, the same. */
		plan_set_string(&p->network.apiserver_vip, NULL);
		server = kubeconfig_server(p, servers[i].id);
		assert_string_equal(server, servers[i].local);
		free(server);
		plan_set_string(&p->network.apiserver_vip, "10.1.1.10");
	}
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_admin_credentials_work),
		cmocka_unit_test(test_server_from_plan),
		cmocka_unit_test(test_server_per_endpoint),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
