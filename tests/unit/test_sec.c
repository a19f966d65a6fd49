// SPDX-License-Identifier: MIT
/*
 * test_sec.c - protected frames of sec=integrity and sec=privacy
 * (user/lib/tnet_sec.c, tnet.c's frame I/O; include/tessera.h "Protected
 * frames"): two connections given the same session keys crosswise, with
 * the test in the middle of the byte stream (a -> wire -> b) so that it
 * can alter, replay or drop a frame as an attacker would, fixing the CRCs
 * so that only the tag can catch it.  And the known-answer vectors of
 * common/tess_sec_kat.h, recomputed from the spec with OpenSSL.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tess_sec_kat.h"
#include "tess_wire.h"
#include "tessera.h"
#include "tnet.h"
#include "tnet_int.h"
#include "tnet_sec.h"
#include "tu.h"

#define HDR	((uint32_t)sizeof(struct tess_hdr))
#define TAG	TESS_SEC_TAG_LEN

/* a -> (wire[0], wire[1]) -> test -> (in[0], in[1]) -> b */
struct pair {
	struct tnet_conn *a, *b;
	int wire, in;
};

static const uint8_t key_c2s[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t key_s2c[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
static const uint8_t iv_c2s[4] = { 0xc2, 0x5 }, iv_s2c[4] = { 0x52, 0xc };

static struct tnet_conn *conn_new(int fd, int sec, bool client)
{
	struct tnet_conn *c = tnet_conn_alloc(fd);

	c->version = TESS_PROTO_VERSION;
	c->features = TESS_FEAT_BASE;
	c->sec = sec;
	c->sec_on = sec != TESS_SEC_AUTH;
	memcpy(c->tx_key, client ? key_c2s : key_s2c, 32);
	memcpy(c->rx_key, client ? key_s2c : key_c2s, 32);
	memcpy(c->tx_iv, client ? iv_c2s : iv_s2c, 4);
	memcpy(c->rx_iv, client ? iv_s2c : iv_c2s, 4);
	return c;
}

static void pair_open(struct pair *p, int sec)
{
	int w[2], i[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, w) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, i))
		abort();
	p->a = conn_new(w[0], sec, true);
	p->wire = w[1];
	p->in = i[0];
	p->b = conn_new(i[1], sec, false);
}

static void pair_close(struct pair *p)
{
	tnet_conn_free(p->a);
	tnet_conn_free(p->b);
	close(p->wire);
	close(p->in);
}

static void read_all(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0)
			abort();
		buf += n;
		len -= (size_t)n;
	}
}

static void write_all(int fd, const uint8_t *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		abort();
}

/* a frame as it went over the wire */
struct wframe {
	uint8_t bytes[HDR + 4096 + 4096 + TAG];
	size_t len;
	uint32_t body_len, bulk_len;
};

/* a sends an OBJ_WRITE of the 64-byte bulk pattern (oid 7); the test
 * takes its bytes off the wire */
static const uint8_t pattern[64] = "PLAINTEXT-PATTERN-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF";

static int send_write(struct pair *p, uint16_t op, struct wframe *w)
{
	struct tess_obj_io_req io = {
		.oid = cpu_to_le64(7),
		.length = cpu_to_le32(sizeof(pattern)),
	};
	struct tess_frame f = {
		.opcode = op, .flags = TESS_HF_REQUEST, .xid = 42,
		.body_len = sizeof(io), .bulk_len = sizeof(pattern),
	};
	int rc = tnet_send_frame(p->a, &f, &io, pattern);

	w->body_len = f.body_len;
	w->bulk_len = f.bulk_len;
	w->len = HDR + f.body_len + f.bulk_len + (p->a->sec_on ? TAG : 0);
	if (!rc)
		read_all(p->wire, w->bytes, w->len);
	return rc;
}

/* after an attacker's change: CRCs as a sender would have made them */
static void fix_crcs(struct wframe *w)
{
	struct tess_hdr *h = (struct tess_hdr *)w->bytes;

	h->bulk_crc = cpu_to_le32(tess_crc_final(tess_crc_update(
		tess_crc_init(), w->bytes + HDR + w->body_len, w->bulk_len)));
	tess_hdr_seal(h, w->bytes + HDR, w->body_len);
}

static int deliver(struct pair *p, const struct wframe *w, struct tnet_msg *m,
		   bool *fatal)
{
	write_all(p->in, w->bytes, w->len);
	return tnet_recv_frame(p->b, m, NULL, 0, fatal);
}

static bool got_pattern(const struct tnet_msg *m)
{
	return m->bulk && m->f.bulk_len == sizeof(pattern) &&
	       !memcmp(m->bulk, pattern, sizeof(pattern));
}

static void round_trip(int sec)
{
	struct pair p;
	struct wframe w;
	struct tnet_msg m;
	bool fatal;

	pair_open(&p, sec);
	for (int i = 0; i < 3; i++) {
		TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w), 0);
		TU_EQ_INT(deliver(&p, &w, &m, &fatal), 0);
		TU_CHECK(!fatal && got_pattern(&m));
		/* plaintext on the wire under integrity, not under privacy */
		TU_EQ_INT(memmem(w.bytes, w.len, pattern, sizeof(pattern)) != NULL,
			  sec != TESS_SEC_PRIVACY);
	}
	TU_EQ_U64(p.a->tx_seq, 3);
	TU_EQ_U64(p.b->rx_seq, 3);
	/* the other direction with its own keys and count */
	{
		struct tess_frame f = { .opcode = TESS_OP_OBJ_WRITE,
					.flags = TESS_HF_REPLY, .xid = 42 };
		struct tess_obj_io_rep rep = { 0 };

		f.body_len = sizeof(rep);
		TU_EQ_INT(tnet_send_frame(p.b, &f, &rep, NULL), 0);
		/* b's stream goes straight back to a through in/wire */
		read_all(p.in, w.bytes, HDR + sizeof(rep) + TAG);
		write_all(p.wire, w.bytes, HDR + sizeof(rep) + TAG);
		TU_CHECK(tnet_recv_frame(p.a, &m, NULL, 0, &fatal) != TNET_ERR_SEC);
		TU_CHECK(!fatal);
		TU_EQ_U64(p.a->rx_seq, 1);
	}
	pair_close(&p);
}

TU_CASE(integrity_round_trip) { round_trip(TESS_SEC_INTEGRITY); }
TU_CASE(privacy_round_trip) { round_trip(TESS_SEC_PRIVACY); }

/* alter one byte at off (from the frame's start), fix the CRCs: refused */
static void altered(int sec, size_t off)
{
	struct pair p;
	struct wframe w;
	struct tnet_msg m;
	bool fatal = false;

	pair_open(&p, sec);
	TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w), 0);
	w.bytes[off] ^= 0x20;
	fix_crcs(&w);
	TU_EQ_INT(deliver(&p, &w, &m, &fatal), TNET_ERR_SEC);
	TU_CHECK(fatal);
	pair_close(&p);
}

#define OFF_BODY	(HDR + 8)		/* in tess_obj_io_req.offset */
#define OFF_BULK	(HDR + 24 + 5)
#define OFF_XID		8			/* tess_hdr.xid */
#define OFF_TAG		(HDR + 24 + 64 + 3)

TU_CASE(integrity_altered_body) { altered(TESS_SEC_INTEGRITY, OFF_BODY); }
TU_CASE(integrity_altered_bulk) { altered(TESS_SEC_INTEGRITY, OFF_BULK); }
TU_CASE(integrity_altered_header) { altered(TESS_SEC_INTEGRITY, OFF_XID); }
TU_CASE(integrity_altered_tag) { altered(TESS_SEC_INTEGRITY, OFF_TAG); }
TU_CASE(privacy_altered_body) { altered(TESS_SEC_PRIVACY, OFF_BODY); }
TU_CASE(privacy_altered_bulk) { altered(TESS_SEC_PRIVACY, OFF_BULK); }
TU_CASE(privacy_altered_header) { altered(TESS_SEC_PRIVACY, OFF_XID); }
TU_CASE(privacy_altered_tag) { altered(TESS_SEC_PRIVACY, OFF_TAG); }

/* the control: at sec=auth the same change with fixed CRCs gets through */
TU_CASE(auth_altered_bulk_accepted)
{
	struct pair p;
	struct wframe w;
	struct tnet_msg m;
	bool fatal;

	pair_open(&p, TESS_SEC_AUTH);
	TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w), 0);
	w.bytes[OFF_BULK] ^= 0x20;
	fix_crcs(&w);
	TU_EQ_INT(deliver(&p, &w, &m, &fatal), 0);
	TU_CHECK(m.bulk && ((uint8_t *)m.bulk)[5] == (pattern[5] ^ 0x20));
	pair_close(&p);
}

/* frame 0 accepted, then the same bytes again: refused */
static void replayed(int sec)
{
	struct pair p;
	struct wframe w;
	struct tnet_msg m;
	bool fatal;

	pair_open(&p, sec);
	TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w), 0);
	TU_EQ_INT(deliver(&p, &w, &m, &fatal), 0);
	TU_EQ_INT(deliver(&p, &w, &m, &fatal), TNET_ERR_SEC);
	TU_CHECK(fatal);
	pair_close(&p);
}

TU_CASE(integrity_replayed) { replayed(TESS_SEC_INTEGRITY); }
TU_CASE(privacy_replayed) { replayed(TESS_SEC_PRIVACY); }

/* frame 0 dropped (or frames 0 and 1 swapped): frame 1 refused */
static void dropped(int sec)
{
	struct pair p;
	struct wframe w0, w1;
	struct tnet_msg m;
	bool fatal;

	pair_open(&p, sec);
	TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w0), 0);
	TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w1), 0);
	TU_EQ_INT(deliver(&p, &w1, &m, &fatal), TNET_ERR_SEC);
	TU_CHECK(fatal);
	pair_close(&p);
}

TU_CASE(integrity_dropped) { dropped(TESS_SEC_INTEGRITY); }
TU_CASE(privacy_dropped) { dropped(TESS_SEC_PRIVACY); }

/* an unknown opcode is skipped (and answered) only with its tag right;
 * its bulk is read and checked too */
static void unknown_op(int sec, bool alter)
{
	struct pair p;
	struct wframe w;
	struct tnet_msg m;
	bool fatal;

	pair_open(&p, sec);
	TU_EQ_INT(send_write(&p, 999, &w), 0);
	if (alter) {
		w.bytes[OFF_BULK] ^= 1;
		fix_crcs(&w);
	}
	TU_EQ_INT(deliver(&p, &w, &m, &fatal), alter ? TNET_ERR_SEC : -EOPNOTSUPP);
	TU_EQ_INT(fatal, alter);
	if (!alter) {		/* in step: the next frame is fine */
		TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w), 0);
		TU_EQ_INT(deliver(&p, &w, &m, &fatal), 0);
		TU_CHECK(got_pattern(&m));
	}
	pair_close(&p);
}

TU_CASE(integrity_unknown_op) { unknown_op(TESS_SEC_INTEGRITY, false); }
TU_CASE(integrity_unknown_op_altered) { unknown_op(TESS_SEC_INTEGRITY, true); }
TU_CASE(privacy_unknown_op) { unknown_op(TESS_SEC_PRIVACY, false); }
TU_CASE(privacy_unknown_op_altered) { unknown_op(TESS_SEC_PRIVACY, true); }

/* the bulk into a caller's buffer (a client's read) is checked as well */
TU_CASE(privacy_bulk_dst)
{
	struct pair p;
	struct wframe w;
	struct tnet_msg m;
	uint8_t dst[128];
	bool fatal;

	pair_open(&p, TESS_SEC_PRIVACY);
	TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w), 0);
	write_all(p.in, w.bytes, w.len);
	TU_EQ_INT(tnet_recv_frame(p.b, &m, dst, sizeof(dst), &fatal), 0);
	TU_CHECK(m.bulk == dst && !memcmp(dst, pattern, sizeof(pattern)));
	TU_EQ_INT(send_write(&p, TESS_OP_OBJ_WRITE, &w), 0);
	w.bytes[OFF_BULK] ^= 1;
	fix_crcs(&w);
	write_all(p.in, w.bytes, w.len);
	TU_EQ_INT(tnet_recv_frame(p.b, &m, dst, sizeof(dst), &fatal), TNET_ERR_SEC);
	TU_CHECK(fatal);
	pair_close(&p);
}

/* the frame of tess_sec_kat.h as a sender with key_c2s at seq 5 sends it */
static void kat_frame(int sec, const uint8_t *want_wire, const uint8_t *want_tag)
{
	int sv[2];
	struct tnet_conn *a, *b;
	struct tess_frame f = {
		.opcode = TESS_KAT_FRAME_OPCODE, .flags = TESS_KAT_FRAME_FLAGS,
		.xid = TESS_KAT_FRAME_XID, .body_len = 10, .bulk_len = 20,
	};
	uint8_t wire[HDR + 30 + TAG];
	struct tess_hdr aad;
	struct tnet_msg m;
	bool fatal;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	a = tnet_conn_alloc(sv[0]);
	b = tnet_conn_alloc(sv[1]);
	a->version = b->version = TESS_KAT_FRAME_VERSION;
	a->features = b->features = TESS_FEAT_BASE;
	a->sec = b->sec = sec;
	a->sec_on = b->sec_on = true;
	memcpy(a->tx_key, tess_kat_okm, 32);
	memcpy(a->tx_iv, tess_kat_okm + 64, 4);
	memcpy(b->rx_key, tess_kat_okm, 32);
	memcpy(b->rx_iv, tess_kat_okm + 64, 4);
	a->tx_seq = b->rx_seq = TESS_KAT_FRAME_SEQ;
	TU_EQ_INT(tnet_send_frame(a, &f, tess_kat_frame_body,
				  tess_kat_frame_bulk), 0);
	read_all(sv[1], wire, sizeof(wire));
	memcpy(&aad, wire, HDR);
	aad.body_crc = aad.bulk_crc = 0;
	TU_CHECK(!memcmp(&aad, tess_kat_frame_aad, HDR));
	TU_CHECK(!memcmp(wire + HDR, want_wire, 30));
	TU_CHECK(!memcmp(wire + HDR + 30, want_tag, TAG));
	/* and b takes it: no tag failure, the plaintext back (the message
	 * check refuses the 10-byte OBJ_WRITE body afterwards, not fatal) */
	write_all(sv[0], wire, sizeof(wire));
	TU_CHECK(tnet_recv_frame(b, &m, NULL, 0, &fatal) != TNET_ERR_SEC);
	TU_CHECK(!fatal);
	TU_CHECK(!memcmp(m.body, tess_kat_frame_body, 10));
	TU_CHECK(m.bulk && !memcmp(m.bulk, tess_kat_frame_bulk, 20));
	tnet_conn_free(a);
	tnet_conn_free(b);
}

TU_CASE(kat_integrity_frame)
{
	uint8_t plain[30];

	memcpy(plain, tess_kat_frame_body, 10);
	memcpy(plain + 10, tess_kat_frame_bulk, 20);
	kat_frame(TESS_SEC_INTEGRITY, plain, tess_kat_integrity_tag);
}

TU_CASE(kat_privacy_frame)
{
	kat_frame(TESS_SEC_PRIVACY, tess_kat_privacy_ct, tess_kat_privacy_tag);
}

/* ---- the handshake vectors, from the spec with OpenSSL directly ---- */

static void hmac256(const uint8_t *key, size_t klen, const uint8_t *msg,
		    size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, msg, len, out, &n);
}

static void kat_t(uint8_t t[32])
{
	uint8_t msg[64 + 96];
	unsigned int n = 32;

	memcpy(msg, tess_kat_hello_req, 64);
	memcpy(msg + 64, tess_kat_hello_rep, 96);
	EVP_Digest(msg, sizeof(msg), t, &n, EVP_sha256(), NULL);
}

static void label_mac(const char *label, const uint8_t t[32], uint8_t out[32])
{
	uint8_t msg[64];
	size_t ll = strlen(label);

	memcpy(msg, label, ll);
	memcpy(msg + ll, t, 32);
	hmac256(tess_kat_key, 32, msg, ll + 32, out);
}

TU_CASE(kat_handshake_transcript_and_macs)
{
	uint8_t t[32], mac[32];

	kat_t(t);
	TU_CHECK(!memcmp(t, tess_kat_t, 32));
	label_mac(TESS_HS_LABEL_SERVER, t, mac);
	TU_CHECK(!memcmp(mac, tess_kat_server_mac, 32));
	label_mac(TESS_HS_LABEL_CLIENT, t, mac);
	TU_CHECK(!memcmp(mac, tess_kat_client_mac, 32));
}

TU_CASE(kat_session_keys)
{
	uint8_t ikm[64], prk[32], info[64], msg[32 + 64 + 1], t[32], okm[96];
	size_t il = strlen(TESS_HS_LABEL_SESSION), ml;

	/* PRK = HMAC(K, Nc | Ns); OKM = T(1) | T(2) | T(3), RFC 5869 */
	memcpy(ikm, tess_kat_hello_req + 32, 32);
	memcpy(ikm + 32, tess_kat_hello_rep + 32, 32);
	hmac256(tess_kat_key, 32, ikm, 64, prk);
	memcpy(info, TESS_HS_LABEL_SESSION, il);
	memcpy(info + il, tess_kat_t, 32);
	il += 32;
	for (int i = 0; i < 3; i++) {
		ml = 0;
		if (i) {
			memcpy(msg, t, 32);
			ml = 32;
		}
		memcpy(msg + ml, info, il);
		ml += il;
		msg[ml++] = (uint8_t)(i + 1);
		hmac256(prk, 32, msg, ml, t);
		memcpy(okm + 32 * i, t, 32);
	}
	TU_CHECK(!memcmp(okm, tess_kat_okm, TESS_SEC_OKM_LEN));
}

/* tnet_hs.c's primitives give the same, and its keys in a client's and a
 * server's connection protect the vector frame as the vectors say */
TU_CASE(kat_handshake_primitives_protect_frame)
{
	struct tnet_key key = { .len = 32 };
	struct tess_hello_req req;
	struct tess_hello_rep rep;
	uint8_t t[32], mac[32], okm[TESS_SEC_OKM_LEN], wire[HDR + 30 + TAG];
	struct tess_frame f = {
		.opcode = TESS_KAT_FRAME_OPCODE, .flags = TESS_KAT_FRAME_FLAGS,
		.xid = TESS_KAT_FRAME_XID, .body_len = 10, .bulk_len = 20,
	};
	struct tnet_conn *a, *b;
	struct tnet_msg m;
	bool fatal;
	int sv[2];

	memcpy(key.bytes, tess_kat_key, 32);
	memcpy(&req, tess_kat_hello_req, sizeof(req));
	memcpy(&rep, tess_kat_hello_rep, sizeof(rep));
	tnet_hs_transcript(&req, &rep, t);
	TU_CHECK(!memcmp(t, tess_kat_t, 32));
	tnet_hs_mac(&key, TESS_HS_LABEL_SERVER, t, mac);
	TU_CHECK(!memcmp(mac, tess_kat_server_mac, 32));
	tnet_hs_mac(&key, TESS_HS_LABEL_CLIENT, t, mac);
	TU_CHECK(!memcmp(mac, tess_kat_client_mac, 32));
	TU_EQ_INT(tnet_hs_okm(&key, req.nonce, rep.nonce, t, okm), 0);
	TU_CHECK(!memcmp(okm, tess_kat_okm, sizeof(okm)));

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	a = tnet_conn_alloc(sv[0]);
	b = tnet_conn_alloc(sv[1]);
	tnet_hs_set_keys(a, okm, true);
	tnet_hs_set_keys(b, okm, false);
	a->version = b->version = TESS_KAT_FRAME_VERSION;
	a->features = b->features = TESS_FEAT_BASE;
	a->sec = b->sec = TESS_SEC_INTEGRITY;
	a->sec_on = b->sec_on = true;
	a->tx_seq = b->rx_seq = TESS_KAT_FRAME_SEQ;
	TU_EQ_INT(tnet_sec_start(a), 0);
	TU_EQ_INT(tnet_sec_start(b), 0);
	TU_EQ_INT(tnet_send_frame(a, &f, tess_kat_frame_body,
				  tess_kat_frame_bulk), 0);
	read_all(sv[1], wire, sizeof(wire));
	TU_CHECK(!memcmp(wire + HDR + 30, tess_kat_integrity_tag, TAG));
	write_all(sv[0], wire, sizeof(wire));
	TU_CHECK(tnet_recv_frame(b, &m, NULL, 0, &fatal) != TNET_ERR_SEC);
	TU_CHECK(!fatal);
	tnet_conn_free(a);
	tnet_conn_free(b);
}

int main(void)
{
	tu_suite = "sec";
	TU_RUN(integrity_round_trip);
	TU_RUN(privacy_round_trip);
	TU_RUN(integrity_altered_body);
	TU_RUN(integrity_altered_bulk);
	TU_RUN(integrity_altered_header);
	TU_RUN(integrity_altered_tag);
	TU_RUN(privacy_altered_body);
	TU_RUN(privacy_altered_bulk);
	TU_RUN(privacy_altered_header);
	TU_RUN(privacy_altered_tag);
	TU_RUN(auth_altered_bulk_accepted);
	TU_RUN(integrity_replayed);
	TU_RUN(privacy_replayed);
	TU_RUN(integrity_dropped);
	TU_RUN(privacy_dropped);
	TU_RUN(integrity_unknown_op);
	TU_RUN(integrity_unknown_op_altered);
	TU_RUN(privacy_unknown_op);
	TU_RUN(privacy_unknown_op_altered);
	TU_RUN(privacy_bulk_dst);
	TU_RUN(kat_integrity_frame);
	TU_RUN(kat_privacy_frame);
	TU_RUN(kat_handshake_transcript_and_macs);
	TU_RUN(kat_session_keys);
	TU_RUN(kat_handshake_primitives_protect_frame);
	return tu_done();
}
