// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for lnet/hs.c: the version 4 handshake's transcript hash,
 * MACs and session keys against the known-answer vectors of
 * common/tess_sec_kat.h, which the daemons' user/lib/tnet_hs.c is held
 * to as well (tests/unit/test_hs.c): a kernel client and a daemon agree
 * on every byte.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <crypto/hash.h>

#include "tnet.h"
#include "tess_sec_kat.h"

#define EXPECT_BYTES(test, got, want, n)				\
	KUNIT_EXPECT_TRUE_MSG(test, !memcmp(got, want, n),		\
			      "got %*phN, want %*phN", (int)(n), got,	\
			      (int)(n), want)

static struct crypto_shash *kat_tfm(struct kunit *test)
{
	struct crypto_shash *tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(tfm));
	KUNIT_ASSERT_EQ(test, crypto_shash_setkey(tfm, tess_kat_key,
						  sizeof(tess_kat_key)), 0);
	return tfm;
}

static void tnet_hs_transcript_kat(struct kunit *test)
{
	struct tess_hello_req req;
	struct tess_hello_rep rep;
	u8 t[TESS_MAC_LEN];

	memcpy(&req, tess_kat_hello_req, sizeof(req));
	memcpy(&rep, tess_kat_hello_rep, sizeof(rep));
	memset(rep.mac, 0x5a, sizeof(rep.mac));	/* not counted */
	KUNIT_ASSERT_EQ(test, tnet_hs_transcript(&req, &rep, t), 0);
	EXPECT_BYTES(test, t, tess_kat_t, sizeof(t));

	/* a man in the middle who drops the flavor bit changes T */
	req.features ^= cpu_to_le64(TESS_FEAT_SEC_INTEGRITY);
	KUNIT_ASSERT_EQ(test, tnet_hs_transcript(&req, &rep, t), 0);
	KUNIT_EXPECT_TRUE(test, memcmp(t, tess_kat_t, sizeof(t)) != 0);
}

static void tnet_hs_mac_kat(struct kunit *test)
{
	struct crypto_shash *tfm = kat_tfm(test);
	u8 mac[TESS_MAC_LEN];

	KUNIT_EXPECT_EQ(test, tnet_hs_mac(tfm, TESS_HS_LABEL_SERVER,
					  tess_kat_t, mac), 0);
	EXPECT_BYTES(test, mac, tess_kat_server_mac, sizeof(mac));
	KUNIT_EXPECT_EQ(test, tnet_hs_mac(tfm, TESS_HS_LABEL_CLIENT,
					  tess_kat_t, mac), 0);
	EXPECT_BYTES(test, mac, tess_kat_client_mac, sizeof(mac));
	crypto_free_shash(tfm);
}

static void tnet_hs_keys_kat(struct kunit *test)
{
	struct crypto_shash *tfm = kat_tfm(test);
	struct tnet_sec_keys k;
	const u8 *okm = tess_kat_okm;

	KUNIT_ASSERT_EQ(test, tnet_hs_keys(tfm, tess_kat_hello_req + 32,
					   tess_kat_hello_rep + 32,
					   tess_kat_t, &k), 0);
	/* the client's view: it sends with key_c2s and iv_c2s */
	EXPECT_BYTES(test, k.tx_key, okm, TESS_SEC_KEY_LEN);
	EXPECT_BYTES(test, k.rx_key, okm + 32, TESS_SEC_KEY_LEN);
	EXPECT_BYTES(test, k.tx_iv, okm + 64, TESS_SEC_IV_LEN);
	EXPECT_BYTES(test, k.rx_iv, okm + 68, TESS_SEC_IV_LEN);
	crypto_free_shash(tfm);
}

static struct kunit_case tnet_hs_cases[] = {
	KUNIT_CASE(tnet_hs_transcript_kat),
	KUNIT_CASE(tnet_hs_mac_kat),
	KUNIT_CASE(tnet_hs_keys_kat),
	{}
};

static struct kunit_suite tnet_hs_suite = {
	.name = "tessera_hs",
	.test_cases = tnet_hs_cases,
};
kunit_test_suite(tnet_hs_suite);

MODULE_LICENSE("GPL");
