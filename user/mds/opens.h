/* SPDX-License-Identifier: MIT */
/*
 * opens.h - which clients hold which inodes open (OPEN/CLOSE), in memory,
 * and the client lease.
 *
 * Opens are counted per (client uuid, ino).  A client none of whose
 * connections has been up for the lease loses all its opens (a dead client
 * does not keep an unlinked file forever).  Nothing is known after a
 * restart, so for one lease from start-up (the grace period) every inode
 * counts as possibly open: clients reconnect and send their OPENs again.
 *
 * The orphan destroyer asks mds_opens_busy() before it destroys the
 * objects of an unlinked inode; the `released` hook (called with no lock
 * held) tells it that an inode may have lost its last open or that the
 * grace period ended.
 */
#ifndef MDS_OPENS_H
#define MDS_OPENS_H

#include <stdbool.h>
#include <stdint.h>

struct mds_opens;

int mds_opens_create(struct mds_opens **out, int64_t lease_ms,
		     void (*released)(void *arg), void *arg);
/* the thread that ends leases and the grace period */
int mds_opens_start(struct mds_opens *o);
void mds_opens_free(struct mds_opens *o);	/* stops the thread */

/* connections of a client come and go */
void mds_opens_connected(struct mds_opens *o, const uint8_t uuid[16]);
void mds_opens_disconnected(struct mds_opens *o, const uint8_t uuid[16]);

/* one more open; returns how many opens (all clients) ino had before */
uint32_t mds_opens_open(struct mds_opens *o, const uint8_t uuid[16],
			uint64_t ino);
/* one open less (none held: nothing); true when ino has none left */
bool mds_opens_close(struct mds_opens *o, const uint8_t uuid[16],
		     uint64_t ino);

/* held open by anyone, or within the grace period */
bool mds_opens_busy(struct mds_opens *o, uint64_t ino);
bool mds_opens_in_grace(struct mds_opens *o);
/* opens of ino (uuid NULL: by all clients) */
uint32_t mds_opens_count(struct mds_opens *o, const uint8_t *uuid,
			 uint64_t ino);
/*
 * Exclusive use of ino while its objects are cut (osts.c's trims): false
 * if it is open or may be (grace period), else OPENs of ino wait until
 * mds_opens_unhold.  One inode at a time.
 */
bool mds_opens_hold(struct mds_opens *o, uint64_t ino);
void mds_opens_unhold(struct mds_opens *o);
/* called (no lock held) for each inode whose open a lease end dropped */
void mds_opens_set_dropped_fn(struct mds_opens *o,
			      void (*fn)(void *arg, uint64_t ino), void *arg);
/* drop the opens of clients whose lease ran out, end the grace period;
 * calls the hook if that released anything.  Returns the clients dropped. */
unsigned mds_opens_expire(struct mds_opens *o);

#endif /* MDS_OPENS_H */
