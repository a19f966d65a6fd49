// SPDX-License-Identifier: GPL-2.0
/*
 * errno.c - the errnos a Tessera call may return to userspace.
 *
 * A status comes from a server (a number a peer chose) or from the RPC
 * layer (-ECONNRESET, -ESHUTDOWN, -ETIMEDOUT of a soft mount, ...).
 * Userspace sees only the errnos of tess_errnos[]; anything else, and
 * every transport failure, is EIO.  README ("Errors") lists the set.
 */
#include <linux/errno.h>
#include <linux/kernel.h>

#include "tess_errno.h"

static const int tess_errnos[] = {
	EPERM, ENOENT, EIO, ENXIO, E2BIG, ENOMEM, EACCES, EBUSY, EEXIST,
	EXDEV, ENOTDIR, EISDIR, EINVAL, EFBIG, ENOSPC, EROFS, EMLINK, ERANGE,
	ENAMETOOLONG, ENOLCK, ENOTEMPTY, ELOOP, ENODATA, EOVERFLOW,
	EOPNOTSUPP, EDQUOT, ESTALE, EINTR, EPROTO, ETXTBSY, EAGAIN,
};

/**
 * tess_errno - the errno userspace gets for a call's status
 * @status: 0, a -errno from the RPC layer or a server, or junk
 *
 * Return: 0, a -errno of the documented set, or -EIO.
 */
int tess_errno(int status)
{
	unsigned int i;

	if (!status)
		return 0;
	if (status == -ERESTARTSYS)
		return -EINTR;
	for (i = 0; i < ARRAY_SIZE(tess_errnos); i++)
		if (status == -tess_errnos[i])
			return status;
	return -EIO;
}
