// SPDX-License-Identifier: MIT
/*
 * objlife - the life of OST objects (issue 9, finding 3), driven by
 * tests/integ/objlife.sh with an MDS and OSTs 0 and 1 of its own.
 *
 *   objlife destroyed DIR   a file on OST 0 is written, unlinked and its
 *                           object destroyed; a late OBJ_WRITE to that
 *                           object gets ESTALE and does not create it
 *                           again (DIR/destroyed: "oid")
 *   objlife lose DIR        /sparse: 2 stripes, the second never written;
 *                           /lost: one stripe on OST 1, written and
 *                           fsync'd (DIR/lost: "oid ino"); objlife.sh then
 *                           deletes the object of /lost behind the OST
 *   objlife lost-read       a read of /lost is EIO (not zeros); the
 *                           never-written stripe of /sparse reads zeros
 *   objlife creates N NAME  N files of 2 stripes: created, written and read
 *                           back (NAME: the check's name)
 *
 * Every wait is bounded.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "it.h"
#include "tnet.h"

#define STRIPE		(64 * 1024)

static struct tess_file *create(struct tess_client *c, const char *path,
				uint16_t count, uint16_t ost)
{
	struct tess_layout_req lr = { .stripe_size = STRIPE,
				      .stripe_count = count,
				      .stripe_offset = ost };
	struct tess_file *f = NULL;
	char name[128];
	int rc;

	rc = tess_open(c, path, O_CREAT | O_EXCL, 0644, &lr, &f);
	snprintf(name, sizeof(name), "objlife.create%s", path);
	it_result(rc == 0, name, "tess_open: %s", strerror(-rc));
	return rc ? NULL : f;
}

static bool write_file(const char *dir, const char *name, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

static bool write_file(const char *dir, const char *name, const char *fmt,
		       ...)
{
	char path[512];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return false;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f) == 0;
}

static int raw_write(struct tess_client *c, uint32_t ost, uint64_t oid)
{
	static uint8_t data[4096];
	struct tess_obj_io_req r = { .oid = cpu_to_le64(oid),
				     .length = cpu_to_le32(sizeof(data)) };
	struct tnet_call call = { .op = TESS_OP_OBJ_WRITE, .body = &r,
				  .body_len = sizeof(r), .bulk = data,
				  .bulk_len = sizeof(data) };

	return tess_ost_call(c, ost, &call);
}

static int destroyed(const char *dir)
{
	struct tess_client *c = it_connect_ms(3000);
	uint8_t buf[4096];
	struct tess_file *f = create(c, "/gone", 1, 0);
	uint64_t oid, size;
	uint32_t ost;
	int rc = 0, i;

	if (!f)
		return 1;
	ost = tess_file_inode(f)->objs[0].ost_idx;
	oid = tess_file_inode(f)->objs[0].oid;
	it_fill(buf, sizeof(buf), 1);
	IT_RC("objlife.destroyed_write", tess_pwrite(f, buf, sizeof(buf), 0),
	      (long)sizeof(buf));
	IT_RC("objlife.destroyed_close", tess_close(f), 0);
	IT_RC("objlife.destroyed_unlink", tess_unlink(c, "/gone"), 0);
	/* the MDS destroys the object in the background */
	for (i = 0; i < 100; i++) {
		rc = tess_obj_stat(c, ost, oid, &size);
		if (rc == -ENOENT)
			break;
		usleep(100000);
	}
	it_result(rc == -ENOENT, "objlife.destroyed_by_mds",
		  "object %#" PRIx64 " on OST %u still there after 10 s (%d)",
		  oid, ost, rc);
	write_file(dir, "destroyed", "%" PRIx64 "\n", oid);
	IT_RC("objlife.late_write_estale", raw_write(c, ost, oid), -ESTALE);
	IT_RC("objlife.late_write_no_recreate", tess_obj_stat(c, ost, oid, &size),
	      -ENOENT);
	tess_client_close(c);
	return it_failed;
}

static int lose(const char *dir)
{
	struct tess_client *c = it_connect_ms(3000);
	static uint8_t buf[STRIPE];
	struct tess_file *sp, *lo;

	sp = create(c, "/sparse", 2, 0);
	lo = create(c, "/lost", 1, 1);
	if (!sp || !lo)
		return 1;
	it_fill(buf, sizeof(buf), 2);
	/* stripe 0 rows 0 and 1; stripe 1 (on OST 1) never written */
	IT_RC("objlife.sparse_write_1", tess_pwrite(sp, buf, STRIPE, 0), STRIPE);
	IT_RC("objlife.sparse_write_2",
	      tess_pwrite(sp, buf, STRIPE, 2 * STRIPE), STRIPE);
	IT_RC("objlife.sparse_close", tess_close(sp), 0);
	IT_RC("objlife.lost_write", tess_pwrite(lo, buf, STRIPE, 0), STRIPE);
	IT_RC("objlife.lost_fsync", tess_fsync(lo), 0);
	if (!write_file(dir, "lost", "%" PRIx64 " %" PRIu64 "\n",
			tess_file_inode(lo)->objs[0].oid,
			tess_file_inode(lo)->ino))
		return 2;
	IT_RC("objlife.lost_close", tess_close(lo), 0);
	tess_client_close(c);
	return it_failed;
}

static int lost_read(void)
{
	struct tess_client *c = it_connect_ms(3000);
	static uint8_t buf[STRIPE], back[3 * STRIPE], zero[STRIPE];
	struct tess_file *f = NULL;
	int rc;

	rc = tess_open(c, "/lost", 0, 0, NULL, &f);
	IT_RC("objlife.lost_open", rc, 0);
	if (!rc) {
		IT_RC("objlife.lost_read_eio", tess_pread(f, back, STRIPE, 0),
		      -EIO);
		tess_close(f);
	}
	rc = tess_open(c, "/sparse", 0, 0, NULL, &f);
	IT_RC("objlife.sparse_open", rc, 0);
	if (rc)
		return 1;
	it_fill(buf, sizeof(buf), 2);
	IT_RC("objlife.sparse_read", tess_pread(f, back, 3 * STRIPE, 0),
	      3 * STRIPE);
	it_result(!memcmp(back, buf, STRIPE) &&
		  !memcmp(back + 2 * STRIPE, buf, STRIPE),
		  "objlife.sparse_data", "the written stripes changed");
	it_result(!memcmp(back + STRIPE, zero, STRIPE),
		  "objlife.sparse_hole_zeros",
		  "the never-written stripe does not read as zeros");
	tess_close(f);
	tess_client_close(c);
	return it_failed;
}

static int creates(int n, const char *name)
{
	struct tess_client *c = it_connect_ms(3000);
	uint8_t buf[4096], back[4096];
	char path[64], check[128];
	bool ok = true;

	for (int i = 0; i < n && ok; i++) {
		struct tess_layout_req lr = { .stripe_size = STRIPE,
					      .stripe_count = 2,
					      .stripe_offset = TESS_OST_ANY };
		struct tess_file *f = NULL;
		int rc;

		snprintf(path, sizeof(path), "/%s.%d", name, i);
		rc = tess_open(c, path, O_CREAT | O_EXCL, 0644, &lr, &f);
		if (rc) {
			snprintf(check, sizeof(check), "objlife.%s_create", name);
			it_result(0, check, "%s: %s", path, strerror(-rc));
			ok = false;
			break;
		}
		it_fill(buf, sizeof(buf), (uint64_t)i + 7);
		if (tess_pwrite(f, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
		    tess_pread(f, back, sizeof(back), 0) != (ssize_t)sizeof(back) ||
		    memcmp(buf, back, sizeof(buf))) {
			snprintf(check, sizeof(check), "objlife.%s_io", name);
			it_result(0, check, "%s: write/read back failed", path);
			ok = false;
		}
		if (tess_close(f))
			ok = false;
	}
	snprintf(check, sizeof(check), "objlife.%s", name);
	it_result(ok, check, "see above");
	tess_client_close(c);
	return it_failed;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "destroyed"))
		return destroyed(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "lose"))
		return lose(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "lost-read"))
		return lost_read();
	if (argc == 4 && !strcmp(argv[1], "creates"))
		return creates(atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: objlife destroyed DIR | lose DIR | lost-read | "
		"creates N NAME\n");
	return 2;
}
