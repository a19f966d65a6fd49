// SPDX-License-Identifier: MIT
/*
 * tessera-ost - the Tessera object storage daemon.
 *
 *   tessera-ost [--config FILE] --mds HOST[:PORT][@NET] --index N --dir PATH
 *               --key FILE
 *               [--listen HOST[:PORT][@NET]]... [--advertise HOST[:PORT][@NET]]...
 *               [--s3-endpoint URL] [--s3-region R] [--s3-timeout S]
 *               [--s3-readahead MIB] [--s3-fetchers N]
 *               [--cache-high PCT] [--cache-low PCT]
 *               [--lease SECONDS] [--fault-drop-reply OPCODE[:N]]
 *               [--log-level LEVEL] [--log-file PATH]
 *
 * Serves OBJ_* requests from a local directory (objstore.c, handlers.c)
 * and keeps itself registered with the MDS from a background thread.
 * NET is tcp or rdma.  With several --listen the MDS is told the list of
 * addresses, comma-separated in --listen order (--advertise likewise
 * replaces it), e.g. "10.0.0.5:7431@rdma,10.0.0.5:7431@tcp"; a client
 * takes the entry of the network it reached the MDS on, else the first
 * @tcp one.  The list must fit in TESS_ADDR_MAX (63) characters.
 * Objects imported from S3 are restored on access (hsm.c) with the S3
 * endpoint and region given here and credentials from the environment or
 * ~/.aws/credentials.  --config FILE: settings from a file (conf.c,
 * tessera.conf(5)), the command line winning.  Once serving, READY=1 to
 * systemd (Type=notify); STATUS= tells the registration.
 *
 * SIGTERM / SIGINT: stop accepting connections, let requests in progress
 * finish (at most 5 s), sync the store, tell the MDS this OST leaves
 * (OST_LEAVE: it is marked down at once), exit 0.  SIGHUP: reopen the
 * --log-file, read --config again for log-level (logctl.c).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "conf.h"
#include "logctl.h"
#include "metrics.h"
#include "ost.h"
#include "ost_metrics.h"

#define PROG			"tessera-ost"
#define MDS_TIMEOUT_MS		5000
#define PING_INTERVAL_S		2
#define RETRY_INTERVAL_S	1
/* getopt_long value of --metrics-listen (issue #14) */
#define OPT_METRICS_LISTEN	0x100
/* the bounded HSM cache (issue #13) */
#define OPT_CACHE_HIGH		0x101
#define OPT_CACHE_LOW		0x102
#define OPT_CLIENT_KEY		0x103
#define OPT_SERVER_KEY		0x104
/* virtual-hosted or path-style S3 URLs (issue #13) */
#define OPT_S3_PATH_STYLE	0x1f0
#define OPT_S3_ALLOW_EP		0x1f1
#define OPT_SEC			0x105

struct reg {
	struct tnet_addr mds;
	struct tnet_key key;
	uint32_t index;
	uint8_t store_uuid[16];		/* sent in OST_REGISTER */
	uint8_t inst_uuid[16];		/* HELLO: this process */
	struct tnet_addr listen[TNET_LISTEN_MAX];	/* with bound ports */
	unsigned nlisten;
	struct tnet_addr advertise[TNET_LISTEN_MAX];
	unsigned nadvertise;		/* 0: the listen addresses */
	bool replace;			/* --replace: OST_REPLACE */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--config FILE]\n"
		"                   --mds HOST[:PORT][@NET] --index N --dir PATH --key FILE\n"
		"                   [--client-key FILE] [--server-key FILE]\n"
		"                   [--sec auth|integrity|privacy]\n"
		"                   [--listen HOST[:PORT][@NET]]... [--advertise HOST[:PORT][@NET]]...\n"
		"                   [--metrics-listen HOST:PORT]\n"
		"                   [--s3-endpoint URL] [--s3-region R] [--s3-timeout S]\n"
"                   [--s3-path-style] [--s3-allow-endpoint URL]...\n"
"                   [--s3-readahead MIB] [--s3-fetchers N]\n"
		"                   [--cache-high PCT] [--cache-low PCT]\n"
		"                   [--lease SECONDS] [--fault-drop-reply OPCODE[:N]]\n"
		"                   [--replace] [--log-level LEVEL] [--log-file PATH]\n"
		"  --config     settings as \"key = value\" lines, every long\n"
		"               option a key (tessera.conf(5)); the command line wins\n"
		"  --mds        the metadata server (default port %d)\n"
		"  --index      this OST's index, 0..%d\n"
		"  --dir        object store directory (created if missing)\n"
		"  --key        shared key file of clients and servers\n"
		"  --client-key the clients' key (replaces --key for role client)\n"
		"  --server-key the servers' key: the MDS's and admin tools' (hsm);\n"
		"               this OST connects to the MDS with it\n"
		"  --sec        the weakest protection a connection may ask for, and\n"
		"               what this OST asks of the MDS: auth (the handshake;\n"
		"               default), integrity (every frame authenticated) or\n"
		"               privacy (authenticated and encrypted)\n"
		"  --mds, --listen, --advertise: NET is tcp (default) or rdma\n"
		"  --listen     address to serve on (default 0.0.0.0:%d+index);\n"
		"               up to %d times (e.g. --listen 10.0.0.5@rdma\n"
		"               --listen 10.0.0.5@tcp)\n"
		"  --advertise  address the MDS hands to clients (default: the\n"
		"               listen addresses; for 0.0.0.0 the local address\n"
		"               used to reach the MDS); may be repeated; the\n"
		"               comma-separated list must fit in %d characters\n"
		"  --metrics-listen HOST:PORT  serve counters in the Prometheus\n"
		"               text format on http://HOST:PORT/metrics (default: off)\n"
		"  --s3-endpoint  S3 endpoint of imported files, SCHEME://HOST[:PORT]\n"
		"               (default $AWS_ENDPOINT_URL or AWS for the region)\n"
		"  --s3-region  signing region (default $AWS_REGION or us-east-1);\n"
		"               a bucket S3 says is elsewhere is asked there\n"
		"  --s3-path-style  ENDPOINT/BUCKET/KEY URLs, not the default\n"
		"               BUCKET.HOST/KEY (always for an IP-literal endpoint\n"
		"               or a bucket that is no DNS name)\n"
		"  --s3-allow-endpoint URL  an endpoint imported files may name\n"
		"               as their origin's besides --s3-endpoint (up to 16);\n"
		"               restores of an origin elsewhere fail, logged\n"
		"  --s3-timeout bound of one restore, retries included (default 20 s)\n"
		"  --s3-readahead  largest window restored ahead of sequential\n"
		"               reads of an object, MiB (default 32; 0: none)\n"
		"  --s3-fetchers  threads fetching that readahead (default 4)\n"
		"  --cache-high PCT  when the store is more than PCT%% used,\n"
		"               release restored data (clean, not pinned), least\n"
		"               recently read first (default 95; 0: only when a\n"
		"               restore finds the store full)\n"
		"  --cache-low PCT  ... down to PCT%% used (default 10 below\n"
		"               --cache-high)\n"
		"  --replace    this (new) store takes the index of an OST whose\n"
		"               store is gone: the MDS records it; without it the\n"
		"               MDS refuses a store it does not know at a used index\n"
		"  --lease      the replies kept for resent requests of a client\n"
		"               are dropped this long after its last connection\n"
		"               closed (default %d s)\n"
		"  --fault-drop-reply OPCODE[:N]  testing only: run the Nth\n"
		"               (default 1st) request of numeric OPCODE (e.g. 65,\n"
		"               OBJ_WRITE) but send no reply, the connection stays\n"
		"               open; may be given up to %d times.  Off by default\n"
		"  --log-level  err, warning, notice, info or debug: lines above\n"
		"               it are not logged (default info; SIGHUP reads\n"
		"               --config again)\n"
		"  --log-file   log there, not on stderr; SIGHUP opens it again\n",
		TESS_MDS_PORT, TESS_MAX_OSTS - 1, TESS_OST_PORT,
		TNET_LISTEN_MAX, TESS_ADDR_MAX, TNET_LEASE_DEFAULT,
		TNET_FAULTS_MAX);
}

/* a value from the config file (VAL points into it) names its line */
__attribute__((noreturn, format(printf, 3, 0)))
static void vdie_at(const char *val, const char *opt, const char *fmt,
		    va_list ap)
{
	fprintf(stderr, PROG ": %s%s: ", conf_where(val), opt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	exit(2);
}

__attribute__((noreturn, format(printf, 3, 4)))
static void die_at(const char *val, const char *opt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie_at(val, opt, fmt, ap);
}

/* in the option loop, about optarg (NULL after it) */
__attribute__((noreturn, format(printf, 2, 3)))
static void die_opt(const char *opt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie_at(optarg, opt, fmt, ap);
}

/* ---- MDS registration ---- */

/*
 * The "host:port@net[,host:port@net]..." the MDS is told (with c, the
 * connection to it: 0.0.0.0 is the local address of c), or without c as
 * given.  -ENAMETOOLONG past TESS_ADDR_MAX.
 */
static int advertised_addr(const struct reg *r, struct tnet_conn *c,
			   char *buf, size_t len)
{
	const struct tnet_addr *list = r->nadvertise ? r->advertise : r->listen;
	unsigned n = r->nadvertise ? r->nadvertise : r->nlisten;
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		struct tnet_addr a = list[i];

		if (c && !r->nadvertise &&
		    (!strcmp(a.host, "0.0.0.0") || !strcmp(a.host, "*"))) {
			struct sockaddr_in sin;
			int rc = tnet_conn_local_addr(c, &sin);

			if (rc)
				return rc;
			if (!inet_ntop(AF_INET, &sin.sin_addr, a.host,
				       sizeof(a.host)))
				return -errno;
		}
		if (i && used + 1 < len)
			buf[used++] = ',';
		tnet_addr_format(&a, buf + used, len - used);
		used = strlen(buf);
	}
	return used > TESS_ADDR_MAX ? -ENAMETOOLONG : 0;
}

static int send_register(struct tnet_conn *c, const struct reg *r,
			 const char *addr)
{
	uint8_t body[sizeof(struct tess_ost_register_req) + TESS_ADDR_MAX];
	struct tess_ost_register_req req = { 0 };
	struct tnet_call call = { 0 };
	size_t alen = strlen(addr);

	req.index = cpu_to_le32(r->index);
	req.addr_len = cpu_to_le32((uint32_t)alen);
	memcpy(req.uuid, r->store_uuid, 16);
	memcpy(body, &req, sizeof(req));
	memcpy(body + sizeof(req), addr, alen);
	call.op = r->replace ? TESS_OP_OST_REPLACE : TESS_OP_OST_REGISTER;
	call.body = body;
	call.body_len = (uint32_t)(sizeof(req) + alen);
	return tnet_call(c, &call);
}

/* log a problem once, not every retry */
__attribute__((format(printf, 2, 3)))
static void note(char last[256], const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strcmp(line, last)) {
		tlog("%s", line);
		snprintf(last, 256, "%s", line);
	}
}

static void *reg_main(void *arg)
{
	struct reg *r = arg;
	char mds[TESS_ADDR_MAX + 16], eb[128];
	char addr[TNET_LISTEN_MAX * (TESS_ADDR_MAX + 18)];
	char last[256] = "";

	tnet_addr_format(&r->mds, mds, sizeof(mds));
	for (;;) {
		struct tnet_conn *c;
		int rc, err;

		c = tnet_connect(&r->mds, &r->key, TESS_ROLE_OST,
				 r->inst_uuid, MDS_TIMEOUT_MS, &err);
		if (!c) {
			note(last, "MDS %s: cannot connect: %s%s; retrying",
			     mds, strerror_r(-err, eb, sizeof(eb)),
			     err == -EACCES ? " (wrong key?)" : "");
			sleep(RETRY_INTERVAL_S);
			continue;
		}
		rc = advertised_addr(r, c, addr, sizeof(addr));
		if (rc == -ENAMETOOLONG) {
			tlog_level(LOG_ERR, "the address list '%s' is longer "
				   "than %d characters: the MDS cannot take it "
				   "(fewer --listen, or a shorter --advertise); "
				   "exiting", addr, TESS_ADDR_MAX);
			fflush(stderr);
			_exit(1);
		}
		if (!rc)
			rc = send_register(c, r, addr);
		if (rc == -EEXIST) {
			/* serving a store the layouts do not name loses data */
			tlog_level(LOG_ERR, "MDS %s refused the registration of OST %" PRIu32
			     ": the MDS knows another store at this index (a "
			     "reformatted or wrong --dir?); if this store "
			     "replaces the old one for good, start with "
			     "--replace; exiting", mds, r->index);
			fflush(stderr);
			_exit(1);
		}
		if (rc) {
			note(last, "MDS %s: registration of OST %" PRIu32
			     " failed: %s; retrying", mds, r->index,
			     strerror_r(-rc, eb, sizeof(eb)));
			tnet_close(c);
			sleep(RETRY_INTERVAL_S);
			continue;
		}
		tlog("registered with MDS %s as OST %" PRIu32 " at %s", mds,
		     r->index, addr);
		sd_notifyf(0, "STATUS=registered with MDS %s as OST %" PRIu32
			   " at %s", mds, r->index, addr);
		last[0] = '\0';
		for (;;) {
			struct tnet_call call = { .op = TESS_OP_PING };

			sleep(PING_INTERVAL_S);
			rc = tnet_call(c, &call);
			if (rc) {
				tlog_level(LOG_WARNING, "MDS %s: ping failed: %s; re-registering",
				     mds, strerror_r(-rc, eb, sizeof(eb)));
				break;
			}
		}
		tnet_close(c);
	}
	return NULL;
}

/* a clean exit: the MDS marks this OST down now, not after time-outs */
static void send_leave(const struct reg *r)
{
	struct tess_ost_leave_req req = { 0 };
	struct tnet_call call = { .op = TESS_OP_OST_LEAVE };
	struct tnet_conn *c;
	char eb[128];
	int rc, err = 0;

	req.index = cpu_to_le32(r->index);
	memcpy(req.uuid, r->store_uuid, 16);
	call.body = &req;
	call.body_len = sizeof(req);
	c = tnet_connect(&r->mds, &r->key, TESS_ROLE_OST, r->inst_uuid, 2000,
			 &err);
	rc = c ? tnet_call(c, &call) : err ? err : -EHOSTDOWN;
	if (c)
		tnet_close(c);
	if (rc)
		tlog_level(LOG_WARNING, "cannot tell the MDS that OST %" PRIu32
			   " leaves: %s (it finds out at its pings)", r->index,
			   strerror_r(rc < 0 ? -rc : rc, eb, sizeof(eb)));
	else
		tlog("told the MDS that OST %" PRIu32 " leaves", r->index);
}

/* ---- server ---- */

static void *server_main(void *arg)
{
	struct tnet_server *srv = arg;
	char eb[128];
	int rc = tnet_server_run(srv);

	if (!rc)		/* tnet_server_stop: a clean exit */
		return NULL;
	tlog_level(LOG_ERR, "server stopped: %s", strerror_r(-rc, eb, sizeof(eb)));
	fflush(stderr);
	_exit(1);
}

static uint32_t parse_index(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || s[0] == '+' ||
	    v >= TESS_MAX_OSTS)
		die_opt("--index", "'%s' is not an OST index (0..%d)", s,
			TESS_MAX_OSTS - 1);
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mds", required_argument, NULL, 'm' },
		{ "index", required_argument, NULL, 'i' },
		{ "dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "client-key", required_argument, NULL, OPT_CLIENT_KEY },
		{ "server-key", required_argument, NULL, OPT_SERVER_KEY },
		{ "sec", required_argument, NULL, OPT_SEC },
		{ "listen", required_argument, NULL, 'l' },
		{ "advertise", required_argument, NULL, 'a' },
		{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
		{ "s3-endpoint", required_argument, NULL, 'E' },
		{ "s3-region", required_argument, NULL, 'R' },
		{ "s3-path-style", no_argument, NULL, OPT_S3_PATH_STYLE },
		{ "s3-allow-endpoint", required_argument, NULL, OPT_S3_ALLOW_EP },
		{ "s3-timeout", required_argument, NULL, 'T' },
		{ "s3-readahead", required_argument, NULL, 'A' },
		{ "s3-fetchers", required_argument, NULL, 'F' },
		{ "cache-high", required_argument, NULL, OPT_CACHE_HIGH },
		{ "cache-low", required_argument, NULL, OPT_CACHE_LOW },
		{ "lease", required_argument, NULL, 'L' },
		{ "fault-drop-reply", required_argument, NULL, 'X' },
		{ "replace", no_argument, NULL, 'P' },
		{ "log-level", required_argument, NULL, 'V' },
		{ "log-file", required_argument, NULL, 'O' },
		{ "config", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mds = NULL, *dir = NULL, *keyfile = NULL;
	const char *ckeyfile = NULL, *skeyfile = NULL, *kopt;
	static struct tnet_key ckey;
	const char *listen_s[TNET_LISTEN_MAX] = { "0.0.0.0" };
	const char *adv[TNET_LISTEN_MAX], *index_s = NULL;
	unsigned nlisten = 0, nadv = 0;
	const char *metrics_listen = NULL;
	struct tnet_addr ma;
	const char *config = NULL, *log_level = NULL, *log_file = NULL;
	bool level_cmdline = false;
	const char *s3_endpoint = NULL, *s3_region = NULL;
	long s3_timeout = 20, s3_ra = 32, s3_fetchers = 4;
	bool s3_path_style = false;
	static struct s3_conf allow_ep[OST_HSM_ALLOW_MAX];
	unsigned nallow = 0;
	long cache_high = 95, cache_low = -1;
	long lease = TNET_LEASE_DEFAULT;
	const char *faults[TNET_FAULTS_MAX];
	int nfaults = 0;
	static struct s3_conf s3;
	struct ost_hsm_opts hopts = { 0 };
	char s3err[256] = "";
	static struct reg reg;
	static struct ost_ctx ctx;
	static struct tnet_server srv;
	char err[512], eb[128], laddr[TNET_LISTEN_MAX * (TESS_ADDR_MAX + 18)];
	pthread_t tid;
	sigset_t sigs;
	char *tail;
	int opt, rc, sig, sec = TESS_SEC_AUTH;

	tlog_init(PROG);
	if (conf_args(PROG, opts, ":h", &argc, &argv))
		return 2;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'K': config = optarg; break;	/* read by conf_args */
		case 'V':
			if (tlog_parse_level(optarg) < LOG_ERR)
				die_opt("--log-level", "'%s': err, warning, "
					"notice, info or debug", optarg);
			log_level = optarg;
			level_cmdline = !*conf_where(optarg);
			break;
		case 'O': log_file = optarg; break;
		case 'm': mds = optarg; break;
		case 'i':
			index_s = optarg;
			reg.index = parse_index(optarg);
			break;
		case 'd': dir = optarg; break;
		case 'k': keyfile = optarg; break;
		case OPT_CLIENT_KEY: ckeyfile = optarg; break;
		case OPT_SERVER_KEY: skeyfile = optarg; break;
		case OPT_SEC:
			sec = tnet_sec_parse(optarg);
			if (sec < 0)
				die_opt("--sec", "must be auth, integrity or "
					"privacy");
			break;
		case 'l':
			/* the command line's replace the config file's */
			if (nlisten && *conf_where(listen_s[0]) &&
			    !*conf_where(optarg))
				nlisten = 0;
			if (nlisten == TNET_LISTEN_MAX)
				die_opt("--listen", "at most %d",
					TNET_LISTEN_MAX);
			listen_s[nlisten++] = optarg;
			break;
		case 'a':
			if (nadv && *conf_where(adv[0]) && !*conf_where(optarg))
				nadv = 0;
			if (nadv == TNET_LISTEN_MAX)
				die_opt("--advertise", "at most %d",
					TNET_LISTEN_MAX);
			adv[nadv++] = optarg;
			break;
		case OPT_METRICS_LISTEN:	/* refused before the store opens */
			if (tnet_addr_parse(optarg, 0, &ma, err, sizeof(err)))
				die_opt("--metrics-listen", "%s", err);
			metrics_listen = optarg;
			break;
		case 'P': reg.replace = true; break;
		case 'E': s3_endpoint = optarg; break;
		case 'R': s3_region = optarg; break;
		case 'T':
			s3_timeout = strtol(optarg, &tail, 10);
			if (*tail || s3_timeout < 1 || s3_timeout > 3600)
				die_opt("--s3-timeout", "'%s': seconds, 1..3600",
					optarg);
			break;
		case 'A':
			s3_ra = strtol(optarg, &tail, 10);
			if (*tail || tail == optarg || s3_ra < 0 ||
			    s3_ra > 1024)
				die_opt("--s3-readahead", "'%s': MiB, 0..1024",
					optarg);
			break;
		case 'F':
			s3_fetchers = strtol(optarg, &tail, 10);
			if (*tail || tail == optarg || s3_fetchers < 1 ||
			    s3_fetchers > 64)
				die_opt("--s3-fetchers", "'%s': threads, 1..64",
					optarg);
			break;
		case OPT_CACHE_HIGH:
			cache_high = strtol(optarg, &tail, 10);
			if (*tail || tail == optarg || cache_high < 0 ||
			    cache_high > 100)
				die_opt("--cache-high", "'%s': percent of the "
					"store, 0..100", optarg);
			break;
		case OPT_S3_PATH_STYLE: s3_path_style = true; break;
		case OPT_S3_ALLOW_EP:
			if (nallow == OST_HSM_ALLOW_MAX)
				die_opt("--s3-allow-endpoint", "at most %d",
					OST_HSM_ALLOW_MAX);
			if (s3_conf_addr(&allow_ep[nallow], optarg, "us-east-1",
					 false, s3err, sizeof(s3err)))
				die_opt("--s3-allow-endpoint", "%s", s3err);
			nallow++;
			break;
		case OPT_CACHE_LOW:
			cache_low = strtol(optarg, &tail, 10);
			if (*tail || tail == optarg || cache_low < 0 ||
			    cache_low > 99)
				die_opt("--cache-low", "'%s': percent of the "
					"store, 0..99", optarg);
			break;
		case 'L':
			lease = strtol(optarg, &tail, 10);
			if (*tail || tail == optarg || lease < 1 ||
			    lease > 86400)
				die_opt("--lease", "'%s': seconds, 1..86400",
					optarg);
			break;
		case 'X':
			if (nfaults == TNET_FAULTS_MAX)
				die_opt("--fault-drop-reply", "at most %d",
					TNET_FAULTS_MAX);
			faults[nfaults++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, PROG ": %s: missing argument\n",
				argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			if (optopt)
				fprintf(stderr, PROG ": -%c: unknown option\n",
					optopt);
			else
				fprintf(stderr, PROG ": %s: unknown option\n",
					argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	optarg = NULL;
	if (optind < argc)
		die_opt(argv[optind], "unexpected argument");
	if (!mds)
		die_opt("--mds", "required (HOST[:PORT][@tcp|@rdma])");
	if (!index_s)
		die_opt("--index", "required (0..%d)", TESS_MAX_OSTS - 1);
	if (!dir)
		die_opt("--dir", "required (object store directory)");

	if (tlog_options(log_level, log_file, err, sizeof(err)))
		die_at(log_file, "--log-file", "%s", err);
	if (tnet_addr_parse(mds, TESS_MDS_PORT, &reg.mds, err, sizeof(err)))
		die_at(mds, "--mds", "%s", err);
	if (!nlisten)
		nlisten = 1;		/* 0.0.0.0 */
	for (unsigned i = 0; i < nlisten; i++)
		if (tnet_addr_parse(listen_s[i],
				    (uint16_t)(TESS_OST_PORT + reg.index),
				    &reg.listen[i], err, sizeof(err)))
			die_at(listen_s[i], "--listen", "%s", err);
	reg.nlisten = nlisten;
	/* reg.key: the servers' (the MDS connects with it, we to the MDS) */
	if (tnet_keys_load(keyfile, ckeyfile, skeyfile, &reg.key, &ckey, &kopt,
			   err, sizeof(err)))
		die_at(!strcmp(kopt, "--server-key") ? skeyfile :
		       !strcmp(kopt, "--client-key") ? ckeyfile : keyfile,
		       kopt, "%s", err);

	/* this OST's own connections (to the MDS) ask for --sec too */
	tnet_set_default_sec(sec);

	rc = objstore_open(dir, reg.index, &ctx.store, err, sizeof(err));
	if (rc == OBJSTORE_EINDEX)
		die_at(index_s, "--index", "%s", err);
	if (rc)
		die_opt("--dir", "%s", err);
	memcpy(reg.store_uuid, objstore_uuid(ctx.store), 16);
	/*
	 * A client's OBJ_SYNC_OWN syncs only what it wrote to this
	 * instance (synctrack.h): what an earlier instance acknowledged
	 * (still in the page cache after a kill, same verifier) is made
	 * stable here, once, before any client is served.
	 */
	rc = objstore_sync(ctx.store, 0);
	if (rc)
		die_opt("--dir", "syncfs: %s", strerror_r(-rc, eb, sizeof(eb)));
	ctx.sync = synctrack_create();
	if (!ctx.sync)
		die_opt("--dir", "out of memory");
	if (!objstore_precreates(ctx.store))
		tlog("%s was formatted before object precreation: a missing "
		     "object reads as zeros and a write creates it (old "
		     "rules, kept for its data)", dir);
	if (reg.replace)
		tlog("--replace: this store takes OST %" PRIu32 "'s index "
		     "for good; the objects of the store it replaces are "
		     "lost", reg.index);

	/* HSM: restores from S3; a missing configuration only fails restores */
	if (s3_global_init())
		die_opt("--s3-endpoint", "cannot initialise libcurl");
	rc = s3_conf_init(&s3, s3_endpoint, s3_region, (int)s3_timeout, s3err,
			  sizeof(s3err));
	if (rc && s3_endpoint)
		die_opt("--s3-endpoint", "%s", s3err);
	s3.path_style = s3_path_style;
	if (!rc) {
		hopts.s3 = &s3;
		tlog("HSM restores from %s (region %s, %s URLs, credentials "
		     "from %s, time-out %ld s, readahead up to %ld MiB by %ld "
		     "fetchers)", s3.endpoint, s3.region,
		     s3.path_style ? "path-style" : "virtual-hosted",
		     s3_creds_source(s3.creds), s3_timeout, s3_ra,
		     s3_fetchers);
	}
	hopts.s3_error = s3err;
	for (unsigned i = 0; i < nallow; i++) {
		hopts.allow[i] = allow_ep[i].endpoint;
		tlog("HSM origins may also name the endpoint %s",
		     allow_ep[i].endpoint);
	}
	hopts.nallow = nallow;
	hopts.readahead = (uint64_t)s3_ra << 20;
	hopts.ra_threads = s3_ra ? (uint32_t)s3_fetchers : 0;
	hopts.mds = &reg.mds;
	hopts.key = &reg.key;
	hopts.ost_index = reg.index;
	if (cache_low < 0)	/* default: 10 points below high */
		cache_low = cache_high > 10 ? cache_high - 10 : 0;
	if (cache_high && cache_low >= cache_high)
		die_opt("--cache-low", "%ld is not below --cache-high %ld",
			cache_low, cache_high);
	hopts.cache_high = (unsigned)cache_high;
	hopts.cache_low = (unsigned)cache_low;
	rc = ost_hsm_create(&ctx.hsm, ctx.store, &hopts);
	if (rc)
		die_opt("--dir", "HSM: %s", strerror_r(-rc, eb, sizeof(eb)));

	rc = tnet_server_init(&srv, NULL, &reg.key, &ost_server_ops, &ctx);
	if (rc)
		die_opt("--listen", "%s", strerror_r(-rc, eb, sizeof(eb)));
	tnet_server_set_client_key(&srv, &ckey);
	srv.sec_min = sec;
	for (unsigned i = 0; i < nlisten; i++) {
		tnet_addr_format(&reg.listen[i], laddr, sizeof(laddr));
		if (tnet_server_listen(&srv, &reg.listen[i], err, sizeof(err)))
			die_at(listen_s[i], "--listen", "%s: %s", laddr, err);
		reg.listen[i] = *tnet_server_addr(&srv, i);
	}
	tnet_server_set_lease(&srv, (int)lease);
	for (int i = 0; i < nfaults; i++) {
		if (tnet_server_add_fault(&srv, faults[i], err, sizeof(err)))
			die_at(faults[i], "--fault-drop-reply", "%s", err);
		tlog("fault injection: --fault-drop-reply %s", faults[i]);
	}
	for (unsigned i = 0; i < nadv; i++) {
		uint16_t port = reg.listen[i < nlisten ? i : 0].port;

		if (tnet_addr_parse(adv[i], port, &reg.advertise[i], err,
				    sizeof(err)))
			die_at(adv[i], "--advertise", "%s", err);
	}
	reg.nadvertise = nadv;
	/* the list as given (0.0.0.0 becomes an address at registration) */
	if (advertised_addr(&reg, NULL, laddr, sizeof(laddr)))
		die_at(nadv ? adv[0] : listen_s[0],
		       nadv ? "--advertise" : "--listen", "the address list "
		       "'%s' is longer than %d characters, what the MDS "
		       "takes", laddr, TESS_ADDR_MAX);
	memcpy(reg.inst_uuid, srv.uuid, 16);
	if (metrics_listen) {	/* the server listens: counters are served */
		uint16_t mport = 0;

		rc = ost_metrics_register(&ctx);
		if (rc)
			die_opt("--metrics-listen", "%s",
				strerror_r(-rc, eb, sizeof(eb)));
		if (tmetrics_serve(&ma, &mport, err, sizeof(err)))
			die_at(metrics_listen, "--metrics-listen", "%s", err);
		tlog("metrics on http://%s:%u/metrics", ma.host, mport);
	}

	/* SIGTERM/SIGINT/SIGHUP are taken by sigwait below, in no other
	 * thread */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	laddr[0] = '\0';
	for (unsigned i = 0; i < nlisten; i++) {
		size_t n = strlen(laddr);

		if (i)
			n += (size_t)snprintf(laddr + n, sizeof(laddr) - n,
					      ", ");
		tnet_addr_format(&reg.listen[i], laddr + n, sizeof(laddr) - n);
	}
	tlog("OST %" PRIu32 " serving %s on %s", reg.index, dir, laddr);
	if (ost_hsm_start(ctx.hsm) ||
	    pthread_create(&tid, NULL, server_main, &srv) ||
	    pthread_create(&tid, NULL, reg_main, &reg)) {
		tlog_level(LOG_ERR, "cannot start threads");
		return 1;
	}
	sd_notifyf(0, "READY=1\nSTATUS=OST %" PRIu32 " serving %s on %s, "
		   "registering with the MDS", reg.index, dir, laddr);

	for (;;) {
		if (sigwait(&sigs, &sig))
			continue;
		if (sig == SIGHUP) {
			tlog_reload(config, opts, level_cmdline);
			continue;
		}
		tlog_level(LOG_NOTICE, "%s: shutting down",
			   sig == SIGTERM ? "SIGTERM" : "SIGINT");
		sd_notify(0, "STOPPING=1");
		/* no new connections; requests in progress finish, 5 s at
		 * most; then the MDS hears that this OST leaves */
		tnet_server_stop(&srv);
		rc = tnet_server_drain(&srv, 5000);
		if (rc)
			tlog_level(LOG_WARNING, "%d requests still in progress "
				   "after 5 s; exiting under them", rc);
		rc = objstore_sync(ctx.store, 0);
		if (rc)
			tlog_level(LOG_ERR, "sync of %s failed: %s", dir,
			     strerror_r(-rc, eb, sizeof(eb)));
		/* last: an MDS ping answered after it would mark us up */
		send_leave(&reg);
		fflush(stderr);
		/* no exit(): connection threads may be mid-request */
		_exit(rc ? 1 : 0);
	}
}
