// SPDX-License-Identifier: MIT
/*
 * tessctl_net.c - `tessctl net show` and `tessctl peer show`: what the
 * kernel network layer (tessera_lnet.ko) knows, over its generic netlink
 * family (include/tessera.h, lnet/netlink.c), with libnl-genl-3.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "tessera.h"
#include "tessctl_net.h"

struct nl_req {
	const char *cmd;		/* "net", "peer": for messages */
	int (*row)(struct nlattr **tb, void *arg);
	void *arg;
	const char *header;		/* printed before the first row */
	int err;			/* errno from the kernel, 0 */
	char msg[256];			/* its extended-ack message */
	int rows;
};

/* NLMSG_ERROR: keep the errno and the extended-ack message, if any */
static int nl_on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nl_req *r = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);
	struct nlattr *a;
	int rem;

	(void)nla;
	r->err = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + off)
		return NL_STOP;
	nla_for_each_attr(a, (struct nlattr *)((char *)e + off),
			  (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off), rem) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0)
			snprintf(r->msg, sizeof(r->msg), "%.*s", nla_len(a),
				 (char *)nla_data(a));
	}
	r->msg[strcspn(r->msg, "\n")] = 0;
	return NL_STOP;
}

static int nl_on_valid(struct nl_msg *msg, void *arg)
{
	struct nl_req *r = arg;
	struct nlattr *tb[TESS_NL_A_MAX + 1];
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, TESS_NL_A_MAX, NULL);
	if (err < 0) {
		r->err = EPROTO;
		snprintf(r->msg, sizeof(r->msg), "malformed reply: %s", nl_geterror(err));
		return NL_STOP;
	}
	if (!r->rows++)
		fputs(r->header, stdout);
	return r->row(tb, r->arg);
}

/*
 * Dump command @nlcmd of the family, optionally filtered on network type
 * @net; r->row is called with each message's attributes.  Returns 0 or 1
 * after printing why.
 */
static int tnl_dump(struct nl_req *r, uint8_t nlcmd, const char *net)
{
	struct nl_sock *sk;
	struct nl_msg *msg = NULL;
	int fam, err, rc = 1, one = 1;

	sk = nl_socket_alloc();
	if (!sk) {
		fprintf(stderr, "tessctl: %s: out of memory\n", r->cmd);
		return 1;
	}
	err = genl_connect(sk);
	if (err < 0) {
		fprintf(stderr, "tessctl: %s: cannot open a generic netlink socket: %s\n",
			r->cmd, nl_geterror(err));
		goto out;
	}
	/* the kernel's reason with an error (NLMSGERR_ATTR_MSG) */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	fam = genl_ctrl_resolve(sk, TESS_NL_FAMILY);
	if (fam < 0) {
		if (fam == -NLE_OBJ_NOTFOUND)
			fprintf(stderr, "tessctl: %s: tessera_lnet module not loaded (no generic netlink family '%s')\n",
				r->cmd, TESS_NL_FAMILY);
		else
			fprintf(stderr, "tessctl: %s: cannot look up the generic netlink family '%s': %s\n",
				r->cmd, TESS_NL_FAMILY, nl_geterror(fam));
		goto out;
	}
	msg = nlmsg_alloc();
	if (!msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, NLM_F_DUMP, nlcmd,
			 TESS_NL_VERSION) ||
	    (net && nla_put_string(msg, TESS_NL_A_NET, net) < 0)) {
		fprintf(stderr, "tessctl: %s: cannot build the request\n", r->cmd);
		goto out;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, nl_on_valid, r);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, nl_on_error, r);
	err = nl_send_auto(sk, msg);
	if (err >= 0)
		err = nl_recvmsgs_default(sk);
	if (r->err) {
		fprintf(stderr, "tessctl: %s: %s%s%s\n", r->cmd, strerror(r->err),
			r->msg[0] ? ": " : "", r->msg);
		goto out;
	}
	if (err < 0) {
		fprintf(stderr, "tessctl: %s: %s\n", r->cmd, nl_geterror(err));
		goto out;
	}
	if (!r->rows)
		fputs(r->header, stdout);
	rc = 0;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return rc;
}

static const char *nl_str(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_string(tb[type]) : "-";
}

static uint64_t nl_u64(struct nlattr **tb, int type)
{
	if (!tb[type])
		return 0;
	switch (nla_len(tb[type])) {
	case 1: return nla_get_u8(tb[type]);
	case 2: return nla_get_u16(tb[type]);
	case 4: return nla_get_u32(tb[type]);
	case 8: return nla_get_u64(tb[type]);
	}
	return 0;
}

static const char *net_state(uint64_t s)
{
	return s == TESS_NL_NET_UP ? "up" : "down";
}

static const char *peer_state(uint64_t s)
{
	switch (s) {
	case TESS_NL_PEER_UP: return "up";
	case TESS_NL_PEER_CONNECTING: return "connecting";
	default: return "down";
	}
}

static int net_row(struct nlattr **tb, void *arg)
{
	char port[16] = "-", bulk[24] = "-";

	(void)arg;
	if (tb[TESS_NL_A_NET_PORT])
		snprintf(port, sizeof(port), "%" PRIu64, nl_u64(tb, TESS_NL_A_NET_PORT));
	if (tb[TESS_NL_A_NET_MAX_BULK])
		snprintf(bulk, sizeof(bulk), "%" PRIu64, nl_u64(tb, TESS_NL_A_NET_MAX_BULK));
	printf("%-8s %-6s %-10s %-20s %-6s %-10s %" PRIu64 "\n",
	       nl_str(tb, TESS_NL_A_NET),
	       net_state(nl_u64(tb, TESS_NL_A_NET_STATE)),
	       nl_u64(tb, TESS_NL_A_NET_LOADED) ? "loaded" : "not-loaded",
	       nl_str(tb, TESS_NL_A_NET_MODULE), port, bulk,
	       nl_u64(tb, TESS_NL_A_NET_PEERS));
	return NL_OK;
}

static int peer_row(struct nlattr **tb, void *arg)
{
	(void)arg;
	printf("%-4" PRIu64 " %-24s %-8s %-10s %8" PRIu64 " %12" PRIu64
	       " %8" PRIu64 " %12" PRIu64 " %5" PRIu64 " %6" PRIu64 " %7" PRIu64
	       " %6" PRIu64 " %8" PRIu64 "\n",
	       nl_u64(tb, TESS_NL_A_PEER_ID), nl_str(tb, TESS_NL_A_PEER_ADDR),
	       nl_str(tb, TESS_NL_A_PEER_NAME),
	       peer_state(nl_u64(tb, TESS_NL_A_PEER_STATE)),
	       nl_u64(tb, TESS_NL_A_PEER_TX_MSGS),
	       nl_u64(tb, TESS_NL_A_PEER_TX_BYTES),
	       nl_u64(tb, TESS_NL_A_PEER_RX_MSGS),
	       nl_u64(tb, TESS_NL_A_PEER_RX_BYTES),
	       nl_u64(tb, TESS_NL_A_PEER_IN_FLIGHT),
	       nl_u64(tb, TESS_NL_A_PEER_QUEUED),
	       nl_u64(tb, TESS_NL_A_PEER_RESENDS),
	       nl_u64(tb, TESS_NL_A_PEER_RESETS),
	       nl_u64(tb, TESS_NL_A_PEER_CONNECTS));
	return NL_OK;
}

/* "show [--net NET]"; returns the filter or "" (none), NULL after usage */
static const char *show_args(const char *cmd, int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "show"))
		return "";
	if (argc == 4 && !strcmp(argv[1], "show") && !strcmp(argv[2], "--net"))
		return argv[3];
	fprintf(stderr, "usage: tessctl %s show [--net NET]\n", cmd);
	return NULL;
}

int tessctl_net(int argc, char **argv)
{
	char header[128];
	struct nl_req r = { .cmd = "net", .row = net_row, .header = header };
	const char *net = show_args("net", argc, argv);

	if (!net)
		return 2;
	snprintf(header, sizeof(header), "%-8s %-6s %-10s %-20s %-6s %-10s %s\n",
		 "net", "state", "transport", "module", "port", "max_bulk", "peers");
	return tnl_dump(&r, TESS_NL_CMD_NET_GET, *net ? net : NULL);
}

int tessctl_peer(int argc, char **argv)
{
	char header[192];
	struct nl_req r = { .cmd = "peer", .row = peer_row, .header = header };
	const char *net = show_args("peer", argc, argv);

	if (!net)
		return 2;
	snprintf(header, sizeof(header), "%-4s %-24s %-8s %-10s %8s %12s %8s %12s %5s %6s %7s %6s %8s\n",
		 "id", "peer", "name", "state", "tx_msgs", "tx_bytes", "rx_msgs",
		 "rx_bytes", "rpcs", "queued", "resends", "resets", "connects");
	return tnl_dump(&r, TESS_NL_CMD_PEER_GET, *net ? net : NULL);
}
