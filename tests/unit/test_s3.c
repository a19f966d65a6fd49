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

int main(void)
{
	tu_suite = "s3";
	TU_RUN(retry_decision);
	TU_RUN(backoff_cap);
	TU_RUN(jitter_bounds);
	TU_RUN(retry_budget);
	TU_RUN(part_size);
	TU_RUN(mpu_etag);
	return tu_done();
}
