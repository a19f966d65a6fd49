// SPDX-License-Identifier: GPL-2.0
/*
 * rdma.c - the RDMA transport of the Tessera network layer
 * (tessera_lnet_rdma.ko, network type "rdma").
 *
 * A connection is one RC queue pair made by rdma_cm (port space
 * RDMA_PS_TCP, the TCP port numbers) that carries the byte stream of a
 * TCP connection cut into SEND messages, as include/tessera.h describes
 * ("network type rdma"): each message is a struct tess_rdma_msg and up
 * to the peer's buffer size minus 8 bytes of stream.  Bulk data travels
 * in that stream too (supports_rdma_bulk is false): no memory
 * registration, no RDMA READ/WRITE yet.
 *
 * Buffers: TNET_RDMA_RX_BUFS receive buffers of TNET_RDMA_RX_SIZE bytes
 * are posted before rdma_connect() and announced in the private data;
 * TNET_RDMA_TX_BUFS send buffers of min(peer's size, TNET_RDMA_TX_SIZE)
 * are allocated once the peer's private data is known.  Every buffer is
 * mapped once with ib_dma_map_single() and used with the PD's local DMA
 * lkey; every SEND is signalled.  The QP has room for the send ring, one
 * credit message and the drain WR of ib_drain_qp(); the receive queue
 * for the receive buffers and the drain WR.
 *
 * Flow control (credits): sendmsg() copies the caller's iterator into the
 * current send buffer and posts it when it is full or the message ends
 * without MSG_MORE.  Stream bytes need two credits, a credit return one;
 * every message carries the credits owed (receive buffers re-posted since
 * our last message).  A credit return goes out, under the connection
 * lock and from whichever context changed the counts (recv_iter after a
 * re-post, the receive completion of a credit message, the arrival of
 * credits), when we owe half of our receive buffers and no sender is
 * about to post stream bytes, or cannot (less than two credits): so a
 * side that only receives, e.g. a 16 MiB bulk reply, keeps the peer
 * going, and two sides with one credit each cannot both wait.
 *
 * Blocking: send and receive wait interruptibly, each wait bounded by the
 * connect timeout as sk_sndtimeo/sk_rcvtimeo bound them in tcp.c, and
 * return -EAGAIN when it runs out (recv_iter with the iterator advanced by
 * what arrived).  Connecting waits killably for at most the timeout.
 *
 * Errors: a dead connection (the peer disconnected, a failed or flushed
 * completion, a protocol error from the peer) gives -ECONNRESET from
 * recv_iter once the messages that did arrive are read, and from sendmsg;
 * after shutdown() recv_iter returns -ECONNRESET and sendmsg -EPIPE at
 * once (tcp.c: a read of 0 bytes, a write to a shut socket).  Protocol
 * errors are logged once per connection and the connection is
 * disconnected.
 *
 * Device removal: the rdma_cm core waits for rdma_destroy_id() before the
 * device goes.  DEVICE_REMOVAL marks the connection dead and wakes every
 * waiter, so the RPC layer sees an error and calls disconnect(), which
 * destroys the id; nothing here waits for the device without a bound.  A
 * connection nobody uses holds the removal until its owner's next send,
 * receive timeout or disconnect.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/in.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/sched/signal.h>
#include <net/net_namespace.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "tnet.h"

#define TNET_RDMA_RX_BUFS	32
#define TNET_RDMA_RX_SIZE	(32 * 1024)
#define TNET_RDMA_TX_BUFS	32
#define TNET_RDMA_TX_SIZE	(32 * 1024)
#define TNET_RDMA_HDR		sizeof(struct tess_rdma_msg)
#define TNET_RDMA_RESOLVE_MS	5000	/* longest address/route resolve */

enum tnet_rdma_cm_state {
	TNET_RDMA_CM_WAIT,		/* an rdma_cm step is in progress */
	TNET_RDMA_CM_ADDR,		/* address resolved */
	TNET_RDMA_CM_ROUTE,		/* route resolved */
	TNET_RDMA_CM_UP,		/* established */
	TNET_RDMA_CM_ERROR,		/* failed: cm_err */
};

struct tnet_rdma_conn;

struct tnet_rdma_buf {
	struct ib_cqe cqe;
	struct list_head list;		/* rx: on rc->rx_ready */
	void *buf;
	u64 dma;
	u32 len;			/* rx: stream bytes in the message */
	u32 off;			/* rx: bytes of them already read */
	bool busy;			/* tx: posted, not completed */
};

struct tnet_rdma_conn {
	struct tnet_conn conn;
	struct sockaddr_in sin;		/* the peer, for logs */
	struct rdma_cm_id *id;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_device *dev;
	unsigned long timeout;		/* each send/receive wait */
	struct work_struct disc_work;	/* rdma_disconnect() from atomic */

	spinlock_t lock;		/* everything below; _bh */
	wait_queue_head_t wq;		/* connect, senders and receivers */
	enum tnet_rdma_cm_state cm_state;
	int cm_err;
	bool established;		/* the QP was connected once */
	bool closing;			/* teardown: no more disc_work */
	bool shut;			/* shutdown() was called */
	bool logged;			/* a protocol error was logged */
	bool broken;			/* protocol or completion error */
	int dead;			/* 0 or the errno of a dead link */

	/* receive side */
	struct tnet_rdma_buf rx[TNET_RDMA_RX_BUFS];
	unsigned int nr_rx_mapped;
	struct list_head rx_ready;	/* received, not fully read */
	unsigned int rx_owed;		/* re-posted since our last message */
	struct mutex rx_mutex;		/* one reader at a time */

	/* send side */
	struct tnet_rdma_buf tx[TNET_RDMA_TX_BUFS];
	unsigned int nr_tx_mapped;
	u32 tx_size;			/* per buffer, header included */
	unsigned int tx_next;		/* the buffer being filled */
	u32 tx_fill;			/* stream bytes in it */
	bool tx_waiting;		/* a full buffer waits for credits */
	bool tx_ready;			/* send buffers (and cmsg) mapped */
	unsigned int tx_credits;	/* peer receive buffers we may use */
	unsigned int peer_credits;	/* the peer's tess_rdma_cm.credits */
	u32 peer_buf;			/* the peer's tess_rdma_cm.buf_size */
	struct tnet_rdma_buf cmsg;	/* the credit-only message */
	struct mutex tx_mutex;		/* one sender at a time */
};

static inline struct tnet_rdma_conn *to_rdma(struct tnet_conn *conn)
{
	return container_of(conn, struct tnet_rdma_conn, conn);
}

/* as sock_intr_errno(): restart only a wait without a timeout */
static int tnet_rdma_intr_errno(unsigned long timeout)
{
	return timeout == MAX_SCHEDULE_TIMEOUT ? -ERESTARTSYS : -EINTR;
}

/* ---- a dead connection ---- */

static void tnet_rdma_disc_work(struct work_struct *work)
{
	struct tnet_rdma_conn *rc = container_of(work, struct tnet_rdma_conn,
						 disc_work);

	rdma_disconnect(rc->id);
}

/* lock held; @err: -ECONNRESET (the link) or -EPIPE (shutdown) */
static void tnet_rdma_kill_locked(struct tnet_rdma_conn *rc, int err,
				  bool disconnect)
{
	if (!rc->dead)
		rc->dead = err;
	if (disconnect && rc->established && !rc->closing)
		schedule_work(&rc->disc_work);
	wake_up_all(&rc->wq);
}

/* a protocol error of the peer: logged once, then disconnect; lock held */
static void tnet_rdma_proto_err_locked(struct tnet_rdma_conn *rc,
				       const char *why, u32 a, u32 b)
{
	if (!rc->logged && !rc->dead) {
		rc->logged = true;
		pr_warn_ratelimited("%pI4:%u: protocol error: %s (%u, %u), disconnecting\n",
				    &rc->sin.sin_addr, ntohs(rc->sin.sin_port),
				    why, a, b);
	}
	rc->broken = true;
	tnet_rdma_kill_locked(rc, -ECONNRESET, true);
}

/* a failed work completion; lock held */
static void tnet_rdma_wc_err_locked(struct tnet_rdma_conn *rc,
				    struct ib_wc *wc, const char *what)
{
	if (wc->status != IB_WC_WR_FLUSH_ERR && !rc->logged && !rc->dead) {
		rc->logged = true;
		pr_warn_ratelimited("%pI4:%u: %s failed: %s (%d)\n",
				    &rc->sin.sin_addr, ntohs(rc->sin.sin_port),
				    what, ib_wc_status_msg(wc->status),
				    wc->status);
	}
	rc->broken = true;
	tnet_rdma_kill_locked(rc, -ECONNRESET, true);
}

/* ---- credits ---- */

/* send a credit return if one is due (see the top of the file); lock held */
static void tnet_rdma_credit_check_locked(struct tnet_rdma_conn *rc)
{
	struct tess_rdma_msg *m = rc->cmsg.buf;
	struct ib_sge sge;
	struct ib_send_wr wr = {};
	int err;

	if (rc->dead || !rc->tx_ready || rc->cmsg.busy || !rc->tx_credits)
		return;
	if (rc->rx_owed < TNET_RDMA_RX_BUFS / 2)
		return;
	if (rc->tx_waiting && rc->tx_credits >= 2)
		return;		/* the sender piggybacks them right away */

	m->len = 0;
	m->credits = cpu_to_le16(rc->rx_owed);
	m->reserved = 0;
	ib_dma_sync_single_for_device(rc->dev, rc->cmsg.dma, TNET_RDMA_HDR,
				      DMA_TO_DEVICE);
	sge.addr = rc->cmsg.dma;
	sge.length = TNET_RDMA_HDR;
	sge.lkey = rc->pd->local_dma_lkey;
	wr.wr_cqe = &rc->cmsg.cqe;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IB_WR_SEND;
	wr.send_flags = IB_SEND_SIGNALED;
	err = ib_post_send(rc->id->qp, &wr, NULL);
	if (err) {
		tnet_rdma_kill_locked(rc, -ECONNRESET, true);
		return;
	}
	rc->cmsg.busy = true;
	rc->rx_owed = 0;
	rc->tx_credits--;
}

static int tnet_rdma_post_recv(struct tnet_rdma_conn *rc,
			       struct tnet_rdma_buf *b)
{
	struct ib_sge sge = {
		.addr = b->dma,
		.length = TNET_RDMA_RX_SIZE,
		.lkey = rc->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &b->cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	ib_dma_sync_single_for_device(rc->dev, b->dma, TNET_RDMA_RX_SIZE,
				      DMA_FROM_DEVICE);
	return ib_post_recv(rc->id->qp, &wr, NULL);
}

/* give a fully read (or credit-only) receive buffer back; lock held */
static void tnet_rdma_repost_locked(struct tnet_rdma_conn *rc,
				    struct tnet_rdma_buf *b)
{
	if (rc->dead)
		return;		/* the QP is going: nothing to re-post into */
	if (tnet_rdma_post_recv(rc, b)) {
		tnet_rdma_kill_locked(rc, -ECONNRESET, true);
		return;
	}
	rc->rx_owed++;
	tnet_rdma_credit_check_locked(rc);
}

/* ---- completions (softirq) ---- */

static void tnet_rdma_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct tnet_rdma_conn *rc = cq->cq_context;
	struct tnet_rdma_buf *b = container_of(wc->wr_cqe,
					       struct tnet_rdma_buf, cqe);
	const struct tess_rdma_msg *m = b->buf;
	u32 len, credits;

	spin_lock(&rc->lock);
	if (wc->status != IB_WC_SUCCESS) {
		tnet_rdma_wc_err_locked(rc, wc, "receive");
		goto out;
	}
	/*
	 * After a disconnect, what arrived before it is still read; after a
	 * protocol error or shutdown() nothing is.
	 */
	if (rc->broken || rc->shut)
		goto out;
	ib_dma_sync_single_for_cpu(rc->dev, b->dma, TNET_RDMA_RX_SIZE,
				   DMA_FROM_DEVICE);
	if (wc->byte_len < TNET_RDMA_HDR) {
		tnet_rdma_proto_err_locked(rc, "message shorter than its header",
					   wc->byte_len, TNET_RDMA_HDR);
		goto out;
	}
	len = le32_to_cpu(m->len);
	credits = le16_to_cpu(m->credits);
	if (len != wc->byte_len - TNET_RDMA_HDR) {
		tnet_rdma_proto_err_locked(rc, "len does not match the bytes received",
					   len, wc->byte_len);
		goto out;
	}
	if (len > TNET_RDMA_RX_SIZE - TNET_RDMA_HDR) {
		tnet_rdma_proto_err_locked(rc, "message longer than our buffer",
					   len, TNET_RDMA_RX_SIZE);
		goto out;
	}
	if (m->reserved) {
		tnet_rdma_proto_err_locked(rc, "nonzero reserved field",
					   le16_to_cpu(m->reserved), 0);
		goto out;
	}
	if (rc->tx_credits + credits > rc->peer_credits) {
		tnet_rdma_proto_err_locked(rc, "credits beyond those used",
					   credits,
					   rc->peer_credits - rc->tx_credits);
		goto out;
	}

	if (credits) {
		rc->tx_credits += credits;
		wake_up_all(&rc->wq);	/* senders */
	}
	if (!len) {
		tnet_rdma_repost_locked(rc, b);	/* a credit return */
	} else {
		b->len = len;
		b->off = 0;
		list_add_tail(&b->list, &rc->rx_ready);
		wake_up_all(&rc->wq);	/* receivers */
	}
	tnet_rdma_credit_check_locked(rc);
out:
	spin_unlock(&rc->lock);
}

static void tnet_rdma_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct tnet_rdma_conn *rc = cq->cq_context;
	struct tnet_rdma_buf *b = container_of(wc->wr_cqe,
					       struct tnet_rdma_buf, cqe);

	spin_lock(&rc->lock);
	b->busy = false;
	if (wc->status != IB_WC_SUCCESS)
		tnet_rdma_wc_err_locked(rc, wc, "send");
	else if (b == &rc->cmsg)
		tnet_rdma_credit_check_locked(rc);
	wake_up_all(&rc->wq);
	spin_unlock(&rc->lock);
}

/* ---- rdma_cm events ---- */

/* a step of connect failed: the first reason counts */
static void tnet_rdma_cm_fail_locked(struct tnet_rdma_conn *rc, int err)
{
	if (rc->cm_state != TNET_RDMA_CM_WAIT)
		return;
	rc->cm_err = err;
	rc->cm_state = TNET_RDMA_CM_ERROR;
}

/* the peer's tess_rdma_cm from the accept; lock held */
static int tnet_rdma_parse_cm_locked(struct tnet_rdma_conn *rc,
				     const struct rdma_conn_param *p)
{
	const struct tess_rdma_cm *cm = p->private_data;
	u32 credits, size;

	if (!cm || p->private_data_len < sizeof(*cm)) {
		pr_warn("%pI4:%u: no Tessera private data in the accept (%u bytes)\n",
			&rc->sin.sin_addr, ntohs(rc->sin.sin_port),
			p->private_data_len);
		return -EPROTO;
	}
	credits = le16_to_cpu(cm->credits);
	size = le32_to_cpu(cm->buf_size);
	if (le32_to_cpu(cm->magic) != TESS_RDMA_MAGIC ||
	    le16_to_cpu(cm->version) != TESS_RDMA_VERSION ||
	    credits < 1 || credits > TESS_RDMA_CREDITS_MAX ||
	    size < TESS_RDMA_BUF_MIN || size > TESS_RDMA_BUF_MAX) {
		pr_warn("%pI4:%u: bad private data in the accept: magic %#x version %u credits %u buf_size %u\n",
			&rc->sin.sin_addr, ntohs(rc->sin.sin_port),
			le32_to_cpu(cm->magic), le16_to_cpu(cm->version),
			credits, size);
		return -EPROTO;
	}
	rc->peer_credits = credits;
	rc->tx_credits += credits;
	rc->peer_buf = size;
	return 0;
}

/* the connect error of a failed connection-setup event */
static int tnet_rdma_cm_errno(enum rdma_cm_event_type event)
{
	switch (event) {
	case RDMA_CM_EVENT_ROUTE_ERROR:
		return -ENETUNREACH;
	case RDMA_CM_EVENT_REJECTED:
		return -ECONNREFUSED;
	case RDMA_CM_EVENT_CONNECT_ERROR:
		return -ECONNABORTED;
	default:	/* ADDR_ERROR, UNREACHABLE */
		return -EHOSTUNREACH;
	}
}

static int tnet_rdma_cm_handler(struct rdma_cm_id *id,
				struct rdma_cm_event *ev)
{
	struct tnet_rdma_conn *rc = id->context;
	int err;

	spin_lock_bh(&rc->lock);
	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		rc->cm_state = TNET_RDMA_CM_ADDR;
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		rc->cm_state = TNET_RDMA_CM_ROUTE;
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		rc->established = true;
		err = tnet_rdma_parse_cm_locked(rc, &ev->param.conn);
		if (err)
			tnet_rdma_cm_fail_locked(rc, err);
		else
			rc->cm_state = TNET_RDMA_CM_UP;
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_CONNECT_ERROR:
		tnet_rdma_cm_fail_locked(rc, tnet_rdma_cm_errno(ev->event));
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		pr_info_ratelimited("%pI4:%u: RDMA device %s removed: closing the connection\n",
				    &rc->sin.sin_addr, ntohs(rc->sin.sin_port),
				    id->device ? dev_name(&id->device->dev) : "?");
		fallthrough;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_ADDR_CHANGE:
		tnet_rdma_cm_fail_locked(rc, -ECONNRESET);
		/* answer the peer's DREQ (a no-op once disconnected) */
		tnet_rdma_kill_locked(rc, -ECONNRESET,
				      ev->event == RDMA_CM_EVENT_DISCONNECTED);
		break;
	default:
		break;
	}
	wake_up_all(&rc->wq);
	spin_unlock_bh(&rc->lock);
	return 0;	/* never let the core destroy the id: we do */
}

/* ---- connect and disconnect ---- */

static int tnet_rdma_map(struct tnet_rdma_conn *rc, struct tnet_rdma_buf *b,
			 size_t size, enum dma_data_direction dir,
			 void (*done)(struct ib_cq *cq, struct ib_wc *wc))
{
	b->buf = kzalloc(size, GFP_KERNEL);
	if (!b->buf)
		return -ENOMEM;
	b->dma = ib_dma_map_single(rc->dev, b->buf, size, dir);
	if (ib_dma_mapping_error(rc->dev, b->dma)) {
		kfree(b->buf);
		b->buf = NULL;
		return -ENOMEM;
	}
	b->cqe.done = done;
	INIT_LIST_HEAD(&b->list);
	return 0;
}

static void tnet_rdma_unmap(struct tnet_rdma_conn *rc,
			    struct tnet_rdma_buf *b, size_t size,
			    enum dma_data_direction dir)
{
	if (!b->buf)
		return;
	ib_dma_unmap_single(rc->dev, b->dma, size, dir);
	kfree(b->buf);
	b->buf = NULL;
}

static void tnet_rdma_free_rx(struct tnet_rdma_conn *rc)
{
	while (rc->nr_rx_mapped)
		tnet_rdma_unmap(rc, &rc->rx[--rc->nr_rx_mapped],
				TNET_RDMA_RX_SIZE, DMA_FROM_DEVICE);
}

static void tnet_rdma_free_tx(struct tnet_rdma_conn *rc)
{
	while (rc->nr_tx_mapped)
		tnet_rdma_unmap(rc, &rc->tx[--rc->nr_tx_mapped], rc->tx_size,
				DMA_TO_DEVICE);
	tnet_rdma_unmap(rc, &rc->cmsg, TNET_RDMA_HDR, DMA_TO_DEVICE);
}

/*
 * Wait until the handler moves cm_state off TNET_RDMA_CM_WAIT, killably
 * and until @deadline (@timeout 0: no deadline).  0 when it reached
 * @want, else a negative errno.
 */
static int tnet_rdma_cm_wait(struct tnet_rdma_conn *rc,
			     enum tnet_rdma_cm_state want,
			     unsigned long timeout, unsigned long deadline)
{
	unsigned long left = MAX_SCHEDULE_TIMEOUT;
	long ret;
	int err;

	if (timeout) {
		if (time_after_eq(jiffies, deadline))
			return -ETIMEDOUT;
		left = deadline - jiffies;
	}
	ret = wait_event_killable_timeout(rc->wq,
			READ_ONCE(rc->cm_state) != TNET_RDMA_CM_WAIT, left);
	if (ret == -ERESTARTSYS)
		return timeout ? -EINTR : -ERESTARTSYS;
	spin_lock_bh(&rc->lock);
	if (rc->cm_state == want)
		err = 0;
	else if (rc->cm_state == TNET_RDMA_CM_ERROR)
		err = rc->cm_err;
	else
		err = -ETIMEDOUT;
	spin_unlock_bh(&rc->lock);
	return err;
}

/* the next rdma_cm step starts; cm_state is checked by cm_wait */
static void tnet_rdma_cm_arm(struct tnet_rdma_conn *rc)
{
	spin_lock_bh(&rc->lock);
	rc->cm_state = TNET_RDMA_CM_WAIT;
	spin_unlock_bh(&rc->lock);
}

static unsigned long tnet_rdma_resolve_ms(unsigned long timeout,
					  unsigned long deadline)
{
	unsigned long ms = TNET_RDMA_RESOLVE_MS;

	if (timeout && time_before(jiffies, deadline))
		ms = min_t(unsigned long, ms,
			   jiffies_to_msecs(deadline - jiffies));
	return max_t(unsigned long, ms, 1);
}

/* no more disc_work (it uses the id); before the id is destroyed */
static void tnet_rdma_closing(struct tnet_rdma_conn *rc)
{
	spin_lock_bh(&rc->lock);
	rc->closing = true;
	if (!rc->dead)
		rc->dead = -ECONNRESET;
	wake_up_all(&rc->wq);
	spin_unlock_bh(&rc->lock);
	cancel_work_sync(&rc->disc_work);
}

static int tnet_rdma_connect(const struct tnet_addr *peer,
			     unsigned long timeout, struct tnet_conn **connp)
{
	unsigned long deadline = jiffies + timeout;
	struct tnet_rdma_conn *rc;
	struct ib_qp_init_attr qp_attr = {};
	struct rdma_conn_param param = {};
	struct tess_rdma_cm cm = {
		.magic = cpu_to_le32(TESS_RDMA_MAGIC),
		.version = cpu_to_le16(TESS_RDMA_VERSION),
		.credits = cpu_to_le16(TNET_RDMA_RX_BUFS),
		.buf_size = cpu_to_le32(TNET_RDMA_RX_SIZE),
	};
	unsigned int i;
	int err;

	rc = kzalloc(sizeof(*rc), GFP_KERNEL);
	if (!rc)
		return -ENOMEM;
	rc->sin.sin_family = AF_INET;
	rc->sin.sin_addr.s_addr = peer->ipv4;
	rc->sin.sin_port = htons(peer->port ? peer->port : TESS_MDS_PORT);
	rc->timeout = timeout ? timeout : MAX_SCHEDULE_TIMEOUT;
	spin_lock_init(&rc->lock);
	init_waitqueue_head(&rc->wq);
	INIT_LIST_HEAD(&rc->rx_ready);
	INIT_WORK(&rc->disc_work, tnet_rdma_disc_work);
	mutex_init(&rc->rx_mutex);
	mutex_init(&rc->tx_mutex);

	rc->id = rdma_create_id(&init_net, tnet_rdma_cm_handler, rc,
				RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(rc->id)) {
		err = PTR_ERR(rc->id);
		goto out_free;
	}

	tnet_rdma_cm_arm(rc);
	err = rdma_resolve_addr(rc->id, NULL, (struct sockaddr *)&rc->sin,
				tnet_rdma_resolve_ms(timeout, deadline));
	if (!err)
		err = tnet_rdma_cm_wait(rc, TNET_RDMA_CM_ADDR, timeout,
					deadline);
	if (err)
		goto out_id;

	tnet_rdma_cm_arm(rc);
	err = rdma_resolve_route(rc->id,
				 tnet_rdma_resolve_ms(timeout, deadline));
	if (!err)
		err = tnet_rdma_cm_wait(rc, TNET_RDMA_CM_ROUTE, timeout,
					deadline);
	if (err)
		goto out_id;
	rc->dev = rc->id->device;

	rc->pd = ib_alloc_pd(rc->dev, 0);
	if (IS_ERR(rc->pd)) {
		err = PTR_ERR(rc->pd);
		goto out_id;
	}

	/* sends + credit message + drain, receives + drain */
	rc->cq = ib_alloc_cq(rc->dev, rc,
			     TNET_RDMA_TX_BUFS + 2 + TNET_RDMA_RX_BUFS + 1, 0,
			     IB_POLL_SOFTIRQ);
	if (IS_ERR(rc->cq)) {
		err = PTR_ERR(rc->cq);
		goto out_pd;
	}

	for (i = 0; i < TNET_RDMA_RX_BUFS; i++) {
		err = tnet_rdma_map(rc, &rc->rx[i], TNET_RDMA_RX_SIZE,
				    DMA_FROM_DEVICE, tnet_rdma_recv_done);
		if (err)
			goto out_cq;
		rc->nr_rx_mapped++;
	}

	qp_attr.qp_context = rc;
	qp_attr.send_cq = rc->cq;
	qp_attr.recv_cq = rc->cq;
	qp_attr.cap.max_send_wr = TNET_RDMA_TX_BUFS + 2;
	qp_attr.cap.max_recv_wr = TNET_RDMA_RX_BUFS + 1;
	qp_attr.cap.max_send_sge = 1;
	qp_attr.cap.max_recv_sge = 1;
	qp_attr.sq_sig_type = IB_SIGNAL_ALL_WR;
	qp_attr.qp_type = IB_QPT_RC;
	err = rdma_create_qp(rc->id, rc->pd, &qp_attr);
	if (err)
		goto out_cq;

	for (i = 0; i < TNET_RDMA_RX_BUFS; i++) {
		err = tnet_rdma_post_recv(rc, &rc->rx[i]);
		if (err)
			goto out_qp;
	}

	param.private_data = &cm;
	param.private_data_len = sizeof(cm);
	param.flow_control = 1;
	/*
	 * Transport retries: both queue pairs use the count of the REQ.  Not
	 * 7: rdma_rxe retries for ever at 7, and a peer gone without a
	 * disconnect would never fail a send.  RNR retries (7: for ever)
	 * cannot happen with credits.
	 */
	param.retry_count = TESS_RDMA_RETRY_COUNT;
	param.rnr_retry_count = 7;
	tnet_rdma_cm_arm(rc);
	err = rdma_connect(rc->id, &param);
	if (!err)
		err = tnet_rdma_cm_wait(rc, TNET_RDMA_CM_UP, timeout, deadline);
	if (err)
		goto out_disconnect;

	rc->tx_size = min_t(u32, rc->peer_buf, TNET_RDMA_TX_SIZE);
	for (i = 0; i < TNET_RDMA_TX_BUFS; i++) {
		err = tnet_rdma_map(rc, &rc->tx[i], rc->tx_size,
				    DMA_TO_DEVICE, tnet_rdma_send_done);
		if (err)
			goto out_disconnect;
		rc->nr_tx_mapped++;
	}
	err = tnet_rdma_map(rc, &rc->cmsg, TNET_RDMA_HDR, DMA_TO_DEVICE,
			    tnet_rdma_send_done);
	if (err)
		goto out_disconnect;

	spin_lock_bh(&rc->lock);
	rc->tx_ready = true;
	err = rc->dead;		/* lost already? */
	if (!err)
		tnet_rdma_credit_check_locked(rc);
	spin_unlock_bh(&rc->lock);
	if (err)
		goto out_disconnect;

	*connp = &rc->conn;
	return 0;

out_disconnect:
	tnet_rdma_closing(rc);
	if (rc->established) {
		rdma_disconnect(rc->id);
		ib_drain_qp(rc->id->qp);
	}
out_qp:
	rdma_destroy_qp(rc->id);
out_cq:
	/* no completion handler runs after this: the buffers can go */
	ib_free_cq(rc->cq);
	tnet_rdma_free_tx(rc);
	tnet_rdma_free_rx(rc);
out_pd:
	ib_dealloc_pd(rc->pd);
out_id:
	tnet_rdma_closing(rc);
	rdma_destroy_id(rc->id);
out_free:
	kfree(rc);
	return err;
}

static void tnet_rdma_disconnect(struct tnet_conn *conn)
{
	struct tnet_rdma_conn *rc = to_rdma(conn);

	tnet_rdma_closing(rc);
	rdma_disconnect(rc->id);
	ib_drain_qp(rc->id->qp);	/* every completion has run */
	rdma_destroy_qp(rc->id);
	ib_free_cq(rc->cq);
	tnet_rdma_free_tx(rc);
	tnet_rdma_free_rx(rc);
	ib_dealloc_pd(rc->pd);
	rdma_destroy_id(rc->id);
	mutex_destroy(&rc->rx_mutex);
	mutex_destroy(&rc->tx_mutex);
	kfree(rc);
}

static void tnet_rdma_shutdown(struct tnet_conn *conn)
{
	struct tnet_rdma_conn *rc = to_rdma(conn);

	spin_lock_bh(&rc->lock);
	rc->shut = true;
	tnet_rdma_kill_locked(rc, -EPIPE, false);
	spin_unlock_bh(&rc->lock);
	/* flushes the QP: no more messages either way */
	rdma_disconnect(rc->id);
}

/* ---- the stream ---- */

/* the error of a dead connection for a sender or receiver; lock held */
static int tnet_rdma_dead_err_locked(struct tnet_rdma_conn *rc)
{
	return rc->shut ? -EPIPE : -ECONNRESET;
}

static bool tnet_rdma_tx_free(struct tnet_rdma_conn *rc)
{
	bool ok;

	spin_lock_bh(&rc->lock);
	ok = rc->dead || !rc->tx[rc->tx_next].busy;
	spin_unlock_bh(&rc->lock);
	return ok;
}

static bool tnet_rdma_tx_credits(struct tnet_rdma_conn *rc)
{
	bool ok;

	spin_lock_bh(&rc->lock);
	ok = rc->dead || rc->tx_credits >= 2;
	spin_unlock_bh(&rc->lock);
	return ok;
}

/* interruptible wait for @cond, at most rc->timeout: 0 or an errno */
#define tnet_rdma_wait(rc, cond)					\
({									\
	long __ret = wait_event_interruptible_timeout((rc)->wq, cond,	\
						      (rc)->timeout);	\
	__ret == -ERESTARTSYS ? tnet_rdma_intr_errno((rc)->timeout) :	\
		__ret == 0 ? -EAGAIN : 0;				\
})

/* post the current buffer with rc->tx_fill stream bytes; tx_mutex held */
static int tnet_rdma_post_tx(struct tnet_rdma_conn *rc)
{
	struct tnet_rdma_buf *b = &rc->tx[rc->tx_next];
	struct tess_rdma_msg *m = b->buf;
	struct ib_sge sge;
	struct ib_send_wr wr = {};
	int err;

	spin_lock_bh(&rc->lock);
	rc->tx_waiting = true;
	tnet_rdma_credit_check_locked(rc);	/* may use our last credit */
	while (!rc->dead && rc->tx_credits < 2) {
		spin_unlock_bh(&rc->lock);
		err = tnet_rdma_wait(rc, tnet_rdma_tx_credits(rc));
		spin_lock_bh(&rc->lock);
		if (err) {
			rc->tx_waiting = false;
			spin_unlock_bh(&rc->lock);
			return err;
		}
	}
	rc->tx_waiting = false;
	if (rc->dead) {
		err = tnet_rdma_dead_err_locked(rc);
		spin_unlock_bh(&rc->lock);
		return err;
	}

	m->len = cpu_to_le32(rc->tx_fill);
	m->credits = cpu_to_le16(rc->rx_owed);
	m->reserved = 0;
	ib_dma_sync_single_for_device(rc->dev, b->dma,
				      TNET_RDMA_HDR + rc->tx_fill,
				      DMA_TO_DEVICE);
	sge.addr = b->dma;
	sge.length = TNET_RDMA_HDR + rc->tx_fill;
	sge.lkey = rc->pd->local_dma_lkey;
	wr.wr_cqe = &b->cqe;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IB_WR_SEND;
	wr.send_flags = IB_SEND_SIGNALED;
	err = ib_post_send(rc->id->qp, &wr, NULL);
	if (err) {
		tnet_rdma_kill_locked(rc, -ECONNRESET, true);
		err = -ECONNRESET;
	} else {
		b->busy = true;
		rc->rx_owed = 0;
		rc->tx_credits--;
		rc->tx_next = (rc->tx_next + 1) % TNET_RDMA_TX_BUFS;
		rc->tx_fill = 0;
	}
	spin_unlock_bh(&rc->lock);
	return err;
}

static int tnet_rdma_sendmsg(struct tnet_conn *conn, struct msghdr *msg)
{
	struct tnet_rdma_conn *rc = to_rdma(conn);
	u32 room = rc->tx_size - TNET_RDMA_HDR;
	bool more = msg->msg_flags & MSG_MORE;
	int err = 0;

	mutex_lock(&rc->tx_mutex);
	while (msg_data_left(msg) || (!more && rc->tx_fill)) {
		struct tnet_rdma_buf *b;
		size_t n;

		if (!rc->tx_fill) {
			/* a new buffer: wait for the oldest to complete */
			err = tnet_rdma_wait(rc, tnet_rdma_tx_free(rc));
			if (err)
				break;
		}
		spin_lock_bh(&rc->lock);
		err = rc->dead ? tnet_rdma_dead_err_locked(rc) : 0;
		spin_unlock_bh(&rc->lock);
		if (err)
			break;

		b = &rc->tx[rc->tx_next];
		n = min_t(size_t, msg_data_left(msg), room - rc->tx_fill);
		if (n && copy_from_iter(b->buf + TNET_RDMA_HDR + rc->tx_fill,
					n, &msg->msg_iter) != n) {
			err = -EFAULT;
			break;
		}
		rc->tx_fill += n;
		if (rc->tx_fill == room || (!msg_data_left(msg) && !more)) {
			err = tnet_rdma_post_tx(rc);
			if (err)
				break;
		}
	}
	mutex_unlock(&rc->tx_mutex);
	return err;
}

static bool tnet_rdma_rx_ready(struct tnet_rdma_conn *rc)
{
	bool ok;

	spin_lock_bh(&rc->lock);
	ok = rc->dead || !list_empty(&rc->rx_ready);
	spin_unlock_bh(&rc->lock);
	return ok;
}

static int tnet_rdma_recv_iter(struct tnet_conn *conn, struct iov_iter *iter)
{
	struct tnet_rdma_conn *rc = to_rdma(conn);
	int err = 0;

	mutex_lock(&rc->rx_mutex);
	while (iov_iter_count(iter)) {
		struct tnet_rdma_buf *b;
		size_t n;

		spin_lock_bh(&rc->lock);
		b = list_first_entry_or_null(&rc->rx_ready,
					     struct tnet_rdma_buf, list);
		if (rc->shut || (!b && rc->dead))
			err = -ECONNRESET;
		spin_unlock_bh(&rc->lock);
		if (err)
			break;
		if (!b) {
			err = tnet_rdma_wait(rc, tnet_rdma_rx_ready(rc));
			if (err)
				break;
			continue;
		}

		/* only this reader touches the head buffer */
		n = min_t(size_t, iov_iter_count(iter), b->len - b->off);
		if (copy_to_iter(b->buf + TNET_RDMA_HDR + b->off, n,
				 iter) != n) {
			err = -EFAULT;
			break;
		}
		b->off += n;
		if (b->off == b->len) {
			spin_lock_bh(&rc->lock);
			list_del_init(&b->list);
			tnet_rdma_repost_locked(rc, b);
			spin_unlock_bh(&rc->lock);
		}
	}
	mutex_unlock(&rc->rx_mutex);
	return err;
}

static int tnet_rdma_send(struct tnet_conn *conn, struct kvec *vec,
			  size_t nr, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, nr, len);
	return tnet_rdma_sendmsg(conn, &msg);
}

static int tnet_rdma_recv(struct tnet_conn *conn, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_DEST, &vec, 1, len);
	return tnet_rdma_recv_iter(conn, &it);
}

static struct tnet_transport_ops tnet_rdma_ops = {
	.name			= "rdma",
	.owner			= THIS_MODULE,
	.supports_rdma_bulk	= false,
	.max_bulk		= TESS_MAX_BULK,
	.default_port		= TESS_MDS_PORT,
	.connect		= tnet_rdma_connect,
	.disconnect		= tnet_rdma_disconnect,
	.send			= tnet_rdma_send,
	.recv			= tnet_rdma_recv,
	.sendmsg		= tnet_rdma_sendmsg,
	.recv_iter		= tnet_rdma_recv_iter,
	.shutdown		= tnet_rdma_shutdown,
};

static int __init tnet_rdma_init(void)
{
	BUILD_BUG_ON(sizeof(struct tess_rdma_cm) != 16);
	BUILD_BUG_ON(sizeof(struct tess_rdma_msg) != 8);
	BUILD_BUG_ON(TNET_RDMA_RX_SIZE > TESS_RDMA_BUF_MAX);
	return tnet_register_transport(&tnet_rdma_ops);
}

static void __exit tnet_rdma_exit(void)
{
	tnet_unregister_transport(&tnet_rdma_ops);
}

module_init(tnet_rdma_init);
module_exit(tnet_rdma_exit);

MODULE_AUTHOR("The Tessera authors");
MODULE_DESCRIPTION("Tessera network layer: RDMA transport (RC SEND/RECV)");
MODULE_LICENSE("GPL");
MODULE_ALIAS("tessera-lnet-rdma");
