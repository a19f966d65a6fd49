// SPDX-License-Identifier: MIT
/*
 * hsm - lazy import of S3 data sets into Tessera, and the HSM state of
 * the files that came from S3.
 *
 *   hsm [--mds ADDR] [--key FILE] COMMAND ...
 *     import s3://BUCKET[/PREFIX] DIR [--endpoint URL] [--region R]
 *            [--path-style] [--delete] [-j N]
 *     state FILE...        HSM state, S3 origin and present ranges
 *     status PATH... [--exact]  sizes, bytes present, files per state
 *                          (the MDS's count, TESS_HSM_STATS_MAX files a
 *                          request; --exact: the OSTs of released files
 *                          asked too, for objects present in part)
 *     prefetch PATH... [-j N]   restore every released byte, in parallel
 *     release FILE...      free the OST space of archived, unchanged files
 *     pin PATH...          the OSTs never release these files' data (a
 *                          directory: every file under it)
 *     unpin PATH...        they may again, when their cache is full
 *     archive FILE... [--endpoint URL] [--region R] [--path-style]
 *                          upload changed files back to their S3 origin
 *     counters             bytes each OST fetched from S3, and released
 *                          to make room (its bounded cache)
 *
 * The MDS and key come from --mds/--key or $TESS_MDS/$TESS_KEY.  S3
 * credentials come from the AWS provider chain (s3_creds.h): the
 * environment, ~/.aws/credentials and config, web identity (STS),
 * container credentials, IMDSv2.
 * Import copies no data: it creates stubs (size, mtime, DIR's default
 * layout), tells every OST object its S3 origin (OBJ_HSM_SET STUB) and
 * the MDS the file's (HSM_SET); the OSTs restore on access.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "s3.h"
#include "tess_client.h"

#define PROG		"hsm"
#define UNIT_MAX	(4u << 20)	/* prefetch work unit */
#define MAX_RANGES_SHOWN 16

struct opts {
	const char *mds, *key, *endpoint, *region;
	bool path_style;		/* --path-style */
	int jobs;
	int timeout_s;
	bool del;
	bool exact;			/* status: ask the OSTs too */
	int verbose;
};

static struct opts O = { .jobs = 4, .timeout_s = 30 };
static bool had_error;

/* ---- messages ---- */

__attribute__((format(printf, 2, 3)))
static void warnx(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* a key or name for a message: printable, bounded */
static const char *esc(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
		if (i + 1 < len && o + 8 >= cap && o + 4 <= cap) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	out[o] = '\0';
	return out;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *human(uint64_t b, char *buf, size_t len)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, u[i]);
	return buf;
}

/* ---- progress bar (only on a terminal) ---- */

struct progress {
	const char *what;
	bool tty, shown;
	bool bytes;
	int64_t last;
	_Atomic uint64_t done;
	uint64_t total;
};

static void progress_init(struct progress *p, const char *what,
			  uint64_t total, bool bytes)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->total = total;
	p->bytes = bytes;
	p->tty = isatty(1);
}

static void progress_show(struct progress *p, bool final)
{
	char bar[31], a[32], b[32];
	uint64_t d = atomic_load(&p->done);
	int pct = p->total ? (int)(d * 100 / p->total) : 100;
	int n = pct * 30 / 100;
	int64_t t = now_ms();

	if (!p->tty || (!final && t - p->last < 100))
		return;
	p->last = t;
	for (int i = 0; i < 30; i++)
		bar[i] = i < n ? '#' : '.';
	bar[30] = '\0';
	if (p->bytes)
		printf("\r%s [%s] %3d%% %s of %s   ", p->what, bar, pct,
		       human(d, a, sizeof(a)), human(p->total, b, sizeof(b)));
	else
		printf("\r%s [%s] %3d%% %" PRIu64 "/%" PRIu64 "   ", p->what,
		       bar, pct, d, p->total);
	if (final)
		printf("\n");
	fflush(stdout);
	p->shown = true;
}

/* ---- RPCs the library has no wrapper for ---- */

struct hsm_info {
	uint32_t state;
	uint64_t size, mtime_sec;
	uint32_t mtime_nsec;
	char bucket[TESS_S3_BUCKET_MAX + 1];
	char key[TESS_S3_KEY_MAX + 1];
	char etag[TESS_S3_ETAG_MAX + 1];
	uint8_t present[TESS_MAX_STRIPES / 8];
};

static void take_str(char *dst, size_t cap, const char **p, uint32_t len)
{
	if (len >= cap)
		len = (uint32_t)cap - 1;
	memcpy(dst, *p, len);
	dst[len] = '\0';
	*p += len;
}

static void decode_hsm(const void *body, struct hsm_info *h)
{
	const struct tess_hsm_rep *r = body;
	const char *p = (const char *)(r + 1);

	memset(h, 0, sizeof(*h));
	h->state = le32_to_cpu(r->state);
	h->size = le64_to_cpu(r->size);
	h->mtime_sec = le64_to_cpu(r->mtime_sec);
	h->mtime_nsec = le32_to_cpu(r->mtime_nsec);
	take_str(h->bucket, sizeof(h->bucket), &p, le16_to_cpu(r->bucket_len));
	take_str(h->key, sizeof(h->key), &p, le16_to_cpu(r->key_len));
	take_str(h->etag, sizeof(h->etag), &p, le16_to_cpu(r->etag_len));
	memcpy(h->present, r->present, sizeof(h->present));
}

/* -ENODATA: no HSM record */
static int mds_hsm_get(struct tess_client *c, uint64_t ino, struct hsm_info *h)
{
	struct tess_ino_req r = { .ino = cpu_to_le64(ino) };
	struct tnet_call call = { .op = TESS_OP_HSM_GET, .body = &r,
				  .body_len = sizeof(r) };
	int rc = tess_mds_call(c, &call);

	if (!rc)
		decode_hsm(call.reply.body, h);
	return rc;
}

struct hsm_set {
	uint32_t valid, set, clear, stripe;
	uint64_t size, mtime_sec;
	uint32_t mtime_nsec;
	const char *bucket, *key, *etag;
};

static int mds_hsm_set(struct tess_client *c, uint64_t ino,
		       const struct hsm_set *q, struct hsm_info *out)
{
	static __thread uint8_t body[sizeof(struct tess_hsm_set_req) +
				     TESS_S3_BUCKET_MAX + TESS_S3_KEY_MAX +
				     TESS_S3_ETAG_MAX];
	struct tess_hsm_set_req r = { 0 };
	struct tnet_call call = { .op = TESS_OP_HSM_SET, .body = body };
	size_t bl = q->bucket ? strlen(q->bucket) : 0;
	size_t kl = q->key ? strlen(q->key) : 0;
	size_t el = q->etag ? strlen(q->etag) : 0;
	size_t n = sizeof(r);
	int rc;

	r.ino = cpu_to_le64(ino);
	r.valid = cpu_to_le32(q->valid);
	r.state_set = cpu_to_le32(q->set);
	r.state_clear = cpu_to_le32(q->clear);
	r.stripe = cpu_to_le32(q->stripe);
	r.size = cpu_to_le64(q->size);
	r.mtime_sec = cpu_to_le64(q->mtime_sec);
	r.mtime_nsec = cpu_to_le32(q->mtime_nsec);
	r.bucket_len = cpu_to_le16((uint16_t)bl);
	r.key_len = cpu_to_le16((uint16_t)kl);
	r.etag_len = cpu_to_le16((uint16_t)el);
	memcpy(body, &r, sizeof(r));
	memcpy(body + n, q->bucket, bl);
	n += bl;
	memcpy(body + n, q->key, kl);
	n += kl;
	memcpy(body + n, q->etag, el);
	n += el;
	call.body_len = (uint32_t)n;
	rc = tess_mds_call(c, &call);
	if (!rc && out)
		decode_hsm(call.reply.body, out);
	return rc;
}

/*
 * The origin's S3 location as the OSTs keep it (TESS_FEAT_HSM_LOC): an
 * empty endpoint or region is the OSTs' own.  set false: none recorded
 * (an older hsm or OST, a version-1 sidecar).
 */
struct hsm_loc {
	char endpoint[TESS_S3_ENDPOINT_MAX + 1];
	char region[TESS_S3_REGION_MAX + 1];
	uint32_t flags;			/* TESS_HSM_LOC_* */
	bool set;
};

struct ohsm {
	uint32_t flags, stripe, stripe_size, chunk_size, nchunks, npresent;
	uint64_t ino, file_size, obj_size, bytes_present, dirty_gen;
	uint64_t fetched, fetches, errors;
	uint64_t evictions, bytes_evicted;
	char etag[TESS_S3_ETAG_MAX + 1];
	struct hsm_loc loc;
	uint32_t bitmap_len;
	uint8_t *bitmap;			/* malloc'ed, may be NULL */
};

static int obj_hsm_get(struct tess_client *c, uint32_t ost, uint64_t oid,
		       bool want_bitmap, struct ohsm *o)
{
	struct tess_obj_hsm_get_req r = {
		.oid = cpu_to_le64(oid),
		.bitmap_max = cpu_to_le32(want_bitmap ? TESS_HSM_BITMAP_MAX : 0) };
	struct tnet_call call = { .op = TESS_OP_OBJ_HSM_GET, .body = &r,
				  .body_len = sizeof(r) };
	const struct tess_obj_hsm_rep *p;
	const char *s, *loc;
	char skip[TESS_S3_KEY_MAX + 1];
	int rc = tess_ost_call(c, ost, &call);

	memset(o, 0, sizeof(*o));
	if (rc)
		return rc;
	p = call.reply.body;
	o->flags = le32_to_cpu(p->flags);
	o->stripe = le32_to_cpu(p->stripe);
	o->stripe_size = le32_to_cpu(p->stripe_size);
	o->chunk_size = le32_to_cpu(p->chunk_size);
	o->nchunks = le32_to_cpu(p->nchunks);
	o->npresent = le32_to_cpu(p->npresent);
	o->ino = le64_to_cpu(p->ino);
	o->file_size = le64_to_cpu(p->file_size);
	o->obj_size = le64_to_cpu(p->obj_size);
	o->bytes_present = le64_to_cpu(p->bytes_present);
	o->dirty_gen = le64_to_cpu(p->dirty_gen);
	o->fetched = le64_to_cpu(p->ost_bytes_fetched);
	o->fetches = le64_to_cpu(p->ost_fetches);
	o->errors = le64_to_cpu(p->ost_fetch_errors);
	o->evictions = le64_to_cpu(p->ost_evictions);
	o->bytes_evicted = le64_to_cpu(p->ost_bytes_evicted);
	s = (const char *)(p + 1);
	take_str(skip, sizeof(skip), &s, le16_to_cpu(p->bucket_len));
	take_str(skip, sizeof(skip), &s, le16_to_cpu(p->key_len));
	take_str(o->etag, sizeof(o->etag), &s, le16_to_cpu(p->etag_len));
	o->bitmap_len = le32_to_cpu(p->bitmap_len);
	/* after the bitmap; lengths checked by tess_msg_check (tess_wire.c) */
	loc = s + o->bitmap_len;
	take_str(o->loc.endpoint, sizeof(o->loc.endpoint), &loc,
		 le16_to_cpu(p->endpoint_len));
	take_str(o->loc.region, sizeof(o->loc.region), &loc, p->region_len);
	o->loc.flags = p->loc_flags;
	o->loc.set = o->loc.endpoint[0] || o->loc.region[0] || o->loc.flags;
	if (o->bitmap_len) {
		o->bitmap = malloc(o->bitmap_len);
		if (!o->bitmap)
			return -ENOMEM;
		memcpy(o->bitmap, s, o->bitmap_len);
	}
	return 0;
}

/*
 * The S3 configuration of this run's import or archive (s3_setup): its
 * endpoint, the bucket's region (as learnt) and addressing go with each
 * new origin to the OSTs that know TESS_FEAT_HSM_LOC, so that they fetch
 * from where the data is, not only from their own --s3-endpoint.
 */
static const struct s3_conf *origin_s3;

/* the location of bucket under s3's configuration (NULL: none) */
static void loc_of_conf(const struct s3_conf *s3, const char *bucket,
			struct hsm_loc *l)
{
	char region[S3_REGION_MAX + 1] = "";

	memset(l, 0, sizeof(*l));
	if (!s3)
		return;
	s3_region_of(s3, bucket, region);
	/* (s3_conf_init refuses longer ones) */
	if (strlen(s3->endpoint) <= TESS_S3_ENDPOINT_MAX)
		snprintf(l->endpoint, sizeof(l->endpoint), "%s", s3->endpoint);
	if (strlen(region) <= TESS_S3_REGION_MAX)
		snprintf(l->region, sizeof(l->region), "%s", region);
	l->flags = s3->path_style ? TESS_HSM_LOC_PATH_STYLE : 0;
	l->set = true;
}

/* loc: the origin's location (STUB, ARCHIVED), NULL for none */
static int obj_hsm_set(struct tess_client *c, const struct tess_inode *st,
		       uint32_t i, uint32_t mode, uint64_t file_size,
		       const char *bucket, const char *key, const char *etag,
		       uint64_t dirty_gen, const struct hsm_loc *loc)
{
	static __thread uint8_t body[sizeof(struct tess_obj_hsm_set_req) +
				     TESS_S3_BUCKET_MAX + TESS_S3_KEY_MAX +
				     TESS_S3_ETAG_MAX + TESS_S3_ENDPOINT_MAX +
				     TESS_S3_REGION_MAX];
	size_t epl = 0, rl = 0;
	struct tess_obj_hsm_set_req r = { 0 };
	struct tnet_call call = { .op = TESS_OP_OBJ_HSM_SET, .body = body };
	size_t bl = bucket ? strlen(bucket) : 0;
	size_t kl = key ? strlen(key) : 0;
	size_t el = etag ? strlen(etag) : 0;
	size_t n = sizeof(r);

	r.oid = cpu_to_le64(st->objs[i].oid);
	r.ino = cpu_to_le64(st->ino);
	r.file_size = cpu_to_le64(file_size);
	r.dirty_gen = cpu_to_le64(dirty_gen);
	r.mode = cpu_to_le32(mode);
	r.stripe = cpu_to_le32(i);
	r.stripe_size = cpu_to_le32(st->geom.stripe_size);
	r.stripe_count = cpu_to_le16((uint16_t)st->nobjs);
	r.bucket_len = cpu_to_le16((uint16_t)bl);
	r.key_len = cpu_to_le16((uint16_t)kl);
	r.etag_len = cpu_to_le16((uint16_t)el);
	if (bl && loc && loc->set &&
	    (tess_ost_features(c, st->objs[i].ost_idx) & TESS_FEAT_HSM_LOC)) {
		epl = strlen(loc->endpoint);
		rl = strlen(loc->region);
		r.endpoint_len = cpu_to_le16((uint16_t)epl);
		r.region_len = (uint8_t)rl;
		r.loc_flags = (uint8_t)loc->flags;
	}
	memcpy(body, &r, sizeof(r));
	memcpy(body + n, bucket, bl);
	n += bl;
	memcpy(body + n, key, kl);
	n += kl;
	memcpy(body + n, etag, el);
	n += el;
	memcpy(body + n, loc ? loc->endpoint : "", epl);
	n += epl;
	memcpy(body + n, loc ? loc->region : "", rl);
	n += rl;
	call.body_len = (uint32_t)n;
	return tess_ost_call(c, st->objs[i].ost_idx, &call);
}

static int open_client(struct tess_client **c, const char *cmd)
{
	char err[512] = "";
	/* OBJ_HSM_SET on the OSTs is for a server role: the servers' key */
	int rc = tess_client_open_role(O.mds, O.key, TESS_ROLE_ADMIN,
				       O.timeout_s * 1000, c, err, sizeof(err));

	if (rc)
		warnx(cmd, "cannot connect to the MDS: %s",
		      err[0] ? err : strerror(-rc));
	return rc;
}

/* what: the s3:// URL the command works on, NULL if several */
static int s3_setup(struct s3_conf *s3, const char *cmd, const char *what)
{
	char err[512];
	int rc;

	if (s3_global_init()) {
		warnx(cmd, "cannot initialise libcurl");
		return -EIO;
	}
	rc = s3_conf_init(s3, O.endpoint, O.region, 30, err, sizeof(err));
	s3->path_style = O.path_style;
	if (!rc)
		origin_s3 = s3;
	if (rc && what)
		warnx(cmd, "%s: %s", what, err);
	else if (rc)
		warnx(cmd, "%s", err);
	s3->verbose = O.verbose > 1;
	return rc;
}

/* ---- walking the namespace ---- */

struct ent {
	char *path;
	uint64_t ino;			/* from the directory entry (0: not known) */
	uint32_t type;			/* DT_* */
};

struct entv {
	struct ent *v;
	size_t n, cap;
};

static int entv_add(struct entv *e, const char *path, uint32_t type)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct ent *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n].path = strdup(path);
	if (!e->v[e->n].path)
		return -ENOMEM;
	e->v[e->n].ino = 0;
	e->v[e->n++].type = type;
	return 0;
}

static void entv_free(struct entv *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].path);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

struct rd_arg {
	struct entv *out;
	const char *dir;
	int rc;
};

static int rd_cb(void *arg, const char *name, uint64_t ino, uint32_t type,
		 uint64_t cookie)
{
	struct rd_arg *a = arg;
	char path[8192];

	(void)ino;
	(void)cookie;
	snprintf(path, sizeof(path), "%s/%s", strcmp(a->dir, "/") ? a->dir : "",
		 name);
	a->rc = entv_add(a->out, path, type);
	if (!a->rc)
		a->out->v[a->out->n - 1].ino = ino;
	return a->rc ? -1 : 0;
}

/* every file under path (path itself when it is a file); dirs too if asked */
static int walk(struct tess_client *c, const char *path, struct entv *files,
		struct entv *dirs)
{
	struct tess_inode *st = malloc(sizeof(*st));
	struct entv here = { 0 };
	struct rd_arg a = { &here, path, 0 };
	int rc;

	if (!st)
		return -ENOMEM;
	rc = tess_stat(c, path, st);
	if (rc)
		goto out;
	if (!S_ISDIR(st->mode)) {
		rc = S_ISREG(st->mode) ? entv_add(files, path, DT_REG) : 0;
		if (!rc && S_ISREG(st->mode))
			files->v[files->n - 1].ino = st->ino;
		goto out;
	}
	if (dirs)
		entv_add(dirs, path, DT_DIR);
	rc = tess_readdir(c, path, rd_cb, &a);
	if (!rc)
		rc = a.rc;
	for (size_t i = 0; i < here.n && !rc; i++) {
		if (here.v[i].type == DT_DIR)
			rc = walk(c, here.v[i].path, files, dirs);
		else if (here.v[i].type == DT_REG) {
			rc = entv_add(files, here.v[i].path, DT_REG);
			if (!rc)
				files->v[files->n - 1].ino = here.v[i].ino;
		}
	}
out:
	entv_free(&here);
	free(st);
	return rc;
}

/* "/x/y" from "x/y", "/x/y/", "//x" */
static char *norm_path(const char *p)
{
	size_t n = strlen(p);
	char *s = malloc(n + 2), *o;

	if (!s)
		return NULL;
	o = s;
	*o++ = '/';
	for (const char *q = p; *q; q++)
		if (*q != '/' || o[-1] != '/')
			*o++ = *q;
	if (o - s > 1 && o[-1] == '/')
		o--;
	*o = '\0';
	return s;
}

/* ---- file ranges of present chunks ---- */

struct range {
	uint64_t a, b;
};

static int range_cmp(const void *x, const void *y)
{
	const struct range *p = x, *q = y;

	return p->a < q->a ? -1 : p->a > q->a;
}

/* sort and merge adjacent ranges; returns the new count */
static size_t ranges_merge(struct range *r, size_t n)
{
	size_t o = 0;

	qsort(r, n, sizeof(*r), range_cmp);
	for (size_t i = 0; i < n; i++) {
		if (o && r[o - 1].b >= r[i].a) {
			if (r[i].b > r[o - 1].b)
				r[o - 1].b = r[i].b;
		} else {
			r[o++] = r[i];
		}
	}
	return o;
}

struct file_hsm {
	uint64_t present;		/* bytes */
	bool all_objs_present;
	bool any_dirty;
	bool any_pinned;
	struct range *absent;		/* file ranges of absent chunks */
	size_t nabsent;
	struct range *have;		/* file ranges of present chunks */
	size_t nhave;
	uint64_t dirty_gen[TESS_MAX_STRIPES];
	bool obj_complete[TESS_MAX_STRIPES];
	struct hsm_loc loc;		/* the first object's that has one */
};

static void file_hsm_free(struct file_hsm *f)
{
	free(f->absent);
	free(f->have);
	memset(f, 0, sizeof(*f));
}

static int push_range(struct range **v, size_t *n, uint64_t a, uint64_t b)
{
	struct range *p;

	if (*n && (*v)[*n - 1].b == a) {
		(*v)[*n - 1].b = b;
		return 0;
	}
	p = realloc(*v, (*n + 1) * sizeof(**v));
	if (!p)
		return -ENOMEM;
	p[*n].a = a;
	p[*n].b = b;
	*v = p;
	(*n)++;
	return 0;
}

/* ask every object of a file what it holds */
static int file_hsm_query(struct tess_client *c, const struct tess_inode *st,
			  bool ranges, struct file_hsm *fh)
{
	memset(fh, 0, sizeof(*fh));
	fh->all_objs_present = true;
	for (uint32_t i = 0; i < st->nobjs; i++) {
		struct ohsm o;
		int rc = obj_hsm_get(c, st->objs[i].ost_idx, st->objs[i].oid,
				     ranges, &o);
		uint64_t osz = tess_stripe_obj_size(&st->geom, i, st->size);

		if (rc)
			return rc;
		if (!(o.flags & TESS_OHSM_F_HSM)) {
			/* no HSM state: what it holds is the data */
			fh->present += osz;
			fh->obj_complete[i] = true;
			if (ranges && osz)
				for (uint64_t u = 0; u < osz;
				     u += st->geom.stripe_size) {
					uint64_t fo = tess_stripe_file_off(
						&st->geom, i, u);
					uint64_t l = osz - u < st->geom.stripe_size ?
						     osz - u : st->geom.stripe_size;

					push_range(&fh->have, &fh->nhave, fo,
						   fo + l);
				}
			continue;
		}
		fh->present += o.bytes_present;
		fh->dirty_gen[i] = o.dirty_gen;
		if (o.loc.set && !fh->loc.set)
			fh->loc = o.loc;
		fh->obj_complete[i] = o.npresent == o.nchunks;
		if (!fh->obj_complete[i])
			fh->all_objs_present = false;
		if (o.flags & TESS_OHSM_F_DIRTY)
			fh->any_dirty = true;
		if (o.flags & TESS_OHSM_F_PINNED)
			fh->any_pinned = true;
		if (ranges && o.bitmap && !(o.flags & TESS_OHSM_F_BITMAP_CUT)) {
			for (uint32_t k = 0; k < o.nchunks; k++) {
				uint64_t os = (uint64_t)k * o.chunk_size;
				uint64_t l = o.obj_size - os < o.chunk_size ?
					     o.obj_size - os : o.chunk_size;
				uint64_t fo = tess_stripe_file_off(&st->geom, i,
								   os);
				bool have = o.bitmap[k / 8] & (1u << (k % 8));

				if (have)
					push_range(&fh->have, &fh->nhave, fo,
						   fo + l);
				else
					push_range(&fh->absent, &fh->nabsent, fo,
						   fo + l);
			}
		}
		free(o.bitmap);
	}
	if (ranges) {
		fh->nhave = ranges_merge(fh->have, fh->nhave);
		fh->nabsent = ranges_merge(fh->absent, fh->nabsent);
	}
	return 0;
}

/*
 * The OSTs tell the MDS when an object is complete; should that news be
 * lost (an MDS restart), tell it again from here.
 */
static void reconcile(struct tess_client *c, const struct tess_inode *st,
		      const struct hsm_info *h, const struct file_hsm *fh)
{
	if (!(h->state & TESS_HSM_RELEASED))
		return;
	for (uint32_t i = 0; i < st->nobjs; i++) {
		struct hsm_set q = { .valid = TESS_HSMS_STRIPE, .stripe = i,
				     .etag = h->etag };

		if (fh->obj_complete[i] &&
		    !(h->present[i / 8] & (1u << (i % 8))))
			mds_hsm_set(c, st->ino, &q, NULL);
	}
}

static void state_names(uint32_t s, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } n[] = {
		{ TESS_HSM_EXISTS, "exists" }, { TESS_HSM_ARCHIVED, "archived" },
		{ TESS_HSM_RELEASED, "released" }, { TESS_HSM_DIRTY, "dirty" },
		{ TESS_HSM_LOST, "lost" },
	};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (s & n[i].bit)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
					      o ? " " : "", n[i].name);
	if (!o)
		snprintf(buf, len, "none");
}

/* ======================= import ======================= */

enum act { A_SKIP, A_CREATE, A_INVALIDATE, A_SAME, A_CONFLICT, A_DIR };

struct item {
	char *key;
	size_t key_len;
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	char *etag;
	char *path;			/* in the file system, NULL if skipped */
	enum act act;
	int rc;
};

/*
 * The listing is imported as it arrives, IMPORT_BATCH keys at a time
 * (one ListObjectsV2 page): what the importer holds does not grow with
 * the bucket (issue #13).
 */
#define IMPORT_BATCH	1000

struct itemv {
	struct item *v;
	size_t n;
};

/*
 * Key -> path under dir, or NULL with *why.  A key ending in '/' with no
 * data is a directory marker (*is_dir).
 */
static char *key_path(const struct item *it, size_t plen, const char *dir,
		      bool *is_dir, const char **why)
{
	const char *rel = it->key + plen;
	size_t rlen = it->key_len - plen;
	char *out, *o;

	*is_dir = false;
	if (strlen(it->key) != it->key_len) {
		*why = "holds a NUL byte";
		return NULL;
	}
	if (rlen == 0) {
		*why = "is the prefix itself";
		return NULL;
	}
	if (rel[rlen - 1] == '/') {
		if (it->size) {
			*why = "ends in '/' but holds data";
			return NULL;
		}
		*is_dir = true;
		rlen--;
		if (!rlen) {
			*why = "is the prefix itself";
			return NULL;
		}
	}
	for (size_t i = 0, s = 0; i <= rlen; i++) {
		if (i < rlen && rel[i] != '/')
			continue;
		if (i == s) {
			*why = "has an empty path segment";
			return NULL;
		}
		if ((i - s == 1 && rel[s] == '.') ||
		    (i - s == 2 && rel[s] == '.' && rel[s + 1] == '.')) {
			*why = "has a '.' or '..' segment";
			return NULL;
		}
		if (i - s > TESS_NAME_MAX) {
			*why = "has a name longer than 255 bytes";
			return NULL;
		}
		s = i + 1;
	}
	if (strlen(dir) + 1 + rlen >= 4096) {
		*why = "makes a path longer than 4095 bytes";
		return NULL;
	}
	out = malloc(strlen(dir) + rlen + 2);
	if (!out) {
		*why = "out of memory";
		return NULL;
	}
	o = out + sprintf(out, "%s/", strcmp(dir, "/") ? dir : "");
	memcpy(o, rel, rlen);
	o[rlen] = '\0';
	return out;
}

/* a file under DIR before the import: what deciding needs, no more */
struct existing {
	char *path;
	uint64_t ino;
	uint64_t size;
	bool has_hsm;
	bool seen;			/* listed again */
	uint32_t state;			/* of the HSM record */
	char *bucket, *key, *etag;	/* its origin (has_hsm) */
};

static int ex_cmp(const void *a, const void *b)
{
	return strcmp(((const struct existing *)a)->path,
		      ((const struct existing *)b)->path);
}

struct import {
	const char *bucket;
	const char *prefix;		/* listed prefix ("" or ending '/') */
	const char *dir;
	struct itemv items;		/* the batch being imported */
	struct existing *ex;
	size_t nex;
	_Atomic size_t next;
	struct progress prog;
	_Atomic uint64_t created, invalidated, failed;
	size_t nkeys, skipped, same, conflicts;
	char **dirs, **made;		/* this batch's, the last batch's */
	size_t ndirs, nmade;
	char **pins;			/* pinned dirs (hsm pin DIR) at/over DIR */
	size_t npins;
	/* the workers: each batch handed over as a generation */
	struct tess_client *c;		/* the main thread's */
	struct tess_inode *st;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	unsigned gen;
	int busy;
	bool quit;
};

static struct existing *ex_find(struct import *im, const char *path)
{
	struct existing k = { .path = (char *)path };

	return bsearch(&k, im->ex, im->nex, sizeof(k), ex_cmp);
}

/*
 * hsm pin DIR marks DIR (this xattr, on the MDS): the stubs an import
 * later makes under it are pinned too.  Files' pins are on the OSTs.
 */
#define PIN_XATTR	"trusted.tessera.hsm.pinned"

static bool dir_pinned(struct tess_client *c, const char *path)
{
	char v[8];

	return tess_getxattr(c, path, PIN_XATTR, v, sizeof(v)) >= 0;
}

/* im->pins: the pinned directories among dirs (under DIR) and over DIR */
static void pin_dirs(struct tess_client *c, struct import *im,
		     const char *dir, const struct entv *dirs)
{
	size_t n = strlen(dir), k = 0;
	char *p = strdup(dir);

	im->pins = calloc(dirs->n + n + 2, sizeof(*im->pins));
	if (!p || !im->pins) {
		free(p);
		return;
	}
	if (dir_pinned(c, "/"))
		im->pins[k++] = strdup("/");
	for (size_t i = 1; i < n; i++)		/* over DIR: "/a" of "/a/b" */
		if (p[i] == '/') {
			p[i] = '\0';
			if (dir_pinned(c, p))
				im->pins[k++] = strdup(p);
			p[i] = '/';
		}
	for (size_t i = 0; i < dirs->n; i++)	/* DIR and under it */
		if (strcmp(dirs->v[i].path, "/") &&
		    dir_pinned(c, dirs->v[i].path))
			im->pins[k++] = strdup(dirs->v[i].path);
	for (size_t i = 0; i < k; i++)
		if (im->pins[i])
			im->npins++;
		else
			break;
	free(p);
}

/* under a pinned directory (hsm pin DIR): its stubs are pinned too */
static bool stub_pinned(const struct import *im, const char *path)
{
	for (size_t i = 0; i < im->npins; i++) {
		size_t n = strlen(im->pins[i]);

		if (!strcmp(im->pins[i], "/") ||
		    (!strncmp(path, im->pins[i], n) && path[n] == '/'))
			return true;
	}
	return false;
}

/* OST stubs then the MDS record of one file (new or invalidated) */
static int make_stub(struct tess_client *c, struct import *im,
		     const struct item *it, const struct tess_inode *st)
{
	struct hsm_set q = {
		.valid = TESS_HSMS_ORIGIN | TESS_HSMS_ATTRS | TESS_HSMS_STATE,
		.set = TESS_HSM_EXISTS | TESS_HSM_ARCHIVED |
		       (it->size ? TESS_HSM_RELEASED : 0),
		.clear = TESS_HSM_ALL,
		.size = it->size, .mtime_sec = (uint64_t)it->mtime_sec,
		.mtime_nsec = it->mtime_nsec,
		.bucket = im->bucket, .key = it->key, .etag = it->etag };
	struct hsm_loc loc;
	char eb[256];
	int rc;

	loc_of_conf(origin_s3, im->bucket, &loc);
	if (!st->nobjs || tess_stripe_geom_check(&st->geom)) {
		warnx("import", "%s: %s: no usable layout",
		      esc(it->key, it->key_len, eb, sizeof(eb)), it->path);
		return -EIO;
	}
	for (uint32_t i = 0; i < st->nobjs; i++) {
		rc = obj_hsm_set(c, st, i, TESS_OHSM_STUB, it->size, im->bucket,
				 it->key, it->etag, 0, &loc);
		if (rc) {
			warnx("import", "%s: %s: OST %u object %#" PRIx64
			      ": %s", esc(it->key, it->key_len, eb, sizeof(eb)),
			      it->path, st->objs[i].ost_idx, st->objs[i].oid,
			      strerror(-rc));
			return rc;
		}
	}
	rc = mds_hsm_set(c, st->ino, &q, NULL);
	if (rc)
		warnx("import", "%s: %s: MDS: %s",
		      esc(it->key, it->key_len, eb, sizeof(eb)), it->path,
		      strerror(-rc));
	for (uint32_t i = 0; !rc && i < st->nobjs &&
	     stub_pinned(im, it->path); i++) {
		rc = obj_hsm_set(c, st, i, TESS_OHSM_PIN, 0, NULL, NULL, NULL,
				 0, NULL);
		if (rc == -ENODATA)
			rc = 0;		/* an object that holds nothing */
		if (rc)
			warnx("import", "%s: pin (its directory is pinned): "
			      "%s", it->path, strerror(-rc));
	}
	return rc;
}

static void import_items(struct tess_client *c, struct tess_inode *st,
			 struct import *im)
{
	char eb[256];

	for (;;) {
		size_t i = atomic_fetch_add(&im->next, 1);
		struct item *it;
		struct tess_file *f;
		int rc = 0;

		if (i >= im->items.n)
			break;
		it = &im->items.v[i];
		if (it->act == A_CREATE) {
			rc = tess_open(c, it->path, O_CREAT | O_EXCL, 0644,
				       NULL, &f);
			if (rc == -EEXIST)
				rc = tess_stat(c, it->path, st);
			else if (!rc) {
				memcpy(st, tess_file_inode(f), sizeof(*st));
				tess_close(f);
			}
			if (rc)
				warnx("import", "%s: %s: %s",
				      esc(it->key, it->key_len, eb, sizeof(eb)),
				      it->path, strerror(-rc));
			else
				rc = make_stub(c, im, it, st);
			if (!rc)
				atomic_fetch_add(&im->created, 1);
		} else if (it->act == A_INVALIDATE) {
			rc = tess_stat(c, it->path, st);
			if (!rc)
				rc = make_stub(c, im, it, st);
			if (!rc)
				atomic_fetch_add(&im->invalidated, 1);
		}
		if (rc) {
			it->rc = rc;
			atomic_fetch_add(&im->failed, 1);
		}
		atomic_fetch_add(&im->prog.done, 1);
	}
}

struct worker {
	struct import *im;
	struct tess_client *c;
};

static void *import_worker(void *arg)
{
	struct worker *w = arg;
	struct import *im = w->im;
	struct tess_inode *st = malloc(sizeof(*st));
	unsigned seen = 0;

	pthread_mutex_lock(&im->mu);
	for (;;) {
		while (im->gen == seen && !im->quit)
			pthread_cond_wait(&im->work, &im->mu);
		if (im->quit)
			break;
		seen = im->gen;
		pthread_mutex_unlock(&im->mu);
		if (st)
			import_items(w->c, st, im);
		pthread_mutex_lock(&im->mu);
		if (!--im->busy)
			pthread_cond_broadcast(&im->done);
	}
	pthread_mutex_unlock(&im->mu);
	free(st);
	return NULL;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(struct import *im, const char *path, size_t len)
{
	char **v = realloc(im->dirs, (im->ndirs + 1) * sizeof(*v));
	char *d = strndup(path, len);

	if (!v || !d) {
		free(d);
		if (v)
			im->dirs = v;
		return;
	}
	im->dirs = v;
	im->dirs[im->ndirs++] = d;
}

static int nworkers;

/* decide, make the directories, then the stubs of one batch, in parallel */
static int import_batch(struct import *im)
{
	const char *prefix = im->prefix, *dir = im->dir;
	char eb[512];

	for (size_t i = 0; i < im->items.n; i++) {
		struct item *it = &im->items.v[i];
		const char *why = NULL;
		bool is_dir;
		struct existing *e;

		it->path = key_path(it, strlen(prefix), dir, &is_dir, &why);
		if (!it->path) {
			warnx("import", "%s: skipped: key %s",
			      esc(it->key, it->key_len, eb, sizeof(eb)), why);
			it->act = A_SKIP;
			im->skipped++;
			continue;
		}
		if (is_dir) {
			it->act = A_DIR;
			add_dir(im, it->path, strlen(it->path));
			continue;
		}
		/* every parent directory */
		for (char *q = it->path + strlen(dir) + 1; (q = strchr(q, '/'));
		     q++)
			add_dir(im, it->path, (size_t)(q - it->path));
		e = ex_find(im, it->path);
		if (!e) {
			it->act = A_CREATE;
			continue;
		}
		e->seen = true;
		if (!e->has_hsm) {
			if (e->size == 0) {
				/* a stub an interrupted import left */
				it->act = A_INVALIDATE;
				continue;
			}
			warnx("import", "%s: skipped: %s exists and did not "
			      "come from S3", esc(it->key, it->key_len, eb,
						  sizeof(eb)), it->path);
			it->act = A_SKIP;
			im->skipped++;
			continue;
		}
		if (!strcmp(e->bucket, im->bucket) && !strcmp(e->key, it->key) &&
		    !strcmp(e->etag, it->etag) && !(e->state & TESS_HSM_LOST)) {
			it->act = A_SAME;
			im->same++;
			continue;
		}
		if (e->state & TESS_HSM_DIRTY) {
			warnx("import", "%s: %s changed both in S3 and here; "
			      "kept as is (archive or remove it)",
			      esc(it->key, it->key_len, eb, sizeof(eb)),
			      it->path);
			it->act = A_CONFLICT;
			im->conflicts++;
			continue;
		}
		it->act = A_INVALIDATE;	/* the ETag changed: new data */
	}

	/* directories, parents first; those the last batch made skipped */
	if (im->ndirs) {
		size_t n = 0;

		qsort(im->dirs, im->ndirs, sizeof(*im->dirs), str_cmp);
		for (size_t i = 0; i < im->ndirs; i++) {
			int rc;

			if (n && !strcmp(im->dirs[i], im->dirs[n - 1])) {
				free(im->dirs[i]);
				continue;
			}
			im->dirs[n++] = im->dirs[i];
			if (im->nmade && bsearch(&im->dirs[i], im->made,
						 im->nmade, sizeof(char *),
						 str_cmp))
				continue;
			rc = tess_mkdir(im->c, im->dirs[i], 0755);
			if (rc && rc != -EEXIST)
				warnx("import", "%s: mkdir: %s", im->dirs[i],
				      strerror(-rc));
		}
		for (size_t i = 0; i < im->nmade; i++)
			free(im->made[i]);
		free(im->made);
		im->made = im->dirs;
		im->nmade = n;
		im->dirs = NULL;
		im->ndirs = 0;
	}

	/* stubs: the workers and this thread */
	im->prog.total += im->items.n;
	pthread_mutex_lock(&im->mu);
	atomic_store(&im->next, 0);
	im->busy = nworkers;
	im->gen++;
	pthread_cond_broadcast(&im->work);
	pthread_mutex_unlock(&im->mu);
	import_items(im->c, im->st, im);
	pthread_mutex_lock(&im->mu);
	while (im->busy)
		pthread_cond_wait(&im->done, &im->mu);
	pthread_mutex_unlock(&im->mu);
	progress_show(&im->prog, false);

	for (size_t i = 0; i < im->items.n; i++) {
		free(im->items.v[i].key);
		free(im->items.v[i].etag);
		free(im->items.v[i].path);
	}
	im->nkeys += im->items.n;
	im->items.n = 0;
	return 0;
}

static int list_cb(void *arg, const struct s3_obj *o)
{
	struct import *im = arg;
	struct item *it = &im->items.v[im->items.n];

	memset(it, 0, sizeof(*it));
	it->key = malloc(o->key_len + 1);
	it->etag = strdup(o->etag);
	if (!it->key || !it->etag) {
		free(it->key);
		free(it->etag);
		return -ENOMEM;
	}
	memcpy(it->key, o->key, o->key_len);
	it->key[o->key_len] = '\0';
	it->key_len = o->key_len;
	it->size = o->size;
	it->mtime_sec = o->mtime_sec;
	it->mtime_nsec = o->mtime_nsec;
	if (++im->items.n == IMPORT_BATCH)
		return import_batch(im);
	return 0;
}

static int cmd_import(int argc, char **argv)
{
	static struct import im;
	struct tess_client *c;
	struct s3_conf s3;
	struct s3_res res;
	struct entv files = { 0 }, pdirs = { 0 };
	struct tess_inode *st = malloc(sizeof(*st));
	char *bucket, *slash, *dir, *prefix, eb[512];
	size_t deleted = 0, removed = 0;
	int64_t t0 = now_ms();
	pthread_t *tids;
	struct worker *ws;
	int pages = 0, rc, nj;

	if (argc != 3 || strncmp(argv[1], "s3://", 5) || !st) {
		fprintf(stderr, "usage: " PROG " import s3://BUCKET[/PREFIX] DIR "
			"[--endpoint URL] [--region R] [--path-style] "
			"[--delete] [-j N]\n");
		free(st);
		return 2;
	}
	bucket = strdup(argv[1] + 5);
	slash = strchr(bucket, '/');
	prefix = strdup(slash ? slash + 1 : "");
	if (slash)
		*slash = '\0';
	if (!*bucket || strlen(bucket) > TESS_S3_BUCKET_MAX) {
		warnx("import", "%s: not a bucket name", argv[1]);
		return 2;
	}
	/* a prefix names a directory of the bucket */
	if (*prefix && prefix[strlen(prefix) - 1] != '/') {
		char *p = malloc(strlen(prefix) + 2);

		sprintf(p, "%s/", prefix);
		free(prefix);
		prefix = p;
	}
	dir = norm_path(argv[2]);
	if (s3_setup(&s3, "import", argv[1]) || open_client(&c, "import"))
		return 1;

	/* DIR: made if missing, must be a directory */
	rc = tess_stat(c, dir, st);
	if (rc == -ENOENT) {
		char *p = strdup(dir);

		for (char *q = p + 1; ; q++) {
			if (*q == '/' || !*q) {
				char ch = *q;

				*q = '\0';
				rc = tess_mkdir(c, p, 0755);
				*q = ch;
				if (rc && rc != -EEXIST)
					break;
				if (!ch)
					break;
			}
		}
		free(p);
		rc = tess_stat(c, dir, st);
	}
	if (rc || !S_ISDIR(st->mode)) {
		warnx("import", "%s: %s", dir, rc ? strerror(-rc) :
		      "not a directory");
		return 1;
	}

	/* 1. what is there already; which directories are pinned */
	rc = walk(c, dir, &files, &pdirs);
	if (rc) {
		warnx("import", "%s: %s", dir, strerror(-rc));
		return 1;
	}
	pin_dirs(c, &im, dir, &pdirs);
	entv_free(&pdirs);
	im.ex = calloc(files.n + 1, sizeof(*im.ex));
	for (size_t i = 0; i < files.n; i++) {
		struct existing *e = &im.ex[im.nex];
		struct hsm_info *h = malloc(sizeof(*h));

		if (!h || tess_stat_ino(c, files.v[i].ino, st)) {
			free(h);
			continue;
		}
		e->path = files.v[i].path;
		files.v[i].path = NULL;
		e->ino = st->ino;
		e->size = st->size;
		e->has_hsm = mds_hsm_get(c, st->ino, h) == 0;
		if (e->has_hsm) {
			e->state = h->state;
			e->bucket = strdup(h->bucket);
			e->key = strdup(h->key);
			e->etag = strdup(h->etag);
			if (!e->bucket || !e->key || !e->etag) {
				warnx("import", "%s", strerror(ENOMEM));
				return 1;
			}
		}
		free(h);
		im.nex++;
	}
	entv_free(&files);
	qsort(im.ex, im.nex, sizeof(*im.ex), ex_cmp);

	/*
	 * 2. list the bucket, every page, each batch of keys imported as it
	 * arrives (decided, directories made, stubs made by -j workers)
	 */
	im.bucket = bucket;
	im.prefix = prefix;
	im.dir = dir;
	im.c = c;
	im.st = st;
	im.items.v = calloc(IMPORT_BATCH, sizeof(*im.items.v));
	pthread_mutex_init(&im.mu, NULL);
	pthread_cond_init(&im.work, NULL);
	pthread_cond_init(&im.done, NULL);
	progress_init(&im.prog, "import", 0, false);
	nj = O.jobs < 1 ? 1 : O.jobs;
	tids = calloc((size_t)nj, sizeof(*tids));
	ws = calloc((size_t)nj, sizeof(*ws));
	if (!im.items.v || !tids || !ws) {
		warnx("import", "%s", strerror(ENOMEM));
		return 1;
	}
	/* -j connections in all: this thread's and nj - 1 workers' */
	for (nworkers = 0; nworkers < nj - 1; nworkers++) {
		ws[nworkers].im = &im;
		if (open_client(&ws[nworkers].c, "import"))
			break;
		if (pthread_create(&tids[nworkers], NULL, import_worker,
				   &ws[nworkers])) {
			tess_client_close(ws[nworkers].c);
			break;
		}
	}
	rc = s3_list(&s3, bucket, prefix, list_cb, &im, &pages, &res);
	if (!rc && im.items.n)
		rc = import_batch(&im);
	pthread_mutex_lock(&im.mu);
	im.quit = true;
	pthread_cond_broadcast(&im.work);
	pthread_mutex_unlock(&im.mu);
	for (int j = 0; j < nworkers; j++) {
		pthread_join(tids[j], NULL);
		tess_client_close(ws[j].c);
	}
	if (im.prog.tty)
		progress_show(&im.prog, true);
	if (rc) {
		warnx("import", "listing s3://%s/%s: %s (the %zu keys listed "
		      "before were imported)", bucket, prefix,
		      res.msg[0] ? res.msg : strerror(-rc), im.nkeys);
		return 1;
	}
	if (O.verbose)
		printf("import: %zu keys in %d pages listed and imported in "
		       "%.1f s\n", im.nkeys, pages, (now_ms() - t0) / 1000.0);

	/* 6. keys gone from S3 */
	for (size_t i = 0; i < im.nex; i++) {
		struct existing *e = &im.ex[i];
		struct hsm_set q = { .valid = TESS_HSMS_STATE,
				     .set = TESS_HSM_LOST };

		if (e->seen || !e->has_hsm || strcmp(e->bucket, bucket) ||
		    strncmp(e->key, prefix, strlen(prefix)))
			continue;
		deleted++;
		if (O.del) {
			rc = tess_unlink(c, e->path);
			warnx("import", "%s: deleted in S3: %s %s",
			      esc(e->key, strlen(e->key), eb, sizeof(eb)),
			      e->path, rc ? strerror(-rc) : "removed");
			if (!rc)
				removed++;
		} else {
			if (!(e->state & TESS_HSM_LOST))
				mds_hsm_set(c, e->ino, &q, NULL);
			warnx("import", "%s: deleted in S3: %s kept, marked "
			      "lost (--delete removes it)",
			      esc(e->key, strlen(e->key), eb, sizeof(eb)),
			      e->path);
		}
	}

	printf("import: s3://%s/%s -> %s: %zu keys (%d pages), %" PRIu64
	       " created, %" PRIu64 " invalidated, %zu unchanged, %zu skipped, "
	       "%zu conflicts, %zu deleted in S3 (%zu removed), %" PRIu64
	       " failed, %.1f s\n", bucket, prefix, dir, im.nkeys, pages,
	       atomic_load(&im.created), atomic_load(&im.invalidated), im.same,
	       im.skipped, im.conflicts, deleted, removed,
	       atomic_load(&im.failed),
	       (now_ms() - t0) / 1000.0);
	tess_client_close(c);
	free(st);
	return atomic_load(&im.failed) || had_error ? 1 : 0;
}

/* ======================= state ======================= */

/* where the OSTs restore from, and hsm archive uploads to */
static void print_loc(const struct hsm_loc *l)
{
	if (!l->set) {
		printf("  location: none recorded (the OSTs' own endpoint and "
		       "region)\n");
		return;
	}
	printf("  location: endpoint %s, region %s, %s\n",
	       l->endpoint[0] ? l->endpoint : "(the OSTs' own)",
	       l->region[0] ? l->region : "(the OSTs' own)",
	       l->flags & TESS_HSM_LOC_PATH_STYLE ? "path-style" :
	       "virtual-hosted");
}

static int cmd_state(int argc, char **argv)
{
	struct tess_client *c;
	struct tess_inode *st = malloc(sizeof(*st));
	int ret = 0;

	if (argc < 2 || !st) {
		fprintf(stderr, "usage: " PROG " state FILE...\n");
		free(st);
		return 2;
	}
	if (open_client(&c, "state"))
		return 1;
	for (int i = 1; i < argc; i++) {
		char *path = norm_path(argv[i]), names[80], tbuf[64], hb[32];
		struct hsm_info h;
		struct file_hsm fh;
		struct tm tm;
		time_t t;
		int rc = tess_stat(c, path, st);

		if (!rc && !S_ISREG(st->mode))
			rc = -EISDIR;
		if (!rc)
			rc = mds_hsm_get(c, st->ino, &h);
		if (rc == -ENODATA) {
			printf("%s: none (not from S3)\n", path);
			free(path);
			continue;
		}
		if (!rc)
			rc = file_hsm_query(c, st, true, &fh);
		if (rc) {
			warnx("state", "%s: %s", path, strerror(-rc));
			ret = 1;
			free(path);
			continue;
		}
		reconcile(c, st, &h, &fh);
		if ((h.state & TESS_HSM_RELEASED) && fh.all_objs_present)
			h.state &= ~TESS_HSM_RELEASED;
		state_names(h.state, names, sizeof(names));
		t = (time_t)h.mtime_sec;
		gmtime_r(&t, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%s: %s\n", path, names);
		printf("  origin: s3://%s/%s etag %s size %" PRIu64 " mtime %s\n",
		       h.bucket, h.key, h.etag, h.size, tbuf);
		printf("  present: %" PRIu64 " of %" PRIu64 " bytes (%.1f%%, %s)",
		       fh.present, st->size, st->size ?
		       100.0 * (double)fh.present / (double)st->size : 100.0,
		       human(fh.present, hb, sizeof(hb)));
		for (size_t k = 0; k < fh.nhave && k < MAX_RANGES_SHOWN; k++)
			printf("%s%" PRIu64 "-%" PRIu64, k ? ", " : ": ",
			       fh.have[k].a, fh.have[k].b - 1);
		if (fh.nhave > MAX_RANGES_SHOWN)
			printf(", ... (%zu ranges)", fh.nhave);
		printf("\n");
		print_loc(&fh.loc);
		if (fh.any_dirty)
			printf("  written since import or archive\n");
		if (fh.any_pinned)
			printf("  pinned: the OSTs never release its data\n");
		file_hsm_free(&fh);
		free(path);
	}
	tess_client_close(c);
	free(st);
	return ret;
}

/* ======================= status ======================= */

/* the OSTs' counters summed (oid 0: OST-wide only); -errno of the last failure */
static int ost_totals(struct tess_client *c, struct ohsm *sum, bool show)
{
	struct tess_ost osts[TESS_MAX_OSTS];
	int n = tess_ost_list(c, osts, TESS_MAX_OSTS), ret = 0;

	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < n && i < TESS_MAX_OSTS; i++) {
		struct ohsm o;
		int rc = obj_hsm_get(c, osts[i].index, 0, false, &o);

		if (rc) {
			warnx("counters", "OST %u: %s", osts[i].index,
			      strerror(-rc));
			ret = rc;
			continue;
		}
		if (show)
			printf("ost %u: fetched %" PRIu64 " bytes in %" PRIu64
			       " fetches, %" PRIu64 " failed; evicted %" PRIu64
			       " objects, %" PRIu64 " bytes\n", osts[i].index,
			       o.fetched, o.fetches, o.errors, o.evictions,
			       o.bytes_evicted);
		sum->fetched += o.fetched;
		sum->fetches += o.fetches;
		sum->errors += o.errors;
		sum->evictions += o.evictions;
		sum->bytes_evicted += o.bytes_evicted;
	}
	return n < 0 ? n : ret;
}

/* status: what the OSTs' bounded caches released (OST-wide counters) */
static void print_evictions(struct tess_client *c)
{
	struct ohsm t;
	char hb[32];

	if (ost_totals(c, &t, false))
		return;
	printf("  OSTs: evicted: %" PRIu64 " objects, %" PRIu64 " bytes (%s) "
	       "of restored data released to make room, since they started\n",
	       t.evictions, t.bytes_evicted,
	       human(t.bytes_evicted, hb, sizeof(hb)));
}

/*
 * status of a tree: one GETATTR per file by the inode number its directory
 * entry gave (no path walk), the HSM state bits taken from the inode's
 * attributes (no HSM_GET), and the OSTs asked for the bytes present only
 * of files still released; spread over -j connections.
 */
struct status_sum {
	uint64_t total, present, n[6], nfiles;
	bool failed;
};

struct status_job {
	const struct entv *files;
	_Atomic size_t next;
	pthread_mutex_t lock;
	struct status_sum sum;
};

static void status_file(struct tess_client *c, struct tess_inode *st,
			const struct ent *e, struct status_sum *s)
{
	struct hsm_info h;
	struct file_hsm fh;
	uint32_t state;
	int rc = e->ino ? tess_stat_ino(c, e->ino, st) :
			  tess_stat(c, e->path, st);

	if (rc || !S_ISREG(st->mode))
		return;			/* gone (or replaced) meanwhile */
	s->nfiles++;
	s->total += st->size;
	state = st->hsm_state & TESS_HSM_ALL;
	if (!state) {
		s->n[5]++;		/* not from S3 */
		s->present += st->size;
		return;
	}
	if (state & TESS_HSM_RELEASED) {
		bool some = false;

		rc = file_hsm_query(c, st, false, &fh);
		if (rc) {
			warnx("status", "%s: %s", e->path, strerror(-rc));
			s->failed = true;
			return;
		}
		s->present += fh.present < st->size ? fh.present : st->size;
		for (uint32_t i = 0; i < st->nobjs; i++)
			some |= fh.obj_complete[i];
		/* an object complete: the MDS may not know it yet */
		if (some && !mds_hsm_get(c, st->ino, &h))
			reconcile(c, st, &h, &fh);
		if (fh.all_objs_present)
			state &= ~TESS_HSM_RELEASED;
		file_hsm_free(&fh);
	} else {
		s->present += st->size;
	}
	for (int b = 0; b < 5; b++)
		if (state & (1u << b))
			s->n[b]++;
}

/*
 * The MDS's answer for a batch of files (HSM_STATS, one request for
 * TESS_HSM_STATS_MAX files).  Files released and not fully present by the
 * MDS's count go to *rest with --exact, to ask their OSTs.  -EOPNOTSUPP
 * from an MDS without it.
 */
static int status_bulk(struct tess_client *c, const struct entv *files,
		       size_t from, size_t n, struct status_sum *s,
		       struct entv *rest)
{
	static uint8_t body[sizeof(struct tess_hsm_stats_req) +
			    TESS_HSM_STATS_MAX * 8];
	struct tess_hsm_stats_req *r = (void *)body;
	__le64 *inos = (void *)(r + 1);
	struct tnet_call call = { .op = TESS_OP_HSM_STATS, .body = body };
	const struct tess_hsm_stats_rep *rr;
	const struct tess_hsm_stat *o;
	int rc;

	memset(r, 0, sizeof(*r));
	r->count = cpu_to_le32((uint32_t)n);
	for (size_t i = 0; i < n; i++)
		inos[i] = cpu_to_le64(files->v[from + i].ino);
	call.body_len = (uint32_t)(sizeof(*r) + n * 8);
	rc = tess_mds_call(c, &call);
	if (rc)
		return rc;
	rr = call.reply.body;
	if (le32_to_cpu(rr->count) != n)
		return -EPROTO;
	o = (const void *)(rr + 1);
	for (size_t i = 0; i < n; i++, o++) {
		uint32_t mode = le32_to_cpu(o->mode);
		uint32_t state = le32_to_cpu(o->hsm_state);
		uint64_t size = le64_to_cpu(o->size);
		uint64_t present = le64_to_cpu(o->present);

		if (!S_ISREG(mode))
			continue;	/* gone (or replaced) meanwhile */
		if (O.exact && (state & TESS_HSM_RELEASED) && present < size) {
			const struct ent *e = &files->v[from + i];

			rc = entv_add(rest, e->path, DT_REG);
			if (rc)
				return rc;
			rest->v[rest->n - 1].ino = e->ino;
			continue;
		}
		s->nfiles++;
		s->total += size;
		s->present += present < size ? present : size;
		if (!state)
			s->n[5]++;	/* not from S3 */
		for (int b = 0; b < 5; b++)
			if (state & (1u << b))
				s->n[b]++;
	}
	return 0;
}

static void status_run(struct tess_client *c, struct status_job *j)
{
	struct tess_inode *st = malloc(sizeof(*st));
	struct status_sum s = { 0 };

	for (size_t i; st && (i = atomic_fetch_add(&j->next, 1)) < j->files->n;)
		status_file(c, st, &j->files->v[i], &s);
	free(st);
	pthread_mutex_lock(&j->lock);
	j->sum.total += s.total;
	j->sum.present += s.present;
	j->sum.nfiles += s.nfiles;
	for (int b = 0; b < 6; b++)
		j->sum.n[b] += s.n[b];
	j->sum.failed |= s.failed || !st;
	pthread_mutex_unlock(&j->lock);
}

static void *status_worker(void *arg)
{
	struct status_job *j = arg;
	struct tess_client *c;

	if (open_client(&c, "status")) {
		/* the others (and the main thread) do its share */
		return NULL;
	}
	status_run(c, j);
	tess_client_close(c);
	return NULL;
}

static int cmd_status(int argc, char **argv)
{
	struct tess_client *c;
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: " PROG " status PATH... [--exact]\n");
		return 2;
	}
	if (open_client(&c, "status"))
		return 1;
	for (int a = 1; a < argc; a++) {
		char *path = norm_path(argv[a]), b1[32], b2[32];
		struct entv files = { 0 }, rest = { 0 };
		struct status_job j = { .files = &files,
					.lock = PTHREAD_MUTEX_INITIALIZER };
		struct status_sum *s = &j.sum;
		pthread_t tids[64];
		int nj = 0, rc = walk(c, path, &files, NULL);

		if (rc) {
			warnx("status", "%s: %s", path, strerror(-rc));
			ret = 1;
			free(path);
			continue;
		}
		/*
		 * The MDS answers for TESS_HSM_STATS_MAX files a request;
		 * with --exact (or an MDS without HSM_STATS) the OSTs of
		 * released files are asked, a file at a time.
		 */
		for (size_t i = 0; i < files.n; i += TESS_HSM_STATS_MAX) {
			size_t n = files.n - i < TESS_HSM_STATS_MAX ?
				   files.n - i : TESS_HSM_STATS_MAX;

			rc = status_bulk(c, &files, i, n, s, &rest);
			if (rc)
				break;
		}
		if (rc == -EOPNOTSUPP) {
			memset(s, 0, sizeof(*s));
			entv_free(&rest);
			j.files = &files;
		} else if (rc) {
			warnx("status", "%s: %s", path, strerror(-rc));
			ret = 1;
			entv_free(&rest);
			entv_free(&files);
			free(path);
			continue;
		} else {
			j.files = &rest;
		}
		/* a connection of its own per 512 files, up to -j in all */
		while (nj + 1 < O.jobs && nj < 64 &&
		       (size_t)(nj + 1) * 512 < j.files->n &&
		       !pthread_create(&tids[nj], NULL, status_worker, &j))
			nj++;
		status_run(c, &j);
		for (int t = 0; t < nj; t++)
			pthread_join(tids[t], NULL);
		if (s->failed)
			ret = 1;
		printf("%s: %" PRIu64 " files, %" PRIu64 " bytes (%s), %" PRIu64
		       " bytes present (%s), %.1f%%\n", path, s->nfiles, s->total,
		       human(s->total, b1, sizeof(b1)), s->present,
		       human(s->present, b2, sizeof(b2)),
		       s->total ? 100.0 * (double)s->present / (double)s->total :
				  100.0);
		printf("  files: %" PRIu64 " exists, %" PRIu64 " archived, %"
		       PRIu64 " released, %" PRIu64 " dirty, %" PRIu64 " lost, %"
		       PRIu64 " not from S3\n", s->n[0], s->n[1], s->n[2],
		       s->n[3], s->n[4], s->n[5]);
		print_evictions(c);
		entv_free(&rest);
		entv_free(&files);
		free(path);
	}
	tess_client_close(c);
	return ret;
}

/* ======================= prefetch ======================= */

struct unit {
	size_t file;			/* index into paths */
	uint64_t a, b;
};

struct prefetch {
	char **paths;
	size_t npaths;
	struct unit *units;
	size_t nunits;
	_Atomic size_t next;
	_Atomic uint64_t failed;
	struct progress prog;
};

static void *prefetch_worker(void *arg)
{
	struct prefetch *p = arg;
	struct tess_client *c;
	struct tess_file *f = NULL;
	size_t cur = (size_t)-1;
	int open_rc = 0;		/* of the file cur */
	uint8_t *buf = malloc(UNIT_MAX);

	if (!buf || open_client(&c, "prefetch")) {
		free(buf);
		atomic_store(&p->next, p->nunits);
		atomic_fetch_add(&p->failed, 1);
		return NULL;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		struct unit *u;
		ssize_t n;
		int rc;

		if (i >= p->nunits)
			break;
		u = &p->units[i];
		if (u->file != cur) {
			if (f)
				tess_close(f);
			f = NULL;
			cur = u->file;
			open_rc = tess_open(c, p->paths[cur], 0, 0, NULL, &f);
			if (open_rc) {	/* removed since planned, say: once */
				warnx("prefetch", "%s: %s", p->paths[cur],
				      strerror(-open_rc));
				atomic_fetch_add(&p->failed, 1);
			}
		}
		if (open_rc) {
			atomic_fetch_add(&p->prog.done, u->b - u->a);
			continue;	/* the rest of that file: skipped */
		}
		n = tess_pread(f, buf, u->b - u->a, u->a);
		rc = n < 0 ? (int)n : 0;
		if (rc) {
			warnx("prefetch", "%s: bytes %" PRIu64 "-%" PRIu64 ": %s",
			      p->paths[cur], u->a, u->b - 1, strerror(-rc));
			atomic_fetch_add(&p->failed, 1);
		}
		atomic_fetch_add(&p->prog.done, u->b - u->a);
	}
	if (f)
		tess_close(f);
	tess_client_close(c);
	free(buf);
	return NULL;
}

static int cmd_prefetch(int argc, char **argv)
{
	static struct prefetch p;
	struct tess_client *c;
	struct tess_inode *st = malloc(sizeof(*st));
	struct entv files = { 0 };
	uint64_t total = 0;
	int64_t t0 = now_ms();
	pthread_t *tids;
	char hb[32];
	int nj, ret = 0;

	if (argc < 2 || !st) {
		fprintf(stderr, "usage: " PROG " prefetch PATH... [-j N]\n");
		free(st);
		return 2;
	}
	if (open_client(&c, "prefetch"))
		return 1;
	for (int a = 1; a < argc; a++) {
		char *path = norm_path(argv[a]);
		int rc = path ? walk(c, path, &files, NULL) : -ENOMEM;

		if (rc) {
			warnx("prefetch", "%s: %s", path ? path : argv[a],
			      strerror(-rc));
			ret = 1;
		}
		free(path);
	}
	/* work: the absent ranges of released files, in pieces */
	p.paths = calloc(files.n + 1, sizeof(char *));
	if (!p.paths) {
		warnx("prefetch", "%s", strerror(ENOMEM));
		return 1;
	}
	for (size_t i = 0; i < files.n; i++) {
		struct hsm_info h;
		struct file_hsm fh;

		if (tess_stat(c, files.v[i].path, st) ||
		    mds_hsm_get(c, st->ino, &h) ||
		    !(h.state & TESS_HSM_RELEASED))
			continue;
		if (file_hsm_query(c, st, true, &fh)) {
			warnx("prefetch", "%s: cannot ask the OSTs",
			      files.v[i].path);
			ret = 1;
			continue;
		}
		p.paths[p.npaths] = files.v[i].path;
		for (size_t k = 0; k < fh.nabsent; k++) {
			for (uint64_t o = fh.absent[k].a; o < fh.absent[k].b;
			     o += UNIT_MAX) {
				uint64_t e = o + UNIT_MAX;
				struct unit *nu;

				if (e > fh.absent[k].b)
					e = fh.absent[k].b;
				nu = realloc(p.units, (p.nunits + 1) *
					     sizeof(*p.units));
				if (!nu) {
					warnx("prefetch", "%s", strerror(ENOMEM));
					return 1;
				}
				p.units = nu;
				p.units[p.nunits++] = (struct unit){ p.npaths,
								     o, e };
				total += e - o;
			}
		}
		p.npaths++;
		file_hsm_free(&fh);
	}
	progress_init(&p.prog, "prefetch", total, true);
	nj = O.jobs < 1 ? 1 : O.jobs;
	tids = calloc((size_t)nj, sizeof(*tids));
	if (!tids) {
		warnx("prefetch", "%s", strerror(ENOMEM));
		return 1;
	}
	for (int j = 0; j < nj; j++)
		if (pthread_create(&tids[j], NULL, prefetch_worker, &p)) {
			warnx("prefetch", "cannot start thread %d of %d", j + 1,
			      nj);
			nj = j;
			ret = 1;
			break;
		}
	if (!nj)		/* no worker: no progress */
		atomic_store(&p.next, p.nunits);
	while (atomic_load(&p.next) < p.nunits) {
		progress_show(&p.prog, false);
		usleep(100000);
	}
	for (int j = 0; j < nj; j++)
		pthread_join(tids[j], NULL);
	if (p.prog.tty)
		progress_show(&p.prog, true);
	/* make sure the MDS knows (the OSTs tell it too, asynchronously) */
	for (size_t i = 0; i < p.npaths; i++) {
		struct hsm_info h;
		struct file_hsm fh;

		if (tess_stat(c, p.paths[i], st) || mds_hsm_get(c, st->ino, &h) ||
		    file_hsm_query(c, st, false, &fh))
			continue;
		reconcile(c, st, &h, &fh);
		file_hsm_free(&fh);
	}
	printf("prefetch: %zu released files, %s restored in %.1f s with %d "
	       "threads, %" PRIu64 " failures\n", p.npaths,
	       human(total, hb, sizeof(hb)), (now_ms() - t0) / 1000.0, nj,
	       atomic_load(&p.failed));
	entv_free(&files);
	tess_client_close(c);
	free(st);
	return ret || atomic_load(&p.failed) ? 1 : 0;
}

/* ======================= release ======================= */

static int cmd_release(int argc, char **argv)
{
	struct tess_client *c;
	struct tess_inode *st = malloc(sizeof(*st));
	int ret = 0;

	if (argc < 2 || !st) {
		fprintf(stderr, "usage: " PROG " release FILE...\n");
		free(st);
		return 2;
	}
	if (open_client(&c, "release"))
		return 1;
	for (int a = 1; a < argc; a++) {
		char *path = norm_path(argv[a]), hb[32];
		struct hsm_set q = { .valid = TESS_HSMS_UNPRESENT |
					      TESS_HSMS_STATE };
		struct hsm_info h;
		struct file_hsm fh;
		uint64_t freed;
		int rc = tess_stat(c, path, st);

		if (!rc && !S_ISREG(st->mode))
			rc = -EISDIR;
		if (!rc)
			rc = mds_hsm_get(c, st->ino, &h);
		if (rc) {
			warnx("release", "%s: %s", path, rc == -ENODATA ?
			      "not from S3 (no archive copy)" : strerror(-rc));
			ret = 1;
			goto next;
		}
		if (!(h.state & TESS_HSM_ARCHIVED) ||
		    (h.state & (TESS_HSM_DIRTY | TESS_HSM_LOST))) {
			warnx("release", "%s: %s", path, h.state & TESS_HSM_LOST ?
			      "the S3 copy is lost" : "changed since archived; "
			      "archive it first");
			ret = 1;
			goto next;
		}
		rc = file_hsm_query(c, st, false, &fh);
		if (!rc && fh.any_dirty)
			rc = -EBUSY;
		freed = fh.present;
		file_hsm_free(&fh);
		for (uint32_t i = 0; i < st->nobjs && !rc; i++) {
			rc = obj_hsm_set(c, st, i, TESS_OHSM_RELEASE, 0, NULL,
					 NULL, NULL, 0, NULL);
			if (rc == -ENODATA)
				rc = 0;	/* an object that holds nothing */
		}
		if (rc) {
			/* EBUSY: written since, or reads and writes went on */
			warnx("release", "%s: %s", path, rc == -EBUSY ?
			      "changed since archived (archive it first), or "
			      "busy with reads or writes (try again)" :
			      rc == -EPERM ? "pinned (hsm unpin it first)" :
			      strerror(-rc));
			ret = 1;
			goto next;
		}
		if (st->size)
			q.set = TESS_HSM_RELEASED;
		rc = mds_hsm_set(c, st->ino, &q, NULL);
		if (rc) {
			warnx("release", "%s: MDS: %s", path, strerror(-rc));
			ret = 1;
		} else {
			printf("%s: released, %s freed\n", path,
			       human(freed, hb, sizeof(hb)));
		}
next:
		free(path);
	}
	tess_client_close(c);
	free(st);
	return ret;
}

/* ======================= archive ======================= */

static int read_range(struct tess_file *f, uint8_t *buf, uint64_t off,
		      size_t len)
{
	ssize_t n = tess_pread(f, buf, len, off);

	if (n < 0)
		return (int)n;
	if ((size_t)n < len)
		memset(buf + n, 0, len - (size_t)n);
	return 0;
}

/* where an archive goes, and on what condition (s3.h) */
struct dest {
	const char *bucket, *key;
	struct s3_cond cond;
};

/* a single PUT of the whole file (at most one part) */
static int upload_put(struct s3_conf *s3, struct tess_file *f, uint64_t size,
		      const struct dest *d, char *etag, char *why,
		      size_t whylen)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct s3_res res;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = read_range(f, buf, 0, size);
	if (rc) {
		snprintf(why, whylen, "read: %s", strerror(-rc));
	} else {
		rc = s3_put_cond(s3, d->bucket, d->key, buf, size, &d->cond,
				 &res);
		if (rc)
			snprintf(why, whylen, "PUT: %s", res.msg);
		else
			snprintf(etag, S3_ETAG_MAX + 1, "%s", res.etag);
	}
	free(buf);
	return rc;
}

static void md5_hex(EVP_MD_CTX *md, char out[33])
{
	unsigned char v[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(md, v, &n);
	for (unsigned int i = 0; i < 16 && i < n; i++)
		sprintf(out + 2 * i, "%02x", v[i]);
}

/* the parts of a multipart upload, and the MD5 of the whole */
static int upload_parts(struct s3_conf *s3, struct tess_file *f,
			uint64_t size, uint64_t psize, const struct dest *d,
			const char *id, char (*etags)[S3_ETAG_MAX + 1],
			char md5[33], char *why, size_t whylen)
{
	uint8_t *buf = malloc(psize);
	int nparts = (int)((size + psize - 1) / psize), rc = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct s3_res res;

	if (!buf || !md || !EVP_DigestInit_ex(md, EVP_md5(), NULL)) {
		free(buf);
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	for (int p = 0; p < nparts && !rc; p++) {
		uint64_t off = (uint64_t)p * psize;
		size_t len = (size_t)(size - off < psize ? size - off : psize);

		rc = read_range(f, buf, off, len);
		if (rc) {
			snprintf(why, whylen, "read: %s", strerror(-rc));
			break;
		}
		EVP_DigestUpdate(md, buf, len);
		rc = s3_mpu_part(s3, d->bucket, d->key, id, p + 1, buf, len,
				 etags[p], &res);
		if (rc)
			snprintf(why, whylen, "UploadPart %d: %s", p + 1,
				 res.msg);
	}
	md5_hex(md, md5);
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

/*
 * The file to d: a PUT up to one part, else a multipart upload of
 * s3_part_size() parts; etag is the one S3 gave our write.
 */
static int upload(struct s3_conf *s3, struct tess_file *f, uint64_t size,
		  const struct dest *d, char *etag, char *why, size_t whylen)
{
	uint64_t psize = s3_part_size(size);
	char id[S3_UPLOAD_ID_MAX + 1], md5[33] = "";
	char (*etags)[S3_ETAG_MAX + 1];
	struct s3_res res;
	int nparts, rc;

	if (size > S3_OBJECT_MAX) {
		snprintf(why, whylen, "larger than S3's 5 TiB limit");
		return -EFBIG;
	}
	if (size <= psize)
		return upload_put(s3, f, size, d, etag, why, whylen);
	nparts = (int)((size + psize - 1) / psize);
	etags = calloc((size_t)nparts, sizeof(*etags));
	if (!etags)
		return -ENOMEM;
	rc = s3_mpu_create(s3, d->bucket, d->key, id, &res);
	if (rc) {
		snprintf(why, whylen, "CreateMultipartUpload: %s", res.msg);
		free(etags);
		return rc;
	}
	rc = upload_parts(s3, f, size, psize, d, id, etags, md5, why, whylen);
	if (!rc) {
		rc = s3_mpu_complete_cond(s3, d->bucket, d->key, id, nparts,
					  etags, size, md5, &d->cond, &res);
		if (rc)
			snprintf(why, whylen, "CompleteMultipartUpload: %s",
				 res.msg);
		else
			snprintf(etag, S3_ETAG_MAX + 1, "%s", res.etag);
	}
	if (rc) {
		struct s3_res r2;

		s3_mpu_abort(s3, d->bucket, d->key, id, &r2);
	}
	free(etags);
	return rc;
}

/*
 * S3 refused the write on its precondition: 412, or (If-Match of an
 * object deleted since) 404 NoSuchKey; not a local error of the same
 * errno, nor NoSuchUpload.
 */
static bool precondition_failed(int rc, const char *why, const struct dest *d)
{
	if (rc == -ESTALE)
		return strstr(why, "HTTP 412") != NULL;
	return rc == -ENOENT && d->cond.if_match && strstr(why, "NoSuchKey");
}

/* the precondition failed: say what S3 has now */
static void changed_in_s3(struct s3_conf *s3, const char *path,
			  const struct hsm_info *h)
{
	struct s3_res res;
	int rc = s3_head(s3, h->bucket, h->key, &res);
	char now[S3_ETAG_MAX + 16];

	if (!rc)
		snprintf(now, sizeof(now), "%s", res.etag);
	else
		snprintf(now, sizeof(now), "%s", rc == -ENOENT ? "deleted" :
			 "unknown");
	warnx("archive", "%s: s3://%s/%s changed since it was imported "
	      "(ETag %s, now %s); not overwritten", path, h->bucket, h->key,
	      h->etag[0] ? h->etag : "none", now);
}

/* S3's mtime of what we wrote: HEAD, if S3 still has our ETag there */
static uint64_t archived_mtime(struct s3_conf *s3, const struct hsm_info *h,
			       const char *etag)
{
	struct s3_res res;

	if (!s3_head(s3, h->bucket, h->key, &res) && !strcmp(res.etag, etag))
		return (uint64_t)res.mtime_sec;
	return (uint64_t)time(NULL);
}

/*
 * The S3 configuration of a file's archive: where the OSTs restore it
 * from (its recorded location: as origin_conf of user/ost/hsm.c, an
 * empty endpoint or region is the tool's own, path-style if either says
 * so), the tool's own (s3_setup) for a file imported without one.  loc
 * is then what the OSTs keep after the archive: the recorded one
 * unchanged, else the tool's.
 */
static int archive_conf(const struct s3_conf *own, const char *bucket,
			struct hsm_loc *loc, struct s3_conf *out, char *why,
			size_t whylen)
{
	struct s3_conf t;
	int rc;

	*out = *own;
	if (!loc->set) {
		loc_of_conf(own, bucket, loc);
		return 0;
	}
	rc = s3_conf_addr(&t, loc->endpoint[0] ? loc->endpoint : own->endpoint,
			  loc->region[0] ? loc->region : own->region,
			  own->path_style ||
			  (loc->flags & TESS_HSM_LOC_PATH_STYLE), why, whylen);
	if (rc)
		return rc;
	memcpy(out->endpoint, t.endpoint, sizeof(out->endpoint));
	memcpy(out->region, t.region, sizeof(out->region));
	out->aws = t.aws;
	out->path_style = t.path_style;
	return 0;
}

static int cmd_archive(int argc, char **argv)
{
	struct tess_client *c;
	struct tess_inode *st = malloc(sizeof(*st));
	struct s3_conf own, s3;
	int ret = 0;

	if (argc < 2 || !st) {
		fprintf(stderr, "usage: " PROG " archive FILE... [--endpoint URL]"
			" [--region R] [--path-style]\n");
		free(st);
		return 2;
	}
	if (s3_setup(&own, "archive", NULL) || open_client(&c, "archive"))
		return 1;
	for (int a = 1; a < argc; a++) {
		char *path = norm_path(argv[a]), etag[S3_ETAG_MAX + 1] = "";
		char why[400] = "", hb[32];
		struct hsm_info h;
		struct file_hsm fh;
		struct tess_file *f = NULL;
		struct dest d;
		int64_t t0 = now_ms();
		int rc = tess_stat(c, path, st);

		if (!rc && !S_ISREG(st->mode))
			rc = -EISDIR;
		if (!rc)
			rc = mds_hsm_get(c, st->ino, &h);
		if (rc) {
			warnx("archive", "%s: %s", path, rc == -ENODATA ?
			      "has no S3 origin to archive to" : strerror(-rc));
			ret = 1;
			goto next;
		}
		rc = file_hsm_query(c, st, false, &fh);
		if (rc) {
			warnx("archive", "%s: %s", path, strerror(-rc));
			ret = 1;
			goto next;
		}
		if (!(h.state & (TESS_HSM_DIRTY | TESS_HSM_LOST)) &&
		    !fh.any_dirty && (h.state & TESS_HSM_ARCHIVED)) {
			printf("%s: unchanged since archived, nothing to do\n",
			       path);
			file_hsm_free(&fh);
			goto next;
		}
		rc = archive_conf(&own, h.bucket, &fh.loc, &s3, why,
				  sizeof(why));
		if (rc) {
			warnx("archive", "%s: its origin's location: %s", path,
			      why);
			ret = 1;
			file_hsm_free(&fh);
			goto next;
		}
		d = (struct dest){ .bucket = h.bucket, .key = h.key,
				   .cond = { .if_match = h.etag[0] ? h.etag :
					     NULL,
					     .if_none_match = !h.etag[0] } };
		rc = tess_open(c, path, 0, 0, NULL, &f);
		if (!rc)
			rc = upload(&s3, f, st->size, &d, etag, why,
				    sizeof(why));
		if (f)
			tess_close(f);
		if (precondition_failed(rc, why, &d)) {
			changed_in_s3(&s3, path, &h);
			ret = 1;
			file_hsm_free(&fh);
			goto next;
		}
		if (rc) {
			warnx("archive", "%s: s3://%s/%s: %s", path, h.bucket,
			      h.key, why[0] ? why : strerror(-rc));
			ret = 1;
			file_hsm_free(&fh);
			goto next;
		}
		/* the ETag is our write's; S3's mtime of it */
		h.mtime_sec = archived_mtime(&s3, &h, etag);
		for (uint32_t i = 0; i < st->nobjs && !rc; i++)
			rc = obj_hsm_set(c, st, i, TESS_OHSM_ARCHIVED, st->size,
					 h.bucket, h.key, etag, fh.dirty_gen[i],
					 &fh.loc);
		file_hsm_free(&fh);
		if (!rc) {
			struct hsm_set q = {
				.valid = TESS_HSMS_ORIGIN | TESS_HSMS_STATE,
				.set = TESS_HSM_EXISTS | TESS_HSM_ARCHIVED,
				.clear = TESS_HSM_DIRTY | TESS_HSM_LOST |
					 TESS_HSM_RELEASED,
				.size = st->size, .mtime_sec = h.mtime_sec,
				.bucket = h.bucket, .key = h.key, .etag = etag };

			rc = mds_hsm_set(c, st->ino, &q, NULL);
		}
		if (rc) {
			warnx("archive", "%s: uploaded, but %s", path,
			      rc == -EAGAIN ? "written meanwhile; archive it "
			      "again" : strerror(-rc));
			ret = 1;
			goto next;
		}
		printf("%s: archived to s3://%s/%s (%s, etag %s%s) in %.1f s\n",
		       path, h.bucket, h.key, human(st->size, hb, sizeof(hb)),
		       etag, st->size > s3_part_size(st->size) ?
		       ", multipart" : "",
		       (now_ms() - t0) / 1000.0);
next:
		free(path);
	}
	tess_client_close(c);
	free(st);
	return ret;
}

/* ======================= counters ======================= */

static int cmd_counters(int argc, char **argv)
{
	struct tess_client *c;
	struct ohsm t;
	int rc;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: " PROG " counters\n");
		return 2;
	}
	if (open_client(&c, "counters"))
		return 1;
	rc = ost_totals(c, &t, true);
	printf("total evicted: %" PRIu64 " objects, %" PRIu64 " bytes\n",
	       t.evictions, t.bytes_evicted);
	printf("total fetched: %" PRIu64 " bytes, %" PRIu64 " fetches, %"
	       PRIu64 " failed\n", t.fetched, t.fetches, t.errors);
	tess_client_close(c);
	return rc ? 1 : 0;
}

/* ======================= pin, unpin ======================= */

/* pin or unpin every object of one file from S3: 1 done, 0 not from S3 */
static int pin_file(struct tess_client *c, const char *path, uint32_t mode,
		    struct tess_inode *st)
{
	struct hsm_info h;
	int rc = tess_stat(c, path, st);

	if (!rc)
		rc = mds_hsm_get(c, st->ino, &h);
	if (rc == -ENODATA)
		return 0;
	for (uint32_t i = 0; i < st->nobjs && !rc; i++) {
		rc = obj_hsm_set(c, st, i, mode, 0, NULL, NULL, NULL, 0, NULL);
		if (rc == -ENODATA)
			rc = 0;	/* an object that holds nothing */
	}
	return rc ? rc : 1;
}

static int cmd_pin_mode(int argc, char **argv, uint32_t mode)
{
	const char *cmd = mode == TESS_OHSM_PIN ? "pin" : "unpin";
	struct tess_inode *st = malloc(sizeof(*st));
	struct tess_client *c;
	int ret = 0;

	if (argc < 2 || !st) {
		fprintf(stderr, "usage: " PROG " %s PATH...\n", cmd);
		free(st);
		return 2;
	}
	if (open_client(&c, cmd)) {
		free(st);
		return 1;
	}
	for (int a = 1; a < argc; a++) {
		char *path = norm_path(argv[a]);
		struct entv files = { 0 }, dirs = { 0 };
		uint64_t done = 0, other = 0;
		int rc = walk(c, path, &files, &dirs);

		if (rc)
			warnx(cmd, "%s: %s", path, strerror(-rc));
		/*
		 * a directory: later imports under it are pinned (or not).
		 * Not marked (trusted.*: root only): its files are still
		 * (un)pinned, with a warning.
		 */
		if (!rc && dirs.n) {
			int xrc = 0;

			if (mode == TESS_OHSM_PIN)
				xrc = tess_setxattr(c, path, PIN_XATTR, "1", 1,
						    0);
			for (size_t i = 0; mode == TESS_OHSM_UNPIN &&
			     i < dirs.n && (!xrc || xrc == -ENODATA); i++)
				xrc = tess_removexattr(c, dirs.v[i].path,
						       PIN_XATTR);
			if (xrc && xrc != -ENODATA)
				warnx(cmd, "%s: directory not %s for later "
				      "imports: %s", path, mode == TESS_OHSM_PIN ?
				      "marked pinned" : "unmarked",
				      strerror(-xrc));
		}
		for (size_t i = 0; i < files.n && !rc; i++) {
			rc = pin_file(c, files.v[i].path, mode, st);
			if (rc < 0)
				warnx(cmd, "%s: %s", files.v[i].path,
				      strerror(-rc));
			else if (rc)
				done++;
			else
				other++;
			rc = rc < 0 ? rc : 0;
		}
		if (rc) {
			ret = 1;
		} else {
			printf("%s: %" PRIu64 " files %s", path, done,
			       mode == TESS_OHSM_PIN ? "pinned" : "unpinned");
			if (other)
				printf(" (%" PRIu64 " not from S3: nothing to "
				       "release)", other);
			printf("\n");
		}
		entv_free(&files);
		entv_free(&dirs);
		free(path);
	}
	tess_client_close(c);
	free(st);
	return ret;
}

static int cmd_pin(int argc, char **argv)
{
	return cmd_pin_mode(argc, argv, TESS_OHSM_PIN);
}

static int cmd_unpin(int argc, char **argv)
{
	return cmd_pin_mode(argc, argv, TESS_OHSM_UNPIN);
}

/* ======================= main ======================= */

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "import", cmd_import, "import s3://BUCKET[/PREFIX] DIR [--endpoint URL] "
	  "[--region R] [--path-style] [--delete] [-j N]" },
	{ "state", cmd_state, "state FILE...          HSM state, origin, present ranges" },
	{ "status", cmd_status, "status PATH... [--exact]  size, bytes present, files per state" },
	{ "prefetch", cmd_prefetch, "prefetch PATH... [-j N] restore every released byte" },
	{ "release", cmd_release, "release FILE...        free OST space of archived, unchanged files" },
	{ "archive", cmd_archive, "archive FILE... [--endpoint URL] [--region R] "
	  "[--path-style]\n"
	  "                             upload changed files to their S3 origin" },
	{ "pin", cmd_pin, "pin PATH...            the OSTs never release these files' data" },
	{ "unpin", cmd_unpin, "unpin PATH...          they may again, least recently read first" },
	{ "counters", cmd_counters, "counters               bytes the OSTs fetched from S3 and evicted" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--mds ADDR] [--key FILE] [--timeout S] [-v] COMMAND ...\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  " PROG " %s\n", cmds[i].help);
	fprintf(f, "MDS and key default to $TESS_MDS and $TESS_KEY; S3 credentials "
		"come from\nthe AWS chain: environment, ~/.aws/credentials and "
		"config, web identity,\ncontainer, IMDSv2 (see hsm(1)).\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mds", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "region", required_argument, NULL, 'r' },
		{ "path-style", no_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 't' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "delete", no_argument, NULL, 'D' },
		{ "exact", no_argument, NULL, 'x' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char **rest;
	int opt, nrest = 0;

	O.mds = getenv("TESS_MDS");
	O.key = getenv("TESS_KEY");
	opterr = 0;
	rest = calloc((size_t)argc + 1, sizeof(char *));
	/* options anywhere: before or after the command */
	while ((opt = getopt_long(argc, argv, "-:j:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 1: rest[nrest++] = optarg; break;
		case 'm': O.mds = optarg; break;
		case 'k': O.key = optarg; break;
		case 'e': O.endpoint = optarg; break;
		case 'r': O.region = optarg; break;
		case 'P': O.path_style = true; break;
		case 't': O.timeout_s = atoi(optarg); break;
		case 'j':
			O.jobs = atoi(optarg);
			if (O.jobs < 1 || O.jobs > 256) {
				fprintf(stderr, PROG ": -j: 1..256 threads\n");
				return 2;
			}
			break;
		case 'D': O.del = true; break;
		case 'x': O.exact = true; break;
		case 'v': O.verbose++; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, PROG ": %s: missing argument\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, PROG ": %s: unknown option\n",
				argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (!nrest) {
		usage(stderr);
		return 2;
	}
	if (!O.mds || !O.key) {
		fprintf(stderr, PROG ": --mds and --key (or $TESS_MDS, "
			"$TESS_KEY) are needed\n");
		return 2;
	}
	if (O.timeout_s < 1)
		O.timeout_s = 30;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(rest[0], cmds[i].name))
			return cmds[i].fn(nrest, rest);
	fprintf(stderr, PROG ": %s: unknown command\n", rest[0]);
	usage(stderr);
	return 2;
}
