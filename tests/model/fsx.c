/* SPDX-License-Identifier: MIT */
/*
 * fsx.c - a random-operation model checker for one file (after xfstests'
 * fsx): random reads, writes, pwrites, O_APPEND writes, truncates up and
 * down, mmap reads and mmap writes (msync MS_SYNC, MS_ASYNC or none), fsync, aligned O_DIRECT reads
 * and writes, close + reopen and drop_caches against FILE, every result
 * checked against an in-memory model of the contents and the size.
 *
 *   fsx [-S SEED] [-N OPS] [-l MAXLEN] [-o MAXOPLEN] [-m MODES] [-c N]
 *       [-A ALIGN] [-L LOGLEN] [-D] [-F OP] [-B OP] [-q] FILE
 *
 *   -S SEED    random seed (default 1; 0: from the clock, printed)
 *   -N OPS     number of operations (default 10000)
 *   -l MAXLEN  largest file size (default 1 MiB)
 *   -o MAXOP   largest single read/write (default 64 KiB)
 *   -m MODES   comma list of buffered, mmap, direct, or all (default all)
 *   -c N       full-file compare every N ops (default 500; 0: never but
 *              after reopen and at the end)
 *   -A ALIGN   O_DIRECT alignment of offsets, lengths, buffers (4096)
 *   -L LOGLEN  operations kept for the report (default 50)
 *   -D         no drop_caches (also skipped when not root)
 *   -F OP      self-test: after operation OP corrupt one byte of the MODEL
 *   -B OP      self-test: after operation OP corrupt one byte of the FILE
 *              behind the checker's back (a separate descriptor); either
 *              is followed by a full compare, which must fail
 *   -q         quieter: no start line
 *   -T SECS    stop issuing operations after SECS seconds (the final
 *              compares still run; the summary counts what ran)
 *   -P N       a progress line every N operations
 *
 * Every byte written by operation #n at file offset x is (n + x % 251) &
 * 0xff, so a wrong byte names the operation (mod 256) that wrote it.
 * Exit status: 0 all good, 1 a mismatch (contents, size or a return value
 * that the model did not predict), 2 a system call failed or bad usage.
 * The run is a pure function of the seed and the options: the same
 * command line replays it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum op {
	OP_READ, OP_WRITE, OP_PWRITE, OP_APPEND, OP_TRUNC_UP, OP_TRUNC_DOWN,
	OP_MAPREAD, OP_MAPWRITE, OP_FSYNC, OP_DREAD, OP_DWRITE, OP_REOPEN,
	OP_DROPCACHES, OP_COMPARE, OP_NR
};

static const char *op_names[OP_NR] = {
	"read", "write", "pwrite", "append", "truncup", "truncdown",
	"mapread", "mapwrite", "fsync", "dread", "dwrite", "reopen",
	"dropcaches", "compare",
};

#define M_BUFFERED	1
#define M_MMAP		2
#define M_DIRECT	4

/* relative weights, per mode that enables the operation */
static const struct { enum op op; int modes; int weight; } weights[] = {
	{ OP_READ,	M_BUFFERED, 100 },
	{ OP_WRITE,	M_BUFFERED, 60 },
	{ OP_PWRITE,	M_BUFFERED, 60 },
	{ OP_APPEND,	M_BUFFERED, 30 },
	{ OP_MAPREAD,	M_MMAP, 100 },
	{ OP_MAPWRITE,	M_MMAP, 100 },
	{ OP_DREAD,	M_DIRECT, 80 },
	{ OP_DWRITE,	M_DIRECT, 80 },
	{ OP_TRUNC_UP,	M_BUFFERED | M_MMAP | M_DIRECT, 15 },
	{ OP_TRUNC_DOWN, M_BUFFERED | M_MMAP | M_DIRECT, 30 },
	{ OP_FSYNC,	M_BUFFERED | M_MMAP | M_DIRECT, 15 },
	{ OP_REOPEN,	M_BUFFERED | M_MMAP | M_DIRECT, 8 },
	{ OP_COMPARE,	M_BUFFERED | M_MMAP | M_DIRECT, 3 },
	{ OP_DROPCACHES, M_BUFFERED | M_MMAP | M_DIRECT, 2 },
};

struct logent {
	unsigned long n;
	enum op op;
	long long off, len;
	long long size0, size1;
	const char *note;
};

static const char *path;
static unsigned long long seed = 1;
static unsigned long nops = 10000;
static long long maxlen = 1 << 20;
static long long maxoplen = 64 << 10;
static int modes = M_BUFFERED | M_MMAP | M_DIRECT;
static unsigned long compare_every = 500;
static long long align = 4096;
static int loglen = 50;
static int no_drop;
static unsigned long inject_model, inject_file;
static int quiet;
static long time_limit;
static unsigned long progress;
static int stopped_early;
static char cmdline[2048];

static uint8_t *good;		/* the model: maxlen bytes, zero past fsize */
static long long fsize;		/* the model's size */
static uint8_t *buf;		/* aligned scratch, maxlen + align bytes */
static int fd = -1, fd_app = -1, fd_dio = -1;
static long pagesz;
static unsigned long opno;	/* current operation, from 1 */
static unsigned long counts[OP_NR];
static double op_secs[OP_NR], fstat_secs;	/* time spent, per kind */
static unsigned long skipped_drops;
static struct logent *oplog;
static unsigned long nlogged;
static int direct_ok = 1;

/* splitmix64: the same sequence on every libc */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [lo, hi] */
static long long rnd_range(long long lo, long long hi)
{
	if (hi <= lo)
		return lo;
	return lo + (long long)(rnd() % (uint64_t)(hi - lo + 1));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint8_t pattern(unsigned long n, long long x)
{
	return (uint8_t)(n + (unsigned long long)x % 251);
}

static void log_op(enum op op, long long off, long long len, long long size0,
		   const char *note)
{
	struct logent *e = &oplog[nlogged++ % loglen];

	e->n = opno;
	e->op = op;
	e->off = off;
	e->len = len;
	e->size0 = size0;
	e->size1 = fsize;
	e->note = note;
}

static void print_logent(const struct logent *e)
{
	fprintf(stderr, "  #%-8lu %-10s", e->n, op_names[e->op]);
	switch (e->op) {
	case OP_READ: case OP_WRITE: case OP_PWRITE: case OP_APPEND:
	case OP_MAPREAD: case OP_MAPWRITE: case OP_DREAD: case OP_DWRITE:
		fprintf(stderr, " 0x%llx thru 0x%llx (0x%llx bytes)",
			e->off, e->off + e->len - 1, e->len);
		break;
	case OP_TRUNC_UP: case OP_TRUNC_DOWN:
		fprintf(stderr, " to 0x%llx", e->off);
		break;
	default:
		break;
	}
	fprintf(stderr, "  size 0x%llx", e->size0);
	if (e->size1 != e->size0)
		fprintf(stderr, " -> 0x%llx", e->size1);
	if (e->note)
		fprintf(stderr, "  [%s]", e->note);
	fputc('\n', stderr);
}

static void dump_log(void)
{
	unsigned long i, first = nlogged > (unsigned long)loglen ?
		nlogged - loglen : 0;

	fprintf(stderr, "fsx: last %lu operations (oldest first):\n",
		nlogged - first);
	for (i = first; i < nlogged; i++)
		print_logent(&oplog[i % loglen]);
	fprintf(stderr, "fsx: replay: %s\n", cmdline);
}

static void print_counts(FILE *to, const char *verdict)
{
	fprintf(to, "fsx: %s seed=%llu ops=%lu maxlen=%lld size=%lld:", path,
		seed, opno, maxlen, fsize);
	for (int i = 0; i < OP_NR; i++)
		if (counts[i])
			fprintf(to, " %s=%lu", op_names[i], counts[i]);
	if (skipped_drops)
		fprintf(to, " dropcaches-skipped=%lu", skipped_drops);
	fprintf(to, "; %s%s\n", verdict, stopped_early ? " (stopped by -T)" : "");
	/* where the time went: which kinds of operation are slow here */
	fprintf(to, "fsx: %s seconds:", path);
	for (int i = 0; i < OP_NR; i++)
		if (counts[i])
			fprintf(to, " %s=%.1f", op_names[i], op_secs[i]);
	fprintf(to, " fstat-after-each=%.1f\n", fstat_secs);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fsx: %s: seed %llu: op #%lu: ", status == 1 ?
		"MISMATCH" : "ERROR", seed, opno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dump_log();
	print_counts(stderr, status == 1 ? "FAILED: mismatch" : "FAILED: error");
	exit(status);
}

#define sys_fail(what) die(2, "%s: %s", what, strerror(errno))

/* the bytes at file offset base..base+n as read must equal the model's */
static void check_bytes(const char *what, long long base, const uint8_t *got,
			long long n)
{
	long long i, j, last, ndiff = 0;

	if (!memcmp(got, good + base, n))
		return;
	for (i = 0; i < n && got[i] == good[base + i]; i++)
		;
	last = i;
	for (j = i; j < n; j++)
		if (got[j] != good[base + j]) {
			ndiff++;
			last = j;
		}
	fprintf(stderr, "fsx: %s of 0x%llx bytes at 0x%llx differs from the model\n",
		what, n, base);
	fprintf(stderr, "fsx: first difference at offset 0x%llx (%lld), last at 0x%llx, %lld bytes differ; file size 0x%llx\n",
		base + i, base + i, base + last, ndiff, fsize);
	fprintf(stderr, "fsx: offset     expected actual\n");
	for (j = i; j < n && j < i + 16; j++) {
		fprintf(stderr, "fsx: 0x%08llx %02x       %02x", base + j,
			good[base + j], got[j]);
		/* the operation (mod 256) whose pattern each byte matches */
		if (good[base + j] != got[j])
			fprintf(stderr, " *  (expected from op ~%u, actual from op ~%u, mod 256)",
				(uint8_t)(good[base + j] - (base + j) % 251),
				(uint8_t)(got[j] - (base + j) % 251));
		fputc('\n', stderr);
	}
	die(1, "%s at 0x%llx: expected 0x%02x, got 0x%02x", what, base + i,
	    good[base + i], got[i]);
}

static void check_size(const char *what)
{
	struct stat st;

	if (fstat(fd, &st))
		sys_fail("fstat");
	if (st.st_size != fsize)
		die(1, "%s: fstat size 0x%llx, model size 0x%llx", what,
		    (long long)st.st_size, fsize);
}

static void check_path_size(const char *what)
{
	struct stat st;

	if (stat(path, &st))
		sys_fail("stat");
	if (st.st_size != fsize)
		die(1, "%s: stat(path) size 0x%llx, model size 0x%llx", what,
		    (long long)st.st_size, fsize);
}

static void open_all(int flags)
{
	fd = open(path, O_RDWR | flags, 0644);
	if (fd < 0)
		sys_fail("open");
	if (modes & M_BUFFERED) {
		fd_app = open(path, O_RDWR | O_APPEND);
		if (fd_app < 0)
			sys_fail("open O_APPEND");
	}
	if ((modes & M_DIRECT) && direct_ok) {
		fd_dio = open(path, O_RDWR | O_DIRECT);
		if (fd_dio < 0 && errno == EINVAL) {
			fprintf(stderr, "fsx: %s: O_DIRECT not supported here: no direct ops\n",
				path);
			direct_ok = 0;
			if (modes == M_DIRECT)
				die(2, "O_DIRECT only, and O_DIRECT is not supported");
		} else if (fd_dio < 0) {
			sys_fail("open O_DIRECT");
		}
	}
}

static void close_all(void)
{
	if (fd_dio >= 0 && close(fd_dio))
		sys_fail("close O_DIRECT");
	if (fd_app >= 0 && close(fd_app))
		sys_fail("close O_APPEND");
	if (close(fd))
		sys_fail("close");
	fd = fd_app = fd_dio = -1;
}

static void fill(uint8_t *p, long long off, long long len)
{
	for (long long i = 0; i < len; i++)
		p[i] = pattern(opno, off + i);
}

/* the model after a write of len bytes at off */
static void model_write(long long off, long long len)
{
	fill(good + off, off, len);
	if (off + len > fsize)
		fsize = off + len;
}

static void model_truncate(long long size)
{
	if (size < fsize)
		memset(good + size, 0, fsize - size);
	fsize = size;
}

/* an offset and length for a write that ends at or before maxlen */
static void pick_write(long long *off, long long *len)
{
	/* an eighth around the end of the file, the rest anywhere */
	if (rnd() % 8 == 0)
		*off = rnd_range(fsize > maxoplen ? fsize - maxoplen : 0,
				 fsize + maxoplen < maxlen ? fsize + maxoplen : maxlen - 1);
	else
		*off = rnd_range(0, maxlen - 1);
	/* a quarter are small, to hit page and stripe edges finely */
	if (rnd() % 4 == 0)
		*len = rnd_range(1, 64);
	else
		*len = rnd_range(1, maxoplen);
	if (*off + *len > maxlen)
		*len = maxlen - *off;
}

/* a range of the file to read: mostly inside it, sometimes past EOF */
static void pick_read(long long *off, long long *len)
{
	if (fsize == 0 || rnd() % 16 == 0)
		*off = rnd_range(0, maxlen - 1);
	else
		*off = rnd_range(0, fsize - 1);
	*len = rnd() % 4 == 0 ? rnd_range(1, 64) : rnd_range(1, maxoplen);
}

static long long expected_read(long long off, long long len)
{
	if (off >= fsize)
		return 0;
	return off + len > fsize ? fsize - off : len;
}

static void full_pread(void)
{
	long long off = 0, chunk = maxlen < (1 << 20) ? maxlen : (1 << 20);
	ssize_t n;

	while (off < fsize) {
		long long want = fsize - off < chunk ? fsize - off : chunk;

		n = pread(fd, buf, want, off);
		if (n < 0)
			sys_fail("compare: pread");
		if (n != want)
			die(1, "compare: pread of 0x%llx at 0x%llx returned 0x%zx, size 0x%llx",
			    want, off, n, fsize);
		check_bytes("compare (pread)", off, buf, n);
		off += n;
	}
	n = pread(fd, buf, 1, fsize);
	if (n != 0)
		die(1, "compare: pread at EOF 0x%llx returned %zd", fsize, n);
}

static void full_mmap(void)
{
	uint8_t *p;
	long long mlen = (fsize + pagesz - 1) / pagesz * pagesz;

	if (fsize == 0)
		return;
	p = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		sys_fail("compare: mmap");
	check_bytes("compare (mmap)", 0, p, fsize);
	for (long long i = fsize; i < mlen; i++)
		if (p[i])
			die(1, "compare (mmap): byte 0x%02x at 0x%llx past EOF 0x%llx in the last page",
			    p[i], i, fsize);
	if (munmap(p, mlen))
		sys_fail("munmap");
}

static void full_direct(void)
{
	long long off = 0, chunk = maxlen < (1 << 20) ? maxlen : (1 << 20);
	ssize_t n;

	for (;;) {
		n = pread(fd_dio, buf, chunk, off);
		if (n < 0)
			sys_fail("compare: O_DIRECT pread");
		if (n != expected_read(off, chunk))
			die(1, "compare: O_DIRECT pread of 0x%llx at 0x%llx returned 0x%zx, size 0x%llx",
			    chunk, off, n, fsize);
		if (n == 0)
			break;
		check_bytes("compare (O_DIRECT)", off, buf, n);
		off += n;
	}
}

static void do_compare(const char *why)
{
	int ways[3], nways = 0;

	check_size(why);
	check_path_size(why);
	if (modes & M_BUFFERED)
		ways[nways++] = M_BUFFERED;
	if (modes & M_MMAP)
		ways[nways++] = M_MMAP;
	if ((modes & M_DIRECT) && direct_ok)
		ways[nways++] = M_DIRECT;
	switch (nways ? ways[rnd() % nways] : M_BUFFERED) {
	case M_MMAP:
		full_mmap();
		break;
	case M_DIRECT:
		full_direct();
		break;
	default:
		full_pread();
	}
}

static void op_read(void)
{
	long long off, len, want, size0 = fsize;
	ssize_t n;

	pick_read(&off, &len);
	log_op(OP_READ, off, len, size0, NULL);
	want = expected_read(off, len);
	n = pread(fd, buf, len, off);
	if (n < 0)
		sys_fail("pread");
	if (n != want)
		die(1, "read of 0x%llx at 0x%llx returned 0x%zx, expected 0x%llx (size 0x%llx)",
		    len, off, n, want, fsize);
	check_bytes("read", off, buf, n);
}

static void op_write(int positional)
{
	long long off, len, size0 = fsize;
	ssize_t n;

	pick_write(&off, &len);
	log_op(positional ? OP_PWRITE : OP_WRITE, off, len, size0, NULL);
	fill(buf, off, len);
	if (positional) {
		n = pwrite(fd, buf, len, off);
	} else {
		if (lseek(fd, off, SEEK_SET) != off)
			sys_fail("lseek");
		n = write(fd, buf, len);
	}
	if (n < 0)
		sys_fail(positional ? "pwrite" : "write");
	if (n != len)
		die(1, "%s of 0x%llx at 0x%llx returned 0x%zx",
		    positional ? "pwrite" : "write", len, off, n);
	model_write(off, len);
	oplog[(nlogged - 1) % loglen].size1 = fsize;
}

static void op_append(void)
{
	long long len, size0 = fsize;
	off_t pos;
	ssize_t n;

	if (fsize >= maxlen) {
		log_op(OP_APPEND, fsize, 0, size0, "file full: skipped");
		return;
	}
	len = rnd() % 4 == 0 ? rnd_range(1, 64) : rnd_range(1, maxoplen);
	if (fsize + len > maxlen)
		len = maxlen - fsize;
	log_op(OP_APPEND, fsize, len, size0, NULL);
	fill(buf, fsize, len);
	/* where the append lands is what the test is about: position the
	 * descriptor somewhere else first */
	if (lseek(fd_app, rnd_range(0, maxlen), SEEK_SET) < 0)
		sys_fail("lseek O_APPEND");
	n = write(fd_app, buf, len);
	if (n < 0)
		sys_fail("write O_APPEND");
	if (n != len)
		die(1, "O_APPEND write of 0x%llx returned 0x%zx", len, n);
	model_write(fsize, len);
	oplog[(nlogged - 1) % loglen].size1 = fsize;
	pos = lseek(fd_app, 0, SEEK_CUR);
	if (pos != fsize)
		die(1, "O_APPEND write of 0x%llx at 0x%llx left the offset at 0x%llx, expected 0x%llx",
		    len, size0, (long long)pos, fsize);
}

static void op_truncate(int up)
{
	long long size0 = fsize, to;

	if (up) {
		if (fsize >= maxlen) {
			log_op(OP_TRUNC_UP, fsize, 0, size0, "file full: skipped");
			return;
		}
		to = rnd_range(fsize + 1, maxlen);
	} else {
		if (fsize == 0) {
			log_op(OP_TRUNC_DOWN, 0, 0, size0, "empty: skipped");
			return;
		}
		/* an eighth to zero; the rest anywhere below the size */
		to = rnd() % 8 == 0 ? 0 : rnd_range(0, fsize - 1);
	}
	log_op(up ? OP_TRUNC_UP : OP_TRUNC_DOWN, to, 0, size0, NULL);
	if (ftruncate(fd, to))
		sys_fail("ftruncate");
	model_truncate(to);
	oplog[(nlogged - 1) % loglen].size1 = fsize;
}

static void op_mapread(void)
{
	long long off, len, pg, end, mlen;
	uint8_t *p;

	if (fsize == 0) {
		log_op(OP_MAPREAD, 0, 0, fsize, "empty: skipped");
		return;
	}
	off = rnd_range(0, fsize - 1);
	len = rnd() % 4 == 0 ? rnd_range(1, 64) : rnd_range(1, maxoplen);
	if (off + len > fsize)
		len = fsize - off;
	log_op(OP_MAPREAD, off, len, fsize, NULL);
	pg = off / pagesz * pagesz;
	end = off + len;
	/* reaching the last page: map all of it, the tail must be zeros */
	if (end == fsize)
		end = (fsize + pagesz - 1) / pagesz * pagesz;
	mlen = end - pg;
	p = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, pg);
	if (p == MAP_FAILED)
		sys_fail("mmap PROT_READ");
	check_bytes("mapread", off, p + (off - pg), len);
	for (long long x = fsize; x < pg + mlen; x++)
		if (p[x - pg])
			die(1, "mapread: byte 0x%02x at 0x%llx past EOF 0x%llx in the last page",
			    p[x - pg], x, fsize);
	if (munmap(p, mlen))
		sys_fail("munmap");
}

static void op_mapwrite(void)
{
	long long off, len, pg, mlen, size0 = fsize;
	const char *note = NULL;
	uint8_t *p;

	int how = (int)(rnd() % 4);	/* 0 MS_SYNC, 1 MS_ASYNC, else none */

	pick_write(&off, &len);
	if (off + len > fsize)
		note = how == 0 ? "extended by ftruncate first; msync MS_SYNC" :
		       how == 1 ? "extended by ftruncate first; msync MS_ASYNC" :
		       "extended by ftruncate first; no msync";
	else
		note = how == 0 ? "msync MS_SYNC" : how == 1 ? "msync MS_ASYNC" :
		       "no msync";
	log_op(OP_MAPWRITE, off, len, size0, note);
	if (off + len > fsize) {
		if (ftruncate(fd, off + len))
			sys_fail("mapwrite: ftruncate");
		model_truncate(off + len);
	}
	pg = off / pagesz * pagesz;
	mlen = off + len - pg;
	p = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
	if (p == MAP_FAILED)
		sys_fail("mmap PROT_WRITE");
	fill(p + (off - pg), off, len);
	/* without msync the dirty pages go out later: writeback, fsync,
	 * close, or not before a read of them */
	if (how < 2 && msync(p, mlen, how == 0 ? MS_SYNC : MS_ASYNC))
		sys_fail("msync");
	if (munmap(p, mlen))
		sys_fail("munmap");
	model_write(off, len);
	oplog[(nlogged - 1) % loglen].size1 = fsize;
}

static void op_dread(void)
{
	long long off, len, want;
	ssize_t n;

	pick_read(&off, &len);
	off = off / align * align;
	len = (len + align - 1) / align * align;
	log_op(OP_DREAD, off, len, fsize, NULL);
	want = expected_read(off, len);
	n = pread(fd_dio, buf, len, off);
	if (n < 0)
		sys_fail("O_DIRECT pread");
	if (n != want)
		die(1, "O_DIRECT read of 0x%llx at 0x%llx returned 0x%zx, expected 0x%llx (size 0x%llx)",
		    len, off, n, want, fsize);
	check_bytes("O_DIRECT read", off, buf, n);
}

static void op_dwrite(void)
{
	long long off, len, size0 = fsize;
	ssize_t n;

	pick_write(&off, &len);
	off = off / align * align;
	len = (len + align - 1) / align * align;
	if (off + len > maxlen)
		off = maxlen - len;
	log_op(OP_DWRITE, off, len, size0, NULL);
	fill(buf, off, len);
	n = pwrite(fd_dio, buf, len, off);
	if (n < 0)
		sys_fail("O_DIRECT pwrite");
	if (n != len)
		die(1, "O_DIRECT write of 0x%llx at 0x%llx returned 0x%zx", len, off, n);
	model_write(off, len);
	oplog[(nlogged - 1) % loglen].size1 = fsize;
}

static void op_dropcaches(void)
{
	int dfd;

	if (no_drop || geteuid() != 0) {
		log_op(OP_DROPCACHES, 0, 0, fsize, "skipped");
		skipped_drops++;
		return;
	}
	/* half the time dirty data stays dirty through the drop */
	if (rnd() % 2) {
		log_op(OP_DROPCACHES, 0, 0, fsize, "after sync");
		sync();
	} else {
		log_op(OP_DROPCACHES, 0, 0, fsize, NULL);
	}
	dfd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (dfd < 0 || write(dfd, "3\n", 2) != 2) {
		skipped_drops++;
		no_drop = 1;
	}
	if (dfd >= 0)
		close(dfd);
}

static void inject(void)
{
	if (opno == inject_model && fsize > 0) {
		long long x = rnd_range(0, fsize - 1);

		good[x] ^= 0x5a;
		fprintf(stderr, "fsx: self-test: op #%lu: corrupted the model at 0x%llx\n",
			opno, x);
		inject_model = 0;
		/* a later write or truncate could hide it: compare now */
		do_compare("compare after the self-test's corruption");
	} else if (opno == inject_model) {
		inject_model++;		/* nothing to corrupt yet: next op */
	}
	if (opno == inject_file && fsize > 0) {
		long long x = rnd_range(0, fsize - 1);
		uint8_t b = good[x] ^ 0xa5;
		int bfd = open(path, O_WRONLY);

		if (bfd < 0 || pwrite(bfd, &b, 1, x) != 1)
			sys_fail("self-test: corrupt the file");
		close(bfd);
		fprintf(stderr, "fsx: self-test: op #%lu: corrupted the file at 0x%llx\n",
			opno, x);
		inject_file = 0;
		do_compare("compare after the self-test's corruption");
	} else if (opno == inject_file) {
		inject_file++;
	}
}

static int parse_modes(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int m = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "buffered"))
			m |= M_BUFFERED;
		else if (!strcmp(tok, "mmap"))
			m |= M_MMAP;
		else if (!strcmp(tok, "direct"))
			m |= M_DIRECT;
		else if (!strcmp(tok, "all"))
			m |= M_BUFFERED | M_MMAP | M_DIRECT;
		else
			m = -1000;
	}
	free(copy);
	return m > 0 ? m : -1;
}

static long long parse_size(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	return *end ? -1 : v;
}

static void usage(void)
{
	fprintf(stderr, "usage: fsx [-S SEED] [-N OPS] [-l MAXLEN] [-o MAXOPLEN] "
		"[-m buffered,mmap,direct|all] [-c N] [-A ALIGN] [-L LOGLEN] "
		"[-D] [-F OP] [-B OP] [-q] FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode_str = "all";
	int total = 0, c;
	time_t t0 = time(NULL);

	while ((c = getopt(argc, argv, "S:N:l:o:m:c:A:L:DF:B:qT:P:")) != -1) {
		switch (c) {
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'N': nops = strtoul(optarg, NULL, 0); break;
		case 'l': maxlen = parse_size(optarg); break;
		case 'o': maxoplen = parse_size(optarg); break;
		case 'm': mode_str = optarg; modes = parse_modes(optarg); break;
		case 'c': compare_every = strtoul(optarg, NULL, 0); break;
		case 'A': align = parse_size(optarg); break;
		case 'L': loglen = atoi(optarg); break;
		case 'D': no_drop = 1; break;
		case 'F': inject_model = strtoul(optarg, NULL, 0); break;
		case 'B': inject_file = strtoul(optarg, NULL, 0); break;
		case 'q': quiet = 1; break;
		case 'T': time_limit = atol(optarg); break;
		case 'P': progress = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || modes < 0 || align <= 0 || loglen <= 0)
		usage();
	path = argv[optind];
	pagesz = sysconf(_SC_PAGESIZE);
	if (seed == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ ts.tv_nsec ^
		       ((uint64_t)getpid() << 32);
		seed = seed ? seed : 1;
	}
	maxlen = maxlen / align * align;
	if (maxlen < align || maxoplen < 1)
		usage();
	if (maxoplen > maxlen)
		maxoplen = maxlen;
	rng_state = seed;

	/* the command line that replays this run */
	{
		int n = snprintf(cmdline, sizeof(cmdline),
				 "%s -S %llu -N %lu -l %lld -o %lld -m %s -c %lu -A %lld -L %d%s",
				 argv[0], seed, nops, maxlen, maxoplen, mode_str,
				 compare_every, align, loglen, no_drop ? " -D" : "");
		if (inject_model && n > 0 && n < (int)sizeof(cmdline))
			n += snprintf(cmdline + n, sizeof(cmdline) - n, " -F %lu", inject_model);
		if (inject_file && n > 0 && n < (int)sizeof(cmdline))
			n += snprintf(cmdline + n, sizeof(cmdline) - n, " -B %lu", inject_file);
		if (n > 0 && n < (int)sizeof(cmdline))
			snprintf(cmdline + n, sizeof(cmdline) - n, " %s", path);
	}

	good = calloc(maxlen, 1);
	oplog = calloc(loglen, sizeof(*oplog));
	if (!good || !oplog || posix_memalign((void **)&buf, align < pagesz ? pagesz : align,
					      maxlen + align))
		die(2, "out of memory");
	if (!quiet)
		printf("fsx: %s seed=%llu ops=%lu maxlen=%lld maxoplen=%lld modes=%s\n",
		       path, seed, nops, maxlen, maxoplen, mode_str);
	fflush(stdout);

	open_all(O_CREAT | O_TRUNC);
	for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++)
		if (weights[i].modes & modes)
			total += weights[i].weight;

	for (opno = 1; opno <= nops; opno++) {
		int w = (int)(rnd() % total);
		enum op op = OP_COMPARE;
		double t_op, t_end;

		for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
			if (!(weights[i].modes & modes))
				continue;
			if (w < weights[i].weight) {
				op = weights[i].op;
				break;
			}
			w -= weights[i].weight;
		}
		if ((op == OP_DREAD || op == OP_DWRITE) && !direct_ok)
			op = op == OP_DREAD ? OP_READ : OP_PWRITE;
		counts[op]++;
		t_op = now();
		switch (op) {
		case OP_READ: op_read(); break;
		case OP_WRITE: op_write(0); break;
		case OP_PWRITE: op_write(1); break;
		case OP_APPEND: op_append(); break;
		case OP_TRUNC_UP: op_truncate(1); break;
		case OP_TRUNC_DOWN: op_truncate(0); break;
		case OP_MAPREAD: op_mapread(); break;
		case OP_MAPWRITE: op_mapwrite(); break;
		case OP_FSYNC:
			log_op(OP_FSYNC, 0, 0, fsize, NULL);
			if (fsync(fd))
				sys_fail("fsync");
			break;
		case OP_DREAD: op_dread(); break;
		case OP_DWRITE: op_dwrite(); break;
		case OP_REOPEN:
			log_op(OP_REOPEN, 0, 0, fsize, NULL);
			close_all();
			open_all(0);
			do_compare("after reopen");
			break;
		case OP_DROPCACHES: op_dropcaches(); break;
		case OP_COMPARE:
			log_op(OP_COMPARE, 0, fsize, fsize, NULL);
			do_compare("compare");
			break;
		default:
			break;
		}
		t_end = now();
		op_secs[op] += t_end - t_op;
		inject();
		check_size(op_names[op]);
		fstat_secs += now() - t_end;
		if (progress && opno % progress == 0) {
			printf("fsx: %s: op %lu size 0x%llx after %lld s\n", path, opno,
			       fsize, (long long)(time(NULL) - t0));
			fflush(stdout);
		}
		if (time_limit && time(NULL) - t0 >= time_limit && opno < nops) {
			stopped_early = 1;
			opno++;
			break;
		}
		if (compare_every && opno % compare_every == 0) {
			counts[OP_COMPARE]++;
			log_op(OP_COMPARE, 0, fsize, fsize, "periodic");
			t_op = now();
			do_compare("periodic compare");
			op_secs[OP_COMPARE] += now() - t_op;
		}
	}
	opno--;
	/* the end: a compare, then one more after close + reopen */
	do_compare("final compare");
	close_all();
	open_all(0);
	do_compare("final compare after reopen");
	close_all();
	{
		char verdict[64];

		snprintf(verdict, sizeof(verdict), "0 mismatches in %lld s",
			 (long long)(time(NULL) - t0));
		print_counts(stdout, verdict);
	}
	free(good);
	free(buf);
	free(oplog);
	return 0;
}
