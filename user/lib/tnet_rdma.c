// SPDX-License-Identifier: MIT
/*
 * tnet_rdma.c - the @rdma transport of tnet: the byte stream of frames
 * cut into SENDs on one RC queue pair per connection, made by rdma_cm
 * (RDMA_PS_TCP, the port numbers of TCP).  The wire format, private data
 * and credits are include/tessera.h's ("network type rdma"); the pure
 * parts are in tnet_rdma_proto.c.
 *
 * A connection has one event channel of its own (the server moves each
 * accepted id to one with rdma_migrate_id, so a DISCONNECTED never waits
 * behind the listener), one completion channel and CQ for its sends and
 * receives, TNET_RDMA_RECVS receive buffers posted before rdma_connect or
 * rdma_accept and TNET_RDMA_SENDS send buffers, all in one allocation
 * registered once (one ibv_reg_mr per connection).  Stream bytes are
 * copied into and out of those buffers.
 *
 * Waiting: poll() on the completion channel's fd and the event channel's
 * fd, until the connection's deadline: the handshake's (c->deadline_ms)
 * or, per read or send, set_timeout's milliseconds, as SO_RCVTIMEO and
 * SO_SNDTIMEO do on the TCP path; none on an authenticated server
 * connection.  A DISCONNECTED event or a completion error (a flush after
 * the peer went, retries exceeded) ends the connection: -ECONNRESET once
 * the bytes received before it have been read.  A protocol error of the
 * peer (tnet_rdma_msg_take, a message longer than our buffers) is logged
 * with its address and the connection is disconnected: -EREMOTEIO.
 *
 * The buffers are pinned: 1.5 MiB per connection against the caller's
 * RLIMIT_MEMLOCK (root is not limited; a user's default 8 MiB is about
 * five connections); a registration that fails says so.
 *
 * Keepalive, as TCP's (tnet_set_keepalive): a connection that waits with
 * no deadline (an authenticated server connection, an idle client) and
 * has heard nothing from its peer for TNET_KEEPIDLE_S posts a zero-byte
 * RDMA WRITE (IB C9-88: it needs no address or rkey and touches no
 * memory or receive buffer of the peer).  The peer's adapter acknowledges
 * it; a peer that vanished without a disconnect (power cut, cable) does
 * not, and the adapter's retries end it with an error completion, which
 * ends the connection and frees its thread.
 *
 * fork(): the daemons may fork (an OST's HSM helpers).  ibv_fork_init()
 * is called once before the first registration; with libibverbs 44 on a
 * kernel that copies pinned pages on fork (5.13 and later: Debian 12's
 * 6.1) it does nothing and ibv_is_fork_initialized() says
 * IBV_FORK_UNNEEDED; on older kernels it marks the registered buffers
 * MADV_DONTFORK, so a child never shares them.  Either way a child must
 * not use the parent's connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "tnet_int.h"
#include "tnet_rdma.h"

#define SEND_WR		0x10000u	/* wr_id of send buffer j: SEND_WR | j */
#define PROBE_WR	0x20000u	/* wr_id of the keepalive probe */
#define CLOSE_WAIT_MS	1000		/* sends in flight at close */
#define CONNECT_DEF_MS	10000

struct rconn {
	struct rdma_event_channel *ech;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_comp_channel *cch;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	uint8_t *mem;			/* receive buffers, then send buffers */
	struct tnet_rdma_credits cr;
	const char *peer;		/* the connection's, for log lines */
	/* received messages not yet read, in order */
	uint32_t rq_idx[TNET_RDMA_RECVS], rq_len[TNET_RDMA_RECVS];
	unsigned rq_head, rq_n;
	uint32_t roff;			/* bytes of the first one read */
	bool sbusy[TNET_RDMA_SENDS];
	unsigned sends_out;
	int timeout_ms;			/* set_timeout; 0: none */
	int err;			/* its end: -ECONNRESET, -EREMOTEIO, ... */
	bool rd_shut, established, disconnected;
	bool peer_gone;			/* DISCONNECTED (or the device) */
	/* keepalive: when a completion last came; a probe posted */
	int64_t heard_ms;
	bool probe_out;
	/* the private data of the last event waited for */
	uint8_t pdata[64];
	size_t pdata_len;
};

static const struct tnet_io_ops rdma_ops;

/* ---- once per process: fork safety ---- */

static pthread_once_t rdma_once = PTHREAD_ONCE_INIT;

static void rdma_init(void)
{
	int rc = ibv_fork_init();
	enum ibv_fork_status st = ibv_is_fork_initialized();

	if (rc)
		tlog_level(LOG_WARNING, "rdma: ibv_fork_init: %s: registered "
			   "memory is not fork-safe", strerror(rc));
	else
		tlog_level(LOG_DEBUG, "rdma: fork safety: %s",
			   st == IBV_FORK_UNNEEDED ? "the kernel copies "
			   "pinned pages on fork" : st == IBV_FORK_ENABLED ?
			   "ibv_fork_init (MADV_DONTFORK)" : "off");
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static uint8_t *rbuf(struct rconn *r, uint32_t i)
{
	return r->mem + (size_t)i * TNET_RDMA_BUF;
}

static uint8_t *sbuf(struct rconn *r, uint32_t j)
{
	return r->mem + (size_t)(TNET_RDMA_RECVS + j) * TNET_RDMA_BUF;
}

/* the connection ends with rc (the first reason stays) */
static void fail(struct rconn *r, int rc)
{
	if (!r->err)
		r->err = rc;
	if (r->established && !r->disconnected) {
		r->disconnected = true;
		rdma_disconnect(r->id);		/* the QP to error: flushes */
	}
}

static void proto_err(struct rconn *r, const char *why)
{
	if (!r->err)
		tlog_level(LOG_WARNING, "%s: protocol error: %s; disconnecting",
			   r->peer, why);
	fail(r, -EREMOTEIO);		/* tnet_frame_err: the @rdma format */
}

static int post_recv(struct rconn *r, uint32_t i)
{
	struct ibv_sge sge = { .addr = (uintptr_t)rbuf(r, i),
			       .length = TNET_RDMA_BUF, .lkey = r->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(r->id->qp, &wr, &bad) ? -ECONNRESET : 0;
}

/* a received message read to its end: its buffer goes back to the peer */
static void repost(struct rconn *r, uint32_t i)
{
	if (r->err)
		return;
	if (post_recv(r, i))
		fail(r, -ECONNRESET);
	else
		tnet_rdma_reposted(&r->cr);
}

static void handle_wc(struct rconn *r, const struct ibv_wc *wc)
{
	char why[160];
	uint32_t len;

	if (wc->wr_id == PROBE_WR) {
		r->probe_out = false;
		if (wc->status != IBV_WC_SUCCESS && !r->err) {
			tlog_level(LOG_NOTICE, "%s: no answer to a keepalive "
				   "probe after %d s idle (%s); disconnecting",
				   r->peer, TNET_KEEPIDLE_S,
				   ibv_wc_status_str(wc->status));
			fail(r, -ECONNRESET);
		}
		return;
	}
	if (wc->wr_id & SEND_WR) {
		r->sbusy[wc->wr_id & ~SEND_WR] = false;
		r->sends_out--;
	}
	if (wc->status != IBV_WC_SUCCESS) {
		/* a receive the message did not fit (rxe says "local QP
		 * operation error" for it) */
		if (!(wc->wr_id & SEND_WR) &&
		    (wc->status == IBV_WC_LOC_LEN_ERR ||
		     wc->status == IBV_WC_LOC_QP_OP_ERR)) {
			snprintf(why, sizeof(why), "a message longer than our "
				 "buffers (%u bytes): %s", TNET_RDMA_BUF,
				 ibv_wc_status_str(wc->status));
			proto_err(r, why);
		} else if (wc->status != IBV_WC_WR_FLUSH_ERR && !r->err) {
			tlog_level(LOG_NOTICE, "%s: %s failed: %s", r->peer,
				   wc->wr_id & SEND_WR ? "send" : "receive",
				   ibv_wc_status_str(wc->status));
		}
		fail(r, -ECONNRESET);
		return;
	}
	if (wc->wr_id & SEND_WR)
		return;
	/* what came before a disconnect is still read; after a protocol
	 * error nothing is */
	if (r->err == -EREMOTEIO)
		return;
	if (tnet_rdma_msg_take(&r->cr, rbuf(r, (uint32_t)wc->wr_id),
			       wc->byte_len, &len, why, sizeof(why))) {
		proto_err(r, why);
		return;
	}
	if (!len) {			/* a credit return */
		repost(r, (uint32_t)wc->wr_id);
		return;
	}
	r->rq_idx[(r->rq_head + r->rq_n) % TNET_RDMA_RECVS] = (uint32_t)wc->wr_id;
	r->rq_len[(r->rq_head + r->rq_n) % TNET_RDMA_RECVS] = len;
	r->rq_n++;
}

/* completions handled: how many */
static int drain_cq(struct rconn *r)
{
	struct ibv_wc wc[16];
	int n, total = 0;

	while ((n = ibv_poll_cq(r->cq, 16, wc)) > 0) {
		for (int i = 0; i < n; i++)
			handle_wc(r, &wc[i]);
		total += n;
	}
	if (n < 0)
		fail(r, -EIO);
	if (total)
		r->heard_ms = tnet_mono_ms();
	return total;
}

/*
 * With no deadline: how long poll() may wait before the peer has been
 * silent for TNET_KEEPIDLE_S, posting the probe when it has (-1 while
 * the probe is out: the adapter's retries bound its completion).
 */
static int keepalive_wait(struct rconn *r)
{
	struct ibv_send_wr wr = { 0 }, *bad;
	int64_t left;

	if (r->probe_out)
		return -1;
	left = r->heard_ms + TNET_KEEPIDLE_S * 1000LL - tnet_mono_ms();
	if (left > 0)
		return left > 60000 ? 60000 : (int)left;
	wr.wr_id = PROBE_WR;
	wr.opcode = IBV_WR_RDMA_WRITE;	/* no sge, addr or rkey */
	wr.send_flags = IBV_SEND_SIGNALED;
	if (ibv_post_send(r->id->qp, &wr, &bad)) {
		fail(r, -ECONNRESET);
		return 0;
	}
	r->probe_out = true;
	return -1;
}

static void cm_events(struct rconn *r)
{
	struct rdma_cm_event *ev;

	while (!rdma_get_cm_event(r->ech, &ev)) {
		switch (ev->event) {
		case RDMA_CM_EVENT_ESTABLISHED:
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
		case RDMA_CM_EVENT_TIMEWAIT_EXIT:
			/* the receives are flushed: the end comes after
			 * what completed before it */
			r->peer_gone = true;
			if (!r->disconnected && r->established) {
				r->disconnected = true;
				rdma_disconnect(r->id);
			}
			break;
		default:
			break;
		}
		rdma_ack_cm_event(ev);
	}
}

/*
 * Handle what completed or happened; when nothing did, wait for it until
 * deadline (CLOCK_MONOTONIC ms; 0: no limit).  0, or -ETIMEDOUT.  The
 * caller looks at what changed.
 */
static int wait_event(struct rconn *r, int64_t deadline)
{
	struct pollfd p[2] = { { .fd = r->cch->fd, .events = POLLIN },
			       { .fd = r->ech->fd, .events = POLLIN } };
	int left = -1, rc;

	if (drain_cq(r) || r->err)
		return 0;
	if (ibv_req_notify_cq(r->cq, 0)) {
		fail(r, -EIO);
		return 0;
	}
	if (drain_cq(r))
		return 0;
	if (r->peer_gone) {		/* and nothing left to read */
		fail(r, -ECONNRESET);
		return 0;
	}
	if (deadline) {
		int64_t l = deadline - tnet_mono_ms();

		if (l <= 0)
			return -ETIMEDOUT;
		left = l > 60000 ? 60000 : (int)l;
	} else if (r->established) {
		left = keepalive_wait(r);
		if (r->err)
			return 0;
	}
	rc = poll(p, 2, left);
	if (rc < 0 && errno != EINTR)
		return -errno;
	if (p[0].revents) {
		struct ibv_cq *cq;
		void *ctx;

		if (!ibv_get_cq_event(r->cch, &cq, &ctx))
			ibv_ack_cq_events(cq, 1);
	}
	if (p[1].revents) {
		cm_events(r);
		drain_cq(r);		/* what came before the disconnect */
	}
	return 0;
}

/* this read's or send's limit */
static int64_t op_deadline(const struct tnet_conn *c, const struct rconn *r)
{
	if (c->deadline_ms)
		return c->deadline_ms;
	return r->timeout_ms ? tnet_mono_ms() + r->timeout_ms : 0;
}

static int free_slot(const struct rconn *r)
{
	for (int j = 0; j < TNET_RDMA_SENDS; j++)
		if (!r->sbusy[j])
			return j;
	return -1;
}

/*
 * Post one message: len stream bytes gathered from *iov (advanced past
 * them), or a credit return (len 0).  Waits for a send buffer and the
 * credits until deadline.
 */
static int send_msg(struct rconn *r, struct iovec **iov, int *iovcnt,
		    uint32_t len, int64_t deadline)
{
	struct ibv_sge sge;
	struct ibv_send_wr wr = { 0 }, *bad;
	uint8_t *p;
	uint32_t n = 0;
	int j, rc;

	for (;;) {
		if (r->err)
			return r->err;
		j = free_slot(r);
		if (j >= 0 && tnet_rdma_can_send(&r->cr, len > 0))
			break;
		rc = wait_event(r, deadline);
		if (rc)
			return rc;
	}
	p = sbuf(r, (uint32_t)j);
	while (n < len) {
		size_t k = (*iov)->iov_len < len - n ? (*iov)->iov_len : len - n;

		memcpy(p + TNET_RDMA_HDR + n, (*iov)->iov_base, k);
		n += (uint32_t)k;
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + k;
		(*iov)->iov_len -= k;
		if (!(*iov)->iov_len) {
			(*iov)++;
			(*iovcnt)--;
		}
	}
	tnet_rdma_msg_fill(&r->cr, (struct tess_rdma_msg *)p, len);
	sge = (struct ibv_sge){ .addr = (uintptr_t)p,
				.length = TNET_RDMA_HDR + len,
				.lkey = r->mr->lkey };
	wr.wr_id = SEND_WR | (uint32_t)j;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	if (ibv_post_send(r->id->qp, &wr, &bad)) {
		fail(r, -ECONNRESET);
		return r->err;
	}
	r->sbusy[j] = true;
	r->sends_out++;
	return 0;
}

/*
 * Owing half our buffers with nothing to send: give the credits back,
 * if a send buffer and the credit are there now (never waits: the read
 * loops come back here after each event).
 */
static void return_credits(struct rconn *r)
{
	int n = 0;

	if (!r->err && tnet_rdma_return_due(&r->cr) &&
	    tnet_rdma_can_send(&r->cr, false) && free_slot(r) >= 0)
		send_msg(r, NULL, &n, 0, 0);
}

/* ---- io ops ---- */

static long rd_read(struct tnet_conn *c, void *buf, size_t len)
{
	struct rconn *r = c->io_priv;
	int64_t deadline = op_deadline(c, r);
	uint8_t *out = buf;
	size_t got = 0;

	for (;;) {
		if (r->rd_shut)
			return -ECONNRESET;
		if (r->rq_n)
			break;
		return_credits(r);
		if (r->err)
			return r->err;
		int rc = wait_event(r, deadline);

		if (rc)
			return rc;
	}
	while (got < len && r->rq_n) {
		uint32_t i = r->rq_idx[r->rq_head];
		uint32_t left = r->rq_len[r->rq_head] - r->roff;
		size_t k = len - got < left ? len - got : left;

		memcpy(out + got, rbuf(r, i) + TNET_RDMA_HDR + r->roff, k);
		got += k;
		r->roff += (uint32_t)k;
		if (r->roff == r->rq_len[r->rq_head]) {
			r->roff = 0;
			r->rq_head = (r->rq_head + 1) % TNET_RDMA_RECVS;
			r->rq_n--;
			repost(r, i);
		}
	}
	return_credits(r);
	return (long)got;
}

static int rd_writev(struct tnet_conn *c, struct iovec *iov, int iovcnt)
{
	struct rconn *r = c->io_priv;
	uint32_t max = tnet_rdma_max_payload(&r->cr);
	size_t total = 0;
	int rc;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	while (iovcnt && !iov->iov_len) {
		iov++;
		iovcnt--;
	}
	while (total) {
		uint32_t n = total < max ? (uint32_t)total : max;

		/* as SO_SNDTIMEO: the limit is on each wait for room */
		rc = send_msg(r, &iov, &iovcnt, n, op_deadline(c, r));
		if (rc)
			return rc;
		total -= n;
	}
	return 0;
}

static int rd_wait_readable(struct tnet_conn *c, int64_t deadline)
{
	struct rconn *r = c->io_priv;

	while (!r->rq_n && !r->err && !r->rd_shut) {
		int rc = wait_event(r, deadline);

		if (rc)
			return rc;
	}
	return 0;
}

static void rd_set_timeout(struct tnet_conn *c, int ms)
{
	struct rconn *r = c->io_priv;

	r->timeout_ms = ms;
}

static void rd_shutdown(struct tnet_conn *c)
{
	struct rconn *r = c->io_priv;

	r->rd_shut = true;
}

static void rd_close(struct tnet_conn *c)
{
	struct rconn *r = c->io_priv;

	c->fd = -1;
	if (!r)
		return;
	c->io_priv = NULL;
	if (r->cq) {
		/* the replies posted last reach the peer before the DREQ */
		int64_t end = tnet_mono_ms() + CLOSE_WAIT_MS;

		while (r->sends_out && !r->err &&
		       !wait_event(r, end))
			;
	}
	if (r->established && !r->disconnected)
		rdma_disconnect(r->id);
	if (r->id && r->id->qp)
		rdma_destroy_qp(r->id);
	if (r->mr)
		ibv_dereg_mr(r->mr);
	free(r->mem);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->cch)
		ibv_destroy_comp_channel(r->cch);
	if (r->pd)
		ibv_dealloc_pd(r->pd);
	if (r->id)
		rdma_destroy_id(r->id);
	if (r->ech)
		rdma_destroy_event_channel(r->ech);
	free(r);
}

static int rd_local_addr(struct tnet_conn *c, struct sockaddr_in *sin)
{
	struct rconn *r = c->io_priv;
	struct sockaddr *sa = rdma_get_local_addr(r->id);

	if (!sa || sa->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	memcpy(sin, sa, sizeof(*sin));
	return 0;
}

int tnet_rdma_vanish(struct tnet_conn *c)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };
	struct rconn *r = c->io_priv;

	if (c->io != &rdma_ops)
		return -EINVAL;
	return ibv_modify_qp(r->id->qp, &a, IBV_QP_STATE) ? -errno : 0;
}

static const struct tnet_io_ops rdma_ops = {
	.net = "rdma",
	.read = rd_read,
	.writev = rd_writev,
	.wait_readable = rd_wait_readable,
	.set_timeout = rd_set_timeout,
	.shutdown = rd_shutdown,
	.close = rd_close,
	.local_addr = rd_local_addr,
};

/* ---- setting up ---- */

static struct rconn *rconn_new(struct tnet_conn *c)
{
	struct rconn *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	tnet_rdma_credits_init(&r->cr, TNET_RDMA_RECVS, TNET_RDMA_BUF);
	r->peer = c->peer;
	c->io = &rdma_ops;
	c->io_priv = r;
	return r;
}

static void peer_name(struct tnet_conn *c, const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	char ip[INET_ADDRSTRLEN] = "?";

	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
	snprintf(c->peer, sizeof(c->peer), "%s:%u@rdma", ip,
		 sa && sa->sa_family == AF_INET ? ntohs(sin->sin_port) : 0);
}

/* PD, CQ, QP, the registered buffers, the receives posted */
static int setup_qp(struct tnet_conn *c, struct rconn *r)
{
	struct ibv_context *v = r->id->verbs;
	struct ibv_qp_init_attr qa = { 0 };
	size_t size = (size_t)(TNET_RDMA_RECVS + TNET_RDMA_SENDS) * TNET_RDMA_BUF;

	r->pd = ibv_alloc_pd(v);
	if (!r->pd)
		return -errno ? -errno : -ENOMEM;
	r->cch = ibv_create_comp_channel(v);
	if (!r->cch)
		return -errno ? -errno : -ENOMEM;
	set_nonblock(r->cch->fd);
	/* the sends, the receives and the keepalive probe */
	r->cq = ibv_create_cq(v, TNET_RDMA_RECVS + TNET_RDMA_SENDS + 1, r,
			      r->cch, 0);
	if (!r->cq)
		return -errno ? -errno : -ENOMEM;
	qa.send_cq = r->cq;
	qa.recv_cq = r->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.sq_sig_all = 1;
	qa.cap.max_send_wr = TNET_RDMA_SENDS + 1;
	qa.cap.max_recv_wr = TNET_RDMA_RECVS;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(r->id, r->pd, &qa))
		return -errno ? -errno : -ENOMEM;
	if (posix_memalign((void **)&r->mem, 4096, size))
		return -ENOMEM;
	/* one registration for all the connection's buffers */
	r->mr = ibv_reg_mr(r->pd, r->mem, size, IBV_ACCESS_LOCAL_WRITE);
	if (!r->mr) {
		int rc = errno ? -errno : -ENOMEM;
		struct rlimit rl = { 0 };

		/* pinned memory counts against RLIMIT_MEMLOCK (not root's) */
		getrlimit(RLIMIT_MEMLOCK, &rl);
		tlog_level(LOG_WARNING, "%s: cannot register the %zu KiB of "
			   "buffers of the connection: %s (locked-memory "
			   "limit, ulimit -l: %lld KiB)", c->peer, size >> 10,
			   strerror(-rc), rl.rlim_cur == RLIM_INFINITY ? -1LL :
			   (long long)(rl.rlim_cur >> 10));
		return rc;
	}
	for (uint32_t i = 0; i < TNET_RDMA_RECVS; i++)
		if (post_recv(r, i))
			return -EIO;
	c->fd = r->cch->fd;
	return 0;
}

static void conn_param(struct rdma_conn_param *cp, struct tess_rdma_cm *pd)
{
	tnet_rdma_cm_fill(pd, TNET_RDMA_RECVS, TNET_RDMA_BUF);
	memset(cp, 0, sizeof(*cp));
	cp->private_data = pd;
	cp->private_data_len = sizeof(*pd);
	/* as the kernel's (lnet/rdma.c): rdma_rxe retries for ever at 7 */
	cp->retry_count = TESS_RDMA_RETRY_COUNT;
	cp->rnr_retry_count = 7;
}

static int cm_errno(enum rdma_cm_event_type e)
{
	switch (e) {
	case RDMA_CM_EVENT_REJECTED:
		return -ECONNREFUSED;
	case RDMA_CM_EVENT_ADDR_ERROR:
		return -EHOSTUNREACH;
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		return -ENETUNREACH;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		return -ECONNRESET;
	default:
		return -ECONNREFUSED;
	}
}

/* the next event of r's channel, which must be want, until deadline; its
 * private data kept in r->pd */
static int wait_cm(struct rconn *r, enum rdma_cm_event_type want,
		   int64_t deadline)
{
	struct pollfd p = { .fd = r->ech->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	int rc;

	for (;;) {
		int64_t left = deadline - tnet_mono_ms();

		if (!rdma_get_cm_event(r->ech, &ev))
			break;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
	}
	rc = ev->event == want ? 0 : cm_errno(ev->event);
	r->pdata_len = 0;
	if (!rc && ev->param.conn.private_data) {
		r->pdata_len = ev->param.conn.private_data_len < sizeof(r->pdata) ?
			    ev->param.conn.private_data_len : sizeof(r->pdata);
		memcpy(r->pdata, ev->param.conn.private_data, r->pdata_len);
	}
	rdma_ack_cm_event(ev);
	return rc;
}

int tnet_rdma_connect(struct tnet_conn *c, const struct sockaddr_in *sin,
		      int timeout_ms)
{
	int64_t deadline = tnet_mono_ms() + (timeout_ms > 0 ? timeout_ms :
					      CONNECT_DEF_MS);
	struct tess_rdma_cm pd;
	struct rdma_conn_param cp;
	struct rconn *r;
	char why[128];
	int rc;

	pthread_once(&rdma_once, rdma_init);
	r = rconn_new(c);
	if (!r)
		return -ENOMEM;
	peer_name(c, (const struct sockaddr *)sin);
	r->ech = rdma_create_event_channel();
	if (!r->ech)
		return errno == ENOENT ? -ENODEV : -errno;
	set_nonblock(r->ech->fd);
	if (rdma_create_id(r->ech, &r->id, r, RDMA_PS_TCP))
		return -errno;
#define LEFT() ((int)(deadline - tnet_mono_ms() > 0 ? \
		      deadline - tnet_mono_ms() : 1))
	if (rdma_resolve_addr(r->id, NULL, (struct sockaddr *)sin, LEFT()))
		return -errno;
	rc = wait_cm(r, RDMA_CM_EVENT_ADDR_RESOLVED, deadline);
	if (rc)
		return rc;
	if (rdma_resolve_route(r->id, LEFT()))
		return -errno;
#undef LEFT
	rc = wait_cm(r, RDMA_CM_EVENT_ROUTE_RESOLVED, deadline);
	if (rc)
		return rc;
	rc = setup_qp(c, r);
	if (rc)
		return rc;
	conn_param(&cp, &pd);
	if (rdma_connect(r->id, &cp))
		return -errno;
	rc = wait_cm(r, RDMA_CM_EVENT_ESTABLISHED, deadline);
	if (rc)
		return rc;
	r->established = true;
	r->heard_ms = tnet_mono_ms();
	if (tnet_rdma_cm_take(&r->cr, r->pdata, r->pdata_len, why, sizeof(why))) {
		tlog_level(LOG_WARNING, "%s: protocol error: %s; disconnecting",
			   c->peer, why);
		return -EPROTO;
	}
	return 0;
}

/* ---- server ---- */

/*
 * A listener.  When its device goes away (DEVICE_REMOVAL: `rdma link
 * delete`, a driver unloaded) its id is destroyed at once, as every id
 * and resource of connections on it, or the removal waits for them (rxe
 * cannot take resources away from a process); it listens again on the
 * same address once it can (tried every RELISTEN_MS).
 */
#define RELISTEN_MS	1000

struct rlistener {
	struct rdma_event_channel *ech;
	struct rdma_cm_id *id;		/* NULL while its device is gone */
	struct sockaddr_in sin;		/* with the bound port */
	int64_t relisten_ms;
};

/* the listening id on l->sin: 0 or -errno */
static int listen_id(struct rlistener *l)
{
	int rc;

	if (rdma_create_id(l->ech, &l->id, l, RDMA_PS_TCP)) {
		l->id = NULL;
		return -errno;
	}
	if (rdma_bind_addr(l->id, (struct sockaddr *)&l->sin) ||
	    rdma_listen(l->id, 256)) {
		rc = -errno;
		rdma_destroy_id(l->id);
		l->id = NULL;
		return rc;
	}
	l->sin.sin_port = rdma_get_src_port(l->id);
	return 0;
}

int tnet_rdma_listen(const struct sockaddr_in *sin, void **listener,
		     uint16_t *port, char *err, size_t errlen)
{
	struct ibv_device **devs;
	struct rlistener *l;
	int n = 0, rc;

	pthread_once(&rdma_once, rdma_init);
	devs = ibv_get_device_list(&n);
	if (devs)
		ibv_free_device_list(devs);
	if (n <= 0) {
		snprintf(err, errlen, "no RDMA device (for rxe: rdma link "
			 "add rxe0 type rxe netdev IFACE)");
		return -ENODEV;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ech = rdma_create_event_channel();
	if (!l->ech) {
		rc = -errno;
		snprintf(err, errlen, "rdma_cm: %s (is the rdma_ucm module "
			 "loaded?)", strerror(-rc));
		free(l);
		return rc;
	}
	l->sin = *sin;
	rc = listen_id(l);
	if (rc) {
		snprintf(err, errlen, "%s%s", strerror(-rc),
			 rc == -ENODEV || rc == -EADDRNOTAVAIL ?
			 " (not an address of an RDMA device)" : "");
		rdma_destroy_event_channel(l->ech);
		free(l);
		return rc;
	}
	set_nonblock(l->ech->fd);
	*port = ntohs(l->sin.sin_port);
	*listener = l;
	return 0;
}

static void listener_addr(const struct rlistener *l, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET, &l->sin.sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u@rdma", ip, ntohs(l->sin.sin_port));
}

/* on the connection's thread: its QP, rdma_accept, ESTABLISHED */
static int server_start(struct tnet_conn *c)
{
	struct rconn *r = c->io_priv;
	struct tess_rdma_cm pd;
	struct rdma_conn_param cp;
	int rc;

	rc = setup_qp(c, r);
	if (rc) {
		tlog_level(LOG_WARNING, "%s: cannot set up its queue pair: %s",
			   c->peer, strerror(-rc));
		rdma_reject(r->id, NULL, 0);
		return rc;
	}
	conn_param(&cp, &pd);
	if (rdma_accept(r->id, &cp)) {
		rc = -errno;
		tlog_level(LOG_WARNING, "%s: rdma_accept: %s", c->peer,
			   strerror(-rc));
		return rc;
	}
	rc = wait_cm(r, RDMA_CM_EVENT_ESTABLISHED, c->deadline_ms);
	if (rc) {
		tlog_level(LOG_WARNING, "%s: handshake refused: RDMA "
			   "connection not established: %s", c->peer,
			   strerror(-rc));
		return rc;
	}
	r->established = true;
	r->heard_ms = tnet_mono_ms();
	return 0;
}

/* a CONNECT_REQUEST for id (its event acked): a connection, or refused */
static void take_request(struct tnet_server *s, struct rdma_cm_id *id,
			 const uint8_t *pdata, size_t pdlen)
{
	struct sockaddr *sa = rdma_get_peer_addr(id);
	struct tnet_conn *c = tnet_conn_alloc(-1);
	struct rconn *r = c ? rconn_new(c) : NULL;
	char why[160], ip[INET_ADDRSTRLEN + 8] = "?";
	uint32_t addr = 0;

	if (!r) {
		if (c)
			tnet_conn_free(c);
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return;
	}
	peer_name(c, sa);
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		addr = sin->sin_addr.s_addr;
		inet_ntop(AF_INET, &sin->sin_addr, ip, INET_ADDRSTRLEN);
		snprintf(ip + strlen(ip), 8, ":%u", ntohs(sin->sin_port));
	}
	if (tnet_rdma_cm_take(&r->cr, pdata, pdlen, why, sizeof(why))) {
		tlog_level(LOG_WARNING, "%s: connection refused: protocol "
			   "error: %s", c->peer, why);
		goto refuse;
	}
	/* its events on a channel of its own: a DISCONNECTED never waits
	 * behind this loop, nor this loop behind it */
	r->ech = rdma_create_event_channel();
	if (!r->ech || rdma_migrate_id(id, r->ech)) {
		tlog_level(LOG_WARNING, "%s: connection refused: no event "
			   "channel: %s", c->peer, strerror(errno));
		goto refuse;
	}
	set_nonblock(r->ech->fd);
	r->id = id;
	id->context = r;
	if (!tnet_preauth_enter(s, addr, ip)) {
		rdma_reject(id, NULL, 0);
		tnet_conn_free(c);
		return;
	}
	c->deadline_ms = tnet_mono_ms() + TNET_HANDSHAKE_MS;
	tnet_server_spawn(s, c, addr, server_start);
	return;
refuse:
	rdma_reject(id, NULL, 0);
	if (!r->id)
		rdma_destroy_id(id);
	tnet_conn_free(c);
}

int tnet_rdma_accept_loop(struct tnet_server *s, void *listener)
{
	struct rlistener *l = listener;

	for (;;) {
		struct pollfd p = { .fd = l->ech->fd, .events = POLLIN };
		struct rdma_cm_event *ev;

		if (atomic_load(&s->stopping))
			return 0;
		if (!l->id && tnet_mono_ms() >= l->relisten_ms) {
			char a[64];

			listener_addr(l, a, sizeof(a));
			if (!listen_id(l))
				tlog_level(LOG_NOTICE, "listening on %s again", a);
			else
				l->relisten_ms = tnet_mono_ms() + RELISTEN_MS;
		}
		if (poll(&p, 1, 250) < 0 && errno != EINTR)
			return -errno;
		while (!rdma_get_cm_event(l->ech, &ev)) {
			struct rdma_cm_id *id = ev->id;
			uint8_t pd[64];
			size_t len = 0;
			bool req = ev->event == RDMA_CM_EVENT_CONNECT_REQUEST;

			if (ev->event == RDMA_CM_EVENT_DEVICE_REMOVAL &&
			    id == l->id) {
				char a[64];

				rdma_ack_cm_event(ev);
				listener_addr(l, a, sizeof(a));
				tlog_level(LOG_WARNING, "%s: its RDMA device is "
					   "gone: not listening there until it "
					   "is back", a);
				rdma_destroy_id(l->id);
				l->id = NULL;
				l->relisten_ms = tnet_mono_ms() + RELISTEN_MS;
				continue;
			}

			if (req && ev->param.conn.private_data) {
				len = ev->param.conn.private_data_len;
				if (len > sizeof(pd))
					len = sizeof(pd);
				memcpy(pd, ev->param.conn.private_data, len);
			}
			/* acked before rdma_migrate_id, which waits for it */
			rdma_ack_cm_event(ev);
			if (req)
				take_request(s, id, pd, len);
		}
	}
}
