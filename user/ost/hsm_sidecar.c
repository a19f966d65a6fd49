// SPDX-License-Identifier: MIT
/*
 * hsm_sidecar.c - the table of cached objects and their sidecars:
 * the on-disk header and chunk bitmap of an object imported from S3,
 * loaded and checked, created, written.
 *
 * Part of the OST's HSM (hsm.h); the locking and the invariants are
 * described at the top of hsm.c, what the files share in hsm_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "hsm_int.h"

/* ---- the sidecar's path ---- */

void hsm_sc_path(uint64_t oid, char buf[48], bool tmp)
{
	char p[40];

	objstore_obj_path(oid, p);
	snprintf(buf, 48, "%s.hsm%s", p, tmp ? ".tmp" : "");
}

/* ---- the object table (h->lock held) ---- */

static struct hobj **slot(struct ost_hsm *h, uint64_t oid)
{
	return &h->ht[(oid * 0x9e3779b97f4a7c15ULL) >> 52 & (HT_SIZE - 1)];
}

static void hobj_free(struct hobj *o)
{
	if (o->scfd >= 0)
		close(o->scfd);
	free(o->bm);
	free(o);
}

void hsm_unhash(struct ost_hsm *h, struct hobj *o)
{
	struct hobj **pp = slot(h, o->oid);

	if (!o->in_table)
		return;
	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (*pp)
		*pp = o->next;
	o->in_table = false;
	h->cached--;
}

void hsm_hobj_put(struct ost_hsm *h, struct hobj *o)
{
	if (--o->refs > 0 || o->runs || o->busy)
		return;
	if (o->in_table && (o->loaded || o->bad) &&
	    h->cached <= h->cache_max)
		return;			/* stays cached */
	hsm_unhash(h, o);
	hobj_free(o);
}

/* why the sidecar header hd of a sidecar of file_len bytes is wrong, or NULL */
static const char *sc_invalid(const struct sc_hdr *hd, uint64_t file_len)
{
	struct tess_stripe_geom g = { hd->stripe_size, hd->stripe_count };

	bool v2 = !memcmp(hd->magic, SC_MAGIC2, 8);

	if (memcmp(hd->magic, SC_MAGIC, 8) && !v2)
		return "bad magic or version";
	if (hd->stripe_size < TESS_STRIPE_SIZE_MIN ||
	    hd->stripe_size > TESS_STRIPE_SIZE_MAX ||
	    hd->stripe_size % TESS_STRIPE_SIZE_MIN ||
	    !hd->stripe_count || hd->stripe_count > TESS_MAX_STRIPES ||
	    hd->stripe >= hd->stripe_count)
		return "bad stripe geometry";
	if (hd->chunk_size != chunk_size_for(hd->stripe_size))
		return "chunk size does not match the stripe size";
	if (hd->obj_size != tess_stripe_obj_size(&g, hd->stripe,
						 hd->file_size))
		return "object size does not match the file size";
	if ((uint64_t)hd->nchunks != (hd->obj_size + hd->chunk_size - 1) /
				     hd->chunk_size)
		return "chunk count does not match the object size";
	if (hd->flags & ~(SC_F_DIRTY | SC_F_PINNED))
		return "unknown flags";
	if (!memchr(hd->bucket, 0, sizeof(hd->bucket)) ||
	    !memchr(hd->key, 0, sizeof(hd->key)) ||
	    !memchr(hd->etag, 0, sizeof(hd->etag)) || !hd->bucket[0] ||
	    !hd->key[0])
		return "bad origin";
	if (file_len != sizeof(*hd) + bm_bytes(hd->nchunks) +
			(v2 ? sizeof(struct sc_loc) : 0))
		return "length does not match the chunk count";
	return NULL;
}

static const char *sc_loc_invalid(const struct sc_loc *l)
{
	if (!memchr(l->endpoint, 0, sizeof(l->endpoint)) ||
	    !memchr(l->region, 0, sizeof(l->region)) ||
	    l->flags & ~TESS_HSM_LOC_KNOWN)
		return "bad origin location";
	return NULL;
}

/*
 * Read a sidecar into o: -ENOENT when there is none, -EUCLEAN when it is
 * corrupt (logged: the object's readers get EIO, not whatever the object
 * holds), another -errno when it cannot be read.
 */
static int sc_load(struct ost_hsm *h, struct hobj *o)
{
	char path[48], eb[128];
	const char *why = NULL;
	struct sc_hdr hd;
	struct sc_loc loc;
	struct stat sb;
	size_t nb = 0;
	uint8_t *bm = NULL;
	int fd, rc;

	hsm_sc_path(o->oid, path, false);
	fd = openat(h->root, path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	rc = fstat(fd, &sb) ? -errno : 0;
	if (!rc && (uint64_t)sb.st_size < sizeof(hd))
		why = "shorter than its header";
	if (!rc && !why) {
		rc = objstore_pread_all(fd, &hd, sizeof(hd), 0);
		if (!rc)
			why = sc_invalid(&hd, (uint64_t)sb.st_size);
	}
	if (!rc && !why) {
		nb = bm_bytes(hd.nchunks);
		bm = calloc(1, nb ? nb : 1);
		rc = bm ? 0 : -ENOMEM;
		if (!rc && nb)
			rc = objstore_pread_all(fd, bm, nb, sizeof(hd));
		/* bits past the last chunk are never set */
		if (!rc && hd.nchunks % 8 &&
		    bm[nb - 1] >> (hd.nchunks % 8))
			why = "bits set past the last chunk";
	}
	memset(&loc, 0, sizeof(loc));
	if (!rc && !why && !memcmp(hd.magic, SC_MAGIC2, 8)) {
		rc = objstore_pread_all(fd, &loc, sizeof(loc),
					(off_t)(sizeof(hd) + nb));
		if (!rc)
			why = sc_loc_invalid(&loc);
	}
	if (rc || why) {
		if (why)
			tlog_level(LOG_ERR, "hsm: %s: corrupt sidecar (%s); the object's "
			     "readers get EIO until it is imported again",
			     path, why);
		else
			tlog_level(LOG_ERR, "hsm: %s: cannot read the sidecar: %s", path,
			     estr(rc, eb, sizeof(eb)));
		free(bm);
		close(fd);
		return why ? -EUCLEAN : rc;
	}
	hsm_hobj_adopt(o, fd, &hd, &loc, bm);
	return 0;
}

/*
 * Memory follows a sidecar on disk: o takes over its fd, header, location
 * and bitmap (bm, which o then owns), and counts the chunks present.
 */
void hsm_hobj_adopt(struct hobj *o, int fd, const struct sc_hdr *hd,
		    const struct sc_loc *loc, uint8_t *bm)
{
	if (o->scfd >= 0)
		close(o->scfd);
	free(o->bm);
	o->scfd = fd;
	o->h = *hd;
	o->loc = *loc;
	o->bm = bm;
	o->npresent = 0;
	for (uint32_t c = 0; c < hd->nchunks; c++)
		if (bit(o, c))
			o->npresent++;
	o->loaded = true;
	o->bad = false;
}

/*
 * The object oid with a reference.  NULL when it has no HSM state (and
 * create is false), *err then 0; or NULL with *err -EIO when its sidecar
 * is corrupt or cannot be read (logged).  With create, an entry without a
 * valid sidecar is made (for STUB and ARCHIVED, which write a new one).
 */
struct hobj *hsm_hobj_get(struct ost_hsm *h, uint64_t oid, bool create,
			  int *err)
{
	struct hobj *o;
	int rc;

	*err = 0;
	for (o = *slot(h, oid); o; o = o->next)
		if (o->oid == oid)
			break;
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o) {
			*err = -ENOMEM;
			return NULL;
		}
		o->oid = oid;
		o->scfd = -1;
		rc = sc_load(h, o);
		o->bad = rc == -EUCLEAN;	/* kept: logged once */
		if (rc && !o->bad && !create) {
			hobj_free(o);
			*err = rc == -ENOENT ? 0 : -EIO;
			return NULL;
		}
		o->next = *slot(h, oid);
		*slot(h, oid) = o;
		o->in_table = true;
		h->cached++;
	}
	if (o->bad && !create) {
		*err = -EIO;
		return NULL;
	}
	if (!o->loaded && !create && !o->busy)
		return NULL;
	o->refs++;
	return o;
}

/* wait for h->cond until deadline; false on time-out */
bool hsm_wait_until(struct ost_hsm *h, const struct timespec *dl)
{
	return pthread_cond_timedwait(&h->cond, &h->lock, dl) != ETIMEDOUT;
}

/* wait until no STUB/RELEASE/ARCHIVED runs on o (bounded: -EBUSY) */
int hsm_wait_not_busy(struct ost_hsm *h, struct hobj *o)
{
	struct timespec dl;

	deadline_ts(&dl, h->wait_ms);
	while (o->busy)
		if (!hsm_wait_until(h, &dl))
			return -EBUSY;
	return 0;
}

/* ---- writing sidecars ---- */

/* persist bitmap bytes of chunks [a, b) (lock held: pwrite only) */
int hsm_bm_write(struct ost_hsm *h, struct hobj *o, uint32_t a, uint32_t b)
{
	size_t lo = a / 8, hi = (b - 1) / 8;

	if (a >= b)
		return 0;
	if (hsm_fault(h, "sidecar-write"))
		return -EIO;
	return objstore_pwrite_all(o->scfd, o->bm + lo, hi - lo + 1,
			 (off_t)(sizeof(struct sc_hdr) + lo));
}

/* persist o's header (lock held: pwrite only) */
int hsm_hdr_write(struct ost_hsm *h, struct hobj *o)
{
	if (hsm_fault(h, "sidecar-write"))
		return -EIO;
	return objstore_pwrite_all(o->scfd, &o->h, sizeof(o->h), 0);
}

/* write a whole sidecar atomically and open it */
int hsm_sc_create(struct ost_hsm *h, uint64_t oid, const struct sc_hdr *hd,
		  const uint8_t *bm, const struct sc_loc *loc, int *fdp)
{
	char tmp[48], path[48], dir[40], *slash;
	int fd, dfd, rc;

	if (hsm_fault(h, "sidecar-write"))
		return -EIO;
	hsm_sc_path(oid, tmp, true);
	hsm_sc_path(oid, path, false);
	fd = openat(h->root, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* hd->magic is SC_MAGIC2 if and only if loc_set(loc) */
	rc = objstore_pwrite_all(fd, hd, sizeof(*hd), 0);
	if (!rc && bm_bytes(hd->nchunks))
		rc = objstore_pwrite_all(fd, bm, bm_bytes(hd->nchunks),
					 sizeof(*hd));
	if (!rc && loc_set(loc))
		rc = objstore_pwrite_all(fd, loc, sizeof(*loc),
					 (off_t)(sizeof(*hd) +
						 bm_bytes(hd->nchunks)));
	if (!rc && fsync(fd))
		rc = -errno;
	if (!rc && renameat(h->root, tmp, h->root, path))
		rc = -errno;
	if (rc) {
		close(fd);
		unlinkat(h->root, tmp, 0);
		return rc;
	}
	objstore_obj_path(oid, dir);
	slash = strrchr(dir, '/');
	*slash = '\0';
	/*
	 * The rename is durable only with its directory: until then a crash
	 * may bring the old sidecar back, so a caller must not drop data on
	 * the strength of the new one.
	 */
	dfd = openat(h->root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd))
		rc = -errno;
	if (dfd >= 0)
		close(dfd);
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}
