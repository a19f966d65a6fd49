/* SPDX-License-Identifier: MIT */
/*
 * tnet_rdma.h - the @rdma transport of tnet (include/tessera.h, "network
 * type rdma"): the frame stream cut into SENDs on one RC queue pair per
 * connection made by rdma_cm, with credits.
 *
 * Per connection: TNET_RDMA_RECVS receive buffers posted for the peer
 * and TNET_RDMA_SENDS send buffers, each TNET_RDMA_BUF bytes (header
 * included), in one allocation registered once (one ibv_reg_mr per
 * connection, never per RPC).
 *
 * The accounting and the checks of what a peer sends are pure functions
 * (tnet_rdma_proto.c, unit-tested); the verbs are in tnet_rdma.c.
 */
#ifndef TNET_RDMA_H
#define TNET_RDMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "tessera.h"

struct tnet_conn;
struct tnet_server;

#define TNET_RDMA_BUF		(64 * 1024)
#define TNET_RDMA_RECVS		16
#define TNET_RDMA_SENDS		8
#define TNET_RDMA_HDR		((uint32_t)sizeof(struct tess_rdma_msg))

_Static_assert(TNET_RDMA_BUF >= TESS_RDMA_BUF_MIN &&
	       TNET_RDMA_BUF <= TESS_RDMA_BUF_MAX, "buffer size");
_Static_assert(TNET_RDMA_RECVS >= 2 && TNET_RDMA_RECVS <= TESS_RDMA_CREDITS_MAX,
	       "credits");

/* ---- protocol (pure) ---- */

/* what one side knows of the flow control of its connection */
struct tnet_rdma_credits {
	uint32_t peer_posted;	/* the peer's tess_rdma_cm.credits */
	uint32_t peer_buf;	/* the peer's tess_rdma_cm.buf_size */
	uint32_t credits;	/* SENDs we may still post */
	uint32_t posted;	/* our receive buffers for the peer */
	uint32_t buf;		/* their size */
	uint32_t owed;		/* re-posted since our last message */
};

/* our private data */
void tnet_rdma_cm_fill(struct tess_rdma_cm *cm, uint32_t credits,
		       uint32_t buf_size);
/*
 * The peer's private data (len bytes; a transport may pad it): 0 and
 * cr's peer fields and credits set, or -EPROTO with a reason in why.
 */
int tnet_rdma_cm_take(struct tnet_rdma_credits *cr, const void *pd,
		      size_t len, char *why, size_t whylen);
/* credits for our side: posted buffers of buf bytes */
void tnet_rdma_credits_init(struct tnet_rdma_credits *cr, uint32_t posted,
			    uint32_t buf);
/*
 * A received message of byte_len bytes starting with hdr: 0 with its
 * stream length in *len and its credits added, or -EPROTO with a reason
 * (shorter than a header, longer than our buffer, len not byte_len - 8,
 * reserved not zero, more credits than the peer can return).
 */
int tnet_rdma_msg_take(struct tnet_rdma_credits *cr, const void *hdr,
		       uint32_t byte_len, uint32_t *len, char *why,
		       size_t whylen);
/* may a message go: stream bytes need 2 credits, a credit return 1 */
bool tnet_rdma_can_send(const struct tnet_rdma_credits *cr, bool stream);
/* the most stream bytes one message to the peer carries */
uint32_t tnet_rdma_max_payload(const struct tnet_rdma_credits *cr);
/* a message goes with len stream bytes: the header to send (the owed
 * credits ride along) */
void tnet_rdma_msg_fill(struct tnet_rdma_credits *cr, struct tess_rdma_msg *m,
			uint32_t len);
/* one of our buffers was re-posted */
void tnet_rdma_reposted(struct tnet_rdma_credits *cr);
/* owe half of our posted buffers: time for a credit return (when there
 * is nothing to send) */
bool tnet_rdma_return_due(const struct tnet_rdma_credits *cr);

/* ---- transport (tnet_rdma.c) ---- */

/* connect c to dst within timeout_ms (rdma_cm, RDMA_PS_TCP): 0 with its
 * io ops, io_priv, fd and peer set, or -errno */
int tnet_rdma_connect(struct tnet_conn *c, const struct sockaddr_in *sin,
		      int timeout_ms);
/* bind and listen on sin (port 0: one is picked, *port says which): 0, or
 * -errno and the reason in err (no RDMA device, address not on one) */
int tnet_rdma_listen(const struct sockaddr_in *sin, void **listener,
		     uint16_t *port, char *err, size_t errlen);
/* the listener's loop: connections to tnet_server_spawn; 0 once the
 * server is stopping, or -errno */
int tnet_rdma_accept_loop(struct tnet_server *s, void *listener);
/*
 * For tests (tests/integ/rdma_vanish.c) only: c's queue pair to the
 * error state without a disconnect, as a host that lost power leaves its
 * peer: our adapter no longer answers.  0, -EINVAL if c is not @rdma, or
 * -errno.
 */
int tnet_rdma_vanish(struct tnet_conn *c);

#endif /* TNET_RDMA_H */
