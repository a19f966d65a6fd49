// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for lnet/sec.c: the protected frames of sec=integrity and
 * sec=privacy against the known-answer vectors of common/tess_sec_kat.h
 * (an OBJ_WRITE request, client to server, seq 5), and frames that must
 * be refused: an altered byte anywhere, another seq, another key.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "sec.h"
#include "tess_sec_kat.h"

/* KUNIT_EXPECT_MEMEQ came after 6.1 */
#define EXPECT_BYTES(test, got, want, n)				\
	KUNIT_EXPECT_TRUE_MSG(test, !memcmp(got, want, n),		\
			      "got %*phN, want %*phN", (int)(n), got,	\
			      (int)(n), want)

#define KAT_BODY_LEN	sizeof(tess_kat_frame_body)
#define KAT_BULK_LEN	sizeof(tess_kat_frame_bulk)
#define KAT_LEN		(KAT_BODY_LEN + KAT_BULK_LEN)

/* both directions keyed with key_c2s, iv_c2s: seal as the client, open
 * as the server */
static struct tnet_sec *kat_sec(struct kunit *test, u8 flavor)
{
	struct tnet_sec_keys keys;
	struct tnet_sec *s;

	memcpy(keys.tx_key, tess_kat_okm, TESS_SEC_KEY_LEN);
	memcpy(keys.rx_key, tess_kat_okm, TESS_SEC_KEY_LEN);
	memcpy(keys.tx_iv, tess_kat_okm + 64, TESS_SEC_IV_LEN);
	memcpy(keys.rx_iv, tess_kat_okm + 64, TESS_SEC_IV_LEN);
	s = tnet_sec_create(flavor, &keys);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(s), "tnet_sec_create: %ld",
			       PTR_ERR(s));
	/* the session keys are wiped */
	KUNIT_EXPECT_TRUE(test, !memchr_inv(&keys, 0, sizeof(keys)));
	return s;
}

static void kat_hdr(struct tess_hdr *h, u32 body_crc, u32 bulk_crc)
{
	memcpy(h, tess_kat_frame_aad, sizeof(*h));
	h->body_crc = cpu_to_le32(body_crc);
	h->bulk_crc = cpu_to_le32(bulk_crc);
}

/*
 * How the frame's bytes are laid out: all in one buffer, or the body in
 * a buffer and the bulk in pages (across a page boundary, in two bvec
 * entries), as rpc.c has them.
 */
struct kat_frame {
	u8 *buf;
	struct page *pages;	/* order 1 */
	struct bio_vec bv[2];
	struct tnet_sec_data d;
};

static void kat_frame_init(struct kunit *test, struct kat_frame *fr,
			   bool paged)
{
	memset(fr, 0, sizeof(*fr));
	fr->buf = kunit_kzalloc(test, KAT_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fr->buf);
	memcpy(fr->buf, tess_kat_frame_body, KAT_BODY_LEN);
	if (!paged) {
		memcpy(fr->buf + KAT_BODY_LEN, tess_kat_frame_bulk,
		       KAT_BULK_LEN);
		fr->d.buf = fr->buf;
		fr->d.len = KAT_LEN;
		return;
	}
	fr->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	KUNIT_ASSERT_NOT_NULL(test, fr->pages);
	/* 7 bytes in the first entry, the other 13 from PAGE_SIZE - 5 */
	fr->bv[0].bv_page = fr->pages;
	fr->bv[0].bv_offset = 100;
	fr->bv[0].bv_len = 7;
	fr->bv[1].bv_page = fr->pages;
	fr->bv[1].bv_offset = PAGE_SIZE - 5;
	fr->bv[1].bv_len = KAT_BULK_LEN - 7;
	memcpy_to_page(fr->pages, 100, tess_kat_frame_bulk, 7);
	memcpy_to_page(fr->pages, PAGE_SIZE - 5, tess_kat_frame_bulk + 7, 5);
	memcpy_to_page(fr->pages + 1, 0, tess_kat_frame_bulk + 12,
		       KAT_BULK_LEN - 12);
	fr->d.buf = fr->buf;
	fr->d.len = KAT_BODY_LEN;
	fr->d.bv = fr->bv;
	fr->d.nr = 2;
	fr->d.bv_len = KAT_BULK_LEN;
}

/* body | bulk as they are now */
static void kat_frame_read(struct kat_frame *fr, u8 *out)
{
	memcpy(out, fr->buf, KAT_BODY_LEN);
	if (!fr->pages) {
		memcpy(out + KAT_BODY_LEN, fr->buf + KAT_BODY_LEN,
		       KAT_BULK_LEN);
		return;
	}
	memcpy_from_page(out + KAT_BODY_LEN, fr->pages, 100, 7);
	memcpy_from_page(out + KAT_BODY_LEN + 7, fr->pages, PAGE_SIZE - 5, 5);
	memcpy_from_page(out + KAT_BODY_LEN + 12, fr->pages + 1, 0,
			 KAT_BULK_LEN - 12);
}

/* flip bit 0 of byte @i of body | bulk */
static void kat_frame_flip(struct kat_frame *fr, unsigned int i)
{
	unsigned int off;
	u8 *p;

	if (!fr->pages || i < KAT_BODY_LEN) {
		fr->buf[i] ^= 1;
		return;
	}
	i -= KAT_BODY_LEN;
	/* the second entry runs on across the page boundary */
	off = i < 7 ? 100 + i : PAGE_SIZE - 5 + (i - 7);
	p = kmap_local_page(fr->pages + off / PAGE_SIZE);
	p[off % PAGE_SIZE] ^= 1;
	kunmap_local(p);
}

static void kat_frame_free(struct kat_frame *fr)
{
	if (fr->pages)
		__free_pages(fr->pages, 1);
}

struct sec_case {
	const char *name;
	u8 flavor;
	bool paged;
	/* what the receiver gets differently from what was sealed */
	int flip_data;		/* byte of body | bulk, or -1 */
	int flip_hdr;		/* byte of the header, or -1 */
	bool flip_tag;
	s64 seq_delta;		/* the receiver expects seq 5 + this */
	bool other_key;		/* the receiver's key differs */
	int expected;		/* tnet_sec_open */
};

static const struct sec_case sec_cases[] = {
	{ "integrity KAT", TESS_SEC_INTEGRITY, false, -1, -1 },
	{ "integrity KAT, bulk in pages", TESS_SEC_INTEGRITY, true, -1, -1 },
	{ "privacy KAT", TESS_SEC_PRIVACY, false, -1, -1 },
	{ "privacy KAT, bulk in pages", TESS_SEC_PRIVACY, true, -1, -1 },
	{ "integrity: CRCs are not covered", TESS_SEC_INTEGRITY, false, -1,
	  32 },
	{ "privacy: CRCs are not covered", TESS_SEC_PRIVACY, true, -1, 36 },
	{ "integrity: altered header (reserved)", TESS_SEC_INTEGRITY, false,
	  -1, 44, .expected = -EBADMSG },
	{ "integrity: altered body", TESS_SEC_INTEGRITY, false, 3, -1,
	  .expected = -EBADMSG },
	{ "integrity: altered bulk in pages", TESS_SEC_INTEGRITY, true, 25, -1,
	  .expected = -EBADMSG },
	{ "integrity: altered header (xid)", TESS_SEC_INTEGRITY, false, -1, 8,
	  .expected = -EBADMSG },
	{ "integrity: altered header (bulk_len)", TESS_SEC_INTEGRITY, true,
	  -1, 28, .expected = -EBADMSG },
	{ "integrity: altered tag", TESS_SEC_INTEGRITY, false, -1, -1, true,
	  .expected = -EBADMSG },
	{ "integrity: replayed (seq 6 expected)", TESS_SEC_INTEGRITY, false,
	  -1, -1, .seq_delta = 1, .expected = -EBADMSG },
	{ "integrity: reordered (seq 4 expected)", TESS_SEC_INTEGRITY, true,
	  -1, -1, .seq_delta = -1, .expected = -EBADMSG },
	{ "integrity: other key", TESS_SEC_INTEGRITY, false, -1, -1,
	  .other_key = true, .expected = -EBADMSG },
	{ "privacy: altered body", TESS_SEC_PRIVACY, false, 0, -1,
	  .expected = -EBADMSG },
	{ "privacy: altered bulk in pages", TESS_SEC_PRIVACY, true, 29, -1,
	  .expected = -EBADMSG },
	{ "privacy: altered header (opcode)", TESS_SEC_PRIVACY, false, -1, 6,
	  .expected = -EBADMSG },
	{ "privacy: altered header (status)", TESS_SEC_PRIVACY, true, -1, 20,
	  .expected = -EBADMSG },
	{ "privacy: altered tag", TESS_SEC_PRIVACY, true, -1, -1, true,
	  .expected = -EBADMSG },
	{ "privacy: replayed (seq 6 expected)", TESS_SEC_PRIVACY, false, -1,
	  -1, .seq_delta = 1, .expected = -EBADMSG },
	{ "privacy: seq 2^32 + 5 expected", TESS_SEC_PRIVACY, true, -1, -1,
	  .seq_delta = 1ll << 32, .expected = -EBADMSG },
	{ "privacy: other key", TESS_SEC_PRIVACY, false, -1, -1,
	  .other_key = true, .expected = -EBADMSG },
};

static void sec_case_desc(const struct sec_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(sec, sec_cases, sec_case_desc);

static void tnet_sec_frame_test(struct kunit *test)
{
	const struct sec_case *t = test->param_value;
	u8 tag[TESS_SEC_TAG_LEN], now[KAT_LEN];
	struct tnet_sec *s = kat_sec(test, t->flavor);
	struct tess_hdr hdr;
	struct kat_frame fr;
	int err;

	kat_frame_init(test, &fr, t->paged);
	/* the CRCs of the header as sent are not part of the AAD */
	kat_hdr(&hdr, 0x11223344, 0x55667788);
	err = tnet_sec_seal(s, TESS_KAT_FRAME_SEQ, &hdr, &fr.d, tag);
	KUNIT_ASSERT_EQ(test, err, 0);
	kat_frame_read(&fr, now);
	if (t->flavor == TESS_SEC_INTEGRITY) {
		EXPECT_BYTES(test, tag, tess_kat_integrity_tag,
				   TESS_SEC_TAG_LEN);
		EXPECT_BYTES(test, now, tess_kat_frame_body,
				   KAT_BODY_LEN);
		EXPECT_BYTES(test, now + KAT_BODY_LEN,
				   tess_kat_frame_bulk, KAT_BULK_LEN);
	} else {
		EXPECT_BYTES(test, tag, tess_kat_privacy_tag,
				   TESS_SEC_TAG_LEN);
		EXPECT_BYTES(test, now, tess_kat_privacy_ct, KAT_LEN);
	}

	/* what the receiver gets */
	if (t->flip_data >= 0)
		kat_frame_flip(&fr, t->flip_data);
	if (t->flip_hdr >= 0)
		((u8 *)&hdr)[t->flip_hdr] ^= 1;
	if (t->flip_tag)
		tag[TESS_SEC_TAG_LEN - 1] ^= 0x80;
	if (t->other_key) {
		struct tnet_sec_keys keys = {};

		tnet_sec_free(s);
		memcpy(keys.rx_key, tess_kat_okm + 32, TESS_SEC_KEY_LEN);
		memcpy(keys.tx_key, tess_kat_okm + 32, TESS_SEC_KEY_LEN);
		memcpy(keys.rx_iv, tess_kat_okm + 64, TESS_SEC_IV_LEN);
		memcpy(keys.tx_iv, tess_kat_okm + 64, TESS_SEC_IV_LEN);
		s = tnet_sec_create(t->flavor, &keys);
		KUNIT_ASSERT_FALSE(test, IS_ERR(s));
	}
	err = tnet_sec_open(s, TESS_KAT_FRAME_SEQ + t->seq_delta, &hdr,
			    &fr.d, tag);
	KUNIT_EXPECT_EQ(test, err, t->expected);
	if (!err) {
		/* privacy: decrypted in place back to the plaintext */
		kat_frame_read(&fr, now);
		EXPECT_BYTES(test, now, tess_kat_frame_body,
				   KAT_BODY_LEN);
		EXPECT_BYTES(test, now + KAT_BODY_LEN,
				   tess_kat_frame_bulk, KAT_BULK_LEN);
	}
	kat_frame_free(&fr);
	tnet_sec_free(s);
}

/* the integrity tag in parts, as rpc.c sends and drains frames */
static void tnet_sec_mac_parts_test(struct kunit *test)
{
	struct tnet_sec *s = kat_sec(test, TESS_SEC_INTEGRITY);
	u8 tag[TESS_SEC_TAG_LEN];
	struct tess_hdr hdr;
	unsigned int i;

	kat_hdr(&hdr, 1, 2);
	KUNIT_ASSERT_EQ(test, tnet_sec_mac_begin(s, true, TESS_KAT_FRAME_SEQ,
						 &hdr), 0);
	for (i = 0; i < KAT_BODY_LEN; i++)
		KUNIT_ASSERT_EQ(test, tnet_sec_mac_update(s, true,
				tess_kat_frame_body + i, 1), 0);
	KUNIT_ASSERT_EQ(test, tnet_sec_mac_update(s, true, tess_kat_frame_bulk,
						  KAT_BULK_LEN), 0);
	KUNIT_ASSERT_EQ(test, tnet_sec_mac_end(s, true, tag), 0);
	EXPECT_BYTES(test, tag, tess_kat_integrity_tag,
			   TESS_SEC_TAG_LEN);
	tnet_sec_free(s);
}

/* a frame without body and bulk still has a tag, and it checks out */
static void tnet_sec_empty_test(struct kunit *test)
{
	static const u8 flavors[] = { TESS_SEC_INTEGRITY, TESS_SEC_PRIVACY };
	struct tnet_sec_data d = {};
	u8 tag[TESS_SEC_TAG_LEN];
	struct tess_hdr hdr;
	unsigned int i;

	kat_hdr(&hdr, 0, 0);
	hdr.body_len = 0;
	hdr.bulk_len = 0;
	for (i = 0; i < ARRAY_SIZE(flavors); i++) {
		struct tnet_sec *s = kat_sec(test, flavors[i]);

		KUNIT_EXPECT_EQ(test, tnet_sec_seal(s, 0, &hdr, &d, tag), 0);
		KUNIT_EXPECT_EQ(test, tnet_sec_open(s, 0, &hdr, &d, tag), 0);
		KUNIT_EXPECT_EQ(test, tnet_sec_open(s, 1, &hdr, &d, tag),
				-EBADMSG);
		tnet_sec_free(s);
	}
}

/* a flavor that is not one, and the keys are wiped all the same */
static void tnet_sec_bad_flavor_test(struct kunit *test)
{
	struct tnet_sec_keys keys;
	struct tnet_sec *s;

	memset(&keys, 0x5a, sizeof(keys));
	s = tnet_sec_create(TESS_SEC_AUTH, &keys);
	KUNIT_EXPECT_EQ(test, PTR_ERR(s), -EINVAL);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(&keys, 0, sizeof(keys)));
	memset(&keys, 0x5a, sizeof(keys));
	s = tnet_sec_create(3, &keys);
	KUNIT_EXPECT_EQ(test, PTR_ERR(s), -EINVAL);
	tnet_sec_free(NULL);
}

static struct kunit_case tnet_sec_cases[] = {
	KUNIT_CASE_PARAM(tnet_sec_frame_test, sec_gen_params),
	KUNIT_CASE(tnet_sec_mac_parts_test),
	KUNIT_CASE(tnet_sec_empty_test),
	KUNIT_CASE(tnet_sec_bad_flavor_test),
	{}
};

static struct kunit_suite tnet_sec_suite = {
	.name = "tnet_sec",
	.test_cases = tnet_sec_cases,
};

kunit_test_suite(tnet_sec_suite);

MODULE_LICENSE("GPL");
