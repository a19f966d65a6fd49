// SPDX-License-Identifier: MIT
/*
 * handlers.c - OST requests: decode (already checked by tess_msg_check),
 * call the object store, encode the reply.  One thread per connection
 * (tnet_server_run); everything here is reentrant.  PING is answered by
 * the network layer itself.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hsm_cache.h"
#include "ost.h"

/* per-connection state (c->user) */
struct ost_conn {
	uint8_t *rbuf;		/* OBJ_READ reply bulk */
	uint32_t rcap;
};

/*
 * The write verifier (tessera.h, tess_obj_verf_rep): it must change
 * whenever writes this OST acknowledged but did not sync may be gone,
 * that is when the page cache of the store's file system was lost: a
 * reboot (power cut, crash).  It is a hash of the kernel's boot id, the
 * store's device and the store's uuid.  A restart of the daemon alone
 * (kill -9, upgrade) keeps it: what the dead process wrote is still in
 * the page cache, and this instance's fsync makes it stable, so clients
 * lose nothing and see no error.  (Not the mount id: a daemon started in
 * a new mount namespace, as `ip netns exec` does, sees other ids.)
 * Without a boot id the verifier is random, new on every start (safe:
 * clients then report EIO for unsynced writes after any restart).
 * Limit: a store whose device dropped acknowledged writes and was
 * mounted again without a reboot keeps the verifier.
 *
 * Tests only: TESS_OST_FAULT_NEW_VERF=1 takes a random verifier, as after
 * a power cut (with the objects removed, it models one); and
 * TESS_OST_FAULT_SYNC=ERRNO answers every OBJ_SYNC and OBJ_SYNC_OWN
 * with that status;
 * TESS_OST_FAULT_LOSE_PUNCH=1 answers every OBJ_PUNCH TRUNCATE that
 * would shrink an object and is not TESS_IO_SYNC without doing it: what a
 * power cut before the store's next commit does to it.
 */
static uint64_t ost_verf;
static pthread_once_t ost_verf_once = PTHREAD_ONCE_INIT;
static struct ost_ctx *ost_verf_ctx;
static int ost_fault_sync;
static int ost_fault_lose_punch;

static uint64_t fnv1a(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* the verifier of this boot of the store's host; 0 if unknown */
static uint64_t derived_verf(struct ost_ctx *x)
{
	char boot[64] = "";
	struct stat st;
	uint64_t h = 0xcbf29ce484222325ULL, dev;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (!f)
		return 0;
	if (!fgets(boot, sizeof(boot), f))
		boot[0] = 0;
	fclose(f);
	if (strlen(boot) < 32 || fstat(objstore_rootfd(x->store), &st))
		return 0;
	dev = (uint64_t)st.st_dev;
	h = fnv1a(h, boot, strlen(boot));
	h = fnv1a(h, &dev, sizeof(dev));
	h = fnv1a(h, objstore_uuid(x->store), 16);
	return h;
}

static void ost_verf_init(void)
{
	const char *e = getenv("TESS_OST_FAULT_NEW_VERF");
	const char *how = "boot id and store";

	if (e && atoi(e) > 0) {
		how = "random: TESS_OST_FAULT_NEW_VERF (fault injection)";
	} else {
		ost_verf = derived_verf(ost_verf_ctx);
		if (!ost_verf)
			how = "random: no boot id";
	}
	while (!ost_verf)
		tnet_random(&ost_verf, sizeof(ost_verf));
	tlog("write verifier %#" PRIx64 " (%s)", ost_verf, how);
	e = getenv("TESS_OST_FAULT_SYNC");
	if (e && atoi(e) > 0) {
		ost_fault_sync = atoi(e);
		tlog("fault injection: TESS_OST_FAULT_SYNC: every OBJ_SYNC "
		     "and OBJ_SYNC_OWN fails with status %d", ost_fault_sync);
	}
	e = getenv("TESS_OST_FAULT_LOSE_PUNCH");
	if (e && atoi(e) > 0) {
		ost_fault_lose_punch = 1;
		tlog("fault injection: TESS_OST_FAULT_LOSE_PUNCH: shrinking "
		     "truncates that are not TESS_IO_SYNC are not done");
	}
}

static uint64_t write_verf(struct ost_ctx *x)
{
	if (!ost_verf_ctx)
		ost_verf_ctx = x;	/* one context per process */
	pthread_once(&ost_verf_once, ost_verf_init);
	return ost_verf;
}

/* protocol 3: the verifier to a reply (not to older peers) */
static void put_verf(struct ost_ctx *x, struct tnet_conn *c,
		     struct tnet_reply *rep)
{
	struct tess_obj_verf_rep v = { .verf = cpu_to_le64(write_verf(x)) };

	if (c->version >= 3)
		tess_buf_put(&rep->body, &v, sizeof(v));
}

static const char *errstr(int e, char *buf, size_t len)
{
	return strerror_r(e < 0 ? -e : e, buf, len);
}

static int ost_connected(void *ctx, struct tnet_conn *c)
{
	struct ost_conn *oc = calloc(1, sizeof(*oc));

	write_verf(ctx);		/* picked (and logged) before any write */
	if (oc) {
		oc->rcap = TESS_BULK_DEFAULT;
		oc->rbuf = malloc(oc->rcap);
	}
	if (!oc || !oc->rbuf) {
		tlog("%s: dropping connection: out of memory", c->peer);
		free(oc);
		return ENOMEM;
	}
	c->user = oc;
	return 0;
}

static void ost_disconnected(void *ctx, struct tnet_conn *c)
{
	struct ost_conn *oc = c->user;

	(void)ctx;
	if (oc) {
		free(oc->rbuf);
		free(oc);
		c->user = NULL;
	}
}

/* the connection's read buffer, grown (once, up to TESS_MAX_BULK) to len */
static uint8_t *read_buf(struct ost_conn *oc, uint32_t len)
{
	uint32_t cap;
	uint8_t *p;

	if (len <= oc->rcap)
		return oc->rbuf;
	cap = oc->rcap;
	while (cap < len)
		cap *= 2;
	if (cap > TESS_MAX_BULK)
		cap = TESS_MAX_BULK;
	if (cap < len)
		return NULL;
	p = malloc(cap);
	if (!p)
		return NULL;
	free(oc->rbuf);
	oc->rbuf = p;
	oc->rcap = cap;
	return p;
}

/* log a failed request and return its status */
static int failed(struct tnet_conn *c, const struct tnet_msg *req,
		  uint64_t oid, int rc)
{
	char eb[128];

	tlog("%s: %s oid %#" PRIx64 " (xid %" PRIu64 "): %s", c->peer,
	     tess_op_name(req->f.opcode), oid, req->f.xid,
	     errstr(rc, eb, sizeof(eb)));
	return rc < 0 ? -rc : rc;
}

static int refused(struct tnet_conn *c, const struct tnet_msg *req,
		   int rc, const char *why)
{
	tlog_level(LOG_WARNING, "%s: refused %s (xid %" PRIu64 "): %s", c->peer,
	     tess_op_name(req->f.opcode), req->f.xid, why);
	return rc;
}

/*
 * Destroy, HSM state changes and precreate are for the servers (issue
 * #12): the MDS (its destroyer, precreate) and admin tools (hsm, role
 * ADMIN), which hold the server key.  Clients read and write objects.
 */
static bool server_role(const struct tnet_conn *c)
{
	return c->role == TESS_ROLE_MDS || c->role == TESS_ROLE_ADMIN;
}

/* a client's write or punch not yet stable: its next OBJ_SYNC_OWN's */
static void note_unstable(struct ost_ctx *x, struct tnet_conn *c,
			  uint64_t oid)
{
	if (x->sync && c->role == TESS_ROLE_CLIENT)
		synctrack_note(x->sync, c->peer_uuid, oid);
}

static int do_read(struct ost_ctx *x, struct tnet_conn *c,
		   const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_obj_io_req io;
	struct tess_obj_io_rep r = { 0 };
	struct ost_hsm_claim *cl = NULL;
	struct ost_conn *oc = c->user;
	uint64_t oid, off, size;
	uint32_t len, n;
	uint8_t *buf;
	int rc;

	memcpy(&io, req->body, sizeof(io));
	oid = le64_to_cpu(io.oid);
	off = le64_to_cpu(io.offset);
	len = le32_to_cpu(io.length);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	buf = read_buf(oc, len);
	if (!buf)
		return failed(c, req, oid, -ENOMEM);
	if (x->hsm) {
		/*
		 * released chunks come back from S3 first (logged there); the
		 * read is in flight until ost_hsm_end: RELEASE waits for it
		 */
		rc = ost_hsm_begin(x->hsm, oid, off, len, OST_HSM_READ, &cl);
		if (rc)
			return EIO;
	}
	rc = objstore_read(x->store, oid, off, buf, len, &n, &size);
	if (x->hsm)
		ost_hsm_end(x->hsm, cl, rc);
	if (rc == OBJSTORE_ELOST)
		return EIO;		/* logged by the store, rate-limited */
	if (rc == -ESTALE)
		return ESTALE;		/* destroyed or never ours: an answer */
	if (rc)
		return failed(c, req, oid, rc);
	r.obj_size = cpu_to_le64(size);
	r.length = cpu_to_le32(n);
	tess_buf_put(&rep->body, &r, sizeof(r));
	rep->bulk = buf;
	rep->bulk_len = n;
	return 0;
}

static int do_write(struct ost_ctx *x, struct tnet_conn *c,
		    const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_obj_io_req io;
	struct tess_obj_io_rep r = { 0 };
	struct ost_hsm_claim *cl = NULL;
	uint64_t oid, off, size;
	uint32_t len, flags;
	int rc;

	memcpy(&io, req->body, sizeof(io));
	oid = le64_to_cpu(io.oid);
	off = le64_to_cpu(io.offset);
	len = le32_to_cpu(io.length);
	flags = le32_to_cpu(io.flags);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	if (flags & ~TESS_IO_SYNC)
		return refused(c, req, EINVAL, "unknown flags");
	if (len != req->f.bulk_len || (len && !req->bulk))
		return refused(c, req, EBADMSG, "bulk does not match length");
	if (x->hsm && len) {
		rc = ost_hsm_begin(x->hsm, oid, off, len, OST_HSM_WRITE, &cl);
		if (rc)
			return EIO;
	}
	rc = objstore_write(x->store, oid, off, req->bulk, len,
			    flags & TESS_IO_SYNC, &size);
	/* a store full of clean restored data: release some, once more */
	if (rc == -ENOSPC && x->hsm &&
	    hsm_cache_write_room(ost_hsm_cache(x->hsm), len))
		rc = objstore_write(x->store, oid, off, req->bulk, len,
				    flags & TESS_IO_SYNC, &size);
	if (x->hsm) {
		/* -EIO: the chunks it filled could not be made present */
		int hrc = ost_hsm_end(x->hsm, cl, rc);

		rc = rc ? rc : hrc;
	}
	if (!rc && !(flags & TESS_IO_SYNC))
		note_unstable(x, c, oid);
	if (rc == -ESTALE)
		return ESTALE;		/* destroyed: never created again */
	if (rc)
		return failed(c, req, oid, rc);
	r.obj_size = cpu_to_le64(size);
	r.length = cpu_to_le32(len);
	tess_buf_put(&rep->body, &r, sizeof(r));
	put_verf(x, c, rep);
	return 0;
}

/* TESS_OST_FAULT_LOSE_PUNCH: this truncate is "lost" */
static bool lose_punch(struct ost_ctx *x, uint64_t oid, uint64_t size,
		       bool sync)
{
	struct objstore_attr a;

	write_verf(x);			/* the fault is read with the verifier */
	if (!ost_fault_lose_punch || sync ||
	    objstore_getattr(x->store, oid, &a) || a.size <= size)
		return false;
	tlog("fault injection: TESS_OST_FAULT_LOSE_PUNCH: truncate of oid "
	     "%#" PRIx64 " to %" PRIu64 " not done", oid, size);
	return true;
}

static int do_punch(struct ost_ctx *x, struct tnet_conn *c,
		    const struct tnet_msg *req)
{
	struct tess_obj_punch_req p;
	struct ost_hsm_claim *cl = NULL;
	uint64_t oid, off, len;
	uint32_t mode, flags;
	bool sync;
	int rc;

	memcpy(&p, req->body, sizeof(p));
	oid = le64_to_cpu(p.oid);
	off = le64_to_cpu(p.offset);
	len = le64_to_cpu(p.length);
	mode = le32_to_cpu(p.mode);
	flags = le32_to_cpu(p.flags);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	sync = flags & TESS_IO_SYNC;	/* no other flag (tess_msg_check) */
	switch (mode) {
	case TESS_PUNCH_TRUNCATE:
		if (lose_punch(x, oid, off, sync))
			return 0;
		/* fall through */
	case TESS_PUNCH_TRIM:
		if (x->hsm && ost_hsm_begin(x->hsm, oid, off, 0, OST_HSM_TRUNC,
					    &cl))
			return EIO;
		if (mode == TESS_PUNCH_TRIM)
			rc = objstore_trim(x->store, oid, off, &sync);
		else
			rc = objstore_truncate(x->store, oid, off);
		if (rc == -ENOSPC && mode == TESS_PUNCH_TRUNCATE && x->hsm &&
		    hsm_cache_write_room(ost_hsm_cache(x->hsm), 0))
			rc = objstore_truncate(x->store, oid, off);
		break;
	case TESS_PUNCH_HOLE:
		if (x->hsm && len && ost_hsm_begin(x->hsm, oid, off, len,
						   OST_HSM_WRITE, &cl))
			return EIO;
		rc = objstore_punch_hole(x->store, oid, off, len);
		break;
	default:
		return refused(c, req, EINVAL, "unknown punch mode");
	}
	if (x->hsm) {
		/* a trim that cut nothing changed nothing (sync: cut) */
		int hrc = mode == TESS_PUNCH_TRIM && !rc && !sync ?
			  ost_hsm_end_uncut(x->hsm, cl) :
			  ost_hsm_end(x->hsm, cl, rc);

		rc = rc ? rc : hrc;
	}
	if (!rc && sync)
		rc = objstore_sync(x->store, oid);
	else if (!rc)
		note_unstable(x, c, oid);
	if (rc == -ESTALE)
		return ESTALE;
	return rc ? failed(c, req, oid, rc) : 0;
}

static int do_getattr(struct ost_ctx *x, struct tnet_conn *c,
		      const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_obj_attr_rep r = { 0 };
	struct objstore_attr a;
	struct tess_obj_req o;
	uint64_t oid;
	int rc;

	memcpy(&o, req->body, sizeof(o));
	oid = le64_to_cpu(o.oid);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	rc = objstore_getattr(x->store, oid, &a);
	if (rc == -ENOENT)
		return ENOENT;		/* an ordinary answer, not logged */
	if (rc)
		return failed(c, req, oid, rc);
	r.size = cpu_to_le64(a.size);
	r.blocks = cpu_to_le64(a.blocks);
	r.mtime_sec = cpu_to_le64((uint64_t)a.mtime_sec);
	r.mtime_nsec = cpu_to_le32(a.mtime_nsec);
	tess_buf_put(&rep->body, &r, sizeof(r));
	return 0;
}

static int do_destroy(struct ost_ctx *x, struct tnet_conn *c,
		      const struct tnet_msg *req)
{
	struct tess_obj_req o;
	uint64_t oid;
	int rc;

	memcpy(&o, req->body, sizeof(o));
	oid = le64_to_cpu(o.oid);
	if (!server_role(c))
		return refused(c, req, EPERM, "destroy is for the MDS and "
			       "admin roles, not a client");
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	if (x->hsm)
		ost_hsm_forget(x->hsm, oid);
	rc = objstore_destroy(x->store, oid);
	if (rc == -ENOENT)
		return ENOENT;
	return rc ? failed(c, req, oid, rc) : 0;
}

/* the objects in oids; on a failure the rest go back for the next sync */
static int sync_objects(struct ost_ctx *x, struct tnet_conn *c,
			const uint64_t *oids, uint32_t n)
{
	int rc = 0;

	for (uint32_t i = 0; i < n; i++) {
		int r = rc ? 0 : objstore_sync(x->store, oids[i]);

		if (r == -ESTALE)
			r = 0;		/* destroyed since: nothing to keep */
		if (r && !rc)
			rc = r;
		if (rc)
			synctrack_note(x->sync, c->peer_uuid, oids[i]);
	}
	return rc;
}

/*
 * OBJ_SYNC_OWN (issue #12): what this client wrote without TESS_IO_SYNC
 * since its last one (synctrack.h), the whole store only when that
 * cannot be named.  Of a server role (MDS, ADMIN): the store, as its
 * OBJ_SYNC oid 0.
 */
static int sync_own(struct ost_ctx *x, struct tnet_conn *c)
{
	uint64_t *oids, gen;
	uint32_t n;
	int rc;

	if (c->role != TESS_ROLE_CLIENT || !x->sync)
		return objstore_sync(x->store, 0);
	rc = synctrack_take(x->sync, c->peer_uuid, &oids, &n, &gen);
	if (rc) {
		tlog_level(LOG_DEBUG, "%s: obj_sync_own of a client: the "
			   "store (its objects cannot all be named)", c->peer);
		rc = objstore_sync(x->store, 0);
		if (!rc)
			synctrack_store_synced(x->sync, gen);
		else
			synctrack_store_failed(x->sync);
		return rc;
	}
	tlog_level(LOG_DEBUG, "%s: obj_sync_own of a client: %u objects it "
		   "wrote since its last sync, not the store", c->peer, n);
	rc = sync_objects(x, c, oids, n);
	free(oids);
	return rc;
}

/*
 * Everything this instance acknowledged for oid (0: the whole store, for
 * a server role only) to disk; the reply's verifier tells the client
 * which instance that was.  A client syncs what it wrote with
 * OBJ_SYNC_OWN (do_sync_own).
 */
static int do_sync(struct ost_ctx *x, struct tnet_conn *c,
		   const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_obj_req o;
	uint64_t oid;
	int rc;

	memcpy(&o, req->body, sizeof(o));
	oid = le64_to_cpu(o.oid);
	if (oid == 0 && c->role == TESS_ROLE_CLIENT)
		return refused(c, req, EPERM, "a sync of the whole store (oid "
			       "0) is for the MDS and admin roles; a client "
			       "syncs what it wrote with obj_sync_own");
	write_verf(x);
	if (ost_fault_sync)
		return failed(c, req, oid, ost_fault_sync);
	rc = objstore_sync(x->store, oid);
	if (rc)
		return failed(c, req, oid, rc);
	put_verf(x, c, rep);
	return 0;
}

/* OBJ_SYNC_OWN: what this client wrote (sync_own); the reply of OBJ_SYNC */
static int do_sync_own(struct ost_ctx *x, struct tnet_conn *c,
		       const struct tnet_msg *req, struct tnet_reply *rep)
{
	int rc;

	write_verf(x);
	if (ost_fault_sync)
		return failed(c, req, 0, ost_fault_sync);
	rc = sync_own(x, c);
	if (rc)
		return failed(c, req, 0, rc);
	put_verf(x, c, rep);
	return 0;
}

/* OBJ_PRECREATE: only the MDS hands out object ids */
static int do_precreate(struct ost_ctx *x, struct tnet_conn *c,
			const struct tnet_msg *req)
{
	struct tess_obj_precreate_req p;
	uint64_t first;
	uint32_t count;
	int rc;

	memcpy(&p, req->body, sizeof(p));
	first = le64_to_cpu(p.first_oid);
	count = le32_to_cpu(p.count);
	if (c->role != TESS_ROLE_MDS)
		return refused(c, req, EPERM, "precreate is for the MDS");
	rc = objstore_precreate(x->store, first, count);
	return rc ? failed(c, req, first, rc) : 0;
}

/* OBJ_LIST: a page of object ids (tessctl check) */
static int do_list(struct ost_ctx *x, struct tnet_conn *c,
		   const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_obj_list_req l;
	struct tess_obj_list_rep r = { 0 };
	uint64_t *oids;
	uint32_t max, n;
	bool eof;
	int rc;

	memcpy(&l, req->body, sizeof(l));
	max = le32_to_cpu(l.max);
	oids = malloc((size_t)max * sizeof(*oids));
	if (!oids)
		return failed(c, req, 0, -ENOMEM);
	rc = objstore_list(x->store, le64_to_cpu(l.after), oids, max, &n, &eof);
	if (rc) {
		free(oids);
		return failed(c, req, 0, rc);
	}
	r.count = cpu_to_le32(n);
	r.flags = cpu_to_le32((eof ? TESS_OBJL_EOF : 0) |
			      (objstore_precreates(x->store) ?
			       TESS_OBJL_PRECREATED : 0));
	tess_buf_put(&rep->body, &r, sizeof(r));
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = cpu_to_le64(oids[i]);

		tess_buf_put(&rep->body, &v, sizeof(v));
	}
	free(oids);
	return rep->body.err ? failed(c, req, 0, rep->body.err) : 0;
}

static int do_statfs(struct ost_ctx *x, struct tnet_conn *c,
		     const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_statfs_rep r = { 0 };
	struct objstore_statfs st;
	int rc;

	rc = objstore_statfs(x->store, &st);
	if (rc)
		return failed(c, req, 0, rc);
	r.blocks = cpu_to_le64(st.blocks);
	r.bfree = cpu_to_le64(st.bfree);
	r.bavail = cpu_to_le64(st.bavail);
	r.files = cpu_to_le64(st.files);
	r.ffree = cpu_to_le64(st.ffree);
	r.bsize = cpu_to_le32(st.bsize);
	r.namelen = cpu_to_le32(st.namelen);
	r.ost_count = cpu_to_le32(1);
	tess_buf_put(&rep->body, &r, sizeof(r));
	return 0;
}

static int do_hsm_set(struct ost_ctx *x, struct tnet_conn *c,
		      const struct tnet_msg *req)
{
	struct tess_obj_hsm_set_req r;
	int rc;

	memcpy(&r, req->body, sizeof(r));
	if (!server_role(c))
		return refused(c, req, EPERM, "HSM state is for the MDS and "
			       "admin roles (hsm holds the server key), not "
			       "a client");
	if (!x->hsm)
		return refused(c, req, EOPNOTSUPP, "no HSM on this OST");
	if (le64_to_cpu(r.oid) == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	rc = ost_hsm_set(x->hsm, req->body, req->f.body_len);
	if (rc == -ENODATA || rc == -EBUSY || rc == -EAGAIN)
		return -rc;		/* ordinary answers */
	return rc ? failed(c, req, le64_to_cpu(r.oid), rc) : 0;
}

static int do_hsm_get(struct ost_ctx *x, struct tnet_conn *c,
		      const struct tnet_msg *req, struct tnet_reply *rep)
{
	int rc;

	if (!x->hsm)
		return refused(c, req, EOPNOTSUPP, "no HSM on this OST");
	rc = ost_hsm_get(x->hsm, req->body, req->f.body_len,
			 c->features & TESS_FEAT_HSM_LOC, &rep->body);
	return rc ? failed(c, req, 0, rc) : 0;
}

static int ost_handle(void *ctx, struct tnet_conn *c,
		      const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct ost_ctx *x = ctx;

	write_verf(x);
	if (!c->user)
		return refused(c, req, EIO, "no connection state");
	switch (req->f.opcode) {
	case TESS_OP_PING:
		return 0;
	case TESS_OP_OBJ_READ:
		return do_read(x, c, req, rep);
	case TESS_OP_OBJ_WRITE:
		return do_write(x, c, req, rep);
	case TESS_OP_OBJ_PUNCH:
		return do_punch(x, c, req);
	case TESS_OP_OBJ_GETATTR:
		return do_getattr(x, c, req, rep);
	case TESS_OP_OBJ_DESTROY:
		return do_destroy(x, c, req);
	case TESS_OP_OBJ_SYNC:
		return do_sync(x, c, req, rep);
	case TESS_OP_OBJ_STATFS:
		return do_statfs(x, c, req, rep);
	case TESS_OP_OBJ_HSM_SET:
		return do_hsm_set(x, c, req);
	case TESS_OP_OBJ_HSM_GET:
		return do_hsm_get(x, c, req, rep);
	case TESS_OP_OBJ_PRECREATE:
		return do_precreate(x, c, req);
	case TESS_OP_OBJ_LIST:
		return do_list(x, c, req, rep);
	case TESS_OP_OBJ_SYNC_OWN:
		return do_sync_own(x, c, req, rep);
	}
	return refused(c, req, EOPNOTSUPP, "not an OST request");
}

/* requests that change objects: a resent copy gets the kept reply */
static bool ost_reply_cached(uint16_t opcode)
{
	switch (opcode) {
	case TESS_OP_OBJ_WRITE:
	case TESS_OP_OBJ_PUNCH:
	case TESS_OP_OBJ_DESTROY:
	case TESS_OP_OBJ_HSM_SET:
		return true;
	}
	return false;
}

const struct tnet_server_ops ost_server_ops = {
	.connected = ost_connected,
	.handle = ost_handle,
	.disconnected = ost_disconnected,
	.reply_cached = ost_reply_cached,
};
