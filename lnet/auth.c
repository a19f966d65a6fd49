// SPDX-License-Identifier: GPL-2.0
/*
 * auth.c - the client side of the Tessera connection handshake
 * (include/tessera.h), byte for byte as user/lib/tnet.c does it:
 *
 *   HELLO  {ver range, features, role, uuid, Nc}  ->
 *          <-  {ver, features, uuid, Ns, HMAC(K, "tessera-server-v4" | T)}
 *   AUTH   {HMAC(K, "tessera-client-v4" | T)}  ->
 *          <-  status 0, or EACCES and the connection is closed
 *
 * with T the SHA-256 of both HELLO bodies, and the session keys of
 * sec=integrity and sec=privacy by HKDF-SHA256 from K, the nonces and T.
 * A server older than version 4 gets the nonce-only MACs of before.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/random.h>
#include <linux/string.h>
#include <crypto/hash.h>
#include <crypto/algapi.h>

#include "tnet.h"

/**
 * tnet_auth_alloc - an HMAC-SHA256 transform keyed with the shared key
 * @key: the key bytes (the key file's contents)
 * @key_len: TESS_KEY_MIN to TESS_KEY_MAX bytes
 *
 * The transform keeps its own copy of the key; it may be used by several
 * threads at once, each with its own descriptor.
 *
 * Return: the transform or an ERR_PTR.
 */
struct crypto_shash *tnet_auth_alloc(const u8 *key, unsigned int key_len)
{
	struct crypto_shash *tfm;
	int err;

	if (!key || key_len < TESS_KEY_MIN || key_len > TESS_KEY_MAX)
		return ERR_PTR(-EINVAL);
	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return tfm;
	err = -EINVAL;
	if (crypto_shash_digestsize(tfm) != TESS_MAC_LEN)
		goto out;
	err = crypto_shash_setkey(tfm, key, key_len);
	if (err)
		goto out;
	return tfm;
out:
	crypto_free_shash(tfm);
	return ERR_PTR(err);
}

/* HMAC-SHA256(K, label | a | b) */
static int tnet_auth_mac(struct crypto_shash *tfm, const char *label,
			 const u8 *a, const u8 *b, u8 *out)
{
	SHASH_DESC_ON_STACK(desc, tfm);
	int err;

	desc->tfm = tfm;
	err = crypto_shash_init(desc);
	if (!err)
		err = crypto_shash_update(desc, label, strlen(label));
	if (!err)
		err = crypto_shash_update(desc, a, TESS_NONCE_LEN);
	if (!err)
		err = crypto_shash_update(desc, b, TESS_NONCE_LEN);
	if (!err)
		err = crypto_shash_final(desc, out);
	shash_desc_zero(desc);
	return err;
}

static u64 tnet_sec_feature(u8 sec)
{
	return sec == TESS_SEC_PRIVACY ? TESS_FEAT_SEC_PRIVACY :
	       sec == TESS_SEC_INTEGRITY ? TESS_FEAT_SEC_INTEGRITY : 0;
}

/*
 * The HELLO reply's MAC (over the whole handshake from version 4) and the
 * session keys: 0, -EACCES (the server does not hold our key, or the
 * handshake was changed on its way), another -errno.
 */
static int tnet_auth_check_hello(struct tnet_conn *conn,
				 struct crypto_shash *tfm,
				 const struct tess_hello_req *hreq,
				 const struct tess_hello_rep *hrep, u8 *t)
{
	u8 mac[TESS_MAC_LEN];
	int err;

	if (le16_to_cpu(hrep->version) < 4) {
		err = tnet_auth_mac(tfm, "tessera-server", hreq->nonce,
				    hrep->nonce, mac);
	} else {
		err = tnet_hs_transcript(hreq, hrep, t);
		if (!err)
			err = tnet_hs_mac(tfm, TESS_HS_LABEL_SERVER, t, mac);
	}
	if (err)
		return err;
	if (crypto_memneq(mac, hrep->mac, sizeof(mac)))
		return -EACCES;
	if (le16_to_cpu(hrep->version) < 4)
		return 0;
	return tnet_hs_keys(tfm, hreq->nonce, hrep->nonce, t, &conn->keys);
}

static int tnet_auth_io_err(int err)
{
	/* the socket timeout of the transport ran out */
	return err == -EAGAIN ? -ETIMEDOUT : err;
}

/**
 * tnet_auth_client - run the client handshake on a new connection
 * @conn: a connection fresh from tnet_connect()
 * @tfm: from tnet_auth_alloc()
 * @role: TESS_ROLE_*
 * @uuid: this client instance
 * @xid: xid of the HELLO frame; AUTH uses @xid + 1
 * @server_uuid: set to the server's instance uuid
 * @sec: the security flavor to ask for (enum tess_sec)
 * @offer: TESS_FEAT_* besides the flavor's to offer: TESS_FEAT_BASE, less
 *	TESS_FEAT_BULK_CRC for a mount with checksums off
 *
 * Sets @conn->features to what both sides support, @conn->sec to @sec
 * and, for a version 4 server, @conn->keys to the session keys.  A flavor
 * beyond auth needs version 4.  Every receive is bounded by the
 * transport's socket timeout.
 *
 * Return: 0; -EACCES if either side does not hold the key, the handshake
 * was changed on its way, or the server does not take @sec; -EPROTO for
 * a reply that is not the expected one; -ETIMEDOUT; another -errno from
 * the transport or a status the server sent.
 */
int tnet_auth_client(struct tnet_conn *conn, struct crypto_shash *tfm,
		     u32 role, const u8 uuid[16], u64 xid, u8 server_uuid[16],
		     u8 sec, u64 offer)
{
	struct tess_hello_req hreq = {};
	struct tess_hello_rep hrep;
	struct tess_auth_req auth;
	struct tess_frame f = {};
	u8 t[TESS_MAC_LEN];
	/* the HELLO reply, or an error reply's small hint */
	u8 body[sizeof(struct tess_hello_rep) + 64];
	int err;

	if (sec > TESS_SEC_PRIVACY)
		return -EINVAL;
	get_random_bytes(hreq.nonce, sizeof(hreq.nonce));
	hreq.ver_min = cpu_to_le16(sec == TESS_SEC_AUTH ? TESS_PROTO_MIN : 4);
	hreq.ver_max = cpu_to_le16(TESS_PROTO_VERSION);
	hreq.role = cpu_to_le32(role);
	hreq.features = cpu_to_le64((offer & ~(u64)TESS_FEAT_SEC_MASK) |
				    tnet_sec_feature(sec));
	memcpy(hreq.uuid, uuid, 16);

	conn->features = 0;
	conn->version = 0;
	conn->sec = TESS_SEC_AUTH;
	f.opcode = TESS_OP_HELLO;
	f.flags = TESS_HF_REQUEST;
	f.xid = xid;
	err = tnet_send_frame(conn, &f, &hreq, sizeof(hreq), NULL, 0);
	if (err)
		return tnet_auth_io_err(err);
	err = tnet_recv_frame(conn, &f, body, sizeof(body), NULL, 0);
	if (err)
		return tnet_auth_io_err(err);
	if (f.opcode != TESS_OP_HELLO || !(f.flags & TESS_HF_REPLY) ||
	    f.xid != xid)
		return -EPROTO;
	if (f.status)
		return -(int)f.status;
	/* tess_msg_check() made sure that the body is exactly a hello_rep */
	memcpy(&hrep, body, sizeof(hrep));
	if (le16_to_cpu(hrep.version) < TESS_PROTO_MIN ||
	    le16_to_cpu(hrep.version) > TESS_PROTO_VERSION)
		return -EPROTO;
	err = tnet_auth_check_hello(conn, tfm, &hreq, &hrep, t);
	if (err)
		goto out;
	conn->features = le64_to_cpu(hrep.features) & TESS_FEAT_KNOWN;
	conn->version = le16_to_cpu(hrep.version);
	/* the reply is authentic: the server agreed our flavor or refused */
	err = -EACCES;
	if ((conn->features & TESS_FEAT_SEC_MASK) != tnet_sec_feature(sec))
		goto out;
	conn->sec = sec;
	memcpy(server_uuid, hrep.uuid, 16);

	if (conn->version < 4)
		err = tnet_auth_mac(tfm, "tessera-client", hrep.nonce,
				    hreq.nonce, auth.mac);
	else
		err = tnet_hs_mac(tfm, TESS_HS_LABEL_CLIENT, t, auth.mac);
	if (err)
		goto out;
	memset(&f, 0, sizeof(f));
	f.opcode = TESS_OP_AUTH;
	f.flags = TESS_HF_REQUEST;
	f.xid = xid + 1;
	err = tnet_send_frame(conn, &f, &auth, sizeof(auth), NULL, 0);
	memzero_explicit(&auth, sizeof(auth));
	if (err) {
		err = tnet_auth_io_err(err);
		goto out;
	}
	err = tnet_recv_frame(conn, &f, body, sizeof(body), NULL, 0);
	if (err) {	/* a server that refuses us closes the connection */
		err = err == -ECONNRESET ? -EACCES : tnet_auth_io_err(err);
		goto out;
	}
	err = -EPROTO;
	if (f.opcode != TESS_OP_AUTH || !(f.flags & TESS_HF_REPLY) ||
	    f.xid != xid + 1)
		goto out;
	err = -(int)f.status;
out:
	if (err)
		memzero_explicit(&conn->keys, sizeof(conn->keys));
	return err;
}
