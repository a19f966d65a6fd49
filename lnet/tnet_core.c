// SPDX-License-Identifier: GPL-2.0
/*
 * tnet_core.c - transport registry, connections and framing of the
 * Tessera network layer.
 *
 * Transports register a struct tnet_transport_ops under the name of
 * their network type.  A lookup by name takes a reference on the
 * transport's module and, when no transport of that name is registered,
 * asks for the module "tessera-lnet-NAME" first (modeled on
 * net/9p/mod.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kmod.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/ctype.h>

#include "tnet.h"
#include "../kmod/compat.h"

static LIST_HEAD(tnet_transports);
static DEFINE_SPINLOCK(tnet_transports_lock);

static struct tnet_transport_ops *tnet_find(const char *net)
{
	struct tnet_transport_ops *t;

	list_for_each_entry(t, &tnet_transports, list)
		if (strcmp(t->name, net) == 0)
			return t;
	return NULL;
}

/**
 * tnet_register_transport - make a network type available
 * @ops: the transport; must stay valid until unregistered
 *
 * Return: 0, -EINVAL for an incomplete @ops or -EEXIST if a transport of
 * that name is already registered.
 */
int tnet_register_transport(struct tnet_transport_ops *ops)
{
	int err = 0;

	if (!ops->name || !ops->name[0] ||
	    strlen(ops->name) > TNET_NET_MAX || !ops->connect ||
	    !ops->disconnect || !ops->send || !ops->recv)
		return -EINVAL;

	spin_lock(&tnet_transports_lock);
	if (tnet_find(ops->name))
		err = -EEXIST;
	else
		list_add_tail(&ops->list, &tnet_transports);
	spin_unlock(&tnet_transports_lock);

	if (!err)
		pr_info("transport %s registered\n", ops->name);
	return err;
}
EXPORT_SYMBOL_GPL(tnet_register_transport);

/**
 * tnet_unregister_transport - withdraw a network type
 * @ops: a transport registered by tnet_register_transport()
 *
 * Users hold a reference on @ops->owner, so this runs only when none
 * is left (from the transport module's exit).
 */
void tnet_unregister_transport(struct tnet_transport_ops *ops)
{
	spin_lock(&tnet_transports_lock);
	list_del_init(&ops->list);
	spin_unlock(&tnet_transports_lock);
	pr_info("transport %s unregistered\n", ops->name);
}
EXPORT_SYMBOL_GPL(tnet_unregister_transport);

static struct tnet_transport_ops *tnet_get(const char *net)
{
	struct tnet_transport_ops *t;

	spin_lock(&tnet_transports_lock);
	t = tnet_find(net);
	if (t && !try_module_get(t->owner))
		t = NULL;
	spin_unlock(&tnet_transports_lock);
	return t;
}

/**
 * tnet_get_transport - find the transport of a network type
 * @net: network type, e.g. "tcp"
 *
 * Loads the module "tessera-lnet-@net" if no such transport is
 * registered yet.  Release the result with tnet_put_transport().
 *
 * Return: the transport, or ERR_PTR(-EINVAL) for a malformed name or
 * ERR_PTR(-EPROTONOSUPPORT) when no transport serves @net.
 */
struct tnet_transport_ops *tnet_get_transport(const char *net)
{
	struct tnet_transport_ops *t;
	size_t len = strnlen(net, TNET_NET_MAX + 1), i;

	/* the name ends up in a module alias: keep it to [a-z0-9] */
	if (len == 0 || len > TNET_NET_MAX)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < len; i++)
		if (!islower(net[i]) && !isdigit(net[i]))
			return ERR_PTR(-EINVAL);

	t = tnet_get(net);
	if (!t) {
		request_module("tessera-lnet-%s", net);
		t = tnet_get(net);
	}
	return t ? t : ERR_PTR(-EPROTONOSUPPORT);
}
EXPORT_SYMBOL_GPL(tnet_get_transport);

/**
 * tnet_put_transport - drop a reference from tnet_get_transport()
 * @ops: the transport
 */
void tnet_put_transport(struct tnet_transport_ops *ops)
{
	module_put(ops->owner);
}
EXPORT_SYMBOL_GPL(tnet_put_transport);

/**
 * tnet_connect - connect to a peer through the transport of its network
 * @peer: the peer's address
 * @timeout: how long connecting may take, in jiffies
 * @connp: set to the new connection on success
 *
 * Return: 0 or a negative errno from the lookup or the transport.
 */
int tnet_connect(const struct tnet_addr *peer, unsigned long timeout,
		 struct tnet_conn **connp)
{
	struct tnet_transport_ops *t;
	struct tnet_conn *conn;
	int err;

	t = tnet_get_transport(peer->net);
	if (IS_ERR(t))
		return PTR_ERR(t);

	err = t->connect(peer, timeout, &conn);
	if (err) {
		tnet_put_transport(t);
		return err;
	}
	conn->ops = t;
	conn->peer = *peer;
	conn->features = 0;
	*connp = conn;
	return 0;
}
EXPORT_SYMBOL_GPL(tnet_connect);

/**
 * tnet_disconnect - close a connection from tnet_connect()
 * @conn: the connection; freed on return
 */
void tnet_disconnect(struct tnet_conn *conn)
{
	const struct tnet_transport_ops *t = conn->ops;

	t->disconnect(conn);
	module_put(t->owner);
}
EXPORT_SYMBOL_GPL(tnet_disconnect);

/* network types listed by `tessctl net show` even before their module loads */
static const char *const tnet_known_nets[] = { "tcp" };

static bool tnet_net_known(const char *net)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tnet_known_nets); i++)
		if (!strcmp(tnet_known_nets[i], net))
			return true;
	return false;
}

/**
 * tnet_net_info - the @idx'th network type (lnet/netlink.c)
 * @idx: 0 up: the known types first, then any other registered one
 * @ni: filled in
 *
 * Return: 0, or -ENOENT past the last one.
 */
int tnet_net_info(unsigned int idx, struct tnet_net_info *ni)
{
	const struct tnet_transport_ops *t;
	unsigned int n = ARRAY_SIZE(tnet_known_nets);
	int err = -ENOENT;

	memset(ni, 0, sizeof(*ni));
	spin_lock(&tnet_transports_lock);
	if (idx < n) {
		strscpy(ni->name, tnet_known_nets[idx], sizeof(ni->name));
		t = tnet_find(ni->name);
		err = 0;
	} else {
		t = NULL;
		list_for_each_entry(t, &tnet_transports, list) {
			if (tnet_net_known(t->name))
				continue;
			if (n++ == idx) {
				strscpy(ni->name, t->name, sizeof(ni->name));
				err = 0;
				break;
			}
		}
		if (err)
			t = NULL;
	}
	if (t) {
		ni->loaded = true;
		ni->default_port = t->default_port;
		ni->max_bulk = t->max_bulk;
		strscpy(ni->module, t->owner ? module_name(t->owner) : "kernel",
			sizeof(ni->module));
	} else if (!err) {
		snprintf(ni->module, sizeof(ni->module), "tessera-lnet-%s",
			 ni->name);
	}
	spin_unlock(&tnet_transports_lock);
	return err;
}

static u32 tnet_bulk_crc(const void *bulk, u32 len)
{
	return tess_crc_final(tess_crc_update(tess_crc_init(), bulk, len));
}

int tnet_send_frame(struct tnet_conn *conn, struct tess_frame *f,
		    const void *body, u32 body_len,
		    const void *bulk, u32 bulk_len)
{
	struct tess_hdr hdr;
	struct kvec vec[3];
	size_t nr = 0;

	if (body_len > TESS_MAX_BODY || bulk_len > TESS_MAX_BULK ||
	    bulk_len > conn->ops->max_bulk)
		return -EMSGSIZE;

	f->version = conn->version ? conn->version : TESS_PROTO_VERSION;
	f->body_len = body_len;
	f->bulk_len = bulk_len;
	f->body_crc = 0;
	f->bulk_crc = 0;
	if (bulk_len && (conn->features & TESS_FEAT_BULK_CRC))
		f->bulk_crc = tnet_bulk_crc(bulk, bulk_len);
	tess_hdr_encode(&hdr, f);
	tess_hdr_seal(&hdr, body, body_len);
	f->body_crc = le32_to_cpu(hdr.body_crc);

	vec[nr].iov_base = &hdr;
	vec[nr++].iov_len = sizeof(hdr);
	if (body_len) {
		vec[nr].iov_base = (void *)body;
		vec[nr++].iov_len = body_len;
	}
	if (bulk_len) {
		vec[nr].iov_base = (void *)bulk;
		vec[nr++].iov_len = bulk_len;
	}
	return conn->ops->send(conn, vec, nr,
			       sizeof(hdr) + body_len + bulk_len);
}
EXPORT_SYMBOL_GPL(tnet_send_frame);

int tnet_recv_frame(struct tnet_conn *conn, struct tess_frame *f,
		    void *body, u32 body_cap, void *bulk, u32 bulk_cap)
{
	const struct tnet_transport_ops *t = conn->ops;
	struct tess_hdr hdr;
	int err, status;

	err = t->recv(conn, &hdr, sizeof(hdr));
	if (err)
		return err;

	/* -EOPNOTSUPP: well formed, unknown opcode; still consume it */
	status = tess_hdr_decode(&hdr, f);
	if (status && status != -EOPNOTSUPP)
		return status;
	if (f->body_len > body_cap || f->bulk_len > bulk_cap)
		return -EMSGSIZE;

	if (f->body_len) {
		err = t->recv(conn, body, f->body_len);
		if (err)
			return err;
	}
	if (f->bulk_len) {
		err = t->recv(conn, bulk, f->bulk_len);
		if (err)
			return err;
	}

	if (tess_body_crc(&hdr, body, f->body_len) != f->body_crc)
		return -EBADMSG;
	if (f->bulk_len && (conn->features & TESS_FEAT_BULK_CRC) &&
	    tnet_bulk_crc(bulk, f->bulk_len) != f->bulk_crc)
		return -EBADMSG;
	if (status)
		return status;
	return tess_msg_check(f, body);
}
EXPORT_SYMBOL_GPL(tnet_recv_frame);

static int __init tnet_init(void)
{
	int err;

	err = tnet_rpc_init();
	if (err)
		return err;
	err = tnet_selftest_init();
	if (err) {
		tnet_rpc_exit();
		return err;
	}
	err = tnet_netlink_init();
	if (err) {
		tnet_selftest_exit();
		tnet_rpc_exit();
		return err;
	}
	pr_info("network layer loaded (protocol %d)\n", TESS_PROTO_VERSION);
	return 0;
}

static void __exit tnet_exit(void)
{
	tnet_netlink_exit();
	tnet_selftest_exit();
	tnet_rpc_exit();
	WARN_ON(!list_empty(&tnet_transports));
}

module_init(tnet_init);
module_exit(tnet_exit);

MODULE_AUTHOR("The Tessera authors");
MODULE_DESCRIPTION("Tessera network layer: transports, addresses, framing");
MODULE_LICENSE("GPL");
