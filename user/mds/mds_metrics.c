// SPDX-License-Identifier: MIT
/*
 * mds_metrics.c - the MDS's own metrics (issue #14): connections counted
 * by handlers.c against --max-clients, and the OSTs' states from the store
 * (mds_ost_list: read-only, down after expiry as STATFS shows them).
 */
#include <stdlib.h>

#include "metrics.h"
#include "mds_metrics.h"

static struct mds *mm;

static double clients(void *arg)
{
	(void)arg;
	return (double)atomic_load(&mm->nclients);
}

static double ost_conns(void *arg)
{
	(void)arg;
	return (double)atomic_load(&mm->nost_conns);
}

/* arg: TESS_OST_UP or TESS_OST_DOWN */
static double osts(void *arg)
{
	uint32_t state = (uint32_t)(uintptr_t)arg, n, k = 0;
	struct mds_ost *tab = malloc(TESS_MAX_OSTS * sizeof(*tab));

	if (!tab)
		return 0.0 / 0.0;	/* NaN: not known */
	n = mds_ost_list(mm->store, tab, TESS_MAX_OSTS);
	for (uint32_t i = 0; i < n; i++)
		k += tab[i].state == state;
	free(tab);
	return k;
}

int mds_metrics_register(struct mds *m)
{
	int rc;

	mm = m;
	rc = tmetrics_register_fn("tessera_mds_clients_connected",
				  "Connections other than OSTs' (counted "
				  "against --max-clients).",
				  TMETRICS_GAUGE, clients, NULL);
	if (!rc)
		rc = tmetrics_register_fn("tessera_mds_ost_connections",
					  "Connections from OSTs.",
					  TMETRICS_GAUGE, ost_conns, NULL);
	if (!rc)
		rc = tmetrics_register_fn("tessera_mds_osts{state=\"up\"}",
					  "Registered OSTs by state.",
					  TMETRICS_GAUGE, osts,
					  (void *)(uintptr_t)TESS_OST_UP);
	if (!rc)
		rc = tmetrics_register_fn("tessera_mds_osts{state=\"down\"}",
					  "Registered OSTs by state.",
					  TMETRICS_GAUGE, osts,
					  (void *)(uintptr_t)TESS_OST_DOWN);
	return rc;
}
