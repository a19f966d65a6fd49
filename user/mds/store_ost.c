// SPDX-License-Identifier: MIT
/*
 * store_ost.c - OSTs and layouts in the store: pools of objects precreated
 * on each OST (precreate.c fills them), the allocation of a new layout over
 * the OST table, get/set layout, OST registration and state, and the owners
 * of objects (OBJ_SCAN).
 */
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "store_int.h"
#include "tnet.h"

/* ---- object pools: oids precreated on an OST, not handed out yet ---- */

/*
 * meta "pool/<be32 OST index>": [first, end) was (or is being) precreated
 * on the OST; next is the first not handed out.  A range is recorded
 * before the OST is asked to create it, and confirmed after it answered:
 * only a confirmed pool hands out oids, and an unconfirmed one is sent
 * again (OBJ_PRECREATE is idempotent), after an MDS restart too.
 */
struct pool_rec {
	uint64_t first, next, end;
	uint32_t confirmed;
	uint32_t pad;
};

#define POOL_PFX	"pool/"
#define POOL_KEY_LEN	(sizeof(POOL_PFX) - 1 + 4)

static void pool_key(uint8_t k[POOL_KEY_LEN], uint32_t idx)
{
	uint32_t be = htobe32(idx);

	memcpy(k, POOL_PFX, sizeof(POOL_PFX) - 1);
	memcpy(k + sizeof(POOL_PFX) - 1, &be, 4);
}

static int pool_get(struct tx *tx, uint32_t idx, struct pool_rec *p)
{
	uint8_t k[POOL_KEY_LEN];
	MDB_val v;
	int rc;

	pool_key(k, idx);
	rc = store_db_get(tx, tx->s->meta, k, sizeof(k), &v);
	if (rc)
		return rc;
	if (v.mv_size != sizeof(*p))
		return -EIO;
	memcpy(p, v.mv_data, sizeof(*p));
	return 0;
}

static int pool_put(struct tx *tx, uint32_t idx, const struct pool_rec *p)
{
	uint8_t k[POOL_KEY_LEN];

	pool_key(k, idx);
	return store_db_put(tx, tx->s->meta, k, sizeof(k), p, sizeof(*p), 0);
}

/* the next precreated oid of OST idx; -EAGAIN: its pool must be refilled */
static int pool_take(struct tx *tx, uint32_t idx, uint64_t *oid)
{
	struct pool_rec p;
	int rc = pool_get(tx, idx, &p);

	if (rc == -ENOENT || (!rc && (!p.confirmed || p.next >= p.end)))
		return -EAGAIN;
	if (rc)
		return rc;
	*oid = p.next++;
	return pool_put(tx, idx, &p);
}

int mds_pool_reserve(struct mds_store *s, uint32_t idx, uint32_t batch,
		     uint64_t *first, uint32_t *count)
{
	struct pool_rec p;
	struct tx tx;
	int rc = store_tx_begin(s, &tx, true);

	if (rc)
		return rc;
	rc = pool_get(&tx, idx, &p);
	if (!rc && p.confirmed && p.next < p.end) {
		rc = 1;			/* refilled meanwhile */
		goto out;
	}
	if (!rc && !p.confirmed) {
		*first = p.first;	/* recorded, not confirmed: again */
		*count = (uint32_t)(p.end - p.first);
		goto out;
	}
	if (rc && rc != -ENOENT)
		goto out;
	rc = store_meta_alloc(&tx, "next_oid", batch, first);
	if (rc)
		goto out;
	*count = batch;
	p = (struct pool_rec){ .first = *first, .next = *first,
			       .end = *first + batch };
	rc = pool_put(&tx, idx, &p);
out:
	if (rc == 1) {
		store_tx_end(&tx, -EAGAIN);	/* nothing to write */
		return 1;
	}
	return store_tx_end(&tx, rc);
}

int mds_pool_confirm(struct mds_store *s, uint32_t idx, uint64_t first)
{
	struct pool_rec p;
	struct tx tx;
	int rc = store_tx_begin(s, &tx, true);

	if (rc)
		return rc;
	rc = pool_get(&tx, idx, &p);
	if (!rc && p.first == first && !p.confirmed) {
		p.confirmed = 1;
		rc = pool_put(&tx, idx, &p);
	}
	return store_tx_end(&tx, rc == -ENOENT ? 0 : rc);
}

void mds_store_set_refill(struct mds_store *s,
			  int (*fn)(void *arg, uint32_t ost_idx), void *arg)
{
	s->refill = fn;
	s->refill_arg = arg;
}

/* ---- layout allocation ---- */

/* does a request layout set anything?  (a zeroed one does not) */
static bool layout_given(const struct mds_layout *l)
{
	return l->pattern || l->stripe_size || l->stripe_count || l->nobjs ||
	       (l->stripe_offset != 0 && l->stripe_offset != TESS_OST_ANY);
}

static int ost_pos(const struct mds_store *s, uint32_t idx)
{
	uint32_t lo = 0, hi = s->nosts;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (s->ost_tab[mid].index == idx)
			return (int)mid;
		if (s->ost_tab[mid].index < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mark down every up OST not heard from for ost_expire_ms; ost_lock held */
static void ost_expire(struct mds_store *s)
{
	int64_t now;
	uint32_t i;

	if (!s->ost_expire_ms)
		return;
	now = mono_ms();
	for (i = 0; i < s->nosts; i++) {
		struct mds_ost *e = &s->ost_tab[i];

		if (e->state != TESS_OST_UP ||
		    now - e->heard_ms <= (int64_t)s->ost_expire_ms)
			continue;
		e->state = TESS_OST_DOWN;
		tlog("OST %u at %s marked down: not heard from for %.1f s "
		     "(no new stripes on it)", e->index, e->addr,
		     (double)(now - e->heard_ms) / 1000);
	}
}

void mds_ost_set_expiry(struct mds_store *s, uint32_t expire_ms)
{
	pthread_mutex_lock(&s->ost_lock);
	s->ost_expire_ms = expire_ms;
	pthread_mutex_unlock(&s->ost_lock);
}

/*
 * Fill out with a new layout: fields of req (a request, may be NULL), else
 * of the directory default dflt, else the fs defaults; objects on OSTs
 * chosen round-robin among the up ones (all registered if none is up), or
 * from stripe_offset (the up OSTs from that index on, as Lustre skips
 * inactive OSTs), or the OSTs req names.  A stripe count larger than the
 * OSTs up is cut to their number.
 */
/* an OST new stripes may go to (ost_lock held) */
static bool usable(const struct tx *tx, const struct mds_ost *e, bool up_only)
{
	if (tx->alloc && tx->alloc->skip[e->index])
		return false;
	return !up_only || e->state == TESS_OST_UP;
}

/* the objects of out: precreated ones when the store precreates */
static int layout_oids(struct tx *tx, struct mds_layout *out)
{
	uint64_t oid;
	uint32_t i;
	int rc;

	if (!tx->s->refill || !tx->alloc) {
		rc = store_meta_alloc(tx, "next_oid", out->nobjs, &oid);
		for (i = 0; !rc && i < out->nobjs; i++)
			out->objs[i].oid = oid + i;
		return rc;
	}
	for (i = 0; i < out->nobjs; i++) {
		rc = pool_take(tx, out->objs[i].ost_idx, &out->objs[i].oid);
		if (rc == -EAGAIN)
			tx->alloc->refill = (int32_t)out->objs[i].ost_idx;
		if (rc)
			return rc;
	}
	return 0;
}

int store_layout_alloc(struct tx *tx, const struct mds_layout *req,
		       const struct mds_layout *dflt, uint32_t gen,
		       struct mds_layout *out)
{
	struct mds_store *s = tx->s;
	static const struct mds_layout none;
	uint32_t cand[TESS_MAX_OSTS], n = 0, i, j, count, size, start;
	uint16_t off;
	int rc = 0;

	if (!req)
		req = &none;
	if (!dflt)
		dflt = &none;
	size = req->stripe_size ? req->stripe_size :
	       dflt->stripe_size ? dflt->stripe_size : s->def_size;
	count = req->stripe_count ? req->stripe_count :
		dflt->stripe_count ? dflt->stripe_count : s->def_count;
	if (layout_given(req))
		off = req->stripe_offset;
	else if (dflt->pattern)
		off = dflt->stripe_offset;
	else
		off = TESS_OST_ANY;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	if (req->nobjs) {
		int p;

		/* an explicit list of OSTs (object ids are ours to pick) */
		for (i = 0; i < req->nobjs && !rc; i++) {
			p = ost_pos(s, req->objs[i].ost_idx);
			if (p < 0)
				rc = -EINVAL;
			else if (!usable(tx, &s->ost_tab[p], false))
				rc = -EIO;	/* cannot precreate there */
			for (j = 0; j < i; j++)
				if (req->objs[j].ost_idx == req->objs[i].ost_idx)
					rc = -EINVAL;
			cand[n++] = req->objs[i].ost_idx;
		}
		start = 0;
	} else if (off != TESS_OST_ANY) {
		int p = ost_pos(s, off);
		uint32_t k;

		/* from OST off on, wrapping, the up ones (all if none is) */
		for (i = 0; p >= 0 && i < s->nosts; i++) {
			k = ((uint32_t)p + i) % s->nosts;
			if (usable(tx, &s->ost_tab[k], true))
				cand[n++] = s->ost_tab[k].index;
		}
		for (i = 0; p >= 0 && !n && i < s->nosts; i++) {
			k = ((uint32_t)p + i) % s->nosts;
			if (usable(tx, &s->ost_tab[k], false))
				cand[n++] = s->ost_tab[k].index;
		}
		if (p < 0)
			rc = -EINVAL;
		start = 0;
	} else {
		for (i = 0; i < s->nosts; i++)
			if (usable(tx, &s->ost_tab[i], true))
				cand[n++] = s->ost_tab[i].index;
		if (!n)
			for (i = 0; i < s->nosts; i++)
				if (usable(tx, &s->ost_tab[i], false))
					cand[n++] = s->ost_tab[i].index;
		start = n ? (uint32_t)(s->rr++ % n) : 0;
	}
	pthread_mutex_unlock(&s->ost_lock);
	if (rc)
		return rc;
	/*
	 * None registered: ENOSPC.  None can precreate now (all away, their
	 * pools empty, as right after an MDS restart before the OSTs are
	 * back): EAGAIN, nothing made; a client tries again, a hard mount
	 * for as long as the OSTs are away.
	 */
	if (!n)
		return s->nosts && tx->alloc ? -EAGAIN : -ENOSPC;
	if (count > n)
		count = n;
	if (count > TESS_MAX_STRIPES)
		count = TESS_MAX_STRIPES;
	out->pattern = TESS_LAYOUT_RAID0;
	out->stripe_size = size;
	out->stripe_count = (uint16_t)count;
	out->gen = gen;
	out->nobjs = count;
	for (i = 0; i < count; i++)
		out->objs[i].ost_idx = cand[(start + i) % n];
	out->stripe_offset = (uint16_t)out->objs[0].ost_idx;
	return layout_oids(tx, out);
}

/*
 * Run op (a create or set_layout attempt) until its layout finds the
 * precreated objects it needs: a pool that ran dry is refilled (the
 * OST creates them) and the attempt made again; an OST that cannot
 * precreate is skipped, as a down one is.
 */
int store_with_objects(struct mds_store *s, int (*op)(void *arg,
		       struct alloc *a), void *arg)
{
	struct alloc *a = calloc(1, sizeof(*a));
	int rc, tries;

	if (!a)
		return -ENOMEM;
	for (tries = 0; ; tries++) {
		a->refill = -1;
		rc = op(arg, a);
		if (rc != -EAGAIN || a->refill < 0 || !s->refill)
			break;
		if (tries > 2 * TESS_MAX_STRIPES) {
			rc = -EIO;
			break;
		}
		if (s->refill(s->refill_arg, (uint32_t)a->refill))
			a->skip[a->refill] = true;
	}
	free(a);
	return rc;
}

/* ---- layouts ---- */

int mds_get_layout(struct mds_store *s, uint64_t ino, struct mds_layout *lo)
{
	return mds_getattr(s, ino, NULL, lo);
}

struct set_layout_args {
	struct mds_store *s;
	uint64_t ino;
	const struct mds_layout *req;
	struct mds_layout *out;
};

static int set_layout_once(void *arg, struct alloc *al)
{
	struct set_layout_args *x = arg;
	struct mds_store *s = x->s;
	uint64_t ino = x->ino;
	const struct mds_layout *req = x->req;
	struct mds_layout *out = x->out;
	struct tx tx;
	struct inode in;
	struct mds_layout old;
	int rc;

	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	tx.alloc = al;
	rc = store_ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	if (S_ISDIR(in.r.attr.mode)) {
		memset(&in.lo, 0, offsetof(struct mds_layout, objs));
		if (layout_given(req)) {
			if (req->nobjs) {
				/* a directory default names no objects */
				rc = -EINVAL;
				goto out;
			}
			in.lo.pattern = TESS_LAYOUT_RAID0;
			in.lo.stripe_size = req->stripe_size;
			in.lo.stripe_count = req->stripe_count;
			in.lo.stripe_offset = req->stripe_offset;
		}
	} else if (S_ISREG(in.r.attr.mode)) {
		if (in.r.attr.nlink == 0) {	/* an orphan: no new objects */
			rc = -ENOENT;
			goto out;
		}
		if (in.r.attr.size) {
			rc = -EBUSY;
			goto out;
		}
		store_layout_copy(&old, &in.lo);
		rc = store_layout_alloc(&tx, req, NULL, old.gen + 1, &in.lo);
		if (!rc)
			rc = store_orphan_add(&tx, ino, &old);
		if (rc)
			goto out;
		in.r.attr.data_version++;
	} else {
		rc = -EINVAL;
		goto out;
	}
	store_touch_ctime(&in.r.attr);
	rc = store_ino_put(&tx, &in);
	if (!rc && out)
		store_layout_copy(out, &in.lo);
out:
	return store_tx_end(&tx, rc);
}

int mds_set_layout(struct mds_store *s, uint64_t ino,
		   const struct mds_layout *req, struct mds_layout *out)
{
	struct set_layout_args x = { s, ino, req, out };

	return store_with_objects(s, set_layout_once, &x);
}

/* ---- OSTs ---- */

static bool uuid_zero(const uint8_t u[16])
{
	static const uint8_t zero[16];

	return !memcmp(u, zero, 16);
}

int mds_ost_register(struct mds_store *s, uint32_t index, const char *addr,
		     const uint8_t uuid[16], bool replace)
{
	struct tx tx;
	struct ost_val ov;
	struct mds_ost *e;
	uint32_t k = htobe32(index), i;
	uint8_t pk[POOL_KEY_LEN];
	size_t alen = addr ? strlen(addr) : 0;
	int p, rc;

	if (index >= TESS_MAX_OSTS || alen == 0 || alen > TESS_ADDR_MAX)
		return -EINVAL;
	memset(&ov, 0, sizeof(ov));
	memcpy(ov.addr, addr, alen);
	memcpy(ov.uuid, uuid, 16);
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	/*
	 * lock order: LMDB writer lock, then ost_lock (as in
	 * store_layout_alloc)
	 */
	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	p = ost_pos(s, index);
	if (p >= 0 && memcmp(s->ost_tab[p].uuid, uuid, 16) &&
	    !uuid_zero(s->ost_tab[p].uuid)) {
		/* another store: its objects are not the ones layouts name */
		if (!replace) {
			pthread_mutex_unlock(&s->ost_lock);
			rc = -EEXIST;
			goto out;
		}
		/* the pool was precreated on the old store */
		pool_key(pk, index);
		rc = store_db_del(&tx, s->meta, pk, sizeof(pk));
		if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc)
		rc = store_db_put(&tx, s->osts, &k, 4, &ov, sizeof(ov), 0);
	if (!rc) {
		rc = mdb_txn_commit(tx.t);
		store_note_write(s, rc);
		rc = store_mdb_err(rc, "commit");
	} else {
		mdb_txn_abort(tx.t);
	}
	tx.t = NULL;
	if (!rc) {
		if (p < 0) {
			for (i = s->nosts; i > 0 && s->ost_tab[i - 1].index > index;
			     i--)
				s->ost_tab[i] = s->ost_tab[i - 1];
			p = (int)i;
			s->nosts++;
		}
		e = &s->ost_tab[p];
		e->index = index;
		e->state = TESS_OST_UP;
		e->heard_ms = mono_ms();
		memcpy(e->addr, ov.addr, sizeof(e->addr));
		memcpy(e->uuid, uuid, 16);
	}
	pthread_mutex_unlock(&s->ost_lock);
	pthread_rwlock_unlock(&s->gate);
	return rc;
out:
	return store_tx_end(&tx, rc);
}

uint32_t mds_ost_set_state(struct mds_store *s, uint32_t index,
			   uint32_t state)
{
	uint32_t old = 0;
	int p;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	p = ost_pos(s, index);
	if (p >= 0) {
		old = s->ost_tab[p].state;
		s->ost_tab[p].state = state;
		if (state == TESS_OST_UP)
			s->ost_tab[p].heard_ms = mono_ms();
	}
	pthread_mutex_unlock(&s->ost_lock);
	return old;
}

/*
 * The stripe count store_layout_alloc gives now to a file made with no
 * layout in a directory without one: the fs default, cut as it cuts it to
 * the OSTs up (all registered if none is) and to TESS_MAX_STRIPES.  With
 * no OST registered (such a create fails ENOSPC) the default so cut.
 */
uint32_t mds_store_new_count(struct mds_store *s)
{
	uint32_t count = s->def_count, up = 0, i;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	for (i = 0; i < s->nosts; i++)
		if (s->ost_tab[i].state == TESS_OST_UP)
			up++;
	if (!up)
		up = s->nosts;
	pthread_mutex_unlock(&s->ost_lock);
	if (up && count > up)
		count = up;
	if (count > TESS_MAX_STRIPES)
		count = TESS_MAX_STRIPES;
	return count;
}

uint32_t mds_ost_list(struct mds_store *s, struct mds_ost *out, uint32_t max)
{
	uint32_t n;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	n = s->nosts < max ? s->nosts : max;
	memcpy(out, s->ost_tab, n * sizeof(*out));
	pthread_mutex_unlock(&s->ost_lock);
	return n;
}

int mds_ost_get(struct mds_store *s, uint32_t index, struct mds_ost *out)
{
	int p;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	p = ost_pos(s, index);
	if (p >= 0)
		*out = s->ost_tab[p];
	pthread_mutex_unlock(&s->ost_lock);
	return p >= 0 ? 0 : -ENOENT;
}

/* ---- object owners (OBJ_SCAN, tessctl check) ---- */

/* cookie: phase (files, orphans, pools, done) in the top 2 bits, then
 * the first key of that phase still to scan */
#define SCAN_FILES	0
#define SCAN_ORPHANS	1
#define SCAN_POOLS	2
#define SCAN_DONE	3
#define SCAN_KEY_MASK	((1ULL << 62) - 1)

struct scan {
	struct mds_owner *out;
	uint32_t max, n;
	uint64_t cookie;		/* where the page stopped */
};

/* the objects of layout l, all or none; false: the page is full */
static bool scan_layout(struct scan *sc, uint64_t ino, uint32_t kind,
			const struct mds_layout *l)
{
	if (sc->n + l->nobjs > sc->max)
		return false;
	for (uint32_t i = 0; i < l->nobjs; i++)
		sc->out[sc->n++] = (struct mds_owner){
			.ino = ino, .oid = l->objs[i].oid,
			.ost_idx = l->objs[i].ost_idx, .kind = kind,
			.count = 1 };
	return true;
}

/* one phase from key on: 0 done, 1 page full (sc->cookie set), -errno */
static int scan_phase(struct tx *tx, struct scan *sc, unsigned phase,
		      uint64_t key, struct inode *in)
{
	MDB_dbi dbi = phase == SCAN_FILES ? tx->s->inodes :
		      phase == SCAN_ORPHANS ? tx->s->orphans : tx->s->meta;
	uint8_t k[POOL_KEY_LEN > 8 ? POOL_KEY_LEN : 8];
	MDB_val mk = { 8, k }, v;
	MDB_cursor *cur;
	int rc, full = 0;

	if (phase == SCAN_POOLS) {
		pool_key(k, (uint32_t)key);
		mk.mv_size = POOL_KEY_LEN;
	} else {
		store_put_be64(k, key);
	}
	rc = mdb_cursor_open(tx->t, dbi, &cur);
	if (rc)
		return store_mdb_err(rc, "cursor");
	for (rc = mdb_cursor_get(cur, &mk, &v, MDB_SET_RANGE); !rc && !full;
	     rc = mdb_cursor_get(cur, &mk, &v, MDB_NEXT)) {
		uint64_t id = mk.mv_size == 8 ? store_get_be64(mk.mv_data) : 0;
		struct pool_rec p;
		uint32_t idx;

		if (phase == SCAN_FILES) {
			if (mk.mv_size != 8 || store_ino_decode(v, id, in) ||
			    !S_ISREG(in->r.attr.mode) || !in->r.attr.nlink)
				continue;
			full = !scan_layout(sc, id, TESS_OWN_FILE, &in->lo);
		} else if (phase == SCAN_ORPHANS) {
			uint64_t ino;

			if (mk.mv_size != 8 || v.mv_size < 8 ||
			    store_layout_raw_decode(
					(const uint8_t *)v.mv_data + 8,
					(uint32_t)v.mv_size - 8, &in->lo))
				continue;
			memcpy(&ino, v.mv_data, 8);
			full = !scan_layout(sc, ino, TESS_OWN_ORPHAN, &in->lo);
		} else {
			if (mk.mv_size != POOL_KEY_LEN ||
			    memcmp(mk.mv_data, POOL_PFX, sizeof(POOL_PFX) - 1))
				break;	/* past the pools */
			memcpy(&idx, (uint8_t *)mk.mv_data + POOL_KEY_LEN - 4, 4);
			idx = be32toh(idx);
			id = idx;
			if (v.mv_size != sizeof(p))
				continue;
			memcpy(&p, v.mv_data, sizeof(p));
			if (p.next >= p.end)
				continue;
			full = sc->n == sc->max;
			if (!full)
				sc->out[sc->n++] = (struct mds_owner){
					.oid = p.next, .ost_idx = idx,
					.kind = TESS_OWN_FREE,
					.count = (uint32_t)(p.end - p.next) };
		}
		if (full)
			sc->cookie = ((uint64_t)phase << 62) | (id & SCAN_KEY_MASK);
	}
	mdb_cursor_close(cur);
	if (full)
		return 1;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : store_mdb_err(rc, "scan");
}

int mds_obj_scan(struct mds_store *s, uint64_t *cookie, struct mds_owner *out,
		 uint32_t max, uint32_t *n, bool *eof)
{
	struct scan sc = { .out = out, .max = max };
	unsigned phase = (unsigned)(*cookie >> 62);
	uint64_t key = *cookie & SCAN_KEY_MASK;
	struct inode *in = malloc(sizeof(*in));
	struct tx tx;
	int rc;

	*n = 0;
	*eof = false;
	if (!in)
		return -ENOMEM;
	rc = store_tx_begin(s, &tx, false);
	if (rc) {
		free(in);
		return rc;
	}
	for (; phase < SCAN_DONE; phase++, key = 0) {
		rc = scan_phase(&tx, &sc, phase, key, in);
		if (rc)
			break;
	}
	store_tx_end(&tx, 0);
	free(in);
	if (rc < 0)
		return rc;
	*n = sc.n;
	*eof = rc == 0;
	*cookie = rc == 1 ? sc.cookie : (uint64_t)SCAN_DONE << 62;
	return 0;
}
