/* The bundle's layout and where its directory is found; the versions each
 * file is fetched at, the published checksum texts, the lock file and the
 * check of a bundle directory. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "bundlecheck.h"
#include "bundlefetch.h"
#include "bundlelock.h"
#include "hexsum.h"
#include "plan.h"
#include "xmalloc.h"

static void test_layout(void **state)
{
	char *p = NULL;

	(void)state;
	/* Every item has a file; binaries have a place and hosts, manifests none. */
	for (int i = 0; i < BUNDLE_COUNT; i++) {
		const struct bundle_entry *e = bundle_entry(i);

		assert_non_null(e->file);
		assert_non_null(e->what);
		assert_true((e->host_path != NULL) == (e->roles != 0));
		if (e->host_path != NULL) {
			assert_int_equal(e->host_path[0], '/');
			assert_int_equal(e->mode, 0755);
		}
	}
	assert_string_equal(bundle_entry(BUNDLE_RUNC)->host_path, "/usr/local/sbin/runc");
	assert_int_equal(bundle_entry(BUNDLE_KUBECTL)->roles, ROLE_MASTER);
	p = bundle_path("/b", BUNDLE_CALICO);
	assert_string_equal(p, "/b/manifests/calico.yaml");
	free(p);
}

static void test_dir(void **state)
{
	struct plan *p = plan_new_default();
	char *dir = NULL, *err = NULL;

	(void)state;
	setenv("HOME", "/home/op", 1);
	dir = bundle_dir(p, "/plans", &err);
	assert_string_equal(dir, "/home/op/k8s-bundle");
	free(dir);
	plan_set_string(&p->binaries.bundle_dir, "bundle");
	dir = bundle_dir(p, "/plans", &err);
	assert_string_equal(dir, "/plans/bundle");
	free(dir);
	dir = bundle_dir(p, NULL, &err);
	assert_string_equal(dir, "./bundle");
	free(dir);
	plan_set_string(&p->binaries.bundle_dir, "/srv/b");
	dir = bundle_dir(p, "/plans", &err);
	assert_string_equal(dir, "/srv/b");
	free(dir);
	plan_set_string(&p->binaries.bundle_dir, NULL);
	assert_null(bundle_dir(p, "/plans", &err));
	assert_non_null(strstr(err, "bundleDir is not set"));
	free(err);
	plan_free(&p);
}

static void test_version(void **state)
{
	struct plan *p = plan_new_default();
	char *v = NULL;

	(void)state;
	/* Release tags have the "v" whether the plan wrote it or not. */
	plan_set_string(&p->versions.containerd, "1.7.20");
	v = bundle_version(p, BUNDLE_CTR);
	assert_string_equal(v, "v1.7.20");
	free(v);
	plan_set_string(&p->versions.containerd, "v1.7.21");
	v = bundle_version(p, BUNDLE_CONTAINERD);
	assert_string_equal(v, "v1.7.21");
	free(v);
	/* The manifests of images: the image's tag, never a port or digest. */
	plan_set_string(&p->registries.metrics_server_image, "reg.example.cn:5000/ms/metrics-server:v0.7.2");
	v = bundle_version(p, BUNDLE_METRICS_SERVER);
	assert_string_equal(v, "v0.7.2");
	free(v);
	plan_set_string(&p->registries.metrics_server_image, "reg.example.cn:5000/metrics-server");
	assert_null(bundle_version(p, BUNDLE_METRICS_SERVER));
	plan_set_string(&p->registries.csr_approver_image,
			"ghcr.io/postfinance/kubelet-csr-approver:v1.2.2@sha256:0123");
	v = bundle_version(p, BUNDLE_CSR_APPROVER);
	assert_string_equal(v, "v1.2.2");
	free(v);
	plan_set_string(&p->registries.csr_approver_image, "ghcr.io/x/approver@sha256:0123");
	assert_null(bundle_version(p, BUNDLE_CSR_APPROVER));
	/* Needed: binaries with a bundle source, manifests of enabled add-ons. */
	assert_true(bundle_needed(p, BUNDLE_KUBELET));
	p->binaries.source = BINARIES_MIRROR;
	assert_false(bundle_needed(p, BUNDLE_KUBELET));
	assert_true(bundle_needed(p, BUNDLE_CALICO));
	p->addons.calico.enabled = false;
	assert_false(bundle_needed(p, BUNDLE_CALICO));
	plan_free(&p);
}

#define A64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define B64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void test_parse_sum(void **state)
{
	char out[65];

	(void)state;
	/* A bare hash (dl.k8s.io, crictl), with or without a newline. */
	assert_true(bundlefetch_parse_sum(A64, "kubelet", out));
	assert_string_equal(out, A64);
	assert_true(bundlefetch_parse_sum(A64 "\r\n", "kubelet", out));
	/* Upper case is read as lower case. */
	assert_true(bundlefetch_parse_sum("FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA"
					  "9876543210", "x", out));
	assert_string_equal(out, B64);
	/* sha256sum lists (runc, containerd): the line of the file asked
	 * for, with the binary mark or a directory. */
	assert_true(bundlefetch_parse_sum(A64 "  runc.arm64\n" B64 "  runc.amd64\n", "runc.amd64",
					  out));
	assert_string_equal(out, B64);
	assert_true(bundlefetch_parse_sum(A64 " *runc.arm64\n" B64 " *runc.amd64\n", "runc.arm64",
					  out));
	assert_string_equal(out, A64);
	assert_true(bundlefetch_parse_sum(B64 "  dist/runc.amd64\n", "runc.amd64", out));
	/* Not for another file, nor a name that only ends the same. */
	assert_false(bundlefetch_parse_sum(A64 "  runc.arm64\n", "runc.amd64", out));
	assert_false(bundlefetch_parse_sum(A64 "  xrunc.amd64\n", "runc.amd64", out));
	/* Not a hash: too short, too long, not hex, an HTML error page. */
	assert_false(bundlefetch_parse_sum("0123456789abcdef", "kubelet", out));
	assert_false(bundlefetch_parse_sum(A64 "0", "kubelet", out));
	assert_false(bundlefetch_parse_sum("<html>not found</html>", "kubelet", out));
	assert_false(bundlefetch_parse_sum("", "kubelet", out));
}

/* join() of NUL-terminated parts. */
static char *join(const char *const *parts, size_t n)
{
	size_t lens[8];

	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(parts[i]);
	return bundlefetch_join(parts, lens, n, NULL);
}

static void test_join(void **state)
{
	static const char *const plain[] = { "kind: A\n", "kind: B\n" };
	/* Upstream's own shapes: a leading marker, no final newline. */
	static const char *const upstream[] = { "kind: A\n", "---\nkind: B\n", "kind: C",
						"kind: D\n" };
	/* Blank lines, a marker with a comment, CRLF, a trailing marker. */
	static const char *const odd[] = { "\n  \n--- # first\nkind: A\n---\n\n",
					   "---\r\nkind: B\r\n", "# a comment\nkind: C\n...x\n" };
	/* A marker inside a part is the part's own business. */
	static const char *const inner[] = { "kind: A\n---\nkind: A2", "kind: B\n" };
	static const char *const empty[] = { "", "---\n", "kind: C\n" };
	size_t len = 0;
	char *s = NULL;

	(void)state;
	s = join(plain, 2);
	assert_string_equal(s, "kind: A\n---\nkind: B\n");
	free(s);
	s = join(upstream, 4);
	assert_string_equal(s, "kind: A\n---\nkind: B\n---\nkind: C\n---\nkind: D\n");
	free(s);
	s = join(odd, 3);
	assert_string_equal(s, "kind: A\n---\nkind: B\r\n---\n# a comment\nkind: C\n...x\n");
	free(s);
	s = join(inner, 2);
	assert_string_equal(s, "kind: A\n---\nkind: A2\n---\nkind: B\n");
	free(s);
	s = join(empty, 3);
	assert_string_equal(s, "---\n---\nkind: C\n");
	free(s);
	s = bundlefetch_join(plain, (const size_t[]){ 4, 8 }, 2, &len);
	assert_string_equal(s, "kind\n---\nkind: B\n");
	assert_int_equal(len, strlen(s));
	free(s);
	s = bundlefetch_join(NULL, NULL, 0, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
}

static void test_lock(void **state)
{
	char dir[] = "/tmp/k8sw-bundle.XXXXXX";
	struct bundlelock l = { 0 }, r = { 0 };
	const struct bundlelock_entry *e = NULL;
	char *err = NULL, *path = NULL;
	char sha[65];

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* No lock file: empty, not an error. */
	assert_int_equal(bundlelock_read(dir, &r, &err), 0);
	assert_int_equal(r.n, 0);
	bundlelock_set(&l, "bin/kubelet", A64, "v1.29.7", true, "https://dl.k8s.io/k");
	bundlelock_set(&l, "manifests/calico.yaml", B64, "v3.27.4", false, "https://raw/c");
	bundlelock_set(&l, "bin/kubelet", B64, "v1.29.8", true, "https://m/k");
	assert_int_equal(l.n, 2);
	assert_int_equal(bundlelock_write(dir, &l, &err), 0);
	/* A line that does not parse is skipped, the rest read back. */
	path = xasprintf("%s/%s", dir, BUNDLELOCK_FILE);
	{
		FILE *f = fopen(path, "a");

		assert_non_null(f);
		fputs("bin/ctr\tnot-a-sha\tv1\tverified\turl\n", f);
		fclose(f);
	}
	assert_int_equal(bundlelock_read(dir, &r, &err), 0);
	assert_int_equal(r.n, 2);
	e = bundlelock_find(&r, "bin/kubelet");
	assert_non_null(e);
	assert_string_equal(e->sha256, B64);
	assert_string_equal(e->version, "v1.29.8");
	assert_true(e->verified);
	assert_string_equal(e->url, "https://m/k");
	e = bundlelock_find(&r, "manifests/calico.yaml");
	assert_false(e->verified);
	assert_null(bundlelock_find(&r, "bin/ctr"));
	/* sha256 of a file: the lock file itself, against a known digest of
	 * "abc". */
	{
		char *abc = xasprintf("%s/abc", dir);
		FILE *f = fopen(abc, "w");

		fputs("abc", f);
		fclose(f);
		assert_int_equal(hexsum_file(abc, sha, &err), 0);
		assert_string_equal(sha,
				    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		unlink(abc);
		assert_int_equal(hexsum_file(abc, sha, &err), 1);
		free(abc);
	}
	unlink(path);
	rmdir(dir);
	free(path);
	bundlelock_clear(&l);
	bundlelock_clear(&r);
}

/* Write a file of the bundle: an ELF header for machine (0: not ELF;
 * machine | ELF32: a 32-bit header). */
#define ELF32 0x10000
static void put(const char *dir, enum bundle_item id, unsigned machine)
{
	char *path = bundle_path(dir, id);
	unsigned char h[64] = { 0x7f, 'E', 'L', 'F', machine & ELF32 ? 1 : 2, 1, 1 };
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	h[18] = (unsigned char)(machine & 0xff);
	h[19] = (unsigned char)(machine >> 8 & 0xff);
	if (machine == 0)
		fputs("apiVersion: v1\n", f);
	else
		fwrite(h, 1, sizeof h, f);
	fclose(f);
	free(path);
}

static void test_check(void **state)
{
	char dir[] = "/tmp/k8sw-bundle.XXXXXX";
	struct plan *p = plan_new_default();
	struct bundlecheck c = { 0 };
	char *sub = NULL, *summary = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 2; i++) {
		sub = xasprintf("%s/%s", dir, i == 0 ? "bin" : "manifests");
		assert_int_equal(mkdir(sub, 0755), 0);
		free(sub);
	}
	/* An empty bundle. */
	bundlecheck_run(p, dir, 0, &c);
	assert_false(bundlecheck_ok(&c));
	summary = bundlecheck_summary(&c);
	assert_string_equal(summary, "0 of 10 files present; all missing");
	free(summary);
	bundlecheck_clear(&c);
	/* A complete hand-made bundle (no lock): every file present. */
	for (int i = 0; i < BUNDLE_COUNT; i++)
		put(dir, (enum bundle_item)i, bundle_entry((enum bundle_item)i)->host_path ? 62 : 0);
	bundlecheck_run(p, dir, 0, &c);
	assert_true(bundlecheck_ok(&c));
	assert_int_equal(c.n_ok, BUNDLE_COUNT);
	assert_int_equal(c.items[BUNDLE_KUBELET].sum, BUNDLECHECK_SUM_UNRECORDED);
	assert_string_equal(c.items[BUNDLE_KUBELET].arch, "x86-64");
	summary = bundlecheck_summary(&c);
	assert_string_equal(summary, "10 of 10 files present");
	free(summary);
	bundlecheck_clear(&c);
	/* Hand-made manifests: their version is read from their images;
	 * Calico's must be the plan's, metrics-server gets the plan's image. */
	{
		char *calico = bundle_path(dir, BUNDLE_CALICO);
		char *ms = bundle_path(dir, BUNDLE_METRICS_SERVER);
		FILE *f = fopen(calico, "w");

		fputs("spec:\n  image: docker.io/calico/cni:v3.27.4\n"
		      "  image: \"docker.io/calico/node:v3.27.3\" # the node\n", f);
		fclose(f);
		f = fopen(ms, "w");
		fputs("image: 'registry.k8s.io/metrics-server/metrics-server:v0.7.0'\n", f);
		fclose(f);
		bundlecheck_run(p, dir, 0, &c);
		assert_int_equal(c.items[BUNDLE_CALICO].state, BUNDLECHECK_WRONG);
		assert_string_equal(c.items[BUNDLE_CALICO].version, "v3.27.3");
		assert_int_equal(c.items[BUNDLE_METRICS_SERVER].state, BUNDLECHECK_OK);
		assert_string_equal(c.items[BUNDLE_METRICS_SERVER].version, "v0.7.0");
		assert_null(c.items[BUNDLE_CSR_APPROVER].version);
		bundlecheck_clear(&c);
		put(dir, BUNDLE_CALICO, 0);
		free(calico);
		free(ms);
	}
	/* A 32-bit x86-64 header is not what the hosts run. */
	put(dir, BUNDLE_CRICTL, 62 | ELF32);
	bundlecheck_run(p, dir, 0, &c);
	assert_int_equal(c.items[BUNDLE_CRICTL].state, BUNDLECHECK_WRONG);
	bundlecheck_clear(&c);
	put(dir, BUNDLE_CRICTL, 62);
	/* One binary for arm64, one not an executable, one missing. */
	put(dir, BUNDLE_RUNC, 183);
	put(dir, BUNDLE_CTR, 0);
	sub = bundle_path(dir, BUNDLE_KUBECTL);
	unlink(sub);
	free(sub);
	bundlecheck_run(p, dir, 0, &c);
	assert_false(bundlecheck_ok(&c));
	assert_int_equal(c.items[BUNDLE_RUNC].state, BUNDLECHECK_WRONG);
	assert_string_equal(c.items[BUNDLE_RUNC].arch, "aarch64");
	assert_int_equal(c.items[BUNDLE_CTR].state, BUNDLECHECK_WRONG);
	assert_int_equal(c.items[BUNDLE_KUBECTL].state, BUNDLECHECK_MISSING);
	summary = bundlecheck_summary(&c);
	assert_string_equal(summary, "7 of 10 files present; missing: bin/kubectl; wrong: bin/ctr, "
				     "bin/runc");
	free(summary);
	bundlecheck_clear(&c);
	/* Binaries from a mirror: only the manifests count. */
	p->binaries.source = BINARIES_MIRROR;
	bundlecheck_run(p, dir, BUNDLECHECK_QUICK, &c);
	assert_true(bundlecheck_ok(&c));
	assert_int_equal(c.items[BUNDLE_KUBECTL].state, BUNDLECHECK_UNNEEDED);
	assert_int_equal(c.n_ok, 3);
	bundlecheck_clear(&c);
	for (int i = 0; i < BUNDLE_COUNT; i++) {
		sub = bundle_path(dir, (enum bundle_item)i);
		unlink(sub);
		free(sub);
	}
	for (int i = 0; i < 2; i++) {
		sub = xasprintf("%s/%s", dir, i == 0 ? "bin" : "manifests");
		rmdir(sub);
		free(sub);
	}
	rmdir(dir);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_parse_sum),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
