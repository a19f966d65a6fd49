// SPDX-License-Identifier: GPL-2.0
/*
 * wire.c - the frame codec of common/tess_wire.c, built into
 * tessera_lnet.ko and exported to the other Tessera modules.
 */
#include <linux/export.h>
#include <linux/crc32c.h>

#include "../common/tess_wire.c"

EXPORT_SYMBOL_GPL(tess_op_name);
EXPORT_SYMBOL_GPL(tess_hdr_encode);
EXPORT_SYMBOL_GPL(tess_hdr_decode);
EXPORT_SYMBOL_GPL(tess_body_crc);
EXPORT_SYMBOL_GPL(tess_hdr_seal);
EXPORT_SYMBOL_GPL(tess_name_check);
EXPORT_SYMBOL_GPL(tess_layout_check);
EXPORT_SYMBOL_GPL(tess_msg_check);
EXPORT_SYMBOL_GPL(tess_buf_reserve);
EXPORT_SYMBOL_GPL(tess_buf_put);
