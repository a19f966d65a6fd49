/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tess_errno.h - the errno userspace gets for a Tessera call's status
 * (kmod/errno.c; also built into the KUnit tests).
 */
#ifndef _TESSERA_ERRNO_H
#define _TESSERA_ERRNO_H

/* 0, a -errno of the documented set (README, "Errors"), or -EIO */
int tess_errno(int status);

#endif /* _TESSERA_ERRNO_H */
