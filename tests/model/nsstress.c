/* SPDX-License-Identifier: MIT */
/*
 * nsstress.c - multi-process namespace stress with a model, over one or
 * more mount points of the same file system (two mounts of Tessera are two
 * clients).
 *
 *   nsstress run    [-p NPROC] [-n OPS] [-S SEED] [-d LOGDIR] [-w SECS]
 *                   [MDS options] ROOT...
 *   nsstress verify [-p NPROC] [-d LOGDIR] [MDS options] ROOT...
 *   MDS options:    -m MDS@tcp -k KEYFILE -M PATH_OF_ROOT_ON_THE_MDS
 *   -F OP           self-test: process 0 unlinks one of its files behind
 *                   the model's back at operation OP (the run must fail)
 *
 * Every ROOT is the same directory seen through a different mount.  `run`
 * makes ROOT/p0..p(N-1) and ROOT/shared, then forks NPROC processes;
 * process i works through ROOT number i % (number of ROOTs) and
 *
 *  - in its own subtree pI does random create (O_EXCL, the file holding a
 *    unique tag "pI-K"), mkdir, unlink, rmdir, link, rename (files and
 *    directories, onto existing targets, into itself), stat and readdir.
 *    The subtree is touched by this process only, through one client, so
 *    the outcome of every call is determined: an exact model predicts its
 *    return value and errno, every readdir is compared with the model,
 *    and at the end the model (LOGDIR/pI.model) must equal the tree;
 *  - in ROOT/shared (and shared/dK), shared with all processes and both
 *    clients, does the same kinds of operation; there only the set of
 *    errnos is checked (ENOENT, EEXIST, ENOTEMPTY; opening a directory
 *    may fail with ENOENT, its fstat and getdents may not fail).  A name
 *    listed twice in one readdir is only counted there: with concurrent
 *    renames two files may have had it one after the other.
 *
 * Every operation is logged to LOGDIR/pI.log with its result, after a
 * CLOCK_MONOTONIC time stamp (sort -n LOGDIR/p*.log: all in time order).  After the
 * processes end, and in `verify` (after the caller dropped caches or
 * remounted), the whole tree is read through each ROOT, and through the
 * MDS with the client library if -m is given, and checked:
 *  - each directory lists every name once, and lstat of each name works;
 *  - a file's link count equals the number of names that reach its inode,
 *    a directory's equals 2 + its subdirectories;
 *  - names with the same inode hold the same tag, different inodes
 *    different tags, no file lost its tag;
 *  - each pI equals its model exactly (names, types, links, tags);
 *  - all views (every ROOT and the MDS) are identical, inode numbers too.
 * Exit status 0 when everything held, 1 otherwise, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tess_client.h"

#define MAXROOTS	8
#define MAXPROC		64
#define PATHMAX		512
#define TAGMAX		32
#define MAXDEPTH	4

static int nproc = 4;
static unsigned long nops = 2000;
static unsigned long long seed = 1;
static const char *logdir = ".";
static int wait_secs;
static const char *roots[MAXROOTS];
static int nroots;
static const char *mds_addr, *mds_key, *mds_path;
static unsigned long inject_op;		/* -F: self-test */

/* ---------------- random ---------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rn(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

/* ---------------- the model of one private subtree ---------------- */

struct node {
	char name[8];
	int parent;		/* node index; -1 for the subtree's root */
	int dir;
	int ino;		/* files: index into inodes */
	int alive;
};

static struct node *nodes;
static int nnodes, cap_nodes;
static int *inode_links;	/* links of each file inode */
static int ninodes, cap_inodes;
static int me;			/* process number */

static int new_node(const char *name, int parent, int dir, int ino)
{
	if (nnodes == cap_nodes) {
		cap_nodes = cap_nodes ? cap_nodes * 2 : 256;
		nodes = realloc(nodes, cap_nodes * sizeof(*nodes));
		if (!nodes)
			abort();
	}
	snprintf(nodes[nnodes].name, sizeof(nodes[nnodes].name), "%s", name);
	nodes[nnodes].parent = parent;
	nodes[nnodes].dir = dir;
	nodes[nnodes].ino = ino;
	nodes[nnodes].alive = 1;
	return nnodes++;
}

static int new_inode(void)
{
	if (ninodes == cap_inodes) {
		cap_inodes = cap_inodes ? cap_inodes * 2 : 256;
		inode_links = realloc(inode_links, cap_inodes * sizeof(int));
		if (!inode_links)
			abort();
	}
	inode_links[ninodes] = 1;
	return ninodes++;
}

static int lookup(int dir, const char *name)
{
	for (int i = 0; i < nnodes; i++)
		if (nodes[i].alive && nodes[i].parent == dir &&
		    !strcmp(nodes[i].name, name))
			return i;
	return -1;
}

static int nchildren(int dir, int dirs_only)
{
	int n = 0;

	for (int i = 0; i < nnodes; i++)
		if (nodes[i].alive && nodes[i].parent == dir &&
		    (!dirs_only || nodes[i].dir))
			n++;
	return n;
}

static int depth(int n)
{
	int d = 0;

	while (nodes[n].parent >= 0) {
		n = nodes[n].parent;
		d++;
	}
	return d;
}

/* is a inside b (or b itself)? */
static int within(int a, int b)
{
	for (; a >= 0; a = nodes[a].parent)
		if (a == b)
			return 1;
	return 0;
}

/* the path of node n relative to the ROOT ("p3/a/b") */
static void node_path(int n, char *out, size_t len)
{
	char tmp[PATHMAX];

	if (nodes[n].parent < 0) {
		snprintf(out, len, "p%d", me);
		return;
	}
	node_path(nodes[n].parent, tmp, sizeof(tmp));
	if (snprintf(out, len, "%s/%s", tmp, nodes[n].name) >= (int)len)
		abort();		/* deeper than PATHMAX: cannot happen */
}

static void tag_of(int proc, int ino, char *out, size_t len)
{
	snprintf(out, len, "p%d-%d", proc, ino);
}

static int random_dir(int maxdepth)
{
	int cand[4096], nc = 0;

	for (int i = 0; i < nnodes && nc < 4096; i++)
		if (nodes[i].alive && nodes[i].dir && depth(i) < maxdepth)
			cand[nc++] = i;
	return cand[rn(nc)];
}

static const char *pool[] = { "a", "b", "c", "d", "e", "f", "g" };
#define NPOOL ((int)(sizeof(pool) / sizeof(pool[0])))

/* ---------------- logging ---------------- */

static FILE *logf_;
static unsigned long seq;
static int failed;
static unsigned long n_ok, n_err_expected, n_shared_ok, n_shared_err, n_shared_dups;

/* every log line starts with CLOCK_MONOTONIC in microseconds, so the
 * logs of all processes can be merged in time order (sort -n) */
static void __attribute__((format(printf, 1, 2))) logmsg(const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(logf_, "%lld.%06ld p%d ", (long long)ts.tv_sec, ts.tv_nsec / 1000, me);
	va_start(ap, fmt);
	vfprintf(logf_, fmt, ap);
	va_end(ap);
}

static const char *errname(int e)
{
	static char b[16];

	switch (e) {
	case 0: return "0";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ESTALE: return "ESTALE";
	case EIO: return "EIO";
	case EBUSY: return "EBUSY";
	}
	snprintf(b, sizeof(b), "errno%d", e);
	return b;
}

/* the result of a private operation: got must be one of want[] */
static int expect(const char *what, int got, int want1, int want2)
{
	int ok = got == want1 || (want2 >= 0 && got == want2);

	logmsg("%lu %s -> %s (model: %s%s%s)%s\n", seq, what, errname(got),
	       errname(want1), want2 >= 0 ? " or " : "",
	       want2 >= 0 ? errname(want2) : "", ok ? "" : "  <-- MISMATCH");
	if (!ok) {
		fprintf(stderr, "nsstress: p%d: op %lu: %s returned %s, the model expected %s%s%s (log %s/p%d.log)\n",
			me, seq, what, errname(got), errname(want1),
			want2 >= 0 ? " or " : "", want2 >= 0 ? errname(want2) : "",
			logdir, me);
		failed = 1;
	} else if (got) {
		n_err_expected++;
	} else {
		n_ok++;
	}
	return ok;
}

/* ---------------- private operations ---------------- */

static const char *root;	/* this process's ROOT */

static void full(const char *rel, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", root, rel);
}

static int create_file(const char *path, const char *tag)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644), e;
	size_t n = strlen(tag);

	if (fd < 0)
		return errno;
	e = write(fd, tag, n) == (ssize_t)n ? 0 : (errno ? errno : EIO);
	if (close(fd) && !e)
		e = errno;
	return e;
}

/* a random existing node (not pI itself): kind 1 files, 2 directories */
static int random_node(int kind)
{
	int cand[4096], nc = 0;

	for (int i = 1; i < nnodes && nc < 4096; i++)
		if (nodes[i].alive && (kind == 3 || (kind == 2) == nodes[i].dir))
			cand[nc++] = i;
	return nc ? cand[rn(nc)] : -1;
}

/*
 * A (dir, name) pair to act on; *n is the node there, or -1.  With
 * prefer (1 a file, 2 a directory, 3 either) half the time a name that
 * exists, else any name of the pool in any directory.
 */
static int pick_name(int maxdepth, char *rel, size_t len, int *n, int prefer)
{
	int d = random_dir(maxdepth), e;
	const char *name = pool[rn(NPOOL)];
	char dp[PATHMAX];

	if (prefer && rn(2) && (e = random_node(prefer)) >= 0) {
		node_path(e, rel, len);
		*n = e;
		return nodes[e].parent;
	}

	node_path(d, dp, sizeof(dp));
	if (snprintf(rel, len, "%s/%s", dp, name) >= (int)len)
		abort();
	*n = lookup(d, name);
	return d;
}

static void priv_create(int mkdir_)
{
	char rel[PATHMAX], p[PATHMAX + 256], what[PATHMAX + 32], tag[TAGMAX];
	int n, d = pick_name(MAXDEPTH, rel, sizeof(rel), &n, 0), got, ino = -1;

	full(rel, p, sizeof(p));
	if (mkdir_) {
		got = mkdir(p, 0755) ? errno : 0;
	} else {
		/* the tag names the inode it will be if this succeeds */
		tag_of(me, ninodes, tag, sizeof(tag));
		got = create_file(p, tag);
	}
	snprintf(what, sizeof(what), "%s %s", mkdir_ ? "mkdir" : "create", rel);
	if (expect(what, got, n >= 0 ? EEXIST : 0, -1) && !got) {
		if (!mkdir_)
			ino = new_inode();
		new_node(strrchr(rel, '/') + 1, d, mkdir_, ino);
	}
}

static void priv_unlink(void)
{
	char rel[PATHMAX], p[PATHMAX + 256], what[PATHMAX + 32];
	int n, got, want;

	pick_name(MAXDEPTH + 1, rel, sizeof(rel), &n, 1);
	full(rel, p, sizeof(p));
	got = unlink(p) ? errno : 0;
	want = n < 0 ? ENOENT : nodes[n].dir ? EISDIR : 0;
	snprintf(what, sizeof(what), "unlink %s", rel);
	if (expect(what, got, want, -1) && !got) {
		nodes[n].alive = 0;
		inode_links[nodes[n].ino]--;
	}
}

static void priv_rmdir(void)
{
	char rel[PATHMAX], p[PATHMAX + 256], what[PATHMAX + 32];
	int n, got, want, alt = -1;

	pick_name(MAXDEPTH + 1, rel, sizeof(rel), &n, 2);
	full(rel, p, sizeof(p));
	got = rmdir(p) ? errno : 0;
	if (n < 0) {
		want = ENOENT;
	} else if (!nodes[n].dir) {
		want = ENOTDIR;
	} else if (nchildren(n, 0)) {
		want = ENOTEMPTY;
		alt = EEXIST;
	} else {
		want = 0;
	}
	snprintf(what, sizeof(what), "rmdir %s", rel);
	if (expect(what, got, want, alt) && !got)
		nodes[n].alive = 0;
}

static void priv_link(void)
{
	char r1[PATHMAX], r2[PATHMAX], p1[PATHMAX + 256], p2[PATHMAX + 256];
	char what[2 * PATHMAX + 32];
	int s, t, got, want, alt = -1, d;

	pick_name(MAXDEPTH + 1, r1, sizeof(r1), &s, 1);
	d = pick_name(MAXDEPTH, r2, sizeof(r2), &t, 0);
	full(r1, p1, sizeof(p1));
	full(r2, p2, sizeof(p2));
	got = link(p1, p2) ? errno : 0;
	if (s < 0) {
		want = ENOENT;
	} else if (t >= 0) {
		want = EEXIST;
		if (nodes[s].dir)
			alt = EPERM;
	} else if (nodes[s].dir) {
		want = EPERM;
	} else {
		want = 0;
	}
	snprintf(what, sizeof(what), "link %s %s", r1, r2);
	if (expect(what, got, want, alt) && !got) {
		new_node(strrchr(r2, '/') + 1, d, 0, nodes[s].ino);
		inode_links[nodes[s].ino]++;
	}
}

static void priv_rename(void)
{
	char r1[PATHMAX], r2[PATHMAX], p1[PATHMAX + 256], p2[PATHMAX + 256];
	char what[2 * PATHMAX + 32];
	int s, t, got, want, alt = -1, d, noop = 0;

	pick_name(MAXDEPTH + 1, r1, sizeof(r1), &s, 3);
	/* the target: sometimes an existing name (replace, same inode) */
	d = pick_name(MAXDEPTH, r2, sizeof(r2), &t, rn(4) ? 0 : 3);
	full(r1, p1, sizeof(p1));
	full(r2, p2, sizeof(p2));
	got = rename(p1, p2) ? errno : 0;
	if (s < 0) {
		want = ENOENT;
	} else if (s == t) {
		want = 0;		/* the same name: nothing happens */
		noop = 1;
	} else if (nodes[s].dir && within(d, s)) {
		want = EINVAL;		/* a directory into itself */
	} else if (t >= 0 && nodes[t].dir && within(s, t)) {
		want = ENOTEMPTY;	/* onto an ancestor (the VFS says so first) */
	} else if (t < 0) {
		want = 0;
	} else if (!nodes[s].dir && !nodes[t].dir && nodes[s].ino == nodes[t].ino) {
		want = 0;		/* two links of one inode: POSIX no-op */
		noop = 1;
	} else if (!nodes[s].dir && nodes[t].dir) {
		want = EISDIR;
	} else if (nodes[s].dir && !nodes[t].dir) {
		want = ENOTDIR;
	} else if (nodes[s].dir && nchildren(t, 0)) {
		want = ENOTEMPTY;
		alt = EEXIST;
	} else {
		want = 0;
	}
	snprintf(what, sizeof(what), "rename %s %s", r1, r2);
	if (expect(what, got, want, alt) && !got && !noop) {
		if (t >= 0) {
			nodes[t].alive = 0;
			if (!nodes[t].dir)
				inode_links[nodes[t].ino]--;
		}
		nodes[s].parent = d;
		snprintf(nodes[s].name, sizeof(nodes[s].name), "%s",
			 strrchr(r2, '/') + 1);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static void priv_readdir(void)
{
	int d = random_dir(MAXDEPTH + 1), nm = 0, ng = 0, ok = 1;
	char rel[PATHMAX], p[PATHMAX + 256], *model[64], *got[256];
	char what[PATHMAX + 512];
	DIR *dh;
	struct dirent *de;

	node_path(d, rel, sizeof(rel));
	full(rel, p, sizeof(p));
	for (int i = 0; i < nnodes; i++)
		if (nodes[i].alive && nodes[i].parent == d && nm < 64)
			model[nm++] = nodes[i].name;
	dh = opendir(p);
	if (!dh) {
		snprintf(what, sizeof(what), "readdir %s", rel);
		expect(what, errno, 0, -1);
		return;
	}
	while ((de = readdir(dh)) && ng < 256) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		got[ng++] = strdup(de->d_name);
	}
	closedir(dh);
	qsort(model, nm, sizeof(char *), cmp_str);
	qsort(got, ng, sizeof(char *), cmp_str);
	if (nm != ng)
		ok = 0;
	for (int i = 0; ok && i < nm; i++)
		if (strcmp(model[i], got[i]))
			ok = 0;
	{
		size_t o = snprintf(what, sizeof(what), "readdir %s: [", rel);

		for (int i = 0; i < ng && o < sizeof(what) - 16; i++)
			o += snprintf(what + o, sizeof(what) - o, "%s%s", i ? " " : "", got[i]);
		if (!ok) {
			o += snprintf(what + o, sizeof(what) - o, "] model [");
			for (int i = 0; i < nm && o < sizeof(what) - 16; i++)
				o += snprintf(what + o, sizeof(what) - o, "%s%s", i ? " " : "", model[i]);
		}
		snprintf(what + o, sizeof(what) - o, "]");
	}
	/* a listing that differs: reported as EIO against an expected 0 */
	expect(what, ok ? 0 : EIO, 0, -1);
	for (int i = 0; i < ng; i++)
		free(got[i]);
}

static void priv_stat(void)
{
	char rel[PATHMAX], p[PATHMAX + 256], what[PATHMAX + 96];
	struct stat st;
	int n, got;

	pick_name(MAXDEPTH + 1, rel, sizeof(rel), &n, 3);
	full(rel, p, sizeof(p));
	got = lstat(p, &st) ? errno : 0;
	snprintf(what, sizeof(what), "stat %s", rel);
	if (!got && n >= 0) {
		int want_dir = nodes[n].dir;
		unsigned long want_nlink = want_dir ?
			(unsigned long)(2 + nchildren(n, 1)) :
			(unsigned long)inode_links[nodes[n].ino];

		if ((S_ISDIR(st.st_mode) ? 1 : 0) != want_dir ||
		    (unsigned long)st.st_nlink != want_nlink) {
			snprintf(what, sizeof(what), "stat %s: %s nlink %lu, model %s nlink %lu",
				 rel, S_ISDIR(st.st_mode) ? "dir" : "file",
				 (unsigned long)st.st_nlink, want_dir ? "dir" : "file",
				 want_nlink);
			got = EIO;
		}
	}
	expect(what, got, n >= 0 ? 0 : ENOENT, -1);
}

/* ---------------- shared operations ---------------- */

static unsigned long shared_tags, shared_bad;

static void shared_name(char *out, size_t len, int files)
{
	int d = rn(4);

	if (files) {
		if (d < 3)
			snprintf(out, len, "shared/d%d/s%d", d, rn(8));
		else
			snprintf(out, len, "shared/s%d", rn(8));
	} else {
		snprintf(out, len, "shared/d%d", rn(3));
	}
}

static void shared_result(const char *what, int got, const int *allowed)
{
	int ok = !got;

	for (; !ok && *allowed; allowed++)
		if (got == *allowed)
			ok = 1;
	logmsg("%lu %s -> %s%s\n", seq, what, errname(got),
	       ok ? "" : "  <-- NOT ALLOWED");
	if (!ok) {
		if (shared_bad++ < 5)
			fprintf(stderr, "nsstress: p%d: op %lu: %s in the shared directory returned %s (log %s/p%d.log)\n",
				me, seq, what, errname(got), logdir, me);
		/* not the model's business: the process goes on */
	}
	if (got)
		n_shared_err++;
	else
		n_shared_ok++;
}

static void shared_op(void)
{
	static const int e_create[] = { EEXIST, ENOENT, 0 };
	static const int e_remove[] = { ENOENT, 0 };
	static const int e_rmdir[] = { ENOENT, ENOTEMPTY, EEXIST, 0 };
	static const int e_link[] = { ENOENT, EEXIST, 0 };
	static const int e_rendir[] = { ENOENT, ENOTEMPTY, EEXIST, 0 };
	static const int e_none[] = { 0 };
	/*
	 * A directory removed through another mount while open here: its
	 * fstat, like NFS's, says ESTALE (the MDS no longer knows the inode;
	 * README, "Consistency"); a local file system would still answer.
	 */
	static const int e_gone[] = { ESTALE, 0 };
	char r1[64], r2[64], p1[PATHMAX], p2[PATHMAX], what[256], tag[TAGMAX];
	int got, k = rn(9);

	shared_name(r1, sizeof(r1), k != 1 && k != 3 && k != 6);
	full(r1, p1, sizeof(p1));
	switch (k) {
	case 0:
		snprintf(tag, sizeof(tag), "p%d-s%lu", me, shared_tags++);
		got = create_file(p1, tag);
		snprintf(what, sizeof(what), "shared create %s (%s)", r1, tag);
		shared_result(what, got, e_create);
		break;
	case 1:
		got = mkdir(p1, 0755) ? errno : 0;
		snprintf(what, sizeof(what), "shared mkdir %s", r1);
		shared_result(what, got, e_create);
		break;
	case 2:
		got = unlink(p1) ? errno : 0;
		snprintf(what, sizeof(what), "shared unlink %s", r1);
		shared_result(what, got, e_remove);
		break;
	case 3:
		got = rmdir(p1) ? errno : 0;
		snprintf(what, sizeof(what), "shared rmdir %s", r1);
		shared_result(what, got, e_rmdir);
		break;
	case 4:
		shared_name(r2, sizeof(r2), 1);
		full(r2, p2, sizeof(p2));
		got = link(p1, p2) ? errno : 0;
		snprintf(what, sizeof(what), "shared link %s %s", r1, r2);
		shared_result(what, got, e_link);
		break;
	case 5:
		shared_name(r2, sizeof(r2), 1);
		full(r2, p2, sizeof(p2));
		got = rename(p1, p2) ? errno : 0;
		snprintf(what, sizeof(what), "shared rename %s %s", r1, r2);
		shared_result(what, got, e_remove);
		break;
	case 6:
		shared_name(r2, sizeof(r2), 0);
		full(r2, p2, sizeof(p2));
		got = rename(p1, p2) ? errno : 0;
		snprintf(what, sizeof(what), "shared rename %s %s", r1, r2);
		shared_result(what, got, e_rendir);
		break;
	default: {	/* readdir: no name twice */
		DIR *dh;
		struct dirent *de;
		char *names[256];
		int n = 0, dup = 0;

		struct stat st;
		int fd;

		if (k == 7)
			snprintf(r1, sizeof(r1), "shared");
		else
			shared_name(r1, sizeof(r1), 0);
		full(r1, p1, sizeof(p1));
		/* opendir() step by step, to name the call that failed */
		fd = open(p1, O_RDONLY | O_DIRECTORY);
		if (fd < 0) {
			snprintf(what, sizeof(what), "shared readdir %s: open", r1);
			shared_result(what, errno, e_remove);
			break;
		}
		if (fstat(fd, &st)) {
			/* an open directory: fstat cannot say ENOENT */
			snprintf(what, sizeof(what), "shared readdir %s: fstat of the open directory", r1);
			shared_result(what, errno, e_gone);
			close(fd);
			break;
		}
		dh = fdopendir(fd);
		if (!dh) {
			snprintf(what, sizeof(what), "shared readdir %s: fdopendir", r1);
			shared_result(what, errno, e_none);
			close(fd);
			break;
		}
		errno = 0;
		while ((de = readdir(dh)) && n < 256) {
			names[n++] = strdup(de->d_name);
			errno = 0;
		}
		if (!de && errno) {
			/* getdents on a directory removed since: allowed to end
			 * early (or list nothing), not to fail */
			snprintf(what, sizeof(what), "shared readdir %s: getdents after %d names",
				 r1, n);
			shared_result(what, errno, e_none);
		}
		closedir(dh);
		const char *dupname = "";

		qsort(names, n, sizeof(char *), cmp_str);
		for (int i = 1; i < n; i++)
			if (!strcmp(names[i], names[i - 1])) {
				dup = 1;
				dupname = names[i];
			}
		/*
		 * A name twice in one pass is allowed while others rename and
		 * create: it can be two files that had the name one after the
		 * other (POSIX leaves entries added during the pass open).
		 * At rest (verify) a name listed twice is an error.
		 */
		snprintf(what, sizeof(what), "shared readdir %s: %d names%s%s%s", r1, n,
			 dup ? ", " : "", dupname,
			 dup ? " twice (allowed: concurrent renames)" : "");
		if (dup)
			n_shared_dups++;
		shared_result(what, 0, e_remove);
		for (int i = 0; i < n; i++)
			free(names[i]);
	}
	}
}

/* ---------------- one process ---------------- */

static int child(int i)
{
	char path[PATHMAX], rel[PATHMAX], line[PATHMAX + 64];
	FILE *mf;
	unsigned long counts[10] = { 0 };

	me = i;
	root = roots[i % nroots];
	rng_state = seed * 1000003ULL + i;
	snprintf(path, sizeof(path), "%s/p%d.log", logdir, i);
	logf_ = fopen(path, "w");
	if (!logf_) {
		perror(path);
		return 2;
	}
	setvbuf(logf_, NULL, _IOLBF, 0);
	logmsg("# p%d seed %llu root %s ops %lu\n", i, seed, root, nops);
	new_node("", -1, 1, -1);	/* the subtree's root, pI */
	for (seq = 1; seq <= nops && !failed; seq++) {
		int k = rn(100);

		if (me == 0 && seq == inject_op) {
			/* self-test: a file disappears behind the model's back */
			int e = random_node(1);
			char r[PATHMAX], fp[PATHMAX + 256];

			if (e < 0) {
				inject_op++;
			} else {
				node_path(e, r, sizeof(r));
				full(r, fp, sizeof(fp));
				logmsg("# self-test: unlink %s behind the model's back: %s\n",
				       r, unlink(fp) ? strerror(errno) : "done");
				fprintf(stderr, "nsstress: self-test: p0 op %lu: removed %s behind the model's back\n",
					seq, r);
			}
		}

		if (k < 30) {
			counts[9]++;
			shared_op();
			continue;
		}
		k = rn(100);
		if (k < 20) { counts[0]++; priv_create(0); }
		else if (k < 32) { counts[1]++; priv_create(1); }
		else if (k < 44) { counts[2]++; priv_unlink(); }
		else if (k < 54) { counts[3]++; priv_rmdir(); }
		else if (k < 64) { counts[4]++; priv_link(); }
		else if (k < 82) { counts[5]++; priv_rename(); }
		else if (k < 91) { counts[6]++; priv_stat(); }
		else { counts[7]++; priv_readdir(); }
	}
	/* the model, as verify prints a tree */
	snprintf(path, sizeof(path), "%s/p%d.model", logdir, i);
	mf = fopen(path, "w");
	if (!mf) {
		perror(path);
		return 2;
	}
	for (int n = 0; n < nnodes; n++) {
		int a = n;

		while (a >= 0 && nodes[a].alive)
			a = nodes[a].parent;
		if (a >= 0)
			continue;	/* removed, or under a removed dir */
		node_path(n, rel, sizeof(rel));
		if (nodes[n].dir) {
			snprintf(line, sizeof(line), "%s d %d -", rel, 2 + nchildren(n, 1));
		} else {
			char tag[TAGMAX];

			tag_of(me, nodes[n].ino, tag, sizeof(tag));
			snprintf(line, sizeof(line), "%s f %d %s", rel,
				 inode_links[nodes[n].ino], tag);
		}
		fprintf(mf, "%s\n", line);
	}
	fclose(mf);
	logmsg("# end: private ok %lu, expected errors %lu; shared ok %lu, errors %lu, errors not allowed %lu%s\n",
	       n_ok, n_err_expected, n_shared_ok, n_shared_err, shared_bad,
	       failed || shared_bad ? "; FAILED" : "");
	printf("nsstress: p%d via %s: %lu ops (create %lu mkdir %lu unlink %lu rmdir %lu link %lu rename %lu stat %lu readdir %lu shared %lu): private ok %lu, expected errors %lu; shared ok %lu, errors %lu, listings with a name twice %lu, errors not allowed %lu%s\n",
	       i, root, seq - 1, counts[0], counts[1], counts[2], counts[3],
	       counts[4], counts[5], counts[6], counts[7], counts[9], n_ok,
	       n_err_expected, n_shared_ok, n_shared_err, n_shared_dups, shared_bad,
	       failed ? "; FAILED (private model)" : shared_bad ? "; FAILED (shared)" : "");
	fflush(stdout);
	fclose(logf_);
	return failed || shared_bad ? 1 : 0;
}

/* ---------------- reading a tree ---------------- */

struct ent {
	char path[PATHMAX];
	char type;		/* f, d, l (anything else) */
	unsigned long nlink;
	unsigned long long ino;
	char tag[TAGMAX];
};

struct view {
	const char *name;
	struct ent *e;
	int n, cap;
	int bad;
};

static void __attribute__((format(printf, 2, 3))) vbad(struct view *v, const char *fmt, ...)
{
	va_list ap;

	if (v->bad++ < 20) {
		fprintf(stderr, "nsstress: %s: ", v->name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}

static struct ent *add_ent(struct view *v)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->e = realloc(v->e, v->cap * sizeof(*v->e));
		if (!v->e)
			abort();
	}
	memset(&v->e[v->n], 0, sizeof(v->e[0]));
	return &v->e[v->n++];
}

static int dup_names(struct view *v, const char *dir, char **names, int n)
{
	int dup = 0;

	qsort(names, n, sizeof(char *), cmp_str);
	for (int i = 1; i < n; i++)
		if (!strcmp(names[i], names[i - 1])) {
			vbad(v, "readdir of %s lists %s twice", dir[0] ? dir : ".",
			     names[i]);
			dup = 1;
		}
	return dup;
}

/* through a mount: rel is "" for ROOT itself */
static void walk_posix(struct view *v, const char *top, const char *rel)
{
	char p[PATHMAX + 256], cp[PATHMAX + 256], crel[PATHMAX];
	char **names = NULL;
	int n = 0, cap = 0;
	DIR *dh;
	struct dirent *de;

	snprintf(p, sizeof(p), "%s%s%s", top, rel[0] ? "/" : "", rel);
	dh = opendir(p);
	if (!dh) {
		vbad(v, "opendir %s: %s", p, strerror(errno));
		return;
	}
	for (errno = 0; (de = readdir(dh)); errno = 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(char *));
		}
		names[n++] = strdup(de->d_name);
	}
	if (errno)
		vbad(v, "readdir %s: %s", p, strerror(errno));
	closedir(dh);
	dup_names(v, rel, names, n);
	for (int i = 0; i < n; i++) {
		struct stat st;
		struct ent *e;

		if (i && !strcmp(names[i], names[i - 1]))
			continue;
		snprintf(crel, sizeof(crel), "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
		snprintf(cp, sizeof(cp), "%s/%s", top, crel);
		if (lstat(cp, &st)) {
			vbad(v, "%s is listed but lstat fails: %s", crel, strerror(errno));
			continue;
		}
		e = add_ent(v);
		snprintf(e->path, sizeof(e->path), "%s", crel);
		e->type = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : 'l';
		e->nlink = st.st_nlink;
		e->ino = st.st_ino;
		if (e->type == 'f') {
			int fd = open(cp, O_RDONLY);
			ssize_t r = fd < 0 ? -1 : read(fd, e->tag, TAGMAX - 1);

			if (r < 0)
				vbad(v, "%s: read: %s", crel, strerror(errno));
			else
				e->tag[r] = 0;
			if (fd >= 0)
				close(fd);
		} else {
			strcpy(e->tag, "-");
		}
		if (e->type == 'd')
			walk_posix(v, top, crel);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* through the MDS with the client library */
struct mds_walk {
	char **names;
	int n, cap;
};

static int mds_cb(void *arg, const char *name, uint64_t ino, uint32_t type,
		  uint64_t cookie)
{
	struct mds_walk *w = arg;

	(void)ino; (void)type; (void)cookie;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->names = realloc(w->names, w->cap * sizeof(char *));
	}
	w->names[w->n++] = strdup(name);
	return 0;
}

static void walk_mds(struct view *v, struct tess_client *c, const char *top,
		     const char *rel)
{
	char p[PATHMAX + 256], cp[PATHMAX + 256], crel[PATHMAX];
	struct mds_walk w = { 0 };
	struct tess_inode *st = malloc(sizeof(*st));
	int rc;

	snprintf(p, sizeof(p), "%s%s%s", top, rel[0] ? "/" : "", rel);
	rc = tess_readdir(c, p, mds_cb, &w);
	if (rc) {
		vbad(v, "readdir %s: %s", p, strerror(-rc));
		free(st);
		return;
	}
	dup_names(v, rel, w.names, w.n);
	for (int i = 0; i < w.n; i++) {
		struct ent *e;

		if (i && !strcmp(w.names[i], w.names[i - 1]))
			continue;
		snprintf(crel, sizeof(crel), "%s%s%s", rel, rel[0] ? "/" : "", w.names[i]);
		snprintf(cp, sizeof(cp), "%s/%s", top, crel);
		rc = tess_stat(c, cp, st);
		if (rc) {
			vbad(v, "%s is listed but stat fails: %s", crel, strerror(-rc));
			continue;
		}
		e = add_ent(v);
		snprintf(e->path, sizeof(e->path), "%s", crel);
		e->type = S_ISDIR(st->mode) ? 'd' : S_ISREG(st->mode) ? 'f' : 'l';
		e->nlink = st->nlink;
		e->ino = st->ino;
		if (e->type == 'f') {
			struct tess_file *f;
			ssize_t r;

			rc = tess_open(c, cp, 0, 0, NULL, &f);
			if (rc) {
				vbad(v, "%s: open: %s", crel, strerror(-rc));
			} else {
				r = tess_pread(f, e->tag, TAGMAX - 1, 0);
				if (r < 0)
					vbad(v, "%s: read: %s", crel, strerror((int)-r));
				else
					e->tag[r] = 0;
				tess_close(f);
			}
		} else {
			strcpy(e->tag, "-");
		}
		if (e->type == 'd')
			walk_mds(v, c, top, crel);
	}
	for (int i = 0; i < w.n; i++)
		free(w.names[i]);
	free(w.names);
	free(st);
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->path, ((const struct ent *)b)->path);
}

static int cmp_ino(const void *a, const void *b)
{
	const struct ent *x = *(struct ent * const *)a, *y = *(struct ent * const *)b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* link counts, tags, the private subtrees against their models */
static void check_view(struct view *v)
{
	struct ent **files = malloc(sizeof(*files) * (v->n + 1));
	int nf = 0;

	qsort(v->e, v->n, sizeof(*v->e), cmp_ent);
	for (int i = 0; i < v->n; i++) {
		struct ent *e = &v->e[i];

		if (e->type == 'f') {
			files[nf++] = e;
			if (!e->tag[0] || e->tag[0] != 'p')
				vbad(v, "%s: no tag (content \"%s\")", e->path, e->tag);
		} else if (e->type == 'd') {
			/* 2 + subdirectories: the entries under e->path/ one level down */
			size_t l = strlen(e->path);
			unsigned long sub = 0;

			for (int j = i + 1; j < v->n && !strncmp(v->e[j].path, e->path, l) &&
			     v->e[j].path[l] == '/'; j++)
				if (v->e[j].type == 'd' && !strchr(v->e[j].path + l + 1, '/'))
					sub++;
			/* entries of e->path sort right after it, except names that
			 * sort between "x" and "x/" ("x-y", "x.y"): none in ours */
			if (e->nlink != 2 + sub)
				vbad(v, "directory %s: nlink %lu, %lu subdirectories",
				     e->path, e->nlink, sub);
		} else {
			vbad(v, "%s: neither file nor directory", e->path);
		}
	}
	qsort(files, nf, sizeof(*files), cmp_ino);
	for (int i = 0; i < nf;) {
		int j = i;

		while (j < nf && files[j]->ino == files[i]->ino)
			j++;
		for (int k = i; k < j; k++) {
			if (files[k]->nlink != (unsigned long)(j - i))
				vbad(v, "%s: nlink %lu, %d names reach inode %llu",
				     files[k]->path, files[k]->nlink, j - i, files[k]->ino);
			if (strcmp(files[k]->tag, files[i]->tag))
				vbad(v, "%s and %s: one inode %llu, tags %s and %s",
				     files[i]->path, files[k]->path, files[i]->ino,
				     files[i]->tag, files[k]->tag);
		}
		i = j;
	}
	/* different inodes, different tags */
	{
		struct ent **byt = malloc(sizeof(*byt) * (nf + 1));
		int nt = 0;

		for (int i = 0; i < nf; i++)
			if (!i || files[i]->ino != files[i - 1]->ino)
				byt[nt++] = files[i];
		for (int i = 0; i < nt; i++)
			for (int k = i + 1; k < nt; k++)
				if (!strcmp(byt[i]->tag, byt[k]->tag))
					vbad(v, "%s and %s: inodes %llu and %llu, the same tag %s",
					     byt[i]->path, byt[k]->path, byt[i]->ino,
					     byt[k]->ino, byt[i]->tag);
		free(byt);
	}
	free(files);

	/* each private subtree equals its model */
	for (int p = 0; p < nproc; p++) {
		char mpath[PATHMAX], line[PATHMAX + 64], pre[16], want[PATHMAX + 64];
		FILE *mf;
		char **model = NULL;
		int nm = 0, cap = 0, k = 0, shown = 0;

		snprintf(mpath, sizeof(mpath), "%s/p%d.model", logdir, p);
		mf = fopen(mpath, "r");
		if (!mf) {
			vbad(v, "no model %s", mpath);
			continue;
		}
		while (fgets(line, sizeof(line), mf)) {
			line[strcspn(line, "\n")] = 0;
			if (nm == cap) {
				cap = cap ? cap * 2 : 256;
				model = realloc(model, cap * sizeof(char *));
			}
			model[nm++] = strdup(line);
		}
		fclose(mf);
		qsort(model, nm, sizeof(char *), cmp_str);
		snprintf(pre, sizeof(pre), "p%d", p);
		/* both lists sorted by path; walk them together */
		for (int i = 0; i < v->n; i++) {
			struct ent *e = &v->e[i];
			size_t l = strlen(pre);

			if (strncmp(e->path, pre, l) || (e->path[l] && e->path[l] != '/'))
				continue;
			snprintf(want, sizeof(want), "%s %c %lu %s", e->path, e->type,
				 e->nlink, e->tag);
			while (k < nm && strcmp(model[k], want) < 0) {
				if (shown++ < 5)
					vbad(v, "model has \"%s\", the tree does not", model[k]);
				k++;
			}
			if (k < nm && !strcmp(model[k], want)) {
				k++;
			} else if (shown++ < 5) {
				vbad(v, "tree has \"%s\", the model does not", want);
			}
		}
		for (; k < nm; k++)
			if (shown++ < 5)
				vbad(v, "model has \"%s\", the tree does not", model[k]);
		if (shown)
			v->bad++;
		for (int i = 0; i < nm; i++)
			free(model[i]);
		free(model);
	}
}

static int same_views(struct view *a, struct view *b)
{
	int i = 0, j = 0, shown = 0;

	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 : strcmp(a->e[i].path, b->e[j].path);

		if (c < 0) {
			if (shown++ < 5)
				fprintf(stderr, "nsstress: %s has %s, %s does not\n",
					a->name, a->e[i].path, b->name);
			i++;
		} else if (c > 0) {
			if (shown++ < 5)
				fprintf(stderr, "nsstress: %s has %s, %s does not\n",
					b->name, b->e[j].path, a->name);
			j++;
		} else {
			struct ent *x = &a->e[i], *y = &b->e[j];

			if (x->type != y->type || x->nlink != y->nlink ||
			    x->ino != y->ino || strcmp(x->tag, y->tag)) {
				if (shown++ < 5)
					fprintf(stderr, "nsstress: %s: %s says %c nlink %lu ino %llu tag %s, %s says %c nlink %lu ino %llu tag %s\n",
						x->path, a->name, x->type, x->nlink, x->ino, x->tag,
						b->name, y->type, y->nlink, y->ino, y->tag);
			}
			i++;
			j++;
		}
	}
	return shown == 0;
}

static int verify(void)
{
	struct view views[MAXROOTS + 1];
	int nv = 0, bad = 0;
	char name[PATHMAX + 16];

	memset(views, 0, sizeof(views));
	for (int r = 0; r < nroots; r++) {
		struct view *v = &views[nv++];

		v->name = roots[r];
		walk_posix(v, roots[r], "");
	}
	if (mds_addr) {
		struct view *v = &views[nv++];
		struct tess_client *c;
		char err[256];
		int rc = tess_client_open(mds_addr, mds_key, 10000, &c, err, sizeof(err));

		snprintf(name, sizeof(name), "MDS %s", mds_path);
		v->name = name;
		if (rc) {
			vbad(v, "cannot connect to %s: %s", mds_addr, err);
		} else {
			walk_mds(v, c, mds_path, "");
			tess_client_close(c);
		}
	}
	for (int i = 0; i < nv; i++) {
		int nf = 0, nd = 0;

		check_view(&views[i]);
		for (int k = 0; k < views[i].n; k++) {
			nf += views[i].e[k].type == 'f';
			nd += views[i].e[k].type == 'd';
		}
		printf("nsstress: verify %s: %d names (%d files, %d directories): %s\n",
		       views[i].name, views[i].n, nf, nd,
		       views[i].bad ? "INVARIANTS OR MODEL VIOLATED" :
		       "invariants hold, subtrees equal their models");
		bad |= views[i].bad != 0;
	}
	for (int i = 1; i < nv; i++) {
		int same = same_views(&views[0], &views[i]);

		printf("nsstress: verify %s and %s: %s\n", views[0].name, views[i].name,
		       same ? "identical" : "DIFFER");
		bad |= !same;
	}
	for (int i = 0; i < nv; i++)
		free(views[i].e);
	fflush(stdout);
	return bad;
}

/* ---------------- main ---------------- */

static int wait_visible(const char *rel)
{
	char p[PATHMAX];
	struct stat st;

	for (int r = 0; r < nroots; r++) {
		int tries = 0;

		snprintf(p, sizeof(p), "%s/%s", roots[r], rel);
		while (stat(p, &st)) {
			if (++tries > 300) {
				fprintf(stderr, "nsstress: %s does not appear\n", p);
				return -1;
			}
			usleep(100000);
		}
	}
	return 0;
}

static int run(void)
{
	char p[PATHMAX], rel[32];
	pid_t pids[MAXPROC];
	int bad = 0;
	time_t t0 = time(NULL);

	printf("nsstress: run seed=%llu procs=%d ops=%lu roots=%d\n", seed, nproc,
	       nops, nroots);
	fflush(stdout);
	for (int i = 0; i <= nproc; i++) {
		if (i < nproc)
			snprintf(rel, sizeof(rel), "p%d", i);
		else
			snprintf(rel, sizeof(rel), "shared");
		snprintf(p, sizeof(p), "%s/%s", roots[0], rel);
		if (mkdir(p, 0755)) {
			fprintf(stderr, "nsstress: mkdir %s: %s (the tree must start empty)\n",
				p, strerror(errno));
			return 2;
		}
	}
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/shared/d%d", roots[0], i);
		if (mkdir(p, 0755)) {
			fprintf(stderr, "nsstress: mkdir %s: %s\n", p, strerror(errno));
			return 2;
		}
	}
	for (int i = 0; i < nproc; i++) {
		snprintf(rel, sizeof(rel), "p%d", i);
		if (wait_visible(rel))
			return 2;
	}
	if (wait_visible("shared/d2"))
		return 2;
	for (int i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 2;
		}
		if (pids[i] == 0) {
			fflush(stdout);
			_exit(child(i));
		}
	}
	for (int i = 0; i < nproc; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "nsstress: p%d failed (see %s/p%d.log)\n", i, logdir, i);
			bad = 1;
		}
	}
	printf("nsstress: %d processes x %lu ops in %lld s%s\n", nproc, nops,
	       (long long)(time(NULL) - t0), bad ? ": FAILED" : "");
	if (wait_secs)
		sleep(wait_secs);
	bad |= verify();
	return bad;
}

static void usage(void)
{
	fprintf(stderr, "usage: nsstress run|verify [-p NPROC] [-n OPS] [-S SEED] "
		"[-d LOGDIR] [-w SECS] [-m MDS -k KEY -M MDSPATH] [-F OP] ROOT...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "p:n:S:d:w:m:k:M:F:")) != -1) {
		switch (c) {
		case 'p': nproc = atoi(optarg); break;
		case 'n': nops = strtoul(optarg, NULL, 0); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'd': logdir = optarg; break;
		case 'w': wait_secs = atoi(optarg); break;
		case 'm': mds_addr = optarg; break;
		case 'k': mds_key = optarg; break;
		case 'M': mds_path = optarg; break;
		case 'F': inject_op = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (nproc < 1 || nproc > MAXPROC || optind >= argc ||
	    argc - optind > MAXROOTS || (mds_addr && (!mds_key || !mds_path)))
		usage();
	if (seed == 0)
		seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
	while (optind < argc)
		roots[nroots++] = argv[optind++];
	if (!strcmp(cmd, "run"))
		return run();
	if (!strcmp(cmd, "verify"))
		return verify();
	usage();
	return 2;
}
