/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tnet.h - the Tessera network layer (tessera_lnet.ko).
 *
 * Addresses are written HOST[:PORT]@NET, e.g. "10.0.0.5@tcp" or
 * "10.0.0.5:7431@tcp".  NET names the network type; each type is served
 * by a transport module that registers a struct tnet_transport_ops and
 * is loaded on demand through the module alias "tessera-lnet-NET".
 *
 * The core (this module) owns the registry, address parsing and framing:
 * tnet_send_frame() and tnet_recv_frame() encode, seal and check frames
 * with the codec of common/tess_wire.c, and leave the moving of bytes to
 * the transport.
 */
#ifndef _TESSERA_TNET_H
#define _TESSERA_TNET_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/uio.h>
#include <linux/bvec.h>
#include <linux/socket.h>
#include <linux/crc32c.h>
#include <linux/module.h>
#include <linux/if.h>

#include "tess_wire.h"

#define TNET_NET_MAX		15	/* longest network type name */
#define TNET_ADDR_STRLEN	(TESS_ADDR_MAX + 1)

struct tnet_addr {
	char net[TNET_NET_MAX + 1];	/* network type, e.g. "tcp" */
	__be32 ipv4;			/* network byte order */
	u16 port;			/* host order; 0 = none given */
};

int tnet_addr_parse(const char *str, size_t len, struct tnet_addr *addr,
		    const char **why);
int tnet_addr_format(const struct tnet_addr *addr, char *buf, size_t size);

struct tnet_transport_ops;

/*
 * One connection.  A transport embeds this in its own connection
 * structure; the core fills in ops, peer and features.
 */
/*
 * Session keys of a version 4 handshake (include/tessera.h), from this
 * side's view: tx protects what it sends, rx checks what it receives.
 */
struct tnet_sec_keys {
	u8 tx_key[TESS_SEC_KEY_LEN];
	u8 rx_key[TESS_SEC_KEY_LEN];
	u8 tx_iv[TESS_SEC_IV_LEN];
	u8 rx_iv[TESS_SEC_IV_LEN];
};

struct tnet_conn {
	const struct tnet_transport_ops *ops;
	struct tnet_addr peer;
	u64 features;		/* TESS_FEAT_* agreed with the peer */
	u16 version;		/* protocol agreed with the peer; 0: ours */
	u8 sec;			/* enum tess_sec agreed (tnet_auth_client) */
	struct tnet_sec_keys keys;	/* set by tnet_auth_client, version 4 */
};

/**
 * struct tnet_transport_ops - a network type
 * @list: registry linkage, owned by the core
 * @name: network type as written after '@' in an address
 * @owner: module providing the transport
 * @supports_rdma_bulk: bulk data can be placed directly by the transport
 * @max_bulk: largest bulk transfer in one frame (bytes)
 * @default_port: port used when an address gives none
 * @connect: open a connection to @peer; may sleep for up to @timeout
 *	jiffies; on success *@connp points at the embedded tnet_conn
 * @disconnect: close and free a connection returned by @connect
 * @send: send all @len bytes described by @vec (@nr entries)
 * @recv: receive exactly @len bytes into @buf
 * @sendmsg: send all of @msg->msg_iter (any iterator type, e.g. ITER_BVEC
 *	for bulk pages, sent without an intermediate copy) with
 *	@msg->msg_flags (MSG_MORE while more of the frame follows)
 * @recv_iter: receive until @iter is full; @iter is advanced by what
 *	arrived, so after -EAGAIN (the socket timeout expired) the caller
 *	can tell an idle connection from a stalled frame and call again
 * @shutdown: stop all traffic on @conn now (a thread blocked in a send
 *	or receive on it returns an error); @conn stays allocated until
 *	@disconnect.  Optional.
 *
 * The RPC layer (rpc.c) needs @sendmsg and @recv_iter.
 */
struct tnet_transport_ops {
	struct list_head list;
	const char *name;
	struct module *owner;
	bool supports_rdma_bulk;
	u32 max_bulk;
	u16 default_port;

	int (*connect)(const struct tnet_addr *peer, unsigned long timeout,
		       struct tnet_conn **connp);
	void (*disconnect)(struct tnet_conn *conn);
	int (*send)(struct tnet_conn *conn, struct kvec *vec, size_t nr,
		    size_t len);
	int (*recv)(struct tnet_conn *conn, void *buf, size_t len);
	int (*sendmsg)(struct tnet_conn *conn, struct msghdr *msg);
	int (*recv_iter)(struct tnet_conn *conn, struct iov_iter *iter);
	void (*shutdown)(struct tnet_conn *conn);
};

int tnet_register_transport(struct tnet_transport_ops *ops);
void tnet_unregister_transport(struct tnet_transport_ops *ops);

/* Find the transport for a network type, loading it if needed. */
struct tnet_transport_ops *tnet_get_transport(const char *net);
void tnet_put_transport(struct tnet_transport_ops *ops);

int tnet_connect(const struct tnet_addr *peer, unsigned long timeout,
		 struct tnet_conn **connp);
void tnet_disconnect(struct tnet_conn *conn);

/*
 * Send one frame.  The caller fills xid, opcode, flags and status of @f;
 * lengths, version and CRCs are set here.
 */
int tnet_send_frame(struct tnet_conn *conn, struct tess_frame *f,
		    const void *body, u32 body_len,
		    const void *bulk, u32 bulk_len);

/*
 * Receive one frame into @f, @body (capacity @body_cap) and @bulk
 * (capacity @bulk_cap).  Checks the header, both CRCs (bulk only if
 * TESS_FEAT_BULK_CRC was agreed) and the body.  -EMSGSIZE if a part does
 * not fit (the connection is then out of sync and must be closed).
 */
int tnet_recv_frame(struct tnet_conn *conn, struct tess_frame *f,
		    void *body, u32 body_cap, void *bulk, u32 bulk_cap);

/* Internal to tessera_lnet.ko (auth.c, rpc.c, rpc_selftest.c). */
struct crypto_shash;

struct crypto_shash *tnet_auth_alloc(const u8 *key, unsigned int key_len);
int tnet_auth_client(struct tnet_conn *conn, struct crypto_shash *tfm,
		     u32 role, const u8 uuid[16], u64 xid, u8 server_uuid[16],
		     u8 sec, u64 offer);
/* the version 4 handshake's cryptography (hs.c) */
struct tess_hello_req;
struct tess_hello_rep;
int tnet_hs_transcript(const struct tess_hello_req *req,
		       const struct tess_hello_rep *rep, u8 *t);
int tnet_hs_mac(struct crypto_shash *tfm, const char *label, const u8 *t,
		u8 *out);
int tnet_hs_keys(struct crypto_shash *tfm, const u8 *nc, const u8 *ns,
		 const u8 *t, struct tnet_sec_keys *k);
u32 tnet_bvec_crc(u32 crc, const struct bio_vec *bv, unsigned int nr,
		  u32 len);
int tnet_rpc_init(void);
void tnet_rpc_exit(void);

/* A network type as `tessctl net show` sees it (lnet/netlink.c). */
struct tnet_net_info {
	char name[TNET_NET_MAX + 1];
	char module[MODULE_NAME_LEN];	/* owner, or the alias that loads it */
	bool loaded;			/* a transport is registered */
	u16 default_port;
	u32 max_bulk;
};

int tnet_net_info(unsigned int idx, struct tnet_net_info *ni);

/*
 * Interfaces configured for a network type (`tessctl net add`, the
 * NET_ADD and NET_DEL commands of lnet/netlink.c): at most
 * TNET_NET_IFS_MAX a network, in the order they were added.  Names are
 * kept, not devices: an interface may go away and come back.
 */
#define TNET_NET_IFS_MAX	8

struct tnet_if_info {
	char name[IFNAMSIZ];
	u8 state;			/* TESS_NL_IF_* */
	bool has_ipv4;
	__be32 ipv4;			/* its first IPv4 address */
};

bool tnet_transport_registered(const char *net);
int tnet_net_if_add(const char *net, const char *ifname);
int tnet_net_if_del(const char *net, const char *ifname);
int tnet_net_ifs(const char *net, struct tnet_if_info *ifs, unsigned int max);

/*
 * For transports: the IPv4 address of the first interface configured for
 * @net that has one (in init_net), as the source address of connections.
 * 0, or -ENOENT if none has one.  May sleep.
 */
int tnet_net_src_addr(const char *net, __be32 *src);
int tnet_netlink_init(void);
void tnet_netlink_exit(void);
#ifdef CONFIG_DEBUG_FS
int tnet_selftest_init(void);
void tnet_selftest_exit(void);
#else
static inline int tnet_selftest_init(void) { return 0; }
static inline void tnet_selftest_exit(void) { }
#endif

#endif /* _TESSERA_TNET_H */
