/* SPDX-License-Identifier: MIT */
/*
 * precreate.h - the MDS creates the objects of layouts on their OSTs
 * before it hands the layouts out (Lustre's precreate, simplified).
 */
#ifndef MDS_PRECREATE_H
#define MDS_PRECREATE_H

#include "osts.h"
#include "store.h"

/* oids precreated per OST at a time */
#define MDS_PRECREATE_BATCH	64

struct mds_precreate;

/* hook into the store: from now on layouts take precreated objects */
int mds_precreate_create(struct mds_precreate **out, struct mds_store *s,
			 struct mds_osts *o);
void mds_precreate_free(struct mds_precreate *p);

#endif /* MDS_PRECREATE_H */
