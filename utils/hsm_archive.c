// SPDX-License-Identifier: MIT
/*
 * hsm archive: upload changed files back to their S3 origin.
 */
#include "hsm.h"

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
 * from (its recorded location, through s3_conf_at as the OSTs do: an
 * empty endpoint or region is the tool's own, path-style if either says
 * so), the tool's own (s3_setup) for a file imported without one.  loc
 * is then what the OSTs keep after the archive: the recorded one
 * unchanged, else the tool's.
 */
static int archive_conf(const struct s3_conf *own, const char *bucket,
			struct hsm_loc *loc, struct s3_conf *out, char *why,
			size_t whylen)
{
	*out = *own;
	if (!loc->set) {
		loc_of_conf(own, bucket, loc);
		return 0;
	}
	return s3_conf_at(own, loc->endpoint, loc->region,
			  loc->flags & TESS_HSM_LOC_PATH_STYLE, out, why,
			  whylen);
}

int cmd_archive(int argc, char **argv)
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
		int rc = file_hsm_get(c, path, st, &h);

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
