/* SPDX-License-Identifier: MIT */
/*
 * synctrack.h - the objects each client wrote without TESS_IO_SYNC since
 * its last OBJ_SYNC_OWN (issue #12, roles).  A client's OBJ_SYNC_OWN
 * makes those objects stable, not the whole store: a client cannot make
 * the OST sync the data of others.  Bounded: at most SYNCTRACK_CLIENTS
 * clients with pending writes, SYNCTRACK_OIDS objects each.  What cannot
 * be named is synced as before, the whole store: the sync of a client
 * past SYNCTRACK_OIDS objects (its writes earned it), and, after a write
 * of a client the table had no room for, every client's OBJ_SYNC_OWN until
 * one store sync covered that write.  Thread-safe.
 */
#ifndef OST_SYNCTRACK_H
#define OST_SYNCTRACK_H

#include <stdint.h>

#define SYNCTRACK_CLIENTS	256
#define SYNCTRACK_OIDS		1024

struct synctrack;

struct synctrack *synctrack_create(void);
void synctrack_destroy(struct synctrack *t);

/* client UUID wrote OID unstably (acknowledged, not yet synced) */
void synctrack_note(struct synctrack *t, const uint8_t uuid[16], uint64_t oid);

/*
 * What an OBJ_SYNC_OWN of client UUID must cover, taken out of the table:
 *   0: the objects in *oids (*n of them, maybe 0; free() it);
 *   1: the store (*gen: pass it to synctrack_store_synced after a
 *      successful syncfs).
 * -ENOMEM: treat as 1.  Writes noted after this go to the next sync.
 */
int synctrack_take(struct synctrack *t, const uint8_t uuid[16],
		   uint64_t **oids, uint32_t *n, uint64_t *gen);
/* the store was synced: untracked writes up to GEN are stable */
void synctrack_store_synced(struct synctrack *t, uint64_t gen);
/* the store sync that answer 1 asked for failed: what it should have
 * covered can no longer be named, every next OBJ_SYNC_OWN is the store's
 * until one succeeds */
void synctrack_store_failed(struct synctrack *t);

#endif /* OST_SYNCTRACK_H */
