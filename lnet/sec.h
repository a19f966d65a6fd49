/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sec.h - protected frames of sec=integrity and sec=privacy
 * (include/tessera.h, "Protected frames"), per connection, for rpc.c.
 *
 * A struct tnet_sec is built from the session keys of a version 4
 * handshake (tnet_sec_create wipes them) and holds one transform per
 * direction: HMAC-SHA256 (integrity) or AES-256-GCM (privacy).  The
 * caller counts the frames (tx_seq, rx_seq) and passes the seq of each.
 *
 * A frame's data is described by struct tnet_sec_data: a linear buffer
 * (kmalloc'd or vmalloc'd, not on the stack under privacy) followed by
 * pages.  Under privacy it is encrypted or decrypted in place.
 */
#ifndef _TESSERA_SEC_H
#define _TESSERA_SEC_H

#include <linux/types.h>
#include <linux/bvec.h>

#include "tnet.h"

struct crypto_shash;
struct crypto_aead;
struct shash_desc;
struct scatterlist;

struct tnet_sec_dir {
	struct crypto_shash *mac;	/* integrity */
	struct shash_desc *desc;	/* its running state */
	struct crypto_aead *aead;	/* privacy */
	struct scatterlist *sg;		/* AAD | data | tag, grown as needed */
	unsigned int sg_cap;
	u8 iv[TESS_SEC_IV_LEN];
	u8 aad[sizeof(struct tess_hdr)];	/* not on the stack: in sg */
	u8 tag[TESS_SEC_TAG_LEN];
};

struct tnet_sec {
	u8 flavor;			/* TESS_SEC_INTEGRITY or _PRIVACY */
	u64 tx_seq, rx_seq;		/* the caller's counters */
	struct tnet_sec_dir tx, rx;
	void *bounce;			/* privacy: ciphertext to send */
	size_t bounce_cap;
};

/* a frame's body and bulk: @len bytes at @buf, then @bv_len of pages */
struct tnet_sec_data {
	void *buf;
	u32 len;
	const struct bio_vec *bv;
	unsigned int nr;
	u32 bv_len;
};

struct tnet_sec *tnet_sec_create(u8 flavor, struct tnet_sec_keys *keys);
void tnet_sec_free(struct tnet_sec *s);

/*
 * Protect (@tx) a frame whose header as sent, CRCs zero, is @aad: set
 * @tag; under privacy encrypt @d in place.  0 or -errno.
 */
int tnet_sec_seal(struct tnet_sec *s, u64 seq, const struct tess_hdr *aad,
		  const struct tnet_sec_data *d, u8 tag[TESS_SEC_TAG_LEN]);
/*
 * Check a received frame (@hdr as received; its CRCs are zeroed here)
 * against @tag; under privacy decrypt @d in place (garbage on failure).
 * 0, -EBADMSG for a wrong tag, or another -errno.
 */
int tnet_sec_open(struct tnet_sec *s, u64 seq, const struct tess_hdr *hdr,
		  const struct tnet_sec_data *d,
		  const u8 tag[TESS_SEC_TAG_LEN]);

/* integrity in parts (a frame that is received and thrown away) */
int tnet_sec_mac_begin(struct tnet_sec *s, bool tx, u64 seq,
		       const struct tess_hdr *hdr);
int tnet_sec_mac_update(struct tnet_sec *s, bool tx, const void *p, u32 len);
int tnet_sec_mac_bvec(struct tnet_sec *s, bool tx, const struct bio_vec *bv,
		      unsigned int nr, u32 len);
int tnet_sec_mac_end(struct tnet_sec *s, bool tx, u8 tag[TESS_SEC_TAG_LEN]);

/* the privacy bounce buffer, at least @len bytes (send_mutex held) */
void *tnet_sec_bounce(struct tnet_sec *s, size_t len);

#endif /* _TESSERA_SEC_H */
