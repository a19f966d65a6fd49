// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for common/tess_wire.c: header codec, CRCs and the checks
 * applied to every frame received from a peer.
 */
#include <kunit/test.h>
#include <linux/crc32c.h>
#include <linux/slab.h>

#include "tess_wire.h"

static void tess_wire_fill_frame(struct tess_frame *f, u16 op, u32 flags,
				 u32 body_len)
{
	memset(f, 0, sizeof(*f));
	f->xid = 0x1122334455667788ull;
	f->opcode = op;
	f->flags = flags;
	f->body_len = body_len;
}

/* ---- CRC32C is the standard one ---- */

static void tess_wire_crc_test(struct kunit *test)
{
	static const char check[] = "123456789";
	u32 crc;

	/* the CRC-32C check value from the catalogue of CRC algorithms */
	crc = tess_crc_final(tess_crc_update(tess_crc_init(), check, 9));
	KUNIT_EXPECT_EQ(test, crc, 0xe3069283u);

	/* in pieces gives the same */
	crc = tess_crc_update(tess_crc_init(), check, 4);
	crc = tess_crc_final(tess_crc_update(crc, check + 4, 5));
	KUNIT_EXPECT_EQ(test, crc, 0xe3069283u);

	KUNIT_EXPECT_EQ(test, tess_crc_final(tess_crc_init()), 0u);
}

/* ---- header encode / decode ---- */

static void tess_wire_hdr_layout_test(struct kunit *test)
{
	struct tess_frame f;
	struct tess_hdr h;
	const u8 *b = (const u8 *)&h;

	tess_wire_fill_frame(&f, TESS_OP_LOOKUP, TESS_HF_REQUEST, 0x0201);
	f.status = 0;
	f.bulk_len = 0;
	tess_hdr_encode(&h, &f);

	/* magic "TSRA", then little-endian fields at fixed offsets */
	KUNIT_EXPECT_EQ(test, b[0], (u8)'T');
	KUNIT_EXPECT_EQ(test, b[1], (u8)'S');
	KUNIT_EXPECT_EQ(test, b[2], (u8)'R');
	KUNIT_EXPECT_EQ(test, b[3], (u8)'A');
	KUNIT_EXPECT_EQ(test, b[4], (u8)TESS_PROTO_VERSION);	/* version */
	KUNIT_EXPECT_EQ(test, b[5], (u8)0);
	KUNIT_EXPECT_EQ(test, b[6], (u8)TESS_OP_LOOKUP);	/* opcode */
	KUNIT_EXPECT_EQ(test, b[8], (u8)0x88);			/* xid LSB */
	KUNIT_EXPECT_EQ(test, b[15], (u8)0x11);			/* xid MSB */
	KUNIT_EXPECT_EQ(test, b[16], (u8)TESS_HF_REQUEST);	/* flags */
	KUNIT_EXPECT_EQ(test, b[24], (u8)0x01);			/* body_len */
	KUNIT_EXPECT_EQ(test, b[25], (u8)0x02);
	KUNIT_EXPECT_EQ(test, h.reserved, 0ull);
}

static void tess_wire_hdr_roundtrip_test(struct kunit *test)
{
	struct tess_frame f, g;
	struct tess_hdr h;

	tess_wire_fill_frame(&f, TESS_OP_OBJ_READ, TESS_HF_REPLY, 24);
	f.version = TESS_PROTO_VERSION;
	f.status = 0;
	f.bulk_len = TESS_MAX_BULK;
	f.body_crc = 0xdeadbeef;
	f.bulk_crc = 0x01020304;
	tess_hdr_encode(&h, &f);

	memset(&g, 0xa5, sizeof(g));
	KUNIT_ASSERT_EQ(test, tess_hdr_decode(&h, &g), 0);
	KUNIT_EXPECT_EQ(test, g.xid, f.xid);
	KUNIT_EXPECT_EQ(test, g.opcode, f.opcode);
	KUNIT_EXPECT_EQ(test, g.version, f.version);
	KUNIT_EXPECT_EQ(test, g.flags, f.flags);
	KUNIT_EXPECT_EQ(test, g.status, f.status);
	KUNIT_EXPECT_EQ(test, g.body_len, f.body_len);
	KUNIT_EXPECT_EQ(test, g.bulk_len, f.bulk_len);
	KUNIT_EXPECT_EQ(test, g.body_crc, f.body_crc);
	KUNIT_EXPECT_EQ(test, g.bulk_crc, f.bulk_crc);
}

/* one field of a good header changed, and the error expected */
struct hdr_bad_case {
	const char *name;
	u32 magic;
	u16 version, opcode;
	u32 flags, status, body_len, bulk_len;
	u64 reserved;
	int expected;
};

#define GOOD_HDR .magic = TESS_MAGIC, .version = TESS_PROTO_VERSION,	\
	.opcode = TESS_OP_PING, .flags = TESS_HF_REQUEST

static const struct hdr_bad_case hdr_bad_cases[] = {
	{ "good", GOOD_HDR, .expected = 0 },
	{ "bad magic", GOOD_HDR, .magic = 0x41525355, .expected = -EPROTO },
	{ "byte-swapped magic", GOOD_HDR, .magic = 0x54535241,
	  .expected = -EPROTO },
	{ "version 0", GOOD_HDR, .version = 0, .expected = -EPROTO },
	{ "version too new", GOOD_HDR, .version = TESS_PROTO_VERSION + 1,
	  .expected = -EPROTO },
	{ "unknown flag", GOOD_HDR, .flags = TESS_HF_REQUEST | 0x100,
	  .expected = -EBADMSG },
	{ "credentials flag", GOOD_HDR,
	  .flags = TESS_HF_REQUEST | TESS_HF_CRED, .expected = 0 },
	{ "resent request", GOOD_HDR,
	  .flags = TESS_HF_REQUEST | TESS_HF_RESENT, .expected = 0 },
	{ "request and reply", GOOD_HDR,
	  .flags = TESS_HF_REQUEST | TESS_HF_REPLY, .expected = -EBADMSG },
	{ "neither request nor reply", GOOD_HDR, .flags = 0,
	  .expected = -EBADMSG },
	{ "reserved not zero", GOOD_HDR, .reserved = 1, .expected = -EBADMSG },
	{ "status 4095", GOOD_HDR, .flags = TESS_HF_REPLY, .status = 4095,
	  .expected = 0 },
	{ "status 4096", GOOD_HDR, .flags = TESS_HF_REPLY, .status = 4096,
	  .expected = -EBADMSG },
	{ "body at limit", GOOD_HDR, .body_len = TESS_MAX_BODY, .expected = 0 },
	{ "body over limit", GOOD_HDR, .body_len = TESS_MAX_BODY + 1,
	  .expected = -EMSGSIZE },
	{ "bulk at limit", GOOD_HDR, .bulk_len = TESS_MAX_BULK, .expected = 0 },
	{ "bulk over limit", GOOD_HDR, .bulk_len = TESS_MAX_BULK + 1,
	  .expected = -EMSGSIZE },
	{ "body length 4G-1", GOOD_HDR, .body_len = 0xffffffff,
	  .expected = -EMSGSIZE },
	{ "opcode 0", GOOD_HDR, .opcode = 0, .expected = -EOPNOTSUPP },
	{ "opcode stats", GOOD_HDR, .opcode = TESS_OP_STATS, .expected = 0 },
	{ "opcode in a gap", GOOD_HDR, .opcode = 5, .expected = -EOPNOTSUPP },
	{ "opcode TESS_OP_MAX", GOOD_HDR, .opcode = TESS_OP_MAX,
	  .expected = -EOPNOTSUPP },
	{ "opcode 0xffff", GOOD_HDR, .opcode = 0xffff, .expected = -EOPNOTSUPP },
	{ "last opcode", GOOD_HDR, .opcode = TESS_OP_OBJ_STATFS, .expected = 0 },
	{ "opcode obj_sync_own", GOOD_HDR, .opcode = TESS_OP_OBJ_SYNC_OWN,
	  .expected = 0 },
};

static void hdr_bad_desc(const struct hdr_bad_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hdr_bad, hdr_bad_cases, hdr_bad_desc);

static void tess_wire_hdr_decode_test(struct kunit *test)
{
	const struct hdr_bad_case *t = test->param_value;
	struct tess_hdr h = {
		.magic = cpu_to_le32(t->magic),
		.version = cpu_to_le16(t->version),
		.opcode = cpu_to_le16(t->opcode),
		.flags = cpu_to_le32(t->flags),
		.status = cpu_to_le32(t->status),
		.body_len = cpu_to_le32(t->body_len),
		.bulk_len = cpu_to_le32(t->bulk_len),
		.reserved = cpu_to_le64(t->reserved),
	};
	struct tess_frame f;

	KUNIT_EXPECT_EQ(test, tess_hdr_decode(&h, &f), t->expected);
}

/* ---- body CRC ---- */

static void tess_wire_body_crc_test(struct kunit *test)
{
	u8 body[40];
	struct tess_frame f;
	struct tess_hdr h;
	u32 crc;
	int i;

	for (i = 0; i < sizeof(body); i++)
		body[i] = i * 7;
	tess_wire_fill_frame(&f, TESS_OP_PING, TESS_HF_REQUEST, sizeof(body));
	tess_hdr_encode(&h, &f);
	tess_hdr_seal(&h, body, sizeof(body));
	crc = le32_to_cpu(h.body_crc);

	/* independent computation: header with zero CRC fields, then body */
	{
		struct tess_hdr z = h;
		u32 c;

		z.body_crc = 0;
		z.bulk_crc = 0;
		c = crc32c(~0u, &z, sizeof(z));
		c = ~crc32c(c, body, sizeof(body));
		KUNIT_EXPECT_EQ(test, crc, c);
	}
	KUNIT_EXPECT_EQ(test, tess_body_crc(&h, body, sizeof(body)), crc);

	/* the CRC fields themselves are not covered */
	h.bulk_crc = cpu_to_le32(0x12345678);
	KUNIT_EXPECT_EQ(test, tess_body_crc(&h, body, sizeof(body)), crc);

	/* a flipped body bit is caught */
	body[17] ^= 0x10;
	KUNIT_EXPECT_NE(test, tess_body_crc(&h, body, sizeof(body)), crc);
	body[17] ^= 0x10;

	/* so is a changed header field */
	h.xid = cpu_to_le64(f.xid + 1);
	KUNIT_EXPECT_NE(test, tess_body_crc(&h, body, sizeof(body)), crc);
	h.xid = cpu_to_le64(f.xid);

	/* and a body cut short */
	KUNIT_EXPECT_NE(test, tess_body_crc(&h, body, sizeof(body) - 1), crc);
}

/* ---- tess_name_check ---- */

struct name_case {
	const char *name;
	const char *str;
	u32 len;
	int expected;
};

static const char long_name[TESS_NAME_MAX + 1] = {
	[0 ... TESS_NAME_MAX] = 'x',
};

static const struct name_case name_cases[] = {
	{ "plain", "file.txt", 8, 0 },
	{ "one char", "a", 1, 0 },
	{ "three dots", "...", 3, 0 },
	{ "dot-prefixed", ".hidden", 7, 0 },
	{ "255 bytes", long_name, TESS_NAME_MAX, 0 },
	{ "256 bytes", long_name, TESS_NAME_MAX + 1, -ENAMETOOLONG },
	{ "empty", "", 0, -EINVAL },
	{ "dot", ".", 1, -EINVAL },
	{ "dot dot", "..", 2, -EINVAL },
	{ "slash", "a/b", 3, -EINVAL },
	{ "embedded NUL", "a\0b", 3, -EINVAL },
};

static void name_desc(const struct name_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(name, name_cases, name_desc);

static void tess_wire_name_check_test(struct kunit *test)
{
	const struct name_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, tess_name_check(t->str, t->len), t->expected);
}

/* ---- tess_layout_check ---- */

struct layout_case {
	const char *name;
	u32 pattern, stripe_size;
	u16 stripe_count;
	u32 nobjs;
	u32 extra;	/* bytes added past the objects */
	int expected;
};

static const struct layout_case layout_cases[] = {
	{ "request: all defaults", 0, 0, 0, 0, 0, 0 },
	{ "request: raid0 1M x 4", TESS_LAYOUT_RAID0, 1 << 20, 4, 0, 0, 0 },
	{ "complete: 2 objects", TESS_LAYOUT_RAID0, 1 << 20, 2, 2, 0, 0 },
	{ "object count mismatch", TESS_LAYOUT_RAID0, 1 << 20, 3, 2, 0,
	  -EBADMSG },
	{ "partial object", TESS_LAYOUT_RAID0, 1 << 20, 1, 1, 8, -EBADMSG },
	{ "unknown pattern", 2, 1 << 20, 1, 0, 0, -EINVAL },
	{ "stripe size below min", TESS_LAYOUT_RAID0, 4096, 1, 0, 0, -EINVAL },
	{ "stripe size not 64K multiple", TESS_LAYOUT_RAID0, 96 * 1024, 1, 0, 0,
	  -EINVAL },
	{ "257 stripes", TESS_LAYOUT_RAID0, 1 << 20, 257, 0, 0, -EINVAL },
	{ "objects without pattern", 0, 1 << 20, 1, 1, 0, -EINVAL },
	{ "objects without size", TESS_LAYOUT_RAID0, 0, 1, 1, 0, -EINVAL },
};

static void layout_desc(const struct layout_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(layout, layout_cases, layout_desc);

static void tess_wire_layout_check_test(struct kunit *test)
{
	const struct layout_case *t = test->param_value;
	u32 len = TESS_LAYOUT_BYTES(t->nobjs) + t->extra;
	struct tess_layout *l = kunit_kzalloc(test, len, GFP_KERNEL);
	u32 i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, l);
	l->pattern = cpu_to_le32(t->pattern);
	l->stripe_size = cpu_to_le32(t->stripe_size);
	l->stripe_count = cpu_to_le16(t->stripe_count);
	for (i = 0; i < t->nobjs; i++) {
		l->objs[i].ost_idx = cpu_to_le32(i);
		l->objs[i].oid = cpu_to_le64(100 + i);
	}
	KUNIT_EXPECT_EQ(test, tess_layout_check(l, len), t->expected);
}

static void tess_wire_layout_short_test(struct kunit *test)
{
	struct tess_layout l = {};

	KUNIT_EXPECT_EQ(test, tess_layout_check(&l, 0), -EBADMSG);
	KUNIT_EXPECT_EQ(test, tess_layout_check(&l, sizeof(l) - 1), -EBADMSG);
}

/* ---- tess_msg_check: bodies built with tess_buf ---- */

/* a LOOKUP request body for @name (length @len, @name_len declared) */
static u32 build_lookup(struct kunit *test, u8 *buf, u32 cap, const char *name,
			u32 len, u32 name_len)
{
	struct tess_name_req *nr;
	struct tess_buf b;

	tess_buf_init(&b, buf, cap);
	nr = tess_buf_reserve(&b, sizeof(*nr));
	KUNIT_ASSERT_NOT_NULL(test, nr);
	nr->parent = cpu_to_le64(TESS_ROOT_INO);
	nr->name_len = cpu_to_le32(name_len);
	tess_buf_put(&b, name, len);
	KUNIT_ASSERT_EQ(test, b.err, 0);
	return b.len;
}

static int check_lookup(struct kunit *test, const char *name, u32 len,
			u32 name_len, int trailing)
{
	u8 buf[sizeof(struct tess_name_req) + TESS_NAME_MAX + 16];
	struct tess_frame f;
	u32 n;

	n = build_lookup(test, buf, sizeof(buf), name, len, name_len);
	tess_wire_fill_frame(&f, TESS_OP_LOOKUP, TESS_HF_REQUEST, n + trailing);
	return tess_msg_check(&f, buf);
}

static void tess_wire_msg_lookup_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, check_lookup(test, "foo", 3, 3, 0), 0);
	/* declared name longer than the body: truncated */
	KUNIT_EXPECT_EQ(test, check_lookup(test, "foo", 3, 4, 0), -EBADMSG);
	/* trailing bytes after the name */
	KUNIT_EXPECT_EQ(test, check_lookup(test, "foo", 3, 3, 1), -EBADMSG);
	KUNIT_EXPECT_EQ(test, check_lookup(test, "..", 2, 2, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, check_lookup(test, "a/b", 3, 3, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, check_lookup(test, "", 0, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, check_lookup(test, long_name, TESS_NAME_MAX + 1,
					   TESS_NAME_MAX + 1, 0),
			-ENAMETOOLONG);
}

static void tess_wire_msg_truncated_test(struct kunit *test)
{
	u8 buf[sizeof(struct tess_create_req)] = {};
	struct tess_frame f;

	/* every fixed-size request one byte short of its fixed part */
	tess_wire_fill_frame(&f, TESS_OP_HELLO, TESS_HF_REQUEST,
			     sizeof(struct tess_hello_req) - 1);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);

	tess_wire_fill_frame(&f, TESS_OP_GETATTR, TESS_HF_REQUEST,
			     sizeof(struct tess_ino_req) - 1);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);

	tess_wire_fill_frame(&f, TESS_OP_LOOKUP, TESS_HF_REQUEST,
			     sizeof(struct tess_name_req) - 1);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);

	tess_wire_fill_frame(&f, TESS_OP_CREATE, TESS_HF_REQUEST, 0);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);

	/* a reply too: GETATTR reply shorter than tess_inode_rep */
	tess_wire_fill_frame(&f, TESS_OP_GETATTR, TESS_HF_REPLY,
			     sizeof(struct tess_inode_rep) - 1);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);

	/* and the exact size passes */
	tess_wire_fill_frame(&f, TESS_OP_GETATTR, TESS_HF_REQUEST,
			     sizeof(struct tess_ino_req));
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), 0);
	tess_wire_fill_frame(&f, TESS_OP_PING, TESS_HF_REQUEST, 0);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), 0);
	/* PING carries no body at all */
	tess_wire_fill_frame(&f, TESS_OP_PING, TESS_HF_REQUEST, 1);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);
}

/* STATS (issue #11): the kernel never sends it, but checks it as a peer
 * would: an empty request; a reply of the fixed part and nops records */
static void tess_wire_msg_stats_test(struct kunit *test)
{
	static u8 buf[sizeof(struct tess_stats_rep) +
		      2 * sizeof(struct tess_stats_op)];
	struct tess_stats_rep *r = (void *)buf;
	struct tess_stats_op *o = (void *)(r + 1);
	struct tess_frame f;

	memset(buf, 0, sizeof(buf));
	tess_wire_fill_frame(&f, TESS_OP_STATS, TESS_HF_REQUEST, 0);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), 0);
	tess_wire_fill_frame(&f, TESS_OP_STATS, TESS_HF_REQUEST, 8);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);

	tess_wire_fill_frame(&f, TESS_OP_STATS, TESS_HF_REPLY, sizeof(*r));
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), 0);
	tess_wire_fill_frame(&f, TESS_OP_STATS, TESS_HF_REPLY, sizeof(*r) - 1);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);
	r->nops = cpu_to_le32(2);
	o[0].opcode = cpu_to_le16(TESS_OP_PING);
	o[1].opcode = cpu_to_le16(TESS_OP_GETATTR);
	tess_wire_fill_frame(&f, TESS_OP_STATS, TESS_HF_REPLY, sizeof(buf));
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), 0);
	o[1].opcode = cpu_to_le16(TESS_OP_PING);	/* not increasing */
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);
	o[1].opcode = cpu_to_le16(TESS_OP_GETATTR);
	o[1].pad1 = cpu_to_le32(1);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);
	o[1].pad1 = 0;
	r->nops = cpu_to_le32(TESS_STATS_OPS_MAX + 1);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, buf), -EBADMSG);
}

static void tess_wire_msg_bulk_test(struct kunit *test)
{
	struct tess_obj_io_req io = {
		.oid = cpu_to_le64(7),
		.offset = cpu_to_le64(4096),
		.length = cpu_to_le32(8192),
	};
	struct tess_obj_io_rep rep = { .length = cpu_to_le32(100) };
	struct tess_frame f;

	/* WRITE: bulk must match length */
	tess_wire_fill_frame(&f, TESS_OP_OBJ_WRITE, TESS_HF_REQUEST, sizeof(io));
	f.bulk_len = 8192;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &io), 0);
	f.bulk_len = 8191;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &io), -EBADMSG);

	/* READ request carries no bulk */
	tess_wire_fill_frame(&f, TESS_OP_OBJ_READ, TESS_HF_REQUEST, sizeof(io));
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &io), 0);
	f.bulk_len = 1;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &io), -EBADMSG);

	/* oversize length */
	io.length = cpu_to_le32(TESS_MAX_BULK + 1);
	f.bulk_len = 0;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &io), -EMSGSIZE);

	/* offset past 2^62 */
	io.length = cpu_to_le32(1);
	io.offset = cpu_to_le64(1ull << 62);
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &io), -EFBIG);

	/* READ reply: bulk is the data read */
	tess_wire_fill_frame(&f, TESS_OP_OBJ_READ, TESS_HF_REPLY, sizeof(rep));
	f.bulk_len = 100;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &rep), 0);
	f.bulk_len = 99;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &rep), -EBADMSG);

	/* PING with bulk */
	tess_wire_fill_frame(&f, TESS_OP_PING, TESS_HF_REQUEST, 0);
	f.bulk_len = 5;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, &rep), -EBADMSG);
}

static void tess_wire_msg_error_reply_test(struct kunit *test)
{
	u8 body[65] = {};
	struct tess_frame f;

	tess_wire_fill_frame(&f, TESS_OP_GETATTR, TESS_HF_REPLY, 0);
	f.status = ENOENT;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, body), 0);
	f.body_len = 64;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, body), 0);
	f.body_len = 65;
	KUNIT_EXPECT_EQ(test, tess_msg_check(&f, body), -EBADMSG);
}

/* ---- tess_buf ---- */

static void tess_wire_buf_test(struct kunit *test)
{
	u8 data[8];
	struct tess_buf b;
	u8 *p;

	memset(data, 0xff, sizeof(data));
	tess_buf_init(&b, data, sizeof(data));
	p = tess_buf_reserve(&b, 4);
	KUNIT_ASSERT_PTR_EQ(test, p, &data[0]);
	KUNIT_EXPECT_EQ(test, p[0] | p[1] | p[2] | p[3], 0);	/* zeroed */
	tess_buf_put(&b, "abcd", 4);
	KUNIT_EXPECT_EQ(test, b.len, 8u);
	KUNIT_EXPECT_EQ(test, b.err, 0);
	KUNIT_EXPECT_EQ(test, memcmp(data + 4, "abcd", 4), 0);

	/* full: one more byte fails and sticks */
	KUNIT_EXPECT_NULL(test, tess_buf_reserve(&b, 1));
	KUNIT_EXPECT_EQ(test, b.err, -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, b.len, 8u);
	tess_buf_init(&b, data, sizeof(data));
	tess_buf_put(&b, "0123456789", 10);
	KUNIT_EXPECT_EQ(test, b.err, -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, b.len, 0u);
	/* after an error even a fitting put is ignored */
	tess_buf_put(&b, "x", 1);
	KUNIT_EXPECT_EQ(test, b.len, 0u);
}

static void tess_wire_cursor_test(struct kunit *test)
{
	static const u8 data[6] = { 1, 2, 3, 4, 5, 6 };
	struct tess_cursor c;
	const u8 *p;

	tess_cursor_init(&c, data, sizeof(data));
	p = tess_pull(&c, 4);
	KUNIT_ASSERT_PTR_EQ(test, p, &data[0]);
	KUNIT_EXPECT_NULL(test, tess_pull(&c, 3));	/* only 2 left */
	KUNIT_EXPECT_EQ(test, c.left, 2u);
	p = tess_pull(&c, 2);
	KUNIT_ASSERT_PTR_EQ(test, p, &data[4]);
	KUNIT_EXPECT_EQ(test, c.left, 0u);
	KUNIT_EXPECT_NOT_NULL(test, tess_pull(&c, 0));
}

static void tess_wire_op_name_test(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, tess_op_name(TESS_OP_HELLO), "hello");
	KUNIT_EXPECT_STREQ(test, tess_op_name(TESS_OP_LOOKUP), "lookup");
	KUNIT_EXPECT_STREQ(test, tess_op_name(TESS_OP_OBJ_STATFS), "obj_statfs");
	KUNIT_EXPECT_STREQ(test, tess_op_name(TESS_OP_OBJ_SYNC_OWN),
			   "obj_sync_own");
	KUNIT_EXPECT_STREQ(test, tess_op_name(0), "unknown");
	KUNIT_EXPECT_STREQ(test, tess_op_name(TESS_OP_STATS), "stats");
	KUNIT_EXPECT_STREQ(test, tess_op_name(5), "unknown");
	KUNIT_EXPECT_STREQ(test, tess_op_name(TESS_OP_MAX), "unknown");
	KUNIT_EXPECT_STREQ(test, tess_op_name(0xffff), "unknown");
}

static struct kunit_case tess_wire_test_cases[] = {
	KUNIT_CASE(tess_wire_crc_test),
	KUNIT_CASE(tess_wire_hdr_layout_test),
	KUNIT_CASE(tess_wire_hdr_roundtrip_test),
	KUNIT_CASE_PARAM(tess_wire_hdr_decode_test, hdr_bad_gen_params),
	KUNIT_CASE(tess_wire_body_crc_test),
	KUNIT_CASE_PARAM(tess_wire_name_check_test, name_gen_params),
	KUNIT_CASE_PARAM(tess_wire_layout_check_test, layout_gen_params),
	KUNIT_CASE(tess_wire_layout_short_test),
	KUNIT_CASE(tess_wire_msg_lookup_test),
	KUNIT_CASE(tess_wire_msg_truncated_test),
	KUNIT_CASE(tess_wire_msg_bulk_test),
	KUNIT_CASE(tess_wire_msg_stats_test),
	KUNIT_CASE(tess_wire_msg_error_reply_test),
	KUNIT_CASE(tess_wire_buf_test),
	KUNIT_CASE(tess_wire_cursor_test),
	KUNIT_CASE(tess_wire_op_name_test),
	{}
};

static struct kunit_suite tess_wire_test_suite = {
	.name = "tess_wire",
	.test_cases = tess_wire_test_cases,
};

kunit_test_suites(&tess_wire_test_suite);

MODULE_LICENSE("GPL");
