// SPDX-License-Identifier: MIT
/*
 * synctrack.c - per-client sets of unstably written objects (synctrack.h).
 * A small table searched linearly: a client with no pending writes has no
 * entry, so it holds only the clients that wrote since their last sync.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "synctrack.h"

struct st_client {
	bool used;
	bool overflow;			/* more than SYNCTRACK_OIDS objects */
	uint8_t uuid[16];
	uint32_t n, cap;
	uint64_t *oids;
};

struct synctrack {
	pthread_mutex_t lock;
	/* writes of clients the table had no room for, and how many of
	 * them a store sync covered */
	uint64_t untracked, synced;
	struct st_client c[SYNCTRACK_CLIENTS];
};

struct synctrack *synctrack_create(void)
{
	struct synctrack *t = calloc(1, sizeof(*t));

	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void synctrack_destroy(struct synctrack *t)
{
	if (!t)
		return;
	for (int i = 0; i < SYNCTRACK_CLIENTS; i++)
		free(t->c[i].oids);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* the entry of uuid; with make, a free one if it has none (or NULL) */
static struct st_client *find(struct synctrack *t, const uint8_t uuid[16],
			      bool make)
{
	struct st_client *free_slot = NULL;

	for (int i = 0; i < SYNCTRACK_CLIENTS; i++) {
		struct st_client *e = &t->c[i];

		if (e->used && !memcmp(e->uuid, uuid, 16))
			return e;
		if (!e->used && !free_slot)
			free_slot = e;
	}
	if (!make || !free_slot)
		return NULL;
	free_slot->used = true;
	memcpy(free_slot->uuid, uuid, 16);
	return free_slot;
}

static void add_oid(struct st_client *e, uint64_t oid)
{
	uint64_t *p;

	if (e->overflow)
		return;
	/* newest first: a stream of writes to one object costs one compare */
	for (uint32_t i = e->n; i-- > 0;)
		if (e->oids[i] == oid)
			return;
	if (e->n == e->cap) {
		uint32_t cap = e->cap ? e->cap * 2 : 16;

		p = cap <= SYNCTRACK_OIDS ?
		    realloc(e->oids, cap * sizeof(*p)) : NULL;
		if (!p) {		/* the store will be synced for it */
			e->overflow = true;
			return;
		}
		e->oids = p;
		e->cap = cap;
	}
	e->oids[e->n++] = oid;
}

void synctrack_note(struct synctrack *t, const uint8_t uuid[16], uint64_t oid)
{
	struct st_client *e;

	pthread_mutex_lock(&t->lock);
	e = find(t, uuid, true);
	if (e)
		add_oid(e, oid);
	else
		t->untracked++;
	pthread_mutex_unlock(&t->lock);
}

int synctrack_take(struct synctrack *t, const uint8_t uuid[16],
		   uint64_t **oids, uint32_t *n, uint64_t *gen)
{
	struct st_client *e;
	int rc;

	*oids = NULL;
	*n = 0;
	pthread_mutex_lock(&t->lock);
	*gen = t->untracked;
	e = find(t, uuid, false);
	/* untracked writes since the last store sync may be this client's */
	rc = t->untracked != t->synced || (e && e->overflow);
	if (e && !rc) {
		*oids = e->oids;
		*n = e->n;
		e->oids = NULL;
	}
	if (e) {
		free(e->oids);
		memset(e, 0, sizeof(*e));
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void synctrack_store_failed(struct synctrack *t)
{
	pthread_mutex_lock(&t->lock);
	t->untracked++;
	pthread_mutex_unlock(&t->lock);
}

void synctrack_store_synced(struct synctrack *t, uint64_t gen)
{
	pthread_mutex_lock(&t->lock);
	if (gen > t->synced)
		t->synced = gen;
	pthread_mutex_unlock(&t->lock);
}
