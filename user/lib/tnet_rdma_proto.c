// SPDX-License-Identifier: MIT
/*
 * tnet_rdma_proto.c - the flow control and message checks of the @rdma
 * transport (include/tessera.h, "network type rdma"), as pure functions
 * over struct tnet_rdma_credits: no verbs here (tnet_rdma.c has them),
 * so the unit tests run them without a device.
 */
#include <stdio.h>
#include <string.h>

#include "tess_wire.h"
#include "tnet_rdma.h"

void tnet_rdma_cm_fill(struct tess_rdma_cm *cm, uint32_t credits,
		       uint32_t buf_size)
{
	memset(cm, 0, sizeof(*cm));
	cm->magic = cpu_to_le32(TESS_RDMA_MAGIC);
	cm->version = cpu_to_le16(TESS_RDMA_VERSION);
	cm->credits = cpu_to_le16((uint16_t)credits);
	cm->buf_size = cpu_to_le32(buf_size);
}

int tnet_rdma_cm_take(struct tnet_rdma_credits *cr, const void *pd,
		      size_t len, char *why, size_t whylen)
{
	struct tess_rdma_cm cm;
	uint32_t credits, buf;

	if (!pd || len < sizeof(cm)) {
		snprintf(why, whylen, "private data of %zu bytes, not %zu",
			 pd ? len : 0, sizeof(cm));
		return -EPROTO;
	}
	memcpy(&cm, pd, sizeof(cm));
	credits = le16_to_cpu(cm.credits);
	buf = le32_to_cpu(cm.buf_size);
	if (le32_to_cpu(cm.magic) != TESS_RDMA_MAGIC) {
		snprintf(why, whylen, "private data magic %#x, not %#x",
			 le32_to_cpu(cm.magic), TESS_RDMA_MAGIC);
		return -EPROTO;
	}
	if (le16_to_cpu(cm.version) != TESS_RDMA_VERSION) {
		snprintf(why, whylen, "rdma version %u, not %u",
			 le16_to_cpu(cm.version), TESS_RDMA_VERSION);
		return -EPROTO;
	}
	/* one credit stays for credit returns: stream bytes need 2 */
	if (credits < 2 || credits > TESS_RDMA_CREDITS_MAX) {
		snprintf(why, whylen, "%u credits, not 2..%u", credits,
			 TESS_RDMA_CREDITS_MAX);
		return -EPROTO;
	}
	if (buf < TESS_RDMA_BUF_MIN || buf > TESS_RDMA_BUF_MAX) {
		snprintf(why, whylen, "buffers of %u bytes, not %u..%u", buf,
			 TESS_RDMA_BUF_MIN, TESS_RDMA_BUF_MAX);
		return -EPROTO;
	}
	if (cm.reserved) {
		snprintf(why, whylen, "private data reserved field %#x",
			 le32_to_cpu(cm.reserved));
		return -EPROTO;
	}
	cr->peer_posted = credits;
	cr->peer_buf = buf;
	cr->credits = credits;
	return 0;
}

void tnet_rdma_credits_init(struct tnet_rdma_credits *cr, uint32_t posted,
			    uint32_t buf)
{
	memset(cr, 0, sizeof(*cr));
	cr->posted = posted;
	cr->buf = buf;
}

int tnet_rdma_msg_take(struct tnet_rdma_credits *cr, const void *hdr,
		       uint32_t byte_len, uint32_t *len, char *why,
		       size_t whylen)
{
	struct tess_rdma_msg m;
	uint32_t n, credits;

	if (byte_len < sizeof(m)) {
		snprintf(why, whylen, "a message of %u bytes, shorter than "
			 "its header", byte_len);
		return -EPROTO;
	}
	if (byte_len > cr->buf) {
		snprintf(why, whylen, "a message of %u bytes, longer than "
			 "our buffers (%u)", byte_len, cr->buf);
		return -EPROTO;
	}
	memcpy(&m, hdr, sizeof(m));
	n = le32_to_cpu(m.len);
	credits = le16_to_cpu(m.credits);
	if (n != byte_len - sizeof(m)) {
		snprintf(why, whylen, "len %u in a message of %u bytes "
			 "(header %zu)", n, byte_len, sizeof(m));
		return -EPROTO;
	}
	if (m.reserved) {
		snprintf(why, whylen, "reserved field %#x in a message",
			 le16_to_cpu(m.reserved));
		return -EPROTO;
	}
	if (credits > cr->peer_posted - cr->credits) {
		snprintf(why, whylen, "%u credits returned, but only %u of "
			 "the %u buffers posted were used", credits,
			 cr->peer_posted - cr->credits, cr->peer_posted);
		return -EPROTO;
	}
	cr->credits += credits;
	*len = n;
	return 0;
}

bool tnet_rdma_can_send(const struct tnet_rdma_credits *cr, bool stream)
{
	return cr->credits >= (stream ? 2u : 1u);
}

uint32_t tnet_rdma_max_payload(const struct tnet_rdma_credits *cr)
{
	uint32_t b = cr->peer_buf < TNET_RDMA_BUF ? cr->peer_buf : TNET_RDMA_BUF;

	return b - TNET_RDMA_HDR;
}

void tnet_rdma_msg_fill(struct tnet_rdma_credits *cr, struct tess_rdma_msg *m,
			uint32_t len)
{
	m->len = cpu_to_le32(len);
	m->credits = cpu_to_le16((uint16_t)cr->owed);
	m->reserved = 0;
	cr->owed = 0;
	cr->credits--;
}

void tnet_rdma_reposted(struct tnet_rdma_credits *cr)
{
	cr->owed++;
}

bool tnet_rdma_return_due(const struct tnet_rdma_credits *cr)
{
	return cr->owed && cr->owed >= cr->posted / 2;
}
