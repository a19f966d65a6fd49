// SPDX-License-Identifier: MIT
/*
 * hsm prefetch: restore every released byte, in parallel.
 */
#include "hsm.h"

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

int cmd_prefetch(int argc, char **argv)
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
