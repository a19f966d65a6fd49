// SPDX-License-Identifier: MIT
/*
 * replycache.c - per-client reply cache (see replycache.h).
 *
 * A client record holds its entries twice: in a small hash table by xid
 * (lookup) and in a list oldest first (eviction).  An entry is shared by
 * the table, the thread that runs its request (the ticket) and any thread
 * waiting for its reply; each holds a reference and the last one frees it,
 * so an entry evicted or swept while someone still holds it stays valid
 * for that holder.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replycache.h"

struct rcache_entry {
	struct rcache_entry *hnext;		/* hash chain */
	struct rcache_entry *older, *newer;	/* the client's list */
	struct rc_client *cl;			/* NULL once unlinked */
	bool done;				/* reply recorded */
	unsigned refs;
	uint64_t xid;
	uint16_t opcode;
	uint32_t status;
	uint32_t body_len;
	void *body;
};

struct rc_client {
	struct rc_client *next;
	uint8_t uuid[16];
	unsigned nconn;			/* connections up */
	int64_t idle_since;		/* ms, when nconn became 0 */
	unsigned nentries;
	unsigned running;		/* entries not done */
	struct rcache_entry *oldest, *newest;
	struct rcache_entry **table;	/* nbuckets chains */
};

struct rcache {
	pthread_mutex_t lock;
	pthread_cond_t finished;	/* broadcast when any entry is done */
	unsigned per_client;
	unsigned nbuckets;		/* power of two >= per_client */
	int64_t lease_ms;
	struct rc_client *clients;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rcache *rcache_create(unsigned per_client, int64_t lease_ms)
{
	struct rcache *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return NULL;
	rc->per_client = per_client ? per_client : RCACHE_PER_CLIENT_DEFAULT;
	rc->nbuckets = 16;
	while (rc->nbuckets < rc->per_client)
		rc->nbuckets *= 2;
	rc->lease_ms = lease_ms;
	pthread_mutex_init(&rc->lock, NULL);
	pthread_cond_init(&rc->finished, NULL);
	return rc;
}

void rcache_set_lease(struct rcache *rc, int64_t lease_ms)
{
	pthread_mutex_lock(&rc->lock);
	rc->lease_ms = lease_ms;
	pthread_mutex_unlock(&rc->lock);
}

/* ---- entries (cache lock held) ---- */

static void entry_put(struct rcache_entry *e)
{
	if (--e->refs == 0) {
		free(e->body);
		free(e);
	}
}

static struct rcache_entry **chain(struct rcache *rc, struct rc_client *cl,
				   uint64_t xid)
{
	return &cl->table[xid & (rc->nbuckets - 1)];
}

static struct rcache_entry *entry_find(struct rcache *rc, struct rc_client *cl,
				       uint64_t xid)
{
	struct rcache_entry *e;

	for (e = *chain(rc, cl, xid); e; e = e->hnext)
		if (e->xid == xid)
			return e;
	return NULL;
}

static void entry_unlink(struct rcache *rc, struct rc_client *cl,
			 struct rcache_entry *e)
{
	struct rcache_entry **pp = chain(rc, cl, e->xid);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older)
		e->older->newer = e->newer;
	else
		cl->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		cl->newest = e->older;
	e->cl = NULL;
	cl->nentries--;
	if (!e->done)
		cl->running--;
	entry_put(e);
}

/* drop the oldest completed entries while over the bound */
static void evict(struct rcache *rc, struct rc_client *cl)
{
	struct rcache_entry *e = cl->oldest;

	while (cl->nentries > rc->per_client && e) {
		struct rcache_entry *next = e->newer;

		if (e->done)
			entry_unlink(rc, cl, e);
		e = next;
	}
}

/* ---- clients (cache lock held) ---- */

static struct rc_client *client_find(struct rcache *rc, const uint8_t uuid[16],
				     bool create)
{
	struct rc_client *cl;

	for (cl = rc->clients; cl; cl = cl->next)
		if (!memcmp(cl->uuid, uuid, 16))
			return cl;
	if (!create)
		return NULL;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	cl->table = calloc(rc->nbuckets, sizeof(*cl->table));
	if (!cl->table) {
		free(cl);
		return NULL;
	}
	memcpy(cl->uuid, uuid, 16);
	cl->idle_since = now_ms();
	cl->next = rc->clients;
	rc->clients = cl;
	return cl;
}

static void client_free(struct rcache *rc, struct rc_client *cl)
{
	while (cl->oldest)
		entry_unlink(rc, cl, cl->oldest);
	free(cl->table);
	free(cl);
}

static unsigned sweep_locked(struct rcache *rc)
{
	struct rc_client **pp = &rc->clients;
	int64_t now = now_ms();
	unsigned dropped = 0;

	while (*pp) {
		struct rc_client *cl = *pp;

		if (!cl->nconn && !cl->running &&
		    now - cl->idle_since >= rc->lease_ms) {
			*pp = cl->next;
			client_free(rc, cl);
			dropped++;
		} else {
			pp = &cl->next;
		}
	}
	return dropped;
}

unsigned rcache_sweep(struct rcache *rc)
{
	unsigned n;

	pthread_mutex_lock(&rc->lock);
	n = sweep_locked(rc);
	pthread_mutex_unlock(&rc->lock);
	return n;
}

void rcache_client_up(struct rcache *rc, const uint8_t uuid[16])
{
	struct rc_client *cl;

	pthread_mutex_lock(&rc->lock);
	sweep_locked(rc);
	cl = client_find(rc, uuid, true);
	if (cl)
		cl->nconn++;
	pthread_mutex_unlock(&rc->lock);
}

void rcache_client_down(struct rcache *rc, const uint8_t uuid[16])
{
	struct rc_client *cl;

	pthread_mutex_lock(&rc->lock);
	cl = client_find(rc, uuid, false);
	if (cl && cl->nconn && --cl->nconn == 0)
		cl->idle_since = now_ms();
	sweep_locked(rc);
	pthread_mutex_unlock(&rc->lock);
}

void rcache_free(struct rcache *rc)
{
	if (!rc)
		return;
	while (rc->clients) {
		struct rc_client *cl = rc->clients;

		rc->clients = cl->next;
		client_free(rc, cl);
	}
	pthread_cond_destroy(&rc->finished);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

/* ---- requests ---- */

/* no memory for the copy: the resend is told ENOMEM, it never runs twice */
static void copy_reply(const struct rcache_entry *e, struct rcache_reply *out)
{
	out->status = e->status;
	out->body_len = e->body_len;
	out->body = NULL;
	if (!e->body_len)
		return;
	out->body = malloc(e->body_len);
	if (out->body) {
		memcpy(out->body, e->body, e->body_len);
	} else {
		out->status = ENOMEM;
		out->body_len = 0;
	}
}

enum rcache_verdict rcache_begin(struct rcache *rc, const uint8_t uuid[16],
				 uint64_t xid, uint16_t opcode, bool resent,
				 struct rcache_entry **ticket,
				 struct rcache_reply *out)
{
	struct rc_client *cl;
	struct rcache_entry *e;

	*ticket = NULL;
	pthread_mutex_lock(&rc->lock);
	cl = client_find(rc, uuid, true);
	if (!cl)
		goto run;
	e = entry_find(rc, cl, xid);
	if (e && resent && e->opcode == opcode) {
		e->refs++;
		while (!e->done)
			pthread_cond_wait(&rc->finished, &rc->lock);
		copy_reply(e, out);
		entry_put(e);
		pthread_mutex_unlock(&rc->lock);
		return RCACHE_REPLAY;
	}
	if (e) {
		if (!e->done)
			goto run;	/* xid reused while running: unrecorded */
		entry_unlink(rc, cl, e);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto run;
	e->xid = xid;
	e->opcode = opcode;
	e->cl = cl;
	e->refs = 2;			/* the table and the ticket */
	e->hnext = *chain(rc, cl, xid);
	*chain(rc, cl, xid) = e;
	e->older = cl->newest;
	if (cl->newest)
		cl->newest->newer = e;
	else
		cl->oldest = e;
	cl->newest = e;
	cl->nentries++;
	cl->running++;
	evict(rc, cl);
	*ticket = e;
run:
	pthread_mutex_unlock(&rc->lock);
	return RCACHE_RUN;
}

void rcache_finish(struct rcache *rc, struct rcache_entry *e, uint32_t status,
		   const void *body, uint32_t body_len)
{
	void *copy = NULL;

	if (!e)
		return;
	if (body_len) {
		copy = malloc(body_len);
		if (copy)
			memcpy(copy, body, body_len);
	}
	pthread_mutex_lock(&rc->lock);
	e->status = status;
	e->body = copy;
	e->body_len = copy ? body_len : 0;
	if (body_len && !copy)
		e->status = ENOMEM;	/* a resend is told, not misled */
	e->done = true;
	if (e->cl) {
		e->cl->running--;
		evict(rc, e->cl);
	}
	pthread_cond_broadcast(&rc->finished);
	entry_put(e);
	pthread_mutex_unlock(&rc->lock);
}

void rcache_reply_free(struct rcache_reply *r)
{
	free(r->body);
	r->body = NULL;
}

unsigned rcache_nclients(struct rcache *rc)
{
	struct rc_client *cl;
	unsigned n = 0;

	pthread_mutex_lock(&rc->lock);
	for (cl = rc->clients; cl; cl = cl->next)
		n++;
	pthread_mutex_unlock(&rc->lock);
	return n;
}

unsigned rcache_nentries(struct rcache *rc, const uint8_t uuid[16])
{
	struct rc_client *cl;
	unsigned n = 0;

	pthread_mutex_lock(&rc->lock);
	cl = client_find(rc, uuid, false);
	if (cl)
		n = cl->nentries;
	pthread_mutex_unlock(&rc->lock);
	return n;
}
