// SPDX-License-Identifier: MIT
/*
 * hsm_state.c - an object's HSM state, set and read:
 * OBJ_HSM_SET (stub, archived, release, remove, pin), the bounded cache's
 * release (ost_hsm_evict) and OBJ_HSM_GET.
 *
 * Part of the OST's HSM (hsm.h); the locking and the invariants are
 * described at the top of hsm.c, what the files share in hsm_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "hsm_int.h"

/* ---- OBJ_HSM_SET ---- */

/*
 * o is busy (ours): wait until no fetch, claim, read or write of it is in
 * flight (bounded: -EBUSY).  New accesses wait for busy meanwhile.
 */
static int drain(struct ost_hsm *h, struct hobj *o)
{
	struct timespec dl;

	deadline_ts(&dl, h->wait_ms);
	while (o->runs || o->inflight)
		if (!hsm_wait_until(h, &dl))
			return -EBUSY;
	return 0;
}

/*
 * The object's data gone, durably, at its full size: punched (RELEASE:
 * the file keeps its blocks' layout) or truncated to nothing and back
 * (STUB: no data of an older origin survives).  Sparse either way.
 */
static int obj_drop_data(struct ost_hsm *h, uint64_t oid, uint64_t size,
			 bool punch)
{
	int fd = hsm_obj_fd(h, oid), rc = 0;

	if (fd < 0)
		return fd;
	if (punch) {
		if (size && fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				      FALLOC_FL_KEEP_SIZE, 0, (off_t)size))
			rc = -errno;
	} else if (ftruncate(fd, 0) || ftruncate(fd, (off_t)size)) {
		rc = -errno;
	}
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

/* PIN, UNPIN: the sidecar's flag, durable before the reply */
static int set_pin(struct ost_hsm *h, uint64_t oid, bool pin)
{
	struct hobj *o;
	uint32_t old;
	bool mine = false;
	char eb[128];
	int rc;

	pthread_mutex_lock(&h->lock);
	o = hsm_hobj_get(h, oid, false, &rc);
	if (!o) {
		pthread_mutex_unlock(&h->lock);
		return rc ? rc : -ENODATA;
	}
	rc = hsm_wait_not_busy(h, o);
	if (!rc && !o->loaded)
		rc = -ENODATA;
	old = o->h.flags;
	if (!rc && pin != !!(old & SC_F_PINNED)) {
		o->h.flags = pin ? old | SC_F_PINNED : old & ~SC_F_PINNED;
		rc = hsm_hdr_write(h, o);
		if (rc)
			o->h.flags = old;
		else
			o->busy = mine = true;	/* scfd stays while synced */
	}
	pthread_mutex_unlock(&h->lock);
	if (mine && fdatasync(o->scfd))
		rc = -errno;
	pthread_mutex_lock(&h->lock);
	if (mine) {
		o->busy = false;
		pthread_cond_broadcast(&h->cond);
	}
	hsm_hobj_put(h, o);
	pthread_mutex_unlock(&h->lock);
	if (rc && rc != -ENODATA)
		tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": cannot %s it: %s",
			   oid, pin ? "pin" : "unpin", estr(rc, eb, sizeof(eb)));
	else if (!rc)
		tlog("hsm: oid %#" PRIx64 ": %s", oid, pin ? "pinned (never "
		     "released)" : "unpinned");
	return rc;
}

int ost_hsm_set(struct ost_hsm *h, const void *body, uint32_t len)
{
	struct tess_obj_hsm_set_req r;
	const char *str = (const char *)body + sizeof(r);
	struct sc_hdr hd;
	struct sc_loc loc;
	struct tess_stripe_geom g;
	struct hobj *o;
	uint8_t *bm = NULL;
	uint64_t oid;
	uint32_t mode;
	int rc = 0, fd = -1;
	char eb[128];

	(void)len;
	memcpy(&r, body, sizeof(r));
	oid = le64_to_cpu(r.oid);
	mode = le32_to_cpu(r.mode);
	if (!oid)
		return -EINVAL;
	if (mode == TESS_OHSM_PIN || mode == TESS_OHSM_UNPIN)
		return set_pin(h, oid, mode == TESS_OHSM_PIN);
	memset(&hd, 0, sizeof(hd));
	memset(&loc, 0, sizeof(loc));
	if (mode == TESS_OHSM_STUB || mode == TESS_OHSM_ARCHIVED) {
		uint16_t bl = le16_to_cpu(r.bucket_len);
		uint16_t kl = le16_to_cpu(r.key_len);
		uint16_t el = le16_to_cpu(r.etag_len);

		memcpy(hd.magic, SC_MAGIC, 8);
		hd.ino = le64_to_cpu(r.ino);
		hd.file_size = le64_to_cpu(r.file_size);
		hd.stripe = le32_to_cpu(r.stripe);
		hd.stripe_size = le32_to_cpu(r.stripe_size);
		hd.stripe_count = le16_to_cpu(r.stripe_count);
		g.stripe_size = hd.stripe_size;
		g.stripe_count = hd.stripe_count;
		hd.obj_size = tess_stripe_obj_size(&g, hd.stripe, hd.file_size);
		hd.chunk_size = chunk_size_for(hd.stripe_size);
		hd.nchunks = (uint32_t)((hd.obj_size + hd.chunk_size - 1) /
					hd.chunk_size);
		if (bm_bytes(hd.nchunks) > TESS_HSM_BITMAP_MAX * 16ULL)
			return -EFBIG;
		memcpy(hd.bucket, str, bl);
		memcpy(hd.key, str + bl, kl);
		memcpy(hd.etag, str + bl + kl, el);
		/* the location, checked by tess_msg_check (tess_wire.c) */
		memcpy(loc.endpoint, str + bl + kl + el,
		       le16_to_cpu(r.endpoint_len));
		memcpy(loc.region, str + bl + kl + el +
		       le16_to_cpu(r.endpoint_len), r.region_len);
		loc.flags = r.loc_flags;
		bm = calloc(1, bm_bytes(hd.nchunks) + 1);
		if (!bm)
			return -ENOMEM;
		if (mode == TESS_OHSM_ARCHIVED)
			memset(bm, 0xff, bm_bytes(hd.nchunks));
		if (mode == TESS_OHSM_ARCHIVED && hd.nchunks % 8)
			bm[hd.nchunks / 8] = (uint8_t)((1u << (hd.nchunks % 8)) - 1);
	}

	pthread_mutex_lock(&h->lock);
	o = hsm_hobj_get(h, oid, mode == TESS_OHSM_STUB ||
			 mode == TESS_OHSM_ARCHIVED, &rc);
	if (!o) {
		pthread_mutex_unlock(&h->lock);
		free(bm);
		if (rc)
			return rc;	/* corrupt sidecar (logged) */
		return mode == TESS_OHSM_REMOVE ? 0 : -ENODATA;
	}
	rc = hsm_wait_not_busy(h, o);
	if (!rc) {
		/* ours: new accesses wait; those in flight end first */
		o->busy = true;
		rc = drain(h, o);
		if (rc)
			tlog("hsm: oid %#" PRIx64 ": hsm_set mode %u: reads or "
			     "writes still in flight after %d s; EBUSY", oid,
			     mode, h->wait_ms / 1000);
	}
	if (!rc && !o->loaded && (mode == TESS_OHSM_RELEASE ||
				  mode == TESS_OHSM_REMOVE))
		rc = mode == TESS_OHSM_REMOVE ? 1 : -ENODATA;
	if (!rc && mode == TESS_OHSM_RELEASE && (o->h.flags & SC_F_DIRTY))
		rc = -EBUSY;		/* written since: archive it first */
	if (!rc && mode == TESS_OHSM_RELEASE && (o->h.flags & SC_F_PINNED))
		rc = -EPERM;		/* pinned: unpin it first */
	if (!rc && mode == TESS_OHSM_ARCHIVED && o->loaded &&
	    o->h.dirty_gen != le64_to_cpu(r.dirty_gen)) {
		tlog("hsm: oid %#" PRIx64 ": archived at write generation "
		     "%" PRIu64 ", now %" PRIu64 ": written meanwhile", oid,
		     (uint64_t)le64_to_cpu(r.dirty_gen), o->h.dirty_gen);
		rc = -EAGAIN;		/* written while being archived */
	}
	if (rc) {
		if (o->busy) {
			o->busy = false;
			pthread_cond_broadcast(&h->cond);
		}
		hsm_hobj_put(h, o);
		pthread_mutex_unlock(&h->lock);
		free(bm);
		return rc > 0 ? 0 : rc;
	}
	if (mode == TESS_OHSM_ARCHIVED)
		hd.dirty_gen = o->loaded ? o->h.dirty_gen : 0;
	/* a pin outlives re-import and archive */
	if ((mode == TESS_OHSM_STUB || mode == TESS_OHSM_ARCHIVED) &&
	    o->loaded)
		hd.flags |= o->h.flags & SC_F_PINNED;
	if (mode == TESS_OHSM_RELEASE) {
		hd = o->h;
		loc = o->loc;
		hd.flags &= ~SC_F_DIRTY;
	}
	/*
	 * Version 2 only with a location (older OSTs read the others); the
	 * header rewritten in place later (dirty, pin) keeps this magic.
	 */
	memcpy(hd.magic, loc_set(&loc) ? SC_MAGIC2 : SC_MAGIC, 8);
	pthread_mutex_unlock(&h->lock);

	/*
	 * The new sidecar is durable before the data changes, so that at any
	 * crash point no sidecar says "present" over data that is gone: a
	 * sidecar that says "absent" over data still there costs a refetch.
	 */
	switch (mode) {
	case TESS_OHSM_STUB:
		rc = hsm_sc_create(h, oid, &hd, bm, &loc, &fd);
		if (!rc)
			rc = obj_drop_data(h, oid, hd.obj_size, false);
		break;
	case TESS_OHSM_ARCHIVED:
		/* every chunk present: what the archive read is stable */
		rc = hsm_obj_sync(h, oid);
		if (rc == -ENOENT)
			rc = 0;		/* never written: holes */
		if (!rc)
			rc = hsm_sc_create(h, oid, &hd, bm, &loc, &fd);
		break;
	case TESS_OHSM_RELEASE:
		bm = calloc(1, bm_bytes(hd.nchunks) + 1);
		rc = bm ? hsm_sc_create(h, oid, &hd, bm, &loc, &fd) : -ENOMEM;
		if (!rc)
			rc = obj_drop_data(h, oid, hd.obj_size, true);
		break;
	case TESS_OHSM_REMOVE: {
		char path[48];

		hsm_sc_path(oid, path, false);
		if (unlinkat(h->root, path, 0) && errno != ENOENT)
			rc = -errno;
		break;
	}
	}
	if (rc)
		tlog("hsm: oid %#" PRIx64 ": hsm_set mode %u: %s%s", oid, mode,
		     estr(rc, eb, sizeof(eb)), fd >= 0 ? " (after the new "
		     "sidecar was written: it holds)" : "");

	pthread_mutex_lock(&h->lock);
	if (!rc && mode == TESS_OHSM_REMOVE) {
		o->loaded = false;
		hsm_unhash(h, o);
		hsm_cache_forget(h->cache, oid);
	} else if (fd >= 0) {
		/* the new sidecar is on disk: memory follows, even on error */
		hsm_hobj_adopt(o, fd, &hd, &loc, bm);
		bm = NULL;
		/* imported or re-archived: the MDS is told by the tool */
		o->complete_sent = mode == TESS_OHSM_ARCHIVED ||
				   hd.nchunks == 0;
	} else if (!o->loaded) {
		hsm_unhash(h, o);
	}
	o->busy = false;
	pthread_cond_broadcast(&h->cond);
	hsm_hobj_put(h, o);
	pthread_mutex_unlock(&h->lock);
	free(bm);
	return rc;
}

/* ---- the bounded cache's release (hsm_cache.c) ---- */

/* why o's data may not be released now (lock held): 0 or -errno */
static int evictable(const struct hobj *o)
{
	if (!o->loaded || !o->npresent)
		return -ENODATA;
	if (o->h.flags & (SC_F_DIRTY | SC_F_PINNED))
		return -EPERM;		/* user data, or kept on purpose */
	if (o->busy || o->runs || o->inflight)
		return -EBUSY;
	return 0;
}

/* punch o's data (busy: ours; no lock held): 0 or -errno */
static int punch_obj(struct ost_hsm *h, const struct hobj *o)
{
	int fd = hsm_obj_fd(h, o->oid), rc = 0;

	if (fd < 0)
		return fd;
	if (o->h.obj_size && fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				       FALLOC_FL_KEEP_SIZE, 0,
				       (off_t)o->h.obj_size))
		rc = -errno;
	close(fd);
	return rc;
}

int ost_hsm_evict(struct ost_hsm *h, uint64_t oid, uint64_t *freed)
{
	struct note n = { 0 };
	struct hobj *o;
	uint8_t *old = NULL;
	uint64_t bytes = 0;
	uint32_t stripe;
	size_t nb;
	char eb[128];
	int rc, prc = 0;

	*freed = 0;
	pthread_mutex_lock(&h->lock);
	o = hsm_hobj_get(h, oid, false, &rc);
	if (!o) {
		pthread_mutex_unlock(&h->lock);
		return rc ? rc : -ENODATA;
	}
	rc = evictable(o);
	nb = rc ? 0 : bm_bytes(o->h.nchunks);
	if (!rc) {
		old = malloc(nb);
		rc = old ? 0 : -ENOMEM;
	}
	if (rc) {
		hsm_hobj_put(h, o);
		pthread_mutex_unlock(&h->lock);
		return rc;
	}
	/* absent on disk before the data goes: never "present" over a hole */
	o->busy = true;
	n.ino = o->h.ino;
	stripe = o->h.stripe;
	memcpy(old, o->bm, nb);
	for (uint32_t c = 0; c < o->h.nchunks; c++)
		if (bit(o, c))
			bytes += chunk_len(&o->h, c);
	memset(o->bm, 0, nb);
	o->npresent = 0;
	rc = hsm_bm_write(h, o, 0, o->h.nchunks);
	pthread_mutex_unlock(&h->lock);
	if (!rc && fdatasync(o->scfd))
		rc = -errno;
	if (!rc)
		prc = punch_obj(h, o);	/* failing: absent over data, refetched */
	pthread_mutex_lock(&h->lock);
	if (rc) {
		/* the data is still there: memory keeps saying so */
		memcpy(o->bm, old, nb);
		for (uint32_t c = 0; c < o->h.nchunks; c++)
			if (bit(o, c))
				o->npresent++;
		hsm_bm_write(h, o, 0, o->h.nchunks);
	} else {
		h->evictions++;
		h->bytes_evicted += bytes;
		*freed = bytes;
		o->complete_sent = false;
		o->ra_win = 0;
		n.valid = TESS_HSMS_STATE | TESS_HSMS_UNPRESENT;
		n.set = TESS_HSM_RELEASED;
		hsm_notify(h, &n);
	}
	o->busy = false;
	pthread_cond_broadcast(&h->cond);
	hsm_hobj_put(h, o);
	pthread_mutex_unlock(&h->lock);
	free(old);
	if (rc || prc)
		tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": releasing restored "
			   "data to make room: %s: %s", oid, rc ? "sidecar" :
			   "punch", estr(rc ? rc : prc, eb, sizeof(eb)));
	else
		tlog_level(LOG_DEBUG, "hsm: oid %#" PRIx64 " (ino %" PRIu64
			   " stripe %u): evicted %" PRIu64 " restored bytes "
			   "(least recently read)", oid, n.ino, stripe, bytes);
	return rc ? -EIO : 0;
}

/* ---- OBJ_HSM_GET ---- */

int ost_hsm_get(struct ost_hsm *h, const void *body, uint32_t len, bool loc,
		struct tess_buf *b)
{
	struct tess_obj_hsm_get_req q;
	struct tess_obj_hsm_rep *r;
	struct hobj *o;
	uint64_t oid;
	uint32_t max;
	int rc = 0;

	(void)len;
	memcpy(&q, body, sizeof(q));
	oid = le64_to_cpu(q.oid);
	max = le32_to_cpu(q.bitmap_max);
	r = tess_buf_reserve(b, sizeof(*r));
	if (!r)
		return -EMSGSIZE;
	pthread_mutex_lock(&h->lock);
	r->ost_bytes_fetched = cpu_to_le64(h->bytes_fetched);
	r->ost_fetches = cpu_to_le64(h->fetches);
	r->ost_fetch_errors = cpu_to_le64(h->fetch_errors);
	r->ost_evictions = cpu_to_le64(h->evictions);
	r->ost_bytes_evicted = cpu_to_le64(h->bytes_evicted);
	o = oid ? hsm_hobj_get(h, oid, false, &rc) : NULL;
	if (!o && rc) {
		pthread_mutex_unlock(&h->lock);
		return rc;		/* corrupt sidecar (logged) */
	}
	if (o && o->loaded) {
		const struct sc_hdr *hd = &o->h;
		uint64_t present = 0;
		size_t nb = bm_bytes(hd->nchunks);
		uint32_t bl = (uint32_t)strlen(hd->bucket);
		uint32_t kl = (uint32_t)strlen(hd->key);
		uint32_t el = (uint32_t)strlen(hd->etag);
		uint32_t flags = TESS_OHSM_F_HSM;

		for (uint32_t c = 0; c < hd->nchunks; c++)
			if (bit(o, c))
				present += chunk_len(hd, c);
		if (hd->flags & SC_F_DIRTY)
			flags |= TESS_OHSM_F_DIRTY;
		if (hd->flags & SC_F_PINNED)
			flags |= TESS_OHSM_F_PINNED;
		if (nb > max) {
			nb = max;
			flags |= TESS_OHSM_F_BITMAP_CUT;
		}
		r->ino = cpu_to_le64(hd->ino);
		r->file_size = cpu_to_le64(hd->file_size);
		r->obj_size = cpu_to_le64(hd->obj_size);
		r->bytes_present = cpu_to_le64(present);
		r->dirty_gen = cpu_to_le64(hd->dirty_gen);
		r->flags = cpu_to_le32(flags);
		r->stripe = cpu_to_le32(hd->stripe);
		r->stripe_size = cpu_to_le32(hd->stripe_size);
		r->chunk_size = cpu_to_le32(hd->chunk_size);
		r->nchunks = cpu_to_le32(hd->nchunks);
		r->npresent = cpu_to_le32(o->npresent);
		r->stripe_count = cpu_to_le16((uint16_t)hd->stripe_count);
		r->bucket_len = cpu_to_le16((uint16_t)bl);
		r->key_len = cpu_to_le16((uint16_t)kl);
		r->etag_len = cpu_to_le16((uint16_t)el);
		r->bitmap_len = cpu_to_le32((uint32_t)nb);
		tess_buf_put(b, hd->bucket, bl);
		tess_buf_put(b, hd->key, kl);
		tess_buf_put(b, hd->etag, el);
		tess_buf_put(b, o->bm, (uint32_t)nb);
		if (loc && loc_set(&o->loc)) {
			/* checked when loaded (sc_loc_invalid) or set */
			uint32_t epl = (uint32_t)strlen(o->loc.endpoint);
			uint32_t rl = (uint32_t)strlen(o->loc.region);

			r->endpoint_len = cpu_to_le16((uint16_t)epl);
			r->region_len = (uint8_t)rl;
			r->loc_flags = (uint8_t)o->loc.flags;
			tess_buf_put(b, o->loc.endpoint, epl);
			tess_buf_put(b, o->loc.region, rl);
		}
	}
	if (o)
		hsm_hobj_put(h, o);
	pthread_mutex_unlock(&h->lock);
	return b->err;
}
