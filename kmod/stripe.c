// SPDX-License-Identifier: GPL-2.0
/*
 * stripe.c - the striping math of common/tess_stripe.c, built into
 * tessera.ko.
 */
#include "../common/tess_stripe.c"
