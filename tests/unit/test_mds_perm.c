// SPDX-License-Identifier: MIT
/*
 * Unit tests of user/mds/perm.c (issue #12), table-driven: the mode bits
 * for owner, group (primary and supplementary), others and root; the
 * sticky rule; setattr (chmod, chown, chgrp, times, truncate, a writer's
 * size extension, the setuid/setgid bits that fall); the owner of new
 * inodes; --root-squash and --nosquash parsing and squashing; the wire
 * credential block and its checks (tnet_cred_take).
 */
#include <errno.h>
#include <sys/stat.h>

#include "../../user/mds/perm.h"
#include "tnet.h"
#include "tu.h"

static const struct perm_cred ROOT = { 0, 0, 0, { 0 } };
static const struct perm_cred ALICE = { 1000, 1000, 2, { 1000, 2000 } };
static const struct perm_cred BOB = { 1001, 1001, 1, { 1001 } };

static struct mds_attr at(uint32_t mode, uint32_t uid, uint32_t gid)
{
	struct mds_attr a;

	memset(&a, 0, sizeof(a));
	a.mode = mode;
	a.uid = uid;
	a.gid = gid;
	return a;
}

TU_CASE(may)
{
	static const struct {
		const struct perm_cred *c;
		uint32_t mode, uid, gid;
		int want, rc;
	} t[] = {
		/* owner bits */
		{ &ALICE, S_IFREG | 0600, 1000, 1000, PERM_R | PERM_W, 0 },
		{ &ALICE, S_IFREG | 0400, 1000, 1000, PERM_W, -EACCES },
		{ &ALICE, S_IFREG | 0077, 1000, 1000, PERM_R, -EACCES },
		/* group: primary and supplementary, not others' bits */
		{ &ALICE, S_IFREG | 0040, 0, 1000, PERM_R, 0 },
		{ &ALICE, S_IFREG | 0040, 0, 2000, PERM_R, 0 },
		{ &ALICE, S_IFREG | 0604, 0, 2000, PERM_R, -EACCES },
		{ &BOB, S_IFREG | 0040, 0, 2000, PERM_R, -EACCES },
		/* others */
		{ &BOB, S_IFREG | 0604, 1000, 1000, PERM_R, 0 },
		{ &BOB, S_IFREG | 0600, 1000, 1000, PERM_R, -EACCES },
		{ &BOB, S_IFREG | 0444, 1000, 1000, PERM_W, -EACCES },
		{ &BOB, S_IFDIR | 0755, 1000, 1000, PERM_W | PERM_X, -EACCES },
		{ &BOB, S_IFDIR | 0777, 1000, 1000, PERM_W | PERM_X, 0 },
		{ &BOB, S_IFDIR | 0776, 1000, 1000, PERM_X, -EACCES },
		{ &BOB, S_IFREG | 0000, 1000, 1000, 0, 0 },
		/* root: all but executing a file without any x bit */
		{ &ROOT, S_IFREG | 0000, 1000, 1000, PERM_R | PERM_W, 0 },
		{ &ROOT, S_IFDIR | 0000, 1000, 1000, PERM_W | PERM_X, 0 },
		{ &ROOT, S_IFREG | 0600, 1000, 1000, PERM_X, -EACCES },
		{ &ROOT, S_IFREG | 0601, 1000, 1000, PERM_X, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mds_attr a = at(t[i].mode, t[i].uid, t[i].gid);

		if (perm_may(t[i].c, &a, t[i].want) != t[i].rc)
			TU_FAIL_AT("row %zu: %d, expected %d", i,
				   perm_may(t[i].c, &a, t[i].want), t[i].rc);
	}
}

TU_CASE(sticky)
{
	static const struct {
		const struct perm_cred *c;
		uint32_t dmode, duid, vuid;
		int rc;
	} t[] = {
		{ &BOB, S_IFDIR | 01777, 0, 1000, -EPERM },	/* another's */
		{ &BOB, S_IFDIR | 01777, 0, 1001, 0 },		/* its own */
		{ &BOB, S_IFDIR | 01777, 1001, 1000, 0 },	/* its dir */
		{ &ROOT, S_IFDIR | 01777, 1001, 1000, 0 },
		{ &BOB, S_IFDIR | 0777, 0, 1000, 0 },		/* not sticky */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mds_attr d = at(t[i].dmode, t[i].duid, 0);
		struct mds_attr v = at(S_IFREG | 0644, t[i].vuid, 0);

		if (perm_sticky(t[i].c, &d, &v) != t[i].rc)
			TU_FAIL_AT("row %zu", i);
	}
}

TU_CASE(setattr)
{
	static const struct {
		const struct perm_cred *c;
		uint32_t mode;			/* alice's file, group 1000 */
		uint32_t valid, smode, suid, sgid;
		bool writer;
		int rc;
		uint32_t valid_out, mode_out;	/* checked when rc is 0 */
	} t[] = {
		/* chmod: owner or root */
		{ &ALICE, 0644, TESS_SA_MODE, 0600, 0, 0, false, 0,
		  TESS_SA_MODE, 0600 },
		{ &BOB, 0666, TESS_SA_MODE, 0600, 0, 0, false, -EPERM, 0, 0 },
		{ &ROOT, 0644, TESS_SA_MODE, 0600, 0, 0, false, 0,
		  TESS_SA_MODE, 0600 },
		/*
		 * another user's write drops setuid/setgid (the kernel
		 * client's file_remove_privs): a writer or one with write
		 * permission, those bits only
		 */
		{ &BOB, 04777, TESS_SA_MODE, 0777, 0, 0, false, 0,
		  TESS_SA_MODE, 0777 },
		{ &BOB, 06755, TESS_SA_MODE, 0755, 0, 0, true, 0,
		  TESS_SA_MODE, 0755 },
		{ &BOB, 04755, TESS_SA_MODE, 0755, 0, 0, false, -EPERM, 0, 0 },
		{ &BOB, 04777, TESS_SA_MODE, 0666, 0, 0, true, -EPERM, 0, 0 },
		{ &BOB, 04777, TESS_SA_MODE, 06777, 0, 0, true, -EPERM, 0, 0 },
		{ &BOB, 0777, TESS_SA_MODE, 0777, 0, 0, true, 0,
		  TESS_SA_MODE, 0777 },
		/* setgid kept in its group, dropped outside it */
		{ &ALICE, 0644, TESS_SA_MODE, 02755, 0, 0, false, 0,
		  TESS_SA_MODE, 02755 },
		{ &ALICE, 0644, TESS_SA_MODE | TESS_SA_GID, 02755, 1000, 3000,
		  false, -EPERM, 0, 0 },
		/* chown: root only, and a no-op one by the owner */
		{ &ALICE, 0644, TESS_SA_UID, 0, 1001, 0, false, -EPERM, 0, 0 },
		{ &ALICE, 0644, TESS_SA_UID, 0, 1000, 0, false, 0,
		  TESS_SA_UID, 0 },
		{ &BOB, 0644, TESS_SA_UID, 0, 1001, 0, false, -EPERM, 0, 0 },
		{ &ROOT, 04755, TESS_SA_UID, 0, 1001, 0, false, 0,
		  TESS_SA_UID, 0 },
		/* chgrp: the owner to one of its groups */
		{ &ALICE, 0644, TESS_SA_GID, 0, 0, 2000, false, 0,
		  TESS_SA_GID, 0 },
		{ &ALICE, 0644, TESS_SA_GID, 0, 0, 3000, false, -EPERM, 0, 0 },
		{ &BOB, 0644, TESS_SA_GID, 0, 0, 1001, false, -EPERM, 0, 0 },
		/* chgrp by the owner drops setuid, and setgid with g+x */
		{ &ALICE, 06755, TESS_SA_GID, 0, 0, 2000, false, 0,
		  TESS_SA_GID | TESS_SA_MODE, 0755 },
		{ &ALICE, 06745, TESS_SA_GID, 0, 0, 2000, false, 0,
		  TESS_SA_GID | TESS_SA_MODE, 02745 },
		/* explicit times: the owner; "now": the owner or a writer */
		{ &BOB, 0666, TESS_SA_ATIME | TESS_SA_MTIME, 0, 0, 0, false,
		  -EPERM, 0, 0 },
		{ &ALICE, 0444, TESS_SA_ATIME | TESS_SA_MTIME, 0, 0, 0, false,
		  0, TESS_SA_ATIME | TESS_SA_MTIME, 0 },
		{ &BOB, 0666, TESS_SA_CTIME, 0, 0, 0, true, -EPERM, 0, 0 },
		{ &ALICE, 0444, TESS_SA_CTIME, 0, 0, 0, false, 0,
		  TESS_SA_CTIME, 0 },
		{ &BOB, 0666, TESS_SA_ATIME_NOW | TESS_SA_MTIME_NOW, 0, 0, 0,
		  false, 0, TESS_SA_ATIME_NOW | TESS_SA_MTIME_NOW, 0 },
		{ &BOB, 0644, TESS_SA_ATIME_NOW | TESS_SA_MTIME_NOW, 0, 0, 0,
		  false, -EACCES, 0, 0 },
		/* truncate: write permission, the owner's too */
		{ &ALICE, 0444, TESS_SA_SIZE, 0, 0, 0, false, -EACCES, 0, 0 },
		{ &BOB, 0646, TESS_SA_SIZE | TESS_SA_MTIME_NOW, 0, 0, 0, false,
		  0, TESS_SA_SIZE | TESS_SA_MTIME_NOW, 0 },
		{ &ROOT, 0444, TESS_SA_SIZE, 0, 0, 0, false, 0,
		  TESS_SA_SIZE, 0 },
		/* a writer's size extension after a chmod a-w */
		{ &BOB, 0644, TESS_SA_SIZE_EXTEND, 0, 0, 0, true, 0,
		  TESS_SA_SIZE_EXTEND, 0 },
		{ &BOB, 0644, TESS_SA_SIZE_EXTEND, 0, 0, 0, false, -EACCES,
		  0, 0 },
		{ &BOB, 0644, TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW, 0, 0, 0,
		  true, 0, TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW, 0 },
		{ &BOB, 0644, TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW, 0, 0, 0,
		  false, -EACCES, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mds_attr a = at(S_IFREG | t[i].mode, 1000, 1000);
		struct mds_setattr sa;
		int rc;

		memset(&sa, 0, sizeof(sa));
		sa.valid = t[i].valid;
		sa.mode = t[i].smode;
		sa.uid = t[i].suid;
		sa.gid = t[i].sgid;
		rc = perm_setattr(t[i].c, &a, &sa, t[i].writer);
		if (rc != t[i].rc)
			TU_FAIL_AT("row %zu: %d, expected %d", i, rc, t[i].rc);
		else if (!rc && sa.valid != t[i].valid_out)
			TU_FAIL_AT("row %zu: valid %#x, expected %#x", i,
				   sa.valid, t[i].valid_out);
		else if (!rc && (sa.valid & TESS_SA_MODE) &&
			 sa.mode != t[i].mode_out)
			TU_FAIL_AT("row %zu: mode %#o, expected %#o", i,
				   sa.mode, t[i].mode_out);
	}
}

TU_CASE(new_owner)
{
	static const struct {
		const struct perm_cred *c;
		uint32_t dmode, dgid;
		uint32_t uid, gid, mode;		/* asked */
		uint32_t uid_out, gid_out, mode_out;
	} t[] = {
		/* root: as asked */
		{ &ROOT, S_IFDIR | 0755, 0, 5, 6, S_IFREG | 02644,
		  5, 6, S_IFREG | 02644 },
		/* anyone else: its uid, whatever it asks */
		{ &ALICE, S_IFDIR | 0777, 0, 0, 0, S_IFREG | 0644,
		  1000, 1000, S_IFREG | 0644 },
		{ &ALICE, S_IFDIR | 0777, 0, 1000, 2000, S_IFREG | 0644,
		  1000, 2000, S_IFREG | 0644 },
		/* the group of a setgid dir, and its setgid for subdirs */
		{ &BOB, S_IFDIR | 02777, 3000, 1001, 3000, S_IFDIR | 02755,
		  1001, 3000, S_IFDIR | 02755 },
		{ &BOB, S_IFDIR | 02777, 3000, 1001, 3000, S_IFREG | 02755,
		  1001, 3000, S_IFREG | 0755 },
		/* a group it is not in: its own (setgid kept: its group) */
		{ &BOB, S_IFDIR | 0777, 3000, 1001, 3000, S_IFDIR | 02755,
		  1001, 1001, S_IFDIR | 02755 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mds_attr d = at(t[i].dmode, 0, t[i].dgid);
		uint32_t uid = t[i].uid, gid = t[i].gid, mode = t[i].mode;

		perm_new_owner(t[i].c, &d, &uid, &gid, &mode);
		if (uid != t[i].uid_out || gid != t[i].gid_out ||
		    mode != t[i].mode_out)
			TU_FAIL_AT("row %zu: %u:%u %#o", i, uid, gid, mode);
	}
}

TU_CASE(parse)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t a, b;		/* uid gid, or addr mask */
	} ids[] = {
		{ "65534:65534", 0, 65534, 65534 },
		{ "0:0", 0, 0, 0 },
		{ "4294967294:1", 0, 4294967294u, 1 },
		{ "4294967295:1", -EINVAL, 0, 0 },
		{ "65534", -EINVAL, 0, 0 },
		{ "-1:0", -EINVAL, 0, 0 },
		{ "1:2:3", -EINVAL, 0, 0 },
		{ ":1", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
	}, nets[] = {
		{ "10.0.0.0/8", 0, 0x0a000000, 0xff000000 },
		{ "10.1.2.3/8", 0, 0x0a000000, 0xff000000 },
		{ "192.168.1.7", 0, 0xc0a80107, 0xffffffff },
		{ "0.0.0.0/0", 0, 0, 0 },
		{ "127.0.0.1/32", 0, 0x7f000001, 0xffffffff },
		{ "10.0.0.0/33", -EINVAL, 0, 0 },
		{ "10.0.0/8", -EINVAL, 0, 0 },
		{ "256.0.0.0/8", -EINVAL, 0, 0 },
		{ "::1", -EINVAL, 0, 0 },
		{ "10.0.0.0/", -EINVAL, 0, 0 },
		{ "10.0.0.0/8x", -EINVAL, 0, 0 },
	};
	struct perm_net n;
	uint32_t u, g;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (perm_parse_ids(ids[i].s, &u, &g) != ids[i].rc ||
		    (!ids[i].rc && (u != ids[i].a || g != ids[i].b)))
			TU_FAIL_AT("ids '%s'", ids[i].s);
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if (perm_parse_net(nets[i].s, &n) != nets[i].rc ||
		    (!nets[i].rc && (n.addr != nets[i].a ||
				     n.mask != nets[i].b)))
			TU_FAIL_AT("net '%s'", nets[i].s);
}

TU_CASE(squash)
{
	struct perm_squash sq = { .on = true, .uid = 65534, .gid = 65533 };
	static const struct {
		const char *peer;
		struct perm_cred in, out;
		bool changed;
	} t[] = {
		{ "192.168.1.5:1023", { 0, 0, 2, { 0, 7 } },
		  { 65534, 65533, 1, { 7 } }, true },
		{ "192.168.1.5:1023", { 1000, 0, 1, { 1000 } },
		  { 1000, 65533, 1, { 1000 } }, true },
		{ "192.168.1.5:1023", { 1000, 1000, 1, { 1000 } },
		  { 1000, 1000, 1, { 1000 } }, false },
		{ "10.9.8.7:1023", { 0, 0, 1, { 0 } },		/* nosquash */
		  { 0, 0, 1, { 0 } }, false },
		{ "10.9.8.7", { 0, 0, 0, { 0 } }, { 0, 0, 0, { 0 } }, false },
		{ "[::1]:1023", { 0, 0, 0, { 0 } },		/* not IPv4 */
		  { 65534, 65533, 0, { 0 } }, true },
		{ NULL, { 0, 0, 0, { 0 } }, { 65534, 65533, 0, { 0 } }, true },
	};

	TU_CHECK(!perm_parse_net("10.0.0.0/8", &sq.nets[0]));
	sq.nnets = 1;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct perm_cred c = t[i].in;
		bool ch = perm_squash_apply(&sq, t[i].peer, &c);

		if (ch != t[i].changed || memcmp(&c, &t[i].out, sizeof(c)))
			TU_FAIL_AT("row %zu: %u:%u n %u", i, c.uid, c.gid,
				   c.ngroups);
	}
	/* off: nothing changes */
	{
		struct perm_squash off = { .on = false, .uid = 1, .gid = 1 };
		struct perm_cred c = ROOT;

		TU_CHECK(!perm_squash_apply(&off, "1.2.3.4:5", &c));
		TU_EQ_U64(c.uid, 0);
	}
}

/* the request body "abc" then a credential block, as tnet sends it */
struct credbody {
	uint8_t body[8];
	struct tess_cred cr;
};

TU_CASE(wire)
{
	struct credbody b;
	struct tess_frame f;
	struct tess_cred out;
	struct perm_cred c;
	static const struct {
		uint32_t magic, ngroups, slot16;	/* slot16: groups[15] */
		uint32_t body_len;
		uint32_t flags;
		int rc;
	} t[] = {
		{ TESS_CRED_MAGIC, 2, 0, sizeof(struct credbody),
		  TESS_HF_REQUEST, 0 },
		{ TESS_CRED_MAGIC, 16, 9, sizeof(struct credbody),
		  TESS_HF_REQUEST, 0 },
		{ TESS_CRED_MAGIC, 17, 0, sizeof(struct credbody),
		  TESS_HF_REQUEST, -EBADMSG },
		{ TESS_CRED_MAGIC + 1, 2, 0, sizeof(struct credbody),
		  TESS_HF_REQUEST, -EBADMSG },
		{ TESS_CRED_MAGIC, 2, 9, sizeof(struct credbody),
		  TESS_HF_REQUEST, -EBADMSG },		/* unused slot set */
		{ TESS_CRED_MAGIC, 2, 0, sizeof(struct tess_cred) - 1,
		  TESS_HF_REQUEST, -EBADMSG },		/* too short */
		{ TESS_CRED_MAGIC, 2, 0, sizeof(struct credbody),
		  TESS_HF_REPLY, -EBADMSG },		/* not a request */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t *base = (uint8_t *)&b + sizeof(b) - t[i].body_len;

		memset(&b, 0, sizeof(b));
		b.cr.magic = cpu_to_le32(t[i].magic);
		b.cr.uid = cpu_to_le32(1000);
		b.cr.gid = cpu_to_le32(100);
		b.cr.ngroups = cpu_to_le32(t[i].ngroups);
		b.cr.groups[0] = cpu_to_le32(100);
		b.cr.groups[1] = cpu_to_le32(2000);
		b.cr.groups[15] = cpu_to_le32(t[i].slot16);
		memset(&f, 0, sizeof(f));
		f.flags = t[i].flags | TESS_HF_CRED;
		f.body_len = t[i].body_len;
		if (tnet_cred_take(&f, base, &out) != t[i].rc) {
			TU_FAIL_AT("row %zu", i);
			continue;
		}
		if (t[i].rc)
			continue;
		TU_EQ_U64(f.body_len, t[i].body_len - sizeof(struct tess_cred));
		TU_CHECK(!memcmp(&out, &b.cr, sizeof(out)));
		perm_cred_from_wire(&c, &out);
		TU_EQ_U64(c.uid, 1000);
		TU_EQ_U64(c.gid, 100);
		TU_EQ_U64(c.ngroups, t[i].ngroups);
		TU_CHECK(perm_in_group(&c, 2000));
		TU_CHECK(!perm_in_group(&c, 3000));
	}
	/* after a 3-byte name: not aligned, copied (the fuzzer's find) */
	{
		uint8_t raw[3 + sizeof(struct tess_cred)] = "abc";

		perm_cred_to_wire(&ALICE, &b.cr);
		memcpy(raw + 3, &b.cr, sizeof(b.cr));
		memset(&f, 0, sizeof(f));
		f.flags = TESS_HF_REQUEST | TESS_HF_CRED;
		f.body_len = sizeof(raw);
		TU_EQ_INT(tnet_cred_take(&f, raw, &out), 0);
		TU_EQ_U64(f.body_len, 3);
		perm_cred_from_wire(&c, &out);
		TU_CHECK(!memcmp(&c, &ALICE, sizeof(c)));
	}
	/* no block: uid 0, gid 0; and a round trip */
	perm_cred_from_wire(&c, NULL);
	TU_CHECK(c.uid == 0 && c.gid == 0 && c.ngroups == 0);
	perm_cred_to_wire(&ALICE, &b.cr);
	perm_cred_from_wire(&c, &b.cr);
	TU_CHECK(!memcmp(&c, &ALICE, sizeof(c)));
	TU_EQ_U64(le32_to_cpu(b.cr.magic), TESS_CRED_MAGIC);
}

int main(void)
{
	tu_suite = "mds_perm";
	TU_RUN(may);
	TU_RUN(sticky);
	TU_RUN(setattr);
	TU_RUN(new_owner);
	TU_RUN(parse);
	TU_RUN(squash);
	TU_RUN(wire);
	return tu_done();
}
