// SPDX-License-Identifier: MIT
/*
 * rdma-bad.c - a misbehaving @rdma peer for tests/vm/suites/rdma.sh.
 *
 *   rdma-bad client HOST PORT MODE   connect to a Tessera server, misbehave
 *   rdma-bad server HOST PORT MODE   accept one connection, misbehave
 *
 * MODE (the wire format is in include/tessera.h, "network type rdma"):
 *   privdata  bad magic in the rdma_cm private data
 *   big       a message larger than the peer's receive buffers
 *   badlen    a header whose len does not match the bytes sent
 *   credits   more credits than the peer could have been given
 *   reserved  a nonzero reserved field
 *
 * Prints what the peer did and exits 0 if it refused or dropped the
 * connection within 20 s, 1 if it kept it, 2 on a setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <rdma/rdma_cma.h>
#include <rdma/rdma_verbs.h>

#define NRECV 4
#define RBUF (64 * 1024)
#define SBUF (2 * 1024 * 1024)

/* struct tess_rdma_cm, little-endian */
static void put_priv(uint8_t p[16], uint32_t magic)
{
	uint32_t v32;
	uint16_t v16;

	v32 = htole32(magic);
	memcpy(p, &v32, 4);
	v16 = htole16(1);
	memcpy(p + 4, &v16, 2);
	v16 = htole16(NRECV);
	memcpy(p + 6, &v16, 2);
	v32 = htole32(RBUF);
	memcpy(p + 8, &v32, 4);
	memset(p + 12, 0, 4);
}

static uint32_t peer_buf_size(const void *pd, uint8_t len)
{
	uint32_t v;

	if (!pd || len < 16)
		return 0;
	memcpy(&v, (const uint8_t *)pd + 8, 4);
	return le32toh(v);
}

static void put_hdr(uint8_t *b, uint32_t len, uint16_t credits,
		    uint16_t reserved)
{
	uint32_t l = htole32(len);
	uint16_t c = htole16(credits), r = htole16(reserved);

	memcpy(b, &l, 4);
	memcpy(b + 4, &c, 2);
	memcpy(b + 6, &r, 2);
}

static int die(const char *what)
{
	fprintf(stderr, "rdma-bad: %s: %s\n", what, strerror(errno));
	return 2;
}

/*
 * wait for the peer to drop the connection: an error completion, or a
 * DISCONNECTED event on the id's channel (a synchronous id has one of its
 * own; the peer's DREQ does not move our QP to the error state)
 */
static int wait_dropped(struct rdma_cm_id *id)
{
	time_t end = time(NULL) + 20;
	struct rdma_cm_event *ev;
	struct ibv_wc wc;
	int n;

	if (id->channel)
		fcntl(id->channel->fd, F_SETFL,
		      fcntl(id->channel->fd, F_GETFL) | O_NONBLOCK);
	while (time(NULL) < end) {
		if (id->channel && !rdma_get_cm_event(id->channel, &ev)) {
			enum rdma_cm_event_type t = ev->event;

			rdma_ack_cm_event(ev);
			if (t == RDMA_CM_EVENT_DISCONNECTED) {
				printf("dropped: disconnected by the peer\n");
				return 0;
			}
		}
		n = ibv_poll_cq(id->recv_cq, 1, &wc);
		if (n == 0 && id->send_cq != id->recv_cq)
			n = ibv_poll_cq(id->send_cq, 1, &wc);
		if (n < 0)
			return die("ibv_poll_cq");
		if (n == 0) {
			usleep(10000);
			continue;
		}
		if (wc.status != IBV_WC_SUCCESS) {
			printf("dropped: %s\n", ibv_wc_status_str(wc.status));
			return 0;
		}
	}
	printf("still connected after 20 s\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct rdma_addrinfo hints = { 0 }, *res;
	struct ibv_qp_init_attr attr = { 0 };
	struct rdma_conn_param param = { 0 };
	struct rdma_cm_id *lid = NULL, *id;
	struct ibv_mr *rmr, *smr;
	uint8_t priv[16], *rbuf, *sbuf;
	const char *mode;
	uint32_t peer_buf = 0, len;
	int server, i;

	if (argc != 5) {
		fprintf(stderr, "usage: rdma-bad client|server HOST PORT MODE\n");
		return 2;
	}
	server = !strcmp(argv[1], "server");
	mode = argv[4];
	hints.ai_port_space = RDMA_PS_TCP;
	if (server)
		hints.ai_flags = RAI_PASSIVE;
	if (rdma_getaddrinfo(argv[2], argv[3], &hints, &res))
		return die("rdma_getaddrinfo");

	attr.cap.max_send_wr = attr.cap.max_recv_wr = NRECV;
	attr.cap.max_send_sge = attr.cap.max_recv_sge = 1;
	attr.sq_sig_all = 1;
	put_priv(priv, strcmp(mode, "privdata") ? 0x4d445254u : 0xdeadbeefu);
	param.private_data = priv;
	param.private_data_len = sizeof(priv);
	param.responder_resources = param.initiator_depth = 1;

	if (server) {
		if (rdma_create_ep(&lid, res, NULL, &attr))
			return die("rdma_create_ep");
		if (rdma_listen(lid, 1))
			return die("rdma_listen");
		if (rdma_get_request(lid, &id))
			return die("rdma_get_request");
		peer_buf = peer_buf_size(id->event->param.conn.private_data,
					 id->event->param.conn.private_data_len);
	} else {
		if (rdma_create_ep(&id, res, NULL, &attr))
			return die("rdma_create_ep");
	}

	rbuf = calloc(NRECV, RBUF);
	sbuf = calloc(1, SBUF);
	if (!rbuf || !sbuf)
		return die("calloc");
	rmr = rdma_reg_msgs(id, rbuf, NRECV * RBUF);
	smr = rdma_reg_msgs(id, sbuf, SBUF);
	if (!rmr || !smr)
		return die("rdma_reg_msgs");
	for (i = 0; i < NRECV; i++)
		if (rdma_post_recv(id, NULL, rbuf + i * RBUF, RBUF, rmr))
			return die("rdma_post_recv");

	if (server) {
		if (rdma_accept(id, &param))
			return die("rdma_accept");
	} else if (rdma_connect(id, &param)) {
		if (!strcmp(mode, "privdata")) {
			printf("refused: %s\n", strerror(errno));
			return 0;
		}
		return die("rdma_connect");
	} else if (id->event) {
		peer_buf = peer_buf_size(id->event->param.conn.private_data,
					 id->event->param.conn.private_data_len);
	}
	printf("connected, peer buffers of %u bytes\n", peer_buf);
	if (!peer_buf)
		peer_buf = 32 * 1024;

	len = 64;
	memset(sbuf + 8, 'x', SBUF - 8);
	if (!strcmp(mode, "big")) {
		len = peer_buf + 4096 - 8;
		put_hdr(sbuf, len, 0, 0);
	} else if (!strcmp(mode, "badlen")) {
		put_hdr(sbuf, 5000, 0, 0);
	} else if (!strcmp(mode, "credits")) {
		put_hdr(sbuf, len, 1000, 0);
	} else if (!strcmp(mode, "reserved")) {
		put_hdr(sbuf, len, 0, 1);
	} else if (!strcmp(mode, "privdata")) {
		/* the peer accepted bad private data: still send nothing */
		return wait_dropped(id);
	} else {
		fprintf(stderr, "rdma-bad: unknown mode %s\n", mode);
		return 2;
	}
	if (rdma_post_send(id, NULL, sbuf, len + 8, smr, 0))
		return die("rdma_post_send");
	printf("sent a %s message of %u bytes\n", mode, len + 8);
	return wait_dropped(id);
}
