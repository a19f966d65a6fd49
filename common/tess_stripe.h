/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tess_stripe.h - RAID0 striping math, shared by the kernel client,
 * the daemons, the tools and the tests.  No allocation, no locking, no
 * I/O: just arithmetic on (stripe_size, stripe_count).
 */
#ifndef _TESS_STRIPE_H
#define _TESS_STRIPE_H

#include "tess_types.h"

struct tess_stripe_geom {
	u32 stripe_size;	/* bytes per stripe unit, > 0 */
	u32 stripe_count;	/* objects, > 0 */
};

/* One stripe unit's piece of a file extent. */
struct tess_extent {
	u64 file_off;
	u64 obj_off;
	u64 len;
	u32 stripe;		/* index into the layout's objects */
};

int tess_stripe_geom_check(const struct tess_stripe_geom *g);

/* file offset -> stripe index and object offset; returns bytes left in the unit */
u64 tess_stripe_map(const struct tess_stripe_geom *g, u64 file_off,
		    u32 *stripe, u64 *obj_off);

/* (stripe, object offset) -> file offset */
u64 tess_stripe_file_off(const struct tess_stripe_geom *g, u32 stripe,
			 u64 obj_off);

/*
 * Split [off, off + len) into per-unit extents, in file order.  Fills at
 * most max entries of ext and returns how many it filled; *done is set to
 * the number of bytes covered (so a caller can continue from off + *done).
 */
u32 tess_stripe_split(const struct tess_stripe_geom *g, u64 off, u64 len,
		      struct tess_extent *ext, u32 max, u64 *done);

/*
 * The part of object `stripe` that holds bytes of the file range
 * [off, off + len): since RAID0 maps a contiguous file range onto one
 * contiguous range of each object, this is [*obj_start, *obj_end).
 * Returns false if the object holds none of it.
 */
bool tess_stripe_obj_range(const struct tess_stripe_geom *g, u32 stripe,
			   u64 off, u64 len, u64 *obj_start, u64 *obj_end);

/* Size of object `stripe` when the file is file_size bytes long. */
u64 tess_stripe_obj_size(const struct tess_stripe_geom *g, u32 stripe,
			 u64 file_size);

/* File size implied by object `stripe` being obj_size bytes long. */
u64 tess_stripe_file_size(const struct tess_stripe_geom *g, u32 stripe,
			  u64 obj_size);

#endif /* _TESS_STRIPE_H */
