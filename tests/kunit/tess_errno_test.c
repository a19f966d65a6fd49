// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for kmod/errno.c: what a server status becomes for userspace.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/limits.h>

#include "tess_errno.h"

struct errno_case {
	int status;
	int expected;
};

static const struct errno_case errno_cases[] = {
	{ 0, 0 },
	/* the documented set passes through */
	{ -ENOENT, -ENOENT },
	{ -EEXIST, -EEXIST },
	{ -ENOSPC, -ENOSPC },
	{ -EDQUOT, -EDQUOT },
	{ -ESTALE, -ESTALE },
	{ -ERANGE, -ERANGE },
	{ -ENOTEMPTY, -ENOTEMPTY },
	{ -EINTR, -EINTR },
	{ -EPROTO, -EPROTO },
	/* kernel-internal and transport errnos never reach userspace */
	{ -ERESTARTSYS, -EINTR },
	{ -512, -EINTR },
	{ -ECONNRESET, -EIO },
	{ -ECONNREFUSED, -EIO },
	{ -ESHUTDOWN, -EIO },
	{ -ETIMEDOUT, -EIO },
	{ -EHOSTUNREACH, -EIO },
	{ -EBADMSG, -EIO },
	{ -ENOTSUPP, -EIO },
	{ -EIOCBQUEUED, -EIO },
	/* junk from a peer */
	{ 512, -EIO },
	{ 1, -EIO },
	{ -4096, -EIO },
	{ INT_MIN, -EIO },
	{ INT_MAX, -EIO },
};

static void errno_case_desc(const struct errno_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "status %d", c->status);
}

KUNIT_ARRAY_PARAM(errno, errno_cases, errno_case_desc);

static void tess_errno_map(struct kunit *test)
{
	const struct errno_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, tess_errno(c->status), c->expected);
}

static struct kunit_case tess_errno_cases[] = {
	KUNIT_CASE_PARAM(tess_errno_map, errno_gen_params),
	{}
};

static struct kunit_suite tess_errno_suite = {
	.name = "tess_errno",
	.test_cases = tess_errno_cases,
};

kunit_test_suite(tess_errno_suite);

MODULE_LICENSE("GPL");
