// SPDX-License-Identifier: MIT
/*
 * store_attr.c - attributes in the store: getattr and setattr, extended
 * attributes (the xattrs database) and HSM records (the hsm database; the
 * state bits themselves are the inode's attr.hsm_state).
 */
#include <inttypes.h>
#include <lmdb.h>
#include <sys/stat.h>

#include "store_int.h"
#include "tess_stripe.h"
#include "tnet.h"

/* ---- attributes ---- */

int mds_getattr(struct mds_store *s, uint64_t ino, struct mds_attr *a,
		struct mds_layout *lo)
{
	struct tx tx;
	struct inode in;
	int rc = store_tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (!rc)
		store_out_inode(&in, a, lo);
	return store_tx_end(&tx, rc);
}

int mds_setattr(struct mds_store *s, uint64_t ino, const struct mds_setattr *sa,
		struct mds_attr *a, struct mds_layout *lo)
{
	struct tx tx;
	struct inode in;
	struct mds_attr *at = &in.r.attr;
	uint32_t v = sa->valid;
	bool data = false;
	uint64_t sec;
	uint32_t nsec;
	int rc;

	if (v & ~TESS_SA_KNOWN)
		return -EINVAL;
	if ((v & TESS_SA_SIZE) && (v & TESS_SA_SIZE_EXTEND))
		return -EINVAL;
	if ((v & (TESS_SA_SIZE | TESS_SA_SIZE_EXTEND)) && sa->size > (1ULL << 62))
		return -EFBIG;
	rc = store_tx_begin(s, &tx, v != 0);
	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (rc || !v)
		goto out;
	if (v & (TESS_SA_SIZE | TESS_SA_SIZE_EXTEND)) {
		if (S_ISDIR(at->mode)) {
			rc = -EISDIR;
			goto out;
		}
		if (!S_ISREG(at->mode)) {
			rc = -EINVAL;
			goto out;
		}
	}
	store_now_ts(&sec, &nsec);
	if (v & TESS_SA_MODE)
		at->mode = (at->mode & S_IFMT) | (sa->mode & 07777);
	if (v & TESS_SA_UID)
		at->uid = sa->uid;
	if (v & TESS_SA_GID)
		at->gid = sa->gid;
	if ((v & TESS_SA_SIZE) && sa->size != at->size) {
		at->size = sa->size;
		data = true;
	}
	if ((v & TESS_SA_SIZE) && in.lo.nobjs) {
		rc = store_trim_add(&tx, ino);
		if (rc)
			goto out;
	}
	if ((v & TESS_SA_SIZE_EXTEND) && sa->size > at->size) {
		at->size = sa->size;
		data = true;
	}
	if (v & TESS_SA_ATIME_NOW) {
		at->atime_sec = sec;
		at->atime_nsec = nsec;
	} else if (v & TESS_SA_ATIME) {
		at->atime_sec = sa->atime_sec;
		at->atime_nsec = sa->atime_nsec;
	}
	if (v & TESS_SA_MTIME_NOW) {
		at->mtime_sec = sec;
		at->mtime_nsec = nsec;
		data = true;
	} else if (v & TESS_SA_MTIME) {
		at->mtime_sec = sa->mtime_sec;
		at->mtime_nsec = sa->mtime_nsec;
		data = true;
	}
	if (v & TESS_SA_CTIME) {
		at->ctime_sec = sa->ctime_sec;
		at->ctime_nsec = sa->ctime_nsec;
	} else {
		at->ctime_sec = sec;
		at->ctime_nsec = nsec;
	}
	if (data) {
		at->data_version++;
		if (at->hsm_state & TESS_HSM_ARCHIVED)
			at->hsm_state |= TESS_HSM_DIRTY;
	}
	rc = store_ino_put(&tx, &in);
out:
	if (!rc)
		store_out_inode(&in, a, lo);
	return store_tx_end(&tx, rc);
}

/* ---- xattrs ---- */

static size_t xattr_key(uint8_t *k, uint64_t ino, const char *name,
			uint32_t len)
{
	store_put_be64(k, ino);
	memcpy(k + 8, name, len);
	return 8 + len;
}

static int xname_ok(const char *name, uint32_t len)
{
	if (!name || len == 0 || memchr(name, '\0', len))
		return -EINVAL;
	return len > TESS_XATTR_NAME_MAX ? -ERANGE : 0;
}

int mds_getxattr(struct mds_store *s, uint64_t ino, const char *name,
		 uint32_t nlen, void *buf, uint32_t cap, uint32_t *size)
{
	uint8_t k[8 + TESS_XATTR_NAME_MAX];
	struct tx tx;
	struct inode in;
	MDB_val v;
	int rc = xname_ok(name, nlen);

	if (rc)
		return rc;
	rc = store_tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	rc = store_db_get(&tx, s->xattrs, k, xattr_key(k, ino, name, nlen), &v);
	if (rc == -ENOENT)
		rc = -ENODATA;
	if (rc)
		goto out;
	*size = (uint32_t)v.mv_size;
	if (cap == 0)
		goto out;
	if (cap < v.mv_size)
		rc = -ERANGE;
	else
		memcpy(buf, v.mv_data, v.mv_size);
out:
	return store_tx_end(&tx, rc);
}

/* bytes of the NUL-separated name list of ino; copies it if buf */
static int xattr_list(struct tx *tx, uint64_t ino, uint8_t *buf, uint32_t cap,
		      uint32_t *size)
{
	uint8_t k[8];
	MDB_cursor *cur;
	MDB_val key = { 8, k }, v;
	uint32_t total = 0;
	int rc;

	store_put_be64(k, ino);
	rc = mdb_cursor_open(tx->t, tx->s->xattrs, &cur);
	if (rc)
		return store_mdb_err(rc, "cursor");
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		uint32_t n;

		if (key.mv_size <= 8 || memcmp(key.mv_data, k, 8))
			break;
		n = (uint32_t)key.mv_size - 8;
		if (buf && total + n + 1 <= cap) {
			memcpy(buf + total, (uint8_t *)key.mv_data + 8, n);
			buf[total + n] = '\0';
		}
		total += n + 1;
	}
	mdb_cursor_close(cur);
	*size = total;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 :
	       store_mdb_err(rc, "listxattr");
}

int mds_setxattr(struct mds_store *s, uint64_t ino, const char *name,
		 uint32_t nlen, const void *val, uint32_t vlen, uint32_t flags)
{
	uint8_t k[8 + TESS_XATTR_NAME_MAX];
	struct tx tx;
	struct inode in;
	MDB_val v;
	size_t kl;
	uint32_t list;
	int rc = xname_ok(name, nlen);

	if (rc)
		return rc;
	if (flags & ~(TESS_XATTR_CREATE | TESS_XATTR_REPLACE) ||
	    flags == (TESS_XATTR_CREATE | TESS_XATTR_REPLACE))
		return -EINVAL;
	if (vlen > TESS_XATTR_SIZE_MAX)
		return -E2BIG;
	if (vlen && !val)
		return -EINVAL;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	kl = xattr_key(k, ino, name, nlen);
	rc = store_db_get(&tx, s->xattrs, k, kl, &v);
	if (rc == 0 && (flags & TESS_XATTR_CREATE)) {
		rc = -EEXIST;
		goto out;
	}
	if (rc == -ENOENT) {
		if (flags & TESS_XATTR_REPLACE) {
			rc = -ENODATA;
			goto out;
		}
		/* the name list must stay readable by listxattr */
		rc = xattr_list(&tx, ino, NULL, 0, &list);
		if (!rc && list + nlen + 1 > TESS_XATTR_LIST_MAX)
			rc = -ENOSPC;
	}
	if (rc)
		goto out;
	rc = store_db_put(&tx, s->xattrs, k, kl, vlen ? val : "", vlen, 0);
	if (rc)
		goto out;
	store_touch_ctime(&in.r.attr);
	rc = store_ino_put(&tx, &in);
out:
	return store_tx_end(&tx, rc);
}

int mds_listxattr(struct mds_store *s, uint64_t ino, void *buf, uint32_t cap,
		  uint32_t *size)
{
	struct tx tx;
	struct inode in;
	int rc = store_tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (!rc)
		rc = xattr_list(&tx, ino, cap ? buf : NULL, cap, size);
	if (!rc && cap && cap < *size)
		rc = -ERANGE;
	return store_tx_end(&tx, rc);
}

int mds_removexattr(struct mds_store *s, uint64_t ino, const char *name,
		    uint32_t nlen)
{
	uint8_t k[8 + TESS_XATTR_NAME_MAX];
	struct tx tx;
	struct inode in;
	int rc = xname_ok(name, nlen);

	if (rc)
		return rc;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	rc = store_db_del(&tx, s->xattrs, k, xattr_key(k, ino, name, nlen));
	if (rc == -ENOENT)
		rc = -ENODATA;
	if (rc)
		goto out;
	store_touch_ctime(&in.r.attr);
	rc = store_ino_put(&tx, &in);
out:
	return store_tx_end(&tx, rc);
}

/* ---- HSM ---- */

#define HSM_MAGIC	0x314d5348u	/* "HSM1" */

struct hsm_rec {			/* then bucket, key, etag */
	uint32_t magic;
	uint16_t blen, klen, elen, pad;
	uint32_t mtime_nsec;
	uint64_t size;
	uint64_t mtime_sec;
	uint8_t present[TESS_MAX_STRIPES / 8];
};

static int hsm_load(struct tx *tx, uint64_t ino, struct mds_hsm *h)
{
	struct hsm_rec r;
	uint8_t k[8];
	const char *p;
	MDB_val v;
	int rc;

	memset(h, 0, sizeof(*h));
	store_put_be64(k, ino);
	rc = store_db_get(tx, tx->s->hsm, k, 8, &v);
	if (rc)
		return rc == -ENOENT ? -ENODATA : rc;
	if (v.mv_size < sizeof(r))
		goto bad;
	memcpy(&r, v.mv_data, sizeof(r));
	if (r.magic != HSM_MAGIC || r.blen > TESS_S3_BUCKET_MAX ||
	    r.klen > TESS_S3_KEY_MAX || r.elen > TESS_S3_ETAG_MAX ||
	    v.mv_size != sizeof(r) + r.blen + r.klen + r.elen)
		goto bad;
	p = (const char *)v.mv_data + sizeof(r);
	memcpy(h->bucket, p, r.blen);
	memcpy(h->key, p + r.blen, r.klen);
	memcpy(h->etag, p + r.blen + r.klen, r.elen);
	h->size = r.size;
	h->mtime_sec = r.mtime_sec;
	h->mtime_nsec = r.mtime_nsec;
	memcpy(h->present, r.present, sizeof(h->present));
	return 0;
bad:
	tlog_level(LOG_ERR, "store: HSM record of inode %" PRIu64 " is corrupt", ino);
	return -EIO;
}

static int hsm_store(struct tx *tx, uint64_t ino, const struct mds_hsm *h)
{
	uint8_t buf[sizeof(struct hsm_rec) + TESS_S3_BUCKET_MAX +
		    TESS_S3_KEY_MAX + TESS_S3_ETAG_MAX];
	struct hsm_rec r = { .magic = HSM_MAGIC };
	uint8_t k[8];
	size_t n = sizeof(r);

	r.blen = (uint16_t)strlen(h->bucket);
	r.klen = (uint16_t)strlen(h->key);
	r.elen = (uint16_t)strlen(h->etag);
	r.size = h->size;
	r.mtime_sec = h->mtime_sec;
	r.mtime_nsec = h->mtime_nsec;
	memcpy(r.present, h->present, sizeof(r.present));
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + n, h->bucket, r.blen);
	n += r.blen;
	memcpy(buf + n, h->key, r.klen);
	n += r.klen;
	memcpy(buf + n, h->etag, r.elen);
	n += r.elen;
	store_put_be64(k, ino);
	return store_db_put(tx, tx->s->hsm, k, 8, buf, n, 0);
}

/* every object of the layout present, or empty at the origin's size */
static bool hsm_all_present(const struct inode *in, const struct mds_hsm *h)
{
	struct tess_stripe_geom g = { in->lo.stripe_size, in->lo.nobjs };

	if (!in->lo.nobjs || tess_stripe_geom_check(&g))
		return true;
	for (uint32_t i = 0; i < in->lo.nobjs; i++) {
		if (h->present[i / 8] & (1u << (i % 8)))
			continue;
		if (tess_stripe_obj_size(&g, i, h->size))
			return false;
	}
	return true;
}

static void copy_str(char *dst, size_t cap, const char *src, uint32_t len)
{
	if (len >= cap)
		len = (uint32_t)cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int mds_hsm_set(struct mds_store *s, uint64_t ino, const struct mds_hsm_set *r,
		struct mds_hsm *out)
{
	struct mds_attr *at;
	struct mds_hsm h;
	struct inode in;
	struct tx tx;
	uint8_t k[8];
	int rc;

	if (r->valid & ~TESS_HSMS_KNOWN || (r->set | r->clear) & ~TESS_HSM_ALL)
		return -EINVAL;
	if ((r->valid & TESS_HSMS_STRIPE) && r->stripe >= TESS_MAX_STRIPES)
		return -EINVAL;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	at = &in.r.attr;
	if (!S_ISREG(at->mode)) {
		rc = S_ISDIR(at->mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if (r->valid & TESS_HSMS_REMOVE) {
		store_put_be64(k, ino);
		rc = store_db_del(&tx, s->hsm, k, 8);
		if (rc == -ENOENT)
			rc = 0;
		at->hsm_state = 0;
		if (!rc)
			rc = store_ino_put(&tx, &in);
		memset(&h, 0, sizeof(h));
		goto done;
	}
	rc = hsm_load(&tx, ino, &h);
	if (rc == -ENODATA && (r->valid & TESS_HSMS_ORIGIN))
		rc = 0;
	if (rc)
		goto out;
	if (r->valid & TESS_HSMS_ORIGIN) {
		copy_str(h.bucket, sizeof(h.bucket), r->bucket, r->blen);
		copy_str(h.key, sizeof(h.key), r->key, r->klen);
		copy_str(h.etag, sizeof(h.etag), r->etag, r->elen);
		h.size = r->size;
		h.mtime_sec = r->mtime_sec;
		h.mtime_nsec = r->mtime_nsec;
		memset(h.present, 0, sizeof(h.present));
	}
	if (r->valid & TESS_HSMS_ATTRS) {
		at->size = h.size;
		at->mtime_sec = h.mtime_sec;
		at->mtime_nsec = h.mtime_nsec;
		at->data_version++;
		store_touch_ctime(at);
	}
	if (r->valid & TESS_HSMS_UNPRESENT)
		memset(h.present, 0, sizeof(h.present));
	if (r->valid & TESS_HSMS_STRIPE) {
		if (r->elen != strlen(h.etag) ||
		    memcmp(r->etag, h.etag, r->elen)) {
			rc = -ESTALE;	/* news about an older origin */
			goto out;
		}
		h.present[r->stripe / 8] |= (uint8_t)(1u << (r->stripe % 8));
	}
	if (r->valid & TESS_HSMS_STATE)
		at->hsm_state = (at->hsm_state & ~r->clear) | r->set;
	if ((at->hsm_state & TESS_HSM_RELEASED) && hsm_all_present(&in, &h))
		at->hsm_state &= ~TESS_HSM_RELEASED;
	rc = hsm_store(&tx, ino, &h);
	if (!rc)
		rc = store_ino_put(&tx, &in);
done:
	h.state = at->hsm_state;
	if (!rc && out)
		*out = h;
out:
	return store_tx_end(&tx, rc);
}

int mds_hsm_get(struct mds_store *s, uint64_t ino, struct mds_hsm *out)
{
	struct inode in;
	struct tx tx;
	int rc = store_tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (!rc)
		rc = hsm_load(&tx, ino, out);
	if (!rc)
		out->state = in.r.attr.hsm_state;
	return store_tx_end(&tx, rc);
}
