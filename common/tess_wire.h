/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tess_wire.h - encode and check Tessera frames (include/tessera.h).
 * Shared by the kernel and userspace; no allocation, no I/O.
 */
#ifndef _TESS_WIRE_H
#define _TESS_WIRE_H

#include "tess_types.h"
#include "tessera.h"

/* A frame header in host byte order. */
struct tess_frame {
	u64 xid;
	u16 opcode;
	u16 version;
	u32 flags;
	u32 status;
	u32 body_len;
	u32 bulk_len;
	u32 body_crc;
	u32 bulk_crc;
};

/* Standard CRC32C (Castagnoli): init ~0, final xor ~0. */
static inline u32 tess_crc_init(void)
{
	return ~0u;
}

static inline u32 tess_crc_update(u32 crc, const void *p, size_t len)
{
	return crc32c(crc, p, len);
}

static inline u32 tess_crc_final(u32 crc)
{
	return ~crc;
}

void tess_hdr_encode(struct tess_hdr *h, const struct tess_frame *f);

/*
 * Check a received header: magic, version, flags, opcode and length
 * limits.  -EPROTO: not a Tessera frame or unsupported version;
 * -EBADMSG: malformed; -EMSGSIZE: a length over the limits;
 * -EOPNOTSUPP: unknown opcode (the frame is well formed and the peer
 * can be answered).
 */
int tess_hdr_decode(const struct tess_hdr *h, struct tess_frame *f);

/* body_crc of an encoded header and its body (crc fields taken as 0). */
u32 tess_body_crc(const struct tess_hdr *h, const void *body, u32 len);
/*
 * The same over a body sent in two parts, one after the other (a request
 * and the credential block the sender appends without copying).
 */
u32 tess_body_crc2(const struct tess_hdr *h, const void *body, u32 len,
		   const void *tail, u32 tail_len);

/* Fill body_crc in h (call after tess_hdr_encode). */
void tess_hdr_seal(struct tess_hdr *h, const void *body, u32 len);

/*
 * Check a body against its header: fixed sizes, embedded lengths, names,
 * layouts, and that bulk is only present where the opcode carries it.
 * Call after tess_hdr_decode() and the CRC check.  Replies with a non-zero
 * status are only checked for size.  0 or -EBADMSG, -ENAMETOOLONG,
 * -EINVAL.
 */
int tess_msg_check(const struct tess_frame *f, const void *body);

/* A name of one path component: 1..255 bytes, no '/', no NUL, not . or .. */
int tess_name_check(const char *name, u32 len);

/* A layout of len bytes (request: objs may be absent). */
int tess_layout_check(const struct tess_layout *l, u32 len);

const char *tess_op_name(u16 op);

/*
 * Building a body: a fixed-capacity buffer; a put past the end sets err
 * and is otherwise ignored, so a caller checks err once at the end.
 */
struct tess_buf {
	u8 *data;
	u32 len;
	u32 cap;
	int err;
};

static inline void tess_buf_init(struct tess_buf *b, void *data, u32 cap)
{
	b->data = data;
	b->len = 0;
	b->cap = cap;
	b->err = 0;
}

/* Reserve n zeroed bytes; NULL (and err = -EMSGSIZE) if they do not fit. */
void *tess_buf_reserve(struct tess_buf *b, u32 n);
void tess_buf_put(struct tess_buf *b, const void *p, u32 n);

/* Reading a body: pull n bytes or get NULL when fewer are left. */
struct tess_cursor {
	const u8 *p;
	u32 left;
};

static inline void tess_cursor_init(struct tess_cursor *c, const void *p,
				    u32 len)
{
	c->p = p;
	c->left = len;
}

static inline const void *tess_pull(struct tess_cursor *c, u32 n)
{
	const void *r = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return r;
}

#endif /* _TESS_WIRE_H */
