// SPDX-License-Identifier: MIT
/*
 * test_mds_store.c - the MDS namespace store (user/mds/store*.c), the
 * orphan destroyer (user/mds/osts.c, with a fake destroy) and the request
 * handlers (user/mds/handlers.c), all without a network.
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

static char root_dir[] = "/tmp/tess_mds_test.XXXXXX";
static int ndirs;

static const char *newdir(void)
{
	static char path[300];

	snprintf(path, sizeof(path), "%s/s%d", root_dir, ndirs++);
	return path;
}

static struct mds_store *open_at(const char *dir, bool nosync)
{
	struct mds_store_opts o = { .dir = dir, .nosync = nosync,
				    .map_size = 256u << 20 };
	struct mds_store *s = NULL;
	char err[256];

	if (mds_store_open(&s, &o, err, sizeof(err)))
		fprintf(stderr, "open %s: %s\n", dir, err);
	return s;
}

static int add_osts(struct mds_store *s, int first, int n)
{
	uint8_t uuid[16] = { 0 };
	char addr[64];
	int i, rc;

	for (i = first; i < first + n; i++) {
		uuid[0] = (uint8_t)i;
		snprintf(addr, sizeof(addr), "127.0.0.1:%d@tcp", 17431 + i);
		rc = mds_ost_register(s, (uint32_t)i, addr, uuid, false);
		if (rc)
			return rc;
	}
	return 0;
}

static struct mds_store *open_new(int nosts)
{
	struct mds_store *s = open_at(newdir(), true);

	if (s && add_osts(s, 0, nosts)) {
		mds_store_free(s);
		return NULL;
	}
	return s;
}

#define N(str) str, (uint32_t)strlen(str)
#define ROOT TESS_ROOT_INO

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

static uint64_t orphans(struct mds_store *s)
{
	uint64_t n = 0;

	mds_orphan_count(s, &n);
	return n;
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

/* ---- handlers, driven with frames that passed tess_msg_check ---- */

static uint8_t rep_buf[TESS_MAX_BODY];

struct hres {
	int status;
	uint32_t len;
	const uint8_t *body;
};

static struct hres call_h(struct mds *m, int role, uint16_t op,
			  const void *body, uint32_t len)
{
	struct tnet_conn conn;
	struct tnet_msg msg;
	struct tnet_reply rep;
	struct tess_frame rf;
	struct hres r = { .body = rep_buf };
	int rc;

	memset(rep_buf, 0, 256);
	memset(&conn, 0, sizeof(conn));
	conn.role = role;
	snprintf(conn.peer, sizeof(conn.peer), "test");
	memset(&msg, 0, sizeof(msg));
	msg.f.opcode = op;
	msg.f.flags = TESS_HF_REQUEST;
	msg.f.body_len = len;
	msg.body = body;
	rc = tess_msg_check(&msg.f, body);
	if (rc) {
		fprintf(stderr, "test built a bad %s request: %d\n",
			tess_op_name(op), rc);
		r.status = -1;
		return r;
	}
	tess_buf_init(&rep.body, rep_buf, TESS_MAX_BODY);
	rep.bulk = NULL;
	rep.bulk_len = 0;
	r.status = mds_handle(m, &conn, &msg, &rep);
	r.len = rep.body.len;
	r.body = rep_buf;
	/* what goes back must pass the client's check too */
	memset(&rf, 0, sizeof(rf));
	rf.opcode = op;
	rf.flags = TESS_HF_REPLY;
	rf.status = (uint32_t)r.status;
	rf.body_len = r.len;
	if (tess_msg_check(&rf, rep_buf))
		r.status = -2;
	return r;
}

static uint32_t b_name_req(uint8_t *b, uint64_t parent, const char *name)
{
	struct tess_name_req r = { .parent = cpu_to_le64(parent),
				   .name_len = cpu_to_le32(strlen(name)) };

	memcpy(b, &r, sizeof(r));
	memcpy(b + sizeof(r), name, strlen(name));
	return sizeof(r) + (uint32_t)strlen(name);
}

static uint32_t b_create(uint8_t *b, uint64_t parent, const char *name,
			 uint32_t mode, const void *layout, uint32_t llen)
{
	struct tess_create_req r = { .parent = cpu_to_le64(parent),
				     .mode = cpu_to_le32(mode),
				     .name_len = cpu_to_le32(strlen(name)),
				     .layout_len = cpu_to_le32(llen) };
	uint32_t n = sizeof(r);

	memcpy(b, &r, n);
	if (llen)
		memcpy(b + n, layout, llen);	/* layout first, then name */
	n += llen;
	memcpy(b + n, name, strlen(name));
	return n + (uint32_t)strlen(name);
}

static struct mds *new_mds(int nosts)
{
	static struct mds m;

	m.store = open_new(nosts);
	if (!m.store || mds_osts_create(&m.osts, m.store, NULL)) {
		if (m.store)
			mds_store_free(m.store);
		return NULL;
	}
	return &m;
}

static void free_mds(struct mds *m)
{
	mds_osts_free(m->osts);
	mds_store_free(m->store);
}

TU_CASE(handler_create_lookup_readdir)
{
	struct mds *m = new_mds(2);
	static uint8_t b[4096];
	struct tess_inode_rep ir;
	struct tess_layout lw = { .stripe_count = cpu_to_le16(2),
				  .stripe_offset = cpu_to_le16(TESS_OST_ANY) };
	struct tess_readdir_req rd = { .ino = cpu_to_le64(ROOT) };
	struct tess_readdir_rep rr;
	struct tess_dirent de;
	struct hres r;
	uint64_t ino;
	uint32_t n, off, i;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	n = b_create(b, ROOT, "file", S_IFREG | 0644, &lw, sizeof(lw));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b, n);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(ir) + TESS_LAYOUT_BYTES(2));
	memcpy(&ir, r.body, sizeof(ir));
	ino = le64_to_cpu(ir.attr.ino);
	TU_EQ_U64(le32_to_cpu(ir.layout_len), TESS_LAYOUT_BYTES(2));
	TU_EQ_U64(le32_to_cpu(ir.attr.mode), S_IFREG | 0644);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b, n);
	TU_EQ_INT(r.status, 0);		/* no EXCL: opens it */
	n = b_create(b, ROOT, "dir", 0755, NULL, 0);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_MKDIR, b, n);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(ir));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_MKDIR, b, n);
	TU_EQ_INT(r.status, EEXIST);
	TU_EQ_U64(r.len, 0);
	n = b_name_req(b, ROOT, "file");
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_LOOKUP, b, n);
	TU_EQ_INT(r.status, 0);
	memcpy(&ir, r.body, sizeof(ir));
	TU_EQ_U64(le64_to_cpu(ir.attr.ino), ino);
	n = b_name_req(b, ino, "x");
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_LOOKUP, b, n);
	TU_EQ_INT(r.status, ENOTDIR);
	n = b_name_req(b, ROOT, "file");
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_RMDIR, b, n);
	TU_EQ_INT(r.status, ENOTDIR);

	/* readdir: ".", "..", file, dir; then a too-small buffer */
	rd.max_bytes = cpu_to_le32(4096);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	memcpy(&rr, r.body, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.count), 4);
	TU_EQ_U64(le32_to_cpu(rr.eof), 1);
	off = sizeof(rr);
	for (i = 0; i < 4 && off + sizeof(de) <= r.len; i++) {
		memcpy(&de, r.body + off, sizeof(de));
		if (i == 2) {
			TU_EQ_U64(le64_to_cpu(de.ino), ino);
			TU_CHECK(!memcmp(r.body + off + sizeof(de), "file", 4));
			TU_EQ_U64(le32_to_cpu(de.type), DT_REG);
		}
		off += TESS_DIRENT_BYTES(le32_to_cpu(de.name_len));
	}
	TU_EQ_U64(off, r.len);
	rd.max_bytes = cpu_to_le32(sizeof(rr) + TESS_DIRENT_BYTES(1));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	memcpy(&rr, r.body, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.count), 1);
	TU_EQ_U64(le32_to_cpu(rr.eof), 0);
	rd.max_bytes = cpu_to_le32(sizeof(rr) + 8);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, EINVAL);
	free_mds(m);
}

static uint32_t b_setxattr(uint8_t *b, uint64_t ino, const char *name,
			   const char *val)
{
	struct tess_xattr_req x = { .ino = cpu_to_le64(ino),
				    .name_len = cpu_to_le32(strlen(name)),
				    .value_len = cpu_to_le32(strlen(val)) };

	memcpy(b, &x, sizeof(x));
	memcpy(b + sizeof(x), name, strlen(name));
	memcpy(b + sizeof(x) + strlen(name), val, strlen(val));
	return sizeof(x) + (uint32_t)(strlen(name) + strlen(val));
}

/*
 * READDIRPLUS (issue #11): each entry carries the attributes GETATTR
 * gives and TESS_DPLUS_SEC exactly for an inode with a security.* xattr
 * (not user.*); the reply passes tess_msg_check, fits max_bytes, and a
 * plain READDIR is unchanged.
 */
TU_CASE(handler_readdir_plus)
{
	struct mds *m = new_mds(1);
	static uint8_t b[4096], rb[8192];
	static const char *const names[] = { "plain", "sec", "usr", "sub" };
	uint64_t inos[4];
	struct tess_inode_rep ir, gr;
	struct tess_readdir_req rd = { .ino = cpu_to_le64(ROOT),
				       .max_bytes = cpu_to_le32(8192),
				       .flags = cpu_to_le32(TESS_READDIR_PLUS) };
	struct tess_readdir_rep rr;
	struct tess_dirent de;
	struct tess_dirent_plus dp;
	struct tess_frame f = { .opcode = TESS_OP_READDIR,
				.flags = TESS_HF_REPLY };
	struct tess_ino_req gq;
	struct hres r;
	uint32_t n, off, i, j, len, seen = 0;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	for (i = 0; i < 4; i++) {
		n = b_create(b, ROOT, names[i], i == 3 ? 0750 : S_IFREG | 0640,
			     NULL, 0);
		r = call_h(m, TESS_ROLE_CLIENT,
			   i == 3 ? TESS_OP_MKDIR : TESS_OP_CREATE, b, n);
		TU_EQ_INT(r.status, 0);
		memcpy(&ir, r.body, sizeof(ir));
		inos[i] = le64_to_cpu(ir.attr.ino);
	}
	n = b_setxattr(b, inos[1], "security.test", "v");
	TU_EQ_INT(call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, n).status, 0);
	n = b_setxattr(b, inos[2], "user.test", "v");
	TU_EQ_INT(call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, n).status, 0);
	/* the next inode's security.* must not count for usr */
	n = b_setxattr(b, inos[3], "security.x", "v");
	TU_EQ_INT(call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, n).status, 0);

	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	f.body_len = r.len;
	TU_EQ_INT(tess_msg_check(&f, r.body), 0);
	len = r.len < sizeof(rb) ? r.len : sizeof(rb);
	memcpy(rb, r.body, len);
	memcpy(&rr, rb, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.count), 6);
	TU_EQ_U64(le32_to_cpu(rr.eof), TESS_READDIR_EOF | TESS_READDIR_PLUS);
	off = sizeof(rr);
	for (i = 0; i < 6 && off + sizeof(de) <= len; i++) {
		memcpy(&de, rb + off, sizeof(de));
		n = le32_to_cpu(de.name_len);
		if (off + TESS_DIRENT_PLUS_BYTES(n) > len)
			break;
		memcpy(&dp, rb + off + TESS_DIRENT_BYTES(n), sizeof(dp));
		TU_EQ_U64(le64_to_cpu(dp.attr.ino), le64_to_cpu(de.ino));
		TU_EQ_U64(dp.pad, 0);
		for (j = 0; j < 4; j++) {
			if (n != strlen(names[j]) ||
			    memcmp(rb + off + sizeof(de), names[j], n))
				continue;
			seen |= 1u << j;
			TU_EQ_U64(le64_to_cpu(de.ino), inos[j]);
			TU_EQ_U64(le32_to_cpu(dp.xflags),
				  j == 1 || j == 3 ? TESS_DPLUS_SEC : 0);
			/* the same attributes as GETATTR's */
			gq.ino = de.ino;
			r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETATTR, &gq,
				   sizeof(gq));
			TU_EQ_INT(r.status, 0);
			memcpy(&gr, r.body, sizeof(gr));
			TU_CHECK(!memcmp(&gr.attr, &dp.attr, sizeof(dp.attr)));
			TU_EQ_U64(le32_to_cpu(dp.attr.mode),
				  j == 3 ? (S_IFDIR | 0750) : (S_IFREG | 0640));
		}
		off += TESS_DIRENT_PLUS_BYTES(n);
	}
	TU_EQ_U64(off, len);
	TU_EQ_U64(seen, 15);

	/* max_bytes counts the attrs: room for "." with its attrs only */
	rd.max_bytes = cpu_to_le32(sizeof(rr) + TESS_DIRENT_PLUS_BYTES(1));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	memcpy(&rr, r.body, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.count), 1);
	TU_EQ_U64(le32_to_cpu(rr.eof), TESS_READDIR_PLUS);
	TU_EQ_U64(r.len, sizeof(rr) + TESS_DIRENT_PLUS_BYTES(1));
	rd.max_bytes = cpu_to_le32(sizeof(rr) + TESS_DIRENT_PLUS_BYTES(1) - 1);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, EINVAL);

	/* plain READDIR: no attrs, eof word 1 */
	rd.flags = 0;
	rd.max_bytes = cpu_to_le32(8192);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	memcpy(&rr, r.body, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.eof), TESS_READDIR_EOF);
	f.body_len = r.len;
	TU_EQ_INT(tess_msg_check(&f, r.body), 0);
	free_mds(m);
}

TU_CASE(handler_xattr_erange_and_size)
{
	struct mds *m = new_mds(1);
	static uint8_t b[4096];
	struct tess_xattr_req x;
	struct tess_xattr_size_rep sz;
	struct hres r;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	memset(&x, 0, sizeof(x));
	x.ino = cpu_to_le64(ROOT);
	x.name_len = cpu_to_le32(6);
	x.value_len = cpu_to_le32(10);
	x.flags = cpu_to_le32(TESS_XATTR_CREATE);
	memcpy(b, &x, sizeof(x));
	memcpy(b + sizeof(x), "user.a0123456789", 16);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, sizeof(x) + 16);
	TU_EQ_INT(r.status, 0);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, sizeof(x) + 16);
	TU_EQ_INT(r.status, EEXIST);
	/* size 0: the size */
	x.flags = 0;
	x.value_len = 0;
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETXATTR, b, sizeof(x) + 6);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(sz));
	memcpy(&sz, r.body, sizeof(sz));
	TU_EQ_U64(le32_to_cpu(sz.size), 10);
	/* too small: ERANGE with the size */
	x.value_len = cpu_to_le32(4);
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETXATTR, b, sizeof(x) + 6);
	TU_EQ_INT(r.status, ERANGE);
	TU_EQ_U64(r.len, sizeof(sz));
	memcpy(&sz, r.body, sizeof(sz));
	TU_EQ_U64(le32_to_cpu(sz.size), 10);
	/* big enough: the value */
	x.value_len = cpu_to_le32(100);
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETXATTR, b, sizeof(x) + 6);
	TU_EQ_INT(r.status, 0);
	TU_CHECK(r.len == 10 && !memcmp(r.body, "0123456789", 10));
	/* list */
	x.name_len = 0;
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_LISTXATTR, b, sizeof(x));
	TU_EQ_INT(r.status, 0);
	TU_CHECK(r.len == 7 && !memcmp(r.body, "user.a\0", 7));
	x.value_len = cpu_to_le32(3);
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_LISTXATTR, b, sizeof(x));
	TU_EQ_INT(r.status, ERANGE);
	free_mds(m);
}

TU_CASE(handler_ost_register_list_statfs)
{
	struct mds *m = new_mds(0);
	static uint8_t b[256];
	struct tess_ost_register_req o;
	struct tess_ost_list_rep lr;
	struct tess_ost_info oi;
	struct tess_statfs_rep st;
	const char *addr = "127.0.0.1:1@tcp";	/* nothing listens there */
	struct hres r;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.index = cpu_to_le32(5);
	o.addr_len = cpu_to_le32(strlen(addr));
	memcpy(b, &o, sizeof(o));
	memcpy(b + sizeof(o), addr, strlen(addr));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_OST_REGISTER, b,
		   sizeof(o) + (uint32_t)strlen(addr));
	TU_EQ_INT(r.status, EPERM);
	r = call_h(m, TESS_ROLE_OST, TESS_OP_OST_REGISTER, b,
		   sizeof(o) + (uint32_t)strlen(addr));
	TU_EQ_INT(r.status, 0);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_OST_LIST, NULL, 0);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(lr) + sizeof(oi));
	memcpy(&lr, r.body, sizeof(lr));
	memcpy(&oi, r.body + sizeof(lr), sizeof(oi));
	TU_EQ_U64(le32_to_cpu(lr.count), 1);
	TU_EQ_U64(le32_to_cpu(oi.index), 5);
	TU_EQ_U64(le32_to_cpu(oi.state), TESS_OST_UP);
	TU_CHECK(!strcmp(oi.addr, addr));
	/* statfs: the OST does not answer; files come from the store */
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_STATFS, NULL, 0);
	TU_EQ_INT(r.status, 0);
	memcpy(&st, r.body, sizeof(st));
	TU_EQ_U64(le32_to_cpu(st.ost_count), 0);
	TU_EQ_U64(le32_to_cpu(st.namelen), 255);
	/* the default 1, which the OST (down now, the only one) may take */
	TU_EQ_U64(le32_to_cpu(st.def_stripe_count), 1);
	TU_CHECK(le64_to_cpu(st.files) > le64_to_cpu(st.ffree));
	/* the failed call marked it down */
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_OST_LIST, NULL, 0);
	memcpy(&oi, r.body + sizeof(lr), sizeof(oi));
	TU_EQ_U64(le32_to_cpu(oi.state), TESS_OST_DOWN);
	/* a create now lands on it */
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b,
		   b_create(b, ROOT, "f", 0644, NULL, 0));
	TU_EQ_INT(r.status, 0);
	/* not an MDS opcode */
	{
		struct tess_obj_req q = { .oid = cpu_to_le64(1) };

		r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_OBJ_DESTROY, &q,
			   sizeof(q));
		TU_EQ_INT(r.status, EOPNOTSUPP);
	}
	free_mds(m);
}

TU_CASE(handler_setattr_symlink_rename_layout)
{
	struct mds *m = new_mds(2);
	static uint8_t b[8192];
	struct tess_setattr_req sa;
	struct tess_symlink_req sl;
	struct tess_rename_req rn;
	struct tess_ino_req ir;
	struct tess_inode_rep rep;
	struct tess_readlink_rep rl;
	struct tess_set_layout_req slr;
	struct tess_layout lw;
	struct hres r;
	uint64_t f, l;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b,
		   b_create(b, ROOT, "f", 0644, NULL, 0));
	TU_EQ_INT(r.status, 0);
	memcpy(&rep, r.body, sizeof(rep));
	f = le64_to_cpu(rep.attr.ino);
	memset(&sa, 0, sizeof(sa));
	sa.ino = cpu_to_le64(f);
	sa.valid = cpu_to_le32(TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW);
	sa.size = cpu_to_le64(12345);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETATTR, &sa, sizeof(sa));
	TU_EQ_INT(r.status, 0);
	memcpy(&rep, r.body, sizeof(rep));
	TU_EQ_U64(le64_to_cpu(rep.attr.size), 12345);
	TU_EQ_U64(le32_to_cpu(rep.layout_len), TESS_LAYOUT_BYTES(1));
	/* set_layout on a file with data */
	memset(&slr, 0, sizeof(slr));
	memset(&lw, 0, sizeof(lw));
	slr.ino = cpu_to_le64(f);
	slr.layout_len = cpu_to_le32(sizeof(lw));
	lw.pattern = cpu_to_le32(TESS_LAYOUT_RAID0);
	lw.stripe_count = cpu_to_le16(2);
	lw.stripe_offset = cpu_to_le16(TESS_OST_ANY);
	memcpy(b, &slr, sizeof(slr));
	memcpy(b + sizeof(slr), &lw, sizeof(lw));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SET_LAYOUT, b,
		   sizeof(slr) + sizeof(lw));
	TU_EQ_INT(r.status, EBUSY);
	/* and on the root: a default layout */
	slr.ino = cpu_to_le64(ROOT);
	memcpy(b, &slr, sizeof(slr));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SET_LAYOUT, b,
		   sizeof(slr) + sizeof(lw));
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(lw));
	ir.ino = cpu_to_le64(ROOT);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GET_LAYOUT, &ir, sizeof(ir));
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(lw));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b,
		   b_create(b, ROOT, "g", 0644, NULL, 0));
	TU_EQ_INT(r.status, 0);
	memcpy(&rep, r.body, sizeof(rep));
	TU_EQ_U64(le32_to_cpu(rep.layout_len), TESS_LAYOUT_BYTES(2));
	/* symlink + readlink */
	memset(&sl, 0, sizeof(sl));
	sl.parent = cpu_to_le64(ROOT);
	sl.name_len = cpu_to_le32(1);
	sl.target_len = cpu_to_le32(6);
	memcpy(b, &sl, sizeof(sl));
	memcpy(b + sizeof(sl), "l/a/b/c", 7);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SYMLINK, b, sizeof(sl) + 7);
	TU_EQ_INT(r.status, 0);
	memcpy(&rep, r.body, sizeof(rep));
	l = le64_to_cpu(rep.attr.ino);
	ir.ino = cpu_to_le64(l);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READLINK, &ir, sizeof(ir));
	TU_EQ_INT(r.status, 0);
	memcpy(&rl, r.body, sizeof(rl));
	TU_EQ_U64(le32_to_cpu(rl.len), 6);
	TU_CHECK(!memcmp(r.body + sizeof(rl), "/a/b/c", 6));
	/* rename g over f: f's objects become an orphan */
	memset(&rn, 0, sizeof(rn));
	rn.old_parent = cpu_to_le64(ROOT);
	rn.new_parent = cpu_to_le64(ROOT);
	rn.old_len = cpu_to_le32(1);
	rn.new_len = cpu_to_le32(1);
	memcpy(b, &rn, sizeof(rn));
	memcpy(b + sizeof(rn), "gf", 2);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_RENAME, b, sizeof(rn) + 2);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(orphans(m->store), 1);
	ir.ino = cpu_to_le64(f);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETATTR, &ir, sizeof(ir));
	TU_EQ_INT(r.status, 0);		/* nameless until destroyed */
	memcpy(&rep, r.body, sizeof(rep));
	TU_EQ_U64(le32_to_cpu(rep.attr.nlink), 0);
	free_mds(m);
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
	if (!mkdtemp(root_dir)) {
		perror("mkdtemp");
		return 1;
	}
	tlog_init("test_mds_store");
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
	TU_RUN(handler_create_lookup_readdir);
	TU_RUN(handler_readdir_plus);
	TU_RUN(handler_xattr_erange_and_size);
	TU_RUN(handler_ost_register_list_statfs);
	TU_RUN(handler_setattr_symlink_rename_layout);
	TU_RUN(precreate_pools);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", root_dir);
	}
	return tu_done();
}
