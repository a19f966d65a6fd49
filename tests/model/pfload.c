/* SPDX-License-Identifier: MIT */
/*
 * pfload.c - the workload and checker of the power-fail suite
 * (tests/vm/suites/powerfail.sh, issue #9).
 *
 *   pfload ROOT CTL SEED
 *   pfload --hsm-gen DIR     (the HSM files' S3 objects, see below)
 *
 * Runs a random workload in ROOT (a directory on a Tessera mount) and
 * keeps, in memory and in the journal CTL/journal (outside Tessera), what
 * each fsync that returned 0 made durable:
 *
 *   st/sN   streaming writes at the end, overwrites, truncate down, close
 *           and reopen, fsync or fdatasync at random points
 *   ap/aN   O_APPEND logs of small records, fsync every few
 *   rn/rK   rename-over: rK.tmp written, fsynced, renamed over rK, rn/
 *           fsynced (the atomic-replace idiom)
 *   tree/dD create (+ write + fsync) / unlink / rename of files fN, mkdir /
 *           rmdir of sN, fsync of dD
 *   hsm/hK  with PF_HSM_DIR set: files imported from S3 (the suite put what
 *           `pfload --hsm-gen DIR` writes there): range reads (restores),
 *           local writes + fsync, `hsm archive`, `hsm release` (see
 *           "HSM files" below)
 *
 * Every byte written is pat(gen, offset), never zero; gen is unique per
 * write.  The model of a file is its durable image (as of the last fsync
 * that returned 0) and the writes and truncates issued since (pending: they
 * may or may not have survived, wholly or in part).  The model of a name is
 * its durable state (as of the last fsync of its directory that returned
 * 0) and the states it went through since.
 *
 * Control (the suite drives it through files in CTL, epoch N = 1, 2, ...):
 *   the workload runs until CTL/stop.N exists; then the operation in flight
 *   is finished (it may wait for the servers), CTL/quiet.N is written and
 *   pfload waits for CTL/verify.N, whose first line is VROOT: ROOT as a
 *   fresh mount sees it.  It checks every file and name through VROOT:
 *     - a byte below the durable size reads its durable value or the value
 *       of a pending write (else LOST, or ZEROS if it reads 0);
 *     - a byte above it, or past a truncate issued since, reads a pending
 *       write's value (0 is a ZEROS error unless the file saw EIO, which
 *       makes everything not durable free);
 *     - the size is between the smallest and largest size the model allows;
 *     - a name is in its durable state or one it went through since; a file
 *       behind a name has exactly the content of that state (whole: the
 *       rename-over target is the old or the new file, never a mix);
 *     - no name outside the model appears.
 *   It prints one summary line "RESULT N ok|FAIL ..." (and the errors;
 *   with HSM files first a line "HSM N ok|FAIL ..." about them),
 *   writes CTL/result.N, then waits for CTL/go.N (run epoch N+1),
 *   CTL/sync.N (fsync and close everything, then CTL/quiet.(N+1) and wait
 *   for verify.(N+1)) or CTL/exit.N.
 * CTL/status holds the operation in flight (the suite prints it at a cut).
 *
 * Errors of fsync, write, close (EIO after a server lost unstable data) are
 * allowed for data not yet acknowledged: they are counted and printed, and
 * the file is abandoned (its model keeps every candidate, plus zeros above
 * the durable image); a new file takes its place.
 *
 * Exit status: 0 every check passed, 1 a check failed, 2 usage or setup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

#define MAXD		48		/* data files (streams and logs) */
#define ST_LIVE		3		/* live stream files */
#define AP_LIVE		2		/* live append logs */
#define ST_CAP		(2 << 20)	/* a stream is truncated down past this */
#define AP_CAP		(1 << 20)	/* a log is truncated to 0 past this */
#define ST_MAXW		(192 << 10)
#define AP_MAXW		(6 << 10)
#define NDIRS		3		/* tree/d0..: */
#define NFILES		10		/*   f0..f9 */
#define NSUB		3		/*   s0..s2 (empty directories) */
#define NSLOTS		4		/* rn/r0..r3 */
#define MAXN		(NDIRS * (NFILES + NSUB) + NSLOTS * 2)
#define MAXST		256		/* states of a name since its directory's fsync */
#define NF_MAX		(64 << 10)	/* size of a tree or rename file */

static const char *root, *ctl;
static uint64_t seed, rng;
static uint32_t gen_next = 1;
static int jfd = -1, sfd = -1;
static int epoch = 1;
static long nops, neio, nerr_other, nfsync_ok;
static long ep_ops;

/* ---- helpers ---- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t rnd(void)
{
	rng += 0x9e3779b97f4a7c15ULL;
	return mix(rng);
}

static uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* the byte that write gen puts at offset off: never 0 */
static inline uint8_t pat(uint32_t gen, uint64_t off)
{
	uint64_t w = mix((seed << 32) ^ ((uint64_t)gen << 40) ^ (off >> 3) ^
			 ((uint64_t)gen * 0x100000001b3ULL));
	uint8_t b = (uint8_t)(w >> ((off & 7) * 8));

	return b ? b : 0xa5;
}

static void fill(uint8_t *buf, uint32_t gen, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pat(gen, off + i);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "pfload: ");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	fflush(stdout);
	exit(2);
}

/* the journal: one line per operation, outside Tessera */
static void jlog(const char *fmt, ...)
{
	char buf[512];
	int n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "e%d #%ld ", epoch, nops);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(jfd, buf, n) < 0)
		die("journal: %s", strerror(errno));
}

/* CTL/status: the operation in flight */
static void status(const char *fmt, ...)
{
	char buf[256];
	int n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "epoch %d op %ld (%ld this epoch): ",
		     epoch, nops, ep_ops);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (ftruncate(sfd, 0) || pwrite(sfd, buf, n, 0) < 0)
		die("status: %s", strerror(errno));
}

static int ctl_exists(const char *name, int n)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s.%d", ctl, name, n);
	return access(p, F_OK) == 0;
}

static void ctl_write(const char *name, int n, const char *text)
{
	char p[512], t[520];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s.%d", ctl, name, n);
	snprintf(t, sizeof(t), "%s.tmp", p);
	f = fopen(t, "w");
	if (!f)
		die("%s: %s", t, strerror(errno));
	fputs(text, f);
	fclose(f);
	if (rename(t, p))
		die("%s: %s", p, strerror(errno));
}

static void path(char *buf, size_t sz, const char *base, const char *rel)
{
	if (snprintf(buf, sz, "%s/%s", base, rel) >= (int)sz)
		die("path too long: %s/%s", base, rel);
}

static const char *err_name(int e)
{
	static char b[32];

	switch (e) {
	case 0: return "ok";
	case EIO: return "EIO";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ESTALE: return "ESTALE";
	case ENOSPC: return "ENOSPC";
	case EINTR: return "EINTR";
	case ENOTEMPTY: return "ENOTEMPTY";
	default:
		snprintf(b, sizeof(b), "errno %d", e);
		return b;
	}
}

static void count_err(int e)
{
	if (e == EIO)
		neio++;
	else
		nerr_other++;
}

/* ---- data files ---- */

struct pend {
	char kind;		/* 'w' write, 't' truncate */
	uint32_t gen;
	uint64_t off, len;	/* write: range; truncate: off = new size */
	uint64_t src;		/* write: the offset its pattern was made for
				 * (off, unless an append landed elsewhere) */
};

struct dfile {
	char rel[32];
	int used, live, append, fd;
	int name_durable;	/* created, fsynced, its directory fsynced */
	int tainted;		/* an EIO: nothing above the durable image is sure */
	int broken;		/* failed a check: reported once, then left out */
	int checked_dead;	/* abandoned, and checked since: to be removed */
	int unlinking;		/* unlink issued, directory fsync not yet 0 */
	int hsm;		/* imported from S3 (hsm/hK.bin): never removed */
	int hsm_dirty;		/* written since its import or last archive */
	int hsm_unsure;		/* taken up again after an error: dirty or not */
	uint8_t *dimg;		/* durable image (0: may be zero) */
	uint64_t dsize;
	uint8_t *cimg;		/* what this client wrote */
	uint64_t csize, cap;
	struct pend *pend;
	int npend, maxpend;
	uint64_t minsize, maxsize;	/* over durable and pending */
	long eio;
};

static struct dfile df[MAXD];
static int nst_made, nap_made;

/* data files removed for good (unlink and directory fsync returned 0):
 * their names must stay away */
#define MAXGONE 4096
static char gone[MAXGONE][32];
static int ngone;

static void d_grow(struct dfile *f, uint64_t size)
{
	if (size <= f->cap)
		return;
	uint64_t c = f->cap ? f->cap : 65536;

	while (c < size)
		c *= 2;
	f->dimg = realloc(f->dimg, c);
	f->cimg = realloc(f->cimg, c);
	if (!f->dimg || !f->cimg)
		die("out of memory");
	memset(f->dimg + f->cap, 0, c - f->cap);
	memset(f->cimg + f->cap, 0, c - f->cap);
	f->cap = c;
}

static void d_pend(struct dfile *f, char kind, uint32_t gen, uint64_t off,
		   uint64_t len)
{
	if (f->npend == f->maxpend) {
		f->maxpend = f->maxpend ? 2 * f->maxpend : 16;
		f->pend = realloc(f->pend, f->maxpend * sizeof(*f->pend));
		if (!f->pend)
			die("out of memory");
	}
	f->pend[f->npend++] = (struct pend){ kind, gen, off, len, off };
}

static void d_durable(struct dfile *f)
{
	d_grow(f, f->csize);
	memcpy(f->dimg, f->cimg, f->csize);
	if (f->cap > f->csize)
		memset(f->dimg + f->csize, 0, f->cap - f->csize);
	f->dsize = f->csize;
	f->npend = 0;
	f->minsize = f->maxsize = f->dsize;
}

static int d_open(struct dfile *f, int creat)
{
	char p[512];
	int fl = O_RDWR | (f->append ? O_APPEND : 0) | (creat ? O_CREAT | O_EXCL : 0);

	path(p, sizeof(p), root, f->rel);
	f->fd = open(p, fl, 0644);
	return f->fd < 0 ? errno : 0;
}

/* an EIO (or another error) on a data file: it is left as the model has it */
static void d_abandon(struct dfile *f, const char *what, int e)
{
	count_err(e);
	if (e == EIO)
		f->eio++;
	f->tainted = 1;
	jlog("%s %s -> %s: abandoned", what, f->rel, err_name(e));
	printf("INFO: epoch %d: %s %s returned %s (not acknowledged): file left as is, a new one replaces it\n",
	       epoch, what, f->rel, err_name(e));
	if (f->fd >= 0) {
		int rc = close(f->fd);

		jlog("close %s -> %s", f->rel, rc ? err_name(errno) : "ok");
		f->fd = -1;
	}
	f->live = 0;
}

static int dir_fsync(const char *rel)
{
	char p[512];
	int fd, rc;

	path(p, sizeof(p), root, rel);
	fd = open(p, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return errno;
	rc = fsync(fd) ? errno : 0;
	close(fd);
	return rc;
}

static struct dfile *d_new(int append)
{
	struct dfile *f = NULL;
	int e;

	for (int i = 0; i < MAXD; i++)
		if (!df[i].used) {
			f = &df[i];
			break;
		}
	if (!f)
		return NULL;	/* too many abandoned: run on with fewer */
	memset(f, 0, sizeof(*f));
	f->used = 1;
	f->append = append;
	f->fd = -1;
	if (append)
		snprintf(f->rel, sizeof(f->rel), "ap/a%d", nap_made++);
	else
		snprintf(f->rel, sizeof(f->rel), "st/s%d", nst_made++);
	d_grow(f, 65536);
	status("create %s", f->rel);
	e = d_open(f, 1);
	jlog("create %s -> %s", f->rel, err_name(e));
	if (e) {
		count_err(e);
		f->tainted = 1;
		printf("INFO: epoch %d: create %s returned %s\n", epoch, f->rel, err_name(e));
		return f;	/* checked as a name that may exist */
	}
	f->live = 1;
	e = fsync(f->fd) ? errno : 0;
	if (!e)
		e = dir_fsync(append ? "ap" : "st");
	jlog("fsync %s + dir -> %s", f->rel, err_name(e));
	if (e)
		d_abandon(f, "fsync(new)", e);
	else
		f->name_durable = 1;
	return f;
}

static struct dfile *d_pick(int append)
{
	int n = 0, idx[MAXD];

	for (int i = 0; i < MAXD; i++)
		if (df[i].used && df[i].live && !df[i].hsm &&
		    df[i].append == append)
			idx[n++] = i;
	if (n < (append ? AP_LIVE : ST_LIVE)) {
		struct dfile *f = d_new(append);

		if (f && f->live)
			return f;
	}
	if (!n)
		return NULL;
	return &df[idx[rndn(n)]];
}

static int d_ensure_open(struct dfile *f)
{
	int e;

	if (f->fd >= 0)
		return 1;
	status("reopen %s", f->rel);
	e = d_open(f, 0);
	jlog("open %s -> %s", f->rel, err_name(e));
	if (e) {
		d_abandon(f, "open", e);
		return 0;
	}
	return 1;
}

static void hfail(const char *fmt, ...);

/*
 * An append of LEN bytes meant for OFF (this writer's end of file)
 * landed at AT.  Lower, but not below the durable size, is what a loss
 * looks like: an OST restarted and lost the appends since the last fsync,
 * which the kernel found (at another fd's close or fsync: a child that
 * inherited the fd and exited, say) and put the size back to what the MDS
 * has.  That loss must then reach this writer: its fsync returns EIO, and
 * the file is abandoned as after any EIO, with the append where it is.
 * Anywhere else, or no EIO, is a failure.
 */
static void d_append_moved(struct dfile *f, uint64_t off, uint64_t len, off_t at)
{
	int e;

	jlog("append %s landed at %lld", f->rel, (long long)at);
	if (at >= (off_t)f->dsize && at < (off_t)off) {
		f->pend[f->npend - 1].off = at;	/* src stays: its pattern */
		status("fsync %s after an append moved by a loss", f->rel);
		e = fsync(f->fd) ? errno : 0;
		jlog("fsync %s (append moved) -> %s", f->rel, err_name(e));
		if (e == EIO) {
			printf("INFO: epoch %d: an append to %s landed at %lld, not %llu: the writes since the durable size %llu were lost, fsync returned EIO\n",
			       epoch, f->rel, (long long)at, (unsigned long long)off,
			       (unsigned long long)f->dsize);
			d_abandon(f, "fsync (append moved)", e);
			return;
		}
		hfail("%s: an append of %llu bytes landed at %lld, below this writer's end of file %llu, and fsync then returned %s: a loss not reported to the writer",
		      f->rel, (unsigned long long)len, (long long)at,
		      (unsigned long long)off, err_name(e));
	} else {
		hfail("%s: an append of %llu bytes landed at %lld-%lld, expected %llu (durable size %llu)%s",
		      f->rel, (unsigned long long)len, (long long)at,
		      (long long)at + (long long)len, (unsigned long long)off,
		      (unsigned long long)f->dsize,
		      at < (off_t)f->dsize ? ": LOST acknowledged size" : "");
	}
	/* the model cannot follow: the check reports the file too */
	f->tainted = 1;
	f->live = 0;
	nerr_other++;
}

static void d_write(struct dfile *f, uint64_t off, uint64_t len)
{
	static uint8_t *buf;
	uint32_t gen = gen_next++;
	ssize_t n;

	if (!buf && !(buf = malloc(ST_MAXW + AP_MAXW)))
		die("out of memory");
	fill(buf, gen, off, len);
	d_grow(f, off + len);
	d_pend(f, 'w', gen, off, len);
	if (off + len > f->maxsize)
		f->maxsize = off + len;
	status("%s %s off %llu len %llu gen %u", f->append ? "append" : "write",
	       f->rel, (unsigned long long)off, (unsigned long long)len, gen);
	if (f->append)
		n = write(f->fd, buf, len);
	else
		n = pwrite(f->fd, buf, len, off);
	jlog("%s %s off %llu len %llu gen %u -> %s", f->append ? "append" : "write",
	     f->rel, (unsigned long long)off, (unsigned long long)len, gen,
	     n == (ssize_t)len ? "ok" : n < 0 ? err_name(errno) : "short");
	if (n != (ssize_t)len) {
		d_abandon(f, "write", n < 0 ? errno : EIO);
		return;
	}
	if (f->append) {
		off_t pos = lseek(f->fd, 0, SEEK_CUR);

		if (pos != (off_t)(off + len)) {
			d_append_moved(f, off, len, pos - (off_t)len);
			return;
		}
	}
	memcpy(f->cimg + off, buf, len);
	if (off + len > f->csize)
		f->csize = off + len;
}

static void d_fsync(struct dfile *f)
{
	int data = rndn(3) == 0, e;
	double t = now();

	status("%s %s", data ? "fdatasync" : "fsync", f->rel);
	e = (data ? fdatasync(f->fd) : fsync(f->fd)) ? errno : 0;
	jlog("%s %s size %llu -> %s (%.2fs)", data ? "fdatasync" : "fsync", f->rel,
	     (unsigned long long)f->csize, err_name(e), now() - t);
	if (e) {
		d_abandon(f, data ? "fdatasync" : "fsync", e);
		return;
	}
	nfsync_ok++;
	d_durable(f);
}

static void d_truncate(struct dfile *f, uint64_t size)
{
	int e;

	d_pend(f, 't', 0, size, 0);
	if (size < f->minsize)
		f->minsize = size;
	status("truncate %s to %llu", f->rel, (unsigned long long)size);
	e = ftruncate(f->fd, size) ? errno : 0;
	jlog("truncate %s %llu -> %s", f->rel, (unsigned long long)size, err_name(e));
	if (e) {
		d_abandon(f, "truncate", e);
		return;
	}
	if (size < f->csize)
		memset(f->cimg + size, 0, f->csize - size);
	f->csize = size;
}

static void d_close(struct dfile *f)
{
	int e;

	status("close %s", f->rel);
	e = close(f->fd) ? errno : 0;
	f->fd = -1;
	jlog("close %s -> %s", f->rel, err_name(e));
	if (e)
		d_abandon(f, "close", e);
}

/* an abandoned file, checked after its error: removed (the application
 * gives up on it), which the OSTs' object destruction must survive */
static void d_remove_dead(void)
{
	for (int i = 0; i < MAXD; i++) {
		struct dfile *f = &df[i];
		char p[512];
		int e;

		if (!f->used || f->live || f->broken || !f->checked_dead ||
		    f->hsm)
			continue;
		path(p, sizeof(p), root, f->rel);
		f->unlinking = 1;
		status("unlink %s", f->rel);
		e = unlink(p) ? errno : 0;
		jlog("unlink %s -> %s", f->rel, err_name(e));
		if (!e)
			e = dir_fsync(f->append ? "ap" : "st");
		jlog("fsync dir of %s -> %s", f->rel, err_name(e));
		if (e) {
			count_err(e);
			printf("INFO: epoch %d: removal of %s: %s\n", epoch, f->rel, err_name(e));
			f->checked_dead = 0;	/* again after the next check */
			continue;
		}
		if (ngone < MAXGONE)
			memcpy(gone[ngone++], f->rel, sizeof(gone[0]));
		free(f->dimg);
		free(f->cimg);
		free(f->pend);
		memset(f, 0, sizeof(*f));
		f->fd = -1;
		return;		/* one per operation */
	}
}

static void op_stream(void)
{
	struct dfile *f = d_pick(0);
	uint64_t r;

	if (!f || !d_ensure_open(f))
		return;
	r = rndn(100);
	if (f->csize >= ST_CAP || (r < 6 && f->csize)) {
		/* half of them between the durable and the current size:
		 * a size over data not yet synced */
		uint64_t t = f->csize > f->dsize && rndn(2) ?
			f->dsize + rndn(f->csize - f->dsize) : rndn(f->csize + 1);

		d_truncate(f, t & ~511ULL);
		if (f->live && rndn(4) == 0)
			d_fsync(f);
	} else if (r < 25 && f->csize > 0) {
		uint64_t off = rndn(f->csize), len = 1 + rndn(ST_MAXW / 2);

		if (off + len > f->csize)
			len = f->csize - off;
		d_write(f, off, len);
	} else if (r < 31) {
		d_close(f);
	} else {
		d_write(f, f->csize, 1 + rndn(ST_MAXW));
	}
	if (f->live && f->fd >= 0 && rndn(4) == 0)
		d_fsync(f);
}

static void op_append(void)
{
	struct dfile *f = d_pick(1);

	if (!f || !d_ensure_open(f))
		return;
	if (f->csize >= AP_CAP) {
		d_truncate(f, 0);
		if (f->live)
			d_fsync(f);
		return;
	}
	d_write(f, f->csize, 1 + rndn(AP_MAXW));
	if (f->live && rndn(5) == 0)
		d_fsync(f);
}

/* ---- names ---- */

enum { N_ABSENT, N_FILE, N_DIR };

struct nstate {
	char type;
	char any;		/* file content not known (an error while writing) */
	uint32_t gen, size;
};

struct name {
	char rel[48];
	char dir[24];		/* the directory whose fsync makes it durable */
	struct nstate dur, st[MAXST];	/* durable, then states since */
	int nst;
	int broken;		/* failed a check: reported once, then left out */
};

static struct name nm[MAXN];
static int nnames;

static struct nstate *n_cur(struct name *n)
{
	return n->nst ? &n->st[n->nst - 1] : &n->dur;
}

static void n_push(struct name *n, struct nstate s)
{
	/* nothing may be dropped: the candidates must stay a superset of
	 * what is possible (op_tree fsyncs a directory well before this) */
	if (n->nst == MAXST)
		die("name %s: more than %d states without a directory fsync", n->rel, MAXST);
	n->st[n->nst++] = s;
}

static struct name *n_find(const char *rel)
{
	for (int i = 0; i < nnames; i++)
		if (!strcmp(nm[i].rel, rel))
			return &nm[i];
	return NULL;
}

static void n_add(const char *rel, const char *dir)
{
	struct name *n = &nm[nnames++];

	snprintf(n->rel, sizeof(n->rel), "%s", rel);
	snprintf(n->dir, sizeof(n->dir), "%s", dir);
}

/* the state a name has now, as this client sees it (after an error) */
static struct nstate n_observe(struct name *n, struct nstate want)
{
	char p[512];
	struct stat st;
	struct nstate s = { N_ABSENT, 0, 0, 0 };

	path(p, sizeof(p), root, n->rel);
	if (lstat(p, &st))
		return s;
	if (S_ISDIR(st.st_mode)) {
		s.type = N_DIR;
		return s;
	}
	s.type = N_FILE;
	if (want.type == N_FILE && !want.any && (uint64_t)st.st_size == want.size)
		return want;
	s.any = 1;
	return s;
}

static void n_dirsync(const char *dir)
{
	int e;

	status("fsync dir %s", dir);
	e = dir_fsync(dir);
	jlog("fsync dir %s -> %s", dir, err_name(e));
	if (e) {
		count_err(e);
		printf("INFO: epoch %d: fsync of directory %s returned %s\n", epoch, dir, err_name(e));
		return;
	}
	nfsync_ok++;
	for (int i = 0; i < nnames; i++)
		if (!strcmp(nm[i].dir, dir) && nm[i].nst) {
			nm[i].dur = *n_cur(&nm[i]);
			nm[i].nst = 0;
		}
}

/* the step of n_writefile that failed, for the journal */
static const char *wf_step = "";

/* write a whole small file: create (or truncate) REL, write, fsync, close;
 * returns 0 if every step returned 0, else the first error (wf_step) */
static int n_writefile(struct name *n, uint32_t gen, uint32_t size)
{
	static uint8_t *buf;
	char p[512];
	int fd, e = 0;

	if (!buf && !(buf = malloc(NF_MAX)))
		die("out of memory");
	path(p, sizeof(p), root, n->rel);
	status("write file %s size %u gen %u", n->rel, size, gen);
	wf_step = "open";
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return errno;
	fill(buf, gen, 0, size);
	wf_step = "write";
	if (write(fd, buf, size) != (ssize_t)size)
		e = errno ? errno : EIO;
	if (!e) {
		wf_step = "fsync";
		if (fsync(fd))
			e = errno;
	}
	if (close(fd) && !e) {
		wf_step = "close";
		e = errno;
	}
	return e;
}

static void op_tree(void)
{
	int d = rndn(NDIRS), r = rndn(100), e;
	char dir[24], rel[48];
	struct name *n, *m;
	struct nstate s;

	snprintf(dir, sizeof(dir), "tree/d%d", d);
	for (int i = 0; i < nnames; i++)
		if (!strcmp(nm[i].dir, dir) && nm[i].nst > MAXST / 2)
			r = 0;		/* a long history: fsync the directory */
	if (r < 15) {
		n_dirsync(dir);
		return;
	}
	if (r < 30) {
		/* mkdir or rmdir of an (empty) subdirectory */
		snprintf(rel, sizeof(rel), "%s/s%d", dir, (int)rndn(NSUB));
		n = n_find(rel);
		char p[512];

		path(p, sizeof(p), root, rel);
		if (n_cur(n)->type == N_ABSENT) {
			s = (struct nstate){ N_DIR, 0, 0, 0 };
			n_push(n, s);
			status("mkdir %s", rel);
			e = mkdir(p, 0755) ? errno : 0;
			jlog("mkdir %s -> %s", rel, err_name(e));
		} else {
			s = (struct nstate){ N_ABSENT, 0, 0, 0 };
			n_push(n, s);
			status("rmdir %s", rel);
			e = rmdir(p) ? errno : 0;
			jlog("rmdir %s -> %s", rel, err_name(e));
		}
		if (e) {
			count_err(e);
			printf("INFO: epoch %d: %s %s returned %s\n", epoch,
			       s.type == N_DIR ? "mkdir" : "rmdir", rel, err_name(e));
			n_push(n, n_observe(n, s));
		}
		return;
	}
	snprintf(rel, sizeof(rel), "%s/f%d", dir, (int)rndn(NFILES));
	n = n_find(rel);
	if (n_cur(n)->type == N_ABSENT) {
		/* create, write, fsync */
		s = (struct nstate){ N_FILE, 1, 0, 0 };	/* while being written */
		n_push(n, s);
		uint32_t gen = gen_next++, size = 1 + rndn(NF_MAX);

		e = n_writefile(n, gen, size);
		jlog("create %s size %u gen %u -> %s%s%s", rel, size, gen, err_name(e),
		     e ? " at " : "", e ? wf_step : "");
		if (e) {
			count_err(e);
			printf("INFO: epoch %d: create+fsync %s returned %s\n", epoch, rel, err_name(e));
			n_push(n, n_observe(n, s));
		} else {
			n_push(n, (struct nstate){ N_FILE, 0, gen, size });
		}
		return;
	}
	if (r < 60) {
		char p[512];

		path(p, sizeof(p), root, rel);
		s = (struct nstate){ N_ABSENT, 0, 0, 0 };
		n_push(n, s);
		status("unlink %s", rel);
		e = unlink(p) ? errno : 0;
		jlog("unlink %s -> %s", rel, err_name(e));
		if (e) {
			count_err(e);
			printf("INFO: epoch %d: unlink %s returned %s\n", epoch, rel, err_name(e));
			n_push(n, n_observe(n, *n_cur(n)));
		}
		return;
	}
	/* rename fX over fY (or to a free fY) in the same directory */
	char rel2[48], p[512], p2[512];

	snprintf(rel2, sizeof(rel2), "%s/f%d", dir, (int)rndn(NFILES));
	m = n_find(rel2);
	if (m == n || n_cur(m)->type == N_DIR)
		return;
	s = *n_cur(n);
	n_push(m, s);
	n_push(n, (struct nstate){ N_ABSENT, 0, 0, 0 });
	path(p, sizeof(p), root, rel);
	path(p2, sizeof(p2), root, rel2);
	status("rename %s %s", rel, rel2);
	e = rename(p, p2) ? errno : 0;
	jlog("rename %s %s -> %s", rel, rel2, err_name(e));
	if (e) {
		count_err(e);
		printf("INFO: epoch %d: rename %s %s returned %s\n", epoch, rel, rel2, err_name(e));
		n_push(n, n_observe(n, s));
		n_push(m, n_observe(m, s));
	}
}

static void op_rename_over(void)
{
	int k = rndn(NSLOTS), e;
	char rel[48], tmp[48], p[512], pt[512];
	struct name *n, *t;
	uint32_t gen = gen_next++, size = 1 + rndn(NF_MAX);

	snprintf(rel, sizeof(rel), "rn/r%d", k);
	snprintf(tmp, sizeof(tmp), "rn/r%d.tmp", k);
	n = n_find(rel);
	t = n_find(tmp);
	n_push(t, (struct nstate){ N_FILE, 1, 0, 0 });
	e = n_writefile(t, gen, size);
	jlog("write %s size %u gen %u + fsync -> %s%s%s", tmp, size, gen, err_name(e),
	     e ? " at " : "", e ? wf_step : "");
	if (e) {
		/*
		 * The idiom stops here: the target keeps its old content.
		 * The temporary name is what is there now (an open that
		 * failed may have created nothing: the MDS refuses a create
		 * while no OST can give it objects, right after a restart).
		 */
		count_err(e);
		printf("INFO: epoch %d: write+fsync of %s returned %s at %s: not renamed\n",
		       epoch, tmp, err_name(e), wf_step);
		n_push(t, n_observe(t, (struct nstate){ N_FILE, 1, 0, 0 }));
		return;
	}
	struct nstate s = { N_FILE, 0, gen, size };

	n_push(t, s);
	n_push(n, s);
	n_push(t, (struct nstate){ N_ABSENT, 0, 0, 0 });
	path(p, sizeof(p), root, rel);
	path(pt, sizeof(pt), root, tmp);
	status("rename %s over %s", tmp, rel);
	e = rename(pt, p) ? errno : 0;
	jlog("rename %s %s -> %s", tmp, rel, err_name(e));
	if (e) {
		count_err(e);
		printf("INFO: epoch %d: rename %s %s returned %s\n", epoch, tmp, rel, err_name(e));
		n_push(t, n_observe(t, s));
		n_push(n, n_observe(n, s));
		return;
	}
	n_dirsync("rn");
}

static int byte_ok(struct dfile *f, uint64_t off, uint8_t a);

/* ---- HSM files (issue #9: HSM restore + local writes + release) ----
 *
 * With PF_HSM_DIR set (the MDS path of ROOT/hsm, e.g. /pf/hsm), the suite
 * has put the NHSM objects `pfload --hsm-gen DIR` writes (hsm_content():
 * a function of file and offset, never 0) into S3 and imported them into
 * ROOT/hsm: released stubs whose data the OSTs restore per range on first
 * access.  Each is a data file whose durable image starts as its S3
 * content, never removed, never truncated, and the workload
 *   - reads random ranges of it through ROOT (half with O_DIRECT, which
 *     goes to the OSTs: restores); every byte must be what this client
 *     wrote or one the model allows (never zeros: the S3 content has none);
 *   - writes into it (never past its size), fsync or fdatasync at random;
 *   - archives it: fsync, then `hsm archive` (S3 gets the durable image,
 *     the model does not change);
 *   - releases it with `hsm release`: it must be refused when writes
 *     acknowledged by an fsync were not archived since (a success is a
 *     failure); refusals of a file not written since its import or last
 *     archive are counted.
 * PF_HSM_TOOL is the hsm program; it finds the MDS and key through
 * TESS_MDS and TESS_KEY, S3 through the AWS_* variables.  The checker
 * reads every HSM file whole through the fresh mount, as any data file.
 */
#define NHSM		3
#define HSM_MAXR	(256 << 10)	/* a range read */
#define HSM_MAXW	(128 << 10)	/* a local write */
#define HSM_TOOL_S	90		/* an hsm command at most */

static const uint64_t hsm_size[NHSM] = {
	(1 << 20) + 4321, (1 << 20) - 100, (3 << 19) + 12345
};

static const char *hsm_tool, *hsm_dir;
static int nhsm, nhsm_ops;	/* HSM files; HSM operations run */
static struct dfile *hf[NHSM];
static long wl_fail;		/* failures seen by the workload's reads */
static long h_reads, h_dreads, h_rbytes, h_rerr, h_writes;
static long h_arch_ok, h_arch_fail, h_rel_ok, h_rel_refused, h_rel_dirty;
static char h_arch_why[160], h_rel_why[160];	/* the last failure */
static long h_readopt;

/* the S3 content of hsm/hK.bin at off: never 0 */
static inline uint8_t hsm_content(int k, uint64_t off)
{
	uint64_t w = mix(0x5eed0f5300000000ULL ^ ((uint64_t)(k + 1) << 48) ^
			 (off >> 3));
	uint8_t b = (uint8_t)(w >> ((off & 7) * 8));

	return b ? b : 0x5a;
}

/* pfload --hsm-gen DIR: the objects the suite puts into S3 */
static int hsm_gen(const char *dir)
{
	static uint8_t buf[65536];
	char p[512];

	for (int k = 0; k < NHSM; k++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/h%d.bin", dir, k);
		f = fopen(p, "w");
		if (!f)
			die("%s: %s", p, strerror(errno));
		for (uint64_t off = 0; off < hsm_size[k]; off += sizeof(buf)) {
			size_t n = hsm_size[k] - off < sizeof(buf) ?
				   hsm_size[k] - off : sizeof(buf);

			for (size_t i = 0; i < n; i++)
				buf[i] = hsm_content(k, off + i);
			if (fwrite(buf, 1, n, f) != n)
				die("%s: %s", p, strerror(errno));
		}
		if (fclose(f))
			die("%s: %s", p, strerror(errno));
	}
	return 0;
}

static void hsm_setup(void)
{
	char p[512];
	struct stat st;

	hsm_dir = getenv("PF_HSM_DIR");
	hsm_tool = getenv("PF_HSM_TOOL");
	if (!hsm_dir || !*hsm_dir)
		return;
	if (!hsm_tool || !*hsm_tool)
		die("PF_HSM_DIR without PF_HSM_TOOL");
	for (int k = 0; k < NHSM; k++) {
		struct dfile *f = &df[k];	/* before any other data file */

		memset(f, 0, sizeof(*f));
		f->used = f->live = f->hsm = f->name_durable = 1;
		f->fd = -1;
		snprintf(f->rel, sizeof(f->rel), "hsm/h%d.bin", k);
		path(p, sizeof(p), root, f->rel);
		if (stat(p, &st) || (uint64_t)st.st_size != hsm_size[k])
			die("%s: not the imported file of %llu bytes", p,
			    (unsigned long long)hsm_size[k]);
		d_grow(f, hsm_size[k]);
		for (uint64_t off = 0; off < hsm_size[k]; off++)
			f->dimg[off] = f->cimg[off] = hsm_content(k, off);
		f->csize = f->dsize = f->minsize = f->maxsize = hsm_size[k];
		hf[k] = f;
	}
	nhsm = nhsm_ops = NHSM;
	if (dir_fsync("hsm"))
		die("fsync of hsm: %s", strerror(errno));
}

/* a failure seen by the workload (reported with the next check) */
static void hfail(const char *fmt, ...)
{
	va_list ap;

	wl_fail++;
	if (wl_fail > 20)
		return;
	printf("FAIL-DETAIL: cut %d seed %llu: ", epoch, (unsigned long long)seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* run `hsm CMD PF_HSM_DIR/NAME` (bounded); its exit status, -1 if it ran
 * out of time or could not start; msg: the first line it printed */
static int hsm_run(const char *cmd, struct dfile *f, char *msg, size_t msz)
{
	char p[512], out[512];
	pid_t pid;
	int st = -1, fd;
	double t = now();
	FILE *o;

	snprintf(p, sizeof(p), "%s/%s", hsm_dir, f->rel + 4);	/* "hsm/" */
	snprintf(out, sizeof(out), "%s/hsm.out", ctl);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(hsm_tool, "hsm", cmd, p, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now() - t > HSM_TOOL_S) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = -1;
			break;
		}
		usleep(10000);
	}
	if (st != -1)
		st = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	msg[0] = 0;
	o = fopen(out, "r");
	if (o) {
		if (!fgets(msg, msz, o))
			msg[0] = 0;
		fclose(o);
	}
	msg[strcspn(msg, "\n")] = 0;
	return st;
}

static void h_read(struct dfile *f)
{
	static uint8_t *buf;
	uint64_t size = f->csize, off = rndn(size), len = 1 + rndn(HSM_MAXR);
	uint64_t want, bad = 0;
	int direct = rndn(2), fd, e = 0;
	char p[512];
	ssize_t n;

	if (!buf && posix_memalign((void **)&buf, 4096, HSM_MAXR + 8192))
		die("out of memory");
	if (direct) {
		off &= ~4095ULL;
		len = (len + 4095) & ~4095ULL;
	}
	want = off + len > size ? size - off : len;
	path(p, sizeof(p), root, f->rel);
	status("hsm read %s off %llu len %llu%s", f->rel, (unsigned long long)off,
	       (unsigned long long)len, direct ? " O_DIRECT" : "");
	fd = open(p, O_RDONLY | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		e = errno;
		n = -1;
	} else {
		n = pread(fd, buf, len, off);
		if (n < 0)
			e = errno;
		close(fd);
	}
	jlog("hsm-read %s off %llu len %llu%s -> %s %lld", f->rel,
	     (unsigned long long)off, (unsigned long long)len,
	     direct ? " O_DIRECT" : "", err_name(e), (long long)n);
	if (n < 0) {
		count_err(e);
		h_rerr++;
		printf("INFO: epoch %d: read of %s at %llu returned %s\n", epoch,
		       f->rel, (unsigned long long)off, err_name(e));
		return;
	}
	h_reads++;
	h_dreads += direct;
	h_rbytes += n;
	if ((uint64_t)n != want)
		hfail("%s: a read of %llu bytes at %llu%s returned %lld bytes, not %llu",
		      f->rel, (unsigned long long)len, (unsigned long long)off,
		      direct ? " (O_DIRECT)" : "", (long long)n,
		      (unsigned long long)want);
	for (uint64_t i = 0; i < (uint64_t)n; i++) {
		uint64_t o = off + i;

		if (o < f->csize && buf[i] == f->cimg[o])
			continue;
		if (byte_ok(f, o, buf[i]))
			continue;
		if (!bad++)
			hfail("%s: a read at %llu%s during the workload: byte %llu is %#x, expected %#x (%s)%s",
			      f->rel, (unsigned long long)off,
			      direct ? " (O_DIRECT)" : "", (unsigned long long)o,
			      buf[i], o < f->csize ? f->cimg[o] : 0,
			      f->hsm_dirty ? "written since import or archive" :
			      "S3 content", buf[i] ? "" : " ZEROS");
	}
	if (bad > 1)
		hfail("%s: %llu wrong bytes in that read", f->rel,
		      (unsigned long long)bad);
}

static void h_write(struct dfile *f)
{
	uint64_t off = rndn(f->csize), len = 1 + rndn(HSM_MAXW);

	if (off + len > f->csize)
		len = f->csize - off;
	if (!d_ensure_open(f))
		return;
	f->hsm_dirty = 1;
	h_writes++;
	d_write(f, off, len);
	if (f->live && rndn(2) == 0)
		d_fsync(f);
}

static void h_archive(struct dfile *f)
{
	char msg[256];
	int rc;

	if (!d_ensure_open(f))
		return;
	d_fsync(f);		/* S3 gets the durable image */
	if (!f->live)
		return;
	status("hsm archive %s", f->rel);
	rc = hsm_run("archive", f, msg, sizeof(msg));
	jlog("hsm-archive %s -> %d: %s", f->rel, rc, msg);
	if (rc == 0) {
		f->hsm_dirty = f->hsm_unsure = 0;
		h_arch_ok++;
	} else {
		h_arch_fail++;
		snprintf(h_arch_why, sizeof(h_arch_why), "epoch %d, exit %d: %.120s",
			 epoch, rc, msg);
		printf("INFO: epoch %d: hsm archive %s: exit %d: %s\n", epoch,
		       f->rel, rc, msg);
	}
}

static void h_release(struct dfile *f)
{
	char msg[256];
	int rc;

	if (f->hsm_dirty && rndn(2)) {
		/* archived first: then the release must succeed */
		h_archive(f);
	} else if (f->hsm_dirty) {
		/* its writes on the OSTs first: then a refusal is certain */
		if (!d_ensure_open(f))
			return;
		d_fsync(f);
	}
	if (!f->live)
		return;
	status("hsm release %s", f->rel);
	rc = hsm_run("release", f, msg, sizeof(msg));
	jlog("hsm-release %s (%s) -> %d: %s", f->rel,
	     f->hsm_dirty ? "written since archived" : "clean", rc, msg);
	if (rc == 0 && f->hsm_dirty && !f->hsm_unsure) {
		hfail("%s: hsm release returned 0 over writes acknowledged by fsync and never archived (%s)",
		      f->rel, msg);
	} else if (rc == 0) {
		h_rel_ok++;
		f->hsm_dirty = f->hsm_unsure = 0;	/* the S3 copy now */
	} else if (f->hsm_dirty) {
		h_rel_dirty++;
	} else {
		h_rel_refused++;
		snprintf(h_rel_why, sizeof(h_rel_why), "epoch %d, exit %d: %.120s",
			 epoch, rc, msg);
		printf("INFO: epoch %d: hsm release %s (not written since import or archive): exit %d: %s\n",
		       epoch, f->rel, rc, msg);
	}
}

/*
 * An HSM file abandoned after an error (the fsync after a cut returns
 * EIO when an OST lost what it had not made stable), and checked since:
 * taken up again with what the OSTs hold once an fsync of a new
 * descriptor returned 0 (nothing of this client is unstable then), read
 * with O_DIRECT; each byte must be one the model allows.  Whether it is
 * dirty for HSM is not known then (a release is not judged) until its
 * next archive.
 */
static void h_take_up(struct dfile *f)
{
	static uint8_t *buf;
	uint64_t size = f->csize, got = 0, bad = 0;
	char p[512];
	int fd, e = 0;

	if (!buf && posix_memalign((void **)&buf, 4096, (2 << 20) + HSM_MAXR))
		die("out of memory");
	if (size > (2 << 20))
		die("%s: larger than the take-up buffer", f->rel);
	path(p, sizeof(p), root, f->rel);
	status("hsm take up %s", f->rel);
	fd = open(p, O_RDWR);
	if (fd < 0 || fsync(fd))
		e = errno;
	if (fd >= 0)
		close(fd);
	if (!e) {
		fd = open(p, O_RDONLY | O_DIRECT);
		if (fd < 0)
			e = errno;
		while (fd >= 0 && got < size) {
			ssize_t n = pread(fd, buf + got, HSM_MAXR, got);

			if (n < 0)
				e = errno;
			if (n <= 0)
				break;
			got += n;
		}
		if (fd >= 0)
			close(fd);
	}
	jlog("hsm-take-up %s: fsync + O_DIRECT read -> %s, %llu bytes", f->rel,
	     err_name(e), (unsigned long long)got);
	if (e || got != size) {
		count_err(e ? e : EIO);
		printf("INFO: epoch %d: taking %s up again: %s, %llu of %llu bytes read\n",
		       epoch, f->rel, err_name(e), (unsigned long long)got,
		       (unsigned long long)size);
		f->checked_dead = 0;	/* again after the next check */
		return;
	}
	for (uint64_t o = 0; o < size; o++)
		if (!byte_ok(f, o, buf[o]) && !bad++)
			hfail("%s: taken up again after an error: byte %llu reads %#x, not one the model allows%s",
			      f->rel, (unsigned long long)o, buf[o],
			      buf[o] ? "" : " (ZEROS)");
	if (bad) {
		f->checked_dead = 0;
		return;
	}
	memcpy(f->dimg, buf, size);
	memcpy(f->cimg, buf, size);
	f->dsize = f->minsize = f->maxsize = size;
	f->npend = 0;
	f->tainted = 0;
	f->checked_dead = 0;
	f->live = 1;
	f->hsm_dirty = f->hsm_unsure = 1;
	h_readopt++;
}

static void op_hsm(void)
{
	struct dfile *f = hf[rndn(nhsm)];
	uint64_t r = rndn(100);

	if (f->broken)
		return;
	if (!f->live && f->checked_dead)
		h_take_up(f);
	else if (r < 50 || !f->live)
		h_read(f);
	else if (r < 86)
		h_write(f);
	else if (r < 94)
		h_archive(f);
	else
		h_release(f);
}

/* ---- the checker ---- */

static long v_bytes, v_dbytes, v_files, v_names, v_fail, v_broken;

#define REPORT_MAX 6

static void vfail(const char *fmt, ...)
{
	va_list ap;

	v_fail++;
	if (v_fail > 40)
		return;
	printf("FAIL-DETAIL: cut %d seed %llu: ", epoch, (unsigned long long)seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* read a whole file through the verification mount; NULL and *err on
 * an error (read_err says where, for a read) */
static char read_err[128];

static uint8_t *read_all(const char *p, uint64_t *size, int *err)
{
	int fd = open(p, O_RDONLY);
	struct stat st;
	uint8_t *b;
	uint64_t got = 0;

	*err = 0;
	snprintf(read_err, sizeof(read_err), "open: %s", fd < 0 ? err_name(errno) : "ok");
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	if (fstat(fd, &st)) {
		*err = errno;
		close(fd);
		return NULL;
	}
	b = malloc(st.st_size + 1);
	if (!b)
		die("out of memory");
	while (got < (uint64_t)st.st_size) {
		ssize_t n = read(fd, b + got, st.st_size - got);

		if (n < 0) {
			*err = errno;
			snprintf(read_err, sizeof(read_err), "read at %llu of %lld bytes: %s",
				 (unsigned long long)got, (long long)st.st_size,
				 err_name(errno));
			break;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	if (*err) {
		free(b);
		return NULL;
	}
	if (got < (uint64_t)st.st_size)
		vfail("%s: stat size %lld but read returned only %llu bytes (checked as the size)", p,
		      (long long)st.st_size, (unsigned long long)got);
	*size = got;
	return b;
}

/* the durable size, or the lowest truncate issued since, if lower */
static uint64_t trunc_low(const struct dfile *f)
{
	uint64_t low = f->dsize;

	for (int i = 0; i < f->npend; i++)
		if (f->pend[i].kind == 't' && f->pend[i].off < low)
			low = f->pend[i].off;
	return low;
}

static int byte_ok(struct dfile *f, uint64_t off, uint8_t a)
{
	if (off < f->dsize && f->dimg[off] == a)
		return 1;
	for (int i = f->npend - 1; i >= 0; i--) {
		struct pend *w = &f->pend[i];

		if (w->kind == 'w' && off >= w->off && off < w->off + w->len &&
		    pat(w->gen, off - w->off + w->src) == a)
			return 1;
	}
	/*
	 * An EIO makes everything not durable free: above the durable size,
	 * and past a truncate not yet fsynced (it may have cut the durable
	 * bytes, and the writes that came after it be lost, reported by that
	 * EIO, under a size a surviving later write set), as after an EIO
	 * from ext4
	 */
	if (a == 0 && f->tainted &&
	    (off >= f->dsize || !f->dimg[off] || off >= trunc_low(f)))
		return 1;
	return 0;
}

/* reported: the workload leaves the file, later checks skip it */
static void d_break(struct dfile *f)
{
	f->broken = 1;
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	f->live = 0;
	v_broken++;
}

static void check_dfile(const char *vroot, struct dfile *f)
{
	char p[512];
	uint64_t size, bad = 0, runs = 0;
	int err;
	uint8_t *b;
	long fails = v_fail;

	if (f->broken)
		return;
	status("check %s", f->rel);
	path(p, sizeof(p), vroot, f->rel);
	b = read_all(p, &size, &err);
	if (!b) {
		if (err == ENOENT && (!f->name_durable || f->unlinking))
			return;
		vfail("%s: %s (durable: name %s, %llu bytes)%s", f->rel, read_err,
		      f->name_durable ? "yes" : "no", (unsigned long long)f->dsize,
		      err == ENOENT ? ": LOST acknowledged name" :
		      f->dsize ? ": acknowledged data unreadable" : "");
		d_break(f);
		return;
	}
	v_files++;
	v_bytes += size;
	v_dbytes += size < f->dsize ? size : f->dsize;
	if (size < f->minsize || size > f->maxsize) {
		int lost = size < f->dsize && size < f->minsize;

		vfail("%s: size %llu, the model allows %llu..%llu (durable %llu)%s%s",
		      f->rel, (unsigned long long)size,
		      (unsigned long long)f->minsize, (unsigned long long)f->maxsize,
		      (unsigned long long)f->dsize,
		      lost ? ": LOST acknowledged bytes " : "",
		      f->tainted ? " [file saw an error]" : "");
	}
	/* acknowledged: below the durable size and below every truncate
	 * issued since (a byte past one may legitimately be gone, though
	 * never replaced by zeros) */
	uint64_t ack_end = trunc_low(f);

	/* mismatching ranges, by class */
	for (uint64_t off = 0; off < size;) {
		if (byte_ok(f, off, b[off])) {
			off++;
			continue;
		}
		uint64_t s = off;
		int zero = b[off] == 0, ack = off < ack_end;

		while (off < size && !byte_ok(f, off, b[off]) &&
		       (b[off] == 0) == zero && (off < ack_end) == ack)
			off++;
		bad += off - s;
		if (++runs <= REPORT_MAX) {
			char hex[80] = "";

			for (uint64_t i = s; i < off && i < s + 16; i++)
				snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex),
					 "%02x", b[i]);
			vfail("%s: bytes %llu..%llu (%llu): %s%s (durable size %llu, read size %llu, %d pending ops%s; read %s%s, expected %02x%02x%02x%02x...)",
			      f->rel, (unsigned long long)s, (unsigned long long)off - 1,
			      (unsigned long long)(off - s),
			      zero ? "ZEROS" : "WRONG DATA",
			      ack ? " in ACKNOWLEDGED data (LOST)" :
			      s < f->dsize ? " past a truncate not yet fsynced (zeros there only after an EIO)" :
			      " above the durable size (never zeros there)",
			      (unsigned long long)f->dsize, (unsigned long long)size,
			      f->npend, f->tainted ? ", file saw an error" : "",
			      hex, off - s > 16 ? "..." : "",
			      s < f->dsize ? f->dimg[s] : 0, s + 1 < f->dsize ? f->dimg[s + 1] : 0,
			      s + 2 < f->dsize ? f->dimg[s + 2] : 0, s + 3 < f->dsize ? f->dimg[s + 3] : 0);
		}
	}
	if (runs > REPORT_MAX)
		vfail("%s: %llu bad bytes in %llu ranges in all", f->rel,
		      (unsigned long long)bad, (unsigned long long)runs);
	free(b);
	if (v_fail > fails)
		d_break(f);
	else if (!f->live)
		f->checked_dead = 1;
}

static int state_matches(const char *vroot, struct name *n, struct nstate *s,
			 struct stat *st, int exists, char *why, size_t wl)
{
	if (!exists)
		return s->type == N_ABSENT;
	if (S_ISDIR(st->st_mode))
		return s->type == N_DIR;
	if (s->type != N_FILE)
		return 0;
	if (s->any)
		return 1;
	if ((uint64_t)st->st_size != s->size) {
		snprintf(why, wl, "size %lld, not %u", (long long)st->st_size, s->size);
		return 0;
	}
	char p[512];
	uint64_t size;
	int err;
	uint8_t *b;

	path(p, sizeof(p), vroot, n->rel);
	b = read_all(p, &size, &err);
	if (!b) {
		snprintf(why, wl, "%s", read_err);
		return 0;
	}
	for (uint64_t i = 0; i < size; i++)
		if (b[i] != pat(s->gen, i)) {
			snprintf(why, wl, "byte %llu is %#x, gen %u has %#x%s",
				 (unsigned long long)i, b[i], s->gen, pat(s->gen, i),
				 b[i] ? "" : " (ZEROS)");
			free(b);
			return 0;
		}
	free(b);
	return 1;
}

static const char *tname(int t)
{
	return t == N_ABSENT ? "absent" : t == N_FILE ? "file" : "dir";
}

static void check_name(const char *vroot, struct name *n)
{
	char p[512], why[160] = "", whys[600] = "";
	struct stat st;
	int exists;

	if (n->broken)
		return;
	status("check %s", n->rel);
	path(p, sizeof(p), vroot, n->rel);
	exists = lstat(p, &st) == 0;
	if (!exists && errno != ENOENT) {
		vfail("%s: lstat: %s", n->rel, err_name(errno));
		n->broken = 1;
		v_broken++;
		return;
	}
	v_names++;
	if (state_matches(vroot, n, &n->dur, &st, exists, why, sizeof(why)))
		return;
	if (why[0])
		snprintf(whys, sizeof(whys), " durable state: %s;", why);
	for (int i = n->nst - 1; i >= 0; i--) {
		why[0] = 0;
		if (state_matches(vroot, n, &n->st[i], &st, exists, why, sizeof(why)))
			return;
		if (why[0] && strlen(whys) < 400)
			snprintf(whys + strlen(whys), sizeof(whys) - strlen(whys),
				 " state %d: %s;", i, why);
	}
	int t = exists ? (S_ISDIR(st.st_mode) ? N_DIR : N_FILE) : N_ABSENT;

	n->broken = 1;	/* reported once; the workload may still use it */
	v_broken++;

	vfail("%s: %s, durable state %s%s (size %u gen %u), %d states since, none matches:%s%s",
	      n->rel, tname(t), tname(n->dur.type), n->dur.any ? " (any content)" : "",
	      n->dur.size, n->dur.gen, n->nst, whys,
	      t != n->dur.type ? " [the acknowledged name state is LOST]" :
	      " [acknowledged content LOST or torn]");
}

/* every entry of a checked directory is one the model knows */
static void check_dir_entries(const char *vroot, const char *dir, const char *prefix)
{
	char p[512], rel[300];
	DIR *d;
	struct dirent *e;

	path(p, sizeof(p), vroot, dir);
	d = opendir(p);
	if (!d) {
		vfail("%s: opendir: %s", dir, err_name(errno));
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", dir, e->d_name);
		if (prefix) {
			int known = 0;

			for (int i = 0; i < MAXD; i++)
				if (df[i].used && !strcmp(df[i].rel, rel))
					known = 1;
			if (!known)
				vfail("%s: a name the workload never made or removed for good", rel);
		} else if (!n_find(rel)) {
			vfail("%s: a name the workload never made", rel);
		}
	}
	closedir(d);
}

static int verify(const char *vroot)
{
	double t = now();
	char dir[32];
	long tainted = 0;

	long hb, hfiles, hlocal = 0, hfail0;

	v_bytes = v_dbytes = v_files = v_names = v_fail = 0;
	/* what the workload's reads found since the last check */
	v_fail = wl_fail;
	wl_fail = 0;
	for (int i = 0; i < MAXD; i++)
		if (df[i].used && !df[i].hsm) {
			check_dfile(vroot, &df[i]);
			tainted += df[i].tainted;
		}
	hb = v_bytes;
	hfiles = v_files;
	hfail0 = v_fail;
	for (int k = 0; k < nhsm; k++) {
		check_dfile(vroot, hf[k]);
		tainted += hf[k]->tainted;
		for (uint64_t o = 0; o < hf[k]->dsize; o++)
			hlocal += hf[k]->dimg[o] != hsm_content(k, o);
	}
	hb = v_bytes - hb;
	hfiles = v_files - hfiles;
	if (nhsm)
		check_dir_entries(vroot, "hsm", "");
	if (nhsm)
		printf("HSM %d %s: %ld of %d files read whole, %ld bytes (%ld acknowledged local writes, the rest S3 content); "
		       "so far %ld range reads (%ld O_DIRECT, %ld bytes, %ld errors), %ld writes, %ld archives (%ld failed), "
		       "%ld releases (refused: %ld clean, %ld written since archived), %ld taken up again after an error%s%s%s%s\n",
		       epoch, v_fail > hfail0 ? "FAIL" : "ok", hfiles, nhsm, hb,
		       hlocal, h_reads, h_dreads, h_rbytes, h_rerr, h_writes,
		       h_arch_ok + h_arch_fail, h_arch_fail,
		       h_rel_ok + h_rel_refused + h_rel_dirty, h_rel_refused,
		       h_rel_dirty, h_readopt, h_arch_why[0] ? "; last failed archive: " : "",
		       h_arch_why, h_rel_why[0] ? "; last refused clean release: " : "",
		       h_rel_why);
	for (int i = 0; i < nnames; i++)
		check_name(vroot, &nm[i]);
	for (int i = 0; i < ngone; i++) {
		char p[512];
		struct stat st;

		path(p, sizeof(p), vroot, gone[i]);
		if (!lstat(p, &st))
			vfail("%s: removed for good (unlink and directory fsync returned 0) but back: LOST unlink", gone[i]);
	}
	check_dir_entries(vroot, "st", "");
	check_dir_entries(vroot, "ap", "");
	check_dir_entries(vroot, "rn", NULL);
	for (int d = 0; d < NDIRS; d++) {
		snprintf(dir, sizeof(dir), "tree/d%d", d);
		check_dir_entries(vroot, dir, NULL);
	}
	printf("RESULT %d %s: %ld files, %ld bytes read (%ld acknowledged by fsync), %ld names; "
	       "%ld ops this epoch, %ld in all, %ld fsyncs acknowledged, %ld EIO, %ld other errors, %ld files abandoned, %ld left out after a failed check; check %.1fs\n",
	       epoch, v_fail ? "FAIL" : "ok", v_files, v_bytes, v_dbytes, v_names,
	       ep_ops, nops, nfsync_ok, neio, nerr_other, tainted, v_broken, now() - t);
	fflush(stdout);
	return v_fail ? 1 : 0;
}

/* ---- control ---- */

static void wait_ctl(const char *name, int n)
{
	while (!ctl_exists(name, n))
		usleep(20000);
}

static void read_vroot(int n, char *vroot, size_t sz)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/verify.%d", ctl, n);
	f = fopen(p, "r");
	if (!f || !fgets(vroot, sz, f))
		die("%s: cannot read", p);
	fclose(f);
	vroot[strcspn(vroot, "\n")] = 0;
}

static void sync_all(void)
{
	for (int i = 0; i < MAXD; i++) {
		struct dfile *f = &df[i];

		if (!f->used || !f->live)
			continue;
		if (!d_ensure_open(f))
			continue;
		d_fsync(f);
		if (f->live)
			d_close(f);
	}
	n_dirsync("rn");
	for (int d = 0; d < NDIRS; d++) {
		char dir[24];

		snprintf(dir, sizeof(dir), "tree/d%d", d);
		n_dirsync(dir);
	}
}

static void setup(void)
{
	static const char *dirs[] = { "st", "ap", "rn", "tree" };
	char p[512], rel[48], dir[24];

	for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		path(p, sizeof(p), root, dirs[i]);
		if (mkdir(p, 0755))
			die("mkdir %s: %s", p, strerror(errno));
	}
	for (int d = 0; d < NDIRS; d++) {
		snprintf(dir, sizeof(dir), "tree/d%d", d);
		path(p, sizeof(p), root, dir);
		if (mkdir(p, 0755))
			die("mkdir %s: %s", p, strerror(errno));
		for (int i = 0; i < NFILES; i++) {
			snprintf(rel, sizeof(rel), "%s/f%d", dir, i);
			n_add(rel, dir);
		}
		for (int i = 0; i < NSUB; i++) {
			snprintf(rel, sizeof(rel), "%s/s%d", dir, i);
			n_add(rel, dir);
		}
		if (dir_fsync(dir))
			die("fsync %s: %s", dir, strerror(errno));
	}
	for (int k = 0; k < NSLOTS; k++) {
		snprintf(rel, sizeof(rel), "rn/r%d", k);
		n_add(rel, "rn");
		snprintf(rel, sizeof(rel), "rn/r%d.tmp", k);
		n_add(rel, "rn");
	}
	if (dir_fsync("") || dir_fsync("tree"))
		die("fsync of the root: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	char p[512], vroot[400];
	int failed = 0;

	if (argc == 3 && !strcmp(argv[1], "--hsm-gen"))
		return hsm_gen(argv[2]);
	if (argc != 4) {
		fprintf(stderr, "usage: pfload ROOT CTL SEED | pfload --hsm-gen DIR\n");
		return 2;
	}
	root = argv[1];
	ctl = argv[2];
	seed = strtoull(argv[3], NULL, 0);
	rng = seed * 0x2545f4914f6cdd1dULL + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(p, sizeof(p), "%s/journal", ctl);
	jfd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	snprintf(p, sizeof(p), "%s/status", ctl);
	sfd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (jfd < 0 || sfd < 0)
		die("%s: %s", ctl, strerror(errno));
	setup();
	hsm_setup();
	ctl_write("ready", 0, "ready\n");
	for (;;) {
		/* the workload, until the suite asks for a stop */
		ep_ops = 0;
		/* CTL/nohsm: no HSM operation from here on (the self-test of
		 * a disk that drops writes wants fsyncs, not slow hsm runs) */
		snprintf(p, sizeof(p), "%s/nohsm", ctl);
		if (nhsm && !access(p, F_OK))
			nhsm_ops = 0;
		while (!ctl_exists("stop", epoch)) {
			uint64_t r = rndn(100);

			nops++;
			ep_ops++;
			if (nhsm_ops && rndn(100) < 5)
				op_hsm();
			else if (r < 3)
				d_remove_dead();
			else if (r < 45)
				op_stream();
			else if (r < 70)
				op_append();
			else if (r < 90)
				op_tree();
			else
				op_rename_over();
		}
		status("quiet");
		jlog("quiet");
		snprintf(p, sizeof(p), "%ld\n", ep_ops);
		ctl_write("quiet", epoch, p);
		for (;;) {
			wait_ctl("verify", epoch);
			read_vroot(epoch, vroot, sizeof(vroot));
			int rc = verify(vroot);

			failed |= rc;
			ctl_write("result", epoch, rc ? "FAIL\n" : "ok\n");
			while (!ctl_exists("go", epoch) && !ctl_exists("sync", epoch) &&
			       !ctl_exists("exit", epoch))
				usleep(20000);
			if (ctl_exists("exit", epoch))
				return failed;
			if (ctl_exists("go", epoch)) {
				epoch++;
				break;
			}
			/* sync: everything fsynced and closed, then a check
			 * of that after the next cut */
			epoch++;
			ep_ops = 0;
			sync_all();
			status("quiet (all synced)");
			jlog("quiet (all synced)");
			ctl_write("quiet", epoch, "synced\n");
		}
	}
}
