// SPDX-License-Identifier: MIT
/*
 * osts.c - the MDS's view of the OSTs.
 *
 * Registration: an OST connects with role TESS_ROLE_OST and sends
 * OST_REGISTER {index, address}; the store persists it and marks it up.
 * The address may be a list, "ADDR[,ADDR]..." (an OST with several
 * --listen, e.g. "10.0.0.5:7431@rdma,10.0.0.5:7431@tcp"): every entry
 * must parse, and clients get it unchanged (each picks the entry of its
 * network).  The MDS itself connects to the first @tcp entry, else the
 * first (tnet_addr_pick).
 *
 * The MDS talks to each OST over its own client connection (role
 * TESS_ROLE_MDS), made on first use and remade after a failure.  A failed
 * connect marks the OST down and is not retried before a backoff (1 s
 * doubling to 30 s), so requests that need a down OST fail fast.
 *
 * Liveness: every ping interval (--ping-interval, 5 s: 2 s made OSTs of
 * a loaded machine flap down and up) a short-lived thread per OST sends
 * it a PING, at most one in
 * flight per OST, past the connect backoff.  Any answer marks the OST up
 * ("heard from"); a failed call marks it down at once, and the store marks
 * down an OST not heard from for 2 intervals (a hung one).  Layouts take
 * no new stripes on a down OST (store_ost.c, store_layout_alloc).
 *
 * Orphans: removing the last link of a file puts its layout on the
 * store's orphan list in the same transaction.  A thread here walks that
 * list, sends OBJ_DESTROY for each object (ENOENT counts as done), shrinks
 * the record to the objects still left and deletes it when none is.  It
 * runs at start (orphans left by a crash), when the store reports a new
 * orphan, and after a failed pass with a backoff of 1 s doubling to 60 s.
 * An orphan whose inode is busy (held open by a client, or any inode in
 * the grace period after start-up: opens.h) is skipped, not retried: the
 * end of the last open kicks the thread.
 *
 * Trims: the same thread, after each orphan pass, cuts the objects of
 * every file on the store's trim list (store.h) to the file's size with
 * OBJ_PUNCH TRIM, which the OST makes stable when it cut anything.  Only
 * while no client has the file open (mds_hold_fn: OPENs of it wait until
 * the cut is done), so a writer's bytes past the size that it has not
 * yet extended the size over are never cut.  Nor is anything in a stripe
 * an OST no longer has (ESTALE: nothing to cut).  A file with an object
 * on an OST marked down waits for the next pass (its OPENs would wait for
 * the OST's timeouts).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "osts.h"
#include "tess_stripe.h"

/* connect, handshake and every call (the socket timeout is set at connect) */
#define STATFS_TIMEOUT_MS	3000
#define DESTROY_TIMEOUT_MS	3000
#define TRIM_TIMEOUT_MS		10000	/* a truncate and an fsync */
#define PRECREATE_TIMEOUT_MS	10000	/* 2 fsyncs per object on a slow disk */
#define CONN_BACKOFF_MAX	30
#define REAP_BACKOFF_MAX	60
#define REAP_IDLE		300	/* seconds between passes when idle */

struct ost_conn {
	pthread_mutex_t lock;		/* one call at a time per OST */
	struct tnet_conn *conn;
	char addr[TESS_ADDR_MAX + 1];	/* where conn goes */
	time_t retry_at;		/* no connect before this */
	unsigned fails;
	bool probing;			/* a PING in flight (wlock) */
};

struct mds_osts {
	struct mds_store *s;
	struct tnet_key key;
	uint8_t uuid[16];

	pthread_mutex_t tab_lock;
	struct ost_conn *conns[TESS_MAX_OSTS];

	mds_destroy_fn destroy;
	void *destroy_arg;
	mds_call_fn call;		/* NULL: the network */
	void *call_arg;
	mds_busy_fn busy;
	void *busy_arg;
	mds_hold_fn hold;
	mds_unhold_fn unhold;
	void *hold_arg;

	pthread_t thr;
	bool running;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	bool stop;

	unsigned ping_s;		/* 0: no pinger */
	pthread_t pthr;
	bool pinging;
	pthread_cond_t pcond;		/* pinger ticks, probes ending (wlock) */
	unsigned probes;		/* probe threads running */
	uint64_t kicks;
	bool held_logged;
};

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static struct ost_conn *slot(struct mds_osts *o, uint32_t idx)
{
	struct ost_conn *c;

	if (idx >= TESS_MAX_OSTS)
		return NULL;
	pthread_mutex_lock(&o->tab_lock);
	c = o->conns[idx];
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (c) {
			pthread_mutex_init(&c->lock, NULL);
			o->conns[idx] = c;
		}
	}
	pthread_mutex_unlock(&o->tab_lock);
	return c;
}

/*
 * One request to OST idx.  rep (rep_len bytes) receives the reply body
 * when the OST answers 0 with at least that many bytes.  Returns 0, the
 * OST's -status, or a transport error.
 */
static int ost_call(struct mds_osts *o, uint32_t idx, uint16_t op,
		    const void *body, uint32_t len, int timeout_ms, void *rep,
		    uint32_t rep_len, bool probe)
{
	struct ost_conn *c = slot(o, idx);
	struct mds_ost info;
	struct tnet_call call;
	char why[160];
	int rc;

	if (!c)
		return -ENOMEM;
	if (mds_ost_get(o->s, idx, &info))
		return -ENODEV;		/* not registered (yet) */
	if (o->call)
		return o->call(o->call_arg, idx, op, body, len, rep, rep_len);
	pthread_mutex_lock(&c->lock);
	if (c->conn && strcmp(c->addr, info.addr)) {
		tnet_close(c->conn);
		c->conn = NULL;
	}
	if (!c->conn) {
		struct tnet_addr a;
		char err[128];

		if (!probe && mono_now() < c->retry_at) {
			rc = -EHOSTDOWN;
			goto out;
		}
		rc = tnet_addr_pick(info.addr, NULL, TESS_OST_PORT, &a, err,
				    sizeof(err));
		if (rc) {
			tlog_level(LOG_WARNING, "OST %u: bad address '%s': %s", idx, info.addr, err);
			rc = -EINVAL;
			goto fail;
		}
		rc = 0;
		c->conn = tnet_connect(&a, &o->key, TESS_ROLE_MDS, o->uuid,
				       timeout_ms, &rc);
		if (!c->conn) {
			if (!rc)
				rc = -EHOSTDOWN;
			if (!c->fails)
				tlog_level(LOG_WARNING, "OST %u at %s: cannot connect: %s", idx,
				     info.addr, strerror(-rc));
			snprintf(why, sizeof(why), "cannot connect: %s",
				 strerror(-rc));
			goto fail;
		}
		snprintf(c->addr, sizeof(c->addr), "%s", info.addr);
		if (c->fails)
			tlog("OST %u at %s: connected again", idx, info.addr);
	}
	memset(&call, 0, sizeof(call));
	call.op = op;
	call.body = body;
	call.body_len = len;
	rc = tnet_call(c->conn, &call);
	if (rc && tnet_conn_dead(c->conn)) {
		tlog_level(LOG_WARNING, "OST %u at %s: %s failed: %s", idx, info.addr,
		     tess_op_name(op), strerror(-rc));
		snprintf(why, sizeof(why), "%s failed: %s", tess_op_name(op),
			 strerror(-rc));
		tnet_close(c->conn);
		c->conn = NULL;
		goto fail;
	}
	if (rc == 0 && rep) {
		if (call.reply.f.body_len < rep_len)
			rc = -EBADMSG;
		else
			memcpy(rep, call.reply.body, rep_len);
	}
	c->fails = 0;
	c->retry_at = 0;
	if (mds_ost_set_state(o->s, idx, TESS_OST_UP) == TESS_OST_DOWN)
		tlog("OST %u at %s marked up", idx, info.addr);
	goto out;
fail:
	if (c->fails < 16)
		c->fails++;
	c->retry_at = mono_now() +
		      (c->fails >= 5 ? CONN_BACKOFF_MAX :
		       (1 << (c->fails - 1)) < CONN_BACKOFF_MAX ?
		       (1 << (c->fails - 1)) : CONN_BACKOFF_MAX);
	if (mds_ost_set_state(o->s, idx, TESS_OST_DOWN) == TESS_OST_UP)
		tlog("OST %u at %s marked down: %s (no new stripes on it)",
		     idx, info.addr, why);
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int mds_osts_precreate(struct mds_osts *o, uint32_t idx, uint64_t first,
		       uint32_t count)
{
	struct tess_obj_precreate_req r = { .first_oid = cpu_to_le64(first),
					    .count = cpu_to_le32(count) };

	return ost_call(o, idx, TESS_OP_OBJ_PRECREATE, &r, sizeof(r),
			PRECREATE_TIMEOUT_MS, NULL, 0, false);
}

static int net_destroy(void *arg, uint32_t idx, uint64_t oid)
{
	struct tess_obj_req r = { .oid = cpu_to_le64(oid) };

	return ost_call(arg, idx, TESS_OP_OBJ_DESTROY, &r, sizeof(r),
			DESTROY_TIMEOUT_MS, NULL, 0, false);
}

int mds_osts_create(struct mds_osts **out, struct mds_store *s,
		    const struct tnet_key *key)
{
	struct mds_osts *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->s = s;
	if (key)
		o->key = *key;
	tnet_random(o->uuid, sizeof(o->uuid));
	pthread_mutex_init(&o->tab_lock, NULL);
	pthread_mutex_init(&o->wlock, NULL);
	pthread_cond_init(&o->wcond, NULL);
	pthread_cond_init(&o->pcond, NULL);
	o->destroy = net_destroy;
	o->destroy_arg = o;
	*out = o;
	return 0;
}

void mds_osts_set_destroy_fn(struct mds_osts *o, mds_destroy_fn fn, void *arg)
{
	o->destroy = fn ? fn : net_destroy;
	o->destroy_arg = fn ? arg : o;
}

void mds_osts_set_call_fn(struct mds_osts *o, mds_call_fn fn, void *arg)
{
	o->call = fn;
	o->call_arg = arg;
}

void mds_osts_set_busy_fn(struct mds_osts *o, mds_busy_fn fn, void *arg)
{
	o->busy = fn;
	o->busy_arg = arg;
}

void mds_osts_kick(void *arg)
{
	struct mds_osts *o = arg;

	pthread_mutex_lock(&o->wlock);
	o->kicks++;
	pthread_cond_signal(&o->wcond);
	pthread_mutex_unlock(&o->wlock);
}

static bool stopping(struct mds_osts *o)
{
	bool st;

	pthread_mutex_lock(&o->wlock);
	st = o->stop;
	pthread_mutex_unlock(&o->wlock);
	return st;
}

int mds_osts_reap(struct mds_osts *o, uint64_t *left)
{
	struct mds_orphan *orph = malloc(sizeof(*orph));
	struct mds_layout *rem = malloc(sizeof(*rem));
	uint64_t after = 0, pending = 0, destroyed = 0, failed = 0, held = 0;
	uint32_t i;
	int rc, err = 0, first_err = 0;

	if (!orph || !rem) {
		free(orph);
		free(rem);
		return -ENOMEM;
	}
	while ((rc = mds_orphan_next(o->s, after, orph)) == 0) {
		after = orph->id;
		if (o->busy && o->busy(o->busy_arg, orph->ino)) {
			held++;		/* open: kicked again at the last close */
			continue;
		}
		memcpy(rem, &orph->layout, offsetof(struct mds_layout, objs));
		rem->nobjs = 0;
		for (i = 0; i < orph->layout.nobjs; i++) {
			const struct mds_layout_obj *ob = &orph->layout.objs[i];

			err = o->destroy(o->destroy_arg, ob->ost_idx, ob->oid);
			if (err == 0 || err == -ENOENT) {
				destroyed++;
				continue;
			}
			if (!first_err) {
				first_err = err;
				tlog_level(LOG_WARNING, "orphan of ino %" PRIu64 ": destroy of "
				     "object %" PRIu64 " on OST %u failed: %s "
				     "(will retry)", orph->ino, ob->oid,
				     ob->ost_idx, strerror(-err));
			}
			failed++;
			rem->objs[rem->nobjs++] = *ob;
		}
		if (rem->nobjs != orph->layout.nobjs) {
			rc = mds_orphan_update(o->s, orph->id, rem);
			if (rc) {
				tlog_level(LOG_ERR, "orphan %" PRIu64 ": cannot update: %s",
				     orph->id, strerror(-rc));
				rem->nobjs = 1;		/* count it pending */
			}
		}
		if (rem->nobjs)
			pending++;
		if (o->running && stopping(o))
			break;
	}
	free(orph);
	free(rem);
	if (failed)
		tlog("orphans: %" PRIu64 " objects destroyed, %" PRIu64
		     " not yet (%" PRIu64 " files pending)", destroyed, failed,
		     pending);
	if (held && !o->held_logged)
		tlog("orphans: %" PRIu64 " kept while open or until the "
		     "start-up grace period ends", held);
	o->held_logged = held != 0;
	if (left)
		*left = pending;
	return rc == -ENOENT || rc == 0 ? 0 : rc;
}

/* ---- trims ---- */

void mds_osts_set_hold_fn(struct mds_osts *o, mds_hold_fn hold,
			  mds_unhold_fn unhold, void *arg)
{
	o->hold = hold;
	o->unhold = unhold;
	o->hold_arg = arg;
}

/* cut every object of ino to the file's size; 0 when all are */
static int trim_file(struct mds_osts *o, uint64_t ino, struct mds_layout *lo)
{
	struct tess_stripe_geom g;
	struct mds_attr a;
	int rc, err = 0;

	rc = mds_getattr(o->s, ino, &a, lo);
	if (rc == -ENOENT)
		return 0;		/* gone: its orphan destroys it all */
	if (rc)
		return rc;
	if (!S_ISREG(a.mode) || !a.nlink || !lo->nobjs)
		return 0;
	g.stripe_size = lo->stripe_size;
	g.stripe_count = lo->nobjs;
	if (tess_stripe_geom_check(&g))
		return 0;		/* a layout no client can use either */
	for (uint32_t i = 0; i < lo->nobjs; i++) {
		const struct mds_layout_obj *ob = &lo->objs[i];
		struct tess_obj_punch_req p = {
			.oid = cpu_to_le64(ob->oid),
			.offset = cpu_to_le64(tess_stripe_obj_size(&g, i,
								   a.size)),
			.mode = cpu_to_le32(TESS_PUNCH_TRIM),
		};

		rc = ost_call(o, ob->ost_idx, TESS_OP_OBJ_PUNCH, &p, sizeof(p),
			      TRIM_TIMEOUT_MS, NULL, 0, false);
		if (rc == -ESTALE || rc == -ENOENT)
			rc = 0;		/* no object: nothing past the size */
		if (rc && !err) {
			err = rc;
			tlog("trim of ino %" PRIu64 ": object %" PRIu64
			     " on OST %u: %s (will retry)", ino, ob->oid,
			     ob->ost_idx, strerror(-rc));
		}
	}
	return err;
}

/* every OST of ino's objects up (or ino gone: nothing to wait for) */
static bool all_up(struct mds_osts *o, uint64_t ino, struct mds_layout *lo)
{
	struct mds_attr a;
	struct mds_ost info;

	if (mds_getattr(o->s, ino, &a, lo))
		return true;
	for (uint32_t i = 0; i < lo->nobjs; i++)
		if (mds_ost_get(o->s, lo->objs[i].ost_idx, &info) ||
		    info.state != TESS_OST_UP)
			return false;
	return true;
}

int mds_osts_trim(struct mds_osts *o, uint64_t *left)
{
	struct mds_layout *lo = malloc(sizeof(*lo));
	uint64_t ino = 0, gen, pending = 0, done = 0;
	int rc;

	if (left)
		*left = 0;
	if (!lo)
		return -ENOMEM;
	if (!o->hold) {
		free(lo);
		return 0;
	}
	while ((rc = mds_trim_next(o->s, ino, &ino, &gen)) == 0) {
		if (!all_up(o, ino, lo)) {
			pending++;	/* OPENs would wait on a dead OST */
			continue;
		}
		if (!o->hold(o->hold_arg, ino))
			continue;	/* open: kicked again at the last close */
		rc = trim_file(o, ino, lo);
		o->unhold(o->hold_arg);
		if (!rc)
			rc = mds_trim_done(o->s, ino, gen);
		if (rc == -EAGAIN)
			rc = 0;		/* truncated again: kicked again */
		else if (rc)
			pending++;
		else
			done++;
		if (o->running && stopping(o))
			break;
	}
	free(lo);
	if (pending)
		tlog("trims: %" PRIu64 " files cut to their size, %" PRIu64
		     " not yet", done, pending);
	if (left)
		*left = pending;
	return rc == -ENOENT || rc == 0 ? 0 : rc;
}

static void *reaper(void *arg)
{
	struct mds_osts *o = arg;
	uint64_t seen, left = 0;
	unsigned backoff = 1;
	int rc;

	pthread_mutex_lock(&o->wlock);
	seen = o->kicks;
	pthread_mutex_unlock(&o->wlock);
	for (;;) {
		struct timespec until;
		uint64_t tleft = 0;
		int trc;

		rc = mds_osts_reap(o, &left);
		if (rc == -ESHUTDOWN)
			break;
		trc = mds_osts_trim(o, &tleft);
		if (trc == -ESHUTDOWN)
			break;
		rc = rc ? rc : trc;
		left += tleft;
		if (rc || left) {
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += backoff;
			backoff = backoff * 2 > REAP_BACKOFF_MAX ?
				  REAP_BACKOFF_MAX : backoff * 2;
		} else {
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += REAP_IDLE;
			backoff = 1;
		}
		pthread_mutex_lock(&o->wlock);
		while (!o->stop && o->kicks == seen &&
		       pthread_cond_timedwait(&o->wcond, &o->wlock, &until) == 0)
			;
		seen = o->kicks;
		if (o->stop) {
			pthread_mutex_unlock(&o->wlock);
			break;
		}
		pthread_mutex_unlock(&o->wlock);
	}
	return NULL;
}

/* ---- liveness ---- */

void mds_osts_set_ping_interval(struct mds_osts *o, unsigned seconds)
{
	o->ping_s = seconds;
	mds_ost_set_expiry(o->s, seconds * 2000u);
}

struct probe {
	struct mds_osts *o;
	struct ost_conn *c;
	uint32_t idx;
};

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	struct mds_osts *o = p->o;
	int timeout_ms = (int)o->ping_s * 1000;

	if (timeout_ms < STATFS_TIMEOUT_MS)
		timeout_ms = STATFS_TIMEOUT_MS;
	ost_call(o, p->idx, TESS_OP_PING, NULL, 0, timeout_ms, NULL, 0, true);
	pthread_mutex_lock(&o->wlock);
	p->c->probing = false;
	o->probes--;
	pthread_cond_broadcast(&o->pcond);
	pthread_mutex_unlock(&o->wlock);
	free(p);
	return NULL;
}

/* a PING to OST idx in a thread of its own, unless one is in flight */
static void probe(struct mds_osts *o, uint32_t idx, pthread_attr_t *attr)
{
	struct ost_conn *c = slot(o, idx);
	struct probe *p;
	pthread_t t;

	if (!c)
		return;
	pthread_mutex_lock(&o->wlock);
	if (c->probing || o->stop) {
		pthread_mutex_unlock(&o->wlock);
		return;
	}
	p = malloc(sizeof(*p));
	if (p) {
		int rc;

		*p = (struct probe){ .o = o, .c = c, .idx = idx };
		rc = pthread_create(&t, attr, probe_main, p);
		if (rc == 0) {
			c->probing = true;
			o->probes++;
		} else {
			/* else the OST goes DOWN with no word why */
			tlog_level(LOG_ERR, "OST %u: cannot start a ping thread: %s", idx,
			     strerror(rc));
			free(p);
		}
	}
	pthread_mutex_unlock(&o->wlock);
}

static void *pinger(void *arg)
{
	struct mds_osts *o = arg;
	struct mds_ost *tab = malloc(TESS_MAX_OSTS * sizeof(*tab));
	struct timespec next;
	pthread_attr_t attr;
	uint32_t n, i;

	if (!tab)
		return NULL;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		n = mds_ost_list(o->s, tab, TESS_MAX_OSTS);
		for (i = 0; i < n; i++)
			probe(o, tab[i].index, &attr);
		next.tv_sec += o->ping_s;
		pthread_mutex_lock(&o->wlock);
		while (!o->stop &&
		       pthread_cond_timedwait(&o->pcond, &o->wlock, &next) == 0)
			;
		if (o->stop) {
			pthread_mutex_unlock(&o->wlock);
			break;
		}
		pthread_mutex_unlock(&o->wlock);
	}
	pthread_attr_destroy(&attr);
	free(tab);
	return NULL;
}

int mds_osts_start(struct mds_osts *o)
{
	pthread_condattr_t ca;
	int rc;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&o->wcond);
	pthread_cond_init(&o->wcond, &ca);
	pthread_cond_destroy(&o->pcond);
	pthread_cond_init(&o->pcond, &ca);
	pthread_condattr_destroy(&ca);
	mds_store_set_orphan_hook(o->s, mds_osts_kick, o);
	o->stop = false;
	o->running = true;
	rc = pthread_create(&o->thr, NULL, reaper, o);
	if (rc) {
		o->running = false;
		return -rc;
	}
	if (o->ping_s) {
		rc = pthread_create(&o->pthr, NULL, pinger, o);
		if (rc) {
			mds_osts_stop(o);
			return -rc;
		}
		o->pinging = true;
	}
	return 0;
}

void mds_osts_stop(struct mds_osts *o)
{
	if (!o->running)
		return;
	pthread_mutex_lock(&o->wlock);
	o->stop = true;
	pthread_cond_signal(&o->wcond);
	pthread_cond_broadcast(&o->pcond);
	pthread_mutex_unlock(&o->wlock);
	pthread_join(o->thr, NULL);
	if (o->pinging)
		pthread_join(o->pthr, NULL);
	o->pinging = false;
	/* probes end within their timeout */
	pthread_mutex_lock(&o->wlock);
	while (o->probes)
		pthread_cond_wait(&o->pcond, &o->wlock);
	pthread_mutex_unlock(&o->wlock);
	o->running = false;
}

void mds_osts_free(struct mds_osts *o)
{
	uint32_t i;

	if (!o)
		return;
	mds_osts_stop(o);
	for (i = 0; i < TESS_MAX_OSTS; i++) {
		if (!o->conns[i])
			continue;
		if (o->conns[i]->conn)
			tnet_close(o->conns[i]->conn);
		pthread_mutex_destroy(&o->conns[i]->lock);
		free(o->conns[i]);
	}
	free(o);
}

static void uuid_str(const uint8_t u[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", u[i]);
}

int mds_osts_register(struct mds_osts *o, uint32_t index, const char *addr,
		      uint32_t len, const uint8_t uuid[16], bool replace)
{
	char ou[33], nu[33];
	char buf[TESS_ADDR_MAX + 1], err[128];
	struct ost_conn *c;
	struct mds_ost old;
	bool had;
	int rc;

	if (len == 0 || len > TESS_ADDR_MAX || memchr(addr, '\0', len))
		return -EINVAL;
	memcpy(buf, addr, len);
	buf[len] = '\0';
	if (tnet_addr_list_check(buf, TESS_OST_PORT, err, sizeof(err))) {
		tlog("OST %u: refusing address '%s': %s", index, buf, err);
		return -EINVAL;
	}
	had = mds_ost_get(o->s, index, &old) == 0;
	uuid_str(uuid, nu);
	uuid_str(had ? old.uuid : uuid, ou);
	rc = mds_ost_register(o->s, index, buf, uuid, replace);
	if (rc) {
		if (rc == -EEXIST)
			tlog_level(LOG_WARNING, "OST %u at %s refused: its store %s is not the "
			     "one registered at this index (%s, last at %s): "
			     "a reformatted or wrong directory?  If it "
			     "replaces the old store for good, start that OST "
			     "with --replace", index, buf, nu, ou, old.addr);
		return rc;
	}
	if (had && strcmp(ou, nu))
		tlog_level(LOG_WARNING, "OST %u replaced (--replace): store %s, was %s; the "
		     "objects of the old store are lost (tessctl check lists "
		     "the files)", index, nu, ou);
	/* (re)connect on next use, with no backoff */
	c = slot(o, index);
	if (c) {
		pthread_mutex_lock(&c->lock);
		if (c->conn) {
			tnet_close(c->conn);
			c->conn = NULL;
		}
		c->fails = 0;
		c->retry_at = 0;
		pthread_mutex_unlock(&c->lock);
	}
	tlog("OST %u registered at %s%s", index, buf,
	     !had ? " (new)" : strcmp(old.addr, buf) ? " (moved)" : "");
	mds_osts_kick(o);	/* orphans waiting for it can go now */
	return 0;
}

int mds_osts_statfs(struct mds_osts *o, struct tess_statfs_rep *rep)
{
	static __thread struct mds_ost tab[TESS_MAX_OSTS];
	const uint32_t bsize = 4096;
	uint64_t blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0;
	uint32_t n, i, answered = 0;
	int rc;

	n = mds_ost_list(o->s, tab, TESS_MAX_OSTS);
	for (i = 0; i < n; i++) {
		struct tess_statfs_rep r;
		uint64_t bs;

		rc = ost_call(o, tab[i].index, TESS_OP_OBJ_STATFS, NULL, 0,
			      STATFS_TIMEOUT_MS, &r, sizeof(r), false);
		if (rc)
			continue;
		bs = le32_to_cpu(r.bsize);
		if (!bs)
			continue;
		/* in bytes, then in bsize units */
		blocks += le64_to_cpu(r.blocks) * bs / bsize;
		bfree += le64_to_cpu(r.bfree) * bs / bsize;
		bavail += le64_to_cpu(r.bavail) * bs / bsize;
		answered++;
	}
	rc = mds_store_statfs(o->s, &files, &ffree);
	if (rc)
		return rc;
	memset(rep, 0, sizeof(*rep));
	rep->blocks = cpu_to_le64(blocks);
	rep->bfree = cpu_to_le64(bfree);
	rep->bavail = cpu_to_le64(bavail);
	rep->files = cpu_to_le64(files + ffree);	/* total = used + free */
	rep->ffree = cpu_to_le64(ffree);
	rep->bsize = cpu_to_le32(bsize);
	rep->namelen = cpu_to_le32(TESS_NAME_MAX);
	rep->ost_count = cpu_to_le32(answered);
	/* after the calls: an OST that did not answer is down by now */
	rep->def_stripe_count = cpu_to_le32(mds_store_new_count(o->s));
	return 0;
}
