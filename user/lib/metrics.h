/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - process-wide counters of a daemon, exported in the text
 * exposition format of Prometheus on --metrics-listen HOST:PORT (issue
 * #14).
 *
 * tnet.c counts every request it serves (by opcode, a latency histogram
 * per opcode, errors by status, bulk bytes in and out) and connections
 * (open by role, refused before authentication); a daemon registers its
 * own counters and gauges (tmetrics_register_fn / _u64).  Counting is a
 * relaxed atomic add and is always on; only the HTTP responder is
 * optional.
 */
#ifndef TMETRICS_H
#define TMETRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tessera.h"
#include "tnet.h"

/* latency buckets (upper bounds, seconds): 100 us .. 10 s, then +Inf */
#define TMETRICS_NBUCKETS	16
extern const double tmetrics_bucket_le[TMETRICS_NBUCKETS];

/* the HTTP responder: one request at a time, within these bounds */
#define TMETRICS_REQ_MAX	4096	/* request line and headers, bytes */
#define TMETRICS_READ_MS	2000	/* the whole request, from accept */
#define TMETRICS_SEND_MS	2000	/* each send of the reply */

/* registered metrics, in all */
#define TMETRICS_MAX		64

/* ---- recording (tnet.c) ---- */
uint64_t tmetrics_now_ns(void);		/* CLOCK_MONOTONIC */
/* a request of op answered status (0 or an errno, either sign) after ns,
 * with rx bulk bytes received and tx bulk bytes sent */
void tmetrics_request(uint16_t op, int status, uint64_t ns, uint64_t rx,
		      uint64_t tx);
/* an authenticated connection of role (TESS_ROLE_*) opened (+1) or
 * closed (-1) */
void tmetrics_conn(int role, int delta);
/* closed before authentication: per_addr (TNET_PREAUTH_PER_ADDR from one
 * address) or for the total (TNET_PREAUTH_MAX) */
void tmetrics_conn_refused(bool per_addr);
/* a handshake that failed (wrong key, timeout, garbage) */
void tmetrics_handshake_failed(void);

/* ---- a snapshot of the built-in counters (the STATS reply) ---- */
#define TMETRICS_NOPS		(TESS_OP_MAX + 1)	/* last: "unknown" */
#define TMETRICS_NROLES		(TESS_ROLE_ADMIN + 1)	/* 0: unknown */

struct tmetrics_snap {
	uint64_t op_count[TMETRICS_NOPS];	/* requests answered */
	uint64_t op_ns[TMETRICS_NOPS];		/* their time, summed */
	uint64_t requests;			/* sum of op_count */
	uint64_t errors;			/* answered with a status */
	uint64_t rx_bytes, tx_bytes;		/* bulk in, out */
	int64_t conns[TMETRICS_NROLES];		/* open now, by role */
	uint64_t conns_total, refused, handshake_failed;
};

/* each counter read once (relaxed): not one instant, but none torn */
void tmetrics_snapshot(struct tmetrics_snap *s);

/* ---- daemon-specific metrics ---- */
enum tmetrics_type { TMETRICS_COUNTER, TMETRICS_GAUGE };
typedef double (*tmetrics_fn)(void *arg);

/*
 * name: a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), optionally with labels,
 * e.g. tessera_mds_osts{state="up"}; registrations of one name without
 * labels (a family) share help and type (its # HELP and # TYPE lines).
 * fn(arg) is called at each scrape, under the registry's lock: it may take
 * its own locks but must not register.  name and help must outlive the
 * process (string literals).  0, or -EINVAL (bad name, a family of
 * another type), -EEXIST (the same name and labels), -ENOSPC (past
 * TMETRICS_MAX).
 */
int tmetrics_register_fn(const char *name, const char *help,
			 enum tmetrics_type type, tmetrics_fn fn, void *arg);
/* the same, reading *p (relaxed) at each scrape */
int tmetrics_register_u64(const char *name, const char *help,
			  enum tmetrics_type type, const _Atomic uint64_t *p);
/*
 * At shutdown, before freeing what the registered callbacks and pointers
 * read: waits for a scrape in progress, after which they are not read
 * (scrapes serve the built-in counters only).
 */
void tmetrics_stop(void);

/* ---- exposition ---- */
/* every metric, in the text format (version 0.0.4); 0 or -errno */
int tmetrics_render(FILE *f);
/* a number as the format writes it: integers without exponent, NaN,
 * +Inf, -Inf; else %.15g, or %.17g where that is not exact */
void tmetrics_fmt_value(char *buf, size_t len, double v);

/*
 * --metrics-listen HOST:PORT: bind and listen (errors in err), then a
 * thread answers GET /metrics (200), any other path 404, another method
 * 405, a request past TMETRICS_REQ_MAX 431, one not complete within
 * TMETRICS_READ_MS 408.  *port: the port bound (PORT 0 is not accepted by
 * tnet_addr_parse; a caller may still pass a zero port).  0 or -errno.
 */
int tmetrics_serve(const struct tnet_addr *a, uint16_t *port, char *err,
		   size_t errlen);

#endif /* TMETRICS_H */
