// SPDX-License-Identifier: GPL-2.0
/*
 * tcp.c - the TCP transport of the Tessera network layer
 * (tessera_lnet_tcp.ko, network type "tcp").
 *
 * One kernel socket per connection; send and receive block the caller
 * until the whole buffer has moved or the socket's timeout expires.
 * Connection management (reconnect, a receive thread, many requests in
 * flight) belongs to the RPC layer built on top of these operations.
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

static int tnet_tcp_sendmsg(struct tnet_conn *conn, struct msghdr *msg)
{
	struct socket *sock = to_tcp(conn)->sock;
	int sent;

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
