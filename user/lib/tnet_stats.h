/* SPDX-License-Identifier: MIT */
/*
 * tnet_stats.h - the STATS request (include/tessera.h, issue #11): the
 * server library's reply, built from the counters of metrics.h, and its
 * decoding for tools (tessctl stats --servers).
 */
#ifndef TNET_STATS_H
#define TNET_STATS_H

#include <stdint.h>

#include "tess_wire.h"

struct tnet_server;

/* the reply body of a STATS request into b (b->err on overflow) */
void tnet_stats_reply(struct tnet_server *s, struct tess_buf *b);

/* a STATS reply, decoded */
struct tnet_stats {
	uint64_t uptime_ms, requests, errors, bulk_in, bulk_out;
	uint64_t conns_total, handshakes_failed, conns_refused;
	uint32_t in_flight;
	uint32_t conns_open[4];		/* client, OST, MDS, admin */
	uint32_t nops;
	struct tnet_stats_op {
		uint16_t opcode;
		uint64_t count, time_ns;
	} ops[TESS_STATS_OPS_MAX];
};

/*
 * A reply body of len bytes (checked by tess_msg_check already, checked
 * again here, so any buffer is safe) into st.  0 or -EBADMSG.
 */
int tnet_stats_decode(const void *body, uint32_t len, struct tnet_stats *st);

#endif /* TNET_STATS_H */
