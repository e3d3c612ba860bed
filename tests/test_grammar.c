/* Unit tests of src/grammar.c: each grammar accepts what hosts can take and
 * rejects anything a shell or a config file would interpret. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grammar.h"

struct gcase {
	enum plan_grammar g;
	const char *value;
	bool ok;
};

static const struct gcase cases[] = {
	{ GR_LABEL, "master1", true },
	{ GR_LABEL, "node-2", true },
	{ GR_LABEL, "m1;reboot", false },
	{ GR_LABEL, "Master1", false },
	{ GR_LABEL, "-m1", false },
	{ GR_LABEL, "m1-", false },
	{ GR_LABEL, "m1.example", false },
	{ GR_LABEL, "", false },
	{ GR_LABEL, "a123456789012345678901234567890123456789012345678901234567890ab", true },
	{ GR_LABEL, "a123456789012345678901234567890123456789012345678901234567890abc", false },
	{ GR_LABEL, "m1\n", false },
	{ GR_DOMAIN, "cluster.local", true },
	{ GR_DOMAIN, "k8s", true },
	{ GR_DOMAIN, "cluster..local", false },
	{ GR_DOMAIN, "cluster.local.", false },
	{ GR_DOMAIN, "cluster_local", false },
	{ GR_DOMAIN, "$(id).local", false },
	{ GR_REGISTRY, "docker.io", true },
	{ GR_REGISTRY, "registry.local:5000", true },
	{ GR_REGISTRY, "10.0.0.1:5000", true },
	{ GR_REGISTRY, "[fd00::1]:5000", true },
	{ GR_REGISTRY, "docker.io:0", false },
	{ GR_REGISTRY, "docker.io:70000", false },
	{ GR_REGISTRY, "docker.io/library", false },
	{ GR_ADDR, "10.1.1.1", true },
	{ GR_ADDR, "fd00::1", true },
	{ GR_ADDR, "10.1.1.1;id", false },
	{ GR_ADDR4, "169.254.20.10", true },
	{ GR_ADDR4, "fd00::1", false },
	{ GR_CIDR, "192.168.0.0/16", true },
	{ GR_CIDR, "fd00:10::/108", true },
	{ GR_CIDR, "192.168.0.1/16", false },
	{ GR_CIDR, "192.168.0.0", false },
	{ GR_CIDR4, "10.1.1.0/24", true },
	{ GR_CIDR4, "fd00::/64", false },
	{ GR_IMAGE, "quay.io/coreos/etcd:v3.5.15", true },
	{ GR_IMAGE, "ccr.ccs.tencentyun.com/google_container/pause-amd64:3.1", true },
	{ GR_IMAGE, "registry.local:5000/pause:3.9", true },
	{ GR_IMAGE, "pause:3.9", true },
	{ GR_IMAGE, "library/busybox@sha256:"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true },
	{ GR_IMAGE, "quay.io/coreos/etcd", false },
	{ GR_IMAGE, "quay.io/coreos/etcd:", false },
	{ GR_IMAGE, "Quay.io/CoreOS/etcd:v1", false },
	{ GR_IMAGE, "quay.io/coreos/etcd:v1;id", false },
	{ GR_IMAGE, "quay.io/coreos/etcd:v1 --privileged", false },
	{ GR_IMAGE, "quay.io//etcd:v1", false },
	{ GR_IMAGE, "quay.io/etcd:-v1", false },
	{ GR_IMAGE, "library/busybox@sha256:123", false },
	{ GR_REPO, "registry.cn-hangzhou.aliyuncs.com/google_containers", true },
	{ GR_REPO, "docker.io/calico", true },
	{ GR_REPO, "docker.io/calico:v3", false },
	{ GR_URL, "https://mirror.ccs.tencentyun.com", true },
	{ GR_URL, "https://m.daocloud.io/docker.io", true },
	{ GR_URL, "http://10.0.0.1:5000/v2", true },
	{ GR_URL, "http://[fd00::1]:5000", true },
	{ GR_URL, "ftp://mirror.example.com", false },
	{ GR_URL, "mirror.example.com", false },
	{ GR_URL, "https://mirror.example.com/a b", false },
	{ GR_URL, "https://mirror.example.com/$(id)", false },
	{ GR_URL, "https://mirror.example.com/?q=1", false },
	{ GR_URL, "https://", false },
	{ GR_URL, "https://mirror.example.com\"", false },
	{ GR_MIRROR, "https://mirror.ccs.tencentyun.com", true },
	{ GR_MIRROR, "https://m.daocloud.io/docker.io", true },
	{ GR_MIRROR, "https://m.example.com:8443/", true },
	{ GR_MIRROR, "http://10.0.0.1:5000/v2/docker.io/", true },
	{ GR_MIRROR, "https://m.example.com/..v2/a.b", true },
	{ GR_MIRROR, "ftp://mirror.example.com", false },
	{ GR_MIRROR, "https://m.example.com/a//b", false },
	{ GR_MIRROR, "https://m.example.com/a/./b", false },
	{ GR_MIRROR, "https://m.example.com/a/..", false },
	{ GR_MIRROR, "https://m.example.com/docker%2Eio", false },
	{ GR_MIRROR, "https://m.example.com/?ns=docker.io", false },
	{ GR_PATH, "/data/etcd", true },
	{ GR_PATH, "/data/../etc", false },
	{ GR_PATH, "data/etcd", false },
	{ GR_PATH, "/data/etcd;rm", false },
	{ GR_PATH, "/data/et cd", false },
	{ GR_PATH, "/data/..etcd", true },
	{ GR_LOCALPATH, "~/k8s-bundle", true },
	{ GR_LOCALPATH, "bundle", true },
	{ GR_LOCALPATH, "../bundle", true },
	{ GR_LOCALPATH, "~root/bundle", false },
	{ GR_LOCALPATH, "/tmp/$HOME", false },
	{ GR_VERSION, "v1.29.7", true },
	{ GR_VERSION, "1.7.20", true },
	{ GR_VERSION, "v1.30.0-rc.1", true },
	{ GR_VERSION, "v1.29", false },
	{ GR_VERSION, "latest", false },
	{ GR_VERSION, "v1.29.7-", false },
	{ GR_VERSION, "v1.29.7;id", false },
	{ GR_USER, "root", true },
	{ GR_USER, "_ops", true },
	{ GR_USER, "ops-1", true },
	{ GR_USER, "1ops", false },
	{ GR_USER, "Ops", false },
	{ GR_USER, "ops user", false },
	{ GR_BASTION, "jump.example.com", true },
	{ GR_BASTION, "ops@jump.example.com:2222", true },
	{ GR_BASTION, "ops@10.0.0.1", true },
	{ GR_BASTION, "ops@[fd00::1]:22", true },
	{ GR_BASTION, "ops@", false },
	{ GR_BASTION, "@jump", false },
	{ GR_BASTION, "ops@jump:", false },
	{ GR_BASTION, "ops@jump:99999", false },
	{ GR_BASTION, "ops@jump -oProxyCommand=id", false },
	{ GR_HOST, "ntp.aliyun.com", true },
	{ GR_HOST, "time1", true },
	{ GR_HOST, "10.9.9.9", true },
	{ GR_HOST, "fd00::123", true },
	{ GR_HOST, "ntp.aliyun.com;reboot", false },
	{ GR_HOST, "ntp.aliyun.com iburst", false },
	{ GR_HOST, "-ntp.example", false },
	{ GR_HOST, "[fd00::123]", false },
	{ GR_HOST, "10.9.9.9:123", false },
	{ GR_HOST, "", false },
	{ GR_REGEX, "^node[0-9]+$", true },
	{ GR_REGEX, "^(node|worker)\\d+$", true },
	{ GR_REGEX, "^node[0-9+$", false },
	{ GR_REGEX, "node\n", false },
	{ GR_REGEX, "", false },
	{ GR_SUBJECT, "dingding", true },
	{ GR_SUBJECT, "System", true },
	{ GR_SUBJECT, "system:kube-scheduler", true },
	{ GR_SUBJECT, "Acme, Inc", false },
	{ GR_SUBJECT, "a/b", false },
	{ GR_SUBJECT, " lead", false },
	{ GR_COUNTRY, "CN", true },
	{ GR_COUNTRY, "cn", false },
	{ GR_COUNTRY, "CHN", false },
	{ GR_TOKEN, "dtalk-k8s-etcd", true },
	{ GR_TOKEN, "a b", false },
	{ GR_PORTRANGE, "30000-32767", true },
	{ GR_PORTRANGE, "1-65535", true },
	{ GR_PORTRANGE, "30000-30000", true },
	{ GR_PORTRANGE, "30000", false },
	{ GR_PORTRANGE, "30000-", false },
	{ GR_PORTRANGE, "-32767", false },
	{ GR_PORTRANGE, "32767-30000", false },
	{ GR_PORTRANGE, "0-100", false },
	{ GR_PORTRANGE, "30000-65536", false },
	{ GR_PORTRANGE, "030000-32767", false },
	{ GR_PORTRANGE, "30000+2767", false },
	{ GR_PORTRANGE, "30000-32767 ", false },
	{ GR_NONE, "anything; at all", true },
};

static void grammar_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *why = NULL;
		bool ok = grammar_check(cases[i].g, cases[i].value, &why);

		if (ok != cases[i].ok)
			fail_msg("grammar %d on '%s': expected %s", cases[i].g, cases[i].value,
				 cases[i].ok ? "accept" : "reject");
		if (!ok && (why == NULL || *why == '\0'))
			fail_msg("grammar %d on '%s': no explanation", cases[i].g, cases[i].value);
	}
}

/* No value a grammar accepts (other than GR_REGEX and GR_SUBJECT, which never
 * reach a shell) contains a character a shell would interpret. Each grammar
 * starts from a value it accepts, so that a rejection is the metacharacter's
 * doing: the metacharacter goes in at every position in turn. */
static void no_shell_metacharacters(void **state)
{
	static const char meta[] = " \t\n;&|$`'\"\\<>(){}*?!#";
	static const struct {
		enum plan_grammar g;
		const char *valid;
	} shell_bound[] = {
		{ GR_LABEL, "node-1" },
		{ GR_DOMAIN, "node-1.example" },
		{ GR_REGISTRY, "registry.local:5000" },
		{ GR_ADDR, "fd00::10:1" },
		{ GR_ADDR, "10.1.1.1" },
		{ GR_ADDR4, "169.254.20.10" },
		{ GR_CIDR, "fd00:10::/108" },
		{ GR_CIDR, "192.168.0.0/16" },
		{ GR_CIDR4, "10.1.1.0/24" },
		{ GR_IMAGE, "registry.local:5000/team/pause:3.9" },
		{ GR_IMAGE, "library/busybox@sha256:"
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
		{ GR_REPO, "registry.local:5000/team" },
		{ GR_URL, "https://m.example.com:8443/docker.io/a_b~c%20" },
		{ GR_MIRROR, "https://m.example.com:8443/docker.io/a_b~c+d/v2/" },
		{ GR_PATH, "/data/etcd+x" },
		{ GR_LOCALPATH, "~/k8s-bundle/x" },
		{ GR_VERSION, "v1.30.0-rc.1" },
		{ GR_USER, "_ops-1" },
		{ GR_BASTION, "ops@jump.example.com:2222" },
		{ GR_BASTION, "ops@[fd00::1]:22" },
		{ GR_TOKEN, "dtalk-k8s_etcd.1" },
		{ GR_PORTRANGE, "30000-32767" },
		{ GR_HOST, "ntp-1.example" },
		{ GR_HOST, "fd00::123" },
	};
	char value[160];

	(void)state;
	for (size_t g = 0; g < sizeof shell_bound / sizeof shell_bound[0]; g++) {
		const char *base = shell_bound[g].valid;
		size_t n = strlen(base);

		assert_true(n + 2 <= sizeof value);
		if (!grammar_check(shell_bound[g].g, base, NULL))
			fail_msg("grammar %d rejects its valid base '%s'", shell_bound[g].g, base);
		for (const char *m = meta; *m != '\0'; m++) {
			for (size_t at = 0; at <= n; at++) {
				memcpy(value, base, at);
				value[at] = *m;
				memcpy(value + at + 1, base + at, n - at + 1);
				if (grammar_check(shell_bound[g].g, value, NULL))
					fail_msg("grammar %d accepted '%s'", shell_bound[g].g, value);
			}
		}
	}
}

static void bastion_parts(void **state)
{
	struct bastion b;

	(void)state;
	assert_int_equal(grammar_parse_bastion("ops@jump.example.com:2222", &b), 0);
	assert_string_equal(b.user, "ops");
	assert_string_equal(b.host, "jump.example.com");
	assert_int_equal(b.port, 2222);
	assert_int_equal(grammar_parse_bastion("10.0.0.1", &b), 0);
	assert_string_equal(b.user, "");
	assert_string_equal(b.host, "10.0.0.1");
	assert_int_equal(b.port, 0);
	assert_int_equal(grammar_parse_bastion("root@[fd00::1]:22", &b), 0);
	assert_string_equal(b.host, "fd00::1");
	assert_int_equal(b.port, 22);
	assert_int_equal(grammar_parse_bastion("root@host:22:22", &b), -1);
}

/* The API root of each form of mirror endpoint, as containerd is to use it. */
static void mirror_roots(void **state)
{
	static const struct {
		const char *url, *root;
		bool override;
	} roots[] = {
		{ "https://mirror.ccs.tencentyun.com", "https://mirror.ccs.tencentyun.com", false },
		{ "https://m.example.com:8443/", "https://m.example.com:8443", false },
		{ "http://[fd00::1]:5000", "http://[fd00::1]:5000", false },
		{ "https://m.daocloud.io/docker.io", "https://m.daocloud.io/docker.io/v2", true },
		{ "https://m.daocloud.io/docker.io//", "https://m.daocloud.io/docker.io/v2", true },
		{ "https://m.example.com/a//b", NULL, false },
		{ "https://m.example.com/a/b/", "https://m.example.com/a/b/v2", true },
		{ "https://m.example.com/mirror/v2", "https://m.example.com/mirror/v2", true },
		{ "https://m.example.com/mirror/v2/", "https://m.example.com/mirror/v2", true },
		{ "https://m.example.com/v2", "https://m.example.com/v2", true },
		{ "http://10.0.0.1:5000/v2/docker.io", "http://10.0.0.1:5000/v2/docker.io", true },
		{ "https://m.example.com/v2x/v22", "https://m.example.com/v2x/v22/v2", true },
		{ "https://m.example.com/xv2", "https://m.example.com/xv2/v2", true },
		{ "https://m.example.com/a/../b", NULL, false },
		{ "mirror.example.com", NULL, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		bool override = !roots[i].override;
		char *root = grammar_mirror_root(roots[i].url, &override);

		if (roots[i].root == NULL ? root != NULL
					  : root == NULL || strcmp(root, roots[i].root) != 0)
			fail_msg("%s: root %s, want %s", roots[i].url, root ? root : "(none)",
				 roots[i].root ? roots[i].root : "(none)");
		if (override != roots[i].override)
			fail_msg("%s: override_path %d, want %d", roots[i].url, override,
				 roots[i].override);
		free(root);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grammar_table),
		cmocka_unit_test(no_shell_metacharacters),
		cmocka_unit_test(bastion_parts),
		cmocka_unit_test(mirror_roots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
