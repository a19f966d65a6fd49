// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for common/tess_stripe.c.
 *
 * Expected values are worked out by hand from the RAID0 layout (unit u
 * of stripe_size S lives in object u % count at object offset
 * (u / count) * S), not computed by the code under test.
 */
#include <kunit/test.h>

#include "tess_stripe.h"

#define K64	(64u * 1024)
#define M1	(1024u * 1024)
#define G1	(1024u * 1024 * 1024)

/* ---- tess_stripe_geom_check ---- */

struct geom_check_case {
	const char *name;
	u32 size, count;
	int expected;
};

static const struct geom_check_case geom_check_cases[] = {
	{ "min size, 1 stripe", K64, 1, 0 },
	{ "1M x 256 stripes", M1, 256, 0 },
	{ "1G stripe size", G1, 4, 0 },
	{ "128K stripe size", 2 * K64, 2, 0 },
	{ "zero stripe count", K64, 0, -EINVAL },
	{ "257 stripes", K64, 257, -EINVAL },
	{ "zero stripe size", 0, 1, -EINVAL },
	{ "size below 64K", K64 - 1, 1, -EINVAL },
	{ "size not 64K multiple", K64 + K64 / 2, 1, -EINVAL },
	{ "size over 1G", G1 + K64, 1, -EINVAL },
};

static void geom_check_desc(const struct geom_check_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(geom_check, geom_check_cases, geom_check_desc);

static void tess_stripe_geom_check_test(struct kunit *test)
{
	const struct geom_check_case *t = test->param_value;
	struct tess_stripe_geom g = { t->size, t->count };

	KUNIT_EXPECT_EQ(test, tess_stripe_geom_check(&g), t->expected);
}

/* ---- tess_stripe_map and tess_stripe_file_off ---- */

struct map_case {
	const char *name;
	u32 size, count;
	u64 off;
	u32 stripe;
	u64 obj_off;
	u64 left;
};

static const struct map_case map_cases[] = {
	{ "offset 0", K64, 3, 0, 0, 0, K64 },
	{ "last byte of unit 0 (S-1)", K64, 3, K64 - 1, 0, K64 - 1, 1 },
	{ "first byte of unit 1 (S)", K64, 3, K64, 1, 0, K64 },
	{ "second byte of unit 1 (S+1)", K64, 3, K64 + 1, 1, 1, K64 - 1 },
	{ "last byte of first row (3S-1)", K64, 3, 3 * K64 - 1, 2, K64 - 1, 1 },
	{ "first byte of second row (3S)", K64, 3, 3 * K64, 0, K64, K64 },
	{ "unit 4 + 5 bytes", K64, 3, 4 * K64 + 5, 1, K64 + 5, K64 - 5 },
	{ "single stripe is identity", M1, 1, 5ull * M1 + 7, 0, 5ull * M1 + 7,
	  M1 - 7 },
	{ "1 TiB, 4 stripes", M1, 4, 1ull << 40, 0, 1ull << 38, M1 },
	{ "1 TiB + 3, 5 stripes", M1, 5, (1ull << 40) + 3, 1, 219902115843ull,
	  M1 - 3 },
	{ "odd offset, 7 stripes", M1, 7, 123456789012ull, 4, 17636596244ull,
	  452076 },
	{ "last stripe of 256", K64, 256, 255ull * K64 + 9, 255, 9, K64 - 9 },
};

static void map_desc(const struct map_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(map, map_cases, map_desc);

static void tess_stripe_map_test(struct kunit *test)
{
	const struct map_case *t = test->param_value;
	struct tess_stripe_geom g = { t->size, t->count };
	u32 stripe = ~0u;
	u64 obj_off = ~0ull, left;

	left = tess_stripe_map(&g, t->off, &stripe, &obj_off);
	KUNIT_EXPECT_EQ(test, stripe, t->stripe);
	KUNIT_EXPECT_EQ(test, obj_off, t->obj_off);
	KUNIT_EXPECT_EQ(test, left, t->left);

	/* and back */
	KUNIT_EXPECT_EQ(test, tess_stripe_file_off(&g, t->stripe, t->obj_off),
			t->off);
}

/* ---- tess_stripe_split ---- */

static void tess_stripe_split_test(struct kunit *test)
{
	struct tess_stripe_geom g = { K64, 3 };
	struct tess_extent ext[4];
	u64 done = ~0ull;
	u32 n;

	/* [S-10, 2S+10): tail of unit 0, all of unit 1, head of unit 2 */
	n = tess_stripe_split(&g, K64 - 10, K64 + 20, ext, 4, &done);
	KUNIT_ASSERT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, done, (u64)K64 + 20);

	KUNIT_EXPECT_EQ(test, ext[0].file_off, (u64)K64 - 10);
	KUNIT_EXPECT_EQ(test, ext[0].len, 10ull);
	KUNIT_EXPECT_EQ(test, ext[0].stripe, 0u);
	KUNIT_EXPECT_EQ(test, ext[0].obj_off, (u64)K64 - 10);

	KUNIT_EXPECT_EQ(test, ext[1].file_off, (u64)K64);
	KUNIT_EXPECT_EQ(test, ext[1].len, (u64)K64);
	KUNIT_EXPECT_EQ(test, ext[1].stripe, 1u);
	KUNIT_EXPECT_EQ(test, ext[1].obj_off, 0ull);

	KUNIT_EXPECT_EQ(test, ext[2].file_off, 2ull * K64);
	KUNIT_EXPECT_EQ(test, ext[2].len, 10ull);
	KUNIT_EXPECT_EQ(test, ext[2].stripe, 2u);
	KUNIT_EXPECT_EQ(test, ext[2].obj_off, 0ull);
}

static void tess_stripe_split_max_test(struct kunit *test)
{
	struct tess_stripe_geom g = { K64, 3 };
	struct tess_extent ext[2];
	u64 done;
	u32 n;

	/* only 2 extents fit: the caller continues at off + done */
	n = tess_stripe_split(&g, K64 - 10, K64 + 20, ext, 2, &done);
	KUNIT_EXPECT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, done, (u64)K64 + 10);

	n = tess_stripe_split(&g, K64 - 10 + done, K64 + 20 - done, ext, 2,
			      &done);
	KUNIT_EXPECT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ(test, done, 10ull);
	KUNIT_EXPECT_EQ(test, ext[0].stripe, 2u);
}

static void tess_stripe_split_empty_test(struct kunit *test)
{
	struct tess_stripe_geom g = { K64, 3 };
	struct tess_extent ext[1];
	u64 done = ~0ull;

	KUNIT_EXPECT_EQ(test, tess_stripe_split(&g, 12345, 0, ext, 1, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 0ull);
}

static void tess_stripe_split_aligned_test(struct kunit *test)
{
	struct tess_stripe_geom g = { K64, 2 };
	struct tess_extent ext[3];
	u64 done;

	/* exactly one unit, starting on a boundary: one extent */
	KUNIT_EXPECT_EQ(test, tess_stripe_split(&g, 3 * K64, K64, ext, 3, &done), 1);
	KUNIT_EXPECT_EQ(test, ext[0].stripe, 1u);
	KUNIT_EXPECT_EQ(test, ext[0].obj_off, (u64)K64);
	KUNIT_EXPECT_EQ(test, ext[0].len, (u64)K64);
	/* one byte more crosses into the next unit */
	KUNIT_EXPECT_EQ(test, tess_stripe_split(&g, 3 * K64, K64 + 1, ext, 3, &done), 2);
	KUNIT_EXPECT_EQ(test, ext[1].stripe, 0u);
	KUNIT_EXPECT_EQ(test, ext[1].obj_off, 2ull * K64);
	KUNIT_EXPECT_EQ(test, ext[1].len, 1ull);
}

static void tess_stripe_split_wrap_test(struct kunit *test)
{
	struct tess_stripe_geom g = { K64, 1 };
	struct tess_extent ext[2];
	u64 done;

	/* off + len would wrap: clamped at U64_MAX (5 bytes left) */
	KUNIT_EXPECT_EQ(test, tess_stripe_split(&g, U64_MAX - 5, 100, ext, 2, &done), 1);
	KUNIT_EXPECT_EQ(test, done, 5ull);
	KUNIT_EXPECT_EQ(test, ext[0].len, 5ull);
}

/* ---- tess_stripe_obj_size and tess_stripe_file_size ---- */

struct obj_size_case {
	const char *name;
	u64 file_size;
	u64 obj[3];	/* S = 64K, 3 stripes */
};

static const struct obj_size_case obj_size_cases[] = {
	{ "empty file", 0, { 0, 0, 0 } },
	{ "1 byte", 1, { 1, 0, 0 } },
	{ "S-1", K64 - 1, { K64 - 1, 0, 0 } },
	{ "S", K64, { K64, 0, 0 } },
	{ "S+1", K64 + 1, { K64, 1, 0 } },
	{ "3S-1", 3 * K64 - 1, { K64, K64, K64 - 1 } },
	{ "3S (full row)", 3 * K64, { K64, K64, K64 } },
	{ "3S+1", 3 * K64 + 1, { K64 + 1, K64, K64 } },
	{ "7S+100", 7 * K64 + 100, { 3 * K64, 2 * K64 + 100, 2 * K64 } },
};

static void obj_size_desc(const struct obj_size_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(obj_size, obj_size_cases, obj_size_desc);

static void tess_stripe_obj_size_test(struct kunit *test)
{
	const struct obj_size_case *t = test->param_value;
	struct tess_stripe_geom g = { K64, 3 };
	u64 max = 0, fs;
	u32 s;

	for (s = 0; s < 3; s++)
		KUNIT_EXPECT_EQ_MSG(test, tess_stripe_obj_size(&g, s, t->file_size),
				    t->obj[s], "stripe %u", s);

	/* the largest file size implied by the objects is the file size */
	for (s = 0; s < 3; s++) {
		fs = tess_stripe_file_size(&g, s, t->obj[s]);
		if (fs > max)
			max = fs;
	}
	KUNIT_EXPECT_EQ(test, max, t->file_size);
}

static void tess_stripe_file_size_test(struct kunit *test)
{
	struct tess_stripe_geom g = { K64, 3 };

	KUNIT_EXPECT_EQ(test, tess_stripe_file_size(&g, 0, 0), 0ull);
	KUNIT_EXPECT_EQ(test, tess_stripe_file_size(&g, 0, 1), 1ull);
	KUNIT_EXPECT_EQ(test, tess_stripe_file_size(&g, 1, 1), (u64)K64 + 1);
	KUNIT_EXPECT_EQ(test, tess_stripe_file_size(&g, 2, K64), 3ull * K64);
	KUNIT_EXPECT_EQ(test, tess_stripe_file_size(&g, 1, 2 * K64 + 100),
			7ull * K64 + 100);
	KUNIT_EXPECT_EQ(test, tess_stripe_file_size(&g, 0, K64 + 1),
			3ull * K64 + 1);
}

/* ---- tess_stripe_obj_range ---- */

struct obj_range_case {
	const char *name;
	u64 off, len;
	u32 stripe;
	bool has;
	u64 start, end;
};

static const struct obj_range_case obj_range_cases[] = {
	{ "S-10..3S+10, object 0", K64 - 10, 2 * K64 + 20, 0, true,
	  K64 - 10, K64 + 10 },
	{ "S-10..3S+10, object 1", K64 - 10, 2 * K64 + 20, 1, true, 0, K64 },
	{ "S-10..3S+10, object 2", K64 - 10, 2 * K64 + 20, 2, true, 0, K64 },
	{ "inside unit 0, object 1 untouched", 0, 10, 1, false, 0, 0 },
	{ "zero length", 5 * K64, 0, 2, false, K64, K64 },
	{ "second row, object 2", 5 * K64, K64, 2, true, K64, 2 * K64 },
};

static void obj_range_desc(const struct obj_range_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(obj_range, obj_range_cases, obj_range_desc);

static void tess_stripe_obj_range_test(struct kunit *test)
{
	const struct obj_range_case *t = test->param_value;
	struct tess_stripe_geom g = { K64, 3 };
	u64 start, end;

	KUNIT_EXPECT_EQ(test, tess_stripe_obj_range(&g, t->stripe, t->off,
						    t->len, &start, &end),
			t->has);
	KUNIT_EXPECT_EQ(test, start, t->start);
	KUNIT_EXPECT_EQ(test, end, t->end);
}

static struct kunit_case tess_stripe_test_cases[] = {
	KUNIT_CASE_PARAM(tess_stripe_geom_check_test, geom_check_gen_params),
	KUNIT_CASE_PARAM(tess_stripe_map_test, map_gen_params),
	KUNIT_CASE(tess_stripe_split_test),
	KUNIT_CASE(tess_stripe_split_max_test),
	KUNIT_CASE(tess_stripe_split_empty_test),
	KUNIT_CASE(tess_stripe_split_aligned_test),
	KUNIT_CASE(tess_stripe_split_wrap_test),
	KUNIT_CASE_PARAM(tess_stripe_obj_size_test, obj_size_gen_params),
	KUNIT_CASE(tess_stripe_file_size_test),
	KUNIT_CASE_PARAM(tess_stripe_obj_range_test, obj_range_gen_params),
	{}
};

static struct kunit_suite tess_stripe_test_suite = {
	.name = "tess_stripe",
	.test_cases = tess_stripe_test_cases,
};

kunit_test_suites(&tess_stripe_test_suite);

MODULE_LICENSE("GPL");
