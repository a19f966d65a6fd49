/* SPDX-License-Identifier: MIT */
/*
 * ost.h - the OST daemon's request handlers (handlers.c), used by main.c.
 */
#ifndef OST_OST_H
#define OST_OST_H

#include "tnet.h"
#include "objstore.h"
#include "hsm.h"
#include "synctrack.h"

struct ost_ctx {
	struct objstore *store;
	struct ost_hsm *hsm;		/* NULL: no HSM (tests) */
	/* clients' unstable objects (OBJ_SYNC_OWN); NULL: that syncs the store */
	struct synctrack *sync;
};

/* connected/handle/disconnected for tnet_server_init; ctx is an ost_ctx */
extern const struct tnet_server_ops ost_server_ops;

#endif /* OST_OST_H */
