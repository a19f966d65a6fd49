// SPDX-License-Identifier: MIT
/* Userspace tests of common/tess_stripe.c (the KUnit suite tests it in the kernel). */
#include <stdlib.h>

#include "tess_stripe.h"
#include "tessera.h"
#include "tu.h"

#define K 1024ULL
#define M (1024 * K)

static const struct tess_stripe_geom g4 = { .stripe_size = 1 * M, .stripe_count = 4 };
static const struct tess_stripe_geom g3 = { .stripe_size = 64 * K, .stripe_count = 3 };

TU_CASE(map_table)
{
	static const struct {
		const struct tess_stripe_geom *g;
		uint64_t off;
		uint32_t stripe;
		uint64_t obj_off, left;
	} t[] = {
		{ &g4, 0, 0, 0, 1 * M },
		{ &g4, 1, 0, 1, 1 * M - 1 },
		{ &g4, 1 * M - 1, 0, 1 * M - 1, 1 },
		{ &g4, 1 * M, 1, 0, 1 * M },
		{ &g4, 1 * M + 1, 1, 1, 1 * M - 1 },
		{ &g4, 4 * M, 0, 1 * M, 1 * M },
		{ &g4, 7 * M + 5, 3, 1 * M + 5, 1 * M - 5 },
		{ &g3, 3 * 64 * K, 0, 64 * K, 64 * K },
		{ &g3, 5 * 64 * K + 10, 2, 64 * K + 10, 64 * K - 10 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t s;
		uint64_t oo, left = tess_stripe_map(t[i].g, t[i].off, &s, &oo);

		TU_EQ_U64(s, t[i].stripe);
		TU_EQ_U64(oo, t[i].obj_off);
		TU_EQ_U64(left, t[i].left);
	}
}

TU_CASE(round_trip)
{
	const struct tess_stripe_geom *gs[] = { &g4, &g3 };

	srand(1);
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 100000; i++) {
			uint64_t off = ((uint64_t)rand() << 20) ^ (uint64_t)rand();
			uint32_t s;
			uint64_t oo;

			tess_stripe_map(gs[k], off, &s, &oo);
			TU_CHECK(s < gs[k]->stripe_count);
			TU_EQ_U64(tess_stripe_file_off(gs[k], s, oo), off);
		}
	}
}

TU_CASE(split_covers_range)
{
	struct tess_extent ext[16];
	uint64_t done;
	uint32_t n = tess_stripe_split(&g4, 1 * M - 1, 2 * M + 2, ext, 16, &done);

	TU_EQ_U64(n, 4);
	TU_EQ_U64(done, 2 * M + 2);
	TU_EQ_U64(ext[0].stripe, 0);
	TU_EQ_U64(ext[0].len, 1);
	TU_EQ_U64(ext[1].stripe, 1);
	TU_EQ_U64(ext[1].len, 1 * M);
	TU_EQ_U64(ext[2].stripe, 2);
	TU_EQ_U64(ext[3].stripe, 3);
	TU_EQ_U64(ext[3].len, 1);
	TU_EQ_U64(ext[3].obj_off, 0);

	/* max entries limits the split; done says how far it got */
	n = tess_stripe_split(&g4, 0, 10 * M, ext, 3, &done);
	TU_EQ_U64(n, 3);
	TU_EQ_U64(done, 3 * M);

	n = tess_stripe_split(&g4, 5, 0, ext, 3, &done);
	TU_EQ_U64(n, 0);
	TU_EQ_U64(done, 0);
}

TU_CASE(obj_size_table)
{
	static const struct {
		uint64_t fsize;
		uint64_t sz[4];
	} t[] = {
		{ 0, { 0, 0, 0, 0 } },
		{ 1, { 1, 0, 0, 0 } },
		{ 1 * M, { 1 * M, 0, 0, 0 } },
		{ 1 * M + 1, { 1 * M, 1, 0, 0 } },
		{ 4 * M, { 1 * M, 1 * M, 1 * M, 1 * M } },
		{ 4 * M + 3, { 1 * M + 3, 1 * M, 1 * M, 1 * M } },
		{ 6 * M + 7, { 2 * M, 2 * M, 1 * M + 7, 1 * M } },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t sum = 0;

		for (uint32_t s = 0; s < 4; s++) {
			TU_EQ_U64(tess_stripe_obj_size(&g4, s, t[i].fsize), t[i].sz[s]);
			sum += t[i].sz[s];
		}
		TU_EQ_U64(sum, t[i].fsize);
	}
}

TU_CASE(file_size_from_objects)
{
	TU_EQ_U64(tess_stripe_file_size(&g4, 0, 0), 0);
	TU_EQ_U64(tess_stripe_file_size(&g4, 0, 1), 1);
	TU_EQ_U64(tess_stripe_file_size(&g4, 1, 1), 1 * M + 1);
	TU_EQ_U64(tess_stripe_file_size(&g4, 3, 1 * M), 4 * M);
	TU_EQ_U64(tess_stripe_file_size(&g4, 0, 1 * M + 1), 4 * M + 1);
}

TU_CASE(obj_range_matches_split)
{
	srand(2);
	for (int i = 0; i < 2000; i++) {
		uint64_t off = (uint64_t)rand() % (64 * M);
		uint64_t len = (uint64_t)rand() % (8 * M);
		uint64_t lo[4], hi[4], bytes[4] = { 0 }, done;
		struct tess_extent ext[64];
		uint32_t n = tess_stripe_split(&g4, off, len, ext, 64, &done);

		TU_EQ_U64(done, len);
		for (uint32_t s = 0; s < 4; s++) {
			lo[s] = UINT64_MAX;
			hi[s] = 0;
		}
		for (uint32_t e = 0; e < n; e++) {
			uint32_t s = ext[e].stripe;

			if (ext[e].obj_off < lo[s])
				lo[s] = ext[e].obj_off;
			if (ext[e].obj_off + ext[e].len > hi[s])
				hi[s] = ext[e].obj_off + ext[e].len;
			bytes[s] += ext[e].len;
		}
		for (uint32_t s = 0; s < 4; s++) {
			uint64_t os, oe;
			bool any = tess_stripe_obj_range(&g4, s, off, len, &os, &oe);

			TU_EQ_U64(any, bytes[s] > 0);
			if (!any)
				continue;
			TU_EQ_U64(os, lo[s]);
			TU_EQ_U64(oe, hi[s]);
			/* contiguous: the pieces fill the range exactly */
			TU_EQ_U64(oe - os, bytes[s]);
		}
	}
}

TU_CASE(geom_check)
{
	struct tess_stripe_geom g = { 64 * K, 1 };

	TU_EQ_INT(tess_stripe_geom_check(&g), 0);
	g.stripe_count = 0;
	TU_EQ_INT(tess_stripe_geom_check(&g), -EINVAL);
	g.stripe_count = TESS_MAX_STRIPES + 1;
	TU_EQ_INT(tess_stripe_geom_check(&g), -EINVAL);
	g.stripe_count = 2;
	g.stripe_size = 64 * K + 1;
	TU_EQ_INT(tess_stripe_geom_check(&g), -EINVAL);
	g.stripe_size = 4096;
	TU_EQ_INT(tess_stripe_geom_check(&g), -EINVAL);
}

int main(void)
{
	tu_suite = "stripe";
	TU_RUN(map_table);
	TU_RUN(round_trip);
	TU_RUN(split_covers_range);
	TU_RUN(obj_size_table);
	TU_RUN(file_size_from_objects);
	TU_RUN(obj_range_matches_split);
	TU_RUN(geom_check);
	return tu_done();
}
