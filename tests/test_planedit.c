/* planedit: fields as text and back, path resolution, host duplication. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"
#include "planedit.h"

/* The wizard shows every field by its label: a field added to the schema
 * without one would show nothing. */
static void check_labels(const struct plan_field *table)
{
	for (const struct plan_field *f = table; f->key != NULL; f++) {
		if (f->label == NULL || *f->label == '\0')
			fail_msg("schema field '%s' has no label", f->key);
		if (f->type == PT_SECTION || f->type == PT_HOSTS)
			check_labels(f->fields);
	}
}

static void every_field_has_a_label(void **state)
{
	(void)state;
	check_labels(plan_schema());
	check_labels(plan_host_schema());
}

static void resolve_rejects_what_is_not_a_value(void **state)
{
	struct plan *p = plan_new_default();
	const struct plan_field *f = NULL;

	(void)state;
	assert_null(planedit_resolve(p, "", &f));
	assert_null(f);
	assert_null(planedit_resolve(p, "network", &f));
	assert_null(planedit_resolve(p, "network.nope", &f));
	assert_null(planedit_resolve(p, "hosts", &f));
	assert_null(planedit_resolve(p, "hosts[5].name", &f));
	assert_null(planedit_resolve(p, "hosts[x].name", &f));
	assert_null(planedit_resolve(p, "hosts[1]", &f));
	assert_null(planedit_resolve(p, "registries.mirrors", &f));
	assert_null(planedit_resolve(p, "network.podCIDR.more", &f));
	plan_free(&p);
}

static void resolve_finds_values(void **state)
{
	struct plan *p = plan_new_default();
	const struct plan_field *f = NULL;
	void *base = NULL;

	(void)state;
	base = planedit_resolve(p, "network.podCIDR", &f);
	assert_ptr_equal(base, &p->network);
	assert_string_equal(f->key, "podCIDR");
	base = planedit_resolve(p, "hosts[3].address", &f);
	assert_ptr_equal(base, &p->hosts[3]);
	assert_string_equal(f->key, "address");
	base = planedit_resolve(p, "pki.subject.country", &f);
	assert_ptr_equal(base, &p->pki.subject);
	base = planedit_resolve(p, "name", &f);
	assert_ptr_equal(base, p);
	plan_free(&p);
}

static void get_formats_each_type(void **state)
{
	struct plan *p = plan_new_default();
	const struct plan_field *f = NULL;
	const struct {
		const char *path, *text;
	} cases[] = {
		{ "network.podCIDR", "172.18.0.0/16" },
		{ "network.apiserverPort", "7443" },
		{ "ssh.sudo", "false" },
		{ "network.calicoIPIPMode", "Always" },
		{ "addons.csrApprover.providerIPPrefixes", "10.1.1.0/24" },
		{ "hosts[0].roles", "master etcd" },
		{ "ssh.identityFile", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		void *base = planedit_resolve(p, cases[i].path, &f);
		char *text = planedit_get(base, f);

		assert_string_equal(text, cases[i].text);
		free(text);
	}
	plan_free(&p);
}

static void set_refuses_what_the_type_cannot_hold(void **state)
{
	struct plan *p = plan_new_default();
	const struct plan_field *f = NULL;
	char *err = NULL;
	void *base = planedit_resolve(p, "network.apiserverPort", &f);

	(void)state;
	assert_int_equal(planedit_set(base, f, "74x3", &err), -1);
	assert_non_null(strstr(err, "74x3"));
	free(err);
	assert_int_equal(p->network.apiserver_port, 7443);
	assert_int_equal(planedit_set(base, f, "1234567890", &err), -1);
	free(err);
	base = planedit_resolve(p, "network.kubeProxyMode", &f);
	assert_int_equal(planedit_set(base, f, "nftables", &err), -1);
	assert_non_null(strstr(err, "ipvs"));
	free(err);
	base = planedit_resolve(p, "hosts[0].roles", &f);
	assert_int_equal(planedit_set(base, f, "master boss", &err), -1);
	free(err);
	assert_int_equal(p->hosts[0].roles, ROLE_MASTER | ROLE_ETCD);
	plan_free(&p);
}

static void set_stores_text(void **state)
{
	struct plan *p = plan_new_default();
	const struct plan_field *f = NULL;
	char *err = NULL;
	void *base = planedit_resolve(p, "network.podCIDR", &f);

	(void)state;
	/* Stored as typed (trimmed): judging it is plancheck's job. */
	assert_int_equal(planedit_set(base, f, "  not a cidr ", &err), 0);
	assert_null(err);
	assert_string_equal(p->network.pod_cidr, "not a cidr");
	base = planedit_resolve(p, "ssh.identityFile", &f);
	assert_int_equal(planedit_set(base, f, "", &err), 0);
	assert_null(p->ssh.identity_file);
	base = planedit_resolve(p, "ssh.port", &f);
	assert_int_equal(planedit_set(base, f, "2222", &err), 0);
	assert_int_equal(p->ssh.port, 2222);
	/* Empty text is the default. */
	assert_int_equal(planedit_set(base, f, "", &err), 0);
	assert_int_equal(p->ssh.port, 22);
	base = planedit_resolve(p, "ssh.sudo", &f);
	assert_int_equal(planedit_set(base, f, "true", &err), 0);
	assert_true(p->ssh.sudo);
	base = planedit_resolve(p, "network.kubeProxyMode", &f);
	assert_int_equal(planedit_set(base, f, "iptables", &err), 0);
	assert_int_equal(p->network.kube_proxy_mode, PROXY_IPTABLES);
	base = planedit_resolve(p, "addons.csrApprover.providerIPPrefixes", &f);
	assert_int_equal(planedit_set(base, f, "10.0.0.0/8, 172.16.0.0/12 192.168.0.0/16", &err), 0);
	assert_int_equal(p->addons.csr_approver.provider_ip_prefixes.n, 3);
	assert_string_equal(p->addons.csr_approver.provider_ip_prefixes.v[2], "192.168.0.0/16");
	base = planedit_resolve(p, "hosts[3].roles", &f);
	assert_int_equal(planedit_set(base, f, "worker,etcd", &err), 0);
	assert_int_equal(p->hosts[3].roles, ROLE_WORKER | ROLE_ETCD);
	plan_free(&p);
}

static void duplicate_takes_next_name_and_address(void **state)
{
	struct plan *p = plan_new_default();
	size_t n;

	(void)state;
	n = planedit_duplicate_host(p, 4);
	assert_int_equal(n, 5);
	assert_int_equal(p->n_hosts, 6);
	assert_string_equal(p->hosts[5].name, "node3");
	assert_string_equal(p->hosts[5].address, "10.1.1.6");
	assert_int_equal(p->hosts[5].roles, ROLE_WORKER);
	/* From node1: node2 and 10.1.1.5 are taken, so node3... is taken too. */
	n = planedit_duplicate_host(p, 3);
	assert_int_equal(n, 4);
	assert_string_equal(p->hosts[4].name, "node4");
	assert_string_equal(p->hosts[4].address, "10.1.1.7");
	assert_string_equal(p->hosts[5].name, "node2");
	plan_free(&p);
}

static void duplicate_without_number_or_address(void **state)
{
	struct plan *p = plan_new_empty();
	const struct plan_host edge = { .name = "edge", .address = "fd00::ff", .roles = ROLE_WORKER };
	const struct plan_host odd = { .name = "x", .address = "bad" };

	(void)state;
	plan_add_host(p, &edge);
	plan_add_host(p, &odd);
	planedit_duplicate_host(p, 0);
	assert_string_equal(p->hosts[1].name, "edge2");
	assert_string_equal(p->hosts[1].address, "fd00::100");
	planedit_duplicate_host(p, 2);
	assert_string_equal(p->hosts[3].name, "x2");
	assert_null(p->hosts[3].address);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_has_a_label),
		cmocka_unit_test(resolve_rejects_what_is_not_a_value),
		cmocka_unit_test(resolve_finds_values),
		cmocka_unit_test(get_formats_each_type),
		cmocka_unit_test(set_refuses_what_the_type_cannot_hold),
		cmocka_unit_test(set_stores_text),
		cmocka_unit_test(duplicate_takes_next_name_and_address),
		cmocka_unit_test(duplicate_without_number_or_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
