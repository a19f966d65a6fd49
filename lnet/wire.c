// SPDX-License-Identifier: GPL-2.0
/*
 * wire.c - the frame codec of common/tess_wire.c, built into
 * tessera_lnet.ko; its functions are exported to the other Tessera
 * modules where they are defined (TESS_EXPORT).
 */
#include "../common/tess_wire.c"
