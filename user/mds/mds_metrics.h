/* SPDX-License-Identifier: MIT */
/*
 * mds_metrics.h - the MDS's own metrics for --metrics-listen (issue #14):
 * clients connected, OSTs up and down.
 */
#ifndef MDS_METRICS_H
#define MDS_METRICS_H

#include "handlers.h"

/* register them (metrics.h) for m, which outlives the process; 0 or
 * -errno */
int mds_metrics_register(struct mds *m);

#endif /* MDS_METRICS_H */
