// SPDX-License-Identifier: MIT
/*
 * tnet_hs.c - the cryptography of a version 4 handshake (include/tessera.h,
 * issue 12): the transcript hash, the two MACs over it, the session keys,
 * and the names of the security flavors.  lnet/auth.c does the same in
 * the kernel; tests/unit/test_sec.c holds both to common/tess_sec_kat.h.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "tnet.h"
#include "tnet_int.h"

static const char *const sec_names[] = {
	[TESS_SEC_AUTH] = "auth",
	[TESS_SEC_INTEGRITY] = "integrity",
	[TESS_SEC_PRIVACY] = "privacy",
};

int tnet_sec_parse(const char *s)
{
	for (int i = 0; i <= TESS_SEC_PRIVACY; i++)
		if (s && !strcmp(s, sec_names[i]))
			return i;
	return -EINVAL;
}

const char *tnet_sec_name(int sec)
{
	return sec >= TESS_SEC_AUTH && sec <= TESS_SEC_PRIVACY ?
	       sec_names[sec] : "?";
}

uint64_t tnet_sec_feature(int sec)
{
	return sec == TESS_SEC_PRIVACY ? TESS_FEAT_SEC_PRIVACY :
	       sec == TESS_SEC_INTEGRITY ? TESS_FEAT_SEC_INTEGRITY : 0;
}

int tnet_sec_of_features(uint64_t features)
{
	return features & TESS_FEAT_SEC_PRIVACY ? TESS_SEC_PRIVACY :
	       features & TESS_FEAT_SEC_INTEGRITY ? TESS_SEC_INTEGRITY :
	       TESS_SEC_AUTH;
}

void tnet_hs_transcript(const struct tess_hello_req *req,
			const struct tess_hello_rep *rep,
			uint8_t t[TESS_MAC_LEN])
{
	struct tess_hello_rep r = *rep;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = TESS_MAC_LEN;

	memset(r.mac, 0, sizeof(r.mac));
	/* only a failed allocation fails, and then no MAC matches */
	memset(t, 0, TESS_MAC_LEN);
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, req, sizeof(*req)) &&
	    EVP_DigestUpdate(md, &r, sizeof(r)))
		EVP_DigestFinal_ex(md, t, &n);
	EVP_MD_CTX_free(md);
}

void tnet_hs_mac(const struct tnet_key *key, const char *label,
		 const uint8_t t[TESS_MAC_LEN], uint8_t out[TESS_MAC_LEN])
{
	uint8_t msg[64 + TESS_MAC_LEN];
	size_t ll = strlen(label);
	unsigned int outlen = TESS_MAC_LEN;

	memcpy(msg, label, ll);
	memcpy(msg + ll, t, TESS_MAC_LEN);
	HMAC(EVP_sha256(), key->bytes, (int)key->len, msg, ll + TESS_MAC_LEN,
	     out, &outlen);
}

/*
 * HKDF-SHA256 with salt K and IKM Nc | Ns, info "tessera-v4-session" | T:
 * the 72 bytes of keys and IVs, in the order of the spec.
 */
int tnet_hs_okm(const struct tnet_key *key, const uint8_t nc[TESS_NONCE_LEN],
		const uint8_t ns[TESS_NONCE_LEN], const uint8_t t[TESS_MAC_LEN],
		uint8_t okm[TESS_SEC_OKM_LEN])
{
	uint8_t ikm[2 * TESS_NONCE_LEN];
	uint8_t info[sizeof(TESS_HS_LABEL_SESSION) - 1 + TESS_MAC_LEN];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int rc = -ENOMEM;

	memcpy(ikm, nc, TESS_NONCE_LEN);
	memcpy(ikm + TESS_NONCE_LEN, ns, TESS_NONCE_LEN);
	memcpy(info, TESS_HS_LABEL_SESSION, sizeof(TESS_HS_LABEL_SESSION) - 1);
	memcpy(info + sizeof(TESS_HS_LABEL_SESSION) - 1, t, TESS_MAC_LEN);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						 (void *)key->bytes, key->len);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm,
						 sizeof(ikm));
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
						 sizeof(info));
	p[4] = OSSL_PARAM_construct_end();
	if (kctx && EVP_KDF_derive(kctx, okm, TESS_SEC_OKM_LEN, p) == 1)
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	OPENSSL_cleanse(ikm, sizeof(ikm));
	return rc;
}

/* this side's keys out of the OKM: the client sends with the c2s ones */
void tnet_hs_set_keys(struct tnet_conn *c, const uint8_t okm[TESS_SEC_OKM_LEN],
		      bool client)
{
	const uint8_t *kc2s = okm, *ks2c = okm + TESS_SEC_KEY_LEN;
	const uint8_t *ivc2s = okm + 2 * TESS_SEC_KEY_LEN;
	const uint8_t *ivs2c = ivc2s + TESS_SEC_IV_LEN;

	memcpy(c->tx_key, client ? kc2s : ks2c, TESS_SEC_KEY_LEN);
	memcpy(c->rx_key, client ? ks2c : kc2s, TESS_SEC_KEY_LEN);
	memcpy(c->tx_iv, client ? ivc2s : ivs2c, TESS_SEC_IV_LEN);
	memcpy(c->rx_iv, client ? ivs2c : ivc2s, TESS_SEC_IV_LEN);
	c->tx_seq = 0;
	c->rx_seq = 0;
}
