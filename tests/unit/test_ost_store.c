// SPDX-License-Identifier: MIT
/* test_ost_store.c - the OST object store (user/ost/objstore.c). */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tu.h"
#include "../../user/ost/objstore.h"

#define MiB (1024u * 1024u)

static char root[PATH_MAX];	/* mkdtemp, removed at the end */
static int nstore;

/* a fresh store directory (below root) per case */
static void new_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/s%d/sub", root, nstore++);
}

static struct objstore *new_store(uint32_t index)
{
	char dir[PATH_MAX + 32], err[256];
	struct objstore *s = NULL;
	int rc;

	new_dir(dir, sizeof(dir));
	rc = objstore_open(dir, index, &s, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "objstore_open %s: %s\n", dir, err);
		return NULL;
	}
	/* the objects the cases use, as the MDS would have them precreated */
	if (objstore_precreate(s, 1, 32) || objstore_precreate(s, 42, 2) ||
	    objstore_precreate(s, 77, 1) || objstore_precreate(s, 555, 1)) {
		fprintf(stderr, "objstore_precreate %s failed\n", dir);
		objstore_close(s);
		return NULL;
	}
	return s;
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static int all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

TU_CASE(roundtrip_offsets)
{
	struct objstore *s = new_store(0);
	uint8_t a[5000], b[5000], r[5000];
	uint64_t size;
	uint32_t n;

	TU_CHECK(s);
	if (!s)
		return;
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	TU_EQ_INT(objstore_write(s, 42, 0, a, sizeof(a), false, &size), 0);
	TU_EQ_U64(size, sizeof(a));
	TU_EQ_INT(objstore_write(s, 42, MiB + 7, b, sizeof(b), false, &size), 0);
	TU_EQ_U64(size, MiB + 7 + sizeof(b));
	TU_EQ_INT(objstore_read(s, 42, 0, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, sizeof(r));
	TU_EQ_U64(size, MiB + 7 + sizeof(b));
	TU_CHECK(memcmp(r, a, sizeof(a)) == 0);
	TU_EQ_INT(objstore_read(s, 42, MiB + 7, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, sizeof(r));
	TU_CHECK(memcmp(r, b, sizeof(b)) == 0);
	/* an unaligned slice in the middle of the first write */
	TU_EQ_INT(objstore_read(s, 42, 123, r, 1000, &n, &size), 0);
	TU_EQ_U64(n, 1000);
	TU_CHECK(memcmp(r, a + 123, 1000) == 0);
	/* overwrite a range that straddles the end of the first write */
	TU_EQ_INT(objstore_write(s, 42, 4000, b, 2000, true, &size), 0);
	TU_EQ_INT(objstore_read(s, 42, 3990, r, 2020, &n, &size), 0);
	TU_EQ_U64(n, 2020);
	TU_CHECK(memcmp(r, a + 3990, 10) == 0);
	TU_CHECK(memcmp(r + 10, b, 2000) == 0);
	TU_CHECK(all_zero(r + 2010, 10));
	/* other objects are unaffected */
	TU_EQ_INT(objstore_read(s, 43, 0, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 0);
	objstore_close(s);
}

TU_CASE(fanout_path)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 96], err[256];
	struct objstore *s = NULL;
	struct stat st;
	uint64_t size;

	new_dir(dir, sizeof(dir));
	TU_EQ_INT(objstore_open(dir, 5, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	TU_EQ_INT(objstore_precreate(s, 0x1234567890abcdefULL, 1), 0);
	TU_EQ_INT(objstore_write(s, 0x1234567890abcdefULL, 0, "x", 1, false,
				 &size), 0);
	snprintf(path, sizeof(path), "%s/O/ef/1234567890abcdef", dir);
	TU_EQ_INT(stat(path, &st), 0);
	TU_EQ_U64(st.st_size, 1);
	snprintf(path, sizeof(path), "%s/superblock", dir);
	TU_EQ_INT(stat(path, &st), 0);
	objstore_close(s);
}

TU_CASE(read_past_end)
{
	struct objstore *s = new_store(0);
	uint8_t a[100], r[300];
	uint64_t size;
	uint32_t n;

	TU_CHECK(s);
	if (!s)
		return;
	fill(a, sizeof(a), 3);
	TU_EQ_INT(objstore_write(s, 7, 0, a, sizeof(a), false, &size), 0);
	/* short: straddles the end */
	memset(r, 0xee, sizeof(r));
	TU_EQ_INT(objstore_read(s, 7, 60, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 40);
	TU_EQ_U64(size, 100);
	TU_CHECK(memcmp(r, a + 60, 40) == 0);
	/* empty: exactly at and beyond the end */
	TU_EQ_INT(objstore_read(s, 7, 100, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 0);
	TU_EQ_U64(size, 100);
	TU_EQ_INT(objstore_read(s, 7, 1ULL << 40, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 0);
	/* zero-length read */
	TU_EQ_INT(objstore_read(s, 7, 0, r, 0, &n, &size), 0);
	TU_EQ_U64(n, 0);
	TU_EQ_U64(size, 100);
	objstore_close(s);
}

/* an id never precreated here: ESTALE, and nothing creates it */
TU_CASE(never_precreated_is_estale)
{
	struct objstore *s = new_store(0);
	struct objstore_attr a;
	uint8_t r[64];
	uint64_t size = 99;
	uint32_t n = 99;

	TU_CHECK(s);
	if (!s)
		return;
	TU_CHECK(objstore_precreates(s));
	TU_EQ_INT(objstore_read(s, 1000, 0, r, sizeof(r), &n, &size), -ESTALE);
	TU_EQ_U64(n, 0);
	TU_EQ_INT(objstore_write(s, 1000, 0, "x", 1, false, &size), -ESTALE);
	TU_EQ_INT(objstore_write(s, 1000, 0, "x", 1, true, &size), -ESTALE);
	TU_EQ_INT(objstore_truncate(s, 1000, 10), -ESTALE);
	TU_EQ_INT(objstore_punch_hole(s, 1000, 0, 4096), -ESTALE);
	TU_EQ_INT(objstore_sync(s, 1000), 0);
	TU_EQ_INT(objstore_getattr(s, 1000, &a), -ENOENT);
	/* a precreated object never written reads as empty, not an error */
	TU_EQ_INT(objstore_read(s, 5, 0, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 0);
	TU_EQ_U64(size, 0);
	objstore_close(s);
}

/* a store of version 1 (before precreation) keeps the lenient rules */
TU_CASE(old_store_lenient)
{
	char dir[PATH_MAX + 32], err[256], path[PATH_MAX + 64];
	struct objstore *s = NULL;
	uint8_t r[16];
	uint64_t size = 9;
	uint32_t n = 9;
	FILE *f;

	new_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s", dir);
	*strrchr(path, '/') = '\0';
	mkdir(path, 0755);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/superblock", dir);
	f = fopen(path, "w");
	TU_CHECK(f != NULL);
	if (!f)
		return;
	fputs("tessera-ost-superblock 1\nindex 0\n"
	      "uuid 00112233445566778899aabbccddeeff\n", f);
	fclose(f);
	TU_EQ_INT(objstore_open(dir, 0, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	TU_CHECK(!objstore_precreates(s));
	TU_EQ_INT(objstore_read(s, 5, 0, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 0);
	TU_EQ_INT(objstore_punch_hole(s, 5, 0, 4096), 0);
	TU_EQ_INT(objstore_write(s, 5, 2, "ab", 2, false, &size), 0);
	TU_EQ_U64(size, 4);
	TU_EQ_INT(objstore_truncate(s, 6, 100), 0);
	objstore_close(s);
}

/* the record of precreated ranges: idempotent, durable, a torn tail */
TU_CASE(precreate_record)
{
	char dir[PATH_MAX + 32], err[256], path[PATH_MAX + 64];
	struct objstore *s = NULL;
	uint8_t r[16];
	uint64_t size;
	uint32_t n;
	int fd;

	new_dir(dir, sizeof(dir));
	TU_EQ_INT(objstore_open(dir, 0, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	TU_EQ_INT(objstore_precreate(s, 100, 64), 0);
	TU_EQ_INT(objstore_write(s, 110, 0, "kept", 4, false, &size), 0);
	/* sent again (an MDS that restarted): nothing truncated */
	TU_EQ_INT(objstore_precreate(s, 100, 64), 0);
	TU_EQ_INT(objstore_read(s, 110, 0, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 4);
	TU_EQ_INT(objstore_precreate(s, 0, 1), -EINVAL);
	objstore_close(s);

	/* a torn last record is ignored */
	snprintf(path, sizeof(path), "%s/precreated", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	TU_CHECK(fd >= 0);
	if (fd >= 0) {
		TU_EQ_INT(write(fd, "torn", 4), 4);
		close(fd);
	}
	TU_EQ_INT(objstore_open(dir, 0, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	/* removed behind the store's back: EIO, not zeros; and ESTALE to
	 * writes, which do not create it again */
	objstore_obj_path(120, path);
	TU_EQ_INT(unlinkat(objstore_rootfd(s), path, 0), 0);
	TU_EQ_INT(objstore_read(s, 120, 0, r, sizeof(r), &n, &size), OBJSTORE_ELOST);
	TU_EQ_INT(objstore_write(s, 120, 0, "x", 1, false, &size), -ESTALE);
	TU_EQ_INT(objstore_read(s, 120, 0, r, sizeof(r), &n, &size), OBJSTORE_ELOST);
	TU_EQ_INT(objstore_read(s, 164, 0, r, sizeof(r), &n, &size), -ESTALE);
	TU_EQ_INT(objstore_precreate(s, 164, 1), 0);
	TU_EQ_INT(objstore_read(s, 164, 0, r, sizeof(r), &n, &size), 0);
	objstore_close(s);
	/* the appended range is whole after the torn one was cut */
	TU_EQ_INT(objstore_open(dir, 0, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	objstore_obj_path(164, path);
	TU_EQ_INT(unlinkat(objstore_rootfd(s), path, 0), 0);
	TU_EQ_INT(objstore_read(s, 164, 0, r, sizeof(r), &n, &size), OBJSTORE_ELOST);
	objstore_close(s);
}

/* OBJ_LIST: every object once, in pages */
TU_CASE(list_pages)
{
	struct objstore *s = new_store(0);
	uint64_t oids[5], seen[64], after = 0;
	uint32_t n, total = 0;
	bool eof = false;
	int pages = 0;

	TU_CHECK(s);
	if (!s)
		return;
	while (!eof && pages++ < 100) {
		TU_EQ_INT(objstore_list(s, after, oids, 5, &n, &eof), 0);
		for (uint32_t i = 0; i < n && total < 64; i++)
			seen[total++] = oids[i];
		if (n)
			after = oids[n - 1];
	}
	TU_CHECK(eof);
	TU_EQ_U64(total, 36);		/* 1..32, 42, 43, 77, 555 */
	for (uint32_t i = 0; i < total; i++)
		for (uint32_t j = i + 1; j < total; j++)
			TU_CHECK(seen[i] != seen[j]);
	objstore_close(s);
}

TU_CASE(sparse_gaps_zero)
{
	struct objstore *s = new_store(0);
	uint8_t a[4096], *r = malloc(3 * MiB);
	uint64_t size;
	uint32_t n;

	TU_CHECK(s && r);
	if (!s || !r)
		goto out;
	fill(a, sizeof(a), 4);
	TU_EQ_INT(objstore_write(s, 9, 100, a, sizeof(a), false, &size), 0);
	TU_EQ_INT(objstore_write(s, 9, 2 * MiB + 5, a, sizeof(a), false,
				 &size), 0);
	TU_EQ_U64(size, 2 * MiB + 5 + sizeof(a));
	memset(r, 0xee, 3 * MiB);
	TU_EQ_INT(objstore_read(s, 9, 0, r, 3 * MiB, &n, &size), 0);
	TU_EQ_U64(n, 2 * MiB + 5 + sizeof(a));
	TU_CHECK(all_zero(r, 100));
	TU_CHECK(memcmp(r + 100, a, sizeof(a)) == 0);
	TU_CHECK(all_zero(r + 100 + sizeof(a), 2 * MiB + 5 - 100 - sizeof(a)));
	TU_CHECK(memcmp(r + 2 * MiB + 5, a, sizeof(a)) == 0);
	/* a write far beyond the end leaves a hole before it */
	TU_EQ_INT(objstore_write(s, 10, 1ULL << 33, a, 10, false, &size), 0);
	TU_EQ_U64(size, (1ULL << 33) + 10);
	TU_EQ_INT(objstore_read(s, 10, (1ULL << 33) - 4096, r, 8192, &n,
				&size), 0);
	TU_EQ_U64(n, 4096 + 10);
	TU_CHECK(all_zero(r, 4096));
	TU_CHECK(memcmp(r + 4096, a, 10) == 0);
out:
	free(r);
	objstore_close(s);
}

TU_CASE(truncate_down_up)
{
	struct objstore *s = new_store(0);
	struct objstore_attr at;
	uint8_t a[10000], r[20000];
	uint64_t size;
	uint32_t n;

	TU_CHECK(s);
	if (!s)
		return;
	fill(a, sizeof(a), 5);
	TU_EQ_INT(objstore_write(s, 11, 0, a, sizeof(a), false, &size), 0);
	TU_EQ_INT(objstore_truncate(s, 11, 3000), 0);
	TU_EQ_INT(objstore_getattr(s, 11, &at), 0);
	TU_EQ_U64(at.size, 3000);
	TU_EQ_INT(objstore_read(s, 11, 0, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 3000);
	TU_CHECK(memcmp(r, a, 3000) == 0);
	/* up again: the cut part reads as zeros, not the old data */
	TU_EQ_INT(objstore_truncate(s, 11, 15000), 0);
	TU_EQ_INT(objstore_read(s, 11, 0, r, sizeof(r), &n, &size), 0);
	TU_EQ_U64(n, 15000);
	TU_EQ_U64(size, 15000);
	TU_CHECK(memcmp(r, a, 3000) == 0);
	TU_CHECK(all_zero(r + 3000, 12000));
	/* to zero, and truncating a missing object creates it */
	TU_EQ_INT(objstore_truncate(s, 11, 0), 0);
	TU_EQ_INT(objstore_getattr(s, 11, &at), 0);
	TU_EQ_U64(at.size, 0);
	TU_EQ_INT(objstore_truncate(s, 12, 4096), 0);
	TU_EQ_INT(objstore_getattr(s, 12, &at), 0);
	TU_EQ_U64(at.size, 4096);
	objstore_close(s);
}

/* the MDS's trims: cut only what lies past the size, never extend */
TU_CASE(trim_cuts_only_longer)
{
	struct objstore *s = new_store(0);
	struct objstore_attr at;
	uint8_t a[10000];
	uint64_t size;
	bool cut = true;

	TU_CHECK(s);
	if (!s)
		return;
	fill(a, sizeof(a), 7);
	TU_EQ_INT(objstore_write(s, 31, 0, a, sizeof(a), false, &size), 0);
	TU_EQ_INT(objstore_trim(s, 31, 20000, &cut), 0);
	TU_CHECK(!cut);
	TU_EQ_INT(objstore_getattr(s, 31, &at), 0);
	TU_EQ_U64(at.size, 10000);
	TU_EQ_INT(objstore_trim(s, 31, 10000, &cut), 0);
	TU_CHECK(!cut);
	TU_EQ_INT(objstore_trim(s, 31, 4000, &cut), 0);
	TU_CHECK(cut);
	TU_EQ_INT(objstore_getattr(s, 31, &at), 0);
	TU_EQ_U64(at.size, 4000);
	objstore_close(s);
}

TU_CASE(punch_hole_zeros)
{
	struct objstore *s = new_store(0);
	struct objstore_attr at;
	size_t len = 256 * 1024;
	uint8_t *a = malloc(len), *r = malloc(len);
	uint64_t size;
	uint32_t n;

	TU_CHECK(s && a && r);
	if (!s || !a || !r)
		goto out;
	fill(a, len, 6);
	TU_EQ_INT(objstore_write(s, 13, 0, a, (uint32_t)len, false, &size), 0);
	/* aligned and unaligned edges */
	TU_EQ_INT(objstore_punch_hole(s, 13, 65536, 65536), 0);
	TU_EQ_INT(objstore_punch_hole(s, 13, 1000, 3000), 0);
	TU_EQ_INT(objstore_getattr(s, 13, &at), 0);
	TU_EQ_U64(at.size, len);
	TU_EQ_INT(objstore_read(s, 13, 0, r, (uint32_t)len, &n, &size), 0);
	TU_EQ_U64(n, len);
	TU_CHECK(memcmp(r, a, 1000) == 0);
	TU_CHECK(all_zero(r + 1000, 3000));
	TU_CHECK(memcmp(r + 4000, a + 4000, 65536 - 4000) == 0);
	TU_CHECK(all_zero(r + 65536, 65536));
	TU_CHECK(memcmp(r + 131072, a + 131072, len - 131072) == 0);
	/* past the end and over the end: size is kept */
	TU_EQ_INT(objstore_punch_hole(s, 13, len + 4096, 1ULL << 40), 0);
	TU_EQ_INT(objstore_punch_hole(s, 13, len - 100, 1ULL << 40), 0);
	TU_EQ_INT(objstore_punch_hole(s, 13, 0, 0), 0);
	TU_EQ_INT(objstore_getattr(s, 13, &at), 0);
	TU_EQ_U64(at.size, len);
	TU_EQ_INT(objstore_read(s, 13, len - 200, r, 400, &n, &size), 0);
	TU_EQ_U64(n, 200);
	TU_CHECK(memcmp(r, a + len - 200, 100) == 0);
	TU_CHECK(all_zero(r + 100, 100));
out:
	free(a);
	free(r);
	objstore_close(s);
}

TU_CASE(destroy_then_enoent)
{
	struct objstore *s = new_store(0);
	struct objstore_attr at;
	uint8_t r[16];
	uint64_t size;
	uint32_t n;

	TU_CHECK(s);
	if (!s)
		return;
	TU_EQ_INT(objstore_write(s, 14, 0, "hello", 5, false, &size), 0);
	TU_EQ_INT(objstore_getattr(s, 14, &at), 0);
	TU_EQ_U64(at.size, 5);
	TU_CHECK(at.mtime_sec > 0);
	TU_EQ_INT(objstore_destroy(s, 14), 0);
	TU_EQ_INT(objstore_getattr(s, 14, &at), -ENOENT);
	TU_EQ_INT(objstore_destroy(s, 14), -ENOENT);
	/* gone for good: a read is an error, a late write is not a create */
	TU_EQ_INT(objstore_read(s, 14, 0, r, sizeof(r), &n, &size), OBJSTORE_ELOST);
	TU_EQ_INT(objstore_write(s, 14, 3, "x", 1, false, &size), -ESTALE);
	TU_EQ_INT(objstore_truncate(s, 14, 0), -ESTALE);
	TU_EQ_INT(objstore_getattr(s, 14, &at), -ENOENT);
	objstore_close(s);
}

TU_CASE(index_mismatch_refused)
{
	char dir[PATH_MAX + 32], err[256] = "", path[PATH_MAX + 64];
	struct objstore *s = NULL, *s2 = NULL;
	uint8_t uuid[16];
	uint64_t size;
	FILE *f;

	new_dir(dir, sizeof(dir));
	TU_EQ_INT(objstore_open(dir, 3, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	TU_EQ_U64(objstore_index(s), 3);
	memcpy(uuid, objstore_uuid(s), 16);
	TU_EQ_INT(objstore_precreate(s, 1, 1), 0);
	TU_EQ_INT(objstore_write(s, 1, 0, "abc", 3, false, &size), 0);
	/* a second opener of the same store is refused while it is open */
	TU_EQ_INT(objstore_open(dir, 3, &s2, err, sizeof(err)), -EBUSY);
	TU_CHECK(s2 == NULL);
	objstore_close(s);

	err[0] = '\0';
	TU_EQ_INT(objstore_open(dir, 4, &s, err, sizeof(err)), OBJSTORE_EINDEX);
	TU_CHECK(s == NULL);
	TU_CHECK(strstr(err, "does not match") != NULL);
	/* the right index reopens it, same uuid, objects still there */
	TU_EQ_INT(objstore_open(dir, 3, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	TU_CHECK(memcmp(uuid, objstore_uuid(s), 16) == 0);
	TU_EQ_INT(objstore_write(s, 1, 3, "d", 1, false, &size), 0);
	TU_EQ_U64(size, 4);
	objstore_close(s);

	/* a damaged superblock is refused, not reformatted */
	snprintf(path, sizeof(path), "%s/superblock", dir);
	f = fopen(path, "w");
	TU_CHECK(f != NULL);
	if (f) {
		fputs("garbage\n", f);
		fclose(f);
	}
	TU_EQ_INT(objstore_open(dir, 3, &s, err, sizeof(err)), -EUCLEAN);
	/* and so are objects without a superblock */
	unlink(path);
	TU_EQ_INT(objstore_open(dir, 3, &s, err, sizeof(err)), -EUCLEAN);
	TU_CHECK(s == NULL);
}

static void big_io(uint32_t len)
{
	struct objstore *s = new_store(1);
	uint8_t *a = malloc(len), *r = malloc(len);
	uint64_t size;
	uint32_t n;

	TU_CHECK(s && a && r);
	if (!s || !a || !r)
		goto out;
	fill(a, len, len);
	TU_EQ_INT(objstore_write(s, 77, 4096, a, len, true, &size), 0);
	TU_EQ_U64(size, 4096ULL + len);
	memset(r, 0, len);
	TU_EQ_INT(objstore_read(s, 77, 4096, r, len, &n, &size), 0);
	TU_EQ_U64(n, len);
	TU_CHECK(memcmp(a, r, len) == 0);
	/* short by the leading 4096 */
	TU_EQ_INT(objstore_read(s, 77, 8192, r, len, &n, &size), 0);
	TU_EQ_U64(n, len - 4096);
	TU_CHECK(memcmp(a + 4096, r, len - 4096) == 0);
out:
	free(a);
	free(r);
	objstore_close(s);
}

TU_CASE(io_4mib)
{
	big_io(4 * MiB);
}

TU_CASE(io_16mib)
{
	big_io(16 * MiB);
}

struct writer {
	struct objstore *s;
	int id;
	int rc;
};

#define NWRITERS	8
#define CHUNK		(64 * 1024)
#define ROUNDS		16

/* writers interleave chunks of one object: chunk i*NWRITERS + id */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t *buf = malloc(CHUNK);
	uint64_t size;

	if (!buf) {
		w->rc = -ENOMEM;
		return NULL;
	}
	for (int i = 0; i < ROUNDS && !w->rc; i++) {
		uint64_t chunk = (uint64_t)i * NWRITERS + (uint64_t)w->id;

		fill(buf, CHUNK, (uint32_t)chunk + 1);
		w->rc = objstore_write(w->s, 555, chunk * CHUNK, buf, CHUNK,
				       false, &size);
	}
	free(buf);
	return NULL;
}

TU_CASE(concurrent_writers)
{
	struct objstore *s = new_store(2);
	struct writer w[NWRITERS];
	pthread_t t[NWRITERS];
	uint8_t *want = malloc(CHUNK), *r = malloc(CHUNK);
	uint64_t size;
	uint32_t n;

	TU_CHECK(s && want && r);
	if (!s || !want || !r)
		goto out;
	for (int i = 0; i < NWRITERS; i++) {
		w[i] = (struct writer){ .s = s, .id = i };
		TU_EQ_INT(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < NWRITERS; i++) {
		pthread_join(t[i], NULL);
		TU_EQ_INT(w[i].rc, 0);
	}
	for (uint64_t c = 0; c < NWRITERS * ROUNDS; c++) {
		fill(want, CHUNK, (uint32_t)c + 1);
		TU_EQ_INT(objstore_read(s, 555, c * CHUNK, r, CHUNK, &n, &size),
			  0);
		TU_EQ_U64(n, CHUNK);
		TU_EQ_U64(size, (uint64_t)NWRITERS * ROUNDS * CHUNK);
		if (memcmp(want, r, CHUNK)) {
			TU_FAIL_AT("chunk %llu differs", (unsigned long long)c);
			break;
		}
	}
out:
	free(want);
	free(r);
	objstore_close(s);
}

TU_CASE(misc_sync_statfs_oid0)
{
	struct objstore *s = new_store(0);
	struct objstore_statfs st;
	struct objstore_attr at;
	uint8_t r[8];
	uint64_t size;
	uint32_t n;

	TU_CHECK(s);
	if (!s)
		return;
	TU_EQ_INT(objstore_write(s, 20, 0, "data", 4, false, &size), 0);
	TU_EQ_INT(objstore_sync(s, 20), 0);
	TU_EQ_INT(objstore_sync(s, 0), 0);
	TU_EQ_INT(objstore_statfs(s, &st), 0);
	TU_CHECK(st.bsize > 0);
	TU_CHECK(st.blocks > 0);
	TU_CHECK(st.bavail <= st.bfree && st.bfree <= st.blocks);
	TU_CHECK(st.namelen >= 16);
	/* oid 0 is reserved */
	TU_EQ_INT(objstore_write(s, 0, 0, "x", 1, false, &size), -EINVAL);
	TU_EQ_INT(objstore_read(s, 0, 0, r, 1, &n, &size), -EINVAL);
	TU_EQ_INT(objstore_getattr(s, 0, &at), -EINVAL);
	TU_EQ_INT(objstore_destroy(s, 0), -EINVAL);
	TU_EQ_INT(objstore_truncate(s, 0, 0), -EINVAL);
	/* offsets past the protocol limit */
	TU_EQ_INT(objstore_write(s, 21, 1ULL << 62, "x", 1, false, &size),
		  -EFBIG);
	TU_EQ_INT(objstore_truncate(s, 21, (1ULL << 62) + 1), -EFBIG);
	objstore_close(s);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	tu_suite = "ost_store";
	snprintf(root, sizeof(root), "%s/tess-ost-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	TU_RUN(roundtrip_offsets);
	TU_RUN(fanout_path);
	TU_RUN(read_past_end);
	TU_RUN(never_precreated_is_estale);
	TU_RUN(old_store_lenient);
	TU_RUN(precreate_record);
	TU_RUN(list_pages);
	TU_RUN(sparse_gaps_zero);
	TU_RUN(truncate_down_up);
	TU_RUN(trim_cuts_only_longer);
	TU_RUN(punch_hole_zeros);
	TU_RUN(destroy_then_enoent);
	TU_RUN(index_mismatch_refused);
	TU_RUN(io_4mib);
	TU_RUN(io_16mib);
	TU_RUN(concurrent_writers);
	TU_RUN(misc_sync_statfs_oid0);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tu_done();
}
