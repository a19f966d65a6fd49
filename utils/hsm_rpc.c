// SPDX-License-Identifier: MIT
/*
 * hsm: the MDS and OST RPCs the library has no wrapper for, the
 * connection and the S3 configuration of a run.
 */
#include "hsm.h"

/* ---- RPCs the library has no wrapper for ---- */

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
int mds_hsm_get(struct tess_client *c, uint64_t ino, struct hsm_info *h)
{
	struct tess_ino_req r = { .ino = cpu_to_le64(ino) };
	struct tnet_call call = { .op = TESS_OP_HSM_GET, .body = &r,
				  .body_len = sizeof(r) };
	int rc = tess_mds_call(c, &call);

	if (!rc)
		decode_hsm(call.reply.body, h);
	return rc;
}

int file_hsm_get(struct tess_client *c, const char *path,
		 struct tess_inode *st, struct hsm_info *h)
{
	int rc = tess_stat(c, path, st);

	if (!rc && !S_ISREG(st->mode))
		rc = -EISDIR;
	return rc ? rc : mds_hsm_get(c, st->ino, h);
}

int mds_hsm_set(struct tess_client *c, uint64_t ino,
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

int obj_hsm_get(struct tess_client *c, uint32_t ost, uint64_t oid,
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
const struct s3_conf *origin_s3;

/* the location of bucket under s3's configuration (NULL: none) */
void loc_of_conf(const struct s3_conf *s3, const char *bucket,
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
int obj_hsm_set(struct tess_client *c, const struct tess_inode *st,
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

int open_client(struct tess_client **c, const char *cmd)
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
int s3_setup(struct s3_conf *s3, const char *cmd, const char *what)
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
