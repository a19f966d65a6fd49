// SPDX-License-Identifier: MIT
/*
 * opens.c - open counts per (client, inode) and client leases (see
 * opens.h).
 *
 * One hash table by inode number holds a record per (client uuid, ino)
 * with its count, so every record of an inode is in one chain and "is it
 * open at all" is a walk of that chain.  Clients are a list with their
 * connection count and the time the last one closed.  One mutex guards
 * it all; the hook is called after it is released.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opens.h"

#define NBUCKETS	4096		/* power of two */
#define TICK_MIN_MS	50
#define TICK_MAX_MS	1000

struct open_rec {
	struct open_rec *next;
	uint64_t ino;
	uint8_t uuid[16];
	uint32_t count;
};

struct oclient {
	struct oclient *next;
	uint8_t uuid[16];
	unsigned nconn;
	int64_t idle_since;		/* ms, when nconn became 0 */
};

struct mds_opens {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* stop */
	int64_t lease_ms;
	int64_t grace_end;		/* ms */
	bool grace_over;
	struct open_rec *table[NBUCKETS];
	struct oclient *clients;
	void (*released)(void *arg);
	void *arg;
	void (*dropped)(void *arg, uint64_t ino);
	void *dropped_arg;
	pthread_cond_t unheld;		/* held ends */
	uint64_t held_ino;		/* mds_opens_hold: OPEN waits */
	bool held;
	pthread_t thr;
	bool running, stop;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct open_rec **bucket(struct mds_opens *o, uint64_t ino)
{
	return &o->table[(ino * 0x9e3779b97f4a7c15ull) >> 52];
}

int mds_opens_create(struct mds_opens **out, int64_t lease_ms,
		     void (*released)(void *arg), void *arg)
{
	struct mds_opens *o = calloc(1, sizeof(*o));
	pthread_condattr_t ca;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->lease_ms = lease_ms;
	o->grace_end = now_ms() + lease_ms;
	o->released = released;
	o->arg = arg;
	pthread_mutex_init(&o->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&o->unheld, NULL);
	*out = o;
	return 0;
}

/* ---- clients (lock held) ---- */

static struct oclient *client_get(struct mds_opens *o, const uint8_t uuid[16],
				  bool create)
{
	struct oclient *cl;

	for (cl = o->clients; cl; cl = cl->next)
		if (!memcmp(cl->uuid, uuid, 16))
			return cl;
	if (!create)
		return NULL;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	memcpy(cl->uuid, uuid, 16);
	cl->idle_since = now_ms();
	cl->next = o->clients;
	o->clients = cl;
	return cl;
}

struct inos {
	uint64_t *v;
	size_t n, cap;
};

/* drop every open of a client, adding their inodes to *gone (if memory
 * allows); true if any was dropped */
static bool drop_opens(struct mds_opens *o, const uint8_t uuid[16],
		       struct inos *gone)
{
	bool any = false;

	for (unsigned b = 0; b < NBUCKETS; b++) {
		struct open_rec **pp = &o->table[b];

		while (*pp) {
			struct open_rec *r = *pp;

			if (!memcmp(r->uuid, uuid, 16)) {
				*pp = r->next;
				if (gone->n == gone->cap) {
					size_t cap = gone->cap ? 2 * gone->cap
							       : 16;
					uint64_t *v = realloc(gone->v,
							      cap * sizeof(*v));

					if (v) {
						gone->v = v;
						gone->cap = cap;
					}
				}
				if (gone->n < gone->cap)
					gone->v[gone->n++] = r->ino;
				free(r);
				any = true;
			} else {
				pp = &r->next;
			}
		}
	}
	return any;
}

/* tell the dropped hook (no lock held) and free the list */
static void dropped_done(struct mds_opens *o, struct inos *gone)
{
	for (size_t i = 0; i < gone->n && o->dropped; i++)
		o->dropped(o->dropped_arg, gone->v[i]);
	free(gone->v);
}

static bool lease_over(const struct mds_opens *o, const struct oclient *cl,
		       int64_t now)
{
	return !cl->nconn && now - cl->idle_since >= o->lease_ms;
}

void mds_opens_connected(struct mds_opens *o, const uint8_t uuid[16])
{
	struct inos gone = { 0 };
	struct oclient *cl;
	bool released = false;

	pthread_mutex_lock(&o->lock);
	cl = client_get(o, uuid, true);
	if (cl) {
		/* back after its lease ran out: its opens are gone, even if
		 * the lease thread has not got to it yet */
		if (lease_over(o, cl, now_ms()))
			released = drop_opens(o, uuid, &gone);
		cl->nconn++;
	}
	pthread_mutex_unlock(&o->lock);
	dropped_done(o, &gone);
	if (released && o->released)
		o->released(o->arg);
}

void mds_opens_disconnected(struct mds_opens *o, const uint8_t uuid[16])
{
	struct oclient *cl;

	pthread_mutex_lock(&o->lock);
	cl = client_get(o, uuid, false);
	if (cl && cl->nconn && --cl->nconn == 0)
		cl->idle_since = now_ms();
	pthread_mutex_unlock(&o->lock);
}

/* ---- opens ---- */

uint32_t mds_opens_open(struct mds_opens *o, const uint8_t uuid[16],
			uint64_t ino)
{
	struct open_rec *r, *mine = NULL;
	uint32_t before = 0;

	pthread_mutex_lock(&o->lock);
	while (o->held && o->held_ino == ino)	/* its objects being cut */
		pthread_cond_wait(&o->unheld, &o->lock);
	client_get(o, uuid, true);
	for (r = *bucket(o, ino); r; r = r->next) {
		if (r->ino != ino)
			continue;
		before += r->count;
		if (!memcmp(r->uuid, uuid, 16))
			mine = r;
	}
	if (!mine) {
		mine = calloc(1, sizeof(*mine));
		if (mine) {
			mine->ino = ino;
			memcpy(mine->uuid, uuid, 16);
			mine->next = *bucket(o, ino);
			*bucket(o, ino) = mine;
		}
	}
	if (mine)
		mine->count++;
	pthread_mutex_unlock(&o->lock);
	return before;
}

bool mds_opens_close(struct mds_opens *o, const uint8_t uuid[16], uint64_t ino)
{
	struct open_rec **pp, *r;
	bool none = true;

	pthread_mutex_lock(&o->lock);
	for (pp = bucket(o, ino); *pp; pp = &(*pp)->next) {
		r = *pp;
		if (r->ino == ino && !memcmp(r->uuid, uuid, 16)) {
			if (--r->count == 0) {
				*pp = r->next;
				free(r);
			}
			break;
		}
	}
	for (r = *bucket(o, ino); r; r = r->next)
		if (r->ino == ino)
			none = false;
	pthread_mutex_unlock(&o->lock);
	return none;
}

static bool in_grace_locked(struct mds_opens *o)
{
	return !o->grace_over && now_ms() < o->grace_end;
}

bool mds_opens_in_grace(struct mds_opens *o)
{
	bool g;

	pthread_mutex_lock(&o->lock);
	g = in_grace_locked(o);
	pthread_mutex_unlock(&o->lock);
	return g;
}

uint32_t mds_opens_count(struct mds_opens *o, const uint8_t *uuid,
			 uint64_t ino)
{
	struct open_rec *r;
	uint32_t n = 0;

	pthread_mutex_lock(&o->lock);
	for (r = *bucket(o, ino); r; r = r->next)
		if (r->ino == ino && (!uuid || !memcmp(r->uuid, uuid, 16)))
			n += r->count;
	pthread_mutex_unlock(&o->lock);
	return n;
}

bool mds_opens_busy(struct mds_opens *o, uint64_t ino)
{
	struct open_rec *r;
	bool busy;

	pthread_mutex_lock(&o->lock);
	busy = in_grace_locked(o);
	for (r = *bucket(o, ino); r && !busy; r = r->next)
		if (r->ino == ino)
			busy = true;
	pthread_mutex_unlock(&o->lock);
	return busy;
}

bool mds_opens_hold(struct mds_opens *o, uint64_t ino)
{
	struct open_rec *r;
	bool busy;

	pthread_mutex_lock(&o->lock);
	busy = o->held || in_grace_locked(o);
	for (r = *bucket(o, ino); r && !busy; r = r->next)
		if (r->ino == ino)
			busy = true;
	if (!busy) {
		o->held = true;
		o->held_ino = ino;
	}
	pthread_mutex_unlock(&o->lock);
	return !busy;
}

void mds_opens_unhold(struct mds_opens *o)
{
	pthread_mutex_lock(&o->lock);
	o->held = false;
	pthread_cond_broadcast(&o->unheld);
	pthread_mutex_unlock(&o->lock);
}

void mds_opens_set_dropped_fn(struct mds_opens *o,
			      void (*fn)(void *arg, uint64_t ino), void *arg)
{
	o->dropped = fn;
	o->dropped_arg = arg;
}

/* ---- leases ---- */

unsigned mds_opens_expire(struct mds_opens *o)
{
	struct oclient **pp;
	int64_t now = now_ms();
	struct inos gone = { 0 };
	unsigned dropped = 0;
	bool released = false;

	pthread_mutex_lock(&o->lock);
	if (!o->grace_over && now >= o->grace_end) {
		o->grace_over = true;
		released = true;
	}
	pp = &o->clients;
	while (*pp) {
		struct oclient *cl = *pp;

		if (lease_over(o, cl, now)) {
			if (drop_opens(o, cl->uuid, &gone))
				released = true;
			*pp = cl->next;
			free(cl);
			dropped++;
		} else {
			pp = &cl->next;
		}
	}
	pthread_mutex_unlock(&o->lock);
	dropped_done(o, &gone);
	if (released && o->released)
		o->released(o->arg);
	return dropped;
}

static void *lease_main(void *arg)
{
	struct mds_opens *o = arg;
	int64_t tick = o->lease_ms / 4;

	if (tick < TICK_MIN_MS)
		tick = TICK_MIN_MS;
	if (tick > TICK_MAX_MS)
		tick = TICK_MAX_MS;
	for (;;) {
		struct timespec until;
		bool stop;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += tick / 1000;
		until.tv_nsec += (tick % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&o->lock);
		while (!o->stop &&
		       pthread_cond_timedwait(&o->wake, &o->lock, &until) == 0)
			;
		stop = o->stop;
		pthread_mutex_unlock(&o->lock);
		if (stop)
			return NULL;
		mds_opens_expire(o);
	}
}

int mds_opens_start(struct mds_opens *o)
{
	int rc = pthread_create(&o->thr, NULL, lease_main, o);

	if (rc)
		return -rc;
	o->running = true;
	return 0;
}

void mds_opens_free(struct mds_opens *o)
{
	if (!o)
		return;
	if (o->running) {
		pthread_mutex_lock(&o->lock);
		o->stop = true;
		pthread_cond_signal(&o->wake);
		pthread_mutex_unlock(&o->lock);
		pthread_join(o->thr, NULL);
	}
	for (unsigned b = 0; b < NBUCKETS; b++) {
		while (o->table[b]) {
			struct open_rec *r = o->table[b];

			o->table[b] = r->next;
			free(r);
		}
	}
	while (o->clients) {
		struct oclient *cl = o->clients;

		o->clients = cl->next;
		free(cl);
	}
	pthread_cond_destroy(&o->wake);
	pthread_mutex_destroy(&o->lock);
	free(o);
}
