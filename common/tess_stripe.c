// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tess_stripe.c - RAID0 striping math.
 *
 * A file is cut into stripe units of stripe_size bytes, dealt round-robin
 * onto stripe_count objects.  With stripe_size = S and stripe_count = 3:
 *
 *   file offset:  0    S    2S   3S   4S   5S   6S   7S
 *                 | u0 | u1 | u2 | u3 | u4 | u5 | u6 | ...
 *
 *   object 0:     u0 u3 u6 ...      unit u lives in object u % 3,
 *   object 1:     u1 u4 ...         row u / 3, so at object offset
 *   object 2:     u2 u5 ...         (u / 3) * S + (offset % S)
 *
 *   object offset:  0    S    2S
 *
 * A contiguous file range [a, b) touches one contiguous range of every
 * object: [objsize(a), objsize(b)), where objsize(x) is the size that
 * object would have if the file were x bytes long.  That is what lets a
 * client send one large RPC per object for any large I/O.
 *
 * Everything here assumes a geometry accepted by tess_stripe_geom_check().
 */
#include "tess_stripe.h"
#include "tessera.h"

int tess_stripe_geom_check(const struct tess_stripe_geom *g)
{
	if (g->stripe_count == 0 || g->stripe_count > TESS_MAX_STRIPES)
		return -EINVAL;
	if (g->stripe_size < TESS_STRIPE_SIZE_MIN ||
	    g->stripe_size > TESS_STRIPE_SIZE_MAX ||
	    g->stripe_size % TESS_STRIPE_SIZE_MIN)
		return -EINVAL;
	return 0;
}

u64 tess_stripe_map(const struct tess_stripe_geom *g, u64 file_off,
		    u32 *stripe, u64 *obj_off)
{
	u32 in_unit, s;
	u64 unit = div_u64_rem(file_off, g->stripe_size, &in_unit);
	u64 row = div_u64_rem(unit, g->stripe_count, &s);

	*stripe = s;
	*obj_off = row * g->stripe_size + in_unit;
	return g->stripe_size - in_unit;
}

u64 tess_stripe_file_off(const struct tess_stripe_geom *g, u32 stripe,
			 u64 obj_off)
{
	u32 in_unit;
	u64 row = div_u64_rem(obj_off, g->stripe_size, &in_unit);

	return (row * g->stripe_count + stripe) * g->stripe_size + in_unit;
}

u32 tess_stripe_split(const struct tess_stripe_geom *g, u64 off, u64 len,
		      struct tess_extent *ext, u32 max, u64 *done)
{
	u64 pos = off, end;
	u32 n = 0;

	/* clamp so that off + len cannot wrap */
	if (len > U64_MAX - off)
		len = U64_MAX - off;
	end = off + len;

	while (pos < end && n < max) {
		u64 left = tess_stripe_map(g, pos, &ext[n].stripe,
					   &ext[n].obj_off);

		if (left > end - pos)
			left = end - pos;
		ext[n].file_off = pos;
		ext[n].len = left;
		pos += left;
		n++;
	}
	*done = pos - off;
	return n;
}

u64 tess_stripe_obj_size(const struct tess_stripe_geom *g, u32 stripe,
			 u64 file_size)
{
	u32 rem, last;
	u64 unit = div_u64_rem(file_size, g->stripe_size, &rem);
	u64 row = div_u64_rem(unit, g->stripe_count, &last);

	/* `last` is the object holding the (partial) unit at file_size */
	if (stripe < last)
		return (row + 1) * g->stripe_size;
	if (stripe == last)
		return row * g->stripe_size + rem;
	return row * g->stripe_size;
}

bool tess_stripe_obj_range(const struct tess_stripe_geom *g, u32 stripe,
			   u64 off, u64 len, u64 *obj_start, u64 *obj_end)
{
	u64 end = len > U64_MAX - off ? U64_MAX : off + len;

	*obj_start = tess_stripe_obj_size(g, stripe, off);
	*obj_end = tess_stripe_obj_size(g, stripe, end);
	return *obj_end > *obj_start;
}

u64 tess_stripe_file_size(const struct tess_stripe_geom *g, u32 stripe,
			  u64 obj_size)
{
	if (obj_size == 0)
		return 0;
	return tess_stripe_file_off(g, stripe, obj_size - 1) + 1;
}
