// SPDX-License-Identifier: MIT
/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"

static const char hexu[] = "0123456789ABCDEF";

void sv_add(struct sv_buf *b, const void *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sv_str(struct sv_buf *b, const char *s)
{
	sv_add(b, s, strlen(s));
}

static bool unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
	       ch == '.' || ch == '~';
}

static void pct(struct sv_buf *b, unsigned char ch)
{
	char e[3] = { '%', hexu[ch >> 4], hexu[ch & 15] };

	sv_add(b, e, 3);
}

void sv_uri_encode(struct sv_buf *b, const char *s, size_t n, bool keep_slash)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (unreserved(ch) || (keep_slash && ch == '/'))
			sv_add(b, &s[i], 1);
		else
			pct(b, ch);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void hex_lower(const unsigned char *md, size_t n, char *out)
{
	static const char hexl[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexl[md[i] >> 4];
		out[2 * i + 1] = hexl[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void sv_sha256_hex(const void *body, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(body ? body : "", len, md, &n, EVP_sha256(), NULL);
	hex_lower(md, 32, out);
}

/* the path as sent, with what is neither unreserved, '/' nor "%XX" encoded */
static void canon_path(struct sv_buf *b, const char *p)
{
	size_t n = strlen(p);

	if (!n) {
		sv_str(b, "/");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (unreserved(ch) || ch == '/' ||
		    (ch == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 &&
		     hexval(p[i + 2]) >= 0))
			sv_add(b, &p[i], 1);
		else
			pct(b, ch);
	}
}

/* percent-decode then encode n bytes of a query name or value */
static void canon_qpart(struct sv_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			ch = (unsigned char)(hexval(s[i + 1]) << 4 |
					     hexval(s[i + 2]));
			i += 2;
		}
		if (unreserved(ch))
			sv_add(b, &ch, 1);
		else
			pct(b, ch);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The canonical query: each pair canonicalised as "name=value" into its
 * own string, sorted.  Sorting whole "name=value" strings orders by name
 * then value, since '=' sorts below every encoded character.
 */
static int canon_query(struct sv_buf *b, const char *q)
{
	struct sv_buf one = { 0 };
	char **pairs = NULL;
	size_t np = 0, cap = 0;
	int rc = 0;

	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t nl = eq ? (size_t)(eq - q) : len;

		if (len) {
			one.len = 0;
			canon_qpart(&one, q, nl);
			sv_add(&one, "=", 1);
			if (eq)
				canon_qpart(&one, eq + 1, len - nl - 1);
			if (np == cap) {
				char **p;

				cap = cap ? cap * 2 : 8;
				p = realloc(pairs, cap * sizeof(*pairs));
				if (!p) {
					rc = -ENOMEM;
					break;
				}
				pairs = p;
			}
			if (one.oom || !(pairs[np] = strdup(one.p))) {
				rc = -ENOMEM;
				break;
			}
			np++;
		}
		q = amp ? amp + 1 : NULL;
	}
	if (!rc) {
		qsort(pairs, np, sizeof(*pairs), cmp_str);
		for (size_t i = 0; i < np; i++) {
			if (i)
				sv_add(b, "&", 1);
			sv_str(b, pairs[i]);
		}
	}
	for (size_t i = 0; i < np; i++)
		free(pairs[i]);
	free(pairs);
	free(one.p);
	return rc;
}

struct hline {
	char *name;
	const char *value;
	int order;
};

static int cmp_hline(const void *a, const void *b)
{
	const struct hline *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->order - y->order;
}

/* value trimmed, runs of spaces and tabs made one space */
static void canon_value(struct sv_buf *b, const char *v)
{
	bool sp = false, any = false;

	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			sp = any;
			continue;
		}
		if (sp)
			sv_add(b, " ", 1);
		sp = false;
		any = true;
		sv_add(b, v, 1);
	}
}

int sv_canonical_request(const struct sv_req *rq, struct sv_buf *cr,
			 struct sv_buf *sh)
{
	struct hline *h;
	int rc = 0;

	cr->len = 0;
	sh->len = 0;
	sv_add(sh, "", 0);
	h = calloc(rq->nhdrs ? rq->nhdrs : 1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (int i = 0; i < rq->nhdrs && !rc; i++) {
		const char *n = rq->hdrs[i].name;

		if (!*n || strpbrk(n, ": \t\r\n") ||
		    strpbrk(rq->hdrs[i].value, "\r\n")) {
			rc = -EINVAL;
			break;
		}
		h[i].name = strdup(n);
		if (!h[i].name) {
			rc = -ENOMEM;
			break;
		}
		for (char *p = h[i].name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
		h[i].value = rq->hdrs[i].value;
		h[i].order = i;
	}
	if (rc)
		goto out;
	qsort(h, rq->nhdrs, sizeof(*h), cmp_hline);

	sv_str(cr, rq->method);
	sv_add(cr, "\n", 1);
	canon_path(cr, rq->path ? rq->path : "");
	sv_add(cr, "\n", 1);
	rc = canon_query(cr, rq->query);
	if (rc)
		goto out;
	sv_add(cr, "\n", 1);
	for (int i = 0; i < rq->nhdrs; i++) {
		bool same = i && !strcmp(h[i].name, h[i - 1].name);

		if (same) {
			sv_add(cr, ",", 1);
		} else {
			if (i) {
				sv_add(cr, "\n", 1);
				sv_add(sh, ";", 1);
			}
			sv_str(cr, h[i].name);
			sv_add(cr, ":", 1);
			sv_str(sh, h[i].name);
		}
		canon_value(cr, h[i].value);
	}
	if (rq->nhdrs)
		sv_add(cr, "\n", 1);
	sv_add(cr, "\n", 1);
	sv_add(cr, sh->p ? sh->p : "", sh->len);
	sv_add(cr, "\n", 1);
	sv_str(cr, rq->payload_hash ? rq->payload_hash : SV_UNSIGNED);
	if (cr->oom || sh->oom)
		rc = -ENOMEM;
out:
	for (int i = 0; i < rq->nhdrs; i++)
		free(h[i].name);
	free(h);
	return rc;
}

static void scope(struct sv_buf *b, const struct sv_cred *c,
		  const char *amzdate)
{
	sv_add(b, amzdate, 8);
	sv_add(b, "/", 1);
	sv_str(b, c->region);
	sv_add(b, "/", 1);
	sv_str(b, c->service);
	sv_str(b, "/aws4_request");
}

int sv_string_to_sign(const struct sv_cred *c, const char *amzdate,
		      const char *creq, struct sv_buf *sts)
{
	char hash[65];

	if (strlen(amzdate) != SV_AMZDATE_LEN)
		return -EINVAL;
	sts->len = 0;
	sv_sha256_hex(creq, strlen(creq), hash);
	sv_str(sts, "AWS4-HMAC-SHA256\n");
	sv_str(sts, amzdate);
	sv_add(sts, "\n", 1);
	scope(sts, c, amzdate);
	sv_add(sts, "\n", 1);
	sv_str(sts, hash);
	return sts->oom ? -ENOMEM : 0;
}

static void hmac(const void *key, size_t klen, const char *msg,
		 unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	     strlen(msg), out, &n);
}

void sv_signing_key(const struct sv_cred *c, const char *date8,
		    unsigned char key[32])
{
	char first[300], d[9];
	unsigned char k[32];

	snprintf(first, sizeof(first), "AWS4%s", c->secret_key);
	snprintf(d, sizeof(d), "%.8s", date8);
	hmac(first, strlen(first), d, k);
	hmac(k, 32, c->region, k);
	hmac(k, 32, c->service, k);
	hmac(k, 32, "aws4_request", key);
	memset(first, 0, sizeof(first));
}

int sv_authorization(const struct sv_req *rq, const struct sv_cred *c,
		     const char *amzdate, struct sv_buf *auth,
		     struct sv_buf *cr, struct sv_buf *sts)
{
	struct sv_buf mycr = { 0 }, mysts = { 0 }, sh = { 0 };
	unsigned char key[32], sig[32];
	char hex[65];
	int rc;

	if (!cr)
		cr = &mycr;
	if (!sts)
		sts = &mysts;
	rc = sv_canonical_request(rq, cr, &sh);
	if (!rc)
		rc = sv_string_to_sign(c, amzdate, cr->p, sts);
	if (!rc) {
		sv_signing_key(c, amzdate, key);
		hmac(key, 32, sts->p, sig);
		hex_lower(sig, 32, hex);
		auth->len = 0;
		sv_str(auth, "AWS4-HMAC-SHA256 Credential=");
		sv_str(auth, c->access_key);
		sv_add(auth, "/", 1);
		scope(auth, c, amzdate);
		sv_str(auth, ", SignedHeaders=");
		sv_str(auth, sh.p);
		sv_str(auth, ", Signature=");
		sv_str(auth, hex);
		if (auth->oom)
			rc = -ENOMEM;
		memset(key, 0, sizeof(key));
	}
	free(mycr.p);
	free(mysts.p);
	free(sh.p);
	return rc;
}

void sv_amzdate(long long t, char out[SV_AMZDATE_LEN + 1])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, SV_AMZDATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}
