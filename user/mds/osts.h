/* SPDX-License-Identifier: MIT */
/*
 * osts.h - the MDS side of the OSTs: registration, MDS->OST connections
 * (role TESS_ROLE_MDS), STATFS aggregation and the background destroyer
 * of orphan objects.
 */
#ifndef MDS_OSTS_H
#define MDS_OSTS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "tnet.h"

struct mds_osts;

/* destroy one object: 0 or -ENOENT = gone, anything else = retry later */
typedef int (*mds_destroy_fn)(void *arg, uint32_t ost_idx, uint64_t oid);

/* is inode ino held open (or possibly so)?  Its orphans wait. */
typedef bool (*mds_busy_fn)(void *arg, uint64_t ino);

/*
 * Exclusive use of inode ino while its objects are cut to its size (no
 * OPEN of it meanwhile): false if it is open or may be.
 */
typedef bool (*mds_hold_fn)(void *arg, uint64_t ino);
typedef void (*mds_unhold_fn)(void *arg);

int mds_osts_create(struct mds_osts **out, struct mds_store *s,
		    const struct tnet_key *key);
/* replace the network destroy (tests) */
void mds_osts_set_destroy_fn(struct mds_osts *o, mds_destroy_fn fn, void *arg);
/*
 * One request to OST ost_idx: rep (rep_len bytes) receives the reply body
 * on 0.  Returns 0, the OST's -status or a transport error.
 */
typedef int (*mds_call_fn)(void *arg, uint32_t ost_idx, uint16_t op,
			   const void *body, uint32_t len, void *rep,
			   uint32_t rep_len);
/* replace the network for every request to the OSTs (tests, fuzzing);
 * its answers do not mark OSTs up or down */
void mds_osts_set_call_fn(struct mds_osts *o, mds_call_fn fn, void *arg);
/* orphans of busy inodes are skipped (kick when one stops being busy) */
void mds_osts_set_busy_fn(struct mds_osts *o, mds_busy_fn fn, void *arg);
/* trims (store.h) are done only with these set */
void mds_osts_set_hold_fn(struct mds_osts *o, mds_hold_fn hold,
			  mds_unhold_fn unhold, void *arg);
/*
 * Ping every registered OST each interval (before start; 0: not at all);
 * an OST not heard from for 2 intervals is down (mds_ost_set_expiry)
 */
void mds_osts_set_ping_interval(struct mds_osts *o, unsigned seconds);
/* start / stop the destroyer and pinger threads; start hooks the store */
int mds_osts_start(struct mds_osts *o);
void mds_osts_stop(struct mds_osts *o);
void mds_osts_free(struct mds_osts *o);
/* wake the destroyer (the store's orphan hook) */
void mds_osts_kick(void *o);

/* OST_REGISTER (OST_REPLACE: replace): addr is "host[:port][@tcp]", len
 * bytes, no NUL needed; -EEXIST: another store at that index */
int mds_osts_register(struct mds_osts *o, uint32_t index, const char *addr,
		      uint32_t len, const uint8_t uuid[16], bool replace);
/* OBJ_PRECREATE of [first, first + count) to OST idx (precreate.c) */
int mds_osts_precreate(struct mds_osts *o, uint32_t idx, uint64_t first,
		       uint32_t count);
/* STATFS: OBJ_STATFS to every registered OST, files from the store */
int mds_osts_statfs(struct mds_osts *o, struct tess_statfs_rep *rep);
/* one pass over the orphan list; *left = orphans still pending */
int mds_osts_reap(struct mds_osts *o, uint64_t *left);
/* one pass over the trim records; *left = records still pending */
int mds_osts_trim(struct mds_osts *o, uint64_t *left);

#endif /* MDS_OSTS_H */
