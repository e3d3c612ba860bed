/* Unit tests of src/planfile.c: the YAML round trip is lossless and every
 * kind of malformed input is a problem with the right path and position. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plan.h"
#include "planfile.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Give every field of a table a value different from its default. */
static void mutate_table(void *base, const struct plan_field *fields, unsigned *n)
{
	for (const struct plan_field *f = fields; f->key != NULL; f++) {
		void *ptr = plan_field_ptr(base, f);
		char *s = NULL;

		(*n)++;
		switch (f->type) {
		case PT_SECTION:
			mutate_table(ptr, f->fields, n);
			break;
		case PT_STRING:
			/* Odd characters too: the emitter must quote what needs it. */
			s = xasprintf("v%u: #x 'q' \"d\" true", *n);
			plan_set_string(ptr, *n % 3 == 0 ? "123" : *n % 3 == 1 ? "yes" : s);
			free(s);
			break;
		case PT_UINT:
			*(unsigned *)ptr = 1000 + *n;
			break;
		case PT_BOOL:
			*(bool *)ptr = !*(bool *)ptr;
			break;
		case PT_ENUM: {
			int last = 0;

			while (f->enum_names[last + 1] != NULL)
				last++;
			*(int *)ptr = *(int *)ptr == last ? 0 : last;
			break;
		}
		case PT_STRLIST:
			strlist_clear(ptr);
			strlist_add(ptr, "first");
			strlist_add(ptr, "- second");
			break;
		case PT_ROLES:
		case PT_HOSTS:
		case PT_MIRRORS:
			break;
		}
	}
}

static struct plan *mutated_plan(void)
{
	struct plan *p = plan_new_default();
	struct plan_host h = { .name = "extra", .address = "fd00::7", .port = 2222,
			       .user = "ops", .roles = ROLE_WORKER | ROLE_ETCD };
	unsigned n = 0;

	mutate_table(p, plan_schema(), &n);
	plan_add_host(p, &h);
	strlist_add(&plan_add_mirror(p, "registry.local:5000")->endpoints, "http://10.0.0.1");
	return p;
}

static void assert_tables_equal(const void *a, const void *b, const struct plan_field *fields)
{
	for (const struct plan_field *f = fields; f->key != NULL; f++) {
		const void *x = (const char *)a + f->offset;
		const void *y = (const char *)b + f->offset;

		switch (f->type) {
		case PT_SECTION:
			assert_tables_equal(x, y, f->fields);
			break;
		case PT_STRING: {
			const char *s = *(char *const *)x, *t = *(char *const *)y;

			if ((s == NULL) != (t == NULL) || (s != NULL && strcmp(s, t) != 0))
				fail_msg("field %s: '%s' != '%s'", f->key, s ? s : "(null)",
					 t ? t : "(null)");
			break;
		}
		case PT_UINT:
		case PT_ROLES:
			assert_int_equal(*(const unsigned *)x, *(const unsigned *)y);
			break;
		case PT_BOOL:
			assert_int_equal(*(const bool *)x, *(const bool *)y);
			break;
		case PT_ENUM:
			assert_int_equal(*(const int *)x, *(const int *)y);
			break;
		case PT_STRLIST: {
			const struct strlist *l = x, *m = y;

			assert_int_equal(l->n, m->n);
			for (size_t i = 0; i < l->n; i++)
				assert_string_equal(l->v[i], m->v[i]);
			break;
		}
		case PT_HOSTS:
		case PT_MIRRORS:
			break;
		}
	}
}

static void assert_plans_equal(const struct plan *a, const struct plan *b)
{
	assert_tables_equal(a, b, plan_schema());
	assert_int_equal(a->n_hosts, b->n_hosts);
	for (size_t i = 0; i < a->n_hosts; i++)
		assert_tables_equal(&a->hosts[i], &b->hosts[i], plan_host_schema());
	assert_int_equal(a->registries.n_mirrors, b->registries.n_mirrors);
	for (size_t i = 0; i < a->registries.n_mirrors; i++) {
		const struct plan_mirror *m = &a->registries.mirrors[i];
		const struct plan_mirror *n = &b->registries.mirrors[i];

		assert_string_equal(m->registry, n->registry);
		assert_int_equal(m->endpoints.n, n->endpoints.n);
		for (size_t j = 0; j < m->endpoints.n; j++)
			assert_string_equal(m->endpoints.v[j], n->endpoints.v[j]);
	}
}

static void round_trip(struct plan *p)
{
	struct problems problems = { 0 };
	size_t len1 = 0, len2 = 0;
	char *first = planfile_emit(p, &len1);
	struct plan *loaded = planfile_parse(first, len1, &problems, NULL);
	char *second = NULL;

	if (loaded == NULL)
		fail_msg("reload failed: %s: %s", problems.v[0].path, problems.v[0].message);
	assert_int_equal(problems.n, 0);
	second = planfile_emit(loaded, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(first, second, len1);
	assert_plans_equal(p, loaded);
	plan_free(&loaded);
	free(first);
	free(second);
}

static void default_plan_round_trips(void **state)
{
	struct plan *p = plan_new_default();

	(void)state;
	round_trip(p);
	plan_free(&p);
}

static void every_field_survives(void **state)
{
	struct plan *p = mutated_plan();
	struct plan *d = plan_new_default();
	char *a = planfile_emit(p, NULL), *b = planfile_emit(d, NULL);

	(void)state;
	/* The mutation really changed things, then nothing is lost on the way back. */
	assert_string_not_equal(a, b);
	round_trip(p);
	free(a);
	free(b);
	plan_free(&p);
	plan_free(&d);
}

static void empty_lists_round_trip(void **state)
{
	struct plan *p = plan_new_default();

	(void)state;
	while (p->registries.n_mirrors > 0)
		plan_remove_mirror(p, 0);
	strlist_clear(&p->addons.csr_approver.provider_ip_prefixes);
	while (p->n_hosts > 0)
		plan_remove_host(p, 0);
	round_trip(p);
	plan_free(&p);
}

/* The NTP servers a plan file names come back in order from an export. */
static void ntp_servers_round_trip(void **state)
{
	static const char text[] =
		"apiVersion: k8s-wizard/v1\nkind: ClusterPlan\nhosts:\n- name: m1\n"
		"  address: 10.1.1.1\n  roles: [master, etcd]\n"
		"network:\n  ntpServers: [ntp.aliyun.com, \"10.9.9.9\", \"fd00::123\"]\n";
	struct problems problems = { 0 };
	struct plan *p = planfile_parse(text, sizeof text - 1, &problems, NULL);
	struct plan *d = plan_new_default();
	char *out = NULL;

	(void)state;
	if (p == NULL)
		fail_msg("%s: %s", problems.v[0].path, problems.v[0].message);
	assert_int_equal(p->network.ntp_servers.n, 3);
	assert_string_equal(p->network.ntp_servers.v[0], "ntp.aliyun.com");
	assert_string_equal(p->network.ntp_servers.v[1], "10.9.9.9");
	assert_string_equal(p->network.ntp_servers.v[2], "fd00::123");
	out = planfile_emit(p, NULL);
	assert_non_null(strstr(out, "  ntpServers:\n  - ntp.aliyun.com\n"));
	round_trip(p);
	/* None by default: the hosts keep their own time sync. */
	assert_int_equal(d->network.ntp_servers.n, 0);
	free(out);
	plan_free(&p);
	plan_free(&d);
}

static void dup_is_deep(void **state)
{
	struct plan *p = mutated_plan();
	struct plan *q = plan_dup(p);

	(void)state;
	assert_plans_equal(p, q);
	plan_set_string(&q->name, "changed");
	assert_string_not_equal(p->name, q->name);
	plan_free(&p);
	assert_null(p);
	plan_free(&q);
	plan_free(&q);
}

/* Parse text and require exactly one error at path, line, column whose
 * message contains want. */
static void expect_error(const char *text, const char *path, unsigned line, unsigned column,
			 const char *want)
{
	struct problems problems = { 0 };
	struct plan *partial = NULL;
	struct plan *p = planfile_parse(text, strlen(text), &problems, &partial);

	assert_null(p);
	if (problems.n != 1)
		fail_msg("expected 1 problem, got %zu (first: %s: %s)", problems.n,
			 problems.n ? problems.v[0].path : "-",
			 problems.n ? problems.v[0].message : "-");
	if (strcmp(problems.v[0].path, path) != 0 || problems.v[0].line != line ||
	    problems.v[0].column != column)
		fail_msg("expected %s at %u:%u, got %s at %u:%u (%s)", path, line, column,
			 problems.v[0].path, problems.v[0].line, problems.v[0].column,
			 problems.v[0].message);
	if (strstr(problems.v[0].message, want) == NULL)
		fail_msg("message '%s' lacks '%s'", problems.v[0].message, want);
	problems_clear(&problems);
	plan_free(&partial);
}

#define HEAD "apiVersion: k8s-wizard/v1\nkind: ClusterPlan\n"
#define HOSTS "hosts:\n- name: m1\n  address: 10.1.1.1\n  roles: [master, etcd]\n"

static void load_errors(void **state)
{
	(void)state;
	expect_error(HEAD HOSTS "colour: blue\n", "colour", 7, 1, "unknown key 'colour'");
	expect_error(HEAD HOSTS "network:\n  podCidr: 10.0.0.0/8\n", "network.podCidr", 8, 3,
		     "valid keys here: serviceCIDR");
	expect_error(HEAD HOSTS "ssh:\n  port: \"22\"\n", "ssh.port", 8, 9, "expected a number");
	expect_error(HEAD HOSTS "ssh:\n  port: twenty\n", "ssh.port", 8, 9, "not a whole number");
	expect_error(HEAD HOSTS "ssh:\n  port: 022\n", "ssh.port", 8, 9, "reads as octal: write 22");
	expect_error(HEAD HOSTS "ssh:\n  port: 00\n", "ssh.port", 8, 9, "reads as octal: write 0");
	expect_error(HEAD HOSTS "ssh:\n  sudo: yes\n", "ssh.sudo", 8, 9, "use true or false");
	expect_error(HEAD HOSTS "network:\n  kubeProxyMode: IPVS\n", "network.kubeProxyMode", 8,
		     18, "use ipvs or iptables");
	expect_error(HEAD HOSTS "network:\n  apiserverEndpoint: haproxy\n",
		     "network.apiserverEndpoint", 8, 22, "use external, local or keepalived");
	expect_error(HEAD HOSTS "name: [a, b]\n", "name", 7, 7, "expected a string");
	expect_error(HEAD HOSTS "network: 3\n", "network", 7, 10, "expected a mapping");
	expect_error(HEAD HOSTS "name: a\nname: b\n", "name", 8, 1, "duplicate key 'name'");
	expect_error("apiVersion: k8s-wizard/v2\nkind: ClusterPlan\n" HOSTS, "apiVersion", 1, 13,
		     "'k8s-wizard/v2' is not supported");
	expect_error("apiVersion: k8s-wizard/v1\nkind: Plan\n" HOSTS, "kind", 2, 7,
		     "reads ClusterPlan");
	expect_error("kind: ClusterPlan\n" HOSTS, "apiVersion", 1, 1, "apiVersion is missing");
	expect_error("apiVersion: k8s-wizard/v1\n" HOSTS, "kind", 1, 1, "kind is missing");
	expect_error(HEAD HOSTS "ssh:\n  sudo: \"true\"\n", "ssh.sudo", 8, 9,
		     "expected true or false, found a quoted string");
	expect_error(HEAD "hosts:\n- name: m1\n  roles: master\n", "hosts[0].roles", 5, 10,
		     "expected a list of roles");
	expect_error(HEAD, "hosts", 1, 1, "hosts is missing");
	expect_error(HEAD "hosts:\n- name: m1\n  roles: [master, boss]\n", "hosts[0].roles", 5, 19,
		     "unknown role 'boss'");
	expect_error(HEAD "hosts:\n- name: m1\n  roles: [master, master]\n", "hosts[0].roles", 5,
		     19, "listed twice");
	expect_error(HEAD "hosts: {}\n", "hosts", 3, 8, "expected a list of hosts");
	expect_error(HEAD HOSTS "registries:\n  mirrors: [a]\n", "registries.mirrors", 8, 12,
		     "expected a mapping of registry");
	expect_error(HEAD HOSTS "registries:\n  mirrors:\n    docker.io: https://x\n",
		     "registries.mirrors.docker.io", 9, 16, "expected a list");
	expect_error(HEAD HOSTS "name: &a x\nversions:\n  kubernetes: *a\n", "versions.kubernetes", 9, 3,
		     "aliases");
	expect_error(HEAD HOSTS "---\n" HEAD, "yaml", 8, 1, "one YAML document");
	expect_error(HEAD HOSTS "network:\n  podCIDR: [\n", "yaml", 9, 1, "syntax error");
	expect_error("", "apiVersion", 1, 1, "the file is empty");
	expect_error(HEAD HOSTS "name: \"a\\0b\"\n", "name", 7, 7, "NUL character");
	/* A NUL in a key is refused, not cut short to a valid key. */
	expect_error(HEAD HOSTS "\"name\\0junk\": a\n", "", 7, 1, "a key contains a NUL");
	expect_error(HEAD HOSTS "ssh:\n  \"port\\0\": 22\n", "ssh", 8, 3, "a key contains a NUL");
	expect_error(HEAD HOSTS "registries:\n  mirrors:\n    \"docker.io\\0x\": [https://m.x]\n",
		     "registries.mirrors", 9, 5, "a key contains a NUL");
	expect_error("- a\n", "apiVersion", 1, 1, "a plan is a mapping");
	expect_error(HEAD HOSTS "? [a]\n: b\n", "", 7, 3, "a key must be a plain word");
}

static void all_errors_reported(void **state)
{
	const char *text = HEAD HOSTS "colour: blue\nssh:\n  port: x\n  sudo: maybe\n";
	struct problems problems = { 0 };
	struct plan *partial = NULL;

	(void)state;
	assert_null(planfile_parse(text, strlen(text), &problems, &partial));
	assert_int_equal(problems.n, 3);
	assert_non_null(partial);
	/* What was valid was still read. */
	assert_int_equal(partial->n_hosts, 1);
	assert_string_equal(partial->hosts[0].name, "m1");
	problems_clear(&problems);
	plan_free(&partial);
}

static void marks_point_at_values(void **state)
{
	const char *text = HEAD HOSTS "network:\n  clusterDNS: 10.0.0.10\n";
	struct problems problems = { 0 };
	struct plan *p = planfile_parse(text, strlen(text), &problems, NULL);
	unsigned line = 0, column = 0;

	(void)state;
	assert_non_null(p);
	assert_true(plan_mark_find(p, "network.clusterDNS", &line, &column));
	assert_int_equal(line, 8);
	assert_int_equal(column, 15);
	assert_true(plan_mark_find(p, "hosts[0].address", &line, &column));
	assert_int_equal(line, 5);
	assert_int_equal(column, 12);
	/* A field the file does not set points at its nearest written parent. */
	assert_true(plan_mark_find(p, "network.podCIDR", &line, &column));
	assert_int_equal(line, 8);
	assert_int_equal(column, 3);
	assert_true(plan_mark_find(p, "hosts[0].port", &line, &column));
	assert_int_equal(line, 4);
	/* Nothing of pki in the file: the root mapping. */
	assert_true(plan_mark_find(p, "pki.caKeySize", &line, &column));
	assert_int_equal(line, 1);
	assert_int_equal(column, 1);
	plan_free(&p);
}

static void defaults_fill_missing(void **state)
{
	const char *text = HEAD HOSTS "network:\n  podCIDR: 10.244.0.0/16\n";
	struct problems problems = { 0 };
	struct plan *p = planfile_parse(text, strlen(text), &problems, NULL);

	(void)state;
	assert_non_null(p);
	assert_string_equal(p->network.pod_cidr, "10.244.0.0/16");
	assert_string_equal(p->network.service_cidr, "192.168.0.0/16");
	assert_int_equal(p->network.apiserver_port, 7443);
	/* A file that lists hosts replaces the default hosts. */
	assert_int_equal(p->n_hosts, 1);
	/* Mirrors not given: none (only plan_new_default has the guide's). */
	assert_int_equal(p->registries.n_mirrors, 0);
	assert_int_equal(p->hosts[0].port, 0);
	assert_null(p->hosts[0].user);
	plan_free(&p);
}

/* HEAD HOSTS and "extra: " followed by opens, a value and as many closes. */
static char *nested(size_t levels, const char *open, const char *value, const char *close)
{
	struct strbuf b = { 0 };

	strbuf_adds(&b, HEAD HOSTS "extra: ");
	for (size_t i = 0; i < levels; i++)
		strbuf_adds(&b, open);
	strbuf_adds(&b, value);
	for (size_t i = 0; i < levels; i++)
		strbuf_adds(&b, close);
	strbuf_adds(&b, "\n");
	return strbuf_detach(&b, NULL);
}

/* Depth and size are refused before a tree is built, at the first value
 * past the limit; up to the limit the loader runs as usual (here it finds
 * the unknown key). */
static void limits(void **state)
{
	char *text = NULL;

	(void)state;
	/* The root mapping is level 1, so 31 more brackets reach the limit. */
	text = nested(PLANFILE_MAX_DEPTH - 1, "[", "a", "]");
	expect_error(text, "extra", 7, 1, "unknown key 'extra'");
	free(text);
	text = nested(PLANFILE_MAX_DEPTH, "[", "a", "]");
	expect_error(text, "yaml", 7, 8 + PLANFILE_MAX_DEPTH - 1, "nest deeper than 32 levels");
	free(text);
	text = nested(PLANFILE_MAX_DEPTH, "{a: ", "b", "}");
	expect_error(text, "yaml", 7, 8 + 4 * (PLANFILE_MAX_DEPTH - 1),
		     "nest deeper than 32 levels");
	free(text);
	/* 80,000 levels, which took libyaml 13 s to build, stop at level 33. */
	text = nested(80000, "[", "", "]");
	expect_error(text, "yaml", 7, 8 + PLANFILE_MAX_DEPTH - 1, "nest deeper");
	free(text);

	/* HEAD HOSTS has 16 values (the root mapping, 11 scalars, the host list,
	 * a host, its roles list); "extra" and its list make 2 more. */
	{
		size_t fit = PLANFILE_MAX_VALUES - 18;
		struct strbuf b = { 0 };

		strbuf_adds(&b, HEAD HOSTS "extra: [");
		for (size_t i = 0; i < fit; i++)
			strbuf_adds(&b, i > 0 ? ",a" : "a");
		strbuf_adds(&b, "]\n");
		text = strbuf_detach(&b, NULL);
		expect_error(text, "extra", 7, 1, "unknown key 'extra'");
		free(text);
		strbuf_adds(&b, HEAD HOSTS "extra: [");
		for (size_t i = 0; i <= fit; i++)
			strbuf_adds(&b, i > 0 ? ",a" : "a");
		strbuf_adds(&b, "]\n");
		text = strbuf_detach(&b, NULL);
		/* The value past the limit is the last a, item fit, at column 9 + 2 * fit. */
		expect_error(text, "yaml", 7, (unsigned)(9 + 2 * fit), "more than 250000 values");
		free(text);
	}
}

/* A lone 0 is a number, not a leading zero; 10 and 2222 read as written. */
static void zero_is_a_number(void **state)
{
	const char *text = HEAD "hosts:\n- name: m1\n  address: 10.1.1.1\n  roles: [master, etcd]\n"
			   "  port: 0\n- name: w1\n  address: 10.1.1.4\n  roles: [worker]\n"
			   "  port: 2222\nssh:\n  port: 10\n";
	struct problems problems = { 0 };
	struct plan *p = planfile_parse(text, strlen(text), &problems, NULL);

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->hosts[0].port, 0);
	assert_int_equal(p->hosts[1].port, 2222);
	assert_int_equal(p->ssh.port, 10);
	plan_free(&p);
	problems_clear(&problems);
}

static void save_is_atomic_and_loads(void **state)
{
	char dir[] = "/tmp/k8sw-planfile-XXXXXX";
	struct problems problems = { 0 };
	struct plan *p = plan_new_default();
	struct plan *q = NULL;
	char *err = NULL, *path = NULL, *bad = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/plan.yaml", dir);
	assert_int_equal(planfile_save(p, path, &err), 0);
	q = planfile_load(path, &problems, NULL);
	assert_non_null(q);
	assert_plans_equal(p, q);
	bad = xasprintf("%s/missing/plan.yaml", dir);
	assert_int_equal(planfile_save(p, bad, &err), -1);
	assert_non_null(err);
	free(err);
	plan_free(&q);
	q = planfile_load(bad, &problems, NULL);
	assert_null(q);
	assert_int_equal(problems.n, 1);
	assert_string_equal(problems.v[0].path, "file");
	problems_clear(&problems);
	q = planfile_load(dir, &problems, NULL);
	assert_null(q);
	assert_non_null(strstr(problems.v[0].message, "regular file"));
	problems_clear(&problems);
	unlink(path);
	rmdir(dir);
	free(path);
	free(bad);
	plan_free(&p);
}

/* A plan kept as a symbolic link loads, and saving through the link replaces
 * the file it points to, not the link. A FIFO is refused at once: alarm()
 * kills the test if the load waits for a writer. */
static void links_and_fifos(void **state)
{
	char dir[] = "/tmp/k8sw-planfile-XXXXXX";
	struct problems problems = { 0 };
	struct plan *p = plan_new_default();
	struct plan *q = NULL;
	char *err = NULL, *target = NULL, *link = NULL, *fifo = NULL, *dangling = NULL;
	char buf[256];
	struct stat st;
	ssize_t n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	target = xasprintf("%s/real.yaml", dir);
	link = xasprintf("%s/plan.yaml", dir);
	fifo = xasprintf("%s/fifo.yaml", dir);
	dangling = xasprintf("%s/dangling.yaml", dir);
	assert_int_equal(planfile_save(p, target, &err), 0);
	assert_int_equal(symlink("real.yaml", link), 0);
	q = planfile_load(link, &problems, NULL);
	assert_non_null(q);
	assert_int_equal(problems.n, 0);
	plan_free(&q);

	plan_set_string(&p->name, "renamed");
	assert_int_equal(planfile_save(p, link, &err), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	n = readlink(link, buf, sizeof buf - 1);
	assert_int_equal(n, strlen("real.yaml"));
	q = planfile_load(target, &problems, NULL);
	assert_non_null(q);
	assert_string_equal(q->name, "renamed");
	plan_free(&q);

	assert_int_equal(symlink("nowhere.yaml", dangling), 0);
	assert_int_equal(planfile_save(p, dangling, &err), -1);
	assert_non_null(strstr(err, "cannot save through the link"));
	xfree(&err);

	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);
	q = planfile_load(fifo, &problems, NULL);
	alarm(0);
	assert_null(q);
	assert_int_equal(problems.n, 1);
	assert_non_null(strstr(problems.v[0].message, "not a regular file"));
	problems_clear(&problems);

	unlink(dangling);
	unlink(fifo);
	unlink(link);
	unlink(target);
	rmdir(dir);
	free(dangling);
	free(fifo);
	free(link);
	free(target);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_plan_round_trips),
		cmocka_unit_test(every_field_survives),
		cmocka_unit_test(empty_lists_round_trip),
		cmocka_unit_test(ntp_servers_round_trip),
		cmocka_unit_test(dup_is_deep),
		cmocka_unit_test(load_errors),
		cmocka_unit_test(all_errors_reported),
		cmocka_unit_test(marks_point_at_values),
		cmocka_unit_test(defaults_fill_missing),
		cmocka_unit_test(zero_is_a_number),
		cmocka_unit_test(links_and_fifos),
		cmocka_unit_test(limits),
		cmocka_unit_test(save_is_atomic_and_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
