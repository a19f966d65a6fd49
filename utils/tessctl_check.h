/* SPDX-License-Identifier: MIT */
/*
 * tessctl_check.h - `tessctl check` (tessctl_check.c).
 */
#ifndef TESSCTL_CHECK_H
#define TESSCTL_CHECK_H

#include "tess_client.h"

/* 0: consistent; 1: findings printed; 2: could not check (reason on stderr) */
int tessctl_check(struct tess_client *c);

#endif /* TESSCTL_CHECK_H */
