// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the frame decoder: header decode, CRC and the
 * per-opcode message checks, on arbitrary bytes.  The CRC is recomputed
 * for half of the inputs so that the fuzzer reaches tess_msg_check with
 * bodies it shaped itself.  A request with TESS_HF_CRED goes through
 * tnet_cred_take first, as in tnet's receive path.  Built with ASan and UBSan by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tess_wire.h"
#include "tnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tess_hdr h;
	struct tess_frame f;
	uint8_t *body;
	int rc;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);

	rc = tess_hdr_decode(&h, &f);
	if (rc)
		return 0;
	if (f.body_len > size)
		return 0;
	/* exact-size heap copy so ASan sees any read past the body */
	body = malloc(f.body_len ? f.body_len : 1);
	if (!body)
		return 0;
	memcpy(body, data, f.body_len);
	if (f.xid & 1)
		f.body_crc = tess_body_crc(&h, body, f.body_len);
	if (tess_body_crc(&h, body, f.body_len) == f.body_crc) {
		struct tess_cred cred;

		if (!(f.flags & TESS_HF_CRED) ||
		    !tnet_cred_take(&f, body, &cred))
			(void)tess_msg_check(&f, body);
	}
	free(body);
	return 0;
}
