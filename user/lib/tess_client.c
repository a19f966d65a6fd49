// SPDX-License-Identifier: MIT
/*
 * tess_client.c - the userspace client library (see tess_client.h).
 *
 * One connection to the MDS and one per OST, opened on first use and
 * reopened when found dead (a daemon restarted).  A request whose
 * connection fails (time-out, reset) is resent on a new connection with
 * the same xid and TESS_HF_RESENT, up to RESEND_MAX times: the servers'
 * reply caches make that exactly-once, so state-changing requests are
 * resent too.  Files are held open at the MDS (OPEN/CLOSE; a new file by
 * the CREATE that makes it, TESS_CREATE_OPEN, with an MDS that agreed
 * TESS_FEAT_CREATE_OPEN); when the MDS comes back as a new instance
 * (restart), the opens are sent again so that the objects of an unlinked
 * file stay while it is open.  File I/O is cut
 * with the striping math into one contiguous range per object; ranges of
 * different objects go out in parallel, one thread per object, each in
 * RPCs of up to TESS_BULK_DEFAULT bytes.
 *
 * Connections are counted (conn->refs, under c->lock): a dead one or one
 * of an OST that moved leaves the table at once but is freed by its last
 * holder, and every call copies its reply body to a buffer of the calling
 * thread, so no thread reads or frees what another one still uses.
 *
 * Durability (protocol 3): writes are unstable; each object of a handle
 * remembers the write verifier (the OST's boot instance) of its writes
 * since its last OBJ_SYNC.  fsync sends OBJ_SYNC to every object, a close
 * that grew the file to those objects only, and if an OST answers with another
 * verifier (it restarted in between and may have lost them) the call
 * returns -EIO and the size those writes made is not sent to the MDS.
 * The size goes to the MDS (SIZE_EXTEND) only after the data under it is
 * stable, as ext4's data=ordered: a crash never exposes zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tess_client.h"

#define RPC_BULK	TESS_BULK_DEFAULT
#define RESEND_MAX	3		/* resends after the first send */
#define RECONNECT_PAUSE_MS	250	/* after a failed reconnect */

struct tess_client {
	struct tnet_addr mds_addr;
	struct tnet_key key;
	int role;			/* declared in HELLO: TESS_ROLE_* */
	int sec;			/* asked for: enum tess_sec */
	int timeout_ms;
	uint8_t uuid[16];
	pthread_mutex_t lock;		/* connections below */
	struct tnet_conn *mds;
	struct tess_file *files;	/* open at the MDS (for replay) */
	struct tnet_conn *osts[TESS_MAX_OSTS];
	struct tnet_addr ost_addr[TESS_MAX_OSTS];
	bool ost_known[TESS_MAX_OSTS];
	/* sent with every MDS request (TESS_HF_CRED), issue #12 */
	struct tess_cred cred;
	uint32_t uid, gid;		/* the owner of what we create */
};

/* the unstable writes of one object of a handle (tess_file.sv[stripe]) */
struct stripe_verf {
	bool unstable;			/* written since the last OBJ_SYNC */
	bool lost;			/* the OST restarted among them */
	uint64_t verf;			/* of those writes; 0: unknown (v2) */
};

struct tess_file {
	struct tess_client *c;
	struct tess_file *next;		/* c->files, under c->lock */
	bool mds_open;			/* the MDS counts an OPEN of ours */
	uint8_t mds_instance[16];	/* the MDS instance that counts it */
	uint32_t open_flags;		/* TESS_OPEN_* */
	struct tess_inode ino;
	uint64_t size;			/* what this handle knows */
	bool size_dirty;		/* written past the MDS size */
	uint64_t mds_size;		/* the size the MDS has from us */
	pthread_mutex_t vlock;		/* sv */
	struct stripe_verf *sv;		/* ino.nobjs entries */
};

/* ---- connections ---- */

/* the flavor asked for: $TESSERA_SEC (auth, integrity, privacy), else
 * auth */
static int client_sec(int *sec, char *err, size_t errlen)
{
	const char *s = getenv("TESSERA_SEC");

	*sec = TESS_SEC_AUTH;
	if (!s || !*s)
		return 0;
	*sec = tnet_sec_parse(s);
	if (*sec >= 0)
		return 0;
	snprintf(err, errlen, "TESSERA_SEC='%s': must be auth, integrity or "
		 "privacy", s);
	return -EINVAL;
}

int tess_client_open(const char *mds, const char *keyfile, int timeout_ms,
		     struct tess_client **out, char *err, size_t errlen)
{
	return tess_client_open_role(mds, keyfile, TESS_ROLE_CLIENT,
				     timeout_ms, out, err, errlen);
}

int tess_client_open_role(const char *mds, const char *keyfile, int role,
			  int timeout_ms, struct tess_client **out, char *err,
			  size_t errlen)
{
	struct tess_client *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	c->role = role;
	rc = tnet_addr_parse(mds, TESS_MDS_PORT, &c->mds_addr, err, errlen);
	if (!rc)
		rc = tnet_key_load(keyfile, &c->key, err, errlen);
	if (rc) {
		free(c);
		return rc;
	}
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	rc = client_sec(&c->sec, err, errlen);
	if (rc) {
		free(c);
		return rc;
	}
	tnet_random(c->uuid, sizeof(c->uuid));
	{
		gid_t g[TESS_CRED_GROUPS_MAX];
		int n = getgroups(TESS_CRED_GROUPS_MAX, g);
		uint32_t u32[TESS_CRED_GROUPS_MAX];

		if (n < 0) {	/* EINVAL: more than we send */
			gid_t *all;

			n = getgroups(0, NULL);
			all = n > 0 ? calloc((size_t)n, sizeof(*all)) : NULL;
			n = all ? getgroups(n, all) : 0;
			if (n > TESS_CRED_GROUPS_MAX)
				n = TESS_CRED_GROUPS_MAX;
			for (int i = 0; i < n; i++)
				g[i] = all[i];
			free(all);
			if (n < 0)
				n = 0;
		}
		for (int i = 0; i < n; i++)
			u32[i] = (uint32_t)g[i];
		tess_client_set_cred(c, (uint32_t)geteuid(),
				     (uint32_t)getegid(), (uint32_t)n, u32);
	}
	pthread_mutex_init(&c->lock, NULL);
	c->mds = tnet_connect_sec(&c->mds_addr, &c->key, c->role, c->uuid,
				  c->timeout_ms, c->sec, &rc);
	if (!c->mds) {
		snprintf(err, errlen, "%s: %s", mds,
			 rc == -EACCES && c->sec != TESS_SEC_AUTH ?
			 "authentication failed (wrong key, or the server "
			 "does not agree TESSERA_SEC)" :
			 rc == -EACCES ? (c->role == TESS_ROLE_CLIENT ?
					  "authentication failed (wrong key?)" :
					  "authentication failed (this needs "
					  "the servers' key)") :
			 strerror(-rc));
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void tess_client_set_cred(struct tess_client *c, uint32_t uid,
			  uint32_t gid, uint32_t ngroups,
			  const uint32_t *groups)
{
	if (ngroups > TESS_CRED_GROUPS_MAX)
		ngroups = TESS_CRED_GROUPS_MAX;
	memset(&c->cred, 0, sizeof(c->cred));
	c->cred.magic = cpu_to_le32(TESS_CRED_MAGIC);
	c->cred.uid = cpu_to_le32(uid);
	c->cred.gid = cpu_to_le32(gid);
	c->cred.ngroups = cpu_to_le32(ngroups);
	for (uint32_t i = 0; i < ngroups; i++)
		c->cred.groups[i] = cpu_to_le32(groups[i]);
	c->uid = uid;
	c->gid = gid;
}

void tess_client_close(struct tess_client *c)
{
	/* no call may be running: every connection is ours to free */
	if (!c)
		return;
	tnet_close(c->mds);
	for (int i = 0; i < TESS_MAX_OSTS; i++)
		tnet_close(c->osts[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int send_open(struct tnet_conn *conn, uint16_t op, uint64_t ino,
		     uint32_t flags, struct tnet_call *call,
		     const struct tess_cred *cred);

/*
 * A new MDS instance (it restarted) knows none of our opens: send those
 * it does not know again on the new connection, before any other
 * request.  c->lock held.
 */
static void replay_opens(struct tess_client *c, struct tnet_conn *conn)
{
	for (struct tess_file *f = c->files; f; f = f->next) {
		struct tnet_call call;
		int rc;

		if (!memcmp(f->mds_instance, conn->peer_uuid, 16))
			continue;
		rc = send_open(conn, TESS_OP_OPEN, f->ino.ino,
			       f->open_flags | TESS_OPEN_REPLAY, &call,
			       &c->cred);
		if (rc && tnet_conn_dead(conn))
			return;		/* the next call reconnects, replays */
		/* refused (the inode is gone): nothing to keep open */
		f->mds_open = rc == 0;
		memcpy(f->mds_instance, conn->peer_uuid, 16);
	}
}

/*
 * Take conn out of the table slot: freed now if nobody holds it, else by
 * its last holder (put_conn).  c->lock held.
 */
static void detach_conn_locked(struct tnet_conn **slot)
{
	struct tnet_conn *conn = *slot;

	*slot = NULL;
	if (!conn)
		return;
	if (conn->refs)
		conn->detached = true;
	else
		tnet_close(conn);
}

static void put_conn(struct tess_client *c, struct tnet_conn *conn)
{
	bool last;

	pthread_mutex_lock(&c->lock);
	last = --conn->refs == 0 && conn->detached;
	pthread_mutex_unlock(&c->lock);
	if (last)
		tnet_close(conn);
}

/* a live connection, reconnecting a dead one; put_conn() it */
static struct tnet_conn *get_conn(struct tess_client *c, struct tnet_conn **slot,
				  const struct tnet_addr *a, int *err)
{
	struct tnet_conn *conn;

	pthread_mutex_lock(&c->lock);
	if (*slot && tnet_conn_dead(*slot))
		detach_conn_locked(slot);
	if (!*slot) {
		*slot = tnet_connect_sec(a, &c->key, c->role, c->uuid,
					 c->timeout_ms, c->sec, err);
		if (*slot && slot == &c->mds)
			replay_opens(c, *slot);
	}
	conn = *slot;
	if (conn)
		conn->refs++;
	pthread_mutex_unlock(&c->lock);
	return conn;
}

/* each thread's copy of its last reply body (tnet_call.rbody) */
static pthread_key_t rbody_key;
static pthread_once_t rbody_once = PTHREAD_ONCE_INIT;

static void rbody_key_init(void)
{
	pthread_key_create(&rbody_key, free);
}

static void *thread_rbody(void)
{
	void *b;

	pthread_once(&rbody_once, rbody_key_init);
	b = pthread_getspecific(rbody_key);
	if (!b) {
		b = malloc(TESS_MAX_BODY);
		if (b && pthread_setspecific(rbody_key, b)) {
			free(b);
			b = NULL;
		}
	}
	return b;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Send call on the connection in slot; after a transport failure resend
 * it (same xid, TESS_HF_RESENT) on a new connection, RESEND_MAX times.
 * A server status is final.
 */
static int call_resending(struct tess_client *c, struct tnet_conn **slot,
			  const struct tnet_addr *a, struct tnet_call *call)
{
	struct tnet_conn *conn;
	bool sent = false, transport;
	int rc = 0;

	if (!call->rbody) {
		/* the reply must outlive our hold of the connection */
		call->rbody = thread_rbody();
		if (!call->rbody)
			return -ENOMEM;
		call->rbody_cap = TESS_MAX_BODY;
	}
	for (int attempt = 0; attempt <= RESEND_MAX; attempt++) {
		conn = get_conn(c, slot, a, &rc);
		if (!conn) {
			pause_ms(RECONNECT_PAUSE_MS);
			continue;
		}
		rc = sent ? tnet_resend(conn, call) : tnet_call(conn, call);
		sent = true;
		transport = tnet_err_transport(conn, rc);
		put_conn(c, conn);
		if (!transport)
			return rc;
	}
	return rc;
}

static int mds_call(struct tess_client *c, struct tnet_call *call)
{
	if (!call->cred)	/* tess_mds_call may bring its own */
		call->cred = &c->cred;
	return call_resending(c, &c->mds, &c->mds_addr, call);
}

static int refresh_osts(struct tess_client *c);

/* 0 once OST idx's address is known */
static int ost_lookup(struct tess_client *c, uint32_t idx)
{
	int rc;

	if (idx >= TESS_MAX_OSTS)
		return -EINVAL;
	if (c->ost_known[idx])
		return 0;
	rc = refresh_osts(c);
	if (rc)
		return rc;
	return c->ost_known[idx] ? 0 : -ENXIO;
}

static int ost_call(struct tess_client *c, uint32_t idx, struct tnet_call *call)
{
	int rc = ost_lookup(c, idx);

	if (rc)
		return rc;
	return call_resending(c, &c->osts[idx], &c->ost_addr[idx], call);
}

int tess_ost_list(struct tess_client *c, struct tess_ost *osts, int max)
{
	struct tnet_call call = { .op = TESS_OP_OST_LIST };
	const struct tess_ost_list_rep *r;
	const struct tess_ost_info *oi;
	uint32_t n;
	int rc = mds_call(c, &call);

	if (rc)
		return rc;
	r = call.reply.body;
	n = le32_to_cpu(r->count);
	oi = (const void *)(r + 1);
	for (uint32_t i = 0; i < n && (int)i < max; i++) {
		osts[i].index = le32_to_cpu(oi[i].index);
		osts[i].state = le32_to_cpu(oi[i].state);
		memcpy(osts[i].addr, oi[i].addr, sizeof(osts[i].addr));
	}
	return (int)n;
}

static int refresh_osts(struct tess_client *c)
{
	struct tess_ost *list = calloc(TESS_MAX_OSTS, sizeof(*list));
	int n;

	if (!list)
		return -ENOMEM;
	n = tess_ost_list(c, list, TESS_MAX_OSTS);
	if (n < 0) {
		free(list);
		return n;
	}
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < n && i < TESS_MAX_OSTS; i++) {
		struct tnet_addr a;
		uint32_t idx = list[i].index;

		/* an OST's list ("A@rdma,A@tcp"): the entry of the network
		 * the MDS was reached on, else the first @tcp one */
		if (idx >= TESS_MAX_OSTS ||
		    tnet_addr_pick(list[i].addr, c->mds_addr.net,
				   (uint16_t)(TESS_OST_PORT + idx), &a, NULL, 0))
			continue;
		if (c->ost_known[idx] &&
		    (strcmp(a.host, c->ost_addr[idx].host) ||
		     strcmp(a.net, c->ost_addr[idx].net) ||
		     a.port != c->ost_addr[idx].port)) {
			detach_conn_locked(&c->osts[idx]);	/* it moved */
		}
		c->ost_addr[idx] = a;
		c->ost_known[idx] = true;
	}
	pthread_mutex_unlock(&c->lock);
	free(list);
	return 0;
}

/* ---- decoding ---- */

static void ts_from(struct timespec *ts, __le64 sec, __le32 nsec)
{
	ts->tv_sec = (time_t)le64_to_cpu(sec);
	ts->tv_nsec = le32_to_cpu(nsec);
}

static void decode_layout(struct tess_inode *st, const struct tess_layout *l,
			  uint32_t len)
{
	st->pattern = 0;
	st->nobjs = 0;
	st->geom.stripe_size = 0;
	st->geom.stripe_count = 0;
	st->stripe_offset = TESS_OST_ANY;
	if (len < sizeof(*l))
		return;
	st->pattern = le32_to_cpu(l->pattern);
	st->geom.stripe_size = le32_to_cpu(l->stripe_size);
	st->geom.stripe_count = le16_to_cpu(l->stripe_count);
	st->stripe_offset = le16_to_cpu(l->stripe_offset);
	st->nobjs = (len - (uint32_t)sizeof(*l)) / sizeof(struct tess_ost_obj);
	for (uint32_t i = 0; i < st->nobjs; i++) {
		st->objs[i].ost_idx = le32_to_cpu(l->objs[i].ost_idx);
		st->objs[i].oid = le64_to_cpu(l->objs[i].oid);
	}
}

static void decode_inode(struct tess_inode *st, const void *body)
{
	const struct tess_inode_rep *r = body;
	const struct tess_attr *a = &r->attr;

	memset(st, 0, offsetof(struct tess_inode, objs));
	st->ino = le64_to_cpu(a->ino);
	st->size = le64_to_cpu(a->size);
	st->blocks = le64_to_cpu(a->blocks);
	st->data_version = le64_to_cpu(a->data_version);
	ts_from(&st->atime, a->atime_sec, a->atime_nsec);
	ts_from(&st->mtime, a->mtime_sec, a->mtime_nsec);
	ts_from(&st->ctime, a->ctime_sec, a->ctime_nsec);
	st->mode = le32_to_cpu(a->mode);
	st->uid = le32_to_cpu(a->uid);
	st->gid = le32_to_cpu(a->gid);
	st->nlink = le32_to_cpu(a->nlink);
	st->gen = le32_to_cpu(a->gen);
	st->rdev = le32_to_cpu(a->rdev);
	st->hsm_state = le32_to_cpu(a->hsm_state);
	decode_layout(st, (const void *)(r + 1), le32_to_cpu(r->layout_len));
}

/* ---- path walking ---- */

static int lookup(struct tess_client *c, uint64_t parent, const char *name,
		  size_t len, struct tess_inode *st)
{
	uint8_t body[sizeof(struct tess_name_req) + TESS_NAME_MAX];
	struct tess_name_req *r = (void *)body;
	struct tnet_call call = { .op = TESS_OP_LOOKUP, .body = body };
	int rc;

	if (len > TESS_NAME_MAX)
		return -ENAMETOOLONG;
	r->parent = cpu_to_le64(parent);
	r->name_len = cpu_to_le32((uint32_t)len);
	r->pad = 0;
	memcpy(r + 1, name, len);
	call.body_len = (uint32_t)(sizeof(*r) + len);
	rc = mds_call(c, &call);
	if (!rc)
		decode_inode(st, call.reply.body);
	return rc;
}

static int getattr(struct tess_client *c, uint64_t ino, struct tess_inode *st)
{
	struct tess_ino_req r = { .ino = cpu_to_le64(ino) };
	struct tnet_call call = { .op = TESS_OP_GETATTR, .body = &r,
				  .body_len = sizeof(r) };
	int rc = mds_call(c, &call);

	if (!rc)
		decode_inode(st, call.reply.body);
	return rc;
}

/*
 * Walk path; with want_parent, stop at the last component and return the
 * parent's ino and the last name (pointer into path).
 */
static int walk(struct tess_client *c, const char *path, bool want_parent,
		struct tess_inode *st, const char **last, size_t *lastlen)
{
	uint64_t cur = TESS_ROOT_INO;
	const char *p = path;
	bool have = false;	/* st holds cur, from its LOOKUP */
	int rc;

	if (*p != '/')
		return -EINVAL;
	for (;;) {
		const char *name, *next;
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		name = p;
		next = strchr(p, '/');
		len = next ? (size_t)(next - p) : strlen(p);
		p = name + len;
		while (*p == '/')
			p++;
		if (want_parent && !*p) {
			*last = name;
			*lastlen = len;
			if (len > TESS_NAME_MAX)
				return -ENAMETOOLONG;
			return have ? 0 : getattr(c, cur, st);
		}
		rc = lookup(c, cur, name, len, st);
		if (rc)
			return rc;
		cur = st->ino;
		have = true;
	}
	if (want_parent)
		return -EINVAL;		/* "/" has no parent entry */
	return getattr(c, cur, st);
}

int tess_stat(struct tess_client *c, const char *path, struct tess_inode *st)
{
	return walk(c, path, false, st, NULL, NULL);
}

int tess_stat_ino(struct tess_client *c, uint64_t ino, struct tess_inode *st)
{
	return getattr(c, ino, st);
}

static struct tess_inode *inode_buf(void)
{
	return malloc(sizeof(struct tess_inode));
}

/* ---- namespace ---- */

/* CREATE or MKDIR of path; open_flags: with TESS_CREATE_OPEN, else 0 */
static int create_common(struct tess_client *c, uint16_t op, const char *path,
			 uint32_t mode, const struct tess_layout_req *lr,
			 uint32_t flags, uint32_t open_flags,
			 struct tess_inode *st)
{
	uint8_t body[sizeof(struct tess_create_req) + TESS_NAME_MAX +
		     sizeof(struct tess_layout)];
	struct tess_create_req *r = (void *)body;
	struct tnet_call call = { .op = op, .body = body };
	const char *name;
	size_t len;
	int rc = walk(c, path, true, st, &name, &len);

	if (rc)
		return rc;
	if (!S_ISDIR(st->mode))
		return -ENOTDIR;
	memset(r, 0, sizeof(*r));
	r->parent = cpu_to_le64(st->ino);
	r->mode = cpu_to_le32(mode);
	r->uid = cpu_to_le32(c->uid);
	r->gid = cpu_to_le32(c->gid);
	r->flags = cpu_to_le32(flags);
	r->name_len = cpu_to_le32((uint32_t)len);
	r->open_flags = cpu_to_le32(open_flags);
	call.body_len = sizeof(*r);
	if (lr && (lr->stripe_size || lr->stripe_count ||
		   lr->stripe_offset != TESS_OST_ANY)) {
		struct tess_layout *l = (void *)(body + call.body_len);

		memset(l, 0, sizeof(*l));
		l->pattern = cpu_to_le32(TESS_LAYOUT_RAID0);
		l->stripe_size = cpu_to_le32(lr->stripe_size);
		l->stripe_count = cpu_to_le16(lr->stripe_count);
		l->stripe_offset = cpu_to_le16(lr->stripe_offset);
		r->layout_len = cpu_to_le32(sizeof(*l));
		call.body_len += sizeof(*l);
	}
	memcpy(body + call.body_len, name, len);
	call.body_len += (uint32_t)len;
	rc = mds_call(c, &call);
	if (!rc)
		decode_inode(st, call.reply.body);
	return rc;
}

int tess_mkdir(struct tess_client *c, const char *path, uint32_t mode)
{
	struct tess_inode *st = inode_buf();
	int rc;

	if (!st)
		return -ENOMEM;
	rc = create_common(c, TESS_OP_MKDIR, path, S_IFDIR | (mode & 07777),
			   NULL, 0, 0, st);
	free(st);
	return rc;
}

static int name_op(struct tess_client *c, uint16_t op, const char *path)
{
	uint8_t body[sizeof(struct tess_name_req) + TESS_NAME_MAX];
	struct tess_name_req *r = (void *)body;
	struct tnet_call call = { .op = op, .body = body };
	struct tess_inode *st = inode_buf();
	const char *name;
	size_t len;
	int rc;

	if (!st)
		return -ENOMEM;
	rc = walk(c, path, true, st, &name, &len);
	if (!rc) {
		r->parent = cpu_to_le64(st->ino);
		r->name_len = cpu_to_le32((uint32_t)len);
		r->pad = 0;
		memcpy(r + 1, name, len);
		call.body_len = (uint32_t)(sizeof(*r) + len);
		rc = mds_call(c, &call);
	}
	free(st);
	return rc;
}

int tess_unlink(struct tess_client *c, const char *path)
{
	return name_op(c, TESS_OP_UNLINK, path);
}

int tess_rmdir(struct tess_client *c, const char *path)
{
	return name_op(c, TESS_OP_RMDIR, path);
}

int tess_rename(struct tess_client *c, const char *from, const char *to)
{
	uint8_t body[sizeof(struct tess_rename_req) + 2 * TESS_NAME_MAX];
	struct tess_rename_req *r = (void *)body;
	struct tnet_call call = { .op = TESS_OP_RENAME, .body = body };
	struct tess_inode *st = inode_buf();
	const char *n1, *n2;
	size_t l1, l2;
	int rc;

	if (!st)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	rc = walk(c, from, true, st, &n1, &l1);
	if (rc)
		goto out;
	r->old_parent = cpu_to_le64(st->ino);
	rc = walk(c, to, true, st, &n2, &l2);
	if (rc)
		goto out;
	r->new_parent = cpu_to_le64(st->ino);
	r->old_len = cpu_to_le32((uint32_t)l1);
	r->new_len = cpu_to_le32((uint32_t)l2);
	memcpy(body + sizeof(*r), n1, l1);
	memcpy(body + sizeof(*r) + l1, n2, l2);
	call.body_len = (uint32_t)(sizeof(*r) + l1 + l2);
	rc = mds_call(c, &call);
out:
	free(st);
	return rc;
}

int tess_link(struct tess_client *c, const char *existing, const char *path)
{
	uint8_t body[sizeof(struct tess_link_req) + TESS_NAME_MAX];
	struct tess_link_req *r = (void *)body;
	struct tnet_call call = { .op = TESS_OP_LINK, .body = body };
	struct tess_inode *st = inode_buf();
	const char *name;
	size_t len;
	int rc;

	if (!st)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	rc = tess_stat(c, existing, st);
	if (rc)
		goto out;
	r->ino = cpu_to_le64(st->ino);
	rc = walk(c, path, true, st, &name, &len);
	if (rc)
		goto out;
	r->new_parent = cpu_to_le64(st->ino);
	r->name_len = cpu_to_le32((uint32_t)len);
	memcpy(r + 1, name, len);
	call.body_len = (uint32_t)(sizeof(*r) + len);
	rc = mds_call(c, &call);
out:
	free(st);
	return rc;
}

int tess_symlink(struct tess_client *c, const char *target, const char *path)
{
	size_t tlen = strlen(target);
	uint8_t *body = malloc(sizeof(struct tess_symlink_req) + TESS_NAME_MAX +
			       TESS_SYMLINK_MAX);
	struct tess_symlink_req *r = (void *)body;
	struct tnet_call call = { .op = TESS_OP_SYMLINK, .body = body };
	struct tess_inode *st = inode_buf();
	const char *name;
	size_t len;
	int rc;

	if (!body || !st) {
		rc = -ENOMEM;
		goto out;
	}
	rc = -ENAMETOOLONG;
	if (tlen > TESS_SYMLINK_MAX)
		goto out;
	rc = walk(c, path, true, st, &name, &len);
	if (rc)
		goto out;
	memset(r, 0, sizeof(*r));
	r->parent = cpu_to_le64(st->ino);
	r->uid = cpu_to_le32(c->uid);
	r->gid = cpu_to_le32(c->gid);
	r->name_len = cpu_to_le32((uint32_t)len);
	r->target_len = cpu_to_le32((uint32_t)tlen);
	memcpy(r + 1, name, len);
	memcpy(body + sizeof(*r) + len, target, tlen);
	call.body_len = (uint32_t)(sizeof(*r) + len + tlen);
	rc = mds_call(c, &call);
out:
	free(body);
	free(st);
	return rc;
}

ssize_t tess_readlink(struct tess_client *c, const char *path, char *buf,
		      size_t len)
{
	struct tess_inode *st = inode_buf();
	struct tess_ino_req r;
	struct tnet_call call = { .op = TESS_OP_READLINK, .body = &r,
				  .body_len = sizeof(r) };
	const struct tess_readlink_rep *rep;
	int rc;
	size_t n;

	if (!st)
		return -ENOMEM;
	rc = tess_stat(c, path, st);
	r.ino = cpu_to_le64(st->ino);
	free(st);
	if (rc)
		return rc;
	rc = mds_call(c, &call);
	if (rc)
		return rc;
	rep = call.reply.body;
	n = le32_to_cpu(rep->len);
	if (n > len)
		n = len;
	memcpy(buf, rep + 1, n);
	return (ssize_t)n;
}

static int setattr_ino(struct tess_client *c, struct tess_setattr_req *r,
		       struct tess_inode *st)
{
	struct tnet_call call = { .op = TESS_OP_SETATTR, .body = r,
				  .body_len = sizeof(*r) };
	int rc = mds_call(c, &call);

	if (!rc && st)
		decode_inode(st, call.reply.body);
	return rc;
}

static int setattr_path(struct tess_client *c, const char *path,
			struct tess_setattr_req *r)
{
	struct tess_inode *st = inode_buf();
	int rc;

	if (!st)
		return -ENOMEM;
	rc = tess_stat(c, path, st);
	if (!rc) {
		r->ino = cpu_to_le64(st->ino);
		rc = setattr_ino(c, r, NULL);
	}
	free(st);
	return rc;
}

int tess_chmod(struct tess_client *c, const char *path, uint32_t mode)
{
	struct tess_setattr_req r = { .valid = cpu_to_le32(TESS_SA_MODE),
				      .mode = cpu_to_le32(mode & 07777) };

	return setattr_path(c, path, &r);
}

int tess_chown(struct tess_client *c, const char *path, uint32_t uid,
	       uint32_t gid)
{
	struct tess_setattr_req r = {
		.valid = cpu_to_le32(TESS_SA_UID | TESS_SA_GID),
		.uid = cpu_to_le32(uid), .gid = cpu_to_le32(gid) };

	return setattr_path(c, path, &r);
}

int tess_utimes(struct tess_client *c, const char *path,
		const struct timespec *atime, const struct timespec *mtime)
{
	struct tess_setattr_req r = {
		.valid = cpu_to_le32(TESS_SA_ATIME | TESS_SA_MTIME),
		.atime_sec = cpu_to_le64((uint64_t)atime->tv_sec),
		.atime_nsec = cpu_to_le32((uint32_t)atime->tv_nsec),
		.mtime_sec = cpu_to_le64((uint64_t)mtime->tv_sec),
		.mtime_nsec = cpu_to_le32((uint32_t)mtime->tv_nsec) };

	return setattr_path(c, path, &r);
}

int tess_readdir(struct tess_client *c, const char *path, tess_dirent_cb cb,
		 void *arg)
{
	struct tess_inode *st = inode_buf();
	struct tess_readdir_req r = { .max_bytes = cpu_to_le32(32768) };
	struct tnet_call call = { .op = TESS_OP_READDIR, .body = &r,
				  .body_len = sizeof(r) };
	uint64_t cookie = 0;
	int rc;

	if (!st)
		return -ENOMEM;
	rc = tess_stat(c, path, st);
	r.ino = cpu_to_le64(st->ino);
	free(st);
	if (rc)
		return rc;
	for (;;) {
		const struct tess_readdir_rep *rep;
		struct tess_cursor cur;
		uint32_t count;
		bool eof;

		r.cookie = cpu_to_le64(cookie);
		rc = mds_call(c, &call);
		if (rc)
			return rc;
		tess_cursor_init(&cur, call.reply.body, call.reply.f.body_len);
		rep = tess_pull(&cur, sizeof(*rep));
		count = le32_to_cpu(rep->count);
		eof = le32_to_cpu(rep->eof);
		for (uint32_t i = 0; i < count; i++) {
			const struct tess_dirent *d = tess_pull(&cur, sizeof(*d));
			uint32_t nl = le32_to_cpu(d->name_len);
			const char *nm = tess_pull(&cur, TESS_DIRENT_BYTES(nl) -
						   sizeof(*d));
			char name[TESS_NAME_MAX + 1];

			cookie = le64_to_cpu(d->cookie);
			memcpy(name, nm, nl);
			name[nl] = 0;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			rc = cb(arg, name, le64_to_cpu(d->ino),
				le32_to_cpu(d->type), cookie);
			if (rc)
				return rc > 0 ? 0 : rc;
		}
		if (eof)
			return 0;
		if (!count)
			return -EIO;	/* no progress and no eof */
	}
}

static void decode_statfs(struct tess_statfs *st, const void *body)
{
	const struct tess_statfs_rep *r = body;

	st->blocks = le64_to_cpu(r->blocks);
	st->bfree = le64_to_cpu(r->bfree);
	st->bavail = le64_to_cpu(r->bavail);
	st->files = le64_to_cpu(r->files);
	st->ffree = le64_to_cpu(r->ffree);
	st->bsize = le32_to_cpu(r->bsize);
	st->namelen = le32_to_cpu(r->namelen);
	st->ost_count = le32_to_cpu(r->ost_count);
	st->def_stripe_count = le32_to_cpu(r->def_stripe_count);
}

int tess_statfs(struct tess_client *c, struct tess_statfs *st)
{
	struct tnet_call call = { .op = TESS_OP_STATFS };
	int rc = mds_call(c, &call);

	if (!rc)
		decode_statfs(st, call.reply.body);
	return rc;
}

int tess_ost_statfs(struct tess_client *c, uint32_t index,
		    struct tess_statfs *st)
{
	struct tnet_call call = { .op = TESS_OP_OBJ_STATFS };
	int rc = ost_call(c, index, &call);

	if (!rc)
		decode_statfs(st, call.reply.body);
	return rc;
}

int tess_obj_stat(struct tess_client *c, uint32_t ost_idx, uint64_t oid,
		  uint64_t *size)
{
	struct tess_obj_req r = { .oid = cpu_to_le64(oid) };
	struct tnet_call call = { .op = TESS_OP_OBJ_GETATTR, .body = &r,
				  .body_len = sizeof(r) };
	int rc = ost_call(c, ost_idx, &call);

	if (!rc)
		*size = le64_to_cpu(((const struct tess_obj_attr_rep *)
				     call.reply.body)->size);
	return rc;
}

/* ---- xattrs ---- */

static ssize_t xattr_call(struct tess_client *c, uint16_t op, const char *path,
			  const char *name, const void *val, size_t vlen,
			  int flags, void *out, size_t outlen)
{
	size_t nlen = name ? strlen(name) : 0;
	size_t blen = sizeof(struct tess_xattr_req) + nlen +
		      (op == TESS_OP_SETXATTR ? vlen : 0);
	uint8_t *body;
	struct tess_xattr_req *r;
	struct tnet_call call = { .op = op };
	struct tess_inode *st;
	ssize_t rc;

	if (nlen > TESS_XATTR_NAME_MAX)
		return -ERANGE;
	if (vlen > TESS_XATTR_SIZE_MAX)
		return -E2BIG;
	body = malloc(blen);
	st = inode_buf();
	if (!body || !st) {
		rc = -ENOMEM;
		goto out;
	}
	rc = tess_stat(c, path, st);
	if (rc)
		goto out;
	r = (void *)body;
	memset(r, 0, sizeof(*r));
	r->ino = cpu_to_le64(st->ino);
	r->flags = cpu_to_le32((uint32_t)flags);
	r->name_len = cpu_to_le32((uint32_t)nlen);
	r->value_len = cpu_to_le32((uint32_t)(op == TESS_OP_SETXATTR ? vlen :
					     outlen > TESS_XATTR_SIZE_MAX ?
					     TESS_XATTR_SIZE_MAX : outlen));
	if (nlen)
		memcpy(r + 1, name, nlen);
	if (op == TESS_OP_SETXATTR && vlen)
		memcpy(body + sizeof(*r) + nlen, val, vlen);
	call.body = body;
	call.body_len = (uint32_t)blen;
	rc = mds_call(c, &call);
	if (rc)
		goto out;
	if (op == TESS_OP_GETXATTR || op == TESS_OP_LISTXATTR) {
		if (outlen == 0) {
			const struct tess_xattr_size_rep *sr = call.reply.body;

			rc = call.reply.f.body_len >= sizeof(*sr) ?
				(ssize_t)le32_to_cpu(sr->size) : -EIO;
		} else {
			rc = call.reply.f.body_len;
			if ((size_t)rc > outlen)
				rc = -ERANGE;
			else
				memcpy(out, call.reply.body, (size_t)rc);
		}
	}
out:
	free(body);
	free(st);
	return rc;
}

ssize_t tess_getxattr(struct tess_client *c, const char *path,
		      const char *name, void *buf, size_t size)
{
	return xattr_call(c, TESS_OP_GETXATTR, path, name, NULL, 0, 0, buf, size);
}

int tess_setxattr(struct tess_client *c, const char *path, const char *name,
		  const void *val, size_t size, int flags)
{
	return (int)xattr_call(c, TESS_OP_SETXATTR, path, name, val, size,
			       flags, NULL, 0);
}

ssize_t tess_listxattr(struct tess_client *c, const char *path, char *buf,
		       size_t size)
{
	return xattr_call(c, TESS_OP_LISTXATTR, path, NULL, NULL, 0, 0, buf, size);
}

int tess_removexattr(struct tess_client *c, const char *path,
		     const char *name)
{
	return (int)xattr_call(c, TESS_OP_REMOVEXATTR, path, name, NULL, 0, 0,
			       NULL, 0);
}

/* ---- layouts ---- */

int tess_setstripe(struct tess_client *c, const char *path,
		   const struct tess_layout_req *lr)
{
	uint8_t body[sizeof(struct tess_set_layout_req) + sizeof(struct tess_layout)];
	struct tess_set_layout_req *r = (void *)body;
	struct tess_layout *l = (void *)(r + 1);
	struct tnet_call call = { .op = TESS_OP_SET_LAYOUT, .body = body,
				  .body_len = sizeof(body) };
	struct tess_inode *st = inode_buf();
	int rc;

	if (!st)
		return -ENOMEM;
	rc = tess_stat(c, path, st);
	memset(body, 0, sizeof(body));
	r->ino = cpu_to_le64(st->ino);
	free(st);
	if (rc)
		return rc;
	r->layout_len = cpu_to_le32(sizeof(*l));
	l->pattern = cpu_to_le32(TESS_LAYOUT_RAID0);
	l->stripe_size = cpu_to_le32(lr->stripe_size);
	l->stripe_count = cpu_to_le16(lr->stripe_count);
	l->stripe_offset = cpu_to_le16(lr->stripe_offset);
	return mds_call(c, &call);
}

int tess_getstripe(struct tess_client *c, const char *path,
		   struct tess_inode *st)
{
	struct tess_ino_req r;
	struct tnet_call call = { .op = TESS_OP_GET_LAYOUT, .body = &r,
				  .body_len = sizeof(r) };
	int rc = tess_stat(c, path, st);

	if (rc)
		return rc;
	r.ino = cpu_to_le64(st->ino);
	rc = mds_call(c, &call);
	if (!rc)
		decode_layout(st, call.reply.body, call.reply.f.body_len);
	return rc;
}

/* ---- striped I/O ---- */

struct obj_io {
	struct tess_file *f;
	uint32_t stripe;
	bool write;
	uint8_t *user;			/* the caller's buffer at file offset off */
	uint64_t off, len;		/* the file range of the whole call */
	uint8_t *stage;			/* RPC_BULK bytes */
	int rc;
	pthread_t tid;
};

/*
 * Move the bytes of object range [os, os + n) between the user buffer
 * (file range [io->off, io->off + io->len)) and the stage buffer.
 */
static void stage_copy(struct obj_io *io, uint64_t os, uint64_t n, bool to_stage)
{
	const struct tess_stripe_geom *g = &io->f->ino.geom;
	uint64_t done = 0;

	while (done < n) {
		uint64_t fo = tess_stripe_file_off(g, io->stripe, os + done);
		uint64_t in_unit = (os + done) % g->stripe_size;
		uint64_t chunk = g->stripe_size - in_unit;

		if (chunk > n - done)
			chunk = n - done;
		if (to_stage)
			memcpy(io->stage + done, io->user + (fo - io->off), chunk);
		else
			memcpy(io->user + (fo - io->off), io->stage + done, chunk);
		done += chunk;
	}
}

/*
 * An unstable write of object `stripe` answered with verf: a verifier
 * other than that of the object's earlier unstable writes means the OST
 * restarted since them.
 */
static void note_unstable(struct tess_file *f, uint32_t stripe, uint64_t verf)
{
	struct stripe_verf *v = &f->sv[stripe];

	pthread_mutex_lock(&f->vlock);
	if (!v->unstable) {
		v->unstable = true;
		v->verf = verf;
	} else if (v->verf != verf) {
		v->lost = true;
		v->verf = verf;
	}
	pthread_mutex_unlock(&f->vlock);
}

static int obj_rw(struct obj_io *io, uint64_t os, uint32_t n)
{
	struct tess_file *f = io->f;
	struct tess_obj_io_req r = {
		.oid = cpu_to_le64(f->ino.objs[io->stripe].oid),
		.offset = cpu_to_le64(os), .length = cpu_to_le32(n) };
	struct tnet_call call = { .op = io->write ? TESS_OP_OBJ_WRITE :
					TESS_OP_OBJ_READ,
				  .body = &r, .body_len = sizeof(r) };
	const struct tess_obj_io_rep *rep;
	int rc;

	if (io->write) {
		stage_copy(io, os, n, true);
		call.bulk = io->stage;
		call.bulk_len = n;
	} else {
		call.rbulk = io->stage;
		call.rbulk_cap = n;
	}
	rc = ost_call(f->c, f->ino.objs[io->stripe].ost_idx, &call);
	if (rc)
		return rc;
	rep = call.reply.body;
	if (io->write) {
		uint64_t verf = 0;

		if (le32_to_cpu(rep->length) != n)
			return -EIO;
		/* protocol 3 (the codec checked the length) */
		if (call.reply.f.body_len >= sizeof(*rep) +
					     sizeof(struct tess_obj_verf_rep))
			verf = le64_to_cpu(((const struct tess_obj_verf_rep *)
					    (rep + 1))->verf);
		note_unstable(f, io->stripe, verf);
		return 0;
	}
	/* a short read is a hole or the object's end: zeros */
	if (call.reply.f.bulk_len < n)
		memset(io->stage + call.reply.f.bulk_len, 0,
		       n - call.reply.f.bulk_len);
	stage_copy(io, os, n, false);
	return 0;
}

static void *obj_io_main(void *arg)
{
	struct obj_io *io = arg;
	uint64_t os, oe;

	io->rc = 0;
	if (!tess_stripe_obj_range(&io->f->ino.geom, io->stripe, io->off,
				   io->len, &os, &oe))
		return NULL;
	while (os < oe && !io->rc) {
		uint32_t n = oe - os > RPC_BULK ? RPC_BULK : (uint32_t)(oe - os);

		io->rc = obj_rw(io, os, n);
		os += n;
	}
	return NULL;
}

static int striped_io(struct tess_file *f, uint8_t *buf, uint64_t len,
		      uint64_t off, bool write)
{
	uint32_t count = f->ino.nobjs;
	struct obj_io *ios = calloc(count, sizeof(*ios));
	int rc = 0;

	if (!ios)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t os, oe;

		ios[i] = (struct obj_io){ .f = f, .stripe = i, .write = write,
					  .user = buf, .off = off, .len = len };
		/* objects outside the range get no buffer and no thread */
		if (!tess_stripe_obj_range(&f->ino.geom, i, off, len, &os, &oe))
			continue;
		ios[i].stage = malloc(oe - os < RPC_BULK ? oe - os : RPC_BULK);
		if (!ios[i].stage) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (uint32_t i = 0; i < count; i++) {
		if (!ios[i].stage)
			continue;
		if (count == 1 || pthread_create(&ios[i].tid, NULL, obj_io_main,
						 &ios[i])) {
			obj_io_main(&ios[i]);
			ios[i].tid = 0;
		}
	}
	for (uint32_t i = 0; i < count; i++) {
		if (ios[i].tid)
			pthread_join(ios[i].tid, NULL);
		if (ios[i].rc && !rc)
			rc = ios[i].rc;
	}
out:
	for (uint32_t i = 0; i < count; i++)
		free(ios[i].stage);
	free(ios);
	return rc;
}

static int send_open(struct tnet_conn *conn, uint16_t op, uint64_t ino,
		     uint32_t flags, struct tnet_call *call,
		     const struct tess_cred *cred)
{
	static __thread struct tess_open_req r;

	r = (struct tess_open_req){ .ino = cpu_to_le64(ino),
				    .flags = cpu_to_le32(flags) };
	*call = (struct tnet_call){ .op = op, .body = &r, .body_len = sizeof(r),
				    .cred = cred };
	return conn ? tnet_call(conn, call) : 0;
}

static void file_free(struct tess_file *f)
{
	pthread_mutex_destroy(&f->vlock);
	free(f->sv);
	free(f);
}

/* did the MDS connection agree the feature bit feat? */
static bool mds_agreed(struct tess_client *c, uint64_t feat)
{
	bool yes;

	pthread_mutex_lock(&c->lock);
	yes = c->mds && (c->mds->features & feat);
	pthread_mutex_unlock(&c->lock);
	return yes;
}

/* the TESS_OPEN_* access for open(2) flags */
static uint32_t open_access(int flags)
{
	if ((flags & O_ACCMODE) == O_WRONLY)
		return TESS_OPEN_WRITE;
	/* O_RDONLY is 0: the library's handles do both */
	return TESS_OPEN_READ | TESS_OPEN_WRITE;
}

/* the MDS counts f's open (f->open_flags): on the client's list, for a
 * replay after an MDS restart, and closed by mds_close() */
static void mds_opened(struct tess_file *f)
{
	struct tess_client *c = f->c;

	pthread_mutex_lock(&c->lock);
	f->mds_open = true;
	if (c->mds)	/* the connection the open went on, but for a race */
		memcpy(f->mds_instance, c->mds->peer_uuid, 16);
	f->next = c->files;
	c->files = f;
	pthread_mutex_unlock(&c->lock);
}

/* OPEN at the MDS: f->ino gets the reply (GETATTR's) */
static int mds_open(struct tess_file *f, int flags, bool created)
{
	struct tess_client *c = f->c;
	struct tnet_call call;
	int rc;

	f->open_flags = open_access(flags);
	if (created && mds_agreed(c, TESS_FEAT_CRED))
		f->open_flags |= TESS_OPEN_CREATED;
	send_open(NULL, TESS_OP_OPEN, f->ino.ino, f->open_flags, &call, NULL);
	rc = mds_call(c, &call);
	f->open_flags &= ~(uint32_t)TESS_OPEN_CREATED;	/* not on replays */
	if (rc == -EACCES && (flags & O_ACCMODE) == O_RDONLY) {
		/* not writable by us: a read-only handle (tess_pwrite EBADF) */
		f->open_flags = TESS_OPEN_READ;
		send_open(NULL, TESS_OP_OPEN, f->ino.ino, f->open_flags, &call,
			  NULL);
		rc = mds_call(c, &call);
	}
	if (rc == -EOPNOTSUPP)
		return 0;		/* an MDS of protocol 1: no opens */
	if (rc)
		return rc;
	decode_inode(&f->ino, call.reply.body);
	mds_opened(f);
	return 0;
}

/*
 * O_CREAT, made or opened in one request, with no LOOKUP of the name
 * first: a CREATE with TESS_CREATE_OPEN, to an MDS that agreed
 * TESS_FEAT_CREATE_OPEN, which counts the open as an OPEN's (the owner of
 * the file it made gets the access asked for, as TESS_OPEN_CREATED) and,
 * without O_EXCL, opens an existing regular file with its access checked:
 * f is then open as mds_open() leaves it, f->ino from the reply.  -EEXIST:
 * the name is there and is not a regular file (or O_EXCL), which
 * tess_open then looks at.  -EOPNOTSUPP: the MDS did not agree it (also
 * one that came back without it, which refuses the flag, EINVAL): LOOKUP,
 * then CREATE and OPEN.
 */
static int create_open(struct tess_file *f, const char *path, int flags,
		       uint32_t mode, const struct tess_layout_req *lr)
{
	uint32_t oflags = open_access(flags);
	int rc;

	if (!mds_agreed(f->c, TESS_FEAT_CREATE_OPEN))
		return -EOPNOTSUPP;
	rc = create_common(f->c, TESS_OP_CREATE, path, S_IFREG | (mode & 07777),
			   lr, TESS_CREATE_OPEN |
			   (flags & O_EXCL ? TESS_CREATE_EXCL : 0), oflags,
			   &f->ino);
	if (rc == -EINVAL && !mds_agreed(f->c, TESS_FEAT_CREATE_OPEN))
		return -EOPNOTSUPP;
	if (rc)
		return rc;
	f->open_flags = oflags;		/* for CLOSE and replays */
	mds_opened(f);
	return 0;
}

/* CLOSE at the MDS, if it holds our OPEN */
static int mds_close(struct tess_file *f)
{
	struct tess_client *c = f->c;
	struct tnet_call call;
	bool was_open;

	pthread_mutex_lock(&c->lock);
	for (struct tess_file **pp = &c->files; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	was_open = f->mds_open;
	f->mds_open = false;
	pthread_mutex_unlock(&c->lock);
	if (!was_open)
		return 0;
	send_open(NULL, TESS_OP_CLOSE, f->ino.ino, f->open_flags, &call, NULL);
	return mds_call(c, &call);
}

int tess_open(struct tess_client *c, const char *path, int flags,
	      uint32_t mode, const struct tess_layout_req *lr,
	      struct tess_file **out)
{
	struct tess_file *f = calloc(1, sizeof(*f));
	bool created = false, opened = false;
	int rc;

	if (!f)
		return -ENOMEM;
	f->c = c;
	pthread_mutex_init(&f->vlock, NULL);
	rc = -EOPNOTSUPP;
	if (flags & O_CREAT) {
		rc = create_open(f, path, flags, mode, lr);
		opened = !rc;
	}
	/*
	 * Not made or opened in one request: an older MDS; a directory we
	 * may not write to (a file there opens without write permission,
	 * and O_EXCL of it is EEXIST); without O_EXCL a name that is not a
	 * regular file.  The name looked up, then CREATE or OPEN.
	 */
	if (rc == -EOPNOTSUPP || rc == -EACCES ||
	    (rc == -EEXIST && !(flags & O_EXCL))) {
		rc = tess_stat(c, path, &f->ino);
		if (rc == -ENOENT && (flags & O_CREAT) && (created = true))
			rc = create_common(c, TESS_OP_CREATE, path,
					   S_IFREG | (mode & 07777), lr,
					   flags & O_EXCL ? TESS_CREATE_EXCL : 0,
					   0, &f->ino);
		else if (!rc && (flags & O_CREAT) && (flags & O_EXCL))
			rc = -EEXIST;
	}
	if (!rc && S_ISDIR(f->ino.mode))
		rc = -EISDIR;
	else if (!rc && !S_ISREG(f->ino.mode))
		rc = -EINVAL;
	if (!rc && !opened)
		rc = mds_open(f, flags, created);
	if (!rc && (f->ino.nobjs == 0 ||
		    tess_stripe_geom_check(&f->ino.geom)))
		rc = -EIO;		/* a regular file without a usable layout */
	if (!rc) {
		f->sv = calloc(f->ino.nobjs, sizeof(*f->sv));
		if (!f->sv)
			rc = -ENOMEM;
	}
	if (rc) {
		mds_close(f);
		file_free(f);
		return rc;
	}
	f->size = f->ino.size;
	f->mds_size = f->ino.size;
	if ((flags & O_TRUNC) && f->size) {
		rc = tess_ftruncate(f, 0);
		if (rc) {
			mds_close(f);
			file_free(f);
			return rc;
		}
	}
	*out = f;
	return 0;
}

ssize_t tess_pwrite(struct tess_file *f, const void *buf, size_t len,
		    uint64_t off)
{
	int rc;

	if (f->mds_open && !(f->open_flags & TESS_OPEN_WRITE))
		return -EBADF;		/* opened read-only (EACCES for writes) */
	if (!len)
		return 0;
	if (off > (1ULL << 62) || len > (1ULL << 62) - off)
		return -EFBIG;
	rc = striped_io(f, (uint8_t *)buf, len, off, true);
	if (rc)
		return rc;
	if (off + len > f->size) {
		f->size = off + len;
		f->size_dirty = true;
	}
	return (ssize_t)len;
}

ssize_t tess_pread(struct tess_file *f, void *buf, size_t len, uint64_t off)
{
	int rc;

	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = f->size - off;
	rc = striped_io(f, buf, len, off, false);
	return rc ? rc : (ssize_t)len;
}

static int flush_size(struct tess_file *f)
{
	struct tess_setattr_req r = {
		.ino = cpu_to_le64(f->ino.ino),
		.valid = cpu_to_le32(TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW),
		.size = cpu_to_le64(f->size) };
	int rc;

	if (!f->size_dirty)
		return 0;
	rc = setattr_ino(f->c, &r, NULL);
	if (!rc) {
		f->size_dirty = false;
		if (f->size > f->mds_size)
			f->mds_size = f->size;
	}
	return rc;
}

/* OBJ_SYNC of one object; *verf: the OST's verifier (0: protocol 2) */
static int sync_object(struct tess_file *f, uint32_t i, uint64_t *verf)
{
	struct tess_obj_req r = { .oid = cpu_to_le64(f->ino.objs[i].oid) };
	struct tnet_call call = { .op = TESS_OP_OBJ_SYNC, .body = &r,
				  .body_len = sizeof(r) };
	int rc = ost_call(f->c, f->ino.objs[i].ost_idx, &call);

	*verf = 0;
	if (!rc && call.reply.f.body_len >= sizeof(struct tess_obj_verf_rep))
		*verf = le64_to_cpu(((const struct tess_obj_verf_rep *)
				     call.reply.body)->verf);
	return rc;
}

/*
 * Make the unstable writes of this handle stable: OBJ_SYNC to the objects
 * it wrote since their last sync, or (all: fsync, which also covers the
 * writes of handles closed before) to every object.  -EIO when an OST answers
 * with a verifier other than that of the writes (it restarted and may
 * have lost them): reported once, and the size those writes made is
 * dropped so that it never reaches the MDS.  Another error (the OST did
 * not answer) keeps the writes unstable for the next try.
 */
static int sync_unstable(struct tess_file *f, bool all)
{
	bool lost_any = false;
	int rc = 0;

	for (uint32_t i = 0; i < f->ino.nobjs; i++) {
		struct stripe_verf was;
		uint64_t verf;
		int err;

		pthread_mutex_lock(&f->vlock);
		was = f->sv[i];
		f->sv[i] = (struct stripe_verf){ 0 };
		pthread_mutex_unlock(&f->vlock);
		if (!was.unstable && !all)
			continue;
		err = sync_object(f, i, &verf);
		if (err && !was.unstable) {
			if (!rc)
				rc = err;
			continue;
		}
		if (err) {
			/* not known to be stable: keep it for the next sync */
			pthread_mutex_lock(&f->vlock);
			if (f->sv[i].unstable && f->sv[i].verf != was.verf)
				was.lost = true;
			f->sv[i].lost |= was.lost;
			f->sv[i].unstable = true;
			f->sv[i].verf = was.verf;
			pthread_mutex_unlock(&f->vlock);
			if (!rc)
				rc = err;
			continue;
		}
		if (!was.unstable)
			continue;	/* nothing of ours to check */
		if (was.lost || (verf && was.verf && verf != was.verf)) {
			tlog("ino %" PRIu64 ": OST %u restarted (write verifier "
			     "%#" PRIx64 ", now %#" PRIx64 ") before object "
			     "%#" PRIx64 " was synced: written data may be lost",
			     f->ino.ino, f->ino.objs[i].ost_idx, was.verf, verf,
			     f->ino.objs[i].oid);
			lost_any = true;
		}
	}
	if (lost_any) {
		/* what the lost writes added must not become visible */
		f->size = f->mds_size;
		f->size_dirty = false;
		return -EIO;
	}
	return rc;
}

int tess_fsync(struct tess_file *f)
{
	int rc = sync_unstable(f, true);

	if (!rc)
		rc = flush_size(f);
	return rc;
}

/* every object of f to where a file of size bytes ends in it */
static int punch_objects(struct tess_file *f, uint64_t size, uint32_t flags)
{
	for (uint32_t i = 0; i < f->ino.nobjs; i++) {
		struct tess_obj_punch_req p = {
			.oid = cpu_to_le64(f->ino.objs[i].oid),
			.offset = cpu_to_le64(tess_stripe_obj_size(&f->ino.geom,
								   i, size)),
			.mode = cpu_to_le32(TESS_PUNCH_TRUNCATE),
			.flags = cpu_to_le32(flags) };
		struct tnet_call call = { .op = TESS_OP_OBJ_PUNCH, .body = &p,
					  .body_len = sizeof(p) };
		int rc = ost_call(f->c, f->ino.objs[i].ost_idx, &call);

		if (rc)
			return rc;
	}
	return 0;
}

/*
 * As the kernel client does (kmod/inode.c, tess_setattr): up, the objects
 * are first cut to the old size, stable, so that what they held past it
 * (a dead writer's bytes, a lost punch) reads as zeros; then the size on
 * the MDS, which records the truncate and cuts again once the file is
 * closed everywhere; then the objects, stable when cut down.
 */
int tess_ftruncate(struct tess_file *f, uint64_t size)
{
	struct tess_setattr_req r = {
		.ino = cpu_to_le64(f->ino.ino),
		.valid = cpu_to_le32(TESS_SA_SIZE | TESS_SA_MTIME_NOW),
		.size = cpu_to_le64(size) };
	uint64_t old = f->size;
	int rc;

	if (size > old) {
		rc = sync_unstable(f, true);	/* data under the new size */
		if (!rc)
			rc = punch_objects(f, old, TESS_IO_SYNC);
		if (rc)
			return rc;
	}
	rc = setattr_ino(f->c, &r, NULL);
	if (rc)
		return rc;
	f->size = size;
	f->mds_size = size;
	f->size_dirty = false;
	return punch_objects(f, size, size > old ? 0 : TESS_IO_SYNC);
}

int tess_truncate(struct tess_client *c, const char *path, uint64_t size)
{
	struct tess_file *f;
	int rc = tess_open(c, path, 0, 0, NULL, &f);

	if (rc)
		return rc;
	rc = tess_ftruncate(f, size);
	mds_close(f);
	file_free(f);
	return rc;
}

uint64_t tess_file_size(const struct tess_file *f)
{
	return f->size;
}

const struct tess_inode *tess_file_inode(const struct tess_file *f)
{
	return &f->ino;
}

/*
 * A close that grew the file makes the data stable first (data=ordered):
 * the MDS's size never covers bytes an OST could still lose.
 */
int tess_close(struct tess_file *f)
{
	int rc = f->size_dirty ? sync_unstable(f, false) : 0;
	int rc2;

	if (!rc)
		rc = flush_size(f);
	rc2 = mds_close(f);

	file_free(f);
	return rc ? rc : rc2;
}

/* ---- raw calls (tools) ---- */

int tess_mds_call(struct tess_client *c, struct tnet_call *call)
{
	return mds_call(c, call);
}

int tess_ost_call(struct tess_client *c, uint32_t ost_idx,
		  struct tnet_call *call)
{
	return ost_call(c, ost_idx, call);
}

uint64_t tess_ost_features(struct tess_client *c, uint32_t ost_idx)
{
	struct tnet_conn *conn;
	uint64_t f;
	int rc;

	if (ost_lookup(c, ost_idx))
		return 0;
	conn = get_conn(c, &c->osts[ost_idx], &c->ost_addr[ost_idx], &rc);
	if (!conn)
		return 0;
	f = conn->features;
	put_conn(c, conn);
	return f;
}
