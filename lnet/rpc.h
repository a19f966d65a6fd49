/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rpc.h - request/reply RPC over a Tessera transport (tessera_lnet.ko).
 *
 * A struct tnet_client is one server as seen by one mount: a connection
 * that is opened (and authenticated, HMAC-SHA256 handshake as described in
 * include/tessera.h) on first use, a receive thread that matches replies
 * to requests by xid, so many requests are in flight at once, and a
 * reconnect after failures:
 *
 *   caller                 tnet_client                      server
 *   tnet_submit(req) ----> xid, queue, send frame ----------->
 *                          rx thread: header, body ->
 *                          req->reply_buf, bulk -> req's pages <-- reply
 *   req->done(req) <------ status set
 *
 * A request keeps its xid for life: when the connection breaks, or a
 * reply does not come within the timeout of sending, it is sent again
 * on the next connection with the same xid and TESS_HF_RESENT, and the
 * server's reply cache runs it once.  A hard client (the default) resends
 * until the reply comes; a soft client, or a TNET_REQ_SOFT request, fails
 * with -ETIMEDOUT once a whole timeout has passed.  A fatal signal ends a
 * synchronous wait at once (-EINTR) and the request is cancelled: a late
 * reply is then read into a scratch buffer, never into the caller's pages.
 * tnet_client_abort() fails every pending request, and those submitted
 * within the next timeout, with -EIO (umount -f).
 */
#ifndef _TESSERA_RPC_H
#define _TESSERA_RPC_H

#include <linux/bvec.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>

#include "tnet.h"

struct tnet_client;

struct tnet_client_conf {
	struct tnet_addr addr;
	const u8 *key;			/* shared key, copied */
	unsigned int key_len;
	u8 uuid[16];			/* this client instance (one mount) */
	u32 role;			/* TESS_ROLE_* */
	unsigned long timeout;		/* jiffies: connect and each reply */
	bool soft;			/* fail after timeout (else: retry) */
	u8 sec;				/* enum tess_sec (mount option sec=) */
	/*
	 * Called (from the sender's worker; must not block) after a
	 * handshake with a new instance of the server (its uuid changed: it
	 * restarted and lost what it kept in memory).
	 */
	void (*server_restarted)(void *arg);
	/*
	 * Called (likewise) when connecting fails with @err: the server may
	 * have moved, or the path to it (an RDMA device) may be gone.
	 */
	void (*connect_failed)(void *arg, int err);
	void *arg;
	/*
	 * Reconnect at once after a connection is lost, even with nothing
	 * to send (the server keeps state for us while we are connected).
	 */
	bool keepalive;
	/* offer no bulk checksums (mount option checksums=0) */
	bool no_bulk_crc;
	const char *name;		/* for log lines, e.g. "mds", "OST0003" */
};

/* Does not connect yet.  ERR_PTR on failure. */
struct tnet_client *tnet_client_create(const struct tnet_client_conf *conf);
/* Connect and authenticate now (mount uses it to fail early and clearly). */
int tnet_client_connect(struct tnet_client *cl);
/* Fail everything pending with -ESHUTDOWN, close, free. */
void tnet_client_destroy(struct tnet_client *cl);
/* The first half of destroy, without waiting (for parallel teardown). */
void tnet_client_shutdown(struct tnet_client *cl);
/* Fail everything pending, and what comes within a timeout, with -EIO. */
void tnet_client_abort(struct tnet_client *cl);
/* The server moved: queued and in-flight requests follow it there. */
void tnet_client_set_addr(struct tnet_client *cl, const struct tnet_addr *addr);
/* Bulk checksums on or off from now (closes a connection that differs). */
void tnet_client_set_bulk_crc(struct tnet_client *cl, bool on);
/* The server's instance uuid from the last handshake (changes on restart). */
void tnet_client_server_uuid(struct tnet_client *cl, u8 uuid[16]);
/* TESS_FEAT_* agreed in the last handshake (0 before the first). */
u64 tnet_client_features(struct tnet_client *cl);

/* Counters since tnet_client_create() (for /proc, debugfs and tests). */
struct tnet_client_stats {
	u64 requests;		/* submitted */
	u64 replies;		/* matched to a waiting request */
	u64 late_replies;	/* for requests no longer waiting: drained */
	u64 resends;		/* requests sent again (same xid) */
	u64 timeouts;		/* requests failed with -ETIMEDOUT */
	u64 connects;		/* successful handshakes */
	u64 resets;		/* connections closed on an error */
	u64 tx_msgs;		/* request frames sent whole */
	u64 tx_bytes;		/* their bytes: header, body and bulk */
	u64 rx_msgs;		/* reply frames received (headers read) */
	u64 rx_bytes;		/* their bytes: header, body and bulk */
};

void tnet_client_stats(struct tnet_client *cl, struct tnet_client_stats *st);

/* One client as `tessctl peer show` sees it (lnet/netlink.c). */
struct tnet_peer_info {
	u32 id;			/* unique while tessera_lnet.ko is loaded */
	u8 state;		/* TESS_NL_PEER_* */
	u32 in_flight;		/* sent, no reply yet */
	u32 queued;		/* waiting to be sent */
	char addr[TNET_ADDR_STRLEN];
	char net[TNET_NET_MAX + 1];
	char name[32];
	struct tnet_client_stats stats;
};

int tnet_peers_walk(u32 *pos,
		    int (*fn)(const struct tnet_peer_info *pi, void *arg),
		    void *arg);
unsigned int tnet_peers_count(const char *net);

/* A page vector for bulk data, straight to and from the socket. */
struct tnet_bulk {
	struct bio_vec *bvec;
	unsigned int nr;
	u32 len;			/* sum of bvec lengths */
};

/*
 * Every request may be resent (the servers run a resent xid once).  A
 * soft request fails with -ETIMEDOUT after a timeout even on a hard
 * client (pings, background connects).
 */
#define TNET_REQ_SOFT		0x0001

struct tnet_req {
	/* filled by the caller */
	u16 opcode;
	u16 flags;			/* TNET_REQ_* */
	const void *body;
	u32 body_len;
	const struct tnet_bulk *send_bulk;	/* OBJ_WRITE data */
	void *reply_buf;		/* reply body goes here ... */
	u32 reply_cap;			/* ... up to this many bytes */
	const struct tnet_bulk *recv_bulk;	/* OBJ_READ data goes here */
	void (*done)(struct tnet_req *req);	/* async completion */
	void *private;
	/*
	 * The caller's credentials (filled whole, magic included): sent
	 * after the body with TESS_HF_CRED on a connection that agreed
	 * TESS_FEAT_CRED, left off on one that did not (the server then
	 * takes the request as from uid 0).  Decided at each send: a resend
	 * on a new connection follows what that one agreed.
	 */
	bool send_cred;
	struct tess_cred cred;

	/* results, valid when done */
	int status;		/* 0, -errno from the server, or transport error */
	u32 reply_len;		/* reply body bytes */
	u32 reply_bulk_len;	/* reply bulk bytes (short read at object end) */

	/* owned by the RPC layer */
	struct kref ref;
	struct list_head list;
	struct tnet_client *cl;
	u64 xid;
	unsigned long deadline;
	unsigned long state;
	struct completion *waiter;
};

/* kzalloc'd request with one reference; gfp for writeback paths */
struct tnet_req *tnet_req_alloc(gfp_t gfp);
void tnet_req_get(struct tnet_req *req);
void tnet_req_put(struct tnet_req *req);

/*
 * Send and wait (killable) for the reply.  Returns req->status; the
 * caller still owns its reference.
 */
int tnet_call(struct tnet_client *cl, struct tnet_req *req);

/*
 * Send without waiting; req->done(req) runs exactly once, from the
 * receive thread or a worker, with req->status set.  done may not sleep
 * for long (it may unlock folios, end writeback, wake waiters).  The RPC
 * layer holds its own reference until done has returned.
 */
void tnet_submit(struct tnet_client *cl, struct tnet_req *req);

#endif /* _TESSERA_RPC_H */
