// SPDX-License-Identifier: MIT
/*
 * metrics.c - counters in C11 atomics, their text exposition (Prometheus
 * format 0.0.4) and a small HTTP/1.0 responder for GET /metrics (issue
 * #14).  See metrics.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "tessera.h"
#include "tess_wire.h"

const double tmetrics_bucket_le[TMETRICS_NBUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* opcodes TESS_OP_MAX and above are counted as "unknown" */
#define NOPS		TMETRICS_NOPS
/* statuses 1..NSTATUS-1 by errno; others as "other" (index 0) */
#define NSTATUS		256
#define NROLES		TMETRICS_NROLES

typedef _Atomic uint64_t ctr_t;

struct op_stats {
	ctr_t count;
	ctr_t sum_ns;
	ctr_t bucket[TMETRICS_NBUCKETS + 1];	/* not cumulative; last +Inf */
};

static struct {
	struct op_stats op[NOPS];
	ctr_t errors[NSTATUS];
	ctr_t rx_bytes, tx_bytes;
	_Atomic int64_t conns[NROLES];
	ctr_t conns_total;
	ctr_t refused_addr, refused_total;
	ctr_t handshake_failed;
} M;

struct reg {
	const char *name;
	const char *help;
	size_t famlen;			/* name up to '{' */
	enum tmetrics_type type;
	tmetrics_fn fn;
	void *arg;
	const ctr_t *p;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reg regs[TMETRICS_MAX];
static unsigned nregs;
static bool regs_stopped;		/* tmetrics_stop */

#define RLX memory_order_relaxed

/* ---- recording ---- */

uint64_t tmetrics_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tmetrics_request(uint16_t op, int status, uint64_t ns, uint64_t rx,
		      uint64_t tx)
{
	struct op_stats *o = &M.op[op < TESS_OP_MAX ? op : TESS_OP_MAX];
	double s = (double)ns / 1e9;
	unsigned b = 0;

	while (b < TMETRICS_NBUCKETS && s > tmetrics_bucket_le[b])
		b++;
	atomic_fetch_add_explicit(&o->bucket[b], 1, RLX);
	atomic_fetch_add_explicit(&o->sum_ns, ns, RLX);
	atomic_fetch_add_explicit(&o->count, 1, RLX);
	if (status < 0)
		status = -status;
	if (status)
		atomic_fetch_add_explicit(&M.errors[status < NSTATUS ? status : 0],
					  1, RLX);
	if (rx)
		atomic_fetch_add_explicit(&M.rx_bytes, rx, RLX);
	if (tx)
		atomic_fetch_add_explicit(&M.tx_bytes, tx, RLX);
}

void tmetrics_conn(int role, int delta)
{
	if (role < 0 || role >= NROLES)
		role = 0;
	atomic_fetch_add_explicit(&M.conns[role], delta, RLX);
	if (delta > 0)
		atomic_fetch_add_explicit(&M.conns_total, 1, RLX);
}

void tmetrics_conn_refused(bool per_addr)
{
	atomic_fetch_add_explicit(per_addr ? &M.refused_addr :
				  &M.refused_total, 1, RLX);
}

void tmetrics_handshake_failed(void)
{
	atomic_fetch_add_explicit(&M.handshake_failed, 1, RLX);
}

void tmetrics_snapshot(struct tmetrics_snap *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned op = 0; op < NOPS; op++) {
		s->op_count[op] = atomic_load_explicit(&M.op[op].count, RLX);
		s->op_ns[op] = atomic_load_explicit(&M.op[op].sum_ns, RLX);
		s->requests += s->op_count[op];
	}
	for (unsigned st = 0; st < NSTATUS; st++)
		s->errors += atomic_load_explicit(&M.errors[st], RLX);
	s->rx_bytes = atomic_load_explicit(&M.rx_bytes, RLX);
	s->tx_bytes = atomic_load_explicit(&M.tx_bytes, RLX);
	for (int r = 0; r < NROLES; r++)
		s->conns[r] = atomic_load_explicit(&M.conns[r], RLX);
	s->conns_total = atomic_load_explicit(&M.conns_total, RLX);
	s->refused = atomic_load_explicit(&M.refused_addr, RLX) +
		     atomic_load_explicit(&M.refused_total, RLX);
	s->handshake_failed = atomic_load_explicit(&M.handshake_failed, RLX);
}

/* ---- registration ---- */

static bool name_char(char ch, bool first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_' || ch == ':' || (!first && ch >= '0' && ch <= '9');
}

/* name[{label="value",...}]: the length of the name, or 0 if bad */
static size_t check_name(const char *s)
{
	size_t n = 0;
	const char *p;

	while (name_char(s[n], n == 0))
		n++;
	if (!n || !s[n])
		return s[n] ? 0 : n;
	if (s[n] != '{')
		return 0;
	p = s + n + 1;
	for (;;) {
		size_t l = 0;

		while (name_char(p[l], l == 0) && p[l] != ':')
			l++;
		if (!l || p[l] != '=' || p[l + 1] != '"')
			return 0;
		p += l + 2;
		while (*p && *p != '"' && *p != '\\' && *p != '\n')
			p++;
		if (*p != '"')
			return 0;
		p++;
		if (*p == '}')
			return p[1] ? 0 : n;
		if (*p != ',')
			return 0;
		p++;
	}
}

static int reg_add(const char *name, const char *help,
		   enum tmetrics_type type, tmetrics_fn fn, void *arg,
		   const ctr_t *p)
{
	size_t famlen = name ? check_name(name) : 0;
	int rc = 0;

	if (!famlen || !help || strchr(help, '\n') || (!fn && !p) ||
	    (type != TMETRICS_COUNTER && type != TMETRICS_GAUGE))
		return -EINVAL;
	pthread_mutex_lock(&reg_lock);
	for (unsigned i = 0; i < nregs && !rc; i++) {
		if (!strcmp(regs[i].name, name))
			rc = -EEXIST;
		else if (regs[i].famlen == famlen &&
			 !strncmp(regs[i].name, name, famlen) &&
			 regs[i].type != type)
			rc = -EINVAL;
	}
	if (!rc && nregs == TMETRICS_MAX)
		rc = -ENOSPC;
	if (!rc)
		regs[nregs++] = (struct reg){ name, help, famlen, type, fn,
					      arg, p };
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

int tmetrics_register_fn(const char *name, const char *help,
			 enum tmetrics_type type, tmetrics_fn fn, void *arg)
{
	return fn ? reg_add(name, help, type, fn, arg, NULL) : -EINVAL;
}

int tmetrics_register_u64(const char *name, const char *help,
			  enum tmetrics_type type, const _Atomic uint64_t *p)
{
	return p ? reg_add(name, help, type, NULL, NULL, p) : -EINVAL;
}

void tmetrics_stop(void)
{
	pthread_mutex_lock(&reg_lock);
	regs_stopped = true;
	pthread_mutex_unlock(&reg_lock);
}

/* ---- exposition ---- */

void tmetrics_fmt_value(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
		snprintf(buf, len, "%.0f", v);
	else if (snprintf(buf, len, "%.15g", v) > 0 && strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);	/* the shortest that is exact */
}

static void head(FILE *f, const char *name, const char *help,
		 const char *type)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t ld(const ctr_t *c)
{
	return atomic_load_explicit(c, RLX);
}

static const char *op_label(unsigned op)
{
	return op < TESS_OP_MAX ? tess_op_name((uint16_t)op) : "unknown";
}

static void render_requests(FILE *f)
{
	char v[48];

	head(f, "tessera_requests_total",
	     "Requests served, by opcode (as they finished).", "counter");
	for (unsigned op = 0; op < NOPS; op++) {
		uint64_t n = ld(&M.op[op].count);

		if (n)
			fprintf(f, "tessera_requests_total{op=\"%s\"} %" PRIu64
				"\n", op_label(op), n);
	}
	head(f, "tessera_request_duration_seconds",
	     "Time from a request received to its reply sent, by opcode.",
	     "histogram");
	for (unsigned op = 0; op < NOPS; op++) {
		const struct op_stats *o = &M.op[op];
		uint64_t cum = 0, n = ld(&o->count);

		if (!n)
			continue;
		/* buckets read once each: cumulative, +Inf is their total
		 * (count is read apart and may be a step behind or ahead) */
		for (unsigned b = 0; b <= TMETRICS_NBUCKETS; b++) {
			cum += ld(&o->bucket[b]);
			if (b < TMETRICS_NBUCKETS)
				tmetrics_fmt_value(v, sizeof(v),
						   tmetrics_bucket_le[b]);
			else
				strcpy(v, "+Inf");
			fprintf(f, "tessera_request_duration_seconds_bucket"
				"{op=\"%s\",le=\"%s\"} %" PRIu64 "\n",
				op_label(op), v, cum);
		}
		fprintf(f, "tessera_request_duration_seconds_sum{op=\"%s\"} "
			"%.9f\n", op_label(op), (double)ld(&o->sum_ns) / 1e9);
		fprintf(f, "tessera_request_duration_seconds_count{op=\"%s\"} "
			"%" PRIu64 "\n", op_label(op), cum);
	}
}

static void render_errors(FILE *f)
{
	head(f, "tessera_request_errors_total",
	     "Requests answered with an error, by status (errno name).",
	     "counter");
	for (unsigned s = 0; s < NSTATUS; s++) {
		uint64_t n = ld(&M.errors[s]);
		const char *name = s ? strerrorname_np((int)s) : NULL;
		char num[16];

		if (!n)
			continue;
		if (!name) {
			snprintf(num, sizeof(num), "%u", s);
			name = s ? num : "other";
		}
		fprintf(f, "tessera_request_errors_total{status=\"%s\"} %"
			PRIu64 "\n", name, n);
	}
}

static void render_conns(FILE *f)
{
	static const char *const roles[NROLES] = {
		"unknown", "client", "ost", "mds", "admin",
	};

	head(f, "tessera_bulk_received_bytes_total",
	     "Bulk bytes received with requests (OBJ_WRITE data).", "counter");
	fprintf(f, "tessera_bulk_received_bytes_total %" PRIu64 "\n",
		ld(&M.rx_bytes));
	head(f, "tessera_bulk_sent_bytes_total",
	     "Bulk bytes sent with replies (OBJ_READ data).", "counter");
	fprintf(f, "tessera_bulk_sent_bytes_total %" PRIu64 "\n",
		ld(&M.tx_bytes));
	head(f, "tessera_connections_open",
	     "Authenticated connections open, by the peer's role.", "gauge");
	for (int r = 1; r < NROLES; r++)
		fprintf(f, "tessera_connections_open{role=\"%s\"} %lld\n",
			roles[r], (long long)atomic_load_explicit(&M.conns[r],
								  RLX));
	head(f, "tessera_connections_total",
	     "Connections authenticated since the start.", "counter");
	fprintf(f, "tessera_connections_total %" PRIu64 "\n",
		ld(&M.conns_total));
	head(f, "tessera_connections_refused_total",
	     "Connections closed before authentication for the limits: "
	     "per_address, or total.", "counter");
	fprintf(f, "tessera_connections_refused_total{reason=\"per_address\"} "
		"%" PRIu64 "\n", ld(&M.refused_addr));
	fprintf(f, "tessera_connections_refused_total{reason=\"total\"} %"
		PRIu64 "\n", ld(&M.refused_total));
	head(f, "tessera_handshakes_failed_total",
	     "Handshakes that failed (wrong key, deadline, bad frames).",
	     "counter");
	fprintf(f, "tessera_handshakes_failed_total %" PRIu64 "\n",
		ld(&M.handshake_failed));
}

static void render_regs(FILE *f)
{
	char v[48];

	pthread_mutex_lock(&reg_lock);
	for (unsigned i = 0; i < nregs && !regs_stopped; i++) {
		bool seen = false;

		for (unsigned j = 0; j < i && !seen; j++)
			seen = regs[j].famlen == regs[i].famlen &&
			       !strncmp(regs[j].name, regs[i].name,
					regs[i].famlen);
		if (seen)
			continue;
		fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n",
			(int)regs[i].famlen, regs[i].name, regs[i].help,
			(int)regs[i].famlen, regs[i].name,
			regs[i].type == TMETRICS_COUNTER ? "counter" : "gauge");
		for (unsigned j = i; j < nregs; j++) {
			const struct reg *r = &regs[j];

			if (r->famlen != regs[i].famlen ||
			    strncmp(r->name, regs[i].name, r->famlen))
				continue;
			if (r->p)
				snprintf(v, sizeof(v), "%" PRIu64, ld(r->p));
			else
				tmetrics_fmt_value(v, sizeof(v), r->fn(r->arg));
			fprintf(f, "%s %s\n", r->name, v);
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

int tmetrics_render(FILE *f)
{
	render_requests(f);
	render_errors(f);
	render_conns(f);
	render_regs(f);
	return ferror(f) ? -EIO : 0;
}

/* ---- the HTTP responder ---- */

static int64_t mono_ms(void)
{
	return (int64_t)(tmetrics_now_ns() / 1000000u);
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void reply(int fd, const char *status, const char *extra,
		  const char *body, size_t len)
{
	char h[256];
	int n = snprintf(h, sizeof(h),
			 "HTTP/1.0 %s\r\n"
			 "Content-Type: text/plain; version=0.0.4; "
			 "charset=utf-8\r\n"
			 "Content-Length: %zu\r\n%s"
			 "Connection: close\r\n\r\n", status, len, extra);

	send_all(fd, h, (size_t)n);
	send_all(fd, body, len);
}

static void reply_msg(int fd, const char *status, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	reply(fd, status, extra, body, (size_t)n);
}

/* the request line and headers are in: at a blank line */
static bool complete(const char *buf)
{
	return strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n");
}

static void serve_one(int fd)
{
	char req[TMETRICS_REQ_MAX + 1];
	int64_t end = mono_ms() + TMETRICS_READ_MS;
	struct timeval tv = { TMETRICS_SEND_MS / 1000,
			      (TMETRICS_SEND_MS % 1000) * 1000 };
	size_t n = 0, mlen, plen;
	const char *path;
	char *body = NULL;
	size_t blen = 0;
	FILE *f;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	req[0] = 0;
	while (!complete(req)) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = end - mono_ms();
		ssize_t r;

		if (n == TMETRICS_REQ_MAX) {
			reply_msg(fd, "431 Request Header Fields Too Large", "");
			return;
		}
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			reply_msg(fd, "408 Request Timeout", "");
			return;
		}
		r = recv(fd, req + n, TMETRICS_REQ_MAX - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		n += (size_t)r;
		req[n] = 0;
		if (memchr(req, 0, n))	/* a NUL: not HTTP */
			break;
	}
	mlen = strcspn(req, " \r\n");
	path = req + mlen + (req[mlen] == ' ');
	plen = strcspn(path, " ?\r\n");
	if (req[mlen] != ' ' || !plen || strncmp(path + strcspn(path, " \r\n"),
						 " HTTP/", 6)) {
		reply_msg(fd, "400 Bad Request", "");
		return;
	}
	if (mlen != 3 || strncmp(req, "GET", 3)) {
		reply_msg(fd, "405 Method Not Allowed", "Allow: GET\r\n");
		return;
	}
	if (plen != 8 || strncmp(path, "/metrics", 8)) {
		reply_msg(fd, "404 Not Found", "");
		return;
	}
	f = open_memstream(&body, &blen);
	if (!f) {
		reply_msg(fd, "500 Internal Server Error", "");
		return;
	}
	if (tmetrics_render(f) || fclose(f)) {
		reply_msg(fd, "500 Internal Server Error", "");
	} else {
		reply(fd, "200 OK", "", body, blen);
	}
	free(body);
}

/*
 * Close after the reply: unread request bytes at close() would send a
 * reset, which may destroy the reply before the peer reads it (a 431 to
 * an oversized request).  So FIN first, then read and drop what the peer
 * still sends, within TMETRICS_LINGER_MS and TMETRICS_LINGER_MAX bytes.
 */
#define TMETRICS_LINGER_MS	500
#define TMETRICS_LINGER_MAX	(64 << 10)

static void linger_close(int fd)
{
	int64_t end = mono_ms() + TMETRICS_LINGER_MS;
	size_t dropped = 0;
	char buf[4096];

	shutdown(fd, SHUT_WR);
	while (dropped < TMETRICS_LINGER_MAX) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = end - mono_ms();
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		dropped += (size_t)r;
	}
	close(fd);
}

static void *http_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				usleep(100000);
			continue;
		}
		serve_one(fd);
		linger_close(fd);
	}
	return NULL;
}

int tmetrics_serve(const struct tnet_addr *a, uint16_t *port, char *err,
		   size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_INET,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	char pbuf[8];
	int fd, rc, one = 1;

	if (strcmp(a->net, "tcp")) {
		snprintf(err, errlen, "%s@%s: metrics are served over HTTP, "
			 "@tcp only", a->host, a->net);
		return -EINVAL;
	}
	snprintf(pbuf, sizeof(pbuf), "%u", a->port);
	rc = getaddrinfo(a->host, pbuf, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "%s: %s", a->host, gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		freeaddrinfo(ai);
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		rc = -errno;
		freeaddrinfo(ai);
		close(fd);
		snprintf(err, errlen, "%s:%u: %s", a->host, a->port,
			 strerror(-rc));
		return rc;
	}
	freeaddrinfo(ai);
	if (port)
		*port = getsockname(fd, (struct sockaddr *)&sin, &slen) ? 0 :
			ntohs(sin.sin_port);
	/* no signal for this thread, whenever the daemon blocks its own
	 * (a SIGTERM taken here would kill it past its sigwait) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, http_main, (void *)(intptr_t)fd);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		close(fd);
		snprintf(err, errlen, "thread: %s", strerror(rc));
		return -rc;
	}
	return 0;
}
