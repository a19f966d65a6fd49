// SPDX-License-Identifier: MIT
/*
 * tessera-mds - the Tessera metadata server.
 *
 *   tessera-mds [--config FILE] --dir PATH --key FILE
 *               [--listen HOST[:PORT][@tcp|@rdma]]...
 *               [--fsname NAME] [--stripe-count N] [--stripe-size BYTES]
 *               [--nosync] [--lease SECONDS] [--map-size SIZE]
 *               [--max-clients N] [--ping-interval SECONDS]
 *               [--fault-drop-reply OPCODE[:N]] [--fault-read-delay MS]
 *               [--log-level LEVEL] [--log-file PATH]
 *               [--root-squash UID:GID] [--nosquash ADDR[/PREFIX]]...
 *
 * --config FILE: settings from a file (user/lib/conf.c, tessera.conf(5)),
 * the command line winning.  Once serving, READY=1 to systemd (Type=notify).
 *
 * SIGTERM / SIGINT: stop accepting connections, let requests in progress
 * finish (at most 5 s), stop the destroyer, wait for store calls in
 * progress, close the LMDB environment and exit 0.  SIGHUP: reopen the
 * --log-file, read --config again for log-level (logctl.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "conf.h"
#include "handlers.h"
#include "logctl.h"
#include "mds_metrics.h"
#include "metrics.h"
#include "precreate.h"

/* getopt_long value of --metrics-listen (issue #14) */
#define OPT_METRICS_LISTEN	0x100
/* issue #12: root squashing */
#define OPT_ROOT_SQUASH		0x101
#define OPT_NOSQUASH		0x102
#define OPT_CLIENT_KEY		0x103
#define OPT_SERVER_KEY		0x104
#define OPT_SEC			0x105
#define MAX_CLIENTS_DEF		1024
#define MAX_CLIENTS_MAX		65536
#define PING_INTERVAL_DEF	5	/* a hung OST: down after 10 s */

static const char *prog = "tessera-mds";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--config FILE] --dir PATH --key FILE\n"
		"          [--client-key FILE] [--server-key FILE]\n"
		"          [--sec auth|integrity|privacy]\n"
		"          [--listen HOST[:PORT][@tcp|@rdma]]... [--metrics-listen HOST:PORT]\n"
		"          [--fsname NAME] [--stripe-count N] "
		"[--stripe-size BYTES] [--nosync]\n"
		"          [--lease SECONDS] [--map-size SIZE] [--max-clients N]\n"
		"          [--ping-interval SECONDS] [--fault-drop-reply OPCODE[:N]]\n"
		"          [--fault-read-delay MS] [--log-level LEVEL] "
		"[--log-file PATH]\n"
		"          [--root-squash UID:GID] [--nosquash ADDR[/PREFIX]]...\n"
		"  --config FILE       settings as \"key = value\" lines, every "
		"long option\n"
		"                      a key (tessera.conf(5)); the command "
		"line wins\n"
		"  --dir PATH          metadata store (created if missing)\n"
		"  --key FILE          shared key (16..256 bytes) of clients "
		"and servers\n"
		"  --client-key FILE   the clients' key (role client; "
		"replaces --key for them)\n"
		"  --server-key FILE   the servers' key (OSTs, and admin "
		"tools such as hsm;\n"
		"                      replaces --key for them)\n"
		"  --sec FLAVOR        the weakest protection a connection "
		"may ask for, and\n"
		"                      what this MDS asks of the OSTs: auth "
		"(the handshake;\n"
		"                      default), integrity (every frame "
		"authenticated) or\n"
		"                      privacy (authenticated and encrypted)\n"
		"  --listen ADDR       default 0.0.0.0:%d@tcp; may be given up "
		"to %d times\n"
		"                      (e.g. --listen 10.0.0.5@rdma --listen "
		"10.0.0.5@tcp)\n"
		"  --metrics-listen HOST:PORT\n"
		"                      serve counters in the Prometheus text "
		"format on\n"
		"                      http://HOST:PORT/metrics (default: off)\n"
		"  --fsname NAME       file system name, fixed at creation "
		"(default tessera)\n"
		"  --stripe-count N    default stripe count, -1 = all OSTs "
		"(stored; default 1)\n"
		"  --stripe-size BYTES default stripe size, K/M/G suffix, "
		"multiple of 64K (stored; default 1M)\n"
		"  --nosync            no fsync per commit (benchmarks; not "
		"crash-safe)\n"
		"  --lease SECONDS     a client none of whose connections has "
		"been up this long\n"
		"                      loses its opens and kept replies; after "
		"a start, the\n"
		"                      objects of unlinked files wait this long "
		"for clients to\n"
		"                      reopen them (default %d)\n"
		"  --map-size SIZE     the LMDB map: the most metadata the "
		"store can hold,\n"
		"                      K/M/G/T suffix (default 16G, about 16 "
		"million files);\n"
		"                      when it is full, changes fail with "
		"ENOSPC\n"
		"  --max-clients N     connections served at once (OSTs apart); "
		"more get\n"
		"                      EBUSY (default %d)\n"
		"  --ping-interval SECONDS\n"
		"                      how often each OST is pinged; one not "
		"heard from for\n"
		"                      2 intervals is down and gets no new "
		"stripes (default %d)\n"
		"  --fault-drop-reply OPCODE[:N]\n"
		"                      testing only: run the Nth (default 1st) "
		"request of the\n"
		"                      numeric OPCODE (e.g. 20, MKDIR) but send "
		"no reply; the\n"
		"                      connection stays open.  Up to %d times.  "
		"Off by default\n"
		"  --fault-read-delay MS\n"
		"                      testing only: every read transaction "
		"lasts MS longer,\n"
		"                      holding its LMDB reader slot (a busy "
		"server).  Off by\n"
		"                      default\n"
		"  --log-level LEVEL   err, warning, notice, info or debug: "
		"lines above it\n"
		"                      are not logged (default info; SIGHUP "
		"reads --config again)\n"
		"  --log-file PATH     log there, not on stderr; SIGHUP opens it "
		"again\n"
		"  --root-squash UID:GID\n"
		"                      requests of uid 0 run as UID, gid 0 as "
		"GID (and group 0\n"
		"                      is dropped), except from --nosquash "
		"addresses (default: off)\n"
		"  --nosquash ADDR[/PREFIX]\n"
		"                      an IPv4 address or prefix whose clients "
		"are not squashed;\n"
		"                      may be given up to %d times\n",
		prog, TESS_MDS_PORT, TNET_LISTEN_MAX, TNET_LEASE_DEFAULT, MAX_CLIENTS_DEF,
		PING_INTERVAL_DEF, TNET_FAULTS_MAX, PERM_NOSQUASH_MAX);
}

/* a value from the config file (VAL points into it): its line, exit 2 */
static void die_at(const char *val, const char *opt, const char *reason)
{
	const char *where = conf_where(val);

	fprintf(stderr, "%s: %s%s: %s\n", prog, where, opt, reason);
	exit(*where ? 2 : 1);
}

/* in the option loop, about optarg (NULL after it) */
static void die(const char *opt, const char *reason)
{
	die_at(optarg, opt, reason);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	}
	if (shift) {
		if (v > (UINT64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
		end++;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool busy(void *opens, uint64_t ino)
{
	return mds_opens_busy(opens, ino);
}

static bool hold(void *opens, uint64_t ino)
{
	return mds_opens_hold(opens, ino);
}

static void unhold(void *opens)
{
	mds_opens_unhold(opens);
}

/* a dead client had ino open, maybe writing past its size: trim it */
static void dropped(void *store, uint64_t ino)
{
	int rc = mds_trim_add(store, ino);

	if (rc)
		tlog_level(LOG_ERR, "ino %" PRIu64 ": cannot record its trim: %s", ino,
		     strerror(-rc));
}

struct srv_arg {
	struct tnet_server *srv;
	int rc;
};

static void *serve(void *arg)
{
	struct srv_arg *sa = arg;

	sa->rc = tnet_server_run(sa->srv);
	if (!sa->rc)		/* tnet_server_stop: a clean exit */
		return NULL;
	tlog_level(LOG_ERR, "server loop stopped: %s", strerror(sa->rc < 0 ? -sa->rc : sa->rc));
	kill(getpid(), SIGTERM);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "client-key", required_argument, NULL, OPT_CLIENT_KEY },
		{ "server-key", required_argument, NULL, OPT_SERVER_KEY },
		{ "sec", required_argument, NULL, OPT_SEC },
		{ "listen", required_argument, NULL, 'l' },
		{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
		{ "fsname", required_argument, NULL, 'f' },
		{ "stripe-count", required_argument, NULL, 'c' },
		{ "stripe-size", required_argument, NULL, 's' },
		{ "nosync", no_argument, NULL, 'n' },
		{ "lease", required_argument, NULL, 'L' },
		{ "fault-drop-reply", required_argument, NULL, 'X' },
		{ "fault-read-delay", required_argument, NULL, 'R' },
		{ "map-size", required_argument, NULL, 'M' },
		{ "max-clients", required_argument, NULL, 'C' },
		{ "ping-interval", required_argument, NULL, 'P' },
		{ "log-level", required_argument, NULL, 'V' },
		{ "log-file", required_argument, NULL, 'O' },
		{ "root-squash", required_argument, NULL, OPT_ROOT_SQUASH },
		{ "nosquash", required_argument, NULL, OPT_NOSQUASH },
		{ "config", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct mds_store_opts so = { 0 };
	static struct tnet_key key, ckey;
	static struct tnet_server srv;
	static struct mds m;
	struct mds_precreate *precreate;
	struct tnet_addr la[TNET_LISTEN_MAX], ma;
	const char *keyfile = NULL, *ckeyfile = NULL, *skeyfile = NULL;
	const char *kopt, *listens[TNET_LISTEN_MAX] = { "0.0.0.0" };
	int nlisten = 0;
	const char *metrics_listen = NULL;
	const char *config = NULL, *log_level = NULL, *log_file = NULL;
	bool level_cmdline = false;
	char err[256], addr[TNET_LISTEN_MAX * (TESS_ADDR_MAX + 18)];
	struct srv_arg sa = { .srv = &srv };
	pthread_t thr;
	sigset_t sigs;
	uint64_t v, lease = TNET_LEASE_DEFAULT;
	uint32_t max_clients = MAX_CLIENTS_DEF, ping = PING_INTERVAL_DEF;
	const char *faults[TNET_FAULTS_MAX];
	int opt, rc, sig, nfaults = 0, sec = TESS_SEC_AUTH;

	if (conf_args(prog, lopts, "h", &argc, &argv))
		return 2;
	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'K':	/* read by conf_args; SIGHUP reads it again */
			config = optarg;
			break;
		case 'V':
			if (tlog_parse_level(optarg) < LOG_ERR)
				die("--log-level", "must be err, warning, "
				    "notice, info or debug");
			log_level = optarg;
			level_cmdline = !*conf_where(optarg);
			break;
		case 'O':
			log_file = optarg;
			break;
		case 'd':
			so.dir = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case OPT_CLIENT_KEY:
			ckeyfile = optarg;
			break;
		case OPT_SERVER_KEY:
			skeyfile = optarg;
			break;
		case OPT_SEC:
			sec = tnet_sec_parse(optarg);
			if (sec < 0)
				die("--sec", "must be auth, integrity or "
				    "privacy");
			break;
		case 'l':
			/* the command line's replace the config file's */
			if (nlisten && *conf_where(listens[0]) &&
			    !*conf_where(optarg))
				nlisten = 0;
			if (nlisten == TNET_LISTEN_MAX)
				die("--listen", "given too often");
			listens[nlisten++] = optarg;
			break;
		case OPT_METRICS_LISTEN:	/* refused before the store opens */
			if (tnet_addr_parse(optarg, 0, &ma, err, sizeof(err)))
				die("--metrics-listen", err);
			metrics_listen = optarg;
			break;
		case 'f':
			if (!*optarg || strlen(optarg) > TESS_FSNAME_MAX ||
			    strpbrk(optarg, "/ \t\n:@"))
				die("--fsname", "must be 1..63 characters "
				    "without '/', ':', '@' or spaces");
			so.fsname = optarg;
			break;
		case 'c':
			if (!strcmp(optarg, "-1")) {
				so.stripe_count = TESS_MAX_STRIPES;
				break;
			}
			if (parse_size(optarg, &v) || v < 1 ||
			    v > TESS_MAX_STRIPES)
				die("--stripe-count", "must be 1..256 or -1 "
				    "(all OSTs)");
			so.stripe_count = (uint32_t)v;
			break;
		case 's':
			if (parse_size(optarg, &v) || v < TESS_STRIPE_SIZE_MIN ||
			    v > TESS_STRIPE_SIZE_MAX ||
			    v % TESS_STRIPE_SIZE_MIN)
				die("--stripe-size", "must be a multiple of 64K "
				    "between 64K and 1G");
			so.stripe_size = (uint32_t)v;
			break;
		case 'n':
			so.nosync = true;
			break;
		case 'L':
			if (parse_size(optarg, &v) || v < 1 || v > 86400 ||
			    strpbrk(optarg, "kKmMgG"))
				die("--lease", "must be 1..86400 seconds");
			lease = v;
			break;
		case 'X':
			if (nfaults == TNET_FAULTS_MAX)
				die("--fault-drop-reply", "given too often");
			faults[nfaults++] = optarg;
			break;
		case 'R':
			if (parse_size(optarg, &v) || v > 1000 ||
			    strpbrk(optarg, "kKmMgG"))
				die("--fault-read-delay", "must be 0..1000 "
				    "milliseconds");
			so.read_delay_ms = (uint32_t)v;
			break;
		case 'M':
			if (parse_size(optarg, &v) || v < (1u << 20) ||
			    v > (1ULL << 44) || v > SIZE_MAX)
				die("--map-size", "must be a size from 1M to "
				    "16T, K/M/G/T suffix (e.g. 64G)");
			so.map_size = (size_t)v;
			break;
		case 'C':
			if (parse_size(optarg, &v) || v < 1 ||
			    v > MAX_CLIENTS_MAX || strpbrk(optarg, "kKmMgGtT"))
				die("--max-clients", "must be 1..65536");
			max_clients = (uint32_t)v;
			break;
		case 'P':
			if (parse_size(optarg, &v) || v < 1 || v > 3600 ||
			    strpbrk(optarg, "kKmMgGtT"))
				die("--ping-interval", "must be 1..3600 seconds");
			ping = (uint32_t)v;
			break;
		case OPT_ROOT_SQUASH:
			if (perm_parse_ids(optarg, &m.squash.uid,
					   &m.squash.gid))
				die("--root-squash", "must be UID:GID, two "
				    "numbers (e.g. 65534:65534)");
			m.squash.on = true;
			break;
		case OPT_NOSQUASH:
			if (m.squash.nnets == PERM_NOSQUASH_MAX)
				die("--nosquash", "given too often");
			if (perm_parse_net(optarg,
					   &m.squash.nets[m.squash.nnets]))
				die("--nosquash", "must be an IPv4 address "
				    "A.B.C.D or prefix A.B.C.D/LEN (LEN 0..32)");
			m.squash.nnets++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr);
		return 2;
	}
	optarg = NULL;
	if (!so.dir)
		die("--dir", "required");
	tlog_init(prog);
	if (tlog_options(log_level, log_file, err, sizeof(err)))
		die_at(log_file, "--log-file", err);
	/* key: the servers' (OSTs connect with it, the MDS to them) */
	if (tnet_keys_load(keyfile, ckeyfile, skeyfile, &key, &ckey, &kopt,
			   err, sizeof(err)))
		die_at(!strcmp(kopt, "--server-key") ? skeyfile :
		       !strcmp(kopt, "--client-key") ? ckeyfile : keyfile,
		       kopt, err);
	/* the MDS's own connections (to the OSTs) ask for --sec too */
	tnet_set_default_sec(sec);
	if (!nlisten)
		nlisten = 1;		/* 0.0.0.0 */
	for (int i = 0; i < nlisten; i++)
		if (tnet_addr_parse(listens[i], TESS_MDS_PORT, &la[i], err,
				    sizeof(err)))
			die_at(listens[i], "--listen", err);

	/* signals are taken by sigwait below; all threads inherit the mask */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* a thread and a socket per connection */
	{
		struct rlimit rl;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (!getrlimit(RLIMIT_NOFILE, &rl) &&
		    rl.rlim_cur < (rlim_t)max_clients + 64)
			tlog_level(LOG_WARNING, "the open file limit (%llu) is below "
			     "--max-clients %u: connections past it wait",
			     (unsigned long long)rl.rlim_cur, max_clients);
	}
	m.max_clients = max_clients;
	so.max_readers = MDS_READERS(max_clients);
	rc = mds_store_open(&m.store, &so, err, sizeof(err));
	if (rc)
		die("--dir", err);
	rc = mds_osts_create(&m.osts, m.store, &key);
	if (!rc)
		mds_osts_set_ping_interval(m.osts, ping);
	if (!rc)	/* layouts name objects created on their OSTs first */
		rc = mds_precreate_create(&precreate, m.store, m.osts);
	if (!rc)
		rc = mds_opens_create(&m.opens, (int64_t)lease * 1000,
				      mds_osts_kick, m.osts);
	if (!rc) {
		mds_osts_set_busy_fn(m.osts, busy, m.opens);
		mds_osts_set_hold_fn(m.osts, hold, unhold, m.opens);
		mds_opens_set_dropped_fn(m.opens, dropped, m.store);
		rc = mds_opens_start(m.opens);
	}
	if (!rc)
		rc = mds_osts_start(m.osts);
	if (rc)
		die("--dir", strerror(-rc));
	rc = tnet_server_init(&srv, NULL, &key, &mds_server_ops, &m);
	if (rc)
		die("--listen", strerror(rc < 0 ? -rc : rc));
	tnet_server_set_client_key(&srv, &ckey);
	srv.sec_min = sec;
	for (int i = 0; i < nlisten; i++) {
		char a[TESS_ADDR_MAX + 16], reason[512];

		tnet_addr_format(&la[i], a, sizeof(a));
		if (tnet_server_listen(&srv, &la[i], err, sizeof(err))) {
			snprintf(reason, sizeof(reason), "%s: %s", a, err);
			die_at(listens[i], "--listen", reason);
		}
	}
	tnet_server_set_lease(&srv, (int)lease);
	for (int i = 0; i < nfaults; i++) {
		if (tnet_server_add_fault(&srv, faults[i], err, sizeof(err)))
			die_at(faults[i], "--fault-drop-reply", err);
		tlog("fault injection: --fault-drop-reply %s", faults[i]);
	}
	addr[0] = 0;
	for (int i = 0; i < nlisten; i++) {
		size_t n = strlen(addr);

		if (i)
			n += (size_t)snprintf(addr + n, sizeof(addr) - n, ", ");
		tnet_addr_format(tnet_server_addr(&srv, (unsigned)i), addr + n,
				 sizeof(addr) - n);
	}
	if (metrics_listen) {	/* the server listens: counters are served */
		uint16_t mport = 0;

		if (mds_metrics_register(&m))
			die("--metrics-listen", "cannot register the MDS's metrics");
		if (tmetrics_serve(&ma, &mport, err, sizeof(err)))
			die_at(metrics_listen, "--metrics-listen", err);
		tlog("metrics on http://%s:%u/metrics", ma.host, mport);
	}
	{
		uint32_t count, size;

		mds_store_defaults(m.store, &count, &size);
		tlog("file system %s in %s, listening on %s, default stripe "
		     "count %u size %u%s, lease %" PRIu64 " s (orphans wait "
		     "that long for reopens), map %zu MiB, up to %u clients, "
		     "OSTs pinged every %u s", mds_store_fsname(m.store),
		     so.dir, addr, count, size, so.nosync ? ", NOSYNC" : "",
		     lease, mds_store_map_size(m.store) >> 20, max_clients,
		     ping);
		if (so.read_delay_ms)
			tlog("fault injection: --fault-read-delay %u ms",
			     so.read_delay_ms);
		if (m.squash.on)
			tlog("root squash: uid 0 runs as %u, gid 0 as %u, "
			     "except from %u --nosquash prefixes",
			     m.squash.uid, m.squash.gid, m.squash.nnets);
		else if (m.squash.nnets)
			tlog_level(LOG_WARNING, "--nosquash without "
				   "--root-squash: nothing is squashed");
	}
	rc = pthread_create(&thr, NULL, serve, &sa);
	if (rc)
		die("--listen", strerror(rc));
	pthread_detach(thr);
	/* the socket listens (tnet_server_init): connections are taken */
	sd_notifyf(0, "READY=1\nSTATUS=file system %s, listening on %s",
		   mds_store_fsname(m.store), addr);

	rc = 0;
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		tlog_reload(config, lopts, level_cmdline);
	}
	if (sa.rc)
		rc = 1;
	tlog_level(sa.rc ? LOG_ERR : LOG_NOTICE, "%s, shutting down",
		   sa.rc ? "server failed" : strsignal(sig));
	sd_notify(0, "STOPPING=1");
	/* no new connections; requests in progress finish, 5 s at most */
	tnet_server_stop(&srv);
	{
		int left = tnet_server_drain(&srv, 5000);

		if (left)
			tlog_level(LOG_WARNING, "%d requests still in progress "
				   "after 5 s; closing the store under them",
				   left);
	}
	tmetrics_stop();	/* no scrape reads the store from now on */
	mds_osts_stop(m.osts);
	mds_store_close(m.store);	/* waits for calls in progress */
	tlog("store closed");
	fflush(stderr);
	fflush(stdout);
	_exit(rc);
}
