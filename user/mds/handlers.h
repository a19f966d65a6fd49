/* SPDX-License-Identifier: MIT */
/*
 * handlers.h - decode MDS requests, call the store, encode replies.
 */
#ifndef MDS_HANDLERS_H
#define MDS_HANDLERS_H

#include "opens.h"
#include "osts.h"
#include "perm.h"
#include "store.h"
#include "tnet.h"

struct mds {
	struct mds_store *store;
	struct mds_osts *osts;
	struct mds_opens *opens;	/* NULL: opens are not counted */
	/*
	 * Connections other than OSTs' past max_clients (0: no limit), and
	 * OSTs' past TESS_MAX_OSTS, are refused: each request on them gets
	 * EBUSY and the connection is closed after that reply.  So the
	 * threads inside the store, and the LMDB reader slots they hold,
	 * stay within what the store was opened for.
	 */
	uint32_t max_clients;
	_Atomic uint32_t nclients, nost_conns;
	_Atomic int64_t refused_logged;	/* CLOCK_MONOTONIC s of the last line */
	_Atomic uint64_t refused;	/* since that line */
	/* --root-squash and --nosquash (perm.h), set before serving */
	struct perm_squash squash;
};

/* LMDB reader slots for max_clients: one per connection thread, plus
 * the OSTs' connections and the MDS's own threads */
#define MDS_READERS(max_clients)	((max_clients) + TESS_MAX_OSTS + 16)

/* tnet_server_ops callbacks; ctx is a struct mds */
int mds_connected(void *ctx, struct tnet_conn *c);
int mds_handle(void *ctx, struct tnet_conn *c, const struct tnet_msg *req,
	       struct tnet_reply *rep);
void mds_disconnected(void *ctx, struct tnet_conn *c);
/* the opcodes whose replies the reply cache keeps */
bool mds_reply_cached(uint16_t opcode);

extern const struct tnet_server_ops mds_server_ops;

#endif /* MDS_HANDLERS_H */
