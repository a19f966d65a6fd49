// SPDX-License-Identifier: MIT
/*
 * hsm state, status and counters: what is where.
 */
#include "hsm.h"

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

int cmd_state(int argc, char **argv)
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
		int rc = file_hsm_get(c, path, st, &h);

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

int cmd_status(int argc, char **argv)
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

/* ======================= counters ======================= */

int cmd_counters(int argc, char **argv)
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
