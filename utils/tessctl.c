// SPDX-License-Identifier: MIT
/*
 * tessctl - Tessera administration and inspection.
 *
 *   tessctl --mds HOST[:PORT]@tcp --key FILE COMMAND [ARGS]
 *
 * COMMANDs talk to the daemons through the client library; paths are
 * paths inside the file system ("/dir/file").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tess_client.h"

static const char *prog = "tessctl";

struct ctx {
	const char *mds, *key;
	struct tess_client *c;
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
			printf("OST%04u  %-28s %14s %14s %14s %5s DOWN (%s)\n", osts[i].index,
			       osts[i].addr, "-", "-", "-", "-", strerror(-rc));
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
		fprintf(stderr, "usage: %s put [-c COUNT] [-S SIZE] LOCAL PATH\n", prog);
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
	{ "put",	cmd_put,	"put [-c N] [-S SIZE] LOCAL PATH   copy a local file in" },
	{ "get",	cmd_get,	"get PATH LOCAL|-         copy a file out" },
	{ "rm",		cmd_rm,		"rm PATH...               " },
};

static void usage(FILE *to)
{
	fprintf(to, "usage: %s --mds HOST[:PORT]@tcp --key FILE COMMAND [ARGS]\ncommands:\n", prog);
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
		if (!x.mds || !x.key) {
			fprintf(stderr, "%s: %s: --mds and --key are required\n", prog,
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
