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
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/netdevice.h>
#include <linux/inetdevice.h>
#include <net/net_namespace.h>

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
 * tnet_transport_registered - is a transport of this type registered
 * @net: network type
 *
 * Unlike tnet_get_transport(), loads nothing.
 */
bool tnet_transport_registered(const char *net)
{
	bool found;

	spin_lock(&tnet_transports_lock);
	found = tnet_find(net);
	spin_unlock(&tnet_transports_lock);
	return found;
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

/*
 * Interfaces configured for network types (`tessctl net add`): one
 * struct tnet_ni each, in the order added, so the first of a network
 * comes first.  Lock order: tnet_nis_lock, then tnet_transports_lock.
 */
struct tnet_ni {
	struct list_head list;
	char net[TNET_NET_MAX + 1];
	char ifname[IFNAMSIZ];
};

static LIST_HEAD(tnet_nis);
static DEFINE_MUTEX(tnet_nis_lock);

/**
 * tnet_net_if_add - configure an interface for a network type
 * @net: network type, e.g. "tcp"
 * @ifname: interface name (whether it exists is the caller's business)
 *
 * Return: 0, -EINVAL for a name too long, -EEXIST if @ifname is
 * configured for @net already, -ENOSPC if @net has TNET_NET_IFS_MAX, or
 * -ENOMEM.
 */
int tnet_net_if_add(const char *net, const char *ifname)
{
	struct tnet_ni *ni, *new;
	unsigned int n = 0;
	int err = 0;

	if (!*net || strnlen(net, TNET_NET_MAX + 1) > TNET_NET_MAX ||
	    !*ifname || strnlen(ifname, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	strscpy(new->net, net, sizeof(new->net));
	strscpy(new->ifname, ifname, sizeof(new->ifname));

	mutex_lock(&tnet_nis_lock);
	list_for_each_entry(ni, &tnet_nis, list) {
		if (strcmp(ni->net, net))
			continue;
		if (!strcmp(ni->ifname, ifname)) {
			err = -EEXIST;
			break;
		}
		n++;
	}
	if (!err && n >= TNET_NET_IFS_MAX)
		err = -ENOSPC;
	if (!err) {
		list_add_tail(&new->list, &tnet_nis);
		new = NULL;
	}
	mutex_unlock(&tnet_nis_lock);

	kfree(new);
	if (!err)
		pr_info("network %s: interface %s added\n", net, ifname);
	return err;
}

/**
 * tnet_net_if_del - forget an interface of a network type
 * @net: network type
 * @ifname: interface name
 *
 * Return: 0, or -ENOENT if @ifname is not configured for @net.
 */
int tnet_net_if_del(const char *net, const char *ifname)
{
	struct tnet_ni *ni, *found = NULL;

	mutex_lock(&tnet_nis_lock);
	list_for_each_entry(ni, &tnet_nis, list) {
		if (!strcmp(ni->net, net) && !strcmp(ni->ifname, ifname)) {
			list_del(&ni->list);
			found = ni;
			break;
		}
	}
	mutex_unlock(&tnet_nis_lock);

	if (!found)
		return -ENOENT;
	kfree(found);
	pr_info("network %s: interface %s removed\n", net, ifname);
	return 0;
}

/* state and first IPv4 address of interface ii->name, in init_net */
static void tnet_if_lookup(struct tnet_if_info *ii)
{
	const struct in_ifaddr *ifa;
	struct net_device *dev;
	struct in_device *in_dev;

	ii->state = TESS_NL_IF_MISSING;
	ii->has_ipv4 = false;
	ii->ipv4 = 0;
	rcu_read_lock();
	dev = dev_get_by_name_rcu(&init_net, ii->name);
	if (dev) {
		ii->state = dev->flags & IFF_UP ? TESS_NL_IF_UP :
						  TESS_NL_IF_DOWN;
		in_dev = __in_dev_get_rcu(dev);
		if (in_dev) {
			in_dev_for_each_ifa_rcu(ifa, in_dev) {
				ii->ipv4 = ifa->ifa_local;
				ii->has_ipv4 = true;
				break;
			}
		}
	}
	rcu_read_unlock();
}

/**
 * tnet_net_ifs - the interfaces configured for a network type
 * @net: network type
 * @ifs: filled in, in the order they were added
 * @max: room in @ifs
 *
 * Return: how many were filled in.
 */
int tnet_net_ifs(const char *net, struct tnet_if_info *ifs, unsigned int max)
{
	struct tnet_ni *ni;
	unsigned int n = 0, i;

	mutex_lock(&tnet_nis_lock);
	list_for_each_entry(ni, &tnet_nis, list) {
		if (n == max)
			break;
		if (!strcmp(ni->net, net))
			strscpy(ifs[n++].name, ni->ifname, sizeof(ifs->name));
	}
	mutex_unlock(&tnet_nis_lock);

	for (i = 0; i < n; i++)
		tnet_if_lookup(&ifs[i]);
	return n;
}

/**
 * tnet_net_src_addr - a source address for connections on a network type
 * @net: network type, e.g. "tcp"
 * @src: set to the address (network byte order) on success
 *
 * The first IPv4 address of the first interface configured for @net
 * (`tessctl net add`) that has one, looked up in the initial network
 * namespace now: interfaces that are missing or have no IPv4 address are
 * skipped.  May sleep.
 *
 * Return: 0, or -ENOENT if no configured interface has an IPv4 address
 * (or none is configured).
 */
int tnet_net_src_addr(const char *net, __be32 *src)
{
	struct tnet_if_info ii;
	struct tnet_ni *ni;
	int err = -ENOENT;

	mutex_lock(&tnet_nis_lock);
	list_for_each_entry(ni, &tnet_nis, list) {
		if (strcmp(ni->net, net))
			continue;
		strscpy(ii.name, ni->ifname, sizeof(ii.name));
		tnet_if_lookup(&ii);
		if (ii.has_ipv4) {
			*src = ii.ipv4;
			err = 0;
			break;
		}
	}
	mutex_unlock(&tnet_nis_lock);
	return err;
}
EXPORT_SYMBOL_GPL(tnet_net_src_addr);

static void tnet_nis_free(void)
{
	struct tnet_ni *ni, *tmp;

	mutex_lock(&tnet_nis_lock);
	list_for_each_entry_safe(ni, tmp, &tnet_nis, list) {
		list_del(&ni->list);
		kfree(ni);
	}
	mutex_unlock(&tnet_nis_lock);
}

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

/*
 * tnet_net_info() past the known and the registered types: the networks
 * that have interfaces configured but no transport registered, each once.
 * @n is the index of the first of them.  Under both locks.
 */
static int tnet_net_info_configured(unsigned int idx, unsigned int n,
				    struct tnet_net_info *ni)
{
	struct tnet_ni *c, *p;

	list_for_each_entry(c, &tnet_nis, list) {
		if (tnet_net_known(c->net) || tnet_find(c->net))
			continue;
		/* counted already at its first interface? */
		list_for_each_entry(p, &tnet_nis, list)
			if (p == c || !strcmp(p->net, c->net))
				break;
		if (p != c)
			continue;
		if (n++ == idx) {
			strscpy(ni->name, c->net, sizeof(ni->name));
			return 0;
		}
	}
	return -ENOENT;
}

/**
 * tnet_net_info - the @idx'th network type (lnet/netlink.c)
 * @idx: 0 up: the known types first, then any other registered one, then
 *	any other that has interfaces configured
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
	mutex_lock(&tnet_nis_lock);
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
		if (err) {
			t = NULL;
			err = tnet_net_info_configured(idx, n, ni);
		}
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
	mutex_unlock(&tnet_nis_lock);
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
	tnet_nis_free();
	WARN_ON(!list_empty(&tnet_transports));
}

module_init(tnet_init);
module_exit(tnet_exit);

MODULE_AUTHOR("The Tessera authors");
MODULE_DESCRIPTION("Tessera network layer: transports, addresses, framing");
MODULE_LICENSE("GPL");
