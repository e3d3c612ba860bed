/* Unit tests of src/net.c: parsing, formatting and CIDR arithmetic. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net.h"

static struct net_addr addr(const char *s)
{
	struct net_addr a;

	assert_int_equal(net_addr_parse(s, &a), 0);
	return a;
}

static struct net_cidr cidr(const char *s)
{
	struct net_cidr c;
	const char *why = NULL;

	assert_int_equal(net_cidr_parse(s, &c, &why), 0);
	return c;
}

static void addr_parse_rejects_junk(void **state)
{
	static const char *const bad[] = {
		"", "10.1.1", "10.1.1.256", "010.1.1.1", "10.1.1.1 ", " 10.1.1.1", "10.1.1.1/32",
		"1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "localhost", "::g", "10.1.1.1;reboot",
	};
	struct net_addr a;

	(void)state;
	assert_int_equal(net_addr_parse(NULL, &a), -1);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(net_addr_parse(bad[i], &a), -1);
}

static void addr_parse_and_format(void **state)
{
	static const char *const cases[][2] = {
		{ "10.1.1.1", "10.1.1.1" },
		{ "127.0.0.11", "127.0.0.11" },
		{ "fd00:0:0:0:0:0:0:1", "fd00::1" },
		{ "::1", "::1" },
		{ "2001:db8::", "2001:db8::" },
	};
	char buf[NET_ADDRSTRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct net_addr a = addr(cases[i][0]);

		net_addr_format(&a, buf, sizeof buf);
		assert_string_equal(buf, cases[i][1]);
	}
	assert_int_equal(addr("10.1.1.1").family, NET_IPV4);
	assert_int_equal(addr("::1").family, NET_IPV6);
}

static void cidr_parse_errors(void **state)
{
	static const char *const bad[] = {
		"10.1.1.0", "/24", "10.1.1.0/", "10.1.1.0/33", "10.1.1.0/-1", "10.1.1.0/024",
		"10.1.1.0/2x", "fd00::/129", "10.1.1/24", "10.1.1.0/24/1", "x/8",
	};
	struct net_cidr c;
	const char *why = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(net_cidr_parse(bad[i], &c, &why), -1);
		assert_non_null(why);
	}
	assert_int_equal(net_cidr_parse(NULL, &c, &why), -1);
}

static void cidr_host_bits(void **state)
{
	struct net_cidr c;
	const char *why = NULL;
	char buf[NET_CIDRSTRLEN];

	(void)state;
	assert_int_equal(net_cidr_parse("10.1.1.7/24", &c, &why), -2);
	net_cidr_format(&c, buf, sizeof buf);
	assert_string_equal(buf, "10.1.1.0/24");
	assert_int_equal(net_cidr_parse("fd00::1/64", &c, &why), -2);
	net_cidr_format(&c, buf, sizeof buf);
	assert_string_equal(buf, "fd00::/64");
}

static void cidr_format_round_trip(void **state)
{
	static const char *const cases[] = { "0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16",
					     "10.1.1.10/32", "fd00:10::/108", "::/0", "::1/128" };
	char buf[NET_CIDRSTRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct net_cidr c = cidr(cases[i]);

		net_cidr_format(&c, buf, sizeof buf);
		assert_string_equal(buf, cases[i]);
	}
}

static void cidr_contains(void **state)
{
	struct net_cidr svc = cidr("192.168.0.0/16");
	struct net_cidr v6 = cidr("fd00:10::/108");
	struct net_addr a;

	(void)state;
	a = addr("192.168.0.2");
	assert_true(net_cidr_contains(&svc, &a));
	a = addr("192.168.255.255");
	assert_true(net_cidr_contains(&svc, &a));
	a = addr("192.169.0.0");
	assert_false(net_cidr_contains(&svc, &a));
	a = addr("10.0.0.10");
	assert_false(net_cidr_contains(&svc, &a));
	a = addr("fd00:10::f:ffff");
	assert_true(net_cidr_contains(&v6, &a));
	a = addr("fd00:10::10:0");
	assert_false(net_cidr_contains(&v6, &a));
	/* Families never contain each other. */
	a = addr("::ffff:192.168.0.1");
	assert_false(net_cidr_contains(&svc, &a));
	struct net_cidr all = cidr("0.0.0.0/0");
	a = addr("8.8.8.8");
	assert_true(net_cidr_contains(&all, &a));
}

static void cidr_overlaps(void **state)
{
	static const struct {
		const char *a, *b;
		bool overlap;
	} cases[] = {
		{ "192.168.0.0/16", "172.18.0.0/16", false },
		{ "192.168.0.0/16", "192.168.4.0/24", true },
		{ "192.168.4.0/24", "192.168.0.0/16", true },
		{ "10.0.0.0/8", "10.0.0.0/8", true },
		{ "10.0.0.0/9", "10.128.0.0/9", false },
		{ "0.0.0.0/0", "10.0.0.0/8", true },
		{ "fd00::/64", "fd00::/48", true },
		{ "fd00::/64", "10.0.0.0/8", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct net_cidr a = cidr(cases[i].a), b = cidr(cases[i].b);

		assert_int_equal(net_cidr_overlaps(&a, &b), cases[i].overlap);
	}
}

static void cidr_size_and_nth(void **state)
{
	struct net_cidr svc = cidr("192.168.0.0/16");
	struct net_cidr v6 = cidr("fd00::/64");
	struct net_cidr host = cidr("10.1.1.10/32");
	struct net_addr a;
	char buf[NET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(net_cidr_size(&svc), 65536);
	assert_int_equal(net_cidr_size(&host), 1);
	assert_true(net_cidr_size(&v6) == UINT64_MAX);
	assert_int_equal(net_cidr_nth(&svc, 1, &a), 0);
	net_addr_format(&a, buf, sizeof buf);
	assert_string_equal(buf, "192.168.0.1");
	assert_int_equal(net_cidr_nth(&svc, 258, &a), 0);
	net_addr_format(&a, buf, sizeof buf);
	assert_string_equal(buf, "192.168.1.2");
	assert_int_equal(net_cidr_nth(&svc, 65535, &a), 0);
	net_addr_format(&a, buf, sizeof buf);
	assert_string_equal(buf, "192.168.255.255");
	assert_int_equal(net_cidr_nth(&svc, 65536, &a), -1);
	assert_int_equal(net_cidr_nth(&host, 1, &a), -1);
	assert_int_equal(net_cidr_nth(&v6, 0x10001, &a), 0);
	net_addr_format(&a, buf, sizeof buf);
	assert_string_equal(buf, "fd00::1:1");
}

static void addr_next_and_loopback(void **state)
{
	struct net_addr a = addr("10.1.1.255"), n;
	char buf[NET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(net_addr_next(&a, &n), 0);
	net_addr_format(&n, buf, sizeof buf);
	assert_string_equal(buf, "10.1.2.0");
	a = addr("255.255.255.255");
	assert_int_equal(net_addr_next(&a, &n), -1);
	a = addr("fd00::ffff");
	assert_int_equal(net_addr_next(&a, &n), 0);
	net_addr_format(&n, buf, sizeof buf);
	assert_string_equal(buf, "fd00::1:0");
	a = addr("127.0.0.11");
	assert_true(net_addr_is_loopback(&a));
	a = addr("::1");
	assert_true(net_addr_is_loopback(&a));
	a = addr("10.1.1.1");
	assert_false(net_addr_is_loopback(&a));
	{
		struct net_addr x = addr("10.1.1.1"), y = addr("10.1.1.1"), z = addr("10.1.1.2");

		assert_true(net_addr_equal(&x, &y));
		assert_false(net_addr_equal(&x, &z));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_parse_rejects_junk),
		cmocka_unit_test(addr_parse_and_format),
		cmocka_unit_test(cidr_parse_errors),
		cmocka_unit_test(cidr_host_bits),
		cmocka_unit_test(cidr_format_round_trip),
		cmocka_unit_test(cidr_contains),
		cmocka_unit_test(cidr_overlaps),
		cmocka_unit_test(cidr_size_and_nth),
		cmocka_unit_test(addr_next_and_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
