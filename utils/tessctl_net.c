// SPDX-License-Identifier: MIT
/*
 * tessctl_net.c - `tessctl net show|add|del` and `tessctl peer show`: what
 * the kernel network layer (tessera_lnet.ko) knows, and the interfaces
 * of its networks, over its generic netlink family (include/tessera.h,
 * lnet/netlink.c), with libnl-genl-3.  `net add` loads the modules it
 * needs first, through libkmod.  --json: one JSON document on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libkmod.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "tessera.h"
#include "tessctl_net.h"

/* the options of a net/peer verb */
struct net_args {
	const char *net;		/* --net, or NULL */
	const char *ifname;		/* --if, or NULL */
	bool json;			/* --json */
};

struct nl_req {
	const char *cmd;		/* "net", "peer", "net add": for messages */
	int (*row)(struct nl_req *r, struct nlattr **tb);
	bool json;
	FILE *out;			/* what goes to stdout on success */
	int err;			/* errno from the kernel, 0 */
	char msg[256];			/* its extended-ack message */
	int rows;
};

/* ---- JSON ---- */

/* @s as a JSON string (UTF-8 passed through, control characters escaped) */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* "KEY": */
static void json_key(FILE *f, const char *key)
{
	json_str(f, key);
	fputc(':', f);
}

/* ---- netlink ---- */

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
	return r->row(r, tb);
}

/* a generic netlink socket asking for extended acks; NULL after saying why */
static struct nl_sock *tnl_socket(const char *cmd, const char *what)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err, one = 1;

	if (!sk) {
		fprintf(stderr, "tessctl: %s: %sout of memory\n", cmd, what);
		return NULL;
	}
	err = genl_connect(sk);
	if (err < 0) {
		fprintf(stderr, "tessctl: %s: %scannot open a generic netlink socket: %s\n",
			cmd, what, nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	/* the kernel's reason with an error (NLMSGERR_ATTR_MSG) */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	return sk;
}

/* the family's id, or -1 after saying why */
static int tnl_family(struct nl_sock *sk, const char *cmd, const char *what)
{
	int fam = genl_ctrl_resolve(sk, TESS_NL_FAMILY);

	if (fam >= 0)
		return fam;
	if (fam == -NLE_OBJ_NOTFOUND)
		fprintf(stderr, "tessctl: %s: %stessera_lnet module not loaded (no generic netlink family '%s')\n",
			cmd, what, TESS_NL_FAMILY);
	else
		fprintf(stderr, "tessctl: %s: %scannot look up the generic netlink family '%s': %s\n",
			cmd, what, TESS_NL_FAMILY, nl_geterror(fam));
	return -1;
}

/*
 * Dump command @nlcmd of the family, optionally filtered on network type
 * @net; r->row is called with each message's attributes and writes to
 * r->out.  @head and @tail go before and after the rows.  Returns 0 or 1
 * after printing why.
 */
static int tnl_dump(struct nl_req *r, uint8_t nlcmd, const char *net,
		    const char *head, const char *tail)
{
	struct nl_sock *sk;
	struct nl_msg *msg = NULL;
	char *buf = NULL;
	size_t len = 0;
	int fam, err, rc = 1;

	r->out = open_memstream(&buf, &len);
	if (!r->out) {
		fprintf(stderr, "tessctl: %s: out of memory\n", r->cmd);
		return 1;
	}
	fputs(head, r->out);
	sk = tnl_socket(r->cmd, "");
	if (!sk)
		goto out;
	fam = tnl_family(sk, r->cmd, "");
	if (fam < 0)
		goto out;
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
	fputs(tail, r->out);
	rc = 0;
out:
	/* what was collected goes out on success only: one document */
	fclose(r->out);
	if (!rc)
		fwrite(buf, 1, len, stdout);
	free(buf);
	nlmsg_free(msg);
	if (sk)
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

static const char *if_state(uint64_t s)
{
	switch (s) {
	case TESS_NL_IF_UP: return "up";
	case TESS_NL_IF_DOWN: return "down";
	default: return "missing";
	}
}

/*
 * The interfaces of a NET_GET message (TESS_NL_A_NET_IFS): as JSON, an
 * array of {"name", "state", "ipv4"}; as text, one column of
 * NAME(ADDR), NAME(no-ipv4), NAME(down[,ADDR]) or NAME(missing), joined
 * by commas, "-" for none.
 */
static void net_ifs(FILE *f, struct nlattr *ifs, bool json)
{
	struct nlattr *e, *tb[TESS_NL_A_MAX + 1];
	char addr[INET_ADDRSTRLEN];
	int rem, n = 0;

	if (json)
		fputc('[', f);
	if (ifs) {
		nla_for_each_nested(e, ifs, rem) {
			uint64_t st;
			bool has;

			if (nla_type(e) != TESS_NL_A_NET_IF_ENTRY ||
			    nla_parse_nested(tb, TESS_NL_A_MAX, e, NULL) < 0 ||
			    !tb[TESS_NL_A_NET_IF])
				continue;
			st = nl_u64(tb, TESS_NL_A_NET_IF_STATE);
			has = tb[TESS_NL_A_NET_IF_IPV4] &&
			      nla_len(tb[TESS_NL_A_NET_IF_IPV4]) == 4;
			if (has) {
				uint32_t a = nla_get_u32(tb[TESS_NL_A_NET_IF_IPV4]);

				inet_ntop(AF_INET, &a, addr, sizeof(addr));
			}
			if (n++)
				fputc(',', f);
			if (json) {
				fputc('{', f);
				json_key(f, "name");
				json_str(f, nla_get_string(tb[TESS_NL_A_NET_IF]));
				fputc(',', f);
				json_key(f, "state");
				json_str(f, if_state(st));
				fputc(',', f);
				json_key(f, "ipv4");
				if (has)
					json_str(f, addr);
				else
					fputs("null", f);
				fputc('}', f);
			} else if (st == TESS_NL_IF_UP) {
				fprintf(f, "%s(%s)", nla_get_string(tb[TESS_NL_A_NET_IF]),
					has ? addr : "no-ipv4");
			} else {
				fprintf(f, "%s(%s%s%s)", nla_get_string(tb[TESS_NL_A_NET_IF]),
					if_state(st), has ? "," : "", has ? addr : "");
			}
		}
	}
	if (json)
		fputc(']', f);
	else if (!n)
		fputc('-', f);
}

static int net_row(struct nl_req *r, struct nlattr **tb)
{
	char port[16] = "-", bulk[24] = "-";
	FILE *f = r->out;

	if (tb[TESS_NL_A_NET_PORT])
		snprintf(port, sizeof(port), "%" PRIu64, nl_u64(tb, TESS_NL_A_NET_PORT));
	if (tb[TESS_NL_A_NET_MAX_BULK])
		snprintf(bulk, sizeof(bulk), "%" PRIu64, nl_u64(tb, TESS_NL_A_NET_MAX_BULK));
	if (r->json) {
		if (r->rows++)
			fputc(',', f);
		fputc('{', f);
		json_key(f, "net");
		json_str(f, nl_str(tb, TESS_NL_A_NET));
		fputc(',', f);
		json_key(f, "state");
		json_str(f, net_state(nl_u64(tb, TESS_NL_A_NET_STATE)));
		fputc(',', f);
		json_key(f, "loaded");
		fputs(nl_u64(tb, TESS_NL_A_NET_LOADED) ? "true" : "false", f);
		fputc(',', f);
		json_key(f, "module");
		json_str(f, nl_str(tb, TESS_NL_A_NET_MODULE));
		fprintf(f, ",\"port\":%s,\"max_bulk\":%s,\"peers\":%" PRIu64 ",",
			tb[TESS_NL_A_NET_PORT] ? port : "null",
			tb[TESS_NL_A_NET_MAX_BULK] ? bulk : "null",
			nl_u64(tb, TESS_NL_A_NET_PEERS));
		json_key(f, "interfaces");
		net_ifs(f, tb[TESS_NL_A_NET_IFS], true);
		fputc('}', f);
		return NL_OK;
	}
	r->rows++;
	fprintf(f, "%-8s %-6s %-10s %-20s %-6s %-10s %-5" PRIu64 " ",
		nl_str(tb, TESS_NL_A_NET),
		net_state(nl_u64(tb, TESS_NL_A_NET_STATE)),
		nl_u64(tb, TESS_NL_A_NET_LOADED) ? "loaded" : "not-loaded",
		nl_str(tb, TESS_NL_A_NET_MODULE), port, bulk,
		nl_u64(tb, TESS_NL_A_NET_PEERS));
	net_ifs(f, tb[TESS_NL_A_NET_IFS], false);
	fputc('\n', f);
	return NL_OK;
}

static int peer_row(struct nl_req *r, struct nlattr **tb)
{
	static const struct { const char *key; int type; } counters[] = {
		{ "in_flight", TESS_NL_A_PEER_IN_FLIGHT },
		{ "queued", TESS_NL_A_PEER_QUEUED },
		{ "requests", TESS_NL_A_PEER_REQUESTS },
		{ "replies", TESS_NL_A_PEER_REPLIES },
		{ "resends", TESS_NL_A_PEER_RESENDS },
		{ "timeouts", TESS_NL_A_PEER_TIMEOUTS },
		{ "connects", TESS_NL_A_PEER_CONNECTS },
		{ "resets", TESS_NL_A_PEER_RESETS },
		{ "tx_msgs", TESS_NL_A_PEER_TX_MSGS },
		{ "tx_bytes", TESS_NL_A_PEER_TX_BYTES },
		{ "rx_msgs", TESS_NL_A_PEER_RX_MSGS },
		{ "rx_bytes", TESS_NL_A_PEER_RX_BYTES },
	};
	FILE *f = r->out;

	if (r->json) {
		if (r->rows++)
			fputc(',', f);
		fprintf(f, "{\"id\":%" PRIu64 ",", nl_u64(tb, TESS_NL_A_PEER_ID));
		json_key(f, "peer");
		json_str(f, nl_str(tb, TESS_NL_A_PEER_ADDR));
		fputc(',', f);
		json_key(f, "net");
		json_str(f, nl_str(tb, TESS_NL_A_NET));
		fputc(',', f);
		json_key(f, "name");
		json_str(f, nl_str(tb, TESS_NL_A_PEER_NAME));
		fputc(',', f);
		json_key(f, "state");
		json_str(f, peer_state(nl_u64(tb, TESS_NL_A_PEER_STATE)));
		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
			fputc(',', f);
			json_key(f, counters[i].key);
			fprintf(f, "%" PRIu64, nl_u64(tb, counters[i].type));
		}
		fputc('}', f);
		return NL_OK;
	}
	r->rows++;
	fprintf(f, "%-4" PRIu64 " %-24s %-8s %-10s %8" PRIu64 " %12" PRIu64
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

/* ---- arguments ---- */

/*
 * The options after the verb (argv[2]...): --net NET, --if IFACE (when
 * @with_if), --json; also as --net=NET, --if=IFACE.  0, or 2 after the
 * usage line @usage.
 */
static int parse_args(int argc, char **argv, bool with_if, const char *usage,
		      struct net_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **dst = NULL;
		size_t n;

		if (!strcmp(o, "--json")) {
			a->json = true;
			continue;
		}
		if (!strncmp(o, "--net", 5))
			dst = &a->net, n = 5;
		else if (with_if && !strncmp(o, "--if", 4))
			dst = &a->ifname, n = 4;
		if (dst && o[n] == '=') {
			*dst = o + n + 1;
			continue;
		}
		if (dst && !o[n] && i + 1 < argc) {
			*dst = argv[++i];
			continue;
		}
		fprintf(stderr, "usage: tessctl %s\n", usage);
		return 2;
	}
	return 0;
}

/* ---- the verbs ---- */

static int net_show(int argc, char **argv)
{
	char head[160];
	struct nl_req r = { .cmd = "net", .row = net_row };
	struct net_args a;

	if (parse_args(argc, argv, false, "net show [--net NET] [--json]", &a))
		return 2;
	r.json = a.json;
	if (a.json)
		snprintf(head, sizeof(head), "{\"nets\":[");
	else
		snprintf(head, sizeof(head), "%-8s %-6s %-10s %-20s %-6s %-10s %-5s %s\n",
			 "net", "state", "transport", "module", "port", "max_bulk",
			 "peers", "interfaces");
	return tnl_dump(&r, TESS_NL_CMD_NET_GET, a.net, head, a.json ? "]}\n" : "");
}

static int peer_show(int argc, char **argv)
{
	char head[192];
	struct nl_req r = { .cmd = "peer", .row = peer_row };
	struct net_args a;

	if (parse_args(argc, argv, false, "peer show [--net NET] [--json]", &a))
		return 2;
	r.json = a.json;
	if (a.json)
		snprintf(head, sizeof(head), "{\"peers\":[");
	else
		snprintf(head, sizeof(head), "%-4s %-24s %-8s %-10s %8s %12s %8s %12s %5s %6s %7s %6s %8s\n",
			 "id", "peer", "name", "state", "tx_msgs", "tx_bytes", "rx_msgs",
			 "rx_bytes", "rpcs", "queued", "resends", "resets", "connects");
	return tnl_dump(&r, TESS_NL_CMD_PEER_GET, a.net, head, a.json ? "]}\n" : "");
}

/* libkmod logs nothing of its own: failures are said by tessctl */
static void kmod_quiet(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data; (void)priority; (void)file; (void)line; (void)fn;
	(void)format; (void)args;
}

/*
 * modprobe @name (a module name or alias) with its dependencies, unless
 * loaded already.  0, or -errno with the reason in @why.
 */
static int kmod_load(const char *name, char *why, size_t whylen)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	struct kmod_list *list = NULL, *l;
	int rc;

	if (!ctx) {
		snprintf(why, whylen, "cannot load %s: libkmod cannot initialise", name);
		return -ENOMEM;
	}
	kmod_set_log_fn(ctx, kmod_quiet, NULL);
	rc = kmod_module_new_from_lookup(ctx, name, &list);
	if (rc < 0 || !list) {
		snprintf(why, whylen, "no module %s is installed", name);
		rc = -ENOENT;
	}
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		/* flags 0: a module loaded already is left alone (what
		 * KMOD_PROBE_IGNORE_LOADED would not do: it inserts anyway) */
		rc = kmod_module_probe_insert_module(m, 0, NULL, NULL, NULL, NULL);
		if (rc < 0 && strcmp(name, kmod_module_get_name(m)))
			snprintf(why, whylen, "cannot load %s (%s): %s", name,
				 kmod_module_get_name(m), strerror(-rc));
		else if (rc < 0)
			snprintf(why, whylen, "cannot load %s: %s", name,
				 strerror(-rc));
		kmod_module_unref(m);
		if (rc < 0)
			break;
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return rc < 0 ? rc : 0;
}

/* a network type that can go into a module alias: [a-z0-9]{1,15} */
static bool net_name_ok(const char *net)
{
	size_t n = strlen(net);

	if (n < 1 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(net[i] >= 'a' && net[i] <= 'z') && !(net[i] >= '0' && net[i] <= '9'))
			return false;
	return true;
}

/* `net add` / `net del`: @nlcmd with --net and --if */
static int net_conf(int argc, char **argv, bool add)
{
	const char *cmd = add ? "net add" : "net del";
	struct nl_req r = { .cmd = cmd };
	char what[64], alias[64], note[320] = "";
	struct nl_sock *sk = NULL;
	struct nl_msg *msg = NULL;
	struct net_args a;
	int fam, err, rc = 1;

	if (parse_args(argc, argv, true, add ?
		       "net add --net NET --if IFACE [--json]" :
		       "net del --net NET --if IFACE [--json]", &a))
		return 2;
	if (!a.net || !a.ifname) {
		fprintf(stderr, "usage: tessctl %s --net NET --if IFACE [--json]\n", cmd);
		return 2;
	}
	/* the interface leads every message: "tessctl: net add: eth0: ..." */
	snprintf(what, sizeof(what), "%s: ", a.ifname);

	sk = tnl_socket(cmd, what);
	if (!sk)
		return 1;
	fam = genl_ctrl_resolve(sk, TESS_NL_FAMILY);
	if (add && fam == -NLE_OBJ_NOTFOUND) {
		char why[256];

		err = kmod_load("tessera_lnet", why, sizeof(why));
		if (err < 0) {
			fprintf(stderr, "tessctl: %s: %s%s%s\n", cmd, what, why,
				err == -ENOENT ?
				" (install the modules: make install, or dkms)" : "");
			goto out;
		}
	}
	if (fam < 0) {
		fam = tnl_family(sk, cmd, what);
		if (fam < 0)
			goto out;
	}
	/*
	 * The transport: the kernel only takes a network whose transport is
	 * registered, and does not load it for `net add`.  A failure here is
	 * said only if the kernel then refuses (the transport may be there
	 * without a module).  A malformed name is left to the kernel's policy.
	 */
	if (add && net_name_ok(a.net)) {
		snprintf(alias, sizeof(alias), "tessera-lnet-%s", a.net);
		if (kmod_load(alias, note, sizeof(note)) == 0)
			note[0] = 0;
	}

	msg = nlmsg_alloc();
	if (!msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, NLM_F_ACK,
			 add ? TESS_NL_CMD_NET_ADD : TESS_NL_CMD_NET_DEL,
			 TESS_NL_VERSION) ||
	    nla_put_string(msg, TESS_NL_A_NET, a.net) < 0 ||
	    nla_put_string(msg, TESS_NL_A_NET_IF, a.ifname) < 0) {
		fprintf(stderr, "tessctl: %s: %scannot build the request\n", cmd, what);
		goto out;
	}
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, nl_on_error, &r);
	err = nl_send_auto(sk, msg);
	if (err >= 0)
		err = nl_wait_for_ack(sk);
	if (r.err) {
		const char *hint = r.msg;

		if (r.err == EPERM && !r.msg[0])
			hint = "CAP_NET_ADMIN is needed (run it as root)";
		fprintf(stderr, "tessctl: %s: %s%s%s%s%s%s\n", cmd, what,
			strerror(r.err), hint[0] ? ": " : "", hint,
			note[0] ? "; " : "", note);
		goto out;
	}
	if (err < 0) {
		fprintf(stderr, "tessctl: %s: %s%s\n", cmd, what, nl_geterror(err));
		goto out;
	}
	if (a.json) {
		fputc('{', stdout);
		json_key(stdout, "command");
		json_str(stdout, cmd);
		fputc(',', stdout);
		json_key(stdout, "net");
		json_str(stdout, a.net);
		fputc(',', stdout);
		json_key(stdout, "if");
		json_str(stdout, a.ifname);
		fputs(",\"ok\":true}\n", stdout);
	}
	rc = 0;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return rc;
}

int tessctl_net(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return net_show(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return net_conf(argc, argv, true);
	if (argc >= 2 && !strcmp(argv[1], "del"))
		return net_conf(argc, argv, false);
	fprintf(stderr, "usage: tessctl net show [--net NET] [--json]\n"
		"       tessctl net add --net NET --if IFACE [--json]\n"
		"       tessctl net del --net NET --if IFACE [--json]\n");
	return 2;
}

int tessctl_peer(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return peer_show(argc, argv);
	fprintf(stderr, "usage: tessctl peer show [--net NET] [--json]\n");
	return 2;
}
