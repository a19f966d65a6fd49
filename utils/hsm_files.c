// SPDX-License-Identifier: MIT
/*
 * hsm: walking the namespace, and what the objects of a file hold
 * (present ranges, dirty, pinned, the origin's location).
 */
#include "hsm.h"

/* ---- walking the namespace ---- */

int entv_add(struct entv *e, const char *path, uint32_t type)
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

void entv_free(struct entv *e)
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
int walk(struct tess_client *c, const char *path, struct entv *files,
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
char *norm_path(const char *p)
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

void file_hsm_free(struct file_hsm *f)
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
int file_hsm_query(struct tess_client *c, const struct tess_inode *st,
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
void reconcile(struct tess_client *c, const struct tess_inode *st,
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

void state_names(uint32_t s, char *buf, size_t len)
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
