/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where Tessera's modules deal with differences
 * between kernel versions.
 *
 * Each difference is detected by a feature probe in kmod/probes.mk, run
 * by Kbuild against the headers of the kernel being built for, which
 * defines a TESS_HAVE_* macro.  Distribution kernels backport features,
 * so code here asks "is it there", never "which version is this".
 *
 * Probes in use:
 *   TESS_HAVE_SK_USE_TASK_FRAG   struct sock::sk_use_task_frag (6.2,
 *                                backported to Debian's 6.1)
 *   TESS_HAVE_SOCKADDR_UNSIZED   kernel_connect() takes a
 *                                struct sockaddr_unsized * (6.19)
 */
#ifndef _TESSERA_COMPAT_H
#define _TESSERA_COMPAT_H

#include <linux/net.h>
#include <net/sock.h>

/*
 * A socket used from a path that may reclaim memory must not use the
 * calling task's page fragment (see sk_page_frag()).
 */
static inline void tess_sock_no_task_frag(struct sock *sk)
{
#ifdef TESS_HAVE_SK_USE_TASK_FRAG
	sk->sk_use_task_frag = false;
#endif
}

static inline int tess_kernel_connect(struct socket *sock,
				      struct sockaddr *addr, int addrlen,
				      int flags)
{
#ifdef TESS_HAVE_SOCKADDR_UNSIZED
	return kernel_connect(sock, (struct sockaddr_unsized *)addr, addrlen,
			      flags);
#else
	return kernel_connect(sock, addr, addrlen, flags);
#endif
}

#endif /* _TESSERA_COMPAT_H */
