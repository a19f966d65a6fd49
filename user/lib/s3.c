// SPDX-License-Identifier: MIT
/*
 * s3.c - the S3 client of the HSM (see s3.h).
 *
 * Requests are signed here (sigv4.c), not by libcurl: the URL is built
 * already canonical (path segments and query values URI-encoded as
 * SigV4 encodes them, '/' kept in keys, query parameters sorted) and is
 * sent exactly as signed, so neither curl's path handling nor its
 * query canonicalisation (curl 8 treats '+' differently) can make the
 * request differ from its signature.  The only byte curl would still
 * change, a "." or ".." path segment, is sent as %2E (and so signed).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "s3.h"
#include "sigv4.h"

#define ERRBODY_MAX	(16 * 1024)
#define XML_MAX		(64 * 1024 * 1024)

/* ---- setup ---- */

static pthread_key_t curl_key;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_free_tls(void *p)
{
	curl_easy_cleanup(p);
}

static void curl_key_init(void)
{
	pthread_key_create(&curl_key, curl_free_tls);
}

int s3_global_init(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -EIO;
	xmlInitParser();
	pthread_once(&curl_once, curl_key_init);
	/*
	 * OpenSSL 3 loads its configuration and providers on the first
	 * digest of the process, which under QEMU TCG took half a second:
	 * pay for it here, not in the first restore a reader waits for.
	 * (SigV4 signing, sigv4.c, is SHA-256 and HMAC-SHA256.)
	 */
	EVP_Digest("", 0, md, &n, EVP_sha256(), NULL);
	return 0;
}

/* this thread's handle, reset for a new request */
static CURL *thread_curl(void)
{
	CURL *h;

	pthread_once(&curl_once, curl_key_init);
	h = pthread_getspecific(curl_key);
	if (h) {
		curl_easy_reset(h);
		return h;
	}
	h = curl_easy_init();
	if (h)
		pthread_setspecific(curl_key, h);
	return h;
}

static void cpy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static bool region_ok(const char *r)
{
	size_t n = strlen(r);

	if (!n || n > S3_REGION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)r[i]) &&
		    !isdigit((unsigned char)r[i]) && r[i] != '-')
			return false;
	return true;
}

/* "s3.amazonaws.com", "s3.REGION.amazonaws.com", "s3-REGION.amazonaws.com" */
static bool aws_host(const char *h, size_t n)
{
	static const char tail[] = ".amazonaws.com";
	size_t tl = sizeof(tail) - 1;

	if (n <= tl || strncasecmp(h + n - tl, tail, tl))
		return false;
	n -= tl;
	if (n == 2 && !strncasecmp(h, "s3", 2))
		return true;
	if (n < 4 || strncasecmp(h, "s3", 2) || (h[2] != '.' && h[2] != '-'))
		return false;
	for (size_t i = 3; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-')
			return false;
	return true;
}

int s3_conf_addr(struct s3_conf *c, const char *endpoint, const char *region,
		 bool path_style, char *err, size_t errlen)
{
	const char *h;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->path_style = path_style;
	if (!region || !*region)
		region = getenv("AWS_REGION");
	if (!region || !*region)
		region = getenv("AWS_DEFAULT_REGION");
	if (!region || !*region)
		region = "us-east-1";
	if (!region_ok(region)) {
		snprintf(err, errlen, "bad region '%s'", region);
		return -EINVAL;
	}
	cpy(c->region, sizeof(c->region), region);
	if (!endpoint || !*endpoint)
		endpoint = getenv("AWS_ENDPOINT_URL_S3");
	if (!endpoint || !*endpoint)
		endpoint = getenv("AWS_ENDPOINT_URL");
	if (!endpoint || !*endpoint) {
		snprintf(c->endpoint, sizeof(c->endpoint),
			 "https://s3.%s.amazonaws.com", c->region);
		c->aws = true;
		return 0;
	}
	if (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8)) {
		snprintf(err, errlen, "endpoint '%s': not http:// or https://",
			 endpoint);
		return -EINVAL;
	}
	if (strlen(endpoint) >= sizeof(c->endpoint)) {
		snprintf(err, errlen, "endpoint too long");
		return -EINVAL;
	}
	cpy(c->endpoint, sizeof(c->endpoint), endpoint);
	n = strlen(c->endpoint);
	while (n > 8 && c->endpoint[n - 1] == '/')
		c->endpoint[--n] = '\0';
	h = strstr(c->endpoint, "://") + 3;
	if (!*h || strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789.-:[]") != strlen(h)) {
		snprintf(err, errlen, "endpoint '%s': SCHEME://HOST[:PORT] "
			 "only, no path, query or user", endpoint);
		return -EINVAL;
	}
	n = *h == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":");
	c->aws = !strncmp(c->endpoint, "https://", 8) && aws_host(h, n);
	return 0;
}

int s3_conf_at(const struct s3_conf *base, const char *endpoint,
	       const char *region, bool path_style, struct s3_conf *out,
	       char *err, size_t errlen)
{
	struct s3_conf t;
	int rc;

	*out = *base;
	rc = s3_conf_addr(&t, *endpoint ? endpoint : base->endpoint,
			  *region ? region : base->region,
			  base->path_style || path_style, err, errlen);
	if (rc)
		return rc;
	memcpy(out->endpoint, t.endpoint, sizeof(out->endpoint));
	memcpy(out->region, t.region, sizeof(out->region));
	out->aws = t.aws;
	out->path_style = t.path_style;
	return 0;
}

int s3_conf_init(struct s3_conf *c, const char *endpoint, const char *region,
		 int timeout_s, char *err, size_t errlen)
{
	int rc = s3_conf_addr(c, endpoint, region, false, err, errlen);

	if (rc)
		return rc;
	c->timeout_s = timeout_s > 0 ? timeout_s : 20;
	return s3_creds_chain_new(&c->creds, c->region, err, errlen);
}

/* ---- the regions learnt ---- */

#define REGION_SLOTS	256

static struct {
	uint64_t ep;			/* hash of the endpoint */
	char bucket[64];
	char region[S3_REGION_MAX + 1];
} region_tab[REGION_SLOTS];
static unsigned region_next;
static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h ? h : 1;
}

/* AWS's endpoint is one whatever its region: key it by "aws" */
static uint64_t ep_key(const struct s3_conf *c)
{
	return fnv(c->aws ? "aws" : c->endpoint);
}

static int region_find(uint64_t ep, const char *bucket)
{
	for (int i = 0; i < REGION_SLOTS; i++)
		if (region_tab[i].ep == ep &&
		    !strcmp(region_tab[i].bucket, bucket))
			return i;
	return -1;
}

void s3_region_of(const struct s3_conf *c, const char *bucket,
		  char out[S3_REGION_MAX + 1])
{
	int i;

	cpy(out, S3_REGION_MAX + 1, c->region);
	if (strlen(bucket) >= sizeof(region_tab[0].bucket))
		return;
	pthread_mutex_lock(&region_lock);
	i = region_find(ep_key(c), bucket);
	if (i >= 0)
		cpy(out, S3_REGION_MAX + 1, region_tab[i].region);
	pthread_mutex_unlock(&region_lock);
}

void s3_region_learn(const struct s3_conf *c, const char *bucket,
		     const char *region)
{
	uint64_t ep = ep_key(c);
	int i;

	if (strlen(bucket) >= sizeof(region_tab[0].bucket) ||
	    !region_ok(region))
		return;
	pthread_mutex_lock(&region_lock);
	i = region_find(ep, bucket);
	if (i < 0) {
		i = (int)(region_next++ % REGION_SLOTS);
		region_tab[i].ep = ep;
		cpy(region_tab[i].bucket, sizeof(region_tab[i].bucket), bucket);
	}
	cpy(region_tab[i].region, sizeof(region_tab[i].region), region);
	pthread_mutex_unlock(&region_lock);
}

bool s3_region_redirect(long http, const char *hdr, const char *body_region,
			const char *sent, char out[S3_REGION_MAX + 1])
{
	const char *r = hdr && *hdr ? hdr : body_region;

	if (http != 301 && http != 307 && http != 400)
		return false;
	if (!r || !region_ok(r) || (sent && !strcmp(r, sent)))
		return false;
	cpy(out, S3_REGION_MAX + 1, r);
	return true;
}

/* ---- URLs ---- */

/*
 * A key as a URL path: URI-encoded with '/' kept, and the dots of a "."
 * or ".." segment as %2E, which curl would otherwise squash (S3 keys
 * are opaque: "a/../b" is a key of its own).
 */
static void sb_key(struct sv_buf *b, const char *key)
{
	const char *seg = key;

	for (;;) {
		const char *sl = strchr(seg, '/');
		size_t n = sl ? (size_t)(sl - seg) : strlen(seg);

		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			sv_str(b, n == 1 ? "%2E" : "%2E%2E");
		else
			sv_uri_encode(b, seg, n, false);
		if (!sl)
			break;
		sv_str(b, "/");
		seg = sl + 1;
	}
}

static bool is_ipv4(const char *h, size_t n)
{
	int dots = 0;

	for (size_t i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (!isdigit((unsigned char)h[i]))
			return false;
	}
	return dots == 3;
}

bool s3_bucket_virtual_ok(const char *bucket, bool https)
{
	size_t n = strlen(bucket);

	if (n < 3 || n > 63 || is_ipv4(bucket, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = bucket[i];

		if (ch == '.') {
			if (https || i == 0 || i == n - 1 ||
			    bucket[i + 1] == '.' || bucket[i - 1] == '-' ||
			    bucket[i + 1] == '-')
				return false;
		} else if (ch == '-') {
			if (i == 0 || i == n - 1)
				return false;
		} else if (!islower((unsigned char)ch) &&
			   !isdigit((unsigned char)ch)) {
			return false;
		}
	}
	return true;
}

/* the URL of c, bucket, key for region into b (see s3_url) */
static void url_base(struct sv_buf *b, const struct s3_conf *c,
		     const char *region, const char *bucket, const char *key)
{
	char ep[sizeof(c->endpoint)];
	const char *h;
	size_t hl;
	bool https, ip;

	if (c->aws)
		snprintf(ep, sizeof(ep), "https://s3.%s.amazonaws.com", region);
	else
		cpy(ep, sizeof(ep), c->endpoint);
	https = !strncmp(ep, "https://", 8);
	h = strstr(ep, "://");
	h = h ? h + 3 : ep;
	hl = *h == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/");
	ip = *h == '[' || is_ipv4(h, hl);
	if (!c->path_style && !ip && s3_bucket_virtual_ok(bucket, https)) {
		sv_add(b, ep, (size_t)(h - ep));
		sv_str(b, bucket);
		sv_str(b, ".");
		sv_str(b, h);
	} else {
		sv_str(b, ep);
		sv_str(b, "/");
		sv_uri_encode(b, bucket, strlen(bucket), false);
	}
	sv_str(b, "/");
	if (key)
		sb_key(b, key);
}

int s3_url(const struct s3_conf *c, const char *region, const char *bucket,
	   const char *key, char *url, size_t cap)
{
	struct sv_buf b = { 0 };
	int rc = 0;

	url_base(&b, c, region, bucket, key);
	if (b.oom)
		rc = -ENOMEM;
	else if (b.len >= cap)
		rc = -ENAMETOOLONG;
	else
		memcpy(url, b.p, b.len + 1);
	free(b.p);
	return rc;
}

int s3_url_host(const char *url, char *host, size_t cap)
{
	const char *h = strstr(url, "://");
	size_t n;

	if (!h)
		return -EINVAL;
	h += 3;
	n = strcspn(h, "/?");
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

/* ---- one request ---- */

struct req {
	const char *method;		/* GET HEAD PUT POST DELETE */
	const char *url;
	const char *region;		/* signed for */
	const void *body;		/* PUT/POST */
	size_t body_len;
	const char *range;		/* "a-b" */
	const char *if_match;		/* GET: the reply's ETag */
	const struct s3_cond *cond;	/* PUT, POST: a conditional write */
	bool error_in_200;		/* a 200 reply may be an <Error> */
	/* reply body: into a fixed buffer (GET) or a growing one */
	void *dst;
	size_t dst_len;
	struct sv_buf *out;
	struct land *land;		/* GET: told as dst fills (s3_get_land) */
};

/* s3_get_land's caller, told as the reply lands; kept across attempts */
struct land {
	s3_land_fn fn;
	void *arg;
	size_t every;
	size_t done;			/* bytes fn was told of */
	int rc;				/* fn's error: the GET ends with it */
};

struct xfer {
	const struct req *rq;
	size_t got;
	bool overflow;
	struct sv_buf err;		/* error body */
	long http;
	char bregion[S3_REGION_MAX + 1];	/* x-amz-bucket-region */
	struct s3_res *r;
};

/*
 * Whether the bytes of dst so far are the object's bytes asked for: a 2xx
 * reply of exactly the range (a server that ignored Range answers 200
 * with more, which only off 0 and the whole object can match) with the
 * ETag asked for, if any (a server that ignores If-Match).
 */
static bool landable(const struct xfer *x)
{
	const struct req *rq = x->rq;

	return (x->http == 206 || x->http == 200) &&
	       x->r->size == rq->dst_len &&
	       !(rq->if_match && strcmp(x->r->etag, rq->if_match));
}

/* tell the caller of what landed in dst: false to end the transfer */
static bool tell_landed(struct xfer *x)
{
	struct land *l = x->rq->land;

	if (x->got < l->done + l->every || !landable(x))
		return true;
	l->rc = l->fn(l->arg, x->got);
	if (l->rc)
		return false;
	l->done = x->got;
	return true;
}

static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm;

	if (x->http == 0 || x->http >= 300) {
		/* collect an error body (http is set by the header callback) */
		if (x->err.len + n <= ERRBODY_MAX)
			sv_add(&x->err, p, n);
		return n;
	}
	if (x->rq->dst) {
		if (x->got + n > x->rq->dst_len) {
			x->overflow = true;
			return 0;
		}
		memcpy((char *)x->rq->dst + x->got, p, n);
		x->got += n;
		if (x->rq->land && !tell_landed(x))
			return 0;
		return n;
	} else if (x->rq->out) {
		if (x->rq->out->len + n > XML_MAX) {
			x->overflow = true;
			return 0;
		}
		sv_add(x->rq->out, p, n);
		if (x->rq->out->oom)
			return 0;
	}
	x->got += n;
	return n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm;
	char line[512];
	size_t l = n < sizeof(line) - 1 ? n : sizeof(line) - 1;

	memcpy(line, p, l);
	line[l] = '\0';
	rstrip(line);
	if (!strncmp(line, "HTTP/", 5)) {
		char *sp = strchr(line, ' ');

		/* a new response (100 Continue, redirects): start over */
		x->http = sp ? strtol(sp + 1, NULL, 10) : 0;
		x->r->etag[0] = '\0';
		x->r->size = 0;
		x->bregion[0] = '\0';
		return n;
	}
	if (!strncasecmp(line, "x-amz-bucket-region:", 20)) {
		const char *v = line + 20;

		while (*v == ' ')
			v++;
		cpy(x->bregion, sizeof(x->bregion), v);
		return n;
	}
	if (!strncasecmp(line, "etag:", 5)) {
		char *v = line + 5;
		size_t vl;

		while (*v == ' ')
			v++;
		if (*v == '"')
			v++;
		vl = strlen(v);
		if (vl && v[vl - 1] == '"')
			v[--vl] = '\0';
		cpy(x->r->etag, sizeof(x->r->etag), v);
	} else if (!strncasecmp(line, "content-length:", 15)) {
		x->r->size = strtoull(line + 15, NULL, 10);
	} else if (!strncasecmp(line, "last-modified:", 14)) {
		struct tm tm;
		const char *v = line + 14;

		while (*v == ' ')
			v++;
		memset(&tm, 0, sizeof(tm));
		if (strptime(v, "%a, %d %b %Y %H:%M:%S", &tm))
			x->r->mtime_sec = timegm(&tm);
	}
	return n;
}

/* text between <tag> and </tag> in an XML error body */
static void xml_field(const char *body, const char *tag, char *out, size_t cap)
{
	char open[64], close[64];
	const char *a, *b;

	out[0] = '\0';
	if (!body)
		return;
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(body, open);
	if (!a)
		return;
	a += strlen(open);
	b = strstr(a, close);
	if (!b)
		return;
	snprintf(out, cap, "%.*s", (int)(b - a), a);
}

static bool retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

/* S3's (and the AWS SDKs') transient and throttling error codes */
static const char *const retry_codes[] = {
	"RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable",
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottled", "RequestThrottledException", "TooManyRequests",
	"RequestLimitExceeded", "BandwidthLimitExceeded",
	"PriorRequestNotComplete",
};
#define NRETRY_CODES	(sizeof(retry_codes) / sizeof(retry_codes[0]))

static bool retryable_code(const char *code)
{
	if (!code || !*code)
		return false;
	for (size_t i = 0; i < NRETRY_CODES; i++)
		if (!strcmp(code, retry_codes[i]))
			return true;
	return false;
}

bool s3_retryable(long http, const char *code, int curl_code)
{
	if (curl_code != CURLE_OK)
		return retryable_curl((CURLcode)curl_code);
	if (retryable_code(code))
		return true;
	switch (http) {
	case 429:
	case 500:
	case 502:
	case 503:
	case 504:
		return true;
	default:
		return false;
	}
}

int64_t s3_backoff_cap_ms(int retry)
{
	int64_t cap = S3_BACKOFF0_MS;

	for (int i = 1; i < retry && cap < S3_BACKOFF_MAX_MS; i++)
		cap *= 2;
	return cap < S3_BACKOFF_MAX_MS ? cap : S3_BACKOFF_MAX_MS;
}

int64_t s3_jitter_ms(int retry, uint64_t rnd)
{
	return (int64_t)(rnd % (uint64_t)(s3_backoff_cap_ms(retry) + 1));
}

/* this thread's random numbers (xorshift64*, seeded from the clock) */
static uint64_t rand64(void)
{
	static _Thread_local uint64_t s;

	if (!s) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		    (uint64_t)(uintptr_t)&s ^ (uint64_t)getpid() << 40;
		s |= 1;
	}
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 0x2545F4914F6CDD1Dull;
}

static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;
static struct s3_budget budget = { .tokens = S3_RETRY_TOKENS };

struct s3_budget *s3_budget_global(void)
{
	return &budget;
}

bool s3_budget_take(struct s3_budget *b, int cost)
{
	bool ok;

	pthread_mutex_lock(&budget_lock);
	ok = b->tokens >= cost;
	if (ok)
		b->tokens -= cost;
	pthread_mutex_unlock(&budget_lock);
	return ok;
}

void s3_budget_success(struct s3_budget *b, int cost)
{
	pthread_mutex_lock(&budget_lock);
	b->tokens += cost > 0 ? cost : 1;
	if (b->tokens > S3_RETRY_TOKENS)
		b->tokens = S3_RETRY_TOKENS;
	pthread_mutex_unlock(&budget_lock);
}

uint64_t s3_part_size(uint64_t size)
{
	uint64_t ps = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;

	ps = (ps + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
	if (ps < S3_PART_MIN)
		ps = S3_PART_MIN;
	return ps > S3_PART_MAX ? S3_PART_MAX : ps;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static void hex(const unsigned char *md, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

int s3_mpu_etag(int nparts, char (*etags)[S3_ETAG_MAX + 1],
		char out[S3_ETAG_MAX + 1])
{
	unsigned char *bin, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char h[33];

	if (nparts < 1)
		return -EINVAL;
	bin = malloc((size_t)nparts * 16);
	if (!bin)
		return -ENOMEM;
	for (int p = 0; p < nparts; p++) {
		if (strlen(etags[p]) != 32)
			goto bad;
		for (int i = 0; i < 16; i++) {
			const char *x = etags[p] + 2 * i;
			int a = hexval(x[0]), b = hexval(x[1]);

			if (a < 0 || b < 0)
				goto bad;
			bin[p * 16 + i] = (unsigned char)(a << 4 | b);
		}
	}
	EVP_Digest(bin, (size_t)nparts * 16, md, &mdlen, EVP_md5(), NULL);
	free(bin);
	hex(md, 16, h);
	snprintf(out, S3_ETAG_MAX + 1, "%s-%d", h, nparts);
	return 0;
bad:
	free(bin);
	return -EINVAL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int http_errno(long http)
{
	switch (http) {
	case 404:
		return -ENOENT;
	case 401:
	case 403:
		return -EACCES;
	case 412:
		return -ESTALE;
	case 416:
		return -ERANGE;
	default:
		return -EIO;
	}
}

/*
 * The headers of one attempt, signed now (x-amz-date changes between
 * attempts): Host, x-amz-date, x-amz-content-sha256 (the body's SHA-256,
 * which S3 checks), the session token, Range, If-Match, If-None-Match
 * and Content-Type are all signed; "Expect:" (none) is not a header
 * sent.  -ENOMEM, or -EINVAL if the URL is not
 * SCHEME://HOST/PATH[?QUERY] or a value cannot be a header (a newline
 * in the session token).
 */
static int signed_headers(const struct s3_conf *c, const struct s3_creds *k,
			  const struct req *rq, const char *sha,
			  struct curl_slist **out, char *msg, size_t msglen)
{
	struct sv_cred cred = { .access_key = k->access_key,
				.secret_key = k->secret_key,
				.region = rq->region, .service = "s3" };
	const char *host = strstr(rq->url, "://"), *path, *q;
	char amzdate[SV_AMZDATE_LEN + 1], range[80], ifm[S3_ETAG_MAX + 4];
	const char *etag_match = rq->if_match;
	char *hostv = NULL, *pathv = NULL;
	struct sv_hdr hv[10];
	struct sv_buf auth = { 0 }, line = { 0 };
	struct sv_req sr = { .method = rq->method, .hdrs = hv,
			     .payload_hash = sha };
	struct curl_slist *hl = NULL, *t;
	int n = 0, rc;

	(void)c;
	*out = NULL;
	if (!host) {
		snprintf(msg, msglen, "bad URL %s", rq->url);
		return -EINVAL;
	}
	host += 3;
	path = host + strcspn(host, "/?");
	q = strchr(path, '?');
	hostv = strndup(host, (size_t)(path - host));
	pathv = strndup(path, q ? (size_t)(q - path) : strlen(path));
	if (!hostv || !pathv)
		goto oom;
	sr.path = pathv;
	sr.query = q ? q + 1 : NULL;
	sv_amzdate(time(NULL), amzdate);
	hv[n++] = (struct sv_hdr){ "Host", hostv };
	hv[n++] = (struct sv_hdr){ "x-amz-date", amzdate };
	hv[n++] = (struct sv_hdr){ "x-amz-content-sha256", sha };
	if (k->session_token[0])
		hv[n++] = (struct sv_hdr){ "x-amz-security-token",
					   k->session_token };
	if (rq->range) {
		snprintf(range, sizeof(range), "bytes=%s", rq->range);
		hv[n++] = (struct sv_hdr){ "Range", range };
	}
	if (rq->cond && rq->cond->if_match)
		etag_match = rq->cond->if_match;
	if (etag_match) {
		snprintf(ifm, sizeof(ifm), "\"%s\"", etag_match);
		hv[n++] = (struct sv_hdr){ "If-Match", ifm };
	}
	if (rq->cond && rq->cond->if_none_match)
		hv[n++] = (struct sv_hdr){ "If-None-Match", "*" };
	if (!strcmp(rq->method, "PUT") || !strcmp(rq->method, "POST"))
		hv[n++] = (struct sv_hdr){ "Content-Type",
					   "application/octet-stream" };
	sr.nhdrs = n;
	rc = sv_authorization(&sr, &cred, amzdate, &auth, NULL, NULL);
	if (rc == -ENOMEM)
		goto oom;
	if (rc) {
		snprintf(msg, msglen, "cannot sign the request: %s",
			 strerror(-rc));
		goto out;
	}
	/* the signed headers, then Authorization (i == n) */
	hl = curl_slist_append(NULL, "Expect:");
	for (int i = 0; i <= n && hl; i++) {
		line.len = 0;
		sv_str(&line, i < n ? hv[i].name : "Authorization");
		sv_str(&line, ": ");
		sv_str(&line, i < n ? hv[i].value : auth.p);
		t = line.oom ? NULL : curl_slist_append(hl, line.p);
		if (!t)
			curl_slist_free_all(hl);
		hl = t;
	}
	if (!hl)
		goto oom;
	*out = hl;
	goto out;
oom:
	snprintf(msg, msglen, "out of memory");
	rc = -ENOMEM;
out:
	free(hostv);
	free(pathv);
	free(auth.p);
	free(line.p);
	return rc;
}

static void setup_handle(CURL *h, const struct s3_conf *c,
			 const struct req *rq, struct xfer *x,
			 struct curl_slist *hl, int64_t left)
{
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(left < 5000 ? left : 5000));
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
			 (long)(c->timeout_s < 10 ? c->timeout_s : 10));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_VERBOSE, c->verbose > 1 ? 1L : 0L);
	if (!strcmp(rq->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(rq->method, "PUT") || !strcmp(rq->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
				 rq->body ? rq->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)rq->body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	} else if (strcmp(rq->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
}

/* "HTTP 503 SlowDown: Please reduce..." from an <Error> body */
static void error_msg(struct s3_res *r, long http, const char *body,
		      const char *what, char *code, size_t codelen)
{
	char msg[200];

	xml_field(body, "Code", code, codelen);
	xml_field(body, "Message", msg, sizeof(msg));
	snprintf(r->msg, sizeof(r->msg), "HTTP %ld%s%s%s%s%s", http, what,
		 code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
}

/* a 2xx reply: 0, or what is wrong with it (*retry if worth another) */
static int check_2xx(const struct req *rq, const struct xfer *x,
		     struct s3_res *r, bool *retry)
{
	char code[64];

	r->size = rq->dst ? x->got : r->size;
	if (rq->dst && rq->if_match && r->etag[0] &&
	    strcmp(r->etag, rq->if_match)) {
		/* a server that ignores If-Match */
		snprintf(r->msg, sizeof(r->msg), "ETag is now %s, not %s",
			 r->etag, rq->if_match);
		return -ESTALE;
	}
	if (rq->dst && x->got != rq->dst_len) {
		snprintf(r->msg, sizeof(r->msg),
			 "short reply: %zu of %zu bytes", x->got, rq->dst_len);
		*retry = true;
		return -EIO;
	}
	/* CompleteMultipartUpload: "200 OK" then, later, an <Error> */
	if (rq->error_in_200 && rq->out && rq->out->p &&
	    strstr(rq->out->p, "<Error>")) {
		error_msg(r, x->http, rq->out->p, " with an error:", code,
			  sizeof(code));
		*retry = s3_retryable(x->http, code, CURLE_OK);
		return -EIO;
	}
	return 0;
}

/*
 * Whether S3 refused the credentials as expired: ExpiredToken (400),
 * and the like; or, for temporary credentials, a 400 or 403 without a
 * body to tell (a HEAD).
 */
bool s3_expired_creds(long http, const char *code, bool temporary)
{
	if (code && (!strcmp(code, "ExpiredToken") ||
		     !strcmp(code, "ExpiredTokenException") ||
		     !strcmp(code, "TokenRefreshRequired")))
		return true;
	return temporary && (!code || !*code) && (http == 400 || http == 403);
}

/*
 * One attempt: 0, or a negative errno with r->msg, *retry if it is
 * worth another, *timedout if it was a time-out, and *expired if S3
 * refused the credentials of generation *gen as expired.  stale_gen:
 * see s3_creds_get().
 */
static int attempt(const struct s3_conf *c, const struct req *rq,
		   const char *sha, int64_t deadline, struct s3_res *r,
		   bool *retry, bool *timedout, uint64_t stale_gen,
		   uint64_t *gen, bool *expired)
{
	struct curl_slist *hl = NULL;
	struct xfer x = { .rq = rq, .r = r };
	int64_t left = deadline - now_ms();
	struct s3_creds k;
	char code[64] = "";
	CURLcode cc;
	CURL *h;
	int rc;

	*retry = *timedout = *expired = false;
	if (left < 100)
		left = 100;
	if (!c->creds) {
		snprintf(r->msg, sizeof(r->msg), "no AWS credentials");
		return -ENOKEY;
	}
	rc = s3_creds_get(c->creds, stale_gen, &k, r->msg, sizeof(r->msg));
	if (rc)
		return rc;
	*gen = k.gen;
	h = thread_curl();
	if (!h) {
		snprintf(r->msg, sizeof(r->msg), "curl_easy_init failed");
		rc = -ENOMEM;
		goto out;
	}
	rc = signed_headers(c, &k, rq, sha, &hl, r->msg, sizeof(r->msg));
	if (rc)
		goto out;
	r->attempts++;
	setup_handle(h, c, rq, &x, hl, left);
	if (rq->out)
		rq->out->len = 0;
	cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	if (c->verbose)
		fprintf(stderr, "s3: %s %s%s%s -> %d/%ld\n", rq->method,
			rq->url, rq->range ? " range " : "",
			rq->range ? rq->range : "", (int)cc, x.http);
	r->http = x.http;
	if (cc == CURLE_OK && x.http >= 200 && x.http < 300) {
		rc = check_2xx(rq, &x, r, retry);
	} else if (cc == CURLE_WRITE_ERROR && rq->land && rq->land->rc) {
		rc = rq->land->rc;
		snprintf(r->msg, sizeof(r->msg), "storing the reply as it "
			 "came: %s", strerror(-rc));
	} else if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR &&
				      !x.overflow && x.http >= 300)) {
		char breg[S3_REGION_MAX + 1];

		error_msg(r, x.http, x.err.p, "", code, sizeof(code));
		rc = http_errno(x.http);
		xml_field(x.err.p, "Region", breg, sizeof(breg));
		if (s3_region_redirect(x.http, x.bregion, breg, rq->region,
				       r->region)) {
			/* perform_url() sends it again, to that region */
			size_t l = strlen(r->msg);

			snprintf(r->msg + l, sizeof(r->msg) - l,
				 " (the bucket is in %s)", r->region);
			rc = -EIO;
			goto done;
		}
		*retry = s3_retryable(x.http, code, CURLE_OK);
		*timedout = !strcmp(code, "RequestTimeout");
		*expired = s3_expired_creds(x.http, code,
					    k.session_token[0] != '\0');
	} else if (x.overflow) {
		snprintf(r->msg, sizeof(r->msg), "reply larger than asked for");
		rc = -EIO;
	} else {
		snprintf(r->msg, sizeof(r->msg), "%s", curl_easy_strerror(cc));
		rc = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT :
		     cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;
		*retry = s3_retryable(x.http, NULL, cc);
		*timedout = cc == CURLE_OPERATION_TIMEDOUT;
	}
done:
	free(x.err.p);
out:
	memset(&k, 0, sizeof(k));
	return rc;
}

static void gave_up(struct s3_res *r, const char *why)
{
	size_t l = strlen(r->msg);

	snprintf(r->msg + l, sizeof(r->msg) - l, " (gave up after %d "
		 "attempt%s: %s)", r->attempts, r->attempts == 1 ? "" : "s",
		 why);
}

/*
 * The attempts of one request: bounded by S3_MAX_ATTEMPTS, by the
 * time-out and by the process's retry budget; full-jitter waits.
 */
static int perform(const struct s3_conf *c, const struct req *rq,
		   struct s3_res *r)
{
	int64_t deadline = now_ms() + (int64_t)c->timeout_s * 1000;
	struct s3_budget *b = s3_budget_global();
	char sha[65], why[64];
	uint64_t gen = 0, stale = 0;
	bool refreshed = false;
	int cost = 0, rc;

	memset(r, 0, sizeof(*r));
	/* S3 checks x-amz-content-sha256 against the body it receives */
	sv_sha256_hex(rq->body, rq->body_len, sha);
	for (;;) {
		bool retry, timedout;
		int64_t wait;

		bool expired;

		rc = attempt(c, rq, sha, deadline, r, &retry, &timedout,
			     stale, &gen, &expired);
		if (!rc) {
			s3_budget_success(b, cost);
			return 0;
		}
		stale = 0;
		if (r->region[0])	/* another region: perform_url() */
			return rc;
		if (expired && !refreshed) {
			/* once: refresh the credentials, then again */
			if (c->verbose)
				fprintf(stderr, "s3: credentials refused as "
					"expired, refreshed: %s\n", r->msg);
			refreshed = true;
			stale = gen;
			continue;
		}
		if (!retry)
			return rc;
		if (r->attempts >= S3_MAX_ATTEMPTS) {
			gave_up(r, "the most there are");
			return rc;
		}
		wait = s3_jitter_ms(r->attempts, rand64());
		if (deadline - now_ms() < wait + 100) {
			snprintf(why, sizeof(why), "the %d s time-out",
				 c->timeout_s);
			gave_up(r, why);
			return rc;
		}
		cost = timedout ? S3_RETRY_COST_TIMEOUT : S3_RETRY_COST;
		if (!s3_budget_take(b, cost)) {
			gave_up(r, "retry budget of the process used up");
			return rc;
		}
		if (c->verbose)
			fprintf(stderr, "s3: retry %d in %" PRId64 " ms: %s\n",
				r->attempts, wait, r->msg);
		usleep((useconds_t)wait * 1000);
	}
}

/*
 * perform() of bucket's key (NULL: the bucket) with the query (from
 * '?') in u, which is freed whatever happens (a query that ran out of
 * memory while being built included): to the region learnt for the
 * bucket, and once more to another one if S3 names it (s3_region_redirect).
 */
static int perform_url(const struct s3_conf *c, const char *bucket,
		       const char *key, struct sv_buf *u, struct req *rq,
		       struct s3_res *r)
{
	char region[S3_REGION_MAX + 1];
	int rc = -ENOMEM;

	s3_region_of(c, bucket, region);
	for (int round = 0; round < 2; round++) {
		struct sv_buf url = { 0 };

		url_base(&url, c, region, bucket, key);
		sv_str(&url, u->p ? u->p : "");
		if (u->oom || url.oom) {
			free(url.p);
			memset(r, 0, sizeof(*r));
			snprintf(r->msg, sizeof(r->msg), "out of memory");
			rc = -ENOMEM;
			break;
		}
		rq->url = url.p;
		rq->region = region;
		rc = perform(c, rq, r);
		rq->url = NULL;
		free(url.p);
		if (!rc || !r->region[0] || round)
			break;
		if (c->verbose)
			fprintf(stderr, "s3: bucket %s is in %s, not %s\n",
				bucket, r->region, region);
		s3_region_learn(c, bucket, r->region);
		cpy(region, sizeof(region), r->region);
	}
	free(u->p);
	u->p = NULL;
	return rc;
}

/* ---- objects ---- */

int s3_get_land(const struct s3_conf *c, const char *bucket,
		const char *key, uint64_t off, uint64_t len, const char *etag,
		void *buf, size_t every, s3_land_fn land, void *arg,
		struct s3_res *r)
{
	struct sv_buf u = { 0 };
	char range[64];
	struct land l = { .fn = land, .arg = arg,
			  .every = every ? every : 1 };
	struct req rq = { .method = "GET", .dst = buf, .dst_len = len,
			  .if_match = etag && *etag ? etag : NULL,
			  .land = land && etag && *etag ? &l : NULL };

	if (!len) {
		memset(r, 0, sizeof(*r));
		return 0;
	}
	snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, off,
		 off + len - 1);
	rq.range = range;
	/* perform() checks the reply's ETag against If-Match */
	return perform_url(c, bucket, key, &u, &rq, r);
}

int s3_get(const struct s3_conf *c, const char *bucket, const char *key,
	   uint64_t off, uint64_t len, const char *etag, void *buf,
	   struct s3_res *r)
{
	return s3_get_land(c, bucket, key, off, len, etag, buf, 0, NULL, NULL,
			   r);
}

int s3_head(const struct s3_conf *c, const char *bucket, const char *key,
	    struct s3_res *r)
{
	struct sv_buf u = { 0 };
	struct req rq = { .method = "HEAD" };

	return perform_url(c, bucket, key, &u, &rq, r);
}

int s3_ping(const struct s3_conf *c, struct s3_res *r)
{
	long ms = (long)(c->timeout_s > 0 ? c->timeout_s : 10) * 1000;
	char url[sizeof(c->endpoint) + 1];
	CURL *h = curl_easy_init();
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	if (!h) {
		snprintf(r->msg, sizeof(r->msg), "curl_easy_init failed");
		return -ENOMEM;
	}
	snprintf(url, sizeof(url), "%s/", c->endpoint);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms < 5000 ? ms : 5000L);
	r->attempts = 1;
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->http);
	else
		snprintf(r->msg, sizeof(r->msg), "%s", curl_easy_strerror(cc));
	curl_easy_cleanup(h);
	if (cc == CURLE_OK)
		return 0;
	return cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT :
	       cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;
}

/*
 * A write retried after a lost reply may find its own result (a 412 on
 * its precondition, NoSuchUpload): a success if the object is now
 * exactly size bytes with the ETag our bytes give.  Checked whatever
 * r->attempts says: libcurl itself sends a request again, unseen, when
 * a reused connection dies before the reply's first byte.  (An object
 * someone else wrote with the very same bytes is then "ours" too:
 * nothing is lost.)
 */
static bool object_is_ours(const struct s3_conf *c, const char *bucket,
			   const char *key, uint64_t size, const char *etag,
			   const char *etag2, struct s3_res *r)
{
	struct s3_res h;

	if (s3_head(c, bucket, key, &h) || h.size != size ||
	    (strcmp(h.etag, etag) && (!etag2 || strcmp(h.etag, etag2))))
		return false;
	cpy(r->etag, sizeof(r->etag), h.etag);
	r->size = size;
	r->http = 200;
	r->msg[0] = '\0';
	return true;
}

int s3_put_cond(const struct s3_conf *c, const char *bucket, const char *key,
		const void *buf, size_t len, const struct s3_cond *cond,
		struct s3_res *r)
{
	struct sv_buf u = { 0 };
	struct req rq = { .method = "PUT", .body = buf, .body_len = len,
			  .cond = cond };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char etag[33];
	int rc;

	rc = perform_url(c, bucket, key, &u, &rq, r);
	if (rc != -ESTALE || !cond)
		return rc;
	EVP_Digest(buf, len, md, &mdlen, EVP_md5(), NULL);
	hex(md, 16, etag);
	return object_is_ours(c, bucket, key, len, etag, NULL, r) ? 0 : rc;
}

int s3_put(const struct s3_conf *c, const char *bucket, const char *key,
	   const void *buf, size_t len, struct s3_res *r)
{
	return s3_put_cond(c, bucket, key, buf, len, NULL, r);
}

/* ---- XML ---- */

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)k->name, name))
			return k;
	return NULL;
}

/* text of element name under n, malloc'ed; NULL if absent */
static char *child_text(xmlNode *n, const char *name)
{
	xmlNode *k = child(n, name);
	xmlChar *t;
	char *s;

	if (!k)
		return NULL;
	t = xmlNodeGetContent(k);
	s = strdup(t ? (const char *)t : "");
	xmlFree(t);
	return s;
}

static xmlDoc *parse_xml(const struct sv_buf *b)
{
	if (!b->p || !b->len)
		return NULL;
	return xmlReadMemory(b->p, (int)b->len, "s3.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOBLANKS |
			     XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static void strip_quotes(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	} else if (n >= 12 && !strncmp(s, "&quot;", 6)) {
		memmove(s, s + 6, n - 6);
		n -= 6;
		if (n >= 6 && !strcmp(s + n - 6, "&quot;"))
			s[n - 6] = '\0';
	}
}

/* percent-decode in place; returns the new length */
static size_t url_decode(char *s)
{
	size_t i = 0, o = 0, n = strlen(s);

	while (i < n) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hx[3] = { s[i + 1], s[i + 2], 0 };

			s[o++] = (char)strtol(hx, NULL, 16);
			i += 3;
		} else if (s[i] == '+') {
			s[o++] = ' ';
			i++;
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
	return o;
}

int s3_parse_time(const char *s, int64_t *sec, uint32_t *nsec)
{
	struct tm tm;
	const char *p;
	uint32_t ns = 0, scale = 100000000;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			ns += (uint32_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p && *p != 'Z' && *p != '+')
		return -EINVAL;
	*sec = timegm(&tm);
	*nsec = ns;
	return 0;
}

/* one Contents element of a listing: fn's return, 0 when it has no key */
static int list_entry(xmlNode *k, bool urlenc, s3_list_fn fn, void *arg)
{
	struct s3_obj o = { 0 };
	char *key, *size, *lm, *etag;
	int rc = 0;

	key = child_text(k, "Key");
	size = child_text(k, "Size");
	lm = child_text(k, "LastModified");
	etag = child_text(k, "ETag");
	if (key && size) {
		o.key = key;
		o.key_len = urlenc ? url_decode(key) : strlen(key);
		o.size = strtoull(size, NULL, 10);
		if (lm)
			s3_parse_time(lm, &o.mtime_sec, &o.mtime_nsec);
		if (etag)
			strip_quotes(etag);
		o.etag = etag ? etag : "";
		rc = fn(arg, &o);
	}
	free(key);
	free(size);
	free(lm);
	free(etag);
	return rc;
}

int s3_list_page(const char *xml, size_t len, s3_list_fn fn, void *arg,
		 char **next, char *msg, size_t msgcap)
{
	struct sv_buf b = { .p = (char *)xml, .len = len };
	xmlDoc *doc;
	xmlNode *root;
	char *enc, *trunc;
	bool urlenc;
	int rc = 0;

	*next = NULL;
	if (len > INT_MAX) {
		snprintf(msg, msgcap, "listing of %zu bytes", len);
		return -EIO;
	}
	doc = parse_xml(&b);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || strcmp((const char *)root->name, "ListBucketResult")) {
		snprintf(msg, msgcap, "not a ListBucketResult");
		xmlFreeDoc(doc);
		return -EIO;
	}
	enc = child_text(root, "EncodingType");
	urlenc = enc && !strcmp(enc, "url");
	free(enc);
	for (xmlNode *k = root->children; k && !rc; k = k->next)
		if (k->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)k->name, "Contents"))
			rc = list_entry(k, urlenc, fn, arg);
	trunc = child_text(root, "IsTruncated");
	if (!rc && trunc && !strcmp(trunc, "true")) {
		*next = child_text(root, "NextContinuationToken");
		if (!*next || !**next) {
			snprintf(msg, msgcap, "truncated without a "
				 "NextContinuationToken");
			free(*next);
			*next = NULL;
			rc = -EIO;
		}
	}
	free(trunc);
	xmlFreeDoc(doc);
	return rc;
}

int s3_list(const struct s3_conf *c, const char *bucket, const char *prefix,
	    s3_list_fn fn, void *arg, int *pages, struct s3_res *r)
{
	char *token = NULL;
	int rc = 0, np = 0;

	for (;;) {
		struct sv_buf u = { 0 }, out = { 0 };
		struct req rq = { .method = "GET", .out = &out };
		char *next, why[sizeof(r->msg) - 16];

		/* parameters in canonical (sorted) order */
		sv_str(&u, "?");
		if (token) {
			sv_str(&u, "continuation-token=");
			sv_uri_encode(&u, token, strlen(token), false);
			sv_str(&u, "&");
		}
		sv_str(&u, "encoding-type=url&list-type=2&max-keys=1000");
		if (prefix && *prefix) {
			sv_str(&u, "&prefix=");
			sv_uri_encode(&u, prefix, strlen(prefix), false);
		}
		rc = perform_url(c, bucket, NULL, &u, &rq, r);
		if (rc) {
			free(out.p);
			break;
		}
		np++;
		why[0] = '\0';
		rc = s3_list_page(out.p, out.len, fn, arg, &next, why,
				  sizeof(why));
		free(out.p);
		if (why[0])	/* else rc is fn's */
			snprintf(r->msg, sizeof(r->msg), "page %d: %s", np, why);
		free(token);
		token = next;
		if (rc || !token)
			break;
	}
	free(token);
	if (pages)
		*pages = np;
	return rc;
}

/* ---- multipart ---- */

int s3_mpu_create(const struct s3_conf *c, const char *bucket,
		  const char *key, char upload_id[S3_UPLOAD_ID_MAX + 1],
		  struct s3_res *r)
{
	struct sv_buf u = { 0 }, out = { 0 };
	struct req rq = { .method = "POST", .out = &out };
	xmlDoc *doc;
	char *id;
	int rc;

	sv_str(&u, "?uploads=");
	rc = perform_url(c, bucket, key, &u, &rq, r);
	if (rc) {
		free(out.p);
		return rc;
	}
	doc = parse_xml(&out);
	free(out.p);
	id = doc ? child_text(xmlDocGetRootElement(doc), "UploadId") : NULL;
	xmlFreeDoc(doc);
	if (!id || !*id || strlen(id) > S3_UPLOAD_ID_MAX) {
		snprintf(r->msg, sizeof(r->msg), "no UploadId in the reply");
		free(id);
		return -EIO;
	}
	cpy(upload_id, S3_UPLOAD_ID_MAX + 1, id);
	free(id);
	return 0;
}

int s3_mpu_part(const struct s3_conf *c, const char *bucket, const char *key,
		const char *upload_id, int part, const void *buf, size_t len,
		char etag[S3_ETAG_MAX + 1], struct s3_res *r)
{
	struct sv_buf u = { 0 };
	struct req rq = { .method = "PUT", .body = buf, .body_len = len };
	char num[16];
	int rc;

	snprintf(num, sizeof(num), "%d", part);
	sv_str(&u, "?partNumber=");
	sv_str(&u, num);
	sv_str(&u, "&uploadId=");
	sv_uri_encode(&u, upload_id, strlen(upload_id), false);
	rc = perform_url(c, bucket, key, &u, &rq, r);
	if (!rc && !r->etag[0]) {
		snprintf(r->msg, sizeof(r->msg), "part %d: no ETag", part);
		rc = -EIO;
	}
	if (!rc)
		cpy(etag, S3_ETAG_MAX + 1, r->etag);
	return rc;
}

static int complete_body(struct sv_buf *body, int nparts,
			 char (*etags)[S3_ETAG_MAX + 1])
{
	char line[256];

	sv_str(body, "<CompleteMultipartUpload>");
	for (int i = 0; i < nparts; i++) {
		snprintf(line, sizeof(line), "<Part><PartNumber>%d</PartNumber>"
			 "<ETag>\"%s\"</ETag></Part>", i + 1, etags[i]);
		sv_str(body, line);
	}
	sv_str(body, "</CompleteMultipartUpload>");
	return body->oom ? -ENOMEM : 0;
}

/* the ETag of a CompleteMultipartUploadResult into r->etag */
static int complete_result(const struct sv_buf *out, struct s3_res *r)
{
	xmlDoc *doc = parse_xml(out);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	char *e;

	if (!root || strcmp((const char *)root->name,
			    "CompleteMultipartUploadResult")) {
		char *code = root ? child_text(root, "Code") : NULL;

		snprintf(r->msg, sizeof(r->msg), "complete failed: %s",
			 code ? code : "no result");
		free(code);
		xmlFreeDoc(doc);
		return -EIO;
	}
	e = child_text(root, "ETag");
	if (e) {
		strip_quotes(e);
		cpy(r->etag, sizeof(r->etag), e);
		free(e);
	}
	xmlFreeDoc(doc);
	return 0;
}

/*
 * A retry (the reply to an earlier attempt lost) may find NoSuchUpload,
 * or its own object failing the precondition: then the object must be
 * the one these parts make.
 */
static bool complete_was_ours(const struct s3_conf *c, const char *bucket,
			      const char *key, int nparts,
			      char (*etags)[S3_ETAG_MAX + 1], uint64_t size,
			      const char *md5, int rc, struct s3_res *r)
{
	char want[S3_ETAG_MAX + 1];

	if ((rc != -ENOENT && rc != -ESTALE) ||
	    (rc == -ENOENT && !strstr(r->msg, "NoSuchUpload")))
		return false;
	if (s3_mpu_etag(nparts, etags, want))
		want[0] = '\0';	/* parts' ETags not MD5s: md5 only */
	if (!want[0] && !md5)
		return false;
	return object_is_ours(c, bucket, key, size, want[0] ? want : md5,
			      md5, r);
}

int s3_mpu_complete_cond(const struct s3_conf *c, const char *bucket,
			 const char *key, const char *upload_id, int nparts,
			 char (*etags)[S3_ETAG_MAX + 1], uint64_t size,
			 const char *md5, const struct s3_cond *cond,
			 struct s3_res *r)
{
	struct sv_buf u = { 0 }, body = { 0 }, out = { 0 };
	struct req rq = { .method = "POST", .out = &out, .cond = cond,
			  .error_in_200 = true };
	int rc;

	sv_str(&u, "?uploadId=");
	sv_uri_encode(&u, upload_id, strlen(upload_id), false);
	if (complete_body(&body, nparts, etags)) {
		free(u.p);
		free(body.p);
		memset(r, 0, sizeof(*r));
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		return -ENOMEM;
	}
	rq.body = body.p;
	rq.body_len = body.len;
	rc = perform_url(c, bucket, key, &u, &rq, r);
	free(body.p);
	if (!rc)
		rc = complete_result(&out, r);
	else if (complete_was_ours(c, bucket, key, nparts, etags, size, md5,
				   rc, r))
		rc = 0;
	free(out.p);
	return rc;
}

int s3_mpu_complete(const struct s3_conf *c, const char *bucket,
		    const char *key, const char *upload_id, int nparts,
		    char (*etags)[S3_ETAG_MAX + 1], struct s3_res *r)
{
	return s3_mpu_complete_cond(c, bucket, key, upload_id, nparts, etags,
				    UINT64_MAX, NULL, NULL, r);
}

int s3_mpu_abort(const struct s3_conf *c, const char *bucket, const char *key,
		 const char *upload_id, struct s3_res *r)
{
	struct sv_buf u = { 0 };
	struct req rq = { .method = "DELETE" };

	sv_str(&u, "?uploadId=");
	sv_uri_encode(&u, upload_id, strlen(upload_id), false);
	return perform_url(c, bucket, key, &u, &rq, r);
}
