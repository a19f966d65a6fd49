// SPDX-License-Identifier: MIT
/*
 * Host tests of what @rdma needs without a device: addresses with @rdma
 * and OST address lists (tnet.c), the private data, message checks and
 * credit accounting of include/tessera.h's "network type rdma"
 * (tnet_rdma_proto.c).  The verbs themselves run in the VM only.
 */
#include <stdlib.h>

#include "tess_wire.h"
#include "tessera.h"
#include "tnet.h"
#include "tnet_rdma.h"
#include "tu.h"

TU_CASE(addr_parse_table)
{
	static const struct {
		const char *s;
		int rc;
		const char *host, *net;
		unsigned port;
	} t[] = {
		{ "10.0.0.5@rdma", 0, "10.0.0.5", "rdma", 7430 },
		{ "10.0.0.5:7431@rdma", 0, "10.0.0.5", "rdma", 7431 },
		{ "10.0.0.5:7431@tcp", 0, "10.0.0.5", "tcp", 7431 },
		{ "10.0.0.5", 0, "10.0.0.5", "tcp", 7430 },
		{ "host.example:1", 0, "host.example", "tcp", 1 },
		{ "10.0.0.5@ib", -EINVAL, NULL, NULL, 0 },
		{ "10.0.0.5@o2ib", -EINVAL, NULL, NULL, 0 },
		{ "10.0.0.5@", -EINVAL, NULL, NULL, 0 },
		{ "10.0.0.5@RDMA", -EINVAL, NULL, NULL, 0 },
		{ "10.0.0.5@rdma0", -EINVAL, NULL, NULL, 0 },
		{ "@rdma", -EINVAL, NULL, NULL, 0 },
		{ "10.0.0.5:0@rdma", -EINVAL, NULL, NULL, 0 },
		{ "10.0.0.5:x@rdma", -EINVAL, NULL, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tnet_addr a;
		char err[128] = "";
		int rc = tnet_addr_parse(t[i].s, 7430, &a, err, sizeof(err));

		TU_EQ_INT(rc, t[i].rc);
		if (rc) {
			TU_CHECK(err[0]);
			continue;
		}
		TU_CHECK(!strcmp(a.host, t[i].host));
		TU_CHECK(!strcmp(a.net, t[i].net));
		TU_EQ_INT(a.port, t[i].port);
	}
}

TU_CASE(addr_refusal_names_networks)
{
	struct tnet_addr a;
	char err[128] = "";

	TU_EQ_INT(tnet_addr_parse("1.2.3.4@ib", 1, &a, err, sizeof(err)),
		  -EINVAL);
	TU_CHECK(strstr(err, "'ib'") != NULL);
	TU_CHECK(strstr(err, "tcp or rdma") != NULL);
}

TU_CASE(addr_format_roundtrip)
{
	struct tnet_addr a, b;
	char buf[128];

	TU_EQ_INT(tnet_addr_parse("10.77.0.10:7431@rdma", 1, &a, NULL, 0), 0);
	tnet_addr_format(&a, buf, sizeof(buf));
	TU_CHECK(!strcmp(buf, "10.77.0.10:7431@rdma"));
	TU_EQ_INT(tnet_addr_parse(buf, 1, &b, NULL, 0), 0);
	TU_CHECK(!memcmp(&a, &b, sizeof(a)));
}

TU_CASE(addr_pick_table)
{
	static const struct {
		const char *list, *net;
		int rc;
		const char *want;	/* formatted */
	} t[] = {
		{ "10.77.0.10:7431@rdma,10.77.0.10:7431@tcp", "rdma", 0,
		  "10.77.0.10:7431@rdma" },
		{ "10.77.0.10:7431@rdma,10.77.0.10:7431@tcp", "tcp", 0,
		  "10.77.0.10:7431@tcp" },
		{ "10.77.0.10:7431@rdma,10.77.0.10:7431@tcp", NULL, 0,
		  "10.77.0.10:7431@tcp" },
		{ "10.77.0.10:7431@tcp,10.77.0.11:7431@rdma", "rdma", 0,
		  "10.77.0.11:7431@rdma" },
		/* no entry of the client's network: the first @tcp one */
		{ "1.1.1.1:1@rdma,2.2.2.2:2@tcp,3.3.3.3:3@tcp", "sock", 0,
		  "2.2.2.2:2@tcp" },
		/* a single entry (every OST before lists) */
		{ "10.0.0.1:7431@tcp", "rdma", 0, "10.0.0.1:7431@tcp" },
		{ "10.0.0.1", "tcp", 0, "10.0.0.1:9@tcp" },
		/* only @rdma and a @tcp client: the first entry */
		{ "10.0.0.1:5@rdma", "tcp", 0, "10.0.0.1:5@rdma" },
		{ "", "tcp", -EINVAL, NULL },
		{ "10.0.0.1:1@tcp,", "tcp", -EINVAL, NULL },
		{ ",10.0.0.1:1@tcp", "tcp", -EINVAL, NULL },
		{ "10.0.0.1:1@tcp,,10.0.0.2:1@tcp", "tcp", -EINVAL, NULL },
		{ "10.0.0.1:1@tcp,10.0.0.2:1@ib", "tcp", -EINVAL, NULL },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tnet_addr a;
		char err[128] = "", buf[128];
		int rc = tnet_addr_pick(t[i].list, t[i].net, 9, &a, err,
					sizeof(err));

		TU_EQ_INT(rc, t[i].rc);
		TU_EQ_INT(tnet_addr_list_check(t[i].list, 9, NULL, 0), t[i].rc);
		if (rc) {
			TU_CHECK(err[0]);
			continue;
		}
		tnet_addr_format(&a, buf, sizeof(buf));
		if (strcmp(buf, t[i].want))
			TU_FAIL_AT("case %zu: picked %s, expected %s", i, buf,
				   t[i].want);
	}
}

TU_CASE(addr_list_fits)
{
	/* the brief's example fits TESS_ADDR_MAX */
	TU_CHECK(strlen("10.77.0.10:7431@rdma,10.77.0.10:7431@tcp") <=
		 TESS_ADDR_MAX);
	TU_CHECK(strlen("255.255.255.255:65535@rdma,"
			"255.255.255.255:65535@tcp") <= TESS_ADDR_MAX);
}

/* ---- private data ---- */

static size_t cm_with(struct tess_rdma_cm *cm, uint32_t magic, uint16_t ver,
		      uint16_t credits, uint32_t buf, uint32_t reserved)
{
	cm->magic = cpu_to_le32(magic);
	cm->version = cpu_to_le16(ver);
	cm->credits = cpu_to_le16(credits);
	cm->buf_size = cpu_to_le32(buf);
	cm->reserved = cpu_to_le32(reserved);
	return sizeof(*cm);
}

TU_CASE(cm_fill_layout)
{
	struct tess_rdma_cm cm;
	const uint8_t *b = (const uint8_t *)&cm;

	TU_EQ_INT(sizeof(cm), 16);
	TU_EQ_INT(sizeof(struct tess_rdma_msg), 8);
	tnet_rdma_cm_fill(&cm, 16, 65536);
	/* "TRDM", version 1, 16 credits, 65536 bytes, reserved 0 */
	TU_CHECK(!memcmp(b, "TRDM", 4));
	TU_EQ_INT(b[4], 1);
	TU_EQ_INT(b[5], 0);
	TU_EQ_INT(b[6], 16);
	TU_EQ_INT(b[7], 0);
	TU_EQ_INT(b[8], 0);
	TU_EQ_INT(b[9], 0);
	TU_EQ_INT(b[10], 1);
	TU_EQ_INT(b[11], 0);
	for (int i = 12; i < 16; i++)
		TU_EQ_INT(b[i], 0);
}

TU_CASE(cm_take_table)
{
	static const struct {
		uint32_t magic;
		uint16_t ver, credits;
		uint32_t buf, reserved;
		size_t len;		/* 0: 16 */
		int rc;
	} t[] = {
		{ TESS_RDMA_MAGIC, 1, 16, 65536, 0, 0, 0 },
		{ TESS_RDMA_MAGIC, 1, 2, 4096, 0, 0, 0 },
		{ TESS_RDMA_MAGIC, 1, 1024, 1 << 20, 0, 0, 0 },
		/* padded by the transport (IB CM): fine */
		{ TESS_RDMA_MAGIC, 1, 16, 65536, 0, 56, 0 },
		{ TESS_RDMA_MAGIC, 1, 16, 65536, 0, 15, -EPROTO },
		{ TESS_RDMA_MAGIC + 1, 1, 16, 65536, 0, 0, -EPROTO },
		{ TESS_RDMA_MAGIC, 2, 16, 65536, 0, 0, -EPROTO },
		{ TESS_RDMA_MAGIC, 0, 16, 65536, 0, 0, -EPROTO },
		{ TESS_RDMA_MAGIC, 1, 0, 65536, 0, 0, -EPROTO },
		{ TESS_RDMA_MAGIC, 1, 1, 65536, 0, 0, -EPROTO },
		{ TESS_RDMA_MAGIC, 1, 1025, 65536, 0, 0, -EPROTO },
		{ TESS_RDMA_MAGIC, 1, 16, 4095, 0, 0, -EPROTO },
		{ TESS_RDMA_MAGIC, 1, 16, (1 << 20) + 1, 0, 0, -EPROTO },
		{ TESS_RDMA_MAGIC, 1, 16, 65536, 1, 0, -EPROTO },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t pd[64] = { 0 };
		struct tess_rdma_cm cm;
		struct tnet_rdma_credits cr;
		char why[160] = "";
		size_t len = cm_with(&cm, t[i].magic, t[i].ver, t[i].credits,
				     t[i].buf, t[i].reserved);
		int rc;

		memcpy(pd, &cm, sizeof(cm));
		if (t[i].len)
			len = t[i].len;
		tnet_rdma_credits_init(&cr, 16, 65536);
		rc = tnet_rdma_cm_take(&cr, pd, len, why, sizeof(why));
		if (rc != t[i].rc)
			TU_FAIL_AT("case %zu: %d, expected %d (%s)", i, rc,
				   t[i].rc, why);
		if (rc) {
			TU_CHECK(why[0]);
			continue;
		}
		TU_EQ_INT(cr.credits, t[i].credits);
		TU_EQ_INT(cr.peer_posted, t[i].credits);
		TU_EQ_INT(cr.peer_buf, t[i].buf);
	}
	{
		struct tnet_rdma_credits cr;
		char why[64];

		tnet_rdma_credits_init(&cr, 16, 65536);
		TU_EQ_INT(tnet_rdma_cm_take(&cr, NULL, 0, why, sizeof(why)),
			  -EPROTO);
	}
}

/* ---- messages and credits ---- */

/* a side whose peer posted peer_posted buffers of 64 KiB; we hold held */
static void side(struct tnet_rdma_credits *cr, uint32_t peer_posted,
		 uint32_t held)
{
	struct tess_rdma_cm cm;

	tnet_rdma_credits_init(cr, TNET_RDMA_RECVS, TNET_RDMA_BUF);
	tnet_rdma_cm_fill(&cm, peer_posted, TNET_RDMA_BUF);
	tnet_rdma_cm_take(cr, &cm, sizeof(cm), NULL, 0);
	cr->credits = held;
}

static void msg(uint8_t *b, uint32_t len, uint16_t credits, uint16_t reserved)
{
	struct tess_rdma_msg m = { .len = cpu_to_le32(len),
				   .credits = cpu_to_le16(credits),
				   .reserved = cpu_to_le16(reserved) };

	memcpy(b, &m, sizeof(m));
}

TU_CASE(msg_take_table)
{
	static const struct {
		uint32_t held;		/* of 16 */
		uint32_t len, byte_len;
		uint16_t credits, reserved;
		int rc;
		uint32_t held_after;
	} t[] = {
		{ 16, 100, 108, 0, 0, 0, 16 },
		{ 10, 100, 108, 6, 0, 0, 16 },
		{ 10, 0, 8, 6, 0, 0, 16 },		/* a credit return */
		{ 10, 0, 8, 0, 0, 0, 10 },
		{ 0, 65528, 65536, 16, 0, 0, 16 },	/* a full buffer */
		{ 10, 100, 108, 7, 0, -EPROTO, 10 },	/* beyond posted */
		{ 16, 0, 8, 1, 0, -EPROTO, 16 },
		{ 10, 100, 109, 0, 0, -EPROTO, 10 },	/* len mismatch */
		{ 10, 101, 108, 0, 0, -EPROTO, 10 },
		{ 10, 0, 7, 0, 0, -EPROTO, 10 },	/* shorter than header */
		{ 10, 0, 0, 0, 0, -EPROTO, 10 },
		{ 10, 65529, 65537, 0, 0, -EPROTO, 10 }, /* over our buffer */
		{ 10, 100, 108, 0, 1, -EPROTO, 10 },	/* reserved */
		{ 10, 100, 108, 0, 0x8000, -EPROTO, 10 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tnet_rdma_credits cr;
		uint8_t b[8];
		uint32_t len = 12345;
		char why[160] = "";
		int rc;

		side(&cr, 16, t[i].held);
		msg(b, t[i].len, t[i].credits, t[i].reserved);
		rc = tnet_rdma_msg_take(&cr, b, t[i].byte_len, &len, why,
					sizeof(why));
		if (rc != t[i].rc)
			TU_FAIL_AT("case %zu: %d, expected %d (%s)", i, rc,
				   t[i].rc, why);
		TU_EQ_INT(cr.credits, t[i].held_after);
		if (rc)
			TU_CHECK(why[0]);
		else
			TU_EQ_INT(len, t[i].len);
	}
}

TU_CASE(send_rules)
{
	struct tnet_rdma_credits cr;
	struct tess_rdma_msg m;

	side(&cr, 16, 2);
	TU_CHECK(tnet_rdma_can_send(&cr, true));
	TU_CHECK(tnet_rdma_can_send(&cr, false));
	cr.owed = 5;
	tnet_rdma_msg_fill(&cr, &m, 1000);
	/* owed credits ride along, and the credit is spent */
	TU_EQ_INT(le32_to_cpu(m.len), 1000);
	TU_EQ_INT(le16_to_cpu(m.credits), 5);
	TU_EQ_INT(m.reserved, 0);
	TU_EQ_INT(cr.owed, 0);
	TU_EQ_INT(cr.credits, 1);
	/* the last credit is for credit returns only */
	TU_CHECK(!tnet_rdma_can_send(&cr, true));
	TU_CHECK(tnet_rdma_can_send(&cr, false));
	tnet_rdma_msg_fill(&cr, &m, 0);
	TU_EQ_INT(cr.credits, 0);
	TU_CHECK(!tnet_rdma_can_send(&cr, false));
	TU_EQ_INT(tnet_rdma_max_payload(&cr), TNET_RDMA_BUF - 8);
	/* a peer with smaller buffers: messages fit them */
	cr.peer_buf = 4096;
	TU_EQ_INT(tnet_rdma_max_payload(&cr), 4096 - 8);
}

TU_CASE(credit_return_due_at_half)
{
	struct tnet_rdma_credits cr;

	side(&cr, 16, 16);
	TU_CHECK(!tnet_rdma_return_due(&cr));
	for (int i = 1; i < TNET_RDMA_RECVS / 2; i++) {
		tnet_rdma_reposted(&cr);
		TU_CHECK(!tnet_rdma_return_due(&cr));
	}
	tnet_rdma_reposted(&cr);
	TU_CHECK(tnet_rdma_return_due(&cr));
}

/*
 * Two sides, a 16 MiB stream one way (the server only reads during a
 * bulk write): the sender never runs dry for good, the credits add up
 * at every step and never go past what was posted.
 */
TU_CASE(bulk_write_credit_flow)
{
	struct tnet_rdma_credits cl, sv;
	uint32_t inflight_cs = 0, inflight_sc = 0;	/* messages in flight */
	uint64_t left = 16u << 20, steps = 0;
	uint16_t cs_credits[TNET_RDMA_RECVS * 2], sc_credits[TNET_RDMA_RECVS * 2];
	uint32_t cs_len[TNET_RDMA_RECVS * 2];

	side(&cl, TNET_RDMA_RECVS, TNET_RDMA_RECVS);
	side(&sv, TNET_RDMA_RECVS, TNET_RDMA_RECVS);
	while ((left || inflight_cs || inflight_sc) && steps++ < 100000) {
		struct tess_rdma_msg m;
		uint8_t b[8];
		uint32_t len;

		/* the client sends while it may */
		if (left && tnet_rdma_can_send(&cl, true)) {
			uint32_t n = left < tnet_rdma_max_payload(&cl) ?
				     (uint32_t)left : tnet_rdma_max_payload(&cl);

			tnet_rdma_msg_fill(&cl, &m, n);
			cs_credits[inflight_cs] = le16_to_cpu(m.credits);
			cs_len[inflight_cs++] = n;
			left -= n;
			continue;
		}
		/* the server reads one, re-posts it, returns credits */
		if (inflight_cs) {
			msg(b, cs_len[0], cs_credits[0], 0);
			TU_EQ_INT(tnet_rdma_msg_take(&sv, b, cs_len[0] + 8,
						     &len, NULL, 0), 0);
			memmove(cs_len, cs_len + 1, --inflight_cs *
				sizeof(cs_len[0]));
			memmove(cs_credits, cs_credits + 1,
				inflight_cs * sizeof(cs_credits[0]));
			tnet_rdma_reposted(&sv);
			if (tnet_rdma_return_due(&sv) &&
			    tnet_rdma_can_send(&sv, false)) {
				tnet_rdma_msg_fill(&sv, &m, 0);
				sc_credits[inflight_sc++] = le16_to_cpu(m.credits);
			}
			continue;
		}
		/* the credit returns arrive */
		if (inflight_sc) {
			msg(b, 0, sc_credits[0], 0);
			TU_EQ_INT(tnet_rdma_msg_take(&cl, b, 8, &len, NULL, 0),
				  0);
			memmove(sc_credits, sc_credits + 1,
				--inflight_sc * sizeof(sc_credits[0]));
			tnet_rdma_reposted(&cl);
			continue;
		}
		break;			/* stuck */
	}
	TU_EQ_U64(left, 0);
	TU_EQ_INT(inflight_cs, 0);
	TU_CHECK(cl.credits <= TNET_RDMA_RECVS);
	TU_CHECK(steps < 100000);
}

int main(void)
{
	tu_suite = "tnet_rdma";
	TU_RUN(addr_parse_table);
	TU_RUN(addr_refusal_names_networks);
	TU_RUN(addr_format_roundtrip);
	TU_RUN(addr_pick_table);
	TU_RUN(addr_list_fits);
	TU_RUN(cm_fill_layout);
	TU_RUN(cm_take_table);
	TU_RUN(msg_take_table);
	TU_RUN(send_rules);
	TU_RUN(credit_return_due_at_half);
	TU_RUN(bulk_write_credit_flow);
	return tu_done();
}
