// SPDX-License-Identifier: MIT
/*
 * tnet_stats.c - STATS (issue #11): what a server reports of itself, the
 * counters metrics.c keeps for --metrics-listen (nothing is counted
 * twice) and the requests in flight tnet_server.c keeps for draining.
 * See include/tessera.h for the wire format.
 */
#include <string.h>

#include "metrics.h"
#include "tnet.h"
#include "tnet_stats.h"

void tnet_stats_reply(struct tnet_server *s, struct tess_buf *b)
{
	struct tmetrics_snap snap_buf, *snap = &snap_buf;
	struct tess_stats_rep *r;
	uint32_t nops = 0;
	int inflight;

	tmetrics_snapshot(snap);
	r = tess_buf_reserve(b, sizeof(*r));
	if (!r)
		return;
	r->uptime_ms = cpu_to_le64((tmetrics_now_ns() - s->start_ns) /
				   1000000u);
	r->requests = cpu_to_le64(snap->requests);
	r->errors = cpu_to_le64(snap->errors);
	r->bulk_in = cpu_to_le64(snap->rx_bytes);
	r->bulk_out = cpu_to_le64(snap->tx_bytes);
	r->conns_total = cpu_to_le64(snap->conns_total);
	r->handshakes_failed = cpu_to_le64(snap->handshake_failed);
	r->conns_refused = cpu_to_le64(snap->refused);
	/* this STATS request is in flight too: not counted */
	inflight = atomic_load(&s->inflight) - 1;
	r->in_flight = cpu_to_le32(inflight > 0 ? (uint32_t)inflight : 0);
	for (int role = TESS_ROLE_CLIENT; role <= TESS_ROLE_ADMIN; role++)
		r->conns_open[role - 1] = cpu_to_le32(snap->conns[role] > 0 ?
					(uint32_t)snap->conns[role] : 0);
	/* the known opcodes; those past TESS_OP_MAX only in requests */
	for (unsigned op = 0; op < TESS_OP_MAX && nops < TESS_STATS_OPS_MAX;
	     op++) {
		struct tess_stats_op *o;

		if (!snap->op_count[op])
			continue;
		o = tess_buf_reserve(b, sizeof(*o));
		if (!o)
			return;
		o->opcode = cpu_to_le16((uint16_t)op);
		o->count = cpu_to_le64(snap->op_count[op]);
		o->time_ns = cpu_to_le64(snap->op_ns[op]);
		nops++;
	}
	r = (struct tess_stats_rep *)b->data;
	r->nops = cpu_to_le32(nops);
}

int tnet_stats_decode(const void *body, uint32_t len, struct tnet_stats *st)
{
	struct tess_frame f = { .opcode = TESS_OP_STATS,
				.version = TESS_PROTO_VERSION,
				.flags = TESS_HF_REPLY, .body_len = len };
	struct tess_stats_rep r;
	const uint8_t *p = body;

	if (tess_msg_check(&f, body))
		return -EBADMSG;
	memcpy(&r, p, sizeof(r));
	memset(st, 0, sizeof(*st));
	st->uptime_ms = le64_to_cpu(r.uptime_ms);
	st->requests = le64_to_cpu(r.requests);
	st->errors = le64_to_cpu(r.errors);
	st->bulk_in = le64_to_cpu(r.bulk_in);
	st->bulk_out = le64_to_cpu(r.bulk_out);
	st->conns_total = le64_to_cpu(r.conns_total);
	st->handshakes_failed = le64_to_cpu(r.handshakes_failed);
	st->conns_refused = le64_to_cpu(r.conns_refused);
	st->in_flight = le32_to_cpu(r.in_flight);
	for (int i = 0; i < 4; i++)
		st->conns_open[i] = le32_to_cpu(r.conns_open[i]);
	st->nops = le32_to_cpu(r.nops);
	p += sizeof(r);
	for (uint32_t i = 0; i < st->nops; i++, p += sizeof(struct tess_stats_op)) {
		struct tess_stats_op o;

		memcpy(&o, p, sizeof(o));
		st->ops[i].opcode = le16_to_cpu(o.opcode);
		st->ops[i].count = le64_to_cpu(o.count);
		st->ops[i].time_ns = le64_to_cpu(o.time_ns);
	}
	return 0;
}
