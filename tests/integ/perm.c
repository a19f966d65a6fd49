// SPDX-License-Identifier: MIT
/*
 * perm: permissions on the MDS (issue #12), through the client library
 * with credentials set by hand (tess_client_set_cred): a client that does
 * no check of its own, so every refusal is the MDS's.  Run by perm.sh.
 *
 *   perm basic      as alice (1000, groups 1000 2000), bob (1001) and
 *                   root: every forbidden operation refused with the errno
 *                   POSIX gives, the allowed ones done; a bad credential
 *                   block refused EBADMSG
 *   perm setup      (an MDS without squash) /sq, sticky, and alice's
 *                   0600 /sq/secret for the next two
 *   perm squashed   (--root-squash 65534:65534, peer not in --nosquash)
 *                   root cannot read the 0600 file, nor chmod it; what
 *                   root creates is 65534's; a request without
 *                   credentials (an older client) is squashed too
 *   perm nosquash   (--root-squash, peer in --nosquash) root reads it
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "it.h"

#define ALICE	1000
#define BOB	1001

static struct tess_client *as(uint32_t uid, uint32_t gid, uint32_t n,
			      const uint32_t *groups)
{
	struct tess_client *c = it_connect();

	tess_client_set_cred(c, uid, gid, n, groups);
	return c;
}

static struct tess_client *root, *alice, *bob;

static void clients(void)
{
	static const uint32_t ag[] = { 1000, 2000 }, bg[] = { 1001 };

	root = as(0, 0, 0, NULL);
	alice = as(ALICE, ALICE, 2, ag);
	bob = as(BOB, BOB, 1, bg);
}

/* create path with mode as c, with len bytes of content */
static int put(struct tess_client *c, const char *path, uint32_t mode,
	       const char *data)
{
	struct tess_file *f;
	int rc = tess_open(c, path, O_CREAT | O_EXCL | O_RDWR, mode, NULL, &f);

	if (rc)
		return rc;
	if (data && tess_pwrite(f, data, strlen(data), 0) !=
	    (ssize_t)strlen(data)) {
		tess_close(f);
		return -EIO;
	}
	return tess_close(f);
}

/* open path with flags as c, read it, 0 if it holds want */
static int get(struct tess_client *c, const char *path, int flags,
	       const char *want)
{
	struct tess_file *f;
	char buf[64] = "";
	int rc = tess_open(c, path, flags, 0, NULL, &f);

	if (rc)
		return rc;
	if (want && (tess_pread(f, buf, sizeof(buf) - 1, 0) !=
		     (ssize_t)strlen(want) || strcmp(buf, want)))
		rc = -EIO;
	tess_close(f);
	return rc;
}

static int mode_of(struct tess_client *c, const char *path)
{
	struct tess_inode st;
	int rc = tess_stat(c, path, &st);

	return rc ? rc : (int)(st.mode & 07777);
}

static int owner_of(struct tess_client *c, const char *path, uint32_t *gid)
{
	struct tess_inode st;
	int rc = tess_stat(c, path, &st);

	if (rc)
		return rc;
	if (gid)
		*gid = st.gid;
	return (int)st.uid;
}

static int nop_cb(void *arg, const char *name, uint64_t ino, uint32_t type,
		  uint64_t cookie)
{
	(void)arg; (void)name; (void)ino; (void)type; (void)cookie;
	return 0;
}

static void basic(void)
{
	struct timespec t = { 1000000000, 0 };
	struct tess_file *f;
	uint32_t gid = 0;

	clients();
	/* /p/alice: alice's 0755; /p/tmp: 1777; /p/grp: root:2000 0770 */
	IT_RC("perm.setup.mkdir", tess_mkdir(root, "/p", 0755), 0);
	IT_RC("perm.setup.home", tess_mkdir(root, "/p/alice", 0755), 0);
	IT_RC("perm.setup.chown_home", tess_chown(root, "/p/alice", ALICE,
						  ALICE), 0);
	IT_RC("perm.setup.tmp", tess_mkdir(root, "/p/tmp", 01777), 0);
	IT_RC("perm.setup.grp", tess_mkdir(root, "/p/grp", 0770), 0);
	IT_RC("perm.setup.chgrp_grp", tess_chown(root, "/p/grp", 0, 2000), 0);

	/* alice's 0600 file: hers, unreadable to bob */
	IT_RC("perm.create_own", put(alice, "/p/alice/secret", 0600, "hello"),
	      0);
	IT_RC("perm.new_file_owner", owner_of(root, "/p/alice/secret", &gid),
	      ALICE);
	IT_RC("perm.new_file_group", gid, ALICE);
	IT_RC("perm.read_other_0600", get(bob, "/p/alice/secret", O_RDONLY,
					  NULL), -EACCES);
	IT_RC("perm.read_own_0600", get(alice, "/p/alice/secret", O_RDONLY,
					"hello"), 0);
	IT_RC("perm.root_reads_0600", get(root, "/p/alice/secret", O_RDONLY,
					  "hello"), 0);

	/*
	 * O_CREAT of a file that is there needs no write permission on its
	 * directory (POSIX): bob opens alice's 0644 file in her 0755 home,
	 * but makes nothing there (and O_EXCL of it is EEXIST, as Linux
	 * answers); O_CREAT of a directory is EISDIR
	 */
	IT_RC("perm.setup.pub", put(alice, "/p/alice/pub", 0644, "hi"), 0);
	IT_RC("perm.creat_existing_in_readonly_dir",
	      get(bob, "/p/alice/pub", O_CREAT | O_RDONLY, "hi"), 0);
	IT_RC("perm.creat_new_in_readonly_dir",
	      get(bob, "/p/alice/new", O_CREAT | O_RDONLY, NULL), -EACCES);
	IT_RC("perm.creat_excl_existing_in_readonly_dir",
	      get(bob, "/p/alice/pub", O_CREAT | O_EXCL | O_RDONLY, NULL),
	      -EEXIST);
	IT_RC("perm.creat_directory", get(alice, "/p/alice", O_CREAT | O_RDONLY,
					  NULL), -EISDIR);

	/* chmod and chown */
	IT_RC("perm.chmod_other", tess_chmod(bob, "/p/alice/secret", 0666),
	      -EPERM);
	IT_RC("perm.chown_other", tess_chown(bob, "/p/alice/secret", BOB, BOB),
	      -EPERM);
	IT_RC("perm.chown_giveaway", tess_chown(alice, "/p/alice/secret", BOB,
						ALICE), -EPERM);
	IT_RC("perm.chgrp_nonmember", tess_chown(alice, "/p/alice/secret",
						 ALICE, 3000), -EPERM);
	IT_RC("perm.chgrp_member", tess_chown(alice, "/p/alice/secret", ALICE,
					      2000), 0);
	IT_RC("perm.chmod_own", tess_chmod(alice, "/p/alice/secret", 0644), 0);
	IT_RC("perm.chmod_own_mode", mode_of(root, "/p/alice/secret"), 0644);
	IT_RC("perm.root_chown", tess_chown(root, "/p/alice/secret", ALICE,
					    3000), 0);
	IT_RC("perm.chmod_setgid_nonmember", tess_chmod(alice,
							"/p/alice/secret",
							02644), 0);
	IT_RC("perm.chmod_setgid_cleared", mode_of(root, "/p/alice/secret"),
	      0644);
	IT_RC("perm.root_chmod", tess_chmod(root, "/p/alice/secret", 0644), 0);

	/* a directory without w (or x) for bob */
	IT_RC("perm.create_nowrite", put(bob, "/p/alice/bob", 0644, NULL),
	      -EACCES);
	IT_RC("perm.mkdir_nowrite", tess_mkdir(bob, "/p/alice/d", 0755),
	      -EACCES);
	IT_RC("perm.symlink_nowrite", tess_symlink(bob, "x", "/p/alice/l"),
	      -EACCES);
	IT_RC("perm.link_nowrite", tess_link(bob, "/p/alice/secret",
					     "/p/alice/l2"), -EACCES);
	IT_RC("perm.unlink_nowrite", tess_unlink(bob, "/p/alice/secret"),
	      -EACCES);
	IT_RC("perm.rename_nowrite", tess_rename(bob, "/p/alice/secret",
						 "/p/tmp/stolen"), -EACCES);
	IT_RC("perm.mkdir_own", tess_mkdir(alice, "/p/alice/private", 0700),
	      0);
	IT_RC("perm.create_own_private", put(alice, "/p/alice/private/f",
					     0644, "x"), 0);
	IT_RC("perm.lookup_nosearch", owner_of(bob, "/p/alice/private/f",
					       NULL), -EACCES);
	IT_RC("perm.readdir_noread", tess_readdir(bob, "/p/alice/private",
						  nop_cb, NULL), -EACCES);
	IT_RC("perm.readdir_own", tess_readdir(alice, "/p/alice/private",
					       nop_cb, NULL), 0);

	/* supplementary groups */
	IT_RC("perm.supp_group_create", put(alice, "/p/grp/a", 0644, NULL), 0);
	IT_RC("perm.supp_group_other", put(bob, "/p/grp/b", 0644, NULL),
	      -EACCES);

	/* sticky /p/tmp */
	IT_RC("perm.sticky_create_alice", put(alice, "/p/tmp/a", 0644, NULL),
	      0);
	IT_RC("perm.sticky_create_bob", put(bob, "/p/tmp/b", 0644, NULL), 0);
	IT_RC("perm.sticky_unlink_other", tess_unlink(bob, "/p/tmp/a"),
	      -EPERM);
	IT_RC("perm.sticky_rename_other", tess_rename(bob, "/p/tmp/a",
						      "/p/tmp/c"), -EPERM);
	IT_RC("perm.sticky_replace_other", tess_rename(bob, "/p/tmp/b",
						       "/p/tmp/a"), -EPERM);
	IT_RC("perm.sticky_rename_own", tess_rename(bob, "/p/tmp/b",
						    "/p/tmp/b2"), 0);
	IT_RC("perm.sticky_unlink_own", tess_unlink(bob, "/p/tmp/b2"), 0);
	IT_RC("perm.sticky_unlink_root", tess_unlink(root, "/p/tmp/a"), 0);

	/* a 0444 file: no write open, no truncate, even for its owner */
	IT_RC("perm.create_0444", put(alice, "/p/alice/ro", 0444, NULL), 0);
	IT_RC("perm.write_open_0444", get(alice, "/p/alice/ro", O_RDWR, NULL),
	      -EACCES);
	IT_RC("perm.wronly_open_0444", get(alice, "/p/alice/ro", O_WRONLY,
					   NULL), -EACCES);
	IT_RC("perm.read_open_0444", get(alice, "/p/alice/ro", O_RDONLY, ""),
	      0);
	if (!tess_open(alice, "/p/alice/ro", O_RDONLY, 0, NULL, &f)) {
		IT_RC("perm.readonly_handle_write", tess_pwrite(f, "x", 1, 0),
		      -EBADF);
		tess_close(f);
	}
	IT_RC("perm.truncate_0444", tess_truncate(alice, "/p/alice/ro", 10),
	      -EACCES);
	IT_RC("perm.root_write_open_0444", get(root, "/p/alice/ro", O_RDWR,
					       NULL), 0);
	IT_RC("perm.truncate_other", tess_truncate(bob, "/p/alice/secret", 0),
	      -EACCES);
	IT_RC("perm.utimes_other", tess_utimes(bob, "/p/alice/secret", &t, &t),
	      -EPERM);
	IT_RC("perm.utimes_own", tess_utimes(alice, "/p/alice/secret", &t, &t),
	      0);

	/* a writer keeps writing after a chmod a-w, and its close works */
	IT_RC("perm.create_shared", put(alice, "/p/tmp/shared", 0666, NULL), 0);
	if (!tess_open(bob, "/p/tmp/shared", O_RDWR, 0, NULL, &f)) {
		IT_RC("perm.chmod_under_writer", tess_chmod(alice,
							    "/p/tmp/shared",
							    0644), 0);
		IT_RC("perm.writer_writes", tess_pwrite(f, "data", 4, 0), 4);
		IT_RC("perm.writer_close", tess_close(f), 0);
		IT_RC("perm.writer_size", get(alice, "/p/tmp/shared", O_RDONLY,
					      "data"), 0);
	} else {
		it_result(0, "perm.writer_open", "bob cannot open a 0666 file");
	}

	/* xattrs */
	IT_RC("perm.setxattr_user_other", tess_setxattr(bob, "/p/alice/secret",
							"user.x", "1", 1, 0),
	      -EACCES);
	IT_RC("perm.setxattr_trusted", tess_setxattr(alice, "/p/alice/secret",
						     "trusted.x", "1", 1, 0),
	      -EPERM);
	IT_RC("perm.setxattr_user_own", tess_setxattr(alice, "/p/alice/secret",
						      "user.x", "1", 1, 0), 0);

	/* a bad credential block is refused, the connection goes on */
	{
		struct tess_ino_req r = { .ino = cpu_to_le64(TESS_ROOT_INO) };
		struct tess_cred bad;
		struct tnet_call call = { .op = TESS_OP_GETATTR, .body = &r,
					  .body_len = sizeof(r), .cred = &bad };
		struct tess_inode st;

		memset(&bad, 0, sizeof(bad));
		bad.magic = cpu_to_le32(TESS_CRED_MAGIC);
		bad.ngroups = cpu_to_le32(TESS_CRED_GROUPS_MAX + 1);
		IT_RC("perm.bad_cred_ngroups", tess_mds_call(bob, &call),
		      -EBADMSG);
		bad.ngroups = 0;
		bad.magic = 0;
		IT_RC("perm.bad_cred_magic", tess_mds_call(bob, &call),
		      -EBADMSG);
		IT_RC("perm.bad_cred_then_served", tess_stat(bob, "/p", &st), 0);
	}

	/* allowed by the bits: bob reads the 0644 file now */
	IT_RC("perm.read_other_0644", get(bob, "/p/alice/secret", O_RDONLY,
					  "hello"), 0);
	IT_RC("perm.unlink_own", tess_unlink(alice, "/p/alice/secret"), 0);
}

static void setup(void)
{
	clients();
	IT_RC("perm.setup.sq", tess_mkdir(root, "/sq", 01777), 0);
	IT_RC("perm.setup.secret", put(alice, "/sq/secret", 0600, "hello"), 0);
}

/* UNLINK name in dir ino without credentials, as an older client */
static int unlink_nocred(uint64_t dir, const char *name)
{
	uint8_t body[sizeof(struct tess_name_req) + 64];
	struct tess_name_req *r = (void *)body;
	struct tnet_call call = { .op = TESS_OP_UNLINK, .body = body };
	struct tnet_addr a;
	struct tnet_key key;
	struct tnet_conn *conn;
	uint8_t uuid[16];
	char err[256];
	int rc;

	if (tnet_key_load(getenv("TESS_KEY"), &key, err, sizeof(err)) ||
	    tnet_addr_parse(getenv("TESS_MDS"), TESS_MDS_PORT, &a, err,
			    sizeof(err)))
		return -EINVAL;
	tnet_random(uuid, sizeof(uuid));
	conn = tnet_connect(&a, &key, TESS_ROLE_CLIENT, uuid, 10000, &rc);
	if (!conn)
		return rc;
	memset(r, 0, sizeof(*r));
	r->parent = cpu_to_le64(dir);
	r->name_len = cpu_to_le32((uint32_t)strlen(name));
	memcpy(r + 1, name, strlen(name));
	call.body_len = (uint32_t)(sizeof(*r) + strlen(name));
	rc = tnet_call(conn, &call);	/* call.cred NULL: no block */
	tnet_close(conn);
	return rc;
}

static void squashed(void)
{
	struct tess_inode st;
	uint32_t gid = 0;

	clients();
	IT_RC("perm.squash.root_read_0600", get(root, "/sq/secret", O_RDONLY,
						NULL), -EACCES);
	IT_RC("perm.squash.root_chmod", tess_chmod(root, "/sq/secret", 0644),
	      -EPERM);
	IT_RC("perm.squash.owner_reads", get(alice, "/sq/secret", O_RDONLY,
					     "hello"), 0);
	IT_RC("perm.squash.root_create", put(root, "/sq/r", 0644, NULL), 0);
	IT_RC("perm.squash.root_create_owner", owner_of(alice, "/sq/r", &gid),
	      65534);
	IT_RC("perm.squash.root_create_group", gid, 65534);
	IT_RC("perm.squash.root_mkdir_in_root", tess_mkdir(root, "/sqd", 0755),
	      -EACCES);
	/* an older client's request (no credentials) is root's: squashed */
	if (tess_stat(alice, "/sq", &st) == 0)
		IT_RC("perm.squash.nocred_sticky_unlink",
		      unlink_nocred(st.ino, "secret"), -EPERM);
}

static void nosquash(void)
{
	struct tess_inode st;

	clients();
	IT_RC("perm.nosquash.root_read_0600", get(root, "/sq/secret", O_RDONLY,
						  "hello"), 0);
	IT_RC("perm.nosquash.root_chmod", tess_chmod(root, "/sq/secret",
						     0600), 0);
	IT_RC("perm.nosquash.root_create", put(root, "/sq/n", 0644, NULL), 0);
	IT_RC("perm.nosquash.root_create_owner", owner_of(alice, "/sq/n", NULL),
	      0);
	/* an older client's request is root's, as before: it may */
	if (tess_stat(alice, "/sq", &st) == 0)
		IT_RC("perm.nosquash.nocred_sticky_unlink",
		      unlink_nocred(st.ino, "secret"), 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: perm basic|setup|squashed|nosquash\n");
		return 2;
	}
	if (!strcmp(argv[1], "basic"))
		basic();
	else if (!strcmp(argv[1], "setup"))
		setup();
	else if (!strcmp(argv[1], "squashed"))
		squashed();
	else if (!strcmp(argv[1], "nosquash"))
		nosquash();
	else
		return 2;
	return it_failed;
}
