// SPDX-License-Identifier: MIT
/*
 * test_stats - the STATS request (issue #11): tess_msg_check of its
 * request (empty body only) and reply (fixed part, nops records in
 * increasing opcode order, pad zero, nops <= TESS_STATS_OPS_MAX, nothing
 * after them), and user/lib/tnet_stats.c: the reply built from the
 * counters of metrics.c decodes to them.
 */
#include <string.h>

#include "metrics.h"
#include "tnet.h"
#include "tnet_stats.h"
#include "tu.h"

#define REP	sizeof(struct tess_stats_rep)
#define OP	sizeof(struct tess_stats_op)

static uint8_t body[REP + (TESS_STATS_OPS_MAX + 1) * OP];

static struct tess_frame frame(uint32_t flags, uint32_t len)
{
	struct tess_frame f = { .xid = 9, .opcode = TESS_OP_STATS,
				.version = TESS_PROTO_VERSION, .flags = flags,
				.body_len = len };
	return f;
}

/* a reply of n records, opcodes 1, 2, ... */
static uint32_t put_reply(uint32_t n)
{
	struct tess_stats_rep *r = (void *)body;

	memset(body, 0, sizeof(body));
	r->nops = cpu_to_le32(n);
	for (uint32_t i = 0; i < n; i++) {
		struct tess_stats_op *o = (void *)(body + REP + i * OP);

		o->opcode = cpu_to_le16((uint16_t)(i + 1));
		o->count = cpu_to_le64(i + 10);
	}
	return (uint32_t)(REP + n * OP);
}

TU_CASE(opcode_named)
{
	TU_EQ_INT(TESS_OP_STATS, 4);
	TU_CHECK(strcmp(tess_op_name(TESS_OP_STATS), "stats") == 0);
	TU_EQ_U64(sizeof(struct tess_stats_rep), 88);
	TU_EQ_U64(sizeof(struct tess_stats_op), 24);
}

TU_CASE(request_empty_only)
{
	struct tess_frame f = frame(TESS_HF_REQUEST, 0);
	struct tess_hdr h;

	memset(body, 0, sizeof(body));
	tess_hdr_encode(&h, &f);
	TU_EQ_INT(tess_hdr_decode(&h, &f), 0);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	for (uint32_t len = 1; len <= 16; len++) {
		f = frame(TESS_HF_REQUEST, len);
		TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	}
	f = frame(TESS_HF_REQUEST, 0);
	f.bulk_len = 8;		/* no bulk either */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
}

TU_CASE(reply_lengths)
{
	struct tess_frame f;
	uint32_t len;

	len = put_reply(0);
	f = frame(TESS_HF_REPLY, len);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f = frame(TESS_HF_REPLY, len - 1);		/* short */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f = frame(TESS_HF_REPLY, 0);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);

	len = put_reply(3);
	f = frame(TESS_HF_REPLY, len);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	f = frame(TESS_HF_REPLY, len - OP);		/* a record missing */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f = frame(TESS_HF_REPLY, len + 8);		/* trailing bytes */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);

	len = put_reply(TESS_STATS_OPS_MAX);
	f = frame(TESS_HF_REPLY, len);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
	len = put_reply(TESS_STATS_OPS_MAX + 1);	/* over the bound */
	f = frame(TESS_HF_REPLY, len);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);

	/* an error reply: at most a 64-byte hint, as every opcode */
	f = frame(TESS_HF_REPLY, 0);
	f.status = EOPNOTSUPP;
	TU_EQ_INT(tess_msg_check(&f, body), 0);
}

TU_CASE(reply_records)
{
	struct tess_stats_op *o = (void *)(body + REP + OP);
	struct tess_frame f = frame(TESS_HF_REPLY, put_reply(3));

	o->opcode = cpu_to_le16(1);	/* not above the one before */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f = frame(TESS_HF_REPLY, put_reply(3));
	o->pad0 = cpu_to_le16(1);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f = frame(TESS_HF_REPLY, put_reply(3));
	o->pad1 = cpu_to_le32(1);
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	/* an opcode this side does not know is kept, in order */
	f = frame(TESS_HF_REPLY, put_reply(3));
	o->opcode = cpu_to_le16(0xffff);	/* then 3 after it */
	TU_EQ_INT(tess_msg_check(&f, body), -EBADMSG);
	f = frame(TESS_HF_REPLY, put_reply(3));
	o = (void *)(body + REP + 2 * OP);	/* the last one */
	o->opcode = cpu_to_le16(0xffff);
	TU_EQ_INT(tess_msg_check(&f, body), 0);
}

/* the reply of the server library from the counters metrics.c keeps */
TU_CASE(reply_from_metrics)
{
	static struct tnet_server s;
	static struct tnet_stats st;
	uint8_t buf[TESS_MAX_BODY];
	struct tess_buf b;
	uint64_t get = 0, write = 0;

	tmetrics_request(TESS_OP_GETATTR, 0, 1000, 0, 0);
	tmetrics_request(TESS_OP_GETATTR, -ENOENT, 500, 0, 0);
	tmetrics_request(TESS_OP_OBJ_WRITE, 0, 2000, 4096, 0);
	tmetrics_request(TESS_OP_OBJ_READ, 0, 3000, 0, 8192);
	tmetrics_request(0xfff0, EOPNOTSUPP, 10, 0, 0);	/* unknown op */
	tmetrics_conn(TESS_ROLE_CLIENT, 1);
	tmetrics_conn(TESS_ROLE_OST, 1);
	tmetrics_conn(TESS_ROLE_OST, 1);

	memset(&s, 0, sizeof(s));
	s.start_ns = tmetrics_now_ns() - 5000000000ull;
	atomic_store(&s.inflight, 3);	/* this one and two others */
	tess_buf_init(&b, buf, sizeof(buf));
	tnet_stats_reply(&s, &b);
	TU_EQ_INT(b.err, 0);
	TU_EQ_U64(b.len, REP + 3 * OP);
	TU_EQ_INT(tnet_stats_decode(buf, b.len, &st), 0);
	TU_CHECK(st.uptime_ms >= 5000 && st.uptime_ms < 6000);
	TU_EQ_U64(st.requests, 5);
	TU_EQ_U64(st.errors, 2);
	TU_EQ_U64(st.bulk_in, 4096);
	TU_EQ_U64(st.bulk_out, 8192);
	TU_EQ_U64(st.in_flight, 2);
	TU_EQ_U64(st.conns_open[0], 1);
	TU_EQ_U64(st.conns_open[1], 2);
	TU_EQ_U64(st.conns_open[2], 0);
	TU_EQ_U64(st.conns_total, 3);
	TU_EQ_U64(st.nops, 3);
	for (uint32_t i = 0; i < st.nops; i++) {
		if (st.ops[i].opcode == TESS_OP_GETATTR) {
			get = st.ops[i].count;
			TU_EQ_U64(st.ops[i].time_ns, 1500);
		}
		if (st.ops[i].opcode == TESS_OP_OBJ_WRITE)
			write = st.ops[i].count;
	}
	TU_EQ_U64(get, 2);
	TU_EQ_U64(write, 1);

	/* decode checks what it is given, whatever its source */
	TU_EQ_INT(tnet_stats_decode(buf, b.len - 1, &st), -EBADMSG);
	TU_EQ_INT(tnet_stats_decode(buf, 0, &st), -EBADMSG);

	/* too small a buffer: an error, not an overrun */
	tess_buf_init(&b, buf, REP + OP);
	tnet_stats_reply(&s, &b);
	TU_CHECK(b.err != 0);
}

int main(void)
{
	tu_suite = "stats";
	TU_RUN(opcode_named);
	TU_RUN(request_empty_only);
	TU_RUN(reply_lengths);
	TU_RUN(reply_records);
	TU_RUN(reply_from_metrics);
	return tu_done();
}
