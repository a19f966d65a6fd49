// SPDX-License-Identifier: MIT
/*
 * tnet.c - Tessera's userspace network layer over TCP.
 *
 * A connection carries frames (include/tessera.h).  Every frame read from
 * a peer is checked in this order before anyone looks at it:
 *
 *   header  -> tess_hdr_decode   (magic, version, flags, length limits)
 *   body    -> body_crc           (header + body)
 *   bulk    -> bulk_crc           (if negotiated)
 *   message -> tess_msg_check     (per-opcode sizes, names, layouts)
 *
 * A frame whose header or CRC is bad ends that connection: its lengths
 * cannot be trusted, so there is no way to find the next frame.  A frame
 * that is well formed but unknown or invalid is answered with an error
 * status and the connection goes on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tnet.h"
#include "metrics.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

/*
 * xids: one counter per process, so that a client instance (uuid) never
 * sends two requests with one xid, whichever connection they go on; the
 * servers' reply caches rely on it.  It starts from the clock (as
 * Lustre's) so that even a uuid reused by a later process would not
 * repeat the xids of an earlier one.
 */
static uint64_t xid_counter;
static pthread_once_t xid_once = PTHREAD_ONCE_INIT;

static void xid_seed(void)
{
	xid_counter = (uint64_t)time(NULL) << 20;
}

static uint64_t next_xid(void)
{
	pthread_once(&xid_once, xid_seed);
	return __atomic_add_fetch(&xid_counter, 1, __ATOMIC_RELAXED);
}

void tnet_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			abort();	/* no entropy source: nothing is safe */
		}
		p += n;
		len -= (size_t)n;
	}
}

/* ---- addresses ---- */

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int tnet_addr_parse(const char *s, uint16_t default_port, struct tnet_addr *a,
		    char *err, size_t errlen)
{
	const char *at = strrchr(s, '@');
	size_t hostlen = at ? (size_t)(at - s) : strlen(s);
	const char *colon;
	char *end;

	memset(a, 0, sizeof(*a));
	strcpy(a->net, "tcp");
	if (at) {
		if (strcmp(at + 1, "tcp") != 0) {
			seterr(err, errlen, "'%s': network type '%s' is not supported (tcp)",
			       s, at + 1);
			return -EINVAL;
		}
	}
	colon = memchr(s, ':', hostlen);
	a->port = default_port;
	if (colon) {
		unsigned long port;
		size_t plen = hostlen - (size_t)(colon - s) - 1;
		char pbuf[8];

		if (plen == 0 || plen >= sizeof(pbuf)) {
			seterr(err, errlen, "'%s': bad port", s);
			return -EINVAL;
		}
		memcpy(pbuf, colon + 1, plen);
		pbuf[plen] = 0;
		errno = 0;
		port = strtoul(pbuf, &end, 10);
		if (errno || *end || port == 0 || port > 65535) {
			seterr(err, errlen, "'%s': bad port '%s'", s, pbuf);
			return -EINVAL;
		}
		a->port = (uint16_t)port;
		hostlen = (size_t)(colon - s);
	}
	if (hostlen == 0 || hostlen > TESS_ADDR_MAX - 16) {
		seterr(err, errlen, "'%s': missing or too long host", s);
		return -EINVAL;
	}
	memcpy(a->host, s, hostlen);
	a->host[hostlen] = 0;
	if (!a->port) {
		seterr(err, errlen, "'%s': no port given", s);
		return -EINVAL;
	}
	return 0;
}

void tnet_addr_format(const struct tnet_addr *a, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u@%s", a->host, a->port, a->net);
}

static int resolve(const struct tnet_addr *a, struct sockaddr_in *sin)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	int rc;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(a->port);
	if (inet_pton(AF_INET, a->host, &sin->sin_addr) == 1)
		return 0;
	rc = getaddrinfo(a->host, NULL, &hints, &res);
	if (rc)
		return -EHOSTUNREACH;
	sin->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

/* ---- key file ---- */

int tnet_key_load(const char *path, struct tnet_key *key, char *err,
		  size_t errlen)
{
	uint8_t buf[TESS_KEY_MAX + 64];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	/*
	 * As ssh with a private key: whoever else can read it is root over
	 * the file system, so a key file others can reach is refused.
	 */
	if (fstat(fd, &st)) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: the key file is not a regular file",
		       path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		seterr(err, errlen, "%s: the key file is owned by uid %u, not by "
		       "this user (uid %u) or root: refused (chown it, then "
		       "chmod 600 %s)", path, (unsigned)st.st_uid,
		       (unsigned)geteuid(), path);
		close(fd);
		return -EACCES;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		seterr(err, errlen, "%s: the key file is accessible by group or "
		       "others (mode %04o): refused; run: chmod 600 %s", path,
		       (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -EACCES;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\r' || buf[n - 1] == '\t'))
		n--;
	if (n < TESS_KEY_MIN || n > TESS_KEY_MAX) {
		seterr(err, errlen, "%s: key must be %d to %d bytes, not %zd",
		       path, TESS_KEY_MIN, TESS_KEY_MAX, n);
		return -EINVAL;
	}
	memcpy(key->bytes, buf, (size_t)n);
	key->len = (size_t)n;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* HMAC-SHA256(K, label | a | b) */
static void handshake_mac(const struct tnet_key *key, const char *label,
			  const uint8_t *a, const uint8_t *b, uint8_t *out)
{
	uint8_t msg[64 + 2 * TESS_NONCE_LEN];
	size_t ll = strlen(label);
	unsigned int outlen = TESS_MAC_LEN;

	memcpy(msg, label, ll);
	memcpy(msg + ll, a, TESS_NONCE_LEN);
	memcpy(msg + ll + TESS_NONCE_LEN, b, TESS_NONCE_LEN);
	HMAC(EVP_sha256(), key->bytes, (int)key->len, msg,
	     ll + 2 * TESS_NONCE_LEN, out, &outlen);
}

/* ---- raw I/O ---- */

_Static_assert(TNET_PREAUTH_BODY_MAX >= sizeof(struct tess_hello_req) &&
	       TNET_PREAUTH_BODY_MAX >= sizeof(struct tess_auth_req),
	       "a HELLO or AUTH body fits before authentication");

static int io_err(int e)
{
	if (e == EAGAIN || e == EWOULDBLOCK)
		return -ETIMEDOUT;
	return -e;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until fd is readable or the deadline (CLOCK_MONOTONIC ms) passed:
 * 0 or -ETIMEDOUT.  The handshake's deadline is one for all its bytes, so
 * a peer that trickles a byte now and then cannot hold the thread.
 */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		int64_t left = deadline - mono_ms();
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

static int read_full(const struct tnet_conn *c, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n;

		if (c->deadline_ms) {
			int rc = wait_readable(c->fd, c->deadline_ms);

			if (rc)
				return rc;
		}
		n = recv(c->fd, p, len, 0);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return io_err(errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int discard(const struct tnet_conn *c, size_t len)
{
	uint8_t tmp[8192];

	while (len) {
		size_t n = len < sizeof(tmp) ? len : sizeof(tmp);
		int rc = read_full(c, tmp, n);

		if (rc)
			return rc;
		len -= n;
	}
	return 0;
}

static int send_frame(struct tnet_conn *c, struct tess_frame *f,
		      const void *body, const void *bulk)
{
	struct tess_hdr h;
	struct iovec iov[3];
	struct msghdr mh = { .msg_iov = iov };
	int n = 0;

	f->version = c->version ? c->version : TESS_PROTO_VERSION;
	f->body_crc = 0;
	f->bulk_crc = 0;
	if (f->bulk_len && (c->features & TESS_FEAT_BULK_CRC))
		f->bulk_crc = tess_crc_final(tess_crc_update(tess_crc_init(),
							     bulk, f->bulk_len));
	tess_hdr_encode(&h, f);
	tess_hdr_seal(&h, body, f->body_len);

	iov[n++] = (struct iovec){ &h, sizeof(h) };
	if (f->body_len)
		iov[n++] = (struct iovec){ (void *)body, f->body_len };
	if (f->bulk_len)
		iov[n++] = (struct iovec){ (void *)bulk, f->bulk_len };
	mh.msg_iovlen = (size_t)n;

	while (mh.msg_iovlen) {
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return io_err(errno);
		}
		while (mh.msg_iovlen && (size_t)w >= mh.msg_iov->iov_len) {
			w -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base + w;
			mh.msg_iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * Receive one frame.  Bulk goes to *bulk_dst (capacity bulk_cap) if given,
 * else into the connection's growable buffer.  Returns 0, or -errno with
 * *fatal telling whether the stream is still in sync (false: the whole
 * frame was consumed and can be answered with an error).
 */
static int recv_frame(struct tnet_conn *c, struct tnet_msg *m, void *bulk_dst,
		      uint32_t bulk_cap, bool *fatal)
{
	struct tess_hdr h;
	void *bulk = NULL;
	int rc, err;

	*fatal = true;
	rc = read_full(c, &h, sizeof(h));
	if (rc)
		return rc;
	err = tess_hdr_decode(&h, &m->f);
	if (err && err != -EOPNOTSUPP)
		return err;
	/*
	 * Before authentication only a HELLO or an AUTH may come: nothing
	 * larger is read, nor any bulk allocated, for an unknown peer.
	 */
	if (c->deadline_ms && (m->f.bulk_len || m->f.body_len > TNET_PREAUTH_BODY_MAX))
		return -EMSGSIZE;
	rc = read_full(c, c->rx_body, m->f.body_len);
	if (rc)
		return rc;
	if (tess_body_crc(&h, c->rx_body, m->f.body_len) != m->f.body_crc)
		return -EBADE;		/* reported as "checksum mismatch" */
	m->body = c->rx_body;
	m->bulk = NULL;
	m->has_cred = false;

	if (err) {			/* unknown opcode: skip its bulk */
		rc = discard(c, m->f.bulk_len);
		if (rc)
			return rc;
		*fatal = false;
		return err;
	}
	if (m->f.bulk_len) {
		if (bulk_dst) {
			if (m->f.bulk_len > bulk_cap)
				return -EMSGSIZE;
			bulk = bulk_dst;
		} else {
			if (m->f.bulk_len > c->rx_bulk_cap) {
				void *nb = realloc(c->rx_bulk, m->f.bulk_len);

				if (!nb)
					return -ENOMEM;
				c->rx_bulk = nb;
				c->rx_bulk_cap = m->f.bulk_len;
			}
			bulk = c->rx_bulk;
		}
		rc = read_full(c, bulk, m->f.bulk_len);
		if (rc)
			return rc;
		if ((c->features & TESS_FEAT_BULK_CRC) &&
		    tess_crc_final(tess_crc_update(tess_crc_init(), bulk,
						   m->f.bulk_len)) != m->f.bulk_crc)
			return -EBADE;
		m->bulk = bulk;
	}
	*fatal = false;
	if (m->f.flags & TESS_HF_CRED) {
		rc = tnet_cred_take(&m->f, m->body, &m->cred);
		if (rc)
			return rc;
		m->has_cred = true;
	}
	return tess_msg_check(&m->f, m->body);
}

static const char *frame_err(int err)
{
	switch (err) {
	case -EPROTO:
		return "not a Tessera frame or unsupported version";
	case -EBADMSG:
		return "malformed frame";
	case -EMSGSIZE:
		return "length over the protocol limit";
	case -EBADE:
		return "checksum mismatch";
	case -EOPNOTSUPP:
		return "unknown opcode";
	case -ECONNRESET:
		return "connection closed by peer";
	case -ETIMEDOUT:
		return "timed out";
	default:
		return strerror(-err);
	}
}

static struct tnet_conn *conn_alloc(int fd)
{
	struct tnet_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rx_body = malloc(TESS_MAX_BODY);
	if (!c->rx_body) {
		free(c);
		return NULL;
	}
	c->fd = fd;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void conn_free(struct tnet_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	pthread_mutex_destroy(&c->lock);
	free(c->rx_body);
	free(c->rx_bulk);
	free(c);
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * An authenticated connection waits for requests with no time limit (a
 * client may be idle for hours); TCP keepalive finds a peer that went
 * away without a FIN (power cut, cable, a NAT that forgot it) within
 * TNET_KEEPIDLE_S + TNET_KEEPCNT * TNET_KEEPINTVL_S, and frees its
 * thread.
 */
static void set_keepalive(int fd)
{
	int on = 1, idle = TNET_KEEPIDLE_S, intvl = TNET_KEEPINTVL_S,
	    cnt = TNET_KEEPCNT;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

static void set_peer_name(struct tnet_conn *c)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char ip[INET_ADDRSTRLEN] = "?";

	if (getpeername(c->fd, (struct sockaddr *)&sin, &len) == 0)
		inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	snprintf(c->peer, sizeof(c->peer), "%s:%u", ip, ntohs(sin.sin_port));
}

/* ---- client ---- */

static int connect_timeout(int fd, const struct sockaddr_in *sin, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int flags = fcntl(fd, F_GETFL);
	int rc, soerr = 0;
	socklen_t len = sizeof(soerr);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	rc = connect(fd, (const struct sockaddr *)sin, sizeof(*sin));
	if (rc < 0 && errno != EINPROGRESS)
		return -errno;
	if (rc < 0) {
		do {
			rc = poll(&pfd, 1, ms);
		} while (rc < 0 && errno == EINTR);
		if (rc == 0)
			return -ETIMEDOUT;
		if (rc < 0)
			return -errno;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr)
			return -soerr;
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

static int client_handshake(struct tnet_conn *c, const struct tnet_key *key,
			    int role, const uint8_t uuid[16])
{
	struct tess_hello_req hreq = { 0 };
	const struct tess_hello_rep *hrep;
	struct tess_auth_req auth;
	struct tess_frame f = { 0 };
	struct tnet_msg m;
	uint8_t nc[TESS_NONCE_LEN], mac[TESS_MAC_LEN];
	bool fatal;
	int rc;

	tnet_random(nc, sizeof(nc));
	hreq.ver_min = cpu_to_le16(TESS_PROTO_MIN);
	hreq.ver_max = cpu_to_le16(TESS_PROTO_VERSION);
	hreq.role = cpu_to_le32((uint32_t)role);
	hreq.features = cpu_to_le64(TESS_FEAT_KNOWN);
	memcpy(hreq.uuid, uuid, 16);
	memcpy(hreq.nonce, nc, sizeof(nc));

	f.opcode = TESS_OP_HELLO;
	f.flags = TESS_HF_REQUEST;
	f.xid = next_xid();
	f.body_len = sizeof(hreq);
	rc = send_frame(c, &f, &hreq, NULL);
	if (rc)
		return rc;
	rc = recv_frame(c, &m, NULL, 0, &fatal);
	if (rc)
		return rc;
	if (m.f.opcode != TESS_OP_HELLO || !(m.f.flags & TESS_HF_REPLY))
		return -EPROTO;
	if (m.f.status)
		return -(int)m.f.status;
	hrep = m.body;
	handshake_mac(key, "tessera-server", nc, hrep->nonce, mac);
	if (CRYPTO_memcmp(mac, hrep->mac, sizeof(mac)))
		return -EACCES;		/* the server does not hold our key */
	if (le16_to_cpu(hrep->version) < TESS_PROTO_MIN ||
	    le16_to_cpu(hrep->version) > TESS_PROTO_VERSION)
		return -EPROTO;
	c->features = le64_to_cpu(hrep->features) & TESS_FEAT_KNOWN;
	c->version = le16_to_cpu(hrep->version);
	memcpy(c->peer_uuid, hrep->uuid, 16);

	handshake_mac(key, "tessera-client", hrep->nonce, nc, auth.mac);
	memset(&f, 0, sizeof(f));
	f.opcode = TESS_OP_AUTH;
	f.flags = TESS_HF_REQUEST;
	f.xid = next_xid();
	f.body_len = sizeof(auth);
	rc = send_frame(c, &f, &auth, NULL);
	if (rc)
		return rc;
	rc = recv_frame(c, &m, NULL, 0, &fatal);
	if (rc)
		return rc == -ECONNRESET ? -EACCES : rc;
	if (m.f.opcode != TESS_OP_AUTH || !(m.f.flags & TESS_HF_REPLY))
		return -EPROTO;
	return -(int)m.f.status;
}

struct tnet_conn *tnet_connect(const struct tnet_addr *a,
			       const struct tnet_key *key, int role,
			       const uint8_t uuid[16], int timeout_ms,
			       int *err)
{
	struct sockaddr_in sin;
	struct tnet_conn *c;
	int fd, rc, one = 1;

	rc = resolve(a, &sin);
	if (rc) {
		*err = rc;
		return NULL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	rc = connect_timeout(fd, &sin, timeout_ms);
	if (rc) {
		close(fd);
		*err = rc;
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = conn_alloc(fd);
	if (!c) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	set_peer_name(c);
	c->timeout_ms = timeout_ms;
	set_timeout(fd, timeout_ms);
	rc = client_handshake(c, key, role, uuid);
	if (rc) {
		conn_free(c);
		*err = rc;
		return NULL;
	}
	*err = 0;
	return c;
}

void tnet_close(struct tnet_conn *c)
{
	if (c)
		conn_free(c);
}

bool tnet_conn_dead(const struct tnet_conn *c)
{
	return c->fd < 0;
}

static int do_call(struct tnet_conn *c, struct tnet_call *call, uint32_t flags)
{
	struct tess_frame f = { 0 };
	const void *body = call->body;
	void *cbody = NULL;
	bool fatal;
	int rc;

	pthread_mutex_lock(&c->lock);
	if (c->fd < 0) {
		rc = -ENOTCONN;
		goto out;
	}
	f.opcode = call->op;
	f.flags = TESS_HF_REQUEST | flags;
	f.xid = call->xid;
	f.body_len = call->body_len;
	f.bulk_len = call->bulk_len;
	if (call->cred && (c->features & TESS_FEAT_CRED)) {
		/* the body, then the credentials (one CRC covers both) */
		if (call->body_len > TESS_MAX_BODY - sizeof(*call->cred)) {
			rc = -EMSGSIZE;
			goto out;
		}
		cbody = malloc(call->body_len + sizeof(*call->cred));
		if (!cbody) {
			rc = -ENOMEM;
			goto out;
		}
		if (call->body_len)
			memcpy(cbody, call->body, call->body_len);
		memcpy((uint8_t *)cbody + call->body_len, call->cred,
		       sizeof(*call->cred));
		f.body_len += (uint32_t)sizeof(*call->cred);
		f.flags |= TESS_HF_CRED;
		body = cbody;
	}
	rc = send_frame(c, &f, body, call->bulk);
	free(cbody);
	if (rc)
		goto dead;
	rc = recv_frame(c, &call->reply, call->rbulk, call->rbulk_cap, &fatal);
	if (rc)
		goto dead;
	if (!(call->reply.f.flags & TESS_HF_REPLY) ||
	    call->reply.f.xid != f.xid || call->reply.f.opcode != f.opcode) {
		rc = -EPROTO;
		goto dead;
	}
	rc = -(int)call->reply.f.status;
	if (call->rbody) {
		if (call->reply.f.body_len > call->rbody_cap) {
			rc = -EMSGSIZE;
			goto out;
		}
		memcpy(call->rbody, call->reply.body, call->reply.f.body_len);
		call->reply.body = call->rbody;
	}
	goto out;
dead:
	/* the stream is out of sync or gone: no later call may use it */
	close(c->fd);
	c->fd = -1;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tnet_call(struct tnet_conn *c, struct tnet_call *call)
{
	call->xid = next_xid();
	return do_call(c, call, 0);
}

int tnet_resend(struct tnet_conn *c, struct tnet_call *call)
{
	if (!call->xid)
		return tnet_call(c, call);
	return do_call(c, call, TESS_HF_RESENT);
}

/* ---- server ---- */

int tnet_server_init(struct tnet_server *s, const struct tnet_addr *listen_addr,
		     const struct tnet_key *key,
		     const struct tnet_server_ops *ops, void *ctx)
{
	struct sockaddr_in sin;
	int one = 1, rc;

	memset(s, 0, sizeof(*s));
	signal(SIGPIPE, SIG_IGN);
	rc = resolve(listen_addr, &sin);
	if (rc)
		return rc;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s->lfd, 256) < 0) {
		rc = -errno;
		close(s->lfd);
		s->lfd = -1;
		return rc;
	}
	s->key = *key;
	s->ops = ops;
	s->ctx = ctx;
	s->features = TESS_FEAT_KNOWN;
	tnet_random(s->uuid, sizeof(s->uuid));
	s->rcache = rcache_create(RCACHE_PER_CLIENT_DEFAULT,
				  TNET_LEASE_DEFAULT * 1000);
	if (!s->rcache) {
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
		seterr(err, errlen, "'%s': expected OPCODE[:N], a numeric "
		       "opcode below %d and N >= 1", spec, TESS_OP_MAX);
		return -EINVAL;
	}
	if (s->nfaults == TNET_FAULTS_MAX) {
		seterr(err, errlen, "at most %d faults", TNET_FAULTS_MAX);
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
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(s->lfd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
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
	return send_frame(c, &f, body, bulk);
}

static int server_handshake(struct tnet_server *s, struct tnet_conn *c)
{
	const struct tess_hello_req *hreq;
	struct tess_hello_rep hrep = { 0 };
	const struct tess_auth_req *auth;
	uint8_t nc[TESS_NONCE_LEN], mac[TESS_MAC_LEN];
	struct tnet_msg m;
	bool fatal;
	int rc, role;

	rc = recv_frame(c, &m, NULL, 0, &fatal);
	if (rc)
		return rc;
	if (m.f.opcode != TESS_OP_HELLO || !(m.f.flags & TESS_HF_REQUEST))
		return -EPROTO;
	hreq = m.body;
	role = (int)le32_to_cpu(hreq->role);
	if (le16_to_cpu(hreq->ver_min) > TESS_PROTO_VERSION ||
	    le16_to_cpu(hreq->ver_max) < TESS_PROTO_MIN ||
	    role < TESS_ROLE_CLIENT || role > TESS_ROLE_ADMIN) {
		reply_status(c, &m.f, EPROTONOSUPPORT, NULL, 0, NULL, 0);
		return -EPROTONOSUPPORT;
	}
	c->role = role;
	memcpy(c->peer_uuid, hreq->uuid, 16);
	memcpy(nc, hreq->nonce, sizeof(nc));
	c->features = le64_to_cpu(hreq->features) & s->features;

	/* the newest both speak: an older client keeps working */
	c->version = le16_to_cpu(hreq->ver_max) < TESS_PROTO_VERSION ?
		     le16_to_cpu(hreq->ver_max) : TESS_PROTO_VERSION;
	hrep.version = cpu_to_le16(c->version);
	hrep.features = cpu_to_le64(c->features);
	memcpy(hrep.uuid, s->uuid, 16);
	tnet_random(hrep.nonce, sizeof(hrep.nonce));
	handshake_mac(&s->key, "tessera-server", nc, hrep.nonce, hrep.mac);
	/* the HELLO reply goes out before features apply to bulk */
	rc = reply_status(c, &m.f, 0, &hrep, sizeof(hrep), NULL, 0);
	if (rc)
		return rc;

	rc = recv_frame(c, &m, NULL, 0, &fatal);
	if (rc)
		return rc;
	if (m.f.opcode != TESS_OP_AUTH || !(m.f.flags & TESS_HF_REQUEST))
		return -EPROTO;
	auth = m.body;
	handshake_mac(&s->key, "tessera-client", hrep.nonce, nc, mac);
	if (CRYPTO_memcmp(mac, auth->mac, sizeof(mac))) {
		reply_status(c, &m.f, EACCES, NULL, 0, NULL, 0);
		return -EACCES;
	}
	return reply_status(c, &m.f, 0, NULL, 0, NULL, 0);
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
	free_e->progress_ms = mono_ms();
	return free_e;
}

/* a log line at most once a second, with the count since the last one */
static void preauth_refuse(unsigned long *refused, int64_t *logged,
			   const char *ip, const char *why, int limit)
{
	int64_t now = mono_ms();

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
static bool preauth_enter(struct tnet_server *s, uint32_t addr,
			  const char *ip)
{
	int64_t end = mono_ms() + TNET_PREAUTH_WAIT_MS;
	struct timespec ts = { .tv_sec = end / 1000,
			       .tv_nsec = (end % 1000) * 1000000 };
	struct tnet_preauth_addr *e;
	bool full, timed_out = false;

	pthread_mutex_lock(&s->preauth_lock);
	for (;;) {
		full = preauth_addr_full(s, addr);
		if (full) {
			e = preauth_entry(s, addr, false);
			if (mono_ms() - e->progress_ms >=
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

static void preauth_leave(struct tnet_server *s, uint32_t addr)
{
	struct tnet_preauth_addr *e;

	pthread_mutex_lock(&s->preauth_lock);
	e = preauth_entry(s, addr, false);
	if (e) {
		e->n--;
		e->progress_ms = mono_ms();
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
	struct tnet_msg m;
	void *txbody = NULL;
	bool fatal, connected = false;
	int rc;

	free(ct);
	/* sends: SO_SNDTIMEO; receives: the one deadline set at accept */
	set_timeout(c->fd, TNET_HANDSHAKE_MS);
	rc = server_handshake(s, c);
	c->deadline_ms = 0;
	preauth_leave(s, addr);
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
		     frame_err(rc));
		goto out;
	}
	set_timeout(c->fd, 0);
	set_keepalive(c->fd);
	txbody = malloc(TESS_MAX_BODY);
	if (!txbody)
		goto out;
	if (s->ops->connected && s->ops->connected(s->ctx, c))
		goto out;
	connected = true;
	tmetrics_conn(c->role, 1);
	rcache_client_up(s->rcache, c->peer_uuid);

	for (;;) {
		rc = recv_frame(c, &m, NULL, 0, &fatal);
		if (rc && fatal) {
			if (rc != -ECONNRESET)
				tlog("%s: closing connection: %s", c->peer,
				     frame_err(rc));
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
			     (unsigned long long)m.f.xid, frame_err(rc));
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
			     c->peer, frame_err(rc));
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
	conn_free(c);
	return NULL;
}

void tnet_server_stop(struct tnet_server *s)
{
	atomic_store(&s->stopping, true);
	/* accept() in tnet_server_run fails (EINVAL) and it returns */
	shutdown(s->lfd, SHUT_RDWR);
}

int tnet_server_drain(struct tnet_server *s, int ms)
{
	int64_t end = mono_ms() + ms;
	int n;

	while ((n = atomic_load(&s->inflight)) > 0 && mono_ms() < end)
		usleep(10000);
	return n;
}

int tnet_server_run(struct tnet_server *s)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct conn_thread *ct;
		struct tnet_conn *c;
		struct sockaddr_in sin;
		socklen_t slen = sizeof(sin);
		char ip[INET_ADDRSTRLEN + 8] = "?";
		pthread_t tid;
		uint32_t addr;
		int one = 1;
		int fd = accept4(s->lfd, (struct sockaddr *)&sin, &slen,
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
		if (!preauth_enter(s, addr, ip)) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = conn_alloc(fd);
		ct = malloc(sizeof(*ct));
		if (!c || !ct) {
			free(ct);
			if (c)
				conn_free(c);
			else
				close(fd);
			preauth_leave(s, addr);
			continue;
		}
		set_peer_name(c);
		c->deadline_ms = mono_ms() + TNET_HANDSHAKE_MS;
		ct->s = s;
		ct->c = c;
		ct->addr = addr;
		if (pthread_create(&tid, &attr, conn_main, ct)) {
			tlog_level(LOG_ERR, "%s: cannot start a thread for it", c->peer);
			free(ct);
			conn_free(c);
			preauth_leave(s, addr);
		}
	}
}
