/* SPDX-License-Identifier: MIT */
/*
 * tnet_int.h - what tnet.c shares with its RDMA transport (tnet_rdma.c):
 * the clock, connections, the server's admission of new connections.
 * Not for the daemons or tools (tnet.h is).
 */
#ifndef TNET_INT_H
#define TNET_INT_H

#include <netinet/in.h>

#include "tnet.h"

int64_t tnet_mono_ms(void);
void tnet_seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* frames (tnet.c): send one; receive one (*fatal: the stream is out of
 * sync); a frame error's words for log lines */
int tnet_send_frame(struct tnet_conn *c, struct tess_frame *f,
		    const void *body, const void *bulk);
int tnet_recv_frame(struct tnet_conn *c, struct tnet_msg *m, void *bulk_dst,
		    uint32_t bulk_cap, bool *fatal);
const char *tnet_frame_err(int err);
/* HMAC-SHA256(K, label | a | b) of the handshake */
void tnet_handshake_mac(const struct tnet_key *key, const char *label,
			const uint8_t *a, const uint8_t *b, uint8_t *out);

/*
 * The version 4 handshake (tnet_hs.c, include/tessera.h): the transcript
 * hash T of the HELLO request and reply (its mac taken as zero), a MAC
 * HMAC(K, label | T), the 72 bytes of session keys, and this side's keys
 * out of them into c (tx/rx, seqs from 0).  tnet_hs_okm: 0 or -ENOMEM.
 */
void tnet_hs_transcript(const struct tess_hello_req *req,
			const struct tess_hello_rep *rep,
			uint8_t t[TESS_MAC_LEN]);
void tnet_hs_mac(const struct tnet_key *key, const char *label,
		 const uint8_t t[TESS_MAC_LEN], uint8_t out[TESS_MAC_LEN]);
int tnet_hs_okm(const struct tnet_key *key, const uint8_t nc[TESS_NONCE_LEN],
		const uint8_t ns[TESS_NONCE_LEN], const uint8_t t[TESS_MAC_LEN],
		uint8_t okm[TESS_SEC_OKM_LEN]);
void tnet_hs_set_keys(struct tnet_conn *c, const uint8_t okm[TESS_SEC_OKM_LEN],
		      bool client);
/* the feature bit a flavor is offered with (0 for auth), and back */
uint64_t tnet_sec_feature(int sec);
int tnet_sec_of_features(uint64_t features);
/* frame protection (tnet_sec.c): from the keys in c once the handshake is
 * done (0 or -ENOMEM), and its end (tnet_conn_free) */
int tnet_sec_start(struct tnet_conn *c);
void tnet_sec_free(struct tnet_conn *c);

/* TCP connections */
extern const struct tnet_io_ops tnet_tcp_ops;
void tnet_set_keepalive(int fd);
void tnet_set_peer_name(struct tnet_conn *c);
/* host (a name or an IPv4 address) and port of a: 0 or -EHOSTUNREACH */
int tnet_resolve(const struct tnet_addr *a, struct sockaddr_in *sin);

/* a connection with its buffers; its transport is TCP on fd (the RDMA
 * side sets io, io_priv and fd itself) */
struct tnet_conn *tnet_conn_alloc(int fd);
void tnet_conn_free(struct tnet_conn *c);

/*
 * Server: a slot among the connections not yet authenticated
 * (TNET_PREAUTH_*), for the IPv4 address addr (network order); false:
 * refused (logged), close it.  tnet_preauth_leave gives it back.
 */
bool tnet_preauth_enter(struct tnet_server *s, uint32_t addr, const char *ip);
void tnet_preauth_leave(struct tnet_server *s, uint32_t addr);
/*
 * Serve c (holding a preauth slot for addr, its handshake deadline set)
 * on a thread of its own; start, if not NULL, runs first on that thread
 * (RDMA: resources and rdma_accept): nonzero ends the connection.  On
 * failure c is freed and the slot given back.
 */
void tnet_server_spawn(struct tnet_server *s, struct tnet_conn *c,
		       uint32_t addr, int (*start)(struct tnet_conn *c));

#endif /* TNET_INT_H */
