// SPDX-License-Identifier: MIT
/*
 * perm.c - the MDS's permission rules (perm.h): POSIX mode bits, sticky
 * directories, setattr, the owner of new inodes, and root squashing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "perm.h"

void perm_cred_from_wire(struct perm_cred *c, const struct tess_cred *w)
{
	uint32_t i;

	memset(c, 0, sizeof(*c));
	if (!w)
		return;		/* an older client: uid 0, gid 0, as before */
	c->uid = le32_to_cpu(w->uid);
	c->gid = le32_to_cpu(w->gid);
	c->ngroups = le32_to_cpu(w->ngroups);
	if (c->ngroups > TESS_CRED_GROUPS_MAX)	/* tnet_cred_take refused it */
		c->ngroups = TESS_CRED_GROUPS_MAX;
	for (i = 0; i < c->ngroups; i++)
		c->groups[i] = le32_to_cpu(w->groups[i]);
}

void perm_cred_to_wire(const struct perm_cred *c, struct tess_cred *w)
{
	uint32_t i, n = c->ngroups;

	if (n > TESS_CRED_GROUPS_MAX)
		n = TESS_CRED_GROUPS_MAX;
	memset(w, 0, sizeof(*w));
	w->magic = cpu_to_le32(TESS_CRED_MAGIC);
	w->uid = cpu_to_le32(c->uid);
	w->gid = cpu_to_le32(c->gid);
	w->ngroups = cpu_to_le32(n);
	for (i = 0; i < n; i++)
		w->groups[i] = cpu_to_le32(c->groups[i]);
}

static int parse_u32(const char *s, const char **end, uint32_t max,
		     uint32_t *out)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			return -EINVAL;
		p++;
	}
	*end = p;
	*out = (uint32_t)v;
	return 0;
}

int perm_parse_ids(const char *s, uint32_t *uid, uint32_t *gid)
{
	const char *p;

	/* (uid_t)-1 is "no change" to chown: not an id */
	if (parse_u32(s, &p, 0xfffffffeu, uid) || *p != ':' ||
	    parse_u32(p + 1, &p, 0xfffffffeu, gid) || *p)
		return -EINVAL;
	return 0;
}

/* "A.B.C.D" up to end (or the whole string): 0 or -EINVAL */
static int parse_ipv4(const char *s, const char **end, uint32_t *out)
{
	uint32_t v = 0, b;
	const char *p = s;
	int i;

	for (i = 0; i < 4; i++) {
		if (i && *p++ != '.')
			return -EINVAL;
		if (parse_u32(p, &p, 255, &b))
			return -EINVAL;
		v = v << 8 | b;
	}
	*end = p;
	*out = v;
	return 0;
}

int perm_parse_net(const char *s, struct perm_net *n)
{
	uint32_t addr, len = 32;
	const char *p;

	if (parse_ipv4(s, &p, &addr))
		return -EINVAL;
	if (*p == '/' && parse_u32(p + 1, &p, 32, &len))
		return -EINVAL;
	if (*p)
		return -EINVAL;
	n->mask = len ? 0xffffffffu << (32 - len) : 0;
	n->addr = addr & n->mask;
	return 0;
}

bool perm_squash_apply(const struct perm_squash *sq, const char *peer,
		       struct perm_cred *c)
{
	uint32_t addr, i, j;
	bool changed = false;
	const char *p;

	if (!sq || !sq->on)
		return false;
	if (peer && !parse_ipv4(peer, &p, &addr) && (*p == ':' || !*p))
		for (i = 0; i < sq->nnets; i++)
			if ((addr & sq->nets[i].mask) == sq->nets[i].addr)
				return false;
	if (c->uid == 0) {
		c->uid = sq->uid;
		changed = true;
	}
	if (c->gid == 0) {
		c->gid = sq->gid;
		changed = true;
	}
	for (i = j = 0; i < c->ngroups; i++)
		if (c->groups[i])
			c->groups[j++] = c->groups[i];
	if (j != c->ngroups)
		changed = true;
	for (i = j; i < c->ngroups; i++)
		c->groups[i] = 0;
	c->ngroups = j;
	return changed;
}

bool perm_in_group(const struct perm_cred *c, uint32_t gid)
{
	uint32_t i;

	if (c->gid == gid)
		return true;
	for (i = 0; i < c->ngroups && i < TESS_CRED_GROUPS_MAX; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

int perm_may(const struct perm_cred *c, const struct mds_attr *a, int want)
{
	uint32_t bits;

	want &= PERM_R | PERM_W | PERM_X;
	if (c->uid == 0) {
		/* CAP_DAC_OVERRIDE: all but executing a file no one may */
		if ((want & PERM_X) && !S_ISDIR(a->mode) && !(a->mode & 0111))
			return -EACCES;
		return 0;
	}
	if (c->uid == a->uid)
		bits = (a->mode >> 6) & 7;
	else if (perm_in_group(c, a->gid))
		bits = (a->mode >> 3) & 7;
	else
		bits = a->mode & 7;
	return ((uint32_t)want & ~bits) ? -EACCES : 0;
}

int perm_sticky(const struct perm_cred *c, const struct mds_attr *dir,
		const struct mds_attr *victim)
{
	if (!(dir->mode & S_ISVTX) || c->uid == 0 || c->uid == victim->uid ||
	    c->uid == dir->uid)
		return 0;
	return -EPERM;
}

int perm_setattr(const struct perm_cred *c, const struct mds_attr *a,
		 struct mds_setattr *sa, bool writer)
{
	bool owner = c->uid == a->uid;
	uint32_t v = sa->valid, gid = a->gid;

	if (c->uid == 0)
		return 0;
	/* chown: only root may give a file away (POSIX_CHOWN_RESTRICTED) */
	if ((v & TESS_SA_UID) && (!owner || sa->uid != a->uid))
		return -EPERM;
	/* chgrp: the owner, to one of its groups */
	if (v & TESS_SA_GID) {
		if (!owner || (sa->gid != a->gid && !perm_in_group(c, sa->gid)))
			return -EPERM;
		gid = sa->gid;
	}
	/*
	 * chmod: the owner.  Another caller may only drop the set-id bits
	 * when it writes the file (a holder of it open, or one with write
	 * permission): a write by someone else clears them, and the kernel
	 * client sends that (file_remove_privs) as this mode change.
	 */
	if ((v & TESS_SA_MODE) && !owner) {
		uint32_t sid = S_ISUID | S_ISGID, old = a->mode & 07777;

		if ((sa->mode & 07777 & ~old) ||
		    (sa->mode & 07777 & ~sid) != (old & ~sid))
			return -EPERM;
		if (!writer && perm_may(c, a, PERM_W))
			return -EPERM;
	}
	/*
	 * explicit times (ctime too): the owner only; "now": the owner,
	 * one with write permission, or a writer (its close sends
	 * SIZE_EXTEND|MTIME_NOW)
	 */
	if (((v & TESS_SA_ATIME) && !(v & TESS_SA_ATIME_NOW)) ||
	    ((v & TESS_SA_MTIME) && !(v & TESS_SA_MTIME_NOW)) ||
	    (v & TESS_SA_CTIME)) {
		if (!owner)
			return -EPERM;
	} else if ((v & (TESS_SA_ATIME_NOW | TESS_SA_MTIME_NOW)) && !owner &&
		   !writer && perm_may(c, a, PERM_W)) {
		return -EACCES;
	}
	/* truncate needs write permission, whoever owns the file */
	if ((v & TESS_SA_SIZE) && perm_may(c, a, PERM_W))
		return -EACCES;
	if ((v & TESS_SA_SIZE_EXTEND) && !writer && perm_may(c, a, PERM_W))
		return -EACCES;
	if ((v & TESS_SA_MODE) && !perm_in_group(c, gid))
		sa->mode &= ~(uint32_t)S_ISGID;
	if ((v & (TESS_SA_UID | TESS_SA_GID)) && S_ISREG(a->mode)) {
		uint32_t m = v & TESS_SA_MODE ? sa->mode : a->mode & 07777;
		uint32_t kill = S_ISUID;

		if (m & S_IXGRP)
			kill |= S_ISGID;
		if (m & kill) {
			sa->mode = m & ~kill;
			sa->valid |= TESS_SA_MODE;
		}
	}
	return 0;
}

void perm_new_owner(const struct perm_cred *c, const struct mds_attr *dir,
		    uint32_t *uid, uint32_t *gid, uint32_t *mode)
{
	bool sgid_dir = dir && (dir->mode & S_ISGID);

	if (c->uid == 0)
		return;
	*uid = c->uid;
	if (!perm_in_group(c, *gid) && !(sgid_dir && *gid == dir->gid))
		*gid = c->gid;
	if ((*mode & S_ISGID) && !perm_in_group(c, *gid) &&
	    !(S_ISDIR(*mode) && sgid_dir && *gid == dir->gid))
		*mode &= ~(uint32_t)S_ISGID;
}
