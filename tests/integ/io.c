// SPDX-License-Identifier: MIT
/*
 * io: striped data path through the client library.
 *
 *   io random PATH SEED    64 MiB written at random offsets and sizes that
 *                          cross stripe boundaries into a 4-stripe file,
 *                          fsync'd, read back and compared with a local
 *                          reference; each OST object holds its share.
 *   io verify PATH SEED    re-creates the reference and compares (after a
 *                          daemon restart).
 *   io lifecycle           rename, link, unlink; objects gone after the
 *                          last unlink.
 */
#include <fcntl.h>
#include <unistd.h>

#include "it.h"

#define FILE_SIZE	(64ULL << 20)
#define STRIPE		(1U << 20)

/*
 * the same reference every time for a seed; *size is where its furthest
 * write ends (FILE_SIZE only if some write reaches the end: not for every
 * seed)
 */
static uint8_t *reference(uint64_t seed, size_t *nops, uint64_t *size)
{
	uint8_t *ref = calloc(1, FILE_SIZE);
	uint64_t s = seed, written = 0, end = 0;
	size_t n = 0;

	if (!ref)
		exit(2);
	while (written < FILE_SIZE) {
		uint64_t off = it_rand(&s) % FILE_SIZE;
		uint64_t len = 1 + it_rand(&s) % (3 * STRIPE);

		if (off + len > FILE_SIZE)
			len = FILE_SIZE - off;
		for (uint64_t i = 0; i < len; i++)
			ref[off + i] = (uint8_t)(it_rand(&s) >> 24);
		if (off + len > end)
			end = off + len;
		written += len;
		n++;
	}
	*nops = n;
	*size = end;
	return ref;
}

/* the size each object must have after the reference's writes */
static void expected_obj_sizes(uint64_t seed, const struct tess_stripe_geom *g,
			       uint64_t *sizes)
{
	uint64_t s = seed, written = 0;

	memset(sizes, 0, g->stripe_count * sizeof(*sizes));
	while (written < FILE_SIZE) {
		uint64_t off = it_rand(&s) % FILE_SIZE;
		uint64_t len = 1 + it_rand(&s) % (3 * STRIPE);

		if (off + len > FILE_SIZE)
			len = FILE_SIZE - off;
		for (uint32_t i = 0; i < g->stripe_count; i++) {
			uint64_t os, oe;

			if (tess_stripe_obj_range(g, i, off, len, &os, &oe) &&
			    oe > sizes[i])
				sizes[i] = oe;
		}
		for (uint64_t i = 0; i < len; i++)
			it_rand(&s);
		written += len;
	}
}

/* replay the reference's writes into f */
static int write_like_reference(struct tess_file *f, uint64_t seed)
{
	uint8_t *buf = malloc(3 * STRIPE);
	uint64_t s = seed, written = 0;

	while (written < FILE_SIZE) {
		uint64_t off = it_rand(&s) % FILE_SIZE;
		uint64_t len = 1 + it_rand(&s) % (3 * STRIPE);
		ssize_t rc;

		if (off + len > FILE_SIZE)
			len = FILE_SIZE - off;
		for (uint64_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(it_rand(&s) >> 24);
		rc = tess_pwrite(f, buf, len, off);
		if (rc != (ssize_t)len) {
			free(buf);
			return rc < 0 ? (int)rc : -EIO;
		}
		written += len;
	}
	free(buf);
	return 0;
}

static int compare(struct tess_file *f, const uint8_t *ref, uint64_t size,
		   char *why, size_t whylen)
{
	uint8_t *buf = malloc(8 << 20);
	uint64_t off = 0, s = 42;

	/* whole-file sequential read in large chunks ... */
	while (off < size) {
		uint64_t n = size - off < (8 << 20) ? size - off : (8 << 20);
		ssize_t rc = tess_pread(f, buf, n, off);

		if (rc != (ssize_t)n) {
			snprintf(why, whylen, "pread at %llu: %zd",
				 (unsigned long long)off, rc);
			free(buf);
			return -1;
		}
		if (memcmp(buf, ref + off, n)) {
			for (uint64_t i = 0; i < n; i++)
				if (buf[i] != ref[off + i]) {
					snprintf(why, whylen, "byte %llu differs",
						 (unsigned long long)(off + i));
					break;
				}
			free(buf);
			return -1;
		}
		off += n;
	}
	/* ... and small random reads across unit boundaries */
	for (int i = 0; i < 500; i++) {
		uint64_t o = it_rand(&s) % size, n = 1 + it_rand(&s) % (2 * STRIPE);

		if (o + n > size)
			n = size - o;
		if (tess_pread(f, buf, n, o) != (ssize_t)n ||
		    memcmp(buf, ref + o, n)) {
			snprintf(why, whylen, "random read %llu+%llu differs",
				 (unsigned long long)o, (unsigned long long)n);
			free(buf);
			return -1;
		}
	}
	free(buf);
	return 0;
}

static int cmd_random(struct tess_client *c, const char *path, uint64_t seed,
		      bool write)
{
	struct tess_layout_req lr = { .stripe_size = STRIPE, .stripe_count = 4,
				      .stripe_offset = TESS_OST_ANY };
	struct tess_file *f;
	const struct tess_inode *ino;
	size_t nops;
	uint64_t size;
	uint8_t *ref = reference(seed, &nops, &size);
	char why[256] = "";
	int rc;

	rc = tess_open(c, path, write ? O_CREAT | O_EXCL : 0, 0644, &lr, &f);
	it_result(rc == 0, write ? "io.create_4_stripes" : "io.reopen",
		  "open %s: %s", path, strerror(-rc));
	if (rc)
		return 1;
	ino = tess_file_inode(f);
	it_result(ino->nobjs == 4 && ino->geom.stripe_size == STRIPE,
		  "io.layout_4x1MiB", "nobjs %u stripe_size %u", ino->nobjs,
		  ino->geom.stripe_size);
	if (write) {
		uint32_t seen = 0;

		for (uint32_t i = 0; i < ino->nobjs; i++)
			seen |= 1u << ino->objs[i].ost_idx;
		it_result(__builtin_popcount(seen) == 4, "io.four_distinct_osts",
			  "OST mask %#x", seen);
		rc = write_like_reference(f, seed);
		it_result(rc == 0, "io.random_writes_64MiB",
			  "%zu writes: %s", nops, strerror(-rc));
		rc = tess_fsync(f);
		it_result(rc == 0, "io.fsync", "%s", strerror(-rc));
	}
	it_result(tess_file_size(f) == size, write ? "io.size" : "io.size_after_restart",
		  "size %llu, want %llu (the end of the furthest write)",
		  (unsigned long long)tess_file_size(f), (unsigned long long)size);
	rc = compare(f, ref, size, why, sizeof(why));
	it_result(rc == 0, write ? "io.read_back_equal" : "io.data_after_restart",
		  "%s", why);

	/*
	 * Every object holds exactly its share: as far as the writes that
	 * touched it reached (the file is sparse where nothing was written).
	 */
	uint64_t wants[TESS_MAX_STRIPES];

	expected_obj_sizes(seed, &ino->geom, wants);
	for (uint32_t i = 0; i < ino->nobjs; i++) {
		uint64_t osz = 0, want = wants[i];
		char name[64];

		uint64_t os, oe;

		/* the expectation agrees with the file size: the object
		 * holding the last byte ends exactly there */
		if (size && tess_stripe_obj_range(&ino->geom, i, size - 1, 1, &os, &oe))
			it_result(want == oe, "io.share_expectation",
				  "object %u: expected %llu bytes, the last byte ends it at %llu",
				  i, (unsigned long long)want, (unsigned long long)oe);

		rc = tess_obj_stat(c, ino->objs[i].ost_idx, ino->objs[i].oid, &osz);
		snprintf(name, sizeof(name), "io.ost%u_share%s", ino->objs[i].ost_idx,
			 write ? "" : "_after_restart");
		it_result(rc == 0 && osz == want, name, "rc %d size %llu want %llu",
			  rc, (unsigned long long)osz, (unsigned long long)want);
	}
	/* a fresh client sees the same size */
	{
		struct tess_inode st;

		rc = tess_stat(c, path, &st);
		it_result(rc == 0 && st.size == size,
			  write ? "io.mds_size" : "io.mds_size_after_restart",
			  "rc %d size %llu want %llu", rc, (unsigned long long)st.size,
			  (unsigned long long)size);
	}
	tess_close(f);
	free(ref);
	return 0;
}

static bool objects_gone(struct tess_client *c, const struct tess_inode *ino,
			 int seconds)
{
	for (int t = 0; t < seconds * 10; t++) {
		uint32_t left = 0;

		for (uint32_t i = 0; i < ino->nobjs; i++) {
			uint64_t sz;

			if (tess_obj_stat(c, ino->objs[i].ost_idx, ino->objs[i].oid,
					  &sz) != -ENOENT)
				left++;
		}
		if (!left)
			return true;
		usleep(100000);
	}
	return false;
}

static int cmd_lifecycle(struct tess_client *c)
{
	struct tess_layout_req lr = { .stripe_size = 64 << 10, .stripe_count = 4,
				      .stripe_offset = TESS_OST_ANY };
	struct tess_inode st, st2;
	struct tess_file *f;
	char buf[300000];
	int rc;

	memset(buf, 'z', sizeof(buf));
	tess_mkdir(c, "/life", 0755);
	tess_mkdir(c, "/life/d2", 0755);
	rc = tess_open(c, "/life/a", O_CREAT | O_EXCL, 0644, &lr, &f);
	IT_RC("life.create", rc, 0);
	if (rc)
		return 1;
	IT_RC("life.write", tess_pwrite(f, buf, sizeof(buf), 0), (long)sizeof(buf));
	IT_RC("life.close", tess_close(f), 0);
	tess_stat(c, "/life/a", &st);
	for (uint32_t i = 0; i < st.nobjs; i++) {
		uint64_t sz;

		IT_RC("life.object_exists",
		      tess_obj_stat(c, st.objs[i].ost_idx, st.objs[i].oid, &sz), 0);
	}
	IT_RC("life.rename_within", tess_rename(c, "/life/a", "/life/b"), 0);
	IT_RC("life.old_name_gone", tess_stat(c, "/life/a", &st2), -ENOENT);
	IT_RC("life.rename_across", tess_rename(c, "/life/b", "/life/d2/c"), 0);
	IT_RC("life.link", tess_link(c, "/life/d2/c", "/life/hard"), 0);
	IT_RC("life.nlink_2", (tess_stat(c, "/life/hard", &st2), st2.nlink), 2);
	IT_RC("life.same_ino", st2.ino == st.ino, 1);
	IT_RC("life.unlink_first", tess_unlink(c, "/life/d2/c"), 0);
	IT_RC("life.data_via_link", (tess_stat(c, "/life/hard", &st2), st2.size),
	      (long)sizeof(buf));
	it_result(!objects_gone(c, &st, 1), "life.objects_kept_while_linked",
		  "objects destroyed while a link remains");
	/* rename over an existing file replaces it */
	rc = tess_open(c, "/life/victim", O_CREAT | O_EXCL, 0644, &lr, &f);
	IT_RC("life.create_victim", rc, 0);
	if (!rc) {
		struct tess_inode v;

		tess_pwrite(f, buf, 1000, 0);
		tess_close(f);
		tess_stat(c, "/life/victim", &v);
		IT_RC("life.rename_replaces", tess_rename(c, "/life/hard", "/life/victim"), 0);
		IT_RC("life.replaced_has_new_ino",
		      (tess_stat(c, "/life/victim", &st2), st2.ino == st.ino), 1);
		it_result(objects_gone(c, &v, 20), "life.replaced_objects_destroyed",
			  "objects of the replaced file still exist");
	}
	IT_RC("life.unlink_last", tess_unlink(c, "/life/victim"), 0);
	it_result(objects_gone(c, &st, 20), "life.objects_destroyed_after_last_unlink",
		  "objects still exist 20 s after the last unlink");
	return 0;
}

int main(int argc, char **argv)
{
	struct tess_client *c = it_connect();

	if (argc >= 4 && !strcmp(argv[1], "random"))
		cmd_random(c, argv[2], strtoull(argv[3], NULL, 0), true);
	else if (argc >= 4 && !strcmp(argv[1], "verify"))
		cmd_random(c, argv[2], strtoull(argv[3], NULL, 0), false);
	else if (argc >= 2 && !strcmp(argv[1], "lifecycle"))
		cmd_lifecycle(c);
	else {
		fprintf(stderr, "usage: io random|verify PATH SEED | io lifecycle\n");
		return 2;
	}
	tess_client_close(c);
	return it_failed;
}
