// SPDX-License-Identifier: GPL-2.0
/*
 * tcp.c - the TCP transport of the Tessera network layer
 * (tessera_lnet_tcp.ko, network type "tcp").
 *
 * One kernel socket per connection; send and receive block the caller
 * until the whole buffer has moved or the socket's timeout expires.
 * Connection management (reconnect, a receive thread, many requests in
 * flight) belongs to the RPC layer built on top of these operations.
 *
 * Bulk pages are sent without copying (issue #11).  The RPC layer hands
 * bulk data (page cache pages under writeback, the pinned user pages of
 * O_DIRECT) to ->sendmsg as a bvec iterator; tcp_sendmsg() would copy
 * them into the socket's own pages.  tnet_tcp_send_pages() instead gives
 * each page to the socket as it is, as nvme-tcp does: kernel_sendpage()
 * up to 6.4, sendmsg() with MSG_SPLICE_PAGES since (tess_sock_sendpage()
 * in kmod/compat.h).  A page that fails sendpage_ok() (a slab page, or
 * one with no reference) is copied, that segment alone.  MSG_MORE is on
 * for every segment but the last, and on the last as the caller asked.
 * A send still blocks for at most sk_sndtimeo and returns what it did
 * (-EAGAIN when that ran out, as before).  sec=privacy never gets here
 * with a bvec: rpc_send_private() encrypts into its own buffer and sends
 * that as a kvec, copied as before.
 *
 * Page lifetime and stability:
 * - Each skb fragment holds a page reference until TCP has the data
 *   acknowledged (or the socket is released), so a page freed by its
 *   owner after the RPC completed (truncate, O_DIRECT unpin) is not
 *   reused while the socket still holds it.
 * - The bulk CRC32C (and the sec=integrity MAC) is computed over the
 *   pages before they are sent, and the bytes now leave from the pages
 *   themselves, as late as a retransmission.  A page changed meanwhile
 *   would reach the server with a CRC that does not match: the server
 *   (tnet_recv_frame(), -EBADE "checksum mismatch"; a MAC is
 *   TNET_ERR_SEC) closes the connection without acting on the request,
 *   and the client resends it, same xid, on a new connection with the
 *   CRC computed again (rpc_conn_lost_locked(); hard mounts resend until
 *   answered, a soft one fails with -ETIMEDOUT).  So a change under the
 *   send costs a reconnect and a resend, not stored data that does not
 *   match its CRC.  With TESS_FEAT_BULK_CRC off nothing would notice.
 * - Writeback pages do not change under the send: Tessera does not set
 *   SB_I_STABLE_WRITES on its bdi, but does what that flag asks of the
 *   VM itself: write_begin (FGP_STABLE, folio_wait_writeback()) and
 *   page_mkwrite wait for writeback, writeback write-protects mapped
 *   pages (folio_clear_dirty_for_io()), and truncate waits for it
 *   (kmod/addr.c, kmod/file.c); writeback ends only with the OST's reply,
 *   after the server has read the whole bulk.
 * - O_DIRECT pages are the caller's: a program that writes its buffer
 *   while an O_DIRECT write of it is in flight may cause a CRC mismatch
 *   and a resend (the copy tcp_sendmsg() made had the same window, only
 *   shorter: the CRC was computed before the copy too).  And a request
 *   abandoned (killed waiter, soft timeout) after its bulk was queued
 *   leaves the socket to send the pages as they are then.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/in.h>
#include <linux/net.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/net_namespace.h>

#include "tnet.h"
#include "../kmod/compat.h"

struct tnet_tcp_conn {
	struct tnet_conn conn;
	struct socket *sock;
};

static inline struct tnet_tcp_conn *to_tcp(struct tnet_conn *conn)
{
	return container_of(conn, struct tnet_tcp_conn, conn);
}

static int tnet_tcp_connect(const struct tnet_addr *peer,
			    unsigned long timeout, struct tnet_conn **connp)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = peer->ipv4,
		.sin_port = htons(peer->port ? peer->port : TESS_MDS_PORT),
	};
	struct tnet_tcp_conn *tc;
	struct sock *sk;
	int err;

	tc = kzalloc(sizeof(*tc), GFP_KERNEL);
	if (!tc)
		return -ENOMEM;

	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &tc->sock);
	if (err)
		goto out_free;

	sk = tc->sock->sk;
	sk->sk_allocation = GFP_NOFS;
	tess_sock_no_task_frag(sk);
	/* bounds connect here, and every later send and receive */
	sk->sk_sndtimeo = timeout ? timeout : MAX_SCHEDULE_TIMEOUT;
	sk->sk_rcvtimeo = sk->sk_sndtimeo;
	tcp_sock_set_nodelay(sk);

	err = tess_kernel_connect(tc->sock, (struct sockaddr *)&sin,
				  sizeof(sin), 0);
	if (err == -EINPROGRESS || err == -EAGAIN)
		err = -ETIMEDOUT;	/* sk_sndtimeo ran out */
	if (err)
		goto out_release;

	*connp = &tc->conn;
	return 0;

out_release:
	sock_release(tc->sock);
out_free:
	kfree(tc);
	return err;
}

static void tnet_tcp_disconnect(struct tnet_conn *conn)
{
	struct tnet_tcp_conn *tc = to_tcp(conn);

	kernel_sock_shutdown(tc->sock, SHUT_RDWR);
	sock_release(tc->sock);
	kfree(tc);
}

static int tnet_tcp_send(struct tnet_conn *conn, struct kvec *vec, size_t nr,
			 size_t len)
{
	struct socket *sock = to_tcp(conn)->sock;
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int sent;

	iov_iter_kvec(&msg.msg_iter, WRITE, vec, nr, len);
	while (msg_data_left(&msg)) {
		sent = sock_sendmsg(sock, &msg);
		if (sent < 0)
			return sent;
		if (sent == 0)
			return -EPIPE;
	}
	return 0;
}

static int tnet_tcp_recv(struct tnet_conn *conn, void *buf, size_t len)
{
	struct socket *sock = to_tcp(conn)->sock;
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int got;

	iov_iter_kvec(&msg.msg_iter, READ, &vec, 1, len);
	while (msg_data_left(&msg)) {
		got = sock_recvmsg(sock, &msg, MSG_WAITALL | MSG_NOSIGNAL);
		if (got < 0)
			return got;
		if (got == 0)
			return -ECONNRESET;	/* peer closed mid-frame */
	}
	return 0;
}

/* one segment of a bvec that cannot go zero-copy: copied by sendmsg() */
static int tnet_tcp_send_copy(struct socket *sock, struct page *page,
			      size_t offset, size_t len, int flags)
{
	struct bio_vec bv = {
		.bv_page = page, .bv_offset = offset, .bv_len = len,
	};
	struct msghdr msg = { .msg_flags = flags };

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bv, 1, len);
	return sock_sendmsg(sock, &msg);
}

/* a bvec iterator, page by page, without copying (see the top) */
static int tnet_tcp_send_pages(struct socket *sock, struct msghdr *msg)
{
	struct iov_iter *it = &msg->msg_iter;
	int more = msg->msg_flags & MSG_MORE;
	int sent;

	/* past leading empty segments: then iov_offset < bv_len */
	iov_iter_advance(it, 0);
	while (msg_data_left(msg)) {
		const struct bio_vec *bv = it->bvec;
		size_t off = bv->bv_offset + it->iov_offset;
		struct page *page = bv->bv_page + (off >> PAGE_SHIFT);
		size_t poff = offset_in_page(off);
		size_t len = min3(bv->bv_len - it->iov_offset,
				  PAGE_SIZE - poff, iov_iter_count(it));
		int flags = MSG_NOSIGNAL |
			    (len < iov_iter_count(it) ? MSG_MORE : more);

		if (WARN_ON_ONCE(!len))
			return -EINVAL;
		if (sendpage_ok(page))
			sent = tess_sock_sendpage(sock, page, poff, len, flags);
		else
			sent = tnet_tcp_send_copy(sock, page, poff, len, flags);
		if (sent < 0)
			return sent;
		if (sent == 0)
			return -EPIPE;
		iov_iter_advance(it, sent);
	}
	return 0;
}

static int tnet_tcp_sendmsg(struct tnet_conn *conn, struct msghdr *msg)
{
	struct socket *sock = to_tcp(conn)->sock;
	int sent;

	if (iov_iter_is_bvec(&msg->msg_iter))
		return tnet_tcp_send_pages(sock, msg);
	msg->msg_flags |= MSG_NOSIGNAL;
	while (msg_data_left(msg)) {
		sent = sock_sendmsg(sock, msg);
		if (sent < 0)
			return sent;
		if (sent == 0)
			return -EPIPE;
	}
	return 0;
}

static int tnet_tcp_recv_iter(struct tnet_conn *conn, struct iov_iter *iter)
{
	struct socket *sock = to_tcp(conn)->sock;
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int got, err = 0;

	msg.msg_iter = *iter;
	while (msg_data_left(&msg)) {
		got = sock_recvmsg(sock, &msg, MSG_WAITALL | MSG_NOSIGNAL);
		if (got < 0) {
			err = got;
			break;
		}
		if (got == 0) {
			err = -ECONNRESET;	/* peer closed */
			break;
		}
	}
	*iter = msg.msg_iter;
	return err;
}

static void tnet_tcp_shutdown(struct tnet_conn *conn)
{
	kernel_sock_shutdown(to_tcp(conn)->sock, SHUT_RDWR);
}

static struct tnet_transport_ops tnet_tcp_ops = {
	.name			= "tcp",
	.owner			= THIS_MODULE,
	.supports_rdma_bulk	= false,
	.max_bulk		= TESS_MAX_BULK,
	.default_port		= TESS_MDS_PORT,
	.connect		= tnet_tcp_connect,
	.disconnect		= tnet_tcp_disconnect,
	.send			= tnet_tcp_send,
	.recv			= tnet_tcp_recv,
	.sendmsg		= tnet_tcp_sendmsg,
	.recv_iter		= tnet_tcp_recv_iter,
	.shutdown		= tnet_tcp_shutdown,
};

static int __init tnet_tcp_init(void)
{
	return tnet_register_transport(&tnet_tcp_ops);
}

static void __exit tnet_tcp_exit(void)
{
	tnet_unregister_transport(&tnet_tcp_ops);
}

module_init(tnet_tcp_init);
module_exit(tnet_tcp_exit);

MODULE_AUTHOR("The Tessera authors");
MODULE_DESCRIPTION("Tessera network layer: TCP transport");
MODULE_LICENSE("GPL");
MODULE_ALIAS("tessera-lnet-tcp");
