// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for lnet/addr.c: HOST[:PORT]@NET parsing and printing.
 */
#include <kunit/test.h>

#include "tnet.h"

struct addr_case {
	const char *str;
	int expected;
	u32 ip;			/* host order */
	u16 port;
	const char *net;
	const char *why;	/* start of the reason on failure */
};

static const struct addr_case addr_cases[] = {
	{ "10.0.0.5@tcp", 0, 0x0a000005, 0, "tcp" },
	{ "10.0.0.5:7431@tcp", 0, 0x0a000005, 7431, "tcp" },
	{ "255.255.255.255:65535@o2ib1", 0, 0xffffffff, 65535, "o2ib1" },
	{ "0.0.0.0:1@t", 0, 0, 1, "t" },
	{ "192.168.100.200@abcdefghijklmno", 0, 0xc0a864c8, 0,
	  "abcdefghijklmno" },
	{ "", -EINVAL, .why = "empty address" },
	{ "10.0.0.5", -EINVAL, .why = "missing @NET" },
	{ "10.0.0.5@", -EINVAL, .why = "network type after '@'" },
	{ "10.0.0.5@abcdefghijklmnop", -EINVAL,
	  .why = "network type after '@'" },
	{ "10.0.0.5@TCP", -EINVAL, .why = "network type must start" },
	{ "10.0.0.5@1tcp", -EINVAL, .why = "network type must start" },
	{ "10.0.0.5@tc-p", -EINVAL, .why = "network type may hold" },
	{ "10.0.0.5@tcp@tcp", -EINVAL, .why = "network type may hold" },
	{ "@tcp", -EINVAL, .why = "missing host" },
	{ ":7431@tcp", -EINVAL, .why = "missing host" },
	{ "mds1@tcp", -EINVAL, .why = "host must be a dotted-quad" },
	{ "10.0.0@tcp", -EINVAL, .why = "IPv4 address needs 4 parts" },
	{ "10.0.0.5.6@tcp", -EINVAL, .why = "IPv4 address has more" },
	{ "10.0.0.256@tcp", -EINVAL, .why = "IPv4 address part" },
	{ "10.0..5@tcp", -EINVAL, .why = "IPv4 address part" },
	{ "10.0.0.05@tcp", -EINVAL, .why = "IPv4 address part" },
	{ "10.0.0.1000@tcp", -EINVAL, .why = "IPv4 address part" },
	{ "10.0.0.5:@tcp", -EINVAL, .why = "port must be" },
	{ "10.0.0.5:0@tcp", -EINVAL, .why = "port must be" },
	{ "10.0.0.5:65536@tcp", -EINVAL, .why = "port must be" },
	{ "10.0.0.5:07431@tcp", -EINVAL, .why = "port must be" },
	{ "10.0.0.5:74a1@tcp", -EINVAL, .why = "port must be" },
	{ "10.0.0.5:1:2@tcp", -EINVAL, .why = "port must be" },
	{ "111.111.111.111:11111@abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq",
	  -EINVAL, .why = "address longer" },
};

static void addr_desc(const struct addr_case *t, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", t->str);
}

KUNIT_ARRAY_PARAM(addr, addr_cases, addr_desc);

static void tnet_addr_parse_test(struct kunit *test)
{
	const struct addr_case *t = test->param_value;
	const char *why = NULL;
	struct tnet_addr a;
	int err;

	err = tnet_addr_parse(t->str, strlen(t->str), &a, &why);
	KUNIT_ASSERT_EQ(test, err, t->expected);
	if (err) {
		KUNIT_ASSERT_NOT_NULL(test, why);
		KUNIT_EXPECT_EQ_MSG(test, strncmp(why, t->why, strlen(t->why)), 0,
				    "reason: %s", why);
		return;
	}
	KUNIT_EXPECT_EQ(test, be32_to_cpu(a.ipv4), t->ip);
	KUNIT_EXPECT_EQ(test, a.port, t->port);
	KUNIT_EXPECT_STREQ(test, a.net, t->net);
}

/* the parser never reads past len */
static void tnet_addr_len_test(struct kunit *test)
{
	struct tnet_addr a;
	const char *why;

	KUNIT_EXPECT_EQ(test, tnet_addr_parse("10.0.0.5@tcp,10.0.0.6@tcp", 12,
					      &a, &why), 0);
	KUNIT_EXPECT_STREQ(test, a.net, "tcp");
	KUNIT_EXPECT_EQ(test, tnet_addr_parse("10.0.0.5@tcpX", 13, &a, &why),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, tnet_addr_parse("10.0.0.5@tcp", 11, &a, &why), 0);
	KUNIT_EXPECT_STREQ(test, a.net, "tc");
}

static void tnet_addr_format_test(struct kunit *test)
{
	static const char *const strs[] = {
		"10.0.0.5@tcp", "10.0.0.5:7431@tcp", "255.255.255.255:65535@o2ib1",
	};
	char buf[TNET_ADDR_STRLEN];
	struct tnet_addr a;
	const char *why;
	int i;

	for (i = 0; i < ARRAY_SIZE(strs); i++) {
		KUNIT_ASSERT_EQ(test, tnet_addr_parse(strs[i], strlen(strs[i]),
						      &a, &why), 0);
		KUNIT_EXPECT_EQ(test, tnet_addr_format(&a, buf, sizeof(buf)),
				(int)strlen(strs[i]));
		KUNIT_EXPECT_STREQ(test, buf, strs[i]);
	}
	KUNIT_EXPECT_EQ(test, tnet_addr_format(&a, buf, 5), -ENOSPC);
}

static struct kunit_case tnet_addr_test_cases[] = {
	KUNIT_CASE_PARAM(tnet_addr_parse_test, addr_gen_params),
	KUNIT_CASE(tnet_addr_len_test),
	KUNIT_CASE(tnet_addr_format_test),
	{}
};

static struct kunit_suite tnet_addr_test_suite = {
	.name = "tnet_addr",
	.test_cases = tnet_addr_test_cases,
};

kunit_test_suites(&tnet_addr_test_suite);

MODULE_LICENSE("GPL");
