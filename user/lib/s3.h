/* SPDX-License-Identifier: MIT */
/*
 * s3.h - a small S3 client for the HSM: libcurl, SigV4 signing of the
 * exact URL sent (sigv4.c), libxml2 for listings.  Shared by
 * tessera-ost (ranged GETs of released chunks) and the hsm tool
 * (listing, upload).
 *
 * Addressing (issue #13), as the AWS SDKs do: virtual-hosted URLs
 * SCHEME://BUCKET.HOST[:PORT]/KEY by default, path-style
 * ENDPOINT/BUCKET/KEY when asked (path_style) and whenever the bucket is
 * no DNS name (uppercase, '_', too short or long, an IP address, "..",
 * or a '.' over https, which the certificate *.HOST would not cover) or
 * the endpoint's host is an IP literal.  (curl resolves NAME.localhost
 * to the loopback itself, so http://localhost:PORT can be virtual-hosted.)
 *
 * Region discovery: a request refused with 301 PermanentRedirect (or
 * 307), or 400 (AuthorizationHeaderMalformed, IllegalLocationConstraint
 * ...), naming the bucket's region in x-amz-bucket-region or an error
 * body's <Region>, is sent once more signed for that region (and, on
 * AWS's own endpoint, to that region's host); the region is remembered
 * for the bucket (and endpoint) by the process, for every later request.
 *
 * Every call is bounded by conf->timeout_s in total, retries included,
 * and by S3_MAX_ATTEMPTS attempts.  What is retried is s3_retryable()'s
 * decision; each wait is "full jitter" (a random time in [0, backoff],
 * backoff 100 ms doubling up to 2 s), and every retry takes tokens from
 * a process-wide budget (the AWS SDKs' "standard" retry mode: 500
 * tokens, 5 a retry, 10 a retry of a time-out, given back when the
 * retry succeeds, 1 more for each success at the first attempt), so a
 * failing S3 is not hammered by every thread at once.
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

#include "s3_creds.h"

#define S3_ETAG_MAX	127
#define S3_UPLOAD_ID_MAX 1023
#define S3_MAX_ATTEMPTS	10
#define S3_BACKOFF0_MS	100
#define S3_BACKOFF_MAX_MS 2000
/* S3's limits of a multipart upload */
#define S3_MAX_PARTS	10000
#define S3_PART_MIN	(8ull << 20)	/* ours; S3's is 5 MiB */
#define S3_PART_MAX	(5ull << 30)
#define S3_OBJECT_MAX	(5ull << 40)
/* the retry budget (AWS SDK "standard" mode) */
#define S3_RETRY_TOKENS	500
#define S3_RETRY_COST	5
#define S3_RETRY_COST_TIMEOUT 10

#define S3_REGION_MAX	63

struct s3_conf {
	char endpoint[512];		/* "http://host:port", no trailing '/' */
	char region[S3_REGION_MAX + 1];
	bool path_style;		/* ENDPOINT/BUCKET/KEY always */
	bool aws;			/* AWS's endpoint https://s3.REGION.amazonaws.com */
	struct s3_creds_chain *creds;	/* shared by copies of the conf */
	int timeout_s;			/* bound of one call, retries included */
	int verbose;			/* log each request to stderr */
};

struct s3_res {
	long http;			/* last HTTP status, 0 if none */
	char etag[S3_ETAG_MAX + 1];	/* ETag of the reply, quotes removed */
	uint64_t size;			/* HEAD: Content-Length; GET: bytes */
	int64_t mtime_sec;		/* HEAD: Last-Modified */
	int attempts;
	char region[S3_REGION_MAX + 1];	/* a refusal's region of the bucket */
	char msg[320];			/* why it failed */
};

/* once per process, before threads */
int s3_global_init(void);

/*
 * Endpoint: endpoint argument, else $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL,
 * else https://s3.REGION.amazonaws.com.  Region: argument, else
 * $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1.  Credentials:
 * the provider chain of s3_creds.h (environment, shared files, web
 * identity, container, IMDSv2), resolved here; temporary ones are
 * refreshed before they expire, and once more, the request retried,
 * when S3 answers ExpiredToken.  -ENOKEY: no provider had credentials.
 */
int s3_conf_init(struct s3_conf *c, const char *endpoint, const char *region,
		 int timeout_s, char *err, size_t errlen);

/*
 * The addressing part of s3_conf_init (no credentials, nothing else
 * set): the endpoint (SCHEME://HOST[:PORT], a trailing '/' dropped; a
 * path, query or user part is -EINVAL), the region, path_style, and aws
 * when the endpoint is AWS's (none given, or s3[.REGION].amazonaws.com).
 */
int s3_conf_addr(struct s3_conf *c, const char *endpoint, const char *region,
		 bool path_style, char *err, size_t errlen);

/*
 * base (credentials, timeout and all) at another location: an HSM
 * origin's endpoint and region (empty: base's own), path-style if base or
 * path_style says so.  Addressing is s3_conf_addr's; on an error *out is
 * base unchanged and err says why.
 */
int s3_conf_at(const struct s3_conf *base, const char *endpoint,
	       const char *region, bool path_style, struct s3_conf *out,
	       char *err, size_t errlen);

/*
 * Ranged GET of [off, off + len) into buf (exactly len bytes or an
 * error).  With etag, the request carries If-Match and the reply's ETag
 * must equal it (-ESTALE otherwise: the object changed).
 */
int s3_get(const struct s3_conf *c, const char *bucket, const char *key,
	   uint64_t off, uint64_t len, const char *etag, void *buf,
	   struct s3_res *r);

/*
 * Told by s3_get_land as the reply lands: buf[0, n) holds the object's
 * bytes asked for (a reply of exactly the range, with the ETag asked for)
 * and stays so whatever happens to the rest of the GET, retries
 * included.  Non-zero (a negative errno) ends the GET with that error,
 * not retried.
 */
typedef int (*s3_land_fn)(void *arg, uint64_t n);

/*
 * s3_get, telling land(arg, n) whenever at least `every` more bytes of
 * buf landed since it was last told (n only grows; the last bytes may be
 * left untold: the caller has them when s3_get_land returns 0).  Only
 * with etag: without, a retry might bring another version of the object.
 */
int s3_get_land(const struct s3_conf *c, const char *bucket,
		const char *key, uint64_t off, uint64_t len, const char *etag,
		void *buf, size_t every, s3_land_fn land, void *arg,
		struct s3_res *r);

/* HEAD: r->size, r->etag, r->mtime_sec */
/*
 * Whether c's endpoint answers at all: one unsigned HEAD of ENDPOINT/
 * within c->timeout_s (10 s if unset), no bucket named and no credentials
 * sent; any HTTP status counts (S3 answers 403 or 405).  0 with r->http,
 * else -ETIMEDOUT, -ECONNREFUSED or -EIO, r->msg saying why.
 */
int s3_ping(const struct s3_conf *c, struct s3_res *r);
int s3_head(const struct s3_conf *c, const char *bucket, const char *key,
	    struct s3_res *r);

/*
 * The precondition of a write (PUT, CompleteMultipartUpload): with
 * if_match, the object's ETag must be that one (If-Match); with
 * if_none_match, there must be no object (If-None-Match: *).  Otherwise
 * -ESTALE (412 PreconditionFailed, or 404 for If-Match on a deleted
 * object: -ENOENT).  A write whose reply was lost and whose retry then
 * fails its precondition (or, for a complete, finds NoSuchUpload) is a
 * success if the object is now exactly ours: its size and the ETag our
 * bytes give (MD5, or the multipart MD5-of-MD5s "-N"), found by a HEAD
 * after any 412 (libcurl may have resent the request unseen).
 */
struct s3_cond {
	const char *if_match;		/* ETag, no quotes; NULL: none */
	bool if_none_match;
};

/* PUT of a whole object from memory; r->etag is the new ETag */
int s3_put(const struct s3_conf *c, const char *bucket, const char *key,
	   const void *buf, size_t len, struct s3_res *r);
int s3_put_cond(const struct s3_conf *c, const char *bucket, const char *key,
		const void *buf, size_t len, const struct s3_cond *cond,
		struct s3_res *r);

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
/*
 * With a precondition, and the object's size and (if not NULL) hex MD5
 * for a retry's check: the object is ours if it has that size and the
 * multipart ETag of these parts, or that MD5 (the ETag some S3-like
 * stores, s3rver among them, give a multipart object).
 */
int s3_mpu_complete_cond(const struct s3_conf *c, const char *bucket,
			 const char *key, const char *upload_id, int nparts,
			 char (*etags)[S3_ETAG_MAX + 1], uint64_t size,
			 const char *md5, const struct s3_cond *cond,
			 struct s3_res *r);
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
/*
 * One page of it: the ListObjectsV2 reply xml (len bytes), fn called for
 * each Contents with a Key and a Size.  *next gets the page's
 * NextContinuationToken (malloc'ed) when IsTruncated is true, else NULL.
 * Returns 0, what fn returned, or -EIO (not a ListBucketResult, or
 * truncated without a token) with msg saying which.
 */
int s3_list_page(const char *xml, size_t len, s3_list_fn fn, void *arg,
		 char **next, char *msg, size_t msgcap);

/* "2024-01-02T03:04:05.678Z" -> seconds, nanoseconds; -EINVAL if not */
int s3_parse_time(const char *s, int64_t *sec, uint32_t *nsec);

/* ---- policy, exposed for the unit tests (tests/unit/test_s3.c) ---- */

/*
 * The URL of bucket's key (NULL: the bucket's root, "/") for a request
 * signed for region (on AWS's endpoint, that region's host): see
 * "Addressing" above.  -ENAMETOOLONG if it does not fit in cap.
 */
int s3_url(const struct s3_conf *c, const char *region, const char *bucket,
	   const char *key, char *url, size_t cap);
/* the Host header of a URL: "HOST[:PORT]"; -EINVAL if not SCHEME://... */
int s3_url_host(const char *url, char *host, size_t cap);
/* a bucket name usable as a host name label (over https: without '.') */
bool s3_bucket_virtual_ok(const char *bucket, bool https);

/*
 * Whether a reply of status http, with the header x-amz-bucket-region
 * hdr and the error body's <Region> body_region (either NULL), tells
 * that the bucket is in another region than the one sent, and which
 * (into out): 301, 307 or 400 naming a valid region other than sent.
 */
bool s3_region_redirect(long http, const char *hdr, const char *body_region,
			const char *sent, char out[S3_REGION_MAX + 1]);
/*
 * The process's table of the regions learnt (thread-safe, bounded: the
 * oldest entry goes when it is full): the region of bucket at c's
 * endpoint, c->region if none was learnt.
 */
void s3_region_of(const struct s3_conf *c, const char *bucket,
		  char out[S3_REGION_MAX + 1]);
void s3_region_learn(const struct s3_conf *c, const char *bucket,
		     const char *region);

/*
 * Whether a failed attempt is worth another: a curl error (curl_code,
 * a CURLcode, non-zero) that is a time-out, a refused, reset or dropped
 * connection; else the HTTP status and the S3 error code of the body
 * (NULL or "" if none): 500, 502, 503, 504, 429, and the codes
 * RequestTimeout (a 400), SlowDown, InternalError, ServiceUnavailable,
 * Throttling... whatever the status (an <Error> in a 200 reply).  Any
 * other 4xx is not retried.
 */
bool s3_retryable(long http, const char *code, int curl_code);

/*
 * Whether a refusal means the credentials expired (the request is sent
 * once more after a forced refresh): the S3 codes ExpiredToken,
 * ExpiredTokenException, TokenRefreshRequired whatever the status; and,
 * for temporary credentials (with a session token), a 400 or 403 that
 * has no code to tell (a HEAD's reply has no body).
 */
bool s3_expired_creds(long http, const char *code, bool temporary);

/*
 * The wait before retry number `retry` (1, 2, ...): full jitter, rnd
 * mapped into [0, min(S3_BACKOFF_MAX_MS, S3_BACKOFF0_MS << (retry - 1))].
 */
int64_t s3_backoff_cap_ms(int retry);
int64_t s3_jitter_ms(int retry, uint64_t rnd);

/* a retry budget; the process has one, s3_budget_global() */
struct s3_budget {
	int tokens;			/* guarded by the process's lock */
};
/* take cost tokens for a retry: false (none taken) if there are not */
bool s3_budget_take(struct s3_budget *b, int cost);
/* a success: the cost of its retry given back, or 1 token (at most max) */
void s3_budget_success(struct s3_budget *b, int cost);
struct s3_budget *s3_budget_global(void);

/*
 * The part size of a multipart upload of size bytes: a multiple of
 * 1 MiB, at least S3_PART_MIN, at most S3_PART_MAX, such that the object
 * fits in S3_MAX_PARTS parts (for any size up to S3_OBJECT_MAX).
 */
uint64_t s3_part_size(uint64_t size);

/*
 * The ETag S3 gives a multipart object of these parts' ETags (hex MD5s):
 * hex MD5 of their binary MD5s, "-N".  -EINVAL if one is not a hex MD5.
 */
int s3_mpu_etag(int nparts, char (*etags)[S3_ETAG_MAX + 1],
		char out[S3_ETAG_MAX + 1]);

#endif /* TESS_S3_H */
