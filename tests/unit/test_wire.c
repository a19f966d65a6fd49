// SPDX-License-Identifier: MIT
/* Userspace tests of common/tess_wire.c: frame header, CRC, message checks. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tess_wire.h"
#include "tu.h"

static struct tess_frame req(uint16_t op, uint32_t body_len)
{
	struct tess_frame f = { .xid = 42, .opcode = op, .flags = TESS_HF_REQUEST,
				.body_len = body_len };
	return f;
}

TU_CASE(crc32c_vector)
{
	/* the standard check value of CRC-32C */
	TU_EQ_U64(tess_crc_final(tess_crc_update(tess_crc_init(), "123456789", 9)),
		  0xe3069283u);
	/* incremental equals one shot */
	uint32_t c = tess_crc_update(tess_crc_init(), "1234", 4);

	c = tess_crc_update(c, "56789", 5);
	TU_EQ_U64(tess_crc_final(c), 0xe3069283u);
}

TU_CASE(header_round_trip)
{
	struct tess_frame f = { .xid = 0x1122334455667788ULL, .opcode = TESS_OP_OBJ_WRITE,
				.flags = TESS_HF_REQUEST, .body_len = 24,
				.bulk_len = 4096, .bulk_crc = 7 }, g;
	struct tess_hdr h;
	const uint8_t *b = (const void *)&h;

	tess_hdr_encode(&h, &f);
	/* little-endian on the wire, byte by byte */
	TU_EQ_U64(b[0], 'T');
	TU_EQ_U64(b[1], 'S');
	TU_EQ_U64(b[8], 0x88);
	TU_EQ_U64(b[15], 0x11);
	TU_EQ_INT(tess_hdr_decode(&h, &g), 0);
	TU_EQ_U64(g.xid, f.xid);
	TU_EQ_U64(g.opcode, f.opcode);
	TU_EQ_U64(g.body_len, 24);
	TU_EQ_U64(g.bulk_len, 4096);
	TU_EQ_U64(g.bulk_crc, 7);
	TU_EQ_U64(g.version, TESS_PROTO_VERSION);
}

TU_CASE(header_rejects)
{
	static const struct {
		size_t off;		/* byte to change */
		uint32_t val;		/* 32-bit little-endian value written there */
		int err;
	} t[] = {
		{ offsetof(struct tess_hdr, magic), 0x12345678, -EPROTO },
		{ offsetof(struct tess_hdr, version), 0x00000009 | (TESS_OP_PING << 16), -EPROTO },
		{ offsetof(struct tess_hdr, version), 0x00000000 | (TESS_OP_PING << 16), -EPROTO },
		{ offsetof(struct tess_hdr, version), 1 | (999u << 16), -EOPNOTSUPP },
		{ offsetof(struct tess_hdr, version), 1 | (5u << 16), -EOPNOTSUPP },
		{ offsetof(struct tess_hdr, flags), 0, -EBADMSG },
		{ offsetof(struct tess_hdr, flags), TESS_HF_REQUEST | TESS_HF_REPLY, -EBADMSG },
		{ offsetof(struct tess_hdr, flags), 0x100 | TESS_HF_REQUEST, -EBADMSG },
		{ offsetof(struct tess_hdr, body_len), TESS_MAX_BODY + 1, -EMSGSIZE },
		{ offsetof(struct tess_hdr, bulk_len), TESS_MAX_BULK + 1, -EMSGSIZE },
		{ offsetof(struct tess_hdr, bulk_len), 0xffffffffu, -EMSGSIZE },
		{ offsetof(struct tess_hdr, status), 100000, -EBADMSG },
		{ offsetof(struct tess_hdr, reserved), 1, -EBADMSG },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tess_frame f = req(TESS_OP_PING, 0), g;
		struct tess_hdr h;
		uint8_t *b = (void *)&h;

		tess_hdr_encode(&h, &f);
		b[t[i].off] = t[i].val & 0xff;
		b[t[i].off + 1] = (t[i].val >> 8) & 0xff;
		b[t[i].off + 2] = (t[i].val >> 16) & 0xff;
		b[t[i].off + 3] = (t[i].val >> 24) & 0xff;
		TU_EQ_INT(tess_hdr_decode(&h, &g), t[i].err);
	}
}

TU_CASE(body_crc_detects_flips)
{
	uint8_t body[64];
	struct tess_frame f = req(TESS_OP_PING, sizeof(body));
	struct tess_hdr h;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	tess_hdr_encode(&h, &f);
	tess_hdr_seal(&h, body, sizeof(body));
	TU_EQ_U64(tess_body_crc(&h, body, sizeof(body)), le32_to_cpu(h.body_crc));
	for (size_t i = 0; i < sizeof(body); i++) {
		body[i] ^= 0x10;
		TU_CHECK(tess_body_crc(&h, body, sizeof(body)) != le32_to_cpu(h.body_crc));
		body[i] ^= 0x10;
	}
	h.xid ^= 1;		/* the header is covered too */
	TU_CHECK(tess_body_crc(&h, body, sizeof(body)) != le32_to_cpu(h.body_crc));
}

/* a body sent in two parts has the CRC of the two as one body */
TU_CASE(body_crc2_is_one_body)
{
	uint8_t body[64];
	struct tess_frame f = req(TESS_OP_PING, sizeof(body));
	struct tess_hdr h;
	uint32_t whole;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7 + 1);
	tess_hdr_encode(&h, &f);
	whole = tess_body_crc(&h, body, sizeof(body));
	for (uint32_t k = 0; k <= sizeof(body); k++)
		TU_EQ_U64(tess_body_crc2(&h, body, k, body + k,
					 (uint32_t)sizeof(body) - k), whole);
	TU_CHECK(tess_body_crc2(&h, body, 32, body, 32) != whole);
}

TU_CASE(name_check_table)
{
	static const struct {
		const char *name;
		uint32_t len;
		int err;
	} t[] = {
		{ "a", 1, 0 },
		{ "file.txt", 8, 0 },
		{ "...", 3, 0 },
		{ "", 0, -EINVAL },
		{ ".", 1, -EINVAL },
		{ "..", 2, -EINVAL },
		{ "a/b", 3, -EINVAL },
		{ "a\0b", 3, -EINVAL },
	};
	char longname[300];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		TU_EQ_INT(tess_name_check(t[i].name, t[i].len), t[i].err);
	memset(longname, 'x', sizeof(longname));
	TU_EQ_INT(tess_name_check(longname, 255), 0);
	TU_EQ_INT(tess_name_check(longname, 256), -ENAMETOOLONG);
}

/* build a LOOKUP body with the given declared and actual name */
static int check_lookup(uint32_t declared, const char *name, uint32_t actual)
{
	uint8_t body[512];
	struct tess_name_req *r = (void *)body;
	struct tess_frame f;

	memset(body, 0, sizeof(body));
	r->parent = cpu_to_le64(1);
	r->name_len = cpu_to_le32(declared);
	memcpy(r + 1, name, actual);
	f = req(TESS_OP_LOOKUP, (uint32_t)sizeof(*r) + actual);
	return tess_msg_check(&f, body);
}

TU_CASE(msg_check_lookup)
{
	TU_EQ_INT(check_lookup(3, "abc", 3), 0);
	TU_EQ_INT(check_lookup(4, "abc", 3), -EBADMSG);	/* length past body */
	TU_EQ_INT(check_lookup(2, "abc", 3), -EBADMSG);	/* trailing bytes */
	TU_EQ_INT(check_lookup(0xffffffffu, "abc", 3), -EBADMSG);
	TU_EQ_INT(check_lookup(3, "a/c", 3), -EINVAL);
	TU_EQ_INT(check_lookup(3, "a\0c", 3), -EINVAL);
	{
		char n[300];

		memset(n, 'q', sizeof(n));
		TU_EQ_INT(check_lookup(256, n, 256), -ENAMETOOLONG);
	}
	/* a truncated fixed part */
	struct tess_frame f = req(TESS_OP_LOOKUP, 8);
	uint8_t b[8] = { 0 };

	TU_EQ_INT(tess_msg_check(&f, b), -EBADMSG);
}

TU_CASE(msg_check_bulk_rules)
{
	struct tess_obj_io_req io = { .oid = cpu_to_le64(5), .length = cpu_to_le32(4096) };
	struct tess_frame f = req(TESS_OP_OBJ_WRITE, sizeof(io));

	f.bulk_len = 4096;
	TU_EQ_INT(tess_msg_check(&f, &io), 0);
	f.bulk_len = 4095;			/* length disagrees with bulk */
	TU_EQ_INT(tess_msg_check(&f, &io), -EBADMSG);
	f = req(TESS_OP_OBJ_READ, sizeof(io));
	f.bulk_len = 1;				/* reads carry no request bulk */
	TU_EQ_INT(tess_msg_check(&f, &io), -EBADMSG);
	f.bulk_len = 0;
	TU_EQ_INT(tess_msg_check(&f, &io), 0);
	io.length = cpu_to_le32(TESS_MAX_BULK + 1);
	TU_EQ_INT(tess_msg_check(&f, &io), -EMSGSIZE);
	io.length = cpu_to_le32(1);
	io.offset = cpu_to_le64(~0ULL);
	TU_EQ_INT(tess_msg_check(&f, &io), -EFBIG);
}

TU_CASE(layout_check_table)
{
	uint8_t buf[TESS_LAYOUT_BYTES(4)];
	struct tess_layout *l = (void *)buf;

	memset(buf, 0, sizeof(buf));
	l->pattern = cpu_to_le32(TESS_LAYOUT_RAID0);
	l->stripe_size = cpu_to_le32(1 << 20);
	l->stripe_count = cpu_to_le16(4);
	TU_EQ_INT(tess_layout_check(l, sizeof(struct tess_layout)), 0);
	TU_EQ_INT(tess_layout_check(l, TESS_LAYOUT_BYTES(4)), 0);
	TU_EQ_INT(tess_layout_check(l, TESS_LAYOUT_BYTES(3)), -EBADMSG);
	TU_EQ_INT(tess_layout_check(l, TESS_LAYOUT_BYTES(4) - 1), -EBADMSG);
	TU_EQ_INT(tess_layout_check(l, 8), -EBADMSG);
	l->stripe_size = cpu_to_le32(1000);
	TU_EQ_INT(tess_layout_check(l, sizeof(struct tess_layout)), -EINVAL);
	l->stripe_size = cpu_to_le32(1 << 20);
	l->pattern = cpu_to_le32(77);
	TU_EQ_INT(tess_layout_check(l, sizeof(struct tess_layout)), -EINVAL);
	l->pattern = cpu_to_le32(TESS_LAYOUT_RAID0);
	l->stripe_count = cpu_to_le16(TESS_MAX_STRIPES + 1);
	TU_EQ_INT(tess_layout_check(l, sizeof(struct tess_layout)), -EINVAL);
}

TU_CASE(readdir_reply_check)
{
	uint8_t body[256];
	struct tess_buf b;
	struct tess_readdir_rep *r;
	struct tess_dirent *d;
	struct tess_frame f = { .opcode = TESS_OP_READDIR, .flags = TESS_HF_REPLY };

	tess_buf_init(&b, body, sizeof(body));
	r = tess_buf_reserve(&b, sizeof(*r));
	r->count = cpu_to_le32(2);
	d = tess_buf_reserve(&b, sizeof(*d));
	d->name_len = cpu_to_le32(1);
	tess_buf_put(&b, "a\0\0\0\0\0\0\0", 8);
	d = tess_buf_reserve(&b, sizeof(*d));
	d->name_len = cpu_to_le32(9);
	tess_buf_put(&b, "ninechars\0\0\0\0\0\0\0", 16);
	TU_EQ_INT(b.err, 0);
	f.body_len = b.len;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = b.len - 1;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	r->count = cpu_to_le32(3);
	f.body_len = b.len;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	r->count = cpu_to_le32(2);
	body[sizeof(*r) + sizeof(*d) + 8 + sizeof(*d) + 2] = '/';
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
}

/*
 * A READDIRPLUS reply of two entries ("a" ino 10, "ninechars" ino 11),
 * each followed by its tess_dirent_plus; mutate() changes it first.
 * Returns the body length.
 */
enum rdp_mut {
	RDP_OK, RDP_SHORT1, RDP_NO_LAST_PLUS, RDP_NO_PLUS_BIT, RDP_EXTRA_BIT,
	RDP_XFLAGS, RDP_INO_OTHER, RDP_INO_ZERO, RDP_SEC_BIT, RDP_EOF_PLUS,
	RDP_PLAIN_WITH_PLUS,
};

static uint32_t rdp_body(uint8_t *body, uint32_t cap, enum rdp_mut m)
{
	struct tess_buf b;
	struct tess_readdir_rep *r;
	struct tess_dirent *d;
	struct tess_dirent_plus *p[2];
	static const char *const names[2] = { "a", "ninechars" };
	uint32_t i, len;

	tess_buf_init(&b, body, cap);
	r = tess_buf_reserve(&b, sizeof(*r));
	r->count = cpu_to_le32(2);
	r->eof = cpu_to_le32(TESS_READDIR_PLUS);
	for (i = 0; i < 2; i++) {
		len = (uint32_t)strlen(names[i]);
		d = tess_buf_reserve(&b, TESS_DIRENT_BYTES(len));
		d->ino = cpu_to_le64(10 + i);
		d->cookie = cpu_to_le64(3 + i);
		d->type = cpu_to_le32(DT_REG);
		d->name_len = cpu_to_le32(len);
		memcpy(d + 1, names[i], len);
		p[i] = tess_buf_reserve(&b, sizeof(*p[i]));
		p[i]->attr.ino = cpu_to_le64(10 + i);
		p[i]->attr.mode = cpu_to_le32(S_IFREG | 0644);
	}
	if (b.err)
		return 0;
	switch (m) {
	case RDP_OK:
		break;
	case RDP_SHORT1:
		return b.len - 1;
	case RDP_NO_LAST_PLUS:
		return b.len - (uint32_t)sizeof(struct tess_dirent_plus);
	case RDP_NO_PLUS_BIT:
		r->eof = cpu_to_le32(TESS_READDIR_EOF);
		break;
	case RDP_EXTRA_BIT:
		r->eof = cpu_to_le32(TESS_READDIR_PLUS | 0x4);
		break;
	case RDP_XFLAGS:
		p[1]->xflags = cpu_to_le32(0x2);
		break;
	case RDP_INO_OTHER:
		p[0]->attr.ino = cpu_to_le64(11);
		break;
	case RDP_INO_ZERO:
		memset(p[0], 0, sizeof(*p[0]));
		break;
	case RDP_SEC_BIT:
		p[0]->xflags = cpu_to_le32(TESS_DPLUS_SEC);
		break;
	case RDP_EOF_PLUS:
		r->eof = cpu_to_le32(TESS_READDIR_EOF | TESS_READDIR_PLUS);
		break;
	case RDP_PLAIN_WITH_PLUS:
		r->eof = 0;
		break;
	}
	return b.len;
}

TU_CASE(readdir_plus_reply_check)
{
	static const struct {
		const char *what;
		enum rdp_mut m;
		int want;
	} cases[] = {
		{ "two entries with attrs", RDP_OK, 0 },
		{ "one byte short", RDP_SHORT1, -EBADMSG },
		{ "last entry without its plus", RDP_NO_LAST_PLUS, -EBADMSG },
		{ "plus records, no PLUS bit", RDP_NO_PLUS_BIT, -EBADMSG },
		{ "unknown eof bit", RDP_EXTRA_BIT, -EBADMSG },
		{ "unknown xflags", RDP_XFLAGS, -EBADMSG },
		{ "attr of another ino", RDP_INO_OTHER, -EBADMSG },
		{ "attr.ino 0: no attrs", RDP_INO_ZERO, 0 },
		{ "security bit", RDP_SEC_BIT, 0 },
		{ "eof and plus", RDP_EOF_PLUS, 0 },
		{ "eof word 0 with plus records", RDP_PLAIN_WITH_PLUS, -EBADMSG },
	};
	uint8_t body[512];
	struct tess_frame f = { .opcode = TESS_OP_READDIR, .flags = TESS_HF_REPLY };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(body, 0, sizeof(body));
		f.body_len = rdp_body(body, sizeof(body), cases[i].m);
		TU_CHECK(f.body_len != 0);
		if (tess_msg_check(&f, body) != cases[i].want)
			fprintf(stderr, "  case '%s'\n", cases[i].what);
		TU_EQ_INT(tess_msg_check(&f, body), cases[i].want);
	}
}

TU_CASE(readdir_request_flags_check)
{
	static const struct {
		uint32_t flags;
		int want;
	} cases[] = {
		{ 0, 0 },
		{ TESS_READDIR_PLUS, 0 },
		{ TESS_READDIR_EOF, -EINVAL },
		{ 0x4, -EINVAL },
		{ TESS_READDIR_PLUS | 0x80000000u, -EINVAL },
	};
	struct tess_readdir_req rd = { .ino = cpu_to_le64(1),
				       .max_bytes = cpu_to_le32(4096) };
	struct tess_frame f = { .opcode = TESS_OP_READDIR,
				.flags = TESS_HF_REQUEST,
				.body_len = sizeof(rd) };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rd.flags = cpu_to_le32(cases[i].flags);
		TU_EQ_INT(tess_msg_check(&f, &rd), cases[i].want);
	}
}

TU_CASE(buf_overflow_sets_err)
{
	uint8_t small[16];
	struct tess_buf b;

	tess_buf_init(&b, small, sizeof(small));
	TU_CHECK(tess_buf_reserve(&b, 10) != NULL);
	TU_CHECK(tess_buf_reserve(&b, 7) == NULL);
	TU_EQ_INT(b.err, -EMSGSIZE);
	TU_CHECK(tess_buf_reserve(&b, 1) == NULL);	/* stays failed */
	TU_EQ_U64(b.len, 10);
}

/* an HSM_SET body with the given strings after the fixed part */
static uint32_t hsm_set_body(uint8_t *body, uint32_t valid, const char *b,
			     const char *k, const char *e)
{
	struct tess_hsm_set_req r = { .ino = cpu_to_le64(5),
				      .valid = cpu_to_le32(valid) };
	uint32_t n = sizeof(r);

	r.bucket_len = cpu_to_le16(strlen(b));
	r.key_len = cpu_to_le16(strlen(k));
	r.etag_len = cpu_to_le16(strlen(e));
	memcpy(body, &r, sizeof(r));
	memcpy(body + n, b, strlen(b));
	n += strlen(b);
	memcpy(body + n, k, strlen(k));
	n += strlen(k);
	memcpy(body + n, e, strlen(e));
	return n + strlen(e);
}

TU_CASE(msg_check_hsm_set)
{
	static uint8_t body[4096];
	struct tess_hsm_set_req *r = (void *)body;
	struct tess_frame f = req(TESS_OP_HSM_SET, 0);
	char longkey[TESS_S3_KEY_MAX + 2];

	f.body_len = hsm_set_body(body, TESS_HSMS_ORIGIN | TESS_HSMS_STATE,
				  "bucket", "a/b/c", "abc123");
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len--;			/* etag cut short */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.body_len += 2;		/* trailing byte */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.body_len--;
	r->state_set = cpu_to_le32(0x100);	/* unknown state bit */
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	r->state_set = 0;
	r->mtime_nsec = cpu_to_le32(1000000000u);
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	/* origin needs every string */
	f.body_len = hsm_set_body(body, TESS_HSMS_ORIGIN, "bucket", "", "e");
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	/* a bucket with a slash, a key with a NUL */
	f.body_len = hsm_set_body(body, TESS_HSMS_ORIGIN, "b/x", "k", "e");
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	f.body_len = hsm_set_body(body, TESS_HSMS_ORIGIN, "b", "k", "e");
	body[sizeof(*r) + 1] = '\0';
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	/* a key over the limit */
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	f.body_len = hsm_set_body(body, TESS_HSMS_ORIGIN, "b", longkey, "e");
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	/* strings where none belong */
	f.body_len = hsm_set_body(body, TESS_HSMS_STATE, "b", "", "");
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	/* STRIPE: etag only, stripe in range */
	f.body_len = hsm_set_body(body, TESS_HSMS_STRIPE, "", "", "etag");
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	r->stripe = cpu_to_le32(TESS_MAX_STRIPES);
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	/* ATTRS without ORIGIN, REMOVE with others, unknown and no bits */
	f.body_len = hsm_set_body(body, TESS_HSMS_ATTRS, "", "", "");
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	f.body_len = hsm_set_body(body, TESS_HSMS_REMOVE | TESS_HSMS_STATE,
				  "", "", "");
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	f.body_len = hsm_set_body(body, 0x4000, "", "", "");
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	f.body_len = hsm_set_body(body, 0, "", "", "");
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	f.body_len = hsm_set_body(body, TESS_HSMS_REMOVE, "", "", "");
	TU_EQ_INT(tess_msg_check(&f, body), 0);
}

TU_CASE(msg_check_obj_hsm)
{
	static uint8_t body[4096];
	struct tess_obj_hsm_set_req *r = (void *)body;
	struct tess_obj_hsm_get_req g = { .oid = cpu_to_le64(1) };
	struct tess_frame f = req(TESS_OP_OBJ_HSM_SET, 0);
	uint32_t n = sizeof(*r);

	memset(body, 0, sizeof(body));
	r->oid = cpu_to_le64(7);
	r->mode = cpu_to_le32(TESS_OHSM_STUB);
	r->stripe = cpu_to_le32(1);
	r->stripe_count = cpu_to_le16(4);
	r->stripe_size = cpu_to_le32(1 << 20);
	r->file_size = cpu_to_le64(1000);
	r->bucket_len = cpu_to_le16(1);
	r->key_len = cpu_to_le16(2);
	r->etag_len = cpu_to_le16(3);
	memcpy(body + n, "bkeyetg", 6);
	f.body_len = n + 6;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	r->stripe = cpu_to_le32(4);		/* not below stripe_count */
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	r->stripe = cpu_to_le32(1);
	r->stripe_size = cpu_to_le32(1000);	/* not a stripe size */
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	r->stripe_size = cpu_to_le32(1 << 20);
	r->file_size = cpu_to_le64(~0ULL);
	TU_EQ_INT(tess_msg_check(&f, body), -EFBIG);
	r->file_size = 0;
	r->mode = cpu_to_le32(9);
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	/* RELEASE carries no strings */
	r->mode = cpu_to_le32(TESS_OHSM_RELEASE);
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	r->bucket_len = r->key_len = r->etag_len = 0;
	f.body_len = n;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = n - 1;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	/* PIN and UNPIN (issue 13): oid only, no strings, no mode past them */
	f.body_len = n;
	r->mode = cpu_to_le32(TESS_OHSM_PIN);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	r->mode = cpu_to_le32(TESS_OHSM_UNPIN);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	r->key_len = cpu_to_le16(2);
	f.body_len = n + 2;
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	r->key_len = 0;
	f.body_len = n;
	r->mode = cpu_to_le32(TESS_OHSM_UNPIN + 1);
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);

	/* OBJ_HSM_GET: bitmap_max bounded */
	f = req(TESS_OP_OBJ_HSM_GET, sizeof(g));
	TU_EQ_INT(tess_msg_check(&f, &g), 0);
	g.bitmap_max = cpu_to_le32(TESS_HSM_BITMAP_MAX + 1);
	TU_EQ_INT(tess_msg_check(&f, &g), -EINVAL);
}

/* OBJ_HSM_SET's origin location (TESS_FEAT_HSM_LOC, issue #13) */
struct loc_case {
	uint32_t mode;
	const char *endpoint, *region;
	uint32_t elen, rlen;		/* as claimed; UINT32_MAX: the real one */
	uint8_t flags;
	uint32_t cut;			/* bytes of the body left off */
	int want;
};

#define REAL UINT32_MAX
static const struct loc_case loc_table[] = {
	{ TESS_OHSM_STUB, "http://localhost:9000", "eu-west-1", REAL, REAL, 0, 0, 0 },
	{ TESS_OHSM_STUB, "https://s3.eu-west-1.amazonaws.com", "", REAL, REAL, 0, 0, 0 },
	{ TESS_OHSM_STUB, "", "ap-south-1", REAL, REAL, 0, 0, 0 },
	{ TESS_OHSM_STUB, "http://[::1]:9000", "us-east-1", REAL, REAL,
	  TESS_HSM_LOC_PATH_STYLE, 0, 0 },
	{ TESS_OHSM_ARCHIVED, "http://10.0.0.1:80", "r", REAL, REAL, 0, 0, 0 },
	{ TESS_OHSM_STUB, "", "", REAL, REAL, TESS_HSM_LOC_PATH_STYLE, 0, 0 },
	/* unknown flags */
	{ TESS_OHSM_STUB, "", "", REAL, REAL, 0x02, 0, -EINVAL },
	{ TESS_OHSM_STUB, "", "", REAL, REAL, 0x80, 0, -EINVAL },
	/* lengths past the body, or short of it */
	{ TESS_OHSM_STUB, "http://h:1", "eu-west-1", 11, REAL, 0, 0, -EBADMSG },
	{ TESS_OHSM_STUB, "http://h:1", "eu-west-1", REAL, REAL, 0, 1, -EBADMSG },
	{ TESS_OHSM_STUB, "http://h:1", "eu-west-1", REAL, 8, 0, 0, -EBADMSG },
	{ TESS_OHSM_STUB, "http://h:1", "", REAL, 200, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "http://h:1", "", 512, REAL, 0, 0, -EINVAL },
	/* not an endpoint: scheme, path, user, query, space, NUL, empty host */
	{ TESS_OHSM_STUB, "ftp://h", "", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "http://h/p", "", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "http://u@h", "", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "http://h?x", "", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "http://h x", "", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "http://h\0x", "", 10, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "http://", "", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "HTTP://h", "", REAL, REAL, 0, 0, -EINVAL },
	/* not a region */
	{ TESS_OHSM_STUB, "", "EU-WEST-1", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "", "eu west", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_STUB, "", "eu/west", REAL, REAL, 0, 0, -EINVAL },
	/* only with a new origin */
	{ TESS_OHSM_RELEASE, "http://h:1", "", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_REMOVE, "", "eu-west-1", REAL, REAL, 0, 0, -EINVAL },
	{ TESS_OHSM_PIN, "", "", REAL, REAL, TESS_HSM_LOC_PATH_STYLE, 0, -EINVAL },
};

TU_CASE(msg_check_obj_hsm_loc)
{
	static uint8_t body[4096];
	struct tess_obj_hsm_set_req *r = (void *)body;
	struct tess_frame f = req(TESS_OP_OBJ_HSM_SET, 0);

	for (size_t i = 0; i < sizeof(loc_table) / sizeof(loc_table[0]); i++) {
		const struct loc_case *t = &loc_table[i];
		bool origin = t->mode == TESS_OHSM_STUB ||
			      t->mode == TESS_OHSM_ARCHIVED;
		uint32_t n = sizeof(*r);
		size_t el = t->elen == REAL ? strlen(t->endpoint) : t->elen;
		size_t rl = t->rlen == REAL ? strlen(t->region) : t->rlen;
		size_t es = t->elen == REAL ? el : strlen(t->endpoint);
		int rc;

		if (t->elen == 10)	/* the case with a NUL inside */
			es = 10;
		memset(body, 0, sizeof(body));
		r->oid = cpu_to_le64(7);
		r->mode = cpu_to_le32(t->mode);
		r->stripe_count = cpu_to_le16(1);
		r->stripe_size = cpu_to_le32(1 << 20);
		r->file_size = cpu_to_le64(1000);
		if (origin) {
			r->bucket_len = cpu_to_le16(1);
			r->key_len = cpu_to_le16(2);
			r->etag_len = cpu_to_le16(3);
			memcpy(body + n, "bkeyetg", 6);
			n += 6;
		}
		r->endpoint_len = cpu_to_le16((uint16_t)el);
		r->region_len = (uint8_t)rl;
		r->loc_flags = t->flags;
		memcpy(body + n, t->endpoint, es);
		n += (uint32_t)es;
		memcpy(body + n, t->region, strlen(t->region));
		n += (uint32_t)strlen(t->region);
		f.body_len = n - t->cut;
		rc = tess_msg_check(&f, body);
		if (rc != t->want)
			TU_FAIL_AT("loc case %zu: %d, want %d", i, rc, t->want);
	}
}
#undef REAL

TU_CASE(msg_check_hsm_replies)
{
	static uint8_t body[4096];
	struct tess_obj_hsm_rep *o = (void *)body;
	struct tess_hsm_rep *h = (void *)body;
	struct tess_frame f = { .opcode = TESS_OP_OBJ_HSM_GET,
				.flags = TESS_HF_REPLY };

	memset(body, 0, sizeof(body));
	o->nchunks = cpu_to_le32(20);
	o->npresent = cpu_to_le32(3);
	o->bitmap_len = cpu_to_le32(3);
	o->etag_len = cpu_to_le16(2);
	memcpy(body + sizeof(*o), "e1", 2);
	f.body_len = sizeof(*o) + 2 + 3;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	o->bitmap_len = cpu_to_le32(4);		/* more than 20 chunks need */
	f.body_len++;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	o->bitmap_len = cpu_to_le32(3);
	f.body_len--;
	o->npresent = cpu_to_le32(21);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);

	memset(body, 0, sizeof(body));
	f.opcode = TESS_OP_HSM_GET;
	h->state = cpu_to_le32(TESS_HSM_EXISTS | TESS_HSM_RELEASED);
	h->key_len = cpu_to_le16(3);
	memcpy(body + sizeof(*h), "a/b", 3);
	f.body_len = sizeof(*h) + 3;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	h->state = cpu_to_le32(0x80);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	h->state = 0;
	body[sizeof(*h) + 1] = '\0';
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	TU_CHECK(strcmp(tess_op_name(TESS_OP_OBJ_HSM_GET), "obj_hsm_get") == 0);
}

/*
 * STATFS's def_stripe_count (issue #13), the former pad: any value is
 * accepted (0 from an older MDS), the reply's size is unchanged.
 */
TU_CASE(msg_check_statfs_def_count)
{
	struct tess_statfs_rep r = { .bsize = cpu_to_le32(4096),
				     .ost_count = cpu_to_le32(4) };
	struct tess_frame f = { .opcode = TESS_OP_STATFS,
				.flags = TESS_HF_REPLY,
				.body_len = sizeof(r) };
	static const uint32_t counts[] = { 0, 1, 4, TESS_MAX_STRIPES,
					   UINT32_MAX };

	TU_EQ_U64(sizeof(r), 56);
	TU_EQ_U64(offsetof(struct tess_statfs_rep, def_stripe_count), 52);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		r.def_stripe_count = cpu_to_le32(counts[i]);
		f.opcode = TESS_OP_STATFS;
		TU_EQ_INT(tess_msg_check(&f, &r), 0);
		f.opcode = TESS_OP_OBJ_STATFS;
		TU_EQ_INT(tess_msg_check(&f, &r), 0);
	}
	f.opcode = TESS_OP_STATFS;
	f.body_len = sizeof(r) - 4;	/* a reply without it: too short */
	TU_EQ_INT(tess_msg_check(&f, &r), -EBADMSG);
}

/*
 * OBJ_HSM_GET's origin location (TESS_FEAT_HSM_LOC, issue #13): after
 * the bitmap, lengths and flags in the former pad, checked as
 * OBJ_HSM_SET's; a reply gets -EBADMSG for anything wrong.
 */
struct rep_loc_case {
	const char *endpoint, *region;
	uint32_t elen, rlen;		/* as claimed; UINT32_MAX: the real one */
	uint8_t flags;
	bool hsm;			/* TESS_OHSM_F_HSM */
	int extra;			/* bytes added (> 0) or left off (< 0) */
	int want;
};

#define REAL UINT32_MAX
static const struct rep_loc_case rep_loc_table[] = {
	{ "http://localhost:9000", "eu-west-1", REAL, REAL, 0, true, 0, 0 },
	{ "http://[::1]:9000", "us-east-1", REAL, REAL, TESS_HSM_LOC_PATH_STYLE,
	  true, 0, 0 },
	{ "", "ap-south-1", REAL, REAL, 0, true, 0, 0 },
	{ "", "", REAL, REAL, TESS_HSM_LOC_PATH_STYLE, true, 0, 0 },
	{ "", "", REAL, REAL, 0, true, 0, 0 },	/* none: an older OST */
	{ "", "", REAL, REAL, 0, false, 0, 0 },
	/* truncated: the strings short of their lengths */
	{ "http://h:1", "eu-west-1", REAL, REAL, 0, true, -1, -EBADMSG },
	{ "http://h:1", "eu-west-1", REAL, REAL, 0, true, -10, -EBADMSG },
	{ "http://h:1", "eu-west-1", 30, REAL, 0, true, 0, -EBADMSG },
	{ "http://h:1", "eu-west-1", REAL, 200, 0, true, 0, -EBADMSG },
	/* overlong: bytes beyond the lengths, lengths beyond the limits */
	{ "http://h:1", "eu-west-1", REAL, REAL, 0, true, 1, -EBADMSG },
	{ "http://h:1", "eu-west-1", REAL, 8, 0, true, 0, -EBADMSG },
	{ "http://h:1", "", 512, REAL, 0, true, 0, -EBADMSG },
	{ "http://h:1", "", REAL, 64, 0, true, 0, -EBADMSG },
	{ "", "", 0xffff, 0xff, 0, true, 0, -EBADMSG },
	/* not an endpoint, not a region, unknown flags */
	{ "http://h/p", "", REAL, REAL, 0, true, 0, -EBADMSG },
	{ "ftp://h", "", REAL, REAL, 0, true, 0, -EBADMSG },
	{ "http://h\0x", "", 10, REAL, 0, true, 0, -EBADMSG },
	{ "", "EU-WEST-1", REAL, REAL, 0, true, 0, -EBADMSG },
	{ "", "", REAL, REAL, 0x02, true, 0, -EBADMSG },
	/* a location without HSM state */
	{ "http://h:1", "", REAL, REAL, 0, false, 0, -EBADMSG },
	{ "", "", REAL, REAL, TESS_HSM_LOC_PATH_STYLE, false, 0, -EBADMSG },
};

TU_CASE(msg_check_obj_hsm_rep_loc)
{
	static uint8_t body[4096];
	struct tess_obj_hsm_rep *o = (void *)body;
	struct tess_frame f = { .opcode = TESS_OP_OBJ_HSM_GET,
				.flags = TESS_HF_REPLY };

	for (size_t i = 0; i < sizeof(rep_loc_table) / sizeof(rep_loc_table[0]);
	     i++) {
		const struct rep_loc_case *t = &rep_loc_table[i];
		size_t el = t->elen == REAL ? strlen(t->endpoint) : t->elen;
		size_t rl = t->rlen == REAL ? strlen(t->region) : t->rlen;
		size_t es = t->elen == 10 ? 10 : strlen(t->endpoint);
		uint32_t n = sizeof(*o);
		int rc;

		memset(body, 0, sizeof(body));
		o->flags = cpu_to_le32(t->hsm ? TESS_OHSM_F_HSM : 0);
		o->nchunks = cpu_to_le32(20);
		o->npresent = cpu_to_le32(3);
		o->bitmap_len = cpu_to_le32(3);
		o->bucket_len = cpu_to_le16(1);
		o->key_len = cpu_to_le16(2);
		o->etag_len = cpu_to_le16(2);
		memcpy(body + n, "bkye1", 5);
		n += 5 + 3;			/* and the bitmap */
		o->endpoint_len = cpu_to_le16((uint16_t)el);
		o->region_len = (uint8_t)rl;
		o->loc_flags = t->flags;
		memcpy(body + n, t->endpoint, es);
		n += (uint32_t)es;
		memcpy(body + n, t->region, strlen(t->region));
		n += (uint32_t)strlen(t->region);
		f.body_len = (uint32_t)((int)n + t->extra);
		rc = tess_msg_check(&f, body);
		if (rc != t->want)
			TU_FAIL_AT("reply loc case %zu: %d, want %d", i, rc,
				   t->want);
	}
}
#undef REAL

TU_CASE(every_request_opcode_rejects_empty_or_accepts)
{
	/* a zero-length body is either valid for the opcode or -EBADMSG; never a crash */
	for (uint16_t op = 0; op < TESS_OP_MAX; op++) {
		struct tess_frame f = req(op, 0);
		int rc = tess_msg_check(&f, "");

		TU_CHECK(rc == 0 || rc == -EBADMSG || rc == -EOPNOTSUPP);
	}
}

/* protocol 3: the write verifier ends OBJ_WRITE replies and is the
 * OBJ_SYNC reply; connections of protocol 2 get neither */
TU_CASE(msg_check_write_verifier)
{
	uint8_t body[32] = { 0 };
	struct tess_frame f = { .xid = 42, .flags = TESS_HF_REPLY };

	f.opcode = TESS_OP_OBJ_WRITE;
	f.version = 2;
	f.body_len = 16;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = 24;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.version = 3;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = 16;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.body_len = 32;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);

	f.opcode = TESS_OP_OBJ_SYNC;
	f.version = 2;
	f.body_len = 0;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = 8;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.version = 3;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = 0;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	/* an error reply carries no verifier */
	f.status = EIO;
	TU_EQ_INT(tess_msg_check(&f, body), 0);

	/* OBJ_SYNC_OWN: the OBJ_SYNC reply */
	f.opcode = TESS_OP_OBJ_SYNC_OWN;
	f.status = 0;
	f.version = 3;
	f.body_len = 8;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = 0;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.body_len = 16;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.version = 2;
	f.body_len = 0;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
}

/* OBJ_SYNC_OWN (issue #12): an empty request, named */
TU_CASE(msg_check_obj_sync_own)
{
	uint8_t body[8] = { 0 };
	struct tess_frame f = { .xid = 7, .flags = TESS_HF_REQUEST,
				.opcode = TESS_OP_OBJ_SYNC_OWN, .version = 4 };

	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = 8;		/* no oid: a body is malformed */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	TU_CHECK(strcmp(tess_op_name(TESS_OP_OBJ_SYNC_OWN), "obj_sync_own") == 0);
	TU_CHECK(TESS_OP_OBJ_SYNC_OWN == 75 && TESS_OP_MAX == 76);
}

/* object lifecycle: OBJ_PRECREATE, OBJ_LIST, OBJ_SCAN, OST_REPLACE */
static void put_precreate(uint8_t *b, uint64_t first, uint32_t count)
{
	struct tess_obj_precreate_req r = { .first_oid = cpu_to_le64(first),
					    .count = cpu_to_le32(count) };

	memcpy(b, &r, sizeof(r));
}

TU_CASE(msg_check_punch)
{
	static const struct {
		const char *what;
		uint32_t mode, flags, len;
		int want;
	} t[] = {
		{ "truncate", TESS_PUNCH_TRUNCATE, 0, 32, 0 },
		{ "truncate sync", TESS_PUNCH_TRUNCATE, TESS_IO_SYNC, 32, 0 },
		{ "hole", TESS_PUNCH_HOLE, 0, 32, 0 },
		{ "trim", TESS_PUNCH_TRIM, 0, 32, 0 },
		{ "mode 0", 0, 0, 32, -EINVAL },
		{ "mode 4", 4, 0, 32, -EINVAL },
		{ "unknown flag", TESS_PUNCH_TRUNCATE, 2, 32, -EINVAL },
		{ "short", TESS_PUNCH_TRUNCATE, 0, 31, -EBADMSG },
		{ "long", TESS_PUNCH_TRUNCATE, 0, 33, -EBADMSG },
	};
	uint8_t body[40];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tess_frame f = req(TESS_OP_OBJ_PUNCH, t[i].len);
		struct tess_obj_punch_req p = {
			.oid = cpu_to_le64(5),
			.offset = cpu_to_le64(4096),
			.mode = cpu_to_le32(t[i].mode),
			.flags = cpu_to_le32(t[i].flags),
		};
		int rc;

		memset(body, 0, sizeof(body));
		memcpy(body, &p, sizeof(p));
		rc = tess_msg_check(&f, body);
		if (rc != t[i].want)
			TU_FAIL_AT("%s: %d, expected %d", t[i].what, rc, t[i].want);
	}
}

TU_CASE(msg_check_obj_lifecycle_requests)
{
	static const struct {
		const char *what;
		uint16_t op;
		uint64_t a;		/* first_oid / after / cookie */
		uint32_t n;		/* count / max */
		uint32_t len;		/* body length */
		int want;
	} t[] = {
		{ "precreate ok", TESS_OP_OBJ_PRECREATE, 1, 64, 16, 0 },
		{ "precreate max", TESS_OP_OBJ_PRECREATE, 1, TESS_PRECREATE_MAX, 16, 0 },
		{ "precreate oid 0", TESS_OP_OBJ_PRECREATE, 0, 64, 16, -EINVAL },
		{ "precreate count 0", TESS_OP_OBJ_PRECREATE, 1, 0, 16, -EINVAL },
		{ "precreate too many", TESS_OP_OBJ_PRECREATE, 1, TESS_PRECREATE_MAX + 1, 16, -EINVAL },
		{ "precreate wraps", TESS_OP_OBJ_PRECREATE, ~0ULL - 3, 64, 16, -EINVAL },
		{ "precreate short", TESS_OP_OBJ_PRECREATE, 1, 64, 15, -EBADMSG },
		{ "precreate long", TESS_OP_OBJ_PRECREATE, 1, 64, 17, -EBADMSG },
		{ "list ok", TESS_OP_OBJ_LIST, 0, 100, 16, 0 },
		{ "list max 0", TESS_OP_OBJ_LIST, 0, 0, 16, -EINVAL },
		{ "list max big", TESS_OP_OBJ_LIST, 0, TESS_OBJ_LIST_MAX + 1, 16, -EINVAL },
		{ "list short", TESS_OP_OBJ_LIST, 0, 100, 8, -EBADMSG },
		{ "scan ok", TESS_OP_OBJ_SCAN, 0, TESS_MAX_STRIPES, 16, 0 },
		{ "scan below a layout", TESS_OP_OBJ_SCAN, 0, TESS_MAX_STRIPES - 1, 16, -EINVAL },
		{ "scan max big", TESS_OP_OBJ_SCAN, 0, TESS_OBJ_SCAN_MAX + 1, 16, -EINVAL },
		{ "scan long", TESS_OP_OBJ_SCAN, 0, 300, 24, -EBADMSG },
	};
	uint8_t body[32];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tess_frame f = req(t[i].op, t[i].len);

		memset(body, 0, sizeof(body));
		/* the three request bodies share the layout {le64, le32, pad} */
		put_precreate(body, t[i].a, t[i].n);
		int rc = tess_msg_check(&f, body);

		if (rc != t[i].want)
			TU_FAIL_AT("%s: %d, expected %d", t[i].what, rc, t[i].want);
	}
	TU_CHECK(strcmp(tess_op_name(TESS_OP_OBJ_PRECREATE), "obj_precreate") == 0);
	TU_CHECK(strcmp(tess_op_name(TESS_OP_OST_REPLACE), "ost_replace") == 0);
}

TU_CASE(msg_check_obj_lifecycle_replies)
{
	static uint8_t body[8 + 8 * 4];
	struct tess_obj_list_rep *l = (void *)body;
	struct { struct tess_obj_scan_rep h; struct tess_obj_owner o[2]; } sc;
	struct tess_frame f = { .opcode = TESS_OP_OBJ_LIST, .flags = TESS_HF_REPLY };

	/* OBJ_LIST: count oids, exactly */
	l->count = cpu_to_le32(4);
	l->flags = cpu_to_le32(TESS_OBJL_EOF | TESS_OBJL_PRECREATED);
	f.body_len = sizeof(body);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = sizeof(body) - 1;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.body_len = sizeof(body);
	l->count = cpu_to_le32(3);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);	/* trailing */
	l->count = cpu_to_le32(5);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);	/* short */
	l->count = cpu_to_le32(4);
	l->flags = cpu_to_le32(0x80);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);

	/* OBJ_SCAN: owners with a known kind, count 1 but for FREE ranges */
	memset(&sc, 0, sizeof(sc));
	f.opcode = TESS_OP_OBJ_SCAN;
	f.body_len = sizeof(sc);
	sc.h.count = cpu_to_le32(2);
	sc.o[0].kind = cpu_to_le32(TESS_OWN_FILE);
	sc.o[0].count = cpu_to_le32(1);
	sc.o[1].kind = cpu_to_le32(TESS_OWN_FREE);
	sc.o[1].count = cpu_to_le32(64);
	TU_EQ_INT(tess_msg_check(&f, &sc), 0);
	sc.o[0].count = cpu_to_le32(2);
	TU_EQ_INT(tess_msg_check(&f, &sc), -EBADMSG);
	sc.o[0].count = cpu_to_le32(1);
	sc.o[1].kind = cpu_to_le32(7);
	TU_EQ_INT(tess_msg_check(&f, &sc), -EBADMSG);
	sc.o[1].kind = cpu_to_le32(TESS_OWN_ORPHAN);
	sc.o[1].count = cpu_to_le32(1);
	sc.o[1].ost_idx = cpu_to_le32(TESS_MAX_OSTS);
	TU_EQ_INT(tess_msg_check(&f, &sc), -EBADMSG);
	sc.o[1].ost_idx = 0;
	sc.h.eof = cpu_to_le32(2);
	TU_EQ_INT(tess_msg_check(&f, &sc), -EBADMSG);
	sc.h.eof = cpu_to_le32(1);
	f.body_len = sizeof(sc) - 1;
	TU_EQ_INT(tess_msg_check(&f, &sc), -EBADMSG);
	sc.h.count = cpu_to_le32(TESS_OBJ_SCAN_MAX + 1);
	f.body_len = sizeof(sc);
	TU_EQ_INT(tess_msg_check(&f, &sc), -EBADMSG);

	/* PRECREATE and OST_REPLACE replies carry no body */
	f.opcode = TESS_OP_OBJ_PRECREATE;
	f.body_len = 0;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = 8;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.opcode = TESS_OP_OST_REPLACE;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.body_len = 0;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
}

/* HSM_STATS (issue #13): 1 .. TESS_HSM_STATS_MAX inos; as many records */
TU_CASE(msg_check_hsm_stats)
{
	static uint8_t body[8 + 3 * 32];
	struct tess_hsm_stats_req *r = (void *)body;
	struct tess_hsm_stat *o = (void *)(body + 8);
	struct tess_frame f = req(TESS_OP_HSM_STATS, 8 + 3 * 8);

	r->count = cpu_to_le32(3);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = 8 + 2 * 8;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);	/* short */
	f.body_len = 8 + 4 * 8;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);	/* trailing */
	r->count = 0;
	f.body_len = 8;
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);
	r->count = cpu_to_le32(TESS_HSM_STATS_MAX + 1);
	TU_EQ_INT(tess_msg_check(&f, body), -EINVAL);

	f.flags = TESS_HF_REPLY;
	r->count = cpu_to_le32(3);
	f.body_len = sizeof(body);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f.body_len = sizeof(body) - 1;
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f.body_len = sizeof(body);
	o[1].hsm_state = cpu_to_le32(0x100);		/* unknown state bit */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	o[1].hsm_state = cpu_to_le32(TESS_HSM_RELEASED);
	r->count = cpu_to_le32(TESS_HSM_STATS_MAX + 1);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	TU_CHECK(strcmp(tess_op_name(TESS_OP_HSM_STATS), "hsm_stats") == 0);
}

int main(void)
{
	tu_suite = "wire";
	TU_RUN(crc32c_vector);
	TU_RUN(header_round_trip);
	TU_RUN(header_rejects);
	TU_RUN(body_crc_detects_flips);
	TU_RUN(body_crc2_is_one_body);
	TU_RUN(name_check_table);
	TU_RUN(msg_check_lookup);
	TU_RUN(msg_check_bulk_rules);
	TU_RUN(layout_check_table);
	TU_RUN(readdir_reply_check);
	TU_RUN(readdir_plus_reply_check);
	TU_RUN(readdir_request_flags_check);
	TU_RUN(buf_overflow_sets_err);
	TU_RUN(msg_check_hsm_set);
	TU_RUN(msg_check_obj_hsm);
	TU_RUN(msg_check_obj_hsm_loc);
	TU_RUN(msg_check_hsm_replies);
	TU_RUN(msg_check_obj_hsm_rep_loc);
	TU_RUN(every_request_opcode_rejects_empty_or_accepts);
	TU_RUN(msg_check_write_verifier);
	TU_RUN(msg_check_obj_sync_own);
	TU_RUN(msg_check_punch);
	TU_RUN(msg_check_obj_lifecycle_requests);
	TU_RUN(msg_check_obj_lifecycle_replies);
	TU_RUN(msg_check_hsm_stats);
	TU_RUN(msg_check_statfs_def_count);
	return tu_done();
}
