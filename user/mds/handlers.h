/* SPDX-License-Identifier: MIT */
/*
 * handlers.h - decode MDS requests, call the store, encode replies.
 */
#ifndef MDS_HANDLERS_H
#define MDS_HANDLERS_H

#include "opens.h"
#include "osts.h"
#include "store.h"
#include "tnet.h"

struct mds {
	struct mds_store *store;
	struct mds_osts *osts;
	struct mds_opens *opens;	/* NULL: opens are not counted */
};

/* tnet_server_ops callbacks; ctx is a struct mds */
int mds_connected(void *ctx, struct tnet_conn *c);
int mds_handle(void *ctx, struct tnet_conn *c, const struct tnet_msg *req,
	       struct tnet_reply *rep);
void mds_disconnected(void *ctx, struct tnet_conn *c);
/* the opcodes whose replies the reply cache keeps */
bool mds_reply_cached(uint16_t opcode);

extern const struct tnet_server_ops mds_server_ops;

#endif /* MDS_HANDLERS_H */
