// SPDX-License-Identifier: MIT
/*
 * test_hs: the version 4 handshake's cryptography (user/lib/tnet_hs.c)
 * against the known answers of common/tess_sec_kat.h, which the kernel's
 * KUnit test holds lnet/auth.c to as well; and the flavor names.
 */
#include <errno.h>
#include <string.h>

#include "tu.h"
#include "../../user/lib/tnet_int.h"
#include "../../common/tess_sec_kat.h"

static void kat_key(struct tnet_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->bytes, tess_kat_key, sizeof(tess_kat_key));
	k->len = sizeof(tess_kat_key);
}

TU_CASE(transcript)
{
	struct tess_hello_req req;
	struct tess_hello_rep rep;
	uint8_t t[TESS_MAC_LEN];

	memcpy(&req, tess_kat_hello_req, sizeof(req));
	memcpy(&rep, tess_kat_hello_rep, sizeof(rep));
	/* the mac field does not count: it is what the MAC is put in */
	memset(rep.mac, 0x5a, sizeof(rep.mac));
	tnet_hs_transcript(&req, &rep, t);
	TU_CHECK(!memcmp(t, tess_kat_t, sizeof(t)));
	/* any other byte of either HELLO changes it (a downgrade) */
	req.features ^= cpu_to_le64(TESS_FEAT_SEC_INTEGRITY);
	tnet_hs_transcript(&req, &rep, t);
	TU_CHECK(memcmp(t, tess_kat_t, sizeof(t)));
}

TU_CASE(macs)
{
	struct tnet_key k;
	uint8_t mac[TESS_MAC_LEN];

	kat_key(&k);
	tnet_hs_mac(&k, TESS_HS_LABEL_SERVER, tess_kat_t, mac);
	TU_CHECK(!memcmp(mac, tess_kat_server_mac, sizeof(mac)));
	tnet_hs_mac(&k, TESS_HS_LABEL_CLIENT, tess_kat_t, mac);
	TU_CHECK(!memcmp(mac, tess_kat_client_mac, sizeof(mac)));
	k.bytes[0] ^= 1;
	tnet_hs_mac(&k, TESS_HS_LABEL_SERVER, tess_kat_t, mac);
	TU_CHECK(memcmp(mac, tess_kat_server_mac, sizeof(mac)));
}

TU_CASE(session_keys)
{
	struct tnet_key k;
	struct tnet_conn cl, sv;
	uint8_t okm[TESS_SEC_OKM_LEN];

	kat_key(&k);
	TU_EQ_INT(tnet_hs_okm(&k, tess_kat_hello_req + 32,
			      tess_kat_hello_rep + 32, tess_kat_t, okm), 0);
	TU_CHECK(!memcmp(okm, tess_kat_okm, sizeof(okm)));

	/* each side sends with the key the other receives with */
	memset(&cl, 0, sizeof(cl));
	memset(&sv, 0, sizeof(sv));
	tnet_hs_set_keys(&cl, okm, true);
	tnet_hs_set_keys(&sv, okm, false);
	TU_CHECK(!memcmp(cl.tx_key, tess_kat_okm, TESS_SEC_KEY_LEN));
	TU_CHECK(!memcmp(cl.tx_iv, tess_kat_okm + 64, TESS_SEC_IV_LEN));
	TU_CHECK(!memcmp(cl.tx_key, sv.rx_key, TESS_SEC_KEY_LEN));
	TU_CHECK(!memcmp(cl.rx_key, sv.tx_key, TESS_SEC_KEY_LEN));
	TU_CHECK(!memcmp(cl.tx_iv, sv.rx_iv, TESS_SEC_IV_LEN));
	TU_CHECK(!memcmp(cl.rx_iv, sv.tx_iv, TESS_SEC_IV_LEN));
	TU_CHECK(memcmp(cl.tx_key, cl.rx_key, TESS_SEC_KEY_LEN));
}

TU_CASE(flavors)
{
	TU_EQ_INT(tnet_sec_parse("auth"), TESS_SEC_AUTH);
	TU_EQ_INT(tnet_sec_parse("integrity"), TESS_SEC_INTEGRITY);
	TU_EQ_INT(tnet_sec_parse("privacy"), TESS_SEC_PRIVACY);
	TU_EQ_INT(tnet_sec_parse("krb5p"), -EINVAL);
	TU_EQ_INT(tnet_sec_parse(""), -EINVAL);
	TU_EQ_INT(tnet_sec_parse(NULL), -EINVAL);
	TU_CHECK(!strcmp(tnet_sec_name(TESS_SEC_PRIVACY), "privacy"));
	TU_EQ_U64(tnet_sec_feature(TESS_SEC_AUTH), 0);
	TU_EQ_INT(tnet_sec_of_features(TESS_FEAT_BASE |
				       tnet_sec_feature(TESS_SEC_INTEGRITY)),
		  TESS_SEC_INTEGRITY);
	/* both bits: the stronger */
	TU_EQ_INT(tnet_sec_of_features(TESS_FEAT_SEC_MASK), TESS_SEC_PRIVACY);
}

int main(void)
{
	tu_suite = "hs";
	TU_RUN(transcript);
	TU_RUN(macs);
	TU_RUN(session_keys);
	TU_RUN(flavors);
	return tu_done();
}
