// SPDX-License-Identifier: MIT
/*
 * s3_creds.c - the AWS credential provider chain (see s3_creds.h).
 *
 * Providers answer in three ways: credentials (0); not configured here
 * (-ENOENT, with a short reason, and the chain goes on); or configured
 * but failing (another negative errno, which stops the chain).  The
 * HTTP providers use a curl handle of their own, never the thread's
 * S3 handle (s3.c), and no proxy for the link-local endpoints.
 *
 * JSON: the container and IMDS answers are parsed by json-c (strict
 * RFC 8259, UTF-8 checked, nesting limited): one object whose members
 * are ignored unless they are the strings we want; every length is
 * checked and anything malformed is refused with a reason.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <json-c/json_util.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "s3_creds.h"
#include "sigv4.h"

enum { P_ENV, P_FILES, P_WEBID, P_CONTAINER, P_IMDS, P_N };

static const char *const pname[P_N] = {
	"environment", "shared files", "web identity", "container", "IMDS",
};

struct s3_creds_chain {
	pthread_mutex_t lock;
	pthread_cond_t done;		/* a refresh ended */
	bool refreshing;		/* a thread is fetching, unlocked */
	int provider;			/* the one that gave cur */
	char region[64];
	struct s3_creds cur;
	int64_t retry_after;		/* a failed refresh: not before */
	char last_err[400];		/* why it failed */
};

/* a message, cut to the buffer (truncation is expected, not an error) */
__attribute__((format(printf, 3, 4)))
static void say(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* copy a value, -EINVAL if it does not fit or holds a control byte */
static int put(char *dst, size_t cap, const char *src, size_t n,
	       const char *what, char *err, size_t errlen)
{
	if (n >= cap) {
		say(err, errlen, "%s too long (%zu bytes, at most %zu)",
			 what, n, cap - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) {
			say(err, errlen, "%s holds a control character",
				 what);
			return -EINVAL;
		}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* ---- time ---- */

int s3_creds_parse_time(const char *s, int64_t *t)
{
	struct tm tm;
	const char *p;

	if (!s)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p || tm.tm_year < 70)
		return -EINVAL;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return -EINVAL;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	/* UTC, said so */
	if (strcmp(p, "Z") && strcmp(p, "+00:00") && strcmp(p, "+0000"))
		return -EINVAL;
	*t = (int64_t)timegm(&tm);
	return 0;
}

int64_t s3_creds_refresh_at(const struct s3_creds *c)
{
	int64_t life, margin;

	if (!c->expires)
		return 0;
	life = c->expires - c->obtained;
	margin = life > 0 ? life / 4 : 0;
	if (margin > S3_CREDS_REFRESH_S)
		margin = S3_CREDS_REFRESH_S;
	return c->expires - margin;
}

/* ---- 1. environment ---- */

static int from_env(struct s3_creds *c, char *why, size_t whylen)
{
	const char *ak = env("AWS_ACCESS_KEY_ID");
	const char *sk = env("AWS_SECRET_ACCESS_KEY");
	const char *tok = env("AWS_SESSION_TOKEN");
	int rc;

	if (!ak || !sk) {
		say(why, whylen, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
			 "unset");
		return -ENOENT;
	}
	rc = put(c->access_key, sizeof(c->access_key), ak, strlen(ak),
		 "AWS_ACCESS_KEY_ID", why, whylen);
	if (!rc)
		rc = put(c->secret_key, sizeof(c->secret_key), sk,
			 strlen(sk), "AWS_SECRET_ACCESS_KEY", why, whylen);
	if (!rc && tok)
		rc = put(c->session_token, sizeof(c->session_token), tok,
			 strlen(tok), "AWS_SESSION_TOKEN", why, whylen);
	return rc;
}

/* ---- 2. shared credentials and config files ---- */

/* "[NAME]" (credentials) or "[profile NAME]" / "[default]" (config) */
static bool section_is(const char *sec, bool is_config, const char *profile)
{
	if (!is_config)
		return !strcmp(sec, profile);
	if (!strcmp(profile, "default") && !strcmp(sec, "default"))
		return true;
	if (strncmp(sec, "profile", 7) || !isspace((unsigned char)sec[7]))
		return false;
	sec += 7;
	while (isspace((unsigned char)*sec))
		sec++;
	return !strcmp(sec, profile);
}

int s3_creds_from_file(const char *path, bool is_config,
		       const char *profile, struct s3_creds *c,
		       char *err, size_t errlen)
{
	char line[S3_CREDS_TOKEN_MAX + 256];
	bool in = false, seen = false;
	int lineno = 0, rc = 0;
	FILE *f = fopen(path, "r");

	memset(c, 0, sizeof(*c));
	if (!f) {
		say(err, errlen, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *eq, *k, *v;
		size_t n = strlen(line);

		lineno++;
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			say(err, errlen, "%s:%d: line too long", path,
				 lineno);
			rc = -EINVAL;
			break;
		}
		rstrip(p);
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == ';' || !*p)
			continue;
		if (*p == '[') {
			char *e = strchr(p, ']');

			if (e)
				*e = '\0';
			p++;
			while (isspace((unsigned char)*p))
				p++;
			rstrip(p);
			in = section_is(p, is_config, profile);
			seen |= in;
			continue;
		}
		if (!in || !(eq = strchr(p, '=')))
			continue;
		*eq = '\0';
		k = p;
		v = eq + 1;
		rstrip(k);
		while (isspace((unsigned char)*v))
			v++;
		if (!strcmp(k, "aws_access_key_id"))
			rc = put(c->access_key, sizeof(c->access_key), v,
				 strlen(v), "aws_access_key_id", err, errlen);
		else if (!strcmp(k, "aws_secret_access_key"))
			rc = put(c->secret_key, sizeof(c->secret_key), v,
				 strlen(v), "aws_secret_access_key", err,
				 errlen);
		else if (!strcmp(k, "aws_session_token"))
			rc = put(c->session_token, sizeof(c->session_token),
				 v, strlen(v), "aws_session_token", err,
				 errlen);
		if (rc) {
			/* "PATH:LINE: what" */
			char what[160];

			snprintf(what, sizeof(what), "%s", err);
			say(err, errlen, "%s:%d: %s", path, lineno, what);
			break;
		}
	}
	fclose(f);
	if (rc)
		return rc;
	if (!seen) {
		say(err, errlen, "%s: no profile %s", path, profile);
		return -ENOENT;
	}
	if (!c->access_key[0] || !c->secret_key[0]) {
		say(err, errlen, "%s: no aws_access_key_id/"
			 "aws_secret_access_key in profile %s", path, profile);
		return -ENOKEY;
	}
	return 0;
}

static const char *profile_name(void)
{
	const char *p = env("AWS_PROFILE");

	return p ? p : "default";
}

static int from_files(struct s3_creds *c, char *why, size_t whylen)
{
	const char *home = env("HOME");
	const char *profile = profile_name();
	char path[2][1024], e[2][320] = { "", "" };
	int rc = -ENOENT, i;

	snprintf(path[0], sizeof(path[0]), "%s",
		 env("AWS_SHARED_CREDENTIALS_FILE") ?: "");
	snprintf(path[1], sizeof(path[1]), "%s", env("AWS_CONFIG_FILE") ?: "");
	for (i = 0; i < 2; i++) {
		if (!path[i][0])
			snprintf(path[i], sizeof(path[i]), "%s/.aws/%s",
				 home ? home : "/root",
				 i ? "config" : "credentials");
		rc = s3_creds_from_file(path[i], i == 1, profile, c, e[i],
					sizeof(e[i]));
		if (rc != -ENOENT && rc != -ENOKEY)
			break;
	}
	if (rc == -ENOENT || rc == -ENOKEY) {
		say(why, whylen, "%s; %s", e[0], e[1]);
		return -ENOENT;
	}
	if (rc)
		say(why, whylen, "%s", e[i]);	/* the file that failed */
	return rc;
}

/* ---- HTTP for the providers ---- */

struct hbody {
	struct sv_buf b;
	bool big;
};

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct hbody *h = arg;
	size_t n = sz * nm;

	if (h->b.len + n > S3_CREDS_REPLY_MAX) {
		h->big = true;
		return 0;
	}
	sv_add(&h->b, p, n);
	return h->b.oom ? 0 : n;
}

/*
 * One request: 0 with *status and the body in out (NUL-terminated), or
 * -EIO / -ETIMEDOUT / -ECONNREFUSED with err (no answer).
 */
static int http_call(const char *method, const char *url,
		     struct curl_slist *hdrs, const char *body,
		     long connect_ms, long total_ms, bool direct,
		     long *status, struct sv_buf *out, char *err,
		     size_t errlen)
{
	struct hbody h = { 0 };
	CURL *c = curl_easy_init();
	CURLcode cc;

	*status = 0;
	out->len = 0;
	if (!c) {
		say(err, errlen, "curl_easy_init failed");
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (direct)
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(body));
	}
	if (strcmp(method, body ? "POST" : "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "PUT") && !body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)0);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	if (h.big) {
		say(err, errlen, "%s: answer larger than %d bytes", url,
			 S3_CREDS_REPLY_MAX);
		free(h.b.p);
		return -EIO;
	}
	if (h.b.oom) {
		say(err, errlen, "out of memory");
		free(h.b.p);
		return -ENOMEM;
	}
	if (cc != CURLE_OK) {
		say(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
		free(h.b.p);
		return cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT :
		       cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;
	}
	free(out->p);
	*out = h.b;
	if (!out->p) {
		sv_add(out, "", 0);
		if (out->oom)
			return -ENOMEM;
	}
	return 0;
}

/* a body as a short printable excerpt, for messages */
static void excerpt(const char *s, char *out, size_t cap)
{
	size_t j = 0;

	for (size_t i = 0; s && s[i] && j + 1 < cap && i < 120; i++)
		out[j++] = isprint((unsigned char)s[i]) ? s[i] : ' ';
	out[j] = '\0';
}

/* a file's first line (a token), at most cap - 1 bytes */
static int read_token(const char *path, char *out, size_t cap,
		      const char *what, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		say(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -EIO;
	}
	n = fread(out, 1, cap, f);
	fclose(f);
	if (n == cap) {
		say(err, errlen, "%s %s: larger than %zu bytes", what,
			 path, cap - 1);
		return -EINVAL;
	}
	out[n] = '\0';
	rstrip(out);
	if (!out[0] || strpbrk(out, "\r\n")) {
		say(err, errlen, "%s %s: %s", what, path,
			 out[0] ? "more than one line" : "empty");
		return -EINVAL;
	}
	return 0;
}

/* ---- JSON (container, IMDS): json-c ---- */

/* json-c counts levels of values: the object and 16 levels below it */
#define JSON_DEPTH	17

int s3_creds_parse_json(const char *body, size_t len, struct s3_creds *c,
			char *err, size_t errlen)
{
	static const char *const names[] = {
		"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "Code",
	};
	char exp[64] = "", code[64] = "";
	char *dst[5] = { c->access_key, c->secret_key, c->session_token,
			 exp, code };
	size_t cap[5] = { sizeof(c->access_key), sizeof(c->secret_key),
			  sizeof(c->session_token), sizeof(exp), sizeof(code) };
	bool got[5] = { false };
	struct json_tokener *tok;
	enum json_tokener_error je;
	json_object *obj;
	size_t end;
	int rc = -EINVAL;

	memset(c, 0, sizeof(*c));
	if (!body || !len) {
		say(err, errlen, "malformed JSON: empty answer");
		return -EINVAL;
	}
	if (len > S3_CREDS_REPLY_MAX) {
		say(err, errlen, "malformed JSON: answer of %zu bytes, larger "
			 "than %d", len, S3_CREDS_REPLY_MAX);
		return -EINVAL;
	}
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok) {
		say(err, errlen, "out of memory for the JSON parser");
		return -ENOMEM;
	}
	/* RFC 8259 and UTF-8; what follows the object is checked below */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_VALIDATE_UTF8 |
			       JSON_TOKENER_ALLOW_TRAILING_CHARS);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (je == json_tokener_continue)
		say(err, errlen, "malformed JSON: truncated at byte %zu", end);
	else if (je == json_tokener_error_depth)
		say(err, errlen, "malformed JSON: nested too deep (more than "
			 "%d levels) at byte %zu", JSON_DEPTH, end);
	else if (je != json_tokener_success)
		say(err, errlen, "malformed JSON: %s at byte %zu",
			 json_tokener_error_desc(je), end);
	else if (!json_object_is_type(obj, json_type_object))
		say(err, errlen, "malformed JSON: '{' expected, not %s",
			 json_type_to_name(json_object_get_type(obj)));
	else if (end < len)
		say(err, errlen, "malformed JSON: bytes after the object at "
			 "byte %zu", end);
	else
		rc = 0;
	/* duplicate members: json-c keeps the last one */
	for (int i = 0; i < 5 && !rc; i++) {
		json_object *v;
		const char *s;
		size_t n;

		if (!json_object_object_get_ex(obj, names[i], &v))
			continue;
		if (!json_object_is_type(v, json_type_string)) {
			say(err, errlen, "malformed answer: %s is not a string "
				 "(%s)", names[i],
				 json_type_to_name(json_object_get_type(v)));
			rc = -EINVAL;
			break;
		}
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		if (n >= cap[i]) {
			say(err, errlen, "%s too long (at most %zu bytes)",
				 names[i], cap[i] - 1);
			rc = -EINVAL;
		} else if (memchr(s, '\0', n)) {
			say(err, errlen, "%s holds a control character",
				 names[i]);
			rc = -EINVAL;
		} else {
			memcpy(dst[i], s, n);
			dst[i][n] = '\0';
			got[i] = true;
		}
	}
	json_object_put(obj);
	if (rc)
		goto out;
	rc = -EINVAL;
	if (got[4] && strcmp(code, "Success")) {
		say(err, errlen, "answer Code is %s, not Success", code);
		goto out;
	}
	for (int i = 0; i < 2; i++)
		if (!dst[i][0]) {
			say(err, errlen, "no %s in the answer", names[i]);
			goto out;
		}
	for (int i = 0; i < 3; i++)
		for (const char *p = dst[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				say(err, errlen, "%s holds a control "
					 "character", names[i]);
				goto out;
			}
	if (got[3] && s3_creds_parse_time(exp, &c->expires)) {
		say(err, errlen, "bad Expiration '%s'", exp);
		goto out;
	}
	rc = 0;
out:
	if (rc)
		memset(c, 0, sizeof(*c));
	return rc;
}

/* ---- STS XML ---- */

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)k->name, name))
			return k;
	return NULL;
}

/* an element's text into out: 0, -ENOENT (no element), -EINVAL (long) */
static int xtext(xmlNode *n, const char *name, char *out, size_t cap,
		 char *err, size_t errlen)
{
	xmlNode *k = child(n, name);
	xmlChar *t;
	int rc;

	out[0] = '\0';
	if (!k)
		return -ENOENT;
	t = xmlNodeGetContent(k);
	rc = put(out, cap, t ? (const char *)t : "", t ? strlen((char *)t) : 0,
		 name, err, errlen);
	xmlFree(t);
	return rc;
}

int s3_creds_parse_sts(const char *body, size_t len, struct s3_creds *c,
		       char *err, size_t errlen)
{
	static const char *const names[] = {
		"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration",
	};
	char exp[64];
	char *dst[4] = { c->access_key, c->secret_key, c->session_token, exp };
	size_t cap[4] = { sizeof(c->access_key), sizeof(c->secret_key),
			  sizeof(c->session_token), sizeof(exp) };
	xmlDoc *doc;
	xmlNode *root, *cr;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (!body || !len || len > S3_CREDS_REPLY_MAX) {
		say(err, errlen, "STS answer: %s", !body || !len ?
			 "empty" : "too large");
		return -EINVAL;
	}
	doc = xmlReadMemory(body, (int)len, "sts.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		char ex[128];

		excerpt(body, ex, sizeof(ex));
		say(err, errlen, "STS answer is not XML: %s", ex);
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	if (!strcmp((const char *)root->name, "ErrorResponse")) {
		xmlNode *e = child(root, "Error");
		char code[96], msg[200];

		xtext(e, "Code", code, sizeof(code), err, errlen);
		xtext(e, "Message", msg, sizeof(msg), err, errlen);
		say(err, errlen, "STS error %s%s%s",
			 code[0] ? code : "(no code)", msg[0] ? ": " : "", msg);
		xmlFreeDoc(doc);
		return -EACCES;
	}
	cr = child(child(root, "AssumeRoleWithWebIdentityResult"),
		   "Credentials");
	if (strcmp((const char *)root->name,
		   "AssumeRoleWithWebIdentityResponse") || !cr) {
		say(err, errlen, "STS answer: no AssumeRoleWithWebIdentity"
			 "Response/AssumeRoleWithWebIdentityResult/Credentials"
			 " (root %s)", (const char *)root->name);
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	for (int i = 0; i < 4 && !rc; i++) {
		rc = xtext(cr, names[i], dst[i], cap[i], err, errlen);
		if (rc == -ENOENT || (!rc && !dst[i][0])) {
			say(err, errlen, "STS answer: no %s", names[i]);
			rc = -EINVAL;
		}
	}
	xmlFreeDoc(doc);
	if (!rc && s3_creds_parse_time(exp, &c->expires)) {
		say(err, errlen, "STS answer: bad Expiration '%s'", exp);
		rc = -EINVAL;
	}
	if (rc)
		memset(c, 0, sizeof(*c));
	return rc;
}

/* ---- 3. web identity ---- */

/* transient: no answer, or a 5xx */
static bool transient(int rc, long status)
{
	return rc == -ETIMEDOUT || rc == -ECONNREFUSED || rc == -EIO ||
	       (!rc && status >= 500);
}

/*
 * http_call, tried up to 3 times (0.2 s, then 0.4 s apart) while the
 * failure is transient; the last failure to why, after WHAT
 */
static int http_call_retry(const char *method, const char *url,
			   struct curl_slist *hdrs, const char *body,
			   long connect_ms, long total_ms, bool direct,
			   long *status, struct sv_buf *out, const char *what,
			   char *why, size_t whylen)
{
	int rc = 0;

	for (int i = 0; i < 3; i++) {
		char e[256];

		rc = http_call(method, url, hdrs, body, connect_ms, total_ms,
			       direct, status, out, e, sizeof(e));
		if (rc)
			say(why, whylen, "%s%s", what, e);
		if (!transient(rc, *status))
			break;
		if (i < 2)
			usleep(200000u << i);
	}
	return rc;
}

static int from_webid(const char *region, struct s3_creds *c, char *why,
		      size_t whylen)
{
	const char *tokf = env("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *arn = env("AWS_ROLE_ARN");
	const char *sess = env("AWS_ROLE_SESSION_NAME");
	const char *ep = env("AWS_ENDPOINT_URL_STS");
	char url[600], sessbuf[64], *tok;
	struct sv_buf body = { 0 }, out = { 0 };
	struct curl_slist *h;
	long status = 0;
	int rc;

	if (!tokf || !arn) {
		say(why, whylen, "AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN"
			 " unset");
		return -ENOENT;
	}
	if (!ep)
		ep = env("AWS_STS_ENDPOINT");
	if (ep)
		snprintf(url, sizeof(url), "%s", ep);
	else
		snprintf(url, sizeof(url), "https://sts.%s.amazonaws.com",
			 region);
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		say(why, whylen, "STS endpoint '%s': not http:// or "
			 "https://", url);
		return -EINVAL;
	}
	if (url[strlen(url) - 1] != '/')
		strncat(url, "/", sizeof(url) - strlen(url) - 1);
	if (!sess) {
		snprintf(sessbuf, sizeof(sessbuf), "tessera-%lld",
			 (long long)time(NULL));
		sess = sessbuf;
	}
	tok = malloc(S3_CREDS_REPLY_MAX);
	if (!tok)
		return -ENOMEM;
	rc = read_token(tokf, tok, S3_CREDS_REPLY_MAX, "web identity token",
			why, whylen);
	if (rc) {
		free(tok);
		return rc;
	}
	sv_str(&body, "Action=AssumeRoleWithWebIdentity&RoleArn=");
	sv_uri_encode(&body, arn, strlen(arn), false);
	sv_str(&body, "&RoleSessionName=");
	sv_uri_encode(&body, sess, strlen(sess), false);
	sv_str(&body, "&Version=2011-06-15&WebIdentityToken=");
	sv_uri_encode(&body, tok, strlen(tok), false);
	free(tok);
	h = curl_slist_append(NULL, "Content-Type: application/x-www-form-"
			      "urlencoded; charset=utf-8");
	if (body.oom || !h) {
		curl_slist_free_all(h);
		free(body.p);
		return -ENOMEM;
	}
	rc = http_call_retry("POST", url, h, body.p, 5000, 10000, false,
			     &status, &out, "STS ", why, whylen);
	curl_slist_free_all(h);
	free(body.p);
	if (!rc) {
		char e[400];

		rc = s3_creds_parse_sts(out.p, out.len, c, e, sizeof(e));
		if (!rc && status != 200) {
			snprintf(e, sizeof(e), "HTTP %ld", status);
			rc = -EIO;
		}
		if (rc)
			say(why, whylen, "STS %s (role %s): %s", url, arn,
				 e);
	}
	free(out.p);
	return rc;
}

/* ---- 4. container ---- */

/* http:// is allowed only to loopback and the ECS/EKS addresses */
static bool container_host_ok(const char *url)
{
	static const char *const ok[] = {
		"localhost", "[::1]", "169.254.170.2", "169.254.170.23",
		"[fd00:ec2::23]",
	};
	char host[256];
	const char *h, *e;

	if (!strncasecmp(url, "https://", 8))
		return true;
	if (strncasecmp(url, "http://", 7))
		return false;
	h = url + 7;
	if (*h == '[')
		e = strchr(h, ']') ? strchr(h, ']') + 1 : h;
	else
		e = h + strcspn(h, ":/?#");
	if (e == h || (size_t)(e - h) >= sizeof(host) || memchr(h, '@', e - h))
		return false;
	snprintf(host, sizeof(host), "%.*s", (int)(e - h), h);
	if (!strncmp(host, "127.", 4) &&
	    strspn(host, "0123456789.") == strlen(host))
		return true;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcasecmp(host, ok[i]))
			return true;
	return false;
}

static int from_container(struct s3_creds *c, char *why, size_t whylen)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tokf = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct curl_slist *h = NULL;
	struct sv_buf out = { 0 };
	char url[1100], auth[4200];
	long status = 0;
	int rc;

	if (!rel && !full) {
		say(why, whylen, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/"
			 "AWS_CONTAINER_CREDENTIALS_FULL_URI unset");
		return -ENOENT;
	}
	if (rel)
		snprintf(url, sizeof(url), "%s%s%s", S3_CONTAINER_HOST,
			 rel[0] == '/' ? "" : "/", rel);
	else
		snprintf(url, sizeof(url), "%s", full);
	if (!rel && !container_host_ok(url)) {
		say(why, whylen, "AWS_CONTAINER_CREDENTIALS_FULL_URI %s: "
			 "http:// only to a loopback address, 169.254.170.2, "
			 "169.254.170.23 or fd00:ec2::23; else https://", url);
		return -EINVAL;
	}
	if (tokf || tok) {
		char t[4096];

		if (tokf) {
			rc = read_token(tokf, t, sizeof(t),
					"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
					why, whylen);
			if (rc)
				return rc;
		} else if (put(t, sizeof(t), tok, strlen(tok),
			       "AWS_CONTAINER_AUTHORIZATION_TOKEN", why,
			       whylen)) {
			return -EINVAL;
		}
		snprintf(auth, sizeof(auth), "Authorization: %s", t);
		h = curl_slist_append(NULL, auth);
		if (!h)
			return -ENOMEM;
	}
	rc = http_call_retry("GET", url, h, NULL, 2000, 5000, true, &status,
			     &out, "", why, whylen);
	curl_slist_free_all(h);
	if (!rc && status != 200) {
		char ex[128];

		excerpt(out.p, ex, sizeof(ex));
		say(why, whylen, "%s: HTTP %ld %s", url, status, ex);
		rc = status == 401 || status == 403 ? -EACCES : -EIO;
	} else if (!rc) {
		char e[300];

		rc = s3_creds_parse_json(out.p, out.len, c, e, sizeof(e));
		if (rc)
			say(why, whylen, "%s: %s", url, e);
	}
	free(out.p);
	return rc;
}

/* ---- 5. IMDSv2 ---- */

static int from_imds(struct s3_creds *c, char *why, size_t whylen)
{
	const char *dis = env("AWS_EC2_METADATA_DISABLED");
	const char *ep = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *tos = env("AWS_METADATA_SERVICE_TIMEOUT");
	struct curl_slist *h = NULL;
	struct sv_buf out = { 0 };
	char base[512], url[800], hdr[1200], role[160], e[300];
	long status = 0, total = 1000;
	int rc;

	if (dis && !strcasecmp(dis, "true")) {
		say(why, whylen, "disabled");
		return -ENOENT;
	}
	if (tos && atoi(tos) > 0 && atoi(tos) <= 60)
		total = atoi(tos) * 1000L;
	snprintf(base, sizeof(base), "%s", ep ? ep : S3_IMDS_ENDPOINT);
	rstrip(base);
	while (strlen(base) > 8 && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	/* the session token */
	snprintf(url, sizeof(url), "%s/latest/api/token", base);
	h = curl_slist_append(NULL, "X-aws-ec2-metadata-token-ttl-seconds: "
			      "21600");
	if (!h)
		return -ENOMEM;
	rc = http_call("PUT", url, h, NULL, 1000, total, true, &status, &out,
		       e, sizeof(e));
	curl_slist_free_all(h);
	h = NULL;
	if (rc) {
		say(why, whylen, "%s", e);
		goto pass;
	}
	if (status != 200 || !out.len || out.len > 1000 ||
	    strpbrk(out.p, "\r\n")) {
		say(why, whylen, "%s: HTTP %ld, %zu bytes", url, status,
			 out.len);
		goto pass;
	}
	snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", out.p);
	h = curl_slist_append(NULL, hdr);
	if (!h) {
		free(out.p);
		return -ENOMEM;
	}
	/* the role of the instance profile */
	snprintf(url, sizeof(url), "%s/latest/meta-data/iam/"
		 "security-credentials/", base);
	rc = http_call("GET", url, h, NULL, 1000, total, true, &status, &out,
		       e, sizeof(e));
	if (rc || status != 200) {
		if (rc)
			say(why, whylen, "%s", e);
		else
			say(why, whylen, "%s: HTTP %ld%s", url, status,
				 status == 404 ? " (no instance profile)" : "");
		goto pass;
	}
	out.p[strcspn(out.p, "\r\n")] = '\0';
	rstrip(out.p);
	if (!out.p[0] || strlen(out.p) >= sizeof(role) ||
	    strspn(out.p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789+=,.@_-") != strlen(out.p)) {
		char ex[128];

		excerpt(out.p, ex, sizeof(ex));
		say(why, whylen, "%s: not a role name: '%s'", url, ex);
		rc = -EINVAL;
		goto pass;
	}
	snprintf(role, sizeof(role), "%s", out.p);
	snprintf(url, sizeof(url), "%s/latest/meta-data/iam/"
		 "security-credentials/%s", base, role);
	rc = http_call("GET", url, h, NULL, 1000, total, true, &status, &out,
		       e, sizeof(e));
	if (rc || status != 200) {
		if (rc)
			say(why, whylen, "%s", e);
		else
			say(why, whylen, "%s: HTTP %ld", url, status);
		goto pass;
	}
	rc = s3_creds_parse_json(out.p, out.len, c, e, sizeof(e));
	if (rc)
		say(why, whylen, "%s: %s", url, e);
	curl_slist_free_all(h);
	free(out.p);
	/* an instance profile that answers badly is an error of its own */
	return rc;
pass:
	curl_slist_free_all(h);
	free(out.p);
	return -ENOENT;
}

/* ---- the chain ---- */

static int fetch(int p, const char *region, struct s3_creds *c, char *why,
		 size_t whylen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	why[0] = '\0';
	switch (p) {
	case P_ENV:
		rc = from_env(c, why, whylen);
		break;
	case P_FILES:
		rc = from_files(c, why, whylen);
		break;
	case P_WEBID:
		rc = from_webid(region, c, why, whylen);
		break;
	case P_CONTAINER:
		rc = from_container(c, why, whylen);
		break;
	default:
		rc = from_imds(c, why, whylen);
		break;
	}
	if (rc)
		memset(c, 0, sizeof(*c));
	c->source = pname[p];
	c->obtained = (int64_t)time(NULL);
	return rc;
}

int s3_creds_chain_new(struct s3_creds_chain **out, const char *region,
		       char *err, size_t errlen)
{
	struct s3_creds_chain *ch = calloc(1, sizeof(*ch));
	char why[P_N][400];
	int rc = -ENOKEY;

	*out = NULL;
	if (!ch) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&ch->lock, NULL);
	pthread_cond_init(&ch->done, NULL);
	snprintf(ch->region, sizeof(ch->region), "%s",
		 region && *region ? region : "us-east-1");
	for (int p = 0; p < P_N; p++) {
		rc = fetch(p, ch->region, &ch->cur, why[p], sizeof(why[p]));
		if (rc == -ENOENT)
			continue;
		if (rc) {
			say(err, errlen, "AWS credentials from %s: %s",
				 pname[p], why[p]);
			s3_creds_chain_free(ch);
			return rc;
		}
		ch->provider = p;
		ch->cur.gen = 1;
		*out = ch;
		return 0;
	}
	say(err, errlen, "no AWS credentials: tried environment, shared "
		 "files (profile %s), web identity, container, IMDS (%s)",
		 profile_name(), why[P_IMDS]);
	s3_creds_chain_free(ch);
	return -ENOKEY;
}

void s3_creds_chain_free(struct s3_creds_chain *ch)
{
	if (!ch)
		return;
	pthread_mutex_destroy(&ch->lock);
	pthread_cond_destroy(&ch->done);
	memset(&ch->cur, 0, sizeof(ch->cur));
	free(ch);
}

const char *s3_creds_source(struct s3_creds_chain *ch)
{
	return pname[ch->provider];
}

/*
 * The fetch of a refresh runs unlocked, by one thread at a time: while
 * the current credentials are valid the others go on with them; once
 * they expired (or were refused) the others wait for its end.  After a
 * failed refresh none is tried for 10 s: callers whose credentials
 * expired or were refused get its error.
 */
int s3_creds_get(struct s3_creds_chain *ch, uint64_t stale_gen,
		 struct s3_creds *out, char *err, size_t errlen)
{
	struct s3_creds *n = NULL;
	int rc = 0;

	pthread_mutex_lock(&ch->lock);
	for (;;) {
		int64_t now = (int64_t)time(NULL);
		int64_t at = s3_creds_refresh_at(&ch->cur);
		bool forced = stale_gen && stale_gen == ch->cur.gen;
		bool expired = ch->cur.expires && now >= ch->cur.expires;
		bool due = (forced || (at && now >= at)) &&
			   now >= ch->retry_after;
		char why[400];

		if (!due) {
			if (forced || expired) {
				say(err, errlen, "AWS credentials from %s %s "
				    "and their refresh failed: %s",
				    pname[ch->provider], forced ?
				    "refused as expired" : "expired",
				    ch->last_err);
				rc = -EKEYEXPIRED;
			}
			break;
		}
		if (ch->refreshing) {
			if (!forced && !expired)
				break;		/* still valid: use them */
			pthread_cond_wait(&ch->done, &ch->lock);
			continue;
		}
		ch->refreshing = true;
		pthread_mutex_unlock(&ch->lock);
		if (!n)
			n = malloc(sizeof(*n));
		rc = n ? fetch(ch->provider, ch->region, n, why, sizeof(why)) :
			 -ENOMEM;
		pthread_mutex_lock(&ch->lock);
		ch->refreshing = false;
		pthread_cond_broadcast(&ch->done);
		if (!rc) {
			n->gen = ch->cur.gen + 1;
			ch->cur = *n;
			ch->retry_after = 0;
			break;		/* fresh (even if due already) */
		}
		snprintf(ch->last_err, sizeof(ch->last_err), "%s",
			 n ? why : "out of memory");
		ch->retry_after = now + 10;
		rc = 0;
		/* expired, refused or not, the next turn says */
	}
	if (!rc)
		*out = ch->cur;
	pthread_mutex_unlock(&ch->lock);
	if (n) {
		memset(n, 0, sizeof(*n));
		free(n);
	}
	return rc;
}
