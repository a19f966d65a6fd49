/* SPDX-License-Identifier: MIT */
/*
 * tnet.h - Tessera's userspace network layer: addresses, key files,
 * framed connections with the authenticated handshake, RPC calls for
 * clients and a thread-per-connection server loop for the daemons.
 */
#ifndef TNET_H
#define TNET_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <pthread.h>

#include "replycache.h"
#include "tess_wire.h"

/* ---- logging (log.c): "TIME LEVEL PROG: message" on stderr ---- */
#include <syslog.h>		/* LOG_ERR .. LOG_DEBUG */
void tlog_init(const char *prog);
/* tlog: LOG_INFO; tlog_level: a syslog LOG_* level */
void tlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tlog_level(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
extern const char *tlog_prog;
/* "err", "warning", "notice", "info", "debug" (also "error", "warn"):
 * the LOG_* level, or -1 */
int tlog_parse_level(const char *s);
const char *tlog_level_name(int level);
/* lines above LEVEL are dropped (default LOG_INFO) */
void tlog_set_level(int level);
int tlog_get_level(void);
/* --log-file: append to PATH, put on fd 2 (0 or -errno); tlog_reopen:
 * open that path again (SIGHUP after logrotate), nothing without one */
int tlog_set_file(const char *path);
int tlog_reopen(void);

/* ---- addresses: HOST[:PORT][@NET], NET is "tcp" or "rdma" ---- */
struct tnet_addr {
	char host[TESS_ADDR_MAX + 1];
	char net[8];
	uint16_t port;
};

/* 0, or -EINVAL with a reason in err */
int tnet_addr_parse(const char *s, uint16_t default_port, struct tnet_addr *a,
		    char *err, size_t errlen);
/* "host:port@net" */
void tnet_addr_format(const struct tnet_addr *a, char *buf, size_t len);
/*
 * An OST's address list, as it registers it: "ADDR[,ADDR]..." (its
 * --listen order, e.g. "10.0.0.5:7431@rdma,10.0.0.5:7431@tcp").  The
 * entry whose network is NET (the network the client reached the MDS
 * on; NULL: none), else the first @tcp entry, else the first entry.
 * 0, or -EINVAL with a reason in err (an empty or bad entry).
 */
int tnet_addr_pick(const char *list, const char *net, uint16_t default_port,
		   struct tnet_addr *a, char *err, size_t errlen);
/* every entry of LIST parses (as above): 0 or -EINVAL with a reason */
int tnet_addr_list_check(const char *list, uint16_t default_port, char *err,
			 size_t errlen);

/*
 * ---- shared key: a file of 16..256 bytes, trailing whitespace ignored ----
 * The file must be a regular file owned by the user who loads it (or
 * root) and neither group- nor world-accessible (chmod 600), as ssh
 * wants of a private key; else it is refused with -EACCES and a reason.
 */
struct tnet_key {
	uint8_t bytes[TESS_KEY_MAX];
	size_t len;
};

int tnet_key_load(const char *path, struct tnet_key *key, char *err,
		  size_t errlen);
/*
 * A daemon's keys (issue #12, roles): KEY (--key) serves both roles;
 * CLIENT (--client-key) and SERVER (--server-key) each replace it for
 * their role.  Any may be NULL, but each role needs one.  The server key
 * authenticates peers declaring TESS_ROLE_OST, _MDS or _ADMIN and the
 * daemon's own connections to other servers; the client key peers
 * declaring TESS_ROLE_CLIENT.  0, or -errno with the option at fault in
 * *opt ("--key", ...) and a reason in err.
 */
int tnet_keys_load(const char *key, const char *client, const char *server,
		   struct tnet_key *server_key, struct tnet_key *client_key,
		   const char **opt, char *err, size_t errlen);

/* ---- connections ---- */
struct tnet_conn;
struct iovec;
struct sockaddr_in;

/*
 * A connection's transport: TCP (a socket, tnet.c) or RDMA (an RC queue
 * pair, tnet_rdma.c).  Each is used by one thread at a time.
 */
struct tnet_io_ops {
	const char *net;		/* "tcp", "rdma" */
	/* up to len bytes (waiting as set_timeout or c->deadline_ms say):
	 * > 0, -ECONNRESET at the end of the stream, -ETIMEDOUT, -errno */
	long (*read)(struct tnet_conn *c, void *buf, size_t len);
	/* all the bytes of iov, or -errno */
	int (*writev)(struct tnet_conn *c, struct iovec *iov, int iovcnt);
	/* until bytes can be read or deadline (CLOCK_MONOTONIC ms):
	 * 0 or -ETIMEDOUT */
	int (*wait_readable)(struct tnet_conn *c, int64_t deadline);
	/* each later wait for bytes or for room to send, at most MS (0:
	 * no limit) */
	void (*set_timeout)(struct tnet_conn *c, int ms);
	/* no more bytes are read (SHUT_RD); sends still go */
	void (*shutdown)(struct tnet_conn *c);
	/* release it all and set c->fd to -1; called again, nothing */
	void (*close)(struct tnet_conn *c);
	/* the local IPv4 address and port: 0 or -errno */
	int (*local_addr)(struct tnet_conn *c, struct sockaddr_in *sin);
};

struct tnet_conn {
	/* TCP: the socket; RDMA: its completion channel's; -1: dead */
	int fd;
	const struct tnet_io_ops *io;
	void *io_priv;			/* the transport's (RDMA) */
	int role;			/* peer's role (server side) */
	uint64_t features;		/* negotiated TESS_FEAT_* */
	uint16_t version;		/* negotiated protocol; 0: ours */
	uint8_t peer_uuid[16];
	char peer[80];			/* "ip:port" for log lines */
	pthread_mutex_t lock;		/* client: one call at a time */
	int timeout_ms;			/* client: per-call reply timeout */
	void *rx_body;			/* TESS_MAX_BODY bytes */
	void *rx_bulk;			/* grown as needed (server side) */
	size_t rx_bulk_cap;
	void *user;			/* daemon's per-connection state */
	/* server: before authentication, the handshake's end (CLOCK_MONOTONIC
	 * ms): every receive waits at most until then; 0 after it */
	int64_t deadline_ms;
	/* client library (tess_client): holders, and out of its table */
	unsigned refs;
	bool detached;
	/*
	 * Security flavor (enum tess_sec) agreed in the handshake and the
	 * session keys of a version 4 one (include/tessera.h), this side's
	 * view: tx protects what it sends, rx checks what it receives.
	 * Frames after the AUTH reply are protected once sec_on is set.
	 */
	int sec;
	bool sec_on;
	uint8_t tx_key[TESS_SEC_KEY_LEN], rx_key[TESS_SEC_KEY_LEN];
	uint8_t tx_iv[TESS_SEC_IV_LEN], rx_iv[TESS_SEC_IV_LEN];
	uint64_t tx_seq, rx_seq;
	void *sec_ctx;			/* tnet_sec.c's cipher state */
};

/* A received frame.  body and bulk point into the connection's buffers
 * (server) or the caller's (client) and stay valid until the next receive
 * on that connection. */
struct tnet_msg {
	struct tess_frame f;
	const void *body;
	const void *bulk;
	/* a request's TESS_HF_CRED block (checked, copied: it need not be
	 * aligned in the body); f.body_len no longer counts it */
	bool has_cred;
	struct tess_cred cred;
};

/* ---- client side ---- */
struct tnet_conn *tnet_connect(const struct tnet_addr *a,
			       const struct tnet_key *key, int role,
			       const uint8_t uuid[16], int timeout_ms,
			       int *err);
void tnet_close(struct tnet_conn *c);
/* as tnet_connect, asking for security flavor SEC (enum tess_sec) */
struct tnet_conn *tnet_connect_sec(const struct tnet_addr *a,
				   const struct tnet_key *key, int role,
				   const uint8_t uuid[16], int timeout_ms,
				   int sec, int *err);
/* the flavor tnet_connect asks for (a daemon's --sec); TESS_SEC_AUTH
 * until set */
void tnet_set_default_sec(int sec);
/* "auth", "integrity", "privacy" -> enum tess_sec, or -EINVAL */
int tnet_sec_parse(const char *s);
const char *tnet_sec_name(int sec);

struct tnet_call {
	uint16_t op;
	const void *body;
	uint32_t body_len;
	const void *bulk;		/* request bulk (OBJ_WRITE) */
	uint32_t bulk_len;
	void *rbulk;			/* where reply bulk goes (OBJ_READ) */
	uint32_t rbulk_cap;
	/*
	 * Where the reply body is copied (under the connection's lock), or
	 * NULL: reply.body then points into the connection's buffer, which
	 * the next call on that connection, from any thread, overwrites.
	 * rbody_cap below the body length fails the call with -EMSGSIZE.
	 */
	void *rbody;
	uint32_t rbody_cap;
	/* the caller's credentials, appended (TESS_HF_CRED) when the
	 * connection agreed TESS_FEAT_CRED; NULL: none */
	const struct tess_cred *cred;
	/* out */
	uint64_t xid;			/* the xid it was sent with */
	struct tnet_msg reply;		/* reply.body valid until next call */
};

/*
 * Send a request and wait for its reply.  Returns 0 when the server
 * answered status 0, -status when it answered an error (reply filled in),
 * or a transport error (-ETIMEDOUT, -ECONNRESET, -EPROTO, -EBADMSG, ...)
 * after which the connection is dead (tnet_conn_dead() is true).
 */
int tnet_call(struct tnet_conn *c, struct tnet_call *call);
/*
 * A request's TESS_HF_CRED block, at the end of its body (any alignment):
 * 0 with a copy in *out and f->body_len shortened by it, or -EBADMSG (too
 * short, wrong magic, more than TESS_CRED_GROUPS_MAX groups, unused slots
 * not zero, not a request).  recv_frame calls it before tess_msg_check.
 */
int tnet_cred_take(struct tess_frame *f, const void *body,
		   struct tess_cred *out);
/*
 * Send again a request that tnet_call (or tnet_resend) sent, on any
 * connection of the same client instance: same xid, TESS_HF_RESENT.  A
 * server that ran it answers with the reply it kept (exactly once).
 * xids come from one counter per process, so they never repeat across
 * connections.
 */
int tnet_resend(struct tnet_conn *c, struct tnet_call *call);
bool tnet_conn_dead(const struct tnet_conn *c);
/* "tcp" or "rdma" */
const char *tnet_conn_net(const struct tnet_conn *c);
/* no more requests are read from it (the reply in progress still goes) */
void tnet_conn_shutdown_read(struct tnet_conn *c);
/* the local address of the connection: 0 or -errno */
int tnet_conn_local_addr(struct tnet_conn *c, struct sockaddr_in *sin);
/* a transport failure (not a server status): worth a resend */
static inline bool tnet_err_transport(const struct tnet_conn *c, int rc)
{
	return rc && (c->fd < 0 || rc == -ENOTCONN);
}

/* ---- server side ---- */
struct tnet_reply {
	struct tess_buf body;		/* capacity TESS_MAX_BODY */
	const void *bulk;		/* reply bulk (OBJ_READ), or NULL */
	uint32_t bulk_len;
};

struct tnet_server_ops {
	/* called after a successful handshake; may set c->user; nonzero = drop */
	int (*connected)(void *ctx, struct tnet_conn *c);
	/*
	 * Handle one checked request.  Return 0 or a positive errno (a
	 * negative one is taken as its absolute value) to send as status.
	 */
	int (*handle)(void *ctx, struct tnet_conn *c, const struct tnet_msg *req,
		      struct tnet_reply *rep);
	void (*disconnected)(void *ctx, struct tnet_conn *c);
	/*
	 * Does this opcode change state?  Its replies go into the reply
	 * cache (replycache.h) and a resent copy gets the kept reply
	 * instead of running again.  NULL: no opcode does.
	 */
	bool (*reply_cached)(uint16_t opcode);
};

/* fault injection (tests): run the nth request of opcode, send no reply */
#define TNET_FAULTS_MAX		8
struct tnet_fault {
	uint16_t opcode;
	uint32_t nth;			/* 1-based */
	uint32_t seen;			/* requests of opcode run so far */
};

#define TNET_LEASE_DEFAULT	60	/* seconds */

/*
 * Before authentication a peer holds a connection and a thread on the
 * server for at most TNET_HANDSHAKE_MS in all (not per receive), may send
 * only frames of at most TNET_PREAUTH_BODY_MAX bytes and no bulk, and at most
 * TNET_PREAUTH_MAX connections are in that state at once: another one
 * waits TNET_PREAUTH_WAIT_MS for a slot, then is closed (logged at most
 * once a second with the count closed).  One address holds at most
 * TNET_PREAUTH_PER_ADDR of them: its next one waits likewise while that
 * address makes progress (one of its handshakes ended within
 * TNET_PREAUTH_STUCK_MS: a burst of honest clients on one host), else is
 * closed at once, so that one address holding idle connections cannot
 * keep the others out (nor stall the accept loop).
 */
#define TNET_HANDSHAKE_MS	10000
#define TNET_PREAUTH_MAX	64
#define TNET_PREAUTH_PER_ADDR	8
#define TNET_PREAUTH_STUCK_MS	1000
#define TNET_PREAUTH_WAIT_MS	200
/* after it: TCP keepalive (a peer gone without a FIN, in about 60 s) */
#define TNET_KEEPIDLE_S		30
#define TNET_KEEPINTVL_S	10
#define TNET_KEEPCNT		3
/* a HELLO or AUTH body is 64 bytes; room for a later, longer HELLO */
#define TNET_PREAUTH_BODY_MAX	512

/* --listen may be given this often (tessera-mds, tessera-ost) */
#define TNET_LISTEN_MAX		8

struct tnet_listener {
	struct tnet_addr addr;		/* with the bound port */
	int lfd;			/* TCP; -1 for RDMA */
	void *rdma;			/* RDMA: tnet_rdma.c's */
	pthread_t thr;
	bool thr_started;
};

struct tnet_server {
	int lfd;			/* the first listener's (TCP) */
	unsigned nlisten;
	struct tnet_listener listen[TNET_LISTEN_MAX];
	struct tnet_key key;		/* server roles (OST, MDS, ADMIN) */
	struct tnet_key client_key;	/* TESS_ROLE_CLIENT; = key by default */
	const struct tnet_server_ops *ops;
	void *ctx;
	uint8_t uuid[16];		/* this server instance */
	uint64_t features;		/* offered TESS_FEAT_* */
	int sec_min;			/* --sec: the weakest flavor taken */
	struct rcache *rcache;		/* replies of state-changing requests */
	pthread_mutex_t fault_lock;
	unsigned nfaults;
	struct tnet_fault faults[TNET_FAULTS_MAX];
	/* connections not yet authenticated (TNET_PREAUTH_MAX) */
	pthread_mutex_t preauth_lock;
	pthread_cond_t preauth_cond;
	unsigned preauth;
	unsigned long preauth_refused;	/* closed since the last log line */
	int64_t preauth_logged_ms;
	unsigned long addr_refused;	/* closed for their address, likewise */
	int64_t addr_logged_ms;
	struct tnet_preauth_addr {	/* per address (IPv4, network order) */
		uint32_t addr;
		unsigned n;		/* 0: a free entry */
		int64_t progress_ms;	/* its first one came, or one ended */
	} preauth_by[TNET_PREAUTH_MAX];
	/* tnet_server_stop / tnet_server_drain */
	_Atomic bool stopping;
	_Atomic int inflight;		/* requests being served */
	uint64_t start_ns;		/* tnet_server_init, tmetrics_now_ns */
};

/* bind and listen; port 0 picks one (read it back with tnet_server_port).
 * KEY authenticates every role until tnet_server_set_client_key. */
int tnet_server_init(struct tnet_server *s, const struct tnet_addr *listen,
		     const struct tnet_key *key,
		     const struct tnet_server_ops *ops, void *ctx);
/* peers declaring TESS_ROLE_CLIENT authenticate with KEY from now on */
void tnet_server_set_client_key(struct tnet_server *s,
				const struct tnet_key *key);
/*
 * Listen on one more address (after tnet_server_init; @tcp or @rdma): 0,
 * or -errno with a reason in err (no RDMA device, address in use, ...).
 */
int tnet_server_listen(struct tnet_server *s, const struct tnet_addr *a,
		       char *err, size_t errlen);
/* the first listener's port; tnet_server_addr: listener i's address
 * with its bound port */
uint16_t tnet_server_port(const struct tnet_server *s);
const struct tnet_addr *tnet_server_addr(const struct tnet_server *s,
					 unsigned i);
/* forget the reply cache of a client this long after its last
 * connection closed (default TNET_LEASE_DEFAULT) */
void tnet_server_set_lease(struct tnet_server *s, int seconds);
/*
 * --fault-drop-reply OPCODE[:N]: the Nth (default 1st) request of the
 * numeric OPCODE that runs is answered with no reply at all (the
 * connection stays open).  Resends answered from the reply cache do not
 * count.  0, or -EINVAL with a reason in err.
 */
int tnet_server_add_fault(struct tnet_server *s, const char *spec, char *err,
			  size_t errlen);
/* accept loops (a thread per listener past the first); a detached thread
 * per connection; returns on error, or 0 after tnet_server_stop */
int tnet_server_run(struct tnet_server *s);
/* clean exit: stop accepting connections (tnet_server_run returns 0);
 * connections open keep being served */
void tnet_server_stop(struct tnet_server *s);
/* wait up to MS milliseconds for no request to be in progress; returns
 * the number still running */
int tnet_server_drain(struct tnet_server *s, int ms);

/* random bytes (getrandom) */
void tnet_random(void *buf, size_t len);

#endif /* TNET_H */
