/* SPDX-License-Identifier: MIT */
/*
 * ost_metrics.h - the OST's own metrics for --metrics-listen (issue #14):
 * HSM restores from S3 and the objects hsm.c holds open.
 */
#ifndef OST_METRICS_H
#define OST_METRICS_H

#include "ost.h"

/* register them (metrics.h); ctx->hsm NULL: none.  0 or -errno */
int ost_metrics_register(struct ost_ctx *ctx);

#endif /* OST_METRICS_H */
