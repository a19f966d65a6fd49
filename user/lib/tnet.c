// SPDX-License-Identifier: MIT
/*
 * tnet.c - Tessera's userspace network layer: frames over a transport
 * (struct tnet_io_ops): TCP here, RDMA in tnet_rdma.c.
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
#include "tnet_int.h"
#include "tnet_rdma.h"
#include "tnet_sec.h"
#include "metrics.h"

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

void tnet_seterr(char *err, size_t len, const char *fmt, ...)
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
		if (strcmp(at + 1, "tcp") && strcmp(at + 1, "rdma")) {
			tnet_seterr(err, errlen, "'%s': network type '%s' is not "
			       "supported (tcp or rdma)", s, at + 1);
			return -EINVAL;
		}
		strcpy(a->net, at + 1);
	}
	colon = memchr(s, ':', hostlen);
	a->port = default_port;
	if (colon) {
		unsigned long port;
		size_t plen = hostlen - (size_t)(colon - s) - 1;
		char pbuf[8];

		if (plen == 0 || plen >= sizeof(pbuf)) {
			tnet_seterr(err, errlen, "'%s': bad port", s);
			return -EINVAL;
		}
		memcpy(pbuf, colon + 1, plen);
		pbuf[plen] = 0;
		errno = 0;
		port = strtoul(pbuf, &end, 10);
		if (errno || *end || port == 0 || port > 65535) {
			tnet_seterr(err, errlen, "'%s': bad port '%s'", s, pbuf);
			return -EINVAL;
		}
		a->port = (uint16_t)port;
		hostlen = (size_t)(colon - s);
	}
	if (hostlen == 0 || hostlen > TESS_ADDR_MAX - 16) {
		tnet_seterr(err, errlen, "'%s': missing or too long host", s);
		return -EINVAL;
	}
	memcpy(a->host, s, hostlen);
	a->host[hostlen] = 0;
	if (!a->port) {
		tnet_seterr(err, errlen, "'%s': no port given", s);
		return -EINVAL;
	}
	return 0;
}

void tnet_addr_format(const struct tnet_addr *a, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u@%s", a->host, a->port, a->net);
}

/* entry i of list (0-based) into a; -ENOENT past the last */
static int addr_list_entry(const char *list, unsigned i, uint16_t dport,
			   struct tnet_addr *a, char *err, size_t errlen)
{
	char one[TESS_ADDR_MAX + 1];
	const char *p = list, *end;
	size_t n;

	for (;; i--) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (!i)
			break;
		if (!end)
			return -ENOENT;
		p = end + 1;
	}
	if (!n || n >= sizeof(one)) {
		tnet_seterr(err, errlen, "'%s': an empty or too long entry", list);
		return -EINVAL;
	}
	memcpy(one, p, n);
	one[n] = 0;
	return tnet_addr_parse(one, dport, a, err, errlen);
}

int tnet_addr_list_check(const char *list, uint16_t default_port, char *err,
			 size_t errlen)
{
	struct tnet_addr a;
	int rc;

	for (unsigned i = 0; (rc = addr_list_entry(list, i, default_port, &a,
						     err, errlen)) != -ENOENT;
	     i++)
		if (rc)
			return rc;
	return 0;
}

int tnet_addr_pick(const char *list, const char *net, uint16_t default_port,
		   struct tnet_addr *a, char *err, size_t errlen)
{
	struct tnet_addr e, tcp, first;
	bool have_tcp = false;
	int rc;

	rc = tnet_addr_list_check(list, default_port, err, errlen);
	if (rc)
		return rc;
	for (unsigned i = 0; !addr_list_entry(list, i, default_port, &e, NULL,
					      0); i++) {
		if (!i)
			first = e;
		if (net && !strcmp(e.net, net)) {
			*a = e;
			return 0;
		}
		if (!have_tcp && !strcmp(e.net, "tcp")) {
			tcp = e;
			have_tcp = true;
		}
	}
	*a = have_tcp ? tcp : first;
	return 0;
}

int tnet_resolve(const struct tnet_addr *a, struct sockaddr_in *sin)
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
		tnet_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	/*
	 * As ssh with a private key: whoever else can read it is root over
	 * the file system, so a key file others can reach is refused.
	 */
	if (fstat(fd, &st)) {
		tnet_seterr(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		tnet_seterr(err, errlen, "%s: the key file is not a regular file",
		       path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		tnet_seterr(err, errlen, "%s: the key file is owned by uid %u, not by "
		       "this user (uid %u) or root: refused (chown it, then "
		       "chmod 600 %s)", path, (unsigned)st.st_uid,
		       (unsigned)geteuid(), path);
		close(fd);
		return -EACCES;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		tnet_seterr(err, errlen, "%s: the key file is accessible by group or "
		       "others (mode %04o): refused; run: chmod 600 %s", path,
		       (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -EACCES;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		tnet_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\r' || buf[n - 1] == '\t'))
		n--;
	if (n < TESS_KEY_MIN || n > TESS_KEY_MAX) {
		tnet_seterr(err, errlen, "%s: key must be %d to %d bytes, not %zd",
		       path, TESS_KEY_MIN, TESS_KEY_MAX, n);
		return -EINVAL;
	}
	memcpy(key->bytes, buf, (size_t)n);
	key->len = (size_t)n;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* HMAC-SHA256(K, label | a | b) */
int tnet_keys_load(const char *key, const char *client, const char *server,
		   struct tnet_key *server_key, struct tnet_key *client_key,
		   const char **opt, char *err, size_t errlen)
{
	int rc;

	if (!server && !key) {
		*opt = client ? "--server-key" : "--key";
		tnet_seterr(err, errlen, "required (%s)", client ?
			    "the servers' key: --client-key alone is not enough" :
			    "shared key file, or --client-key and --server-key");
		return -EINVAL;
	}
	if (!client && !key) {
		*opt = "--client-key";
		tnet_seterr(err, errlen, "required (the clients' key: "
			    "--server-key alone is not enough)");
		return -EINVAL;
	}
	*opt = server ? "--server-key" : "--key";
	rc = tnet_key_load(server ? server : key, server_key, err, errlen);
	if (rc)
		return rc;
	*opt = client ? "--client-key" : "--key";
	return tnet_key_load(client ? client : key, client_key, err, errlen);
}

void tnet_handshake_mac(const struct tnet_key *key, const char *label,
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

int64_t tnet_mono_ms(void)
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
static int tcp_wait_readable(struct tnet_conn *c, int64_t deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	for (;;) {
		int64_t left = deadline - tnet_mono_ms();
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

static long tcp_read(struct tnet_conn *c, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);

		if (n == 0)
			return -ECONNRESET;
		if (n > 0)
			return n;
		if (errno != EINTR)
			return io_err(errno);
	}
}

static int tcp_writev(struct tnet_conn *c, struct iovec *iov, int iovcnt)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };

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

static void tcp_set_timeout(struct tnet_conn *c, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void tcp_shutdown(struct tnet_conn *c)
{
	shutdown(c->fd, SHUT_RD);
}

static void tcp_close(struct tnet_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int tcp_local_addr(struct tnet_conn *c, struct sockaddr_in *sin)
{
	socklen_t sl = sizeof(*sin);

	if (getsockname(c->fd, (struct sockaddr *)sin, &sl))
		return -errno;
	return sin->sin_family == AF_INET ? 0 : -EAFNOSUPPORT;
}

const struct tnet_io_ops tnet_tcp_ops = {
	.net = "tcp",
	.read = tcp_read,
	.writev = tcp_writev,
	.wait_readable = tcp_wait_readable,
	.set_timeout = tcp_set_timeout,
	.shutdown = tcp_shutdown,
	.close = tcp_close,
	.local_addr = tcp_local_addr,
};

static int read_full(struct tnet_conn *c, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		long n;

		if (c->deadline_ms) {
			int rc = c->io->wait_readable(c, c->deadline_ms);

			if (rc)
				return rc;
		}
		n = c->io->read(c, p, len);
		if (n < 0)
			return (int)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int discard(struct tnet_conn *c, size_t len, bool sec)
{
	uint8_t tmp[8192];

	while (len) {
		size_t n = len < sizeof(tmp) ? len : sizeof(tmp);
		int rc = read_full(c, tmp, n);

		if (!rc && sec)
			rc = tnet_sec_open_update(c, tmp, n);
		if (rc)
			return rc;
		len -= n;
	}
	return 0;
}

int tnet_send_frame(struct tnet_conn *c, struct tess_frame *f,
		      const void *body, const void *bulk)
{
	struct tess_hdr h;
	struct iovec iov[4];
	uint8_t tag[TESS_SEC_TAG_LEN];
	int n = 0, rc;

	f->version = c->version ? c->version : TESS_PROTO_VERSION;
	f->body_crc = 0;
	f->bulk_crc = 0;
	tess_hdr_encode(&h, f);
	/* protected: the tag over the header as it is now (CRCs zero);
	 * the CRCs then cover what goes on the wire */
	if (c->sec_on) {
		rc = tnet_sec_seal(c, &h, body, f->body_len, bulk, f->bulk_len,
				   &body, &bulk, tag);
		if (rc)
			return rc;
	}
	if (f->bulk_len && (c->features & TESS_FEAT_BULK_CRC)) {
		f->bulk_crc = tess_crc_final(tess_crc_update(tess_crc_init(),
							     bulk, f->bulk_len));
		h.bulk_crc = cpu_to_le32(f->bulk_crc);
	}
	tess_hdr_seal(&h, body, f->body_len);

	iov[n++] = (struct iovec){ &h, sizeof(h) };
	if (f->body_len)
		iov[n++] = (struct iovec){ (void *)body, f->body_len };
	if (f->bulk_len)
		iov[n++] = (struct iovec){ (void *)bulk, f->bulk_len };
	if (c->sec_on)
		iov[n++] = (struct iovec){ tag, sizeof(tag) };
	return c->io->writev(c, iov, n);
}

/* the tag after a protected frame, checked against what was fed */
static int recv_tag(struct tnet_conn *c)
{
	uint8_t tag[TESS_SEC_TAG_LEN];
	int rc = read_full(c, tag, sizeof(tag));

	return rc ? rc : tnet_sec_open_end(c, tag);
}

/* a buffer for a received bulk: the caller's or the connection's */
static int bulk_buf(struct tnet_conn *c, uint32_t len, void *bulk_dst,
		    uint32_t bulk_cap, void **out)
{
	if (bulk_dst) {
		if (len > bulk_cap)
			return -EMSGSIZE;
		*out = bulk_dst;
		return 0;
	}
	if (len > c->rx_bulk_cap) {
		void *nb = realloc(c->rx_bulk, len);

		if (!nb)
			return -ENOMEM;
		c->rx_bulk = nb;
		c->rx_bulk_cap = len;
	}
	*out = c->rx_bulk;
	return 0;
}

/*
 * Receive one frame.  Bulk goes to *bulk_dst (capacity bulk_cap) if given,
 * else into the connection's growable buffer.  Returns 0, or -errno with
 * *fatal telling whether the stream is still in sync (false: the whole
 * frame was consumed and can be answered with an error).  A protected
 * frame (c->sec_on) is checked against its tag before anything of it is
 * used; a wrong tag is TNET_ERR_SEC, fatal.
 */
int tnet_recv_frame(struct tnet_conn *c, struct tnet_msg *m, void *bulk_dst,
		      uint32_t bulk_cap, bool *fatal)
{
	struct tess_hdr h;
	void *bulk = NULL;
	bool sec = c->sec_on;
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
	if (sec) {
		rc = tnet_sec_open_begin(c, &h);
		if (!rc)
			rc = tnet_sec_open_update(c, c->rx_body, m->f.body_len);
		if (rc)
			return rc;
	}
	m->body = c->rx_body;
	m->bulk = NULL;
	m->has_cred = false;

	if (err) {			/* unknown opcode: skip its bulk */
		rc = discard(c, m->f.bulk_len, sec);
		if (!rc && sec)
			rc = recv_tag(c);
		if (rc)
			return rc;
		*fatal = false;
		return err;
	}
	if (m->f.bulk_len) {
		rc = bulk_buf(c, m->f.bulk_len, bulk_dst, bulk_cap, &bulk);
		if (rc)
			return rc;
		rc = read_full(c, bulk, m->f.bulk_len);
		if (rc)
			return rc;
		if ((c->features & TESS_FEAT_BULK_CRC) &&
		    tess_crc_final(tess_crc_update(tess_crc_init(), bulk,
						   m->f.bulk_len)) != m->f.bulk_crc)
			return -EBADE;
		if (sec) {
			rc = tnet_sec_open_update(c, bulk, m->f.bulk_len);
			if (rc)
				return rc;
		}
		m->bulk = bulk;
	}
	if (sec) {
		rc = recv_tag(c);
		if (rc)
			return rc;
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

const char *tnet_frame_err(int err)
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
	case TNET_ERR_SEC:
		return "frame authentication failed (altered, replayed or "
		       "out of order)";
	case -EOPNOTSUPP:
		return "unknown opcode";
	case -ECONNRESET:
		return "connection closed by peer";
	case -ETIMEDOUT:
		return "timed out";
	case -EREMOTEIO:		/* tnet_rdma.c, logged there */
		return "the peer broke the @rdma message format";
	default:
		return strerror(-err);
	}
}

struct tnet_conn *tnet_conn_alloc(int fd)
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
	c->io = &tnet_tcp_ops;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void tnet_conn_free(struct tnet_conn *c)
{
	c->io->close(c);
	tnet_sec_free(c);
	pthread_mutex_destroy(&c->lock);
	free(c->rx_body);
	free(c->rx_bulk);
	free(c);
}

/*
 * An authenticated connection waits for requests with no time limit (a
 * client may be idle for hours); TCP keepalive finds a peer that went
 * away without a FIN (power cut, cable, a NAT that forgot it) within
 * TNET_KEEPIDLE_S + TNET_KEEPCNT * TNET_KEEPINTVL_S, and frees its
 * thread.
 */
void tnet_set_keepalive(int fd)
{
	int on = 1, idle = TNET_KEEPIDLE_S, intvl = TNET_KEEPINTVL_S,
	    cnt = TNET_KEEPCNT;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

void tnet_set_peer_name(struct tnet_conn *c)
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

/*
 * The HELLO reply's MAC, and for version 4 the session keys: 0, -EACCES
 * (the server does not hold our key, or a man in the middle changed the
 * handshake), -ENOMEM.
 */
static int client_check_hello(struct tnet_conn *c, const struct tnet_key *key,
			      const struct tess_hello_req *hreq,
			      const struct tess_hello_rep *hrep,
			      uint8_t t[TESS_MAC_LEN])
{
	uint8_t mac[TESS_MAC_LEN], okm[TESS_SEC_OKM_LEN];
	int rc;

	if (le16_to_cpu(hrep->version) < 4) {
		tnet_handshake_mac(key, "tessera-server", hreq->nonce,
				   hrep->nonce, mac);
		return CRYPTO_memcmp(mac, hrep->mac, sizeof(mac)) ? -EACCES : 0;
	}
	tnet_hs_transcript(hreq, hrep, t);
	tnet_hs_mac(key, TESS_HS_LABEL_SERVER, t, mac);
	if (CRYPTO_memcmp(mac, hrep->mac, sizeof(mac)))
		return -EACCES;
	rc = tnet_hs_okm(key, hreq->nonce, hrep->nonce, t, okm);
	if (!rc)
		tnet_hs_set_keys(c, okm, true);
	OPENSSL_cleanse(okm, sizeof(okm));
	return rc;
}

static int client_handshake(struct tnet_conn *c, const struct tnet_key *key,
			    int role, const uint8_t uuid[16], int sec)
{
	struct tess_hello_req hreq = { 0 };
	struct tess_hello_rep hrep;
	struct tess_auth_req auth;
	struct tess_frame f = { 0 };
	struct tnet_msg m;
	uint8_t t[TESS_MAC_LEN];
	bool fatal;
	int rc;

	tnet_random(hreq.nonce, sizeof(hreq.nonce));
	/* a flavor beyond auth needs the version 4 handshake */
	hreq.ver_min = cpu_to_le16(sec == TESS_SEC_AUTH ? TESS_PROTO_MIN : 4);
	hreq.ver_max = cpu_to_le16(TESS_PROTO_VERSION);
	hreq.role = cpu_to_le32((uint32_t)role);
	hreq.features = cpu_to_le64(TESS_FEAT_BASE | tnet_sec_feature(sec));
	memcpy(hreq.uuid, uuid, 16);

	f.opcode = TESS_OP_HELLO;
	f.flags = TESS_HF_REQUEST;
	f.xid = next_xid();
	f.body_len = sizeof(hreq);
	rc = tnet_send_frame(c, &f, &hreq, NULL);
	if (rc)
		return rc;
	rc = tnet_recv_frame(c, &m, NULL, 0, &fatal);
	if (rc)
		return rc;
	if (m.f.opcode != TESS_OP_HELLO || !(m.f.flags & TESS_HF_REPLY))
		return -EPROTO;
	if (m.f.status)
		return -(int)m.f.status;
	memcpy(&hrep, m.body, sizeof(hrep));
	if (le16_to_cpu(hrep.version) < TESS_PROTO_MIN ||
	    le16_to_cpu(hrep.version) > TESS_PROTO_VERSION)
		return -EPROTO;
	rc = client_check_hello(c, key, &hreq, &hrep, t);
	if (rc)
		return rc;
	c->features = le64_to_cpu(hrep.features) & TESS_FEAT_KNOWN;
	c->version = le16_to_cpu(hrep.version);
	/* the reply is authentic: the server agreed our flavor or refused */
	if ((c->features & TESS_FEAT_SEC_MASK) != tnet_sec_feature(sec))
		return -EACCES;
	c->sec = sec;
	memcpy(c->peer_uuid, hrep.uuid, 16);

	if (c->version < 4)
		tnet_handshake_mac(key, "tessera-client", hrep.nonce,
				   hreq.nonce, auth.mac);
	else
		tnet_hs_mac(key, TESS_HS_LABEL_CLIENT, t, auth.mac);
	memset(&f, 0, sizeof(f));
	f.opcode = TESS_OP_AUTH;
	f.flags = TESS_HF_REQUEST;
	f.xid = next_xid();
	f.body_len = sizeof(auth);
	rc = tnet_send_frame(c, &f, &auth, NULL);
	if (rc)
		return rc;
	rc = tnet_recv_frame(c, &m, NULL, 0, &fatal);
	if (rc)
		return rc == -ECONNRESET ? -EACCES : rc;
	if (m.f.opcode != TESS_OP_AUTH || !(m.f.flags & TESS_HF_REPLY))
		return -EPROTO;
	if (m.f.status)
		return -(int)m.f.status;
	if (sec == TESS_SEC_AUTH)
		return 0;
	c->sec_on = true;
	return tnet_sec_start(c);
}

static _Atomic int default_sec = TESS_SEC_AUTH;

void tnet_set_default_sec(int sec)
{
	default_sec = sec;
}

struct tnet_conn *tnet_connect(const struct tnet_addr *a,
			       const struct tnet_key *key, int role,
			       const uint8_t uuid[16], int timeout_ms,
			       int *err)
{
	return tnet_connect_sec(a, key, role, uuid, timeout_ms, default_sec,
				err);
}

struct tnet_conn *tnet_connect_sec(const struct tnet_addr *a,
				   const struct tnet_key *key, int role,
				   const uint8_t uuid[16], int timeout_ms,
				   int sec, int *err)
{
	struct sockaddr_in sin;
	struct tnet_conn *c;
	int fd, rc, one = 1;

	rc = tnet_resolve(a, &sin);
	if (rc) {
		*err = rc;
		return NULL;
	}
	if (!strcmp(a->net, "rdma")) {
		c = tnet_conn_alloc(-1);
		if (!c) {
			*err = -ENOMEM;
			return NULL;
		}
		rc = tnet_rdma_connect(c, &sin, timeout_ms);
		if (rc) {
			tnet_conn_free(c);
			*err = rc;
			return NULL;
		}
		c->timeout_ms = timeout_ms;
		c->io->set_timeout(c, timeout_ms);
		goto handshake;
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
	c = tnet_conn_alloc(fd);
	if (!c) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	tnet_set_peer_name(c);
	c->timeout_ms = timeout_ms;
	c->io->set_timeout(c, timeout_ms);
handshake:
	rc = client_handshake(c, key, role, uuid, sec);
	if (rc) {
		tnet_conn_free(c);
		*err = rc;
		return NULL;
	}
	*err = 0;
	return c;
}

void tnet_close(struct tnet_conn *c)
{
	if (c)
		tnet_conn_free(c);
}

bool tnet_conn_dead(const struct tnet_conn *c)
{
	return c->fd < 0;
}

const char *tnet_conn_net(const struct tnet_conn *c)
{
	return c->io->net;
}

void tnet_conn_shutdown_read(struct tnet_conn *c)
{
	if (c->fd >= 0)
		c->io->shutdown(c);
}

int tnet_conn_local_addr(struct tnet_conn *c, struct sockaddr_in *sin)
{
	if (c->fd < 0)
		return -ENOTCONN;
	return c->io->local_addr(c, sin);
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
	rc = tnet_send_frame(c, &f, body, call->bulk);
	free(cbody);
	if (rc)
		goto dead;
	rc = tnet_recv_frame(c, &call->reply, call->rbulk, call->rbulk_cap, &fatal);
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
	c->io->close(c);
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
