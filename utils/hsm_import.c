// SPDX-License-Identifier: MIT
/*
 * hsm import: stubs for the keys of an S3 prefix (lazy import).
 */
#include "hsm.h"

static bool had_error;

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
	bool *made_own;			/* made[i] has a layout of its own */
	bool dir_own;			/* DIR has a layout of its own */
	pthread_mutex_t probe_mu;
	uint32_t def_count;		/* fs default stripe count, 0: unknown */
	bool probed;
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

/*
 * The layout of a new file whose directory has none of its own (issue
 * #13): a stripe unit is one ranged GET on restore, so bigger objects get
 * bigger units, 1 MiB up to 64 MiB, 4 MiB up to 1 GiB, else 8 MiB; and no
 * more stripes than the object fills (nor than the file system's default
 * count), so a small object lives on one OST: one GET, one OBJ_HSM_SET.
 * The MDS picks the OSTs, as for tessctl setstripe -c N.
 */
static void auto_layout(uint64_t size, uint32_t def_count,
			struct tess_layout_req *lr)
{
	uint64_t unit = size <= (64ull << 20) ? 1u << 20 :
			size <= (1ull << 30) ? 4u << 20 : 8u << 20;
	uint64_t n = (size + unit - 1) / unit;

	if (n > def_count)
		n = def_count;
	if (n > TESS_MAX_STRIPES)
		n = TESS_MAX_STRIPES;
	lr->stripe_size = (uint32_t)unit;
	lr->stripe_count = (uint16_t)(n ? n : 1);
	lr->stripe_offset = TESS_OST_ANY;
}

/* has the directory of path a layout of its own (tessctl setstripe)? */
static bool parent_own(const struct import *im, const char *path)
{
	const char *s = strrchr(path, '/');
	size_t n = (size_t)(s - path), lo = 0, hi = im->nmade;

	if (n == strlen(im->dir) && !strncmp(path, im->dir, n))
		return im->dir_own;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = strncmp(im->made[mid], path, n);

		if (!d && im->made[mid][n])
			d = 1;
		if (!d)
			return !im->made_own || im->made_own[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return true;	/* not known: the directory's, as before */
}

/*
 * An older MDS does not tell the default stripe count: that of a file
 * made with no layout in dir (one without a layout of its own), removed
 * at once.  0 if it cannot be made.
 */
static uint32_t probe_count(struct tess_client *c, const char *dir)
{
	char *p = malloc(strlen(dir) + 64);
	struct tess_file *f;
	uint32_t n = 0;
	int rc = -ENOMEM;

	if (p) {
		sprintf(p, "%s/.hsm-import-probe.%ld", strcmp(dir, "/") ?
			dir : "", (long)getpid());
		rc = tess_open(c, p, O_CREAT | O_EXCL, 0600, NULL, &f);
	}
	if (!rc) {
		n = tess_file_inode(f)->geom.stripe_count;
		tess_close(f);
		rc = tess_unlink(c, p);
		if (rc)
			warnx("import", "%s: unlink: %s", p, strerror(-rc));
	} else {
		warnx("import", "%s: %s (files keep the directory's layout)",
		      p ? p : dir, strerror(-rc));
	}
	free(p);
	return n;
}

/*
 * The file system's default stripe count, once: what the MDS's STATFS
 * tells (what a new file would get), else (an older MDS tells 0) the
 * probe's.  0: not known.
 */
static uint32_t fs_default_count(struct tess_client *c, struct import *im,
				 const char *dir)
{
	pthread_mutex_lock(&im->probe_mu);
	if (!im->probed) {
		struct tess_statfs sf;

		if (!tess_statfs(c, &sf) && sf.def_stripe_count)
			im->def_count = sf.def_stripe_count;
		else
			im->def_count = probe_count(c, dir);
		im->probed = true;
	}
	pthread_mutex_unlock(&im->probe_mu);
	return im->def_count;
}

/* the layout for a new file at it->path; NULL: the directory's */
static const struct tess_layout_req *
new_layout(struct tess_client *c, struct import *im, const struct item *it,
	   struct tess_layout_req *lr)
{
	char *dir;
	uint32_t dc;

	if (parent_own(im, it->path))
		return NULL;
	auto_layout(it->size, TESS_MAX_STRIPES, lr);
	if (lr->stripe_count == 1)
		return lr;	/* whatever the default count */
	dir = strndup(it->path, (size_t)(strrchr(it->path, '/') - it->path));
	dc = dir ? fs_default_count(c, im, *dir ? dir : "/") : 0;
	free(dir);
	if (!dc)
		return NULL;
	auto_layout(it->size, dc, lr);
	return lr;
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
			struct tess_layout_req lr;

			rc = tess_open(c, it->path, O_CREAT | O_EXCL, 0644,
				       new_layout(c, im, it, &lr), &f);
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
		bool *own = calloc(im->ndirs, sizeof(*own));
		size_t n = 0;

		qsort(im->dirs, im->ndirs, sizeof(*im->dirs), str_cmp);
		for (size_t i = 0; i < im->ndirs; i++) {
			char **was;
			int rc;

			if (n && !strcmp(im->dirs[i], im->dirs[n - 1])) {
				free(im->dirs[i]);
				continue;
			}
			im->dirs[n++] = im->dirs[i];
			was = im->nmade ? bsearch(&im->dirs[i], im->made,
						  im->nmade, sizeof(char *),
						  str_cmp) : NULL;
			if (was) {
				if (own)
					own[n - 1] = !im->made_own ||
						     im->made_own[was -
								  im->made];
				continue;
			}
			rc = tess_mkdir(im->c, im->dirs[i], 0755);
			if (rc && rc != -EEXIST)
				warnx("import", "%s: mkdir: %s", im->dirs[i],
				      strerror(-rc));
			/* a layout of its own, set or inherited at mkdir */
			if (own)
				own[n - 1] = tess_getstripe(im->c, im->dirs[i],
							    im->st) ||
					     im->st->pattern;
		}
		for (size_t i = 0; i < im->nmade; i++)
			free(im->made[i]);
		free(im->made);
		free(im->made_own);
		im->made = im->dirs;
		im->made_own = own;
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

int cmd_import(int argc, char **argv)
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
	im.dir_own = tess_getstripe(c, dir, st) || st->pattern;
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
	pthread_mutex_init(&im.probe_mu, NULL);
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
