// SPDX-License-Identifier: MIT
/*
 * tessctl_srvstats.c - `tessctl stats --servers [MOUNT] [-i SECONDS
 * [-n COUNT]] [--json]` (issue #11): the request counters of the MDS and
 * of every OST it lists, asked of each with a STATS request
 * (include/tessera.h).  One row per server; a server that does not
 * answer is a row with its error (and a line on stderr), the others
 * still print, and the exit status is 1.
 *
 * With -i, after the totals since each server's start, every SECONDS the
 * counters' change per second since that server last answered (the
 * levels: uptime, in flight, connections open, as they are).  A server
 * that restarted (its uptime or a counter went down, or its start moved,
 * st_sub()) has a row of its totals, marked, never a negative change;
 * one that had not answered before has its totals too.  The exit status is that of the last report.
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
#include "tessctl_interval.h"
#include "tessctl_stats.h"

#define TOP_OPS		3		/* opcodes shown in the table */
#define CONNECT_MS	5000
#define RESTART_SLACK	1.0		/* seconds, st_sub() */

/* how a row's counters are shown */
enum show {
	SHOW_TOTAL,			/* since the server's start */
	SHOW_RATE,			/* per second over secs */
	SHOW_RESTARTED,			/* totals: the server restarted */
	SHOW_NEW,			/* totals: no earlier answer (-i) */
};

struct row {
	char name[16];			/* "MDS", "OST0003" */
	char addr[TESS_ADDR_MAX + 64];	/* as --mds was given, or listed */
	int err;			/* 0, or -errno of the STATS call */
	enum show show;
	double secs;			/* SHOW_RATE: since the last answer */
	struct tnet_stats st;		/* totals, or the changes (SHOW_RATE) */
};

/* a server's last answer (-i): the MDS's in slot TESS_MAX_OSTS */
struct sample {
	bool have;
	double t;
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

/* the TOP_OPS opcodes with the most requests, "getattr:12 lookup:7";
 * per second ("getattr:1.5") for a SHOW_RATE row */
static void top_ops(const struct row *r, char *buf, size_t len)
{
	const struct tnet_stats *st = &r->st;
	bool rate = r->show == SHOW_RATE;
	bool used[TESS_STATS_OPS_MAX] = { false };
	size_t n = 0;

	buf[0] = '\0';
	for (int k = 0; k < TOP_OPS; k++) {
		int best = -1;

		for (uint32_t i = 0; i < st->nops; i++)
			if (!used[i] && (!rate || st->ops[i].count) &&
			    (best < 0 ||
			     st->ops[i].count > st->ops[best].count))
				best = (int)i;
		if (best < 0)
			break;
		used[best] = true;
		if (rate)
			n += (size_t)snprintf(buf + n, len - n, "%s%s:%.1f",
					      n ? " " : "",
					      op_name(st->ops[best].opcode),
					      (double)st->ops[best].count /
					      r->secs);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s:%" PRIu64,
					      n ? " " : "",
					      op_name(st->ops[best].opcode),
					      st->ops[best].count);
		if (n >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* a counter: as it is, or per second (width 0: for JSON) */
static void counter(const struct row *r, int width, uint64_t v)
{
	if (r->show == SHOW_RATE && width)
		printf("%*.1f", width, (double)v / r->secs);
	else if (r->show == SHOW_RATE)
		printf("%.3f", (double)v / r->secs);
	else if (width)
		printf("%*" PRIu64, width, v);
	else
		printf("%" PRIu64, v);
}

static const char *const show_mark[] = {
	[SHOW_RESTARTED] = "RESTARTED ",	/* and the totals */
	[SHOW_NEW] = "TOTALS ",
};

static void print_table(const struct row *rows, int n, double secs)
{
	if (secs > 0)
		printf("servers: per second over %.1f s (UPTIME_S, INFLIGHT "
		       "and CONNS as they are)\n", secs);
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
		top_ops(r, top, sizeof(top));
		printf("%-8s %-24s %9" PRIu64 " ", r->name, r->addr,
		       st->uptime_ms / 1000);
		counter(r, 10, st->requests);
		printf(" %8" PRIu32 " ", st->in_flight);
		counter(r, 7, st->errors);
		putchar(' ');
		counter(r, 12, st->bulk_in);
		putchar(' ');
		counter(r, 12, st->bulk_out);
		printf(" %5" PRIu32 "  %s%s\n", st->conns_open[0] +
		       st->conns_open[1] + st->conns_open[2] +
		       st->conns_open[3], show_mark[r->show] ?
		       show_mark[r->show] : "", top);
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

/* one line, a document per report */
static void print_json(const struct row *rows, int n, double secs)
{
	static const char *const roles[4] = { "client", "ost", "mds",
					      "admin" };

	printf("{");
	if (secs > 0)
		printf("\"interval\":%.3f,\"per_second\":true,", secs);
	printf("\"servers\":[");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct tnet_stats *st = &r->st;

		printf("%s{\"name\":", i ? "," : "");
		json_str(r->name);
		printf(",\"address\":");
		json_str(r->addr);
		if (r->err) {
			printf(",\"ok\":false,\"errno\":%d,\"error\":", -r->err);
			json_str(err_text(r->err));
			printf("}");
			continue;
		}
		printf(",\"ok\":true,");
		if (secs > 0)
			printf("\"per_second\":%s,\"restarted\":%s,",
			       r->show == SHOW_RATE ? "true" : "false",
			       r->show == SHOW_RESTARTED ? "true" : "false");
		if (r->show == SHOW_RATE)
			printf("\"interval\":%.3f,", r->secs);
		printf("\"uptime_ms\":%" PRIu64 ",\"requests\":", st->uptime_ms);
		counter(r, 0, st->requests);
		printf(",\"in_flight\":%" PRIu32 ",\"errors\":", st->in_flight);
		counter(r, 0, st->errors);
		printf(",\"bulk_in_bytes\":");
		counter(r, 0, st->bulk_in);
		printf(",\"bulk_out_bytes\":");
		counter(r, 0, st->bulk_out);
		printf(",\"connections_open\":{");
		for (int k = 0; k < 4; k++)
			printf("%s\"%s\":%" PRIu32, k ? "," : "", roles[k],
			       st->conns_open[k]);
		printf("},\"connections_total\":");
		counter(r, 0, st->conns_total);
		printf(",\"handshakes_failed\":");
		counter(r, 0, st->handshakes_failed);
		printf(",\"connections_refused\":");
		counter(r, 0, st->conns_refused);
		printf(",\"ops\":{");
		for (uint32_t k = 0; k < st->nops; k++) {
			printf("%s\"%s\":{\"count\":", k ? "," : "",
			       op_name(st->ops[k].opcode));
			counter(r, 0, st->ops[k].count);
			printf(",\"time_ns\":");
			counter(r, 0, st->ops[k].time_ns);
			printf("}");
		}
		printf("}}");
	}
	printf("]}\n");
}

/*
 * b (answered at tb) - a (at ta) into d, the levels as b has them; false
 * when the server restarted in between: its uptime or a counter went
 * down, or its start (our clock less its uptime) moved on by more than
 * replies' delays and the clocks' drift explain (a restart once it was
 * up longer than before)
 */
static bool st_sub(const struct tnet_stats *b, double tb,
		   const struct tnet_stats *a, double ta, struct tnet_stats *d)
{
#define SUB(f) do { if (b->f < a->f) return false; d->f = b->f - a->f; } while (0)
	*d = *b;
	if (b->uptime_ms < a->uptime_ms ||
	    (tb - (double)b->uptime_ms / 1000) - (ta - (double)a->uptime_ms / 1000) >
	    RESTART_SLACK + (tb - ta) / 1000)
		return false;
	SUB(requests);
	SUB(errors);
	SUB(bulk_in);
	SUB(bulk_out);
	SUB(conns_total);
	SUB(handshakes_failed);
	SUB(conns_refused);
	for (uint32_t i = 0; i < b->nops; i++) {
		for (uint32_t j = 0; j < a->nops; j++) {
			if (a->ops[j].opcode != b->ops[i].opcode)
				continue;
			if (b->ops[i].count < a->ops[j].count ||
			    b->ops[i].time_ns < a->ops[j].time_ns)
				return false;
			d->ops[i].count -= a->ops[j].count;
			d->ops[i].time_ns -= a->ops[j].time_ns;
			break;
		}
	}
#undef SUB
	return true;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: tessctl [--mds HOST[:PORT]@NET] --key FILE stats "
		"--servers [MOUNT] [-i SECONDS [-n COUNT]] [--json]\n");
}

struct run {
	const char *mds, *key;
	struct tess_client *c;		/* NULL until the MDS answered once */
	struct tess_ost *osts;		/* the MDS's last OST list */
	int nost;			/* its length */
	struct row *rows;
	struct sample *last;		/* -i: each server's last answer */
};

/* a row's STATS answer, against the server's last one with -i */
static void take(struct run *x, struct row *r, int ost, long round)
{
	struct sample *sm = NULL;
	struct tnet_stats *st = &x->last[TESS_MAX_OSTS + 1].st;	/* scratch */
	double t;

	if (!x->last) {
		r->err = ask(x->c, ost, &r->st);
		return;
	}
	if (ost < TESS_MAX_OSTS)
		sm = &x->last[ost < 0 ? TESS_MAX_OSTS : ost];
	r->err = ask(x->c, ost, st);
	if (r->err)
		return;
	t = interval_now();
	r->st = *st;
	if (!sm)
		return;
	if (sm->have && t > sm->t && st_sub(st, t, &sm->st, sm->t, &r->st)) {
		r->show = SHOW_RATE;
		r->secs = t - sm->t;
	} else if (sm->have) {
		r->st = *st;
		r->show = SHOW_RESTARTED;
	} else if (round) {
		r->show = SHOW_NEW;
	}
	sm->have = true;
	sm->t = t;
	sm->st = *st;
}

/* one report (round 0: the totals); 0, or 1 when a server did not
 * answer (each said on stderr) */
static int report(struct run *x, bool json, long round, double secs)
{
	struct row *rows = x->rows;
	char err[256];
	int n = 1, failed = 0, nost = 0, rc;

	memset(&rows[0], 0, sizeof(rows[0]));
	snprintf(rows[0].name, sizeof(rows[0].name), "MDS");
	snprintf(rows[0].addr, sizeof(rows[0].addr), "%s", x->mds);
	/* the connection to the MDS is made here: when it fails, its row
	 * says why (the key file's errors too); once made, the library
	 * reconnects to any server that went away */
	if (!x->c) {
		rc = tess_client_open(x->mds, x->key, CONNECT_MS, &x->c, err,
				      sizeof(err));
		if (rc) {
			x->c = NULL;
			srv_err("MDS", "%s", err);
			rows[0].err = rc;
			failed = 1;
			goto print;
		}
	}
	take(x, &rows[0], -1, round);
	/* the OST list comes from the MDS (an older one that does not know
	 * STATS still gives it): without it, the last one (the MDS's row
	 * alone the first time) */
	nost = tess_ost_list(x->c, x->osts, TESS_MAX_OSTS);
	if (nost < 0 && !rows[0].err)
		srv_err("MDS", "OST list: %s", strerror(-nost));
	if (nost >= 0)
		x->nost = nost < TESS_MAX_OSTS ? nost : TESS_MAX_OSTS;
	for (int i = 0; i < x->nost; i++) {
		struct row *r = &rows[n++];

		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "OST%04u",
			 x->osts[i].index);
		snprintf(r->addr, sizeof(r->addr), "%s", x->osts[i].addr);
		take(x, r, (int)x->osts[i].index, round);
	}
	for (int i = 0; i < n; i++) {
		if (!rows[i].err)
			continue;
		srv_err(rows[i].name, "%s", err_text(rows[i].err));
		failed++;
	}
print:
	if (round && !json)
		putchar('\n');
	if (json)
		print_json(rows, n, secs);
	else
		print_table(rows, n, secs);
	fflush(stdout);
	return failed || nost < 0 ? 1 : 0;
}

int tessctl_srvstats(const char *mds, const char *key, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "servers", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct interval iv = INTERVAL_INIT;
	struct run x = { 0 };
	char addr[TESS_ADDR_MAX + 64];
	double start, t, tprev = 0;
	bool json = false;
	int o, rc;

	if (mds && !*mds)
		mds = NULL;
	if (key && !*key)
		key = NULL;
	optind = 1;
	while ((o = getopt_long(argc, argv, "i:n:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': break;
		case 'i':
		case 'n':
			if (interval_opt(&iv, o, optarg))
				return 2;
			break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (interval_check(&iv))
		return 2;
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
	x.mds = mds;
	x.key = key;
	x.osts = calloc(TESS_MAX_OSTS, sizeof(*x.osts));
	x.rows = calloc(TESS_MAX_OSTS + 1, sizeof(*x.rows));
	/* one sample per OST, the MDS's, and a scratch one */
	if (iv.secs > 0)
		x.last = calloc(TESS_MAX_OSTS + 2, sizeof(*x.last));
	if (!x.osts || !x.rows || (iv.secs > 0 && !x.last)) {
		srv_err(mds, "%s", strerror(ENOMEM));
		rc = 1;
		goto out;
	}
	/* the totals since each server's start, then the changes per
	 * second over each interval */
	start = interval_now();
	for (long round = 0;; round++) {
		t = interval_now();
		rc = report(&x, json, round, round ? t - tprev : 0);
		tprev = t;
		if (!interval_more(&iv, round))
			break;
		interval_wait(&iv, start, round);
	}
out:
	free(x.last);
	free(x.rows);
	free(x.osts);
	if (x.c)
		tess_client_close(x.c);
	return rc;
}
