// SPDX-License-Identifier: MIT
/*
 * Userspace tests of the policy of user/lib/s3.c (issue #13): which
 * failures are retried (a table of HTTP status, S3 error code and curl
 * code, from S3's error code list and the AWS SDKs' "standard" retry
 * mode), the bounds of the full-jitter waits, the process-wide retry
 * budget, the part size of an archive (any object up to 5 TiB in 10,000
 * parts) and the ETag of a multipart object (the value computed with
 * Python's hashlib before being written down).
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "tu.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)

struct retry_case {
	long http;
	const char *code;
	int curl;
	bool retry;
};

static const struct retry_case retry_table[] = {
	/* transient server errors and throttling */
	{ 500, "InternalError", CURLE_OK, true },
	{ 500, NULL, CURLE_OK, true },
	{ 502, NULL, CURLE_OK, true },
	{ 503, "SlowDown", CURLE_OK, true },
	{ 503, "ServiceUnavailable", CURLE_OK, true },
	{ 503, NULL, CURLE_OK, true },		/* HEAD: no body */
	{ 504, NULL, CURLE_OK, true },
	{ 429, NULL, CURLE_OK, true },
	{ 400, "RequestTimeout", CURLE_OK, true },
	/* an <Error> inside a 200 (CompleteMultipartUpload) */
	{ 200, "InternalError", CURLE_OK, true },
	{ 200, "SlowDown", CURLE_OK, true },
	{ 200, "NoSuchUpload", CURLE_OK, false },
	/* the client's own errors are not retried */
	{ 400, NULL, CURLE_OK, false },
	{ 400, "InvalidRequest", CURLE_OK, false },
	{ 400, "XAmzContentSHA256Mismatch", CURLE_OK, false },
	{ 400, "EntityTooSmall", CURLE_OK, false },
	{ 403, "AccessDenied", CURLE_OK, false },
	{ 403, "SignatureDoesNotMatch", CURLE_OK, false },
	{ 403, "RequestTimeTooSkewed", CURLE_OK, false },
	{ 404, "NoSuchKey", CURLE_OK, false },
	{ 404, "NoSuchUpload", CURLE_OK, false },
	{ 404, NULL, CURLE_OK, false },
	{ 409, "OperationAborted", CURLE_OK, false },
	{ 412, "PreconditionFailed", CURLE_OK, false },
	{ 416, "InvalidRange", CURLE_OK, false },
	{ 501, "NotImplemented", CURLE_OK, false },
	{ 505, NULL, CURLE_OK, false },
	/* connections */
	{ 0, NULL, CURLE_COULDNT_CONNECT, true },
	{ 0, NULL, CURLE_COULDNT_RESOLVE_HOST, true },
	{ 0, NULL, CURLE_OPERATION_TIMEDOUT, true },
	{ 0, NULL, CURLE_SEND_ERROR, true },
	{ 0, NULL, CURLE_RECV_ERROR, true },
	{ 0, NULL, CURLE_GOT_NOTHING, true },
	{ 0, NULL, CURLE_PARTIAL_FILE, true },
	{ 0, NULL, CURLE_SSL_CONNECT_ERROR, true },
	{ 0, NULL, CURLE_URL_MALFORMAT, false },
	{ 0, NULL, CURLE_PEER_FAILED_VERIFICATION, false },
	{ 0, NULL, CURLE_OUT_OF_MEMORY, false },
	/* a curl error decides, whatever status came before it */
	{ 200, NULL, CURLE_RECV_ERROR, true },
	{ 403, NULL, CURLE_URL_MALFORMAT, false },
};

TU_CASE(retry_decision)
{
	for (size_t i = 0; i < sizeof(retry_table) / sizeof(retry_table[0]);
	     i++) {
		const struct retry_case *t = &retry_table[i];
		bool got = s3_retryable(t->http, t->code, t->curl);

		if (got != t->retry)
			TU_FAIL_AT("(%ld, %s, curl %d): %s, expected %s",
				   t->http, t->code ? t->code : "-", t->curl,
				   got ? "retry" : "no retry",
				   t->retry ? "retry" : "no retry");
	}
}

TU_CASE(backoff_cap)
{
	TU_EQ_INT(s3_backoff_cap_ms(1), 100);
	TU_EQ_INT(s3_backoff_cap_ms(2), 200);
	TU_EQ_INT(s3_backoff_cap_ms(3), 400);
	TU_EQ_INT(s3_backoff_cap_ms(5), 1600);
	TU_EQ_INT(s3_backoff_cap_ms(6), 2000);
	TU_EQ_INT(s3_backoff_cap_ms(1000), 2000);
}

/* every wait in [0, cap]; both ends reached; not a fixed doubling */
TU_CASE(jitter_bounds)
{
	for (int retry = 1; retry <= 40; retry++) {
		int64_t cap = s3_backoff_cap_ms(retry), lo = cap, hi = 0;
		uint64_t x = 88172645463325252ull;

		TU_EQ_INT(s3_jitter_ms(retry, 0), 0);
		TU_EQ_INT(s3_jitter_ms(retry, (uint64_t)cap), cap);
		TU_EQ_INT(s3_jitter_ms(retry, UINT64_MAX) <= cap, 1);
		for (int i = 0; i < 20000; i++) {
			int64_t w;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w = s3_jitter_ms(retry, x);
			if (w < 0 || w > cap)
				TU_FAIL_AT("retry %d: wait %lld not in "
					   "[0, %lld]",
					   retry, (long long)w, (long long)cap);
			lo = w < lo ? w : lo;
			hi = w > hi ? w : hi;
		}
		/* spread over the whole range, not a fixed value */
		TU_CHECK(lo <= cap / 20);
		TU_CHECK(hi >= cap - cap / 20);
	}
}

TU_CASE(retry_budget)
{
	struct s3_budget b = { .tokens = S3_RETRY_TOKENS };
	int n = 0;

	while (s3_budget_take(&b, S3_RETRY_COST))
		n++;
	/* 500 tokens: 100 retries, then none until successes refill */
	TU_EQ_INT(n, S3_RETRY_TOKENS / S3_RETRY_COST);
	TU_EQ_INT(b.tokens, 0);
	TU_CHECK(!s3_budget_take(&b, S3_RETRY_COST));
	for (int i = 0; i < 4; i++)
		s3_budget_success(&b, 0);	/* first-attempt successes */
	TU_CHECK(!s3_budget_take(&b, S3_RETRY_COST));
	s3_budget_success(&b, 0);
	TU_CHECK(s3_budget_take(&b, S3_RETRY_COST));
	TU_EQ_INT(b.tokens, 0);
	/* a retry that succeeds gives its cost back */
	s3_budget_success(&b, S3_RETRY_COST_TIMEOUT);
	TU_EQ_INT(b.tokens, S3_RETRY_COST_TIMEOUT);
	TU_CHECK(!s3_budget_take(&b, S3_RETRY_COST_TIMEOUT + 1));
	TU_EQ_INT(b.tokens, S3_RETRY_COST_TIMEOUT);
	/* never above the capacity */
	b.tokens = S3_RETRY_TOKENS;
	s3_budget_success(&b, S3_RETRY_COST);
	TU_EQ_INT(b.tokens, S3_RETRY_TOKENS);
	TU_CHECK(s3_budget_global()->tokens <= S3_RETRY_TOKENS);
}

static void check_part_size(uint64_t size, uint64_t want)
{
	uint64_t ps = s3_part_size(size);

	if (want && ps != want)
		TU_FAIL_AT("size %llu: part %llu, expected %llu",
			   (unsigned long long)size, (unsigned long long)ps,
			   (unsigned long long)want);
	if (ps % MiB || ps < S3_PART_MIN || ps > S3_PART_MAX ||
	    (size + ps - 1) / ps > S3_MAX_PARTS)
		TU_FAIL_AT("size %llu: part %llu breaks a limit",
			   (unsigned long long)size, (unsigned long long)ps);
}

TU_CASE(part_size)
{
	check_part_size(0, 8 * MiB);
	check_part_size(1, 8 * MiB);
	check_part_size(16 * MiB, 8 * MiB);
	check_part_size(160 * GiB, 17 * MiB);	/* 16.384 MiB up */
	check_part_size(5 * TiB, 525 * MiB);	/* 524.288 MiB up */
	check_part_size(5 * TiB - 1, 525 * MiB);
	check_part_size(80000 * MiB, 8 * MiB);	/* exactly 10,000 parts */
	check_part_size(80000 * MiB + 1, 9 * MiB);
	/* every size on the way up fits */
	for (uint64_t s = 1; s <= 5 * TiB; s = s * 3 + 7)
		check_part_size(s, 0);
	TU_EQ_U64((5 * TiB + s3_part_size(5 * TiB) - 1) /
		  s3_part_size(5 * TiB), 9987);
}

TU_CASE(mpu_etag)
{
	char etags[2][S3_ETAG_MAX + 1] = {
		"0cc175b9c0f1b6a831c399e269772661",	/* md5("a") */
		"92eb5ffee6ae2fec3ad71c777531578f",	/* md5("b") */
	};
	char out[S3_ETAG_MAX + 1] = "";

	TU_EQ_INT(s3_mpu_etag(2, etags, out), 0);
	TU_CHECK(!strcmp(out, "96e024ba2074fe77e8e965ba43a704be-2"));
	snprintf(etags[1], sizeof(etags[1]), "not-an-md5");
	TU_EQ_INT(s3_mpu_etag(2, etags, out), -EINVAL);
	TU_EQ_INT(s3_mpu_etag(0, etags, out), -EINVAL);
}


/* ---- addressing (issue #13): the URL, hence the Host, of a request ---- */

struct url_case {
	const char *endpoint;		/* NULL: AWS's for the region */
	const char *region;
	bool path_style;
	const char *bucket, *key;	/* key NULL: the bucket's root */
	const char *sign_region;	/* NULL: the conf's */
	const char *url, *host;
};

static const struct url_case url_table[] = {
	/* AWS's endpoint: virtual-hosted by default */
	{ NULL, "eu-west-3", false, "my-bucket", "a/b.bin", NULL,
	  "https://my-bucket.s3.eu-west-3.amazonaws.com/a/b.bin",
	  "my-bucket.s3.eu-west-3.amazonaws.com" },
	{ NULL, "eu-west-3", false, "my-bucket", NULL, NULL,
	  "https://my-bucket.s3.eu-west-3.amazonaws.com/",
	  "my-bucket.s3.eu-west-3.amazonaws.com" },
	/* a discovered region: AWS's host of that region */
	{ NULL, "us-east-1", false, "my-bucket", "k", "ap-south-1",
	  "https://my-bucket.s3.ap-south-1.amazonaws.com/k",
	  "my-bucket.s3.ap-south-1.amazonaws.com" },
	/* the path-style switch */
	{ NULL, "eu-west-3", true, "my-bucket", "a/b.bin", NULL,
	  "https://s3.eu-west-3.amazonaws.com/my-bucket/a/b.bin",
	  "s3.eu-west-3.amazonaws.com" },
	{ "http://localhost:9000", "us-east-1", true, "b1", "k", NULL,
	  "http://localhost:9000/b1/k", "localhost:9000" },
	/* dots over https: the certificate (*.s3...) would not match */
	{ NULL, "us-east-1", false, "my.dotted.bucket", "k", NULL,
	  "https://s3.us-east-1.amazonaws.com/my.dotted.bucket/k",
	  "s3.us-east-1.amazonaws.com" },
	/* dots over http are fine */
	{ "http://localhost:9000", "us-east-1", false, "a.b", "k", NULL,
	  "http://a.b.localhost:9000/k", "a.b.localhost:9000" },
	/* not DNS names: uppercase, underscore, too short, a dash at an end */
	{ "http://localhost:9000", "us-east-1", false, "MyBucket", "k", NULL,
	  "http://localhost:9000/MyBucket/k", "localhost:9000" },
	{ "http://localhost:9000", "us-east-1", false, "my_bucket", "k", NULL,
	  "http://localhost:9000/my_bucket/k", "localhost:9000" },
	{ "http://localhost:9000", "us-east-1", false, "ab", "k", NULL,
	  "http://localhost:9000/ab/k", "localhost:9000" },
	{ "http://localhost:9000", "us-east-1", false, "ab-", "k", NULL,
	  "http://localhost:9000/ab-/k", "localhost:9000" },
	{ "http://localhost:9000", "us-east-1", false, "a..b", "k", NULL,
	  "http://localhost:9000/a..b/k", "localhost:9000" },
	{ "http://localhost:9000", "us-east-1", false, "192.168.1.1", "k",
	  NULL, "http://localhost:9000/192.168.1.1/k", "localhost:9000" },
	/* IP literal endpoints: path-style */
	{ "http://127.0.0.1:9000", "us-east-1", false, "bucket", "k", NULL,
	  "http://127.0.0.1:9000/bucket/k", "127.0.0.1:9000" },
	{ "http://[::1]:9000", "us-east-1", false, "bucket", "k", NULL,
	  "http://[::1]:9000/bucket/k", "[::1]:9000" },
	{ "https://10.0.0.7", "us-east-1", false, "bucket", "k", NULL,
	  "https://10.0.0.7/bucket/k", "10.0.0.7" },
	/* a localhost endpoint, virtual-hosted (curl resolves *.localhost) */
	{ "http://localhost:9000", "us-east-1", false, "bucket", "k", NULL,
	  "http://bucket.localhost:9000/k", "bucket.localhost:9000" },
	{ "http://localhost:9000/", "us-east-1", false, "bucket", NULL, NULL,
	  "http://bucket.localhost:9000/", "bucket.localhost:9000" },
	/* a custom endpoint keeps its host whatever the signing region */
	{ "http://localhost:9000", "us-east-1", false, "bucket", "k",
	  "eu-north-1", "http://bucket.localhost:9000/k",
	  "bucket.localhost:9000" },
	/* keys: spaces, '+', unicode, '.' and '..' segments, reserved bytes */
	{ "http://localhost:9000", "us-east-1", false, "bucket",
	  "dir with space/a+b.txt", NULL,
	  "http://bucket.localhost:9000/dir%20with%20space/a%2Bb.txt",
	  "bucket.localhost:9000" },
	{ NULL, "us-east-1", false, "bucket", "caf\xc3\xa9/\xe6\x97\xa5.jpg",
	  NULL, "https://bucket.s3.us-east-1.amazonaws.com/caf%C3%A9/"
	  "%E6%97%A5.jpg", "bucket.s3.us-east-1.amazonaws.com" },
	{ "http://localhost:9000", "us-east-1", true, "bucket",
	  "a/./../b?c#d", NULL,
	  "http://localhost:9000/bucket/a/%2E/%2E%2E/b%3Fc%23d",
	  "localhost:9000" },
	{ "http://localhost:9000", "us-east-1", false, "bucket", "~x_y-z.",
	  NULL, "http://bucket.localhost:9000/~x_y-z.",
	  "bucket.localhost:9000" },
};

TU_CASE(url_addressing)
{
	for (size_t i = 0; i < sizeof(url_table) / sizeof(url_table[0]); i++) {
		const struct url_case *t = &url_table[i];
		struct s3_conf c;
		char url[1024], host[300], err[128];
		int rc;

		unsetenv("AWS_ENDPOINT_URL_S3");
		unsetenv("AWS_ENDPOINT_URL");
		rc = s3_conf_addr(&c, t->endpoint, t->region, t->path_style,
				  err, sizeof(err));
		if (rc) {
			TU_FAIL_AT("case %zu: s3_conf_addr %d: %s", i, rc, err);
			continue;
		}
		rc = s3_url(&c, t->sign_region ? t->sign_region : c.region,
			    t->bucket, t->key, url, sizeof(url));
		TU_EQ_INT(rc, 0);
		if (strcmp(url, t->url))
			TU_FAIL_AT("case %zu: url %.90s, want %.90s", i, url,
				   t->url);
		TU_EQ_INT(s3_url_host(url, host, sizeof(host)), 0);
		if (strcmp(host, t->host))
			TU_FAIL_AT("case %zu: host %.60s, want %.60s", i, host,
				   t->host);
	}
}

TU_CASE(url_bounds)
{
	struct s3_conf c;
	char url[40], err[128];

	TU_EQ_INT(s3_conf_addr(&c, "http://localhost:9000", "us-east-1",
			       false, err, sizeof(err)), 0);
	TU_EQ_INT(s3_url(&c, c.region, "bucket", "a-key-longer-than-forty-"
			 "bytes-in-the-end", url, sizeof(url)), -ENAMETOOLONG);
	/* an endpoint with a path, query or user part is refused */
	TU_CHECK(s3_conf_addr(&c, "http://localhost:9000/x", "us-east-1",
			      false, err, sizeof(err)) == -EINVAL);
	TU_CHECK(s3_conf_addr(&c, "http://h:1?x", "us-east-1", false, err,
			      sizeof(err)) == -EINVAL);
	TU_CHECK(s3_conf_addr(&c, "http://u@h:1", "us-east-1", false, err,
			      sizeof(err)) == -EINVAL);
	TU_CHECK(s3_conf_addr(&c, "ftp://h", "us-east-1", false, err,
			      sizeof(err)) == -EINVAL);
	/* AWS's endpoint given explicitly is AWS's */
	TU_EQ_INT(s3_conf_addr(&c, "https://s3.eu-west-1.amazonaws.com",
			       "eu-west-1", false, err, sizeof(err)), 0);
	TU_CHECK(c.aws);
	TU_EQ_INT(s3_conf_addr(&c, "http://localhost:1", "eu-west-1", false,
			       err, sizeof(err)), 0);
	TU_CHECK(!c.aws);
}

/* the region of a bucket that S3 named in a refusal (301, 400) */
struct region_case {
	long http;
	const char *hdr, *body_region, *sent;
	const char *want;		/* NULL: not a redirect */
};

static const struct region_case region_table[] = {
	{ 301, "eu-west-1", NULL, "us-east-1", "eu-west-1" },
	{ 301, NULL, "eu-west-1", "us-east-1", "eu-west-1" },
	{ 400, NULL, "ap-south-1", "us-east-1", "ap-south-1" },
	{ 400, "ap-south-1", NULL, "us-east-1", "ap-south-1" },
	{ 307, "eu-west-1", NULL, "us-east-1", "eu-west-1" },
	/* the region already used: nothing to retry */
	{ 400, "us-east-1", NULL, "us-east-1", NULL },
	/* no region named, or not a status that means it */
	{ 301, NULL, NULL, "us-east-1", NULL },
	{ 403, "eu-west-1", NULL, "us-east-1", NULL },
	{ 200, "eu-west-1", NULL, "us-east-1", NULL },
	{ 404, "eu-west-1", NULL, "us-east-1", NULL },
	/* a header that is no region */
	{ 301, "eu west/1", NULL, "us-east-1", NULL },
};

TU_CASE(region_redirect)
{
	for (size_t i = 0; i < sizeof(region_table) / sizeof(region_table[0]);
	     i++) {
		const struct region_case *t = &region_table[i];
		char out[64] = "";
		bool got = s3_region_redirect(t->http, t->hdr, t->body_region,
					      t->sent, out);

		if (got != (t->want != NULL))
			TU_FAIL_AT("case %zu: redirect %d", i, got);
		else if (got && strcmp(out, t->want))
			TU_FAIL_AT("case %zu: region %s, want %s", i, out,
				   t->want);
	}
}

TU_CASE(region_table_per_bucket)
{
	struct s3_conf a, b;
	char err[128], r[64];

	TU_EQ_INT(s3_conf_addr(&a, "http://localhost:9000", "us-east-1",
			       false, err, sizeof(err)), 0);
	TU_EQ_INT(s3_conf_addr(&b, "http://localhost:9001", "us-east-1",
			       false, err, sizeof(err)), 0);
	s3_region_of(&a, "tb", r);
	TU_CHECK(!strcmp(r, "us-east-1"));
	s3_region_learn(&a, "tb", "eu-west-2");
	s3_region_of(&a, "tb", r);
	TU_CHECK(!strcmp(r, "eu-west-2"));
	/* another endpoint's bucket of that name is another bucket */
	s3_region_of(&b, "tb", r);
	TU_CHECK(!strcmp(r, "us-east-1"));
	s3_region_of(&a, "tb2", r);
	TU_CHECK(!strcmp(r, "us-east-1"));
	/* learnt again: replaced, not added */
	s3_region_learn(&a, "tb", "eu-west-1");
	s3_region_of(&a, "tb", r);
	TU_CHECK(!strcmp(r, "eu-west-1"));
	/* more buckets than the table holds: none lost but the oldest */
	for (int i = 0; i < 1000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "many-%d", i);
		s3_region_learn(&a, name, "sa-east-1");
	}
	s3_region_of(&a, "many-999", r);
	TU_CHECK(!strcmp(r, "sa-east-1"));
}

int main(void)
{
	tu_suite = "s3";
	TU_RUN(retry_decision);
	TU_RUN(backoff_cap);
	TU_RUN(jitter_bounds);
	TU_RUN(retry_budget);
	TU_RUN(part_size);
	TU_RUN(mpu_etag);
	TU_RUN(url_addressing);
	TU_RUN(url_bounds);
	TU_RUN(region_redirect);
	TU_RUN(region_table_per_bucket);
	return tu_done();
}
