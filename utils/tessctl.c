// SPDX-License-Identifier: MIT
/*
 * tessctl - Tessera administration and inspection.
 *
 *   tessctl --mds HOST[:PORT]@NET --key FILE COMMAND [ARGS]
 *
 *   tessctl COMMAND [ARGS]            (no --mds: on a mounted Tessera)
 *
 * With --mds, COMMANDs talk to the daemons through the client library and
 * paths are paths inside the file system ("/dir/file").  Without it,
 * setstripe, getstripe and df work on paths of a mounted file system,
 * through the ioctls of include/tessera.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mntent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "tess_client.h"
#include "tessctl_check.h"
#include "tessctl_net.h"
#include "tessctl_stats.h"

static const char *prog = "tessctl";

struct ctx {
	const char *mds, *key;
	struct tess_client *c;		/* NULL: mounted mode */
};

static int fail(const char *cmd, const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s: %s\n", prog, cmd, what, strerror(err < 0 ? -err : err));
	return 1;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* -c COUNT -S SIZE -i INDEX into lr; returns optind-style index or -1 */
static int parse_layout(int argc, char **argv, const char *cmd,
			struct tess_layout_req *lr)
{
	uint64_t v;
	int o;

	lr->stripe_size = 0;
	lr->stripe_count = 0;
	lr->stripe_offset = TESS_OST_ANY;
	optind = 1;
	while ((o = getopt(argc, argv, "c:S:i:")) != -1) {
		if (o == '?' || parse_size(optarg, &v)) {
			fprintf(stderr, "%s: %s: bad option or value\n", prog, cmd);
			return -1;
		}
		if (o == 'c') {
			if (v < 1 || v > TESS_MAX_STRIPES) {
				fprintf(stderr, "%s: %s: -c: 1..%d\n", prog, cmd, TESS_MAX_STRIPES);
				return -1;
			}
			lr->stripe_count = (uint16_t)v;
		} else if (o == 'S') {
			if (v < TESS_STRIPE_SIZE_MIN || v > TESS_STRIPE_SIZE_MAX ||
			    v % TESS_STRIPE_SIZE_MIN) {
				fprintf(stderr, "%s: %s: -S: a multiple of 64K up to 1G\n", prog, cmd);
				return -1;
			}
			lr->stripe_size = (uint32_t)v;
		} else {
			if (v >= TESS_MAX_OSTS) {
				fprintf(stderr, "%s: %s: -i: bad OST index\n", prog, cmd);
				return -1;
			}
			lr->stripe_offset = (uint16_t)v;
		}
	}
	return optind;
}

static int cmd_df(struct ctx *x, int argc, char **argv)
{
	struct tess_ost osts[TESS_MAX_OSTS];
	struct tess_statfs sum = { 0 };
	int n;

	(void)argc; (void)argv;
	n = tess_ost_list(x->c, osts, TESS_MAX_OSTS);
	if (n < 0)
		return fail("df", x->mds, n);
	printf("%-8s %-28s %14s %14s %14s %5s %s\n", "OST", "ADDRESS", "1K-blocks",
	       "Used", "Available", "Use%", "STATE");
	for (int i = 0; i < n && i < TESS_MAX_OSTS; i++) {
		struct tess_statfs st;
		int rc = tess_ost_statfs(x->c, osts[i].index, &st);

		if (rc) {
			/* the MDS's view too: a down OST gets no new stripes */
			printf("OST%04u  %-28s %14s %14s %14s %5s DOWN (%s%s)\n", osts[i].index,
			       osts[i].addr, "-", "-", "-", "-", strerror(-rc),
			       osts[i].state == TESS_OST_DOWN ?
			       "; marked down by the MDS" : "");
			continue;
		}
		uint64_t k = st.bsize / 1024 ? st.bsize / 1024 : 1;
		uint64_t total = st.blocks * k, avail = st.bavail * k;
		uint64_t used = (st.blocks - st.bfree) * k;

		printf("OST%04u  %-28s %14" PRIu64 " %14" PRIu64 " %14" PRIu64 " %4.0f%% UP\n",
		       osts[i].index, osts[i].addr, total, used, avail,
		       total ? 100.0 * (double)used / (double)total : 0.0);
		sum.blocks += total;
		sum.bfree += st.bfree * k;
		sum.bavail += avail;
	}
	printf("%-8s %-28s %14" PRIu64 " %14" PRIu64 " %14" PRIu64 "\n", "total", "",
	       sum.blocks, sum.blocks - sum.bfree, sum.bavail);
	return 0;
}

static void print_layout(const struct tess_inode *st)
{
	printf("stripe_count:  %u\n", st->geom.stripe_count);
	printf("stripe_size:   %u\n", st->geom.stripe_size);
	printf("stripe_offset: %d\n", st->stripe_offset == TESS_OST_ANY ? -1 :
	       (int)st->stripe_offset);
	if (st->nobjs) {
		printf("%8s %20s\n", "obdidx", "objid");
		for (uint32_t i = 0; i < st->nobjs; i++)
			printf("%8u %20" PRIu64 "\n", st->objs[i].ost_idx, st->objs[i].oid);
	}
}

static int cmd_getstripe(struct ctx *x, int argc, char **argv)
{
	struct tess_inode *st = malloc(sizeof(*st));
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s getstripe PATH\n", prog);
		free(st);
		return 2;
	}
	rc = tess_getstripe(x->c, argv[1], st);
	if (rc) {
		free(st);
		return fail("getstripe", argv[1], rc);
	}
	printf("%s\n", argv[1]);
	if (!st->pattern)
		printf("(no layout: inherits the file system default)\n");
	else
		print_layout(st);
	free(st);
	return 0;
}

static int cmd_setstripe(struct ctx *x, int argc, char **argv)
{
	struct tess_layout_req lr;
	int i = parse_layout(argc, argv, "setstripe", &lr), rc;

	if (i < 0)
		return 2;
	if (i != argc - 1) {
		fprintf(stderr, "usage: %s setstripe [-c COUNT] [-S SIZE] [-i START_OST] PATH\n", prog);
		return 2;
	}
	rc = tess_setstripe(x->c, argv[i], &lr);
	if (rc == -ENOENT) {	/* like lfs: setstripe on a new name creates it */
		struct tess_file *f;

		rc = tess_open(x->c, argv[i], O_CREAT | O_EXCL, 0644, &lr, &f);
		if (!rc)
			rc = tess_close(f);
	}
	return rc ? fail("setstripe", argv[i], rc) : 0;
}

static int cmd_mkdir(struct ctx *x, int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		int rc = tess_mkdir(x->c, argv[i], 0755);

		if (rc)
			ret = fail("mkdir", argv[i], rc);
	}
	return ret;
}

static int ls_cb(void *arg, const char *name, uint64_t ino, uint32_t type,
		 uint64_t cookie)
{
	(void)arg; (void)type; (void)cookie;
	printf("%10" PRIu64 " %s\n", ino, name);
	return 0;
}

static int cmd_ls(struct ctx *x, int argc, char **argv)
{
	const char *p = argc > 1 ? argv[1] : "/";
	int rc = tess_readdir(x->c, p, ls_cb, NULL);

	return rc ? fail("ls", p, rc) : 0;
}

static int cmd_stat(struct ctx *x, int argc, char **argv)
{
	struct tess_inode *st = malloc(sizeof(*st));
	int rc;

	if (argc != 2) {
		free(st);
		fprintf(stderr, "usage: %s stat PATH\n", prog);
		return 2;
	}
	rc = tess_stat(x->c, argv[1], st);
	if (!rc)
		printf("ino %" PRIu64 " mode %o nlink %u uid %u gid %u size %" PRIu64
		       " mtime %lld.%09ld\n", st->ino, st->mode, st->nlink, st->uid,
		       st->gid, st->size, (long long)st->mtime.tv_sec, st->mtime.tv_nsec);
	free(st);
	return rc ? fail("stat", argv[1], rc) : 0;
}

static int cmd_put(struct ctx *x, int argc, char **argv)
{
	struct tess_layout_req lr;
	int i = parse_layout(argc, argv, "put", &lr), fd, rc = 0;
	struct tess_file *f;
	uint64_t off = 0;
	char *buf;

	if (i < 0)
		return 2;
	if (i != argc - 2) {
		fprintf(stderr, "usage: %s put [-c COUNT] [-S SIZE] [-i START_OST] LOCAL PATH\n", prog);
		return 2;
	}
	fd = open(argv[i], O_RDONLY);
	if (fd < 0)
		return fail("put", argv[i], errno);
	rc = tess_open(x->c, argv[i + 1], O_CREAT | O_TRUNC, 0644, &lr, &f);
	if (rc) {
		close(fd);
		return fail("put", argv[i + 1], rc);
	}
	buf = malloc(16 << 20);
	for (;;) {
		ssize_t n = read(fd, buf, 16 << 20);

		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		rc = (int)tess_pwrite(f, buf, (size_t)n, off);
		if (rc < 0)
			break;
		off += (uint64_t)n;
		rc = 0;
	}
	if (!rc)
		rc = tess_fsync(f);
	if (tess_close(f) && !rc)
		rc = -EIO;
	free(buf);
	close(fd);
	return rc ? fail("put", argv[i + 1], rc) : 0;
}

static int cmd_get(struct ctx *x, int argc, char **argv)
{
	struct tess_file *f;
	uint64_t off = 0;
	int fd, rc;
	char *buf;

	if (argc != 3) {
		fprintf(stderr, "usage: %s get PATH LOCAL\n", prog);
		return 2;
	}
	rc = tess_open(x->c, argv[1], 0, 0, NULL, &f);
	if (rc)
		return fail("get", argv[1], rc);
	fd = strcmp(argv[2], "-") ? open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644) : 1;
	if (fd < 0) {
		tess_close(f);
		return fail("get", argv[2], errno);
	}
	buf = malloc(16 << 20);
	for (;;) {
		ssize_t n = tess_pread(f, buf, 16 << 20, off);

		if (n <= 0) {
			rc = (int)n;
			break;
		}
		if (write(fd, buf, (size_t)n) != n) {
			rc = -errno;
			break;
		}
		off += (uint64_t)n;
	}
	free(buf);
	if (fd != 1)
		close(fd);
	tess_close(f);
	return rc ? fail("get", argv[1], rc) : 0;
}

static int cmd_rm(struct ctx *x, int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		int rc = tess_unlink(x->c, argv[i]);

		if (rc)
			ret = fail("rm", argv[i], rc);
	}
	return ret;
}

/* ---- on a mounted file system, through ioctls ---- */

static int local_getstripe(const char *path)
{
	struct tess_ioc_stripe *is = calloc(1, sizeof(*is));
	int fd = open(path, O_RDONLY | O_NONBLOCK), rc = 0;

	if (!is || fd < 0) {
		rc = fail("getstripe", path, fd < 0 ? errno : ENOMEM);
		goto out;
	}
	if (ioctl(fd, TESS_IOC_GETSTRIPE, is)) {
		rc = fail("getstripe", path, errno == ENOTTY ? ENOTSUP : errno);
		goto out;
	}
	printf("%s\n", path);
	printf("stripe_count:  %u\n", is->stripe_count);
	printf("stripe_size:   %u\n", is->stripe_size);
	printf("stripe_offset: %d\n", is->stripe_offset == TESS_OST_ANY ? -1 :
	       (int)is->stripe_offset);
	if (is->count_out) {
		printf("%8s %20s\n", "obdidx", "objid");
		for (unsigned int i = 0; i < is->count_out && i < TESS_MAX_STRIPES; i++)
			printf("%8u %20llu\n", is->objs[i].ost_idx,
			       (unsigned long long)is->objs[i].oid);
	}
out:
	if (fd >= 0)
		close(fd);
	free(is);
	return rc;
}

static int local_setstripe(const char *path, const struct tess_layout_req *lr)
{
	struct tess_ioc_stripe *is = calloc(1, sizeof(*is));
	int fd, rc = 0;

	if (!is)
		return fail("setstripe", path, ENOMEM);
	/* like lfs: a new name becomes an empty file with that layout */
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		free(is);
		return fail("setstripe", path, errno);
	}
	is->stripe_size = lr->stripe_size;
	is->stripe_count = lr->stripe_count;
	is->stripe_offset = lr->stripe_offset;
	if (ioctl(fd, TESS_IOC_SETSTRIPE, is))
		rc = fail("setstripe", path, errno == ENOTTY ? ENOTSUP : errno);
	close(fd);
	free(is);
	return rc;
}

static int local_df_one(const char *mnt)
{
	struct tess_ioc_ost_statfs os;
	uint64_t tb = 0, tu = 0, ta = 0;
	int fd = open(mnt, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return fail("df", mnt, errno);
	printf("%-8s %-24s %14s %14s %14s %5s %s\n", "OST", "ADDRESS", "1K-blocks",
	       "Used", "Available", "Use%", "STATE");
	memset(&os, 0, sizeof(os));
	while (ioctl(fd, TESS_IOC_OST_STATFS, &os) == 0) {
		uint64_t k = os.bsize / 1024 ? os.bsize / 1024 : 1;
		uint64_t total = os.blocks * k, used = (os.blocks - os.bfree) * k;
		uint64_t avail = os.bavail * k;

		if (os.state == TESS_OST_UP) {
			printf("OST%04u  %-24s %14" PRIu64 " %14" PRIu64 " %14" PRIu64
			       " %4.0f%% UP\n", os.index, os.addr, total, used, avail,
			       total ? 100.0 * (double)used / (double)total : 0.0);
			tb += total;
			tu += used;
			ta += avail;
		} else {
			printf("OST%04u  %-24s %14s %14s %14s %5s DOWN\n", os.index,
			       os.addr, "-", "-", "-", "-");
		}
		os.index++;
	}
	if (errno != ENODEV) {
		int e = errno;

		close(fd);
		return fail("df", mnt, e == ENOTTY ? ENOTSUP : e);
	}
	close(fd);
	printf("%-8s %-24s %14" PRIu64 " %14" PRIu64 " %14" PRIu64 "  %s\n",
	       "total", "", tb, tu, ta, mnt);
	return 0;
}

static int local_df(int argc, char **argv)
{
	struct mntent *me;
	FILE *f;
	int rc = 0, n = 0;

	if (argc > 1)
		return local_df_one(argv[1]);
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return fail("df", "/proc/self/mounts", errno);
	while ((me = getmntent(f))) {
		if (strcmp(me->mnt_type, "tessera"))
			continue;
		if (n++)
			printf("\n");
		rc |= local_df_one(me->mnt_dir);
	}
	endmntent(f);
	if (!n) {
		fprintf(stderr, "%s: df: no Tessera file system is mounted (or give --mds)\n", prog);
		return 1;
	}
	return rc;
}

static int cmd_local(const char *cmd, int argc, char **argv)
{
	struct tess_layout_req lr;
	int i;

	if (!strcmp(cmd, "df"))
		return local_df(argc, argv);
	if (!strcmp(cmd, "getstripe")) {
		int rc = 0;

		if (argc < 2) {
			fprintf(stderr, "usage: %s getstripe PATH...\n", prog);
			return 2;
		}
		for (i = 1; i < argc; i++)
			rc |= local_getstripe(argv[i]);
		return rc;
	}
	if (!strcmp(cmd, "setstripe")) {
		i = parse_layout(argc, argv, "setstripe", &lr);
		if (i < 0)
			return 2;
		if (i != argc - 1) {
			fprintf(stderr, "usage: %s setstripe [-c COUNT] [-S SIZE] [-i START_OST] PATH\n", prog);
			return 2;
		}
		return local_setstripe(argv[i], &lr);
	}
	fprintf(stderr, "%s: %s: needs --mds and --key (not available on a mounted path)\n",
		prog, cmd);
	return 2;
}

static int cmd_check(struct ctx *x, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s check\n", prog);
		return 2;
	}
	return tessctl_check(x->c);
}

/* the kernel network layer, over generic netlink: neither mounts nor --mds */
static int cmd_net(struct ctx *x, int argc, char **argv)
{
	(void)x;
	return tessctl_net(argc, argv);
}

static int cmd_peer(struct ctx *x, int argc, char **argv)
{
	(void)x;
	return tessctl_peer(argc, argv);
}

/* a mount's /sys/fs/tessera/ directory: no --mds; --servers: the
 * daemons' counters over STATS requests, with --mds (or a mount's) */
static int cmd_stats(struct ctx *x, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--servers"))
			return tessctl_srvstats(x->mds, x->key, argc, argv);
	return tessctl_stats(argc, argv);
}

static const struct cmd {
	const char *name;
	int (*fn)(struct ctx *x, int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "df",		cmd_df,		"df                       per-OST usage" },
	{ "getstripe",	cmd_getstripe,	"getstripe PATH           layout of a file or directory" },
	{ "setstripe",	cmd_setstripe,	"setstripe [-c N] [-S SIZE] [-i OST] PATH" },
	{ "mkdir",	cmd_mkdir,	"mkdir PATH...            " },
	{ "ls",		cmd_ls,		"ls [PATH]                " },
	{ "stat",	cmd_stat,	"stat PATH                " },
	{ "put",	cmd_put,	"put [-c N] [-S SIZE] [-i OST] LOCAL PATH   copy a local file in" },
	{ "get",	cmd_get,	"get PATH LOCAL|-         copy a file out" },
	{ "rm",		cmd_rm,		"rm PATH...               " },
	{ "check",	cmd_check,	"check                    objects no file owns (orphan), files' objects gone (missing);\n"
					"                           exit 0 clean, 1 findings (one line each), 2 cannot check" },
	{ "net",	cmd_net,	"net show [--net NET] [--json]   networks of the kernel network layer (tessera_lnet)\n"
					"  net add --net NET --if IFACE [--json]   use interface IFACE for network NET (root;\n"
					"                           loads tessera_lnet and the transport tessera-lnet-NET)\n"
					"  net del --net NET --if IFACE [--json]   stop using it" },
	{ "peer",	cmd_peer,	"peer show [--net NET] [--json]  its server connections: state, messages, bytes" },
	{ "stats",	cmd_stats,	"stats [MOUNT...] [-i SECONDS [-n COUNT]] [--json]   per-OST RPC counters of mounts\n"
					"                           (/sys/fs/tessera/); -i: per second over each interval\n"
					"  stats --servers [MOUNT] [-i SECONDS [-n COUNT]] [--json]   the MDS's and each\n"
					"                           OST's request counters and requests in flight (STATS\n"
					"                           requests; needs --key); -i: per second over each interval" },
};

static void usage(FILE *to)
{
	fprintf(to, "usage: %s [--mds HOST[:PORT]@NET --key FILE] COMMAND [ARGS]\n"
		"without --mds, df, getstripe and setstripe work on a mounted Tessera\n"
		"commands:\n", prog);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(to, "  %s\n", cmds[i].help);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mds", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ctx x = { .mds = getenv("TESS_MDS"), .key = getenv("TESS_KEY") };
	char err[256];
	int o, rc;

	while ((o = getopt_long(argc, argv, "+m:k:h", opts, NULL)) != -1) {
		switch (o) {
		case 'm': x.mds = optarg; break;
		case 'k': x.key = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, argv[optind]))
			continue;
		if (cmds[i].fn == cmd_net || cmds[i].fn == cmd_peer ||
		    cmds[i].fn == cmd_stats)
			return cmds[i].fn(&x, argc - optind, argv + optind);
		if (!x.mds)
			return cmd_local(cmds[i].name, argc - optind, argv + optind);
		if (!x.key) {
			fprintf(stderr, "%s: %s: --key is required with --mds\n", prog,
				cmds[i].name);
			return 2;
		}
		rc = tess_client_open(x.mds, x.key, 10000, &x.c, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "%s: %s: %s\n", prog, cmds[i].name, err);
			return 1;
		}
		rc = cmds[i].fn(&x, argc - optind, argv + optind);
		tess_client_close(x.c);
		return rc;
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[optind]);
	usage(stderr);
	return 2;
}
