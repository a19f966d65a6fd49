/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tess_types.h - the few types and helpers that the shared files in
 * common/ need, mapped onto the kernel or onto libc.
 */
#ifndef _TESS_TYPES_H
#define _TESS_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <asm/byteorder.h>
#include <linux/crc32c.h>
#include <linux/export.h>

/* a function of common/ that other Tessera modules call */
#define TESS_EXPORT(sym)	EXPORT_SYMBOL_GPL(sym)
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <endian.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#ifndef U64_MAX
#define U64_MAX UINT64_MAX
#endif

#define cpu_to_le16(x)	((__force __le16)htole16(x))
#define cpu_to_le32(x)	((__force __le32)htole32(x))
#define cpu_to_le64(x)	((__force __le64)htole64(x))
#define le16_to_cpu(x)	le16toh((__force u16)(x))
#define le32_to_cpu(x)	le32toh((__force u32)(x))
#define le64_to_cpu(x)	le64toh((__force u64)(x))

#ifndef __force
#define __force
#endif

static inline u64 div_u64_rem(u64 n, u32 d, u32 *rem)
{
	*rem = (u32)(n % d);
	return n / d;
}

static inline u64 div_u64(u64 n, u32 d)
{
	return n / d;
}

u32 crc32c(u32 seed, const void *data, size_t len);	/* user/lib/crc32c.c */

#define TESS_EXPORT(sym)	_Static_assert(1, #sym)
#endif

#endif /* _TESS_TYPES_H */
