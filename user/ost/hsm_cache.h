/* SPDX-License-Identifier: MIT */
/*
 * hsm_cache.h - the OST's bounded cache of data restored from S3.
 *
 * Restored data is a cache of S3: when the store (the file system of
 * --dir, as df counts it) is more than `high` percent used, a background
 * thread releases clean restored objects, least recently read first,
 * until it is at most `low` percent used.  A restore that finds the store
 * full (ENOSPC) releases objects itself, at once, and tries again: a
 * reader never gets ENOSPC because restored data filled the store.  A
 * user's write (or truncate) that gets ENOSPC does the same once
 * (hsm_cache_write_room, from handlers.c) and is tried again once.
 *
 * The cache knows which objects hold restored data and when each was
 * last read (or restored), in memory: at start it learns every object
 * with a sidecar, stamped with the sidecar's mtime (its bitmap is
 * written at each restore).  Releasing one is ost_hsm_evict (hsm_state.c),
 * which refuses pinned, dirty and busy objects: those stay, and are
 * tried again at the next round.
 */
#ifndef OST_HSM_CACHE_H
#define OST_HSM_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct hsm_cache;
struct ost_hsm;

/*
 * root: the store's directory (objects under O/xx/).  high, low: percent
 * of the store, low < high <= 100; high 0: no background release (a
 * restore that finds the store full still releases).
 */
int hsm_cache_create(struct hsm_cache **out, int root, unsigned high,
		     unsigned low);
/* learn the objects of the store, start the background thread */
int hsm_cache_start(struct hsm_cache *c, struct ost_hsm *h);

/* oid was read, or data of it restored: it is the most recent now */
void hsm_cache_touch(struct hsm_cache *c, uint64_t oid);
/* oid has no HSM state any more */
void hsm_cache_forget(struct hsm_cache *c, uint64_t oid);
/* data landed: the background thread looks at the store again */
void hsm_cache_kick(struct hsm_cache *c);

/*
 * A restore of `need` bytes found the store full: release least recently
 * read objects now (never those in use, such as the caller's).  true when
 * the store has room for need bytes afterwards.
 */
bool hsm_cache_make_room(struct hsm_cache *c, uint64_t need);

/*
 * A user's write (or truncate) of `need` bytes got ENOSPC: release least
 * recently read clean restored data now, the same objects
 * hsm_cache_make_room would (never pinned, written or in-use ones), until
 * the store has room for it (4 x need, at least 4 MiB) and, with
 * watermarks on, is down to `low`.  true when something was released or
 * there is room: the caller tries its write once more.
 */
bool hsm_cache_write_room(struct hsm_cache *c, uint64_t need);

#endif /* OST_HSM_CACHE_H */
