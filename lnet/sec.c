// SPDX-License-Identifier: GPL-2.0
/*
 * sec.c - protected frames of sec=integrity and sec=privacy (issue 12;
 * include/tessera.h, "Protected frames"), per connection:
 *
 *   integrity: tag = HMAC-SHA256(key_dir, seq (le64) | AAD | body | bulk),
 *              its first 16 bytes
 *   privacy:   AES-256-GCM(key_dir, IV = iv_dir | seq (le64), AAD) of
 *              body | bulk, in place; tag = the GCM tag
 *
 * AAD is the frame header as sent with body_crc and bulk_crc zero.  The
 * functions work on plain buffers and pages (struct tnet_sec_data), so
 * KUnit checks them against common/tess_sec_kat.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <crypto/aead.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>

#include "sec.h"

#define TNET_SEC_GCM_IV_LEN	12

static int sec_dir_init(struct tnet_sec_dir *dir, u8 flavor, const u8 *key,
			const u8 *iv)
{
	int err;

	memcpy(dir->iv, iv, TESS_SEC_IV_LEN);
	if (flavor == TESS_SEC_INTEGRITY) {
		struct crypto_shash *mac;

		mac = crypto_alloc_shash("hmac(sha256)", 0, 0);
		if (IS_ERR(mac))
			return PTR_ERR(mac);
		dir->mac = mac;
		if (crypto_shash_digestsize(mac) < TESS_SEC_TAG_LEN)
			return -EINVAL;
		err = crypto_shash_setkey(mac, key, TESS_SEC_KEY_LEN);
		if (err)
			return err;
		dir->desc = kmalloc(sizeof(*dir->desc) +
				    crypto_shash_descsize(mac), GFP_KERNEL);
		if (!dir->desc)
			return -ENOMEM;
		dir->desc->tfm = mac;
		return 0;
	}
	dir->aead = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(dir->aead)) {
		err = PTR_ERR(dir->aead);
		dir->aead = NULL;
		return err;
	}
	if (crypto_aead_ivsize(dir->aead) != TNET_SEC_GCM_IV_LEN)
		return -EINVAL;
	err = crypto_aead_setkey(dir->aead, key, TESS_SEC_KEY_LEN);
	if (!err)
		err = crypto_aead_setauthsize(dir->aead, TESS_SEC_TAG_LEN);
	return err;
}

static void sec_dir_free(struct tnet_sec_dir *dir)
{
	if (dir->desc) {
		shash_desc_zero(dir->desc);
		kfree(dir->desc);
	}
	if (!IS_ERR_OR_NULL(dir->mac))
		crypto_free_shash(dir->mac);
	if (dir->aead)
		crypto_free_aead(dir->aead);
	kvfree(dir->sg);
	memzero_explicit(dir, sizeof(*dir));
}

/**
 * tnet_sec_create - the protection of one connection
 * @flavor: TESS_SEC_INTEGRITY or TESS_SEC_PRIVACY
 * @keys: the session keys of the handshake; wiped here in any case
 *
 * Return: the state or an ERR_PTR (-EINVAL for another flavor, or a
 * -errno of the crypto API: -ENOENT when the algorithm is missing).
 */
struct tnet_sec *tnet_sec_create(u8 flavor, struct tnet_sec_keys *keys)
{
	struct tnet_sec *s;
	int err = -EINVAL;

	if (flavor != TESS_SEC_INTEGRITY && flavor != TESS_SEC_PRIVACY)
		goto out_wipe;
	err = -ENOMEM;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		goto out_wipe;
	s->flavor = flavor;
	err = sec_dir_init(&s->tx, flavor, keys->tx_key, keys->tx_iv);
	if (!err)
		err = sec_dir_init(&s->rx, flavor, keys->rx_key, keys->rx_iv);
	memzero_explicit(keys, sizeof(*keys));
	if (err) {
		tnet_sec_free(s);
		return ERR_PTR(err);
	}
	return s;

out_wipe:
	memzero_explicit(keys, sizeof(*keys));
	return ERR_PTR(err);
}

/**
 * tnet_sec_free - free what tnet_sec_create made
 * @s: the state (NULL is ignored)
 */
void tnet_sec_free(struct tnet_sec *s)
{
	if (!s)
		return;
	sec_dir_free(&s->tx);
	sec_dir_free(&s->rx);
	kvfree(s->bounce);
	kfree_sensitive(s);
}

/**
 * tnet_sec_bounce - the buffer privacy encrypts a frame into before it
 * is sent (the body and pages to send are the caller's: never changed)
 * @s: the state
 * @len: bytes needed
 *
 * Grows to the largest frame sent so far.  Callers serialize (sending).
 *
 * Return: the buffer, or NULL if out of memory.
 */
void *tnet_sec_bounce(struct tnet_sec *s, size_t len)
{
	unsigned int nofs;
	void *p;

	if (len <= s->bounce_cap && s->bounce)
		return s->bounce;
	len = max_t(size_t, len, PAGE_SIZE);
	nofs = memalloc_nofs_save();
	p = kvmalloc(len, GFP_KERNEL);
	memalloc_nofs_restore(nofs);
	if (!p)
		return NULL;
	kvfree(s->bounce);
	s->bounce = p;
	s->bounce_cap = len;
	return p;
}

/* ---- integrity ---- */

static struct tnet_sec_dir *sec_dir(struct tnet_sec *s, bool tx)
{
	return tx ? &s->tx : &s->rx;
}

/**
 * tnet_sec_mac_begin - start the integrity tag of a frame
 * @s: the state
 * @tx: the direction: sent (true) or received
 * @seq: the frame's seq in that direction
 * @hdr: its header (the CRCs are taken as zero)
 *
 * Return: 0 or -errno.
 */
int tnet_sec_mac_begin(struct tnet_sec *s, bool tx, u64 seq,
		       const struct tess_hdr *hdr)
{
	struct tnet_sec_dir *dir = sec_dir(s, tx);
	struct tess_hdr aad = *hdr;
	__le64 le = cpu_to_le64(seq);
	int err;

	if (!dir->desc)
		return -EINVAL;
	aad.body_crc = 0;
	aad.bulk_crc = 0;
	err = crypto_shash_init(dir->desc);
	if (!err)
		err = crypto_shash_update(dir->desc, (u8 *)&le, sizeof(le));
	if (!err)
		err = crypto_shash_update(dir->desc, (u8 *)&aad, sizeof(aad));
	return err;
}

/**
 * tnet_sec_mac_update - continue the tag with bytes of body or bulk
 * @s: the state
 * @tx: the direction
 * @p: the bytes (any kernel address)
 * @len: how many
 *
 * Return: 0 or -errno.
 */
int tnet_sec_mac_update(struct tnet_sec *s, bool tx, const void *p, u32 len)
{
	struct tnet_sec_dir *dir = sec_dir(s, tx);

	if (!len)
		return 0;
	return crypto_shash_update(dir->desc, p, len);
}

/**
 * tnet_sec_mac_bvec - continue the tag with the first @len bytes of pages
 * @s: the state
 * @tx: the direction
 * @bv: page vector
 * @nr: entries in @bv
 * @len: bytes to cover
 *
 * Return: 0 or -errno.
 */
int tnet_sec_mac_bvec(struct tnet_sec *s, bool tx, const struct bio_vec *bv,
		      unsigned int nr, u32 len)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < nr && len && !err; i++) {
		u32 off = bv[i].bv_offset;
		u32 left = min(bv[i].bv_len, len);

		len -= left;
		while (left && !err) {
			struct page *page = bv[i].bv_page + (off >> PAGE_SHIFT);
			u32 poff = offset_in_page(off);
			u32 n = min_t(u32, left, PAGE_SIZE - poff);
			void *p = kmap_local_page(page);

			err = tnet_sec_mac_update(s, tx, p + poff, n);
			kunmap_local(p);
			off += n;
			left -= n;
		}
	}
	return err;
}

/**
 * tnet_sec_mac_end - the tag: the first 16 bytes of the HMAC
 * @s: the state
 * @tx: the direction
 * @tag: set
 *
 * Return: 0 or -errno.
 */
int tnet_sec_mac_end(struct tnet_sec *s, bool tx, u8 tag[TESS_SEC_TAG_LEN])
{
	struct tnet_sec_dir *dir = sec_dir(s, tx);
	u8 out[HASH_MAX_DIGESTSIZE];
	int err;

	err = crypto_shash_final(dir->desc, out);
	if (!err)
		memcpy(tag, out, TESS_SEC_TAG_LEN);
	memzero_explicit(out, sizeof(out));
	return err;
}

static int sec_mac(struct tnet_sec *s, bool tx, u64 seq,
		   const struct tess_hdr *hdr, const struct tnet_sec_data *d,
		   u8 tag[TESS_SEC_TAG_LEN])
{
	int err;

	err = tnet_sec_mac_begin(s, tx, seq, hdr);
	if (!err)
		err = tnet_sec_mac_update(s, tx, d->buf, d->len);
	if (!err && d->bv_len)
		err = tnet_sec_mac_bvec(s, tx, d->bv, d->nr, d->bv_len);
	if (!err)
		err = tnet_sec_mac_end(s, tx, tag);
	return err;
}

/* ---- privacy ---- */

static unsigned int sec_pages(unsigned long off, u32 len)
{
	return len ? DIV_ROUND_UP(offset_in_page(off) + len, PAGE_SIZE) : 0;
}

/* scatterlist entries @d needs, or 0 if @d does not add up */
static unsigned int sec_sg_count(const struct tnet_sec_data *d)
{
	unsigned int n = 2 + sec_pages((unsigned long)d->buf, d->len);
	u32 len = d->bv_len;
	unsigned int i;

	for (i = 0; i < d->nr && len; i++) {
		u32 l = min(d->bv[i].bv_len, len);

		n += sec_pages(d->bv[i].bv_offset, l);
		len -= l;
	}
	return len ? 0 : n;
}

/* a buffer from kmalloc or vmalloc, one entry a page */
static unsigned int sec_sg_buf(struct scatterlist *sg, unsigned int n,
			       void *buf, u32 len)
{
	while (len) {
		u32 off = offset_in_page(buf);
		u32 c = min_t(u32, len, PAGE_SIZE - off);
		struct page *pg = is_vmalloc_addr(buf) ? vmalloc_to_page(buf) :
			virt_to_page(buf);

		sg_set_page(&sg[n++], pg, c, off);
		buf += c;
		len -= c;
	}
	return n;
}

/* AAD | data | tag of @d in @dir->sg; the number of entries, or -errno */
static int sec_sg_build(struct tnet_sec_dir *dir, const struct tnet_sec_data *d)
{
	unsigned int need = sec_sg_count(d), n = 0, i;
	u32 len = d->bv_len;

	if (!need)
		return -EINVAL;
	if (need > dir->sg_cap) {
		unsigned int nofs = memalloc_nofs_save();
		struct scatterlist *sg;

		sg = kvmalloc_array(need, sizeof(*sg), GFP_KERNEL);
		memalloc_nofs_restore(nofs);
		if (!sg)
			return -ENOMEM;
		kvfree(dir->sg);
		dir->sg = sg;
		dir->sg_cap = need;
	}
	sg_init_table(dir->sg, need);
	sg_set_buf(&dir->sg[n++], dir->aad, sizeof(dir->aad));
	n = sec_sg_buf(dir->sg, n, d->buf, d->len);
	for (i = 0; i < d->nr && len; i++) {
		u32 off = d->bv[i].bv_offset;
		u32 left = min(d->bv[i].bv_len, len);

		len -= left;
		while (left) {
			struct page *page = d->bv[i].bv_page + (off >> PAGE_SHIFT);
			u32 poff = offset_in_page(off);
			u32 c = min_t(u32, left, PAGE_SIZE - poff);

			sg_set_page(&dir->sg[n++], page, c, poff);
			off += c;
			left -= c;
		}
	}
	sg_set_buf(&dir->sg[n++], dir->tag, sizeof(dir->tag));
	return n == need ? 0 : -EINVAL;
}

static int sec_gcm(struct tnet_sec *s, bool tx, u64 seq,
		   const struct tess_hdr *hdr, const struct tnet_sec_data *d,
		   u8 tag[TESS_SEC_TAG_LEN])
{
	struct tnet_sec_dir *dir = sec_dir(s, tx);
	struct tess_hdr *aad = (struct tess_hdr *)dir->aad;
	u8 iv[TNET_SEC_GCM_IV_LEN];
	__le64 le = cpu_to_le64(seq);
	u32 len = d->len + d->bv_len;
	DECLARE_CRYPTO_WAIT(wait);
	struct aead_request *req;
	unsigned int nofs;
	int err;

	if (!dir->aead)
		return -EINVAL;
	*aad = *hdr;
	aad->body_crc = 0;
	aad->bulk_crc = 0;
	if (!tx)
		memcpy(dir->tag, tag, TESS_SEC_TAG_LEN);
	err = sec_sg_build(dir, d);
	if (err)
		return err;
	memcpy(iv, dir->iv, TESS_SEC_IV_LEN);
	memcpy(iv + TESS_SEC_IV_LEN, &le, sizeof(le));

	nofs = memalloc_nofs_save();
	req = aead_request_alloc(dir->aead, GFP_KERNEL);
	memalloc_nofs_restore(nofs);
	if (!req)
		return -ENOMEM;
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP |
				  CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, sizeof(*aad));
	aead_request_set_crypt(req, dir->sg, dir->sg,
			       tx ? len : len + TESS_SEC_TAG_LEN, iv);
	if (tx)
		err = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	else
		err = crypto_wait_req(crypto_aead_decrypt(req), &wait);
	aead_request_free(req);
	if (!err && tx)
		memcpy(tag, dir->tag, TESS_SEC_TAG_LEN);
	return err;
}

/**
 * tnet_sec_seal - protect a frame to send
 * @s: the state
 * @seq: the frame's seq (client to server)
 * @aad: its header as sent (the CRCs are taken as zero)
 * @d: body and bulk; under privacy encrypted in place
 * @tag: set to the tag that follows the frame
 *
 * Return: 0 or -errno.
 */
int tnet_sec_seal(struct tnet_sec *s, u64 seq, const struct tess_hdr *aad,
		  const struct tnet_sec_data *d, u8 tag[TESS_SEC_TAG_LEN])
{
	if (s->flavor == TESS_SEC_INTEGRITY)
		return sec_mac(s, true, seq, aad, d, tag);
	return sec_gcm(s, true, seq, aad, d, tag);
}

/**
 * tnet_sec_open - check a received frame
 * @s: the state
 * @seq: the seq this side expects
 * @hdr: the frame's header as received
 * @d: body and bulk; under privacy decrypted in place (not to be used
 *	when this fails)
 * @tag: the tag received after the frame
 *
 * Return: 0, -EBADMSG if the tag is wrong, or another -errno.
 */
int tnet_sec_open(struct tnet_sec *s, u64 seq, const struct tess_hdr *hdr,
		  const struct tnet_sec_data *d,
		  const u8 tag[TESS_SEC_TAG_LEN])
{
	u8 want[TESS_SEC_TAG_LEN];
	int err;

	if (s->flavor == TESS_SEC_PRIVACY)
		return sec_gcm(s, false, seq, hdr, d, (u8 *)tag);
	err = sec_mac(s, false, seq, hdr, d, want);
	if (!err && crypto_memneq(want, tag, TESS_SEC_TAG_LEN))
		err = -EBADMSG;
	memzero_explicit(want, sizeof(want));
	return err;
}
