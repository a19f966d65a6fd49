// SPDX-License-Identifier: MIT
/*
 * durable: what fsync and close promise when an OST loses unstable data,
 * against the daemons tests/integ/durable.sh starts (an MDS, OST 0, and
 * OST 1 run with TESS_OST_FAULT_SYNC=5: every OBJ_SYNC fails with EIO).
 *
 *   durable restart DIR   a file written (not synced) on OST 0; durable.sh
 *                         kills OST 0 with SIGKILL between DIR/ready and
 *                         DIR/go and starts it again: the daemon died, not
 *                         the page cache, so the write verifier stays, and
 *                         fsync returns 0 with the data intact
 *   durable powercut DIR  files written (not synced) on OST 0; durable.sh
 *                         kills OST 0 with SIGKILL between DIR/ready and
 *                         DIR/go, removes the objects listed in DIR/lost
 *                         (what a power cut takes of unsynced data) and
 *                         starts it again with TESS_OST_FAULT_NEW_VERF=1:
 *                         a new write verifier, as after a reboot or a
 *                         remount of its store.  fsync then returns EIO
 *                         (not 0), a
 *                         close that grew a file returns EIO, and neither
 *                         puts a size over the lost bytes on the MDS; a
 *                         file fsync'd before the cut reads back intact,
 *                         and new writes after it fsync with 0
 *   durable ordered       data=ordered: a close that grew a file makes the
 *                         data stable before the MDS gets the size; when
 *                         OBJ_SYNC fails (OST 1), close returns the error
 *                         and the MDS size has not grown
 *
 * Every wait is bounded.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "it.h"

#define RPC_TIMEOUT_MS	2000
#define LEN		(1u << 20)

/* a file of one stripe on OST ost; NULL (and a FAIL line) on error */
static struct tess_file *create_on(struct tess_client *c, const char *path,
				   uint16_t ost)
{
	struct tess_layout_req lr = { .stripe_count = 1, .stripe_offset = ost };
	struct tess_file *f = NULL;
	char name[128];
	int rc;

	rc = tess_open(c, path, O_CREAT | O_EXCL, 0644, &lr, &f);
	snprintf(name, sizeof(name), "durable.create%s", path);
	it_result(rc == 0, name, "tess_open: %s", strerror(-rc));
	if (!rc && tess_file_inode(f)->objs[0].ost_idx != ost) {
		it_result(0, name, "stripe on OST %u, wanted %u",
			  tess_file_inode(f)->objs[0].ost_idx, ost);
		tess_close(f);
		return NULL;
	}
	return rc ? NULL : f;
}

static uint64_t mds_size(struct tess_client *c, const char *path)
{
	struct tess_inode st;

	if (tess_stat(c, path, &st))
		return UINT64_MAX;
	return st.size;
}

static bool wait_file(const char *path, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(100000);
	}
	return false;
}

/* DIR/ready, then wait (bounded) for DIR/go */
static bool handshake(const char *dir)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ready", dir);
	f = fopen(path, "w");
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/go", dir);
	if (!wait_file(path, 60)) {
		it_result(0, "durable.handshake", "no %s within 60 s", path);
		return false;
	}
	return true;
}

static int restart(const char *dir)
{
	struct tess_client *c = it_connect_ms(RPC_TIMEOUT_MS);
	uint8_t *buf = malloc(LEN), *back = malloc(LEN);
	struct tess_file *f;
	int rc;

	if (!buf || !back)
		return 2;
	f = create_on(c, "/rs_plain", 0);
	if (!f)
		return 1;
	it_fill(buf, LEN, 4);
	IT_RC("durable.restart_write", tess_pwrite(f, buf, LEN, 0), LEN);
	if (!handshake(dir))
		return 1;
	IT_RC("durable.restart_fsync_ok", tess_fsync(f), 0);
	IT_RC("durable.restart_read", tess_pread(f, back, LEN, 0), LEN);
	it_result(!memcmp(buf, back, LEN), "durable.restart_intact",
		  "data written before a daemon restart changed");
	IT_RC("durable.restart_close", tess_close(f), 0);
	rc = (int)mds_size(c, "/rs_plain");
	it_result(rc == (int)LEN, "durable.restart_size",
		  "MDS size %d, expected %u", rc, LEN);
	free(buf);
	free(back);
	tess_client_close(c);
	return it_failed;
}

static int powercut(const char *dir)
{
	struct tess_client *c = it_connect_ms(RPC_TIMEOUT_MS);
	struct tess_file *fs, *fc, *fk, *fn;
	uint8_t *buf = malloc(LEN), *back = malloc(LEN);
	char path[512];
	FILE *lost;
	int rc;

	if (!buf || !back)
		return 2;
	/* fsync'd before the cut: must survive it */
	fk = create_on(c, "/pc_kept", 0);
	/* written, not synced: lost in the cut */
	fs = create_on(c, "/pc_fsync", 0);
	fc = create_on(c, "/pc_close", 0);
	if (!fk || !fs || !fc)
		return 1;
	it_fill(buf, LEN, 1);
	IT_RC("durable.kept_write", tess_pwrite(fk, buf, LEN, 0), LEN);
	IT_RC("durable.kept_fsync", tess_fsync(fk), 0);
	it_fill(buf, LEN, 2);
	IT_RC("durable.unstable_write_1", tess_pwrite(fs, buf, LEN, 0), LEN);
	IT_RC("durable.unstable_write_2", tess_pwrite(fc, buf, LEN, 0), LEN);

	snprintf(path, sizeof(path), "%s/lost", dir);
	lost = fopen(path, "w");
	if (!lost)
		return 2;
	fprintf(lost, "%" PRIx64 "\n%" PRIx64 "\n",
		tess_file_inode(fs)->objs[0].oid,
		tess_file_inode(fc)->objs[0].oid);
	fclose(lost);
	if (!handshake(dir))
		return 1;

	/* the OST is a new instance without the unsynced objects */
	IT_RC("durable.fsync_after_lost_data_is_eio", tess_fsync(fs), -EIO);
	rc = (int)mds_size(c, "/pc_fsync");
	it_result(rc == 0, "durable.fsync_eio_size_not_exposed",
		  "MDS size of /pc_fsync %d, expected 0", rc);
	IT_RC("durable.eio_reported_once", tess_fsync(fs), 0);
	IT_RC("durable.close_after_eio", tess_close(fs), 0);

	IT_RC("durable.close_after_lost_data_is_eio", tess_close(fc), -EIO);
	rc = (int)mds_size(c, "/pc_close");
	it_result(rc == 0, "durable.close_eio_size_not_exposed",
		  "MDS size of /pc_close %d, expected 0", rc);

	/* the fsync'd file is intact (and has nothing to sync) */
	it_fill(buf, LEN, 1);
	IT_RC("durable.kept_read", tess_pread(fk, back, LEN, 0), LEN);
	it_result(!memcmp(buf, back, LEN), "durable.kept_intact",
		  "a file fsync'd before the cut changed");
	IT_RC("durable.kept_fsync_again", tess_fsync(fk), 0);
	IT_RC("durable.kept_close", tess_close(fk), 0);

	/* new writes to the new instance are fine */
	fn = create_on(c, "/pc_new", 0);
	if (!fn)
		return 1;
	IT_RC("durable.new_write", tess_pwrite(fn, buf, LEN, 0), LEN);
	IT_RC("durable.new_fsync", tess_fsync(fn), 0);
	IT_RC("durable.new_close", tess_close(fn), 0);
	rc = (int)mds_size(c, "/pc_new");
	it_result(rc == (int)LEN, "durable.new_size", "MDS size %d, expected %u",
		  rc, LEN);
	free(buf);
	free(back);
	tess_client_close(c);
	return it_failed;
}

static int ordered(void)
{
	struct tess_client *c = it_connect_ms(RPC_TIMEOUT_MS);
	struct tess_file *f;
	uint8_t buf[65536];
	int rc;

	it_fill(buf, sizeof(buf), 3);
	f = create_on(c, "/ord_close", 1);
	if (!f)
		return 1;
	IT_RC("durable.ordered_write", tess_pwrite(f, buf, sizeof(buf), 0),
	      sizeof(buf));
	IT_RC("durable.ordered_close_sync_fails", tess_close(f), -EIO);
	rc = (int)mds_size(c, "/ord_close");
	it_result(rc == 0, "durable.ordered_close_size_not_grown",
		  "MDS size %d after a close whose OBJ_SYNC failed, expected 0",
		  rc);

	f = create_on(c, "/ord_fsync", 1);
	if (!f)
		return 1;
	IT_RC("durable.ordered_write2", tess_pwrite(f, buf, sizeof(buf), 0),
	      sizeof(buf));
	IT_RC("durable.ordered_fsync_fails", tess_fsync(f), -EIO);
	rc = (int)mds_size(c, "/ord_fsync");
	it_result(rc == 0, "durable.ordered_fsync_size_not_grown",
		  "MDS size %d after a failed fsync, expected 0", rc);
	tess_close(f);
	tess_client_close(c);
	return it_failed;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "restart"))
		return restart(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "powercut"))
		return powercut(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "ordered"))
		return ordered();
	fprintf(stderr, "usage: durable restart|powercut DIR | durable ordered\n");
	return 2;
}
