// SPDX-License-Identifier: MIT
/*
 * tnet_sec.c - protected frames (issue 12; include/tessera.h, "Protected
 * frames"): after the AUTH reply of a version 4 handshake that agreed
 * sec=integrity or sec=privacy, every frame carries a TESS_SEC_TAG_LEN
 * tag over a per-direction sequence number, its header (CRCs zero), body
 * and bulk:
 *
 *   integrity: HMAC-SHA256(key, le64 seq | header | body | bulk), its
 *              first 16 bytes; body and bulk go as they are.
 *   privacy:   AES-256-GCM(key, iv | le64 seq), the header as AAD, body
 *              and bulk as one plaintext sent as ciphertext.
 *
 * The contexts live in c->sec_ctx; the raw keys in c are wiped once they
 * are built.  A connection is used by one thread at a time (its lock, or
 * the server's thread of it), so nothing here locks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "tnet.h"
#include "tnet_sec.h"

struct sec_dir {
	uint8_t key[TESS_SEC_KEY_LEN];
	uint8_t iv[TESS_SEC_IV_LEN];
	EVP_MAC_CTX *mac;		/* integrity */
	EVP_CIPHER_CTX *gcm;		/* privacy: key set, IV per frame */
};

struct tnet_sec {
	int flavor;
	EVP_MAC *hmac;
	struct sec_dir tx, rx;
	uint8_t *buf;			/* privacy: ciphertext being sent */
	size_t cap;
};

static void le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void dir_free(struct sec_dir *d)
{
	EVP_MAC_CTX_free(d->mac);
	EVP_CIPHER_CTX_free(d->gcm);
	OPENSSL_cleanse(d, sizeof(*d));
}

static int dir_init(struct tnet_sec *s, struct sec_dir *d, const uint8_t *key,
		    const uint8_t *iv, bool encrypt)
{
	memcpy(d->key, key, TESS_SEC_KEY_LEN);
	memcpy(d->iv, iv, TESS_SEC_IV_LEN);
	if (s->flavor == TESS_SEC_INTEGRITY) {
		d->mac = EVP_MAC_CTX_new(s->hmac);
		return d->mac ? 0 : -ENOMEM;
	}
	d->gcm = EVP_CIPHER_CTX_new();
	if (!d->gcm)
		return -ENOMEM;
	if (!EVP_CipherInit_ex(d->gcm, EVP_aes_256_gcm(), NULL, d->key, NULL,
			       encrypt))
		return -ENOMEM;
	return 0;
}

void tnet_sec_free(struct tnet_conn *c)
{
	struct tnet_sec *s = c->sec_ctx;

	if (!s)
		return;
	dir_free(&s->tx);
	dir_free(&s->rx);
	EVP_MAC_free(s->hmac);
	free(s->buf);
	free(s);
	c->sec_ctx = NULL;
}

int tnet_sec_start(struct tnet_conn *c)
{
	struct tnet_sec *s;
	int rc = -ENOMEM;

	if (c->sec_ctx)
		return 0;
	if (c->sec != TESS_SEC_INTEGRITY && c->sec != TESS_SEC_PRIVACY)
		return 0;		/* sec=auth: nothing to protect */
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->flavor = c->sec;
	c->sec_ctx = s;
	if (s->flavor == TESS_SEC_INTEGRITY) {
		s->hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
		if (!s->hmac)
			goto fail;
	}
	rc = dir_init(s, &s->tx, c->tx_key, c->tx_iv, true);
	if (!rc)
		rc = dir_init(s, &s->rx, c->rx_key, c->rx_iv, false);
	if (rc)
		goto fail;
	OPENSSL_cleanse(c->tx_key, sizeof(c->tx_key));
	OPENSSL_cleanse(c->rx_key, sizeof(c->rx_key));
	return 0;
fail:
	tnet_sec_free(c);
	return rc;
}

static struct tnet_sec *sec_of(struct tnet_conn *c)
{
	if (!c->sec_ctx && tnet_sec_start(c))
		return NULL;
	return c->sec_ctx;
}

/* HMAC(key, le64 seq | header with CRCs zero) begun in d->mac */
static int mac_begin(struct sec_dir *d, uint64_t seq, const struct tess_hdr *h)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	uint8_t s[8];

	le64_put(s, seq);
	if (!EVP_MAC_init(d->mac, d->key, sizeof(d->key), params) ||
	    !EVP_MAC_update(d->mac, s, sizeof(s)) ||
	    !EVP_MAC_update(d->mac, (const void *)h, sizeof(*h)))
		return -EIO;
	return 0;
}

static int mac_end(struct sec_dir *d, uint8_t tag[TESS_SEC_TAG_LEN])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t len = 0;

	if (!EVP_MAC_final(d->mac, full, &len, sizeof(full)) ||
	    len < TESS_SEC_TAG_LEN)
		return -EIO;
	memcpy(tag, full, TESS_SEC_TAG_LEN);
	OPENSSL_cleanse(full, sizeof(full));
	return 0;
}

/* AES-256-GCM with IV iv | le64 seq, the header as AAD, begun in d->gcm */
static int gcm_begin(struct sec_dir *d, uint64_t seq, const struct tess_hdr *h)
{
	uint8_t iv[TESS_SEC_IV_LEN + 8];
	int n;

	memcpy(iv, d->iv, TESS_SEC_IV_LEN);
	le64_put(iv + TESS_SEC_IV_LEN, seq);
	if (!EVP_CipherInit_ex(d->gcm, NULL, NULL, NULL, iv, -1) ||
	    !EVP_CipherUpdate(d->gcm, NULL, &n, (const void *)h, sizeof(*h)))
		return -EIO;
	return 0;
}

/* out = in under GCM, len bytes (in == out is fine) */
static int gcm_update(struct sec_dir *d, uint8_t *out, const uint8_t *in,
		      size_t len)
{
	while (len) {
		int chunk = len > (1u << 30) ? 1 << 30 : (int)len, n;

		if (!EVP_CipherUpdate(d->gcm, out, &n, in, chunk) || n != chunk)
			return -EIO;
		out += chunk;
		in += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

static int begin(struct tnet_sec *s, struct sec_dir *d, uint64_t seq,
		 const struct tess_hdr *h)
{
	struct tess_hdr aad = *h;

	aad.body_crc = 0;
	aad.bulk_crc = 0;
	return s->flavor == TESS_SEC_INTEGRITY ? mac_begin(d, seq, &aad) :
						 gcm_begin(d, seq, &aad);
}

static int buf_room(struct tnet_sec *s, size_t len)
{
	uint8_t *nb;

	if (len <= s->cap)
		return 0;
	nb = realloc(s->buf, len);
	if (!nb)
		return -ENOMEM;
	s->buf = nb;
	s->cap = len;
	return 0;
}

static int seal_privacy(struct tnet_sec *s, const void *body,
			uint32_t body_len, const void *bulk, uint32_t bulk_len,
			const void **wbody, const void **wbulk,
			uint8_t tag[TESS_SEC_TAG_LEN])
{
	struct sec_dir *d = &s->tx;
	int n;

	if (buf_room(s, (size_t)body_len + bulk_len))
		return -ENOMEM;
	if ((body_len && gcm_update(d, s->buf, body, body_len)) ||
	    (bulk_len && gcm_update(d, s->buf + body_len, bulk, bulk_len)) ||
	    !EVP_CipherFinal_ex(d->gcm, s->buf, &n) ||
	    !EVP_CIPHER_CTX_ctrl(d->gcm, EVP_CTRL_GCM_GET_TAG,
				 TESS_SEC_TAG_LEN, tag))
		return -EIO;
	*wbody = s->buf;
	*wbulk = s->buf + body_len;
	return 0;
}

int tnet_sec_seal(struct tnet_conn *c, const struct tess_hdr *aad,
		  const void *body, uint32_t body_len,
		  const void *bulk, uint32_t bulk_len,
		  const void **wbody, const void **wbulk,
		  uint8_t tag[TESS_SEC_TAG_LEN])
{
	struct tnet_sec *s = sec_of(c);
	struct sec_dir *d;
	int rc;

	if (!s)
		return -ENOMEM;
	d = &s->tx;
	rc = begin(s, d, c->tx_seq, aad);
	if (rc)
		return rc;
	if (s->flavor == TESS_SEC_PRIVACY) {
		rc = seal_privacy(s, body, body_len, bulk, bulk_len, wbody,
				  wbulk, tag);
	} else {
		if ((body_len && !EVP_MAC_update(d->mac, body, body_len)) ||
		    (bulk_len && !EVP_MAC_update(d->mac, bulk, bulk_len)))
			return -EIO;
		rc = mac_end(d, tag);
		*wbody = body;
		*wbulk = bulk;
	}
	if (!rc)
		c->tx_seq++;
	return rc;
}

int tnet_sec_open_begin(struct tnet_conn *c, const struct tess_hdr *h)
{
	struct tnet_sec *s = sec_of(c);

	if (!s)
		return -ENOMEM;
	return begin(s, &s->rx, c->rx_seq, h);
}

int tnet_sec_open_update(struct tnet_conn *c, void *data, size_t len)
{
	struct tnet_sec *s = c->sec_ctx;

	if (!len)
		return 0;
	if (s->flavor == TESS_SEC_PRIVACY)
		return gcm_update(&s->rx, data, data, len);
	return EVP_MAC_update(s->rx.mac, data, len) ? 0 : -EIO;
}

int tnet_sec_open_end(struct tnet_conn *c, const uint8_t tag[TESS_SEC_TAG_LEN])
{
	struct tnet_sec *s = c->sec_ctx;
	uint8_t want[TESS_SEC_TAG_LEN], last[16];
	int n, rc;

	if (s->flavor == TESS_SEC_PRIVACY) {
		if (!EVP_CIPHER_CTX_ctrl(s->rx.gcm, EVP_CTRL_GCM_SET_TAG,
					 TESS_SEC_TAG_LEN, (void *)tag))
			return -EIO;
		rc = EVP_CipherFinal_ex(s->rx.gcm, last, &n) > 0 ? 0 :
		     TNET_ERR_SEC;
	} else {
		rc = mac_end(&s->rx, want);
		if (!rc && CRYPTO_memcmp(want, tag, TESS_SEC_TAG_LEN))
			rc = TNET_ERR_SEC;
	}
	if (!rc)
		c->rx_seq++;
	return rc;
}
