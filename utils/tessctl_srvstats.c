// SPDX-License-Identifier: MIT
/*
 * tessctl_srvstats.c - `tessctl stats --servers [MOUNT] [--json]` (issue
 * #11): the request counters of the MDS and of every OST it lists, asked
 * of each with a STATS request (include/tessera.h).  One row per server;
 * a server that does not answer is a row with its error (and a line on
 * stderr), the others still print, and the exit status is 1.
 *
 * The MDS is --mds (TESS_MDS) or, without it, the source of MOUNT (or of
 * the only Tessera mount) in /proc/self/mountinfo; the key is --key
 * (TESS_KEY): a mount does not show its key file.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tess_client.h"
#include "tnet_stats.h"
#include "tessctl_stats.h"

#define TOP_OPS		3		/* opcodes shown in the table */
#define CONNECT_MS	5000

struct row {
	char name[16];			/* "MDS", "OST0003" */
	char addr[TESS_ADDR_MAX + 64];	/* as --mds was given, or listed */
	int err;			/* 0, or -errno of the STATS call */
	struct tnet_stats st;
};

static void srv_err(const char *who, const char *fmt, const char *what)
{
	fprintf(stderr, "tessctl: stats: %s: ", who);
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
}

static const char *err_text(int err)
{
	if (err == -EOPNOTSUPP)
		return "STATS not supported (an older server)";
	return strerror(-err);
}

/* one STATS call: to the MDS (ost < 0) or to OST ost */
static int ask(struct tess_client *c, int ost, struct tnet_stats *st)
{
	struct tnet_call call = { .op = TESS_OP_STATS };
	int rc = ost < 0 ? tess_mds_call(c, &call) :
		 tess_ost_call(c, (uint32_t)ost, &call);

	if (rc)
		return rc;
	return tnet_stats_decode(call.reply.body, call.reply.f.body_len, st);
}

/* the MDS address of a mount's source "HOST[:PORT]@NET[,...]:/FSNAME" */
static int mount_mds(const char *mount, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	struct stat sb;
	char line[4096];
	int found = 0;

	if (!f)
		return -errno;
	if (mount && stat(mount, &sb)) {
		int e = errno;

		fclose(f);
		return -e;	/* not -ENODEV: that is "not a mount" */
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char *sep = strstr(line, " - "), *src, *end;
		char fstype[64];

		if (!sep || sscanf(line, "%*u %*u %u:%u", &maj, &min) != 2)
			continue;
		if (sscanf(sep + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "tessera"))
			continue;
		if (mount && makedev(maj, min) != sb.st_dev)
			continue;
		src = sep + 3 + strlen(fstype);
		src += strspn(src, " ");
		src[strcspn(src, " ")] = '\0';
		end = strstr(src, ":/");
		if (end)
			*end = '\0';
		src[strcspn(src, ",")] = '\0';	/* the first address */
		if (found++)
			break;			/* more than one mount */
		snprintf(out, len, "%s", src);
	}
	fclose(f);
	if (!found)
		return -ENODEV;
	return found > 1 && !mount ? -EEXIST : 0;
}

/* an opcode's name; one this tessctl does not know (a newer server's)
 * by number, so that JSON keys stay distinct */
static const char *op_name(uint16_t op)
{
	static char buf[16];
	const char *n = tess_op_name(op);

	if (strcmp(n, "unknown"))
		return n;
	snprintf(buf, sizeof(buf), "op_%u", op);
	return buf;
}

/* the TOP_OPS opcodes with the most requests, "getattr:12 lookup:7" */
static void top_ops(const struct tnet_stats *st, char *buf, size_t len)
{
	bool used[TESS_STATS_OPS_MAX] = { false };
	size_t n = 0;

	buf[0] = '\0';
	for (int k = 0; k < TOP_OPS; k++) {
		int best = -1;

		for (uint32_t i = 0; i < st->nops; i++)
			if (!used[i] && (best < 0 ||
					 st->ops[i].count > st->ops[best].count))
				best = (int)i;
		if (best < 0)
			break;
		used[best] = true;
		n += (size_t)snprintf(buf + n, len - n, "%s%s:%" PRIu64,
				      n ? " " : "", op_name(st->ops[best].opcode),
				      st->ops[best].count);
		if (n >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void print_table(const struct row *rows, int n)
{
	printf("%-8s %-24s %9s %10s %8s %7s %12s %12s %5s  %s\n", "SERVER",
	       "ADDRESS", "UPTIME_S", "REQUESTS", "INFLIGHT", "ERRORS",
	       "BULK_IN", "BULK_OUT", "CONNS", "TOP_OPS");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct tnet_stats *st = &r->st;
		char top[128];

		if (r->err) {
			printf("%-8s %-24s %9s %10s %8s %7s %12s %12s %5s  "
			       "ERROR: %s\n", r->name, r->addr, "-", "-", "-",
			       "-", "-", "-", "-", err_text(r->err));
			continue;
		}
		top_ops(st, top, sizeof(top));
		printf("%-8s %-24s %9" PRIu64 " %10" PRIu64 " %8" PRIu32
		       " %7" PRIu64 " %12" PRIu64 " %12" PRIu64 " %5" PRIu32
		       "  %s\n", r->name, r->addr, st->uptime_ms / 1000,
		       st->requests, st->in_flight, st->errors, st->bulk_in,
		       st->bulk_out, st->conns_open[0] + st->conns_open[1] +
		       st->conns_open[2] + st->conns_open[3], top);
	}
}

/* a string for JSON: the addresses and errors are plain ASCII, but
 * escape what JSON needs anyway */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_json(const struct row *rows, int n)
{
	static const char *const roles[4] = { "client", "ost", "mds",
					      "admin" };

	printf("{\"servers\":[");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct tnet_stats *st = &r->st;

		printf("%s\n {\"name\":", i ? "," : "");
		json_str(r->name);
		printf(",\"address\":");
		json_str(r->addr);
		if (r->err) {
			printf(",\"ok\":false,\"errno\":%d,\"error\":", -r->err);
			json_str(err_text(r->err));
			printf("}");
			continue;
		}
		printf(",\"ok\":true,\"uptime_ms\":%" PRIu64 ",\"requests\":%"
		       PRIu64 ",\"in_flight\":%" PRIu32 ",\"errors\":%" PRIu64
		       ",\"bulk_in_bytes\":%" PRIu64 ",\"bulk_out_bytes\":%"
		       PRIu64 ",\"connections_open\":{", st->uptime_ms,
		       st->requests, st->in_flight, st->errors, st->bulk_in,
		       st->bulk_out);
		for (int k = 0; k < 4; k++)
			printf("%s\"%s\":%" PRIu32, k ? "," : "", roles[k],
			       st->conns_open[k]);
		printf("},\"connections_total\":%" PRIu64
		       ",\"handshakes_failed\":%" PRIu64
		       ",\"connections_refused\":%" PRIu64 ",\"ops\":{",
		       st->conns_total, st->handshakes_failed,
		       st->conns_refused);
		for (uint32_t k = 0; k < st->nops; k++)
			printf("%s\"%s\":{\"count\":%" PRIu64 ",\"time_ns\":%"
			       PRIu64 "}", k ? "," : "",
			       op_name(st->ops[k].opcode), st->ops[k].count,
			       st->ops[k].time_ns);
		printf("}}");
	}
	printf("\n]}\n");
}

static void usage(FILE *to)
{
	fprintf(to, "usage: tessctl [--mds HOST[:PORT]@NET] --key FILE stats "
		"--servers [MOUNT] [--json]\n");
}

int tessctl_srvstats(const char *mds, const char *key, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "servers", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct tess_ost *osts = NULL;
	struct tess_client *c = NULL;
	struct row *rows = NULL;
	char addr[TESS_ADDR_MAX + 64], err[256];
	bool json = false;
	int o, n = 0, nost, rc, failed = 0;

	if (mds && !*mds)
		mds = NULL;
	if (key && !*key)
		key = NULL;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 's': break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	if (!mds || argc - optind == 1) {
		const char *mnt = argc - optind == 1 ? argv[optind] : NULL;

		rc = mount_mds(mnt, addr, sizeof(addr));
		if (rc) {
			srv_err(mnt ? mnt : "MDS", "%s", rc == -ENODEV ?
				(mnt ? "not a mounted Tessera (or give --mds)" :
				 "no --mds, and no Tessera is mounted") :
				rc == -EEXIST ? "several Tessera mounts: name "
				"one, or give --mds" : strerror(-rc));
			return 2;
		}
		mds = addr;
	}
	if (!key) {
		srv_err(mds, "%s", "--key FILE (or TESS_KEY) is required");
		return 2;
	}
	osts = calloc(TESS_MAX_OSTS, sizeof(*osts));
	rows = calloc(TESS_MAX_OSTS + 1, sizeof(*rows));
	if (!osts || !rows) {
		srv_err(mds, "%s", strerror(ENOMEM));
		rc = 1;
		goto out;
	}
	snprintf(rows[0].name, sizeof(rows[0].name), "MDS");
	snprintf(rows[0].addr, sizeof(rows[0].addr), "%s", mds);
	n = 1;
	nost = 0;
	/* the connection to the MDS is made here: when it fails, its row
	 * says why (the key file's errors too) */
	rc = tess_client_open(mds, key, CONNECT_MS, &c, err, sizeof(err));
	if (rc) {
		srv_err("MDS", "%s", err);
		rows[0].err = rc;
		failed = 1;
		goto print;
	}
	rows[0].err = ask(c, -1, &rows[0].st);
	/* the OST list comes from the MDS (an older one that does not know
	 * STATS still gives it): without it, only the MDS's row */
	nost = tess_ost_list(c, osts, TESS_MAX_OSTS);
	if (nost < 0 && !rows[0].err)
		srv_err("MDS", "OST list: %s", strerror(-nost));
	for (int i = 0; i < nost && i < TESS_MAX_OSTS; i++) {
		struct row *r = &rows[n++];

		snprintf(r->name, sizeof(r->name), "OST%04u", osts[i].index);
		snprintf(r->addr, sizeof(r->addr), "%s", osts[i].addr);
		r->err = ask(c, (int)osts[i].index, &r->st);
	}
	for (int i = 0; i < n; i++) {
		if (!rows[i].err)
			continue;
		srv_err(rows[i].name, "%s", err_text(rows[i].err));
		failed++;
	}
print:
	if (json)
		print_json(rows, n);
	else
		print_table(rows, n);
	rc = failed || nost < 0 ? 1 : 0;
out:
	free(rows);
	free(osts);
	if (c)
		tess_client_close(c);
	return rc;
}
