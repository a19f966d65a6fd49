/* SPDX-License-Identifier: MIT */
/*
 * s3_creds.h - AWS credentials for the S3 client (s3.c): the standard
 * provider chain of the AWS SDKs, tried in this order, the first that
 * gives credentials wins (issue #13):
 *
 *   1. environment     AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 *                      [, AWS_SESSION_TOKEN]
 *   2. shared files    the profile $AWS_PROFILE (else "default") of
 *                      $AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials),
 *                      then of $AWS_CONFIG_FILE (~/.aws/config, sections
 *                      "[profile NAME]", "[default]")
 *   3. web identity    $AWS_WEB_IDENTITY_TOKEN_FILE and $AWS_ROLE_ARN
 *                      [, $AWS_ROLE_SESSION_NAME]: STS
 *                      AssumeRoleWithWebIdentity (an unsigned POST) at
 *                      $AWS_ENDPOINT_URL_STS (else AWS_STS_ENDPOINT, else
 *                      https://sts.REGION.amazonaws.com)
 *   4. container       $AWS_CONTAINER_CREDENTIALS_FULL_URI, or
 *                      http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
 *                      with the Authorization header of
 *                      $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (EKS Pod
 *                      Identity) or $AWS_CONTAINER_AUTHORIZATION_TOKEN
 *   5. IMDSv2          PUT /latest/api/token, GET
 *                      /latest/meta-data/iam/security-credentials/[ROLE]
 *                      at $AWS_EC2_METADATA_SERVICE_ENDPOINT (else
 *                      http://169.254.169.254); off if
 *                      $AWS_EC2_METADATA_DISABLED=true; 1 s to connect,
 *                      $AWS_METADATA_SERVICE_TIMEOUT (1) s per request
 *
 * A provider that is configured (its variables set) but fails stops the
 * chain with its error, as the SDKs do; one that is not configured is
 * passed over.  The provider that gave the credentials is the one asked
 * again when they are refreshed.
 *
 * Temporary credentials (3, 4, 5, or any with an expiry) are refreshed
 * before they expire: once less than S3_CREDS_REFRESH_S (5 min) or a
 * quarter of their lifetime, whichever is shorter, is left.  A refresh
 * that fails while the old credentials are still valid keeps them.
 * s3.c forces a refresh (once, then retries the request) when S3
 * answers ExpiredToken (a clock ahead of ours, revoked sessions).
 *
 * Thread-safe: a mutex guards the credentials; callers get copies.
 */
#ifndef TESS_S3_CREDS_H
#define TESS_S3_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S3_CREDS_KEY_MAX	255
#define S3_CREDS_TOKEN_MAX	4095
#define S3_CREDS_REFRESH_S	300
#define S3_CREDS_REPLY_MAX	(64 * 1024)	/* biggest provider answer */
#define S3_IMDS_ENDPOINT	"http://169.254.169.254"
#define S3_CONTAINER_HOST	"http://169.254.170.2"

struct s3_creds {
	char access_key[S3_CREDS_KEY_MAX + 1];
	char secret_key[S3_CREDS_KEY_MAX + 1];
	char session_token[S3_CREDS_TOKEN_MAX + 1];	/* may be empty */
	int64_t expires;		/* Unix time; 0: never */
	int64_t obtained;		/* Unix time they were fetched */
	const char *source;		/* "environment", ... (static) */
	uint64_t gen;			/* bumped at every refresh */
};

struct s3_creds_chain;

/*
 * Resolve the chain now.  0 and *out, or a negative errno and err:
 * -ENOKEY "no AWS credentials: tried environment, shared files (profile
 * P), web identity, container, IMDS (why)", or the error of the
 * configured provider that failed.  region: the STS endpoint's.
 */
int s3_creds_chain_new(struct s3_creds_chain **out, const char *region,
		       char *err, size_t errlen);
void s3_creds_chain_free(struct s3_creds_chain *ch);

/*
 * A copy of the current credentials, refreshed first if due.  With
 * stale_gen non-zero: the caller's credentials of that generation were
 * refused as expired, refresh now unless another thread already did.
 * 0, or a negative errno and err (expired and the refresh failed).
 */
int s3_creds_get(struct s3_creds_chain *ch, uint64_t stale_gen,
		 struct s3_creds *out, char *err, size_t errlen);

/* the name of the provider in use ("environment", "IMDS", ...) */
const char *s3_creds_source(struct s3_creds_chain *ch);

/* ---- exposed for the unit tests (tests/unit/test_s3_creds.c) ---- */

/*
 * The profile of a credentials file (sections "[NAME]") or, with
 * is_config, of a config file ("[profile NAME]", and "[default]" for
 * default): 0, -ENOENT (no file, no such profile), -ENOKEY (the profile
 * has no key pair) or -EINVAL (a key or token too long) with err.
 */
int s3_creds_from_file(const char *path, bool is_config,
		       const char *profile, struct s3_creds *c,
		       char *err, size_t errlen);

/*
 * The answer of a container endpoint or of IMDS (len bytes of body, at
 * most S3_CREDS_REPLY_MAX): a JSON object with the strings AccessKeyId,
 * SecretAccessKey, Token and Expiration (other members ignored, "Code"
 * must be "Success" if present; a member given twice: the last one,
 * json-c's rule).  0, or -EINVAL with err (and *c cleared) on malformed
 * JSON, a member that is not a string, a missing field, one too long,
 * a bad Expiration; -ENOMEM.
 */
int s3_creds_parse_json(const char *body, size_t len, struct s3_creds *c,
			char *err, size_t errlen);

/* STS AssumeRoleWithWebIdentity's XML answer (or its ErrorResponse) */
int s3_creds_parse_sts(const char *body, size_t len, struct s3_creds *c,
		       char *err, size_t errlen);

/* "2026-11-30T10:00:00Z", with fractions, "+00:00": Unix time, or -EINVAL */
int s3_creds_parse_time(const char *s, int64_t *t);

/* when credentials are refreshed (0: never) */
int64_t s3_creds_refresh_at(const struct s3_creds *c);

#endif /* TESS_S3_CREDS_H */
