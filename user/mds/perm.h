/* SPDX-License-Identifier: MIT */
/*
 * perm.h - who may do what on the MDS (issue #12): POSIX permission bits,
 * sticky directories, the setattr rules, and --root-squash with its
 * --nosquash exceptions.  Pure functions of the caller's credentials and
 * the inodes' attributes; handlers.c fetches the attributes and calls
 * them.  Errors are negative errnos as POSIX gives them: -EACCES for a
 * permission bit that is missing, -EPERM for what only an owner or root
 * may do.
 *
 * Root (uid 0, after squashing) passes every check, as with
 * CAP_DAC_OVERRIDE, CAP_FOWNER and CAP_CHOWN, except that it may not
 * execute a file that has no x bit at all.
 */
#ifndef MDS_PERM_H
#define MDS_PERM_H

#include <stdbool.h>
#include <stdint.h>

#include "tessera.h"

#include "store.h"

#define PERM_R		4
#define PERM_W		2
#define PERM_X		1

#define PERM_NOSQUASH_MAX	64	/* --nosquash prefixes */

/* the caller, in host order */
struct perm_cred {
	uint32_t uid, gid;
	uint32_t ngroups;
	uint32_t groups[TESS_CRED_GROUPS_MAX];
};

struct perm_net {		/* an IPv4 prefix, host order */
	uint32_t addr, mask;
};

struct perm_squash {
	bool on;			/* --root-squash given */
	uint32_t uid, gid;		/* what uid 0 and gid 0 become */
	uint32_t nnets;
	struct perm_net nets[PERM_NOSQUASH_MAX];	/* not squashed */
};

/* the block of a request, or (w NULL: an older client) uid 0, gid 0 */
void perm_cred_from_wire(struct perm_cred *c, const struct tess_cred *w);
/* fill a wire block (the client library) */
void perm_cred_to_wire(const struct perm_cred *c, struct tess_cred *w);

/* "UID:GID", each 0..4294967294: 0 or -EINVAL */
int perm_parse_ids(const char *s, uint32_t *uid, uint32_t *gid);
/* "A.B.C.D/LEN" (LEN 0..32) or "A.B.C.D" (/32): 0 or -EINVAL */
int perm_parse_net(const char *s, struct perm_net *n);
/*
 * Squash c unless the peer ("A.B.C.D:PORT", as tnet_conn.peer) is in a
 * nosquash prefix: uid 0 becomes sq->uid, gid 0 sq->gid, and 0 leaves the
 * groups.  A peer that is not IPv4 is squashed.  True if c changed.
 */
bool perm_squash_apply(const struct perm_squash *sq, const char *peer,
		       struct perm_cred *c);

bool perm_in_group(const struct perm_cred *c, uint32_t gid);
/* want (PERM_R | PERM_W | PERM_X) on inode a: 0 or -EACCES */
int perm_may(const struct perm_cred *c, const struct mds_attr *a, int want);
/* removing or renaming away victim from dir (sticky rule): 0 or -EPERM */
int perm_sticky(const struct perm_cred *c, const struct mds_attr *dir,
		const struct mds_attr *victim);
/*
 * SETATTR of a by c.  sa may be changed: a chmod by a caller outside the
 * file's group loses S_ISGID; a chown or chgrp of a regular file by a
 * caller other than root clears S_ISUID, and S_ISGID with group execute.
 * writer: c's client holds a open: its size extension and mtime "now"
 * (what a close sends) need no write permission any more, as a write
 * through an open file descriptor needs none.  0, -EPERM (ownership) or -EACCES (write permission).
 */
int perm_setattr(const struct perm_cred *c, const struct mds_attr *a,
		 struct mds_setattr *sa, bool writer);
/*
 * The owner of a new inode made by c in dir: uid and gid asked for by
 * the request.  Root keeps them; anyone else gets its own uid, and the
 * gid asked for if it is one of c's groups or dir's gid under a setgid
 * dir, else c's gid.  *mode loses S_ISGID when the gid is none of c's
 * groups (a directory under a setgid dir keeps it).
 */
void perm_new_owner(const struct perm_cred *c, const struct mds_attr *dir,
		    uint32_t *uid, uint32_t *gid, uint32_t *mode);

#endif /* MDS_PERM_H */
