/* SPDX-License-Identifier: MIT */
/*
 * sigv4.h - AWS Signature Version 4: the canonical request, the string
 * to sign, the signing key and the Authorization header, for the S3
 * client (s3.c) and its unit test.  Only OpenSSL (SHA-256, HMAC).
 *
 * The request is signed as it is sent: the caller builds the path and
 * the query already URI-encoded (sv_uri_encode) and sends exactly those
 * bytes, so nothing between the signer and the server (libcurl) has
 * anything to normalise.  Canonicalisation, as S3 does it:
 *   path   as on the request line, no normalisation ('.', '..' and
 *          empty segments kept, "%XX" kept as is); a byte outside the
 *          unreserved set and '/' is percent-encoded ("/ሴ" and
 *          "/a b" of AWS's test suite); empty is "/".
 *   query  "name=value" pairs split on '&', each name and value
 *          percent-decoded then encoded again (all but A-Z a-z 0-9
 *          '-' '_' '.' '~', upper-case hex; '+' is a plain '+', %2B),
 *          a missing '=' an empty value, sorted by name then value.
 *   headers  names lower-cased, values trimmed with inner runs of
 *          spaces made one, repeated names joined with ',', sorted.
 */
#ifndef TESS_SIGV4_H
#define TESS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

#define SV_UNSIGNED	"UNSIGNED-PAYLOAD"
#define SV_AMZDATE_LEN	16		/* "20150830T123600Z" */

/* a growing NUL-terminated string; oom once set stays set */
struct sv_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

void sv_add(struct sv_buf *b, const void *s, size_t n);
void sv_str(struct sv_buf *b, const char *s);

/* SigV4 URI-encoding of n bytes: unreserved kept, '/' too if keep_slash */
void sv_uri_encode(struct sv_buf *b, const char *s, size_t n, bool keep_slash);

/* hex SHA-256 of len bytes (body NULL: of nothing) */
void sv_sha256_hex(const void *body, size_t len, char out[65]);

struct sv_hdr {
	const char *name;
	const char *value;
};

struct sv_req {
	const char *method;
	const char *path;		/* as sent; "" is "/" */
	const char *query;		/* after the '?', NULL or "" for none */
	const struct sv_hdr *hdrs;	/* the headers to sign, host included */
	int nhdrs;
	const char *payload_hash;	/* hex SHA-256 or SV_UNSIGNED */
};

struct sv_cred {
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *service;		/* "s3" */
};

/*
 * The canonical request into cr, and the signed header list
 * ("host;x-amz-date") into sh.  -ENOMEM or -EINVAL (a header name that
 * is empty or has a ':' or a space, a newline in a value), else 0.
 */
int sv_canonical_request(const struct sv_req *rq, struct sv_buf *cr,
			 struct sv_buf *sh);

/* "AWS4-HMAC-SHA256\nDATE\nSCOPE\nhex(sha256(cr))" */
int sv_string_to_sign(const struct sv_cred *c, const char *amzdate,
		      const char *creq, struct sv_buf *sts);

/* HMAC chain "AWS4"+secret, date (8 digits), region, service, aws4_request */
void sv_signing_key(const struct sv_cred *c, const char *date8,
		    unsigned char key[32]);

/*
 * The value of the Authorization header of rq signed at amzdate
 * (x-amz-date, which must be one of rq's headers already), into auth.
 * cr and sts, if not NULL, get the canonical request and the string to
 * sign (for messages and tests).  0, -ENOMEM or -EINVAL.
 */
int sv_authorization(const struct sv_req *rq, const struct sv_cred *c,
		     const char *amzdate, struct sv_buf *auth,
		     struct sv_buf *cr, struct sv_buf *sts);

/* t (seconds since the epoch, UTC) as "YYYYMMDDTHHMMSSZ" */
void sv_amzdate(long long t, char out[SV_AMZDATE_LEN + 1]);

#endif /* TESS_SIGV4_H */
