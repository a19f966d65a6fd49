// SPDX-License-Identifier: MIT
/*
 * ost_metrics.c - the OST's own metrics (issue #14): hsm.c's counters,
 * read under its lock (ost_hsm_stats) at each scrape.
 */
#include "metrics.h"
#include "ost_metrics.h"

static double hsm_fetches(void *arg)
{
	struct ost_hsm_stats st;

	ost_hsm_stats(arg, &st);
	return (double)st.fetches;
}

static double hsm_bytes(void *arg)
{
	struct ost_hsm_stats st;

	ost_hsm_stats(arg, &st);
	return (double)st.bytes_fetched;
}

static double hsm_errors(void *arg)
{
	struct ost_hsm_stats st;

	ost_hsm_stats(arg, &st);
	return (double)st.fetch_errors;
}

static double hsm_cached(void *arg)
{
	struct ost_hsm_stats st;

	ost_hsm_stats(arg, &st);
	return (double)st.cached;
}

int ost_metrics_register(struct ost_ctx *ctx)
{
	int rc;

	if (!ctx->hsm)
		return 0;
	rc = tmetrics_register_fn("tessera_ost_hsm_fetches_total",
				  "HSM restores from S3 done (chunk runs fetched).",
				  TMETRICS_COUNTER, hsm_fetches, ctx->hsm);
	if (!rc)
		rc = tmetrics_register_fn("tessera_ost_hsm_fetched_bytes_total",
					  "Bytes restored from S3.",
					  TMETRICS_COUNTER, hsm_bytes, ctx->hsm);
	if (!rc)
		rc = tmetrics_register_fn("tessera_ost_hsm_fetch_errors_total",
					  "HSM restores from S3 that failed.",
					  TMETRICS_COUNTER, hsm_errors, ctx->hsm);
	if (!rc)
		rc = tmetrics_register_fn("tessera_ost_hsm_objects_cached",
					  "HSM objects held open in the cache.",
					  TMETRICS_GAUGE, hsm_cached, ctx->hsm);
	return rc;
}
