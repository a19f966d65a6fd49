// SPDX-License-Identifier: MIT
/*
 * test_mds_store.c - the MDS namespace store (user/mds/store*.c), the
 * orphan destroyer (user/mds/osts.c, with a fake destroy) and the
 * precreated object pools, without a network (the request handlers:
 * test_mds_handlers.c).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tu.h"
#include "../../user/mds/store.h"
#include "../../user/mds/handlers.h"
#include "../../user/mds/osts.h"
#include "tnet.h"

#include "mds_tu.h"


static int mk(struct mds_store *s, uint64_t parent, const char *name,
	      uint32_t mode, struct mds_attr *a, struct mds_layout *lo)
{
	struct mds_create c = { .parent = parent, .name = name,
				.name_len = (uint32_t)strlen(name),
				.mode = mode, .uid = 10, .gid = 20 };

	return mds_create(s, &c, a, lo);
}

static int mk_lo(struct mds_store *s, uint64_t parent, const char *name,
		 const struct mds_layout *req, struct mds_layout *lo)
{
	struct mds_create c = { .parent = parent, .name = name,
				.name_len = (uint32_t)strlen(name),
				.mode = 0644, .layout = req };
	struct mds_attr a;

	return mds_create(s, &c, &a, lo);
}

static int mkd(struct mds_store *s, uint64_t parent, const char *name,
	       struct mds_attr *a)
{
	struct mds_create c = { .parent = parent, .name = name,
				.name_len = (uint32_t)strlen(name),
				.mode = 0750 };
	struct mds_attr tmp;

	return mds_mkdir(s, &c, a ? a : &tmp);
}

/* ino of parent/name, 0 if absent */
static uint64_t ino_of(struct mds_store *s, uint64_t parent, const char *name)
{
	struct mds_attr a;

	if (mds_lookup(s, parent, name, (uint32_t)strlen(name), &a, NULL))
		return 0;
	return a.ino;
}

static uint32_t nlink_of(struct mds_store *s, uint64_t ino)
{
	struct mds_attr a;

	return mds_getattr(s, ino, &a, NULL) ? 0 : a.nlink;
}


/* large: keep them off the stack */
static struct mds_layout lo1, lo2, req;
static struct mds_orphan orph;

/* ---- readdir collector ---- */

struct ent {
	uint64_t ino, cookie;
	uint32_t type;
	char name[TESS_NAME_MAX + 1];
};

struct coll {
	struct ent *e;
	int n, cap, limit;	/* limit: stop after this many (0 = all) */
};

static int coll_fn(void *arg, uint64_t ino, uint64_t cookie, uint32_t type,
		   const char *name, uint32_t len)
{
	struct coll *c = arg;

	if (c->limit && c->n >= c->limit)
		return 1;
	if (c->n >= c->cap)
		return 1;
	c->e[c->n].ino = ino;
	c->e[c->n].cookie = cookie;
	c->e[c->n].type = type;
	memcpy(c->e[c->n].name, name, len);
	c->e[c->n].name[len] = '\0';
	c->n++;
	return 0;
}

static int find(const struct coll *c, const char *name)
{
	int i, hits = 0;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].name, name))
			hits++;
	return hits;
}

/* whole directory in one collector (pages of `page` entries) */
static int list_all(struct mds_store *s, uint64_t dir, struct coll *c,
		    int page)
{
	uint64_t cookie = 0;
	bool eof = false;
	int rc, before;

	c->n = 0;
	while (!eof) {
		before = c->n;
		c->limit = page ? c->n + page : 0;
		rc = mds_readdir(s, dir, cookie, coll_fn, c, &eof);
		if (rc)
			return rc;
		if (c->n == before && !eof)
			return -EIO;
		if (c->n)
			cookie = c->e[c->n - 1].cookie;
	}
	return 0;
}

/* ---- cases ---- */

TU_CASE(create_lookup_getattr)
{
	struct mds_store *s = open_new(1);
	struct mds_attr a, b;

	TU_CHECK(s != NULL);
	if (!s)
		return;
	TU_EQ_INT(mk(s, ROOT, "f", 0644, &a, &lo1), 0);
	TU_EQ_U64(a.mode, S_IFREG | 0644);
	TU_EQ_U64(a.nlink, 1);
	TU_EQ_U64(a.uid, 10);
	TU_EQ_U64(a.gid, 20);
	TU_EQ_U64(a.size, 0);
	TU_CHECK(a.ino > ROOT);
	TU_CHECK(a.ctime_sec > 0);
	TU_EQ_U64(lo1.pattern, TESS_LAYOUT_RAID0);
	TU_EQ_U64(lo1.nobjs, 1);
	TU_EQ_U64(lo1.stripe_count, 1);
	TU_EQ_U64(lo1.stripe_size, TESS_STRIPE_SIZE_DEF);
	TU_EQ_U64(lo1.objs[0].ost_idx, 0);
	TU_CHECK(lo1.objs[0].oid != 0);
	TU_EQ_INT(mds_lookup(s, ROOT, N("f"), &b, &lo2), 0);
	TU_EQ_U64(b.ino, a.ino);
	TU_EQ_U64(lo2.nobjs, 1);
	TU_EQ_U64(lo2.objs[0].oid, lo1.objs[0].oid);
	TU_EQ_INT(mds_getattr(s, a.ino, &b, NULL), 0);
	TU_EQ_U64(b.mode, a.mode);
	TU_EQ_INT(mds_getattr(s, ROOT, &b, NULL), 0);
	TU_EQ_U64(b.mode, S_IFDIR | 0755);
	TU_EQ_U64(b.nlink, 2);
	TU_EQ_INT(mds_lookup(s, ROOT, N("nope"), &b, NULL), -ENOENT);
	TU_EQ_INT(mds_getattr(s, 999999, &b, NULL), -ENOENT);
	TU_EQ_INT(mds_getattr(s, 0, &b, NULL), -ENOENT);
	mds_store_free(s);
}

TU_CASE(create_excl_and_open)
{
	struct mds_store *s = open_new(1);
	struct mds_attr a, b;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mk(s, ROOT, "f", 0600, &a, &lo1), 0);
	TU_EQ_INT(mk(s, ROOT, "f", 0600 | 0, &b, &lo2), 0);	/* no EXCL */
	TU_EQ_U64(b.ino, a.ino);
	TU_EQ_U64(lo2.objs[0].oid, lo1.objs[0].oid);
	{
		struct mds_create x = { .parent = ROOT, .name = "f",
					.name_len = 1, .mode = 0600,
					.flags = TESS_CREATE_EXCL };

		TU_EQ_INT(mds_create(s, &x, &b, NULL), -EEXIST);
	}
	TU_EQ_INT(mkd(s, ROOT, "d", NULL), 0);
	TU_EQ_INT(mk(s, ROOT, "d", 0600, &b, NULL), -EEXIST);
	TU_EQ_INT(mkd(s, ROOT, "f", NULL), -EEXIST);
	TU_EQ_INT(mkd(s, ROOT, "d", NULL), -EEXIST);
	TU_EQ_INT(mk(s, ROOT, "dir", S_IFDIR | 0755, &b, NULL), -EINVAL);
	mds_store_free(s);
}

TU_CASE(no_osts_enospc_but_fifo_ok)
{
	struct mds_store *s = open_new(0);
	struct mds_attr a;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mk(s, ROOT, "f", 0644, &a, &lo1), -ENOSPC);
	TU_EQ_U64(ino_of(s, ROOT, "f"), 0);
	TU_EQ_INT(mk(s, ROOT, "fifo", S_IFIFO | 0600, &a, &lo1), 0);
	TU_EQ_U64(a.mode, S_IFIFO | 0600);
	TU_EQ_U64(lo1.pattern, 0);
	TU_EQ_INT(mk(s, ROOT, "chr", S_IFCHR | 0600, &a, NULL), 0);
	mds_store_free(s);
}

TU_CASE(name_errors)
{
	struct mds_store *s = open_new(1);
	char longname[300];
	struct mds_attr a;
	uint64_t f;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	memset(longname, 'x', sizeof(longname));
	longname[256] = '\0';
	TU_EQ_INT(mk(s, ROOT, longname, 0644, &a, NULL), -ENAMETOOLONG);
	TU_EQ_INT(mkd(s, ROOT, longname, NULL), -ENAMETOOLONG);
	TU_EQ_INT(mds_lookup(s, ROOT, longname, 256, &a, NULL), -ENAMETOOLONG);
	longname[255] = '\0';
	TU_EQ_INT(mk(s, ROOT, longname, 0644, &a, NULL), 0);	/* 255 is fine */
	TU_EQ_INT(mk(s, ROOT, ".", 0644, &a, NULL), -EINVAL);
	TU_EQ_INT(mk(s, ROOT, "..", 0644, &a, NULL), -EINVAL);
	TU_EQ_INT(mk(s, ROOT, "a/b", 0644, &a, NULL), -EINVAL);
	TU_EQ_INT(mds_lookup(s, ROOT, "a\0b", 3, &a, NULL), -EINVAL);
	TU_EQ_INT(mds_lookup(s, ROOT, "", 0, &a, NULL), -EINVAL);
	TU_EQ_INT(mk(s, ROOT, "file", 0644, &a, NULL), 0);
	f = a.ino;
	/* a regular file is not a directory */
	TU_EQ_INT(mds_lookup(s, f, N("x"), &a, NULL), -ENOTDIR);
	TU_EQ_INT(mk(s, f, "x", 0644, &a, NULL), -ENOTDIR);
	TU_EQ_INT(mkd(s, f, "x", NULL), -ENOTDIR);
	TU_EQ_INT(mds_unlink(s, f, N("x")), -ENOTDIR);
	TU_EQ_INT(mds_rename(s, ROOT, N("file"), f, N("y"), 0), -ENOTDIR);
	/* missing parents and names */
	TU_EQ_INT(mk(s, 4242, "x", 0644, &a, NULL), -ENOENT);
	TU_EQ_INT(mds_unlink(s, ROOT, N("missing")), -ENOENT);
	TU_EQ_INT(mds_rmdir(s, ROOT, N("missing")), -ENOENT);
	TU_EQ_INT(mds_rename(s, ROOT, N("missing"), ROOT, N("z"), 0), -ENOENT);
	/* unlink of a dir, rmdir of a file */
	TU_EQ_INT(mkd(s, ROOT, "d", NULL), 0);
	TU_EQ_INT(mds_unlink(s, ROOT, N("d")), -EISDIR);
	TU_EQ_INT(mds_rmdir(s, ROOT, N("file")), -ENOTDIR);
	mds_store_free(s);
}

TU_CASE(mkdir_rmdir_notempty)
{
	struct mds_store *s = open_new(1);
	struct mds_attr d, a;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mkd(s, ROOT, "d", &d), 0);
	TU_EQ_U64(d.mode, S_IFDIR | 0750);
	TU_EQ_U64(d.nlink, 2);
	TU_EQ_U64(nlink_of(s, ROOT), 3);
	TU_EQ_INT(mkd(s, d.ino, "sub", NULL), 0);
	TU_EQ_U64(nlink_of(s, d.ino), 3);
	TU_EQ_INT(mk(s, d.ino, "f", 0644, &a, NULL), 0);
	TU_EQ_U64(nlink_of(s, d.ino), 3);	/* files do not count */
	TU_EQ_INT(mds_rmdir(s, ROOT, N("d")), -ENOTEMPTY);
	TU_EQ_INT(mds_rmdir(s, d.ino, N("sub")), 0);
	TU_EQ_U64(nlink_of(s, d.ino), 2);
	TU_EQ_INT(mds_rmdir(s, ROOT, N("d")), -ENOTEMPTY);
	TU_EQ_INT(mds_unlink(s, d.ino, N("f")), 0);
	TU_EQ_INT(mds_rmdir(s, ROOT, N("d")), 0);
	TU_EQ_U64(nlink_of(s, ROOT), 2);
	TU_EQ_U64(ino_of(s, ROOT, "d"), 0);
	TU_EQ_INT(mds_getattr(s, d.ino, &a, NULL), -ENOENT);
	mds_store_free(s);
}

TU_CASE(rename_file_over_file)
{
	struct mds_store *s = open_new(2);
	struct mds_attr a, b;
	uint64_t n;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mk(s, ROOT, "a", 0644, &a, NULL), 0);
	TU_EQ_INT(mk(s, ROOT, "b", 0644, &b, &lo2), 0);
	TU_EQ_U64(orphans(s), 0);
	TU_EQ_INT(mds_rename(s, ROOT, N("a"), ROOT, N("b"),
			     TESS_RENAME_NOREPLACE), -EEXIST);
	TU_EQ_U64(ino_of(s, ROOT, "a"), a.ino);
	TU_EQ_INT(mds_rename(s, ROOT, N("a"), ROOT, N("b"), 0), 0);
	TU_EQ_U64(ino_of(s, ROOT, "a"), 0);
	TU_EQ_U64(ino_of(s, ROOT, "b"), a.ino);
	/* the replaced inode stays, nameless, until its objects are gone */
	TU_EQ_INT(mds_getattr(s, b.ino, &b, NULL), 0);
	TU_EQ_U64(b.nlink, 0);
	/* the replaced file's objects wait on the orphan list */
	n = orphans(s);
	TU_EQ_U64(n, 1);
	TU_EQ_INT(mds_orphan_next(s, 0, &orph), 0);
	TU_EQ_U64(orph.layout.nobjs, lo2.nobjs);
	TU_EQ_U64(orph.layout.objs[0].oid, lo2.objs[0].oid);
	/* rename onto itself (same name) changes nothing */
	TU_EQ_INT(mds_rename(s, ROOT, N("b"), ROOT, N("b"), 0), 0);
	TU_EQ_U64(ino_of(s, ROOT, "b"), a.ino);
	/* a plain move to a new name */
	TU_EQ_INT(mds_rename(s, ROOT, N("b"), ROOT, N("c"), TESS_RENAME_NOREPLACE), 0);
	TU_EQ_U64(ino_of(s, ROOT, "c"), a.ino);
	TU_EQ_U64(ino_of(s, ROOT, "b"), 0);
	mds_store_free(s);
}

TU_CASE(rename_dirs)
{
	struct mds_store *s = open_new(1);
	struct mds_attr d1, d2, d3, f, x;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mkd(s, ROOT, "d1", &d1), 0);
	TU_EQ_INT(mkd(s, ROOT, "d2", &d2), 0);
	TU_EQ_INT(mkd(s, ROOT, "d3", &d3), 0);
	TU_EQ_INT(mk(s, ROOT, "f", 0644, &f, NULL), 0);
	TU_EQ_INT(mk(s, d3.ino, "inner", 0644, &x, NULL), 0);
	/* dir over a file, file over a dir */
	TU_EQ_INT(mds_rename(s, ROOT, N("d1"), ROOT, N("f"), 0), -ENOTDIR);
	TU_EQ_INT(mds_rename(s, ROOT, N("f"), ROOT, N("d1"), 0), -EISDIR);
	/* dir over a non-empty dir */
	TU_EQ_INT(mds_rename(s, ROOT, N("d1"), ROOT, N("d3"), 0), -ENOTEMPTY);
	/* dir over an empty dir */
	TU_EQ_U64(nlink_of(s, ROOT), 5);
	TU_EQ_INT(mds_rename(s, ROOT, N("d1"), ROOT, N("d2"), 0), 0);
	TU_EQ_U64(ino_of(s, ROOT, "d2"), d1.ino);
	TU_EQ_U64(ino_of(s, ROOT, "d1"), 0);
	TU_EQ_INT(mds_getattr(s, d2.ino, &x, NULL), -ENOENT);
	TU_EQ_U64(nlink_of(s, ROOT), 4);
	TU_EQ_U64(orphans(s), 0);	/* directories have no objects */
	mds_store_free(s);
}

TU_CASE(rename_across_dirs)
{
	struct mds_store *s = open_new(1);
	struct mds_attr a, b, f, sub;
	struct ent e[8];
	struct coll c = { .e = e, .cap = 8 };

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mkd(s, ROOT, "a", &a), 0);
	TU_EQ_INT(mkd(s, ROOT, "b", &b), 0);
	TU_EQ_INT(mk(s, a.ino, "f", 0644, &f, NULL), 0);
	TU_EQ_INT(mkd(s, a.ino, "sub", &sub), 0);
	TU_EQ_U64(nlink_of(s, a.ino), 3);
	TU_EQ_INT(mds_rename(s, a.ino, N("f"), b.ino, N("g"), 0), 0);
	TU_EQ_U64(ino_of(s, a.ino, "f"), 0);
	TU_EQ_U64(ino_of(s, b.ino, "g"), f.ino);
	TU_EQ_INT(mds_rename(s, a.ino, N("sub"), b.ino, N("sub"), 0), 0);
	TU_EQ_U64(nlink_of(s, a.ino), 2);
	TU_EQ_U64(nlink_of(s, b.ino), 3);
	/* ".." of the moved directory follows it */
	TU_EQ_INT(list_all(s, sub.ino, &c, 0), 0);
	TU_EQ_INT(c.n, 2);
	TU_CHECK(!strcmp(e[1].name, ".."));
	TU_EQ_U64(e[1].ino, b.ino);
	TU_EQ_U64(e[1].cookie, 2);
	/* now a is empty and can go */
	TU_EQ_INT(mds_rmdir(s, ROOT, N("a")), 0);
	mds_store_free(s);
}

TU_CASE(rename_into_own_subtree)
{
	struct mds_store *s = open_new(1);
	struct mds_attr a, b, c;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mkd(s, ROOT, "a", &a), 0);
	TU_EQ_INT(mkd(s, a.ino, "b", &b), 0);
	TU_EQ_INT(mkd(s, b.ino, "c", &c), 0);
	TU_EQ_INT(mds_rename(s, ROOT, N("a"), c.ino, N("x"), 0), -EINVAL);
	TU_EQ_INT(mds_rename(s, ROOT, N("a"), a.ino, N("x"), 0), -EINVAL);
	TU_EQ_INT(mds_rename(s, a.ino, N("b"), b.ino, N("x"), 0), -EINVAL);
	/* a/b/c onto a/b: the target is not empty */
	TU_EQ_INT(mds_rename(s, b.ino, N("c"), a.ino, N("b"), 0), -ENOTEMPTY);
	/* nothing moved */
	TU_EQ_U64(ino_of(s, ROOT, "a"), a.ino);
	TU_EQ_U64(ino_of(s, a.ino, "b"), b.ino);
	/* moving up is fine */
	TU_EQ_INT(mds_rename(s, b.ino, N("c"), ROOT, N("c"), 0), 0);
	TU_EQ_U64(ino_of(s, ROOT, "c"), c.ino);
	mds_store_free(s);
}

TU_CASE(link_counts)
{
	struct mds_store *s = open_new(1);
	struct mds_attr f, d, a;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mk(s, ROOT, "f", 0644, &f, NULL), 0);
	TU_EQ_INT(mkd(s, ROOT, "d", &d), 0);
	TU_EQ_INT(mds_link(s, f.ino, d.ino, N("g"), &a, &lo1), 0);
	TU_EQ_U64(a.nlink, 2);
	TU_EQ_U64(lo1.nobjs, 1);
	TU_EQ_U64(ino_of(s, d.ino, "g"), f.ino);
	TU_EQ_INT(mds_link(s, f.ino, d.ino, N("g"), &a, NULL), -EEXIST);
	TU_EQ_INT(mds_link(s, d.ino, ROOT, N("dl"), &a, NULL), -EPERM);
	TU_EQ_INT(mds_link(s, 777777, ROOT, N("x"), &a, NULL), -ENOENT);
	TU_EQ_INT(mds_link(s, f.ino, f.ino, N("x"), &a, NULL), -ENOTDIR);
	/* rename between two links of one file: nothing happens */
	TU_EQ_INT(mds_rename(s, ROOT, N("f"), d.ino, N("g"), 0), 0);
	TU_EQ_U64(ino_of(s, ROOT, "f"), f.ino);
	TU_EQ_U64(nlink_of(s, f.ino), 2);
	TU_EQ_INT(mds_unlink(s, ROOT, N("f")), 0);
	TU_EQ_U64(nlink_of(s, f.ino), 1);
	TU_EQ_U64(orphans(s), 0);	/* still linked as d/g */
	TU_EQ_INT(mds_unlink(s, d.ino, N("g")), 0);
	TU_EQ_INT(mds_getattr(s, f.ino, &a, NULL), 0);
	TU_EQ_U64(a.nlink, 0);
	TU_EQ_U64(orphans(s), 1);
	/* an orphan gets no new name */
	TU_EQ_INT(mds_link(s, f.ino, ROOT, N("back"), &a, NULL), -ENOENT);
	mds_store_free(s);
}

static int hook_calls;
static void hook(void *arg)
{
	(void)arg;
	hook_calls++;
}

TU_CASE(unlink_records_orphan)
{
	struct mds_store *s = open_new(3);
	struct mds_attr f;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	mds_store_set_orphan_hook(s, hook, NULL);
	hook_calls = 0;
	memset(&req, 0, sizeof(req));
	req.pattern = TESS_LAYOUT_RAID0;
	req.stripe_count = 3;
	req.stripe_offset = TESS_OST_ANY;
	TU_EQ_INT(mk_lo(s, ROOT, "f", &req, &lo1), 0);
	TU_EQ_U64(lo1.nobjs, 3);
	f.ino = ino_of(s, ROOT, "f");
	TU_EQ_INT(mds_setxattr(s, f.ino, N("user.a"), "v", 1, 0), 0);
	TU_EQ_INT(hook_calls, 0);
	TU_EQ_INT(mds_unlink(s, ROOT, N("f")), 0);
	TU_EQ_INT(hook_calls, 1);
	TU_EQ_INT(mds_orphan_next(s, 0, &orph), 0);
	TU_EQ_U64(orph.ino, f.ino);
	TU_EQ_U64(orph.layout.nobjs, 3);
	TU_EQ_U64(orph.layout.objs[0].oid, lo1.objs[0].oid);
	TU_EQ_U64(orph.layout.objs[2].ost_idx, lo1.objs[2].ost_idx);
	TU_EQ_INT(mds_orphan_next(s, orph.id, &orph), -ENOENT);
	/* the inode and its xattrs stay while the objects do (open files) */
	{
		uint32_t size;
		struct mds_attr a;

		TU_EQ_INT(mds_getattr(s, f.ino, &a, NULL), 0);
		TU_EQ_U64(a.nlink, 0);
		TU_EQ_INT(mds_getxattr(s, f.ino, N("user.a"), NULL, 0, &size),
			  0);
		TU_EQ_INT(mds_set_layout(s, f.ino, &req, &lo2), -ENOENT);
	}
	/* partial progress is kept, then the record goes */
	TU_EQ_INT(mds_orphan_next(s, 0, &orph), 0);
	lo2 = orph.layout;
	lo2.objs[0] = lo2.objs[2];
	lo2.nobjs = 1;
	TU_EQ_INT(mds_orphan_update(s, orph.id, &lo2), 0);
	TU_EQ_INT(mds_orphan_next(s, 0, &orph), 0);
	TU_EQ_U64(orph.layout.nobjs, 1);
	TU_EQ_U64(orph.layout.objs[0].oid, lo1.objs[2].oid);
	lo2.nobjs = 0;
	TU_EQ_INT(mds_orphan_update(s, orph.id, &lo2), 0);
	TU_EQ_U64(orphans(s), 0);
	/* with the last object the inode and its xattrs went */
	{
		uint32_t size;
		struct mds_attr a;

		TU_EQ_INT(mds_getattr(s, f.ino, &a, NULL), -ENOENT);
		TU_EQ_INT(mds_getxattr(s, f.ino, N("user.a"), NULL, 0, &size),
			  -ENOENT);
	}
	/* fifos and directories leave no orphans */
	TU_EQ_INT(mk(s, ROOT, "p", S_IFIFO | 0600, &f, NULL), 0);
	TU_EQ_INT(mds_unlink(s, ROOT, N("p")), 0);
	TU_EQ_U64(orphans(s), 0);
	mds_store_free(s);
}

/* fake destroy: OST 1 is "down" until allowed */
static int destroy_calls, ost1_up;
static int fake_destroy(void *arg, uint32_t idx, uint64_t oid)
{
	(void)arg;
	(void)oid;
	destroy_calls++;
	if (idx == 1 && !ost1_up)
		return -EHOSTDOWN;
	return idx == 2 ? -ENOENT : 0;	/* ENOENT counts as done */
}

TU_CASE(orphan_reaper_retries)
{
	struct mds_store *s = open_new(3);
	struct mds_osts *o = NULL;
	uint64_t left = 99;
	int i;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mds_osts_create(&o, s, NULL), 0);
	if (!o) {
		mds_store_free(s);
		return;
	}
	mds_osts_set_destroy_fn(o, fake_destroy, NULL);
	memset(&req, 0, sizeof(req));
	req.stripe_count = 3;
	req.stripe_offset = TESS_OST_ANY;
	for (i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		TU_EQ_INT(mk_lo(s, ROOT, name, &req, &lo1), 0);
		TU_EQ_INT(mds_unlink(s, ROOT, N(name)), 0);
	}
	TU_EQ_U64(orphans(s), 4);
	ost1_up = 0;
	destroy_calls = 0;
	TU_EQ_INT(mds_osts_reap(o, &left), 0);
	TU_EQ_U64(left, 4);
	TU_EQ_INT(destroy_calls, 12);
	TU_EQ_U64(orphans(s), 4);
	/* only the object on OST 1 is left in each record */
	TU_EQ_INT(mds_orphan_next(s, 0, &orph), 0);
	TU_EQ_U64(orph.layout.nobjs, 1);
	TU_EQ_U64(orph.layout.objs[0].ost_idx, 1);
	ost1_up = 1;
	destroy_calls = 0;
	TU_EQ_INT(mds_osts_reap(o, &left), 0);
	TU_EQ_U64(left, 0);
	TU_EQ_INT(destroy_calls, 4);
	TU_EQ_U64(orphans(s), 0);
	mds_osts_free(o);
	mds_store_free(s);
}

static uint64_t busy_ino;
static bool fake_busy(void *arg, uint64_t ino)
{
	(void)arg;
	return ino == busy_ino;
}

/* an open inode's orphan waits; the inode record goes with its objects */
TU_CASE(orphan_reaper_skips_busy)
{
	struct mds_store *s = open_new(2);
	struct mds_osts *o = NULL;
	struct mds_attr a, held, other;
	uint64_t left = 99;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mds_osts_create(&o, s, NULL), 0);
	if (!o) {
		mds_store_free(s);
		return;
	}
	ost1_up = 1;
	mds_osts_set_destroy_fn(o, fake_destroy, NULL);
	mds_osts_set_busy_fn(o, fake_busy, NULL);
	TU_EQ_INT(mk(s, ROOT, "held", 0644, &held, NULL), 0);
	TU_EQ_INT(mk(s, ROOT, "other", 0644, &other, NULL), 0);
	TU_EQ_INT(mds_unlink(s, ROOT, N("held")), 0);
	TU_EQ_INT(mds_unlink(s, ROOT, N("other")), 0);
	TU_EQ_U64(orphans(s), 2);
	busy_ino = held.ino;
	destroy_calls = 0;
	TU_EQ_INT(mds_osts_reap(o, &left), 0);
	TU_EQ_U64(left, 0);			/* held: not a failure */
	TU_EQ_U64(orphans(s), 1);
	TU_EQ_INT(mds_orphan_next(s, 0, &orph), 0);
	TU_EQ_U64(orph.ino, held.ino);
	TU_EQ_INT(mds_getattr(s, held.ino, &a, NULL), 0);
	TU_EQ_U64(a.nlink, 0);
	TU_EQ_INT(mds_getattr(s, other.ino, &a, NULL), -ENOENT);
	/* the last close: it goes */
	busy_ino = 0;
	TU_EQ_INT(mds_osts_reap(o, &left), 0);
	TU_EQ_U64(orphans(s), 0);
	TU_EQ_INT(mds_getattr(s, held.ino, &a, NULL), -ENOENT);
	mds_osts_free(o);
	mds_store_free(s);
}

TU_CASE(orphan_thread_runs_on_unlink)
{
	struct mds_store *s = open_new(2);
	struct mds_osts *o = NULL;
	int i;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mds_osts_create(&o, s, NULL), 0);
	if (!o) {
		mds_store_free(s);
		return;
	}
	ost1_up = 1;
	mds_osts_set_destroy_fn(o, fake_destroy, NULL);
	TU_EQ_INT(mds_osts_start(o), 0);
	TU_EQ_INT(mk(s, ROOT, "f", 0644, NULL, NULL), 0);
	TU_EQ_INT(mds_unlink(s, ROOT, N("f")), 0);
	for (i = 0; i < 200 && orphans(s); i++)
		usleep(10000);
	TU_EQ_U64(orphans(s), 0);
	mds_osts_stop(o);
	mds_osts_free(o);
	mds_store_free(s);
}

TU_CASE(readdir_cookies_stable)
{
	struct mds_store *s = open_new(1);
	static struct ent e[64];
	struct coll c = { .e = e, .cap = 64 };
	struct mds_attr d;
	uint64_t cookie;
	bool eof;
	char name[16];
	int i;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mkd(s, ROOT, "d", &d), 0);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		TU_EQ_INT(mk(s, d.ino, name, 0644, NULL, NULL), 0);
	}
	/* first page: ".", "..", f00, f01 */
	c.limit = 4;
	TU_EQ_INT(mds_readdir(s, d.ino, 0, coll_fn, &c, &eof), 0);
	TU_EQ_INT(c.n, 4);
	TU_CHECK(!eof);
	TU_CHECK(!strcmp(e[0].name, "."));
	TU_EQ_U64(e[0].cookie, 1);
	TU_EQ_U64(e[0].ino, d.ino);
	TU_EQ_U64(e[0].type, DT_DIR);
	TU_CHECK(!strcmp(e[1].name, ".."));
	TU_EQ_U64(e[1].cookie, 2);
	TU_EQ_U64(e[1].ino, ROOT);
	TU_CHECK(!strcmp(e[2].name, "f00"));
	TU_EQ_U64(e[2].type, DT_REG);
	TU_CHECK(e[3].cookie > e[2].cookie && e[2].cookie > 2);
	cookie = e[3].cookie;
	/* between calls: remove a listed and an unlisted entry, add some */
	TU_EQ_INT(mds_unlink(s, d.ino, N("f00")), 0);
	TU_EQ_INT(mds_unlink(s, d.ino, N("f05")), 0);
	TU_EQ_INT(mk(s, d.ino, "new1", 0644, NULL, NULL), 0);
	TU_EQ_INT(mkd(s, d.ino, "new2", NULL), 0);
	/* a name re-created gets a new cookie: it shows up again, later */
	TU_EQ_INT(mk(s, d.ino, "f00", 0644, NULL, NULL), 0);
	c.limit = 0;
	TU_EQ_INT(mds_readdir(s, d.ino, cookie, coll_fn, &c, &eof), 0);
	TU_CHECK(eof);
	TU_EQ_INT(find(&c, "f01"), 1);		/* not repeated */
	TU_EQ_INT(find(&c, "f02"), 1);
	TU_EQ_INT(find(&c, "f09"), 1);
	TU_EQ_INT(find(&c, "f05"), 0);		/* removed before seen */
	TU_EQ_INT(find(&c, "new1"), 1);
	TU_EQ_INT(find(&c, "new2"), 1);
	TU_EQ_INT(find(&c, "f00"), 2);		/* old one, then the new one */
	TU_EQ_INT(c.n, 4 + 7 + 3);
	for (i = 1; i < c.n; i++)
		TU_CHECK(e[i].cookie > e[i - 1].cookie);
	/* resuming after the last cookie: nothing, eof */
	c.n = 0;
	TU_EQ_INT(mds_readdir(s, d.ino, e[4 + 7 + 3 - 1].cookie, coll_fn, &c,
			      &eof), 0);
	TU_EQ_INT(c.n, 0);
	TU_CHECK(eof);
	c.n = 0;
	TU_EQ_INT(mds_readdir(s, d.ino, UINT64_MAX, coll_fn, &c, &eof), 0);
	TU_CHECK(eof);
	/* readdir of a file */
	TU_EQ_INT(mds_readdir(s, ino_of(s, d.ino, "f01"), 0, coll_fn, &c, &eof),
		  -ENOTDIR);
	mds_store_free(s);
}

TU_CASE(xattr_flags_and_erange)
{
	struct mds_store *s = open_new(1);
	struct mds_attr f, b;
	char buf[64];
	uint32_t size = 0;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mk(s, ROOT, "f", 0644, &f, NULL), 0);
	TU_EQ_INT(mds_getxattr(s, f.ino, N("user.x"), buf, sizeof(buf), &size),
		  -ENODATA);
	TU_EQ_INT(mds_setxattr(s, f.ino, N("user.x"), "hello", 5,
			       TESS_XATTR_REPLACE), -ENODATA);
	TU_EQ_INT(mds_setxattr(s, f.ino, N("user.x"), "hello", 5,
			       TESS_XATTR_CREATE), 0);
	TU_EQ_INT(mds_setxattr(s, f.ino, N("user.x"), "again", 5,
			       TESS_XATTR_CREATE), -EEXIST);
	TU_EQ_INT(mds_setxattr(s, f.ino, N("user.x"), "x", 1,
			       TESS_XATTR_CREATE | TESS_XATTR_REPLACE), -EINVAL);
	TU_EQ_INT(mds_getxattr(s, f.ino, N("user.x"), NULL, 0, &size), 0);
	TU_EQ_U64(size, 5);
	size = 0;
	TU_EQ_INT(mds_getxattr(s, f.ino, N("user.x"), buf, 3, &size), -ERANGE);
	TU_EQ_U64(size, 5);
	TU_EQ_INT(mds_getxattr(s, f.ino, N("user.x"), buf, sizeof(buf), &size), 0);
	TU_CHECK(size == 5 && !memcmp(buf, "hello", 5));
	TU_EQ_INT(mds_setxattr(s, f.ino, N("user.x"), "bye", 3,
			       TESS_XATTR_REPLACE), 0);
	TU_EQ_INT(mds_getxattr(s, f.ino, N("user.x"), buf, sizeof(buf), &size), 0);
	TU_CHECK(size == 3 && !memcmp(buf, "bye", 3));
	TU_EQ_INT(mds_setxattr(s, f.ino, N("user.empty"), NULL, 0, 0), 0);
	TU_EQ_INT(mds_getxattr(s, f.ino, N("user.empty"), buf, sizeof(buf),
			       &size), 0);
	TU_EQ_U64(size, 0);
	/* list: sorted, NUL-separated */
	TU_EQ_INT(mds_listxattr(s, f.ino, NULL, 0, &size), 0);
	TU_EQ_U64(size, 11 + 7);
	TU_EQ_INT(mds_listxattr(s, f.ino, buf, 5, &size), -ERANGE);
	TU_EQ_U64(size, 18);
	TU_EQ_INT(mds_listxattr(s, f.ino, buf, sizeof(buf), &size), 0);
	TU_CHECK(size == 18 && !memcmp(buf, "user.empty\0user.x\0", 18));
	/* set bumps ctime; remove */
	TU_EQ_INT(mds_getattr(s, f.ino, &b, NULL), 0);
	TU_CHECK(b.ctime_sec > f.ctime_sec ||
		 (b.ctime_sec == f.ctime_sec && b.ctime_nsec >= f.ctime_nsec));
	TU_EQ_INT(mds_removexattr(s, f.ino, N("user.x")), 0);
	TU_EQ_INT(mds_removexattr(s, f.ino, N("user.x")), -ENODATA);
	TU_EQ_INT(mds_listxattr(s, f.ino, buf, sizeof(buf), &size), 0);
	TU_EQ_U64(size, 11);
	TU_EQ_INT(mds_setxattr(s, 9999, N("user.x"), "v", 1, 0), -ENOENT);
	TU_EQ_INT(mds_setxattr(s, ROOT, N("user.onroot"), "v", 1, 0), 0);
	mds_store_free(s);
}

TU_CASE(symlink_readlink)
{
	struct mds_store *s = open_new(1);
	struct mds_attr l, a;
	char buf[TESS_SYMLINK_MAX];
	static char big[TESS_SYMLINK_MAX + 2];
	uint32_t len = 0;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mds_symlink(s, ROOT, N("l"), N("../some/target"), 5, 6, &l), 0);
	TU_EQ_U64(l.mode, S_IFLNK | 0777);
	TU_EQ_U64(l.size, 14);
	TU_EQ_U64(l.uid, 5);
	TU_EQ_INT(mds_readlink(s, l.ino, buf, &len), 0);
	TU_CHECK(len == 14 && !memcmp(buf, "../some/target", 14));
	TU_EQ_INT(mds_symlink(s, ROOT, N("l"), N("x"), 0, 0, &a), -EEXIST);
	TU_EQ_INT(mk(s, ROOT, "f", 0644, &a, NULL), 0);
	TU_EQ_INT(mds_readlink(s, a.ino, buf, &len), -EINVAL);
	TU_EQ_INT(mds_readlink(s, ROOT, buf, &len), -EINVAL);
	memset(big, 'a', TESS_SYMLINK_MAX + 1);
	TU_EQ_INT(mds_symlink(s, ROOT, N("big"), big, TESS_SYMLINK_MAX + 1, 0, 0,
			      &a), -ENAMETOOLONG);
	TU_EQ_INT(mds_symlink(s, ROOT, N("big"), big, TESS_SYMLINK_MAX, 0, 0,
			      &a), 0);
	TU_EQ_INT(mds_readlink(s, a.ino, buf, &len), 0);
	TU_EQ_U64(len, TESS_SYMLINK_MAX);
	TU_EQ_INT(mds_symlink(s, ROOT, N("empty"), "", 0, 0, 0, &a), -EINVAL);
	TU_EQ_INT(mds_unlink(s, ROOT, N("l")), 0);
	TU_EQ_INT(mds_readlink(s, l.ino, buf, &len), -ENOENT);
	TU_EQ_U64(orphans(s), 0);
	mds_store_free(s);
}

TU_CASE(layout_inheritance)
{
	struct mds_store *s = open_new(4);
	struct mds_attr d, sub;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	/* fs default: count 1, 1 MiB */
	TU_EQ_INT(mk_lo(s, ROOT, "plain", NULL, &lo1), 0);
	TU_EQ_U64(lo1.stripe_count, 1);
	TU_EQ_U64(lo1.stripe_size, TESS_STRIPE_SIZE_DEF);
	/* dir default: count 2, 128 KiB */
	TU_EQ_INT(mkd(s, ROOT, "d", &d), 0);
	memset(&req, 0, sizeof(req));
	req.pattern = TESS_LAYOUT_RAID0;
	req.stripe_count = 2;
	req.stripe_size = 128 << 10;
	req.stripe_offset = TESS_OST_ANY;
	TU_EQ_INT(mds_set_layout(s, d.ino, &req, &lo2), 0);
	TU_EQ_U64(lo2.stripe_count, 2);
	TU_EQ_U64(lo2.nobjs, 0);
	TU_EQ_INT(mds_get_layout(s, d.ino, &lo2), 0);
	TU_EQ_U64(lo2.stripe_size, 128 << 10);
	TU_EQ_INT(mk_lo(s, d.ino, "f", NULL, &lo1), 0);
	TU_EQ_U64(lo1.stripe_count, 2);
	TU_EQ_U64(lo1.nobjs, 2);
	TU_EQ_U64(lo1.stripe_size, 128 << 10);
	TU_CHECK(lo1.objs[0].ost_idx != lo1.objs[1].ost_idx);
	TU_CHECK(lo1.objs[0].oid != lo1.objs[1].oid);
	/* a new subdirectory takes its parent's default */
	TU_EQ_INT(mkd(s, d.ino, "sub", &sub), 0);
	TU_EQ_INT(mk_lo(s, sub.ino, "g", NULL, &lo1), 0);
	TU_EQ_U64(lo1.stripe_count, 2);
	TU_EQ_U64(lo1.stripe_size, 128 << 10);
	/* an explicit request wins field by field; size from the dir */
	memset(&req, 0, sizeof(req));
	req.stripe_count = 3;
	req.stripe_offset = TESS_OST_ANY;
	TU_EQ_INT(mk_lo(s, d.ino, "three", &req, &lo1), 0);
	TU_EQ_U64(lo1.nobjs, 3);
	TU_EQ_U64(lo1.stripe_size, 128 << 10);
	/* count capped to the OSTs there are */
	req.stripe_count = 200;
	TU_EQ_INT(mk_lo(s, d.ino, "many", &req, &lo1), 0);
	TU_EQ_U64(lo1.nobjs, 4);
	TU_EQ_U64(lo1.stripe_count, 4);
	/* explicit first OST */
	req.stripe_count = 2;
	req.stripe_offset = 3;
	TU_EQ_INT(mk_lo(s, ROOT, "at3", &req, &lo1), 0);
	TU_EQ_U64(lo1.objs[0].ost_idx, 3);
	TU_EQ_U64(lo1.objs[1].ost_idx, 0);
	TU_EQ_U64(lo1.stripe_offset, 3);
	req.stripe_offset = 9;
	TU_EQ_INT(mk_lo(s, ROOT, "at9", &req, &lo1), -EINVAL);
	/* clearing the dir default falls back to the fs default */
	memset(&req, 0, sizeof(req));
	req.stripe_offset = TESS_OST_ANY;
	TU_EQ_INT(mds_set_layout(s, d.ino, &req, &lo2), 0);
	TU_EQ_U64(lo2.pattern, 0);
	TU_EQ_INT(mk_lo(s, d.ino, "after", NULL, &lo1), 0);
	TU_EQ_U64(lo1.stripe_count, 1);
	TU_EQ_U64(lo1.stripe_size, TESS_STRIPE_SIZE_DEF);
	mds_store_free(s);
}

TU_CASE(set_layout_on_file)
{
	struct mds_store *s = open_new(2);
	struct mds_setattr sa = { .valid = TESS_SA_SIZE, .size = 10 };
	struct mds_attr f, a;
	uint64_t dv;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mk(s, ROOT, "f", 0644, &f, &lo1), 0);
	dv = f.data_version;
	memset(&req, 0, sizeof(req));
	req.pattern = TESS_LAYOUT_RAID0;
	req.stripe_count = 2;
	req.stripe_size = 256 << 10;
	req.stripe_offset = TESS_OST_ANY;
	TU_EQ_INT(mds_set_layout(s, f.ino, &req, &lo2), 0);
	TU_EQ_U64(lo2.nobjs, 2);
	TU_EQ_U64(lo2.stripe_size, 256 << 10);
	TU_EQ_U64(lo2.gen, lo1.gen + 1);
	TU_CHECK(lo2.objs[0].oid != lo1.objs[0].oid &&
		 lo2.objs[1].oid != lo1.objs[0].oid);
	TU_EQ_U64(orphans(s), 1);
	TU_EQ_INT(mds_orphan_next(s, 0, &orph), 0);
	TU_EQ_U64(orph.ino, f.ino);
	TU_EQ_U64(orph.layout.objs[0].oid, lo1.objs[0].oid);
	TU_EQ_INT(mds_getattr(s, f.ino, &a, &lo1), 0);
	TU_EQ_U64(lo1.nobjs, 2);
	TU_CHECK(a.data_version > dv);
	/* not once the file has data */
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), 0);
	TU_EQ_INT(mds_set_layout(s, f.ino, &req, &lo2), -EBUSY);
	TU_EQ_INT(mds_symlink(s, ROOT, N("l"), N("t"), 0, 0, &a), 0);
	TU_EQ_INT(mds_set_layout(s, a.ino, &req, &lo2), -EINVAL);
	TU_EQ_INT(mds_set_layout(s, 5555, &req, &lo2), -ENOENT);
	mds_store_free(s);
}

/*
 * STATFS's def_stripe_count (issue #13): the stripe count a file made with
 * no layout in a directory without one gets, the fs default cut to the
 * OSTs up (all registered when none is), as the create cuts it.
 */
TU_CASE(new_count_is_what_a_create_gets)
{
	struct mds_store_opts o = { .dir = newdir(), .nosync = true,
				    .map_size = 256u << 20, .stripe_count = 4 };
	struct mds_store *s = NULL;
	char err[256];

	TU_EQ_INT(mds_store_open(&s, &o, err, sizeof(err)), 0);
	if (!s)
		return;
	TU_EQ_U64(mds_store_new_count(s), 4);	/* no OST: the default */
	TU_EQ_INT(add_osts(s, 0, 3), 0);
	TU_EQ_U64(mds_store_new_count(s), 3);
	TU_EQ_INT(mk_lo(s, ROOT, "three", NULL, &lo1), 0);
	TU_EQ_U64(lo1.nobjs, 3);
	mds_ost_set_state(s, 1, TESS_OST_DOWN);
	TU_EQ_U64(mds_store_new_count(s), 2);
	TU_EQ_INT(mk_lo(s, ROOT, "two", NULL, &lo1), 0);
	TU_EQ_U64(lo1.nobjs, 2);
	mds_ost_set_state(s, 0, TESS_OST_DOWN);
	mds_ost_set_state(s, 2, TESS_OST_DOWN);
	TU_EQ_U64(mds_store_new_count(s), 3);	/* none up: all of them */
	TU_EQ_INT(mk_lo(s, ROOT, "all", NULL, &lo1), 0);
	TU_EQ_U64(lo1.nobjs, 3);
	TU_EQ_INT(add_osts(s, 3, 3), 0);	/* 3 up of 6 */
	TU_EQ_U64(mds_store_new_count(s), 3);
	TU_EQ_INT(add_osts(s, 0, 3), 0);	/* 6 up */
	TU_EQ_U64(mds_store_new_count(s), 4);
	TU_EQ_INT(mk_lo(s, ROOT, "four", NULL, &lo1), 0);
	TU_EQ_U64(lo1.nobjs, 4);
	mds_store_free(s);
}

TU_CASE(round_robin_and_unique_oids)
{
	struct mds_store *s = open_new(4);
	uint64_t oids[8];
	int per_ost[4] = { 0 }, i, j;
	char name[16];

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		TU_EQ_INT(mk_lo(s, ROOT, name, NULL, &lo1), 0);
		TU_EQ_U64(lo1.nobjs, 1);
		if (lo1.objs[0].ost_idx < 4)
			per_ost[lo1.objs[0].ost_idx]++;
		oids[i] = lo1.objs[0].oid;
	}
	for (i = 0; i < 4; i++)
		TU_EQ_INT(per_ost[i], 2);
	for (i = 0; i < 8; i++)
		for (j = 0; j < i; j++)
			TU_CHECK(oids[i] != oids[j]);
	/* a down OST is skipped by round-robin */
	mds_ost_set_state(s, 2, TESS_OST_DOWN);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		TU_EQ_INT(mk_lo(s, ROOT, name, NULL, &lo1), 0);
		TU_CHECK(lo1.objs[0].ost_idx != 2);
	}
	mds_store_free(s);
}

/* a truncate records its file for a trim; done takes only what it read */
TU_CASE(setattr_size_records_trim)
{
	struct mds_store *s = open_new(2);
	struct mds_setattr sa = { .valid = TESS_SA_SIZE, .size = 100 };
	struct mds_attr a;
	uint64_t ino, got, gen, gen2, n;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	mds_store_set_orphan_hook(s, hook, NULL);
	memset(&req, 0, sizeof(req));
	req.pattern = TESS_LAYOUT_RAID0;
	req.stripe_count = 2;
	req.stripe_offset = TESS_OST_ANY;
	TU_EQ_INT(mk_lo(s, ROOT, "t", &req, &lo1), 0);
	ino = ino_of(s, ROOT, "t");
	TU_EQ_INT(mds_trim_next(s, 0, &got, &gen), -ENOENT);
	sa.valid = TESS_SA_SIZE_EXTEND;		/* an extend: no trim */
	TU_EQ_INT(mds_setattr(s, ino, &sa, &a, NULL), 0);
	TU_EQ_INT(mds_trim_next(s, 0, &got, &gen), -ENOENT);
	hook_calls = 0;
	sa.valid = TESS_SA_SIZE;		/* truncate to the same size */
	TU_EQ_INT(mds_setattr(s, ino, &sa, &a, NULL), 0);
	TU_EQ_INT(hook_calls, 1);		/* the thread is woken */
	TU_EQ_INT(mds_trim_next(s, 0, &got, &gen), 0);
	TU_EQ_U64(got, ino);
	TU_CHECK(mds_trim_pending(s, ino));
	TU_CHECK(!mds_trim_pending(s, ino + 1));
	TU_EQ_INT(mds_trim_next(s, ino, &got, &gen2), -ENOENT);
	sa.size = 10;				/* truncated again */
	TU_EQ_INT(mds_setattr(s, ino, &sa, &a, NULL), 0);
	TU_EQ_INT(mds_trim_done(s, ino, gen), -EAGAIN);
	TU_EQ_INT(mds_trim_count(s, &n), 0);
	TU_EQ_U64(n, 1);
	TU_EQ_INT(mds_trim_next(s, 0, &got, &gen2), 0);
	TU_CHECK(gen2 != gen);
	TU_EQ_INT(mds_trim_done(s, ino, gen2), 0);
	TU_EQ_INT(mds_trim_count(s, &n), 0);
	TU_EQ_U64(n, 0);
	TU_EQ_INT(mds_trim_done(s, ino, gen2), 0);	/* gone: done */
	/* a dead client's open file; not an inode that is gone */
	TU_EQ_INT(mds_trim_add(s, ino), 0);
	TU_EQ_INT(mds_trim_add(s, 31337), 0);
	TU_EQ_INT(mds_trim_count(s, &n), 0);
	TU_EQ_U64(n, 1);
	mds_store_free(s);
}

TU_CASE(setattr_rules)
{
	struct mds_store *s = open_new(1);
	struct mds_setattr sa;
	struct mds_attr f, a, d;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mk(s, ROOT, "f", 0644, &f, NULL), 0);
	memset(&sa, 0, sizeof(sa));
	sa.valid = TESS_SA_SIZE_EXTEND;
	sa.size = 1000;
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), 0);
	TU_EQ_U64(a.size, 1000);
	TU_EQ_U64(a.blocks, 2);
	TU_EQ_U64(a.data_version, f.data_version + 1);
	sa.size = 10;			/* extend never shrinks */
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), 0);
	TU_EQ_U64(a.size, 1000);
	TU_EQ_U64(a.data_version, f.data_version + 1);
	sa.valid = TESS_SA_SIZE;	/* truncate does */
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), 0);
	TU_EQ_U64(a.size, 10);
	TU_EQ_U64(a.data_version, f.data_version + 2);
	sa.valid = TESS_SA_SIZE | TESS_SA_SIZE_EXTEND;
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), -EINVAL);
	/* mode keeps the type; uid/gid */
	sa.valid = TESS_SA_MODE | TESS_SA_UID | TESS_SA_GID;
	sa.mode = S_IFDIR | 04700;
	sa.uid = 77;
	sa.gid = 88;
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), 0);
	TU_EQ_U64(a.mode, S_IFREG | 04700);
	TU_EQ_U64(a.uid, 77);
	TU_EQ_U64(a.gid, 88);
	TU_EQ_U64(a.data_version, f.data_version + 2);
	/* explicit times */
	sa.valid = TESS_SA_ATIME | TESS_SA_MTIME | TESS_SA_CTIME;
	sa.atime_sec = 100;
	sa.mtime_sec = 200;
	sa.mtime_nsec = 5;
	sa.ctime_sec = 300;
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), 0);
	TU_EQ_U64(a.atime_sec, 100);
	TU_EQ_U64(a.mtime_sec, 200);
	TU_EQ_U64(a.mtime_nsec, 5);
	TU_EQ_U64(a.ctime_sec, 300);
	TU_EQ_U64(a.data_version, f.data_version + 3);	/* mtime moved */
	/* NOW */
	sa.valid = TESS_SA_MTIME_NOW;
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), 0);
	TU_CHECK(a.mtime_sec > 1000000000ull);
	TU_CHECK(a.ctime_sec > 1000000000ull);	/* every change sets ctime */
	/* size of a dir or symlink */
	TU_EQ_INT(mkd(s, ROOT, "d", &d), 0);
	sa.valid = TESS_SA_SIZE;
	TU_EQ_INT(mds_setattr(s, d.ino, &sa, &a, NULL), -EISDIR);
	TU_EQ_INT(mds_symlink(s, ROOT, N("l"), N("t"), 0, 0, &a), 0);
	TU_EQ_INT(mds_setattr(s, a.ino, &sa, &a, NULL), -EINVAL);
	TU_EQ_INT(mds_setattr(s, 31337, &sa, &a, NULL), -ENOENT);
	/* valid 0 is a getattr */
	sa.valid = 0;
	TU_EQ_INT(mds_setattr(s, f.ino, &sa, &a, NULL), 0);
	TU_EQ_U64(a.size, 10);
	mds_store_free(s);
}

TU_CASE(durable_across_reopen)
{
	char dir[300];
	struct mds_store *s;
	struct mds_store_opts o = { 0 };
	struct mds_attr d, f, a;
	struct mds_ost ost;
	char buf[64], err[256];
	uint32_t len, cnt, sz;

	snprintf(dir, sizeof(dir), "%s", newdir());
	s = open_at(dir, false);	/* durable commits */
	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(add_osts(s, 0, 2), 0);
	TU_EQ_INT(mkd(s, ROOT, "d", &d), 0);
	TU_EQ_INT(mk(s, d.ino, "f", 0640, &f, &lo1), 0);
	TU_EQ_INT(mds_setxattr(s, f.ino, N("user.k"), "val", 3, 0), 0);
	TU_EQ_INT(mds_symlink(s, d.ino, N("l"), N("f"), 0, 0, &a), 0);
	TU_EQ_INT(mk(s, ROOT, "gone", 0644, &a, NULL), 0);
	TU_EQ_INT(mds_unlink(s, ROOT, N("gone")), 0);
	mds_store_free(s);

	/* the lock is released; a second open of a live store is refused */
	s = open_at(dir, false);
	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	{
		struct mds_store *s2 = NULL;

		o.dir = dir;
		o.map_size = 256u << 20;
		TU_EQ_INT(mds_store_open(&s2, &o, err, sizeof(err)) != 0, 1);
		TU_CHECK(s2 == NULL);
	}
	TU_EQ_U64(ino_of(s, ROOT, "d"), d.ino);
	TU_EQ_INT(mds_lookup(s, d.ino, N("f"), &a, &lo2), 0);
	TU_EQ_U64(a.ino, f.ino);
	TU_EQ_U64(a.mode, S_IFREG | 0640);
	TU_EQ_U64(lo2.objs[0].oid, lo1.objs[0].oid);
	TU_EQ_INT(mds_getxattr(s, f.ino, N("user.k"), buf, sizeof(buf), &len), 0);
	TU_CHECK(len == 3 && !memcmp(buf, "val", 3));
	TU_EQ_INT(mds_readlink(s, ino_of(s, d.ino, "l"), buf, &len), 0);
	TU_CHECK(len == 1 && buf[0] == 'f');
	TU_EQ_U64(orphans(s), 1);
	TU_EQ_U64(mds_ost_list(s, &ost, 1), 1);
	TU_EQ_U64(ost.index, 0);
	TU_EQ_U64(ost.state, TESS_OST_DOWN);	/* until it registers again */
	TU_CHECK(!strcmp(ost.addr, "127.0.0.1:17431@tcp"));
	/* inode numbers and object ids are not reused */
	TU_EQ_INT(mk(s, ROOT, "new", 0644, &a, &lo2), 0);
	TU_CHECK(a.ino > f.ino);
	TU_CHECK(lo2.objs[0].oid > lo1.objs[0].oid);
	mds_store_free(s);

	/* fs defaults given at start are stored; fsname is fixed */
	o.dir = dir;
	o.stripe_count = 2;
	o.stripe_size = 4 << 20;
	TU_EQ_INT(mds_store_open(&s, &o, err, sizeof(err)), 0);
	if (s) {
		mds_store_free(s);
		o.stripe_count = 0;
		o.stripe_size = 0;
		TU_EQ_INT(mds_store_open(&s, &o, err, sizeof(err)), 0);
		if (s) {
			mds_store_defaults(s, &cnt, &sz);
			TU_EQ_U64(cnt, 2);
			TU_EQ_U64(sz, 4 << 20);
			TU_CHECK(!strcmp(mds_store_fsname(s), "tessera"));
			mds_store_free(s);
		}
	}
	o.fsname = "other";
	TU_CHECK(mds_store_open(&s, &o, err, sizeof(err)) != 0);
	TU_CHECK(strstr(err, "tessera") != NULL);
	o.fsname = NULL;
	o.stripe_size = 1000;		/* not a multiple of 64 KiB */
	TU_EQ_INT(mds_store_open(&s, &o, err, sizeof(err)), -EINVAL);
}

struct cargs {
	struct mds_store *s;
	uint64_t dir;
	int id, n, errors;
};

static void *creator(void *arg)
{
	struct cargs *c = arg;
	char name[32];
	int i;

	for (i = 0; i < c->n; i++) {
		snprintf(name, sizeof(name), "t%d-%04d", c->id, i);
		if (mk(c->s, c->dir, name, 0644, NULL, NULL))
			c->errors++;
	}
	return NULL;
}

TU_CASE(concurrent_creates_one_dir)
{
	struct mds_store *s = open_new(2);
	struct cargs ca[2];
	pthread_t t[2];
	struct mds_attr d;
	static struct ent e[2100];
	struct coll c = { .e = e, .cap = 2100 };
	int i, j, bad = 0;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	TU_EQ_INT(mkd(s, ROOT, "d", &d), 0);
	for (i = 0; i < 2; i++) {
		ca[i] = (struct cargs){ .s = s, .dir = d.ino, .id = i, .n = 1000 };
		pthread_create(&t[i], NULL, creator, &ca[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	TU_EQ_INT(ca[0].errors + ca[1].errors, 0);
	/* listed in pages of 37 entries */
	TU_EQ_INT(list_all(s, d.ino, &c, 37), 0);
	TU_EQ_INT(c.n, 2002);
	for (i = 3; i < c.n; i++)
		if (c.e[i].cookie <= c.e[i - 1].cookie)
			bad++;
	TU_EQ_INT(bad, 0);
	/* every name once (cookies increase, names are checked per thread) */
	for (i = 0; i < 2; i++) {
		int seen = 0;

		for (j = 2; j < c.n; j++)
			if (c.e[j].name[1] == '0' + i)
				seen++;
		TU_EQ_INT(seen, 1000);
	}
	mds_store_free(s);
}

/* precreation: a stand-in for precreate.c that "creates" at once */
struct fake_pc {
	struct mds_store *s;
	bool fail[4];
	int calls[4];
};

static int fake_refill(void *arg, uint32_t idx)
{
	struct fake_pc *f = arg;
	uint64_t first;
	uint32_t count;
	int rc;

	f->calls[idx]++;
	if (f->fail[idx])
		return -EHOSTDOWN;
	rc = mds_pool_reserve(f->s, idx, 64, &first, &count);
	if (rc == 1)
		return 0;
	return rc ? rc : mds_pool_confirm(f->s, idx, first);
}

/* count the owners of each kind over every page of OBJ_SCAN */
static void scan_all(struct mds_store *s, uint32_t counts[4], uint64_t *free0)
{
	static struct mds_owner tab[TESS_OBJ_SCAN_MAX];
	uint64_t cookie = 0;
	uint32_t n, i;
	bool eof = false;
	int pages = 0;

	memset(counts, 0, 4 * sizeof(*counts));
	*free0 = 0;
	while (!eof && pages++ < 100) {
		TU_EQ_INT(mds_obj_scan(s, &cookie, tab, TESS_MAX_STRIPES, &n,
				       &eof), 0);
		for (i = 0; i < n; i++) {
			if (tab[i].kind < 4)
				counts[tab[i].kind]++;
			if (tab[i].kind == TESS_OWN_FREE && tab[i].ost_idx == 0)
				*free0 += tab[i].count;
		}
	}
	TU_CHECK(eof);
}

TU_CASE(precreate_pools)
{
	struct mds_store *s = open_new(2);
	struct fake_pc f = { 0 };
	struct mds_attr na;
	uint64_t first, first2, oids[70], free0;
	uint32_t count, counts[4];
	uint8_t uuid[16] = { 0x77 };
	char name[16];
	int i, j;

	if (!s) {
		TU_CHECK(s != NULL);
		return;
	}
	f.s = s;
	mds_store_set_refill(s, fake_refill, &f);
	/* OST 1 cannot precreate: skipped like a down OST */
	f.fail[1] = true;
	memset(&req, 0, sizeof(req));
	req.stripe_count = 2;
	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		TU_EQ_INT(mk_lo(s, ROOT, name, &req, &lo1), 0);
		TU_EQ_U64(lo1.nobjs, 1);
		TU_EQ_U64(lo1.objs[0].ost_idx, 0);
		oids[i] = lo1.objs[0].oid;
	}
	/* 70 objects from pools of 64: two refills, oids never repeat */
	TU_EQ_INT(f.calls[0], 2);
	TU_CHECK(f.calls[1] >= 1);
	for (i = 0; i < 70; i++)
		for (j = 0; j < i; j++)
			TU_CHECK(oids[i] != oids[j]);
	/* OBJ_SCAN: 70 files, the 58 precreated oids not handed out */
	scan_all(s, counts, &free0);
	TU_EQ_U64(counts[TESS_OWN_FILE], 70);
	TU_EQ_U64(free0, 128 - 70);
	/* an unlinked file's objects are an orphan's until destroyed */
	TU_EQ_INT(mds_unlink(s, ROOT, N("p0")), 0);
	scan_all(s, counts, &free0);
	TU_EQ_U64(counts[TESS_OWN_FILE], 69);
	TU_EQ_U64(counts[TESS_OWN_ORPHAN], 1);

	/* a range not confirmed is sent again, the same */
	TU_EQ_INT(mds_pool_reserve(s, 1, 64, &first, &count), 0);
	TU_EQ_INT(mds_pool_reserve(s, 1, 64, &first2, &count), 0);
	TU_EQ_U64(first2, first);
	/*
	 * No OST can precreate (both away, pool 0 drained above to 58 and
	 * drained now): EAGAIN, not EIO, so that a client tries again (a
	 * hard mount waits for the OSTs as for any server); nothing made
	 */
	f.fail[0] = true;
	for (i = 0; i < 58; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		TU_EQ_INT(mk_lo(s, ROOT, name, &req, &lo1), 0);
	}
	TU_EQ_INT(mk_lo(s, ROOT, "none", &req, &lo1), -EAGAIN);
	TU_EQ_INT(mds_lookup(s, ROOT, N("none"), &na, NULL), -ENOENT);
	f.fail[0] = false;
	TU_EQ_INT(mk_lo(s, ROOT, "none", &req, &lo1), 0);

	/* OST 1 works again: its files take the range it confirmed */
	f.fail[1] = false;
	req.stripe_count = 1;
	req.stripe_offset = 1;
	req.pattern = TESS_LAYOUT_RAID0;
	TU_EQ_INT(mk_lo(s, ROOT, "on1", &req, &lo1), 0);
	TU_EQ_U64(lo1.objs[0].ost_idx, 1);
	TU_EQ_U64(lo1.objs[0].oid, first);

	/* another store at index 1: refused, unless replace */
	TU_EQ_INT(mds_ost_register(s, 1, "127.0.0.1:17432@tcp", uuid, false),
		  -EEXIST);
	TU_EQ_INT(mds_ost_register(s, 1, "127.0.0.1:17432@tcp", uuid, true), 0);
	TU_EQ_INT(mds_ost_register(s, 1, "127.0.0.1:17432@tcp", uuid, false), 0);
	/* its pool was on the old store: new objects come from a new range */
	TU_EQ_INT(mk_lo(s, ROOT, "on1b", &req, &lo1), 0);
	TU_EQ_U64(lo1.objs[0].ost_idx, 1);
	TU_CHECK(lo1.objs[0].oid > first + 63);
	memset(&req, 0, sizeof(req));
	mds_store_free(s);
}

int main(void)
{
	if (mds_tu_setup("test_mds_store"))
		return 1;
	TU_RUN(create_lookup_getattr);
	TU_RUN(create_excl_and_open);
	TU_RUN(no_osts_enospc_but_fifo_ok);
	TU_RUN(name_errors);
	TU_RUN(mkdir_rmdir_notempty);
	TU_RUN(rename_file_over_file);
	TU_RUN(rename_dirs);
	TU_RUN(rename_across_dirs);
	TU_RUN(rename_into_own_subtree);
	TU_RUN(link_counts);
	TU_RUN(unlink_records_orphan);
	TU_RUN(orphan_reaper_retries);
	TU_RUN(orphan_reaper_skips_busy);
	TU_RUN(orphan_thread_runs_on_unlink);
	TU_RUN(readdir_cookies_stable);
	TU_RUN(xattr_flags_and_erange);
	TU_RUN(symlink_readlink);
	TU_RUN(layout_inheritance);
	TU_RUN(set_layout_on_file);
	TU_RUN(new_count_is_what_a_create_gets);
	TU_RUN(round_robin_and_unique_oids);
	TU_RUN(setattr_size_records_trim);
	TU_RUN(setattr_rules);
	TU_RUN(durable_across_reopen);
	TU_RUN(concurrent_creates_one_dir);
	TU_RUN(precreate_pools);
	mds_tu_cleanup();
	return tu_done();
}
