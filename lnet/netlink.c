// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - the generic netlink family "tessera_lnet": what the network
 * layer knows, for `tessctl net show` and `tessctl peer show` (modelled
 * on Lustre's lnetctl).  Commands and attributes: include/tessera.h.
 *
 * Both commands are dumps and change nothing, so any user may run them;
 * a command that changes state must carry GENL_ADMIN_PERM.  Every
 * attribute of a request is checked against tnet_nl_policy before a
 * handler runs (strict validation: unknown types are refused too); the
 * only one a request may carry is TESS_NL_A_NET, a filter.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <net/genetlink.h>

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

#define TNET_NL_OUT { .type = NLA_REJECT, \
		      .reject_message = "attribute is output only" }

static const struct nla_policy tnet_nl_policy[TESS_NL_A_MAX + 1] = {
	[TESS_NL_A_UNSPEC]		= TNET_NL_OUT,
	[TESS_NL_A_PAD]			= TNET_NL_OUT,
	[TESS_NL_A_NET]		= NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							 tnet_nl_validate_net),
	[TESS_NL_A_NET_LOADED]		= TNET_NL_OUT,
	[TESS_NL_A_NET_STATE]		= TNET_NL_OUT,
	[TESS_NL_A_NET_MODULE]		= TNET_NL_OUT,
	[TESS_NL_A_NET_PORT]		= TNET_NL_OUT,
	[TESS_NL_A_NET_MAX_BULK]	= TNET_NL_OUT,
	[TESS_NL_A_NET_PEERS]		= TNET_NL_OUT,
	[TESS_NL_A_PEER_ID]		= TNET_NL_OUT,
	[TESS_NL_A_PEER_ADDR]		= TNET_NL_OUT,
	[TESS_NL_A_PEER_NAME]		= TNET_NL_OUT,
	[TESS_NL_A_PEER_STATE]		= TNET_NL_OUT,
	[TESS_NL_A_PEER_IN_FLIGHT]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_QUEUED]		= TNET_NL_OUT,
	[TESS_NL_A_PEER_REQUESTS]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_REPLIES]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_RESENDS]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_TIMEOUTS]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_CONNECTS]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_RESETS]		= TNET_NL_OUT,
	[TESS_NL_A_PEER_TX_MSGS]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_TX_BYTES]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_RX_MSGS]	= TNET_NL_OUT,
	[TESS_NL_A_PEER_RX_BYTES]	= TNET_NL_OUT,
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
		      nla_put_u32(skb, TESS_NL_A_NET_MAX_BULK, ni.max_bulk)))) {
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

static const struct genl_ops tnet_nl_ops[] = {
	{
		.cmd = TESS_NL_CMD_NET_GET,
		.dumpit = tnet_nl_net_dump,
	},
	{
		.cmd = TESS_NL_CMD_PEER_GET,
		.dumpit = tnet_nl_peer_dump,
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
