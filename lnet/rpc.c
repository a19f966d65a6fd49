// SPDX-License-Identifier: GPL-2.0
/*
 * rpc.c - request/reply RPC over a Tessera transport (see rpc.h).
 *
 * Per client:
 *   queue      requests waiting to be sent (also while connecting)
 *   sent[]     requests on the wire, hashed by xid
 *   tx_work    the only sender: connects and authenticates when there is
 *              no connection, then sends the queue in order under
 *              send_mutex.  Sending from a worker keeps signals of the
 *              submitting task away from the socket and lets a fatal
 *              signal end tnet_call() at once.
 *   sweep      a delayed work that resets the connection when a request
 *              sent on it has had no reply for the whole timeout (its
 *              deadline runs from when it was sent); on a soft client
 *              such a request fails with -ETIMEDOUT, on a hard one it is
 *              sent again
 *   done_work  runs completions that were decided outside the receive
 *              thread (timeouts, aborts, cancels, send and connect
 *              errors), so req->done never runs in a submitter's context
 *
 * Per connection a receive kthread reads frames, checks them and matches
 * replies to requests by xid.
 *
 * A request's state bits say who may touch the caller's buffers:
 * TXBUSY while the sender reads body and send_bulk, RXBUSY while the
 * receiver writes reply_buf and recv_bulk.  The status is decided once
 * (DONE); the completion runs only when DONE is set and neither BUSY bit
 * is, so once req->done has run (or tnet_call() has returned), nothing
 * in this layer touches the caller's memory again.  A receiver that sees
 * DONE between two chunks of a bulk releases the request and drains the
 * rest into its scratch buffer.
 *
 * Every request keeps the xid of its first send; a resend (after a reset,
 * or a timeout) carries the same xid and TESS_HF_RESENT, and the server's
 * reply cache runs it once (include/tessera.h).  So every request may be
 * resent, not only idempotent ones.
 *
 * Hard clients (the default) never fail a request for want of a server:
 * they reconnect with backoff and resend until the reply comes, a waiter
 * is killed, or the client is aborted (umount -f) or destroyed.  Soft
 * clients fail a request with -ETIMEDOUT once it has waited a whole
 * timeout (on the wire, or queued while nothing is heard from the server).
 *
 * Locking: cl->lock (a spinlock, never taken from interrupts) protects
 * the lists, the state bits' transitions, cl->conn and the counters;
 * cl->send_mutex serializes connecting and sending.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/workqueue.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/sched/mm.h>
#include <linux/uio.h>
#include <linux/net.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>

#include "rpc.h"
#include "sec.h"

/* bits of tnet_req::state */
enum {
	TNET_RS_DONE,		/* status decided */
	TNET_RS_SENT,		/* on cl->sent[] */
	TNET_RS_TXBUSY,		/* sender reads body, send_bulk */
	TNET_RS_RXBUSY,		/* receiver writes reply_buf, recv_bulk */
	TNET_RS_PENDING,	/* DONE while busy: complete when idle */
	TNET_RS_RESEND,		/* requeued after a connection broke */
};

#define TNET_RS_BUSY	(BIT(TNET_RS_TXBUSY) | BIT(TNET_RS_RXBUSY))

#define TNET_SENT_BITS		6
#define TNET_SENT_BUCKETS	BIT(TNET_SENT_BITS)
#define TNET_RX_CHUNK		(128 * 1024)	/* cancel granularity */
#define TNET_DEFAULT_TIMEOUT	(30 * HZ)

struct tnet_rpc_conn {
	struct kref ref;
	struct tnet_client *cl;
	struct tnet_conn *tc;
	struct task_struct *rx;
	struct list_head dead;		/* on cl->dead_conns once reset */
	unsigned long last_rx;		/* jiffies of the last good frame */
	void *rxbuf;			/* TESS_MAX_BODY: bodies, drained bulk */
	struct tnet_sec *sec;		/* sec=integrity, privacy; else NULL */
};

struct tnet_client {
	spinlock_t lock;		/* lists, state bits, conn, stats */
	struct mutex send_mutex;	/* connecting and sending */
	struct tnet_rpc_conn *conn;	/* NULL: connect on the next send */
	u8 sec;				/* enum tess_sec to ask for */
	struct list_head dead_conns;	/* reset, waiting for tx_work */
	struct list_head queue;
	struct list_head sent[TNET_SENT_BUCKETS];
	unsigned int nr_sent;
	struct list_head done_list;
	struct work_struct done_work;
	struct delayed_work tx_work;
	struct delayed_work sweep;
	u64 next_xid;
	int conn_err;			/* last connect error logged */
	unsigned long backoff;		/* next reconnect delay (hard) */
	unsigned long abort_until;	/* jiffies: fail everything until */
	bool aborted;			/* abort_until is set */
	bool destroying;
	bool want_conn;			/* keepalive: reconnect, queue or not */
	u8 server_uuid[16];
	u64 features;			/* agreed in the last handshake */
	bool no_bulk_crc;		/* offer no TESS_FEAT_BULK_CRC */
	struct tnet_client_stats stats;

	/* constant after create */
	struct crypto_shash *tfm;
	struct tnet_addr addr;
	u8 uuid[16];
	u32 role;
	bool soft;
	bool keepalive;
	void (*server_restarted)(void *arg);
	void (*connect_failed)(void *arg, int err);
	void *cb_arg;			/* for both callbacks */
	unsigned long timeout;
	unsigned long sweep_period;
	char name[32];
	char peer[TNET_ADDR_STRLEN];
	bool connecting;		/* in rpc_connect_locked() */
	u32 id;				/* for tnet_peers_walk() */
	struct list_head all;		/* on tnet_clients */
};

static struct workqueue_struct *tnet_rpc_wq;

/* every client, in creation (id) order, for tnet_peers_walk() */
static LIST_HEAD(tnet_clients);
static DEFINE_MUTEX(tnet_clients_mutex);
static u32 tnet_client_last_id;

/* reconnect delays of a hard client: from 100 ms, doubling up to 5 s */
#define TNET_BACKOFF_MIN	(HZ / 10)
#define TNET_BACKOFF_MAX	(5 * HZ)

/*
 * tnet_client_abort() was called less than a timeout ago: everything
 * fails now.  Later requests are served again, so a forced umount that
 * finds the mount busy does not leave it dead for good.
 */
static bool rpc_aborted_locked(struct tnet_client *cl)
{
	if (cl->aborted && time_after_eq(jiffies, cl->abort_until))
		cl->aborted = false;
	return cl->aborted;
}

/* -errno that ends any request now, else 0 */
static int rpc_dead_locked(struct tnet_client *cl)
{
	if (cl->destroying)
		return -ESHUTDOWN;
	return rpc_aborted_locked(cl) ? -EIO : 0;
}

/* ---- requests ---- */

/**
 * tnet_req_alloc - a zeroed request with one reference
 * @gfp: allocation flags (GFP_NOFS on writeback paths)
 *
 * Return: the request or NULL.
 */
struct tnet_req *tnet_req_alloc(gfp_t gfp)
{
	struct tnet_req *req = kzalloc(sizeof(*req), gfp);

	if (req) {
		kref_init(&req->ref);
		INIT_LIST_HEAD(&req->list);
	}
	return req;
}
EXPORT_SYMBOL_GPL(tnet_req_alloc);

/**
 * tnet_req_get - take a reference on a request
 * @req: the request
 */
void tnet_req_get(struct tnet_req *req)
{
	kref_get(&req->ref);
}
EXPORT_SYMBOL_GPL(tnet_req_get);

static void tnet_req_release(struct kref *ref)
{
	kfree(container_of(ref, struct tnet_req, ref));
}

/**
 * tnet_req_put - drop a reference; the last one frees the request
 * @req: the request (NULL is ignored)
 */
void tnet_req_put(struct tnet_req *req)
{
	if (req)
		kref_put(&req->ref, tnet_req_release);
}
EXPORT_SYMBOL_GPL(tnet_req_put);

/**
 * tnet_bvec_crc - continue a CRC32C over the first @len bytes of pages
 * @crc: running CRC (tess_crc_init() to start)
 * @bv: page vector
 * @nr: entries in @bv
 * @len: bytes to cover
 *
 * Return: the updated running CRC (finish with tess_crc_final()).
 */
u32 tnet_bvec_crc(u32 crc, const struct bio_vec *bv, unsigned int nr,
		  u32 len)
{
	unsigned int i;

	for (i = 0; i < nr && len; i++) {
		u32 off = bv[i].bv_offset;
		u32 left = min(bv[i].bv_len, len);

		len -= left;
		while (left) {
			struct page *page = bv[i].bv_page + (off >> PAGE_SHIFT);
			u32 poff = offset_in_page(off);
			u32 n = min_t(u32, left, PAGE_SIZE - poff);
			void *p = kmap_local_page(page);

			crc = crc32c(crc, p + poff, n);
			kunmap_local(p);
			off += n;
			left -= n;
		}
	}
	return crc;
}

static bool tnet_bulk_ok(const struct tnet_bulk *b)
{
	u64 sum = 0;
	unsigned int i;

	if (!b)
		return true;
	if (b->len > TESS_MAX_BULK || (b->nr && !b->bvec))
		return false;
	for (i = 0; i < b->nr; i++)
		sum += b->bvec[i].bv_len;
	return sum == b->len;
}

static int tnet_req_check(const struct tnet_req *req)
{
	if (req->opcode <= TESS_OP_AUTH || req->opcode >= TESS_OP_MAX)
		return -EINVAL;
	if (req->body_len > TESS_MAX_BODY || (req->body_len && !req->body))
		return -EMSGSIZE;
	if (req->send_cred &&
	    (req->body_len > TESS_MAX_BODY - sizeof(req->cred) ||
	     le32_to_cpu(req->cred.magic) != TESS_CRED_MAGIC ||
	     le32_to_cpu(req->cred.ngroups) > TESS_CRED_GROUPS_MAX))
		return -EINVAL;
	if (req->reply_cap && !req->reply_buf)
		return -EINVAL;
	if (!tnet_bulk_ok(req->send_bulk) || !tnet_bulk_ok(req->recv_bulk))
		return -EMSGSIZE;
	return 0;
}

static struct list_head *rpc_bucket(struct tnet_client *cl, u64 xid)
{
	return &cl->sent[xid & (TNET_SENT_BUCKETS - 1)];
}

static struct tnet_req *rpc_lookup_locked(struct tnet_client *cl, u64 xid)
{
	struct tnet_req *req;

	list_for_each_entry(req, rpc_bucket(cl, xid), list)
		if (req->xid == xid)
			return req;
	return NULL;
}

/* take @req off whatever list it is on */
static void rpc_unlink_locked(struct tnet_client *cl, struct tnet_req *req)
{
	list_del_init(&req->list);
	if (test_and_clear_bit(TNET_RS_SENT, &req->state))
		cl->nr_sent--;
}

/*
 * Decide @req's status (first caller wins).  The request goes on @out to
 * be completed now, or, if a sender or receiver is still at its buffers,
 * when that one is done.
 */
static void rpc_finish_locked(struct tnet_client *cl, struct tnet_req *req,
			      int status, struct list_head *out)
{
	if (test_bit(TNET_RS_DONE, &req->state))
		return;
	rpc_unlink_locked(cl, req);
	req->status = status;
	if (status == -ETIMEDOUT)
		cl->stats.timeouts++;
	set_bit(TNET_RS_DONE, &req->state);
	if (req->state & TNET_RS_BUSY)
		set_bit(TNET_RS_PENDING, &req->state);
	else
		list_add_tail(&req->list, out);
}

static void rpc_busy_end_locked(struct tnet_req *req, int bit,
				struct list_head *out)
{
	clear_bit(bit, &req->state);
	if (!(req->state & TNET_RS_BUSY) &&
	    test_and_clear_bit(TNET_RS_PENDING, &req->state))
		list_add_tail(&req->list, out);
}

static void rpc_complete_one(struct tnet_req *req)
{
	struct completion *waiter = req->waiter;

	if (waiter)
		complete(waiter);
	else if (req->done)
		req->done(req);
	tnet_req_put(req);	/* the layer's reference */
}

/*
 * Complete the requests on @list: here (@direct, the receive thread and
 * the done worker) or by handing them to the done worker.
 */
static void rpc_complete(struct tnet_client *cl, struct list_head *list,
			 bool direct)
{
	struct tnet_req *req, *tmp;

	if (list_empty(list))
		return;
	if (!direct) {
		spin_lock(&cl->lock);
		list_splice_tail_init(list, &cl->done_list);
		queue_work(tnet_rpc_wq, &cl->done_work);
		spin_unlock(&cl->lock);
		return;
	}
	list_for_each_entry_safe(req, tmp, list, list) {
		list_del_init(&req->list);
		rpc_complete_one(req);
	}
}

static void rpc_done_work(struct work_struct *work)
{
	struct tnet_client *cl = container_of(work, struct tnet_client,
					      done_work);
	LIST_HEAD(list);

	spin_lock(&cl->lock);
	list_splice_init(&cl->done_list, &list);
	spin_unlock(&cl->lock);
	rpc_complete(cl, &list, true);
}

static bool rpc_req_soft(const struct tnet_client *cl,
			 const struct tnet_req *req)
{
	return cl->soft || (req->flags & TNET_REQ_SOFT);
}

/*
 * The connection carrying @req (sent, or being received) broke: resend
 * it later (same xid), unless the client is going away or the request
 * is soft and out of time.
 */
static void rpc_conn_lost_locked(struct tnet_client *cl, struct tnet_req *req,
				 struct list_head *requeue,
				 struct list_head *out)
{
	int dead = rpc_dead_locked(cl);

	if (dead) {
		rpc_finish_locked(cl, req, dead, out);
	} else if (rpc_req_soft(cl, req) &&
		   time_after_eq(jiffies, req->deadline)) {
		rpc_finish_locked(cl, req, -ETIMEDOUT, out);
	} else {
		/* same xid, TESS_HF_RESENT: the server runs it once */
		rpc_unlink_locked(cl, req);
		set_bit(TNET_RS_RESEND, &req->state);
		list_add_tail(&req->list, requeue);
	}
}

/* fail every queued and sent request with @status */
static void rpc_fail_all_locked(struct tnet_client *cl, int status,
				struct list_head *out)
{
	struct tnet_req *req, *tmp;
	int i;

	list_for_each_entry_safe(req, tmp, &cl->queue, list)
		rpc_finish_locked(cl, req, status, out);
	for (i = 0; i < TNET_SENT_BUCKETS; i++)
		list_for_each_entry_safe(req, tmp, &cl->sent[i], list)
			rpc_finish_locked(cl, req, status, out);
}

static void rpc_arm_sweep_locked(struct tnet_client *cl)
{
	if (!cl->destroying)
		queue_delayed_work(tnet_rpc_wq, &cl->sweep, cl->sweep_period);
}

static void rpc_kick_tx_locked(struct tnet_client *cl, unsigned long delay)
{
	if (!cl->destroying)
		mod_delayed_work(tnet_rpc_wq, &cl->tx_work, delay);
}

/* ---- connections ---- */

static void rpc_conn_release(struct kref *ref)
{
	struct tnet_rpc_conn *rc = container_of(ref, struct tnet_rpc_conn,
						ref);

	tnet_disconnect(rc->tc);
	tnet_sec_free(rc->sec);
	kvfree(rc->rxbuf);
	kfree(rc);
}

static void rpc_conn_put(struct tnet_rpc_conn *rc)
{
	kref_put(&rc->ref, rpc_conn_release);
}

static void rpc_conn_shutdown(struct tnet_rpc_conn *rc)
{
	if (rc->tc->ops->shutdown)
		rc->tc->ops->shutdown(rc->tc);
}

/*
 * Take @rc out of service: idempotent requests sent on it go back to the
 * queue, the others fail with -ECONNRESET, its socket is shut down (so
 * the receive thread and a sender return) and tx_work is kicked to free
 * it and to reconnect if anything is queued.  A no-op if @rc is not the
 * current connection any more.  @why NULL: no log line.
 */
static void rpc_conn_reset(struct tnet_client *cl, struct tnet_rpc_conn *rc,
			   int err, const char *why)
{
	struct tnet_req *req, *tmp;
	LIST_HEAD(requeue);
	LIST_HEAD(out);
	int i;

	spin_lock(&cl->lock);
	if (cl->conn != rc) {
		spin_unlock(&cl->lock);
		return;
	}
	cl->conn = NULL;
	cl->want_conn = cl->keepalive;
	list_add_tail(&rc->dead, &cl->dead_conns);	/* takes cl's ref */
	if (why)
		cl->stats.resets++;
	for (i = 0; i < TNET_SENT_BUCKETS; i++)
		list_for_each_entry_safe(req, tmp, &cl->sent[i], list)
			rpc_conn_lost_locked(cl, req, &requeue, &out);
	list_splice_init(&requeue, &cl->queue);	/* at the head, in order */
	kref_get(&rc->ref);
	rpc_kick_tx_locked(cl, 0);
	spin_unlock(&cl->lock);

	if (why && err)
		pr_warn_ratelimited("%s (%s): closing the connection: %s (%d)\n",
				    cl->name, cl->peer, why, err);
	else if (why)
		pr_info_ratelimited("%s (%s): closing the connection: %s\n",
				    cl->name, cl->peer, why);
	rpc_conn_shutdown(rc);
	rpc_conn_put(rc);
	rpc_complete(cl, &out, false);
}

/* free reset connections; send_mutex held */
static void rpc_reap(struct tnet_client *cl)
{
	struct tnet_rpc_conn *rc, *tmp;
	LIST_HEAD(dead);

	spin_lock(&cl->lock);
	list_splice_init(&cl->dead_conns, &dead);
	spin_unlock(&cl->lock);
	list_for_each_entry_safe(rc, tmp, &dead, dead) {
		list_del(&rc->dead);
		rpc_conn_shutdown(rc);
		kthread_stop(rc->rx);
		rpc_conn_put(rc);
	}
}

/* ---- receiving ---- */

static int rpc_recv_iter(struct tnet_rpc_conn *rc, struct iov_iter *it)
{
	int err = rc->tc->ops->recv_iter(rc->tc, it);

	/* mid-frame, a silent timeout means a stalled peer */
	return err == -EAGAIN ? -ETIMEDOUT : err;
}

static int rpc_recv(struct tnet_rpc_conn *rc, void *buf, u32 len)
{
	struct kvec v = { .iov_base = buf, .iov_len = len };
	struct iov_iter it;

	if (!len)
		return 0;
	iov_iter_kvec(&it, ITER_DEST, &v, 1, len);
	return rpc_recv_iter(rc, &it);
}

/* read and throw away @len bytes (bulk nobody waits for any more) */
static int rpc_drain(struct tnet_rpc_conn *rc, u32 len)
{
	while (len) {
		u32 n = min_t(u32, len, TESS_MAX_BODY);
		int err = rpc_recv(rc, rc->rxbuf, n);

		if (err)
			return err;
		len -= n;
	}
	return 0;
}

/* the next header; waits as long as the connection is idle */
static int rpc_recv_hdr(struct tnet_rpc_conn *rc, struct tess_hdr *hdr)
{
	struct kvec v = { .iov_base = hdr, .iov_len = sizeof(*hdr) };
	struct iov_iter it;
	int err;

	iov_iter_kvec(&it, ITER_DEST, &v, 1, sizeof(*hdr));
	for (;;) {
		err = rc->tc->ops->recv_iter(rc->tc, &it);
		if (err != -EAGAIN)
			return err;
		if (kthread_should_stop())
			return -ESHUTDOWN;
		if (iov_iter_count(&it) != sizeof(*hdr))
			return -ETIMEDOUT;	/* stalled inside a header */
	}
}

/*
 * sec=integrity and privacy: the rest of a frame nobody uses (a request
 * from the server, a late reply, a reply given up in its bulk): its
 * @bulk_len bytes of bulk still to read, then its tag.  The rx seq moves
 * on.  The tag is checked where no buffer is needed for it: under
 * integrity always (with @body: the body is still in rxbuf), under
 * privacy for a frame without bulk; otherwise the frame is only consumed
 * (nothing of it is used).  -EBADMSG for a wrong tag.
 */
static int rpc_sec_discard(struct tnet_rpc_conn *rc, const struct tess_hdr *hdr,
			   u32 body_len, u32 bulk_len, bool body,
			   const char **why)
{
	struct tnet_sec *sec = rc->sec;
	bool mac = body && sec->flavor == TESS_SEC_INTEGRITY;
	bool gcm = body && sec->flavor == TESS_SEC_PRIVACY && !bulk_len;
	u64 seq = sec->rx_seq++;
	u8 tag[TESS_SEC_TAG_LEN], want[TESS_SEC_TAG_LEN];
	int err = 0;

	if (mac) {
		err = tnet_sec_mac_begin(sec, false, seq, hdr);
		if (!err)
			err = tnet_sec_mac_update(sec, false, rc->rxbuf,
						  body_len);
		if (err)
			goto bad;
	}
	while (bulk_len) {
		u32 n = min_t(u32, bulk_len, TESS_MAX_BODY);

		err = rpc_recv(rc, rc->rxbuf, n);
		if (err) {
			*why = "receive failed";
			return err;
		}
		if (mac) {
			err = tnet_sec_mac_update(sec, false, rc->rxbuf, n);
			if (err)
				goto bad;
		}
		bulk_len -= n;
	}
	err = rpc_recv(rc, tag, sizeof(tag));
	if (err) {
		*why = "receive failed";
		return err;
	}
	if (mac) {
		err = tnet_sec_mac_end(sec, false, want);
		if (!err && crypto_memneq(want, tag, sizeof(tag)))
			err = -EBADMSG;
	} else if (gcm) {
		struct tnet_sec_data d = { .buf = rc->rxbuf, .len = body_len };

		err = tnet_sec_open(sec, seq, hdr, &d, tag);
	}
	if (!err)
		return 0;
bad:
	*why = "frame authentication failed";
	return err;
}

/*
 * sec=integrity and privacy: read the tag of a reply whose body is in
 * rxbuf and whose bulk (@bulk_len bytes) is in @req's pages, and check
 * it; under privacy both are decrypted in place.  0, -EBADMSG (wrong
 * tag) or another -errno; *why set on failure.
 */
static int rpc_sec_open_reply(struct tnet_rpc_conn *rc, struct tnet_req *req,
			      const struct tess_hdr *hdr, u32 body_len,
			      u32 bulk_len, const char **why)
{
	struct tnet_sec *sec = rc->sec;
	struct tnet_sec_data d = {
		.buf = rc->rxbuf,
		.len = body_len,
	};
	u64 seq = sec->rx_seq++;
	u8 tag[TESS_SEC_TAG_LEN];
	int err;

	err = rpc_recv(rc, tag, sizeof(tag));
	if (err) {
		*why = "receive failed";
		return err;
	}
	if (bulk_len) {
		d.bv = req->recv_bulk->bvec;
		d.nr = req->recv_bulk->nr;
		d.bv_len = bulk_len;
	}
	err = tnet_sec_open(sec, seq, hdr, &d, tag);
	if (err)
		*why = "frame authentication failed";
	return err;
}

/*
 * Receive @len bytes of reply bulk into @req's pages, a chunk at a time.
 * Returns 0 with RXBUSY still held, 1 if the request was given up
 * (cancelled or timed out) meanwhile: then RXBUSY is released and the
 * rest was drained, or a -errno for a broken stream.
 */
static int rpc_recv_bulk(struct tnet_rpc_conn *rc, struct tnet_req *req,
			 u32 len)
{
	struct tnet_client *cl = rc->cl;
	const struct tnet_bulk *b = req->recv_bulk;
	struct iov_iter it;
	u32 got = 0;
	int err;

	iov_iter_bvec(&it, ITER_DEST, b->bvec, b->nr, len);
	while (got < len) {
		u32 n = min_t(u32, len - got, TNET_RX_CHUNK);
		size_t count;

		if (test_bit(TNET_RS_DONE, &req->state)) {
			LIST_HEAD(out);

			spin_lock(&cl->lock);
			rpc_busy_end_locked(req, TNET_RS_RXBUSY, &out);
			cl->stats.late_replies++;
			spin_unlock(&cl->lock);
			rpc_complete(cl, &out, true);
			err = rpc_drain(rc, len - got);
			return err ? err : 1;
		}
		count = iov_iter_count(&it);
		iov_iter_truncate(&it, n);
		err = rpc_recv_iter(rc, &it);
		if (err)
			return err;
		iov_iter_reexpand(&it, count - n);
		got += n;
	}
	return 0;
}

/*
 * Read one frame and deliver it.  A -errno return ends the connection,
 * *why says why for the log.
 *
 * Under sec=integrity and privacy a frame ends with a tag, and nothing
 * of a reply is used before its tag is checked: the body (decrypted in
 * rxbuf under privacy) is checked and copied to the caller only then.
 * A wrong tag is a broken stream: the request goes out again on the
 * next connection.
 */
static int rpc_rx_frame(struct tnet_rpc_conn *rc, const char **why)
{
	struct tnet_client *cl = rc->cl;
	struct tnet_sec *sec = rc->sec;
	struct tnet_req *req;
	struct tess_hdr hdr;
	struct tess_frame f;
	LIST_HEAD(requeue);
	LIST_HEAD(out);
	bool bulk_bad = false;
	u32 copy;
	int err, check = 0, status;

	err = rpc_recv_hdr(rc, &hdr);
	if (err) {
		*why = err == -ECONNRESET ? "closed by the server" :
			"receive failed";
		return err;
	}
	err = tess_hdr_decode(&hdr, &f);
	if (err) {
		*why = err == -EOPNOTSUPP ? "frame with an unknown opcode" :
			err == -EMSGSIZE ? "frame length over the protocol limit" :
			"not a valid Tessera frame header";
		return err;
	}
	err = rpc_recv(rc, rc->rxbuf, f.body_len);
	if (err) {
		*why = "receive failed";
		return err;
	}
	if (tess_body_crc(&hdr, rc->rxbuf, f.body_len) != f.body_crc) {
		*why = "body checksum mismatch";
		return -EBADMSG;
	}
	WRITE_ONCE(rc->last_rx, jiffies);

	if (!(f.flags & TESS_HF_REPLY)) {
		/* server-initiated requests (callbacks) are not used yet */
		pr_warn_ratelimited("%s (%s): ignoring a %s request from the server\n",
				    cl->name, cl->peer, tess_op_name(f.opcode));
		if (sec)
			return rpc_sec_discard(rc, &hdr, f.body_len,
					       f.bulk_len, true, why);
		err = rpc_drain(rc, f.bulk_len);
		if (err)
			*why = "receive failed";
		return err;
	}
	/* under sec, the body is checked once its tag is */
	if (!sec)
		check = tess_msg_check(&f, rc->rxbuf);

	spin_lock(&cl->lock);
	req = rpc_lookup_locked(cl, f.xid);
	cl->stats.rx_msgs++;
	cl->stats.rx_bytes += sizeof(hdr) + f.body_len + f.bulk_len;
	if (req) {
		rpc_unlink_locked(cl, req);
		set_bit(TNET_RS_RXBUSY, &req->state);
		cl->stats.replies++;
	} else {
		cl->stats.late_replies++;
	}
	spin_unlock(&cl->lock);

	if (!req) {
		if (sec)	/* nothing of it is used */
			return rpc_sec_discard(rc, &hdr, f.body_len,
					       f.bulk_len, true, why);
		if (check) {
			*why = "malformed reply";
			return check;
		}
		err = rpc_drain(rc, f.bulk_len);
		if (err)
			*why = "receive failed";
		return err;
	}

	if (check) {
		*why = "malformed reply";
		err = check;
		goto bad_hdr;
	}
	if (f.opcode != req->opcode) {
		*why = "reply opcode does not match the request";
		err = -EPROTO;
		goto bad_hdr;
	}
	status = -(int)f.status;
	copy = f.body_len;
	if (copy > req->reply_cap) {
		if (!status) {
			*why = "reply body larger than the reply buffer";
			err = -EPROTO;
			goto bad_hdr;
		}
		copy = req->reply_cap;	/* an error's hint: keep what fits */
	}
	if (f.bulk_len && (!req->recv_bulk || f.bulk_len > req->recv_bulk->len)) {
		*why = "reply bulk larger than the bulk buffer";
		err = -EPROTO;
		goto bad_hdr;
	}
	if (copy && !sec)
		memcpy(req->reply_buf, rc->rxbuf, copy);
	req->reply_len = copy;

	if (f.bulk_len) {
		err = rpc_recv_bulk(rc, req, f.bulk_len);
		if (err == 1) {
			/* given up; RXBUSY released: its pages are not ours */
			if (sec)
				return rpc_sec_discard(rc, &hdr, f.body_len, 0,
						       false, why);
			return 0;
		}
		if (err) {
			*why = "receive failed";
			goto lost;
		}
		/* over the bytes on the wire: before privacy decrypts them */
		bulk_bad = (rc->tc->features & TESS_FEAT_BULK_CRC) &&
			   tess_crc_final(tnet_bvec_crc(tess_crc_init(),
							req->recv_bulk->bvec,
							req->recv_bulk->nr,
							f.bulk_len)) != f.bulk_crc;
		if (bulk_bad && !sec) {
			*why = "bulk checksum mismatch";
			err = -EBADMSG;
			goto bad;
		}
	}
	if (sec) {
		err = rpc_sec_open_reply(rc, req, &hdr, f.body_len,
					 f.bulk_len, why);
		if (err)
			goto lost;	/* not this reply: sent again */
		if (bulk_bad) {
			*why = "bulk checksum mismatch";
			err = -EBADMSG;
			goto bad;
		}
		check = tess_msg_check(&f, rc->rxbuf);
		if (check) {
			*why = "malformed reply";
			err = check;
			goto bad;
		}
		if (copy)
			memcpy(req->reply_buf, rc->rxbuf, copy);
	}
	req->reply_bulk_len = f.bulk_len;

	spin_lock(&cl->lock);
	rpc_finish_locked(cl, req, status, &out);
	rpc_busy_end_locked(req, TNET_RS_RXBUSY, &out);
	spin_unlock(&cl->lock);
	rpc_complete(cl, &out, true);
	return 0;

bad_hdr:
	/*
	 * Under sec a header is believed once its tag is: read the rest of
	 * the frame and check it where that needs no buffer (not a privacy
	 * frame with bulk).  A frame that fails, or cannot be checked, is a
	 * broken stream, not an answer.
	 */
	if (sec) {
		const char *hdr_why = *why;
		int serr = rpc_sec_discard(rc, &hdr, f.body_len, f.bulk_len,
					   true, why);

		if (serr) {
			err = serr;
			goto lost;
		}
		*why = hdr_why;
		if (sec->flavor == TESS_SEC_PRIVACY && f.bulk_len)
			goto lost;
	}
bad:
	/* the peer broke the protocol: this request fails, the link resets */
	spin_lock(&cl->lock);
	rpc_finish_locked(cl, req, -EPROTO, &out);
	rpc_busy_end_locked(req, TNET_RS_RXBUSY, &out);
	spin_unlock(&cl->lock);
	rpc_complete(cl, &out, true);
	return err;

lost:
	/* the stream broke inside this reply */
	spin_lock(&cl->lock);
	clear_bit(TNET_RS_RXBUSY, &req->state);
	if (!test_bit(TNET_RS_DONE, &req->state)) {
		rpc_conn_lost_locked(cl, req, &requeue, &out);
		list_splice(&requeue, &cl->queue);
		rpc_kick_tx_locked(cl, 0);
	} else if (!(req->state & TNET_RS_BUSY) &&
		   test_and_clear_bit(TNET_RS_PENDING, &req->state)) {
		list_add_tail(&req->list, &out);
	}
	spin_unlock(&cl->lock);
	rpc_complete(cl, &out, true);
	return err;
}

static int rpc_rx_thread(void *data)
{
	struct tnet_rpc_conn *rc = data;
	const char *why = NULL;
	int err;

	do {
		err = rpc_rx_frame(rc, &why);
	} while (!err);

	/* a no-op if the connection was already taken out of service */
	rpc_conn_reset(rc->cl, rc, err, why);

	/* stay until rpc_reap() stops us, so that it may free rc */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* ---- connecting and sending ---- */

static bool rpc_err_transient(int err)
{
	switch (err) {
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ECONNABORTED:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -EHOSTDOWN:
	case -ENETUNREACH:
	case -ENETDOWN:
	case -EPIPE:
	case -EAGAIN:
		return true;
	}
	return false;
}

/*
 * After the handshake: the protection of sec=integrity and sec=privacy
 * from the session keys, which are wiped.  A flavor other than the one
 * asked for is refused (the handshake already does; this is the check
 * that no path lets a weaker one through).
 */
static int rpc_sec_start(struct tnet_client *cl, struct tnet_rpc_conn *rc)
{
	struct tnet_conn *tc = rc->tc;
	struct tnet_sec *sec;

	if (tc->sec != cl->sec) {
		memzero_explicit(&tc->keys, sizeof(tc->keys));
		pr_warn_ratelimited("%s (%s): the server agreed sec=%u, not the sec=%u asked for\n",
				    cl->name, cl->peer, tc->sec, cl->sec);
		return -EACCES;
	}
	if (tc->sec == TESS_SEC_AUTH) {
		memzero_explicit(&tc->keys, sizeof(tc->keys));
		return 0;
	}
	sec = tnet_sec_create(tc->sec, &tc->keys);	/* wipes the keys */
	if (IS_ERR(sec)) {
		pr_warn_ratelimited("%s (%s): cannot set up sec=%s: %pe\n",
				    cl->name, cl->peer,
				    tc->sec == TESS_SEC_PRIVACY ? "privacy" :
				    "integrity", sec);
		return PTR_ERR(sec);
	}
	rc->sec = sec;
	return 0;
}

/* connect, authenticate, start the receive thread; send_mutex held */
static int rpc_do_connect(struct tnet_client *cl)
{
	static const u8 zero_uuid[16];
	struct tnet_addr addr;
	struct tnet_rpc_conn *rc;
	struct tnet_conn *tc;
	struct task_struct *rx;
	bool restarted = false;
	u8 suuid[16];
	u64 xid;
	int err;

	rpc_reap(cl);
	spin_lock(&cl->lock);
	err = rpc_dead_locked(cl);
	if (!err && cl->conn)
		err = 1;	/* already connected */
	xid = cl->next_xid;
	cl->next_xid += 2;
	spin_unlock(&cl->lock);
	if (err)
		return err > 0 ? 0 : err;

	spin_lock(&cl->lock);
	addr = cl->addr;		/* tnet_client_set_addr() may move it */
	cl->connecting = true;
	spin_unlock(&cl->lock);
	err = tnet_connect(&addr, cl->timeout, &tc);
	if (err) {
		if (err == -ERESTARTSYS)
			err = -EINTR;
		/* once per outage, not once per retry */
		if (err != cl->conn_err)
			pr_warn_ratelimited("%s (%s): cannot connect: %d\n",
					    cl->name, cl->peer, err);
		cl->conn_err = err;
		if (cl->connect_failed)
			cl->connect_failed(cl->cb_arg, err);
		return err;
	}
	if (!tc->ops->sendmsg || !tc->ops->recv_iter) {
		tnet_disconnect(tc);
		return -EOPNOTSUPP;
	}
	rc = kzalloc(sizeof(*rc), GFP_KERNEL);
	if (!rc) {
		tnet_disconnect(tc);
		return -ENOMEM;
	}
	kref_init(&rc->ref);
	INIT_LIST_HEAD(&rc->dead);
	rc->cl = cl;
	rc->tc = tc;
	rc->rxbuf = kvmalloc(TESS_MAX_BODY, GFP_KERNEL);
	if (!rc->rxbuf) {
		err = -ENOMEM;
		goto out_put;
	}

	err = tnet_auth_client(tc, cl->tfm, cl->role, cl->uuid, xid, suuid,
			       cl->sec, READ_ONCE(cl->no_bulk_crc) ?
			       TESS_FEAT_BASE & ~(u64)TESS_FEAT_BULK_CRC :
			       TESS_FEAT_BASE);
	if (err) {
		memzero_explicit(&tc->keys, sizeof(tc->keys));
		if (err == -ERESTARTSYS)
			err = -EINTR;
		goto out_put;
	}
	err = rpc_sec_start(cl, rc);
	if (err)
		goto out_put;

	rx = kthread_create(rpc_rx_thread, rc, "tess-rx/%s", cl->name);
	if (IS_ERR(rx)) {
		err = PTR_ERR(rx);
		goto out_put;
	}
	rc->rx = rx;
	rc->last_rx = jiffies;

	spin_lock(&cl->lock);
	err = rpc_dead_locked(cl);
	if (!err) {
		cl->conn = rc;	/* cl's reference */
		cl->backoff = 0;
		cl->want_conn = false;
		restarted = memcmp(cl->server_uuid, zero_uuid, 16) &&
			    memcmp(cl->server_uuid, suuid, 16);
		memcpy(cl->server_uuid, suuid, sizeof(suuid));
		cl->features = tc->features;
		cl->stats.connects++;
	}
	spin_unlock(&cl->lock);
	if (err) {
		kthread_stop(rx);	/* never ran */
		goto out_put;
	}
	wake_up_process(rx);
	cl->conn_err = 0;
	if (restarted && cl->server_restarted)
		cl->server_restarted(cl->cb_arg);
	pr_info_ratelimited("%s (%s): connected%s\n", cl->name, cl->peer,
			    tc->features & TESS_FEAT_BULK_CRC ?
			    ", bulk checksums on" : "");
	return 0;

out_put:
	rpc_conn_put(rc);
	if (err == -EACCES)
		pr_warn_ratelimited("%s (%s): authentication failed: the server does not share our key, or does not take sec=%s\n",
				    cl->name, cl->peer,
				    cl->sec == TESS_SEC_PRIVACY ? "privacy" :
				    cl->sec == TESS_SEC_INTEGRITY ? "integrity" :
				    "auth");
	else
		pr_warn_ratelimited("%s (%s): handshake failed: %d\n",
				    cl->name, cl->peer, err);
	return err;
}

static int rpc_connect_locked(struct tnet_client *cl)
{
	int err = rpc_do_connect(cl);

	spin_lock(&cl->lock);
	cl->connecting = false;
	spin_unlock(&cl->lock);
	return err;
}

/*
 * Connecting failed.  A transient error leaves the queue to wait for the
 * server: soft requests until their deadline (the sweep), hard ones until
 * it answers, retried with a doubling backoff.  Any other error (a wrong
 * key, an abort) fails the queue.
 */
static void rpc_connect_failed(struct tnet_client *cl, int err)
{
	bool transient = rpc_err_transient(err);
	struct tnet_req *req, *tmp;
	unsigned long delay;
	LIST_HEAD(out);

	spin_lock(&cl->lock);
	list_for_each_entry_safe(req, tmp, &cl->queue, list)
		if (!transient)
			rpc_finish_locked(cl, req, err, &out);
	if (cl->soft) {
		delay = clamp_t(unsigned long, cl->timeout / 4, 1, HZ / 2);
	} else {
		cl->backoff = clamp_t(unsigned long, cl->backoff * 2,
				      TNET_BACKOFF_MIN, TNET_BACKOFF_MAX);
		delay = cl->backoff;
	}
	if ((!list_empty(&cl->queue) || cl->want_conn) && !cl->destroying)
		queue_delayed_work(tnet_rpc_wq, &cl->tx_work, delay);
	spin_unlock(&cl->lock);
	rpc_complete(cl, &out, false);
}

/* copy the first @len bytes of pages to @dst */
static void rpc_bvec_copy(void *dst, const struct bio_vec *bv, unsigned int nr,
			  u32 len)
{
	unsigned int i;

	for (i = 0; i < nr && len; i++) {
		u32 off = bv[i].bv_offset;
		u32 left = min(bv[i].bv_len, len);

		len -= left;
		while (left) {
			struct page *page = bv[i].bv_page + (off >> PAGE_SHIFT);
			u32 poff = offset_in_page(off);
			u32 n = min_t(u32, left, PAGE_SIZE - poff);

			memcpy_from_page(dst, page, poff, n);
			dst += n;
			off += n;
			left -= n;
		}
	}
}

/*
 * sec=privacy: body, credentials and bulk are encrypted into the
 * connection's bounce buffer (the caller's body and pages, page cache
 * pages among them, stay as they are) and sent from there; the CRCs are
 * over the ciphertext.
 */
static int rpc_send_private(struct tnet_rpc_conn *rc, struct tnet_req *req,
			    struct tess_frame *f, bool cred)
{
	struct tnet_conn *tc = rc->tc;
	struct tnet_sec *sec = rc->sec;
	const struct tnet_bulk *b = req->send_bulk;
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	u8 tag[TESS_SEC_TAG_LEN];
	struct tnet_sec_data d = {};
	struct tess_hdr hdr;
	struct kvec vec[3];
	unsigned int nr = 0;
	size_t total = (size_t)f->body_len + f->bulk_len;
	void *buf;
	int err;

	buf = tnet_sec_bounce(sec, total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, req->body, req->body_len);
	if (cred)
		memcpy(buf + req->body_len, &req->cred, sizeof(req->cred));
	if (f->bulk_len)
		rpc_bvec_copy(buf + f->body_len, b->bvec, b->nr, f->bulk_len);

	f->body_crc = 0;
	f->bulk_crc = 0;
	tess_hdr_encode(&hdr, f);		/* the AAD: CRCs zero */
	d.buf = buf;
	d.len = total;
	err = tnet_sec_seal(sec, sec->tx_seq++, &hdr, &d, tag);
	if (err)
		return err;
	if (f->bulk_len && (tc->features & TESS_FEAT_BULK_CRC))
		f->bulk_crc = tess_crc_final(tess_crc_update(tess_crc_init(),
							     buf + f->body_len,
							     f->bulk_len));
	tess_hdr_encode(&hdr, f);
	hdr.body_crc = cpu_to_le32(tess_body_crc(&hdr, buf, f->body_len));

	vec[nr].iov_base = &hdr;
	vec[nr++].iov_len = sizeof(hdr);
	if (total) {
		vec[nr].iov_base = buf;
		vec[nr++].iov_len = total;
	}
	vec[nr].iov_base = tag;
	vec[nr++].iov_len = sizeof(tag);
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, nr,
		      sizeof(hdr) + total + sizeof(tag));
	err = tc->ops->sendmsg(tc, &msg);
	memzero_explicit(tag, sizeof(tag));
	return err;
}

static int rpc_send_req(struct tnet_rpc_conn *rc, struct tnet_req *req,
			u64 xid, bool resent)
{
	struct tnet_conn *tc = rc->tc;
	struct tnet_sec *sec = rc->sec;
	const struct tnet_bulk *b = req->send_bulk;
	u32 bulk_len = b ? b->len : 0;
	/* only to a server that agreed: an older one refuses the flag */
	bool cred = req->send_cred && (tc->features & TESS_FEAT_CRED);
	u32 body_len = req->body_len + (cred ? sizeof(req->cred) : 0);
	struct tess_frame f = {
		.xid = xid,
		.opcode = req->opcode,
		.flags = TESS_HF_REQUEST | (resent ? TESS_HF_RESENT : 0) |
			 (cred ? TESS_HF_CRED : 0),
		.version = tc->version ? tc->version : TESS_PROTO_VERSION,
		.body_len = body_len,
		.bulk_len = bulk_len,
	};
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	u8 tag[TESS_SEC_TAG_LEN];
	struct tess_hdr hdr;
	struct kvec vec[3];
	unsigned int nr = 0;
	int err;

	if (sec && sec->flavor == TESS_SEC_PRIVACY)
		return rpc_send_private(rc, req, &f, cred);

	if (bulk_len && (tc->features & TESS_FEAT_BULK_CRC))
		f.bulk_crc = tess_crc_final(tnet_bvec_crc(tess_crc_init(),
							  b->bvec, b->nr,
							  bulk_len));
	tess_hdr_encode(&hdr, &f);
	/* the credential block follows the body in the frame */
	hdr.body_crc = cpu_to_le32(tess_body_crc2(&hdr, req->body,
						  req->body_len, &req->cred,
						  cred ? sizeof(req->cred) : 0));

	if (sec) {
		/* sec=integrity: the tag over what is sent as it is */
		err = tnet_sec_mac_begin(sec, true, sec->tx_seq++, &hdr);
		if (!err)
			err = tnet_sec_mac_update(sec, true, req->body,
						  req->body_len);
		if (!err && cred)
			err = tnet_sec_mac_update(sec, true, &req->cred,
						  sizeof(req->cred));
		if (!err && bulk_len)
			err = tnet_sec_mac_bvec(sec, true, b->bvec, b->nr,
						bulk_len);
		if (!err)
			err = tnet_sec_mac_end(sec, true, tag);
		if (err)
			return err;
	}

	vec[nr].iov_base = &hdr;
	vec[nr++].iov_len = sizeof(hdr);
	if (req->body_len) {
		vec[nr].iov_base = (void *)req->body;
		vec[nr++].iov_len = req->body_len;
	}
	if (cred) {
		vec[nr].iov_base = &req->cred;
		vec[nr++].iov_len = sizeof(req->cred);
	}
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, nr,
		      sizeof(hdr) + body_len);
	if (bulk_len || sec)
		msg.msg_flags |= MSG_MORE;
	err = tc->ops->sendmsg(tc, &msg);
	if (err || (!bulk_len && !sec))
		return err;

	if (bulk_len) {
		/* the caller's pages go to the socket as they are */
		msg.msg_flags = MSG_NOSIGNAL | (sec ? MSG_MORE : 0);
		iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, b->bvec, b->nr,
			      bulk_len);
		err = tc->ops->sendmsg(tc, &msg);
		if (err || !sec)
			return err;
	}

	/* the tag ends a protected frame */
	vec[0].iov_base = tag;
	vec[0].iov_len = sizeof(tag);
	msg.msg_flags = MSG_NOSIGNAL;
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, 1, sizeof(tag));
	return tc->ops->sendmsg(tc, &msg);
}

static void rpc_tx_work(struct work_struct *work)
{
	struct tnet_client *cl = container_of(to_delayed_work(work),
					      struct tnet_client, tx_work);
	struct tnet_rpc_conn *rc;
	struct tnet_req *req;
	LIST_HEAD(out);
	unsigned int nofs;
	bool resent;
	u64 xid;
	int err;

	/* writeback may wait for us: no reclaim into file systems */
	nofs = memalloc_nofs_save();
	mutex_lock(&cl->send_mutex);
	rpc_reap(cl);
	for (;;) {
		spin_lock(&cl->lock);
		if ((list_empty(&cl->queue) && !(cl->want_conn && !cl->conn)) ||
		    cl->destroying) {
			spin_unlock(&cl->lock);
			break;
		}
		rc = cl->conn;
		if (!rc) {
			spin_unlock(&cl->lock);
			err = rpc_connect_locked(cl);
			if (err) {
				rpc_connect_failed(cl, err);
				break;
			}
			continue;
		}
		if (list_empty(&cl->queue)) {	/* a keepalive reconnect */
			spin_unlock(&cl->lock);
			break;
		}
		req = list_first_entry(&cl->queue, struct tnet_req, list);
		if (req->send_bulk &&
		    req->send_bulk->len > rc->tc->ops->max_bulk) {
			rpc_finish_locked(cl, req, -EMSGSIZE, &out);
			spin_unlock(&cl->lock);
			rpc_complete(cl, &out, false);
			continue;
		}
		/* a request keeps its first xid: the server's reply cache */
		resent = req->xid != 0;
		if (!resent)
			req->xid = cl->next_xid++;
		xid = req->xid;
		/* hashed before sending: the reply may beat us back here */
		list_move_tail(&req->list, rpc_bucket(cl, xid));
		set_bit(TNET_RS_SENT, &req->state);
		cl->nr_sent++;
		set_bit(TNET_RS_TXBUSY, &req->state);
		if (test_and_clear_bit(TNET_RS_RESEND, &req->state))
			cl->stats.resends++;
		/* the deadline runs from now: a queue is no server's fault */
		req->deadline = jiffies + cl->timeout;
		kref_get(&rc->ref);
		spin_unlock(&cl->lock);

		err = rpc_send_req(rc, req, xid, resent);

		spin_lock(&cl->lock);
		if (!err) {
			cl->stats.tx_msgs++;
			cl->stats.tx_bytes += sizeof(struct tess_hdr) +
				req->body_len +
				(req->send_bulk ? req->send_bulk->len : 0);
			/* the credential block rpc_send_req added */
			if (req->send_cred &&
			    (rc->tc->features & TESS_FEAT_CRED))
				cl->stats.tx_bytes += sizeof(req->cred);
		}
		if (err && test_bit(TNET_RS_SENT, &req->state)) {
			/* not all of it left: the server never saw it */
			rpc_unlink_locked(cl, req);
			list_add(&req->list, &cl->queue);
		}
		rpc_busy_end_locked(req, TNET_RS_TXBUSY, &out);
		spin_unlock(&cl->lock);
		rpc_complete(cl, &out, false);
		if (err)
			rpc_conn_reset(cl, rc, err, "send failed");
		rpc_conn_put(rc);
	}
	mutex_unlock(&cl->send_mutex);
	memalloc_nofs_restore(nofs);
}

static void rpc_sweep(struct work_struct *work)
{
	struct tnet_client *cl = container_of(to_delayed_work(work),
					      struct tnet_client, sweep);
	struct tnet_rpc_conn *rc = NULL;
	unsigned long now = jiffies;
	struct tnet_req *req, *tmp;
	bool expired_sent = false, alive;
	LIST_HEAD(out);
	int i;

	spin_lock(&cl->lock);
	/*
	 * Queued requests of a soft client fail once past their deadline
	 * while the server shows no progress: on a slow link requests wait
	 * in the queue behind others longer than a timeout, but replies keep
	 * coming.  Hard requests wait in the queue for as long as it takes.
	 */
	alive = cl->conn &&
		time_before(now, READ_ONCE(cl->conn->last_rx) + cl->timeout);
	list_for_each_entry_safe(req, tmp, &cl->queue, list)
		if (rpc_req_soft(cl, req) &&
		    time_after_eq(now, req->deadline) && !alive)
			rpc_finish_locked(cl, req, -ETIMEDOUT, &out);
	/*
	 * A request on the wire has its own deadline, counted from when it
	 * was sent: past it, the server dropped it or is stuck.  A soft one
	 * fails; either way the connection is reset, and what was sent on it
	 * goes out again on the next one (same xid).
	 */
	for (i = 0; i < TNET_SENT_BUCKETS; i++)
		list_for_each_entry_safe(req, tmp, &cl->sent[i], list) {
			if (time_before(now, req->deadline) ||
			    test_bit(TNET_RS_TXBUSY, &req->state))
				continue;
			expired_sent = true;
			if (rpc_req_soft(cl, req))
				rpc_finish_locked(cl, req, -ETIMEDOUT, &out);
		}
	if (expired_sent && cl->conn) {
		rc = cl->conn;
		kref_get(&rc->ref);
	}
	if (!list_empty(&cl->queue) || cl->nr_sent)
		rpc_arm_sweep_locked(cl);
	spin_unlock(&cl->lock);

	rpc_complete(cl, &out, false);
	if (rc) {
		rpc_conn_reset(cl, rc, -ETIMEDOUT, "server not responding");
		rpc_conn_put(rc);
	}
}

/* ---- the API ---- */

/**
 * tnet_client_create - a client for one server; does not connect yet
 * @conf: address, key, identity, timeout (0: 30 s) and a name for logs
 *
 * Return: the client or an ERR_PTR (-EINVAL for a bad key length).
 */
struct tnet_client *tnet_client_create(const struct tnet_client_conf *conf)
{
	struct tnet_client *cl;
	struct crypto_shash *tfm;
	int i;

	tfm = tnet_auth_alloc(conf->key, conf->key_len);
	if (IS_ERR(tfm))
		return ERR_CAST(tfm);
	cl = kzalloc(sizeof(*cl), GFP_KERNEL);
	if (!cl) {
		crypto_free_shash(tfm);
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_init(&cl->lock);
	mutex_init(&cl->send_mutex);
	INIT_LIST_HEAD(&cl->dead_conns);
	INIT_LIST_HEAD(&cl->queue);
	for (i = 0; i < TNET_SENT_BUCKETS; i++)
		INIT_LIST_HEAD(&cl->sent[i]);
	INIT_LIST_HEAD(&cl->done_list);
	INIT_WORK(&cl->done_work, rpc_done_work);
	INIT_DELAYED_WORK(&cl->tx_work, rpc_tx_work);
	INIT_DELAYED_WORK(&cl->sweep, rpc_sweep);
	cl->next_xid = 1;
	cl->sec = conf->sec;
	cl->tfm = tfm;
	cl->addr = conf->addr;
	memcpy(cl->uuid, conf->uuid, sizeof(cl->uuid));
	cl->role = conf->role;
	cl->soft = conf->soft;
	cl->keepalive = conf->keepalive;
	cl->no_bulk_crc = conf->no_bulk_crc;
	cl->connect_failed = conf->connect_failed;
	cl->server_restarted = conf->server_restarted;
	cl->cb_arg = conf->arg;
	cl->timeout = conf->timeout ? conf->timeout : TNET_DEFAULT_TIMEOUT;
	cl->sweep_period = clamp_t(unsigned long, cl->timeout / 4,
				   max(1, HZ / 20), HZ);
	strscpy(cl->name, conf->name ? conf->name : "tessera",
		sizeof(cl->name));
	if (tnet_addr_format(&cl->addr, cl->peer, sizeof(cl->peer)) < 0)
		strscpy(cl->peer, "?", sizeof(cl->peer));
	mutex_lock(&tnet_clients_mutex);
	cl->id = ++tnet_client_last_id;
	list_add_tail(&cl->all, &tnet_clients);
	mutex_unlock(&tnet_clients_mutex);
	return cl;
}
EXPORT_SYMBOL_GPL(tnet_client_create);

/**
 * tnet_client_connect - connect and authenticate now, if not connected
 * @cl: the client
 *
 * Return: 0, -EACCES (wrong key), -ETIMEDOUT, -ECONNREFUSED, -EIO after
 * tnet_client_abort(), or another -errno.
 */
int tnet_client_connect(struct tnet_client *cl)
{
	int err;

	mutex_lock(&cl->send_mutex);
	err = rpc_connect_locked(cl);
	mutex_unlock(&cl->send_mutex);
	return err;
}
EXPORT_SYMBOL_GPL(tnet_client_connect);

/**
 * tnet_client_abort - fail everything pending with -EIO (umount -f)
 * @cl: the client
 *
 * Requests submitted within the next timeout fail at once too, so that
 * the umount that follows does not wait for a dead server; after that
 * the client serves requests again (a forced umount may find the mount
 * busy and leave it mounted).  Does not wait; completions run from a
 * worker.
 */
void tnet_client_abort(struct tnet_client *cl)
{
	struct tnet_rpc_conn *rc;
	LIST_HEAD(out);

	spin_lock(&cl->lock);
	cl->aborted = true;
	cl->abort_until = jiffies + cl->timeout;
	rpc_fail_all_locked(cl, -EIO, &out);
	rc = cl->conn;
	if (rc)
		kref_get(&rc->ref);
	spin_unlock(&cl->lock);
	rpc_complete(cl, &out, false);
	if (rc) {
		rpc_conn_reset(cl, rc, -EIO, NULL);
		rpc_conn_put(rc);
	}
}
EXPORT_SYMBOL_GPL(tnet_client_abort);

/**
 * tnet_client_shutdown - first half of destroy: fail everything with
 * -ESHUTDOWN and close the connection, without waiting
 * @cl: the client (NULL or an ERR_PTR are ignored)
 *
 * Calling it for every client before destroying any lets their workers
 * (a connect in progress, say) finish in parallel.
 */
void tnet_client_shutdown(struct tnet_client *cl)
{
	struct tnet_rpc_conn *rc;
	LIST_HEAD(out);

	if (IS_ERR_OR_NULL(cl))
		return;
	spin_lock(&cl->lock);
	cl->destroying = true;
	rpc_fail_all_locked(cl, -ESHUTDOWN, &out);
	rc = cl->conn;
	if (rc)
		kref_get(&rc->ref);
	spin_unlock(&cl->lock);
	rpc_complete(cl, &out, false);
	if (rc) {
		rpc_conn_reset(cl, rc, -ESHUTDOWN, NULL);
		rpc_conn_put(rc);
	}
}
EXPORT_SYMBOL_GPL(tnet_client_shutdown);

/**
 * tnet_client_destroy - fail everything with -ESHUTDOWN, close, free
 * @cl: the client (NULL or an ERR_PTR are ignored)
 *
 * Every completion has run when this returns.  No request may be
 * submitted concurrently.
 */
void tnet_client_destroy(struct tnet_client *cl)
{
	int i;

	if (IS_ERR_OR_NULL(cl))
		return;
	mutex_lock(&tnet_clients_mutex);
	list_del(&cl->all);
	mutex_unlock(&tnet_clients_mutex);
	tnet_client_shutdown(cl);

	/* destroying stops both from queueing themselves again */
	cancel_delayed_work_sync(&cl->tx_work);
	cancel_delayed_work_sync(&cl->sweep);
	mutex_lock(&cl->send_mutex);
	rpc_reap(cl);		/* stops the receive threads */
	mutex_unlock(&cl->send_mutex);
	flush_work(&cl->done_work);

	WARN_ON(!list_empty(&cl->queue) || cl->nr_sent || cl->conn ||
		!list_empty(&cl->done_list));
	for (i = 0; i < TNET_SENT_BUCKETS; i++)
		WARN_ON(!list_empty(&cl->sent[i]));
	crypto_free_shash(cl->tfm);
	mutex_destroy(&cl->send_mutex);
	kfree(cl);
}
EXPORT_SYMBOL_GPL(tnet_client_destroy);

/**
 * tnet_client_set_addr - the server moved: connect to @addr from now on
 * @cl: the client
 * @addr: the new address
 *
 * Queued requests, and those on the current connection (which is reset),
 * go to the new address, with their xids.
 */
void tnet_client_set_addr(struct tnet_client *cl, const struct tnet_addr *addr)
{
	struct tnet_rpc_conn *rc;

	spin_lock(&cl->lock);
	cl->addr = *addr;
	if (tnet_addr_format(&cl->addr, cl->peer, sizeof(cl->peer)) < 0)
		strscpy(cl->peer, "?", sizeof(cl->peer));
	cl->conn_err = 0;
	cl->backoff = 0;
	rc = cl->conn;
	if (rc)
		kref_get(&rc->ref);
	else
		rpc_kick_tx_locked(cl, 0);
	spin_unlock(&cl->lock);
	if (rc) {
		rpc_conn_reset(cl, rc, -EHOSTUNREACH, "the server moved");
		rpc_conn_put(rc);
	}
}
EXPORT_SYMBOL_GPL(tnet_client_set_addr);

/**
 * tnet_client_set_bulk_crc - checksum bulk data from the next connection
 * @cl: the client
 * @on: offer TESS_FEAT_BULK_CRC in the handshake (the default)
 *
 * The feature is agreed per connection, so a connection that agreed the
 * other setting is closed; what it had in flight is sent again on the
 * next one (same xid: the server runs it once).
 */
void tnet_client_set_bulk_crc(struct tnet_client *cl, bool on)
{
	struct tnet_rpc_conn *rc = NULL;

	spin_lock(&cl->lock);
	WRITE_ONCE(cl->no_bulk_crc, !on);
	if (cl->conn && !(cl->conn->tc->features & TESS_FEAT_BULK_CRC) != !on) {
		rc = cl->conn;
		kref_get(&rc->ref);
	}
	spin_unlock(&cl->lock);
	if (rc) {
		rpc_conn_reset(cl, rc, 0, on ? "bulk checksums turned on" :
					      "bulk checksums turned off");
		rpc_conn_put(rc);
	}
}
EXPORT_SYMBOL_GPL(tnet_client_set_bulk_crc);

/**
 * tnet_client_server_uuid - the server instance of the last handshake
 * @cl: the client
 * @uuid: set to the uuid (zeros before the first handshake)
 */
void tnet_client_server_uuid(struct tnet_client *cl, u8 uuid[16])
{
	spin_lock(&cl->lock);
	memcpy(uuid, cl->server_uuid, 16);
	spin_unlock(&cl->lock);
}
EXPORT_SYMBOL_GPL(tnet_client_server_uuid);

/**
 * tnet_client_features - what the last handshake agreed
 * @cl: the client
 *
 * Return: TESS_FEAT_* bits; 0 before the first handshake.  A reconnect
 * may change them (the server was replaced by an older or newer one).
 */
u64 tnet_client_features(struct tnet_client *cl)
{
	u64 features;

	spin_lock(&cl->lock);
	features = cl->features;
	spin_unlock(&cl->lock);
	return features;
}
EXPORT_SYMBOL_GPL(tnet_client_features);

/**
 * tnet_client_stats - a snapshot of the client's counters
 * @cl: the client
 * @st: filled in
 */
void tnet_client_stats(struct tnet_client *cl, struct tnet_client_stats *st)
{
	spin_lock(&cl->lock);
	*st = cl->stats;
	spin_unlock(&cl->lock);
}
EXPORT_SYMBOL_GPL(tnet_client_stats);

static void rpc_peer_info(struct tnet_client *cl, struct tnet_peer_info *pi)
{
	struct tnet_req *req;
	u32 queued = 0;

	memset(pi, 0, sizeof(*pi));
	pi->id = cl->id;
	strscpy(pi->name, cl->name, sizeof(pi->name));
	spin_lock(&cl->lock);
	strscpy(pi->addr, cl->peer, sizeof(pi->addr));
	strscpy(pi->net, cl->addr.net, sizeof(pi->net));
	if (cl->conn)
		pi->state = TESS_NL_PEER_UP;
	else if (cl->connecting)
		pi->state = TESS_NL_PEER_CONNECTING;
	else
		pi->state = TESS_NL_PEER_DOWN;
	pi->in_flight = cl->nr_sent;
	list_for_each_entry(req, &cl->queue, list)
		queued++;
	pi->queued = queued;
	pi->stats = cl->stats;
	spin_unlock(&cl->lock);
}

/**
 * tnet_peers_walk - a snapshot of each client, in id order
 * @pos: clients with an id over *@pos are visited; set to the id of each
 *	one @fn took (returned 0 for), so that a walk can resume there
 * @fn: called (tnet_clients_mutex held, may not sleep for long) with each
 *	snapshot; a nonzero return ends the walk and is returned
 * @arg: for @fn
 *
 * Return: 0 when every client was visited, else what @fn returned.
 */
int tnet_peers_walk(u32 *pos,
		    int (*fn)(const struct tnet_peer_info *pi, void *arg),
		    void *arg)
{
	struct tnet_peer_info *pi;
	struct tnet_client *cl;
	int err = 0;

	pi = kmalloc(sizeof(*pi), GFP_KERNEL);
	if (!pi)
		return -ENOMEM;
	mutex_lock(&tnet_clients_mutex);
	list_for_each_entry(cl, &tnet_clients, all) {
		if (cl->id <= *pos)
			continue;
		rpc_peer_info(cl, pi);
		err = fn(pi, arg);
		if (err)
			break;
		*pos = cl->id;
	}
	mutex_unlock(&tnet_clients_mutex);
	kfree(pi);
	return err;
}

/**
 * tnet_peers_count - how many clients connect over a network type
 * @net: the network type, e.g. "tcp"
 *
 * Return: the number of clients whose server address is on @net.
 */
unsigned int tnet_peers_count(const char *net)
{
	struct tnet_client *cl;
	unsigned int n = 0;

	mutex_lock(&tnet_clients_mutex);
	list_for_each_entry(cl, &tnet_clients, all) {
		spin_lock(&cl->lock);
		if (!strcmp(cl->addr.net, net))
			n++;
		spin_unlock(&cl->lock);
	}
	mutex_unlock(&tnet_clients_mutex);
	return n;
}

/**
 * tnet_submit - send a request; req->done runs once with req->status set
 * @cl: the client
 * @req: the request (the caller keeps its own reference)
 *
 * Process context.  Never runs req->done itself: errors found here are
 * completed from a worker too.
 */
void tnet_submit(struct tnet_client *cl, struct tnet_req *req)
{
	LIST_HEAD(out);
	int err;

	kref_get(&req->ref);	/* the layer's, dropped after completion */
	req->cl = cl;
	req->state = 0;
	req->status = 0;
	req->reply_len = 0;
	req->reply_bulk_len = 0;
	req->xid = 0;
	INIT_LIST_HEAD(&req->list);
	req->deadline = jiffies + cl->timeout;
	err = tnet_req_check(req);

	spin_lock(&cl->lock);
	cl->stats.requests++;
	if (!err)
		err = rpc_dead_locked(cl);
	if (err) {
		rpc_finish_locked(cl, req, err, &out);
	} else {
		list_add_tail(&req->list, &cl->queue);
		rpc_kick_tx_locked(cl, 0);
		rpc_arm_sweep_locked(cl);
	}
	spin_unlock(&cl->lock);
	rpc_complete(cl, &out, false);
}
EXPORT_SYMBOL_GPL(tnet_submit);

/**
 * tnet_call - send a request and wait for its reply
 * @cl: the client
 * @req: the request; req->done is not used
 *
 * A fatal signal ends the wait with -EINTR; the request is cancelled and
 * this returns only when the layer no longer touches @req's buffers.
 *
 * Return: req->status.
 */
int tnet_call(struct tnet_client *cl, struct tnet_req *req)
{
	DECLARE_COMPLETION_ONSTACK(done);
	LIST_HEAD(out);

	req->waiter = &done;
	tnet_submit(cl, req);
	if (wait_for_completion_killable(&done)) {
		struct tnet_rpc_conn *rc = NULL;

		spin_lock(&cl->lock);
		rpc_finish_locked(cl, req, -EINTR, &out);
		/*
		 * A sender in the middle of our bulk may wait long on a slow
		 * peer: end it by resetting the connection (what was on it is
		 * resent with the same xid, so this loses nothing).
		 */
		if (test_bit(TNET_RS_TXBUSY, &req->state) && cl->conn) {
			rc = cl->conn;
			kref_get(&rc->ref);
		}
		spin_unlock(&cl->lock);
		rpc_complete(cl, &out, false);
		if (rc) {
			rpc_conn_reset(cl, rc, -EINTR, NULL);
			rpc_conn_put(rc);
		}
		/* at most one bulk chunk away: the receiver checks DONE */
		wait_for_completion(&done);
	}
	req->waiter = NULL;
	return req->status;
}
EXPORT_SYMBOL_GPL(tnet_call);

int tnet_rpc_init(void)
{
	tnet_rpc_wq = alloc_workqueue("tessera_rpc", WQ_MEM_RECLAIM | WQ_UNBOUND,
				      0);
	return tnet_rpc_wq ? 0 : -ENOMEM;
}

void tnet_rpc_exit(void)
{
	destroy_workqueue(tnet_rpc_wq);
}
