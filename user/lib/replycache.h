/* SPDX-License-Identifier: MIT */
/*
 * replycache.h - the server's per-client reply cache for exactly-once
 * requests (include/tessera.h, "Exactly-once").
 *
 * Keyed by (client instance uuid from HELLO, xid).  A server records the
 * reply of every request that changes state; a resent request (same uuid
 * and xid, TESS_HF_RESENT) gets that reply instead of running again, or,
 * while the first copy still runs, waits for it and gets its reply.
 *
 * Bounds: per client the most recent `per_client` replies are kept (the
 * oldest completed one goes first).  A client none of whose connections
 * has been up for `lease_ms` is forgotten with all its replies at the next
 * rcache_sweep() (called on every connect and disconnect by tnet).
 *
 * Thread-safe: one mutex for the whole cache; waiters sleep on a
 * condition variable of the cache.
 */
#ifndef REPLYCACHE_H
#define REPLYCACHE_H

#include <stdbool.h>
#include <stdint.h>

#define RCACHE_PER_CLIENT_DEFAULT	1024

struct rcache;
struct rcache_entry;

/* a reply to send again: the status and body of the first reply */
struct rcache_reply {
	uint32_t status;
	uint32_t body_len;
	void *body;			/* malloc'ed (NULL if body_len 0) */
};

struct rcache *rcache_create(unsigned per_client, int64_t lease_ms);
void rcache_free(struct rcache *rc);
void rcache_set_lease(struct rcache *rc, int64_t lease_ms);

/* connections of a client come and go (these also sweep) */
void rcache_client_up(struct rcache *rc, const uint8_t uuid[16]);
void rcache_client_down(struct rcache *rc, const uint8_t uuid[16]);
/* forget clients idle for the lease; returns how many were dropped */
unsigned rcache_sweep(struct rcache *rc);

enum rcache_verdict {
	RCACHE_RUN,		/* run the request (*ticket: record its reply) */
	RCACHE_REPLAY,		/* send *out instead; rcache_reply_free it */
};

/*
 * Before running a state-changing request.
 *
 * resent (TESS_HF_RESENT) and (uuid, xid) known with the same opcode:
 * waits until its first copy has finished, then returns RCACHE_REPLAY
 * with a copy of its reply in *out.
 *
 * Otherwise RCACHE_RUN: *ticket is the new entry, to be completed with
 * rcache_finish() whatever happens; *ticket is NULL when the reply will
 * not be recorded (out of memory, or a new request reusing the xid of one
 * still running: a client bug, it runs unrecorded).  A new request (not
 * resent) whose xid is known replaces the old entry.
 */
enum rcache_verdict rcache_begin(struct rcache *rc, const uint8_t uuid[16],
				 uint64_t xid, uint16_t opcode, bool resent,
				 struct rcache_entry **ticket,
				 struct rcache_reply *out);
/* record the reply of a request rcache_begin let run; wakes waiters */
void rcache_finish(struct rcache *rc, struct rcache_entry *ticket,
		   uint32_t status, const void *body, uint32_t body_len);
void rcache_reply_free(struct rcache_reply *r);

/* introspection (tests, logs) */
unsigned rcache_nclients(struct rcache *rc);
unsigned rcache_nentries(struct rcache *rc, const uint8_t uuid[16]);

#endif /* REPLYCACHE_H */
