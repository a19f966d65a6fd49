// SPDX-License-Identifier: MIT
/*
 * precreate.c - pools of precreated objects per OST.
 *
 * Object ids come from the store's one monotonic next_oid counter and are
 * never reused.  Every object a layout names exists on its OST, empty and
 * durable (file and directory entry), before the layout is handed out, so
 * an OST tells "never written" (the file is there: zeros) from "lost" (it
 * is not: EIO).  The store keeps, per OST, a range of oids the OST has
 * created and that no layout took yet (store_ost.c, pool_rec).  When a create
 * finds the pool of an OST it picked empty, it calls refill here, outside
 * any transaction:
 *
 *   1. record a new range of MDS_PRECREATE_BATCH oids, unconfirmed, in
 *      LMDB (or take the unconfirmed one recorded before: an MDS that
 *      restarted, or an OST that failed, sends the same range again;
 *      OBJ_PRECREATE is idempotent);
 *   2. OBJ_PRECREATE {first, count} to the OST, which makes them durable;
 *   3. confirm the range: from now on layouts take oids from it.
 *
 * An OST that cannot precreate (down, or failing) is skipped by that
 * create as a down OST is; its failure is logged once until it works
 * again.  An OST too old to know OBJ_PRECREATE (EOPNOTSUPP) gets its
 * range confirmed all the same: it creates an object at its first write,
 * as it always did, so the MDS may be upgraded before its OSTs.  One
 * refill per OST at a time.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "precreate.h"

struct mds_precreate {
	struct mds_store *s;
	struct mds_osts *o;
	pthread_mutex_t lock[TESS_MAX_OSTS];
	bool failing[TESS_MAX_OSTS];	/* logged; under lock[idx] */
	bool old[TESS_MAX_OSTS];	/* logged: no OBJ_PRECREATE there */
};

static int refill(void *arg, uint32_t idx)
{
	struct mds_precreate *p = arg;
	uint64_t first = 0;
	uint32_t count = 0;
	int rc;

	if (idx >= TESS_MAX_OSTS)
		return -EINVAL;
	pthread_mutex_lock(&p->lock[idx]);
	rc = mds_pool_reserve(p->s, idx, MDS_PRECREATE_BATCH, &first, &count);
	if (rc == 1) {
		rc = 0;			/* refilled by another create */
		goto out;
	}
	if (!rc)
		rc = mds_osts_precreate(p->o, idx, first, count);
	if (rc == -EOPNOTSUPP) {
		if (!p->old[idx])
			tlog("OST %u does not precreate objects (an older "
			     "tessera-ost): they are created by their first "
			     "write there, and a lost one reads as zeros", idx);
		p->old[idx] = true;
		rc = 0;
	}
	if (!rc)
		rc = mds_pool_confirm(p->s, idx, first);
	if (rc && !p->failing[idx])
		tlog_level(LOG_WARNING, "OST %u: cannot precreate objects %#" PRIx64 "..%#" PRIx64
		     ": %s; new files get no stripes on it until it can",
		     idx, first, first + count - 1, strerror(-rc));
	else if (!rc && p->failing[idx])
		tlog("OST %u: precreates objects again", idx);
	p->failing[idx] = rc != 0;
out:
	pthread_mutex_unlock(&p->lock[idx]);
	return rc;
}

int mds_precreate_create(struct mds_precreate **out, struct mds_store *s,
			 struct mds_osts *o)
{
	struct mds_precreate *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->s = s;
	p->o = o;
	for (int i = 0; i < TESS_MAX_OSTS; i++)
		pthread_mutex_init(&p->lock[i], NULL);
	mds_store_set_refill(s, refill, p);
	*out = p;
	return 0;
}

void mds_precreate_free(struct mds_precreate *p)
{
	if (!p)
		return;
	mds_store_set_refill(p->s, NULL, NULL);
	for (int i = 0; i < TESS_MAX_OSTS; i++)
		pthread_mutex_destroy(&p->lock[i]);
	free(p);
}
