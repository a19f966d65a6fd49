// SPDX-License-Identifier: MIT
/*
 * test_metrics - user/lib/metrics.c (issue #14): number formatting, the
 * registration rules, the text exposition (every sample line "name{labels}
 * number", HELP and TYPE before each family's samples, histograms
 * cumulative with +Inf = _count), the HTTP responder's answers (200,
 * 404, 405, 400, 431, 408, and still serving after them) and
 * tmetrics_stop (no callback runs after it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"
#include "tessera.h"
#include "tu.h"

/* ---- a checker of the exposition format ---- */

static bool name_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      ch == '_' || ch == ':' || (i && ch >= '0' && ch <= '9')))
			return false;
	}
	return n > 0;
}

/* the family of a sample name: without _bucket/_sum/_count if histogram */
struct fam {
	char name[128];
	char type[16];
	bool help;
};

static struct fam fams[128];
static int nfams;

static struct fam *fam_find(const char *name, size_t n)
{
	for (int i = 0; i < nfams; i++)
		if (strlen(fams[i].name) == n && !strncmp(fams[i].name, name, n))
			return &fams[i];
	return NULL;
}

/* "" if text is well formed, else why (and the line) */
static const char *check_format(const char *text, char *why, size_t len)
{
	const char *line = text;

	nfams = 0;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t ll = end ? (size_t)(end - line) : strlen(line);
		char buf[512];

		if (!end) {
			snprintf(why, len, "no newline at the end");
			return why;
		}
		if (ll >= sizeof(buf)) {
			snprintf(why, len, "line too long");
			return why;
		}
		memcpy(buf, line, ll);
		buf[ll] = 0;
		line = end + 1;
		if (!strncmp(buf, "# HELP ", 7) || !strncmp(buf, "# TYPE ", 7)) {
			char *nm = buf + 7, *sp = strchr(nm, ' ');
			struct fam *f;

			if (!sp || !name_ok(nm, (size_t)(sp - nm)) || !sp[1])
				goto bad;
			f = fam_find(nm, (size_t)(sp - nm));
			if (!f) {
				if (nfams == 128)
					goto bad;
				f = &fams[nfams++];
				snprintf(f->name, sizeof(f->name), "%.*s",
					 (int)(sp - nm), nm);
			}
			if (buf[2] == 'H') {
				f->help = true;
			} else {
				if (strcmp(sp + 1, "counter") &&
				    strcmp(sp + 1, "gauge") &&
				    strcmp(sp + 1, "histogram"))
					goto bad;
				snprintf(f->type, sizeof(f->type), "%s", sp + 1);
			}
			continue;
		}
		if (buf[0] == '#')
			continue;
		{
			size_t n = strcspn(buf, "{ ");
			const char *p = buf + n, *num;
			char *e;
			struct fam *f = fam_find(buf, n);

			if (!name_ok(buf, n))
				goto bad;
			if (!f) {	/* a histogram's series */
				static const char *const suf[] = {
					"_bucket", "_sum", "_count" };

				for (int i = 0; i < 3 && !f; i++) {
					size_t sl = strlen(suf[i]);

					if (n > sl && !strncmp(buf + n - sl,
							       suf[i], sl))
						f = fam_find(buf, n - sl);
				}
				if (f && strcmp(f->type, "histogram"))
					f = NULL;
			}
			if (!f || !f->help || !f->type[0]) {
				snprintf(why, len, "no HELP/TYPE before: %s",
					 buf);
				return why;
			}
			if (*p == '{') {
				p++;
				for (;;) {
					size_t l = strcspn(p, "=");

					if (!name_ok(p, l) || p[l + 1] != '"')
						goto bad;
					p += l + 2;
					p += strcspn(p, "\"\\\n");
					if (*p != '"')
						goto bad;
					p++;
					if (*p == '}')
						break;
					if (*p != ',')
						goto bad;
					p++;
				}
				p++;
			}
			if (*p != ' ')
				goto bad;
			num = p + 1;
			if (strcmp(num, "NaN") && strcmp(num, "+Inf") &&
			    strcmp(num, "-Inf")) {
				errno = 0;
				strtod(num, &e);
				if (e == num || *e || errno)
					goto bad;
			}
		}
		continue;
bad:
		snprintf(why, len, "bad line: %s", buf);
		return why;
	}
	return "";
}

/* the value of the sample line starting with "key " (NaN if none) */
static double sample(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return strtod(p + kl + 1, NULL);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NAN;
}

static char *render(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (tmetrics_render(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

/* ---- cases ---- */

TU_CASE(fmt_value)
{
	static const struct { double v; const char *s; } t[] = {
		{ 0, "0" }, { 1, "1" }, { -3, "-3" }, { 0.00025, "0.00025" },
		{ 0.1, "0.1" }, { 2.5, "2.5" }, { 12345678901234.0,
						   "12345678901234" },
		{ 1e20, "1e+20" },
	};
	char b[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tmetrics_fmt_value(b, sizeof(b), t[i].v);
		if (strcmp(b, t[i].s))
			TU_FAIL_AT("%g as '%s', expected '%s'", t[i].v, b,
				   t[i].s);
	}
	tmetrics_fmt_value(b, sizeof(b), NAN);
	TU_CHECK(!strcmp(b, "NaN"));
	tmetrics_fmt_value(b, sizeof(b), INFINITY);
	TU_CHECK(!strcmp(b, "+Inf"));
	tmetrics_fmt_value(b, sizeof(b), -INFINITY);
	TU_CHECK(!strcmp(b, "-Inf"));
	/* exact: a third reads back as itself */
	tmetrics_fmt_value(b, sizeof(b), 1.0 / 3);
	TU_CHECK(strtod(b, NULL) == 1.0 / 3);
}

static int calls;		/* of forty_two */

static double forty_two(void *arg)
{
	(void)arg;
	calls++;
	return 42;
}

static double quarter(void *arg)
{
	return *(double *)arg;
}

static _Atomic uint64_t ptr_val = 7;

TU_CASE(register_rules)
{
	static const char *const bad[] = {
		"", "1abc", "a b", "a-b", "a{x=1}", "a{x=\"1\"",
		"a{x=\"1\"}x", "a{=\"1\"}", "a{x=\"1\",}", "a{x=\"a\\\"\"}",
		"a{x=\"1\"} ",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = tmetrics_register_fn(bad[i], "h", TMETRICS_GAUGE,
					      forty_two, NULL);

		if (rc != -EINVAL)
			TU_FAIL_AT("name '%s' gave %d, expected -EINVAL",
				   bad[i], rc);
	}
	TU_EQ_INT(tmetrics_register_fn("t_answer", "The answer.",
				       TMETRICS_GAUGE, forty_two, NULL), 0);
	TU_EQ_INT(tmetrics_register_fn("t_answer", "Again.", TMETRICS_GAUGE,
				       forty_two, NULL), -EEXIST);
	TU_EQ_INT(tmetrics_register_fn("t_answer{x=\"1\"}", "Other type.",
				       TMETRICS_COUNTER, forty_two, NULL),
		  -EINVAL);
	TU_EQ_INT(tmetrics_register_fn("t_nofn", "h", TMETRICS_GAUGE, NULL,
				       NULL), -EINVAL);
	TU_EQ_INT(tmetrics_register_fn("t_nl", "two\nlines", TMETRICS_GAUGE,
				       forty_two, NULL), -EINVAL);
	TU_EQ_INT(tmetrics_register_u64("t_ptr_total", "A pointer.",
					TMETRICS_COUNTER, &ptr_val), 0);
}

TU_CASE(register_labels_one_family)
{
	static double q = 0.25;
	char *t, why[600];

	TU_EQ_INT(tmetrics_register_fn("t_state{state=\"up\"}", "By state.",
				       TMETRICS_GAUGE, forty_two, NULL), 0);
	TU_EQ_INT(tmetrics_register_fn("t_state{state=\"down\"}", "By state.",
				       TMETRICS_GAUGE, quarter, &q), 0);
	t = render();
	TU_CHECK(t != NULL);
	if (!t)
		return;
	TU_CHECK(!*check_format(t, why, sizeof(why)));
	TU_CHECK(sample(t, "t_state{state=\"up\"}") == 42);
	TU_CHECK(sample(t, "t_state{state=\"down\"}") == 0.25);
	TU_CHECK(sample(t, "t_answer") == 42);
	TU_CHECK(sample(t, "t_ptr_total") == 7);
	/* one HELP for the family, not one per labelled series */
	{
		const char *p = t;
		int n = 0;

		while ((p = strstr(p, "# HELP t_state "))) {
			n++;
			p++;
		}
		TU_EQ_INT(n, 1);
	}
	free(t);
}

TU_CASE(register_full)
{
	char name[32];
	int rc = 0, i;

	for (i = 0; i < TMETRICS_MAX + 1 && !rc; i++) {
		snprintf(name, sizeof(name), "t_fill_%d", i);
		rc = tmetrics_register_fn(strdup(name), "Filler.",
					  TMETRICS_GAUGE, forty_two, NULL);
	}
	TU_EQ_INT(rc, -ENOSPC);
	TU_CHECK(i <= TMETRICS_MAX + 1);
}

TU_CASE(requests_histogram)
{
	char *t, why[600];
	double cum_prev = -1;

	tmetrics_request(TESS_OP_MKDIR, 0, 50000, 0, 0);	/* 50 us */
	tmetrics_request(TESS_OP_MKDIR, -ENOENT, 3000000, 0, 0); /* 3 ms */
	tmetrics_request(TESS_OP_MKDIR, EEXIST, 20000000000ull, 0, 0);
	tmetrics_request(TESS_OP_OBJ_WRITE, 0, 1000, 4096, 0);
	tmetrics_request(TESS_OP_OBJ_READ, 0, 1000, 0, 8192);
	tmetrics_request(60000, EPROTO, 0, 0, 0);		/* unknown op */
	tmetrics_conn(TESS_ROLE_CLIENT, 1);
	tmetrics_conn(TESS_ROLE_CLIENT, 1);
	tmetrics_conn(TESS_ROLE_CLIENT, -1);
	tmetrics_conn_refused(true);
	tmetrics_handshake_failed();
	t = render();
	TU_CHECK(t != NULL);
	if (!t)
		return;
	if (*check_format(t, why, sizeof(why)))
		TU_FAIL_AT("%.150s", why);
	TU_CHECK(sample(t, "tessera_requests_total{op=\"mkdir\"}") == 3);
	TU_CHECK(sample(t, "tessera_requests_total{op=\"unknown\"}") == 1);
	TU_CHECK(sample(t, "tessera_request_errors_total{status=\"ENOENT\"}")
		 == 1);
	TU_CHECK(sample(t, "tessera_request_errors_total{status=\"EEXIST\"}")
		 == 1);
	TU_CHECK(sample(t, "tessera_bulk_received_bytes_total") == 4096);
	TU_CHECK(sample(t, "tessera_bulk_sent_bytes_total") == 8192);
	TU_CHECK(sample(t, "tessera_connections_open{role=\"client\"}") == 1);
	TU_CHECK(sample(t, "tessera_connections_total") == 2);
	TU_CHECK(sample(t, "tessera_connections_refused_total"
			"{reason=\"per_address\"}") == 1);
	TU_CHECK(sample(t, "tessera_handshakes_failed_total") == 1);
	/* mkdir: 50 us in le=0.0001, 3 ms first in le=0.005, 20 s in +Inf */
	TU_CHECK(sample(t, "tessera_request_duration_seconds_bucket"
			"{op=\"mkdir\",le=\"0.0001\"}") == 1);
	TU_CHECK(sample(t, "tessera_request_duration_seconds_bucket"
			"{op=\"mkdir\",le=\"0.0025\"}") == 1);
	TU_CHECK(sample(t, "tessera_request_duration_seconds_bucket"
			"{op=\"mkdir\",le=\"0.005\"}") == 2);
	TU_CHECK(sample(t, "tessera_request_duration_seconds_bucket"
			"{op=\"mkdir\",le=\"10\"}") == 2);
	TU_CHECK(sample(t, "tessera_request_duration_seconds_bucket"
			"{op=\"mkdir\",le=\"+Inf\"}") == 3);
	TU_CHECK(sample(t, "tessera_request_duration_seconds_count"
			"{op=\"mkdir\"}") == 3);
	TU_CHECK(fabs(sample(t, "tessera_request_duration_seconds_sum"
			     "{op=\"mkdir\"}") - 20.00305) < 1e-9);
	/* cumulative: never decreasing over the buckets */
	for (int b = 0; b < TMETRICS_NBUCKETS; b++) {
		char key[160], le[32];
		double v;

		tmetrics_fmt_value(le, sizeof(le), tmetrics_bucket_le[b]);
		snprintf(key, sizeof(key), "tessera_request_duration_seconds_"
			 "bucket{op=\"mkdir\",le=\"%s\"}", le);
		v = sample(t, key);
		if (isnan(v) || v < cum_prev)
			TU_FAIL_AT("bucket %s: %g after %g", le, v, cum_prev);
		cum_prev = v;
	}
	/* an opcode never seen has no series */
	TU_CHECK(!strstr(t, "op=\"rmdir\""));
	free(t);
}

TU_CASE(checker_catches)
{
	char why[600];

	/* the checker itself must be able to fail */
	TU_CHECK(*check_format("x 1\n", why, sizeof(why)));
	TU_CHECK(*check_format("# HELP x h\n# TYPE x gauge\nx one\n", why,
			       sizeof(why)));
	TU_CHECK(*check_format("# HELP x h\n# TYPE x gauge\nx{a=1} 1\n", why,
			       sizeof(why)));
	TU_CHECK(*check_format("# HELP x h\n# TYPE x gauge\nx 1", why,
			       sizeof(why)));
	TU_CHECK(!*check_format("# HELP x h\n# TYPE x gauge\nx{a=\"b\"} 1\n",
				why, sizeof(why)));
}

/* ---- the HTTP responder ---- */

static uint16_t http_port;

/* send req (len bytes; -1: strlen), read the reply until EOF */
static int http(const char *req, ssize_t len, char *out, size_t cap)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(http_port) };
	struct timeval tv = { 10, 0 };
	size_t n = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	out[0] = 0;
	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	if (len < 0)
		len = (ssize_t)strlen(req);
	if (len)
		send(fd, req, (size_t)len, MSG_NOSIGNAL);
	for (;;) {
		ssize_t r = recv(fd, out + n, cap - 1 - n, 0);

		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap - 1)
			break;
	}
	out[n] = 0;
	close(fd);
	return 0;
}

static bool status_is(const char *reply, const char *code)
{
	return !strncmp(reply, "HTTP/1.0 ", 9) &&
	       !strncmp(reply + 9, code, strlen(code));
}

TU_CASE(http_answers)
{
	static char out[1 << 20];
	struct tnet_addr a = { .host = "127.0.0.1", .net = "tcp", .port = 0 };
	char err[256], big[TMETRICS_REQ_MAX + 512];
	const char *body;

	TU_EQ_INT(tmetrics_serve(&a, &http_port, err, sizeof(err)), 0);
	TU_CHECK(http_port != 0);

	TU_EQ_INT(http("GET /metrics HTTP/1.0\r\n\r\n", -1, out, sizeof(out)),
		  0);
	TU_CHECK(status_is(out, "200"));
	TU_CHECK(strstr(out, "Content-Type: text/plain; version=0.0.4") != NULL);
	body = strstr(out, "\r\n\r\n");
	TU_CHECK(body && strstr(body, "# TYPE tessera_requests_total counter"));
	if (body) {
		char why[600];

		if (*check_format(body + 4, why, sizeof(why)))
			TU_FAIL_AT("served: %.150s", why);
	}
	/* a query string is not part of the path */
	http("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", -1, out,
	     sizeof(out));
	TU_CHECK(status_is(out, "200"));
	http("GET /other HTTP/1.0\r\n\r\n", -1, out, sizeof(out));
	TU_CHECK(status_is(out, "404"));
	http("GET /metricsx HTTP/1.0\r\n\r\n", -1, out, sizeof(out));
	TU_CHECK(status_is(out, "404"));
	http("POST /metrics HTTP/1.0\r\n\r\n", -1, out, sizeof(out));
	TU_CHECK(status_is(out, "405"));
	http("\x01\x02garbage\r\n\r\n", -1, out, sizeof(out));
	TU_CHECK(status_is(out, "400"));
	http("GET /metrics\0 HTTP/1.0\r\n\r\n", 26, out, sizeof(out));
	TU_CHECK(status_is(out, "400"));
	memset(big, 'A', sizeof(big));
	memcpy(big, "GET /", 5);
	http(big, sizeof(big), out, sizeof(out));
	TU_CHECK(status_is(out, "431"));
	/* an incomplete request: 408 after TMETRICS_READ_MS */
	http("GET /metrics HTTP/1.0\r\n", -1, out, sizeof(out));
	TU_CHECK(status_is(out, "408"));
	/* a peer that connects and says nothing, then the next one */
	http("", 0, out, sizeof(out));
	TU_CHECK(status_is(out, "408"));
	http("GET /metrics HTTP/1.0\r\n\r\n", -1, out, sizeof(out));
	TU_CHECK(status_is(out, "200"));
}

/* last: after tmetrics_stop no callback runs, built-ins are served */
TU_CASE(stop_callbacks)
{
	char *t;
	int before;

	before = calls;
	t = render();
	TU_CHECK(t && strstr(t, "\nt_answer 42\n"));
	TU_CHECK(calls > before);
	free(t);
	tmetrics_stop();
	before = calls;
	t = render();
	TU_CHECK(t != NULL);
	if (!t)
		return;
	TU_EQ_INT(calls, before);
	TU_CHECK(!strstr(t, "t_answer"));
	TU_CHECK(strstr(t, "tessera_requests_total{op=\"mkdir\"}") != NULL);
	free(t);
}

int main(void)
{
	tu_suite = "metrics";
	TU_RUN(fmt_value);
	TU_RUN(register_rules);
	TU_RUN(register_labels_one_family);
	TU_RUN(register_full);
	TU_RUN(requests_histogram);
	TU_RUN(checker_catches);
	TU_RUN(http_answers);
	TU_RUN(stop_callbacks);
	return tu_done();
}
