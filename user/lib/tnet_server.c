// SPDX-License-Identifier: MIT
/*
 * tnet_server.c - the server side of tnet: listeners (TCP and RDMA, as
 * many as --listen gives), a thread per connection, the authenticated
 * handshake, the limits on connections not yet authenticated, requests
 * through the reply cache, fault injection.  Frames and transports are
 * tnet.c's (and tnet_rdma.c's).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tnet.h"
#include "tnet_int.h"
#include "tnet_sec.h"
#include "tnet_rdma.h"
#include "metrics.h"
#include "tnet_stats.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

/* ---- server ---- */

/* a TCP listening socket on a (its port filled in when 0) */
static int tcp_listen(struct tnet_listener *l)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int one = 1, rc;

	rc = tnet_resolve(&l->addr, &sin);
	if (rc)
		return rc;
	l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->lfd < 0)
		return -errno;
	setsockopt(l->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(l->lfd, 256) < 0 ||
	    getsockname(l->lfd, (struct sockaddr *)&sin, &len) < 0) {
		rc = -errno;
		close(l->lfd);
		l->lfd = -1;
		return rc;
	}
	l->addr.port = ntohs(sin.sin_port);
	return 0;
}

int tnet_server_listen(struct tnet_server *s, const struct tnet_addr *a,
		       char *err, size_t errlen)
{
	struct tnet_listener *l;
	int rc;

	if (s->nlisten == TNET_LISTEN_MAX) {
		tnet_seterr(err, errlen, "at most %d listen addresses",
		       TNET_LISTEN_MAX);
		return -E2BIG;
	}
	l = &s->listen[s->nlisten];
	memset(l, 0, sizeof(*l));
	l->addr = *a;
	l->lfd = -1;
	if (!strcmp(a->net, "rdma")) {
		struct sockaddr_in sin;

		rc = tnet_resolve(a, &sin);
		if (!rc)
			rc = tnet_rdma_listen(&sin, &l->rdma, &l->addr.port,
					      err, errlen);
		else
			tnet_seterr(err, errlen, "%s", strerror(-rc));
		if (rc)
			return rc;
	} else {
		rc = tcp_listen(l);
		if (rc) {
			tnet_seterr(err, errlen, "%s", strerror(-rc));
			return rc;
		}
	}
	if (!s->nlisten)
		s->lfd = l->lfd;
	s->nlisten++;
	return 0;
}

int tnet_server_init(struct tnet_server *s, const struct tnet_addr *listen_addr,
		     const struct tnet_key *key,
		     const struct tnet_server_ops *ops, void *ctx)
{
	char err[128];
	int rc;

	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	signal(SIGPIPE, SIG_IGN);
	if (listen_addr) {
		rc = tnet_server_listen(s, listen_addr, err, sizeof(err));
		if (rc)
			return rc;
	}
	s->key = *key;
	s->client_key = *key;
	s->ops = ops;
	s->ctx = ctx;
	s->features = TESS_FEAT_KNOWN;
	s->start_ns = tmetrics_now_ns();
	tnet_random(s->uuid, sizeof(s->uuid));
	s->rcache = rcache_create(RCACHE_PER_CLIENT_DEFAULT,
				  TNET_LEASE_DEFAULT * 1000);
	if (!s->rcache) {
		if (s->lfd >= 0)
			close(s->lfd);
		s->lfd = -1;
		return -ENOMEM;
	}
	pthread_mutex_init(&s->fault_lock, NULL);
	pthread_mutex_init(&s->preauth_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->preauth_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	return 0;
}

void tnet_server_set_lease(struct tnet_server *s, int seconds)
{
	rcache_set_lease(s->rcache, (int64_t)seconds * 1000);
}

/* ---- fault injection ---- */

int tnet_server_add_fault(struct tnet_server *s, const char *spec, char *err,
			  size_t errlen)
{
	unsigned long op, nth = 1;
	char *end;

	errno = 0;
	op = strtoul(spec, &end, 10);
	if (!errno && end != spec && *end == ':') {
		const char *n = end + 1;

		nth = strtoul(n, &end, 10);
		if (end == n || nth == 0)
			errno = EINVAL;
	}
	if (errno || end == spec || *end || op == 0 || op >= TESS_OP_MAX ||
	    nth > UINT32_MAX) {
		tnet_seterr(err, errlen, "'%s': expected OPCODE[:N], a numeric "
		       "opcode below %d and N >= 1", spec, TESS_OP_MAX);
		return -EINVAL;
	}
	if (s->nfaults == TNET_FAULTS_MAX) {
		tnet_seterr(err, errlen, "at most %d faults", TNET_FAULTS_MAX);
		return -EINVAL;
	}
	s->faults[s->nfaults++] = (struct tnet_fault){
		.opcode = (uint16_t)op, .nth = (uint32_t)nth };
	return 0;
}

/* a request of opcode ran: is its reply to be dropped? */
static bool fault_drop_reply(struct tnet_server *s, uint16_t opcode)
{
	bool drop = false;

	if (!s->nfaults)
		return false;
	pthread_mutex_lock(&s->fault_lock);
	for (unsigned i = 0; i < s->nfaults; i++) {
		struct tnet_fault *f = &s->faults[i];

		if (f->opcode == opcode && ++f->seen == f->nth)
			drop = true;
	}
	pthread_mutex_unlock(&s->fault_lock);
	return drop;
}

uint16_t tnet_server_port(const struct tnet_server *s)
{
	return s->nlisten ? s->listen[0].addr.port : 0;
}

const struct tnet_addr *tnet_server_addr(const struct tnet_server *s,
					 unsigned i)
{
	return i < s->nlisten ? &s->listen[i].addr : NULL;
}

static int reply_status(struct tnet_conn *c, const struct tess_frame *req,
			int status, const void *body, uint32_t body_len,
			const void *bulk, uint32_t bulk_len)
{
	struct tess_frame f = { 0 };

	f.opcode = req->opcode;
	f.xid = req->xid;
	f.flags = TESS_HF_REPLY;
	f.status = (uint32_t)(status < 0 ? -status : status);
	f.body_len = body_len;
	f.bulk_len = f.status ? 0 : bulk_len;
	return tnet_send_frame(c, &f, body, bulk);
}

void tnet_server_set_client_key(struct tnet_server *s,
				const struct tnet_key *key)
{
	s->client_key = *key;
}

static const char *role_name(int role)
{
	static const char *const names[] = {
		[TESS_ROLE_CLIENT] = "client", [TESS_ROLE_OST] = "OST",
		[TESS_ROLE_MDS] = "MDS", [TESS_ROLE_ADMIN] = "admin",
	};

	return role >= TESS_ROLE_CLIENT && role <= TESS_ROLE_ADMIN ?
	       names[role] : "?";
}

/* --client-key and --server-key differ */
static bool split_keys(const struct tnet_server *s)
{
	return s->client_key.len != s->key.len ||
	       CRYPTO_memcmp(s->client_key.bytes, s->key.bytes, s->key.len);
}

/* the key of a declared role: a client key cannot pass for a server */
static const struct tnet_key *role_key(struct tnet_server *s, int role)
{
	return role == TESS_ROLE_CLIENT ? &s->client_key : &s->key;
}

/*
 * The flavor a HELLO asks for (c->sec) against --sec, and the features
 * agreed: those of both sides, the flavor bit only for version 4.
 * 0, or -EPERM: weaker than --sec.
 */
static int server_pick_sec(struct tnet_server *s, struct tnet_conn *c,
			   uint64_t offered)
{
	c->sec = c->version < 4 ? TESS_SEC_AUTH :
		 tnet_sec_of_features(offered & s->features);
	c->features = (offered & s->features & ~(uint64_t)TESS_FEAT_SEC_MASK) |
		      tnet_sec_feature(c->sec);
	return c->sec < s->sec_min ? -EPERM : 0;
}

/* the MAC of the HELLO reply, and for version 4 the session keys */
static int server_sign_hello(struct tnet_conn *c, const struct tnet_key *key,
			     const struct tess_hello_req *hreq,
			     struct tess_hello_rep *hrep,
			     uint8_t t[TESS_MAC_LEN])
{
	uint8_t okm[TESS_SEC_OKM_LEN];
	int rc;

	if (c->version < 4) {
		tnet_handshake_mac(key, "tessera-server", hreq->nonce,
				   hrep->nonce, hrep->mac);
		return 0;
	}
	tnet_hs_transcript(hreq, hrep, t);
	tnet_hs_mac(key, TESS_HS_LABEL_SERVER, t, hrep->mac);
	rc = tnet_hs_okm(key, hreq->nonce, hrep->nonce, t, okm);
	if (!rc)
		tnet_hs_set_keys(c, okm, false);
	OPENSSL_cleanse(okm, sizeof(okm));
	return rc;
}

/*
 * 0, or -errno: -EACCES a wrong key, -EPERM a flavor weaker than --sec
 * (c->sec says which), -EPROTONOSUPPORT, a frame or transport error.
 */
static int server_handshake(struct tnet_server *s, struct tnet_conn *c)
{
	struct tess_hello_req hreq;
	struct tess_hello_rep hrep = { 0 };
	const struct tess_auth_req *auth;
	const struct tnet_key *key;
	uint8_t t[TESS_MAC_LEN], mac[TESS_MAC_LEN];
	struct tnet_msg m;
	bool fatal;
	int rc, role;

	rc = tnet_recv_frame(c, &m, NULL, 0, &fatal);
	if (rc)
		return rc;
	if (m.f.opcode != TESS_OP_HELLO || !(m.f.flags & TESS_HF_REQUEST))
		return -EPROTO;
	memcpy(&hreq, m.body, sizeof(hreq));
	role = (int)le32_to_cpu(hreq.role);
	if (le16_to_cpu(hreq.ver_min) > TESS_PROTO_VERSION ||
	    le16_to_cpu(hreq.ver_max) < TESS_PROTO_MIN ||
	    le16_to_cpu(hreq.ver_min) > le16_to_cpu(hreq.ver_max) ||
	    role < TESS_ROLE_CLIENT || role > TESS_ROLE_ADMIN) {
		reply_status(c, &m.f, EPROTONOSUPPORT, NULL, 0, NULL, 0);
		return -EPROTONOSUPPORT;
	}
	c->role = role;
	key = role_key(s, role);
	memcpy(c->peer_uuid, hreq.uuid, 16);

	/* the newest both speak: an older client keeps working */
	c->version = le16_to_cpu(hreq.ver_max) < TESS_PROTO_VERSION ?
		     le16_to_cpu(hreq.ver_max) : TESS_PROTO_VERSION;
	if (server_pick_sec(s, c, le64_to_cpu(hreq.features))) {
		reply_status(c, &m.f, EACCES, NULL, 0, NULL, 0);
		return -EPERM;
	}
	hrep.version = cpu_to_le16(c->version);
	hrep.features = cpu_to_le64(c->features);
	memcpy(hrep.uuid, s->uuid, 16);
	tnet_random(hrep.nonce, sizeof(hrep.nonce));
	rc = server_sign_hello(c, key, &hreq, &hrep, t);
	if (rc)
		return rc;
	/* the HELLO reply goes out before features apply to bulk */
	rc = reply_status(c, &m.f, 0, &hrep, sizeof(hrep), NULL, 0);
	if (rc)
		return rc;

	rc = tnet_recv_frame(c, &m, NULL, 0, &fatal);
	if (rc)
		return rc;
	if (m.f.opcode != TESS_OP_AUTH || !(m.f.flags & TESS_HF_REQUEST))
		return -EPROTO;
	auth = m.body;
	if (c->version < 4)
		tnet_handshake_mac(key, "tessera-client", hrep.nonce,
				   hreq.nonce, mac);
	else
		tnet_hs_mac(key, TESS_HS_LABEL_CLIENT, t, mac);
	if (CRYPTO_memcmp(mac, auth->mac, sizeof(mac))) {
		reply_status(c, &m.f, EACCES, NULL, 0, NULL, 0);
		return -EACCES;
	}
	rc = reply_status(c, &m.f, 0, NULL, 0, NULL, 0);
	if (rc || c->sec == TESS_SEC_AUTH)
		return rc;
	c->sec_on = true;
	return tnet_sec_start(c);
}

/*
 * Run one checked request and answer it.  A state-changing request goes
 * through the reply cache: a resent copy of one already run gets its
 * reply again (after waiting for it if it still runs elsewhere).
 * Returns 0 or the error of sending the reply.
 */
static int serve_request(struct tnet_server *s, struct tnet_conn *c,
			 const struct tnet_msg *m, void *txbody)
{
	uint16_t op = m->f.opcode;
	bool resent = m->f.flags & TESS_HF_RESENT;
	struct rcache_entry *ticket = NULL;
	struct rcache_reply kept;
	struct tnet_reply rep;
	uint32_t body_len;
	uint64_t t0 = tmetrics_now_ns();	/* metrics.h */
	int rc, sent;

	if (s->ops->reply_cached && s->ops->reply_cached(op) &&
	    rcache_begin(s->rcache, c->peer_uuid, m->f.xid, op, resent,
			 &ticket, &kept) == RCACHE_REPLAY) {
		tlog("%s: %s (xid %llu) resent: the kept reply (status %u) "
		     "goes again", c->peer, tess_op_name(op),
		     (unsigned long long)m->f.xid, kept.status);
		rc = reply_status(c, &m->f, (int)kept.status, kept.body,
				  kept.body_len, NULL, 0);
		tmetrics_request(op, (int)kept.status, tmetrics_now_ns() - t0,
				 m->f.bulk_len, 0);
		rcache_reply_free(&kept);
		return rc;
	}

	tess_buf_init(&rep.body, txbody, TESS_MAX_BODY);
	rep.bulk = NULL;
	rep.bulk_len = 0;
	if (op == TESS_OP_HELLO || op == TESS_OP_AUTH) {
		rc = -EPROTO;
	} else if (op == TESS_OP_PING) {
		rc = 0;
	} else if (op == TESS_OP_STATS) {
		/* every server alike, for every role (include/tessera.h) */
		tnet_stats_reply(s, &rep.body);
		rc = rep.body.err;
	} else {
		rc = s->ops->handle(s->ctx, c, m, &rep);
		if (!rc && rep.body.err)
			rc = rep.body.err;
	}
	if (rc < 0)
		rc = -rc;
	/* an error reply may carry a small hint (ERANGE size) */
	body_len = !rc ? rep.body.len :
		   rep.body.len <= 64 && !rep.body.err ? rep.body.len : 0;
	rcache_finish(s->rcache, ticket, (uint32_t)rc, rep.body.data, body_len);

	if (fault_drop_reply(s, op)) {
		tlog("%s: fault injection: no reply to %s (xid %llu, status %d)",
		     c->peer, tess_op_name(op), (unsigned long long)m->f.xid,
		     rc);
		tmetrics_request(op, rc, tmetrics_now_ns() - t0,
				 m->f.bulk_len, 0);
		return 0;
	}
	sent = reply_status(c, &m->f, rc, rep.body.data, body_len,
			    rc ? NULL : rep.bulk, rc ? 0 : rep.bulk_len);
	tmetrics_request(op, rc, tmetrics_now_ns() - t0, m->f.bulk_len,
			 rc || sent ? 0 : rep.bulk_len);
	return sent;
}

struct conn_thread {
	struct tnet_server *s;
	struct tnet_conn *c;
	uint32_t addr;			/* the peer's, for preauth_leave */
	int (*start)(struct tnet_conn *c);	/* tnet_server_spawn */
};

/* the entry of addr among the unauthenticated connections, or NULL;
 * with add, a free one taken for it if it has none */
static struct tnet_preauth_addr *preauth_entry(struct tnet_server *s,
					       uint32_t addr, bool add)
{
	struct tnet_preauth_addr *free_e = NULL;

	for (int i = 0; i < TNET_PREAUTH_MAX; i++) {
		struct tnet_preauth_addr *e = &s->preauth_by[i];

		if (e->n && e->addr == addr)
			return e;
		if (!e->n && !free_e)
			free_e = e;
	}
	if (!add || !free_e)
		return NULL;
	free_e->addr = addr;
	free_e->progress_ms = tnet_mono_ms();
	return free_e;
}

/* a log line at most once a second, with the count since the last one */
static void preauth_refuse(unsigned long *refused, int64_t *logged,
			   const char *ip, const char *why, int limit)
{
	int64_t now = tnet_mono_ms();

	/* metrics.h: every refusal, by its limit (the two differ) */
	_Static_assert(TNET_PREAUTH_PER_ADDR != TNET_PREAUTH_MAX, "limits");
	tmetrics_conn_refused(limit == TNET_PREAUTH_PER_ADDR);
	(*refused)++;
	if (now - *logged < 1000)
		return;
	tlog("%s: connection closed: %d connections %s are not yet "
	     "authenticated (the limit); %lu closed since the last such line",
	     ip, limit, why, *refused);
	*refused = 0;
	*logged = now;
}

/* addr holds its share of the slots (lock held) */
static bool preauth_addr_full(struct tnet_server *s, uint32_t addr)
{
	struct tnet_preauth_addr *e = preauth_entry(s, addr, false);

	return e && e->n >= TNET_PREAUTH_PER_ADDR;
}

/*
 * A slot among the TNET_PREAUTH_MAX connections not yet authenticated,
 * at most TNET_PREAUTH_PER_ADDR of them for addr: wait up to
 * TNET_PREAUTH_WAIT_MS for one (a burst of honest clients passes), but
 * not when addr holds its share and none of its handshakes ended for
 * TNET_PREAUTH_STUCK_MS (idle connections: an attack).  On false the
 * caller closes the connection.
 */
bool tnet_preauth_enter(struct tnet_server *s, uint32_t addr, const char *ip)
{
	int64_t end = tnet_mono_ms() + TNET_PREAUTH_WAIT_MS;
	struct timespec ts = { .tv_sec = end / 1000,
			       .tv_nsec = (end % 1000) * 1000000 };
	struct tnet_preauth_addr *e;
	bool full, timed_out = false;

	pthread_mutex_lock(&s->preauth_lock);
	for (;;) {
		full = preauth_addr_full(s, addr);
		if (full) {
			e = preauth_entry(s, addr, false);
			if (tnet_mono_ms() - e->progress_ms >=
			    TNET_PREAUTH_STUCK_MS)
				break;
		} else if (s->preauth < TNET_PREAUTH_MAX) {
			break;
		}
		if (timed_out)
			break;
		timed_out = pthread_cond_timedwait(&s->preauth_cond,
						   &s->preauth_lock,
						   &ts) == ETIMEDOUT;
	}
	e = NULL;
	if (!full && s->preauth < TNET_PREAUTH_MAX)
		e = preauth_entry(s, addr, true);	/* one is free */
	if (e) {
		s->preauth++;
		e->n++;
	} else if (full) {
		preauth_refuse(&s->addr_refused, &s->addr_logged_ms, ip,
			       "from this address", TNET_PREAUTH_PER_ADDR);
	} else {
		preauth_refuse(&s->preauth_refused, &s->preauth_logged_ms, ip,
			       "in all", TNET_PREAUTH_MAX);
	}
	pthread_mutex_unlock(&s->preauth_lock);
	return e != NULL;
}

void tnet_preauth_leave(struct tnet_server *s, uint32_t addr)
{
	struct tnet_preauth_addr *e;

	pthread_mutex_lock(&s->preauth_lock);
	e = preauth_entry(s, addr, false);
	if (e) {
		e->n--;
		e->progress_ms = tnet_mono_ms();
	}
	s->preauth--;
	pthread_cond_signal(&s->preauth_cond);
	pthread_mutex_unlock(&s->preauth_lock);
}

static void *conn_main(void *arg)
{
	struct conn_thread *ct = arg;
	struct tnet_server *s = ct->s;
	struct tnet_conn *c = ct->c;
	uint32_t addr = ct->addr;
	int (*start)(struct tnet_conn *c) = ct->start;
	struct tnet_msg m;
	void *txbody = NULL;
	bool fatal, connected = false;
	int rc;

	free(ct);
	/* RDMA: its queue pair and rdma_accept, within the deadline */
	if (start && start(c)) {
		tmetrics_handshake_failed();
		c->deadline_ms = 0;
		tnet_preauth_leave(s, addr);
		goto out;
	}
	/* sends: SO_SNDTIMEO; receives: the one deadline set at accept */
	c->io->set_timeout(c, TNET_HANDSHAKE_MS);
	rc = server_handshake(s, c);
	c->deadline_ms = 0;
	tnet_preauth_leave(s, addr);
	if ((rc == -EACCES || rc == -ECONNRESET) && c->role && split_keys(s)) {
		/* after HELLO: the peer declared a role (issue #12, roles) */
		tmetrics_handshake_failed();
		tlog_level(LOG_WARNING, "%s: handshake refused: %s (role %s "
			   "needs the %s key)", c->peer, rc == -EACCES ?
			   "authentication failed (wrong key)" :
			   "peer left mid-handshake (it may hold another key)",
			   role_name(c->role),
			   c->role == TESS_ROLE_CLIENT ? "client" : "server");
		goto out;
	}
	if (rc == -EPERM) {
		tmetrics_handshake_failed();
		tlog_level(LOG_WARNING, "%s: handshake refused: the client asks "
			   "sec=%s, this server takes sec=%s or stronger (--sec)",
			   c->peer, tnet_sec_name(c->sec),
			   tnet_sec_name(s->sec_min));
		goto out;
	}
	if (rc) {
		tmetrics_handshake_failed();
		tlog_level(LOG_WARNING, "%s: handshake refused: %s", c->peer,
		     rc == -EACCES ? "authentication failed (wrong key)" :
		     rc == -ECONNRESET ?
		     "peer left mid-handshake (it may hold another key)" :
		     rc == -ETIMEDOUT ? "not done within the handshake "
					"deadline (" STR(TNET_HANDSHAKE_MS)
					" ms)" :
		     rc == -EMSGSIZE ? "a frame larger than a handshake "
				       "may send (no bulk before "
				       "authentication)" :
		     tnet_frame_err(rc));
		goto out;
	}
	c->io->set_timeout(c, 0);
	if (c->io == &tnet_tcp_ops)
		tnet_set_keepalive(c->fd);
	txbody = malloc(TESS_MAX_BODY);
	if (!txbody)
		goto out;
	if (s->ops->connected && s->ops->connected(s->ctx, c))
		goto out;
	connected = true;
	tmetrics_conn(c->role, 1);
	rcache_client_up(s->rcache, c->peer_uuid);

	for (;;) {
		rc = tnet_recv_frame(c, &m, NULL, 0, &fatal);
		if (rc && fatal) {
			/* a frame that fails its tag is an attack or a bug */
			if (rc != -ECONNRESET)
				tlog_level(rc == TNET_ERR_SEC ? LOG_WARNING :
					   LOG_INFO, "%s: closing connection: %s",
					   c->peer, tnet_frame_err(rc));
			break;
		}
		if (!(m.f.flags & TESS_HF_REQUEST)) {
			tlog("%s: closing connection: unexpected reply frame",
			     c->peer);
			break;
		}
		if (rc) {
			tlog_level(LOG_WARNING, "%s: refused %s (xid %llu): %s", c->peer,
			     tess_op_name(m.f.opcode),
			     (unsigned long long)m.f.xid, tnet_frame_err(rc));
			tmetrics_request(m.f.opcode, rc, 0, 0, 0);
			if (reply_status(c, &m.f, rc, NULL, 0, NULL, 0))
				break;
			continue;
		}
		/* in progress until its reply is sent (tnet_server_drain) */
		atomic_fetch_add(&s->inflight, 1);
		rc = serve_request(s, c, &m, txbody);
		atomic_fetch_sub(&s->inflight, 1);
		if (rc) {
			tlog_level(LOG_WARNING, "%s: closing connection: reply failed: %s",
			     c->peer, tnet_frame_err(rc));
			break;
		}
	}
out:
	if (connected)
		tmetrics_conn(c->role, -1);
	if (connected)
		rcache_client_down(s->rcache, c->peer_uuid);
	if (connected && s->ops->disconnected)
		s->ops->disconnected(s->ctx, c);
	free(txbody);
	tnet_conn_free(c);
	return NULL;
}

void tnet_server_spawn(struct tnet_server *s, struct tnet_conn *c,
		       uint32_t addr, int (*start)(struct tnet_conn *c))
{
	struct conn_thread *ct = malloc(sizeof(*ct));
	pthread_attr_t attr;
	pthread_t tid;
	int rc = -1;

	if (ct) {
		ct->s = s;
		ct->c = c;
		ct->addr = addr;
		ct->start = start;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&tid, &attr, conn_main, ct);
		pthread_attr_destroy(&attr);
	}
	if (rc) {
		tlog_level(LOG_ERR, "%s: cannot start a thread for it", c->peer);
		free(ct);
		tnet_conn_free(c);
		tnet_preauth_leave(s, addr);
	}
}

void tnet_server_stop(struct tnet_server *s)
{
	atomic_store(&s->stopping, true);
	/* accept() in the loops fails (EINVAL) and they return; the RDMA
	 * ones see stopping within their poll interval */
	for (unsigned i = 0; i < s->nlisten; i++)
		if (s->listen[i].lfd >= 0)
			shutdown(s->listen[i].lfd, SHUT_RDWR);
}

int tnet_server_drain(struct tnet_server *s, int ms)
{
	int64_t end = tnet_mono_ms() + ms;
	int n;

	while ((n = atomic_load(&s->inflight)) > 0 && tnet_mono_ms() < end)
		usleep(10000);
	return n;
}

static int tcp_accept_loop(struct tnet_server *s, struct tnet_listener *l)
{
	for (;;) {
		struct tnet_conn *c;
		struct sockaddr_in sin;
		socklen_t slen = sizeof(sin);
		char ip[INET_ADDRSTRLEN + 8] = "?";
		uint32_t addr;
		int one = 1;
		int fd = accept4(l->lfd, (struct sockaddr *)&sin, &slen,
				 SOCK_CLOEXEC);

		if (fd < 0 && atomic_load(&s->stopping))
			return 0;
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE) {
				if (errno == EMFILE || errno == ENFILE)
					usleep(100000);
				continue;
			}
			return -errno;
		}
		if (sin.sin_family == AF_INET) {
			inet_ntop(AF_INET, &sin.sin_addr, ip, INET_ADDRSTRLEN);
			snprintf(ip + strlen(ip), 8, ":%u", ntohs(sin.sin_port));
		}
		addr = sin.sin_family == AF_INET ? sin.sin_addr.s_addr : 0;
		if (!tnet_preauth_enter(s, addr, ip)) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = tnet_conn_alloc(fd);
		if (!c) {
			close(fd);
			tnet_preauth_leave(s, addr);
			continue;
		}
		tnet_set_peer_name(c);
		c->deadline_ms = tnet_mono_ms() + TNET_HANDSHAKE_MS;
		tnet_server_spawn(s, c, addr, NULL);
	}
}

static int listener_loop(struct tnet_server *s, struct tnet_listener *l)
{
	if (l->rdma)
		return tnet_rdma_accept_loop(s, l->rdma);
	return tcp_accept_loop(s, l);
}

struct listener_arg {
	struct tnet_server *s;
	struct tnet_listener *l;
};

static void *listener_main(void *arg)
{
	struct listener_arg *la = arg;
	char a[TESS_ADDR_MAX + 16];
	int rc = listener_loop(la->s, la->l);

	if (rc) {
		tnet_addr_format(&la->l->addr, a, sizeof(a));
		tlog_level(LOG_ERR, "listener on %s stopped: %s", a,
			   strerror(-rc));
		/* as the daemons treat a failed tnet_server_run */
		kill(getpid(), SIGTERM);
	}
	free(la);
	return NULL;
}

int tnet_server_run(struct tnet_server *s)
{
	if (!s->nlisten)
		return -EINVAL;
	for (unsigned i = 1; i < s->nlisten; i++) {
		struct listener_arg *la = malloc(sizeof(*la));

		if (!la)
			return -ENOMEM;
		la->s = s;
		la->l = &s->listen[i];
		if (pthread_create(&s->listen[i].thr, NULL, listener_main, la)) {
			free(la);
			return -EAGAIN;
		}
		pthread_detach(s->listen[i].thr);
		s->listen[i].thr_started = true;
	}
	return listener_loop(s, &s->listen[0]);
}
