/* The manifest patcher on the test bundle's stand-in manifests and on small
 * inline documents: finding, patching, emitting, and the errors for a
 * manifest that does not have the expected shape. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"
#include "xmalloc.h"

static struct manifest *load_fixture(const char *name)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/fixtures/bundle/manifests/%s", top != NULL ? top : "..",
			       name);
	struct manifest *m = NULL;
	char *err = NULL;

	if (manifest_load(path, &m, &err) != 0)
		fail_msg("%s", err);
	free(path);
	return m;
}

static struct manifest *parse(const char *text)
{
	struct manifest *m = NULL;
	char *err = NULL;

	if (manifest_parse("inline.yaml", text, strlen(text), &m, &err) != 0)
		fail_msg("%s", err);
	return m;
}

/* Emit m, parse the text again and hand back the new manifest. */
static struct manifest *roundtrip(struct manifest **m, char **text)
{
	size_t len = 0;
	struct manifest *again = NULL;
	char *err = NULL;

	*text = manifest_emit(*m, &len);
	assert_int_equal(strlen(*text), len);
	if (manifest_parse("emitted.yaml", *text, len, &again, &err) != 0)
		fail_msg("emitted YAML does not parse: %s\n%s", err, *text);
	manifest_free(m);
	return again;
}

static void expect_error(char *err, const char *want)
{
	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
	free(err);
}

static void test_parse_errors(void **state)
{
	struct manifest *m = NULL;
	char *err = NULL;
	const char *bad = "a: 1\nb: [1, 2\n";

	(void)state;
	assert_int_equal(manifest_parse("bad.yaml", bad, strlen(bad), &m, &err), -1);
	assert_null(m);
	expect_error(err, "bad.yaml:");
	assert_int_equal(manifest_load("/nonexistent/x.yaml", &m, &err), -1);
	expect_error(err, "cannot read /nonexistent/x.yaml");
	manifest_free(&m);
}

static void test_find(void **state)
{
	struct manifest *m = load_fixture("calico.yaml");
	struct manifest_ref ds, c;
	char *err = NULL;

	(void)state;
	assert_int_equal(manifest_find(m, "DaemonSet", "calico-node", &ds, &err), 0);
	assert_string_equal(manifest_get(m, &ds, "metadata.namespace"), "kube-system");
	assert_null(manifest_get(m, &ds, "metadata.nope"));
	assert_null(manifest_get(m, &ds, "spec")); /* not a scalar */
	assert_int_equal(manifest_find_container(m, &ds, "calico-node", &c, &err), 0);
	assert_string_equal(manifest_get(m, &c, "image"), "docker.io/calico/node:v3.27.4");
	assert_int_equal(manifest_find_container(m, &ds, "install-cni", &c, &err), 0);
	assert_string_equal(manifest_get(m, &c, "image"), "docker.io/calico/cni:v3.27.4");
	/* Missing objects and containers are errors that name them. */
	assert_int_equal(manifest_find(m, "Deployment", "calico-node", &ds, &err), -1);
	expect_error(err, "calico.yaml: no Deployment named calico-node");
	assert_int_equal(manifest_find(m, "DaemonSet", "calico-node", &ds, &err), 0);
	assert_int_equal(manifest_find_container(m, &ds, "felix", &c, &err), -1);
	expect_error(err, "DaemonSet calico-node has no container named felix");
	manifest_free(&m);
}

static void test_env(void **state)
{
	struct manifest *m = load_fixture("calico.yaml");
	struct manifest_ref ds, c;
	char *err = NULL, *text = NULL;

	(void)state;
	assert_int_equal(manifest_find(m, "DaemonSet", "calico-node", &ds, &err), 0);
	assert_int_equal(manifest_find_container(m, &ds, "calico-node", &c, &err), 0);
	assert_string_equal(manifest_get_env(m, &c, "CALICO_IPV4POOL_IPIP"), "Always");
	assert_null(manifest_get_env(m, &c, "CALICO_IPV4POOL_CIDR"));
	assert_null(manifest_get_env(m, &c, "NODENAME")); /* valueFrom */
	manifest_set_env(m, &c, "CALICO_IPV4POOL_IPIP", "CrossSubnet");
	manifest_set_env(m, &c, "CALICO_IPV4POOL_CIDR", "172.18.0.0/16");
	manifest_set_env(m, &c, "NODENAME", "fixed");
	manifest_set_env(m, &c, "FELIX_LOGSEVERITYSCREEN", "123");
	m = roundtrip(&m, &text);
	assert_int_equal(manifest_find(m, "DaemonSet", "calico-node", &ds, &err), 0);
	assert_int_equal(manifest_find_container(m, &ds, "calico-node", &c, &err), 0);
	assert_string_equal(manifest_get_env(m, &c, "CALICO_IPV4POOL_IPIP"), "CrossSubnet");
	assert_string_equal(manifest_get_env(m, &c, "CALICO_IPV4POOL_CIDR"), "172.18.0.0/16");
	assert_string_equal(manifest_get_env(m, &c, "NODENAME"), "fixed");
	/* A number-like string stays a string: quoted. */
	assert_non_null(strstr(text, "value: \"123\""));
	/* Everything else survived: the literal block, the other objects. */
	assert_non_null(strstr(text, "k8s-pod-network"));
	assert_int_equal(manifest_find(m, "Deployment", "calico-kube-controllers", &ds, &err), 0);
	free(text);
	/* A container without env gets one. */
	assert_int_equal(manifest_find(m, "DaemonSet", "calico-node", &ds, &err), 0);
	assert_int_equal(manifest_find_container(m, &ds, "upgrade-ipam", &c, &err), 0);
	manifest_set_env(m, &c, "A", "b");
	assert_string_equal(manifest_get_env(m, &c, "A"), "b");
	manifest_free(&m);
}

static void test_args_ports(void **state)
{
	struct manifest *m = load_fixture("metrics-server.yaml");
	struct manifest_ref d, c;
	char *err = NULL, *text = NULL;

	(void)state;
	assert_int_equal(manifest_find(m, "Deployment", "metrics-server", &d, &err), 0);
	assert_int_equal(manifest_find_container(m, &d, "metrics-server", &c, &err), 0);
	manifest_set_arg(m, &c, "--secure-port", "10251");
	manifest_set_arg(m, &c, "--kubelet-insecure-tls", NULL);
	assert_true(manifest_remove_arg(m, &c, "--metric-resolution"));
	assert_false(manifest_remove_arg(m, &c, "--metric-resolution"));
	assert_int_equal(manifest_set_port(m, &c, "https", 10251, &err), 0);
	assert_int_equal(manifest_set_port(m, &c, "http", 80, &err), -1);
	expect_error(err, "container metrics-server has no port named http");
	assert_int_equal(manifest_set(m, &d, "spec.template.spec.hostNetwork", "true",
				      MANIFEST_PLAIN, &err), 0);
	assert_int_equal(manifest_set(m, &d, "spec.template.metadata.annotations.x", "on",
				      MANIFEST_STRING, &err), 0);
	/* A path through a sequence is refused. */
	assert_int_equal(manifest_set(m, &d, "spec.template.spec.containers.x", "1",
				      MANIFEST_PLAIN, &err), -1);
	expect_error(err, "spec.template.spec.containers is not a mapping");
	m = roundtrip(&m, &text);
	assert_non_null(strstr(text, "- --secure-port=10251\n"));
	assert_null(strstr(text, "--secure-port=10250"));
	assert_non_null(strstr(text, "- --kubelet-insecure-tls\n"));
	assert_null(strstr(text, "--metric-resolution"));
	assert_non_null(strstr(text, "hostNetwork: true\n"));
	assert_non_null(strstr(text, "x: \"on\"\n"));
	assert_non_null(strstr(text, "containerPort: 10251\n"));
	free(text);
	assert_int_equal(manifest_find(m, "Deployment", "metrics-server", &d, &err), 0);
	assert_string_equal(manifest_get(m, &d, "spec.template.spec.hostNetwork"), "true");
	/* args is created when a container has none. */
	assert_int_equal(manifest_find(m, "Deployment", "metrics-server", &d, &err), 0);
	manifest_free(&m);
	m = parse("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n");
	assert_int_equal(manifest_find(m, "Pod", "p", &d, &err), 0);
	assert_int_equal(manifest_find_container(m, &d, "c", &c, &err), 0);
	manifest_set_arg(m, &c, "--v", "2");
	m = roundtrip(&m, &text);
	assert_non_null(strstr(text, "args:\n    - --v=2"));
	free(text);
	manifest_free(&m);
}

static void rewrite_image(struct manifest *m, const struct manifest_ref *obj,
			  const struct manifest_ref *c, void *data)
{
	const char *image = manifest_get(m, c, "image");
	const char *base = strrchr(image, '/');
	char *err = NULL;
	char *fresh = xasprintf("registry.local/calico%s", base);

	(void)obj;
	(*(int *)data)++;
	assert_int_equal(manifest_set(m, c, "image", fresh, MANIFEST_STRING, &err), 0);
	free(fresh);
}

static void test_foreach(void **state)
{
	struct manifest *m = load_fixture("calico.yaml");
	int count = 0;
	char *text = NULL;

	(void)state;
	manifest_foreach_container(m, rewrite_image, &count);
	assert_int_equal(count, 5); /* 3 init containers, calico-node, kube-controllers */
	m = roundtrip(&m, &text);
	assert_null(strstr(text, "docker.io/calico"));
	assert_non_null(strstr(text, "registry.local/calico/kube-controllers:v3.27.4"));
	free(text);
	manifest_free(&m);
}

static void test_documents(void **state)
{
	struct manifest *m = parse("---\n# only a comment\n---\nkind: A\nmetadata: {name: a}\n"
				   "---\n---\nkind: B\nmetadata: {name: b}\n...\n");
	struct manifest_ref r;
	char *err = NULL, *text = NULL;

	(void)state;
	assert_int_equal(manifest_find(m, "B", "b", &r, &err), 0);
	text = manifest_emit(m, NULL);
	assert_string_equal(text, "---\nkind: A\nmetadata: {name: a}\n---\nkind: B\n"
				  "metadata: {name: b}\n");
	free(text);
	manifest_free(&m);
	manifest_free(&m);
	m = parse("");
	text = manifest_emit(m, NULL);
	assert_string_equal(text, "");
	free(text);
	manifest_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_find),
		cmocka_unit_test(test_env),          cmocka_unit_test(test_args_ports),
		cmocka_unit_test(test_foreach),      cmocka_unit_test(test_documents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
