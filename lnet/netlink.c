// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - the generic netlink family "tessera_lnet": what the network
 * layer knows, for `tessctl net show` and `tessctl peer show` (modelled
 * on Lustre's lnetctl).  Commands and attributes: include/tessera.h.
 *
 * NET_GET and PEER_GET are dumps and change nothing, so any user may run
 * them; NET_ADD and NET_DEL (`tessctl net add/del`, as lnetctl's) change
 * the interfaces configured for a network type and carry
 * GENL_ADMIN_PERM.  Every attribute of a request is checked against the
 * command's policy before a handler runs (strict validation: unknown
 * types are refused too): the dumps take TESS_NL_A_NET, a filter;
 * NET_ADD and NET_DEL take TESS_NL_A_NET and TESS_NL_A_NET_IF.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/stringify.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "rpc.h"
#include "../kmod/compat.h"

static int tnet_nl_validate_net(const struct nlattr *attr,
				struct netlink_ext_ack *extack)
{
	const char *s = nla_data(attr);
	int len = nla_len(attr), i;

	if (len < 2 || len > TNET_NET_MAX + 1 || s[len - 1]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "network type must be a NUL-terminated string of 1 to 15 characters");
		return -EINVAL;
	}
	for (i = 0; i < len - 1; i++) {
		if (!islower(s[i]) && !isdigit(s[i])) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "network type may hold only a-z and 0-9");
			return -EINVAL;
		}
	}
	return 0;
}

/* an interface name as register_netdevice() would take it */
static int tnet_nl_validate_if(const struct nlattr *attr,
			       struct netlink_ext_ack *extack)
{
	const char *s = nla_data(attr);
	int len = nla_len(attr), i;

	if (len < 2 || len > IFNAMSIZ || s[len - 1]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "interface name must be a NUL-terminated string of 1 to 15 characters");
		return -EINVAL;
	}
	for (i = 0; i < len - 1; i++) {
		if ((u8)s[i] < 0x20 || s[i] == 0x7f) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "interface name may not hold control characters");
			return -EINVAL;
		}
	}
	if (!dev_valid_name(s)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "interface name may not hold '/', ':' or whitespace, nor be '.' or '..'");
		return -EINVAL;
	}
	return 0;
}

#define TNET_NL_OUT { .type = NLA_REJECT, \
		      .reject_message = "attribute is output only" }

/* the attributes no request may carry (both policies) */
#define TNET_NL_POLICY_OUT \
	[TESS_NL_A_UNSPEC]		= TNET_NL_OUT, \
	[TESS_NL_A_PAD]			= TNET_NL_OUT, \
	[TESS_NL_A_NET_LOADED]		= TNET_NL_OUT, \
	[TESS_NL_A_NET_STATE]		= TNET_NL_OUT, \
	[TESS_NL_A_NET_MODULE]		= TNET_NL_OUT, \
	[TESS_NL_A_NET_PORT]		= TNET_NL_OUT, \
	[TESS_NL_A_NET_MAX_BULK]	= TNET_NL_OUT, \
	[TESS_NL_A_NET_PEERS]		= TNET_NL_OUT, \
	[TESS_NL_A_PEER_ID]		= TNET_NL_OUT, \
	[TESS_NL_A_PEER_ADDR]		= TNET_NL_OUT, \
	[TESS_NL_A_PEER_NAME]		= TNET_NL_OUT, \
	[TESS_NL_A_PEER_STATE]		= TNET_NL_OUT, \
	[TESS_NL_A_PEER_IN_FLIGHT]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_QUEUED]		= TNET_NL_OUT, \
	[TESS_NL_A_PEER_REQUESTS]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_REPLIES]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_RESENDS]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_TIMEOUTS]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_CONNECTS]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_RESETS]		= TNET_NL_OUT, \
	[TESS_NL_A_PEER_TX_MSGS]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_TX_BYTES]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_RX_MSGS]	= TNET_NL_OUT, \
	[TESS_NL_A_PEER_RX_BYTES]	= TNET_NL_OUT, \
	[TESS_NL_A_NET_IFS]		= TNET_NL_OUT, \
	[TESS_NL_A_NET_IF_ENTRY]	= TNET_NL_OUT, \
	[TESS_NL_A_NET_IF_STATE]	= TNET_NL_OUT, \
	[TESS_NL_A_NET_IF_IPV4]		= TNET_NL_OUT

/* NET_GET, PEER_GET: a network filter */
static const struct nla_policy tnet_nl_policy[TESS_NL_A_MAX + 1] = {
	TNET_NL_POLICY_OUT,
	[TESS_NL_A_NET]		= NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							 tnet_nl_validate_net),
	[TESS_NL_A_NET_IF]	= { .type = NLA_REJECT,
				    .reject_message = "only net add and net del take an interface" },
};

/* NET_ADD, NET_DEL: a network and an interface */
static const struct nla_policy tnet_nl_if_policy[TESS_NL_A_MAX + 1] = {
	TNET_NL_POLICY_OUT,
	[TESS_NL_A_NET]		= NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							 tnet_nl_validate_net),
	[TESS_NL_A_NET_IF]	= NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							 tnet_nl_validate_if),
};

static struct genl_family tnet_nl_family;

/* the TESS_NL_A_NET filter of a dump request, or NULL */
static const char *tnet_nl_filter(struct netlink_callback *cb)
{
	struct nlattr **attrs = tess_genl_dumpit_attrs(genl_dumpit_info(cb));

	if (!attrs || !attrs[TESS_NL_A_NET])
		return NULL;
	return nla_data(attrs[TESS_NL_A_NET]);
}

static void *tnet_nl_put_hdr(struct sk_buff *skb, struct netlink_callback *cb,
			     u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			   cb->nlh->nlmsg_seq, &tnet_nl_family, NLM_F_MULTI,
			   cmd);
}

/* NET_IFS: the interfaces configured for network @net */
static int tnet_nl_put_ifs(struct sk_buff *skb, const char *net)
{
	struct tnet_if_info ifs[TNET_NET_IFS_MAX];
	struct nlattr *nest, *entry;
	int n, i;

	n = tnet_net_ifs(net, ifs, ARRAY_SIZE(ifs));
	nest = nla_nest_start(skb, TESS_NL_A_NET_IFS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		entry = nla_nest_start(skb, TESS_NL_A_NET_IF_ENTRY);
		if (!entry ||
		    nla_put_string(skb, TESS_NL_A_NET_IF, ifs[i].name) ||
		    nla_put_u8(skb, TESS_NL_A_NET_IF_STATE, ifs[i].state) ||
		    (ifs[i].has_ipv4 &&
		     nla_put_in_addr(skb, TESS_NL_A_NET_IF_IPV4, ifs[i].ipv4))) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
		nla_nest_end(skb, entry);
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* NET_GET: cb->args[0] is the index of the next network type */
static int tnet_nl_net_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const char *filter = tnet_nl_filter(cb);
	struct tnet_net_info ni;
	unsigned int idx;
	void *hdr;

	for (idx = cb->args[0]; tnet_net_info(idx, &ni) == 0; idx++) {
		if (filter && strcmp(filter, ni.name))
			continue;
		hdr = tnet_nl_put_hdr(skb, cb, TESS_NL_CMD_NET_GET);
		if (!hdr)
			break;
		if (nla_put_string(skb, TESS_NL_A_NET, ni.name) ||
		    nla_put_u8(skb, TESS_NL_A_NET_LOADED, ni.loaded) ||
		    nla_put_u8(skb, TESS_NL_A_NET_STATE,
			       ni.loaded ? TESS_NL_NET_UP : TESS_NL_NET_DOWN) ||
		    nla_put_string(skb, TESS_NL_A_NET_MODULE, ni.module) ||
		    nla_put_u32(skb, TESS_NL_A_NET_PEERS,
				tnet_peers_count(ni.name)) ||
		    (ni.loaded &&
		     (nla_put_u16(skb, TESS_NL_A_NET_PORT, ni.default_port) ||
		      nla_put_u32(skb, TESS_NL_A_NET_MAX_BULK, ni.max_bulk))) ||
		    tnet_nl_put_ifs(skb, ni.name)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = idx;
	return skb->len;
}

struct tnet_nl_peer_arg {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	const char *filter;
};

static int tnet_nl_peer_fill(const struct tnet_peer_info *pi, void *arg)
{
	struct tnet_nl_peer_arg *a = arg;
	struct sk_buff *skb = a->skb;
	const struct tnet_client_stats *st = &pi->stats;
	void *hdr;

	if (a->filter && strcmp(a->filter, pi->net))
		return 0;
	hdr = tnet_nl_put_hdr(skb, a->cb, TESS_NL_CMD_PEER_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, TESS_NL_A_PEER_ID, pi->id) ||
	    nla_put_string(skb, TESS_NL_A_PEER_ADDR, pi->addr) ||
	    nla_put_string(skb, TESS_NL_A_NET, pi->net) ||
	    nla_put_string(skb, TESS_NL_A_PEER_NAME, pi->name) ||
	    nla_put_u8(skb, TESS_NL_A_PEER_STATE, pi->state) ||
	    nla_put_u32(skb, TESS_NL_A_PEER_IN_FLIGHT, pi->in_flight) ||
	    nla_put_u32(skb, TESS_NL_A_PEER_QUEUED, pi->queued) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_REQUESTS, st->requests,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_REPLIES, st->replies,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_RESENDS, st->resends,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_TIMEOUTS, st->timeouts,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_CONNECTS, st->connects,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_RESETS, st->resets,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_TX_MSGS, st->tx_msgs,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_TX_BYTES, st->tx_bytes,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_RX_MSGS, st->rx_msgs,
			      TESS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, TESS_NL_A_PEER_RX_BYTES, st->rx_bytes,
			      TESS_NL_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* PEER_GET: cb->args[0] is the id of the last client dumped */
static int tnet_nl_peer_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct tnet_nl_peer_arg a = {
		.skb = skb,
		.cb = cb,
		.filter = tnet_nl_filter(cb),
	};
	u32 pos = cb->args[0];
	int err;

	err = tnet_peers_walk(&pos, tnet_nl_peer_fill, &a);
	cb->args[0] = pos;
	if (err == -EMSGSIZE && skb->len)
		return skb->len;	/* more in the next round */
	return err ? err : skb->len;
}

/* the network and interface of NET_ADD and NET_DEL, both required */
static int tnet_nl_if_args(struct genl_info *info, const char **net,
			   const char **ifname)
{
	if (!info->attrs[TESS_NL_A_NET]) {
		NL_SET_ERR_MSG(info->extack,
			       "a network type (TESS_NL_A_NET) is required");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, TESS_NL_A_NET);
		return -EINVAL;
	}
	if (!info->attrs[TESS_NL_A_NET_IF]) {
		NL_SET_ERR_MSG(info->extack,
			       "an interface name (TESS_NL_A_NET_IF) is required");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, TESS_NL_A_NET_IF);
		return -EINVAL;
	}
	/* the policy checked both: NUL-terminated, of the right length */
	*net = nla_data(info->attrs[TESS_NL_A_NET]);
	*ifname = nla_data(info->attrs[TESS_NL_A_NET_IF]);
	return 0;
}

/* NET_ADD: use interface NET_IF for network NET */
static int tnet_nl_net_add(struct sk_buff *skb, struct genl_info *info)
{
	const char *net, *ifname;
	bool present;
	int err;

	err = tnet_nl_if_args(info, &net, &ifname);
	if (err)
		return err;

	rcu_read_lock();
	present = dev_get_by_name_rcu(&init_net, ifname);
	rcu_read_unlock();
	if (!present) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TESS_NL_A_NET_IF],
				    "no such interface (in the initial network namespace)");
		return -ENODEV;
	}
	if (!tnet_transport_registered(net)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TESS_NL_A_NET],
				    "transport not loaded: tessctl loads it");
		return -ENOENT;
	}

	err = tnet_net_if_add(net, ifname);
	if (err == -EEXIST)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TESS_NL_A_NET_IF],
				    "interface already configured for this network");
	else if (err == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TESS_NL_A_NET],
				    "a network has at most "
				    __stringify(TNET_NET_IFS_MAX) " interfaces");
	return err;
}

/* NET_DEL: forget interface NET_IF of network NET */
static int tnet_nl_net_del(struct sk_buff *skb, struct genl_info *info)
{
	const char *net, *ifname;
	int err;

	err = tnet_nl_if_args(info, &net, &ifname);
	if (err)
		return err;
	err = tnet_net_if_del(net, ifname);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TESS_NL_A_NET_IF],
				    "interface not configured for this network");
	return err;
}

static const struct genl_ops tnet_nl_ops[] = {
	{
		.cmd = TESS_NL_CMD_NET_GET,
		.dumpit = tnet_nl_net_dump,
	},
	{
		.cmd = TESS_NL_CMD_PEER_GET,
		.dumpit = tnet_nl_peer_dump,
	},
	{
		.cmd = TESS_NL_CMD_NET_ADD,
		.doit = tnet_nl_net_add,
		.policy = tnet_nl_if_policy,
		.maxattr = TESS_NL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TESS_NL_CMD_NET_DEL,
		.doit = tnet_nl_net_del,
		.policy = tnet_nl_if_policy,
		.maxattr = TESS_NL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family tnet_nl_family = {
	.name = TESS_NL_FAMILY,
	.version = TESS_NL_VERSION,
	.maxattr = TESS_NL_A_MAX,
	.policy = tnet_nl_policy,
	.module = THIS_MODULE,
	.ops = tnet_nl_ops,
	.n_ops = ARRAY_SIZE(tnet_nl_ops),
};

int tnet_netlink_init(void)
{
	return genl_register_family(&tnet_nl_family);
}

void tnet_netlink_exit(void)
{
	genl_unregister_family(&tnet_nl_family);
}
