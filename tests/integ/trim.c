// SPDX-License-Identifier: MIT
/*
 * trim: bytes an object holds past its file's size never come back as
 * data where zeros belong (issue #9, finding 2), against the daemons
 * tests/integ/trim.sh starts: an MDS with a 2 s lease and two OSTs run
 * with TESS_OST_FAULT_LOSE_PUNCH=1 (a shrinking truncate that is not
 * stable before its reply is lost, as a power cut before the OST's next
 * commit would lose it).
 *
 *   trim lostpunch   a file truncated down, then up: the range between
 *                    reads as zeros (the punch down is stable before
 *                    truncate returns, the cut before the size goes up)
 *   trim deadwriter  a client writes two files past their size (0) and
 *                    is killed before it extends the size.  The first file
 *                    truncated up at once reads zeros (the cut before the
 *                    size goes up); the second, once the dead client's
 *                    lease ran out and the MDS trimmed its objects, reads
 *                    zeros below a byte written past its end
 *
 *   trim writer READY PATH...   (the VM's recovery suite) write 1 MiB at
 *                    offset 0 of each existing PATH, create READY and
 *                    wait to be killed
 *
 * Every wait is bounded.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "it.h"

#define RPC_TIMEOUT_MS	2000
#define LEN		(1u << 20)
#define CUT		100000u

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* a file striped over both OSTs in 64 KiB units, held open */
static struct tess_file *create2(struct tess_client *c, const char *path)
{
	struct tess_layout_req lr = { .stripe_size = 65536, .stripe_count = 2,
				      .stripe_offset = 0 };
	struct tess_file *f = NULL;
	char name[128];
	int rc;

	rc = tess_open(c, path, O_CREAT | O_EXCL, 0644, &lr, &f);
	snprintf(name, sizeof(name), "trim.create%s", path);
	it_result(rc == 0, name, "tess_open: %s", strerror(-rc));
	return rc ? NULL : f;
}

static int lostpunch(void)
{
	struct tess_client *c = it_connect_ms(RPC_TIMEOUT_MS);
	uint8_t *buf = malloc(LEN), *back = malloc(LEN);
	struct tess_file *f;

	if (!buf || !back)
		return 2;
	f = create2(c, "/lp");
	if (!f)
		return 1;
	it_fill(buf, LEN, 11);
	IT_RC("trim.lostpunch_write", tess_pwrite(f, buf, LEN, 0), LEN);
	IT_RC("trim.lostpunch_fsync", tess_fsync(f), 0);
	IT_RC("trim.lostpunch_down", tess_ftruncate(f, CUT), 0);
	IT_RC("trim.lostpunch_up", tess_ftruncate(f, LEN), 0);
	memset(back, 0xee, LEN);
	IT_RC("trim.lostpunch_read", tess_pread(f, back, LEN, 0), LEN);
	it_result(!memcmp(back, buf, CUT), "trim.lostpunch_kept",
		  "bytes below the truncate changed");
	it_result(all_zero(back + CUT, LEN - CUT), "trim.lostpunch_zeros",
		  "the old bytes came back between the truncate down and up");
	IT_RC("trim.lostpunch_close", tess_close(f), 0);
	free(buf);
	free(back);
	tess_client_close(c);
	return it_failed;
}

/* the dead writer: files written, never closed; then it waits */
static void writer(const char *ready, char **paths, int n)
{
	struct tess_client *c = it_connect_ms(RPC_TIMEOUT_MS);
	uint8_t *buf = malloc(LEN);
	FILE *r;

	if (!buf)
		_exit(2);
	it_fill(buf, LEN, 12);
	for (int i = 0; i < n; i++) {
		struct tess_file *f;

		if (tess_open(c, paths[i], O_RDWR, 0, NULL, &f) ||
		    tess_pwrite(f, buf, LEN, 0) != LEN)
			_exit(1);
	}
	r = fopen(ready, "w");
	if (r)
		fclose(r);
	for (;;)
		pause();
}

static bool trimmed(struct tess_client *c, const char *path)
{
	struct tess_inode st;
	uint64_t size;

	if (tess_stat(c, path, &st))
		return false;
	for (uint32_t i = 0; i < st.nobjs; i++)
		if (tess_obj_stat(c, st.objs[i].ost_idx, st.objs[i].oid,
				  &size) || size)
			return false;
	return true;
}

static int deadwriter(const char *dir)
{
	struct tess_client *c = it_connect_ms(RPC_TIMEOUT_MS);
	uint8_t *back = malloc(LEN);
	struct tess_file *f1, *f2, *f;
	char ready[512], p1[] = "/dw1", p2[] = "/dw2", *paths[] = { p1, p2 };
	struct tess_inode st;
	pid_t pid;
	int i;

	if (!back)
		return 2;
	f1 = create2(c, "/dw1");
	f2 = create2(c, "/dw2");
	if (!f1 || !f2)
		return 1;
	IT_RC("trim.deadwriter_close1", tess_close(f1), 0);
	IT_RC("trim.deadwriter_close2", tess_close(f2), 0);
	snprintf(ready, sizeof(ready), "%s/writer-ready", dir);
	unlink(ready);
	pid = fork();
	if (pid == 0)
		writer(ready, paths, 2);
	for (i = 0; i < 100 && access(ready, F_OK); i++)
		usleep(100000);
	it_result(i < 100, "trim.deadwriter_wrote", "the writer did not write");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	IT_RC("trim.deadwriter_size0", tess_stat(c, "/dw1", &st) ?: (int)st.size,
	      0);

	/* up at once: the dead client's bytes cut before the size grows */
	IT_RC("trim.deadwriter_open1", tess_open(c, "/dw1", O_RDWR, 0, NULL, &f),
	      0);
	IT_RC("trim.deadwriter_up", tess_ftruncate(f, LEN), 0);
	memset(back, 0xee, LEN);
	IT_RC("trim.deadwriter_read1", tess_pread(f, back, LEN, 0), LEN);
	it_result(all_zero(back, LEN), "trim.deadwriter_truncate_up_zeros",
		  "a dead writer's bytes past the size showed after a "
		  "truncate up");
	tess_close(f);

	/* its lease runs out (2 s): the MDS cuts the objects of dw2 */
	for (i = 0; i < 200 && !trimmed(c, "/dw2"); i++)
		usleep(100000);
	it_result(i < 200, "trim.deadwriter_trimmed",
		  "the objects of /dw2 still hold bytes 20 s after the kill");
	IT_RC("trim.deadwriter_open2", tess_open(c, "/dw2", O_RDWR, 0, NULL, &f),
	      0);
	IT_RC("trim.deadwriter_write_past", tess_pwrite(f, "x", 1, LEN - 1), 1);
	IT_RC("trim.deadwriter_fsync", tess_fsync(f), 0);
	memset(back, 0xee, LEN);
	IT_RC("trim.deadwriter_read2", tess_pread(f, back, LEN, 0), LEN);
	it_result(all_zero(back, LEN - 1) && back[LEN - 1] == 'x',
		  "trim.deadwriter_write_past_zeros",
		  "a dead writer's bytes past the size showed below a write "
		  "past the end");
	tess_close(f);
	free(back);
	tess_client_close(c);
	return it_failed;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "lostpunch"))
		return lostpunch();
	if (argc == 3 && !strcmp(argv[1], "deadwriter"))
		return deadwriter(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "writer"))
		writer(argv[2], argv + 3, argc - 3);
	fprintf(stderr, "usage: trim lostpunch | trim deadwriter DIR | "
		"trim writer READY PATH...\n");
	return 2;
}
