/* SPDX-License-Identifier: MIT */
/*
 * tnet_sec.h - protected frames of sec=integrity and sec=privacy
 * (include/tessera.h, "Protected frames"), for tnet.c's frame I/O.
 *
 * Sending: tnet_sec_seal() tags (and under privacy encrypts) one frame.
 * Receiving, in parts as the frame is read: tnet_sec_open_begin() with the
 * header, tnet_sec_open_update() over body then bulk (decrypted in place
 * under privacy), tnet_sec_open_end() with the received tag.  Each side
 * counts its frames (tx_seq, rx_seq); a frame that fails its tag is
 * TNET_ERR_SEC, after which the connection must be closed.
 */
#ifndef TNET_SEC_H
#define TNET_SEC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "tnet.h"

/* a frame's tag is wrong: altered, replayed, reordered or dropped */
#define TNET_ERR_SEC	(-EKEYREJECTED)

/* the contexts of c->sec from c's session keys, which are wiped: 0 or
 * -ENOMEM; tnet_sec_free ends them (NULL-safe, any time) */
int tnet_sec_start(struct tnet_conn *c);
void tnet_sec_free(struct tnet_conn *c);

/*
 * Protect the frame whose header, as it will be sent with body_crc and
 * bulk_crc zero, is aad.  *wbody and *wbulk are what goes on the wire:
 * body and bulk themselves (integrity) or their ciphertext in c's buffer,
 * valid until the next seal (privacy).  The tag goes after the frame.
 * 0, -ENOMEM or -EIO (OpenSSL failed).
 */
int tnet_sec_seal(struct tnet_conn *c, const struct tess_hdr *aad,
		  const void *body, uint32_t body_len,
		  const void *bulk, uint32_t bulk_len,
		  const void **wbody, const void **wbulk,
		  uint8_t tag[TESS_SEC_TAG_LEN]);

/* check a received frame: begin with its header as received (the CRCs
 * are zeroed here), feed body and bulk in order, end with the tag read
 * after it: 0 or TNET_ERR_SEC (-EIO: OpenSSL failed) */
int tnet_sec_open_begin(struct tnet_conn *c, const struct tess_hdr *h);
int tnet_sec_open_update(struct tnet_conn *c, void *data, size_t len);
int tnet_sec_open_end(struct tnet_conn *c,
		      const uint8_t tag[TESS_SEC_TAG_LEN]);

#endif /* TNET_SEC_H */
