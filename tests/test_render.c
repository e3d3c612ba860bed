/* render_build() on small plans with a real PKI (ECDSA, to be quick) and
 * the test bundle: which host gets which files and steps, in which phase,
 * the cluster's manifests, and the errors for a missing or wrong bundle and
 * for missing templates. */
#include "config.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "certs.h"
#include "plan.h"
#include "render.h"
#include "xmalloc.h"

struct fixture {
	char dir[64];
	struct plan *plan;
	struct certs *certs;
};

static const char *top(void)
{
	const char *t = getenv("top_srcdir");

	return t != NULL ? t : "..";
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	char *err = NULL, *assets = xasprintf("%s/assets", top());
	char *bundle = xasprintf("%s/tests/fixtures/bundle", top());

	setenv("K8SW_ASSETS_DIR", assets, 1);
	xsnprintf(f->dir, sizeof f->dir, "/tmp/k8sw-test-render.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->plan = plan_new_default();
	f->plan->pki.algorithm = KEY_ECDSA;
	f->plan->pki.ca_key_size = 256;
	f->plan->pki.leaf_key_size = 256;
	plan_set_string(&f->plan->binaries.bundle_dir, bundle);
	if (certs_ensure(f->plan, f->dir, &f->certs, &err) != 0)
		fail_msg("certs_ensure: %s", err);
	free(assets);
	free(bundle);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	certs_free(&f->certs);
	plan_free(&f->plan);
	free(f);
	return 0;
}

static struct render *build_ok(struct fixture *f)
{
	struct render *r = NULL;
	char *err = NULL;

	if (render_build(f->plan, f->certs, NULL, &r, &err) != 0)
		fail_msg("render_build: %s", err);
	assert_null(err);
	return r;
}

static const struct render_file *file(const struct render_host *h, const char *path)
{
	for (size_t i = 0; i < h->n_files; i++) {
		if (strcmp(h->files[i].path, path) == 0)
			return &h->files[i];
	}
	return NULL;
}

static const struct render_host *host(const struct render *r, const char *name)
{
	for (size_t i = 0; i < r->n_hosts; i++) {
		if (strcmp(r->hosts[i].name, name) == 0)
			return &r->hosts[i];
	}
	fail_msg("no host %s", name);
	return NULL;
}

static void test_hosts_and_roles(void **state)
{
	struct fixture *f = *state;
	struct render *r = build_ok(f);
	const struct render_host *m = host(r, "master2"), *w = host(r, "node1");
	const struct render_file *x = NULL;

	assert_int_equal(r->n_hosts, 6);
	assert_string_equal(r->hosts[5].name, RENDER_CLUSTER);
	assert_null(r->hosts[5].address);
	assert_string_equal(r->apply_host, "master1");
	assert_string_equal(m->address, "10.1.1.2");
	/* Masters: static pods, the PKI their pods name, the kubelet signing
	 * key and no other CA key. */
	x = file(m, "/etc/kubernetes/staticPods/etcd.yaml");
	assert_non_null(x);
	assert_int_equal(x->phase, PHASE_ETCD);
	assert_int_equal(x->mode, 0644);
	assert_non_null(strstr(x->content, "- etcd2\n"));
	assert_non_null(strstr(x->content, "https://10.1.1.2:4001"));
	assert_null(file(m, "/etc/kubernetes/pki/k8s-ca-key.pem"));
	x = file(m, "/etc/kubernetes/pki/kubelet-signing-ca-key.pem");
	assert_non_null(x);
	assert_true(x->secret);
	assert_int_equal(x->mode, 0600);
	assert_int_equal(x->phase, PHASE_PKI);
	assert_non_null(strstr(x->content, "PRIVATE KEY"));
	assert_null(file(m, "/etc/kubernetes/pki/etcd-ca-key.pem"));
	/* The apiserver's own etcd client pair, not etcd's. */
	assert_non_null(file(m, "/etc/kubernetes/pki/apiserver-etcd-client-key.pem"));
	assert_null(file(m, "/etc/kubernetes/pki/etcd-peer-key.pem"));
	x = file(m, "/etc/kubernetes/pki/k8s-ca-bundle.pem");
	assert_non_null(x);
	assert_int_equal(x->phase, PHASE_PKI);
	assert_false(x->secret);
	assert_non_null(strstr(x->content, certs_cert_pem(f->certs, CERT_K8S_CA)));
	assert_non_null(strstr(x->content, certs_cert_pem(f->certs, CERT_KUBELET_SIGNING_CA)));
	/* Their kubelet takes only the apiserver's kubelet client certificate. */
	assert_non_null(file(m, "/etc/kubernetes/pki/kubelet-ca.pem"));
	x = file(m, "/etc/kubernetes/kube-scheduler.kubeconfig");
	assert_non_null(x);
	assert_int_equal(x->phase, PHASE_SCHEDULER);
	assert_true(x->secret);
	x = file(m, "/usr/local/bin/kubelet");
	assert_int_equal(x->source_type, RENDER_BUNDLE);
	assert_int_equal(x->phase, PHASE_KUBELET);
	assert_non_null(strstr(x->source, "tests/fixtures/bundle/bin/kubelet"));
	/* Workers: the kubelet CA and the bootstrap kubeconfig, no key, no pod. */
	assert_non_null(file(w, "/etc/kubernetes/pki/kubelet-ca.pem"));
	assert_non_null(file(w, "/etc/kubernetes/kubelet-bootstrap.kubeconfig"));
	for (size_t i = 0; i < w->n_files; i++) {
		assert_null(strstr(w->files[i].path, "key"));
		assert_null(strstr(w->files[i].path, "staticPods"));
		assert_null(strstr(w->files[i].path, "kubectl"));
	}
	assert_int_equal(file(w, "/usr/local/bin/kubelet")->phase, PHASE_WORKERS);
	assert_non_null(strstr(file(w, "/etc/kubernetes/kubeletConfig")->content,
			       "clusterDNS:\n  - \"169.254.20.10\""));
	render_free(&r);
	assert_null(r);
	render_free(&r);
}

static void test_steps(void **state)
{
	struct fixture *f = *state;
	struct render *r = build_ok(f);
	const struct render_host *w = host(r, "node2"), *cl = &r->hosts[r->n_hosts - 1];
	char *text = NULL;
	int last = -1;

	/* Steps come phase by phase; uploads name files of the host. */
	for (size_t i = 0; i < w->n_steps; i++) {
		assert_true((int)w->steps[i].phase >= last);
		last = (int)w->steps[i].phase;
		if (w->steps[i].type == RENDER_STEP_UPLOAD)
			assert_true(w->steps[i].file < w->n_files);
	}
	text = render_steps_text(r, w);
	assert_non_null(strstr(text, "# The commands node2 (10.1.1.5) runs"));
	assert_null(strstr(text, "\n## phase preflight\n"));
	assert_non_null(strstr(text, "ip_vs_rr"));
	assert_non_null(strstr(text, "# upload /etc/kubernetes/kubelet-bootstrap.kubeconfig\n"));
	assert_null(strstr(text, "## phase etcd"));
	free(text);
	/* The cluster: applies, in phase order, on standard input; first the
	 * bootstrap token, then the bindings for it. */
	assert_int_equal(cl->n_files, 8);
	assert_int_equal(cl->steps[0].type, RENDER_STEP_APPLY);
	assert_string_equal(cl->files[cl->steps[0].file].path, "bootstrap-token.yaml");
	assert_string_equal(cl->files[cl->steps[1].file].path, "rbac-bootstrap.yaml");
	text = render_steps_text(r, cl);
	assert_non_null(strstr(text, "run on master1"));
	assert_non_null(strstr(text, "## phase metrics-server\n# stdin: metrics-server.yaml\n"
				     "kubectl --kubeconfig=/etc/kubernetes/admin.kubeconfig "
				     "apply -f -\n"));
	free(text);
	render_free(&r);
}

/* The bootstrap token: a Secret of kube-system that expires when the PKI
 * says, never logged; no token.csv; the workers drop their bootstrap
 * kubeconfig once the kubelet has its own certificate. */
static void test_bootstrap_token(void **state)
{
	struct fixture *f = *state;
	struct render *r = build_ok(f);
	const struct render_host *cl = &r->hosts[r->n_hosts - 1], *w = host(r, "node1");
	const struct render_file *s = file(cl, "bootstrap-token.yaml");
	const char *token = certs_bootstrap_token(f->certs);
	time_t expiry = certs_bootstrap_token_expiry(f->certs);
	char want[64], when[32];
	struct tm tm;
	char *text = NULL, *restart = NULL, *drop = NULL;

	assert_non_null(s);
	assert_int_equal(s->phase, PHASE_WORKERS);
	assert_true(s->secret);
	assert_int_equal(s->mode, 0600);
	xsnprintf(want, sizeof want, "name: bootstrap-token-%.6s\n", token);
	assert_non_null(strstr(s->content, want));
	xsnprintf(want, sizeof want, "token-secret: \"%s\"\n", token + 7);
	assert_non_null(strstr(s->content, want));
	assert_non_null(strstr(s->content, "type: bootstrap.kubernetes.io/token\n"));
	assert_non_null(gmtime_r(&expiry, &tm));
	assert_true(strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
	xsnprintf(want, sizeof want, "expiration: \"%s\"\n", when);
	assert_non_null(strstr(s->content, want));
	assert_true(expiry > time(NULL) + 23 * 3600);
	for (size_t i = 0; i < r->n_hosts; i++)
		assert_null(file(&r->hosts[i], "/etc/kubernetes/pki/token.csv"));
	assert_null(strstr(file(host(r, "master1"),
				"/etc/kubernetes/staticPods/kube-apiserver.yaml")->content,
			   "token-auth-file"));
	/* After the kubelet's restart, a wait for its certificate, then rm -f
	 * (idempotent: a second run removes nothing and succeeds). */
	text = render_steps_text(r, w);
	restart = strstr(text, "systemctl restart kubelet\n");
	drop = strstr(text, "rm -f /etc/kubernetes/kubelet-bootstrap.kubeconfig\n");
	assert_non_null(restart);
	assert_non_null(drop);
	assert_true(drop > restart);
	assert_non_null(strstr(text, "until [ -s /etc/kubernetes/kubelet.kubeconfig ] && "
				     "[ -s /etc/kubernetes/pki/kubelet-client-current.pem ]"));
	free(text);
	text = render_steps_text(r, host(r, "master1"));
	assert_null(strstr(text, "kubelet-bootstrap.kubeconfig"));
	free(text);
	render_free(&r);
}

static void test_options(void **state)
{
	struct fixture *f = *state;
	struct render *r = NULL;

	/* Without node-local DNS the kubelets use the cluster DNS address;
	 * disabled add-ons have no manifest; iptables mode loads no ip_vs. */
	f->plan->addons.nodelocaldns.enabled = false;
	f->plan->addons.metrics_server.enabled = false;
	f->plan->network.kube_proxy_mode = PROXY_IPTABLES;
	f->plan->binaries.source = BINARIES_MIRROR;
	plan_set_string(&f->plan->binaries.mirror_url, "https://mirror.example.com/k8s");
	r = build_ok(f);
	assert_non_null(strstr(file(host(r, "node1"), "/etc/kubernetes/kubeletConfig")->content,
			       "clusterDNS:\n  - \"192.168.0.2\""));
	assert_null(file(&r->hosts[r->n_hosts - 1], "node-local-dns.yaml"));
	assert_null(file(&r->hosts[r->n_hosts - 1], "metrics-server.yaml"));
	assert_null(strstr(file(host(r, "node1"), "/etc/modules-load.d/k8s-wizard.conf")->content,
			   "ip_vs"));
	assert_int_equal(file(host(r, "node1"), "/usr/local/bin/kubelet")->source_type,
			 RENDER_MIRROR);
	assert_string_equal(file(host(r, "node1"), "/usr/local/bin/kubelet")->source,
			    "https://mirror.example.com/k8s/bin/kubelet");
	render_free(&r);
	f->plan->addons.nodelocaldns.enabled = true;
	f->plan->addons.metrics_server.enabled = true;
	f->plan->network.kube_proxy_mode = PROXY_IPVS;
	f->plan->binaries.source = BINARIES_BUNDLE;
}

/* Each mirror endpoint is a [host] table keyed by its registry API root
 * (grammar_mirror_root), override_path set when that root is a path, after
 * the registry itself as server. */
static void test_mirrors(void **state)
{
	struct fixture *f = *state;
	struct render *r = NULL;
	struct plan_mirror *m = &f->plan->registries.mirrors[0];
	const struct render_file *x = NULL;

	assert_string_equal(m->registry, "docker.io");
	strlist_add(&m->endpoints, "https://m.example.com/v2/docker.io/");
	strlist_add(&plan_add_mirror(f->plan, "registry.local:5000")->endpoints,
		    "http://10.0.0.1:5000/");
	r = build_ok(f);
	x = file(host(r, "node1"), "/etc/containerd/certs.d/docker.io/hosts.toml");
	assert_non_null(x);
	assert_string_equal(x->content,
			    "server = \"https://registry-1.docker.io\"\n"
			    "\n[host.\"https://mirror.ccs.tencentyun.com\"]\n"
			    "capabilities = [\"pull\", \"resolve\"]\n"
			    "\n[host.\"https://docker.m.daocloud.io\"]\n"
			    "capabilities = [\"pull\", \"resolve\"]\n"
			    "\n[host.\"https://m.example.com/v2/docker.io\"]\n"
			    "capabilities = [\"pull\", \"resolve\"]\n"
			    "override_path = true\n");
	x = file(host(r, "master1"), "/etc/containerd/certs.d/registry.local:5000/hosts.toml");
	assert_non_null(x);
	assert_string_equal(x->content, "server = \"https://registry.local:5000\"\n"
					"\n[host.\"http://10.0.0.1:5000\"]\n"
					"capabilities = [\"pull\", \"resolve\"]\n");
	render_free(&r);
	plan_remove_mirror(f->plan, f->plan->registries.n_mirrors - 1);
	m = &f->plan->registries.mirrors[0];
	strlist_remove(&m->endpoints, m->endpoints.n - 1);
}

/* apiserverEndpoint keepalived: the masters' priorities fall in plan order
 * (the first master starts with the VIP), and the step that finds the
 * interface quotes the plan's address and the message naming it. */
static void test_keepalived(void **state)
{
	struct fixture *f = *state;
	struct render *r = NULL;

	f->plan->network.apiserver_endpoint = ENDPOINT_KEEPALIVED;
	r = build_ok(f);
	for (size_t i = 0; i < 3; i++) {
		const struct plan_host *ph = &f->plan->hosts[i];
		const struct render_host *h = host(r, ph->name);
		const struct render_file *conf = file(h, "/etc/keepalived/keepalived.conf");
		char *want = xasprintf("    priority %zu\n", 150 - i);
		char *text = render_steps_text(r, h);

		assert_true(ph->roles & ROLE_MASTER);
		assert_non_null(conf);
		if (strstr(conf->content, want) == NULL)
			fail_msg("%s: no '%s' in its keepalived.conf", ph->name, want);
		free(want);
		want = xasprintf("i=$(ip -o addr show to '%s' | awk '{ print $2; exit }'); "
				 "[ -n \"$i\" ] || { echo 'no interface of %s has its plan address "
				 "%s' >&2; exit 1; };",
				 ph->address, ph->name, ph->address);
		if (strstr(text, want) == NULL)
			fail_msg("%s: no quoted interface step '%s'", ph->name, want);
		free(want);
		free(text);
	}
	render_free(&r);
	f->plan->network.apiserver_endpoint = ENDPOINT_EXTERNAL;
}

static void expect_error(struct fixture *f, int want, const char *text)
{
	struct render *r = NULL;
	char *err = NULL;

	assert_int_equal(render_build(f->plan, f->certs, NULL, &r, &err), want);
	assert_null(r);
	assert_non_null(err);
	if (strstr(err, text) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, text);
	free(err);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	char *assets = xasprintf("%s/assets", top());
	char *saved = xstrdup(f->plan->binaries.bundle_dir);

	/* The bundle's fault: -2. */
	plan_set_string(&f->plan->binaries.bundle_dir, "/nonexistent-k8sw-bundle");
	expect_error(f, -2, "/nonexistent-k8sw-bundle/manifests/calico.yaml");
	plan_set_string(&f->plan->binaries.bundle_dir, NULL);
	expect_error(f, -2, "binaries.bundleDir is not set");
	plan_set_string(&f->plan->binaries.bundle_dir, saved);
	plan_set_string(&f->plan->versions.calico, "v3.26.0");
	expect_error(f, -2, "is Calico v3.27.4 but the plan says versions.calico: v3.26.0");
	plan_set_string(&f->plan->versions.calico, "3.27.4"); /* without v: the same */
	{
		struct render *r = build_ok(f);

		render_free(&r);
	}
	/* Ours: -1 (templates missing). */
	setenv("K8SW_ASSETS_DIR", "/nonexistent-k8sw-assets", 1);
	expect_error(f, -1, "/nonexistent-k8sw-assets/templates/");
	setenv("K8SW_ASSETS_DIR", assets, 1);
	free(assets);
	free(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts_and_roles),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_bootstrap_token),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_mirrors),
		cmocka_unit_test(test_keepalived),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
