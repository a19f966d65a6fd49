// SPDX-License-Identifier: MIT
/*
 * tnet_cred.c - the caller's credential block at the end of a request
 * body (TESS_HF_CRED, include/tessera.h), apart from tnet.c so that the
 * frame fuzzer (tests/fuzz) runs it as tnet's receive path does.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tnet.h"

/*
 * The TESS_HF_CRED block at the end of a request body: checked (size,
 * magic, group count, unused slots zero) and taken off f->body_len.
 */
int tnet_cred_take(struct tess_frame *f, const void *body,
		   struct tess_cred *out)
{
	struct tess_cred *cr = out;
	uint32_t n, i;

	if (!(f->flags & TESS_HF_REQUEST) || f->body_len < sizeof(*cr))
		return -EBADMSG;
	/* after names of any length: copied, not read in place */
	memcpy(cr, (const uint8_t *)body + f->body_len - sizeof(*cr),
	       sizeof(*cr));
	n = le32_to_cpu(cr->ngroups);
	if (le32_to_cpu(cr->magic) != TESS_CRED_MAGIC ||
	    n > TESS_CRED_GROUPS_MAX)
		return -EBADMSG;
	for (i = n; i < TESS_CRED_GROUPS_MAX; i++)
		if (cr->groups[i])
			return -EBADMSG;
	f->body_len -= (uint32_t)sizeof(*cr);
	return 0;
}
