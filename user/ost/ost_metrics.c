// SPDX-License-Identifier: MIT
/*
 * ost_metrics.c - the OST's own metrics (issue #14): hsm.c's counters,
 * read under its lock (ost_hsm_stats) at each scrape.
 */
#include <stddef.h>

#include "metrics.h"
#include "ost_metrics.h"

/* one row per metric; `off` is the field of struct ost_hsm_stats */
static struct hsm_metric {
	const char *name, *help;
	int type;
	size_t off, size;
	struct ost_hsm *hsm;
} hsm_metrics[] = {
#define HSM_METRIC(n, h, t, f) { n, h, t, offsetof(struct ost_hsm_stats, f), \
				 sizeof(((struct ost_hsm_stats *)0)->f), NULL }
	HSM_METRIC("tessera_ost_hsm_fetches_total",
		   "HSM restores from S3 done (chunk runs fetched).",
		   TMETRICS_COUNTER, fetches),
	HSM_METRIC("tessera_ost_hsm_fetched_bytes_total",
		   "Bytes restored from S3.", TMETRICS_COUNTER, bytes_fetched),
	HSM_METRIC("tessera_ost_hsm_fetch_errors_total",
		   "HSM restores from S3 that failed.",
		   TMETRICS_COUNTER, fetch_errors),
	HSM_METRIC("tessera_ost_hsm_evictions_total",
		   "Objects whose restored data was released to make room "
		   "(--cache-high, or a full store).",
		   TMETRICS_COUNTER, evictions),
	HSM_METRIC("tessera_ost_hsm_evicted_bytes_total",
		   "Restored bytes released to make room.",
		   TMETRICS_COUNTER, bytes_evicted),
	HSM_METRIC("tessera_ost_hsm_objects_cached",
		   "HSM objects held open in the cache.", TMETRICS_GAUGE, cached),
#undef HSM_METRIC
};

static double hsm_value(void *arg)
{
	const struct hsm_metric *m = arg;
	struct ost_hsm_stats st;
	const char *p = (const char *)&st + m->off;

	ost_hsm_stats(m->hsm, &st);
	if (m->size == sizeof(uint32_t))
		return (double)*(const uint32_t *)p;
	return (double)*(const uint64_t *)p;
}

int ost_metrics_register(struct ost_ctx *ctx)
{
	size_t i;
	int rc;

	if (!ctx->hsm)
		return 0;
	for (i = 0; i < sizeof(hsm_metrics) / sizeof(hsm_metrics[0]); i++) {
		hsm_metrics[i].hsm = ctx->hsm;
		rc = tmetrics_register_fn(hsm_metrics[i].name, hsm_metrics[i].help,
					  hsm_metrics[i].type, hsm_value,
					  &hsm_metrics[i]);
		if (rc)
			return rc;
	}
	return 0;
}
