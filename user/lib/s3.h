/* SPDX-License-Identifier: MIT */
/*
 * s3.h - a small S3 client for the HSM: libcurl, SigV4 signing of the
 * exact URL sent (sigv4.c), libxml2 for listings.  Path-style URLs
 * ENDPOINT/BUCKET/KEY.  Shared by tessera-ost (ranged GETs of released
 * chunks) and the hsm tool (listing, upload).
 *
 * Every call is bounded by conf->timeout_s in total, retries included:
 * time-outs, refused or reset connections, 5xx and 429 are retried with
 * exponential backoff (100 ms doubling, at most 2 s) while time is left.
 * Functions return 0 or a negative errno and describe a failure in
 * res->msg:
 *   -ENOENT   404 (no such bucket or key)
 *   -EACCES   403, 401
 *   -ESTALE   412, or the object's ETag is not the one asked for
 *   -ETIMEDOUT, -ECONNREFUSED   the bound ran out on those
 *   -EIO      anything else (5xx after the retries, bad replies)
 * Thread-safe: each thread keeps its own curl handle (keep-alive).
 */
#ifndef TESS_S3_H
#define TESS_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S3_ETAG_MAX	127
#define S3_UPLOAD_ID_MAX 1023

struct s3_conf {
	char endpoint[512];		/* "http://host:port", no trailing '/' */
	char region[64];
	char access_key[256];
	char secret_key[256];
	char session_token[4096];	/* may be empty */
	int timeout_s;			/* bound of one call, retries included */
	int verbose;			/* log each request to stderr */
};

struct s3_res {
	long http;			/* last HTTP status, 0 if none */
	char etag[S3_ETAG_MAX + 1];	/* ETag of the reply, quotes removed */
	uint64_t size;			/* HEAD: Content-Length; GET: bytes */
	int64_t mtime_sec;		/* HEAD: Last-Modified */
	int attempts;
	char msg[320];			/* why it failed */
};

/* once per process, before threads */
int s3_global_init(void);

/*
 * Endpoint: endpoint argument, else $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL,
 * else https://s3.REGION.amazonaws.com.  Region: argument, else
 * $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1.  Credentials:
 * $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY[/$AWS_SESSION_TOKEN], else
 * the [$AWS_PROFILE or default] section of $AWS_SHARED_CREDENTIALS_FILE
 * or ~/.aws/credentials.
 */
int s3_conf_init(struct s3_conf *c, const char *endpoint, const char *region,
		 int timeout_s, char *err, size_t errlen);

/*
 * Ranged GET of [off, off + len) into buf (exactly len bytes or an
 * error).  With etag, the request carries If-Match and the reply's ETag
 * must equal it (-ESTALE otherwise: the object changed).
 */
int s3_get(const struct s3_conf *c, const char *bucket, const char *key,
	   uint64_t off, uint64_t len, const char *etag, void *buf,
	   struct s3_res *r);

/* HEAD: r->size, r->etag, r->mtime_sec */
int s3_head(const struct s3_conf *c, const char *bucket, const char *key,
	    struct s3_res *r);

/* PUT of a whole object from memory; r->etag is the new ETag */
int s3_put(const struct s3_conf *c, const char *bucket, const char *key,
	   const void *buf, size_t len, struct s3_res *r);

/* multipart upload: create, parts (1..10000, >= 5 MiB but the last), complete */
int s3_mpu_create(const struct s3_conf *c, const char *bucket,
		  const char *key, char upload_id[S3_UPLOAD_ID_MAX + 1],
		  struct s3_res *r);
int s3_mpu_part(const struct s3_conf *c, const char *bucket, const char *key,
		const char *upload_id, int part, const void *buf, size_t len,
		char etag[S3_ETAG_MAX + 1], struct s3_res *r);
int s3_mpu_complete(const struct s3_conf *c, const char *bucket,
		    const char *key, const char *upload_id, int nparts,
		    char (*etags)[S3_ETAG_MAX + 1], struct s3_res *r);
int s3_mpu_abort(const struct s3_conf *c, const char *bucket, const char *key,
		 const char *upload_id, struct s3_res *r);

struct s3_obj {
	const char *key;		/* raw bytes, may hold anything but NUL */
	size_t key_len;			/* keys with a NUL: key_len > strlen */
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	const char *etag;		/* quotes removed */
};

/* 0 to go on, non-zero stops the listing and is returned */
typedef int (*s3_list_fn)(void *arg, const struct s3_obj *o);

/*
 * ListObjectsV2 of every key under prefix (NULL or "" = all), every page
 * (continuation tokens), in key order.  *pages counts the pages.
 */
int s3_list(const struct s3_conf *c, const char *bucket, const char *prefix,
	    s3_list_fn fn, void *arg, int *pages, struct s3_res *r);

/* "2024-01-02T03:04:05.678Z" -> seconds, nanoseconds; -EINVAL if not */
int s3_parse_time(const char *s, int64_t *sec, uint32_t *nsec);

#endif /* TESS_S3_H */
