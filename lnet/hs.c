// SPDX-License-Identifier: GPL-2.0
/*
 * hs.c - the cryptography of a version 4 handshake (include/tessera.h,
 * issue 12): the transcript hash T, the MACs over it and the session
 * keys, as user/lib/tnet_hs.c computes them; both are held to
 * common/tess_sec_kat.h (tests/kunit/tnet_hs_test.c, tests/unit/test_hs.c).
 * auth.c runs the exchange.
 */
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <crypto/hash.h>

#include "tnet.h"

/**
 * tnet_hs_transcript - T = SHA-256(hello_req | hello_rep, its mac zeroed)
 * @req: the HELLO request body as sent
 * @rep: the HELLO reply body as received
 * @t: TESS_MAC_LEN bytes out
 *
 * Return: 0 or a -errno of the crypto API.
 */
int tnet_hs_transcript(const struct tess_hello_req *req,
		       const struct tess_hello_rep *rep, u8 *t)
{
	struct tess_hello_rep r = *rep;
	struct crypto_shash *sha;
	int err;

	sha = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(sha))
		return PTR_ERR(sha);
	memset(r.mac, 0, sizeof(r.mac));
	{
		SHASH_DESC_ON_STACK(desc, sha);

		desc->tfm = sha;
		err = crypto_shash_init(desc);
		if (!err)
			err = crypto_shash_update(desc, (const u8 *)req,
						  sizeof(*req));
		if (!err)
			err = crypto_shash_finup(desc, (const u8 *)&r,
						 sizeof(r), t);
		shash_desc_zero(desc);
	}
	crypto_free_shash(sha);
	return err;
}

/**
 * tnet_hs_mac - HMAC(K, @label | @t), a MAC of the version 4 handshake
 * @tfm: hmac(sha256) keyed with K (tnet_auth_alloc)
 * @label: TESS_HS_LABEL_SERVER or TESS_HS_LABEL_CLIENT
 * @t: the transcript hash
 * @out: TESS_MAC_LEN bytes
 *
 * Return: 0 or a -errno of the crypto API.
 */
int tnet_hs_mac(struct crypto_shash *tfm, const char *label, const u8 *t,
		u8 *out)
{
	SHASH_DESC_ON_STACK(desc, tfm);
	int err;

	desc->tfm = tfm;
	err = crypto_shash_init(desc);
	if (!err)
		err = crypto_shash_update(desc, label, strlen(label));
	if (!err)
		err = crypto_shash_finup(desc, t, TESS_MAC_LEN, out);
	shash_desc_zero(desc);
	return err;
}

/* HKDF-Expand(@prk, "tessera-v4-session" | @t) into @okm (3 blocks) */
static int tnet_hs_expand(const u8 *prk, const u8 *t, u8 *okm,
			  unsigned int blocks)
{
	static const char info[] = TESS_HS_LABEL_SESSION;
	struct crypto_shash *tfm;
	unsigned int i;
	u8 ctr;
	int err;

	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = crypto_shash_setkey(tfm, prk, TESS_MAC_LEN);
	for (i = 0; !err && i < blocks; i++) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		ctr = i + 1;
		err = crypto_shash_init(desc);
		if (!err && i)	/* T(i - 1) */
			err = crypto_shash_update(desc,
						  okm + (i - 1) * TESS_MAC_LEN,
						  TESS_MAC_LEN);
		if (!err)
			err = crypto_shash_update(desc, info, sizeof(info) - 1);
		if (!err)
			err = crypto_shash_update(desc, t, TESS_MAC_LEN);
		if (!err)
			err = crypto_shash_finup(desc, &ctr, 1,
						 okm + i * TESS_MAC_LEN);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return err;
}

/**
 * tnet_hs_keys - the session keys of a version 4 handshake, client's view
 * @tfm: hmac(sha256) keyed with K
 * @nc: the client's nonce
 * @ns: the server's nonce
 * @t: the transcript hash
 * @k: filled: tx = client to server, rx = server to client
 *
 * HKDF-SHA256 (RFC 5869): PRK = HMAC(K, Nc | Ns), then TESS_SEC_OKM_LEN
 * bytes of Expand(PRK, "tessera-v4-session" | T).
 *
 * Return: 0 or a -errno of the crypto API (then @k is zero).
 */
int tnet_hs_keys(struct crypto_shash *tfm, const u8 *nc, const u8 *ns,
		 const u8 *t, struct tnet_sec_keys *k)
{
	u8 prk[TESS_MAC_LEN], okm[3 * TESS_MAC_LEN];
	const u8 *iv = okm + 2 * TESS_SEC_KEY_LEN;
	int err;

	BUILD_BUG_ON(sizeof(okm) < TESS_SEC_OKM_LEN);
	memset(k, 0, sizeof(*k));
	{
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		err = crypto_shash_init(desc);
		if (!err)
			err = crypto_shash_update(desc, nc, TESS_NONCE_LEN);
		if (!err)
			err = crypto_shash_finup(desc, ns, TESS_NONCE_LEN, prk);
		shash_desc_zero(desc);
	}
	if (!err)
		err = tnet_hs_expand(prk, t, okm, ARRAY_SIZE(okm) / TESS_MAC_LEN);
	if (!err) {
		memcpy(k->tx_key, okm, TESS_SEC_KEY_LEN);
		memcpy(k->rx_key, okm + TESS_SEC_KEY_LEN, TESS_SEC_KEY_LEN);
		memcpy(k->tx_iv, iv, TESS_SEC_IV_LEN);
		memcpy(k->rx_iv, iv + TESS_SEC_IV_LEN, TESS_SEC_IV_LEN);
	}
	memzero_explicit(okm, sizeof(okm));
	memzero_explicit(prk, sizeof(prk));
	return err;
}
